/* scan.h - run a scan: resolve the target, plan its probes, run the loop,
 * fill the result model. */
#ifndef MAILTLS_SCAN_H
#define MAILTLS_SCAN_H

#include "core/err.h"
#include "model/result.h"
#include "scan/target.h"

struct scan_cfg {
	int connect_ms, read_ms, total_ms; /* per connection */
	int resolve_ms;
	int scan_ms;         /* the whole run (--scan-timeout), 0: none */
	int max_conns_per_host;
	int max_conns;
	const char *sni;     /* overrides the SNI (and the name verified for IPs) */
	const char *ca_file; /* NULL: system store */
	const char *ca_path;
	const char *pin_ip;  /* --ip: scan this address only */
	int first_ip;        /* --first-ip: the first address only */
	const char *ehlo;    /* EHLO/LHLO name */
	const char *xmpp_domain;
	int max_retries;     /* after a 421 */
	int quick;           /* the verified handshake only, no enumeration */
	int patient;         /* enumerate fully even when the server is slow */
	int vulns;           /* run the vulnerability battery (docs/vulns.md) */
	int submission;      /* a STARTTLS port that is a submission port (as 587) */
	const char *resolver;     /* --resolver ADDR[@PORT], NULL: resolv.conf */
	const char *trust_anchor; /* --trust-anchor FILE, NULL: none */
};

void scan_cfg_defaults(struct scan_cfg *c);

/* Scan one target into r. Returns 0 when the scan ran (endpoint errors are
 * in the model), -1 when it could not start for the whole target (resolve,
 * CA store): *e says why and r->errors holds it too. */
int scan_check(const struct scan_cfg *cfg, const struct target *t, struct result *r,
	       struct err *e) WUR;
/* Scan several targets in one run (one loop, one connection budget per
 * host, the global cap over all). Returns 0 when at least one target
 * could be started; per-target failures are in r->errors (with the
 * target's host in the message). */
int scan_many(const struct scan_cfg *cfg, const struct target *t, size_t nt, struct result *r,
	      struct err *e) WUR;

#endif
