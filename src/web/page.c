/*
 * page.c — the HTML pages: the form and the result, following the operator's
 * checklist. Every string that came from DNS (or from the request) goes
 * through rep_xml_escape. No inline script or style: the CSP forbids them.
 */
#include <stdlib.h>
#include <string.h>

#include "common/dd.h"
#include "report/report.h"
#include "web/web.h"

#define esc(out, s) rep_xml_escape((out), (s), 0)

static const char *const common_types[] = {"A",	 "AAAA", "MX",	 "TXT",	  "NS",	 "SOA",	  "DNSKEY",
					   "DS", "CAA",	 "TLSA", "HTTPS", "SRV", "CNAME", "PTR"};

static void head(FILE *out, const char *title_prefix, const char *name)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"referrer\" content=\"no-referrer\">\n<link rel=\"icon\" "
	      "href=\"data:,\">\n<title>",
	      out);
	if (title_prefix) {
		fputs(title_prefix, out);
		if (name) {
			fputc(' ', out);
			esc(out, name);
		}
		fputs(" \u2014 ", out);
	}
	fputs("dnssec-doctor</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
	      "<script src=\"/static/app.js\" defer></script>\n</head>\n<body>\n"
	      "<header><a class=\"brand\" href=\"/\">dnssec-doctor</a> <span class=\"tag\">Why "
	      "does my domain "
	      "answer SERVFAIL? Free, no sign-up.</span></header>\n<main id=\"main\">\n",
	      out);
}

static void foot(FILE *out)
{
	fputs("</main>\n<footer><p>dnssec-doctor " DD_VERSION_STRING
	      " walks the chain of trust from the root to the "
	      "name, asks every name server, validates what each one serves (RFC 4035) and says "
	      "which link broke, "
	      "what the fix is and who must apply it. JSON: "
	      "<code>/api/v1/check?name=NAME&amp;type=TYPE</code>.</p>"
	      "</footer>\n</body>\n</html>\n",
	      out);
}

static void form(FILE *out, const char *name, const char *type)
{
	fputs("<form class=\"check\" method=\"get\" action=\"/check\" role=\"search\">\n"
	      "<div class=\"field\"><label for=\"name\">Domain name</label>\n"
	      "<input id=\"name\" name=\"name\" type=\"text\" inputmode=\"url\" "
	      "autocapitalize=\"none\" "
	      "autocorrect=\"off\" spellcheck=\"false\" required maxlength=\"253\" "
	      "placeholder=\"www.example.com\"",
	      out);
	if (name && *name) {
		fputs(" value=\"", out);
		esc(out, name);
		fputc('"', out);
	}
	fputs("></div>\n<div class=\"field type\"><label for=\"type\">Record type</label>\n<select "
	      "id=\"type\" name=\"type\">\n",
	      out);
	bool found = false;
	for (size_t i = 0; i < DD_ARRAY_LEN(common_types); i++) {
		bool sel = type && strcasecmp(type, common_types[i]) == 0;
		found |= sel;
		fprintf(out, "<option%s>%s</option>\n", sel ? " selected" : "", common_types[i]);
	}
	if (type && *type && !found) {
		fputs("<option selected>", out);
		esc(out, type);
		fputs("</option>\n", out);
	}
	fputs("</select></div>\n<button type=\"submit\">Check</button>\n</form>\n", out);
}

void web_page_form(FILE *out, const char *name, const char *type, const char *error)
{
	head(out, error ? "Error:" : NULL, NULL);
	fputs("<h1>Check a domain's DNSSEC chain of trust</h1>\n", out);
	if (error) {
		fputs("<p class=\"error\" role=\"alert\"><strong>Cannot check this:</strong> ",
		      out);
		esc(out, error);
		fputs("</p>\n", out);
	}
	form(out, name, type);
	fputs("<p>Type the name that fails (for example <code>www.example.com</code>). The check "
	      "asks every name server "
	      "on the way from the root, validates what each serves, and tells you where the chain "
	      "breaks, how to fix "
	      "it and who must act: you, your DNS operator or your registrar. It takes a second or "
	      "two.</p>\n",
	      out);
	foot(out);
}

/* ---- the result ------------------------------------------------------------ */

static const char *status_class(an_status_t s)
{
	switch (s) {
	case AN_SECURE:
		return "ok";
	case AN_BOGUS:
	case AN_UNREACHABLE:
		return "bad";
	default:
		return "warn";
	}
}

static const char *status_icon(an_status_t s)
{
	switch (s) {
	case AN_SECURE:
		return "\u2713";
	case AN_BOGUS:
	case AN_UNREACHABLE:
		return "\u2717";
	default:
		return "!";
	}
}

static void rcode_cell(FILE *out, int rcode, bool ad)
{
	char b[16];
	if (rcode < 0) {
		fputs("<td class=\"bad\">no answer</td>", out);
		return;
	}
	an_rcode_text(rcode, b);
	fprintf(out, "<td class=\"%s\">%s%s</td>", rcode == 2 ? "bad" : "ok", b, ad ? " (AD)" : "");
}

static void section_resolvers(FILE *out, const an_result_t *r)
{
	fputs("<section aria-labelledby=\"s1\"><h2 id=\"s1\">1. Is it DNSSEC? (through "
	      "resolvers)</h2>\n<p><strong>",
	      out);
	esc(out, an_diagnosis_name(r->diagnosis));
	fputs(":</strong> ", out);
	esc(out, r->diagnosis_text);
	fputs("</p>\n", out);
	if (!r->n_resolvers)
		return (void)fputs("</section>\n", out);
	fputs("<div class=\"scroll\"><table><caption>Each resolver asked with validation (and "
	      "again with checking "
	      "disabled, +cd)</caption>\n<thead><tr><th scope=\"col\">Resolver</th><th "
	      "scope=\"col\">Validates</th>"
	      "<th scope=\"col\">Answer</th><th scope=\"col\">With +cd</th></tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < r->n_resolvers; i++) {
		const an_resolver_t *v = &r->resolvers[i];
		fputs("<tr><th scope=\"row\">", out);
		if (v->label) {
			esc(out, v->label);
			fputc(' ', out);
		}
		esc(out, v->address);
		if (v->port != 53)
			fprintf(out, "#%u", v->port);
		fprintf(out, "</th><td>%s</td>",
			v->validating == 1   ? "yes"
			: v->validating == 0 ? "no"
					     : "cannot tell");
		rcode_cell(out, v->rcode, v->ad);
		rcode_cell(out, v->rcode_cd, v->ad_cd);
		fputs("</tr>\n", out);
		if (v->error) {
			fputs("<tr><td></td><td colspan=\"3\" class=\"note\">", out);
			esc(out, v->error);
			fputs("</td></tr>\n", out);
		}
	}
	fputs("</tbody></table></div>\n</section>\n", out);
}

static void section_ede(FILE *out, const an_result_t *r)
{
	fputs("<section aria-labelledby=\"s2\"><h2 id=\"s2\">2. Extended DNS Errors (RFC "
	      "8914)</h2>\n<ul>\n",
	      out);
	bool any = false;
	for (size_t i = 0; i < r->n_resolvers; i++) {
		const an_resolver_t *v = &r->resolvers[i];
		for (size_t k = 0; k < v->n_ede; k++) {
			const an_ede_seen_t *e = &v->ede[k];
			fputs("<li>", out);
			esc(out, v->address);
			fprintf(out, " says <strong>EDE %d (", e->code);
			esc(out, an_ede_name(e->code));
			fputs(")</strong>", out);
			if (e->text && e->text[0]) {
				fputs(" <q class=\"dns\">", out);
				esc(out, e->text);
				fputs("</q>", out);
			}
			if (e->finding_summary) {
				fputs("<br>we found: ", out);
				esc(out, e->finding_summary);
			}
			fputs("</li>\n", out);
			any = true;
		}
	}
	if (r->n_resolvers && !any)
		fputs("<li>The resolvers reported no Extended DNS Error.</li>\n", out);
	if (!r->n_ede)
		fputs("<li>Ours: none (a validating resolver has no error to report).</li>\n", out);
	for (size_t i = 0; i < r->n_ede; i++) {
		fprintf(out, "<li>Ours: <strong>EDE %d (", r->ede[i]);
		esc(out, an_ede_name(r->ede[i]));
		fputs(")</strong></li>\n", out);
	}
	fputs("</ul>\n</section>\n", out);
}

static void section_keys(FILE *out, const an_result_t *r)
{
	fputs("<section aria-labelledby=\"s3\"><h2 id=\"s3\">3. Parent DS against child "
	      "DNSKEY</h2>\n",
	      out);
	for (size_t i = 0; i < r->n_chain; i++) {
		const an_link_t *l = &r->chain[i];
		fputs("<h3 class=\"zone\">", out);
		esc(out, l->zone);
		fputs("</h3>\n<ul class=\"keys\">\n", out);
		if (l->anchored)
			fputs("<li>Trust anchor here.</li>\n", out);
		if (!l->n_ds && !l->anchored)
			fprintf(out, "<li class=\"warn\">! No DS at the parent%s.</li>\n",
				l->n_keys ? " (the zone publishes keys)" : "");
		for (size_t d = 0; d < l->n_ds; d++) {
			/* No server delivered a DNSKEY RRset to judge (dead, or no EDNS): the DS
			 * cannot be checked. */
			bool unknown = !l->n_keys && !l->servers_total && l->status != AN_INSECURE;
			fprintf(out,
				"<li class=\"%s\">%s DS tag %u, algorithm %u, digest type %u: "
				"%s</li>\n",
				unknown		   ? "warn"
				: l->ds[d].matched ? "ok"
						   : "bad",
				unknown		   ? "!"
				: l->ds[d].matched ? "\u2713"
						   : "\u2717",
				l->ds[d].tag, l->ds[d].algorithm, l->ds[d].digest_type,
				unknown ? "not checked: no server delivered the zone's DNSKEY RRset"
				: l->ds[d].matched ? "matches a published key"
						   : "<strong>matches NO published key</strong>");
		}
		for (size_t k = 0; k < l->n_keys; k++) {
			const an_key_t *key = &l->keys[k];
			fprintf(out, "<li>DNSKEY tag %u, algorithm %u, %s%s, %u bits%s%s</li>\n",
				key->tag, key->algorithm, (key->flags & 1) ? "KSK" : "ZSK",
				(key->flags & 0x80) ? " REVOKED" : "", key->bits,
				key->ds_match ? ", named by a DS" : "",
				key->signs_dnskey ? ", signs the DNSKEY set" : "");
		}
		fputs("</ul>\n", out);
	}
	fputs("</section>\n", out);
}

static void section_freshness(FILE *out, const an_result_t *r)
{
	fputs("<section aria-labelledby=\"s4\"><h2 id=\"s4\">4. Signature freshness</h2>\n<ul>\n",
	      out);
	bool any = false;
	for (size_t i = 0; i < r->n_findings; i++) {
		const an_finding_t *f = &r->findings[i];
		if (f->id != AN_F_RRSIG_EXPIRED && f->id != AN_F_RRSIG_NOT_YET_VALID &&
		    f->id != AN_F_RRSIG_EXPIRING_SOON)
			continue;
		an_severity_t sev = an_finding_def(f->id)->severity;
		fprintf(out, "<li class=\"%s\">%s ", sev == AN_ERROR ? "bad" : "warn",
			sev == AN_ERROR ? "\u2717" : "!");
		esc(out, f->summary);
		fputs("</li>\n", out);
		any = true;
	}
	if (r->earliest_expiry) {
		char t[40];
		an_time_text(r->earliest_expiry, t, sizeof(t));
		long days = (long)((r->earliest_expiry - r->validated_at) / 86400);
		fprintf(out,
			"<li>Earliest expiry of a valid signature on the path: <time "
			"datetime=\"%s\">%s</time> (in %ld day%s).</li>\n",
			t, t, days, days == 1 ? "" : "s");
	} else if (!any) {
		fputs("<li>No valid signature on the path.</li>\n", out);
	}
	fputs("</ul>\n</section>\n", out);
}

static void section_chain(FILE *out, const an_result_t *r)
{
	fputs("<section aria-labelledby=\"s5\"><h2 id=\"s5\">5. The chain from the root</h2>\n<div "
	      "class=\"scroll\"><table>\n"
	      "<thead><tr><th scope=\"col\">Zone</th><th scope=\"col\">Status</th><th "
	      "scope=\"col\">Keys valid at</th></tr>"
	      "</thead><tbody>\n",
	      out);
	for (size_t i = 0; i < r->n_chain; i++) {
		const an_link_t *l = &r->chain[i];
		bool broken = r->broken_zone && strcmp(r->broken_zone, l->zone) == 0;
		fprintf(out, "<tr%s><th scope=\"row\">", broken ? " class=\"broken\"" : "");
		esc(out, l->zone);
		fprintf(out, "</th><td class=\"%s\">%s %s%s</td><td>", status_class(l->status),
			status_icon(l->status), an_status_name(l->status),
			broken ? " \u2014 <strong>the chain breaks here</strong>" : "");
		if (l->servers_total)
			fprintf(out, "%u of %u server addresses", l->servers_ok, l->servers_total);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></div>\n", out);
	if (r->answer_rcode) {
		fputs("<p>Answer from the zone's servers: ", out);
		esc(out, r->answer_rcode);
		fputs(r->n_answer ? "</p>\n<pre class=\"dns\">" : " (no records)</p>\n", out);
		for (size_t i = 0; i < r->n_answer && i < 16; i++) {
			esc(out, r->answer[i]);
			fputc('\n', out);
		}
		if (r->n_answer)
			fputs("</pre>\n", out);
	}
	fputs("</section>\n", out);
}

/* The DNS check: what each server of the answer's zone returned, side by side. */
static void section_servers(FILE *out, const an_result_t *r)
{
	if (!r->n_servers)
		return;
	fputs("<section aria-labelledby=\"s5b\"><h2 id=\"s5b\">DNS check: what each server "
	      "returned</h2>\n"
	      "<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">Server</th><th "
	      "scope=\"col\">Serial</th>"
	      "<th scope=\"col\">DNSKEY</th><th scope=\"col\">Answer</th><th "
	      "scope=\"col\">Status</th></tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < r->n_servers; i++) {
		const an_server_view_t *v = &r->servers[i];
		bool bad = strcmp(v->status, "ok") != 0 && strcmp(v->status, "not tested") != 0;
		fprintf(out, "<tr%s><th scope=\"row\">", bad ? " class=\"server-fails\"" : "");
		esc(out, v->ns);
		fputs("<br>", out);
		esc(out, v->address);
		fputs("</th><td>", out);
		if (v->serial >= 0)
			fprintf(out, "%lld", (long long)v->serial);
		fputs("</td><td>", out);
		esc(out, v->dnskey ? v->dnskey : "");
		fputs("</td><td>", out);
		esc(out, v->answer ? v->answer : "");
		fprintf(out, "</td><td class=\"%s\">%s ", bad ? "bad" : "ok",
			bad ? "\u2717" : "\u2713");
		esc(out, v->status);
		if (v->findings && v->findings[0]) {
			fputs(" (", out);
			esc(out, v->findings);
			fputc(')', out);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></div>\n</section>\n", out);
}

/* A fix: its sentence, then the records to paste in a copyable block. */
static void fix_text(FILE *out, const char *fix_in, const char *data)
{
	const char *fix = fix_in ? fix_in : "";
	const char *nl = strchr(fix, '\n');
	fputs("<p>", out);
	if (nl) {
		char *head_text = strndup(fix, (size_t)(nl - fix));
		esc(out, head_text);
		free(head_text);
	} else {
		esc(out, fix);
	}
	fputs("</p>\n", out);
	if (nl && data && data[0]) {
		fputs("<pre class=\"records\" tabindex=\"0\" aria-label=\"DS records to publish\">",
		      out);
		const char *p = data;
		while (*p) {
			while (*p == ' ')
				p++;
			const char *e = strchr(p, '\n');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			char *line = strndup(p, n);
			if (line && *line) {
				esc(out, line);
				fputc('\n', out);
			}
			free(line);
			p += n;
			if (*p == '\n')
				p++;
		}
		fputs("</pre>\n", out);
	}
}

static void section_verdict(FILE *out, const an_result_t *r)
{
	fputs("<section id=\"verdict\" aria-labelledby=\"s6\"><h2 id=\"s6\">Verdict, fix and who "
	      "must act</h2>\n",
	      out);
	rep_advice_t a;
	int rc = rep_advice(r, &a);
	fprintf(out, "<p class=\"verdict %s\"><strong>%s ", status_class(r->status),
		status_icon(r->status));
	esc(out, rc == 0 ? a.verdict : an_status_name(r->status));
	fputs("</strong></p>\n", out);
	if (rc == 0 && a.urgency) {
		fputs("<p class=\"urgency\"><strong>Urgency:</strong> ", out);
		esc(out, a.urgency);
		fputs("</p>\n", out);
	}
	if (rc == 0 && a.who_text) {
		fputs("<p class=\"who\"><strong>Who must act:</strong> ", out);
		esc(out, a.who_text);
		fputs("</p>\n", out);
	}
	if (rc == 0 && a.fix) {
		fputs("<div id=\"fix\" class=\"fix\"><h3>The fix</h3>\n", out);
		const an_finding_t *f = rep_main_finding(r);
		fix_text(out, a.fix, f ? f->data : NULL);
		fputs("</div>\n", out);
	}
	if (rc == 0 && a.emergency) {
		fputs("<div class=\"emergency\"><h3>Emergency stop, and what it costs</h3>\n<p>",
		      out);
		esc(out, a.emergency);
		fputs("</p></div>\n", out);
	}
	rep_advice_clear(&a);
	fputs("</section>\n", out);
}

static void section_findings(FILE *out, const an_result_t *r)
{
	if (!r->n_findings)
		return;
	fputs("<section aria-labelledby=\"s7\"><h2 id=\"s7\">All findings</h2>\n<ul "
	      "class=\"findings\">\n",
	      out);
	for (size_t i = 0; i < r->n_findings; i++) {
		const an_finding_t *f = &r->findings[i];
		const an_finding_def_t *d = an_finding_def(f->id);
		const char *cls = d->severity == AN_ERROR     ? "bad"
				  : d->severity == AN_WARNING ? "warn"
							      : "note";
		fprintf(out, "<li class=\"%s\"><strong>%s %s</strong> <code>%s</code>", cls,
			d->severity == AN_ERROR	    ? "\u2717"
			: d->severity == AN_WARNING ? "!"
						    : "i",
			an_severity_name(d->severity), d->id);
		if (d->ede >= 0)
			fprintf(out, " (EDE %d)", d->ede);
		if (f->n_servers) {
			fputs(" at ", out);
			for (size_t k = 0; k < f->n_servers; k++) {
				if (k)
					fputs(", ", out);
				esc(out, f->servers[k]);
			}
		}
		fputs("<br>", out);
		esc(out, f->summary);
		if (d->severity != AN_NOTICE && f->fix) {
			fprintf(out, "<br><em>Fix (%s):</em> ", an_who_name(f->who));
			esc(out, f->fix);
		}
		fputs("</li>\n", out);
	}
	fputs("</ul>\n</section>\n", out);
}

void web_page_result(FILE *out, const an_result_t *r, const evidence_t *ev, const char *type_text)
{
	head(out, "DNSSEC check of", r->qname);
	form(out, r->qname, type_text);
	char t[40];
	an_time_text(r->validated_at, t, sizeof(t));
	fputs("<h1>", out);
	esc(out, r->qname);
	fputc(' ', out);
	esc(out, type_text);
	fprintf(out, ": <span class=\"badge %s\">%s %s</span></h1>\n", status_class(r->status),
		status_icon(r->status), an_status_name(r->status));
	rep_advice_t a;
	fputs("<p class=\"lead\">", out);
	esc(out, rep_advice(r, &a) == 0 ? a.verdict : an_status_name(r->status));
	rep_advice_clear(&a);
	if (r->status == AN_BOGUS || r->status == AN_UNREACHABLE)
		fputs(" <a href=\"#verdict\">See the fix.</a>", out);
	fprintf(out, "</p>\n<p class=\"meta\">Validated at <time datetime=\"%s\">%s</time>", t, t);
	if (ev)
		fprintf(out, "; %u queries, %u ms", ev->queries, ev->elapsed_ms);
	fputs(".</p>\n<figure class=\"diagram\">\n", out);
	rep_svg(out, r, false);
	fputs("<figcaption>The chain of trust, from the trust anchor down to the name. \u2713 "
	      "holds, ! warning or not "
	      "signed, \u2717 broken.</figcaption>\n</figure>\n",
	      out);
	section_resolvers(out, r);
	section_ede(out, r);
	section_keys(out, r);
	section_freshness(out, r);
	section_chain(out, r);
	section_servers(out, r);
	section_verdict(out, r);
	section_findings(out, r);
	foot(out);
}
