/*
 * guard.h — what keeps the web service from being used against others:
 * which addresses may be queried, and token buckets for the per-client rate
 * limit (a mutex inside). The per-address query budget, which serve's worker
 * processes share, is in budget.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Is `addr` (IPv4 or IPv6 text) a global unicast address? False for the
 * special-purpose ranges of RFC 6890 and its IANA registries that are not
 * globally reachable: private (RFC 1918, fc00::/7), loopback, link-local,
 * unspecified, "this network", shared address space (100.64/10), benchmarking,
 * documentation, IETF protocol assignments, multicast, reserved, broadcast,
 * IPv4-mapped/compatible and NAT64/6to4/Teredo forms of those (checked on
 * the embedded IPv4 address), discard-only. Unparseable text is not global.
 * On false, `*why` names the range ("private (RFC 1918)").
 */
bool web_addr_global(const char *addr, const char **why);

typedef struct web_buckets web_buckets_t;

/* A table of token buckets, `capacity` keys at most (the least recently
 * used key is dropped when full). Returns NULL on out of memory. */
web_buckets_t *web_buckets_new(size_t capacity);
void web_buckets_free(web_buckets_t *b);

/*
 * Take one token from the bucket of `key` (`len` <= 16 bytes) at `now_ms`:
 * `per_min` tokens a minute, a burst of `per_min`. Returns true when a token
 * was there; otherwise false and `*retry_s` (>= 1) says when the next one is.
 */
bool web_buckets_take(web_buckets_t *b, const void *key, size_t len, int64_t now_ms,
		      unsigned per_min, unsigned *retry_s);
