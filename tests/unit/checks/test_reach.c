/* test_reach.c - check_reach(): address-unreachable on an address that did
 * not accept connections while others of the run were scanned, raised only
 * on evidence (docs/grading.md): a refusal always; a timeout only when
 * another address of the same family connected; "no route from this
 * machine" never. Endpoints are built by hand (no network): the timeout
 * and no-route cases cannot be made on loopback. */
#include "testutil.h"

#include "checks/checks.h"
#include "model/result.h"

#define REFUSED "connect failed: Connection refused"
#define TIMEOUT "connect timed out after 10000 ms"
#define NOROUTE "connect failed: Network is unreachable (no route from this machine)"

static struct endpoint *scanned(struct result *r, const char *host, const char *addr)
{
	struct endpoint *ep = result_add_endpoint(r, host, 25, addr);
	ep->tls.done = 1;
	return ep;
}

static struct endpoint *failed(struct result *r, const char *host, const char *addr,
                               enum err_stage stage, enum err_cat cat, const char *msg)
{
	struct endpoint *ep = result_add_endpoint(r, host, 25, addr);
	ep_add_error(ep, stage, cat, msg);
	return ep;
}

static const struct finding *unreachable(const struct endpoint *ep)
{
	for (size_t i = 0; i < ep->nfindings; i++)
		if (strcmp(ep->findings[i].id, "address-unreachable") == 0)
			return &ep->findings[i];
	return NULL;
}

/* IPv6 refuses, IPv4 works: the refusing address gets the finding, medium,
 * naming both addresses; the scanned one gets nothing. */
static void test_v6_refused(void **state UNUSED)
{
	struct result *r = result_new();
	struct endpoint *v4 = scanned(r, "mx.example", "192.0.2.1");
	struct endpoint *v6 =
	    failed(r, "mx.example", "2001:db8::1", STAGE_CONNECT, ERR_CONNECT, REFUSED);
	check_reach(r);
	const struct finding *f = unreachable(v6);
	assert_non_null(f);
	assert_int_equal(f->sev, SEV_MEDIUM);
	assert_non_null(strstr(f->detail, "mx.example [2001:db8::1]:25: " REFUSED));
	assert_non_null(strstr(f->detail, "Scanned addresses of mx.example port 25: 192.0.2.1."));
	assert_non_null(strstr(f->detail, "most senders prefer IPv6"));
	assert_null(unreachable(v4));
	assert_int_equal(v4->nfindings, 0);
	result_free(r);
}

/* Nothing was scanned: no finding at all (the run exits 3, its errors say
 * why), whatever the errors. */
static void test_nothing_scanned(void **state UNUSED)
{
	struct result *r = result_new();
	struct endpoint *a =
	    failed(r, "mx.example", "192.0.2.1", STAGE_CONNECT, ERR_CONNECT, REFUSED);
	struct endpoint *b =
	    failed(r, "mx.example", "2001:db8::1", STAGE_CONNECT, ERR_CONNECT, REFUSED);
	check_reach(r);
	assert_int_equal(a->nfindings + b->nfindings, 0);
	result_free(r);
}

/* A timeout on IPv6 when no IPv6 address connected in the run may be this
 * machine's broken IPv6: no finding. Once another IPv6 address connected
 * (another MX host), the timeout is evidence. */
static void test_timeout_needs_a_working_family(void **state UNUSED)
{
	struct result *r = result_new();
	scanned(r, "mx.example", "192.0.2.1");
	struct endpoint *v6 =
	    failed(r, "mx.example", "2001:db8::1", STAGE_CONNECT, ERR_TIMEOUT, TIMEOUT);
	check_reach(r);
	assert_null(unreachable(v6));
	result_free(r);

	r = result_new();
	scanned(r, "mx.example", "192.0.2.1");
	v6 = failed(r, "mx.example", "2001:db8::1", STAGE_CONNECT, ERR_TIMEOUT, TIMEOUT);
	struct endpoint *other = scanned(r, "mx2.example", "2001:db8::2");
	check_reach(r);
	const struct finding *f = unreachable(v6);
	assert_non_null(f);
	assert_non_null(strstr(f->detail, TIMEOUT));
	assert_null(unreachable(other));
	result_free(r);
}

/* An address that connected but then failed (the dialogue timed out) also
 * shows that its family works from here. */
static void test_connected_but_failed_counts_for_the_family(void **state UNUSED)
{
	struct result *r = result_new();
	scanned(r, "mx.example", "192.0.2.1");
	struct endpoint *slow = failed(r, "mx.example", "2001:db8::2", STAGE_DIALOGUE, ERR_TIMEOUT,
	                               "no answer from the server within 15000 ms");
	struct endpoint *v6 =
	    failed(r, "mx.example", "2001:db8::1", STAGE_CONNECT, ERR_TIMEOUT, TIMEOUT);
	check_reach(r);
	assert_non_null(unreachable(v6));
	assert_null(unreachable(slow)); /* not a connect failure */
	result_free(r);
}

/* No route from this machine says nothing about the server. */
static void test_no_route_is_not_evidence(void **state UNUSED)
{
	struct result *r = result_new();
	scanned(r, "mx.example", "192.0.2.1");
	struct endpoint *v6 =
	    failed(r, "mx.example", "2001:db8::1", STAGE_CONNECT, ERR_LOCAL, NOROUTE);
	check_reach(r);
	assert_int_equal(v6->nfindings, 0);
	result_free(r);
}

/* An MX host none of whose addresses answer, while another MX host was
 * scanned: the finding says no address of it was scanned. */
static void test_other_host_scanned(void **state UNUSED)
{
	struct result *r = result_new();
	scanned(r, "mx1.example", "192.0.2.1");
	struct endpoint *mx2 =
	    failed(r, "mx2.example", "192.0.2.2", STAGE_CONNECT, ERR_CONNECT, REFUSED);
	check_reach(r);
	const struct finding *f = unreachable(mx2);
	assert_non_null(f);
	assert_non_null(strstr(f->detail, "Scanned addresses of mx2.example port 25: none."));
	assert_non_null(strstr(f->detail, "IPv4-only senders do"));
	result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v6_refused),
		cmocka_unit_test(test_nothing_scanned),
		cmocka_unit_test(test_timeout_needs_a_working_family),
		cmocka_unit_test(test_connected_but_failed_counts_for_the_family),
		cmocka_unit_test(test_no_route_is_not_evidence),
		cmocka_unit_test(test_other_host_scanned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
