/* ldap_wire.h - the LDAP messages of StartTLS (RFC 4511 4.14, 4.12, 4.3),
 * without sockets: the ExtendedRequest and UnbindRequest written, the
 * ExtendedResponse read (BER as in proto/ber.h). */
#ifndef MAILTLS_LDAP_WIRE_H
#define MAILTLS_LDAP_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/compiler.h"

#define LDAP_STARTTLS_OID "1.3.6.1.4.1.1466.20037"
/* The largest LDAPMessage content read: a StartTLS answer is small. */
#define LDAP_MAX_MESSAGE (64 * 1024)

/* protocolOp tags (RFC 4511 4.2-4.14: [APPLICATION n]) */
#define LDAP_OP_UNBIND_REQUEST 0x42   /* [APPLICATION 2] NULL */
#define LDAP_OP_EXTENDED_REQUEST 0x77 /* [APPLICATION 23] SEQUENCE */
#define LDAP_OP_EXTENDED_RESPONSE 0x78
#define LDAP_TAG_REQUEST_NAME 0x80  /* requestName [0] LDAPOID */
#define LDAP_TAG_RESPONSE_NAME 0x8a /* responseName [10] LDAPOID */

/* The size of the first LDAPMessage in the n bytes at p: 1 and *size when
 * it is all there, 0 when more bytes are needed, -1 when it cannot be one
 * (a length form LDAP does not use, or content over LDAP_MAX_MESSAGE). */
int ldap_message_size(const uint8_t *p, size_t n, size_t *size) WUR;

struct ldap_ext_response {
	uint8_t tag; /* the element's: BER_SEQUENCE for an LDAPMessage */
	long msgid;  /* messageID, -1 when not an INTEGER of 1..4 bytes */
	uint8_t op;  /* protocolOp's tag */
	long result; /* resultCode */
	const uint8_t *matched_dn;
	size_t matched_dn_len;
	const uint8_t *diag; /* diagnosticMessage */
	size_t diag_len;
	/* The optional rest (referral, responseName, responseValue; the
	 * message's controls) is read as whole elements when tail_ok. */
	int tail_ok;
	const uint8_t *name; /* responseName, NULL when absent */
	size_t name_len;
};

enum ldap_ext_rc {
	LDAP_EXT_OK = 0,
	LDAP_EXT_NOT_MESSAGE = -1,  /* not a SEQUENCE: r->tag says what */
	LDAP_EXT_NOT_RESPONSE = -2, /* a message, but no ExtendedResponse */
};

/* Exactly one LDAPMessage holding an ExtendedResponse: messageID,
 * resultCode (ENUMERATED of 1..4 bytes), matchedDN, diagnosticMessage.
 * A messageID that is not an INTEGER still decodes (msgid -1): the caller
 * tells a notice from the answer. */
enum ldap_ext_rc ldap_ext_response(const uint8_t *p, size_t n, struct ldap_ext_response *r) WUR;

/* LDAPMessage { msgid, ExtendedRequest { requestName LDAP_STARTTLS_OID } } */
int ldap_starttls_request(struct buf *out, uint32_t msgid) WUR;
/* LDAPMessage { msgid, UnbindRequest } */
int ldap_unbind_request(struct buf *out, uint32_t msgid) WUR;

#endif
