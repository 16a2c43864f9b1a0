/* ldap_wire.c - LDAP's StartTLS messages through the checked cursor. */
#include "proto/ldap_wire.h"

#include <string.h>
#include "proto/ber.h"

int ldap_message_size(const uint8_t *p, size_t n, size_t *size)
{
	return ber_size(p, n, LDAP_MAX_MESSAGE, size);
}

/* What may follow the known components: whole elements, one of them
 * possibly responseName. */
static int ext_tail(struct rd *r, struct ldap_ext_response *out)
{
	while (!rd_failed(r) && rd_left(r) > 0) {
		uint8_t tag;
		struct rd v;
		ber_read(r, &tag, &v);
		if (tag == LDAP_TAG_RESPONSE_NAME && out->name == NULL && !rd_failed(&v)) {
			out->name_len = rd_left(&v);
			out->name = rd_ptr(&v, out->name_len);
		}
	}
	return rd_done(r);
}

enum ldap_ext_rc ldap_ext_response(const uint8_t *p, size_t n, struct ldap_ext_response *out)
{
	struct rd r, msg, op, v, dn, diag;
	uint8_t tag;
	int tail_ok;

	memset(out, 0, sizeof(*out));
	out->msgid = out->result = -1;
	rd_init(&r, p, n);
	/* LDAPMessage ::= SEQUENCE { messageID, protocolOp, controls [0] OPTIONAL } */
	ber_read(&r, &out->tag, &msg);
	if (out->tag != BER_SEQUENCE)
		return LDAP_EXT_NOT_MESSAGE;
	ber_read(&msg, &tag, &v);
	if (tag == BER_INTEGER)
		out->msgid = ber_uint(&v);
	ber_read(&msg, &out->op, &op);
	/* LDAPResult: resultCode, matchedDN, diagnosticMessage, referral [3] */
	ber_read(&op, &tag, &v);
	if (tag == BER_ENUMERATED)
		out->result = ber_uint(&v);
	ber_read(&op, &tag, &dn);
	ber_read(&op, &tag, &diag);
	if (!rd_done(&r) || rd_failed(&msg) || rd_failed(&op) ||
	    out->op != LDAP_OP_EXTENDED_RESPONSE || out->result < 0)
		return LDAP_EXT_NOT_RESPONSE;
	out->matched_dn_len = rd_left(&dn);
	out->matched_dn = rd_ptr(&dn, out->matched_dn_len);
	out->diag_len = rd_left(&diag);
	out->diag = rd_ptr(&diag, out->diag_len);
	tail_ok = ext_tail(&op, out);
	tail_ok &= ext_tail(&msg, out);
	out->tail_ok = tail_ok;
	return LDAP_EXT_OK;
}

/* LDAPMessage { messageID, the operation written by op() }. */
static int ldap_message(struct buf *out, uint32_t msgid, void (*op)(struct wr *w))
{
	struct wr w;
	size_t m;

	wr_init(&w, out);
	m = ber_open(&w, BER_SEQUENCE);
	ber_put_uint(&w, BER_INTEGER, msgid);
	op(&w);
	ber_close(&w, m);
	return wr_failed(&w) ? -1 : 0;
}

/* ExtendedRequest ::= [APPLICATION 23] SEQUENCE { requestName [0] LDAPOID } */
static void starttls_op(struct wr *w)
{
	size_t m = ber_open(w, LDAP_OP_EXTENDED_REQUEST);
	ber_put(w, LDAP_TAG_REQUEST_NAME, LDAP_STARTTLS_OID, strlen(LDAP_STARTTLS_OID));
	ber_close(w, m);
}

/* UnbindRequest ::= [APPLICATION 2] NULL */
static void unbind_op(struct wr *w)
{
	ber_put(w, LDAP_OP_UNBIND_REQUEST, NULL, 0);
}

int ldap_starttls_request(struct buf *out, uint32_t msgid)
{
	return ldap_message(out, msgid, starttls_op);
}

int ldap_unbind_request(struct buf *out, uint32_t msgid)
{
	return ldap_message(out, msgid, unbind_op);
}
