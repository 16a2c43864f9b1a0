/* test_stattack.c - the STARTTLS attacks' decisions (proto/stattack.c) and
 * how each protocol's answers read (struct dlg_attack.answer): which line
 * ends an answer, whose answer it is by its tag, what is a go-ahead. */
#include "testutil.h"

#include "proto/dialog.h"
#include "proto/stattack.h"

static const struct dlg_attack *attack(const char *name)
{
	const struct dlg_proto *p = dlg_proto_find(name);
	assert_non_null(p);
	assert_non_null(p->attack);
	return p->attack;
}

static void ans(const char *proto, const char *line, enum dlg_ans_kind kind, int code,
                enum dlg_tag tag)
{
	struct dlg_ans a;
	memset(&a, 0x55, sizeof a);
	attack(proto)->answer(line, &a);
	assert_int_equal(a.kind, kind);
	assert_int_equal(a.code, code);
	assert_int_equal(a.tag, tag);
}

static void test_coded_answers(void **state UNUSED)
{
	for (const char *const *p = (const char *const[]){"smtp", "lmtp", "ftp", "nntp", NULL}; *p;
	     p++) {
		ans(*p, "250 2.0.0 Ok", DLG_ANS_OK, 250, DLG_TAG_NONE);
		ans(*p, "250-PIPELINING", DLG_ANS_PART, 0, DLG_TAG_NONE);
		ans(*p, "220", DLG_ANS_OK, 220, DLG_TAG_NONE);
		ans(*p, "382 Continue", DLG_ANS_OK, 382, DLG_TAG_NONE);
		ans(*p, "554 5.5.1 Error: TLS already active", DLG_ANS_ERR, 554, DLG_TAG_NONE);
		ans(*p, "421 bye", DLG_ANS_ERR, 421, DLG_TAG_NONE);
		/* RFC 959 4.2: text lines inside a multi-line reply */
		ans(*p, " AUTH TLS", DLG_ANS_PART, 0, DLG_TAG_NONE);
		ans(*p, "VERSION 2", DLG_ANS_PART, 0, DLG_TAG_NONE);
		ans(*p, ".", DLG_ANS_PART, 0, DLG_TAG_NONE);
		ans(*p, "", DLG_ANS_PART, 0, DLG_TAG_NONE);
		ans(*p, "25", DLG_ANS_PART, 0, DLG_TAG_NONE);
		ans(*p, "2500 too long", DLG_ANS_PART, 0, DLG_TAG_NONE);
		ans(*p, "650 no such class", DLG_ANS_PART, 0, DLG_TAG_NONE);
		ans(*p, "25x ok", DLG_ANS_PART, 0, DLG_TAG_NONE);
	}
}

static void test_imap_answers(void **state UNUSED)
{
	ans("imap", "mtlsi OK NOOP completed", DLG_ANS_OK, 0, DLG_TAG_INJECT);
	ans("imap", "MTLSI ok done", DLG_ANS_OK, 0, DLG_TAG_INJECT);
	ans("imap", "mtlsp OK NOOP completed", DLG_ANS_OK, 0, DLG_TAG_PROBE);
	ans("imap", "mtlss BAD TLS is already active", DLG_ANS_ERR, 0, DLG_TAG_STARTTLS);
	ans("imap", "mtlss OK Begin TLS", DLG_ANS_OK, 0, DLG_TAG_STARTTLS);
	ans("imap", "a2 NO what", DLG_ANS_ERR, 0, DLG_TAG_NONE);
	ans("imap", "mtlsix OK", DLG_ANS_OK, 0, DLG_TAG_NONE); /* not our tag */
	ans("imap", "* OK still here", DLG_ANS_PART, 0, DLG_TAG_NONE);
	ans("imap", "* CAPABILITY IMAP4rev1", DLG_ANS_PART, 0, DLG_TAG_NONE);
	ans("imap", "+ go on", DLG_ANS_PART, 0, DLG_TAG_NONE);
	ans("imap", "mtlsi", DLG_ANS_PART, 0, DLG_TAG_NONE);
	ans("imap", "", DLG_ANS_PART, 0, DLG_TAG_NONE);

	struct dlg_ans a;
	attack("imap")->answer("* OK [CAPABILITY IMAP4rev1] ready", &a);
	assert_int_equal(a.status, 1);
	attack("imap")->answer("* PREAUTH hello", &a);
	assert_int_equal(a.status, 1);
	attack("imap")->answer("* BYE busy", &a);
	assert_int_equal(a.status, -1);
	attack("imap")->answer("mtlsp OK", &a);
	assert_int_equal(a.status, 0);
}

static void test_pop3_sieve_answers(void **state UNUSED)
{
	ans("pop3", "+OK Begin TLS", DLG_ANS_OK, 0, DLG_TAG_NONE);
	ans("pop3", "+OK", DLG_ANS_OK, 0, DLG_TAG_NONE);
	ans("pop3", "-ERR Unknown command.", DLG_ANS_ERR, 0, DLG_TAG_NONE);
	ans("pop3", "STLS", DLG_ANS_PART, 0, DLG_TAG_NONE);
	ans("pop3", "+OKAY", DLG_ANS_PART, 0, DLG_TAG_NONE);
	ans("pop3", ".", DLG_ANS_PART, 0, DLG_TAG_NONE);

	ans("sieve", "OK (TAG \"mtlsi\") \"Done\"", DLG_ANS_OK, 0, DLG_TAG_INJECT);
	ans("sieve", "OK (TAG \"mtlsp\") \"Done\"", DLG_ANS_OK, 0, DLG_TAG_PROBE);
	ans("sieve", "OK \"TLS negotiation successful\"", DLG_ANS_OK, 0, DLG_TAG_NONE);
	ans("sieve", "OK", DLG_ANS_OK, 0, DLG_TAG_NONE);
	ans("sieve", "NO \"TLS is already active\"", DLG_ANS_ERR, 0, DLG_TAG_NONE);
	ans("sieve", "BYE \"bye\"", DLG_ANS_ERR, 0, DLG_TAG_NONE);
	ans("sieve", "\"SASL\" \"PLAIN\"", DLG_ANS_PART, 0, DLG_TAG_NONE);
	ans("sieve", "\"STARTTLS\"", DLG_ANS_PART, 0, DLG_TAG_NONE);
	ans("sieve", "OKAY", DLG_ANS_PART, 0, DLG_TAG_NONE);
}

/* Protocols without a line-based STARTTLS have no attack. */
static void test_no_attack(void **state UNUSED)
{
	for (const char *const *p =
	         (const char *const[]){"ldap", "postgres", "mysql", "xmpp", "xmpp-server", NULL};
	     *p; p++) {
		const struct dlg_proto *d = dlg_proto_find(*p);
		assert_non_null(d);
		assert_null(d->attack);
	}
	/* Every line-based one injects a harmless command, never a password. */
	for (const char *const *p = (const char *const[]){"smtp", "lmtp", "imap", "pop3", "sieve",
	                                                  "ftp", "nntp", NULL};
	     *p; p++) {
		const struct dlg_attack *a = attack(*p);
		assert_non_null(a->inject);
		assert_non_null(a->probe);
		assert_non_null(a->starttls);
		assert_null(strstr(a->inject, "PASS"));
		assert_null(strstr(a->inject, "LOGIN"));
	}
}

static struct atk k;

static void inj(const char *proto, int baseline)
{
	atk_init(&k, attack(proto), ATK_INJECTION, "client.example", 1500);
	k.baseline = baseline;
	assert_int_equal(atk_start(&k, 0), ATK_WAIT);
}

static void verdict(enum vuln_verdict v, const char *in_evidence)
{
	assert_int_equal(k.verdict, v);
	if (in_evidence && !strstr(k.evidence, in_evidence))
		fail_msg("evidence '%s' lacks '%s'", k.evidence, in_evidence);
}

static void test_injection_unasked_answer(void **state UNUSED)
{
	static const struct {
		const char *proto, *line;
	} cases[] = {
	    {"smtp", "250 2.0.0 Ok"},       {"lmtp", "502 5.5.2 unknown"},
	    {"imap", "mtlsi OK NOOP done"}, {"pop3", "-ERR Unknown command"},
	    {"ftp", "530 Please login"},    {"nntp", "111 20260101000000"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		inj(cases[i].proto, 1);
		assert_int_equal(atk_line(&k, cases[i].line), ATK_DONE);
		verdict(VULN_VULNERABLE, cases[i].line);
		assert_non_null(strstr(k.evidence, "before any command"));
	}
	/* A multi-line answer: its end decides. */
	inj("smtp", 1);
	assert_int_equal(atk_line(&k, "250-first"), ATK_WAIT);
	assert_int_equal(atk_line(&k, "250 last"), ATK_DONE);
	verdict(VULN_VULNERABLE, "250 last");
	/* IMAP untagged data is not an answer. */
	inj("imap", 1);
	assert_int_equal(atk_line(&k, "* OK [ALERT] hello"), ATK_WAIT);
	assert_int_equal(k.verdict, VULN_UNSET);
}

/* ManageSieve re-announces its capabilities after STARTTLS (RFC 5804 2.2):
 * that OK is no answer; the injected NOOP's tag or a second OK is. */
static void test_injection_sieve_own_lines(void **state UNUSED)
{
	inj("sieve", 1);
	assert_int_equal(atk_line(&k, "\"IMPLEMENTATION\" \"x\""), ATK_WAIT);
	assert_int_equal(atk_line(&k, "OK \"TLS negotiation successful\""), ATK_WAIT);
	assert_int_equal(atk_line(&k, "OK (TAG \"mtlsi\") \"Done\""), ATK_DONE);
	verdict(VULN_VULNERABLE, "TAG \"mtlsi\"");

	inj("sieve", 1);
	assert_int_equal(atk_line(&k, "OK \"caps\""), ATK_WAIT);
	assert_int_equal(atk_line(&k, "OK \"NOOP completed\""), ATK_DONE);
	verdict(VULN_VULNERABLE, NULL);

	/* A tagged answer first is never taken for the capabilities' OK. */
	inj("sieve", 1);
	assert_int_equal(atk_line(&k, "OK (TAG \"mtlsi\") \"Done\""), ATK_DONE);
	verdict(VULN_VULNERABLE, NULL);

	/* Only the capabilities: quiet, then the probe. */
	inj("sieve", 1);
	assert_int_equal(atk_line(&k, "OK \"caps\""), ATK_WAIT);
	assert_int_equal(atk_quiet(&k), ATK_SEND);
	assert_string_equal(k.out, "NOOP \"mtlsp\"");
	assert_int_equal(atk_line(&k, "OK (TAG \"mtlsp\") \"Done\""), ATK_WAIT);
	assert_int_equal(atk_quiet(&k), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, "got one answer");
}

static void test_injection_probe(void **state UNUSED)
{
	/* Silent, then one answer to one command: not vulnerable. */
	inj("smtp", 1);
	assert_int_equal(atk_quiet(&k), ATK_SEND);
	assert_string_equal(k.out, "NOOP");
	assert_int_equal(atk_line(&k, "250 2.0.0 Ok"), ATK_WAIT);
	assert_int_equal(atk_quiet(&k), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, "'250 2.0.0 Ok'");
	assert_string_equal(k.reason, "");

	/* Two answers to one command. */
	inj("pop3", 1);
	assert_int_equal(atk_quiet(&k), ATK_SEND);
	assert_int_equal(atk_line(&k, "-ERR one"), ATK_WAIT);
	assert_int_equal(atk_line(&k, "-ERR two"), ATK_DONE);
	verdict(VULN_VULNERABLE, "two answers: '-ERR one' and '-ERR two'");

	/* The injected command's tag after the probe's command. */
	inj("imap", 1);
	assert_int_equal(atk_quiet(&k), ATK_SEND);
	assert_string_equal(k.out, "mtlsp NOOP");
	assert_int_equal(atk_line(&k, "mtlsi OK NOOP"), ATK_DONE);
	verdict(VULN_VULNERABLE, "answered the pipelined command");

	/* No answer at all: unknown, never safe. */
	inj("nntp", 1);
	assert_int_equal(atk_quiet(&k), ATK_SEND);
	assert_string_equal(k.out, "DATE");
	assert_int_equal(atk_quiet(&k), ATK_DONE);
	verdict(VULN_UNKNOWN, NULL);
	assert_string_equal(k.reason, "no answer inside TLS");

	/* A close after the probe's answer; a close without one. */
	inj("ftp", 1);
	assert_int_equal(atk_quiet(&k), ATK_SEND);
	assert_int_equal(atk_line(&k, "200 NOOP ok."), ATK_WAIT);
	assert_int_equal(atk_eof(&k), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, "then the server closed");
	inj("ftp", 1);
	assert_int_equal(atk_quiet(&k), ATK_SEND);
	assert_int_equal(atk_eof(&k), ATK_DONE);
	verdict(VULN_UNKNOWN, NULL);
}

/* A close right after the handshake is a refusal only when this run's
 * normal STARTTLS handshake worked. */
static void test_injection_close(void **state UNUSED)
{
	inj("smtp", 1);
	assert_int_equal(atk_eof(&k), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, "closed the connection after the handshake");
	inj("smtp", 0);
	assert_int_equal(atk_eof(&k), ATK_DONE);
	verdict(VULN_UNKNOWN, NULL);
	assert_non_null(strstr(k.reason, "no normal STARTTLS handshake"));
}

static void test_injection_no_tls(void **state UNUSED)
{
	/* The go-ahead, then an alert or a close in the handshake. */
	inj("imap", 1);
	atk_no_tls(&k, 1, "a2 OK Begin TLS negotiation now.", 1, "alert");
	verdict(VULN_NOT_VULNERABLE, "ended the handshake");
	inj("imap", 0);
	atk_no_tls(&k, 1, "a2 OK Begin TLS negotiation now.", 1, "alert");
	verdict(VULN_UNKNOWN, NULL);
	/* A timeout after the go-ahead is no refusal. */
	inj("imap", 1);
	atk_no_tls(&k, 1, "a2 OK", 0, "the TLS handshake did not complete within 10000 ms");
	verdict(VULN_UNKNOWN, NULL);
	assert_non_null(strstr(k.reason, "did not complete"));
	/* STARTTLS refused when a command follows it. */
	inj("smtp", 1);
	atk_no_tls(&k, 0, "554 5.5.0 no pipelining here", 0, NULL);
	verdict(VULN_NOT_VULNERABLE, "STARTTLS refused ('554 5.5.0 no pipelining here')");
	inj("smtp", 0);
	atk_no_tls(&k, 0, "554 no", 0, NULL);
	verdict(VULN_UNKNOWN, NULL);
	/* A refused connection. */
	inj("smtp", 1);
	atk_no_tls(&k, 0, NULL, 0, "connect failed: Connection refused");
	verdict(VULN_UNKNOWN, NULL);
	assert_string_equal(k.reason, "connect failed: Connection refused");
	/* Long server text is clipped. */
	char longline[400];
	memset(longline, 'A', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	inj("smtp", 1);
	assert_int_equal(atk_line(&k, longline), ATK_WAIT); /* no code: a part */
	memcpy(longline, "250 ", 4);
	assert_int_equal(atk_line(&k, longline), ATK_DONE);
	assert_true(strlen(k.evidence) < 250);
	assert_non_null(strstr(k.evidence, "..."));
}

static void in_tls(const char *proto)
{
	atk_init(&k, attack(proto), ATK_IN_TLS, "client.example", 1500);
}

static void test_in_tls_starttls_port(void **state UNUSED)
{
	/* SMTP starts over with EHLO (RFC 3207 4.2), then STARTTLS. */
	in_tls("smtp");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_string_equal(k.out, "EHLO client.example");
	assert_int_equal(atk_line(&k, "250-mx.example"), ATK_WAIT);
	assert_int_equal(atk_line(&k, "250 SIZE 1000"), ATK_SEND);
	assert_string_equal(k.out, "STARTTLS");
	assert_int_equal(atk_line(&k, "220 2.0.0 Ready to start TLS"), ATK_DONE);
	verdict(VULN_VULNERABLE, "(a go-ahead)");

	in_tls("lmtp");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_string_equal(k.out, "LHLO client.example");
	assert_int_equal(atk_line(&k, "250 ok"), ATK_SEND);
	assert_int_equal(atk_line(&k, "554 5.5.1 Error: TLS already active"), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, "'554 5.5.1 Error: TLS already active'");

	/* A refused hello: unknown. */
	in_tls("smtp");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_int_equal(atk_line(&k, "421 4.3.2 shutting down"), ATK_DONE);
	verdict(VULN_UNKNOWN, NULL);

	/* IMAP, POP3, FTP, NNTP send STARTTLS at once. */
	in_tls("imap");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_string_equal(k.out, "mtlss STARTTLS");
	assert_int_equal(atk_line(&k, "mtlss BAD TLS is already active"), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, NULL);
	in_tls("pop3");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_string_equal(k.out, "STLS");
	assert_int_equal(atk_line(&k, "+OK Begin TLS"), ATK_DONE);
	verdict(VULN_VULNERABLE, NULL);
	/* FTP's go-ahead is 234 only; NNTP's 382 only. */
	in_tls("ftp");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_string_equal(k.out, "AUTH TLS");
	assert_int_equal(atk_line(&k, "200 whatever"), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, NULL);
	in_tls("ftp");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_int_equal(atk_line(&k, "234 Proceed"), ATK_DONE);
	verdict(VULN_VULNERABLE, NULL);
	in_tls("nntp");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_int_equal(atk_line(&k, "382 Continue"), ATK_DONE);
	verdict(VULN_VULNERABLE, NULL);

	/* ManageSieve: its capabilities first, then STARTTLS. */
	in_tls("sieve");
	assert_int_equal(atk_start(&k, 0), ATK_WAIT);
	assert_int_equal(atk_line(&k, "\"SASL\" \"PLAIN\""), ATK_WAIT);
	assert_int_equal(atk_line(&k, "OK \"TLS negotiation successful\""), ATK_SEND);
	assert_string_equal(k.out, "STARTTLS");
	assert_int_equal(atk_line(&k, "NO \"TLS is already active\""), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, NULL);

	/* A close after STARTTLS inside TLS is a refusal. */
	in_tls("imap");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_int_equal(atk_eof(&k), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, "closed");
}

static void test_in_tls_implicit(void **state UNUSED)
{
	in_tls("imap");
	assert_int_equal(atk_start(&k, 1), ATK_WAIT);
	assert_int_equal(atk_quiet(&k), ATK_WAIT); /* a slow greeting */
	assert_int_equal(atk_line(&k, "* OK [CAPABILITY IMAP4rev1] ready"), ATK_SEND);
	assert_string_equal(k.out, "mtlss STARTTLS");
	assert_int_equal(atk_line(&k, "mtlss OK Begin TLS negotiation now"), ATK_DONE);
	verdict(VULN_VULNERABLE, NULL);

	in_tls("imap");
	assert_int_equal(atk_start(&k, 1), ATK_WAIT);
	assert_int_equal(atk_line(&k, "* BYE too many connections"), ATK_DONE);
	verdict(VULN_UNKNOWN, NULL);

	in_tls("smtp");
	assert_int_equal(atk_start(&k, 1), ATK_WAIT);
	assert_int_equal(atk_line(&k, "220-mx.example ESMTP"), ATK_WAIT);
	assert_int_equal(atk_line(&k, "220 more"), ATK_SEND);
	assert_string_equal(k.out, "EHLO client.example");
	assert_int_equal(atk_line(&k, "250 ok"), ATK_SEND);
	assert_int_equal(atk_line(&k, "502 5.5.2 unknown"), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, NULL);

	in_tls("pop3");
	assert_int_equal(atk_start(&k, 1), ATK_WAIT);
	assert_int_equal(atk_eof(&k), ATK_DONE);
	verdict(VULN_UNKNOWN, NULL);
}

/* Silence after STARTTLS inside TLS: a ClientHello tells. */
static void test_in_tls_silence(void **state UNUSED)
{
	in_tls("pop3");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_int_equal(atk_wants_record(&k), 0);
	assert_int_equal(atk_quiet(&k), ATK_CLIENT_HELLO);
	assert_int_equal(atk_wants_record(&k), 1);
	assert_int_equal(atk_tls_record(&k, 22), ATK_DONE);
	verdict(VULN_VULNERABLE, "TLS handshake record");

	in_tls("pop3");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_int_equal(atk_quiet(&k), ATK_CLIENT_HELLO);
	assert_int_equal(atk_tls_record(&k, 21), ATK_DONE);
	verdict(VULN_VULNERABLE, "TLS alert record");

	/* The hello read as a command: not a handshake. */
	in_tls("smtp");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_int_equal(atk_line(&k, "250 ok"), ATK_SEND);
	assert_int_equal(atk_quiet(&k), ATK_CLIENT_HELLO);
	assert_int_equal(atk_line(&k, "500 5.5.2 Error: bad syntax"), ATK_DONE);
	verdict(VULN_NOT_VULNERABLE, "read as a command");

	/* Nothing at all, or a close: unknown. */
	in_tls("nntp");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_int_equal(atk_quiet(&k), ATK_CLIENT_HELLO);
	assert_int_equal(atk_quiet(&k), ATK_DONE);
	verdict(VULN_UNKNOWN, NULL);
	in_tls("nntp");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_int_equal(atk_quiet(&k), ATK_CLIENT_HELLO);
	assert_int_equal(atk_eof(&k), ATK_DONE);
	verdict(VULN_UNKNOWN, NULL);

	/* A record where text is expected is not taken. */
	in_tls("nntp");
	assert_int_equal(atk_start(&k, 0), ATK_SEND);
	assert_int_equal(atk_tls_record(&k, 22), ATK_WAIT);
	assert_int_equal(k.verdict, VULN_UNSET);
}

static void test_in_tls_no_tls(void **state UNUSED)
{
	in_tls("smtp");
	atk_no_tls(&k, 0, NULL, 0, "connect failed: Connection refused");
	verdict(VULN_UNKNOWN, NULL);
	/* Never "not vulnerable" without a TLS session, even on a refusal. */
	in_tls("smtp");
	atk_no_tls(&k, 1, "220 go", 1, "alert");
	verdict(VULN_UNKNOWN, NULL);
	/* The protocol not known (implicit TLS, no greeting yet). */
	atk_init(&k, NULL, ATK_IN_TLS, NULL, 1500);
	atk_no_tls(&k, 0, NULL, 0, "timeout");
	verdict(VULN_UNKNOWN, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_coded_answers),
	    cmocka_unit_test(test_imap_answers),
	    cmocka_unit_test(test_pop3_sieve_answers),
	    cmocka_unit_test(test_no_attack),
	    cmocka_unit_test(test_injection_unasked_answer),
	    cmocka_unit_test(test_injection_sieve_own_lines),
	    cmocka_unit_test(test_injection_probe),
	    cmocka_unit_test(test_injection_close),
	    cmocka_unit_test(test_injection_no_tls),
	    cmocka_unit_test(test_in_tls_starttls_port),
	    cmocka_unit_test(test_in_tls_implicit),
	    cmocka_unit_test(test_in_tls_silence),
	    cmocka_unit_test(test_in_tls_no_tls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
