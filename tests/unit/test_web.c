/* The web service's pure parts: address classes, token buckets, the
 * fair-share query budget, the shared answer cache, IDN names, serve
 * options, XML escaping and the SVG diagram on saved evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "analyse/analyse.h"
#include "cli/options.h"
#include "common/dd.h"
#include "common/idn.h"
#include "report/report.h"
#include "probe/probe.h"
#include "web/budget.h"
#include "web/front.h"
#include "web/guard.h"
#include "web/web.h"

static void test_addr_global(void **state)
{
	(void)state;
	static const char *const global[] = {
	    "198.41.0.4",	"1.1.1.1",	    "8.8.8.8",
	    "192.0.3.1",	"100.128.0.1",	    "2001:503:ba3e::2:30",
	    "2001:500:2f::f",	"2a00:1450::1",	    "::ffff:8.8.8.8",
	    "64:ff9b::808:808", "2002:0808:0808::1"};
	static const char *const local[] = {"127.0.0.1",
					    "127.53.0.1",
					    "10.1.2.3",
					    "172.16.0.1",
					    "172.31.255.255",
					    "192.168.1.1",
					    "169.254.1.1",
					    "0.0.0.0",
					    "100.64.0.1",
					    "192.0.2.1",
					    "198.51.100.7",
					    "203.0.113.9",
					    "198.18.0.1",
					    "224.0.0.1",
					    "255.255.255.255",
					    "240.0.0.1",
					    "::1",
					    "::",
					    "fe80::1",
					    "fc00::1",
					    "fd12:3456::1",
					    "ff02::1",
					    "2001:db8::1",
					    "::ffff:127.0.0.1",
					    "::ffff:10.0.0.1",
					    "64:ff9b::7f00:1",
					    "2002:7f00:0001::1",
					    "2001::1",
					    "100::1",
					    "fec0::1",
					    "4000::1",
					    "not-an-ip",
					    ""};
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
	assert_int_equal(retry, 20);				/* 3 a minute: one every 20 s */
	assert_true(web_buckets_take(b, k2, 4, 1000, 3, NULL)); /* another key has its own bucket */
	assert_false(web_buckets_take(b, k1, 4, 20000, 3, &retry));
	assert_true(web_buckets_take(b, k1, 4, 21001, 3, &retry)); /* refilled after 20 s */
	/* More keys than slots: old ones are dropped, nothing breaks. */
	for (uint32_t i = 0; i < 100; i++)
		assert_true(web_buckets_take(b, &i, sizeof(i), 30000, 1, NULL));
	web_buckets_free(b);
}

/* Take from `b` until refused; returns how many were allowed. */
static unsigned drain(web_budget_t *b, const uint8_t *t, const uint8_t *c, int64_t now,
		      unsigned per_min, unsigned *share)
{
	unsigned n = 0;
	while (n < 1000 && web_budget_take(b, t, 4, c, 4, now, per_min, share))
		n++;
	return n;
}

static void test_budget_fair(void **state)
{
	web_budget_t *b = web_budget_new(64, 256);
	assert_non_null(b);
	const uint8_t t[4] = {192, 0, 2, 53}, t2[4] = {192, 0, 2, 54};
	const uint8_t a[4] = {10, 0, 0, 1}, c[4] = {10, 0, 0, 2};
	int64_t now = 600000; /* the start of a minute */
	unsigned share = 0;
	/* A lone client has the whole budget. */
	assert_int_equal(drain(b, t, a, now, 10, &share), 10);
	assert_int_equal(share, 10);
	/* A second one is not starved: it gets half, and so does the first from now on. */
	assert_int_equal(drain(b, t, c, now + 1000, 10, &share), 5);
	assert_int_equal(share, 5);
	assert_int_equal(drain(b, t, a, now + 1000, 10, &share), 0);
	assert_int_equal(share, 5);
	/* Another address has its own budget. */
	assert_int_equal(drain(b, t2, c, now + 1000, 10, &share), 10);
	/* A minute later both are still counted (active in the previous minute): half each,
	 * refilled. */
	assert_int_equal(drain(b, t, a, now + 61000, 10, &share), 5);
	assert_int_equal(share, 5);
	/* Two idle minutes: the client that comes back is alone again and has it all. */
	assert_int_equal(drain(b, t, c, now + 240000, 10, &share), 10);
	assert_int_equal(share, 10);
	web_budget_free(b);
}

static void test_budget_ceiling(void **state)
{
	web_budget_t *b = web_budget_new(64, 4096);
	assert_non_null(b);
	const uint8_t t[4] = {192, 0, 2, 53};
	/* Clients arriving one after another each get their share, but the address
	 * is never asked more than twice its budget at once. */
	unsigned total = 0;
	for (uint32_t i = 0; i < 100; i++) {
		uint8_t c[4] = {10, 1, (uint8_t)(i >> 8), (uint8_t)i};
		total += drain(b, t, c, 1000, 10, NULL);
	}
	assert_int_equal(total, 20);
	/* A token given back (a query not sent after all) can be taken again. */
	web_budget_t *g = web_budget_new(8, 8);
	const uint8_t a[4] = {10, 0, 0, 1};
	assert_int_equal(drain(g, t, a, 1000, 3, NULL), 3);
	web_budget_give(g, t, 4, a, 4, 3);
	assert_true(web_budget_take(g, t, 4, a, 4, 1000, 3, NULL));
	assert_false(web_budget_take(g, t, 4, a, 4, 1000, 3, NULL));
	/* Giving back to a pair never seen does nothing (and adds no entry). */
	web_budget_give(g, t, 4, (const uint8_t[4]){1, 2, 3, 4}, 4, 3);
	web_budget_free(g);
	web_budget_free(b);
}

/* A DNS answer with one A record of this TTL (root-zone style), for the cache. */
static size_t answer_wire(uint8_t *buf, uint32_t ttl)
{
	static const uint8_t head[] = {0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0,
				       0,    0,	   1,	 'a',  0, 0, 1, 0, 1};
	size_t n = sizeof(head);
	memcpy(buf, head, n);
	const uint8_t rr[] = {0xc0,
			      0x0c,
			      0,
			      1,
			      0,
			      1,
			      (uint8_t)(ttl >> 24),
			      (uint8_t)(ttl >> 16),
			      (uint8_t)(ttl >> 8),
			      (uint8_t)ttl,
			      0,
			      4,
			      192,
			      0,
			      2,
			      1};
	memcpy(buf + n, rr, sizeof(rr));
	return n + sizeof(rr);
}

static void test_pcache(void **state)
{
	probe_cache_t *c = probe_cache_new(4);
	assert_non_null(c);
	uint8_t w[64], *got = NULL;
	size_t len = answer_wire(w, 300), glen = 0;
	assert_false(probe_cache_get(c, "192.0.2.1", 53, "a.", 1, 1, 1000, &got, &glen));
	probe_cache_put(c, "192.0.2.1", 53, "a.", 1, 1, 1000, w, len);
	assert_true(probe_cache_get(c, "192.0.2.1", 53, "a.", 1, 1, 1299, &got, &glen));
	assert_int_equal(glen, len);
	assert_memory_equal(got, w, len);
	free(got);
	/* Each part of the question matters; the TTL ends it. */
	assert_false(probe_cache_get(c, "192.0.2.2", 53, "a.", 1, 1, 1000, &got, &glen));
	assert_false(probe_cache_get(c, "192.0.2.1", 53, "a.", 1, 0, 1000, &got, &glen));
	assert_false(probe_cache_get(c, "192.0.2.1", 53, "a.", 1, 1, 1300, &got, &glen));
	/* A newer answer replaces the older. */
	size_t len2 = answer_wire(w, 600);
	probe_cache_put(c, "192.0.2.1", 53, "a.", 1, 1, 1000, w, len2);
	assert_true(probe_cache_get(c, "192.0.2.1", 53, "a.", 1, 1, 1500, &got, &glen));
	free(got);
	/* Full (4 entries): it starts afresh, and keeps working. */
	for (int i = 0; i < 10; i++) {
		char srv[32];
		snprintf(srv, sizeof(srv), "192.0.2.%d", 10 + i);
		probe_cache_put(c, srv, 53, "a.", 1, 1, 1000, w, len2);
		assert_true(probe_cache_get(c, srv, 53, "a.", 1, 1, 1000, &got, &glen));
		free(got);
	}
	unsigned long hits = 0, misses = 0;
	probe_cache_stats(c, &hits, &misses);
	assert_int_equal(hits, 12);
	assert_int_equal(misses, 4);
	/* Answers without records are not kept. */
	uint8_t empty[] = {0x12, 0x34, 0x84, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'b', 0, 0, 1, 0, 1};
	probe_cache_put(c, "192.0.2.1", 53, "b.", 1, 1, 1000, empty, sizeof(empty));
	assert_false(probe_cache_get(c, "192.0.2.1", 53, "b.", 1, 1, 1000, &got, &glen));
	probe_cache_free(c);
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
	assert_int_equal(dd_name_idn("\xe2\x98\x83\xe2\x80\x8d.test", out, sizeof(out), &why),
			 DD_EINVAL);
}

/* A request head as the front sees it: decided or not, and the status. */
static int head_status(const char *s, bool *decided)
{
	web_head_t h;
	*decided = web_head_parse((const uint8_t *)s, strlen(s), &h);
	return h.status;
}

static void expect_head(const char *s, int status)
{
	bool decided = false;
	int got = head_status(s, &decided);
	if (!decided || got != status)
		fail_msg("head %.60s: %s, status %d (want decided, %d)", s,
			 decided ? "decided" : "undecided", got, status);
}

static void test_head(void **state)
{
	(void)state;
	/* Valid heads: handed to evhttp. */
	expect_head("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0);
	expect_head("HEAD /healthz HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", 0);
	expect_head("GET /api/v1/check?name=a.test HTTP/1.0\r\n\r\n", 0);
	expect_head("GET / HTTP/1.0\n\n", 0);
	expect_head("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nX-Obs: caf\xc3\xa9\r\n\r\n",
		    0);
	web_head_t h;
	const char *two = "\r\n\r\nGET /check?name=x HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n";
	assert_true(web_head_parse((const uint8_t *)two, strlen(two), &h));
	assert_int_equal(h.status, 0);
	assert_int_equal(h.skip, 4);
	assert_int_equal(h.len, strlen("\r\n\r\nGET /check?name=x HTTP/1.1\r\nHost: x\r\n\r\n"));
	assert_true(h.check_path);
	assert_false(h.api);
	/* Incomplete: undecided, whatever the cut. */
	const char *full = "GET /api/v1/check HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n";
	for (size_t n = 0; n < strlen(full); n++) {
		if (web_head_parse((const uint8_t *)full, n, &h))
			fail_msg("decided after %zu bytes (status %d)", n, h.status);
	}
	assert_false(web_head_parse((const uint8_t *)"\r", 1, &h));
	/* Smuggling shapes and malformed heads (RFC 9112): 400. */
	static const char *const bad[] = {
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +63\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1234567890123456789\r\n\r\n",
	    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n",
	    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
	    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nX\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	    "GET / HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n",
	    "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
	    "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
	    "GET / http/1.1\r\nHost: x\r\n\r\n",
	    "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GARBAGE\r\n\r\n",
	    "\x16\x03\x01\x02\x00\x01",
	    " GET / HTTP/1.1\r\n\r\n",
	    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	for (size_t i = 0; i < DD_ARRAY_LEN(bad); i++)
		expect_head(bad[i], 400);
	/* Other methods: 405 (libevent said 501 for unknown ones); the path says what Allow is. */
	expect_head("FOO / HTTP/1.1\r\nHost: x\r\n\r\n", 405);
	expect_head("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405);
	const char *post =
	    "POST /api/v1/check?name=x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n";
	assert_true(web_head_parse((const uint8_t *)post, strlen(post), &h));
	assert_int_equal(h.status, 405);
	assert_true(h.api);
	assert_true(h.check_path);
	/* Too large: 431, also before the end arrives. */
	char big[WEB_HEAD_MAX + 100];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	assert_true(web_head_parse((const uint8_t *)big, sizeof(big), &h));
	assert_int_equal(h.status, 431);
	char *many = malloc(200 * 16 + 64);
	assert_non_null(many);
	size_t n = (size_t)sprintf(many, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 150; i++)
		n += (size_t)sprintf(many + n, "X-%d: 1\r\n", i);
	sprintf(many + n, "\r\n");
	expect_head(many, 431);
	free(many);
}

static void test_client_key(void **state)
{
	(void)state;
	uint8_t k[16];
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0xc0000201)};
	assert_int_equal(web_client_key((struct sockaddr *)&a4, k), 4);
	assert_int_equal(k[0], 192);
	assert_int_equal(k[3], 1);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "2001:db8:1:2:3:4:5:6", &a6.sin6_addr);
	uint8_t k2[16];
	assert_int_equal(web_client_key((struct sockaddr *)&a6, k), 8);
	inet_pton(AF_INET6, "2001:db8:1:2:ffff::1", &a6.sin6_addr); /* same /64 */
	assert_int_equal(web_client_key((struct sockaddr *)&a6, k2), 8);
	assert_memory_equal(k, k2, 8);
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &a6.sin6_addr); /* IPv4-mapped: the IPv4 key */
	assert_int_equal(web_client_key((struct sockaddr *)&a6, k2), 4);
	assert_int_equal(k2[0], 192);
	assert_int_equal(k2[3], 1);
}

static void test_serve_options(void **state)
{
	(void)state;
	dd_opts_t o;
	char err[300];
	char *ok[] = {"dnssec-doctor", "serve",	     "--listen", "[::1]:9000", "--allow-private",
		      "--max-checks",  "8",	     "--rate",	 "5",	       "--target-budget",
		      "100",	       "--deadline", "3000"};
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
	assert_int_equal(o.header_timeout_s, 10);
	assert_int_equal(o.max_conns, 4096);
	assert_int_equal(o.max_client_conns, 64);
	dd_opts_free(&o);
	char *caps[] = {"dnssec-doctor",     "serve", "--header-timeout",	  "3",
			"--max-connections", "100",   "--max-client-connections", "5"};
	assert_int_equal(dd_opts_parse(8, caps, &o, err, sizeof(err)), 0);
	assert_int_equal(o.header_timeout_s, 3);
	assert_int_equal(o.max_conns, 100);
	assert_int_equal(o.max_client_conns, 5);
	dd_opts_free(&o);
	char *badt[] = {"dnssec-doctor", "serve", "--header-timeout", "0"};
	assert_int_equal(dd_opts_parse(4, badt, &o, err, sizeof(err)), DD_EINVAL);
	assert_non_null(strstr(err, "--header-timeout"));
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
	snprintf(path, sizeof(path), "%s/tests/unit/evidence/www.kskroll.test.json",
		 root ? root : ".");
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
	assert_non_null(strstr(
	    buf,
	    "<title id=\"chain-title\">Chain of trust for www.kskroll.test. A: bogus</title>"));
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
	    {"name=http%3A%2F%2FWWW.Example.com%2Fpath", NULL, NULL,
	     "a URL, not a name; to check its host, give www.example.com"},
	    {"name=https%3A%2F%2F%3Cb%3E%2F", NULL, NULL, "give the host name alone"},
	    {"name=x.test&type=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL, "record type"},
	};
	for (size_t i = 0; i < DD_ARRAY_LEN(cases); i++) {
		web_check_req_t r;
		int rc = web_check_params(cases[i].query, &r);
		if (cases[i].error) {
			if (rc != DD_EINVAL || !strstr(r.error, cases[i].error) || r.name[0])
				fail_msg("%s: expected error \"%s\", got rc %d \"%s\" name \"%s\"",
					 cases[i].query, cases[i].error, rc, r.error, r.name);
		} else if (rc || strcmp(r.name, cases[i].name) ||
			   strcmp(r.type_text, cases[i].type)) {
			fail_msg("%s: expected %s %s, got rc %d %s %s (%s)", cases[i].query,
				 cases[i].name, cases[i].type, rc, r.name, r.type_text, r.error);
		}
	}
	/* An over-long name: refused, and the echo for the form is cut. */
	char q[3000] = "name=";
	memset(q + 5, 'a', 2500);
	q[2505] = '\0';
	web_check_req_t r;
	assert_int_equal(web_check_params(q, &r), DD_EINVAL);
	assert_int_equal(strlen(r.raw_name), 1000);
	/* Random bytes and fragments of good input: no crash, an answer either way (ASan/UBSan
	 * watch). */
	static const char alphabet[] =
	    "name=type=&%%%00ffC3BCaZ.-_*+;\\\"<> \x01\xff\xc3\xbcxn--AAAA";
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
	    cmocka_unit_test(test_addr_global),
	    cmocka_unit_test(test_buckets),
	    cmocka_unit_test(test_idn),
	    cmocka_unit_test(test_serve_options),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_svg),
	    cmocka_unit_test(test_check_params),
	    cmocka_unit_test(test_budget_fair),
	    cmocka_unit_test(test_budget_ceiling),
	    cmocka_unit_test(test_pcache),
	    cmocka_unit_test(test_check_params),
	    cmocka_unit_test(test_head),
	    cmocka_unit_test(test_client_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
