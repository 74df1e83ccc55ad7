/* The DS link (src/analyse/dslink.c, zone.c): DS against DNSKEY, which keys sign the
 * DNSKEY RRset, and the DS records proposed in fixes, on saved evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/dd.h"
#include "testutil.h"

static const an_link_t *link_of(const an_result_t *r, const char *zone)
{
	for (size_t i = 0; i < r->n_chain; i++)
		if (strcmp(r->chain[i].zone, zone) == 0)
			return &r->chain[i];
	fail_msg("no link for %s", zone);
	return NULL;
}

static const an_finding_t *finding(const an_result_t *r, an_fid_t id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].id == id)
			return &r->findings[i];
	return NULL;
}

/* The KSK was rolled, the parent kept the old DS: the new KSK matches no DS but still
 * signs the DNSKEY RRset; whether a key signs is a fact about the signatures. */
static void test_signs_dnskey_without_ds(void **state)
{
	evidence_t *ev = tu_load_golden("www.kskroll.test_A");
	an_result_t *r = tu_analyse(ev, 0);
	const an_link_t *l = link_of(r, "kskroll.test.");
	unsigned ksk = 0;
	for (size_t k = 0; k < l->n_keys; k++) {
		if (!(l->keys[k].flags & 1))
			continue;
		ksk++;
		assert_true(l->keys[k].signs_dnskey);
		assert_false(l->keys[k].ds_match);
	}
	assert_int_equal(ksk, 1);
	an_result_free(r);
	ev_free(ev);
}

/* Two KSKs: the DS'd one never signs, the other does. */
static void test_wrongksk_keys(void **state)
{
	evidence_t *ev = tu_load_golden("www.wrongksk.test_A");
	an_result_t *r = tu_analyse(ev, 0);
	const an_link_t *l = link_of(r, "wrongksk.test.");
	unsigned named = 0, signing = 0;
	for (size_t k = 0; k < l->n_keys; k++) {
		if (!(l->keys[k].flags & 1))
			continue;
		named += l->keys[k].ds_match;
		signing += l->keys[k].signs_dnskey;
		assert_false(l->keys[k].ds_match && l->keys[k].signs_dnskey);
	}
	assert_int_equal(named, 1);
	assert_int_equal(signing, 1);
	an_result_free(r);
	ev_free(ev);
}

/* The DS proposed is a KSK's, never a ZSK's (both sign the DNSKEY RRset here). */
static void test_no_ds_for_zsk(void **state)
{
	evidence_t *ev = tu_load_golden("www.zskalso.test_A");
	an_result_t *r = tu_analyse(ev, 0);
	const an_finding_t *f = finding(r, AN_F_DS_NO_MATCHING_DNSKEY);
	assert_non_null(f);
	const an_link_t *l = link_of(r, "zskalso.test.");
	unsigned lines = 0;
	for (const char *p = f->data; (p = strstr(p, "\tDS\t")) != NULL; p++) {
		unsigned tag = (unsigned)strtoul(p + 4, NULL, 10);
		lines++;
		for (size_t k = 0; k < l->n_keys; k++)
			if (l->keys[k].tag == tag)
				assert_true(l->keys[k].flags & 1);
	}
	assert_int_equal(lines, 1);
	an_result_free(r);
	ev_free(ev);

	/* Only the ZSK signs: nothing to propose; the signer must sign with the DS'd KSK. */
	ev = tu_load_golden("www.zsksigns.test_A");
	r = tu_analyse(ev, 0);
	f = finding(r, AN_F_DNSKEY_NOT_SIGNED_BY_DS_KEY);
	assert_non_null(f);
	assert_string_equal(f->data, "");
	assert_non_null(strstr(f->fix, "the DS then needs no change"));
	assert_null(strstr(f->fix, "registrar"));
	assert_int_equal(f->who, AN_WHO_DNS_OPERATOR);
	an_result_free(r);
	ev_free(ev);
}

/* The only DS'd KSK is revoked (RFC 5011): validated through, as Unbound does, with a
 * warning that says which validators fail; no DS is ever proposed for a revoked key. */
static void test_revoked_ksk(void **state)
{
	evidence_t *ev = tu_load_golden("www.revoked.test_A");
	an_result_t *r = tu_analyse(ev, 0);
	assert_int_equal(r->status, AN_SECURE);
	assert_non_null(finding(r, AN_F_DS_KEY_REVOKED));
	assert_null(finding(r, AN_F_DS_NO_MATCHING_DNSKEY));
	assert_int_equal(an_exit_code(r), 1);
	for (size_t i = 0; i < r->n_findings; i++)
		assert_true(!r->findings[i].data || !strstr(r->findings[i].data, "\tDS\t"));
	an_result_free(r);
	ev_free(ev);
}

/* The only DS matches a key without the Zone Key flag: named as that, EDE 10 as
 * Unbound gives it, never "no DS matches". */
static void test_ds_key_not_zone_key(void **state)
{
	evidence_t *ev = tu_load_golden("www.nozonebit.test_A");
	an_result_t *r = tu_analyse(ev, 0);
	assert_int_equal(r->status, AN_BOGUS);
	assert_string_equal(r->broken_zone, "nozonebit.test.");
	assert_int_equal(r->ede[0], 10);
	assert_non_null(finding(r, AN_F_DS_KEY_NOT_ZONE_KEY));
	assert_null(finding(r, AN_F_DS_NO_MATCHING_DNSKEY));
	an_result_free(r);
	ev_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signs_dnskey_without_ds), cmocka_unit_test(test_wrongksk_keys),
	    cmocka_unit_test(test_no_ds_for_zsk),	    cmocka_unit_test(test_revoked_ksk),
	    cmocka_unit_test(test_ds_key_not_zone_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
