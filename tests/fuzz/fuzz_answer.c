/* fuzz_answer -- libFuzzer target: one server's answer, inside real evidence.
 *
 * The evidence of a healthy check (www.good13.test, with its DNSKEY, DS,
 * NS, SOA and answer exchanges; one server per zone: answer-template.json)
 * is loaded once; each input replaces the
 * bytes of one exchange (the first input byte picks which) and the whole
 * analysis and both reports run over it. This reaches what a hostile server
 * controls (keys, signatures, denial proofs, referrals) with everything
 * around it intact, which the JSON-level target rarely does.
 *
 * Speed is coverage here, so only the replaced message is new work: the
 * template's other messages are parsed once and lent to every analysis (as
 * the probe lends its parsed messages: marked checked, read only), and
 * signature results live in one verification cache for the whole run (keyed
 * by the exact bytes verified, so a replaced RRset is always verified anew).
 * The replaced message meets the pre-pass and the parser like any answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyse/analyse.h"
#include "common/wire.h"
#include "report/report.h"
#include "fuzz_evidence.h"

#ifndef FUZZ_TEMPLATE
#define FUZZ_TEMPLATE "tests/fuzz/answer-template.json"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static evidence_t *tmpl;
static an_policy_t policy;
static FILE *devnull;

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
	/* Parse the template's messages once (they are healthy: the pre-pass
	 * and ldns accept them); the analysis borrows them read-only. */
	for (size_t i = 0; i < ev->n_xs; i++) {
		ev_exchange_t *x = &ev->xs[i];
		ldns_pkt *pkt = NULL;
		if (x->err || !x->wire || dd_wire_check(x->wire, x->wire_len, NULL, NULL) != 0 ||
		    ldns_wire2pkt(&pkt, x->wire, x->wire_len) != LDNS_STATUS_OK)
			continue;
		x->parsed = pkt;
		x->wire_checked = true;
	}
	an_policy_default(&policy);
	policy.vcache = an_vcache_new(4096);
	devnull = fopen("/dev/null", "w");
	return ev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!tmpl)
		tmpl = load_template();
	if (size < 1)
		return 0;
	ev_exchange_t *x = &tmpl->xs[data[0] % tmpl->n_xs];
	ev_exchange_t saved = *x;
	/* The replacement: unparsed, unchecked, as an evidence file brings it. */
	x->wire = (uint8_t *)(data + 1);
	x->wire_len = size - 1;
	x->err = size > 1 ? 0 : saved.err;
	x->parsed = NULL;
	x->wire_checked = false;
	x->cached = false;
	if (size == 1)
		x->wire = NULL;

	an_result_t *res = NULL;
	if (an_analyse(tmpl, tmpl->probed_at, &policy, NULL, &res) == 0) {
		json_t *j = rep_json(res, tmpl);
		free(j ? json_dumps(j, JSON_SORT_KEYS) : NULL);
		json_decref(j);
		if (devnull)
			rep_text(devnull, res, tmpl, false);
		an_result_free(res);
	}
	*x = saved;
	return 0;
}
