/* enumerate.h - protocol versions, cipher suites in server order, groups
 * and DH parameters of one endpoint, with the raw engine (hsprobe in raw
 * mode), using as few connections as elimination allows:
 * offer a set, note the server's choice, take it out, offer again. */
#ifndef MAILTLS_ENUMERATE_H
#define MAILTLS_ENUMERATE_H

#include "scan/hsprobe.h"

struct enum_ctx;

/* Plan the enumeration of ep at addr: probes go to the scheduler under
 * host h; `base` gives connection limits, dialogue and SNI (its OpenSSL
 * and raw fields are ignored). The results land in ep when the last probe
 * is done; enum_finish() then frees the context (call it after the loop). */
/* patient: enumerate fully even when every connection is slow (SLOW_MS). */
struct enum_ctx *enum_start(struct sched *s, struct sched_host *h, struct endpoint *ep,
			    const struct dns_addr *addr, const struct hsprobe_params *base,
			    int patient);
void enum_finish(struct enum_ctx *e);

#endif
