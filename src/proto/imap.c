/* imap.c - IMAP STARTTLS (RFC 3501 6.2.1, RFC 9051, RFC 2595): greeting,
 * CAPABILITY, STARTTLS, [TLS], CAPABILITY, LOGOUT. Each command has a fixed
 * tag, so a tagged answer is matched by its state alone. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/mem.h"
#include "proto/dialog.h"
#include "proto/util.h"

enum imap_state { IM_GREETING, IM_CAPA, IM_STARTTLS, IM_CAPA_TLS, IM_LOGOUT };
static const char *const imap_states[] = {"greeting", "capability", "starttls", "capability-tls",
                                          "logout"};
static const char *const imap_tags[] = {"", "a1", "a2", "a3", "a4"};

static enum dlg_step send_cmd(struct dlg *d, int state, const char *cmd)
{
	char line[64];
	snprintf(line, sizeof line, "%s %s", imap_tags[state], cmd);
	if (state == IM_STARTTLS)
		return dlg_starttls_command(d, line, state);
	return dlg_command(d, line, state);
}

/* Any AUTH= capability in the list? */
static int find_auth(const char *list)
{
	for (const char *p = list; (p = strcasestr(p, "AUTH=")) != NULL; p += 5)
		if (p == list || p[-1] == ' ')
			return 1;
	return 0;
}

/* "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN": one capability each. */
static void store_caps(struct dlg *d, const char *list)
{
	char tok[128];
	const char *p = list;
	struct dialogue *g = &dlg_ep(d)->dlg;
	int logindisabled = has_token(list, "LOGINDISABLED");
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		snprintf(tok, sizeof tok, "%.*s", (int)n, p);
		dlg_add_cap(d, tok);
		if (!dlg_in_tls(d) && strcasecmp(tok, "STARTTLS") == 0)
			g->starttls_advertised = 1;
		if (dlg_in_tls(d) && (strncasecmp(tok, "AUTH=", 5) == 0 || !logindisabled))
			g->auth_tls = 1;
		p += n;
	}
	if (!dlg_in_tls(d))
		g->auth_pre |= !logindisabled || find_auth(list);
	if (!dlg_in_tls(d) && !g->auth_clear) {
		/* Without LOGINDISABLED the LOGIN command takes a password in
		 * clear text (RFC 3501 6.2.3); so do AUTH=PLAIN and LOGIN. */
		char what[160] = "";
		if (!logindisabled)
			snprintf(what, sizeof what, "the LOGIN command (no LOGINDISABLED)");
		if (has_token(list, "AUTH=PLAIN") || has_token(list, "AUTH=LOGIN"))
			snprintf(what + strlen(what), sizeof what - strlen(what),
			         "%sAUTH=PLAIN/LOGIN", what[0] ? " and " : "");
		if (what[0])
			g->auth_clear = xstrdup(what);
	}
}

/* Is this the tagged answer to the command of the current state? */
static int tagged(struct dlg *d, const char *line, const char **rest)
{
	const char *tag = imap_tags[dlg_state(d)];
	size_t n = strlen(tag);
	if (n == 0 || strncmp(line, tag, n) != 0 || line[n] != ' ')
		return 0;
	*rest = line + n + 1;
	return 1;
}

static enum dlg_step on_line(struct dlg *d, const char *line)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	const char *rest;

	if (dlg_state(d) == IM_GREETING) {
		str_set(&g->greeting, line);
		g->greeting_ms = dlg_ms(d);
		if (word_is(line, "* OK", NULL))
			return send_cmd(d, IM_CAPA, "CAPABILITY");
		if (word_is(line, "* PREAUTH", NULL)) {
			g->preauth = 1;
			return send_cmd(d, IM_LOGOUT, "LOGOUT");
		}
		return dlg_fail(d, word_is(line, "* BYE", NULL) ? ERR_BUSY : ERR_PROTOCOL,
		                "the server refused the session: %s", line);
	}
	if (word_is(line, "* CAPABILITY", NULL)) {
		if (dlg_state(d) == IM_CAPA || dlg_state(d) == IM_CAPA_TLS)
			store_caps(d, line + 12);
		return DLG_WAIT;
	}
	if (line[0] == '*')
		return DLG_WAIT; /* other untagged data */
	if (!tagged(d, line, &rest))
		return dlg_fail(d, ERR_PROTOCOL, "unexpected IMAP answer: %s", line);
	switch (dlg_state(d)) {
	case IM_CAPA:
		g->hello_code = word_is(rest, "OK", NULL) ? 1 : -1;
		g->starttls_sent = 1;
		return send_cmd(d, IM_STARTTLS, "STARTTLS");
	case IM_STARTTLS:
		dlg_starttls_answer(d, word_is(rest, "OK", NULL), 0, line);
		if (g->starttls_ok) {
			dlg_note_pending(d);
			return DLG_START_TLS;
		}
		return send_cmd(d, IM_LOGOUT, "LOGOUT");
	case IM_CAPA_TLS:
		g->caps_post_known = 1;
		return send_cmd(d, IM_LOGOUT, "LOGOUT");
	default:
		return DLG_DONE;
	}
}

static enum dlg_step imap_begin(struct dlg *d)
{
	dlg_set_state(d, IM_GREETING);
	return DLG_WAIT;
}

static enum dlg_step imap_input(struct dlg *d)
{
	return dlg_each_line(d, on_line);
}

static enum dlg_step imap_after_tls(struct dlg *d)
{
	return send_cmd(d, IM_CAPA_TLS, "CAPABILITY");
}

/* The STARTTLS attacks' commands carry tags of their own, so an answer
 * says which one it answers (RFC 9051 2.2.2). */
static void imap_answer(const char *line, struct dlg_ans *out)
{
	static const struct {
		const char *tag;
		enum dlg_tag which;
	} tags[] = {
	    {"mtlsi", DLG_TAG_INJECT}, {"mtlsp", DLG_TAG_PROBE}, {"mtlss", DLG_TAG_STARTTLS}};
	size_t n = strcspn(line, " ");
	memset(out, 0, sizeof *out);
	out->kind = DLG_ANS_PART;
	/* "* ..." untagged data, "+ ..." a continuation request */
	if (word_is(line, "* OK", NULL) || word_is(line, "* PREAUTH", NULL))
		out->status = 1;
	else if (word_is(line, "* BYE", NULL))
		out->status = -1;
	if (n == 0 || line[n] != ' ' || line[0] == '*' || line[0] == '+')
		return;
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (strlen(tags[i].tag) == n && strncasecmp(line, tags[i].tag, n) == 0)
			out->tag = tags[i].which;
	out->kind = word_is(line + n + 1, "OK", NULL) ? DLG_ANS_OK : DLG_ANS_ERR;
}

static const struct dlg_attack imap_attack = {
    .inject = "mtlsi NOOP",
    .probe = "mtlsp NOOP",
    .starttls = "mtlss STARTTLS",
    .answer = imap_answer,
};

/* RFC 9051 7.1: the greeting is an untagged OK or PREAUTH. */
static const char *const imap_greeting[] = {"* OK", "* PREAUTH", NULL};

const struct dlg_proto imap_proto = {
    .name = "imap",
    .state_names = imap_states,
    .begin = imap_begin,
    .on_input = imap_input,
    .after_tls = imap_after_tls,
    .bye_state = IM_LOGOUT,
    .ports = {143},
    .implicit_ports = {993},
    .greeting = imap_greeting,
    .attack = &imap_attack,
    .enable_tls = "Enable TLS with a certificate (Dovecot: ssl = yes or required, ssl_cert = "
                  "<file, ssl_key = <file).",
};
