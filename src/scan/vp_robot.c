/* vp_robot.c - ROBOT: one RSA-only handshake per PKCS#1 v1.5 block
 * (tls/robot.h builds the blocks, reads the answers and decides). The
 * conforming block goes first and alone: it tells whether the server takes
 * RSA key exchange at all (1 connection when it does not); then the four
 * malformed blocks (5 in all); a difference is measured once more on both
 * sides (7); a handshake that failed before ServerHelloDone is tried once
 * more. */
#include "scan/vulnscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "tls/hello.h"
#include "tls/registry.h"
#include "tls/robot.h"

#define OUT_MAX (1 << 16)

struct robot_run {
	struct vscan *vs; /* the entry is looked up each time: other probes
	                     add entries, and the array moves */
	struct robot_obs obs;
	int pending;
	int have_first;
	struct robot_info first; /* the first handshake that reached ServerHelloDone */
};

struct robot_try {
	struct robot_run *run;
	enum robot_case c;
	struct robot_conn *rc;
	struct hs_own own;
	struct buf out;
};

static void launch(struct robot_run *run, enum robot_case c);

static struct vuln *entry(const struct robot_run *run)
{
	return ep_vuln(run->vs->ep, "robot");
}

static int try_start(void *arg, struct conn *c, struct ossl_sess *s)
{
	struct robot_try *t = arg;
	(void)s;
	buf_reset(&t->out);
	if (robot_conn_hello(t->rc, t->run->vs->base.sni, &t->out) < 0 ||
	    conn_write(c, t->out.data, t->out.len) < 0) {
		robot_conn_stop(t->rc, 0, "cannot build or send the ClientHello");
		return 1;
	}
	buf_reset(&t->out);
	return 0;
}

static int try_input(void *arg, struct conn *c, enum own_ev ev)
{
	struct robot_try *t = arg;
	if (ev == OWN_EOF) {
		robot_conn_eof(t->rc);
		return 1;
	}
	if (ev != OWN_DATA)
		return 0;
	enum robot_step st = robot_conn_feed(t->rc, conn_input(c), &t->out);
	if (t->out.len) {
		if (conn_write(c, t->out.data, t->out.len) < 0) {
			robot_conn_stop(t->rc, 0, "cannot send the ClientKeyExchange");
			return 1;
		}
		buf_reset(&t->out);
	}
	return st == ROBOT_DONE;
}

/* "TLSv1.2, TLS_RSA_WITH_AES_256_GCM_SHA384, RSA 2048 bits" */
static void context(const struct robot_run *run, char *out, size_t n)
{
	const struct reg_cipher *rc = reg_cipher_find(run->first.suite, 0);
	char suite[16];
	snprintf(suite, sizeof suite, "0x%04X", run->first.suite);
	snprintf(out, n, "%s, %s, RSA %d bits", tls_wire_name(run->first.version),
	         rc ? reg_cipher_name(rc) : suite, run->first.key_bits);
}

/* "correct: alert bad_record_mac (20); wrong first bytes: ..." */
static void answers(const struct robot_run *run, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (int c = 0; c < ROBOT_NCASES; c++) {
		char a[64] = "no answer";
		for (int t = 0; t < run->obs.n[c]; t++) {
			if (run->obs.r[c][t].kind >= ROBOT_R_ALERT) {
				robot_resp_str(&run->obs.r[c][t], a, sizeof a);
				break;
			}
		}
		int w =
		    snprintf(out + len, n - len, "%s%s: %s", c ? "; " : "", robot_case_name(c), a);
		if (w < 0 || (size_t)w >= n - len)
			return;
		len += (size_t)w;
	}
}

static void conclude(struct robot_run *run, const struct robot_decision *d)
{
	struct vuln *v = entry(run);
	char ctx[160], ans[400], g[64];
	context(run, ctx, sizeof ctx);
	answers(run, ans, sizeof ans);
	switch (d->v) {
	case ROBOT_V_NA:
		vuln_set(v, VULN_NOT_APPLICABLE, d->why);
		robot_resp_str(&run->obs.r[ROBOT_GOOD][run->obs.n[ROBOT_GOOD] - 1], g, sizeof g);
		vuln_evidence(v, "a TLS 1.2 ClientHello offering only TLS_RSA suites got %s", g);
		break;
	case ROBOT_V_NONE:
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		robot_resp_str(&run->obs.r[ROBOT_GOOD][0], g, sizeof g);
		vuln_evidence(v,
		              "5 ClientKeyExchange blocks (1 PKCS#1-conforming, 4 malformed) with "
		              "ChangeCipherSpec and Finished, %s: every one answered %s",
		              ctx, g);
		break;
	case ROBOT_V_WEAK:
	case ROBOT_V_STRONG:
		vuln_set(v, VULN_VULNERABLE, NULL);
		v->weak = d->v == ROBOT_V_WEAK;
		vuln_evidence(v,
		              "%s oracle: the \"%s\" block is answered unlike the correct one "
		              "(both measured twice); %s (%s)",
		              d->v == ROBOT_V_WEAK ? "weak" : "strong", robot_case_name(d->odd),
		              ans, ctx);
		break;
	case ROBOT_V_UNKNOWN:
		vuln_set(v, VULN_UNKNOWN, d->why);
		if (run->have_first)
			vuln_evidence(v, "%s (%s)", ans, ctx);
		break;
	case ROBOT_V_MORE:
		vuln_set(v, VULN_UNKNOWN, "internal: nothing left to measure");
		break;
	}
}

/* Decide; launch what is still to measure. A cancelled run (--scan-timeout)
 * ends probes inside vscan_launch: the hold keeps the run alive meanwhile. */
static void next(struct robot_run *run)
{
	for (;;) {
		struct robot_decision d;
		robot_decide(&run->obs, &d);
		if (d.v != ROBOT_V_MORE || !d.again) {
			conclude(run, &d);
			free(run);
			return;
		}
		/* Every connection of this server is slow (the enumeration
		 * found so and asked each version once): the 4 to 6 more
		 * connections are not spent, as with the enumeration. */
		const struct endpoint *ep = run->vs->ep;
		if (ep->scaled_down_ms > 0 && !run->vs->patient) {
			struct vuln *v = entry(run);
			char why[200];
			snprintf(why, sizeof why,
			         "not measured: every connection takes about %.1f s, and ROBOT "
			         "needs 5 to 7 (--patient runs it)",
			         ep->scaled_down_ms / 1000.0);
			vuln_set(v, VULN_UNKNOWN, why);
			free(run);
			return;
		}
		run->pending++;
		for (int c = 0; c < ROBOT_NCASES; c++)
			if (d.again & (1u << c))
				launch(run, (enum robot_case)c);
		if (--run->pending > 0)
			return;
	}
}

static void try_end(void *arg, const struct err *e, const struct dialogue *dlg)
{
	struct robot_try *t = arg;
	struct robot_run *run = t->run;
	(void)dlg;
	if (e)
		robot_conn_stop(t->rc, e->cat == ERR_TIMEOUT, e->msg);
	else
		robot_conn_stop(t->rc, 0, "the connection ended early");
	const struct robot_info *info = robot_conn_info(t->rc);
	struct robot_obs *o = &run->obs;
	if (o->n[t->c] < ROBOT_TRIES) {
		o->r[t->c][o->n[t->c]++] = info->resp;
		if (info->resp.kind == ROBOT_R_FAILED)
			snprintf(o->why[t->c], sizeof o->why[t->c], "%s", info->why);
	}
	if (info->resp.kind >= ROBOT_R_ALERT && !run->have_first) {
		run->have_first = 1;
		run->first = *info;
	}
	robot_conn_free(t->rc);
	buf_free(&t->out);
	free(t);
	if (--run->pending == 0)
		next(run);
}

static void launch(struct robot_run *run, enum robot_case c)
{
	struct robot_try *t = xcalloc(1, sizeof(*t));
	t->run = run;
	t->c = c;
	t->rc = robot_conn_new(c);
	buf_init(&t->out, OUT_MAX);
	t->own.start = try_start;
	t->own.input = try_input;
	t->own.end = try_end;
	t->own.arg = t;
	struct hsprobe_params prm = vscan_params(run->vs, &t->own);
	run->pending++;
	vscan_launch(run->vs, entry(run), &prm);
}

void vp_robot(struct vscan *vs)
{
	struct robot_run *run = xcalloc(1, sizeof(*run));
	run->vs = vs;
	(void)entry(run); /* the entry exists from the start */
	next(run);        /* the conforming block first */
}
