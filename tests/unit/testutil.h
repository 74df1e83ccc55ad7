/* Shared by the unit tests: saved evidence from tests/unit/evidence, analysed at
 * the time it was probed (or `at`). Include after <cmocka.h>. */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "analyse/analyse.h"
#include "evidence/evidence.h"

/* Evidence file `name` of folder `dir` (relative to the source root). */
static inline evidence_t *tu_load_from(const char *dir, const char *name)
{
	char path[1024];
	const char *root = getenv("DD_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/%s/%s.json", root ? root : ".", dir, name);
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);
	assert_non_null(j);
	evidence_t *ev = NULL;
	char err[256];
	assert_int_equal(ev_from_json(j, &ev, err, sizeof(err)), 0);
	json_decref(j);
	return ev;
}

static inline evidence_t *tu_load(const char *name)
{
	return tu_load_from("tests/unit/evidence", name);
}

/* The golden tests' evidence (tests/golden/evidence: every test-world case, "www.x.test_A"). */
static inline evidence_t *tu_load_golden(const char *name)
{
	return tu_load_from("tests/golden/evidence", name);
}

static inline an_result_t *tu_analyse(const evidence_t *ev, int64_t at)
{
	an_result_t *r = NULL;
	an_policy_t pol;
	an_policy_default(&pol);
	assert_int_equal(an_analyse(ev, at ? at : ev->probed_at, &pol, NULL, &r), 0);
	return r;
}
