/*
 * msg.h — facts about parsed DNS messages that the probe and the analysis
 * both need.
 */
#pragma once

#include <stdbool.h>

#include <ldns/ldns.h>

/*
 * Is this a referral to `child` that carries what a DS query at that server
 * would tell (RFC 4035 §3.1.4): the DS RRset, or NSEC/NSEC3 records proving
 * there is none, with signatures? Only the presence is judged here; the
 * analysis validates the records as it would a DS answer.
 */
bool dd_referral_has_ds(const ldns_pkt *pkt, const ldns_rdf *child);

/*
 * A name's canonical text (lower case, trailing dot, escaped as ldns prints
 * names): what the evidence and the report use as a key. NULL when `name`
 * is not a name or memory runs out. Caller frees.
 */
char *dd_name_text(const ldns_rdf *name);

/*
 * A DS record's text exactly as ldns_rr2str() prints it, without the final
 * newline ("owner<TAB>ttl<TAB>IN<TAB>DS<TAB>tag alg digest-type hex"), made
 * without ldns's printf per character. NULL when the record is not a plain
 * IN DS with a digest (then ask ldns) or memory runs out. Caller frees.
 */
char *dd_ds_text(const ldns_rr *rr);
