/* test_smtpd.c - the serve SMTP state machine without sockets: replies and
 * their order, what the record holds, framing across chunks, every limit
 * with its code, STARTTLS and what was pipelined after it, and the
 * failure cases (sequence, syntax, over-long lines, smuggled end of data). */
#include "testutil.h"

#include "serve/sessrec.h"
#include "serve/smtpd.h"

struct t {
	struct smtpd_cfg cfg;
	struct srec rec;
	struct smtpd *s;
	struct buf in, out;
	int act;
};

static void t_open(struct t *t, const struct smtpd_cfg *cfg)
{
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	srec_init(&t->rec, 1);
	t->s = smtpd_new(&t->cfg, &t->rec);
	buf_init(&t->in, 1 << 22);
	buf_init(&t->out, 1 << 22);
	assert_int_equal(smtpd_greet(t->s, &t->out), 0);
}

static struct smtpd_cfg base_cfg(void)
{
	struct smtpd_cfg c = {
		.hostname = "sink.test",
		.max_size = 1000,
		.max_line = 100,
		.max_rcpt = 3,
		.max_errors = 20,
		.starttls = 1,
		.require_tls = 0,
	};
	return c;
}

static void t_close(struct t *t)
{
	smtpd_free(t->s);
	srec_free(&t->rec);
	buf_free(&t->in);
	buf_free(&t->out);
}

/* Feed bytes, return what was answered since the last call. */
static const char *feed(struct t *t, const char *bytes, size_t n)
{
	buf_reset(&t->out);
	tu_buf_add(&t->in, bytes, n);
	t->act = smtpd_feed(t->s, &t->in, &t->out);
	assert_true(t->act >= 0);
	return buf_cstr(&t->out);
}

#define FEED(t, lit) feed((t), LIT(lit))

static void test_greeting_and_ehlo(void **state)
{
	struct t t;
	t_open(&t, &(struct smtpd_cfg){.hostname = "sink.test",
				      .max_size = 12345,
				      .max_line = 1000,
				      .max_rcpt = 100,
				      .max_errors = 20,
				      .starttls = 1});
	assert_string_equal(buf_cstr(&t.out),
			    "220 sink.test ESMTP mailtls serve: a test sink, nothing is relayed or "
			    "stored\r\n");
	assert_string_equal(FEED(&t, "EHLO client.example\r\n"),
			    "250-sink.test Hello, pleased to meet you\r\n"
			    "250-PIPELINING\r\n"
			    "250-SIZE 12345\r\n"
			    "250-8BITMIME\r\n"
			    "250-SMTPUTF8\r\n"
			    "250-ENHANCEDSTATUSCODES\r\n"
			    "250 STARTTLS\r\n");
	assert_int_equal(t.act, SMTPD_MORE);
	assert_int_equal(smtpd_state(t.s), SD_READY);
	assert_string_equal(t.rec.helo_verb, "EHLO");
	assert_string_equal(t.rec.helo.s, "client.example");
	assert_int_equal(t.rec.starttls_offered, 1);
	t_close(&t);
}

static void test_ehlo_without_starttls(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg();
	c.starttls = 0;
	t_open(&t, &c);
	const char *r = FEED(&t, "EHLO x\r\n");
	assert_null(strstr(r, "STARTTLS"));
	assert_non_null(strstr(r, "250 ENHANCEDSTATUSCODES\r\n"));
	assert_string_equal(FEED(&t, "STARTTLS\r\n"), "502 5.5.1 Error: command not implemented\r\n");
	assert_int_equal(t.act, SMTPD_MORE);
	assert_int_equal(t.rec.starttls_offered, 0);
	assert_int_equal(t.rec.starttls_used, 0);
	t_close(&t);
}

static void test_transaction(void **state)
{
	struct t t;
	t_open(&t, &(struct smtpd_cfg){.hostname = "sink.test",
				      .max_size = 100000,
				      .max_line = 1000,
				      .max_rcpt = 100,
				      .max_errors = 20,
				      .starttls = 1});
	FEED(&t, "HELO me\r\n");
	assert_string_equal(buf_cstr(&t.out), "250 sink.test\r\n");
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b.example> BODY=8BITMIME SIZE=50\r\n"),
			    "250 2.1.0 Ok\r\n");
	assert_string_equal(FEED(&t, "RCPT TO:<x@remote.example>\r\n"),
			    "250 2.1.5 Ok (test sink: nothing is relayed)\r\n");
	assert_string_equal(FEED(&t, "rcpt to: <y@other.example>\r\n"),
			    "250 2.1.5 Ok (test sink: nothing is relayed)\r\n");
	assert_string_equal(FEED(&t, "DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
	/* 7+2, "..x" unstuffed to ".x" 2+2, ".." unstuffed to "." 1+2. */
	assert_string_equal(FEED(&t, "Subject\r\n..x\r\n..\r\n"), "");
	assert_int_equal(smtpd_state(t.s), SD_DATA);
	assert_string_equal(FEED(&t, ".\r\n"),
			    "250 2.0.0 received in clear text; discarded\r\n");
	assert_int_equal(smtpd_state(t.s), SD_READY);
	assert_int_equal(t.rec.nmsgs, 1);
	struct srec_msg *m = &t.rec.msgs[0];
	assert_string_equal(m->from.s, "a@b.example");
	assert_int_equal(m->nrcpts, 2);
	assert_string_equal(m->rcpts[0].s, "x@remote.example");
	assert_string_equal(m->rcpts[1].s, "y@other.example");
	assert_int_equal(m->size, 9 + 4 + 3);
	assert_true(m->data && m->accepted && !m->tls);
	assert_string_equal(m->reply, "250 2.0.0 received in clear text; discarded");
	assert_int_equal(t.rec.messages, 1);
	assert_string_equal(FEED(&t, "QUIT\r\n"), "221 2.0.0 sink.test Bye\r\n");
	assert_int_equal(t.act, SMTPD_CLOSE);
	assert_string_equal(smtpd_end_reason(t.s), "quit");
	assert_int_equal(t.rec.commands, 6);
	assert_int_equal(t.rec.errors, 0);
	/* Nothing is read after QUIT. */
	assert_string_equal(FEED(&t, "NOOP\r\n"), "");
	assert_int_equal(t.act, SMTPD_CLOSE);
	t_close(&t);
}

static const char pipelined[] = "EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<p@q>\r\nRCPT TO:<r@s>\r\n"
				"DATA\r\nline one\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n";

/* RFC 2920: a whole group in one segment gets the same answers, in order,
 * as the same bytes one at a time. */
static void test_pipelining_chunking(void **state)
{
	struct t a, b;
	struct smtpd_cfg c = base_cfg();
	t_open(&a, &c);
	t_open(&b, &c);
	struct buf all;
	buf_init(&all, 1 << 16);
	tu_buf_add(&all, a.out.data, a.out.len);
	FEED(&a, pipelined);
	tu_buf_add(&all, a.out.data, a.out.len);
	assert_int_equal(a.act, SMTPD_CLOSE);

	struct buf one;
	buf_init(&one, 1 << 16);
	tu_buf_add(&one, b.out.data, b.out.len);
	for (size_t i = 0; i < sizeof pipelined - 1; i++) {
		feed(&b, pipelined + i, 1);
		tu_buf_add(&one, b.out.data, b.out.len);
	}
	assert_int_equal(b.act, SMTPD_CLOSE);
	assert_string_equal(buf_cstr(&all), buf_cstr(&one));
	assert_non_null(strstr(buf_cstr(&all), "250 2.0.0 received in clear text; discarded\r\n"
						"250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n221 "));
	assert_int_equal(a.rec.msgs[0].from.len, 0);
	assert_int_equal(a.rec.msgs[0].size, 10);
	assert_int_equal(b.rec.msgs[0].size, 10);
	buf_free(&all);
	buf_free(&one);
	t_close(&a);
	t_close(&b);
}

static void test_size_limits(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg(); /* max_size 1000 */
	t_open(&t, &c);
	FEED(&t, "EHLO c\r\n");
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b> SIZE=1001\r\n"),
			    "552 5.3.4 Error: message size exceeds the fixed maximum message size\r\n");
	assert_int_equal(smtpd_state(t.s), SD_READY);
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b> SIZE=12x\r\n"),
			    "501 5.5.4 Syntax: SIZE=number\r\n");
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b> SIZE=99999999999999999999999\r\n"),
			    "501 5.5.4 Syntax: SIZE=number\r\n");
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b> SIZE=1000\r\n"), "250 2.1.0 Ok\r\n");
	FEED(&t, "RCPT TO:<x@y>\r\nDATA\r\n");
	/* 20 lines of 60 bytes: 1240 bytes with CRLFs, over 1000. */
	for (int i = 0; i < 20; i++)
		assert_string_equal(
			FEED(&t, "123456789012345678901234567890123456789012345678901234567890\r\n"),
			"");
	assert_string_equal(FEED(&t, ".\r\n"), "552 5.3.4 Error: message too big\r\n");
	assert_int_equal(smtpd_state(t.s), SD_READY);
	assert_int_equal(t.rec.msgs[0].size, 1240);
	assert_false(t.rec.msgs[0].accepted);
	assert_int_equal(t.rec.messages, 0);
	assert_int_equal(t.rec.errors, 4);
	/* The session goes on. */
	assert_string_equal(FEED(&t, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
	t_close(&t);
}

static void test_max_rcpt(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg(); /* max_rcpt 3 */
	t_open(&t, &c);
	FEED(&t, "EHLO c\r\nMAIL FROM:<a@b>\r\n");
	for (int i = 0; i < 3; i++)
		assert_string_equal(FEED(&t, "RCPT TO:<x@y>\r\n"),
				    "250 2.1.5 Ok (test sink: nothing is relayed)\r\n");
	assert_string_equal(FEED(&t, "RCPT TO:<z@y>\r\n"), "452 4.5.3 Error: too many recipients\r\n");
	assert_int_equal(t.rec.msgs[0].nrcpts, 3);
	/* 452 is not a client error: no count towards --max-errors. */
	assert_int_equal(t.rec.errors, 0);
	assert_string_equal(FEED(&t, "DATA\r\n.\r\n"),
			    "354 End data with <CR><LF>.<CR><LF>\r\n"
			    "250 2.0.0 received in clear text; discarded\r\n");
	/* A new transaction counts from zero. */
	FEED(&t, "MAIL FROM:<a@b>\r\n");
	assert_string_equal(FEED(&t, "RCPT TO:<x@y>\r\n"),
			    "250 2.1.5 Ok (test sink: nothing is relayed)\r\n");
	t_close(&t);
}

static void test_long_command_line(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg(); /* max_line 100 with CRLF */
	t_open(&t, &c);
	char line[300];
	memset(line, 'A', sizeof line);
	/* 98 bytes + CRLF = 100: fits. */
	memcpy(line, "NOOP ", 5);
	memcpy(line + 98, "\r\n", 2);
	assert_string_equal(feed(&t, line, 100), "250 2.0.0 Ok\r\n");
	/* 100 bytes and no LF yet: already too long. The answer waits for
	 * the line's end, two chunks later; what came between is dropped. */
	memcpy(line + 99, "\r", 1);
	assert_string_equal(feed(&t, line, 100), "");
	assert_string_equal(feed(&t, line + 5, 150), "");
	assert_string_equal(FEED(&t, "\nNOOP\r\n"), "500 5.5.2 Error: line too long\r\n"
						 "250 2.0.0 Ok\r\n");
	assert_int_equal(t.rec.errors, 1);
	assert_int_equal(t.in.len, 0);
	t_close(&t);
}

static void test_long_data_line(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg();
	c.max_size = 100000;
	t_open(&t, &c);
	FEED(&t, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n");
	char big[250];
	memset(big, 'b', sizeof big);
	assert_string_equal(feed(&t, big, sizeof big), "");
	/* The end marker right after the long line's CRLF still ends it. */
	assert_string_equal(FEED(&t, "\r\n.\r\n"), "500 5.5.2 Error: message line too long\r\n");
	assert_int_equal(smtpd_state(t.s), SD_READY);
	assert_int_equal(t.rec.msgs[0].size, 252);
	assert_false(t.rec.msgs[0].accepted);
	t_close(&t);
}

/* RFC 5321 4.1.1.4: only CRLF "." CRLF ends the data; a "." between bare
 * LFs is body (the SMTP smuggling of 2023 relies on servers that differ). */
static void test_no_smuggled_end(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg();
	t_open(&t, &c);
	FEED(&t, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n");
	assert_string_equal(FEED(&t, "body\n.\nMAIL FROM:<evil@x>\r\n"), "");
	assert_string_equal(FEED(&t, "after bare lf\n.\r\n"), "");
	assert_int_equal(smtpd_state(t.s), SD_DATA);
	assert_string_equal(FEED(&t, "x\r\n.\r\n"), "250 2.0.0 received in clear text; discarded\r\n");
	assert_int_equal(t.rec.nmsgs, 1);
	assert_int_equal(t.rec.msgs[0].nrcpts, 1);
	t_close(&t);
}

static void test_require_tls(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg();
	c.require_tls = 1;
	t_open(&t, &c);
	FEED(&t, "EHLO c\r\n");
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b>\r\n"),
			    "530 5.7.0 Must issue a STARTTLS command first\r\n");
	assert_string_equal(FEED(&t, "RCPT TO:<a@b>\r\n"),
			    "530 5.7.0 Must issue a STARTTLS command first\r\n");
	assert_string_equal(FEED(&t, "DATA\r\n"), "530 5.7.0 Must issue a STARTTLS command first\r\n");
	assert_string_equal(FEED(&t, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
	assert_string_equal(FEED(&t, "STARTTLS\r\n"), "220 2.0.0 Ready to start TLS\r\n");
	assert_int_equal(t.act, SMTPD_START_TLS);
	smtpd_tls_started(t.s, "TLSv1.3", "TLS_AES_128_GCM_SHA256");
	/* RFC 3207 4.2: the hello is forgotten. */
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
	const char *r = FEED(&t, "EHLO c\r\n");
	assert_null(strstr(r, "STARTTLS"));
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b>\r\n"), "250 2.1.0 Ok\r\n");
	FEED(&t, "RCPT TO:<x@y>\r\nDATA\r\n");
	assert_string_equal(FEED(&t, "hi\r\n.\r\n"),
			    "250 2.0.0 received over TLSv1.3 TLS_AES_128_GCM_SHA256; discarded\r\n");
	assert_true(t.rec.msgs[0].tls);
	assert_string_equal(FEED(&t, "STARTTLS\r\n"), "503 5.5.1 Error: TLS already active\r\n");
	t_close(&t);
}

static void test_starttls_pipelined(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg();
	t_open(&t, &c);
	FEED(&t, "EHLO c\r\n");
	assert_string_equal(FEED(&t, "STARTTLS x\r\n"), "501 5.5.4 Syntax: STARTTLS\r\n");
	/* CVE-2011-0411: commands after STARTTLS in the same segment are
	 * dropped, never answered, never taken as if they came inside TLS. */
	assert_string_equal(FEED(&t, "STARTTLS\r\nMAIL FROM:<inject@x>\r\nRCPT TO:<y@z>\r\n"),
			    "220 2.0.0 Ready to start TLS\r\n");
	assert_int_equal(t.act, SMTPD_START_TLS);
	assert_int_equal(smtpd_state(t.s), SD_STARTTLS);
	assert_int_equal(t.in.len, 0);
	assert_int_equal(t.rec.pipelined_after_starttls, strlen("MAIL FROM:<inject@x>\r\nRCPT TO:<y@z>\r\n"));
	assert_int_equal(t.rec.nmsgs, 0);
	assert_int_equal(t.rec.starttls_used, 1);
	/* Until TLS is up nothing is read, and no 421 can be sent in clear. */
	assert_string_equal(FEED(&t, "NOOP\r\n"), "");
	assert_int_equal(t.act, SMTPD_START_TLS);
	assert_int_equal(smtpd_close_421(t.s, &t.out, "4.4.2", "Error: timeout exceeded"), 0);
	smtpd_tls_started(t.s, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	buf_reset(&t.in);
	assert_string_equal(FEED(&t, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
	t_close(&t);
}

static void test_sequence_errors(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg();
	t_open(&t, &c);
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
	assert_string_equal(FEED(&t, "EHLO\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
	FEED(&t, "EHLO c\r\n");
	assert_string_equal(FEED(&t, "RCPT TO:<a@b>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	assert_string_equal(FEED(&t, "DATA\r\n"), "503 5.5.1 Error: need RCPT command\r\n");
	FEED(&t, "MAIL FROM:<a@b>\r\n");
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b>\r\n"), "503 5.5.1 Error: nested MAIL command\r\n");
	assert_string_equal(FEED(&t, "DATA\r\n"), "554 5.5.1 Error: no valid recipients\r\n");
	assert_string_equal(FEED(&t, "RCPT TO:<>\r\n"), "501 5.1.3 Syntax: RCPT TO:<address>\r\n");
	assert_string_equal(FEED(&t, "RCPT TO:x@y\r\n"), "501 5.1.3 Syntax: RCPT TO:<address>\r\n");
	assert_string_equal(FEED(&t, "RCPT TO:<x@y> NOTIFY=NEVER\r\n"),
			    "555 5.5.4 Error: unsupported RCPT parameter\r\n");
	assert_string_equal(FEED(&t, "RSET\r\n"), "250 2.0.0 Ok\r\n");
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b> FOO=1\r\n"),
			    "555 5.5.4 Error: unsupported MAIL parameter\r\n");
	assert_string_equal(FEED(&t, "MAIL FROM:<a@b>x\r\n"), "501 5.1.7 Syntax: MAIL FROM:<address>\r\n");
	assert_string_equal(FEED(&t, "MAIL TO:<a@b>\r\n"), "501 5.1.7 Syntax: MAIL FROM:<address>\r\n");
	assert_string_equal(FEED(&t, "DATA x\r\n"), "503 5.5.1 Error: need RCPT command\r\n");
	assert_string_equal(FEED(&t, "VRFY root\r\n"), "502 5.5.1 Error: command not implemented\r\n");
	assert_string_equal(FEED(&t, "XYZZY\r\n"), "500 5.5.2 Error: command not recognized\r\n");
	assert_string_equal(FEED(&t, "\r\n"), "500 5.5.2 Error: command not recognized\r\n");
	assert_int_equal(t.rec.errors, 16);
	assert_int_equal(t.act, SMTPD_MORE);
	t_close(&t);
}

/* A quoted local part may hold '>' and spaces (RFC 5321 4.1.2). */
static void test_quoted_path(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg();
	t_open(&t, &c);
	FEED(&t, "EHLO c\r\n");
	assert_string_equal(FEED(&t, "MAIL FROM:<\"a> \\\"b\"@c.example> SMTPUTF8\r\n"),
			    "250 2.1.0 Ok\r\n");
	assert_string_equal(t.rec.msgs[0].from.s, "\"a> \\\"b\"@c.example");
	t_close(&t);
}

static void test_error_limit(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg();
	c.max_errors = 3;
	t_open(&t, &c);
	assert_string_equal(FEED(&t, "A\r\nB\r\n"), "500 5.5.2 Error: command not recognized\r\n"
						    "500 5.5.2 Error: command not recognized\r\n");
	assert_int_equal(t.act, SMTPD_MORE);
	assert_string_equal(FEED(&t, "C\r\nD\r\n"),
			    "500 5.5.2 Error: command not recognized\r\n"
			    "421 4.7.0 sink.test Error: too many errors\r\n");
	assert_int_equal(t.act, SMTPD_CLOSE);
	assert_string_equal(smtpd_end_reason(t.s), "too-many-errors");
	assert_int_equal(t.rec.errors, 3);
	assert_int_equal(smtpd_state(t.s), SD_CLOSING);
	t_close(&t);
}

static void test_close_421(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg();
	t_open(&t, &c);
	buf_reset(&t.out);
	assert_int_equal(smtpd_close_421(t.s, &t.out, "4.4.2", "Error: timeout exceeded"), 1);
	assert_string_equal(buf_cstr(&t.out), "421 4.4.2 sink.test Error: timeout exceeded\r\n");
	assert_int_equal(smtpd_state(t.s), SD_CLOSING);
	/* Only once. */
	assert_int_equal(smtpd_close_421(t.s, &t.out, "4.3.2", "x"), 0);
	assert_string_equal(smtpd_state_name(SD_CLOSING), "closing");
	assert_string_equal(smtpd_state_name(SD_NSTATES), "?");
	t_close(&t);
}

/* More transactions than the record keeps: counted, not stored. */
static void test_record_cap(void **state)
{
	struct t t;
	struct smtpd_cfg c = base_cfg();
	t_open(&t, &c);
	FEED(&t, "EHLO c\r\n");
	for (int i = 0; i < SREC_MAX_MSGS + 2; i++)
		assert_string_equal(FEED(&t, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\n"),
				    "250 2.1.0 Ok\r\n250 2.1.5 Ok (test sink: nothing is relayed)\r\n"
				    "354 End data with <CR><LF>.<CR><LF>\r\n"
				    "250 2.0.0 received in clear text; discarded\r\n");
	assert_int_equal(t.rec.nmsgs, SREC_MAX_MSGS);
	assert_int_equal(t.rec.msgs_dropped, 2);
	assert_int_equal(t.rec.messages, SREC_MAX_MSGS + 2);
	t_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_and_ehlo),
		cmocka_unit_test(test_ehlo_without_starttls),
		cmocka_unit_test(test_transaction),
		cmocka_unit_test(test_pipelining_chunking),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_max_rcpt),
		cmocka_unit_test(test_long_command_line),
		cmocka_unit_test(test_long_data_line),
		cmocka_unit_test(test_no_smuggled_end),
		cmocka_unit_test(test_require_tls),
		cmocka_unit_test(test_starttls_pipelined),
		cmocka_unit_test(test_sequence_errors),
		cmocka_unit_test(test_quoted_path),
		cmocka_unit_test(test_error_limit),
		cmocka_unit_test(test_close_421),
		cmocka_unit_test(test_record_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
