/* fuzz_evidence -- libFuzzer target: a saved evidence file (`analyse FILE`).
 *
 * JSON text -> jansson -> ev_from_json (the strict loader). What loads must
 * serialise again, and the result must load again (round trip).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	evidence_t *ev = fuzz_load_evidence(data, size);
	if (!ev)
		return 0;
	json_t *again = ev_to_json(ev);
	evidence_t *ev2 = NULL;
	char err[300];
	if (!again || ev_from_json(again, &ev2, err, sizeof(err)) != 0)
		abort(); /* what we loaded we must be able to save and load again */
	ev_free(ev2);
	json_decref(again);
	ev_free(ev);
	return 0;
}
