/*
 * analyse.h — validation of evidence, RFC 4035 §5 per zone and per server.
 *
 * Pure: no I/O, no clock. The validation time, the policy and the trust
 * anchors are parameters; the result is data (status, EDE, findings, chain).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "analyse/findings.h"
#include "evidence/evidence.h"

typedef enum an_status {
	AN_SECURE,
	AN_INSECURE,
	AN_BOGUS,
	AN_INDETERMINATE,
	AN_UNREACHABLE,
} an_status_t;

const char *an_status_name(an_status_t s);

/* Verification results keyed by the exact bytes verified (vcache.c). */
typedef struct an_vcache an_vcache_t;
an_vcache_t *an_vcache_new(size_t max_entries);
void an_vcache_free(an_vcache_t *v);
void an_vcache_stats(an_vcache_t *v, unsigned long *hits, unsigned long *misses);
/* ldns_verify_rrsig_keylist_notime, memoised in `v` (NULL: not memoised). */
ldns_status an_verify(an_vcache_t *v, ldns_rr_list *rrset, ldns_rr *sig, const ldns_rr_list *keys);

typedef struct an_policy {
	unsigned warn_days; /* warn when a signature on the path expires within this; default 7 */
	unsigned nsec3_iter_limit; /* NSEC3 iterations above this make a denial insecure (EDE 27);
				      default 150 */
	unsigned skew_s; /* an inception this far in the future is clock skew (warning), not bogus;
			    default 3600 */
	bool selftest_done;	/* alg_verifies[] holds the crypto self-test's result */
	bool alg_verifies[256]; /* this machine verifies signatures of the algorithm */
	const ldns_rr_list
	    *ds_whatif;	     /* --ds: analyse as if the parent published these DS (not owned) */
	an_vcache_t *vcache; /* shared verification results (scan, serve); NULL: one per analysis */
	/* Work one check may cost, whatever the servers send (KeyTrap,
	 * CVE-2023-50387; NSEC3 hash exhaustion, CVE-2023-50868). When a cap
	 * is reached the rest is not computed, a WORK_LIMIT_REACHED finding
	 * says so and the verdict is indeterminate. 0: the default. */
	unsigned max_validations;  /* signature validations (one RRSIG against one key); default
				      AN_MAX_VALIDATIONS */
	unsigned max_nsec3_hashes; /* NSEC3 owner-name hashes; default AN_MAX_NSEC3_HASHES */
} an_policy_t;

#define AN_MAX_VALIDATIONS 2048
#define AN_MAX_NSEC3_HASHES 4096

/* Defaults: warn_days 7, nsec3_iter_limit 150, skew_s 3600, the work caps
 * above, no self-test, no what-if. */
void an_policy_default(an_policy_t *p);

/* Verify one known signature per algorithm (5, 7, 8, 10, 13, 14, 15, 16). */
void an_crypto_selftest(bool verifies[256]);
/* A corrupted vector fails (the self-test can fail); for the unit tests. */
bool an_crypto_selftest_corrupt_one(void);

/* RFC 8624 / 9904: algorithms validators may use (before the self-test) and DS digests. */
bool an_alg_allowed(unsigned alg);
bool an_digest_supported(unsigned digest);

typedef struct an_finding {
	an_fid_t id;
	char *zone;
	char *rrset; /* "www.example. A", or NULL */
	char
	    *detail; /* specific facts, starts with ": " or " (" as the template wants, may be "" */
	char *data;  /* records to paste (DS lines), may be "" */
	char **servers; /* addresses where it was seen; empty: about the zone as a whole */
	size_t n_servers;
	size_t n_zone_servers; /* addresses of the zone that were tested (for "2 of 3") */
	int64_t when;	       /* a date that matters (expiry), or 0 */
	char *summary;	       /* expanded from the table */
	char *fix;
	an_who_t who; /* who must act: the table's, or AN_WHO_TLD_OPERATOR for a TLD */
} an_finding_t;

typedef struct an_key {
	uint16_t tag;
	uint8_t algorithm;
	uint16_t flags;
	unsigned bits;
	bool ds_match;	   /* a DS at the parent matches it */
	bool signs_dnskey; /* a valid RRSIG over the DNSKEY RRset by this key was seen */
} an_key_t;

typedef struct an_ds {
	uint16_t tag;
	uint8_t algorithm;
	uint8_t digest_type;
	char *text;   /* the DS record, zone-file syntax */
	bool matched; /* matches a published DNSKEY */
} an_ds_t;

typedef struct an_link {
	char *zone;
	char *parent;
	an_status_t status;
	bool anchored; /* a trust anchor sits here */
	an_ds_t *ds;
	size_t n_ds;
	an_key_t *keys;
	size_t n_keys;
	char *ds_expected; /* DS lines for the zone's current SEP keys (for fixes), may be NULL */
	unsigned servers_total, servers_ok;
} an_link_t;

/* The resolver view (issue: is it DNSSEC?). */
typedef enum an_diagnosis {
	AN_DIAG_UNKNOWN,	   /* resolvers not asked, none answered, or inconclusive */
	AN_DIAG_NONE,		   /* no resolver fails */
	AN_DIAG_DNSSEC,		   /* validating resolvers SERVFAIL, +cd answers */
	AN_DIAG_NOT_DNSSEC,	   /* everything fails, +cd too */
	AN_DIAG_INTERMITTENT,	   /* some of the zone's servers fail validation */
	AN_DIAG_RESOLVER_SPECIFIC, /* a resolver fails while the chain is valid */
} an_diagnosis_t;

const char *an_diagnosis_name(an_diagnosis_t d);
/* "SERVFAIL", "BADVERS", "RCODE23" ... */
void an_rcode_text(int rcode, char out[16]);

typedef struct an_ede_seen {
	int code;
	char *text;	       /* EXTRA-TEXT (printable), may be "" */
	const char *finding;   /* id of our finding that explains it, or NULL (static) */
	char *finding_summary; /* that finding's summary, or NULL */
} an_ede_seen_t;

typedef struct an_resolver {
	char *address;
	uint16_t port;
	char *label;	/* may be NULL */
	int validating; /* 1 yes, 0 no, -1 cannot tell */
	int agrees; /* with our verdict: 1, 0, -1 (not a validating resolver or no clear verdict) */
	int rcode, rcode_cd; /* -1: no answer (see error, error_cd) */
	bool ad, ad_cd;
	char *error, *error_cd; /* NULL when it answered */
	an_ede_seen_t *ede, *ede_cd;
	size_t n_ede, n_ede_cd;
	char **answer; /* answer section without CD, zone-file syntax */
	size_t n_answer;
	unsigned rtt_ms, rtt_cd_ms;
} an_resolver_t;

/* The per-server view ("DNS check"): what each address of a zone that holds
 * an answer returned, side by side. */
typedef struct an_server_view {
	char *zone;
	char *ns; /* name server name */
	char *address;
	int64_t serial; /* SOA serial, -1 unknown */
	char *dnskey;	/* "NOERROR, 3 keys (tags 1, 2, 3), 2 RRSIGs" or the error */
	char *
	    answer; /* "NOERROR, 1 record, 1 RRSIG" or the error, for the name asked in this zone */
	char *status; /* "ok", "fails validation", "lame", "no answer", "malformed", "not tested" */
	char *findings; /* ids of the warnings and errors that name this address, comma-separated */
} an_server_view_t;

typedef struct an_result {
	char *qname;
	uint16_t qtype;
	an_status_t status;
	int ede[8];
	size_t n_ede;
	char *broken_zone; /* NULL when nothing is broken */
	an_finding_t *findings;
	size_t n_findings;
	an_link_t *chain; /* zones on the path, root first; CNAME targets' zones follow */
	size_t n_chain;
	int64_t probed_at;
	int64_t validated_at;
	int64_t earliest_expiry; /* of the signatures on the path to the answer; 0 if none */
	char *answer_rcode;	 /* rcode of the final answer as most servers gave it, or NULL */
	char **answer;		 /* the final answer's records, zone-file syntax */
	size_t n_answer;
	an_resolver_t *resolvers;
	size_t n_resolvers;
	an_diagnosis_t diagnosis;
	char *diagnosis_text;
	char *whatif_zone; /* --ds replaced the parent's DS of this zone, or NULL */
	an_server_view_t *servers;
	size_t n_servers;
	unsigned long
	    n_validations; /* signature validations this analysis cost (or would have, cached) */
	unsigned long n_nsec3_hashes; /* NSEC3 owner-name hashes it cost */
} an_result_t;

/*
 * Analyse `ev` at time `now`. `anchors` (DS or DNSKEY records, any owners)
 * replaces the anchors recorded in the evidence when not NULL.
 * Returns 0 and a result the caller frees with an_result_free, or DD_ENOMEM.
 */
int an_analyse(const evidence_t *ev, int64_t now, const an_policy_t *policy,
	       const ldns_rr_list *anchors, an_result_t **out);

void an_result_free(an_result_t *r);

/* The resolver view of `r` (called by an_analyse once the findings are final). */
int an_resolvers(const evidence_t *ev, an_result_t *r);
void an_resolvers_free(an_result_t *r);

/* The process exit code for a result (monitoring-plugin convention). */
int an_exit_code(const an_result_t *r);

/* RFC 3339 UTC text for a time; `buf` holds at least 32 bytes. */
void an_time_text(int64_t t, char *buf, size_t size);
