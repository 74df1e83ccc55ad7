/* fuzz_head -- libFuzzer target: the request heads the web front reads from
 * clients (web_head_parse in src/web/front.c).
 *
 * Checks what the front relies on when it hands a head to evhttp: an accepted
 * head ends with its empty line inside the input, is decided the same way
 * when cut to its own length (the front hands over exactly those bytes), has
 * no NUL and no bare CR, and every decision is one of the statuses the front
 * answers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/front.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	web_head_t h;
	if (!web_head_parse(data, size, &h))
		return 0;
	if (h.status != 0 && h.status != 400 && h.status != 405 && h.status != 431)
		abort();
	if (h.status) {
		if (!h.why)
			abort();
		return 0;
	}
	if (h.len > size || h.skip >= h.len || data[h.len - 1] != '\n' ||
	    h.len - h.skip > WEB_HEAD_MAX)
		abort();
	for (size_t i = h.skip; i < h.len; i++)
		if (data[i] == 0 || (data[i] == '\r' && (i + 1 == h.len || data[i + 1] != '\n')))
			abort();
	web_head_t again;
	if (!web_head_parse(data, h.len, &again) || again.status != 0 || again.len != h.len ||
	    again.skip != h.skip)
		abort();
	return 0;
}
