/* test_target.c - parsing what the user asked to scan, and the TLS mode a
 * port implies. Every accepted form has a rejected neighbour. */
#include "testutil.h"

#include "core/err.h"
#include "scan/target.h"

static void parse_ok(const char *spec, uint16_t def, const char *host, uint16_t port, int numeric)
{
	struct target t;
	struct err e;

	err_clear(&e);
	assert_int_equal(target_parse(spec, def, &t, &e), 0);
	assert_string_equal(t.host, host);
	assert_int_equal(t.port, port);
	assert_int_equal(t.numeric, numeric);
	assert_int_equal(t.mode_set, 0);
	assert_int_equal(e.cat, ERR_NONE);
}

static void parse_bad(const char *spec)
{
	struct target t;
	struct err e;

	err_clear(&e);
	assert_int_equal(target_parse(spec, 25, &t, &e), -1);
	assert_int_equal(e.cat, ERR_USAGE);
	assert_true(strlen(e.msg) > 0);
}

static void test_name_default_port(void **state UNUSED)
{
	parse_ok("mx.example.com", 25, "mx.example.com", 25, 0);
	parse_ok("mx.example.com", 465, "mx.example.com", 465, 0);
	/* Underscores appear in real MX names; a trailing dot is absolute. */
	parse_ok("_mta-sts.example.com", 25, "_mta-sts.example.com", 25, 0);
	parse_ok("mx.example.com.", 25, "mx.example.com.", 25, 0);
	parse_ok("localhost", 25, "localhost", 25, 0);
}

static void test_name_port(void **state UNUSED)
{
	parse_ok("host:587", 25, "host", 587, 0);
	parse_ok("mx.example.com:1", 25, "mx.example.com", 1, 0);
	parse_ok("mx.example.com:65535", 25, "mx.example.com", 65535, 0);
}

static void test_ipv6(void **state UNUSED)
{
	parse_ok("[2001:db8::1]:465", 25, "2001:db8::1", 465, 1);
	parse_ok("[::1]", 25, "::1", 25, 1);
	/* A bare address: its colons are not a port separator. */
	parse_ok("2001:db8::1", 25, "2001:db8::1", 25, 1);
	parse_ok("::1", 993, "::1", 993, 1);
}

static void test_ipv4(void **state UNUSED)
{
	parse_ok("192.0.2.1:993", 25, "192.0.2.1", 993, 1);
	parse_ok("192.0.2.1", 25, "192.0.2.1", 25, 1);
}

static void test_bad_port(void **state UNUSED)
{
	parse_bad("host:0");
	parse_bad("host:65536");
	parse_bad("host:99999");
	parse_bad("host:123456");
	parse_bad("host:abc");
	parse_bad("host:25x");
	parse_bad("host:-1");
	parse_bad("host: 25");
	parse_bad("host:");
	parse_bad("[::1]:");
	parse_bad("[::1]:0");
	parse_bad("[::1]:65536");
}

static void test_bad_brackets(void **state UNUSED)
{
	parse_bad("[::1");
	parse_bad("[::1]x");
	parse_bad("[::1]25");
	parse_bad("[host]:25");
	parse_bad("[192.0.2.1]:25");
	parse_bad("[]:25");
	parse_bad("[]");
}

static void test_bad_host(void **state UNUSED)
{
	parse_bad("");
	parse_bad(":25");
	parse_bad("bad host!:25");
	parse_bad("bad host");
	parse_bad("host\x1b[2J:25");
	parse_bad("a..b");
	parse_bad(".example.com");
	parse_bad(".");
	/* Three colons: neither a bare IPv6 address nor host:port. */
	parse_bad("host:25:26");
	parse_bad("2001:db8::zz");
}

static void test_long_names(void **state UNUSED)
{
	char name[300];
	char spec[320];

	/* A label of 63 is the longest allowed (RFC 1035 2.3.4). */
	memset(name, 'a', 63);
	memcpy(name + 63, ".com", 5);
	parse_ok(name, 25, name, 25, 0);
	memset(name, 'a', 64);
	memcpy(name + 64, ".com", 5);
	parse_bad(name);
	snprintf(spec, sizeof spec, "%s:25", name);
	parse_bad(spec);

	/* A name of 253 is the longest allowed (RFC 1035 2.3.4): three
	 * labels of 63 with their dots, then 61 more. */
	for (int i = 0; i < 4; i++) {
		memset(name + 64 * i, 'a', 63);
		name[64 * i + 63] = '.';
	}
	name[253] = '\0';
	assert_int_equal(strlen(name), 253);
	assert_true(name[252] != '.');
	parse_ok(name, 25, name, 25, 0);
	name[253] = 'c';
	name[254] = '\0';
	parse_bad(name);
	/* Past the host field's size. */
	memset(name, 'a', sizeof(name) - 1);
	for (size_t i = 60; i < sizeof(name) - 1; i += 61)
		name[i] = '.';
	name[sizeof(name) - 1] = '\0';
	parse_bad(name);
}

static void check_mode(uint16_t port, int rc, enum tls_mode mode, const char *starttls)
{
	enum tls_mode m;
	const char *s = "unset";

	/* Neither mode: a value the call must overwrite. */
	memset(&m, 0x5a, sizeof m);

	assert_int_equal(target_port_mode(port, &m, &s), rc);
	if (rc != 0)
		return;
	assert_int_equal(m, mode);
	if (starttls)
		assert_string_equal(s, starttls);
	else
		assert_null(s);
}

static void test_port_mode(void **state UNUSED)
{
	check_mode(25, 0, MODE_STARTTLS, "smtp");
	check_mode(587, 0, MODE_STARTTLS, "smtp");
	check_mode(143, 0, MODE_STARTTLS, "imap");
	check_mode(110, 0, MODE_STARTTLS, "pop3");
	check_mode(465, 0, MODE_IMPLICIT, NULL);
	check_mode(993, 0, MODE_IMPLICIT, NULL);
	check_mode(995, 0, MODE_IMPLICIT, NULL);
	check_mode(12345, -1, MODE_IMPLICIT, NULL);
	check_mode(0, -1, MODE_IMPLICIT, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_default_port),
	    cmocka_unit_test(test_name_port),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_ipv4),
	    cmocka_unit_test(test_bad_port),
	    cmocka_unit_test(test_bad_brackets),
	    cmocka_unit_test(test_bad_host),
	    cmocka_unit_test(test_long_names),
	    cmocka_unit_test(test_port_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
