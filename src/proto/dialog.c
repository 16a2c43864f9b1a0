/* dialog.c - the shared STARTTLS engine: framing, transcript, errors. */
#include "proto/dialog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/log.h"
#include "core/mem.h"

/* Caps on what a server may send us in one reply (STYLE.md rule 5).
 * RFC 5321 4.5.3.1.5 allows 512 octets per reply line; real servers send
 * longer banners, so we allow 4 KiB and stop at 1000 lines / 64 KiB. */
static const struct reply_limits dlg_limits = {4096, 1000, 64 * 1024, 0};
static const struct reply_limits dlg_limits_959 = {4096, 1000, 64 * 1024, 1};
#define DLG_MAX_LINE 4096

struct dlg {
	const struct dlg_proto *proto;
	struct dlg_cfg cfg;
	struct conn *c;
	struct endpoint *ep;
	int state;
	int in_tls;
	int done;
	struct reply r;
	struct buf line; /* copy of the last line given out */
	/* Lines and bytes given out since our last command (or the
	 * handshake): one answer's worth, capped like a coded reply, so a
	 * server that sends untagged lines or a capability list forever is
	 * stopped, not recorded line after line. */
	size_t answer_lines, answer_bytes;
	struct err err;
};

extern const struct dlg_proto smtp_proto, lmtp_proto, imap_proto, pop3_proto, sieve_proto,
    ftp_proto, nntp_proto, xmpp_proto, xmpp_server_proto, ldap_proto, postgres_proto, mysql_proto;

static const struct dlg_proto *const protos[] = {
    &smtp_proto, &lmtp_proto, &imap_proto,        &pop3_proto, &sieve_proto,    &ftp_proto,
    &nntp_proto, &xmpp_proto, &xmpp_server_proto, &ldap_proto, &postgres_proto, &mysql_proto,
};

const struct dlg_proto *dlg_proto_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(protos); i++)
		if (strcmp(protos[i]->name, name) == 0)
			return protos[i];
	return NULL;
}

const char *const *dlg_proto_names(void)
{
	static const char *names[ARRAY_LEN(protos) + 1];
	for (size_t i = 0; i < ARRAY_LEN(protos); i++)
		names[i] = protos[i]->name;
	return names;
}

const struct dlg_proto *dlg_proto_by_port(uint16_t port, int *implicit)
{
	for (int imp = 0; imp <= 1; imp++)
		for (size_t i = 0; i < ARRAY_LEN(protos); i++) {
			const uint16_t *v = imp ? protos[i]->implicit_ports : protos[i]->ports;
			for (size_t j = 0; j < DLG_MAX_PORTS && v[j]; j++)
				if (v[j] == port) {
					*implicit = imp;
					return protos[i];
				}
		}
	return NULL;
}

static int greeting_fits(const struct dlg_proto *p, const char *g)
{
	for (const char *const *pre = p->greeting; pre && *pre; pre++)
		if (strncmp(g, *pre, strlen(*pre)) == 0)
			return 1;
	return 0;
}

const struct dlg_proto *dlg_proto_by_greeting(const char *g, uint16_t port)
{
	int implicit = 0;
	const struct dlg_proto *by_port = dlg_proto_by_port(port, &implicit);
	if (implicit)
		by_port = NULL;
	if (by_port && greeting_fits(by_port, g))
		return by_port;
	for (size_t i = 0; i < ARRAY_LEN(protos); i++)
		if (protos[i]->greeting_word && greeting_fits(protos[i], g) &&
		    strcasestr(g, protos[i]->greeting_word))
			return protos[i];
	for (size_t i = 0; i < ARRAY_LEN(protos); i++)
		if (!protos[i]->greeting_word && greeting_fits(protos[i], g))
			return protos[i];
	return by_port;
}

struct dlg *dlg_new(const struct dlg_proto *p, const struct dlg_cfg *cfg, struct conn *c,
                    struct endpoint *ep)
{
	struct dlg *d = xcalloc(1, sizeof(*d));
	d->proto = p;
	d->cfg = *cfg;
	d->c = c;
	d->ep = ep;
	buf_init(&d->line, DLG_MAX_LINE);
	err_clear(&d->err);
	ep->dlg.ran = 1;
	return d;
}

void dlg_free(struct dlg *d)
{
	if (!d)
		return;
	reply_free(&d->r);
	buf_free(&d->line);
	free(d);
}

static enum dlg_step track(struct dlg *d, enum dlg_step s)
{
	if (s == DLG_DONE)
		d->done = 1;
	return s;
}

enum dlg_step dlg_begin(struct dlg *d)
{
	return track(d, d->proto->begin(d));
}

enum dlg_step dlg_input(struct dlg *d)
{
	return track(d, d->proto->on_input(d));
}

enum dlg_step dlg_after_tls(struct dlg *d)
{
	d->in_tls = 1;
	reply_reset(&d->r);
	d->answer_lines = d->answer_bytes = 0;
	return track(d, d->proto->after_tls ? d->proto->after_tls(d) : DLG_DONE);
}

const struct err *dlg_error(const struct dlg *d)
{
	return &d->err;
}

int dlg_in_tls(const struct dlg *d)
{
	return d->in_tls;
}

int dlg_said_bye(const struct dlg *d)
{
	return d->proto->bye_state != 0 && d->state == d->proto->bye_state;
}

void dlg_eof(struct dlg *d)
{
	if (!d->done && !dlg_said_bye(d) && d->err.cat == ERR_NONE)
		err_set(&d->err, ERR_IO, "the server closed the connection %s(%s state %s)",
		        d->in_tls ? "inside TLS " : "", d->proto->name,
		        d->proto->state_names[d->state]);
}

static void on_line(void *arg, const char *text, size_t len)
{
	struct dlg *d = arg;
	ep_add_tline(d->ep, conn_elapsed_ms(d->c), 'S', text, len);
}

int dlg_reply(struct dlg *d, const struct reply **r)
{
	switch (reply_feed(&d->r, conn_input(d->c),
	                   d->proto->rfc959 ? &dlg_limits_959 : &dlg_limits, on_line, d)) {
	case REPLY_NEED_MORE:
		return 0;
	case REPLY_DONE:
		*r = &d->r;
		return 1;
	case REPLY_ERR_LIMIT:
		err_set(&d->err, ERR_LIMIT,
		        "%s reply over the limits (%zu bytes a line, %zu lines, %zu bytes)",
		        d->proto->name, dlg_limits.max_line, dlg_limits.max_lines,
		        dlg_limits.max_bytes);
		return -1;
	case REPLY_ERR_SYNTAX:
		break;
	}
	err_set(&d->err, ERR_PROTOCOL,
	        "the server's answer is not a %s reply (no 3-digit code, or the code changed "
	        "inside a multi-line reply)",
	        d->proto->name);
	return -1;
}

int dlg_line(struct dlg *d, const char **text, size_t *len)
{
	struct buf *in = conn_input(d->c);
	struct line l;
	switch (line_peek(in, DLG_MAX_LINE, &l)) {
	case LINE_NEED_MORE:
		return 0;
	case LINE_TOO_LONG:
		err_set(&d->err, ERR_LIMIT, "%s line longer than %d bytes", d->proto->name,
		        DLG_MAX_LINE);
		return -1;
	case LINE_OK:
		break;
	}
	if (++d->answer_lines > dlg_limits.max_lines ||
	    (d->answer_bytes += l.len) > dlg_limits.max_bytes) {
		err_set(&d->err, ERR_LIMIT, "%s answer over the limits (%zu lines, %zu bytes)",
		        d->proto->name, dlg_limits.max_lines, dlg_limits.max_bytes);
		return -1;
	}
	on_line(d, l.text, l.len);
	buf_reset(&d->line);
	if (buf_append(&d->line, l.text, l.len) < 0) {
		err_set(&d->err, ERR_LIMIT, "line too long");
		return -1;
	}
	buf_consume(in, l.wire_len);
	*text = buf_cstr(&d->line);
	*len = d->line.len;
	return 1;
}

int dlg_send(struct dlg *d, const char *line)
{
	size_t n = strlen(line);
	d->answer_lines = d->answer_bytes = 0;
	ep_add_tline(d->ep, conn_elapsed_ms(d->c), 'C', line, n);
	if (conn_write(d->c, line, n) < 0 || conn_write(d->c, "\r\n", 2) < 0) {
		err_set(&d->err, ERR_IO, "cannot send: %s", conn_error(d->c)->msg);
		return -1;
	}
	return 0;
}

int dlg_send_raw(struct dlg *d, const void *p, size_t n, const char *what)
{
	d->answer_lines = d->answer_bytes = 0;
	if (what)
		ep_add_tline(d->ep, conn_elapsed_ms(d->c), 'C', what, strlen(what));
	else
		ep_add_tline(d->ep, conn_elapsed_ms(d->c), 'C', p, n);
	if (conn_write(d->c, p, n) < 0) {
		err_set(&d->err, ERR_IO, "cannot send: %s", conn_error(d->c)->msg);
		return -1;
	}
	return 0;
}

struct buf *dlg_input_buf(struct dlg *d)
{
	return conn_input(d->c);
}

void dlg_note_recv(struct dlg *d, const void *p, size_t n, const char *what)
{
	if (what || !p)
		ep_add_tline(d->ep, conn_elapsed_ms(d->c), 'S', what ? what : "",
		             what ? strlen(what) : 0);
	else
		ep_add_tline(d->ep, conn_elapsed_ms(d->c), 'S', p, n);
}

void dlg_add_cap(struct dlg *d, const char *text)
{
	struct dialogue *g = &d->ep->dlg;
	if (d->in_tls) {
		dlg_add_cap_to(&g->caps_post, &g->ncaps_post, &g->capcaps_post, text);
		g->caps_post_known = 1;
	} else {
		dlg_add_cap_to(&g->caps_pre, &g->ncaps_pre, &g->capcaps_pre, text);
	}
}

void dlg_starttls_answer(struct dlg *d, int ok, int code, const char *text)
{
	struct dialogue *g = &d->ep->dlg;
	g->starttls_ok = ok;
	g->starttls_code = code;
	str_set(&g->starttls_reply, text);
}

enum dlg_step dlg_command(struct dlg *d, const char *line, int next_state)
{
	if (dlg_send(d, line) < 0)
		return DLG_FAIL;
	dlg_set_state(d, next_state);
	return DLG_WAIT;
}

enum dlg_step dlg_starttls_command(struct dlg *d, const char *line, int next_state)
{
	const struct dlg_attack *a = d->proto->attack;
	if (dlg_send(d, line) < 0)
		return DLG_FAIL;
	/* Both lines wait in the connection's output queue until the loop
	 * runs: they leave in one send(). */
	if (d->cfg.inject && a && a->inject && dlg_send(d, a->inject) < 0)
		return DLG_FAIL;
	dlg_set_state(d, next_state);
	return DLG_WAIT;
}

enum dlg_step dlg_each_line(struct dlg *d, dlg_line_fn *fn)
{
	for (;;) {
		const char *line;
		size_t len;
		int got = dlg_line(d, &line, &len);
		if (got <= 0)
			return got == 0 ? DLG_WAIT : DLG_FAIL;
		enum dlg_step s = fn(d, line);
		if (s != DLG_WAIT)
			return s;
	}
}

enum dlg_step dlg_each_reply(struct dlg *d, dlg_reply_fn *fn)
{
	for (;;) {
		const struct reply *r;
		int got = dlg_reply(d, &r);
		if (got <= 0)
			return got == 0 ? DLG_WAIT : DLG_FAIL;
		enum dlg_step s = fn(d, r);
		if (s != DLG_WAIT)
			return s;
	}
}

void dlg_ans_coded(const char *line, struct dlg_ans *out)
{
	memset(out, 0, sizeof *out);
	out->kind = DLG_ANS_PART;
	if (line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
	    line[2] > '9' || (line[3] != ' ' && line[3] != '\0'))
		return;
	out->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	out->kind = out->code < 400 ? DLG_ANS_OK : DLG_ANS_ERR;
}

enum dlg_step dlg_fail(struct dlg *d, enum err_cat cat, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	d->err.cat = cat;
	vsnprintf(d->err.msg, sizeof d->err.msg, fmt, ap);
	va_end(ap);
	return DLG_FAIL;
}

void dlg_note_pending(struct dlg *d)
{
	struct buf *in = conn_input(d->c);
	/* RFC 3207 5: nothing may follow the 220 before the handshake. What
	 * did is shown, and never reaches TLS: it is taken out of the kernel
	 * here and conn_start_io() drops the buffer. */
	(void)conn_read_now(d->c);
	if (in->len == 0)
		return;
	ep_add_tline(d->ep, conn_elapsed_ms(d->c), 'S', in->data, in->len);
	d->ep->dlg.pipelined_bytes += in->len;
	buf_reset(in);
}

int dlg_state(const struct dlg *d)
{
	return d->state;
}

void dlg_set_state(struct dlg *d, int state)
{
	log_debug("%s: state %s -> %s", d->proto->name, d->proto->state_names[d->state],
	          d->proto->state_names[state]);
	d->state = state;
}

struct endpoint *dlg_ep(struct dlg *d)
{
	return d->ep;
}

const struct dlg_proto *dlg_proto(const struct dlg *d)
{
	return d->proto;
}

const struct dlg_cfg *dlg_cfg(const struct dlg *d)
{
	return &d->cfg;
}

double dlg_ms(const struct dlg *d)
{
	return conn_elapsed_ms(d->c);
}
