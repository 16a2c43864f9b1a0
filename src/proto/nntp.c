/* nntp.c - NNTP STARTTLS (RFC 4642, RFC 3977 5.2 CAPABILITIES): greeting,
 * CAPABILITIES (101 then lines ending in "."), STARTTLS, 382, [TLS],
 * CAPABILITIES, QUIT. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/mem.h"
#include "proto/dialog.h"
#include "proto/util.h"

enum nntp_state {
	NN_GREETING,
	NN_CAPA,
	NN_CAPA_LIST,
	NN_STARTTLS,
	NN_CAPA_TLS,
	NN_CAPA_TLS_LIST,
	NN_QUIT
};
static const char *const nntp_states[] = {"greeting", "capabilities",     "capabilities-list",
                                          "starttls", "capabilities-tls", "capabilities-tls-list",
                                          "quit"};

static enum dlg_step after_caps(struct dlg *d)
{
	if (dlg_in_tls(d)) {
		dlg_ep(d)->dlg.caps_post_known = 1;
		return dlg_command(d, "QUIT", NN_QUIT);
	}
	dlg_ep(d)->dlg.starttls_sent = 1;
	return dlg_starttls_command(d, "STARTTLS", NN_STARTTLS);
}

static void one_cap(struct dlg *d, const char *line)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	dlg_add_cap(d, line);
	int auth = word_is(line, "AUTHINFO", NULL);
	if (dlg_in_tls(d)) {
		g->auth_tls |= auth;
		return;
	}
	if (word_is(line, "STARTTLS", NULL))
		g->starttls_advertised = 1;
	g->auth_pre |= auth;
	if (auth && has_token(line + 8, "USER") && !g->auth_clear)
		g->auth_clear = xstrdup(line);
}

/* Lines of a multi-line block are text; the rest are "ddd text". */
static int code_of(const char *line)
{
	if (strlen(line) >= 3 && line[0] >= '1' && line[0] <= '5' && line[1] >= '0' &&
	    line[1] <= '9' && line[2] >= '0' && line[2] <= '9' && (line[3] == ' ' || !line[3]))
		return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	return -1;
}

static enum dlg_step on_line(struct dlg *d, const char *line)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	int code = code_of(line);

	switch (dlg_state(d)) {
	case NN_GREETING:
		g->greeting_code = code;
		str_set(&g->greeting, line);
		g->greeting_ms = dlg_ms(d);
		if (code == 200 || code == 201)
			return dlg_command(d, "CAPABILITIES", NN_CAPA);
		return dlg_fail(d, code == 400 ? ERR_BUSY : ERR_PROTOCOL,
		                "the server refused the session: %s", line);
	case NN_CAPA:
	case NN_CAPA_TLS:
		if (dlg_state(d) == NN_CAPA)
			g->hello_code = code;
		if (code != 101)
			return after_caps(d);
		dlg_set_state(d, dlg_state(d) == NN_CAPA ? NN_CAPA_LIST : NN_CAPA_TLS_LIST);
		return DLG_WAIT;
	case NN_CAPA_LIST:
	case NN_CAPA_TLS_LIST:
		if (strcmp(line, ".") == 0)
			return after_caps(d);
		one_cap(d, line[0] == '.' ? line + 1 : line);
		return DLG_WAIT;
	case NN_STARTTLS:
		dlg_starttls_answer(d, code == 382, code, line);
		if (code == 382) {
			dlg_note_pending(d);
			return DLG_START_TLS;
		}
		return dlg_command(d, "QUIT", NN_QUIT);
	default:
		return DLG_DONE;
	}
}

static enum dlg_step nntp_begin(struct dlg *d)
{
	dlg_set_state(d, NN_GREETING);
	return DLG_WAIT;
}

static enum dlg_step nntp_input(struct dlg *d)
{
	return dlg_each_line(d, on_line);
}

static enum dlg_step nntp_after_tls(struct dlg *d)
{
	return dlg_command(d, "CAPABILITIES", NN_CAPA_TLS);
}

/* DATE (RFC 3977 7.1) is harmless in every state; RFC 4642 2.2.1: 382 is
 * STARTTLS's go-ahead. */
static const struct dlg_attack nntp_attack = {
    .inject = "DATE",
    .probe = "DATE",
    .starttls = "STARTTLS",
    .go_code = 382,
    .answer = dlg_ans_coded,
};

/* RFC 3977 5.1.1: 200 posting allowed, 201 prohibited. */
static const char *const nntp_greeting[] = {"200", "201", NULL};

const struct dlg_proto nntp_proto = {
    .name = "nntp",
    .state_names = nntp_states,
    .begin = nntp_begin,
    .on_input = nntp_input,
    .after_tls = nntp_after_tls,
    .bye_state = NN_QUIT,
    .ports = {119},
    .implicit_ports = {563},
    .greeting = nntp_greeting,
    .attack = &nntp_attack,
};
