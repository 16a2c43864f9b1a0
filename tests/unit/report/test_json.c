/* test_json.c - the mailtls/1 JSON report: it parses back, holds what the
 * model holds, and hostile peer bytes come out as valid UTF-8 in the
 * esc_utf8 form (invalid bytes, NUL, controls, C1 and bidi controls as a
 * literal \xHH, backslash doubled) while valid text round-trips unchanged. */
#include "testutil.h"

#include <jansson.h>

#include "core/mem.h"
#include "model/result.h"
#include "report/report.h"

#define ANSI_CLEAR "\x1b[2J"
#define RLO "\xe2\x80\xae" /* U+202E RIGHT-TO-LEFT OVERRIDE */
/* ...as the decoded JSON strings hold them */
#define ANSI_CLEAR_TXT "\\x1B[2J"
#define RLO_TXT "\\xE2\\x80\\xAE"

static struct cipher_entry *add_cipher(struct endpoint *ep, enum tls_proto p, uint32_t code,
                                       const char *iana, const char *openssl)
{
	struct cipher_entry *c =
	    xvec_push(&ep->ciphers, &ep->nciphers, &ep->capciphers, sizeof(*c));

	c->proto = p;
	c->code = code;
	c->iana = iana ? xstrdup(iana) : NULL;
	c->openssl = openssl ? xstrdup(openssl) : NULL;
	c->kx = xstrdup("ECDH");
	c->bits = 256;
	c->order = 1;
	return c;
}

/* One endpoint with every list filled, peer strings hostile. */
static struct result *hostile_result(void)
{
	struct result *r = result_new();
	struct endpoint *ep = result_add_endpoint(r, "mx.example.com", 25, "192.0.2.1");
	struct cert_entry *cert;
	struct finding *f;

	ep->mode = MODE_STARTTLS;
	str_set(&ep->starttls, "smtp");
	str_set(&ep->sni, "mx.example.com");
	ep->tls.done = 1;
	ep->tls.version = P_TLS13;
	str_set(&ep->tls.cipher, "TLS_AES_256_GCM_SHA384");
	str_set(&ep->tls.cipher_openssl, "TLS_AES_256_GCM_SHA384");
	ep->tls.cipher_code = 0x1302;
	str_set(&ep->tls.group, "X25519");
	ep->tls.verify_code = 62;
	str_set(&ep->tls.verify_message, "hostname mismatch");
	ep->tls.hostname_checked = 1;
	str_set(&ep->tls.verify_name, "mx.example.com");
	ep->tls.handshake_ms = 3.5;

	ep_set_protocol(ep, P_TLS13, 1);
	ep_set_protocol(ep, P_SSLV3, 0);
	ep_set_protocol(ep, P_TLS10, -1);
	add_cipher(ep, P_TLS12, 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	           "ECDHE-RSA-AES256-GCM-SHA384");
	add_cipher(ep, P_SSLV2, 0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", NULL);
	add_cipher(ep, P_TLS12, 0x000A, NULL, "DES-CBC3-SHA");

	ep_add_tline(ep, 1.25, 'S', LIT("220 mx ESMTP " ANSI_CLEAR));
	ep_add_tline(ep, 2.5, 'C', LIT("EHLO mailtls"));
	ep_add_tline(ep, 3.0, 'S', LIT("250-\xff\xfe bad"));
	ep_add_tline(ep, 3.0, 'S', LIT("250-a\0b"));
	ep_add_tline(ep, 3.0, 'S', LIT("250-abc" RLO "gpj.exe"));
	ep_add_tline(ep, 3.0, 'S', LIT("250 back\\slash \xc3\xa9t\xc3\xa9"));
	ep_add_tline(ep, 4.0, 'S', LIT("<script>alert(1)</script>"));

	cert = ep_add_cert(ep);
	str_set(&cert->subject, "CN=" ANSI_CLEAR "evil");
	str_set(&cert->issuer, "CN=\xff\xfe");
	str_set(&cert->serial, "01AB");
	str_set(&cert->not_before, "2026-01-01T00:00:00Z");
	str_set(&cert->not_after, "2027-01-01T00:00:00Z");
	str_set(&cert->key, "RSA 2048");
	str_set(&cert->sig_alg, "sha256WithRSAEncryption");
	str_set(&cert->sha256, "AB:CD");
	cert_add_san(cert, "DNS:mx.example.com");
	cert_add_san(cert, "DNS:=HYPERLINK(\"http://x\")");

	f = ep_add_finding(ep, "cert-hostname-mismatch", SEV_HIGH, "<script>alert(1)</script>",
	                   "=HYPERLINK(\"http://x\")", NULL);
	finding_add_cve(f, "CVE-2014-0160");
	ep_add_finding(ep, "cert-trusted", SEV_OK, "ok", NULL, "nothing " RLO);
	ep_add_error(ep, STAGE_DIALOGUE, ERR_PROTOCOL, "bad reply " ANSI_CLEAR);
	ep->stats.connections = 2;
	ep->stats.duration_ms = 12.5;
	result_add_error(r, STAGE_RESOLVE, ERR_RESOLVE, "no address for \xff");
	return r;
}

/* Render r, check the bytes are one JSON document, return it parsed. */
static json_t *render(const struct result *r, struct tu_capture *out)
{
	json_error_t jerr;
	json_t *doc;

	tu_capture_begin(out);
	assert_int_equal(report_json(r, out->f), 0);
	tu_capture_end(out);
	/* jansson refuses invalid UTF-8 and \u0000 by default: parsing is
	 * the validity check. */
	doc = json_loadb(out->data, out->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		fail_msg("report_json output does not parse: %s (line %d)", jerr.text, jerr.line);
	assert_int_equal(out->data[out->len - 1], '\n');
	return doc;
}

static const char *sget(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(v);
}

static json_t *aget(json_t *arr, size_t i)
{
	json_t *v = json_array_get(arr, i);

	assert_non_null(v);
	return v;
}

static void test_top_level(void **state UNUSED)
{
	struct result *r = hostile_result();
	struct tu_capture out;
	json_t *doc = render(r, &out);
	json_t *tool = json_object_get(doc, "tool");
	json_t *errs = json_object_get(doc, "errors");

	assert_string_equal(sget(doc, "schema"), "mailtls/1");
	assert_string_equal(sget(tool, "name"), "mailtls");
	assert_string_equal(sget(tool, "version"), MAILTLS_VERSION);
	assert_int_equal(json_array_size(errs), 1);
	assert_string_equal(sget(aget(errs, 0), "stage"), "resolve");
	assert_string_equal(sget(aget(errs, 0), "category"), "resolve");
	assert_string_equal(sget(aget(errs, 0), "message"), "no address for \\xFF");
	assert_int_equal(json_array_size(json_object_get(doc, "endpoints")), 1);
	/* "schema" comes first for a reader scanning the file. */
	assert_memory_equal(out.data, "{\n  \"schema\": \"mailtls/1\"", 25);
	json_decref(doc);
	free(out.data);
	result_free(r);
}

static void test_endpoint_fields(void **state UNUSED)
{
	struct result *r = hostile_result();
	struct tu_capture out;
	json_t *doc = render(r, &out);
	json_t *ep = aget(json_object_get(doc, "endpoints"), 0);
	json_t *stats = json_object_get(ep, "stats");
	json_t *protos = json_object_get(ep, "protocols");
	json_t *eerr = json_object_get(ep, "errors");

	assert_string_equal(sget(ep, "host"), "mx.example.com");
	assert_int_equal(json_integer_value(json_object_get(ep, "port")), 25);
	assert_string_equal(sget(ep, "address"), "192.0.2.1");
	assert_string_equal(sget(ep, "mode"), "starttls");
	assert_string_equal(sget(ep, "starttls"), "smtp");
	assert_string_equal(sget(ep, "sni"), "mx.example.com");
	assert_int_equal(json_integer_value(json_object_get(stats, "connections")), 2);
	assert_true(json_real_value(json_object_get(stats, "duration_ms")) == 12.5);

	assert_int_equal(json_array_size(protos), 3);
	assert_string_equal(sget(aget(protos, 0), "name"), "TLSv1.3");
	assert_true(json_is_true(json_object_get(aget(protos, 0), "offered")));
	assert_string_equal(sget(aget(protos, 1), "name"), "SSLv3");
	assert_true(json_is_false(json_object_get(aget(protos, 1), "offered")));
	assert_string_equal(sget(aget(protos, 2), "name"), "TLSv1.0");
	assert_true(json_is_null(json_object_get(aget(protos, 2), "offered")));

	assert_int_equal(json_array_size(eerr), 1);
	assert_string_equal(sget(aget(eerr, 0), "stage"), "dialogue");
	assert_string_equal(sget(aget(eerr, 0), "message"), "bad reply " ANSI_CLEAR_TXT);
	json_decref(doc);
	free(out.data);
	result_free(r);
}

static void test_tls(void **state UNUSED)
{
	struct result *r = hostile_result();
	struct tu_capture out;
	json_t *doc = render(r, &out);
	json_t *ep = aget(json_object_get(doc, "endpoints"), 0);
	json_t *tls = json_object_get(ep, "tls");
	json_t *verify = json_object_get(tls, "verify");

	assert_true(json_is_object(tls));
	assert_string_equal(sget(tls, "version"), "TLSv1.3");
	assert_string_equal(sget(tls, "cipher"), "TLS_AES_256_GCM_SHA384");
	assert_string_equal(sget(tls, "cipher_code"), "0x1302");
	assert_string_equal(sget(tls, "group"), "X25519");
	assert_true(json_real_value(json_object_get(tls, "handshake_ms")) == 3.5);
	assert_int_equal(json_integer_value(json_object_get(verify, "code")), 62);
	assert_string_equal(sget(verify, "message"), "hostname mismatch");
	assert_true(json_is_true(json_object_get(verify, "hostname_checked")));
	assert_int_equal(json_array_size(json_object_get(verify, "errors")), 0);
	json_decref(doc);
	free(out.data);

	/* No handshake: null, not a half-filled object. */
	r->eps[0]->tls.done = 0;
	doc = render(r, &out);
	ep = aget(json_object_get(doc, "endpoints"), 0);
	assert_true(json_is_null(json_object_get(ep, "tls")));
	json_decref(doc);
	free(out.data);
	result_free(r);
}

static void test_ciphers_code_points(void **state UNUSED)
{
	struct result *r = hostile_result();
	struct tu_capture out;
	json_t *doc = render(r, &out);
	json_t *ciphers = json_object_get(aget(json_object_get(doc, "endpoints"), 0), "ciphers");

	assert_int_equal(json_array_size(ciphers), 3);
	assert_string_equal(sget(aget(ciphers, 0), "protocol"), "TLSv1.2");
	assert_string_equal(sget(aget(ciphers, 0), "code"), "0xC030");
	assert_string_equal(sget(aget(ciphers, 0), "openssl"), "ECDHE-RSA-AES256-GCM-SHA384");
	assert_int_equal(json_integer_value(json_object_get(aget(ciphers, 0), "bits")), 256);
	assert_string_equal(sget(aget(ciphers, 1), "protocol"), "SSLv2");
	assert_string_equal(sget(aget(ciphers, 1), "code"), "0x0700C0");
	assert_true(json_is_null(json_object_get(aget(ciphers, 1), "openssl")));
	assert_string_equal(sget(aget(ciphers, 2), "code"), "0x000A");
	assert_true(json_is_null(json_object_get(aget(ciphers, 2), "iana")));
	json_decref(doc);
	free(out.data);
	result_free(r);
}

static void test_code_point(void **state UNUSED)
{
	char s[16];

	report_code_point(s, sizeof s, P_TLS12, 0xC030);
	assert_string_equal(s, "0xC030");
	report_code_point(s, sizeof s, P_TLS13, 0x1301);
	assert_string_equal(s, "0x1301");
	report_code_point(s, sizeof s, P_SSLV3, 0x000A);
	assert_string_equal(s, "0x000A");
	report_code_point(s, sizeof s, P_TLS10, 0x00FF);
	assert_string_equal(s, "0x00FF");
	report_code_point(s, sizeof s, P_SSLV2, 0x0700C0);
	assert_string_equal(s, "0x0700C0");
	report_code_point(s, sizeof s, P_SSLV2, 0x010080);
	assert_string_equal(s, "0x010080");
	/* Truncated, still terminated. */
	report_code_point(s, 5, P_TLS12, 0xC030);
	assert_string_equal(s, "0xC0");
}

static void test_transcript(void **state UNUSED)
{
	struct result *r = hostile_result();
	struct tu_capture out;
	json_t *doc = render(r, &out);
	json_t *tr = json_object_get(aget(json_object_get(doc, "endpoints"), 0), "transcript");

	assert_int_equal(json_array_size(tr), 7);
	assert_string_equal(sget(aget(tr, 0), "dir"), "S");
	assert_true(json_real_value(json_object_get(aget(tr, 0), "t_ms")) == 1.25);
	assert_string_equal(sget(aget(tr, 1), "dir"), "C");
	/* Valid UTF-8, controls included, round-trips byte for byte. */
	assert_string_equal(sget(aget(tr, 0), "text"), "220 mx ESMTP " ANSI_CLEAR_TXT);
	assert_string_equal(sget(aget(tr, 1), "text"), "EHLO mailtls");
	assert_string_equal(sget(aget(tr, 4), "text"), "250-abc" RLO_TXT "gpj.exe");
	assert_string_equal(sget(aget(tr, 6), "text"), "<script>alert(1)</script>");
	/* Invalid bytes: a literal backslash, x, two upper-case digits. */
	assert_string_equal(sget(aget(tr, 2), "text"), "250-\\xFF\\xFE bad");
	/* The NUL inside the explicit length is kept, as \x00. */
	assert_int_equal(json_string_length(json_object_get(aget(tr, 3), "text")), 10);
	assert_string_equal(sget(aget(tr, 3), "text"), "250-a\\x00b");
	/* The backslash is doubled so \xFF above stays unambiguous. */
	assert_string_equal(sget(aget(tr, 5), "text"), "250 back\\\\slash \xc3\xa9t\xc3\xa9");
	/* The file itself never holds a raw ESC, nor one that decodes to it. */
	assert_false(tu_contains(out.data, out.len, "\x1b", 1));
	assert_false(tu_contains(out.data, out.len, LIT("\\u001B")));
	assert_true(tu_contains(out.data, out.len, LIT("\\\\x1B[2J")));
	json_decref(doc);
	free(out.data);
	result_free(r);
}

static void test_cert_and_findings(void **state UNUSED)
{
	struct result *r = hostile_result();
	struct tu_capture out;
	json_t *doc = render(r, &out);
	json_t *ep = aget(json_object_get(doc, "endpoints"), 0);
	json_t *cert = aget(json_object_get(ep, "certificates"), 0);
	json_t *san = json_object_get(cert, "san");
	json_t *fs = json_object_get(ep, "findings");
	json_t *f0 = aget(fs, 0), *f1 = aget(fs, 1);

	assert_int_equal(json_integer_value(json_object_get(cert, "depth")), 0);
	assert_string_equal(sget(cert, "subject"), "CN=" ANSI_CLEAR_TXT "evil");
	assert_string_equal(sget(cert, "issuer"), "CN=\\xFF\\xFE");
	assert_string_equal(sget(cert, "serial"), "01AB");
	assert_string_equal(sget(cert, "not_after"), "2027-01-01T00:00:00Z");
	assert_int_equal(json_array_size(san), 2);
	assert_string_equal(json_string_value(aget(san, 1)), "DNS:=HYPERLINK(\"http://x\")");

	assert_int_equal(json_array_size(fs), 2);
	assert_string_equal(sget(f0, "id"), "cert-hostname-mismatch");
	assert_string_equal(sget(f0, "severity"), "high");
	assert_string_equal(sget(f0, "title"), "<script>alert(1)</script>");
	assert_string_equal(sget(f0, "detail"), "=HYPERLINK(\"http://x\")");
	assert_true(json_is_null(json_object_get(f0, "fix")));
	assert_int_equal(json_array_size(json_object_get(f0, "cve")), 1);
	assert_string_equal(json_string_value(aget(json_object_get(f0, "cve"), 0)),
	                    "CVE-2014-0160");
	assert_string_equal(sget(f1, "severity"), "ok");
	assert_true(json_is_null(json_object_get(f1, "detail")));
	assert_string_equal(sget(f1, "fix"), "nothing " RLO_TXT);
	assert_int_equal(json_array_size(json_object_get(f1, "cve")), 0);
	json_decref(doc);
	free(out.data);
	result_free(r);
}

static void test_long_invalid_line(void **state UNUSED)
{
	struct result *r = result_new();
	struct endpoint *ep = result_add_endpoint(r, "h", 25, NULL);
	struct tu_capture out;
	char raw[1000];
	json_t *doc, *tr;
	const char *s;

	/* Every byte grows fourfold: no cap may cut it. */
	memset(raw, 0xff, sizeof raw);
	ep_add_tline(ep, 0, 'S', raw, sizeof raw);
	doc = render(r, &out);
	tr = json_object_get(aget(json_object_get(doc, "endpoints"), 0), "transcript");
	s = sget(aget(tr, 0), "text");
	assert_int_equal(strlen(s), 4000);
	for (size_t i = 0; i < 4000; i += 4)
		assert_memory_equal(s + i, "\\xFF", 4);
	assert_true(
	    json_is_null(json_object_get(aget(json_object_get(doc, "endpoints"), 0), "address")));
	json_decref(doc);
	free(out.data);
	result_free(r);
}

static void test_dialogue(void **state UNUSED)
{
	struct result *r = hostile_result();
	struct endpoint *e = r->eps[0];
	struct tu_capture out;
	json_t *doc, *ep, *d, *caps;

	/* Implicit TLS: no dialogue. */
	doc = render(r, &out);
	ep = aget(json_object_get(doc, "endpoints"), 0);
	assert_true(json_is_null(json_object_get(ep, "dialogue")));
	assert_true(json_is_null(json_object_get(ep, "clear_text_answer")));
	json_decref(doc);
	free(out.data);

	e->dlg.ran = 1;
	e->dlg.greeting_code = 220;
	str_set(&e->dlg.greeting, "mx ESMTP " ANSI_CLEAR "\xff");
	e->dlg.greeting_ms = 7.5;
	e->dlg.hello_code = 250;
	dlg_add_cap_to(&e->dlg.caps_pre, &e->dlg.ncaps_pre, &e->dlg.capcaps_pre, "PIPELINING");
	dlg_add_cap_to(&e->dlg.caps_pre, &e->dlg.ncaps_pre, &e->dlg.capcaps_pre, "X-" RLO "\xc0");
	e->dlg.starttls_advertised = 1;
	e->dlg.starttls_sent = 1;
	e->dlg.starttls_code = 220;
	str_set(&e->dlg.starttls_reply, "go ahead");
	e->dlg.pipelined_bytes = 6;
	e->dlg.throttled = 1;
	str_set(&e->tls.clear_text_answer, "\xff\xfe"
	                                   "220 oops");
	doc = render(r, &out);
	ep = aget(json_object_get(doc, "endpoints"), 0);
	d = json_object_get(ep, "dialogue");
	assert_true(json_is_object(d));
	assert_int_equal(json_integer_value(json_object_get(d, "greeting_code")), 220);
	assert_string_equal(sget(d, "greeting"), "mx ESMTP " ANSI_CLEAR_TXT "\\xFF");
	assert_true(json_real_value(json_object_get(d, "greeting_ms")) == 7.5);
	assert_int_equal(json_integer_value(json_object_get(d, "hello_code")), 250);
	caps = json_object_get(d, "capabilities");
	assert_int_equal(json_array_size(caps), 2);
	assert_string_equal(json_string_value(aget(caps, 0)), "PIPELINING");
	assert_string_equal(json_string_value(aget(caps, 1)), "X-" RLO_TXT "\\xC0");
	/* Not looked at inside TLS: unknown, not empty. */
	assert_true(json_is_null(json_object_get(d, "capabilities_tls")));
	assert_true(json_is_true(json_object_get(d, "starttls_advertised")));
	assert_true(json_is_null(json_object_get(d, "starttls_masked")));
	assert_int_equal(json_integer_value(json_object_get(d, "starttls_code")), 220);
	assert_string_equal(sget(d, "starttls_reply"), "go ahead");
	assert_int_equal(json_integer_value(json_object_get(d, "pipelined_bytes")), 6);
	assert_int_equal(json_integer_value(json_object_get(d, "throttled")), 1);
	assert_true(json_is_false(json_object_get(d, "silent")));
	assert_string_equal(sget(ep, "clear_text_answer"), "\\xFF\\xFE220 oops");
	json_decref(doc);
	free(out.data);

	/* Codes that never came are null, not 0. */
	e->dlg.greeting_code = 0;
	e->dlg.hello_code = 0;
	e->dlg.starttls_code = 0;
	e->dlg.caps_post_known = 1;
	doc = render(r, &out);
	d = json_object_get(aget(json_object_get(doc, "endpoints"), 0), "dialogue");
	assert_true(json_is_null(json_object_get(d, "greeting_code")));
	assert_true(json_is_null(json_object_get(d, "hello_code")));
	assert_true(json_is_null(json_object_get(d, "starttls_code")));
	assert_true(json_is_array(json_object_get(d, "capabilities_tls")));
	assert_int_equal(json_array_size(json_object_get(d, "capabilities_tls")), 0);
	json_decref(doc);
	free(out.data);
	result_free(r);
}

static void test_empty_result(void **state UNUSED)
{
	struct result *r = result_new();
	struct tu_capture out;
	json_t *doc = render(r, &out);

	assert_string_equal(sget(doc, "schema"), "mailtls/1");
	assert_true(json_is_array(json_object_get(doc, "errors")));
	assert_int_equal(json_array_size(json_object_get(doc, "errors")), 0);
	assert_true(json_is_array(json_object_get(doc, "endpoints")));
	assert_int_equal(json_array_size(json_object_get(doc, "endpoints")), 0);
	json_decref(doc);
	free(out.data);
	result_free(r);
}

static void test_write_error(void **state UNUSED)
{
	struct result *r = hostile_result();
	FILE *f = fopen("/dev/full", "w");

	if (!f) {
		result_free(r);
		skip();
		return;
	}
	assert_int_equal(report_json(r, f), -1);
	fclose(f);
	result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_top_level),
	    cmocka_unit_test(test_endpoint_fields),
	    cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_ciphers_code_points),
	    cmocka_unit_test(test_code_point),
	    cmocka_unit_test(test_transcript),
	    cmocka_unit_test(test_cert_and_findings),
	    cmocka_unit_test(test_long_invalid_line),
	    cmocka_unit_test(test_dialogue),
	    cmocka_unit_test(test_empty_result),
	    cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
