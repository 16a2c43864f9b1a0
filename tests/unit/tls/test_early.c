/* test_early.c - the Heartbleed and CCS injection records and judgements:
 * the heartbeat extension added to a real hello (and refused on anything
 * else), the request and CCS records byte for byte, the answer reader
 * across records and segments, and every verdict the rules give. */
#include "testutil.h"

#include "core/rd.h"
#include "core/wr.h"
#include "tls/early.h"

static const uint16_t suites[] = {0xc02f, 0x009c};

static void add_record(struct buf *b, uint8_t type, uint16_t version, const void *p, size_t n)
{
	struct wr w;
	wr_init(&w, b);
	wr_u8(&w, type);
	wr_u16(&w, version);
	size_t m = wr_open_vec(&w, 2);
	wr_bytes(&w, p, n);
	wr_close_vec(&w, m, 2);
	assert_false(wr_failed(&w));
}

/* The extension types of a one-record ClientHello, in order. */
static size_t hello_exts(const struct buf *b, uint16_t *types, size_t max, uint8_t *hb_mode)
{
	struct rd r, frag, hs, v, exts;
	uint8_t u8;
	uint16_t u16;
	size_t n = 0;
	rd_init(&r, b->data, b->len);
	rd_u8(&r, &u8);
	assert_int_equal(u8, 22);
	rd_u16(&r, &u16);
	rd_vec(&r, 2, 1, 16384, &frag);
	rd_u8(&frag, &u8);
	assert_int_equal(u8, 1);
	rd_vec(&frag, 3, 0, 16384, &hs);
	rd_u16(&hs, &u16);
	rd_skip(&hs, 32);
	rd_vec(&hs, 1, 0, 32, &v);
	rd_vec(&hs, 2, 2, 0xfffe, &v);
	assert_int_equal(rd_left(&v), 2 * ARRAY_LEN(suites));
	rd_vec(&hs, 1, 1, 255, &v);
	rd_vec(&hs, 2, 0, 0xffff, &exts);
	assert_true(rd_done(&hs));
	assert_true(rd_done(&frag));
	assert_true(rd_done(&r));
	while (rd_left(&exts) && n < max) {
		struct rd body;
		rd_u16(&exts, &types[n]);
		rd_vec(&exts, 2, 0, 0xffff, &body);
		if (types[n] == EXT_HEARTBEAT) {
			rd_u8(&body, hb_mode);
			assert_true(rd_done(&body));
		}
		n++;
	}
	assert_false(rd_failed(&exts));
	return n;
}

static void test_hello_has_heartbeat_last(void **state)
{
	struct hello_opts o = {0};
	struct buf b, plain;
	uint16_t types[64], ptypes[64];
	uint8_t mode = 0, unused = 0;
	o.version = V_TLS12;
	o.ciphers = suites;
	o.nciphers = ARRAY_LEN(suites);
	o.sni = "mx.example";
	o.flags = HF_SNI | HF_EC_POINT_FORMATS | HF_RENEG_INFO;
	buf_init(&b, 1 << 17);
	buf_init(&plain, 1 << 17);
	assert_int_equal(early_hello(&b, &o), 0);
	assert_int_equal(hello_build(&plain, &o), 0);
	size_t n = hello_exts(&b, types, 64, &mode);
	size_t pn = hello_exts(&plain, ptypes, 64, &unused);
	/* the same extensions, then heartbeat(15) peer_allowed_to_send(1) */
	assert_int_equal(n, pn + 1);
	assert_memory_equal(types, ptypes, pn * sizeof(*types));
	assert_int_equal(types[n - 1], EXT_HEARTBEAT);
	assert_int_equal(mode, HB_PEER_ALLOWED_TO_SEND);
	/* only the lengths and the 5 new bytes differ */
	assert_int_equal(b.len, plain.len + 5);
	buf_free(&b);
	buf_free(&plain);
}

static void test_add_extension_refuses_non_hellos(void **state)
{
	struct hello_opts o = {0};
	struct buf hello, out;
	static const uint8_t mode[] = {1};
	o.version = V_TLS12;
	o.ciphers = suites;
	o.nciphers = ARRAY_LEN(suites);
	buf_init(&hello, 1 << 17);
	buf_init(&out, 1 << 17);
	assert_int_equal(hello_build(&hello, &o), 0);

	/* every truncation fails and leaves out untouched */
	for (size_t n = 0; n < hello.len; n++) {
		assert_int_equal(early_add_extension(hello.data, n, 15, mode, 1, &out), -1);
		assert_int_equal(out.len, 0);
	}
	/* a trailing byte */
	struct buf more;
	buf_init(&more, 1 << 17);
	tu_buf_add(&more, hello.data, hello.len);
	tu_buf_add(&more, "\0", 1);
	assert_int_equal(early_add_extension(more.data, more.len, 15, mode, 1, &out), -1);
	/* not a handshake record, not a ClientHello */
	hello.data[0] = 23;
	assert_int_equal(early_add_extension(hello.data, hello.len, 15, mode, 1, &out), -1);
	hello.data[0] = 22;
	hello.data[5] = 2;
	assert_int_equal(early_add_extension(hello.data, hello.len, 15, mode, 1, &out), -1);
	hello.data[5] = 1;
	/* a hello without an extension block (SSLv3 style) */
	struct hello_opts o3 = o;
	o3.version = V_SSL3;
	o3.flags = HF_NO_EXTENSIONS;
	buf_reset(&more);
	assert_int_equal(hello_build(&more, &o3), 0);
	assert_int_equal(early_add_extension(more.data, more.len, 15, mode, 1, &out), -1);
	assert_int_equal(out.len, 0);
	/* the intact one works */
	assert_int_equal(early_add_extension(hello.data, hello.len, 15, mode, 1, &out), 0);
	assert_int_equal(out.len, hello.len + 5);
	buf_free(&more);
	buf_free(&hello);
	buf_free(&out);
}

static void test_records(void **state)
{
	struct buf b;
	static const uint8_t hb[] = {24, 3, 3, 0, 4, 1, 0x40, 0x00, 0x42};
	static const uint8_t ccs[] = {20, 3, 1, 0, 1, 1};
	static const uint8_t p = 0x42;
	buf_init(&b, 64);
	assert_int_equal(early_heartbeat(&b, V_TLS12, 0x4000, &p, 1), 0);
	assert_int_equal(b.len, sizeof hb);
	assert_memory_equal(b.data, hb, sizeof hb);
	buf_reset(&b);
	assert_int_equal(early_ccs(&b, V_TLS10), 0);
	assert_int_equal(b.len, sizeof ccs);
	assert_memory_equal(b.data, ccs, sizeof ccs);
	buf_free(&b);
}

/* A heartbeat_response claiming `claimed` bytes: our byte, then memory
 * "M..." (n of them), sent as records of at most 16384 bytes. */
static void add_response(struct buf *in, uint16_t claimed, size_t total)
{
	struct buf msg;
	buf_init(&msg, 1 << 17);
	uint8_t head[4] = {2, (uint8_t)(claimed >> 8), (uint8_t)claimed, 0x42};
	tu_buf_add(&msg, head, total < 4 ? total : 4);
	for (size_t i = 4; i < total; i++)
		tu_buf_add(&msg, "M", 1);
	for (size_t off = 0; off < msg.len; off += 16384) {
		size_t n = msg.len - off > 16384 ? 16384 : msg.len - off;
		add_record(in, 24, V_TLS12, msg.data + off, n);
	}
	buf_free(&msg);
}

static void test_heartbleed_leak_whole(void **state)
{
	struct early_reader r;
	struct buf in;
	buf_init(&in, 1 << 17);
	early_init(&r, 4);
	add_response(&in, 0x4000, 3 + 0x4000 + 16);
	/* fed a byte short of the first record: still waiting */
	struct buf part;
	buf_init(&part, 1 << 17);
	tu_buf_add(&part, in.data, 16388);
	assert_int_equal(early_feed(&r, &part), 0);
	assert_int_equal(r.hb_bytes, 0);
	assert_int_equal(part.len, 16388);
	assert_int_equal(early_heartbleed(&r, EARLY_DATA), EHB_WAIT);
	/* the first record: 16384 bytes, not yet all that was claimed */
	tu_buf_add(&part, in.data + 16388, 1);
	assert_int_equal(early_feed(&r, &part), 0);
	assert_int_equal(part.len, 0);
	assert_int_equal(r.hb_bytes, 16384);
	assert_int_equal(r.hb_type, 2);
	assert_int_equal(r.hb_claimed, 0x4000);
	assert_int_equal(early_heartbleed(&r, EARLY_DATA), EHB_WAIT);
	/* ...but a leak already if the wait ends here */
	assert_int_equal(early_heartbleed(&r, EARLY_QUIET), EHB_LEAK);
	/* the rest: complete */
	tu_buf_add(&part, in.data + 16389, in.len - 16389);
	assert_int_equal(early_feed(&r, &part), 0);
	assert_int_equal(r.hb_bytes, 3 + 0x4000 + 16);
	assert_int_equal(r.hb_records, 2);
	assert_int_equal(early_heartbleed(&r, EARLY_DATA), EHB_LEAK);
	/* the leak starts after our own byte, and is capped */
	assert_int_equal(r.nleak, EARLY_LEAK_KEEP);
	for (size_t i = 0; i < r.nleak; i++)
		assert_int_equal(r.leak[i], 'M');
	buf_free(&part);
	buf_free(&in);
}

static void test_heartbleed_short_leak_then_close(void **state)
{
	struct early_reader r;
	struct buf in;
	buf_init(&in, 1 << 17);
	early_init(&r, 4);
	add_response(&in, 0x4000, 100); /* 96 bytes of memory, then nothing */
	assert_int_equal(early_feed(&r, &in), 0);
	assert_int_equal(early_heartbleed(&r, EARLY_DATA), EHB_WAIT);
	assert_int_equal(early_heartbleed(&r, EARLY_EOF), EHB_LEAK);
	/* an alert after it: still a leak */
	add_record(&in, 21, V_TLS12, "\x02\x0a", 2);
	assert_int_equal(early_feed(&r, &in), 0);
	assert_int_equal(early_heartbleed(&r, EARLY_DATA), EHB_LEAK);
	buf_free(&in);
}

static void test_heartbleed_echo_is_not_a_leak(void **state)
{
	struct early_reader r;
	struct buf in;
	uint8_t msg[3 + 1 + 16] = {2, 0, 1, 0x42};
	buf_init(&in, 1 << 17);
	early_init(&r, 4);
	/* claims our 1 byte, with 16 bytes of padding: longer than our
	 * message, but no memory */
	add_record(&in, 24, V_TLS12, msg, sizeof msg);
	assert_int_equal(early_feed(&r, &in), 0);
	assert_int_equal(early_heartbleed(&r, EARLY_DATA), EHB_WAIT);
	assert_int_equal(early_heartbleed(&r, EARLY_QUIET), EHB_ECHO);
	assert_int_equal(early_heartbleed(&r, EARLY_EOF), EHB_ECHO);
	buf_free(&in);
}

static void test_heartbleed_refusals(void **state)
{
	struct early_reader r;
	struct buf in;
	buf_init(&in, 1 << 17);

	early_init(&r, 4);
	assert_int_equal(early_heartbleed(&r, EARLY_DATA), EHB_WAIT);
	assert_int_equal(early_heartbleed(&r, EARLY_QUIET), EHB_SILENT);
	assert_int_equal(early_heartbleed(&r, EARLY_EOF), EHB_CLOSED);

	/* OpenSSL 3: unexpected_message; a handshake record first is skipped */
	add_record(&in, 22, V_TLS12, "\x00\x00\x00\x00", 4);
	add_record(&in, 21, V_TLS12, "\x02\x0a", 2);
	add_record(&in, 21, V_TLS12, "\x01\x00", 2);
	assert_int_equal(early_feed(&r, &in), 0);
	assert_int_equal(r.alert, 10);
	assert_int_equal(r.alert_level, 2);
	assert_int_equal(r.other, 1);
	assert_int_equal(early_heartbleed(&r, EARLY_DATA), EHB_ALERT);

	/* not TLS */
	early_init(&r, 4);
	buf_reset(&in);
	tu_buf_add(&in, LIT("HTTP/1.1 400 Bad Request\r\n"));
	assert_int_equal(early_feed(&r, &in), -1);
	assert_true(r.bad);
	assert_int_equal(early_heartbleed(&r, EARLY_DATA), EHB_BAD);
	assert_int_equal(early_feed(&r, &in), -1); /* stays failed */

	/* framing: a 3-byte alert, an empty heartbeat, an oversized record */
	static const uint8_t bad_alert[] = {21, 3, 3, 0, 3, 2, 10, 0};
	static const uint8_t empty_hb[] = {24, 3, 3, 0, 0};
	static const uint8_t huge[] = {24, 3, 3, 0x48, 0x01};
	const uint8_t *cases[] = {bad_alert, empty_hb, huge};
	size_t lens[] = {sizeof bad_alert, sizeof empty_hb, sizeof huge};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		early_init(&r, 4);
		buf_reset(&in);
		tu_buf_add(&in, cases[i], lens[i]);
		assert_int_equal(early_feed(&r, &in), -1);
		assert_int_equal(early_heartbleed(&r, EARLY_QUIET), EHB_BAD);
	}
	buf_free(&in);
}

static void test_ccs_rules(void **state)
{
	struct early_reader r;
	struct buf in;
	buf_init(&in, 256);

	/* silence: send the second record; after it, unknown */
	early_init(&r, 0);
	assert_int_equal(early_ccs_step(&r, 0, EARLY_DATA), ECCS_WAIT);
	assert_int_equal(early_ccs_step(&r, 0, EARLY_QUIET), ECCS_SECOND);
	assert_int_equal(early_ccs_step(&r, 1, EARLY_QUIET), ECCS_UNKNOWN);
	/* a close: refused before, unknown after the second (a reset can
	 * swallow the alert) */
	assert_int_equal(early_ccs_step(&r, 0, EARLY_EOF), ECCS_REJECTED);
	assert_int_equal(early_ccs_step(&r, 1, EARLY_EOF), ECCS_UNKNOWN);

	struct {
		uint8_t desc;
		enum early_ccs first, second;
	} alerts[] = {
	    {10, ECCS_REJECTED, ECCS_REJECTED},  /* unexpected_message: patched */
	    {40, ECCS_REJECTED, ECCS_REJECTED},  /* handshake_failure */
	    {20, ECCS_UNKNOWN, ECCS_VULNERABLE}, /* bad_record_mac */
	    {21, ECCS_UNKNOWN, ECCS_VULNERABLE}, /* decryption_failed */
	    {80, ECCS_REJECTED, ECCS_UNKNOWN},   /* internal_error */
	};
	for (size_t i = 0; i < ARRAY_LEN(alerts); i++) {
		uint8_t a[2] = {2, alerts[i].desc};
		early_init(&r, 0);
		buf_reset(&in);
		add_record(&in, 21, V_TLS12, a, 2);
		assert_int_equal(early_feed(&r, &in), 0);
		assert_int_equal(early_ccs_step(&r, 0, EARLY_DATA), alerts[i].first);
		assert_int_equal(early_ccs_step(&r, 1, EARLY_DATA), alerts[i].second);
		/* the alert decides, not the close that follows it */
		assert_int_equal(early_ccs_step(&r, 1, EARLY_EOF), alerts[i].second);
	}

	/* not TLS */
	early_init(&r, 0);
	buf_reset(&in);
	tu_buf_add(&in, LIT("500 what\r\n"));
	assert_int_equal(early_feed(&r, &in), -1);
	assert_int_equal(early_ccs_step(&r, 0, EARLY_DATA), ECCS_UNKNOWN);
	buf_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hello_has_heartbeat_last),
	    cmocka_unit_test(test_add_extension_refuses_non_hellos),
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_heartbleed_leak_whole),
	    cmocka_unit_test(test_heartbleed_short_leak_then_close),
	    cmocka_unit_test(test_heartbleed_echo_is_not_a_leak),
	    cmocka_unit_test(test_heartbleed_refusals),
	    cmocka_unit_test(test_ccs_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
