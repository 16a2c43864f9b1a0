/* robot.c - ROBOT: the five PKCS#1 v1.5 blocks, one RSA-only handshake per
 * block, and the decision (robotattack.org; Böck, Somorovsky, Young,
 * USENIX Security 2018; Bleichenbacher, CRYPTO 1998). */
#include "tls/robot.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "core/mem.h"
#include "core/wr.h"
#include "tls/hello.h"
#include "tls/msg.h"
#include "tls/record.h"
#include "tls/wire.h"

static const char *const case_names[ROBOT_NCASES] = {
    "correct", "wrong first bytes", "0x00 misplaced", "no 0x00", "wrong version",
};

const char *robot_case_name(enum robot_case c)
{
	return (unsigned)c < ROBOT_NCASES ? case_names[c] : "?";
}

/* ---- the blocks (RFC 8017 7.2.1: EM = 0x00 || 0x02 || PS || 0x00 || M,
 * PS at least 8 nonzero bytes; RFC 5246 7.4.7.1: M = client_version || 46
 * random bytes). Padding and premaster are fixed nonzero patterns so the
 * five blocks differ only where the case says. */

#define PMS_RANDOM (ROBOT_PMS_LEN - 2)

static void fill_pattern(uint8_t *p, size_t n, uint8_t base)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(base + i % 26); /* never 0x00 */
}

int robot_block(enum robot_case c, const uint8_t *n, size_t k, uint16_t client_version,
                uint8_t *out)
{
	if (k < ROBOT_MIN_KEY || k > ROBOT_MAX_KEY || (unsigned)c >= ROBOT_NCASES)
		return -1;
	uint8_t pms[PMS_RANDOM];
	size_t pad = k - 3 - ROBOT_PMS_LEN; /* 00 02 PS 00 version random */
	fill_pattern(pms, sizeof pms, 0xa1);
	out[0] = 0x00;
	out[1] = 0x02;
	fill_pattern(out + 2, pad, 0x41);
	uint8_t *p = out + 2 + pad;
	switch (c) {
	case ROBOT_GOOD:
	case ROBOT_BAD_PREFIX:
	case ROBOT_BAD_VERSION:
		p[0] = 0x00;
		p[1] = c == ROBOT_BAD_VERSION ? 0x02 : (uint8_t)(client_version >> 8);
		p[2] = c == ROBOT_BAD_VERSION ? 0x02 : (uint8_t)client_version;
		memcpy(p + 3, pms, sizeof pms);
		break;
	case ROBOT_ZERO_LATE: /* a premaster of one byte */
		p[0] = 0x11;
		memcpy(p + 1, pms, sizeof pms);
		p[1 + sizeof pms] = 0x00;
		p[2 + sizeof pms] = 0x11;
		break;
	case ROBOT_NO_ZERO:
		p[0] = p[1] = p[2] = 0x11;
		memcpy(p + 3, pms, sizeof pms);
		break;
	default:
		return -1;
	}
	if (c == ROBOT_BAD_PREFIX) {
		out[0] = 0x41;
		out[1] = 0x17;
		if (n && memcmp(out, n, k) >= 0)
			out[0] = 0x00; /* a modulus whose top byte is small */
	}
	return 0;
}

/* ---- the key */

struct robot_key {
	EVP_PKEY *pkey;
	uint8_t n[ROBOT_MAX_KEY];
	size_t k;
	int bits;
};

struct robot_key *robot_key_from_cert(const uint8_t *der, size_t len, char *why, size_t whylen)
{
	const unsigned char *p = der;
	struct robot_key *key = NULL;
	BIGNUM *bn = NULL;
	EVP_PKEY *pk = NULL;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		snprintf(why, whylen, "the leaf certificate does not decode");
		goto out;
	}
	pk = X509_get_pubkey(x);
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		snprintf(why, whylen, "the leaf certificate's key is not an RSA encryption key");
		goto out;
	}
	if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn)) {
		snprintf(why, whylen, "the RSA modulus cannot be read");
		goto out;
	}
	size_t k = (size_t)BN_num_bytes(bn);
	if (k < ROBOT_MIN_KEY || k > ROBOT_MAX_KEY) {
		snprintf(why, whylen, "an RSA key of %d bits is outside %d..%d", BN_num_bits(bn),
		         ROBOT_MIN_KEY * 8, ROBOT_MAX_KEY * 8);
		goto out;
	}
	key = xcalloc(1, sizeof(*key));
	key->k = k;
	key->bits = BN_num_bits(bn);
	if (BN_bn2binpad(bn, key->n, (int)k) != (int)k) {
		snprintf(why, whylen, "the RSA modulus cannot be read");
		free(key);
		key = NULL;
		goto out;
	}
	key->pkey = pk;
	pk = NULL;
out:
	BN_free(bn);
	EVP_PKEY_free(pk);
	X509_free(x);
	return key;
}

void robot_key_free(struct robot_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

size_t robot_key_bytes(const struct robot_key *k)
{
	return k->k;
}

int robot_key_bits(const struct robot_key *k)
{
	return k->bits;
}

int robot_encrypt(const struct robot_key *k, enum robot_case c, uint16_t client_version,
                  uint8_t *out)
{
	uint8_t block[ROBOT_MAX_KEY];
	size_t outlen = k->k;
	int rc = -1;
	if (robot_block(c, k->n, k->k, client_version, block) < 0)
		return -1;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
	if (ctx && EVP_PKEY_encrypt_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0 &&
	    EVP_PKEY_encrypt(ctx, out, &outlen, block, k->k) > 0 && outlen == k->k)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* ---- answers */

int robot_resp_same(const struct robot_resp *a, const struct robot_resp *b)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case ROBOT_R_ALERT:
	case ROBOT_R_NO_RSA:
	case ROBOT_R_NO_TLS12:
		return a->level == b->level && a->desc == b->desc;
	case ROBOT_R_OTHER:
		return a->ctype == b->ctype;
	default:
		return 1;
	}
}

void robot_resp_str(const struct robot_resp *r, char *out, size_t n)
{
	const char *name = tls_alert_name(r->desc);
	switch (r->kind) {
	case ROBOT_R_ALERT:
	case ROBOT_R_NO_RSA:
	case ROBOT_R_NO_TLS12:
		snprintf(out, n, "%salert %s (%u)", r->level == TLS_ALERT_WARNING ? "warning " : "",
		         name ? name : "unknown", r->desc);
		break;
	case ROBOT_R_CLOSED:
		snprintf(out, n, "close");
		break;
	case ROBOT_R_TIMEOUT:
		snprintf(out, n, "timeout");
		break;
	case ROBOT_R_OTHER:
		if (r->ctype)
			snprintf(out, n, "record type %u", r->ctype);
		else
			snprintf(out, n, "bytes that are not TLS");
		break;
	case ROBOT_R_FAILED:
		snprintf(out, n, "no handshake");
		break;
	default:
		snprintf(out, n, "nothing");
		break;
	}
}

/* ---- one connection */

/* TLS_RSA_* suites (RSA key transport), no export, no NULL: AES-GCM first,
 * then AES-CBC (testssl.sh notes servers that are oracles only with GCM),
 * then the rest a server may have kept. */
static const uint16_t rsa_suites[] = {
    0x009D, 0x009C, 0x003D, 0x003C, 0x0035, 0x002F, 0xC0A1, 0xC09D, 0xC0A0,
    0xC09C, 0x00C0, 0x00BA, 0x0084, 0x0041, 0xC03D, 0xC03C, 0xC051, 0xC050,
    0xC07B, 0xC07A, 0x0096, 0x0007, 0x000A, 0x0005, 0x0004, 0x0009,
};

#define MAX_WARNINGS 4
#define FINISHED_LEN 80 /* a whole number of AES blocks, past IV and MAC */

enum conn_state { CS_HELLO, CS_SENT, CS_DONE };

struct robot_conn {
	enum robot_case c;
	enum conn_state st;
	struct rec_reader rec;
	struct robot_info info;
	int have_sh, cert_req, warnings;
	struct robot_key *key;
};

struct robot_conn *robot_conn_new(enum robot_case c)
{
	struct robot_conn *rc = xcalloc(1, sizeof(*rc));
	rc->c = c;
	rec_init(&rc->rec, 0);
	return rc;
}

void robot_conn_free(struct robot_conn *rc)
{
	if (!rc)
		return;
	rec_free(&rc->rec);
	robot_key_free(rc->key);
	free(rc);
}

int robot_conn_hello(struct robot_conn *rc, const char *sni, struct buf *out)
{
	struct hello_opts o = {
	    .version = V_TLS12,
	    .ciphers = rsa_suites,
	    .nciphers = ARRAY_LEN(rsa_suites),
	    .sni = sni,
	    .flags = HF_RENEG_SCSV | (sni ? HF_SNI : 0),
	};
	(void)rc;
	return hello_build(out, &o);
}

static void settle(struct robot_conn *rc, enum robot_resp_kind kind, uint8_t level, uint8_t desc,
                   uint8_t ctype)
{
	rc->info.resp.kind = kind;
	rc->info.resp.level = level;
	rc->info.resp.desc = desc;
	rc->info.resp.ctype = ctype;
	rc->st = CS_DONE;
}

static void failed(struct robot_conn *rc, const char *why)
{
	snprintf(rc->info.why, sizeof rc->info.why, "%s", why);
	settle(rc, ROBOT_R_FAILED, 0, 0, 0);
}

static int offered(uint16_t suite)
{
	for (size_t i = 0; i < ARRAY_LEN(rsa_suites); i++)
		if (rsa_suites[i] == suite)
			return 1;
	return 0;
}

/* ClientKeyExchange (RFC 5246 7.4.7.1; SSLv3 sends the ciphertext without
 * its length), ChangeCipherSpec and a Finished that is garbage under any
 * key: only the premaster differs between the five flights. */
static int client_flight(struct robot_conn *rc, struct buf *out)
{
	uint8_t enc[ROBOT_MAX_KEY], garbage[FINISHED_LEN];
	uint16_t v = rc->info.version;
	struct wr w;
	if (robot_encrypt(rc->key, rc->c, V_TLS12, enc) < 0)
		return -1;
	for (size_t i = 0; i < sizeof garbage; i++)
		garbage[i] = (uint8_t)(0x5b + 0x9d * i);
	wr_init(&w, out);
	wr_u8(&w, 22);
	wr_u16(&w, v);
	size_t rec = wr_open_vec(&w, 2);
	if (rc->cert_req) { /* RFC 5246 7.4.6: no certificate to send */
		wr_u8(&w, 11);
		size_t m = wr_open_vec(&w, 3);
		size_t list = wr_open_vec(&w, 3);
		wr_close_vec(&w, list, 3);
		wr_close_vec(&w, m, 3);
	}
	wr_u8(&w, 16); /* client_key_exchange */
	size_t m = wr_open_vec(&w, 3);
	if (v > V_SSL3) {
		size_t e = wr_open_vec(&w, 2);
		wr_bytes(&w, enc, robot_key_bytes(rc->key));
		wr_close_vec(&w, e, 2);
	} else {
		wr_bytes(&w, enc, robot_key_bytes(rc->key));
	}
	wr_close_vec(&w, m, 3);
	wr_close_vec(&w, rec, 2);
	wr_u8(&w, 20);
	wr_u16(&w, v);
	wr_u16(&w, 1);
	wr_u8(&w, 1);
	wr_u8(&w, 22);
	wr_u16(&w, v);
	size_t fin = wr_open_vec(&w, 2);
	wr_bytes(&w, garbage, sizeof garbage);
	wr_close_vec(&w, fin, 2);
	return wr_failed(&w) ? -1 : 0;
}

static void on_handshake(struct robot_conn *rc, const struct rec_msg *m, struct buf *out)
{
	char why[160];
	if (!rc->have_sh && m->hs_type != HS_SERVER_HELLO) {
		failed(rc, "the first handshake message is not a ServerHello");
		return;
	}
	switch (m->hs_type) {
	case HS_SERVER_HELLO: {
		struct server_hello sh;
		if (rc->have_sh || msg_server_hello(m->body, m->len, &sh) < 0) {
			failed(rc, "the ServerHello does not decode");
			return;
		}
		rc->have_sh = 1;
		rc->info.version = sh.version;
		rc->info.suite = sh.cipher;
		if (sh.hrr || sh.version < V_SSL3 || sh.version > V_TLS12) {
			snprintf(why, sizeof why, "the server chose version 0x%04x", sh.version);
			failed(rc, why);
		} else if (!offered(sh.cipher)) {
			snprintf(why, sizeof why, "the server chose suite 0x%04x, not offered",
			         sh.cipher);
			failed(rc, why);
		}
		return;
	}
	case HS_CERTIFICATE: {
		struct certificate_list cl;
		if (msg_certificate(m->body, m->len, &cl) < 0 || cl.ncerts == 0) {
			failed(rc, "the Certificate message does not decode or is empty");
			return;
		}
		robot_key_free(rc->key);
		rc->key = robot_key_from_cert(cl.der[0], cl.len[0], why, sizeof why);
		if (!rc->key) {
			failed(rc, why);
			return;
		}
		rc->info.key_bits = robot_key_bits(rc->key);
		return;
	}
	case HS_SERVER_KEY_EXCHANGE:
		failed(rc, "a ServerKeyExchange: the suite is not RSA key transport");
		return;
	case HS_CERTIFICATE_REQUEST:
		rc->cert_req = 1;
		return;
	case HS_SERVER_HELLO_DONE:
		if (!rc->key) {
			failed(rc, "ServerHelloDone without an RSA certificate");
		} else if (client_flight(rc, out) < 0) {
			failed(rc, "cannot build the ClientKeyExchange");
		} else {
			rc->st = CS_SENT;
		}
		return;
	default:
		return; /* CertificateStatus and the like */
	}
}

static void hello_alert(struct robot_conn *rc, const uint8_t *a)
{
	char why[160];
	if (!rc->have_sh && a[0] == TLS_ALERT_WARNING && a[1] != TLS_ALERT_CLOSE_NOTIFY &&
	    ++rc->warnings <= MAX_WARNINGS)
		return; /* RFC 5246 7.2: a warning does not end the handshake */
	if (!rc->have_sh &&
	    (a[1] == TLS_ALERT_HANDSHAKE_FAILURE || a[1] == TLS_ALERT_INSUFFICIENT_SECURITY)) {
		settle(rc, ROBOT_R_NO_RSA, a[0], a[1], 0);
	} else if (!rc->have_sh && a[1] == TLS_ALERT_PROTOCOL_VERSION) {
		settle(rc, ROBOT_R_NO_TLS12, a[0], a[1], 0);
	} else {
		const char *name = tls_alert_name(a[1]);
		snprintf(why, sizeof why, "alert %u (%s) %s the ServerHello", a[1],
		         name ? name : "unknown", rc->have_sh ? "after" : "instead of");
		failed(rc, why);
	}
}

enum robot_step robot_conn_feed(struct robot_conn *rc, struct buf *in, struct buf *out)
{
	struct rec_msg m;
	while (rc->st != CS_DONE) {
		int got = rec_next(&rc->rec, in, &m);
		if (got == 0)
			return ROBOT_WAIT;
		if (got < 0) {
			if (rc->st == CS_SENT)
				settle(rc, ROBOT_R_OTHER, 0, 0, 0);
			else
				failed(rc, rc->rec.why);
			break;
		}
		if (rc->st == CS_SENT) { /* the answer: its first record */
			if (m.kind == REC_ALERT)
				settle(rc, ROBOT_R_ALERT, m.body[0], m.body[1], 0);
			else
				settle(rc, ROBOT_R_OTHER, 0, 0,
				       m.kind == REC_HANDSHAKE ? 22
				       : m.kind == REC_CCS     ? 20
				                               : 23);
			break;
		}
		switch (m.kind) {
		case REC_ALERT:
			hello_alert(rc, m.body);
			break;
		case REC_HANDSHAKE:
			on_handshake(rc, &m, out);
			break;
		default:
			failed(rc, "a record out of order before ServerHelloDone");
			break;
		}
	}
	return ROBOT_DONE;
}

void robot_conn_eof(struct robot_conn *rc)
{
	if (rc->st == CS_SENT)
		settle(rc, ROBOT_R_CLOSED, 0, 0, 0);
	else if (rc->st == CS_HELLO)
		failed(rc, rc->have_sh ? "closed before ServerHelloDone"
		                       : "closed without a ServerHello");
}

void robot_conn_stop(struct robot_conn *rc, int timeout, const char *why)
{
	if (rc->st == CS_SENT && timeout)
		settle(rc, ROBOT_R_TIMEOUT, 0, 0, 0);
	else if (rc->st != CS_DONE)
		failed(rc, why ? why : "the connection failed");
}

const struct robot_info *robot_conn_info(const struct robot_conn *rc)
{
	return &rc->info;
}

/* ---- the decision */

static int answered(const struct robot_resp *r)
{
	return r->kind >= ROBOT_R_ALERT;
}

/* The first answer of case c, NULL when none; *nv: how many answers. */
static const struct robot_resp *first_answer(const struct robot_obs *o, int c, int *nv)
{
	const struct robot_resp *f = NULL;
	*nv = 0;
	for (int i = 0; i < o->n[c] && i < ROBOT_TRIES; i++) {
		if (!answered(&o->r[c][i]))
			continue;
		if (!f)
			f = &o->r[c][i];
		++*nv;
	}
	return f;
}

static void verdict(struct robot_decision *d, enum robot_verdict v, const char *fmt, ...)
    PRINTF(3, 4);
static void verdict(struct robot_decision *d, enum robot_verdict v, const char *fmt, ...)
{
	va_list ap;
	d->v = v;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof d->why, fmt, ap);
	va_end(ap);
}

void robot_decide(const struct robot_obs *o, struct robot_decision *d)
{
	const struct robot_resp *val[ROBOT_NCASES];
	int nv[ROBOT_NCASES];
	char a[64], b[64];

	memset(d, 0, sizeof(*d));
	for (int c = 0; c < ROBOT_NCASES; c++)
		val[c] = first_answer(o, c, &nv[c]);

	/* The conforming block first, alone: is there RSA key exchange? */
	if (!val[ROBOT_GOOD]) {
		int n = o->n[ROBOT_GOOD];
		const struct robot_resp *last = n ? &o->r[ROBOT_GOOD][n - 1] : NULL;
		if (!last) {
			d->v = ROBOT_V_MORE;
			d->again = 1u << ROBOT_GOOD;
		} else if (last->kind == ROBOT_R_NO_RSA) {
			verdict(d, ROBOT_V_NA, "no RSA key exchange");
		} else if (last->kind == ROBOT_R_NO_TLS12) {
			verdict(d, ROBOT_V_NA, "no TLS 1.2 or lower");
		} else if (n < 2) {
			d->v = ROBOT_V_MORE;
			d->again = 1u << ROBOT_GOOD;
		} else {
			verdict(d, ROBOT_V_UNKNOWN, "the RSA-only handshake failed twice: %s",
			        o->why[ROBOT_GOOD]);
		}
		return;
	}
	/* One answer to each malformed block; a failure is tried once more. */
	for (int c = 1; c < ROBOT_NCASES; c++) {
		if (val[c])
			continue;
		if (o->n[c] < 2) {
			d->again |= 1u << c;
			continue;
		}
		verdict(d, ROBOT_V_UNKNOWN, "the \"%s\" handshake failed twice: %s",
		        robot_case_name(c), o->why[c]);
		d->again = 0;
		return;
	}
	if (d->again) {
		d->v = ROBOT_V_MORE;
		return;
	}
	int odd = -1;
	for (int c = 1; c < ROBOT_NCASES && odd < 0; c++)
		if (!robot_resp_same(val[c], val[ROBOT_GOOD]))
			odd = c;
	if (odd < 0) {
		if (val[ROBOT_GOOD]->kind == ROBOT_R_TIMEOUT)
			verdict(d, ROBOT_V_UNKNOWN, "no answer to any ClientKeyExchange in time");
		else
			d->v = ROBOT_V_NONE;
		return;
	}
	/* A difference: both sides measured twice, the same each time. */
	const int pair[2] = {ROBOT_GOOD, odd};
	for (int i = 0; i < 2; i++) {
		int c = pair[i];
		if (nv[c] >= 2)
			continue;
		if (o->n[c] < ROBOT_TRIES) {
			d->again |= 1u << c;
			continue;
		}
		verdict(d, ROBOT_V_UNKNOWN, "the \"%s\" block could not be measured twice: %s",
		        robot_case_name(c), o->why[c]);
		d->again = 0;
		return;
	}
	if (d->again) {
		d->v = ROBOT_V_MORE;
		return;
	}
	for (int i = 0; i < 2; i++) {
		int c = pair[i];
		for (int t = 0; t < o->n[c] && t < ROBOT_TRIES; t++) {
			if (!answered(&o->r[c][t]) || robot_resp_same(&o->r[c][t], val[c]))
				continue;
			robot_resp_str(val[c], a, sizeof a);
			robot_resp_str(&o->r[c][t], b, sizeof b);
			verdict(
			    d, ROBOT_V_UNKNOWN,
			    "inconsistent answers to the same \"%s\" block: %s, then %s (noise, "
			    "load balancing or throttling)",
			    robot_case_name(c), a, b);
			return;
		}
	}
	d->odd = (enum robot_case)odd;
	d->good = *val[ROBOT_GOOD];
	d->bad = *val[odd];
	if (val[ROBOT_GOOD]->kind == ROBOT_R_TIMEOUT || val[odd]->kind == ROBOT_R_TIMEOUT) {
		robot_resp_str(val[ROBOT_GOOD], a, sizeof a);
		robot_resp_str(val[odd], b, sizeof b);
		verdict(d, ROBOT_V_UNKNOWN,
		        "the \"correct\" block got %s and the \"%s\" block %s (each twice): a "
		        "timeout may be an oracle, or load or throttling",
		        a, robot_case_name(odd), b);
		return;
	}
	/* robot-detect's rule: the oracle is weak when the three blocks that
	 * break the padding itself get one answer -- only a fully valid block
	 * (or one with a wrong version) stands out, which makes the attack
	 * need too many queries. */
	if (robot_resp_same(val[ROBOT_BAD_PREFIX], val[ROBOT_ZERO_LATE]) &&
	    robot_resp_same(val[ROBOT_ZERO_LATE], val[ROBOT_NO_ZERO]))
		d->v = ROBOT_V_WEAK;
	else
		d->v = ROBOT_V_STRONG;
}
