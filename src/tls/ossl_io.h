/* ossl_io.h - what the client (ossl.c) and the server (ossl_server.c)
 * sessions share: OpenSSL's error state turned into one message, and the
 * conn_io read and write over an SSL. */
#ifndef MAILTLS_OSSL_IO_H
#define MAILTLS_OSSL_IO_H

#include <sys/types.h>
#include <openssl/ssl.h>
#include "core/err.h"

/* After an SSL call returned ret: 0 to retry when *want is ready, -1 with
 * *e set. peer names the other side in messages ("server", "client");
 * alert is the last fatal alert the peer sent, -1 none. */
int ossl_io_result(SSL *ssl, int ret, int *want, struct err *e, const char *op, const char *peer,
		   int alert);
/* conn_io read/write: bytes, 0 on an orderly end (read), -1 retry, -2
 * failure. A close without close_notify ends a read like close_notify. */
ssize_t ossl_io_read(SSL *ssl, void *p, size_t n, int *want, struct err *e, const char *peer,
		     int alert);
ssize_t ossl_io_write(SSL *ssl, const void *p, size_t n, int *want, struct err *e,
		      const char *peer, int alert);

/* The negotiated group as reports name it: RFC 8446 spells x25519 and
 * x448 in capitals, OpenSSL's other names are IANA's (secp256r1,
 * ffdhe2048); NULL when there is no named group (TLS 1.2 DHE). */
const char *ossl_io_group_name(SSL *ssl);

#endif
