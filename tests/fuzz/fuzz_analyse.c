/* fuzz_analyse -- libFuzzer target: analysis of arbitrary evidence.
 *
 * Evidence that the strict loader accepts (JSON) is analysed at its own
 * probe time, with the resolver view, and rendered as JSON and text: the
 * whole `dnssec-doctor analyse FILE` path after loading. The analyser reads
 * server bytes (base64 "wire" fields) that nobody has checked before.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyse/analyse.h"
#include "report/report.h"
#include "fuzz_evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	evidence_t *ev = fuzz_load_evidence(data, size);
	if (!ev)
		return 0;
	an_policy_t policy = {.warn_days = 7};
	an_result_t *res = NULL;
	if (an_analyse(ev, ev->probed_at, &policy, NULL, &res) == 0) {
		json_t *j = rep_json(res, ev);
		char *s = j ? json_dumps(j, JSON_SORT_KEYS) : NULL;
		free(s);
		json_decref(j);
		FILE *devnull = fopen("/dev/null", "w");
		if (devnull) {
			rep_text(devnull, res, ev, false);
			fclose(devnull);
		}
		(void)an_exit_code(res);
		an_result_free(res);
	}
	ev_free(ev);
	return 0;
}
