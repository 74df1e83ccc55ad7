/*
 * pool.c — serve's worker processes (see pool.h).
 *
 * Parent: one worker_t per slot. Its socket is a bufferevent on the loop;
 * a reply is a reply_hdr_t then the body. End of file on the socket, a reply
 * that makes no sense, or the check's timer means the worker is gone or must
 * go: it is killed (SIGKILL; a no-op on one already dead), reaped with
 * waitpid, its check failed, and a new worker forked in its place.
 *
 * Worker: reads requests with blocking reads, runs each, writes the reply.
 * It ignores SIGINT and SIGTERM (the parent drains and then closes the
 * socket, which ends the worker) and dies with its parent (PR_SET_PDEATHSIG).
 * It leaves with exit(), not _exit(), so that under LeakSanitizer a check
 * that leaks is still reported, as it was when checks ran in threads.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/dd.h"
#include "web/pool.h"

#define REPLY_MAGIC 0x64647770u	      /* "ddwp" */
#define MAX_REPLY (64u * 1024 * 1024) /* a body larger than this is a broken worker */

typedef struct reply_hdr {
	uint32_t magic;
	int32_t code;
	uint32_t last; /* the worker retires after this reply */
	uint32_t len;
} reply_hdr_t;

typedef struct pjob {
	struct pjob *next;
	web_pool_req_t req;
	web_pool_done_fn cb;
	void *cb_arg;
} pjob_t;

typedef struct worker {
	web_pool_t *pool;
	pid_t pid; /* 0: none (being replaced) */
	struct bufferevent *bev;
	struct event *timer; /* the running check's wall-clock limit */
	pjob_t *job;	     /* the running check */
	bool retiring;	     /* said its last reply: give it nothing more */
	bool timed_out;
	int64_t born_ms; /* when it was forked */
} worker_t;

struct web_pool {
	struct event_base *base;
	web_pool_cfg_t cfg;
	worker_t *w;
	pjob_t *head, *tail;
	unsigned queued, running, alive;
	struct event *respawn; /* retries forks that failed */
	bool freeing;
};

/* ---- the worker's side -------------------------------------------------------- */

static bool read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static bool write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* VmData of this process in bytes (0 if unknown): what RLIMIT_DATA counts. */
static size_t data_now(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 0;
	char line[256];
	unsigned long long kb = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmData: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (size_t)kb * 1024;
}

/* Close every descriptor but 0-2 and `keep`: the listening socket, the
 * clients' connections and the other workers' sockets belong to the parent. */
static void close_others(int keep)
{
	if (keep > 3)
		close_range(3, (unsigned)keep - 1, 0);
	if (close_range((unsigned)keep + 1, ~0u, 0) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = keep + 1; fd < max && fd < 65536; fd++)
		close((int)fd);
}

static void worker_main(web_pool_t *p, int fd, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	close_others(fd);
	if (p->cfg.data_bytes) {
		rlim_t lim = (rlim_t)(data_now() + p->cfg.data_bytes);
		struct rlimit rl = {lim, lim};
		setrlimit(RLIMIT_DATA, &rl);
	}
	unsigned checks = 0;
	web_pool_req_t req;
	while (read_full(fd, &req, sizeof(req))) {
		req.name[sizeof(req.name) - 1] = '\0';
		req.type_text[sizeof(req.type_text) - 1] = '\0';
		/* RLIMIT_CPU counts the process's whole life: the limit moves with each check. */
		struct rlimit rl;
		if (getrlimit(RLIMIT_CPU, &rl) == 0) {
			rl.rlim_cur = (rlim_t)cpu_seconds() + 1 + p->cfg.check_cpu_s;
			if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
				rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_CPU, &rl);
		}
		int code = 500;
		char *body = NULL;
		size_t len = 0;
		p->cfg.run(p->cfg.run_arg, &req, &code, &body, &len);
		checks++;
		bool last = checks >= p->cfg.checks_per_worker;
		reply_hdr_t h = {REPLY_MAGIC, code, last,
				 body && len < MAX_REPLY ? (uint32_t)len : 0};
		bool sent = write_full(fd, &h, sizeof(h)) && write_full(fd, body, h.len);
		free(body);
		if (!sent || last)
			break;
	}
	/* The socket closes as the process ends (after a leak check, if any). */
	exit(0);
}

/* ---- the parent's side -------------------------------------------------------- */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Let go of a worker's socket. libevent closes the descriptor only when the
 * loop next runs (the bufferevent is finalized there): shut it down now, so
 * that the worker reads its end of file at once, also after the loop ended. */
static void drop_socket(worker_t *wk)
{
	if (!wk->bev)
		return;
	shutdown(bufferevent_getfd(wk->bev), SHUT_RDWR);
	bufferevent_free(wk->bev);
	wk->bev = NULL;
}

static void on_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static void on_timeout(evutil_socket_t fd, short what, void *arg);
static void dispatch(web_pool_t *p);

static int spawn(worker_t *wk)
{
	web_pool_t *p = wk->pool;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return DD_EIO;
	fflush(NULL); /* nothing buffered is written twice */
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return DD_EIO;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_main(p, sv[1], parent);
	}
	close(sv[1]);
	evutil_make_socket_nonblocking(sv[0]);
	wk->bev = bufferevent_socket_new(p->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	if (!wk->bev) {
		close(sv[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return DD_ENOMEM;
	}
	bufferevent_setcb(wk->bev, on_read, NULL, on_event, wk);
	bufferevent_enable(wk->bev, EV_READ | EV_WRITE);
	wk->pid = pid;
	wk->retiring = false;
	wk->timed_out = false;
	wk->born_ms = mono_ms();
	p->alive++;
	return 0;
}

/* Fork what is missing; when a fork fails, try again in a second. */
static void fill(web_pool_t *p)
{
	if (p->freeing)
		return;
	bool missing = false;
	for (unsigned i = 0; i < p->cfg.workers; i++)
		if (!p->w[i].pid && spawn(&p->w[i]))
			missing = true;
	if (missing) {
		struct timeval tv = {1, 0};
		evtimer_add(p->respawn, &tv);
	}
	dispatch(p);
}

static void on_respawn(evutil_socket_t fd, short what, void *arg)
{
	fill(arg);
}

static void describe(int st, char *buf, size_t size)
{
	if (WIFSIGNALED(st))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else if (WIFEXITED(st))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(st));
	else
		snprintf(buf, size, "ended (status %#x)", (unsigned)st);
}

/* The worker is gone or must go: reap it, fail its check, replace it. */
static void worker_lost(worker_t *wk)
{
	web_pool_t *p = wk->pool;
	drop_socket(wk);
	evtimer_del(wk->timer);
	int st = 0;
	char status[120] = "";
	if (wk->pid) {
		kill(wk->pid, SIGKILL); /* nothing happens to one already dead */
		while (waitpid(wk->pid, &st, 0) < 0 && errno == EINTR)
			;
		describe(st, status, sizeof(status));
		p->alive--;
	}
	pid_t pid = wk->pid;
	wk->pid = 0;
	pjob_t *j = wk->job;
	wk->job = NULL;
	/* One that dies on its own before its first second is not forked again
	 * at once: a worker that cannot start must not become a fork loop. */
	bool early = !j && !wk->retiring && mono_ms() - wk->born_ms < 1000;
	if (j) {
		p->running--;
		char msg[300];
		if (wk->timed_out)
			snprintf(
			    msg, sizeof(msg),
			    "the check failed inside the doctor: it was stopped after %u s; this "
			    "says nothing about the name; try again later",
			    (p->cfg.check_ms + 999) / 1000);
		else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU)
			snprintf(msg, sizeof(msg),
				 "the check failed inside the doctor: it used more CPU time than a "
				 "check may; this says nothing about the name; try again later");
		else if (p->freeing)
			snprintf(
			    msg, sizeof(msg),
			    "the check failed inside the doctor: the service stopped; try again");
		else
			snprintf(msg, sizeof(msg),
				 "the check failed inside the doctor: it crashed (a bug in "
				 "dnssec-doctor, not a finding about the name); try again");
		fprintf(stderr,
			"dnssec-doctor: the check of %.300s %s failed inside the doctor: worker %d "
			"%s; answered as indeterminate\n",
			j->req.name, j->req.type_text, (int)pid,
			wk->timed_out ? "ran out of time and was killed" : status);
		j->cb(j->cb_arg, 200, NULL, 0, msg);
		free(j);
	} else if (pid && !p->freeing && !(wk->retiring && WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		fprintf(stderr, "dnssec-doctor: worker %d %s while idle; replaced\n", (int)pid,
			status);
	}
	wk->retiring = false;
	wk->timed_out = false;
	if (early && !p->freeing) {
		struct timeval tv = {1, 0};
		evtimer_add(p->respawn, &tv);
		dispatch(p);
		return;
	}
	fill(p);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	worker_lost(arg);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	worker_t *wk = arg;
	wk->timed_out = true;
	worker_lost(wk);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	worker_t *wk = arg;
	web_pool_t *p = wk->pool;
	struct evbuffer *in = bufferevent_get_input(bev);
	reply_hdr_t h;
	if (evbuffer_get_length(in) < sizeof(h))
		return;
	evbuffer_copyout(in, &h, sizeof(h));
	if (h.magic != REPLY_MAGIC || h.len >= MAX_REPLY || !wk->job) {
		worker_lost(wk);
		return;
	}
	if (evbuffer_get_length(in) < sizeof(h) + h.len)
		return;
	evbuffer_drain(in, sizeof(h));
	char *body = malloc((size_t)h.len + 1);
	if (body) {
		evbuffer_remove(in, body, h.len);
		body[h.len] = '\0';
	} else {
		evbuffer_drain(in, h.len);
	}
	pjob_t *j = wk->job;
	wk->job = NULL;
	evtimer_del(wk->timer);
	p->running--;
	if (h.last)
		wk->retiring = true;
	j->cb(j->cb_arg, h.code, body, body ? h.len : 0, NULL);
	free(j);
	dispatch(p);
}

static void dispatch(web_pool_t *p)
{
	for (unsigned i = 0; i < p->cfg.workers && p->head; i++) {
		worker_t *wk = &p->w[i];
		if (!wk->pid || !wk->bev || wk->job || wk->retiring)
			continue;
		pjob_t *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
		j->next = NULL;
		wk->job = j;
		p->running++;
		struct timeval tv = {p->cfg.check_ms / 1000, (p->cfg.check_ms % 1000) * 1000};
		evtimer_add(wk->timer, &tv);
		if (bufferevent_write(wk->bev, &j->req, sizeof(j->req))) {
			worker_lost(wk);
			return; /* worker_lost dispatched again */
		}
	}
}

int web_pool_submit(web_pool_t *p, const web_pool_req_t *req, web_pool_done_fn cb, void *cb_arg)
{
	pjob_t *j = calloc(1, sizeof(*j));
	if (!j)
		return DD_ENOMEM;
	j->req = *req;
	j->cb = cb;
	j->cb_arg = cb_arg;
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	dispatch(p);
	return 0;
}

unsigned web_pool_pending(const web_pool_t *p)
{
	return p->queued + p->running;
}

unsigned web_pool_alive(const web_pool_t *p)
{
	return p->alive;
}

int web_pool_new(struct event_base *base, const web_pool_cfg_t *cfg, web_pool_t **out, char *err,
		 size_t err_size)
{
	*out = NULL;
	web_pool_t *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, err_size, "serve: out of memory");
		return DD_ENOMEM;
	}
	p->base = base;
	p->cfg = *cfg;
	if (!p->cfg.workers)
		p->cfg.workers = 1;
	if (!p->cfg.checks_per_worker)
		p->cfg.checks_per_worker = 1;
	p->w = calloc(p->cfg.workers, sizeof(worker_t));
	p->respawn = evtimer_new(base, on_respawn, p);
	bool ok = p->w && p->respawn;
	for (unsigned i = 0; ok && i < p->cfg.workers; i++) {
		p->w[i].pool = p;
		p->w[i].timer = evtimer_new(base, on_timeout, &p->w[i]);
		ok = p->w[i].timer != NULL;
	}
	if (!ok) {
		web_pool_free(p);
		snprintf(err, err_size, "serve: out of memory");
		return DD_ENOMEM;
	}
	for (unsigned i = 0; i < p->cfg.workers; i++)
		if (spawn(&p->w[i])) {
			snprintf(err, err_size, "serve: cannot start worker processes: %s",
				 strerror(errno));
			web_pool_free(p);
			return DD_EIO;
		}
	*out = p;
	return 0;
}

void web_pool_free(web_pool_t *p)
{
	if (!p)
		return;
	p->freeing = true;
	/* Checks still queued: never started. */
	while (p->head) {
		pjob_t *j = p->head;
		p->head = j->next;
		p->queued--;
		j->cb(j->cb_arg, 200, NULL, 0,
		      "the check failed inside the doctor: the service stopped; try again");
		free(j);
	}
	for (unsigned i = 0; p->w && i < p->cfg.workers; i++) {
		worker_t *wk = &p->w[i];
		if (wk->job) {
			worker_lost(wk);
		} else {
			drop_socket(wk); /* an idle worker reads the end of file and leaves */
		}
	}
	for (unsigned i = 0; p->w && i < p->cfg.workers; i++) {
		worker_t *wk = &p->w[i];
		if (!wk->pid)
			continue;
		int st = 0;
		pid_t r = 0;
		for (int k = 0; k < 300 && (r = waitpid(wk->pid, &st, WNOHANG)) == 0; k++) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (r == 0) {
			kill(wk->pid, SIGKILL);
			waitpid(wk->pid, &st, 0);
			fprintf(stderr,
				"dnssec-doctor: worker %d did not stop within 3 s; killed\n",
				(int)wk->pid);
		} else if (r > 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			char status[120];
			describe(st, status, sizeof(status));
			fprintf(stderr, "dnssec-doctor: worker %d %s at the end\n", (int)wk->pid,
				status);
		}
		wk->pid = 0;
	}
	for (unsigned i = 0; p->w && i < p->cfg.workers; i++)
		if (p->w[i].timer)
			event_free(p->w[i].timer);
	if (p->respawn)
		event_free(p->respawn);
	free(p->w);
	free(p);
}
