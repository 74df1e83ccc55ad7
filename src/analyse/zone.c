/* zone.c — one zone: its trust (anchor or DS), its DNSKEY RRset at every server, its keys and
 * policy. */
#include "analyse/an_int.h"

/* Trust for zone `zi`: an anchor here, or the parent's DS, or nothing. */
static void zone_trust(actx_t *a, size_t zi, const ldns_rdf *apex)
{
	ctx_t *c = a->c;
	zst_t *s = &c->zs[zi];
	an_link_t *link = &a->links[zi];
	const ev_zone_t *z = s->z;
	for (size_t i = 0; apex && c->anchors && i < ldns_rr_list_rr_count(c->anchors); i++) {
		ldns_rr *rr = ldns_rr_list_rr(c->anchors, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), apex) != 0)
			continue;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS) {
			ldns_rr_list *one = ldns_rr_list_new();
			if (one) {
				ldns_rr_list_push_rr(one, rr);
				an_list_union(&s->ds, one);
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
			an_add_finding(c, AN_F_NO_TRUST_ANCHOR, z->name, NULL, "", NULL, NULL, 0);
		} else if (c->zs[s->parent].insecure) {
			s->insecure = true;
		} else if (an_whatif_ds(c, link, zi)) {
			an_ds_policy(s);
		} else {
			an_collect_ds(c, link, zi);
		}
	}
}

/* Add to `signers` the keys of `keys` whose RRSIG over the DNSKEY RRset verifies
 * (crypto only, whatever the DS says): for fixes and for the keys' report. */
static void zone_signers(ctx_t *c, ldns_rr_list *keys, const ldns_rr_list *sigs,
			 ldns_rr_list **signers)
{
	for (size_t k = 0; keys && sigs && k < ldns_rr_list_rr_count(sigs); k++) {
		ldns_rr *sig = ldns_rr_list_rr(sigs, k);
		for (size_t j = 0; j < ldns_rr_list_rr_count(keys); j++) {
			ldns_rr *key = ldns_rr_list_rr(keys, j);
			/* Only a key with the RRSIG's tag and algorithm can have made it. */
			if (ldns_rr_rd_count(sig) < 9 || ldns_rr_rd_count(key) < 4 ||
			    ldns_calc_keytag(key) !=
				ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig)) ||
			    ldns_rdf2native_int8(ldns_rr_rdf(key, 2)) !=
				ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig)))
				continue;
			ldns_rr_list *one = ldns_rr_list_new();
			if (!one)
				continue;
			ldns_rr_list_push_rr(one, key);
			if (an_work_validations(c, 1) &&
			    an_verify(c->pol.vcache, keys, sig, one) == LDNS_STATUS_OK) {
				ldns_rr_list *tmp = ldns_rr_list_new();
				if (tmp) {
					ldns_rr_list_push_rr(tmp, key);
					an_list_union(signers, tmp);
					ldns_rr_list_free(tmp);
				}
			}
			ldns_rr_list_free(one);
		}
	}
}

/* What the DS set says about the keys one server returned. */
typedef struct ds_keys {
	ds_miss_t worst;	  /* how close a non-matching DS came */
	unsigned unmatched;	  /* DS records that match no key */
	unsigned revoked;	  /* DS-matched keys with the REVOKE bit */
	unsigned nonzone;	  /* DS-matched keys without the Zone Key flag */
	char unmatched_tags[160]; /* "tag/alg, ..." of the DS records that match no key */
	char nonzone_tags[80]; /* "tag/alg, ..." of the DS-matched keys without the Zone Key flag */
} ds_keys_t;

/* Append "tag/alg" to a comma-separated list in `buf`. */
static void append_key(char *buf, size_t size, unsigned tag, unsigned alg)
{
	size_t l = strlen(buf);
	snprintf(buf + l, size - l, "%s%u/%u", l ? ", " : "", tag, alg);
}

/* DS against the DNSKEYs one server returned: the keys that a DS (or an anchor)
 * names and that may verify go to `matched`. */
static void zone_ds_keys(const zst_t *s, an_link_t *link, const ldns_rr_list *keys,
			 ldns_rr_list *matched, ds_keys_t *dk)
{
	ds_miss_t worst = DS_MISS_NOKEY;
	unsigned unmatched = 0;
	for (size_t d = 0; s->ds && matched && d < ldns_rr_list_rr_count(s->ds); d++) {
		ldns_rr *ds = ldns_rr_list_rr(s->ds, d);
		bool hit = false;
		for (size_t k = 0; k < ldns_rr_list_rr_count(keys); k++) {
			ldns_rr *key = ldns_rr_list_rr(keys, k);
			if (an_ds_matches(ds, key, &worst)) {
				uint16_t tag = ldns_calc_keytag(key);
				uint8_t alg = ldns_rdf2native_int8(ldns_rr_rdf(key, 2));
				hit = true;
				if (an_key_validates(key)) {
					ldns_rr_list_push_rr(matched, key);
					dk->revoked += !an_key_usable(key);
				} else {
					dk->nonzone++;
					append_key(dk->nonzone_tags, sizeof(dk->nonzone_tags), tag,
						   alg);
				}
				an_key_t *lk = an_link_key(link, tag, alg);
				if (lk)
					lk->ds_match = true;
			}
		}
		for (size_t e = 0; e < link->n_ds; e++)
			if (link->ds[e].tag == ldns_rdf2native_int16(ldns_rr_rdf(ds, 0)) &&
			    link->ds[e].algorithm == ldns_rdf2native_int8(ldns_rr_rdf(ds, 1)) &&
			    hit)
				link->ds[e].matched = true;
		if (!hit) {
			unmatched++;
			append_key(dk->unmatched_tags, sizeof(dk->unmatched_tags),
				   ldns_rdf2native_int16(ldns_rr_rdf(ds, 0)),
				   ldns_rdf2native_int8(ldns_rr_rdf(ds, 1)));
		}
	}
	for (size_t k = 0; s->anchor_keys && matched && k < ldns_rr_list_rr_count(s->anchor_keys);
	     k++)
		for (size_t j = 0; j < ldns_rr_list_rr_count(keys); j++)
			if (an_rr_same(ldns_rr_list_rr(s->anchor_keys, k),
				       ldns_rr_list_rr(keys, j)))
				ldns_rr_list_push_rr(matched, ldns_rr_list_rr(keys, j));
	dk->worst = worst;
	dk->unmatched = unmatched;
}

/* Judge the DNSKEY RRset one server returned (`x`), against the DS link. */
static void zone_dnskey_at(actx_t *a, size_t zi, const ev_exchange_t *x, ldns_rr_list *keys,
			   ldns_rr_list *sigs, const ldns_rr_list *signers, const char *rrset)
{
	ctx_t *c = a->c;
	zst_t *s = &c->zs[zi];
	an_link_t *link = &a->links[zi];
	const ev_zone_t *z = s->z;
	ldns_rr_list *matched = ldns_rr_list_new();
	ds_keys_t dk = {0};
	zone_ds_keys(s, link, keys, matched, &dk);
	ds_miss_t worst = dk.worst;
	unsigned unmatched = dk.unmatched;
	const char *unmatched_tags = dk.unmatched_tags;
	char *exp = NULL; /* the DS to propose, computed only when a finding needs it */
	if (!matched || !ldns_rr_list_rr_count(matched)) {
		exp = an_expected_ds(keys, signers);
		char pub[160] = "";
		for (size_t k = 0; k < ldns_rr_list_rr_count(keys) && k < 12; k++) {
			size_t l = strlen(pub);
			ldns_rr *key = ldns_rr_list_rr(keys, k);
			snprintf(pub + l, sizeof(pub) - l, "%s%u/%u", l ? ", " : "",
				 ldns_calc_keytag(key), ldns_rdf2native_int8(ldns_rr_rdf(key, 2)));
		}
		char buf[400];
		snprintf(buf, sizeof(buf), " (DS key tag/algorithm %s; published keys %s)",
			 unmatched_tags, pub);
		an_fid_t id = worst == DS_MISS_ALG	? AN_F_DS_ALGORITHM_MISMATCH
			      : worst == DS_MISS_DIGEST ? AN_F_DS_DIGEST_MISMATCH
							: AN_F_DS_NO_MATCHING_DNSKEY;
		if (s->anchored && !z->parent) {
			an_add_finding(c, AN_F_DS_NO_MATCHING_DNSKEY, z->name, NULL,
				       " (the trust anchor matches no key of this zone)", exp,
				       x->server, 0);
		} else if (dk.nonzone) {
			/* A DS does match, but only keys that validators must not use. */
			snprintf(buf, sizeof(buf), " (key tag/algorithm %s)", dk.nonzone_tags);
			an_add_finding(c, AN_F_DS_KEY_NOT_ZONE_KEY, z->name, NULL, buf, exp,
				       x->server, 0);
		} else {
			an_add_finding(c, id, z->name, NULL, buf, exp, x->server, 0);
		}
	} else {
		if (unmatched && !s->anchored) {
			char buf[200];
			snprintf(buf, sizeof(buf), " (DS without a key: %s)", unmatched_tags);
			an_add_finding(c, AN_F_DS_ROLLOVER_IN_PROGRESS, z->name, NULL, buf, NULL,
				       x->server, 0);
		}
		if (dk.revoked && dk.revoked == ldns_rr_list_rr_count(matched) && !s->anchored) {
			char buf[80];
			ldns_rr *rk = ldns_rr_list_rr(matched, 0);
			snprintf(buf, sizeof(buf), " (key tag %u, algorithm %u)",
				 ldns_calc_keytag(rk), ldns_rdf2native_int8(ldns_rr_rdf(rk, 2)));
			an_add_finding(c, AN_F_DS_KEY_REVOKED, z->name, NULL, buf, NULL, x->server,
				       0);
		}
		sigcheck_t sc;
		an_check_sigs(c, z->name, keys, sigs, matched, &sc);
		if (sc.valid) {
			s->ok++;
			an_list_union(&s->keys, keys);
			s->keys_validated = true;
			an_note_expiry(c, z->name, rrset, x->server, &sc);
			for (size_t m = 0; m < ldns_rr_list_rr_count(matched); m++) {
				ldns_rr *mk = ldns_rr_list_rr(matched, m);
				bool signs = false;
				for (size_t g = 0;
				     signers && g < ldns_rr_list_rr_count(signers) && !signs; g++)
					signs = an_rr_same(ldns_rr_list_rr(signers, g), mk);
				if (!signs && !s->anchored) {
					char buf[80];
					snprintf(buf, sizeof(buf), " (key tag %u, algorithm %u)",
						 ldns_calc_keytag(mk),
						 ldns_rdf2native_int8(ldns_rr_rdf(mk, 2)));
					an_add_finding(c, AN_F_DS_KEY_NOT_SIGNING, z->name, NULL,
						       buf, NULL, x->server, 0);
				}
			}
		} else {
			exp = an_expected_ds(keys, signers);
			an_emit_sig_findings(c, z->name, rrset, x->server, &sc, true, exp);
			if (sc.crypto_unavail)
				s->indeterminate = true;
		}
	}
	free(exp);
	ldns_rr_list_free(matched);
}

/* A zone with a DS whose DNSKEY RRset no server delivered (too large for UDP and
 * TCP failing, or only errors): validators cannot get its keys. */
static void zone_unfetched(ctx_t *c, size_t zi)
{
	zst_t *s = &c->zs[zi];
	const ev_zone_t *z = s->z;
	bool has_ds = (s->ds && ldns_rr_list_rr_count(s->ds)) || s->anchor_keys;
	if (!s->insecure && has_ds && !s->tested && !s->unreachable && !s->indeterminate &&
	    !s->not_asked) {
		const char *why = NULL;
		for (size_t i = 0; i < c->ev->n_xs && !why; i++) {
			const ev_exchange_t *x = &c->ev->xs[i];
			if (x->purpose == EV_P_DNSKEY && strcmp(x->zone, z->name) == 0 && x->err &&
			    x->err != DD_EREFUSEDADDR)
				why = x->udp_truncated ? "it is too large for UDP and TCP failed"
						       : (x->why ? x->why : dd_strerror(x->err));
		}
		if (why) {
			char buf[200];
			snprintf(buf, sizeof(buf), " with its DNSKEY RRset (%s)", why);
			an_add_finding(c, AN_F_ZONE_UNREACHABLE, z->name, NULL, buf, NULL, NULL, 0);
			s->unreachable = true;
		}
	}
}

/* The zone's policy steps: CDS, NSEC3 parameters, the DS set and keys against
 * policy, a signed zone without DS. */
static void zone_policy(actx_t *a, size_t zi, const ldns_rr_list *signers)
{
	ctx_t *c = a->c;
	zst_t *s = &c->zs[zi];
	an_link_t *link = &a->links[zi];
	const ev_zone_t *z = s->z;
	an_check_cds(c, zi, signers);
	an_check_nsec3param(c, zi);
	if (s->ds_policy == 1)
		an_add_finding(c, AN_F_DS_ALGORITHM_UNSUPPORTED, z->name, NULL, s->ds_policy_detail,
			       NULL, NULL, 0);
	else if (s->ds_policy == 2)
		an_add_finding(c, AN_F_DS_DIGEST_UNSUPPORTED, z->name, NULL, s->ds_policy_detail,
			       an_link_expected_ds(link, s, signers), NULL, 0);
	else if (s->ds_policy == 3 && s->keys_validated)
		an_add_finding(c, AN_F_DS_SHA1_ONLY, z->name, NULL, "",
			       an_link_expected_ds(link, s, signers), NULL, 0);
	an_key_policy(c, zi);
	if (!s->keys_validated)
		an_list_union(&s->keys,
			      s->seen_keys); /* unvalidated: only to report more facts below */

	if (s->insecure && !s->no_anchor && z->parent && s->ds_policy != 1 && s->ds_policy != 2) {
		bool signed_zone = s->seen_keys && ldns_rr_list_rr_count(s->seen_keys);
		if (signed_zone && !c->zs[s->parent].insecure)
			an_add_finding(c, AN_F_SIGNED_ISLAND, z->name, NULL, "",
				       an_link_expected_ds(link, s, signers), NULL, 0);
		else if (!c->zs[s->parent].insecure)
			an_add_finding(c, AN_F_INSECURE_DELEGATION, z->name, NULL, "", NULL, NULL,
				       0);
	}
}

void an_analyse_zone(actx_t *a, size_t zi)
{
	ctx_t *c = a->c;
	zst_t *s = &c->zs[zi];
	an_link_t *link = &a->links[zi];
	const ev_zone_t *z = s->z;
	s->analysed = true;
	link->zone = dd_strdup(z->name);
	link->parent = dd_strdup(z->parent);
	an_check_reachability(c, zi);

	ldns_rdf *apex = ldns_dname_new_frm_str(z->name);
	if (apex)
		zone_trust(a, zi, apex);

	/* The DNSKEY RRset at every server. */
	char *rrset = dd_asprintf("%s DNSKEY", z->name);
	ldns_rr_list *signers = ldns_rr_list_new();
	for (size_t i = 0; apex && i < c->ev->n_xs; i++) {
		const ev_exchange_t *x = &c->ev->xs[i];
		ldns_pkt *pkt = c->pkts[i];
		if (x->purpose != EV_P_DNSKEY || strcmp(x->zone, z->name) != 0 || !pkt)
			continue;
		if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR)
			continue; /* judged as lame by check_reachability */
		ldns_rr_list *keys =
		    an_section_rrs(pkt, apex, LDNS_RR_TYPE_DNSKEY, LDNS_SECTION_ANSWER);
		/* Without the AA bit (a lame server, reported by check_reachability), the keys it
		 * does return are still what a validator gets from it and judges: judge them too.
		 * Without keys, it is a referral or an empty answer: nothing to judge here. */
		if (!ldns_pkt_aa(pkt) && (!keys || !ldns_rr_list_rr_count(keys))) {
			ldns_rr_list_free(keys);
			continue;
		}
		ldns_rr_list *sigs =
		    an_sigs_over(pkt, apex, LDNS_RR_TYPE_DNSKEY, LDNS_SECTION_ANSWER);
		an_link_add_keys(link, keys);
		an_list_union(&s->seen_keys, keys);
		zone_signers(c, keys, sigs, &signers);
		bool has_ds = (s->ds && ldns_rr_list_rr_count(s->ds)) || s->anchor_keys;
		if (!s->insecure && has_ds) {
			s->tested++;
			if (!keys || !ldns_rr_list_rr_count(keys)) {
				char buf[120];
				uint16_t tag = s->ds ? ldns_rdf2native_int16(ldns_rr_rdf(
							   ldns_rr_list_rr(s->ds, 0), 0))
						     : 0;
				snprintf(buf, sizeof(buf), " (the DS names key tag %u)", tag);
				an_add_finding(c, AN_F_DS_OVER_UNSIGNED_CHILD, z->name, NULL, buf,
					       NULL, x->server, 0);
			} else {
				zone_dnskey_at(a, zi, x, keys, sigs, signers, rrset);
			}
		}
		ldns_rr_list_free(keys);
		ldns_rr_list_free(sigs);
	}
	/* Servers that cannot deliver DNSSEC data while the parent's DS calls for it:
	 * validators that ask them fail (all of them: bogus; some: intermittently). */
	bool has_ds = (s->ds && ldns_rr_list_rr_count(s->ds)) || s->anchor_keys;
	if (!s->insecure && has_ds)
		for (size_t k = 0; k < s->n_no_dnssec; k++)
			an_add_finding(c, AN_F_ZONE_NO_DNSSEC, z->name, NULL,
				       " (FORMERR to every query with EDNS, answers without "
				       "signatures otherwise)",
				       NULL, s->no_dnssec[k], 0);
	/* Which keys sign the DNSKEY RRset is a fact about the signatures, whatever the DS says. */
	for (size_t k = 0; signers && k < ldns_rr_list_rr_count(signers); k++) {
		ldns_rr *key = ldns_rr_list_rr(signers, k);
		an_key_t *lk = an_link_key(link, ldns_calc_keytag(key),
					   ldns_rdf2native_int8(ldns_rr_rdf(key, 2)));
		if (lk)
			lk->signs_dnskey = true;
	}
	zone_unfetched(c, zi);
	zone_policy(a, zi, signers);
	link->servers_total = s->tested;
	link->servers_ok = s->ok;
	ldns_rr_list_deep_free(signers);
	free(rrset);
	ldns_rdf_deep_free(apex);
}
