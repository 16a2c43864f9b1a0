/* vulnscan.c - plan the battery's probes of one endpoint. */
#include "scan/vulnscan.h"

#include <stdlib.h>
#include <string.h>
#include "core/mem.h"

static void (*const probes[])(struct vscan *) = {
    vp_heartbleed,      vp_ccs_injection,     vp_robot, vp_fallback_scsv, vp_starttls_injection,
    vp_starttls_in_tls, vp_submission_policy,
};

/* The entries the probes fill, made before any probe starts: the array
 * never grows while probes run, so an entry's address stays valid from a
 * probe's launch to its last callback. */
static const char *const probe_ids[] = {
    "heartbleed",
    "ccs-injection",
    "ticketbleed",
    "robot",
    "fallback-scsv",
    "starttls-injection",
    "starttls-in-tls",
    "plaintext-mail-accepted",
    "starttls-not-required",
    "ftp-user-before-tls",
};

struct vscan *vscan_start(struct sched *s, struct sched_host *h, struct endpoint *ep,
                          const struct dns_addr *addr, const struct hsprobe_params *base,
                          int submission, int patient)
{
	struct vscan *vs = xcalloc(1, sizeof(*vs));
	vs->sched = s;
	vs->host = h;
	vs->ep = ep;
	vs->addr = *addr;
	vs->base = *base;
	vs->submission = submission;
	vs->patient = patient;
	for (size_t i = 0; i < ARRAY_LEN(probe_ids); i++)
		(void)ep_vuln(ep, probe_ids[i]);
	for (size_t i = 0; i < ARRAY_LEN(probes); i++)
		probes[i](vs);
	return vs;
}

void vscan_free(struct vscan *vs)
{
	free(vs);
}

struct hsprobe_params vscan_params(const struct vscan *vs, const struct hs_own *own)
{
	struct hsprobe_params prm = hsprobe_params_base(&vs->base);
	prm.ntlsa = 0;
	prm.tlsa = NULL;
	prm.dane_base = NULL;
	prm.own = own;
	return prm;
}

void vscan_launch(struct vscan *vs, struct vuln *v, const struct hsprobe_params *prm)
{
	v->connections++;
	/* After the enumeration and side handshakes on this address: the
	 * probes wait for silence on purpose. */
	sched_add_late(vs->sched, vs->host, hsprobe_new(vs->ep, &vs->addr, prm));
}
