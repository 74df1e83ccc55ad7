/* The resolver view (src/analyse/resolvers.c): is it DNSSEC? On saved evidence, with
 * the resolvers' answers edited into the mixes that real resolvers give. */
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
#include "testutil.h"

/* The evidence of `name` with resolver query `ri`/`qi` turned into a timeout. */
static evidence_t *with_timeout(const char *name, size_t ri, size_t qi)
{
	char path[1024];
	const char *root = getenv("DD_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/tests/unit/evidence/%s.json", root ? root : ".", name);
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);
	assert_non_null(j);
	json_t *q = json_array_get(
	    json_object_get(json_array_get(json_object_get(j, "resolvers"), ri), "queries"), qi);
	assert_non_null(q);
	json_object_set_new(q, "error", json_string("timeout"));
	json_object_set_new(q, "wire", json_null());
	json_object_set_new(q, "tries", json_integer(2));
	evidence_t *ev = NULL;
	char err[256];
	assert_int_equal(ev_from_json(j, &ev, err, sizeof(err)), 0);
	json_decref(j);
	return ev;
}

/* No server of the zone answers; the resolvers answer SERVFAIL or time out (a validating
 * resolver still retrying dead servers), with +cd as without: not DNSSEC, not "unknown". */
static void test_dead_zone_slow_resolvers(void **state)
{
	for (size_t qi = 0; qi < 2; qi++) {
		evidence_t *ev = with_timeout("resolvers.www.alldead.test", 0, qi);
		an_result_t *r = tu_analyse(ev, 0);
		assert_int_equal(r->status, AN_UNREACHABLE);
		assert_int_equal(r->diagnosis, AN_DIAG_NOT_DNSSEC);
		assert_non_null(strstr(r->diagnosis_text, "10 s or more"));
		bool said = false;
		for (size_t i = 0; i < r->n_resolvers; i++) {
			const char *e = qi ? r->resolvers[i].error_cd : r->resolvers[i].error;
			said |= e && strstr(e, "still retrying dead name servers") != NULL;
		}
		assert_true(said);
		an_result_free(r);
		ev_free(ev);
	}
}

/* The plain cases keep their diagnosis. */
static void test_diagnoses(void **state)
{
	static const struct {
		const char *name;
		an_diagnosis_t d;
	} cases[] = {
	    {"resolvers.www.expired.test", AN_DIAG_DNSSEC},
	    {"resolvers.www.good13.test", AN_DIAG_NONE},
	    {"resolvers.www.alldead.test", AN_DIAG_NOT_DNSSEC},
	    {"resolvers.www.stale.test", AN_DIAG_INTERMITTENT},
	};
	for (size_t i = 0; i < DD_ARRAY_LEN(cases); i++) {
		evidence_t *ev = tu_load(cases[i].name);
		an_result_t *r = tu_analyse(ev, 0);
		if (r->diagnosis != cases[i].d)
			fail_msg("%s: diagnosis %s, want %s", cases[i].name,
				 an_diagnosis_name(r->diagnosis), an_diagnosis_name(cases[i].d));
		an_result_free(r);
		ev_free(ev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dead_zone_slow_resolvers),
	    cmocka_unit_test(test_diagnoses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
