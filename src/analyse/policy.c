/* algorithm and digest policy: what validators accept, key sizes, DS sets judged by policy */
#include "analyse/an_int.h"

void an_policy_default(an_policy_t *p)
{
	memset(p, 0, sizeof(*p));
	p->warn_days = 7;
	p->nsec3_iter_limit = 150;
	p->skew_s = 3600;
	p->max_validations = AN_MAX_VALIDATIONS;
	p->max_nsec3_hashes = AN_MAX_NSEC3_HASHES;
}

/* RFC 8624 §3.1 as maintained in the IANA registry (RFC 9904): validators
 * MUST NOT use 1 (RSAMD5), 3 (DSA), 6 (DSA-NSEC3-SHA1); 12 (ECC-GOST) is
 * rarely implemented and is treated as unsupported; the rest of the
 * registry's signing algorithms are allowed. 5 and 7 (SHA-1) are still
 * validated, with a warning (RFC 9905). */
bool an_alg_allowed(unsigned alg)
{
	switch (alg) {
	case 5:
	case 7:
	case 8:
	case 10:
	case 13:
	case 14:
	case 15:
	case 16:
		return true;
	default:
		return false;
	}
}

/* RFC 8624 §3.3: SHA-1 (1), SHA-256 (2) and SHA-384 (4); GOST (3) is treated as unsupported. */
bool an_digest_supported(unsigned digest)
{
	return digest == 1 || digest == 2 || digest == 4;
}

/* Allowed by policy, but this machine cannot verify it: indeterminate, not insecure. */
bool an_alg_unverifiable(const ctx_t *c, unsigned alg)
{
	return an_alg_allowed(alg) && c->pol.selftest_done && !c->pol.alg_verifies[alg & 0xff];
}

/*
 * RFC 4035 §5.2 and RFC 6840 §5.2: only DS records with an algorithm and a
 * digest type the validator supports count. When none is left the zone is
 * insecure (EDE 1 or 2); otherwise the unusable ones are dropped. A set of
 * SHA-1 digests only is noted for a warning (the fix needs the zone's keys,
 * so the finding is made once they are known).
 */
void an_ds_policy(zst_t *s)
{
	size_t n = s->ds ? ldns_rr_list_rr_count(s->ds) : 0;
	if (!n)
		return;
	ldns_rr_list *usable = ldns_rr_list_new();
	bool any_alg = false, all_sha1 = true;
	char bad[160] = "";
	for (size_t i = 0; usable && i < n; i++) {
		ldns_rr *d = ldns_rr_list_rr(s->ds, i);
		if (ldns_rr_rd_count(d) < 4)
			continue;
		unsigned alg = ldns_rdf2native_int8(ldns_rr_rdf(d, 1)),
			 dt = ldns_rdf2native_int8(ldns_rr_rdf(d, 2));
		any_alg |= an_alg_allowed(alg);
		if (an_alg_allowed(alg) && an_digest_supported(dt)) {
			ldns_rr_list_push_rr(usable, ldns_rr_clone(d));
			all_sha1 &= dt == 1;
		} else {
			size_t l = strlen(bad);
			snprintf(bad + l, sizeof(bad) - l, "%s%s %u", l ? ", " : "",
				 an_alg_allowed(alg) ? "digest type" : "algorithm",
				 an_alg_allowed(alg) ? dt : alg);
		}
	}
	if (!usable)
		return;
	if (!ldns_rr_list_rr_count(usable)) {
		s->insecure = true;
		s->insecure_ede = any_alg ? 2 : 1;
		s->ds_policy = any_alg ? 2 : 1;
		s->ds_policy_detail = dd_asprintf(" (%s)", bad);
		ldns_rr_list_deep_free(usable);
		return;
	}
	if (all_sha1)
		s->ds_policy = 3;
	ldns_rr_list_deep_free(s->ds);
	s->ds = usable;
}

/* ldns subtracts an RSA key's exponent length from the key's length
 * unchecked: a key whose exponent runs past its end was counted as a huge
 * number of bits (RFC 3110 §2). The exponent is walked with the bounded
 * cursor first. */
size_t an_key_bits(const ldns_rr *k)
{
	if (ldns_rr_rd_count(k) < 4)
		return 0;
	const ldns_rdf *pub = ldns_rr_rdf(k, 3);
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rdf(k, 2));
	if (alg == 1 || alg == 5 || alg == 7 || alg == 8 || alg == 10) {
		dd_cursor_t cur;
		dd_cursor_init(&cur, ldns_rdf_data(pub), ldns_rdf_size(pub));
		size_t elen = dd_cursor_u8(&cur);
		if (elen == 0)
			elen = dd_cursor_u16(&cur);
		dd_cursor_skip(&cur, elen);
		if (cur.err || !dd_cursor_left(&cur))
			return 0; /* no modulus */
	}
	return ldns_rr_dnskey_key_size(k);
}

/* Warnings on the keys of a zone whose chain holds: SHA-1 algorithms, short RSA keys. */
void an_key_policy(ctx_t *c, size_t zi)
{
	zst_t *s = &c->zs[zi];
	for (size_t i = 0; s->keys_validated && s->keys && i < ldns_rr_list_rr_count(s->keys);
	     i++) {
		ldns_rr *k = ldns_rr_list_rr(s->keys, i);
		if (ldns_rr_get_type(k) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(k) < 4 ||
		    !an_key_usable(k))
			continue;
		unsigned alg = ldns_rdf2native_int8(ldns_rr_rdf(k, 2));
		char buf[120];
		if (alg == 5 || alg == 7) {
			snprintf(buf, sizeof(buf), " (algorithm %u, %s; key tag %u)", alg,
				 alg == 5 ? "RSASHA1" : "RSASHA1-NSEC3-SHA1", ldns_calc_keytag(k));
			an_add_finding(c, AN_F_DNSKEY_ALGORITHM_DEPRECATED, s->z->name, NULL, buf,
				       NULL, NULL, 0);
		}
		size_t bits = an_key_bits(k);
		if ((alg == 5 || alg == 7 || alg == 8 || alg == 10) && bits && bits < 2048) {
			snprintf(buf, sizeof(buf), " (key tag %u, algorithm %u: %zu bits)",
				 ldns_calc_keytag(k), alg, bits);
			an_add_finding(c, AN_F_DNSKEY_RSA_SHORT, s->z->name, NULL, buf, NULL, NULL,
				       0);
		}
	}
}
