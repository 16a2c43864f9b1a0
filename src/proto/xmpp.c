/* xmpp.c - XMPP STARTTLS (RFC 6120 5): stream header, features with
 * <starttls/>, <starttls/>, <proceed/>, [TLS], a new stream and its
 * features, close. Only what STARTTLS needs is read from the XML, by
 * proto/xmpp_wire: the elements are found by name inside a bounded
 * buffer, nothing is parsed into a tree. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/mem.h"
#include "proto/dialog.h"
#include "proto/xmpp_wire.h"

enum xmpp_state { XM_FEATURES, XM_PROCEED, XM_FEATURES_TLS };
static const char *const xmpp_states[] = {"features", "proceed", "features-tls"};

static enum dlg_step send_header(struct dlg *d)
{
	char hdr[512];
	const char *domain = dlg_cfg(d)->xmpp_domain ? dlg_cfg(d)->xmpp_domain : dlg_ep(d)->host;
	int server = strcmp(dlg_proto(d)->name, "xmpp-server") == 0;
	snprintf(hdr, sizeof hdr,
		 "<?xml version='1.0'?><stream:stream xmlns='jabber:%s' "
		 "xmlns:stream='http://etherx.jabber.org/streams'%s to='%s' version='1.0'>",
		 server ? "server" : "client", server ? " xmlns:db='jabber:server:dialback'" : "",
		 domain);
	return dlg_send_raw(d, hdr, strlen(hdr), NULL) < 0 ? DLG_FAIL : DLG_WAIT;
}

/* <mechanism>PLAIN</mechanism> ... as "SASL PLAIN" capabilities. */
static void store_features(struct dlg *d, const char *p, const struct xmpp_features *f)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	const char *m;
	size_t pos = 0, len;

	if (f->starttls) {
		dlg_add_cap(d, f->required ? "STARTTLS required" : "STARTTLS");
		if (!dlg_in_tls(d))
			g->starttls_advertised = 1;
	}
	while (xmpp_next_mechanism(p, f->len, &pos, &m, &len)) {
		char cap[80];
		snprintf(cap, sizeof cap, "SASL %.*s", (int)len, m);
		dlg_add_cap(d, cap);
		int clear = (len == 5 && (strncmp(m, "PLAIN", 5) == 0 || strncmp(m, "LOGIN", 5) == 0));
		if (dlg_in_tls(d))
			g->auth_tls = 1;
		else
			g->auth_pre = 1;
		if (!dlg_in_tls(d) && clear && !g->auth_clear)
			g->auth_clear = xstrdup(cap);
	}
}

/* Take the first n bytes out of the input, into the transcript. */
static void take(struct dlg *d, size_t n)
{
	struct buf *in = dlg_input_buf(d);
	dlg_note_recv(d, in->data, n, NULL);
	buf_consume(in, n);
}

static enum dlg_step xmpp_input(struct dlg *d)
{
	struct buf *in = dlg_input_buf(d);
	const char *p = (const char *)in->data;
	size_t n = in->len, used;
	struct dialogue *g = &dlg_ep(d)->dlg;
	struct xmpp_span err;
	struct xmpp_features f;

	if (n == 0)
		return DLG_WAIT;
	switch (xmpp_stream_error(p, n, &err)) {
	case XMPP_NONE:
		break;
	case XMPP_PARTIAL:
		return DLG_WAIT;
	case XMPP_WHOLE: {
		char text[256];
		snprintf(text, sizeof text, "%.*s", (int)(err.len > 200 ? 200 : err.len), err.text);
		take(d, err.consumed);
		/* An error in answer to <starttls/> is its refusal, not a
		 * broken dialogue. */
		if (dlg_state(d) == XM_PROCEED) {
			dlg_starttls_answer(d, 0, 0, text);
			return DLG_DONE;
		}
		return dlg_fail(d, ERR_PROTOCOL, "the server sent a stream error: %s", text);
	}
	}
	switch (dlg_state(d)) {
	case XM_FEATURES:
	case XM_FEATURES_TLS:
		if (!xmpp_features(p, n, &f))
			return DLG_WAIT;
		if (!g->greeting) {
			g->greeting_ms = dlg_ms(d);
			str_set(&g->greeting, "<stream:stream>");
		}
		store_features(d, p, &f);
		take(d, f.len);
		if (dlg_state(d) == XM_FEATURES_TLS) {
			static const char end[] = "</stream:stream>";
			g->caps_post_known = 1;
			return dlg_send_raw(d, end, sizeof end - 1, NULL) < 0 ? DLG_FAIL : DLG_DONE;
		}
		g->hello_code = 1;
		g->starttls_sent = 1;
		dlg_set_state(d, XM_PROCEED);
		{
			static const char st[] = "<starttls xmlns='" XMPP_NS_TLS "'/>";
			return dlg_send_raw(d, st, sizeof st - 1, NULL) < 0 ? DLG_FAIL : DLG_WAIT;
		}
	case XM_PROCEED:
		switch (xmpp_starttls_answer(p, n, &used)) {
		case XMPP_ANSWER_PROCEED:
			take(d, used);
			dlg_starttls_answer(d, 1, 0, "<proceed/>");
			dlg_note_pending(d);
			return DLG_START_TLS;
		case XMPP_ANSWER_FAILURE:
			take(d, used);
			dlg_starttls_answer(d, 0, 0, "<failure/>");
			return DLG_DONE;
		case XMPP_ANSWER_PARTIAL:
		case XMPP_ANSWER_NONE:
			return DLG_WAIT;
		}
	}
	return DLG_WAIT;
}

static enum dlg_step xmpp_begin(struct dlg *d)
{
	dlg_set_state(d, XM_FEATURES);
	return send_header(d);
}

/* RFC 6120 5.4.3.3: after TLS the client opens a new stream. */
static enum dlg_step xmpp_after_tls(struct dlg *d)
{
	dlg_set_state(d, XM_FEATURES_TLS);
	return send_header(d);
}

const struct dlg_proto xmpp_proto = {
	.name = "xmpp",
	.state_names = xmpp_states,
	.begin = xmpp_begin,
	.on_input = xmpp_input,
	.after_tls = xmpp_after_tls,
	.ports = {5222},
	.implicit_ports = {5223},
	.enable_tls = "Load mod_tls with a certificate (Prosody: ssl = { certificate, key }).",
};
const struct dlg_proto xmpp_server_proto = {
	.name = "xmpp-server",
	.state_names = xmpp_states,
	.begin = xmpp_begin,
	.on_input = xmpp_input,
	.after_tls = xmpp_after_tls,
	.ports = {5269},
	.enable_tls = "Load mod_tls with a certificate (Prosody: ssl = { certificate, key }).",
};
