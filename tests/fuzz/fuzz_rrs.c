/* fuzz_rrs -- libFuzzer target: --trust-anchor and --root-hints files.
 *
 * The first byte picks anchors (odd) or hints (even); the rest is the file
 * in zone-file syntax, read through dd_read_rrs_fp as the options parser does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ldns/ldns.h>

#include "cli/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool anchors = data[0] & 1;
	FILE *f = fmemopen((void *)(data + 1), size - 1, "r");
	if (!f)
		return 0;
	ldns_rr_list *l = NULL;
	char err[300];
	if (dd_read_rrs_fp(f, "fuzz", anchors ? "--trust-anchor" : "--root-hints", anchors, &l, err,
			   sizeof(err)) == 0)
		ldns_rr_list_deep_free(l);
	fclose(f);
	return 0;
}
