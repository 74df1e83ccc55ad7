/*
 * watch_int.h — what the files of src/watch/ share among themselves (not
 * part of the module's face, watch.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthread.h>

#include <event2/event.h>
#include <event2/http.h>

#include "cli/options.h"
#include "watch/watch.h"

typedef struct watch_cfg {
	dd_opts_t o; /* the check options (through dd_check_setup) */
	const char *names_file;
	unsigned interval_s; /* --interval, default 300 */
	unsigned keep_days;  /* --keep-days, default 90 */
	unsigned max_checks; /* --max-checks, default 16 */
	unsigned rounds;     /* --rounds: stop after checking every name this often; 0: never */
	char db_path[4096];  /* --db */
	char listen[80];     /* --listen, "" for no HTTP */
} watch_cfg_t;

/* One line of the names file. */
typedef struct watch_name {
	char *name;    /* canonical */
	char type[24]; /* mnemonic, upper case */
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

#define FP_MAX 1024

typedef struct watch_entry {
	char *name;
	char type[24];
	uint16_t qtype;
	bool running, gone, checked;
	int64_t due_ms;	   /* monotonic */
	unsigned rounds;   /* checks finished */
	watch_rec_t rec;   /* the last result */
	uint64_t last_fp;  /* the fingerprint of the last history row, hashed (0: none) */
	int64_t last_fp_t; /* and its time */
} watch_entry_t;

typedef struct watch_job {
	struct watch_job *next;
	watch_entry_t *e; /* main thread only */
	char name[1024];
	char type[24];
	uint16_t qtype;
	uint64_t last_fp;
	/* filled by the worker */
	watch_rec_t rec;
	uint64_t fp;
	char *report; /* the JSON report when the fingerprint changed */
} watch_job_t;

typedef struct watcher {
	watch_cfg_t *cfg;
	dd_opts_t o; /* shallow copy of cfg->o with the shared caches */
	struct event_base *base;
	struct evhttp *http;
	struct event *tick, *flush, *pipe_ev, *sig_hup, *sig_term, *sig_int;
	watch_entry_t **e; /* sorted by name and type */
	size_t n_e;
	size_t cursor; /* where the next schedule pass starts */
	watch_db_t *db;
	unsigned long checks_total[5];
	int64_t last_prune;
	bool stopping;
	uint64_t rng;
	/* shared with the workers */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	watch_job_t *todo, *todo_tail, *done;
	unsigned queued;  /* jobs taken from the schedule, not yet filed (main thread) */
	unsigned waiting; /* jobs on todo */
	bool quit;	  /* workers: stop when todo is empty */
	int pipe_r, pipe_w;
	pthread_t *threads;
	unsigned n_threads;
} watcher_t;

/* Write the queued history (main thread); prune once an hour. */
void watch_flush(watcher_t *w);

/* Serve --listen on the watcher's loop. Returns 0, or DD_EINVAL / DD_EIO / DD_ENOMEM with a
 * message. */
int watch_http_start(watcher_t *w, char *err, size_t err_size);
