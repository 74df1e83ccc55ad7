/*
 * web.c — the HTTP side of `serve`: routing, input checks, limits, security
 * headers, and handing checks to the worker processes (pool.c).
 *
 * The parent process runs libevent's evhttp loop and owns every
 * evhttp_request. A check is a job: the loop validates the request, and the
 * pool runs it in a worker process (dd_check_probe + dd_check_analyse, and
 * the rendering of the body); the body comes back to the loop, which sends
 * the reply. A worker that dies mid-check costs that check only: its client
 * gets an "indeterminate" answer that says the check failed inside the
 * doctor. If the client went away meanwhile, libevent has detached the
 * request from its connection and evhttp_send_reply just frees it.
 *
 * What checks share lives in memory shared with the workers, made before
 * they are forked: the root and TLD answer cache (probe/pcache.c) and the
 * per-address query budget (budget.c). Each worker has its own copy of the
 * signature cache.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <grp.h>
#include <pwd.h>
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
#include "web/budget.h"
#include "web/front.h"
#include "web/guard.h"
#include "web/pool.h"
#include "web/web.h"

#define MAX_URI 2048			 /* longer request targets: 414 */
#define MAX_HEADERS 8192		 /* request line + headers */
#define MAX_BODY 1024			 /* GET has none; anything larger is refused by evhttp */
#define QUEUE_FACTOR 4			 /* jobs waiting per worker before 429 */
#define CLIENT_SLOTS 65536		 /* rate-limit table size */
#define TARGET_SLOTS 65536		 /* per-address budget table size */
#define PAIR_SLOTS 131072		 /* (address, client) shares */
#define WORKER_CHECKS 256		 /* checks before a worker retires */
#define WORKER_DATA (512u * 1024 * 1024) /* RLIMIT_DATA above a worker's start */
#define WORKER_GRACE_MS 3000		 /* beyond the deadline before a worker is killed */

typedef enum out_kind { OUT_JSON, OUT_HTML } out_kind_t;

/* A check in the hands of the pool (loop thread only). */
typedef struct job {
	struct web *w;
	struct evhttp_request *req;
	out_kind_t kind;
	char name[1024];
	char type_text[24];
} job_t;

typedef struct web {
	dd_opts_t o; /* a shallow copy of the options, with the gate set; read-only once serving */
	struct event_base *base;
	struct evhttp *http;
	web_pool_t *pool;
	unsigned n_workers;
	bool draining; /* SIGTERM seen; answer what is queued, take nothing new, then stop */
	struct event *sig_int, *sig_term;
	web_buckets_t *clients; /* the parent's: checks per client */
	web_budget_t *targets;	/* shared: queries per server address */
	/* In a worker: who asked for the running check (their share of the budget). */
	uint8_t client[16];
	size_t client_len;
	const char *test_crash; /* DNSSEC_DOCTOR_TEST_CRASH: see run_check */
	web_front_t *front;	/* connections and request heads, before evhttp (front.c) */
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
		snprintf(why, why_size,
			 "%s is a %s address; this service queries only global addresses", addr,
			 range);
		return DD_EREFUSEDADDR;
	}
	uint8_t key[16];
	size_t len = 16;
	if (inet_pton(AF_INET, addr, key) == 1)
		len = 4;
	else if (inet_pton(AF_INET6, addr, key) != 1)
		return DD_EREFUSEDADDR;
	unsigned share = 0;
	if (!web_budget_take(w->targets, key, len, w->client, w->client_len, mono_ms(),
			     w->o.target_budget, &share)) {
		if (share < w->o.target_budget)
			snprintf(why, why_size,
				 "the query budget for %s (%u a minute over all checks, %u of it "
				 "yours while others "
				 "check too) is used up",
				 addr, w->o.target_budget, share);
		else
			snprintf(why, why_size,
				 "the query budget for %s (%u a minute over all checks) is used up",
				 addr, w->o.target_budget);
		return DD_ELIMIT;
	}
	return 0;
}

/* A query the gate allowed was not sent after all: its token goes back. */
static void ungate(void *arg, const char *addr)
{
	web_t *w = arg;
	uint8_t key[16];
	size_t len = 16;
	if (inet_pton(AF_INET, addr, key) == 1)
		len = 4;
	else if (inet_pton(AF_INET6, addr, key) != 1)
		return;
	web_budget_give(w->targets, key, len, w->client, w->client_len, w->o.target_budget);
}

/* ---- replies ----------------------------------------------------------------- */

void web_add_security_headers(struct evkeyvalq *h, bool cache)
{
	for (size_t i = 0; i < web_security_headers_n; i++)
		evhttp_add_header(h, web_security_headers[i][0], web_security_headers[i][1]);
	evhttp_add_header(h, "Cache-Control", cache ? "public, max-age=3600" : "no-store");
}

static void security_headers(struct evhttp_request *req, bool cache)
{
	web_add_security_headers(evhttp_request_get_output_headers(req), cache);
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *ctype,
		  const char *body, size_t len, bool cache)
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
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 414:
		return "URI Too Long";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	default:
		return "Error";
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

static void reply_error(struct evhttp_request *req, out_kind_t kind, int code, const char *msg,
			const char *name, const char *type)
{
	size_t len = 0;
	char *body;
	/* Echo only what passed validation; raw input is shown escaped in the form page. */
	if (kind == OUT_JSON)
		body = json_error(code, msg, NULL, NULL, &len);
	else
		body = html_form(name, type, msg, &len);
	reply(req, code, reason_of(code),
	      kind == OUT_JSON ? "application/json" : "text/html; charset=utf-8", body, len, false);
	free(body);
}

/* The front's answers to requests it refuses itself (front.c): the same bodies as ours. */
static char *front_body(void *arg, bool api, int code, const char *msg, size_t *len)
{
	(void)arg;
	return api ? json_error(code, msg, NULL, NULL, len) : html_form(NULL, NULL, msg, len);
}

/* ---- checks: run in a worker process, answered by the loop ------------------- */

/* The test hook's name matches the check's (case and the trailing dot aside). */
static bool name_is(const char *hook, const char *name)
{
	size_t a = strlen(hook), b = strlen(name);
	if (a && hook[a - 1] == '.')
		a--;
	if (b && name[b - 1] == '.')
		b--;
	return a == b && strncasecmp(hook, name, a) == 0;
}

/* In a worker: run one check and render its body (the page or the JSON). */
static void run_check(void *arg, const web_pool_req_t *rq, int *code, char **body, size_t *len)
{
	web_t *w = arg;
	/* A test hook (documented in docs/web.md), set only by the test suite:
	 * DNSSEC_DOCTOR_TEST_CRASH=NAME aborts the worker that checks NAME, as a
	 * crash inside a library would; =spin:NAME makes it spin on the CPU until
	 * the limits stop it. No other name is touched. */
	if (w->test_crash) {
		bool spin = strncmp(w->test_crash, "spin:", 5) == 0;
		if (name_is(w->test_crash + (spin ? 5 : 0), rq->name)) {
			if (!spin)
				abort();
			for (volatile unsigned long n = 0;; n++)
				;
		}
	}
	memcpy(w->client, rq->client, sizeof(w->client));
	w->client_len = rq->client_len <= sizeof(w->client) ? rq->client_len : sizeof(w->client);
	evidence_t *ev = NULL;
	an_result_t *res = NULL;
	char err[400] = "";
	*body = NULL;
	*len = 0;
	int rc = dd_check_probe(&w->o, rq->name, rq->qtype, rq->now, &ev, err, sizeof(err));
	if (!rc)
		rc = dd_check_analyse(&w->o, ev, &res);
	if (rc) {
		*code = 422;
		if (!err[0])
			snprintf(err, sizeof(err), "%.300s: %s", rq->name, dd_strerror(rc));
		*body = rq->kind == OUT_JSON ? json_error(422, err, rq->name, rq->type_text, len)
					     : html_form(rq->name, rq->type_text, err, len);
	} else if (rq->kind == OUT_JSON) {
		json_t *js = rep_json(res, ev);
		char *s =
		    js ? json_dumps(js, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
		json_decref(js);
		*body = s ? dd_asprintf("%s\n", s) : NULL;
		*len = *body ? strlen(*body) : 0;
		free(s);
		*code = 200;
	} else {
		FILE *f = open_memstream(body, len);
		if (f) {
			web_page_result(f, res, ev, rq->type_text);
			fclose(f);
		}
		*code = 200;
	}
	an_result_free(res);
	ev_free(ev);
}

/* The answer for a check whose worker died: 200, status "indeterminate", and why. */
static char *json_failed(const char *name, const char *type, const char *why, size_t *len)
{
	json_t *j = json_object();
	json_t *q = json_object();
	json_object_set_new(q, "name", json_string(name));
	json_object_set_new(q, "type", json_string(type));
	json_object_set_new(j, "version", json_integer(1));
	json_object_set_new(j, "query", q);
	json_object_set_new(j, "status", json_string("indeterminate"));
	json_object_set_new(j, "error", json_string(why));
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(j);
	char *out = s ? dd_asprintf("%s\n", s) : NULL;
	free(s);
	*len = out ? strlen(out) : 0;
	return out;
}

/* Loop: once draining and nothing is pending, stop (after a moment, to flush the last replies). */
static void maybe_stop(web_t *w)
{
	if (w->draining && (!w->pool || web_pool_pending(w->pool) == 0)) {
		struct timeval tv = {0, 200000};
		event_base_loopexit(w->base, &tv);
	}
}

/* Loop: a check is done (or its worker died): answer it. */
static void on_check_done(void *arg, int code, char *body, size_t len, const char *failure)
{
	job_t *j = arg;
	web_t *w = j->w;
	const char *ctype = j->kind == OUT_JSON ? "application/json" : "text/html; charset=utf-8";
	if (failure) {
		body = j->kind == OUT_JSON ? json_failed(j->name, j->type_text, failure, &len)
					   : html_form(j->name, j->type_text, failure, &len);
		code = 200;
	}
	if (!body) {
		/* Out of memory while rendering: still a clear answer, never a hang. */
		reply_error(j->req, j->kind, 422,
			    "the result could not be rendered (out of memory); try again", NULL,
			    NULL);
	} else {
		reply(j->req, code, reason_of(code), ctype, body, len, false);
	}
	free(body);
	free(j);
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
		reply_error(req, kind, 400, cr.error, cr.raw_name[0] ? cr.raw_name : NULL,
			    cr.type_text);
		return;
	}
	const char *canon = cr.name, *type_text = cr.type_text;
	uint16_t qtype = cr.qtype;

	uint8_t key[16];
	size_t klen = client_key(req, key);
	unsigned retry = 1;
	if (!web_buckets_take(w->clients, key, klen, mono_ms(), w->o.rate_per_min, &retry)) {
		char msg[160], ra[16];
		snprintf(msg, sizeof(msg),
			 "too many checks from your address (%u a minute); try again in %u s",
			 w->o.rate_per_min, retry);
		snprintf(ra, sizeof(ra), "%u", retry);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", ra);
		reply_error(req, kind, 429, msg, canon, type_text);
		return;
	}
	bool full = web_pool_pending(w->pool) >= w->n_workers * (1 + QUEUE_FACTOR);
	if (w->draining) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		reply_error(req, kind, 429, "the service is restarting; try again in 5 s", canon,
			    type_text);
		return;
	}
	if (full) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		reply_error(req, kind, 429,
			    "the service is busy with other checks; try again in 5 s", canon,
			    type_text);
		return;
	}
	job_t *j = calloc(1, sizeof(*j));
	web_pool_req_t rq;
	memset(&rq, 0, sizeof(rq));
	snprintf(rq.name, sizeof(rq.name), "%s", canon);
	snprintf(rq.type_text, sizeof(rq.type_text), "%s", type_text);
	rq.qtype = qtype;
	rq.kind = (uint8_t)kind;
	memcpy(rq.client, key, klen);
	rq.client_len = (uint8_t)klen;
	rq.now = (int64_t)time(NULL);
	if (j) {
		j->w = w;
		j->req = req;
		j->kind = kind;
		snprintf(j->name, sizeof(j->name), "%s", canon);
		snprintf(j->type_text, sizeof(j->type_text), "%s", type_text);
	}
	if (!j || web_pool_submit(w->pool, &rq, on_check_done, j)) {
		free(j);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		reply_error(req, kind, 429, "the service is out of memory; try again in 5 s", canon,
			    type_text);
	}
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
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
				  check ? "GET" : "GET, HEAD");
		reply_error(req, kind, 405,
			    check ? "only GET is allowed here" : "only GET and HEAD are allowed",
			    NULL, NULL);
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
		reply(req, 200, "OK", "text/javascript; charset=utf-8", web_js, strlen(web_js),
		      true);
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

int web_parse_listen(const char *s, char *host, size_t host_size, uint16_t *port)
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
	/* The pool first: it answers what is left, so evhttp_free finds no request of ours. */
	web_pool_free(w->pool);
	w->pool = NULL;
	if (w->sig_int)
		event_free(w->sig_int);
	if (w->sig_term)
		event_free(w->sig_term);
	if (w->http)
		evhttp_free(w->http);
	web_front_free(w->front);
	if (w->base)
		event_base_free(w->base);
	web_buckets_free(w->clients);
	web_budget_free(w->targets);
}

/*
 * Started as root: become --user (default nobody), with that user's group
 * (nogroup for nobody) and no supplementary groups, after binding. Where
 * the user does not exist in this user namespace (an unprivileged
 * namespace that maps only root) there is nothing to drop to and no real
 * privilege to drop: say so and go on.
 */
static int drop_privileges(const char *user, char *err, size_t err_size)
{
	if (geteuid() != 0)
		return 0;
	const char *name = user[0] ? user : "nobody";
	struct passwd *pw = getpwnam(name);
	if (!pw) {
		snprintf(err, err_size, "serve: --user %s: no such user", name);
		return DD_EINVAL;
	}
	gid_t gid = pw->pw_gid;
	if (!user[0]) {
		struct group *gr = getgrnam("nogroup");
		if (gr)
			gid = gr->gr_gid;
	}
	uid_t uid = pw->pw_uid;
	if (uid == 0)
		return 0; /* asked to stay root */
	if (setgroups(0, NULL) != 0 && errno != EPERM) {
		snprintf(err, err_size, "serve: cannot drop supplementary groups: %s",
			 strerror(errno));
		return DD_EIO;
	}
	if (setgid(gid) != 0 || setuid(uid) != 0) {
		if (errno == EINVAL) {
			fprintf(stderr,
				"dnssec-doctor: %s is not mapped in this user namespace; staying "
				"its root (which "
				"holds no privilege outside it)\n",
				name);
			return 0;
		}
		snprintf(err, err_size, "serve: cannot become %s: %s", name, strerror(errno));
		return DD_EIO;
	}
	if (setuid(0) == 0) {
		snprintf(err, err_size,
			 "serve: could become root again after dropping to %s; refusing to serve",
			 name);
		return DD_EIO;
	}
	return 0;
}

int web_serve(const dd_opts_t *o, char *err, size_t err_size)
{
	char host[64];
	uint16_t port = 0;
	if (web_parse_listen(o->listen, host, sizeof(host), &port)) {
		snprintf(err, err_size,
			 "--listen: expected ADDR:PORT (127.0.0.1:8053, [::1]:8053), got \"%.60s\"",
			 o->listen);
		return DD_EINVAL;
	}
	web_t w;
	memset(&w, 0, sizeof(w));
	w.o = *o;
	w.o.gate = gate;
	w.o.ungate = ungate;
	w.o.gate_arg = &w;
	const char *crash = getenv("DNSSEC_DOCTOR_TEST_CRASH");
	w.test_crash = crash && crash[0] ? crash : NULL;
	/* Checks share root and TLD answers (a mapping the workers share) and
	 * verification results (each worker its own copy). */
	w.o.pcache = probe_cache_new(20000);
	w.o.policy.vcache = an_vcache_new(65536);
	json_object_seed(0); /* before the workers create objects */
	signal(SIGPIPE, SIG_IGN);
	/* Descriptors: every connection holds one, and every server address a
	 * check asks another. Use what the hard limit allows. */
	dd_raise_fd_limit();
	int ret = DD_ENOMEM;
	w.clients = web_buckets_new(CLIENT_SLOTS);
	w.targets = web_budget_new(TARGET_SLOTS, PAIR_SLOTS);
	w.base = event_base_new();
	w.http = w.base ? evhttp_new(w.base) : NULL;
	if (!w.o.pcache || !w.clients || !w.targets || !w.http) {
		snprintf(err, err_size, "serve: cannot set up (out of memory)");
		goto out;
	}
	w.sig_int = evsignal_new(w.base, SIGINT, on_signal, &w);
	w.sig_term = evsignal_new(w.base, SIGTERM, on_signal, &w);
	if (!w.sig_int || !w.sig_term || event_add(w.sig_int, NULL) ||
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
		snprintf(err, err_size, "serve: cannot listen on %s: %s", o->listen,
			 strerror(errno));
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
	if ((ret = drop_privileges(o->user, err, err_size)))
		goto out;
	w.n_workers = o->max_checks ? o->max_checks : 1;
	/* A check stops itself at its deadline; a worker still busy well after it is killed. */
	unsigned deadline = o->engine.deadline_ms ? o->engine.deadline_ms : 10000;
	web_pool_cfg_t pc = {
	    .workers = w.n_workers,
	    .check_ms = deadline + WORKER_GRACE_MS,
	    .check_cpu_s = (deadline + WORKER_GRACE_MS + 999) / 1000,
	    .checks_per_worker = WORKER_CHECKS,
	    .data_bytes = WORKER_DATA,
	    .run = run_check,
	    .run_arg = &w,
	};
	if ((ret = web_pool_new(w.base, &pc, &w.pool, err, err_size)))
		goto out;
	fprintf(stderr,
		"dnssec-doctor: serving on http://%s%s%s:%u/ (%u checks at once, %u checks/min per "
		"client%s)\n",
		strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port, w.n_workers,
		o->rate_per_min, o->allow_private ? ", private addresses allowed" : "");
	event_base_dispatch(w.base);
	fprintf(stderr, "dnssec-doctor: stopping\n");
	ret = 0;
out:
	web_clear(&w);
	probe_cache_free(w.o.pcache);
	an_vcache_free(w.o.policy.vcache);
	return ret;
}
