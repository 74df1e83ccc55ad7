/*
 * pcache.c — answers shared by the checks of one process (scan), or of a
 * process and the workers it forks (serve).
 *
 * Only what cannot mislead is kept (the probe decides): answers of the root
 * servers, and the DNSKEY, SOA and NS of the root and the TLDs at their own
 * servers. Below the TLDs every check asks afresh, so an operator who has
 * just fixed a DS sees the fix. An entry lives for the smallest TTL in the
 * answer, at most an hour; errors, truncated answers and answers without
 * records are not kept. When full it starts afresh.
 *
 * Everything lives in one anonymous shared mapping made by probe_cache_new,
 * so that processes forked afterwards (serve's workers) share it: a hash
 * table of offsets and an area the entries are appended to, under a
 * process-shared, robust mutex. A worker that dies holding the lock leaves
 * the table possibly half-written: the next one to lock it empties it.
 */
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ldns/ldns.h>

#include "common/shm.h"
#include "probe/probe.h"

#define PCACHE_MAX_TTL 3600
#define PCACHE_BYTES_PER_ENTRY 2048 /* the data area: this much per entry allowed */

/* An entry in the data area: the header, the key (with its NUL), the wire; 8-aligned. */
typedef struct pentry {
	uint32_t next; /* offset + 1 of the next entry in the bucket, 0 at the end */
	uint32_t klen; /* key length with its NUL */
	uint32_t wlen;
	uint32_t pad;
	int64_t expires;
} pentry_t;

struct probe_cache {
	pthread_mutex_t m;
	size_t map_size;
	size_t n_buckets, n, max;
	size_t data_size, data_used;
	unsigned long hits, misses;
	uint8_t *data;	    /* in this mapping, after the buckets */
	uint32_t buckets[]; /* offset + 1 of the first entry, 0 for none */
};

static void clear_all(probe_cache_t *c)
{
	memset(c->buckets, 0, c->n_buckets * sizeof(c->buckets[0]));
	c->n = 0;
	c->data_used = 0;
}

static void lock(probe_cache_t *c)
{
	if (dd_shm_lock(&c->m))
		clear_all(c); /* its holder died (a crashed worker): what it was writing may be half
				 done */
}

probe_cache_t *probe_cache_new(size_t max_entries)
{
	size_t max = max_entries ? max_entries : 10000;
	if (max > (1u << 20))
		max = 1u << 20;
	size_t n_buckets = 1024;
	while (n_buckets < max && n_buckets < (1u << 20))
		n_buckets <<= 1;
	size_t head = sizeof(probe_cache_t) + n_buckets * sizeof(uint32_t);
	head = (head + 63) & ~(size_t)63;
	size_t data_size = max * PCACHE_BYTES_PER_ENTRY;
	if (data_size > UINT32_MAX - 1)
		data_size = UINT32_MAX - 1;
	size_t size = head + data_size;
	/* Pages are taken only as they are written. */
	void *m = dd_shm_new(size, offsetof(probe_cache_t, m));
	if (!m)
		return NULL;
	probe_cache_t *c = m;
	c->map_size = size;
	c->n_buckets = n_buckets;
	c->max = max;
	c->data = (uint8_t *)m + head;
	c->data_size = data_size;
	return c;
}

void probe_cache_free(probe_cache_t *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->m);
	munmap(c, c->map_size);
}

void probe_cache_stats(probe_cache_t *c, unsigned long *hits, unsigned long *misses)
{
	lock(c);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->m);
}

static char *make_key(const char *server, uint16_t port, const char *qname, uint16_t qtype,
		      unsigned flags)
{
	size_t n = strlen(server) + strlen(qname) + 40;
	char *k = malloc(n);
	if (k)
		snprintf(k, n, "%s|%u|%s|%u|%u", server, port, qname, qtype, flags);
	return k;
}

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static pentry_t *entry_at(probe_cache_t *c, uint32_t ref)
{
	return (pentry_t *)(c->data + (ref - 1));
}

static const char *entry_key(const pentry_t *e)
{
	return (const char *)(e + 1);
}

static const uint8_t *entry_wire(const pentry_t *e)
{
	return (const uint8_t *)(e + 1) + e->klen;
}

bool probe_cache_get(probe_cache_t *c, const char *server, uint16_t port, const char *qname,
		     uint16_t qtype, unsigned flags, int64_t now, uint8_t **wire, size_t *len)
{
	*wire = NULL;
	*len = 0;
	char *k = make_key(server, port, qname, qtype, flags);
	if (!k)
		return false;
	bool hit = false;
	lock(c);
	for (uint32_t ref = c->buckets[hash(k) & (c->n_buckets - 1)]; ref;
	     ref = entry_at(c, ref)->next) {
		const pentry_t *e = entry_at(c, ref);
		if (strcmp(entry_key(e), k) != 0 || e->expires <= now)
			continue;
		*wire = malloc(e->wlen);
		if (*wire) {
			memcpy(*wire, entry_wire(e), e->wlen);
			*len = e->wlen;
			hit = true;
		}
		break;
	}
	hit ? c->hits++ : c->misses++;
	pthread_mutex_unlock(&c->m);
	free(k);
	return hit;
}

/* The smallest TTL of the answer and authority records, or 0 (do not keep). */
static uint32_t answer_ttl(const uint8_t *wire, size_t len)
{
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK || !pkt)
		return 0;
	uint32_t ttl = 0;
	bool any = false;
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
	if ((rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN) && !ldns_pkt_tc(pkt)) {
		const ldns_rr_list *secs[2] = {ldns_pkt_answer(pkt), ldns_pkt_authority(pkt)};
		for (int s = 0; s < 2; s++)
			for (size_t i = 0; i < ldns_rr_list_rr_count(secs[s]); i++) {
				uint32_t t = ldns_rr_ttl(ldns_rr_list_rr(secs[s], i));
				if (!any || t < ttl)
					ttl = t;
				any = true;
			}
	}
	ldns_pkt_free(pkt);
	return any ? (ttl > PCACHE_MAX_TTL ? PCACHE_MAX_TTL : ttl) : 0;
}

void probe_cache_put(probe_cache_t *c, const char *server, uint16_t port, const char *qname,
		     uint16_t qtype, unsigned flags, int64_t now, const uint8_t *wire, size_t len)
{
	uint32_t ttl = answer_ttl(wire, len);
	if (!ttl)
		return;
	char *k = make_key(server, port, qname, qtype, flags);
	if (!k)
		return;
	size_t klen = strlen(k) + 1;
	size_t need = (sizeof(pentry_t) + klen + len + 7) & ~(size_t)7;
	if (need > c->data_size / 8) {
		free(k); /* an outsized answer would crowd out the rest */
		return;
	}
	size_t b = hash(k) & (c->n_buckets - 1);
	lock(c);
	/* Unlink an older entry for the same question (its bytes stay until the next start afresh).
	 */
	for (uint32_t *pp = &c->buckets[b]; *pp; pp = &entry_at(c, *pp)->next)
		if (strcmp(entry_key(entry_at(c, *pp)), k) == 0) {
			*pp = entry_at(c, *pp)->next;
			c->n--;
			break;
		}
	if (c->n >= c->max || c->data_used + need > c->data_size)
		clear_all(c);
	uint32_t ref = (uint32_t)c->data_used + 1;
	pentry_t *e = entry_at(c, ref);
	*e = (pentry_t){.next = c->buckets[b],
			.klen = (uint32_t)klen,
			.wlen = (uint32_t)len,
			.expires = now + ttl};
	memcpy((char *)(e + 1), k, klen);
	memcpy((uint8_t *)(e + 1) + klen, wire, len);
	c->data_used += need;
	c->buckets[b] = ref;
	c->n++;
	pthread_mutex_unlock(&c->m);
	free(k);
}
