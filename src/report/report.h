/*
 * report.h — render an analysis as the version-1 JSON contract or as text.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "analyse/analyse.h"
#include "evidence/evidence.h"

/* The version-1 JSON object (caller owns), or NULL on out of memory. */
json_t *rep_json(const an_result_t *r, const evidence_t *ev);

/* The text report: the operator's checks, then the verdict and the fix.
 * `color`: ANSI colours (only on a terminal). */
void rep_text(FILE *out, const an_result_t *r, const evidence_t *ev, bool color);

/*
 * The monitoring-plugin output (--format nagios): "DNSSEC CRITICAL - NAME
 * bogus: … | expiry=…s;WARN;0 queries=… time=…s errors=… warnings=…";
 * `warn_days` is the policy's. The exit code is an_exit_code(r).
 */
void rep_nagios(FILE *out, const an_result_t *r, const evidence_t *ev, unsigned warn_days);
/* "DNSSEC UNKNOWN - why" (the check could not run; exit 3). */
void rep_nagios_unknown(FILE *out, const char *why);

/* The verdict block, worded for the case at hand (one server of several, a TLD
 * above the user's zone, an alias into a broken zone, a denial proof). Every
 * output (text, JSON, the web page) takes it from here. */
typedef struct rep_advice {
	char
	    *verdict; /* one sentence: "bogus: the chain of trust breaks at example. (EDE 7 ...)" */
	an_who_t who; /* who must act; AN_WHO_NONE when nobody must */
	char *who_text;	 /* "the DNS operator of example.", or NULL */
	char *fix;	 /* the exact thing to change, or NULL */
	char *emergency; /* the emergency stop that fits, with its cost, or NULL */
	char *urgency;	 /* "now: ...", "before DATE ...", or NULL when nothing needs doing */
	const an_finding_t
	    *basis; /* the finding the advice rests on (its records), or NULL; into the result */
	int64_t deadline; /* when it fails: now for bogus or unreachable, the date a warning comes
			     due; 0: none */
} rep_advice_t;

/* Fill `a` (the caller clears it with rep_advice_clear, also on failure).
 * Returns 0 or DD_ENOMEM. */
int rep_advice(const an_result_t *r, rep_advice_t *a);
void rep_advice_clear(rep_advice_t *a);

/* The finding that explains the verdict: the first error at the broken zone
 * (or anywhere when none is broken), or NULL. Points into `r`. */
const an_finding_t *rep_main_finding(const an_result_t *r);

/* Write `s` with &, <, >, " and ' escaped for XML/HTML text and attributes;
 * control characters other than newline and tab become U+FFFD; at most
 * `max` characters (then "…"; 0: no limit). NULL writes nothing. */
void rep_xml_escape(FILE *out, const char *s, size_t max);

/*
 * The chain diagram as SVG: trust anchor → root → TLD → zone → name, each
 * link green (secure), amber (insecure, warnings, no verdict) or red
 * (broken), with the broken link marked in words too (no colour-only
 * meaning). `standalone`: an XML document with its declaration; otherwise
 * an <svg> element to put inside HTML. Uses presentation attributes only
 * (no style attribute, no script), so it passes a strict CSP.
 */
void rep_svg(FILE *out, const an_result_t *r, bool standalone);
