/* the per-server view: what each server of the answer's zone returned, side by side */
#include "analyse/an_int.h"

/* "NOERROR, 2 keys (tags 1, 2), 1 RRSIG" for `type` at `owner` in one exchange. */
static char *exchange_summary(const ctx_t *c, size_t xi, const ldns_rdf *owner, ldns_rr_type type)
{
	const ev_exchange_t *x = &c->ev->xs[xi];
	ldns_pkt *pkt = c->pkts[xi];
	if (x->err)
		return dd_asprintf("%s", x->why ? x->why : dd_strerror(x->err));
	if (!pkt)
		return dd_strdup("malformed answer");
	char *rc = ldns_pkt_rcode2str(ldns_pkt_get_rcode(pkt));
	ldns_rr_list *rrs = an_section_rrs(pkt, owner, type, LDNS_SECTION_ANSWER);
	if ((!rrs || !ldns_rr_list_rr_count(rrs)) && type != LDNS_RR_TYPE_CNAME &&
	    type != LDNS_RR_TYPE_DNSKEY) {
		/* an alias: say so, with its target, rather than "0 records" */
		ldns_rr_list *cn =
		    an_section_rrs(pkt, owner, LDNS_RR_TYPE_CNAME, LDNS_SECTION_ANSWER);
		if (cn && ldns_rr_list_rr_count(cn) &&
		    ldns_rr_rd_count(ldns_rr_list_rr(cn, 0)) >= 1) {
			ldns_rr_list *cs =
			    an_sigs_over(pkt, owner, LDNS_RR_TYPE_CNAME, LDNS_SECTION_ANSWER);
			char *target = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0));
			size_t ncs = cs ? ldns_rr_list_rr_count(cs) : 0;
			/* A CNAME synthesised from a DNAME is unsigned; the DNAME's signature
			 * counts. */
			ldns_rr_list *dn = ncs ? NULL : an_dname_over(pkt, owner, cn);
			char *downer =
			    dn ? ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(dn, 0))) : NULL;
			if (dn) {
				ldns_rr_list_free(cs);
				cs = an_sigs_over(pkt, ldns_rr_owner(ldns_rr_list_rr(dn, 0)),
						  LDNS_RR_TYPE_DNAME, LDNS_SECTION_ANSWER);
				ncs = cs ? ldns_rr_list_rr_count(cs) : 0;
			}
			char *out =
			    dd_asprintf("%s%s, a CNAME to %s%s%s, %zu RRSIG%s", rc ? rc : "?",
					ldns_pkt_aa(pkt) ? "" : " (not authoritative)",
					target ? target : "?", downer ? " from the DNAME at " : "",
					downer ? downer : "", ncs, ncs == 1 ? "" : "s");
			free(downer);
			ldns_rr_list_deep_free(dn);
			free(target);
			free(rc);
			ldns_rr_list_free(cs);
			ldns_rr_list_free(cn);
			ldns_rr_list_free(rrs);
			return out;
		}
		ldns_rr_list_free(cn);
	}
	ldns_rr_list *sigs = an_sigs_over(pkt, owner, type, LDNS_SECTION_ANSWER);
	size_t n = rrs ? ldns_rr_list_rr_count(rrs) : 0,
	       ns = sigs ? ldns_rr_list_rr_count(sigs) : 0;
	char tags[100] = "";
	for (size_t i = 0; type == LDNS_RR_TYPE_DNSKEY && i < n && i < 8; i++) {
		size_t l = strlen(tags);
		snprintf(tags + l, sizeof(tags) - l, "%s%u", l ? ", " : " (tags ",
			 ldns_calc_keytag(ldns_rr_list_rr(rrs, i)));
	}
	if (tags[0])
		strncat(tags, ")", sizeof(tags) - strlen(tags) - 1);
	const char *what = type == LDNS_RR_TYPE_DNSKEY ? "key" : "record";
	char *out = dd_asprintf("%s%s, %zu %s%s%s, %zu RRSIG%s", rc ? rc : "?",
				ldns_pkt_aa(pkt) ? "" : " (not authoritative)", n, what,
				n == 1 ? "" : "s", tags, ns, ns == 1 ? "" : "s");
	free(rc);
	ldns_rr_list_free(rrs);
	ldns_rr_list_free(sigs);
	return out;
}

void an_server_view(ctx_t *c)
{
	an_result_t *r = c->r;
	const evidence_t *ev = c->ev;
	for (size_t t = 0; t < ev->n_targets; t++) {
		long zi = an_zone_index(c, ev->targets[t].zone);
		bool dup = zi < 0;
		for (size_t k = 0; k < t && !dup; k++)
			dup = ev->targets[k].zone &&
			      strcmp(ev->targets[k].zone, ev->targets[t].zone) == 0;
		if (dup)
			continue;
		const ev_zone_t *z = &ev->zones[zi];
		ldns_rdf *apex = ldns_dname_new_frm_str(z->name),
			 *owner = ldns_dname_new_frm_str(ev->targets[t].name);
		int64_t first_serial = -1;
		char serials[200] = "";
		bool differ = false;
		for (size_t i = 0; apex && owner && i < z->n_servers; i++)
			for (size_t j = 0; j < z->servers[i].n_addrs; j++) {
				const char *a = z->servers[i].addrs[j];
				an_server_view_t *v =
				    realloc(r->servers, (r->n_servers + 1) * sizeof(*v));
				if (!v) {
					c->oom = 1;
					goto next;
				}
				r->servers = v;
				v = &r->servers[r->n_servers++];
				memset(v, 0, sizeof(*v));
				v->zone = dd_strdup(z->name);
				v->ns = dd_strdup(z->servers[i].name);
				v->address = dd_strdup(a);
				v->serial = -1;
				bool asked = false;
				for (size_t k = 0; k < ev->n_xs; k++) {
					const ev_exchange_t *x = &ev->xs[k];
					if (strcmp(x->server, a) != 0 ||
					    strcmp(x->zone, z->name) != 0)
						continue;
					asked = true;
					if (x->purpose == EV_P_SOA && c->pkts[k]) {
						ldns_rr_list *soa = an_section_rrs(
						    c->pkts[k], apex, LDNS_RR_TYPE_SOA,
						    LDNS_SECTION_ANSWER);
						if (soa && ldns_rr_list_rr_count(soa) &&
						    ldns_rr_rd_count(ldns_rr_list_rr(soa, 0)) >= 3)
							v->serial =
							    ldns_rdf2native_int32(ldns_rr_rdf(
								ldns_rr_list_rr(soa, 0), 2));
						ldns_rr_list_free(soa);
					} else if (x->purpose == EV_P_DNSKEY && !v->dnskey) {
						v->dnskey = exchange_summary(c, k, apex,
									     LDNS_RR_TYPE_DNSKEY);
					} else if (x->purpose == EV_P_ANSWER && !v->answer &&
						   strcmp(x->qname, ev->targets[t].name) == 0) {
						v->answer = exchange_summary(
						    c, k, owner, (ldns_rr_type)ev->qtype);
					}
				}
				/* What our findings say about this address. */
				char ids[300] = "";
				const char *status = asked ? "ok" : "not tested";
				for (size_t f = 0; f < r->n_findings; f++) {
					const an_finding_t *fd = &r->findings[f];
					an_severity_t sev = an_finding_def(fd->id)->severity;
					/* one address may serve several zones: only this zone's
					 * findings */
					bool here = false;
					for (size_t m = 0; m < fd->n_servers && !here &&
							   strcmp(fd->zone, z->name) == 0;
					     m++)
						here = strcmp(fd->servers[m], a) == 0;
					if (!here || sev == AN_NOTICE)
						continue;
					size_t l = strlen(ids);
					if (!strstr(ids, an_finding_def(fd->id)->id))
						snprintf(ids + l, sizeof(ids) - l, "%s%s",
							 l ? ", " : "", an_finding_def(fd->id)->id);
					if (fd->id == AN_F_SERVER_UNREACHABLE)
						status = "no answer";
					else if (fd->id == AN_F_SERVER_LAME &&
						 strcmp(status, "no answer") != 0)
						status = "lame";
					else if (fd->id == AN_F_SERVER_MALFORMED &&
						 !strcmp(status, "ok"))
						status = "malformed";
					else if (sev == AN_ERROR)
						status = "fails validation";
				}
				v->status = dd_strdup(status);
				v->findings = dd_strdup(ids);
				if (v->serial >= 0) {
					if (first_serial < 0)
						first_serial = v->serial;
					differ |= v->serial != first_serial;
					size_t l = strlen(serials);
					snprintf(serials + l, sizeof(serials) - l, "%s%s %lld",
						 l ? ", " : "", a, (long long)v->serial);
				}
			}
		if (differ) {
			char buf[260];
			snprintf(buf, sizeof(buf), ": their SOA serials differ (%s)", serials);
			an_add_finding(c, AN_F_SERVERS_DIFFER, z->name, NULL, buf, NULL, NULL, 0);
		}
	next:
		ldns_rdf_deep_free(apex);
		ldns_rdf_deep_free(owner);
	}
}
