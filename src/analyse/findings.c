#include <stddef.h>

#include "common/dd.h"
#include "analyse/findings.h"

static const an_finding_def_t defs[] = {
#define AN_F_ROW(id, sev, ede, rfc, who, sum, fix) {#id, sev, ede, rfc, who, sum, fix},
    AN_FINDINGS(AN_F_ROW)
#undef AN_F_ROW
};

const an_finding_def_t *an_finding_def(an_fid_t id)
{
	return (unsigned)id < AN_F__COUNT ? &defs[id] : NULL;
}

const char *an_severity_name(an_severity_t s)
{
	static const char *n[] = {"notice", "warning", "error"};
	return (unsigned)s < 3 ? n[s] : "notice";
}

const char *an_who_name(an_who_t w)
{
	static const char *n[] = {"none", "registrar", "dns-operator", "resolver-operator",
				  "tld-operator"};
	return (unsigned)w < DD_ARRAY_LEN(n) ? n[w] : "none";
}

/* RFC 8914 §4 and the IANA registry. */
static const char *ede_names[] = {
    "Other Error",
    "Unsupported DNSKEY Algorithm",
    "Unsupported DS Digest Type",
    "Stale Answer",
    "Forged Answer",
    "DNSSEC Indeterminate",
    "DNSSEC Bogus",
    "Signature Expired",
    "Signature Not Yet Valid",
    "DNSKEY Missing",
    "RRSIGs Missing",
    "No Zone Key Bit Set",
    "NSEC Missing",
    "Cached Error",
    "Not Ready",
    "Blocked",
    "Censored",
    "Filtered",
    "Prohibited",
    "Stale NXDOMAIN Answer",
    "Not Authoritative",
    "Not Supported",
    "No Reachable Authority",
    "Network Error",
    "Invalid Data",
    "Signature Expired before Valid",
    "Too Early",
    "Unsupported NSEC3 Iterations Value",
    "Unable to conform to policy",
    "Synthesized",
    "Invalid Query Type",
};

const char *an_ede_name(int code)
{
	if (code >= 0 && (size_t)code < DD_ARRAY_LEN(ede_names))
		return ede_names[code];
	return "Unknown";
}
