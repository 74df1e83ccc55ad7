/* dnssec-doctor — find the broken link behind a DNSSEC SERVFAIL. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "analyse/analyse.h"
#include "cli/options.h"
#include "common/dd.h"
#include "evidence/evidence.h"
#include "probe/probe.h"
#include "report/report.h"

#define EXIT_USAGE 3
#define MAX_EVIDENCE_BYTES (64u << 20)

static void die_usage(const char *msg)
{
	fprintf(stderr, "dnssec-doctor: %s\n", msg);
}

static bool offline(void)
{
	const char *v = getenv("DNSSEC_DOCTOR_OFFLINE");
	return v && *v && strcmp(v, "0") != 0;
}

/* Is there a route for this family? connect() on UDP sends nothing. */
static bool have_route(int family)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(53);
		inet_pton(AF_INET6, "2001:500:2f::f", &s6->sin6_addr);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(53);
		inet_pton(AF_INET, "192.5.5.241", &s4->sin_addr);
		len = sizeof(*s4);
	}
	bool ok = connect(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return ok;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
	}
	free(s);
}

static void list_findings(void)
{
	printf("%-28s %-8s %-4s %-16s %s\n", "ID", "SEVERITY", "EDE", "WHO", "RFC");
	for (unsigned i = 0; i < AN_F__COUNT; i++) {
		const an_finding_def_t *d = an_finding_def((an_fid_t)i);
		char ede[16] = "-";
		if (d->ede >= 0)
			snprintf(ede, sizeof(ede), "%d", d->ede);
		printf("%-28s %-8s %-4s %-16s %s\n", d->id, an_severity_name(d->severity), ede, an_who_name(d->who),
		       d->rfc);
	}
}

static int load_evidence(const char *path, evidence_t **ev)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		fprintf(stderr, "dnssec-doctor: cannot read %s: %s\n", path, strerror(errno));
		return DD_EIO;
	}
	struct stat st;
	if (f != stdin && fstat(fileno(f), &st) == 0 && (size_t)st.st_size > MAX_EVIDENCE_BYTES) {
		fprintf(stderr, "dnssec-doctor: %s: evidence larger than 64 MiB\n", path);
		fclose(f);
		return DD_EPARSE;
	}
	json_error_t jerr;
	json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	if (f != stdin)
		fclose(f);
	if (!root) {
		fprintf(stderr, "dnssec-doctor: %s: line %d: not valid JSON: %s\n", path, jerr.line, jerr.text);
		return DD_EPARSE;
	}
	char err[300];
	int r = ev_from_json(root, ev, err, sizeof(err));
	json_decref(root);
	if (r)
		fprintf(stderr, "dnssec-doctor: %s: %s\n", path, err);
	return r;
}

static int report(const dd_opts_t *o, const evidence_t *ev)
{
	an_result_t *res = NULL;
	int64_t at = o->have_at ? o->at : ev->probed_at;
	if (an_analyse(ev, at, &o->policy, o->anchors_given ? o->anchors : NULL, &res)) {
		die_usage("out of memory during analysis");
		return EXIT_USAGE;
	}
	if (o->format == DD_FMT_JSON) {
		json_t *j = rep_json(res, ev);
		print_json(j);
		json_decref(j);
	} else {
		bool color = o->color == 1 || (o->color < 0 && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
		rep_text(stdout, res, ev, color);
	}
	int code = an_exit_code(res);
	an_result_free(res);
	return code;
}

int main(int argc, char **argv)
{
	dd_opts_t o;
	char err[512] = "";
	if (dd_opts_parse(argc, argv, &o, err, sizeof(err))) {
		die_usage(err);
		dd_opts_free(&o);
		return EXIT_USAGE;
	}
	if (o.help) {
		fputs(dd_usage, stdout);
		dd_opts_free(&o);
		return 0;
	}
	if (o.version) {
		printf("dnssec-doctor %s (ldns %s, %s)\n", DD_VERSION_STRING, ldns_version(), OpenSSL_version(OPENSSL_VERSION));
		dd_opts_free(&o);
		return 0;
	}
	if (o.list_findings) {
		list_findings();
		dd_opts_free(&o);
		return 0;
	}
	int code = EXIT_USAGE;
	evidence_t *ev = NULL;
	if (o.cmd == DD_CMD_ANALYSE) {
		if (load_evidence(o.evidence_file, &ev) == 0)
			code = report(&o, ev);
		goto out;
	}
	if (!o.hints_given) {
		if (offline()) {
			die_usage("DNSSEC_DOCTOR_OFFLINE is set: the built-in root servers are refused; give --root-hints FILE");
			goto out;
		}
		dd_builtin_hints(&o.hints);
	}
	if (!o.anchors_given)
		dd_builtin_anchors(&o.anchors);
	if (offline() && o.n_resolvers == 0)
		o.no_resolvers = true; /* never fall back to public or system resolvers here */

	probe_cfg_t pc;
	probe_cfg_default(&pc);
	pc.engine = o.engine;
	pc.root_hints = o.hints;
	pc.anchors = o.anchors;
	pc.use_v4 = !o.v6_only;
	pc.use_v6 = !o.v4_only && have_route(AF_INET6);
	pc.now = (int64_t)time(NULL);
	int r = probe_run(&pc, o.name, o.qtype, &ev);
	if (r) {
		snprintf(err, sizeof(err), "%s: %s", o.name, r == DD_EINVAL ? "the root hints hold no usable server, or the name lies outside them" : dd_strerror(r));
		die_usage(err);
		goto out;
	}
	if (o.cmd == DD_CMD_PROBE) {
		json_t *j = ev_to_json(ev);
		print_json(j);
		json_decref(j);
		code = 0;
	} else {
		code = report(&o, ev);
	}
out:
	ev_free(ev);
	dd_opts_free(&o);
	return code;
}
