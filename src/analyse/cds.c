/* CDS and CDNSKEY (RFC 7344, 8078): consistency, delete requests, what the parent would do */
#include "analyse/an_int.h"

/* A CDNSKEY (or DNSKEY) as a DNSKEY, so ldns computes its key tag and compares it. */
static ldns_rr *as_dnskey(const ldns_rr *rr)
{
	ldns_rr *k = ldns_rr_clone(rr);
	if (k)
		ldns_rr_set_type(k, LDNS_RR_TYPE_DNSKEY);
	return k;
}

static void append_tag(char *buf, size_t size, unsigned tag)
{
	char t[8];
	snprintf(t, sizeof(t), "%u", tag);
	for (const char *p = buf; (p = strstr(p, t)); p++)
		if ((p == buf || p[-1] == ' ') && (p[strlen(t)] == ',' || p[strlen(t)] == '\0'))
			return; /* listed already */
	size_t l = strlen(buf);
	if (l + 8 < size)
		snprintf(buf + l, size - l, "%s%u", l ? ", " : "", tag);
}

/*
 * CDS / CDNSKEY (RFC 7344, RFC 8078) at the apex of a zone that holds an
 * answer: signed, the same at every server, consistent with each other and
 * with the DNSKEY RRset, and safe for the parent to act on (they must name a
 * key that signs the DNSKEY RRset). `signers`: the keys that do.
 */
void an_check_cds(ctx_t *c, size_t zi, const ldns_rr_list *signers)
{
	zst_t *s = &c->zs[zi];
	const char *zone = s->z->name;
	if (s->insecure || !s->keys_validated || !s->keys)
		return;
	ldns_rdf *apex = ldns_dname_new_frm_str(zone);
	ldns_rr_list *all[2] = {NULL, NULL};   /* union over servers: CDS, CDNSKEY */
	ldns_rr_list *first[2] = {NULL, NULL}; /* the first server's set */
	bool seen[2] = {false, false}, differ = false;
	for (size_t i = 0; apex && i < c->ev->n_xs; i++) {
		const ev_exchange_t *x = &c->ev->xs[i];
		ldns_pkt *pkt = c->pkts[i];
		if ((x->purpose != EV_P_CDS && x->purpose != EV_P_CDNSKEY) ||
		    strcmp(x->zone, zone) != 0 || !pkt ||
		    ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR || !ldns_pkt_aa(pkt))
			continue;
		int w = x->purpose == EV_P_CDNSKEY;
		ldns_rr_type t = w ? LDNS_RR_TYPE_CDNSKEY : LDNS_RR_TYPE_CDS;
		ldns_rr_list *rrs = an_section_rrs(pkt, apex, t, LDNS_SECTION_ANSWER);
		if (!rrs)
			continue;
		if (!seen[w]) {
			seen[w] = true;
			first[w] = ldns_rr_list_clone(rrs);
		} else if (ldns_rr_list_compare(first[w], rrs) != 0) {
			ldns_rr_list_sort(rrs);
			ldns_rr_list_sort(first[w]);
			differ |= ldns_rr_list_compare(first[w], rrs) != 0;
		}
		if (ldns_rr_list_rr_count(rrs)) {
			ldns_rr_list *sigs = an_sigs_over(pkt, apex, t, LDNS_SECTION_ANSWER);
			sigcheck_t sc;
			an_check_sigs(c, zone, rrs, sigs, s->keys, &sc);
			if (!sc.valid) {
				char buf[120];
				snprintf(buf, sizeof(buf),
					 " (the %s RRset has no valid signature at this server)",
					 w ? "CDNSKEY" : "CDS");
				an_add_finding(c, AN_F_CDS_MISMATCH, zone, NULL, buf, NULL,
					       x->server, 0);
			}
			ldns_rr_list_free(sigs);
			an_list_union(&all[w], rrs);
		}
		ldns_rr_list_free(rrs);
	}
	if (differ)
		an_add_finding(c, AN_F_CDS_MISMATCH, zone, NULL,
			       " (the servers publish different CDS/CDNSKEY sets)", NULL, NULL, 0);
	size_t ncds = all[0] ? ldns_rr_list_rr_count(all[0]) : 0,
	       nkey = all[1] ? ldns_rr_list_rr_count(all[1]) : 0;
	/* Delete requests: CDS "0 0 0 00", CDNSKEY "0 3 0 AA==" (algorithm 0). */
	unsigned deletes = 0;
	for (int w = 0; w < 2; w++)
		for (size_t k = 0; all[w] && k < ldns_rr_list_rr_count(all[w]); k++) {
			ldns_rr *rr = ldns_rr_list_rr(all[w], k);
			unsigned alg_idx = w ? 2 : 1;
			if (ldns_rr_rd_count(rr) > alg_idx &&
			    ldns_rdf_size(ldns_rr_rdf(rr, alg_idx)) == 1 &&
			    ldns_rdf_data(ldns_rr_rdf(rr, alg_idx))[0] == 0)
				deletes++;
		}
	if (deletes) {
		if (deletes < ncds + nkey)
			an_add_finding(c, AN_F_CDS_MISMATCH, zone, NULL,
				       " (a delete request is mixed with other records)", NULL,
				       NULL, 0);
		else
			an_add_finding(c, AN_F_CDS_DELETE, zone, NULL, "", NULL, NULL, 0);
		goto out;
	}
	char named[160] = "", unmatched[160] = "", signing[160] = "";
	bool names_signer = false;
	for (size_t k = 0; k < ncds; k++) {
		ldns_rr *cds = ldns_rr_list_rr(all[0], k);
		ds_miss_t miss = DS_MISS_NOKEY;
		bool hit = false;
		for (size_t j = 0; j < ldns_rr_list_rr_count(s->keys) && !hit; j++) {
			ldns_rr *key = ldns_rr_list_rr(s->keys, j);
			if (ldns_rr_get_type(key) == LDNS_RR_TYPE_DNSKEY &&
			    an_ds_matches(cds, key, &miss)) {
				hit = true;
				for (size_t g = 0; signers && g < ldns_rr_list_rr_count(signers);
				     g++)
					names_signer |=
					    an_rr_same(ldns_rr_list_rr(signers, g), key);
			}
		}
		unsigned tag =
		    ldns_rr_rd_count(cds) ? ldns_rdf2native_int16(ldns_rr_rdf(cds, 0)) : 0;
		append_tag(hit ? named : unmatched, sizeof(named), tag);
	}
	char cdnskey_tags[160] = "";
	for (size_t k = 0; k < nkey; k++) {
		ldns_rr *ck = as_dnskey(ldns_rr_list_rr(all[1], k));
		if (!ck)
			continue;
		bool hit = false;
		for (size_t j = 0; j < ldns_rr_list_rr_count(s->keys) && !hit; j++)
			hit = an_rr_same(ldns_rr_list_rr(s->keys, j), ck);
		for (size_t g = 0; hit && signers && g < ldns_rr_list_rr_count(signers); g++)
			names_signer |= an_rr_same(ldns_rr_list_rr(signers, g), ck);
		append_tag(hit ? named : unmatched, sizeof(named), ldns_calc_keytag(ck));
		append_tag(cdnskey_tags, sizeof(cdnskey_tags), ldns_calc_keytag(ck));
		/* Each CDNSKEY should have a CDS, and each CDS a CDNSKEY (RFC 7344 §4). */
		bool in_cds = !ncds;
		for (size_t j = 0; j < ncds && !in_cds; j++) {
			ds_miss_t miss = DS_MISS_NOKEY;
			in_cds = an_ds_matches(ldns_rr_list_rr(all[0], j), ck, &miss);
		}
		if (!in_cds)
			an_add_finding(c, AN_F_CDS_MISMATCH, zone, NULL,
				       " (a CDNSKEY has no matching CDS: they name different keys)",
				       NULL, NULL, 0);
		ldns_rr_free(ck);
	}
	if (unmatched[0]) {
		char buf[220];
		snprintf(buf, sizeof(buf), " (key tag %s: not in the DNSKEY RRset)", unmatched);
		an_add_finding(c, AN_F_CDS_MISMATCH, zone, NULL, buf, NULL, NULL, 0);
	}
	if ((ncds || nkey) && !names_signer) {
		for (size_t g = 0; signers && g < ldns_rr_list_rr_count(signers); g++)
			append_tag(signing, sizeof(signing),
				   ldns_calc_keytag(ldns_rr_list_rr(signers, g)));
		char buf[400];
		snprintf(buf, sizeof(buf),
			 " (they name key tag %s; the DNSKEY RRset is signed by key tag %s)",
			 named[0] ? named : unmatched, signing[0] ? signing : "none");
		an_add_finding(c, AN_F_CDS_WOULD_BREAK, zone, NULL, buf, NULL, NULL, 0);
	}
out:
	for (int w = 0; w < 2; w++) {
		ldns_rr_list_deep_free(all[w]);
		ldns_rr_list_deep_free(first[w]);
	}
	ldns_rdf_deep_free(apex);
}
