/* test_text.c - the terminal report: every peer string goes through
 * esc_term, so no ESC, C1 control, bidi override, raw newline or invalid
 * byte from a server reaches the user's terminal; the escaped forms do. */
#include "testutil.h"

#include "model/result.h"
#include "report/report.h"

#define ANSI_CLEAR "\x1b[2J"
#define RLO "\xe2\x80\xae" /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define CSI "\xc2\x9b"     /* U+009B, a one-byte ESC [ */

static struct result *hostile_result(void)
{
	struct result *r = result_new();
	struct endpoint *ep = result_add_endpoint(r, "mx.example.com", 25, "192.0.2.1");
	struct cert_entry *cert;

	ep->mode = MODE_STARTTLS;
	str_set(&ep->starttls, "smtp");
	str_set(&ep->sni, "mx" RLO "moc.example");
	ep->dlg.ran = 1;
	ep->dlg.greeting_code = 220;
	str_set(&ep->dlg.greeting, "mx ESMTP " ANSI_CLEAR);
	ep->dlg.greeting_ms = 5;
	ep->dlg.hello_code = 250;
	ep->dlg.starttls_advertised = 1;
	ep->dlg.starttls_sent = 1;
	ep->dlg.starttls_ok = 1;
	ep->dlg.starttls_code = 220;
	str_set(&ep->dlg.starttls_reply, "go " CSI "31m");
	ep->tls.done = 1;
	ep->tls.version = P_TLS13;
	str_set(&ep->tls.cipher, "TLS_AES_256_GCM_SHA384");
	str_set(&ep->tls.group, "X25519");
	ep->tls.handshake_ms = 3.5;
	ep->tls.verify_code = 62;
	str_set(&ep->tls.verify_message, "hostname mismatch");
	ep->tls.hostname_checked = 1;
	str_set(&ep->tls.verify_name, "mx.example.com");

	ep_add_tline(ep, 1.5, 'S', LIT("220 mx ESMTP " ANSI_CLEAR));
	ep_add_tline(ep, 2.5, 'C', LIT("EHLO mailtls"));
	ep_add_tline(ep, 3.5, 'S', LIT("250-\xff\xfe bad"));
	ep_add_tline(ep, 4.5, 'S', LIT("250 a\0b"));

	cert = ep_add_cert(ep);
	str_set(&cert->subject, "CN=" ANSI_CLEAR "evil");
	str_set(&cert->issuer, "CN=abc" RLO "gpj.exe");
	str_set(&cert->key, "RSA 2048");
	str_set(&cert->not_after, "2027-01-01T00:00:00Z");

	ep_add_finding(ep, "cert-hostname-mismatch", SEV_HIGH, "<script>alert(1)</script>",
	               "=HYPERLINK(\"http://x\")", "line1\nfake line");
	ep_add_finding(ep, "cert-trusted", SEV_OK, "ok", "not shown for ok", NULL);
	ep_add_error(ep, STAGE_DIALOGUE, ERR_PROTOCOL, "bad reply \xff\xfe");
	ep->stats.connections = 2;
	ep->stats.duration_ms = 12.5;
	result_add_error(r, STAGE_RESOLVE, ERR_RESOLVE, "no address for x" ANSI_CLEAR);
	return r;
}

static void render(const struct result *r, int transcript, struct tu_capture *out)
{
	tu_capture_begin(out);
	struct text_opts o = {transcript, 0, 0, 0, 80};
	report_text(r, out->f, &o);
	tu_capture_end(out);

}

#define HAS(out, s) tu_contains((out).data, (out).len, LIT(s))

static void check_safe(const struct tu_capture *out)
{
	/* No byte that starts a terminal control sequence. */
	assert_null(memchr(out->data, 0x1b, out->len));
	assert_false(tu_contains(out->data, out->len, LIT(CSI)));
	/* No reordering of what the user sees. */
	assert_false(tu_contains(out->data, out->len, LIT(RLO)));
	/* Nothing that is not UTF-8, and no NUL. */
	assert_null(memchr(out->data, 0xff, out->len));
	assert_null(memchr(out->data, 0xfe, out->len));
	assert_null(memchr(out->data, 0, out->len));
}

static void test_no_raw_controls(void **state UNUSED)
{
	struct result *r = hostile_result();
	struct tu_capture out;

	render(r, 0, &out);
	check_safe(&out);
	free(out.data);
	render(r, 1, &out);
	check_safe(&out);
	free(out.data);
	result_free(r);
}

static void test_escaped_forms(void **state UNUSED)
{
	struct result *r = hostile_result();
	struct tu_capture out;

	render(r, 0, &out);
	assert_true(HAS(out, "error (resolve): no address for x\\x1B[2J\n"));
	assert_true(HAS(out, "== mx.example.com port 25 (192.0.2.1), STARTTLS smtp ==\n"));
	assert_true(HAS(out, "  Greeting      220 mx ESMTP \\x1B[2J (5 ms)\n"));
	assert_true(HAS(out, "  STARTTLS      advertised, answered 220 go \\xC2\\x9B31m\n"));
	assert_true(HAS(out, "  TLS           TLSv1.3, TLS_AES_256_GCM_SHA384, X25519 (3.5 ms)\n"));
	assert_true(HAS(out, "  SNI           mx\\xE2\\x80\\xAEmoc.example\n"));
	assert_true(HAS(out, "  Verify        62 (hostname mismatch), name checked: "
	                     "mx.example.com\n"));
	assert_true(HAS(out, "  #0            CN=\\x1B[2Jevil\n"));
	assert_true(HAS(out, "    issuer      CN=abc\\xE2\\x80\\xAEgpj.exe\n"));
	assert_true(HAS(out, "    key         RSA 2048, \n"));
	/* Markup and formulas mean nothing to a terminal: shown as sent. */
	assert_true(HAS(out, "  [high]     <script>alert(1)</script> (cert-hostname-mismatch)\n"));
	assert_true(HAS(out, "             =HYPERLINK(\"http://x\")\n"));
	/* A newline from the peer cannot start a line of its own. */
	assert_true(HAS(out, "             fix: line1\\nfake line\n"));
	assert_false(HAS(out, "\nfake line"));
	assert_true(HAS(out, "  [ok]       ok (cert-trusted)\n"));
	assert_false(HAS(out, "not shown for ok"));
	assert_true(HAS(out, "  dialogue: bad reply \\xFF\\xFE\n"));
	assert_true(HAS(out, "  2 connections, 12.5 ms\n"));
	free(out.data);
	result_free(r);
}

static void test_transcript_optional(void **state UNUSED)
{
	struct result *r = hostile_result();
	struct tu_capture out;

	render(r, 0, &out);
	assert_false(HAS(out, "Transcript"));
	assert_false(HAS(out, "EHLO mailtls"));
	free(out.data);

	render(r, 1, &out);
	assert_true(HAS(out, " Transcript\n"
	                     "       1.5 S: 220 mx ESMTP \\x1B[2J\n"
	                     "       2.5 C: EHLO mailtls\n"
	                     "       3.5 S: 250-\\xFF\\xFE bad\n"
	                     "       4.5 S: 250 a\\x00b\n"));
	free(out.data);
	result_free(r);
}

static void test_implicit_minimal(void **state UNUSED)
{
	struct result *r = result_new();
	struct endpoint *ep = result_add_endpoint(r, "192.0.2.7", 465, NULL);
	struct tu_capture out;

	ep->mode = MODE_IMPLICIT;
	ep->stats.connections = 1;
	ep->stats.duration_ms = 0.3;
	render(r, 1, &out);
	/* No handshake, no dialogue: the header, a verdict and the counts. */
	static const char want[] = "== 192.0.2.7 port 465, implicit TLS ==\n"
				   "\n Summary\n"
				   "  Verdict       nothing needs action\n"
				   "\n  1 connection, 0.3 ms\n";
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.data, want, out.len);
	free(out.data);
	result_free(r);
}

/* An unknown version, and an offered one whose suites are incomplete: the
 * state and the reason, escaped (a reason may quote the server). */
static void test_unknown_protocols_say_why(void **state UNUSED)
{
	struct result *r = result_new();
	struct endpoint *ep = result_add_endpoint(r, "mx.example", 25, "192.0.2.7");
	struct tu_capture out;
	ep->enumerated = 1;
	ep_set_protocol(ep, P_TLS11, -1);
	ep_set_protocol_reason(ep, P_TLS11, "every connection was closed" ANSI_CLEAR);
	ep_set_protocol(ep, P_TLS12, 1);
	ep_set_protocol_reason(ep, P_TLS12, "the scan timeout passed");
	ep_set_protocol(ep, P_TLS13, 0);
	render(r, 0, &out);
	assert_true(HAS(out, "  TLSv1.1       unknown (every connection was closed"));
	assert_true(HAS(out, "  TLSv1.2       offered (suites incomplete: the scan timeout "
			     "passed)"));
	assert_true(HAS(out, "  TLSv1.3       not offered\n"));
	check_safe(&out);
	free(out.data);
	result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_raw_controls),
	    cmocka_unit_test(test_escaped_forms),
	    cmocka_unit_test(test_transcript_optional),
	    cmocka_unit_test(test_implicit_minimal),
	    cmocka_unit_test(test_unknown_protocols_say_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
