/*
 * front.h — the connection front of `serve`: every connection passes through
 * it before libevent's HTTP server (evhttp) sees a byte.
 *
 * Why a front: evhttp 2.1 restarts its idle timeout with every byte (a client
 * that dribbles its headers is never cut off), accepts any number of
 * connections, logs every failed accept(), writes its own error answers (400,
 * 413, 501) without our security headers and has no hook for them, and
 * accepts request-smuggling shapes (two Content-Length headers, "+63",
 * "Transfer-Encoding : chunked"). The front is a bufferevent filter that evhttp
 * creates for each connection (evhttp_set_bevcb): it holds the bytes of a
 * request head until the head is complete, checks it against RFC 9112, and
 * hands evhttp only heads it will accept (GET or HEAD, no body, well-formed).
 * Everything else the front answers itself, with our headers, and then closes
 * the connection (draining what the client still sends, so that the client
 * reads the answer rather than a reset). See docs/web.md.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#define WEB_HEAD_MAX 8192   /* request line + headers, line ends included */
#define WEB_HEAD_FIELDS 100 /* header lines */

/* The security headers of every answer (without Cache-Control), name and value. */
extern const char *const web_security_headers[][2];
extern const size_t web_security_headers_n;

/* What the front made of a request head. */
typedef struct web_head {
	int status;	 /* 0: hand it to evhttp; else the HTTP status to answer (400, 405, 431) */
	const char *why; /* the reason for a refusal (static text) */
	size_t skip;	 /* empty lines before the request line (RFC 9112 2.2: ignored) */
	size_t len; /* bytes of the head from the start of the buffer, its empty line included */
	bool head_method; /* HEAD: the answer has no body */
	bool api;	  /* the target is under /api/: answer in JSON */
	bool check_path;  /* /check or /api/v1/check: only GET is allowed there */
} web_head_t;

/*
 * Look at the first `n` bytes a client sent for a request head (untrusted).
 * Returns false while the head is incomplete and could still become valid;
 * true when it is decided: then `h->status` is 0 (valid; `h->len` bytes long)
 * or the refusal (400 malformed or smuggling-shaped, 405 another method than
 * GET or HEAD, 431 over WEB_HEAD_MAX bytes or WEB_HEAD_FIELDS lines) with
 * `h->why`. A refusal may be decided before the head is complete.
 */
bool web_head_parse(const uint8_t *buf, size_t n, web_head_t *h);

/* The client's key for the per-client caps: the IPv4 address (also when
 * IPv4-mapped), or the /64 of an IPv6 address. Returns its length (4 or 8;
 * 1 for another family, all such clients sharing one key). */
size_t web_client_key(const struct sockaddr *sa, uint8_t key[16]);

typedef struct web_front_cfg {
	unsigned header_timeout_s; /* the whole request head within this (from accept, or its first
				      byte) */
	unsigned max_conns;	   /* connections at once, all clients */
	unsigned max_per_client;   /* connections at once per IPv4 address or IPv6 /64 */
	/* The body of an answer to a request: JSON for the API, else the form
	 * page with the message; malloc'd, NULL on out of memory. */
	char *(*body)(void *arg, bool api, int code, const char *msg, size_t *len);
	void *body_arg;
} web_front_cfg_t;

typedef struct web_front web_front_t;

/*
 * Put the front before `http`, which listens on `bound`: it creates each
 * connection's bufferevent, watches the listener's accept errors, and passes
 * each request that reaches evhttp on to `gencb(req, gencb_arg)` (which it
 * installs as evhttp's general callback). Returns NULL on out of memory.
 * Caps in `cfg` above what the descriptor limit allows are lowered (with one
 * line on standard error).
 */
web_front_t *web_front_new(struct event_base *base, struct evhttp *http,
			   struct evhttp_bound_socket *bound, const web_front_cfg_t *cfg,
			   void (*gencb)(struct evhttp_request *, void *), void *gencb_arg);

/* Free the front: after evhttp_free(), before event_base_free(). NULL is fine. */
void web_front_free(web_front_t *f);
