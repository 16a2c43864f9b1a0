/* hsprobe.h - the handshake probe: connect, the STARTTLS dialogue when the
 * endpoint has one, a full TLS handshake through OpenSSL with verification,
 * the dialogue again inside TLS, close. */
#ifndef MAILTLS_HSPROBE_H
#define MAILTLS_HSPROBE_H

#include "dns/resolve.h"
#include "model/result.h"
#include "net/conn.h"
#include "proto/dialog.h"
#include "scan/sched.h"
#include "tls/ossl.h"
#include "tls/rawhs.h"

/* Own mode (the vulnerability probes, scan/vulnscan.h): the connection is
 * handed to these callbacks where TLS would start -- after the dialogue's
 * go-ahead, or at once on an implicit-TLS port -- or, with after_tls, once
 * a verified OpenSSL handshake has completed (conn_write and conn_input then
 * go through TLS; the dialogue is not resumed). */
enum own_ev {
	OWN_DATA,  /* new bytes in conn_input() */
	OWN_EOF,   /* the server closed (or reset) */
	OWN_QUIET, /* quiet_ms passed without a byte */
};

struct hs_own {
	int after_tls;
	int quiet_ms; /* OWN_QUIET after this long without a byte, 0 never */
	/* Send the first bytes: 1 when already done, 0 to wait for input. */
	int (*start)(void *arg, struct conn *c, struct ossl_sess *s);
	/* 1 when done (the probe closes), 0 for more. After OWN_EOF the probe
	 * ends whatever it returns. */
	int (*input)(void *arg, struct conn *c, enum own_ev ev);
	/* Exactly once, last: e is NULL when start or input said done (or the
	 * server closed), else why the probe ended before (connect, dialogue,
	 * handshake, a deadline). On a STARTTLS port `dlg` holds the clear-text
	 * dialogue's facts (valid during the call only). */
	void (*end)(void *arg, const struct err *e, const struct dialogue *dlg);
	void *arg;
};

struct hsprobe_params {
	struct ossl_ctx *octx;
	struct conn_limits lim;
	const char *sni;         /* NULL: none */
	const char *verify_name; /* NULL: no name check */
	int deadline_ms;
	const struct dlg_proto *proto; /* NULL: implicit TLS */
	struct dlg_cfg dlg;
	int max_retries;               /* after a 421, with backoff */
	/* Raw mode: instead of OpenSSL, send this hello and read the answer
	 * with the raw engine; the result goes to on_raw (with e set when the
	 * probe could not get an answer), not into the endpoint, and the
	 * dialogue is not recorded. */
	const struct raw_req *raw;
	rawhs_ske_fn *ske_kind;
	void (*on_raw)(void *arg, const struct raw_result *r, const struct err *e);
	void *raw_arg;
	/* OpenSSL mode: called when the probe (and its retries) has finished,
	 * not for the port-mode follow-up. */
	void (*on_done)(void *arg, struct endpoint *ep, const struct dns_addr *addr);
	void *done_arg;
	/* Aux mode (OpenSSL): a handshake varied by sess_opts, looked at by
	 * on_tls and closed; nothing goes into the endpoint by itself, and the
	 * dialogue is not recorded. With reneg, a client-initiated
	 * renegotiation follows the handshake: reneg_ok is 1 when the server
	 * went through with it, 0 when it refused, -1 not tried. s is NULL
	 * (and e set) when no handshake completed. */
	struct ossl_sess_opts sess_opts;
	int reneg;
	/* TLSA records of this host (secure ones only): the aux DANE
	 * handshake verifies against them. */
	const char *dane_base;
	const struct ossl_tlsa *tlsa;
	size_t ntlsa;
	void (*on_tls)(void *arg, struct ossl_sess *s, const struct err *e, int reneg_ok);
	void *tls_arg;
	/* Own mode (above): NULL for the other modes. Must outlive the probe. */
	const struct hs_own *own;
};

/* base's limits, dialogue, names and TLSA records, with no mode set: the
 * start of an aux, raw or own probe's parameters. */
struct hsprobe_params hsprobe_params_base(const struct hsprobe_params *base);

/* A probe that fills ep (OpenSSL mode) (dialogue, tls, protocols, ciphers, groups,
 * certificates, transcript, errors, stats). ep and the strings in prm must
 * outlive the probe. */
struct probe *hsprobe_new(struct endpoint *ep, const struct dns_addr *addr,
			  const struct hsprobe_params *prm);

#endif
