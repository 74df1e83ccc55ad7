/*
 * watch.h — `dnssec-doctor watch`: check a list of names again and again,
 * export the results as Prometheus metrics, keep their history in SQLite;
 * and `dnssec-doctor history`: print that history.
 *
 * watch.c runs the schedule (monotonic clock), the worker threads and the
 * HTTP side; metrics.c writes the text exposition; history.c decides which
 * results become rows and talks to SQLite; page.c renders the status page.
 * See docs/watch.md.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyse/analyse.h"

/* `dnssec-doctor watch [options] NAMES-FILE` (argv[1] is "watch"). Returns the exit code. */
int watch_main(int argc, char **argv);

/* `dnssec-doctor history [--db FILE] [--json] NAME [TYPE]` (argv[1] is "history"). Returns the exit
 * code. */
int watch_history_main(int argc, char **argv);

/* The default database: $STATE_DIRECTORY/watch.db (systemd), else /var/lib/dnssec-doctor/watch.db.
 */
const char *watch_default_db(char *buf, size_t size);

/* ---- the result of one check, as watch keeps it ---------------------------------- */

#define WATCH_IDS_MAX 512 /* finding ids, comma-separated (longer lists are cut at an id) */

typedef struct watch_rec {
	an_status_t status;
	int ede[8];
	size_t n_ede;
	char broken_zone[256];	 /* "" when nothing is broken */
	char ids[WATCH_IDS_MAX]; /* ids of the findings, sorted, unique, comma-separated */
	unsigned severity[3];	 /* findings per severity (AN_NOTICE, AN_WARNING, AN_ERROR) */
	int64_t earliest_expiry; /* of a valid signature on the path; 0: none */
	int64_t checked_at;	 /* Unix time (UTC) the check started */
	double duration_s;
	char error[200]; /* the check could not run ("" when it ran) */
} watch_rec_t;

/* Fill `rec` from an analysis (checked_at and duration_s are left alone). */
void watch_rec_from_result(watch_rec_t *rec, const an_result_t *r);

/*
 * What the history keeps of a result: status, EDE, broken zone, finding ids
 * and earliest expiry, as one string ("bogus|9|example.|DS_NO_MATCH|1767225600").
 * Two results with the same fingerprint need no new row.
 */
void watch_fingerprint(const watch_rec_t *rec, char *buf, size_t size);

typedef enum watch_row { WATCH_ROW_NONE, WATCH_ROW_CHANGE, WATCH_ROW_HEARTBEAT } watch_row_t;

/* A fingerprint kept as a 64-bit hash (FNV-1a): what the watcher holds per name; 0 means none. */
uint64_t watch_fp_hash(const char *fp);

#define WATCH_HEARTBEAT_S 3600

/*
 * Should a result become a row? `last_fp` and `last_t` describe the last row
 * written for the name (last_fp NULL or "": none yet): a different
 * fingerprint is a change; the same one a heartbeat once WATCH_HEARTBEAT_S
 * have passed since that row; otherwise nothing.
 */
watch_row_t watch_row_decide(const char *last_fp, int64_t last_t, const char *fp, int64_t now);
/* The same on hashes (last_fp 0: no row yet). */
watch_row_t watch_row_decide_hash(uint64_t last_fp, int64_t last_t, uint64_t fp, int64_t now);

/* ---- metrics ------------------------------------------------------------------------ */

/* One watched name, for the metrics and the status page. */
typedef struct watch_series {
	const char *name; /* canonical name */
	const char *type; /* query type mnemonic */
	bool checked;	  /* false until the first result */
	const watch_rec_t *rec;
} watch_series_t;

/* Write a label value escaped as the text exposition format wants (\\, \", \n). */
void watch_label_escape(FILE *out, const char *s);

/*
 * The Prometheus text exposition (version 0.0.4) for `n` names and the
 * check counters (checks_total[status]); every family with HELP and TYPE.
 * `n_watched` is the number of names in the names file.
 */
void watch_metrics_write(FILE *out, const watch_series_t *s, size_t n,
			 const unsigned long checks_total[5], size_t n_watched);

/* ---- history database ------------------------------------------------------------------ */

typedef struct watch_db watch_db_t;

/* Open (create) the database, WAL mode, schema in place. Returns 0, or DD_EIO with a message. */
int watch_db_open(const char *path, bool readonly, watch_db_t **db, char *err, size_t err_size);
void watch_db_close(watch_db_t *db);

/* The last row of a name (for a restart): its fingerprint and time. Returns 0, or DD_ENOTFOUND. */
int watch_db_last(watch_db_t *db, const char *name, const char *type, char *fp, size_t fp_size,
		  int64_t *t);

/* Queue a row (written by the next flush); `report` is the JSON report (change rows), may be NULL.
 */
int watch_db_queue(watch_db_t *db, const char *name, const char *type, watch_row_t kind,
		   const watch_rec_t *rec, const char *report);

/* Write the queued rows in one transaction. Returns 0 or DD_EIO (rows stay queued). */
int watch_db_flush(watch_db_t *db, char *err, size_t err_size);

/* Delete rows older than `keep_days` before `now`. Returns the rows deleted, or DD_EIO. */
long watch_db_prune(watch_db_t *db, unsigned keep_days, int64_t now);

/* The newest full report of a name (caller frees), or NULL. */
char *watch_db_report(watch_db_t *db, const char *name, const char *type);

/* Rows queued and not yet written, and about how much memory they hold. */
size_t watch_db_pending(const watch_db_t *db);
size_t watch_db_pending_bytes(const watch_db_t *db);

/*
 * Print the timeline of `name`/`type` (type NULL: every type of the name):
 * one line per change of status or findings, newest first, or JSON.
 * Returns 0, or DD_ENOTFOUND when the database knows no such name.
 */
int watch_history_print(watch_db_t *db, FILE *out, const char *name, const char *type, bool json,
			int64_t now);

/* "3 h 12 min", "41 days", "5 s": a duration for people. */
void watch_duration_text(int64_t s, char *buf, size_t size);

/* ---- status page ------------------------------------------------------------------------ */

/* The status page: every watched name, its status, the next expiry and a link to its report. */
void watch_page_write(FILE *out, const watch_series_t *rows, size_t n, int64_t now,
		      unsigned interval_s);
