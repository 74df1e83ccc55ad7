/*
 * budget.h — the per-address query budget of `serve`, shared fairly between
 * clients and kept in memory shared by the service's processes.
 *
 * Each name-server address may be asked `per_min` queries a minute over all
 * checks. Clients (the address of whoever asked for the check; IPv6 by /64)
 * share it: with N clients asking an address in the current or the previous
 * minute, each may spend per_min / N a minute there (token buckets of that
 * size), so a lone client may use all of it, and a client that has used it
 * up does not starve the next one. Over all clients an address is never
 * asked more than twice the budget in a burst, and the budget a minute on
 * average. The tables live in one anonymous MAP_SHARED mapping under a
 * process-shared robust mutex: make it before forking the workers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct web_budget web_budget_t;

/* Tables for `targets` addresses and `pairs` (address, client) pairs (the
 * least recently used entry of a short run is dropped when full). Returns
 * NULL when the mapping cannot be made. */
web_budget_t *web_budget_new(size_t targets, size_t pairs);
void web_budget_free(web_budget_t *b);

/*
 * One query to `target` (an address: 4 or 16 bytes) on behalf of `client`
 * (up to 16 bytes) at `now_ms` (a monotonic clock shared by the processes).
 * Returns true and spends a token when the client's share and the address's
 * budget allow it; false otherwise. `*share` (may be NULL) gets the client's
 * current share a minute (per_min / N, at least 1).
 */
bool web_budget_take(web_budget_t *b, const void *target, size_t tlen, const void *client,
		     size_t clen, int64_t now_ms, unsigned per_min, unsigned *share);

/* Give back the token of a query web_budget_take allowed but that was never
 * sent (capped at the buckets' sizes). */
void web_budget_give(web_budget_t *b, const void *target, size_t tlen, const void *client,
		     size_t clen, unsigned per_min);
