/* ossl_server.h - the server side of OpenSSL for `mailtls serve`.
 *
 * A server context holds the certificate (from files, or a throw-away local
 * CA and a leaf made at start) and the TLS profile that imitates a real
 * server (version range, cipher strings). A server session is a conn_io
 * whose handshake runs SSL_accept, so an accepted socket goes through the
 * same conn layer as the scanner's connections; after the handshake it is
 * described (version, cipher, group, SNI, client certificate) in plain
 * strings for the session record. */
#ifndef MAILTLS_OSSL_SERVER_H
#define MAILTLS_OSSL_SERVER_H

#include <stddef.h>
#include "core/err.h"
#include "net/conn.h"

struct ossl_srv_ctx;
struct ossl_srv_sess;

struct ossl_srv_opts {
	const char *cert_file; /* PEM chain, leaf first; NULL: generate */
	const char *key_file;  /* NULL: the key is in cert_file */
	const char *ca_out;    /* where to write a generated CA (PEM); NULL: nowhere */
	const char *const *names; /* extra DNS names for a generated leaf */
	size_t nnames;
	int min_version; /* TLS1_VERSION...; 0: OpenSSL's default */
	int max_version; /* 0: the highest this OpenSSL has */
	const char *ciphers;      /* TLSv1.2 and below; NULL: default */
	const char *ciphersuites; /* TLSv1.3; NULL: default */
	int ask_client_cert;      /* request (never require) a client certificate */
};

/* "TLSv1", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3" (case-insensitive) to
 * the protocol number; -1 when unknown. */
int ossl_srv_parse_version(const char *s);
const char *ossl_srv_version_name(int version);

/* Load or generate the certificate, apply the profile. NULL with *e set
 * (ERR_LOCAL for files and keys, ERR_USAGE for a profile OpenSSL refuses). */
struct ossl_srv_ctx *ossl_srv_ctx_new(const struct ossl_srv_opts *o, struct err *e) WUR;
void ossl_srv_ctx_free(struct ossl_srv_ctx *x);
/* The leaf's subject and issuer (RFC 2253) and SANs, for the start-up line. */
const char *ossl_srv_ctx_subject(const struct ossl_srv_ctx *x);
const char *ossl_srv_ctx_issuer(const struct ossl_srv_ctx *x);
const char *ossl_srv_ctx_sans(const struct ossl_srv_ctx *x);
int ossl_srv_ctx_generated(const struct ossl_srv_ctx *x);

struct ossl_srv_sess *ossl_srv_sess_new(struct ossl_srv_ctx *x, struct err *e) WUR;
void ossl_srv_sess_free(struct ossl_srv_sess *s);
/* The conn_io to install with conn_start_io(): binds the session to fd and
 * runs the server handshake. */
void ossl_srv_sess_io(struct ossl_srv_sess *s, int fd, struct conn_io *io);
/* Send close_notify once, without waiting for the answer. */
void ossl_srv_sess_shutdown(struct ossl_srv_sess *s);

/* What was negotiated, or what the client offered when it failed. Strings
 * are owned by the info (ossl_srv_info_free); peer-sent ones (sni, client
 * certificate names) are raw: the caller escapes them for its output. */
struct ossl_srv_info {
	int done;            /* the handshake completed */
	char *version;       /* "TLSv1.3" */
	char *cipher;        /* IANA name "TLS_AES_256_GCM_SHA384" */
	char *cipher_openssl;
	char *group;         /* "X25519", "secp256r1", "DH 2048"; NULL unknown */
	char *sni;           /* NULL: none sent */
	size_t sni_len;
	char *client_cert_subject; /* NULL: none presented */
	char *client_cert_issuer;
	char *offered_max;   /* highest version the ClientHello offered */
	int offered_ciphers; /* number of cipher suites it offered */
	double handshake_ms;
};
void ossl_srv_sess_describe(struct ossl_srv_sess *s, struct ossl_srv_info *out);
void ossl_srv_info_free(struct ossl_srv_info *i);

#endif
