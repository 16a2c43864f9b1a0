/* test_registry.c - the generated cipher-suite and group registries: known
 * entries, unknown code points, table order and invariants. */
#include "testutil.h"

#include "tls/registry.h"

/* Rows of ../shared/data/reference/cipher-mapping.txt (its README says 374)
 * and of curves-mapping.txt (55) less group 0, which is no TLS group. When
 * the listings change, regenerate and update these. */
#define SOURCE_CIPHER_ROWS 374
#define SOURCE_SSLV2_ROWS 13
#define SOURCE_GROUPS 54

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
	    cmocka_unit_test(test_known_groups),
	    cmocka_unit_test(test_hybrid_pq_groups),
	    cmocka_unit_test(test_unknown_groups),
	    cmocka_unit_test(test_group_kind_names),
	    cmocka_unit_test(test_group_table_invariants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
