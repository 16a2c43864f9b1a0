/* ossl.h - full TLS handshakes through OpenSSL, driven by the run's loop.
 * Used where a complete, verified handshake is the point (trust, hostname,
 * chain); enumeration goes through the raw engine instead. The session is a
 * conn_io, so STARTTLS and implicit TLS share the same path. */
#ifndef MAILTLS_OSSL_H
#define MAILTLS_OSSL_H

#include <stdint.h>
#include <openssl/ssl.h>
#include "core/err.h"
#include "net/conn.h"

struct ossl_ctx;
struct ossl_sess;

struct ossl_opts {
	const char *ca_file; /* NULL: system store */
	const char *ca_path;
};

/* One SSL_CTX per run. Fails (ERR_LOCAL) when a CA file or path cannot be
 * loaded, with the reason. */
struct ossl_ctx *ossl_ctx_new(const struct ossl_opts *o, struct err *e) WUR;
void ossl_ctx_free(struct ossl_ctx *x);

/* One TLSA record (RFC 6698): certificate usage, selector, matching type
 * and the association data. */
struct ossl_tlsa {
	uint8_t usage, selector, mtype;
	const unsigned char *data;
	size_t len;
};

/* Variations of a handshake, for the probes that look at one thing. */
struct ossl_sess_opts {
	/* DANE (RFC 7671/7672): verify against these TLSA records, with
	 * dane_base (the MX host name) as the reference name for DANE-TA;
	 * DANE-EE matches without name checks. The session's verify_name must
	 * be NULL. */
	const char *dane_base;
	const struct ossl_tlsa *tlsa;
	size_t ntlsa;
	int max_version;        /* TLS1_2_VERSION...; 0: the library's highest */
	const char *cipher_list; /* TLS <= 1.2 suites (OpenSSL syntax); NULL: all */
	const char *sigalgs;     /* signature algorithms list; NULL: default */
	SSL_SESSION *resume;     /* offer this session (not owned) */
	int no_ticket;           /* resumption by session ID only */
};

/* A client session: sni may be NULL (no SNI sent); verify_name is the name
 * (or numeric address) the certificate must match, NULL for none; o may be
 * NULL. OCSP stapling is always requested. */
struct ossl_sess *ossl_sess_new(struct ossl_ctx *x, const char *sni, const char *verify_name,
				const struct ossl_sess_opts *o, struct err *e) WUR;
/* After the handshake: was the offered session resumed? Did the server
 * issue a ticket? The session to offer next time (caller frees). */
int ossl_sess_reused(const struct ossl_sess *s);
/* RFC 5746 support seen in this (TLS <= 1.2) handshake: 1, 0; -1 for TLS 1.3. */
int ossl_sess_secure_reneg(const struct ossl_sess *s);
int ossl_sess_has_ticket(const struct ossl_sess *s);
/* The ticket's lifetime hint in seconds, -1 without a ticket. */
long ossl_sess_ticket_lifetime(const struct ossl_sess *s);
SSL_SESSION *ossl_sess_get1_session(const struct ossl_sess *s);
void ossl_session_free(SSL_SESSION *sess);
/* A conn_io whose handshake step is a client-initiated renegotiation of
 * the established session (TLS <= 1.2). */
void ossl_sess_reneg_io(struct ossl_sess *s, struct conn_io *io);
void ossl_sess_free(struct ossl_sess *s);
SSL *ossl_sess_ssl(const struct ossl_sess *s);
/* After a DANE handshake: 1 when a TLSA record matched (usage, selector,
 * mtype and the chain depth it matched at are set), else 0; msg gets the
 * verification result in words. */
int ossl_sess_dane_result(const struct ossl_sess *s, int *usage, int *selector, int *mtype,
			  int *depth, char *msg, size_t msglen);
/* The fatal alert the server sent, -1 none. */
int ossl_sess_alert(const struct ossl_sess *s);
/* The server's ServerHello came before the handshake ended. */
int ossl_sess_saw_server_hello(const struct ossl_sess *s);
/* "internal error", "handshake failure", ...: a TLS alert's description. */
const char *ossl_alert_name(int alert);
/* The conn_io to install with conn_start_io(): it binds the session to the
 * connection's socket and runs the client handshake. */
void ossl_sess_io(struct ossl_sess *s, int fd, struct conn_io *io);
/* The first bytes the server sent (up to 256), e.g. to recognise a
 * clear-text greeting when TLS was expected. */
const unsigned char *ossl_sess_first_bytes(const struct ossl_sess *s, size_t *len);
/* Send close_notify, once, without waiting for an answer. */
void ossl_sess_shutdown(struct ossl_sess *s);
/* After the handshake, for scan/tlsdesc.c: the verify problems seen, in
 * order (OpenSSL's X509_V_ERR_* code and the chain depth of each), whether
 * the verify checked a name, and how long the handshake took. */
size_t ossl_sess_nverify(const struct ossl_sess *s);
long ossl_sess_verify_code(const struct ossl_sess *s, size_t i);
int ossl_sess_verify_depth(const struct ossl_sess *s, size_t i);
int ossl_sess_name_checked(const struct ossl_sess *s);
double ossl_sess_handshake_ms(const struct ossl_sess *s);
#endif
