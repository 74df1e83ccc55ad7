#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dd.h"
#include "common/wire.h"
#include "analyse/analyse.h"
#include "engine/engine.h" /* ENGINE_F_* in recorded query flags */

#define AN_MAX_RRS 64 /* DNSKEYs / RRSIGs / DS considered per RRset */
/* Zones on one path, root first: a name has at most 127 labels, so a path
 * (followed through CNAMEs) has at most 128 zones. Loaded evidence may say
 * anything: a parent cycle is cut at this length. */
#define AN_MAX_PATH 128

const char *an_status_name(an_status_t s)
{
	static const char *n[] = {"secure", "insecure", "bogus", "indeterminate", "unreachable"};
	return (unsigned)s < 5 ? n[s] : "indeterminate";
}

void an_time_text(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%lld", (long long)t);
}

/* ---- per-zone state ------------------------------------------------------ */

typedef struct zst {
	const ev_zone_t *z;
	long parent;             /* index into zones, -1 */
	bool analysed;
	bool anchored;
	bool insecure;           /* proven insecure (or no anchor above) */
	bool no_anchor;
	bool unreachable;
	bool indeterminate;      /* crypto unavailable, or data missing */
	bool has_errors;
	ldns_rr_list *ds;        /* DS set from the parent (or anchors) */
	ldns_rr_list *anchor_keys;
	ldns_rr_list *keys;      /* validated keys (or, when none validated, all seen) */
	bool keys_validated;
	ldns_rr_list *seen_keys; /* union of DNSKEYs from every server */
	unsigned tested, ok;     /* server addresses whose DNSKEY answer was judged / passed */
	char *ds_expected;
	char *ds_data;           /* DS lines for fixes */
} zst_t;

typedef struct ctx {
	const evidence_t *ev;
	int64_t now;
	an_policy_t pol;
	ldns_rr_list *anchors;
	an_result_t *r;
	zst_t *zs;
	ldns_pkt **pkts;          /* parsed responses, one per exchange (NULL: none) */
	size_t cap_findings;
	int64_t earliest;
	int oom;
} ctx_t;

static char *rdf_name(const ldns_rdf *r)
{
	char *s = ldns_rdf2str(r);
	char *c = ev_name_canon(s);
	free(s);
	return c;
}

static char *rr_text(const ldns_rr *rr)
{
	char *s = ldns_rr2str(rr);
	if (s)
		s[strcspn(s, "\n")] = '\0';
	return s;
}

static char *type_text(uint16_t t)
{
	return ldns_rr_type2str((ldns_rr_type)t);
}

static long zone_index(const ctx_t *c, const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < c->ev->n_zones; i++)
		if (strcmp(c->ev->zones[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* ---- findings ------------------------------------------------------------ */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static an_finding_t *add_finding(ctx_t *c, an_fid_t id, const char *zone, const char *rrset,
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
	long zi = zone_index(c, zone);
	if (zi >= 0 && an_finding_def(id)->severity == AN_ERROR)
		c->zs[zi].has_errors = true;
	return f;
}

/* Expand {zone} {parent} {rrset} {detail} {data}. */
static char *expand(const char *tpl, const an_finding_t *f, const char *parent)
{
	size_t cap = strlen(tpl) + 256, len = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (const char *p = tpl; *p;) {
		const char *val = NULL;
		size_t skip = 0;
		if (*p == '{') {
			static const char *keys[] = {"{zone}", "{parent}", "{rrset}", "{detail}", "{data}"};
			const char *vals[] = {f->zone, parent ? parent : "the parent", f->rrset ? f->rrset : f->zone,
					      f->detail, f->data};
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

/* ---- RRSIG checks -------------------------------------------------------- */

/* RRSIG times are 32-bit serial numbers (RFC 4034 §3.1.5): take the one nearest `now`. */
static int64_t sig_time(const ldns_rdf *r, int64_t now)
{
	uint32_t t = ldns_rdf2native_int32(r);
	return now + (int32_t)(t - (uint32_t)now);
}

typedef struct sigcheck {
	bool valid;
	int64_t valid_expiry;   /* the latest expiry among valid signatures */
	uint16_t valid_tag;
	unsigned n_sigs;        /* RRSIGs covering the type */
	bool expired, notyet, invalid, unknown_key, crypto_unavail, bad_signer;
	int64_t expired_at, incept_at;
	uint16_t tag;           /* of the first failing signature */
	uint8_t alg;
} sigcheck_t;

static bool key_usable(const ldns_rr *key)
{
	uint16_t flags = ldns_rdf2native_int16(ldns_rr_rdf(key, 0));
	return (flags & LDNS_KEY_ZONE_KEY) && !(flags & LDNS_KEY_REVOKE_KEY);
}

static void check_sigs(const ctx_t *c, const char *zone, ldns_rr_list *rrset, const ldns_rr_list *sigs,
		       const ldns_rr_list *keys, sigcheck_t *sc)
{
	memset(sc, 0, sizeof(*sc));
	if (!rrset || !ldns_rr_list_rr_count(rrset))
		return;
	ldns_rr_type covered = ldns_rr_get_type(ldns_rr_list_rr(rrset, 0));
	ldns_rdf *zname = ldns_dname_new_frm_str(zone);
	size_t owner_labels = ldns_dname_label_count(ldns_rr_owner(ldns_rr_list_rr(rrset, 0)));
	for (size_t i = 0; sigs && i < ldns_rr_list_rr_count(sigs) && sc->n_sigs < AN_MAX_RRS; i++) {
		ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		if (ldns_rr_rd_count(sig) < 9 || ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) != covered)
			continue;
		if (ldns_dname_compare(ldns_rr_owner(sig), ldns_rr_owner(ldns_rr_list_rr(rrset, 0))) != 0)
			continue;
		sc->n_sigs++;
		uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
		uint8_t alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig));
		uint8_t labels = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig));
		bool failed_first = !sc->expired && !sc->notyet && !sc->invalid && !sc->unknown_key;
		if (failed_first) {
			sc->tag = tag;
			sc->alg = alg;
		}
		if (!zname || ldns_dname_compare(ldns_rr_rrsig_signame(sig), zname) != 0 ||
		    labels > owner_labels) {
			sc->bad_signer = true;
			sc->invalid = true;
			continue;
		}
		ldns_rr_list *ks = ldns_rr_list_new();
		for (size_t k = 0; keys && ks && k < ldns_rr_list_rr_count(keys); k++) {
			ldns_rr *key = ldns_rr_list_rr(keys, k);
			if (ldns_rr_get_type(key) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(key) < 4)
				continue;
			if (ldns_calc_keytag(key) == tag &&
			    ldns_rdf2native_int8(ldns_rr_rdf(key, 2)) == alg && key_usable(key))
				ldns_rr_list_push_rr(ks, key);
		}
		if (!ks || !ldns_rr_list_rr_count(ks)) {
			sc->unknown_key = true;
			ldns_rr_list_free(ks);
			continue;
		}
		int64_t inc = sig_time(ldns_rr_rrsig_inception(sig), c->now);
		int64_t exp = sig_time(ldns_rr_rrsig_expiration(sig), c->now);
		bool dates_ok = inc <= c->now && c->now <= exp;
		ldns_status st = ldns_verify_rrsig_keylist_notime(rrset, sig, ks, NULL);
		ldns_rr_list_free(ks);
		if (st == LDNS_STATUS_OK && dates_ok) {
			if (!sc->valid || exp > sc->valid_expiry) {
				sc->valid_expiry = exp;
				sc->valid_tag = tag;
			}
			sc->valid = true;
			continue;
		}
		if (exp < c->now) {
			sc->expired = true;
			sc->expired_at = exp;
		} else if (inc > c->now) {
			sc->notyet = true;
			sc->incept_at = inc;
		}
		if (st == LDNS_STATUS_CRYPTO_ALGO_NOT_IMPL || st == LDNS_STATUS_CRYPTO_UNKNOWN_ALGO)
			sc->crypto_unavail = true;
		else if (st != LDNS_STATUS_OK)
			sc->invalid = true;
	}
	ldns_rdf_deep_free(zname);
}

/* Turn a failed check into findings. `dnskey_link`: the keys were the DS-matched ones. */
static void emit_sig_findings(ctx_t *c, const char *zone, const char *rrset, const char *server,
			      const sigcheck_t *sc, bool dnskey_link, const char *data)
{
	char when[40], buf[200];
	if (sc->n_sigs == 0) {
		add_finding(c, AN_F_RRSIG_MISSING, zone, rrset, "", NULL, server, 0);
		return;
	}
	if (sc->expired) {
		an_time_text(sc->expired_at, when, sizeof(when));
		snprintf(buf, sizeof(buf), " on %s (key tag %u, algorithm %u)", when, sc->tag, sc->alg);
		add_finding(c, AN_F_RRSIG_EXPIRED, zone, rrset, buf, NULL, server, sc->expired_at);
	}
	if (sc->notyet) {
		an_time_text(sc->incept_at, when, sizeof(when));
		snprintf(buf, sizeof(buf), ": its inception is %s (key tag %u, algorithm %u)", when, sc->tag, sc->alg);
		add_finding(c, AN_F_RRSIG_NOT_YET_VALID, zone, rrset, buf, NULL, server, sc->incept_at);
	}
	if (sc->invalid) {
		snprintf(buf, sizeof(buf), sc->bad_signer ? " (its signer name or label count is wrong; key tag %u)"
							  : " (key tag %u, algorithm %u)",
			 sc->tag, sc->alg);
		add_finding(c, AN_F_RRSIG_INVALID, zone, rrset, buf, NULL, server, 0);
	}
	if (sc->crypto_unavail) {
		snprintf(buf, sizeof(buf), " (algorithm %u)", sc->alg);
		add_finding(c, AN_F_CRYPTO_UNAVAILABLE, zone, rrset, buf, NULL, server, 0);
	}
	if (sc->unknown_key && !sc->expired && !sc->notyet && !sc->invalid && !sc->crypto_unavail) {
		if (dnskey_link) {
			snprintf(buf, sizeof(buf), " (it is signed by key tag %u)", sc->tag);
			add_finding(c, AN_F_DNSKEY_NOT_SIGNED_BY_DS_KEY, zone, rrset, buf, data, server, 0);
		} else {
			snprintf(buf, sizeof(buf), " (key tag %u, algorithm %u)", sc->tag, sc->alg);
			add_finding(c, AN_F_RRSIG_UNKNOWN_KEY, zone, rrset, buf, NULL, server, 0);
		}
	}
}

static void note_expiry(ctx_t *c, const char *zone, const char *rrset, const char *server, const sigcheck_t *sc)
{
	if (!sc->valid)
		return;
	if (!c->earliest || sc->valid_expiry < c->earliest)
		c->earliest = sc->valid_expiry;
	if (sc->valid_expiry - c->now < (int64_t)c->pol.warn_days * 86400) {
		char when[40], buf[160];
		an_time_text(sc->valid_expiry, when, sizeof(when));
		snprintf(buf, sizeof(buf), ": on %s (key tag %u); validation fails from then on", when, sc->valid_tag);
		add_finding(c, AN_F_RRSIG_EXPIRING_SOON, zone, rrset, buf, NULL, server, sc->valid_expiry);
	}
}

/* ---- packet access ------------------------------------------------------- */

static ldns_rr_list *section_rrs(ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type, ldns_pkt_section sec)
{
	ldns_rr_list *l = owner ? ldns_pkt_rr_list_by_name_and_type(pkt, owner, type, sec)
				: ldns_pkt_rr_list_by_type(pkt, type, sec);
	if (l && ldns_rr_list_rr_count(l) > AN_MAX_RRS) {
		while (ldns_rr_list_rr_count(l) > AN_MAX_RRS)
			ldns_rr_free(ldns_rr_list_pop_rr(l));
	}
	return l;
}

static ldns_rr_list *sigs_over(ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type, ldns_pkt_section sec)
{
	ldns_rr_list *all = section_rrs(pkt, owner, LDNS_RR_TYPE_RRSIG, sec);
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; all && out && i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *s = ldns_rr_list_rr(all, i);
		if (ldns_rr_rd_count(s) >= 9 && ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(s)) == type)
			ldns_rr_list_push_rr(out, ldns_rr_clone(s));
	}
	ldns_rr_list_deep_free(all);
	return out;
}

static void list_union(ldns_rr_list **dst, const ldns_rr_list *src)
{
	if (!*dst)
		*dst = ldns_rr_list_new();
	for (size_t i = 0; *dst && src && i < ldns_rr_list_rr_count(src); i++) {
		ldns_rr *rr = ldns_rr_list_rr(src, i);
		bool have = false;
		for (size_t j = 0; j < ldns_rr_list_rr_count(*dst) && !have; j++)
			have = ldns_rr_compare(ldns_rr_list_rr(*dst, j), rr) == 0;
		if (!have && ldns_rr_list_rr_count(*dst) < 4 * AN_MAX_RRS)
			ldns_rr_list_push_rr(*dst, ldns_rr_clone(rr));
	}
}

static void parse_all(ctx_t *c)
{
	for (size_t i = 0; i < c->ev->n_xs; i++) {
		const ev_exchange_t *x = &c->ev->xs[i];
		if (x->err || !x->wire)
			continue;
		dd_wire_summary_t sum;
		const char *why = NULL;
		ldns_pkt *pkt = NULL;
		if (dd_wire_check(x->wire, x->wire_len, &sum, &why) != 0 ||
		    ldns_wire2pkt(&pkt, x->wire, x->wire_len) != LDNS_STATUS_OK) {
			char buf[160];
			snprintf(buf, sizeof(buf), " (%s for %s)", why ? why : "unparseable", x->qname);
			long zi = zone_index(c, x->zone);
			/* NS/DS exchanges are tagged with the child; the server is the parent's. */
			const char *zone = x->zone;
			if ((x->purpose == EV_P_NS || x->purpose == EV_P_DS) && zi >= 0 && c->zs[zi].z->parent)
				zone = c->zs[zi].z->parent;
			add_finding(c, AN_F_SERVER_MALFORMED, zone, NULL, buf, NULL, x->server, 0);
			continue;
		}
		c->pkts[i] = pkt;
	}
}

/* ---- denial of existence ------------------------------------------------- */

/* Returns true when `pkt` proves that qname/qtype does not exist (signatures and logic). */
static bool check_denial(ctx_t *c, const char *zone, const ldns_rr_list *keys, ldns_pkt *pkt,
			 const char *qname, uint16_t qtype, const char *server, const char *rrset)
{
	ldns_rr_list *nsec = section_rrs(pkt, NULL, LDNS_RR_TYPE_NSEC, LDNS_SECTION_AUTHORITY);
	ldns_rr_list *nsec3 = section_rrs(pkt, NULL, LDNS_RR_TYPE_NSEC3, LDNS_SECTION_AUTHORITY);
	ldns_rr_list *proof = (nsec3 && ldns_rr_list_rr_count(nsec3)) ? nsec3 : nsec;
	bool ok = false;
	if (!proof || !ldns_rr_list_rr_count(proof)) {
		add_finding(c, AN_F_DENIAL_MISSING, zone, rrset, "", NULL, server, 0);
		goto out;
	}
	ldns_rr_type ptype = proof == nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC;
	ldns_rr_list *allsigs = sigs_over(pkt, NULL, ptype, LDNS_SECTION_AUTHORITY);
	bool sigs_ok = true;
	/* Each NSEC/NSEC3 record is its own RRset (one per owner name). */
	for (size_t i = 0; i < ldns_rr_list_rr_count(proof); i++) {
		ldns_rr *rr = ldns_rr_list_rr(proof, i);
		ldns_rr_list *one = ldns_rr_list_new();
		ldns_rr_list *sigs = sigs_over(pkt, ldns_rr_owner(rr), ptype, LDNS_SECTION_AUTHORITY);
		sigcheck_t sc;
		if (one) {
			ldns_rr_list_push_rr(one, rr);
			check_sigs(c, zone, one, sigs, keys, &sc);
			if (!sc.valid) {
				char *owner = rdf_name(ldns_rr_owner(rr));
				char *t = type_text(ptype);
				char *rs = dd_asprintf("%s %s", owner ? owner : "?", t ? t : "?");
				emit_sig_findings(c, zone, rs, server, &sc, false, NULL);
				free(rs);
				free(t);
				free(owner);
				sigs_ok = false;
			} else {
				note_expiry(c, zone, NULL, server, &sc);
			}
			ldns_rr_list_free(one);
		}
		ldns_rr_list_deep_free(sigs);
	}
	if (sigs_ok) {
		ldns_rr *q = ldns_rr_new();
		ldns_rdf *qn = ldns_dname_new_frm_str(qname);
		ldns_status st = LDNS_STATUS_MEM_ERR;
		if (q && qn) {
			ldns_rr_set_owner(q, qn);
			qn = NULL;
			ldns_rr_set_type(q, (ldns_rr_type)qtype);
			ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
			if (ptype == LDNS_RR_TYPE_NSEC3)
				st = ldns_dnssec_verify_denial_nsec3(q, proof, allsigs, ldns_pkt_get_rcode(pkt),
								     (ldns_rr_type)qtype, ldns_pkt_ancount(pkt) == 0);
			else
				st = ldns_dnssec_verify_denial(q, proof, allsigs);
		}
		ldns_rdf_deep_free(qn);
		ldns_rr_free(q);
		if (st == LDNS_STATUS_OK) {
			ok = true;
		} else {
			char buf[200];
			snprintf(buf, sizeof(buf), " (%s)", ldns_get_errorstr_by_id(st));
			add_finding(c, AN_F_DENIAL_INVALID, zone, rrset, buf, NULL, server, 0);
		}
	}
	ldns_rr_list_deep_free(allsigs);
out:
	ldns_rr_list_deep_free(nsec);
	ldns_rr_list_deep_free(nsec3);
	return ok;
}

/* ---- one zone ------------------------------------------------------------ */

static bool is_zone_server(const ev_zone_t *z, const char *addr)
{
	for (size_t i = 0; i < z->n_servers; i++)
		for (size_t j = 0; j < z->servers[i].n_addrs; j++)
			if (strcmp(z->servers[i].addrs[j], addr) == 0)
				return true;
	return false;
}

/* The finding for an apex or answer query that got an error rcode: FORMERR to
 * a query with EDNS means the server does not do EDNS; the rest is lame. */
static an_fid_t rcode_finding(ldns_pkt_rcode rc, const ev_exchange_t *x)
{
	return rc == LDNS_RCODE_FORMERR && !(x->qflags & ENGINE_F_NOEDNS) ? AN_F_SERVER_NO_EDNS : AN_F_SERVER_LAME;
}

/* Did `addr` answer the plain (no EDNS) SOA query for `zone` with NOERROR? */
static bool answers_plain(const ctx_t *c, const char *zone, const char *addr)
{
	for (size_t k = 0; k < c->ev->n_xs; k++) {
		const ev_exchange_t *x = &c->ev->xs[k];
		if (x->purpose == EV_P_NOEDNS && !x->err && c->pkts[k] && strcmp(x->server, addr) == 0 &&
		    strcmp(x->zone, zone) == 0 && ldns_pkt_get_rcode(c->pkts[k]) == LDNS_RCODE_NOERROR)
			return true;
	}
	return false;
}

/* Reachability of each server address of zone `zi`, from its apex queries. */
static void check_reachability(ctx_t *c, size_t zi)
{
	zst_t *s = &c->zs[zi];
	const ev_zone_t *z = s->z;
	unsigned tested = 0, answered = 0, addrs = 0;
	for (size_t i = 0; i < z->n_servers; i++) {
		const ev_server_t *srv = &z->servers[i];
		if (!srv->n_addrs) {
			char buf[300];
			snprintf(buf, sizeof(buf), ": %s (%s)", srv->name,
				 srv->addr_error ? srv->addr_error : "no address");
			add_finding(c, AN_F_NS_NO_ADDRESS, z->name, NULL, buf, NULL, NULL, 0);
		}
		for (size_t j = 0; j < srv->n_addrs; j++) {
			const char *a = srv->addrs[j];
			unsigned n = 0, fail = 0, fail_dropped = 0, fail_notcp = 0, ok = 0, ok_trunc = 0, oversized = 0;
			const char *why = NULL;
			bool lame = false;
			an_fid_t lame_id = AN_F_SERVER_LAME;
			char lame_why[80] = "";
			addrs++;
			for (size_t k = 0; k < c->ev->n_xs; k++) {
				const ev_exchange_t *x = &c->ev->xs[k];
				if (strcmp(x->server, a) != 0 || strcmp(x->zone, z->name) != 0 ||
				    (x->purpose != EV_P_DNSKEY && x->purpose != EV_P_SOA && x->purpose != EV_P_APEX_NS &&
				     x->purpose != EV_P_ANSWER))
					continue;
				n++;
				if (x->err) {
					fail++;
					fail_dropped += x->err == DD_ETIMEOUT && x->dropped;
					fail_notcp += x->err == DD_ETCP && x->udp_truncated;
					if (!why) /* the first reason: later ones say "not asked again" */
						why = x->why ? x->why : dd_strerror(x->err);
					continue;
				}
				ok++;
				ok_trunc += x->udp_truncated;
				oversized += x->udp_oversized;
				ldns_pkt *pkt = c->pkts[k];
				if (pkt && x->purpose == EV_P_SOA) {
					ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
					if (rc != LDNS_RCODE_NOERROR || !ldns_pkt_aa(pkt)) {
						lame = true;
						lame_id = rcode_finding(rc, x);
						char *rcs = ldns_pkt_rcode2str(rc);
						snprintf(lame_why, sizeof(lame_why), ": %s answered %s%s", a,
							 rcs ? rcs : "?", ldns_pkt_aa(pkt) ? "" : " without the AA bit");
						free(rcs);
					}
				}
			}
			if (!n) {
				add_finding(c, AN_F_SERVER_NOT_TESTED, z->name, NULL,
					    strchr(a, ':') ? " (IPv6 is not available here)" : " (IPv4 is not used)",
					    NULL, a, 0);
				continue;
			}
			tested++;
			char buf[300];
			snprintf(buf, sizeof(buf), " (%s: %s)", srv->name, why ? why : "no answer");
			if (fail == n) {
				/* Silence, garbage, a closed TCP port and an EDNS-deaf
				 * server are different repairs. */
				an_fid_t id = fail_dropped == fail ? AN_F_SERVER_MALFORMED
					      : fail_notcp == fail ? AN_F_SERVER_NO_TCP
					      : answers_plain(c, z->name, a)
						  ? AN_F_SERVER_NO_EDNS
						  : AN_F_SERVER_UNREACHABLE;
				if (id == AN_F_SERVER_NO_EDNS)
					snprintf(buf, sizeof(buf), " (%s: no answer to queries with EDNS, an answer without)",
						 srv->name);
				add_finding(c, id, z->name, NULL, buf, NULL, a, 0);
				continue;
			}
			answered++; /* it answers; whether it serves the zone is judged below */
			if (lame)
				add_finding(c, lame_id, z->name, NULL, lame_why, NULL, a, 0);
			if (fail_notcp)
				add_finding(c, AN_F_SERVER_NO_TCP, z->name, NULL, "", NULL, a, 0);
			if (ok_trunc == ok)
				add_finding(c, AN_F_SERVER_NEEDS_TCP, z->name, NULL, "", NULL, a, 0);
			if (oversized)
				add_finding(c, AN_F_SERVER_UDP_TOO_LARGE, z->name, NULL, "", NULL, a, 0);
		}
	}
	if (z->ns_total > z->n_servers) {
		char buf[80];
		snprintf(buf, sizeof(buf), " (%u listed, the first %zu checked)", z->ns_total, z->n_servers);
		add_finding(c, AN_F_NS_SET_TRUNCATED, z->name, NULL, buf, NULL, NULL, 0);
	}
	if ((tested && !answered) || (!addrs && z->n_servers)) {
		s->unreachable = true;
		add_finding(c, AN_F_ZONE_UNREACHABLE, z->name, NULL,
			    addrs ? "" : " (none of its name servers has an address)", NULL, NULL, 0);
	}
}

/* DS lines (SHA-256) for the keys that sign the DNSKEY RRset, else the SEP keys. */
static char *expected_ds(const ldns_rr_list *keys, const ldns_rr_list *signers)
{
	const ldns_rr_list *src = (signers && ldns_rr_list_rr_count(signers)) ? signers : keys;
	char *out = strdup("");
	for (int pass = 0; pass < 2 && out && !out[0]; pass++)
		for (size_t i = 0; src && i < ldns_rr_list_rr_count(src); i++) {
			ldns_rr *k = ldns_rr_list_rr(src, i);
			if (ldns_rr_get_type(k) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(k) < 4 || !key_usable(k))
				continue;
			uint16_t flags = ldns_rdf2native_int16(ldns_rr_rdf(k, 0));
			if (pass == 0 && src == keys && !(flags & LDNS_KEY_SEP_KEY))
				continue;
			ldns_rr *ds = ldns_key_rr2ds(k, LDNS_SHA256);
			char *t = ds ? rr_text(ds) : NULL;
			ldns_rr_free(ds);
			if (t) {
				char *n = dd_asprintf("%s    %s\n", out, t);
				free(out);
				out = n;
			}
			free(t);
		}
	return out;
}

typedef enum ds_miss { DS_MISS_NOKEY, DS_MISS_DIGEST, DS_MISS_ALG } ds_miss_t;

/* Does DS `ds` match DNSKEY `key`? `miss` says how close a non-match came. */
static bool ds_matches(const ldns_rr *ds, const ldns_rr *key, ds_miss_t *miss)
{
	if (ldns_rr_rd_count(ds) < 4 || ldns_rr_rd_count(key) < 4)
		return false;
	uint16_t tag = ldns_rdf2native_int16(ldns_rr_rdf(ds, 0));
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rdf(ds, 1));
	uint8_t dt = ldns_rdf2native_int8(ldns_rr_rdf(ds, 2));
	if (ldns_calc_keytag(key) != tag)
		return false;
	uint8_t kalg = ldns_rdf2native_int8(ldns_rr_rdf(key, 2));
	ldns_rr *calc = ldns_key_rr2ds(key, (ldns_hash)dt);
	bool digest_eq = calc && ldns_rr_rd_count(calc) >= 4 &&
			 ldns_rdf_compare(ldns_rr_rdf(calc, 3), ldns_rr_rdf(ds, 3)) == 0;
	ldns_rr_free(calc);
	if (kalg != alg) {
		if (digest_eq && *miss < DS_MISS_ALG)
			*miss = DS_MISS_ALG;
		return false;
	}
	if (!digest_eq) {
		if (*miss < DS_MISS_DIGEST)
			*miss = DS_MISS_DIGEST;
		return false;
	}
	return true;
}

static void link_add_keys(an_link_t *l, const ldns_rr_list *keys)
{
	for (size_t i = 0; keys && i < ldns_rr_list_rr_count(keys); i++) {
		ldns_rr *k = ldns_rr_list_rr(keys, i);
		if (ldns_rr_rd_count(k) < 4)
			continue;
		uint16_t tag = ldns_calc_keytag(k);
		uint8_t alg = ldns_rdf2native_int8(ldns_rr_rdf(k, 2));
		uint16_t flags = ldns_rdf2native_int16(ldns_rr_rdf(k, 0));
		bool have = false;
		for (size_t j = 0; j < l->n_keys && !have; j++)
			have = l->keys[j].tag == tag && l->keys[j].algorithm == alg && l->keys[j].flags == flags;
		if (have)
			continue;
		an_key_t *n = realloc(l->keys, (l->n_keys + 1) * sizeof(*n));
		if (!n)
			return;
		l->keys = n;
		an_key_t *e = &l->keys[l->n_keys++];
		memset(e, 0, sizeof(*e));
		e->tag = tag;
		e->algorithm = alg;
		e->flags = flags;
		e->bits = (unsigned)ldns_rr_dnskey_key_size(k);
	}
}

static an_key_t *link_key(an_link_t *l, uint16_t tag, uint8_t alg)
{
	for (size_t j = 0; j < l->n_keys; j++)
		if (l->keys[j].tag == tag && l->keys[j].algorithm == alg)
			return &l->keys[j];
	return NULL;
}

/* ---- the DS link and the DNSKEY RRset of one zone ------------------------- */

typedef struct actx {
	ctx_t *c;
	an_link_t *links; /* one per evidence zone */
} actx_t;

/* Collect the DS set of zone `zi` from its parent's answers. */
static void collect_ds(ctx_t *c, an_link_t *link, size_t zi)
{
	zst_t *s = &c->zs[zi];
	zst_t *ps = &c->zs[s->parent];
	const char *pname = ps->z->name;
	unsigned with_ds = 0, without = 0;
	char *rrset = dd_asprintf("%s DS", s->z->name);
	ldns_rdf *owner = ldns_dname_new_frm_str(s->z->name);
	for (size_t i = 0; owner && i < c->ev->n_xs; i++) {
		const ev_exchange_t *x = &c->ev->xs[i];
		ldns_pkt *pkt = c->pkts[i];
		if (x->purpose != EV_P_DS || strcmp(x->zone, s->z->name) != 0 || !pkt ||
		    !is_zone_server(ps->z, x->server))
			continue;
		ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
		if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN)
			continue;
		ldns_rr_list *ds = section_rrs(pkt, owner, LDNS_RR_TYPE_DS, LDNS_SECTION_ANSWER);
		if (ds && ldns_rr_list_rr_count(ds)) {
			bool accept = true;
			if (!ps->insecure && ps->keys) {
				ldns_rr_list *sigs = sigs_over(pkt, owner, LDNS_RR_TYPE_DS, LDNS_SECTION_ANSWER);
				sigcheck_t sc;
				check_sigs(c, pname, ds, sigs, ps->keys, &sc);
				if (!sc.valid) {
					emit_sig_findings(c, pname, rrset, x->server, &sc, false, NULL);
					accept = !ps->keys_validated; /* judge the child anyway when the parent is broken */
				} else {
					note_expiry(c, pname, rrset, x->server, &sc);
				}
				ldns_rr_list_deep_free(sigs);
			}
			if (accept || !s->ds) {
				list_union(&s->ds, ds);
				with_ds++;
			}
		} else if (!ps->insecure && ps->keys) {
			if (check_denial(c, pname, ps->keys, pkt, s->z->name, LDNS_RR_TYPE_DS, x->server, rrset))
				without++;
		} else {
			without++;
		}
		ldns_rr_list_deep_free(ds);
	}
	if (with_ds && without)
		add_finding(c, AN_F_SERVERS_DIFFER, pname, rrset,
			    ": some of its servers publish a DS for the child, others prove there is none", NULL,
			    NULL, 0);
	for (size_t i = 0; s->ds && i < ldns_rr_list_rr_count(s->ds); i++) {
		ldns_rr *d = ldns_rr_list_rr(s->ds, i);
		if (ldns_rr_rd_count(d) < 4)
			continue;
		an_ds_t *n = realloc(link->ds, (link->n_ds + 1) * sizeof(*n));
		if (!n)
			break;
		link->ds = n;
		an_ds_t *e = &link->ds[link->n_ds++];
		memset(e, 0, sizeof(*e));
		e->tag = ldns_rdf2native_int16(ldns_rr_rdf(d, 0));
		e->algorithm = ldns_rdf2native_int8(ldns_rr_rdf(d, 1));
		e->digest_type = ldns_rdf2native_int8(ldns_rr_rdf(d, 2));
		e->text = rr_text(d);
	}
	if (!with_ds && without)
		s->insecure = true;
	ldns_rdf_deep_free(owner);
	free(rrset);
}

static void analyse_zone(actx_t *a, size_t zi)
{
	ctx_t *c = a->c;
	zst_t *s = &c->zs[zi];
	an_link_t *link = &a->links[zi];
	const ev_zone_t *z = s->z;
	s->analysed = true;
	link->zone = dd_strdup(z->name);
	link->parent = dd_strdup(z->parent);
	check_reachability(c, zi);

	/* Trust: an anchor here, or the parent's DS, or nothing. */
	ldns_rdf *apex = ldns_dname_new_frm_str(z->name);
	for (size_t i = 0; apex && c->anchors && i < ldns_rr_list_rr_count(c->anchors); i++) {
		ldns_rr *rr = ldns_rr_list_rr(c->anchors, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), apex) != 0)
			continue;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS) {
			ldns_rr_list *one = ldns_rr_list_new();
			if (one) {
				ldns_rr_list_push_rr(one, rr);
				list_union(&s->ds, one);
				ldns_rr_list_free(one);
			}
		} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY) {
			if (!s->anchor_keys)
				s->anchor_keys = ldns_rr_list_new();
			if (s->anchor_keys)
				ldns_rr_list_push_rr(s->anchor_keys, ldns_rr_clone(rr));
		}
		s->anchored = true;
	}
	if (!s->anchored) {
		if (s->parent < 0) {
			s->insecure = s->no_anchor = true;
			add_finding(c, AN_F_NO_TRUST_ANCHOR, z->name, NULL, "", NULL, NULL, 0);
		} else if (c->zs[s->parent].insecure) {
			s->insecure = true;
		} else {
			collect_ds(c, link, zi);
		}
	}

	/* The DNSKEY RRset at every server. */
	char *rrset = dd_asprintf("%s DNSKEY", z->name);
	ldns_rr_list *signers = ldns_rr_list_new();
	for (size_t i = 0; apex && i < c->ev->n_xs; i++) {
		const ev_exchange_t *x = &c->ev->xs[i];
		ldns_pkt *pkt = c->pkts[i];
		if (x->purpose != EV_P_DNSKEY || strcmp(x->zone, z->name) != 0 || !pkt)
			continue;
		if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR || !ldns_pkt_aa(pkt))
			continue; /* judged as lame by check_reachability */
		ldns_rr_list *keys = section_rrs(pkt, apex, LDNS_RR_TYPE_DNSKEY, LDNS_SECTION_ANSWER);
		ldns_rr_list *sigs = sigs_over(pkt, apex, LDNS_RR_TYPE_DNSKEY, LDNS_SECTION_ANSWER);
		link_add_keys(link, keys);
		list_union(&s->seen_keys, keys);
		/* Who signs the DNSKEY RRset (crypto only), for fixes. */
		for (size_t k = 0; keys && sigs && k < ldns_rr_list_rr_count(sigs); k++) {
			ldns_rr *sig = ldns_rr_list_rr(sigs, k);
			for (size_t j = 0; j < ldns_rr_list_rr_count(keys); j++) {
				ldns_rr *key = ldns_rr_list_rr(keys, j);
				ldns_rr_list *one = ldns_rr_list_new();
				if (!one)
					continue;
				ldns_rr_list_push_rr(one, key);
				if (ldns_verify_rrsig_keylist_notime(keys, sig, one, NULL) == LDNS_STATUS_OK) {
					ldns_rr_list *tmp = ldns_rr_list_new();
					if (tmp) {
						ldns_rr_list_push_rr(tmp, key);
						list_union(&signers, tmp);
						ldns_rr_list_free(tmp);
					}
				}
				ldns_rr_list_free(one);
			}
		}
		bool has_ds = (s->ds && ldns_rr_list_rr_count(s->ds)) || s->anchor_keys;
		if (s->insecure || !has_ds) {
			ldns_rr_list_deep_free(keys);
			ldns_rr_list_deep_free(sigs);
			continue;
		}
		s->tested++;
		if (!keys || !ldns_rr_list_rr_count(keys)) {
			char buf[120];
			uint16_t tag = s->ds ? ldns_rdf2native_int16(ldns_rr_rdf(ldns_rr_list_rr(s->ds, 0), 0)) : 0;
			snprintf(buf, sizeof(buf), " (the DS names key tag %u)", tag);
			add_finding(c, AN_F_DS_OVER_UNSIGNED_CHILD, z->name, NULL, buf, NULL, x->server, 0);
			ldns_rr_list_deep_free(keys);
			ldns_rr_list_deep_free(sigs);
			continue;
		}
		/* DS ↔ DNSKEY. */
		ldns_rr_list *matched = ldns_rr_list_new();
		ds_miss_t worst = DS_MISS_NOKEY;
		unsigned unmatched = 0;
		char unmatched_tags[160] = "";
		for (size_t d = 0; s->ds && matched && d < ldns_rr_list_rr_count(s->ds); d++) {
			ldns_rr *ds = ldns_rr_list_rr(s->ds, d);
			bool hit = false;
			for (size_t k = 0; k < ldns_rr_list_rr_count(keys); k++) {
				ldns_rr *key = ldns_rr_list_rr(keys, k);
				if (ds_matches(ds, key, &worst)) {
					hit = true;
					if (key_usable(key))
						ldns_rr_list_push_rr(matched, key);
					an_key_t *lk = link_key(link, ldns_calc_keytag(key),
								ldns_rdf2native_int8(ldns_rr_rdf(key, 2)));
					if (lk)
						lk->ds_match = true;
				}
			}
			for (size_t e = 0; e < link->n_ds; e++)
				if (link->ds[e].tag == ldns_rdf2native_int16(ldns_rr_rdf(ds, 0)) &&
				    link->ds[e].algorithm == ldns_rdf2native_int8(ldns_rr_rdf(ds, 1)) && hit)
					link->ds[e].matched = true;
			if (!hit) {
				unmatched++;
				size_t l = strlen(unmatched_tags);
				snprintf(unmatched_tags + l, sizeof(unmatched_tags) - l, "%s%u/%u", l ? ", " : "",
					 ldns_rdf2native_int16(ldns_rr_rdf(ds, 0)),
					 ldns_rdf2native_int8(ldns_rr_rdf(ds, 1)));
			}
		}
		for (size_t k = 0; s->anchor_keys && matched && k < ldns_rr_list_rr_count(s->anchor_keys); k++)
			for (size_t j = 0; j < ldns_rr_list_rr_count(keys); j++)
				if (ldns_rr_compare(ldns_rr_list_rr(s->anchor_keys, k), ldns_rr_list_rr(keys, j)) == 0)
					ldns_rr_list_push_rr(matched, ldns_rr_list_rr(keys, j));
		char *exp = expected_ds(keys, signers);
		if (!matched || !ldns_rr_list_rr_count(matched)) {
			char pub[160] = "";
			for (size_t k = 0; k < ldns_rr_list_rr_count(keys) && k < 12; k++) {
				size_t l = strlen(pub);
				ldns_rr *key = ldns_rr_list_rr(keys, k);
				snprintf(pub + l, sizeof(pub) - l, "%s%u/%u", l ? ", " : "", ldns_calc_keytag(key),
					 ldns_rdf2native_int8(ldns_rr_rdf(key, 2)));
			}
			char buf[400];
			snprintf(buf, sizeof(buf), " (DS key tag/algorithm %s; published keys %s)", unmatched_tags, pub);
			an_fid_t id = worst == DS_MISS_ALG      ? AN_F_DS_ALGORITHM_MISMATCH
				      : worst == DS_MISS_DIGEST ? AN_F_DS_DIGEST_MISMATCH
								: AN_F_DS_NO_MATCHING_DNSKEY;
			if (s->anchored && !z->parent)
				add_finding(c, AN_F_DS_NO_MATCHING_DNSKEY, z->name, NULL,
					    " (the trust anchor matches no key of this zone)", exp, x->server, 0);
			else
				add_finding(c, id, z->name, NULL, buf, exp, x->server, 0);
		} else {
			if (unmatched && !s->anchored) {
				char buf[200];
				snprintf(buf, sizeof(buf), " (DS without a key: %s)", unmatched_tags);
				add_finding(c, AN_F_DS_ROLLOVER_IN_PROGRESS, z->name, NULL, buf, NULL, x->server, 0);
			}
			sigcheck_t sc;
			check_sigs(c, z->name, keys, sigs, matched, &sc);
			if (sc.valid) {
				s->ok++;
				list_union(&s->keys, keys);
				s->keys_validated = true;
				an_key_t *lk = link_key(link, sc.valid_tag, 0);
				for (size_t k = 0; k < link->n_keys; k++)
					if (link->keys[k].tag == sc.valid_tag)
						lk = &link->keys[k];
				if (lk)
					lk->signs_dnskey = true;
				note_expiry(c, z->name, rrset, x->server, &sc);
			} else {
				emit_sig_findings(c, z->name, rrset, x->server, &sc, true, exp);
				if (sc.crypto_unavail)
					s->indeterminate = true;
			}
		}
		free(exp);
		ldns_rr_list_free(matched);
		ldns_rr_list_deep_free(keys);
		ldns_rr_list_deep_free(sigs);
	}
	link->ds_expected = expected_ds(s->seen_keys, signers);
	ldns_rr_list_deep_free(signers);
	if (!s->keys_validated)
		list_union(&s->keys, s->seen_keys); /* unvalidated: only to report more facts below */

	if (s->insecure && !s->no_anchor && z->parent) {
		bool signed_zone = s->seen_keys && ldns_rr_list_rr_count(s->seen_keys);
		if (signed_zone && !c->zs[s->parent].insecure)
			add_finding(c, AN_F_SIGNED_ISLAND, z->name, NULL, "", link->ds_expected, NULL, 0);
		else if (!c->zs[s->parent].insecure)
			add_finding(c, AN_F_INSECURE_DELEGATION, z->name, NULL, "", NULL, NULL, 0);
	}
	link->servers_total = s->tested;
	link->servers_ok = s->ok;
	free(rrset);
	ldns_rdf_deep_free(apex);
}

/* ---- the answer ---------------------------------------------------------- */

static void analyse_answer(actx_t *a, const ev_target_t *t, bool final)
{
	ctx_t *c = a->c;
	long zi = zone_index(c, t->zone);
	if (zi < 0)
		return;
	zst_t *s = &c->zs[zi];
	ldns_rdf *owner = ldns_dname_new_frm_str(t->name);
	if (!owner)
		return;
	char *tname = type_text(c->ev->qtype);
	unsigned nx = 0, noerr = 0;
	for (size_t i = 0; i < c->ev->n_xs; i++) {
		const ev_exchange_t *x = &c->ev->xs[i];
		ldns_pkt *pkt = c->pkts[i];
		if (x->purpose != EV_P_ANSWER || strcmp(x->qname, t->name) != 0 || strcmp(x->zone, t->zone) != 0 || !pkt)
			continue;
		ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
		if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
			char *rcs = ldns_pkt_rcode2str(rc);
			char buf[200];
			snprintf(buf, sizeof(buf), ": it answered %s for %s %s", rcs ? rcs : "?", t->name, tname ? tname : "?");
			add_finding(c, rcode_finding(rc, x), t->zone, NULL, buf, NULL, x->server, 0);
			free(rcs);
			continue;
		}
		rc == LDNS_RCODE_NXDOMAIN ? nx++ : noerr++;
		ldns_rr_list *rrs = section_rrs(pkt, owner, (ldns_rr_type)c->ev->qtype, LDNS_SECTION_ANSWER);
		ldns_rr_type got = (ldns_rr_type)c->ev->qtype;
		if ((!rrs || !ldns_rr_list_rr_count(rrs)) && c->ev->qtype != LDNS_RR_TYPE_CNAME) {
			ldns_rr_list_deep_free(rrs);
			rrs = section_rrs(pkt, owner, LDNS_RR_TYPE_CNAME, LDNS_SECTION_ANSWER);
			got = LDNS_RR_TYPE_CNAME;
		}
		if (final && rrs && ldns_rr_list_rr_count(rrs) && !c->r->n_answer) {
			for (size_t k = 0; k < ldns_rr_list_rr_count(rrs); k++) {
				char **n = realloc(c->r->answer, (c->r->n_answer + 1) * sizeof(char *));
				if (!n)
					break;
				c->r->answer = n;
				n[c->r->n_answer++] = rr_text(ldns_rr_list_rr(rrs, k));
			}
		}
		/* An unsigned zone below a DS is already judged at the DS link. */
		bool unsigned_zone = !s->keys || !ldns_rr_list_rr_count(s->keys);
		if (!s->insecure && !unsigned_zone) {
			char *gt = type_text(got);
			char *rrset = dd_asprintf("%s %s", t->name, gt ? gt : "?");
			if (rrs && ldns_rr_list_rr_count(rrs)) {
				ldns_rr_list *sigs = sigs_over(pkt, owner, got, LDNS_SECTION_ANSWER);
				sigcheck_t sc;
				check_sigs(c, t->zone, rrs, sigs, s->keys, &sc);
				if (sc.valid)
					note_expiry(c, t->zone, rrset, x->server, &sc);
				else {
					emit_sig_findings(c, t->zone, rrset, x->server, &sc, false, NULL);
					if (sc.crypto_unavail)
						s->indeterminate = true;
				}
				ldns_rr_list_deep_free(sigs);
			} else {
				free(rrset);
				rrset = dd_asprintf("%s %s", t->name, tname ? tname : "?");
				check_denial(c, t->zone, s->keys, pkt, t->name, c->ev->qtype, x->server, rrset);
			}
			free(rrset);
			free(gt);
		}
		ldns_rr_list_deep_free(rrs);
	}
	if (final) {
		free(c->r->answer_rcode);
		c->r->answer_rcode = (nx || noerr) ? strdup(nx > noerr ? "NXDOMAIN" : "NOERROR") : NULL;
	}
	free(tname);
	ldns_rdf_deep_free(owner);
}

/* ---- verdict --------------------------------------------------------------- */

static bool zone_only_unreachable(const ctx_t *c, const char *zone)
{
	for (size_t i = 0; i < c->r->n_findings; i++) {
		const an_finding_t *f = &c->r->findings[i];
		if (strcmp(f->zone, zone) == 0 && an_finding_def(f->id)->severity == AN_ERROR &&
		    f->id != AN_F_ZONE_UNREACHABLE)
			return false;
	}
	return true;
}

static void push_ede(an_result_t *r, int code)
{
	if (code < 0)
		return;
	for (size_t i = 0; i < r->n_ede; i++)
		if (r->ede[i] == code)
			return;
	if (r->n_ede < DD_ARRAY_LEN(r->ede))
		r->ede[r->n_ede++] = code;
}

/* EDE codes of a zone's error findings: specific ones first, 6 last. */
static void zone_ede(an_result_t *r, const char *zone)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->n_findings; i++) {
			const an_finding_t *f = &r->findings[i];
			const an_finding_def_t *d = an_finding_def(f->id);
			if (strcmp(f->zone, zone) != 0 || d->severity != AN_ERROR)
				continue;
			if ((pass == 0) == (d->ede != 6))
				push_ede(r, d->ede);
		}
}

/* Zones from the top to `zi` (indexes), root first. Returns the count. */
static size_t path_to(const ctx_t *c, long zi, long *out, size_t max)
{
	size_t n = 0;
	long tmp[AN_MAX_PATH];
	while (zi >= 0 && n < AN_MAX_PATH) {
		tmp[n++] = zi;
		zi = c->zs[zi].parent;
	}
	size_t m = 0;
	while (n && m < max)
		out[m++] = tmp[--n];
	return m;
}

typedef struct tverdict {
	an_status_t status;
	long broken; /* zone index or -1 */
} tverdict_t;

static tverdict_t target_verdict(const ctx_t *c, long zi)
{
	tverdict_t v = {AN_SECURE, -1};
	long path[AN_MAX_PATH];
	size_t n = path_to(c, zi, path, AN_MAX_PATH);
	bool insecure = false;
	for (size_t i = 0; i < n; i++) {
		const zst_t *s = &c->zs[path[i]];
		if (s->insecure)
			insecure = true;
		if (s->unreachable && zone_only_unreachable(c, s->z->name)) {
			v.status = AN_UNREACHABLE;
			v.broken = path[i];
			return v;
		}
		if (!insecure && s->has_errors) {
			v.status = AN_BOGUS;
			v.broken = path[i];
			return v;
		}
		if (!insecure && s->indeterminate) {
			v.status = AN_INDETERMINATE;
			return v;
		}
	}
	if (insecure)
		v.status = AN_INSECURE;
	return v;
}

static void finish(actx_t *a)
{
	ctx_t *c = a->c;
	an_result_t *r = c->r;
	const evidence_t *ev = c->ev;
	/* Verdict over the targets, in order: the first break wins. */
	tverdict_t best = {AN_SECURE, -1};
	bool any_insecure = false, any_indet = false;
	for (size_t i = 0; i < ev->n_targets; i++) {
		tverdict_t v = target_verdict(c, zone_index(c, ev->targets[i].zone));
		if ((v.status == AN_BOGUS || v.status == AN_UNREACHABLE) && best.broken < 0)
			best = v;
		any_insecure |= v.status == AN_INSECURE;
		any_indet |= v.status == AN_INDETERMINATE;
	}
	if (best.broken >= 0) {
		r->status = best.status;
		r->broken_zone = dd_strdup(c->zs[best.broken].z->name);
		/* Codes of the topmost break first, then of breaks below it on the same path. */
		zone_ede(r, r->broken_zone);
		for (size_t i = 0; i < ev->n_targets; i++) {
			long path[AN_MAX_PATH];
			size_t n = path_to(c, zone_index(c, ev->targets[i].zone), path, AN_MAX_PATH);
			for (size_t k = 0; k < n; k++)
				zone_ede(r, c->zs[path[k]].z->name);
		}
		if (best.status == AN_UNREACHABLE) {
			r->n_ede = 0;
			push_ede(r, 22);
		}
	} else if (any_indet || !ev->n_targets || (ev->probe_err && !r->answer_rcode)) {
		r->status = AN_INDETERMINATE;
		if (any_indet)
			push_ede(r, 5);
	} else if (any_insecure) {
		r->status = AN_INSECURE;
	} else {
		r->status = AN_SECURE;
	}
	if (ev->probe_err) {
		char buf[200];
		snprintf(buf, sizeof(buf), " (%s)", ev->probe_why ? ev->probe_why : dd_strerror(ev->probe_err));
		add_finding(c, AN_F_CHECK_INCOMPLETE, ev->qname, NULL, buf, NULL, NULL, 0);
	}
	if (ev->cname_stop && ev->n_targets) {
		const ev_target_t *last = &ev->targets[ev->n_targets - 1];
		char *tt = type_text(ev->qtype);
		char *rrset = dd_asprintf("%s %s", ev->qname, tt ? tt : "?");
		char buf[1200];
		bool loop = strcmp(ev->cname_stop, "loop") == 0;
		snprintf(buf, sizeof(buf), " (%zu names, the last %s)", ev->n_targets, last->name);
		add_finding(c, loop ? AN_F_CNAME_LOOP : AN_F_CNAME_CHAIN_TOO_LONG, last->zone, rrset, buf, NULL, NULL, 0);
		free(rrset);
		free(tt);
	}
	/* Insecure verdicts carry the algorithm/digest codes when that is why. */
	r->earliest_expiry = c->earliest;

	/* The chain: zones on the targets' paths, root first, each once. */
	bool *used = calloc(ev->n_zones ? ev->n_zones : 1, sizeof(bool));
	r->chain = calloc(ev->n_zones ? ev->n_zones : 1, sizeof(an_link_t));
	for (size_t i = 0; used && r->chain && i < ev->n_targets; i++) {
		long path[AN_MAX_PATH];
		size_t n = path_to(c, zone_index(c, ev->targets[i].zone), path, AN_MAX_PATH);
		for (size_t k = 0; k < n; k++) {
			long zi = path[k];
			if (used[zi])
				continue;
			used[zi] = true;
			an_link_t *l = &a->links[zi];
			const zst_t *s = &c->zs[zi];
			l->anchored = s->anchored;
			l->status = s->unreachable && zone_only_unreachable(c, s->z->name) ? AN_UNREACHABLE
				    : s->has_errors					    ? AN_BOGUS
				    : s->insecure					    ? AN_INSECURE
				    : s->indeterminate					    ? AN_INDETERMINATE
											    : AN_SECURE;
			r->chain[r->n_chain++] = *l;
			memset(l, 0, sizeof(*l));
		}
	}
	free(used);

	/* Expand the templates. */
	for (size_t i = 0; i < r->n_findings; i++) {
		an_finding_t *f = &r->findings[i];
		const an_finding_def_t *d = an_finding_def(f->id);
		long zi = zone_index(c, f->zone);
		const char *parent = zi >= 0 ? c->zs[zi].z->parent : NULL;
		f->summary = expand(d->summary, f, parent);
		f->fix = expand(d->fix, f, parent);
		if (zi >= 0)
			for (size_t k = 0; k < c->zs[zi].z->n_servers; k++)
				f->n_zone_servers += c->zs[zi].z->servers[k].n_addrs;
		/* A failure at some servers only: say so, it is what makes it intermittent. */
		if (d->severity == AN_ERROR && f->n_servers && f->n_servers < f->n_zone_servers && f->summary) {
			char *n = dd_asprintf("%s Seen at %zu of the zone's %zu server addresses: resolvers that ask the others succeed, so failures come and go.",
					    f->summary, f->n_servers, f->n_zone_servers);
			free(f->summary);
			f->summary = n;
		}
	}
}

static void link_clear(an_link_t *l)
{
	free(l->zone);
	free(l->parent);
	for (size_t i = 0; i < l->n_ds; i++)
		free(l->ds[i].text);
	free(l->ds);
	free(l->keys);
	free(l->ds_expected);
}

static int cmp_findings(const void *pa, const void *pb)
{
	const an_finding_t *a = pa, *b = pb;
	an_severity_t sa = an_finding_def(a->id)->severity, sb = an_finding_def(b->id)->severity;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	/* Stable, deterministic order: table order, then zone, then RRset. */
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	int z = strcmp(a->zone ? a->zone : "", b->zone ? b->zone : "");
	if (z)
		return z;
	z = strcmp(a->rrset ? a->rrset : "", b->rrset ? b->rrset : "");
	return z ? z : strcmp(a->detail ? a->detail : "", b->detail ? b->detail : "");
}

int an_analyse(const evidence_t *ev, int64_t now, const an_policy_t *policy, const ldns_rr_list *anchors,
	       an_result_t **out)
{
	*out = NULL;
	ctx_t c = {.ev = ev, .now = now};
	c.pol.warn_days = policy ? policy->warn_days : 7;
	an_result_t *r = calloc(1, sizeof(*r));
	actx_t a = {.c = &c};
	c.r = r;
	c.zs = calloc(ev->n_zones ? ev->n_zones : 1, sizeof(zst_t));
	c.pkts = calloc(ev->n_xs ? ev->n_xs : 1, sizeof(ldns_pkt *));
	a.links = calloc(ev->n_zones ? ev->n_zones : 1, sizeof(an_link_t));
	if (!r || !c.zs || !c.pkts || !a.links) {
		free(r);
		free(c.zs);
		free(c.pkts);
		free(a.links);
		return DD_ENOMEM;
	}
	r->qname = dd_strdup(ev->qname);
	r->qtype = ev->qtype;
	r->probed_at = ev->probed_at;
	r->validated_at = now;
	if (anchors) {
		c.anchors = ldns_rr_list_clone(anchors);
	} else {
		c.anchors = ldns_rr_list_new();
		for (size_t i = 0; c.anchors && i < ev->n_anchors; i++) {
			ldns_rr *rr = NULL;
			if (ldns_rr_new_frm_str(&rr, ev->anchors[i], 0, NULL, NULL) == LDNS_STATUS_OK && rr)
				ldns_rr_list_push_rr(c.anchors, rr);
		}
	}
	for (size_t i = 0; i < ev->n_zones; i++) {
		c.zs[i].z = &ev->zones[i];
		c.zs[i].parent = zone_index(&c, ev->zones[i].parent);
		/* A parent must come first (evidence is in walk order); else ignore the link. */
		if (c.zs[i].parent >= (long)i)
			c.zs[i].parent = -1;
	}
	parse_all(&c);
	for (size_t i = 0; i < ev->n_zones; i++)
		analyse_zone(&a, i);
	for (size_t i = 0; i < ev->n_targets; i++)
		analyse_answer(&a, &ev->targets[i], i + 1 == ev->n_targets);
	finish(&a);
	if (r->n_findings)
		qsort(r->findings, r->n_findings, sizeof(an_finding_t), cmp_findings);
	if (an_resolvers(ev, r))
		c.oom = true;

	for (size_t i = 0; i < ev->n_zones; i++) {
		ldns_rr_list_deep_free(c.zs[i].ds);
		ldns_rr_list_deep_free(c.zs[i].anchor_keys);
		ldns_rr_list_deep_free(c.zs[i].keys);
		ldns_rr_list_deep_free(c.zs[i].seen_keys);
		link_clear(&a.links[i]);
	}
	for (size_t i = 0; i < ev->n_xs; i++)
		ldns_pkt_free(c.pkts[i]);
	free(c.pkts);
	free(c.zs);
	free(a.links);
	ldns_rr_list_deep_free(c.anchors);
	if (c.oom) {
		an_result_free(r);
		return DD_ENOMEM;
	}
	*out = r;
	return 0;
}

void an_result_free(an_result_t *r)
{
	if (!r)
		return;
	free(r->qname);
	free(r->broken_zone);
	for (size_t i = 0; i < r->n_findings; i++) {
		an_finding_t *f = &r->findings[i];
		free(f->zone);
		free(f->rrset);
		free(f->detail);
		free(f->data);
		for (size_t k = 0; k < f->n_servers; k++)
			free(f->servers[k]);
		free(f->servers);
		free(f->summary);
		free(f->fix);
	}
	free(r->findings);
	for (size_t i = 0; i < r->n_chain; i++)
		link_clear(&r->chain[i]);
	free(r->chain);
	free(r->answer_rcode);
	for (size_t i = 0; i < r->n_answer; i++)
		free(r->answer[i]);
	free(r->answer);
	an_resolvers_free(r);
	free(r);
}

int an_exit_code(const an_result_t *r)
{
	if (r->status == AN_BOGUS || r->status == AN_UNREACHABLE)
		return 2;
	if (r->status == AN_INDETERMINATE)
		return 3;
	for (size_t i = 0; i < r->n_findings; i++)
		if (an_finding_def(r->findings[i].id)->severity >= AN_WARNING)
			return 1;
	return 0;
}
