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
};

/* A probe that fills ep (OpenSSL mode) (dialogue, tls, protocols, ciphers, groups,
 * certificates, transcript, errors, stats). ep and the strings in prm must
 * outlive the probe. */
struct probe *hsprobe_new(struct endpoint *ep, const struct dns_addr *addr,
			  const struct hsprobe_params *prm);

#endif
