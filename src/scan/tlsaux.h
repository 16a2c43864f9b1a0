/* tlsaux.h - the full handshakes that each look at one thing, after the
 * main one: a second certificate (ECDSA and RSA), session resumption by ID
 * and by ticket (TLS 1.2), client-initiated renegotiation (TLS 1.2), and
 * DANE verification when the host has TLSA records. */
#ifndef MAILTLS_TLSAUX_H
#define MAILTLS_TLSAUX_H

#include "scan/hsprobe.h"
#include "scan/vulnscan.h"

struct tlsaux;

/* vs: the vulnerability probes, which get the resumption handshake's
 * ticket (Ticketbleed); NULL when the battery does not run. */
struct tlsaux *tlsaux_start(struct sched *s, struct sched_host *h, struct endpoint *ep,
			    const struct dns_addr *addr, const struct hsprobe_params *base,
			    int dane_only, struct vscan *vs);
void tlsaux_free(struct tlsaux *a);

#endif
