#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "web/guard.h"

typedef struct range4 {
	uint32_t net;
	unsigned bits;
	const char *why;
} range4_t;

/* IANA IPv4 special-purpose registry, entries that are not globally reachable. */
static const range4_t v4_ranges[] = {
    {0x00000000, 8, "\"this network\" (RFC 791)"},
    {0x0a000000, 8, "private (RFC 1918)"},
    {0x64400000, 10, "shared address space (RFC 6598)"},
    {0x7f000000, 8, "loopback (RFC 1122)"},
    {0xa9fe0000, 16, "link-local (RFC 3927)"},
    {0xac100000, 12, "private (RFC 1918)"},
    {0xc0000000, 24, "IETF protocol assignments (RFC 6890)"},
    {0xc0000200, 24, "documentation (RFC 5737)"},
    {0xc0586300, 24, "6to4 relay anycast (RFC 7526)"},
    {0xc0a80000, 16, "private (RFC 1918)"},
    {0xc6120000, 15, "benchmarking (RFC 2544)"},
    {0xc6336400, 24, "documentation (RFC 5737)"},
    {0xcb007100, 24, "documentation (RFC 5737)"},
    {0xe0000000, 4, "multicast (RFC 5771)"},
    {0xf0000000, 4, "reserved (RFC 1112)"},
};

static bool v4_global(uint32_t a, const char **why)
{
	for (size_t i = 0; i < sizeof(v4_ranges) / sizeof(v4_ranges[0]); i++) {
		uint32_t mask = v4_ranges[i].bits ? 0xffffffffu << (32 - v4_ranges[i].bits) : 0;
		if ((a & mask) == v4_ranges[i].net) {
			*why = v4_ranges[i].why;
			return false;
		}
	}
	return true;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool v6_global(const uint8_t *a, const char **why)
{
	static const uint8_t zero[16];
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1)) {
		*why = a[15] ? "loopback (RFC 4291)" : "unspecified (RFC 4291)";
		return false;
	}
	/* IPv4-mapped ::ffff:0:0/96 and IPv4-compatible ::/96: judge the IPv4 address. */
	if (memcmp(a, zero, 10) == 0 &&
	    ((a[10] == 0xff && a[11] == 0xff) || (a[10] == 0 && a[11] == 0)))
		return v4_global(be32(a + 12), why);
	/* NAT64 64:ff9b::/96 and 64:ff9b:1::/48 (RFC 6052, 8215). */
	if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b) {
		if (a[4] == 0 && a[5] == 1) {
			*why = "local-use NAT64 (RFC 8215)";
			return false;
		}
		return v4_global(be32(a + 12), why);
	}
	/* 6to4 2002::/16 embeds an IPv4 address. */
	if (a[0] == 0x20 && a[1] == 0x02)
		return v4_global(be32(a + 2), why);
	static const struct {
		uint8_t p[4];
		unsigned bits;
		const char *why;
	} r6[] = {
	    {{0x01, 0x00, 0, 0}, 16, "discard-only (RFC 6666)"}, /* 100::/64, taken as /16 */
	    {{0x20, 0x01, 0x00, 0x00}, 32, "Teredo (RFC 4380)"},
	    {{0x20, 0x01, 0x00, 0x00}, 23, "IETF protocol assignments (RFC 2928)"},
	    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation (RFC 3849)"},
	    {{0x3f, 0xff, 0, 0}, 20, "documentation (RFC 9637)"},
	    {{0x5f, 0x00, 0, 0}, 16, "segment routing (RFC 9602)"},
	    {{0xfc, 0x00, 0, 0}, 7, "unique local (RFC 4193)"},
	    {{0xfe, 0x80, 0, 0}, 10, "link-local (RFC 4291)"},
	    {{0xfe, 0xc0, 0, 0}, 10, "site-local (RFC 3879)"},
	    {{0xff, 0x00, 0, 0}, 8, "multicast (RFC 4291)"},
	};
	uint32_t head = be32(a);
	for (size_t i = 0; i < sizeof(r6) / sizeof(r6[0]); i++) {
		uint32_t mask = 0xffffffffu << (32 - r6[i].bits);
		if ((head & mask) == (be32(r6[i].p) & mask)) {
			*why = r6[i].why;
			return false;
		}
	}
	/* Only 2000::/3 is allocated global unicast. */
	if ((a[0] & 0xe0) != 0x20) {
		*why = "reserved (outside 2000::/3)";
		return false;
	}
	return true;
}

bool web_addr_global(const char *addr, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = "not an IP address";
	struct in_addr a4;
	struct in6_addr a6;
	if (addr && inet_pton(AF_INET, addr, &a4) == 1)
		return v4_global(ntohl(a4.s_addr), why);
	if (addr && inet_pton(AF_INET6, addr, &a6) == 1)
		return v6_global(a6.s6_addr, why);
	return false;
}

/* ---- token buckets -------------------------------------------------------- */

typedef struct bucket {
	uint8_t key[16];
	uint8_t len;
	bool used;
	double tokens;
	int64_t last_ms; /* last refill */
} bucket_t;

struct web_buckets {
	pthread_mutex_t mu;
	bucket_t *b;
	size_t cap;
};

web_buckets_t *web_buckets_new(size_t capacity)
{
	web_buckets_t *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cap = capacity ? capacity : 1;
	t->b = calloc(t->cap, sizeof(bucket_t));
	if (!t->b || pthread_mutex_init(&t->mu, NULL)) {
		free(t->b);
		free(t);
		return NULL;
	}
	return t;
}

void web_buckets_free(web_buckets_t *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->b);
	free(t);
}

static uint64_t hash_key(const uint8_t *k, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return h;
}

#define PROBE_LEN 16

bool web_buckets_take(web_buckets_t *t, const void *key, size_t len, int64_t now_ms,
		      unsigned per_min, unsigned *retry_s)
{
	if (len > 16)
		len = 16;
	double cap = per_min ? per_min : 1, rate = cap / 60000.0; /* tokens per ms */
	pthread_mutex_lock(&t->mu);
	size_t h = (size_t)(hash_key(key, len) % t->cap);
	bucket_t *b = NULL, *victim = NULL;
	/* Open addressing over a short run; when the run is full, reuse its least recently refilled
	 * slot. */
	for (size_t i = 0; i < PROBE_LEN && i < t->cap && !b; i++) {
		bucket_t *c = &t->b[(h + i) % t->cap];
		if (c->used && c->len == len && memcmp(c->key, key, len) == 0)
			b = c;
		else if (!victim || (victim->used && (!c->used || c->last_ms < victim->last_ms)))
			victim = c;
	}
	if (!b) {
		b = victim;
		memset(b, 0, sizeof(*b));
		memcpy(b->key, key, len);
		b->len = (uint8_t)len;
		b->used = true;
		b->tokens = cap;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rate;
		if (b->tokens > cap)
			b->tokens = cap;
		b->last_ms = now_ms;
	}
	bool ok = b->tokens >= 1.0;
	if (ok) {
		b->tokens -= 1.0;
	} else if (retry_s) {
		double ms = (1.0 - b->tokens) / rate;
		unsigned s = (unsigned)((ms + 999.0) / 1000.0);
		*retry_s = s ? s : 1;
	}
	pthread_mutex_unlock(&t->mu);
	return ok;
}
