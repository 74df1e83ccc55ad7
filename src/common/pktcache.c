/*
 * pktcache.c — a small per-thread table of parsed messages (see pktcache.h).
 *
 * Entries are found by a hash of the bytes and then compared byte for byte.
 * Messages handed out since the thread's last epoch are never evicted (a
 * check may still hold them); when every slot holds one, the caller gets a
 * private copy instead. Bounded: PKT_SLOTS messages of at most PKT_MAX_WIRE
 * octets per thread, freed when the thread ends.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/pktcache.h"

#define PKT_SLOTS 64
#define PKT_MAX_WIRE 4096

typedef struct slot {
	uint64_t hash;
	size_t len;
	uint8_t *wire;
	ldns_pkt *pkt;
	unsigned long epoch; /* last handed out in this epoch */
	unsigned long used;  /* for least-recently-used eviction */
} slot_t;

typedef struct table {
	slot_t s[PKT_SLOTS];
	unsigned long epoch, tick;
} table_t;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void table_free(void *p)
{
	table_t *t = p;
	for (size_t i = 0; t && i < PKT_SLOTS; i++) {
		ldns_pkt_free(t->s[i].pkt);
		free(t->s[i].wire);
	}
	free(t);
}

static void key_make(void)
{
	pthread_key_create(&key, table_free);
}

static table_t *table(void)
{
	pthread_once(&key_once, key_make);
	table_t *t = pthread_getspecific(key);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t && pthread_setspecific(key, t) != 0) {
			free(t);
			t = NULL;
		}
		if (t)
			t->epoch = 1;
	}
	return t;
}

/* FNV-1a, 64 bits: only to find candidates; equality is checked on the bytes. */
static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

void dd_pkt_epoch(void)
{
	table_t *t = table();
	if (t)
		t->epoch++;
}

ldns_pkt *dd_pkt_shared(const uint8_t *wire, size_t len, bool *owned)
{
	*owned = true;
	ldns_pkt *pkt = NULL;
	table_t *t = len <= PKT_MAX_WIRE ? table() : NULL;
	if (!t)
		return ldns_wire2pkt(&pkt, wire, len) == LDNS_STATUS_OK ? pkt : NULL;
	/* The ends of the message tell messages apart (ID and question first,
	 * signatures last) at a fraction of hashing all of it. */
	uint64_t h = len <= 128 ? fnv1a(wire, len)
				: fnv1a(wire, 64) ^ (fnv1a(wire + len - 64, 64) * 31u) ^ len;
	slot_t *victim = NULL;
	for (size_t i = 0; i < PKT_SLOTS; i++) {
		slot_t *s = &t->s[i];
		if (s->pkt && s->hash == h && s->len == len && memcmp(s->wire, wire, len) == 0) {
			s->epoch = t->epoch;
			s->used = ++t->tick;
			*owned = false;
			return s->pkt;
		}
		if (s->epoch != t->epoch &&
		    (!victim || !s->pkt || (victim->pkt && s->used < victim->used)))
			victim = s;
	}
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return NULL;
	uint8_t *copy = victim ? malloc(len) : NULL;
	if (!copy)
		return pkt; /* every slot in use by this check, or no memory: a private copy */
	ldns_pkt_free(victim->pkt);
	free(victim->wire);
	memcpy(copy, wire, len);
	*victim = (slot_t){
	    .hash = h, .len = len, .wire = copy, .pkt = pkt, .epoch = t->epoch, .used = ++t->tick};
	*owned = false;
	return pkt;
}
