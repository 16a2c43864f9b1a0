/* rawhs.c - reading the server's first flight after a raw ClientHello. */
#include "tls/rawhs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "tls/registry.h"

/* RFC 5246 7.2: a warning alert does not end the handshake -- Apache, for
 * one, sends unrecognized_name as a warning before its ServerHello -- so
 * warnings before the ServerHello are skipped; a stream of them is not TLS
 * (OpenSSL gives up after as many). */
#define RAW_MAX_WARNINGS 4

struct rawhs {
	struct raw_req req;
	rawhs_ske_fn *ske_kind;
	struct rec_reader rec;
	struct raw_result res;
	int warnings;
};

struct rawhs *rawhs_new(const struct raw_req *req, rawhs_ske_fn *ske_kind)
{
	struct rawhs *h = xcalloc(1, sizeof(*h));
	h->req = *req;
	h->ske_kind = ske_kind;
	rec_init(&h->rec, req->sslv2);
	h->res.sslv2 = req->sslv2;
	return h;
}

void rawhs_free(struct rawhs *h)
{
	if (!h)
		return;
	rec_free(&h->rec);
	free(h);
}

int rawhs_hello(struct rawhs *h, struct buf *out)
{
	if (h->req.sslv2)
		return hello_build_sslv2(out, h->req.v2specs, h->req.nv2specs);
	return hello_build(out, &h->req.ho);
}

static enum raw_outcome bad(struct rawhs *h, const char *why)
{
	snprintf(h->res.why, sizeof h->res.why, "%s", why);
	h->res.outcome = RAW_BAD;
	return RAW_BAD;
}

static enum raw_outcome on_handshake(struct rawhs *h, const struct rec_msg *m)
{
	struct raw_result *r = &h->res;
	int have_sh = r->outcome == RAW_HELLO;

	if (!have_sh && m->hs_type != HS_SERVER_HELLO)
		return bad(h, "the first handshake message is not a ServerHello");
	switch (m->hs_type) {
	case HS_SERVER_HELLO:
		if (have_sh)
			return bad(h, "a second ServerHello");
		if (msg_server_hello(m->body, m->len, &r->sh) < 0)
			return bad(h, "the ServerHello does not decode");
		r->outcome = RAW_HELLO;
		/* TLS 1.3: everything after the ServerHello is encrypted. */
		if (r->sh.hrr || r->sh.version >= V_TLS13)
			r->done_msg = 1;
		return RAW_PENDING;
	case HS_CERTIFICATE: {
		struct certificate_list cl;
		if (msg_certificate(m->body, m->len, &cl) < 0)
			return bad(h, "the Certificate message does not decode");
		r->ncerts = cl.ncerts;
		r->leaf_len = cl.ncerts ? cl.len[0] : 0;
		return RAW_PENDING;
	}
	case HS_SERVER_KEY_EXCHANGE: {
		enum ske_kind kind;
		int anon = 0;
		if (!h->ske_kind || h->ske_kind(r->sh.cipher, &kind, &anon) < 0)
			return bad(h, "a ServerKeyExchange for a suite that has none");
		if (msg_server_key_exchange(m->body, m->len, kind, anon, r->sh.version >= V_TLS12,
					    &r->ske) < 0) {
			r->ske.dh_p = r->ske.dh_g = NULL; /* they point into the reader */
			return bad(h, "the ServerKeyExchange does not decode");
		}
		r->have_ske = 1;
		if (kind == SKE_DHE && r->ske.dh_p_len <= RAW_MAX_DH) {
			memcpy(r->dh_p, r->ske.dh_p, r->ske.dh_p_len);
			r->dh_p_len = r->ske.dh_p_len;
		}
		r->ske.dh_p = r->ske.dh_g = NULL; /* they point into the reader */
		return RAW_PENDING;
	}
	case HS_CERTIFICATE_STATUS: {
		uint8_t type;
		size_t len;
		if (msg_certificate_status(m->body, m->len, &type, &len) < 0)
			return bad(h, "the CertificateStatus does not decode");
		r->ocsp_stapled = type == 1;
		return RAW_PENDING;
	}
	case HS_CERTIFICATE_REQUEST:
		r->cert_request = 1;
		return RAW_PENDING;
	case HS_SERVER_HELLO_DONE:
		if (m->len != 0)
			return bad(h, "ServerHelloDone is not empty");
		r->done_msg = 1;
		return RAW_PENDING;
	default:
		return RAW_PENDING; /* not ours to judge */
	}
}

enum raw_outcome rawhs_feed(struct rawhs *h, struct buf *in)
{
	struct raw_result *r = &h->res;
	struct rec_msg m;

	while (!r->done_msg && r->outcome != RAW_BAD && r->outcome != RAW_ALERT) {
		int got = rec_next(&h->rec, in, &m);
		if (got == 0)
			return RAW_PENDING;
		if (got < 0)
			return bad(h, h->rec.why);
		switch (m.kind) {
		case REC_SSLV2:
			if (m.hs_type == 4) {
				if (msg_sslv2_server_hello(m.body, m.len, &r->v2) < 0)
					return bad(h, "the SSLv2 SERVER-HELLO does not decode");
				r->outcome = RAW_HELLO;
				r->done_msg = 1;
			} else if (m.hs_type == 0) {
				/* SSLv2 ERROR: no cipher, no certificate... */
				r->alert_desc = m.len >= 3 ? m.body[2] : 0;
				if (r->outcome == RAW_HELLO) {
					r->alert_after_hello = 1;
					return RAW_HELLO;
				}
				r->outcome = RAW_ALERT;
			} else {
				return bad(h, "unexpected SSLv2 message type");
			}
			break;
		case REC_ALERT:
			/* level 1 warning; description 0 close_notify ends the
			 * connection whatever its level */
			if (r->outcome != RAW_HELLO && m.body[0] == 1 && m.body[1] != 0) {
				if (++h->warnings > RAW_MAX_WARNINGS)
					return bad(h, "a stream of warning alerts instead of a "
						      "ServerHello");
				break;
			}
			r->alert_level = m.body[0];
			r->alert_desc = m.body[1];
			if (r->outcome == RAW_HELLO) {
				r->alert_after_hello = 1;
				return RAW_HELLO;
			}
			r->outcome = RAW_ALERT;
			break;
		case REC_HANDSHAKE:
			if (on_handshake(h, &m) == RAW_BAD)
				return RAW_BAD;
			break;
		case REC_CCS:
		case REC_APPDATA:
			if (r->outcome != RAW_HELLO)
				return bad(h, "records out of order before the ServerHello");
			break;
		}
	}
	return r->outcome;
}

enum raw_outcome rawhs_eof(struct rawhs *h)
{
	if (h->res.outcome == RAW_PENDING)
		h->res.outcome = RAW_CLOSED;
	return h->res.outcome;
}

const struct raw_result *rawhs_result(const struct rawhs *h)
{
	return &h->res;
}

int rawhs_ske_kind(uint16_t suite, enum ske_kind *kind, int *anon)
{
	const struct reg_cipher *c = reg_cipher_find(suite, 0);
	if (!c)
		return -1;
	*anon = c->au_kind == AU_NONE;
	if (c->kx_kind == KX_ECDHE)
		*kind = SKE_ECDHE;
	else if (c->kx_kind == KX_DHE)
		*kind = SKE_DHE;
	else if (c->kx_kind == KX_RSA && (c->flags & REG_EXPORT))
		*kind = SKE_RSA;
	else
		return -1;
	return 0;
}
