/* test_vp_policy.c - the submission-port policy checks' decisions: which
 * endpoints get a connection, the clear-text SMTP and FTP clients (replies
 * in, commands out: never DATA, never PASS) and the verdicts from the
 * reply codes. Every "vulnerable" has a "not-vulnerable" neighbour, and a
 * reply that does not decide is unknown, never safe. */
#include "testutil.h"

#include "model/vuln.h"
#include "net/lines.h"
#include "scan/vp_policy.h"

/* One complete reply parsed from its wire form, as the probe sees it. */
static void parse(struct reply *r, const char *wire, int ftp)
{
	struct buf b;
	struct reply_limits lim = {
	    .max_line = 1024, .max_lines = 64, .max_bytes = 16384, .rfc959 = ftp};
	buf_init(&b, 65536);
	tu_buf_add(&b, wire, strlen(wire));
	reply_reset(r);
	assert_int_equal(reply_feed(r, &b, &lim, NULL, NULL), REPLY_DONE);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* Feed the SMTP client one reply; the command it sends next ("" none). */
static const char *smtp_step(struct vpp_smtp *m, const char *wire)
{
	static char out[400];
	struct reply r;
	memset(&r, 0, sizeof r);
	parse(&r, wire, 0);
	out[0] = '\0';
	if (!vpp_smtp_reply(m, &r, out, sizeof out))
		out[0] = '\0';
	reply_free(&r);
	assert_null(strstr(out, "DATA"));
	return out;
}

static const char *ftp_step(struct vpp_ftp *m, const char *wire)
{
	static char out[400];
	struct reply r;
	memset(&r, 0, sizeof r);
	parse(&r, wire, 1);
	out[0] = '\0';
	if (!vpp_ftp_reply(m, &r, out, sizeof out))
		out[0] = '\0';
	reply_free(&r);
	assert_null(strstr(out, "PASS"));
	return out;
}

#define EHLO_TLS "250-mx.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
#define EHLO_NOTLS "250-mx.example.com\r\n250-PIPELINING\r\n250 8BITMIME\r\n"

/* [0] plaintext-mail-accepted, [1] starttls-not-required */
static struct vuln *judge(const struct vpp_smtp *m, const char *failure)
{
	struct vuln *v = calloc(2, sizeof(*v));
	assert_non_null(v);
	vpp_smtp_judge_mail(m, failure, &v[0]);
	vpp_smtp_judge_notreq(m, failure, &v[1]);
	return v;
}

static void assert_has(const char *s, const char *part)
{
	assert_non_null(s);
	if (!strstr(s, part))
		fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* --- which endpoints are probed --- */

static void test_plan(void **state UNUSED)
{
	struct vpp_reasons r;
	assert_int_equal(vpp_plan("smtp", 587, 0, &r), VPP_PLAN_SMTP);
	assert_null(r.mail);
	assert_null(r.notreq);
	assert_has(r.ftp, "not FTP");
	/* --submission makes any STARTTLS SMTP port a submission port. */
	assert_int_equal(vpp_plan("smtp", 2525, 1, &r), VPP_PLAN_SMTP);
	assert_int_equal(vpp_plan("smtp", 25, 1, &r), VPP_PLAN_SMTP);
	/* Port 25, an MX: clear text is the rule there, no connection. */
	assert_int_equal(vpp_plan("smtp", 25, 0, &r), VPP_PLAN_NONE);
	assert_string_equal(r.mail, "port 25: an MX must accept mail in clear text, RFC 3207");
	assert_string_equal(r.notreq, "port 25: STARTTLS must stay optional (RFC 3207)");
	assert_int_equal(vpp_plan("smtp", 2525, 0, &r), VPP_PLAN_NONE);
	assert_has(r.mail, "--submission");
	assert_has(r.notreq, "--submission");
	/* Not SMTP: the flag changes nothing. */
	assert_int_equal(vpp_plan("lmtp", 24, 1, &r), VPP_PLAN_NONE);
	assert_has(r.mail, "LMTP");
	assert_int_equal(vpp_plan("imap", 587, 1, &r), VPP_PLAN_NONE);
	assert_has(r.mail, "not SMTP");
	assert_has(r.ftp, "not FTP");
	assert_int_equal(vpp_plan("ftp", 21, 0, &r), VPP_PLAN_FTP);
	assert_null(r.ftp);
	assert_has(r.mail, "FTP");
	/* Implicit TLS (465, 990): no clear-text phase at all. */
	assert_int_equal(vpp_plan(NULL, 465, 1, &r), VPP_PLAN_NONE);
	assert_has(r.mail, "implicit TLS");
	assert_has(r.notreq, "implicit TLS");
	assert_has(r.ftp, "implicit TLS");
}

static void rcpt_is(const char *host, const char *want)
{
	char out[300];
	vpp_rcpt(host, out, sizeof out);
	assert_string_equal(out, want);
}

static void test_rcpt(void **state UNUSED)
{
	rcpt_is("mx.example.com", "postmaster@mx.example.com");
	rcpt_is("mx.example.com.", "postmaster@mx.example.com");
	rcpt_is("localhost", "postmaster@localhost");
	rcpt_is("192.0.2.1", "postmaster@[192.0.2.1]");
	rcpt_is("2001:db8::1", "postmaster@[IPv6:2001:db8::1]");
	/* Nothing that could break the command line reaches it. */
	rcpt_is("mx.example.com>\r\nDATA", "postmaster");
	rcpt_is("a b", "postmaster");
	rcpt_is("", "postmaster");
	rcpt_is(NULL, "postmaster");
	char longname[400];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	rcpt_is(longname, "postmaster");
}

/* --- SMTP --- */

static void test_smtp_accepted(void **state UNUSED)
{
	struct vpp_smtp m;
	vpp_smtp_init(&m, "client.example.org", "mx.example.com");
	assert_string_equal(smtp_step(&m, "220 mx.example.com ESMTP\r\n"),
	                    "EHLO client.example.org");
	assert_string_equal(smtp_step(&m, EHLO_TLS), "MAIL FROM:<>");
	assert_int_equal(m.starttls, 1);
	assert_string_equal(smtp_step(&m, "250 2.1.0 Ok\r\n"),
	                    "RCPT TO:<postmaster@mx.example.com>");
	assert_string_equal(smtp_step(&m, "250 2.1.5 Ok\r\n"), "RSET");
	assert_string_equal(smtp_step(&m, "250 2.0.0 Ok\r\n"), "QUIT");
	assert_string_equal(smtp_step(&m, "221 2.0.0 Bye\r\n"), "");
	struct vuln *v = judge(&m, NULL);
	assert_int_equal(v[0].verdict, VULN_VULNERABLE);
	assert_string_equal(v[0].evidence, "in clear text: MAIL FROM:<> 250, RCPT "
	                                   "TO:<postmaster@mx.example.com> 250 (no DATA sent)");
	assert_int_equal(v[1].verdict, VULN_VULNERABLE);
	assert_has(v[1].evidence, "STARTTLS is advertised");
	vulns_free(v, 2);

	/* What comes after the decision does not undo it. */
	v = judge(&m, "timeout: no answer");
	assert_int_equal(v[0].verdict, VULN_VULNERABLE);
	vulns_free(v, 2);
}

static void test_smtp_accepted_without_starttls(void **state UNUSED)
{
	struct vpp_smtp m;
	vpp_smtp_init(&m, "c.example", "192.0.2.7");
	smtp_step(&m, "220 mx ESMTP\r\n");
	/* The keyword is a whole word of a capability line, any case; the
	 * first line is the server's name, not a capability. */
	smtp_step(&m, "250-STARTTLS.example.com\r\n250-STARTTLSX\r\n250 SIZE 1000\r\n");
	assert_int_equal(m.starttls, 0);
	assert_string_equal(smtp_step(&m, "250 ok\r\n"), "RCPT TO:<postmaster@[192.0.2.7]>");
	smtp_step(&m, "251 will forward\r\n");
	struct vuln *v = judge(&m, NULL);
	assert_int_equal(v[0].verdict, VULN_VULNERABLE);
	assert_int_equal(v[1].verdict, VULN_NOT_APPLICABLE);
	assert_has(v[1].reason, "not advertised");

	vpp_smtp_init(&m, "c.example", "mx");
	smtp_step(&m, "220 mx ESMTP\r\n");
	smtp_step(&m, "250-mx\r\n250 starttls\r\n");
	assert_int_equal(m.starttls, 1);
	vulns_free(v, 2);
}

/* Postfix with smtpd_tls_security_level=encrypt. */
static void test_smtp_tls_required(void **state UNUSED)
{
	struct vpp_smtp m;
	vpp_smtp_init(&m, "c.example", "mx.example.com");
	smtp_step(&m, "220 mx ESMTP Postfix\r\n");
	smtp_step(&m, EHLO_TLS);
	/* Refused MAIL: no transaction to reset. */
	assert_string_equal(smtp_step(&m, "530 5.7.0 Must issue a STARTTLS command first\r\n"),
	                    "QUIT");
	assert_string_equal(smtp_step(&m, "221 Bye\r\n"), "");
	struct vuln *v = judge(&m, NULL);
	assert_int_equal(v[0].verdict, VULN_NOT_VULNERABLE);
	assert_string_equal(v[0].evidence,
	                    "in clear text: MAIL FROM:<> was refused with 530 (5.7.0 "
	                    "Must issue a STARTTLS command first)");
	assert_int_equal(v[1].verdict, VULN_NOT_VULNERABLE);
	assert_string_equal(v[1].evidence,
	                    "STARTTLS is advertised and required: without it MAIL "
	                    "FROM:<> was refused with 530 (5.7.0 Must issue a STARTTLS "
	                    "command first)");
	vulns_free(v, 2);
}

static void test_smtp_rcpt_refused(void **state UNUSED)
{
	struct vpp_smtp m;
	vpp_smtp_init(&m, "c.example", "mx.example.com");
	smtp_step(&m, "220 mx\r\n");
	smtp_step(&m, EHLO_TLS);
	smtp_step(&m, "250 ok\r\n");
	assert_string_equal(smtp_step(&m, "554 5.7.1 Relay access denied\r\n"), "RSET");
	assert_string_equal(smtp_step(&m, "250 ok\r\n"), "QUIT");
	struct vuln *v = judge(&m, NULL);
	assert_int_equal(v[0].verdict, VULN_NOT_VULNERABLE);
	assert_has(v[0].evidence, "refused with 554 (5.7.1 Relay access denied)");
	/* No AUTH in clear text either: nothing can be submitted without TLS. */
	assert_int_equal(m.auth, 0);
	assert_int_equal(v[1].verdict, VULN_NOT_VULNERABLE);
	assert_has(v[1].evidence, "no AUTH is offered");
	vulns_free(v, 2);

	/* With AUTH offered in clear text, an authenticated client might
	 * submit without TLS: the refusal of an anonymous one does not tell. */
	vpp_smtp_init(&m, "c.example", "mx.example.com");
	smtp_step(&m, "220 mx\r\n");
	smtp_step(&m, "250-mx\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n");
	assert_int_equal(m.auth, 1);
	smtp_step(&m, "250 ok\r\n");
	smtp_step(&m, "554 5.7.1 Relay access denied\r\n");
	v = judge(&m, NULL);
	assert_int_equal(v[0].verdict, VULN_NOT_VULNERABLE);
	assert_int_equal(v[1].verdict, VULN_UNKNOWN);
	assert_has(v[1].reason, "auth-before-tls");
	vulns_free(v, 2);

	vpp_smtp_init(&m, "c.example", "mx.example.com");
	smtp_step(&m, "220 mx\r\n");
	smtp_step(&m, "250-mx\r\n250-AUTH=LOGIN\r\n250 STARTTLS\r\n");
	assert_int_equal(m.auth, 1);
}

/* A temporary refusal says nothing about the policy. */
static void test_smtp_temporary(void **state UNUSED)
{
	struct vpp_smtp m;
	vpp_smtp_init(&m, "c.example", "mx.example.com");
	smtp_step(&m, "220 mx\r\n");
	smtp_step(&m, EHLO_TLS);
	smtp_step(&m, "250 ok\r\n");
	smtp_step(&m, "450 4.2.0 Greylisted, try again later\r\n");
	struct vuln *v = judge(&m, NULL);
	assert_int_equal(v[0].verdict, VULN_UNKNOWN);
	assert_has(v[0].reason, "RCPT TO was answered 450 (4.2.0 Greylisted, try again later)");
	assert_has(v[0].reason, "temporary");
	assert_int_equal(v[1].verdict, VULN_UNKNOWN);
	vulns_free(v, 2);

	vpp_smtp_init(&m, "c.example", "mx.example.com");
	smtp_step(&m, "220 mx\r\n");
	smtp_step(&m, EHLO_TLS);
	assert_string_equal(smtp_step(&m, "421 4.7.0 Too many connections\r\n"), "QUIT");
	v = judge(&m, NULL);
	assert_int_equal(v[0].verdict, VULN_UNKNOWN);
	assert_has(v[0].reason, "MAIL FROM:<> was answered 421");
	assert_has(v[0].reason, "busy");
	vulns_free(v, 2);
}

static void test_smtp_no_dialogue(void **state UNUSED)
{
	struct vpp_smtp m;
	struct vuln *v;

	vpp_smtp_init(&m, "c.example", "mx");
	v = judge(&m, "timeout: no answer from the server within 15000 ms");
	assert_int_equal(v[0].verdict, VULN_UNKNOWN);
	assert_string_equal(v[0].reason, "no greeting: timeout: no answer from the server within "
	                                 "15000 ms");
	assert_int_equal(v[1].verdict, VULN_UNKNOWN);
	vulns_free(v, 2);

	vpp_smtp_init(&m, "c.example", "mx");
	assert_string_equal(smtp_step(&m, "421 mx busy\r\n"), "QUIT");
	v = judge(&m, NULL);
	assert_int_equal(v[0].verdict, VULN_UNKNOWN);
	assert_has(v[0].reason, "the greeting was 421 (mx busy)");
	vulns_free(v, 2);

	vpp_smtp_init(&m, "c.example", "mx");
	assert_string_equal(smtp_step(&m, "554 no SMTP service here\r\n"), "QUIT");
	v = judge(&m, NULL);
	assert_int_equal(v[0].verdict, VULN_UNKNOWN);
	vulns_free(v, 2);

	vpp_smtp_init(&m, "c.example", "mx");
	smtp_step(&m, "220 mx\r\n");
	assert_string_equal(smtp_step(&m, "502 EHLO not implemented\r\n"), "QUIT");
	v = judge(&m, NULL);
	assert_int_equal(v[0].verdict, VULN_UNKNOWN);
	assert_has(v[0].reason, "EHLO was answered 502");
	vulns_free(v, 2);

	vpp_smtp_init(&m, "c.example", "mx");
	smtp_step(&m, "220 mx\r\n");
	smtp_step(&m, EHLO_TLS);
	smtp_step(&m, "250 ok\r\n");
	v = judge(&m, "the server closed the connection");
	assert_int_equal(v[0].verdict, VULN_UNKNOWN);
	assert_string_equal(v[0].reason, "no answer to RCPT TO: the server closed the connection");
	vulns_free(v, 2);
}

/* --- FTP --- */

static void ftp_verdict(const char *user_reply, enum vuln_verdict want, const char *part)
{
	struct vpp_ftp m;
	struct vuln *v = calloc(1, sizeof(*v));
	assert_non_null(v);
	vpp_ftp_init(&m);
	assert_string_equal(ftp_step(&m, "220 (vsFTPd 3.0.3)\r\n"), "USER " VPP_FTP_USER);
	assert_string_equal(ftp_step(&m, user_reply), "QUIT");
	assert_string_equal(ftp_step(&m, "221 Goodbye.\r\n"), "");
	vpp_ftp_judge(&m, NULL, v);
	assert_int_equal(v->verdict, want);
	assert_has(want == VULN_UNKNOWN ? v->reason : v->evidence, part);
	vulns_free(v, 1);
}

static void test_ftp(void **state UNUSED)
{
	ftp_verdict("331 Please specify the password.\r\n", VULN_VULNERABLE,
	            "USER mailtls was answered 331 (Please specify the password.)");
	ftp_verdict("230 Logged in.\r\n", VULN_VULNERABLE, "230");
	/* vsftpd force_local_logins_ssl=YES; ProFTPD TLSRequired on. */
	ftp_verdict("530 Non-anonymous sessions must use encryption.\r\n", VULN_NOT_VULNERABLE,
	            "refused with 530 (Non-anonymous sessions must use encryption.)");
	ftp_verdict("550 SSL/TLS required on the control channel\r\n", VULN_NOT_VULNERABLE, "550");
	ftp_verdict("534 Policy requires TLS\r\n", VULN_NOT_VULNERABLE, "534");
	ftp_verdict("534 Request denied\r\n", VULN_NOT_VULNERABLE, "534");
	/* The TLS word may stand on a later line of an RFC 959 reply. */
	ftp_verdict("530-Sorry, cleartext sessions are not accepted.\r\nPlease reconnect using "
	            "TLS.\r\n530 Bye\r\n",
	            VULN_NOT_VULNERABLE, "530");
	/* A refusal of the name, not of clear text: cannot tell. */
	ftp_verdict("530 Login incorrect.\r\n", VULN_UNKNOWN, "does not say TLS");
	ftp_verdict("421 Too many users\r\n", VULN_UNKNOWN, "busy");
	ftp_verdict("500 What?\r\n", VULN_UNKNOWN, "500");
}

static void test_ftp_no_dialogue(void **state UNUSED)
{
	struct vpp_ftp m;
	struct vuln *v = calloc(3, sizeof(*v));
	assert_non_null(v);
	vpp_ftp_init(&m);
	vpp_ftp_judge(&m, "connect: refused", &v[0]);
	assert_int_equal(v[0].verdict, VULN_UNKNOWN);
	assert_string_equal(v[0].reason, "no greeting: connect: refused");

	assert_string_equal(ftp_step(&m, "421 Service not available\r\n"), "QUIT");
	vpp_ftp_judge(&m, NULL, &v[1]);
	assert_int_equal(v[1].verdict, VULN_UNKNOWN);
	assert_has(v[1].reason, "421");

	vpp_ftp_init(&m);
	ftp_step(&m, "220 ftp\r\n");
	vpp_ftp_judge(&m, "the server closed the connection", &v[2]);
	assert_int_equal(v[2].verdict, VULN_UNKNOWN);
	assert_string_equal(v[2].reason, "no answer to USER: the server closed the connection");
	vulns_free(v, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan),
	    cmocka_unit_test(test_rcpt),
	    cmocka_unit_test(test_smtp_accepted),
	    cmocka_unit_test(test_smtp_accepted_without_starttls),
	    cmocka_unit_test(test_smtp_tls_required),
	    cmocka_unit_test(test_smtp_rcpt_refused),
	    cmocka_unit_test(test_smtp_temporary),
	    cmocka_unit_test(test_smtp_no_dialogue),
	    cmocka_unit_test(test_ftp),
	    cmocka_unit_test(test_ftp_no_dialogue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
