/*
 * test_wire.c — the bounds-checked cursor, names and the message pre-pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/dd.h"
#include "common/wire.h"
#include <ldns/ldns.h>
#include "common/msg.h"

/* ---- a tiny message builder -------------------------------------------- */

struct mb {
	uint8_t b[4096];
	size_t n;
};

static void mb_u8(struct mb *m, uint8_t v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = v;
}

static void mb_u16(struct mb *m, uint16_t v)
{
	mb_u8(m, (uint8_t)(v >> 8));
	mb_u8(m, (uint8_t)v);
}

static void mb_u32(struct mb *m, uint32_t v)
{
	mb_u16(m, (uint16_t)(v >> 16));
	mb_u16(m, (uint16_t)v);
}

static void mb_bytes(struct mb *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void mb_hdr(struct mb *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
		   uint16_t ar)
{
	mb_u16(m, id);
	mb_u16(m, flags);
	mb_u16(m, qd);
	mb_u16(m, an);
	mb_u16(m, ns);
	mb_u16(m, ar);
}

/* "\7example\3com\0" */
static const uint8_t EXAMPLE_COM[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};

/* ---- cursor ------------------------------------------------------------ */

static void test_cursor_sticky(void **state)
{
	const uint8_t buf[] = {0x12, 0x34, 0x56};
	dd_cursor_t c;
	dd_cursor_init(&c, buf, sizeof(buf));
	assert_int_equal(dd_cursor_u16(&c), 0x1234);
	assert_int_equal(dd_cursor_left(&c), 1);
	assert_int_equal(dd_cursor_u32(&c), 0); /* overflow */
	assert_int_equal(c.err, DD_EMALFORMED);
	assert_int_equal(dd_cursor_u8(&c), 0); /* sticky: no-op even though 1 byte left */
	assert_int_equal(dd_cursor_left(&c), 0);
	dd_cursor_skip(&c, 1);
	assert_int_equal(c.err, DD_EMALFORMED);
}

/* ---- names on the wire -------------------------------------------------- */

static void read_name(const uint8_t *buf, size_t len, size_t at, int *err, uint8_t out[255],
		      size_t *out_len, size_t *end)
{
	dd_cursor_t c;
	dd_cursor_init(&c, buf, len);
	dd_cursor_skip(&c, at);
	dd_cursor_name(&c, out, out_len);
	*err = c.err;
	*end = c.pos;
}

static void test_name_compression(void **state)
{
	/* 0: example.com  13: www + ptr 0  19: ptr 13 */
	struct mb m = {0};
	mb_bytes(&m, EXAMPLE_COM, sizeof(EXAMPLE_COM));
	mb_bytes(&m, "\3WwW", 4);
	mb_u16(&m, 0xC000);
	mb_u16(&m, 0xC00D);
	uint8_t out[255];
	size_t olen, end;
	int err;

	read_name(m.b, m.n, 13, &err, out, &olen, &end);
	assert_int_equal(err, 0);
	assert_int_equal(end, 19);
	assert_int_equal(olen, 4 + sizeof(EXAMPLE_COM));
	assert_memory_equal(out, "\3www", 4); /* lower-cased */
	assert_memory_equal(out + 4, EXAMPLE_COM, sizeof(EXAMPLE_COM));

	read_name(m.b, m.n, 19, &err, out, &olen, &end);
	assert_int_equal(err, 0);
	assert_int_equal(end, 21);
	assert_int_equal(olen, 4 + sizeof(EXAMPLE_COM));
}

static void test_name_loop_and_forward(void **state)
{
	uint8_t out[255];
	size_t olen, end;
	int err;

	/* pointer to itself */
	const uint8_t self[] = {0xC0, 0x00};
	read_name(self, sizeof(self), 0, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);

	/* label then pointer back to the label: a loop through "backwards" */
	const uint8_t loop[] = {1, 'a', 0xC0, 0x00};
	read_name(loop, sizeof(loop), 0, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);

	/* two pointers pointing at each other */
	const uint8_t pingpong[] = {0xC0, 0x02, 0xC0, 0x00};
	read_name(pingpong, sizeof(pingpong), 2, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);

	/* forward pointer */
	const uint8_t fwd[] = {0xC0, 0x02, 0};
	read_name(fwd, sizeof(fwd), 0, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);

	/* pointer past the end */
	const uint8_t past[] = {0, 0xC0, 0x30};
	read_name(past, sizeof(past), 1, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);

	/* label types 0x40 and 0x80 */
	const uint8_t ext[] = {0x41, 0};
	read_name(ext, sizeof(ext), 0, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);
	const uint8_t res[] = {0x81, 0};
	read_name(res, sizeof(res), 0, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);

	/* cut short */
	const uint8_t cut[] = {3, 'a', 'b'};
	read_name(cut, sizeof(cut), 0, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);

	/* NULL out only skips */
	dd_cursor_t c;
	dd_cursor_init(&c, EXAMPLE_COM, sizeof(EXAMPLE_COM));
	dd_cursor_name(&c, NULL, NULL);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.pos, sizeof(EXAMPLE_COM));
}

static void test_name_limits_wire(void **state)
{
	uint8_t buf[600];
	uint8_t out[255];
	size_t olen, end;
	int err;

	/* 63-octet label fine, 64 is a reserved label type (0x40) */
	memset(buf, 'a', sizeof(buf));
	buf[0] = 63;
	buf[64] = 0;
	read_name(buf, 65, 0, &err, out, &olen, &end);
	assert_int_equal(err, 0);
	assert_int_equal(olen, 65);
	buf[0] = 64;
	buf[65] = 0;
	read_name(buf, 66, 0, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);

	/* 255 octets: 3 x (1+62) + (1+61) + 1 = 189+62+1+... build exactly */
	size_t n = 0;
	for (int i = 0; i < 3; i++) {
		buf[n++] = 63;
		memset(buf + n, 'b', 63);
		n += 63;
	}
	buf[n++] = 61;
	memset(buf + n, 'c', 61);
	n += 61;
	buf[n++] = 0;
	assert_int_equal(n, 255);
	read_name(buf, n, 0, &err, out, &olen, &end);
	assert_int_equal(err, 0);
	assert_int_equal(olen, 255);

	/* 256 octets */
	buf[192] = 62;
	memset(buf + 193, 'c', 62);
	buf[255] = 0;
	read_name(buf, 256, 0, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);

	/* 256 octets reached only through a pointer */
	n = 0;
	for (int i = 0; i < 3; i++) {
		buf[n++] = 63;
		memset(buf + n, 'd', 63);
		n += 63;
	}
	buf[n++] = 0; /* 193-octet name at 0 */
	size_t second = n;
	buf[n++] = 62;
	memset(buf + n, 'e', 62);
	n += 62;
	buf[n++] = 0xC0;
	buf[n++] = 0x00;
	read_name(buf, n, second, &err, out, &olen, &end);
	assert_int_equal(err, DD_EMALFORMED);
	buf[second] = 61; /* now 62 + 193 = 255 */
	memmove(buf + second + 62, buf + second + 63, 2);
	read_name(buf, n - 1, second, &err, out, &olen, &end);
	assert_int_equal(err, 0);
	assert_int_equal(olen, 255);
}

/* ---- names as text ------------------------------------------------------ */

static void test_name_text(void **state)
{
	uint8_t out[255];
	size_t olen;
	const char *why = NULL;
	char text[1024];

	assert_int_equal(dd_name_from_text(".", out, &olen, &why), 0);
	assert_int_equal(olen, 1);
	assert_int_equal(out[0], 0);
	dd_name_to_text(out, olen, text);
	assert_string_equal(text, ".");

	assert_int_equal(dd_name_from_text("Example.COM", out, &olen, &why), 0);
	assert_int_equal(olen, sizeof(EXAMPLE_COM));
	assert_memory_equal(out, EXAMPLE_COM, olen);
	assert_int_equal(dd_name_from_text("example.com.", out, &olen, &why), 0);
	assert_memory_equal(out, EXAMPLE_COM, olen);
	dd_name_to_text(out, olen, text);
	assert_string_equal(text, "example.com.");

	/* escapes */
	assert_int_equal(dd_name_from_text("a\\.b.c", out, &olen, &why), 0);
	assert_int_equal(olen, 1 + 3 + 1 + 1 + 1);
	assert_memory_equal(out, "\3a.b\1c\0", olen);
	dd_name_to_text(out, olen, text);
	assert_string_equal(text, "a\\.b.c.");

	assert_int_equal(dd_name_from_text("\\000\\255\\065\\\\.x", out, &olen, &why), 0);
	assert_memory_equal(out, "\4\0\377a\\\1x\0", olen);
	dd_name_to_text(out, olen, text);
	assert_string_equal(text, "\\000\\255a\\\\.x.");
	assert_int_equal(dd_name_from_text(text, out, &olen, &why), 0); /* round trip */
	assert_memory_equal(out, "\4\0\377a\\\1x\0", olen);

	/* rejects */
	const char *bad[] = {"", "a..b", ".a", "..", "a\\25", "a\\256", "a\\", "a\\2x5"};
	for (size_t i = 0; i < DD_ARRAY_LEN(bad); i++) {
		why = NULL;
		assert_int_equal(dd_name_from_text(bad[i], out, &olen, &why), DD_EINVAL);
		assert_non_null(why);
	}
}

/* Every octet, in a label, is printed as ldns prints it (then lower-cased):
 * names from either side are compared as strings. */
static void test_name_text_like_ldns(void **state)
{
	for (unsigned ch = 0; ch < 256; ch++) {
		uint8_t wire[] = {3, 'a', (uint8_t)ch, 'Z', 4, 't', 'e', 's', 't', 0};
		char ours[1024];
		dd_name_to_text(wire, sizeof(wire), ours);
		ldns_rdf *r = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, sizeof(wire), wire);
		assert_non_null(r);
		char *theirs = ldns_rdf2str(r);
		assert_non_null(theirs);
		for (char *p = theirs; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		assert_string_equal(ours, theirs);
		uint8_t back[255];
		size_t bl;
		const char *why;
		assert_int_equal(dd_name_from_text(ours, back, &bl, &why), 0);
		wire[3] = 'z';
		if (ch >= 'A' && ch <= 'Z')
			wire[2] = (uint8_t)(ch + 32);
		assert_memory_equal(back, wire, sizeof(wire));
		free(theirs);
		ldns_rdf_deep_free(r);
	}
}

/* DS text made by hand equals ldns's, owner case and escapes included. */
static void test_ds_text_like_ldns(void **state)
{
	const char *recs[] = {
	    "big. 3600 IN DS 54362 13 2 "
	    "A0FEBFF7BA6077CDDB944120AA1AF438359568D857D59AF1F0AEE086975BA1CA",
	    "Mixed.Case.Example. 0 IN DS 1 8 1 00ff",
	    "a\\;b\\(c\\).x\\032y.test. 4294967295 IN DS 65535 14 4 "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345"
	    "6789abcdef",
	    ". 86400 IN DS 20326 8 2 "
	    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
	};
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		ldns_rr *rr = NULL;
		assert_int_equal(ldns_rr_new_frm_str(&rr, recs[i], 0, NULL, NULL), LDNS_STATUS_OK);
		char *theirs = ldns_rr2str(rr);
		assert_non_null(theirs);
		theirs[strcspn(theirs, "\n")] = '\0';
		char *ours = dd_ds_text(rr);
		assert_non_null(ours);
		assert_string_equal(ours, theirs);
		free(ours);
		free(theirs);
		ldns_rr_free(rr);
	}
	/* Not a DS: left to ldns. */
	ldns_rr *a = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&a, "x. 1 IN A 192.0.2.1", 0, NULL, NULL),
			 LDNS_STATUS_OK);
	assert_null(dd_ds_text(a));
	ldns_rr_free(a);
}

static void test_name_text_limits(void **state)
{
	char text[600];
	uint8_t out[255];
	size_t olen;
	const char *why;

	memset(text, 'a', 63);
	strcpy(text + 63, ".com");
	assert_int_equal(dd_name_from_text(text, out, &olen, &why), 0);
	assert_int_equal(olen, 1 + 63 + 4 + 1);
	memset(text, 'a', 64);
	strcpy(text + 64, ".com");
	assert_int_equal(dd_name_from_text(text, out, &olen, &why), DD_EINVAL);

	/* 255 wire octets: 3 labels of 63 + one of 61 */
	size_t n = 0;
	for (int i = 0; i < 3; i++) {
		memset(text + n, 'b', 63);
		n += 63;
		text[n++] = '.';
	}
	memset(text + n, 'c', 61);
	n += 61;
	text[n] = '\0';
	assert_int_equal(dd_name_from_text(text, out, &olen, &why), 0);
	assert_int_equal(olen, 255);
	char back[1024];
	dd_name_to_text(out, olen, back);
	assert_int_equal(strlen(back), n + 1);
	/* one more octet: 256 */
	text[n] = 'c';
	text[n + 1] = '\0';
	assert_int_equal(dd_name_from_text(text, out, &olen, &why), DD_EINVAL);

	/* worst-case escaping fits in 1024 */
	uint8_t wire[255];
	n = 0;
	for (int i = 0; i < 4; i++) {
		size_t l = i < 3 ? 63 : 61;
		wire[n++] = (uint8_t)l;
		memset(wire + n, 0x01, l);
		n += l;
	}
	wire[n++] = 0;
	char esc[1024];
	dd_name_to_text(wire, n, esc);
	assert_int_equal(strlen(esc), 250 * 4 + 4);
}

/* ---- whole messages ----------------------------------------------------- */

/* A response for example.com/A with one A record and an OPT with two EDEs. */
static void good_message(struct mb *m)
{
	memset(m, 0, sizeof(*m));
	mb_hdr(m, 0xBEEF, 0x8182 /* QR RD RA, rcode SERVFAIL */, 1, 1, 0, 1);
	mb_bytes(m, EXAMPLE_COM, sizeof(EXAMPLE_COM));
	mb_u16(m, 1);
	mb_u16(m, 1);
	/* answer: ptr to qname, A */
	mb_u16(m, 0xC00C);
	mb_u16(m, 1);
	mb_u16(m, 1);
	mb_u32(m, 300);
	mb_u16(m, 4);
	mb_bytes(m, "\xc0\x00\x02\x01", 4);
	/* OPT: ext rcode 1 (-> 0x12 = 18), version 0, DO */
	mb_u8(m, 0);
	mb_u16(m, 41);
	mb_u16(m, 1232);
	mb_u32(m, 0x01008000);
	const char t1[] = "DNSKEY missing \x01\xc3\xa9"; /* control char + é */
	mb_u16(m, 0);					 /* RDLENGTH, patched below */
	mb_u16(m, 15);
	mb_u16(m, (uint16_t)(2 + strlen(t1)));
	mb_u16(m, 9);
	mb_bytes(m, t1, strlen(t1));
	mb_u16(m, 10); /* some other option (EDNS cookie code, 4 bytes) */
	mb_u16(m, 2);
	mb_u16(m, 0xAAAA);
	mb_u16(m, 15);
	mb_u16(m, 2);
	mb_u16(m, 22);	   /* EDE without text */
	mb_u16(m, 0xFFFF); /* an unknown option with no data */
	mb_u16(m, 0);
	/* patch RDLENGTH: the four options above */
	size_t real = (4 + 2 + strlen(t1)) + (4 + 2) + (4 + 2) + 4;
	m->b[m->n - real - 2] = (uint8_t)(real >> 8);
	m->b[m->n - real - 1] = (uint8_t)real;
}

static void test_wire_good(void **state)
{
	struct mb m;
	good_message(&m);
	dd_wire_summary_t s;
	const char *why = "x";
	assert_int_equal(dd_wire_check(m.b, m.n, &s, &why), 0);
	assert_null(why);
	assert_int_equal(s.id, 0xBEEF);
	assert_int_equal(s.flags, 0x8180);
	assert_int_equal(s.rcode, (1 << 4) | 2);
	assert_int_equal(s.qdcount, 1);
	assert_int_equal(s.ancount, 1);
	assert_int_equal(s.arcount, 1);
	assert_int_equal(s.qname_len, sizeof(EXAMPLE_COM));
	assert_memory_equal(s.qname, EXAMPLE_COM, sizeof(EXAMPLE_COM));
	assert_int_equal(s.qtype, 1);
	assert_int_equal(s.qclass, 1);
	assert_true(s.has_opt);
	assert_int_equal(s.udp_size, 1232);
	assert_int_equal(s.edns_version, 0);
	assert_true(s.do_bit);
	assert_int_equal(s.n_ede, 2);
	assert_int_equal(s.ede[0].code, 9);
	assert_string_equal(s.ede[0].text, "DNSKEY missing ?\xc3\xa9");
	assert_int_equal(s.ede[1].code, 22);
	assert_string_equal(s.ede[1].text, "");

	/* every strict prefix is malformed, never a crash */
	for (size_t n = 0; n < m.n; n++)
		assert_int_equal(dd_wire_check(m.b, n, &s, &why), DD_EMALFORMED);
	/* NULL sum and why are allowed */
	assert_int_equal(dd_wire_check(m.b, m.n, NULL, NULL), 0);
}

static void test_wire_ede_limits(void **state)
{
	struct mb m = {0};
	mb_hdr(&m, 1, 0x8000, 0, 0, 0, 1);
	mb_u8(&m, 0);
	mb_u16(&m, 41);
	mb_u16(&m, 512);
	mb_u32(&m, 0);
	/* 10 EDEs of 400 bytes of text each */
	mb_u16(&m, (uint16_t)(10 * (4 + 2 + 400)));
	for (int i = 0; i < 10; i++) {
		mb_u16(&m, 15);
		mb_u16(&m, 402);
		mb_u16(&m, (uint16_t)i);
		uint8_t t[400];
		memset(t, 'x', sizeof(t));
		t[0] = '\n';
		t[297] = 0xE2; /* a 3-octet sequence crossing the 299 cut */
		t[298] = 0x82;
		t[299] = 0xAC;
		mb_bytes(&m, t, sizeof(t));
	}
	dd_wire_summary_t s;
	assert_int_equal(dd_wire_check(m.b, m.n, &s, NULL), 0);
	assert_int_equal(s.n_ede, 8);
	assert_int_equal(s.ede[7].code, 7);
	assert_int_equal(strlen(s.ede[0].text), 297);
	assert_int_equal(s.ede[0].text[0], '?');
	assert_false(s.do_bit);
	assert_int_equal(s.rcode, 0);
}

static void expect_bad(const struct mb *m, const char *why_sub)
{
	const char *why = NULL;
	dd_wire_summary_t s;
	assert_int_equal(dd_wire_check(m->b, m->n, &s, &why), DD_EMALFORMED);
	assert_non_null(why);
	if (why_sub && !strstr(why, why_sub))
		fail_msg("why '%s' lacks '%s'", why, why_sub);
}

static void test_wire_bad(void **state)
{
	struct mb m;

	/* trailing bytes */
	good_message(&m);
	mb_u8(&m, 0);
	expect_bad(&m, "trailing bytes");

	/* record cut short: claim a second answer that is not there */
	good_message(&m);
	m.b[7] = 2;
	expect_bad(&m, NULL);

	/* rdlength overflow: the A record claims 400 octets */
	good_message(&m);
	size_t rdl_at = 12 + sizeof(EXAMPLE_COM) + 4 + 2 + 2 + 2 + 4;
	assert_int_equal(m.b[rdl_at + 1], 4);
	m.b[rdl_at] = 0x01;
	m.b[rdl_at + 1] = 0x90;
	expect_bad(&m, "RDLENGTH");

	/* A record with 5 octets of RDATA */
	memset(&m, 0, sizeof(m));
	mb_hdr(&m, 1, 0x8000, 0, 1, 0, 0);
	mb_u8(&m, 0);
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	mb_u32(&m, 0);
	mb_u16(&m, 5);
	mb_bytes(&m, "\1\2\3\4\5", 5);
	expect_bad(&m, "RDATA");

	/* CNAME whose target points forward */
	memset(&m, 0, sizeof(m));
	mb_hdr(&m, 1, 0x8000, 0, 1, 0, 0);
	mb_u8(&m, 0);
	mb_u16(&m, 5);
	mb_u16(&m, 1);
	mb_u32(&m, 0);
	mb_u16(&m, 2);
	mb_u16(&m, 0xC000 | 40);
	expect_bad(&m, "RDATA");

	/* two OPTs */
	memset(&m, 0, sizeof(m));
	mb_hdr(&m, 1, 0x8000, 0, 0, 0, 2);
	for (int i = 0; i < 2; i++) {
		mb_u8(&m, 0);
		mb_u16(&m, 41);
		mb_u16(&m, 1232);
		mb_u32(&m, 0);
		mb_u16(&m, 0);
	}
	expect_bad(&m, "more than one OPT");

	/* OPT in the answer section */
	memset(&m, 0, sizeof(m));
	mb_hdr(&m, 1, 0x8000, 0, 1, 0, 0);
	mb_u8(&m, 0);
	mb_u16(&m, 41);
	mb_u16(&m, 1232);
	mb_u32(&m, 0);
	mb_u16(&m, 0);
	expect_bad(&m, "OPT");

	/* OPT with a non-root owner */
	memset(&m, 0, sizeof(m));
	mb_hdr(&m, 1, 0x8000, 0, 0, 0, 1);
	mb_bytes(&m, EXAMPLE_COM, sizeof(EXAMPLE_COM));
	mb_u16(&m, 41);
	mb_u16(&m, 1232);
	mb_u32(&m, 0);
	mb_u16(&m, 0);
	expect_bad(&m, "root");

	/* EDNS option longer than the OPT RDATA */
	memset(&m, 0, sizeof(m));
	mb_hdr(&m, 1, 0x8000, 0, 0, 0, 1);
	mb_u8(&m, 0);
	mb_u16(&m, 41);
	mb_u16(&m, 1232);
	mb_u32(&m, 0);
	mb_u16(&m, 6);
	mb_u16(&m, 15);
	mb_u16(&m, 3);
	mb_u16(&m, 0);
	mb_u8(&m, 0);
	mb_u8(&m, 0);
	mb_u8(&m, 0); /* 3 extra outside the OPT: counted as trailing or overflow */
	expect_bad(&m, NULL);

	/* short header */
	memset(&m, 0, sizeof(m));
	m.n = 11;
	expect_bad(&m, "header");
	/* question cut */
	memset(&m, 0, sizeof(m));
	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	mb_u8(&m, 0);
	mb_u16(&m, 1);
	expect_bad(&m, "question");
}

/* xorshift64*: fixed seed, same sequence everywhere. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static void test_wire_random(void **state)
{
	uint8_t *buf = malloc(1024);
	assert_non_null(buf);
	struct mb good;
	good_message(&good);
	unsigned ok = 0;
	for (int i = 0; i < 6000; i++) {
		size_t len = rng() % 600;
		if (i % 2 == 0) {
			/* pure noise with plausible small counts */
			for (size_t j = 0; j < len; j++)
				buf[j] = (uint8_t)rng();
			if (len >= 12)
				for (int k = 4; k < 12; k += 2)
					buf[k] = 0, buf[k + 1] &= 0x07;
		} else {
			/* mutate a good message */
			len = good.n;
			memcpy(buf, good.b, len);
			int flips = 1 + (int)(rng() % 4);
			for (int k = 0; k < flips; k++)
				buf[rng() % len] = (uint8_t)rng();
			if (rng() % 4 == 0)
				len = rng() % (len + 1);
		}
		/* exact-size heap copy so ASan sees any over-read */
		uint8_t *exact = malloc(len ? len : 1);
		assert_non_null(exact);
		memcpy(exact, buf, len);
		dd_wire_summary_t s;
		const char *why = NULL;
		int r = dd_wire_check(exact, len, &s, &why);
		assert_true(r == 0 || r == DD_EMALFORMED);
		if (r == 0) {
			ok++;
			assert_true(s.n_ede <= 8);
			assert_true(s.qname_len <= 255);
			for (unsigned k = 0; k < s.n_ede; k++)
				assert_true(strlen(s.ede[k].text) <= 299);
			char text[1024];
			dd_name_to_text(s.qname, s.qname_len, text);
		} else {
			assert_non_null(why);
		}
		/* names at every offset */
		for (size_t at = 0; at < len && at < 64; at++) {
			dd_cursor_t c;
			uint8_t out[255];
			size_t olen = 0;
			dd_cursor_init(&c, exact, len);
			dd_cursor_skip(&c, at);
			dd_cursor_name(&c, out, &olen);
			assert_true(olen <= 255);
			if (c.err == 0) {
				char text[1024];
				dd_name_to_text(out, olen, text);
				assert_true(strlen(text) < 1024);
			}
		}
		free(exact);
	}
	assert_true(ok > 0); /* some mutations stay valid */
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cursor_sticky),
	    cmocka_unit_test(test_name_compression),
	    cmocka_unit_test(test_name_loop_and_forward),
	    cmocka_unit_test(test_name_limits_wire),
	    cmocka_unit_test(test_name_text),
	    cmocka_unit_test(test_name_text_like_ldns),
	    cmocka_unit_test(test_ds_text_like_ldns),
	    cmocka_unit_test(test_name_text_limits),
	    cmocka_unit_test(test_wire_good),
	    cmocka_unit_test(test_wire_ede_limits),
	    cmocka_unit_test(test_wire_bad),
	    cmocka_unit_test(test_wire_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
