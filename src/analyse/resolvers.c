/*
 * resolvers.c — the resolver view: what validating and non-validating
 * resolvers answered, whether that is the fingerprint of a DNSSEC failure,
 * and how each resolver's Extended DNS Errors relate to our own findings.
 *
 * Pure, like the rest of the analysis: it reads the resolver exchanges of
 * the evidence and the result of our own validation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse/analyse.h"
#include "common/dd.h"
#include "common/wire.h"

#define HDR_AD 0x0020
#define MAX_ANSWER_RRS 16

const char *an_diagnosis_name(an_diagnosis_t d)
{
	static const char *n[] = {"unknown",	"none",		"dnssec",
				  "not-dnssec", "intermittent", "resolver-specific"};
	return (unsigned)d < DD_ARRAY_LEN(n) ? n[d] : "unknown";
}

void an_rcode_text(int rcode, char out[16])
{
	static const char *n[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
				  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
				  "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI"};
	if (rcode >= 0 && (size_t)rcode < DD_ARRAY_LEN(n))
		snprintf(out, 16, "%s", n[rcode]);
	else if (rcode == 16)
		snprintf(out, 16, "BADVERS");
	else
		snprintf(out, 16, "RCODE%d", rcode & 0xfff);
}

static void ede_free(an_ede_seen_t *e, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		free(e[k].text);
		free(e[k].finding_summary);
	}
	free(e);
}

/* One exchange with a resolver, parsed. */
typedef struct rview {
	int rcode; /* -1: no usable answer */
	bool ad;
	char *error; /* why there is no answer */
	an_ede_seen_t *ede;
	size_t n_ede;
	char **answer;
	size_t n_answer;
} rview_t;

/* The first finding (in report order: errors first) that carries `code`. */
static const an_finding_t *finding_for_ede(const an_result_t *r, int code)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (an_finding_def(r->findings[i].id)->ede == code)
			return &r->findings[i];
	/* "DNSSEC Bogus" is the generic code: our most specific error explains it. */
	if (code == 6 && r->status == AN_BOGUS)
		for (size_t i = 0; i < r->n_findings; i++)
			if (an_finding_def(r->findings[i].id)->severity == AN_ERROR)
				return &r->findings[i];
	return NULL;
}

static int view_parse(const ev_exchange_t *x, const an_result_t *r, rview_t *v)
{
	memset(v, 0, sizeof(*v));
	v->rcode = -1;
	if (x->err || !x->wire) {
		const char *why = x->why ? x->why : dd_strerror(x->err ? x->err : DD_ENETWORK);
		if (x->err == DD_ETIMEOUT && !x->why && r->status == AN_UNREACHABLE)
			/* Not a dead resolver: it is still retrying the zone's dead servers. */
			v->error = dd_asprintf("no answer in time (%u tries): a resolver still "
					       "retrying dead name servers "
					       "can take 10 s or more to give up",
					       x->tries);
		else
			v->error =
			    x->err == DD_ETIMEOUT && !x->why
				? dd_asprintf("no answer (timed out after %u tries)", x->tries)
				: dd_asprintf("%s", why);
		return v->error ? 0 : DD_ENOMEM;
	}
	dd_wire_summary_t sum;
	const char *why = NULL;
	if (dd_wire_check(x->wire, x->wire_len, &sum, &why)) {
		v->error = dd_asprintf("malformed answer (%s)", why ? why : "unparseable");
		return v->error ? 0 : DD_ENOMEM;
	}
	v->rcode = sum.rcode;
	v->ad = (sum.flags & HDR_AD) != 0;
	if (sum.n_ede) {
		v->ede = calloc(sum.n_ede, sizeof(*v->ede));
		if (!v->ede)
			return DD_ENOMEM;
		for (unsigned i = 0; i < sum.n_ede; i++) {
			an_ede_seen_t *e = &v->ede[v->n_ede++];
			e->code = sum.ede[i].code;
			e->text = dd_strdup(sum.ede[i].text);
			const an_finding_t *f = finding_for_ede(r, e->code);
			e->finding = f ? an_finding_def(f->id)->id : NULL;
			e->finding_summary = f && f->summary ? dd_strdup(f->summary) : NULL;
		}
	}
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, x->wire, x->wire_len) == LDNS_STATUS_OK && pkt) {
		const ldns_rr_list *an = ldns_pkt_answer(pkt);
		size_t n = ldns_rr_list_rr_count(an);
		if (n > MAX_ANSWER_RRS)
			n = MAX_ANSWER_RRS;
		v->answer = calloc(n ? n : 1, sizeof(char *));
		for (size_t i = 0; v->answer && i < n; i++) {
			char *s = ldns_rr2str(ldns_rr_list_rr(an, i));
			if (!s)
				continue;
			s[strcspn(s, "\n")] = '\0';
			v->answer[v->n_answer++] = s;
		}
		ldns_pkt_free(pkt);
	}
	return 0;
}

static bool answers(int rcode)
{
	return rcode == 0 /* NOERROR */ || rcode == 3 /* NXDOMAIN */;
}

#define SERVFAIL 2

/* Our verdict breaks at some servers of the broken zone only (a stale copy). */
static bool our_break_is_partial(const an_result_t *r)
{
	if (r->status != AN_BOGUS || !r->broken_zone)
		return false;
	bool partial = false;
	for (size_t i = 0; i < r->n_findings; i++) {
		const an_finding_t *f = &r->findings[i];
		if (an_finding_def(f->id)->severity != AN_ERROR || !f->zone ||
		    strcmp(f->zone, r->broken_zone) != 0)
			continue;
		if (f->n_servers == 0 || f->n_servers >= f->n_zone_servers)
			return false;
		partial = true;
	}
	return partial;
}

static char *label_of(const an_resolver_t *v)
{
	if (v->label)
		return v->port == 53 ? dd_asprintf("%s (%s)", v->label, v->address)
				     : dd_asprintf("%s (%s#%u)", v->label, v->address, v->port);
	return v->port == 53 ? dd_asprintf("%s", v->address)
			     : dd_asprintf("%s#%u", v->address, v->port);
}

/* "A, B and C" of the resolvers selected by `pick`. */
static char *list_of(const an_result_t *r, bool (*pick)(const an_resolver_t *))
{
	char *out = dd_strdup("");
	size_t n = 0, total = 0;
	for (size_t i = 0; i < r->n_resolvers; i++)
		total += pick(&r->resolvers[i]);
	for (size_t i = 0; out && i < r->n_resolvers; i++) {
		if (!pick(&r->resolvers[i]))
			continue;
		char *l = label_of(&r->resolvers[i]);
		n++;
		char *o = dd_asprintf("%s%s%s", out,
				      n == 1	   ? ""
				      : n == total ? " and "
						   : ", ",
				      l ? l : "?");
		free(l);
		free(out);
		out = o;
	}
	return out;
}

static bool pick_fp(const an_resolver_t *v)
{
	return v->validating == 1 && v->rcode == SERVFAIL && answers(v->rcode_cd);
}

static bool pick_fails(const an_resolver_t *v)
{
	return v->rcode == SERVFAIL;
}

static void diagnose(an_result_t *r)
{
	size_t answered = 0, all_fail = 0, cd_servfail = 0, fingerprint = 0, fails = 0,
	       validating_ok = 0, cd_ok = 0;
	for (size_t i = 0; i < r->n_resolvers; i++) {
		const an_resolver_t *v = &r->resolvers[i];
		cd_ok += v->rcode_cd >= 0 && answers(v->rcode_cd);
		if (v->rcode < 0)
			continue;
		answered++;
		fails += v->rcode == SERVFAIL;
		if (v->rcode == SERVFAIL && (v->rcode_cd == SERVFAIL || v->rcode_cd < 0))
			all_fail++;
		cd_servfail += v->rcode_cd == SERVFAIL;
		fingerprint += pick_fp(v);
		validating_ok += v->validating == 1 && answers(v->rcode);
	}
	an_status_t s = r->status;
	bool chain_ok = s == AN_SECURE || s == AN_INSECURE;
	char *who = NULL;
	if (r->n_resolvers == 0) {
		r->diagnosis = AN_DIAG_UNKNOWN;
		r->diagnosis_text = dd_strdup("No resolver was asked: the verdict comes from our "
					      "own walk of the chain alone.");
	} else if (s == AN_UNREACHABLE && !cd_ok) {
		/* SERVFAIL or silence, in any mix, with +cd as without: the servers, not
		 * validation. */
		r->diagnosis = AN_DIAG_NOT_DNSSEC;
		r->diagnosis_text =
		    dd_asprintf("Not DNSSEC: no name server of %s answers, and no resolver gets an "
				"answer even with checking "
				"disabled (+cd): they answer SERVFAIL or not at all (validating "
				"resolvers may take 10 s or more "
				"to give up on dead servers). Validation is not what stops it.",
				r->broken_zone ? r->broken_zone : "the zone");
	} else if (answered == 0) {
		r->diagnosis = AN_DIAG_UNKNOWN;
		r->diagnosis_text =
		    dd_strdup("No resolver answered, so there is no outside confirmation; the "
			      "verdict comes from our own walk of the chain.");
	} else if (all_fail == answered && cd_servfail) {
		r->diagnosis = AN_DIAG_NOT_DNSSEC;
		r->diagnosis_text = dd_strdup("Not DNSSEC: every resolver fails, even with "
					      "checking disabled (+cd), so validation is not "
					      "what stops it. Check the name servers: dead, lame "
					      "or unreachable servers fail everywhere.");
	} else if (our_break_is_partial(r)) {
		r->diagnosis = AN_DIAG_INTERMITTENT;
		r->diagnosis_text = dd_asprintf(
		    "Intermittent DNSSEC failure: some servers of %s serve data that fails "
		    "validation. A resolver "
		    "fails whenever it asks one of them and succeeds when it asks another, so "
		    "users see failures "
		    "come and go%s.",
		    r->broken_zone,
		    fails ? "" : " (none of the resolvers asked is failing at this moment)");
	} else if (fingerprint && !chain_ok) {
		who = list_of(r, pick_fp);
		r->diagnosis = AN_DIAG_DNSSEC;
		r->diagnosis_text =
		    dd_asprintf("It is DNSSEC: %s answer%s SERVFAIL, and the same quer%s with "
				"checking disabled (+cd) get%s an "
				"answer. Validation is what fails.",
				who ? who : "validating resolvers", fingerprint == 1 ? "s" : "",
				fingerprint == 1 ? "y" : "ies", fingerprint == 1 ? "s" : "");
	} else if (fails && chain_ok) {
		who = list_of(r, pick_fails);
		r->diagnosis = AN_DIAG_RESOLVER_SPECIFIC;
		r->diagnosis_text = dd_asprintf(
		    "Resolver-specific: %s fail%s, but our analysis finds the chain %s%s. Most "
		    "likely a bogus answer "
		    "is still in that resolver's cache: it clears on its own when the cached entry "
		    "expires (at most "
		    "the records' TTL, and at most the resolver's own cap, often 1 to 24 hours), "
		    "and nothing on the "
		    "zone side speeds that up. The resolver's operator can flush the name.",
		    who ? who : "a resolver", fails == 1 ? "s" : "", an_status_name(s),
		    validating_ok ? " and other validating resolvers answer" : "");
	} else if (s == AN_BOGUS) {
		r->diagnosis = AN_DIAG_UNKNOWN;
		r->diagnosis_text = dd_strdup("Inconclusive: our analysis finds the chain broken, "
					      "yet no validating resolver asked fails. They "
					      "may still answer from cache (the failure shows once "
					      "the cached records expire), or they may not "
					      "validate. Both views are shown below.");
	} else if (chain_ok) {
		r->diagnosis = AN_DIAG_NONE;
		r->diagnosis_text =
		    dd_strdup(validating_ok ? "No failure: validating resolvers answer normally."
					    : "No failure: the resolvers asked answer normally "
					      "(none of them is known to validate).");
	} else {
		r->diagnosis = AN_DIAG_UNKNOWN;
		r->diagnosis_text = dd_asprintf(
		    "Inconclusive: our own check is %s and the resolvers do not show the "
		    "fingerprint of a DNSSEC failure.",
		    an_status_name(s));
	}
	free(who);
	if (!r->diagnosis_text)
		r->diagnosis = AN_DIAG_UNKNOWN;
}

static void view_move(rview_t *v, int *rcode, bool *ad, char **error, an_ede_seen_t **ede,
		      size_t *n_ede, char ***answer, size_t *n_answer)
{
	*rcode = v->rcode;
	*ad = v->ad;
	*error = v->error;
	*ede = v->ede;
	*n_ede = v->n_ede;
	if (answer) {
		*answer = v->answer;
		*n_answer = v->n_answer;
	} else {
		for (size_t i = 0; i < v->n_answer; i++)
			free(v->answer[i]);
		free(v->answer);
	}
}

int an_resolvers(const evidence_t *ev, an_result_t *r)
{
	if (ev->n_resolvers) {
		r->resolvers = calloc(ev->n_resolvers, sizeof(an_resolver_t));
		if (!r->resolvers)
			return DD_ENOMEM;
	}
	for (size_t i = 0; i < ev->n_resolvers; i++) {
		const ev_resolver_t *er = &ev->resolvers[i];
		an_resolver_t *v = &r->resolvers[r->n_resolvers++];
		v->address = dd_strdup(er->address);
		v->port = er->port;
		v->label = dd_strdup(er->label);
		v->rtt_ms = er->q[EV_RQ_PLAIN].rtt_ms;
		v->rtt_cd_ms = er->q[EV_RQ_CD].rtt_ms;
		rview_t p, cd, chk;
		if (view_parse(&er->q[EV_RQ_PLAIN], r, &p) ||
		    view_parse(&er->q[EV_RQ_CD], r, &cd) ||
		    view_parse(&er->q[EV_RQ_CHECK], r, &chk))
			return DD_ENOMEM;
		view_move(&p, &v->rcode, &v->ad, &v->error, &v->ede, &v->n_ede, &v->answer,
			  &v->n_answer);
		view_move(&cd, &v->rcode_cd, &v->ad_cd, &v->error_cd, &v->ede_cd, &v->n_ede_cd,
			  NULL, NULL);
		/* Does it validate? AD on the anchored zone's SOA (or on the answer)
		 * says yes; SERVFAIL that checking-disabled cures says yes; an
		 * answer for the anchored zone without AD says no. */
		if ((chk.rcode == 0 && chk.ad) || (p.rcode >= 0 && p.ad) ||
		    (p.rcode == SERVFAIL && answers(cd.rcode)))
			v->validating = 1;
		else if (chk.rcode == 0 && !chk.ad)
			v->validating = 0;
		else
			v->validating = -1;
		free(chk.error);
		ede_free(chk.ede, chk.n_ede);
		for (size_t k = 0; k < chk.n_answer; k++)
			free(chk.answer[k]);
		free(chk.answer);
		/* Agreement with our own verdict, for validating resolvers on a clear verdict. */
		v->agrees = -1;
		if (v->validating == 1 && v->rcode >= 0) {
			if (r->status == AN_BOGUS)
				v->agrees = v->rcode == SERVFAIL;
			else if (r->status == AN_SECURE)
				v->agrees = answers(v->rcode) && v->ad;
			else if (r->status == AN_INSECURE)
				v->agrees = answers(v->rcode) && !v->ad;
		}
	}
	diagnose(r);
	return 0;
}

void an_resolvers_free(an_result_t *r)
{
	for (size_t i = 0; i < r->n_resolvers; i++) {
		an_resolver_t *v = &r->resolvers[i];
		free(v->address);
		free(v->label);
		free(v->error);
		free(v->error_cd);
		ede_free(v->ede, v->n_ede);
		ede_free(v->ede_cd, v->n_ede_cd);
		for (size_t k = 0; k < v->n_answer; k++)
			free(v->answer[k]);
		free(v->answer);
	}
	free(r->resolvers);
	free(r->diagnosis_text);
}
