/* vulnscan.h - the vulnerability battery's probes (docs/vulns.md). Each
 * check that needs the network is a file scan/vp_*.c with one start
 * function; it opens its connections through vscan_launch (an hsprobe in
 * own mode: the dialogue, then the connection is the probe's) and fills its
 * entry of ep->vulns: verdict, reason, evidence. What costs no connection
 * (POODLE, SWEET32, ...) is derived by checks/vulns.c from the model. */
#ifndef MAILTLS_VULNSCAN_H
#define MAILTLS_VULNSCAN_H

#include "scan/hsprobe.h"

struct vscan {
	struct sched *sched;
	struct sched_host *host;
	struct endpoint *ep;
	struct dns_addr addr;
	struct hsprobe_params base; /* limits, dialogue, SNI, verification */
	int submission;             /* --submission: the STARTTLS SMTP port is a submission port */
	int patient;                /* --patient: no probe is cut short on a slow server */
};

/* Plan the probes of ep (its entries for them are made first, and the
 * array does not move while they run: a probe may keep its entry's
 * address until its end callback; use only those ids) (the verified handshake has run: its facts
 * are in ep); submission and patient are scan_cfg's flags. vscan_free() after the loop. */
struct vscan *vscan_start(struct sched *s, struct sched_host *h, struct endpoint *ep,
                          const struct dns_addr *addr, const struct hsprobe_params *base,
                          int submission, int patient);
void vscan_free(struct vscan *vs);

/* The parameters of one probe connection in own mode (`own` must outlive
 * the probe); adjust them (e.g. the dialogue), then launch. */
struct hsprobe_params vscan_params(const struct vscan *vs, const struct hs_own *own);
/* Open one connection for the check v (counted in v->connections). */
void vscan_launch(struct vscan *vs, struct vuln *v, const struct hsprobe_params *prm);

/* The probes (one file each). */
void vp_heartbleed(struct vscan *vs);
void vp_ccs_injection(struct vscan *vs);
void vp_robot(struct vscan *vs);
void vp_fallback_scsv(struct vscan *vs);
void vp_starttls_injection(struct vscan *vs);
void vp_starttls_in_tls(struct vscan *vs);
void vp_submission_policy(struct vscan *vs);
/* Ticketbleed starts from the resumption handshake's ticket (tlsaux.c):
 * the session it got (a TLS 1.2 session with a ticket). */
void vp_ticketbleed(struct vscan *vs, SSL_SESSION *with_ticket);

#endif
