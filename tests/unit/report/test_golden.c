/* test_golden.c - golden-file tests of the four renderers (text, JSON and
 * JSON lines, CSV, HTML) on one recorded scan result built in memory: a
 * graded STARTTLS endpoint with every section filled, a second endpoint
 * that failed, and a run-level error, with hostile peer strings all over
 * (ANSI/OSC escapes, <script>, =HYPERLINK(...) and other formula starts,
 * invalid and overlong UTF-8, a NUL, a bidi override).
 *
 * A second recorded result is a `mailtls domain` run (r->domain): two MX
 * hosts (one with signed TLSA records, one whose address lookup failed),
 * MTA-STS TXT and policy in testing mode, TLS-RPT, SPF with a failing
 * include, DMARC, the verdict, domain findings, and the MX endpoint under
 * DANE with a TLSA mismatch; the same hostile strings sit in its TXT
 * records, the policy body, the MX host's error, the MTA-STS error, the SPF
 * problems and a finding's detail. Its files are golden/domain*.
 *
 * Each output must equal its file in tests/unit/report/golden/ byte for
 * byte (the text report with colour off, 80 columns). When a renderer
 * changes on purpose, regenerate the files from the repository root and
 * review the diff before committing it:
 *
 *     make build/tests/unit/report/test_golden
 *     MAILTLS_UPDATE_GOLDEN=1 build/tests/unit/report/test_golden
 *     git diff tests/unit/report/golden/
 *
 * The golden directory is found from this file's path (the tests run from
 * the repository root, as `make check` does); MAILTLS_GOLDEN_DIR overrides.
 *
 * A golden file only pins what the output was when it was reviewed, so
 * the safety properties are also checked on their own here, whatever the
 * files say: no terminal control byte in the text report, no markup from
 * the peer in the HTML, RFC 4180 rows with formula starts neutralised in
 * the CSV, parseable JSON. */
#include "testutil.h"

#include <errno.h>
#include <jansson.h>
#include <strings.h>

#include "model/domain.h"
#include "model/result.h"
#include "report/golden_out.h"
#include "report/report.h"

#define ANSI_CLEAR "\x1b[2J"
#define OSC_TITLE "\x1b]0;pwned\x07"
#define RLO "\xe2\x80\xae"     /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define CSI_C1 "\xc2\x9b"      /* U+009B: a one-byte ESC [ */
#define OVERLONG_LT "\xc0\xbc" /* '<' as an overlong sequence */
#define SCRIPT "<script>document.title='pwned'</script>"
#define HYPERLINK "=HYPERLINK(\"http://evil.example/\",\"click\")"
/* the same in a CSV field: quotes doubled */
#define HYPERLINK_CSV "=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")"

/* ------------------------------------------------------------------ the recorded scan */

static void cipher(struct endpoint *ep, enum tls_proto p, uint32_t code, const char *iana,
		   const char *openssl, const char *kx, const char *au, const char *enc, int bits,
		   int order)
{
	ep_add_cipher(ep, p, code, iana, openssl, kx, au, enc, bits, order);
}

static void graded_endpoint(struct result *r)
{
	struct endpoint *ep = result_add_endpoint(r, "mx.example.com", 25, "192.0.2.25");
	struct dialogue *g = &ep->dlg;
	struct tls_summary *t = &ep->tls;
	struct cert_entry *c;
	struct finding *f;

	ep->mode = MODE_STARTTLS;
	str_set(&ep->starttls, "smtp");
	str_set(&ep->sni, "mx.example.com");

	g->ran = 1;
	g->greeting_code = 220;
	str_set(&g->greeting, "mx.example.com ESMTP " ANSI_CLEAR OSC_TITLE " " SCRIPT " \xff\xfe");
	g->greeting_ms = 20.5;
	g->hello_code = 250;
	dlg_add_cap_to(&g->caps_pre, &g->ncaps_pre, &g->capcaps_pre, "PIPELINING");
	dlg_add_cap_to(&g->caps_pre, &g->ncaps_pre, &g->capcaps_pre, "SIZE 10240000");
	dlg_add_cap_to(&g->caps_pre, &g->ncaps_pre, &g->capcaps_pre, "X-EVIL " HYPERLINK);
	dlg_add_cap_to(&g->caps_pre, &g->ncaps_pre, &g->capcaps_pre, "STARTTLS");
	dlg_add_cap_to(&g->caps_post, &g->ncaps_post, &g->capcaps_post, "PIPELINING");
	dlg_add_cap_to(&g->caps_post, &g->ncaps_post, &g->capcaps_post, "SIZE 10240000");
	dlg_add_cap_to(&g->caps_post, &g->ncaps_post, &g->capcaps_post, "AUTH PLAIN LOGIN");
	g->caps_post_known = 1;
	g->starttls_advertised = 1;
	g->starttls_sent = 1;
	g->starttls_ok = 1;
	g->starttls_code = 220;
	str_set(&g->starttls_reply, "2.0.0 Ready " RLO "gnp.exe " CSI_C1 "31m");
	g->auth_tls = 1;

	t->done = 1;
	t->version = P_TLS13;
	str_set(&t->cipher, "TLS_AES_256_GCM_SHA384");
	str_set(&t->cipher_openssl, "TLS_AES_256_GCM_SHA384");
	t->cipher_code = 0x1302;
	str_set(&t->group, "X25519");
	t->handshake_ms = 12.25;
	t->verify_code = 0;
	str_set(&t->verify_message, "ok");
	t->hostname_checked = 1;
	str_set(&t->verify_name, "mx.example.com");
	t->ocsp_stapled = 1;
	t->ocsp_status = OCSP_ST_SUCCESSFUL;
	t->ocsp_cert_status = OCSP_CERT_GOOD;
	t->ocsp_age_s = 3600;
	t->ocsp_expires_s = 86400;
	t->secure_reneg = 1;

	ep->enumerated = 1;
	ep->resume_id = 1;
	ep->resume_ticket = 0;
	ep->client_reneg = 0;
	ep_set_protocol(ep, P_SSLV2, 0);
	ep_set_protocol(ep, P_SSLV3, 0);
	ep_set_protocol(ep, P_TLS10, 1);
	ep_set_protocol(ep, P_TLS11, 0);
	ep_set_protocol(ep, P_TLS12, 1);
	ep_set_protocol(ep, P_TLS13, 1);
	ep->server_order[P_TLS10] = -1;
	ep->server_order[P_TLS12] = 1;
	ep->server_order[P_TLS13] = 0;
	cipher(ep, P_TLS13, 0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", "any",
	       "any", "AESGCM", 256, 1);
	cipher(ep, P_TLS13, 0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", "any",
	       "any", "AESGCM", 128, 2);
	cipher(ep, P_TLS12, 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	       "ECDHE-RSA-AES256-GCM-SHA384", "ECDH", "RSA", "AESGCM", 256, 1);
	cipher(ep, P_TLS12, 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
	       "DHE-RSA-AES256-GCM-SHA384", "DH", "RSA", "AESGCM", 256, 2);
	cipher(ep, P_TLS10, 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA",
	       "ECDH", "RSA", "AES", 256, 1);
	strv_push(&ep->sigalgs, &ep->nsigalgs, "rsa_pss_rsae_sha256");
	strv_push(&ep->sigalgs, &ep->nsigalgs, "rsa_pkcs1_sha256");
	ep->defaults.probed = 1;
	strv_push(&ep->defaults.extensions, &ep->defaults.nextensions, "renegotiation_info");
	strv_push(&ep->defaults.extensions, &ep->defaults.nextensions, "extended_master_secret");
	ep->defaults.session_id = 1;
	ep->defaults.compression = 0;
	ep->defaults.clock = 0;
	ep->defaults.grease_ok = 1;
	ep->defaults.long_hello_ok = 1;
	ep->defaults.ticket_lifetime_s = 7200;
	ep_add_group(ep, "X25519");
	ep_add_group(ep, "secp256r1");
	ep_add_group(ep, "ffdhe2048");
	ep->dh.bits = 2048;
	str_set(&ep->dh.common, "RFC7919/ffdhe2048");

	c = ep_add_cert(ep);
	c->depth = 0;
	c->chain = CHAIN_DEFAULT;
	str_set(&c->subject, "CN=mx.example.com,O=<b>Evil</b> " ANSI_CLEAR "Corp");
	str_set(&c->issuer, "CN=Example Issuing CA " RLO "1G");
	str_set(&c->serial, "03A1B2C3D4E5F60718293A4B5C6D7E8F");
	str_set(&c->not_before, "2026-01-01T00:00:00Z");
	str_set(&c->not_after, "2026-12-31T23:59:59Z");
	str_set(&c->key, "RSA 2048");
	c->key_type = KEY_TYPE_RSA;
	c->key_bits = 2048;
	c->days_left = 300;
	str_set(&c->sig_alg, "sha256WithRSAEncryption");
	c->sig_hash = SIG_HASH_SHA256;
	str_set(&c->sha256, "06:F7:C8:6B:9B:A7:35:97:42:B8:75:EB:32:9A:0F:B4:8D:DC:99:D3:35:0B:19:"
			    "4B:D6:AA:4E:C8:C0:69:C6:63");
	str_set(&c->spki_sha256, "58b4a004aa63c897486731a139a176ed9fe409f27d631cddec0812b40bd4fdb8");
	cert_add_san(c, "DNS:mx.example.com");
	cert_add_san(c, "DNS:" HYPERLINK);
	cert_add_san(c, "IP:192.0.2.25");
	strv_push(&c->ocsp_uris, &c->nocsp_uris, "http://ocsp.example/\"><script>x</script>");
	strv_push(&c->ca_issuers, &c->nca_issuers, "http://ca.example/issuer.der");
	strv_push(&c->crl_uris, &c->ncrl_uris, "http://crl.example/ca.crl");
	c->sct_count = 2;
	str_set(&c->pem, "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUA6Gyw9Tl9gcYKTpLXG1+jzANBgkqhkiG9w0BAQsF\n"
			 "-----END CERTIFICATE-----\n");

	c = ep_add_cert(ep);
	c->depth = 1;
	c->chain = CHAIN_DEFAULT;
	str_set(&c->subject, "CN=Example Issuing CA " RLO "1G");
	str_set(&c->issuer, "CN=Example Root " OVERLONG_LT "x");
	str_set(&c->serial, "01");
	str_set(&c->not_before, "2025-01-01T00:00:00Z");
	str_set(&c->not_after, "2030-01-01T00:00:00Z");
	str_set(&c->key, "EC P-384");
	c->key_type = KEY_TYPE_EC;
	c->key_bits = 384;
	c->days_left = 1461;
	str_set(&c->sig_alg, "ecdsa-with-SHA384");
	c->sig_hash = SIG_HASH_SHA384;
	str_set(&c->sha256, "E2:0B:47:54:41:E8:B2:6B:74:84:7B:0A:56:56:74:70:3A:4F:82:28:58:62:B2:"
			    "82:A9:21:FD:C2:2D:A6:0A:FB");
	str_set(&c->spki_sha256, "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90");

	f = ep_add_finding(ep, "protocol-tls10-tls11", SEV_LOW, "TLS 1.0 or 1.1 is offered",
			   "TLS 1.0 offered; both are deprecated (RFC 8996)",
			   "On port 25 old senders may still need them.");
	f = ep_add_finding(ep, "starttls-readvertised", SEV_MEDIUM, HYPERLINK,
			   "+cmd|' /C calc'!A0 " SCRIPT " \xff " RLO "txt.exe",
			   "-2+3 then @SUM(1+1) and a\nnewline\rand\ttab");
	finding_add_cve(f, "CVE-2014-0160");
	finding_add_cve(f, "CVE-2016-2183");
	ep_add_finding(ep, "no-ocsp-stapling", SEV_INFO, "@evil " OVERLONG_LT "b>", NULL, NULL);
	ep_add_finding(ep, "cert-trusted", SEV_OK, "The certificate is trusted",
		       "the chain verifies and matches mx.example.com", NULL);
	f = ep_add_finding(ep, "heartbleed", SEV_CRITICAL, "Heartbleed: the server leaks memory",
			   "16403 bytes came back", "Upgrade OpenSSL.");
	finding_add_cve(f, "CVE-2014-0160");

	/* The vulnerability battery: each verdict once; the evidence as hostile
	 * as the rest. (Leaked bytes are for the terminal only and never in
	 * JSON, so a report read back cannot show them: not in the goldens;
	 * tests/integ/test_vuln_heartbleed.py checks them.) */
	ep->vulns_ran = 1;
	struct vuln *v = ep_vuln(ep, "heartbleed");
	vuln_set(v, VULN_VULNERABLE, NULL);
	vuln_evidence(v, "sent a heartbeat claiming 16384 bytes with 1; 16403 bytes came back");
	strv_push(&v->cve, &v->ncve, "CVE-2014-0160");
	str_set(&v->finding, "heartbleed");
	v->connections = 1;
	v = ep_vuln(ep, "robot");
	vuln_set(v, VULN_UNKNOWN, "the server closed: could be throttling");
	v->connections = 2;
	v = ep_vuln(ep, "poodle");
	vuln_set(v, VULN_NOT_APPLICABLE, "no SSLv3");
	strv_push(&v->cve, &v->ncve, "CVE-2014-3566");
	v = ep_vuln(ep, "starttls-injection");
	vuln_set(v, VULN_NOT_VULNERABLE, NULL);
	vuln_evidence(v, "one answer to NOOP: 250 " SCRIPT " " RLO "txt.exe");
	v->connections = 1;

	ep_add_tline(ep, 20.5, 'S', LIT("220 mx.example.com ESMTP " ANSI_CLEAR OSC_TITLE " " SCRIPT));
	ep_add_tline(ep, 21.0, 'C', LIT("EHLO mailtls.invalid"));
	ep_add_tline(ep, 22.25, 'S', LIT("250-X-EVIL " HYPERLINK));
	ep_add_tline(ep, 22.5, 'S', LIT("250-a\0b \xff\xfe " CSI_C1 "1m"));
	ep_add_tline(ep, 22.75, 'S', LIT("250 back\\slash " RLO "gpj.exe"));
	ep_add_tline(ep, 23.0, 'C', LIT("STARTTLS"));
	ep_add_tline(ep, 24.0, 'S', LIT("220 2.0.0 Ready " RLO "gnp.exe " CSI_C1 "31m"));

	snprintf(ep->grade, sizeof ep->grade, "B");
	ep->score = 91;
	strv_push(&ep->grade_caps, &ep->ngrade_caps, "TLS 1.0 or 1.1 is offered: at most B");
	str_set(&ep->auth_verdict, "trusted: the certificate verifies for mx.example.com");
	ep->stats.connections = 42;
	ep->stats.duration_ms = 1234.5;
}

static void failed_endpoint(struct result *r)
{
	struct endpoint *ep = result_add_endpoint(r, "mx.example.com", 25, "2001:db8::25");

	ep->mode = MODE_STARTTLS;
	str_set(&ep->starttls, "smtp");
	str_set(&ep->sni, "mx.example.com");
	ep->dlg.ran = 1;
	ep->dlg.silent = 1;
	ep_add_error(ep, STAGE_DIALOGUE, ERR_TIMEOUT,
	             "no greeting within 15 s " ANSI_CLEAR "-" SCRIPT " \xff");
	ep->stats.connections = 1;
	ep->stats.duration_ms = 15000.0;
}

static struct result *recorded_scan(void)
{
	struct result *r = result_new();

	result_add_error(r, STAGE_RESOLVE, ERR_RESOLVE,
	                 "=mx.example.com: AAAA answer " OVERLONG_LT "script> \xff ignored");
	graded_endpoint(r);
	failed_endpoint(r);
	return r;
}

/* ------------------------------------------------------------------ the recorded domain run */

#define TLSA_311 "58b4a004aa63c897486731a139a176ed9fe409f27d631cddec0812b40bd4fdb8"
#define TLSA_211 "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

static void txt_add(struct txt_rec *t, enum zone_sec sec, const char *txt)
{
	t->sec = sec;
	strv_push(&t->txt, &t->ntxt, txt);
	t->valid = 1;
}

static void domain_info_fill(struct domain_info *d)
{
	struct mx_host *m;

	d->mx_looked = 1;
	d->mx_sec = SEC_SECURE;

	m = domain_add_mx(d, "mx1.example.com", 10);
	strv_push(&m->addresses, &m->naddresses, "192.0.2.25");
	strv_push(&m->addresses, &m->naddresses, "2001:db8::25");
	m->addr_sec = SEC_SECURE;
	m->tlsa_sec = SEC_SECURE;
	str_set(&m->tlsa_name, "_25._tcp.mx1.example.com");
	mx_add_tlsa(m, 3, 1, 1, TLSA_311);
	mx_add_tlsa(m, 2, 1, 1, TLSA_211);
	m->sts_match = 1;

	m = domain_add_mx(d, "mx2.example.com", 20);
	str_set(&m->addr_error,
		"SERVFAIL from 198.51.100.53 " ANSI_CLEAR OSC_TITLE " " SCRIPT " \xff " RLO "gpj.exe");
	m->tlsa_sec = SEC_INSECURE;
	str_set(&m->tlsa_name, "_25._tcp.mx2.example.com");
	str_set(&m->tlsa_error, "SERVFAIL (no answer within 5 s)");
	m->sts_match = 0;

	txt_add(&d->sts_txt, SEC_SECURE, "v=STSv1; id=20240101T000000; x=" OSC_TITLE RLO "1");
	str_set(&d->sts_id, "20240101T000000");
	str_set(&d->sts.url, "https://mta-sts.example.com/.well-known/mta-sts.txt");
	d->sts.fetched = 1;
	d->sts.status = 200;
	str_set(&d->sts.content_type, "text/plain; charset=utf-8");
	str_set(&d->sts.body, "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\n"
			      "mx: *.mail.example.com\r\nmax_age: 86400\r\n# " SCRIPT " " HYPERLINK
			      " " ANSI_CLEAR " \xff " CSI_C1 "1m " RLO "txt\r\n");
	d->sts.valid = 1;
	d->sts.mode = STS_MODE_TESTING;
	d->sts.max_age = 86400;
	strv_push(&d->sts.mx, &d->sts.nmx, "mx1.example.com");
	strv_push(&d->sts.mx, &d->sts.nmx, "*.mail.example.com");
	/* A valid policy has no error in a real run; a renderer shows both. */
	str_set(&d->sts.error, "a second fetch said Content-Type text/html " SCRIPT " " OVERLONG_LT
			       "b> \xff");

	txt_add(&d->tlsrpt, SEC_SECURE,
		"v=TLSRPTv1; rua=mailto:tlsrpt@example.com, " HYPERLINK);
	strv_push(&d->tlsrpt_rua, &d->ntlsrpt_rua, "mailto:tlsrpt@example.com");
	strv_push(&d->tlsrpt_rua, &d->ntlsrpt_rua, HYPERLINK);

	txt_add(&d->spf, SEC_SECURE,
		"v=spf1 mx include:_spf.example.net " ANSI_CLEAR "\xff -all");
	d->spf_all = '-';
	d->spf_lookups = 4;
	strv_push(&d->spf_problems, &d->nspf_problems,
		  "include:_spf.example.net: SERVFAIL " ANSI_CLEAR OSC_TITLE " " SCRIPT " \xfe "
		  RLO "txt.exe");
	strv_push(&d->spf_problems, &d->nspf_problems, "+cmd|' /C calc'!A0 has no SPF record");

	txt_add(&d->dmarc, SEC_SECURE,
		"v=DMARC1; p=quarantine; pct=50; rua=mailto:" SCRIPT "@example.com");
	d->dmarc_p = DMARC_QUARANTINE;
	d->dmarc_pct = 50;
	strv_push(&d->dmarc_rua, &d->ndmarc_rua, "mailto:" SCRIPT "@example.com");

	d->verdict = VERDICT_DANE;
	str_set(&d->verdict_detail,
		"Senders that validate DNSSEC require TLS and the TLSA-matched certificate; the "
		"others (no MTA-STS in enforce mode) can be downgraded.");
	domain_add_finding(d, "spf-invalid", SEV_HIGH, "An SPF include or redirect fails",
			   HYPERLINK " The record needs 4 DNS lookups: include:_spf.example.net: "
				     "SERVFAIL " ANSI_CLEAR SCRIPT " \xff " RLO "txt.exe\nnext line",
			   "Fix or remove the include or redirect that fails.");
	domain_add_finding(d, "mta-sts-mx-not-covered", SEV_MEDIUM,
			   "An MX host is not covered by the MTA-STS policy",
			   "The MX host mx2.example.com matches no \"mx:\" line of the policy. "
			   "Senders report it, and deliver.",
			   "Add the host (or a \"*.\" pattern for it) to the policy's mx lines and "
			   "change the TXT record's id.");
	domain_add_finding(d, "mta-sts-testing", SEV_LOW, "MTA-STS is in testing mode",
			   "Senders report failures (with TLS-RPT) but still deliver over an "
			   "unauthenticated or clear-text connection.",
			   "Once TLS-RPT reports are clean, switch the policy to \"mode: enforce\" "
			   "and change the TXT record's id.");
	domain_add_finding(d, "dmarc-pct-partial", SEV_LOW, "DMARC applies to part of the mail",
			   "pct=50: the policy applies to only 50% of the failing mail.",
			   "Remove pct (or set pct=100).");
	domain_add_finding(d, "dnssec-note", SEV_INFO, "@" OVERLONG_LT "i> an informational note",
			   "-1 informational detail", NULL);
}

/* The MX host under DANE, its certificate matching none of the TLSA
 * records: graded F. */
static void dane_endpoint(struct result *r)
{
	struct endpoint *ep = result_add_endpoint(r, "mx1.example.com", 25, "192.0.2.25");
	struct dialogue *g = &ep->dlg;
	struct tls_summary *t = &ep->tls;
	struct cert_entry *c;

	ep->mode = MODE_STARTTLS;
	str_set(&ep->starttls, "smtp");
	str_set(&ep->sni, "mx1.example.com");
	g->ran = 1;
	g->greeting_code = 220;
	str_set(&g->greeting, "mx1.example.com ESMTP");
	g->greeting_ms = 10.0;
	g->hello_code = 250;
	dlg_add_cap_to(&g->caps_pre, &g->ncaps_pre, &g->capcaps_pre, "STARTTLS");
	g->starttls_advertised = 1;
	g->starttls_sent = 1;
	g->starttls_ok = 1;
	g->starttls_code = 220;
	str_set(&g->starttls_reply, "2.0.0 Ready");

	t->done = 1;
	t->version = P_TLS13;
	str_set(&t->cipher, "TLS_AES_256_GCM_SHA384");
	str_set(&t->cipher_openssl, "TLS_AES_256_GCM_SHA384");
	t->cipher_code = 0x1302;
	str_set(&t->group, "X25519");
	t->handshake_ms = 8.5;
	t->verify_code = 0;
	str_set(&t->verify_message, "ok");
	t->hostname_checked = 1;
	str_set(&t->verify_name, "mx1.example.com");
	t->secure_reneg = -1;
	t->ocsp_age_s = OCSP_UNKNOWN;
	t->ocsp_expires_s = OCSP_UNKNOWN;

	ep->enumerated = 1;
	ep->resume_id = -1;
	ep->resume_ticket = -1;
	ep->client_reneg = -1;
	ep_set_protocol(ep, P_SSLV2, 0);
	ep_set_protocol(ep, P_SSLV3, 0);
	ep_set_protocol(ep, P_TLS10, 0);
	ep_set_protocol(ep, P_TLS11, 0);
	ep_set_protocol(ep, P_TLS12, 1);
	ep_set_protocol(ep, P_TLS13, 1);
	ep->server_order[P_TLS12] = 1;
	ep->server_order[P_TLS13] = 0;
	cipher(ep, P_TLS13, 0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", "any",
	       "any", "AESGCM", 256, 1);
	cipher(ep, P_TLS12, 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	       "ECDHE-RSA-AES256-GCM-SHA384", "ECDH", "RSA", "AESGCM", 256, 1);
	ep_add_group(ep, "X25519");

	c = ep_add_cert(ep);
	c->depth = 0;
	c->chain = CHAIN_DEFAULT;
	str_set(&c->subject, "CN=mx1.example.com");
	str_set(&c->issuer, "CN=Example CA");
	str_set(&c->serial, "0A");
	str_set(&c->not_before, "2026-01-01T00:00:00Z");
	str_set(&c->not_after, "2026-12-31T23:59:59Z");
	str_set(&c->key, "RSA 2048");
	c->key_type = KEY_TYPE_RSA;
	c->key_bits = 2048;
	c->days_left = 300;
	str_set(&c->sig_alg, "sha256WithRSAEncryption");
	c->sig_hash = SIG_HASH_SHA256;
	str_set(&c->sha256, "9C:2B:4E:6D:8F:A1:B3:C5:D7:E9:0B:1D:2F:41:53:65:77:89:9B:AD:BF:C1:D3:"
			    "E5:F7:09:1B:2D:3F:51:63:75");
	str_set(&c->spki_sha256, "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
	cert_add_san(c, "DNS:mx1.example.com");

	ep->auth_policy = AUTH_POLICY_DANE;
	ep->dane.checked = 1;
	ep->dane.ok = 0;
	ep->dane.usage = 3;
	ep->dane.selector = 1;
	ep->dane.mtype = 1;
	ep->dane.depth = -1;
	str_set(&ep->dane.message, "no TLSA record matched the certificate chain");
	ep_add_finding(ep, "dane-mismatch", SEV_HIGH,
		       "The certificate does not match the host's TLSA records",
		       "mx1.example.com publishes TLSA records at _25._tcp.mx1.example.com, but "
		       "the server's certificate matches none of them (no TLSA record matched the "
		       "certificate chain). Senders that use DANE (Postfix, Exim, Microsoft 365, "
		       "...) will not deliver to this host.",
		       "Publish a TLSA record for the certificate in use before deploying it (e.g. "
		       "\"3 1 1\" with the SHA-256 of its public key), keeping the old record until "
		       "the change is done.");
	ep_add_finding(ep, "no-ocsp-stapling", SEV_INFO, "No OCSP staple", NULL, NULL);

	snprintf(ep->grade, sizeof ep->grade, "F");
	ep->score = 97;
	strv_push(&ep->grade_caps, &ep->ngrade_caps,
		  "the certificate matches none of the TLSA records: F");
	str_set(&ep->auth_verdict, "DANE: fails (no TLSA record matched the certificate chain): "
				   "senders that use DANE do not deliver");
	ep->stats.connections = 12;
	ep->stats.duration_ms = 456.5;
}

static struct result *recorded_domain(void)
{
	struct result *r = result_new();

	r->domain = domain_info_new("example.com");
	domain_info_fill(r->domain);
	dane_endpoint(r);
	return r;
}

/* ------------------------------------------------------------------ rendering */

enum scen { SC_SCAN, SC_DOMAIN, SC_COUNT };
static const char *const scen_name[SC_COUNT] = {"scan", "domain"};

static struct result *recorded(enum scen s)
{
	return s == SC_DOMAIN ? recorded_domain() : recorded_scan();
}

static void render(enum scen s, enum out o, struct tu_capture *cap)
{
	struct result *r = recorded(s);
	golden_render(r, o, cap);
	result_free(r);
}

/* The scenario a parametrized test runs on (its cmocka initial state). */
static enum scen scen_of(void **state)
{
	return *(const enum scen *)*state;
}

/* ------------------------------------------------------------------ golden files */

static void golden_path(char *out, size_t n, const char *name)
{
	const char *dir = getenv("MAILTLS_GOLDEN_DIR");

	if (dir && *dir) {
		snprintf(out, n, "%s/%s", dir, name);
		return;
	}
	/* __FILE__ is tests/unit/report/test_golden.c as the Makefile names it */
	const char *slash = strrchr(__FILE__, '/');
	int len = slash ? (int)(slash - __FILE__) : 1;
	snprintf(out, n, "%.*s/golden/%s", len, slash ? __FILE__ : ".", name);
}

static int read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct tu_capture c;
	char chunk[4096];
	size_t got;

	if (!f)
		return -1;
	tu_capture_begin(&c);
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		assert_int_equal(fwrite(chunk, 1, got, c.f), got);
	fclose(f);
	tu_capture_end(&c);
	*data = c.data;
	*len = c.len;
	return 0;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Line and column of the first difference, for a readable failure. */
static void first_diff(const char *a, size_t na, const char *b, size_t nb, char *msg, size_t n)
{
	size_t i = 0, line = 1, col = 1;

	while (i < na && i < nb && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		i++;
	}
	size_t ea = i, eb = i;
	while (ea < na && a[ea] != '\n' && ea - i < 60)
		ea++;
	while (eb < nb && b[eb] != '\n' && eb - i < 60)
		eb++;
	snprintf(msg, n, "line %zu, column %zu: got \"%.*s\", golden \"%.*s\"", line, col,
		 (int)(ea - i), a + i, (int)(eb - i), b + i);
}

static void check_golden(enum scen s, enum out o)
{
	struct tu_capture got;
	char path[1024], name[64], msg[512];
	char *want = NULL;
	size_t nwant = 0;
	const char *update = getenv("MAILTLS_UPDATE_GOLDEN");

	render(s, o, &got);
	snprintf(name, sizeof name, "%s%s", scen_name[s], golden_suffix[o]);
	golden_path(path, sizeof path, name);
	if (update && strcmp(update, "1") == 0) {
		write_file(path, got.data, got.len);
		fprintf(stderr, "# rewrote %s (%zu bytes)\n", path, got.len);
		free(got.data);
		return;
	}
	if (read_file(path, &want, &nwant) != 0)
		fail_msg("cannot read golden file %s (%s); run from the repository root, or "
			 "regenerate with MAILTLS_UPDATE_GOLDEN=1",
			 path, strerror(errno));
	if (got.len != nwant || memcmp(got.data, want, nwant) != 0) {
		size_t ngot = got.len;
		first_diff(got.data, got.len, want, nwant, msg, sizeof msg);
		free(want);
		free(got.data);
		fail_msg("%s differs from the renderer's output (%zu bytes, golden %zu): %s. "
			 "If the change is intended, regenerate with MAILTLS_UPDATE_GOLDEN=1 and "
			 "review the diff.",
			 path, ngot, nwant, msg);
	}
	free(want);
	free(got.data);
}

/* One golden file: the scenario and the output (the cmocka initial state). */
struct golden_case {
	enum scen s;
	enum out o;
};

static void test_golden(void **state)
{
	const struct golden_case *gc = *state;

	check_golden(gc->s, gc->o);
}

/* ------------------------------------------------------------------ safety, whatever the files say */

#define HAS(c, s) tu_contains((c).data, (c).len, LIT(s))

/* Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		unsigned char lo = 0x80, hi = 0xBF;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			len = 2;
		else if (c >= 0xE0 && c <= 0xEF)
			len = 3;
		else if (c >= 0xF0 && c <= 0xF4)
			len = 4;
		else
			return 0;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		else if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (size_t k = 2; k < len; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

/* Display columns of a line: code points (everything here is narrow). */
static size_t columns(const char *s, size_t n)
{
	size_t cols = 0;

	for (size_t i = 0; i < n; i++)
		cols += ((unsigned char)s[i] & 0xC0) != 0x80;
	return cols;
}

static void test_text_is_terminal_safe(void **state)
{
	for (enum out o = OUT_TEXT; o <= OUT_TEXT_QUIET; o++) {
		struct tu_capture c;

		render(scen_of(state), o, &c);
		assert_null(memchr(c.data, 0x1b, c.len)); /* no ESC: colour is off */
		assert_null(memchr(c.data, 0x07, c.len)); /* no BEL ending an OSC */
		assert_null(memchr(c.data, '\r', c.len));
		assert_null(memchr(c.data, 0, c.len));
		assert_false(HAS(c, CSI_C1));
		assert_false(HAS(c, RLO));
		assert_true(valid_utf8((const unsigned char *)c.data, c.len));
		free(c.data);
	}
}

/* The escaped forms are what the reader sees (and the peer's newline
 * cannot start a line of its own). */
/* The text report wraps long lines at spaces: join the continuation lines
 * (newline plus indentation) back into single spaces. */
static void unwrap(struct tu_capture *c)
{
	size_t o = 0;
	for (size_t i = 0; i < c->len; i++) {
		if (c->data[i] == '\n' && i + 1 < c->len && c->data[i + 1] == ' ') {
			size_t j = i + 1;
			while (j < c->len && c->data[j] == ' ')
				j++;
			if (j - i - 1 == 16 || j - i - 1 == 13 || j - i - 1 == 18) {
				c->data[o++] = ' ';
				i = j - 1;
				continue;
			}
		}
		c->data[o++] = c->data[i];
	}
	c->len = o;
}

static void test_text_escaped_forms(void **state UNUSED)
{
	struct tu_capture c;

	render(SC_SCAN, OUT_TEXT, &c);
	unwrap(&c);
	assert_true(HAS(c, "\\x1B[2J\\x1B]0;pwned\\x07 " SCRIPT " \\xFF\\xFE"));
	assert_true(HAS(c, "2.0.0 Ready \\xE2\\x80\\xAEgnp.exe \\xC2\\x9B31m"));
	assert_true(HAS(c, "250-a\\x00b \\xFF\\xFE \\xC2\\x9B1m"));
	assert_true(HAS(c, "CN=Example Root \\xC0\\xBCx"));
	assert_true(HAS(c, "a\\nnewline\\rand\\ttab"));
	assert_false(HAS(c, "\nnewline"));
	free(c.data);
}

/* The domain's peer strings, escaped where they are shown: the MX host's
 * error, the TXT records, the MTA-STS error, the SPF problems, a finding's
 * detail (its newline escaped). */
static void test_text_domain_escaped_forms(void **state UNUSED)
{
	struct tu_capture c;

	render(SC_DOMAIN, OUT_TEXT, &c);
	unwrap(&c);
	assert_true(HAS(c, "mx2.example.com: SERVFAIL from 198.51.100.53 \\x1B[2J\\x1B]0;pwned\\x07 "
			   SCRIPT " \\xFF \\xE2\\x80\\xAEgpj.exe"));
	assert_true(HAS(c, "v=STSv1; id=20240101T000000; x=\\x1B]0;pwned\\x07\\xE2\\x80\\xAE1"));
	assert_true(HAS(c, "Content-Type text/html " SCRIPT " \\xC0\\xBCb> \\xFF"));
	assert_true(HAS(c, "include:_spf.example.net: SERVFAIL \\x1B[2J\\x1B]0;pwned\\x07 " SCRIPT
			   " \\xFE \\xE2\\x80\\xAEtxt.exe"));
	assert_true(HAS(c, "v=spf1 mx include:_spf.example.net \\x1B[2J\\xFF -all"));
	assert_true(HAS(c, "\\xE2\\x80\\xAEtxt.exe\\nnext line"));
	assert_false(HAS(c, "\nnext line"));
	free(c.data);
}

/* docs/grading.md: the grade is at the top of the terminal report. */
static void test_text_shows_grade_first(void **state UNUSED)
{
	struct tu_capture c;
	const char *grade, *tls;

	render(SC_SCAN, OUT_TEXT, &c);
	grade = memmem(c.data, c.len, LIT("  Grade         B (score 91)\n"));
	tls = memmem(c.data, c.len, LIT("\n Connection and STARTTLS\n"));
	assert_non_null(grade);
	assert_non_null(tls);
	assert_true(grade < tls);
	assert_true(HAS(c, "TLS 1.0 or 1.1 is offered: at most B"));
	assert_true(HAS(c, "trusted: the certificate verifies for mx.example.com"));
	free(c.data);
}

/* docs/domain.md: the domain part first (its verdict at the top), then
 * the MX endpoints with their grade, the DANE cap and policy. */
static void test_text_domain_sections(void **state UNUSED)
{
	struct tu_capture c;

	render(SC_DOMAIN, OUT_TEXT, &c);
	const char *head = memmem(c.data, c.len, LIT("== Domain example.com ==\n"));
	const char *verdict = memmem(c.data, c.len, LIT("  Downgrade     dane\n"));
	const char *mx = memmem(c.data, c.len, LIT("\n MX hosts (DNSSEC secure)\n"));
	const char *sts = memmem(c.data, c.len, LIT("\n MTA-STS\n"));
	const char *pol = memmem(c.data, c.len, LIT("\n Policy records\n"));
	const char *ep = memmem(c.data, c.len, LIT("== mx1.example.com port 25 (192.0.2.25)"));
	assert_true(c.data == head);
	assert_non_null(verdict);
	assert_non_null(mx);
	assert_non_null(sts);
	assert_non_null(pol);
	assert_non_null(ep);
	assert_true(head < verdict && verdict < mx && mx < sts && sts < pol && pol < ep);
	assert_true(HAS(c, "  Grade         F (score 97)\n"));
	assert_true(HAS(c, "the certificate matches none of the TLSA records: F"));
	assert_true(HAS(c, "  MX policy     dane\n"));
	assert_true(HAS(c, "(dane-mismatch)"));
	assert_true(HAS(c, "(mta-sts-mx-not-covered)"));
	assert_true(HAS(c, "MTA-STS: listed"));
	assert_true(HAS(c, "NOT listed")); /* mx2, wrapped after "MTA-STS:" */
	assert_true(HAS(c, "  Policy        mode testing, max_age 86400, mx: mx1.example.com\n"
			   "                *.mail.example.com\n"));
	assert_true(HAS(c, "TLSA 3 1 1 58b4a004aa63c897..."));
	assert_true(HAS(c, "TLSA lookup failed: SERVFAIL (no answer within 5 s)"));
	free(c.data);
}

/* The issue: the terminal report "fits 80 columns". The transcript and
 * the PEM lines are the peer's own lines and are left out. */
static void test_text_fits_80_columns(void **state)
{
	struct tu_capture c;
	struct text_opts to = {.transcript = 0, .show_certs = 0, .color = 0, .quiet = 0, .width = 80};
	struct result *r = recorded(scen_of(state));
	const char *p, *end;

	tu_capture_begin(&c);
	report_text(r, c.f, &to);
	tu_capture_end(&c);
	result_free(r);
	char bad[512] = "";
	for (p = c.data, end = c.data + c.len; p < end && !bad[0];) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (columns(p, n) > 80)
			snprintf(bad, sizeof bad, "a line of %zu columns: \"%.*s\"", columns(p, n),
				 (int)n, p);
		p += n + 1;
	}
	free(c.data);
	if (bad[0])
		fail_msg("%s", bad);
}

/* Regression (was a bug): the text report's wrap() breaks lines at spaces only, so a word
 * longer than the space left is printed whole past column 80; DNS records
 * routinely hold such words: a DMARC or TLS-RPT rua list is comma-separated
 * without spaces. Input: a domain run whose DMARC TXT record is "v=DMARC1;
 * p=reject; rua=mailto:re+abcdefghijkl@dmarc.postmarkapp.com,mailto:
 * dmarc-reports@example.com" (no space after the comma), rendered with
 * width 80. Expected: every line at most 80 columns (the promise
 * test_text_fits_80_columns checks); got: a 97-column line (16 columns of
 * indentation and the 81-character rua= word). The same holds for any peer
 * string (a greeting, a certificate subject) with a long word. */
static void test_text_domain_long_word_fits_80_columns(void **state UNUSED)
{
	struct tu_capture c;
	struct text_opts to = {.transcript = 0, .show_certs = 0, .color = 0, .quiet = 0, .width = 80};
	struct result *r = result_new();

	r->domain = domain_info_new("example.com");
	txt_add(&r->domain->dmarc, SEC_INSECURE,
		"v=DMARC1; p=reject; rua=mailto:re+abcdefghijkl@dmarc.postmarkapp.com,"
		"mailto:dmarc-reports@example.com");
	tu_capture_begin(&c);
	report_text(r, c.f, &to);
	tu_capture_end(&c);
	result_free(r);
	for (const char *p = c.data, *end = c.data + c.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (columns(p, n) > 80) {
			char bad[256];
			snprintf(bad, sizeof bad, "a line of %zu columns: \"%.*s\"", columns(p, n),
				 (int)n, p);
			free(c.data);
			fail_msg("%s", bad);
		}
		p += n + 1;
	}
	free(c.data);
}

/* --quiet: the summary and the findings at low or above, nothing else. */
static void test_text_quiet_content(void **state UNUSED)
{
	struct tu_capture c;

	render(SC_SCAN, OUT_TEXT_QUIET, &c);
	assert_true(HAS(c, "  Grade         B (score 91)\n"));
	assert_true(HAS(c, "(protocol-tls10-tls11)"));
	assert_true(HAS(c, "(starttls-readvertised)"));
	assert_false(HAS(c, "(no-ocsp-stapling)"));
	assert_false(HAS(c, "(cert-trusted)"));
	assert_false(HAS(c, "Cipher suites"));
	assert_false(HAS(c, "Certificate chain"));
	assert_false(HAS(c, "Connection and STARTTLS"));
	assert_false(HAS(c, "BEGIN CERTIFICATE"));
	free(c.data);
}

static void test_text_domain_quiet_content(void **state UNUSED)
{
	struct tu_capture c;

	render(SC_DOMAIN, OUT_TEXT_QUIET, &c);
	assert_true(HAS(c, "  Downgrade     dane\n"));
	assert_true(HAS(c, "(spf-invalid)"));
	assert_true(HAS(c, "(mta-sts-testing)"));
	assert_true(HAS(c, "(dane-mismatch)"));
	assert_true(HAS(c, "  Grade         F (score 97)\n"));
	assert_false(HAS(c, "(dnssec-note)"));
	assert_false(HAS(c, "(no-ocsp-stapling)"));
	assert_false(HAS(c, "MX hosts"));
	assert_false(HAS(c, "Policy records"));
	assert_false(HAS(c, "Connection and STARTTLS"));
	free(c.data);
}

/* Colour on: the only escapes are our SGR sequences. */
static void test_text_colour_is_ours_only(void **state)
{
	static const char *const ours[] = {"\x1b[0m",  "\x1b[1m",  "\x1b[2m",   "\x1b[31m",
					   "\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[1;35m"};
	struct tu_capture c;
	struct text_opts to = {.transcript = 1, .show_certs = 1, .color = 1, .quiet = 0, .width = 80};
	struct result *r = recorded(scen_of(state));
	size_t escs = 0;

	tu_capture_begin(&c);
	report_text(r, c.f, &to);
	tu_capture_end(&c);
	result_free(r);
	assert_true(HAS(c, "\x1b[33m[medium]"));
	assert_true(HAS(c, "\x1b[36m[low]"));
	for (size_t i = 0; i < c.len; i++) {
		size_t k;
		if (c.data[i] != 0x1b)
			continue;
		escs++;
		for (k = 0; k < ARRAY_LEN(ours); k++)
			if (c.len - i >= strlen(ours[k]) &&
			    memcmp(c.data + i, ours[k], strlen(ours[k])) == 0)
				break;
		if (k == ARRAY_LEN(ours))
			fail_msg("an escape that is not ours at %zu: \"%.12s\"", i, c.data + i);
	}
	assert_true(escs > 0);
	free(c.data);
}

static void test_html_no_peer_markup(void **state)
{
	struct tu_capture c;
	enum scen s = scen_of(state);

	render(s, OUT_HTML, &c);
	assert_true(valid_utf8((const unsigned char *)c.data, c.len));
	for (size_t i = 0; i + 7 <= c.len; i++)
		if (strncasecmp(c.data + i, "<script", 7) == 0)
			fail_msg("a <script at %zu", i);
	assert_false(HAS(c, "<b>Evil"));
	assert_false(HAS(c, "<i>"));
	assert_true(HAS(c, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
	if (s == SC_SCAN)
		assert_true(HAS(c, "O=&lt;b&gt;Evil&lt;/b&gt;"));
	/* no control byte: ESC, BEL, NUL, C1 */
	assert_null(memchr(c.data, 0x1b, c.len));
	assert_null(memchr(c.data, 0x07, c.len));
	assert_null(memchr(c.data, 0, c.len));
	assert_false(HAS(c, CSI_C1));
	/* self-contained: nothing is loaded from anywhere */
	assert_false(HAS(c, " src="));
	assert_false(HAS(c, " href="));
	assert_false(HAS(c, "url("));
	assert_true(HAS(c, "Content-Security-Policy\" content=\"default-src 'none'"));
	free(c.data);
}

/* docs/grading.md: the grade is "on the HTML page" (issue 7: a grade
 * card), with its caps and the authentication verdict. */
static void test_html_shows_grade(void **state UNUSED)
{
	struct tu_capture c;

	render(SC_SCAN, OUT_HTML, &c);
	int cap = HAS(c, "TLS 1.0 or 1.1 is offered: at most B");
	int auth = HAS(c, "trusted: the certificate verifies for mx.example.com");
	int letter = HAS(c, ">B<") || HAS(c, ">B (score 91)<") || HAS(c, "Grade B");
	free(c.data);
	if (!letter)
		fail_msg("the HTML page does not show the grade letter");
	if (!cap)
		fail_msg("the HTML page does not show the grade's cap");
	if (!auth)
		fail_msg("the HTML page does not show the authentication verdict");
}

/* The domain page: the verdict with its detail before the MX endpoint,
 * the domain's findings, the MX endpoint's grade, DANE cap and policy. */
static void test_html_domain_verdict(void **state UNUSED)
{
	struct tu_capture c;

	render(SC_DOMAIN, OUT_HTML, &c);
	const char *verdict = memmem(c.data, c.len, LIT("<span class=\"downgrade dv-dane\">dane</span>"));
	const char *ep = memmem(c.data, c.len, LIT("<h1>mx1.example.com:25</h1>"));
	assert_non_null(verdict);
	assert_non_null(ep);
	assert_true(verdict < ep);
	assert_true(HAS(c, "<h1>Domain example.com</h1>"));
	assert_true(HAS(c, "the others (no MTA-STS in enforce mode) can be downgraded."));
	assert_true(HAS(c, "<code class=\"muted\">spf-invalid</code>"));
	assert_true(HAS(c, "not listed in the MTA-STS policy"));
	assert_true(HAS(c, "the certificate matches none of the TLSA records: F"));
	assert_true(HAS(c, "<span class=\"letter gF\">F</span>"));
	assert_true(HAS(c, "MX policy: dane"));
	assert_true(HAS(c, "<code class=\"muted\">dane-mismatch</code>"));
	free(c.data);
}

/* A minimal RFC 4180 reader: rows of fields, each quoted field with ""
 * for a quote, CRLF between rows. Checks the shape as it goes. */
static size_t csv_rows(const char *s, size_t n, void (*each)(char **f, size_t nf, void *), void *arg)
{
	size_t i = 0, rows = 0;

	while (i < n) {
		char *fields[16];
		size_t nf = 0;
		for (;;) {
			struct tu_capture fld;
			tu_capture_begin(&fld);
			if (s[i] == '"') {
				i++;
				for (;;) {
					assert_true(i < n);
					if (s[i] == '"' && i + 1 < n && s[i + 1] == '"') {
						fputc('"', fld.f);
						i += 2;
					} else if (s[i] == '"') {
						i++;
						break;
					} else {
						fputc(s[i++], fld.f);
					}
				}
			} else {
				while (i < n && s[i] != ',' && s[i] != '\r') {
					assert_true(s[i] != '"' && s[i] != '\n');
					fputc(s[i++], fld.f);
				}
			}
			fputc('\0', fld.f);
			tu_capture_end(&fld);
			assert_true(nf < ARRAY_LEN(fields));
			fields[nf++] = fld.data;
			assert_true(i < n);
			if (s[i] == ',') {
				i++;
				continue;
			}
			assert_true(i + 1 < n && s[i] == '\r' && s[i + 1] == '\n');
			i += 2;
			break;
		}
		each(fields, nf, arg);
		for (size_t k = 0; k < nf; k++)
			free(fields[k]);
		rows++;
	}
	return rows;
}

struct csv_state {
	size_t row;
	size_t domain_rows; /* host "example.com": the domain's findings */
};

static void csv_row_check(char **f, size_t nf, void *arg)
{
	struct csv_state *st = arg;

	assert_int_equal(nf, 9);
	for (size_t k = 0; k < nf; k++) {
		/* formula starts neutralised with a leading ' */
		if (f[k][0] && strchr("=+-@\t\r", f[k][0]))
			fail_msg("row %zu field %zu starts with a formula character: \"%s\"", st->row,
				 k, f[k]);
		/* one physical line per row: no CR or LF inside a field */
		assert_null(strpbrk(f[k], "\r\n"));
		assert_true(valid_utf8((const unsigned char *)f[k], strlen(f[k])));
	}
	if (st->row == 0) {
		static const char *const head[] = {"host", "port", "address", "id", "severity",
						   "title", "detail", "cve", "fix"};
		for (size_t k = 0; k < 9; k++)
			assert_string_equal(f[k], head[k]);
	} else if (strcmp(f[0], "example.com") == 0) {
		/* a domain finding: the domain as host, no port, no address, and
		 * before every endpoint row */
		assert_string_equal(f[1], "");
		assert_string_equal(f[2], "");
		assert_int_equal(st->row, st->domain_rows + 1);
		st->domain_rows++;
	}
	st->row++;
}

static void test_csv_rfc4180_and_formulas(void **state)
{
	struct tu_capture c;
	struct csv_state st = {0, 0};
	enum scen s = scen_of(state);

	render(s, OUT_CSV, &c);
	if (s == SC_SCAN) {
		/* header, 1 run error, 5 findings, 4 battery checks, 1 endpoint
		 * error */
		assert_int_equal(csv_rows(c.data, c.len, csv_row_check, &st), 12);
		/* a battery row: the verdict where a severity would be */
		assert_true(HAS(c, "\"robot\",\"unknown\",\"vulnerability check, 2 connections\""));
		assert_int_equal(st.domain_rows, 0);
		assert_true(HAS(c, "\"'" HYPERLINK_CSV "\""));
		assert_true(HAS(c, "\"'+cmd|' /C calc'!A0 "));
		assert_true(HAS(c, "\"'-2+3 then @SUM(1+1) and a newline and\ttab\""));
		assert_true(HAS(c, "\"'@evil \xef\xbf\xbd\xef\xbf\xbd" "b>\""));
		assert_true(HAS(c, "\"'=mx.example.com: AAAA answer"));
	} else {
		/* header, 5 domain findings, 2 endpoint findings */
		assert_int_equal(csv_rows(c.data, c.len, csv_row_check, &st), 8);
		assert_int_equal(st.domain_rows, 5);
		assert_true(HAS(c, "\"example.com\",\"\",\"\",\"spf-invalid\",\"high\""));
		assert_true(HAS(c, "\"mx1.example.com\",\"25\",\"192.0.2.25\",\"dane-mismatch\""));
		assert_true(HAS(c, "\"'" HYPERLINK_CSV " The record needs 4 DNS lookups"));
		assert_true(HAS(c, "\"'@\xef\xbf\xbd\xef\xbf\xbdi> an informational note\""));
		assert_true(HAS(c, "\"'-1 informational detail\""));
	}
	free(c.data);
}

static void test_json_parses(void **state)
{
	struct tu_capture c;
	json_error_t jerr;
	json_t *doc;
	enum scen s = scen_of(state);

	render(s, OUT_JSON, &c);
	assert_true(valid_utf8((const unsigned char *)c.data, c.len));
	doc = json_loadb(c.data, c.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		fail_msg("JSON does not parse: %s (line %d)", jerr.text, jerr.line);
	if (s == SC_SCAN)
		assert_null(json_object_get(doc, "domain"));
	json_decref(doc);
	free(c.data);

	render(s, OUT_JSONL, &c);
	assert_true(valid_utf8((const unsigned char *)c.data, c.len));
	size_t lines = 0, domains = 0;
	for (const char *p = c.data, *end = c.data + c.len; p < end; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		doc = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES, &jerr);
		if (!doc)
			fail_msg("JSON line %zu does not parse: %s", lines + 1, jerr.text);
		assert_int_equal(json_object_size(doc), 4);
		assert_non_null(json_object_get(doc, "schema"));
		assert_non_null(json_object_get(doc, "tool"));
		assert_non_null(json_object_get(doc, "errors"));
		if (json_is_object(json_object_get(doc, "domain")))
			domains++;
		else
			assert_true(json_is_object(json_object_get(doc, "endpoint")));
		json_decref(doc);
		p = nl + 1;
	}
	/* scan: 2 endpoints; domain: 1 endpoint, then the domain */
	assert_int_equal(lines, 2);
	assert_int_equal(domains, s == SC_DOMAIN ? 1 : 0);
	free(c.data);
}

/* docs/json.md: the "domain" object beside the endpoints. */
static void test_json_domain_object(void **state UNUSED)
{
	struct tu_capture c;
	json_error_t jerr;
	json_t *doc, *d, *hosts, *ep;

	render(SC_DOMAIN, OUT_JSON, &c);
	doc = json_loadb(c.data, c.len, JSON_REJECT_DUPLICATES, &jerr);
	free(c.data);
	assert_non_null(doc);
	d = json_object_get(doc, "domain");
	assert_true(json_is_object(d));
	assert_string_equal(json_string_value(json_object_get(d, "name")), "example.com");
	assert_string_equal(json_string_value(json_object_get(json_object_get(d, "verdict"), "level")),
			    "dane");
	hosts = json_object_get(json_object_get(d, "mx"), "hosts");
	assert_int_equal(json_array_size(hosts), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(hosts, 0), "name")),
			    "mx1.example.com");
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(json_array_get(hosts, 0), "tlsa"),
						"records")),
		2);
	assert_true(json_is_string(json_object_get(json_array_get(hosts, 1), "error")));
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(d, "mta_sts"), "policy"), "mode")),
		"testing");
	assert_int_equal(json_array_size(json_object_get(d, "findings")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "dmarc"), "pct")),
			 50);
	ep = json_array_get(json_object_get(doc, "endpoints"), 0);
	assert_string_equal(json_string_value(json_object_get(ep, "auth_policy")), "dane");
	assert_true(json_is_false(json_object_get(json_object_get(ep, "dane"), "ok")));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(ep, "grade"), "letter")), "F");
	json_decref(doc);
}

/* jansson's allocator, failing the allocation `fail_at` (0-based) only:
 * the ones after it succeed, as when memory comes back. */
static long fail_at = -1;

static void *failing_malloc(size_t n)
{
	return fail_at-- == 0 ? NULL : malloc(n);
}

/* Any allocation jansson makes while building a report may fail: the
 * report then fails (-1), nothing leaks, and a document with a member left
 * out is never written as a success. */
static void test_json_alloc_failure(void **state)
{
	struct result *r = recorded(scen_of(state));

	for (enum out o = OUT_JSON; o <= OUT_JSONL; o++) {
		struct tu_capture want, got;
		int failed = 0;

		golden_render(r, o, &want);
		for (long n = 0;; n++) {
			tu_capture_begin(&got);
			json_set_alloc_funcs(failing_malloc, free);
			fail_at = n;
			int rc = o == OUT_JSON ? report_json(r, got.f) : report_jsonl(r, got.f);
			int none_failed = fail_at >= 0;
			fail_at = -1;
			json_set_alloc_funcs(malloc, free);
			tu_capture_end(&got);
			if (none_failed) {
				assert_int_equal(rc, 0);
				assert_int_equal(got.len, want.len);
				assert_memory_equal(got.data, want.data, want.len);
				free(got.data);
				break;
			}
			assert_int_equal(rc, -1);
			failed++;
			free(got.data);
		}
		assert_true(failed > 100); /* every object, string and number */
		free(want.data);
	}
	result_free(r);
}

static enum scen scen_scan = SC_SCAN, scen_domain = SC_DOMAIN;
static struct golden_case golden_cases[SC_COUNT][OUT_COUNT];

int main(void)
{
	for (int s = 0; s < SC_COUNT; s++)
		for (int o = 0; o < OUT_COUNT; o++)
			golden_cases[s][o] = (struct golden_case){(enum scen)s, (enum out)o};
#define GOLDEN(name, s, o) {name, test_golden, NULL, NULL, &golden_cases[s][o]}
#define BOTH(f) {#f "(scan)", f, NULL, NULL, &scen_scan}, {#f "(domain)", f, NULL, NULL, &scen_domain}
	const struct CMUnitTest tests[] = {
		GOLDEN("test_golden_text", SC_SCAN, OUT_TEXT),
		GOLDEN("test_golden_text_quiet", SC_SCAN, OUT_TEXT_QUIET),
		GOLDEN("test_golden_json", SC_SCAN, OUT_JSON),
		GOLDEN("test_golden_jsonl", SC_SCAN, OUT_JSONL),
		GOLDEN("test_golden_csv", SC_SCAN, OUT_CSV),
		GOLDEN("test_golden_html", SC_SCAN, OUT_HTML),
		GOLDEN("test_golden_domain_text", SC_DOMAIN, OUT_TEXT),
		GOLDEN("test_golden_domain_text_quiet", SC_DOMAIN, OUT_TEXT_QUIET),
		GOLDEN("test_golden_domain_json", SC_DOMAIN, OUT_JSON),
		GOLDEN("test_golden_domain_jsonl", SC_DOMAIN, OUT_JSONL),
		GOLDEN("test_golden_domain_csv", SC_DOMAIN, OUT_CSV),
		GOLDEN("test_golden_domain_html", SC_DOMAIN, OUT_HTML),
		BOTH(test_text_is_terminal_safe),
		cmocka_unit_test(test_text_escaped_forms),
		cmocka_unit_test(test_text_domain_escaped_forms),
		cmocka_unit_test(test_text_shows_grade_first),
		cmocka_unit_test(test_text_domain_sections),
		BOTH(test_text_fits_80_columns),
		cmocka_unit_test(test_text_domain_long_word_fits_80_columns),
		cmocka_unit_test(test_text_quiet_content),
		cmocka_unit_test(test_text_domain_quiet_content),
		BOTH(test_text_colour_is_ours_only),
		BOTH(test_html_no_peer_markup),
		cmocka_unit_test(test_html_shows_grade),
		cmocka_unit_test(test_html_domain_verdict),
		BOTH(test_csv_rfc4180_and_formulas),
		BOTH(test_json_parses),
		cmocka_unit_test(test_json_domain_object),
		BOTH(test_json_alloc_failure),
	};
#undef GOLDEN
#undef BOTH
	return cmocka_run_group_tests(tests, NULL, NULL);
}
