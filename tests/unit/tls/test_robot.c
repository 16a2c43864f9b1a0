/* test_robot.c - ROBOT's pure parts: the five PKCS#1 v1.5 blocks (layout
 * byte by byte), the raw RSA encryption checked by decrypting with the
 * private key, one connection fed hand-made server flights (ServerHello,
 * a real certificate, ServerHelloDone; refusals; EOF; timeouts; SSLv3; a
 * CertificateRequest), and the decision table (what to measure next, no
 * oracle, weak, strong, noise, timeouts, failures). */
#include "testutil.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "core/wr.h"
#include "tls/hello.h"
#include "tls/registry.h"
#include "tls/robot.h"

#define K 256 /* RSA-2048 */

static uint8_t big_n[K];

static void setup_n(void)
{
	memset(big_n, 0xff, sizeof big_n);
}

/* Zero bytes of p[from..n) */
static size_t zeros(const uint8_t *p, size_t from, size_t n)
{
	size_t z = 0;
	for (size_t i = from; i < n; i++)
		z += p[i] == 0;
	return z;
}

static void test_block_layout(void **state UNUSED)
{
	uint8_t good[K], b[K];
	setup_n();
	assert_int_equal(robot_block(ROBOT_GOOD, big_n, K, V_TLS12, good), 0);
	/* 00 02, 205 nonzero padding bytes, 00, 03 03, 46 bytes */
	assert_int_equal(good[0], 0x00);
	assert_int_equal(good[1], 0x02);
	assert_int_equal(zeros(good, 2, K - 49), 0);
	assert_int_equal(good[K - 49], 0x00);
	assert_int_equal(good[K - 48], 0x03);
	assert_int_equal(good[K - 47], 0x03);
	assert_int_equal(zeros(good, K - 48, K), 0);

	assert_int_equal(robot_block(ROBOT_BAD_PREFIX, big_n, K, V_TLS12, b), 0);
	assert_int_equal(b[0], 0x41);
	assert_int_equal(b[1], 0x17);
	assert_memory_equal(b + 2, good + 2, K - 2);

	assert_int_equal(robot_block(ROBOT_ZERO_LATE, big_n, K, V_TLS12, b), 0);
	assert_memory_equal(b, good, K - 49);
	assert_int_equal(b[K - 49], 0x11);
	assert_int_equal(zeros(b, 2, K), 1);
	assert_int_equal(b[K - 2], 0x00);
	assert_int_equal(b[K - 1], 0x11);

	assert_int_equal(robot_block(ROBOT_NO_ZERO, big_n, K, V_TLS12, b), 0);
	assert_memory_equal(b, good, K - 49);
	assert_int_equal(zeros(b, 2, K), 0);
	assert_memory_equal(b + K - 49, "\x11\x11\x11", 3);
	assert_memory_equal(b + K - 46, good + K - 46, 46);

	assert_int_equal(robot_block(ROBOT_BAD_VERSION, big_n, K, V_TLS12, b), 0);
	assert_memory_equal(b, good, K - 48);
	assert_int_equal(b[K - 48], 0x02);
	assert_int_equal(b[K - 47], 0x02);
	assert_memory_equal(b + K - 46, good + K - 46, 46);

	/* the version is the ClientHello's */
	assert_int_equal(robot_block(ROBOT_GOOD, big_n, K, V_TLS10, b), 0);
	assert_int_equal(b[K - 47], 0x01);
}

static void test_block_small_top_byte_and_range(void **state UNUSED)
{
	uint8_t n[K], b[ROBOT_MAX_KEY + 1];
	memset(n, 0xff, sizeof n);
	n[0] = 0x30; /* 41 17 ... would not be below the modulus */
	assert_int_equal(robot_block(ROBOT_BAD_PREFIX, n, K, V_TLS12, b), 0);
	assert_int_equal(b[0], 0x00);
	assert_int_equal(b[1], 0x17);
	n[0] = 0x41;
	n[1] = 0x18;
	assert_int_equal(robot_block(ROBOT_BAD_PREFIX, n, K, V_TLS12, b), 0);
	assert_int_equal(b[0], 0x41);
	n[1] = 0x17; /* equal prefix, then 0x41 < 0xff: still below */
	assert_int_equal(robot_block(ROBOT_BAD_PREFIX, n, K, V_TLS12, b), 0);
	assert_int_equal(b[0], 0x41);

	assert_int_equal(robot_block(ROBOT_GOOD, NULL, ROBOT_MIN_KEY - 1, V_TLS12, b), -1);
	assert_int_equal(robot_block(ROBOT_GOOD, NULL, ROBOT_MAX_KEY + 1, V_TLS12, b), -1);
	assert_int_equal(robot_block(ROBOT_NCASES, big_n, K, V_TLS12, b), -1);
	assert_int_equal(robot_block(ROBOT_GOOD, NULL, ROBOT_MIN_KEY, V_TLS12, b), 0);
	assert_int_equal(b[ROBOT_MIN_KEY - 49], 0x00); /* 13 padding bytes */
	assert_int_equal(zeros(b, 2, ROBOT_MIN_KEY - 49), 0);
	assert_string_equal(robot_case_name(ROBOT_BAD_PREFIX), "wrong first bytes");
	assert_string_equal(robot_case_name(ROBOT_NCASES), "?");
}

/* ---- a real key and certificate */

static EVP_PKEY *gen_key(int rsa_bits)
{
	EVP_PKEY *k = rsa_bits ? EVP_RSA_gen((unsigned)rsa_bits) : EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

/* A self-signed certificate for k, DER, caller frees. */
static uint8_t *cert_der(EVP_PKEY *k, size_t *len)
{
	X509 *x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME *nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"robot.test", -1,
	                           -1, 0);
	X509_set_issuer_name(x, nm);
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	X509_free(x);
	*len = (size_t)n;
	return der;
}

static EVP_PKEY *rsa_key;
static uint8_t *rsa_der;
static size_t rsa_der_len;

static int group_setup(void **state UNUSED)
{
	rsa_key = gen_key(2048);
	rsa_der = cert_der(rsa_key, &rsa_der_len);
	return 0;
}

static int group_teardown(void **state UNUSED)
{
	OPENSSL_free(rsa_der);
	EVP_PKEY_free(rsa_key);
	return 0;
}

/* Decrypt without padding: what the server's RSA operation gives. */
static void raw_decrypt(const uint8_t *c, size_t n, uint8_t *m)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(rsa_key, NULL);
	size_t mlen = n;
	assert_non_null(ctx);
	assert_true(EVP_PKEY_decrypt_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0);
	assert_true(EVP_PKEY_decrypt(ctx, m, &mlen, c, n) > 0);
	assert_int_equal(mlen, n);
	EVP_PKEY_CTX_free(ctx);
}

static void test_key_and_encrypt(void **state UNUSED)
{
	char why[160];
	struct robot_key *k = robot_key_from_cert(rsa_der, rsa_der_len, why, sizeof why);
	assert_non_null(k);
	assert_int_equal(robot_key_bytes(k), K);
	assert_int_equal(robot_key_bits(k), 2048);
	for (int c = 0; c < ROBOT_NCASES; c++) {
		uint8_t enc[K], dec[K], want[K], n[K];
		BIGNUM *bn = NULL;
		assert_true(EVP_PKEY_get_bn_param(rsa_key, "n", &bn));
		assert_int_equal(BN_bn2binpad(bn, n, K), K);
		BN_free(bn);
		assert_int_equal(robot_encrypt(k, (enum robot_case)c, V_TLS12, enc), 0);
		raw_decrypt(enc, K, dec);
		assert_int_equal(robot_block((enum robot_case)c, n, K, V_TLS12, want), 0);
		assert_memory_equal(dec, want, K);
	}
	robot_key_free(k);
	robot_key_free(NULL);
}

static void test_key_refused(void **state UNUSED)
{
	char why[160] = "";
	EVP_PKEY *ec = gen_key(0);
	size_t len;
	uint8_t *der = cert_der(ec, &len);
	assert_null(robot_key_from_cert(der, len, why, sizeof why));
	assert_non_null(strstr(why, "not an RSA"));
	assert_null(robot_key_from_cert(rsa_der, rsa_der_len - 1, why, sizeof why));
	assert_non_null(strstr(why, "does not decode"));
	uint8_t *longer = malloc(rsa_der_len + 1); /* a trailing byte */
	memcpy(longer, rsa_der, rsa_der_len);
	longer[rsa_der_len] = 0;
	assert_null(robot_key_from_cert(longer, rsa_der_len + 1, why, sizeof why));
	free(longer);
	assert_null(
	    robot_key_from_cert((const uint8_t *)"\x30\x03\x02\x01\x01", 5, why, sizeof why));
	EVP_PKEY *small = gen_key(512);
	OPENSSL_free(der);
	der = cert_der(small, &len);
	struct robot_key *k = robot_key_from_cert(der, len, why, sizeof why);
	assert_non_null(k); /* 512 bits: the smallest the block fits */
	assert_int_equal(robot_key_bytes(k), ROBOT_MIN_KEY);
	robot_key_free(k);
	OPENSSL_free(der);
	EVP_PKEY_free(small);
	EVP_PKEY_free(ec);
}

/* ---- one connection */

static void hs_msg(struct wr *w, uint8_t type, const void *body, size_t n)
{
	wr_u8(w, type);
	size_t m = wr_open_vec(w, 3);
	wr_bytes(w, body, n);
	wr_close_vec(w, m, 3);
}

/* ServerHello body: version, random, empty session id, suite, null
 * compression, no extensions. */
static void sh_body(struct buf *b, uint16_t version, uint16_t suite)
{
	struct wr w;
	uint8_t random[32] = {0};
	wr_init(&w, b);
	wr_u16(&w, version);
	wr_bytes(&w, random, 32);
	wr_u8(&w, 0);
	wr_u16(&w, suite);
	wr_u8(&w, 0);
	assert_false(wr_failed(&w));
}

enum flight_opt { F_PLAIN = 0, F_CERT_REQ = 1, F_SKE = 2, F_NO_CERT = 4 };

/* The server's flight up to ServerHelloDone, in one handshake record. */
static void server_flight(struct buf *out, uint16_t version, uint16_t suite, unsigned opts)
{
	struct buf sh, cert;
	struct wr w;
	buf_init(&sh, 1 << 16);
	buf_init(&cert, 1 << 16);
	sh_body(&sh, version, suite);
	wr_init(&w, &cert);
	size_t list = wr_open_vec(&w, 3);
	size_t one = wr_open_vec(&w, 3);
	wr_bytes(&w, rsa_der, rsa_der_len);
	wr_close_vec(&w, one, 3);
	wr_close_vec(&w, list, 3);
	wr_init(&w, out);
	wr_u8(&w, 22);
	wr_u16(&w, version);
	size_t rec = wr_open_vec(&w, 2);
	hs_msg(&w, 2, sh.data, sh.len);
	if (!(opts & F_NO_CERT))
		hs_msg(&w, 11, cert.data, cert.len);
	if (opts & F_SKE)
		hs_msg(&w, 12, "\x03\x00\x17\x01\x04", 5);
	if (opts & F_CERT_REQ)
		hs_msg(&w, 13, "\x01\x01\x00\x00", 4);
	hs_msg(&w, 14, "", 0);
	wr_close_vec(&w, rec, 2);
	assert_false(wr_failed(&w));
	buf_free(&sh);
	buf_free(&cert);
}

struct run {
	enum robot_step step;
	struct buf out; /* the client's flight */
	struct robot_info info;
};

/* Feed the flight (chunk bytes at a time; 0 all at once), then `after`. */
static void run_conn(enum robot_case c, const struct buf *flight, size_t chunk, const void *after,
                     size_t nafter, struct run *r)
{
	struct robot_conn *rc = robot_conn_new(c);
	struct buf in, hello;
	buf_init(&in, 1 << 20);
	buf_init(&hello, 1 << 16);
	buf_init(&r->out, 1 << 16);
	assert_int_equal(robot_conn_hello(rc, "mx.example", &hello), 0);
	assert_true(tu_contains(hello.data, hello.len, "mx.example", 10));
	/* record 5, handshake 4, version 2, random 32, empty session id 1:
	 * the suites, TLS_RSA only (AES-GCM first), then the SCSV */
	const uint8_t *cs = hello.data + 44;
	size_t ncs = (size_t)((cs[0] << 8) | cs[1]) / 2;
	assert_int_equal(hello.data[9], 0x03);
	assert_int_equal(hello.data[10], 0x03);
	assert_memory_equal(cs + 2, "\x00\x9d\x00\x9c", 4);
	assert_memory_equal(cs + 2 + 2 * (ncs - 1), "\x00\xff", 2);
	for (size_t i = 0; i + 1 < ncs; i++) {
		const struct reg_cipher *suite =
		    reg_cipher_find((cs[2 + 2 * i] << 8) | cs[3 + 2 * i], 0);
		assert_non_null(suite);
		assert_int_equal(suite->kx_kind, KX_RSA);
		assert_false(suite->flags & (REG_EXPORT | REG_NULL_ENC));
	}
	if (!chunk)
		chunk = flight->len;
	r->step = ROBOT_WAIT;
	for (size_t off = 0; off < flight->len && r->step == ROBOT_WAIT; off += chunk) {
		size_t n = flight->len - off < chunk ? flight->len - off : chunk;
		tu_buf_add(&in, flight->data + off, n);
		r->step = robot_conn_feed(rc, &in, &r->out);
	}
	if (nafter && r->step == ROBOT_WAIT) {
		tu_buf_add(&in, after, nafter);
		r->step = robot_conn_feed(rc, &in, &r->out);
	}
	r->info = *robot_conn_info(rc);
	buf_free(&in);
	buf_free(&hello);
	robot_conn_free(rc);
}

/* Check the client flight: [Certificate] CKE in one record, CCS, Finished;
 * the CKE decrypts to case c's block. */
static void check_client_flight(const struct buf *out, enum robot_case c, uint16_t v,
                                int empty_cert, int ssl3)
{
	const uint8_t *p = out->data;
	size_t cke = 4 + (ssl3 ? 0 : 2) + K;
	size_t rec = (empty_cert ? 7 : 0) + cke;
	assert_true(out->len == 5 + rec + 6 + 5 + 80);
	assert_int_equal(p[0], 22);
	assert_int_equal((p[1] << 8) | p[2], v);
	assert_int_equal((p[3] << 8) | p[4], rec);
	p += 5;
	if (empty_cert) {
		assert_memory_equal(p, "\x0b\x00\x00\x03\x00\x00\x00", 7);
		p += 7;
	}
	assert_int_equal(p[0], 16);
	assert_int_equal((p[1] << 16) | (p[2] << 8) | p[3], cke - 4);
	p += 4;
	if (!ssl3) {
		assert_int_equal((p[0] << 8) | p[1], K);
		p += 2;
	}
	uint8_t dec[K], want[K], n[K];
	BIGNUM *bn = NULL;
	assert_true(EVP_PKEY_get_bn_param(rsa_key, "n", &bn));
	assert_int_equal(BN_bn2binpad(bn, n, K), K);
	BN_free(bn);
	raw_decrypt(p, K, dec);
	assert_int_equal(robot_block(c, n, K, V_TLS12, want), 0);
	assert_memory_equal(dec, want, K);
	p += K;
	assert_int_equal(p[0], 20);
	assert_memory_equal(p + 3, "\x00\x01\x01", 3);
	p += 6;
	assert_int_equal(p[0], 22);
	assert_int_equal((p[3] << 8) | p[4], 80);
}

static void test_conn_alert_answer(void **state UNUSED)
{
	struct buf fl;
	struct run r;
	char s[64];
	buf_init(&fl, 1 << 16);
	server_flight(&fl, V_TLS12, 0x009c, F_PLAIN);
	for (size_t chunk = 0; chunk <= 7; chunk += 7) { /* whole, then 7 bytes at a time */
		for (int c = 0; c < ROBOT_NCASES; c++) {
			run_conn((enum robot_case)c, &fl, chunk, "\x15\x03\x03\x00\x02\x02\x14", 7,
			         &r);
			assert_int_equal(r.step, ROBOT_DONE);
			assert_int_equal(r.info.resp.kind, ROBOT_R_ALERT);
			assert_int_equal(r.info.resp.level, 2);
			assert_int_equal(r.info.resp.desc, 20);
			assert_int_equal(r.info.version, V_TLS12);
			assert_int_equal(r.info.suite, 0x009c);
			assert_int_equal(r.info.key_bits, 2048);
			check_client_flight(&r.out, (enum robot_case)c, V_TLS12, 0, 0);
			robot_resp_str(&r.info.resp, s, sizeof s);
			assert_string_equal(s, "alert bad_record_mac (20)");
			buf_free(&r.out);
		}
	}
	buf_free(&fl);
}

static void test_conn_other_answers(void **state UNUSED)
{
	struct buf fl;
	struct run r;
	char s[64];
	buf_init(&fl, 1 << 16);
	server_flight(&fl, V_TLS11, 0x002f, F_CERT_REQ);
	/* an application data record; the flight carries an empty Certificate */
	run_conn(ROBOT_GOOD, &fl, 0, "\x17\x03\x02\x00\x01\x00", 6, &r);
	assert_int_equal(r.step, ROBOT_DONE);
	assert_int_equal(r.info.resp.kind, ROBOT_R_OTHER);
	assert_int_equal(r.info.resp.ctype, 23);
	check_client_flight(&r.out, ROBOT_GOOD, V_TLS11, 1, 0);
	robot_resp_str(&r.info.resp, s, sizeof s);
	assert_string_equal(s, "record type 23");
	buf_free(&r.out);
	/* bytes that are not TLS */
	run_conn(ROBOT_GOOD, &fl, 0, "HTTP/1.0 400\r\n", 14, &r);
	assert_int_equal(r.step, ROBOT_DONE);
	assert_int_equal(r.info.resp.kind, ROBOT_R_OTHER);
	assert_int_equal(r.info.resp.ctype, 0);
	buf_free(&r.out);
	buf_free(&fl);

	/* SSLv3: the encrypted premaster without its length */
	buf_init(&fl, 1 << 16);
	server_flight(&fl, V_SSL3, 0x000a, F_PLAIN);
	run_conn(ROBOT_NO_ZERO, &fl, 0, "\x15\x03\x00\x00\x02\x02\x28", 7, &r);
	assert_int_equal(r.info.resp.kind, ROBOT_R_ALERT);
	assert_int_equal(r.info.resp.desc, 40); /* after ServerHelloDone: an answer */
	check_client_flight(&r.out, ROBOT_NO_ZERO, V_SSL3, 0, 1);
	buf_free(&r.out);
	buf_free(&fl);
}

static void test_conn_eof_and_stop(void **state UNUSED)
{
	struct buf fl, in, out;
	buf_init(&fl, 1 << 16);
	buf_init(&in, 1 << 20);
	buf_init(&out, 1 << 16);
	server_flight(&fl, V_TLS12, 0x0035, F_PLAIN);

	/* closed after the client flight: an answer */
	struct robot_conn *rc = robot_conn_new(ROBOT_GOOD);
	tu_buf_add(&in, fl.data, fl.len);
	assert_int_equal(robot_conn_feed(rc, &in, &out), ROBOT_WAIT);
	assert_true(out.len > K);
	robot_conn_eof(rc);
	assert_int_equal(robot_conn_info(rc)->resp.kind, ROBOT_R_CLOSED);
	robot_conn_stop(rc, 1, "late"); /* settled: nothing changes */
	assert_int_equal(robot_conn_info(rc)->resp.kind, ROBOT_R_CLOSED);
	robot_conn_free(rc);

	/* the deadline after the client flight: a timeout; another error: a failure */
	for (int timeout = 1; timeout >= 0; timeout--) {
		rc = robot_conn_new(ROBOT_GOOD);
		buf_reset(&in);
		buf_reset(&out);
		tu_buf_add(&in, fl.data, fl.len);
		assert_int_equal(robot_conn_feed(rc, &in, &out), ROBOT_WAIT);
		robot_conn_stop(rc, timeout, "connection broke");
		assert_int_equal(robot_conn_info(rc)->resp.kind,
		                 timeout ? ROBOT_R_TIMEOUT : ROBOT_R_FAILED);
		robot_conn_free(rc);
	}

	/* closed or timed out before ServerHelloDone: no measurement */
	rc = robot_conn_new(ROBOT_GOOD);
	buf_reset(&in);
	buf_reset(&out);
	robot_conn_eof(rc);
	assert_int_equal(robot_conn_info(rc)->resp.kind, ROBOT_R_FAILED);
	assert_string_equal(robot_conn_info(rc)->why, "closed without a ServerHello");
	robot_conn_free(rc);
	rc = robot_conn_new(ROBOT_GOOD);
	tu_buf_add(&in, fl.data, fl.len - 4); /* all but ServerHelloDone */
	assert_int_equal(robot_conn_feed(rc, &in, &out), ROBOT_WAIT);
	assert_int_equal(out.len, 0);
	robot_conn_stop(rc, 1, "the probe's exchange did not complete");
	assert_int_equal(robot_conn_info(rc)->resp.kind, ROBOT_R_FAILED);
	assert_string_equal(robot_conn_info(rc)->why, "the probe's exchange did not complete");
	robot_conn_free(rc);
	buf_free(&fl);
	buf_free(&in);
	buf_free(&out);
}

static void test_conn_refusals(void **state UNUSED)
{
	struct buf fl;
	struct run r;
	buf_init(&fl, 64);
	/* a warning first is skipped; then handshake_failure: no RSA */
	tu_buf_add(&fl, "\x15\x03\x03\x00\x02\x01\x70\x15\x03\x03\x00\x02\x02\x28", 14);
	run_conn(ROBOT_GOOD, &fl, 0, NULL, 0, &r);
	assert_int_equal(r.step, ROBOT_DONE);
	assert_int_equal(r.info.resp.kind, ROBOT_R_NO_RSA);
	assert_int_equal(r.info.resp.desc, 40);
	assert_int_equal(r.out.len, 0);
	buf_free(&r.out);
	buf_reset(&fl);
	tu_buf_add(&fl, "\x15\x03\x01\x00\x02\x02\x47", 7); /* insufficient_security */
	run_conn(ROBOT_GOOD, &fl, 0, NULL, 0, &r);
	assert_int_equal(r.info.resp.kind, ROBOT_R_NO_RSA);
	buf_free(&r.out);
	buf_reset(&fl);
	tu_buf_add(&fl, "\x15\x03\x03\x00\x02\x02\x46", 7); /* protocol_version */
	run_conn(ROBOT_GOOD, &fl, 0, NULL, 0, &r);
	assert_int_equal(r.info.resp.kind, ROBOT_R_NO_TLS12);
	buf_free(&r.out);
	buf_reset(&fl);
	tu_buf_add(&fl, "\x15\x03\x03\x00\x02\x02\x50", 7); /* internal_error */
	run_conn(ROBOT_GOOD, &fl, 0, NULL, 0, &r);
	assert_int_equal(r.info.resp.kind, ROBOT_R_FAILED);
	assert_non_null(strstr(r.info.why, "internal_error"));
	buf_free(&r.out);
	buf_reset(&fl);
	tu_buf_add(&fl, "\x16\x03\x03\x00\x05\x0e\x00\x00\x00\x00", 10); /* no ServerHello */
	run_conn(ROBOT_GOOD, &fl, 0, NULL, 0, &r);
	assert_int_equal(r.info.resp.kind, ROBOT_R_FAILED);
	buf_free(&r.out);
	buf_reset(&fl);
	tu_buf_add(&fl, "\x16\x03\x03\x00\x05\x00", 6); /* garbage length */
	tu_buf_add(&fl, "\x01\x02\x03\x04\x05\x06", 6);
	run_conn(ROBOT_GOOD, &fl, 0, NULL, 0, &r);
	assert_int_equal(r.info.resp.kind, ROBOT_R_FAILED);
	buf_free(&r.out);
	buf_free(&fl);
}

static void test_conn_bad_flights(void **state UNUSED)
{
	struct buf fl;
	struct run r;
	static const struct {
		uint16_t version, suite;
		unsigned opts;
		const char *why;
	} bad[] = {
	    {V_TLS12, 0xc02f, F_PLAIN, "not offered"},      /* ECDHE: we did not offer it */
	    {V_TLS12, 0x009c, F_SKE, "ServerKeyExchange"},  /* RSA suite with a SKE */
	    {V_TLS12, 0x009c, F_NO_CERT, "without an RSA"}, /* no certificate */
	    {V_TLS13, 0x009c, F_PLAIN, "version 0x0304"},   /* not <= TLS 1.2 */
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		buf_init(&fl, 1 << 16);
		server_flight(&fl, bad[i].version, bad[i].suite, bad[i].opts);
		run_conn(ROBOT_GOOD, &fl, 0, NULL, 0, &r);
		assert_int_equal(r.step, ROBOT_DONE);
		assert_int_equal(r.info.resp.kind, ROBOT_R_FAILED);
		assert_non_null(strstr(r.info.why, bad[i].why));
		assert_int_equal(r.out.len, 0); /* nothing sent */
		buf_free(&r.out);
		buf_free(&fl);
	}
}

/* ---- the decision */

static const struct robot_resp A20 = {.kind = ROBOT_R_ALERT, .level = 2, .desc = 20};
static const struct robot_resp A51 = {.kind = ROBOT_R_ALERT, .level = 2, .desc = 51};
static const struct robot_resp CLOSE = {.kind = ROBOT_R_CLOSED};
static const struct robot_resp TMO = {.kind = ROBOT_R_TIMEOUT};
static const struct robot_resp FAIL = {.kind = ROBOT_R_FAILED};
static const struct robot_resp NORSA = {.kind = ROBOT_R_NO_RSA, .level = 2, .desc = 40};
static const struct robot_resp NO12 = {.kind = ROBOT_R_NO_TLS12, .level = 2, .desc = 70};

static void add(struct robot_obs *o, int c, struct robot_resp r)
{
	assert_true(o->n[c] < ROBOT_TRIES);
	o->r[c][o->n[c]++] = r;
	if (r.kind == ROBOT_R_FAILED)
		snprintf(o->why[c], sizeof o->why[c], "closed without a ServerHello");
}

static void five(struct robot_obs *o, struct robot_resp g, struct robot_resp b1,
                 struct robot_resp b2, struct robot_resp b3, struct robot_resp b4)
{
	memset(o, 0, sizeof(*o));
	add(o, ROBOT_GOOD, g);
	add(o, ROBOT_BAD_PREFIX, b1);
	add(o, ROBOT_ZERO_LATE, b2);
	add(o, ROBOT_NO_ZERO, b3);
	add(o, ROBOT_BAD_VERSION, b4);
}

#define ALL_BAD                                                                                    \
	(1u << ROBOT_BAD_PREFIX | 1u << ROBOT_ZERO_LATE | 1u << ROBOT_NO_ZERO |                    \
	 1u << ROBOT_BAD_VERSION)

static void test_decide_order_and_applicability(void **state UNUSED)
{
	struct robot_obs o;
	struct robot_decision d;
	memset(&o, 0, sizeof o);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_MORE);
	assert_int_equal(d.again, 1u << ROBOT_GOOD); /* the correct block first, alone */

	add(&o, ROBOT_GOOD, NORSA);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_NA);
	assert_string_equal(d.why, "no RSA key exchange");

	memset(&o, 0, sizeof o);
	add(&o, ROBOT_GOOD, NO12);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_NA);
	assert_string_equal(d.why, "no TLS 1.2 or lower");

	/* a failure is tried once more, then unknown */
	memset(&o, 0, sizeof o);
	add(&o, ROBOT_GOOD, FAIL);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_MORE);
	assert_int_equal(d.again, 1u << ROBOT_GOOD);
	add(&o, ROBOT_GOOD, FAIL);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_UNKNOWN);
	assert_non_null(strstr(d.why, "closed without a ServerHello"));
	/* ...or the retry shows the refusal */
	memset(&o, 0, sizeof o);
	add(&o, ROBOT_GOOD, FAIL);
	add(&o, ROBOT_GOOD, NORSA);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_NA);

	/* then the four others at once */
	memset(&o, 0, sizeof o);
	add(&o, ROBOT_GOOD, A20);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_MORE);
	assert_int_equal(d.again, ALL_BAD);
}

static void test_decide_no_oracle(void **state UNUSED)
{
	struct robot_obs o;
	struct robot_decision d;
	five(&o, A20, A20, A20, A20, A20);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_NONE);
	assert_int_equal(d.again, 0);
	five(&o, CLOSE, CLOSE, CLOSE, CLOSE, CLOSE);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_NONE);
	/* no answer at all is no evidence */
	five(&o, TMO, TMO, TMO, TMO, TMO);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_UNKNOWN);
	/* a malformed block's handshake failed: tried once more */
	five(&o, A20, A20, FAIL, A20, A20);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_MORE);
	assert_int_equal(d.again, 1u << ROBOT_ZERO_LATE);
	add(&o, ROBOT_ZERO_LATE, A20);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_NONE);
	five(&o, A20, A20, FAIL, A20, NORSA); /* a refusal now is a failure too */
	robot_decide(&o, &d);
	assert_int_equal(d.again, 1u << ROBOT_ZERO_LATE | 1u << ROBOT_BAD_VERSION);
	add(&o, ROBOT_ZERO_LATE, FAIL);
	add(&o, ROBOT_BAD_VERSION, A20);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_UNKNOWN);
	assert_non_null(strstr(d.why, "0x00 misplaced"));
}

static void test_decide_strong(void **state UNUSED)
{
	struct robot_obs o;
	struct robot_decision d;
	five(&o, A20, A51, A20, A20, A20);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_MORE); /* confirm both sides */
	assert_int_equal(d.again, 1u << ROBOT_GOOD | 1u << ROBOT_BAD_PREFIX);
	add(&o, ROBOT_GOOD, A20);
	add(&o, ROBOT_BAD_PREFIX, A51);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_STRONG);
	assert_int_equal(d.odd, ROBOT_BAD_PREFIX);
	assert_true(robot_resp_same(&d.good, &A20));
	assert_true(robot_resp_same(&d.bad, &A51));
	/* 7 connections in all */
	int total = 0;
	for (int c = 0; c < ROBOT_NCASES; c++)
		total += o.n[c];
	assert_int_equal(total, 7);

	/* the correct block is the odd one out, the bad prefix with the rest:
	 * the three padding errors differ among themselves -> strong */
	five(&o, CLOSE, A20, A51, A51, A51);
	add(&o, ROBOT_GOOD, CLOSE);
	add(&o, ROBOT_BAD_PREFIX, A20);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_STRONG);
}

static void test_decide_weak(void **state UNUSED)
{
	struct robot_obs o;
	struct robot_decision d;
	five(&o, A20, A20, A20, A20, CLOSE);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_MORE);
	assert_int_equal(d.again, 1u << ROBOT_GOOD | 1u << ROBOT_BAD_VERSION);
	add(&o, ROBOT_GOOD, A20);
	add(&o, ROBOT_BAD_VERSION, CLOSE);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_WEAK);
	assert_int_equal(d.odd, ROBOT_BAD_VERSION);

	/* only the fully valid block stands out: weak too */
	five(&o, A51, A20, A20, A20, A20);
	add(&o, ROBOT_GOOD, A51);
	add(&o, ROBOT_BAD_PREFIX, A20);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_WEAK);
	assert_int_equal(d.odd, ROBOT_BAD_PREFIX);
}

static void test_decide_noise(void **state UNUSED)
{
	struct robot_obs o;
	struct robot_decision d;
	/* the difference does not repeat */
	five(&o, A20, A51, A20, A20, A20);
	add(&o, ROBOT_GOOD, A20);
	add(&o, ROBOT_BAD_PREFIX, A20);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_UNKNOWN);
	assert_non_null(strstr(d.why, "inconsistent"));
	/* a difference that rests on a timeout */
	five(&o, A20, A20, TMO, A20, A20);
	add(&o, ROBOT_GOOD, A20);
	add(&o, ROBOT_ZERO_LATE, TMO);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_UNKNOWN);
	assert_non_null(strstr(d.why, "timeout"));
	/* a confirmation that fails is tried again, once */
	five(&o, A20, A51, A20, A20, A20);
	add(&o, ROBOT_GOOD, A20);
	add(&o, ROBOT_BAD_PREFIX, FAIL);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_MORE);
	assert_int_equal(d.again, 1u << ROBOT_BAD_PREFIX);
	add(&o, ROBOT_BAD_PREFIX, FAIL);
	robot_decide(&o, &d);
	assert_int_equal(d.v, ROBOT_V_UNKNOWN);
	assert_non_null(strstr(d.why, "measured twice"));
}

static void test_resp_same_and_str(void **state UNUSED)
{
	char s[64];
	struct robot_resp w = A20;
	w.level = 1;
	assert_false(robot_resp_same(&A20, &A51));
	assert_false(robot_resp_same(&A20, &w));
	assert_false(robot_resp_same(&A20, &CLOSE));
	assert_true(robot_resp_same(&TMO, &TMO));
	robot_resp_str(&w, s, sizeof s);
	assert_string_equal(s, "warning alert bad_record_mac (20)");
	robot_resp_str(&CLOSE, s, sizeof s);
	assert_string_equal(s, "close");
	robot_resp_str(&TMO, s, sizeof s);
	assert_string_equal(s, "timeout");
	struct robot_resp odd = {.kind = ROBOT_R_ALERT, .level = 2, .desc = 201};
	robot_resp_str(&odd, s, sizeof s);
	assert_string_equal(s, "alert unknown (201)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_block_layout),
	    cmocka_unit_test(test_block_small_top_byte_and_range),
	    cmocka_unit_test(test_key_and_encrypt),
	    cmocka_unit_test(test_key_refused),
	    cmocka_unit_test(test_conn_alert_answer),
	    cmocka_unit_test(test_conn_other_answers),
	    cmocka_unit_test(test_conn_eof_and_stop),
	    cmocka_unit_test(test_conn_refusals),
	    cmocka_unit_test(test_conn_bad_flights),
	    cmocka_unit_test(test_decide_order_and_applicability),
	    cmocka_unit_test(test_decide_no_oracle),
	    cmocka_unit_test(test_decide_strong),
	    cmocka_unit_test(test_decide_weak),
	    cmocka_unit_test(test_decide_noise),
	    cmocka_unit_test(test_resp_same_and_str),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
