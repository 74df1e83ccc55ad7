/*
 * web.c — the HTTP side of `serve`: routing, input checks, limits, security
 * headers, and the worker pool that runs checks.
 *
 * Threads: the HTTP loop (libevent's evhttp) owns every evhttp_request. A
 * check is a job: the loop validates the request and queues the job; a
 * worker runs dd_check_probe + dd_check_analyse (a probe has its own event
 * loop) and renders the body; the finished job goes on the done list and a
 * byte on a pipe wakes the loop, which sends the reply. Only the loop
 * touches requests. If the client went away meanwhile, libevent has detached
 * the request from its connection and evhttp_send_reply just frees it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "check/check.h"
#include "common/dd.h"
#include "report/report.h"
#include "web/front.h"
#include "web/guard.h"
#include "web/web.h"

#define MAX_URI 2048        /* longer request targets: 414 */
#define MAX_HEADERS 8192    /* request line + headers */
#define MAX_BODY 1024       /* GET has none; anything larger is refused by evhttp */
#define QUEUE_FACTOR 4      /* jobs waiting per worker before 429 */
#define CLIENT_SLOTS 65536  /* rate-limit table size */
#define TARGET_SLOTS 65536  /* per-address budget table size */

typedef enum out_kind { OUT_JSON, OUT_HTML } out_kind_t;

typedef struct job {
	struct job *next;
	struct evhttp_request *req; /* loop thread only */
	out_kind_t kind;
	char name[1024];
	uint16_t qtype;
	char type_text[24];
	int64_t now;
	/* filled by the worker */
	int code;
	char *body;
	size_t len;
} job_t;

typedef struct web {
	dd_opts_t o; /* a shallow copy of the options, with the gate set; read-only once serving */
	struct event_base *base;
	struct evhttp *http;
	pthread_t *threads;
	unsigned n_threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	job_t *todo, *todo_tail, *done;
	unsigned queued;  /* waiting + running */
	bool stopping;    /* workers: exit when the queue is empty */
	bool draining;    /* loop: SIGTERM seen; answer what is queued, take nothing new, then stop */
	int pipe_r, pipe_w;
	struct event *pipe_ev, *sig_int, *sig_term;
	web_buckets_t *clients, *targets;
	web_front_t *front; /* connections and request heads, before evhttp (front.c) */
} web_t;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the probe's gate: which addresses a check may query ------------------- */

static int gate(void *arg, const char *addr, bool resolver, char *why, size_t why_size)
{
	web_t *w = arg;
	if (resolver)
		return 0; /* the operator configured these (--resolver or the defaults) */
	const char *range = NULL;
	if (!w->o.allow_private && !web_addr_global(addr, &range)) {
		snprintf(why, why_size, "%s is a %s address; this service queries only global addresses", addr, range);
		return DD_EREFUSEDADDR;
	}
	uint8_t key[16];
	size_t len = 16;
	if (inet_pton(AF_INET, addr, key) == 1)
		len = 4;
	else if (inet_pton(AF_INET6, addr, key) != 1)
		return DD_EREFUSEDADDR;
	if (!web_buckets_take(w->targets, key, len, mono_ms(), w->o.target_budget, NULL)) {
		snprintf(why, why_size, "the query budget for %s (%u a minute over all checks) is used up", addr,
			 w->o.target_budget);
		return DD_EREFUSEDADDR;
	}
	return 0;
}

/* ---- replies ----------------------------------------------------------------- */

static void security_headers(struct evhttp_request *req, bool cache)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	for (size_t i = 0; i < web_security_headers_n; i++)
		evhttp_add_header(h, web_security_headers[i][0], web_security_headers[i][1]);
	evhttp_add_header(h, "Cache-Control", cache ? "public, max-age=3600" : "no-store");
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *ctype, const char *body,
		  size_t len, bool cache)
{
	security_headers(req, cache);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	struct evbuffer *b = evbuffer_new();
	if (b && body && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

static const char *reason_of(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	default: return "Error";
	}
}

/* A JSON error object: {"error": "...", "status": CODE} plus the query when known. */
static char *json_error(int code, const char *msg, const char *name, const char *type, size_t *len)
{
	json_t *j = json_object();
	json_object_set_new(j, "error", json_string(msg));
	json_object_set_new(j, "status", json_integer(code));
	if (name) {
		json_t *q = json_object();
		json_object_set_new(q, "name", json_string(name));
		json_object_set_new(q, "type", json_string(type ? type : "A"));
		json_object_set_new(j, "query", q);
	}
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(j);
	char *out = s ? dd_asprintf("%s\n", s) : NULL;
	free(s);
	*len = out ? strlen(out) : 0;
	return out;
}

/* The form page (with an error) as a string. */
static char *html_form(const char *name, const char *type, const char *error, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	web_page_form(f, name, type, error);
	fclose(f);
	return buf;
}

static void reply_error(struct evhttp_request *req, out_kind_t kind, int code, const char *msg, const char *name,
			const char *type)
{
	size_t len = 0;
	char *body;
	/* Echo only what passed validation; raw input is shown escaped in the form page. */
	if (kind == OUT_JSON)
		body = json_error(code, msg, NULL, NULL, &len);
	else
		body = html_form(name, type, msg, &len);
	reply(req, code, reason_of(code), kind == OUT_JSON ? "application/json" : "text/html; charset=utf-8", body,
	      len, false);
	free(body);
}

/* The front's answers to requests it refuses itself (front.c): the same bodies as ours. */
static char *front_body(void *arg, bool api, int code, const char *msg, size_t *len)
{
	(void)arg;
	return api ? json_error(code, msg, NULL, NULL, len) : html_form(NULL, NULL, msg, len);
}

/* ---- workers ------------------------------------------------------------------ */

static void run_job(web_t *w, job_t *j)
{
	evidence_t *ev = NULL;
	an_result_t *res = NULL;
	char err[400] = "";
	int rc = dd_check_probe(&w->o, j->name, j->qtype, j->now, &ev, err, sizeof(err));
	if (!rc)
		rc = dd_check_analyse(&w->o, ev, &res);
	if (rc) {
		j->code = 422;
		if (!err[0])
			snprintf(err, sizeof(err), "%.300s: %s", j->name, dd_strerror(rc));
		j->body = j->kind == OUT_JSON ? json_error(422, err, j->name, j->type_text, &j->len)
					      : html_form(j->name, j->type_text, err, &j->len);
	} else if (j->kind == OUT_JSON) {
		json_t *js = rep_json(res, ev);
		char *s = js ? json_dumps(js, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
		json_decref(js);
		j->body = s ? dd_asprintf("%s\n", s) : NULL;
		j->len = j->body ? strlen(j->body) : 0;
		free(s);
		j->code = 200;
	} else {
		FILE *f = open_memstream(&j->body, &j->len);
		if (f) {
			web_page_result(f, res, ev, j->type_text);
			fclose(f);
		}
		j->code = 200;
	}
	an_result_free(res);
	ev_free(ev);
}

static void *worker(void *arg)
{
	web_t *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->todo && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		job_t *j = w->todo;
		if (!j) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		w->todo = j->next;
		if (!w->todo)
			w->todo_tail = NULL;
		pthread_mutex_unlock(&w->mu);

		run_job(w, j);

		pthread_mutex_lock(&w->mu);
		j->next = w->done;
		w->done = j;
		pthread_mutex_unlock(&w->mu);
		ssize_t wr;
		do
			wr = write(w->pipe_w, "x", 1);
		while (wr < 0 && errno == EINTR);
	}
}

/* Loop thread: once draining and nothing is queued, stop (after a moment, to flush the last replies). */
static void maybe_stop(web_t *w)
{
	pthread_mutex_lock(&w->mu);
	bool idle = w->queued == 0;
	pthread_mutex_unlock(&w->mu);
	if (w->draining && idle) {
		struct timeval tv = {0, 200000};
		event_base_loopexit(w->base, &tv);
	}
}

/* Loop thread: send the replies of finished jobs. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
	web_t *w = arg;
	char buf[256];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->mu);
	job_t *j = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	while (j) {
		job_t *next = j->next;
		pthread_mutex_lock(&w->mu);
		w->queued--;
		pthread_mutex_unlock(&w->mu);
		if (!j->body) {
			/* Out of memory while rendering: still a clear answer, never a hang. */
			reply_error(j->req, j->kind, 422, "the result could not be rendered (out of memory); try again", NULL,
				    NULL);
		} else {
			reply(j->req, j->code, reason_of(j->code),
			      j->kind == OUT_JSON ? "application/json" : "text/html; charset=utf-8", j->body, j->len, false);
		}
		free(j->body);
		free(j);
		j = next;
	}
	maybe_stop(w);
}

/* ---- the check endpoints -------------------------------------------------------- */

/* The client's key for the rate limit: the IPv4 address, or the /64 of an IPv6 address. */
static size_t client_key(struct evhttp_request *req, uint8_t key[16])
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	const struct sockaddr *sa = c ? evhttp_connection_get_addr(c) : NULL;
	if (sa && sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa && sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(a, mapped, 12) == 0) {
			memcpy(key, a + 12, 4);
			return 4;
		}
		memcpy(key, a, 8);
		return 8;
	}
	memset(key, 0, 16);
	return 1;
}

static void handle_check(web_t *w, struct evhttp_request *req, const char *query, out_kind_t kind)
{
	web_check_req_t cr;
	if (web_check_params(query, &cr)) {
		reply_error(req, kind, 400, cr.error, cr.raw_name[0] ? cr.raw_name : NULL, cr.type_text);
		return;
	}
	const char *canon = cr.name, *type_text = cr.type_text;
	uint16_t qtype = cr.qtype;

	uint8_t key[16];
	size_t klen = client_key(req, key);
	unsigned retry = 1;
	if (!web_buckets_take(w->clients, key, klen, mono_ms(), w->o.rate_per_min, &retry)) {
		char msg[160], ra[16];
		snprintf(msg, sizeof(msg), "too many checks from your address (%u a minute); try again in %u s",
			 w->o.rate_per_min, retry);
		snprintf(ra, sizeof(ra), "%u", retry);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", ra);
		reply_error(req, kind, 429, msg, canon, type_text);
		return;
	}
	pthread_mutex_lock(&w->mu);
	bool full = w->queued >= w->n_threads * (1 + QUEUE_FACTOR);
	pthread_mutex_unlock(&w->mu);
	if (w->draining) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		reply_error(req, kind, 429, "the service is restarting; try again in 5 s", canon, type_text);
		return;
	}
	if (full) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		reply_error(req, kind, 429, "the service is busy with other checks; try again in 5 s", canon, type_text);
		return;
	}
	job_t *j = calloc(1, sizeof(*j));
	if (!j) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		reply_error(req, kind, 429, "the service is out of memory; try again in 5 s", canon, type_text);
		return;
	}
	j->req = req;
	j->kind = kind;
	snprintf(j->name, sizeof(j->name), "%s", canon);
	j->qtype = qtype;
	snprintf(j->type_text, sizeof(j->type_text), "%s", type_text);
	j->now = (int64_t)time(NULL);
	pthread_mutex_lock(&w->mu);
	w->queued++;
	if (w->todo_tail)
		w->todo_tail->next = j;
	else
		w->todo = j;
	w->todo_tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	web_t *w = arg;
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	bool api = uri && strncmp(uri, "/api/", 5) == 0;
	out_kind_t kind = api ? OUT_JSON : OUT_HTML;
	if (!uri || strlen(uri) > MAX_URI) {
		reply_error(req, kind, 414, "the request is too long", NULL, NULL);
		return;
	}
	struct evhttp_uri *u = evhttp_uri_parse_with_flags(uri, 0);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	if (!u || !path || path[0] != '/') {
		if (u)
			evhttp_uri_free(u);
		reply_error(req, kind, 400, "malformed request target", NULL, NULL);
		return;
	}
	const char *query = evhttp_uri_get_query(u);
	bool check = strcmp(path, "/check") == 0 || strcmp(path, "/api/v1/check") == 0;
	if (m != EVHTTP_REQ_GET && (m != EVHTTP_REQ_HEAD || check)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", check ? "GET" : "GET, HEAD");
		reply_error(req, kind, 405, check ? "only GET is allowed here" : "only GET and HEAD are allowed", NULL, NULL);
	} else if (strcmp(path, "/") == 0) {
		size_t len = 0;
		char *body = html_form(NULL, NULL, NULL, &len);
		reply(req, 200, "OK", "text/html; charset=utf-8", body, len, false);
		free(body);
	} else if (strcmp(path, "/healthz") == 0) {
		reply(req, 200, "OK", "text/plain; charset=utf-8", "ok\n", 3, false);
	} else if (strcmp(path, "/static/style.css") == 0) {
		reply(req, 200, "OK", "text/css; charset=utf-8", web_css, strlen(web_css), true);
	} else if (strcmp(path, "/static/app.js") == 0) {
		reply(req, 200, "OK", "text/javascript; charset=utf-8", web_js, strlen(web_js), true);
	} else if (check) {
		handle_check(w, req, query, strcmp(path, "/check") == 0 ? OUT_HTML : OUT_JSON);
	} else {
		reply_error(req, kind, 404, "no such page", NULL, NULL);
	}
	evhttp_uri_free(u);
}

/* ---- start and stop -------------------------------------------------------------- */

/* SIGINT/SIGTERM: answer the checks in hand, then stop; a second signal stops at once. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	web_t *w = arg;
	if (w->draining) {
		event_base_loopexit(w->base, NULL);
		return;
	}
	w->draining = true;
	maybe_stop(w);
}

static int parse_listen(const char *s, char *host, size_t host_size, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return DD_EINVAL;
	size_t hl = (size_t)(colon - s);
	const char *h = s;
	if (h[0] == '[') {
		if (hl < 3 || h[hl - 1] != ']')
			return DD_EINVAL;
		h++;
		hl -= 2;
	}
	if (hl >= host_size)
		return DD_EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	char *end = NULL;
	long p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || p < 1 || p > 65535)
		return DD_EINVAL;
	struct in6_addr a6;
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1)
		return DD_EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static void web_clear(web_t *w)
{
	if (w->threads) {
		pthread_mutex_lock(&w->mu);
		w->stopping = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		for (unsigned i = 0; i < w->n_threads; i++)
			pthread_join(w->threads[i], NULL);
		free(w->threads);
		/* Send what finished while stopping, so evhttp_free finds no request of ours. */
		if (w->pipe_r >= 0)
			on_done(w->pipe_r, EV_READ, w);
	}
	if (w->pipe_ev)
		event_free(w->pipe_ev);
	if (w->sig_int)
		event_free(w->sig_int);
	if (w->sig_term)
		event_free(w->sig_term);
	if (w->http)
		evhttp_free(w->http);
	web_front_free(w->front);
	if (w->base)
		event_base_free(w->base);
	if (w->pipe_r >= 0)
		close(w->pipe_r);
	if (w->pipe_w >= 0)
		close(w->pipe_w);
	web_buckets_free(w->clients);
	web_buckets_free(w->targets);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}

int web_serve(const dd_opts_t *o, char *err, size_t err_size)
{
	char host[64];
	uint16_t port = 0;
	if (parse_listen(o->listen, host, sizeof(host), &port)) {
		snprintf(err, err_size, "--listen: expected ADDR:PORT (127.0.0.1:8053, [::1]:8053), got \"%.60s\"", o->listen);
		return DD_EINVAL;
	}
	web_t w;
	memset(&w, 0, sizeof(w));
	w.o = *o;
	w.o.gate = gate;
	w.o.gate_arg = &w;
	/* Checks share root and TLD answers and verification results (nothing below the TLDs). */
	w.o.pcache = probe_cache_new(20000);
	w.o.policy.vcache = an_vcache_new(65536);
	w.pipe_r = w.pipe_w = -1;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	json_object_seed(0); /* before threads create objects */
	signal(SIGPIPE, SIG_IGN);
	/* Descriptors: every connection holds one, and every server address a
	 * check asks another. Use what the hard limit allows. */
	dd_raise_fd_limit();
	int fds[2];
	int ret = DD_ENOMEM;
	w.clients = web_buckets_new(CLIENT_SLOTS);
	w.targets = web_buckets_new(TARGET_SLOTS);
	w.base = event_base_new();
	w.http = w.base ? evhttp_new(w.base) : NULL;
	if (!w.clients || !w.targets || !w.http || pipe(fds) != 0) {
		snprintf(err, err_size, "serve: cannot set up (out of memory or descriptors)");
		goto out;
	}
	w.pipe_r = fds[0];
	w.pipe_w = fds[1];
	evutil_make_socket_nonblocking(w.pipe_r);
	fcntl(w.pipe_r, F_SETFD, FD_CLOEXEC);
	fcntl(w.pipe_w, F_SETFD, FD_CLOEXEC);
	w.pipe_ev = event_new(w.base, w.pipe_r, EV_READ | EV_PERSIST, on_done, &w);
	w.sig_int = evsignal_new(w.base, SIGINT, on_signal, &w);
	w.sig_term = evsignal_new(w.base, SIGTERM, on_signal, &w);
	if (!w.pipe_ev || !w.sig_int || !w.sig_term || event_add(w.pipe_ev, NULL) || event_add(w.sig_int, NULL) ||
	    event_add(w.sig_term, NULL)) {
		snprintf(err, err_size, "serve: cannot set up events");
		goto out;
	}
	/* The front (front.c) hands evhttp only GET and HEAD requests with well-formed
	 * heads and answers everything else itself; evhttp's own error answers
	 * (400, 413, 501) would carry none of our headers. */
	evhttp_set_allowed_methods(w.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(w.http, MAX_HEADERS);
	evhttp_set_max_body_size(w.http, MAX_BODY);
	/* Idle connections between requests, and slow readers of an answer: closed
	 * after this long without progress. It must outlast a check (the deadline),
	 * since the reply waits for it. A request head has its own, absolute limit
	 * (--header-timeout, in the front). */
	evhttp_set_timeout(w.http, (int)(o->engine.deadline_ms / 1000) + 5);
	struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(w.http, host, port);
	if (!bound) {
		snprintf(err, err_size, "serve: cannot listen on %s: %s", o->listen, strerror(errno));
		ret = DD_EIO;
		goto out;
	}
	web_front_cfg_t fc = {
		.header_timeout_s = o->header_timeout_s,
		.max_conns = o->max_conns,
		.max_per_client = o->max_client_conns,
		.body = front_body,
		.body_arg = &w,
	};
	w.front = web_front_new(w.base, w.http, bound, &fc, on_request, &w);
	if (!w.front) {
		snprintf(err, err_size, "serve: cannot set up (out of memory)");
		goto out;
	}
	w.n_threads = o->max_checks ? o->max_checks : 1;
	w.threads = calloc(w.n_threads, sizeof(pthread_t));
	if (!w.threads)
		goto out;
	for (unsigned i = 0; i < w.n_threads; i++)
		if (pthread_create(&w.threads[i], NULL, worker, &w)) {
			w.n_threads = i;
			snprintf(err, err_size, "serve: cannot start worker threads");
			goto out;
		}
	fprintf(stderr, "dnssec-doctor: serving on http://%s%s%s:%u/ (%u checks at once, %u checks/min per client%s)\n",
		strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port, w.n_threads, o->rate_per_min,
		o->allow_private ? ", private addresses allowed" : "");
	event_base_dispatch(w.base);
	fprintf(stderr, "dnssec-doctor: stopping\n");
	ret = 0;
out:
	web_clear(&w);
	probe_cache_free(w.o.pcache);
	an_vcache_free(w.o.policy.vcache);
	return ret;
}
