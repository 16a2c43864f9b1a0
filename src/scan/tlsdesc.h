/* tlsdesc.h - a verified handshake (tls/ossl) described into the model. */
#ifndef MAILTLS_TLSDESC_H
#define MAILTLS_TLSDESC_H

#include "model/result.h"
#include "tls/ossl.h"

/* After CONN_EV_HANDSHAKE_DONE: protocol, cipher, group, verify result and
 * the chain as the server sent it, into the endpoint. */
void tlsdesc_session(struct ossl_sess *s, struct endpoint *ep);
/* Append the chain the server sent to ep->certs, labelled `chain`, unless
 * its leaf is already there. Returns 1 when it was new. */
int tlsdesc_chain(struct ossl_sess *s, struct endpoint *ep, enum cert_chain chain);

#endif
