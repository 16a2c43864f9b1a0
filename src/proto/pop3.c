/* pop3.c - POP3 STLS (RFC 2595 4, RFC 2449 CAPA): greeting, CAPA, STLS,
 * [TLS], CAPA, QUIT. CAPA's answer is a multi-line block ending in ".". */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/mem.h"
#include "proto/dialog.h"
#include "proto/util.h"

enum pop3_state {
	PO_GREETING,
	PO_CAPA,
	PO_CAPA_LIST,
	PO_STLS,
	PO_CAPA_TLS,
	PO_CAPA_TLS_LIST,
	PO_QUIT
};
static const char *const pop3_states[] = {"greeting", "capa",          "capa-list", "stls",
                                          "capa-tls", "capa-tls-list", "quit"};

static void one_cap(struct dlg *d, const char *line)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	dlg_add_cap(d, line);
	int user = word_is(line, "USER", NULL);
	/* "SASL" alone lists no mechanism: nothing to authenticate with */
	int sasl = word_is(line, "SASL", NULL) && strspn(line + 4, " ") < strlen(line + 4);
	int sasl_clear = word_is(line, "SASL", NULL) &&
	                 (has_token(line + 4, "PLAIN") || has_token(line + 4, "LOGIN"));
	if (dlg_in_tls(d)) {
		g->auth_tls |= user || sasl;
		return;
	}
	if (word_is(line, "STLS", NULL))
		g->starttls_advertised = 1;
	g->auth_pre |= user || sasl;
	if ((user || sasl_clear) && !g->auth_clear)
		g->auth_clear = xstrdup(user ? "USER/PASS" : line);
}

static enum dlg_step after_caps(struct dlg *d)
{
	if (dlg_in_tls(d)) {
		dlg_ep(d)->dlg.caps_post_known = 1;
		return dlg_command(d, "QUIT", PO_QUIT);
	}
	dlg_ep(d)->dlg.starttls_sent = 1;
	return dlg_starttls_command(d, "STLS", PO_STLS);
}

static enum dlg_step on_line(struct dlg *d, const char *line)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	int ok = word_is(line, "+OK", NULL);

	switch (dlg_state(d)) {
	case PO_GREETING:
		str_set(&g->greeting, line);
		g->greeting_ms = dlg_ms(d);
		if (!ok)
			return dlg_fail(d, ERR_PROTOCOL, "the server refused the session: %s",
			                line);
		return dlg_command(d, "CAPA", PO_CAPA);
	case PO_CAPA:
	case PO_CAPA_TLS:
		if (dlg_state(d) == PO_CAPA)
			g->hello_code = ok ? 1 : -1;
		if (!ok)
			return after_caps(d); /* no CAPA: try STLS all the same */
		dlg_set_state(d, dlg_state(d) == PO_CAPA ? PO_CAPA_LIST : PO_CAPA_TLS_LIST);
		return DLG_WAIT;
	case PO_CAPA_LIST:
	case PO_CAPA_TLS_LIST:
		if (strcmp(line, ".") == 0)
			return after_caps(d);
		one_cap(d, line[0] == '.' ? line + 1 : line); /* RFC 1939 3 byte-stuffing */
		return DLG_WAIT;
	case PO_STLS:
		dlg_starttls_answer(d, ok, 0, line);
		if (ok) {
			dlg_note_pending(d);
			return DLG_START_TLS;
		}
		return dlg_command(d, "QUIT", PO_QUIT);
	default:
		return DLG_DONE;
	}
}

static enum dlg_step pop3_begin(struct dlg *d)
{
	dlg_set_state(d, PO_GREETING);
	return DLG_WAIT;
}

static enum dlg_step pop3_input(struct dlg *d)
{
	return dlg_each_line(d, on_line);
}

static enum dlg_step pop3_after_tls(struct dlg *d)
{
	return dlg_command(d, "CAPA", PO_CAPA_TLS);
}

/* RFC 1939 3: every answer starts with +OK or -ERR; other lines belong to a
 * multi-line answer. */
static void pop3_answer(const char *line, struct dlg_ans *out)
{
	memset(out, 0, sizeof *out);
	out->kind = DLG_ANS_PART;
	if (word_is(line, "+OK", NULL))
		out->kind = DLG_ANS_OK;
	else if (word_is(line, "-ERR", NULL))
		out->kind = DLG_ANS_ERR;
}

/* NOOP (RFC 1939 5) is a TRANSACTION command: before login it is an -ERR,
 * an answer all the same. */
static const struct dlg_attack pop3_attack = {
    .inject = "NOOP",
    .probe = "NOOP",
    .starttls = "STLS",
    .answer = pop3_answer,
};

/* RFC 1939 4: the greeting is a positive response. */
static const char *const pop3_greeting[] = {"+OK", NULL};

const struct dlg_proto pop3_proto = {
    .name = "pop3",
    .state_names = pop3_states,
    .begin = pop3_begin,
    .on_input = pop3_input,
    .after_tls = pop3_after_tls,
    .bye_state = PO_QUIT,
    .ports = {110},
    .implicit_ports = {995},
    .greeting = pop3_greeting,
    .attack = &pop3_attack,
    .enable_tls = "Enable TLS with a certificate (Dovecot: ssl = yes or required, ssl_cert = "
                  "<file, ssl_key = <file).",
};
