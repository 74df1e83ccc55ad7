#include <stdlib.h>
#include <string.h>

#include "common/dd.h"
#include "report/report.h"

static json_t *time_json(int64_t t)
{
	char buf[40];
	if (!t)
		return json_null();
	an_time_text(t, buf, sizeof(buf));
	return json_string(buf);
}

/* The records a fix proposes (its data, one record a line), as an array of strings. */
static json_t *records_json(const char *data)
{
	json_t *recs = json_array();
	char *copy = strdup(data ? data : ""), *save = NULL;
	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ')
			line++;
		if (*line)
			json_array_append_new(recs, json_string(line));
	}
	free(copy);
	return recs;
}

static json_t *finding_json(const an_finding_t *f)
{
	const an_finding_def_t *d = an_finding_def(f->id);
	json_t *j = json_object();
	json_object_set_new(j, "id", json_string(d->id));
	json_object_set_new(j, "severity", json_string(an_severity_name(d->severity)));
	json_object_set_new(j, "zone", json_string(f->zone));
	json_object_set_new(j, "rrset", f->rrset ? json_string(f->rrset) : json_null());
	json_t *servers = json_array();
	for (size_t i = 0; i < f->n_servers; i++)
		json_array_append_new(servers, json_string(f->servers[i]));
	json_object_set_new(j, "servers", servers);
	json_object_set_new(j, "ede", d->ede >= 0 ? json_integer(d->ede) : json_null());
	json_object_set_new(j, "rfc", json_string(d->rfc));
	json_object_set_new(j, "summary", json_string(f->summary ? f->summary : ""));
	json_object_set_new(j, "fix", json_string(f->fix ? f->fix : ""));
	json_object_set_new(j, "who", json_string(an_who_name(f->who)));
	json_object_set_new(j, "when", time_json(f->when));
	if (f->data && f->data[0])
		json_object_set_new(j, "records", records_json(f->data));
	return j;
}

static json_t *link_json(const an_link_t *l)
{
	json_t *j = json_object();
	json_object_set_new(j, "zone", json_string(l->zone));
	json_object_set_new(j, "status", json_string(an_status_name(l->status)));
	json_object_set_new(j, "trust_anchor", json_boolean(l->anchored));
	json_t *ds = json_array();
	for (size_t i = 0; i < l->n_ds; i++) {
		json_t *d = json_object();
		json_object_set_new(d, "key_tag", json_integer(l->ds[i].tag));
		json_object_set_new(d, "algorithm", json_integer(l->ds[i].algorithm));
		json_object_set_new(d, "digest_type", json_integer(l->ds[i].digest_type));
		json_object_set_new(d, "matches_key", json_boolean(l->ds[i].matched));
		json_object_set_new(d, "record",
				    l->ds[i].text ? json_string(l->ds[i].text) : json_null());
		json_array_append_new(ds, d);
	}
	json_object_set_new(j, "ds", ds);
	json_t *keys = json_array();
	for (size_t i = 0; i < l->n_keys; i++) {
		const an_key_t *k = &l->keys[i];
		json_t *d = json_object();
		json_object_set_new(d, "key_tag", json_integer(k->tag));
		json_object_set_new(d, "algorithm", json_integer(k->algorithm));
		json_object_set_new(d, "flags", json_integer(k->flags));
		json_object_set_new(d, "sep", json_boolean(k->flags & 1));
		json_object_set_new(d, "revoked", json_boolean(k->flags & 0x80));
		json_object_set_new(d, "bits", json_integer(k->bits));
		json_object_set_new(d, "matched_by_ds", json_boolean(k->ds_match));
		json_object_set_new(d, "signs_dnskey", json_boolean(k->signs_dnskey));
		json_array_append_new(keys, d);
	}
	json_object_set_new(j, "dnskey", keys);
	json_object_set_new(j, "servers_validated", json_integer(l->servers_ok));
	json_object_set_new(j, "servers_checked", json_integer(l->servers_total));
	return j;
}

static json_t *rcode_json(int rcode)
{
	char b[16];
	if (rcode < 0)
		return json_null();
	an_rcode_text(rcode, b);
	return json_string(b);
}

static json_t *ede_seen_json(const an_ede_seen_t *e, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "code", json_integer(e[i].code));
		json_object_set_new(o, "name", json_string(an_ede_name(e[i].code)));
		json_object_set_new(o, "text", json_string(e[i].text ? e[i].text : ""));
		json_object_set_new(o, "finding",
				    e[i].finding ? json_string(e[i].finding) : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *tri_json(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static json_t *resolver_json(const an_resolver_t *v)
{
	json_t *j = json_object();
	json_object_set_new(j, "address", json_string(v->address ? v->address : ""));
	json_object_set_new(j, "port", json_integer(v->port));
	json_object_set_new(j, "label", v->label ? json_string(v->label) : json_null());
	json_object_set_new(j, "validating", tri_json(v->validating));
	json_object_set_new(j, "agrees", tri_json(v->agrees));
	json_object_set_new(j, "rcode", rcode_json(v->rcode));
	json_object_set_new(j, "rcode_cd", rcode_json(v->rcode_cd));
	json_object_set_new(j, "ad", json_boolean(v->ad));
	json_object_set_new(j, "ad_cd", json_boolean(v->ad_cd));
	json_object_set_new(j, "ede", ede_seen_json(v->ede, v->n_ede));
	json_object_set_new(j, "ede_cd", ede_seen_json(v->ede_cd, v->n_ede_cd));
	json_object_set_new(j, "error", v->error ? json_string(v->error) : json_null());
	json_object_set_new(j, "error_cd", v->error_cd ? json_string(v->error_cd) : json_null());
	json_object_set_new(j, "rtt_ms", json_integer(v->rtt_ms));
	json_object_set_new(j, "rtt_cd_ms", json_integer(v->rtt_cd_ms));
	json_t *ans = json_array();
	for (size_t i = 0; i < v->n_answer; i++)
		json_array_append_new(ans, json_string(v->answer[i]));
	json_object_set_new(j, "answer", ans);
	return j;
}

json_t *rep_json(const an_result_t *r, const evidence_t *ev)
{
	json_t *j = json_object();
	if (!j)
		return NULL;
	json_object_set_new(j, "version", json_integer(1));
	json_t *q = json_object();
	json_object_set_new(q, "name", json_string(r->qname ? r->qname : ""));
	char *t = ldns_rr_type2str((ldns_rr_type)r->qtype);
	json_object_set_new(q, "type", json_string(t ? t : "?"));
	free(t);
	json_object_set_new(j, "query", q);
	json_object_set_new(j, "status", json_string(an_status_name(r->status)));
	json_t *ede = json_array();
	for (size_t i = 0; i < r->n_ede; i++)
		json_array_append_new(ede, json_integer(r->ede[i]));
	json_object_set_new(j, "ede", ede);
	json_object_set_new(j, "broken_zone",
			    r->broken_zone ? json_string(r->broken_zone) : json_null());
	json_t *fs = json_array();
	for (size_t i = 0; i < r->n_findings; i++)
		json_array_append_new(fs, finding_json(&r->findings[i]));
	json_object_set_new(j, "findings", fs);
	json_t *chain = json_array();
	for (size_t i = 0; i < r->n_chain; i++)
		json_array_append_new(chain, link_json(&r->chain[i]));
	json_object_set_new(j, "chain", chain);
	json_t *res = json_array();
	for (size_t i = 0; i < r->n_resolvers; i++)
		json_array_append_new(res, resolver_json(&r->resolvers[i]));
	json_object_set_new(j, "resolvers", res);
	json_object_set_new(j, "diagnosis", json_string(an_diagnosis_name(r->diagnosis)));
	json_t *sv = json_array();
	for (size_t i = 0; i < r->n_servers; i++) {
		const an_server_view_t *v = &r->servers[i];
		json_t *o = json_object();
		json_object_set_new(o, "zone", json_string(v->zone ? v->zone : ""));
		json_object_set_new(o, "ns", json_string(v->ns ? v->ns : ""));
		json_object_set_new(o, "address", json_string(v->address ? v->address : ""));
		json_object_set_new(o, "serial",
				    v->serial >= 0 ? json_integer(v->serial) : json_null());
		json_object_set_new(o, "dnskey", v->dnskey ? json_string(v->dnskey) : json_null());
		json_object_set_new(o, "answer", v->answer ? json_string(v->answer) : json_null());
		json_object_set_new(o, "status", json_string(v->status ? v->status : ""));
		json_t *ids = json_array();
		for (char *p = v->findings, *e; p && *p; p = e) {
			e = strstr(p, ", ");
			size_t n = e ? (size_t)(e - p) : strlen(p);
			json_array_append_new(ids, json_stringn(p, n));
			e = e ? e + 2 : p + n;
		}
		json_object_set_new(o, "findings", ids);
		json_array_append_new(sv, o);
	}
	json_object_set_new(j, "servers", sv);
	json_object_set_new(j, "whatif_ds_zone",
			    r->whatif_zone ? json_string(r->whatif_zone) : json_null());
	json_object_set_new(j, "diagnosis_text",
			    r->diagnosis_text ? json_string(r->diagnosis_text) : json_null());
	json_object_set_new(j, "probed_at", time_json(r->probed_at));
	json_object_set_new(j, "validated_at", time_json(r->validated_at));
	json_object_set_new(j, "earliest_expiry", time_json(r->earliest_expiry));
	json_t *ans = json_object();
	json_object_set_new(ans, "rcode",
			    r->answer_rcode ? json_string(r->answer_rcode) : json_null());
	json_t *recs = json_array();
	for (size_t i = 0; i < r->n_answer; i++)
		json_array_append_new(recs, json_string(r->answer[i] ? r->answer[i] : ""));
	json_object_set_new(ans, "records", recs);
	json_object_set_new(j, "answer", ans);
	rep_advice_t a;
	if (rep_advice(r, &a) != 0) {
		rep_advice_clear(&a);
		json_decref(j);
		return NULL;
	}
	json_object_set_new(j, "verdict", json_string(a.verdict));
	json_object_set_new(j, "emergency_stop",
			    a.emergency ? json_string(a.emergency) : json_null());
	json_t *adv = json_object();
	json_object_set_new(adv, "who", json_string(an_who_name(a.who)));
	json_object_set_new(adv, "who_text", a.who_text ? json_string(a.who_text) : json_null());
	json_object_set_new(adv, "fix", a.fix ? json_string(a.fix) : json_null());
	json_object_set_new(adv, "emergency_stop",
			    a.emergency ? json_string(a.emergency) : json_null());
	json_object_set_new(adv, "urgency", a.urgency ? json_string(a.urgency) : json_null());
	json_object_set_new(j, "advice", adv);
	/* What to do, for programs: who, the fix and its records, the emergency stop, and by when.
	 */
	json_t *act = json_object();
	json_object_set_new(act, "who", json_string(an_who_name(a.who)));
	json_object_set_new(act, "fix", a.fix ? json_string(a.fix) : json_null());
	json_object_set_new(
	    act, "records",
	    records_json(a.basis && a.fix && a.basis->fix && !strcmp(a.fix, a.basis->fix)
			     ? a.basis->data
			     : NULL));
	json_object_set_new(act, "emergency_stop",
			    a.emergency ? json_string(a.emergency) : json_null());
	json_object_set_new(act, "deadline", time_json(a.deadline));
	json_object_set_new(j, "action", act);
	rep_advice_clear(&a);
	if (ev) {
		json_t *p = json_object();
		json_object_set_new(p, "queries", json_integer(ev->queries));
		json_object_set_new(p, "elapsed_ms", json_integer(ev->elapsed_ms));
		json_object_set_new(j, "probe", p);
	}
	return j;
}
