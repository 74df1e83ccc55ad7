/*
 * scan.h — check many names: "NAME [TYPE]" lines in, version-1 JSON lines out.
 */
#pragma once

#include <stdio.h>

#include "cli/options.h"

/*
 * Scan the lines of `in` with the (set-up) options `o`, writing one JSON
 * object a line to `out`; progress and a summary go to standard error.
 * Blank lines and lines starting with '#' are skipped; a line that cannot
 * be checked gets {"query": ..., "status": "indeterminate", "error": ...}.
 * Returns the worst exit code of the names (0, 1, 2 or 3).
 */
int dd_scan(const dd_opts_t *o, FILE *in, FILE *out);
