/* ldap.c - LDAP StartTLS (RFC 4511 4.14, RFC 4513 3): the StartTLS
 * ExtendedRequest, its ExtendedResponse read as BER (definite lengths,
 * long form included), [TLS], unbind. */
#include <stdio.h>
#include <string.h>
#include "core/rd.h"
#include "proto/dialog.h"

enum ldap_state { LD_RESPONSE, LD_DONE };
static const char *const ldap_states[] = {"extended-response", "done"};

#define LDAP_STARTTLS_OID "1.3.6.1.4.1.1466.20037"
#define LDAP_MAX_MESSAGE (64 * 1024)

/* One BER element: tag, then a definite length (short form, or long form
 * in 1..4 bytes), then a sub-reader over the value. */
static void ber(struct rd *r, uint8_t *tag, struct rd *val)
{
	uint8_t t, l0;
	uint32_t len = 0;
	rd_u8(r, &t);
	rd_u8(r, &l0);
	if (l0 & 0x80) {
		int nb = l0 & 0x7f;
		if (nb < 1 || nb > 4) {
			r->err = 1; /* indefinite or absurd: not what LDAP sends */
			nb = 0;
		}
		for (int i = 0; i < nb; i++) {
			uint8_t b;
			rd_u8(r, &b);
			len = (len << 8) | b;
		}
	} else {
		len = l0;
	}
	*tag = t;
	const uint8_t *p = rd_ptr(r, len);
	rd_init(val, p ? p : (const uint8_t *)"", p ? len : 0);
	if (!p)
		val->err = 1;
}

static long ber_int(struct rd *v)
{
	long x = 0;
	size_t n = rd_left(v);
	if (n == 0 || n > 4) {
		v->err = 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t b;
		rd_u8(v, &b);
		x = (x << 8) | b;
	}
	return x;
}

/* How many bytes the first complete BER element takes, 0 if incomplete. */
static size_t complete(const uint8_t *p, size_t n)
{
	if (n < 2)
		return 0;
	size_t hdr = 2, len = p[1];
	if (p[1] & 0x80) {
		size_t nb = p[1] & 0x7f;
		if (nb < 1 || nb > 4) /* Active Directory uses 4 */
			return (size_t)-1;
		if (n < 2 + nb)
			return 0;
		len = 0;
		for (size_t i = 0; i < nb; i++)
			len = (len << 8) | p[2 + i];
		hdr += nb;
	}
	if (len > LDAP_MAX_MESSAGE)
		return (size_t)-1;
	return n >= hdr + len ? hdr + len : 0;
}

static enum dlg_step ldap_begin(struct dlg *d)
{
	/* LDAPMessage { messageID 1, [APPLICATION 23] { [0] OID } } */
	static const uint8_t req[] = {0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16,
				      '1', '.', '3', '.', '6', '.', '1', '.', '4', '.', '1',
				      '.', '1', '4', '6', '6', '.', '2', '0', '0', '3', '7'};
	dlg_set_state(d, LD_RESPONSE);
	dlg_ep(d)->dlg.starttls_sent = 1;
	dlg_ep(d)->dlg.greeting_ms = dlg_ms(d);
	return dlg_send_raw(d, req, sizeof req, "ExtendedRequest StartTLS (" LDAP_STARTTLS_OID ")") < 0
		       ? DLG_FAIL
		       : DLG_WAIT;
}

static enum dlg_step ldap_input(struct dlg *d)
{
	struct buf *in = dlg_input_buf(d);
	struct dialogue *g = &dlg_ep(d)->dlg;
	if (dlg_state(d) != LD_RESPONSE) {
		buf_reset(in);
		return DLG_WAIT;
	}
	size_t n = complete(in->data, in->len);
	if (n == (size_t)-1)
		return dlg_fail(d, ERR_PROTOCOL, "the answer is not an LDAP message");
	if (n == 0)
		return DLG_WAIT;

	struct rd r, msg, op, v;
	uint8_t tag;
	rd_init(&r, in->data, n);
	ber(&r, &tag, &msg);
	if (tag != 0x30)
		return dlg_fail(d, ERR_PROTOCOL, "the answer is not an LDAP message (tag 0x%02X)",
				tag);
	ber(&msg, &tag, &v); /* messageID */
	long id = tag == 0x02 ? ber_int(&v) : -1;
	ber(&msg, &tag, &op);
	uint8_t optag = tag;
	ber(&op, &tag, &v); /* resultCode ENUMERATED */
	long result = tag == 0x0a ? ber_int(&v) : -1;
	struct rd dn, diag;
	ber(&op, &tag, &dn);
	ber(&op, &tag, &diag);
	if (rd_failed(&r) || rd_failed(&msg) || rd_failed(&op) || optag != 0x78 || result < 0)
		return dlg_fail(d, ERR_PROTOCOL, "the LDAP answer is not an ExtendedResponse");

	char text[300];
	size_t dlen = rd_left(&diag);
	snprintf(text, sizeof text, "resultCode %ld%s%.*s%s", result, dlen ? " (" : "",
		 (int)(dlen > 200 ? 200 : dlen), (const char *)rd_ptr(&diag, dlen), dlen ? ")" : "");
	dlg_note_recv(d, NULL, 0, text);
	buf_consume(in, n);
	g->hello_code = 1;
	/* messageID 0 is an unsolicited notification (e.g. disconnection) */
	if (id != 1)
		return dlg_fail(d, ERR_PROTOCOL, "the server sent a notice instead: %s", text);
	/* protocolError (2): the server does not know the operation */
	g->starttls_advertised = result != 2;
	dlg_starttls_answer(d, result == 0, (int)result, text);
	if (result == 0) {
		dlg_note_pending(d);
		return DLG_START_TLS;
	}
	return DLG_DONE;
}

static enum dlg_step ldap_after_tls(struct dlg *d)
{
	/* UnbindRequest, messageID 2 */
	static const uint8_t unbind[] = {0x30, 0x05, 0x02, 0x01, 0x02, 0x42, 0x00};
	dlg_set_state(d, LD_DONE);
	return dlg_send_raw(d, unbind, sizeof unbind, "UnbindRequest") < 0 ? DLG_FAIL : DLG_DONE;
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
