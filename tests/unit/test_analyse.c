/* The analyser on saved evidence from the test world: no network, no clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "analyse/analyse.h"
#include "common/dd.h"
#include "evidence/evidence.h"
#include "testutil.h"
#include "report/report.h"

static an_result_t *run(const evidence_t *ev, int64_t at)
{
	an_result_t *r = NULL;
	an_policy_t pol;
	an_policy_default(&pol);
	assert_int_equal(an_analyse(ev, at ? at : ev->probed_at, &pol, NULL, &r), 0);
	return r;
}

static bool has(const an_result_t *r, an_fid_t id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].id == id)
			return true;
	return false;
}

static const an_finding_t *find(const an_result_t *r, an_fid_t id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].id == id)
			return &r->findings[i];
	return NULL;
}

typedef struct expect {
	const char *file;
	an_status_t status;
	int ede; /* first EDE, -1 none */
	const char *broken;
	int exit_code;
	an_fid_t must; /* a finding that must be present, or AN_F__COUNT */
} expect_t;

static const expect_t table[] = {
    {"www.good13.test", AN_SECURE, -1, NULL, 0, AN_F__COUNT},
    {"nope.good13.test", AN_SECURE, -1, NULL, 0, AN_F__COUNT},
    {"www.unsigned.test", AN_INSECURE, -1, NULL, 0, AN_F_INSECURE_DELEGATION},
    {"www.island.test", AN_INSECURE, -1, NULL, 1, AN_F_SIGNED_ISLAND},
    {"www.expired.test", AN_BOGUS, 7, "expired.test.", 2, AN_F_RRSIG_EXPIRED},
    {"www.kskroll.test", AN_BOGUS, 9, "kskroll.test.", 2, AN_F_DS_NO_MATCHING_DNSKEY},
    {"www.badalg.test", AN_BOGUS, 9, "badalg.test.", 2, AN_F_DS_ALGORITHM_MISMATCH},
    {"www.wrongksk.test", AN_BOGUS, 10, "wrongksk.test.", 2, AN_F_DNSKEY_NOT_SIGNED_BY_DS_KEY},
    {"www.stale.test", AN_BOGUS, 7, "stale.test.", 2, AN_F_RRSIG_EXPIRED},
    {"www.alldead.test", AN_UNREACHABLE, 22, "alldead.test.", 2, AN_F_ZONE_UNREACHABLE},
    {"cname.good13.test", AN_BOGUS, 7, "expired.test.", 2, AN_F_RRSIG_EXPIRED},
    {"www.doubleds.test", AN_SECURE, -1, NULL, 0, AN_F_DS_ROLLOVER_IN_PROGRESS},
    {"www.ok.broken", AN_BOGUS, 9, "broken.", 2, AN_F_DS_NO_MATCHING_DNSKEY},
    /* Hostile servers (tests/world/hostile.sh): a warning on the server, the zone stays secure. */
    {"www.random.hostile", AN_SECURE, -1, NULL, 1, AN_F_SERVER_MALFORMED},
    {"www.badid.hostile", AN_SECURE, -1, NULL, 1, AN_F_SERVER_MALFORMED},
    {"www.tc.hostile", AN_SECURE, -1, NULL, 0, AN_F_SERVER_NEEDS_TCP},
    {"www.tcnotcp.hostile", AN_SECURE, -1, NULL, 1, AN_F_SERVER_NO_TCP},
    {"www.drip.hostile", AN_SECURE, -1, NULL, 1, AN_F_SERVER_NO_TCP},
    /* FORMERR to EDNS: that server cannot deliver the signatures the DS calls for (intermittent).
     */
    {"www.formerr.hostile", AN_BOGUS, 10, "formerr.hostile.", 2, AN_F_ZONE_NO_DNSSEC},
    {"www.oversize.hostile", AN_SECURE, -1, NULL, 1, AN_F_SERVER_UDP_TOO_LARGE},
    {"www.alltcnotcp.hostile", AN_UNREACHABLE, 22, "alltcnotcp.hostile.", 2, AN_F_SERVER_NO_TCP},
    {"www.manyns.hostile", AN_SECURE, -1, NULL, 1, AN_F_NS_SET_TRUNCATED},
    {"a.cname.hostile", AN_SECURE, -1, NULL, 1, AN_F_CNAME_LOOP},
    {"c1.cname.hostile", AN_SECURE, -1, NULL, 1, AN_F_CNAME_CHAIN_TOO_LONG},
    /* 45 zone cuts: the walk stops at 40 and says so (it used to read a referral as a bogus
       answer). */
    {"www.l45.deep.hostile", AN_INDETERMINATE, -1, NULL, 3, AN_F_CHECK_INCOMPLETE},
};

static void test_verdict_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const expect_t *e = &table[i];
		evidence_t *ev = tu_load(e->file);
		an_result_t *r = run(ev, 0);
		if (r->status != e->status)
			fail_msg("%s: status %s, want %s", e->file, an_status_name(r->status),
				 an_status_name(e->status));
		if (e->ede < 0)
			assert_int_equal(r->n_ede, 0);
		else {
			assert_true(r->n_ede >= 1);
			assert_int_equal(r->ede[0], e->ede);
		}
		if (e->broken)
			assert_string_equal(r->broken_zone, e->broken);
		else
			assert_null(r->broken_zone);
		assert_int_equal(an_exit_code(r), e->exit_code);
		if (e->must != AN_F__COUNT && !has(r, e->must))
			fail_msg("%s: finding %s missing", e->file, an_finding_def(e->must)->id);
		an_result_free(r);
		ev_free(ev);
	}
}

/* The stale secondary: only the failing server is named, and the summary says it is intermittent.
 */
static void test_stale_names_only_failing_server(void **state)
{
	(void)state;
	evidence_t *ev = tu_load("www.stale.test");
	an_result_t *r = run(ev, 0);
	const an_finding_t *f = find(r, AN_F_RRSIG_EXPIRED);
	assert_non_null(f);
	assert_int_equal(f->n_servers, 1);
	assert_string_equal(f->servers[0], "127.53.2.3");
	assert_non_null(strstr(f->summary, "1 of the zone's 2"));
	an_result_free(r);
	ev_free(ev);
}

/* Time is a parameter: the same evidence 60 days later has expired signatures
 * at the root already, the topmost break. */
static void test_at_time_moves_verdict(void **state)
{
	(void)state;
	evidence_t *ev = tu_load("www.good13.test");
	an_result_t *r = run(ev, ev->probed_at + 60 * 86400);
	assert_int_equal(r->status, AN_BOGUS);
	assert_int_equal(r->ede[0], 7);
	assert_string_equal(r->broken_zone, ".");
	an_result_free(r);
	/* And 3 days before expiry: secure with a warning. */
	r = run(ev, ev->probed_at);
	int64_t exp = r->earliest_expiry;
	an_result_free(r);
	assert_true(exp > ev->probed_at);
	r = run(ev, exp - 3 * 86400);
	assert_int_equal(r->status, AN_SECURE);
	assert_true(has(r, AN_F_RRSIG_EXPIRING_SOON));
	assert_int_equal(an_exit_code(r), 1);
	an_result_free(r);
	ev_free(ev);
}

/* Another trust anchor: the evidence's own anchors replaced by an unrelated DS. */
static void test_foreign_anchor_breaks_root(void **state)
{
	(void)state;
	evidence_t *ev = tu_load("www.good13.test");
	ldns_rr_list *anchors = ldns_rr_list_new();
	ldns_rr *rr = NULL;
	assert_int_equal(
	    ldns_rr_new_frm_str(&rr,
				". IN DS 20326 8 2 "
				"E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
				0, NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_rr_list_push_rr(anchors, rr);
	an_result_t *r = NULL;
	an_policy_t pol;
	an_policy_default(&pol);
	assert_int_equal(an_analyse(ev, ev->probed_at, &pol, anchors, &r), 0);
	assert_int_equal(r->status, AN_BOGUS);
	assert_string_equal(r->broken_zone, ".");
	an_result_free(r);
	ldns_rr_list_deep_free(anchors);
	ev_free(ev);
}

/* Evidence survives a JSON round trip byte for byte. */
static void test_evidence_roundtrip(void **state)
{
	(void)state;
	/* The last four carry dropped, udp_oversized, ns_total and cname_stop. */
	static const char *const files[] = {"cname.good13.test", "www.random.hostile",
					    "www.oversize.hostile", "www.manyns.hostile",
					    "a.cname.hostile"};
	for (size_t i = 0; i < DD_ARRAY_LEN(files); i++) {
		evidence_t *ev = tu_load(files[i]);
		json_t *a = ev_to_json(ev);
		evidence_t *ev2 = NULL;
		char err[256];
		assert_int_equal(ev_from_json(a, &ev2, err, sizeof(err)), 0);
		json_t *b = ev_to_json(ev2);
		assert_true(json_equal(a, b));
		json_decref(a);
		json_decref(b);
		ev_free(ev2);
		ev_free(ev);
	}
	evidence_t *ev = tu_load("www.random.hostile");
	unsigned dropped = 0;
	for (size_t i = 0; i < ev->n_xs; i++)
		dropped += ev->xs[i].dropped;
	assert_true(dropped > 0);
	ev_free(ev);
	ev = tu_load("a.cname.hostile");
	assert_string_equal(ev->cname_stop, "loop");
	ev_free(ev);
	ev = tu_load("www.manyns.hostile");
	assert_int_equal(ev_find_zone(ev, "manyns.hostile.")->ns_total, 100);
	ev_free(ev);
}

/* The JSON report is deterministic and carries the contract's keys. */
static void test_report_json(void **state)
{
	(void)state;
	evidence_t *ev = tu_load("www.kskroll.test");
	an_result_t *r = run(ev, 0);
	json_t *j = rep_json(r, ev);
	char *s1 = json_dumps(j, JSON_SORT_KEYS);
	json_t *j2 = rep_json(r, ev);
	char *s2 = json_dumps(j2, JSON_SORT_KEYS);
	assert_string_equal(s1, s2);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "bogus");
	json_t *f = json_array_get(json_object_get(j, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "who")), "registrar");
	assert_non_null(json_object_get(j, "emergency_stop"));
	free(s1);
	free(s2);
	json_decref(j);
	json_decref(j2);
	an_result_free(r);
	ev_free(ev);
}

/* Hostile evidence: flipped bytes in every response never crash the analyser. */
static void test_mutated_wire(void **state)
{
	(void)state;
	evidence_t *ev = tu_load("www.expired.test");
	uint32_t seed = 12345;
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < ev->n_xs; i++) {
			ev_exchange_t *x = &ev->xs[i];
			if (!x->wire || !x->wire_len)
				continue;
			seed = seed * 1103515245u + 12345u;
			size_t pos = (seed >> 8) % x->wire_len;
			x->wire[pos] ^= (uint8_t)(1u << (seed % 8));
			if (round % 50 == 49)
				x->wire_len = pos; /* and truncation */
		}
		an_result_t *r = run(ev, 0);
		assert_true(r->status <= AN_UNREACHABLE);
		an_result_free(r);
	}
	ev_free(ev);
}

/* Untrusted evidence JSON is rejected with a reason. */
static void test_evidence_rejects(void **state)
{
	(void)state;
	static const char *bad[] = {
	    "{}",
	    "{\"format\":\"x\",\"version\":1}",
	    "{\"format\":\"dnssec-doctor-evidence\",\"version\":2}",
	    "{\"format\":\"dnssec-doctor-evidence\",\"version\":1,\"query\":{\"name\":\"a.\","
	    "\"qtype\":1},\"probed_at\":1,"
	    "\"elapsed_ms\":0,\"queries\":0,\"anchors\":[],\"zones\":[],\"targets\":[],"
	    "\"exchanges\":[{\"zone\":\"a.\"}]}",
	    "{\"format\":\"dnssec-doctor-evidence\",\"version\":1,\"query\":{\"name\":\"a.\","
	    "\"qtype\":1},\"probed_at\":1,"
	    "\"elapsed_ms\":0,\"queries\":0,\"anchors\":[],\"zones\":[],\"targets\":[],"
	    "\"exchanges\":[{\"zone\":\"a.\","
	    "\"purpose\":\"dnskey\",\"server\":\"1.2.3.4\",\"port\":53,\"qname\":\"a.\",\"qtype\":"
	    "48,\"qflags\":1,"
	    "\"rtt_ms\":1,\"tries\":1,\"wire\":\"%%%%\"}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);
		assert_non_null(j);
		evidence_t *ev = NULL;
		char err[256] = "";
		assert_int_equal(ev_from_json(j, &ev, err, sizeof(err)), DD_EPARSE);
		assert_null(ev);
		assert_true(strlen(err) > 0);
		json_decref(j);
	}
}

static void set_rcode(ev_exchange_t *x, int rcode)
{
	assert_non_null(x->wire);
	assert_true(x->wire_len >= 12);
	x->wire[3] = (uint8_t)((x->wire[3] & 0xf0) | rcode);
}

/* The resolver view, from saved evidence with a validating and a plain Unbound. */
static void test_resolver_view(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		an_diagnosis_t diag;
	} cases[] = {
	    {"resolvers.www.expired.test", AN_DIAG_DNSSEC},
	    {"resolvers.www.alldead.test", AN_DIAG_NOT_DNSSEC},
	    {"resolvers.www.good13.test", AN_DIAG_NONE},
	    {"resolvers.www.stale.test", AN_DIAG_INTERMITTENT},
	    {"www.expired.test", AN_DIAG_UNKNOWN}, /* no resolvers asked */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		evidence_t *ev = tu_load(cases[i].file);
		an_result_t *r = run(ev, 0);
		if (r->diagnosis != cases[i].diag)
			fail_msg("%s: diagnosis %s, want %s", cases[i].file,
				 an_diagnosis_name(r->diagnosis), an_diagnosis_name(cases[i].diag));
		assert_non_null(r->diagnosis_text);
		an_result_free(r);
		ev_free(ev);
	}

	/* Expired: the validating resolver's EDE 7 is tied to our finding; the
	 * garbage resolver is an error, never trusted. */
	evidence_t *ev = tu_load("resolvers.www.expired.test");
	an_result_t *r = run(ev, 0);
	assert_int_equal(r->n_resolvers, 3);
	const an_resolver_t *v = &r->resolvers[0];
	assert_int_equal(v->validating, 1);
	assert_int_equal(v->agrees, 1);
	assert_int_equal(v->rcode, 2);
	assert_int_equal(v->rcode_cd, 0);
	assert_true(v->n_ede >= 1);
	assert_int_equal(v->ede[0].code, 7);
	assert_string_equal(v->ede[0].finding, "RRSIG_EXPIRED");
	assert_int_equal(r->resolvers[1].validating, 0);
	assert_int_equal(r->resolvers[2].rcode, -1);
	assert_int_equal(r->resolvers[2].validating, -1);
	assert_non_null(r->resolvers[2].error);
	an_result_free(r);

	/* If the validating resolver answered, our bogus verdict stands alone: inconclusive. */
	set_rcode(&ev->resolvers[0].q[EV_RQ_PLAIN], 0);
	r = run(ev, 0);
	assert_int_equal(r->diagnosis, AN_DIAG_UNKNOWN);
	assert_int_equal(r->resolvers[0].agrees, 0);
	an_result_free(r);
	ev_free(ev);

	/* A healthy chain that one validating resolver SERVFAILs: resolver-specific. */
	ev = tu_load("resolvers.www.good13.test");
	set_rcode(&ev->resolvers[0].q[EV_RQ_PLAIN], 2);
	r = run(ev, 0);
	assert_int_equal(r->diagnosis, AN_DIAG_RESOLVER_SPECIFIC);
	assert_non_null(strstr(r->diagnosis_text, "cache"));
	an_result_free(r);
	ev_free(ev);
}

/* Resolver exchanges survive the JSON round trip; bad resolver entries are refused. */
static void test_resolver_evidence(void **state)
{
	(void)state;
	evidence_t *ev = tu_load("resolvers.www.expired.test");
	json_t *j = ev_to_json(ev);
	evidence_t *ev2 = NULL;
	char err[256];
	assert_int_equal(ev_from_json(j, &ev2, err, sizeof(err)), 0);
	assert_int_equal(ev2->n_resolvers, ev->n_resolvers);
	for (size_t i = 0; i < ev->n_resolvers; i++)
		for (unsigned k = 0; k < EV_RQ__COUNT; k++) {
			assert_int_equal(ev2->resolvers[i].q[k].wire_len,
					 ev->resolvers[i].q[k].wire_len);
			assert_int_equal(ev2->resolvers[i].q[k].sent_ms,
					 ev->resolvers[i].q[k].sent_ms);
		}
	/* Two queries instead of three, and a walk purpose in a resolver's place. */
	json_t *res = json_object_get(j, "resolvers");
	json_t *qs = json_object_get(json_array_get(res, 0), "queries");
	json_t *saved = json_deep_copy(json_array_get(qs, 2));
	json_array_remove(qs, 2);
	evidence_t *bad = NULL;
	assert_int_equal(ev_from_json(j, &bad, err, sizeof(err)), DD_EPARSE);
	assert_null(bad);
	json_object_set_new(saved, "purpose", json_string("dnskey"));
	json_array_append_new(qs, saved);
	assert_int_equal(ev_from_json(j, &bad, err, sizeof(err)), DD_EPARSE);
	assert_non_null(strstr(err, "does not belong"));
	json_decref(j);
	ev_free(ev2);
	ev_free(ev);
}

/* The crypto self-test passes here and can fail; an algorithm it cannot
 * verify makes the verdict indeterminate (EDE 5), never bogus. */
static void test_crypto_selftest(void **state)
{
	(void)state;
	an_policy_t pol;
	an_policy_default(&pol);
	an_crypto_selftest(pol.alg_verifies);
	static const unsigned algs[] = {5, 7, 8, 10, 13, 14, 15, 16};
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!pol.alg_verifies[algs[i]])
			fail_msg("the self-test cannot verify algorithm %u", algs[i]);
	assert_false(pol.alg_verifies[1]);
	assert_true(an_crypto_selftest_corrupt_one());
	pol.selftest_done = true;
	pol.alg_verifies[13] = false;
	evidence_t *ev = tu_load("www.good13.test");
	an_result_t *r = NULL;
	assert_int_equal(an_analyse(ev, ev->probed_at, &pol, NULL, &r), 0);
	assert_int_equal(r->status, AN_INDETERMINATE);
	assert_int_equal(r->n_ede, 1);
	assert_int_equal(r->ede[0], 5);
	assert_non_null(find(r, AN_F_CRYPTO_UNAVAILABLE));
	assert_int_equal(an_exit_code(r), 3);
	an_result_free(r);
	ev_free(ev);
	assert_true(an_alg_allowed(8) && an_alg_allowed(13) && an_alg_allowed(5));
	assert_false(an_alg_allowed(1) || an_alg_allowed(3) || an_alg_allowed(6) ||
		     an_alg_allowed(12) || an_alg_allowed(253));
	assert_true(an_digest_supported(2) && an_digest_supported(1) && an_digest_supported(4));
	assert_false(an_digest_supported(3) || an_digest_supported(0) || an_digest_supported(200));
}

/* A wildcard answer is secure with its NSEC3 proof, bogus without it. */
static void test_wildcard_proof(void **state)
{
	(void)state;
	evidence_t *ev = tu_load("foo.wild.test");
	an_result_t *r = run(ev, 0);
	assert_int_equal(r->status, AN_SECURE);
	an_result_free(r);
	size_t stripped = 0;
	for (size_t i = 0; i < ev->n_xs; i++) {
		ev_exchange_t *x = &ev->xs[i];
		ldns_pkt *pkt = NULL;
		if (x->purpose != EV_P_ANSWER || !x->wire ||
		    ldns_wire2pkt(&pkt, x->wire, x->wire_len) != LDNS_STATUS_OK)
			continue;
		ldns_rr_list_deep_free(ldns_pkt_authority(pkt));
		ldns_pkt_set_authority(pkt, ldns_rr_list_new());
		ldns_pkt_set_nscount(pkt, 0);
		uint8_t *w = NULL;
		size_t wl = 0;
		assert_int_equal(ldns_pkt2wire(&w, pkt, &wl), LDNS_STATUS_OK);
		free(x->wire);
		x->wire = w;
		x->wire_len = wl;
		ldns_pkt_free(pkt);
		stripped++;
	}
	assert_true(stripped >= 2);
	r = run(ev, 0);
	assert_int_equal(r->status, AN_BOGUS);
	assert_string_equal(r->broken_zone, "wild.test.");
	assert_int_equal(r->ede[0], 12);
	assert_non_null(find(r, AN_F_WILDCARD_PROOF_MISSING));
	an_result_free(r);
	ev_free(ev);
}

/* DNSKEY answers too large for UDP from servers whose TCP fails. */
static void test_tcp_failure(void **state)
{
	(void)state;
	for (int all = 0; all < 2; all++) {
		evidence_t *ev = tu_load("www.good13.test");
		unsigned n = 0;
		for (size_t i = 0; i < ev->n_xs; i++) {
			ev_exchange_t *x = &ev->xs[i];
			if (x->purpose != EV_P_DNSKEY || strcmp(x->zone, "good13.test.") != 0 ||
			    (!all && n))
				continue;
			free(x->wire);
			x->wire = NULL;
			x->wire_len = 0;
			x->err = DD_ETCP;
			x->udp_truncated = true;
			n++;
		}
		assert_true(n >= 1);
		an_result_t *r = run(ev, 0);
		assert_non_null(find(r, AN_F_SERVER_NO_TCP));
		if (all) {
			assert_int_equal(r->status, AN_UNREACHABLE);
			assert_int_equal(r->ede[0], 22);
			assert_string_equal(r->broken_zone, "good13.test.");
		} else {
			assert_int_equal(r->status, AN_SECURE);
			assert_int_equal(an_exit_code(r), 1);
		}
		an_result_free(r);
		ev_free(ev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdict_table),
	    cmocka_unit_test(test_stale_names_only_failing_server),
	    cmocka_unit_test(test_at_time_moves_verdict),
	    cmocka_unit_test(test_foreign_anchor_breaks_root),
	    cmocka_unit_test(test_evidence_roundtrip),
	    cmocka_unit_test(test_report_json),
	    cmocka_unit_test(test_mutated_wire),
	    cmocka_unit_test(test_evidence_rejects),
	    cmocka_unit_test(test_resolver_view),
	    cmocka_unit_test(test_resolver_evidence),
	    cmocka_unit_test(test_crypto_selftest),
	    cmocka_unit_test(test_wildcard_proof),
	    cmocka_unit_test(test_tcp_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
