/* rawhs.h - one raw handshake, as far as a scanner needs it: the hello we
 * send and the server's answer up to ServerHelloDone (TLS <= 1.2), the
 * ServerHello or HelloRetryRequest (TLS 1.3: the rest is encrypted), an
 * SSLv2 SERVER-HELLO, or an alert. Pure bytes in, facts out: no sockets,
 * so it is unit-tested and fuzzed on its own. */
#ifndef MAILTLS_RAWHS_H
#define MAILTLS_RAWHS_H

#include "core/buf.h"
#include "tls/hello.h"
#include "tls/msg.h"
#include "tls/record.h"

enum raw_outcome {
	RAW_PENDING = 0,
	RAW_HELLO,   /* the server chose: see sh (or v2) */
	RAW_ALERT,   /* refused with an alert before any ServerHello */
	RAW_CLOSED,  /* closed without a word: a refusal too, for most servers */
	RAW_BAD,     /* answered with bytes that are not TLS, or broke framing */
};

struct raw_req {
	int sslv2;                /* send an SSLv2 CLIENT-HELLO */
	const uint32_t *v2specs;
	size_t nv2specs;
	struct hello_opts ho;     /* otherwise this */
};

#define RAW_MAX_DH 1024 /* bytes of DH prime kept (8192 bits) */

struct raw_result {
	enum raw_outcome outcome;
	struct server_hello sh;
	struct sslv2_server_hello v2;
	int sslv2;
	size_t ncerts;
	size_t leaf_len;
	int have_ske;
	struct server_key_exchange ske; /* pointers cleared: use dh_p below */
	uint8_t dh_p[RAW_MAX_DH];
	size_t dh_p_len;
	int ocsp_stapled;
	int cert_request;
	int done_msg;              /* ServerHelloDone arrived */
	uint8_t alert_level, alert_desc;
	int alert_after_hello;
	char why[160];             /* RAW_BAD */
};

struct rawhs;

/* Decides how to read a ServerKeyExchange for a suite: 0 with kind and anon
 * set when the suite has one, -1 when it has none (static RSA, PSK, ...). */
typedef int rawhs_ske_fn(uint16_t suite, enum ske_kind *kind, int *anon);
/* The registry's answer, for every TLS suite it knows: ECDHE and DHE
 * (anonymous or not) and RSA export (a temporary 512-bit key, RFC 2246
 * 7.4.3) have one; static RSA or DH, PSK and the rest: -1. */
int rawhs_ske_kind(uint16_t suite, enum ske_kind *kind, int *anon);

struct rawhs *rawhs_new(const struct raw_req *req, rawhs_ske_fn *ske_kind);
void rawhs_free(struct rawhs *h);
/* The bytes to send. */
int rawhs_hello(struct rawhs *h, struct buf *out) WUR;
/* Feed what arrived (consumed as it is used); returns the outcome so far:
 * RAW_PENDING means more bytes are needed. */
enum raw_outcome rawhs_feed(struct rawhs *h, struct buf *in);
/* The server closed (or went silent): settle the outcome. */
enum raw_outcome rawhs_eof(struct rawhs *h);
const struct raw_result *rawhs_result(const struct rawhs *h);

#endif
