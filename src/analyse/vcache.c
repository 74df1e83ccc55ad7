/*
 * vcache.c — signature verification, each distinct (RRset, RRSIG, keys)
 * verified once.
 *
 * The key is a SHA-256 over exactly the bytes the verification depends on:
 * every record of the RRset in canonical wire form, the whole RRSIG, and
 * every candidate key. The same signature served by several name servers
 * (or seen again by a later check of a scan) is verified once. Only the
 * arithmetic result is kept: dates are judged by the caller every time.
 * Thread-safe; when the table is full it starts afresh.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "analyse/analyse.h"

typedef struct ventry {
	uint8_t key[32];
	ldns_status st;
	bool used;
} ventry_t;

struct an_vcache {
	pthread_mutex_t m;
	ventry_t *tab;
	size_t cap, n;
	unsigned long hits, misses;
};

an_vcache_t *an_vcache_new(size_t max_entries)
{
	an_vcache_t *v = calloc(1, sizeof(*v));
	size_t cap = 1024;
	while (cap < 2 * max_entries && cap < (1u << 24))
		cap <<= 1;
	if (v)
		v->tab = calloc(cap, sizeof(ventry_t));
	if (!v || !v->tab) {
		free(v);
		return NULL;
	}
	v->cap = cap;
	pthread_mutex_init(&v->m, NULL);
	return v;
}

void an_vcache_free(an_vcache_t *v)
{
	if (!v)
		return;
	pthread_mutex_destroy(&v->m);
	free(v->tab);
	free(v);
}

void an_vcache_stats(an_vcache_t *v, unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&v->m);
	*hits = v->hits;
	*misses = v->misses;
	pthread_mutex_unlock(&v->m);
}

/* SHA-256 with the digest fetched once (OpenSSL 3 looks it up on every EVP_sha256() use otherwise). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static bool sha256(const void *data, size_t len, uint8_t out[32])
{
	pthread_once(&sha256_once, sha256_fetch);
	unsigned n = 0;
	return sha256_md && EVP_Digest(data, len, out, &n, sha256_md, NULL) == 1 && n == 32;
}

static bool hash_input(const ldns_rr_list *rrset, const ldns_rr *sig, const ldns_rr_list *keys, uint8_t out[32])
{
	ldns_buffer *b = ldns_buffer_new(4096);
	if (!b)
		return false;
	bool ok = true;
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(rrset); i++)
		ok = ldns_rr2buffer_wire_canonical(b, ldns_rr_list_rr(rrset, i), LDNS_SECTION_ANSWER) == LDNS_STATUS_OK;
	ldns_buffer_write_u8(b, 0xff); /* separators: no two inputs hash alike by shifting bytes */
	ok = ok && ldns_rr2buffer_wire_canonical(b, sig, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK;
	for (size_t i = 0; ok && keys && i < ldns_rr_list_rr_count(keys); i++) {
		ldns_buffer_write_u8(b, 0xfe);
		ok = ldns_rr2buffer_wire_canonical(b, ldns_rr_list_rr(keys, i), LDNS_SECTION_ANSWER) == LDNS_STATUS_OK;
	}
	ok = ok && ldns_buffer_status_ok(b) && sha256(ldns_buffer_begin(b), ldns_buffer_position(b), out);
	ldns_buffer_free(b);
	return ok;
}

ldns_status an_verify(an_vcache_t *v, ldns_rr_list *rrset, ldns_rr *sig, const ldns_rr_list *keys)
{
	uint8_t key[32];
	if (!v || !hash_input(rrset, sig, keys, key))
		return ldns_verify_rrsig_keylist_notime(rrset, sig, keys, NULL);
	size_t h;
	memcpy(&h, key, sizeof(h));
	pthread_mutex_lock(&v->m);
	for (size_t i = h & (v->cap - 1);; i = (i + 1) & (v->cap - 1)) {
		ventry_t *e = &v->tab[i];
		if (!e->used)
			break;
		if (memcmp(e->key, key, 32) == 0) {
			ldns_status st = e->st;
			v->hits++;
			pthread_mutex_unlock(&v->m);
			return st;
		}
	}
	v->misses++;
	pthread_mutex_unlock(&v->m);
	/* Verify outside the lock: other threads go on meanwhile. */
	ldns_status st = ldns_verify_rrsig_keylist_notime(rrset, sig, keys, NULL);
	pthread_mutex_lock(&v->m);
	if (v->n >= v->cap / 2) {
		memset(v->tab, 0, v->cap * sizeof(ventry_t));
		v->n = 0;
	}
	for (size_t i = h & (v->cap - 1);; i = (i + 1) & (v->cap - 1)) {
		ventry_t *e = &v->tab[i];
		if (e->used && memcmp(e->key, key, 32) == 0)
			break; /* another thread got there first */
		if (!e->used) {
			memcpy(e->key, key, 32);
			e->st = st;
			e->used = true;
			v->n++;
			break;
		}
	}
	pthread_mutex_unlock(&v->m);
	return st;
}
