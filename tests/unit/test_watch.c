/*
 * test_watch.c — the pure parts of `watch` (src/watch/): what a result
 * becomes (ids, severities), the fingerprint and the row decision of the
 * history, the Prometheus exposition (families, values, escaping), the
 * names file, and the history database written and read back as a timeline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyse/analyse.h"
#include "common/dd.h"
#include "watch/watch.h"
#include "watch/watch_int.h"

static char *capture_metrics(const watch_series_t *s, size_t n, const unsigned long totals[5])
{
	/* static: GCC's -Wdangling-pointer takes the stream's hold on a local for a dangling one */
	static char *buf;
	static size_t len;
	buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	watch_metrics_write(f, s, n, totals, n);
	fclose(f);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_rec_from_result(void **state)
{
	(void)state;
	an_finding_t f[4];
	memset(f, 0, sizeof(f));
	f[0].id = AN_F_RRSIG_EXPIRED;
	f[1].id = AN_F_DS_NO_MATCHING_DNSKEY;
	f[2].id = AN_F_RRSIG_EXPIRED; /* the same id at another server */
	f[3].id = AN_F_RRSIG_EXPIRING_SOON;
	an_result_t r;
	memset(&r, 0, sizeof(r));
	r.status = AN_BOGUS;
	r.ede[0] = 9;
	r.ede[1] = 7;
	r.n_ede = 2;
	r.broken_zone = "expired.test.";
	r.findings = f;
	r.n_findings = 4;
	r.earliest_expiry = 1767225600;
	watch_rec_t rec;
	memset(&rec, 0, sizeof(rec));
	watch_rec_from_result(&rec, &r);
	assert_int_equal(rec.status, AN_BOGUS);
	assert_string_equal(rec.ids, "DS_NO_MATCHING_DNSKEY,RRSIG_EXPIRED,RRSIG_EXPIRING_SOON");
	assert_int_equal(rec.severity[AN_ERROR], 3);
	assert_int_equal(rec.severity[AN_WARNING], 1);
	assert_int_equal(rec.severity[AN_NOTICE], 0);
	assert_string_equal(rec.broken_zone, "expired.test.");
	char fp[1024];
	watch_fingerprint(&rec, fp, sizeof(fp));
	assert_string_equal(fp, "bogus|9,7|expired.test.|DS_NO_MATCHING_DNSKEY,RRSIG_EXPIRED,RRSIG_"
				"EXPIRING_SOON|1767225600");

	/* No findings, no broken zone. */
	r.n_findings = 0;
	r.broken_zone = NULL;
	r.n_ede = 0;
	r.status = AN_SECURE;
	watch_rec_from_result(&rec, &r);
	assert_string_equal(rec.ids, "");
	assert_string_equal(rec.broken_zone, "");
	assert_int_equal(rec.severity[AN_ERROR], 0);
}

static void test_change_detection(void **state)
{
	(void)state;
	watch_rec_t a;
	memset(&a, 0, sizeof(a));
	a.status = AN_SECURE;
	a.earliest_expiry = 2000000000;
	snprintf(a.ids, sizeof(a.ids), "NSEC3_ITERATIONS");
	char fa[1024], fb[1024];
	watch_fingerprint(&a, fa, sizeof(fa));

	/* What does not count: the time and the duration of a check. */
	watch_rec_t b = a;
	b.checked_at = 12345;
	b.duration_s = 3.5;
	watch_fingerprint(&b, fb, sizeof(fb));
	assert_string_equal(fa, fb);

	/* What counts: status, EDE, broken zone, ids, earliest expiry, one at a time. */
	for (int k = 0; k < 5; k++) {
		b = a;
		if (k == 0)
			b.status = AN_BOGUS;
		else if (k == 1)
			b.ede[b.n_ede++] = 7;
		else if (k == 2)
			snprintf(b.broken_zone, sizeof(b.broken_zone), "example.");
		else if (k == 3)
			snprintf(b.ids, sizeof(b.ids), "NSEC3_ITERATIONS,RRSIG_EXPIRING_SOON");
		else
			b.earliest_expiry += 86400;
		watch_fingerprint(&b, fb, sizeof(fb));
		if (strcmp(fa, fb) == 0)
			fail_msg("field %d does not change the fingerprint", k);
		assert_int_equal(watch_row_decide(fa, 1000, fb, 1001), WATCH_ROW_CHANGE);
	}

	/* The first result is a change; the same result: nothing until an hour has passed. */
	assert_int_equal(watch_row_decide(NULL, 0, fa, 1000), WATCH_ROW_CHANGE);
	assert_int_equal(watch_row_decide("", 0, fa, 1000), WATCH_ROW_CHANGE);
	assert_int_equal(watch_row_decide(fa, 1000, fa, 1000), WATCH_ROW_NONE);
	assert_int_equal(watch_row_decide(fa, 1000, fa, 1000 + WATCH_HEARTBEAT_S - 1),
			 WATCH_ROW_NONE);
	assert_int_equal(watch_row_decide(fa, 1000, fa, 1000 + WATCH_HEARTBEAT_S),
			 WATCH_ROW_HEARTBEAT);
	/* A clock set back: no heartbeat per check. */
	assert_int_equal(watch_row_decide(fa, 1000, fa, 500), WATCH_ROW_NONE);
}

static void test_metrics(void **state)
{
	(void)state;
	watch_rec_t bogus, secure;
	memset(&bogus, 0, sizeof(bogus));
	memset(&secure, 0, sizeof(secure));
	bogus.status = AN_BOGUS;
	bogus.severity[AN_ERROR] = 2;
	bogus.severity[AN_NOTICE] = 1;
	bogus.checked_at = 1765152000;
	bogus.duration_s = 0.25;
	secure.status = AN_SECURE;
	secure.earliest_expiry = 1767225600;
	secure.checked_at = 1765152001;
	secure.duration_s = 1.5;
	watch_series_t s[3] = {
	    {"www.expired.test.", "A", true, &bogus},
	    {"odd\"na\\me\n.test.", "AAAA", true, &secure},
	    {"new.test.", "A", false, NULL},
	};
	unsigned long totals[5] = {[AN_SECURE] = 7, [AN_BOGUS] = 3};
	char *m = capture_metrics(s, 3, totals);
	static const char *const families[] = {
	    "dnssec_doctor_status gauge",
	    "dnssec_doctor_signature_expiry_timestamp_seconds gauge",
	    "dnssec_doctor_findings gauge",
	    "dnssec_doctor_check_duration_seconds gauge",
	    "dnssec_doctor_last_check_timestamp_seconds gauge",
	    "dnssec_doctor_checks_total counter"};
	for (size_t i = 0; i < DD_ARRAY_LEN(families); i++) {
		char t[120], h[120];
		snprintf(t, sizeof(t), "# TYPE %s\n", families[i]);
		snprintf(h, sizeof(h), "# HELP %.*s ", (int)strcspn(families[i], " "), families[i]);
		if (count(m, t) != 1 || count(m, h) != 1)
			fail_msg("family %s: TYPE %zu times, HELP %zu times\n%s", families[i],
				 count(m, t), count(m, h), m);
	}
	/* Five status series per checked name, exactly one of them 1. */
	assert_non_null(strstr(
	    m, "dnssec_doctor_status{name=\"www.expired.test.\",type=\"A\",status=\"bogus\"} 1\n"));
	assert_non_null(strstr(
	    m,
	    "dnssec_doctor_status{name=\"www.expired.test.\",type=\"A\",status=\"secure\"} 0\n"));
	assert_non_null(strstr(m, "status=\"insecure\"} 0\n"));
	assert_non_null(strstr(m, "status=\"indeterminate\"} 0\n"));
	assert_non_null(strstr(m, "status=\"unreachable\"} 0\n"));
	assert_int_equal(count(m, "dnssec_doctor_status{"), 10);
	assert_int_equal(count(m, "dnssec_doctor_status{name=\"www.expired.test.\""), 5);
	/* Escaped label values: backslash, quote, newline. */
	assert_non_null(strstr(m, "dnssec_doctor_status{name=\"odd\\\"na\\\\me\\n.test.\",type="
				  "\"AAAA\",status=\"secure\"} 1\n"));
	/* Expiry only where a valid signature exists. */
	assert_int_equal(count(m, "dnssec_doctor_signature_expiry_timestamp_seconds{"), 1);
	assert_non_null(strstr(m, "dnssec_doctor_signature_expiry_timestamp_seconds{name="
				  "\"odd\\\"na\\\\me\\n.test.\",type=\"AAAA\"} 1767225600\n"));
	assert_non_null(strstr(m, "dnssec_doctor_findings{name=\"www.expired.test.\",type=\"A\","
				  "severity=\"error\"} 2\n"));
	assert_non_null(strstr(m, "dnssec_doctor_findings{name=\"www.expired.test.\",type=\"A\","
				  "severity=\"warning\"} 0\n"));
	assert_non_null(strstr(m, "dnssec_doctor_findings{name=\"www.expired.test.\",type=\"A\","
				  "severity=\"notice\"} 1\n"));
	assert_non_null(strstr(
	    m,
	    "dnssec_doctor_check_duration_seconds{name=\"www.expired.test.\",type=\"A\"} 0.250\n"));
	assert_non_null(strstr(m, "dnssec_doctor_last_check_timestamp_seconds{name=\"www.expired."
				  "test.\",type=\"A\"} 1765152000\n"));
	assert_non_null(strstr(m, "dnssec_doctor_checks_total{status=\"secure\"} 7\n"));
	assert_non_null(strstr(m, "dnssec_doctor_checks_total{status=\"bogus\"} 3\n"));
	assert_non_null(strstr(m, "dnssec_doctor_checks_total{status=\"unreachable\"} 0\n"));
	/* A name not checked yet has no series. */
	assert_null(strstr(m, "new.test."));
	/* Every line is a comment or ends in a number. */
	for (char *line = m; *line;) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		if (line[0] != '#') {
			char *sp = nl;
			while (sp > line && sp[-1] != ' ')
				sp--;
			char *end = NULL;
			strtod(sp, &end);
			if (end != nl)
				fail_msg("not a sample line: %.*s", (int)(nl - line), line);
		}
		line = nl + 1;
	}
	free(m);
}

static void test_durations(void **state)
{
	(void)state;
	char b[40];
	watch_duration_text(5, b, sizeof(b));
	assert_string_equal(b, "5 s");
	watch_duration_text(180, b, sizeof(b));
	assert_string_equal(b, "3 min");
	watch_duration_text(3 * 3600 + 12 * 60 + 5, b, sizeof(b));
	assert_string_equal(b, "3 h 12 min");
	watch_duration_text(41 * 86400 + 100, b, sizeof(b));
	assert_string_equal(b, "41 days");
	watch_duration_text(-3, b, sizeof(b));
	assert_string_equal(b, "0 s");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_names_file(void **state)
{
	(void)state;
	char path[] = "/tmp/dd-watch-names-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "# names\n\nwww.good13.test\n  WWW.Good13.Test. A\nwww.good13.test "
			 "aaaa\r\nexample.test. DNSKEY\n");
	watch_name_t *v = NULL;
	size_t n = 0;
	char err[400] = "";
	assert_int_equal(watch_names_load(path, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3); /* the duplicate is dropped */
	assert_string_equal(v[0].name, "example.test.");
	assert_string_equal(v[0].type, "DNSKEY");
	assert_string_equal(v[1].name, "www.good13.test.");
	assert_string_equal(v[1].type, "A");
	assert_string_equal(v[2].type, "AAAA");
	watch_names_free(v, n);

	write_file(path, "www.good13.test\nbad..name\n");
	assert_int_equal(watch_names_load(path, &v, &n, err, sizeof(err)), DD_EINVAL);
	assert_non_null(strstr(err, "line 2: invalid name"));
	write_file(path, "www.good13.test A extra\n");
	assert_int_equal(watch_names_load(path, &v, &n, err, sizeof(err)), DD_EINVAL);
	assert_non_null(strstr(err, "line 1: expected NAME [TYPE]"));
	write_file(path, "www.good13.test NOTATYPE\n");
	assert_int_equal(watch_names_load(path, &v, &n, err, sizeof(err)), DD_EINVAL);
	unlink(path);
	assert_int_equal(watch_names_load(path, &v, &n, err, sizeof(err)), DD_EIO);
	assert_non_null(strstr(err, "cannot read"));
}

static void queue(watch_db_t *db, const char *name, an_status_t st, const char *ids, int64_t t,
		  const char *report)
{
	watch_rec_t r;
	memset(&r, 0, sizeof(r));
	r.status = st;
	snprintf(r.ids, sizeof(r.ids), "%s", ids);
	r.checked_at = t;
	r.earliest_expiry = t + 86400 * 10;
	if (st == AN_BOGUS) {
		r.ede[r.n_ede++] = 9;
		snprintf(r.broken_zone, sizeof(r.broken_zone), "example.test.");
	}
	assert_int_equal(watch_db_queue(db, name, "A", WATCH_ROW_CHANGE, &r, report), 0);
}

static char *history_text(watch_db_t *db, const char *name, bool json, int64_t now, int *rc)
{
	/* static: GCC's -Wdangling-pointer takes the stream's hold on a local for a dangling one */
	static char *buf;
	static size_t len;
	buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	*rc = watch_history_print(db, f, name, "A", json, now);
	fclose(f);
	return buf;
}

static void test_history_db(void **state)
{
	(void)state;
	char dir[] = "/tmp/dd-watch-db-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[300];
	snprintf(path, sizeof(path), "%s/watch.db", dir);
	watch_db_t *db = NULL;
	char err[400];
	assert_int_equal(watch_db_open(path, false, &db, err, sizeof(err)), 0);
	int64_t t0 = 1765152000; /* 2025-12-08T00:00:00Z */
	/* secure for 41 days, bogus for 3 h 12 min, secure again (with a heartbeat in between). */
	queue(db, "www.example.test.", AN_SECURE, "", t0, "{\"status\": \"secure\"}");
	queue(db, "www.example.test.", AN_BOGUS, "DS_NO_MATCHING_DNSKEY", t0 + 41 * 86400,
	      "{\"status\": \"bogus\"}");
	queue(db, "other.test.", AN_SECURE, "", t0, NULL);
	assert_int_equal(watch_db_pending(db), 3);
	assert_int_equal(watch_db_flush(db, err, sizeof(err)), 0);
	assert_int_equal(watch_db_pending(db), 0);
	char fp[1024];
	int64_t t = 0;
	assert_int_equal(watch_db_last(db, "www.example.test.", "A", fp, sizeof(fp), &t), 0);
	assert_int_equal(t, t0 + 41 * 86400);
	assert_non_null(strstr(fp, "bogus|9|example.test.|DS_NO_MATCHING_DNSKEY|"));
	assert_int_equal(watch_db_last(db, "www.example.test.", "AAAA", fp, sizeof(fp), &t),
			 DD_ENOTFOUND);
	char *rep = watch_db_report(db, "www.example.test.", "A");
	assert_non_null(rep);
	assert_string_equal(rep, "{\"status\": \"bogus\"}");
	free(rep);

	int rc;
	int64_t now = t0 + 41 * 86400 + 3 * 3600 + 12 * 60;
	char *out = history_text(db, "www.example.test.", false, now, &rc);
	assert_int_equal(rc, 0);
	if (!strstr(out, "www.example.test. A: bogus since 2026-01-18T00:00:00Z (3 h 12 min): "
			 "DS_NO_MATCHING_DNSKEY; "
			 "before: secure for 41 days"))
		fail_msg("headline:\n%s", out);
	free(out);

	/* Repaired: a change row; a heartbeat of the same state joins its period. */
	queue(db, "www.example.test.", AN_SECURE, "", now, NULL);
	watch_rec_t hb;
	memset(&hb, 0, sizeof(hb));
	hb.status = AN_SECURE;
	hb.checked_at = now + 3600;
	hb.earliest_expiry = now + 86400 * 10;
	assert_int_equal(
	    watch_db_queue(db, "www.example.test.", "A", WATCH_ROW_HEARTBEAT, &hb, NULL), 0);
	assert_int_equal(watch_db_flush(db, err, sizeof(err)), 0);
	out = history_text(db, "www.example.test.", true, now + 7200, &rc);
	assert_int_equal(rc, 0);
	/* Newest first: secure (ongoing), bogus, secure. */
	const char *p1 = strstr(out, "\"status\": \"secure\"");
	const char *p2 = strstr(out, "\"status\": \"bogus\"");
	assert_non_null(p1);
	assert_non_null(p2);
	assert_true(p1 < p2);
	assert_non_null(strstr(p2, "\"status\": \"secure\""));
	assert_int_equal(count(out, "\"since\""), 3);
	assert_non_null(strstr(out, "\"until\": null"));
	assert_non_null(strstr(out, "\"DS_NO_MATCHING_DNSKEY\""));
	assert_non_null(strstr(out, "\"broken_zone\": \"example.test.\""));
	assert_non_null(strstr(out, "\"seconds\": 11520")); /* 3 h 12 min */
	free(out);

	out = history_text(db, "nothing.test.", false, now, &rc);
	assert_int_equal(rc, DD_ENOTFOUND);
	free(out);

	/* Pruning: rows older than 30 days go. */
	long n = watch_db_prune(db, 30, now);
	assert_int_equal(n, 2); /* the first secure rows of both names */
	watch_db_close(db);

	/* Read-only opening of a database that does not exist fails with a message. */
	snprintf(path, sizeof(path), "%s/none.db", dir);
	assert_int_not_equal(watch_db_open(path, true, &db, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "none.db"));
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rec_from_result), cmocka_unit_test(test_change_detection),
	    cmocka_unit_test(test_metrics),	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_names_file),	    cmocka_unit_test(test_history_db),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
