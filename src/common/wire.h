/*
 * wire.h — bounds-checked reading of untrusted DNS bytes.
 *
 * A cursor with a sticky error: every read checks the remaining length; the
 * first overflow sets `err` and later reads are no-ops returning zero. The
 * caller checks `err` once at the end. No pointer arithmetic on untrusted
 * bytes happens outside this module.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dd_cursor {
	const uint8_t *base; /* start of the whole message (for compression) */
	size_t len;	     /* length of the whole message */
	size_t pos;	     /* read position */
	int err;	     /* 0 or DD_EMALFORMED; sticky */
} dd_cursor_t;

void dd_cursor_init(dd_cursor_t *c, const uint8_t *buf, size_t len);
uint8_t dd_cursor_u8(dd_cursor_t *c);
uint16_t dd_cursor_u16(dd_cursor_t *c); /* network order in, host order out */
uint32_t dd_cursor_u32(dd_cursor_t *c);
void dd_cursor_skip(dd_cursor_t *c, size_t n);
size_t dd_cursor_left(const dd_cursor_t *c);

/*
 * The writer beside the reader: a cursor over a caller's buffer of fixed
 * size with a sticky error, as Knot's wire_ctx. Every write checks the
 * space left first; the first write that does not fit sets `err`
 * (DD_ENOSPACE), writes nothing, and every later write is a no-op. The
 * caller checks `err` once at the end. Nothing is ever allocated or grown,
 * so no input size can make a write fail in any other way.
 */
typedef struct dd_writer {
	uint8_t *base; /* the caller's buffer */
	size_t cap;    /* its size */
	size_t pos;    /* bytes written */
	int err;       /* 0 or DD_ENOSPACE; sticky */
} dd_writer_t;

void dd_writer_init(dd_writer_t *w, uint8_t *buf, size_t cap);
void dd_writer_u8(dd_writer_t *w, uint8_t v);
void dd_writer_u16(dd_writer_t *w, uint16_t v); /* host order in, network order out */
void dd_writer_u32(dd_writer_t *w, uint32_t v);
void dd_writer_bytes(dd_writer_t *w, const void *p, size_t n);
/* An uncompressed wire name, its letters lower-cased (RFC 4034 §6.2). The
 * name's labels are walked: a label running past `len`, or a name longer
 * than 255 octets or without its root label, sets err (DD_EMALFORMED). */
void dd_writer_name_lower(dd_writer_t *w, const uint8_t *name, size_t len);
size_t dd_writer_left(const dd_writer_t *w);

/*
 * Read a (possibly compressed) domain name at the cursor into `out` as
 * uncompressed wire format, lower-cased; `*out_len` gets its length (<= 255).
 * Pointers must point backwards, at most 128 pointer hops, labels <= 63,
 * name <= 255 octets. On any violation the cursor's err is set.
 * "Backwards" is strict: a pointer must target an offset before the start of
 * the label run containing it (the name's first octet, or the previous
 * pointer's target), so pointer chains cannot loop. Label types 0x40 and
 * 0x80 are rejected.
 * `out` may be NULL to only skip the name.
 */
void dd_cursor_name(dd_cursor_t *c, uint8_t out[255], size_t *out_len);

/* What the pre-pass learned from a whole DNS message. */
typedef struct dd_wire_summary {
	uint16_t id;
	uint16_t flags; /* QR, opcode, AA, TC, RD, RA, Z, AD, CD as in the header
			   (the header's second word with the rcode bits cleared) */
	uint16_t rcode; /* low 4 bits from the header, extended with OPT's upper 8 bits (12 bits) */
	uint16_t qdcount, ancount, nscount, arcount;
	uint8_t qname[255];
	size_t qname_len; /* 0 if qdcount == 0 */
	uint16_t qtype, qclass;
	bool has_opt;
	uint16_t udp_size;    /* from OPT, 0 without OPT */
	uint8_t edns_version; /* from OPT */
	bool do_bit;	      /* DO in OPT */
	/* Extended DNS Errors (RFC 8914) found in OPT, at most 8 kept. */
	unsigned n_ede;
	struct {
		uint16_t code;
		char text[300]; /* EXTRA-TEXT, NUL-terminated, non-printables replaced by '?' */
	} ede[8];
} dd_wire_summary_t;

/*
 * Walk a whole DNS message: header, every record of every section (names,
 * type, class, TTL, RDLENGTH within bounds, compression sane), OPT parsed,
 * no trailing garbage tolerated beyond the counted records. RDATA of A, AAAA,
 * NS, CNAME, SOA, PTR, MX, SRV, DNAME, DS, RRSIG, NSEC, DNSKEY, NSEC3,
 * NSEC3PARAM, CDS and CDNSKEY must fit its type's layout (embedded names
 * checked like owner names and kept inside RDLENGTH); NSEC and NSEC3 must
 * also carry a well-formed type bitmap, and an NSEC3 a next hashed owner
 * whose length fits its hash algorithm (dd_nsec3_hash_len_ok). OPT must be in the
 * additional section, owned by the root, and appear at most once.
 * Returns 0 and fills `sum`, or DD_EMALFORMED with `why` (static text,
 * may be NULL) saying what was wrong.
 */
int dd_wire_check(const uint8_t *msg, size_t len, dd_wire_summary_t *sum, const char **why);

/* Is p[0..len) a well-formed NSEC/NSEC3 type bitmap (RFC 4034 §4.1.2):
 * window blocks in increasing order, each 1 to 32 octets long and complete?
 * An empty bitmap is well-formed (NSEC3 of an empty non-terminal). */
bool dd_type_bitmap_ok(const uint8_t *p, size_t len);

/* Does an NSEC3 next hashed owner of `len` octets fit hash algorithm `alg`
 * (RFC 5155 §3.2): 20 for SHA-1, at least one for algorithms we do not know? */
bool dd_nsec3_hash_len_ok(uint8_t alg, size_t len);

/*
 * Convert a presentation-format name ("www.Example.com" or with trailing
 * dot) to uncompressed lower-case wire format. Rejects empty labels (except
 * the root "."), labels > 63 octets, names > 255 octets, and "\DDD"/"\X"
 * escapes that are malformed. Returns 0 or DD_EINVAL with `why` set.
 */
int dd_name_from_text(const char *text, uint8_t out[255], size_t *out_len, const char **why);

/* True when two uncompressed wire names are equal, ASCII case-insensitively.
 * Lengths must match; no bounds beyond alen/blen are read. */
bool dd_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Wire name to presentation text, lower-case, with trailing dot; escapes
 * '.', '\', ';', '(' and ')' with a backslash and octets outside 0x21..0x7e
 * as \DDD (as ldns prints names, lower-cased), so dd_name_from_text() reads
 * it back. `out` must hold 1024 bytes. */
void dd_name_to_text(const uint8_t *name, size_t len, char out[1024]);
/* The same, keeping the case of the letters when `lower` is false (as ldns prints names). */
void dd_name_to_text_case(const uint8_t *name, size_t len, char out[1024], bool lower);
