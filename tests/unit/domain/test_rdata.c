/* test_rdata.c - the record data of DNS answers in wire format, built by
 * hand byte by byte: MX (preference and an uncompressed name: host names
 * lower-cased, the root for a null MX, bad labels, truncation, trailing
 * bytes, non-host bytes shown as \DDD, names past the presentation limit),
 * TXT (character strings joined, empty strings, a length past the end,
 * embedded NULs), TLSA (the 3-byte header, data as lower-case hex) and the
 * hex decoder used for TLSA data. */
#include "testutil.h"

#include "domain/rdata.h"

/* ------------------------------------------------------------------ MX */

/* Parse an MX rdata into a name buffer first filled with 'X', so a name
 * that is not NUL-terminated shows (and is never read past its end). */
static int mx(const uint8_t *p, size_t n, int *pref, char name[RDATA_NAME_MAX])
{
	memset(name, 'X', RDATA_NAME_MAX);
	*pref = -12345;
	return mx_rdata_parse(p, n, pref, name);
}

/* name is a C string inside its buffer */
static void assert_terminated(const char name[RDATA_NAME_MAX])
{
	assert_non_null(memchr(name, '\0', RDATA_NAME_MAX));
}

static void test_mx_valid(void **state UNUSED)
{
	/* 10 mail.example.com. */
	static const uint8_t w[] = {0, 10, 4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p',
				    'l', 'e', 3, 'c', 'o', 'm', 0};
	char name[RDATA_NAME_MAX];
	int pref;

	assert_int_equal(mx(w, sizeof w, &pref, name), 0);
	assert_int_equal(pref, 10);
	assert_string_equal(name, "mail.example.com");
}

static void test_mx_preference_is_16_bits(void **state UNUSED)
{
	/* 65535 a-b_c.9 */
	static const uint8_t w[] = {0xff, 0xff, 5, 'a', '-', 'b', '_', 'c', 1, '9', 0};
	char name[RDATA_NAME_MAX];
	int pref;

	assert_int_equal(mx(w, sizeof w, &pref, name), 0);
	assert_int_equal(pref, 65535);
	assert_string_equal(name, "a-b_c.9");
}

static void test_mx_upper_case_lowered(void **state UNUSED)
{
	static const uint8_t w[] = {0, 5, 2, 'M', 'x', 7, 'E', 'X', 'a', 'M', 'P', 'L', 'E', 3,
				    'N', 'E', 'T', 0};
	char name[RDATA_NAME_MAX];
	int pref;

	assert_int_equal(mx(w, sizeof w, &pref, name), 0);
	assert_int_equal(pref, 5);
	assert_string_equal(name, "mx.example.net");
}

/* RFC 7505: "0 ." - the root, an empty name. */
static void test_mx_null(void **state UNUSED)
{
	static const uint8_t w[] = {0, 0, 0};
	char name[RDATA_NAME_MAX];
	int pref;

	assert_int_equal(mx(w, sizeof w, &pref, name), 0);
	assert_int_equal(pref, 0);
	assert_string_equal(name, "");
}

/* A label of 63 is the longest; 64 (and a compression pointer, 0xC0) is
 * malformed. */
static void test_mx_label_length(void **state UNUSED)
{
	uint8_t w[2 + 1 + 64 + 1];
	char name[RDATA_NAME_MAX], want[64];
	int pref;

	w[0] = 0;
	w[1] = 1;
	w[2] = 63;
	memset(w + 3, 'a', 63);
	w[66] = 0;
	assert_int_equal(mx(w, 67, &pref, name), 0);
	memset(want, 'a', 63);
	want[63] = '\0';
	assert_string_equal(name, want);

	w[2] = 64;
	memset(w + 3, 'a', 64);
	w[67] = 0;
	assert_int_equal(mx(w, 68, &pref, name), -1);
	assert_terminated(name);

	static const uint8_t ptr[] = {0, 1, 0xc0, 0x0c};
	assert_int_equal(mx(ptr, sizeof ptr, &pref, name), -1);
	assert_terminated(name);
}

/* Every prefix of a valid rdata is malformed: no preference, a label cut,
 * the final root label missing. */
static void test_mx_truncated(void **state UNUSED)
{
	static const uint8_t w[] = {0, 10, 2, 'm', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
	char name[RDATA_NAME_MAX];
	int pref;

	for (size_t n = 0; n < sizeof w; n++) {
		uint8_t *copy = malloc(n ? n : 1); /* exactly n bytes, for ASan */
		assert_non_null(copy);
		memcpy(copy, w, n);
		if (mx(copy, n, &pref, name) != -1)
			fail_msg("a %zu-byte prefix parsed", n);
		assert_terminated(name);
		free(copy);
	}
	assert_int_equal(mx(NULL, 0, &pref, name), -1);
	assert_terminated(name);
}

static void test_mx_trailing_bytes(void **state UNUSED)
{
	static const uint8_t w[] = {0, 10, 2, 'm', 'x', 0, 0};
	static const uint8_t w2[] = {0, 10, 0, 'x'};
	char name[RDATA_NAME_MAX];
	int pref;

	assert_int_equal(mx(w, sizeof w, &pref, name), -1);
	assert_terminated(name);
	assert_int_equal(mx(w2, sizeof w2, &pref, name), -1);
	assert_terminated(name);
}

/* Bytes that are not letters, digits, '-' or '_' come out as \DDD
 * (decimal, three digits) and the name is rejected; the rest of it is
 * still there, lower-cased, for the report. */
static void test_mx_non_host_bytes(void **state UNUSED)
{
	/* "A b.\x1b[2J" "\xff." "x.y" (a dot inside a label) */
	static const uint8_t w[] = {0, 1, 3, 'A', ' ', 'b', 4, 0x1b, '[', '2', 'J', 1, 0xff,
				    3, 'x', '.', 'y', 0};
	static const uint8_t nul[] = {0, 1, 3, 'a', 0, 'b', 0};
	char name[RDATA_NAME_MAX];
	int pref;

	assert_int_equal(mx(w, sizeof w, &pref, name), -1);
	assert_string_equal(name, "a\\032b.\\027\\0912j.\\255.x\\046y");
	assert_int_equal(pref, 1);

	assert_int_equal(mx(nul, sizeof nul, &pref, name), -1);
	assert_string_equal(name, "a\\000b");
}

/* A wire name of four 63-byte labels is 255 presentation characters:
 * the longest that fits (RDATA_NAME_MAX with the NUL). */
static void test_mx_longest_name(void **state UNUSED)
{
	uint8_t w[2 + 4 * 64 + 1];
	char name[RDATA_NAME_MAX];
	int pref;
	size_t o = 2;

	w[0] = 0;
	w[1] = 1;
	for (int l = 0; l < 4; l++) {
		w[o++] = 63;
		memset(w + o, 'a' + l, 63);
		o += 63;
	}
	w[o++] = 0;
	assert_int_equal(mx(w, o, &pref, name), 0);
	assert_int_equal(strlen(name), 255);
	assert_int_equal(name[63], '.');
	assert_int_equal(name[254], 'd');
}

/* A name one label longer than fits: -1, and the name the caller gets
 * (domain.c stores and prints it) must still be a C string. */
static void test_mx_name_over_255_chars(void **state UNUSED)
{
	/* 63 + 1 + 63 + 1 + 63 + 1 + 63 = 255, then ".e": 257 */
	uint8_t w[2 + 4 * 64 + 2 + 1];
	char name[RDATA_NAME_MAX];
	int pref;
	size_t o = 2;

	w[0] = 0;
	w[1] = 1;
	for (int l = 0; l < 4; l++) {
		w[o++] = 63;
		memset(w + o, 'a' + l, 63);
		o += 63;
	}
	w[o++] = 1;
	w[o++] = 'e';
	w[o++] = 0;
	assert_int_equal(mx(w, o, &pref, name), -1);
	assert_terminated(name);
}

/* Regression (was a bug): mx_rdata_parse returns -1 for a name past 255 presentation
 * characters in the middle of a label, after writing the '.' and some of
 * the label over the previous label's NUL, and without terminating the
 * buffer again: `name` is then not a C string, and on_mx()
 * (src/domain/domain.c) passes it to domain_add_mx -> xstrdup, which reads
 * past the 256-byte stack buffer. Input: preference 1, labels of 63, 63,
 * 63 and 62 bytes (254 characters), then a label "e" (the '.' lands at
 * index 254, 'e' does not fit): expected -1 with a NUL within the 256
 * bytes; got -1 with name[255] never written (here 'X'). The same with
 * \DDD escapes (labels 63, 63, 63, 58 then "\xff\xff"), and with a short
 * wire name any DNS server can send: two labels of 63 bytes 0xff (the
 * escapes fill 252 characters, the '.' overwrites the NUL at 252). Found
 * by fuzz/fuzz_rdata.c as well (a 70-byte MX rdata). */
static void test_mx_name_over_255_chars_mid_label(void **state UNUSED)
{
	static const int lens[] = {63, 63, 63, 62};
	uint8_t w[2 + 4 * 64 + 3 + 1];
	char name[RDATA_NAME_MAX];
	int pref;
	size_t o = 2;

	w[0] = 0;
	w[1] = 1;
	for (int l = 0; l < 4; l++) {
		w[o++] = (uint8_t)lens[l];
		memset(w + o, 'a' + l, (size_t)lens[l]);
		o += (size_t)lens[l];
	}
	w[o++] = 1;
	w[o++] = 'e';
	w[o++] = 0;
	assert_int_equal(mx(w, o, &pref, name), -1);
	assert_terminated(name);

	/* 63 + 1 + 63 + 1 + 63 + 1 + 58 = 250, '.' 251, "\255" to 255, then
	 * the second escape does not fit */
	static const int lens2[] = {63, 63, 63, 58};
	o = 2;
	for (int l = 0; l < 4; l++) {
		w[o++] = (uint8_t)lens2[l];
		memset(w + o, 'a' + l, (size_t)lens2[l]);
		o += (size_t)lens2[l];
	}
	w[o++] = 2;
	w[o++] = 0xff;
	w[o++] = 0xff;
	w[o++] = 0;
	assert_int_equal(mx(w, o, &pref, name), -1);
	assert_terminated(name);

	/* A short, legal wire name (two labels of 63 bytes 0xff, 131 bytes
	 * in all) whose escapes do not fit: the first label takes 252
	 * characters, the '.' lands at 252 and the next \255 does not fit. */
	o = 2;
	for (int l = 0; l < 2; l++) {
		w[o++] = 63;
		memset(w + o, 0xff, 63);
		o += 63;
	}
	w[o++] = 0;
	assert_int_equal(mx(w, o, &pref, name), -1);
	assert_terminated(name);
}

/* 128 one-byte labels: 255 characters; one more label: too long, and
 * nothing is written past the buffer (ASan watches). */
static void test_mx_many_short_labels(void **state UNUSED)
{
	uint8_t w[2 + 129 * 2 + 1];
	char name[RDATA_NAME_MAX];
	int pref;
	size_t o = 2;

	w[0] = 0;
	w[1] = 2;
	for (int l = 0; l < 128; l++) {
		w[o++] = 1;
		w[o++] = 'z';
	}
	w[o] = 0;
	assert_int_equal(mx(w, o + 1, &pref, name), 0);
	assert_int_equal(strlen(name), 255);

	w[o++] = 1;
	w[o++] = 'z';
	w[o++] = 0;
	assert_int_equal(mx(w, o, &pref, name), -1);
	assert_terminated(name);
}

/* ------------------------------------------------------------------ TXT */

static void test_txt_one_string(void **state UNUSED)
{
	static const uint8_t w[] = {6, 'v', '=', 's', 'p', 'f', '1'};
	size_t len = 99;
	char *s = txt_rdata_join(w, sizeof w, &len);

	assert_non_null(s);
	assert_int_equal(len, 6);
	assert_string_equal(s, "v=spf1");
	free(s);
}

/* RFC 7208 3.3: the strings are concatenated with no space. */
static void test_txt_several_joined(void **state UNUSED)
{
	static const uint8_t w[] = {7, 'v', '=', 's', 'p', 'f', '1', ' ', 3, 'm', 'x', ' ',
				    4, '-', 'a', 'l', 'l'};
	size_t len;
	char *s = txt_rdata_join(w, sizeof w, &len);

	assert_non_null(s);
	assert_int_equal(len, 14);
	assert_string_equal(s, "v=spf1 mx -all");
	free(s);
}

/* Empty character strings add nothing, and a record of one empty string
 * is the empty string. */
static void test_txt_empty_strings(void **state UNUSED)
{
	static const uint8_t empty[] = {0};
	static const uint8_t mixed[] = {0, 2, 'a', 'b', 0, 0, 1, 'c', 0};
	size_t len = 99;
	char *s = txt_rdata_join(empty, sizeof empty, &len);

	assert_non_null(s);
	assert_int_equal(len, 0);
	assert_string_equal(s, "");
	free(s);

	s = txt_rdata_join(mixed, sizeof mixed, &len);
	assert_non_null(s);
	assert_int_equal(len, 3);
	assert_string_equal(s, "abc");
	free(s);
}

/* A length byte that runs past the end: malformed, for the first string
 * and for a later one. */
static void test_txt_length_past_end(void **state UNUSED)
{
	static const uint8_t first[] = {5, 'a', 'b'};
	static const uint8_t later[] = {2, 'a', 'b', 3, 'c'};
	static const uint8_t lone[] = {2, 'a', 'b', 1};
	size_t len;

	assert_null(txt_rdata_join(first, sizeof first, &len));
	assert_null(txt_rdata_join(later, sizeof later, &len));
	assert_null(txt_rdata_join(lone, sizeof lone, &len));
}

/* The longest character string, 255 bytes, twice. */
static void test_txt_long_strings(void **state UNUSED)
{
	uint8_t w[2 * 256];
	size_t len;

	w[0] = 255;
	memset(w + 1, 'x', 255);
	w[256] = 255;
	memset(w + 257, 'y', 255);
	char *s = txt_rdata_join(w, sizeof w, &len);
	assert_non_null(s);
	assert_int_equal(len, 510);
	assert_int_equal(strlen(s), 510);
	assert_int_equal(s[254], 'x');
	assert_int_equal(s[255], 'y');
	free(s);
}

/* NUL bytes are kept: *len counts them, the copy is NUL-terminated after
 * them. */
static void test_txt_embedded_nul(void **state UNUSED)
{
	static const uint8_t w[] = {3, 'a', 0, 'b', 2, 0, 'c'};
	size_t len;
	char *s = txt_rdata_join(w, sizeof w, &len);

	assert_non_null(s);
	assert_int_equal(len, 5);
	assert_memory_equal(s, "a\0b\0c", 6); /* with the terminating NUL */
	free(s);
}

/* ------------------------------------------------------------------ TLSA */

static void test_tlsa_parse(void **state UNUSED)
{
	/* 3 1 1 with a 32-byte digest 00 01 ... 1f, upper nibbles included */
	uint8_t w[3 + 32];
	int u, s, m;
	char *hex = NULL;

	w[0] = 3;
	w[1] = 1;
	w[2] = 1;
	for (int i = 0; i < 32; i++)
		w[3 + i] = (uint8_t)(i * 8 + 7);
	assert_int_equal(tlsa_rdata_parse(w, sizeof w, &u, &s, &m, &hex), 0);
	assert_int_equal(u, 3);
	assert_int_equal(s, 1);
	assert_int_equal(m, 1);
	assert_non_null(hex);
	assert_int_equal(strlen(hex), 64);
	assert_string_equal(hex, "070f171f272f373f474f575f676f777f878f979fa7afb7bfc7cfd7dfe7eff7ff");
	free(hex);
}

static void test_tlsa_hex_lower_case(void **state UNUSED)
{
	static const uint8_t w[] = {2, 0, 2, 0xAB, 0xCD, 0xEF, 0x00, 0x9A};
	int u, s, m;
	char *hex = NULL;

	assert_int_equal(tlsa_rdata_parse(w, sizeof w, &u, &s, &m, &hex), 0);
	assert_int_equal(u, 2);
	assert_int_equal(s, 0);
	assert_int_equal(m, 2);
	assert_string_equal(hex, "abcdef009a");
	free(hex);
}

/* Any value of the header bytes is reported as is (255 255 255). */
static void test_tlsa_header_values_as_is(void **state UNUSED)
{
	static const uint8_t w[] = {255, 254, 253, 0x01};
	int u, s, m;
	char *hex = NULL;

	assert_int_equal(tlsa_rdata_parse(w, sizeof w, &u, &s, &m, &hex), 0);
	assert_int_equal(u, 255);
	assert_int_equal(s, 254);
	assert_int_equal(m, 253);
	assert_string_equal(hex, "01");
	free(hex);
}

/* Shorter than the header plus one byte of data: -1, nothing allocated. */
static void test_tlsa_short(void **state UNUSED)
{
	static const uint8_t w[] = {3, 1, 1};
	int u, s, m;
	char *hex = NULL;

	for (size_t n = 0; n <= sizeof w; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, w, n);
		assert_int_equal(tlsa_rdata_parse(copy, n, &u, &s, &m, &hex), -1);
		assert_null(hex);
		free(copy);
	}
}

/* ------------------------------------------------------------------ hex */

static void test_hex_decode(void **state UNUSED)
{
	uint8_t out[8];

	memset(out, 0xee, sizeof out);
	assert_int_equal(hex_decode("00ff10a5", out, sizeof out), 4);
	assert_memory_equal(out, "\x00\xff\x10\xa5", 4);
	assert_int_equal(out[4], 0xee); /* nothing past the count */
	assert_int_equal(hex_decode("", out, sizeof out), 0);
}

static void test_hex_upper_case(void **state UNUSED)
{
	uint8_t out[4];

	assert_int_equal(hex_decode("DEADbeef", out, sizeof out), 4);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
}

static void test_hex_odd_length(void **state UNUSED)
{
	uint8_t out[8];

	assert_int_equal(hex_decode("abc", out, sizeof out), -1);
	assert_int_equal(hex_decode("0", out, sizeof out), -1);
}

static void test_hex_non_hex(void **state UNUSED)
{
	static const char *const bad[] = {"0g", "g0", "zz", "0x12", " 012", "12 3", "1-", "ab:cd"};
	uint8_t out[8];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (hex_decode(bad[i], out, sizeof out) != -1)
			fail_msg("\"%s\" decoded", bad[i]);
}

/* Over max: -1, and nothing is written past out (ASan watches the exact
 * allocation); exactly max fits. */
static void test_hex_over_max(void **state UNUSED)
{
	uint8_t *out = malloc(2);

	assert_non_null(out);
	assert_int_equal(hex_decode("a1b2c3", out, 2), -1);
	assert_int_equal(hex_decode("a1b2", out, 2), 2);
	assert_memory_equal(out, "\xa1\xb2", 2);
	assert_int_equal(hex_decode("a1", out, 0), -1);
	assert_int_equal(hex_decode("", out, 0), 0);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mx_valid),
		cmocka_unit_test(test_mx_preference_is_16_bits),
		cmocka_unit_test(test_mx_upper_case_lowered),
		cmocka_unit_test(test_mx_null),
		cmocka_unit_test(test_mx_label_length),
		cmocka_unit_test(test_mx_truncated),
		cmocka_unit_test(test_mx_trailing_bytes),
		cmocka_unit_test(test_mx_non_host_bytes),
		cmocka_unit_test(test_mx_longest_name),
		cmocka_unit_test(test_mx_name_over_255_chars),
		cmocka_unit_test(test_mx_name_over_255_chars_mid_label),
		cmocka_unit_test(test_mx_many_short_labels),
		cmocka_unit_test(test_txt_one_string),
		cmocka_unit_test(test_txt_several_joined),
		cmocka_unit_test(test_txt_empty_strings),
		cmocka_unit_test(test_txt_length_past_end),
		cmocka_unit_test(test_txt_long_strings),
		cmocka_unit_test(test_txt_embedded_nul),
		cmocka_unit_test(test_tlsa_parse),
		cmocka_unit_test(test_tlsa_hex_lower_case),
		cmocka_unit_test(test_tlsa_header_values_as_is),
		cmocka_unit_test(test_tlsa_short),
		cmocka_unit_test(test_hex_decode),
		cmocka_unit_test(test_hex_upper_case),
		cmocka_unit_test(test_hex_odd_length),
		cmocka_unit_test(test_hex_non_hex),
		cmocka_unit_test(test_hex_over_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
