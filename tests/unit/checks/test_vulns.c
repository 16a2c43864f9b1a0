/* test_vulns.c - check_vulns() against docs/vulns.md on endpoints built by
 * hand (no network): every derived check positive and negative, unknown
 * when the facts are missing (never safe), not applicable where the
 * precondition is missing, links to the existing findings, the findings a
 * probe's vulnerable verdict raises (severity, CVE, port 25), the order of
 * the entries, and no battery when it did not run. */
#include "testutil.h"

#include <string.h>
#include "checks/checks.h"
#include "model/result.h"
#include "tls/registry.h"

#define TLS13_AES128 0x1301 /* TLS 1.3 */
#define ECDHE_GCM 0xC02F    /* ECDHE-RSA-AES128-GCM-SHA256: AEAD, forward secret */
#define ECDHE_CBC 0xC013    /* ECDHE-RSA-AES128-SHA: CBC */
#define RSA_AES_CBC 0x002F  /* AES128-SHA: static RSA, CBC */
#define RSA_3DES 0x000A     /* DES-CBC3-SHA */
#define RSA_RC4 0x0005      /* RC4-SHA */
#define EXP_RC4_MD5 0x0003  /* RSA export */
#define EXP_EDH_DES 0x0014  /* EXP-EDH-RSA-DES-CBC-SHA: DHE export */
#define V2_RC4_MD5 0x010080 /* SSLv2 */

static struct result *g_r;
static struct checks_cfg g_cfg;

static int setup(void **state UNUSED)
{
	g_r = result_new();
	checks_cfg_defaults(&g_cfg);
	g_cfg.vulns = 1;
	return 0;
}

static int teardown(void **state UNUSED)
{
	result_free(g_r);
	g_r = NULL;
	return 0;
}

/* A verified, enumerated endpoint: TLS 1.2 and 1.3 with AEAD suites only,
 * secure renegotiation, client renegotiation refused, no compression. */
static struct endpoint *modern(uint16_t port, enum tls_mode mode)
{
	struct endpoint *ep = result_add_endpoint(g_r, "mx.example.com", port, "192.0.2.1");
	ep->mode = mode;
	str_set(&ep->starttls, mode == MODE_STARTTLS ? "smtp" : NULL);
	ep->tls.done = 1;
	ep->enumerated = 1;
	ep->tls.version = P_TLS13;
	ep->tls.secure_reneg = 1;
	ep->client_reneg = 0;
	ep->defaults.probed = 1;
	ep->defaults.compression = 0;
	if (mode == MODE_STARTTLS) {
		ep->dlg.ran = 1;
		ep->dlg.hello_code = 250;
		ep->dlg.starttls_ok = 1;
	}
	for (int p = P_SSLV2; p < P_COUNT; p++)
		ep_set_protocol(ep, (enum tls_proto)p, p >= P_TLS12);
	return ep;
}

static void suite(struct endpoint *ep, enum tls_proto p, uint32_t code)
{
	const struct reg_cipher *c = reg_cipher_find(code, p == P_SSLV2);
	assert_non_null(c);
	ep_add_cipher(ep, p, code, c->iana, c->openssl, c->kx, c->au, c->enc, c->bits,
	              (int)ep->nciphers + 1);
}

static const struct vuln *entry(const struct endpoint *ep, const char *id)
{
	const struct vuln *v = ep_vuln_find(ep, id);
	assert_non_null(v);
	return v;
}

static void assert_verdict(const struct endpoint *ep, const char *id, enum vuln_verdict want)
{
	const struct vuln *v = entry(ep, id);
	if (v->verdict != want)
		fail_msg("%s: verdict %s, expected %s (reason: %s)", id,
		         vuln_verdict_name(v->verdict), vuln_verdict_name(want),
		         v->reason ? v->reason : "-");
}

static const struct finding *finding(const struct endpoint *ep, const char *id)
{
	for (size_t i = 0; i < ep->nfindings; i++)
		if (strcmp(ep->findings[i].id, id) == 0)
			return &ep->findings[i];
	return NULL;
}

static void test_modern_server_is_clean(void **state UNUSED)
{
	struct endpoint *ep = modern(465, MODE_IMPLICIT);
	suite(ep, P_TLS13, TLS13_AES128);
	suite(ep, P_TLS12, ECDHE_GCM);
	checks_run(g_r, &g_cfg);
	static const char *const clean[] = {"secure-renegotiation",
	                                    "client-renegotiation",
	                                    "crime",
	                                    "sweet32",
	                                    "freak",
	                                    "drown",
	                                    "lucky13",
	                                    "rc4",
	                                    "null-ciphers",
	                                    "anonymous-ciphers",
	                                    "export-ciphers",
	                                    "obsolete-protocols",
	                                    "forward-secrecy"};
	for (size_t i = 0; i < ARRAY_LEN(clean); i++)
		assert_verdict(ep, clean[i], VULN_NOT_VULNERABLE);
	assert_verdict(ep, "poodle", VULN_NOT_APPLICABLE);
	assert_verdict(ep, "beast", VULN_NOT_APPLICABLE);
	assert_verdict(ep, "logjam", VULN_NOT_APPLICABLE); /* no DHE */
	/* Implicit TLS: nothing in clear text to attack. */
	assert_verdict(ep, "starttls-injection", VULN_NOT_APPLICABLE);
	assert_verdict(ep, "auth-before-tls", VULN_NOT_APPLICABLE);
	/* The probes did not run here: unknown, never safe. */
	assert_verdict(ep, "heartbleed", VULN_UNKNOWN);
	assert_non_null(strstr(entry(ep, "heartbleed")->reason, "not tested"));
	assert_verdict(ep, "robot", VULN_UNKNOWN);
	/* The renegotiation side handshake is counted. */
	assert_int_equal(entry(ep, "client-renegotiation")->connections, 1);
	assert_int_equal(entry(ep, "sweet32")->connections, 0);
	for (size_t i = 0; i < ep->nfindings; i++)
		assert_true(ep->findings[i].sev <= SEV_INFO);
	assert_string_equal(ep->grade, "A+");
}

static void test_sslv3_cbc_is_poodle_and_beast(void **state UNUSED)
{
	struct endpoint *ep = modern(465, MODE_IMPLICIT);
	ep_set_protocol(ep, P_SSLV3, 1);
	suite(ep, P_TLS12, ECDHE_GCM);
	suite(ep, P_SSLV3, RSA_AES_CBC);
	checks_run(g_r, &g_cfg);
	assert_verdict(ep, "poodle", VULN_VULNERABLE);
	assert_string_equal(entry(ep, "poodle")->finding, "protocol-sslv3");
	assert_int_equal(entry(ep, "poodle")->ncve, 1);
	assert_string_equal(entry(ep, "poodle")->cve[0], "CVE-2014-3566");
	assert_verdict(ep, "obsolete-protocols", VULN_VULNERABLE);
	assert_string_equal(entry(ep, "obsolete-protocols")->finding, "protocol-sslv3");
	assert_verdict(ep, "beast", VULN_VULNERABLE);
	assert_verdict(ep, "lucky13", VULN_VULNERABLE);
	/* Not port 25: BEAST is medium; LUCKY13 low. */
	assert_int_equal(finding(ep, "beast")->sev, SEV_MEDIUM);
	assert_int_equal(finding(ep, "lucky13")->sev, SEV_LOW);
	assert_string_equal(entry(ep, "beast")->finding, "beast");
	/* No new finding says again what protocol-sslv3 says. */
	assert_null(finding(ep, "poodle"));
}

static void test_port25_beast_is_low(void **state UNUSED)
{
	struct endpoint *ep = modern(25, MODE_STARTTLS);
	ep_set_protocol(ep, P_TLS10, 1);
	suite(ep, P_TLS10, ECDHE_CBC);
	suite(ep, P_TLS12, ECDHE_GCM);
	checks_run(g_r, &g_cfg);
	assert_verdict(ep, "beast", VULN_VULNERABLE);
	assert_int_equal(finding(ep, "beast")->sev, SEV_LOW);
	assert_verdict(ep, "pipelined-after-starttls", VULN_NOT_VULNERABLE);
	assert_verdict(ep, "auth-before-tls", VULN_NOT_VULNERABLE);
}

static void test_weak_suites_link(void **state UNUSED)
{
	struct endpoint *ep = modern(993, MODE_IMPLICIT);
	suite(ep, P_TLS12, RSA_3DES);
	suite(ep, P_TLS12, RSA_RC4);
	suite(ep, P_TLS12, EXP_RC4_MD5);
	suite(ep, P_TLS12, EXP_EDH_DES);
	checks_run(g_r, &g_cfg);
	assert_verdict(ep, "sweet32", VULN_VULNERABLE);
	assert_string_equal(entry(ep, "sweet32")->finding, "cipher-3des");
	assert_verdict(ep, "rc4", VULN_VULNERABLE);
	assert_string_equal(entry(ep, "rc4")->finding, "cipher-rc4");
	assert_verdict(ep, "freak", VULN_VULNERABLE);
	assert_string_equal(entry(ep, "freak")->finding, "cipher-export");
	assert_non_null(strstr(entry(ep, "freak")->evidence, "EXP-RC4-MD5"));
	assert_null(strstr(entry(ep, "freak")->evidence, "EXP-EDH"));
	assert_verdict(ep, "logjam", VULN_VULNERABLE);
	assert_non_null(strstr(entry(ep, "logjam")->evidence, "EXP-EDH-RSA-DES-CBC-SHA"));
	assert_verdict(ep, "export-ciphers", VULN_VULNERABLE);
	assert_verdict(ep, "forward-secrecy", VULN_NOT_VULNERABLE); /* EDH export is FS */
}

static void test_logjam_dh_size(void **state UNUSED)
{
	struct endpoint *ep = modern(993, MODE_IMPLICIT);
	suite(ep, P_TLS12, 0x009E); /* DHE-RSA-AES128-GCM-SHA256 */
	ep->dh.bits = 1024;
	checks_run(g_r, &g_cfg);
	assert_verdict(ep, "logjam", VULN_VULNERABLE);
	assert_string_equal(entry(ep, "logjam")->finding, "dh-weak");

	struct endpoint *ok = modern(995, MODE_IMPLICIT);
	suite(ok, P_TLS12, 0x009E);
	ok->dh.bits = 2048;
	checks_run(g_r, &g_cfg);
	assert_verdict(ok, "logjam", VULN_NOT_VULNERABLE);
}

static void test_sslv2_is_drown_with_spki(void **state UNUSED)
{
	struct endpoint *ep = modern(465, MODE_IMPLICIT);
	ep_set_protocol(ep, P_SSLV2, 1);
	suite(ep, P_SSLV2, V2_RC4_MD5);
	suite(ep, P_TLS12, ECDHE_GCM);
	struct cert_entry *c = ep_add_cert(ep);
	str_set(&c->spki_sha256, "00ff");
	checks_run(g_r, &g_cfg);
	assert_verdict(ep, "drown", VULN_VULNERABLE);
	assert_string_equal(entry(ep, "drown")->finding, "protocol-sslv2");
	assert_non_null(strstr(entry(ep, "drown")->evidence, "SPKI SHA-256 00ff"));
}

/* What could not be enumerated is unknown, never "not vulnerable". */
static void test_unknown_protocols_stay_unknown(void **state UNUSED)
{
	struct endpoint *ep = modern(465, MODE_IMPLICIT);
	ep_set_protocol(ep, P_SSLV3, -1);
	ep_set_protocol(ep, P_TLS10, -1);
	suite(ep, P_TLS12, ECDHE_GCM);
	ep->tls.secure_reneg = -1;
	ep->client_reneg = -1;
	ep->defaults.probed = 0;
	checks_run(g_r, &g_cfg);
	assert_verdict(ep, "sweet32", VULN_UNKNOWN);
	assert_verdict(ep, "poodle", VULN_UNKNOWN);
	assert_verdict(ep, "beast", VULN_UNKNOWN);
	assert_verdict(ep, "obsolete-protocols", VULN_UNKNOWN);
	assert_verdict(ep, "secure-renegotiation", VULN_UNKNOWN);
	assert_verdict(ep, "client-renegotiation", VULN_UNKNOWN);
	assert_verdict(ep, "crime", VULN_UNKNOWN);
}

static void test_quick_derived_unknown(void **state UNUSED)
{
	struct endpoint *ep = modern(465, MODE_IMPLICIT);
	ep->enumerated = 0;
	checks_run(g_r, &g_cfg);
	assert_verdict(ep, "sweet32", VULN_UNKNOWN);
	assert_non_null(strstr(entry(ep, "sweet32")->reason, "--quick"));
	assert_verdict(ep, "secure-renegotiation", VULN_NOT_VULNERABLE);
}

static void test_probe_verdict_raises_finding(void **state UNUSED)
{
	struct endpoint *ep = modern(465, MODE_IMPLICIT);
	suite(ep, P_TLS12, ECDHE_GCM);
	/* A probe filled these (added out of order, as probes finish). */
	struct vuln *r = ep_vuln(ep, "robot");
	vuln_set(r, VULN_VULNERABLE, NULL);
	vuln_evidence(r, "weak oracle");
	r->weak = 1;
	r->connections = 6;
	struct vuln *h = ep_vuln(ep, "heartbleed");
	vuln_set(h, VULN_VULNERABLE, NULL);
	vuln_evidence(h, "16384 bytes came back for 1 sent");
	h->connections = 1;
	checks_run(g_r, &g_cfg);
	const struct finding *f = finding(ep, "heartbleed");
	assert_non_null(f);
	assert_int_equal(f->sev, SEV_CRITICAL);
	assert_int_equal(f->ncve, 1);
	assert_string_equal(f->cve[0], "CVE-2014-0160");
	assert_non_null(strstr(f->detail, "16384 bytes"));
	assert_string_equal(entry(ep, "heartbleed")->finding, "heartbleed");
	assert_int_equal(finding(ep, "robot")->sev, SEV_MEDIUM); /* weak: one lower */
	assert_int_equal(entry(ep, "robot")->connections, 6);
	assert_string_equal(ep->grade, "F"); /* a critical finding caps */
	/* Entries in the battery's order, whatever order the probes used. */
	assert_string_equal(ep->vulns[0].id, "heartbleed");
	assert_string_equal(ep->vulns[3].id, "robot");
	assert_string_equal(ep->vulns[ep->nvulns - 1].id, "ftp-user-before-tls");
}

/* ROBOT's RSA-only hello closed on (Dovecot): the enumeration settles it
 * when it found no RSA key exchange; with one, it stays unknown. */
static void test_robot_settled_by_enumeration(void **state UNUSED)
{
	struct endpoint *ep = modern(993, MODE_IMPLICIT);
	suite(ep, P_TLS12, ECDHE_GCM);
	vuln_set(ep_vuln(ep, "robot"), VULN_UNKNOWN, "closed without a ServerHello");
	struct endpoint *rsa = modern(995, MODE_IMPLICIT);
	suite(rsa, P_TLS12, ECDHE_GCM);
	suite(rsa, P_TLS12, RSA_AES_CBC);
	vuln_set(ep_vuln(rsa, "robot"), VULN_UNKNOWN, "closed without a ServerHello");
	checks_run(g_r, &g_cfg);
	assert_verdict(ep, "robot", VULN_NOT_APPLICABLE);
	assert_non_null(strstr(entry(ep, "robot")->reason, "no RSA key exchange"));
	assert_verdict(rsa, "robot", VULN_UNKNOWN);
}

static void test_port25_not_required_is_info(void **state UNUSED)
{
	struct endpoint *ep = modern(25, MODE_STARTTLS);
	suite(ep, P_TLS12, ECDHE_GCM);
	vuln_set(ep_vuln(ep, "starttls-not-required"), VULN_VULNERABLE, NULL);
	checks_run(g_r, &g_cfg);
	assert_int_equal(finding(ep, "starttls-not-required")->sev, SEV_INFO);
}

static void test_no_battery(void **state UNUSED)
{
	g_cfg.vulns = 0;
	struct endpoint *ep = modern(465, MODE_IMPLICIT);
	suite(ep, P_TLS12, ECDHE_GCM);
	checks_run(g_r, &g_cfg);
	assert_int_equal(ep->nvulns, 0);

	/* An endpoint that could not be scanned gets none either: its errors
	 * say why. */
	g_cfg.vulns = 1;
	struct endpoint *down = result_add_endpoint(g_r, "mx.example.com", 25, "192.0.2.2");
	ep_add_error(down, STAGE_CONNECT, ERR_CONNECT, "refused");
	checks_run(g_r, &g_cfg);
	assert_int_equal(down->nvulns, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_modern_server_is_clean, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sslv3_cbc_is_poodle_and_beast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port25_beast_is_low, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_weak_suites_link, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_logjam_dh_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sslv2_is_drown_with_spki, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_protocols_stay_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quick_derived_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_probe_verdict_raises_finding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_robot_settled_by_enumeration, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port25_not_required_is_info, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_battery, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
