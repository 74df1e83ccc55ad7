/*
 * engine.h — asynchronous DNS queries over UDP and TCP on a libevent loop.
 *
 * One engine serves one check: it counts queries against a cap and enforces
 * the check's deadline. Queries go to an explicit address; the engine never
 * picks servers itself. A response is accepted only when it comes from the
 * queried address and port, carries the query's ID, and repeats the
 * question (name compared case-insensitively, type and class). Everything
 * else is dropped (UDP) or fails the query (TCP). The response bytes are
 * handed to the callback unparsed beyond the pre-pass of dd_wire_check().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>

typedef struct engine engine_t;

typedef struct engine_cfg {
	unsigned timeout_ms;	   /* per UDP try; default 800 */
	unsigned timeout_floor_ms; /* adaptive first try: 4 x the slowest answer so far, at least
				    this, at most timeout_ms; 0 = not adaptive; default 400 */
	unsigned retries;	   /* extra UDP tries after the first; default 1 */
	unsigned tcp_timeout_ms;   /* whole TCP exchange; default 2000 */
	unsigned max_inflight;	   /* queries on the wire at once; more are queued; default 256 */
	unsigned max_queries;	   /* engine_query() calls per engine lifetime (one check); a
				      query's UDP retries and TCP fallback do not count extra;
				      default 600 */
	unsigned deadline_ms;	   /* from engine_new(); 0 = none; default 10000 */
	uint16_t edns_bufsize;	   /* advertised; default 1232 */
} engine_cfg_t;

/* Fill `cfg` with the defaults above. */
void engine_cfg_default(engine_cfg_t *cfg);

/* Query flags. */
#define ENGINE_F_DO 0x01     /* set DO in EDNS0 */
#define ENGINE_F_CD 0x02     /* set CD */
#define ENGINE_F_RD 0x04     /* set RD (resolvers) */
#define ENGINE_F_NOEDNS 0x08 /* send without OPT */
#define ENGINE_F_TCP 0x10    /* go straight to TCP */
/* Only if the address stays silent: the query waits as long as a first try
 * to that address would, and is sent (one try, the full timeout) only if no
 * answer to any other query has come from the address by then. It ends at
 * once, with `not_needed`, when one comes; with the refusal when the address
 * refuses. For the plain query that tells an EDNS-deaf server from a dead
 * one without costing a healthy server a query. */
#define ENGINE_F_IF_SILENT 0x20

typedef struct engine_result {
	int err;	     /* 0 or DD_ETIMEOUT, DD_ENETWORK, DD_ETCP, DD_ETRUNCATED,
				DD_EMALFORMED, DD_ELIMIT, DD_EDEADLINE, DD_ECANCELLED
				(DD_ENOMEM / DD_EIO on local resource failures) */
	const char *why;     /* static detail for err (may be NULL) */
	const uint8_t *wire; /* the accepted response; valid only during the callback */
	size_t wire_len;
	unsigned rtt_ms;      /* of the try that answered (or total elapsed on failure) */
	unsigned tries;	      /* UDP tries sent */
	bool tcp;	      /* the answer came over TCP */
	bool udp_truncated;   /* a TC=1 answer arrived over UDP (then TCP was tried) */
	unsigned dropped;     /* UDP datagrams dropped as mismatched or malformed */
	const char *drop_why; /* static: why the last of them was dropped (NULL if none) */
	bool not_needed;      /* ENGINE_F_IF_SILENT: never sent, the address answered
				 (err is DD_ECANCELLED) */
	bool udp_oversized;   /* the UDP answer was larger than the EDNS buffer size we
				 advertised (accepted all the same) */
} engine_result_t;

typedef void (*engine_cb)(const engine_result_t *res, void *arg);

/*
 * Create an engine on `base` (not owned). `cfg` may be NULL for defaults.
 * Returns 0, DD_ENOMEM or DD_EINVAL (also for a zero timeout_ms,
 * tcp_timeout_ms or max_inflight).
 */
int engine_new(struct event_base *base, const engine_cfg_t *cfg, engine_t **out);

/*
 * Free the engine. Outstanding queries are cancelled: their callbacks are
 * called with DD_ECANCELLED before this returns.
 */
void engine_free(engine_t *e);

/*
 * Engines on a thread's coroutine loop (coro_thread_base()) hand sockets
 * whose address answered to the next engine on that thread (at most 8
 * checks per socket, 1 s idle). Call this before the thread frees that loop:
 * it closes them.
 */
void engine_thread_release(void);

/* How many engines are alive on this thread's coroutine loop: while none
 * is, nothing on that loop is worth waiting for (kept sockets are watched,
 * but only to drop what comes). */
unsigned engine_thread_busy(void);

/*
 * Send a query for `qname` (uncompressed wire format, <= 255 octets) / `qtype`
 * (class IN) to `addr`. `cb` is always called exactly once, later, from the
 * loop (never from inside engine_query). Returns 0, or DD_ELIMIT / DD_EDEADLINE /
 * DD_EINVAL / DD_ENOMEM (or DD_ECANCELLED while engine_free runs) without
 * calling `cb`. `qname` must be exactly one uncompressed wire name; it is
 * copied. Each accepted call counts once against max_queries, whatever
 * retries or TCP fallback it needs.
 * Callbacks may call engine_query (the new query is queued and started by
 * the loop); they must not call engine_free or engine_wait on their engine.
 * A TCP answer that fails dd_wire_check or does not match the query fails the
 * query with DD_EMALFORMED (over UDP such datagrams are only dropped).
 * On TC=1 over UDP the query is repeated over TCP (unless ENGINE_F_TCP was given,
 * in which case TCP is used from the start).
 */
int engine_query(engine_t *e, const struct sockaddr *addr, socklen_t addrlen, const uint8_t *qname,
		 size_t qname_len, uint16_t qtype, unsigned flags, engine_cb cb, void *arg);

/* Run the loop until no query of this engine is outstanding (or the deadline
 * fires and cancels them). Returns 0, or DD_EDEADLINE if the deadline fired,
 * or DD_EINVAL if the loop cannot run (e.g. called from inside the loop). */
int engine_wait(engine_t *e);

/* engine_query() calls accepted so far: the number max_queries caps (a
 * query's UDP retries and TCP fallback do not count extra). */
unsigned engine_queries_sent(const engine_t *e);

/* Milliseconds since engine_new (monotonic). */
unsigned engine_elapsed_ms(const engine_t *e);

/* True once the deadline has passed. */
bool engine_deadline_passed(const engine_t *e);
