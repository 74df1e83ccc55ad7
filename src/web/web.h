/*
 * web.h — `dnssec-doctor serve`: the web page and the JSON API on libevent's
 * HTTP server. Checks run in a pool of worker processes (pool.h), so that a
 * check that crashes costs that check only; the HTTP front stays in the
 * parent's loop.
 *
 * Routes: GET / (form), GET /check?name=&type= (result page),
 * GET /api/v1/check?name=&type= (version-1 JSON, as the CLI's --json),
 * GET /healthz, GET /static/style.css, /static/app.js. See docs/web.md.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyse/analyse.h"
#include "cli/options.h"
#include "evidence/evidence.h"

/*
 * Serve until SIGINT or SIGTERM. `o` must have been through
 * dd_check_setup(). Returns 0 after a clean stop, or DD_EINVAL / DD_EIO /
 * DD_ENOMEM with a one-line message in `err` (bad --listen, cannot bind).
 */
int web_serve(const dd_opts_t *o, char *err, size_t err_size);

/* "ADDR:PORT" or "[IPv6]:PORT" into `host` (a numeric address) and `port`.
 * Returns 0, or DD_EINVAL when it is not that. Also for `watch --listen`. */
int web_parse_listen(const char *s, char *host, size_t host_size, uint16_t *port);

struct evkeyvalq;
/* Add serve's security headers (CSP, nosniff, frame and referrer policies, ...)
 * and Cache-Control (`cache`: an hour; else no-store) to `h`. Also for `watch`. */
void web_add_security_headers(struct evkeyvalq *h, bool cache);

/* A check request from a query string ("name=www.example.com&type=AAAA"). */
typedef struct web_check_req {
	char name[1024]; /* canonical name (A-labels, lower case, trailing dot); "" when invalid */
	uint16_t qtype;	 /* A when not given */
	char type_text[24];  /* its mnemonic */
	char raw_name[1001]; /* the name as given (cut at 1000 bytes), to prefill the form; may be
				"" */
	char error[200];     /* why it is refused, "" when valid */
} web_check_req_t;

/*
 * Parse and validate a check's query string (untrusted; NULL: none). Names
 * go through IDN (libidn2) and must be host-name-like. Returns 0, or
 * DD_EINVAL with `r->error` saying what is wrong (for a 400).
 */
int web_check_params(const char *query, web_check_req_t *r);

/* The form page, with the values to prefill and an error to show (each may be NULL). */
void web_page_form(FILE *out, const char *name, const char *type, const char *error);

/* The result page for an analysis; `type_text` is the query type's mnemonic. */
void web_page_result(FILE *out, const an_result_t *r, const evidence_t *ev, const char *type_text);

/* The static assets served under /static/. */
extern const char web_css[];
extern const char web_js[];
