/* ldap.c - LDAP StartTLS (RFC 4511 4.14, RFC 4513 3): the StartTLS
 * ExtendedRequest, its ExtendedResponse read as BER (definite lengths,
 * long form included), [TLS], unbind. The bytes are proto/ldap_wire's. */
#include <stdio.h>
#include <string.h>
#include "proto/dialog.h"
#include "proto/ldap_wire.h"

enum ldap_state { LD_RESPONSE, LD_DONE };
static const char *const ldap_states[] = {"extended-response", "done"};

/* Our messages' ids: the StartTLS request, then the unbind inside TLS. */
#define LDAP_ID_STARTTLS 1
#define LDAP_ID_UNBIND 2
/* protocolError (RFC 4511 A.1): the server does not know the operation */
#define LDAP_PROTOCOL_ERROR 2
#define LDAP_DIAG_SHOWN 200

/* Build a message with fn and send it; DLG_WAIT or DLG_FAIL. */
static enum dlg_step ldap_send(struct dlg *d, int (*fn)(struct buf *, uint32_t), uint32_t id,
                               const char *what)
{
	struct buf b;
	enum dlg_step step = DLG_WAIT;

	buf_init(&b, 256);
	if (fn(&b, id) < 0)
		step = dlg_fail(d, ERR_INTERNAL, "the %s does not fit its buffer", what);
	else if (dlg_send_raw(d, b.data, b.len, what) < 0)
		step = DLG_FAIL;
	buf_free(&b);
	return step;
}

static enum dlg_step ldap_begin(struct dlg *d)
{
	dlg_set_state(d, LD_RESPONSE);
	dlg_ep(d)->dlg.starttls_sent = 1;
	dlg_ep(d)->dlg.greeting_ms = dlg_ms(d);
	return ldap_send(d, ldap_starttls_request, LDAP_ID_STARTTLS,
	                 "ExtendedRequest StartTLS (" LDAP_STARTTLS_OID ")");
}

static enum dlg_step ldap_input(struct dlg *d)
{
	struct buf *in = dlg_input_buf(d);
	struct dialogue *g = &dlg_ep(d)->dlg;
	struct ldap_ext_response er;
	size_t n;

	if (dlg_state(d) != LD_RESPONSE) {
		buf_reset(in);
		return DLG_WAIT;
	}
	int rc = ldap_message_size(in->data, in->len, &n);
	if (rc < 0)
		return dlg_fail(d, ERR_PROTOCOL, "the answer is not an LDAP message");
	if (rc == 0)
		return DLG_WAIT;
	switch (ldap_ext_response(in->data, n, &er)) {
	case LDAP_EXT_NOT_MESSAGE:
		return dlg_fail(d, ERR_PROTOCOL, "the answer is not an LDAP message (tag 0x%02X)",
		                er.tag);
	case LDAP_EXT_NOT_RESPONSE:
		return dlg_fail(d, ERR_PROTOCOL, "the LDAP answer is not an ExtendedResponse");
	case LDAP_EXT_OK:
		break;
	}

	char text[300];
	size_t dlen = er.diag_len;
	snprintf(text, sizeof text, "resultCode %ld%s%.*s%s", er.result, dlen ? " (" : "",
	         (int)(dlen > LDAP_DIAG_SHOWN ? LDAP_DIAG_SHOWN : dlen),
	         dlen ? (const char *)er.diag : "", dlen ? ")" : "");
	dlg_note_recv(d, NULL, 0, text);
	buf_consume(in, n);
	g->hello_code = 1;
	/* messageID 0 is an unsolicited notification (RFC 4511 4.4, e.g.
	 * disconnection); any other id is not our answer either. */
	if (er.msgid != LDAP_ID_STARTTLS)
		return dlg_fail(d, ERR_PROTOCOL, "the server sent a notice instead: %s", text);
	g->starttls_advertised = er.result != LDAP_PROTOCOL_ERROR;
	dlg_starttls_answer(d, er.result == 0, (int)er.result, text);
	if (er.result == 0) {
		dlg_note_pending(d);
		return DLG_START_TLS;
	}
	return DLG_DONE;
}

static enum dlg_step ldap_after_tls(struct dlg *d)
{
	dlg_set_state(d, LD_DONE);
	enum dlg_step step = ldap_send(d, ldap_unbind_request, LDAP_ID_UNBIND, "UnbindRequest");
	return step == DLG_WAIT ? DLG_DONE : step;
}

const struct dlg_proto ldap_proto = {
	.name = "ldap",
	.state_names = ldap_states,
	.begin = ldap_begin,
	.on_input = ldap_input,
	.after_tls = ldap_after_tls,
	.ports = {389},
	.implicit_ports = {636},
	.enable_tls = "Give slapd olcTLSCertificateFile and olcTLSCertificateKeyFile.",
};
