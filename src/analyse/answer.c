/* the answer: the name's RRset or denial at every server of its zone, CNAME and DNAME */
#include "analyse/an_int.h"

static void answer_push(ctx_t *c, const ldns_rr *rr)
{
	char **n = realloc(c->r->answer, (c->r->n_answer + 1) * sizeof(char *));
	if (!n) {
		c->oom = 1;
		return;
	}
	c->r->answer = n;
	n[c->r->n_answer++] = an_rr_text(rr);
}

void an_analyse_answer(actx_t *a, const ev_target_t *t, bool final)
{
	ctx_t *c = a->c;
	long zi = an_zone_index(c, t->zone);
	if (zi < 0)
		return;
	zst_t *s = &c->zs[zi];
	ldns_rdf *owner = ldns_dname_new_frm_str(t->name);
	if (!owner)
		return;
	char *tname = an_type_text(c->ev->qtype);
	unsigned nx = 0, noerr = 0, asked = 0;
	for (size_t i = 0; i < c->ev->n_xs; i++) {
		const ev_exchange_t *x = &c->ev->xs[i];
		ldns_pkt *pkt = c->pkts[i];
		if (x->purpose != EV_P_ANSWER || strcmp(x->qname, t->name) != 0 ||
		    strcmp(x->zone, t->zone) != 0)
			continue;
		asked +=
		    x->err != DD_EREFUSEDADDR && x->err != DD_EIO; /* sent, whatever came back */
		if (!pkt)
			continue;
		ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
		if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
			char *rcs = ldns_pkt_rcode2str(rc);
			char buf[200];
			snprintf(buf, sizeof(buf), ": it answered %s for %s %s", rcs ? rcs : "?",
				 t->name, tname ? tname : "?");
			an_add_finding(c, an_rcode_finding(rc, x), t->zone, NULL, buf, NULL,
				       x->server, 0);
			free(rcs);
			continue;
		}
		rc == LDNS_RCODE_NXDOMAIN ? nx++ : noerr++;
		ldns_rr_list *rrs =
		    an_section_rrs(pkt, owner, (ldns_rr_type)c->ev->qtype, LDNS_SECTION_ANSWER);
		ldns_rr_type got = (ldns_rr_type)c->ev->qtype;
		if ((!rrs || !ldns_rr_list_rr_count(rrs)) && c->ev->qtype != LDNS_RR_TYPE_CNAME) {
			ldns_rr_list_free(rrs);
			rrs = an_section_rrs(pkt, owner, LDNS_RR_TYPE_CNAME, LDNS_SECTION_ANSWER);
			got = LDNS_RR_TYPE_CNAME;
		}
		/* The answer as a resolver returns it: the aliases first (a DNAME, then the CNAME
		 * it yields), then the final records; from the first server that gave them. */
		size_t ti = (size_t)(t - c->ev->targets);
		if (rrs && ldns_rr_list_rr_count(rrs) && !c->t_shown[ti] &&
		    (final || got == LDNS_RR_TYPE_CNAME)) {
			c->t_shown[ti] = true;
			ldns_rr_list *dn =
			    got == LDNS_RR_TYPE_CNAME ? an_dname_over(pkt, owner, rrs) : NULL;
			for (size_t k = 0; dn && k < ldns_rr_list_rr_count(dn); k++)
				answer_push(c, ldns_rr_list_rr(dn, k));
			ldns_rr_list_deep_free(dn);
			for (size_t k = 0; k < ldns_rr_list_rr_count(rrs); k++)
				answer_push(c, ldns_rr_list_rr(rrs, k));
		}
		/* An unsigned zone below a DS is already judged at the DS link. */
		bool unsigned_zone = !s->keys || !ldns_rr_list_rr_count(s->keys);
		if (!s->insecure && !unsigned_zone) {
			char *gt = an_type_text(got);
			char *rrset = dd_asprintf("%s %s", t->name, gt ? gt : "?");
			ldns_rr_list *dname =
			    got == LDNS_RR_TYPE_CNAME ? an_dname_over(pkt, owner, rrs) : NULL;
			if (dname) {
				/* A CNAME synthesised from a DNAME is unsigned (RFC 6672 §5.3.1):
				 * the DNAME's signature counts. */
				ldns_rdf *downer = ldns_rr_owner(ldns_rr_list_rr(dname, 0));
				ldns_rr_list *sigs = an_sigs_over(pkt, downer, LDNS_RR_TYPE_DNAME,
								  LDNS_SECTION_ANSWER);
				char *dn = dd_name_text(downer);
				char *drrset = dd_asprintf("%s DNAME", dn ? dn : "?");
				sigcheck_t sc;
				an_check_sigs(c, t->zone, dname, sigs, s->keys, &sc);
				if (sc.valid) {
					an_note_expiry(c, t->zone, drrset, x->server, &sc);
				} else {
					an_emit_sig_findings(c, t->zone, drrset, x->server, &sc,
							     false, NULL);
					if (sc.crypto_unavail)
						s->indeterminate = true;
				}
				free(drrset);
				free(dn);
				ldns_rr_list_free(sigs);
				ldns_rr_list_deep_free(dname);
			} else if (rrs && ldns_rr_list_rr_count(rrs)) {
				ldns_rr_list *sigs =
				    an_sigs_over(pkt, owner, got, LDNS_SECTION_ANSWER);
				sigcheck_t sc;
				an_check_sigs(c, t->zone, rrs, sigs, s->keys, &sc);
				if (sc.valid) {
					an_note_expiry(c, t->zone, rrset, x->server, &sc);
					if (an_check_wildcard(c, t->zone, s->keys, pkt, owner, sigs,
							      x->server, rrset) == DENIAL_INSECURE)
						c->t_insecure_ede[t - c->ev->targets] = 27;
				} else {
					an_emit_sig_findings(c, t->zone, rrset, x->server, &sc,
							     false, NULL);
					if (sc.crypto_unavail)
						s->indeterminate = true;
				}
				ldns_rr_list_free(sigs);
			} else {
				free(rrset);
				rrset = dd_asprintf("%s %s", t->name, tname ? tname : "?");
				int d = an_check_denial(c, t->zone, s->keys, pkt, t->name,
							c->ev->qtype, x->server, rrset);
				if (d == DENIAL_INSECURE)
					c->t_insecure_ede[t - c->ev->targets] = 27;
				else if (d == DENIAL_OPTOUT &&
					 !c->t_insecure_ede[t - c->ev->targets])
					c->t_insecure_ede[t - c->ev->targets] =
					    -1; /* insecure, no EDE */
			}
			free(rrset);
			free(gt);
		}
		ldns_rr_list_free(rrs);
	}
	/* Asked, and no answer came that could be judged. (Where the walk took the
	 * answer from another exchange, e.g. a DS from the parent, nothing is asked here.) */
	c->t_answered[t - c->ev->targets] = nx || noerr || !asked;
	if (final && asked && !nx && !noerr && !s->insecure && !s->unreachable && !s->has_errors &&
	    !s->not_asked && !s->indeterminate) {
		char buf[300];
		snprintf(buf, sizeof(buf),
			 " (no server of %s gave a usable answer to %s %s: nothing about it was "
			 "validated)",
			 t->zone, t->name, tname ? tname : "?");
		an_add_finding(c, AN_F_CHECK_INCOMPLETE, t->zone, NULL, buf, NULL, NULL, 0);
	}
	if (final) {
		free(c->r->answer_rcode);
		c->r->answer_rcode =
		    (nx || noerr) ? strdup(nx > noerr ? "NXDOMAIN" : "NOERROR") : NULL;
	}
	free(tname);
	ldns_rdf_deep_free(owner);
}
