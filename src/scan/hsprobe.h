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

struct hsprobe_params {
	struct ossl_ctx *octx;
	struct conn_limits lim;
	const char *sni;         /* NULL: none */
	const char *verify_name; /* NULL: no name check */
	int deadline_ms;
	const struct dlg_proto *proto; /* NULL: implicit TLS */
	struct dlg_cfg dlg;
	int max_retries;               /* after a 421, with backoff */
};

/* A probe that fills ep (dialogue, tls, protocols, ciphers, groups,
 * certificates, transcript, errors, stats). ep and the strings in prm must
 * outlive the probe. */
struct probe *hsprobe_new(struct endpoint *ep, const struct dns_addr *addr,
			  const struct hsprobe_params *prm);

#endif
