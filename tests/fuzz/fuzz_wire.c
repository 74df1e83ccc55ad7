/* fuzz_wire -- libFuzzer target: a DNS response as it arrives from a server.
 *
 * The bytes go through the pre-pass (dd_wire_check), the cursor's name
 * reader, and, when the pre-pass accepts them, ldns_wire2pkt and a print of
 * every record: what the probe and the analyser do with an accepted answer.
 * The pre-pass must never accept what ldns then reads out of bounds.
 *
 * Records are printed one by one (ldns_rr2str), as the analyser does, never
 * the whole packet: ldns 1.8.3's ldns_pkt2str() dereferences NULL on an EDNS
 * CHAIN option (code 13) that is not a valid name (regress/wire/
 * ldns-pkt2str-edns-chain, found by this target). Nothing of ours may call
 * ldns_pkt2str() on a server's bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <ldns/ldns.h>

#include "common/dd.h"
#include "common/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dd_wire_summary_t sum;
	const char *why = NULL;
	int r = dd_wire_check(data, size, &sum, &why);

	/* Names anywhere in the buffer: the cursor alone must stay in bounds. */
	dd_cursor_t c;
	dd_cursor_init(&c, data, size);
	dd_cursor_skip(&c, size > 12 ? 12 : size);
	uint8_t name[255];
	size_t nlen = 0;
	dd_cursor_name(&c, name, &nlen);
	if (!c.err) {
		char text[1024];
		dd_name_to_text(name, nlen, text);
		uint8_t back[255];
		size_t blen = 0;
		if (dd_name_from_text(text, back, &blen, &why) != 0 ||
		    !dd_name_equal(name, nlen, back, blen))
			abort(); /* presentation text must read back to the same name */
	}
	if (r != 0)
		return 0;
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, data, size) == LDNS_STATUS_OK && pkt) {
		ldns_rr_list *secs[] = {ldns_pkt_question(pkt), ldns_pkt_answer(pkt),
					ldns_pkt_authority(pkt), ldns_pkt_additional(pkt)};
		for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
			for (size_t k = 0; k < ldns_rr_list_rr_count(secs[i]); k++)
				free(ldns_rr2str(ldns_rr_list_rr(secs[i], k)));
		ldns_pkt_free(pkt);
	}
	return 0;
}
