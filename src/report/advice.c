/*
 * advice.c — the verdict block: the verdict sentence, who must act, the fix, the
 * emergency stop and how urgent it is, worded for the case at hand (a stale server,
 * a broken TLD above the user's zone, an alias into a broken zone, a denial proof).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dd.h"
#include "report/report.h"

/* Does `name` lie at or below `zone`? Both lower-case, absolute. */
static bool name_under(const char *name, const char *zone)
{
	if (strcmp(zone, ".") == 0)
		return true;
	size_t n = strlen(name), z = strlen(zone);
	return n >= z && strcmp(name + n - z, zone) == 0 && (n == z || name[n - z - 1] == '.');
}

/* The zone of the name asked: the deepest zone on the chain that holds it. */
static const char *query_zone(const an_result_t *r)
{
	const char *best = NULL;
	for (size_t i = 0; i < r->n_chain; i++)
		if (name_under(r->qname, r->chain[i].zone) &&
		    (!best || strlen(r->chain[i].zone) > strlen(best)))
			best = r->chain[i].zone;
	return best ? best : r->qname;
}

static const an_server_view_t *server_view(const an_result_t *r, const char *zone, const char *addr)
{
	for (size_t i = 0; i < r->n_servers; i++)
		if (strcmp(r->servers[i].address, addr) == 0 &&
		    strcmp(r->servers[i].zone, zone) == 0)
			return &r->servers[i];
	return NULL;
}

/* "ns3.example. at 192.0.2.3, 192.0.2.4": the addresses of `f`, named where the
 * per-server view knows them. Caller frees. */
static char *servers_text(const an_result_t *r, const an_finding_t *f)
{
	char *out = dd_strdup("");
	for (size_t k = 0; out && k < f->n_servers; k++) {
		const an_server_view_t *v = server_view(r, f->zone, f->servers[k]);
		char *n = v ? dd_asprintf("%s%s%s at %s", out, k ? ", " : "", v->ns, f->servers[k])
			    : dd_asprintf("%s%s%s", out, k ? ", " : "", f->servers[k]);
		free(out);
		out = n;
	}
	return out;
}

/* " (its SOA serial is 5, the other servers' 7)" when the failing servers' serial
 * differs from the others', else "". Caller frees. */
static char *serial_text(const an_result_t *r, const an_finding_t *f)
{
	long long bad = -1, good = -1;
	for (size_t i = 0; i < r->n_servers; i++) {
		const an_server_view_t *v = &r->servers[i];
		if (strcmp(v->zone, f->zone) != 0 || v->serial < 0)
			continue;
		bool failing = false;
		for (size_t k = 0; k < f->n_servers; k++)
			failing |= strcmp(f->servers[k], v->address) == 0;
		if (failing && bad < 0)
			bad = v->serial;
		else if (!failing && good < 0)
			good = v->serial;
	}
	if (bad < 0 || good < 0 || bad == good)
		return dd_strdup("");
	return dd_asprintf(" (SOA serial %lld there, %lld at the others)", bad, good);
}

static bool is_denial(an_fid_t id)
{
	return id == AN_F_DENIAL_MISSING || id == AN_F_DENIAL_INVALID ||
	       id == AN_F_WILDCARD_PROOF_MISSING;
}

/* The case a bogus or unreachable verdict is in. */
typedef struct scope {
	const an_finding_t *f; /* the finding that explains the verdict, or NULL */
	const char *broken;    /* the zone where it breaks, or NULL */
	const char *qzone;     /* the zone of the name asked */
	bool tld;	       /* the break is in a TLD */
	bool above;	       /* ... strictly above the zone of the name asked */
	bool alias;	       /* ... off the name's own path: in a CNAME/DNAME target */
	bool intermittent;     /* only some of the zone's servers fail */
} scope_t;

static scope_t scope_of(const an_result_t *r)
{
	scope_t s = {.f = rep_main_finding(r), .broken = r->broken_zone, .qzone = query_zone(r)};
	if (!s.broken)
		return s;
	s.tld = dd_name_is_tld(s.broken);
	s.alias = !name_under(s.qzone, s.broken);
	s.above = !s.alias && strcmp(s.qzone, s.broken) != 0;
	s.intermittent = s.f && s.f->n_servers && s.f->n_servers < s.f->n_zone_servers;
	return s;
}

static char *ede_list(const an_result_t *r)
{
	char ede[200] = "";
	for (size_t i = 0; i < r->n_ede; i++) {
		size_t l = strlen(ede);
		snprintf(ede + l, sizeof(ede) - l, "%sEDE %d %s", i ? ", " : "", r->ede[i],
			 an_ede_name(r->ede[i]));
	}
	return dd_strdup(ede);
}

static char *denial_verdict(const an_result_t *r, const scope_t *s, const char *ede)
{
	char *where = s->f->n_servers ? servers_text(r, s->f) : dd_strdup("every server");
	if (s->f->n_servers && s->f->n_servers >= s->f->n_zone_servers) {
		free(where);
		where = dd_asprintf("every server of %s", s->f->zone);
	}
	const char *what = s->f->id == AN_F_WILDCARD_PROOF_MISSING
			       ? "no closer name than the wildcard exists"
			   : r->answer_rcode && strcmp(r->answer_rcode, "NXDOMAIN") == 0
			       ? "does not exist"
			       : "has no records of this type";
	char *v = dd_asprintf(
	    "bogus: the proof that %s %s (NSEC/NSEC3) is %s at %s (%s); the keys of %s are fine, "
	    "the answer fails validation",
	    r->qname, what, s->f->id == AN_F_DENIAL_INVALID ? "invalid" : "missing",
	    where ? where : "?", ede, s->broken);
	free(where);
	return v;
}

/* Why there is no verdict: a zone none of whose servers could be asked, this machine's
 * crypto, or a check cut short. */
static char *indeterminate_text(const an_result_t *r)
{
	for (size_t i = 0; i < r->n_chain; i++) {
		const an_link_t *l = &r->chain[i];
		if (l->status != AN_INDETERMINATE)
			continue;
		for (size_t k = 0; k < r->n_findings; k++) {
			const an_finding_t *f = &r->findings[k];
			if (strcmp(f->zone, l->zone) == 0 &&
			    (f->id == AN_F_SERVER_NOT_TESTED || f->id == AN_F_SERVER_NOT_QUERIED))
				return dd_asprintf("indeterminate: no name server of %s could be "
						   "asked from here (%s), so nothing "
						   "about it was validated",
						   l->zone,
						   f->id == AN_F_SERVER_NOT_TESTED
						       ? "no route for their address family"
						       : "their addresses are not allowed");
		}
	}
	char *ede = ede_list(r);
	char *v = dd_asprintf("indeterminate: no verdict could be reached%s%s%s",
			      ede && ede[0] ? " (" : "", ede ? ede : "", ede && ede[0] ? ")" : "");
	free(ede);
	return v;
}

static char *verdict_text(const an_result_t *r, const scope_t *s)
{
	switch (r->status) {
	case AN_SECURE:
		return dd_asprintf("secure: the chain of trust holds from the trust anchor to %s",
				   r->qname);
	case AN_INSECURE:
		if (r->n_ede) {
			/* insecure by policy (algorithm, digest, NSEC3 iterations), not by proof */
			char *ede = ede_list(r);
			char *v = dd_asprintf("insecure: validators treat %s as unsigned (%s): it "
					      "is signed, but with "
					      "what they do not validate",
					      r->qname, ede ? ede : "?");
			free(ede);
			return v;
		}
		return dd_asprintf("insecure: %s is not protected by DNSSEC, and that is provably "
				   "so (not an error)",
				   r->qname);
	case AN_BOGUS:
	case AN_UNREACHABLE:
		break;
	default:
		return indeterminate_text(r);
	}
	char *ede = ede_list(r), *v;
	const char *b = s->broken ? s->broken : "?";
	if (!ede)
		return NULL;
	if (r->status == AN_UNREACHABLE) {
		v = dd_asprintf(
		    "unreachable: no name server of %s answers (%s); this is not a DNSSEC problem",
		    b, ede);
	} else if (s->f && s->intermittent) {
		char *where = servers_text(r, s->f);
		v = dd_asprintf("bogus at some servers: %zu of the %zu server addresses of %s (%s) "
				"serve data that fails "
				"validation (%s); a validating resolver fails whenever it asks "
				"them, so failures come and go",
				s->f->n_servers, s->f->n_zone_servers, b, where ? where : "?", ede);
		free(where);
	} else if (s->f && is_denial(s->f->id) && !s->alias && !s->above) {
		v = denial_verdict(r, s, ede);
	} else if (s->tld && s->above) {
		v = dd_asprintf("bogus: the chain of trust breaks at the TLD %s (%s), above %s, "
				"which is fine; validating "
				"resolvers answer SERVFAIL for every name under %s",
				b, ede, s->qzone, b);
	} else if (s->alias) {
		v = dd_asprintf("bogus: %s leads (through CNAME or DNAME) into %s, where the chain "
				"of trust breaks (%s); "
				"validating resolvers answer SERVFAIL",
				r->qname, b, ede);
	} else if (s->above) {
		v = dd_asprintf("bogus: the chain of trust breaks at %s (%s), above %s; validating "
				"resolvers answer SERVFAIL",
				b, ede, s->qzone);
	} else {
		v = dd_asprintf("bogus: the chain of trust breaks at %s (%s); validating resolvers "
				"answer SERVFAIL",
				b, ede);
	}
	free(ede);
	return v;
}

static char *who_text(const an_result_t *r, const scope_t *s)
{
	if (r->diagnosis == AN_DIAG_RESOLVER_SPECIFIC)
		return dd_asprintf("the operator of the failing resolver (flush %s from its "
				   "cache); nothing needs to change in "
				   "the zone",
				   r->qname);
	if (!s->f || (r->status != AN_BOGUS && r->status != AN_UNREACHABLE))
		return NULL;
	const char *z = s->f->zone;
	char *base;
	if (s->f->who == AN_WHO_TLD_OPERATOR) {
		base =
		    dd_asprintf("the operator of the TLD %s (the DS of %s is in the root zone, "
				"changed through IANA)%s%s%s",
				z, z, s->above ? "; nothing needs to change in " : "",
				s->above ? s->qzone : "", s->above ? ", which can only wait" : "");
	} else if (s->f->who == AN_WHO_REGISTRAR) {
		base = dd_asprintf("the registrar (parent) of %s", z);
	} else if (s->intermittent && s->f->who == AN_WHO_DNS_OPERATOR) {
		char *where = servers_text(r, s->f);
		base = dd_asprintf("the DNS operator of %s, on %s", z, where ? where : "?");
		free(where);
	} else {
		base = dd_asprintf("the DNS operator of %s", z);
	}
	if (base && s->alias) {
		char *n = dd_asprintf(
		    "%s; %s is the alias's target, not necessarily run by the owner of %s", base,
		    s->broken, s->qzone);
		free(base);
		base = n;
	}
	return base;
}

static char *fix_text(const an_result_t *r, const scope_t *s)
{
	if (!s->f || (r->status != AN_BOGUS && r->status != AN_UNREACHABLE))
		return NULL;
	/* One server of several serves data that fails: a stale copy, unless the finding says
	 * otherwise. */
	if (s->intermittent && r->status == AN_BOGUS && s->f->who == AN_WHO_DNS_OPERATOR &&
	    s->f->id != AN_F_ZONE_NO_DNSSEC) {
		char *where = servers_text(r, s->f), *serial = serial_text(r, s->f);
		char *v =
		    dd_asprintf("Make %s serve the current copy of %s%s: find out why it stopped "
				"receiving the zone "
				"(zone transfers, NOTIFY, a signer that no longer feeds it), then "
				"reload it and compare "
				"its SOA serial with the other servers'. The DS at %s is correct: "
				"do not change it.",
				where ? where : "?", s->f->zone, serial ? serial : "", s->f->zone);
		free(where);
		free(serial);
		return v;
	}
	return s->f->fix ? dd_strdup(s->f->fix) : NULL;
}

static char *nta_text(const char *z)
{
	return dd_asprintf(
	    "Operators of validating resolvers can meanwhile add a negative trust anchor for %s "
	    "(RFC 7646; Unbound: unbound-control insecure_add %s; BIND: rndc nta %s) and remove it "
	    "once the "
	    "zone is fixed.",
	    z, z, z);
}

static char *remove_ds_text(const char *z, bool tld)
{
	char *nta = nta_text(z);
	char *v = dd_asprintf("If the fix cannot be made quickly, %s remove all DS records of %s "
			      "from the parent zone. Validating resolvers "
			      "then treat %s as unsigned and resolve it again once the old DS has "
			      "expired from their caches "
			      "(up to the DS TTL, often one to two days). The cost: until a new DS "
			      "is published, answers from "
			      "%s are not protected against forgery, and DANE or other "
			      "DNSSEC-dependent services stop working. %s",
			      tld ? "request an emergency root zone change from IANA to"
				  : "ask the registrar to",
			      z, z, z, nta ? nta : "");
	free(nta);
	return v;
}

static char *emergency_text(const an_result_t *r, const scope_t *s)
{
	if (r->status != AN_BOGUS || !s->broken || strcmp(s->broken, ".") == 0 || !s->f)
		return NULL;
	const char *b = s->broken;
	if (s->intermittent) {
		char *where = servers_text(r, s->f);
		char *v = dd_asprintf("Take %s out of service for %s: remove it from the NS set "
				      "(in the zone and in the "
				      "delegation at the parent) or stop it answering for %s, so "
				      "that resolvers ask only the "
				      "servers whose data validates. The cost: one name server "
				      "fewer (less redundancy) "
				      "until it is repaired. Do not remove the DS: it is correct.",
				      where ? where : "?", b, b);
		free(where);
		return v;
	}
	if (s->tld && (s->above || s->alias)) {
		char *nta = nta_text(b);
		char *v = dd_asprintf("None at your end: the break is in the TLD %s, not in %s, "
				      "and nothing in %s can route "
				      "around it until the TLD's operator fixes it. %s",
				      b, s->qzone, s->qzone, nta ? nta : "");
		free(nta);
		return v;
	}
	/* A broken DS RRset or denial proof is the parent's own data: removing the child's DS does
	 * not help. */
	if (s->f->rrset && strstr(s->f->rrset, " DS") && strcmp(s->f->zone, b) == 0 &&
	    strncmp(s->f->rrset, b, strlen(b)) != 0)
		return NULL;
	char *stop = remove_ds_text(b, s->tld);
	if (stop && s->alias) {
		char *n = dd_asprintf("The owner of %s can act at once: repoint the CNAME (or "
				      "DNAME) that leads %s into %s at a "
				      "name outside %s, or remove it, until %s is fixed; the cost: "
				      "the alias no longer reaches what "
				      "%s serves. For the operator of %s: %s",
				      s->qzone, r->qname, b, b, b, b, b, stop);
		free(stop);
		stop = n;
	}
	return stop;
}

static char *urgency_text(const an_result_t *r, const scope_t *s)
{
	char t[40];
	switch (r->status) {
	case AN_BOGUS:
		if (s->f && s->intermittent)
			return dd_asprintf("now, intermittently: every validating resolver that "
					   "asks the failing server%s (%zu of "
					   "%zu addresses) fails",
					   s->f->n_servers == 1 ? "" : "s", s->f->n_servers,
					   s->f->n_zone_servers);
		return dd_asprintf("now: validating resolvers fail for %s today", r->qname);
	case AN_UNREACHABLE:
		return dd_asprintf("now: %s cannot be resolved at all (not a DNSSEC problem)",
				   r->qname);
	case AN_INDETERMINATE:
		return NULL;
	default:
		break;
	}
	const an_finding_t *soon = NULL;
	bool warnings = false;
	for (size_t i = 0; i < r->n_findings; i++) {
		const an_finding_t *f = &r->findings[i];
		if (an_finding_def(f->id)->severity != AN_WARNING)
			continue;
		/* Works for some validators, fails now for others (strict ones). */
		if (f->id == AN_F_DS_KEY_REVOKED || f->id == AN_F_RRSIG_CLOCK_SKEW)
			return dd_asprintf(
			    "now, for some resolvers: %s (see below: which validators fail)",
			    an_finding_def(f->id)->id);
		warnings = true;
		if (f->when > r->validated_at && (!soon || f->when < soon->when))
			soon = f;
	}
	if (soon) {
		an_time_text(soon->when, t, sizeof(t));
		long days = (long)((soon->when - r->validated_at) / 86400);
		return dd_asprintf("before %s (in %ld day%s): %s", t, days, days == 1 ? "" : "s",
				   an_finding_def(soon->id)->id);
	}
	if (warnings)
		return dd_strdup(
		    "not urgent: it works; the warnings below are degradation, or below policy");
	return NULL;
}

/* The first finding of `sev`, or NULL (findings come sorted, most severe first). */
static const an_finding_t *first_of(const an_result_t *r, an_severity_t sev, size_t *count)
{
	const an_finding_t *first = NULL;
	*count = 0;
	for (size_t i = 0; i < r->n_findings; i++) {
		if (an_finding_def(r->findings[i].id)->severity != sev)
			continue;
		if (!first)
			first = &r->findings[i];
		++*count;
	}
	return first;
}

/* No failure, but warnings: the verdict says how many, and the block names who acts on
 * the first one and its fix; there is no emergency. Also for unreachable and no verdict. */
static int advise_rest(const an_result_t *r, rep_advice_t *a)
{
	size_t nw = 0;
	const an_finding_t *w = first_of(r, AN_WARNING, &nw);
	if (r->status == AN_UNREACHABLE && !a->emergency && r->broken_zone) {
		a->emergency = dd_asprintf(
		    "none that DNSSEC offers: this is not a DNSSEC problem; the name servers of %s "
		    "must answer again (removing the DS would not help)",
		    r->broken_zone);
		return a->emergency ? 0 : DD_ENOMEM;
	}
	if (r->status == AN_BOGUS || r->status == AN_UNREACHABLE || !w ||
	    r->diagnosis == AN_DIAG_RESOLVER_SPECIFIC)
		return 0;
	if (r->status == AN_SECURE || r->status == AN_INSECURE) {
		char ids[200] = "";
		size_t shown = 0;
		for (size_t i = 0; i < r->n_findings && shown < 3; i++) {
			const an_finding_def_t *d = an_finding_def(r->findings[i].id);
			if (d->severity != AN_WARNING || strstr(ids, d->id))
				continue;
			size_t l = strlen(ids);
			snprintf(ids + l, sizeof(ids) - l, "%s%s", l ? ", " : "", d->id);
			shown++;
		}
		/* "secure: the chain ..." becomes "secure, with 2 warnings (A, B): the chain ..."
		 */
		const char *colon = strchr(a->verdict, ':');
		char *v =
		    colon ? dd_asprintf("%.*s, with %zu warning%s (%s%s)%s",
					(int)(colon - a->verdict), a->verdict, nw,
					nw == 1 ? "" : "s", ids, nw > shown ? ", ..." : "", colon)
			  : NULL;
		if (v) {
			free(a->verdict);
			a->verdict = v;
		}
	}
	a->who = w->who;
	a->basis = w;
	const char *z = w->zone;
	switch (w->who) {
	case AN_WHO_REGISTRAR:
		a->who_text = dd_asprintf("the registrar (parent) of %s, for %s", z,
					  an_finding_def(w->id)->id);
		break;
	case AN_WHO_DNS_OPERATOR:
		a->who_text =
		    dd_asprintf("the DNS operator of %s, for %s", z, an_finding_def(w->id)->id);
		break;
	case AN_WHO_TLD_OPERATOR:
		a->who_text =
		    dd_asprintf("the operator of the TLD %s, for %s", z, an_finding_def(w->id)->id);
		break;
	default:
		a->who_text =
		    dd_asprintf("nobody needs to change a zone (%s)", an_finding_def(w->id)->id);
		break;
	}
	a->fix = dd_strdup(w->fix ? w->fix : "");
	a->emergency =
	    dd_strdup(r->status == AN_INDETERMINATE ? "none: there is no verdict to act on yet"
						    : "none needed: validating resolvers still get "
						      "their answers (a warning, not a failure)");
	return a->who_text && a->fix && a->emergency ? 0 : DD_ENOMEM;
}

int rep_advice(const an_result_t *r, rep_advice_t *a)
{
	memset(a, 0, sizeof(*a));
	scope_t s = scope_of(r);
	a->verdict = verdict_text(r, &s);
	if (!a->verdict)
		return DD_ENOMEM;
	if (r->diagnosis == AN_DIAG_RESOLVER_SPECIFIC)
		a->who = AN_WHO_RESOLVER_OPERATOR;
	else if (s.f && (r->status == AN_BOGUS || r->status == AN_UNREACHABLE))
		a->who = s.f->who;
	a->who_text = who_text(r, &s);
	a->fix = fix_text(r, &s);
	a->emergency = emergency_text(r, &s);
	a->urgency = urgency_text(r, &s);
	if (r->status == AN_BOGUS || r->status == AN_UNREACHABLE) {
		a->basis = s.f;
		a->deadline = r->validated_at;
	} else {
		for (size_t i = 0; i < r->n_findings; i++) {
			const an_finding_t *f = &r->findings[i];
			if (an_finding_def(f->id)->severity == AN_WARNING &&
			    f->when > r->validated_at && (!a->deadline || f->when < a->deadline))
				a->deadline = f->when;
		}
	}
	return advise_rest(r, a);
}

void rep_advice_clear(rep_advice_t *a)
{
	free(a->verdict);
	free(a->who_text);
	free(a->fix);
	free(a->emergency);
	free(a->urgency);
	memset(a, 0, sizeof(*a));
}
