/*
 * http.c — the HTTP side of `watch` (libevent's evhttp, on the main loop):
 * /metrics, /healthz, / (the status page), /report?name=&type= and the
 * stylesheet, with the security headers of `serve`. Only the main thread
 * runs here, so the entries are read without locks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/dd.h"
#include "watch/watch.h"
#include "watch/watch_int.h"
#include "web/web.h"

static void reply(struct evhttp_request *req, int code, const char *reason, const char *ctype,
		  const char *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	web_add_security_headers(h, false);
	evhttp_add_header(h, "Content-Type", ctype);
	struct evbuffer *b = evbuffer_new();
	if (b && body && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	reply(req, code, reason, "text/plain; charset=utf-8", msg, strlen(msg));
}

/* The entries as series (main thread; the caller frees the array). */
static watch_series_t *series(watcher_t *w)
{
	watch_series_t *s = calloc(w->n_e ? w->n_e : 1, sizeof(*s));
	for (size_t i = 0; s && i < w->n_e; i++) {
		s[i].name = w->e[i]->name;
		s[i].type = w->e[i]->type;
		s[i].checked = w->e[i]->checked;
		s[i].rec = &w->e[i]->rec;
	}
	return s;
}

/* /report?name=&type=: the full JSON report stored with the name's last change. */
static void handle_report(watcher_t *w, struct evhttp_request *req, const char *query)
{
	struct evkeyvalq kv;
	char err[300];
	char *canon = NULL;
	uint16_t qtype = 0;
	if (!query || evhttp_parse_query_str(query, &kv) != 0) {
		reply_text(req, 400, "Bad Request", "expected ?name=NAME&type=TYPE\n");
		return;
	}
	const char *name = evhttp_find_header(&kv, "name"), *type = evhttp_find_header(&kv, "type");
	if (dd_parse_query(name, type, &canon, &qtype, err, sizeof(err))) {
		evhttp_clear_headers(&kv);
		reply_text(req, 400, "Bad Request",
			   "expected ?name=NAME&type=TYPE with a valid name and type\n");
		return;
	}
	evhttp_clear_headers(&kv);
	char *tt = ldns_rr_type2str((ldns_rr_type)qtype);
	watch_entry_t *found = NULL;
	for (size_t i = 0; tt && i < w->n_e && !found; i++)
		if (watch_name_cmp(w->e[i]->name, w->e[i]->type, canon, tt) == 0)
			found = w->e[i];
	char *body = NULL;
	if (found) {
		watch_flush(w); /* the newest change may still be queued */
		body = watch_db_report(w->db, found->name, found->type);
	}
	free(canon);
	free(tt);
	if (!found)
		reply_text(req, 404, "Not Found", "this name is not watched\n");
	else if (!body)
		reply_text(req, 404, "Not Found", "no report for this name yet\n");
	else
		reply(req, 200, "OK", "application/json", body, strlen(body));
	free(body);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	watcher_t *w = arg;
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct evhttp_uri *u =
	    uri && strlen(uri) <= 2048 ? evhttp_uri_parse_with_flags(uri, 0) : NULL;
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	char *body = NULL;
	size_t len = 0;
	if (!path || path[0] != '/') {
		reply_text(req, 400, "Bad Request", "malformed request target\n");
	} else if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		reply_text(req, 405, "Method Not Allowed", "only GET and HEAD are allowed\n");
	} else if (strcmp(path, "/healthz") == 0) {
		reply_text(req, 200, "OK", "ok\n");
	} else if (strcmp(path, "/static/style.css") == 0) {
		reply(req, 200, "OK", "text/css; charset=utf-8", web_css, strlen(web_css));
	} else if (strcmp(path, "/report") == 0) {
		handle_report(w, req, evhttp_uri_get_query(u));
	} else if (strcmp(path, "/metrics") == 0 || strcmp(path, "/") == 0) {
		watch_series_t *s = series(w);
		FILE *f = s ? open_memstream(&body, &len) : NULL;
		bool metrics = path[1] == 'm';
		if (f && metrics)
			watch_metrics_write(f, s, w->n_e, w->checks_total, w->n_e);
		else if (f)
			watch_page_write(f, s, w->n_e, (int64_t)time(NULL), w->cfg->interval_s);
		if (f && fclose(f) == 0)
			reply(req, 200, "OK",
			      metrics ? "text/plain; version=0.0.4; charset=utf-8"
				      : "text/html; charset=utf-8",
			      body, len);
		else
			reply_text(req, 503, "Service Unavailable", "out of memory\n");
		free(s);
	} else {
		reply_text(req, 404, "Not Found",
			   "no such page (/, /metrics, /healthz, /report)\n");
	}
	free(body);
	if (u)
		evhttp_uri_free(u);
}

int watch_http_start(watcher_t *w, char *err, size_t err_size)
{
	char host[64];
	uint16_t port = 0;
	if (web_parse_listen(w->cfg->listen, host, sizeof(host), &port)) {
		snprintf(err, err_size,
			 "--listen: expected ADDR:PORT (127.0.0.1:9553, [::1]:9553), got \"%.60s\"",
			 w->cfg->listen);
		return DD_EINVAL;
	}
	if (!(w->http = evhttp_new(w->base))) {
		snprintf(err, err_size, "watch: out of memory");
		return DD_ENOMEM;
	}
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(w->http, 8192);
	evhttp_set_max_body_size(w->http, 1024);
	evhttp_set_timeout(w->http, 30);
	evhttp_set_gencb(w->http, on_request, w);
	if (!evhttp_bind_socket_with_handle(w->http, host, port)) {
		snprintf(err, err_size, "watch: cannot listen on %s: %s", w->cfg->listen,
			 strerror(errno));
		return DD_EIO;
	}
	return 0;
}
