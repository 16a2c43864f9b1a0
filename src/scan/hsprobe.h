/* hsprobe.h - the handshake probe: connect, (dialogue,) full TLS handshake
 * through OpenSSL with verification, describe the session, close. */
#ifndef MAILTLS_HSPROBE_H
#define MAILTLS_HSPROBE_H

#include "dns/resolve.h"
#include "model/result.h"
#include "net/conn.h"
#include "scan/sched.h"
#include "tls/ossl.h"

struct hsprobe_params {
	struct ossl_ctx *octx;
	struct conn_limits lim;
	const char *sni;         /* NULL: none */
	const char *verify_name; /* NULL: no name check */
	int deadline_ms;
};

/* A probe that fills ep (tls, protocols, ciphers, groups, certificates,
 * errors, stats). ep must outlive the probe. */
struct probe *hsprobe_new(struct endpoint *ep, const struct dns_addr *addr,
			  const struct hsprobe_params *prm);

#endif
