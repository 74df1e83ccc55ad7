/* findings: recording them, expanding their templates */
#include "analyse/an_int.h"

char *an_rr_text(const ldns_rr *rr)
{
	char *s = ldns_rr2str(rr);
	if (s)
		s[strcspn(s, "\n")] = '\0';
	return s;
}

char *an_type_text(uint16_t t)
{
	return ldns_rr_type2str((ldns_rr_type)t);
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

an_finding_t *an_add_finding(ctx_t *c, an_fid_t id, const char *zone, const char *rrset,
			     const char *detail, const char *data, const char *server, int64_t when)
{
	an_result_t *r = c->r;
	if (!detail)
		detail = "";
	an_finding_t *f = NULL;
	for (size_t i = 0; i < r->n_findings; i++) {
		an_finding_t *g = &r->findings[i];
		if (g->id == id && str_eq(g->zone, zone) && str_eq(g->rrset, rrset) &&
		    str_eq(g->detail, detail)) {
			f = g;
			break;
		}
	}
	if (!f) {
		if (ev_grow((void **)&r->findings, &c->cap_findings, r->n_findings, sizeof(*f))) {
			c->oom = 1;
			return NULL;
		}
		f = &r->findings[r->n_findings++];
		memset(f, 0, sizeof(*f));
		f->id = id;
		f->zone = dd_strdup(zone);
		f->rrset = dd_strdup(rrset);
		f->detail = dd_strdup(detail);
		f->data = dd_strdup(data ? data : "");
		f->when = when;
	}
	if (server) {
		for (size_t i = 0; i < f->n_servers; i++)
			if (strcmp(f->servers[i], server) == 0)
				return f;
		char **s = realloc(f->servers, (f->n_servers + 1) * sizeof(char *));
		if (!s) {
			c->oom = 1;
			return f;
		}
		f->servers = s;
		s[f->n_servers++] = strdup(server);
	}
	long zi = an_zone_index(c, zone);
	if (zi >= 0 && an_finding_def(id)->severity == AN_ERROR)
		c->zs[zi].has_errors = true;
	return f;
}

/* Expand {zone} {parent} {rrset} {detail} {data}; keep "{?...?}" only with data, "{!...!}" only
 * without. */
char *an_expand(const char *tpl, const an_finding_t *f, const char *parent)
{
	size_t cap = strlen(tpl) + 256, len = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	bool has_data = f->data && f->data[0];
	for (const char *p = tpl; *p;) {
		const char *val = NULL;
		size_t skip = 0;
		if ((p[0] == '{' && (p[1] == '?' || p[1] == '!')) ||
		    ((p[0] == '?' || p[0] == '!') && p[1] == '}')) {
			bool open = p[0] == '{', want_data = (open ? p[1] : p[0]) == '?';
			if (open && want_data != has_data) {
				const char *end = strstr(p + 2, want_data ? "?}" : "!}");
				p = end ? end + 2 : p + strlen(p);
			} else {
				p += 2;
			}
			continue;
		}
		if (*p == '{') {
			static const char *keys[] = {"{zone}", "{parent}", "{rrset}", "{detail}",
						     "{data}"};
			const char *vals[] = {f->zone, parent ? parent : "the parent",
					      f->rrset ? f->rrset : f->zone, f->detail, f->data};
			for (unsigned k = 0; k < 5; k++)
				if (strncmp(p, keys[k], strlen(keys[k])) == 0) {
					val = vals[k] ? vals[k] : "";
					skip = strlen(keys[k]);
				}
		}
		size_t add = val ? strlen(val) : 1;
		if (len + add + 1 > cap) {
			cap = (len + add + 1) * 2;
			char *n = realloc(out, cap);
			if (!n) {
				free(out);
				return NULL;
			}
			out = n;
		}
		if (val) {
			memcpy(out + len, val, add);
			p += skip;
		} else {
			out[len] = *p++;
		}
		len += add;
	}
	out[len] = '\0';
	/* Trim a trailing newline left by an empty {data}. */
	while (len && out[len - 1] == '\n')
		out[--len] = '\0';
	return out;
}

/* A copy of `s` with every `from` replaced by `to`, or NULL on out of memory. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
		n++;
	char *out = malloc(strlen(s) + n * tl + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = s, *q; (q = strstr(p, from)) != NULL; p = q + fl) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
		s = q + fl;
	}
	strcpy(o, s);
	return out;
}

/* A TLD's DS lives in the root zone: its operator changes it through IANA's root zone
 * management, not at a registrar. Reword a fix written for a registrar (in place). */
void an_tld_fix(an_finding_t *f)
{
	static const char *const from[] = {"At the registrar (or parent operator) of ",
					   "At the registrar of ", "at the registrar",
					   "the registrar"};
	static const char *const to[] = {"Through a root zone change request to IANA, for ",
					 "Through a root zone change request to IANA, for ",
					 "in the root zone (through IANA)", "IANA (the root zone)"};
	for (size_t i = 0; f->fix && i < DD_ARRAY_LEN(from); i++) {
		if (!strstr(f->fix, from[i]))
			continue;
		char *n = replace_all(f->fix, from[i], to[i]);
		if (n) {
			free(f->fix);
			f->fix = n;
		}
	}
}
