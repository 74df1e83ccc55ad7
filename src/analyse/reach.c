/* reachability: dead, silent, lame and malformed servers, unreachable zones */
#include "analyse/an_int.h"

bool an_is_zone_server(const ev_zone_t *z, const char *addr)
{
	for (size_t i = 0; i < z->n_servers; i++)
		for (size_t j = 0; j < z->servers[i].n_addrs; j++)
			if (strcmp(z->servers[i].addrs[j], addr) == 0)
				return true;
	return false;
}

/* The finding for an apex or answer query that got an error rcode: FORMERR to
 * a query with EDNS means the server does not do EDNS; the rest is lame. */
an_fid_t an_rcode_finding(ldns_pkt_rcode rc, const ev_exchange_t *x)
{
	return rc == LDNS_RCODE_FORMERR && !(x->qflags & EV_F_NOEDNS) ? AN_F_SERVER_NO_EDNS
								      : AN_F_SERVER_LAME;
}

/* Did `addr` answer the plain (no EDNS) SOA query for `zone` with NOERROR? */
static bool answers_plain(const ctx_t *c, const char *zone, const char *addr)
{
	for (size_t k = 0; k < c->ev->n_xs; k++) {
		const ev_exchange_t *x = &c->ev->xs[k];
		if (x->purpose == EV_P_NOEDNS && !x->err && c->pkts[k] &&
		    strcmp(x->server, addr) == 0 && strcmp(x->zone, zone) == 0 &&
		    ldns_pkt_get_rcode(c->pkts[k]) == LDNS_RCODE_NOERROR)
			return true;
	}
	return false;
}

/* Reachability of each server address of zone `zi`, from its apex queries. */
void an_check_reachability(ctx_t *c, size_t zi)
{
	zst_t *s = &c->zs[zi];
	const ev_zone_t *z = s->z;
	unsigned tested = 0, answered = 0, addrs = 0, refused = 0, untested = 0;
	for (size_t i = 0; i < z->n_servers; i++) {
		const ev_server_t *srv = &z->servers[i];
		if (!srv->n_addrs) {
			char buf[300];
			snprintf(buf, sizeof(buf), ": %s (%s)", srv->name,
				 srv->addr_error ? srv->addr_error : "no address");
			an_add_finding(c, AN_F_NS_NO_ADDRESS, z->name, NULL, buf, NULL, NULL, 0);
		}
		for (size_t j = 0; j < srv->n_addrs; j++) {
			const char *a = srv->addrs[j];
			unsigned n = 0, fail = 0, fail_dropped = 0, fail_notcp = 0, ok = 0,
				 ok_trunc = 0, oversized = 0;
			unsigned skipped = 0, local = 0;
			const char *why = NULL, *skip_why = NULL, *notcp_what = NULL;
			bool lame = false;
			an_fid_t lame_id = AN_F_SERVER_LAME;
			char lame_why[80] = "";
			addrs++;
			for (size_t k = 0; k < c->ev->n_xs; k++) {
				const ev_exchange_t *x = &c->ev->xs[k];
				if (strcmp(x->server, a) != 0 || strcmp(x->zone, z->name) != 0 ||
				    (x->purpose != EV_P_DNSKEY && x->purpose != EV_P_SOA &&
				     x->purpose != EV_P_APEX_NS && x->purpose != EV_P_ANSWER))
					continue;
				if (x->err == DD_EREFUSEDADDR) {
					/* Not asked by policy (serve): neither dead nor alive. */
					skipped++;
					skip_why = x->why;
					continue;
				}
				if (x->err == DD_EIO) {
					/* This machine could not ask (no socket): says nothing
					 * about the server; the check reports itself incomplete. */
					local++;
					continue;
				}
				n++;
				if (x->err) {
					fail++;
					fail_dropped += x->err == DD_ETIMEOUT && x->dropped;
					fail_notcp += x->err == DD_ETCP && x->udp_truncated;
					if (x->err == DD_ETCP && x->udp_truncated && !notcp_what)
						notcp_what = x->qname;
					if (!why) /* the first reason: later ones say "not asked
						     again" */
						why = x->why ? x->why : dd_strerror(x->err);
					continue;
				}
				ok++;
				ok_trunc += x->udp_truncated;
				oversized += x->udp_oversized;
				ldns_pkt *pkt = c->pkts[k];
				if (pkt && x->purpose == EV_P_SOA) {
					ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
					if (rc != LDNS_RCODE_NOERROR || !ldns_pkt_aa(pkt)) {
						lame = true;
						lame_id = an_rcode_finding(rc, x);
						char *rcs = ldns_pkt_rcode2str(rc);
						snprintf(lame_why, sizeof(lame_why),
							 ": %s answered %s%s", a, rcs ? rcs : "?",
							 ldns_pkt_aa(pkt) ? ""
									  : " without the AA bit");
						free(rcs);
					}
				}
			}
			if (!n && local && !skipped) {
				refused++; /* not asked here, for want of a socket: no verdict on it
					    */
				continue;
			}
			if (!n && skipped) {
				char sbuf[300];
				snprintf(sbuf, sizeof(sbuf), " (%s at %s: %s)", srv->name, a,
					 skip_why ? skip_why : "not allowed");
				an_add_finding(c, AN_F_SERVER_NOT_QUERIED, z->name, NULL, sbuf,
					       NULL, a, 0);
				refused++;
				continue;
			}
			if (!n) {
				an_add_finding(c, AN_F_SERVER_NOT_TESTED, z->name, NULL,
					       strchr(a, ':') ? " (IPv6 is not available here)"
							      : " (IPv4 is not used)",
					       NULL, a, 0);
				untested++;
				continue;
			}
			tested++;
			char buf[300];
			snprintf(buf, sizeof(buf), " (%s: %s)", srv->name, why ? why : "no answer");
			if (fail == n) {
				/* Silence, garbage, a closed TCP port and an EDNS-deaf
				 * server are different repairs. */
				an_fid_t id = fail_dropped == fail ? AN_F_SERVER_MALFORMED
					      : fail_notcp == fail ? AN_F_SERVER_NO_TCP
					      : answers_plain(c, z->name, a)
						  ? AN_F_SERVER_NO_EDNS
						  : AN_F_SERVER_UNREACHABLE;
				if (id == AN_F_SERVER_NO_EDNS)
					snprintf(buf, sizeof(buf),
						 " (%s: no answer to queries with EDNS, an answer "
						 "without)",
						 srv->name);
				an_add_finding(c, id, z->name, NULL, buf, NULL, a, 0);
				continue;
			}
			answered++; /* it answers; whether it serves the zone is judged below */
			if (lame)
				an_add_finding(c, lame_id, z->name, NULL, lame_why, NULL, a, 0);
			if (lame && lame_id == AN_F_SERVER_NO_EDNS) {
				/* It answers only without EDNS, so without signatures: whether that
				 * breaks validation depends on the DS (judged in zone.c). */
				const char **nd =
				    realloc(s->no_dnssec, (s->n_no_dnssec + 1) * sizeof(*nd));
				if (nd) {
					s->no_dnssec = nd;
					nd[s->n_no_dnssec++] = a;
				} else {
					c->oom = 1;
				}
			}
			if (fail_notcp) {
				/* Only some answers (a large DNSKEY RRset) need TCP, and TCP fails.
				 */
				snprintf(buf, sizeof(buf), " (%s, for %s)", srv->name,
					 notcp_what ? notcp_what : "?");
				an_add_finding(c, AN_F_SERVER_NO_TCP, z->name, NULL, buf, NULL, a,
					       0);
			}
			if (ok_trunc == ok)
				an_add_finding(c, AN_F_SERVER_NEEDS_TCP, z->name, NULL, "", NULL, a,
					       0);
			if (oversized)
				an_add_finding(c, AN_F_SERVER_UDP_TOO_LARGE, z->name, NULL, "",
					       NULL, a, 0);
		}
	}
	if (!tested && (refused || untested)) {
		/* No server of the zone could be asked (no route for its address family, address
		 * policy, no socket): no verdict on the zone, and never "secure" about it. */
		s->not_asked = true;
		return;
	}
	if (z->ns_total > z->n_servers) {
		char buf[80];
		snprintf(buf, sizeof(buf), " (%u listed, the first %zu checked)", z->ns_total,
			 z->n_servers);
		an_add_finding(c, AN_F_NS_SET_TRUNCATED, z->name, NULL, buf, NULL, NULL, 0);
	}
	if ((tested && !answered) || (!addrs && z->n_servers)) {
		s->unreachable = true;
		an_add_finding(c, AN_F_ZONE_UNREACHABLE, z->name, NULL,
			       addrs ? "" : " (none of its name servers has an address)", NULL,
			       NULL, 0);
	}
}

bool an_zone_only_unreachable(const ctx_t *c, const char *zone)
{
	for (size_t i = 0; i < c->r->n_findings; i++) {
		const an_finding_t *f = &c->r->findings[i];
		if (strcmp(f->zone, zone) == 0 && an_finding_def(f->id)->severity == AN_ERROR &&
		    f->id != AN_F_ZONE_UNREACHABLE)
			return false;
	}
	return true;
}
