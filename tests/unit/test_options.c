/* The command line: times, names, types, files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cli/options.h"
#include "common/dd.h"
#include "common/idn.h"

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

	assert_int_equal(parse(&o, err, sizeof(err), 5, "check", "--json", "example.com", "dnskey"),
			 0);
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
	assert_int_equal(parse(&o, err, sizeof(err), 4, "--max-queries", "0", "example.com"),
			 DD_EINVAL);
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
	const char *good =
	    "; comment\n$TTL 3600\n"
	    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
	    "example. IN DS 1 13 2 "
	    "0000000000000000000000000000000000000000000000000000000000000000\n";
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
	assert_int_equal(
	    dd_read_rrs("/nonexistent/x", "--trust-anchor", true, &l, err, sizeof(err)), DD_EIO);
	assert_non_null(strstr(err, "cannot read"));
}

/* Type numbers wrap at 16 bits in ldns (TYPE65788 is AXFR): refused above 65535, and the
 * meta and query-only types are refused by name and by number. */
static void test_types(void **state)
{
	(void)state;
	uint16_t t = 0;
	const char *why = NULL;
	static const struct {
		const char *in;
		int type; /* -1: refused */
	} cases[] = {
	    {"A", 1},
	    {"dnskey", 48},
	    {"TYPE1", 1},
	    {"type01", 1},
	    {"TYPE65", 65},
	    {"TYPE256", 256},
	    {"TYPE65534", 65534},
	    {"TYPE00000000000000000000046", 46},
	    {"CAA", 257},
	    {"TYPE65788", -1},
	    {"TYPE65791", -1},
	    {"TYPE65577", -1},
	    {"TYPE65536", -1},
	    {"TYPE4294967297", -1},
	    {"TYPE99999999999999999999", -1},
	    {"TYPE0", -1},
	    {"TYPE", -1},
	    {"TYPE-1", -1},
	    {"TYPE1x", -1},
	    {"TYPE 1", -1},
	    {"ANY", -1},
	    {"any", -1},
	    {"AXFR", -1},
	    {"IXFR", -1},
	    {"OPT", -1},
	    {"TSIG", -1},
	    {"TKEY", -1},
	    {"MAILA", -1},
	    {"MAILB", -1},
	    {"TYPE41", -1},
	    {"TYPE128", -1},
	    {"TYPE249", -1},
	    {"TYPE252", -1},
	    {"TYPE255", -1},
	    {"NOPE", -1},
	    {"", -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = 0;
		int rc = dd_qtype_parse(cases[i].in, &t, &why);
		if (cases[i].type < 0 && (rc != DD_EINVAL || !why))
			fail_msg("accepted type \"%s\" as %u", cases[i].in, t);
		if (cases[i].type >= 0 && (rc != 0 || t != cases[i].type))
			fail_msg("type \"%s\": rc %d, %u (%s)", cases[i].in, rc, t, why ? why : "");
	}
	assert_int_equal(dd_qtype_parse("TYPE65788", &t, &why), DD_EINVAL);
	assert_non_null(strstr(why, "65535"));
	assert_int_equal(dd_qtype_parse("AXFR", &t, &why), DD_EINVAL);
	assert_non_null(strstr(why, "meta or query-only"));

	dd_opts_t o;
	char err[256];
	assert_int_equal(parse(&o, err, sizeof(err), 3, "example.com", "TYPE65788"), DD_EINVAL);
	assert_non_null(strstr(err, "TYPE65788"));
	assert_non_null(strstr(err, "65535"));
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 4, "probe", "example.com", "maila"),
			 DD_EINVAL);
	assert_non_null(strstr(err, "meta or query-only"));
	dd_opts_free(&o);
}

/* Names a person may type by mistake: a space inside, a control character, a URL. */
static void test_name_typos(void **state)
{
	(void)state;
	dd_opts_t o;
	char err[512];
	assert_int_equal(parse(&o, err, sizeof(err), 2, "www example.com"), DD_EINVAL);
	assert_non_null(strstr(err, "white space"));
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 2, "www.exa\tmple.com"), DD_EINVAL);
	assert_non_null(strstr(err, "white space"));
	assert_null(strchr(err, '\t')); /* shown as '?' */
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 2, "a\x01.b"), DD_EINVAL);
	dd_opts_free(&o);
	/* Around the name, white space is trimmed; an escaped space is a label's octet. */
	assert_int_equal(parse(&o, err, sizeof(err), 2, " www.example.com\n"), 0);
	assert_string_equal(o.name, "www.example.com.");
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 2, "a\\032b.example"), 0);
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 2, "http://www.example.com/"), DD_EINVAL);
	assert_non_null(strstr(err, "a URL"));
	assert_non_null(strstr(err, "give www.example.com"));
	dd_opts_free(&o);
	assert_int_equal(
	    parse(&o, err, sizeof(err), 3, "check", "HTTPS://u:p@Www.Example.COM:8443/a?b#c"),
	    DD_EINVAL);
	assert_non_null(strstr(err, "give Www.Example.COM"));
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 2, "ftp://"), DD_EINVAL);
	assert_non_null(strstr(err, "host name alone"));
	dd_opts_free(&o);

	char host[64];
	assert_true(dd_name_is_url("  http://[2001:db8::1]:80/", host, sizeof(host)));
	assert_string_equal(host, "[2001:db8::1]");
	assert_true(dd_name_is_url("git+ssh://a@b@host.example", host, sizeof(host)));
	assert_string_equal(host, "host.example");
	assert_false(dd_name_is_url("www.example.com", host, sizeof(host)));
	assert_false(
	    dd_name_is_url("0/25.2.0.192.in-addr.arpa", host, sizeof(host))); /* RFC 2317 */
	assert_false(dd_name_is_url("1http://x", host, sizeof(host)));
	assert_false(dd_name_has_space(" www.example.com\r\n"));
	assert_true(dd_name_has_space("www.exam ple.com"));
}

/* Options that contradict each other are an error, not a silent choice. */
static void test_conflicts(void **state)
{
	(void)state;
	dd_opts_t o;
	char err[256];
	assert_int_equal(
	    parse(&o, err, sizeof(err), 5, "--json", "--format", "text", "example.com"), DD_EINVAL);
	assert_non_null(strstr(err, "--json and --format text"));
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 5, "--format", "svg", "--json", "example.com"),
			 DD_EINVAL);
	assert_non_null(strstr(err, "--format svg and --json"));
	dd_opts_free(&o);
	assert_int_equal(
	    parse(&o, err, sizeof(err), 6, "--format", "svg", "--format", "text", "example.com"),
	    DD_EINVAL);
	dd_opts_free(&o);
	/* Saying the same twice is no conflict. */
	assert_int_equal(
	    parse(&o, err, sizeof(err), 5, "--json", "--format", "json", "example.com"), 0);
	assert_int_equal(o.format, DD_FMT_JSON);
	dd_opts_free(&o);
	assert_int_equal(
	    parse(&o, err, sizeof(err), 5, "--no-resolvers", "--resolver", "192.0.2.1", "x.test"),
	    DD_EINVAL);
	assert_non_null(strstr(err, "--no-resolvers and --resolver"));
	dd_opts_free(&o);
	assert_int_equal(
	    parse(&o, err, sizeof(err), 5, "--resolver", "192.0.2.1", "--no-resolvers", "x.test"),
	    DD_EINVAL);
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 4, "--color", "--no-color", "x.test"),
			 DD_EINVAL);
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 4, "scan", "--format", "text"), DD_EINVAL);
	assert_non_null(strstr(err, "scan writes"));
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 5, "probe", "--format", "svg", "x.test"),
			 DD_EINVAL);
	dd_opts_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 3, "scan", "--json"), 0);
	dd_opts_free(&o);
}

/* --trust-anchor and --root-hints: a regular file of at most 1 MiB, nothing else (a directory,
 * /dev/zero or a FIFO with no writer kept the reader spinning or blocked). */
static void test_rr_file_kinds(void **state)
{
	(void)state;
	ldns_rr_list *l = NULL;
	char err[256];
	assert_int_equal(dd_read_rrs("/tmp", "--trust-anchor", true, &l, err, sizeof(err)), DD_EIO);
	assert_non_null(strstr(err, "a directory, not a regular file"));
	assert_int_equal(dd_read_rrs("/dev/zero", "--root-hints", false, &l, err, sizeof(err)),
			 DD_EIO);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(dd_read_rrs("/dev/null", "--root-hints", false, &l, err, sizeof(err)),
			 DD_EIO);
	char dir[] = "/tmp/dd-test-fifo-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char fifo[64];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(dd_read_rrs(fifo, "--trust-anchor", true, &l, err, sizeof(err)), DD_EIO);
	assert_non_null(strstr(err, "a FIFO"));
	unlink(fifo);
	/* Too large (a sparse file: no disk spent), NUL bytes, empty. */
	char big[64];
	snprintf(big, sizeof(big), "%s/big", dir);
	int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1024 * 1024 + 1), 0);
	close(fd);
	assert_int_equal(dd_read_rrs(big, "--trust-anchor", true, &l, err, sizeof(err)), DD_EIO);
	assert_non_null(strstr(err, "larger than 1 MiB"));
	fd = open(big, O_WRONLY | O_TRUNC);
	assert_int_equal(ftruncate(fd, 1000), 0);
	close(fd);
	assert_int_equal(dd_read_rrs(big, "--trust-anchor", true, &l, err, sizeof(err)), DD_EPARSE);
	assert_non_null(strstr(err, "NUL"));
	fd = open(big, O_WRONLY | O_TRUNC);
	close(fd);
	assert_int_equal(dd_read_rrs(big, "--root-hints", false, &l, err, sizeof(err)), DD_EPARSE);
	assert_non_null(strstr(err, "no NS records"));
	unlink(big);
	rmdir(dir);
	assert_null(l);

	dd_opts_t o;
	assert_int_equal(parse(&o, err, sizeof(err), 4, "--trust-anchor", "/dev/zero", "x.test"),
			 DD_EINVAL);
	assert_non_null(strstr(err, "--trust-anchor: /dev/zero"));
	dd_opts_free(&o);
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
	static const char *bad[] = {
	    "",
	    "#53",
	    "192.0.2.1#",
	    "192.0.2.1#0",
	    "192.0.2.1#65536",
	    "192.0.2.1#53x",
	    "example.com",
	    "192.0.2.256",
	    "1.2.3.4.5",
	    "[::1]:53",
	    "fe80::1%eth0",
	    "1111111111111111111111111111111111111111111111111111111111111111111111"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dd_parse_resolver(bad[i], &r) != DD_EINVAL)
			fail_msg("accepted resolver \"%s\"", bad[i]);

	/* Defaults: the public resolvers, then resolv.conf's, without duplicates. */
	char path[] = "/tmp/dd-resolv-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# comment\nsearch example.\nnameserver 127.0.0.53\nnameserver 1.1.1.1\nnameserver "
	      "::1\n"
	      "nameserver fe80::1%eth0\nnameserver garbage\noptions edns0\n",
	      f);
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
	    cmocka_unit_test(test_time),	  cmocka_unit_test(test_names_and_types),
	    cmocka_unit_test(test_anchor_files),  cmocka_unit_test(test_types),
	    cmocka_unit_test(test_name_typos),	  cmocka_unit_test(test_conflicts),
	    cmocka_unit_test(test_rr_file_kinds), cmocka_unit_test(test_builtins),
	    cmocka_unit_test(test_resolvers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
