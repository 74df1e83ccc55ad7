/*
 * report_svg.c — the chain of trust as an SVG diagram, and the XML escaping
 * that every HTML/SVG output shares.
 *
 * Layout: one column (it reads on a phone), top to bottom: the trust anchor,
 * each zone of the chain, the queried name. Each connector is a link of the
 * chain, coloured and labelled in words (✓ / ! / ✗ and a phrase), so that the
 * colour is never the only carrier of meaning.
 */
#include <stdlib.h>
#include <string.h>

#include "common/dd.h"
#include "report/report.h"

#define SVG_W 360
#define BOX_X 8
#define BOX_W (SVG_W - 2 * BOX_X)
#define BOX_H 52
#define GAP_H 46
#define LINE_X 36
#define MAX_CHARS 38

typedef enum level { LV_OK, LV_WARN, LV_BAD } level_t;

/* Colours with at least 4.5:1 contrast on white (and on their tints). */
static const struct {
	const char *stroke, *fill, *icon, *word;
} lv[] = {
    [LV_OK] = {"#116329", "#e6f6ea", "\u2713", "secure"},
    [LV_WARN] = {"#7d4e00", "#fff5d1", "!", "warning"},
    [LV_BAD] = {"#a40e26", "#ffebe9", "\u2717", "broken"},
};

void rep_xml_escape(FILE *out, const char *s, size_t max)
{
	if (!s)
		return;
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		/* Count characters, not UTF-8 continuation bytes. */
		if ((*p & 0xc0) != 0x80 && max && ++chars > max) {
			fputs("\u2026", out);
			return;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		case '\n':
		case '\t':
			fputc(*p, out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fputs("\ufffd", out);
			else
				fputc(*p, out);
		}
	}
}

static bool zone_has(const an_result_t *r, const char *zone, an_severity_t sev)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (an_finding_def(r->findings[i].id)->severity == sev && r->findings[i].zone &&
		    strcmp(r->findings[i].zone, zone) == 0)
			return true;
	return false;
}

static level_t link_level(const an_result_t *r, const an_link_t *l)
{
	switch (l->status) {
	case AN_SECURE:
		return zone_has(r, l->zone, AN_WARNING) || zone_has(r, l->zone, AN_ERROR) ? LV_WARN
											  : LV_OK;
	case AN_BOGUS:
	case AN_UNREACHABLE:
		return LV_BAD;
	default:
		return LV_WARN;
	}
}

/* The connector's phrase for the link into `l` (the DS at its parent). */
static void link_phrase(const an_result_t *r, const an_link_t *l, bool broken, char *buf,
			size_t size)
{
	const an_finding_t *f = broken ? rep_main_finding(r) : NULL;
	if (broken && l->status == AN_UNREACHABLE) {
		snprintf(buf, size, "breaks here: no name server answers");
	} else if (broken) {
		snprintf(buf, size, "breaks here%s%s", f ? ": " : "",
			 f ? an_finding_def(f->id)->id : "");
	} else if (l->anchored) {
		snprintf(buf, size, "trust anchor matches a key");
	} else if (!l->n_ds) {
		snprintf(buf, size,
			 l->status == AN_INSECURE ? "no DS at the parent: not signed"
						  : "no DS at the parent");
	} else {
		const an_ds_t *m = NULL;
		for (size_t i = 0; i < l->n_ds && !m; i++)
			if (l->ds[i].matched)
				m = &l->ds[i];
		if (m)
			snprintf(buf, size, "DS matches key tag %u (alg %u)", m->tag, m->algorithm);
		else
			snprintf(buf, size, "DS matches no published key");
	}
}

static void connector(FILE *out, int y, level_t v, bool broken, const char *phrase)
{
	fprintf(
	    out,
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"%d\"%s/>\n",
	    LINE_X, y, LINE_X, y + GAP_H, lv[v].stroke, broken ? 6 : 4,
	    broken ? " stroke-dasharray=\"6 4\"" : "");
	fprintf(out,
		"<circle cx=\"%d\" cy=\"%d\" r=\"11\" fill=\"#ffffff\" stroke=\"%s\" "
		"stroke-width=\"2\"/>"
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" "
		"font-weight=\"bold\" fill=\"%s\">%s</text>\n",
		LINE_X, y + GAP_H / 2, lv[v].stroke, LINE_X, y + GAP_H / 2 + 5, lv[v].stroke,
		lv[v].icon);
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"%s\"%s>", LINE_X + 20,
		y + GAP_H / 2 + 5, lv[v].stroke, broken ? " font-weight=\"bold\"" : "");
	rep_xml_escape(out, phrase, 44);
	fputs("</text>\n", out);
}

static void box(FILE *out, int y, level_t v, bool broken, const char *title, const char *line2,
		int h)
{
	fprintf(out, "<g><title>");
	rep_xml_escape(out, title, 0);
	fprintf(out,
		"</title>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"8\" fill=\"%s\" "
		"stroke=\"%s\" "
		"stroke-width=\"%d\"/>\n",
		BOX_X, y, BOX_W, h, lv[v].fill, lv[v].stroke, broken ? 4 : 2);
	fprintf(out,
		"<text x=\"%d\" y=\"%d\" font-size=\"15\" font-weight=\"bold\" fill=\"#1f2328\">",
		BOX_X + 14, y + (line2 ? 21 : h / 2 + 5));
	rep_xml_escape(out, title, MAX_CHARS);
	fputs("</text>\n", out);
	if (line2) {
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"%s\">", BOX_X + 14,
			y + 41, lv[v].stroke);
		rep_xml_escape(out, line2, 46);
		fputs("</text>\n", out);
	}
	fputs("</g>\n", out);
}

void rep_svg(FILE *out, const an_result_t *r, bool standalone)
{
	const int anchor_h = 34;
	int h = 8 + anchor_h + (int)r->n_chain * (GAP_H + BOX_H) + GAP_H + BOX_H + 8;
	char *qt = ldns_rr_type2str((ldns_rr_type)r->qtype);
	if (standalone)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chain\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" "
		"role=\"img\" aria-labelledby=\"chain-title chain-desc\" font-family=\"system-ui, "
		"-apple-system, "
		"'Segoe UI', Roboto, 'DejaVu Sans', sans-serif\">\n",
		SVG_W, h, SVG_W, h);
	fputs("<title id=\"chain-title\">Chain of trust for ", out);
	rep_xml_escape(out, r->qname, 0);
	fprintf(out, " %s: %s</title>\n<desc id=\"chain-desc\">", qt ? qt : "?",
		an_status_name(r->status));
	for (size_t i = 0; i < r->n_chain; i++) {
		const an_link_t *l = &r->chain[i];
		bool broken = r->broken_zone && strcmp(r->broken_zone, l->zone) == 0;
		char phrase[160];
		link_phrase(r, l, broken, phrase, sizeof(phrase));
		rep_xml_escape(out, l->zone, 0);
		fprintf(out, " %s (%s); ", an_status_name(l->status), phrase);
	}
	fputs("then ", out);
	rep_xml_escape(out, r->qname, 0);
	fprintf(out, " %s.</desc>\n", an_status_name(r->status));
	fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SVG_W, h);

	int y = 8;
	/* The trust anchor. */
	fprintf(out,
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"17\" fill=\"#f6f8fa\" "
		"stroke=\"#57606a\" "
		"stroke-width=\"1.5\"/>\n<text x=\"%d\" y=\"%d\" font-size=\"14\" "
		"fill=\"#1f2328\">Trust anchor "
		"(the root key, built in or given)</text>\n",
		BOX_X, y, BOX_W, anchor_h, BOX_X + 14, y + 22);
	y += anchor_h;
	for (size_t i = 0; i < r->n_chain; i++) {
		const an_link_t *l = &r->chain[i];
		bool broken = r->broken_zone && strcmp(r->broken_zone, l->zone) == 0;
		level_t v = link_level(r, l);
		char phrase[160], line2[160];
		link_phrase(r, l, broken, phrase, sizeof(phrase));
		connector(out, y, v, broken, phrase);
		y += GAP_H;
		const char *word = broken ? "BROKEN LINK"
				   : v == LV_WARN && l->status == AN_SECURE
				       ? "secure, with warnings"
				       : an_status_name(l->status);
		if (l->servers_total)
			snprintf(line2, sizeof(line2), "%s %s: keys valid at %u of %u servers",
				 lv[v].icon, word, l->servers_ok, l->servers_total);
		else
			snprintf(line2, sizeof(line2), "%s %s", lv[v].icon, word);
		box(out, y, v, broken, l->zone, line2, BOX_H);
		y += BOX_H;
	}
	/* The name itself. */
	level_t v = r->status == AN_SECURE				   ? LV_OK
		    : r->status == AN_BOGUS || r->status == AN_UNREACHABLE ? LV_BAD
									   : LV_WARN;
	char phrase[120], title[1100], line2[160];
	snprintf(phrase, sizeof(phrase), "%s",
		 r->status == AN_SECURE	       ? "the answer is signed and valid"
		 : r->status == AN_INSECURE    ? "not protected by DNSSEC"
		 : r->status == AN_BOGUS       ? "resolvers answer SERVFAIL"
		 : r->status == AN_UNREACHABLE ? "no answer"
					       : "no verdict");
	connector(out, y, v, false, phrase);
	y += GAP_H;
	snprintf(title, sizeof(title), "%s %s", r->qname ? r->qname : "?", qt ? qt : "?");
	snprintf(line2, sizeof(line2), "%s %s%s%s", lv[v].icon, an_status_name(r->status),
		 r->answer_rcode ? ", answer " : "", r->answer_rcode ? r->answer_rcode : "");
	box(out, y, v, false, title, line2, BOX_H);
	fputs("</svg>\n", out);
	free(qt);
}
