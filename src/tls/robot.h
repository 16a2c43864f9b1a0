/* robot.h - ROBOT (Return Of Bleichenbacher's Oracle Threat, robotattack.org,
 * after the published robot-detect test): five ClientKeyExchange blocks, one
 * PKCS#1 v1.5 conforming and four malformed, each on its own RSA-only
 * handshake, then ChangeCipherSpec and a garbage Finished; a server that
 * answers the conforming block differently from a malformed one is a padding
 * oracle. Pure: bytes in, facts out (no sockets); OpenSSL only reads the
 * certificate's RSA key and performs the raw RSA operation. */
#ifndef MAILTLS_ROBOT_H
#define MAILTLS_ROBOT_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/compiler.h"

enum robot_case {
	ROBOT_GOOD,        /* 00 02 pad 00 03 03 pms: conforming */
	ROBOT_BAD_PREFIX,  /* 41 17 pad 00 03 03 pms: wrong first two bytes */
	ROBOT_ZERO_LATE,   /* 00 02 pad 11 pms 00 11: the 0x00 misplaced */
	ROBOT_NO_ZERO,     /* 00 02 pad 11 11 11 pms: no 0x00 separator */
	ROBOT_BAD_VERSION, /* 00 02 pad 00 02 02 pms: wrong version in the premaster */
	ROBOT_NCASES
};
/* "correct", "wrong first bytes", "0x00 misplaced", "no 0x00", "wrong version" */
const char *robot_case_name(enum robot_case c);

#define ROBOT_MIN_KEY 64   /* modulus bytes: RSA-512 (3 + 8 padding + 48) */
#define ROBOT_MAX_KEY 1024 /* RSA-8192 */
#define ROBOT_PMS_LEN 48   /* RFC 5246 7.4.7.1 */

/* The padded premaster block of case c for the modulus n (k bytes, big
 * endian), as robot-detect builds it: nonzero padding, a fixed premaster.
 * The "wrong first bytes" block starts 41 17 when that is below the
 * modulus, else 00 17. client_version is the ClientHello's (RFC 5246
 * 7.4.7.1). -1 when k is out of range. */
int robot_block(enum robot_case c, const uint8_t *n, size_t k, uint16_t client_version,
                uint8_t *out) WUR;

/* The leaf certificate's RSA public key. */
struct robot_key;
/* NULL with why set when the DER is no certificate or its key is no RSA key
 * of ROBOT_MIN_KEY..ROBOT_MAX_KEY bytes. */
struct robot_key *robot_key_from_cert(const uint8_t *der, size_t len, char *why, size_t whylen);
void robot_key_free(struct robot_key *k);
size_t robot_key_bytes(const struct robot_key *k);
int robot_key_bits(const struct robot_key *k);
/* Raw RSA (no padding) of the block of case c: out gets robot_key_bytes(). */
int robot_encrypt(const struct robot_key *k, enum robot_case c, uint16_t client_version,
                  uint8_t *out) WUR;

/* What one connection measured. */
enum robot_resp_kind {
	ROBOT_R_NONE,     /* nothing yet */
	ROBOT_R_FAILED,   /* no ServerHelloDone (closed, timed out, garbled): see why */
	ROBOT_R_NO_RSA,   /* the RSA-only hello refused: handshake_failure or
	                     insufficient_security */
	ROBOT_R_NO_TLS12, /* refused with protocol_version: nothing <= TLS 1.2 */
	/* answers to ClientKeyExchange + ChangeCipherSpec + Finished: */
	ROBOT_R_ALERT,   /* level, desc */
	ROBOT_R_CLOSED,  /* closed or reset without an alert */
	ROBOT_R_TIMEOUT, /* nothing within the read deadline */
	ROBOT_R_OTHER,   /* a record of another type (ctype), or bytes that are not TLS (0) */
};

struct robot_resp {
	enum robot_resp_kind kind;
	uint8_t level, desc; /* ROBOT_R_ALERT, ROBOT_R_NO_RSA, ROBOT_R_NO_TLS12 */
	uint8_t ctype;       /* ROBOT_R_OTHER */
};

/* 1 when two answers are the same observation. */
int robot_resp_same(const struct robot_resp *a, const struct robot_resp *b);
/* "alert bad_record_mac (20)", "close", "timeout", "record type 23". */
void robot_resp_str(const struct robot_resp *r, char *out, size_t n);

/* One connection: the RSA-only ClientHello, the server's flight up to
 * ServerHelloDone, the client's flight for one case, the answer. */
struct robot_conn;

struct robot_info {
	uint16_t version; /* the ServerHello's */
	uint16_t suite;
	int key_bits;
	struct robot_resp resp;
	char why[160]; /* ROBOT_R_FAILED */
};

enum robot_step {
	ROBOT_WAIT, /* more bytes needed */
	ROBOT_DONE, /* the measurement is complete: robot_conn_info() */
};

struct robot_conn *robot_conn_new(enum robot_case c);
void robot_conn_free(struct robot_conn *rc);
/* The ClientHello: TLS 1.2 at most, TLS_RSA_* suites only (AES-GCM first:
 * some servers are oracles only with GCM), SNI when sni is not NULL. */
int robot_conn_hello(struct robot_conn *rc, const char *sni, struct buf *out) WUR;
/* Feed what arrived (consumed as used). After ServerHelloDone the client
 * flight (ClientKeyExchange, ChangeCipherSpec, a garbage Finished) is
 * appended to out: send whatever out holds. */
enum robot_step robot_conn_feed(struct robot_conn *rc, struct buf *in, struct buf *out);
/* The server closed; the connection's deadline passed (timeout) or it
 * failed otherwise (why). Settle the measurement. */
void robot_conn_eof(struct robot_conn *rc);
void robot_conn_stop(struct robot_conn *rc, int timeout, const char *why);
const struct robot_info *robot_conn_info(const struct robot_conn *rc);

/* The test, from the measurements so far: what to measure next, or the
 * verdict. The conforming case goes first and alone (it tells whether the
 * server takes RSA key exchange), then the other four; a difference is
 * measured once more on both sides (the conforming case and the first one
 * that differs) to rule out noise; a measurement that failed is repeated
 * once. */
#define ROBOT_TRIES 3
struct robot_obs {
	struct robot_resp r[ROBOT_NCASES][ROBOT_TRIES];
	int n[ROBOT_NCASES];
	char why[ROBOT_NCASES][160]; /* the latest failure of each case */
};

enum robot_verdict {
	ROBOT_V_MORE,    /* measure the cases in `again` */
	ROBOT_V_NA,      /* no RSA key exchange, or nothing <= TLS 1.2 (why) */
	ROBOT_V_NONE,    /* the same answer to every block: no oracle */
	ROBOT_V_WEAK,    /* an oracle that the "wrong first bytes" block does not show */
	ROBOT_V_STRONG,  /* the "wrong first bytes" block is answered apart */
	ROBOT_V_UNKNOWN, /* why */
};

struct robot_decision {
	enum robot_verdict v;
	unsigned again;      /* bit (1 << case) per case to measure */
	enum robot_case odd; /* WEAK/STRONG: the case that differs from the conforming one */
	struct robot_resp good, bad; /* their answers */
	char why[240];
};

void robot_decide(const struct robot_obs *o, struct robot_decision *d);

#endif
