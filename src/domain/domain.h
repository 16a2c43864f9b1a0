/* domain.h - the DNS and HTTPS half of `mailtls domain`: MX hosts with
 * their addresses and TLSA records, MTA-STS (TXT and policy), TLS-RPT,
 * SPF (includes followed) and DMARC, all on one libevent loop (libunbound
 * and libcurl multi). The MX hosts are then scanned as targets by the
 * caller, and checks/domain.c turns the facts into findings. */
#ifndef MAILTLS_DOMAIN_H
#define MAILTLS_DOMAIN_H

#include "core/err.h"
#include "dns/resolve.h"
#include "model/domain.h"

struct domain_cfg {
	struct dns_cfg dns;
	int dns_timeout_ms;   /* per query */
	int https_timeout_ms; /* the policy fetch */
	unsigned sts_port;    /* 443 */
	const char *ca_file;  /* for the policy host; NULL: system store */
	size_t max_mx;        /* MX hosts looked at (by preference) */
	int budget_ms;        /* every query and the policy fetch end within
			       * this much of the start (0: no bound) */
};

void domain_cfg_defaults(struct domain_cfg *c);
/* Fill d (named already). Returns 0 when the lookups ran (their failures
 * are facts in d), -1 when they could not start (resolver setup, trust
 * anchor): *e says why. */
int domain_lookup(const struct domain_cfg *cfg, struct domain_info *d, struct err *e) WUR;
/* "_25._tcp." + host, as the TLSA owner name. */
void domain_tlsa_name(char *out, size_t n, const char *host);

#endif
