/* vp_heartbleed.c - Heartbleed (CVE-2014-0160) and CCS injection
 * (CVE-2014-0224): one connection each, in the hsprobe's own mode before
 * TLS. Both send a raw TLS 1.2 ClientHello (the heartbeat extension
 * included), read the server's flight to its ServerHelloDone with the raw
 * engine (tls/rawhs), then send what a finished handshake would never
 * allow yet, and judge the answer with tls/early (the rules are there). */
#include "scan/vulnscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "tls/early.h"
#include "tls/registry.h"
#include "tls/wire.h"

/* The heartbeat request: one byte of payload, a claim of 16 KiB (testssl.sh
 * and the original exploit claim as much). */
#define HB_CLAIMED 0x4000
#define HB_PAYLOAD 1
/* The short wait for an answer (RFC 6520 4: an over-long request is
 * discarded silently, so silence is the safe answer): a fifth of the read
 * timeout, within these bounds. */
#define QUIET_MIN_MS 500
#define QUIET_MAX_MS 3000
#define MAX_SUITES 128 /* some servers refuse longer suite lists (enumerate.c) */

enum early_kind { EK_HEARTBLEED, EK_CCS };
enum early_phase {
	PH_HELLO,  /* reading the flight up to ServerHelloDone */
	PH_SENT,   /* our heartbeat request or early CCS is out */
	PH_SECOND, /* CCS: the second record is out */
	PH_DONE,   /* the verdict is in the model */
};

struct early_probe {
	enum early_kind kind;
	enum early_phase phase;
	struct endpoint *ep; /* outlives the probe; the entry is looked up by id */
	struct hs_own own;
	struct raw_req req;
	uint16_t suites[MAX_SUITES];
	struct rawhs *raw;
	struct early_reader rd;
	uint16_t version; /* negotiated */
	int hb_ext;       /* the ServerHello carried the heartbeat extension */
	int quiet_ms;
	char sent[160]; /* evidence: what we sent */
};

static const char *const kind_id[] = {"heartbleed", "ccs-injection"};

/* Offer order: what servers commonly take first (ECDHE, RSA, DHE), then
 * anonymous suites (mail servers take them), then the weak rest; never
 * the kinds that need a shared secret or a special setup (PSK, SRP, ...). */
static int suite_rank(const struct reg_cipher *c)
{
	int weak = (c->flags & (REG_EXPORT | REG_NULL_ENC | REG_DES)) || !c->openssl;
	switch (c->kx_kind) {
	case KX_ECDHE:
	case KX_DHE:
	case KX_RSA:
		break;
	case KX_DH_STATIC:
	case KX_ECDH_STATIC:
		return 4;
	default:
		return -1;
	}
	if (weak)
		return 4;
	if (c->flags & REG_ANON)
		return 3;
	return c->kx_kind == KX_ECDHE ? 0 : c->kx_kind == KX_RSA ? 1 : 2;
}

static size_t fill_suites(uint16_t *v, size_t max)
{
	size_t n = 0;
	for (int r = 0; r <= 4; r++) {
		for (size_t i = 0; i < reg_cipher_count() && n < max; i++) {
			const struct reg_cipher *c = reg_cipher_at(i);
			if (c->sslv2 || !reg_cipher_usable(c, P_TLS12) || suite_rank(c) != r ||
			    c->code == CS_EMPTY_RENEGOTIATION_INFO_SCSV ||
			    c->code == CS_FALLBACK_SCSV)
				continue;
			v[n++] = (uint16_t)c->code;
		}
	}
	return n;
}

/* "unexpected_message (10)", or the number alone for a value not in the
 * registry. */
static void alert_text(char *out, size_t n, int desc)
{
	const char *name = tls_alert_name(desc);
	if (name)
		snprintf(out, n, "%s (%d)", name, desc);
	else
		snprintf(out, n, "%d", desc);
}

/* The verdict, once: what we sent, then what we saw. */
static void verdict(struct early_probe *p, enum vuln_verdict vd, const char *reason,
                    const char *seen)
{
	struct vuln *v = ep_vuln(p->ep, kind_id[p->kind]);
	vuln_set(v, vd, reason);
	if (p->sent[0])
		vuln_evidence(v, "%s; %s", p->sent, seen);
	else
		vuln_evidence(v, "%s", seen);
	p->phase = PH_DONE;
}

static void fail_write(struct early_probe *p)
{
	verdict(p, VULN_UNKNOWN, "could not send the probe's record", "nothing seen");
}

static int start(void *arg, struct conn *c, struct ossl_sess *s)
{
	struct early_probe *p = arg;
	struct buf out;
	(void)s;
	buf_init(&out, 1 << 17);
	p->raw = rawhs_new(&p->req, rawhs_ske_kind);
	if (early_hello(&out, &p->req.ho) < 0 || conn_write(c, out.data, out.len) < 0) {
		buf_free(&out);
		verdict(p, VULN_UNKNOWN, "could not build or send the ClientHello", "nothing sent");
		return 1;
	}
	buf_free(&out);
	return 0;
}

/* The flight did not end in a ServerHelloDone: why, as a verdict. */
static void hello_failed(struct early_probe *p, enum raw_outcome o)
{
	const struct raw_result *r = rawhs_result(p->raw);
	char al[64], why[300];
	switch (o) {
	case RAW_ALERT:
		alert_text(al, sizeof al, r->alert_desc);
		snprintf(why, sizeof why, "a TLS 1.2 ClientHello was refused with alert %s", al);
		/* RFC 5246 E.1: protocol_version is the refusal of every
		 * version we offered (a TLS 1.3-only server says it). */
		if (r->alert_desc == TLS_ALERT_PROTOCOL_VERSION)
			verdict(p, VULN_NOT_APPLICABLE, "no TLS 1.2 or lower", why);
		else
			verdict(p, VULN_UNKNOWN, why, why);
		return;
	case RAW_CLOSED:
		verdict(p, VULN_UNKNOWN, "the server closed the connection after our ClientHello",
		        "a TLS 1.2 ClientHello; the connection closed without an answer");
		return;
	case RAW_BAD:
		snprintf(why, sizeof why, "the answer to the ClientHello is not TLS: %s", r->why);
		verdict(p, VULN_UNKNOWN, why, why);
		return;
	default:
		break;
	}
	if (r->alert_after_hello) {
		alert_text(al, sizeof al, r->alert_desc);
		snprintf(why, sizeof why, "alert %s after the ServerHello, before ServerHelloDone",
		         al);
		verdict(p, VULN_UNKNOWN, why, why);
		return;
	}
	snprintf(why, sizeof why, "the server chose %s to a TLS 1.2 ClientHello",
	         tls_wire_name(r->sh.version));
	verdict(p, VULN_UNKNOWN, why, why);
}

/* The flight is complete: send the record the probe is about. */
static int send_early(struct early_probe *p, struct conn *c)
{
	const struct raw_result *r = rawhs_result(p->raw);
	static const uint8_t payload[HB_PAYLOAD] = {0x42};
	struct buf out;
	int rc;

	p->version = r->sh.version;
	for (size_t i = 0; i < r->sh.nexts; i++)
		if (r->sh.exts[i] == EXT_HEARTBEAT)
			p->hb_ext = 1;
	buf_init(&out, 64);
	if (p->kind == EK_HEARTBLEED) {
		rc = early_heartbeat(&out, p->version, HB_CLAIMED, payload, sizeof payload);
		early_init(&p->rd, 3 + sizeof payload);
		snprintf(p->sent, sizeof p->sent,
		         "sent a heartbeat request claiming %d bytes with %d byte of payload after "
		         "the ServerHelloDone (%s%s)",
		         HB_CLAIMED, HB_PAYLOAD, tls_wire_name(p->version),
		         p->hb_ext ? ", heartbeat extension in the ServerHello"
		                   : ", no heartbeat extension in the ServerHello");
	} else {
		rc = early_ccs(&out, p->version);
		early_init(&p->rd, 0);
		snprintf(p->sent, sizeof p->sent,
		         "sent a ChangeCipherSpec after the ServerHelloDone, before any key "
		         "exchange (%s)",
		         tls_wire_name(p->version));
	}
	if (rc == 0)
		rc = conn_write(c, out.data, out.len);
	buf_free(&out);
	if (rc < 0)
		return -1;
	p->phase = PH_SENT;
	return 0;
}

static void judge_heartbleed(struct early_probe *p, enum early_hb h)
{
	const struct early_reader *r = &p->rd;
	char seen[256], al[64];
	struct vuln *v;
	switch (h) {
	case EHB_WAIT:
		return;
	case EHB_LEAK:
		snprintf(seen, sizeof seen,
		         "got %zu bytes of heartbeat back (claiming %u bytes of payload): "
		         "server memory",
		         r->hb_bytes, (unsigned)r->hb_claimed);
		verdict(p, VULN_VULNERABLE, NULL, seen);
		v = ep_vuln(p->ep, kind_id[p->kind]);
		v->nleak = r->nleak < VULN_LEAK_SHOWN ? r->nleak : VULN_LEAK_SHOWN;
		memcpy(v->leak, r->leak, v->nleak);
		return;
	case EHB_ECHO:
		snprintf(seen, sizeof seen,
		         "got a heartbeat answer of %zu bytes claiming %u bytes: no more than we "
		         "sent",
		         r->hb_bytes, (unsigned)r->hb_claimed);
		verdict(p, VULN_NOT_VULNERABLE, NULL, seen);
		return;
	case EHB_ALERT:
		alert_text(al, sizeof al, r->alert);
		snprintf(seen, sizeof seen, "the server answered with alert %s", al);
		verdict(p, VULN_NOT_VULNERABLE, NULL, seen);
		return;
	case EHB_CLOSED:
		verdict(p, VULN_NOT_VULNERABLE, NULL, "the server closed the connection");
		return;
	case EHB_SILENT:
		snprintf(seen, sizeof seen,
		         "no answer within %d ms (discarded, as RFC 6520 section 4 requires)",
		         p->quiet_ms);
		verdict(p, VULN_NOT_VULNERABLE, NULL, seen);
		return;
	case EHB_BAD:
		snprintf(seen, sizeof seen, "the answer is not TLS: %s", r->why);
		verdict(p, VULN_UNKNOWN, seen, seen);
		return;
	}
}

/* CCS injection; the rule is early_ccs_step's (tls/early.c). */
static int judge_ccs(struct early_probe *p, struct conn *c, enum early_ccs s, enum early_ev ev)
{
	const struct early_reader *r = &p->rd;
	int second = p->phase == PH_SECOND;
	char seen[256], al[64], first[96];
	struct buf out;

	alert_text(al, sizeof al, r->alert);
	snprintf(first, sizeof first, "no answer within %d ms, then a second CCS", p->quiet_ms);
	switch (s) {
	case ECCS_WAIT:
		return 0;
	case ECCS_SECOND:
		buf_init(&out, 16);
		if (early_ccs(&out, p->version) < 0 || conn_write(c, out.data, out.len) < 0) {
			buf_free(&out);
			fail_write(p);
			return 1;
		}
		buf_free(&out);
		p->phase = PH_SECOND;
		return 0;
	case ECCS_VULNERABLE:
		snprintf(seen, sizeof seen,
		         "%s: alert %s, so the early CCS had switched on keys from an empty "
		         "master secret",
		         first, al);
		verdict(p, VULN_VULNERABLE, NULL, seen);
		return 1;
	case ECCS_REJECTED:
		if (r->alert < 0)
			snprintf(seen, sizeof seen, "the server closed the connection");
		else if (second)
			snprintf(seen, sizeof seen, "%s: alert %s (refused, late)", first, al);
		else
			snprintf(seen, sizeof seen, "the server refused it with alert %s", al);
		verdict(p, VULN_NOT_VULNERABLE, NULL, seen);
		return 1;
	case ECCS_UNKNOWN:
		break;
	}
	if (r->bad)
		snprintf(seen, sizeof seen, "the answer is not TLS: %s", r->why);
	else if (r->alert >= 0 && !second)
		snprintf(seen, sizeof seen, "alert %s to the CCS alone", al);
	else if (r->alert >= 0)
		snprintf(seen, sizeof seen, "%s: alert %s, neither the refusal nor the MAC failure",
		         first, al);
	else if (ev == EARLY_EOF)
		snprintf(seen, sizeof seen, "%s: the connection closed without an alert", first);
	else
		snprintf(seen, sizeof seen, "%s: no answer to either within %d ms each", first,
		         p->quiet_ms);
	verdict(p, VULN_UNKNOWN, seen, seen);
	return 1;
}

static int input(void *arg, struct conn *c, enum own_ev ev)
{
	struct early_probe *p = arg;
	struct buf *in = conn_input(c);

	if (p->phase == PH_DONE)
		return 1;
	if (p->phase == PH_HELLO) {
		if (ev == OWN_QUIET)
			return 0; /* a slow flight: the read timeout bounds it */
		enum raw_outcome o = rawhs_feed(p->raw, in);
		if (o == RAW_PENDING && ev == OWN_EOF)
			o = rawhs_eof(p->raw);
		if (o == RAW_PENDING)
			return 0;
		const struct raw_result *r = rawhs_result(p->raw);
		if (o != RAW_HELLO || !r->done_msg || r->alert_after_hello || r->sslv2 ||
		    r->sh.version > V_TLS12 || r->sh.version < V_SSL3) {
			hello_failed(p, o);
			return 1;
		}
		if (ev == OWN_EOF) {
			/* closed with its flight: not an answer to our record */
			verdict(p, VULN_UNKNOWN,
			        "the server closed the connection right after its ServerHelloDone",
			        "the connection closed before our record was sent");
			return 1;
		}
		if (send_early(p, c) < 0) {
			fail_write(p);
			return 1;
		}
		if (in->len == 0)
			return 0;
		ev = OWN_DATA;
	}
	if (early_feed(&p->rd, in) < 0)
		ev = OWN_EOF; /* not TLS: rd.bad decides, whatever else came */
	enum early_ev eev = ev == OWN_DATA ? EARLY_DATA : ev == OWN_EOF ? EARLY_EOF : EARLY_QUIET;
	if (p->kind == EK_HEARTBLEED) {
		judge_heartbleed(p, early_heartbleed(&p->rd, eev));
		return p->phase == PH_DONE;
	}
	return judge_ccs(p, c, early_ccs_step(&p->rd, p->phase == PH_SECOND, eev), eev);
}

static void end(void *arg, const struct err *e, const struct dialogue *dlg)
{
	struct early_probe *p = arg;
	char why[600];
	(void)dlg;
	if (p->phase != PH_DONE) {
		/* A leak that was still coming in when a deadline passed is
		 * a leak all the same. */
		if (p->kind == EK_HEARTBLEED && p->phase == PH_SENT &&
		    early_heartbleed(&p->rd, EARLY_QUIET) == EHB_LEAK) {
			judge_heartbleed(p, EHB_LEAK);
		} else {
			const char *stage = p->phase == PH_HELLO ? "before the ServerHelloDone"
			                                         : "waiting for the answer";
			snprintf(why, sizeof why, "%s: %s", stage,
			         e ? e->msg : "the probe ended without an answer");
			verdict(p, VULN_UNKNOWN, why, why);
		}
	}
	rawhs_free(p->raw);
	free(p);
}

static void launch(struct vscan *vs, enum early_kind kind)
{
	struct early_probe *p = xcalloc(1, sizeof(*p));
	struct vuln *v = ep_vuln(vs->ep, kind_id[kind]);
	int read_ms = vs->base.lim.read_ms;

	p->kind = kind;
	p->ep = vs->ep;
	p->quiet_ms = read_ms > 0 ? read_ms / 5 : QUIET_MAX_MS;
	if (p->quiet_ms < QUIET_MIN_MS)
		p->quiet_ms = QUIET_MIN_MS;
	if (p->quiet_ms > QUIET_MAX_MS)
		p->quiet_ms = QUIET_MAX_MS;
	struct hello_opts *o = &p->req.ho;
	o->version = V_TLS12;
	o->ciphers = p->suites;
	o->nciphers = fill_suites(p->suites, MAX_SUITES);
	o->sni = vs->base.sni;
	o->flags = HF_SNI | HF_EC_POINT_FORMATS | HF_RENEG_INFO | HF_EMS | HF_SESSION_TICKET;
	p->own.after_tls = 0;
	p->own.quiet_ms = p->quiet_ms;
	p->own.start = start;
	p->own.input = input;
	p->own.end = end;
	p->own.arg = p;
	struct hsprobe_params prm = vscan_params(vs, &p->own);
	vscan_launch(vs, v, &prm);
}

void vp_heartbleed(struct vscan *vs)
{
	launch(vs, EK_HEARTBLEED);
}

void vp_ccs_injection(struct vscan *vs)
{
	launch(vs, EK_CCS);
}
