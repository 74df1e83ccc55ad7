/*
 * report_nagios.c — the monitoring-plugin line (Nagios, Icinga, Checkmk):
 * "DNSSEC CRITICAL - www.example. bogus: … | expiry=…s;…;… queries=… time=…s".
 * One line of text then performance data, and the exit code the check
 * already has (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
 */
#include <stdio.h>
#include <string.h>

#include "common/dd.h"
#include "report/report.h"

static const char *const state_name[4] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

/* Plugin output is one line, and '|' starts the performance data: neither may appear in the text.
 */
static void plain(FILE *out, const char *s)
{
	for (; s && *s; s++)
		fputc(*s == '|' ? '/' : (*s == '\n' || *s == '\r' || *s == '\t') ? ' ' : *s, out);
}

void rep_nagios_unknown(FILE *out, const char *why)
{
	fputs("DNSSEC UNKNOWN - ", out);
	plain(out, why);
	fputc('\n', out);
}

void rep_nagios(FILE *out, const an_result_t *r, const evidence_t *ev, unsigned warn_days)
{
	int code = an_exit_code(r);
	if (code < 0 || code > 3)
		code = 3;
	rep_advice_t a;
	rep_advice(r, &a); /* out of memory: no verdict text, the rest still prints */
	fprintf(out, "DNSSEC %s - %s ", state_name[code], r->qname ? r->qname : "?");
	plain(out, a.verdict ? a.verdict : an_status_name(r->status));
	rep_advice_clear(&a);
	/* The findings that set the state (errors and warnings), by id. */
	bool first = true;
	for (size_t i = 0; i < r->n_findings; i++) {
		const an_finding_def_t *d = an_finding_def(r->findings[i].id);
		if (d->severity == AN_NOTICE)
			continue;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = r->findings[k].id == r->findings[i].id;
		if (seen)
			continue;
		fprintf(out, "%s%s", first ? "; " : ", ", d->id);
		first = false;
	}
	unsigned err = 0, warn = 0;
	for (size_t i = 0; i < r->n_findings; i++) {
		an_severity_t s = an_finding_def(r->findings[i].id)->severity;
		err += s == AN_ERROR;
		warn += s == AN_WARNING;
	}
	fputs(" |", out);
	if (r->earliest_expiry)
		fprintf(out, " expiry=%llds;%llu;0",
			(long long)(r->earliest_expiry - r->validated_at),
			(unsigned long long)warn_days * 86400);
	if (ev)
		fprintf(out, " queries=%u time=%.3fs", ev->queries, ev->elapsed_ms / 1000.0);
	fprintf(out, " errors=%u warnings=%u\n", err, warn);
}
