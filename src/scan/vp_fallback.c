/* vp_fallback.c - two probes that each send one hand-built ClientHello
 * before TLS (own mode) and judge the server's first answer:
 *   fallback-scsv  RFC 7507: a hello one version below the server's best,
 *                  with TLS_FALLBACK_SCSV; a server that knows the SCSV
 *                  answers inappropriate_fallback (86).
 *   ticketbleed    CVE-2016-9244 (F5 BIG-IP): resume the resumption check's
 *                  TLS 1.2 ticket with a 1-byte session ID; the flaw echoes
 *                  32 bytes, the other 31 out of the server's memory. */
#include "scan/vp_fallback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include "core/mem.h"
#include "core/rd.h"
#include "scan/vulnscan.h"
#include "tls/registry.h"
#include "tls/wire.h"

#define MAX_SUITES 128
#define ANSWER_MAX (64 * 1024) /* one record and a handshake message at most */
#define TB_QUIET_MS 2000       /* after a ServerHello: what follows, or nothing */
#define TB_SID_LEN 1

/* ------------------------------------------------------------- pure part */

static const char *ver_name(uint16_t wire)
{
	if (wire >= 0x0300 && wire <= 0x0304)
		return tls_proto_name((enum tls_proto)(P_SSLV3 + (wire - 0x0300)));
	return "an unknown version";
}

static const char *alert_name(int desc)
{
	const char *n = tls_alert_name(desc);
	return n ? n : "an unknown alert";
}

uint16_t vp_fallback_version(uint16_t best)
{
	return best > V_SSL3 && best <= V_TLS13 ? (uint16_t)(best - 1) : 0;
}

void vp_fallback_judge(struct vuln *v, uint16_t best, uint16_t sent, const struct raw_result *r,
                       const char *failure)
{
	char why[400];
	const char *sn = ver_name(sent), *bn = ver_name(best);

	if (!r || r->outcome == RAW_PENDING) {
		snprintf(why, sizeof why, "no answer to a %s hello with TLS_FALLBACK_SCSV: %s", sn,
		         failure ? failure : "the connection ended");
		vuln_set(v, VULN_UNKNOWN, why);
		return;
	}
	switch (r->outcome) {
	case RAW_HELLO:
		if (r->sslv2 || r->sh.hrr || r->sh.version > sent) {
			snprintf(why, sizeof why, "a %s hello got a ServerHello for %s", sn,
			         r->sslv2 ? "SSLv2" : ver_name(r->sh.version));
			vuln_set(v, VULN_UNKNOWN, why);
			return;
		}
		if (r->sh.downgrade && best >= V_TLS13) {
			/* RFC 8446 4.1.3: a TLS 1.3 client sees the sentinel in
			 * the random and aborts: the downgrade is detected all the
			 * same. */
			vuln_set(v, VULN_NOT_VULNERABLE, NULL);
			vuln_evidence(v,
			              "sent a %s hello with TLS_FALLBACK_SCSV (best: %s); got a %s "
			              "ServerHello, but with RFC 8446's downgrade sentinel",
			              sn, bn, ver_name(r->sh.version));
			return;
		}
		vuln_set(v, VULN_VULNERABLE, NULL);
		vuln_evidence(v,
		              "sent a %s hello with TLS_FALLBACK_SCSV (best: %s); got a %s "
		              "ServerHello instead of inappropriate_fallback",
		              sn, bn, ver_name(r->sh.version));
		return;
	case RAW_ALERT:
		if (r->alert_desc == TLS_ALERT_INAPPROPRIATE_FALLBACK) {
			vuln_set(v, VULN_NOT_VULNERABLE, NULL);
			vuln_evidence(
			    v,
			    "sent a %s hello with TLS_FALLBACK_SCSV (best: %s); got alert "
			    "inappropriate_fallback (86)",
			    sn, bn);
			return;
		}
		if (r->alert_desc == TLS_ALERT_PROTOCOL_VERSION ||
		    r->alert_desc == TLS_ALERT_HANDSHAKE_FAILURE) {
			/* Refused without a word about the SCSV: the version
			 * (or every suite it allows) is not spoken, so there is
			 * nothing to downgrade to. */
			snprintf(why, sizeof why, "no protocol below %s: a %s hello got %s (%d)",
			         bn, sn, alert_name(r->alert_desc), r->alert_desc);
			vuln_set(v, VULN_NOT_APPLICABLE, why);
			vuln_evidence(v,
			              "sent a %s hello with TLS_FALLBACK_SCSV; got alert %s (%d)",
			              sn, alert_name(r->alert_desc), r->alert_desc);
			return;
		}
		snprintf(why, sizeof why, "a %s hello with TLS_FALLBACK_SCSV got alert %s (%d)", sn,
		         alert_name(r->alert_desc), r->alert_desc);
		vuln_set(v, VULN_UNKNOWN, why);
		return;
	case RAW_CLOSED:
		snprintf(why, sizeof why,
		         "the server closed without answering a %s hello with TLS_FALLBACK_SCSV",
		         sn);
		vuln_set(v, VULN_UNKNOWN, why);
		return;
	case RAW_BAD:
	default:
		snprintf(why, sizeof why, "the answer to a %s hello is not TLS: %s", sn, r->why);
		vuln_set(v, VULN_UNKNOWN, why);
		return;
	}
}

enum raw_outcome vp_feed_records(struct rawhs *h, struct buf *pend, struct buf *in)
{
	enum raw_outcome o = rawhs_result(h)->outcome;
	size_t i = 0;
	while (i < in->len && o == RAW_PENDING) {
		if (buf_putc(pend, in->data[i]) < 0)
			break; /* a record larger than the cap: rawhs said BAD before */
		i++;
		(void)rawhs_feed(h, pend);
		o = rawhs_result(h)->outcome;
	}
	buf_consume(in, i);
	return o;
}

static int tb_bad(struct tb_answer *a, const char *why)
{
	snprintf(a->why, sizeof a->why, "%s", why);
	a->outcome = RAW_BAD;
	return 1;
}

/* RFC 5246 7.4.1.3: the ServerHello up to its session_id. */
static int tb_server_hello(struct tb_answer *a, const uint8_t *p, size_t n)
{
	struct server_hello sh;
	struct rd r, sid;
	if (msg_server_hello(p, n, &sh) < 0)
		return tb_bad(a, "the ServerHello does not decode");
	rd_init(&r, p, n);
	rd_skip(&r, 2 + 32); /* server_version, random */
	rd_vec(&r, 1, 0, 32, &sid);
	if (rd_failed(&r))
		return tb_bad(a, "the ServerHello's session ID does not decode");
	a->sid_len = rd_left(&sid);
	rd_bytes(&sid, a->sid, a->sid_len);
	a->version = sh.version;
	a->outcome = RAW_HELLO;
	return 0;
}

int vp_tb_feed(struct tb_answer *a, struct rec_reader *rec, struct buf *in)
{
	struct rec_msg m;
	for (;;) {
		int got = rec_next(rec, in, &m);
		if (got == 0)
			return 0;
		if (got < 0) {
			if (a->outcome == RAW_HELLO)
				return 1; /* what follows does not matter */
			return tb_bad(a, rec->why);
		}
		if (a->outcome == RAW_HELLO) {
			a->next = m.kind == REC_CCS         ? TB_NEXT_CCS
			          : m.kind == REC_ALERT     ? TB_NEXT_ALERT
			          : m.kind == REC_HANDSHAKE ? TB_NEXT_HANDSHAKE
			                                    : TB_NEXT_NONE;
			return 1;
		}
		switch (m.kind) {
		case REC_ALERT:
			/* RFC 5246 7.2: warnings before the ServerHello are
			 * skipped (close_notify ends all), a few of them. */
			if (m.body[0] == TLS_ALERT_WARNING && m.body[1] != 0 && ++a->warnings <= 4)
				continue;
			a->alert_desc = m.body[1];
			a->outcome = RAW_ALERT;
			return 1;
		case REC_HANDSHAKE:
			if (m.hs_type != HS_SERVER_HELLO)
				return tb_bad(a,
				              "the first handshake message is not a ServerHello");
			if (tb_server_hello(a, m.body, m.len))
				return 1;
			continue; /* what follows it: resumed or not */
		default:
			return tb_bad(a, "records out of order before the ServerHello");
		}
	}
}

void vp_ticketbleed_judge(struct vuln *v, const uint8_t *sid, size_t sid_len, size_t ticket_len,
                          const struct tb_answer *a, const char *failure)
{
	char why[400];
	v->nleak = 0;
	switch (a->outcome) {
	case RAW_HELLO:
		break;
	case RAW_ALERT:
		/* Refused: the resumption path was not reached. */
		snprintf(why, sizeof why, "the resumption hello got alert %s (%d)",
		         alert_name(a->alert_desc), a->alert_desc);
		vuln_set(v, VULN_UNKNOWN, why);
		return;
	case RAW_BAD:
		snprintf(why, sizeof why, "the answer to the resumption hello is not TLS: %s",
		         a->why);
		vuln_set(v, VULN_UNKNOWN, why);
		return;
	default:
		snprintf(why, sizeof why, "no answer to the resumption hello: %s",
		         failure ? failure : "the server closed");
		vuln_set(v, VULN_UNKNOWN, why);
		return;
	}
	int ours = a->sid_len >= sid_len && memcmp(a->sid, sid, sid_len) == 0;
	if (ours && a->sid_len > sid_len && a->next != TB_NEXT_HANDSHAKE) {
		size_t extra = a->sid_len - sid_len;
		vuln_set(v, VULN_VULNERABLE, NULL);
		vuln_evidence(v,
		              "sent a %zu-byte session ID with a %zu-byte ticket; the ServerHello "
		              "echoed %zu bytes, ours first: %zu bytes of server memory",
		              sid_len, ticket_len, a->sid_len, extra);
		v->nleak = extra < VULN_LEAK_SHOWN ? extra : VULN_LEAK_SHOWN;
		memcpy(v->leak, a->sid + sid_len, v->nleak);
		return;
	}
	vuln_set(v, VULN_NOT_VULNERABLE, NULL);
	if (ours && a->sid_len == sid_len)
		vuln_evidence(v,
		              "sent a %zu-byte session ID with a %zu-byte ticket; the ServerHello "
		              "echoed it (%zu byte%s)%s",
		              sid_len, ticket_len, a->sid_len, a->sid_len == 1 ? "" : "s",
		              a->next == TB_NEXT_CCS ? ", session resumed" : "");
	else
		vuln_evidence(
		    v,
		    "sent a %zu-byte session ID with a %zu-byte ticket; the ServerHello "
		    "has a session ID of %zu bytes that is not an echo of ours%s",
		    sid_len, ticket_len, a->sid_len,
		    a->next == TB_NEXT_HANDSHAKE ? " (a full handshake: ticket not resumed)" : "");
}

/* ------------------------------------------------------ network part */

/* The server's best version from the verified handshake (wire value), 0
 * when there was none. */
static uint16_t best_version(const struct endpoint *ep)
{
	if (!ep->tls.done || ep->tls.version < P_SSLV3 || ep->tls.version > P_TLS13)
		return 0;
	return (uint16_t)(0x0300 + (ep->tls.version - P_SSLV3));
}

/* Offer order: what servers commonly take first (ECDHE, static RSA, then
 * DHE), so a server that follows the client's order picks one it can do.
 * Suites OpenSSL has a name for: what real servers implement. */
static size_t suites_for(uint16_t version, uint16_t first, uint16_t *out, size_t max)
{
	static const uint8_t kx_order[] = {KX_ECDHE, KX_RSA, KX_DHE};
	enum tls_proto p = (enum tls_proto)(P_SSLV3 + (version - 0x0300));
	size_t n = 0;
	if (first)
		out[n++] = first;
	for (size_t k = 0; k < ARRAY_LEN(kx_order); k++)
		for (size_t i = 0; i < reg_cipher_count() && n < max; i++) {
			const struct reg_cipher *c = reg_cipher_at(i);
			if (c->sslv2 || !c->openssl || c->kx_kind != kx_order[k] ||
			    (c->flags & (REG_ANON | REG_NULL_ENC | REG_EXPORT)) ||
			    !reg_cipher_usable(c, p) || c->code == first)
				continue;
			out[n++] = (uint16_t)c->code;
		}
	return n;
}

static int send_hello(struct conn *c, const struct hello_opts *ho, struct rawhs *h)
{
	struct buf out;
	int rc;
	buf_init(&out, 1 << 17);
	rc = h ? rawhs_hello(h, &out) : hello_build(&out, ho);
	if (rc == 0)
		rc = conn_write(c, out.data, out.len);
	buf_free(&out);
	return rc;
}

/* -- fallback-scsv */

struct fb_state {
	struct hs_own own;
	struct endpoint *ep;
	uint16_t best, sent;
	uint16_t suites[MAX_SUITES];
	struct raw_req req;
	struct rawhs *h;
	struct buf pend;
	int send_failed;
};

static int fb_start(void *arg, struct conn *c, struct ossl_sess *s)
{
	struct fb_state *st = arg;
	(void)s;
	if (send_hello(c, NULL, st->h) < 0) {
		st->send_failed = 1;
		return 1;
	}
	return 0;
}

static int fb_input(void *arg, struct conn *c, enum own_ev ev)
{
	struct fb_state *st = arg;
	if (ev == OWN_EOF) {
		(void)vp_feed_records(st->h, &st->pend, conn_input(c));
		(void)rawhs_eof(st->h);
		return 1;
	}
	if (ev != OWN_DATA)
		return 0; /* the read deadline still bounds the wait */
	return vp_feed_records(st->h, &st->pend, conn_input(c)) != RAW_PENDING;
}

static void fb_end(void *arg, const struct err *e, const struct dialogue *dlg)
{
	struct fb_state *st = arg;
	struct vuln *v = ep_vuln(st->ep, "fallback-scsv");
	(void)dlg;
	const struct raw_result *r = rawhs_result(st->h);
	const char *failure = e ? e->msg : NULL;
	if (st->send_failed)
		failure = "the hello could not be built or sent";
	vp_fallback_judge(v, st->best, st->sent, r, failure);
	rawhs_free(st->h);
	buf_free(&st->pend);
	free(st);
}

void vp_fallback_scsv(struct vscan *vs)
{
	struct endpoint *ep = vs->ep;
	struct vuln *v = ep_vuln(ep, "fallback-scsv");
	uint16_t best = best_version(ep);
	uint16_t sent = vp_fallback_version(best);

	if (!best) {
		vuln_set(v, VULN_UNKNOWN,
		         ep->tls.done
		             ? "the verified handshake's version is not known"
		             : "no verified handshake: the server's best version is unknown");
		return;
	}
	if (!sent) {
		char why[128];
		snprintf(why, sizeof why, "no protocol below %s", ver_name(best));
		vuln_set(v, VULN_NOT_APPLICABLE, why);
		return;
	}
	struct fb_state *st = xcalloc(1, sizeof(*st));
	st->ep = ep;
	st->best = best;
	st->sent = sent;
	struct hello_opts *ho = &st->req.ho;
	ho->version = sent;
	ho->ciphers = st->suites;
	ho->nciphers = suites_for(sent, 0, st->suites, MAX_SUITES);
	ho->sni = vs->base.sni;
	ho->flags = HF_FALLBACK_SCSV | HF_SNI | HF_EC_POINT_FORMATS | HF_RENEG_SCSV |
	            (sent == V_SSL3 ? HF_NO_EXTENSIONS : 0);
	st->h = rawhs_new(&st->req, rawhs_ske_kind);
	buf_init(&st->pend, ANSWER_MAX);
	st->own = (struct hs_own){.start = fb_start, .input = fb_input, .end = fb_end, .arg = st};
	struct hsprobe_params prm = vscan_params(vs, &st->own);
	vscan_launch(vs, v, &prm);
}

/* -- ticketbleed */

struct tb_state {
	struct hs_own own;
	struct endpoint *ep;
	uint8_t sid[TB_SID_LEN];
	uint8_t *ticket;
	size_t ticket_len;
	uint16_t suites[MAX_SUITES];
	struct hello_opts ho;
	struct rec_reader rec;
	struct tb_answer ans;
	int send_failed;
};

static int tb_start(void *arg, struct conn *c, struct ossl_sess *s)
{
	struct tb_state *st = arg;
	(void)s;
	if (send_hello(c, &st->ho, NULL) < 0) {
		st->send_failed = 1;
		return 1;
	}
	return 0;
}

static int tb_input(void *arg, struct conn *c, enum own_ev ev)
{
	struct tb_state *st = arg;
	if (ev == OWN_QUIET)
		return st->ans.outcome == RAW_HELLO; /* the ServerHello and nothing else */
	if (vp_tb_feed(&st->ans, &st->rec, conn_input(c)))
		return 1;
	if (ev == OWN_EOF && st->ans.outcome == RAW_PENDING)
		st->ans.outcome = RAW_CLOSED;
	return ev == OWN_EOF;
}

static void tb_end(void *arg, const struct err *e, const struct dialogue *dlg)
{
	struct tb_state *st = arg;
	struct vuln *v = ep_vuln(st->ep, "ticketbleed");
	(void)dlg;
	const char *failure = e ? e->msg : NULL;
	if (st->send_failed)
		failure = "the hello could not be built or sent";
	vp_ticketbleed_judge(v, st->sid, sizeof st->sid, st->ticket_len, &st->ans, failure);
	rec_free(&st->rec);
	free(st->ticket);
	free(st);
}

void vp_ticketbleed(struct vscan *vs, SSL_SESSION *with_ticket)
{
	struct endpoint *ep = vs->ep;
	struct vuln *v = ep_vuln(ep, "ticketbleed");
	const unsigned char *tick = NULL;
	size_t len = 0;
	int version = SSL_SESSION_get_protocol_version(with_ticket);
	const SSL_CIPHER *cipher = SSL_SESSION_get0_cipher(with_ticket);

	SSL_SESSION_get0_ticket(with_ticket, &tick, &len);
	if (!tick || len == 0) {
		vuln_set(v, VULN_NOT_APPLICABLE, "no session tickets");
		return;
	}
	if (version < V_TLS10 || version > V_TLS12 || !cipher) {
		vuln_set(v, VULN_UNKNOWN, "the ticket's session is not TLS 1.0-1.2");
		return;
	}
	struct tb_state *st = xcalloc(1, sizeof(*st));
	st->ep = ep;
	st->ticket = xmalloc(len);
	memcpy(st->ticket, tick, len);
	st->ticket_len = len;
	if (RAND_bytes(st->sid, sizeof st->sid) != 1)
		st->sid[0] = 0xA5;
	/* Resumption needs the session's suite offered (RFC 5077 3.4) and,
	 * when the session had it, extended master secret (RFC 7627 5.3):
	 * OpenSSL's hello offered it. */
	st->ho.version = (uint16_t)version;
	st->ho.ciphers = st->suites;
	st->ho.nciphers = suites_for((uint16_t)version, SSL_CIPHER_get_protocol_id(cipher),
	                             st->suites, MAX_SUITES);
	st->ho.sni = vs->base.sni;
	st->ho.flags = HF_SNI | HF_EC_POINT_FORMATS | HF_RENEG_INFO | HF_EMS | HF_SESSION_TICKET;
	st->ho.session_id = st->sid;
	st->ho.session_id_len = sizeof st->sid;
	st->ho.ticket = st->ticket;
	st->ho.ticket_len = st->ticket_len;
	rec_init(&st->rec, 0);
	st->own = (struct hs_own){.quiet_ms = TB_QUIET_MS,
	                          .start = tb_start,
	                          .input = tb_input,
	                          .end = tb_end,
	                          .arg = st};
	struct hsprobe_params prm = vscan_params(vs, &st->own);
	vscan_launch(vs, v, &prm);
}

void vp_ticketbleed_none(struct vscan *vs, enum vuln_verdict verdict, const char *reason)
{
	struct vuln *v = ep_vuln(vs->ep, "ticketbleed");
	if (v->verdict == VULN_UNSET)
		vuln_set(v, verdict, reason);
}
