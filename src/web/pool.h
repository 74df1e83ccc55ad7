/*
 * pool.h — serve's checks run in worker processes, so that a check that
 * crashes (an abort inside a library, a sanitizer report, a runaway loop)
 * takes down one worker, not the service.
 *
 * The parent keeps the HTTP front and a libevent loop; it pre-forks
 * `workers` processes, each tied to it by a socketpair. A check goes to an
 * idle worker as a fixed-size request; the worker runs it and sends back the
 * rendered body. One check per worker at a time; more wait in the parent's
 * queue. A worker that dies (or outlives the check's wall-clock limit and is
 * killed) fails its check with a one-line reason and is replaced at once.
 * Limits per worker: RLIMIT_DATA (above what it holds when it starts) and
 * RLIMIT_CPU, set before each check to the CPU time used so far plus the
 * allowance; after `checks_per_worker` checks a worker retires and a fresh
 * one takes its place.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

typedef struct web_pool web_pool_t;

/* A check as a worker receives it: plain bytes, copied over the socketpair. */
typedef struct web_pool_req {
	char name[1024];
	char type_text[24];
	uint16_t qtype;
	uint8_t kind;	    /* the caller's (page or API) */
	uint8_t client_len; /* who asked: the key of their fair share */
	uint8_t client[16];
	int64_t now;
} web_pool_req_t;

/* In a worker: run one check, set `*code` and `*body` (malloc'd, or NULL when out of memory). */
typedef void (*web_pool_run_fn)(void *arg, const web_pool_req_t *req, int *code, char **body,
				size_t *len);

/*
 * In the parent, from its loop: the outcome of a submitted check. On success
 * `failure` is NULL and the callee owns `body` (may be NULL: out of memory).
 * When the worker died, was killed for time, or the pool stops, `failure`
 * says why in words for the user and `body` is NULL.
 */
typedef void (*web_pool_done_fn)(void *arg, int code, char *body, size_t len, const char *failure);

typedef struct web_pool_cfg {
	unsigned workers;     /* processes; at least 1 */
	unsigned check_ms;    /* wall-clock limit of one check; the worker is killed after it */
	unsigned check_cpu_s; /* CPU seconds one check may use (RLIMIT_CPU) */
	unsigned checks_per_worker; /* a worker retires after this many */
	size_t
	    data_bytes; /* RLIMIT_DATA: this much above what a worker holds at its start; 0: none */
	web_pool_run_fn run;
	void *run_arg;
} web_pool_cfg_t;

/*
 * Fork the workers; the loop `base` (not owned) then serves the pool. Call
 * with no other threads running. Returns 0, or DD_ENOMEM / DD_EIO with a
 * one-line message in `err`.
 */
int web_pool_new(struct event_base *base, const web_pool_cfg_t *cfg, web_pool_t **out, char *err,
		 size_t err_size);

/* Queue a check; `cb` is called exactly once, later, from the loop (or from
 * web_pool_free). Returns 0 or DD_ENOMEM (then `cb` is not called). */
int web_pool_submit(web_pool_t *p, const web_pool_req_t *req, web_pool_done_fn cb, void *cb_arg);

/* Checks queued or running. */
unsigned web_pool_pending(const web_pool_t *p);

/* Workers alive now (the pool's size once dead ones are replaced). */
unsigned web_pool_alive(const web_pool_t *p);

/* Stop the workers (idle ones exit on their own; running checks are killed
 * and failed) and free the pool. */
void web_pool_free(web_pool_t *p);
