/* test_mysql.c - proto/mysql_wire: the packet header, the server's first
 * packet (MariaDB 10.11's Handshake v10 with and without TLS, its ERR
 * packet for a refused host, a MySQL 8.0-shaped greeting) and the
 * SSLRequest writer. Failure cases: every truncation, a trailing byte, a
 * length past the input, a wrong protocol version, a version string
 * without its NUL, an SSLRequest that does not fit. */
#include "testutil.h"

#include "core/wr.h"
#include "proto/mysql_wire.h"

/* MariaDB 10.11.19 (Debian 12) with --ssl-cert/--ssl-key, as read from
 * its socket: header, then the Handshake v10 payload. */
static const uint8_t maria_ssl[] = {
    0x64, 0x00, 0x00, 0x00, 0x0a, 0x35, 0x2e, 0x35, 0x2e, 0x35, 0x2d, 0x31, 0x30, 0x2e, 0x31,
    0x31, 0x2e, 0x31, 0x39, 0x2d, 0x4d, 0x61, 0x72, 0x69, 0x61, 0x44, 0x42, 0x2d, 0x30, 0x2b,
    0x64, 0x65, 0x62, 0x31, 0x32, 0x75, 0x31, 0x00, 0x04, 0x00, 0x00, 0x00, 0x36, 0x3e, 0x74,
    0x4f, 0x6e, 0x5a, 0x59, 0x2f, 0x00, 0xfe, 0xff, 0x08, 0x02, 0x00, 0xff, 0x81, 0x15, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x7d, 0x4d, 0x44, 0x4f, 0x40, 0x33,
    0x7d, 0x40, 0x66, 0x5e, 0x27, 0x42, 0x00, 0x6d, 0x79, 0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61,
    0x74, 0x69, 0x76, 0x65, 0x5f, 0x70, 0x61, 0x73, 0x73, 0x77, 0x6f, 0x72, 0x64, 0x00,
};
#define MARIA_VERSION "5.5.5-10.11.19-MariaDB-0+deb12u1"
#define HDR 4
/* The payload's head ends after capability_flags_1: protocol, version and
 * its NUL, connection id, scramble part 1, filler, flags. */
#define MARIA_HEAD (1 + sizeof MARIA_VERSION + 4 + 8 + 1 + 2)
/* Where auth_plugin_name starts: character set, status, flags_2, the
 * scramble length, 10 reserved bytes, 13 bytes of scramble part 2. */
#define MARIA_PLUGIN (MARIA_HEAD + 1 + 2 + 2 + 1 + 10 + 13)
/* Offset of capability_flags_1 in the payload. */
#define MARIA_CAPS (MARIA_HEAD - 2)

/* The same server with --skip-name-resolve, connected from 127.0.0.1. */
static const uint8_t maria_refused[] = {
    0x44, 0x00, 0x00, 0x00, 0xff, 0x6a, 0x04, 0x48, 0x6f, 0x73, 0x74, 0x20, 0x27, 0x31, 0x32,
    0x37, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x31, 0x27, 0x20, 0x69, 0x73, 0x20, 0x6e, 0x6f, 0x74,
    0x20, 0x61, 0x6c, 0x6c, 0x6f, 0x77, 0x65, 0x64, 0x20, 0x74, 0x6f, 0x20, 0x63, 0x6f, 0x6e,
    0x6e, 0x65, 0x63, 0x74, 0x20, 0x74, 0x6f, 0x20, 0x74, 0x68, 0x69, 0x73, 0x20, 0x4d, 0x61,
    0x72, 0x69, 0x61, 0x44, 0x42, 0x20, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72,
};
#define MARIA_REFUSED_TEXT "Host '127.0.0.1' is not allowed to connect to this MariaDB server"

static const uint8_t *payload(const uint8_t *pkt)
{
	return pkt + HDR;
}

static void copy(uint8_t *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
}

static void test_packet(void **state)
{
	(void)state;
	struct mysql_packet pk;

	assert_int_equal(mysql_packet(maria_ssl, sizeof maria_ssl, &pk), 1);
	assert_int_equal(pk.len, sizeof maria_ssl - HDR);
	assert_int_equal(pk.seq, 0);
	assert_ptr_equal(pk.payload, payload(maria_ssl));
	assert_int_equal(pk.total, sizeof maria_ssl);
	/* A second packet behind it is not this packet's business. */
	uint8_t two[sizeof maria_ssl + 5];
	copy(two, maria_ssl, sizeof maria_ssl);
	memset(two + sizeof maria_ssl, 0xAA, 5);
	assert_int_equal(mysql_packet(two, sizeof two, &pk), 1);
	assert_int_equal(pk.total, sizeof maria_ssl);
	/* Every prefix needs more, the empty input included. */
	for (size_t i = 0; i < sizeof maria_ssl; i++)
		assert_int_equal(mysql_packet(maria_ssl, i, &pk), 0);
	assert_int_equal(mysql_packet(NULL, 0, &pk), 0);
	/* The longest length a header can say, over a few bytes: more. */
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0x00, 0x0a, 0x35};
	assert_int_equal(mysql_packet(huge, sizeof huge, &pk), 0);
	/* An empty payload is a whole packet. */
	static const uint8_t empty[] = {0x00, 0x00, 0x00, 0x07};
	assert_int_equal(mysql_packet(empty, sizeof empty, &pk), 1);
	assert_int_equal(pk.len, 0);
	assert_int_equal(pk.seq, 7);
	assert_int_equal(pk.total, HDR);
}

static void test_greeting_mariadb(void **state)
{
	(void)state;
	struct mysql_greeting g;

	assert_int_equal(mysql_greeting(payload(maria_ssl), sizeof maria_ssl - HDR, &g), 0);
	assert_false(g.is_err);
	assert_int_equal(g.protocol, 10);
	assert_int_equal(g.version_len, strlen(MARIA_VERSION));
	assert_memory_equal(g.version, MARIA_VERSION, g.version_len);
	assert_int_equal(g.conn_id, 4);
	assert_true(g.has_more);
	assert_int_equal(g.caps, 0x81fffffeu);
	assert_true(g.caps & MYSQL_CLIENT_SSL);
	assert_true(g.caps & MYSQL_CLIENT_PLUGIN_AUTH);
	assert_int_equal(g.charset, 8);
	assert_int_equal(g.status, 2);
	assert_int_equal(g.plugin_len, strlen("mysql_native_password"));
	assert_memory_equal(g.plugin, "mysql_native_password", g.plugin_len);
}

/* MariaDB 10.11 without TLS settings: flags_1 0xf7fe, no CLIENT_SSL. */
static void test_greeting_no_ssl(void **state)
{
	(void)state;
	struct mysql_greeting g;
	uint8_t p[sizeof maria_ssl - HDR];

	copy(p, payload(maria_ssl), sizeof p);
	p[MARIA_CAPS + 1] = 0xf7;
	assert_int_equal(mysql_greeting(p, sizeof p, &g), 0);
	assert_false(g.caps & MYSQL_CLIENT_SSL);
	assert_int_equal(g.caps, 0x81fff7feu);
}

/* Shaped as MySQL 8.0 sends it: flags_2 0xdfff, charset 255, a 21-byte
 * scramble, caching_sha2_password. */
static void test_greeting_mysql8(void **state)
{
	(void)state;
	struct buf b;
	struct wr w;
	struct mysql_greeting g;
	static const uint8_t scramble[8 + 13] = "0123456789abcdefghij";

	buf_init(&b, 512);
	wr_init(&w, &b);
	wr_u8(&w, 10);
	wr_bytes(&w, "8.0.36", 7);
	wr_bytes(&w, "\x2a\x00\x00\x00", 4); /* connection id 42 */
	wr_bytes(&w, scramble, 8);
	wr_u8(&w, 0);
	wr_bytes(&w, "\xff\xff", 2);
	wr_u8(&w, 255);
	wr_bytes(&w, "\x02\x00", 2);
	wr_bytes(&w, "\xff\xdf", 2);
	wr_u8(&w, 21);
	wr_bytes(&w, "\0\0\0\0\0\0\0\0\0\0", 10);
	wr_bytes(&w, scramble + 8, 13);
	wr_bytes(&w, "caching_sha2_password", 22);
	assert_false(wr_failed(&w));
	assert_int_equal(mysql_greeting(b.data, b.len, &g), 0);
	assert_int_equal(g.version_len, 6);
	assert_int_equal(g.conn_id, 42);
	assert_int_equal(g.caps, 0xdfffffffu);
	assert_true(g.has_more);
	assert_int_equal(g.charset, 255);
	assert_int_equal(g.plugin_len, strlen("caching_sha2_password"));
	buf_free(&b);
}

/* A longer scramble (MAX(13, length - 8)) and a plugin name without its
 * NUL (servers before 5.5.10) both decode. */
static void test_greeting_scramble_and_bare_plugin(void **state)
{
	(void)state;
	struct buf b;
	struct wr w;
	struct mysql_greeting g;
	static const uint8_t zeros[32];

	buf_init(&b, 512);
	wr_init(&w, &b);
	wr_u8(&w, 10);
	wr_bytes(&w, "5.5.8", 6);
	wr_bytes(&w, zeros, 4 + 8 + 1);
	wr_bytes(&w, "\x00\x88", 2); /* SECURE_CONNECTION | SSL */
	wr_u8(&w, 8);
	wr_bytes(&w, zeros, 2);
	wr_bytes(&w, "\x08\x00", 2); /* PLUGIN_AUTH */
	wr_u8(&w, 30);               /* scramble part 2: 22 bytes */
	wr_bytes(&w, zeros, 10);
	wr_bytes(&w, zeros, 22);
	wr_bytes(&w, "plug", 4);
	assert_false(wr_failed(&w));
	assert_int_equal(mysql_greeting(b.data, b.len, &g), 0);
	assert_true(g.has_more);
	assert_int_equal(g.plugin_len, 4);
	assert_memory_equal(g.plugin, "plug", 4);
	assert_int_equal(g.caps, 0x00088800u);
	buf_free(&b);
}

/* Before 4.1 the packet ends after flags_1; without SECURE_CONNECTION
 * and PLUGIN_AUTH it ends after the reserved bytes. */
static void test_greeting_short_forms(void **state)
{
	(void)state;
	struct mysql_greeting g;
	uint8_t p[MARIA_HEAD + 16];

	copy(p, payload(maria_ssl), sizeof p);
	assert_int_equal(mysql_greeting(p, MARIA_HEAD, &g), 0);
	assert_false(g.has_more);
	assert_int_equal(g.caps, 0xfffe);
	/* flags_1 0x0800 only, flags_2 0 */
	p[MARIA_CAPS] = 0x00;
	p[MARIA_CAPS + 1] = 0x08;
	p[MARIA_HEAD + 3] = 0;
	p[MARIA_HEAD + 4] = 0;
	assert_int_equal(mysql_greeting(p, sizeof p, &g), 0);
	assert_true(g.has_more);
	assert_int_equal(g.caps, MYSQL_CLIENT_SSL);
	assert_null(g.plugin);
}

static void test_greeting_truncated(void **state)
{
	(void)state;
	struct mysql_greeting g;
	const uint8_t *p = payload(maria_ssl);
	size_t n = sizeof maria_ssl - HDR;

	for (size_t i = 0; i < n; i++) {
		int rc = mysql_greeting(p, i, &g);
		if (i < MARIA_HEAD) {
			assert_int_equal(rc, -1);
			continue;
		}
		/* The head decodes; a tail cut short is not decoded. */
		assert_int_equal(rc, 0);
		assert_memory_equal(g.version, MARIA_VERSION, g.version_len);
		if (i > MARIA_PLUGIN) {
			/* inside the plugin name: taken as one without its NUL */
			assert_true(g.has_more);
			assert_int_equal(g.caps, 0x81fffffeu);
			assert_int_equal(g.plugin_len, i - MARIA_PLUGIN);
		} else {
			assert_false(g.has_more);
			assert_int_equal(g.caps, 0xfffe);
			assert_int_equal(g.charset, 0);
			assert_null(g.plugin);
		}
	}
}

static void test_greeting_trailing(void **state)
{
	(void)state;
	struct mysql_greeting g;
	uint8_t p[sizeof maria_ssl - HDR + 1];

	copy(p, payload(maria_ssl), sizeof p - 1);
	p[sizeof p - 1] = 'x';
	assert_int_equal(mysql_greeting(p, sizeof p, &g), 0);
	assert_false(g.has_more);
	assert_int_equal(g.caps, 0xfffe);
	assert_null(g.plugin);
}

static void test_greeting_bad(void **state)
{
	(void)state;
	struct mysql_greeting g;
	uint8_t p[sizeof maria_ssl - HDR];

	assert_int_equal(mysql_greeting(NULL, 0, &g), -1);
	assert_false(g.is_err);
	/* protocol 9 */
	copy(p, payload(maria_ssl), sizeof p);
	p[0] = 9;
	assert_int_equal(mysql_greeting(p, sizeof p, &g), -1);
	/* a version without its NUL: runs to the end */
	static const uint8_t nonul[] = {10, '5', '.', '7', '.', '4', '4'};
	assert_int_equal(mysql_greeting(nonul, sizeof nonul, &g), -1);
	/* the NUL moved past the head: the version eats the rest */
	copy(p, payload(maria_ssl), sizeof p);
	p[1 + strlen(MARIA_VERSION)] = 'x';
	memset(p + MARIA_HEAD - 16, 'x', 16);
	assert_int_equal(mysql_greeting(p, MARIA_HEAD, &g), -1);
}

static void test_greeting_err(void **state)
{
	(void)state;
	struct mysql_greeting g;
	const uint8_t *p = payload(maria_refused);
	size_t n = sizeof maria_refused - HDR;

	assert_int_equal(mysql_greeting(p, n, &g), 0);
	assert_true(g.is_err);
	assert_int_equal(g.err_code, 1130);
	assert_int_equal(g.err_len, strlen(MARIA_REFUSED_TEXT));
	assert_memory_equal(g.err_msg, MARIA_REFUSED_TEXT, g.err_len);
	/* Cut short: still an ERR packet, without its code. */
	for (size_t i = 1; i < 3; i++) {
		assert_int_equal(mysql_greeting(p, i, &g), -1);
		assert_true(g.is_err);
		assert_int_equal(g.err_code, 0);
		assert_int_equal(g.err_len, 0);
	}
	/* Every longer prefix is a shorter message. */
	for (size_t i = 3; i < n; i++) {
		assert_int_equal(mysql_greeting(p, i, &g), 0);
		assert_int_equal(g.err_code, 1130);
		assert_int_equal(g.err_len, i - 3);
	}
}

/* The SSLRequest mailtls always sent, byte for byte. */
static void test_ssl_request(void **state)
{
	(void)state;
	static const uint8_t want[36] = {32, 0, 0, 1, 0x01, 0x8a, 0, 0, 0, 0, 0, 1, 45};
	const uint32_t caps = MYSQL_CLIENT_LONG_PASSWORD | MYSQL_CLIENT_PROTOCOL_41 |
	                      MYSQL_CLIENT_SSL | MYSQL_CLIENT_SECURE_CONNECTION;
	struct buf b;
	struct mysql_packet pk;

	buf_init(&b, 64);
	assert_int_equal(mysql_ssl_request(&b, caps, 0x01000000u, MYSQL_CHARSET_UTF8MB4), 0);
	assert_int_equal(b.len, sizeof want);
	assert_memory_equal(b.data, want, sizeof want);
	/* It frames as one packet, sequence 1. */
	assert_int_equal(mysql_packet(b.data, b.len, &pk), 1);
	assert_int_equal(pk.seq, 1);
	assert_int_equal(pk.total, b.len);
	buf_free(&b);
	/* A buffer too small for it: an error, not a cut packet. */
	for (size_t cap = 0; cap < sizeof want; cap++) {
		buf_init(&b, cap);
		assert_int_equal(mysql_ssl_request(&b, caps, 0x01000000u, 45), -1);
		buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_packet),
	    cmocka_unit_test(test_greeting_mariadb),
	    cmocka_unit_test(test_greeting_no_ssl),
	    cmocka_unit_test(test_greeting_mysql8),
	    cmocka_unit_test(test_greeting_scramble_and_bare_plugin),
	    cmocka_unit_test(test_greeting_short_forms),
	    cmocka_unit_test(test_greeting_truncated),
	    cmocka_unit_test(test_greeting_trailing),
	    cmocka_unit_test(test_greeting_bad),
	    cmocka_unit_test(test_greeting_err),
	    cmocka_unit_test(test_ssl_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
