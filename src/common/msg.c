/*
 * msg.c — facts about parsed DNS messages (see msg.h).
 */
#include "common/msg.h"
#include "common/wire.h"

bool dd_referral_has_ds(const ldns_pkt *pkt, const ldns_rdf *child)
{
	if (!pkt || ldns_pkt_aa(pkt) || ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR || ldns_pkt_ancount(pkt))
		return false;
	const ldns_rr_list *auth = ldns_pkt_authority(pkt);
	bool ns = false, ds = false, denial = false, sig = false;
	for (size_t i = 0; auth && i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		bool own = ldns_dname_compare(ldns_rr_owner(rr), child) == 0;
		ns |= t == LDNS_RR_TYPE_NS && own;
		ds |= t == LDNS_RR_TYPE_DS && own;
		denial |= t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3;
		sig |= t == LDNS_RR_TYPE_RRSIG;
	}
	return ns && (ds || denial) && sig;
}

char *dd_name_text(const ldns_rdf *name)
{
	if (!name || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME || ldns_rdf_size(name) == 0 ||
	    ldns_rdf_size(name) > 255)
		return NULL;
	char text[1024];
	dd_name_to_text(ldns_rdf_data(name), ldns_rdf_size(name), text);
	return strdup(text);
}
