/*
 * msg.c — facts about parsed DNS messages (see msg.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/wire.h"

bool dd_referral_has_ds(const ldns_pkt *pkt, const ldns_rdf *child)
{
	if (!pkt || ldns_pkt_aa(pkt) || ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR ||
	    ldns_pkt_ancount(pkt))
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

char *dd_ds_text(const ldns_rr *rr)
{
	if (!rr || ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS ||
	    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_rd_count(rr) != 4)
		return NULL;
	const ldns_rdf *owner = ldns_rr_owner(rr), *tag = ldns_rr_rdf(rr, 0),
		       *alg = ldns_rr_rdf(rr, 1), *dt = ldns_rr_rdf(rr, 2),
		       *dig = ldns_rr_rdf(rr, 3);
	if (!owner || ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME ||
	    ldns_rdf_size(owner) == 0 || ldns_rdf_size(owner) > 255 || ldns_rdf_size(tag) != 2 ||
	    ldns_rdf_size(alg) != 1 || ldns_rdf_size(dt) != 1 ||
	    ldns_rdf_get_type(dig) != LDNS_RDF_TYPE_HEX || ldns_rdf_size(dig) == 0 ||
	    ldns_rdf_size(dig) > 1024)
		return NULL;
	char name[1024];
	dd_name_to_text_case(ldns_rdf_data(owner), ldns_rdf_size(owner), name, false);
	size_t dl = ldns_rdf_size(dig), cap = strlen(name) + 64 + 2 * dl;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	int n = snprintf(out, cap, "%s\t%u\tIN\tDS\t%u %u %u ", name, (unsigned)ldns_rr_ttl(rr),
			 (unsigned)ldns_rdf2native_int16(tag), (unsigned)ldns_rdf2native_int8(alg),
			 (unsigned)ldns_rdf2native_int8(dt));
	if (n < 0 || (size_t)n + 2 * dl + 1 > cap) {
		free(out);
		return NULL;
	}
	static const char hex[] = "0123456789abcdef";
	const uint8_t *d = ldns_rdf_data(dig);
	char *p = out + n;
	for (size_t i = 0; i < dl; i++) {
		*p++ = hex[d[i] >> 4];
		*p++ = hex[d[i] & 15];
	}
	*p = '\0';
	return out;
}
