/* msg.h - parsers for the server's handshake messages, each reading like
 * the RFC's struct through the checked cursor, each rejecting missing and
 * trailing bytes (STYLE.md rules 2-3). */
#ifndef MAILTLS_MSG_H
#define MAILTLS_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

enum {
	HS_SERVER_HELLO = 2,
	HS_NEW_SESSION_TICKET = 4,
	HS_CERTIFICATE = 11,
	HS_SERVER_KEY_EXCHANGE = 12,
	HS_CERTIFICATE_REQUEST = 13,
	HS_SERVER_HELLO_DONE = 14,
	HS_CERTIFICATE_STATUS = 22,
};

#define MSG_MAX_EXTS 32

struct server_hello {
	uint16_t legacy_version;
	uint8_t random[32];
	uint8_t session_id_len;
	uint16_t cipher;
	uint8_t compression;
	int hrr;                   /* HelloRetryRequest (RFC 8446 4.1.3) */
	int has_extensions;
	uint16_t exts[MSG_MAX_EXTS]; /* extension types, in the server's order */
	size_t nexts;
	uint16_t selected_version; /* supported_versions, 0 when absent */
	uint16_t key_share_group;  /* key_share (SH) or selected_group (HRR) */
	int reneg_info;            /* renegotiation_info present and empty */
	uint16_t version;          /* negotiated: selected_version or legacy */
	int downgrade;             /* RFC 8446 4.1.3 sentinel: 12 or 11, 0 none */
};

/* ServerHello body (after the 4-byte handshake header). 0, or -1 when it
 * does not decode. */
int msg_server_hello(const uint8_t *p, size_t n, struct server_hello *sh) WUR;

#define MSG_MAX_CERTS 16

struct certificate_list {
	size_t ncerts; /* all of them; der/len hold the first MSG_MAX_CERTS */
	const uint8_t *der[MSG_MAX_CERTS];
	size_t len[MSG_MAX_CERTS];
};

/* TLS 1.0-1.2 Certificate (RFC 5246 7.4.2). */
int msg_certificate(const uint8_t *p, size_t n, struct certificate_list *c) WUR;

enum ske_kind { SKE_ECDHE, SKE_DHE, SKE_RSA };

struct server_key_exchange {
	enum ske_kind kind;
	/* ECDHE */
	uint8_t curve_type;  /* 3 named_curve */
	uint16_t curve;
	size_t point_len;
	/* DHE */
	const uint8_t *dh_p;
	size_t dh_p_len;
	const uint8_t *dh_g;
	size_t dh_g_len;
	size_t dh_ys_len;
	/* RSA export: modulus length */
	size_t rsa_mod_len;
	/* signature */
	int signed_;
	uint16_t sigalg; /* TLS 1.2 SignatureAndHashAlgorithm, 0 before */
	size_t sig_len;
};

/* ServerKeyExchange (RFC 4492 5.4, RFC 5246 7.4.3). Its shape depends on
 * the suite: kind, anonymous (no signature) and whether TLS 1.2's
 * algorithm field precedes the signature. */
int msg_server_key_exchange(const uint8_t *p, size_t n, enum ske_kind kind, int anonymous,
			    int tls12, struct server_key_exchange *ske) WUR;

/* CertificateStatus (RFC 6066 8): status type and the response length. */
int msg_certificate_status(const uint8_t *p, size_t n, uint8_t *type, size_t *len) WUR;

struct sslv2_server_hello {
	uint8_t session_id_hit;
	uint8_t certificate_type;
	uint16_t version;
	size_t cert_len;
	uint32_t specs[128];
	size_t nspecs;
};

/* SSLv2 SERVER-HELLO message (type 4) including its type byte. */
int msg_sslv2_server_hello(const uint8_t *p, size_t n, struct sslv2_server_hello *sh) WUR;

#endif
