/* vp_starttls.c - STARTTLS command injection (starttls-injection: the
 * Postfix CVE-2011-0411 class, "NO STARTTLS", USENIX Security 2021) and
 * STARTTLS inside TLS (starttls-in-tls). One connection each, in own mode
 * after a verified handshake; the decisions are proto/stattack.c's, this
 * file frames the lines, sends what the machine says and fills the entry.
 * The clear-text pipelining check (pipelined-after-starttls, the server's
 * side) is checks/vulns.c's from the dialogue: not repeated here. */
#include "scan/vulnscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "net/lines.h"
#include "proto/stattack.h"
#include "tls/hello.h"

#define QUIET_MS 1500
#define MAX_LINE 4096
/* More lines than any answer here needs (an EHLO list, ManageSieve's
 * capabilities): a server that talks on is stopped. */
#define MAX_LINES 1000

struct stprobe {
	struct endpoint *ep;
	const char *id;
	enum atk_kind kind;
	struct hs_own own;
	struct atk k;
	const struct dlg_proto *p; /* NULL: implicit TLS, named by its greeting */
	int implicit;
	int started;
	size_t lines;
	char ehlo[256];
	char fail[ATK_TEXT]; /* the probe's own failure (a line too long, ...) */
};

static int quiet_ms(const struct vscan *vs)
{
	int ms = vs->base.lim.read_ms / 4;
	return ms > 0 && ms < QUIET_MS ? ms : QUIET_MS;
}

/* A ClientHello inside TLS: TLS 1.2, the usual suites. */
static int send_client_hello(struct conn *c)
{
	static const uint16_t suites[] = {0xc02f, 0xc030, 0xc02b, 0xc02c, 0x009e,
	                                  0x009c, 0xc013, 0xc014, 0x002f, 0x0035};
	struct hello_opts o = {
	    .version = V_TLS12,
	    .ciphers = suites,
	    .nciphers = ARRAY_LEN(suites),
	    .flags = HF_EC_POINT_FORMATS | HF_RENEG_SCSV,
	};
	struct buf out;
	buf_init(&out, 1 << 16);
	int rc = hello_build(&out, &o) < 0 || conn_write(c, out.data, out.len) < 0 ? -1 : 0;
	buf_free(&out);
	return rc;
}

/* Do what the machine said: 1 when the probe is done. */
static int act(struct stprobe *st, struct conn *c, enum atk_do d)
{
	switch (d) {
	case ATK_WAIT:
		return 0;
	case ATK_SEND:
		if (conn_write(c, st->k.out, strlen(st->k.out)) < 0 ||
		    conn_write(c, "\r\n", 2) < 0) {
			snprintf(st->fail, sizeof st->fail, "cannot send inside TLS");
			return 1;
		}
		return 0;
	case ATK_CLIENT_HELLO:
		if (send_client_hello(c) < 0) {
			snprintf(st->fail, sizeof st->fail, "cannot build or send the ClientHello");
			return 1;
		}
		return 0;
	case ATK_DONE:
		break;
	}
	return 1;
}

static int start(void *arg, struct conn *c, struct ossl_sess *s)
{
	struct stprobe *st = arg;
	st->started = 1;
	if (!st->p)
		return 0; /* implicit TLS: the greeting names the protocol */
	return act(st, c, atk_start(&st->k, st->implicit));
}

/* Implicit TLS on a port no protocol claims: the greeting's. */
static int name_protocol(struct stprobe *st, struct conn *c, const char *line)
{
	st->p = dlg_proto_by_greeting(line, st->ep->port);
	if (!st->p || !st->p->attack) {
		snprintf(st->fail, sizeof st->fail,
		         "the greeting inside TLS fits no line-based STARTTLS protocol");
		st->k.verdict = VULN_NOT_APPLICABLE;
		return 1;
	}
	atk_init(&st->k, st->p->attack, st->kind, st->ehlo, st->k.quiet_ms);
	return act(st, c, atk_start(&st->k, 1));
}

/* Every complete line (or TLS record) that has arrived: 1 when done. */
static int feed(struct stprobe *st, struct conn *c)
{
	struct buf *in = conn_input(c);
	for (;;) {
		if (st->p && atk_wants_record(&st->k) && in->len >= 2 && in->data[0] >= 20 &&
		    in->data[0] <= 24 && in->data[1] == 3)
			return act(st, c, atk_tls_record(&st->k, in->data[0]));
		struct line l;
		switch (line_peek(in, MAX_LINE, &l)) {
		case LINE_NEED_MORE:
			return 0;
		case LINE_TOO_LONG:
			snprintf(st->fail, sizeof st->fail,
			         "a line longer than %d bytes inside TLS", MAX_LINE);
			return 1;
		case LINE_OK:
			break;
		}
		if (++st->lines > MAX_LINES) {
			snprintf(st->fail, sizeof st->fail, "more than %d lines inside TLS",
			         MAX_LINES);
			return 1;
		}
		char *text = xstrndup(l.text, l.len);
		buf_consume(in, l.wire_len);
		int rc = !st->p ? name_protocol(st, c, text) : 0;
		if (!rc && st->p)
			rc = act(st, c, atk_line(&st->k, text));
		free(text);
		if (rc || st->fail[0])
			return 1;
		if (st->k.verdict != VULN_UNSET)
			return 1;
	}
}

static int input(void *arg, struct conn *c, enum own_ev ev)
{
	struct stprobe *st = arg;
	if (feed(st, c))
		return 1;
	if (!st->p && ev == OWN_QUIET) {
		/* Mail protocols greet at once; waiting on would hold a server
		 * that serves one connection at a time (HTTPS, say) for the whole
		 * read deadline. Unknown, not safe: it may be a slow greeter. */
		snprintf(st->fail, sizeof st->fail,
		         "no greeting inside TLS within %d ms: not a server-first mail protocol, "
		         "or a slow one",
		         st->own.quiet_ms);
		return 1;
	}
	if (!st->p)
		return ev == OWN_EOF; /* no greeting yet */
	if (ev == OWN_QUIET)
		return act(st, c, atk_quiet(&st->k));
	if (ev == OWN_EOF)
		return act(st, c, atk_eof(&st->k));
	return 0;
}

static void end(void *arg, const struct err *e, const struct dialogue *dlg)
{
	struct stprobe *st = arg;
	struct vuln *v = ep_vuln(st->ep, st->id);
	if (st->fail[0]) {
		vuln_set(v,
		         st->k.verdict == VULN_NOT_APPLICABLE ? VULN_NOT_APPLICABLE : VULN_UNKNOWN,
		         st->fail);
	} else if (!st->started) {
		int go = dlg && dlg->starttls_ok;
		atk_no_tls(&st->k, go, dlg ? dlg->starttls_reply : NULL,
		           go && e && (e->cat == ERR_TLS || e->cat == ERR_IO), e ? e->msg : NULL);
	} else if (!st->p) {
		vuln_set(v, VULN_UNKNOWN, e ? e->msg : "the server closed before its greeting");
		vuln_evidence(v, "no greeting inside TLS");
		free(st);
		return;
	} else if (st->k.verdict == VULN_UNSET) {
		atk_no_tls(&st->k, 1, NULL, 0, e ? e->msg : "the probe ended early");
	}
	if (!st->fail[0]) {
		vuln_set(v, st->k.verdict, st->k.reason[0] ? st->k.reason : NULL);
		if (dlg && dlg->pipelined_bytes)
			vuln_evidence(v, "%s; %zu bytes came in clear text after the go-ahead",
			              st->k.evidence, dlg->pipelined_bytes);
		else if (st->k.evidence[0])
			vuln_evidence(v, "%s", st->k.evidence);
	}
	free(st);
}

static void launch(struct vscan *vs, struct vuln *v, const char *id, enum atk_kind kind,
                   const struct dlg_proto *p, int implicit)
{
	struct stprobe *st = xcalloc(1, sizeof(*st));
	st->ep = vs->ep;
	st->id = id;
	st->kind = kind;
	st->p = p;
	st->implicit = implicit;
	snprintf(st->ehlo, sizeof st->ehlo, "%s",
	         vs->base.dlg.ehlo_name ? vs->base.dlg.ehlo_name : "localhost");
	st->own = (struct hs_own){.after_tls = 1,
	                          .quiet_ms = quiet_ms(vs),
	                          .start = start,
	                          .input = input,
	                          .end = end,
	                          .arg = st};
	/* A protocol not known yet (implicit TLS) gets its machine later;
	 * the quiet time is kept for it. */
	atk_init(&st->k, p ? p->attack : NULL, kind, st->ehlo, st->own.quiet_ms);
	st->k.baseline = vs->ep->tls.done && vs->ep->dlg.starttls_ok;
	struct hsprobe_params prm = vscan_params(vs, &st->own);
	prm.dlg.inject = kind == ATK_INJECTION;
	vscan_launch(vs, v, &prm);
}

/* The endpoint's STARTTLS protocol, or a reason to set instead. */
static const struct dlg_proto *starttls_proto(struct vscan *vs, struct vuln *v)
{
	const struct dlg_proto *p = vs->base.proto;
	if (!p) {
		vuln_set(v, VULN_UNKNOWN, "the endpoint's STARTTLS protocol is not known");
		return NULL;
	}
	if (!p->attack) {
		vuln_set(v, VULN_NOT_APPLICABLE, "binary/XML protocol: no command pipelining test");
		return NULL;
	}
	if (!vs->ep->dlg.starttls_ok) {
		vuln_set(v, VULN_NOT_APPLICABLE, "no STARTTLS go-ahead in this run");
		return NULL;
	}
	if (!vs->ep->tls.done) {
		vuln_set(v, VULN_UNKNOWN, "the STARTTLS handshake did not complete in this run");
		return NULL;
	}
	return p;
}

void vp_starttls_injection(struct vscan *vs)
{
	if (vs->ep->mode != MODE_STARTTLS)
		return; /* checks/vulns.c: not applicable on implicit TLS */
	struct vuln *v = ep_vuln(vs->ep, "starttls-injection");
	const struct dlg_proto *p = starttls_proto(vs, v);
	if (p)
		launch(vs, v, "starttls-injection", ATK_INJECTION, p, 0);
}

void vp_starttls_in_tls(struct vscan *vs)
{
	struct vuln *v = ep_vuln(vs->ep, "starttls-in-tls");
	if (vs->ep->mode == MODE_STARTTLS) {
		const struct dlg_proto *p = starttls_proto(vs, v);
		if (p)
			launch(vs, v, "starttls-in-tls", ATK_IN_TLS, p, 0);
		return;
	}
	if (!vs->ep->tls.done) {
		vuln_set(v, VULN_UNKNOWN, "no TLS handshake completed in this run");
		return;
	}
	int implicit = 0;
	const struct dlg_proto *p = dlg_proto_by_port(vs->ep->port, &implicit);
	if (p && implicit && !p->attack) {
		vuln_set(v, VULN_NOT_APPLICABLE,
		         "binary/XML protocol: no STARTTLS command to repeat");
		return;
	}
	launch(vs, v, "starttls-in-tls", ATK_IN_TLS, p && implicit ? p : NULL, 1);
}
