/* test_diff.c - model/diff.c over two results: the golden documents read
 * back (model/json_read.c), one of them edited as JSON first, so each test
 * states the change it makes and the diff entries it must give - and that
 * a result compared with itself gives none. */
#include "testutil.h"

#include <jansson.h>

#include "core/err.h"
#include "model/diff.h"
#include "model/json_read.h"

static json_t *golden(const char *name)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	int len = slash ? (int)(slash - __FILE__) : 1;
	snprintf(path, sizeof path, "%.*s/../report/golden/%s", len, slash ? __FILE__ : ".", name);
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);
	if (!doc)
		fail_msg("cannot read %s: %s", path, je.text);
	return doc;
}

static struct result *model(json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	struct result *r = NULL;
	struct err e;
	err_clear(&e);
	assert_non_null(text);
	if (json_read_result(text, strlen(text), &r, &e) != JR_OK)
		fail_msg("read: %s", e.msg);
	free(text);
	return r;
}

/* The entries of kind k in d, and the first of them in *first. */
static size_t count(const struct diff *d, enum diff_kind k, const struct diff_entry **first)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].kind == k) {
			if (n++ == 0 && first)
				*first = &d->v[i];
		}
	return n;
}

static struct diff diff_of(json_t *a, json_t *b)
{
	struct result *ra = model(a), *rb = model(b);
	struct diff d = {0};
	result_diff(ra, rb, &d);
	result_free(ra);
	result_free(rb);
	return d;
}

static json_t *ep0(json_t *doc)
{
	return json_array_get(json_object_get(doc, "endpoints"), 0);
}

static void test_same_is_empty(void **state)
{
	(void)state;
	const char *names[] = {"scan.json", "domain.json"};
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		json_t *a = golden(names[i]);
		struct diff d = diff_of(a, a);
		assert_int_equal(d.n, 0);
		diff_free(&d);
		json_decref(a);
	}
}

static void test_endpoint_changes(void **state)
{
	(void)state;
	json_t *a = golden("scan.json"), *b = golden("scan.json");
	json_t *ep = ep0(b);
	/* a suite gone, a finding new, another gone, a grade down, TLS 1.0
	 * refused now, a new key */
	json_t *ciphers = json_object_get(ep, "ciphers");
	json_t *gone = json_deep_copy(json_array_get(ciphers, 0));
	json_array_remove(ciphers, 0);
	json_t *findings = json_object_get(ep, "findings");
	json_t *f = json_deep_copy(json_array_get(findings, 0));
	json_object_set_new(f, "id", json_string("cert-expires-soon"));
	json_object_set_new(f, "severity", json_string("high"));
	json_array_remove(findings, 1); /* starttls-readvertised */
	json_array_append_new(findings, f);
	json_object_set_new(json_object_get(ep, "grade"), "letter", json_string("C"));
	json_t *protos = json_object_get(ep, "protocols");
	for (size_t i = 0; i < json_array_size(protos); i++) {
		json_t *p = json_array_get(protos, i);
		if (strcmp(json_string_value(json_object_get(p, "name")), "TLSv1.0") == 0)
			json_object_set_new(p, "offered", json_false());
	}
	json_t *leaf = json_array_get(json_object_get(ep, "certificates"), 0);
	json_object_set_new(leaf, "spki_sha256", json_string("00ff"));

	struct diff d = diff_of(a, b);
	const struct diff_entry *e = NULL;
	assert_int_equal(count(&d, DIFF_SUITE_REMOVED, &e), 1);
	char want[64];
	snprintf(want, sizeof want, "%s %s", json_string_value(json_object_get(gone, "protocol")),
		 json_string_value(json_object_get(gone, "code")));
	assert_true(strncmp(e->what, want, strlen(want)) == 0);
	assert_string_equal(e->where, "mx.example.com [192.0.2.25]:25");
	assert_int_equal(count(&d, DIFF_SUITE_ADDED, NULL), 0);
	assert_int_equal(count(&d, DIFF_FINDING_ADDED, &e), 1);
	assert_string_equal(e->what, "cert-expires-soon");
	assert_string_equal(e->after, "high");
	assert_int_equal(count(&d, DIFF_FINDING_REMOVED, &e), 1);
	assert_string_equal(e->what, "starttls-readvertised");
	assert_int_equal(count(&d, DIFF_GRADE, &e), 1);
	assert_string_equal(e->before, "B");
	assert_string_equal(e->after, "C");
	assert_int_equal(count(&d, DIFF_PROTOCOL, &e), 1);
	assert_string_equal(e->what, "TLSv1.0");
	assert_string_equal(e->before, "yes");
	assert_string_equal(e->after, "no");
	assert_int_equal(count(&d, DIFF_CERT, &e), 1);
	assert_string_equal(e->after, "00ff");
	assert_string_equal(diff_kind_name(DIFF_CERT), "certificate-key");
	diff_free(&d);
	json_decref(gone);
	json_decref(a);
	json_decref(b);
}

/* A version unknown on one side says nothing about its suites. */
static void test_unknown_is_no_change(void **state)
{
	(void)state;
	json_t *a = golden("scan.json"), *b = golden("scan.json");
	json_t *ep = ep0(b);
	json_t *protos = json_object_get(ep, "protocols");
	const char *name = NULL;
	for (size_t i = 0; i < json_array_size(protos); i++) {
		json_t *p = json_array_get(protos, i);
		if (json_is_true(json_object_get(p, "offered"))) {
			name = json_string_value(json_object_get(p, "name"));
			json_object_set_new(p, "offered", json_null());
			json_object_set_new(p, "reason", json_string("timeout"));
			break;
		}
	}
	assert_non_null(name);
	json_t *ciphers = json_object_get(ep, "ciphers");
	for (size_t i = json_array_size(ciphers); i-- > 0;)
		if (strcmp(json_string_value(json_object_get(json_array_get(ciphers, i), "protocol")),
			   name) == 0)
			json_array_remove(ciphers, i);
	struct diff d = diff_of(a, b);
	const struct diff_entry *e = NULL;
	assert_int_equal(count(&d, DIFF_PROTOCOL, &e), 1);
	assert_string_equal(e->after, "unknown");
	assert_int_equal(count(&d, DIFF_SUITE_REMOVED, NULL), 0);
	diff_free(&d);
	json_decref(a);
	json_decref(b);
}

static void test_endpoints_added_and_removed(void **state)
{
	(void)state;
	json_t *a = golden("scan.json"), *b = golden("scan.json");
	json_object_set_new(ep0(b), "address", json_string("192.0.2.26"));
	struct diff d = diff_of(a, b);
	const struct diff_entry *e = NULL;
	assert_int_equal(count(&d, DIFF_ENDPOINT_ADDED, &e), 1);
	assert_string_equal(e->where, "mx.example.com [192.0.2.26]:25");
	assert_int_equal(count(&d, DIFF_ENDPOINT_REMOVED, &e), 1);
	assert_string_equal(e->where, "mx.example.com [192.0.2.25]:25");
	assert_int_equal(d.n, 2);
	diff_free(&d);
	json_decref(a);
	json_decref(b);
}

static void test_domain_changes(void **state)
{
	(void)state;
	json_t *a = golden("domain.json"), *b = golden("domain.json");
	json_t *dom = json_object_get(b, "domain");
	json_t *verdict = json_object_get(dom, "verdict");
	const char *before = json_string_value(json_object_get(verdict, "level"));
	assert_non_null(before);
	char *was = strdup(before);
	json_object_set_new(verdict, "level", json_string("none"));
	json_t *mx = json_object_get(json_object_get(dom, "mx"), "hosts");
	assert_true(json_is_array(mx) && json_array_size(mx) > 0);
	json_t *extra = json_deep_copy(json_array_get(mx, 0));
	json_object_set_new(extra, "name", json_string("mx9.example.com"));
	json_array_append_new(mx, extra);
	struct diff d = diff_of(a, b);
	const struct diff_entry *e = NULL;
	assert_string_equal(was, "dane");
	assert_int_equal(count(&d, DIFF_VERDICT, &e), 1);
	assert_string_equal(e->where, "example.com");
	assert_string_equal(e->before, "dane");
	assert_string_equal(e->after, "none");
	assert_int_equal(count(&d, DIFF_MX_ADDED, &e), 1);
	assert_string_equal(e->what, "mx9.example.com");
	assert_int_equal(count(&d, DIFF_MX_REMOVED, NULL), 0);
	free(was);
	diff_free(&d);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_is_empty),
		cmocka_unit_test(test_endpoint_changes),
		cmocka_unit_test(test_unknown_is_no_change),
		cmocka_unit_test(test_endpoints_added_and_removed),
		cmocka_unit_test(test_domain_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
