/* stattack.c - the STARTTLS attacks' decisions: lines in, verdict out. */
#include "proto/stattack.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum atk_state {
	ST_START,    /* before atk_start */
	ST_GREETING, /* implicit TLS: the greeting inside TLS */
	ST_OWN,      /* what the server sends by itself after STARTTLS's handshake */
	ST_HELLO,    /* EHLO/LHLO inside TLS sent */
	ST_LISTEN,   /* injection: reading without sending */
	ST_PROBE,    /* injection: one real command sent */
	ST_SENT,     /* STARTTLS sent inside TLS */
	ST_HELLO_CH, /* ...no answer: a ClientHello sent inside TLS */
	ST_DONE,
};

/* Server text in the evidence: at most 100 bytes of a line (renderers
 * escape it). */
static void clip(char *dst, size_t n, const char *line)
{
	snprintf(dst, n, "%.100s%s", line, strlen(line) > 100 ? "..." : "");
}

static enum atk_do done(struct atk *k, enum vuln_verdict v, const char *reason, const char *fmt,
                        ...) PRINTF(4, 5);
static enum atk_do done(struct atk *k, enum vuln_verdict v, const char *reason, const char *fmt,
                        ...)
{
	va_list ap;
	k->verdict = v;
	k->state = ST_DONE;
	snprintf(k->reason, sizeof k->reason, "%s", reason ? reason : "");
	va_start(ap, fmt);
	vsnprintf(k->evidence, sizeof k->evidence, fmt, ap);
	va_end(ap);
	return ATK_DONE;
}

static enum atk_do say(struct atk *k, const char *line, enum atk_state next)
{
	snprintf(k->out, sizeof k->out, "%s", line);
	k->state = next;
	return ATK_SEND;
}

void atk_init(struct atk *k, const struct dlg_attack *a, enum atk_kind kind, const char *ehlo_name,
              int quiet_ms)
{
	memset(k, 0, sizeof *k);
	k->a = a;
	k->kind = kind;
	k->quiet_ms = quiet_ms;
	k->verdict = VULN_UNSET;
	if (a && a->hello)
		snprintf(k->hello_line, sizeof k->hello_line, "%s %s", a->hello,
		         ehlo_name ? ehlo_name : "localhost");
}

/* In-TLS: the session is ready for commands (greeting and own lines read). */
static enum atk_do ready(struct atk *k)
{
	if (k->a->hello)
		return say(k, k->hello_line, ST_HELLO);
	return say(k, k->a->starttls, ST_SENT);
}

enum atk_do atk_start(struct atk *k, int greeting)
{
	k->own_left = greeting ? 0 : k->a->own_after_tls;
	if (k->kind == ATK_INJECTION) {
		k->state = ST_LISTEN;
		return ATK_WAIT;
	}
	if (greeting) {
		k->state = ST_GREETING;
		return ATK_WAIT;
	}
	if (k->own_left > 0) {
		k->state = ST_OWN;
		return ATK_WAIT;
	}
	return ready(k);
}

static enum atk_do on_probe_answer(struct atk *k, const struct dlg_ans *ans, const char *line)
{
	char seen[128];
	clip(seen, sizeof seen, line);
	if (ans->tag == DLG_TAG_INJECT)
		return done(k, VULN_VULNERABLE, NULL,
		            "sent STARTTLS and '%s' in one segment; after '%s' inside TLS the "
		            "server answered the pipelined command: '%s'",
		            k->a->inject, k->a->probe, seen);
	if (k->own_left > 0 && ans->tag == DLG_TAG_NONE) {
		k->own_left--;
		return ATK_WAIT;
	}
	if (++k->answers == 1) {
		snprintf(k->first, sizeof k->first, "%s", seen);
		return ATK_WAIT;
	}
	return done(k, VULN_VULNERABLE, NULL,
	            "sent STARTTLS and '%s' in one segment; '%s' sent once inside TLS got two "
	            "answers: '%s' and '%s'",
	            k->a->inject, k->a->probe, k->first, seen);
}

enum atk_do atk_line(struct atk *k, const char *line)
{
	struct dlg_ans ans;
	char seen[128];
	k->a->answer(line, &ans);
	if (k->state == ST_GREETING && ans.kind == DLG_ANS_PART && ans.status)
		ans.kind = ans.status > 0 ? DLG_ANS_OK : DLG_ANS_ERR; /* IMAP's "* OK" */
	if (ans.kind == DLG_ANS_PART || k->state == ST_DONE)
		return ATK_WAIT;
	clip(seen, sizeof seen, line);
	switch ((enum atk_state)k->state) {
	case ST_GREETING:
		if (ans.kind == DLG_ANS_ERR)
			return done(k, VULN_UNKNOWN, "the greeting inside TLS refused the session",
			            "greeting: '%s'", seen);
		return ready(k);
	case ST_OWN:
		if (ans.kind == DLG_ANS_ERR)
			return done(k, VULN_UNKNOWN,
			            "the server refused the session after the handshake",
			            "after the handshake: '%s'", seen);
		if (--k->own_left > 0)
			return ATK_WAIT;
		return ready(k);
	case ST_HELLO:
		if (ans.kind == DLG_ANS_ERR)
			return done(k, VULN_UNKNOWN, "the hello inside TLS was refused",
			            "sent '%s' inside TLS; answer: '%s'", k->a->hello, seen);
		return say(k, k->a->starttls, ST_SENT);
	case ST_SENT: {
		int go = k->a->go_code ? ans.code == k->a->go_code : ans.kind == DLG_ANS_OK;
		return done(k, go ? VULN_VULNERABLE : VULN_NOT_VULNERABLE, NULL,
		            "sent '%s' inside TLS; answer: '%s'%s", k->a->starttls, seen,
		            go ? " (a go-ahead)" : "");
	}
	case ST_HELLO_CH:
		return done(k, VULN_NOT_VULNERABLE, NULL,
		            "sent '%s' inside TLS: no answer within %d ms; a ClientHello sent "
		            "after it was read as a command: '%s'",
		            k->a->starttls, k->quiet_ms, seen);
	case ST_LISTEN:
		if (k->own_left > 0 && ans.tag == DLG_TAG_NONE) {
			k->own_left--; /* ManageSieve's capabilities (RFC 5804 2.2) */
			return ATK_WAIT;
		}
		return done(k, VULN_VULNERABLE, NULL,
		            "sent STARTTLS and '%s' in one segment; inside TLS, before any "
		            "command, the server answered: '%s'",
		            k->a->inject, seen);
	case ST_PROBE:
		return on_probe_answer(k, &ans, line);
	case ST_START:
	case ST_DONE:
		break;
	}
	return ATK_WAIT;
}

enum atk_do atk_quiet(struct atk *k)
{
	switch ((enum atk_state)k->state) {
	case ST_LISTEN:
		return say(k, k->a->probe, ST_PROBE);
	case ST_PROBE:
		if (k->answers == 0)
			return done(
			    k, VULN_UNKNOWN, "no answer inside TLS",
			    "sent STARTTLS and '%s' in one segment; nothing came inside TLS, "
			    "and '%s' sent inside TLS got no answer within %d ms",
			    k->a->inject, k->a->probe, k->quiet_ms);
		return done(k, VULN_NOT_VULNERABLE, NULL,
		            "sent STARTTLS and '%s' in one segment; nothing answered it inside "
		            "TLS within %d ms; '%s' sent inside TLS got one answer: '%s'",
		            k->a->inject, k->quiet_ms, k->a->probe, k->first);
	case ST_SENT:
		k->state = ST_HELLO_CH;
		return ATK_CLIENT_HELLO;
	case ST_HELLO_CH:
		return done(k, VULN_UNKNOWN, "no answer inside TLS",
		            "sent '%s' inside TLS, then a ClientHello: no answer within %d ms each",
		            k->a->starttls, k->quiet_ms);
	default:
		return ATK_WAIT; /* a greeting or a hello answer: the read deadline bounds it */
	}
}

enum atk_do atk_eof(struct atk *k)
{
	switch ((enum atk_state)k->state) {
	case ST_LISTEN:
		if (k->baseline)
			return done(k, VULN_NOT_VULNERABLE, NULL,
			            "sent STARTTLS and '%s' in one segment; the server closed the "
			            "connection after the handshake without answering it",
			            k->a->inject);
		return done(k, VULN_UNKNOWN,
		            "the server closed the connection after the handshake, and no normal "
		            "STARTTLS handshake completed in this run",
		            "sent STARTTLS and '%s' in one segment", k->a->inject);
	case ST_PROBE:
		if (k->answers > 0)
			return done(k, VULN_NOT_VULNERABLE, NULL,
			            "sent STARTTLS and '%s' in one segment; nothing answered it "
			            "inside TLS; '%s' sent inside TLS got one answer ('%s'), then "
			            "the server closed",
			            k->a->inject, k->a->probe, k->first);
		return done(k, VULN_UNKNOWN, "the server closed the connection inside TLS",
		            "sent STARTTLS and '%s' in one segment; '%s' sent inside TLS: the "
		            "server closed without an answer",
		            k->a->inject, k->a->probe);
	case ST_SENT:
		return done(k, VULN_NOT_VULNERABLE, NULL,
		            "sent '%s' inside TLS: the server closed the connection",
		            k->a->starttls);
	case ST_HELLO_CH:
		return done(
		    k, VULN_UNKNOWN,
		    "no answer to STARTTLS inside TLS; the server closed after a ClientHello",
		    "sent '%s' inside TLS, then a ClientHello: closed", k->a->starttls);
	case ST_DONE:
		return ATK_DONE;
	default:
		return done(k, VULN_UNKNOWN, "the server closed the connection inside TLS",
		            "closed before STARTTLS could be sent inside TLS");
	}
}

int atk_wants_record(const struct atk *k)
{
	return k->state == ST_HELLO_CH;
}

enum atk_do atk_tls_record(struct atk *k, uint8_t type)
{
	if (k->state != ST_HELLO_CH)
		return ATK_WAIT;
	return done(k, VULN_VULNERABLE, NULL,
	            "sent '%s' inside TLS: no answer within %d ms; a ClientHello sent inside TLS "
	            "was answered with a TLS %s record: a second handshake inside the first",
	            k->a->starttls, k->quiet_ms,
	            type == 22   ? "handshake"
	            : type == 21 ? "alert"
	                         : "non-handshake");
}

void atk_no_tls(struct atk *k, int go, const char *reply, int hs_refused, const char *why)
{
	char seen[128] = "";
	if (reply)
		clip(seen, sizeof seen, reply);
	if (k->kind == ATK_IN_TLS) {
		if (why)
			done(k, VULN_UNKNOWN, why, "no TLS session to test");
		else
			done(k, VULN_UNKNOWN, "the dialogue ended before TLS",
			     "STARTTLS answer: '%s'", seen);
		return;
	}
	if (go && hs_refused) {
		if (k->baseline)
			done(k, VULN_NOT_VULNERABLE, NULL,
			     "sent STARTTLS and '%s' in one segment; after the go-ahead ('%s') the "
			     "server ended the handshake (an alert or a close): the pipelined "
			     "command "
			     "was not run inside TLS",
			     k->a->inject, seen);
		else
			done(k, VULN_UNKNOWN,
			     "the handshake after the go-ahead failed, and no normal STARTTLS "
			     "handshake completed in this run",
			     "sent STARTTLS and '%s' in one segment; go-ahead: '%s'", k->a->inject,
			     seen);
		return;
	}
	if (why) {
		done(k, VULN_UNKNOWN, why, "sent STARTTLS and '%s' in one segment", k->a->inject);
		return;
	}
	if (!go && reply) {
		if (k->baseline)
			done(k, VULN_NOT_VULNERABLE, NULL,
			     "sent STARTTLS and '%s' in one segment: STARTTLS refused ('%s')",
			     k->a->inject, seen);
		else
			done(k, VULN_UNKNOWN, "STARTTLS was refused",
			     "sent STARTTLS and '%s' in one segment: '%s'", k->a->inject, seen);
		return;
	}
	done(k, VULN_UNKNOWN, "the dialogue ended before STARTTLS",
	     "no STARTTLS answer to the pipelined command");
}
