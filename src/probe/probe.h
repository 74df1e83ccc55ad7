/*
 * probe.h — walk from the root hints to a name and record, per server and
 * per query, what validation needs. The probe records; it never judges.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "engine/engine.h"
#include "evidence/evidence.h"

/* Answers shared by the checks of one process, and of the processes it forks
 * after probe_cache_new (a shared mapping; pcache.c). */
typedef struct probe_cache probe_cache_t;
probe_cache_t *probe_cache_new(size_t max_entries);
void probe_cache_free(probe_cache_t *c);
bool probe_cache_get(probe_cache_t *c, const char *server, uint16_t port, const char *qname,
		     uint16_t qtype, unsigned flags, int64_t now, uint8_t **wire, size_t *len);
void probe_cache_put(probe_cache_t *c, const char *server, uint16_t port, const char *qname,
		     uint16_t qtype, unsigned flags, int64_t now, const uint8_t *wire, size_t len);
void probe_cache_stats(probe_cache_t *c, unsigned long *hits, unsigned long *misses);

/* A resolver to ask alongside the walk. */
typedef struct probe_resolver {
	char addr[48]; /* IPv4 or IPv6 address text */
	uint16_t port;
	char label[32]; /* "Cloudflare", "system", or "" */
} probe_resolver_t;

typedef struct probe_cfg {
	engine_cfg_t engine;
	const ldns_rr_list
	    *root_hints;	     /* NS, A and AAAA records of the starting zone (not owned) */
	const ldns_rr_list *anchors; /* trust anchors, recorded in the evidence (not owned) */
	bool use_v4, use_v6;	     /* address families to query; the other is "not tested" */
	uint16_t port;		     /* server port, 53 */
	unsigned max_cnames;	     /* CNAME links followed; default 16 */
	unsigned max_ns;	     /* NS names used per zone; default 20 */
	unsigned max_addrs;	     /* addresses used per zone; default 64 */
	unsigned max_depth;	     /* zone cuts followed; default 40 */
	int64_t now;		     /* recorded as probed_at */
	const probe_resolver_t *resolvers; /* asked in parallel with the walk (not owned) */
	size_t n_resolvers;
	engine_cfg_t resolver_engine; /* resolvers recurse: longer timeouts than name servers */
	probe_cache_t *cache;	      /* root and TLD answers shared across checks, or NULL */
	/*
	 * Consulted before each query to an address that is about to be sent
	 * (after the shared cache had no answer; NULL: every address is
	 * allowed). Returns 0 to send the query, or DD_EREFUSEDADDR with a
	 * one-line reason in `why` to skip it: the skip is recorded in the
	 * evidence as the exchange's error (and becomes a finding), the walk goes
	 * on. DD_ELIMIT (a query budget used up) skips it the same way and
	 * stops the walk: the check ends without a verdict (probe_err).
	 * `resolver` is true for the configured resolvers. Called from the
	 * probe's thread; it must be thread-safe when probes run in parallel.
	 */
	int (*gate)(void *arg, const char *addr, bool resolver, char *why, size_t why_size);
	/* A query the gate allowed was never sent (an ENGINE_F_IF_SILENT query
	 * whose address answered, or one the engine refused: the check's query
	 * cap or deadline): so that only packets sent are counted. May be NULL. */
	void (*ungate)(void *arg, const char *addr);
	void *gate_arg;
} probe_cfg_t;

/* Defaults for everything but root_hints/anchors/now. */
void probe_cfg_default(probe_cfg_t *cfg);

/*
 * Probe `qname` (presentation format) / `qtype`. On success (even a partial
 * walk, which the evidence records in probe_err) returns 0 and `*out` owns the
 * evidence. Returns DD_EINVAL for a malformed name, DD_ENOMEM, or DD_EINVAL
 * when the hints hold no usable address.
 */
int probe_run(const probe_cfg_t *cfg, const char *qname, uint16_t qtype, evidence_t **out);
