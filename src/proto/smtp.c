/* smtp.c - SMTP (RFC 5321, STARTTLS RFC 3207) and LMTP (RFC 2033).
 * Greeting, EHLO/LHLO, STARTTLS, 220, [TLS], EHLO again, QUIT. STARTTLS is
 * sent even when it is not advertised: a server that accepts it anyway has
 * had the capability stripped on the way (a middlebox or an attacker). */
#include <ctype.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "proto/dialog.h"

enum smtp_state { SM_GREETING, SM_EHLO, SM_HELO, SM_STARTTLS, SM_EHLO_TLS, SM_QUIT };
static const char *const smtp_states[] = {"greeting", "ehlo",     "helo",
                                          "starttls", "ehlo-tls", "quit"};

struct smtp_flavour {
	const char *hello; /* EHLO or LHLO */
	int helo_fallback; /* LMTP has no HELO */
};

static const struct smtp_flavour smtp_f = {"EHLO", 1}, lmtp_f = {"LHLO", 0};

static const struct smtp_flavour *flavour(struct dlg *d)
{
	return dlg_proto(d)->priv;
}

static enum dlg_step send_hello(struct dlg *d, const char *verb, int next)
{
	char line[300];
	snprintf(line, sizeof line, "%s %s", verb, dlg_cfg(d)->ehlo_name);
	return dlg_command(d, line, next);
}

/* The keyword of a capability line: its first word. */
static int keyword_is(const char *line, const char *kw)
{
	size_t n = strlen(kw);
	return strncasecmp(line, kw, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

/* Cisco's "fixup smtp" and similar boxes overwrite STARTTLS with X's of the
 * same length ("XXXXXXXA"): eight characters, mostly X. */
static int looks_masked(const char *line)
{
	size_t n = strcspn(line, " "), x = 0;
	if (n != 8)
		return 0;
	for (size_t i = 0; i < n; i++)
		x += line[i] == 'X';
	return x >= 6;
}

/* Does an AUTH capability list a mechanism that sends the password
 * itself (PLAIN, LOGIN)? */
static int has_cleartext_mech(const char *auth)
{
	const char *p = auth + 4;
	while (*p) {
		while (*p == ' ' || *p == '=')
			p++;
		size_t n = strcspn(p, " ");
		if ((n == 5 && strncasecmp(p, "PLAIN", 5) == 0) ||
		    (n == 5 && strncasecmp(p, "LOGIN", 5) == 0))
			return 1;
		p += n;
	}
	return 0;
}

static void store_caps(struct dlg *d, const struct reply *r, int post)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	/* Line 0 is the server's name and greeting, not a capability. */
	for (size_t i = 1; i < r->nlines; i++) {
		const char *l = r->lines[i];
		int auth = keyword_is(l, "AUTH");
		if (post) {
			dlg_add_cap_to(&g->caps_post, &g->ncaps_post, &g->capcaps_post, l);
			g->auth_tls |= auth;
			continue;
		}
		dlg_add_cap_to(&g->caps_pre, &g->ncaps_pre, &g->capcaps_pre, l);
		g->auth_pre |= auth;
		if (auth && has_cleartext_mech(l) && !g->auth_clear)
			g->auth_clear = xstrdup(l);
		if (keyword_is(l, "STARTTLS"))
			g->starttls_advertised = 1;
		else if (looks_masked(l) && !g->starttls_masked)
			g->starttls_masked = xstrndup(l, strcspn(l, " "));
	}
	if (post)
		g->caps_post_known = 1;
}

static enum dlg_step on_greeting(struct dlg *d, const struct reply *r)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	g->greeting_code = r->code;
	str_set(&g->greeting, r->nlines ? r->lines[0] : "");
	g->greeting_ms = dlg_ms(d);
	if (r->code == 220)
		return send_hello(d, flavour(d)->hello, SM_EHLO);
	if (r->code == 421)
		return dlg_fail(d, ERR_BUSY, "the server is busy or limits connections: %d %s",
		                r->code, g->greeting);
	if (r->code == 554)
		return dlg_fail(d, ERR_PROTOCOL, "the server refused the session: %d %s", r->code,
		                g->greeting);
	return dlg_fail(d, ERR_PROTOCOL, "unexpected greeting %d %s", r->code, g->greeting);
}

static enum dlg_step on_hello(struct dlg *d, const struct reply *r)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	g->hello_code = r->code;
	if (r->code == 250) {
		if (dlg_state(d) == SM_EHLO)
			store_caps(d, r, 0);
		g->starttls_sent = 1;
		return dlg_starttls_command(d, "STARTTLS", SM_STARTTLS);
	}
	if (r->code == 421)
		return dlg_fail(d, ERR_BUSY, "the server closed the session: %d %s", r->code,
		                r->nlines ? r->lines[0] : "");
	if (dlg_state(d) == SM_EHLO && flavour(d)->helo_fallback)
		return send_hello(d, "HELO", SM_HELO);
	return dlg_fail(d, ERR_PROTOCOL, "%s refused: %d %s",
	                dlg_state(d) == SM_EHLO ? flavour(d)->hello : "HELO", r->code,
	                r->nlines ? r->lines[0] : "");
}

static enum dlg_step on_starttls(struct dlg *d, const struct reply *r)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	/* RFC 5321 3.8: a 421 ends the session ("not now"); it is not an
	 * answer to STARTTLS, so no refusal: retry later, like a greeting. */
	if (r->code == 421)
		return dlg_fail(d, ERR_BUSY, "the server closed the session: %d %s", r->code,
		                r->nlines ? r->lines[0] : "");
	g->starttls_code = r->code;
	str_set(&g->starttls_reply, r->nlines ? r->lines[0] : "");
	if (r->code == 220) {
		g->starttls_ok = 1;
		dlg_note_pending(d);
		return DLG_START_TLS;
	}
	/* Refused or not offered: the checks say which; leave politely. */
	return dlg_command(d, "QUIT", SM_QUIT);
}

static enum dlg_step smtp_begin(struct dlg *d)
{
	dlg_set_state(d, SM_GREETING);
	return DLG_WAIT;
}

static enum dlg_step smtp_after_tls(struct dlg *d)
{
	return send_hello(d, flavour(d)->hello, SM_EHLO_TLS);
}

static enum dlg_step on_reply(struct dlg *d, const struct reply *r)
{
	switch (dlg_state(d)) {
	case SM_GREETING:
		return on_greeting(d, r);
	case SM_EHLO:
	case SM_HELO:
		return on_hello(d, r);
	case SM_STARTTLS:
		return on_starttls(d, r);
	case SM_EHLO_TLS:
		if (r->code == 250)
			store_caps(d, r, 1);
		return dlg_command(d, "QUIT", SM_QUIT);
	default: /* SM_QUIT: any answer ends it */
		return DLG_DONE;
	}
}

static enum dlg_step smtp_input(struct dlg *d)
{
	return dlg_each_reply(d, on_reply);
}

/* The STARTTLS attacks: NOOP (RFC 5321 4.1.1.9) is harmless in every
 * state; RFC 3207 4.2: EHLO again inside TLS before anything else. */
static const struct dlg_attack smtp_attack = {
    .inject = "NOOP",
    .probe = "NOOP",
    .starttls = "STARTTLS",
    .hello = "EHLO",
    .go_code = 220,
    .answer = dlg_ans_coded,
};
static const struct dlg_attack lmtp_attack = {
    .inject = "NOOP",
    .probe = "NOOP",
    .starttls = "STARTTLS",
    .hello = "LHLO",
    .go_code = 220,
    .answer = dlg_ans_coded,
};

/* RFC 5321 4.2: 220 service ready (LMTP, RFC 2033, greets the same way). */
static const char *const smtp_greeting[] = {"220", NULL};

const struct dlg_proto smtp_proto = {
    .name = "smtp",
    .state_names = smtp_states,
    .begin = smtp_begin,
    .on_input = smtp_input,
    .after_tls = smtp_after_tls,
    .priv = &smtp_f,
    .bye_state = SM_QUIT,
    .ports = {25, 587, 2525},
    .implicit_ports = {465},
    .greeting = smtp_greeting,
    .enable_tls = "Enable STARTTLS with a certificate (Postfix: smtpd_tls_cert_file, "
                  "smtpd_tls_key_file, smtpd_tls_security_level = may; Exim: tls_certificate, "
                  "tls_privatekey, tls_advertise_hosts = *).",
    .attack = &smtp_attack,
};
const struct dlg_proto lmtp_proto = {
    .name = "lmtp",
    .state_names = smtp_states,
    .begin = smtp_begin,
    .on_input = smtp_input,
    .after_tls = smtp_after_tls,
    .priv = &lmtp_f,
    .bye_state = SM_QUIT,
    .ports = {24},
    .greeting = smtp_greeting,
    .greeting_word = "LMTP",
    .enable_tls = "Enable TLS with a certificate (Dovecot: ssl = yes or required, ssl_cert = "
                  "<file, ssl_key = <file).",
    .attack = &lmtp_attack,
};
