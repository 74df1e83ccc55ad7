#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/coro.h"
#include "common/dd.h"
#include "common/msg.h"
#include "probe/probe.h"

/* The evidence records the engine's query flags as they are (version-1 JSON). */
_Static_assert(EV_F_DO == ENGINE_F_DO && EV_F_CD == ENGINE_F_CD && EV_F_RD == ENGINE_F_RD &&
		   EV_F_NOEDNS == ENGINE_F_NOEDNS && EV_F_TCP == ENGINE_F_TCP &&
		   EV_F_IF_SILENT == ENGINE_F_IF_SILENT,
	       "evidence flags differ from the engine's");

void probe_cfg_default(probe_cfg_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	engine_cfg_default(&cfg->engine);
	cfg->use_v4 = true;
	cfg->use_v6 = true;
	cfg->port = 53;
	cfg->max_cnames = 16;
	cfg->max_ns = 20;
	cfg->max_addrs = 64;
	cfg->max_depth = 40;
	engine_cfg_default(&cfg->resolver_engine);
	/* A resolver may have to walk a slow or dead delegation itself before it
	 * answers (SERVFAIL after its own timeouts): give it time. */
	cfg->resolver_engine.timeout_ms = 2500;
	cfg->resolver_engine.timeout_floor_ms =
	    0; /* resolvers recurse: their latency varies by name */
	cfg->resolver_engine.retries = 1;
	cfg->resolver_engine.tcp_timeout_ms = 4000;
	cfg->resolver_engine.max_queries = 3 * 64;
}

typedef struct probe {
	const probe_cfg_t *cfg;
	struct event_base *base;
	engine_t *eng;
	engine_t *
	    reng; /* resolvers: its own engine on the same loop, so the walk never waits for them */
	evidence_t *ev;
	bool stopped;	  /* deadline, query cap or depth limit: no further phases */
	char *budget_out; /* the gate said a server's query budget is used up: its words */
	bool too_deep;	  /* the walk hit max_depth */
} probe_t;

typedef struct qctx {
	probe_t *p;
	size_t xi; /* index into ev->xs (the array may move while queries run) */
	bool cacheable;
} qctx_t;

static unsigned label_count(const char *name)
{
	unsigned n = 0;
	for (const char *c = name; *c; c++)
		n += *c == '.' && c[1] != '\0';
	return strcmp(name, ".") == 0 ? 0 : n + 1;
}

/*
 * What the process-wide cache may serve: answers of the root's servers (NS
 * and DS of a TLD, addresses asked of the root) and the root's and TLDs'
 * own DNSKEY, SOA and NS. Nothing below the TLDs: a fixed DS must show.
 */
static bool cacheable(const probe_t *p, const char *zone, ev_purpose_t purpose)
{
	if (!p->cfg->cache)
		return false;
	unsigned labels = label_count(zone);
	switch (purpose) {
	case EV_P_DNSKEY:
	case EV_P_SOA:
	case EV_P_APEX_NS:
		return labels <= 1;
	case EV_P_NS:
	case EV_P_DS:
		return labels == 1; /* asked of the root's servers */
	case EV_P_ADDR:
		return labels == 0;
	default:
		return false;
	}
}

/* ---- small helpers ------------------------------------------------------ */

static bool addr_family_ok(const probe_t *p, const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return p->cfg->use_v4;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return p->cfg->use_v6;
	return false;
}

static int make_sockaddr(const char *addr, uint16_t port, struct sockaddr_storage *ss,
			 socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return DD_EINVAL;
}

static void record_result(ev_exchange_t *x, const engine_result_t *res)
{
	x->err = res->err;
	if (res->err == DD_ETIMEOUT && res->dropped)
		x->why = dd_asprintf("no usable answer: %u datagram%s dropped as malformed or not "
				     "matching the query (%s)",
				     res->dropped, res->dropped == 1 ? "" : "s",
				     res->drop_why ? res->drop_why : "malformed");
	else if (res->err == DD_ETCP && res->udp_truncated)
		x->why = dd_asprintf("truncated over UDP, and over TCP: %s",
				     res->why ? res->why : "failed");
	else
		x->why = res->why ? strdup(res->why) : NULL;
	x->rtt_ms = res->rtt_ms;
	x->tries = res->tries;
	x->tcp = res->tcp;
	x->udp_truncated = res->udp_truncated;
	x->udp_oversized = res->udp_oversized;
	x->dropped = res->dropped;
	if (res->err == 0 && res->wire && res->wire_len) {
		x->wire = malloc(res->wire_len);
		if (x->wire) {
			memcpy(x->wire, res->wire, res->wire_len);
			x->wire_len = res->wire_len;
			x->wire_checked = true; /* the engine accepts nothing else */
		} else {
			x->err = DD_ENOMEM;
		}
	}
}

static void on_answer(const engine_result_t *res, void *arg)
{
	qctx_t *q = arg;
	ev_exchange_t *x = &q->p->ev->xs[q->xi];
	if (res->not_needed) {
		x->unneeded = true; /* never sent: dropped from the evidence at the end */
		if (q->p->cfg->ungate)
			q->p->cfg->ungate(q->p->cfg->gate_arg, x->server);
		free(q);
		return;
	}
	record_result(x, res);
	if (q->cacheable && !x->err && x->wire)
		probe_cache_put(q->p->cfg->cache, x->server, x->port, x->qname, x->qtype, x->qflags,
				q->p->cfg->now, x->wire, x->wire_len);
	if (res->err == DD_EDEADLINE || res->err == DD_ELIMIT)
		q->p->stopped = true;
	free(q);
}

/* Send one query to one address and record it as an exchange. */
static int send_one(probe_t *p, const char *zone, ev_purpose_t purpose, const char *ns_name,
		    const char *addr, const ldns_rdf *qname, const char *qname_txt, uint16_t qtype)
{
	if (!addr_family_ok(p, addr))
		return 0; /* not tested from here; the zone's server list still shows it */
	if (p->ev->n_xs >= EV_MAX_EXCHANGES) {
		/* "Not asked again" records cost no query; bound them too. */
		p->stopped = true;
		return 0;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	if (make_sockaddr(addr, p->cfg->port, &ss, &sl))
		return 0;
	/* The plain SOA only matters for an address that is silent to EDNS:
	 * one whose EDNS SOA came from the cache has answered. */
	if (purpose == EV_P_NOEDNS)
		for (size_t i = 0; i < p->ev->n_xs; i++) {
			const ev_exchange_t *o = &p->ev->xs[i];
			if (o->purpose == EV_P_SOA && o->cached && !o->err &&
			    strcmp(o->server, addr) == 0 && strcmp(o->zone, zone) == 0)
				return 0;
		}
	/* A server that already timed out in this check is not asked again:
	 * a dead server costs one timeout, not one per query. */
	bool dead = false;
	unsigned dead_dropped = 0;
	for (size_t i = 0; i < p->ev->n_xs && !dead; i++) {
		dead = p->ev->xs[i].err == DD_ETIMEOUT && strcmp(p->ev->xs[i].server, addr) == 0;
		if (dead)
			dead_dropped = p->ev->xs[i].dropped; /* garbage then, garbage now */
	}
	ev_exchange_t *x = ev_add_exchange(p->ev);
	if (!x)
		return DD_ENOMEM;
	size_t xi = (size_t)(x - p->ev->xs);
	x->zone = strdup(zone);
	x->purpose = purpose;
	x->server = strdup(addr);
	x->port = p->cfg->port;
	x->ns_name = ns_name ? strdup(ns_name) : NULL;
	x->qname = qname_txt ? strdup(qname_txt) : dd_name_text(qname);
	x->qtype = qtype;
	/* Everything with EDNS and DO, but one plain SOA per server and zone. */
	x->qflags = purpose == EV_P_NOEDNS ? ENGINE_F_NOEDNS : ENGINE_F_DO;
	x->sent_ms = engine_elapsed_ms(p->eng);
	if (!x->zone || !x->server || !x->qname)
		return DD_ENOMEM;
	if (dead) {
		x->err = DD_ETIMEOUT;
		x->dropped = dead_dropped;
		x->why = strdup("not asked again: it timed out earlier in this check");
		return 0;
	}
	/* The cache first: only what is sent passes the gate (and spends budget).
	 * An address whose answer is cached passed the gate's address policy when
	 * it was asked, and the policy does not change while the process runs. */
	bool cache_ok = cacheable(p, zone, purpose);
	if (cache_ok && probe_cache_get(p->cfg->cache, addr, p->cfg->port, x->qname, qtype,
					x->qflags, p->cfg->now, &x->wire, &x->wire_len)) {
		x->cached = true;
		x->wire_checked = true; /* only what the engine accepted is kept */
		return 0;
	}
	char why[200] = "";
	int g = p->cfg->gate ? p->cfg->gate(p->cfg->gate_arg, addr, false, why, sizeof(why)) : 0;
	if (g) {
		x->err = DD_EREFUSEDADDR;
		x->why = strdup(why[0] ? why : dd_strerror(DD_EREFUSEDADDR));
		if (g == DD_ELIMIT) {
			/* A budget used up: the walk would go on with holes where it
			 * asked and got nothing, and could take a referral for an
			 * answer. Stop; the check gets no verdict. */
			p->stopped = true;
			if (!p->budget_out)
				p->budget_out =
				    strdup(x->why ? x->why : "a query budget is used up");
		}
		return 0;
	}
	qctx_t *q = malloc(sizeof(*q));
	if (!q)
		return DD_ENOMEM;
	q->cacheable = cache_ok;
	q->p = p;
	q->xi = xi;
	/* The plain SOA is sent only if the address stays silent to EDNS. */
	unsigned eflags = x->qflags | (purpose == EV_P_NOEDNS ? ENGINE_F_IF_SILENT : 0);
	int r = engine_query(p->eng, (struct sockaddr *)&ss, sl, ldns_rdf_data(qname),
			     ldns_rdf_size(qname), qtype, eflags, on_answer, q);
	if (r) {
		free(q);
		x->err = r;
		x->why = strdup(dd_strerror(r));
		if (r == DD_ELIMIT || r == DD_EDEADLINE)
			p->stopped = true;
		if (p->cfg->ungate)
			p->cfg->ungate(p->cfg->gate_arg, addr); /* nothing was sent */
	}
	return 0;
}

/* Was `addr` asked already among exchanges [first, n_xs)? */
static bool asked_since(const probe_t *p, size_t first, const char *addr)
{
	for (size_t k = first; k < p->ev->n_xs; k++)
		if (strcmp(p->ev->xs[k].server, addr) == 0)
			return true;
	return false;
}

/* Send a query to every address of every server of zone index `zi`, each
 * address once: NS names that share an address (a stranger can list 20
 * names for one victim) do not multiply the queries sent to it. */
static void send_zone(probe_t *p, size_t zi, const char *tag_zone, ev_purpose_t purpose,
		      const ldns_rdf *qname, const char *qname_txt, uint16_t qtype)
{
	size_t nsrv = p->ev->zones[zi].n_servers;
	size_t first = p->ev->n_xs;
	char *qt = qname_txt ? NULL : dd_name_text(qname); /* once for all addresses */
	for (size_t i = 0; i < nsrv && !p->stopped; i++) {
		ev_server_t *s = &p->ev->zones[zi].servers[i];
		for (size_t j = 0; j < s->n_addrs && !p->stopped; j++) {
			if (asked_since(p, first, s->addrs[j]))
				continue;
			/* Copy: send_one may grow arrays that `s` points into. */
			char *ns = strdup(s->name), *addr = strdup(s->addrs[j]);
			if (ns && addr)
				send_one(p, tag_zone, purpose, ns, addr, qname,
					 qname_txt ? qname_txt : qt, qtype);
			free(ns);
			free(addr);
			s = &p->ev->zones[zi].servers[i];
		}
	}
	free(qt);
}

static void wait_all(probe_t *p)
{
	if (engine_wait(p->eng) == DD_EDEADLINE)
		p->stopped = true;
}

/* The exchange's answer, parsed once and kept with it (the analysis reads
 * it too): the caller does not free it. */
static ldns_pkt *pkt_of(ev_exchange_t *x)
{
	ldns_pkt *pkt = NULL;
	if (x->parsed)
		return x->parsed;
	if (x->err || !x->wire)
		return NULL;
	if (ldns_wire2pkt(&pkt, x->wire, x->wire_len) != LDNS_STATUS_OK)
		return NULL;
	x->parsed = pkt;
	return pkt;
}

/* ---- name server addresses ---------------------------------------------- */

static size_t zone_addr_count(const ev_zone_t *z)
{
	size_t n = 0;
	for (size_t i = 0; i < z->n_servers; i++)
		n += z->servers[i].n_addrs;
	return n;
}

/* Deepest zone in the evidence that encloses `name` and has addresses. */
static long deepest_zone(const probe_t *p, const ldns_rdf *name)
{
	long best = -1;
	size_t best_labels = 0;
	for (size_t i = 0; i < p->ev->n_zones; i++) {
		const ev_zone_t *z = &p->ev->zones[i];
		if (!zone_addr_count(z))
			continue;
		ldns_rdf *zr = ldns_dname_new_frm_str(z->name);
		if (!zr)
			continue;
		bool in = ldns_dname_compare(zr, name) == 0 || ldns_dname_is_subdomain(name, zr);
		size_t labels = ldns_dname_label_count(zr);
		ldns_rdf_deep_free(zr);
		if (in && (best < 0 || labels > best_labels)) {
			best = (long)i;
			best_labels = labels;
		}
	}
	return best;
}

/* Collect A/AAAA records for `name` from a packet section into server `s`. */
static void take_addrs(const probe_t *p, ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rdf *name,
		       ev_server_t *s)
{
	static const ldns_rr_type types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	for (unsigned t = 0; t < 2; t++) {
		ldns_rr_list *l = ldns_pkt_rr_list_by_name_and_type(pkt, name, types[t], sec);
		for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
			ldns_rdf *a = ldns_rr_rdf(ldns_rr_list_rr(l, i), 0);
			char *txt = a ? ldns_rdf2str(a) : NULL;
			if (txt && s->n_addrs < p->cfg->max_addrs)
				ev_server_add_addr(s, txt);
			free(txt);
		}
		ldns_rr_list_deep_free(l);
	}
}

/* Free the server list of a scratch zone (not one owned by the evidence). */
static void scratch_clear(ev_zone_t *z)
{
	for (size_t i = 0; i < z->n_servers; i++) {
		free(z->servers[i].name);
		for (size_t j = 0; j < z->servers[i].n_addrs; j++)
			free(z->servers[i].addrs[j]);
		free(z->servers[i].addrs);
		free(z->servers[i].addr_error);
	}
	free(z->servers);
	memset(z, 0, sizeof(*z));
}

static void resolve_addrs(probe_t *p, const ldns_rdf *name, ev_server_t *out, unsigned depth);

/*
 * Look up the addresses of a name server without glue: a small iterative,
 * non-validating lookup that starts at the deepest zone already known.
 * Its exchanges are recorded with purpose "addr".
 */
static void resolve_addrs(probe_t *p, const ldns_rdf *name, ev_server_t *out, unsigned depth)
{
	if (depth > 4 || p->stopped)
		return;
	long zi = deepest_zone(p, name);
	if (zi < 0)
		return;
	/* Servers to ask at this step: a private list, to follow referrals. */
	ev_zone_t step = {0};
	ev_zone_t *src = &p->ev->zones[zi];
	char *step_zone = strdup(src->name);
	for (size_t i = 0; i < src->n_servers && zone_addr_count(&step) < 4; i++) {
		ev_server_t *s = ev_zone_add_server(&step, src->servers[i].name);
		for (size_t j = 0; s && j < src->servers[i].n_addrs; j++)
			ev_server_add_addr(s, src->servers[i].addrs[j]);
	}
	for (unsigned hop = 0; hop < 12 && !p->stopped && step_zone; hop++) {
		size_t first = p->ev->n_xs;
		unsigned sent = 0;
		for (size_t i = 0; i < step.n_servers && sent < 2; i++)
			for (size_t j = 0; j < step.servers[i].n_addrs && sent < 2; j++, sent++) {
				send_one(p, step_zone, EV_P_ADDR, step.servers[i].name,
					 step.servers[i].addrs[j], name, NULL, LDNS_RR_TYPE_A);
				send_one(p, step_zone, EV_P_ADDR, step.servers[i].name,
					 step.servers[i].addrs[j], name, NULL, LDNS_RR_TYPE_AAAA);
			}
		if (!sent)
			break;
		wait_all(p);
		ev_zone_t next = {0};
		char *next_zone = NULL;
		bool done = false;
		for (size_t k = first; k < p->ev->n_xs && !done; k++) {
			ldns_pkt *pkt = pkt_of(&p->ev->xs[k]);
			if (!pkt)
				continue;
			ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
			if (rc == LDNS_RCODE_NOERROR && ldns_pkt_ancount(pkt) > 0) {
				take_addrs(p, pkt, LDNS_SECTION_ANSWER, name, out);
				/* An in-answer CNAME chain: take the target's addresses too. */
				ldns_rr_list *cn = ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_CNAME,
									    LDNS_SECTION_ANSWER);
				for (size_t c = 0; cn && c < ldns_rr_list_rr_count(cn); c++)
					take_addrs(p, pkt, LDNS_SECTION_ANSWER,
						   ldns_rr_rdf(ldns_rr_list_rr(cn, c), 0), out);
				ldns_rr_list_deep_free(cn);
				if (out->n_addrs)
					done = true;
			} else if (rc == LDNS_RCODE_NXDOMAIN) {
				done = true;
			} else if (rc == LDNS_RCODE_NOERROR && !next_zone) {
				ldns_rr_list *ns = ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_NS,
									    LDNS_SECTION_AUTHORITY);
				if (ns && ldns_rr_list_rr_count(ns) && !ldns_pkt_aa(pkt)) {
					ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(ns, 0));
					char *ot = dd_name_text(owner);
					/* A referral must lead downwards, closer to the name. */
					ldns_rdf *cur = ldns_dname_new_frm_str(step_zone);
					if (ot && cur && ldns_dname_is_subdomain(owner, cur) &&
					    (ldns_dname_compare(owner, name) == 0 ||
					     ldns_dname_is_subdomain(name, owner))) {
						next_zone = ot;
						ot = NULL;
						for (size_t r = 0; r < ldns_rr_list_rr_count(ns) &&
								   r < p->cfg->max_ns;
						     r++) {
							ldns_rdf *nsn =
							    ldns_rr_rdf(ldns_rr_list_rr(ns, r), 0);
							char *nt = dd_name_text(nsn);
							ev_server_t *s =
							    nt ? ev_zone_add_server(&next, nt)
							       : NULL;
							if (s)
								take_addrs(p, pkt,
									   LDNS_SECTION_ADDITIONAL,
									   nsn, s);
							free(nt);
						}
					}
					free(ot);
					ldns_rdf_deep_free(cur);
				}
				ldns_rr_list_deep_free(ns);
			}
		}
		if (done || !next_zone) {
			free(next_zone);
			scratch_clear(&next);
			break;
		}
		/* Glue-less referral: look up one of its servers first. */
		if (!zone_addr_count(&next) && next.n_servers) {
			ldns_rdf *nsn = ldns_dname_new_frm_str(next.servers[0].name);
			if (nsn && ldns_dname_compare(nsn, name) != 0)
				resolve_addrs(p, nsn, &next.servers[0], depth + 1);
			ldns_rdf_deep_free(nsn);
		}
		/* Move on: swap step for next. */
		scratch_clear(&step);
		step = next;
		free(step_zone);
		step_zone = next_zone;
	}
	scratch_clear(&step);
	free(step_zone);
}

/* ---- the walk ----------------------------------------------------------- */

typedef enum cut_kind { CUT_NONE, CUT_FOUND, CUT_NXDOMAIN, CUT_SILENT } cut_kind_t;

/*
 * Read the answers to "cand NS" (exchanges [first, end) of purpose NS) and
 * decide whether `cand` is a zone cut. On CUT_FOUND, `child` receives the NS
 * names and any glue; `*same` tells whether a parent server answered
 * authoritatively for the child (no referral). `ds_carried` (NULL, or one
 * flag per exchange from `first`) is set where the referral carries the DS.
 */
static cut_kind_t read_cut(probe_t *p, size_t first, size_t end, const ldns_rdf *cand,
			   ev_zone_t *child, bool *same, bool *ds_carried)
{
	unsigned answered = 0, nx = 0;
	bool found = false;
	*same = false;
	for (size_t k = first; k < end; k++) {
		ev_exchange_t *x = &p->ev->xs[k];
		if (x->purpose != EV_P_NS)
			continue;
		ldns_pkt *pkt = pkt_of(x);
		if (!pkt)
			continue;
		if (ds_carried)
			ds_carried[k - first] = dd_referral_has_ds(pkt, cand);
		ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
		if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN)
			answered++;
		if (rc == LDNS_RCODE_NXDOMAIN)
			nx++;
		if (rc == LDNS_RCODE_NOERROR) {
			ldns_rr_list *ns = ldns_pkt_rr_list_by_name_and_type(
			    pkt, cand, LDNS_RR_TYPE_NS, LDNS_SECTION_ANSWER);
			if (ns && ldns_rr_list_rr_count(ns) && ldns_pkt_aa(pkt)) {
				*same = true;
			} else {
				ldns_rr_list_deep_free(ns);
				ns = ldns_pkt_rr_list_by_name_and_type(pkt, cand, LDNS_RR_TYPE_NS,
								       LDNS_SECTION_AUTHORITY);
				if (ns && ldns_pkt_aa(pkt)) {
					/* Authoritative data with NS in authority is not a
					 * referral. */
					ldns_rr_list_deep_free(ns);
					ns = NULL;
				}
			}
			if (ns && ldns_rr_list_rr_count(ns) > child->ns_total)
				child->ns_total = (unsigned)ldns_rr_list_rr_count(ns);
			for (size_t r = 0; ns && r < ldns_rr_list_rr_count(ns); r++) {
				ldns_rdf *nsn = ldns_rr_rdf(ldns_rr_list_rr(ns, r), 0);
				char *nt = nsn ? dd_name_text(nsn) : NULL;
				if (!nt)
					continue;
				ev_server_t *s = NULL;
				for (size_t i = 0; i < child->n_servers; i++)
					if (strcmp(child->servers[i].name, nt) == 0)
						s = &child->servers[i];
				if (!s && child->n_servers < p->cfg->max_ns)
					s = ev_zone_add_server(child, nt);
				if (s) {
					size_t before = s->n_addrs;
					take_addrs(p, pkt, LDNS_SECTION_ADDITIONAL, nsn, s);
					if (s->n_addrs > before)
						s->from_glue = true;
				}
				free(nt);
				found = true;
			}
			ldns_rr_list_deep_free(ns);
		}
	}
	if (found)
		return CUT_FOUND;
	if (answered == 0)
		return CUT_SILENT;
	if (nx == answered)
		return CUT_NXDOMAIN;
	return CUT_NONE;
}

/* Next candidate below `zone` on the way to `target` (one more label). */
static ldns_rdf *next_candidate(const ldns_rdf *zone, const ldns_rdf *target)
{
	size_t zl = ldns_dname_label_count(zone), tl = ldns_dname_label_count(target);
	if (tl <= zl)
		return NULL;
	return ldns_dname_clone_from(target, (uint16_t)(tl - zl - 1));
}

/* Names that were already asked as answers (CNAME loop guard). */
static bool target_seen(const probe_t *p, const char *name)
{
	for (size_t i = 0; i < p->ev->n_targets; i++)
		if (strcmp(p->ev->targets[i].name, name) == 0)
			return true;
	return false;
}

/* Send DNSKEY and SOA queries to a zone's servers, once per zone. */
static void ask_apex(probe_t *p, size_t zi, bool *asked)
{
	if (asked[zi])
		return;
	asked[zi] = true;
	ldns_rdf *apex = ldns_dname_new_frm_str(p->ev->zones[zi].name);
	if (!apex)
		return;
	char *zn = strdup(p->ev->zones[zi].name);
	if (zn) {
		send_zone(p, zi, zn, EV_P_DNSKEY, apex, zn, LDNS_RR_TYPE_DNSKEY);
		send_zone(p, zi, zn, EV_P_SOA, apex, zn, LDNS_RR_TYPE_SOA);
		send_zone(p, zi, zn, EV_P_APEX_NS, apex, zn, LDNS_RR_TYPE_NS);
		/* A plain SOA tells an EDNS-deaf server from a dead one. It is sent
		 * only if the address is still silent when a first try would time
		 * out, with one try of the full timeout: a dead server still costs
		 * one timeout, and a healthy one no extra query. */
		send_zone(p, zi, zn, EV_P_NOEDNS, apex, zn, LDNS_RR_TYPE_SOA);
	}
	free(zn);
	ldns_rdf_deep_free(apex);
}

/* What only the zones that hold an answer are asked: NSEC3 parameters (for
 * RFC 9276 advice on positive answers) and CDS/CDNSKEY (RFC 7344, 8078). */
static void ask_target_zone(probe_t *p, size_t zi)
{
	for (size_t i = 0; i < p->ev->n_xs; i++)
		if (p->ev->xs[i].purpose == EV_P_NSEC3PARAM &&
		    strcmp(p->ev->xs[i].zone, p->ev->zones[zi].name) == 0)
			return; /* asked already (a CNAME back into the zone) */
	ldns_rdf *apex = ldns_dname_new_frm_str(p->ev->zones[zi].name);
	char *zn = strdup(p->ev->zones[zi].name);
	if (apex && zn) {
		send_zone(p, zi, zn, EV_P_NSEC3PARAM, apex, zn, LDNS_RR_TYPE_NSEC3PARAM);
		if (p->ev->zones[zi].parent) {
			send_zone(p, zi, zn, EV_P_CDS, apex, zn, LDNS_RR_TYPE_CDS);
			send_zone(p, zi, zn, EV_P_CDNSKEY, apex, zn, LDNS_RR_TYPE_CDNSKEY);
		}
	}
	free(zn);
	ldns_rdf_deep_free(apex);
}

/* A cut was found from the NS (or referral) exchanges [first, end): ask the
 * DS of `cand` at each parent address whose answer did not carry it (read_cut
 * noted which did). Not waited for here: it goes out with the child's first
 * questions. */
static void ask_ds_where_missing(probe_t *p, size_t first, size_t end, const ldns_rdf *cand,
				 const char *cand_txt, const bool *ds_carried)
{
	for (size_t k = first; k < end && !p->stopped; k++) {
		const ev_exchange_t *x = &p->ev->xs[k];
		if (x->purpose != EV_P_NS || strcmp(x->zone, cand_txt) != 0 ||
		    (ds_carried && ds_carried[k - first]))
			continue;
		/* Copy: send_one may move the exchanges. */
		char *ns = x->ns_name ? strdup(x->ns_name) : NULL, *addr = strdup(x->server);
		if (addr)
			send_one(p, cand_txt, EV_P_DS, ns, addr, cand, cand_txt, LDNS_RR_TYPE_DS);
		free(ns);
		free(addr);
	}
}

typedef enum answer_kind { ANS_UNCLEAR, ANS_FROM_ZONE, ANS_REFERRAL } answer_kind_t;

/* Does this name appear as an RRSIG signer or SOA owner in the section? */
static void signers_in(ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rdf *zone, bool *from_zone,
		       bool *from_other)
{
	const ldns_rr_list *l =
	    sec == LDNS_SECTION_ANSWER ? ldns_pkt_answer(pkt) : ldns_pkt_authority(pkt);
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		const ldns_rdf *who = NULL;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG && ldns_rr_rd_count(rr) >= 9)
			who = ldns_rr_rrsig_signame(rr);
		else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && sec == LDNS_SECTION_AUTHORITY)
			who = ldns_rr_owner(rr);
		if (!who)
			continue;
		if (ldns_dname_compare(who, zone) == 0)
			*from_zone = true;
		else
			*from_other = true;
	}
}

/*
 * The answers to the last label's own question (exchanges [first, end) of
 * purpose ANSWER, asked at `zone`): ANS_FROM_ZONE when every server that
 * answered did so authoritatively with this zone's signatures or SOA (so the
 * name is no cut); ANS_REFERRAL when every one referred to `target`;
 * otherwise (an unsigned zone, servers that differ, no answer) unclear.
 */
static answer_kind_t answer_kind(probe_t *p, size_t first, size_t end, const ldns_rdf *target,
				 const ldns_rdf *zone)
{
	unsigned answered = 0, own = 0, referrals = 0;
	for (size_t k = first; k < end; k++) {
		ev_exchange_t *x = &p->ev->xs[k];
		if (x->purpose != EV_P_ANSWER)
			continue;
		ldns_pkt *pkt = pkt_of(x);
		if (!pkt)
			continue; /* no answer: neither way */
		ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
		if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN) {
			answered++;
			bool from_zone = false, from_other = false;
			signers_in(pkt, LDNS_SECTION_ANSWER, zone, &from_zone, &from_other);
			signers_in(pkt, LDNS_SECTION_AUTHORITY, zone, &from_zone, &from_other);
			if (ldns_pkt_aa(pkt) && from_zone && !from_other)
				own++;
			ldns_rr_list *ns = ldns_pkt_rr_list_by_name_and_type(
			    pkt, target, LDNS_RR_TYPE_NS, LDNS_SECTION_AUTHORITY);
			if (!ldns_pkt_aa(pkt) && rc == LDNS_RCODE_NOERROR && ns &&
			    ldns_rr_list_rr_count(ns) && !ldns_pkt_ancount(pkt))
				referrals++;
			ldns_rr_list_deep_free(ns);
		}
	}
	if (answered && own == answered)
		return ANS_FROM_ZONE;
	if (answered && referrals == answered)
		return ANS_REFERRAL;
	return ANS_UNCLEAR;
}

/* The answers asked at the parent were referrals: they are the cut's evidence
 * (as an NS query's would be), tagged with the child like NS queries. */
static void as_referrals(probe_t *p, size_t first, const char *cand_txt)
{
	for (size_t k = first; k < p->ev->n_xs; k++) {
		ev_exchange_t *x = &p->ev->xs[k];
		if (x->purpose != EV_P_ANSWER)
			continue;
		char *z = strdup(cand_txt);
		if (!z)
			continue;
		free(x->zone);
		x->zone = z;
		x->purpose = EV_P_NS;
	}
}

/*
 * Walk down to `target` and ask for it. Returns the CNAME target to follow
 * next (caller frees) or NULL.
 */
static ldns_rdf *walk(probe_t *p, const ldns_rdf *target, uint16_t qtype, bool *asked,
		      size_t asked_cap)
{
	/* Where the answers start when the walk asked them already (SIZE_MAX: not asked). */
	size_t answered_at = SIZE_MAX, *answered_from = &answered_at;
	long czi = deepest_zone(p, target);
	if (czi < 0)
		return NULL;
	size_t zi = (size_t)czi;
	ldns_rdf *zone = ldns_dname_new_frm_str(p->ev->zones[zi].name);
	ldns_rdf *cand = zone ? next_candidate(zone, target) : NULL;
	unsigned depth = 0;
	bool descend = true;
	while (cand && descend && !p->stopped && depth++ < p->cfg->max_depth) {
		char *cand_txt = dd_name_text(cand);
		char *zone_txt = strdup(p->ev->zones[zi].name);
		if (!cand_txt || !zone_txt) {
			free(cand_txt);
			free(zone_txt);
			break;
		}
		size_t first = p->ev->n_xs;
		ask_apex(p, zi, asked);
		bool last = qtype != LDNS_RR_TYPE_DS && ldns_dname_compare(cand, target) == 0;
		answer_kind_t ak = ANS_UNCLEAR;
		if (last) {
			/* The last label: ask the question itself first. An answer
			 * plainly from this zone means no cut, and no NS/DS queries; a
			 * referral is the cut (its DS asked alongside the child's
			 * questions); anything else is settled by NS and DS as above. */
			send_zone(p, zi, zone_txt, EV_P_ANSWER, target, NULL, qtype);
			wait_all(p);
			ak = answer_kind(p, first, p->ev->n_xs, target, zone);
		}
		if (ak == ANS_FROM_ZONE) {
			*answered_from = first;
			free(cand_txt);
			free(zone_txt);
			descend = false;
			break;
		}
		if (ak == ANS_REFERRAL) {
			as_referrals(p, first, cand_txt);
		} else if (last) {
			send_zone(p, zi, cand_txt, EV_P_NS, cand, cand_txt, LDNS_RR_TYPE_NS);
			send_zone(p, zi, cand_txt, EV_P_DS, cand, cand_txt, LDNS_RR_TYPE_DS);
			wait_all(p);
		} else {
			/* The DS is asked below, only where a cut's referral lacks it. */
			send_zone(p, zi, cand_txt, EV_P_NS, cand, cand_txt, LDNS_RR_TYPE_NS);
			wait_all(p);
		}
		ev_zone_t child = {0};
		bool same = false;
		size_t end = p->ev->n_xs;
		bool *ds_carried = calloc(end - first + 1, sizeof(bool));
		cut_kind_t k = read_cut(p, first, end, cand, &child, &same, ds_carried);
		if (k == CUT_FOUND && !(last && ak == ANS_UNCLEAR))
			ask_ds_where_missing(p, first, end, cand, cand_txt, ds_carried);
		free(ds_carried);
		if (last && ak == ANS_UNCLEAR) {
			if (k == CUT_FOUND)
				as_referrals(p, first,
					     cand_txt); /* asked at the parent: not the answer */
			else
				*answered_from = first; /* no cut: they are the answer */
		}
		if (k == CUT_FOUND &&
		    (p->ev->n_zones >= asked_cap || p->ev->n_zones >= EV_MAX_ZONES)) {
			p->stopped =
			    true; /* a cut we cannot record: no verdict from a wrong zone */
		} else if (k == CUT_FOUND) {
			/* Addresses for servers without glue. */
			for (size_t i = 0; i < child.n_servers && !p->stopped; i++) {
				if (child.servers[i].n_addrs)
					continue;
				ldns_rdf *nsn = ldns_dname_new_frm_str(child.servers[i].name);
				if (nsn && (ldns_dname_compare(nsn, cand) == 0 ||
					    ldns_dname_is_subdomain(nsn, cand))) {
					/* In-bailiwick without glue: cannot be looked up. */
					free(child.servers[i].addr_error);
					child.servers[i].addr_error =
					    strdup("in-bailiwick name server without glue");
				} else if (nsn) {
					resolve_addrs(p, nsn, &child.servers[i], 0);
					if (!child.servers[i].n_addrs)
						child.servers[i].addr_error =
						    strdup("no address found for this name server");
				}
				ldns_rdf_deep_free(nsn);
			}
			ev_zone_t *z = ev_add_zone(p->ev, cand_txt, zone_txt);
			if (z) {
				z->servers = child.servers;
				z->n_servers = child.n_servers;
				z->parent_serves_child = same;
				z->ns_total = child.ns_total;
				child.servers = NULL;
				child.n_servers = 0;
				zi = p->ev->n_zones - 1;
				ldns_rdf_deep_free(zone);
				zone = ldns_rdf_clone(cand);
			}
		} else if (k == CUT_NXDOMAIN || k == CUT_SILENT) {
			descend = false;
		}
		scratch_clear(&child);
		free(cand_txt);
		free(zone_txt);
		/* Cut or not, the next candidate is one label further down. */
		ldns_rdf *next = next_candidate(cand, target);
		ldns_rdf_deep_free(cand);
		cand = descend ? next : NULL;
		if (!descend)
			ldns_rdf_deep_free(next);
	}
	bool too_deep = cand && descend && !p->stopped;
	ldns_rdf_deep_free(cand);
	ldns_rdf_deep_free(zone);
	if (too_deep) {
		/* max_depth labels walked and the name is still below: the zone
		 * that holds it is unknown, so its answer is not asked at all
		 * (a referral read as an answer would look like a bogus denial). */
		p->too_deep = true;
		p->stopped = true;
		return NULL;
	}

	/* The answer itself, from every server of the zone that holds it. A DS
	 * RRset lives at the parent side of a cut (RFC 4035 §3.1.4.1). */
	if (qtype == LDNS_RR_TYPE_DS && p->ev->zones[zi].parent) {
		char *tn = dd_name_text(target);
		if (tn && strcmp(tn, p->ev->zones[zi].name) == 0) {
			ev_zone_t *pz = ev_find_zone(p->ev, p->ev->zones[zi].parent);
			if (pz)
				zi = (size_t)(pz - p->ev->zones);
		}
		free(tn);
	}
	char *tt = dd_name_text(target);
	char *zt = strdup(p->ev->zones[zi].name);
	ldns_rdf *follow = NULL;
	if (tt && zt && !p->stopped) {
		ev_add_target(p->ev, tt, zt);
		size_t first = answered_at != SIZE_MAX ? answered_at : p->ev->n_xs;
		ask_apex(p, zi, asked);
		if (answered_at == SIZE_MAX)
			send_zone(p, zi, zt, EV_P_ANSWER, target, tt, qtype);
		ask_target_zone(p, zi);
		wait_all(p);
		for (size_t k = first; k < p->ev->n_xs && !follow; k++) {
			if (p->ev->xs[k].purpose != EV_P_ANSWER || qtype == LDNS_RR_TYPE_CNAME)
				continue;
			ldns_pkt *pkt = pkt_of(&p->ev->xs[k]);
			if (!pkt)
				continue;
			ldns_rr_list *cn = ldns_pkt_rr_list_by_name_and_type(
			    pkt, target, LDNS_RR_TYPE_CNAME, LDNS_SECTION_ANSWER);
			if (cn && ldns_rr_list_rr_count(cn) &&
			    ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0))
				follow = ldns_rdf_clone(ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0));
			ldns_rr_list_deep_free(cn);
		}
	}
	free(tt);
	free(zt);
	return follow;
}

/* ---- resolvers ------------------------------------------------------------ */

typedef struct rctx {
	probe_t *p;
	size_t ri;
	unsigned k;
} rctx_t;

static void on_resolver_answer(const engine_result_t *res, void *arg)
{
	rctx_t *q = arg;
	record_result(&q->p->ev->resolvers[q->ri].q[q->k], res);
	free(q);
}

/*
 * Put three questions to every resolver, on the resolver engine: the query
 * with DO (validation on), the same with CD, and the start zone's SOA (a
 * validating resolver sets AD on it). They run while the walk runs.
 */
static void ask_resolvers(probe_t *p, const ldns_rdf *target, uint16_t qtype, const ldns_rdf *start)
{
	const probe_cfg_t *cfg = p->cfg;
	for (size_t i = 0; i < cfg->n_resolvers; i++) {
		const probe_resolver_t *pr = &cfg->resolvers[i];
		ev_resolver_t *r =
		    ev_add_resolver(p->ev, pr->addr, pr->port, pr->label[0] ? pr->label : NULL);
		if (!r)
			return;
		size_t ri = (size_t)(r - p->ev->resolvers);
		struct sockaddr_storage ss;
		socklen_t sl = 0;
		int bad = make_sockaddr(pr->addr, pr->port, &ss, &sl);
		bool family = !bad && addr_family_ok(p, pr->addr);
		for (unsigned k = 0; k < EV_RQ__COUNT; k++) {
			ev_exchange_t *x = &p->ev->resolvers[ri].q[k];
			const ldns_rdf *qn = k == EV_RQ_CHECK ? start : target;
			x->server = strdup(pr->addr);
			x->ns_name = pr->label[0] ? strdup(pr->label) : NULL;
			x->qname = dd_name_text(qn);
			x->qtype = k == EV_RQ_CHECK ? LDNS_RR_TYPE_SOA : qtype;
			x->qflags = ENGINE_F_DO | ENGINE_F_RD | (k == EV_RQ_CD ? ENGINE_F_CD : 0);
			x->sent_ms = engine_elapsed_ms(p->eng);
			if (!x->server || !x->qname) {
				x->err = DD_ENOMEM;
				continue;
			}
			if (bad || !family) {
				x->err = DD_ENETWORK;
				x->why = strdup(bad ? "not an IP address"
						    : "not asked: this machine has no route for "
						      "its address family");
				continue;
			}
			char why[200] = "";
			if (cfg->gate &&
			    cfg->gate(cfg->gate_arg, pr->addr, true, why, sizeof(why))) {
				x->err = DD_EREFUSEDADDR;
				x->why = strdup(why[0] ? why : dd_strerror(DD_EREFUSEDADDR));
				continue;
			}
			rctx_t *q = malloc(sizeof(*q));
			if (!q) {
				x->err = DD_ENOMEM;
				continue;
			}
			*q = (rctx_t){p, ri, k};
			int rc = engine_query(p->reng, (struct sockaddr *)&ss, sl,
					      ldns_rdf_data(qn), ldns_rdf_size(qn), x->qtype,
					      x->qflags, on_resolver_answer, q);
			if (rc) {
				free(q);
				x->err = rc;
				x->why = strdup(dd_strerror(rc));
			}
		}
	}
}

int probe_run(const probe_cfg_t *cfg, const char *qname, uint16_t qtype, evidence_t **out)
{
	*out = NULL;
	ldns_rdf *target = NULL;
	if (ldns_str2rdf_dname(&target, qname) != LDNS_STATUS_OK || !target)
		return DD_EINVAL;
	ldns_dname2canonical(target);
	probe_t p = {.cfg = cfg};
	p.ev = ev_new();
	/* A check running as a coroutine shares its thread's loop (coro.h). */
	struct event_base *shared_base = coro_current() ? coro_thread_base() : NULL;
	p.base = shared_base ? shared_base : event_base_new();
	int ret = DD_ENOMEM;
	if (!p.ev || !p.base || engine_new(p.base, &cfg->engine, &p.eng))
		goto out;
	if (cfg->n_resolvers) {
		engine_cfg_t rc = cfg->resolver_engine;
		rc.deadline_ms = cfg->engine.deadline_ms;
		if (engine_new(p.base, &rc, &p.reng))
			goto out;
	}
	p.ev->qname = dd_name_text(target);
	p.ev->qtype = qtype;
	p.ev->probed_at = cfg->now;
	for (size_t i = 0; cfg->anchors && i < ldns_rr_list_rr_count(cfg->anchors); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(cfg->anchors, i));
		if (s) {
			s[strcspn(s, "\n")] = '\0';
			ev_add_anchor(p.ev, s);
		}
		free(s);
	}
	/* The starting zone from the hints: the owner of their NS records. */
	ldns_rdf *start = NULL;
	for (size_t i = 0; cfg->root_hints && i < ldns_rr_list_rr_count(cfg->root_hints); i++) {
		ldns_rr *rr = ldns_rr_list_rr(cfg->root_hints, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS) {
			start = ldns_rr_owner(rr);
			break;
		}
	}
	ret = DD_EINVAL;
	if (!start)
		goto out;
	char *st = dd_name_text(start);
	ev_zone_t *z = st ? ev_add_zone(p.ev, st, NULL) : NULL;
	free(st);
	if (!z)
		goto out;
	for (size_t i = 0; i < ldns_rr_list_rr_count(cfg->root_hints); i++) {
		ldns_rr *rr = ldns_rr_list_rr(cfg->root_hints, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || !ldns_rr_rdf(rr, 0))
			continue;
		char *nt = dd_name_text(ldns_rr_rdf(rr, 0));
		ev_server_t *s = nt ? ev_zone_add_server(z, nt) : NULL;
		free(nt);
		for (size_t j = 0; s && j < ldns_rr_list_rr_count(cfg->root_hints); j++) {
			ldns_rr *a = ldns_rr_list_rr(cfg->root_hints, j);
			if ((ldns_rr_get_type(a) == LDNS_RR_TYPE_A ||
			     ldns_rr_get_type(a) == LDNS_RR_TYPE_AAAA) &&
			    ldns_dname_compare(ldns_rr_owner(a), ldns_rr_rdf(rr, 0)) == 0 &&
			    ldns_rr_rdf(a, 0)) {
				char *at = ldns_rdf2str(ldns_rr_rdf(a, 0));
				if (at)
					ev_server_add_addr(s, at);
				free(at);
			}
		}
		if (s)
			s->from_glue = true;
	}
	if (!zone_addr_count(z))
		goto out;
	if (!ldns_dname_is_subdomain(target, start) && ldns_dname_compare(target, start) != 0) {
		ret = DD_EINVAL;
		goto out;
	}
	if (p.reng)
		ask_resolvers(&p, target, qtype, start);

	/* One "asked" flag per zone; zones are bounded by depth × CNAME links. */
	size_t asked_cap = (size_t)(cfg->max_depth + 1) * (cfg->max_cnames + 1);
	bool *asked = calloc(asked_cap, sizeof(bool));
	if (!asked) {
		ret = DD_ENOMEM;
		goto out;
	}
	ldns_rdf *cur = ldns_rdf_clone(target);
	for (unsigned links = 0; cur && !p.stopped; links++) {
		ldns_rdf *next = walk(&p, cur, qtype, asked, asked_cap);
		ldns_rdf_deep_free(cur);
		cur = NULL;
		if (next) {
			ldns_dname2canonical(next);
			char *nt = dd_name_text(next);
			bool inside = ldns_dname_is_subdomain(next, start) ||
				      ldns_dname_compare(next, start) == 0;
			bool seen = nt && target_seen(&p, nt);
			if (nt && !seen && links + 1 <= cfg->max_cnames && inside) {
				cur = next;
			} else {
				/* Record why the chain ends here: the analysis reports it. */
				if (nt && inside && !p.ev->cname_stop)
					p.ev->cname_stop = strdup(seen ? "loop" : "limit");
				ldns_rdf_deep_free(next);
			}
			free(nt);
		}
	}
	ldns_rdf_deep_free(cur);
	free(asked);
	/* Queries a walk sent without waiting (a DS asked alongside the child's
	 * questions) are done before the evidence is handed over. */
	wait_all(&p);
	if (p.reng)
		engine_wait(p.reng); /* usually done already: they ran alongside the walk */
	bool shortage = false;
	for (size_t i = 0; i < p.ev->n_xs && !shortage; i++)
		shortage = p.ev->xs[i].err == DD_EIO;
	if (engine_deadline_passed(p.eng)) {
		p.ev->probe_err = DD_EDEADLINE;
		p.ev->probe_why = strdup("the check's deadline passed before the walk finished");
	} else if (p.too_deep) {
		p.ev->probe_err = DD_ELIMIT;
		p.ev->probe_why = dd_asprintf("the name lies more than %u labels below the nearest "
					      "zone the walk knew; it stops there",
					      cfg->max_depth);
	} else if (p.budget_out) {
		p.ev->probe_err = DD_ELIMIT;
		p.ev->probe_why = dd_asprintf("%s; check again in a minute", p.budget_out);
	} else if (p.stopped) {
		p.ev->probe_err = DD_ELIMIT;
		p.ev->probe_why =
		    strdup("the check's query limit was reached before the walk finished");
	} else if (shortage) {
		p.ev->probe_err = DD_EIO;
		p.ev->probe_why = strdup("this machine could not open a socket for every query "
					 "(open-file limit reached), "
					 "so some servers were not asked");
	}
	ev_drop_unneeded(p.ev);
	p.ev->elapsed_ms = engine_elapsed_ms(p.eng);
	p.ev->queries = engine_queries_sent(p.eng);
	*out = p.ev;
	p.ev = NULL;
	ret = 0;
out:
	if (p.reng)
		engine_free(p.reng);
	if (p.eng)
		engine_free(p.eng);
	if (p.base && p.base != shared_base)
		event_base_free(p.base);
	ev_free(p.ev);
	free(p.budget_out);
	ldns_rdf_deep_free(target);
	return ret;
}
