/* fuzz_evidence.h -- shared by the evidence and analysis targets: bytes as
 * `dnssec-doctor analyse FILE` reads them (JSON, then the strict loader). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "evidence/evidence.h"

/* The evidence in `data`, or NULL when it is not JSON or the loader refuses it. */
static evidence_t *fuzz_load_evidence(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return NULL;
	evidence_t *ev = NULL;
	char err[300];
	if (ev_from_json(root, &ev, err, sizeof(err)) != 0)
		ev = NULL;
	json_decref(root);
	return ev;
}
