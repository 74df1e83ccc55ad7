/*
 * history.c — the history database of `watch` (SQLite, WAL) and its
 * reader, `dnssec-doctor history`.
 *
 * One table, checks: a row for every change of a name's status, EDE, broken
 * zone, finding ids or earliest expiry (with the full JSON report), and
 * otherwise a heartbeat per name per hour (watch_row_decide). Rows are
 * queued in memory and written in one transaction per flush. Times are Unix
 * seconds (UTC). Schema in docs/watch.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "common/dd.h"
#include "watch/watch.h"

#define QUEUE_MAX 200000 /* rows waiting for a database that cannot be written */

typedef struct qrow {
	int64_t t;
	char *name, *type, *report;
	watch_row_t kind;
	watch_rec_t rec;
} qrow_t;

struct watch_db {
	sqlite3 *h;
	qrow_t *q;
	size_t n_q, cap_q;
	size_t q_bytes; /* of the reports queued */
	unsigned long dropped;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '1');"
    "CREATE TABLE IF NOT EXISTS checks("
    " id INTEGER PRIMARY KEY,"
    " t INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " ede TEXT NOT NULL,"
    " broken_zone TEXT,"
    " findings TEXT NOT NULL,"
    " earliest_expiry INTEGER,"
    " duration_ms INTEGER NOT NULL,"
    " error TEXT,"
    " fingerprint TEXT NOT NULL,"
    " report TEXT);"
    "CREATE INDEX IF NOT EXISTS checks_by_name ON checks(name, type, t);"
    "CREATE INDEX IF NOT EXISTS checks_by_time ON checks(t);";

int watch_db_open(const char *path, bool readonly, watch_db_t **out, char *err, size_t err_size)
{
	*out = NULL;
	watch_db_t *db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(err, err_size, "out of memory");
		return DD_ENOMEM;
	}
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &db->h, flags | SQLITE_OPEN_NOMUTEX, NULL);
	char *msg = NULL;
	if (rc == SQLITE_OK)
		sqlite3_busy_timeout(db->h, 5000);
	if (rc == SQLITE_OK && !readonly)
		rc = sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
				  NULL, NULL, &msg);
	if (rc == SQLITE_OK && !readonly)
		rc = sqlite3_exec(db->h, schema, NULL, NULL, &msg);
	if (rc == SQLITE_OK && readonly)
		rc = sqlite3_exec(db->h, "SELECT 1 FROM checks LIMIT 1", NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, err_size, "--db %.200s: %s", path,
			 msg	 ? msg
			 : db->h ? sqlite3_errmsg(db->h)
				 : "cannot open");
		sqlite3_free(msg);
		watch_db_close(db);
		return DD_EIO;
	}
	*out = db;
	return 0;
}

static void qrow_clear(qrow_t *r)
{
	free(r->name);
	free(r->type);
	free(r->report);
}

void watch_db_close(watch_db_t *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n_q; i++)
		qrow_clear(&db->q[i]);
	free(db->q);
	sqlite3_close(db->h);
	free(db);
}

size_t watch_db_pending(const watch_db_t *db)
{
	return db ? db->n_q : 0;
}

size_t watch_db_pending_bytes(const watch_db_t *db)
{
	return db ? db->q_bytes + db->n_q * sizeof(qrow_t) : 0;
}

int watch_db_last(watch_db_t *db, const char *name, const char *type, char *fp, size_t fp_size,
		  int64_t *t)
{
	sqlite3_stmt *st = NULL;
	int ret = DD_ENOTFOUND;
	if (sqlite3_prepare_v2(db->h,
			       "SELECT fingerprint, t FROM checks WHERE name = ? AND type = ? "
			       "ORDER BY t DESC, id DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return DD_EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *f = sqlite3_column_text(st, 0);
		snprintf(fp, fp_size, "%s", f ? (const char *)f : "");
		*t = sqlite3_column_int64(st, 1);
		ret = 0;
	}
	sqlite3_finalize(st);
	return ret;
}

int watch_db_queue(watch_db_t *db, const char *name, const char *type, watch_row_t kind,
		   const watch_rec_t *rec, const char *report)
{
	if (kind == WATCH_ROW_NONE)
		return 0;
	if (db->n_q >= QUEUE_MAX) {
		db->dropped++;
		return DD_ENOMEM;
	}
	if (db->n_q == db->cap_q) {
		size_t cap = db->cap_q ? db->cap_q * 2 : 64;
		qrow_t *nq = realloc(db->q, cap * sizeof(qrow_t));
		if (!nq)
			return DD_ENOMEM;
		db->q = nq;
		db->cap_q = cap;
	}
	qrow_t *r = &db->q[db->n_q];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	r->type = strdup(type);
	r->report = report ? strdup(report) : NULL;
	if (!r->name || !r->type || (report && !r->report)) {
		qrow_clear(r);
		return DD_ENOMEM;
	}
	db->q_bytes += report ? strlen(report) : 0;
	r->t = rec->checked_at;
	r->kind = kind;
	r->rec = *rec;
	db->n_q++;
	return 0;
}

static void bind_row(sqlite3_stmt *st, const qrow_t *r)
{
	char ede[64] = "", fp[1200];
	size_t el = 0;
	for (size_t i = 0; i < r->rec.n_ede && el < sizeof(ede) - 12; i++)
		el += (size_t)snprintf(ede + el, sizeof(ede) - el, "%s%d", i ? "," : "",
				       r->rec.ede[i]);
	watch_fingerprint(&r->rec, fp, sizeof(fp));
	sqlite3_bind_int64(st, 1, r->t);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->kind == WATCH_ROW_CHANGE ? "change" : "heartbeat", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 5, an_status_name(r->rec.status), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ede, -1, SQLITE_TRANSIENT);
	if (r->rec.broken_zone[0])
		sqlite3_bind_text(st, 7, r->rec.broken_zone, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_text(st, 8, r->rec.ids, -1, SQLITE_STATIC);
	if (r->rec.earliest_expiry)
		sqlite3_bind_int64(st, 9, r->rec.earliest_expiry);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_int64(st, 10, (int64_t)(r->rec.duration_s * 1000 + 0.5));
	if (r->rec.error[0])
		sqlite3_bind_text(st, 11, r->rec.error, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_text(st, 12, fp, -1, SQLITE_TRANSIENT);
	if (r->report)
		sqlite3_bind_text(st, 13, r->report, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 13);
}

int watch_db_flush(watch_db_t *db, char *err, size_t err_size)
{
	if (!db->n_q)
		return 0;
	sqlite3_stmt *st = NULL;
	const char *what = "BEGIN";
	int rc = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		what = "INSERT";
		rc = sqlite3_prepare_v2(
		    db->h,
		    "INSERT INTO checks(t, name, type, kind, status, ede, broken_zone, findings, "
		    "earliest_expiry, duration_ms, error, fingerprint, report) "
		    "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    -1, &st, NULL);
	}
	for (size_t i = 0; rc == SQLITE_OK && i < db->n_q; i++) {
		bind_row(st, &db->q[i]);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK) {
		what = "COMMIT";
		rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, err_size, "history: %s failed: %s (%zu rows kept for the next try)",
			 what, sqlite3_errmsg(db->h), db->n_q);
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return DD_EIO;
	}
	for (size_t i = 0; i < db->n_q; i++)
		qrow_clear(&db->q[i]);
	db->n_q = 0;
	db->q_bytes = 0;
	return 0;
}

long watch_db_prune(watch_db_t *db, unsigned keep_days, int64_t now)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->h, "DELETE FROM checks WHERE t < ?", -1, &st, NULL) != SQLITE_OK)
		return DD_EIO;
	sqlite3_bind_int64(st, 1, now - (int64_t)keep_days * 86400);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? (long)sqlite3_changes(db->h) : DD_EIO;
}

char *watch_db_report(watch_db_t *db, const char *name, const char *type)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	if (sqlite3_prepare_v2(
		db->h,
		"SELECT report FROM checks WHERE name = ? AND type = ? AND report IS NOT NULL "
		"ORDER BY t DESC, id DESC LIMIT 1",
		-1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

void watch_duration_text(int64_t s, char *buf, size_t size)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, size, "%lld s", (long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%lld min", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, size, "%lld h %lld min", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else
		snprintf(buf, size, "%lld days", (long long)(s / 86400));
}

/* ---- the timeline ------------------------------------------------------------------ */

/* A stretch of time with one status and one set of findings. */
typedef struct period {
	char type[24];
	char status[24];
	char ids[WATCH_IDS_MAX];
	char ede[64];
	char broken[256];
	char error[200];
	int64_t since, last_seen,
	    until;	/* until: start of the next period, 0 for the current one */
	int64_t expiry; /* the last row's earliest expiry, 0: none */
} period_t;

static void col_text(sqlite3_stmt *st, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(buf, size, "%s", t ? (const char *)t : "");
}

/* Read the rows of a name into periods, oldest first. Returns 0, DD_ENOMEM or DD_EIO. */
static int load_periods(watch_db_t *db, const char *name, const char *type, period_t **out,
			size_t *n_out)
{
	sqlite3_stmt *st = NULL;
	const char *sql = type ? "SELECT type, t, status, findings, ede, broken_zone, error, "
				 "earliest_expiry FROM checks "
				 "WHERE name = ? AND type = ? ORDER BY type, t, id"
			       : "SELECT type, t, status, findings, ede, broken_zone, error, "
				 "earliest_expiry FROM checks "
				 "WHERE name = ? ORDER BY type, t, id";
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return DD_EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (type)
		sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	period_t *p = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		period_t cur;
		col_text(st, 0, cur.type, sizeof(cur.type));
		col_text(st, 2, cur.status, sizeof(cur.status));
		col_text(st, 3, cur.ids, sizeof(cur.ids));
		col_text(st, 4, cur.ede, sizeof(cur.ede));
		col_text(st, 5, cur.broken, sizeof(cur.broken));
		col_text(st, 6, cur.error, sizeof(cur.error));
		cur.since = cur.last_seen = sqlite3_column_int64(st, 1);
		cur.until = 0;
		cur.expiry = sqlite3_column_int64(st, 7);
		period_t *last = n ? &p[n - 1] : NULL;
		if (last && strcmp(last->type, cur.type) == 0 &&
		    strcmp(last->status, cur.status) == 0 && strcmp(last->ids, cur.ids) == 0) {
			last->last_seen =
			    cur.since; /* same status and findings: the period goes on */
			last->expiry = cur.expiry;
			memcpy(last->ede, cur.ede, sizeof(cur.ede));
			memcpy(last->broken, cur.broken, sizeof(cur.broken));
			continue;
		}
		if (last && strcmp(last->type, cur.type) == 0)
			last->until = cur.since;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			period_t *np = realloc(p, cap * sizeof(period_t));
			if (!np) {
				ret = DD_ENOMEM;
				break;
			}
			p = np;
		}
		p[n++] = cur;
	}
	sqlite3_finalize(st);
	if (ret) {
		free(p);
		return ret;
	}
	*out = p;
	*n_out = n;
	return 0;
}

static json_t *period_json(const period_t *p)
{
	char t[40];
	json_t *j = json_object();
	an_time_text(p->since, t, sizeof(t));
	json_object_set_new(j, "since", json_string(t));
	an_time_text(p->last_seen, t, sizeof(t));
	json_object_set_new(j, "last_seen", json_string(t));
	if (p->until) {
		an_time_text(p->until, t, sizeof(t));
		json_object_set_new(j, "until", json_string(t));
	} else {
		json_object_set_new(j, "until", json_null());
	}
	json_object_set_new(j, "seconds",
			    json_integer((p->until ? p->until : p->last_seen) - p->since));
	json_object_set_new(j, "status", json_string(p->status));
	json_t *ids = json_array(), *ede = json_array();
	char buf[WATCH_IDS_MAX];
	snprintf(buf, sizeof(buf), "%s", p->ids);
	char *save = NULL;
	for (char *id = strtok_r(buf, ",", &save); id; id = strtok_r(NULL, ",", &save))
		json_array_append_new(ids, json_string(id));
	snprintf(buf, sizeof(buf), "%s", p->ede);
	for (char *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save))
		json_array_append_new(ede, json_integer(atoi(e)));
	json_object_set_new(j, "findings", ids);
	json_object_set_new(j, "ede", ede);
	json_object_set_new(j, "broken_zone", p->broken[0] ? json_string(p->broken) : json_null());
	if (p->expiry) {
		an_time_text(p->expiry, t, sizeof(t));
		json_object_set_new(j, "earliest_expiry", json_string(t));
	} else {
		json_object_set_new(j, "earliest_expiry", json_null());
	}
	if (p->error[0])
		json_object_set_new(j, "error", json_string(p->error));
	return j;
}

/* "bogus since 2026-12-08T00:10:03Z (3 min): RRSIG_EXPIRED; before: secure for 5 min" */
static void headline(FILE *out, const char *name, const period_t *p, size_t n, int64_t now)
{
	const period_t *cur = &p[n - 1];
	char t[40], d[40];
	an_time_text(cur->since, t, sizeof(t));
	watch_duration_text(now - cur->since, d, sizeof(d));
	fprintf(out, "%s %s: %s since %s (%s)%s%s", name, cur->type, cur->status, t, d,
		cur->ids[0] ? ": " : "", cur->ids);
	if (n > 1 && strcmp(p[n - 2].type, cur->type) == 0) {
		watch_duration_text(p[n - 2].until - p[n - 2].since, d, sizeof(d));
		fprintf(out, "; before: %s for %s", p[n - 2].status, d);
	}
	an_time_text(cur->last_seen, t, sizeof(t));
	fprintf(out, " (last recorded %s)\n", t);
}

static void print_text(FILE *out, const char *name, const period_t *p, size_t n, int64_t now)
{
	/* Newest first, per type: the head line, then one line per period. */
	for (size_t end = n; end > 0;) {
		size_t start = end;
		while (start > 0 && strcmp(p[start - 1].type, p[end - 1].type) == 0)
			start--;
		headline(out, name, p + start, end - start, now);
		for (size_t i = end; i > start; i--) {
			const period_t *q = &p[i - 1];
			char t[40], d[40];
			an_time_text(q->since, t, sizeof(t));
			watch_duration_text((q->until ? q->until : now) - q->since, d, sizeof(d));
			fprintf(out, "  %s  %-13s %-14s %s", t, q->status, d,
				q->ids[0] ? q->ids : "-");
			if (q->ede[0] || q->broken[0])
				fprintf(out, " (%s%s%s%s%s)", q->ede[0] ? "EDE " : "", q->ede,
					q->ede[0] && q->broken[0] ? ", " : "",
					q->broken[0] ? "broken zone " : "", q->broken);
			if (q->error[0])
				fprintf(out, " [%s]", q->error);
			fputc('\n', out);
		}
		end = start;
	}
}

int watch_history_print(watch_db_t *db, FILE *out, const char *name, const char *type, bool json,
			int64_t now)
{
	period_t *p = NULL;
	size_t n = 0;
	int rc = load_periods(db, name, type, &p, &n);
	if (rc)
		return rc;
	if (!n) {
		free(p);
		return DD_ENOTFOUND;
	}
	if (!json) {
		print_text(out, name, p, n, now);
		free(p);
		return 0;
	}
	json_t *j = json_object(), *tl = json_array();
	json_object_set_new(j, "version", json_integer(1));
	json_object_set_new(j, "name", json_string(name));
	for (size_t end = n; end > 0;) {
		size_t start = end;
		while (start > 0 && strcmp(p[start - 1].type, p[end - 1].type) == 0)
			start--;
		json_t *one = json_object(), *periods = json_array();
		json_object_set_new(one, "type", json_string(p[end - 1].type));
		for (size_t i = end; i > start; i--)
			json_array_append_new(periods, period_json(&p[i - 1]));
		json_object_set_new(one, "periods", periods);
		json_array_append_new(tl, one);
		end = start;
	}
	json_object_set_new(j, "timelines", tl);
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (s)
		fprintf(out, "%s\n", s);
	free(s);
	json_decref(j);
	free(p);
	return 0;
}
