/* test_buf.c - capped byte buffer: growth, the cap, NUL termination. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/compiler.h"

static void test_init_empty(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 16);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 16);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void test_append_nul_terminated(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_putc(&b, 'd'), 0);
	assert_int_equal(buf_puts(&b, "ef"), 0);
	assert_int_equal(b.len, 6);
	assert_int_equal(b.data[6], '\0');
	assert_string_equal(buf_cstr(&b), "abcdef");
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 64);
}

static void test_binary_with_nul(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(buf_append(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b\0", 4);
	buf_free(&b);
}

static void test_cap_exact_then_fail(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 5);
	assert_int_equal(buf_append(&b, "abcde", 5), 0);
	assert_int_equal(b.len, 5);
	/* One byte past the cap: refused, nothing changed. */
	assert_int_equal(buf_putc(&b, 'x'), -1);
	assert_int_equal(buf_append(&b, "xy", 2), -1);
	assert_int_equal(buf_puts(&b, "z"), -1);
	assert_int_equal(b.len, 5);
	assert_string_equal(buf_cstr(&b), "abcde");
	/* An empty append still fits. */
	assert_int_equal(buf_append(&b, "", 0), 0);
	buf_free(&b);
}

static void test_cap_partial_append_refused(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 4);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	/* Three bytes would fit in part; it is all or nothing. */
	assert_int_equal(buf_puts(&b, "cde"), -1);
	assert_int_equal(b.len, 2);
	assert_string_equal(buf_cstr(&b), "ab");
	buf_free(&b);
}

static void test_cap_zero(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_putc(&b, 'a'), -1);
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void test_cap_size_max_overflow(void **state UNUSED)
{
	struct buf b;

	/* len + n must not wrap around to pass the check. */
	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - 1), -1);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), -1);
	assert_int_equal(b.len, 2);
	buf_free(&b);
}

static void test_growth_many_appends(void **state UNUSED)
{
	struct buf b;
	size_t i;

	buf_init(&b, 10000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(buf_putc(&b, (uint8_t)('a' + i % 26)), 0);
	assert_int_equal(buf_putc(&b, 'x'), -1);
	assert_int_equal(b.len, 10000);
	assert_true(b.cap >= 10001);
	assert_int_equal(b.data[10000], '\0');
	for (i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	buf_free(&b);
}

static void test_self_append(void **state UNUSED)
{
	struct buf b;
	int i;

	/* Doubling the buffer from its own bytes forces reallocations while
	 * the source points into the old block. */
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_puts(&b, "0123456789"), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(buf_append(&b, b.data, b.len), 0);
	assert_int_equal(b.len, 640);
	for (i = 0; i < 640; i++)
		assert_int_equal(b.data[i], '0' + i % 10);
	buf_free(&b);
}

static void test_printf(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 12);
	assert_int_equal(buf_printf(&b, "%s=%d", "port", 25), 0);
	assert_string_equal(buf_cstr(&b), "port=25");
	/* Fills exactly to the cap. */
	assert_int_equal(buf_printf(&b, "%05d", 42), 0);
	assert_string_equal(buf_cstr(&b), "port=2500042");
	assert_int_equal(b.len, 12);
	assert_int_equal(buf_printf(&b, "%c", 'x'), -1);
	assert_string_equal(buf_cstr(&b), "port=2500042");
	/* An empty format succeeds even at the cap. */
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	buf_free(&b);
}

static void test_printf_too_long_unchanged(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_printf(&b, "%s", "0123456"), -1);
	assert_int_equal(b.len, 2);
	assert_string_equal(buf_cstr(&b), "ab");
	assert_int_equal(buf_printf(&b, "%s", "012345"), 0);
	assert_string_equal(buf_cstr(&b), "ab012345");
	buf_free(&b);
}

static void test_printf_on_empty_buffer(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void test_consume(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(buf_puts(&b, "250 OK\r\nrest"), 0);
	buf_consume(&b, 8);
	assert_int_equal(b.len, 4);
	assert_string_equal(buf_cstr(&b), "rest");
	buf_consume(&b, 0);
	assert_string_equal(buf_cstr(&b), "rest");
	/* More than there is empties the buffer, no underflow. */
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	/* Consuming an unallocated buffer is harmless. */
	buf_free(&b);
	buf_consume(&b, 3);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_consume_frees_room(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 4);
	assert_int_equal(buf_puts(&b, "abcd"), 0);
	assert_int_equal(buf_putc(&b, 'e'), -1);
	buf_consume(&b, 2);
	assert_int_equal(buf_puts(&b, "ef"), 0);
	assert_string_equal(buf_cstr(&b), "cdef");
	buf_free(&b);
}

static void test_reset_keeps_memory(void **state UNUSED)
{
	struct buf b;
	uint8_t *data;

	buf_init(&b, 64);
	assert_int_equal(buf_puts(&b, "hello"), 0);
	data = b.data;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, data);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_puts(&b, "x"), 0);
	assert_string_equal(buf_cstr(&b), "x");
	buf_free(&b);
}

static void test_steal(void **state UNUSED)
{
	struct buf b;
	size_t len = 99;
	char *s;

	buf_init(&b, 64);
	assert_int_equal(buf_puts(&b, "stolen"), 0);
	s = buf_steal(&b, &len);
	assert_string_equal(s, "stolen");
	assert_int_equal(len, 6);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 64);
	free(s);
	/* The buffer is usable again. */
	assert_int_equal(buf_puts(&b, "again"), 0);
	assert_string_equal(buf_cstr(&b), "again");
	buf_free(&b);
}

static void test_steal_empty(void **state UNUSED)
{
	struct buf b;
	size_t len = 99;
	char *s;

	buf_init(&b, 64);
	s = buf_steal(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	/* Allocated but emptied: still a NUL-terminated "". */
	assert_int_equal(buf_puts(&b, "x"), 0);
	buf_reset(&b);
	s = buf_steal(&b, NULL);
	assert_string_equal(s, "");
	assert_null(b.data);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_empty),
	    cmocka_unit_test(test_append_nul_terminated),
	    cmocka_unit_test(test_binary_with_nul),
	    cmocka_unit_test(test_cap_exact_then_fail),
	    cmocka_unit_test(test_cap_partial_append_refused),
	    cmocka_unit_test(test_cap_zero),
	    cmocka_unit_test(test_cap_size_max_overflow),
	    cmocka_unit_test(test_growth_many_appends),
	    cmocka_unit_test(test_self_append),
	    cmocka_unit_test(test_printf),
	    cmocka_unit_test(test_printf_too_long_unchanged),
	    cmocka_unit_test(test_printf_on_empty_buffer),
	    cmocka_unit_test(test_consume),
	    cmocka_unit_test(test_consume_frees_room),
	    cmocka_unit_test(test_reset_keeps_memory),
	    cmocka_unit_test(test_steal),
	    cmocka_unit_test(test_steal_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
