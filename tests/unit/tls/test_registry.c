/* test_registry.c - the generated cipher-suite, group and DH prime
 * registries: known entries, unknown code points and primes, table order and
 * invariants. */
#include "testutil.h"

#include "tls/registry.h"

/* Rows of ../shared/data/reference/cipher-mapping.txt (its README says 374)
 * and of curves-mapping.txt (55) less group 0, which is no TLS group. When
 * the listings change, regenerate and update these. */
#define SOURCE_CIPHER_ROWS 374
#define SOURCE_SSLV2_ROWS 13
#define SOURCE_GROUPS 54
/* common-primes.txt: 101 entries, no prime listed twice (the generator
 * would merge such names into "A / B"; tests/integ checks that). */
#define SOURCE_PRIMES 101

static const struct reg_cipher *find_tls(uint32_t code)
{
	const struct reg_cipher *c = reg_cipher_find(code, 0);
	assert_non_null(c);
	assert_int_equal(c->code, code);
	assert_int_equal(c->sslv2, 0);
	return c;
}

/* ---------------------------------------------------------------- suites */

static void test_ecdhe_rsa_aes256_gcm(void **state UNUSED)
{
	const struct reg_cipher *c = find_tls(0xC030);

	assert_string_equal(c->openssl, "ECDHE-RSA-AES256-GCM-SHA384");
	assert_string_equal(c->iana, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
	assert_string_equal(reg_cipher_name(c), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
	assert_int_equal(c->bits, 256);
	assert_int_equal(c->kx_bits, 0);
	assert_int_equal(c->min_proto, P_TLS12);
	assert_string_equal(c->kx, "ECDH");
	assert_string_equal(c->au, "RSA");
	assert_string_equal(c->enc, "AESGCM");
	assert_string_equal(c->mac, "AEAD");
	assert_int_equal(c->flags, REG_FS | REG_AEAD);
}

static void test_static_and_ephemeral_kx(void **state UNUSED)
{
	/* DHE-RSA-AES128-SHA: ephemeral, CBC */
	const struct reg_cipher *c = find_tls(0x0033);
	assert_string_equal(c->openssl, "DHE-RSA-AES128-SHA");
	assert_int_equal(c->flags, REG_FS | REG_CBC);
	/* AES128-SHA: RSA key transport, no forward secrecy */
	c = find_tls(0x002F);
	assert_string_equal(c->iana, "TLS_RSA_WITH_AES_128_CBC_SHA");
	assert_int_equal(c->flags, REG_CBC);
	assert_int_equal(c->bits, 128);
	/* ECDH-RSA-AES256-GCM-SHA384: static ECDH is not FS either */
	c = find_tls(0xC032);
	assert_string_equal(c->kx, "ECDH/RSA");
	assert_false(c->flags & REG_FS);
}

static void test_tls13_suite(void **state UNUSED)
{
	const struct reg_cipher *c = find_tls(0x1302);

	assert_string_equal(c->openssl, "TLS_AES_256_GCM_SHA384");
	assert_string_equal(c->iana, "TLS_AES_256_GCM_SHA384");
	assert_int_equal(c->min_proto, P_TLS13);
	assert_int_equal(c->bits, 256);
	assert_string_equal(c->kx, "any");
	assert_int_equal(c->flags, REG_TLS13 | REG_FS | REG_AEAD);
	/* The integrity-only suites of RFC 9150 are TLS 1.3 without encryption. */
	c = find_tls(0xC0B4);
	assert_string_equal(c->iana, "TLS_SHA256_SHA256");
	assert_int_equal(c->flags, REG_TLS13 | REG_FS | REG_NULL_ENC);
	assert_int_equal(c->bits, 0);
}

static void test_sslv2_spec(void **state UNUSED)
{
	const struct reg_cipher *c = reg_cipher_find(0x0700C0, 1);

	assert_non_null(c);
	assert_int_equal(c->code, 0x0700C0);
	assert_int_equal(c->sslv2, 1);
	assert_string_equal(c->openssl, "DES-CBC3-MD5");
	assert_string_equal(c->iana, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5");
	assert_int_equal(c->min_proto, P_SSLV2);
	assert_int_equal(c->bits, 168);
	assert_string_equal(c->mac, "MD5");
	assert_int_equal(c->flags, REG_3DES | REG_CBC);
	/* The same number is no TLS suite, and a TLS number is no SSLv2 spec. */
	assert_null(reg_cipher_find(0x0700C0, 0));
	assert_null(reg_cipher_find(0xC030, 1));
	/* Any nonzero sslv2 argument means SSLv2. */
	assert_ptr_equal(reg_cipher_find(0x0700C0, 2), c);
}

static void test_sslv2_and_tls_zero_differ(void **state UNUSED)
{
	const struct reg_cipher *tls = reg_cipher_find(0x0000, 0);
	const struct reg_cipher *v2 = reg_cipher_find(0x000000, 1);

	assert_non_null(tls);
	assert_non_null(v2);
	assert_ptr_not_equal(tls, v2);
	assert_string_equal(tls->iana, "TLS_NULL_WITH_NULL_NULL");
	assert_int_equal(tls->flags, REG_ANON | REG_NULL_ENC);
	assert_string_equal(v2->iana, "SSL_CK_NULL_WITH_MD5");
	assert_int_equal(v2->flags, REG_NULL_ENC | REG_EXPORT);
}

static void test_export_suite(void **state UNUSED)
{
	/* EXP-RC4-MD5: 40-bit RC4, RSA key exchange capped at 512 bits */
	const struct reg_cipher *c = find_tls(0x0003);

	assert_string_equal(c->openssl, "EXP-RC4-MD5");
	assert_string_equal(c->iana, "TLS_RSA_EXPORT_WITH_RC4_40_MD5");
	assert_int_equal(c->bits, 40);
	assert_int_equal(c->kx_bits, 512);
	assert_string_equal(c->kx, "RSA");
	assert_int_equal(c->flags, REG_EXPORT | REG_RC4);
	/* EXP-EDH-RSA-DES-CBC-SHA: export, yet ephemeral */
	c = find_tls(0x0014);
	assert_string_equal(c->openssl, "EXP-EDH-RSA-DES-CBC-SHA");
	assert_int_equal(c->flags, REG_FS | REG_EXPORT | REG_DES | REG_CBC);
	assert_int_equal(c->kx_bits, 512);
}

static void test_null_suite(void **state UNUSED)
{
	/* NULL-SHA256: authenticated, not encrypted */
	const struct reg_cipher *c = find_tls(0x003B);

	assert_string_equal(c->openssl, "NULL-SHA256");
	assert_string_equal(c->iana, "TLS_RSA_WITH_NULL_SHA256");
	assert_int_equal(c->bits, 0);
	assert_string_equal(c->enc, "None");
	assert_int_equal(c->flags, REG_NULL_ENC);
	assert_int_equal(c->min_proto, P_TLS12);
}

static void test_anonymous_suite(void **state UNUSED)
{
	/* ADH-AES128-SHA: ephemeral DH without authentication */
	const struct reg_cipher *c = find_tls(0x0034);

	assert_string_equal(c->openssl, "ADH-AES128-SHA");
	assert_string_equal(c->iana, "TLS_DH_anon_WITH_AES_128_CBC_SHA");
	assert_string_equal(c->au, "None");
	assert_int_equal(c->flags, REG_FS | REG_ANON | REG_CBC);
	/* AECDH-NULL-SHA: anonymous and unencrypted */
	c = find_tls(0xC015);
	assert_int_equal(c->flags, REG_FS | REG_ANON | REG_NULL_ENC);
}

static void test_missing_names(void **state UNUSED)
{
	/* No OpenSSL name: the IANA one stands in. */
	const struct reg_cipher *c = find_tls(0xC03F);
	assert_null(c->openssl);
	assert_string_equal(c->iana, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384");
	assert_string_equal(reg_cipher_name(c), "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384");
	/* No IANA name: OpenSSL's stands in. */
	c = find_tls(0xFF02);
	assert_null(c->iana);
	assert_string_equal(c->openssl, "GOST-GOST89MAC");
	assert_string_equal(reg_cipher_name(c), "GOST-GOST89MAC");
}

static void test_cfb_is_not_cbc(void **state UNUSED)
{
	/* SSLv2 DES-CFB-M1: the listing says Enc=DES(64); the mode is CFB. */
	const struct reg_cipher *c = reg_cipher_find(0xFF8000, 1);

	assert_non_null(c);
	assert_string_equal(c->openssl, "DES-CFB-M1");
	assert_int_equal(c->flags, REG_DES);
}

static void test_unknown_codes(void **state UNUSED)
{
	static const uint32_t tls[] = {
	    0x0A0A,   /* GREASE (RFC 8701) */
	    0xFAFA,   /* GREASE */
	    0x00FF,   /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV: a signal, not a suite */
	    0x5600,   /* TLS_FALLBACK_SCSV */
	    0x1306,   /* after the last TLS 1.3 suite */
	    0xFFFF,   /* the top of the space */
	    0x10000,  /* beyond two bytes */
	    0xC030FF, /* three bytes that end like a TLS suite */
	    0xFFFFFFFF,
	};
	for (size_t i = 0; i < ARRAY_LEN(tls); i++)
		assert_null(reg_cipher_find(tls[i], 0));
	assert_null(reg_cipher_find(0x0700C1, 1));
	assert_null(reg_cipher_find(0xFFFFFF, 1));
	/* Just below and above the ends of both code spaces. */
	assert_null(reg_cipher_find(reg_cipher_at(reg_cipher_count() - 1)->code + 1, 1));
	assert_null(reg_cipher_find(0x000001, 1));
}

static void test_usable_per_protocol(void **state UNUSED)
{
	const struct reg_cipher *gcm = find_tls(0xC030);
	const struct reg_cipher *v13 = find_tls(0x1301);
	const struct reg_cipher *old = find_tls(0x002F);
	const struct reg_cipher *v2 = reg_cipher_find(0x0700C0, 1);

	assert_non_null(v2);
	for (int p = P_SSLV2; p < P_COUNT; p++) {
		assert_int_equal(reg_cipher_usable(gcm, p), p == P_TLS12);
		assert_int_equal(reg_cipher_usable(v13, p), p == P_TLS13);
		assert_int_equal(reg_cipher_usable(old, p), p >= P_SSLV3 && p <= P_TLS12);
		assert_int_equal(reg_cipher_usable(v2, p), p == P_SSLV2);
	}
	assert_false(reg_cipher_usable(old, P_COUNT));
}

/* Sorted by (sslv2, code) with no repeats; every entry is found again by
 * its code; the fields hold what the generator promises. */
static void test_cipher_table_invariants(void **state UNUSED)
{
	size_t n = reg_cipher_count(), nv2 = 0;
	const struct reg_cipher *prev = NULL;

	assert_int_equal(n, SOURCE_CIPHER_ROWS);
	assert_null(reg_cipher_at(n));
	assert_null(reg_cipher_at((size_t)-1));
	for (size_t i = 0; i < n; i++) {
		const struct reg_cipher *c = reg_cipher_at(i);
		assert_non_null(c);
		if (prev) {
			assert_true(prev->sslv2 <= c->sslv2);
			if (prev->sslv2 == c->sslv2)
				assert_true(prev->code < c->code);
		}
		prev = c;
		assert_ptr_equal(reg_cipher_find(c->code, c->sslv2), c);
		assert_true(c->sslv2 == 0 || c->sslv2 == 1);
		nv2 += c->sslv2;
		assert_true(c->code <= (c->sslv2 ? 0xFFFFFFu : 0xFFFFu));
		assert_int_equal(c->sslv2, c->min_proto == P_SSLV2);
		assert_true(c->min_proto < P_COUNT);
		assert_true(c->openssl || c->iana);
		assert_non_null(reg_cipher_name(c));
		assert_non_null(c->kx);
		assert_non_null(c->au);
		assert_non_null(c->enc);
		assert_non_null(c->mac);
		assert_int_equal(!!(c->flags & REG_NULL_ENC), c->bits == 0);
		assert_int_equal(!!(c->flags & REG_NULL_ENC), strcmp(c->enc, "None") == 0);
		assert_int_equal(!!(c->flags & REG_AEAD), strcmp(c->mac, "AEAD") == 0);
		assert_int_equal(!!(c->flags & REG_ANON), strcmp(c->au, "None") == 0);
		assert_int_equal(!!(c->flags & REG_TLS13), c->min_proto == P_TLS13);
		assert_false((c->flags & REG_CBC) && (c->flags & (REG_AEAD | REG_NULL_ENC)));
		if (c->flags & REG_TLS13)
			assert_true(c->flags & REG_FS);
		if (c->kx_bits)
			assert_true(c->flags & REG_EXPORT);
	}
	assert_int_equal(nv2, SOURCE_SSLV2_ROWS);
}

/* ---------------------------------------------------------------- groups */

/* wire.c's map of OpenSSL's words (what a JSON document holds) gives every
 * generated row its kinds; each kind has a name, unset none. */
static void test_kinds_of_openssl_words(void **state UNUSED)
{
	int seen_kx[KX_OTHER + 1] = {0}, seen_au[AU_OTHER + 1] = {0};

	for (size_t i = 0; i < reg_cipher_count(); i++) {
		const struct reg_cipher *c = reg_cipher_at(i);
		assert_int_equal(tls_kx_of_openssl(c->kx), c->kx_kind);
		assert_int_equal(tls_au_of_openssl(c->au), c->au_kind);
		seen_kx[c->kx_kind] = seen_au[c->au_kind] = 1;
	}
	assert_true(seen_kx[KX_ECDHE] && seen_kx[KX_DH_STATIC] && seen_kx[KX_TLS13]);
	assert_true(seen_au[AU_NONE] && seen_au[AU_GOST] && seen_au[AU_ANY]);
	assert_false(seen_kx[KX_UNSET] || seen_au[AU_UNSET] || seen_au[AU_OTHER]);
	assert_int_equal(tls_kx_of_openssl(NULL), KX_UNSET);
	assert_int_equal(tls_au_of_openssl(NULL), AU_UNSET);
	assert_int_equal(tls_kx_of_openssl("ecdh"), KX_OTHER); /* exact words */
	assert_int_equal(tls_au_of_openssl("KEM"), AU_OTHER);
	assert_null(tls_kx_name(KX_UNSET));
	assert_null(tls_au_name(AU_UNSET));
	for (int k = KX_NONE; k <= KX_OTHER; k++)
		assert_non_null(tls_kx_name((enum tls_kx)k));
	for (int a = AU_NONE; a <= AU_OTHER; a++)
		assert_non_null(tls_au_name((enum tls_au)a));
	assert_string_equal(tls_kx_name(KX_ECDH_STATIC), "ecdh-static");
	assert_string_equal(tls_au_name(AU_ECDSA), "ecdsa");
	assert_null(tls_kx_name((enum tls_kx)99));
}

static void check_group(uint16_t code, const char *name, unsigned bits, enum reg_group_kind k)
{
	const struct reg_group *g = reg_group_find(code);

	assert_non_null(g);
	assert_int_equal(g->code, code);
	assert_string_equal(g->name, name);
	assert_int_equal(g->bits, bits);
	assert_int_equal(g->kind, k);
}

static void test_known_groups(void **state UNUSED)
{
	check_group(0x001D, "X25519", 255, REG_GROUP_EC);
	check_group(0x001E, "X448", 448, REG_GROUP_EC);
	check_group(0x0017, "secp256r1", 256, REG_GROUP_EC);
	check_group(0x0019, "secp521r1", 521, REG_GROUP_EC);
	check_group(0x0001, "sect163k1", 163, REG_GROUP_EC);
	check_group(0x001F, "brainpoolP256r1tls13", 256, REG_GROUP_EC);
	check_group(0x0100, "ffdhe2048", 2048, REG_GROUP_FFDHE);
	check_group(0x0104, "ffdhe8192", 8192, REG_GROUP_FFDHE);
	check_group(0x0201, "MLKEM768", 0, REG_GROUP_PQ);
}

static void test_hybrid_pq_groups(void **state UNUSED)
{
	check_group(0x11EB, "SecP256r1MLKEM768", 0, REG_GROUP_HYBRID_PQ);
	check_group(0x11EC, "X25519MLKEM768", 0, REG_GROUP_HYBRID_PQ);
	check_group(0x11ED, "SecP384r1MLKEM1024", 0, REG_GROUP_HYBRID_PQ);
	check_group(0x6399, "X25519Kyber768Draft00", 0, REG_GROUP_HYBRID_PQ);
}

static void test_unknown_groups(void **state UNUSED)
{
	assert_null(reg_group_find(0x0000)); /* TPM_ECC_NONE in the listing */
	assert_null(reg_group_find(0x0A0A)); /* GREASE */
	assert_null(reg_group_find(0x0105));
	assert_null(reg_group_find(0xFF01)); /* arbitrary_explicit_prime_curves */
	assert_null(reg_group_find(0xFFFF));
}

static void test_group_kind_names(void **state UNUSED)
{
	assert_string_equal(reg_group_kind_name(REG_GROUP_EC), "ec");
	assert_string_equal(reg_group_kind_name(REG_GROUP_FFDHE), "ffdhe");
	assert_string_equal(reg_group_kind_name(REG_GROUP_PQ), "pq");
	assert_string_equal(reg_group_kind_name(REG_GROUP_HYBRID_PQ), "hybrid-pq");
	assert_string_equal(reg_group_kind_name(REG_GROUP_KIND_COUNT), "?");
}

static void test_group_table_invariants(void **state UNUSED)
{
	size_t n = reg_group_count();

	assert_int_equal(n, SOURCE_GROUPS);
	assert_null(reg_group_at(n));
	for (size_t i = 0; i < n; i++) {
		const struct reg_group *g = reg_group_at(i);
		assert_non_null(g);
		if (i > 0)
			assert_true(reg_group_at(i - 1)->code < g->code);
		assert_ptr_equal(reg_group_find(g->code), g);
		assert_non_null(g->name);
		assert_true(g->kind < REG_GROUP_KIND_COUNT);
		/* Classical groups have a size; ML-KEM and hybrids do not. */
		assert_int_equal(g->bits == 0,
		                 g->kind == REG_GROUP_PQ || g->kind == REG_GROUP_HYBRID_PQ);
	}
}

/* ---------------------------------------------------------------- primes */

/* The primes as the RFCs print them, typed from the RFC text. */

/* RFC 2409 6.2, Second Oakley Group: 2^1024 - 2^960 - 1 + 2^64 * { [2^894 pi] + 129093 } */
static const char rfc2409_group2[] = "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1"
                                     "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD"
                                     "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245"
                                     "E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
                                     "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381"
                                     "FFFFFFFF FFFFFFFF";

/* RFC 3526 3, 2048-bit MODP Group (14): 2^2048 - 2^1984 - 1 + 2^64 * { [2^1918 pi] + 124476 } */
static const char rfc3526_group14[] = "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1"
                                      "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD"
                                      "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245"
                                      "E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
                                      "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D"
                                      "C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F"
                                      "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D"
                                      "670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"
                                      "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9"
                                      "DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510"
                                      "15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";

/* Decode RFC-style hex (spaces ignored) into out after `pad` zero bytes;
 * returns the length written. */
static size_t rfc_hex(const char *hex, size_t pad, uint8_t *out, size_t cap)
{
	size_t n = pad;
	int hi = -1;

	assert_true(pad <= cap);
	memset(out, 0, pad);
	for (const char *c = hex; *c; c++) {
		int v = -1;
		if (*c == ' ')
			continue;
		if (*c >= '0' && *c <= '9')
			v = *c - '0';
		else if (*c >= 'A' && *c <= 'F')
			v = *c - 'A' + 10;
		if (v < 0)
			fail_msg("not hex: %c", *c);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

/* Exact bit length of a big-endian number without leading zero bytes. */
static unsigned bit_length(const uint8_t *p, size_t len)
{
	unsigned bits = (unsigned)(len - 1) * 8;

	for (uint8_t top = p[0]; top; top >>= 1)
		bits++;
	return bits;
}

static void test_prime_rfc2409_group2(void **state UNUSED)
{
	uint8_t p[256];
	size_t n = rfc_hex(rfc2409_group2, 0, p, sizeof(p));
	const struct reg_prime *r = reg_prime_find(p, n);

	assert_int_equal(n, 128);
	assert_non_null(r);
	assert_string_equal(r->name, "RFC2409/Oakley Group 2");
	assert_int_equal(r->bits, 1024);
	assert_int_equal(r->len, 128);
	assert_memory_equal(r->p, p, n);
}

static void test_prime_rfc3526_group14(void **state UNUSED)
{
	uint8_t p[512];
	size_t n = rfc_hex(rfc3526_group14, 0, p, sizeof(p));
	const struct reg_prime *r = reg_prime_find(p, n);

	assert_int_equal(n, 256);
	assert_non_null(r);
	assert_string_equal(r->name, "RFC3526/Oakley Group 14");
	assert_int_equal(r->bits, 2048);
	assert_int_equal(r->len, 256);
	assert_memory_equal(r->p, p, n);
}

static void test_prime_leading_zeros(void **state UNUSED)
{
	uint8_t p[512];
	const struct reg_prime *want = reg_prime_find(p, rfc_hex(rfc3526_group14, 0, p, sizeof(p)));

	assert_non_null(want);
	/* A DER INTEGER's sign byte: 0x00 before a top byte >= 0x80. */
	assert_ptr_equal(reg_prime_find(p, rfc_hex(rfc3526_group14, 1, p, sizeof(p))), want);
	/* Padded further, as a fixed-width buffer might be. */
	assert_ptr_equal(reg_prime_find(p, rfc_hex(rfc3526_group14, 7, p, sizeof(p))), want);
	want = reg_prime_find(p, rfc_hex(rfc2409_group2, 1, p, sizeof(p)));
	assert_non_null(want);
	assert_int_equal(want->bits, 1024);
}

static void test_prime_unknown(void **state UNUSED)
{
	uint8_t p[512];
	size_t n = rfc_hex(rfc3526_group14, 0, p, sizeof(p));
	static const uint8_t zeros[4];
	static const uint8_t small[] = {0x17};

	/* One bit off anywhere: low end, top end, the middle. */
	p[n - 1] ^= 0x02;
	assert_null(reg_prime_find(p, n));
	p[n - 1] ^= 0x02;
	p[n / 2] ^= 0x80;
	assert_null(reg_prime_find(p, n));
	p[n / 2] ^= 0x80;
	assert_non_null(reg_prime_find(p, n));
	/* A prefix or a suffix of a listed prime is not it. */
	assert_null(reg_prime_find(p, n - 1));
	assert_null(reg_prime_find(p + 1, n - 1));
	/* Group 14 with a byte appended: longer than any 2048-bit entry. */
	p[n] = 0xFF;
	assert_null(reg_prime_find(p, n + 1));
	/* Nothing, or only zeros. */
	assert_null(reg_prime_find(NULL, 0));
	assert_null(reg_prime_find(NULL, 256));
	assert_null(reg_prime_find(p, 0));
	assert_null(reg_prime_find(zeros, sizeof(zeros)));
	assert_null(reg_prime_find(small, sizeof(small)));
	/* Past both ends of the table: below the smallest, above the largest. */
	{
		const struct reg_prime *lo = reg_prime_at(0);
		const struct reg_prime *hi = reg_prime_at(reg_prime_count() - 1);
		uint8_t big[2048];
		assert_true(lo->len <= sizeof(big) && hi->len < sizeof(big));
		memcpy(big, lo->p, lo->len);
		big[lo->len - 1]--; /* odd, so no borrow */
		assert_null(reg_prime_find(big, lo->len));
		/* 2^bits - 1 is no prime, so all ones is above every entry. */
		memset(big, 0xFF, hi->len);
		assert_null(reg_prime_find(big, hi->len));
		memcpy(big, hi->p, hi->len);
		big[hi->len] = 0x01;
		assert_null(reg_prime_find(big, hi->len + 1));
	}
}

/* Names and sizes the listing holds, and what it says less exactly. */
static void test_prime_names_and_sizes(void **state UNUSED)
{
	static const char weakdh_name[] = "weakdh.org/1024-bit MODP group with safe prime modulus";
	static const char modssl_name[] =
	    "mod_ssl 2.2.x/512-bit MODP group with safe prime modulus";
	size_t weakdh = 0, modssl_512 = 0, modssl_1024 = 0;
	unsigned ltc_bits = 0, ltc_n = 0;

	for (size_t i = 0; i < reg_prime_count(); i++) {
		const struct reg_prime *r = reg_prime_at(i);
		/* One of these nine name lines lacks its "#" upstream. */
		if (strcmp(r->name, weakdh_name) == 0) {
			weakdh++;
			assert_int_equal(r->bits, 1024);
		}
		/* Named 512-bit twice, but one of the two has 1024 bits. */
		if (strcmp(r->name, modssl_name) == 0) {
			modssl_512 += r->bits == 512;
			modssl_1024 += r->bits == 1024;
		}
		/* LibTomCrypt's primes are a little over their nominal sizes
		 * (784, 1036, ... 4116 bits): bits is exact, not rounded. */
		if (strcmp(r->name, "LibTomCrypt") == 0) {
			ltc_n++;
			ltc_bits += r->bits;
			assert_int_equal(r->bits, bit_length(r->p, r->len));
		}
	}
	assert_int_equal(weakdh, 9);
	assert_int_equal(modssl_512, 1);
	assert_int_equal(modssl_1024, 1);
	assert_int_equal(ltc_n, 8);
	assert_int_equal(ltc_bits, 784 + 1036 + 1288 + 1540 + 1792 + 2072 + 3080 + 4116);
}

/* Sorted by value with no repeats; every entry is found again by its bytes,
 * with and without a leading zero; bits and len agree with the bytes. */
static void test_prime_table_invariants(void **state UNUSED)
{
	size_t n = reg_prime_count();
	uint8_t buf[1 + 16384 / 8];

	assert_int_equal(n, SOURCE_PRIMES);
	assert_null(reg_prime_at(n));
	assert_null(reg_prime_at((size_t)-1));
	for (size_t i = 0; i < n; i++) {
		const struct reg_prime *r = reg_prime_at(i);
		assert_non_null(r);
		assert_non_null(r->name);
		assert_true(r->name[0] != '\0');
		assert_non_null(r->p);
		assert_true(r->len > 0 && r->len < sizeof(buf));
		assert_int_not_equal(r->p[0], 0);
		assert_int_equal(r->bits, bit_length(r->p, r->len));
		assert_int_equal(r->len, (r->bits + 7u) / 8u);
		assert_true(r->p[r->len - 1] & 1); /* odd */
		if (i > 0) {
			const struct reg_prime *prev = reg_prime_at(i - 1);
			assert_true(prev->len < r->len ||
			            (prev->len == r->len && memcmp(prev->p, r->p, r->len) < 0));
		}
		assert_ptr_equal(reg_prime_find(r->p, r->len), r);
		buf[0] = 0;
		memcpy(buf + 1, r->p, r->len);
		assert_ptr_equal(reg_prime_find(buf, r->len + 1), r);
		/* A copy, not the table's own bytes, finds it too. */
		assert_ptr_equal(reg_prime_find(buf + 1, r->len), r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ecdhe_rsa_aes256_gcm),
	    cmocka_unit_test(test_static_and_ephemeral_kx),
	    cmocka_unit_test(test_tls13_suite),
	    cmocka_unit_test(test_sslv2_spec),
	    cmocka_unit_test(test_sslv2_and_tls_zero_differ),
	    cmocka_unit_test(test_export_suite),
	    cmocka_unit_test(test_null_suite),
	    cmocka_unit_test(test_anonymous_suite),
	    cmocka_unit_test(test_missing_names),
	    cmocka_unit_test(test_cfb_is_not_cbc),
	    cmocka_unit_test(test_unknown_codes),
	    cmocka_unit_test(test_usable_per_protocol),
	    cmocka_unit_test(test_cipher_table_invariants),
	    cmocka_unit_test(test_kinds_of_openssl_words),
	    cmocka_unit_test(test_known_groups),
	    cmocka_unit_test(test_hybrid_pq_groups),
	    cmocka_unit_test(test_unknown_groups),
	    cmocka_unit_test(test_group_kind_names),
	    cmocka_unit_test(test_group_table_invariants),
	    cmocka_unit_test(test_prime_rfc2409_group2),
	    cmocka_unit_test(test_prime_rfc3526_group14),
	    cmocka_unit_test(test_prime_leading_zeros),
	    cmocka_unit_test(test_prime_unknown),
	    cmocka_unit_test(test_prime_names_and_sizes),
	    cmocka_unit_test(test_prime_table_invariants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
