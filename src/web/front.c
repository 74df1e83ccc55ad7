/*
 * front.c — the connection front of `serve` (see front.h for why).
 *
 * Each connection is a bufferevent filter over a socket bufferevent; evhttp
 * owns the filter (it asked for it through evhttp_set_bevcb), the front keeps
 * one reference on it so that the socket outlives evhttp's interest in it
 * when the front still has an answer to deliver, and so that the front can see
 * when evhttp has let go (the filter's callbacks are cleared then).
 *
 * A connection's life:
 *   NEW     accepted by evhttp; the front has not looked at it yet (the fd is
 *           set right after our bevcb returns, so the start is deferred).
 *   OPEN    counted against the caps; request heads are held in the socket's
 *           input until complete, checked, and handed to evhttp whole. The
 *           head timer runs from accept (first request) or from the first
 *           byte of a later request, and only while evhttp is not answering.
 *   ANSWER  the front answers itself (refusal, timeout, bad head): evhttp is
 *           idle then and stays so; the front writes the answer, shuts down
 *           its side, reads and drops what the client still sends (bounded in
 *           time and bytes), then tells evhttp the client closed.
 *   DONE    released: our reference dropped, the socket closed with the
 *           bufferevents.
 * A periodic sweep starts connections, enforces the head and drain deadlines
 * and releases connections evhttp has freed on its own (its idle timeout, or
 * the client closing).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "web/front.h"

#define SWEEP_MS 250	      /* how often deadlines are looked at */
#define ANSWER_MS 5000	      /* an answer of the front: written and drained within this */
#define DRAIN_MS 2000	      /* after our answer is out: read what the client sends this long */
#define DRAIN_BYTES (1 << 20) /* and at most this many */
#define ACCEPT_PAUSE_MS 250   /* accept() failing (out of descriptors): stop accepting this long */
#define LOG_INTERVAL_MS 60000 /* one line per kind of trouble per minute */
#define PEER_SLOTS 4096

const char *const web_security_headers[][2] = {
    {"Content-Security-Policy",
     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
    {"Permissions-Policy", "interest-cohort=(), camera=(), microphone=(), geolocation=()"},
};
const size_t web_security_headers_n =
    sizeof(web_security_headers) / sizeof(web_security_headers[0]);

/* ---- the request head (pure) -------------------------------------------- */

static bool is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool field_value_ok(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f); /* VCHAR, SP, HTAB, obs-text */
}

static bool ieq(const uint8_t *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = (uint8_t)b[i];
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return false;
	}
	return true;
}

static bool refuse(web_head_t *h, int status, const char *why)
{
	h->status = status;
	h->why = why;
	return true;
}

/* The request line [p, p+n) (no line end). */
static bool request_line(const uint8_t *p, size_t n, web_head_t *h, bool *http11, bool *get_or_head)
{
	size_t i = 0;
	while (i < n && is_tchar(p[i]))
		i++;
	size_t mlen = i;
	if (mlen == 0 || i == n || p[i] != ' ')
		return refuse(h, 400,
			      "malformed request line (expected METHOD SP TARGET SP HTTP/1.1)");
	const uint8_t *target = p + ++i;
	while (i < n && p[i] > 0x20 && p[i] < 0x7f)
		i++;
	size_t tlen = (size_t)(p + i - target);
	if (tlen == 0 || i == n || p[i] != ' ')
		return refuse(h, 400,
			      "malformed request line (expected METHOD SP TARGET SP HTTP/1.1)");
	const uint8_t *ver = p + i + 1;
	size_t vlen = n - i - 1;
	if (vlen == 8 && memcmp(ver, "HTTP/1.1", 8) == 0) {
		*http11 = true;
	} else if (vlen == 8 && memcmp(ver, "HTTP/1.0", 8) == 0) {
		*http11 = false;
	} else if (vlen == 8 && memcmp(ver, "HTTP/", 5) == 0 && ver[5] >= '0' && ver[5] <= '9' &&
		   ver[6] == '.' && ver[7] >= '0' && ver[7] <= '9') {
		return refuse(h, 400,
			      "unsupported HTTP version (HTTP/1.0 and HTTP/1.1 are served)");
	} else {
		return refuse(h, 400,
			      "malformed request line (expected METHOD SP TARGET SP HTTP/1.1)");
	}
	bool is_get = mlen == 3 && memcmp(p, "GET", 3) == 0,
	     is_head = mlen == 4 && memcmp(p, "HEAD", 4) == 0;
	*get_or_head = is_get || is_head;
	h->head_method = is_head;
	h->api = tlen >= 5 && memcmp(target, "/api/", 5) == 0;
	size_t plen = 0;
	while (plen < tlen && target[plen] != '?' && target[plen] != '#')
		plen++;
	h->check_path = (plen == 6 && memcmp(target, "/check", 6) == 0) ||
			(plen == 13 && memcmp(target, "/api/v1/check", 13) == 0);
	if (target[0] != '/' && *get_or_head)
		return refuse(h, 400, "the request target must be a path starting with /");
	return false;
}

bool web_head_parse(const uint8_t *b, size_t n, web_head_t *h)
{
	memset(h, 0, sizeof(*h));
	/* Empty lines before the request line are ignored (RFC 9112 2.2). */
	size_t i = 0;
	while (i < n && (b[i] == '\n' || (b[i] == '\r' && i + 1 < n && b[i + 1] == '\n')))
		i += b[i] == '\r' ? 2 : 1;
	h->skip = i;
	if (i > 16)
		return refuse(h, 400, "too many empty lines before the request line");
	/* Early refusal: the method is a token followed by one space (a TLS
	 * handshake or binary garbage is refused without waiting for a line end). */
	size_t m = i;
	while (m < n && is_tchar(b[m]))
		m++;
	if (m == i && m + 1 == n && b[m] == '\r')
		return false; /* an empty line's CR; its LF may follow */
	if (m < n && (m == i || b[m] != ' '))
		return refuse(h, 400,
			      "malformed request line (expected METHOD SP TARGET SP HTTP/1.1)");

	/* Find the end of the head: an empty line. Lines end in LF, optionally after one CR. */
	size_t pos = i, lines = 0;
	bool complete = false;
	while (pos < n) {
		const uint8_t *nl = memchr(b + pos, '\n', n - pos);
		if (!nl)
			break;
		size_t end = (size_t)(nl - b);
		if (end + 1 - i > WEB_HEAD_MAX)
			return refuse(h, 431, "request header fields too large");
		size_t len = end - pos;
		if (len && b[end - 1] == '\r')
			len--;
		if (len == 0 && lines > 0) {
			complete = true;
			h->len = end + 1;
			break;
		}
		if (++lines > WEB_HEAD_FIELDS + 1)
			return refuse(h, 431, "too many header fields");
		pos = end + 1;
	}
	if (!complete) {
		if (n - i > WEB_HEAD_MAX)
			return refuse(h, 431, "request header fields too large");
		return false;
	}

	/* Now line by line. */
	bool http11 = false, get_or_head = false;
	unsigned n_cl = 0, n_te = 0, n_host = 0;
	bool body = false;
	pos = i;
	for (size_t ln = 0;; ln++) {
		const uint8_t *nl = memchr(b + pos, '\n', h->len - pos);
		size_t end = (size_t)(nl - b), len = end - pos;
		if (len && b[end - 1] == '\r')
			len--;
		const uint8_t *p = b + pos;
		pos = end + 1;
		if (len == 0)
			break;
		if (memchr(p, '\r', len))
			return refuse(h, 400, "a bare CR in the request head");
		if (ln == 0) {
			if (request_line(p, len, h, &http11, &get_or_head))
				return true;
			continue;
		}
		if (p[0] == ' ' || p[0] == '\t')
			return refuse(
			    h, 400,
			    "a header line folded onto the next (obs-fold) is not accepted");
		size_t k = 0;
		while (k < len && is_tchar(p[k]))
			k++;
		if (k == 0 || k == len || p[k] != ':') {
			if (k > 0 && k < len && (p[k] == ' ' || p[k] == '\t'))
				return refuse(h, 400,
					      "whitespace between a header name and its colon");
			return refuse(h, 400, "malformed header line (expected NAME: VALUE)");
		}
		const uint8_t *v = p + k + 1;
		size_t vl = len - k - 1;
		for (size_t j = 0; j < vl; j++)
			if (!field_value_ok(v[j]))
				return refuse(h, 400, "a control character in a header value");
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if (ieq(p, k, "content-length")) {
			if (++n_cl > 1)
				return refuse(h, 400, "more than one Content-Length header");
			if (vl == 0 || vl > 18)
				return refuse(h, 400,
					      "invalid Content-Length (expected digits only)");
			for (size_t j = 0; j < vl; j++)
				if (v[j] < '0' || v[j] > '9')
					return refuse(
					    h, 400,
					    "invalid Content-Length (expected digits only)");
			for (size_t j = 0; j < vl; j++)
				if (v[j] != '0')
					body = true;
		} else if (ieq(p, k, "transfer-encoding")) {
			n_te++;
		} else if (ieq(p, k, "host")) {
			n_host++;
		}
	}
	if (n_te && n_cl)
		return refuse(h, 400, "both Transfer-Encoding and Content-Length");
	if (n_te)
		return refuse(h, 400,
			      "Transfer-Encoding is not accepted (no request here has a body)");
	if (n_host > 1 || (http11 && n_host != 1))
		return refuse(h, 400, "an HTTP/1.1 request needs exactly one Host header");
	if (!get_or_head)
		return refuse(h, 405,
			      h->check_path ? "only GET is allowed here"
					    : "only GET and HEAD are allowed");
	if (body)
		return refuse(h, 400, "a GET or HEAD request has no body");
	return true;
}

size_t web_client_key(const struct sockaddr *sa, uint8_t key[16])
{
	memset(key, 0, 16);
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
	return 1;
}

/* ---- connections ------------------------------------------------------------ */

typedef enum { C_NEW, C_OPEN, C_ANSWER, C_DONE } conn_state_t;

typedef struct peer {
	struct peer *next;
	uint8_t key[16];
	size_t klen;
	unsigned n;
} peer_t;

typedef struct conn {
	struct conn *prev, *next; /* all connections, for the sweep */
	struct conn *todo_next;	  /* on the front's to-do list */
	bool on_todo, released, in_finish;
	web_front_t *f;
	struct bufferevent *filt, *under;
	int fd;
	conn_state_t state;
	peer_t *peer;	       /* counted against the caps (NULL: not counted) */
	unsigned passed, done; /* heads handed to evhttp, answers evhttp completed */
	int64_t head_start;    /* ms; 0: no head timer running */
	web_head_t pending;    /* a refusal waiting for evhttp to finish its answer */
	bool has_pending;
	size_t parsed;	   /* bytes of the current head at its last (undecided) parse */
	struct event *wev; /* writes evhttp's output to the socket (see flush_out) */
	struct evbuffer_cb_entry *out_cb;
	bool write_error;
	int64_t answer_until, drain_until; /* drain_until: 0 while our answer is being written */
	bool shut, got_eof, finish_now;
	size_t drained;
} conn_t;

typedef struct log_gate {
	int64_t last_ms;
	unsigned suppressed;
} log_gate_t;

struct web_front {
	struct web_front *next_front;
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *lev;
	web_front_cfg_t cfg;
	unsigned drain_cap;
	void (*gencb)(struct evhttp_request *, void *);
	void *gencb_arg;
	conn_t *conns, *todo;
	conn_t **by_fd;
	size_t by_fd_size;
	peer_t *peers[PEER_SLOTS];
	unsigned n_counted, n_answering;
	struct event *sweep, *kick, *resume;
	log_gate_t log_accept, log_total, log_client, log_drain;
};

static void on_writable(evutil_socket_t fd, short what, void *arg);
static void on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);

/* The listener's error callback gets evhttp as its argument: find the front by listener. */
static web_front_t *fronts;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Print `msg` at most once per interval per gate, with a count of what was left out. */
static void log_limited(log_gate_t *g, const char *msg)
{
	int64_t now = now_ms();
	if (g->last_ms && now - g->last_ms < LOG_INTERVAL_MS) {
		g->suppressed++;
		return;
	}
	if (g->suppressed)
		fprintf(stderr, "dnssec-doctor: serve: %s (and %u more times in the last minute)\n",
			msg, g->suppressed);
	else
		fprintf(stderr, "dnssec-doctor: serve: %s\n", msg);
	g->last_ms = now;
	g->suppressed = 0;
}

static void todo_add(conn_t *c)
{
	if (c->on_todo)
		return;
	c->on_todo = true;
	c->todo_next = c->f->todo;
	c->f->todo = c;
	event_active(c->f->kick, EV_TIMEOUT, 0);
}

/* Has evhttp freed its connection? (bufferevent_free clears the callbacks; our reference keeps the
 * memory.) */
static bool evhttp_gone(conn_t *c)
{
	bufferevent_event_cb ecb = NULL;
	bufferevent_getcb(c->filt, NULL, NULL, &ecb, NULL);
	return ecb == NULL;
}

static peer_t **peer_slot(web_front_t *f, const uint8_t *key, size_t klen)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < klen; i++)
		h = (h ^ key[i]) * 16777619u;
	peer_t **pp = &f->peers[h % PEER_SLOTS];
	while (*pp && ((*pp)->klen != klen || memcmp((*pp)->key, key, klen) != 0))
		pp = &(*pp)->next;
	return pp;
}

static void uncount(conn_t *c)
{
	if (!c->peer)
		return;
	web_front_t *f = c->f;
	f->n_counted--;
	if (--c->peer->n == 0) {
		peer_t **pp = peer_slot(f, c->peer->key, c->peer->klen);
		*pp = c->peer->next;
		free(c->peer);
	}
	c->peer = NULL;
}

/* Drop our hold on the connection: the bufferevents (and the socket) go when evhttp has let go too.
 */
static void release(conn_t *c)
{
	if (c->released)
		return;
	web_front_t *f = c->f;
	c->released = true;
	if (c->out_cb)
		evbuffer_remove_cb_entry(bufferevent_get_output(c->filt), c->out_cb);
	c->out_cb = NULL;
	if (c->wev)
		event_free(c->wev);
	c->wev = NULL;
	uncount(c);
	if (c->state == C_ANSWER)
		f->n_answering--;
	c->state = C_DONE;
	if (c->fd >= 0 && (size_t)c->fd < f->by_fd_size && f->by_fd[c->fd] == c)
		f->by_fd[c->fd] = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		f->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	bufferevent_decref(c->filt);
	if (!c->on_todo)
		free(c);
}

/* Tell evhttp the client is gone (it frees its connection), then release. */
static void finish(conn_t *c)
{
	if (c->released)
		return;
	c->in_finish = true;
	if (!evhttp_gone(c))
		bufferevent_trigger_event(c->filt, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
	c->in_finish = false;
	if (evhttp_gone(c))
		release(c);
	/* else: evhttp kept it (it should not, being idle); the sweep tries again */
}

static const char *reason_of(int code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

static void drain_read(struct bufferevent *bev, void *arg)
{
	conn_t *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);
	evbuffer_drain(in, n);
	c->drained += n;
	if (c->drained > DRAIN_BYTES) {
		c->finish_now = true;
		todo_add(c);
	}
}

static void drain_write(struct bufferevent *bev, void *arg)
{
	conn_t *c = arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) || c->shut)
		return;
	/* The answer is out: say so (FIN), and read what the client still sends for a moment. */
	shutdown(c->fd, SHUT_WR);
	c->shut = true;
	c->drain_until = now_ms() + DRAIN_MS;
	if (c->got_eof) {
		c->finish_now = true;
		todo_add(c);
	}
}

static void drain_event(struct bufferevent *bev, short what, void *arg)
{
	conn_t *c = arg;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev))) {
		/* The client closed its side but may still read: finish writing first. */
		bufferevent_disable(bev, EV_READ);
		c->got_eof = true;
		return;
	}
	c->finish_now = true; /* EOF after our answer, or an error: done */
	todo_add(c);
}

/*
 * The front answers, and the connection ends. Only when evhttp is idle on it
 * (no request of this connection handed over and unanswered). `ctype_text`:
 * a plain-text answer (no request was read); else by `h` (JSON or the page).
 */
static void answer(conn_t *c, int code, const char *why, const web_head_t *h, unsigned retry_after)
{
	web_front_t *f = c->f;
	if (c->state == C_ANSWER || c->released)
		return;
	c->state = C_ANSWER;
	f->n_answering++;
	c->answer_until = now_ms() + ANSWER_MS;
	c->drain_until = 0;
	/* evhttp's idle timer must not free the connection under our answer; all
	 * further events of the socket are ours. */
	bufferevent_set_timeouts(c->filt, NULL, NULL);
	bufferevent_setcb(c->under, drain_read, drain_write, drain_event, c);
	struct evbuffer *in = bufferevent_get_input(c->under);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (f->n_answering > f->drain_cap) {
		/* Too many answers in flight already: close without one. */
		log_limited(&f->log_drain,
			    "too many refused connections at once; closing some without an answer");
		c->finish_now = true;
		todo_add(c);
		return;
	}
	size_t blen = 0;
	char *body = NULL;
	const char *ctype = "text/plain; charset=utf-8";
	if (h) {
		body = f->cfg.body ? f->cfg.body(f->cfg.body_arg, h->api, code, why, &blen) : NULL;
		ctype = h->api ? "application/json" : "text/html; charset=utf-8";
	}
	if (!body) {
		body = malloc(strlen(why) + 2);
		if (body)
			blen = (size_t)sprintf(body, "%s\n", why);
		ctype = "text/plain; charset=utf-8";
	}
	struct evbuffer *out = bufferevent_get_output(c->under);
	char date[64];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", code, reason_of(code), date);
	for (size_t i = 0; i < web_security_headers_n; i++)
		evbuffer_add_printf(out, "%s: %s\r\n", web_security_headers[i][0],
				    web_security_headers[i][1]);
	evbuffer_add_printf(
	    out, "Cache-Control: no-store\r\nContent-Type: %s\r\nContent-Length: %zu\r\n", ctype,
	    body ? blen : 0);
	if (code == 405)
		evbuffer_add_printf(out, "Allow: %s\r\n", h && h->check_path ? "GET" : "GET, HEAD");
	if (retry_after)
		evbuffer_add_printf(out, "Retry-After: %u\r\n", retry_after);
	evbuffer_add_printf(out, "Connection: close\r\n\r\n");
	if (body && !(h && h->head_method))
		evbuffer_add(out, body, blen);
	free(body);
	bufferevent_enable(c->under, EV_READ | EV_WRITE);
}

static void start(conn_t *c)
{
	web_front_t *f = c->f;
	if (c->state != C_NEW)
		return;
	int fd = bufferevent_getfd(c->under);
	if (fd < 0)
		return; /* not handed to us yet */
	c->fd = fd;
	if ((size_t)fd >= f->by_fd_size) {
		size_t n = f->by_fd_size ? f->by_fd_size : 1024;
		while (n <= (size_t)fd)
			n *= 2;
		conn_t **t = realloc(f->by_fd, n * sizeof(*t));
		if (!t) {
			c->state = C_OPEN;
			answer(c, 503, "the service is out of memory; try again later", NULL, 5);
			return;
		}
		memset(t + f->by_fd_size, 0, (n - f->by_fd_size) * sizeof(*t));
		f->by_fd = t;
		f->by_fd_size = n;
	}
	f->by_fd[fd] = c;
	c->state = C_OPEN;
	c->wev = event_new(f->base, fd, EV_WRITE, on_writable, c);
	c->out_cb = c->wev ? evbuffer_add_cb(bufferevent_get_output(c->filt), on_output, c) : NULL;
	if (!c->out_cb) {
		answer(c, 503, "the service is out of memory; try again later", NULL, 5);
		return;
	}
	c->head_start = now_ms();
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		ss.ss_family = AF_UNSPEC;
	uint8_t key[16];
	size_t klen = web_client_key((struct sockaddr *)&ss, key);
	if (f->n_counted >= f->cfg.max_conns) {
		log_limited(&f->log_total, "connection refused: --max-connections reached");
		answer(c, 503, "the service has too many connections; try again in 5 s", NULL, 5);
		return;
	}
	peer_t **pp = peer_slot(f, key, klen), *p = *pp;
	if (p && p->n >= f->cfg.max_per_client) {
		log_limited(&f->log_client,
			    "connection refused: --max-client-connections reached for a client");
		answer(c, 429, "too many connections from your address; try again in 5 s", NULL, 5);
		return;
	}
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			answer(c, 503, "the service is out of memory; try again later", NULL, 5);
			return;
		}
		memcpy(p->key, key, klen);
		p->klen = klen;
		*pp = p;
	}
	p->n++;
	f->n_counted++;
	c->peer = p;
}

static bool idle(const conn_t *c)
{
	return c->passed == c->done;
}

/* The filter between the socket and evhttp: hands evhttp whole, checked heads only. */
static enum bufferevent_filter_result filter_in(struct evbuffer *src, struct evbuffer *dst,
						ev_ssize_t limit, enum bufferevent_flush_mode mode,
						void *arg)
{
	conn_t *c = arg;
	(void)limit;
	(void)mode;
	if (c->state == C_NEW)
		start(c);
	if (c->state != C_OPEN)
		return BEV_NEED_MORE;
	size_t n = evbuffer_get_length(src);
	if (c->has_pending) {
		/* To be refused once evhttp is done, and then closed: what follows is dropped. */
		evbuffer_drain(src, n);
		return BEV_NEED_MORE;
	}
	if (n == 0)
		return BEV_NEED_MORE;
	if (!c->head_start && idle(c))
		c->head_start = now_ms();
	size_t look = n < WEB_HEAD_MAX + 2 ? n : WEB_HEAD_MAX + 2;
	const uint8_t *p = evbuffer_pullup(src, (ev_ssize_t)look);
	if (!p)
		return BEV_NEED_MORE;
	/* A head can only become complete with a line end: bytes dribbled without
	 * one are not parsed again (the head is parsed at most once a line). */
	if (c->parsed && look > c->parsed && look <= WEB_HEAD_MAX &&
	    !memchr(p + c->parsed, '\n', look - c->parsed))
		return BEV_NEED_MORE;
	c->parsed = look;
	web_head_t h;
	if (!web_head_parse(p, look, &h))
		return BEV_NEED_MORE;
	c->parsed = 0;
	if (h.status) {
		c->pending = h;
		c->has_pending = true;
		evbuffer_drain(src, n);
		if (idle(c))
			answer(c, h.status, h.why, &h, 0);
		return BEV_NEED_MORE;
	}
	evbuffer_drain(src, h.skip);
	evbuffer_remove_buffer(src, dst, h.len - h.skip);
	c->passed++;
	c->head_start = 0;
	return BEV_OK;
}

/*
 * evhttp's output goes straight to the socket, not through the socket
 * bufferevent: evhttp takes "the filter's output is empty" as "the answer is
 * sent", and on Connection: close it then shuts the socket down at once;
 * bytes still waiting in a bufferevent would be lost. So the front writes the
 * filter's output into the kernel itself (waiting for the socket to become
 * writable when it is full), and only then tells evhttp that the answer is
 * out, exactly once per answer: when evhttp waits for it (writing enabled,
 * no read callback: evhttp_write_buffer's state).
 */
static void flush_out(conn_t *c)
{
	struct evbuffer *out = bufferevent_get_output(c->filt);
	while (evbuffer_get_length(out)) {
		int n = evbuffer_write(out, c->fd);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			event_add(c->wev, NULL);
			return;
		}
		/* The client is gone (EPIPE, ECONNRESET): drop the answer, tell evhttp. */
		evbuffer_drain(out, evbuffer_get_length(out));
		c->write_error = true;
		todo_add(c);
		return;
	}
	bufferevent_data_cb rcb = NULL, wcb = NULL;
	bufferevent_getcb(c->filt, &rcb, &wcb, NULL, NULL);
	if (!c->write_error && !rcb && wcb && (bufferevent_get_enabled(c->filt) & EV_WRITE))
		bufferevent_trigger(c->filt, EV_WRITE, 0); /* evhttp: the answer is out */
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	conn_t *c = arg;
	(void)fd;
	(void)what;
	if (c->state == C_OPEN)
		flush_out(c);
}

/* evhttp added to its output: write it once evhttp is done adding (later in this loop turn). */
static void on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	conn_t *c = arg;
	(void)buf;
	if (info->n_added && c->wev)
		event_active(c->wev, EV_WRITE, 1);
}

/* The filter's own output path: never used (see above). */
static enum bufferevent_filter_result filter_out(struct evbuffer *src, struct evbuffer *dst,
						 ev_ssize_t limit, enum bufferevent_flush_mode mode,
						 void *arg)
{
	conn_t *c = arg;
	(void)src;
	(void)dst;
	(void)limit;
	(void)mode;
	if (c->wev)
		event_active(c->wev, EV_WRITE, 1);
	return BEV_NEED_MORE;
}

/* A to-do: start new connections, answer held refusals, finish answered ones. */
static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	web_front_t *f = arg;
	(void)fd;
	(void)what;
	while (f->todo) {
		conn_t *c = f->todo;
		f->todo = c->todo_next;
		c->on_todo = false;
		if (c->released) {
			free(c);
			continue;
		}
		if (c->state == C_NEW) {
			start(c);
		} else if (c->state == C_OPEN && c->write_error) {
			if (evhttp_gone(c))
				release(c);
			else
				bufferevent_trigger_event(c->filt,
							  BEV_EVENT_ERROR | BEV_EVENT_WRITING, 0);
		} else if (c->state == C_OPEN && idle(c)) {
			if (evhttp_gone(c))
				release(c);
			else if (c->has_pending)
				answer(c, c->pending.status, c->pending.why, &c->pending, 0);
			else if (evbuffer_get_length(bufferevent_get_input(c->under))) {
				/* Bytes that came while evhttp was answering: look at them now. */
				if (!c->head_start)
					c->head_start = now_ms();
				bufferevent_trigger(c->under, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
			}
		} else if (c->state == C_ANSWER && c->finish_now) {
			finish(c);
		}
	}
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	web_front_t *f = arg;
	(void)fd;
	(void)what;
	int64_t now = now_ms();
	int64_t limit = (int64_t)f->cfg.header_timeout_s * 1000;
	for (conn_t *c = f->conns, *next; c; c = next) {
		next = c->next;
		switch (c->state) {
		case C_NEW:
			if (evhttp_gone(c))
				release(c); /* evhttp could not take it (out of memory) */
			else
				start(c);
			break;
		case C_OPEN:
			if (evhttp_gone(c))
				release(c);
			else if (idle(c) && c->has_pending)
				answer(c, c->pending.status, c->pending.why, &c->pending, 0);
			else if (idle(c) && c->head_start && now - c->head_start >= limit)
				answer(c, 408, "the request head did not arrive in time", NULL, 0);
			break;
		case C_ANSWER:
			if (now >= c->answer_until || c->finish_now ||
			    (c->drain_until && now >= c->drain_until))
				finish(c);
			break;
		case C_DONE:
			break;
		}
	}
}

/* evhttp wants a bufferevent for a connection it has just accepted (the socket comes after). */
static struct bufferevent *on_bev(struct event_base *base, void *arg)
{
	web_front_t *f = arg;
	conn_t *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->f = f;
	c->fd = -1;
	c->under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	c->filt = c->under ? bufferevent_filter_new(c->under, filter_in, filter_out,
						    BEV_OPT_CLOSE_ON_FREE, NULL, c)
			   : NULL;
	if (!c->filt) {
		if (c->under)
			bufferevent_free(c->under);
		free(c);
		return NULL;
	}
	bufferevent_incref(c->filt);
	c->next = f->conns;
	if (f->conns)
		f->conns->prev = c;
	f->conns = c;
	todo_add(c);
	return c->filt;
}

static conn_t *conn_of(web_front_t *f, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *filt = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	struct bufferevent *under = filt ? bufferevent_get_underlying(filt) : NULL;
	int fd = under ? bufferevent_getfd(under) : -1;
	conn_t *c = fd >= 0 && (size_t)fd < f->by_fd_size ? f->by_fd[fd] : NULL;
	return c && c->filt == filt ? c : NULL;
}

static void on_complete(struct evhttp_request *req, void *arg)
{
	conn_t *c = arg;
	(void)req;
	c->done++;
	if (idle(c))
		todo_add(c);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	conn_t *c = arg;
	(void)evcon;
	if (!c->in_finish)
		release(c);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	web_front_t *f = arg;
	conn_t *c = conn_of(f, req);
	if (!c) {
		/* Not one of ours (our bufferevent could not be made: out of memory). */
		struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
		for (size_t i = 0; i < web_security_headers_n; i++)
			evhttp_add_header(hd, web_security_headers[i][0],
					  web_security_headers[i][1]);
		evhttp_add_header(hd, "Cache-Control", "no-store");
		evhttp_add_header(hd, "Content-Type", "text/plain; charset=utf-8");
		evhttp_add_header(hd, "Retry-After", "5");
		evhttp_add_header(hd, "Connection", "close");
		struct evbuffer *b = evbuffer_new();
		if (b)
			evbuffer_add_printf(b, "the service is out of memory; try again in 5 s\n");
		evhttp_send_reply(req, 503, "Service Unavailable", b);
		if (b)
			evbuffer_free(b);
		return;
	}
	evhttp_request_set_on_complete_cb(req, on_complete, c);
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, c);
	f->gencb(req, f->gencb_arg);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	web_front_t *f = arg;
	(void)fd;
	(void)what;
	evconnlistener_enable(f->lev);
}

/* accept() failed for another reason than "try again": out of descriptors
 * (EMFILE, ENFILE) or memory. Retrying at once would spin; pause instead. */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	int err = errno;
	(void)arg;
	web_front_t *f = fronts;
	while (f && f->lev != lev)
		f = f->next_front;
	if (!f)
		return;
	char msg[160];
	snprintf(msg, sizeof(msg), "accept: %s; not accepting connections for %d ms", strerror(err),
		 ACCEPT_PAUSE_MS);
	log_limited(&f->log_accept, msg);
	evconnlistener_disable(lev);
	struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};
	evtimer_add(f->resume, &tv);
}

web_front_t *web_front_new(struct event_base *base, struct evhttp *http,
			   struct evhttp_bound_socket *bound, const web_front_cfg_t *cfg,
			   void (*gencb)(struct evhttp_request *, void *), void *gencb_arg)
{
	web_front_t *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->base = base;
	f->http = http;
	f->cfg = *cfg;
	f->gencb = gencb;
	f->gencb_arg = gencb_arg;
	f->lev = evhttp_bound_socket_get_listener(bound);
	if (!f->cfg.header_timeout_s)
		f->cfg.header_timeout_s = 10;
	if (!f->cfg.max_per_client)
		f->cfg.max_per_client = 1;
	/* Every connection is a descriptor: stay below the limit, leaving room for
	 * the answers in flight, the listener, pipes and logs. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		unsigned long lim = (unsigned long)rl.rlim_cur,
			      reserve = lim / 4 < 256 ? lim / 4 : 256;
		unsigned long fit =
		    (lim - reserve) * 8 / 9; /* and an eighth more for answers being drained */
		if (fit < 16)
			fit = 16;
		if (f->cfg.max_conns > fit) {
			fprintf(stderr,
				"dnssec-doctor: serve: --max-connections lowered to %lu (the "
				"descriptor limit is %lu)\n",
				fit, (unsigned long)rl.rlim_cur);
			f->cfg.max_conns = (unsigned)fit;
		}
	}
	if (!f->cfg.max_conns)
		f->cfg.max_conns = 1;
	f->drain_cap = f->cfg.max_conns / 8 > 16 ? f->cfg.max_conns / 8 : 16;
	f->sweep = event_new(base, -1, EV_PERSIST, on_sweep, f);
	f->kick = event_new(base, -1, 0, on_kick, f);
	f->resume = evtimer_new(base, on_resume, f);
	struct timeval tv = {0, SWEEP_MS * 1000};
	if (!f->lev || !f->sweep || !f->kick || !f->resume || event_add(f->sweep, &tv)) {
		web_front_free(f);
		return NULL;
	}
	evconnlistener_set_error_cb(f->lev, on_accept_error);
	evhttp_set_bevcb(http, on_bev, f);
	evhttp_set_gencb(http, on_request, f);
	f->next_front = fronts;
	fronts = f;
	return f;
}

void web_front_free(web_front_t *f)
{
	if (!f)
		return;
	for (web_front_t **pp = &fronts; *pp; pp = &(*pp)->next_front)
		if (*pp == f) {
			*pp = f->next_front;
			break;
		}
	while (f->conns)
		release(f->conns);
	while (f->todo) {
		conn_t *c = f->todo;
		f->todo = c->todo_next;
		free(c); /* all released above */
	}
	for (size_t i = 0; i < PEER_SLOTS; i++)
		while (f->peers[i]) {
			peer_t *p = f->peers[i];
			f->peers[i] = p->next;
			free(p);
		}
	if (f->sweep)
		event_free(f->sweep);
	if (f->kick)
		event_free(f->kick);
	if (f->resume)
		event_free(f->resume);
	free(f->by_fd);
	free(f);
}
