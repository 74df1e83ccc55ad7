/* fuzz_answer -- libFuzzer target: one server's answer, inside real evidence.
 *
 * The evidence of a healthy check (www.good13.test, with its DNSKEY, DS,
 * NS, SOA and answer exchanges) is loaded once; each input replaces the
 * bytes of one exchange (the first input byte picks which) and the whole
 * analysis and both reports run over it. This reaches what a hostile server
 * controls (keys, signatures, denial proofs, referrals) with everything
 * around it intact, which the JSON-level target rarely does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyse/analyse.h"
#include "report/report.h"
#include "fuzz_evidence.h"

#ifndef FUZZ_TEMPLATE
#define FUZZ_TEMPLATE "tests/fuzz/seeds/evidence/www.good13.test.json"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static evidence_t *tmpl;

static evidence_t *load_template(void)
{
	const char *path = getenv("DD_FUZZ_TEMPLATE") ? getenv("DD_FUZZ_TEMPLATE") : FUZZ_TEMPLATE;
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 20];
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	evidence_t *ev = fuzz_load_evidence(buf, n);
	if (!ev || !ev->n_xs) {
		fprintf(stderr, "fuzz_answer: cannot load the template evidence %s\n", path);
		abort();
	}
	return ev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!tmpl)
		tmpl = load_template();
	if (size < 1)
		return 0;
	ev_exchange_t *x = &tmpl->xs[data[0] % tmpl->n_xs];
	uint8_t *saved = x->wire;
	size_t saved_len = x->wire_len;
	int saved_err = x->err;
	x->wire = (uint8_t *)(data + 1);
	x->wire_len = size - 1;
	x->err = size > 1 ? 0 : saved_err;
	if (size == 1)
		x->wire = NULL;

	an_policy_t policy = {.warn_days = 7};
	an_result_t *res = NULL;
	if (an_analyse(tmpl, tmpl->probed_at, &policy, NULL, &res) == 0) {
		json_t *j = rep_json(res, tmpl);
		free(j ? json_dumps(j, JSON_SORT_KEYS) : NULL);
		json_decref(j);
		FILE *devnull = fopen("/dev/null", "w");
		if (devnull) {
			rep_text(devnull, res, tmpl, false);
			fclose(devnull);
		}
		an_result_free(res);
	}
	x->wire = saved;
	x->wire_len = saved_len;
	x->err = saved_err;
	return 0;
}
