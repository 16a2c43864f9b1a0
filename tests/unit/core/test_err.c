/* test_err.c - error category and message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/compiler.h"
#include "core/err.h"

static void test_set_formats(void **state UNUSED)
{
	struct err e;

	err_clear(&e);
	assert_int_equal(e.cat, ERR_NONE);
	assert_string_equal(e.msg, "");
	err_set(&e, ERR_TIMEOUT, "%s:%d: no banner after %ds", "mx.example.org", 25, 30);
	assert_int_equal(e.cat, ERR_TIMEOUT);
	assert_string_equal(e.msg, "mx.example.org:25: no banner after 30s");
	err_clear(&e);
	assert_int_equal(e.cat, ERR_NONE);
	assert_string_equal(e.msg, "");
}

static void test_set_overwrites(void **state UNUSED)
{
	struct err e;

	err_set(&e, ERR_CONNECT, "first");
	err_set(&e, ERR_TLS, "second");
	assert_int_equal(e.cat, ERR_TLS);
	assert_string_equal(e.msg, "second");
}

static void test_set_truncates(void **state UNUSED)
{
	struct err e;
	char big[1000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, ERR_LIMIT, "line: %s", big);
	assert_int_equal(e.cat, ERR_LIMIT);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
	assert_memory_equal(e.msg, "line: aaa", 9);
	assert_int_equal(e.msg[sizeof(e.msg) - 2], 'a');
}

static void test_set_null_slot(void **state UNUSED)
{
	/* No slot: nothing to write, and no crash. */
	err_set(NULL, ERR_IO, "ignored %d", 1);
	err_clear(NULL);
}

static void test_cat_names(void **state UNUSED)
{
	assert_string_equal(err_cat_name(ERR_NONE), "none");
	assert_string_equal(err_cat_name(ERR_USAGE), "usage");
	assert_string_equal(err_cat_name(ERR_RESOLVE), "resolve");
	assert_string_equal(err_cat_name(ERR_CONNECT), "connect");
	assert_string_equal(err_cat_name(ERR_TIMEOUT), "timeout");
	assert_string_equal(err_cat_name(ERR_PROTOCOL), "protocol");
	assert_string_equal(err_cat_name(ERR_TLS), "tls");
	assert_string_equal(err_cat_name(ERR_IO), "io");
	assert_string_equal(err_cat_name(ERR_LIMIT), "limit");
	assert_string_equal(err_cat_name(ERR_LOCAL), "local");
	assert_string_equal(err_cat_name(ERR_INTERNAL), "internal");
}

static void test_every_cat_named(void **state UNUSED)
{
	int c, d;

	/* A category added to the enum without a name would print as
	 * "internal" in JSON: every one below ERR_INTERNAL needs its own. */
	for (c = ERR_NONE; c < ERR_INTERNAL; c++) {
		const char *name = err_cat_name((enum err_cat)c);

		assert_non_null(name);
		assert_string_not_equal(name, "internal");
		for (d = ERR_NONE; d < c; d++)
			assert_string_not_equal(name, err_cat_name((enum err_cat)d));
	}
}

static void test_cat_name_out_of_range(void **state UNUSED)
{
	assert_string_equal(err_cat_name((enum err_cat)(ERR_INTERNAL + 1)), "internal");
	assert_string_equal(err_cat_name((enum err_cat) - 1), "internal");
	assert_string_equal(err_cat_name((enum err_cat)1000), "internal");
}

/* A saved report's category reads back to the enum it was written from. */
static void test_cat_parse(void **state UNUSED)
{
	enum err_cat c;

	for (int i = ERR_NONE; i <= ERR_INTERNAL; i++) {
		assert_int_equal(err_cat_parse(err_cat_name((enum err_cat)i), &c), 0);
		assert_int_equal(c, i);
	}
	assert_int_equal(err_cat_parse("Timeout", &c), -1);
	assert_int_equal(err_cat_parse("", &c), -1);
	assert_int_equal(err_cat_parse(NULL, &c), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_formats),
	    cmocka_unit_test(test_set_overwrites),
	    cmocka_unit_test(test_set_truncates),
	    cmocka_unit_test(test_set_null_slot),
	    cmocka_unit_test(test_cat_names),
	    cmocka_unit_test(test_every_cat_named),
	    cmocka_unit_test(test_cat_name_out_of_range),
	    cmocka_unit_test(test_cat_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
