/*
 * page.c — the status page of `watch`: every watched name, its status, the
 * next signature expiry and a link to its last full report. Names are DNS
 * data: everything printed goes through rep_xml_escape (and the link through
 * percent-encoding). No inline script or style: the CSP forbids them.
 */
#include <stdio.h>
#include <string.h>

#include "report/report.h"
#include "watch/watch.h"

#define esc(out, s) rep_xml_escape((out), (s), 0)

/* Percent-encode a query-string value (unreserved characters stay). */
static void url_value(FILE *out, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_' || *c == '~')
			fputc(*c, out);
		else
			fprintf(out, "%%%02X", *c);
	}
}

static void row(FILE *out, const watch_series_t *s, int64_t now)
{
	fputs("<tr><td>", out);
	esc(out, s->name);
	fputs("</td><td>", out);
	esc(out, s->type);
	fputs("</td>", out);
	if (!s->checked) {
		fputs("<td>not checked yet</td><td></td><td></td><td></td></tr>\n", out);
		return;
	}
	const watch_rec_t *r = s->rec;
	const char *st = an_status_name(r->status);
	fprintf(out, "<td class=\"status %s\">%s</td><td>", st, st);
	if (r->earliest_expiry) {
		char t[40], d[40];
		an_time_text(r->earliest_expiry, t, sizeof(t));
		watch_duration_text(r->earliest_expiry - now, d, sizeof(d));
		fprintf(out, "%s (%s%s)", t, r->earliest_expiry < now ? "" : "in ",
			r->earliest_expiry < now ? "past" : d);
	} else {
		fputs("-", out);
	}
	fputs("</td><td>", out);
	if (r->error[0])
		esc(out, r->error);
	else if (r->ids[0])
		esc(out, r->ids);
	else
		fputs("-", out);
	char t[40];
	an_time_text(r->checked_at, t, sizeof(t));
	fprintf(out, "</td><td>%s</td><td><a href=\"/report?name=", t);
	url_value(out, s->name);
	fputs("&amp;type=", out);
	url_value(out, s->type);
	fputs("\">report</a></td></tr>\n", out);
}

void watch_page_write(FILE *out, const watch_series_t *rows, size_t n, int64_t now,
		      unsigned interval_s)
{
	unsigned count[5] = {0};
	for (size_t i = 0; i < n; i++)
		if (rows[i].checked && rows[i].rec->status <= AN_UNREACHABLE)
			count[rows[i].rec->status]++;
	char t[40];
	an_time_text(now, t, sizeof(t));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	      "<title>dnssec-doctor watch</title><link rel=\"stylesheet\" "
	      "href=\"/static/style.css\"></head>\n"
	      "<body><main><h1>dnssec-doctor watch</h1>\n",
	      out);
	fprintf(out,
		"<p>%zu names, checked every %u s; at %s: %u secure, %u insecure, %u bogus, %u "
		"indeterminate, "
		"%u unreachable. <a href=\"/metrics\">metrics</a></p>\n",
		n, interval_s, t, count[AN_SECURE], count[AN_INSECURE], count[AN_BOGUS],
		count[AN_INDETERMINATE], count[AN_UNREACHABLE]);
	fputs("<table><thead><tr><th>name</th><th>type</th><th>status</th><th>next signature "
	      "expiry</th>"
	      "<th>findings</th><th>last check</th><th></th></tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < n; i++)
		row(out, &rows[i], now);
	fputs("</tbody></table></main></body></html>\n", out);
}
