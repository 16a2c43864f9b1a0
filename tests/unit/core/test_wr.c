/* test_wr.c - wire writer: integers, reserved lengths, caps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/wr.h"

static void test_integers(void **state UNUSED)
{
	struct buf b;
	struct wr w;

	buf_init(&b, 64);
	wr_init(&w, &b);
	wr_u8(&w, 0x01);
	wr_u16(&w, 0x0203);
	wr_u24(&w, 0x040506);
	wr_u32(&w, 0x0708090A);
	wr_bytes(&w, "\xFF\x00", 2);
	assert_false(wr_failed(&w));
	assert_int_equal(b.len, 12);
	assert_memory_equal(b.data, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0A\xFF\x00", 12);
	buf_free(&b);
}

static void test_u24_too_big(void **state UNUSED)
{
	struct buf b;
	struct wr w;

	buf_init(&b, 64);
	wr_init(&w, &b);
	wr_u24(&w, 0x1000000);
	assert_true(wr_failed(&w));
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_vec_each_width(void **state UNUSED)
{
	struct buf b;
	struct wr w;
	size_t m;

	buf_init(&b, 64);
	wr_init(&w, &b);
	m = wr_open_vec(&w, 1);
	assert_int_equal(m, 0);
	wr_bytes(&w, "ab", 2);
	wr_close_vec(&w, m, 1);
	m = wr_open_vec(&w, 2);
	assert_int_equal(m, 3);
	wr_bytes(&w, "cde", 3);
	wr_close_vec(&w, m, 2);
	m = wr_open_vec(&w, 3);
	assert_int_equal(m, 8);
	wr_u8(&w, 'f');
	wr_close_vec(&w, m, 3);
	assert_false(wr_failed(&w));
	assert_int_equal(b.len, 12);
	assert_memory_equal(b.data,
	                    "\x02"
	                    "ab"
	                    "\x00\x03"
	                    "cde"
	                    "\x00\x00\x01"
	                    "f",
	                    12);
	buf_free(&b);
}

static void test_vec_empty(void **state UNUSED)
{
	struct buf b;
	struct wr w;
	size_t m;

	buf_init(&b, 64);
	wr_init(&w, &b);
	m = wr_open_vec(&w, 2);
	wr_close_vec(&w, m, 2);
	assert_false(wr_failed(&w));
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "\x00\x00", 2);
	buf_free(&b);
}

static void test_vec_nested(void **state UNUSED)
{
	/* extensions<0..2^16-1> { supported_versions: versions<2..254> } */
	static const uint8_t want[] = {0x00, 0x09, 0x00, 0x2B, 0x00, 0x05,
	                               0x04, 0x03, 0x04, 0x03, 0x03};
	struct buf b;
	struct wr w;
	size_t exts, ext, vers;

	buf_init(&b, 64);
	wr_init(&w, &b);
	exts = wr_open_vec(&w, 2);
	wr_u16(&w, 0x002B);
	ext = wr_open_vec(&w, 2);
	vers = wr_open_vec(&w, 1);
	wr_u16(&w, 0x0304);
	wr_u16(&w, 0x0303);
	wr_close_vec(&w, vers, 1);
	wr_close_vec(&w, ext, 2);
	wr_close_vec(&w, exts, 2);
	assert_false(wr_failed(&w));
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	buf_free(&b);
}

static void test_vec_255_fits_256_fails(void **state UNUSED)
{
	uint8_t body[256];
	struct buf b;
	struct wr w;
	size_t m;

	memset(body, 'z', sizeof(body));
	buf_init(&b, 1024);
	wr_init(&w, &b);
	m = wr_open_vec(&w, 1);
	wr_bytes(&w, body, 255);
	wr_close_vec(&w, m, 1);
	assert_false(wr_failed(&w));
	assert_int_equal(b.data[0], 255);

	buf_reset(&b);
	wr_init(&w, &b);
	m = wr_open_vec(&w, 1);
	wr_bytes(&w, body, 256);
	wr_close_vec(&w, m, 1);
	assert_true(wr_failed(&w));
	/* The reservation is left zero, not a truncated 0x00 of 256. */
	assert_int_equal(b.data[0], 0);
	/* Sticky: later writes are dropped. */
	wr_u8(&w, 1);
	assert_int_equal(b.len, 257);
	buf_free(&b);
}

static void test_vec_u16_overflow(void **state UNUSED)
{
	static uint8_t body[65536];
	struct buf b;
	struct wr w;
	size_t m;

	buf_init(&b, 1 << 20);
	wr_init(&w, &b);
	m = wr_open_vec(&w, 2);
	wr_bytes(&w, body, 65535);
	wr_close_vec(&w, m, 2);
	assert_false(wr_failed(&w));
	assert_memory_equal(b.data, "\xFF\xFF", 2);
	m = wr_open_vec(&w, 2);
	wr_bytes(&w, body, 65536);
	wr_close_vec(&w, m, 2);
	assert_true(wr_failed(&w));
	buf_free(&b);
}

static void test_cap_hit_is_sticky(void **state UNUSED)
{
	struct buf b;
	struct wr w;

	buf_init(&b, 4);
	wr_init(&w, &b);
	wr_u16(&w, 0x0102);
	wr_u24(&w, 0x030405);
	assert_true(wr_failed(&w));
	assert_int_equal(b.len, 2);
	/* Even a write that would fit is refused now. */
	wr_u8(&w, 6);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "\x01\x02", 2);
	buf_free(&b);
}

static void test_cap_hit_in_open_vec(void **state UNUSED)
{
	struct buf b;
	struct wr w;
	size_t m;

	buf_init(&b, 3);
	wr_init(&w, &b);
	wr_u16(&w, 0xAAAA);
	m = wr_open_vec(&w, 2);
	assert_true(wr_failed(&w));
	wr_close_vec(&w, m, 2);
	assert_true(wr_failed(&w));
	assert_int_equal(b.len, 2);
	buf_free(&b);
}

static void test_close_bad_mark(void **state UNUSED)
{
	struct buf b;
	struct wr w;

	buf_init(&b, 64);
	wr_init(&w, &b);
	wr_u8(&w, 1);
	/* The mark is past the data: no reservation can be there. */
	wr_close_vec(&w, 5, 1);
	assert_true(wr_failed(&w));

	buf_reset(&b);
	wr_init(&w, &b);
	wr_u8(&w, 1);
	/* Room for a 1-byte length but not a 2-byte one. */
	wr_close_vec(&w, 0, 2);
	assert_true(wr_failed(&w));
	buf_free(&b);
}

static void test_bad_lenbytes(void **state UNUSED)
{
	struct buf b;
	struct wr w;
	size_t m;

	buf_init(&b, 64);
	wr_init(&w, &b);
	m = wr_open_vec(&w, 4);
	assert_true(wr_failed(&w));
	assert_int_equal(m, 0);
	assert_int_equal(b.len, 0);

	wr_init(&w, &b);
	m = wr_open_vec(&w, 1);
	wr_close_vec(&w, m, 0);
	assert_true(wr_failed(&w));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_u24_too_big),
	    cmocka_unit_test(test_vec_each_width),
	    cmocka_unit_test(test_vec_empty),
	    cmocka_unit_test(test_vec_nested),
	    cmocka_unit_test(test_vec_255_fits_256_fails),
	    cmocka_unit_test(test_vec_u16_overflow),
	    cmocka_unit_test(test_cap_hit_is_sticky),
	    cmocka_unit_test(test_cap_hit_in_open_vec),
	    cmocka_unit_test(test_close_bad_mark),
	    cmocka_unit_test(test_bad_lenbytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
