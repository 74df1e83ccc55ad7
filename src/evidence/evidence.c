#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>
#include <openssl/evp.h>

#include "common/dd.h"
#include "evidence/evidence.h"

/* Limits on loaded evidence: untrusted files must not exhaust memory. */
#define EV_MAX_SERVERS 64
#define EV_MAX_ADDRS 64
#define EV_MAX_ANCHORS 256
#define EV_MAX_TARGETS 64
#define EV_MAX_RESOLVERS 64
#define EV_MAX_WIRE 65535
#define EV_MAX_STR 1100

static const char *purpose_names[] = {
#define EV_P_STR(sym, str) str,
    EV_PURPOSES(EV_P_STR)
#undef EV_P_STR
};

const char *ev_purpose_name(ev_purpose_t p)
{
	return (unsigned)p < EV_P__COUNT ? purpose_names[p] : "unknown";
}

int ev_purpose_from_name(const char *s, ev_purpose_t *out)
{
	for (unsigned i = 0; i < EV_P__COUNT; i++)
		if (strcmp(s, purpose_names[i]) == 0) {
			*out = (ev_purpose_t)i;
			return 0;
		}
	return DD_EPARSE;
}

int ev_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p = realloc(*arr, ncap * elem);
	if (!p)
		return DD_ENOMEM;
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Capacities are kept beside the arrays in a private wrapper. */
typedef struct ev_priv {
	evidence_t pub;
	size_t cap_zones, cap_xs, cap_anchors, cap_targets, cap_resolvers;
} ev_priv_t;

evidence_t *ev_new(void)
{
	ev_priv_t *p = calloc(1, sizeof(*p));
	return p ? &p->pub : NULL;
}

static void server_clear(ev_server_t *s)
{
	free(s->name);
	for (size_t i = 0; i < s->n_addrs; i++)
		free(s->addrs[i]);
	free(s->addrs);
	free(s->addr_error);
}

static void zone_clear(ev_zone_t *z)
{
	free(z->name);
	free(z->parent);
	for (size_t i = 0; i < z->n_servers; i++)
		server_clear(&z->servers[i]);
	free(z->servers);
}

static void exchange_clear(ev_exchange_t *x)
{
	free(x->zone);
	free(x->server);
	free(x->ns_name);
	free(x->qname);
	free(x->why);
	free(x->wire);
	ldns_pkt_free(x->parsed);
}

void ev_free(evidence_t *ev)
{
	if (!ev)
		return;
	free(ev->qname);
	for (size_t i = 0; i < ev->n_anchors; i++)
		free(ev->anchors[i]);
	free(ev->anchors);
	for (size_t i = 0; i < ev->n_zones; i++)
		zone_clear(&ev->zones[i]);
	free(ev->zones);
	for (size_t i = 0; i < ev->n_targets; i++) {
		free(ev->targets[i].name);
		free(ev->targets[i].zone);
	}
	free(ev->targets);
	for (size_t i = 0; i < ev->n_xs; i++)
		exchange_clear(&ev->xs[i]);
	free(ev->xs);
	free(ev->probe_why);
	free(ev->cname_stop);
	for (size_t i = 0; i < ev->n_resolvers; i++) {
		free(ev->resolvers[i].address);
		free(ev->resolvers[i].label);
		for (unsigned k = 0; k < EV_RQ__COUNT; k++)
			exchange_clear(&ev->resolvers[i].q[k]);
	}
	free(ev->resolvers);
	free((ev_priv_t *)ev);
}

ev_zone_t *ev_add_zone(evidence_t *ev, const char *name, const char *parent)
{
	ev_priv_t *p = (ev_priv_t *)ev;
	if (ev_grow((void **)&ev->zones, &p->cap_zones, ev->n_zones, sizeof(ev_zone_t)))
		return NULL;
	ev_zone_t *z = &ev->zones[ev->n_zones];
	memset(z, 0, sizeof(*z));
	z->name = dd_strdup(name);
	z->parent = dd_strdup(parent);
	if (!z->name || (parent && !z->parent)) {
		zone_clear(z);
		return NULL;
	}
	ev->n_zones++;
	return z;
}

ev_server_t *ev_zone_add_server(ev_zone_t *z, const char *ns_name)
{
	ev_server_t *s = realloc(z->servers, (z->n_servers + 1) * sizeof(*s));
	if (!s)
		return NULL;
	z->servers = s;
	s = &z->servers[z->n_servers];
	memset(s, 0, sizeof(*s));
	s->name = dd_strdup(ns_name);
	if (!s->name)
		return NULL;
	z->n_servers++;
	return s;
}

int ev_server_add_addr(ev_server_t *s, const char *addr)
{
	for (size_t i = 0; i < s->n_addrs; i++)
		if (strcmp(s->addrs[i], addr) == 0)
			return 0;
	char **a = realloc(s->addrs, (s->n_addrs + 1) * sizeof(*a));
	if (!a)
		return DD_ENOMEM;
	s->addrs = a;
	if (!(a[s->n_addrs] = strdup(addr)))
		return DD_ENOMEM;
	s->n_addrs++;
	return 0;
}

ev_exchange_t *ev_add_exchange(evidence_t *ev)
{
	ev_priv_t *p = (ev_priv_t *)ev;
	if (ev_grow((void **)&ev->xs, &p->cap_xs, ev->n_xs, sizeof(ev_exchange_t)))
		return NULL;
	ev_exchange_t *x = &ev->xs[ev->n_xs++];
	memset(x, 0, sizeof(*x));
	x->port = 53;
	return x;
}

void ev_drop_unneeded(evidence_t *ev)
{
	size_t n = 0;
	for (size_t i = 0; i < ev->n_xs; i++) {
		if (ev->xs[i].unneeded)
			exchange_clear(&ev->xs[i]);
		else
			ev->xs[n++] = ev->xs[i];
	}
	ev->n_xs = n;
}

int ev_add_anchor(evidence_t *ev, const char *rr_text)
{
	ev_priv_t *p = (ev_priv_t *)ev;
	if (ev_grow((void **)&ev->anchors, &p->cap_anchors, ev->n_anchors, sizeof(char *)))
		return DD_ENOMEM;
	if (!(ev->anchors[ev->n_anchors] = strdup(rr_text)))
		return DD_ENOMEM;
	ev->n_anchors++;
	return 0;
}

int ev_add_target(evidence_t *ev, const char *name, const char *zone)
{
	ev_priv_t *p = (ev_priv_t *)ev;
	if (ev_grow((void **)&ev->targets, &p->cap_targets, ev->n_targets, sizeof(ev_target_t)))
		return DD_ENOMEM;
	ev_target_t *t = &ev->targets[ev->n_targets];
	t->name = dd_strdup(name);
	t->zone = dd_strdup(zone);
	if (!t->name || (zone && !t->zone)) {
		free(t->name);
		free(t->zone);
		return DD_ENOMEM;
	}
	ev->n_targets++;
	return 0;
}

ev_resolver_t *ev_add_resolver(evidence_t *ev, const char *address, uint16_t port,
			       const char *label)
{
	ev_priv_t *p = (ev_priv_t *)ev;
	if (ev_grow((void **)&ev->resolvers, &p->cap_resolvers, ev->n_resolvers,
		    sizeof(ev_resolver_t)))
		return NULL;
	ev_resolver_t *r = &ev->resolvers[ev->n_resolvers];
	memset(r, 0, sizeof(*r));
	r->address = dd_strdup(address);
	r->label = dd_strdup(label);
	if (!r->address || (label && !r->label)) {
		free(r->address);
		free(r->label);
		return NULL;
	}
	r->port = port;
	static const ev_purpose_t purposes[EV_RQ__COUNT] = {EV_P_RESOLVER, EV_P_RESOLVER_CD,
							    EV_P_RESOLVER_CHECK};
	for (unsigned k = 0; k < EV_RQ__COUNT; k++) {
		r->q[k].purpose = purposes[k];
		r->q[k].port = port;
	}
	ev->n_resolvers++;
	return r;
}

ev_zone_t *ev_find_zone(const evidence_t *ev, const char *name)
{
	for (size_t i = 0; i < ev->n_zones; i++)
		if (strcmp(ev->zones[i].name, name) == 0)
			return &ev->zones[i];
	return NULL;
}

/* ---- JSON out ---------------------------------------------------------- */

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *b64_encode(const uint8_t *buf, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	json_t *j = json_string(out);
	free(out);
	return j;
}

static json_t *exchange_to_json(const ev_exchange_t *x)
{
	json_t *jx = json_object();
	json_object_set_new(jx, "zone", jstr_or_null(x->zone));
	json_object_set_new(jx, "purpose", json_string(ev_purpose_name(x->purpose)));
	json_object_set_new(jx, "server", json_string(x->server ? x->server : ""));
	json_object_set_new(jx, "port", json_integer(x->port));
	json_object_set_new(jx, "ns_name", jstr_or_null(x->ns_name));
	json_object_set_new(jx, "qname", json_string(x->qname ? x->qname : "."));
	json_object_set_new(jx, "qtype", json_integer(x->qtype));
	json_object_set_new(jx, "qflags", json_integer(x->qflags));
	json_object_set_new(jx, "error", x->err ? json_string(dd_errtoken(x->err)) : json_null());
	json_object_set_new(jx, "why", jstr_or_null(x->why));
	json_object_set_new(jx, "sent_ms", json_integer(x->sent_ms));
	json_object_set_new(jx, "rtt_ms", json_integer(x->rtt_ms));
	json_object_set_new(jx, "tries", json_integer(x->tries));
	json_object_set_new(jx, "tcp", json_boolean(x->tcp));
	json_object_set_new(jx, "udp_truncated", json_boolean(x->udp_truncated));
	if (x->cached)
		json_object_set_new(jx, "cached", json_true());
	if (x->udp_oversized)
		json_object_set_new(jx, "udp_oversized", json_true());
	if (x->dropped)
		json_object_set_new(jx, "dropped", json_integer(x->dropped));
	json_object_set_new(jx, "wire", x->wire ? b64_encode(x->wire, x->wire_len) : json_null());
	return jx;
}

json_t *ev_to_json(const evidence_t *ev)
{
	json_t *root = json_object();
	if (!root)
		return NULL;
	json_object_set_new(root, "format", json_string("dnssec-doctor-evidence"));
	json_object_set_new(root, "version", json_integer(EV_FORMAT_VERSION));
	json_t *q = json_object();
	json_object_set_new(q, "name", jstr_or_null(ev->qname));
	json_object_set_new(q, "qtype", json_integer(ev->qtype));
	json_object_set_new(root, "query", q);
	json_object_set_new(root, "probed_at", json_integer(ev->probed_at));
	json_object_set_new(root, "elapsed_ms", json_integer(ev->elapsed_ms));
	json_object_set_new(root, "queries", json_integer(ev->queries));
	json_object_set_new(root, "probe_error",
			    ev->probe_err ? json_string(dd_errtoken(ev->probe_err)) : json_null());
	json_object_set_new(root, "probe_why", jstr_or_null(ev->probe_why));
	if (ev->cname_stop)
		json_object_set_new(root, "cname_stop", json_string(ev->cname_stop));

	json_t *anchors = json_array();
	for (size_t i = 0; i < ev->n_anchors; i++)
		json_array_append_new(anchors, json_string(ev->anchors[i]));
	json_object_set_new(root, "anchors", anchors);

	json_t *zones = json_array();
	for (size_t i = 0; i < ev->n_zones; i++) {
		const ev_zone_t *z = &ev->zones[i];
		json_t *jz = json_object();
		json_object_set_new(jz, "zone", json_string(z->name));
		json_object_set_new(jz, "parent", jstr_or_null(z->parent));
		json_object_set_new(jz, "parent_serves_child",
				    json_boolean(z->parent_serves_child));
		if (z->ns_total)
			json_object_set_new(jz, "ns_total", json_integer(z->ns_total));
		json_t *servers = json_array();
		for (size_t j = 0; j < z->n_servers; j++) {
			const ev_server_t *s = &z->servers[j];
			json_t *js = json_object();
			json_object_set_new(js, "name", json_string(s->name));
			json_t *addrs = json_array();
			for (size_t k = 0; k < s->n_addrs; k++)
				json_array_append_new(addrs, json_string(s->addrs[k]));
			json_object_set_new(js, "addresses", addrs);
			json_object_set_new(js, "glue", json_boolean(s->from_glue));
			json_object_set_new(js, "address_error", jstr_or_null(s->addr_error));
			json_array_append_new(servers, js);
		}
		json_object_set_new(jz, "servers", servers);
		json_array_append_new(zones, jz);
	}
	json_object_set_new(root, "zones", zones);

	json_t *targets = json_array();
	for (size_t i = 0; i < ev->n_targets; i++) {
		json_t *jt = json_object();
		json_object_set_new(jt, "name", json_string(ev->targets[i].name));
		json_object_set_new(jt, "zone", jstr_or_null(ev->targets[i].zone));
		json_array_append_new(targets, jt);
	}
	json_object_set_new(root, "targets", targets);

	json_t *xs = json_array();
	for (size_t i = 0; i < ev->n_xs; i++)
		json_array_append_new(xs, exchange_to_json(&ev->xs[i]));
	json_object_set_new(root, "exchanges", xs);
	json_t *res = json_array();
	for (size_t i = 0; i < ev->n_resolvers; i++) {
		const ev_resolver_t *r = &ev->resolvers[i];
		json_t *jr = json_object();
		json_object_set_new(jr, "address", json_string(r->address));
		json_object_set_new(jr, "port", json_integer(r->port));
		json_object_set_new(jr, "label", jstr_or_null(r->label));
		json_t *qs = json_array();
		for (unsigned k = 0; k < EV_RQ__COUNT; k++)
			json_array_append_new(qs, exchange_to_json(&r->q[k]));
		json_object_set_new(jr, "queries", qs);
		json_array_append_new(res, jr);
	}
	json_object_set_new(root, "resolvers", res);
	return root;
}

/* ---- JSON in ----------------------------------------------------------- */

typedef struct ld {
	char *err;
	size_t err_size;
	int failed;
} ld_t;

static void ld_fail(ld_t *l, const char *fmt, const char *what)
{
	if (l->failed)
		return;
	l->failed = 1;
	snprintf(l->err, l->err_size, fmt, what);
}

static const char *ld_str(ld_t *l, const json_t *obj, const char *key, bool nullable)
{
	const json_t *v = json_object_get(obj, key);
	if ((!v || json_is_null(v)) && nullable)
		return NULL;
	if (!json_is_string(v) || json_string_length(v) > EV_MAX_STR ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		ld_fail(l, "evidence: field \"%s\" must be a string of at most 1100 characters",
			key);
		return NULL;
	}
	return json_string_value(v);
}

static long long ld_int(ld_t *l, const json_t *obj, const char *key, long long lo, long long hi)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		ld_fail(l, "evidence: field \"%s\" must be an integer in range", key);
		return lo;
	}
	return json_integer_value(v);
}

static const json_t *ld_arr(ld_t *l, const json_t *obj, const char *key, size_t max)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_array(v) || json_array_size(v) > max) {
		ld_fail(l, "evidence: field \"%s\" must be an array (and not too long)", key);
		return NULL;
	}
	return v;
}

static int err_from_token(const char *tok)
{
	static const int codes[] = {DD_ENOMEM,	 DD_EINVAL,	DD_EMALFORMED,	DD_ETIMEOUT,
				    DD_ENETWORK, DD_ELIMIT,	DD_EDEADLINE,	DD_ECANCELLED,
				    DD_EIO,	 DD_EOFFLINE,	DD_EPARSE,	DD_ENOTFOUND,
				    DD_ETCP,	 DD_ETRUNCATED, DD_EREFUSEDADDR};
	for (unsigned i = 0; i < DD_ARRAY_LEN(codes); i++)
		if (strcmp(tok, dd_errtoken(codes[i])) == 0)
			return codes[i];
	return DD_ENETWORK;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= 1024 && s[n - 1] == '.';
}

/* One exchange object. Resolver exchanges have no zone and a resolver
 * purpose; walk exchanges need a zone and a walk purpose. Returns nonzero
 * (with l->failed set) on a bad entry. */
static int exchange_from_json(ld_t *l, const json_t *v, ev_exchange_t *x, bool resolver)
{
	if (!json_is_object(v)) {
		ld_fail(l, "evidence: %s entries must be objects", "exchanges");
		return -1;
	}
	x->zone = dd_strdup(ld_str(l, v, "zone", resolver));
	const char *pn = ld_str(l, v, "purpose", false);
	if (pn && ev_purpose_from_name(pn, &x->purpose))
		ld_fail(l, "evidence: unknown purpose \"%s\"", pn);
	bool rp = x->purpose == EV_P_RESOLVER || x->purpose == EV_P_RESOLVER_CD ||
		  x->purpose == EV_P_RESOLVER_CHECK;
	if (!l->failed && rp != resolver)
		ld_fail(l, "evidence: purpose \"%s\" does not belong here", pn);
	x->server = dd_strdup(ld_str(l, v, "server", false));
	x->port = (uint16_t)ld_int(l, v, "port", 1, 65535);
	x->ns_name = dd_strdup(ld_str(l, v, "ns_name", true));
	x->qname = dd_strdup(ld_str(l, v, "qname", false));
	x->qtype = (uint16_t)ld_int(l, v, "qtype", 0, 65535);
	x->qflags = (unsigned)ld_int(l, v, "qflags", 0, 255);
	const char *e = ld_str(l, v, "error", true);
	x->err = e ? err_from_token(e) : 0;
	x->why = dd_strdup(ld_str(l, v, "why", true));
	/* sent_ms came later in version 1: optional. */
	if (json_object_get(v, "sent_ms"))
		x->sent_ms = (unsigned)ld_int(l, v, "sent_ms", 0, 86400000);
	x->rtt_ms = (unsigned)ld_int(l, v, "rtt_ms", 0, 3600000);
	x->tries = (unsigned)ld_int(l, v, "tries", 0, 1000);
	x->tcp = json_is_true(json_object_get(v, "tcp"));
	x->udp_truncated = json_is_true(json_object_get(v, "udp_truncated"));
	x->cached = json_is_true(json_object_get(v, "cached"));
	x->udp_oversized = json_is_true(json_object_get(v, "udp_oversized"));
	if (json_object_get(v, "dropped"))
		x->dropped = (unsigned)ld_int(l, v, "dropped", 0, 1000000);
	const json_t *w = json_object_get(v, "wire");
	if (l->failed)
		return -1;
	if ((!resolver && (!x->zone || !name_ok(x->zone))) || (x->zone && !name_ok(x->zone)) ||
	    !x->server || !x->qname || !name_ok(x->qname)) {
		ld_fail(l, "evidence: exchange %s has a bad zone, server or qname", "entry");
		return -1;
	}
	if (w && !json_is_null(w)) {
		size_t blen = json_is_string(w) ? json_string_length(w) : 0;
		if (!json_is_string(w) || blen == 0 || blen % 4 != 0 ||
		    blen > 4 * ((EV_MAX_WIRE + 2) / 3)) {
			ld_fail(l, "evidence: exchange %s: \"wire\" must be base64", "entry");
			return -1;
		}
		x->wire = malloc(blen / 4 * 3);
		if (!x->wire) {
			ld_fail(l, "%s", "out of memory");
			return -1;
		}
		const char *b = json_string_value(w);
		int n = EVP_DecodeBlock(x->wire, (const unsigned char *)b, (int)blen);
		if (n < 0) {
			ld_fail(l, "evidence: exchange %s: \"wire\" is not valid base64", "entry");
			return -1;
		}
		/* EVP_DecodeBlock counts padding as zero bytes. */
		if (blen >= 1 && b[blen - 1] == '=')
			n--;
		if (blen >= 2 && b[blen - 2] == '=')
			n--;
		x->wire_len = (size_t)n;
	} else if (!x->err) {
		x->err = DD_ENETWORK;
	}
	return 0;
}

int ev_from_json(const json_t *root, evidence_t **out, char *err, size_t err_size)
{
	ld_t l = {err, err_size, 0};
	*out = NULL;
	if (!json_is_object(root)) {
		snprintf(err, err_size, "evidence: the top level must be a JSON object");
		return DD_EPARSE;
	}
	const char *fmt = ld_str(&l, root, "format", false);
	if (fmt && strcmp(fmt, "dnssec-doctor-evidence") != 0)
		ld_fail(&l, "evidence: \"format\" is \"%s\", expected \"dnssec-doctor-evidence\"",
			fmt);
	if (l.failed)
		return DD_EPARSE;
	if (ld_int(&l, root, "version", 1, 1) != 1 || l.failed) {
		snprintf(err, err_size,
			 "evidence: unsupported \"version\" (this program reads version 1)");
		return DD_EPARSE;
	}
	evidence_t *ev = ev_new();
	if (!ev) {
		snprintf(err, err_size, "out of memory");
		return DD_ENOMEM;
	}
	const json_t *q = json_object_get(root, "query");
	if (!json_is_object(q))
		ld_fail(&l, "evidence: missing object \"%s\"", "query");
	else {
		const char *qn = ld_str(&l, q, "name", false);
		if (qn && !name_ok(qn))
			ld_fail(&l, "evidence: bad query name \"%s\"", qn);
		ev->qname = dd_strdup(qn);
		ev->qtype = (uint16_t)ld_int(&l, q, "qtype", 0, 65535);
	}
	ev->probed_at = ld_int(&l, root, "probed_at", 0, 253402300799LL);
	ev->elapsed_ms = (unsigned)ld_int(&l, root, "elapsed_ms", 0, 86400000);
	ev->queries = (unsigned)ld_int(&l, root, "queries", 0, 1000000);
	const char *pe = ld_str(&l, root, "probe_error", true);
	if (pe)
		ev->probe_err = err_from_token(pe);
	ev->probe_why = dd_strdup(ld_str(&l, root, "probe_why", true));
	const char *cs = ld_str(&l, root, "cname_stop", true);
	if (cs && strcmp(cs, "loop") != 0 && strcmp(cs, "limit") != 0)
		ld_fail(&l, "evidence: \"cname_stop\" must be \"loop\" or \"limit\", not \"%s\"",
			cs);
	ev->cname_stop = dd_strdup(cs);

	const json_t *anchors = ld_arr(&l, root, "anchors", EV_MAX_ANCHORS);
	size_t i;
	const json_t *v;
	if (anchors)
		json_array_foreach(anchors, i, v)
		{
			if (!json_is_string(v) || json_string_length(v) > 8192) {
				ld_fail(&l, "evidence: %s entries must be strings", "anchors");
				break;
			}
			ev_add_anchor(ev, json_string_value(v));
		}

	const json_t *zones = ld_arr(&l, root, "zones", EV_MAX_ZONES);
	if (zones)
		json_array_foreach(zones, i, v)
		{
			if (l.failed)
				break;
			if (!json_is_object(v)) {
				ld_fail(&l, "evidence: %s entries must be objects", "zones");
				break;
			}
			const char *zn = ld_str(&l, v, "zone", false);
			const char *zp = ld_str(&l, v, "parent", true);
			if (l.failed || !name_ok(zn) || (zp && !name_ok(zp))) {
				ld_fail(&l, "evidence: bad zone name in \"%s\"", "zones");
				break;
			}
			ev_zone_t *z = ev_add_zone(ev, zn, zp);
			if (!z) {
				ld_fail(&l, "%s", "out of memory");
				break;
			}
			z->parent_serves_child =
			    json_is_true(json_object_get(v, "parent_serves_child"));
			if (json_object_get(v, "ns_total"))
				z->ns_total = (unsigned)ld_int(&l, v, "ns_total", 0, 100000);
			const json_t *servers = ld_arr(&l, v, "servers", EV_MAX_SERVERS);
			size_t j;
			const json_t *s;
			if (servers)
				json_array_foreach(servers, j, s)
				{
					if (!json_is_object(s)) {
						ld_fail(&l, "evidence: %s entries must be objects",
							"servers");
						break;
					}
					const char *sn = ld_str(&l, s, "name", false);
					if (l.failed)
						break;
					ev_server_t *es = ev_zone_add_server(z, sn);
					if (!es) {
						ld_fail(&l, "%s", "out of memory");
						break;
					}
					es->from_glue = json_is_true(json_object_get(s, "glue"));
					es->addr_error =
					    dd_strdup(ld_str(&l, s, "address_error", true));
					const json_t *addrs =
					    ld_arr(&l, s, "addresses", EV_MAX_ADDRS);
					size_t k;
					const json_t *a;
					if (addrs)
						json_array_foreach(addrs, k, a)
						{
							if (!json_is_string(a) ||
							    json_string_length(a) > 64) {
								ld_fail(&l,
									"evidence: %s entries must "
									"be short strings",
									"addresses");
								break;
							}
							ev_server_add_addr(es,
									   json_string_value(a));
						}
				}
		}

	const json_t *targets = ld_arr(&l, root, "targets", EV_MAX_TARGETS);
	if (targets && !l.failed)
		json_array_foreach(targets, i, v)
		{
			if (!json_is_object(v)) {
				ld_fail(&l, "evidence: %s entries must be objects", "targets");
				break;
			}
			const char *tn = ld_str(&l, v, "name", false);
			const char *tz = ld_str(&l, v, "zone", true);
			if (l.failed || !name_ok(tn))
				break;
			ev_add_target(ev, tn, tz);
		}

	const json_t *xs = ld_arr(&l, root, "exchanges", EV_MAX_EXCHANGES);
	if (xs && !l.failed)
		json_array_foreach(xs, i, v)
		{
			if (!json_is_object(v)) {
				ld_fail(&l, "evidence: %s entries must be objects", "exchanges");
				break;
			}
			ev_exchange_t *x = ev_add_exchange(ev);
			if (!x) {
				ld_fail(&l, "%s", "out of memory");
				break;
			}
			if (exchange_from_json(&l, v, x, false))
				break;
		}
	const json_t *res = json_object_get(root, "resolvers")
				? ld_arr(&l, root, "resolvers", EV_MAX_RESOLVERS)
				: NULL;
	if (res && !l.failed)
		json_array_foreach(res, i, v)
		{
			if (!json_is_object(v)) {
				ld_fail(&l, "evidence: %s entries must be objects", "resolvers");
				break;
			}
			const char *ra = ld_str(&l, v, "address", false);
			uint16_t rp = (uint16_t)ld_int(&l, v, "port", 1, 65535);
			const char *rl = ld_str(&l, v, "label", true);
			const json_t *qs = ld_arr(&l, v, "queries", EV_RQ__COUNT);
			if (l.failed)
				break;
			if (json_array_size(qs) != EV_RQ__COUNT) {
				ld_fail(&l, "evidence: a resolver needs exactly %s queries", "3");
				break;
			}
			ev_resolver_t *r = ev_add_resolver(ev, ra, rp, rl);
			if (!r) {
				ld_fail(&l, "%s", "out of memory");
				break;
			}
			for (unsigned k = 0; k < EV_RQ__COUNT && !l.failed; k++) {
				ev_purpose_t want = r->q[k].purpose;
				if (exchange_from_json(&l, json_array_get(qs, k), &r->q[k], true))
					break;
				if (r->q[k].purpose != want)
					ld_fail(
					    &l,
					    "evidence: resolver queries must be %s, in that order",
					    "resolver, resolver-cd, resolver-check");
			}
		}
	if (l.failed) {
		ev_free(ev);
		return DD_EPARSE;
	}
	if (!ev->qname) {
		ev_free(ev);
		snprintf(err, err_size, "evidence: no query name");
		return DD_EPARSE;
	}
	*out = ev;
	return 0;
}
