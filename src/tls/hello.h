/* hello.h - ClientHellos for any protocol version and any code point,
 * built by hand (no OpenSSL): SSLv2 CLIENT-HELLO, SSLv3, TLS 1.0-1.2 and
 * TLS 1.3, including what OpenSSL 3 has compiled out (export, RC4, ...).
 * Lengths are written by reservation (STYLE.md rule 4). */
#ifndef MAILTLS_HELLO_H
#define MAILTLS_HELLO_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/compiler.h"

/* Wire versions. */
enum {
	V_SSL2 = 0x0002,
	V_SSL3 = 0x0300,
	V_TLS10 = 0x0301,
	V_TLS11 = 0x0302,
	V_TLS12 = 0x0303,
	V_TLS13 = 0x0304,
};

/* Extension types (IANA TLS ExtensionType values). */
enum {
	EXT_SERVER_NAME = 0,
	EXT_STATUS_REQUEST = 5,
	EXT_SUPPORTED_GROUPS = 10,
	EXT_EC_POINT_FORMATS = 11,
	EXT_SIGNATURE_ALGORITHMS = 13,
	EXT_ALPN = 16,
	EXT_SCT = 18,
	EXT_PADDING = 21,
	EXT_ENCRYPT_THEN_MAC = 22,
	EXT_EXTENDED_MASTER_SECRET = 23,
	EXT_SESSION_TICKET = 35,
	EXT_SUPPORTED_VERSIONS = 43,
	EXT_PSK_KEY_EXCHANGE_MODES = 45,
	EXT_KEY_SHARE = 51,
	EXT_RENEGOTIATION_INFO = 0xff01,
};

#define CS_EMPTY_RENEGOTIATION_INFO_SCSV 0x00FF
#define CS_FALLBACK_SCSV 0x5600

enum hello_flags {
	HF_SNI = 1 << 0,
	HF_EC_POINT_FORMATS = 1 << 1,
	HF_RENEG_INFO = 1 << 2,  /* renegotiation_info extension (empty) */
	HF_RENEG_SCSV = 1 << 3,  /* ...or the SCSV in the suite list */
	HF_EMS = 1 << 4,
	HF_SESSION_TICKET = 1 << 5,
	HF_STATUS_REQUEST = 1 << 6,
	HF_GREASE = 1 << 7,      /* RFC 8701 values in suites, groups, versions, extensions */
	HF_NO_EXTENSIONS = 1 << 8, /* SSLv3-style hello with no extension block */
	HF_FALLBACK_SCSV = 1 << 9,
};

struct hello_opts {
	uint16_t version;           /* highest version offered: V_SSL3..V_TLS13 */
	const uint16_t *ciphers;    /* suites, in offer order */
	size_t nciphers;
	const uint16_t *groups;     /* supported_groups; NULL: a default list */
	size_t ngroups;
	const uint16_t *key_shares; /* TLS 1.3 key shares: X25519, X448 and
				       secp256r1 get real keys; others are left
				       out (a share cannot be empty), so the
				       server asks by HelloRetryRequest */
	size_t nkey_shares;
	const uint16_t *sigalgs;    /* NULL: a default list */
	size_t nsigalgs;
	const char *sni;            /* with HF_SNI */
	unsigned flags;
	const uint8_t *compression; /* NULL: null compression only */
	size_t ncompression;
	uint16_t record_version;    /* 0: min(version, TLS 1.0) as most clients */
	size_t pad_to;              /* pad the hello to this many bytes (0: no
				       padding): a "TLS 1.3-style long hello" */
	const uint8_t *session_id;  /* legacy_session_id<0..32> to send; NULL:
	                               32 random bytes in TLS 1.3, none before */
	size_t session_id_len;
	const uint8_t *ticket; /* with HF_SESSION_TICKET: the ticket to
	                          offer (RFC 5077 3.2); NULL: empty, which
	                          asks for one */
	size_t ticket_len;
};

/* One handshake record carrying the ClientHello (or several records when it
 * exceeds 2^14 bytes). Random and keys are fresh each time. -1 also for a
 * session ID over 32 bytes or a ticket over 2^16-1. */
int hello_build(struct buf *out, const struct hello_opts *o) WUR;
/* SSLv2 CLIENT-HELLO with 3-byte cipher specs (RFC-less; see the SSL 2.0
 * draft), in a 2-byte-header record. */
int hello_build_sslv2(struct buf *out, const uint32_t *specs, size_t nspecs) WUR;

/* Default lists, as broad as a scanner needs. */
size_t hello_default_groups(const uint16_t **v);
size_t hello_default_sigalgs(const uint16_t **v);

#endif
