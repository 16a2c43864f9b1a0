/* test_hello.c - the ClientHello writer, read back by an independent parser
 * written here with the checked cursor (records, handshake header, body,
 * every extension), and cross-checked against OpenSSL's own server code
 * fed through memory BIOs: a TLS 1.2 and a TLS 1.3 hello get a ServerHello. */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/mem.h"
#include "core/rd.h"
#include "tls/hello.h"
#include "tls/msg.h"
#include "tls/record.h"

#define OUT_MAX (1 << 18)
#define MAX_EXTS 64
#define MAX_RECORDS 16

struct ch_ext {
	uint16_t type;
	const uint8_t *body;
	size_t len;
};

/* A ClientHello as read back from the wire. */
struct ch {
	struct buf msg; /* the handshake message, reassembled from its records */
	size_t nrecords;
	size_t rec_len[MAX_RECORDS];
	uint16_t rec_version;
	uint32_t hs_len;
	uint16_t legacy_version;
	uint8_t random[32];
	uint8_t sid[32];
	size_t sid_len;
	uint16_t *ciphers;
	size_t nciphers;
	uint8_t comp[255];
	size_t ncomp;
	int has_exts;
	struct ch_ext ext[MAX_EXTS];
	size_t next;
};

/* Every record must be a handshake record of 1..2^14 bytes with the same
 * version; the message inside must be a client_hello whose 3-byte length
 * covers exactly the rest, and every block inside must be used up. */
static void ch_parse(const struct buf *out, struct ch *ch)
{
	struct rd r, m, body, sid, cs, cm, exts;
	uint8_t type;

	memset(ch, 0, sizeof(*ch));
	buf_init(&ch->msg, OUT_MAX);
	rd_init(&r, out->data, out->len);
	while (rd_left(&r) > 0) {
		struct rd frag;
		uint16_t ver;
		rd_u8(&r, &type);
		rd_u16(&r, &ver);
		rd_vec(&r, 2, 1, 16384, &frag);
		assert_false(rd_failed(&r));
		assert_int_equal(type, 22);
		if (ch->nrecords == 0)
			ch->rec_version = ver;
		assert_int_equal(ver, ch->rec_version);
		assert_true(ch->nrecords < MAX_RECORDS);
		ch->rec_len[ch->nrecords++] = rd_left(&frag);
		tu_buf_add(&ch->msg, frag.p, rd_left(&frag));
	}
	assert_true(rd_done(&r));
	assert_true(ch->nrecords >= 1);

	rd_init(&m, ch->msg.data, ch->msg.len);
	rd_u8(&m, &type);
	assert_int_equal(type, 1);
	rd_vec(&m, 3, 0, 0xffffff, &body);
	assert_true(rd_done(&m));
	ch->hs_len = (uint32_t)(ch->msg.len - 4);

	rd_u16(&body, &ch->legacy_version);
	rd_bytes(&body, ch->random, sizeof ch->random);
	rd_vec(&body, 1, 0, 32, &sid);
	ch->sid_len = rd_left(&sid);
	rd_bytes(&sid, ch->sid, ch->sid_len);
	assert_true(rd_done(&sid));
	rd_vec(&body, 2, 2, 0xfffe, &cs);
	assert_false(rd_failed(&body));
	assert_int_equal(rd_left(&cs) % 2, 0);
	ch->nciphers = rd_left(&cs) / 2;
	ch->ciphers = xcalloc(ch->nciphers, sizeof(*ch->ciphers));
	for (size_t i = 0; i < ch->nciphers; i++)
		rd_u16(&cs, &ch->ciphers[i]);
	assert_true(rd_done(&cs));
	rd_vec(&body, 1, 1, 255, &cm);
	ch->ncomp = rd_left(&cm);
	rd_bytes(&cm, ch->comp, ch->ncomp);
	assert_true(rd_done(&cm));
	if (rd_left(&body) > 0) {
		ch->has_exts = 1;
		rd_vec(&body, 2, 0, 0xffff, &exts);
		while (rd_left(&exts) > 0) {
			struct rd e;
			assert_true(ch->next < MAX_EXTS);
			rd_u16(&exts, &ch->ext[ch->next].type);
			rd_vec(&exts, 2, 0, 0xffff, &e);
			assert_false(rd_failed(&exts));
			ch->ext[ch->next].len = rd_left(&e);
			ch->ext[ch->next].body = e.p;
			ch->next++;
		}
		assert_true(rd_done(&exts));
	}
	assert_true(rd_done(&body));
}

static void ch_free(struct ch *ch)
{
	buf_free(&ch->msg);
	free(ch->ciphers);
}

/* Build with o and parse; out keeps the wire bytes. */
static void build(const struct hello_opts *o, struct buf *out, struct ch *ch)
{
	buf_init(out, OUT_MAX);
	assert_int_equal(hello_build(out, o), 0);
	ch_parse(out, ch);
}

static const struct ch_ext *ext_find(const struct ch *ch, uint16_t type)
{
	const struct ch_ext *found = NULL;
	for (size_t i = 0; i < ch->next; i++) {
		if (ch->ext[i].type == type) {
			assert_null(found); /* never twice */
			found = &ch->ext[i];
		}
	}
	return found;
}

static void assert_ext_types(const struct ch *ch, const uint16_t *types, size_t n)
{
	assert_int_equal(ch->next, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ch->ext[i].type, types[i]);
}

/* A <2..2^16-2> list of uint16 inside an extension, read into v. */
static size_t u16_list(const struct ch_ext *e, int lenbytes, uint16_t *v, size_t max)
{
	struct rd r, l;
	size_t n = 0;
	assert_non_null(e);
	rd_init(&r, e->body, e->len);
	rd_vec(&r, lenbytes, 0, 0xffff, &l);
	assert_true(rd_done(&r));
	assert_int_equal(rd_left(&l) % 2, 0);
	while (rd_left(&l) > 0) {
		assert_true(n < max);
		rd_u16(&l, &v[n++]);
	}
	assert_true(rd_done(&l));
	return n;
}

static void assert_u16_equal(const uint16_t *got, size_t ngot, const uint16_t *want, size_t nwant)
{
	assert_int_equal(ngot, nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_int_equal(got[i], want[i]);
}

/* RFC 8701: 0x?A?A with both nibbles equal. */
static int is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 12) == ((v >> 4) & 0x0f);
}

static const uint16_t suites12[] = {0xC02F, 0xC030, 0x009C, 0x002F, 0x000A};
static const uint16_t suites13[] = {0x1301, 0x1302, 0x1303};

/* --------------------------------------------------------------- TLS 1.2 */

static void test_tls12_minimal(void **state UNUSED)
{
	struct hello_opts o = {
	    .version = V_TLS12, .ciphers = suites12, .nciphers = ARRAY_LEN(suites12)};
	static const uint16_t want_exts[] = {EXT_SUPPORTED_GROUPS, EXT_SIGNATURE_ALGORITHMS};
	const uint16_t *dg, *ds;
	size_t ndg = hello_default_groups(&dg), nds = hello_default_sigalgs(&ds);
	uint16_t v[128];
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_int_equal(out.data[0], 22);
	assert_int_equal(ch.rec_version, V_TLS10);
	assert_int_equal(ch.nrecords, 1);
	assert_int_equal(ch.rec_len[0], out.len - 5);
	assert_int_equal(ch.hs_len, out.len - 9);
	assert_int_equal(ch.legacy_version, V_TLS12);
	assert_int_equal(ch.sid_len, 0);
	assert_u16_equal(ch.ciphers, ch.nciphers, suites12, ARRAY_LEN(suites12));
	assert_int_equal(ch.ncomp, 1);
	assert_int_equal(ch.comp[0], 0);
	assert_true(ch.has_exts);
	assert_ext_types(&ch, want_exts, ARRAY_LEN(want_exts));
	assert_u16_equal(v, u16_list(ext_find(&ch, EXT_SUPPORTED_GROUPS), 2, v, 128), dg, ndg);
	assert_u16_equal(v, u16_list(ext_find(&ch, EXT_SIGNATURE_ALGORITHMS), 2, v, 128), ds, nds);
	/* The defaults are broad: X25519 and P-256 first, then the rest. */
	assert_int_equal(dg[0], 0x001d);
	assert_int_equal(dg[1], 0x0017);
	assert_true(ndg >= 30);
	assert_true(nds >= 20);
	ch_free(&ch);
	buf_free(&out);
}

static void test_tls12_all_flags(void **state UNUSED)
{
	static const uint16_t groups[] = {0x0017, 0x0018};
	static const uint16_t sigalgs[] = {0x0401, 0x0804};
	struct hello_opts o = {.version = V_TLS12,
	                       .ciphers = suites12,
	                       .nciphers = 1,
	                       .groups = groups,
	                       .ngroups = ARRAY_LEN(groups),
	                       .sigalgs = sigalgs,
	                       .nsigalgs = ARRAY_LEN(sigalgs),
	                       .sni = "mx.example.org",
	                       .flags = HF_SNI | HF_EC_POINT_FORMATS | HF_RENEG_INFO | HF_EMS |
	                                HF_SESSION_TICKET | HF_STATUS_REQUEST};
	static const uint16_t want_exts[] = {EXT_SERVER_NAME,          EXT_STATUS_REQUEST,
	                                     EXT_SUPPORTED_GROUPS,     EXT_EC_POINT_FORMATS,
	                                     EXT_SIGNATURE_ALGORITHMS, EXT_EXTENDED_MASTER_SECRET,
	                                     EXT_SESSION_TICKET,       EXT_RENEGOTIATION_INFO};
	/* RFC 6066 3: list length 17, host_name(0), name length 14 */
	static const uint8_t sni[] = "\x00\x11\x00\x00\016mx.example.org";
	uint16_t v[8];
	const struct ch_ext *e;
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_ext_types(&ch, want_exts, ARRAY_LEN(want_exts));
	e = ext_find(&ch, EXT_SERVER_NAME);
	assert_int_equal(e->len, sizeof sni - 1);
	assert_memory_equal(e->body, sni, sizeof sni - 1);
	e = ext_find(&ch, EXT_STATUS_REQUEST);
	assert_int_equal(e->len, 5);
	assert_memory_equal(e->body, "\x01\x00\x00\x00\x00", 5);
	assert_u16_equal(v, u16_list(ext_find(&ch, EXT_SUPPORTED_GROUPS), 2, v, 8), groups, 2);
	assert_u16_equal(v, u16_list(ext_find(&ch, EXT_SIGNATURE_ALGORITHMS), 2, v, 8), sigalgs, 2);
	e = ext_find(&ch, EXT_EC_POINT_FORMATS);
	assert_int_equal(e->len, 4);
	assert_memory_equal(e->body, "\x03\x00\x01\x02", 4);
	assert_int_equal(ext_find(&ch, EXT_EXTENDED_MASTER_SECRET)->len, 0);
	assert_int_equal(ext_find(&ch, EXT_SESSION_TICKET)->len, 0);
	e = ext_find(&ch, EXT_RENEGOTIATION_INFO);
	assert_int_equal(e->len, 1);
	assert_int_equal(e->body[0], 0);
	/* TLS 1.3 extensions only in TLS 1.3 hellos */
	assert_null(ext_find(&ch, EXT_SUPPORTED_VERSIONS));
	assert_null(ext_find(&ch, EXT_KEY_SHARE));
	assert_null(ext_find(&ch, EXT_PSK_KEY_EXCHANGE_MODES));
	ch_free(&ch);
	buf_free(&out);
}

static void test_sni_flag_without_name(void **state UNUSED)
{
	/* HF_SNI without a name (an IP literal target) sends no server_name. */
	struct hello_opts o = {
	    .version = V_TLS12, .ciphers = suites12, .nciphers = 2, .flags = HF_SNI};
	struct hello_opts o2 = {
	    .version = V_TLS12, .ciphers = suites12, .nciphers = 2, .sni = "ignored.example"};
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_null(ext_find(&ch, EXT_SERVER_NAME));
	ch_free(&ch);
	buf_free(&out);
	/* ... and a name without the flag neither. */
	build(&o2, &out, &ch);
	assert_null(ext_find(&ch, EXT_SERVER_NAME));
	assert_false(tu_contains(out.data, out.len, LIT("ignored.example")));
	ch_free(&ch);
	buf_free(&out);
}

static void test_scsv(void **state UNUSED)
{
	struct hello_opts o = {
	    .version = V_TLS12, .ciphers = suites12, .nciphers = 3, .flags = HF_RENEG_SCSV};
	static const uint16_t want1[] = {0xC02F, 0xC030, 0x009C, 0x00FF};
	static const uint16_t want2[] = {0xC02F, 0xC030, 0x009C, 0x00FF, 0x5600};
	static const uint16_t want3[] = {0xC02F, 0xC030, 0x009C, 0x5600};
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_u16_equal(ch.ciphers, ch.nciphers, want1, ARRAY_LEN(want1));
	/* The SCSV replaces nothing: no renegotiation_info extension. */
	assert_null(ext_find(&ch, EXT_RENEGOTIATION_INFO));
	ch_free(&ch);
	buf_free(&out);

	o.flags = HF_RENEG_SCSV | HF_FALLBACK_SCSV;
	build(&o, &out, &ch);
	assert_u16_equal(ch.ciphers, ch.nciphers, want2, ARRAY_LEN(want2));
	ch_free(&ch);
	buf_free(&out);

	o.flags = HF_FALLBACK_SCSV;
	build(&o, &out, &ch);
	assert_u16_equal(ch.ciphers, ch.nciphers, want3, ARRAY_LEN(want3));
	ch_free(&ch);
	buf_free(&out);
}

static void test_compression_list(void **state UNUSED)
{
	static const uint8_t comp[] = {1, 0x40, 0};
	struct hello_opts o = {.version = V_TLS12,
	                       .ciphers = suites12,
	                       .nciphers = 1,
	                       .compression = comp,
	                       .ncompression = ARRAY_LEN(comp)};
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_int_equal(ch.ncomp, 3);
	assert_memory_equal(ch.comp, comp, 3);
	ch_free(&ch);
	buf_free(&out);
}

static void test_old_versions(void **state UNUSED)
{
	struct hello_opts o = {.version = V_TLS11,
	                       .ciphers = suites12 + 3,
	                       .nciphers = 2,
	                       .flags = HF_EC_POINT_FORMATS};
	static const uint16_t want_exts[] = {EXT_SUPPORTED_GROUPS, EXT_EC_POINT_FORMATS};
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_int_equal(ch.rec_version, V_TLS10);
	assert_int_equal(ch.legacy_version, V_TLS11);
	/* RFC 5246 7.4.1.4.1: signature_algorithms is TLS 1.2 only */
	assert_ext_types(&ch, want_exts, ARRAY_LEN(want_exts));
	ch_free(&ch);
	buf_free(&out);

	o.version = V_TLS10;
	build(&o, &out, &ch);
	assert_int_equal(ch.rec_version, V_TLS10);
	assert_int_equal(ch.legacy_version, V_TLS10);
	assert_ext_types(&ch, want_exts, ARRAY_LEN(want_exts));
	ch_free(&ch);
	buf_free(&out);
}

static void test_sslv3_has_no_extension_block(void **state UNUSED)
{
	/* Whatever the flags ask, an SSLv3 hello ends after compression. */
	struct hello_opts o = {.version = V_SSL3,
	                       .ciphers = suites12 + 3,
	                       .nciphers = 2,
	                       .sni = "mx.example.org",
	                       .flags = HF_SNI | HF_RENEG_INFO | HF_EMS | HF_RENEG_SCSV};
	static const uint16_t want[] = {0x002F, 0x000A, 0x00FF};
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_int_equal(ch.rec_version, V_SSL3);
	assert_int_equal(ch.legacy_version, V_SSL3);
	assert_u16_equal(ch.ciphers, ch.nciphers, want, ARRAY_LEN(want));
	assert_false(ch.has_exts);
	/* 2 version + 32 random + 1 sid + 2+6 suites + 2 compression */
	assert_int_equal(ch.hs_len, 45);
	assert_int_equal(out.len, 5 + 4 + 45);
	ch_free(&ch);
	buf_free(&out);
}

static void test_no_extensions_flag(void **state UNUSED)
{
	struct hello_opts o = {.version = V_TLS12,
	                       .ciphers = suites12,
	                       .nciphers = 1,
	                       .sni = "mx.example.org",
	                       .flags = HF_NO_EXTENSIONS | HF_SNI | HF_EMS};
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_int_equal(ch.legacy_version, V_TLS12);
	assert_false(ch.has_exts);
	assert_int_equal(ch.hs_len, 2 + 32 + 1 + 2 + 2 + 2);
	ch_free(&ch);
	buf_free(&out);
}

static void test_record_version_override(void **state UNUSED)
{
	struct hello_opts o = {.version = V_TLS12,
	                       .ciphers = suites12,
	                       .nciphers = 1,
	                       .record_version = V_TLS12,
	                       .pad_to = 17000};
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_int_equal(ch.nrecords, 2);
	assert_int_equal(ch.rec_version, V_TLS12); /* every record checked */
	ch_free(&ch);
	buf_free(&out);
}

/* --------------------------------------------------------------- TLS 1.3 */

static void test_tls13(void **state UNUSED)
{
	static const uint16_t shares[] = {0x001d, 0x0017};
	struct hello_opts o = {.version = V_TLS13,
	                       .ciphers = suites13,
	                       .nciphers = ARRAY_LEN(suites13),
	                       .key_shares = shares,
	                       .nkey_shares = ARRAY_LEN(shares),
	                       .sni = "mx.example.org",
	                       .flags = HF_SNI | HF_RENEG_INFO};
	static const uint16_t want_exts[] = {
	    EXT_SERVER_NAME,        EXT_SUPPORTED_GROUPS,       EXT_SIGNATURE_ALGORITHMS,
	    EXT_SUPPORTED_VERSIONS, EXT_PSK_KEY_EXCHANGE_MODES, EXT_KEY_SHARE,
	    EXT_RENEGOTIATION_INFO};
	static const uint16_t versions[] = {V_TLS13, V_TLS12, V_TLS11, V_TLS10};
	uint16_t v[8];
	const struct ch_ext *e;
	struct rd r, l, k;
	uint16_t group;
	uint8_t b;
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_int_equal(ch.rec_version, V_TLS10);
	assert_int_equal(ch.legacy_version, V_TLS12);
	assert_int_equal(ch.sid_len, 32);
	assert_u16_equal(ch.ciphers, ch.nciphers, suites13, ARRAY_LEN(suites13));
	assert_ext_types(&ch, want_exts, ARRAY_LEN(want_exts));
	assert_u16_equal(v, u16_list(ext_find(&ch, EXT_SUPPORTED_VERSIONS), 1, v, 8), versions,
	                 ARRAY_LEN(versions));
	e = ext_find(&ch, EXT_PSK_KEY_EXCHANGE_MODES);
	assert_int_equal(e->len, 2);
	assert_memory_equal(e->body, "\x01\x01", 2); /* psk_dhe_ke */

	/* RFC 8446 4.2.8: client_shares<0..2^16-1> of (group, key_exchange) */
	e = ext_find(&ch, EXT_KEY_SHARE);
	rd_init(&r, e->body, e->len);
	rd_vec(&r, 2, 0, 0xffff, &l);
	assert_true(rd_done(&r));
	rd_u16(&l, &group);
	rd_vec(&l, 2, 1, 0xffff, &k);
	assert_int_equal(group, 0x001d);
	assert_int_equal(rd_left(&k), 32);
	rd_u16(&l, &group);
	rd_vec(&l, 2, 1, 0xffff, &k);
	assert_int_equal(group, 0x0017);
	assert_int_equal(rd_left(&k), 65);
	rd_u8(&k, &b);
	assert_int_equal(b, 0x04); /* uncompressed point */
	assert_true(rd_done(&l));
	ch_free(&ch);
	buf_free(&out);
}

static void test_tls13_key_shares_without_keys_are_left_out(void **state UNUSED)
{
	/* ffdhe2048 and an unknown group get no key (an empty key_exchange is
	 * illegal, RFC 8446 4.2.8: <1..2^16-1>): they are not sent at all. X448
	 * gets a 56-byte key. */
	static const uint16_t shares[] = {0x0100, 0x001e, 0x7777};
	struct hello_opts o = {.version = V_TLS13,
	                       .ciphers = suites13,
	                       .nciphers = 1,
	                       .key_shares = shares,
	                       .nkey_shares = ARRAY_LEN(shares)};
	const struct ch_ext *e;
	struct rd r, l, k;
	uint16_t group;
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	e = ext_find(&ch, EXT_KEY_SHARE);
	assert_non_null(e);
	rd_init(&r, e->body, e->len);
	rd_vec(&r, 2, 0, 0xffff, &l);
	assert_true(rd_done(&r));
	rd_u16(&l, &group);
	rd_vec(&l, 2, 1, 0xffff, &k);
	assert_int_equal(group, 0x001e);
	assert_int_equal(rd_left(&k), 56);
	assert_true(rd_done(&l));
	ch_free(&ch);
	buf_free(&out);

	/* No shares at all: an empty client_shares asks for an HRR. */
	o.nkey_shares = 0;
	build(&o, &out, &ch);
	e = ext_find(&ch, EXT_KEY_SHARE);
	assert_int_equal(e->len, 2);
	assert_memory_equal(e->body, "\x00\x00", 2);
	ch_free(&ch);
	buf_free(&out);
}

static void test_fresh_random_each_time(void **state UNUSED)
{
	static const uint16_t shares[] = {0x001d};
	struct hello_opts o = {.version = V_TLS13,
	                       .ciphers = suites13,
	                       .nciphers = 1,
	                       .key_shares = shares,
	                       .nkey_shares = 1};
	struct buf out1, out2;
	struct ch a, b;

	build(&o, &out1, &a);
	build(&o, &out2, &b);
	assert_int_equal(out1.len, out2.len);
	assert_memory_not_equal(a.random, b.random, 32);
	assert_memory_not_equal(a.sid, b.sid, 32);
	assert_memory_not_equal(ext_find(&a, EXT_KEY_SHARE)->body,
	                        ext_find(&b, EXT_KEY_SHARE)->body,
	                        ext_find(&a, EXT_KEY_SHARE)->len);
	ch_free(&a);
	ch_free(&b);
	buf_free(&out1);
	buf_free(&out2);
}

static void test_grease(void **state UNUSED)
{
	struct hello_opts o = {.version = V_TLS13,
	                       .ciphers = suites13,
	                       .nciphers = ARRAY_LEN(suites13),
	                       .flags = HF_GREASE};
	const uint16_t *dg;
	size_t ndg = hello_default_groups(&dg);
	uint16_t v[64];
	size_t n;
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	/* RFC 8701: a GREASE suite first, then the list as given */
	assert_int_equal(ch.nciphers, 1 + ARRAY_LEN(suites13));
	assert_true(is_grease(ch.ciphers[0]));
	assert_u16_equal(ch.ciphers + 1, ch.nciphers - 1, suites13, ARRAY_LEN(suites13));
	/* an empty GREASE extension first, a one-byte one last, distinct */
	assert_true(ch.next >= 3);
	assert_true(is_grease(ch.ext[0].type));
	assert_int_equal(ch.ext[0].len, 0);
	assert_true(is_grease(ch.ext[ch.next - 1].type));
	assert_int_equal(ch.ext[ch.next - 1].len, 1);
	assert_int_equal(ch.ext[ch.next - 1].body[0], 0);
	assert_int_not_equal(ch.ext[0].type, ch.ext[ch.next - 1].type);
	for (size_t i = 1; i + 1 < ch.next; i++)
		assert_false(is_grease(ch.ext[i].type));
	/* GREASE first in supported_groups and supported_versions */
	n = u16_list(ext_find(&ch, EXT_SUPPORTED_GROUPS), 2, v, 64);
	assert_true(is_grease(v[0]));
	assert_u16_equal(v + 1, n - 1, dg, ndg);
	n = u16_list(ext_find(&ch, EXT_SUPPORTED_VERSIONS), 1, v, 64);
	assert_int_equal(n, 5);
	assert_true(is_grease(v[0]));
	assert_int_equal(v[1], V_TLS13);
	ch_free(&ch);
	buf_free(&out);
}

/* --------------------------------------------------------------- padding */

static void test_pad_to(void **state UNUSED)
{
	struct hello_opts o = {
	    .version = V_TLS12, .ciphers = suites12, .nciphers = 2, .pad_to = 512};
	const struct ch_ext *e;
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	/* the handshake message (4-byte header included) is pad_to bytes */
	assert_int_equal(ch.msg.len, 512);
	assert_int_equal(out.len, 5 + 512);
	assert_int_equal(ch.ext[ch.next - 1].type, EXT_PADDING);
	e = ext_find(&ch, EXT_PADDING);
	for (size_t i = 0; i < e->len; i++)
		assert_int_equal(e->body[i], 0);
	ch_free(&ch);
	buf_free(&out);

	/* Already longer: no padding. */
	o.pad_to = 20;
	build(&o, &out, &ch);
	assert_null(ext_find(&ch, EXT_PADDING));
	assert_true(ch.msg.len > 20);
	ch_free(&ch);
	buf_free(&out);
}

static void test_pad_to_exact_with_empty_padding(void **state UNUSED)
{
	/* 4 bytes short of pad_to: an empty padding extension (RFC 7685 3
	 * allows zero bytes) brings the hello to exactly pad_to. */
	struct hello_opts o = {.version = V_TLS12, .ciphers = suites12, .nciphers = 2};
	struct buf out;
	struct ch ch;
	size_t natural;

	build(&o, &out, &ch);
	natural = ch.msg.len;
	ch_free(&ch);
	buf_free(&out);

	o.pad_to = natural + 5;
	build(&o, &out, &ch);
	assert_int_equal(ch.msg.len, natural + 5);
	assert_int_equal(ext_find(&ch, EXT_PADDING)->len, 1);
	ch_free(&ch);
	buf_free(&out);

	o.pad_to = natural + 4;
	build(&o, &out, &ch);
	{
		/* freed before asserting: a failure leaks nothing */
		size_t len = ch.msg.len;
		const struct ch_ext *e = ext_find(&ch, EXT_PADDING);
		size_t elen = e ? e->len : SIZE_MAX;
		ch_free(&ch);
		buf_free(&out);
		assert_int_equal(len, natural + 4);
		assert_int_equal(elen, 0);
	}
}

static void test_split_into_records(void **state UNUSED)
{
	struct hello_opts o = {
	    .version = V_TLS13, .ciphers = suites13, .nciphers = 3, .pad_to = 20000};
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_int_equal(ch.msg.len, 20000);
	assert_int_equal(ch.nrecords, 2);
	assert_int_equal(ch.rec_len[0], 16384);
	assert_int_equal(ch.rec_len[1], 20000 - 16384);
	assert_int_equal(out.len, 20000 + 2 * 5);
	ch_free(&ch);
	buf_free(&out);

	/* exactly 2^14: one record; one byte more: a second of one byte */
	o.pad_to = 16384;
	build(&o, &out, &ch);
	assert_int_equal(ch.nrecords, 1);
	assert_int_equal(ch.rec_len[0], 16384);
	ch_free(&ch);
	buf_free(&out);
	o.pad_to = 16385;
	build(&o, &out, &ch);
	assert_int_equal(ch.nrecords, 2);
	assert_int_equal(ch.rec_len[0], 16384);
	assert_int_equal(ch.rec_len[1], 1);
	ch_free(&ch);
	buf_free(&out);

	/* the padding extension is as long as one extension can be */
	o.pad_to = 60000;
	build(&o, &out, &ch);
	assert_int_equal(ch.nrecords, 4);
	assert_int_equal(ch.rec_len[3], 60000 - 3 * 16384);
	ch_free(&ch);
	buf_free(&out);
}

static void test_many_key_shares_split(void **state UNUSED)
{
	/* 500 P-256 shares of 4+65 bytes: 34500 bytes of key_share, 3 records */
	uint16_t shares[500];
	struct hello_opts o = {.version = V_TLS13,
	                       .ciphers = suites13,
	                       .nciphers = 1,
	                       .key_shares = shares,
	                       .nkey_shares = ARRAY_LEN(shares)};
	const struct ch_ext *e;
	struct buf out;
	struct ch ch;

	for (size_t i = 0; i < ARRAY_LEN(shares); i++)
		shares[i] = 0x0017;
	build(&o, &out, &ch);
	e = ext_find(&ch, EXT_KEY_SHARE);
	assert_int_equal(e->len, 2 + 500 * 69);
	assert_int_equal(ch.nrecords, 3);
	assert_int_equal(ch.rec_len[0], 16384);
	assert_int_equal(ch.rec_len[1], 16384);
	assert_int_equal(ch.rec_len[2], ch.msg.len - 2 * 16384);
	ch_free(&ch);
	buf_free(&out);
}

static void test_cipher_vector_limits(void **state UNUSED)
{
	/* cipher_suites<2..2^16-2>: 32767 suites fit, 32768 do not */
	size_t n = 32768;
	uint16_t *suites = xcalloc(n, sizeof(*suites));
	struct hello_opts o = {.version = V_TLS12, .ciphers = suites, .nciphers = n - 1};
	struct buf out;
	struct ch ch;

	for (size_t i = 0; i < n; i++)
		suites[i] = (uint16_t)(i + 1);
	build(&o, &out, &ch);
	assert_u16_equal(ch.ciphers, ch.nciphers, suites, n - 1);
	assert_int_equal(ch.nrecords, (ch.msg.len + 16383) / 16384);
	assert_int_equal(ch.nrecords, 5);
	ch_free(&ch);
	buf_free(&out);

	o.nciphers = n;
	buf_init(&out, OUT_MAX);
	assert_int_equal(hello_build(&out, &o), -1);
	buf_free(&out);
	o.nciphers = n - 1;
	o.flags = HF_RENEG_SCSV; /* one more: over the limit too */
	buf_init(&out, OUT_MAX);
	assert_int_equal(hello_build(&out, &o), -1);
	buf_free(&out);
	free(suites);
}

static void test_output_cap(void **state UNUSED)
{
	struct hello_opts o = {.version = V_TLS12, .ciphers = suites12, .nciphers = 5};
	struct buf out;

	buf_init(&out, 100);
	assert_int_equal(hello_build(&out, &o), -1);
	buf_free(&out);
}

/* ------------------------------------------- session ID and ticket given */

static void test_session_id_and_ticket(void **state UNUSED)
{
	static const uint8_t sid[] = {0xAB};
	static const uint8_t ticket[] = "opaque ticket bytes";
	struct hello_opts o = {.version = V_TLS12,
	                       .ciphers = suites12,
	                       .nciphers = 2,
	                       .flags = HF_SESSION_TICKET,
	                       .session_id = sid,
	                       .session_id_len = sizeof sid,
	                       .ticket = ticket,
	                       .ticket_len = sizeof ticket - 1};
	const struct ch_ext *e;
	struct buf out;
	struct ch ch;

	build(&o, &out, &ch);
	assert_int_equal(ch.sid_len, 1);
	assert_int_equal(ch.sid[0], 0xAB);
	e = ext_find(&ch, EXT_SESSION_TICKET);
	assert_non_null(e);
	assert_int_equal(e->len, sizeof ticket - 1);
	assert_memory_equal(e->body, ticket, sizeof ticket - 1);
	ch_free(&ch);
	buf_free(&out);

	/* A ticket without the flag is not sent; the session ID still is. */
	o.flags = 0;
	build(&o, &out, &ch);
	assert_null(ext_find(&ch, EXT_SESSION_TICKET));
	assert_false(tu_contains(out.data, out.len, LIT("opaque ticket")));
	assert_int_equal(ch.sid_len, 1);
	ch_free(&ch);
	buf_free(&out);

	/* TLS 1.3: a given ID replaces the 32 random bytes, even an empty one. */
	o.version = V_TLS13;
	o.ciphers = suites13;
	build(&o, &out, &ch);
	assert_int_equal(ch.sid_len, 1);
	assert_int_equal(ch.sid[0], 0xAB);
	ch_free(&ch);
	buf_free(&out);
	o.session_id_len = 0;
	build(&o, &out, &ch);
	assert_int_equal(ch.sid_len, 0);
	ch_free(&ch);
	buf_free(&out);
}

static void test_session_id_and_ticket_limits(void **state UNUSED)
{
	static uint8_t big[0x10000];
	struct hello_opts o = {.version = V_TLS12,
	                       .ciphers = suites12,
	                       .nciphers = 2,
	                       .flags = HF_SESSION_TICKET,
	                       .session_id = big,
	                       .session_id_len = 32};
	struct buf out;
	struct ch ch;

	memset(big, 0x5A, sizeof big);
	build(&o, &out, &ch);
	assert_int_equal(ch.sid_len, 32);
	ch_free(&ch);
	buf_free(&out);
	/* RFC 5246 7.4.1.2: SessionID<0..32> */
	o.session_id_len = 33;
	buf_init(&out, OUT_MAX);
	assert_int_equal(hello_build(&out, &o), -1);
	buf_free(&out);
	o.session_id_len = 1;
	/* A ticket that fits the extension block... */
	o.ticket = big;
	o.ticket_len = 60000;
	build(&o, &out, &ch);
	assert_int_equal(ext_find(&ch, EXT_SESSION_TICKET)->len, 60000);
	ch_free(&ch);
	buf_free(&out);
	/* ...one that fits the extension but not the extensions block... */
	o.ticket_len = 0xffff;
	buf_init(&out, OUT_MAX);
	assert_int_equal(hello_build(&out, &o), -1);
	buf_free(&out);
	/* ...and one over the extension's 2^16-1. */
	o.ticket_len = 0x10000;
	buf_init(&out, OUT_MAX);
	assert_int_equal(hello_build(&out, &o), -1);
	buf_free(&out);
}

/* ----------------------------------------------------------------- SSLv2 */

static void test_sslv2(void **state UNUSED)
{
	static const uint32_t specs[] = {0x010080, 0x0700C0, 0x020080};
	struct buf out, out2;
	struct rd r;
	uint16_t hdr, ver, specs_len, sid_len, chal_len;
	uint8_t type;
	uint32_t s;

	buf_init(&out, OUT_MAX);
	assert_int_equal(hello_build_sslv2(&out, specs, ARRAY_LEN(specs)), 0);
	rd_init(&r, out.data, out.len);
	rd_u16(&r, &hdr);
	assert_int_equal(hdr & 0x8000, 0x8000);
	assert_int_equal(hdr & 0x7fff, out.len - 2);
	rd_u8(&r, &type);
	rd_u16(&r, &ver);
	rd_u16(&r, &specs_len);
	rd_u16(&r, &sid_len);
	rd_u16(&r, &chal_len);
	assert_int_equal(type, 1);
	assert_int_equal(ver, 0x0002);
	assert_int_equal(specs_len, 9);
	assert_int_equal(sid_len, 0);
	assert_int_equal(chal_len, 16);
	for (size_t i = 0; i < ARRAY_LEN(specs); i++) {
		rd_u24(&r, &s);
		assert_int_equal(s, specs[i]);
	}
	rd_skip(&r, 16); /* challenge */
	assert_true(rd_done(&r));
	buf_free(&out);

	/* again, strictly: the challenge is the last 16 bytes, fresh each time */
	buf_init(&out, OUT_MAX);
	buf_init(&out2, OUT_MAX);
	assert_int_equal(hello_build_sslv2(&out, specs, ARRAY_LEN(specs)), 0);
	assert_int_equal(hello_build_sslv2(&out2, specs, ARRAY_LEN(specs)), 0);
	assert_int_equal(out.len, 2 + 9 + 9 + 16);
	assert_int_equal(out2.len, out.len);
	assert_memory_equal(out.data, out2.data, out.len - 16);
	assert_memory_not_equal(out.data + out.len - 16, out2.data + out.len - 16, 16);
	buf_free(&out);
	buf_free(&out2);
}

static void test_sslv2_limits(void **state UNUSED)
{
	uint32_t *specs = xcalloc(10001, sizeof(*specs));
	struct buf out;

	buf_init(&out, OUT_MAX);
	assert_int_equal(hello_build_sslv2(&out, NULL, 0), 0);
	assert_int_equal(out.len, 2 + 9 + 16);
	assert_memory_equal(out.data, "\x80\x19\x01\x00\x02\x00\x00\x00\x00\x00\x10", 11);
	buf_reset(&out);
	assert_int_equal(hello_build_sslv2(&out, specs, 10000), 0);
	assert_int_equal(out.len, 2 + 9 + 30000 + 16);
	assert_int_equal(((out.data[0] & 0x7f) << 8) | out.data[1], 9 + 30000 + 16);
	buf_reset(&out);
	assert_int_equal(hello_build_sslv2(&out, specs, 10001), -1);
	buf_free(&out);
	buf_init(&out, 20); /* the caller's cap */
	assert_int_equal(hello_build_sslv2(&out, specs, 1), -1);
	buf_free(&out);
	free(specs);
}

/* ------------------------------------------- OpenSSL's server as a judge */

struct judge {
	SSL_CTX *ctx;
	EVP_PKEY *key;
	X509 *cert;
};

static int judge_setup(void **state)
{
	struct judge *j = xcalloc(1, sizeof(*j));
	X509_NAME *name;

	j->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(j->key);
	j->cert = X509_new();
	assert_non_null(j->cert);
	assert_int_equal(X509_set_version(j->cert, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(j->cert), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(j->cert), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(j->cert), 3600));
	assert_int_equal(X509_set_pubkey(j->cert, j->key), 1);
	name = X509_get_subject_name(j->cert);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                            (const unsigned char *)"mx.example.org", -1, -1,
	                                            0),
	                 1);
	assert_int_equal(X509_set_issuer_name(j->cert, name), 1);
	assert_true(X509_sign(j->cert, j->key, EVP_sha256()) > 0);
	j->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(j->ctx);
	assert_int_equal(SSL_CTX_use_certificate(j->ctx, j->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(j->ctx, j->key), 1);
	*state = j;
	return 0;
}

static int judge_teardown(void **state)
{
	struct judge *j = *state;
	SSL_CTX_free(j->ctx);
	X509_free(j->cert);
	EVP_PKEY_free(j->key);
	free(j);
	return 0;
}

/* Hand the hello to an OpenSSL server and read its first handshake
 * message back as a ServerHello; sni gets the name it saw ("" if none). */
static void judge_hello(struct judge *j, const struct hello_opts *o, struct server_hello *sh,
                        char *sni, size_t snilen)
{
	SSL *ssl = SSL_new(j->ctx);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	struct buf hello, answer;
	struct rec_reader rec;
	struct rec_msg m;
	const char *name;
	char tmp[4096];
	int n;

	assert_non_null(ssl);
	assert_non_null(rb);
	assert_non_null(wb);
	SSL_set_bio(ssl, rb, wb);
	SSL_set_accept_state(ssl);
	buf_init(&hello, OUT_MAX);
	assert_int_equal(hello_build(&hello, o), 0);
	assert_int_equal(BIO_write(rb, hello.data, (int)hello.len), (int)hello.len);
	n = SSL_do_handshake(ssl);
	assert_int_equal(n, -1);
	assert_int_equal(SSL_get_error(ssl, n), SSL_ERROR_WANT_READ);
	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	snprintf(sni, snilen, "%s", name ? name : "");

	buf_init(&answer, OUT_MAX);
	while ((n = BIO_read(wb, tmp, sizeof tmp)) > 0)
		tu_buf_add(&answer, tmp, (size_t)n);
	rec_init(&rec, 0);
	assert_int_equal(rec_next(&rec, &answer, &m), 1);
	assert_int_equal(m.kind, REC_HANDSHAKE);
	assert_int_equal(m.hs_type, HS_SERVER_HELLO);
	assert_int_equal(msg_server_hello(m.body, m.len, sh), 0);
	rec_free(&rec);
	buf_free(&answer);
	buf_free(&hello);
	SSL_free(ssl);
}

static void test_openssl_accepts_tls12(void **state)
{
	static const uint16_t suites[] = {0xC02F, 0xC02B, 0x009C};
	struct hello_opts o = {.version = V_TLS12,
	                       .ciphers = suites,
	                       .nciphers = 3,
	                       .sni = "mx.example.org",
	                       .flags = HF_SNI | HF_EC_POINT_FORMATS | HF_RENEG_INFO | HF_EMS |
	                                HF_SESSION_TICKET | HF_STATUS_REQUEST};
	struct server_hello sh;
	char sni[256];

	judge_hello(*state, &o, &sh, sni, sizeof sni);
	assert_string_equal(sni, "mx.example.org");
	assert_int_equal(sh.version, V_TLS12);
	assert_int_equal(sh.cipher, 0xC02B); /* the only one an EC key can use */
	assert_int_equal(sh.reneg_info, 1);
	assert_false(sh.hrr);
}

static void test_openssl_accepts_tls13(void **state)
{
	static const uint16_t shares[] = {0x001d};
	struct hello_opts o = {.version = V_TLS13,
	                       .ciphers = suites13,
	                       .nciphers = 3,
	                       .key_shares = shares,
	                       .nkey_shares = 1,
	                       .sni = "mx.example.org",
	                       .flags = HF_SNI | HF_GREASE};
	struct server_hello sh;
	char sni[256];

	judge_hello(*state, &o, &sh, sni, sizeof sni);
	assert_string_equal(sni, "mx.example.org");
	assert_false(sh.hrr);
	assert_int_equal(sh.legacy_version, V_TLS12);
	assert_int_equal(sh.version, V_TLS13);
	assert_int_equal(sh.selected_version, V_TLS13);
	assert_int_equal(sh.cipher, 0x1301);
	assert_int_equal(sh.key_share_group, 0x001d);
	assert_int_equal(sh.session_id_len, 32); /* echoed */
}

static void test_openssl_accepts_p256_share(void **state)
{
	/* the P-256 key must be a valid point or OpenSSL refuses the hello */
	static const uint16_t groups[] = {0x0017};
	static const uint16_t shares[] = {0x0017};
	struct hello_opts o = {.version = V_TLS13,
	                       .ciphers = suites13 + 1,
	                       .nciphers = 1,
	                       .groups = groups,
	                       .ngroups = 1,
	                       .key_shares = shares,
	                       .nkey_shares = 1};
	struct server_hello sh;
	char sni[256];

	judge_hello(*state, &o, &sh, sni, sizeof sni);
	assert_string_equal(sni, "");
	assert_false(sh.hrr);
	assert_int_equal(sh.version, V_TLS13);
	assert_int_equal(sh.cipher, 0x1302);
	assert_int_equal(sh.key_share_group, 0x0017);
}

static void test_openssl_hrr_without_shares(void **state)
{
	struct hello_opts o = {.version = V_TLS13, .ciphers = suites13, .nciphers = 3};
	struct server_hello sh;
	char sni[256];

	judge_hello(*state, &o, &sh, sni, sizeof sni);
	assert_true(sh.hrr);
	assert_int_equal(sh.version, V_TLS13);
	assert_int_equal(sh.key_share_group, 0x001d); /* OpenSSL's first choice */
}

static void test_openssl_accepts_split_hello(void **state)
{
	static const uint16_t shares[] = {0x001d};
	struct hello_opts o = {.version = V_TLS13,
	                       .ciphers = suites13,
	                       .nciphers = 3,
	                       .key_shares = shares,
	                       .nkey_shares = 1,
	                       .pad_to = 20000};
	struct server_hello sh;
	char sni[256];

	judge_hello(*state, &o, &sh, sni, sizeof sni);
	assert_int_equal(sh.version, V_TLS13);
	assert_int_equal(sh.key_share_group, 0x001d);
}

static void test_openssl_accepts_sid_and_unknown_ticket(void **state)
{
	/* A 1-byte session ID and a ticket it cannot decrypt: a full
	 * handshake (RFC 5077 3.4), never a refusal of the hello. */
	static const uint8_t sid[] = {0x42};
	static const uint8_t ticket[64] = {1, 2, 3};
	static const uint16_t suites[] = {0xC02B, 0xC02F};
	struct hello_opts o = {.version = V_TLS12,
	                       .ciphers = suites,
	                       .nciphers = 2,
	                       .flags = HF_EC_POINT_FORMATS | HF_EMS | HF_SESSION_TICKET,
	                       .session_id = sid,
	                       .session_id_len = 1,
	                       .ticket = ticket,
	                       .ticket_len = sizeof ticket};
	struct server_hello sh;
	char sni[256];

	judge_hello(*state, &o, &sh, sni, sizeof sni);
	assert_int_equal(sh.version, V_TLS12);
	assert_int_equal(sh.cipher, 0xC02B);
	assert_int_not_equal(sh.session_id_len, 1); /* not a resumption */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tls12_minimal),
	    cmocka_unit_test(test_tls12_all_flags),
	    cmocka_unit_test(test_sni_flag_without_name),
	    cmocka_unit_test(test_scsv),
	    cmocka_unit_test(test_compression_list),
	    cmocka_unit_test(test_old_versions),
	    cmocka_unit_test(test_sslv3_has_no_extension_block),
	    cmocka_unit_test(test_no_extensions_flag),
	    cmocka_unit_test(test_record_version_override),
	    cmocka_unit_test(test_tls13),
	    cmocka_unit_test(test_tls13_key_shares_without_keys_are_left_out),
	    cmocka_unit_test(test_fresh_random_each_time),
	    cmocka_unit_test(test_grease),
	    cmocka_unit_test(test_pad_to),
	    cmocka_unit_test(test_pad_to_exact_with_empty_padding),
	    cmocka_unit_test(test_split_into_records),
	    cmocka_unit_test(test_many_key_shares_split),
	    cmocka_unit_test(test_cipher_vector_limits),
	    cmocka_unit_test(test_output_cap),
	    cmocka_unit_test(test_session_id_and_ticket),
	    cmocka_unit_test(test_session_id_and_ticket_limits),
	    cmocka_unit_test(test_sslv2),
	    cmocka_unit_test(test_sslv2_limits),
	    cmocka_unit_test_setup_teardown(test_openssl_accepts_tls12, judge_setup,
	                                    judge_teardown),
	    cmocka_unit_test_setup_teardown(test_openssl_accepts_tls13, judge_setup,
	                                    judge_teardown),
	    cmocka_unit_test_setup_teardown(test_openssl_accepts_p256_share, judge_setup,
	                                    judge_teardown),
	    cmocka_unit_test_setup_teardown(test_openssl_hrr_without_shares, judge_setup,
	                                    judge_teardown),
	    cmocka_unit_test_setup_teardown(test_openssl_accepts_split_hello, judge_setup,
	                                    judge_teardown),
	    cmocka_unit_test_setup_teardown(test_openssl_accepts_sid_and_unknown_ticket,
	                                    judge_setup, judge_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
