/* test_vp_fallback.c - the decisions of the TLS_FALLBACK_SCSV and
 * Ticketbleed probes on server answers written here with the checked
 * cursor (RFC 5246 records, ServerHello, alerts), fed through the same
 * readers the probes use, whole and one byte at a time. */
#include "testutil.h"

#include "core/mem.h"
#include "core/wr.h"
#include "scan/vp_fallback.h"
#include "tls/wire.h"

#define ANSWER_MAX (1 << 16)

static struct vuln *new_vuln(void)
{
	struct vuln *v = xcalloc(1, sizeof(*v));
	v->id = xstrdup("test");
	return v;
}

static void free_vuln(struct vuln *v)
{
	vulns_free(v, 1);
}

/* ---------------------------------------------------------- server bytes */

struct sh_spec {
	uint16_t version;   /* legacy_version */
	const uint8_t *sid; /* NULL: none */
	size_t sid_len;
	int sentinel; /* RFC 8446 4.1.3 "DOWNGRD" + 01 in the random */
	int tls13;    /* supported_versions: TLS 1.3 */
};

static void put_record(struct buf *b, uint8_t type, uint16_t version, const struct buf *payload)
{
	struct wr w;
	wr_init(&w, b);
	wr_u8(&w, type);
	wr_u16(&w, version);
	size_t m = wr_open_vec(&w, 2);
	wr_bytes(&w, payload->data, payload->len);
	wr_close_vec(&w, m, 2);
	assert_false(wr_failed(&w));
}

/* One handshake record with a ServerHello (RFC 5246 7.4.1.3). */
static void put_server_hello(struct buf *b, const struct sh_spec *s)
{
	struct buf hs;
	struct wr w;
	uint8_t random[32];
	memset(random, 0x11, sizeof random);
	if (s->sentinel)
		memcpy(random + 24, "DOWNGRD\x01", 8);
	buf_init(&hs, ANSWER_MAX);
	wr_init(&w, &hs);
	wr_u8(&w, 2);
	size_t m = wr_open_vec(&w, 3);
	wr_u16(&w, s->version);
	wr_bytes(&w, random, sizeof random);
	size_t v = wr_open_vec(&w, 1);
	if (s->sid)
		wr_bytes(&w, s->sid, s->sid_len);
	wr_close_vec(&w, v, 1);
	wr_u16(&w, s->tls13 ? 0x1301 : 0xC02F);
	wr_u8(&w, 0);
	size_t e = wr_open_vec(&w, 2);
	if (s->tls13) {
		wr_u16(&w, 43); /* supported_versions */
		size_t x = wr_open_vec(&w, 2);
		wr_u16(&w, 0x0304);
		wr_close_vec(&w, x, 2);
		wr_u16(&w, 51); /* key_share: x25519 */
		x = wr_open_vec(&w, 2);
		wr_u16(&w, 0x001d);
		size_t k = wr_open_vec(&w, 2);
		for (int i = 0; i < 32; i++)
			wr_u8(&w, 9);
		wr_close_vec(&w, k, 2);
		wr_close_vec(&w, x, 2);
	}
	wr_close_vec(&w, e, 2);
	wr_close_vec(&w, m, 3);
	assert_false(wr_failed(&w));
	put_record(b, 22, s->version, &hs);
	buf_free(&hs);
}

static void put_alert(struct buf *b, uint8_t level, uint8_t desc)
{
	struct buf a;
	buf_init(&a, 16);
	tu_buf_add(&a, &level, 1);
	tu_buf_add(&a, &desc, 1);
	put_record(b, 21, 0x0303, &a);
	buf_free(&a);
}

static void put_ccs(struct buf *b)
{
	struct buf a;
	buf_init(&a, 16);
	tu_buf_add(&a, "\x01", 1);
	put_record(b, 20, 0x0303, &a);
	buf_free(&a);
}

/* An empty Certificate message: the start of a full handshake. */
static void put_certificate(struct buf *b)
{
	struct buf a;
	buf_init(&a, 16);
	tu_buf_add(&a, LIT("\x0b\x00\x00\x03\x00\x00\x00"));
	put_record(b, 22, 0x0303, &a);
	buf_free(&a);
}

/* Bytes that are not a record a parser could read: what an encrypted
 * Finished looks like to one that has no keys. */
static void put_garbage_handshake(struct buf *b)
{
	struct buf a;
	buf_init(&a, 64);
	tu_buf_add(&a, LIT("\x02\x00\x00\x02\xff\xff")); /* a second ServerHello */
	put_record(b, 22, 0x0303, &a);
	buf_free(&a);
}

/* ------------------------------------------------------- fallback-scsv */

/* Run the server's bytes through the raw engine as the probe does, then
 * judge. bytewise: one byte per call, as TCP may deliver them. */
static void fb_run(struct vuln *v, uint16_t best, uint16_t sent, const struct buf *answer, int eof,
                   int bytewise)
{
	static const uint16_t suites[] = {0xC02F};
	struct raw_req req = {.ho = {.version = sent, .ciphers = suites, .nciphers = 1}};
	struct rawhs *h = rawhs_new(&req, NULL);
	struct buf pend, in;
	buf_init(&pend, ANSWER_MAX);
	buf_init(&in, ANSWER_MAX);
	for (size_t i = 0; i < answer->len;) {
		size_t n = bytewise ? 1 : answer->len - i;
		tu_buf_add(&in, answer->data + i, n);
		i += n;
		if (vp_feed_records(h, &pend, &in) != RAW_PENDING)
			break;
	}
	if (eof)
		(void)rawhs_eof(h);
	vp_fallback_judge(v, best, sent, rawhs_result(h), NULL);
	rawhs_free(h);
	buf_free(&pend);
	buf_free(&in);
}

static void test_fallback_version(void **state UNUSED)
{
	assert_int_equal(vp_fallback_version(0x0304), 0x0303);
	assert_int_equal(vp_fallback_version(0x0303), 0x0302);
	assert_int_equal(vp_fallback_version(0x0302), 0x0301);
	assert_int_equal(vp_fallback_version(0x0301), 0x0300);
	assert_int_equal(vp_fallback_version(0x0300), 0);
	assert_int_equal(vp_fallback_version(0), 0);
	assert_int_equal(vp_fallback_version(0x0305), 0);
	assert_int_equal(vp_fallback_version(0x0002), 0);
}

static void test_fallback_inappropriate_fallback(void **state UNUSED)
{
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct vuln *v = new_vuln();
		struct buf b;
		buf_init(&b, ANSWER_MAX);
		put_alert(&b, 2, TLS_ALERT_INAPPROPRIATE_FALLBACK);
		fb_run(v, 0x0304, 0x0303, &b, 0, bytewise);
		assert_int_equal(v->verdict, VULN_NOT_VULNERABLE);
		assert_null(v->reason);
		assert_non_null(strstr(v->evidence, "TLSv1.2 hello with TLS_FALLBACK_SCSV"));
		assert_non_null(strstr(v->evidence, "inappropriate_fallback (86)"));
		buf_free(&b);
		free_vuln(v);
	}
}

static void test_fallback_server_hello_is_vulnerable(void **state UNUSED)
{
	struct sh_spec s = {.version = 0x0302};
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct vuln *v = new_vuln();
		struct buf b;
		buf_init(&b, ANSWER_MAX);
		put_server_hello(&b, &s);
		/* What follows in later records must not undo the verdict. */
		put_garbage_handshake(&b);
		fb_run(v, 0x0303, 0x0302, &b, 0, bytewise);
		assert_int_equal(v->verdict, VULN_VULNERABLE);
		assert_non_null(strstr(v->evidence, "got a TLSv1.1 ServerHello"));
		assert_non_null(strstr(v->evidence, "best: TLSv1.2"));
		buf_free(&b);
		free_vuln(v);
	}
}

static void test_fallback_sentinel_protects(void **state UNUSED)
{
	/* A TLS 1.3 server that ignores the SCSV but sets RFC 8446's
	 * sentinel: TLS 1.3 clients detect the downgrade. */
	struct sh_spec s = {.version = 0x0303, .sentinel = 1};
	struct vuln *v = new_vuln();
	struct buf b;
	buf_init(&b, ANSWER_MAX);
	put_server_hello(&b, &s);
	fb_run(v, 0x0304, 0x0303, &b, 0, 0);
	assert_int_equal(v->verdict, VULN_NOT_VULNERABLE);
	assert_non_null(strstr(v->evidence, "downgrade sentinel"));
	buf_free(&b);
	free_vuln(v);
	/* The same sentinel from a TLS 1.2 server proves nothing. */
	v = new_vuln();
	buf_init(&b, ANSWER_MAX);
	s.version = 0x0302;
	put_server_hello(&b, &s);
	fb_run(v, 0x0303, 0x0302, &b, 0, 0);
	assert_int_equal(v->verdict, VULN_VULNERABLE);
	buf_free(&b);
	free_vuln(v);
}

static void test_fallback_refusals_are_not_applicable(void **state UNUSED)
{
	static const uint8_t descs[] = {TLS_ALERT_PROTOCOL_VERSION, TLS_ALERT_HANDSHAKE_FAILURE};
	for (size_t i = 0; i < ARRAY_LEN(descs); i++) {
		struct vuln *v = new_vuln();
		struct buf b;
		buf_init(&b, ANSWER_MAX);
		put_alert(&b, 2, descs[i]);
		fb_run(v, 0x0304, 0x0303, &b, 1, 0);
		assert_int_equal(v->verdict, VULN_NOT_APPLICABLE);
		assert_non_null(strstr(v->reason, "no protocol below TLSv1.3"));
		assert_non_null(strstr(v->reason, tls_alert_name(descs[i])));
		buf_free(&b);
		free_vuln(v);
	}
}

static void test_fallback_unknowns(void **state UNUSED)
{
	struct vuln *v;
	struct buf b;

	/* Another alert: no conclusion. */
	v = new_vuln();
	buf_init(&b, ANSWER_MAX);
	put_alert(&b, 2, TLS_ALERT_INTERNAL_ERROR);
	fb_run(v, 0x0304, 0x0303, &b, 0, 0);
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	assert_non_null(strstr(v->reason, "internal_error (80)"));
	buf_free(&b);
	free_vuln(v);

	/* A close without a word. */
	v = new_vuln();
	buf_init(&b, ANSWER_MAX);
	fb_run(v, 0x0304, 0x0303, &b, 1, 0);
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	assert_non_null(strstr(v->reason, "closed without answering"));
	buf_free(&b);
	free_vuln(v);

	/* Not TLS. */
	v = new_vuln();
	buf_init(&b, ANSWER_MAX);
	tu_buf_add(&b, LIT("421 too busy\r\n"));
	fb_run(v, 0x0304, 0x0303, &b, 0, 0);
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	assert_non_null(strstr(v->reason, "not TLS"));
	buf_free(&b);
	free_vuln(v);

	/* A ServerHello above what we offered. */
	struct sh_spec s = {.version = 0x0303, .tls13 = 1};
	v = new_vuln();
	buf_init(&b, ANSWER_MAX);
	put_server_hello(&b, &s);
	fb_run(v, 0x0304, 0x0303, &b, 0, 0);
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	assert_non_null(strstr(v->reason, "ServerHello for TLSv1.3"));
	buf_free(&b);
	free_vuln(v);

	/* A timeout: no result at all, never "not vulnerable". */
	v = new_vuln();
	vp_fallback_judge(v, 0x0303, 0x0302, NULL, "read timeout after 10 s");
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	assert_non_null(strstr(v->reason, "read timeout after 10 s"));
	free_vuln(v);
}

/* ---------------------------------------------------------- ticketbleed */

static const uint8_t our_sid[1] = {0x7E};

static void tb_run(struct vuln *v, const struct buf *answer, int eof, int bytewise)
{
	struct tb_answer a;
	struct rec_reader rec;
	struct buf in;
	int done = 0;
	memset(&a, 0, sizeof a);
	rec_init(&rec, 0);
	buf_init(&in, ANSWER_MAX);
	for (size_t i = 0; i < answer->len && !done;) {
		size_t n = bytewise ? 1 : answer->len - i;
		tu_buf_add(&in, answer->data + i, n);
		i += n;
		done = vp_tb_feed(&a, &rec, &in);
	}
	if (!done && eof && a.outcome == RAW_PENDING)
		a.outcome = RAW_CLOSED;
	vp_ticketbleed_judge(v, our_sid, sizeof our_sid, 160, &a, NULL);
	rec_free(&rec);
	buf_free(&in);
}

static void test_ticketbleed_echo_of_32_bytes(void **state UNUSED)
{
	uint8_t sid[32];
	memset(sid, 0xCC, sizeof sid);
	sid[0] = our_sid[0];
	struct sh_spec s = {.version = 0x0303, .sid = sid, .sid_len = 32};
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		for (int follow = 0; follow < 2; follow++) {
			struct vuln *v = new_vuln();
			struct buf b;
			buf_init(&b, ANSWER_MAX);
			put_server_hello(&b, &s);
			if (follow) { /* F5: CCS and an encrypted Finished */
				put_ccs(&b);
				put_garbage_handshake(&b);
			}
			tb_run(v, &b, 0, bytewise);
			assert_int_equal(v->verdict, VULN_VULNERABLE);
			assert_non_null(strstr(v->evidence, "echoed 32 bytes"));
			assert_non_null(strstr(v->evidence, "31 bytes of server memory"));
			assert_non_null(strstr(v->evidence, "160-byte ticket"));
			assert_int_equal(v->nleak, 31);
			assert_int_equal(v->leak[0], 0xCC);
			assert_int_equal(v->leak[30], 0xCC);
			buf_free(&b);
			free_vuln(v);
		}
	}
}

static void test_ticketbleed_echo_of_ours(void **state UNUSED)
{
	struct sh_spec s = {.version = 0x0303, .sid = our_sid, .sid_len = 1};
	struct vuln *v = new_vuln();
	struct buf b;
	buf_init(&b, ANSWER_MAX);
	put_server_hello(&b, &s);
	put_ccs(&b);
	tb_run(v, &b, 0, 1);
	assert_int_equal(v->verdict, VULN_NOT_VULNERABLE);
	assert_non_null(strstr(v->evidence, "echoed it (1 byte), session resumed"));
	assert_int_equal(v->nleak, 0);
	buf_free(&b);
	free_vuln(v);
}

static void test_ticketbleed_full_handshake(void **state UNUSED)
{
	/* A fresh 32-byte ID, even one that happens to start with our byte,
	 * followed by a Certificate: the ticket was not resumed. */
	uint8_t sid[32];
	memset(sid, 0x33, sizeof sid);
	for (int lucky = 0; lucky < 2; lucky++) {
		sid[0] = lucky ? our_sid[0] : 0x33;
		struct sh_spec s = {.version = 0x0303, .sid = sid, .sid_len = 32};
		struct vuln *v = new_vuln();
		struct buf b;
		buf_init(&b, ANSWER_MAX);
		put_server_hello(&b, &s);
		put_certificate(&b);
		tb_run(v, &b, 0, 0);
		assert_int_equal(v->verdict, VULN_NOT_VULNERABLE);
		assert_non_null(strstr(v->evidence, "full handshake"));
		buf_free(&b);
		free_vuln(v);
	}
	/* An empty session ID. */
	struct sh_spec e = {.version = 0x0303};
	struct vuln *v = new_vuln();
	struct buf b;
	buf_init(&b, ANSWER_MAX);
	put_server_hello(&b, &e);
	put_ccs(&b);
	tb_run(v, &b, 0, 0);
	assert_int_equal(v->verdict, VULN_NOT_VULNERABLE);
	assert_non_null(strstr(v->evidence, "session ID of 0 bytes"));
	buf_free(&b);
	free_vuln(v);
}

static void test_ticketbleed_unknowns(void **state UNUSED)
{
	struct vuln *v;
	struct buf b;

	/* Refused: the resumption path was not reached. */
	v = new_vuln();
	buf_init(&b, ANSWER_MAX);
	put_alert(&b, 1, TLS_ALERT_UNRECOGNIZED_NAME); /* a warning is skipped */
	put_alert(&b, 2, TLS_ALERT_HANDSHAKE_FAILURE);
	tb_run(v, &b, 0, 1);
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	assert_non_null(strstr(v->reason, "handshake_failure (40)"));
	buf_free(&b);
	free_vuln(v);

	/* Closed without a word. */
	v = new_vuln();
	buf_init(&b, ANSWER_MAX);
	tb_run(v, &b, 1, 0);
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	buf_free(&b);
	free_vuln(v);

	/* A CCS before any ServerHello, and bytes that are not TLS. */
	v = new_vuln();
	buf_init(&b, ANSWER_MAX);
	put_ccs(&b);
	tb_run(v, &b, 0, 0);
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	assert_non_null(strstr(v->reason, "not TLS"));
	buf_free(&b);
	free_vuln(v);
	v = new_vuln();
	buf_init(&b, ANSWER_MAX);
	tu_buf_add(&b, LIT("HTTP/1.0 400 Bad Request\r\n\r\n"));
	tb_run(v, &b, 0, 0);
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	buf_free(&b);
	free_vuln(v);

	/* A session ID over 32 bytes does not decode. */
	uint8_t sid[33];
	memset(sid, our_sid[0], sizeof sid);
	struct sh_spec s = {.version = 0x0303, .sid = sid, .sid_len = 33};
	v = new_vuln();
	buf_init(&b, ANSWER_MAX);
	put_server_hello(&b, &s);
	tb_run(v, &b, 0, 0);
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	assert_non_null(strstr(v->reason, "ServerHello"));
	buf_free(&b);
	free_vuln(v);

	/* A timeout before anything. */
	struct tb_answer none;
	memset(&none, 0, sizeof none);
	v = new_vuln();
	vp_ticketbleed_judge(v, our_sid, 1, 160, &none, "read timeout after 10 s");
	assert_int_equal(v->verdict, VULN_UNKNOWN);
	assert_non_null(strstr(v->reason, "read timeout"));
	free_vuln(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fallback_version),
	    cmocka_unit_test(test_fallback_inappropriate_fallback),
	    cmocka_unit_test(test_fallback_server_hello_is_vulnerable),
	    cmocka_unit_test(test_fallback_sentinel_protects),
	    cmocka_unit_test(test_fallback_refusals_are_not_applicable),
	    cmocka_unit_test(test_fallback_unknowns),
	    cmocka_unit_test(test_ticketbleed_echo_of_32_bytes),
	    cmocka_unit_test(test_ticketbleed_echo_of_ours),
	    cmocka_unit_test(test_ticketbleed_full_handshake),
	    cmocka_unit_test(test_ticketbleed_unknowns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
