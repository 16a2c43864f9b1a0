/* ossl_io.c - OpenSSL error states and I/O shared by both session sides. */
#include "tls/ossl_io.h"

#include <errno.h>
#include <string.h>
#include <openssl/err.h>
#include "net/conn.h"

int ossl_io_result(SSL *ssl, int ret, int *want, struct err *e, const char *op, const char *peer,
		   int alert)
{
	unsigned long ec;
	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		*want = CONN_WANT_READ;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		*want = CONN_WANT_WRITE;
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		err_set(e, ERR_TLS, "the %s closed the TLS session during the %s", peer, op);
		return -1;
	case SSL_ERROR_SYSCALL:
		ec = ERR_get_error();
		if (ec)
			err_set(e, ERR_TLS, "%s failed: %s", op, ERR_reason_error_string(ec));
		else if (errno && errno != EAGAIN)
			err_set(e, ERR_IO, "%s failed: %s", op, strerror(errno));
		else
			err_set(e, ERR_TLS, "the %s closed the connection during the %s", peer, op);
		ERR_clear_error();
		return -1;
	default:
		ec = ERR_get_error();
		if (alert >= 0)
			err_set(e, ERR_TLS, "%s failed: the %s sent alert %s", op, peer,
				SSL_alert_desc_string_long(alert));
		else if (ERR_GET_REASON(ec) == SSL_R_WRONG_VERSION_NUMBER ||
			 ERR_GET_REASON(ec) == SSL_R_PACKET_LENGTH_TOO_LONG ||
			 ERR_GET_REASON(ec) == SSL_R_HTTP_REQUEST)
			err_set(e, ERR_TLS,
				"%s failed: the %s's bytes are not TLS (%s); a peer that expects "
				"STARTTLS or speaks a plain-text protocol looks like this",
				op, peer, ERR_reason_error_string(ec));
		else
			err_set(e, ERR_TLS, "%s failed: %s", op,
				ec ? ERR_reason_error_string(ec) : "unknown TLS error");
		ERR_clear_error();
		return -1;
	}
}

ssize_t ossl_io_read(SSL *ssl, void *p, size_t n, int *want, struct err *e, const char *peer,
		     int alert)
{
	size_t got = 0;
	ERR_clear_error();
	errno = 0;
	if (SSL_read_ex(ssl, p, n, &got) == 1)
		return (ssize_t)got;
	int code = SSL_get_error(ssl, 0);
	if (code == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0)
		return 0; /* closed without close_notify: an end all the same */
	return ossl_io_result(ssl, 0, want, e, "TLS read", peer, alert) == 0 ? -1 : -2;
}

ssize_t ossl_io_write(SSL *ssl, const void *p, size_t n, int *want, struct err *e,
		      const char *peer, int alert)
{
	size_t put = 0;
	ERR_clear_error();
	errno = 0;
	if (SSL_write_ex(ssl, p, n, &put) == 1)
		return (ssize_t)put;
	return ossl_io_result(ssl, 0, want, e, "TLS write", peer, alert) == 0 ? -1 : -2;
}

const char *ossl_io_group_name(SSL *ssl)
{
	int nid = SSL_get_negotiated_group(ssl);
	const char *n = nid > 0 ? SSL_group_to_name(ssl, nid) : NULL;
	if (n && strcmp(n, "x25519") == 0)
		return "X25519";
	if (n && strcmp(n, "x448") == 0)
		return "X448";
	return n;
}
