/* test_rawhs.c - one raw handshake, bytes in, facts out: real flights
 * captured from `openssl s_server` (tests/fixtures/capture_records.py ->
 * tls/vectors/flights.h) fed whole and byte by byte, alerts, EOF, garbage,
 * and hand-made flights for what a real server does not send. */
#include "testutil.h"

#include "core/wr.h"
#include "tls/rawhs.h"
#include "tls/registry.h"
#include "tls/vectors/flights.h"

#define IN_MAX (1 << 20)

/* RFC 3526 group 14 (OpenSSL's automatic 2048-bit DH): first and last bytes */
static const uint8_t modp2048_head[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0xc9, 0x0f, 0xda, 0xa2, 0x21, 0x68, 0xc2, 0x34};
static const uint8_t modp2048_tail[16] = {0x15, 0x72, 0x8e, 0x5a, 0x8a, 0xac, 0xaa, 0x68,
                                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* As src/scan/enumerate.c decides it: from the registry's kx/au words. */
static int ske_kind(uint16_t suite, enum ske_kind *kind, int *anon)
{
	const struct reg_cipher *c = reg_cipher_find(suite, 0);
	if (!c || !c->kx || !c->au || strchr(c->kx, '/') || strstr(c->kx, "PSK"))
		return -1;
	*anon = strcmp(c->au, "None") == 0;
	if (strncmp(c->kx, "ECDH", 4) == 0 && strcmp(c->au, "ECDH") != 0)
		*kind = SKE_ECDHE;
	else if (strncmp(c->kx, "DH", 2) == 0 && strcmp(c->au, "DH") != 0)
		*kind = SKE_DHE;
	else if (strncmp(c->kx, "RSA(", 4) == 0)
		*kind = SKE_RSA;
	else
		return -1;
	return 0;
}

static const struct raw_req tls_req = {.ho = {.version = V_TLS12}};

struct fed {
	enum raw_outcome outcome; /* what the last call returned */
	struct raw_result res;
	size_t left; /* input bytes not consumed */
};

/* Feed p in segments of `chunk` bytes (0: all at once) until a call says
 * more than RAW_PENDING (where src/scan/hsprobe.c stops) or the bytes run
 * out; eof: then say the server closed. */
static void feed_req(const struct raw_req *req, rawhs_ske_fn *fn, const void *data, size_t n,
                     size_t chunk, int eof, struct fed *out)
{
	const uint8_t *p = data;
	struct rawhs *h = rawhs_new(req, fn);
	struct buf in;
	size_t off = 0;
	enum raw_outcome o = RAW_PENDING;

	buf_init(&in, IN_MAX);
	if (chunk == 0)
		chunk = n ? n : 1;
	while (off < n) {
		size_t k = n - off < chunk ? n - off : chunk;
		tu_buf_add(&in, p + off, k);
		off += k;
		o = rawhs_feed(h, &in);
		if (o != RAW_PENDING)
			break;
	}
	if (eof)
		o = rawhs_eof(h);
	out->outcome = o;
	out->res = *rawhs_result(h);
	/* settled, the result says the same */
	if (o != RAW_PENDING)
		assert_int_equal(out->res.outcome, o);
	/* unconsumed: still in `in`, plus whatever was never given */
	out->left = in.len + (n - off);
	buf_free(&in);
	rawhs_free(h);
}

static void feed(const void *p, size_t n, size_t chunk, struct fed *out)
{
	feed_req(&tls_req, ske_kind, p, n, chunk, 0, out);
}

/* Whole, byte by byte and in 7-byte segments: the same facts. */
static void feed_all_ways(const void *p, size_t n, struct fed *out)
{
	static const size_t chunks[] = {1, 7, 100};
	struct fed other;
	feed(p, n, 0, out);
	for (size_t i = 0; i < ARRAY_LEN(chunks); i++) {
		feed(p, n, chunks[i], &other);
		assert_int_equal(other.outcome, out->outcome);
		assert_int_equal(other.res.outcome, out->res.outcome);
		assert_int_equal(other.left, out->left);
		assert_memory_equal(&other.res.sh, &out->res.sh, sizeof out->res.sh);
		assert_int_equal(other.res.ncerts, out->res.ncerts);
		assert_int_equal(other.res.leaf_len, out->res.leaf_len);
		assert_int_equal(other.res.have_ske, out->res.have_ske);
		assert_memory_equal(&other.res.ske, &out->res.ske, sizeof out->res.ske);
		assert_int_equal(other.res.dh_p_len, out->res.dh_p_len);
		assert_memory_equal(other.res.dh_p, out->res.dh_p, out->res.dh_p_len);
		assert_int_equal(other.res.ocsp_stapled, out->res.ocsp_stapled);
		assert_int_equal(other.res.done_msg, out->res.done_msg);
		assert_int_equal(other.res.alert_desc, out->res.alert_desc);
	}
}

/* ------------------------------------------------------ captured flights */

static void test_tls12_ecdhe_flight(void **state UNUSED)
{
	struct fed f;
	const struct raw_result *r = &f.res;

	feed_all_ways(flight_tls12_ecdhe, sizeof flight_tls12_ecdhe, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_int_equal(f.left, 0);
	assert_false(r->sslv2);
	assert_int_equal(r->sh.version, FLIGHT_TLS12_ECDHE_VERSION);
	assert_int_equal(r->sh.cipher, FLIGHT_TLS12_ECDHE_CIPHER);
	assert_int_equal(r->sh.session_id_len, 32);
	assert_int_equal(r->sh.reneg_info, 1);
	assert_int_equal(r->sh.nexts, 4);
	assert_int_equal(r->sh.exts[0], EXT_RENEGOTIATION_INFO);
	assert_int_equal(r->sh.exts[1], EXT_EC_POINT_FORMATS);
	assert_int_equal(r->sh.exts[2], EXT_STATUS_REQUEST);
	assert_int_equal(r->sh.exts[3], EXT_EXTENDED_MASTER_SECRET);
	assert_false(r->sh.hrr);
	assert_int_equal(r->sh.downgrade, 0);
	assert_int_equal(r->ncerts, FLIGHT_TLS12_ECDHE_NCERTS);
	assert_int_equal(r->leaf_len, FLIGHT_LEAF_LEN);
	assert_true(r->have_ske);
	assert_int_equal(r->ske.kind, SKE_ECDHE);
	assert_int_equal(r->ske.curve_type, 3);
	assert_int_equal(r->ske.curve, FLIGHT_TLS12_ECDHE_CURVE);
	assert_int_equal(r->ske.point_len, 65);
	assert_true(r->ske.signed_);
	assert_int_equal(r->ske.sigalg, 0x0804); /* rsa_pss_rsae_sha256, our first */
	assert_int_equal(r->ske.sig_len, 256);   /* RSA 2048 */
	assert_int_equal(r->dh_p_len, 0);
	assert_true(r->ocsp_stapled);
	assert_false(r->cert_request);
	assert_true(r->done_msg);
	assert_false(r->alert_after_hello);
}

static void test_tls12_dhe_flight(void **state UNUSED)
{
	struct fed f;
	const struct raw_result *r = &f.res;

	feed_all_ways(flight_tls12_dhe, sizeof flight_tls12_dhe, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_int_equal(f.left, 0);
	assert_int_equal(r->sh.version, FLIGHT_TLS12_DHE_VERSION);
	assert_int_equal(r->sh.cipher, FLIGHT_TLS12_DHE_CIPHER);
	assert_int_equal(r->ncerts, FLIGHT_TLS12_DHE_NCERTS);
	assert_int_equal(r->leaf_len, FLIGHT_LEAF_LEN);
	assert_true(r->have_ske);
	assert_int_equal(r->ske.kind, SKE_DHE);
	assert_int_equal(r->ske.dh_p_len, 256);
	assert_int_equal(r->ske.dh_g_len, 1);
	assert_int_equal(r->ske.dh_ys_len, 256);
	/* pointers into the reader are cleared; the prime is copied */
	assert_null(r->ske.dh_p);
	assert_null(r->ske.dh_g);
	assert_int_equal(r->dh_p_len, 256);
	assert_memory_equal(r->dh_p, modp2048_head, 16);
	assert_memory_equal(r->dh_p + 240, modp2048_tail, 16);
	assert_int_equal(r->ske.sigalg, 0x0804);
	assert_int_equal(r->ske.sig_len, 256);
	assert_false(r->ocsp_stapled); /* not asked */
	assert_true(r->done_msg);
}

static void test_tls10_ecdhe_flight(void **state UNUSED)
{
	struct fed f;
	const struct raw_result *r = &f.res;

	feed_all_ways(flight_tls10_ecdhe, sizeof flight_tls10_ecdhe, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_int_equal(r->sh.version, FLIGHT_TLS10_ECDHE_VERSION);
	assert_int_equal(r->sh.cipher, FLIGHT_TLS10_ECDHE_CIPHER);
	assert_int_equal(r->ncerts, FLIGHT_TLS10_ECDHE_NCERTS);
	assert_int_equal(r->ske.curve, FLIGHT_TLS10_ECDHE_CURVE);
	assert_int_equal(r->ske.point_len, 97);
	assert_true(r->ske.signed_);
	assert_int_equal(r->ske.sigalg, 0); /* none before TLS 1.2 */
	assert_int_equal(r->ske.sig_len, 256);
	assert_true(r->done_msg);
}

static void test_tls13_sh_flight(void **state UNUSED)
{
	struct fed f;
	const struct raw_result *r = &f.res;

	feed_all_ways(flight_tls13_sh, sizeof flight_tls13_sh, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_int_equal(r->sh.version, FLIGHT_TLS13_SH_VERSION);
	assert_int_equal(r->sh.legacy_version, V_TLS12);
	assert_int_equal(r->sh.selected_version, V_TLS13);
	assert_int_equal(r->sh.cipher, FLIGHT_TLS13_SH_CIPHER);
	assert_int_equal(r->sh.key_share_group, FLIGHT_TLS13_SH_GROUP);
	assert_false(r->sh.hrr);
	assert_true(r->done_msg);
	assert_int_equal(r->ncerts, 0);
	assert_false(r->have_ske);
	/* the ServerHello record (5 + 4 + 118) is read; CCS and the
	 * encrypted records behind it are left alone */
	assert_int_equal(f.left, sizeof flight_tls13_sh - (5 + 4 + 118));
}

static void test_tls13_hrr_flight(void **state UNUSED)
{
	struct fed f;
	const struct raw_result *r = &f.res;

	feed_all_ways(flight_tls13_hrr, sizeof flight_tls13_hrr, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_true(r->sh.hrr);
	assert_int_equal(r->sh.version, FLIGHT_TLS13_HRR_VERSION);
	assert_int_equal(r->sh.cipher, FLIGHT_TLS13_HRR_CIPHER);
	assert_int_equal(r->sh.key_share_group, FLIGHT_TLS13_HRR_GROUP);
	assert_true(r->done_msg);
	assert_int_equal(f.left, 6); /* the CCS record */
}

static void test_alert_flight(void **state UNUSED)
{
	struct fed f;
	feed_all_ways(flight_alert_no_cipher, sizeof flight_alert_no_cipher, &f);
	assert_int_equal(f.outcome, RAW_ALERT);
	assert_int_equal(f.res.alert_level, FLIGHT_ALERT_NO_CIPHER_ALERT_LEVEL);
	assert_int_equal(f.res.alert_desc, FLIGHT_ALERT_NO_CIPHER_ALERT_DESC);
	assert_false(f.res.alert_after_hello);
	assert_false(f.res.done_msg);
	/* the server then closes: still an alert */
	feed_req(&tls_req, ske_kind, flight_alert_no_cipher, sizeof flight_alert_no_cipher, 0, 1,
	         &f);
	assert_int_equal(f.outcome, RAW_ALERT);
}

static void test_flight_stops_short(void **state UNUSED)
{
	/* every proper prefix of a TLS 1.2 flight asks for more bytes; the
	 * result holds the hello once it came; EOF then settles on RAW_HELLO
	 * (a hello without ServerHelloDone) or RAW_CLOSED */
	struct fed f;
	size_t sh_end = 5 + 4 + 93; /* the ServerHello record */

	for (size_t n = 0; n < sizeof flight_tls12_ecdhe; n += 37) {
		feed_req(&tls_req, ske_kind, flight_tls12_ecdhe, n, 0, 0, &f);
		assert_int_equal(f.outcome, RAW_PENDING);
		assert_int_equal(f.res.outcome, n < sh_end ? RAW_PENDING : RAW_HELLO);
		assert_false(f.res.done_msg);
		feed_req(&tls_req, ske_kind, flight_tls12_ecdhe, n, 0, 1, &f);
		assert_int_equal(f.outcome, n < sh_end ? RAW_CLOSED : RAW_HELLO);
	}
}

/* ------------------------------------------------------ hand-made flights */

static void add_record(struct buf *b, uint8_t type, const void *p, size_t n)
{
	struct wr w;
	size_t m;
	wr_init(&w, b);
	wr_u8(&w, type);
	wr_u16(&w, 0x0303);
	m = wr_open_vec(&w, 2);
	wr_bytes(&w, p, n);
	wr_close_vec(&w, m, 2);
	assert_false(wr_failed(&w));
}

static void add_hs_record(struct buf *b, uint8_t type, const void *p, size_t n)
{
	struct buf msg;
	struct wr w;
	size_t m;
	buf_init(&msg, IN_MAX);
	wr_init(&w, &msg);
	wr_u8(&w, type);
	m = wr_open_vec(&w, 3);
	wr_bytes(&w, p, n);
	wr_close_vec(&w, m, 3);
	assert_false(wr_failed(&w));
	add_record(b, 22, msg.data, msg.len);
	buf_free(&msg);
}

/* A TLS 1.2 ServerHello choosing `cipher`, no extensions. */
static void add_sh(struct buf *b, uint16_t cipher)
{
	uint8_t body[2 + 32 + 1 + 2 + 1] = {0x03, 0x03};
	memset(body + 2, 0x42, 32);
	body[34] = 0;
	body[35] = (uint8_t)(cipher >> 8);
	body[36] = (uint8_t)cipher;
	body[37] = 0;
	add_hs_record(b, HS_SERVER_HELLO, body, sizeof body);
}

static void test_alert_after_hello(void **state UNUSED)
{
	struct buf b;
	struct fed f;
	buf_init(&b, IN_MAX);
	add_sh(&b, 0xC02F);
	add_record(&b, 21, "\x02\x50", 2);
	add_hs_record(&b, HS_SERVER_HELLO_DONE, "", 0);
	feed_all_ways(b.data, b.len, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_true(f.res.alert_after_hello);
	assert_int_equal(f.res.alert_level, 2);
	assert_int_equal(f.res.alert_desc, 80);
	assert_int_equal(f.res.sh.cipher, 0xC02F);
	buf_free(&b);
}

static void test_warning_before_hello(void **state UNUSED)
{
	/* a warning (unrecognized_name, as Apache sends it) before the
	 * ServerHello is not a refusal: the hello after it is the answer */
	struct buf b;
	struct fed f;
	buf_init(&b, IN_MAX);
	add_record(&b, 21, "\x01\x70", 2);
	add_sh(&b, 0xC02F);
	add_hs_record(&b, HS_SERVER_HELLO_DONE, "", 0);
	feed_all_ways(b.data, b.len, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_int_equal(f.res.sh.cipher, 0xC02F);
	assert_false(f.res.alert_after_hello);
	/* a warning close_notify ends it all the same: an alert */
	buf_reset(&b);
	add_record(&b, 21, "\x01\x00", 2);
	add_sh(&b, 0xC02F);
	feed_all_ways(b.data, b.len, &f);
	assert_int_equal(f.outcome, RAW_ALERT);
	/* a storm of warnings and never a hello: not TLS */
	buf_reset(&b);
	for (int i = 0; i < 100; i++)
		add_record(&b, 21, "\x01\x5a", 2);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	buf_free(&b);
}

static void test_garbage(void **state UNUSED)
{
	struct fed f;
	feed(LIT("220 mx.example.org ESMTP ready\r\n"), 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "not a TLS record (unknown content type)");
	feed(LIT("220 mx.example.org ESMTP ready\r\n"), 1, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "not a TLS record");
	/* a broken record after a good ServerHello is bad too */
	{
		struct buf b;
		buf_init(&b, IN_MAX);
		add_sh(&b, 0xC02F);
		tu_buf_add(&b, LIT("\x16\x03\x03\xff\xff"));
		feed(b.data, b.len, 0, &f);
		assert_int_equal(f.outcome, RAW_BAD);
		assert_string_equal(f.res.why, "TLS record longer than 2^14+2048 bytes");
		assert_int_equal(f.res.sh.cipher, 0xC02F);
		buf_free(&b);
	}
}

static void test_eof_before_anything(void **state UNUSED)
{
	struct rawhs *h = rawhs_new(&tls_req, ske_kind);
	struct buf in;
	buf_init(&in, 64);
	assert_int_equal(rawhs_feed(h, &in), RAW_PENDING);
	assert_int_equal(rawhs_eof(h), RAW_CLOSED);
	assert_int_equal(rawhs_result(h)->outcome, RAW_CLOSED);
	buf_free(&in);
	rawhs_free(h);
	/* half a record header, then EOF */
	h = rawhs_new(&tls_req, ske_kind);
	buf_init(&in, 64);
	tu_buf_add(&in, LIT("\x16\x03"));
	assert_int_equal(rawhs_feed(h, &in), RAW_PENDING);
	assert_int_equal(rawhs_eof(h), RAW_CLOSED);
	buf_free(&in);
	rawhs_free(h);
	rawhs_free(NULL);
}

static void test_first_message_not_server_hello(void **state UNUSED)
{
	struct buf b;
	struct fed f;
	buf_init(&b, IN_MAX);
	add_hs_record(&b, HS_CERTIFICATE, "\x00\x00\x00", 3);
	feed_all_ways(b.data, b.len, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "the first handshake message is not a ServerHello");
	buf_reset(&b);
	add_hs_record(&b, HS_SERVER_HELLO_DONE, "", 0);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	/* a CCS or application data before the hello */
	buf_reset(&b);
	add_record(&b, 20, "\x01", 1);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "records out of order before the ServerHello");
	buf_reset(&b);
	add_record(&b, 23, "xyz", 3);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	buf_free(&b);
}

static void test_bad_messages_after_hello(void **state UNUSED)
{
	struct buf b;
	struct fed f;

	buf_init(&b, IN_MAX);
	add_sh(&b, 0xC02F);
	add_sh(&b, 0xC02F);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "a second ServerHello");

	buf_reset(&b);
	add_hs_record(&b, HS_SERVER_HELLO, "\x03\x03", 2);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "the ServerHello does not decode");

	buf_reset(&b);
	add_sh(&b, 0xC02F);
	add_hs_record(&b, HS_CERTIFICATE, "\x00\x00\x04\x00\x00\x00", 6);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "the Certificate message does not decode");

	buf_reset(&b);
	add_sh(&b, 0xC02F);
	add_hs_record(&b, HS_SERVER_KEY_EXCHANGE, "\x01\x00\x17\x01\x04\x00\x00", 7);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "the ServerKeyExchange does not decode");

	buf_reset(&b);
	add_sh(&b, 0xC02F);
	add_hs_record(&b, HS_CERTIFICATE_STATUS, "\x01\x00\x00\x00", 4);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "the CertificateStatus does not decode");

	buf_reset(&b);
	add_sh(&b, 0xC02F);
	add_hs_record(&b, HS_SERVER_HELLO_DONE, "x", 1);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "ServerHelloDone is not empty");
	buf_free(&b);
}

static void test_bad_ske_leaves_no_pointers(void **state UNUSED)
{
	/* rawhs.h: ske's "pointers cleared". A DHE ServerKeyExchange that
	 * fails after dh_p (here: dh_g runs past the message) must not leave
	 * ske.dh_p pointing into the reader's buffer, which rawhs_free frees.
	 * (Found by fuzz_rawhs.) */
	static const uint8_t ske[] = {0x00, 0x02, 0xFF, 0xFB, 0x00, 0x09, 0x02};
	struct buf b;
	struct fed f;
	buf_init(&b, IN_MAX);
	add_sh(&b, 0x009E); /* DHE-RSA-AES128-GCM-SHA256 */
	add_hs_record(&b, HS_SERVER_KEY_EXCHANGE, ske, sizeof ske);
	feed(b.data, b.len, 0, &f);
	buf_free(&b);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_false(f.res.have_ske);
	assert_null(f.res.ske.dh_p);
	assert_null(f.res.ske.dh_g);
}

static void test_ske_for_suite_without_one(void **state UNUSED)
{
	static const uint8_t ske[] = {3, 0x00, 0x17, 1, 4, 0x04, 0x01, 0x00, 0x00};
	struct buf b;
	struct fed f;

	buf_init(&b, IN_MAX);
	add_sh(&b, 0x002F); /* AES128-SHA: RSA key transport */
	add_hs_record(&b, HS_SERVER_KEY_EXCHANGE, ske, sizeof ske);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "a ServerKeyExchange for a suite that has none");
	/* without a ske_kind function no ServerKeyExchange is readable */
	feed_req(&tls_req, NULL, b.data, b.len, 0, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	/* the same bytes for an ECDHE suite are fine */
	buf_reset(&b);
	add_sh(&b, 0xC02F);
	add_hs_record(&b, HS_SERVER_KEY_EXCHANGE, ske, sizeof ske);
	add_hs_record(&b, HS_SERVER_HELLO_DONE, "", 0);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_true(f.res.have_ske);
	assert_int_equal(f.res.ske.sigalg, 0x0401);
	buf_free(&b);
}

static void test_anonymous_and_request(void **state UNUSED)
{
	/* ADH-AES128-SHA (0x0034): an unsigned DHE ServerKeyExchange; and a
	 * CertificateRequest, and a message type nobody knows, in between */
	struct buf b, ske;
	struct wr w;
	size_t m;
	struct fed f;

	buf_init(&ske, 4096);
	wr_init(&w, &ske);
	m = wr_open_vec(&w, 2);
	for (int i = 0; i < 128; i++)
		wr_u8(&w, 0xEE);
	wr_close_vec(&w, m, 2);
	wr_bytes(&w, "\x00\x01\x02\x00\x02\x01\x01", 7);
	assert_false(wr_failed(&w));
	buf_init(&b, IN_MAX);
	add_sh(&b, 0x0034);
	add_hs_record(&b, HS_SERVER_KEY_EXCHANGE, ske.data, ske.len);
	add_hs_record(&b, HS_CERTIFICATE_REQUEST, "\x01\x01\x00\x00\x00\x00", 6);
	add_hs_record(&b, 99, "??", 2);
	add_hs_record(&b, HS_SERVER_HELLO_DONE, "", 0);
	feed_all_ways(b.data, b.len, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_true(f.res.have_ske);
	assert_false(f.res.ske.signed_);
	assert_int_equal(f.res.dh_p_len, 128);
	assert_int_equal(f.res.dh_p[127], 0xEE);
	assert_true(f.res.cert_request);
	assert_true(f.res.done_msg);
	assert_int_equal(f.res.ncerts, 0);
	buf_free(&b);
	buf_free(&ske);
}

static void test_dh_prime_larger_than_kept(void **state UNUSED)
{
	/* 8200-bit prime: parsed and measured, not copied */
	struct buf b, ske;
	struct wr w;
	size_t m;
	struct fed f;

	buf_init(&ske, 8192);
	wr_init(&w, &ske);
	m = wr_open_vec(&w, 2);
	for (int i = 0; i < RAW_MAX_DH + 1; i++)
		wr_u8(&w, 0xFF);
	wr_close_vec(&w, m, 2);
	wr_bytes(&w, "\x00\x01\x02\x00\x01\x07", 6);
	wr_bytes(&w, "\x04\x01\x00\x02\xAB\xCD", 6);
	assert_false(wr_failed(&w));
	buf_init(&b, IN_MAX);
	add_sh(&b, 0x0033); /* DHE-RSA-AES128-SHA */
	add_hs_record(&b, HS_SERVER_KEY_EXCHANGE, ske.data, ske.len);
	add_hs_record(&b, HS_SERVER_HELLO_DONE, "", 0);
	feed(b.data, b.len, 0, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_true(f.res.have_ske);
	assert_int_equal(f.res.ske.dh_p_len, RAW_MAX_DH + 1);
	assert_int_equal(f.res.dh_p_len, 0);
	assert_int_equal(f.res.ske.sig_len, 2);
	buf_free(&b);
	buf_free(&ske);
}

static void test_feed_after_settled(void **state UNUSED)
{
	struct rawhs *h = rawhs_new(&tls_req, ske_kind);
	struct buf in;
	buf_init(&in, IN_MAX);
	tu_buf_add(&in, flight_tls13_hrr, sizeof flight_tls13_hrr);
	assert_int_equal(rawhs_feed(h, &in), RAW_HELLO);
	assert_int_equal(in.len, 6);
	tu_buf_add(&in, LIT("garbage"));
	/* settled: nothing more is read, the outcome stays */
	assert_int_equal(rawhs_feed(h, &in), RAW_HELLO);
	assert_int_equal(in.len, 13);
	assert_int_equal(rawhs_eof(h), RAW_HELLO);
	buf_free(&in);
	rawhs_free(h);
}

/* ---------------------------------------------------------------- SSLv2 */

static const uint32_t v2specs[] = {0x0700C0, 0x010080};
static const struct raw_req v2_req = {.sslv2 = 1, .v2specs = v2specs, .nv2specs = 2};

static void test_sslv2_server_hello(void **state UNUSED)
{
	/* 2-byte header, SERVER-HELLO: no cert, one spec, 16-byte conn id */
	uint8_t in[2 + 11 + 3 + 16] = {0x80, 11 + 3 + 16, 4, 0, 1,  0x00, 0x02, 0,
	                               0,    0,           3, 0, 16, 0x07, 0x00, 0xC0};
	struct fed f;
	memset(in + 16, 0xAB, 16);
	feed_req(&v2_req, ske_kind, in, sizeof in, 0, 0, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_true(f.res.sslv2);
	assert_true(f.res.done_msg);
	assert_int_equal(f.res.v2.version, 0x0002);
	assert_int_equal(f.res.v2.nspecs, 1);
	assert_int_equal(f.res.v2.specs[0], 0x0700C0);
	assert_int_equal(f.res.v2.certificate_type, 1);
	/* and byte by byte */
	feed_req(&v2_req, ske_kind, in, sizeof in, 1, 0, &f);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_int_equal(f.res.v2.specs[0], 0x0700C0);
	/* a SERVER-HELLO that does not decode */
	in[1] = 11 + 3 + 15;
	feed_req(&v2_req, ske_kind, in, sizeof in - 1, 0, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "the SSLv2 SERVER-HELLO does not decode");
}

static void test_sslv2_error_and_alert(void **state UNUSED)
{
	struct fed f;
	/* SSLv2 ERROR: NO-CIPHER-ERROR (0x0001) */
	feed_req(&v2_req, ske_kind, (const uint8_t *)"\x80\x03\x00\x00\x01", 5, 0, 0, &f);
	assert_int_equal(f.outcome, RAW_ALERT);
	assert_int_equal(f.res.alert_desc, 1);
	/* a TLS server refusing the SSLv2 hello: protocol_version */
	feed_req(&v2_req, ske_kind, (const uint8_t *)"\x15\x03\x01\x00\x02\x02\x46", 7, 0, 0, &f);
	assert_int_equal(f.outcome, RAW_ALERT);
	assert_int_equal(f.res.alert_level, 2);
	assert_int_equal(f.res.alert_desc, 70);
	/* another SSLv2 message type first */
	feed_req(&v2_req, ske_kind, (const uint8_t *)"\x80\x03\x07\x00\x01", 5, 0, 0, &f);
	assert_int_equal(f.outcome, RAW_BAD);
	assert_string_equal(f.res.why, "unexpected SSLv2 message type");
}

static void test_sslv2_error_after_tls_hello(void **state UNUSED)
{
	/* An SSLv2 hello answered with a TLS ServerHello, then an SSLv2 ERROR
	 * record. rawhs.h: RAW_ALERT is "refused with an alert before any
	 * ServerHello"; after one, an alert is alert_after_hello, as the TLS
	 * alert path does. (Found by fuzz_rawhs.) */
	struct buf b;
	struct fed f;
	buf_init(&b, IN_MAX);
	add_sh(&b, 0x000A);
	tu_buf_add(&b, LIT("\x80\x03\x00\x00\x01"));
	feed_req(&v2_req, ske_kind, b.data, b.len, 0, 0, &f);
	buf_free(&b);
	assert_int_equal(f.res.sh.cipher, 0x000A);
	assert_int_equal(f.outcome, RAW_HELLO);
	assert_true(f.res.alert_after_hello);
}

static void test_hello_bytes(void **state UNUSED)
{
	static const uint16_t suites[] = {0xC02F};
	struct raw_req req = {.ho = {.version = V_TLS12, .ciphers = suites, .nciphers = 1}};
	struct rawhs *h = rawhs_new(&req, ske_kind);
	struct buf out;

	buf_init(&out, 1 << 18);
	assert_int_equal(rawhs_hello(h, &out), 0);
	assert_int_equal(out.data[0], 22);
	assert_int_equal(out.data[5], 1); /* client_hello */
	assert_true(tu_contains(out.data, out.len, LIT("\x00\x02\xC0\x2F")));
	rawhs_free(h);
	buf_reset(&out);
	h = rawhs_new(&v2_req, ske_kind);
	assert_int_equal(rawhs_hello(h, &out), 0);
	assert_int_equal(out.len, 2 + 9 + 6 + 16);
	assert_int_equal(out.data[0], 0x80);
	assert_int_equal(out.data[2], 1);
	assert_memory_equal(out.data + 11, "\x07\x00\xC0\x01\x00\x80", 6);
	assert_true(rawhs_result(h)->sslv2);
	rawhs_free(h);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tls12_ecdhe_flight),
	    cmocka_unit_test(test_tls12_dhe_flight),
	    cmocka_unit_test(test_tls10_ecdhe_flight),
	    cmocka_unit_test(test_tls13_sh_flight),
	    cmocka_unit_test(test_tls13_hrr_flight),
	    cmocka_unit_test(test_alert_flight),
	    cmocka_unit_test(test_flight_stops_short),
	    cmocka_unit_test(test_alert_after_hello),
	    cmocka_unit_test(test_warning_before_hello),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_eof_before_anything),
	    cmocka_unit_test(test_first_message_not_server_hello),
	    cmocka_unit_test(test_bad_messages_after_hello),
	    cmocka_unit_test(test_bad_ske_leaves_no_pointers),
	    cmocka_unit_test(test_ske_for_suite_without_one),
	    cmocka_unit_test(test_anonymous_and_request),
	    cmocka_unit_test(test_dh_prime_larger_than_kept),
	    cmocka_unit_test(test_feed_after_settled),
	    cmocka_unit_test(test_sslv2_server_hello),
	    cmocka_unit_test(test_sslv2_error_and_alert),
	    cmocka_unit_test(test_sslv2_error_after_tls_hello),
	    cmocka_unit_test(test_hello_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
