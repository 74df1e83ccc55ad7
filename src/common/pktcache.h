/*
 * pktcache.h — parsed copies of the messages a thread sees check after check.
 *
 * scan and serve take root and TLD answers from the process's answer cache
 * (probe/pcache.c): the same bytes, check after check. Parsing them with ldns
 * every time cost more than any other step of the analysis; each thread
 * keeps the parsed message instead (no locks: one cache per thread).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

/*
 * The parsed message for these exact bytes, or NULL if ldns cannot parse
 * them. When *owned is true the caller frees it; otherwise it belongs to
 * the thread's cache: read it, never change or free it, and use it only
 * until the thread's next dd_pkt_epoch().
 */
ldns_pkt *dd_pkt_shared(const uint8_t *wire, size_t len, bool *owned);

/* A new check begins on this thread: messages handed out before may go. */
void dd_pkt_epoch(void);
