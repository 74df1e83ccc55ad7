/*
 * wire.c — bounds-checked reading of untrusted DNS bytes (see wire.h).
 *
 * Everything that looks at message bytes goes through dd_cursor_t; the only
 * indexing into `base` happens in the cursor primitives below, each of which
 * checks the remaining length first.
 */
#include <stdio.h>
#include <string.h>

#include "common/dd.h"
#include "common/wire.h"

#define DD_NAME_MAX 255
#define DD_LABEL_MAX 63
#define DD_PTR_HOPS_MAX 128
#define DD_HDR_LEN 12
#define DD_TYPE_OPT 41
#define DD_TYPE_NSEC 47
#define DD_TYPE_NSEC3 50
#define DD_EDNS_EDE 15
#define DD_EDE_MAX 8
#define DD_EDE_TEXT_MAX 299

static inline uint8_t ascii_lower(uint8_t ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch - 'A' + 'a') : ch;
}

/* ---- cursor primitives ------------------------------------------------- */

void dd_cursor_init(dd_cursor_t *c, const uint8_t *buf, size_t len)
{
	c->base = buf;
	c->len = buf ? len : 0;
	c->pos = 0;
	c->err = 0;
}

size_t dd_cursor_left(const dd_cursor_t *c)
{
	if (c->err || c->pos > c->len)
		return 0;
	return c->len - c->pos;
}

/* True (and the cursor still healthy) when `n` more bytes can be read. */
static bool cursor_need(dd_cursor_t *c, size_t n)
{
	if (c->err)
		return false;
	if (dd_cursor_left(c) < n) {
		c->err = DD_EMALFORMED;
		return false;
	}
	return true;
}

uint8_t dd_cursor_u8(dd_cursor_t *c)
{
	if (!cursor_need(c, 1))
		return 0;
	return c->base[c->pos++];
}

uint16_t dd_cursor_u16(dd_cursor_t *c)
{
	if (!cursor_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)((c->base[c->pos] << 8) | c->base[c->pos + 1]);
	c->pos += 2;
	return v;
}

uint32_t dd_cursor_u32(dd_cursor_t *c)
{
	if (!cursor_need(c, 4))
		return 0;
	uint32_t v = ((uint32_t)c->base[c->pos] << 24) | ((uint32_t)c->base[c->pos + 1] << 16) |
		     ((uint32_t)c->base[c->pos + 2] << 8) | (uint32_t)c->base[c->pos + 3];
	c->pos += 4;
	return v;
}

void dd_cursor_skip(dd_cursor_t *c, size_t n)
{
	if (!cursor_need(c, n))
		return;
	c->pos += n;
}

/* Copy `n` bytes out (out may be NULL to skip). */
/* ---- writer ------------------------------------------------------------ */

void dd_writer_init(dd_writer_t *w, uint8_t *buf, size_t cap)
{
	w->base = buf;
	w->cap = buf ? cap : 0;
	w->pos = 0;
	w->err = 0;
}

size_t dd_writer_left(const dd_writer_t *w)
{
	if (w->err || w->pos > w->cap)
		return 0;
	return w->cap - w->pos;
}

/* True (and the writer still healthy) when `n` more bytes fit. */
static bool writer_room(dd_writer_t *w, size_t n)
{
	if (w->err)
		return false;
	if (dd_writer_left(w) < n) {
		w->err = DD_ENOSPACE;
		return false;
	}
	return true;
}

void dd_writer_u8(dd_writer_t *w, uint8_t v)
{
	if (writer_room(w, 1))
		w->base[w->pos++] = v;
}

void dd_writer_u16(dd_writer_t *w, uint16_t v)
{
	if (!writer_room(w, 2))
		return;
	w->base[w->pos++] = (uint8_t)(v >> 8);
	w->base[w->pos++] = (uint8_t)v;
}

void dd_writer_u32(dd_writer_t *w, uint32_t v)
{
	if (!writer_room(w, 4))
		return;
	for (int shift = 24; shift >= 0; shift -= 8)
		w->base[w->pos++] = (uint8_t)(v >> shift);
}

void dd_writer_bytes(dd_writer_t *w, const void *p, size_t n)
{
	if (!n || !writer_room(w, n))
		return;
	memcpy(w->base + w->pos, p, n);
	w->pos += n;
}

void dd_writer_name_lower(dd_writer_t *w, const uint8_t *name, size_t len)
{
	if (w->err)
		return;
	if (!name || len == 0 || len > DD_NAME_MAX) {
		w->err = DD_EMALFORMED;
		return;
	}
	/* Check the whole name first, so a bad one writes nothing. */
	size_t i = 0;
	while (i < len && name[i] != 0) {
		if (name[i] > DD_LABEL_MAX || (size_t)name[i] + 1 > len - i) {
			w->err = DD_EMALFORMED;
			return;
		}
		i += (size_t)name[i] + 1;
	}
	if (i + 1 != len) {
		w->err = DD_EMALFORMED; /* no root label, or bytes after it */
		return;
	}
	if (!writer_room(w, len))
		return;
	for (i = 0; i < len; i++)
		w->base[w->pos + i] = ascii_lower(name[i]);
	w->pos += len;
}

static void cursor_copy(dd_cursor_t *c, uint8_t *out, size_t n)
{
	if (!cursor_need(c, n))
		return;
	if (out)
		memcpy(out, c->base + c->pos, n);
	c->pos += n;
}

/* ---- names ------------------------------------------------------------- */

/*
 * Compression pointers must point strictly before the start of the label
 * run that contains them (the name's first octet, or the target of the
 * previous pointer). Targets therefore strictly decrease, so no loop is
 * possible even before the hop limit; the hop limit stays as a second fence.
 */
void dd_cursor_name(dd_cursor_t *c, uint8_t out[255], size_t *out_len)
{
	uint8_t tmp[DD_NAME_MAX];
	size_t n = 0;
	unsigned hops = 0;
	if (out_len)
		*out_len = 0;
	if (c->err)
		return;

	dd_cursor_t rd = *c;	   /* follows pointers */
	size_t run_start = rd.pos; /* start of the current label run */
	size_t end_pos = 0;	   /* where `c` continues after the name */
	bool jumped = false;

	for (;;) {
		uint8_t lb = dd_cursor_u8(&rd);
		if (rd.err)
			goto bad;
		switch (lb & 0xC0) {
		case 0xC0: {
			uint8_t lo = dd_cursor_u8(&rd);
			if (rd.err)
				goto bad;
			size_t target = ((size_t)(lb & 0x3F) << 8) | lo;
			if (target >= run_start || ++hops > DD_PTR_HOPS_MAX)
				goto bad;
			if (!jumped) {
				end_pos = rd.pos;
				jumped = true;
			}
			rd.pos = target;
			run_start = target;
			continue;
		}
		case 0x00:
			break;
		default: /* 0x40 extended label types, 0x80 reserved */
			goto bad;
		}
		if (n + 1 + lb > DD_NAME_MAX)
			goto bad;
		tmp[n++] = lb;
		if (lb == 0)
			break;
		cursor_copy(&rd, tmp + n, lb);
		if (rd.err)
			goto bad;
		for (size_t i = 0; i < lb; i++)
			tmp[n + i] = ascii_lower(tmp[n + i]);
		n += lb;
	}
	c->pos = jumped ? end_pos : rd.pos;
	if (out)
		memcpy(out, tmp, n);
	if (out_len)
		*out_len = n;
	return;
bad:
	c->err = DD_EMALFORMED;
}

bool dd_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen || !a || !b)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

int dd_name_from_text(const char *text, uint8_t out[255], size_t *out_len, const char **why)
{
	uint8_t tmp[DD_NAME_MAX];
	size_t n = 0;
	const char *err = NULL;

	if (out_len)
		*out_len = 0;
	if (!text || !out) {
		err = "no name";
		goto fail;
	}
	if (text[0] == '\0') {
		err = "empty name";
		goto fail;
	}
	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		if (out_len)
			*out_len = 1;
		return 0;
	}

	const char *p = text;
	while (*p) {
		size_t len_at = n;
		size_t llen = 0;
		if (n >= DD_NAME_MAX) {
			err = "name longer than 255 octets";
			goto fail;
		}
		n++; /* room for the length octet */
		while (*p && *p != '.') {
			unsigned ch;
			if (*p == '\\') {
				p++;
				if (p[0] >= '0' && p[0] <= '9') {
					if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
					      p[2] <= '9')) {
						err = "\\DDD escape needs three digits";
						goto fail;
					}
					ch = (unsigned)(p[0] - '0') * 100 +
					     (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
					if (ch > 255) {
						err = "\\DDD escape above 255";
						goto fail;
					}
					p += 3;
				} else if (*p == '\0') {
					err = "dangling backslash";
					goto fail;
				} else {
					ch = (unsigned char)*p++;
				}
			} else {
				ch = (unsigned char)*p++;
			}
			if (++llen > DD_LABEL_MAX) {
				err = "label longer than 63 octets";
				goto fail;
			}
			if (n >= DD_NAME_MAX) {
				err = "name longer than 255 octets";
				goto fail;
			}
			tmp[n++] = ascii_lower((uint8_t)ch);
		}
		if (llen == 0) {
			err = "empty label";
			goto fail;
		}
		tmp[len_at] = (uint8_t)llen;
		if (*p == '.')
			p++;
	}
	if (n >= DD_NAME_MAX) {
		err = "name longer than 255 octets";
		goto fail;
	}
	tmp[n++] = 0;
	memcpy(out, tmp, n);
	if (out_len)
		*out_len = n;
	return 0;
fail:
	if (why)
		*why = err;
	return DD_EINVAL;
}

/* Append with a hard bound; output stays NUL-terminated. */
struct textbuf {
	char *p;
	size_t n, cap;
};

static void tb_put(struct textbuf *tb, const char *s)
{
	while (*s && tb->n + 1 < tb->cap)
		tb->p[tb->n++] = *s++;
	tb->p[tb->n] = '\0';
}

void dd_name_to_text(const uint8_t *name, size_t len, char out[1024])
{
	dd_name_to_text_case(name, len, out, true);
}

void dd_name_to_text_case(const uint8_t *name, size_t len, char out[1024], bool lower)
{
	struct textbuf tb = {out, 0, 1024};
	dd_cursor_t c;
	out[0] = '\0';
	dd_cursor_init(&c, name, len > DD_NAME_MAX ? DD_NAME_MAX : len);

	bool any = false;
	for (;;) {
		uint8_t lb = dd_cursor_u8(&c);
		if (c.err || lb == 0 || lb > DD_LABEL_MAX)
			break;
		for (uint8_t i = 0; i < lb; i++) {
			uint8_t ch = dd_cursor_u8(&c);
			if (lower)
				ch = ascii_lower(ch);
			if (c.err)
				break;
			char buf[8];
			/* As ldns prints names, so that names from either compare equal. */
			if (ch == '.' || ch == '\\' || ch == ';' || ch == '(' || ch == ')') {
				buf[0] = '\\';
				buf[1] = (char)ch;
				buf[2] = '\0';
			} else if (ch <= 0x20 || ch >= 0x7f) {
				snprintf(buf, sizeof(buf), "\\%03u", (unsigned)ch);
			} else {
				buf[0] = (char)ch;
				buf[1] = '\0';
			}
			tb_put(&tb, buf);
		}
		if (c.err)
			break;
		tb_put(&tb, ".");
		any = true;
	}
	if (!any)
		tb_put(&tb, ".");
}

/* ---- whole messages ---------------------------------------------------- */

/*
 * RDATA layouts checked for the types whose RDATA carries names (where
 * compression may hide a bad pointer) or has a fixed shape.
 *   n name   b 1 octet   s 2 octets   l 4 octets   c <character-string>
 *   * any remaining octets
 * Without a trailing '*', the RDATA must end exactly after the layout.
 */
static const struct rdata_layout {
	uint16_t type;
	const char *layout;
} rdata_layouts[] = {
    {1, "l"},	       /* A */
    {2, "n"},	       /* NS */
    {5, "n"},	       /* CNAME */
    {6, "nnlllll"},    /* SOA */
    {12, "n"},	       /* PTR */
    {15, "sn"},	       /* MX */
    {28, "llll"},      /* AAAA */
    {33, "sssn"},      /* SRV */
    {39, "n"},	       /* DNAME */
    {43, "sbb*"},      /* DS */
    {46, "sbblllsn*"}, /* RRSIG */
    {47, "n*"},	       /* NSEC */
    {48, "sbb*"},      /* DNSKEY */
    {50, "bbscc*"},    /* NSEC3 */
    {51, "bbsc"},      /* NSEC3PARAM */
    {59, "sbb*"},      /* CDS */
    {60, "sbb*"},      /* CDNSKEY */
};

bool dd_type_bitmap_ok(const uint8_t *p, size_t len)
{
	dd_cursor_t c;
	dd_cursor_init(&c, p, len);
	int prev = -1;
	while (!c.err && dd_cursor_left(&c)) {
		uint8_t window = dd_cursor_u8(&c);
		uint8_t blen = dd_cursor_u8(&c);
		if (c.err || (int)window <= prev || blen < 1 || blen > 32)
			return false;
		dd_cursor_skip(&c, blen);
		prev = window;
	}
	return !c.err;
}

bool dd_nsec3_hash_len_ok(uint8_t alg, size_t len)
{
	return alg == 1 ? len == 20 : len >= 1;
}

/* The parts of NSEC and NSEC3 RDATA that a layout cannot say (RFC 4034
 * §4.1.2, RFC 5155 §3.2): the next hashed owner's length fits the hash
 * algorithm, and the type bitmap is well-formed. `c` is at the RDATA's
 * start and reads stop at its end. */
static bool nsec_rdata_ok(dd_cursor_t c, const dd_cursor_t *msgc, uint16_t type)
{
	if (type == DD_TYPE_NSEC) {
		dd_cursor_t nc = *msgc;
		dd_cursor_name(&nc, NULL, NULL);
		c.pos = nc.pos;
	} else {
		uint8_t alg = dd_cursor_u8(&c);
		dd_cursor_skip(&c, 3);		      /* flags, iterations */
		dd_cursor_skip(&c, dd_cursor_u8(&c)); /* salt */
		uint8_t hlen = dd_cursor_u8(&c);
		if (c.err || !dd_nsec3_hash_len_ok(alg, hlen))
			return false;
		dd_cursor_skip(&c, hlen);
	}
	if (c.err || c.pos > c.len)
		return false;
	return dd_type_bitmap_ok(c.base + c.pos, c.len - c.pos);
}

/* Check one RDATA against its layout; `c` is positioned at the RDATA start
 * and the RDATA ends at `end`. Names may point anywhere earlier in the
 * message (compression), but their in-place bytes must stay inside RDATA. */
static bool rdata_ok(const dd_cursor_t *msgc, uint16_t type, size_t end)
{
	const char *layout = NULL;
	for (size_t i = 0; i < DD_ARRAY_LEN(rdata_layouts); i++)
		if (rdata_layouts[i].type == type)
			layout = rdata_layouts[i].layout;
	if (!layout)
		return true;

	dd_cursor_t c = *msgc;
	c.len = end; /* reads stop at the RDATA's end; names still see base */
	for (const char *f = layout; *f; f++) {
		switch (*f) {
		case 'n': {
			dd_cursor_t nc = *msgc; /* name pointers see the whole message */
			nc.pos = c.pos;
			dd_cursor_name(&nc, NULL, NULL);
			if (nc.err || nc.pos > end)
				return false;
			c.pos = nc.pos;
			break;
		}
		case 'b':
			dd_cursor_skip(&c, 1);
			break;
		case 's':
			dd_cursor_skip(&c, 2);
			break;
		case 'l':
			dd_cursor_skip(&c, 4);
			break;
		case 'c':
			dd_cursor_skip(&c, dd_cursor_u8(&c));
			break;
		case '*':
			if (c.err)
				return false;
			if (type == DD_TYPE_NSEC || type == DD_TYPE_NSEC3) {
				dd_cursor_t rc = *msgc;
				rc.len = end;
				return nsec_rdata_ok(rc, msgc, type);
			}
			return true;
		}
		if (c.err)
			return false;
	}
	return c.pos == end;
}

/* Is `s[0..n)` the start of a complete, well-formed UTF-8 sequence of
 * printable code points? Returns its length, 0 if not. */
static size_t utf8_printable(const uint8_t *s, size_t n)
{
	uint8_t b = s[0];
	size_t need;
	uint32_t cp;
	if (b >= 0x20 && b < 0x7f)
		return 1;
	if (b >= 0xC2 && b <= 0xDF) {
		need = 2;
		cp = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 3;
		cp = b & 0x0F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 4;
		cp = b & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F))
		return 0;
	return need;
}

/* EXTRA-TEXT into a bounded, printable, NUL-terminated string. Valid UTF-8
 * is kept whole (never cut mid-sequence); everything else becomes '?'.
 * Trailing NULs, which some servers append, are dropped. */
static void ede_text(dd_cursor_t *c, size_t tlen, char out[DD_EDE_TEXT_MAX + 1])
{
	/* 3 octets beyond the limit let a sequence crossing it be seen whole
	 * (and then left out), instead of being cut into '?'s. */
	uint8_t raw[DD_EDE_TEXT_MAX + 3];
	size_t take = tlen < sizeof(raw) ? tlen : sizeof(raw);
	cursor_copy(c, raw, take);
	dd_cursor_skip(c, tlen - take);
	size_t o = 0;
	if (c->err) {
		out[0] = '\0';
		return;
	}
	while (take > 0 && raw[take - 1] == 0)
		take--;
	for (size_t i = 0; i < take && o < DD_EDE_TEXT_MAX;) {
		size_t k = utf8_printable(raw + i, take - i);
		if (k == 0) {
			out[o++] = '?';
			i++;
		} else if (o + k > DD_EDE_TEXT_MAX) {
			break;
		} else {
			memcpy(out + o, raw + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
}

static int parse_opt(dd_cursor_t *c, uint16_t rdlen, dd_wire_summary_t *sum, const char **why)
{
	size_t end = c->pos + rdlen;
	while (!c->err && c->pos < end) {
		if (end - c->pos < 4) {
			*why = "EDNS option header cut short";
			return DD_EMALFORMED;
		}
		uint16_t code = dd_cursor_u16(c);
		uint16_t olen = dd_cursor_u16(c);
		if (olen > end - c->pos) {
			*why = "EDNS option longer than the OPT RDATA";
			return DD_EMALFORMED;
		}
		if (code != DD_EDNS_EDE) {
			dd_cursor_skip(c, olen);
			continue;
		}
		if (olen < 2) {
			*why = "EDE option shorter than its INFO-CODE";
			return DD_EMALFORMED;
		}
		uint16_t info = dd_cursor_u16(c);
		if (sum->n_ede < DD_EDE_MAX) {
			sum->ede[sum->n_ede].code = info;
			ede_text(c, olen - 2u, sum->ede[sum->n_ede].text);
			sum->n_ede++;
		} else {
			dd_cursor_skip(c, olen - 2u);
		}
	}
	if (c->err) {
		*why = "OPT RDATA cut short";
		return DD_EMALFORMED;
	}
	return 0;
}

int dd_wire_check(const uint8_t *msg, size_t len, dd_wire_summary_t *sum, const char **why)
{
	dd_wire_summary_t local;
	const char *reason = NULL;
	dd_cursor_t c;

	if (!sum)
		sum = &local;
	memset(sum, 0, sizeof(*sum));
	if (!why)
		why = &reason;
	*why = NULL;

	if (!msg || len < DD_HDR_LEN) {
		*why = "shorter than a DNS header";
		return DD_EMALFORMED;
	}
	dd_cursor_init(&c, msg, len);
	sum->id = dd_cursor_u16(&c);
	uint16_t fl = dd_cursor_u16(&c);
	sum->flags = fl & 0xFFF0;
	sum->rcode = fl & 0x000F;
	sum->qdcount = dd_cursor_u16(&c);
	sum->ancount = dd_cursor_u16(&c);
	sum->nscount = dd_cursor_u16(&c);
	sum->arcount = dd_cursor_u16(&c);

	for (unsigned i = 0; i < sum->qdcount; i++) {
		uint8_t name[DD_NAME_MAX];
		size_t nlen = 0;
		dd_cursor_name(&c, name, &nlen);
		uint16_t qt = dd_cursor_u16(&c);
		uint16_t qc = dd_cursor_u16(&c);
		if (c.err) {
			*why = "question section malformed or cut short";
			return DD_EMALFORMED;
		}
		if (i == 0) {
			memcpy(sum->qname, name, nlen);
			sum->qname_len = nlen;
			sum->qtype = qt;
			sum->qclass = qc;
		}
	}

	const unsigned counts[3] = {sum->ancount, sum->nscount, sum->arcount};
	for (unsigned sec = 0; sec < 3; sec++) {
		for (unsigned i = 0; i < counts[sec]; i++) {
			uint8_t owner[DD_NAME_MAX];
			size_t olen = 0;
			dd_cursor_name(&c, owner, &olen);
			if (c.err) {
				*why = "record owner name malformed or cut short";
				return DD_EMALFORMED;
			}
			uint16_t type = dd_cursor_u16(&c);
			uint16_t rclass = dd_cursor_u16(&c);
			uint32_t ttl = dd_cursor_u32(&c);
			uint16_t rdlen = dd_cursor_u16(&c);
			if (c.err) {
				*why = "record header cut short";
				return DD_EMALFORMED;
			}
			if (rdlen > dd_cursor_left(&c)) {
				*why = "RDLENGTH runs past the end of the message";
				return DD_EMALFORMED;
			}
			size_t rd_end = c.pos + rdlen;
			if (type == DD_TYPE_OPT) {
				if (sec != 2) {
					*why = "OPT record outside the additional section";
					return DD_EMALFORMED;
				}
				if (sum->has_opt) {
					*why = "more than one OPT record";
					return DD_EMALFORMED;
				}
				if (olen != 1) {
					*why = "OPT record owner is not the root";
					return DD_EMALFORMED;
				}
				sum->has_opt = true;
				sum->udp_size = rclass;
				sum->rcode = (uint16_t)(((ttl >> 24) << 4) | (sum->rcode & 0x0F));
				sum->edns_version = (uint8_t)(ttl >> 16);
				sum->do_bit = (ttl & 0x8000) != 0;
				int ret = parse_opt(&c, rdlen, sum, why);
				if (ret < 0)
					return ret;
			} else if (!rdata_ok(&c, type, rd_end)) {
				*why = type == DD_TYPE_NSEC3 ? "NSEC3 RDATA malformed (next hashed "
							       "owner length or type bitmap)"
				       : type == DD_TYPE_NSEC
					   ? "NSEC RDATA malformed (next name or type bitmap)"
					   : "RDATA does not match its type's layout";
				return DD_EMALFORMED;
			}
			c.pos = rd_end;
		}
	}
	if (c.err) {
		*why = "message cut short";
		return DD_EMALFORMED;
	}
	if (dd_cursor_left(&c) != 0) {
		*why = "trailing bytes";
		return DD_EMALFORMED;
	}
	return 0;
}
