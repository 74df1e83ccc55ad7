/*
 * evidence.h — what the probe saw, per server and per query, as plain data.
 *
 * Evidence serialises to JSON and loads back (ev_to_json / ev_from_json), so
 * that analysis can be re-run without the network ("dnssec-doctor analyse").
 * Responses are kept as raw wire bytes (base64 in JSON): the analyser parses
 * them itself, so what it judges is exactly what the server sent.
 * All names are presentation format, lower-case, with the trailing dot.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define EV_FORMAT_VERSION 1

/* The loader refuses evidence with more zones or exchanges than this; the
 * probe stops before it records more (what it saves must load again). */
#define EV_MAX_ZONES 256
#define EV_MAX_EXCHANGES 20000

/* Why a query was sent; the analyser selects exchanges by zone and purpose. */
#define EV_PURPOSES(X)                                                                             \
	X(EV_P_NS, "ns")		   /* NS at a candidate cut, asked of the parent */        \
	X(EV_P_SOA, "soa")		   /* SOA at the zone apex */                              \
	X(EV_P_DS, "ds")		   /* DS of the zone, asked of the parent's servers */     \
	X(EV_P_DNSKEY, "dnskey")	   /* DNSKEY at the apex, asked of the zone's servers */   \
	X(EV_P_ANSWER, "answer")	   /* the queried name (or a CNAME target) */              \
	X(EV_P_ADDR, "addr")		   /* A/AAAA of a name server without glue */              \
	X(EV_P_APEX_NS, "apex-ns")	   /* NS at the apex, asked of the zone's own servers */   \
	X(EV_P_NSEC3PARAM, "nsec3param")   /* NSEC3PARAM at the apex of a zone holding a target */ \
	X(EV_P_CDS, "cds")		   /* CDS at the apex of a zone holding a target */        \
	X(EV_P_CDNSKEY, "cdnskey")	   /* CDNSKEY at the apex of a zone holding a target */    \
	X(EV_P_RESOLVER, "resolver")	   /* the query, RD+DO, asked of a resolver */             \
	X(EV_P_RESOLVER_CD, "resolver-cd") /* the same with CD (checking disabled) */              \
	X(EV_P_RESOLVER_CHECK,                                                                     \
	  "resolver-check") /* SOA of the anchored start zone: does it set AD? */                  \
	X(EV_P_NOEDNS,                                                                             \
	  "soa-noedns") /* SOA at the apex without EDNS: does a server silent to EDNS answer? */

typedef enum ev_purpose {
#define EV_P_ENUM(sym, str) sym,
	EV_PURPOSES(EV_P_ENUM)
#undef EV_P_ENUM
	    EV_P__COUNT
} ev_purpose_t;

const char *ev_purpose_name(ev_purpose_t p);
int ev_purpose_from_name(const char *s, ev_purpose_t *out);

/* The flags a query was sent with, as the evidence records them ("qflags"). The
 * values are part of the version-1 evidence JSON and equal the engine's
 * ENGINE_F_* (the probe checks this at compile time). */
#define EV_F_DO 0x01	    /* DO set in EDNS0 */
#define EV_F_CD 0x02	    /* CD set */
#define EV_F_RD 0x04	    /* RD set (resolvers) */
#define EV_F_NOEDNS 0x08    /* sent without OPT */
#define EV_F_TCP 0x10	    /* straight to TCP */
#define EV_F_IF_SILENT 0x20 /* sent only if the address was still silent */

typedef struct ev_exchange {
	char *zone; /* the zone this exchange is evidence for (NULL for resolvers) */
	ev_purpose_t purpose;
	char *server;  /* IP address text (no port) */
	uint16_t port; /* 53 unless a test world says otherwise */
	char *ns_name; /* name server name, may be NULL */
	char *qname;
	uint16_t qtype;
	unsigned qflags;  /* EV_F_* used */
	int err;	  /* 0 or DD_E* */
	char *why;	  /* detail for err, may be NULL */
	unsigned sent_ms; /* when it was sent, ms after the check started */
	unsigned rtt_ms;
	unsigned tries;
	bool tcp;
	bool udp_truncated;
	bool cached;	    /* taken from the process's cache of root and TLD answers */
	bool udp_oversized; /* the UDP answer exceeded the EDNS buffer size we advertised */
	unsigned dropped;   /* UDP datagrams dropped (malformed or not matching); why says why */
	uint8_t *wire;	    /* response bytes, NULL when err != 0 */
	size_t wire_len;
	bool unneeded;	   /* probe only: never sent, see ev_drop_unneeded() */
	bool wire_checked; /* in memory only: the engine's pre-pass (dd_wire_check) accepted `wire`
			    */
	void *parsed; /* in memory only: `wire` as the probe parsed it (an ldns_pkt), freed with the
			 evidence */
} ev_exchange_t;

typedef struct ev_server {
	char *name;   /* NS name */
	char **addrs; /* IP address text */
	size_t n_addrs;
	bool from_glue;	  /* addresses came from the referral's glue */
	char *addr_error; /* why no address could be found, or NULL */
} ev_server_t;

typedef struct ev_zone {
	char *name;
	char *parent;	      /* NULL for the first zone (where the walk starts) */
	ev_server_t *servers; /* the zone's own NS set, as used for the probe */
	size_t n_servers;
	bool parent_serves_child; /* a parent server answered for the child itself */
	unsigned ns_total; /* NS names the delegation listed (n_servers may be capped); 0: not
			      recorded */
} ev_zone_t;

/* The names whose answers were asked, in order: the query, then CNAME targets. */
typedef struct ev_target {
	char *name;
	char *zone; /* the zone that holds it (deepest cut found) */
} ev_target_t;

/* One resolver and the three questions put to it, in parallel with the walk. */
#define EV_RQ_PLAIN 0 /* purpose resolver */
#define EV_RQ_CD 1    /* purpose resolver-cd */
#define EV_RQ_CHECK 2 /* purpose resolver-check */
#define EV_RQ__COUNT 3
typedef struct ev_resolver {
	char *address; /* IP address text */
	uint16_t port;
	char *label; /* "Cloudflare", "system", ... or NULL */
	ev_exchange_t q[EV_RQ__COUNT];
} ev_resolver_t;

typedef struct evidence {
	char *qname;
	uint16_t qtype;
	int64_t probed_at; /* seconds since the epoch */
	char **anchors;	   /* trust anchors used, one RR in zone-file syntax each */
	size_t n_anchors;
	ev_zone_t *zones; /* root (or anchor) first, in walk order */
	size_t n_zones;
	ev_target_t *targets;
	size_t n_targets;
	ev_exchange_t *xs;
	size_t n_xs;
	int probe_err;	 /* 0, or why the walk stopped early (DD_EDEADLINE, DD_ELIMIT, ...) */
	char *probe_why; /* text for probe_err, may be NULL */
	unsigned elapsed_ms;
	unsigned queries;
	char *cname_stop; /* "loop" or "limit" when a CNAME chain was not followed to its end, else
			     NULL */
	ev_resolver_t *resolvers; /* resolvers asked, in the order given */
	size_t n_resolvers;
} evidence_t;

/* Allocate an empty evidence record; returns NULL on out of memory. */
evidence_t *ev_new(void);
void ev_free(evidence_t *ev);

/* Append helpers: copy their string arguments; return a pointer to the new
 * element (owned by ev) or NULL on out of memory. */
ev_zone_t *ev_add_zone(evidence_t *ev, const char *name, const char *parent);
ev_server_t *ev_zone_add_server(ev_zone_t *z, const char *ns_name);
int ev_server_add_addr(ev_server_t *s, const char *addr);
ev_exchange_t *ev_add_exchange(evidence_t *ev);

/* Remove the exchanges marked `unneeded` (queries the probe decided not to
 * send after all), keeping the order of the others. */
void ev_drop_unneeded(evidence_t *ev);
int ev_add_anchor(evidence_t *ev, const char *rr_text);
int ev_add_target(evidence_t *ev, const char *name, const char *zone);
/* A resolver with its three exchanges zeroed (purposes and port set). */
ev_resolver_t *ev_add_resolver(evidence_t *ev, const char *address, uint16_t port,
			       const char *label);

/* Lookups (NULL when absent). */
ev_zone_t *ev_find_zone(const evidence_t *ev, const char *name);

/* Serialise to a new JSON object (caller owns) or NULL on out of memory. */
json_t *ev_to_json(const evidence_t *ev);

/*
 * Load evidence from JSON. Untrusted input: every field is type-checked,
 * bounded and validated. Returns 0 or DD_EPARSE with a one-line reason in
 * `err` (err_size bytes).
 */
int ev_from_json(const json_t *root, evidence_t **out, char *err, size_t err_size);

/* Simple helpers for growing arrays. */
int ev_grow(void **arr, size_t *cap, size_t n, size_t elem);
