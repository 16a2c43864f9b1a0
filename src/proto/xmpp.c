/* xmpp.c - XMPP STARTTLS (RFC 6120 5): stream header, features with
 * <starttls/>, <starttls/>, <proceed/>, [TLS], a new stream and its
 * features, close. Only what STARTTLS needs is read from the XML: the
 * elements are found by name inside a bounded buffer, nothing is parsed
 * into a tree. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/mem.h"
#include "proto/dialog.h"
#include "proto/util.h"

enum xmpp_state { XM_FEATURES, XM_PROCEED, XM_FEATURES_TLS };
static const char *const xmpp_states[] = {"features", "proceed", "features-tls"};

#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"

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
static void store_features(struct dlg *d, const char *p, size_t n)
{
	struct dialogue *g = &dlg_ep(d)->dlg;
	const char *st = find_bytes(p, n, "<starttls");
	if (st && find_bytes(st, n - (size_t)(st - p), NS_TLS)) {
		const char *end = find_bytes(st, n - (size_t)(st - p), "</starttls>");
		const char *req = find_bytes(st, end ? (size_t)(end - st) : 0, "<required");
		dlg_add_cap(d, req ? "STARTTLS required" : "STARTTLS");
		if (!dlg_in_tls(d))
			g->starttls_advertised = 1;
	}
	const char *m = p;
	while ((m = find_bytes(m, n - (size_t)(m - p), "<mechanism>")) != NULL) {
		m += 11;
		const char *e = find_bytes(m, n - (size_t)(m - p), "</mechanism>");
		if (!e || e - m > 64)
			break;
		char cap[80];
		snprintf(cap, sizeof cap, "SASL %.*s", (int)(e - m), m);
		dlg_add_cap(d, cap);
		int clear = (e - m == 5 && (strncmp(m, "PLAIN", 5) == 0 || strncmp(m, "LOGIN", 5) == 0));
		if (dlg_in_tls(d))
			g->auth_tls = 1;
		else
			g->auth_pre = 1;
		if (!dlg_in_tls(d) && clear && !g->auth_clear)
			g->auth_clear = xstrdup(cap);
	}
}

/* Take the text up to and including `end` out of the input, into the
 * transcript. */
static void take(struct dlg *d, const char *end_of)
{
	struct buf *in = dlg_input_buf(d);
	size_t n = (size_t)(end_of - (const char *)in->data);
	dlg_note_recv(d, in->data, n, NULL);
	buf_consume(in, n);
}

static enum dlg_step xmpp_input(struct dlg *d)
{
	struct buf *in = dlg_input_buf(d);
	const char *p = (const char *)in->data;
	size_t n = in->len;
	struct dialogue *g = &dlg_ep(d)->dlg;
	const char *e;

	if (n == 0)
		return DLG_WAIT;
	if ((e = find_bytes(p, n, "<stream:error")) != NULL) {
		const char *end = find_bytes(e, n - (size_t)(e - p), "</stream:error>");
		if (!end)
			return DLG_WAIT;
		char text[256];
		snprintf(text, sizeof text, "%.*s", (int)(end + 15 - e > 200 ? 200 : end + 15 - e), e);
		take(d, end + 15);
		/* An error in answer to <starttls/> is its refusal, not a
		 * broken dialogue. */
		if (dlg_state(d) == XM_PROCEED) {
			dlg_starttls_answer(d, 0, 0, text);
			return DLG_DONE;
		}
		return dlg_fail(d, ERR_PROTOCOL, "the server sent a stream error: %s", text);
	}
	switch (dlg_state(d)) {
	case XM_FEATURES:
	case XM_FEATURES_TLS:
		e = find_bytes(p, n, "</stream:features>");
		if (!e) {
			const char *self = find_bytes(p, n, "<stream:features/>");
			e = self ? self + 18 : NULL;
		} else {
			e += 18;
		}
		if (!e)
			return DLG_WAIT;
		if (!g->greeting) {
			g->greeting_ms = dlg_ms(d);
			str_set(&g->greeting, "<stream:stream>");
		}
		store_features(d, p, (size_t)(e - p));
		take(d, e);
		if (dlg_state(d) == XM_FEATURES_TLS) {
			g->caps_post_known = 1;
			return dlg_send_raw(d, "</stream:stream>", 16, NULL) < 0 ? DLG_FAIL : DLG_DONE;
		}
		g->hello_code = 1;
		g->starttls_sent = 1;
		dlg_set_state(d, XM_PROCEED);
		{
			static const char st[] = "<starttls xmlns='" NS_TLS "'/>";
			return dlg_send_raw(d, st, sizeof st - 1, NULL) < 0 ? DLG_FAIL : DLG_WAIT;
		}
	case XM_PROCEED:
		if ((e = find_bytes(p, n, "<proceed")) != NULL) {
			const char *end = find_bytes(e, n - (size_t)(e - p), ">");
			if (!end)
				return DLG_WAIT;
			take(d, end + 1);
			dlg_starttls_answer(d, 1, 0, "<proceed/>");
			dlg_note_pending(d);
			return DLG_START_TLS;
		}
		if ((e = find_bytes(p, n, "<failure")) != NULL) {
			take(d, p + n);
			dlg_starttls_answer(d, 0, 0, "<failure/>");
			return DLG_DONE;
		}
		return DLG_WAIT;
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
