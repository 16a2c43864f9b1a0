/* test_grade.c - check_grade() against docs/grading.md, rule by rule, on
 * endpoints built by hand in memory (no network): the score (protocol 30 %,
 * key exchange 30 %, cipher 40 %) and its letter bands, every cap, A+, and
 * the separate authentication verdict with its port-25 exception, which no
 * integration test can reach (a STARTTLS SMTP server on port 25 needs root).
 *
 * Each endpoint carries the facts (protocols, suites with their real code
 * points so the registry knows them, the leaf key, the DH size, the verify
 * errors) and the findings the other checks would have raised from those
 * facts (check_grade runs last and reads them): the expected letter, score
 * and caps are worked out from docs/grading.md in the comment above each
 * case, never read back from the code. */
#include "testutil.h"

#include "checks/checks.h"
#include "core/mem.h"
#include "model/result.h"
#include "tls/registry.h"

/* The cap sentences of src/checks/grade.c (grade.caps in the JSON). */
#define CAP_SSL "SSLv2 or SSLv3 is offered: F"
#define CAP_CRIT "a critical finding: F"
#define CAP_NO12 "neither TLS 1.2 nor TLS 1.3: at most C"
#define CAP_OLD "TLS 1.0 or 1.1 is offered: at most B"
#define CAP_NOFS "no forward secrecy: at most B"
#define CAP_WEAK "weak DH, RC4 or 3DES: at most B"
#define CAP_TRUST "the certificate does not verify where clients check it: F"

/* The verdict docs/grading.md quotes for an untrusted certificate on 25. */
#define PORT25_VERDICT                                                                         \
	"not trusted; on port 25 senders accept it unless DANE or MTA-STS require verification"

/* Code points (IANA), as the enumeration stores them. */
#define TLS13_AES256 0x1302        /* TLS 1.3, 256 bits */
#define TLS13_AES128 0x1301        /* TLS 1.3, 128 bits */
#define ECDHE_AES256 0xC030        /* forward secret, 256 bits */
#define ECDHE_AES128 0xC02F        /* forward secret, 128 bits */
#define RSA_AES128 0x009C          /* static RSA, 128 bits */
#define RSA_DES 0x0009             /* static RSA, single DES: 56 bits */
#define RSA_3DES 0x000A            /* static RSA, 3DES (the registry says 168 bits) */
#define RSA_RC4 0x0005             /* static RSA, RC4: 128 bits */
#define RSA_NULL 0x0002            /* static RSA, no encryption: 0 bits */
#define V2_RC4_MD5 0x010080        /* SSLv2 CIPHER-SPEC, 128 bits */

static struct result *g_r;

static int setup(void **state UNUSED)
{
	g_r = result_new();
	return 0;
}

static int teardown(void **state UNUSED)
{
	result_free(g_r);
	g_r = NULL;
	return 0;
}

/* A completed, enumerated, trusted endpoint with every protocol refused;
 * the cases add what they need. */
static struct endpoint *ep_new(uint16_t port, enum tls_mode mode, const char *starttls)
{
	struct endpoint *ep = result_add_endpoint(g_r, "mx.example.com", port, "192.0.2.1");

	ep->mode = mode;
	str_set(&ep->starttls, starttls);
	str_set(&ep->sni, "mx.example.com");
	ep->tls.done = 1;
	ep->enumerated = 1;
	ep->tls.version = P_TLS12;
	ep->tls.verify_code = 0;
	str_set(&ep->tls.verify_message, "ok");
	ep->tls.hostname_checked = 1;
	str_set(&ep->tls.verify_name, "mx.example.com");
	for (int p = P_SSLV2; p < P_COUNT; p++)
		ep_set_protocol(ep, (enum tls_proto)p, 0);
	return ep;
}

static struct endpoint *implicit465(void)
{
	return ep_new(465, MODE_IMPLICIT, NULL);
}

static void offer(struct endpoint *ep, enum tls_proto p)
{
	ep_set_protocol(ep, p, 1);
}

/* An accepted suite, named and sized from the registry. */
static void suite(struct endpoint *ep, enum tls_proto p, uint32_t code)
{
	const struct reg_cipher *c = reg_cipher_find(code, p == P_SSLV2);

	assert_non_null(c);
	ep_add_cipher(ep, p, code, c->iana, c->openssl, c->kx, c->au, c->enc, c->bits,
		      (int)ep->nciphers + 1);
}

static void leaf(struct endpoint *ep, const char *type, int bits)
{
	struct cert_entry *c = ep_add_cert(ep);
	char key[32];

	snprintf(key, sizeof key, "%s %d", type, bits);
	c->depth = 0;
	str_set(&c->key, key);
	assert_int_equal(key_type_parse(type, &c->key_type), 0);
	c->key_bits = bits;
	str_set(&c->sig_alg, "sha256WithRSAEncryption");
	c->sig_hash = SIG_HASH_SHA256;
}

static void finding(struct endpoint *ep, const char *id, enum severity sev)
{
	ep_add_finding(ep, id, sev, "title", NULL, NULL);
}

/* A verification error, as tls/ossl records it (18: self-signed leaf). */
static void untrusted(struct endpoint *ep)
{
	struct tls_summary *t = &ep->tls;

	t->verify_errors = xrealloc(t->verify_errors, (t->nverify_errors + 1) * sizeof(*t->verify_errors));
	t->verify_errors[t->nverify_errors].code = 18;
	t->verify_errors[t->nverify_errors].kind = TLS_VFY_SELF_SIGNED;
	t->verify_errors[t->nverify_errors].depth = 0;
	t->verify_errors[t->nverify_errors].message = xstrdup("self-signed certificate");
	t->nverify_errors++;
	t->verify_code = 18;
	str_set(&t->verify_message, "self-signed certificate");
	finding(ep, "cert-self-signed", SEV_HIGH);
}

/* The modern baseline: TLS 1.2 and 1.3, forward secrecy only, 256-bit
 * suites, an RSA 2048 leaf. protocol 100, kx 90, cipher 100:
 * 30 + 27 + 40 = 97. */
static struct endpoint *modern(struct endpoint *ep)
{
	offer(ep, P_TLS12);
	offer(ep, P_TLS13);
	suite(ep, P_TLS13, TLS13_AES256);
	suite(ep, P_TLS12, ECDHE_AES256);
	leaf(ep, "RSA", 2048);
	finding(ep, "cert-trusted", SEV_OK);
	finding(ep, "no-ocsp-stapling", SEV_INFO);
	return ep;
}

static struct endpoint *graded(struct endpoint *ep)
{
	struct checks_cfg cfg;

	checks_cfg_defaults(&cfg);
	check_grade(ep, &cfg);
	return ep;
}

/* The letter, the score and the exact list of caps (NULL-terminated). */
static void expect(const struct endpoint *ep, const char *letter, int score, ...)
{
	va_list ap;
	size_t n = 0;
	const char *want;

	assert_string_equal(ep->grade, letter);
	assert_int_equal(ep->score, score);
	va_start(ap, score);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (n >= ep->ngrade_caps)
			fail_msg("cap %zu missing: want \"%s\"", n, want);
		assert_string_equal(ep->grade_caps[n], want);
		n++;
	}
	va_end(ap);
	if (n != ep->ngrade_caps)
		fail_msg("%zu caps, want %zu; first extra: \"%s\"", ep->ngrade_caps, n,
			 ep->grade_caps[n]);
}

/* ---------------------------------------------------------------- A+ */

/* Every A+ condition met: A (97), no cap, TLS 1.3, forward secrecy on all
 * suites, no TLS 1.0/1.1, nothing above info. */
static void test_a_plus(void **state UNUSED)
{
	struct endpoint *ep = graded(modern(implicit465()));

	expect(ep, "A+", 97, NULL);
	assert_string_equal(ep->auth_verdict, "trusted: the certificate verifies for mx.example.com");
}

/* Without TLS 1.3: an A with no cap, but not A+. protocol 100 (1.2 only). */
static void test_a_without_tls13(void **state UNUSED)
{
	struct endpoint *ep = implicit465();

	offer(ep, P_TLS12);
	suite(ep, P_TLS12, ECDHE_AES256);
	leaf(ep, "RSA", 2048);
	finding(ep, "protocol-no-tls13", SEV_INFO);
	expect(graded(ep), "A", 97, NULL);
}

/* One accepted suite without forward secrecy (static RSA, 128 bits):
 * cipher (100 + 80) / 2 = 90, 30 + 27 + 36 = 93; some suites still have
 * forward secrecy, so no cap, but not A+. */
static void test_a_with_a_static_rsa_suite(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	suite(ep, P_TLS12, RSA_AES128);
	finding(ep, "some-without-forward-secrecy", SEV_INFO);
	expect(graded(ep), "A", 93, NULL);
}

/* A finding above info (low) rules out A+, even with no cap. */
static void test_a_with_a_low_finding(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	finding(ep, "starttls-readvertised", SEV_LOW);
	expect(graded(ep), "A", 97, NULL);
}

/* A medium finding: still A by score and no cap, not A+. */
static void test_a_with_a_medium_finding(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	finding(ep, "cert-expires-soon", SEV_MEDIUM);
	expect(graded(ep), "A", 97, NULL);
}

/* ---------------------------------------------------------------- score */

/* Key exchange: the certificate key in RSA-equivalent bits against
 * < 512 20, < 1024 40, < 2048 80, < 4096 90, else 100. With the modern
 * baseline (protocol 100, cipher 100) the score is 70 + 0.3 kx. */
static int kx_case(const char *type, int bits, int dh_bits)
{
	struct endpoint *ep = implicit465();

	offer(ep, P_TLS12);
	offer(ep, P_TLS13);
	suite(ep, P_TLS13, TLS13_AES256);
	suite(ep, P_TLS12, ECDHE_AES256);
	leaf(ep, type, bits);
	ep->dh.bits = dh_bits;
	graded(ep);
	return ep->score;
}

static void test_kx_rsa_bands(void **state UNUSED)
{
	assert_int_equal(kx_case("RSA", 8192, 0), 100); /* kx 100 */
	assert_int_equal(kx_case("RSA", 4096, 0), 100); /* kx 100 */
	assert_int_equal(kx_case("RSA", 4095, 0), 97);  /* kx 90 */
	assert_int_equal(kx_case("RSA", 2048, 0), 97);  /* kx 90 */
	assert_int_equal(kx_case("RSA", 2047, 0), 94);  /* kx 80 */
	assert_int_equal(kx_case("RSA", 1024, 0), 94);  /* kx 80 */
	assert_int_equal(kx_case("RSA", 1023, 0), 82);  /* kx 40 */
	assert_int_equal(kx_case("RSA", 512, 0), 82);   /* kx 40 */
	assert_int_equal(kx_case("RSA", 511, 0), 76);   /* kx 20 */
}

static void test_kx_dsa_counts_its_bits(void **state UNUSED)
{
	assert_int_equal(kx_case("DSA", 1024, 0), 94); /* kx 80 */
	assert_int_equal(kx_case("DSA", 2048, 0), 97); /* kx 90 */
}

/* EC P-256 counts as 3072 (kx 90), P-384 as 7680 (kx 100). */
static void test_kx_ec_equivalents(void **state UNUSED)
{
	assert_int_equal(kx_case("EC", 256, 0), 97);
	assert_int_equal(kx_case("EC", 384, 0), 100);
}

/* The weakest of the certificate key and the DH group. */
static void test_kx_weakest_of_key_and_dh(void **state UNUSED)
{
	assert_int_equal(kx_case("RSA", 4096, 1024), 94); /* DH 1024: kx 80 */
	assert_int_equal(kx_case("RSA", 4096, 2048), 97); /* DH 2048: kx 90 */
	assert_int_equal(kx_case("RSA", 4096, 4096), 100);
	assert_int_equal(kx_case("RSA", 2048, 8192), 97); /* the key is weaker */
	assert_int_equal(kx_case("EC", 384, 1536), 94);   /* DH 1536: kx 80 */
}

/* Cipher strength: (strongest + weakest) / 2 with 256 100, < 256 80,
 * < 128 20, 0 bits 0. TLS 1.2 only, RSA 4096 (kx 100): 60 + 0.4 c. */
static int cipher_case(uint32_t a, uint32_t b)
{
	struct endpoint *ep = implicit465();

	offer(ep, P_TLS12);
	suite(ep, P_TLS12, a);
	if (b)
		suite(ep, P_TLS12, b);
	leaf(ep, "RSA", 4096);
	graded(ep);
	return ep->score;
}

static void test_cipher_bands(void **state UNUSED)
{
	assert_int_equal(cipher_case(ECDHE_AES256, 0), 100);           /* c 100 */
	assert_int_equal(cipher_case(ECDHE_AES256, ECDHE_AES128), 96); /* c 90 */
	assert_int_equal(cipher_case(ECDHE_AES128, 0), 92);            /* c 80 */
	assert_int_equal(cipher_case(ECDHE_AES256, RSA_DES), 84);      /* c 60 */
	assert_int_equal(cipher_case(ECDHE_AES128, RSA_DES), 80);      /* c 50 */
	assert_int_equal(cipher_case(RSA_DES, 0), 68);                 /* c 20 */
	assert_int_equal(cipher_case(ECDHE_AES256, RSA_NULL), 80);     /* c 50 */
	assert_int_equal(cipher_case(ECDHE_AES128, RSA_NULL), 76);     /* c 40 */
	assert_int_equal(cipher_case(RSA_NULL, 0), 60);                /* c 0 */
}

/* Protocol support: (best + worst offered) / 2 with SSLv2 0, SSLv3 80,
 * TLS 1.0 90, TLS 1.2/1.3 100. One 256-bit suite, RSA 4096: 70 + 0.3 p. */
static int proto_case(enum tls_proto a, enum tls_proto b)
{
	struct endpoint *ep = implicit465();

	offer(ep, a);
	offer(ep, b);
	if (a == P_SSLV2)
		suite(ep, P_SSLV2, V2_RC4_MD5); /* 128 bits: cipher (100 + 80) / 2 = 90 */
	suite(ep, P_TLS12, ECDHE_AES256);
	leaf(ep, "RSA", 4096);
	graded(ep);
	return ep->score;
}

static void test_protocol_bands(void **state UNUSED)
{
	assert_int_equal(proto_case(P_TLS12, P_TLS13), 100); /* p 100 */
	assert_int_equal(proto_case(P_TLS11, P_TLS13), 99);  /* p 97.5: 29.25 + 30 + 40 */
	assert_int_equal(proto_case(P_TLS10, P_TLS13), 98);  /* p 95: 98.5, rounded down */
	assert_int_equal(proto_case(P_TLS10, P_TLS10), 97);  /* p 90 */
	assert_int_equal(proto_case(P_SSLV3, P_TLS13), 97);  /* p 90 */
	assert_int_equal(proto_case(P_SSLV3, P_SSLV3), 94);  /* p 80 */
	/* p (0 + 100) / 2 = 50, cipher 90: 15 + 30 + 36 */
	assert_int_equal(proto_case(P_SSLV2, P_TLS12), 81);
}

/* The letter bands: A >= 80, B >= 65, C >= 50, D >= 35, E >= 20, else F,
 * each case built so that no cap is below the score's letter. */
static void test_letter_bands(void **state UNUSED)
{
	struct endpoint *ep;

	/* 80 -> A: TLS 1.2, AES128 + DES (c 50), RSA 4096: 30 + 30 + 20 */
	ep = implicit465();
	offer(ep, P_TLS12);
	suite(ep, P_TLS12, ECDHE_AES128);
	suite(ep, P_TLS12, RSA_DES);
	leaf(ep, "RSA", 4096);
	finding(ep, "cipher-des", SEV_HIGH);
	finding(ep, "some-without-forward-secrecy", SEV_INFO);
	expect(graded(ep), "A", 80, NULL);

	/* 78 -> B: TLS 1.2, 256 + 128 (c 90), RSA 512 (kx 40): 30 + 12 + 36 */
	ep = implicit465();
	offer(ep, P_TLS12);
	suite(ep, P_TLS12, ECDHE_AES256);
	suite(ep, P_TLS12, ECDHE_AES128);
	leaf(ep, "RSA", 512);
	finding(ep, "cert-weak-key", SEV_HIGH);
	expect(graded(ep), "B", 78, NULL);

	/* 65 -> B: TLS 1.2, DES only (c 20), RSA 2048: 30 + 27 + 8 */
	ep = implicit465();
	offer(ep, P_TLS12);
	suite(ep, P_TLS12, RSA_DES);
	leaf(ep, "RSA", 2048);
	finding(ep, "cipher-des", SEV_HIGH);
	finding(ep, "no-forward-secrecy", SEV_MEDIUM);
	expect(graded(ep), "B", 65, CAP_NOFS, NULL);

	/* 63 -> C: TLS 1.0 only (p 90), AES256 + DES (c 60), RSA 512: 27 + 12 + 24 */
	ep = implicit465();
	offer(ep, P_TLS10);
	suite(ep, P_TLS10, 0x0035 /* AES256-SHA, static RSA */);
	suite(ep, P_TLS10, RSA_DES);
	leaf(ep, "RSA", 512);
	finding(ep, "no-forward-secrecy", SEV_MEDIUM);
	expect(graded(ep), "C", 63, CAP_NO12, CAP_OLD, CAP_NOFS, NULL);

	/* 50 -> C: TLS 1.2, DES only (c 20), RSA 512 (kx 40): 30 + 12 + 8 */
	ep = implicit465();
	offer(ep, P_TLS12);
	suite(ep, P_TLS12, RSA_DES);
	leaf(ep, "RSA", 512);
	finding(ep, "no-forward-secrecy", SEV_MEDIUM);
	expect(graded(ep), "C", 50, CAP_NOFS, NULL);

	/* 47 -> D: TLS 1.0 only, DES only, RSA 512: 27 + 12 + 8 */
	ep = implicit465();
	offer(ep, P_TLS10);
	suite(ep, P_TLS10, RSA_DES);
	leaf(ep, "RSA", 512);
	finding(ep, "no-forward-secrecy", SEV_MEDIUM);
	expect(graded(ep), "D", 47, CAP_NO12, CAP_OLD, CAP_NOFS, NULL);

	/* 33 -> E: TLS 1.0 only (27), NULL only (0), RSA 511 (6). Built
	 * without the cipher-null finding, whose critical severity would cap
	 * to F: this case is about the score's band alone (no protocol mix
	 * without SSL gets lower). */
	ep = implicit465();
	offer(ep, P_TLS10);
	suite(ep, P_TLS10, RSA_NULL);
	leaf(ep, "RSA", 511);
	finding(ep, "no-forward-secrecy", SEV_MEDIUM);
	expect(graded(ep), "E", 33, CAP_NO12, CAP_OLD, CAP_NOFS, NULL);

	/* 14 -> F: SSLv2 only (p 0), SSLv2 DES-CBC-MD5 (56 bits, c 20),
	 * RSA 511 (kx 20): 0 + 6 + 8. Below 20 the score alone is F (the
	 * SSLv2 cap says F as well: no lower score exists without SSL). */
	ep = implicit465();
	offer(ep, P_SSLV2);
	suite(ep, P_SSLV2, 0x060040 /* SSLv2 DES-CBC-MD5 */);
	leaf(ep, "RSA", 511);
	expect(graded(ep), "F", 14, CAP_SSL, CAP_NO12, NULL);
}

/* ---------------------------------------------------------------- caps */

/* SSLv3 offered next to a modern setup: F. Score: p (80 + 100) / 2 = 90,
 * kx 90, c 100: 27 + 27 + 40 = 94. protocol-sslv3 is high, not critical. */
static void test_cap_sslv3(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	offer(ep, P_SSLV3);
	finding(ep, "protocol-sslv3", SEV_HIGH);
	expect(graded(ep), "F", 94, CAP_SSL, NULL);
}

/* SSLv2 offered: F, and its finding is critical, a second F cap.
 * Score: p (0 + 100) / 2 = 50, c (100 + 80) / 2 = 90: 15 + 27 + 36 = 78. */
static void test_cap_sslv2(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	offer(ep, P_SSLV2);
	suite(ep, P_SSLV2, V2_RC4_MD5);
	finding(ep, "protocol-sslv2", SEV_CRITICAL);
	finding(ep, "cipher-rc4", SEV_MEDIUM);
	expect(graded(ep), "F", 78, CAP_SSL, CAP_CRIT, CAP_WEAK, NULL);
}

/* Any critical finding: F, whatever the score (97 here). */
static void test_cap_critical_finding(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	finding(ep, "cert-weak-signature", SEV_CRITICAL); /* MD5 */
	expect(graded(ep), "F", 97, CAP_CRIT, NULL);
}

/* A NULL suite is critical: F. c (100 + 0) / 2 = 50: 30 + 27 + 20 = 77. */
static void test_cap_null_suite(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	suite(ep, P_TLS12, RSA_NULL);
	finding(ep, "cipher-null", SEV_CRITICAL);
	finding(ep, "some-without-forward-secrecy", SEV_INFO);
	expect(graded(ep), "F", 77, CAP_CRIT, NULL);
}

/* Neither TLS 1.2 nor 1.3 (TLS 1.0 only): at most C, and TLS 1.0 also
 * caps to B. Score: p 90, kx 90, c (100 + 80) / 2 = 90 (ECDHE-RSA-AES256-SHA
 * and ECDHE-RSA-AES128-SHA): 27 + 27 + 36 = 90, A by score. */
static void test_cap_no_tls12(void **state UNUSED)
{
	struct endpoint *ep = implicit465();

	offer(ep, P_TLS10);
	suite(ep, P_TLS10, 0xC014 /* ECDHE-RSA-AES256-SHA */);
	suite(ep, P_TLS10, 0xC013 /* ECDHE-RSA-AES128-SHA */);
	leaf(ep, "RSA", 2048);
	finding(ep, "protocol-tls10-tls11", SEV_LOW);
	finding(ep, "protocol-no-tls12", SEV_HIGH);
	expect(graded(ep), "C", 90, CAP_NO12, CAP_OLD, NULL);
}

/* TLS 1.0 next to 1.2 and 1.3: at most B. p (90 + 100) / 2 = 95:
 * 28.5 + 27 + 40 = 95.5. docs/grading.md does not say how a fraction is
 * rounded; the code rounds down (each part, then the sum), which for every
 * possible input equals the floor of the exact formula: 95. */
static void test_cap_tls10(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	offer(ep, P_TLS10);
	finding(ep, "protocol-tls10-tls11", SEV_LOW);
	expect(graded(ep), "B", 95, CAP_OLD, NULL);
}

/* TLS 1.1 alone next to 1.2 and 1.3: at most B. p 97.5: 29.25 + 27 + 40. */
static void test_cap_tls11(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	offer(ep, P_TLS11);
	finding(ep, "protocol-tls10-tls11", SEV_LOW);
	expect(graded(ep), "B", 96, CAP_OLD, NULL);
}

/* No suite with forward secrecy (static RSA only, TLS 1.2): at most B.
 * c (80 + 80) / 2 = 80: 30 + 27 + 32 = 89. */
static void test_cap_no_forward_secrecy(void **state UNUSED)
{
	struct endpoint *ep = implicit465();

	offer(ep, P_TLS12);
	suite(ep, P_TLS12, RSA_AES128);
	leaf(ep, "RSA", 2048);
	finding(ep, "no-forward-secrecy", SEV_MEDIUM);
	finding(ep, "protocol-no-tls13", SEV_INFO);
	expect(graded(ep), "B", 89, CAP_NOFS, NULL);
}

/* Some suites without forward secrecy is not "no forward secrecy". */
static void test_no_cap_for_some_without_fs(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	suite(ep, P_TLS12, 0x009D /* AES256-GCM-SHA384, static RSA, 256 bits */);
	finding(ep, "some-without-forward-secrecy", SEV_INFO);
	expect(graded(ep), "A", 97, NULL);
}

/* Weak DH (dh-weak): at most B. DH 1024: kx 80: 30 + 24 + 40 = 94. */
static void test_cap_dh_weak(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	suite(ep, P_TLS12, 0x009F /* DHE-RSA-AES256-GCM-SHA384 */);
	ep->dh.bits = 1024;
	finding(ep, "dh-weak", SEV_HIGH);
	expect(graded(ep), "B", 94, CAP_WEAK, NULL);
}

/* RC4 accepted: at most B. RC4 is 128 bits: c (100 + 80) / 2 = 90:
 * 30 + 27 + 36 = 93. */
static void test_cap_rc4(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	suite(ep, P_TLS12, RSA_RC4);
	finding(ep, "cipher-rc4", SEV_MEDIUM);
	finding(ep, "some-without-forward-secrecy", SEV_INFO);
	expect(graded(ep), "B", 93, CAP_WEAK, NULL);
}

/* 3DES accepted: at most B. The suite's bits (168, the registry's and
 * the JSON's `bits`) put it in the < 256 band: c 90, 93. */
static void test_cap_3des(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	suite(ep, P_TLS12, RSA_3DES);
	finding(ep, "cipher-3des", SEV_LOW);
	finding(ep, "some-without-forward-secrecy", SEV_INFO);
	expect(graded(ep), "B", 93, CAP_WEAK, NULL);
}

/* The letter is the worst of the score's letter and every cap: a D by
 * score stays D under a B cap. TLS 1.2, DES only over static RSA (no
 * forward secrecy, c 20), RSA 511 (kx 20): 30 + 6 + 8 = 44 -> D. */
static void test_worst_of_letter_and_caps(void **state UNUSED)
{
	struct endpoint *ep = implicit465();

	offer(ep, P_TLS12);
	suite(ep, P_TLS12, RSA_DES);
	leaf(ep, "RSA", 511);
	finding(ep, "no-forward-secrecy", SEV_MEDIUM);
	expect(graded(ep), "D", 44, CAP_NOFS, NULL);
}

/* Every cap at once, in the order docs/grading.md lists them. */
static void test_caps_listed_in_order(void **state UNUSED)
{
	struct endpoint *ep = implicit465();

	offer(ep, P_SSLV3);
	offer(ep, P_TLS11);
	suite(ep, P_TLS11, RSA_RC4);
	suite(ep, P_TLS11, RSA_NULL);
	leaf(ep, "RSA", 2048);
	ep->dh.bits = 0;
	finding(ep, "protocol-sslv3", SEV_HIGH);
	finding(ep, "cipher-null", SEV_CRITICAL);
	finding(ep, "cipher-rc4", SEV_MEDIUM);
	finding(ep, "no-forward-secrecy", SEV_MEDIUM);
	untrusted(ep);
	graded(ep);
	/* p (80 + 95) / 2 = 87.5, kx 90, c (80 + 0) / 2 = 40: 26.25 + 27 + 16 */
	expect(ep, "F", 69, CAP_SSL, CAP_CRIT, CAP_NO12, CAP_OLD, CAP_NOFS, CAP_WEAK, CAP_TRUST,
	       NULL);
}

/* ---------------------------------------------------------------- authentication */

/* An untrusted certificate on an implicit submission port: F. */
static void test_untrusted_on_465_is_f(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	untrusted(ep);
	expect(graded(ep), "F", 97, CAP_TRUST, NULL);
	assert_string_equal(ep->auth_verdict,
			    "not trusted, and clients of this port verify the name: it fails");
}

/* Port 25, STARTTLS smtp: opportunistic senders accept any certificate,
 * so no cap and the doc's verdict; the grade stays what the rest says
 * (A, not A+: the cert-self-signed finding is high). */
static void test_untrusted_on_25_is_not_capped(void **state UNUSED)
{
	struct endpoint *ep = modern(ep_new(25, MODE_STARTTLS, "smtp"));

	untrusted(ep);
	expect(graded(ep), "A", 97, NULL);
	assert_string_equal(ep->auth_verdict, PORT25_VERDICT);
}

/* Port 25 trusted: the verdict names what was verified; A+ is possible. */
static void test_trusted_on_25(void **state UNUSED)
{
	struct endpoint *ep = graded(modern(ep_new(25, MODE_STARTTLS, "smtp")));

	expect(ep, "A+", 97, NULL);
	assert_string_equal(ep->auth_verdict, "trusted: the certificate verifies for mx.example.com");
}

/* Submission (587) and IMAP (143) STARTTLS: clients verify, F. */
static void test_untrusted_on_587_and_143_is_f(void **state UNUSED)
{
	struct endpoint *ep = modern(ep_new(587, MODE_STARTTLS, "smtp"));

	untrusted(ep);
	expect(graded(ep), "F", 97, CAP_TRUST, NULL);
	ep = modern(ep_new(143, MODE_STARTTLS, "imap"));
	untrusted(ep);
	expect(graded(ep), "F", 97, CAP_TRUST, NULL);
	/* Port 25 spoken to with another protocol is not the MX exception. */
	ep = modern(ep_new(25, MODE_STARTTLS, "lmtp"));
	untrusted(ep);
	expect(graded(ep), "F", 97, CAP_TRUST, NULL);
}

/* Port 25's exception lifts only the trust cap: the others stay. */
static void test_port25_keeps_other_caps(void **state UNUSED)
{
	struct endpoint *ep = modern(ep_new(25, MODE_STARTTLS, "smtp"));

	offer(ep, P_TLS11); /* p 97.5: 29.25 + 27 + 40 */
	finding(ep, "protocol-tls10-tls11", SEV_LOW);
	untrusted(ep);
	expect(graded(ep), "B", 96, CAP_OLD, NULL);
	assert_string_equal(ep->auth_verdict, PORT25_VERDICT);
}

/* ---------------------------------------------------------------- not graded */

/* No completed handshake, or no enumeration (--quick): no grade at all. */
static void test_not_graded(void **state UNUSED)
{
	struct endpoint *ep = modern(implicit465());

	/* No verified handshake but an enumeration (a legacy-only server):
	 * graded, authentication unknown, no trust cap. */
	ep->tls.done = 0;
	graded(ep);
	assert_true(ep->grade[0] != '\0');
	assert_non_null(ep->auth_verdict);
	assert_true(strncmp(ep->auth_verdict, "unknown", 7) == 0);
	for (size_t i = 0; i < ep->ngrade_caps; i++)
		assert_null(strstr(ep->grade_caps[i], "does not verify"));

	ep = modern(implicit465());
	ep->enumerated = 0;
	graded(ep);
	assert_string_equal(ep->grade, "");
	assert_null(ep->auth_verdict);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_plus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_without_tls13, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_with_a_static_rsa_suite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_with_a_low_finding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_with_a_medium_finding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kx_rsa_bands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kx_dsa_counts_its_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kx_ec_equivalents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kx_weakest_of_key_and_dh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cipher_bands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_bands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_letter_bands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_sslv3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_sslv2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_critical_finding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_null_suite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_no_tls12, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_tls10, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_tls11, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_no_forward_secrecy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_cap_for_some_without_fs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_dh_weak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_rc4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_3des, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worst_of_letter_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps_listed_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_on_465_is_f, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_on_25_is_not_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trusted_on_25, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_on_587_and_143_is_f, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port25_keeps_other_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_graded, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
