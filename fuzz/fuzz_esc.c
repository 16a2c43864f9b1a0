/* fuzz_esc.c - the four escapers over arbitrary bytes, checked against the
 * promises of esc.h (STYLE.md rule 8). The checks use their own UTF-8
 * validator and unescaper, so a bug shared with esc.c cannot hide itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/esc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

/* RFC 3629 section 4 syntax, written as ranges rather than bit tests. */
static int valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t len, k;
		uint8_t lo = 0x80, hi = 0xBF;

		if (c <= 0x7F) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			lo = c == 0xE0 ? 0xA0 : 0x80;
			hi = c == 0xED ? 0x9F : 0xBF;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			lo = c == 0xF0 ? 0x90 : 0x80;
			hi = c == 0xF4 ? 0x8F : 0xBF;
		} else {
			return 0;
		}
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return 0;
		i += len;
	}
	return 1;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undo esc_term (term = 1) or esc_utf8 (term = 0) and compare with the
 * input: both mappings must be reversible, so nothing is lost or forged. */
static void check_reversible(const uint8_t *in, size_t n, const struct buf *b, int term)
{
	const uint8_t *o = b->data;
	size_t i = 0, j = 0;

	while (i < b->len) {
		uint8_t c = o[i];

		if (c == '\\') {
			CHECK(i + 1 < b->len);
			c = o[i + 1];
			if (c == 'x') {
				int hi, lo;

				CHECK(i + 3 < b->len);
				hi = hexval(o[i + 2]);
				lo = hexval(o[i + 3]);
				CHECK(hi >= 0 && lo >= 0);
				c = (uint8_t)(hi << 4 | lo);
				i += 4;
			} else if (c == '\\') {
				i += 2;
			} else if (term && (c == 't' || c == 'r' || c == 'n')) {
				c = c == 't' ? '\t' : c == 'r' ? '\r' : '\n';
				i += 2;
			} else {
				abort();
			}
		} else {
			i++;
		}
		CHECK(j < n && in[j] == c);
		j++;
	}
	CHECK(j == n);
}

static void check_term(const uint8_t *data, size_t size)
{
	struct buf b;
	size_t i;

	buf_init(&b, 4 * size + 1);
	CHECK(esc_term(&b, data, size) == 0);
	CHECK(valid_utf8(b.data ? b.data : (const uint8_t *)"", b.len));
	for (i = 0; i < b.len; i++) {
		CHECK(b.data[i] >= 0x20 && b.data[i] != 0x7F);
		/* No C1 (U+0080..U+009F is C2 80..C2 9F) */
		if (b.data[i] == 0xC2 && i + 1 < b.len)
			CHECK(b.data[i + 1] > 0x9F);
		/* No bidi controls: E2 80 8E/8F, E2 80 AA-AE, E2 81 A6-A9 */
		if (b.data[i] == 0xE2 && i + 2 < b.len) {
			uint8_t b1 = b.data[i + 1], b2 = b.data[i + 2];

			CHECK(!(b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F)));
			CHECK(!(b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE));
			CHECK(!(b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9));
		}
	}
	if (b.len > 0)
		check_reversible(data, size, &b, 1);
	else
		CHECK(size == 0);
	buf_free(&b);
}

static void check_utf8(const uint8_t *data, size_t size)
{
	struct buf b;

	buf_init(&b, 4 * size + 1);
	CHECK(esc_utf8(&b, data, size) == 0);
	CHECK(valid_utf8(b.data ? b.data : (const uint8_t *)"", b.len));
	CHECK(b.len == 0 || memchr(b.data, 0, b.len) == NULL);
	if (b.len > 0)
		check_reversible(data, size, &b, 0);
	else
		CHECK(size == 0);
	buf_free(&b);
}

static void check_html(const uint8_t *data, size_t size)
{
	struct buf b;
	size_t i;

	buf_init(&b, 6 * size + 1);
	CHECK(esc_html(&b, data, size) == 0);
	CHECK(valid_utf8(b.data ? b.data : (const uint8_t *)"", b.len));
	for (i = 0; i < b.len; i++) {
		uint8_t c = b.data[i];

		CHECK(c != '<' && c != '>' && c != '"' && c != '\'');
		CHECK(c >= 0x20 || c == '\t' || c == '\n');
		CHECK(c != 0x7F);
	}
	buf_free(&b);
}

static void check_csv(const uint8_t *data, size_t size)
{
	struct buf b;
	size_t i, quotes = 0;

	buf_init(&b, 3 * size + 3);
	CHECK(esc_csv(&b, data, size) == 0);
	CHECK(valid_utf8(b.data, b.len));
	CHECK(b.len >= 2 && b.data[0] == '"' && b.data[b.len - 1] == '"');
	/* The field cannot start a formula in a spreadsheet. */
	if (b.len > 2)
		CHECK(memchr("=+-@\t\r", b.data[1], 6) == NULL);
	for (i = 1; i + 1 < b.len; i++) {
		CHECK(b.data[i] >= 0x20 || b.data[i] == '\t');
		CHECK(b.data[i] != 0x7F);
		/* Inner quotes come in pairs, so the field ends only at the
		 * last byte. */
		if (b.data[i] == '"')
			quotes++;
		else
			CHECK(quotes % 2 == 0);
	}
	CHECK(quotes % 2 == 0);
	buf_free(&b);
}

/* A cap hit must leave what was already in the buffer untouched. */
static void check_cap(const uint8_t *data, size_t size)
{
	int (*const fns[])(struct buf *, const void *, size_t) = {esc_term, esc_utf8, esc_html,
	                                                          esc_csv};
	size_t f;

	for (f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
		struct buf b;
		size_t max = 3 + size / 2;

		buf_init(&b, max);
		CHECK(buf_puts(&b, "pre") == 0);
		if (fns[f](&b, data, size) != 0)
			CHECK(b.len == 3 && memcmp(b.data, "pre", 4) == 0);
		else
			CHECK(b.len <= max && b.data[b.len] == '\0');
		buf_free(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_term(data, size);
	check_utf8(data, size);
	check_html(data, size);
	check_csv(data, size);
	check_cap(data, size);
	return 0;
}
