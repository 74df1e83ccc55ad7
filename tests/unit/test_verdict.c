/* The verdict (src/analyse/verdict.c): never secure about data that was not validated. */
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

/* www.good13.test. A with every answer to the question itself lost (timeouts): the
 * keys all check out, but the name's data was never seen, so no verdict. */
static void test_no_answer_judged(void **state)
{
	char path[1024];
	const char *root = getenv("DD_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/tests/golden/evidence/www.good13.test_A.json",
		 root ? root : ".");
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);
	assert_non_null(j);
	size_t i, n = 0;
	json_t *x;
	json_array_foreach(json_object_get(j, "exchanges"), i, x)
	{
		if (strcmp(json_string_value(json_object_get(x, "purpose")), "answer") != 0)
			continue;
		json_object_set_new(x, "error", json_string("timeout"));
		json_object_set_new(x, "wire", json_null());
		n++;
	}
	assert_true(n >= 1);
	evidence_t *ev = NULL;
	char err[256];
	assert_int_equal(ev_from_json(j, &ev, err, sizeof(err)), 0);
	json_decref(j);
	an_result_t *r = tu_analyse(ev, 0);
	assert_int_equal(r->status, AN_INDETERMINATE);
	assert_int_equal(an_exit_code(r), 3);
	bool said = false;
	for (size_t k = 0; k < r->n_findings; k++)
		said |= r->findings[k].id == AN_F_CHECK_INCOMPLETE &&
			strstr(r->findings[k].summary, "usable answer");
	assert_true(said);
	an_result_free(r);
	ev_free(ev);

	/* The same evidence untouched is secure. */
	ev = tu_load_golden("www.good13.test_A");
	r = tu_analyse(ev, 0);
	assert_int_equal(r->status, AN_SECURE);
	an_result_free(r);
	ev_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_answer_judged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
