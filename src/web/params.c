/* params.c — the query string of a check, parsed and validated (untrusted input). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <ldns/ldns.h>

#include "cli/options.h"
#include "common/dd.h"
#include "common/idn.h"
#include "common/wire.h"
#include "web/web.h"

/* Host-name-like names only: letters, digits, '-', '_' and '*' in labels (after IDN). */
static bool plain_name(const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.' || c == '*'))
			return false;
	}
	return true;
}

static int invalid(web_check_req_t *r, const char *msg, const char *detail)
{
	snprintf(r->error, sizeof(r->error), "%s%s", msg, detail ? detail : "");
	return DD_EINVAL;
}

static int parse(struct evkeyvalq *params, web_check_req_t *r)
{
	const char *raw_name = evhttp_find_header(params, "name");
	const char *raw_type = evhttp_find_header(params, "type");
	if (raw_name)
		snprintf(r->raw_name, sizeof(r->raw_name), "%s", raw_name);
	if (raw_type && *raw_type) {
		const char *twhy = NULL;
		if (strlen(raw_type) >= sizeof(r->type_text) ||
		    dd_qtype_parse(raw_type, &r->qtype, &twhy)) {
			if (twhy && strcmp(twhy, "unknown record type") != 0)
				return invalid(r, "unsupported record type: ", twhy);
			return invalid(
			    r, "unknown or unsupported record type (try A, AAAA, MX, TXT, DNSKEY)",
			    NULL);
		}
		char *t = ldns_rr_type2str((ldns_rr_type)r->qtype);
		snprintf(r->type_text, sizeof(r->type_text), "%s", t ? t : "A");
		free(t);
	}
	if (!raw_name || !*raw_name)
		return invalid(r, "missing name: give ?name=example.com", NULL);
	char ascii[1100];
	uint8_t wire[255];
	size_t wl = 0;
	const char *why = NULL;
	char host[128];
	bool url = dd_name_is_url(raw_name, host, sizeof(host));
	for (char *h = host; url && *h; h++)
		*h = (char)tolower((unsigned char)*h);
	if (strlen(raw_name) > 1000)
		why = "longer than 1000 characters";
	else if (url && *host && plain_name(host))
		return invalid(r, "invalid name: a URL, not a name; to check its host, give ",
			       host);
	else if (url)
		why = "a URL, not a name; give the host name alone";
	else if (dd_name_idn(raw_name, ascii, sizeof(ascii), &why) == 0 && !plain_name(ascii))
		why = "only letters, digits, hyphens, underscores and dots are allowed in a name";
	else if (!why && dd_name_from_text(ascii, wire, &wl, &why) != 0 && !why)
		why = "malformed";
	if (why)
		return invalid(r, "invalid name: ", why);
	dd_name_to_text(wire, wl, r->name);
	return 0;
}

int web_check_params(const char *query, web_check_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->qtype = LDNS_RR_TYPE_A;
	snprintf(r->type_text, sizeof(r->type_text), "A");
	struct evkeyvalq params;
	TAILQ_INIT(&params);
	/* A %00 would cut the decoded C string short and hide the rest. */
	if (query && (strstr(query, "%00") || evhttp_parse_query_str(query, &params) != 0)) {
		evhttp_clear_headers(&params);
		return invalid(r, "malformed query string", NULL);
	}
	int ret = parse(&params, r);
	evhttp_clear_headers(&params);
	if (ret)
		r->name[0] = '\0';
	return ret;
}
