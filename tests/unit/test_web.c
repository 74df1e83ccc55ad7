/* The web service's pure parts: address classes, token buckets, IDN names,
 * serve options, XML escaping and the SVG diagram on saved evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyse/analyse.h"
#include "cli/options.h"
#include "common/dd.h"
#include "common/idn.h"
#include "report/report.h"
#include "web/guard.h"
#include "web/web.h"

static void test_addr_global(void **state)
{
	(void)state;
	static const char *const global[] = {"198.41.0.4", "1.1.1.1", "8.8.8.8", "192.0.3.1", "100.128.0.1",
					     "2001:503:ba3e::2:30", "2001:500:2f::f", "2a00:1450::1",
					     "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:0808:0808::1"};
	static const char *const local[] = {"127.0.0.1", "127.53.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255",
					    "192.168.1.1", "169.254.1.1", "0.0.0.0", "100.64.0.1", "192.0.2.1",
					    "198.51.100.7", "203.0.113.9", "198.18.0.1", "224.0.0.1", "255.255.255.255",
					    "240.0.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
					    "2001:db8::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1",
					    "2002:7f00:0001::1", "2001::1", "100::1", "fec0::1", "4000::1", "not-an-ip", ""};
	for (size_t i = 0; i < DD_ARRAY_LEN(global); i++) {
		const char *why = NULL;
		if (!web_addr_global(global[i], &why))
			fail_msg("%s should be global (%s)", global[i], why);
	}
	for (size_t i = 0; i < DD_ARRAY_LEN(local); i++) {
		const char *why = NULL;
		if (web_addr_global(local[i], &why))
			fail_msg("%s should not be global", local[i]);
		assert_non_null(why);
	}
	const char *why = NULL;
	web_addr_global("10.0.0.1", &why);
	assert_string_equal(why, "private (RFC 1918)");
	web_addr_global("127.0.0.1", &why);
	assert_string_equal(why, "loopback (RFC 1122)");
}

static void test_buckets(void **state)
{
	(void)state;
	web_buckets_t *b = web_buckets_new(8);
	assert_non_null(b);
	unsigned retry = 0;
	uint8_t k1[4] = {192, 0, 2, 1}, k2[4] = {192, 0, 2, 2};
	for (int i = 0; i < 3; i++)
		assert_true(web_buckets_take(b, k1, 4, 1000, 3, &retry));
	assert_false(web_buckets_take(b, k1, 4, 1000, 3, &retry));
	assert_int_equal(retry, 20); /* 3 a minute: one every 20 s */
	assert_true(web_buckets_take(b, k2, 4, 1000, 3, NULL)); /* another key has its own bucket */
	assert_false(web_buckets_take(b, k1, 4, 20000, 3, &retry));
	assert_true(web_buckets_take(b, k1, 4, 21001, 3, &retry)); /* refilled after 20 s */
	/* More keys than slots: old ones are dropped, nothing breaks. */
	for (uint32_t i = 0; i < 100; i++)
		assert_true(web_buckets_take(b, &i, sizeof(i), 30000, 1, NULL));
	web_buckets_free(b);
}

static void test_idn(void **state)
{
	(void)state;
	char out[1100];
	const char *why = NULL;
	assert_int_equal(dd_name_idn("  WWW.Example.COM. ", out, sizeof(out), &why), 0);
	assert_string_equal(out, "www.example.com.");
	assert_int_equal(dd_name_idn("bücher.example", out, sizeof(out), &why), 0);
	assert_string_equal(out, "xn--bcher-kva.example");
	assert_int_equal(dd_name_idn("BÜCHER.example.", out, sizeof(out), &why), 0);
	assert_string_equal(out, "xn--bcher-kva.example.");
	assert_int_equal(dd_name_idn("faß.de", out, sizeof(out), &why), 0); /* non-transitional */
	assert_string_equal(out, "xn--fa-hia.de");
	assert_int_equal(dd_name_idn("\xff\xfe.test", out, sizeof(out), &why), DD_EINVAL);
	assert_non_null(why);
	assert_int_equal(dd_name_idn("   ", out, sizeof(out), &why), DD_EINVAL);
	assert_int_equal(dd_name_idn("\xe2\x98\x83\xe2\x80\x8d.test", out, sizeof(out), &why), DD_EINVAL);
}

static void test_serve_options(void **state)
{
	(void)state;
	dd_opts_t o;
	char err[300];
	char *ok[] = {"dnssec-doctor", "serve", "--listen", "[::1]:9000", "--allow-private", "--max-checks", "8",
		      "--rate", "5", "--target-budget", "100", "--deadline", "3000"};
	assert_int_equal(dd_opts_parse(13, ok, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, DD_CMD_SERVE);
	assert_string_equal(o.listen, "[::1]:9000");
	assert_true(o.allow_private);
	assert_int_equal(o.max_checks, 8);
	assert_int_equal(o.rate_per_min, 5);
	assert_int_equal(o.target_budget, 100);
	assert_int_equal(o.engine.deadline_ms, 3000);
	dd_opts_free(&o);
	char *def[] = {"dnssec-doctor", "serve"};
	assert_int_equal(dd_opts_parse(2, def, &o, err, sizeof(err)), 0);
	assert_string_equal(o.listen, "127.0.0.1:8053");
	assert_false(o.allow_private);
	dd_opts_free(&o);
	char *bad[] = {"dnssec-doctor", "serve", "--max-checks", "0"};
	assert_int_equal(dd_opts_parse(4, bad, &o, err, sizeof(err)), DD_EINVAL);
	assert_non_null(strstr(err, "--max-checks"));
	dd_opts_free(&o);
	char *svg[] = {"dnssec-doctor", "--format", "svg", "bücher.test"};
	assert_int_equal(dd_opts_parse(4, svg, &o, err, sizeof(err)), 0);
	assert_int_equal(o.format, DD_FMT_SVG);
	assert_string_equal(o.name, "xn--bcher-kva.test.");
	dd_opts_free(&o);
	uint16_t t = 0;
	assert_int_equal(dd_parse_qtype("dnskey", &t), 0);
	assert_int_equal(t, 48);
	assert_int_equal(dd_parse_qtype("ANY", &t), DD_EINVAL);
	assert_int_equal(dd_parse_qtype("", &t), DD_EINVAL);
}

static char *capture_escape(const char *s, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	rep_xml_escape(f, s, max);
	fclose(f);
	return buf;
}

static void test_escape(void **state)
{
	(void)state;
	char *s = capture_escape("<a href=\"x\">'&'</a>\x01", 0);
	assert_string_equal(s, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\xef\xbf\xbd");
	free(s);
	s = capture_escape("abcdef", 3);
	assert_string_equal(s, "abc\xe2\x80\xa6");
	free(s);
	s = capture_escape("\xc3\xbc\xc3\xbc\xc3\xbc", 2); /* counts characters, not bytes */
	assert_string_equal(s, "\xc3\xbc\xc3\xbc\xe2\x80\xa6");
	free(s);
}

/* The diagram on saved evidence: the broken link is marked in words. */
static void test_svg(void **state)
{
	(void)state;
	const char *root = getenv("DD_SOURCE_ROOT");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/unit/evidence/www.kskroll.test.json", root ? root : ".");
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	assert_non_null(j);
	evidence_t *ev = NULL;
	char err[200];
	assert_int_equal(ev_from_json(j, &ev, err, sizeof(err)), 0);
	json_decref(j);
	an_policy_t pol = {.warn_days = 7};
	an_result_t *r = NULL;
	assert_int_equal(an_analyse(ev, ev->probed_at, &pol, NULL, &r), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	rep_svg(f, r, true);
	fclose(f);
	assert_non_null(strstr(buf, "<?xml"));
	assert_non_null(strstr(buf, "breaks here: DS_NO_MATCHING_DNSKEY"));
	assert_non_null(strstr(buf, "BROKEN LINK"));
	assert_non_null(strstr(buf, "<title id=\"chain-title\">Chain of trust for www.kskroll.test. A: bogus</title>"));
	assert_null(strstr(buf, "style="));
	assert_null(strstr(buf, "<script"));
	free(buf);
	an_result_free(r);
	ev_free(ev);
}

static void test_check_params(void **state)
{
	(void)state;
	static const struct {
		const char *query, *name, *type, *error;
	} cases[] = {
		{"name=www.Example.COM", "www.example.com.", "A", NULL},
		{"name=example.com.&type=dnskey", "example.com.", "DNSKEY", NULL},
		{"type=AAAA&name=a.b", "a.b.", "AAAA", NULL},
		{"name=b%C3%BCcher.example", "xn--bcher-kva.example.", "A", NULL},
		{"name=+www.example.com+", "www.example.com.", "A", NULL},
		{"name=_dmarc.example.com&type=TXT", "_dmarc.example.com.", "TXT", NULL},
		{"name=.", ".", "A", NULL},
		{"name=x.test&name=y.test", "x.test.", "A", NULL},
		{"name=x.test&other=1", "x.test.", "A", NULL},
		{NULL, NULL, NULL, "missing name"},
		{"", NULL, NULL, "missing name"},
		{"name=", NULL, NULL, "missing name"},
		{"type=A", NULL, NULL, "missing name"},
		{"name=a..b", NULL, NULL, "empty label"},
		{"name=a%00b.test", NULL, NULL, "malformed query string"},
		{"name=%zz", NULL, NULL, "only letters"}, /* evhttp keeps a bad escape as it is */
		{"name=%3Cscript%3E.test", NULL, NULL, "only letters"},
		{"name=a%20b.test", NULL, NULL, "only letters"},
		{"name=a\\.b.test", NULL, NULL, "only letters"},
		{"name=%ff.test", NULL, NULL, "UTF-8"},
		{"name=x.test&type=ANY", NULL, NULL, "record type"},
		{"name=x.test&type=AXFR", NULL, NULL, "record type"},
		{"name=x.test&type=NOPE", NULL, NULL, "record type"},
		{"name=x.test&type=TYPE65788", NULL, NULL, "type numbers end at 65535"},
		{"name=x.test&type=TYPE65536", NULL, NULL, "type numbers end at 65535"},
		{"name=x.test&type=TYPE0", NULL, NULL, "meta or query-only"},
		{"name=x.test&type=TSIG", NULL, NULL, "meta or query-only"},
		{"name=x.test&type=maila", NULL, NULL, "meta or query-only"},
		{"name=x.test&type=TYPE251", NULL, NULL, "meta or query-only"},
		{"name=x.test&type=TYPE65", "x.test.", "HTTPS", NULL},
		{"name=http%3A%2F%2FWWW.Example.com%2Fpath", NULL, NULL, "a URL, not a name; to check its host, give www.example.com"},
		{"name=https%3A%2F%2F%3Cb%3E%2F", NULL, NULL, "give the host name alone"},
		{"name=x.test&type=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL, "record type"},
	};
	for (size_t i = 0; i < DD_ARRAY_LEN(cases); i++) {
		web_check_req_t r;
		int rc = web_check_params(cases[i].query, &r);
		if (cases[i].error) {
			if (rc != DD_EINVAL || !strstr(r.error, cases[i].error) || r.name[0])
				fail_msg("%s: expected error \"%s\", got rc %d \"%s\" name \"%s\"", cases[i].query,
					 cases[i].error, rc, r.error, r.name);
		} else if (rc || strcmp(r.name, cases[i].name) || strcmp(r.type_text, cases[i].type)) {
			fail_msg("%s: expected %s %s, got rc %d %s %s (%s)", cases[i].query, cases[i].name, cases[i].type, rc,
				 r.name, r.type_text, r.error);
		}
	}
	/* An over-long name: refused, and the echo for the form is cut. */
	char q[3000] = "name=";
	memset(q + 5, 'a', 2500);
	q[2505] = '\0';
	web_check_req_t r;
	assert_int_equal(web_check_params(q, &r), DD_EINVAL);
	assert_int_equal(strlen(r.raw_name), 1000);
	/* Random bytes and fragments of good input: no crash, an answer either way (ASan/UBSan watch). */
	static const char alphabet[] = "name=type=&%%%00ffC3BCaZ.-_*+;\\\"<> \x01\xff\xc3\xbcxn--AAAA";
	uint32_t seed = 12345;
	for (int n = 0; n < 20000; n++) {
		char buf[300];
		size_t len = (seed = seed * 1103515245u + 12345u) % 299;
		for (size_t k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[k] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		buf[len] = '\0';
		int rc = web_check_params(buf, &r);
		assert_true(rc == 0 || rc == DD_EINVAL);
		assert_true(rc ? r.error[0] != '\0' && r.name[0] == '\0' : r.name[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_global), cmocka_unit_test(test_buckets), cmocka_unit_test(test_idn),
		cmocka_unit_test(test_serve_options), cmocka_unit_test(test_escape), cmocka_unit_test(test_svg),
		cmocka_unit_test(test_check_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
