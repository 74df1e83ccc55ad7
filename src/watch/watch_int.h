/*
 * watch_int.h — what the files of src/watch/ share among themselves (not
 * part of the module's face, watch.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/options.h"

typedef struct watch_cfg {
	dd_opts_t o;            /* the check options (through dd_check_setup) */
	const char *names_file;
	unsigned interval_s;    /* --interval, default 300 */
	unsigned keep_days;     /* --keep-days, default 90 */
	unsigned max_checks;    /* --max-checks, default 16 */
	unsigned rounds;        /* --rounds: stop after checking every name this often; 0: never */
	char db_path[4096];     /* --db */
	char listen[80];        /* --listen, "" for no HTTP */
} watch_cfg_t;

/* One line of the names file. */
typedef struct watch_name {
	char *name;             /* canonical */
	char type[24];          /* mnemonic, upper case */
	uint16_t qtype;
} watch_name_t;

#define WATCH_NAMES_MAX 1000000

/*
 * Read a names file ("NAME [TYPE]" lines, '#' comments, blank lines), sorted
 * by name and type, duplicates dropped. Returns 0, or DD_EIO / DD_EINVAL /
 * DD_ENOMEM with "FILE line N: ..." in `err`.
 */
int watch_names_load(const char *path, watch_name_t **out, size_t *n, char *err, size_t err_size);
void watch_names_free(watch_name_t *v, size_t n);
int watch_name_cmp(const char *name_a, const char *type_a, const char *name_b, const char *type_b);

/* Run the watcher until SIGTERM/SIGINT (or --rounds). Returns the exit code. */
int watch_run(watch_cfg_t *cfg);
