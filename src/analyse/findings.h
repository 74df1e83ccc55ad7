/*
 * findings.h — the one table of findings.
 *
 * Every finding the analyser can raise is a row here: a stable id, its
 * severity, the RFC 8914 EDE code it maps to (-1: none), the RFC section,
 * who must act, a summary template and a fix template. Templates take
 * {zone}, {parent}, {rrset}, {detail} and {data}; "{?TEXT?}" is kept only when there
 * is data (DS records to propose), "{!TEXT!}" only when there is none. docs/findings.md is
 * generated from this table (dnssec-doctor --list-findings).
 */
#pragma once

typedef enum an_severity { AN_NOTICE = 0, AN_WARNING = 1, AN_ERROR = 2 } an_severity_t;
/* Who must act. A finding about a TLD is its operator's (TLD_OPERATOR), whatever the
 * table says: a TLD's DS lives in the root zone, changed through IANA, not at a registrar. */
typedef enum an_who {
	AN_WHO_NONE,
	AN_WHO_REGISTRAR,
	AN_WHO_DNS_OPERATOR,
	AN_WHO_RESOLVER_OPERATOR,
	AN_WHO_TLD_OPERATOR,
} an_who_t;

#define AN_FINDINGS(X)                                                                             \
	X(DS_NO_MATCHING_DNSKEY, AN_ERROR, 9, "RFC 4035 §5.2", AN_WHO_REGISTRAR,                   \
	  "No DS record for {zone} at the parent ({parent}) matches a DNSKEY that {zone} "         \
	  "publishes{detail}.",                                                                    \
	  "{?At the registrar (or parent operator) of {zone}, replace the DS record(s) with the "  \
	  "DS of the zone's current key-signing key:\n{data}?}"                                    \
	  "{!{zone} has no key-signing key (flags 257) that signs its DNSKEY RRset, so there is "  \
	  "no DS to propose yet: first have its signer sign the DNSKEY RRset with a key-signing "  \
	  "key, then replace the DS record(s) at the registrar with that key's DS.!}")             \
	X(DS_DIGEST_MISMATCH, AN_ERROR, 9, "RFC 4034 §5.1.4", AN_WHO_REGISTRAR,                    \
	  "The DS for {zone} names a published key by tag and algorithm, but its digest does not " \
	  "match that key{detail}.",                                                               \
	  "{?At the registrar of {zone}, replace the DS record(s) with the correct ones (the "     \
	  "digest was probably mistyped or computed over another key):\n{data}?}"                  \
	  "{!{zone} has no key-signing key (flags 257) that signs its DNSKEY RRset, so there is "  \
	  "no DS to propose yet: first have its signer sign the DNSKEY RRset with a key-signing "  \
	  "key, then replace the DS record(s) at the registrar with that key's DS.!}")             \
	X(DS_ALGORITHM_MISMATCH, AN_ERROR, 9, "RFC 4034 §5.1.2", AN_WHO_REGISTRAR,                 \
	  "The DS for {zone} has the key tag and digest of a published key but names another "     \
	  "algorithm{detail}.",                                                                    \
	  "{?At the registrar of {zone}, replace the DS record(s), choosing the key's real "       \
	  "algorithm:\n{data}?}"                                                                   \
	  "{!{zone} has no key-signing key (flags 257) that signs its DNSKEY RRset, so there is "  \
	  "no DS to propose yet: first have its signer sign the DNSKEY RRset with a key-signing "  \
	  "key, then replace the DS record(s) at the registrar with that key's DS.!}")             \
	X(DS_OVER_UNSIGNED_CHILD, AN_ERROR, 9, "RFC 4035 §5.2", AN_WHO_REGISTRAR,                  \
	  "The parent ({parent}) publishes a DS for {zone}, but {zone} serves no DNSKEY: the "     \
	  "zone is not signed{detail}.",                                                           \
	  "Either sign {zone} again with the key the DS names, or remove the DS at the registrar " \
	  "so the zone becomes insecure (unsigned) instead of broken.")                            \
	X(DS_KEY_NOT_ZONE_KEY, AN_ERROR, 10, "RFC 4034 §2.1.1", AN_WHO_DNS_OPERATOR,               \
	  "The DS for {zone} matches only DNSKEYs without the Zone Key flag{detail}: validators "  \
	  "must not use such a key, so the chain of trust stops there.",                           \
	  "Publish the key-signing key with the Zone Key flag set (flags 257) and sign the "       \
	  "DNSKEY RRset with it{?, or replace the DS at the registrar with the DS of the "         \
	  "key-signing key that signs the DNSKEY RRset:\n{data}?}")                                \
	X(DNSKEY_NOT_SIGNED_BY_DS_KEY, AN_ERROR, 10, "RFC 4035 §5.2", AN_WHO_DNS_OPERATOR,         \
	  "The DNSKEY RRset of {zone} is not signed by any key that a DS at the parent points "    \
	  "to{detail}.",                                                                           \
	  "Have the signer of {zone} sign the DNSKEY RRset with the key-signing key the DS names " \
	  "(the DS then needs no change){?, or publish at the registrar the DS of the "            \
	  "key-signing key that does sign it:\n{data}?}")                                          \
	X(RRSIG_MISSING, AN_ERROR, 10, "RFC 4035 §5.3", AN_WHO_DNS_OPERATOR,                       \
	  "{rrset} has no RRSIG, but {zone} is signed{detail}.",                                   \
	  "Re-sign {zone} (and check that every server loads the signed copy): every RRset of a "  \
	  "signed zone needs a signature.")                                                        \
	X(RRSIG_EXPIRED, AN_ERROR, 7, "RFC 4035 §5.3.1", AN_WHO_DNS_OPERATOR,                      \
	  "The signature over {rrset} expired{detail}.",                                           \
	  "Re-sign {zone} now and find out why automatic re-signing stopped (signer down, key "    \
	  "files unreadable, zone not reloaded).")                                                 \
	X(RRSIG_NOT_YET_VALID, AN_ERROR, 8, "RFC 4035 §5.3.1", AN_WHO_DNS_OPERATOR,                \
	  "The signature over {rrset} is not valid yet{detail}.",                                  \
	  "Check the signer's clock and re-sign {zone} with an inception time in the past.")       \
	X(RRSIG_INVALID, AN_ERROR, 6, "RFC 4035 §5.3.3", AN_WHO_DNS_OPERATOR,                      \
	  "The signature over {rrset} does not verify{detail}.",                                   \
	  "Re-sign {zone}; if it persists, the data was changed after signing (hand edits to the " \
	  "signed file, a broken transfer).")                                                      \
	X(RRSIG_UNKNOWN_KEY, AN_ERROR, 6, "RFC 4035 §5.3.1", AN_WHO_DNS_OPERATOR,                  \
	  "{rrset} is signed only by a key that is not in the DNSKEY RRset of {zone}{detail}.",    \
	  "Publish the signing key in the DNSKEY RRset of {zone}, or re-sign with a published "    \
	  "key.")                                                                                  \
	X(DENIAL_MISSING, AN_ERROR, 12, "RFC 4035 §5.4", AN_WHO_DNS_OPERATOR,                      \
	  "The negative answer for {rrset} carries no NSEC or NSEC3 proof{detail}.",               \
	  "Re-sign {zone} so that its NSEC/NSEC3 chain is complete, and make sure every server "   \
	  "serves the signed copy.")                                                               \
	X(DENIAL_INVALID, AN_ERROR, 12, "RFC 4035 §5.4", AN_WHO_DNS_OPERATOR,                      \
	  "The NSEC/NSEC3 records in the negative answer for {rrset} do not prove it{detail}.",    \
	  "Re-sign {zone} to rebuild its NSEC/NSEC3 chain.")                                       \
	X(WILDCARD_PROOF_MISSING, AN_ERROR, 12, "RFC 4035 §5.3.4", AN_WHO_DNS_OPERATOR,            \
	  "The wildcard answer {rrset} comes without a valid proof that no closer name "           \
	  "exists{detail}.",                                                                       \
	  "Re-sign {zone} so that its NSEC/NSEC3 chain is complete, and make sure every server "   \
	  "serves the signed copy with its proofs.")                                               \
	X(RRSIG_VALIDITY_INVERTED, AN_ERROR, 25, "RFC 4034 §3.1.5", AN_WHO_DNS_OPERATOR,           \
	  "The signature over {rrset} expires before it becomes valid{detail}.",                   \
	  "Fix the signer's validity settings for {zone} (the inception must come before the "     \
	  "expiration) and re-sign.")                                                              \
	X(ZONE_NO_DNSSEC, AN_ERROR, 10, "RFC 4035 §3.1", AN_WHO_DNS_OPERATOR,                      \
	  "A name server of {zone} cannot deliver DNSSEC data{detail}, while the DS at the "       \
	  "parent ({parent}) tells validators to expect signatures: every validator that asks it " \
	  "fails.",                                                                                \
	  "Make the name server accept EDNS and return DNSSEC records to queries with the DO bit " \
	  "(upgrade it, or fix the firewall or load balancer in front of it that drops EDNS); "    \
	  "until then, take it out of the NS set.")                                                \
	X(ZONE_UNREACHABLE, AN_ERROR, 22, "RFC 8914 §4.23", AN_WHO_DNS_OPERATOR,                   \
	  "No name server of {zone} answered{detail}. This is not a DNSSEC problem.",              \
	  "Check the name servers of {zone}: are they running, reachable on UDP and TCP port 53, " \
	  "and listed correctly at the parent?")                                                   \
	X(CHECK_INCOMPLETE, AN_WARNING, -1, "", AN_WHO_NONE,                                       \
	  "The check stopped before it reached a verdict{detail}.",                                \
	  "Run the check again; if it persists, some name server on the path is very slow or the " \
	  "chain is unusually long. If the detail says this machine ran out of sockets, raise "    \
	  "its open-file limit (ulimit -n) or check fewer names at once.")                         \
	X(WORK_LIMIT_REACHED, AN_WARNING, 5, "", AN_WHO_NONE,                                      \
	  "The check stopped before it reached a verdict: the answers on the path need more work " \
	  "than one check may cost{detail}.",                                                      \
	  "If the zone is yours: publish fewer keys and signatures per RRset (keys sharing a key " \
	  "tag), and NSEC3 with 0 extra iterations (RFC 9276). Validating resolvers cap this "     \
	  "work too (CVE-2023-50387, CVE-2023-50868) and may fail such answers. Otherwise raise "  \
	  "--max-validations or --max-nsec3-hashes.")                                              \
	X(CRYPTO_UNAVAILABLE, AN_WARNING, 5, "RFC 8624 §3", AN_WHO_NONE,                           \
	  "This machine's crypto library cannot verify a signature of {zone}{detail}.",            \
	  "Run the check on a machine whose OpenSSL supports the algorithm; this is not a fault "  \
	  "of the zone.")                                                                          \
	X(RRSIG_EXPIRING_SOON, AN_WARNING, -1, "RFC 4035 §5.3.1", AN_WHO_DNS_OPERATOR,             \
	  "The signature over {rrset} expires soon{detail}.",                                      \
	  "Check that automatic re-signing of {zone} runs; it should refresh signatures well "     \
	  "before they expire.")                                                                   \
	X(SIGNED_ISLAND, AN_WARNING, -1, "RFC 4035 §5.2", AN_WHO_REGISTRAR,                        \
	  "{zone} is signed but the parent ({parent}) has no DS for it: validators treat it as "   \
	  "insecure{detail}.",                                                                     \
	  "{?To secure {zone}, publish this DS at the registrar:\n{data}?}"                        \
	  "{!To secure {zone}, first have its signer sign the DNSKEY RRset with a key-signing "    \
	  "key (flags 257), then publish that key's DS at the registrar.!}")                       \
	X(DS_ALGORITHM_UNSUPPORTED, AN_WARNING, 1, "RFC 8624 §3.1", AN_WHO_DNS_OPERATOR,           \
	  "Every DS for {zone} names a DNSKEY algorithm that validators do not support or must "   \
	  "not use{detail}: validating resolvers treat {zone} as unsigned (insecure).",            \
	  "Roll {zone} to a recommended algorithm (13, ECDSAP256SHA256, or 8, RSASHA256), then "   \
	  "replace its DS at the registrar.")                                                      \
	X(DS_DIGEST_UNSUPPORTED, AN_WARNING, 2, "RFC 8624 §3.3", AN_WHO_REGISTRAR,                 \
	  "Every DS for {zone} uses a digest type that validators do not support{detail}: "        \
	  "validating resolvers treat {zone} as unsigned (insecure).",                             \
	  "{?At the registrar of {zone}, publish a SHA-256 DS (digest type 2):\n{data}?}"          \
	  "{!Have the signer of {zone} sign the DNSKEY RRset with a key-signing key (flags 257), " \
	  "then publish that key's SHA-256 DS (digest type 2) at the registrar.!}")                \
	X(DS_SHA1_ONLY, AN_WARNING, -1, "RFC 8624 §3.3", AN_WHO_REGISTRAR,                         \
	  "{zone} is secured only by SHA-1 DS records (digest type 1){detail}; SHA-1 is "          \
	  "deprecated and validators are dropping it.",                                            \
	  "{?At the registrar of {zone}, publish the SHA-256 DS, then remove the SHA-1 "           \
	  "one:\n{data}?}"                                                                         \
	  "{!At the registrar of {zone}, publish a SHA-256 DS of its key-signing key, then "       \
	  "remove the SHA-1 one.!}")                                                               \
	X(DNSKEY_ALGORITHM_DEPRECATED, AN_WARNING, -1, "RFC 9905 §2", AN_WHO_DNS_OPERATOR,         \
	  "{zone} is signed with a SHA-1 based algorithm{detail}, which RFC 9905 deprecates: "     \
	  "validators that stop supporting it will treat {zone} as insecure.",                     \
	  "Roll {zone} to algorithm 13 (ECDSAP256SHA256) or 8 (RSASHA256) with an algorithm "      \
	  "rollover (RFC 6781 §4.1.4).")                                                           \
	X(DNSKEY_RSA_SHORT, AN_WARNING, -1, "RFC 8624 §3.1", AN_WHO_DNS_OPERATOR,                  \
	  "{zone} uses an RSA key shorter than 2048 bits{detail}.",                                \
	  "Replace the key with a 2048-bit RSA key, or roll to algorithm 13 (ECDSAP256SHA256).")   \
	X(DS_KEY_REVOKED, AN_WARNING, -1, "RFC 5011 §2.1", AN_WHO_DNS_OPERATOR,                    \
	  "Every DS for {zone} names a key with the REVOKE bit set{detail}. Unbound still "        \
	  "validates through it; validators that apply RFC 5011 to every key, BIND among them, "   \
	  "refuse it and answer SERVFAIL.",                                                        \
	  "Roll to a new key-signing key: publish it, sign the DNSKEY RRset with it, replace the " \
	  "DS at the registrar with the new key's DS, and remove the revoked key once the old DS " \
	  "has expired from caches.")                                                              \
	X(DS_KEY_NOT_SIGNING, AN_WARNING, -1, "RFC 4035 §5.2", AN_WHO_DNS_OPERATOR,                \
	  "A DS for {zone} names a published key that does not sign the DNSKEY RRset{detail}; "    \
	  "another DS'd key keeps the chain valid.",                                               \
	  "If that key is to take over, have the signer sign the DNSKEY RRset with it before its " \
	  "DS becomes the only one; otherwise remove its DS at the registrar.")                    \
	X(NSEC3_ITERATIONS_INSECURE, AN_WARNING, 27, "RFC 9276 §3.2", AN_WHO_DNS_OPERATOR,         \
	  "The negative answer for {rrset} relies on NSEC3 with more iterations than validating "  \
	  "resolvers accept{detail}: they treat it as insecure.",                                  \
	  "Re-sign {zone} with NSEC3 iterations 0 and an empty salt (RFC 9276), or switch to "     \
	  "NSEC.")                                                                                 \
	X(NSEC3_PARAMETERS, AN_WARNING, -1, "RFC 9276 §3.1", AN_WHO_DNS_OPERATOR,                  \
	  "{zone} uses NSEC3 with{detail}; RFC 9276 asks for 0 extra iterations and no salt.",     \
	  "Re-sign {zone} with NSEC3 iterations 0 and an empty salt (ldns-signzone -n -t 0; "      \
	  "dnssec-signzone -3 - -H 0; BIND nsec3param iterations 0 salt-length 0; Knot "           \
	  "nsec3-iterations: 0 and nsec3-salt-length: 0).")                                        \
	X(RRSIG_CLOCK_SKEW, AN_WARNING, 8, "RFC 4035 §5.3.1", AN_WHO_DNS_OPERATOR,                 \
	  "The signature over {rrset} becomes valid only{detail}: validators that allow for "      \
	  "clock skew (Unbound) accept it, strict ones fail until then.",                          \
	  "Check the clock of the signer of {zone} (NTP) and re-sign with an inception time in "   \
	  "the past.")                                                                             \
	X(RRSIG_EXPIRES_WITHIN_TTL, AN_WARNING, -1, "RFC 4035 §5.3.3", AN_WHO_DNS_OPERATOR,        \
	  "The signature over {rrset} expires before its TTL runs out{detail}.",                   \
	  "Re-sign {zone} so that signatures outlive the TTL of what they cover by a wide margin " \
	  "(the signer's refresh interval must exceed the largest TTL).")                          \
	X(CDS_MISMATCH, AN_WARNING, -1, "RFC 7344 §4", AN_WHO_DNS_OPERATOR,                        \
	  "The CDS/CDNSKEY records of {zone} are inconsistent{detail}.",                           \
	  "Have the signer of {zone} publish CDS and CDNSKEY for the same key(s), on every "       \
	  "server, each matching a key of the DNSKEY RRset.")                                      \
	X(CDS_WOULD_BREAK, AN_WARNING, -1, "RFC 7344 §4.1", AN_WHO_DNS_OPERATOR,                   \
	  "If the parent acted on the CDS/CDNSKEY of {zone}, the chain would break{detail}.",      \
	  "Correct or withdraw the CDS/CDNSKEY of {zone} before the parent picks them up: they "   \
	  "must name a key that signs the DNSKEY RRset.")                                          \
	X(SERVER_UNREACHABLE, AN_WARNING, 23, "RFC 1035 §4.2", AN_WHO_DNS_OPERATOR,                \
	  "A name server of {zone} did not answer{detail}.",                                       \
	  "Fix or remove this name server: resolvers lose time on it, and if the others fail the " \
	  "zone goes dark.")                                                                       \
	X(SERVER_LAME, AN_WARNING, 20, "RFC 1034 §4.2.2", AN_WHO_DNS_OPERATOR,                     \
	  "A name server of {zone} does not answer authoritatively for it{detail}.",               \
	  "Configure the zone on this server or remove the server from the NS set (at the "        \
	  "registrar and in the zone).")                                                           \
	X(SERVER_MALFORMED, AN_WARNING, 24, "RFC 1035 §4.1", AN_WHO_DNS_OPERATOR,                  \
	  "A name server of {zone} answered with malformed data{detail}.",                         \
	  "Upgrade or replace the name server software; resolvers discard these answers.")         \
	X(NS_NO_ADDRESS, AN_WARNING, -1, "RFC 1034 §4.2.2", AN_WHO_DNS_OPERATOR,                   \
	  "A name server of {zone} has no usable address{detail}.",                                \
	  "Publish glue (for in-zone name servers) or fix the name server's A/AAAA records.")      \
	X(DS_ROLLOVER_IN_PROGRESS, AN_NOTICE, -1, "RFC 7583 §3.3.2", AN_WHO_NONE,                  \
	  "A DS for {zone} matches no published key while another DS does: a key rollover is in "  \
	  "progress{detail}.",                                                                     \
	  "Nothing is broken. When the rollover ends, remove the DS records that no longer match " \
	  "a key.")                                                                                \
	X(INSECURE_DELEGATION, AN_NOTICE, -1, "RFC 4035 §5.2", AN_WHO_NONE,                        \
	  "{zone} is not signed: the parent ({parent}) proves that it has no DS{detail}.",         \
	  "Nothing is broken. To protect {zone} with DNSSEC, sign it and publish its DS at the "   \
	  "registrar.")                                                                            \
	X(CDS_DELETE, AN_NOTICE, -1, "RFC 8078 §4", AN_WHO_NONE,                                   \
	  "{zone} publishes a CDS/CDNSKEY delete request: a parent that acts on it removes the "   \
	  "DS and {zone} becomes insecure{detail}.",                                               \
	  "Nothing to do if DNSSEC is being turned off for {zone}; otherwise remove the delete "   \
	  "records.")                                                                              \
	X(NSEC3_OPT_OUT, AN_NOTICE, -1, "RFC 5155 §9.2", AN_WHO_NONE,                              \
	  "The negative answer for {rrset} falls in an NSEC3 opt-out span: its nonexistence is "   \
	  "not proven, so validators treat it as insecure{detail}.",                               \
	  "Nothing is broken. Signing {zone} without opt-out makes such answers secure.")          \
	X(NO_TRUST_ANCHOR, AN_NOTICE, -1, "RFC 4033 §5", AN_WHO_NONE,                              \
	  "No trust anchor covers {zone}: the answer cannot be validated{detail}.",                \
	  "Give a trust anchor for this part of the tree with --trust-anchor.")                    \
	X(SERVER_NOT_TESTED, AN_NOTICE, -1, "", AN_WHO_NONE,                                       \
	  "A name server address of {zone} was not tested from this machine{detail}.",             \
	  "Run the check from a machine with that address family to cover it.")                    \
	X(SERVERS_DIFFER, AN_NOTICE, -1, "", AN_WHO_NONE,                                          \
	  "The name servers of {zone} serve different data{detail}.",                              \
	  "Nothing to do if this is a multi-signer setup or a zone update in flight; otherwise "   \
	  "check zone transfers.")                                                                 \
	X(SERVER_NOT_QUERIED, AN_WARNING, -1, "RFC 6890", AN_WHO_DNS_OPERATOR,                     \
	  "A name server address of {zone} was not queried by this service{detail}.",              \
	  "A private, loopback, link-local or otherwise non-global address cannot be reached by "  \
	  "resolvers on the internet either: list only global addresses for the name servers of "  \
	  "{zone}. If the address is global, its query budget was used up: check again in a "      \
	  "minute.")                                                                               \
	X(SERVER_NO_TCP, AN_WARNING, 23, "RFC 7766 §5", AN_WHO_DNS_OPERATOR,                       \
	  "A name server of {zone} truncates its answers over UDP but gives none over "            \
	  "TCP{detail}.",                                                                          \
	  "Let the server answer on TCP port 53 (firewall, load balancer, server settings): RFC "  \
	  "7766 requires it, and DNSSEC answers often need it.")                                   \
	X(SERVER_NEEDS_TCP, AN_NOTICE, -1, "RFC 7766 §5", AN_WHO_NONE,                             \
	  "A name server of {zone} truncates even small answers over UDP: resolvers must ask it "  \
	  "again over TCP{detail}.",                                                               \
	  "Nothing is broken. Answering small queries over UDP would save resolvers a round "      \
	  "trip.")                                                                                 \
	X(SERVER_NO_EDNS, AN_WARNING, -1, "RFC 6891 §7", AN_WHO_DNS_OPERATOR,                      \
	  "A name server of {zone} fails queries that carry EDNS{detail}; without EDNS it cannot " \
	  "serve DNSSEC.",                                                                         \
	  "Upgrade or reconfigure the name server (or the firewall in front of it) so that it "    \
	  "accepts EDNS queries (DNS Flag Day 2019).")                                             \
	X(SERVER_UDP_TOO_LARGE, AN_WARNING, -1, "RFC 6891 §6.2.5", AN_WHO_DNS_OPERATOR,            \
	  "A name server of {zone} sends UDP answers larger than the buffer size the query "       \
	  "advertised{detail}.",                                                                   \
	  "Make the server honour the EDNS buffer size (truncate with TC=1 instead): oversized "   \
	  "answers fragment and are lost on many paths.")                                          \
	X(NS_SET_TRUNCATED, AN_WARNING, -1, "RFC 1034 §4.2.1", AN_WHO_DNS_OPERATOR,                \
	  "The delegation of {zone} lists more name servers than the check uses{detail}; "         \
	  "resolvers also give up after a few.",                                                   \
	  "List a handful of name servers (2 to 8 is usual) at the registrar and in the zone.")    \
	X(CNAME_LOOP, AN_WARNING, -1, "RFC 1034 §3.6.2", AN_WHO_DNS_OPERATOR,                      \
	  "The CNAME chain for {rrset} loops back on itself{detail}: resolvers answer SERVFAIL. "  \
	  "This is not a DNSSEC problem.",                                                         \
	  "Point one of the CNAME records of the chain at a name that has data.")                  \
	X(CNAME_CHAIN_TOO_LONG, AN_WARNING, -1, "RFC 1034 §3.6.2", AN_WHO_DNS_OPERATOR,            \
	  "The CNAME chain for {rrset} is longer than the check follows{detail}; resolvers give "  \
	  "up on long chains too.",                                                                \
	  "Shorten the chain: point the first name at the final one directly.")

typedef enum an_fid {
#define AN_F_ENUM(id, sev, ede, rfc, who, sum, fix) AN_F_##id,
	AN_FINDINGS(AN_F_ENUM)
#undef AN_F_ENUM
	    AN_F__COUNT
} an_fid_t;

typedef struct an_finding_def {
	const char *id;
	an_severity_t severity;
	int ede; /* -1: none */
	const char *rfc;
	an_who_t who;
	const char *summary;
	const char *fix;
} an_finding_def_t;

const an_finding_def_t *an_finding_def(an_fid_t id);
const char *an_severity_name(an_severity_t s);
const char *an_who_name(an_who_t w);
/* The RFC 8914 name of an EDE code ("Signature Expired"), or "Unknown". */
const char *an_ede_name(int code);
