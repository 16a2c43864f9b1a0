/* ftp.c - FTP AUTH TLS (RFC 4217 4): greeting, FEAT (RFC 2389), AUTH TLS,
 * 234, [TLS], FEAT, QUIT. Replies are RFC 959 multi-line: lines between the
 * first and the last need not carry the code. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "proto/dialog.h"
#include "proto/util.h"

enum ftp_state { FT_GREETING, FT_FEAT, FT_AUTH, FT_FEAT_TLS, FT_QUIT };
static const char *const ftp_states[] = {"greeting", "feat", "auth-tls", "feat-tls", "quit"};

static void store_feat(struct dlg *d, const struct reply *r)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	/* 211-Features: / " AUTH TLS" / ... / 211 End */
	for (size_t i = 1; i + 1 < r->nlines; i++) {
		const char *f = r->lines[i];
		while (*f == ' ')
			f++;
		dlg_add_cap(d, f);
		if (!dlg_in_tls(d) && word_is(f, "AUTH", NULL) && has_token(f + 4, "TLS"))
			g->starttls_advertised = 1;
	}
}

static enum dlg_step on_reply(struct dlg *d, const struct reply *r)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	const char *first = r->nlines ? r->lines[0] : "";
	switch (dlg_state(d)) {
	case FT_GREETING:
		g->greeting_code = r->code;
		str_set(&g->greeting, first);
		g->greeting_ms = dlg_ms(d);
		if (r->code == 220)
			return dlg_command(d, "FEAT", FT_FEAT);
		return dlg_fail(d, r->code == 421 ? ERR_BUSY : ERR_PROTOCOL,
		                "the server refused the session: %d %s", r->code, first);
	case FT_FEAT:
		g->hello_code = r->code;
		if (r->code == 211)
			store_feat(d, r);
		g->starttls_sent = 1;
		return dlg_starttls_command(d, "AUTH TLS", FT_AUTH);
	case FT_AUTH:
		dlg_starttls_answer(d, r->code == 234, r->code, first);
		if (r->code == 234) {
			dlg_note_pending(d);
			return DLG_START_TLS;
		}
		return dlg_command(d, "QUIT", FT_QUIT);
	case FT_FEAT_TLS:
		if (r->code == 211)
			store_feat(d, r);
		g->caps_post_known = 1;
		return dlg_command(d, "QUIT", FT_QUIT);
	default:
		return DLG_DONE;
	}
}

static enum dlg_step ftp_begin(struct dlg *d)
{
	dlg_set_state(d, FT_GREETING);
	return DLG_WAIT;
}

static enum dlg_step ftp_input(struct dlg *d)
{
	return dlg_each_reply(d, on_reply);
}

static enum dlg_step ftp_after_tls(struct dlg *d)
{
	return dlg_command(d, "FEAT", FT_FEAT_TLS);
}

/* NOOP (RFC 959 4.1.3) needs no login; never a password. RFC 4217 4:
 * 234 is AUTH TLS's go-ahead. */
static const struct dlg_attack ftp_attack = {
    .inject = "NOOP",
    .probe = "NOOP",
    .starttls = "AUTH TLS",
    .go_code = 234,
    .answer = dlg_ans_coded,
};

/* RFC 959 5.4: 220 service ready, like SMTP; the text says FTP. */
static const char *const ftp_greeting[] = {"220", NULL};

const struct dlg_proto ftp_proto = {
    .name = "ftp",
    .state_names = ftp_states,
    .begin = ftp_begin,
    .on_input = ftp_input,
    .after_tls = ftp_after_tls,
    .rfc959 = 1,
    .bye_state = FT_QUIT,
    .ports = {21},
    .implicit_ports = {990},
    .greeting = ftp_greeting,
    .greeting_word = "FTP",
    .enable_tls = "Enable AUTH TLS (vsftpd: ssl_enable=YES with rsa_cert_file; ProFTPD: "
                  "TLSEngine on).",
    .attack = &ftp_attack,
};
