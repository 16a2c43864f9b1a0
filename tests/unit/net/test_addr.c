/* test_addr.c - the one numeric-address check, port parser and host-name
 * validator (net/addr.h). Every accepted form has a rejected neighbour. */
#include "testutil.h"

#include "net/addr.h"

static void test_numeric(void **state UNUSED)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64];

	assert_int_equal(net_parse_numeric("127.0.0.1", &ss, &len, text, sizeof text), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_string_equal(text, "127.0.0.1");
	assert_int_equal(net_parse_numeric("::0001", &ss, &len, text, sizeof text), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_string_equal(text, "::1"); /* canonical */
	assert_true(net_is_numeric("2001:db8::1"));
	assert_false(net_is_numeric("[::1]"));
	assert_false(net_is_numeric("mx.example.com"));
	assert_false(net_is_numeric("127.0.0.256"));
	assert_false(net_is_numeric(""));
}

static int port(const char *s, int zero)
{
	uint16_t p = 7;
	if (net_parse_port(s, strlen(s), zero, &p) != 0)
		return -1;
	return p;
}

static void test_port(void **state UNUSED)
{
	assert_int_equal(port("25", 0), 25);
	assert_int_equal(port("65535", 0), 65535);
	assert_int_equal(port("65536", 0), -1);
	assert_int_equal(port("0", 0), -1);
	assert_int_equal(port("0", 1), 0);
	assert_int_equal(port("", 1), -1);
	assert_int_equal(port("025", 0), 25);
	assert_int_equal(port("000025", 0), -1); /* more than 5 digits */
	assert_int_equal(port("+25", 0), -1);
	assert_int_equal(port("25 ", 0), -1);
	assert_int_equal(port("-1", 1), -1);
	/* n bytes, not the string: "2525" read as its first two */
	uint16_t p = 0;
	assert_int_equal(net_parse_port("2525", 2, 0, &p), 0);
	assert_int_equal(p, 25);
}

static int host(const char *s, unsigned flags)
{
	return net_hostname_ok(s, strlen(s), flags);
}

static void test_hostname(void **state UNUSED)
{
	char long_label[70], long_name[300];

	assert_true(host("mx.example.com", 0));
	assert_true(host("MX1.Example.COM.", 0)); /* one trailing dot */
	assert_true(host("_mta-sts.example.com", 0));
	assert_true(host("localhost", 0));
	assert_false(host("", 0));
	assert_false(host(".", 0));
	assert_false(host("mx..example.com", 0));
	assert_false(host(".example.com", 0));
	assert_false(host("example.com..", 0));
	assert_false(host("-mx.example.com", 0));
	assert_false(host("mx-.example.com", 0));
	assert_false(host("bad name", 0));
	assert_false(host("mx.example.com\n", 0));
	assert_false(host("*.example.com", 0));
	assert_true(host("*.example.com", NET_HOST_WILDCARD));
	assert_false(host("*", NET_HOST_WILDCARD));
	assert_false(host("a.*.example.com", NET_HOST_WILDCARD));
	assert_false(host("*x.example.com", NET_HOST_WILDCARD));

	memset(long_label, 'a', 63);
	long_label[63] = '\0';
	assert_true(host(long_label, 0));
	long_label[63] = 'a';
	long_label[64] = '\0';
	assert_false(host(long_label, 0));

	for (size_t i = 0; i < 254; i++)
		long_name[i] = (i % 2) ? '.' : 'a';
	long_name[253] = '\0'; /* "a.a. ... a": 253 characters */
	assert_true(host(long_name, 0));
	long_name[253] = 'b';
	long_name[254] = '\0';
	assert_false(host(long_name, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numeric),
	    cmocka_unit_test(test_port),
	    cmocka_unit_test(test_hostname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
