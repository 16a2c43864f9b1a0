/* sieve.c - ManageSieve STARTTLS (RFC 5804 1.7, 2.2): the greeting is the
 * capability list ending in OK; STARTTLS; [TLS]; the server sends its
 * capabilities again by itself; LOGOUT. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/mem.h"
#include "proto/dialog.h"
#include "proto/util.h"

enum sieve_state { SV_GREETING, SV_STARTTLS, SV_CAPA_TLS, SV_LOGOUT };
static const char *const sieve_states[] = {"greeting", "starttls", "capability-tls", "logout"};

/* "SASL" "PLAIN LOGIN" -> the capability as one line without quotes. */
static void one_cap(struct dlg *d, const char *line)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	char text[512];
	size_t o = 0;
	for (const char *p = line; *p && o + 1 < sizeof text; p++)
		if (*p != '"')
			text[o++] = *p;
	while (o > 0 && text[o - 1] == ' ')
		o--; /* "SASL" "" leaves a trailing space */
	text[o] = '\0';
	/* a SASL capability with at least one mechanism */
	int sasl = word_is(text, "SASL", NULL) && text[4] == ' ';
	dlg_add_cap(d, text);
	if (dlg_in_tls(d)) {
		g->auth_tls |= sasl;
		return;
	}
	if (word_is(text, "STARTTLS", NULL))
		g->starttls_advertised = 1;
	g->auth_pre |= sasl;
	if (word_is(text, "SASL", NULL) &&
	    (has_token(text + 4, "PLAIN") || has_token(text + 4, "LOGIN")) && !g->auth_clear)
		g->auth_clear = xstrdup(text);
}

static int is_response(const char *line, const char *w)
{
	return word_is(line, w, "(");
}

static enum dlg_step on_line(struct dlg *d, const char *line)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	int ok = is_response(line, "OK");

	switch (dlg_state(d)) {
	case SV_GREETING:
	case SV_CAPA_TLS:
		if (line[0] == '"') {
			if (!g->greeting && dlg_state(d) == SV_GREETING) {
				str_set(&g->greeting, line);
				g->greeting_ms = dlg_ms(d);
			}
			one_cap(d, line);
			return DLG_WAIT;
		}
		if (!ok)
			return dlg_fail(d, is_response(line, "BYE") ? ERR_BUSY : ERR_PROTOCOL,
			                "the server refused the session: %s", line);
		if (dlg_state(d) == SV_CAPA_TLS) {
			g->caps_post_known = 1;
			return dlg_command(d, "LOGOUT", SV_LOGOUT);
		}
		g->hello_code = 1;
		g->starttls_sent = 1;
		return dlg_starttls_command(d, "STARTTLS", SV_STARTTLS);
	case SV_STARTTLS:
		dlg_starttls_answer(d, ok, 0, line);
		if (ok) {
			dlg_note_pending(d);
			return DLG_START_TLS;
		}
		return dlg_command(d, "LOGOUT", SV_LOGOUT);
	default:
		return DLG_DONE;
	}
}

static enum dlg_step sieve_begin(struct dlg *d)
{
	dlg_set_state(d, SV_GREETING);
	return DLG_WAIT;
}

static enum dlg_step sieve_input(struct dlg *d)
{
	return dlg_each_line(d, on_line);
}

/* RFC 5804 2.2: after a successful STARTTLS the server sends its
 * capabilities unasked. */
static enum dlg_step sieve_after_tls(struct dlg *d)
{
	dlg_set_state(d, SV_CAPA_TLS);
	return DLG_WAIT;
}

/* RFC 5804 1.3: OK, NO and BYE end an answer; NOOP's tag comes back in a
 * TAG response code (2.11), which tells its answer from the OK that ends
 * the capabilities the server sends by itself after STARTTLS. */
static void sieve_answer(const char *line, struct dlg_ans *out)
{
	memset(out, 0, sizeof *out);
	out->kind = DLG_ANS_PART;
	if (is_response(line, "OK"))
		out->kind = DLG_ANS_OK;
	else if (is_response(line, "NO") || is_response(line, "BYE"))
		out->kind = DLG_ANS_ERR;
	else
		return;
	if (strcasestr(line, "(TAG \"mtlsi\")"))
		out->tag = DLG_TAG_INJECT;
	else if (strcasestr(line, "(TAG \"mtlsp\")"))
		out->tag = DLG_TAG_PROBE;
}

static const struct dlg_attack sieve_attack = {
    .inject = "NOOP \"mtlsi\"",
    .probe = "NOOP \"mtlsp\"",
    .starttls = "STARTTLS",
    .own_after_tls = 1,
    .answer = sieve_answer,
};

/* RFC 5804 1.7: the greeting is the capability list. */
static const char *const sieve_greeting[] = {"\"IMPLEMENTATION\"", NULL};

const struct dlg_proto sieve_proto = {
    .name = "sieve",
    .state_names = sieve_states,
    .begin = sieve_begin,
    .on_input = sieve_input,
    .after_tls = sieve_after_tls,
    .bye_state = SV_LOGOUT,
    .ports = {4190},
    .greeting = sieve_greeting,
    .attack = &sieve_attack,
    .enable_tls = "Enable TLS with a certificate (Dovecot: ssl = yes or required, ssl_cert = "
                  "<file, ssl_key = <file).",
};
