/* tlsaux.c - auxiliary verified handshakes. Each is an hsprobe in aux
 * mode; the resumption checks are pairs (the second offers the first's
 * session), so they chain from the first's callback. */
#include "scan/tlsaux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/log.h"
#include "core/mem.h"
#include "scan/tlsdesc.h"
#include "scan/vp_fallback.h"

enum aux_kind { AUX_ALT_CERT, AUX_RESUME_ID, AUX_RESUME_TICKET, AUX_RENEG, AUX_DANE, AUX_COUNT };

struct aux_step {
	struct tlsaux *a;
	enum aux_kind kind;
	int second;            /* resumption: the handshake offering the session */
	SSL_SESSION *session;  /* resumption: what the first one got */
	int has_ticket;
};

struct tlsaux {
	struct sched *sched;
	struct sched_host *host;
	struct endpoint *ep;
	struct dns_addr addr;
	struct hsprobe_params base;
	struct aux_step steps[AUX_COUNT];
	struct vscan *vs;
	enum cert_chain alt_label;
};

/* Signature algorithms that make a server pick one certificate type. */
static const char ecdsa_sigalgs[] = "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512";
static const char rsa_sigalgs[] = "RSA-PSS+SHA256:RSA-PSS+SHA384:RSA-PSS+SHA512:"
				  "rsa_pss_pss_sha256:RSA+SHA256:RSA+SHA384:RSA+SHA512:RSA+SHA1";

static void on_tls(void *arg, struct ossl_sess *s, const struct err *e, int reneg_ok);

static void launch(struct aux_step *st)
{
	struct tlsaux *a = st->a;
	struct hsprobe_params prm = hsprobe_params_base(&a->base);
	prm.on_tls = on_tls;
	prm.tls_arg = st;
	switch (st->kind) {
	case AUX_ALT_CERT:
		prm.sess_opts.cipher_list = a->alt_label == CHAIN_ECDSA ? "aECDSA" : "aRSA";
		prm.sess_opts.sigalgs =
			a->alt_label == CHAIN_ECDSA ? ecdsa_sigalgs : rsa_sigalgs;
		break;
	case AUX_RESUME_ID:
	case AUX_RESUME_TICKET:
		prm.sess_opts.max_version = TLS1_2_VERSION;
		prm.sess_opts.no_ticket = st->kind == AUX_RESUME_ID;
		prm.sess_opts.resume = st->second ? st->session : NULL;
		break;
	case AUX_RENEG:
		prm.sess_opts.max_version = TLS1_2_VERSION;
		prm.reneg = 1;
		break;
	case AUX_DANE:
		/* The name check is DANE's (DANE-TA against the MX name). */
		prm.verify_name = NULL;
		prm.sess_opts.dane_base = a->base.dane_base;
		prm.sess_opts.tlsa = a->base.tlsa;
		prm.sess_opts.ntlsa = a->base.ntlsa;
		break;
	case AUX_COUNT:
		return;
	}
	sched_add(a->sched, a->host, hsprobe_new(a->ep, &a->addr, &prm));
}

static void on_tls(void *arg, struct ossl_sess *s, const struct err *e, int reneg_ok)
{
	struct aux_step *st = arg;
	struct tlsaux *a = st->a;
	struct endpoint *ep = a->ep;
	static const char *const names[] = {"other certificate", "resumption by ID",
					    "resumption by ticket", "renegotiation", "DANE"};
	if (e)
		log_info("%s: %s check: %s", ep->host, names[st->kind], e->msg);

	/* The main handshake may have been TLS 1.3, where RFC 5746 does not
	 * apply; a TLS 1.2 one here tells. */
	if (s && ep->tls.secure_reneg < 0)
		ep->tls.secure_reneg = ossl_sess_secure_reneg(s);
	switch (st->kind) {
	case AUX_ALT_CERT:
		if (s)
			(void)tlsdesc_chain(s, ep, a->alt_label);
		break;
	case AUX_RESUME_ID:
	case AUX_RESUME_TICKET: {
		int *out = st->kind == AUX_RESUME_ID ? &ep->resume_id : &ep->resume_ticket;
		int ticket_first = st->kind == AUX_RESUME_TICKET && !st->second && a->vs;
		if (!s) {
			/* unknown: no TLS 1.2 handshake */
			if (ticket_first) {
				char why[600];
				snprintf(why, sizeof why,
				         "no TLS 1.2 handshake to get a ticket: %s",
				         e ? e->msg : "failed");
				vp_ticketbleed_none(a->vs, VULN_UNKNOWN, why);
			}
			break;
		}
		if (!st->second) {
			st->has_ticket = ossl_sess_has_ticket(s);
			if (st->has_ticket)
				ep->defaults.ticket_lifetime_s = ossl_sess_ticket_lifetime(s);
			if (st->kind == AUX_RESUME_TICKET && !st->has_ticket) {
				*out = 0; /* no ticket issued: nothing to resume */
				if (ticket_first)
					vp_ticketbleed_none(a->vs, VULN_NOT_APPLICABLE,
					                    "no session tickets");
				break;
			}
			st->session = ossl_sess_get1_session(s);
			if (st->kind == AUX_RESUME_TICKET && a->vs)
				vp_ticketbleed(a->vs, st->session);
			st->second = 1;
			launch(st);
			break;
		}
		*out = ossl_sess_reused(s);
		break;
	}
	case AUX_RENEG:
		if (s)
			ep->client_reneg = reneg_ok;
		break;
	case AUX_DANE: {
		char msg[600];
		if (s) {
			ep->dane.checked = 1;
			ep->dane.ok = ossl_sess_dane_result(s, &ep->dane.usage, &ep->dane.selector,
							    &ep->dane.mtype, &ep->dane.depth, msg,
							    sizeof msg);
		} else {
			/* No handshake (a close, a timeout, throttling): the TLSA
			 * match is unknown, not a mismatch. */
			ep->dane.checked = 0;
			ep->dane.ok = 0;
			snprintf(msg, sizeof msg, "no DANE handshake: %s", e ? e->msg : "failed");
		}
		str_set(&ep->dane.message, msg);
		break;
	}
	case AUX_COUNT:
		break;
	}
}

struct tlsaux *tlsaux_start(struct sched *s, struct sched_host *h, struct endpoint *ep,
			    const struct dns_addr *addr, const struct hsprobe_params *base,
			    int dane_only, struct vscan *vs)
{
	struct tlsaux *a = xcalloc(1, sizeof(*a));
	a->sched = s;
	a->host = h;
	a->ep = ep;
	a->addr = *addr;
	a->base = *base;
	a->vs = vs;
	/* Look for the other kind of certificate than the one we got. */
	a->alt_label =
	    ep->ncerts && ep->certs[0].key_type == KEY_TYPE_EC ? CHAIN_RSA : CHAIN_ECDSA;
	for (int k = 0; k < AUX_COUNT; k++) {
		a->steps[k].a = a;
		a->steps[k].kind = (enum aux_kind)k;
		if (k == AUX_DANE ? base->ntlsa > 0 : !dane_only)
			launch(&a->steps[k]);
	}
	return a;
}

void tlsaux_free(struct tlsaux *a)
{
	if (!a)
		return;
	for (int k = 0; k < AUX_COUNT; k++)
		ossl_session_free(a->steps[k].session);
	free(a);
}
