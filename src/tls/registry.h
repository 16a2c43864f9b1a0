/* registry.h - what the raw TLS engine knows about cipher suites and
 * supported groups: code point, names, protocol and strength facts; and the
 * Diffie-Hellman primes that common software ships (LOGJAM, "common prime").
 * The tables are generated from the reference listings by scripts/gen-registry
 * (cipher_table.c, group_table.c, prime_table.c; STYLE.md rule 12) and need
 * no OpenSSL. */
#ifndef MAILTLS_REGISTRY_H
#define MAILTLS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include "tls/wire.h"

/* Facts about a suite, derived by the generator from its row. */
enum reg_cipher_flag {
	REG_TLS13 = 1 << 0,    /* a TLS 1.3 suite (RFC 8446 B.4), usable only there */
	REG_FS = 1 << 1,       /* ephemeral key exchange: DHE, ECDHE, TLS 1.3; anonymous too */
	REG_ANON = 1 << 2,     /* no server authentication (Au=None) */
	REG_NULL_ENC = 1 << 3, /* no encryption (Enc=None) */
	REG_EXPORT = 1 << 4,   /* export grade (the listing's export column) */
	REG_RC4 = 1 << 5,      /* RFC 7465 */
	REG_DES = 1 << 6,      /* single DES, 40-64 bits */
	REG_3DES = 1 << 7,     /* 64-bit block: SWEET32 */
	REG_CBC = 1 << 8,      /* block cipher in CBC mode (Lucky13, BEAST) */
	REG_AEAD = 1 << 9,     /* GCM, CCM, ChaCha20-Poly1305 */
};

struct reg_cipher {
	uint32_t code;       /* 0xC030; an SSLv2 CIPHER-SPEC has three bytes: 0x0700C0 */
	uint8_t sslv2;       /* 1: code is an SSLv2 CIPHER-SPEC */
	uint8_t min_proto;   /* enum tls_proto: the oldest version the listing gives */
	uint16_t flags;      /* enum reg_cipher_flag */
	uint16_t bits;       /* symmetric key bits; 0 without encryption */
	uint16_t kx_bits;    /* key exchange capped at this size (export), else 0 */
	uint8_t kx_kind;     /* enum tls_kx (wire.h) */
	uint8_t au_kind;     /* enum tls_au (wire.h) */
	const char *openssl; /* "ECDHE-RSA-AES256-GCM-SHA384"; NULL: OpenSSL has none */
	const char *iana;    /* "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"; NULL: none */
	/* OpenSSL's `ciphers -v` words: kx "ECDH" (ECDHE), "DH/RSA" (static DH),
	 * "any" (TLS 1.3); au "RSA", "None"; enc "AESGCM", "None"; mac "AEAD". */
	const char *kx, *au, *enc, *mac;
};

/* The suite with this code point, NULL if unknown. sslv2 selects the SSLv2
 * CIPHER-SPEC space: 0x000000 (SSLv2 NULL-MD5) is not 0x0000 (TLS NULL). */
const struct reg_cipher *reg_cipher_find(uint32_t code, int sslv2);
/* All suites in (sslv2, code) order: TLS first, then SSLv2; NULL past the end. */
size_t reg_cipher_count(void);
const struct reg_cipher *reg_cipher_at(size_t i);
/* The IANA name, or OpenSSL's where IANA has none: never NULL. */
const char *reg_cipher_name(const struct reg_cipher *c);
/* 1 when c can be negotiated under protocol p: SSLv2 suites only in SSLv2,
 * TLS 1.3 suites only in TLS 1.3, the rest from min_proto to TLS 1.2. */
int reg_cipher_usable(const struct reg_cipher *c, enum tls_proto p);

enum reg_group_kind {
	REG_GROUP_EC,        /* elliptic curve, X25519 and X448 included */
	REG_GROUP_FFDHE,     /* finite field DH (RFC 7919) */
	REG_GROUP_PQ,        /* ML-KEM alone */
	REG_GROUP_HYBRID_PQ, /* ECDH combined with ML-KEM or Kyber */
	REG_GROUP_KIND_COUNT
};
const char *reg_group_kind_name(enum reg_group_kind k); /* "ec" ... "hybrid-pq" */

struct reg_group {
	uint16_t code;    /* NamedGroup, RFC 8446 4.2.7 */
	uint16_t bits;    /* size in the name: field size (X25519 255), FFDHE modulus;
	                   * 0 for ML-KEM and hybrids */
	uint8_t kind;     /* enum reg_group_kind */
	const char *name; /* IANA's; "X25519", "X448" in capitals as tls/ossl.c */
};

/* The group with this code point, NULL if unknown. */
const struct reg_group *reg_group_find(uint16_t code);
/* All groups in code order; NULL past the end. */
size_t reg_group_count(void);
const struct reg_group *reg_group_at(size_t i);

/* A finite-field DH prime from a public listing (RFC 2409/3526/5114/7919
 * groups, those built into Apache, nginx, Postfix, OpenSSL ...). A server
 * using one shares its group with many others: precomputation against it
 * pays off (LOGJAM, weakdh.org). Not every entry is prime: Socat's 1024-bit
 * modulus is composite (CVE-2016-2217), and it is listed all the same. */
struct reg_prime {
	const char *name; /* the listing's: "RFC3526/Oakley Group 14"; a prime listed
	                   * under several names has them all, first first: "A / B" */
	uint16_t bits;    /* exact bit length of p, not the size its name says */
	const uint8_t *p; /* big-endian, no leading zero byte */
	size_t len;       /* bytes at p: (bits + 7) / 8 */
};

/* The listed prime equal to the len bytes at p (big-endian; leading zero
 * bytes, as in a DER INTEGER or a padded dh_p, are ignored), NULL if none. */
const struct reg_prime *reg_prime_find(const uint8_t *p, size_t len);
/* All primes in value order (shorter first); NULL past the end. */
size_t reg_prime_count(void);
const struct reg_prime *reg_prime_at(size_t i);

/* The generated tables, sorted as above; use the functions. */
extern const struct reg_cipher reg_cipher_table[];
extern const size_t reg_cipher_table_len;
extern const struct reg_group reg_group_table[];
extern const size_t reg_group_table_len;
extern const struct reg_prime reg_prime_table[];
extern const size_t reg_prime_table_len;

#endif
