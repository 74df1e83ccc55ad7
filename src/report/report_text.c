#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dd.h"
#include "report/report.h"

#define C_RED "\033[1;31m"
#define C_YEL "\033[33m"
#define C_GRN "\033[32m"
#define C_DIM "\033[2m"
#define C_BOLD "\033[1m"
#define C_OFF "\033[0m"

static const an_finding_t *first_error(const an_result_t *r, const char *zone);

const an_finding_t *rep_main_finding(const an_result_t *r)
{
	return first_error(r, r->broken_zone);
}

static const an_finding_t *first_error(const an_result_t *r, const char *zone)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		const an_finding_t *f = &r->findings[i];
		if (an_finding_def(f->id)->severity == AN_ERROR &&
		    (!zone || strcmp(f->zone, zone) == 0))
			return f;
	}
	return NULL;
}

static const char *status_color(an_status_t s)
{
	switch (s) {
	case AN_SECURE:
		return C_GRN;
	case AN_INSECURE:
		return C_YEL;
	default:
		return C_RED;
	}
}

static const char *sev_color(an_severity_t s)
{
	return s == AN_ERROR ? C_RED : s == AN_WARNING ? C_YEL : C_DIM;
}

#define COL(code) (color ? (code) : "")

/* First, what the person on call needs: the verdict, how urgent, who acts, the fix, the emergency
 * stop. */
static void verdict_block(FILE *out, const an_result_t *r, bool color)
{
	rep_advice_t a;
	if (rep_advice(r, &a) != 0) {
		rep_advice_clear(&a);
		fprintf(out, "Verdict: %s (out of memory while wording the advice)\n\n",
			an_status_name(r->status));
		return;
	}
	fprintf(out, "%sVerdict:%s %s%s%s\n", COL(C_BOLD), COL(C_OFF), COL(status_color(r->status)),
		a.verdict, COL(C_OFF));
	if (a.urgency)
		fprintf(out, "%sUrgency:%s %s\n", COL(C_BOLD), COL(C_OFF), a.urgency);
	if (a.who_text)
		fprintf(out, "%sWho must act:%s %s\n", COL(C_BOLD), COL(C_OFF), a.who_text);
	if (a.fix)
		fprintf(out, "%sFix:%s %s\n", COL(C_BOLD), COL(C_OFF), a.fix);
	if (a.emergency)
		fprintf(out, "%sEmergency stop:%s %s\n", COL(C_BOLD), COL(C_OFF), a.emergency);
	fputc('\n', out);
	rep_advice_clear(&a);
}

void rep_text(FILE *out, const an_result_t *r, const evidence_t *ev, bool color)
{
	char *qt = ldns_rr_type2str((ldns_rr_type)r->qtype);
	char t1[40], t2[40];
	fprintf(out, "%sdnssec-doctor%s %s %s  (validated at %s", COL(C_BOLD), COL(C_OFF), r->qname,
		qt ? qt : "?", (an_time_text(r->validated_at, t1, sizeof(t1)), t1));
	if (ev)
		fprintf(out, "; %u queries, %u ms", ev->queries, ev->elapsed_ms);
	fprintf(out, ")\n\n");
	free(qt);
	if (r->whatif_zone)
		fprintf(out,
			"%sWhat if:%s the DS records of %s are the ones given with --ds, not those "
			"the parent serves.\n\n",
			COL(C_BOLD), COL(C_OFF), r->whatif_zone);
	verdict_block(out, r, color);

	/* 1. Confirmation through resolvers. */
	fprintf(out, "%s1. Is it DNSSEC?%s\n", COL(C_BOLD), COL(C_OFF));
	fprintf(out, "   %s%s%s: %s\n", COL(C_BOLD), an_diagnosis_name(r->diagnosis), COL(C_OFF),
		r->diagnosis_text ? r->diagnosis_text : "");
	for (size_t i = 0; i < r->n_resolvers; i++) {
		const an_resolver_t *v = &r->resolvers[i];
		char who[96], a[16], b[16];
		if (v->port == 53)
			snprintf(who, sizeof(who), "%s%s%s%s", v->label ? v->label : "",
				 v->label ? " (" : "", v->address, v->label ? ")" : "");
		else
			snprintf(who, sizeof(who), "%s%s%s#%u%s", v->label ? v->label : "",
				 v->label ? " (" : "", v->address, v->port, v->label ? ")" : "");
		fprintf(out, "   %-30s %-15s ", who,
			v->validating == 1   ? "validating"
			: v->validating == 0 ? "not validating"
					     : "validation ?");
		if (v->rcode >= 0) {
			an_rcode_text(v->rcode, a);
			fprintf(out, "%s%s%s%s", COL(v->rcode == 2 ? C_RED : C_GRN), a,
				v->ad ? " (AD)" : "", COL(C_OFF));
		} else {
			fprintf(out, "%sno answer%s", COL(C_RED), COL(C_OFF));
		}
		if (v->rcode_cd >= 0) {
			an_rcode_text(v->rcode_cd, b);
			fprintf(out, ", with +cd %s", b);
		} else {
			fprintf(out, ", with +cd no answer");
		}
		if (v->agrees == 0)
			fprintf(out, "  %s(disagrees with our verdict)%s", COL(C_YEL), COL(C_OFF));
		fprintf(out, "\n");
		if (v->error)
			fprintf(out, "     %s\n", v->error);
	}

	/* 2. Extended DNS Error. */
	fprintf(out, "\n%s2. Extended DNS Error (RFC 8914)%s\n", COL(C_BOLD), COL(C_OFF));
	bool any_res_ede = false;
	for (size_t i = 0; i < r->n_resolvers; i++) {
		const an_resolver_t *v = &r->resolvers[i];
		for (size_t k = 0; k < v->n_ede; k++) {
			const an_ede_seen_t *e = &v->ede[k];
			fprintf(out, "   %s%s%s says EDE %d (%s)", v->label ? v->label : "",
				v->label ? " " : "", v->address, e->code, an_ede_name(e->code));
			if (e->text && e->text[0])
				fprintf(out, " \"%s\"", e->text);
			if (e->finding_summary)
				fprintf(out, "\n     we found: %s", e->finding_summary);
			else
				fprintf(
				    out, "\n     %s",
				    e->code == 22 || e->code == 23
					? "relayed: the resolver could not reach the zone's servers"
					: "relayed as the resolver reports it; our analysis has no "
					  "finding with this code");
			fprintf(out, "\n");
			any_res_ede = true;
		}
	}
	if (r->n_resolvers && !any_res_ede)
		fprintf(out, "   resolvers: no Extended DNS Error reported\n");
	if (!r->n_ede)
		fprintf(out,
			"   ours: none derived: a validating resolver has no error to report\n");
	for (size_t i = 0; i < r->n_ede; i++)
		fprintf(out, "   ours: EDE %d (%s)\n", r->ede[i], an_ede_name(r->ede[i]));

	/* 3. DS vs DNSKEY, zone by zone. */
	fprintf(out, "\n%s3. Parent DS against child DNSKEY%s\n", COL(C_BOLD), COL(C_OFF));
	for (size_t i = 0; i < r->n_chain; i++) {
		const an_link_t *l = &r->chain[i];
		fprintf(out, "   %s\n", l->zone);
		if (l->anchored)
			fprintf(out, "     trust anchor here\n");
		if (!l->n_ds && !l->anchored)
			fprintf(out, "     no DS at the parent%s\n",
				l->n_keys ? " (the zone publishes keys)" : "");
		for (size_t d = 0; d < l->n_ds; d++) {
			/* No server delivered a DNSKEY RRset to judge (dead, or no EDNS): the DS
			 * cannot be checked. */
			bool unknown = !l->n_keys && !l->servers_total && l->status != AN_INSECURE;
			fprintf(out, "     DS  tag %-5u alg %-2u digest %u  %s%s%s\n", l->ds[d].tag,
				l->ds[d].algorithm, l->ds[d].digest_type,
				COL(unknown	       ? C_DIM
				    : l->ds[d].matched ? C_GRN
						       : C_RED),
				unknown ? "not checked: no server delivered the zone's DNSKEY RRset"
				: l->ds[d].matched ? "matches a published key"
						   : "matches NO published key",
				COL(C_OFF));
		}
		for (size_t k = 0; k < l->n_keys; k++) {
			const an_key_t *key = &l->keys[k];
			fprintf(out, "     KEY tag %-5u alg %-2u %s%s %4u bits%s%s\n", key->tag,
				key->algorithm, (key->flags & 1) ? "KSK" : "ZSK",
				(key->flags & 0x80) ? " REVOKED" : "", key->bits,
				key->ds_match ? ", named by a DS" : "",
				key->signs_dnskey ? ", signs the DNSKEY RRset" : "");
		}
	}

	/* 4. Signature freshness. */
	fprintf(out, "\n%s4. Signature freshness%s\n", COL(C_BOLD), COL(C_OFF));
	bool any = false;
	for (size_t i = 0; i < r->n_findings; i++) {
		const an_finding_t *f = &r->findings[i];
		if (f->id == AN_F_RRSIG_EXPIRED || f->id == AN_F_RRSIG_NOT_YET_VALID ||
		    f->id == AN_F_RRSIG_EXPIRING_SOON) {
			fprintf(
			    out, "   %s%s%s %s\n", COL(sev_color(an_finding_def(f->id)->severity)),
			    an_finding_def(f->id)->id, COL(C_OFF), f->summary ? f->summary : "");
			any = true;
		}
	}
	if (r->earliest_expiry) {
		an_time_text(r->earliest_expiry, t2, sizeof(t2));
		long days = (long)((r->earliest_expiry - r->validated_at) / 86400);
		fprintf(out,
			"   earliest expiry of a valid signature on the path: %s (in %ld day%s)\n",
			t2, days, days == 1 ? "" : "s");
	} else if (!any) {
		fprintf(out, "   no valid signature on the path\n");
	}

	/* 5. The chain from the root. */
	fprintf(out, "\n%s5. The chain from the root%s\n", COL(C_BOLD), COL(C_OFF));
	for (size_t i = 0; i < r->n_chain; i++) {
		const an_link_t *l = &r->chain[i];
		/* a link that holds while the zone's answer fails (a denial proof) is not where the
		 * chain breaks */
		bool broken = r->broken_zone && strcmp(r->broken_zone, l->zone) == 0 &&
			      l->status != AN_SECURE;
		fprintf(out, "   %-32s %s%-13s%s", l->zone, COL(status_color(l->status)),
			an_status_name(l->status), COL(C_OFF));
		if (l->servers_total)
			fprintf(out, " DNSKEY validated at %u of %u server addresses",
				l->servers_ok, l->servers_total);
		fprintf(out, "%s\n", broken ? "   <-- the chain breaks here" : "");
	}
	/* Every link holds, yet the verdict is bogus: the answer itself fails (a denial proof). */
	bool answer_bogus = r->status == AN_BOGUS;
	for (size_t i = 0; i < r->n_chain; i++)
		answer_bogus &= r->chain[i].status != AN_BOGUS;
	if (r->answer_rcode)
		fprintf(out, "   answer: %s%s%s%s%s\n", r->answer_rcode,
			r->n_answer ? "" : " (no records)", answer_bogus ? COL(C_RED) : "",
			answer_bogus ? "  bogus: it fails validation" : "",
			answer_bogus ? COL(C_OFF) : "");
	for (size_t i = 0; i < r->n_answer && i < 8; i++)
		fprintf(out, "     %s\n", r->answer[i]);

	/* The DNS check: each server of the answer's zone(s), side by side. */
	const char *shown = NULL;
	for (size_t i = 0; i < r->n_servers; i++) {
		const an_server_view_t *v = &r->servers[i];
		if (!shown || strcmp(shown, v->zone) != 0) {
			fprintf(out, "\n%sDNS check: what each server of %s returned%s\n",
				COL(C_BOLD), v->zone, COL(C_OFF));
			shown = v->zone;
		}
		bool bad = strcmp(v->status, "ok") != 0 && strcmp(v->status, "not tested") != 0;
		fprintf(out, "   %s %s", v->ns, v->address);
		if (v->serial >= 0)
			fprintf(out, "  serial %lld", (long long)v->serial);
		fprintf(out, "  %s%s%s%s%s%s\n", COL(bad ? C_RED : C_GRN), v->status, COL(C_OFF),
			v->findings[0] ? " (" : "", v->findings, v->findings[0] ? ")" : "");
		if (v->dnskey)
			fprintf(out, "     DNSKEY: %s\n", v->dnskey);
		if (v->answer)
			fprintf(out, "     answer: %s\n", v->answer);
	}

	/* Findings. */
	if (r->n_findings)
		fprintf(out, "\n%sFindings%s\n", COL(C_BOLD), COL(C_OFF));
	for (size_t i = 0; i < r->n_findings; i++) {
		const an_finding_t *f = &r->findings[i];
		const an_finding_def_t *d = an_finding_def(f->id);
		fprintf(out, "   %s%-7s%s %s", COL(sev_color(d->severity)),
			an_severity_name(d->severity), COL(C_OFF), d->id);
		if (d->ede >= 0)
			fprintf(out, " (EDE %d)", d->ede);
		if (f->n_servers) {
			fprintf(out, " at");
			for (size_t k = 0; k < f->n_servers; k++)
				fprintf(out, "%s %s", k ? "," : "", f->servers[k]);
		}
		fprintf(out, "\n      %s\n", f->summary ? f->summary : "");
		if (d->severity != AN_NOTICE && f->fix)
			fprintf(out, "      Fix (%s): %s\n", an_who_name(f->who), f->fix);
	}
}
