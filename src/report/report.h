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

/* One-line verdict ("bogus: the chain breaks at example. (EDE 7 Signature Expired)"). Caller frees. */
char *rep_verdict_line(const an_result_t *r);

/* The emergency stop and its cost, or NULL when none applies. Caller frees. */
char *rep_emergency(const an_result_t *r);
