/* test_msg.c - the server handshake message parsers: ServerHello (TLS 1.2,
 * TLS 1.3, HelloRetryRequest, extensions, downgrade sentinels), Certificate,
 * ServerKeyExchange (ECDHE, DHE, RSA export; signed, TLS 1.2 sigalg,
 * anonymous), CertificateStatus and the SSLv2 SERVER-HELLO. Every parser
 * gets its failure cases: each truncation, a trailing byte, bad lengths.
 * Inputs are written with the reserving writer (STYLE.md rule 4). */
#include "testutil.h"

#include "core/wr.h"
#include "tls/hello.h"
#include "tls/msg.h"

#define MSG_MAX (1 << 17)

static const uint8_t hrr_magic[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* A writer over a fresh buffer. */
static void w_begin(struct wr *w, struct buf *b)
{
	buf_init(b, MSG_MAX);
	wr_init(w, b);
}

static void w_end(struct wr *w)
{
	assert_false(wr_failed(w));
}

static void plain_random(uint8_t random[32])
{
	for (int i = 0; i < 32; i++)
		random[i] = (uint8_t)(0x10 + i);
}

/* legacy_version .. compression_method of a ServerHello. */
static void sh_head(struct wr *w, uint16_t version, const uint8_t random[32], size_t sid_len,
                    uint16_t cipher)
{
	size_t m;
	wr_u16(w, version);
	wr_bytes(w, random, 32);
	m = wr_open_vec(w, 1);
	for (size_t i = 0; i < sid_len; i++)
		wr_u8(w, (uint8_t)(0xE0 + i));
	wr_close_vec(w, m, 1);
	wr_u16(w, cipher);
	wr_u8(w, 0);
}

static void ext_raw(struct wr *w, uint16_t type, const void *p, size_t n)
{
	size_t m;
	wr_u16(w, type);
	m = wr_open_vec(w, 2);
	wr_bytes(w, p, n);
	wr_close_vec(w, m, 2);
}

/* Every proper prefix must fail, except the one that ends where an
 * extension-less ServerHello would (at `valid_prefix`, SIZE_MAX for none). */
static void assert_prefixes_fail_sh(const struct buf *b, size_t valid_prefix)
{
	struct server_hello sh;
	for (size_t i = 0; i < b->len; i++) {
		int rc = msg_server_hello(b->data, i, &sh);
		if (i == valid_prefix)
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, -1);
	}
}

/* The same bytes plus one: must fail. */
static void assert_trailing_fails_sh(const struct buf *b)
{
	struct server_hello sh;
	struct buf c;
	buf_init(&c, MSG_MAX);
	tu_buf_add(&c, b->data, b->len);
	tu_buf_add(&c, "\x00", 1);
	assert_int_equal(msg_server_hello(c.data, c.len, &sh), -1);
	buf_free(&c);
}

/* ---------------------------------------------------------- ServerHello */

static void test_sh_tls12_without_extensions(void **state UNUSED)
{
	uint8_t random[32];
	struct server_hello sh;
	struct wr w;
	struct buf b;

	plain_random(random);
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 32, 0xC02F);
	w_end(&w);
	assert_int_equal(b.len, 70);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), 0);
	assert_int_equal(sh.legacy_version, V_TLS12);
	assert_memory_equal(sh.random, random, 32);
	assert_int_equal(sh.session_id_len, 32);
	assert_int_equal(sh.cipher, 0xC02F);
	assert_int_equal(sh.compression, 0);
	assert_false(sh.hrr);
	assert_false(sh.has_extensions);
	assert_int_equal(sh.nexts, 0);
	assert_int_equal(sh.selected_version, 0);
	assert_int_equal(sh.key_share_group, 0);
	assert_int_equal(sh.reneg_info, 0);
	assert_int_equal(sh.version, V_TLS12);
	assert_int_equal(sh.downgrade, 0);
	assert_prefixes_fail_sh(&b, SIZE_MAX);
	assert_trailing_fails_sh(&b);
	buf_free(&b);

	/* SSLv3 with an empty session id and compression 1 */
	w_begin(&w, &b);
	sh_head(&w, V_SSL3, random, 0, 0x000A);
	b.data[b.len - 1] = 1;
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), 0);
	assert_int_equal(sh.version, V_SSL3);
	assert_int_equal(sh.session_id_len, 0);
	assert_int_equal(sh.compression, 1);
	assert_int_equal(sh.cipher, 0x000A);
	buf_free(&b);
}

static void test_sh_tls12_with_extensions(void **state UNUSED)
{
	uint8_t random[32];
	struct server_hello sh;
	struct wr w;
	struct buf b;
	size_t all, head;
	static const uint16_t want[] = {EXT_RENEGOTIATION_INFO, EXT_EC_POINT_FORMATS,
	                                EXT_EXTENDED_MASTER_SECRET, EXT_ALPN, 0x1234};

	plain_random(random);
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0xC030);
	head = b.len;
	all = wr_open_vec(&w, 2);
	ext_raw(&w, EXT_RENEGOTIATION_INFO, "\x00", 1);
	ext_raw(&w, EXT_EC_POINT_FORMATS, "\x02\x00\x01", 3);
	ext_raw(&w, EXT_EXTENDED_MASTER_SECRET, "", 0);
	ext_raw(&w, EXT_ALPN, "\x00\x05\x04smtp", 7);
	ext_raw(&w, 0x1234, "opaque", 6);
	wr_close_vec(&w, all, 2);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), 0);
	assert_true(sh.has_extensions);
	assert_int_equal(sh.nexts, ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		assert_int_equal(sh.exts[i], want[i]);
	assert_int_equal(sh.reneg_info, 1);
	assert_int_equal(sh.cipher, 0xC030);
	assert_int_equal(sh.version, V_TLS12);
	assert_int_equal(sh.selected_version, 0);
	assert_prefixes_fail_sh(&b, head);
	assert_trailing_fails_sh(&b);
	buf_free(&b);
}

static void test_sh_empty_extension_block(void **state UNUSED)
{
	uint8_t random[32];
	struct server_hello sh;
	struct wr w;
	struct buf b;

	plain_random(random);
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0x009C);
	wr_u16(&w, 0);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), 0);
	assert_true(sh.has_extensions);
	assert_int_equal(sh.nexts, 0);
	buf_free(&b);
}

static void test_sh_reneg_info_not_empty(void **state UNUSED)
{
	uint8_t random[32];
	struct server_hello sh;
	struct wr w;
	struct buf b;
	size_t all;

	plain_random(random);
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0x009C);
	all = wr_open_vec(&w, 2);
	ext_raw(&w, EXT_RENEGOTIATION_INFO, "\x02\xAA\xBB", 3);
	wr_close_vec(&w, all, 2);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), 0);
	assert_int_equal(sh.reneg_info, 2);
	buf_free(&b);
}

/* A TLS 1.3 ServerHello (or HRR) with the given key_share body. */
static void sh13(struct buf *b, const uint8_t random[32], const void *ks, size_t ksn, size_t *head)
{
	struct wr w;
	size_t all;
	w_begin(&w, b);
	sh_head(&w, V_TLS12, random, 32, 0x1302);
	*head = b->len;
	all = wr_open_vec(&w, 2);
	ext_raw(&w, EXT_SUPPORTED_VERSIONS, "\x03\x04", 2);
	ext_raw(&w, EXT_KEY_SHARE, ks, ksn);
	wr_close_vec(&w, all, 2);
	w_end(&w);
}

static void test_sh_tls13(void **state UNUSED)
{
	uint8_t random[32], ks[2 + 2 + 32];
	struct server_hello sh;
	struct buf b;
	size_t head;

	plain_random(random);
	memcpy(ks, "\x00\x1d\x00\x20", 4);
	memset(ks + 4, 0x77, 32);
	sh13(&b, random, ks, sizeof ks, &head);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), 0);
	assert_false(sh.hrr);
	assert_int_equal(sh.legacy_version, V_TLS12);
	assert_int_equal(sh.selected_version, V_TLS13);
	assert_int_equal(sh.version, V_TLS13);
	assert_int_equal(sh.key_share_group, 0x001d);
	assert_int_equal(sh.cipher, 0x1302);
	assert_int_equal(sh.session_id_len, 32);
	assert_int_equal(sh.nexts, 2);
	assert_int_equal(sh.exts[0], EXT_SUPPORTED_VERSIONS);
	assert_int_equal(sh.exts[1], EXT_KEY_SHARE);
	assert_prefixes_fail_sh(&b, head);
	assert_trailing_fails_sh(&b);
	buf_free(&b);
}

static void test_sh_tls13_bad_key_share(void **state UNUSED)
{
	uint8_t random[32];
	struct server_hello sh;
	struct buf b;
	size_t head;

	plain_random(random);
	/* a ServerHello's key_share is a KeyShareEntry, not a bare group */
	sh13(&b, random, "\x00\x17", 2, &head);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
	/* key_exchange<1..2^16-1>: never empty */
	sh13(&b, random, "\x00\x1d\x00\x00", 4, &head);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
	/* a key longer than the extension */
	sh13(&b, random, "\x00\x1d\x00\x05\x01\x02", 6, &head);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
	/* a byte after the key */
	sh13(&b, random, "\x00\x1d\x00\x01\x01\x02", 6, &head);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
}

static void test_hrr(void **state UNUSED)
{
	struct server_hello sh;
	struct wr w;
	struct buf b;
	size_t all, head;

	w_begin(&w, &b);
	sh_head(&w, V_TLS12, hrr_magic, 32, 0x1301);
	head = b.len;
	all = wr_open_vec(&w, 2);
	ext_raw(&w, EXT_SUPPORTED_VERSIONS, "\x03\x04", 2);
	ext_raw(&w, EXT_KEY_SHARE, "\x00\x17", 2); /* selected_group */
	ext_raw(&w, 44, "\x00\003ck!", 5);         /* cookie */
	wr_close_vec(&w, all, 2);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), 0);
	assert_true(sh.hrr);
	assert_int_equal(sh.key_share_group, 0x0017);
	assert_int_equal(sh.version, V_TLS13);
	assert_int_equal(sh.cipher, 0x1301);
	assert_int_equal(sh.nexts, 3);
	assert_int_equal(sh.exts[2], 44);
	assert_int_equal(sh.downgrade, 0);
	assert_prefixes_fail_sh(&b, head);
	assert_trailing_fails_sh(&b);
	buf_free(&b);

	/* an HRR's key_share is the group alone: a whole entry is too long */
	{
		uint8_t ks[2 + 2 + 32];
		memcpy(ks, "\x00\x1d\x00\x20", 4);
		memset(ks + 4, 1, 32);
		sh13(&b, hrr_magic, ks, sizeof ks, &head);
		assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
		buf_free(&b);
	}
	/* a random one bit away from the magic is an ordinary ServerHello */
	{
		uint8_t near[32];
		memcpy(near, hrr_magic, 32);
		near[31] ^= 1;
		sh13(&b, near, "\x00\x17\x00\x01\x04", 5, &head);
		assert_int_equal(msg_server_hello(b.data, b.len, &sh), 0);
		assert_false(sh.hrr);
		buf_free(&b);
	}
}

static void test_sh_duplicate_extension(void **state UNUSED)
{
	uint8_t random[32];
	struct server_hello sh;
	struct wr w;
	struct buf b;
	size_t all;

	plain_random(random);
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0xC02F);
	all = wr_open_vec(&w, 2);
	ext_raw(&w, EXT_EXTENDED_MASTER_SECRET, "", 0);
	ext_raw(&w, EXT_RENEGOTIATION_INFO, "\x00", 1);
	ext_raw(&w, EXT_EXTENDED_MASTER_SECRET, "", 0);
	wr_close_vec(&w, all, 2);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
}

static void test_sh_many_extensions(void **state UNUSED)
{
	/* more than MSG_MAX_EXTS: the first are kept, all are checked */
	uint8_t random[32];
	struct server_hello sh;
	struct wr w;
	struct buf b;
	size_t all;

	plain_random(random);
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0xC02F);
	all = wr_open_vec(&w, 2);
	for (uint16_t t = 0; t < 40; t++)
		ext_raw(&w, (uint16_t)(0x2000 + t), "", 0);
	wr_close_vec(&w, all, 2);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), 0);
	assert_int_equal(sh.nexts, MSG_MAX_EXTS);
	assert_int_equal(sh.exts[MSG_MAX_EXTS - 1], 0x2000 + MSG_MAX_EXTS - 1);
	buf_free(&b);
}

static void test_sh_duplicate_beyond_kept_extensions(void **state UNUSED)
{
	/* RFC 8446 4.2: a type twice is an error wherever it is, also past
	 * the MSG_MAX_EXTS types that are kept. */
	uint8_t random[32];
	int rc;
	struct server_hello sh;
	struct wr w;
	struct buf b;
	size_t all;

	plain_random(random);
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0xC02F);
	all = wr_open_vec(&w, 2);
	for (uint16_t t = 0; t < 35; t++)
		ext_raw(&w, (uint16_t)(0x2000 + t), "", 0);
	ext_raw(&w, 0x2000 + 34, "", 0);
	wr_close_vec(&w, all, 2);
	w_end(&w);
	rc = msg_server_hello(b.data, b.len, &sh);
	buf_free(&b);
	assert_int_equal(rc, -1);
}

static void test_sh_bad_lengths(void **state UNUSED)
{
	uint8_t random[32];
	struct server_hello sh;
	struct wr w;
	struct buf b;
	size_t all;

	plain_random(random);
	/* legacy_session_id<0..32>: 33 is too long */
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 33, 0xC02F);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);

	/* supported_versions with a byte too many */
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0x1301);
	all = wr_open_vec(&w, 2);
	ext_raw(&w, EXT_SUPPORTED_VERSIONS, "\x03\x04\x00", 3);
	wr_close_vec(&w, all, 2);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);

	/* ec_point_formats<1..2^8-1>: not empty */
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0xC02F);
	all = wr_open_vec(&w, 2);
	ext_raw(&w, EXT_EC_POINT_FORMATS, "\x00", 1);
	wr_close_vec(&w, all, 2);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);

	/* renegotiation_info whose inner length overruns it */
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0xC02F);
	all = wr_open_vec(&w, 2);
	ext_raw(&w, EXT_RENEGOTIATION_INFO, "\x05\x00", 2);
	wr_close_vec(&w, all, 2);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);

	/* an extension block that claims more than there is */
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0xC02F);
	wr_u16(&w, 4);
	wr_bytes(&w, "\x00\x17\x00", 3);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);

	/* an extension that claims more than its block */
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0xC02F);
	wr_u16(&w, 6);
	wr_bytes(&w, "\x00\x17\x00\x05\x00\x00", 6);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);

	/* a lone byte after compression: half an extension block length */
	w_begin(&w, &b);
	sh_head(&w, V_TLS12, random, 0, 0xC02F);
	wr_u8(&w, 0);
	w_end(&w);
	assert_int_equal(msg_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);

	assert_int_equal(msg_server_hello(NULL, 0, &sh), -1);
}

static void test_sh_downgrade_sentinels(void **state UNUSED)
{
	/* RFC 8446 4.1.3: the last 8 bytes of the random */
	static const struct {
		const char *tail;
		int want;
	} cases[] = {
	    {"DOWNGRD\x01", 12}, {"DOWNGRD\x00", 11}, {"DOWNGRD\x02", 0},
	    {"DOWNGRE\x01", 0},  {"XOWNGRD\x01", 0},
	};
	uint8_t random[32];
	struct server_hello sh;
	struct wr w;
	struct buf b;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		plain_random(random);
		memcpy(random + 24, cases[i].tail, 8);
		w_begin(&w, &b);
		sh_head(&w, V_TLS12, random, 0, 0xC02F);
		w_end(&w);
		assert_int_equal(msg_server_hello(b.data, b.len, &sh), 0);
		assert_int_equal(sh.downgrade, cases[i].want);
		buf_free(&b);
	}
}

/* ---------------------------------------------------------- Certificate */

/* A Certificate message with n certs of lens[i] bytes each (byte value i). */
static void cert_msg(struct buf *b, const size_t *lens, size_t n)
{
	struct wr w;
	size_t list;
	w_begin(&w, b);
	list = wr_open_vec(&w, 3);
	for (size_t i = 0; i < n; i++) {
		size_t c = wr_open_vec(&w, 3);
		for (size_t k = 0; k < lens[i]; k++)
			wr_u8(&w, (uint8_t)(0xC0 + i));
		wr_close_vec(&w, c, 3);
	}
	wr_close_vec(&w, list, 3);
	w_end(&w);
}

static void assert_cert_prefixes_fail(const struct buf *b)
{
	struct certificate_list cl;
	struct buf c;
	for (size_t i = 0; i < b->len; i++)
		assert_int_equal(msg_certificate(b->data, i, &cl), -1);
	buf_init(&c, MSG_MAX);
	tu_buf_add(&c, b->data, b->len);
	tu_buf_add(&c, "\x00", 1);
	assert_int_equal(msg_certificate(c.data, c.len, &cl), -1);
	buf_free(&c);
}

static void test_certificate_counts(void **state UNUSED)
{
	static const size_t lens[] = {700, 1, 300};
	struct certificate_list cl;
	struct buf b;

	cert_msg(&b, lens, 0);
	assert_int_equal(b.len, 3);
	assert_int_equal(msg_certificate(b.data, b.len, &cl), 0);
	assert_int_equal(cl.ncerts, 0);
	assert_cert_prefixes_fail(&b);
	buf_free(&b);

	cert_msg(&b, lens, 1);
	assert_int_equal(msg_certificate(b.data, b.len, &cl), 0);
	assert_int_equal(cl.ncerts, 1);
	assert_int_equal(cl.len[0], 700);
	assert_ptr_equal(cl.der[0], b.data + 6);
	assert_cert_prefixes_fail(&b);
	buf_free(&b);

	cert_msg(&b, lens, 3);
	assert_int_equal(msg_certificate(b.data, b.len, &cl), 0);
	assert_int_equal(cl.ncerts, 3);
	assert_int_equal(cl.len[0], 700);
	assert_int_equal(cl.len[1], 1);
	assert_int_equal(cl.len[2], 300);
	assert_ptr_equal(cl.der[0], b.data + 6);
	assert_ptr_equal(cl.der[1], b.data + 6 + 700 + 3);
	assert_ptr_equal(cl.der[2], b.data + 6 + 700 + 3 + 1 + 3);
	assert_int_equal(cl.der[1][0], 0xC1);
	assert_int_equal(cl.der[2][299], 0xC2);
	assert_cert_prefixes_fail(&b);
	buf_free(&b);
}

static void test_certificate_more_than_kept(void **state UNUSED)
{
	size_t lens[MSG_MAX_CERTS + 4];
	struct certificate_list cl;
	struct buf b;

	for (size_t i = 0; i < ARRAY_LEN(lens); i++)
		lens[i] = 10 + i;
	cert_msg(&b, lens, ARRAY_LEN(lens));
	assert_int_equal(msg_certificate(b.data, b.len, &cl), 0);
	assert_int_equal(cl.ncerts, MSG_MAX_CERTS + 4);
	assert_int_equal(cl.len[MSG_MAX_CERTS - 1], 10 + MSG_MAX_CERTS - 1);
	buf_free(&b);
}

static void test_certificate_bad_lengths(void **state UNUSED)
{
	struct certificate_list cl;
	/* an empty certificate: ASN.1Cert<1..2^24-1> */
	static const uint8_t empty_cert[] = {0, 0, 3, 0, 0, 0};
	/* the inner length runs past the list */
	static const uint8_t inner_past[] = {0, 0, 5, 0, 0, 3, 0xAA, 0xBB, 0xCC};
	/* the list runs past the message */
	static const uint8_t list_past[] = {0, 0, 9, 0, 0, 2, 0xAA, 0xBB};
	/* the list ends with 2 bytes that are not a certificate */
	static const uint8_t spare[] = {0, 0, 7, 0, 0, 2, 0xAA, 0xBB, 0, 0};
	/* the list is shorter than the message */
	static const uint8_t trailing[] = {0, 0, 5, 0, 0, 2, 0xAA, 0xBB, 0};

	assert_int_equal(msg_certificate(empty_cert, sizeof empty_cert, &cl), -1);
	assert_int_equal(msg_certificate(inner_past, sizeof inner_past, &cl), -1);
	assert_int_equal(msg_certificate(list_past, sizeof list_past, &cl), -1);
	assert_int_equal(msg_certificate(spare, sizeof spare, &cl), -1);
	assert_int_equal(msg_certificate(trailing, sizeof trailing, &cl), -1);
	assert_int_equal(msg_certificate(NULL, 0, &cl), -1);
}

/* --------------------------------------------------- ServerKeyExchange */

struct ske_case {
	enum ske_kind kind;
	int anon, tls12;
};

static void assert_ske_prefixes_fail(const struct buf *b, struct ske_case c)
{
	struct server_key_exchange ske;
	struct buf x;
	for (size_t i = 0; i < b->len; i++)
		assert_int_equal(msg_server_key_exchange(b->data, i, c.kind, c.anon, c.tls12, &ske),
		                 -1);
	buf_init(&x, MSG_MAX);
	tu_buf_add(&x, b->data, b->len);
	tu_buf_add(&x, "\x00", 1);
	assert_int_equal(msg_server_key_exchange(x.data, x.len, c.kind, c.anon, c.tls12, &ske), -1);
	buf_free(&x);
}

static void wr_fill(struct wr *w, int lenbytes, size_t n, uint8_t v)
{
	size_t m = wr_open_vec(w, lenbytes);
	for (size_t i = 0; i < n; i++)
		wr_u8(w, v);
	wr_close_vec(w, m, lenbytes);
}

static void test_ske_ecdhe_tls12(void **state UNUSED)
{
	struct server_key_exchange ske;
	struct wr w;
	struct buf b;

	w_begin(&w, &b);
	wr_u8(&w, 3);          /* named_curve */
	wr_u16(&w, 0x0017);    /* secp256r1 */
	wr_fill(&w, 1, 65, 4); /* ECPoint */
	wr_u16(&w, 0x0403);    /* ecdsa_secp256r1_sha256 */
	wr_fill(&w, 2, 71, 0x30);
	w_end(&w);
	assert_int_equal(msg_server_key_exchange(b.data, b.len, SKE_ECDHE, 0, 1, &ske), 0);
	assert_int_equal(ske.kind, SKE_ECDHE);
	assert_int_equal(ske.curve_type, 3);
	assert_int_equal(ske.curve, 0x0017);
	assert_int_equal(ske.point_len, 65);
	assert_true(ske.signed_);
	assert_int_equal(ske.sigalg, 0x0403);
	assert_int_equal(ske.sig_len, 71);
	assert_null(ske.dh_p);
	assert_ske_prefixes_fail(&b, (struct ske_case){SKE_ECDHE, 0, 1});
	/* read as TLS 1.0 the sigalg is taken for a length */
	assert_int_equal(msg_server_key_exchange(b.data, b.len, SKE_ECDHE, 0, 0, &ske), -1);
	/* read as anonymous the signature is trailing bytes */
	assert_int_equal(msg_server_key_exchange(b.data, b.len, SKE_ECDHE, 1, 1, &ske), -1);
	buf_free(&b);
}

static void test_ske_ecdhe_tls10(void **state UNUSED)
{
	struct server_key_exchange ske;
	struct wr w;
	struct buf b;

	w_begin(&w, &b);
	wr_u8(&w, 3);
	wr_u16(&w, 0x0018);
	wr_fill(&w, 1, 97, 4);
	wr_fill(&w, 2, 256, 0xAA); /* no SignatureAndHashAlgorithm before 1.2 */
	w_end(&w);
	assert_int_equal(msg_server_key_exchange(b.data, b.len, SKE_ECDHE, 0, 0, &ske), 0);
	assert_int_equal(ske.curve, 0x0018);
	assert_int_equal(ske.point_len, 97);
	assert_true(ske.signed_);
	assert_int_equal(ske.sigalg, 0);
	assert_int_equal(ske.sig_len, 256);
	assert_ske_prefixes_fail(&b, (struct ske_case){SKE_ECDHE, 0, 0});
	/* read as TLS 1.2: sigalg 0x0100, then a length of 0xAAAA */
	assert_int_equal(msg_server_key_exchange(b.data, b.len, SKE_ECDHE, 0, 1, &ske), -1);
	buf_free(&b);
}

static void test_ske_ecdhe_bad(void **state UNUSED)
{
	struct server_key_exchange ske;
	/* explicit_prime (1) and explicit_char2 (2) curves are refused, even
	 * where the bytes after them would read as a named curve's */
	static const uint8_t explicit1[] = {1, 0x00, 0x17, 1, 4, 0, 0};
	static const uint8_t explicit2[] = {2, 0x00, 0x17, 1, 4};
	/* ECPoint<1..2^8-1>: not empty */
	static const uint8_t empty_point[] = {3, 0x00, 0x17, 0, 0, 0};
	/* anonymous ECDHE: just the parameters and the point */
	static const uint8_t anon[] = {3, 0x00, 0x1d, 2, 9, 9};

	assert_int_equal(
	    msg_server_key_exchange(explicit1, sizeof explicit1, SKE_ECDHE, 0, 0, &ske), -1);
	assert_int_equal(
	    msg_server_key_exchange(explicit2, sizeof explicit2, SKE_ECDHE, 1, 0, &ske), -1);
	assert_int_equal(
	    msg_server_key_exchange(explicit2, sizeof explicit2, SKE_ECDHE, 1, 1, &ske), -1);
	assert_int_equal(
	    msg_server_key_exchange(empty_point, sizeof empty_point, SKE_ECDHE, 0, 0, &ske), -1);
	assert_int_equal(msg_server_key_exchange(anon, sizeof anon, SKE_ECDHE, 1, 1, &ske), 0);
	assert_false(ske.signed_);
	assert_int_equal(ske.curve, 0x001d);
	assert_int_equal(ske.point_len, 2);
	assert_int_equal(ske.sig_len, 0);
	assert_int_equal(msg_server_key_exchange(NULL, 0, SKE_ECDHE, 1, 0, &ske), -1);
}

static void test_ske_dhe(void **state UNUSED)
{
	struct server_key_exchange ske;
	struct wr w;
	struct buf b;

	w_begin(&w, &b);
	wr_fill(&w, 2, 256, 0xFF); /* dh_p */
	wr_fill(&w, 2, 1, 0x02);   /* dh_g */
	wr_fill(&w, 2, 255, 0x5C); /* dh_Ys */
	wr_u16(&w, 0x0401);
	wr_fill(&w, 2, 256, 0x11);
	w_end(&w);
	assert_int_equal(msg_server_key_exchange(b.data, b.len, SKE_DHE, 0, 1, &ske), 0);
	assert_int_equal(ske.kind, SKE_DHE);
	assert_ptr_equal(ske.dh_p, b.data + 2);
	assert_int_equal(ske.dh_p_len, 256);
	assert_ptr_equal(ske.dh_g, b.data + 2 + 256 + 2);
	assert_int_equal(ske.dh_g_len, 1);
	assert_int_equal(ske.dh_g[0], 2);
	assert_int_equal(ske.dh_ys_len, 255);
	assert_int_equal(ske.sigalg, 0x0401);
	assert_int_equal(ske.sig_len, 256);
	assert_true(ske.signed_);
	assert_ske_prefixes_fail(&b, (struct ske_case){SKE_DHE, 0, 1});
	buf_free(&b);
}

static void test_ske_dhe_anonymous(void **state UNUSED)
{
	struct server_key_exchange ske;
	struct wr w;
	struct buf b;

	w_begin(&w, &b);
	wr_fill(&w, 2, 128, 0xFF);
	wr_fill(&w, 2, 1, 0x05);
	wr_fill(&w, 2, 128, 0x33);
	w_end(&w);
	assert_int_equal(msg_server_key_exchange(b.data, b.len, SKE_DHE, 1, 1, &ske), 0);
	assert_false(ske.signed_);
	assert_int_equal(ske.dh_p_len, 128);
	assert_int_equal(ske.dh_g[0], 5);
	assert_int_equal(ske.dh_ys_len, 128);
	assert_int_equal(ske.sigalg, 0);
	assert_int_equal(ske.sig_len, 0);
	assert_ske_prefixes_fail(&b, (struct ske_case){SKE_DHE, 1, 1});
	/* a signed reading needs the signature */
	assert_int_equal(msg_server_key_exchange(b.data, b.len, SKE_DHE, 0, 0, &ske), -1);
	buf_free(&b);

	/* dh_p, dh_g, dh_Ys<1..2^16-1>: none may be empty */
	assert_int_equal(
	    msg_server_key_exchange((const uint8_t *)"\x00\x00\x00\x01\x02\x00\x01\x03", 8, SKE_DHE,
	                            1, 0, &ske),
	    -1);
	assert_int_equal(
	    msg_server_key_exchange((const uint8_t *)"\x00\x01\xff\x00\x00\x00\x01\x03", 8, SKE_DHE,
	                            1, 0, &ske),
	    -1);
	assert_int_equal(
	    msg_server_key_exchange((const uint8_t *)"\x00\x01\xff\x00\x01\x02\x00\x00", 8, SKE_DHE,
	                            1, 0, &ske),
	    -1);
	assert_int_equal(
	    msg_server_key_exchange((const uint8_t *)"\x00\x01\xff\x00\x01\x02\x00\x01\x03", 9,
	                            SKE_DHE, 1, 0, &ske),
	    0);
}

static void test_ske_rsa_export(void **state UNUSED)
{
	struct server_key_exchange ske;
	struct wr w;
	struct buf b;

	w_begin(&w, &b);
	wr_fill(&w, 2, 64, 0xC3);                /* rsa_modulus: 512 bits */
	wr_bytes(&w, "\x00\x03\x01\x00\x01", 5); /* rsa_exponent 65537 */
	wr_fill(&w, 2, 64, 0x99);                /* MD5+SHA1 signature */
	w_end(&w);
	assert_int_equal(msg_server_key_exchange(b.data, b.len, SKE_RSA, 0, 0, &ske), 0);
	assert_int_equal(ske.kind, SKE_RSA);
	assert_int_equal(ske.rsa_mod_len, 64);
	assert_true(ske.signed_);
	assert_int_equal(ske.sig_len, 64);
	assert_int_equal(ske.sigalg, 0);
	assert_ske_prefixes_fail(&b, (struct ske_case){SKE_RSA, 0, 0});
	buf_free(&b);
}

static void test_ske_empty_signature(void **state UNUSED)
{
	/* signature<0..2^16-1>: an empty one is well formed */
	struct server_key_exchange ske;
	static const uint8_t m[] = {3, 0x00, 0x17, 1, 4, 0x04, 0x01, 0x00, 0x00};
	assert_int_equal(msg_server_key_exchange(m, sizeof m, SKE_ECDHE, 0, 1, &ske), 0);
	assert_true(ske.signed_);
	assert_int_equal(ske.sigalg, 0x0401);
	assert_int_equal(ske.sig_len, 0);
}

/* --------------------------------------------------- CertificateStatus */

static void test_certificate_status(void **state UNUSED)
{
	static const uint8_t good[] = {1, 0, 0, 5, 0x30, 0x03, 0x0a, 0x01, 0x00};
	static const uint8_t empty[] = {1, 0, 0, 0};
	static const uint8_t past[] = {1, 0, 0, 6, 0x30, 0x03, 0x0a, 0x01, 0x00};
	uint8_t type = 0xEE;
	size_t len = 99;
	struct buf b;

	assert_int_equal(msg_certificate_status(good, sizeof good, &type, &len), 0);
	assert_int_equal(type, 1);
	assert_int_equal(len, 5);
	for (size_t i = 0; i < sizeof good; i++)
		assert_int_equal(msg_certificate_status(good, i, &type, &len), -1);
	buf_init(&b, 64);
	tu_buf_add(&b, good, sizeof good);
	tu_buf_add(&b, "\x00", 1);
	assert_int_equal(msg_certificate_status(b.data, b.len, &type, &len), -1);
	buf_free(&b);
	/* OCSPResponse<1..2^24-1> */
	assert_int_equal(msg_certificate_status(empty, sizeof empty, &type, &len), -1);
	assert_int_equal(msg_certificate_status(past, sizeof past, &type, &len), -1);
}

/* ----------------------------------------------------- SSLv2 SERVER-HELLO */

static void v2_hello(struct buf *b, uint8_t type, uint16_t cert_len, uint16_t specs_len,
                     size_t nspecs_written, uint16_t conn_id_len)
{
	struct wr w;
	w_begin(&w, b);
	wr_u8(&w, type);
	wr_u8(&w, 0); /* session id hit */
	wr_u8(&w, 1); /* SSL_CT_X509_CERTIFICATE */
	wr_u16(&w, 0x0002);
	wr_u16(&w, cert_len);
	wr_u16(&w, specs_len);
	wr_u16(&w, conn_id_len);
	for (size_t i = 0; i < cert_len; i++)
		wr_u8(&w, 0x30);
	for (size_t i = 0; i < nspecs_written; i++)
		wr_u24(&w, (uint32_t)(0x010080 + (i << 16)));
	for (size_t i = 0; i < conn_id_len; i++)
		wr_u8(&w, 0xCD);
	w_end(&w);
}

static void test_sslv2_server_hello(void **state UNUSED)
{
	struct sslv2_server_hello sh;
	struct buf b, c;

	v2_hello(&b, 4, 20, 9, 3, 16);
	assert_int_equal(msg_sslv2_server_hello(b.data, b.len, &sh), 0);
	assert_int_equal(sh.session_id_hit, 0);
	assert_int_equal(sh.certificate_type, 1);
	assert_int_equal(sh.version, 0x0002);
	assert_int_equal(sh.cert_len, 20);
	assert_int_equal(sh.nspecs, 3);
	assert_int_equal(sh.specs[0], 0x010080);
	assert_int_equal(sh.specs[1], 0x020080);
	assert_int_equal(sh.specs[2], 0x030080);
	for (size_t i = 0; i < b.len; i++)
		assert_int_equal(msg_sslv2_server_hello(b.data, i, &sh), -1);
	buf_init(&c, MSG_MAX);
	tu_buf_add(&c, b.data, b.len);
	tu_buf_add(&c, "\x00", 1);
	assert_int_equal(msg_sslv2_server_hello(c.data, c.len, &sh), -1);
	buf_free(&c);
	buf_free(&b);

	/* 32 is the longest connection id */
	v2_hello(&b, 4, 0, 3, 1, 32);
	assert_int_equal(msg_sslv2_server_hello(b.data, b.len, &sh), 0);
	assert_int_equal(sh.nspecs, 1);
	buf_free(&b);
}

static void test_sslv2_server_hello_many_specs(void **state UNUSED)
{
	struct sslv2_server_hello sh;
	struct buf b;
	v2_hello(&b, 4, 0, 200 * 3, 200, 16);
	assert_int_equal(msg_sslv2_server_hello(b.data, b.len, &sh), 0);
	assert_int_equal(sh.nspecs, 128);
	assert_int_equal(sh.specs[127], 0x010080 + (127u << 16));
	buf_free(&b);
}

static void test_sslv2_server_hello_bad(void **state UNUSED)
{
	struct sslv2_server_hello sh;
	struct buf b;

	v2_hello(&b, 5, 0, 3, 1, 16); /* not SERVER-HELLO */
	assert_int_equal(msg_sslv2_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
	/* specs length not a multiple of 3 (rounded down, the rest would fit) */
	v2_hello(&b, 4, 0, 5, 1, 16);
	assert_int_equal(msg_sslv2_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
	v2_hello(&b, 4, 0, 6, 1, 16); /* specs length past the message */
	assert_int_equal(msg_sslv2_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
	v2_hello(&b, 4, 0, 3, 1, 0); /* no connection id */
	assert_int_equal(msg_sslv2_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
	v2_hello(&b, 4, 0, 3, 1, 33); /* connection id too long */
	assert_int_equal(msg_sslv2_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
	v2_hello(&b, 4, 40, 3, 1, 16); /* certificate longer than the message */
	b.len -= 30;
	assert_int_equal(msg_sslv2_server_hello(b.data, b.len, &sh), -1);
	buf_free(&b);
}

static void test_sslv2_connection_id_too_short(void **state UNUSED)
{
	/* msg.c: "SSL 2.0 allows a connection id of 16..32 bytes" */
	struct sslv2_server_hello sh;
	struct buf b;
	int rc15, rc1;
	v2_hello(&b, 4, 0, 3, 1, 15);
	rc15 = msg_sslv2_server_hello(b.data, b.len, &sh);
	buf_free(&b);
	v2_hello(&b, 4, 0, 3, 1, 1);
	rc1 = msg_sslv2_server_hello(b.data, b.len, &sh);
	buf_free(&b);
	assert_int_equal(rc15, -1);
	assert_int_equal(rc1, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sh_tls12_without_extensions),
	    cmocka_unit_test(test_sh_tls12_with_extensions),
	    cmocka_unit_test(test_sh_empty_extension_block),
	    cmocka_unit_test(test_sh_reneg_info_not_empty),
	    cmocka_unit_test(test_sh_tls13),
	    cmocka_unit_test(test_sh_tls13_bad_key_share),
	    cmocka_unit_test(test_hrr),
	    cmocka_unit_test(test_sh_duplicate_extension),
	    cmocka_unit_test(test_sh_many_extensions),
	    cmocka_unit_test(test_sh_duplicate_beyond_kept_extensions),
	    cmocka_unit_test(test_sh_bad_lengths),
	    cmocka_unit_test(test_sh_downgrade_sentinels),
	    cmocka_unit_test(test_certificate_counts),
	    cmocka_unit_test(test_certificate_more_than_kept),
	    cmocka_unit_test(test_certificate_bad_lengths),
	    cmocka_unit_test(test_ske_ecdhe_tls12),
	    cmocka_unit_test(test_ske_ecdhe_tls10),
	    cmocka_unit_test(test_ske_ecdhe_bad),
	    cmocka_unit_test(test_ske_dhe),
	    cmocka_unit_test(test_ske_dhe_anonymous),
	    cmocka_unit_test(test_ske_rsa_export),
	    cmocka_unit_test(test_ske_empty_signature),
	    cmocka_unit_test(test_certificate_status),
	    cmocka_unit_test(test_sslv2_server_hello),
	    cmocka_unit_test(test_sslv2_server_hello_many_specs),
	    cmocka_unit_test(test_sslv2_server_hello_bad),
	    cmocka_unit_test(test_sslv2_connection_id_too_short),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
