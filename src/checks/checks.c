/* checks.c - the list of checks, in the order their findings are shown. */
#include "checks/checks.h"

void checks_cfg_defaults(struct checks_cfg *c)
{
	c->warn_days = 30;
}

static void (*const all_checks[])(struct endpoint *, const struct checks_cfg *) = {
	check_starttls,
	check_trust,
	check_certs,
	check_crypto,
};

void checks_run(struct result *r, const struct checks_cfg *cfg)
{
	if (r->domain)
		check_domain(r->domain);
	check_reach(r);
	for (size_t i = 0; i < r->neps; i++) {
		for (size_t j = 0; j < ARRAY_LEN(all_checks); j++)
			all_checks[j](r->eps[i], cfg);
		if (r->domain)
			check_domain_endpoint(r->eps[i], r->domain);
		check_vulns(r->eps[i], cfg);
		check_grade(r->eps[i], cfg);
	}
}
