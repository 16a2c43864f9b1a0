/* checks.h - checks read what the probes stored in the model and add
 * findings (stable id, severity, detail, fix). They never touch the network. */
#ifndef MAILTLS_CHECKS_H
#define MAILTLS_CHECKS_H

#include "model/result.h"

struct checks_cfg {
	int warn_days; /* cert-expires-soon below this many days (--warn-days) */
	int vulns;     /* the vulnerability battery ran: give every entry a verdict */
};

void checks_cfg_defaults(struct checks_cfg *c);
/* Every check, on every endpoint of the result. */
void checks_run(struct result *r, const struct checks_cfg *cfg);

/* The accepted suites with any of the registry flags (in the protocols of
 * proto_mask, bits 1 << enum tls_proto; 0: any): how many, and the first
 * max_named as "TLSv1.2 AES128-SHA, ..." (then " and N more") into out. */
int checks_suites_with(const struct endpoint *ep, unsigned flags, unsigned proto_mask,
		       int max_named, char *out, size_t n);

/* Individual checks (one file each). */
void check_trust(struct endpoint *ep, const struct checks_cfg *cfg);
/* Is this finding id one check_trust gives (cert-untrusted, -expired, ...)? */
int check_trust_is_finding(const char *id);
void check_starttls(struct endpoint *ep, const struct checks_cfg *cfg);
void check_crypto(struct endpoint *ep, const struct checks_cfg *cfg);
void check_certs(struct endpoint *ep, const struct checks_cfg *cfg);
/* A mail domain (docs/domain.md): its findings and verdict, which MX
 * hosts the MTA-STS policy covers; then, per MX endpoint, the DANE and
 * MTA-STS findings and the policy that decides its authentication. */
struct domain_info;
void check_domain(struct domain_info *d);
void check_domain_endpoint(struct endpoint *ep, const struct domain_info *d);
/* Across the endpoints of a run: address-unreachable on an address that
 * did not accept connections while others were scanned. */
void check_reach(struct result *r);
/* The vulnerability battery's verdicts (docs/vulns.md): after the checks
 * whose findings it links to, before the grade. */
void check_vulns(struct endpoint *ep, const struct checks_cfg *cfg);
/* Last: it reads the other checks' findings. */
void check_grade(struct endpoint *ep, const struct checks_cfg *cfg);

#endif
