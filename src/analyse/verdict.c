/* the verdict: the path to each target, its EDE codes, the final status and broken zone */
#include "analyse/an_int.h"

static void push_ede(an_result_t *r, int code)
{
	if (code < 0)
		return;
	for (size_t i = 0; i < r->n_ede; i++)
		if (r->ede[i] == code)
			return;
	if (r->n_ede < DD_ARRAY_LEN(r->ede))
		r->ede[r->n_ede++] = code;
}

/* EDE codes of a zone's error findings: specific ones first, 6 last. */
/* A work cap reached: what was left uncomputed could have changed the
 * verdict either way, so there is none (indeterminate, EDE 5), and a
 * finding says which cap. An unreachable verdict stands: it rests on
 * no computation. */
static void work_verdict(ctx_t *c)
{
	const an_work_t *w = c->work;
	an_result_t *r = c->r;
	r->n_validations = w->validations;
	r->n_nsec3_hashes = w->nsec3_hashes;
	if (!w->capped)
		return;
	char buf[200];
	bool sigs = w->validations + 1 > w->max_validations;
	snprintf(buf, sizeof(buf), " (more than %lu %s)",
		 sigs ? w->max_validations : w->max_nsec3_hashes,
		 sigs ? "signature validations" : "NSEC3 hash computations");
	an_add_finding(c, AN_F_WORK_LIMIT_REACHED, c->ev->qname, NULL, buf, NULL, NULL, 0);
	if (r->status == AN_UNREACHABLE)
		return;
	r->status = AN_INDETERMINATE;
	free(r->broken_zone);
	r->broken_zone = NULL;
	r->n_ede = 0;
	push_ede(r, 5);
}

static void zone_ede(an_result_t *r, const char *zone)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->n_findings; i++) {
			const an_finding_t *f = &r->findings[i];
			const an_finding_def_t *d = an_finding_def(f->id);
			if (strcmp(f->zone, zone) != 0 || d->severity != AN_ERROR)
				continue;
			if ((pass == 0) == (d->ede != 6))
				push_ede(r, d->ede);
		}
}

/* Zones from the top to `zi` (indexes), root first. Returns the count. */
static size_t path_to(const ctx_t *c, long zi, long *out, size_t max)
{
	size_t n = 0;
	long tmp[AN_MAX_PATH];
	while (zi >= 0 && n < AN_MAX_PATH) {
		tmp[n++] = zi;
		zi = c->zs[zi].parent;
	}
	size_t m = 0;
	while (n && m < max)
		out[m++] = tmp[--n];
	return m;
}

static tverdict_t target_verdict(const ctx_t *c, long zi, size_t ti)
{
	tverdict_t v = {AN_SECURE, -1, 0, false};
	long path[AN_MAX_PATH];
	size_t n = path_to(c, zi, path, AN_MAX_PATH);
	bool insecure = false;
	/* Validation starts at the closest enclosing trust anchor: what lies above it does not
	 * matter. */
	size_t start = 0;
	for (size_t i = 0; i < n; i++)
		if (c->zs[path[i]].anchored)
			start = i;
	for (size_t i = start; i < n; i++) {
		const zst_t *s = &c->zs[path[i]];
		if (s->insecure && !insecure)
			v.insecure_ede = s->insecure_ede;
		if (s->insecure)
			insecure = true;
		if (s->unreachable && an_zone_only_unreachable(c, s->z->name)) {
			v.status = AN_UNREACHABLE;
			v.broken = path[i];
			return v;
		}
		if (!insecure && s->has_errors) {
			v.status = AN_BOGUS;
			v.broken = path[i];
			return v;
		}
		if (!insecure && (s->indeterminate || s->not_asked)) {
			v.status = AN_INDETERMINATE;
			v.crypto = s->indeterminate;
			return v;
		}
	}
	/* Secure so far, but no server gave an answer that could be judged (every one was
	 * malformed, refused or lost): nothing about the name was validated. */
	if (!insecure && c->t_answered && !c->t_answered[ti]) {
		v.status = AN_INDETERMINATE;
		return v;
	}
	if (!insecure && c->t_insecure_ede && c->t_insecure_ede[ti]) {
		insecure = true;
		v.insecure_ede = c->t_insecure_ede[ti] > 0 ? c->t_insecure_ede[ti] : 0;
	}
	if (insecure)
		v.status = AN_INSECURE;
	return v;
}

/* Are the zone's errors all about a denial proof? Its keys are fine then: the link
 * holds, the answer does not. */
static bool only_denial_errors(const ctx_t *c, const char *zone)
{
	for (size_t i = 0; i < c->r->n_findings; i++) {
		const an_finding_t *f = &c->r->findings[i];
		if (strcmp(f->zone, zone) != 0 || an_finding_def(f->id)->severity != AN_ERROR)
			continue;
		if (f->id != AN_F_DENIAL_MISSING && f->id != AN_F_DENIAL_INVALID &&
		    f->id != AN_F_WILDCARD_PROOF_MISSING)
			return false;
	}
	return true;
}

void an_finish(actx_t *a)
{
	ctx_t *c = a->c;
	an_result_t *r = c->r;
	const evidence_t *ev = c->ev;
	/* Verdict over the targets, in order: the first break wins. */
	tverdict_t best = {AN_SECURE, -1, 0, false};
	bool any_insecure = false, any_indet = false, indet_crypto = false;
	int insecure_ede = 0;
	for (size_t i = 0; i < ev->n_targets; i++) {
		tverdict_t v = target_verdict(c, an_zone_index(c, ev->targets[i].zone), i);
		if ((v.status == AN_BOGUS || v.status == AN_UNREACHABLE) && best.broken < 0)
			best = v;
		if (v.status == AN_INSECURE && !any_insecure)
			insecure_ede = v.insecure_ede;
		any_insecure |= v.status == AN_INSECURE;
		any_indet |= v.status == AN_INDETERMINATE;
		indet_crypto |= v.status == AN_INDETERMINATE && v.crypto;
	}
	if (best.broken >= 0) {
		r->status = best.status;
		r->broken_zone = dd_strdup(c->zs[best.broken].z->name);
		/* Codes of the topmost break first, then of breaks below it on the same path. */
		zone_ede(r, r->broken_zone);
		for (size_t i = 0; i < ev->n_targets; i++) {
			long path[AN_MAX_PATH];
			size_t n =
			    path_to(c, an_zone_index(c, ev->targets[i].zone), path, AN_MAX_PATH);
			for (size_t k = 0; k < n; k++)
				zone_ede(r, c->zs[path[k]].z->name);
		}
		if (best.status == AN_UNREACHABLE) {
			r->n_ede = 0;
			push_ede(r, 22);
		}
	} else if (any_indet || !ev->n_targets || (ev->probe_err && !r->answer_rcode)) {
		r->status = AN_INDETERMINATE;
		if (indet_crypto)
			push_ede(r, 5);
	} else if (any_insecure) {
		r->status = AN_INSECURE;
		if (insecure_ede)
			push_ede(r, insecure_ede);
	} else {
		r->status = AN_SECURE;
	}
	if (ev->probe_err) {
		char buf[200];
		snprintf(buf, sizeof(buf), " (%s)",
			 ev->probe_why ? ev->probe_why : dd_strerror(ev->probe_err));
		an_add_finding(c, AN_F_CHECK_INCOMPLETE, ev->qname, NULL, buf, NULL, NULL, 0);
	}
	work_verdict(c);
	if (ev->cname_stop && ev->n_targets) {
		const ev_target_t *last = &ev->targets[ev->n_targets - 1];
		char *tt = an_type_text(ev->qtype);
		char *rrset = dd_asprintf("%s %s", ev->qname, tt ? tt : "?");
		char buf[1200];
		bool loop = strcmp(ev->cname_stop, "loop") == 0;
		snprintf(buf, sizeof(buf), " (%zu names, the last %s)", ev->n_targets, last->name);
		an_add_finding(c, loop ? AN_F_CNAME_LOOP : AN_F_CNAME_CHAIN_TOO_LONG, last->zone,
			       rrset, buf, NULL, NULL, 0);
		free(rrset);
		free(tt);
	}
	/* Insecure verdicts carry the algorithm/digest codes when that is why. */
	r->earliest_expiry = c->earliest;

	/* The chain: zones on the targets' paths, root first, each once. */
	bool *used = calloc(ev->n_zones ? ev->n_zones : 1, sizeof(bool));
	r->chain = calloc(ev->n_zones ? ev->n_zones : 1, sizeof(an_link_t));
	for (size_t i = 0; used && r->chain && i < ev->n_targets; i++) {
		long path[AN_MAX_PATH];
		size_t n = path_to(c, an_zone_index(c, ev->targets[i].zone), path, AN_MAX_PATH);
		for (size_t k = 0; k < n; k++) {
			long zi = path[k];
			if (used[zi])
				continue;
			used[zi] = true;
			an_link_t *l = &a->links[zi];
			const zst_t *s = &c->zs[zi];
			l->anchored = s->anchored;
			l->status = s->unreachable && an_zone_only_unreachable(c, s->z->name)
					? AN_UNREACHABLE
				    : s->has_errors && !only_denial_errors(c, s->z->name) ? AN_BOGUS
				    : s->insecure		       ? AN_INSECURE
				    : s->indeterminate || s->not_asked ? AN_INDETERMINATE
								       : AN_SECURE;
			r->chain[r->n_chain++] = *l;
			memset(l, 0, sizeof(*l));
		}
	}
	free(used);

	/* Expand the templates. */
	for (size_t i = 0; i < r->n_findings; i++) {
		an_finding_t *f = &r->findings[i];
		const an_finding_def_t *d = an_finding_def(f->id);
		long zi = an_zone_index(c, f->zone);
		const char *parent = zi >= 0 ? c->zs[zi].z->parent : NULL;
		f->summary = an_expand(d->summary, f, parent);
		f->fix = an_expand(d->fix, f, parent);
		f->who = d->who;
		if (dd_name_is_tld(f->zone) &&
		    (d->who == AN_WHO_REGISTRAR || d->who == AN_WHO_DNS_OPERATOR)) {
			f->who = AN_WHO_TLD_OPERATOR;
			an_tld_fix(f);
		}
		if (zi >= 0)
			for (size_t k = 0; k < c->zs[zi].z->n_servers; k++)
				f->n_zone_servers += c->zs[zi].z->servers[k].n_addrs;
		/* A failure at some servers only: say so, it is what makes it intermittent. */
		if (d->severity == AN_ERROR && f->n_servers && f->n_servers < f->n_zone_servers &&
		    f->summary) {
			char *n = dd_asprintf(
			    "%s Seen at %zu of the zone's %zu server addresses: resolvers that ask "
			    "the others succeed, so failures come and go.",
			    f->summary, f->n_servers, f->n_zone_servers);
			free(f->summary);
			f->summary = n;
		}
	}
}
