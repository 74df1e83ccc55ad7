/*
 * an_int.h — the analysis's internal face: the state one analysis shares between its
 * modules (analyse.c, emit.c, policy.c, sigcheck.c, msgview.c, denial.c, reach.c,
 * dslink.c, cds.c, zone.c, answer.c, servers.c, verdict.c) and the functions they
 * call across files. Nothing outside src/analyse/ includes it.
 */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/dd.h"
#include "common/wire.h"
#include "analyse/analyse.h"
#include "common/msg.h"
#include "common/pktcache.h"

#define AN_MAX_RRS 64 /* DNSKEYs / RRSIGs / DS considered per RRset */

/* Zones on one path, root first: a name has at most 127 labels, so a path
 * (followed through CNAMEs) has at most 128 zones. Loaded evidence may say
 * anything: a parent cycle is cut at this length. */
#define AN_MAX_PATH 128

typedef struct zst {
	const ev_zone_t *z;
	long parent; /* index into zones, -1 */
	bool analysed;
	bool anchored;
	bool insecure; /* proven insecure (or no anchor above) */
	bool no_anchor;
	bool unreachable;
	bool indeterminate; /* crypto unavailable, or data missing (EDE 5) */
	bool
	    not_asked; /* no address of the zone could be asked at all (no route, address policy) */
	bool has_errors;
	int insecure_ede; /* why it is insecure when policy says so: 1, 2 or 27; 0 otherwise */
	int ds_policy;	  /* DS set judged by policy: 0 fine, 1 or 2 unsupported, 3 SHA-1 only */
	char *ds_policy_detail;
	ldns_rr_list *ds; /* DS set from the parent (or anchors) */
	ldns_rr_list *anchor_keys;
	ldns_rr_list *keys; /* validated keys (or, when none validated, all seen) */
	bool keys_validated;
	ldns_rr_list *seen_keys; /* union of DNSKEYs from every server */
	unsigned tested, ok;	 /* server addresses whose DNSKEY answer was judged / passed */
	char *ds_expected;
	char *ds_data;		/* DS lines for fixes */
	const char **no_dnssec; /* addresses that cannot deliver DNSSEC data (FORMERR to EDNS), into
				   the evidence */
	size_t n_no_dnssec;
} zst_t;

typedef struct ctx {
	const evidence_t *ev;
	int64_t now;
	an_policy_t pol;
	ldns_rr_list *anchors;
	an_result_t *r;
	zst_t *zs;
	ldns_pkt **pkts;    /* parsed responses, one per exchange (NULL: none) */
	bool *pkt_borrowed; /* pkts[i] belongs to the thread's cache (pktcache.h): read only */
	size_t cap_findings;
	int64_t earliest;
	int *t_insecure_ede; /* per target: an answer made insecure by policy (27), else 0 */
	bool *t_shown;	     /* per target: its records are in the result's answer */
	bool *t_answered;    /* per target: some server gave an answer (NOERROR/NXDOMAIN) that was
				judged */
	int oom;
	struct an_work
	    *work; /* the work caps' counters (a pointer: counted from const contexts too) */
} ctx_t;

/* Work done so far by this check, against the policy's caps. */
typedef struct an_work {
	unsigned long validations, nsec3_hashes;
	unsigned long max_validations, max_nsec3_hashes;
	bool capped;
} an_work_t;

/* May `n` more signature validations run? Counted whether or not the
 * shared cache holds the result, so the verdict never depends on what
 * earlier checks left there. False (and the check capped) when they would
 * pass the cap: the caller then does not verify. */
static inline bool an_work_validations(const ctx_t *c, size_t n)
{
	an_work_t *w = c->work;
	if (w->validations + n > w->max_validations) {
		w->capped = true;
		return false;
	}
	w->validations += n;
	return true;
}

/* May `n` more NSEC3 hashes be computed? As an_work_validations(). */
static inline bool an_work_nsec3(const ctx_t *c, size_t n)
{
	an_work_t *w = c->work;
	if (w->nsec3_hashes + n > w->max_nsec3_hashes) {
		w->capped = true;
		return false;
	}
	w->nsec3_hashes += n;
	return true;
}

typedef struct sigcheck {
	bool valid;
	int64_t valid_expiry; /* the latest expiry among valid signatures */
	uint16_t valid_tag;
	unsigned n_sigs; /* RRSIGs covering the type */
	bool expired, notyet, invalid, unknown_key, crypto_unavail, bad_signer, inverted;
	bool capped; /* a signature left unverified: the work cap was reached */
	bool skew;   /* the valid signature's inception lies a little in the future */
	int64_t skew_at;
	uint32_t valid_ottl; /* original TTL of the valid signature with the latest expiry */
	int64_t expired_at, incept_at;
	uint16_t tag; /* of the first failing signature */
	uint8_t alg;
} sigcheck_t;

/* NSEC3 and NSEC3PARAM share their first fields: hash, flags, iterations, salt. */
typedef struct nsec3_params {
	unsigned hash, iterations, salt_len;
} nsec3_params_t;

#define DENIAL_BOGUS 0

#define DENIAL_PROVEN 1

#define DENIAL_INSECURE 2 /* NSEC3 iterations above the limit: resolvers treat it as insecure */

#define DENIAL_OPTOUT 3 /* NXDOMAIN whose next closer name falls in an opt-out span: insecure */

typedef enum ds_miss { DS_MISS_NOKEY, DS_MISS_DIGEST, DS_MISS_ALG } ds_miss_t;

typedef struct actx {
	ctx_t *c;
	an_link_t *links; /* one per evidence zone */
} actx_t;

typedef struct tverdict {
	an_status_t status;
	long broken;	  /* zone index or -1 */
	int insecure_ede; /* why it is insecure, when policy made it so (1, 2, 27) */
	bool crypto;	  /* indeterminate because this machine could not verify (EDE 5) */
} tverdict_t;

/* ---- functions shared by the analysis modules ---- */

char *an_rr_text(const ldns_rr *rr);

char *an_type_text(uint16_t t);

an_finding_t *an_add_finding(ctx_t *c, an_fid_t id, const char *zone, const char *rrset,
			     const char *detail, const char *data, const char *server,
			     int64_t when);

/* Expand {zone} {parent} {rrset} {detail} {data}; keep "{?...?}" only with data, "{!...!}" only
 * without. */
char *an_expand(const char *tpl, const an_finding_t *f, const char *parent);

/* A TLD's DS lives in the root zone: its operator changes it through IANA's root zone
 * management, not at a registrar. Reword a fix written for a registrar (in place). */
void an_tld_fix(an_finding_t *f);

long an_zone_index(const ctx_t *c, const char *name);

/* Allowed by policy, but this machine cannot verify it: indeterminate, not insecure. */
bool an_alg_unverifiable(const ctx_t *c, unsigned alg);

/*
 * RFC 4035 §5.2 and RFC 6840 §5.2: only DS records with an algorithm and a
 * digest type the validator supports count. When none is left the zone is
 * insecure (EDE 1 or 2); otherwise the unusable ones are dropped. A set of
 * SHA-1 digests only is noted for a warning (the fix needs the zone's keys,
 * so the finding is made once they are known).
 */
void an_ds_policy(zst_t *s);

/* Warnings on the keys of a zone whose chain holds: SHA-1 algorithms, short RSA keys. */
void an_key_policy(ctx_t *c, size_t zi);
/* A DNSKEY's size in bits as ldns counts it, or 0 when the key cannot hold
 * what its algorithm needs (an RSA exponent running past the key). */
size_t an_key_bits(const ldns_rr *k);

bool an_key_usable(const ldns_rr *key);

/* May a key verify signatures at all? The Zone Key flag (RFC 4034 §2.1.1) is set. A
 * key with the REVOKE bit (RFC 5011) still verifies here, as Unbound does; that it is
 * revoked is a finding of its own (DS_KEY_REVOKED). */
bool an_key_validates(const ldns_rr *key);

/*
 * The records of one section with this owner (any owner when NULL) and type,
 * at most AN_MAX_RRS of them. The list is borrowed: its records belong to the
 * packet, so it is freed with ldns_rr_list_free(), never deep-freed, and the
 * records are never changed. NULL when there are none. (ldns_pkt_rr_list_by_name_and_type() would
 * copy the whole section and then every match.)
 */
ldns_rr_list *an_section_rrs(ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type,
			     ldns_pkt_section sec);

/* The RRSIGs over (owner, type) in a section; borrowed, like an_section_rrs(). */
ldns_rr_list *an_sigs_over(ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type,
			   ldns_pkt_section sec);

/*
 * The same record, as ldns_rr_compare() would say, for the types gathered
 * here (DS, DNSKEY, CDS, CDNSKEY: no names in their RDATA): owner (case
 * ignored), type, class and RDATA octets equal. Without the two wire
 * conversions ldns_rr_compare() makes for every pair.
 */
bool an_rr_same(const ldns_rr *a, const ldns_rr *b);

void an_list_union(ldns_rr_list **dst, const ldns_rr_list *src);

void an_parse_all(ctx_t *c);

/*
 * The DNAME (RRset) in the answer that synthesised `cname` for `owner`: an
 * ancestor's DNAME whose substitution gives exactly the CNAME's target
 * (RFC 6672 §2.2). NULL when there is none (then the CNAME must be signed).
 */
ldns_rr_list *an_dname_over(ldns_pkt *pkt, const ldns_rdf *owner, const ldns_rr_list *cname);

/* Does `pkt` prove that qname/qtype does not exist (signatures and logic)? */
int an_check_denial(ctx_t *c, const char *zone, const ldns_rr_list *keys, ldns_pkt *pkt,
		    const char *qname, uint16_t qtype, const char *server, const char *rrset);

/*
 * A wildcard answer (RRSIG labels below the owner's label count, RFC 4035
 * §5.3.4) is valid only with proof that the name asked does not exist, so
 * that no closer match could have answered (RFC 4035 §3.1.3.3, RFC 5155
 * §7.2.6): an NSEC covering the name, or an NSEC3 covering the hash of the
 * "next closer" name. The proving records must carry valid signatures.
 */
int an_check_wildcard(ctx_t *c, const char *zone, const ldns_rr_list *keys, ldns_pkt *pkt,
		      const ldns_rdf *owner, const ldns_rr_list *sigs, const char *server,
		      const char *rrset);

/* NSEC3PARAM at the apex of a zone that holds an answer: RFC 9276 advice even for positive answers.
 */
void an_check_nsec3param(ctx_t *c, size_t zi);

void an_check_sigs(const ctx_t *c, const char *zone, ldns_rr_list *rrset, const ldns_rr_list *sigs,
		   const ldns_rr_list *keys, sigcheck_t *sc);

/* Turn a failed check into findings. `dnskey_link`: the keys were the DS-matched ones. */
void an_emit_sig_findings(ctx_t *c, const char *zone, const char *rrset, const char *server,
			  const sigcheck_t *sc, bool dnskey_link, const char *data);

void an_note_expiry(ctx_t *c, const char *zone, const char *rrset, const char *server,
		    const sigcheck_t *sc);

bool an_is_zone_server(const ev_zone_t *z, const char *addr);

/* The finding for an apex or answer query that got an error rcode: FORMERR to
 * a query with EDNS means the server does not do EDNS; the rest is lame. */
an_fid_t an_rcode_finding(ldns_pkt_rcode rc, const ev_exchange_t *x);

/* Reachability of each server address of zone `zi`, from its apex queries. */
void an_check_reachability(ctx_t *c, size_t zi);

bool an_zone_only_unreachable(const ctx_t *c, const char *zone);

/* The DS lines to propose: only for key-signing keys (SEP flag, zone key, not
 * revoked) that sign the DNSKEY RRset (`signers`; or, when no signer is known,
 * the published ones). A DS on a ZSK breaks at its next routine roll. "" when
 * there is none to propose: the fix then says to sign with a KSK first. */
char *an_expected_ds(const ldns_rr_list *keys, const ldns_rr_list *signers);

/* Does DS `ds` match DNSKEY `key`? `miss` says how close a non-match came. */
bool an_ds_matches(const ldns_rr *ds, const ldns_rr *key, ds_miss_t *miss);

void an_link_add_keys(an_link_t *l, const ldns_rr_list *keys);

an_key_t *an_link_key(an_link_t *l, uint16_t tag, uint8_t alg);

/* Collect the DS set of zone `zi` from its parent's answers. */
void an_collect_ds(ctx_t *c, an_link_t *link, size_t zi);

/* --ds: the DS records given for this zone replace what the parent serves. */
bool an_whatif_ds(ctx_t *c, an_link_t *link, size_t zi);

/* The DS records the zone's keys call for (made when a finding needs them). */
const char *an_link_expected_ds(an_link_t *link, const zst_t *s, const ldns_rr_list *signers);

/*
 * CDS / CDNSKEY (RFC 7344, RFC 8078) at the apex of a zone that holds an
 * answer: signed, the same at every server, consistent with each other and
 * with the DNSKEY RRset, and safe for the parent to act on (they must name a
 * key that signs the DNSKEY RRset). `signers`: the keys that do.
 */
void an_check_cds(ctx_t *c, size_t zi, const ldns_rr_list *signers);

void an_analyse_zone(actx_t *a, size_t zi);

void an_analyse_answer(actx_t *a, const ev_target_t *t, bool final);

void an_server_view(ctx_t *c);

void an_finish(actx_t *a);
