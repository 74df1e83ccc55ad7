/*
 * metrics.c — what watch keeps of a result (watch_rec_t), its fingerprint
 * for the history, and the Prometheus text exposition of all names.
 *
 * Exposition format 0.0.4: "# HELP" and "# TYPE" once per family, then one
 * line per series; label values escape backslash, double quote and newline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dd.h"
#include "watch/watch.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void watch_rec_from_result(watch_rec_t *rec, const an_result_t *r)
{
	rec->status = r->status;
	rec->n_ede = r->n_ede < DD_ARRAY_LEN(rec->ede) ? r->n_ede : DD_ARRAY_LEN(rec->ede);
	memcpy(rec->ede, r->ede, rec->n_ede * sizeof(int));
	snprintf(rec->broken_zone, sizeof(rec->broken_zone), "%s",
		 r->broken_zone ? r->broken_zone : "");
	memset(rec->severity, 0, sizeof(rec->severity));
	rec->ids[0] = '\0';
	rec->error[0] = '\0';
	rec->earliest_expiry = r->earliest_expiry;
	const char **ids = r->n_findings ? calloc(r->n_findings, sizeof(char *)) : NULL;
	size_t n = 0;
	for (size_t i = 0; i < r->n_findings; i++) {
		const an_finding_def_t *d = an_finding_def(r->findings[i].id);
		if (d->severity <= AN_ERROR)
			rec->severity[d->severity]++;
		if (ids)
			ids[n++] = d->id;
	}
	if (n)
		qsort(ids, n, sizeof(char *), cmp_str);
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(ids[i], ids[i - 1]) == 0)
			continue;
		size_t l = strlen(ids[i]);
		if (len + l + 2 > sizeof(rec->ids))
			break; /* cut at a whole id */
		if (len)
			rec->ids[len++] = ',';
		memcpy(rec->ids + len, ids[i], l + 1);
		len += l;
	}
	free(ids);
}

void watch_fingerprint(const watch_rec_t *rec, char *buf, size_t size)
{
	char ede[64] = "";
	size_t el = 0;
	for (size_t i = 0; i < rec->n_ede && el < sizeof(ede) - 12; i++)
		el +=
		    (size_t)snprintf(ede + el, sizeof(ede) - el, "%s%d", i ? "," : "", rec->ede[i]);
	snprintf(buf, size, "%s|%s|%s|%s|%lld", an_status_name(rec->status), ede, rec->broken_zone,
		 rec->ids, (long long)rec->earliest_expiry);
}

uint64_t watch_fp_hash(const char *fp)
{
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *c = (const unsigned char *)fp; *c; c++)
		h = (h ^ *c) * 1099511628211ull;
	return h ? h : 1; /* 0 stands for "no row" */
}

watch_row_t watch_row_decide(const char *last_fp, int64_t last_t, const char *fp, int64_t now)
{
	return watch_row_decide_hash(last_fp && last_fp[0] ? watch_fp_hash(last_fp) : 0, last_t,
				     watch_fp_hash(fp), now);
}

watch_row_t watch_row_decide_hash(uint64_t last_fp, int64_t last_t, uint64_t fp, int64_t now)
{
	if (!last_fp || last_fp != fp)
		return WATCH_ROW_CHANGE;
	/* A clock set back makes now < last_t: wait for it to pass again, rather than
	 * a heartbeat per check. */
	if (now - last_t >= WATCH_HEARTBEAT_S)
		return WATCH_ROW_HEARTBEAT;
	return WATCH_ROW_NONE;
}

void watch_label_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '"')
			fputs("\\\"", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* `metric{name="...",type="..."` — the caller adds further labels and the closing brace. */
static void series_open(FILE *out, const char *metric, const watch_series_t *s)
{
	fprintf(out, "%s{name=\"", metric);
	watch_label_escape(out, s->name);
	fputs("\",type=\"", out);
	watch_label_escape(out, s->type);
	fputc('"', out);
}

static const an_status_t all_status[5] = {AN_SECURE, AN_INSECURE, AN_BOGUS, AN_INDETERMINATE,
					  AN_UNREACHABLE};

void watch_metrics_write(FILE *out, const watch_series_t *s, size_t n,
			 const unsigned long checks_total[5], size_t n_watched)
{
	family(out, "dnssec_doctor_status", "gauge",
	       "DNSSEC status of the name: 1 for the current status, 0 for the other four.");
	for (size_t i = 0; i < n; i++) {
		if (!s[i].checked)
			continue;
		for (size_t k = 0; k < 5; k++) {
			series_open(out, "dnssec_doctor_status", &s[i]);
			fprintf(out, ",status=\"%s\"} %d\n", an_status_name(all_status[k]),
				s[i].rec->status == all_status[k]);
		}
	}
	family(out, "dnssec_doctor_signature_expiry_timestamp_seconds", "gauge",
	       "Earliest expiry (Unix time) of a valid signature the verdict rests on.");
	for (size_t i = 0; i < n; i++) {
		if (!s[i].checked || !s[i].rec->earliest_expiry)
			continue;
		series_open(out, "dnssec_doctor_signature_expiry_timestamp_seconds", &s[i]);
		fprintf(out, "} %lld\n", (long long)s[i].rec->earliest_expiry);
	}
	family(out, "dnssec_doctor_findings", "gauge", "Findings of the last check, per severity.");
	static const an_severity_t sev[3] = {AN_ERROR, AN_WARNING, AN_NOTICE};
	for (size_t i = 0; i < n; i++) {
		if (!s[i].checked)
			continue;
		for (size_t k = 0; k < 3; k++) {
			series_open(out, "dnssec_doctor_findings", &s[i]);
			fprintf(out, ",severity=\"%s\"} %u\n", an_severity_name(sev[k]),
				s[i].rec->severity[sev[k]]);
		}
	}
	family(out, "dnssec_doctor_check_duration_seconds", "gauge",
	       "How long the last check of the name took.");
	for (size_t i = 0; i < n; i++) {
		if (!s[i].checked)
			continue;
		series_open(out, "dnssec_doctor_check_duration_seconds", &s[i]);
		fprintf(out, "} %.3f\n", s[i].rec->duration_s);
	}
	family(out, "dnssec_doctor_last_check_timestamp_seconds", "gauge",
	       "When (Unix time) the last check of the name started.");
	for (size_t i = 0; i < n; i++) {
		if (!s[i].checked)
			continue;
		series_open(out, "dnssec_doctor_last_check_timestamp_seconds", &s[i]);
		fprintf(out, "} %lld\n", (long long)s[i].rec->checked_at);
	}
	family(out, "dnssec_doctor_checks_total", "counter",
	       "Checks finished since the start, per status.");
	for (size_t k = 0; k < 5; k++)
		fprintf(out, "dnssec_doctor_checks_total{status=\"%s\"} %lu\n",
			an_status_name(all_status[k]), checks_total[all_status[k]]);
	family(out, "dnssec_doctor_watched_names", "gauge", "Names in the names file.");
	fprintf(out, "dnssec_doctor_watched_names %zu\n", n_watched);
}
