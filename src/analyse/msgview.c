/* parsed messages: each exchange's answer parsed once, RRsets and their signatures by section */
#include "analyse/an_int.h"

/*
 * The records of one section with this owner (any owner when NULL) and type,
 * at most AN_MAX_RRS of them. The list is borrowed: its records belong to the
 * packet, so it is freed with ldns_rr_list_free(), never deep-freed, and the
 * records are never changed. NULL when there are none. (ldns_pkt_rr_list_by_name_and_type() would
 * copy the whole section and then every match.)
 */
ldns_rr_list *an_section_rrs(ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type,
			     ldns_pkt_section sec)
{
	const ldns_rr_list *all = sec == LDNS_SECTION_ANSWER	   ? ldns_pkt_answer(pkt)
				  : sec == LDNS_SECTION_AUTHORITY  ? ldns_pkt_authority(pkt)
				  : sec == LDNS_SECTION_ADDITIONAL ? ldns_pkt_additional(pkt)
								   : ldns_pkt_question(pkt);
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0;
	     l && all && i < ldns_rr_list_rr_count(all) && ldns_rr_list_rr_count(l) < AN_MAX_RRS;
	     i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		if (ldns_rr_get_type(rr) == type &&
		    (!owner || ldns_dname_compare(ldns_rr_owner(rr), owner) == 0))
			ldns_rr_list_push_rr(l, rr);
	}
	if (l && !ldns_rr_list_rr_count(l)) {
		ldns_rr_list_free(l); /* none: NULL, as ldns's own selectors answer */
		l = NULL;
	}
	return l;
}

/* The RRSIGs over (owner, type) in a section; borrowed, like an_section_rrs(). */
ldns_rr_list *an_sigs_over(ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type,
			   ldns_pkt_section sec)
{
	ldns_rr_list *all = an_section_rrs(pkt, owner, LDNS_RR_TYPE_RRSIG, sec);
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; all && out && i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *s = ldns_rr_list_rr(all, i);
		if (ldns_rr_rd_count(s) >= 9 &&
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(s)) == type)
			ldns_rr_list_push_rr(out, s);
	}
	ldns_rr_list_free(all);
	return out;
}

/*
 * The same record, as ldns_rr_compare() would say, for the types gathered
 * here (DS, DNSKEY, CDS, CDNSKEY: no names in their RDATA): owner (case
 * ignored), type, class and RDATA octets equal. Without the two wire
 * conversions ldns_rr_compare() makes for every pair.
 */
bool an_rr_same(const ldns_rr *a, const ldns_rr *b)
{
	if (ldns_rr_get_type(a) != ldns_rr_get_type(b) ||
	    ldns_rr_get_class(a) != ldns_rr_get_class(b) ||
	    ldns_rr_rd_count(a) != ldns_rr_rd_count(b))
		return false;
	switch (ldns_rr_get_type(a)) {
	case LDNS_RR_TYPE_DS:
	case LDNS_RR_TYPE_DNSKEY:
	case LDNS_RR_TYPE_CDS:
	case LDNS_RR_TYPE_CDNSKEY:
		break;
	default:
		return ldns_rr_compare(a, b) == 0;
	}
	if (ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) != 0)
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(a); i++) {
		const ldns_rdf *x = ldns_rr_rdf(a, i), *y = ldns_rr_rdf(b, i);
		if (ldns_rdf_size(x) != ldns_rdf_size(y) ||
		    memcmp(ldns_rdf_data(x), ldns_rdf_data(y), ldns_rdf_size(x)) != 0)
			return false;
	}
	return true;
}

void an_list_union(ldns_rr_list **dst, const ldns_rr_list *src)
{
	if (!*dst)
		*dst = ldns_rr_list_new();
	for (size_t i = 0; *dst && src && i < ldns_rr_list_rr_count(src); i++) {
		ldns_rr *rr = ldns_rr_list_rr(src, i);
		bool have = false;
		for (size_t j = 0; j < ldns_rr_list_rr_count(*dst) && !have; j++)
			have = an_rr_same(ldns_rr_list_rr(*dst, j), rr);
		if (!have && ldns_rr_list_rr_count(*dst) < 4 * AN_MAX_RRS)
			ldns_rr_list_push_rr(*dst, ldns_rr_clone(rr));
	}
}

void an_parse_all(ctx_t *c)
{
	for (size_t i = 0; i < c->ev->n_xs; i++) {
		const ev_exchange_t *x = &c->ev->xs[i];
		if (x->err || !x->wire)
			continue;
		if (x->parsed && x->wire_checked) {
			/* Parsed by the probe already; the evidence frees it. */
			c->pkts[i] = x->parsed;
			c->pkt_borrowed[i] = true;
			continue;
		}
		/* Every message meets the pre-pass before ldns sees it, the
		 * probe's cached ones included: evidence files are untrusted too. */
		dd_wire_summary_t sum;
		const char *why = NULL;
		bool checked =
		    x->wire_checked || dd_wire_check(x->wire, x->wire_len, &sum, &why) == 0;
		if (checked && x->cached) {
			/* The same bytes as in earlier checks: parsed once per thread. */
			bool owned = true;
			ldns_pkt *pkt = dd_pkt_shared(x->wire, x->wire_len, &owned);
			if (pkt) {
				c->pkts[i] = pkt;
				c->pkt_borrowed[i] = !owned;
				continue;
			}
		}
		ldns_pkt *pkt = NULL;
		if (!checked || ldns_wire2pkt(&pkt, x->wire, x->wire_len) != LDNS_STATUS_OK) {
			char buf[160];
			snprintf(buf, sizeof(buf), " (%s for %s)", why ? why : "unparseable",
				 x->qname);
			long zi = an_zone_index(c, x->zone);
			/* NS/DS exchanges are tagged with the child; the server is the parent's. */
			const char *zone = x->zone;
			if ((x->purpose == EV_P_NS || x->purpose == EV_P_DS) && zi >= 0 &&
			    c->zs[zi].z->parent)
				zone = c->zs[zi].z->parent;
			an_add_finding(c, AN_F_SERVER_MALFORMED, zone, NULL, buf, NULL, x->server,
				       0);
			continue;
		}
		c->pkts[i] = pkt;
	}
}

/*
 * The DNAME (RRset) in the answer that synthesised `cname` for `owner`: an
 * ancestor's DNAME whose substitution gives exactly the CNAME's target
 * (RFC 6672 §2.2). NULL when there is none (then the CNAME must be signed).
 */
ldns_rr_list *an_dname_over(ldns_pkt *pkt, const ldns_rdf *owner, const ldns_rr_list *cname)
{
	if (!cname || ldns_rr_list_rr_count(cname) != 1 ||
	    ldns_rr_rd_count(ldns_rr_list_rr(cname, 0)) < 1)
		return NULL;
	const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(cname, 0), 0);
	ldns_rr_list *all = an_section_rrs(pkt, NULL, LDNS_RR_TYPE_DNAME, LDNS_SECTION_ANSWER);
	ldns_rr_list *out = NULL;
	for (size_t i = 0; all && i < ldns_rr_list_rr_count(all) && !out; i++) {
		ldns_rr *d = ldns_rr_list_rr(all, i);
		if (ldns_rr_rd_count(d) < 1 || !ldns_dname_is_subdomain(owner, ldns_rr_owner(d)))
			continue;
		/* owner = prefix . downer  ->  prefix . dtarget (wire names: the prefix is a byte
		 * prefix) */
		size_t plen = ldns_rdf_size(owner) - ldns_rdf_size(ldns_rr_owner(d));
		const ldns_rdf *dtarget = ldns_rr_rdf(d, 0);
		ldns_rdf *want = NULL;
		uint8_t buf[512];
		if (plen + ldns_rdf_size(dtarget) <= 255) {
			memcpy(buf, ldns_rdf_data(owner), plen);
			memcpy(buf + plen, ldns_rdf_data(dtarget), ldns_rdf_size(dtarget));
			want = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
						     plen + ldns_rdf_size(dtarget), buf);
		}
		if (want && ldns_dname_compare(want, target) == 0) {
			out = ldns_rr_list_new();
			for (size_t k = 0; out && k < ldns_rr_list_rr_count(all); k++)
				if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(all, k)),
						       ldns_rr_owner(d)) == 0)
					ldns_rr_list_push_rr(
					    out, ldns_rr_clone(ldns_rr_list_rr(all, k)));
		}
		ldns_rdf_deep_free(want);
	}
	ldns_rr_list_free(all);
	return out;
}
