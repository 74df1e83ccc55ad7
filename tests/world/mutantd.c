/* mutantd -- a mutation-fuzzing name server for the dnssec-doctor test world.
 *
 * usage: mutantd ADDR PORT UPSTREAM SEED [PIDFILE [LOGFILE]]
 *
 * Listens on ADDR:PORT (IPv4, UDP and TCP), forwards each query to the real
 * name server UPSTREAM (port 53, same transport), so what it serves is really
 * signed, then mutates the answer. What it does to one query is a function of
 * the current seed, the question (name, type), the transport, the query's DO
 * bit and how often that question was asked since the seed was set: the same
 * seed and the same queries give the same answers, whatever order concurrent
 * queries arrive in.
 *
 * The seed is SEED at start ("off": no mutation) and is changed by a control
 * query, answered by mutantd itself (NOERROR, one TXT record "seed N"):
 *
 *     sN.mutant-control.      use seed N (decimal, 64 bits) from now on
 *     off.mutant-control.     forward faithfully
 *
 * A seed aims at every answer (mutating five in six), at some (one in four), at
 * the answers to data questions only (not NS, SOA, DS, DNSKEY, NSEC3PARAM, CDS,
 * CDNSKEY: the walk goes on and the final answer is what breaks), or at the
 * DNSKEY answers only; the log line shows which, in brackets.
 *
 * Mutations (one to three per mutated answer):
 * bit flips, truncation, wrong section counts, compression pointers that loop,
 * point forward or out of the message, over-long labels and names, a lying
 * RDLENGTH, huge TTLs, bogus EDNS options (lying lengths, CHAIN, EDE, a second
 * OPT), absurd RRSIG/DNSKEY/NSEC3/NSEC/DS fields (labels 255, expiration before
 * inception, signatures and keys of 0 or 4000 octets, NSEC3 with an empty next
 * hash, a lying salt length, 65535 iterations, broken type bitmaps), random
 * rcode, opcode and flags, an empty UDP answer with TC=1 (so that TCP is tried),
 * a TXT RRset appended whose canonical form is
 * exactly 2048, 4096, 6144 or 8192 octets (with a copied RRSIG), oversize UDP
 * answers (up to 65000 octets, whatever buffer the query offered), silence.
 * Over TCP, besides: a length prefix then silence, no reading at all (the
 * query stays unread: a zero window for anything more), the answer dribbled a
 * few octets at a time, a reset in mid-message, a length prefix longer or
 * shorter than the message, TC=1.
 *
 * Each mutated answer is logged to LOGFILE: seed, question, transport and
 * what was done. UDP is served one query at a time; each TCP connection gets
 * its own process. With PIDFILE it detaches after binding.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "detach.h"
#include "dnsmsg.h"

#define CAP 65535
#define UDP_MAX 65000

static volatile sig_atomic_t stop;
static struct sockaddr_in upstream;
static int seeded; /* 0: forward faithfully */
static uint64_t seed;
static FILE *logfp;

/* ---- deterministic randomness ------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned rn(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* How often each question was asked since the seed was set (open addressing). */
#define ASKED_SLOTS 8192
static struct {
	uint64_t key;
	unsigned n;
} asked[ASKED_SLOTS];

static unsigned asked_count(uint64_t key)
{
	if (!key)
		key = 1;
	for (size_t i = key % ASKED_SLOTS, k = 0; k < ASKED_SLOTS; i = (i + 1) % ASKED_SLOTS, k++) {
		if (asked[i].key == key)
			return asked[i].n++;
		if (!asked[i].key) {
			asked[i].key = key;
			asked[i].n = 1;
			return 0;
		}
	}
	return 0; /* full: every further question counts as a first */
}

/* ---- logging ------------------------------------------------------------ */

static char logbuf[1024];
static size_t loglen;

static void note(const char *fmt, ...)
{
	if (loglen >= sizeof(logbuf) - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
	va_end(ap);
	if (r > 0)
		loglen +=
		    (size_t)r < sizeof(logbuf) - loglen ? (size_t)r : sizeof(logbuf) - loglen - 1;
}

/* ---- wire helpers (every offset checked) -------------------------------- */

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static unsigned get16(const unsigned char *p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* Offset after the name at `p` (a pointer ends it), or 0 when it runs out. */
static size_t skip_name(const unsigned char *m, size_t n, size_t p)
{
	while (p < n) {
		unsigned c = m[p];
		if (c == 0)
			return p + 1;
		if ((c & 0xc0) == 0xc0)
			return p + 2 <= n ? p + 2 : 0;
		if (c & 0xc0)
			return 0;
		p += c + 1;
	}
	return 0;
}

typedef struct rrpos {
	size_t owner, fixed, rdata; /* offsets: owner name, TYPE, RDATA */
	unsigned type, rdlen, sec;  /* sec: 1 answer, 2 authority, 3 additional */
} rrpos_t;

#define MAX_RR 512

/* The records of `m`, as far as they parse; returns how many. `*sec_end[s]`:
 * the offset where section s (1..3) ends, as far as parsed. */
static size_t parse(const unsigned char *m, size_t n, rrpos_t *rr, size_t *sec_end)
{
	size_t p = 12, k = 0;
	for (int s = 0; s < 4; s++)
		sec_end[s] = n;
	if (n < 12)
		return 0;
	for (unsigned i = 0; i < get16(m + 4); i++) {
		p = skip_name(m, n, p);
		if (!p || p + 4 > n)
			return 0;
		p += 4;
	}
	sec_end[0] = p;
	for (unsigned s = 1; s <= 3; s++) {
		for (unsigned i = 0; i < get16(m + 4 + 2 * s); i++) {
			size_t o = p;
			size_t f = skip_name(m, n, p);
			if (!f || f + 10 > n || k >= MAX_RR)
				return k;
			unsigned rdlen = get16(m + f + 8);
			if (f + 10 + rdlen > n)
				return k;
			rr[k++] = (rrpos_t){o, f, f + 10, get16(m + f), rdlen, s};
			p = f + 10 + rdlen;
		}
		sec_end[s] = p;
	}
	return k;
}

/* Replace `del` octets at `off` by `ins` (`inslen` octets, NULL: random). */
static int msplice(unsigned char *m, size_t *n, size_t cap, size_t off, size_t del,
		   const unsigned char *ins, size_t inslen)
{
	if (off > *n || del > *n - off || *n - del + inslen > cap)
		return -1;
	memmove(m + off + inslen, m + off + del, *n - off - del);
	for (size_t i = 0; i < inslen; i++)
		m[off + i] = ins ? ins[i] : (unsigned char)rnd();
	*n = *n - del + inslen;
	return 0;
}

/* Change RDATA of record `r` by a splice inside it, keeping RDLENGTH true. */
static int rdata_splice(unsigned char *m, size_t *n, size_t cap, const rrpos_t *r, size_t at,
			size_t del, const unsigned char *ins, size_t inslen)
{
	if (at > r->rdlen || del > r->rdlen - at || r->rdlen - del + inslen > 0xffff)
		return -1;
	if (msplice(m, n, cap, r->rdata + at, del, ins, inslen))
		return -1;
	put16(m + r->fixed + 8, (unsigned)(r->rdlen - del + inslen));
	return 0;
}

static void inc_count(unsigned char *m, unsigned sec, unsigned by)
{
	put16(m + 4 + 2 * sec, (get16(m + 4 + 2 * sec) + by) & 0xffff);
}

/* A random record, of one of `types` when given (0-terminated); -1 if none. */
static int pick_rr(const rrpos_t *rr, size_t k, const unsigned *types)
{
	int cand[MAX_RR];
	size_t c = 0;
	for (size_t i = 0; i < k; i++) {
		if (types) {
			int hit = 0;
			for (const unsigned *t = types; *t; t++)
				hit |= rr[i].type == *t;
			if (!hit)
				continue;
		}
		cand[c++] = (int)i;
	}
	return c ? cand[rn((unsigned)c)] : -1;
}

/* The question's name as owner (uncompressed), into `out`; returns its length or 0. */
static size_t qname_wire(const unsigned char *m, size_t n, unsigned char *out)
{
	size_t p = 12;
	if (n < 12 || get16(m + 4) == 0)
		return 0;
	while (p < n && m[p] && m[p] < 64 && p - 12 < 255)
		p += m[p] + 1;
	if (p >= n || m[p] != 0)
		return 0;
	memcpy(out, m + 12, p + 1 - 12);
	for (size_t i = 0; i < p + 1 - 12; i++)
		out[i] = (unsigned char)tolower(out[i]);
	return p + 1 - 12;
}

/* ---- the mutations ------------------------------------------------------ */

enum {
	T_A = 1,
	T_TXT = 16,
	T_DS = 43,
	T_RRSIG = 46,
	T_NSEC = 47,
	T_DNSKEY = 48,
	T_NSEC3 = 50,
	T_OPT = 41
};

static void m_bitflip(unsigned char *m, size_t *n, size_t cap)
{
	(void)cap;
	unsigned k = 1 + rn(16);
	note(" bitflip(%u)", k);
	for (unsigned i = 0; i<k && * n> 2; i++)
		m[2 + rn((unsigned)(*n - 2))] ^= (unsigned char)(1u << rn(8));
}

static void m_truncate(unsigned char *m, size_t *n, size_t cap)
{
	(void)m;
	(void)cap;
	size_t to = rn(4) == 0 ? rn(12) : rn((unsigned)*n);
	note(" truncate(%zu->%zu)", *n, to);
	*n = to;
}

static void m_counts(unsigned char *m, size_t *n, size_t cap)
{
	(void)cap;
	if (*n < 12)
		return;
	unsigned s = rn(4), c = get16(m + 4 + 2 * s), v;
	switch (rn(5)) {
	case 0:
		v = 0;
		break;
	case 1:
		v = c + 1;
		break;
	case 2:
		v = c ? c - 1 : 2;
		break;
	case 3:
		v = 0xffff;
		break;
	default:
		v = rn(65536);
		break;
	}
	note(" count[%u]:%u->%u", s, c, v & 0xffff);
	put16(m + 4 + 2 * s, v);
}

/* A name (an owner, or a name in RDATA) replaced by a pointer that loops,
 * points forward, out of the message, or into the header. */
static void m_pointer(unsigned char *m, size_t *n, size_t cap)
{
	rrpos_t rr[MAX_RR];
	size_t se[4], k = parse(m, *n, rr, se);
	size_t at, end;
	if (k && rn(3)) {
		const rrpos_t *r = &rr[rn((unsigned)k)];
		at = r->owner;
		end = r->fixed;
	} else {
		at = 12; /* the question's name */
		end = skip_name(m, *n, 12);
		if (!end)
			return;
	}
	unsigned char ptr[2];
	unsigned target, kind = rn(4);
	switch (kind) {
	case 0:
		target = (unsigned)at;
		break; /* to itself */
	case 1:
		target = (unsigned)(at + 2 + rn(40));
		break; /* forward */
	case 2:
		target = rn(2) ? 0x3fff : (unsigned)(*n + rn(100));
		break; /* out of the message */
	default:
		target = 2 + rn(10);
		break; /* into the header */
	}
	put16(ptr, 0xc000 | (target & 0x3fff));
	note(" pointer(@%zu->%u)", at, target & 0x3fff);
	(void)msplice(m, n, cap, at, end - at, ptr, 2);
}

/* An owner replaced by a label over 63 octets, an extended label type, or a
 * name over 255 octets. */
static void m_longname(unsigned char *m, size_t *n, size_t cap)
{
	rrpos_t rr[MAX_RR];
	size_t se[4], k = parse(m, *n, rr, se);
	if (!k)
		return;
	const rrpos_t *r = &rr[rn((unsigned)k)];
	unsigned char name[600];
	size_t l = 0;
	switch (rn(3)) {
	case 0: /* one label of 64-191 octets */
		name[l++] = (unsigned char)(64 + rn(128));
		for (unsigned i = 0; i < name[0] && l < 300; i++)
			name[l++] = 'a' + rn(26);
		name[l++] = 0;
		note(" longlabel(%u)", name[0]);
		break;
	case 1: { /* 4-9 labels of 63: 256-576 octets */
		unsigned labels = 4 + rn(6);
		for (unsigned j = 0; j < labels; j++) {
			name[l++] = 63;
			for (unsigned i = 0; i < 63; i++)
				name[l++] = 'b';
		}
		name[l++] = 0;
		note(" longname(%zu)", l);
		break;
	}
	default: /* 127 labels of one octet, then root: 255 exactly, or 128: 257 */
		for (unsigned j = 0, labels = 127 + rn(2); j < labels; j++) {
			name[l++] = 1;
			name[l++] = 'x';
		}
		name[l++] = 0;
		note(" manylabels(%zu)", l);
		break;
	}
	(void)msplice(m, n, cap, r->owner, r->fixed - r->owner, name, l);
}

static void m_rdlen(unsigned char *m, size_t *n, size_t cap)
{
	(void)cap;
	rrpos_t rr[MAX_RR];
	size_t se[4], k = parse(m, *n, rr, se);
	if (!k)
		return;
	const rrpos_t *r = &rr[rn((unsigned)k)];
	unsigned v;
	switch (rn(4)) {
	case 0:
		v = r->rdlen + 1 + rn(3);
		break;
	case 1:
		v = r->rdlen ? r->rdlen - 1 - rn(r->rdlen < 3 ? r->rdlen : 3) : 1;
		break;
	case 2:
		v = 0xffff;
		break;
	default:
		v = 0;
		break;
	}
	note(" rdlength(type %u: %u->%u)", r->type, r->rdlen, v & 0xffff);
	put16(m + r->fixed + 8, v);
}

static void m_ttl(unsigned char *m, size_t *n, size_t cap)
{
	(void)cap;
	rrpos_t rr[MAX_RR];
	size_t se[4], k = parse(m, *n, rr, se);
	static const uint32_t ttls[] = {0xffffffffu, 0x80000000u, 0x7fffffffu, 0};
	uint32_t t = ttls[rn(4)];
	int all = rn(2);
	note(" ttl(%s %" PRIu32 ")", all ? "all" : "one", t);
	for (size_t i = 0; i < k; i++)
		if (all || rn((unsigned)k) == 0)
			put32(m + rr[i].fixed + 4, t);
}

static void m_edns(unsigned char *m, size_t *n, size_t cap)
{
	rrpos_t rr[MAX_RR];
	size_t se[4], k = parse(m, *n, rr, se);
	static const unsigned opt_t[] = {T_OPT, 0};
	int i = pick_rr(rr, k, opt_t);
	if (i < 0 || rn(5) == 0) {
		/* A (second) OPT at the end. */
		unsigned char o[11 + 40];
		o[0] = 0;
		put16(o + 1, T_OPT);
		put16(o + 3, rn(2) ? 0 : 4096);
		put32(o + 5, rn(2) ? 0x8000 : (uint32_t)rnd());
		unsigned ol = rn(30);
		put16(o + 9, ol);
		for (unsigned j = 0; j < ol; j++)
			o[11 + j] = (unsigned char)rnd();
		if (msplice(m, n, cap, *n, 0, o, 11 + ol) == 0)
			inc_count(m, 3, 1);
		note(" edns(extra OPT %u)", ol);
		return;
	}
	const rrpos_t *r = &rr[i];
	unsigned char opt[300];
	unsigned code, len, lie = 0;
	static const unsigned codes[] = {3, 8, 9, 10, 11, 12, 13, 14, 15, 65001};
	switch (rn(5)) {
	case 0: /* owner not the root */
		note(" edns(owner)");
		{
			unsigned char nm[3] = {1, 'x', 0};
			(void)msplice(m, n, cap, r->owner, r->fixed - r->owner, nm, 3);
		}
		return;
	case 1: /* version 1..255, extended rcode */
		m[r->fixed + 5] = (unsigned char)(1 + rn(255));
		m[r->fixed + 4] = (unsigned char)rn(256);
		note(" edns(version/ercode)");
		return;
	case 2: /* payload size below 512 */
		put16(m + r->fixed + 2, rn(512));
		note(" edns(payload)");
		return;
	default:
		break;
	}
	code = codes[rn(sizeof(codes) / sizeof(codes[0]))];
	len = rn(60);
	put16(opt, code);
	put16(opt + 2, len);
	if (rn(3) == 0) {
		lie = 1 + rn(500);
		put16(opt + 2, len + lie); /* longer than what follows */
	}
	for (unsigned j = 0; j < len; j++)
		opt[4 + j] = (unsigned char)rnd();
	if (code == 13 && len > 2) /* CHAIN: a name that is no name */
		opt[4] = (unsigned char)(0xc0 | rn(64));
	if (code == 15 && len >= 2) /* EDE: an info code, then "text" with control octets */
		put16(opt + 4, rn(65536));
	note(" edns(option %u len %u%s)", code, len, lie ? " lying" : "");
	(void)rdata_splice(m, n, cap, r, r->rdlen, 0, opt, 4 + len);
}

static void rrsig_mutate(unsigned char *m, size_t *n, size_t cap, const rrpos_t *r)
{
	unsigned char *d = m + r->rdata;
	if (r->rdlen < 18) {
		put16(m + r->fixed + 8, 0);
		return;
	}
	size_t signer_end = skip_name(m, r->rdata + r->rdlen, r->rdata + 18);
	switch (rn(8)) {
	case 0:
		d[3] = rn(2) ? 255 : 0;
		note(" rrsig(labels %u)", d[3]);
		break;
	case 1:
		d[2] = (unsigned char)rn(256);
		note(" rrsig(alg %u)", d[2]);
		break;
	case 2: { /* expiration before inception */
		unsigned char t[4];
		memcpy(t, d + 8, 4);
		memcpy(d + 8, d + 12, 4);
		memcpy(d + 12, t, 4);
		note(" rrsig(expiration<inception)");
		break;
	}
	case 3:
		put16(d, rn(2) ? rn(65536) : T_RRSIG);
		note(" rrsig(type covered)");
		break;
	case 4: /* signature of 0-3 octets */
		if (signer_end && signer_end < r->rdata + r->rdlen) {
			size_t at = signer_end - r->rdata;
			unsigned keep = rn(4);
			size_t del = r->rdlen - at > keep ? r->rdlen - at - keep : 0;
			note(" rrsig(signature %u octets)", keep);
			(void)rdata_splice(m, n, cap, r, at + keep, del, NULL, 0);
		}
		break;
	case 5: /* signature grown by 4000 octets */
		note(" rrsig(signature +4000)");
		(void)rdata_splice(m, n, cap, r, r->rdlen, 0, NULL, 4000);
		break;
	case 6: /* signer: a pointer loop */
		if (signer_end) {
			unsigned char p[2];
			put16(p, 0xc000 | ((r->rdata + 18) & 0x3fff));
			note(" rrsig(signer loop)");
			(void)rdata_splice(m, n, cap, r, 18, signer_end - (r->rdata + 18), p, 2);
		}
		break;
	default:
		put16(d + 16, rn(65536));
		note(" rrsig(key tag)");
		break;
	}
}

static void dnskey_mutate(unsigned char *m, size_t *n, size_t cap, const rrpos_t *r)
{
	unsigned char *d = m + r->rdata;
	if (r->rdlen < 4) {
		note(" dnskey(short)");
		(void)rdata_splice(m, n, cap, r, 0, r->rdlen, NULL, 0);
		return;
	}
	switch (rn(6)) {
	case 0:
		d[2] = (unsigned char)rn(256);
		note(" dnskey(protocol %u)", d[2]);
		break;
	case 1: {
		static const unsigned char algs[] = {0,	 1,  3,	 5,  6,	 7,   8,   10,	12, 13,
						     14, 15, 16, 17, 23, 252, 253, 254, 255};
		d[3] = algs[rn(sizeof(algs))];
		note(" dnskey(alg %u)", d[3]);
		break;
	}
	case 2: {
		unsigned keep = rn(3);
		note(" dnskey(key %u octets)", keep);
		(void)rdata_splice(m, n, cap, r, 4 + (keep < r->rdlen - 4 ? keep : r->rdlen - 4),
				   r->rdlen - 4 > keep ? r->rdlen - 4 - keep : 0, NULL, 0);
		break;
	}
	case 3:
		note(" dnskey(key +4000)");
		(void)rdata_splice(m, n, cap, r, r->rdlen, 0, NULL, 4000);
		break;
	case 4:
		put16(d, rn(65536));
		note(" dnskey(flags)");
		break;
	default: /* RSA exponent length octet 0, or a long form that lies */
		d[4] = rn(2) ? 0 : 0xff;
		note(" dnskey(key octet 0=%u)", d[4]);
		break;
	}
}

static void nsec3_mutate(unsigned char *m, size_t *n, size_t cap, const rrpos_t *r)
{
	unsigned char *d = m + r->rdata;
	if (r->rdlen < 6) {
		note(" nsec3(short)");
		return;
	}
	unsigned salt = d[4];
	size_t hl_at = 5 + salt;
	switch (rn(8)) {
	case 0:
		put16(d + 2, rn(2) ? 65535 : 2500);
		note(" nsec3(iterations %u)", get16(d + 2));
		break;
	case 1:
		d[4] = (unsigned char)(salt + 1 + rn(255 - salt > 0 ? 255 - salt : 1));
		note(" nsec3(salt length lie %u)", d[4]);
		break;
	case 2: /* empty next hashed owner */
		if (hl_at < r->rdlen) {
			unsigned hl = d[hl_at];
			size_t del = hl_at + 1 + hl <= r->rdlen ? hl : r->rdlen - hl_at - 1;
			d[hl_at] = 0;
			note(" nsec3(empty next hash)");
			(void)rdata_splice(m, n, cap, r, hl_at + 1, del, NULL, 0);
		}
		break;
	case 3: /* hash length lie */
		if (hl_at < r->rdlen) {
			d[hl_at] = (unsigned char)(rn(2) ? 255 : d[hl_at] + 1);
			note(" nsec3(hash length lie %u)", d[hl_at]);
		}
		break;
	case 4:
		d[0] = (unsigned char)rn(256);
		note(" nsec3(hash alg %u)", d[0]);
		break;
	case 5:
		d[1] = (unsigned char)rn(256);
		note(" nsec3(flags %u)", d[1]);
		break;
	case 6: /* type bitmap: a window with length 0 or 33, or lying */
		if (hl_at < r->rdlen && hl_at + 1 + d[hl_at] + 2 <= r->rdlen) {
			size_t bm = hl_at + 1 + d[hl_at];
			d[bm + 1] = (unsigned char)(rn(2) ? 0 : 33 + rn(200));
			note(" nsec3(bitmap length %u)", d[bm + 1]);
		}
		break;
	default: /* a salt of 255 octets */
		note(" nsec3(salt 255)");
		if (rdata_splice(m, n, cap, r, 5, salt, NULL, 255) == 0)
			m[r->rdata + 4] = 255;
		break;
	}
}

static void dnssec_fields(unsigned char *m, size_t *n, size_t cap)
{
	rrpos_t rr[MAX_RR];
	size_t se[4], k = parse(m, *n, rr, se);
	/* A type first (RRSIGs would crowd out the rest), then a record of it. */
	static const unsigned types[] = {T_RRSIG, T_DNSKEY, T_NSEC3, T_NSEC, T_DS};
	unsigned present[5], np = 0;
	for (size_t t = 0; t < 5; t++) {
		unsigned one[2] = {types[t], 0};
		if (pick_rr(rr, k, one) >= 0)
			present[np++] = types[t];
	}
	unsigned chosen[2] = {np ? present[rn(np)] : 0, 0};
	int i = np ? pick_rr(rr, k, chosen) : -1;
	if (i < 0) {
		m_bitflip(m, n, cap);
		return;
	}
	const rrpos_t *r = &rr[i];
	switch (r->type) {
	case T_RRSIG:
		rrsig_mutate(m, n, cap, r);
		break;
	case T_DNSKEY:
		dnskey_mutate(m, n, cap, r);
		break;
	case T_NSEC3:
		nsec3_mutate(m, n, cap, r);
		break;
	case T_NSEC: /* next name: a pointer loop, or the bitmap's length lies */
		if (r->rdlen >= 2) {
			if (rn(2)) {
				put16(m + r->rdata, 0xc000 | (r->rdata & 0x3fff));
				note(" nsec(next name loop)");
			} else {
				m[r->rdata + r->rdlen - 1] ^= 0xff;
				note(" nsec(bitmap)");
			}
		}
		break;
	default: /* DS */
		if (r->rdlen >= 4) {
			m[r->rdata + 3] = rn(2) ? 0 : 255;
			note(" ds(digest type %u)", m[r->rdata + 3]);
			if (rn(2))
				(void)rdata_splice(m, n, cap, r, 4, r->rdlen - 4, NULL, rn(3));
		}
		break;
	}
}

static void m_flags(unsigned char *m, size_t *n, size_t cap)
{
	(void)cap;
	if (*n < 4)
		return;
	unsigned f = rn(65536);
	if (rn(2))
		f = (f & ~0x7800u) | 0x8000u; /* keep opcode 0 and QR half of the time */
	note(" flags(%04x->%04x)", get16(m + 2), f);
	put16(m + 2, f);
}

/* A TXT RRset appended to the answer section, owned by the question's name,
 * whose canonical form (uncompressed owner, class, TTL, RDATA) is exactly
 * `size` octets, with a copy of an RRSIG of the message covering TXT. */
static void m_bigrrset(unsigned char *m, size_t *n, size_t cap)
{
	static const unsigned sizes[] = {2048, 4096, 6144, 8192, 1536, 3072};
	unsigned size = sizes[rn(sizeof(sizes) / sizeof(sizes[0]))];
	unsigned char owner[256];
	size_t ol = qname_wire(m, *n, owner);
	rrpos_t rr[MAX_RR];
	size_t se[4], k = parse(m, *n, rr, se);
	if (!ol || (k == 0 && get16(m + 6))) {
		m_bitflip(m, n, cap);
		return;
	}
	unsigned per = (unsigned)ol + 10, count = size / (per + 240) + 1;
	unsigned total = size - count * per; /* RDATA octets in all */
	unsigned char rec[300 + 256];
	size_t at = se[1];
	note(" bigrrset(%u octets, %u TXT)", size, count);
	for (unsigned i = 0; i < count; i++) {
		unsigned rdlen = total / count + (i < total % count);
		size_t l = 0;
		memcpy(rec, owner, ol);
		l = ol;
		put16(rec + l, T_TXT);
		put16(rec + l + 2, 1);
		put32(rec + l + 4, 300);
		put16(rec + l + 8, rdlen);
		l += 10;
		rec[l++] = (unsigned char)(rdlen - 1);
		for (unsigned j = 0; j + 1 < rdlen; j++)
			rec[l++] = (unsigned char)('a' + (i + j) % 26);
		if (msplice(m, n, cap, at, 0, rec, l))
			return;
		at += l;
		inc_count(m, 1, 1);
	}
	static const unsigned sig_t[] = {T_RRSIG, 0};
	int s = pick_rr(rr, k, sig_t);
	if (s >= 0 && rr[s].rdlen >= 18 && rr[s].rdlen <= 1024) {
		unsigned char sig[256 + 10 + 1024];
		memcpy(sig, owner, ol);
		memcpy(sig + ol, m + rr[s].fixed, 10);
		memcpy(sig + ol + 10, m + rr[s].rdata, rr[s].rdlen);
		put16(sig + ol + 10, T_TXT);
		if (msplice(m, n, cap, at, 0, sig, ol + 10 + rr[s].rdlen) == 0)
			inc_count(m, 1, 1);
	}
}

static void m_oversize(unsigned char *m, size_t *n, size_t cap)
{
	static const size_t sizes[] = {1233, 1500, 4097, 16384, UDP_MAX};
	size_t to = sizes[rn(sizeof(sizes) / sizeof(sizes[0]))];
	if (*n + 12 + 8 > to || to > cap || *n < 12)
		return;
	size_t rdlen = to - *n - 12;
	unsigned char h[12];
	put16(h, 0xc00c);
	put16(h + 2, T_TXT);
	put16(h + 4, 1);
	put32(h + 6, 0);
	put16(h + 10, (unsigned)rdlen);
	note(" oversize(%zu)", to);
	if (msplice(m, n, cap, *n, 0, h, 12))
		return;
	size_t left = rdlen;
	while (left) {
		size_t s = left - 1 > 255 ? 255 : left - 1;
		m[(*n)++] = (unsigned char)s;
		memset(m + *n, 'o', s);
		*n += s;
		left -= s + 1;
	}
	inc_count(m, 3, 1);
}

static void m_question(unsigned char *m, size_t *n, size_t cap)
{
	(void)cap;
	size_t e = skip_name(m, *n, 12);
	if (!e || e + 4 > *n)
		return;
	if (rn(2)) {
		m[12 + 1 + rn(m[12] ? m[12] : 1)] ^= 0x20; /* 0x20 case change */
		note(" question(case)");
	} else {
		put16(m + e, rn(65536));
		note(" question(type)");
	}
}

typedef void (*mutation_fn)(unsigned char *, size_t *, size_t);
static const struct {
	mutation_fn fn;
	unsigned weight;
} mutations[] = {
    {m_bitflip, 10},	 {m_truncate, 6}, {m_counts, 6},   {m_pointer, 6},
    {m_longname, 4},	 {m_rdlen, 6},	  {m_ttl, 4},	   {m_edns, 6},
    {dnssec_fields, 24}, {m_flags, 5},	  {m_bigrrset, 6}, {m_question, 2},
};

/* TCP behaviours (chosen per query; 0 = send the message as it is). */
enum {
	TCP_PLAIN,
	TCP_PREFIX_SILENCE,
	TCP_NOREAD,
	TCP_DRIBBLE,
	TCP_RESET,
	TCP_LEN_LONG,
	TCP_LEN_SHORT,
	TCP_TC
};
static const char *const tcp_names[] = {
    "plain",	     "prefix-then-silence", "no-read", "dribble", "reset-mid-message",
    "length-longer", "length-shorter",	    "tc"};

/* Seed the generator for query `q`; returns false when the answer is to be left alone. */
static int choose(const unsigned char *q, size_t qlen, int tcp)
{
	unsigned char name[256];
	size_t nl = qname_wire(q, qlen, name);
	size_t ql = question_len(q, qlen);
	unsigned qtype = ql >= 4 ? get16(q + 12 + ql - 4) : 0;
	int dob = 0;
	size_t p = 12 + ql;
	if (ql && get16(q + 10) && p + 11 <= qlen && q[p] == 0 && get16(q + p + 1) == T_OPT)
		dob = (q[p + 7] & 0x80) != 0;
	uint64_t h = 0xcbf29ce484222325ULL;
	h = fnv(h, &seed, sizeof(seed));
	h = fnv(h, name, nl);
	unsigned char extra[4] = {(unsigned char)(qtype >> 8), (unsigned char)qtype,
				  (unsigned char)tcp, (unsigned char)dob};
	h = fnv(h, extra, sizeof(extra));
	unsigned attempt = asked_count(h);
	h = fnv(h, &attempt, sizeof(attempt));
	rng_state = h;
	loglen = 0;
	char text[300];
	size_t tl = 0;
	for (size_t i = 0; i < nl && name[i] && tl < sizeof(text) - 70; i += name[i] + 1) {
		for (unsigned j = 1; j <= name[i] && i + j < nl; j++)
			text[tl++] = isgraph(name[i + j]) ? (char)name[i + j] : '?';
		text[tl++] = '.';
	}
	text[tl] = '\0';
	note("seed %" PRIu64 " %s/%u %s%s #%u:", seed, text, qtype, tcp ? "tcp" : "udp",
	     dob ? " do" : "", attempt);
	/* What a seed aims at (from the seed alone): a server that breaks everything is dropped
	 * early in the walk, and the answers analysed last would never be mutated. */
	uint64_t saved = rng_state;
	rng_state = seed ^ 0x6d7574616e74ULL;
	unsigned aim = rn(10);
	rng_state = saved;
	int infra = qtype == 2 || qtype == 6 || qtype == 43 || qtype == 48 || qtype == 51 ||
		    qtype == 59 || qtype == 60;
	switch (aim) {
	case 0:
	case 1:
	case 2: /* every answer, five times in six */
		note(" [all]");
		return rn(6) != 0;
	case 3:
	case 4: /* every answer, one time in four */
		note(" [some]");
		return rn(4) == 0;
	case 5:
	case 6:
	case 7: /* the answers to the question asked, not the walk's (NS, SOA, DS, DNSKEY, ...) */
		note(" [data]");
		return !infra && rn(6) != 0;
	default: /* the DNSKEY answers only */
		note(" [dnskey]");
		return qtype == 48 && rn(6) != 0;
	}
}

static void mutate(unsigned char *m, size_t *n, size_t cap, int tcp)
{
	unsigned total = 0;
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++)
		total += mutations[i].weight;
	unsigned k = 1 + (rn(3) == 0) + (rn(6) == 0);
	for (unsigned j = 0; j < k; j++) {
		unsigned w = rn(total);
		size_t i = 0;
		while (w >= mutations[i].weight)
			w -= mutations[i++].weight;
		mutations[i].fn(m, n, cap);
	}
	if (!tcp && rn(10) == 0)
		m_oversize(m, n, cap);
}

/* ---- serving ------------------------------------------------------------ */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void set_timeout(int fd, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int io_full(int fd, unsigned char *buf, size_t n, int out)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = out ? write(fd, buf + done, n - done) : read(fd, buf + done, n - done);
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static size_t forward(const unsigned char *q, size_t qlen, unsigned char *out, size_t cap, int tcp)
{
	int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	size_t n = 0;
	if (fd < 0)
		return 0;
	set_timeout(fd, 1000);
	if (connect(fd, (struct sockaddr *)&upstream, sizeof(upstream)) < 0)
		goto out;
	if (tcp) {
		unsigned char hdr[2];
		put16(hdr, (unsigned)qlen);
		if (io_full(fd, hdr, 2, 1) || io_full(fd, (unsigned char *)q, qlen, 1) ||
		    io_full(fd, hdr, 2, 0))
			goto out;
		size_t len = get16(hdr);
		if (len > cap || io_full(fd, out, len, 0))
			goto out;
		n = len;
	} else {
		if (send(fd, q, qlen, 0) != (ssize_t)qlen)
			goto out;
		ssize_t r = recv(fd, out, cap, 0);
		n = r > 0 ? (size_t)r : 0;
	}
out:
	close(fd);
	return n;
}

/* "sN.mutant-control." or "off.mutant-control.": returns 1 and answers in `out`. */
static int control(const unsigned char *q, size_t qlen, unsigned char *out, size_t *outlen)
{
	unsigned char name[256];
	size_t nl = qname_wire(q, qlen, name);
	static const unsigned char suffix[] = "\016mutant-control";
	if (nl < sizeof(suffix) + 1 ||
	    memcmp(name + nl - sizeof(suffix), suffix, sizeof(suffix) - 1) != 0 ||
	    name[0] + 1 + sizeof(suffix) != nl)
		return 0;
	char label[64];
	memcpy(label, name + 1, name[0]);
	label[name[0]] = '\0';
	char *end = NULL;
	if (strcmp(label, "off") == 0) {
		seeded = 0;
	} else if (label[0] == 's' && isdigit((unsigned char)label[1])) {
		errno = 0;
		uint64_t v = strtoull(label + 1, &end, 10);
		if (errno || *end)
			return 0;
		seed = v;
		seeded = 1;
	} else {
		return 0;
	}
	memset(asked, 0, sizeof(asked));
	if (logfp)
		fprintf(logfp, "control: %s\n", label), fflush(logfp);
	size_t n = make_answer(q, qlen, out, CAP);
	if (!n)
		return 0;
	char txt[64];
	int tl = snprintf(txt, sizeof(txt), seeded ? "seed %" PRIu64 : "off", seed);
	out[2] |= 0x04;
	put16(out + 6, 1);
	unsigned char *p = out + n;
	put16(p, 0xc00c);
	put16(p + 2, T_TXT);
	put16(p + 4, 1);
	put32(p + 6, 0);
	put16(p + 10, (unsigned)tl + 1);
	p[12] = (unsigned char)tl;
	memcpy(p + 13, txt, (size_t)tl);
	*outlen = n + 13 + (size_t)tl;
	return 1;
}

/* The upstream's answer to `q`, mutated when `go`; 0: nothing came. */
static size_t answer(const unsigned char *q, size_t qlen, unsigned char *out, size_t cap, int tcp,
		     int go)
{
	size_t n = forward(q, qlen, out, cap, tcp);
	if (n && go)
		mutate(out, &n, tcp ? cap : UDP_MAX, tcp);
	return n;
}

static void log_mutation(void)
{
	if (logfp && loglen) {
		fprintf(logfp, "%s\n", logbuf);
		fflush(logfp);
	}
}

static void wait_peer_gone(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	(void)poll(&p, 1, ms);
}

static void serve_udp(int ufd)
{
	static unsigned char q[DNSMSG_MAX], out[CAP];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t got = recvfrom(ufd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	size_t qlen = got > 0 ? (size_t)got : 0, n = 0;
	if (!question_len(q, qlen))
		return;
	if (!control(q, qlen, out, &n)) {
		if (!seeded) {
			n = forward(q, qlen, out, sizeof(out), 0);
		} else {
			int go = choose(q, qlen, 0);
			if (go && rn(12) == 0) {
				note(" silence");
				log_mutation();
				return;
			}
			if (go && rn(8) == 0) {
				/* TC=1 and nothing else: over to TCP, where more can go wrong. */
				n = make_answer(q, qlen, out, sizeof(out));
				if (n)
					out[2] |= 0x06; /* AA, TC */
				note(" udp-tc");
				log_mutation();
				goto send;
			}
			n = answer(q, qlen, out, sizeof(out), 0, go);
			if (go)
				log_mutation();
			if (!n && !(go && strstr(logbuf, "truncate(")))
				return; /* nothing from upstream; a message cut to 0 octets is sent
					   empty */
		}
	}
send:
	(void)sendto(ufd, out, n, 0, (struct sockaddr *)&from, fl);
}

/* One TCP connection, in its own process. */
static void serve_tcp(int fd)
{
	static unsigned char q[2 + DNSMSG_MAX], out[2 + CAP];
	set_timeout(fd, 3000);
	for (;;) {
		/* Look at the query before reading it: "no read" leaves it unread. */
		ssize_t got = recv(fd, q, sizeof(q), MSG_PEEK);
		if (got < 2)
			return;
		size_t qlen = get16(q), n = 0;
		if ((size_t)got < 2 + qlen) {
			/* Not all there yet: read it whole, and decide afterwards. */
			if (io_full(fd, q, 2 + qlen, 0))
				return;
			got = -1;
		}
		if (!question_len(q + 2, qlen))
			return;
		int go = 0;
		unsigned how = TCP_PLAIN;
		if (control(q + 2, qlen, out + 2, &n)) {
			/* answered below, as it is */
		} else if (seeded) {
			go = choose(q + 2, qlen, 1);
			if (rn(go ? 3 : 8) == 0)
				how = 1 + rn(7);
			if (how != TCP_PLAIN)
				note(" tcp(%s)", tcp_names[how]);
		}
		if (how == TCP_NOREAD) {
			log_mutation();
			wait_peer_gone(fd, 6000);
			return;
		}
		if (got >= 0 && io_full(fd, q, 2 + qlen, 0))
			return;
		if (!n)
			n = answer(q + 2, qlen, out + 2, CAP, 1, go);
		if (go || how != TCP_PLAIN)
			log_mutation();
		if (!n && how != TCP_PREFIX_SILENCE)
			return;
		put16(out, (unsigned)n);
		switch (how) {
		case TCP_PREFIX_SILENCE:
			(void)io_full(fd, out, 2, 1);
			wait_peer_gone(fd, 6000);
			return;
		case TCP_DRIBBLE:
			for (size_t i = 0; i < n + 2 && !stop; i += 3) {
				if (io_full(fd, out + i, n + 2 - i < 3 ? n + 2 - i : 3, 1))
					return;
				usleep(150 * 1000);
			}
			continue;
		case TCP_RESET: {
			(void)io_full(fd, out, 2 + n / 2, 1);
			struct linger l = {.l_onoff = 1, .l_linger = 0};
			(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			return;
		}
		case TCP_LEN_LONG: {
			size_t lie = n + 1 + rn(1000);
			put16(out, (unsigned)(lie > 0xffff ? 0xffff : lie));
			(void)io_full(fd, out, n + 2, 1);
			wait_peer_gone(fd, 4000);
			return;
		}
		case TCP_LEN_SHORT:
			put16(out, n > 12 ? (unsigned)(12 + rn((unsigned)(n - 12))) : 0);
			(void)io_full(fd, out, n + 2, 1);
			continue;
		case TCP_TC:
			if (n >= 4)
				out[4] |= 0x02;
			break;
		default:
			break;
		}
		if (io_full(fd, out, n + 2, 1))
			return;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct sigaction act;

	if (argc < 5 || argc > 7) {
		fprintf(stderr, "usage: %s ADDR PORT UPSTREAM SEED|off [PIDFILE [LOGFILE]]\n",
			argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	memset(&upstream, 0, sizeof(upstream));
	upstream.sin_family = AF_INET;
	upstream.sin_port = htons(53);
	char *end;
	long port = strtol(argv[2], &end, 10);
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || *end != '\0' || port < 1 ||
	    port > 65535 || inet_pton(AF_INET, argv[3], &upstream.sin_addr) != 1) {
		fprintf(stderr, "mutantd: bad address, port or upstream\n");
		return 2;
	}
	if (strcmp(argv[4], "off") != 0) {
		errno = 0;
		seed = strtoull(argv[4], &end, 10);
		if (errno || *end || !*argv[4]) {
			fprintf(stderr, "mutantd: bad seed '%s'\n", argv[4]);
			return 2;
		}
		seeded = 1;
	}
	if (argc > 6 && !(logfp = fopen(argv[6], "a"))) {
		fprintf(stderr, "mutantd: cannot open %s: %s\n", argv[6], strerror(errno));
		return 1;
	}
	sa.sin_port = htons((unsigned short)port);
	int one = 1;
	int ufd = socket(AF_INET, SOCK_DGRAM, 0);
	if (ufd < 0 || bind(ufd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "mutantd: bind udp %s:%s: %s\n", argv[1], argv[2], strerror(errno));
		return 1;
	}
	int tfd = socket(AF_INET, SOCK_STREAM, 0);
	(void)setsockopt(tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (tfd < 0 || bind(tfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(tfd, 64) < 0) {
		fprintf(stderr, "mutantd: bind tcp %s:%s: %s\n", argv[1], argv[2], strerror(errno));
		return 1;
	}
	if (argc > 5)
		detach("mutantd", argv[5]);
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	memset(&act, 0, sizeof(act));
	act.sa_handler = SIG_IGN;
	act.sa_flags = SA_NOCLDWAIT; /* TCP children reap themselves */
	sigaction(SIGCHLD, &act, NULL);

	while (!stop) {
		struct pollfd p[2] = {{.fd = ufd, .events = POLLIN}, {.fd = tfd, .events = POLLIN}};
		if (poll(p, 2, 1000) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents & POLLIN)
			serve_udp(ufd);
		if (p[1].revents & POLLIN) {
			int c = accept(tfd, NULL, NULL);
			if (c < 0)
				continue;
			pid_t pid = fork();
			if (pid == 0) {
				signal(SIGTERM, SIG_DFL);
				signal(SIGINT, SIG_DFL);
				close(ufd);
				close(tfd);
				serve_tcp(c);
				close(c);
				_exit(0);
			}
			close(c);
		}
	}
	return 0;
}
