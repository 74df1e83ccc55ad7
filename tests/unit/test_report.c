/* The verdict block (src/report/advice.c) and the reports built on it, on saved
 * evidence: who must act, the fix and the emergency stop fit the case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/dd.h"
#include "report/report.h"
#include "testutil.h"

typedef struct advised {
	evidence_t *ev;
	an_result_t *r;
	rep_advice_t a;
} advised_t;

static void advise(advised_t *x, const char *name)
{
	x->ev = tu_load(name);
	x->r = tu_analyse(x->ev, 0);
	assert_int_equal(rep_advice(x->r, &x->a), 0);
}

static void done(advised_t *x)
{
	rep_advice_clear(&x->a);
	an_result_free(x->r);
	ev_free(x->ev);
}

static bool contains(const char *s, const char *what)
{
	return s && strstr(s, what);
}

/* One server of two serves an expired copy: the DNS operator repairs that server; the
 * DS is right, so the registrar is not sent to change it; the stop is pulling the server. */
static void test_stale_server(void **state)
{
	advised_t x;
	advise(&x, "www.stale.test");
	assert_int_equal(x.a.who, AN_WHO_DNS_OPERATOR);
	assert_true(contains(x.a.who_text, "127.53.2.3"));
	assert_true(contains(x.a.fix, "ns3.stale.test. at 127.53.2.3"));
	assert_true(contains(x.a.fix, "do not change it"));
	assert_false(contains(x.a.who_text, "registrar"));
	assert_false(contains(x.a.fix, "registrar"));
	assert_true(contains(x.a.emergency, "out of service"));
	assert_true(contains(x.a.emergency, "Do not remove the DS"));
	assert_false(contains(x.a.verdict, "validating resolvers answer SERVFAIL"));
	assert_true(contains(x.a.verdict, "1 of the 2 server addresses"));
	assert_true(contains(x.a.urgency, "intermittently"));
	done(&x);
}

/* The TLD's DS at the root matches no key: the TLD operator acts (through IANA), the
 * user's zone is fine, and no line sends anyone to a registrar. */
static void test_broken_tld(void **state)
{
	advised_t x;
	advise(&x, "www.ok.broken");
	assert_int_equal(x.a.who, AN_WHO_TLD_OPERATOR);
	assert_false(contains(x.a.who_text, "registrar"));
	assert_false(contains(x.a.fix, "registrar"));
	assert_false(contains(x.a.emergency, "registrar"));
	assert_true(contains(x.a.who_text, "nothing needs to change in ok.broken."));
	assert_true(contains(x.a.fix, "IANA"));
	assert_true(contains(x.a.emergency, "None at your end"));
	assert_true(contains(x.a.verdict, "the TLD broken."));
	/* The findings about the TLD say so too, in JSON. */
	json_t *j = rep_json(x.r, x.ev);
	assert_non_null(j);
	size_t i;
	json_t *f;
	bool seen = false;
	json_array_foreach(json_object_get(j, "findings"), i, f)
	{
		if (strcmp(json_string_value(json_object_get(f, "zone")), "broken.") != 0 ||
		    strcmp(json_string_value(json_object_get(f, "severity")), "error") != 0)
			continue;
		seen = true;
		assert_string_equal(json_string_value(json_object_get(f, "who")), "tld-operator");
		assert_false(contains(json_string_value(json_object_get(f, "fix")), "registrar"));
	}
	assert_true(seen);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "advice"), "who")),
			    "tld-operator");
	json_decref(j);
	done(&x);
}

/* An alias into a zone with expired signatures: the target's operator fixes it, and
 * the alias's owner can repoint the CNAME at once. */
static void test_alias_into_broken_zone(void **state)
{
	advised_t x;
	advise(&x, "cname.good13.test");
	assert_int_equal(x.a.who, AN_WHO_DNS_OPERATOR);
	assert_true(contains(x.a.who_text, "expired.test."));
	assert_true(contains(x.a.emergency, "repoint the CNAME"));
	assert_true(contains(x.a.verdict, "leads (through CNAME or DNAME) into expired.test."));
	/* The answer shows the alias first, then the target's records. */
	assert_true(x.r->n_answer >= 2);
	assert_true(contains(x.r->answer[0], "\tCNAME\twww.expired.test."));
	assert_true(contains(x.r->answer[1], "\tA\t"));
	/* The alias's own servers are fine: the target's findings are not pinned on them. */
	for (size_t i = 0; i < x.r->n_servers; i++) {
		const an_server_view_t *v = &x.r->servers[i];
		if (strcmp(v->zone, "good13.test.") != 0)
			continue;
		assert_string_equal(v->status, "ok");
		assert_true(contains(v->answer, "a CNAME to www.expired.test."));
	}
	done(&x);
}

/* The plain cases: a DS that matches no key is the registrar's; a healthy name needs nobody. */
static void test_plain_cases(void **state)
{
	advised_t x;
	advise(&x, "www.kskroll.test");
	assert_int_equal(x.a.who, AN_WHO_REGISTRAR);
	assert_true(contains(x.a.who_text, "registrar (parent) of kskroll.test."));
	assert_true(contains(x.a.emergency, "remove all DS records of kskroll.test."));
	assert_true(contains(x.a.urgency, "now"));
	done(&x);
	advise(&x, "www.good13.test");
	assert_int_equal(x.a.who, AN_WHO_NONE);
	assert_null(x.a.who_text);
	assert_null(x.a.fix);
	assert_null(x.a.emergency);
	assert_null(x.a.urgency);
	assert_true(contains(x.a.verdict, "secure"));
	done(&x);
}

/* Works, with warnings: the verdict says so, and the block names who acts on the first
 * warning, its fix, and that no emergency stop is needed; JSON carries it as "action". */
static void test_secure_with_warnings(void **state)
{
	advised_t x;
	advise(&x, "www.island.test");
	assert_true(contains(x.a.verdict, "insecure, with 1 warning (SIGNED_ISLAND)"));
	assert_int_equal(x.a.who, AN_WHO_REGISTRAR);
	assert_true(contains(x.a.who_text, "island.test."));
	assert_true(contains(x.a.fix, "publish this DS at the registrar"));
	assert_true(contains(x.a.emergency, "none needed"));
	json_t *j = rep_json(x.r, x.ev);
	json_t *act = json_object_get(j, "action");
	assert_string_equal(json_string_value(json_object_get(act, "who")), "registrar");
	assert_int_equal(json_array_size(json_object_get(act, "records")), 1);
	assert_true(contains(json_string_value(json_array_get(json_object_get(act, "records"), 0)),
			     "\tDS\t"));
	json_decref(j);
	done(&x);
	/* A bogus one: the action is due now (the time it was validated at). */
	advise(&x, "www.kskroll.test");
	j = rep_json(x.r, x.ev);
	act = json_object_get(j, "action");
	assert_string_equal(json_string_value(json_object_get(act, "who")), "registrar");
	assert_string_equal(json_string_value(json_object_get(act, "deadline")),
			    json_string_value(json_object_get(j, "validated_at")));
	json_decref(j);
	done(&x);
}

/* Unreachable: who acts and the fix, and an emergency stop that says why none helps. */
static void test_unreachable_block(void **state)
{
	advised_t x;
	advise(&x, "www.alldead.test");
	assert_int_equal(x.a.who, AN_WHO_DNS_OPERATOR);
	assert_non_null(x.a.fix);
	assert_true(contains(x.a.emergency, "not a DNSSEC problem"));
	done(&x);
}

/* What counts as a TLD (whose DS is the root zone's, not a registrar's). */
static void test_name_is_tld(void **state)
{
	assert_true(dd_name_is_tld("org."));
	assert_true(dd_name_is_tld("xn--p1ai."));
	assert_true(dd_name_is_tld("a\\.b."));
	assert_false(dd_name_is_tld("."));
	assert_false(dd_name_is_tld("example.org."));
	assert_false(dd_name_is_tld("org"));
	assert_false(dd_name_is_tld(""));
}

/* The text report opens with the verdict block, before the key listings. */
static void test_text_verdict_first(void **state)
{
	advised_t x;
	advise(&x, "www.kskroll.test");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	rep_text(out, x.r, x.ev, false);
	fclose(out);
	const char *verdict = strstr(buf, "\nVerdict: bogus"),
		   *who = strstr(buf, "\nWho must act:");
	const char *fix = strstr(buf, "\nFix:"), *stop = strstr(buf, "\nEmergency stop:");
	const char *keys = strstr(buf, "3. Parent DS against child DNSKEY");
	assert_non_null(verdict);
	assert_non_null(who);
	assert_non_null(fix);
	assert_non_null(stop);
	assert_non_null(keys);
	assert_true(verdict < keys && who < keys && fix < keys && stop < keys);
	/* within the first screen */
	int line = 0;
	for (const char *p = buf; p < stop; p++)
		line += *p == '\n';
	assert_true(line < 24);
	free(buf);
	done(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stale_server),	   cmocka_unit_test(test_broken_tld),
	    cmocka_unit_test(test_alias_into_broken_zone), cmocka_unit_test(test_plain_cases),
	    cmocka_unit_test(test_text_verdict_first),	   cmocka_unit_test(test_name_is_tld),
	    cmocka_unit_test(test_secure_with_warnings),   cmocka_unit_test(test_unreachable_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
