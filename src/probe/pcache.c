/*
 * pcache.c — answers shared by the checks of one process (scan, serve).
 *
 * Only what cannot mislead is kept (the probe decides): answers of the root
 * servers, and the DNSKEY, SOA and NS of the root and the TLDs at their own
 * servers. Below the TLDs every check asks afresh, so an operator who has
 * just fixed a DS sees the fix. An entry lives for the smallest TTL in the
 * answer, at most an hour; errors, truncated answers and answers without
 * records are not kept. Thread-safe; when full it starts afresh.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "probe/probe.h"

#define PCACHE_MAX_TTL 3600

typedef struct pentry {
	struct pentry *next;
	char *key;
	uint8_t *wire;
	size_t len;
	int64_t expires;
} pentry_t;

struct probe_cache {
	pthread_mutex_t m;
	pentry_t **buckets;
	size_t n_buckets, n, max;
	unsigned long hits, misses;
};

probe_cache_t *probe_cache_new(size_t max_entries)
{
	probe_cache_t *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->max = max_entries ? max_entries : 10000;
	c->n_buckets = 1024;
	while (c->n_buckets < c->max && c->n_buckets < (1u << 20))
		c->n_buckets <<= 1;
	c->buckets = calloc(c->n_buckets, sizeof(pentry_t *));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->m, NULL);
	return c;
}

static void clear_all(probe_cache_t *c)
{
	for (size_t i = 0; i < c->n_buckets; i++) {
		for (pentry_t *e = c->buckets[i], *n; e; e = n) {
			n = e->next;
			free(e->key);
			free(e->wire);
			free(e);
		}
		c->buckets[i] = NULL;
	}
	c->n = 0;
}

void probe_cache_free(probe_cache_t *c)
{
	if (!c)
		return;
	clear_all(c);
	pthread_mutex_destroy(&c->m);
	free(c->buckets);
	free(c);
}

void probe_cache_stats(probe_cache_t *c, unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&c->m);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->m);
}

static char *make_key(const char *server, uint16_t port, const char *qname, uint16_t qtype, unsigned flags)
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

bool probe_cache_get(probe_cache_t *c, const char *server, uint16_t port, const char *qname, uint16_t qtype,
		     unsigned flags, int64_t now, uint8_t **wire, size_t *len)
{
	*wire = NULL;
	*len = 0;
	char *k = make_key(server, port, qname, qtype, flags);
	if (!k)
		return false;
	bool hit = false;
	pthread_mutex_lock(&c->m);
	for (pentry_t *e = c->buckets[hash(k) & (c->n_buckets - 1)]; e; e = e->next) {
		if (strcmp(e->key, k) != 0 || e->expires <= now)
			continue;
		*wire = malloc(e->len);
		if (*wire) {
			memcpy(*wire, e->wire, e->len);
			*len = e->len;
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

void probe_cache_put(probe_cache_t *c, const char *server, uint16_t port, const char *qname, uint16_t qtype,
		     unsigned flags, int64_t now, const uint8_t *wire, size_t len)
{
	uint32_t ttl = answer_ttl(wire, len);
	if (!ttl)
		return;
	char *k = make_key(server, port, qname, qtype, flags);
	uint8_t *w = malloc(len);
	pentry_t *e = calloc(1, sizeof(*e));
	if (!k || !w || !e) {
		free(k);
		free(w);
		free(e);
		return;
	}
	memcpy(w, wire, len);
	e->key = k;
	e->wire = w;
	e->len = len;
	e->expires = now + ttl;
	size_t b = hash(k) & (c->n_buckets - 1);
	pthread_mutex_lock(&c->m);
	/* Replace an older entry for the same question. */
	for (pentry_t **pp = &c->buckets[b]; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->key, k) == 0) {
			pentry_t *old = *pp;
			*pp = old->next;
			free(old->key);
			free(old->wire);
			free(old);
			c->n--;
			break;
		}
	if (c->n >= c->max) {
		clear_all(c);
		b = hash(k) & (c->n_buckets - 1);
	}
	e->next = c->buckets[b];
	c->buckets[b] = e;
	c->n++;
	pthread_mutex_unlock(&c->m);
}
