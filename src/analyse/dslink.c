/* the DS link: DS against DNSKEY, the parent's DS set, the DS to propose, the what-if DS */
#include "analyse/an_int.h"

/* The DS lines to propose: only for key-signing keys (SEP flag, zone key, not
 * revoked) that sign the DNSKEY RRset (`signers`; or, when no signer is known,
 * the published ones). A DS on a ZSK breaks at its next routine roll. "" when
 * there is none to propose: the fix then says to sign with a KSK first. */
char *an_expected_ds(const ldns_rr_list *keys, const ldns_rr_list *signers)
{
	const ldns_rr_list *src = (signers && ldns_rr_list_rr_count(signers)) ? signers : keys;
	char *out = strdup("");
	for (size_t i = 0; out && src && i < ldns_rr_list_rr_count(src); i++) {
		ldns_rr *k = ldns_rr_list_rr(src, i);
		if (ldns_rr_get_type(k) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(k) < 4 ||
		    !an_key_usable(k))
			continue;
		if (!(ldns_rdf2native_int16(ldns_rr_rdf(k, 0)) & LDNS_KEY_SEP_KEY))
			continue;
		ldns_rr *ds = ldns_key_rr2ds(k, LDNS_SHA256);
		char *t = ds ? an_rr_text(ds) : NULL;
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

/* Does DS `ds` match DNSKEY `key`? `miss` says how close a non-match came. */
bool an_ds_matches(const ldns_rr *ds, const ldns_rr *key, ds_miss_t *miss)
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

void an_link_add_keys(an_link_t *l, const ldns_rr_list *keys)
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
			have = l->keys[j].tag == tag && l->keys[j].algorithm == alg &&
			       l->keys[j].flags == flags;
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
		e->bits = (unsigned)an_key_bits(k);
	}
}

an_key_t *an_link_key(an_link_t *l, uint16_t tag, uint8_t alg)
{
	for (size_t j = 0; j < l->n_keys; j++)
		if (l->keys[j].tag == tag && l->keys[j].algorithm == alg)
			return &l->keys[j];
	return NULL;
}

static void link_add_ds(an_link_t *link, const ldns_rr *d)
{
	if (ldns_rr_rd_count(d) < 4)
		return;
	an_ds_t *n = realloc(link->ds, (link->n_ds + 1) * sizeof(*n));
	if (!n)
		return;
	link->ds = n;
	an_ds_t *e = &link->ds[link->n_ds++];
	memset(e, 0, sizeof(*e));
	e->tag = ldns_rdf2native_int16(ldns_rr_rdf(d, 0));
	e->algorithm = ldns_rdf2native_int8(ldns_rr_rdf(d, 1));
	e->digest_type = ldns_rdf2native_int8(ldns_rr_rdf(d, 2));
	e->text = dd_ds_text(d);
	if (!e->text)
		e->text = an_rr_text(d);
}

/* Was the DS of `zone` asked at this address (then that answer counts, not the referral)? */
static bool asked_ds_at(const ctx_t *c, const char *zone, const char *addr)
{
	for (size_t k = 0; k < c->ev->n_xs; k++) {
		const ev_exchange_t *x = &c->ev->xs[k];
		if (x->purpose == EV_P_DS && strcmp(x->zone, zone) == 0 &&
		    strcmp(x->server, addr) == 0)
			return true;
	}
	return false;
}

/* Collect the DS set of zone `zi` from its parent's answers. */
void an_collect_ds(ctx_t *c, an_link_t *link, size_t zi)
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
		/* The DS answer of each parent server; else its referral, when the
		 * referral carries the DS RRset or the proof that there is none. */
		ldns_pkt_section sec = LDNS_SECTION_ANSWER;
		if (x->purpose == EV_P_NS && pkt && dd_referral_has_ds(pkt, owner) &&
		    !asked_ds_at(c, s->z->name, x->server))
			sec = LDNS_SECTION_AUTHORITY;
		else if (x->purpose != EV_P_DS)
			continue;
		if (strcmp(x->zone, s->z->name) != 0 || !pkt ||
		    !an_is_zone_server(ps->z, x->server))
			continue;
		ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
		if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN)
			continue;
		ldns_rr_list *ds = an_section_rrs(pkt, owner, LDNS_RR_TYPE_DS, sec);
		if (ds && ldns_rr_list_rr_count(ds)) {
			bool accept = true;
			if (!ps->insecure && ps->keys) {
				ldns_rr_list *sigs = an_sigs_over(pkt, owner, LDNS_RR_TYPE_DS, sec);
				sigcheck_t sc;
				an_check_sigs(c, pname, ds, sigs, ps->keys, &sc);
				if (!sc.valid) {
					an_emit_sig_findings(c, pname, rrset, x->server, &sc, false,
							     NULL);
					accept = !ps->keys_validated; /* judge the child anyway when
									 the parent is broken */
				} else {
					an_note_expiry(c, pname, rrset, x->server, &sc);
				}
				ldns_rr_list_free(sigs);
			}
			if (accept || !s->ds) {
				an_list_union(&s->ds, ds);
				with_ds++;
			}
		} else if (!ps->insecure && ps->keys) {
			int d = an_check_denial(c, pname, ps->keys, pkt, s->z->name,
						LDNS_RR_TYPE_DS, x->server, rrset);
			if (d != DENIAL_BOGUS)
				without++;
			if (d == DENIAL_INSECURE)
				s->insecure_ede = 27;
		} else {
			without++;
		}
		ldns_rr_list_free(ds);
	}
	if (with_ds && without)
		an_add_finding(
		    c, AN_F_SERVERS_DIFFER, pname, rrset,
		    ": some of its servers publish a DS for the child, others prove there is none",
		    NULL, NULL, 0);
	for (size_t i = 0; s->ds && i < ldns_rr_list_rr_count(s->ds); i++)
		link_add_ds(link, ldns_rr_list_rr(s->ds, i));
	if (!with_ds && without)
		s->insecure = true;
	an_ds_policy(s);
	ldns_rdf_deep_free(owner);
	free(rrset);
}

/* --ds: the DS records given for this zone replace what the parent serves. */
bool an_whatif_ds(ctx_t *c, an_link_t *link, size_t zi)
{
	zst_t *s = &c->zs[zi];
	ldns_rdf *apex = ldns_dname_new_frm_str(s->z->name);
	bool any = false;
	for (size_t i = 0; apex && c->pol.ds_whatif && i < ldns_rr_list_rr_count(c->pol.ds_whatif);
	     i++) {
		ldns_rr *d = ldns_rr_list_rr(c->pol.ds_whatif, i);
		if (ldns_rr_get_type(d) != LDNS_RR_TYPE_DS ||
		    ldns_dname_compare(ldns_rr_owner(d), apex) != 0)
			continue;
		if (!s->ds)
			s->ds = ldns_rr_list_new();
		if (s->ds)
			ldns_rr_list_push_rr(s->ds, ldns_rr_clone(d));
		link_add_ds(link, d);
		any = true;
	}
	ldns_rdf_deep_free(apex);
	if (any && !c->r->whatif_zone)
		c->r->whatif_zone = dd_strdup(s->z->name);
	return any;
}

/* The DS records the zone's keys call for (made when a finding needs them). */
const char *an_link_expected_ds(an_link_t *link, const zst_t *s, const ldns_rr_list *signers)
{
	if (!link->ds_expected)
		link->ds_expected = an_expected_ds(s->seen_keys, signers);
	return link->ds_expected;
}
