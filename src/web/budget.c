/*
 * budget.c — the fair-share query budget (see budget.h).
 *
 * Two tables in one shared mapping: one bucket per target address (capacity
 * twice the budget, refilled at the budget a minute: the ceiling over all
 * clients), and one bucket per (address, client) pair (capacity and refill
 * the client's share). Who is active: minutes are numbered (now / 60 s); an
 * address counts the distinct clients seen in its current minute, and the
 * distinct clients of the current and the previous minute together (N); a
 * pair remembers the last minute it was seen in, which is all that takes.
 */
#include <stddef.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "common/shm.h"
#include "web/budget.h"

#define RUN 16 /* open addressing: slots looked at per key */
#define MINUTE_MS 60000

typedef struct target {
	uint8_t key[16];
	uint8_t len;
	bool used;
	double tokens;
	int64_t last_ms;
	int64_t minute;	 /* the minute `seen` counts */
	uint32_t seen;	 /* distinct clients in that minute */
	uint32_t active; /* distinct clients in it and the one before (N) */
} target_t;

typedef struct pair {
	uint8_t key[32]; /* target then client */
	uint8_t len;
	bool used;
	double tokens;
	int64_t last_ms;
	int64_t minute; /* the last minute this client asked this address */
} pair_t;

struct web_budget {
	pthread_mutex_t mu;
	size_t map_size;
	size_t n_targets, n_pairs;
	target_t *targets;
	pair_t *pairs;
};

web_budget_t *web_budget_new(size_t targets, size_t pairs)
{
	size_t nt = targets ? targets : 1, np = pairs ? pairs : 1;
	size_t head = (sizeof(web_budget_t) + 63) & ~(size_t)63;
	size_t size = head + nt * sizeof(target_t) + np * sizeof(pair_t);
	void *m = dd_shm_new(size, offsetof(web_budget_t, mu));
	if (!m)
		return NULL;
	web_budget_t *b = m;
	b->map_size = size;
	b->n_targets = nt;
	b->n_pairs = np;
	b->targets = (target_t *)((uint8_t *)m + head);
	b->pairs = (pair_t *)(b->targets + nt);
	return b;
}

void web_budget_free(web_budget_t *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->mu);
	munmap(b, b->map_size);
}

static uint64_t hash_key(const uint8_t *k, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return h;
}

/* Open addressing over a run of RUN slots; when the run is full, its least
 * recently used slot is taken. Returns the slot (*fresh when new), or NULL
 * when not found and `fresh` is NULL (look up only). */
#define FIND_SLOT(table, n, k, klen, fresh)                                                        \
	{                                                                                          \
		size_t h = (size_t)(hash_key(k, klen) % (n)), victim = h;                          \
		for (size_t i = 0; i < RUN && i < (n); i++) {                                      \
			size_t s = (h + i) % (n);                                                  \
			if (table[s].used && table[s].len == (klen) &&                             \
			    memcmp(table[s].key, k, klen) == 0) {                                  \
				if (fresh)                                                         \
					*(fresh) = false;                                          \
				return &table[s];                                                  \
			}                                                                          \
			if (table[victim].used &&                                                  \
			    (!table[s].used || table[s].last_ms < table[victim].last_ms))          \
				victim = s;                                                        \
		}                                                                                  \
		if (!(fresh))                                                                      \
			return NULL;                                                               \
		memset(&table[victim], 0, sizeof(table[victim]));                                  \
		memcpy(table[victim].key, k, klen);                                                \
		table[victim].len = (uint8_t)(klen);                                               \
		table[victim].used = true;                                                         \
		*(fresh) = true;                                                                   \
		return &table[victim];                                                             \
	}

static target_t *find_target(web_budget_t *b, const uint8_t *k, size_t klen, bool *fresh)
    FIND_SLOT(b->targets, b->n_targets, k, klen, fresh)

	static pair_t *find_pair(web_budget_t *b, const uint8_t *k, size_t klen, bool *fresh)
	    FIND_SLOT(b->pairs, b->n_pairs, k, klen, fresh)

		bool web_budget_take(web_budget_t *b, const void *target, size_t tlen,
				     const void *client, size_t clen, int64_t now_ms,
				     unsigned per_min, unsigned *share_out)
{
	if (tlen > 16)
		tlen = 16;
	if (clen > 16)
		clen = 16;
	double budget = per_min ? per_min : 1;
	int64_t minute = now_ms / MINUTE_MS;
	uint8_t pk[32];
	memcpy(pk, target, tlen);
	memcpy(pk + tlen, client, clen);

	dd_shm_lock(
	    &b->mu); /* a worker that died holding it leaves numbers only: nothing to repair */
	bool fresh;
	target_t *t = find_target(b, target, tlen, &fresh);
	if (fresh) {
		t->tokens = 2 * budget;
		t->last_ms = now_ms;
		t->minute = minute;
	}
	if (now_ms > t->last_ms) {
		t->tokens += (double)(now_ms - t->last_ms) * budget / MINUTE_MS;
		if (t->tokens > 2 * budget)
			t->tokens = 2 * budget;
		t->last_ms = now_ms;
	}
	if (minute != t->minute) {
		t->active = minute == t->minute + 1 ? t->seen : 0;
		t->seen = 0;
		t->minute = minute;
	}

	pair_t *p = find_pair(b, pk, tlen + clen, &fresh);
	if (fresh)
		p->minute = INT64_MIN;
	if (p->minute != minute) {
		t->seen++;
		if (p->minute != minute - 1)
			t->active++; /* not counted as one of the previous minute's */
		p->minute = minute;
	}
	double share = budget / (t->active ? t->active : 1);
	if (share < 1.0)
		share = 1.0;
	if (fresh) {
		p->tokens = share;
		p->last_ms = now_ms;
	}
	if (now_ms > p->last_ms) {
		p->tokens += (double)(now_ms - p->last_ms) * share / MINUTE_MS;
		p->last_ms = now_ms;
	}
	if (p->tokens > share)
		p->tokens = share; /* more clients came: the share shrinks */
	bool ok = p->tokens >= 1.0 && t->tokens >= 1.0;
	if (ok) {
		p->tokens -= 1.0;
		t->tokens -= 1.0;
	}
	pthread_mutex_unlock(&b->mu);
	if (share_out)
		*share_out = (unsigned)share;
	return ok;
}

void web_budget_give(web_budget_t *b, const void *target, size_t tlen, const void *client,
		     size_t clen, unsigned per_min)
{
	if (tlen > 16)
		tlen = 16;
	if (clen > 16)
		clen = 16;
	double budget = per_min ? per_min : 1;
	uint8_t pk[32];
	memcpy(pk, target, tlen);
	memcpy(pk + tlen, client, clen);
	dd_shm_lock(&b->mu);
	target_t *t = find_target(b, target, tlen, NULL);
	pair_t *p = find_pair(b, pk, tlen + clen, NULL);
	if (t && t->tokens + 1.0 <= 2 * budget)
		t->tokens += 1.0;
	double share = t ? budget / (t->active ? t->active : 1) : budget;
	if (p && p->tokens + 1.0 <= (share < 1.0 ? 1.0 : share))
		p->tokens += 1.0;
	pthread_mutex_unlock(&b->mu);
}
