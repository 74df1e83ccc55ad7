/* denial of existence: NSEC/NSEC3 proofs, wildcards, opt-out, NSEC3 parameters */
#include "analyse/an_int.h"

static bool nsec3_params(const ldns_rr *rr, nsec3_params_t *p)
{
	if (ldns_rr_rd_count(rr) < 4 || ldns_rdf_size(ldns_rr_rdf(rr, 0)) != 1 ||
	    ldns_rdf_size(ldns_rr_rdf(rr, 2)) != 2 || ldns_rdf_size(ldns_rr_rdf(rr, 3)) < 1)
		return false;
	p->hash = ldns_rdf_data(ldns_rr_rdf(rr, 0))[0];
	p->iterations = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
	p->salt_len = ldns_rdf_data(ldns_rr_rdf(rr, 3))[0];
	return true;
}

/* Is this length-prefixed field (salt, next hashed owner) exactly its prefix plus its bytes? */
static bool prefixed_ok(const ldns_rdf *f)
{
	return f && ldns_rdf_size(f) >= 1 && ldns_rdf_size(f) == 1u + ldns_rdf_data(f)[0];
}

/*
 * The shape an NSEC or NSEC3 record must have before any ldns NSEC/NSEC3
 * helper sees it, as Unbound checks first: fields of the right sizes, a next
 * hashed owner as long as the hash (ldns asserts on an empty one), a
 * well-formed type bitmap. The pre-pass refuses messages without it; this
 * guards every record whatever its source. A record failing it is no proof.
 */
static bool proof_shape_ok(const ldns_rr *rr)
{
	size_t n = ldns_rr_rd_count(rr);
	const ldns_rdf *bitmap = NULL;
	if (!ldns_rr_owner(rr) || ldns_rdf_get_type(ldns_rr_owner(rr)) != LDNS_RDF_TYPE_DNAME)
		return false;
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC) {
		if (n < 1 || n > 2 || ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) != LDNS_RDF_TYPE_DNAME)
			return false;
		bitmap = n == 2 ? ldns_rr_rdf(rr, 1) : NULL;
	} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3) {
		/* The owner is a hash label inside the zone: never the root (ldns
		 * chops a label off it and asserts on what the root leaves), and
		 * for SHA-1 the label is the hash in base32hex, 32 octets. */
		const ldns_rdf *o = ldns_rr_owner(rr);
		if (ldns_rdf_size(o) < 2 ||
		    (n >= 1 && ldns_rdf_size(ldns_rr_rdf(rr, 0)) == 1 &&
		     ldns_rdf_data(ldns_rr_rdf(rr, 0))[0] == 1 && ldns_rdf_data(o)[0] != 32))
			return false;
		if (n < 5 || n > 6 || ldns_rdf_size(ldns_rr_rdf(rr, 0)) != 1 ||
		    ldns_rdf_size(ldns_rr_rdf(rr, 1)) != 1 ||
		    ldns_rdf_size(ldns_rr_rdf(rr, 2)) != 2 || !prefixed_ok(ldns_rr_rdf(rr, 3)) ||
		    !prefixed_ok(ldns_rr_rdf(rr, 4)) ||
		    !dd_nsec3_hash_len_ok(ldns_rdf_data(ldns_rr_rdf(rr, 0))[0],
					  ldns_rdf_data(ldns_rr_rdf(rr, 4))[0]))
			return false;
		bitmap = n == 6 ? ldns_rr_rdf(rr, 5) : NULL;
	} else {
		return false;
	}
	return !bitmap || (ldns_rdf_get_type(bitmap) == LDNS_RDF_TYPE_BITMAP &&
			   dd_type_bitmap_ok(ldns_rdf_data(bitmap), ldns_rdf_size(bitmap)));
}

/* RFC 9276 §3.1: iterations above 0 or a salt are a warning on the zone. */
static void nsec3_advice(ctx_t *c, const char *zone, const nsec3_params_t *p, const char *server)
{
	if (!p->iterations && !p->salt_len)
		return;
	char buf[200];
	snprintf(buf, sizeof(buf), " %u extra iteration%s and a %u-octet salt%s", p->iterations,
		 p->iterations == 1 ? "" : "s", p->salt_len,
		 p->iterations > c->pol.nsec3_iter_limit
		     ? " (above the limit resolvers enforce: its negative answers are insecure)"
		     : "");
	an_add_finding(c, AN_F_NSEC3_PARAMETERS, zone, NULL, buf, NULL, server, 0);
}

/* Does NSEC3 record `rr` (of zone `zone`) cover the hash of `name`? */
static bool nsec3_covers(const ctx_t *c, const ldns_rr *rr, const ldns_rdf *name,
			 const ldns_rdf *zone)
{
	/* The hash label (33 octets) and the zone must make a name. */
	if (!proof_shape_ok(rr) || ldns_rdf_size(zone) + 33 > 255 || !an_work_nsec3(c, 1))
		return false;
	ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(rr, name);
	bool covers = false;
	if (h && ldns_dname_cat(h, zone) == LDNS_STATUS_OK) {
		ldns_dname2canonical(h);
		covers = ldns_nsec_covers_name(rr, h);
	}
	ldns_rdf_deep_free(h);
	return covers;
}

/* NXDOMAIN proven with NSEC3: does the NSEC3 covering the next closer name have opt-out set? */
static bool nxdomain_optout(const ctx_t *c, const ldns_rr_list *nsec3, const char *qname,
			    uint16_t qtype)
{
	ldns_rdf *qn = ldns_dname_new_frm_str(qname);
	if (!qn || !an_work_nsec3(c, ldns_dname_label_count(qn) + 1u)) {
		ldns_rdf_deep_free(qn);
		return false;
	}
	ldns_dname2canonical(qn);
	bool optout = false;
	ldns_rdf *ce =
	    ldns_dnssec_nsec3_closest_encloser(qn, (ldns_rr_type)qtype, (ldns_rr_list *)nsec3);
	if (ce && ldns_dname_label_count(qn) > ldns_dname_label_count(ce)) {
		ldns_rdf *nc = ldns_dname_clone_from(
		    qn, (uint16_t)(ldns_dname_label_count(qn) - ldns_dname_label_count(ce) - 1));
		ldns_rdf *zone =
		    ldns_rr_list_rr_count(nsec3)
			? ldns_dname_left_chop(ldns_rr_owner(ldns_rr_list_rr(nsec3, 0)))
			: NULL;
		for (size_t i = 0; nc && zone && i < ldns_rr_list_rr_count(nsec3) && !optout; i++) {
			ldns_rr *rr = ldns_rr_list_rr(nsec3, i);
			optout = nsec3_covers(c, rr, nc, zone) && ldns_nsec3_optout(rr);
		}
		ldns_rdf_deep_free(nc);
		ldns_rdf_deep_free(zone);
	}
	ldns_rdf_deep_free(ce);
	ldns_rdf_deep_free(qn);
	return optout;
}

/* The SOA that comes with a negative answer is signed data like the proof: validators
 * check its signature too (RFC 4035 §5.4, §3.1.3), and fail the answer if it does not hold. */
static void check_negative_soa(ctx_t *c, const char *zone, const ldns_rr_list *keys, ldns_pkt *pkt,
			       const char *server)
{
	ldns_rdf *apex = ldns_dname_new_frm_str(zone);
	ldns_rr_list *soa =
	    apex ? an_section_rrs(pkt, apex, LDNS_RR_TYPE_SOA, LDNS_SECTION_AUTHORITY) : NULL;
	if (soa && ldns_rr_list_rr_count(soa)) {
		ldns_rr_list *sigs =
		    an_sigs_over(pkt, apex, LDNS_RR_TYPE_SOA, LDNS_SECTION_AUTHORITY);
		char *rrset = dd_asprintf("%s SOA", zone);
		sigcheck_t sc;
		an_check_sigs(c, zone, soa, sigs, keys, &sc);
		if (sc.valid)
			an_note_expiry(c, zone, rrset, server, &sc);
		else
			an_emit_sig_findings(c, zone, rrset, server, &sc, false, NULL);
		free(rrset);
		ldns_rr_list_free(sigs);
	}
	ldns_rr_list_free(soa);
	ldns_rdf_deep_free(apex);
}

/* Does `pkt` prove that qname/qtype does not exist (signatures and logic)? */
int an_check_denial(ctx_t *c, const char *zone, const ldns_rr_list *keys, ldns_pkt *pkt,
		    const char *qname, uint16_t qtype, const char *server, const char *rrset)
{
	check_negative_soa(c, zone, keys, pkt, server);
	ldns_rr_list *nsec = an_section_rrs(pkt, NULL, LDNS_RR_TYPE_NSEC, LDNS_SECTION_AUTHORITY);
	ldns_rr_list *nsec3 = an_section_rrs(pkt, NULL, LDNS_RR_TYPE_NSEC3, LDNS_SECTION_AUTHORITY);
	int ok = DENIAL_BOGUS;
	/* A malformed NSEC proves nothing (and must not reach ldns). */
	for (size_t i = 0; nsec && i < ldns_rr_list_rr_count(nsec);) {
		if (proof_shape_ok(ldns_rr_list_rr(nsec, i))) {
			i++;
			continue;
		}
		ldns_rr *last = ldns_rr_list_pop_rr(nsec);
		if (i < ldns_rr_list_rr_count(nsec))
			ldns_rr_list_set_rr(nsec, last, i);
	}
	/* RFC 5155 §8.1: NSEC3 records with an unknown hash algorithm are ignored. */
	size_t seen3 = nsec3 ? ldns_rr_list_rr_count(nsec3) : 0, misshapen = 0;
	nsec3_params_t worst = {0, 0, 0};
	for (size_t i = 0; nsec3 && i < ldns_rr_list_rr_count(nsec3);) {
		nsec3_params_t p;
		bool shaped = proof_shape_ok(ldns_rr_list_rr(nsec3, i));
		misshapen += !shaped;
		if (!nsec3_params(ldns_rr_list_rr(nsec3, i), &p) || p.hash != 1 || !shaped) {
			/* Out of the (borrowed) list; the record stays the packet's. */
			ldns_rr *last = ldns_rr_list_pop_rr(nsec3);
			if (i < ldns_rr_list_rr_count(nsec3))
				ldns_rr_list_set_rr(nsec3, last, i);
			continue;
		}
		if (p.iterations > worst.iterations)
			worst.iterations = p.iterations;
		if (p.salt_len > worst.salt_len)
			worst.salt_len = p.salt_len;
		i++;
	}
	ldns_rr_list *proof = (nsec3 && ldns_rr_list_rr_count(nsec3)) ? nsec3 : nsec;
	if (!proof || !ldns_rr_list_rr_count(proof)) {
		an_add_finding(c, AN_F_DENIAL_MISSING, zone, rrset,
			       misshapen
				   ? " (its NSEC3 records are malformed, which makes them no proof)"
			       : seen3 ? " (its NSEC3 records use an unknown hash algorithm, which "
					 "validators ignore)"
				       : "",
			       NULL, server, 0);
		goto out;
	}
	ldns_rr_type ptype = proof == nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC;
	ldns_rr_list *allsigs = an_sigs_over(pkt, NULL, ptype, LDNS_SECTION_AUTHORITY);
	bool sigs_ok = true;
	/* Each NSEC/NSEC3 record is its own RRset (one per owner name). */
	for (size_t i = 0; i < ldns_rr_list_rr_count(proof); i++) {
		ldns_rr *rr = ldns_rr_list_rr(proof, i);
		ldns_rr_list *one = ldns_rr_list_new();
		ldns_rr_list *sigs =
		    an_sigs_over(pkt, ldns_rr_owner(rr), ptype, LDNS_SECTION_AUTHORITY);
		sigcheck_t sc;
		if (one) {
			ldns_rr_list_push_rr(one, rr);
			an_check_sigs(c, zone, one, sigs, keys, &sc);
			if (!sc.valid) {
				char *owner = dd_name_text(ldns_rr_owner(rr));
				char *t = an_type_text(ptype);
				char *rs = dd_asprintf("%s %s", owner ? owner : "?", t ? t : "?");
				an_emit_sig_findings(c, zone, rs, server, &sc, false, NULL);
				free(rs);
				free(t);
				free(owner);
				sigs_ok = false;
			} else {
				an_note_expiry(c, zone, NULL, server, &sc);
			}
			ldns_rr_list_free(one);
		}
		ldns_rr_list_free(sigs);
	}
	/* The iteration limit after the signatures (which hash no names): a forged NSEC3 with
	 * 65535 iterations from one server must not turn a denial proven elsewhere insecure. */
	if (sigs_ok && proof == nsec3) {
		nsec3_advice(c, zone, &worst, server);
		if (worst.iterations > c->pol.nsec3_iter_limit) {
			char buf[120];
			snprintf(buf, sizeof(buf), " (%u iterations; the limit is %u)",
				 worst.iterations, c->pol.nsec3_iter_limit);
			an_add_finding(c, AN_F_NSEC3_ITERATIONS_INSECURE, zone, rrset, buf, NULL,
				       server, 0);
			ok = DENIAL_INSECURE;
			sigs_ok = false; /* no hashing at all */
		}
	}
	if (sigs_ok) {
		ldns_rr *q = ldns_rr_new();
		ldns_rdf *qn = ldns_dname_new_frm_str(qname);
		ldns_status st = LDNS_STATUS_MEM_ERR;
		if (q && qn) {
			ldns_rr_set_owner(q, qn);
			qn = NULL;
			ldns_rr_set_type(q, (ldns_rr_type)qtype);
			ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
			/* ldns hashes each of the name's ancestors (the closest
			 * encloser), the name, and the wildcard once per record. */
			if (ptype == LDNS_RR_TYPE_NSEC3 &&
			    !an_work_nsec3(c, ldns_dname_label_count(ldns_rr_owner(q)) +
						  ldns_rr_list_rr_count(proof) + 2u))
				st = LDNS_STATUS_ERR; /* not computed: the check is capped */
			else if (ptype == LDNS_RR_TYPE_NSEC3)
				st = ldns_dnssec_verify_denial_nsec3(
				    q, proof, allsigs, ldns_pkt_get_rcode(pkt), (ldns_rr_type)qtype,
				    ldns_pkt_ancount(pkt) == 0);
			else
				st = ldns_dnssec_verify_denial(q, proof, allsigs);
		}
		ldns_rdf_deep_free(qn);
		ldns_rr_free(q);
		if (st == LDNS_STATUS_OK) {
			ok = DENIAL_PROVEN;
			if (ptype == LDNS_RR_TYPE_NSEC3 &&
			    ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN &&
			    nxdomain_optout(c, proof, qname, qtype)) {
				an_add_finding(c, AN_F_NSEC3_OPT_OUT, zone, rrset, "", NULL, server,
					       0);
				ok = DENIAL_OPTOUT;
			}
		} else if (!c->work->capped) {
			char buf[200];
			snprintf(buf, sizeof(buf), " (%s)", ldns_get_errorstr_by_id(st));
			an_add_finding(c, AN_F_DENIAL_INVALID, zone, rrset, buf, NULL, server, 0);
		}
	}
	ldns_rr_list_free(allsigs);
out:
	ldns_rr_list_free(nsec);
	ldns_rr_list_free(nsec3);
	return ok;
}

/*
 * A wildcard answer (RRSIG labels below the owner's label count, RFC 4035
 * §5.3.4) is valid only with proof that the name asked does not exist, so
 * that no closer match could have answered (RFC 4035 §3.1.3.3, RFC 5155
 * §7.2.6): an NSEC covering the name, or an NSEC3 covering the hash of the
 * "next closer" name. The proving records must carry valid signatures.
 */
int an_check_wildcard(ctx_t *c, const char *zone, const ldns_rr_list *keys, ldns_pkt *pkt,
		      const ldns_rdf *owner, const ldns_rr_list *sigs, const char *server,
		      const char *rrset)
{
	size_t owner_labels = ldns_dname_label_count(owner), labels = owner_labels;
	for (size_t i = 0; sigs && i < ldns_rr_list_rr_count(sigs); i++) {
		ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		if (ldns_rr_rd_count(sig) >= 9) {
			size_t l = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig));
			if (l < labels)
				labels = l;
		}
	}
	if (labels >= owner_labels)
		return DENIAL_PROVEN; /* not a wildcard expansion */
	/* The next closer name: the owner's rightmost labels+1 labels. */
	ldns_rdf *next_closer = ldns_dname_clone_from(owner, (uint16_t)(owner_labels - labels - 1));
	ldns_rdf *apex = ldns_dname_new_frm_str(zone);
	bool proven = false;
	unsigned over_limit = 0; /* iterations of a covering NSEC3 above the limit, 0 if none */
	for (int pass = 0; pass < 2 && next_closer && apex && !proven; pass++) {
		ldns_rr_type type = pass ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC;
		ldns_rr_list *recs = an_section_rrs(pkt, NULL, type, LDNS_SECTION_AUTHORITY);
		for (size_t i = 0; recs && i < ldns_rr_list_rr_count(recs) && !proven; i++) {
			ldns_rr *rr = ldns_rr_list_rr(recs, i);
			bool covers = false;
			if (!proof_shape_ok(rr))
				continue;
			unsigned over = 0;
			if (type == LDNS_RR_TYPE_NSEC) {
				covers = ldns_nsec_covers_name(rr, owner);
			} else {
				nsec3_params_t np;
				if (!nsec3_params(rr, &np) || np.hash != 1)
					continue;
				/* Validators do not hash this many times (RFC 9276 §3.2): insecure,
				 * but only when the record is signed (checked below): a forged one
				 * is not. */
				over = np.iterations > c->pol.nsec3_iter_limit ? np.iterations : 0;
				covers = !over && nsec3_covers(c, rr, next_closer, apex);
			}
			if (!covers && !over)
				continue;
			ldns_rr_list *one = ldns_rr_list_new();
			ldns_rr_list *rsigs =
			    an_sigs_over(pkt, ldns_rr_owner(rr), type, LDNS_SECTION_AUTHORITY);
			sigcheck_t sc;
			if (one) {
				ldns_rr_list_push_rr(one, rr);
				an_check_sigs(c, zone, one, rsigs, keys, &sc);
				if (!over)
					proven = sc.valid;
				else if (sc.valid && over > over_limit)
					over_limit = over;
				ldns_rr_list_free(one);
			}
			ldns_rr_list_free(rsigs);
		}
		ldns_rr_list_free(recs);
	}
	int result = DENIAL_PROVEN;
	if (!proven && over_limit) {
		char buf[120];
		snprintf(buf, sizeof(buf), " (%u iterations; the limit is %u)", over_limit,
			 c->pol.nsec3_iter_limit);
		an_add_finding(c, AN_F_NSEC3_ITERATIONS_INSECURE, zone, rrset, buf, NULL, server,
			       0);
		result = DENIAL_INSECURE;
	} else if (!proven) {
		if (!c->work->capped)
			an_add_finding(c, AN_F_WILDCARD_PROOF_MISSING, zone, rrset, "", NULL,
				       server, 0);
		result = DENIAL_BOGUS;
	}
	ldns_rdf_deep_free(next_closer);
	ldns_rdf_deep_free(apex);
	return result;
}

/* NSEC3PARAM at the apex of a zone that holds an answer: RFC 9276 advice even for positive answers.
 */
void an_check_nsec3param(ctx_t *c, size_t zi)
{
	zst_t *s = &c->zs[zi];
	if (s->insecure)
		return;
	ldns_rdf *apex = ldns_dname_new_frm_str(s->z->name);
	for (size_t i = 0; apex && i < c->ev->n_xs; i++) {
		const ev_exchange_t *x = &c->ev->xs[i];
		ldns_pkt *pkt = c->pkts[i];
		if (x->purpose != EV_P_NSEC3PARAM || strcmp(x->zone, s->z->name) != 0 || !pkt ||
		    ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR || !ldns_pkt_aa(pkt))
			continue;
		ldns_rr_list *p =
		    an_section_rrs(pkt, apex, LDNS_RR_TYPE_NSEC3PARAM, LDNS_SECTION_ANSWER);
		for (size_t k = 0; p && k < ldns_rr_list_rr_count(p); k++) {
			nsec3_params_t np;
			if (nsec3_params(ldns_rr_list_rr(p, k), &np) && np.hash == 1)
				nsec3_advice(c, s->z->name, &np, x->server);
		}
		ldns_rr_list_free(p);
	}
	ldns_rdf_deep_free(apex);
}
