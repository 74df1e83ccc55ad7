#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check/check.h"
#include "common/dd.h"
#include "probe/probe.h"

bool dd_offline(void)
{
	const char *v = getenv("DNSSEC_DOCTOR_OFFLINE");
	return v && *v && strcmp(v, "0") != 0;
}

/* Is there a route for this family? connect() on UDP sends nothing. */
static bool have_route(int family)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(53);
		inet_pton(AF_INET6, "2001:500:2f::f", &s6->sin6_addr);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(53);
		inet_pton(AF_INET, "192.5.5.241", &s4->sin_addr);
		len = sizeof(*s4);
	}
	bool ok = connect(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return ok;
}

void dd_check_selftest(dd_opts_t *o)
{
	an_crypto_selftest(o->policy.alg_verifies);
	o->policy.selftest_done = true;
}

int dd_check_setup(dd_opts_t *o, char *err, size_t err_size)
{
	dd_check_selftest(o);
	if (!o->hints_given) {
		if (dd_offline()) {
			snprintf(err, err_size,
				 "DNSSEC_DOCTOR_OFFLINE is set: the built-in root servers are "
				 "refused; give --root-hints FILE");
			return DD_EOFFLINE;
		}
		if (dd_builtin_hints(&o->hints)) {
			snprintf(err, err_size, "out of memory");
			return DD_ENOMEM;
		}
	}
	if (!o->anchors_given && !o->anchors && dd_builtin_anchors(&o->anchors)) {
		snprintf(err, err_size, "out of memory");
		return DD_ENOMEM;
	}
	o->v6_route = !o->v4_only && have_route(AF_INET6);
	if (!o->no_resolvers && o->n_resolvers == 0) {
		if (dd_offline()) {
			snprintf(
			    err, err_size,
			    "DNSSEC_DOCTOR_OFFLINE is set: the built-in public resolvers and the "
			    "system resolver are refused; give --resolver ADDR or --no-resolvers");
			return DD_EOFFLINE;
		}
		if (dd_default_resolvers(o->v6_route, "/etc/resolv.conf", &o->resolvers,
					 &o->n_resolvers)) {
			snprintf(err, err_size, "out of memory");
			return DD_ENOMEM;
		}
	}
	return 0;
}

int dd_check_probe(const dd_opts_t *o, const char *name, uint16_t qtype, int64_t now,
		   evidence_t **ev, char *err, size_t err_size)
{
	probe_cfg_t pc;
	probe_cfg_default(&pc);
	pc.engine = o->engine;
	pc.root_hints = o->hints;
	pc.anchors = o->anchors;
	pc.use_v4 = !o->v6_only;
	pc.use_v6 = o->v6_route;
	pc.now = now;
	pc.cache = o->pcache;
	pc.gate = o->gate;
	pc.ungate = o->ungate;
	pc.gate_arg = o->gate_arg;
	if (!o->no_resolvers) {
		pc.resolvers = o->resolvers;
		pc.n_resolvers = o->n_resolvers;
	}
	int r = probe_run(&pc, name, qtype, ev);
	if (r)
		snprintf(err, err_size, "%s: %s", name,
			 r == DD_EINVAL
			     ? "the root hints hold no usable server, or the name lies outside them"
			     : dd_strerror(r));
	return r;
}

int dd_check_analyse(const dd_opts_t *o, const evidence_t *ev, an_result_t **res)
{
	int64_t at = o->have_at ? o->at : ev->probed_at;
	an_policy_t pol = o->policy;
	ldns_rr_list *whatif = NULL;
	if (o->n_ds_whatif) {
		/* Bare RDATA is for the zone that holds the queried name. */
		const char *zone =
		    ev->n_targets && ev->targets[0].zone ? ev->targets[0].zone : ev->qname;
		whatif = ldns_rr_list_new();
		for (size_t i = 0; whatif && i < o->n_ds_whatif; i++) {
			ldns_rr *rr = NULL;
			if (dd_parse_ds(o->ds_whatif[i], zone ? zone : ".", &rr) == 0)
				ldns_rr_list_push_rr(whatif, rr);
		}
		if (!whatif)
			return DD_ENOMEM;
		pol.ds_whatif = whatif;
	}
	int r = an_analyse(ev, at, &pol, o->anchors_given ? o->anchors : NULL, res);
	ldns_rr_list_deep_free(whatif);
	return r;
}
