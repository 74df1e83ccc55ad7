/*
 * scan.c — many names: one "NAME [TYPE]" a line in, one version-1 JSON
 * object a line out.
 *
 * A reader (the calling thread) hands lines to a pool of workers; each
 * worker runs a whole check (its own probe loop) and files the JSON line in
 * a window of results; a writer prints them in input order (or as they come
 * with --unordered). The window bounds memory: the reader waits when it is
 * full, however long the input is. A closed output ends the scan quietly.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "check/check.h"
#include "common/coro.h"
#include "cli/scan.h"
#include "common/dd.h"
#include "engine/engine.h"
#include "report/report.h"

#define SCAN_LINE_MAX 1024

typedef struct slot {
	bool done;
	char *text; /* the JSON line, without the newline */
	int exit_code;
	an_status_t status;
	bool error; /* the line could not be checked */
} slot_t;

typedef struct scan {
	const dd_opts_t *o;
	FILE *out;
	pthread_mutex_t m;
	pthread_cond_t changed; /* workers wait here for lines */
	pthread_cond_t room;	/* the reader waits here for room in the queue and window */
	bool reader_waiting;
	/* jobs: lines read, not yet taken by a worker */
	char **jobs;
	unsigned long *job_seq;
	size_t q_cap, q_head, q_len;
	bool eof;
	/* results */
	slot_t *win;
	size_t w;		/* window size */
	unsigned long next_out; /* ordered: next seq to print; unordered: lines printed */
	unsigned long read;	/* lines handed out */
	bool stop;		/* output closed or failed */
	bool flushing;		/* ordered: one thread prints the finished head of the window */
	/* counts */
	unsigned long n_status[5], n_error;
	int worst;
	double t0;
	double last_progress;
	bool tty; /* standard error is a terminal: progress lines */
} scan_t;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The JSON line for a line that could not be checked. */
static char *error_line(const char *name, const char *type, const char *why)
{
	json_t *j = json_object();
	json_t *q = json_object();
	json_object_set_new(q, "name", json_string(name ? name : ""));
	json_object_set_new(q, "type", json_string(type ? type : "A"));
	json_object_set_new(j, "version", json_integer(1));
	json_object_set_new(j, "query", q);
	json_object_set_new(j, "status", json_string("indeterminate"));
	json_object_set_new(j, "error", json_string(why));
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	return s;
}

/* Check one input line; fills `sl`. */
static void check_line(const dd_opts_t *o, char *line, slot_t *sl)
{
	if (line[0] == '\x01') {
		sl->error = true;
		sl->exit_code = 3;
		sl->status = AN_INDETERMINATE;
		sl->text = error_line("", NULL, "line longer than 1024 characters");
		return;
	}
	char *save = NULL;
	char *name = strtok_r(line, " \t", &save);
	char *type = strtok_r(NULL, " \t", &save);
	char *extra = strtok_r(NULL, " \t", &save);
	char err[300] = "";
	sl->error = true;
	sl->exit_code = 3;
	sl->status = AN_INDETERMINATE;
	if (extra) {
		sl->text = error_line(name, type, "expected NAME [TYPE] on the line");
		return;
	}
	char *canon = NULL;
	uint16_t qtype = LDNS_RR_TYPE_A;
	if (dd_parse_query(name, type, &canon, &qtype, err, sizeof(err))) {
		sl->text = error_line(name, type, err);
		return;
	}
	evidence_t *ev = NULL;
	an_result_t *res = NULL;
	if (dd_check_probe(o, canon, qtype, (int64_t)time(NULL), &ev, err, sizeof(err))) {
		sl->text = error_line(canon, type, err);
	} else if (dd_check_analyse(o, ev, &res)) {
		sl->text = error_line(canon, type, "out of memory during analysis");
	} else {
		json_t *j = rep_json(res, ev);
		sl->text =
		    j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		json_decref(j);
		sl->error = false;
		sl->status = res->status;
		sl->exit_code = an_exit_code(res);
	}
	an_result_free(res);
	ev_free(ev);
	free(canon);
}

static void progress(scan_t *s, bool final)
{
	if (!s->tty && !final)
		return;
	double t = now_s();
	if (!final && t - s->last_progress < 0.5)
		return;
	s->last_progress = t;
	double el = t - s->t0 > 1e-6 ? t - s->t0 : 1e-6;
	unsigned long done = s->next_out;
	if (final)
		fprintf(stderr,
			"%sscan: %lu names in %.1f s (%.0f names/s): %lu secure, %lu insecure, %lu "
			"bogus, "
			"%lu unreachable, %lu indeterminate (%lu could not be checked)\n",
			s->tty ? "\r\033[K" : "", done, el, done / el, s->n_status[AN_SECURE],
			s->n_status[AN_INSECURE], s->n_status[AN_BOGUS],
			s->n_status[AN_UNREACHABLE], s->n_status[AN_INDETERMINATE], s->n_error);
	else
		fprintf(stderr, "\r\033[Kscan: %lu names, %.0f names/s, %lu bogus so far", done,
			done / el, s->n_status[AN_BOGUS]);
}

/* Print one result (lock held; released around the write). */
static void emit(scan_t *s, slot_t *sl)
{
	char *text = sl->text;
	sl->text = NULL;
	s->n_status[sl->status]++;
	s->n_error += sl->error;
	if (sl->exit_code > s->worst)
		s->worst = sl->exit_code;
	bool stop = s->stop;
	pthread_mutex_unlock(&s->m);
	if (text && !stop) {
		flockfile(s->out); /* a whole line at a time, whichever thread writes */
		bool bad =
		    fputs(text, s->out) < 0 || fputc('\n', s->out) < 0 || fflush(s->out) != 0;
		funlockfile(s->out);
		if (bad) {
			pthread_mutex_lock(&s->m);
			s->stop = true; /* a closed pipe: end quietly */
			pthread_mutex_unlock(&s->m);
		}
	}
	free(text);
	pthread_mutex_lock(&s->m);
	progress(s, false);
}

/*
 * The reader, once it has had to wait, goes on only when half the queue is
 * free and the window has as much room: it then reads lines in a run rather
 * than being woken for each one (lock held).
 */
static bool reader_may_go(const scan_t *s)
{
	size_t half = s->q_cap / 2;
	return s->stop || (s->q_len <= half && s->read - s->next_out + half <= s->w);
}

static void wake_reader(scan_t *s)
{
	if (s->reader_waiting && reader_may_go(s))
		pthread_cond_signal(&s->room);
}

/* File a finished check and print what is ready (lock held). */
static void file_result(scan_t *s, unsigned long seq, slot_t *res)
{
	slot_t *sl = &s->win[seq % s->w];
	*sl = *res;
	sl->done = true;
	if (s->o->scan_unordered) {
		sl->done = false;
		s->next_out++;
		emit(s, sl);
	} else if (!s->flushing) {
		/* One printer at a time keeps the order; it takes every finished
		 * head, including those filed while it was writing. */
		s->flushing = true;
		while (s->win[s->next_out % s->w].done && s->next_out < s->read) {
			slot_t *head = &s->win[s->next_out % s->w];
			emit(s, head);
			head->done = false;
			s->next_out++;
		}
		s->flushing = false;
	}
	wake_reader(s);
}

static bool job_ready(void *arg)
{
	scan_t *s = arg;
	pthread_mutex_lock(&s->m);
	bool r = s->q_len || s->eof;
	pthread_mutex_unlock(&s->m);
	return r;
}

/* Take the next line (lock held); false when none is waiting. */
static bool take_line(scan_t *s, char **line, unsigned long *seq, bool *skip)
{
	if (!s->q_len)
		return false;
	*line = s->jobs[s->q_head];
	*seq = s->job_seq[s->q_head];
	s->q_head = (s->q_head + 1) % s->q_cap;
	s->q_len--;
	wake_reader(s);
	*skip = s->stop;
	return true;
}

/* Check one line (lock not held), then file the result. */
static void run_line(scan_t *s, char *line, unsigned long seq, bool skip)
{
	slot_t res = {0};
	if (!skip)
		check_line(s->o, line, &res);
	free(line);
	pthread_mutex_lock(&s->m);
	file_result(s, seq, &res);
	pthread_mutex_unlock(&s->m);
}

/* One check after another, as a coroutine of a worker thread: it yields while
 * its queries are out (engine_wait) and while no line is waiting. */
static void checker(void *arg)
{
	scan_t *s = arg;
	for (;;) {
		char *line = NULL;
		unsigned long seq = 0;
		bool skip = false;
		pthread_mutex_lock(&s->m);
		bool got = take_line(s, &line, &seq, &skip), eof = s->eof;
		pthread_mutex_unlock(&s->m);
		if (got)
			run_line(s, line, seq, skip);
		else if (eof)
			return;
		else
			coro_wait(job_ready, s);
	}
}

/* Without coroutines: one check at a time, waiting for lines on the condition. */
static void plain_checker(scan_t *s)
{
	for (;;) {
		char *line = NULL;
		unsigned long seq = 0;
		bool skip = false;
		pthread_mutex_lock(&s->m);
		while (!s->q_len && !s->eof)
			pthread_cond_wait(&s->changed, &s->m);
		bool got = take_line(s, &line, &seq, &skip);
		pthread_mutex_unlock(&s->m);
		if (!got)
			return;
		run_line(s, line, seq, skip);
	}
}

#define CHECK_STACK (512 * 1024)

typedef struct worker_arg {
	scan_t *s;
	unsigned checks; /* coroutines on this thread */
} worker_arg_t;

/*
 * A worker thread: one event loop, `checks` checks at once as coroutines.
 * It resumes every check that can go on, then runs the loop: blocking when
 * every check waits for answers, not at all when one is ready; when only
 * lines are awaited, it sleeps until the reader brings one.
 */
static void *worker(void *arg)
{
	worker_arg_t *wa = arg;
	scan_t *s = wa->s;
	struct event_base *base = event_base_new();
	coro_t **co = calloc(wa->checks, sizeof(coro_t *));
	unsigned live = 0;
	for (unsigned i = 0; base && co && i < wa->checks; i++)
		if ((co[i] = coro_new(checker, s, CHECK_STACK)) != NULL)
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
			/* A check waits for answers (or an event is ready): run the
			 * loop. Sockets kept for later checks are watched too, but
			 * are no reason to wait on the loop. */
			event_base_loop(base, EVLOOP_ONCE);
		} else {
			pthread_mutex_lock(&s->m);
			while (!s->q_len && !s->eof)
				pthread_cond_wait(&s->changed, &s->m);
			pthread_mutex_unlock(&s->m);
		}
	}
	engine_thread_release(); /* sockets kept between this thread's checks */
	coro_set_thread_base(NULL);
	/* Out of memory for the loop or the stacks: check here, one at a time. */
	if (!base || !co || (wa->checks && !created))
		plain_checker(s);
	free(co);
	if (base)
		event_base_free(base);
	return NULL;
}

/* Read one line (without its newline) into `buf`; lines longer than the
 * buffer are consumed and reported as too long. Returns false at EOF. */
static bool read_line(FILE *in, char *buf, size_t size, bool *too_long)
{
	*too_long = false;
	if (!fgets(buf, (int)size, in))
		return false;
	size_t n = strlen(buf);
	if (n && buf[n - 1] == '\n') {
		buf[--n] = '\0';
	} else if (!feof(in)) {
		*too_long = true;
		int ch;
		while ((ch = fgetc(in)) != EOF && ch != '\n')
			;
	}
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return true;
}

int dd_scan(const dd_opts_t *opts, FILE *in, FILE *out)
{
	/* The checks of a scan share root and TLD answers and verification results. */
	dd_opts_t shared = *opts;
	shared.pcache = probe_cache_new(20000);
	shared.policy.vcache = an_vcache_new(65536);
	const dd_opts_t *o = &shared;
	scan_t s;
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.out = out;
	unsigned nthreads = o->scan_concurrency ? o->scan_concurrency : 16;
	s.q_cap = 2 * (size_t)nthreads;
	s.w = 4 * (size_t)nthreads;
	s.jobs = calloc(s.q_cap, sizeof(char *));
	s.job_seq = calloc(s.q_cap, sizeof(unsigned long));
	s.win = calloc(s.w, sizeof(slot_t));
	pthread_t *th = calloc(nthreads, sizeof(pthread_t));
	if (!s.jobs || !s.job_seq || !s.win || !th) {
		free(s.jobs);
		free(s.job_seq);
		free(s.win);
		free(th);
		probe_cache_free(shared.pcache);
		an_vcache_free(shared.policy.vcache);
		fprintf(stderr, "dnssec-doctor: out of memory\n");
		return 3;
	}
	signal(SIGPIPE, SIG_IGN);
	dd_raise_fd_limit(); /* each check holds a socket per server address it asks */
	pthread_mutex_init(&s.m, NULL);
	pthread_cond_init(&s.changed, NULL);
	pthread_cond_init(&s.room, NULL);
	s.t0 = now_s();
	s.tty = isatty(STDERR_FILENO);
	/* As many threads as cores (at most one per check), the checks spread
	 * over them as coroutines: a thread switches between its checks
	 * instead of the kernel between threads. */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned nworkers =
	    cores > 0 && (unsigned long)cores < nthreads ? (unsigned)cores : nthreads;
	worker_arg_t *wargs = calloc(nworkers, sizeof(worker_arg_t));
	unsigned started = 0;
	for (; wargs && started < nworkers; started++) {
		wargs[started].s = &s;
		wargs[started].checks = nthreads / nworkers + (started < nthreads % nworkers);
		if (pthread_create(&th[started], NULL, worker, &wargs[started]) != 0)
			break;
	}
	char buf[SCAN_LINE_MAX + 2];
	bool too_long;
	while (started && read_line(in, buf, sizeof(buf), &too_long)) {
		const char *p = buf + strspn(buf, " \t");
		if (!too_long && (*p == '\0' || *p == '#'))
			continue;
		/* An over-long line still gets its output line (an error), in order. */
		char *line = strdup(too_long ? "\x01" : p);
		if (!line)
			break;
		pthread_mutex_lock(&s.m);
		/* Bounded memory: wait for room in the queue and in the window. */
		if (!s.stop && (s.q_len == s.q_cap || s.read - s.next_out >= s.w)) {
			s.reader_waiting = true;
			while (!reader_may_go(&s))
				pthread_cond_wait(&s.room, &s.m);
			s.reader_waiting = false;
		}
		if (s.stop) {
			pthread_mutex_unlock(&s.m);
			free(line);
			break;
		}
		size_t tail = (s.q_head + s.q_len) % s.q_cap;
		s.jobs[tail] = line;
		s.job_seq[tail] = s.read++;
		s.q_len++;
		pthread_cond_broadcast(&s.changed);
		pthread_mutex_unlock(&s.m);
	}
	pthread_mutex_lock(&s.m);
	s.eof = true;
	pthread_cond_broadcast(&s.changed);
	pthread_mutex_unlock(&s.m);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(wargs);
	for (size_t i = 0; i < s.w; i++)
		free(s.win[i].text);
	if (!s.stop)
		progress(&s, true);
	int code = started ? s.worst : 3;
	if (!started)
		fprintf(stderr, "dnssec-doctor: cannot start scan threads\n");
	pthread_cond_destroy(&s.changed);
	pthread_cond_destroy(&s.room);
	pthread_mutex_destroy(&s.m);
	free(s.jobs);
	free(s.job_seq);
	free(s.win);
	free(th);
	if (getenv("DNSSEC_DOCTOR_SCAN_STATS") && shared.pcache && shared.policy.vcache) {
		unsigned long ph, pm, vh, vm;
		probe_cache_stats(shared.pcache, &ph, &pm);
		an_vcache_stats(shared.policy.vcache, &vh, &vm);
		fprintf(stderr,
			"scan: answer cache %lu hits, %lu misses; signature cache %lu hits, %lu "
			"verifications\n",
			ph, pm, vh, vm);
	}
	probe_cache_free(shared.pcache);
	an_vcache_free(shared.policy.vcache);
	return code;
}
