/* dnsmsg.h -- shared by the test world's fake servers (fakedns, hostiled):
 * the question of a plain query and an empty answer built from it.
 * These servers only read queries from the tool under test; they still
 * check every length before they touch a byte.
 */
#pragma once

#include <stddef.h>
#include <string.h>

#define DNSMSG_MAX 65535

/* Length of the question section (one question) after the 12-octet header,
 * or 0 when the query is not a plain one-question query. */
static size_t question_len(const unsigned char *q, size_t len)
{
	size_t p = 12;
	if (len < 12 || q[4] != 0 || q[5] != 1)
		return 0;
	while (p < len && q[p] != 0) {
		if (q[p] > 63)
			return 0;
		p += (size_t)q[p] + 1;
	}
	if (p + 5 > len)
		return 0;
	return p + 5 - 12;
}

/* An empty NOERROR answer to `q` (header and question only) in `out`
 * (`cap` octets); returns its length, or 0 when `q` is not a plain query. */
static size_t make_answer(const unsigned char *q, size_t qlen, unsigned char *out, size_t cap)
{
	size_t ql = question_len(q, qlen);
	if (ql == 0 || 12 + ql > cap)
		return 0;
	memcpy(out, q, 12 + ql);
	out[2] = (unsigned char)(0x80 | (q[2] & 0x01)); /* QR, opcode 0, RD copied */
	out[3] = 0x80;					/* RA, rcode NOERROR */
	out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
	return 12 + ql;
}
