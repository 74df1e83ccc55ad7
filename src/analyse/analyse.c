/* analyse.c — the entry point (an_analyse), the result's lifetime and the exit code. */
#include "analyse/an_int.h"

const char *an_status_name(an_status_t s)
{
	static const char *n[] = {"secure", "insecure", "bogus", "indeterminate", "unreachable"};
	return (unsigned)s < 5 ? n[s] : "indeterminate";
}

void an_time_text(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%lld", (long long)t);
}

long an_zone_index(const ctx_t *c, const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < c->ev->n_zones; i++)
		if (strcmp(c->ev->zones[i].name, name) == 0)
			return (long)i;
	return -1;
}

static void link_clear(an_link_t *l)
{
	free(l->zone);
	free(l->parent);
	for (size_t i = 0; i < l->n_ds; i++)
		free(l->ds[i].text);
	free(l->ds);
	free(l->keys);
	free(l->ds_expected);
}

static int cmp_findings(const void *pa, const void *pb)
{
	const an_finding_t *a = pa, *b = pb;
	an_severity_t sa = an_finding_def(a->id)->severity, sb = an_finding_def(b->id)->severity;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	/* Stable, deterministic order: table order, then zone, then RRset. */
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	int z = strcmp(a->zone ? a->zone : "", b->zone ? b->zone : "");
	if (z)
		return z;
	z = strcmp(a->rrset ? a->rrset : "", b->rrset ? b->rrset : "");
	return z ? z : strcmp(a->detail ? a->detail : "", b->detail ? b->detail : "");
}

int an_analyse(const evidence_t *ev, int64_t now, const an_policy_t *policy,
	       const ldns_rr_list *anchors, an_result_t **out)
{
	*out = NULL;
	an_work_t work = {0};
	ctx_t c = {.ev = ev, .now = now, .work = &work};
	if (policy)
		c.pol = *policy;
	else
		an_policy_default(&c.pol);
	work.max_validations = c.pol.max_validations ? c.pol.max_validations : AN_MAX_VALIDATIONS;
	work.max_nsec3_hashes =
	    c.pol.max_nsec3_hashes ? c.pol.max_nsec3_hashes : AN_MAX_NSEC3_HASHES;
	an_vcache_t *own_vcache = NULL;
	if (!c.pol.vcache)
		c.pol.vcache = own_vcache = an_vcache_new(256);
	an_result_t *r = calloc(1, sizeof(*r));
	actx_t a = {.c = &c};
	c.r = r;
	c.zs = calloc(ev->n_zones ? ev->n_zones : 1, sizeof(zst_t));
	c.pkts = calloc(ev->n_xs ? ev->n_xs : 1, sizeof(ldns_pkt *));
	c.pkt_borrowed = calloc(ev->n_xs ? ev->n_xs : 1, sizeof(bool));
	c.t_insecure_ede = calloc(ev->n_targets ? ev->n_targets : 1, sizeof(int));
	c.t_shown = calloc(ev->n_targets ? ev->n_targets : 1, sizeof(bool));
	c.t_answered = calloc(ev->n_targets ? ev->n_targets : 1, sizeof(bool));
	a.links = calloc(ev->n_zones ? ev->n_zones : 1, sizeof(an_link_t));
	if (!r || !c.zs || !c.pkts || !c.pkt_borrowed || !a.links || !c.t_insecure_ede ||
	    !c.t_shown || !c.t_answered) {
		an_vcache_free(own_vcache);
		free(c.t_insecure_ede);
		free(c.t_shown);
		free(c.t_answered);
		free(r);
		free(c.zs);
		free(c.pkts);
		free(c.pkt_borrowed);
		free(a.links);
		return DD_ENOMEM;
	}
	r->qname = dd_strdup(ev->qname);
	r->qtype = ev->qtype;
	r->probed_at = ev->probed_at;
	r->validated_at = now;
	if (anchors) {
		c.anchors = ldns_rr_list_clone(anchors);
	} else {
		c.anchors = ldns_rr_list_new();
		for (size_t i = 0; c.anchors && i < ev->n_anchors; i++) {
			ldns_rr *rr = NULL;
			/* Untrusted text: only whole DS and DNSKEY records are anchors. */
			if (ldns_rr_new_frm_str(&rr, ev->anchors[i], 0, NULL, NULL) ==
				LDNS_STATUS_OK &&
			    rr &&
			    (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS ||
			     ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY) &&
			    ldns_rr_rd_count(rr) == 4)
				ldns_rr_list_push_rr(c.anchors, rr);
			else
				ldns_rr_free(rr);
		}
	}
	for (size_t i = 0; i < ev->n_zones; i++) {
		c.zs[i].z = &ev->zones[i];
		c.zs[i].parent = an_zone_index(&c, ev->zones[i].parent);
		/* A parent must come first (evidence is in walk order); else ignore the link. */
		if (c.zs[i].parent >= (long)i)
			c.zs[i].parent = -1;
	}
	dd_pkt_epoch(); /* the thread's cached messages from earlier checks may go now */
	an_parse_all(&c);
	for (size_t i = 0; i < ev->n_zones; i++)
		an_analyse_zone(&a, i);
	for (size_t i = 0; i < ev->n_targets; i++)
		an_analyse_answer(&a, &ev->targets[i], i + 1 == ev->n_targets);
	an_server_view(&c);
	an_finish(&a);
	if (r->n_findings)
		qsort(r->findings, r->n_findings, sizeof(an_finding_t), cmp_findings);
	if (an_resolvers(ev, r))
		c.oom = true;

	for (size_t i = 0; i < ev->n_zones; i++) {
		ldns_rr_list_deep_free(c.zs[i].ds);
		ldns_rr_list_deep_free(c.zs[i].anchor_keys);
		ldns_rr_list_deep_free(c.zs[i].keys);
		ldns_rr_list_deep_free(c.zs[i].seen_keys);
		free(c.zs[i].ds_policy_detail);
		free(c.zs[i].no_dnssec);
		link_clear(&a.links[i]);
	}
	for (size_t i = 0; i < ev->n_xs; i++)
		if (!c.pkt_borrowed[i])
			ldns_pkt_free(c.pkts[i]);
	free(c.pkts);
	free(c.pkt_borrowed);
	free(c.t_insecure_ede);
	free(c.t_shown);
	free(c.t_answered);
	free(c.zs);
	free(a.links);
	ldns_rr_list_deep_free(c.anchors);
	an_vcache_free(own_vcache);
	if (c.oom) {
		an_result_free(r);
		return DD_ENOMEM;
	}
	*out = r;
	return 0;
}

void an_result_free(an_result_t *r)
{
	if (!r)
		return;
	free(r->qname);
	free(r->broken_zone);
	free(r->whatif_zone);
	for (size_t i = 0; i < r->n_findings; i++) {
		an_finding_t *f = &r->findings[i];
		free(f->zone);
		free(f->rrset);
		free(f->detail);
		free(f->data);
		for (size_t k = 0; k < f->n_servers; k++)
			free(f->servers[k]);
		free(f->servers);
		free(f->summary);
		free(f->fix);
	}
	free(r->findings);
	for (size_t i = 0; i < r->n_chain; i++)
		link_clear(&r->chain[i]);
	free(r->chain);
	free(r->answer_rcode);
	for (size_t i = 0; i < r->n_answer; i++)
		free(r->answer[i]);
	free(r->answer);
	an_resolvers_free(r);
	for (size_t i = 0; i < r->n_servers; i++) {
		an_server_view_t *v = &r->servers[i];
		free(v->zone);
		free(v->ns);
		free(v->address);
		free(v->dnskey);
		free(v->answer);
		free(v->status);
		free(v->findings);
	}
	free(r->servers);
	free(r);
}

int an_exit_code(const an_result_t *r)
{
	if (r->status == AN_BOGUS || r->status == AN_UNREACHABLE)
		return 2;
	if (r->status == AN_INDETERMINATE)
		return 3;
	for (size_t i = 0; i < r->n_findings; i++)
		if (an_finding_def(r->findings[i].id)->severity >= AN_WARNING)
			return 1;
	return 0;
}
