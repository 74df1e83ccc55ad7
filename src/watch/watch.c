/*
 * watch.c — the watcher: schedule, checks, results (the HTTP side is http.c).
 *
 * Threads: the main thread runs one libevent loop with the schedule (a tick
 * on the monotonic clock), the signals, the HTTP server and the history
 * flushes; it alone touches the entries and the database. Checks run on
 * worker threads as in `scan`: each thread has its own event loop and runs
 * several checks as coroutines; they share root and TLD answers (the probe
 * cache honours TTLs and keeps nothing below the TLDs) and verification
 * results. A finished check goes on the done list and a byte on a pipe
 * wakes the main loop, which files it: metrics state, history row.
 *
 * Every name is checked every --interval seconds: the first round starts at
 * once, later checks of a name come interval ± 10 % after its previous
 * start (spreading the rounds out); a name still being checked is not
 * started again.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "check/check.h"
#include "common/coro.h"
#include "common/dd.h"
#include "engine/engine.h"
#include "report/report.h"
#include "watch/watch.h"
#include "watch/watch_int.h"

#define TICK_MS 100
#define CHECK_STACK (512 * 1024)
#define FLUSH_BYTES (4u << 20) /* write the history early when the queue holds this much */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: jitter only, no secrecy needed. */
static uint64_t rnd(watcher_t *w)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ull;
}

static void entry_free(watch_entry_t *e)
{
	if (e) {
		free(e->name);
		free(e);
	}
}

/* ---- checks (worker threads) ------------------------------------------------------ */

static void run_check(const dd_opts_t *o, watch_job_t *j)
{
	evidence_t *ev = NULL;
	an_result_t *res = NULL;
	char err[300] = "";
	memset(&j->rec, 0, sizeof(j->rec));
	j->rec.checked_at = (int64_t)time(NULL);
	double t0 = mono_s();
	int rc = dd_check_probe(o, j->name, j->qtype, j->rec.checked_at, &ev, err, sizeof(err));
	if (!rc)
		rc = dd_check_analyse(o, ev, &res);
	if (rc) {
		j->rec.status = AN_INDETERMINATE;
		snprintf(j->rec.error, sizeof(j->rec.error), "%.199s",
			 err[0] ? err : dd_strerror(rc));
	} else {
		watch_rec_from_result(&j->rec, res);
	}
	j->rec.duration_s = mono_s() - t0;
	char fp[FP_MAX];
	watch_fingerprint(&j->rec, fp, sizeof(fp));
	j->fp = watch_fp_hash(fp);
	/* The full report goes with every change row (the status page links to it). */
	if (res && j->fp != j->last_fp) {
		json_t *js = rep_json(res, ev);
		j->report =
		    js ? json_dumps(js, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		json_decref(js);
	}
	an_result_free(res);
	ev_free(ev);
}

/* Take a job (lock held); NULL when none waits. */
static watch_job_t *take_job(watcher_t *w)
{
	watch_job_t *j = w->todo;
	if (j) {
		w->todo = j->next;
		if (!w->todo)
			w->todo_tail = NULL;
		w->waiting--;
	}
	return j;
}

static void finish_job(watcher_t *w, watch_job_t *j)
{
	pthread_mutex_lock(&w->mu);
	j->next = w->done;
	w->done = j;
	pthread_mutex_unlock(&w->mu);
	ssize_t wr;
	do
		wr = write(w->pipe_w, "x", 1);
	while (wr < 0 && errno == EINTR);
}

static bool job_ready(void *arg)
{
	watcher_t *w = arg;
	pthread_mutex_lock(&w->mu);
	bool r = w->todo || w->quit;
	pthread_mutex_unlock(&w->mu);
	return r;
}

/* One check after another, as a coroutine of a worker thread. */
static void checker(void *arg)
{
	watcher_t *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		watch_job_t *j = take_job(w);
		bool quit = w->quit;
		pthread_mutex_unlock(&w->mu);
		if (j) {
			run_check(&w->o, j);
			finish_job(w, j);
		} else if (quit) {
			return;
		} else {
			coro_wait(job_ready, w);
		}
	}
}

typedef struct worker_arg {
	watcher_t *w;
	unsigned checks;
} worker_arg_t;

/* Without coroutines (no memory for the stacks): one check at a time. */
static void plain_checker(watcher_t *w)
{
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->todo && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		watch_job_t *j = take_job(w);
		pthread_mutex_unlock(&w->mu);
		if (!j)
			return;
		run_check(&w->o, j);
		finish_job(w, j);
	}
}

/* A worker thread: one event loop, `checks` coroutines (as scan's workers). */
static void *worker(void *arg)
{
	worker_arg_t *wa = arg;
	watcher_t *w = wa->w;
	struct event_base *base = event_base_new();
	coro_t **co = calloc(wa->checks, sizeof(coro_t *));
	unsigned live = 0;
	for (unsigned i = 0; base && co && i < wa->checks; i++)
		if ((co[i] = coro_new(checker, w, CHECK_STACK)) != NULL)
			live++;
	unsigned created = live;
	coro_set_thread_base(base);
	while (live) {
		bool ran = false;
		for (unsigned i = 0; i < wa->checks; i++) {
			if (!co[i] || !coro_ready(co[i]))
				continue;
			ran = true;
			if (!coro_resume(co[i])) {
				coro_free(co[i]);
				co[i] = NULL;
				live--;
			}
		}
		if (!live)
			break;
		if (ran) {
			event_base_loop(base, EVLOOP_NONBLOCK);
		} else if (engine_thread_busy() ||
			   event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE) > 0) {
			event_base_loop(base, EVLOOP_ONCE);
		} else {
			pthread_mutex_lock(&w->mu);
			while (!w->todo && !w->quit)
				pthread_cond_wait(&w->cv, &w->mu);
			pthread_mutex_unlock(&w->mu);
		}
	}
	engine_thread_release();
	coro_set_thread_base(NULL);
	if (!base || !co || (wa->checks && !created))
		plain_checker(w);
	free(co);
	if (base)
		event_base_free(base);
	free(wa);
	return NULL;
}

static int start_workers(watcher_t *w)
{
	unsigned total = w->cfg->max_checks;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = cores > 0 && (unsigned long)cores < total ? (unsigned)cores : total;
	w->threads = calloc(n, sizeof(pthread_t));
	if (!w->threads)
		return DD_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		worker_arg_t *wa = malloc(sizeof(*wa));
		if (!wa)
			return DD_ENOMEM;
		wa->w = w;
		wa->checks = total / n + (i < total % n);
		if (pthread_create(&w->threads[i], NULL, worker, wa) != 0) {
			free(wa);
			return w->n_threads ? 0 : DD_ENOMEM;
		}
		w->n_threads++;
	}
	return 0;
}

static void stop_workers(watcher_t *w)
{
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	free(w->threads);
	w->threads = NULL;
	w->n_threads = 0;
}

/* ---- the schedule (main thread) ------------------------------------------------------ */

static void maybe_finish(watcher_t *w);

/* Queue the entries that are due, up to twice the checks at once (the rest waits for room). */
static void schedule(watcher_t *w)
{
	if (w->stopping || !w->n_e)
		return;
	int64_t now = mono_ms();
	unsigned room_max = 2 * w->cfg->max_checks;
	watch_job_t *first = NULL, *last = NULL;
	unsigned added = 0;
	size_t start = w->cursor;
	for (size_t k = 0; k < w->n_e && w->queued + added < room_max; k++) {
		watch_entry_t *e = w->e[(start + k) % w->n_e];
		if (e->running || e->due_ms > now ||
		    (w->cfg->rounds && e->rounds >= w->cfg->rounds))
			continue;
		watch_job_t *j = calloc(1, sizeof(*j));
		if (!j)
			break;
		j->e = e;
		snprintf(j->name, sizeof(j->name), "%s", e->name);
		snprintf(j->type, sizeof(j->type), "%s", e->type);
		j->qtype = e->qtype;
		j->last_fp = e->last_fp;
		e->running = true;
		if (last)
			last->next = j;
		else
			first = j;
		last = j;
		added++;
		w->cursor = (start + k + 1) % w->n_e; /* the next pass goes on after it */
	}
	if (!added)
		return;
	w->queued += added;
	pthread_mutex_lock(&w->mu);
	if (w->todo_tail)
		w->todo_tail->next = first;
	else
		w->todo = first;
	w->todo_tail = last;
	w->waiting += added;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	schedule(arg);
	maybe_finish(arg); /* --rounds with no names: nothing else would end it */
}

/* File one finished check: the entry's state, the counters, a history row. */
static void file_job(watcher_t *w, watch_job_t *j)
{
	watch_entry_t *e = j->e;
	w->queued--;
	e->running = false;
	if (e->gone) {
		entry_free(e);
		return;
	}
	e->rec = j->rec;
	e->checked = true;
	e->rounds++;
	if (e->rec.status <= AN_UNREACHABLE)
		w->checks_total[e->rec.status]++;
	/* Next: interval ± 10 % after this start (monotonic), spreading the names out. */
	int64_t iv = (int64_t)w->cfg->interval_s * 1000;
	int64_t jitter = iv / 5 ? (int64_t)(rnd(w) % (uint64_t)(iv / 5)) - iv / 10 : 0;
	int64_t started = mono_ms() - (int64_t)(j->rec.duration_s * 1000);
	e->due_ms = started + iv + jitter;
	watch_row_t kind =
	    watch_row_decide_hash(e->last_fp, e->last_fp_t, j->fp, j->rec.checked_at);
	if (kind != WATCH_ROW_NONE && w->db &&
	    watch_db_queue(w->db, e->name, e->type, kind, &j->rec,
			   kind == WATCH_ROW_CHANGE ? j->report : NULL) == 0) {
		e->last_fp = j->fp;
		e->last_fp_t = j->rec.checked_at;
	}
	if (kind == WATCH_ROW_CHANGE && j->fp != j->last_fp) {
		char t[40];
		an_time_text(j->rec.checked_at, t, sizeof(t));
		fprintf(stderr, "dnssec-doctor: %s %s %s: %s%s%s%s%s\n", t, e->name, e->type,
			an_status_name(e->rec.status), e->rec.ids[0] ? ": " : "", e->rec.ids,
			e->rec.error[0] ? ": " : "", e->rec.error);
	}
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	watcher_t *w = arg;
	char buf[256];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->mu);
	watch_job_t *j = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	while (j) {
		watch_job_t *next = j->next;
		file_job(w, j);
		free(j->report);
		free(j);
		j = next;
	}
	/* Bounded memory: a first round of many names queues a report per name. */
	if (watch_db_pending_bytes(w->db) > FLUSH_BYTES)
		watch_flush(w);
	schedule(w);
	maybe_finish(w);
}

void watch_flush(watcher_t *w)
{
	if (!w->db)
		return;
	char err[400];
	if (watch_db_flush(w->db, err, sizeof(err)))
		fprintf(stderr, "dnssec-doctor: %s\n", err);
	int64_t now = (int64_t)time(NULL);
	if (now - w->last_prune >= 3600 || now < w->last_prune) {
		w->last_prune = now;
		long n = watch_db_prune(w->db, w->cfg->keep_days, now);
		if (n > 0)
			fprintf(stderr,
				"dnssec-doctor: history: %ld rows older than %u days deleted\n", n,
				w->cfg->keep_days);
	}
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	watch_flush(arg);
}

/* Stop when asked (or --rounds is done) and no check is out. */
static void maybe_finish(watcher_t *w)
{
	if (!w->stopping && w->cfg->rounds) {
		bool all = true;
		for (size_t i = 0; i < w->n_e && all; i++)
			all = w->e[i]->rounds >= w->cfg->rounds;
		w->stopping = all;
	}
	if (w->stopping && w->queued == 0)
		event_base_loopexit(w->base, NULL);
}

/* ---- names file ----------------------------------------------------------------------- */

static watch_entry_t *entry_new(const watch_name_t *n, watcher_t *w, int64_t due)
{
	watch_entry_t *e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(n->name))) {
		free(e);
		return NULL;
	}
	snprintf(e->type, sizeof(e->type), "%s", n->type);
	e->qtype = n->qtype;
	e->due_ms = due;
	char fp[FP_MAX];
	if (w->db && watch_db_last(w->db, e->name, e->type, fp, sizeof(fp), &e->last_fp_t) == 0 &&
	    fp[0])
		e->last_fp = watch_fp_hash(fp);
	return e;
}

/* Replace the entries with the names of the file: kept names keep their state, new ones are due
 * now. */
static int load_names(watcher_t *w, char *err, size_t err_size)
{
	watch_name_t *v = NULL;
	size_t n = 0;
	int rc = watch_names_load(w->cfg->names_file, &v, &n, err, err_size);
	if (rc)
		return rc;
	/* First the new entries (nothing changes if memory runs out), then the merge. */
	watch_entry_t **ne = calloc(n ? n : 1, sizeof(watch_entry_t *));
	int64_t now = mono_ms();
	for (size_t a = 0, b = 0; ne && b < n; b++) {
		int c = 1;
		while (a < w->n_e &&
		       (c = watch_name_cmp(w->e[a]->name, w->e[a]->type, v[b].name, v[b].type)) < 0)
			a++;
		if (a < w->n_e && c == 0)
			continue;
		if (!(ne[b] = entry_new(&v[b], w, now))) {
			for (size_t i = 0; i < b; i++)
				entry_free(ne[i]);
			free(ne);
			ne = NULL;
		}
	}
	if (!ne) {
		watch_names_free(v, n);
		snprintf(err, err_size, "out of memory");
		return DD_ENOMEM;
	}
	for (size_t a = 0, b = 0; b < n; b++) {
		if (ne[b])
			continue;
		while (watch_name_cmp(w->e[a]->name, w->e[a]->type, v[b].name, v[b].type) < 0)
			a++;
		ne[b] = w->e[a]; /* kept, with its state */
		w->e[a++] = NULL;
	}
	watch_names_free(v, n);
	/* Names no longer in the file: freed now, or when their check comes back. */
	for (size_t i = 0; i < w->n_e; i++) {
		if (w->e[i] && w->e[i]->running)
			w->e[i]->gone = true;
		else
			entry_free(w->e[i]);
	}
	free(w->e);
	w->e = ne;
	w->n_e = n;
	w->cursor = 0;
	return 0;
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	watcher_t *w = arg;
	char err[600];
	size_t before = w->n_e;
	if (load_names(w, err, sizeof(err)))
		fprintf(stderr,
			"dnssec-doctor: reload: %s (still watching the %zu names of before)\n", err,
			before);
	else
		fprintf(stderr, "dnssec-doctor: reload: watching %zu names (%zu before)\n", w->n_e,
			before);
	schedule(w);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
	watcher_t *w = arg;
	if (w->stopping) {
		event_base_loopexit(w->base, NULL);
		return;
	}
	w->stopping = true;
	/* Checks not started are dropped; running ones finish (within the deadline). */
	pthread_mutex_lock(&w->mu);
	watch_job_t *j = w->todo;
	w->todo = w->todo_tail = NULL;
	w->waiting = 0;
	pthread_mutex_unlock(&w->mu);
	while (j) {
		watch_job_t *next = j->next;
		j->e->running = false;
		if (j->e->gone)
			entry_free(j->e);
		w->queued--;
		free(j);
		j = next;
	}
	fprintf(stderr, "dnssec-doctor: stopping (%u checks to finish)\n", w->queued);
	maybe_finish(w);
}

/* ---- start and stop ------------------------------------------------------------------------ */

static int setup(watcher_t *w, char *err, size_t err_size)
{
	int fds[2];
	if (!(w->base = event_base_new()) || pipe(fds) != 0) {
		snprintf(err, err_size, "watch: cannot set up (out of memory or descriptors)");
		return DD_ENOMEM;
	}
	w->pipe_r = fds[0];
	w->pipe_w = fds[1];
	evutil_make_socket_nonblocking(w->pipe_r);
	fcntl(w->pipe_r, F_SETFD, FD_CLOEXEC);
	fcntl(w->pipe_w, F_SETFD, FD_CLOEXEC);
	w->pipe_ev = event_new(w->base, w->pipe_r, EV_READ | EV_PERSIST, on_done, w);
	w->tick = event_new(w->base, -1, EV_PERSIST, on_tick, w);
	w->flush = event_new(w->base, -1, EV_PERSIST, on_flush, w);
	w->sig_hup = evsignal_new(w->base, SIGHUP, on_hup, w);
	w->sig_term = evsignal_new(w->base, SIGTERM, on_term, w);
	w->sig_int = evsignal_new(w->base, SIGINT, on_term, w);
	/* History is written every interval, at most a minute apart. */
	struct timeval tick = {0, TICK_MS * 1000},
		       fl = {w->cfg->interval_s < 60 ? w->cfg->interval_s : 60, 0};
	if (!w->pipe_ev || !w->tick || !w->flush || !w->sig_hup || !w->sig_term || !w->sig_int ||
	    event_add(w->pipe_ev, NULL) || event_add(w->tick, &tick) || event_add(w->flush, &fl) ||
	    event_add(w->sig_hup, NULL) || event_add(w->sig_term, NULL) ||
	    event_add(w->sig_int, NULL)) {
		snprintf(err, err_size, "watch: cannot set up events");
		return DD_ENOMEM;
	}
	if (w->cfg->listen[0] && watch_http_start(w, err, err_size))
		return DD_EIO;
	if (start_workers(w)) {
		snprintf(err, err_size, "watch: cannot start worker threads");
		return DD_ENOMEM;
	}
	return 0;
}

static void teardown(watcher_t *w)
{
	struct event *evs[] = {w->pipe_ev, w->tick, w->flush, w->sig_hup, w->sig_term, w->sig_int};
	for (size_t i = 0; i < DD_ARRAY_LEN(evs); i++)
		if (evs[i])
			event_free(evs[i]);
	if (w->http)
		evhttp_free(w->http);
	if (w->base)
		event_base_free(w->base);
	if (w->pipe_r >= 0)
		close(w->pipe_r);
	if (w->pipe_w >= 0)
		close(w->pipe_w);
	for (size_t i = 0; i < w->n_e; i++)
		entry_free(w->e[i]);
	free(w->e);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}

int watch_run(watch_cfg_t *cfg)
{
	watcher_t w;
	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.o = cfg->o;
	w.pipe_r = w.pipe_w = -1;
	w.rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	char err[600] = "";
	int code = 3;
	/* The database first (before anything else is started, as a service manager expects). */
	if (watch_db_open(cfg->db_path, false, &w.db, err, sizeof(err)) ||
	    load_names(&w, err, sizeof(err))) {
		fprintf(stderr, "dnssec-doctor: %s\n", err);
		watch_db_close(w.db);
		teardown(&w);
		return 3;
	}
	/* The checks share root and TLD answers and verification results (as scan's). */
	w.o.pcache = probe_cache_new(20000);
	w.o.policy.vcache = an_vcache_new(65536);
	json_object_seed(0);
	signal(SIGPIPE, SIG_IGN);
	dd_raise_fd_limit();
	if (setup(&w, err, sizeof(err))) {
		fprintf(stderr, "dnssec-doctor: %s\n", err);
		goto out;
	}
	fprintf(stderr,
		"dnssec-doctor: watching %zu names every %u s (%u checks at once), history in "
		"%s%s%s%s\n",
		w.n_e, cfg->interval_s, cfg->max_checks, cfg->db_path,
		cfg->listen[0] ? ", http://" : "", cfg->listen, cfg->listen[0] ? "/metrics" : "");
	schedule(&w);
	event_base_dispatch(w.base);
	code = 0;
out:
	w.stopping = true;
	stop_workers(&w);
	if (w.pipe_r >= 0)
		on_done(w.pipe_r, EV_READ, &w); /* file what finished while stopping */
	if (w.db && watch_db_flush(w.db, err, sizeof(err))) {
		fprintf(stderr, "dnssec-doctor: %s\n", err);
		code = 3;
	}
	fprintf(stderr, "dnssec-doctor: stopped\n");
	watch_db_close(w.db);
	teardown(&w);
	probe_cache_free(w.o.pcache);
	an_vcache_free(w.o.policy.vcache);
	return code;
}
