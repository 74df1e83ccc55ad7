/*
 * options.h — the command line, parsed into a configuration struct.
 *
 * Parsing never exits the process: errors come back as DD_EINVAL with a
 * one-line message naming the problem (for exit code 3).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <ldns/ldns.h>

#include "analyse/analyse.h"
#include "probe/probe.h"

typedef enum dd_cmd {
	DD_CMD_CHECK,
	DD_CMD_PROBE,
	DD_CMD_ANALYSE,
	DD_CMD_SCAN,
	DD_CMD_SERVE
} dd_cmd_t;
typedef enum dd_format { DD_FMT_TEXT, DD_FMT_JSON, DD_FMT_SVG, DD_FMT_NAGIOS } dd_format_t;

typedef struct dd_opts {
	dd_cmd_t cmd;
	dd_format_t format;
	char *name; /* canonical query name (check/probe) */
	uint16_t qtype;
	char *evidence_file;	   /* analyse; scan: the input ("-" for standard input) */
	unsigned scan_concurrency; /* scan: checks at once (default 16) */
	bool scan_unordered;	   /* scan: print results as they come */
	bool have_at;
	int64_t at; /* --at */
	an_policy_t policy;
	ldns_rr_list *anchors;	     /* owned; NULL until set */
	bool anchors_given;	     /* --trust-anchor */
	ldns_rr_list *hints;	     /* owned */
	bool hints_given;	     /* --root-hints */
	probe_resolver_t *resolvers; /* --resolver, parsed; owned */
	size_t n_resolvers;
	bool no_resolvers;
	bool v4_only, v6_only;
	bool v6_route;	       /* this machine can reach IPv6 (set by dd_check_setup) */
	probe_cache_t *pcache; /* scan: root and TLD answers shared by its checks (not an option) */
	char **ds_whatif;      /* --ds, as given */
	size_t n_ds_whatif;
	int color; /* -1 auto, 0 never, 1 always */
	engine_cfg_t engine;
	bool help, version, list_findings;
	/* serve */
	char listen[80];       /* ADDR:PORT or [V6]:PORT; default 127.0.0.1:8053 */
	bool allow_private;    /* query private, loopback, link-local ... addresses */
	unsigned max_checks;   /* checks running at once (worker processes); default 4 */
	unsigned rate_per_min; /* checks per client address (IPv6: /64) per minute; default 20 */
	unsigned
	    target_budget; /* queries per server address per minute, all checks; default 1200 */
	char user[64];	   /* --user: whom to run as when started as root; "" = nobody */
	unsigned header_timeout_s; /* a request head must arrive whole within this; default 10 */
	unsigned max_conns; /* connections at once, all clients; default 4096 (lowered to fit the fd
			       limit) */
	unsigned
	    max_client_conns; /* connections at once per client address (IPv6: /64); default 64 */
	/* Set by serve, not by the command line: consulted before each query (see
	 * probe_cfg_t.gate). */
	int (*gate)(void *arg, const char *addr, bool resolver, char *why, size_t why_size);
	void (*ungate)(void *arg, const char *addr);
	void *gate_arg;
} dd_opts_t;

/* A query from text: the canonical name (caller frees) and the type (NULL: A).
 * Returns 0, or DD_EINVAL with a message in `err`. */
int dd_parse_query(const char *name, const char *type, char **canon, uint16_t *qtype, char *err,
		   size_t err_size);

/* Parse argv. Returns 0, or DD_EINVAL with `err` holding the message. */
int dd_opts_parse(int argc, char **argv, dd_opts_t *o, char *err, size_t err_size);
void dd_opts_free(dd_opts_t *o);

/*
 * Read DS/DNSKEY (anchors) or NS/A/AAAA (hints) records in zone-file syntax
 * from `path`. `what` is "--trust-anchor" or "--root-hints" for messages.
 * Returns 0 and an owned list, or DD_EIO/DD_EPARSE with a message in `err`.
 */
int dd_read_rrs(const char *path, const char *what, bool anchors, ldns_rr_list **out, char *err,
		size_t err_size);

/* The same from an open stream (not closed); `path` only names it in messages.
 * At most 1000 records; $INCLUDE is refused. */
int dd_read_rrs_fp(FILE *f, const char *path, const char *what, bool anchors, ldns_rr_list **out,
		   char *err, size_t err_size);

/* The compiled-in IANA root anchors and root hints. */
int dd_builtin_anchors(ldns_rr_list **out);
int dd_builtin_hints(ldns_rr_list **out);

/* Parse a resolver address "ADDR[#PORT]" (IPv4 or IPv6). Returns 0 or DD_EINVAL. */
int dd_parse_resolver(const char *s, probe_resolver_t *out);

#define DD_MAX_RESOLVERS 16

/* A DS record from text: a whole record, or RDATA given `owner`. Returns 0 or DD_EINVAL. */
int dd_parse_ds(const char *text, const char *owner, ldns_rr **out);

/*
 * The default resolvers: public validating resolvers (IPv6 ones only when
 * `v6`) and the nameserver lines of `resolv_conf` (labelled "system").
 * Returns 0 and an owned array, or DD_ENOMEM.
 */
int dd_default_resolvers(bool v6, const char *resolv_conf, probe_resolver_t **out, size_t *n);

/* A query type mnemonic ("A", "dnskey", "TYPE65"). Refused: numbers above 65535, TYPE0, OPT and the
 * meta and query-only types 128-255 (ANY, AXFR, IXFR, TSIG, TKEY, MAILA, MAILB). Returns 0, or
 * DD_EINVAL with `why` (may be NULL) pointing to a static reason. */
int dd_qtype_parse(const char *s, uint16_t *out, const char **why);
/* The same without the reason. */
int dd_parse_qtype(const char *s, uint16_t *out);

/* Parse --at: RFC 3339 ("2026-11-25T12:00:00Z") or seconds since the epoch. */
int dd_parse_time(const char *s, int64_t *out);

/* Usage text. */
extern const char dd_usage[];
