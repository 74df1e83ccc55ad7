/* Denial of existence (src/analyse/denial.c) on saved evidence: NSEC and NSEC3 proofs,
 * wildcards, opt-out and the NSEC3 iteration limit (RFC 4035 §5.4, 5155, 9276). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/dd.h"
#include "report/report.h"
#include "testutil.h"

typedef struct denial_case {
	const char *evidence; /* tests/golden/evidence */
	an_status_t status;
	int ede;	   /* first EDE, -1 none */
	an_fid_t must;	   /* a finding that must be there, or AN_F__COUNT */
	an_fid_t must_not; /* a finding that must not, or AN_F__COUNT */
} denial_case_t;

static const denial_case_t cases[] = {
    /* NXDOMAIN proven by NSEC3 (0 iterations, no salt) and by NSEC. */
    {"nope.good13.test_A", AN_SECURE, -1, AN_F__COUNT, AN_F_DENIAL_MISSING},
    {"nope.nsec.test_A", AN_SECURE, -1, AN_F__COUNT, AN_F_DENIAL_MISSING},
    /* NODATA by NSEC. */
    {"www.nsec.test_TXT", AN_SECURE, -1, AN_F__COUNT, AN_F_DENIAL_MISSING},
    /* A wildcard answer with its NSEC3 proof that no closer name exists. */
    {"foo.wild.test_A", AN_SECURE, -1, AN_F__COUNT, AN_F_WILDCARD_PROOF_MISSING},
    /* NSEC3 above the iteration limit: insecure (EDE 27), for a denial and for a wildcard alike. */
    {"nope.nsec3iter.test_A", AN_INSECURE, 27, AN_F_NSEC3_ITERATIONS_INSECURE, AN_F_DENIAL_MISSING},
    {"foo.wilditer.test_A", AN_INSECURE, 27, AN_F_NSEC3_ITERATIONS_INSECURE,
     AN_F_WILDCARD_PROOF_MISSING},
    /* Iterations and salt below the limit: works, a warning. */
    {"nope.nsec3salt.test_A", AN_SECURE, -1, AN_F_NSEC3_PARAMETERS, AN_F_NSEC3_ITERATIONS_INSECURE},
    /* NXDOMAIN in an opt-out span: insecure without an EDE (RFC 5155 §9.2). */
    {"nope.optout.test_A", AN_INSECURE, -1, AN_F_NSEC3_OPT_OUT, AN_F_DENIAL_MISSING},
};

static bool has(const an_result_t *r, an_fid_t id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].id == id)
			return true;
	return false;
}

static void test_denial_cases(void **state)
{
	for (size_t i = 0; i < DD_ARRAY_LEN(cases); i++) {
		const denial_case_t *k = &cases[i];
		evidence_t *ev = tu_load_golden(k->evidence);
		an_result_t *r = tu_analyse(ev, 0);
		if (r->status != k->status)
			fail_msg("%s: status %s, want %s", k->evidence, an_status_name(r->status),
				 an_status_name(k->status));
		if (k->ede < 0)
			assert_int_equal(r->n_ede, 0);
		else if (r->n_ede == 0 || r->ede[0] != k->ede)
			fail_msg("%s: first EDE %d, want %d", k->evidence,
				 r->n_ede ? r->ede[0] : -1, k->ede);
		if (k->must != AN_F__COUNT && !has(r, k->must))
			fail_msg("%s: %s missing", k->evidence, an_finding_def(k->must)->id);
		if (k->must_not != AN_F__COUNT && has(r, k->must_not))
			fail_msg("%s: %s present", k->evidence, an_finding_def(k->must_not)->id);
		an_result_free(r);
		ev_free(ev);
	}
}

/* An NXDOMAIN without its proof: bogus (EDE 12) at the zone, but the zone's keys are
 * fine: its link holds, the answer fails, and the verdict says which proof is missing. */
static void test_missing_proof(void **state)
{
	evidence_t *ev = tu_load_golden("nope.nodenial.test_A");
	an_result_t *r = tu_analyse(ev, 0);
	assert_int_equal(r->status, AN_BOGUS);
	assert_int_equal(r->ede[0], 12);
	assert_string_equal(r->broken_zone, "nodenial.test.");
	assert_true(has(r, AN_F_DENIAL_MISSING));
	bool seen = false;
	for (size_t i = 0; i < r->n_chain; i++)
		if (strcmp(r->chain[i].zone, "nodenial.test.") == 0) {
			seen = true;
			assert_int_equal(r->chain[i].status, AN_SECURE);
		}
	assert_true(seen);
	rep_advice_t a;
	assert_int_equal(rep_advice(r, &a), 0);
	assert_non_null(strstr(a.verdict, "the proof that nope.nodenial.test. does not exist"));
	assert_non_null(strstr(a.verdict, "the keys of nodenial.test. are fine"));
	assert_null(strstr(a.verdict, "chain of trust breaks"));
	rep_advice_clear(&a);
	an_result_free(r);
	ev_free(ev);
}

/* One server's NSEC3 records rewritten to 65535 iterations (their signatures no longer
 * verify), the other server's proof intact: that copy is bogus at that server, not a reason
 * to call the denial insecure (found by the mutation-fuzzing server, seed 237). */
static void test_forged_iterations(void **state)
{
	(void)state;
	evidence_t *ev = tu_load_golden("nope.good13.test_A");
	const char *victim = NULL;
	size_t changed = 0;
	for (size_t i = 0; i < ev->n_xs; i++) {
		ev_exchange_t *x = &ev->xs[i];
		if (x->purpose != EV_P_ANSWER || !x->wire ||
		    strcmp(x->qname, "nope.good13.test.") != 0)
			continue;
		if (!victim)
			victim = x->server;
		if (strcmp(x->server, victim) != 0)
			continue;
		/* TYPE NSEC3, CLASS IN, TTL, RDLENGTH, then hash 1, flags, iterations. */
		for (size_t p = 0; p + 14 <= x->wire_len; p++)
			if (x->wire[p] == 0 && x->wire[p + 1] == 50 && x->wire[p + 2] == 0 &&
			    x->wire[p + 3] == 1 && x->wire[p + 10] == 1) {
				x->wire[p + 12] = 0xff;
				x->wire[p + 13] = 0xff;
				changed++;
			}
	}
	assert_non_null(victim);
	assert_true(changed > 0);
	an_result_t *r = tu_analyse(ev, 0);
	assert_int_equal(r->status, AN_BOGUS);
	assert_false(has(r, AN_F_NSEC3_ITERATIONS_INSECURE));
	bool blamed = false;
	for (size_t i = 0; i < r->n_findings; i++)
		for (size_t j = 0; an_finding_def(r->findings[i].id)->severity == AN_ERROR &&
				   j < r->findings[i].n_servers;
		     j++)
			blamed |= strcmp(r->findings[i].servers[j], victim) == 0;
	assert_true(blamed);
	an_result_free(r);
	ev_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_denial_cases),
	    cmocka_unit_test(test_missing_proof),
	    cmocka_unit_test(test_forged_iterations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
