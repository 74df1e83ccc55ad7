/*
 * web.h — `dnssec-doctor serve`: the web page and the JSON API on libevent's
 * HTTP server. Checks run in a small pool of worker threads (each check owns
 * its event loop); results come back to the HTTP loop through a pipe.
 *
 * Routes: GET / (form), GET /check?name=&type= (result page),
 * GET /api/v1/check?name=&type= (version-1 JSON, as the CLI's --json),
 * GET /healthz, GET /static/style.css, /static/app.js. See docs/web.md.
 */
#pragma once

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

/* The form page, with the values to prefill and an error to show (each may be NULL). */
void web_page_form(FILE *out, const char *name, const char *type, const char *error);

/* The result page for an analysis; `type_text` is the query type's mnemonic. */
void web_page_result(FILE *out, const an_result_t *r, const evidence_t *ev, const char *type_text);

/* The static assets served under /static/. */
extern const char web_css[];
extern const char web_js[];
