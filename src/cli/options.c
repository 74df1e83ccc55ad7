#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/dd.h"
#include "common/idn.h"
#include "common/wire.h"
#include "cli/options.h"

const char dd_usage[] =
    "Usage: dnssec-doctor [check] [options] NAME [TYPE]   find the broken link in NAME's chain of "
    "trust\n"
    "       dnssec-doctor probe [options] NAME [TYPE] > evidence.json\n"
    "       dnssec-doctor analyse [options] evidence.json\n"
    "       dnssec-doctor scan [options] [FILE|-]   one \"NAME [TYPE]\" a line in, one JSON object "
    "a line out\n"
    "       dnssec-doctor serve [options]                 the web page and JSON API (docs/web.md)\n"
    "       dnssec-doctor watch [options] NAMES-FILE      check names again and again: metrics, "
    "history (docs/watch.md)\n"
    "       dnssec-doctor history [--db FILE] NAME [TYPE]  what watch recorded for NAME\n"
    "\n"
    "Output:\n"
    "  --json                  the version-1 JSON report (same as --format json)\n"
    "  --format text|json|svg|nagios  report format (default: text; svg: the chain diagram;\n"
    "                          nagios: one monitoring-plugin line with performance data)\n"
    "  --color / --no-color    force colours on or off (default: only on a terminal)\n"
    "Validation:\n"
    "  --at TIME               validate as of TIME (RFC 3339 or seconds since the epoch)\n"
    "  --warn-days N           warn about signatures expiring within N days (default 7)\n"
    "  --trust-anchor FILE     DS or DNSKEY records (zone-file syntax) replacing the IANA root "
    "anchors\n"
    "  --ds \"DS\"               what if the parent published this DS (RDATA for the query's zone, "
    "or a\n"
    "                          whole record; repeatable): check a DS before sending it to the "
    "registrar\n"
    "  --nsec3-iterations-limit N  NSEC3 iterations above N make a denial insecure (default 150)\n"
    "  --max-validations N     signature validations one check may cost (default 2048; then "
    "indeterminate)\n"
    "  --max-nsec3-hashes N    NSEC3 hash computations one check may cost (default 4096; then "
    "indeterminate)\n"
    "Walk:\n"
    "  --root-hints FILE       NS and A/AAAA records (zone-file syntax) replacing the root "
    "servers\n"
    "  -4 / -6                 query name servers over IPv4 only / IPv6 only\n"
    "  --timeout MS            per-try UDP timeout (default 800)\n"
    "  --deadline MS           whole-check deadline (default 10000)\n"
    "  --max-queries N         query cap per check (default 600)\n"
    "Resolvers:\n"
    "  --resolver ADDR[#PORT]  a resolver to ask, with and without CD (repeatable; default: "
    "Cloudflare,\n"
    "                          Google, Quad9 and the resolvers in /etc/resolv.conf)\n"
    "  --no-resolvers          ask no resolver\n"
    "Scan:\n"
    "  --concurrency N         checks at once (default 16)\n"
    "  --unordered             print each result when it is ready, not in input order\n"
    "Serve (also takes every check option above):\n"
    "  --listen ADDR:PORT      where to listen (default 127.0.0.1:8053; [::1]:8053 for IPv6)\n"
    "  --allow-private         also query private, loopback, link-local and other non-global "
    "addresses\n"
    "  --max-checks N          checks running at once (default 4; 4 times as many may wait)\n"
    "  --rate N                checks per client address (IPv6: per /64) per minute (default 20)\n"
    "  --target-budget N       queries per name server address per minute, over all checks "
    "(default 1200)\n"
    "  --user NAME             when started as root, run as this user after binding (default "
    "nobody)\n"
    "  --header-timeout S      a request's line and headers must arrive within S seconds (default "
    "10)\n"
    "  --max-connections N     connections at once, all clients (default 4096, kept below the fd "
    "limit)\n"
    "  --max-client-connections N  connections at once per client address or IPv6 /64 (default "
    "64)\n"
    "Other:\n"
    "  --list-findings         print the table of findings and exit\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 healthy, 1 warnings, 2 bogus or unreachable, 3 indeterminate or usage error.\n"
    "DNSSEC_DOCTOR_OFFLINE=1 makes the built-in root servers and resolvers unusable (tests).\n";

static const char builtin_anchors[] =
    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
    ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n";

static const char builtin_hints[] = ". 518400 IN NS a.root-servers.net.\n"
				    ". 518400 IN NS b.root-servers.net.\n"
				    ". 518400 IN NS c.root-servers.net.\n"
				    ". 518400 IN NS d.root-servers.net.\n"
				    ". 518400 IN NS e.root-servers.net.\n"
				    ". 518400 IN NS f.root-servers.net.\n"
				    ". 518400 IN NS g.root-servers.net.\n"
				    ". 518400 IN NS h.root-servers.net.\n"
				    ". 518400 IN NS i.root-servers.net.\n"
				    ". 518400 IN NS j.root-servers.net.\n"
				    ". 518400 IN NS k.root-servers.net.\n"
				    ". 518400 IN NS l.root-servers.net.\n"
				    ". 518400 IN NS m.root-servers.net.\n"
				    "a.root-servers.net. 518400 IN A 198.41.0.4\n"
				    "a.root-servers.net. 518400 IN AAAA 2001:503:ba3e::2:30\n"
				    "b.root-servers.net. 518400 IN A 170.247.170.2\n"
				    "b.root-servers.net. 518400 IN AAAA 2801:1b8:10::b\n"
				    "c.root-servers.net. 518400 IN A 192.33.4.12\n"
				    "c.root-servers.net. 518400 IN AAAA 2001:500:2::c\n"
				    "d.root-servers.net. 518400 IN A 199.7.91.13\n"
				    "d.root-servers.net. 518400 IN AAAA 2001:500:2d::d\n"
				    "e.root-servers.net. 518400 IN A 192.203.230.10\n"
				    "e.root-servers.net. 518400 IN AAAA 2001:500:a8::e\n"
				    "f.root-servers.net. 518400 IN A 192.5.5.241\n"
				    "f.root-servers.net. 518400 IN AAAA 2001:500:2f::f\n"
				    "g.root-servers.net. 518400 IN A 192.112.36.4\n"
				    "g.root-servers.net. 518400 IN AAAA 2001:500:12::d0d\n"
				    "h.root-servers.net. 518400 IN A 198.97.190.53\n"
				    "h.root-servers.net. 518400 IN AAAA 2001:500:1::53\n"
				    "i.root-servers.net. 518400 IN A 192.36.148.17\n"
				    "i.root-servers.net. 518400 IN AAAA 2001:7fe::53\n"
				    "j.root-servers.net. 518400 IN A 192.58.128.30\n"
				    "j.root-servers.net. 518400 IN AAAA 2001:503:c27::2:30\n"
				    "k.root-servers.net. 518400 IN A 193.0.14.129\n"
				    "k.root-servers.net. 518400 IN AAAA 2001:7fd::1\n"
				    "l.root-servers.net. 518400 IN A 199.7.83.42\n"
				    "l.root-servers.net. 518400 IN AAAA 2001:500:9f::42\n"
				    "m.root-servers.net. 518400 IN A 202.12.27.33\n"
				    "m.root-servers.net. 518400 IN AAAA 2001:dc3::35\n";

static int rrs_from_text(const char *text, ldns_rr_list **out)
{
	ldns_rr_list *l = ldns_rr_list_new();
	if (!l)
		return DD_ENOMEM;
	char *copy = strdup(text), *save = NULL;
	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, line, 3600, NULL, NULL) == LDNS_STATUS_OK)
			ldns_rr_list_push_rr(l, rr);
	}
	free(copy);
	*out = l;
	return 0;
}

int dd_builtin_anchors(ldns_rr_list **out)
{
	return rrs_from_text(builtin_anchors, out);
}

int dd_builtin_hints(ldns_rr_list **out)
{
	return rrs_from_text(builtin_hints, out);
}

/* Anchors and hints are a few records: more than this is not such a file. */
#define RRS_FILE_MAX (1024 * 1024)

int dd_read_rrs(const char *path, const char *what, bool anchors, ldns_rr_list **out, char *err,
		size_t err_size)
{
	*out = NULL;
	/* Only a regular file of sane size: a directory, /dev/zero or a FIFO with no writer would
	 * keep the reader busy or blocked before any deadline runs. O_NONBLOCK: opening a FIFO must
	 * not wait. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, err_size, "%s: cannot read %s: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return DD_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "%s: %s is %s, not a regular file", what, path,
			 S_ISDIR(st.st_mode)	? "a directory"
			 : S_ISFIFO(st.st_mode) ? "a FIFO"
			 : S_ISSOCK(st.st_mode) ? "a socket"
						: "a device");
		close(fd);
		return DD_EIO;
	}
	/* Read it whole, at most one byte past the cap (st_size may lie: /proc files say 0). */
	size_t cap = RRS_FILE_MAX + 1, len = 0;
	char *buf = st.st_size <= RRS_FILE_MAX ? malloc(cap) : NULL;
	while (buf && len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, err_size, "%s: cannot read %s: %s", what, path,
				 strerror(errno));
			free(buf);
			close(fd);
			return DD_EIO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf || len > RRS_FILE_MAX) {
		if (buf || st.st_size > RRS_FILE_MAX)
			snprintf(err, err_size, "%s: %s is larger than 1 MiB", what, path);
		else
			snprintf(err, err_size, "out of memory");
		free(buf);
		return DD_EIO;
	}
	if (len == 0 || memchr(buf, '\0', len)) {
		snprintf(err, err_size, "%s: %s: %s", what, path,
			 len	   ? "a NUL byte: not a zone-file text"
			 : anchors ? "no DS or DNSKEY records found"
				   : "no NS records found");
		free(buf);
		return DD_EPARSE;
	}
	FILE *f = fmemopen(buf, len, "r");
	if (!f) {
		snprintf(err, err_size, "%s: cannot read %s: %s", what, path, strerror(errno));
		free(buf);
		return DD_EIO;
	}
	int ret = dd_read_rrs_fp(f, path, what, anchors, out, err, err_size);
	fclose(f);
	free(buf);
	return ret;
}

int dd_read_rrs_fp(FILE *f, const char *path, const char *what, bool anchors, ldns_rr_list **out,
		   char *err, size_t err_size)
{
	*out = NULL;
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rdf *origin = NULL, *prev = NULL;
	uint32_t ttl = 3600;
	int line = 0, ret = 0;
	while (l && !feof(f)) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN || st == LDNS_STATUS_SYNTAX_INCLUDE) {
			if (st == LDNS_STATUS_SYNTAX_INCLUDE) {
				snprintf(err, err_size,
					 "%s: %s: line %d: $INCLUDE is not supported", what, path,
					 line);
				ret = DD_EPARSE;
				break;
			}
			continue;
		}
		if (st != LDNS_STATUS_OK) {
			if (feof(f) && st == LDNS_STATUS_SYNTAX_ERR)
				break;
			snprintf(err, err_size, "%s: %s: line %d: %s", what, path, line,
				 ldns_get_errorstr_by_id(st));
			ret = DD_EPARSE;
			break;
		}
		ldns_rr_type t = ldns_rr_get_type(rr);
		bool ok = anchors ? (t == LDNS_RR_TYPE_DS || t == LDNS_RR_TYPE_DNSKEY)
				  : (t == LDNS_RR_TYPE_NS || t == LDNS_RR_TYPE_A ||
				     t == LDNS_RR_TYPE_AAAA);
		if (!ok) {
			char *ts = ldns_rr_type2str(t);
			snprintf(err, err_size, "%s: %s: line %d: expected %s, got %s", what, path,
				 line, anchors ? "DS or DNSKEY" : "NS, A or AAAA", ts ? ts : "?");
			free(ts);
			ldns_rr_free(rr);
			ret = DD_EPARSE;
			break;
		}
		if (ldns_rr_list_rr_count(l) >= 1000) {
			snprintf(err, err_size, "%s: %s: more than 1000 records", what, path);
			ldns_rr_free(rr);
			ret = DD_EPARSE;
			break;
		}
		ldns_rr_list_push_rr(l, rr);
	}
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	if (!ret && (!l || !ldns_rr_list_rr_count(l))) {
		snprintf(err, err_size, "%s: %s: no %s records found", what, path,
			 anchors ? "DS or DNSKEY" : "NS");
		ret = DD_EPARSE;
	}
	if (!ret && !anchors) {
		bool ns = false;
		for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
			ns |= ldns_rr_get_type(ldns_rr_list_rr(l, i)) == LDNS_RR_TYPE_NS;
		if (!ns) {
			snprintf(err, err_size, "%s: %s: no NS record found", what, path);
			ret = DD_EPARSE;
		}
	}
	if (ret) {
		ldns_rr_list_deep_free(l);
		return ret;
	}
	*out = l;
	return 0;
}

int dd_parse_time(const char *s, int64_t *out)
{
	char *end = NULL;
	if (!s || !*s)
		return DD_EINVAL;
	bool digits = true;
	for (const char *p = s; *p; p++)
		digits &= isdigit((unsigned char)*p) != 0;
	if (digits) {
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (errno || v < 0 || v > 253402300799LL)
			return DD_EINVAL;
		*out = v;
		return 0;
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return DD_EINVAL;
	if (*end == '.')
		for (end++; isdigit((unsigned char)*end); end++)
			;
	long off = 0;
	if (*end == 'Z' || *end == 'z') {
		end++;
	} else if ((*end == '+' || *end == '-') && isdigit((unsigned char)end[1]) &&
		   isdigit((unsigned char)end[2]) && end[3] == ':' &&
		   isdigit((unsigned char)end[4]) && isdigit((unsigned char)end[5])) {
		off = ((end[1] - '0') * 10 + (end[2] - '0')) * 3600 +
		      ((end[4] - '0') * 10 + (end[5] - '0')) * 60;
		if (*end == '-')
			off = -off;
		end += 6;
	} else {
		return DD_EINVAL;
	}
	if (*end)
		return DD_EINVAL;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return DD_EINVAL;
	*out = (int64_t)t - off;
	return 0;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out);

int dd_parse_ds(const char *text, const char *owner, ldns_rr **out)
{
	*out = NULL;
	if (!text || strlen(text) > 1024 || strchr(text, '\n'))
		return DD_EINVAL;
	ldns_rr *rr = NULL;
	/* A whole record ("example. 3600 IN DS ...") or only its RDATA. */
	if (ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) != LDNS_STATUS_OK || !rr ||
	    ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS) {
		ldns_rr_free(rr);
		rr = NULL;
		char *line = dd_asprintf("%s 3600 IN DS %s", owner, text);
		ldns_status st =
		    line ? ldns_rr_new_frm_str(&rr, line, 3600, NULL, NULL) : LDNS_STATUS_MEM_ERR;
		free(line);
		if (st != LDNS_STATUS_OK || !rr || ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS ||
		    ldns_rr_rd_count(rr) != 4) {
			ldns_rr_free(rr);
			return DD_EINVAL;
		}
	}
	if (ldns_rr_rd_count(rr) != 4) {
		ldns_rr_free(rr);
		return DD_EINVAL;
	}
	ldns_dname2canonical(ldns_rr_owner(rr));
	*out = rr;
	return 0;
}

int dd_parse_resolver(const char *s, probe_resolver_t *out)
{
	memset(out, 0, sizeof(*out));
	out->port = 53;
	char buf[64];
	if (!s || strlen(s) >= sizeof(buf))
		return DD_EINVAL;
	strcpy(buf, s);
	char *hash = strchr(buf, '#');
	if (hash) {
		*hash = '\0';
		unsigned p;
		if (parse_uint(hash + 1, 1, 65535, &p))
			return DD_EINVAL;
		out->port = (uint16_t)p;
	}
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, buf, &a4) == 1)
		inet_ntop(AF_INET, &a4, out->addr, sizeof(out->addr));
	else if (inet_pton(AF_INET6, buf, &a6) == 1)
		inet_ntop(AF_INET6, &a6, out->addr, sizeof(out->addr));
	else
		return DD_EINVAL;
	return 0;
}

static const struct {
	const char *label, *addr;
	bool v6;
} public_resolvers[] = {
    {"Cloudflare", "1.1.1.1", false},
    {"Google", "8.8.8.8", false},
    {"Quad9", "9.9.9.9", false},
    {"Cloudflare", "2606:4700:4700::1111", true},
    {"Google", "2001:4860:4860::8888", true},
    {"Quad9", "2620:fe::fe", true},
};

static int add_resolver(probe_resolver_t **arr, size_t *n, const probe_resolver_t *r)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i].addr, r->addr) == 0 && (*arr)[i].port == r->port)
			return 0;
	if (*n >= DD_MAX_RESOLVERS)
		return 0;
	probe_resolver_t *a = realloc(*arr, (*n + 1) * sizeof(*a));
	if (!a)
		return DD_ENOMEM;
	a[(*n)++] = *r;
	*arr = a;
	return 0;
}

int dd_default_resolvers(bool v6, const char *resolv_conf, probe_resolver_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < sizeof(public_resolvers) / sizeof(public_resolvers[0]); i++) {
		if (public_resolvers[i].v6 && !v6)
			continue;
		probe_resolver_t r;
		dd_parse_resolver(public_resolvers[i].addr, &r);
		snprintf(r.label, sizeof(r.label), "%s", public_resolvers[i].label);
		if (add_resolver(out, n, &r))
			return DD_ENOMEM;
	}
	FILE *f = resolv_conf ? fopen(resolv_conf, "r") : NULL;
	char line[512];
	for (unsigned lines = 0; f && lines < 1000 && fgets(line, sizeof(line), f); lines++) {
		char kw[16], addr[64];
		/* "nameserver ADDR"; a scoped IPv6 address (fe80::1%eth0) is not usable here. */
		if (sscanf(line, "%15s %63s", kw, addr) != 2 || strcmp(kw, "nameserver") != 0 ||
		    strchr(addr, '%'))
			continue;
		probe_resolver_t r;
		if (dd_parse_resolver(addr, &r) || (strchr(r.addr, ':') && !v6))
			continue;
		snprintf(r.label, sizeof(r.label), "system");
		if (add_resolver(out, n, &r)) {
			fclose(f);
			return DD_ENOMEM;
		}
	}
	if (f)
		fclose(f);
	return 0;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end = NULL;
	errno = 0;
	if (!s || !isdigit((unsigned char)*s))
		return DD_EINVAL;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return DD_EINVAL;
	*out = (unsigned)v;
	return 0;
}

enum {
	O_JSON = 256,
	O_FORMAT,
	O_AT,
	O_WARN,
	O_TA,
	O_HINTS,
	O_RESOLVER,
	O_NORES,
	O_TIMEOUT,
	O_DEADLINE,
	O_MAXQ,
	O_COLOR,
	O_NOCOLOR,
	O_LIST,
	O_VERSION,
	O_DS,
	O_NSEC3_LIMIT,
	O_CONC,
	O_UNORDERED,
	O_LISTEN,
	O_PRIVATE,
	O_MAXCHECKS,
	O_RATE,
	O_BUDGET,
	O_USER,
	O_HEADER_TIMEOUT,
	O_MAXCONNS,
	O_MAXCLIENTCONNS,
	O_MAXVAL,
	O_MAXN3H,
};

static const struct option longopts[] = {
    {"json", no_argument, NULL, O_JSON},
    {"format", required_argument, NULL, O_FORMAT},
    {"at", required_argument, NULL, O_AT},
    {"warn-days", required_argument, NULL, O_WARN},
    {"trust-anchor", required_argument, NULL, O_TA},
    {"root-hints", required_argument, NULL, O_HINTS},
    {"resolver", required_argument, NULL, O_RESOLVER},
    {"no-resolvers", no_argument, NULL, O_NORES},
    {"ds", required_argument, NULL, O_DS},
    {"nsec3-iterations-limit", required_argument, NULL, O_NSEC3_LIMIT},
    {"max-validations", required_argument, NULL, O_MAXVAL},
    {"max-nsec3-hashes", required_argument, NULL, O_MAXN3H},
    {"concurrency", required_argument, NULL, O_CONC},
    {"unordered", no_argument, NULL, O_UNORDERED},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"deadline", required_argument, NULL, O_DEADLINE},
    {"max-queries", required_argument, NULL, O_MAXQ},
    {"color", no_argument, NULL, O_COLOR},
    {"no-color", no_argument, NULL, O_NOCOLOR},
    {"list-findings", no_argument, NULL, O_LIST},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, O_VERSION},
    {"listen", required_argument, NULL, O_LISTEN},
    {"allow-private", no_argument, NULL, O_PRIVATE},
    {"max-checks", required_argument, NULL, O_MAXCHECKS},
    {"rate", required_argument, NULL, O_RATE},
    {"target-budget", required_argument, NULL, O_BUDGET},
    {"user", required_argument, NULL, O_USER},
    {"header-timeout", required_argument, NULL, O_HEADER_TIMEOUT},
    {"max-connections", required_argument, NULL, O_MAXCONNS},
    {"max-client-connections", required_argument, NULL, O_MAXCLIENTCONNS},
    {NULL, 0, NULL, 0},
};

int dd_opts_parse(int argc, char **argv, dd_opts_t *o, char *err, size_t err_size)
{
	memset(o, 0, sizeof(*o));
	o->qtype = LDNS_RR_TYPE_A;
	an_policy_default(&o->policy);
	o->color = -1;
	engine_cfg_default(&o->engine);
	snprintf(o->listen, sizeof(o->listen), "127.0.0.1:8053");
	o->max_checks = 4;
	o->rate_per_min = 20;
	o->target_budget = 1200;
	o->header_timeout_s = 10;
	o->max_conns = 4096;
	o->max_client_conns = 64;
	int first = 1;
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		first = 2;
	else if (argc > 1 && strcmp(argv[1], "probe") == 0)
		o->cmd = DD_CMD_PROBE, first = 2;
	else if (argc > 1 && (strcmp(argv[1], "analyse") == 0 || strcmp(argv[1], "analyze") == 0))
		o->cmd = DD_CMD_ANALYSE, first = 2;
	else if (argc > 1 && strcmp(argv[1], "scan") == 0)
		o->cmd = DD_CMD_SCAN, first = 2;
	else if (argc > 1 && strcmp(argv[1], "serve") == 0)
		o->cmd = DD_CMD_SERVE, first = 2;
	/* getopt_long over argv[first-1 ..] with argv[first-1] as the program name. */
	int gargc = argc - first + 1;
	char **gargv = argv + first - 1;
	optind = 1;
	opterr = 0;
	int ch;
	unsigned u;
	const char *format_given = NULL; /* the first --json or --format value, for conflicts */
	while ((ch = getopt_long(gargc, gargv, ":h46", longopts, NULL)) != -1) {
		switch (ch) {
		case O_JSON:
		case O_FORMAT: {
			dd_format_t f;
			const char *given = ch == O_JSON ? "--json" : optarg;
			if (ch == O_JSON || strcmp(optarg, "json") == 0)
				f = DD_FMT_JSON;
			else if (strcmp(optarg, "text") == 0)
				f = DD_FMT_TEXT;
			else if (strcmp(optarg, "svg") == 0)
				f = DD_FMT_SVG;
			else if (strcmp(optarg, "nagios") == 0)
				f = DD_FMT_NAGIOS;
			else {
				snprintf(
				    err, err_size,
				    "--format: expected text, json, svg or nagios, got \"%.40s\"",
				    optarg);
				return DD_EINVAL;
			}
			if (format_given && f != o->format) {
				snprintf(err, err_size,
					 "%s%s and %s%s ask for different formats: give one",
					 strcmp(format_given, "--json") ? "--format " : "",
					 format_given, ch == O_JSON ? "" : "--format ", given);
				return DD_EINVAL;
			}
			o->format = f;
			format_given = ch == O_JSON	    ? "--json"
				       : f == DD_FMT_JSON   ? "json"
				       : f == DD_FMT_SVG    ? "svg"
				       : f == DD_FMT_NAGIOS ? "nagios"
							    : "text";
			break;
		}
		case O_AT:
			if (dd_parse_time(optarg, &o->at)) {
				snprintf(err, err_size,
					 "--at: expected RFC 3339 time (2026-11-25T12:00:00Z) or "
					 "epoch seconds, got \"%.60s\"",
					 optarg);
				return DD_EINVAL;
			}
			o->have_at = true;
			break;
		case O_WARN:
			if (parse_uint(optarg, 0, 3650, &o->policy.warn_days)) {
				snprintf(err, err_size,
					 "--warn-days: expected a number of days (0-3650), got "
					 "\"%.40s\"",
					 optarg);
				return DD_EINVAL;
			}
			break;
		case O_TA:
			ldns_rr_list_deep_free(o->anchors);
			o->anchors = NULL;
			if (dd_read_rrs(optarg, "--trust-anchor", true, &o->anchors, err, err_size))
				return DD_EINVAL;
			o->anchors_given = true;
			break;
		case O_HINTS:
			ldns_rr_list_deep_free(o->hints);
			o->hints = NULL;
			if (dd_read_rrs(optarg, "--root-hints", false, &o->hints, err, err_size))
				return DD_EINVAL;
			o->hints_given = true;
			break;
		case O_RESOLVER: {
			probe_resolver_t pr;
			if (dd_parse_resolver(optarg, &pr)) {
				snprintf(err, err_size,
					 "--resolver: expected an IPv4 or IPv6 address, optionally "
					 "with #PORT (192.0.2.53#5353), got \"%.60s\"",
					 optarg);
				return DD_EINVAL;
			}
			if (o->n_resolvers >= DD_MAX_RESOLVERS) {
				snprintf(err, err_size, "--resolver: at most %d resolvers",
					 DD_MAX_RESOLVERS);
				return DD_EINVAL;
			}
			if (add_resolver(&o->resolvers, &o->n_resolvers, &pr)) {
				snprintf(err, err_size, "out of memory");
				return DD_EINVAL;
			}
			break;
		}
		case O_DS: {
			ldns_rr *rr = NULL;
			if (dd_parse_ds(optarg, "whatif.invalid.", &rr)) {
				snprintf(err, err_size,
					 "--ds: expected DS RDATA (\"KEYTAG ALGORITHM DIGESTTYPE "
					 "DIGEST\") or a whole DS record, got \"%.80s\"",
					 optarg);
				return DD_EINVAL;
			}
			ldns_rr_free(rr);
			char **n = realloc(o->ds_whatif, (o->n_ds_whatif + 1) * sizeof(char *));
			if (!n) {
				snprintf(err, err_size, "out of memory");
				return DD_EINVAL;
			}
			o->ds_whatif = n;
			if (!(n[o->n_ds_whatif] = strdup(optarg))) {
				snprintf(err, err_size, "out of memory");
				return DD_EINVAL;
			}
			o->n_ds_whatif++;
			break;
		}
		case O_MAXVAL:
		case O_MAXN3H: {
			const char *name =
			    ch == O_MAXVAL ? "--max-validations" : "--max-nsec3-hashes";
			unsigned *dst = ch == O_MAXVAL ? &o->policy.max_validations
						       : &o->policy.max_nsec3_hashes;
			if (parse_uint(optarg, 1, 1000000, dst)) {
				snprintf(err, err_size, "%s: expected 1-1000000, got \"%.40s\"",
					 name, optarg);
				return DD_EINVAL;
			}
			break;
		}
		case O_NSEC3_LIMIT:
			if (parse_uint(optarg, 0, 65535, &o->policy.nsec3_iter_limit)) {
				snprintf(
				    err, err_size,
				    "--nsec3-iterations-limit: expected 0-65535, got \"%.40s\"",
				    optarg);
				return DD_EINVAL;
			}
			break;
		case O_NORES:
			o->no_resolvers = true;
			break;
		case O_CONC:
			if (parse_uint(optarg, 1, 1024, &o->scan_concurrency)) {
				snprintf(err, err_size,
					 "--concurrency: expected 1-1024, got \"%.40s\"", optarg);
				return DD_EINVAL;
			}
			break;
		case O_UNORDERED:
			o->scan_unordered = true;
			break;
		case O_TIMEOUT:
			if (parse_uint(optarg, 10, 60000, &u)) {
				snprintf(
				    err, err_size,
				    "--timeout: expected milliseconds (10-60000), got \"%.40s\"",
				    optarg);
				return DD_EINVAL;
			}
			o->engine.timeout_ms = u;
			break;
		case O_DEADLINE:
			if (parse_uint(optarg, 100, 600000, &u)) {
				snprintf(
				    err, err_size,
				    "--deadline: expected milliseconds (100-600000), got \"%.40s\"",
				    optarg);
				return DD_EINVAL;
			}
			o->engine.deadline_ms = u;
			break;
		case O_MAXQ:
			if (parse_uint(optarg, 1, 100000, &u)) {
				snprintf(
				    err, err_size,
				    "--max-queries: expected a number (1-100000), got \"%.40s\"",
				    optarg);
				return DD_EINVAL;
			}
			o->engine.max_queries = u;
			break;
		case O_LISTEN:
			if (strlen(optarg) >= sizeof(o->listen) || !strrchr(optarg, ':')) {
				snprintf(err, err_size,
					 "--listen: expected ADDR:PORT (127.0.0.1:8053, "
					 "[::1]:8053), got \"%.60s\"",
					 optarg);
				return DD_EINVAL;
			}
			snprintf(o->listen, sizeof(o->listen), "%s", optarg);
			break;
		case O_PRIVATE:
			o->allow_private = true;
			break;
		case O_MAXCHECKS:
			if (parse_uint(optarg, 1, 256, &o->max_checks)) {
				snprintf(err, err_size,
					 "--max-checks: expected a number (1-256), got \"%.40s\"",
					 optarg);
				return DD_EINVAL;
			}
			break;
		case O_RATE:
			if (parse_uint(optarg, 1, 1000000, &o->rate_per_min)) {
				snprintf(
				    err, err_size,
				    "--rate: expected checks per minute (1-1000000), got \"%.40s\"",
				    optarg);
				return DD_EINVAL;
			}
			break;
		case O_BUDGET:
			if (parse_uint(optarg, 1, 100000000, &o->target_budget)) {
				snprintf(err, err_size,
					 "--target-budget: expected queries per minute "
					 "(1-100000000), got \"%.40s\"",
					 optarg);
				return DD_EINVAL;
			}
			break;
		case O_USER:
			if (!optarg[0] || strlen(optarg) >= sizeof(o->user)) {
				snprintf(err, err_size,
					 "--user: expected a user name, got \"%.40s\"", optarg);
				return DD_EINVAL;
			}
			snprintf(o->user, sizeof(o->user), "%s", optarg);
			break;
		case O_HEADER_TIMEOUT:
			if (parse_uint(optarg, 1, 3600, &o->header_timeout_s)) {
				snprintf(
				    err, err_size,
				    "--header-timeout: expected seconds (1-3600), got \"%.40s\"",
				    optarg);
				return DD_EINVAL;
			}
			break;
		case O_MAXCONNS:
			if (parse_uint(optarg, 1, 1000000, &o->max_conns)) {
				snprintf(err, err_size,
					 "--max-connections: expected a number (1-1000000), got "
					 "\"%.40s\"",
					 optarg);
				return DD_EINVAL;
			}
			break;
		case O_MAXCLIENTCONNS:
			if (parse_uint(optarg, 1, 1000000, &o->max_client_conns)) {
				snprintf(err, err_size,
					 "--max-client-connections: expected a number (1-1000000), "
					 "got \"%.40s\"",
					 optarg);
				return DD_EINVAL;
			}
			break;
		case O_COLOR:
		case O_NOCOLOR:
			if (o->color == (ch == O_COLOR ? 0 : 1)) {
				snprintf(err, err_size,
					 "--color and --no-color exclude each other");
				return DD_EINVAL;
			}
			o->color = ch == O_COLOR;
			break;
		case O_LIST:
			o->list_findings = true;
			break;
		case O_VERSION:
			o->version = true;
			break;
		case 'h':
			o->help = true;
			break;
		case '4':
			o->v4_only = true;
			break;
		case '6':
			o->v6_only = true;
			break;
		case ':':
			snprintf(err, err_size, "option %.60s needs a value (see --help)",
				 gargv[optind - 1]);
			return DD_EINVAL;
		default:
			snprintf(err, err_size, "unknown option %.60s (see --help)",
				 gargv[optind - 1]);
			return DD_EINVAL;
		}
	}
	if (o->help || o->version || o->list_findings)
		return 0;
	if (o->v4_only && o->v6_only) {
		snprintf(err, err_size, "-4 and -6 exclude each other");
		return DD_EINVAL;
	}
	if (o->no_resolvers && o->n_resolvers) {
		snprintf(err, err_size, "--no-resolvers and --resolver exclude each other");
		return DD_EINVAL;
	}
	if (format_given && o->format != DD_FMT_JSON &&
	    (o->cmd == DD_CMD_PROBE || o->cmd == DD_CMD_SCAN || o->cmd == DD_CMD_SERVE)) {
		snprintf(err, err_size, "--format %s: %s", format_given,
			 o->cmd == DD_CMD_PROBE	 ? "probe writes evidence JSON only"
			 : o->cmd == DD_CMD_SCAN ? "scan writes one JSON object a line only"
						 : "serve answers in HTML and JSON by request");
		return DD_EINVAL;
	}
	int rest = gargc - optind;
	char **args = gargv + optind;
	if (o->cmd == DD_CMD_ANALYSE) {
		if (rest != 1) {
			snprintf(err, err_size,
				 "analyse: expected one evidence file (or - for standard input)");
			return DD_EINVAL;
		}
		o->evidence_file = strdup(args[0]);
		return 0;
	}
	if (o->cmd == DD_CMD_SCAN) {
		if (rest > 1) {
			snprintf(err, err_size,
				 "scan: expected at most one input file (or - for standard input)");
			return DD_EINVAL;
		}
		o->evidence_file = strdup(rest ? args[0] : "-");
		return 0;
	}
	if (o->cmd == DD_CMD_SERVE) {
		if (rest != 0) {
			snprintf(err, err_size,
				 "serve: unexpected argument \"%.60s\" (names come in over HTTP)",
				 args[0]);
			return DD_EINVAL;
		}
		return 0;
	}
	if (rest < 1 || rest > 2) {
		snprintf(err, err_size,
			 rest < 1 ? "missing NAME (see --help)"
				  : "too many arguments (expected NAME [TYPE])");
		return DD_EINVAL;
	}
	return dd_parse_query(args[0], rest == 2 ? args[1] : NULL, &o->name, &o->qtype, err,
			      err_size);
}

/* `s` for a message: at most size-1 bytes, control characters and DEL shown as '?'. */
static void printable(const char *s, char *out, size_t size)
{
	size_t n = 0;
	for (; s && *s && n + 1 < size; s++)
		out[n++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	out[n] = '\0';
}

int dd_parse_query(const char *name, const char *type, char **canon, uint16_t *qtype, char *err,
		   size_t err_size)
{
	*canon = NULL;
	*qtype = LDNS_RR_TYPE_A;
	uint8_t wire[255];
	size_t wl;
	const char *why = NULL;
	char ascii[1100], host[256], shown[81];
	printable(name, shown, sizeof(shown));
	if (name && dd_name_is_url(name, host, sizeof(host))) {
		if (!dd_name_has_space(host) && *host)
			snprintf(
			    err, err_size,
			    "invalid name \"%s\": a URL, not a name; to check its host, give %s",
			    shown, host);
		else
			snprintf(err, err_size,
				 "invalid name \"%s\": a URL, not a name; give the host name alone",
				 shown);
		return DD_EINVAL;
	}
	if (name && dd_name_has_space(name)) {
		snprintf(err, err_size,
			 "invalid name \"%s\": white space or a control character inside the name "
			 "(a label that "
			 "really holds one is written with an escape: \\032 for a space)",
			 shown);
		return DD_EINVAL;
	}
	if (!name || dd_name_idn(name, ascii, sizeof(ascii), &why) ||
	    dd_name_from_text(ascii, wire, &wl, &why)) {
		snprintf(err, err_size, "invalid name \"%s\": %s", shown, why ? why : "malformed");
		return DD_EINVAL;
	}
	const char *twhy = NULL;
	if (type && dd_qtype_parse(type, qtype, &twhy)) {
		snprintf(err, err_size, "unsupported query type \"%.40s\": %s", type, twhy);
		return DD_EINVAL;
	}
	char text[1024];
	dd_name_to_text(wire, wl, text);
	*canon = strdup(text);
	return *canon ? 0 : DD_ENOMEM;
}

int dd_qtype_parse(const char *s, uint16_t *out, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = "unknown record type";
	if (!s || !*s || strlen(s) > 64)
		return DD_EINVAL;
	unsigned long t;
	if (strncasecmp(s, "TYPE", 4) == 0 && s[4]) {
		/* RFC 3597 TYPEnnn: ldns reads the number with strtol and keeps the low 16 bits,
		 * so TYPE65788 would become AXFR; read it ourselves. */
		for (const char *p = s + 4; *p; p++)
			if (!isdigit((unsigned char)*p))
				return DD_EINVAL;
		const char *digits = s + 4 + strspn(s + 4, "0");
		t = strlen(digits) > 5 ? 65536 : strtoul(digits, NULL, 10);
		if (t > 65535) {
			*why = "type numbers end at 65535";
			return DD_EINVAL;
		}
	} else {
		if (strlen(s) > 16)
			return DD_EINVAL;
		t = ldns_get_rr_type_by_name(s);
		if (t == 0 && strcasecmp(s, "ANY") != 0)
			return DD_EINVAL;
		if (strcasecmp(s, "ANY") == 0)
			t = LDNS_RR_TYPE_ANY;
	}
	/* RFC 6895 section 3.1: 0 is reserved, OPT (41) is a pseudo-record, 128-255 are
	 * meta and query-only types (TKEY, TSIG, IXFR, AXFR, MAILB, MAILA, ANY). */
	if (t == 0 || t == LDNS_RR_TYPE_OPT || (t >= 128 && t <= 255)) {
		*why = "a meta or query-only type, not a record type a zone holds (try A, AAAA, "
		       "MX, TXT or DNSKEY)";
		return DD_EINVAL;
	}
	*out = (uint16_t)t;
	*why = NULL;
	return 0;
}

int dd_parse_qtype(const char *s, uint16_t *out)
{
	return dd_qtype_parse(s, out, NULL);
}

void dd_opts_free(dd_opts_t *o)
{
	free(o->name);
	free(o->evidence_file);
	ldns_rr_list_deep_free(o->anchors);
	ldns_rr_list_deep_free(o->hints);
	free(o->resolvers);
	for (size_t i = 0; i < o->n_ds_whatif; i++)
		free(o->ds_whatif[i]);
	free(o->ds_whatif);
}
