/* test_result.c - the result model's queries that the checks ask instead
 * of comparing strings: capability lines (the server's, an open set), the
 * same target, an MX host by name, why the MTA-STS TXT lookup failed. */
#include "testutil.h"

#include "model/domain.h"
#include "model/result.h"

static void test_cap_find(void **state UNUSED)
{
	char *caps[] = {"PIPELINING", "SIZE 10240000", "auth=LOGIN", "STARTTLSX", "starttls"};
	size_t n = sizeof caps / sizeof caps[0];

	assert_ptr_equal(dlg_cap_find(caps, n, "SIZE"), caps[1]);
	assert_ptr_equal(dlg_cap_find(caps, n, "AUTH"), caps[2]);     /* "=" ends it too */
	assert_ptr_equal(dlg_cap_find(caps, n, "STARTTLS"), caps[4]); /* not STARTTLSX */
	assert_null(dlg_cap_find(caps, n, "STLS"));
	assert_null(dlg_cap_find(caps, n, "PIPE"));
	assert_null(dlg_cap_find(caps, 0, "SIZE"));
}

static void test_cap_listed(void **state UNUSED)
{
	char *caps[] = {"PIPELINING", "SIZE 10240000"};

	assert_true(dlg_cap_listed(caps, 2, "size 10240000"));
	assert_false(dlg_cap_listed(caps, 2, "SIZE"));
	assert_false(dlg_cap_listed(caps, 0, "PIPELINING"));
	assert_true(dlg_cap_is_starttls("STARTTLS"));
	assert_true(dlg_cap_is_starttls("stls"));
	assert_false(dlg_cap_is_starttls("STARTTLS x"));
	assert_false(dlg_cap_is_starttls("STL"));
}

static void test_same_target(void **state UNUSED)
{
	struct result *r = result_new();
	struct endpoint *a = result_add_endpoint(r, "mx.example", 25, "192.0.2.1");
	struct endpoint *b = result_add_endpoint(r, "mx.example", 25, "2001:db8::1");
	struct endpoint *c = result_add_endpoint(r, "mx.example", 587, "192.0.2.1");
	struct endpoint *d = result_add_endpoint(r, "MX.example", 25, "192.0.2.1");

	assert_true(ep_same_target(a, b));
	assert_false(ep_same_target(a, c));
	assert_false(ep_same_target(a, d)); /* the host as given */
	result_free(r);
}

static void test_mx_find(void **state UNUSED)
{
	struct domain_info *d = domain_info_new("example.com");
	struct mx_host *m1 = domain_add_mx(d, "mx1.example.com", 10);
	struct mx_host *m2 = domain_add_mx(d, "mx2.example.com", 20);

	assert_ptr_equal(domain_mx_find(d, "mx2.example.com"), m2);
	assert_ptr_equal(domain_mx_find(d, "MX1.Example.COM"), m1);
	assert_null(domain_mx_find(d, "mx3.example.com"));
	assert_null(domain_mx_find(d, NULL));
	domain_info_free(d);
}

static void test_sts_lookup_reason(void **state UNUSED)
{
	struct domain_info *d = domain_info_new("example.com");

	assert_null(domain_sts_lookup_reason(d));
	str_set(&d->sts_txt.lookup_error, "_mta-sts.example.com: the resolver did not answer");
	assert_string_equal(domain_sts_lookup_reason(d), "the resolver did not answer");
	str_set(&d->sts_txt.lookup_error, "_mta-sts.example.org: SERVFAIL");
	assert_string_equal(domain_sts_lookup_reason(d), "_mta-sts.example.org: SERVFAIL");
	str_set(&d->sts_txt.lookup_error, "SERVFAIL");
	assert_string_equal(domain_sts_lookup_reason(d), "SERVFAIL");
	domain_info_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cap_find),          cmocka_unit_test(test_cap_listed),
	    cmocka_unit_test(test_same_target),       cmocka_unit_test(test_mx_find),
	    cmocka_unit_test(test_sts_lookup_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
