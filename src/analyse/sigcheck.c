/* signatures: their times, the keys that may verify them, verification, findings and expiry notes
 */
#include "analyse/an_int.h"

/* RRSIG times are 32-bit serial numbers (RFC 4034 §3.1.5): take the one nearest `now`. */
static int64_t sig_time(const ldns_rdf *r, int64_t now)
{
	uint32_t t = ldns_rdf2native_int32(r);
	return now + (int32_t)(t - (uint32_t)now);
}

bool an_key_usable(const ldns_rr *key)
{
	uint16_t flags = ldns_rdf2native_int16(ldns_rr_rdf(key, 0));
	return (flags & LDNS_KEY_ZONE_KEY) && !(flags & LDNS_KEY_REVOKE_KEY);
}

bool an_key_validates(const ldns_rr *key)
{
	return (ldns_rdf2native_int16(ldns_rr_rdf(key, 0)) & LDNS_KEY_ZONE_KEY) != 0;
}

void an_check_sigs(const ctx_t *c, const char *zone, ldns_rr_list *rrset, const ldns_rr_list *sigs,
		   const ldns_rr_list *keys, sigcheck_t *sc)
{
	memset(sc, 0, sizeof(*sc));
	if (!rrset || !ldns_rr_list_rr_count(rrset))
		return;
	ldns_rr_type covered = ldns_rr_get_type(ldns_rr_list_rr(rrset, 0));
	ldns_rdf *zname = ldns_dname_new_frm_str(zone);
	size_t owner_labels = ldns_dname_label_count(ldns_rr_owner(ldns_rr_list_rr(rrset, 0)));
	for (size_t i = 0; sigs && i < ldns_rr_list_rr_count(sigs) && sc->n_sigs < AN_MAX_RRS;
	     i++) {
		ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		if (ldns_rr_rd_count(sig) < 9 ||
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) != covered)
			continue;
		if (ldns_dname_compare(ldns_rr_owner(sig),
				       ldns_rr_owner(ldns_rr_list_rr(rrset, 0))) != 0)
			continue;
		uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
		uint8_t alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig));
		if (!an_alg_allowed(alg))
			continue; /* signatures of algorithms validators do not use are ignored */
		sc->n_sigs++;
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
			if (ldns_rr_get_type(key) != LDNS_RR_TYPE_DNSKEY ||
			    ldns_rr_rd_count(key) < 4)
				continue;
			if (ldns_calc_keytag(key) == tag &&
			    ldns_rdf2native_int8(ldns_rr_rdf(key, 2)) == alg &&
			    an_key_validates(key))
				ldns_rr_list_push_rr(ks, key);
		}
		if (!ks || !ldns_rr_list_rr_count(ks)) {
			sc->unknown_key = true;
			ldns_rr_list_free(ks);
			continue;
		}
		int64_t inc = sig_time(ldns_rr_rrsig_inception(sig), c->now);
		int64_t exp = sig_time(ldns_rr_rrsig_expiration(sig), c->now);
		if (exp < inc) {
			/* RFC 4034 §3.1.5: serial arithmetic; an expiration "before" the inception
			 * never validates. */
			sc->inverted = true;
			sc->incept_at = inc;
			sc->expired_at = exp;
			ldns_rr_list_free(ks);
			continue;
		}
		if (an_alg_unverifiable(c, alg)) {
			sc->crypto_unavail = true;
			ldns_rr_list_free(ks);
			continue;
		}
		if (!an_work_validations(c, ldns_rr_list_rr_count(ks))) {
			sc->capped = true;
			ldns_rr_list_free(ks);
			continue;
		}
		bool skewed = inc > c->now && inc - c->now <= (int64_t)c->pol.skew_s;
		bool dates_ok = (inc <= c->now || skewed) && c->now <= exp;
		ldns_status st = an_verify(c->pol.vcache, rrset, sig, ks);
		ldns_rr_list_free(ks);
		if (st == LDNS_STATUS_OK && dates_ok) {
			if (!sc->valid || exp > sc->valid_expiry) {
				sc->valid_expiry = exp;
				sc->valid_tag = tag;
				sc->valid_ottl = ldns_rdf2native_int32(ldns_rr_rrsig_origttl(sig));
			}
			if (skewed && (!sc->valid || sc->skew)) {
				sc->skew = true;
				sc->skew_at = inc;
			} else if (!skewed) {
				sc->skew = false;
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
void an_emit_sig_findings(ctx_t *c, const char *zone, const char *rrset, const char *server,
			  const sigcheck_t *sc, bool dnskey_link, const char *data)
{
	char when[40], buf[200];
	if (sc->n_sigs == 0) {
		an_add_finding(c, AN_F_RRSIG_MISSING, zone, rrset, "", NULL, server, 0);
		return;
	}
	if (sc->capped && !sc->expired && !sc->notyet && !sc->invalid && !sc->unknown_key &&
	    !sc->crypto_unavail && !sc->inverted)
		return; /* nothing known to be wrong: the work cap's own finding says why there is
			   no verdict */
	if (sc->expired) {
		an_time_text(sc->expired_at, when, sizeof(when));
		snprintf(buf, sizeof(buf), " on %s (key tag %u, algorithm %u)", when, sc->tag,
			 sc->alg);
		an_add_finding(c, AN_F_RRSIG_EXPIRED, zone, rrset, buf, NULL, server,
			       sc->expired_at);
	}
	if (sc->notyet) {
		an_time_text(sc->incept_at, when, sizeof(when));
		snprintf(buf, sizeof(buf), ": its inception is %s (key tag %u, algorithm %u)", when,
			 sc->tag, sc->alg);
		an_add_finding(c, AN_F_RRSIG_NOT_YET_VALID, zone, rrset, buf, NULL, server,
			       sc->incept_at);
	}
	if (sc->inverted) {
		char when2[40];
		an_time_text(sc->incept_at, when, sizeof(when));
		an_time_text(sc->expired_at, when2, sizeof(when2));
		snprintf(buf, sizeof(buf), " (inception %s, expiration %s; key tag %u)", when,
			 when2, sc->tag);
		an_add_finding(c, AN_F_RRSIG_VALIDITY_INVERTED, zone, rrset, buf, NULL, server, 0);
	}
	if (sc->invalid) {
		snprintf(buf, sizeof(buf),
			 sc->bad_signer ? " (its signer name or label count is wrong; key tag %u)"
					: " (key tag %u, algorithm %u)",
			 sc->tag, sc->alg);
		an_add_finding(c, AN_F_RRSIG_INVALID, zone, rrset, buf, NULL, server, 0);
	}
	if (sc->crypto_unavail) {
		snprintf(buf, sizeof(buf), " (algorithm %u)", sc->alg);
		an_add_finding(c, AN_F_CRYPTO_UNAVAILABLE, zone, rrset, buf, NULL, server, 0);
	}
	if (sc->unknown_key && !sc->expired && !sc->notyet && !sc->invalid && !sc->crypto_unavail &&
	    !sc->inverted) {
		if (dnskey_link) {
			snprintf(buf, sizeof(buf), " (it is signed by key tag %u)", sc->tag);
			an_add_finding(c, AN_F_DNSKEY_NOT_SIGNED_BY_DS_KEY, zone, rrset, buf, data,
				       server, 0);
		} else {
			snprintf(buf, sizeof(buf), " (key tag %u, algorithm %u)", sc->tag, sc->alg);
			an_add_finding(c, AN_F_RRSIG_UNKNOWN_KEY, zone, rrset, buf, NULL, server,
				       0);
		}
	}
}

void an_note_expiry(ctx_t *c, const char *zone, const char *rrset, const char *server,
		    const sigcheck_t *sc)
{
	if (!sc->valid)
		return;
	if (!c->earliest || sc->valid_expiry < c->earliest)
		c->earliest = sc->valid_expiry;
	if (sc->valid_expiry - c->now < (int64_t)c->pol.warn_days * 86400) {
		char when[40], buf[160];
		an_time_text(sc->valid_expiry, when, sizeof(when));
		snprintf(buf, sizeof(buf), ": on %s (key tag %u); validation fails from then on",
			 when, sc->valid_tag);
		an_add_finding(c, AN_F_RRSIG_EXPIRING_SOON, zone, rrset, buf, NULL, server,
			       sc->valid_expiry);
	} else if (sc->valid_expiry - c->now < (int64_t)sc->valid_ottl) {
		char when[40], buf[200];
		an_time_text(sc->valid_expiry, when, sizeof(when));
		snprintf(buf, sizeof(buf),
			 ": it expires on %s, within the %u-second TTL (key tag %u)", when,
			 sc->valid_ottl, sc->valid_tag);
		an_add_finding(c, AN_F_RRSIG_EXPIRES_WITHIN_TTL, zone, rrset, buf, NULL, server,
			       sc->valid_expiry);
	}
	if (sc->skew) {
		char when[40], buf[200];
		an_time_text(sc->skew_at, when, sizeof(when));
		snprintf(buf, sizeof(buf), " at %s, %lld seconds after this check (key tag %u)",
			 when, (long long)(sc->skew_at - c->now), sc->valid_tag);
		an_add_finding(c, AN_F_RRSIG_CLOCK_SKEW, zone, rrset, buf, NULL, server,
			       sc->skew_at);
	}
}
