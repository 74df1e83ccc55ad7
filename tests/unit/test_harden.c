/* Bytes that once crashed the doctor inside libldns's assert()s, and the
 * guards that keep them away from it: the writer cursor, the pre-pass's
 * NSEC/NSEC3 shape checks, the signature cache's key, the evidence loader's
 * cached messages, and the work caps per check. No network, no clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <ldns/ldns.h>

#include "analyse/analyse.h"
#include "common/dd.h"
#include "common/wire.h"
#include "evidence/evidence.h"
#include "testutil.h"

static an_result_t *run_pol(const evidence_t *ev, const an_policy_t *pol)
{
	an_result_t *r = NULL;
	assert_int_equal(an_analyse(ev, ev->probed_at, pol, NULL, &r), 0);
	return r;
}

static an_result_t *run(const evidence_t *ev)
{
	an_policy_t pol;
	an_policy_default(&pol);
	return run_pol(ev, &pol);
}

static const an_finding_t *find(const an_result_t *r, an_fid_t id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].id == id)
			return &r->findings[i];
	return NULL;
}

/* ---- the writer cursor ---------------------------------------------------- */

static void test_writer_sticky(void **state)
{
	(void)state;
	uint8_t buf[7];
	dd_writer_t w;
	dd_writer_init(&w, buf, sizeof(buf));
	dd_writer_u16(&w, 0x0102);
	dd_writer_u32(&w, 0x03040506);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.pos, 6);
	assert_int_equal(dd_writer_left(&w), 1);
	dd_writer_u16(&w, 0xffff); /* does not fit: nothing written, error sticks */
	assert_int_equal(w.err, DD_ENOSPACE);
	assert_int_equal(w.pos, 6);
	dd_writer_u8(&w, 0x07); /* would fit, but the error is sticky */
	assert_int_equal(w.pos, 6);
	assert_int_equal(dd_writer_left(&w), 0);
	const uint8_t want[] = {1, 2, 3, 4, 5, 6};
	assert_memory_equal(buf, want, sizeof(want));

	/* Exactly full is fine; one byte more is not. */
	dd_writer_init(&w, buf, sizeof(buf));
	dd_writer_bytes(&w, "abcdefg", 7);
	assert_int_equal(w.err, 0);
	dd_writer_bytes(&w, "", 0);
	assert_int_equal(w.err, 0);
	dd_writer_u8(&w, 0);
	assert_int_equal(w.err, DD_ENOSPACE);

	/* Names: lower-cased, labels walked, bad ones refused whole. */
	uint8_t nb[300];
	dd_writer_init(&w, nb, sizeof(nb));
	dd_writer_name_lower(&w, (const uint8_t *)"\3WwW\7ExAmPlE\0", 13);
	assert_int_equal(w.err, 0);
	assert_memory_equal(nb, "\3www\7example\0", 13);
	const struct {
		const char *name;
		size_t len;
	} bad[] = {
	    {"\3www", 4},     /* no root label */
	    {"\7www\0", 5},   /* label runs past the end */
	    {"\3www\0\0", 6}, /* bytes after the root */
	    {"", 0},	      /* empty */
	    {"\100abc\0", 5}, /* label type 0x40 */
	};
	for (size_t i = 0; i < DD_ARRAY_LEN(bad); i++) {
		dd_writer_init(&w, nb, sizeof(nb));
		dd_writer_name_lower(&w, (const uint8_t *)bad[i].name, bad[i].len);
		assert_int_equal(w.err, DD_EMALFORMED);
		assert_int_equal(w.pos, 0);
	}
	/* A name that does not fit writes nothing. */
	dd_writer_init(&w, nb, 5);
	dd_writer_name_lower(&w, (const uint8_t *)"\3www\7example\0", 13);
	assert_int_equal(w.err, DD_ENOSPACE);
	assert_int_equal(w.pos, 0);
}

/* ---- the pre-pass: NSEC and NSEC3 shapes ----------------------------------- */

/* A response with one NSEC3 (alg, next hash of `hlen` octets, bitmap
 * `bm`/`bml`) in the authority section, built with the writer. */
static size_t nsec3_msg(uint8_t *out, size_t cap, uint16_t type, uint8_t alg, size_t hlen,
			const uint8_t *bm, size_t bml)
{
	dd_writer_t w;
	dd_writer_init(&w, out, cap);
	dd_writer_u16(&w, 0x1234);
	dd_writer_u16(&w, 0x8403); /* QR AA, NXDOMAIN */
	dd_writer_u16(&w, 1);
	dd_writer_u16(&w, 0);
	dd_writer_u16(&w, 1);
	dd_writer_u16(&w, 0);
	dd_writer_name_lower(&w, (const uint8_t *)"\4nope\7example\0", 14);
	dd_writer_u16(&w, 1);
	dd_writer_u16(&w, 1);
	dd_writer_name_lower(&w, (const uint8_t *)"\4abcd\7example\0", 14);
	dd_writer_u16(&w, type);
	dd_writer_u16(&w, 1);
	dd_writer_u32(&w, 300);
	uint8_t hash[255];
	memset(hash, 0xab, sizeof(hash));
	if (type == 50) {
		dd_writer_u16(&w, (uint16_t)(4 + 1 + 1 + hlen + bml));
		dd_writer_u8(&w, alg);
		dd_writer_u8(&w, 0);
		dd_writer_u16(&w, 0);
		dd_writer_u8(&w, 0); /* no salt */
		dd_writer_u8(&w, (uint8_t)hlen);
		dd_writer_bytes(&w, hash, hlen);
	} else {
		dd_writer_u16(&w, (uint16_t)(14 + bml));
		dd_writer_name_lower(&w, (const uint8_t *)"\4zzzz\7example\0", 14);
	}
	dd_writer_bytes(&w, bm, bml);
	assert_int_equal(w.err, 0);
	return w.pos;
}

static void test_prepass_nsec_shapes(void **state)
{
	(void)state;
	static const uint8_t good_bm[] = {0, 6, 0x40, 0, 0, 0, 0, 0x03, 1, 1, 0x40};
	static const uint8_t desc_bm[] = {1, 1, 0x40, 0, 1, 0x40}; /* windows out of order */
	static const uint8_t zero_bm[] = {0, 0};		   /* empty window */
	static const uint8_t long_bm[] = {0, 33, 0};		   /* longer than 32 */
	static const uint8_t cut_bm[] = {0, 6, 0x40};		   /* window cut short */
	static const uint8_t half_bm[] = {0};			   /* header cut short */
	static const uint8_t dup_bm[] = {0, 1, 0x40, 0, 1, 0x40};  /* same window twice */
	const struct {
		uint16_t type;
		uint8_t alg;
		size_t hlen;
		const uint8_t *bm;
		size_t bml;
		bool ok;
	} cases[] = {
	    {50, 1, 20, good_bm, sizeof(good_bm), true},
	    {50, 1, 20, NULL, 0, true}, /* empty non-terminal: no types */
	    {50, 1, 0, good_bm, sizeof(good_bm), false},
	    {50, 1, 19, good_bm, sizeof(good_bm), false},
	    {50, 1, 21, good_bm, sizeof(good_bm), false},
	    {50, 2, 0, good_bm, sizeof(good_bm), false},
	    {50, 2, 32, good_bm, sizeof(good_bm), true}, /* unknown hash: any non-zero length */
	    {50, 1, 20, desc_bm, sizeof(desc_bm), false},
	    {50, 1, 20, zero_bm, sizeof(zero_bm), false},
	    {50, 1, 20, long_bm, sizeof(long_bm), false},
	    {50, 1, 20, cut_bm, sizeof(cut_bm), false},
	    {50, 1, 20, half_bm, sizeof(half_bm), false},
	    {50, 1, 20, dup_bm, sizeof(dup_bm), false},
	    {47, 0, 0, good_bm, sizeof(good_bm), true},
	    {47, 0, 0, desc_bm, sizeof(desc_bm), false},
	    {47, 0, 0, cut_bm, sizeof(cut_bm), false},
	};
	for (size_t i = 0; i < DD_ARRAY_LEN(cases); i++) {
		uint8_t msg[512];
		size_t n = nsec3_msg(msg, sizeof(msg), cases[i].type, cases[i].alg, cases[i].hlen,
				     cases[i].bm, cases[i].bml);
		const char *why = NULL;
		int rc = dd_wire_check(msg, n, NULL, &why);
		if (cases[i].ok != (rc == 0))
			fail_msg("case %zu: pre-pass says %d (%s)", i, rc, why ? why : "-");
	}
}

/* ---- the signature cache: RRsets at the buffer boundaries ------------------ */

/* TXT records at www.example. summing to exactly `total` octets of canonical
 * wire form (each record: 13 owner + 10 header + 1 + string). */
static ldns_rr_list *txt_rrset(size_t total)
{
	ldns_rr_list *l = ldns_rr_list_new();
	size_t left = total;
	for (int i = 0; left > 0; i++) {
		size_t n = left >= 254 + 25 ? 230 : left - 24;
		assert_true(n <= 255 && left >= 24);
		char txt[300];
		memset(txt, 'a' + i % 26, n);
		txt[n] = '\0';
		char line[400];
		snprintf(line, sizeof(line), "www.example. 300 IN TXT \"%s\"", txt);
		ldns_rr *rr = NULL;
		assert_int_equal(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_rr_list_push_rr(l, rr);
		left -= 24 + n;
	}
	return l;
}

static void test_vcache_buffer_boundaries(void **state)
{
	(void)state;
	ldns_rr *sig = NULL, *key = NULL;
	assert_int_equal(
	    ldns_rr_new_frm_str(
		&sig,
		"www.example. 300 IN RRSIG TXT 13 2 300 20300101000000 20200101000000 12345 "
		"example. "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAA",
		0, NULL, NULL),
	    LDNS_STATUS_OK);
	assert_int_equal(ldns_rr_new_frm_str(&key,
					     "example. 300 IN DNSKEY 257 3 13 "
					     "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnK"
					     "CkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QA==",
					     0, NULL, NULL),
			 LDNS_STATUS_OK);
	ldns_rr_list *keys = ldns_rr_list_new();
	ldns_rr_list_push_rr(keys, key);
	an_vcache_t *vc = an_vcache_new(64);
	assert_non_null(vc);
	/* 17 records of exactly 4096 octets, 25 of exactly 6144, and their neighbours. */
	const size_t totals[] = {4095, 4096, 4097, 6143, 6144, 6145, 9216, 13824};
	for (size_t i = 0; i < DD_ARRAY_LEN(totals); i++) {
		ldns_rr_list *rrset = txt_rrset(totals[i]);
		size_t wire = 0;
		for (size_t k = 0; k < ldns_rr_list_rr_count(rrset); k++)
			wire += ldns_rr_uncompressed_size(ldns_rr_list_rr(rrset, k));
		assert_int_equal(wire, totals[i]);
		if (totals[i] == 4096)
			assert_int_equal(ldns_rr_list_rr_count(rrset), 17);
		/* A made-up signature verifies nothing; the point is getting an answer. */
		assert_int_not_equal(an_verify(vc, rrset, sig, keys), LDNS_STATUS_OK);
		assert_int_not_equal(an_verify(vc, rrset, sig, keys),
				     LDNS_STATUS_OK); /* from the cache */
		assert_int_not_equal(an_verify(NULL, rrset, sig, keys), LDNS_STATUS_OK);
		ldns_rr_list_deep_free(rrset);
	}
	unsigned long hits = 0, misses = 0;
	an_vcache_stats(vc, &hits, &misses);
	assert_int_equal(hits, DD_ARRAY_LEN(totals));
	assert_int_equal(misses, DD_ARRAY_LEN(totals));
	an_vcache_free(vc);
	ldns_rr_list_deep_free(keys);
	ldns_rr_free(sig);
}

/* ---- NSEC3 with an empty next hashed owner ---------------------------------- */

#define OWNER_ROOT ((size_t)-1)

/* Give every NSEC3 in exchange `x`'s authority section a next hashed owner
 * of `hlen` octets (0: empty), or the root as its owner (OWNER_ROOT);
 * re-encode. Returns how many were changed. */
static size_t break_nsec3(ev_exchange_t *x, size_t hlen)
{
	ldns_pkt *pkt = NULL;
	if (!x->wire || ldns_wire2pkt(&pkt, x->wire, x->wire_len) != LDNS_STATUS_OK)
		return 0;
	size_t changed = 0;
	ldns_rr_list *auth = ldns_pkt_authority(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3 || ldns_rr_rd_count(rr) < 5)
			continue;
		if (hlen == OWNER_ROOT) {
			ldns_rdf_deep_free(ldns_rr_owner(rr));
			ldns_rr_set_owner(rr, ldns_dname_new_frm_str("."));
			changed++;
			continue;
		}
		uint8_t data[256];
		data[0] = (uint8_t)hlen;
		memset(data + 1, 0x11, hlen);
		ldns_rdf *next =
		    ldns_rdf_new_frm_data(LDNS_RDF_TYPE_NSEC3_NEXT_OWNER, 1 + hlen, data);
		ldns_rdf_deep_free(ldns_rr_set_rdf(rr, next, 4));
		changed++;
	}
	uint8_t *w = NULL;
	size_t wl = 0;
	if (changed) {
		assert_int_equal(ldns_pkt2wire(&w, pkt, &wl), LDNS_STATUS_OK);
		free(x->wire);
		x->wire = w;
		x->wire_len = wl;
	}
	ldns_pkt_free(pkt);
	return changed;
}

/* Denial (NXDOMAIN) and wildcard proofs whose NSEC3 next hashed owner is
 * empty or of the wrong length. From one server (the pre-pass on): a
 * finding naming it, and the clean server's answer makes the verdict. From
 * every server with the pre-pass bypassed (`wire_checked` set, as for
 * messages the engine accepted): the analysis's own guard keeps them from
 * ldns, and a proof made of them proves nothing. Never a crash. */
static void test_nsec3_bad_next_hash(void **state)
{
	(void)state;
	const char *files[] = {"nope.good13.test", "foo.wild.test"};
	const size_t lens[] = {0, 19, OWNER_ROOT};
	for (size_t f = 0; f < DD_ARRAY_LEN(files); f++)
		for (size_t l = 0; l < DD_ARRAY_LEN(lens); l++)
			for (int bypass = 0; bypass < 2; bypass++) {
				evidence_t *ev = tu_load(files[f]);
				size_t changed = 0;
				const char *hostile = NULL;
				for (size_t i = 0; i < ev->n_xs; i++) {
					ev_exchange_t *x = &ev->xs[i];
					if (!bypass && hostile && strcmp(x->server, hostile) != 0)
						continue;
					size_t n = break_nsec3(x, lens[l]);
					if (n && !hostile)
						hostile = x->server;
					changed += n;
					x->wire_checked = bypass;
				}
				assert_true(changed >= 1);
				an_result_t *r = run(ev);
				if (bypass || lens[l] == OWNER_ROOT) {
					/* (A root-owned NSEC3 passes the pre-pass: only the
					 * analysis's guard stands between it and ldns.) */
					assert_int_not_equal(r->status, AN_SECURE);
				} else {
					assert_int_equal(r->status, AN_SECURE);
					const an_finding_t *m = find(r, AN_F_SERVER_MALFORMED);
					assert_non_null(m);
					assert_int_equal(m->n_servers, 1);
					assert_string_equal(m->servers[0], hostile);
					assert_non_null(strstr(m->detail, "NSEC3"));
				}
				an_result_free(r);
				ev_free(ev);
			}
}

/* ---- evidence JSON: "cached" messages meet the pre-pass too ---------------- */

static void test_cached_evidence_prepass(void **state)
{
	(void)state;
	evidence_t *ev = tu_load("nope.good13.test");
	size_t changed = 0;
	for (size_t i = 0; i < ev->n_xs; i++)
		changed += break_nsec3(&ev->xs[i], 0);
	assert_true(changed >= 2);
	/* Through JSON, every exchange marked as taken from the probe's cache. */
	json_t *j = ev_to_json(ev);
	ev_free(ev);
	json_t *xs = json_object_get(j, "exchanges");
	for (size_t i = 0; i < json_array_size(xs); i++)
		json_object_set_new(json_array_get(xs, i), "cached", json_true());
	ev = NULL;
	char err[256];
	assert_int_equal(ev_from_json(j, &ev, err, sizeof(err)), 0);
	json_decref(j);
	for (size_t i = 0; i < ev->n_xs; i++) {
		assert_true(ev->xs[i].cached);
		assert_false(ev->xs[i].wire_checked);
	}
	an_result_t *r = run(ev);
	const an_finding_t *m = find(r, AN_F_SERVER_MALFORMED);
	assert_non_null(m);
	assert_non_null(strstr(m->detail, "NSEC3"));
	an_result_free(r);
	/* Analysed twice, so that the second run meets the thread's parsed-message cache. */
	r = run(ev);
	assert_non_null(find(r, AN_F_SERVER_MALFORMED));
	an_result_free(r);
	ev_free(ev);
}

/* ---- work caps per check (KeyTrap, NSEC3 hash exhaustion) -------------------- */

static void test_work_caps(void **state)
{
	(void)state;
	/* Healthy evidence costs little: the defaults leave it alone. */
	evidence_t *ev = tu_load("www.good13.test");
	an_result_t *r = run(ev);
	assert_int_equal(r->status, AN_SECURE);
	assert_null(find(r, AN_F_WORK_LIMIT_REACHED));
	unsigned long need = r->n_validations;
	assert_true(need > 2 && need < AN_MAX_VALIDATIONS / 8);
	an_result_free(r);

	an_policy_t pol;
	an_policy_default(&pol);
	/* Exactly enough: same verdict. */
	pol.max_validations = (unsigned)need;
	r = run_pol(ev, &pol);
	assert_int_equal(r->status, AN_SECURE);
	assert_null(find(r, AN_F_WORK_LIMIT_REACHED));
	an_result_free(r);
	/* One short, and far short: indeterminate (exit 3) with the finding, never secure or bogus.
	 */
	const unsigned caps[] = {(unsigned)need - 1, 1};
	for (size_t i = 0; i < DD_ARRAY_LEN(caps); i++) {
		pol.max_validations = caps[i];
		r = run_pol(ev, &pol);
		assert_int_equal(r->status, AN_INDETERMINATE);
		assert_int_equal(an_exit_code(r), 3);
		assert_null(r->broken_zone);
		assert_int_equal(r->n_ede, 1);
		assert_int_equal(r->ede[0], 5);
		const an_finding_t *f = find(r, AN_F_WORK_LIMIT_REACHED);
		assert_non_null(f);
		assert_non_null(strstr(f->detail, "signature validations"));
		assert_true(r->n_validations <= caps[i]);
		/* What was left unverified is not reported as a broken signature. */
		assert_null(find(r, AN_F_RRSIG_INVALID));
		assert_null(find(r, AN_F_RRSIG_MISSING));
		assert_null(find(r, AN_F_DNSKEY_NOT_SIGNED_BY_DS_KEY));
		an_result_free(r);
	}
	ev_free(ev);

	/* NSEC3 hashes: an NXDOMAIN proven with NSEC3. */
	ev = tu_load("nope.good13.test");
	r = run(ev);
	assert_int_equal(r->status, AN_SECURE);
	need = r->n_nsec3_hashes;
	assert_true(need > 0);
	an_result_free(r);
	an_policy_default(&pol);
	pol.max_nsec3_hashes = (unsigned)need;
	r = run_pol(ev, &pol);
	assert_int_equal(r->status, AN_SECURE);
	an_result_free(r);
	pol.max_nsec3_hashes = 1;
	r = run_pol(ev, &pol);
	assert_int_equal(r->status, AN_INDETERMINATE);
	assert_int_equal(an_exit_code(r), 3);
	const an_finding_t *f = find(r, AN_F_WORK_LIMIT_REACHED);
	assert_non_null(f);
	assert_non_null(strstr(f->detail, "NSEC3"));
	assert_true(r->n_nsec3_hashes <= 1);
	assert_null(find(r, AN_F_DENIAL_INVALID));
	an_result_free(r);
	ev_free(ev);
}

/* Anchors in an evidence file are untrusted text: only whole DS and DNSKEY
 * records count (a TXT "anchor" at the root once made the chain secure). */
static void test_evidence_anchor_shapes(void **state)
{
	(void)state;
	const char *bad[] = {". IN TXT \"x\"", ". 3600 IN DS 25204 13 2",
			     ". 3600 IN DNSKEY 257 3 13"};
	for (size_t i = 0; i < DD_ARRAY_LEN(bad); i++) {
		evidence_t *ev = tu_load("www.good13.test");
		for (size_t k = 0; k < ev->n_anchors; k++)
			free(ev->anchors[k]);
		ev->n_anchors = 0;
		assert_int_equal(ev_add_anchor(ev, bad[i]), 0);
		an_result_t *r = run(ev);
		assert_int_not_equal(r->status, AN_SECURE);
		an_result_free(r);
		ev_free(ev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_writer_sticky),
	    cmocka_unit_test(test_prepass_nsec_shapes),
	    cmocka_unit_test(test_vcache_buffer_boundaries),
	    cmocka_unit_test(test_nsec3_bad_next_hash),
	    cmocka_unit_test(test_cached_evidence_prepass),
	    cmocka_unit_test(test_work_caps),
	    cmocka_unit_test(test_evidence_anchor_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
