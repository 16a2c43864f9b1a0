/* test_rd.c - checked wire reader: values, sticky failure, vectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/compiler.h"
#include "core/rd.h"

static void test_integers_big_endian(void **state UNUSED)
{
	static const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	                             0x07, 0x08, 0x09, 0x0A, 0xFF};
	struct rd r;
	uint8_t a, f;
	uint16_t b;
	uint32_t c, d;

	rd_init(&r, in, sizeof(in));
	rd_u8(&r, &a);
	rd_u16(&r, &b);
	rd_u24(&r, &c);
	rd_u32(&r, &d);
	rd_u8(&r, &f);
	assert_int_equal(a, 0x01);
	assert_int_equal(b, 0x0203);
	assert_int_equal(c, 0x040506);
	assert_int_equal(d, 0x0708090A);
	assert_int_equal(f, 0xFF);
	assert_int_equal(rd_left(&r), 0);
	assert_false(rd_failed(&r));
	assert_true(rd_done(&r));
}

static void test_truncated_u16_is_sticky(void **state UNUSED)
{
	static const uint8_t in[] = {0xAB};
	struct rd r;
	uint16_t v = 0xFFFF;
	uint8_t b = 0xFF;

	rd_init(&r, in, sizeof(in));
	rd_u16(&r, &v);
	assert_true(rd_failed(&r));
	assert_int_equal(v, 0);
	/* The byte that is there is not readable any more. */
	rd_u8(&r, &b);
	assert_int_equal(b, 0);
	assert_int_equal(rd_left(&r), 0);
	assert_false(rd_done(&r));
}

static void test_truncated_u24_u32(void **state UNUSED)
{
	static const uint8_t in[] = {1, 2, 3};
	struct rd r;
	uint32_t v = 0xFFFFFFFF;

	rd_init(&r, in, 2);
	rd_u24(&r, &v);
	assert_true(rd_failed(&r));
	assert_int_equal(v, 0);
	rd_init(&r, in, 3);
	v = 0xFFFFFFFF;
	rd_u32(&r, &v);
	assert_true(rd_failed(&r));
	assert_int_equal(v, 0);
}

static void test_bytes_and_failure_zeroes(void **state UNUSED)
{
	static const uint8_t in[] = {'a', 'b', 'c', 'd'};
	struct rd r;
	uint8_t out[8];

	rd_init(&r, in, sizeof(in));
	rd_bytes(&r, out, 3);
	assert_memory_equal(out, "abc", 3);
	assert_int_equal(rd_left(&r), 1);
	memset(out, 0xAA, sizeof(out));
	rd_bytes(&r, out, 2);
	assert_true(rd_failed(&r));
	assert_memory_equal(out, "\0\0\xAA", 3);
	/* Zero-length reads still fail once failed. */
	assert_null(rd_ptr(&r, 0));
}

static void test_ptr_and_skip(void **state UNUSED)
{
	static const uint8_t in[] = {1, 2, 3, 4, 5};
	struct rd r;
	const uint8_t *p;

	rd_init(&r, in, sizeof(in));
	p = rd_ptr(&r, 2);
	assert_ptr_equal(p, in);
	rd_skip(&r, 1);
	p = rd_ptr(&r, 2);
	assert_ptr_equal(p, in + 3);
	assert_true(rd_done(&r));
	p = rd_ptr(&r, 1);
	assert_null(p);
	assert_true(rd_failed(&r));

	rd_init(&r, in, sizeof(in));
	rd_skip(&r, 6);
	assert_true(rd_failed(&r));
	rd_init(&r, in, sizeof(in));
	assert_null(rd_ptr(&r, SIZE_MAX));
	assert_true(rd_failed(&r));
}

static void test_init_null(void **state UNUSED)
{
	struct rd r;
	uint8_t b = 9;

	rd_init(&r, NULL, 0);
	assert_false(rd_failed(&r));
	assert_int_equal(rd_left(&r), 0);
	assert_true(rd_done(&r));
	rd_u8(&r, &b);
	assert_int_equal(b, 0);
	assert_true(rd_failed(&r));
	/* A length with no data is a caller bug, never a readable block. */
	rd_init(&r, NULL, 5);
	assert_true(rd_failed(&r));
	assert_int_equal(rd_left(&r), 0);
}

static void test_vec_exact(void **state UNUSED)
{
	/* opaque legacy_session_id<0..32>, then a uint16 */
	static const uint8_t in[] = {3, 'x', 'y', 'z', 0x13, 0x01};
	struct rd r, sub;
	uint8_t id[3];
	uint16_t suite;

	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 1, 0, 32, &sub);
	assert_false(rd_failed(&r));
	assert_int_equal(rd_left(&sub), 3);
	rd_bytes(&sub, id, 3);
	assert_memory_equal(id, "xyz", 3);
	assert_true(rd_done(&sub));
	rd_u16(&r, &suite);
	assert_int_equal(suite, 0x1301);
	assert_true(rd_done(&r));
}

static void test_vec_empty(void **state UNUSED)
{
	static const uint8_t in[] = {0, 0};
	struct rd r, sub;

	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 2, 0, 65535, &sub);
	assert_false(rd_failed(&sub));
	assert_int_equal(rd_left(&sub), 0);
	assert_true(rd_done(&sub));
	assert_true(rd_done(&r));
}

static void test_vec_u24_length(void **state UNUSED)
{
	uint8_t in[3 + 258];
	struct rd r, sub;

	memset(in, 'q', sizeof(in));
	in[0] = 0x00;
	in[1] = 0x01;
	in[2] = 0x02;
	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 3, 1, 0xFFFFFF, &sub);
	assert_false(rd_failed(&r));
	assert_int_equal(rd_left(&sub), 258);
	assert_ptr_equal(rd_ptr(&sub, 258), in + 3);
	assert_true(rd_done(&sub));
	assert_true(rd_done(&r));
}

static void test_vec_longer_than_input(void **state UNUSED)
{
	static const uint8_t in[] = {0x00, 0x05, 'a', 'b', 'c', 'd'};
	struct rd r, sub;
	uint8_t b = 1;

	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 2, 0, 65535, &sub);
	assert_true(rd_failed(&r));
	assert_true(rd_failed(&sub));
	assert_int_equal(rd_left(&sub), 0);
	rd_u8(&sub, &b);
	assert_int_equal(b, 0);
	assert_false(rd_done(&r));
}

static void test_vec_below_min(void **state UNUSED)
{
	/* cipher_suites<2..2^16-2> with a 0 length */
	static const uint8_t in[] = {0x00, 0x00, 0xAA};
	struct rd r, sub;

	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 2, 2, 65534, &sub);
	assert_true(rd_failed(&r));
	assert_true(rd_failed(&sub));
	assert_int_equal(rd_left(&sub), 0);
}

static void test_vec_above_max(void **state UNUSED)
{
	/* legacy_session_id<0..32> with 33 bytes present */
	uint8_t in[1 + 33];
	struct rd r, sub;

	memset(in, 0, sizeof(in));
	in[0] = 33;
	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 1, 0, 32, &sub);
	assert_true(rd_failed(&r));
	assert_true(rd_failed(&sub));
	assert_int_equal(rd_left(&sub), 0);

	/* 32 is still fine. */
	in[0] = 32;
	rd_init(&r, in, 33);
	rd_vec(&r, 1, 0, 32, &sub);
	assert_false(rd_failed(&r));
	assert_int_equal(rd_left(&sub), 32);
}

static void test_vec_truncated_length(void **state UNUSED)
{
	static const uint8_t in[] = {0x00, 0x01};
	struct rd r, sub;

	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 3, 0, 0xFFFFFF, &sub);
	assert_true(rd_failed(&r));
	assert_true(rd_failed(&sub));
}

static void test_vec_bad_lenbytes(void **state UNUSED)
{
	static const uint8_t in[] = {0, 0, 0, 0, 0};
	struct rd r, sub;

	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 0, 0, 10, &sub);
	assert_true(rd_failed(&r));
	assert_true(rd_failed(&sub));
	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 4, 0, 10, &sub);
	assert_true(rd_failed(&r));
	assert_true(rd_failed(&sub));
}

static void test_vec_on_failed_parent(void **state UNUSED)
{
	static const uint8_t in[] = {1, 'a'};
	struct rd r, sub;
	uint32_t v;

	rd_init(&r, in, sizeof(in));
	rd_u32(&r, &v);
	rd_vec(&r, 1, 0, 255, &sub);
	assert_true(rd_failed(&sub));
	assert_int_equal(rd_left(&sub), 0);
}

static void test_trailing_bytes(void **state UNUSED)
{
	static const uint8_t in[] = {0x00, 0x01, 0x00, 0x02, 0x00};
	struct rd r;
	uint16_t v;

	rd_init(&r, in, sizeof(in));
	rd_u16(&r, &v);
	rd_u16(&r, &v);
	assert_int_equal(v, 2);
	assert_false(rd_failed(&r));
	assert_false(rd_done(&r));
	/* rd_done marks the reader so a later check agrees. */
	assert_true(rd_failed(&r));
	assert_false(rd_done(&r));
}

static void test_nested_trailing_in_sub(void **state UNUSED)
{
	/* extensions<0..2^16-1> holding one extension whose body has one
	 * byte more than the uint16 it should contain. */
	static const uint8_t in[] = {0x00, 0x07, 0x00, 0x2B, 0x00, 0x03, 0x03, 0x04, 0xFF};
	struct rd r, exts, ext;
	uint16_t type, version;

	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 2, 0, 65535, &exts);
	rd_u16(&exts, &type);
	assert_int_equal(type, 0x002B);
	rd_vec(&exts, 2, 0, 65535, &ext);
	rd_u16(&ext, &version);
	assert_int_equal(version, 0x0304);
	assert_false(rd_done(&ext));
	/* The enclosing blocks are whole; only the inner one is bad. */
	assert_true(rd_done(&exts));
	assert_true(rd_done(&r));
}

static void test_sub_cannot_see_past_parent(void **state UNUSED)
{
	/* The inner length (4) claims bytes that belong after the outer
	 * vector: they exist in memory but not in the block. */
	static const uint8_t in[] = {0x03, 0x04, 'a', 'b', 'c', 'd'};
	struct rd r, outer, inner;

	rd_init(&r, in, sizeof(in));
	rd_vec(&r, 1, 0, 255, &outer);
	assert_false(rd_failed(&r));
	rd_vec(&outer, 1, 0, 255, &inner);
	assert_true(rd_failed(&outer));
	assert_true(rd_failed(&inner));
	assert_false(rd_failed(&r));
	assert_int_equal(rd_left(&r), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_integers_big_endian),
	    cmocka_unit_test(test_truncated_u16_is_sticky),
	    cmocka_unit_test(test_truncated_u24_u32),
	    cmocka_unit_test(test_bytes_and_failure_zeroes),
	    cmocka_unit_test(test_ptr_and_skip),
	    cmocka_unit_test(test_init_null),
	    cmocka_unit_test(test_vec_exact),
	    cmocka_unit_test(test_vec_empty),
	    cmocka_unit_test(test_vec_u24_length),
	    cmocka_unit_test(test_vec_longer_than_input),
	    cmocka_unit_test(test_vec_below_min),
	    cmocka_unit_test(test_vec_above_max),
	    cmocka_unit_test(test_vec_truncated_length),
	    cmocka_unit_test(test_vec_bad_lenbytes),
	    cmocka_unit_test(test_vec_on_failed_parent),
	    cmocka_unit_test(test_trailing_bytes),
	    cmocka_unit_test(test_nested_trailing_in_sub),
	    cmocka_unit_test(test_sub_cannot_see_past_parent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
