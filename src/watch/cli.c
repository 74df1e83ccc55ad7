/*
 * cli.c — the command lines of `watch` and `history`, and the names file.
 *
 * watch's own options (--interval, --db, --keep-days, --listen,
 * --max-checks, --rounds) are taken out here; everything else goes to the
 * shared parser (dd_opts_parse) as for `scan`, so the check options and
 * their error messages are the same as everywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/check.h"
#include "common/dd.h"
#include "watch/watch.h"
#include "watch/watch_int.h"

#define EXIT_USAGE 3
#define LINE_MAX_LEN 1024

static const char watch_usage[] =
    "usage: dnssec-doctor watch [options] NAMES-FILE\n"
    "Check every \"NAME [TYPE]\" line of NAMES-FILE again and again; serve Prometheus metrics and "
    "a status page;\n"
    "keep the history in SQLite. SIGHUP reloads NAMES-FILE; SIGTERM stops (history written). See "
    "docs/watch.md.\n"
    "  --interval SECONDS   check each name this often (default 300; 1 or more)\n"
    "  --db FILE            history database (default $STATE_DIRECTORY/watch.db, else\n"
    "                       /var/lib/dnssec-doctor/watch.db)\n"
    "  --keep-days N        delete history older than this (default 90)\n"
    "  --listen ADDR:PORT   serve /metrics, /healthz, / (status page) and /report (default: no "
    "HTTP)\n"
    "  --max-checks N       checks at once (default 16, 1-1024)\n"
    "  --rounds N           stop after checking every name N times (default: run until SIGTERM)\n"
    "and the check options of `dnssec-doctor check` (--trust-anchor, --root-hints, --resolver, "
    "--no-resolvers,\n"
    "--warn-days, --timeout, --deadline, --max-queries, -4, -6 ...; see dnssec-doctor --help).\n";

static const char history_usage[] =
    "usage: dnssec-doctor history [--db FILE] [--json] NAME [TYPE]\n"
    "Print the timeline `watch` recorded for NAME: one line per change of status or findings, "
    "newest first.\n";

const char *watch_default_db(char *buf, size_t size)
{
	const char *sd =
	    getenv("STATE_DIRECTORY"); /* systemd's StateDirectory= (the first, if several) */
	if (sd && sd[0] == '/') {
		size_t l = strcspn(sd, ":");
		snprintf(buf, size, "%.*s/watch.db", (int)l, sd);
	} else {
		snprintf(buf, size, "/var/lib/dnssec-doctor/watch.db");
	}
	return buf;
}

int watch_name_cmp(const char *name_a, const char *type_a, const char *name_b, const char *type_b)
{
	int c = strcmp(name_a, name_b);
	return c ? c : strcmp(type_a, type_b);
}

static int cmp_names(const void *a, const void *b)
{
	const watch_name_t *x = a, *y = b;
	return watch_name_cmp(x->name, x->type, y->name, y->type);
}

void watch_names_free(watch_name_t *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}

/* One line: fills `out` or says why not. */
static int parse_line(char *line, watch_name_t *out, char *why, size_t why_size)
{
	char *save = NULL;
	char *name = strtok_r(line, " \t", &save);
	char *type = strtok_r(NULL, " \t", &save);
	if (strtok_r(NULL, " \t", &save)) {
		snprintf(why, why_size, "expected NAME [TYPE]");
		return DD_EINVAL;
	}
	if (dd_parse_query(name, type, &out->name, &out->qtype, why, why_size))
		return DD_EINVAL;
	char *t = ldns_rr_type2str((ldns_rr_type)out->qtype);
	snprintf(out->type, sizeof(out->type), "%s", t ? t : "A");
	free(t);
	return 0;
}

int watch_names_load(const char *path, watch_name_t **out, size_t *n_out, char *err,
		     size_t err_size)
{
	*out = NULL;
	*n_out = 0;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_size, "cannot read %.300s: %s", path, strerror(errno));
		return DD_EIO;
	}
	watch_name_t *v = NULL;
	size_t n = 0, cap = 0;
	char buf[LINE_MAX_LEN + 2];
	unsigned long lineno = 0;
	int ret = 0;
	while (fgets(buf, sizeof(buf), f)) {
		lineno++;
		size_t l = strlen(buf);
		if (l && buf[l - 1] == '\n')
			buf[--l] = '\0';
		else if (!feof(f)) {
			snprintf(err, err_size, "%.300s line %lu: longer than %d characters", path,
				 lineno, LINE_MAX_LEN);
			ret = DD_EINVAL;
			break;
		}
		if (l && buf[l - 1] == '\r')
			buf[--l] = '\0';
		char *p = buf + strspn(buf, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		if (n == WATCH_NAMES_MAX) {
			snprintf(err, err_size, "%.300s: more than %d names", path,
				 WATCH_NAMES_MAX);
			ret = DD_EINVAL;
			break;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			watch_name_t *nv = realloc(v, nc * sizeof(*v));
			if (!nv) {
				snprintf(err, err_size, "out of memory");
				ret = DD_ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		char why[300];
		if (parse_line(p, &v[n], why, sizeof(why))) {
			snprintf(err, err_size, "%.300s line %lu: %s", path, lineno, why);
			ret = DD_EINVAL;
			break;
		}
		n++;
	}
	if (!ret && ferror(f)) {
		snprintf(err, err_size, "%.300s: read error", path);
		ret = DD_EIO;
	}
	fclose(f);
	if (ret) {
		watch_names_free(v, n);
		return ret;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && cmp_names(&v[k - 1], &v[i]) == 0)
			free(v[i].name);
		else
			v[k++] = v[i];
	}
	*out = v;
	*n_out = k;
	return 0;
}

/* A number option's value in [lo, hi]. */
static int parse_num(const char *opt, const char *s, unsigned long lo, unsigned long hi,
		     unsigned *out, char *err, size_t err_size)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = s && *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
	if (!s || !end || *end || errno || v < lo || v > hi) {
		snprintf(err, err_size, "%s: expected a number (%lu-%lu), got \"%.40s\"", opt, lo,
			 hi, s ? s : "");
		return DD_EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* Shared options that take a value: their value passes through with them. */
static bool takes_value(const char *a)
{
	static const char *const with_value[] = {"--warn-days",
						 "--trust-anchor",
						 "--root-hints",
						 "--resolver",
						 "--nsec3-iterations-limit",
						 "--timeout",
						 "--deadline",
						 "--max-queries"};
	for (size_t i = 0; i < DD_ARRAY_LEN(with_value); i++)
		if (strcmp(a, with_value[i]) == 0)
			return true;
	return false;
}

/* Options of other commands that mean nothing to watch. */
static bool refused(const char *a)
{
	static const char *const no[] = {"--json",
					 "--format",
					 "--at",
					 "--ds",
					 "--concurrency",
					 "--unordered",
					 "--allow-private",
					 "--rate",
					 "--target-budget",
					 "--color",
					 "--no-color"};
	size_t l = strcspn(a, "=");
	for (size_t i = 0; i < DD_ARRAY_LEN(no); i++)
		if (strlen(no[i]) == l && strncmp(a, no[i], l) == 0)
			return true;
	return false;
}

/* Take watch's own option at argv[*i] (with "=VALUE" or the next argument). 1: taken, 0: not ours,
 * <0: error. */
static int own_option(watch_cfg_t *c, int argc, char **argv, int *i, char *err, size_t err_size)
{
	static const char *const own[] = {"--interval", "--db",		"--keep-days",
					  "--listen",	"--max-checks", "--rounds"};
	const char *a = argv[*i];
	size_t l = strcspn(a, "=");
	size_t k = 0;
	while (k < DD_ARRAY_LEN(own) && !(strlen(own[k]) == l && strncmp(a, own[k], l) == 0))
		k++;
	if (k == DD_ARRAY_LEN(own))
		return 0;
	const char *v = a[l] == '=' ? a + l + 1 : *i + 1 < argc ? argv[++*i] : NULL;
	if (!v) {
		snprintf(err, err_size, "option %s needs a value (see dnssec-doctor watch --help)",
			 own[k]);
		return DD_EINVAL;
	}
	switch (k) {
	case 0:
		return parse_num("--interval", v, 1, 31536000, &c->interval_s, err, err_size)
			   ? DD_EINVAL
			   : 1;
	case 1:
		if (!*v || strlen(v) >= sizeof(c->db_path)) {
			snprintf(err, err_size, "--db: expected a file name");
			return DD_EINVAL;
		}
		snprintf(c->db_path, sizeof(c->db_path), "%s", v);
		return 1;
	case 2:
		return parse_num("--keep-days", v, 1, 36500, &c->keep_days, err, err_size)
			   ? DD_EINVAL
			   : 1;
	case 3:
		if (strlen(v) >= sizeof(c->listen) || !strrchr(v, ':')) {
			snprintf(err, err_size,
				 "--listen: expected ADDR:PORT (127.0.0.1:9553, [::1]:9553), got "
				 "\"%.60s\"",
				 v);
			return DD_EINVAL;
		}
		snprintf(c->listen, sizeof(c->listen), "%s", v);
		return 1;
	case 4:
		return parse_num("--max-checks", v, 1, 1024, &c->max_checks, err, err_size)
			   ? DD_EINVAL
			   : 1;
	default:
		return parse_num("--rounds", v, 1, 1000000, &c->rounds, err, err_size) ? DD_EINVAL
										       : 1;
	}
}

/* Parse watch's command line into `c` (its options set up for checks). Returns 0, 1 (help shown) or
 * DD_EINVAL. */
static int watch_parse(int argc, char **argv, watch_cfg_t *c, char *err, size_t err_size)
{
	c->interval_s = 300;
	c->keep_days = 90;
	c->max_checks = 16;
	watch_default_db(c->db_path, sizeof(c->db_path));
	char **pass = calloc((size_t)argc + 2, sizeof(char *));
	if (!pass) {
		snprintf(err, err_size, "out of memory");
		return DD_ENOMEM;
	}
	int np = 0;
	pass[np++] = argv[0];
	pass[np++] = "scan"; /* the shared parser takes the names file as scan's input file */
	bool dashdash = false;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!dashdash && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			fputs(watch_usage, stdout);
			free(pass);
			return 1;
		}
		if (!dashdash && strcmp(a, "--") == 0)
			dashdash = true;
		int r = dashdash ? 0 : own_option(c, argc, argv, &i, err, err_size);
		if (r < 0) {
			free(pass);
			return r;
		}
		if (r > 0)
			continue;
		if (!dashdash && refused(a)) {
			snprintf(
			    err, err_size,
			    "watch: %.40s does not apply to watch (see dnssec-doctor watch --help)",
			    a);
			free(pass);
			return DD_EINVAL;
		}
		pass[np++] = argv[i];
		if (!dashdash && takes_value(a) && i + 1 < argc)
			pass[np++] = argv[++i];
	}
	int rc = dd_opts_parse(np, pass, &c->o, err, err_size);
	free(pass);
	if (rc)
		return rc;
	if (!c->o.evidence_file || strcmp(c->o.evidence_file, "-") == 0) {
		snprintf(
		    err, err_size,
		    "watch: expected a names file (\"NAME [TYPE]\" lines; standard input cannot be "
		    "reloaded)");
		return DD_EINVAL;
	}
	c->names_file = c->o.evidence_file;
	return 0;
}

int watch_main(int argc, char **argv)
{
	watch_cfg_t c;
	memset(&c, 0, sizeof(c));
	char err[600] = "";
	int rc = watch_parse(argc, argv, &c, err, sizeof(err));
	int code = EXIT_USAGE;
	if (rc == 1)
		code = 0;
	else if (rc)
		fprintf(stderr, "dnssec-doctor: %s\n", err);
	else if (dd_check_setup(&c.o, err, sizeof(err)))
		fprintf(stderr, "dnssec-doctor: %s\n", err);
	else
		code = watch_run(&c);
	dd_opts_free(&c.o);
	return code;
}

int watch_history_main(int argc, char **argv)
{
	char db_path[4096];
	watch_default_db(db_path, sizeof(db_path));
	bool json = false;
	const char *args[3];
	int n = 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(history_usage, stdout);
			return 0;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--db") == 0 || strncmp(a, "--db=", 5) == 0) {
			const char *v = a[4] == '=' ? a + 5 : i + 1 < argc ? argv[++i] : NULL;
			if (!v || !*v || strlen(v) >= sizeof(db_path)) {
				fprintf(stderr, "dnssec-doctor: --db: expected a file name\n");
				return EXIT_USAGE;
			}
			snprintf(db_path, sizeof(db_path), "%s", v);
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "dnssec-doctor: history: unknown option %.60s\n%s", a,
				history_usage);
			return EXIT_USAGE;
		} else if (n < 3) {
			args[n++] = a;
		} else {
			n++;
		}
	}
	if (n < 1 || n > 2) {
		fprintf(stderr, "dnssec-doctor: history: expected NAME [TYPE]\n%s", history_usage);
		return EXIT_USAGE;
	}
	char err[600];
	watch_name_t q;
	char line[LINE_MAX_LEN + 64];
	snprintf(line, sizeof(line), "%.1000s %.40s", args[0], n == 2 ? args[1] : "A");
	if (parse_line(line, &q, err, sizeof(err))) {
		fprintf(stderr, "dnssec-doctor: history: %s\n", err);
		return EXIT_USAGE;
	}
	watch_db_t *db = NULL;
	int code = EXIT_USAGE;
	if (watch_db_open(db_path, true, &db, err, sizeof(err))) {
		fprintf(stderr, "dnssec-doctor: %s\n", err);
	} else {
		int rc = watch_history_print(db, stdout, q.name, n == 2 ? q.type : NULL, json,
					     (int64_t)time(NULL));
		if (rc == DD_ENOTFOUND)
			fprintf(stderr, "dnssec-doctor: history: %s has no history in %s\n", q.name,
				db_path);
		else if (rc)
			fprintf(stderr, "dnssec-doctor: history: cannot read %s\n", db_path);
		else
			code = 0;
	}
	watch_db_close(db);
	free(q.name);
	return code;
}
