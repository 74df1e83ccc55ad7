/* The command line: times, names, types, files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/options.h"
#include "common/dd.h"

static int parse(dd_opts_t *o, char *err, size_t n, int argc, ...)
{
	char *argv[16];
	va_list ap;
	va_start(ap, argc);
	argv[0] = "dnssec-doctor";
	for (int i = 1; i < argc && i < 16; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return dd_opts_parse(argc, argv, o, err, n);
}

static void test_time(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(dd_parse_time("0", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(dd_parse_time("1764072000", &t), 0);
	assert_int_equal(t, 1764072000);
	assert_int_equal(dd_parse_time("2025-11-25T12:00:00Z", &t), 0);
	assert_int_equal(t, 1764072000);
	assert_int_equal(dd_parse_time("2025-11-25T13:30:00+01:30", &t), 0);
	assert_int_equal(t, 1764072000);
	assert_int_equal(dd_parse_time("2025-11-25T12:00:00.123Z", &t), 0);
	assert_int_equal(t, 1764072000);
	assert_int_equal(dd_parse_time("2025-11-25T12:00:00", &t), DD_EINVAL); /* no zone */
	assert_int_equal(dd_parse_time("yesterday", &t), DD_EINVAL);
	assert_int_equal(dd_parse_time("", &t), DD_EINVAL);
	assert_int_equal(dd_parse_time("99999999999999999999", &t), DD_EINVAL);
	assert_int_equal(dd_parse_time("2025-11-25T12:00:00Zjunk", &t), DD_EINVAL);
}

static void test_names_and_types(void **state)
{
	(void)state;
	dd_opts_t o;
	char err[256];
	assert_int_equal(parse(&o, err, sizeof(err), 2, "WWW.Example.COM"), 0);
	assert_string_equal(o.name, "www.example.com.");
	assert_int_equal(o.qtype, LDNS_RR_TYPE_A);
	assert_int_equal(o.cmd, DD_CMD_CHECK);
	dd_opts_free(&o);

	assert_int_equal(parse(&o, err, sizeof(err), 5, "check", "--json", "example.com", "dnskey"), 0);
	assert_int_equal(o.qtype, LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(o.format, DD_FMT_JSON);
	dd_opts_free(&o);

	assert_int_equal(parse(&o, err, sizeof(err), 3, "probe", "."), 0);
	assert_string_equal(o.name, ".");
	assert_int_equal(o.cmd, DD_CMD_PROBE);
	dd_opts_free(&o);

	assert_int_equal(parse(&o, err, sizeof(err), 2, "a..b"), DD_EINVAL);
	assert_non_null(strstr(err, "invalid name"));
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 3, "example.com", "ANY"), DD_EINVAL);
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 3, "example.com", "AXFR"), DD_EINVAL);
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 3, "--format", "xml"), DD_EINVAL);
	assert_non_null(strstr(err, "--format"));
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 4, "-4", "-6", "example.com"), DD_EINVAL);
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 2, "--timeout"), DD_EINVAL);
	assert_non_null(strstr(err, "needs a value"));
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 4, "--max-queries", "0", "example.com"), DD_EINVAL);
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 2, "analyse"), DD_EINVAL);
	dd_opts_free(&o);
}

static void test_anchor_files(void **state)
{
	(void)state;
	char path[] = "/tmp/dd-test-anchor-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *good = "; comment\n$TTL 3600\n"
			   ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
			   "example. IN DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000\n";
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	ldns_rr_list *l = NULL;
	char err[256];
	assert_int_equal(dd_read_rrs(path, "--trust-anchor", true, &l, err, sizeof(err)), 0);
	assert_int_equal(ldns_rr_list_rr_count(l), 2);
	ldns_rr_list_deep_free(l);
	/* Hints from the same file: wrong record types. */
	assert_int_equal(dd_read_rrs(path, "--root-hints", false, &l, err, sizeof(err)), DD_EPARSE);
	assert_non_null(strstr(err, "expected NS, A or AAAA, got DS"));
	unlink(path);
	assert_int_equal(dd_read_rrs("/nonexistent/x", "--trust-anchor", true, &l, err, sizeof(err)), DD_EIO);
	assert_non_null(strstr(err, "cannot read"));
}

static void test_builtins(void **state)
{
	(void)state;
	ldns_rr_list *l = NULL;
	assert_int_equal(dd_builtin_anchors(&l), 0);
	assert_int_equal(ldns_rr_list_rr_count(l), 2);
	uint16_t tags[2] = {ldns_rdf2native_int16(ldns_rr_rdf(ldns_rr_list_rr(l, 0), 0)),
			    ldns_rdf2native_int16(ldns_rr_rdf(ldns_rr_list_rr(l, 1), 0))};
	assert_int_equal(tags[0], 20326);
	assert_int_equal(tags[1], 38696);
	ldns_rr_list_deep_free(l);
	assert_int_equal(dd_builtin_hints(&l), 0);
	assert_int_equal(ldns_rr_list_rr_count(l), 13 * 3);
	ldns_rr_list_deep_free(l);
}

static void test_resolvers(void **state)
{
	(void)state;
	probe_resolver_t r;
	assert_int_equal(dd_parse_resolver("192.0.2.1", &r), 0);
	assert_string_equal(r.addr, "192.0.2.1");
	assert_int_equal(r.port, 53);
	assert_int_equal(dd_parse_resolver("2001:DB8::1#5353", &r), 0);
	assert_string_equal(r.addr, "2001:db8::1");
	assert_int_equal(r.port, 5353);
	static const char *bad[] = {"", "#53", "192.0.2.1#", "192.0.2.1#0", "192.0.2.1#65536", "192.0.2.1#53x",
				    "example.com", "192.0.2.256", "1.2.3.4.5", "[::1]:53", "fe80::1%eth0",
				    "1111111111111111111111111111111111111111111111111111111111111111111111"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dd_parse_resolver(bad[i], &r) != DD_EINVAL)
			fail_msg("accepted resolver \"%s\"", bad[i]);

	/* Defaults: the public resolvers, then resolv.conf's, without duplicates. */
	char path[] = "/tmp/dd-resolv-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# comment\nsearch example.\nnameserver 127.0.0.53\nnameserver 1.1.1.1\nnameserver ::1\n"
	      "nameserver fe80::1%eth0\nnameserver garbage\noptions edns0\n", f);
	fclose(f);
	probe_resolver_t *list = NULL;
	size_t n = 0;
	assert_int_equal(dd_default_resolvers(false, path, &list, &n), 0);
	assert_int_equal(n, 4); /* 1.1.1.1, 8.8.8.8, 9.9.9.9, 127.0.0.53 */
	assert_string_equal(list[0].label, "Cloudflare");
	assert_string_equal(list[3].addr, "127.0.0.53");
	assert_string_equal(list[3].label, "system");
	free(list);
	assert_int_equal(dd_default_resolvers(true, path, &list, &n), 0);
	assert_int_equal(n, 8); /* and three IPv6 public ones, and ::1 */
	free(list);
	assert_int_equal(dd_default_resolvers(false, "/nonexistent/resolv.conf", &list, &n), 0);
	assert_int_equal(n, 3);
	free(list);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_names_and_types),
		cmocka_unit_test(test_anchor_files),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_resolvers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
