/* test_golden.c - golden-file tests of the four renderers (text, JSON and
 * JSON lines, CSV, HTML) on one recorded scan result built in memory: a
 * graded STARTTLS endpoint with every section filled, a second endpoint
 * that failed, and a run-level error, with hostile peer strings all over
 * (ANSI/OSC escapes, <script>, =HYPERLINK(...) and other formula starts,
 * invalid and overlong UTF-8, a NUL, a bidi override).
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

#include "model/result.h"
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
	str_set(&t->version, "TLSv1.3");
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
	str_set(&t->ocsp_status, "successful");
	str_set(&t->ocsp_cert_status, "good");
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
	str_set(&c->chain, "default");
	str_set(&c->subject, "CN=mx.example.com,O=<b>Evil</b> " ANSI_CLEAR "Corp");
	str_set(&c->issuer, "CN=Example Issuing CA " RLO "1G");
	str_set(&c->serial, "03A1B2C3D4E5F60718293A4B5C6D7E8F");
	str_set(&c->not_before, "2026-01-01T00:00:00Z");
	str_set(&c->not_after, "2026-12-31T23:59:59Z");
	str_set(&c->key, "RSA 2048");
	str_set(&c->key_type, "RSA");
	c->key_bits = 2048;
	c->days_left = 300;
	str_set(&c->sig_alg, "sha256WithRSAEncryption");
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
	str_set(&c->chain, "default");
	str_set(&c->subject, "CN=Example Issuing CA " RLO "1G");
	str_set(&c->issuer, "CN=Example Root " OVERLONG_LT "x");
	str_set(&c->serial, "01");
	str_set(&c->not_before, "2025-01-01T00:00:00Z");
	str_set(&c->not_after, "2030-01-01T00:00:00Z");
	str_set(&c->key, "EC P-384");
	str_set(&c->key_type, "EC");
	c->key_bits = 384;
	c->days_left = 1461;
	str_set(&c->sig_alg, "ecdsa-with-SHA384");
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
	ep_add_error(ep, "dialogue", "timeout",
		     "no greeting within 15 s " ANSI_CLEAR "-" SCRIPT " \xff");
	ep->stats.connections = 1;
	ep->stats.duration_ms = 15000.0;
}

static struct result *recorded(void)
{
	struct result *r = result_new();

	result_add_error(r, "resolve", "resolve",
			 "=mx.example.com: AAAA answer " OVERLONG_LT "script> \xff ignored");
	graded_endpoint(r);
	failed_endpoint(r);
	return r;
}

/* ------------------------------------------------------------------ rendering */

enum out { OUT_TEXT, OUT_TEXT_QUIET, OUT_JSON, OUT_JSONL, OUT_CSV, OUT_HTML, OUT_COUNT };
static const char *const golden_name[OUT_COUNT] = {"scan.txt", "scan-quiet.txt", "scan.json",
						   "scan.jsonl", "scan.csv", "scan.html"};

static void render(enum out o, struct tu_capture *cap)
{
	struct result *r = recorded();
	struct text_opts to = {.transcript = 1, .show_certs = 1, .color = 0, .quiet = 0, .width = 80};

	tu_capture_begin(cap);
	switch (o) {
	case OUT_TEXT:
		report_text(r, cap->f, &to);
		break;
	case OUT_TEXT_QUIET:
		to.quiet = 1;
		to.transcript = 0;
		to.show_certs = 0;
		report_text(r, cap->f, &to);
		break;
	case OUT_JSON:
		assert_int_equal(report_json(r, cap->f), 0);
		break;
	case OUT_JSONL:
		assert_int_equal(report_jsonl(r, cap->f), 0);
		break;
	case OUT_CSV:
		assert_int_equal(report_csv(r, cap->f), 0);
		break;
	case OUT_HTML:
		assert_int_equal(report_html(r, cap->f), 0);
		break;
	default:
		fail();
	}
	tu_capture_end(cap);
	result_free(r);
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

static void check_golden(enum out o)
{
	struct tu_capture got;
	char path[1024], msg[512];
	char *want = NULL;
	size_t nwant = 0;
	const char *update = getenv("MAILTLS_UPDATE_GOLDEN");

	render(o, &got);
	golden_path(path, sizeof path, golden_name[o]);
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

static void test_golden_text(void **state UNUSED)
{
	check_golden(OUT_TEXT);
}

static void test_golden_text_quiet(void **state UNUSED)
{
	check_golden(OUT_TEXT_QUIET);
}

static void test_golden_json(void **state UNUSED)
{
	check_golden(OUT_JSON);
}

static void test_golden_jsonl(void **state UNUSED)
{
	check_golden(OUT_JSONL);
}

static void test_golden_csv(void **state UNUSED)
{
	check_golden(OUT_CSV);
}

static void test_golden_html(void **state UNUSED)
{
	check_golden(OUT_HTML);
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

static void test_text_is_terminal_safe(void **state UNUSED)
{
	for (enum out o = OUT_TEXT; o <= OUT_TEXT_QUIET; o++) {
		struct tu_capture c;

		render(o, &c);
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

	render(OUT_TEXT, &c);
	unwrap(&c);
	assert_true(HAS(c, "\\x1B[2J\\x1B]0;pwned\\x07 " SCRIPT " \\xFF\\xFE"));
	assert_true(HAS(c, "2.0.0 Ready \\xE2\\x80\\xAEgnp.exe \\xC2\\x9B31m"));
	assert_true(HAS(c, "250-a\\x00b \\xFF\\xFE \\xC2\\x9B1m"));
	assert_true(HAS(c, "CN=Example Root \\xC0\\xBCx"));
	assert_true(HAS(c, "a\\nnewline\\rand\\ttab"));
	assert_false(HAS(c, "\nnewline"));
	free(c.data);
}

/* docs/grading.md: the grade is at the top of the terminal report. */
static void test_text_shows_grade_first(void **state UNUSED)
{
	struct tu_capture c;
	const char *grade, *tls;

	render(OUT_TEXT, &c);
	grade = memmem(c.data, c.len, LIT("  Grade         B (score 91)\n"));
	tls = memmem(c.data, c.len, LIT("\n Connection and STARTTLS\n"));
	assert_non_null(grade);
	assert_non_null(tls);
	assert_true(grade < tls);
	assert_true(HAS(c, "TLS 1.0 or 1.1 is offered: at most B"));
	assert_true(HAS(c, "trusted: the certificate verifies for mx.example.com"));
	free(c.data);
}

/* The issue: the terminal report "fits 80 columns". The transcript and
 * the PEM lines are the peer's own lines and are left out. */
static void test_text_fits_80_columns(void **state UNUSED)
{
	struct tu_capture c;
	struct text_opts to = {.transcript = 0, .show_certs = 0, .color = 0, .quiet = 0, .width = 80};
	struct result *r = recorded();
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

/* --quiet: the summary and the findings at low or above, nothing else. */
static void test_text_quiet_content(void **state UNUSED)
{
	struct tu_capture c;

	render(OUT_TEXT_QUIET, &c);
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

/* Colour on: the only escapes are our SGR sequences. */
static void test_text_colour_is_ours_only(void **state UNUSED)
{
	static const char *const ours[] = {"\x1b[0m",  "\x1b[1m",  "\x1b[2m",   "\x1b[31m",
					   "\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[1;35m"};
	struct tu_capture c;
	struct text_opts to = {.transcript = 1, .show_certs = 1, .color = 1, .quiet = 0, .width = 80};
	struct result *r = recorded();
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

static void test_html_no_peer_markup(void **state UNUSED)
{
	struct tu_capture c;

	render(OUT_HTML, &c);
	assert_true(valid_utf8((const unsigned char *)c.data, c.len));
	for (size_t i = 0; i + 7 <= c.len; i++)
		if (strncasecmp(c.data + i, "<script", 7) == 0)
			fail_msg("a <script at %zu", i);
	assert_false(HAS(c, "<b>Evil"));
	assert_true(HAS(c, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
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

	render(OUT_HTML, &c);
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

static void csv_row_check(char **f, size_t nf, void *arg)
{
	size_t *row = arg;

	assert_int_equal(nf, 9);
	for (size_t k = 0; k < nf; k++) {
		/* formula starts neutralised with a leading ' */
		if (f[k][0] && strchr("=+-@\t\r", f[k][0]))
			fail_msg("row %zu field %zu starts with a formula character: \"%s\"", *row, k,
				 f[k]);
		/* one physical line per row: no CR or LF inside a field */
		assert_null(strpbrk(f[k], "\r\n"));
		assert_true(valid_utf8((const unsigned char *)f[k], strlen(f[k])));
	}
	if (*row == 0) {
		static const char *const head[] = {"host", "port", "address", "id", "severity",
						   "title", "detail", "cve", "fix"};
		for (size_t k = 0; k < 9; k++)
			assert_string_equal(f[k], head[k]);
	}
	(*row)++;
}

static void test_csv_rfc4180_and_formulas(void **state UNUSED)
{
	struct tu_capture c;
	size_t row = 0;

	render(OUT_CSV, &c);
	/* header, 1 run error, 4 findings, 1 endpoint error */
	assert_int_equal(csv_rows(c.data, c.len, csv_row_check, &row), 7);
	assert_true(HAS(c, "\"'" HYPERLINK_CSV "\""));
	assert_true(HAS(c, "\"'+cmd|' /C calc'!A0 "));
	assert_true(HAS(c, "\"'-2+3 then @SUM(1+1) and a newline and\ttab\""));
	assert_true(HAS(c, "\"'@evil \xef\xbf\xbd\xef\xbf\xbd" "b>\""));
	assert_true(HAS(c, "\"'=mx.example.com: AAAA answer"));
	free(c.data);
}

static void test_json_parses(void **state UNUSED)
{
	struct tu_capture c;
	json_error_t jerr;
	json_t *doc;

	render(OUT_JSON, &c);
	doc = json_loadb(c.data, c.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		fail_msg("JSON does not parse: %s (line %d)", jerr.text, jerr.line);
	json_decref(doc);
	free(c.data);

	render(OUT_JSONL, &c);
	size_t lines = 0;
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
		assert_true(json_is_object(json_object_get(doc, "endpoint")));
		json_decref(doc);
		p = nl + 1;
	}
	assert_int_equal(lines, 2);
	free(c.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_text),
		cmocka_unit_test(test_golden_text_quiet),
		cmocka_unit_test(test_golden_json),
		cmocka_unit_test(test_golden_jsonl),
		cmocka_unit_test(test_golden_csv),
		cmocka_unit_test(test_golden_html),
		cmocka_unit_test(test_text_is_terminal_safe),
		cmocka_unit_test(test_text_escaped_forms),
		cmocka_unit_test(test_text_shows_grade_first),
		cmocka_unit_test(test_text_fits_80_columns),
		cmocka_unit_test(test_text_quiet_content),
		cmocka_unit_test(test_text_colour_is_ours_only),
		cmocka_unit_test(test_html_no_peer_markup),
		cmocka_unit_test(test_html_shows_grade),
		cmocka_unit_test(test_csv_rfc4180_and_formulas),
		cmocka_unit_test(test_json_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
