/* checks.c - the list of checks, in the order their findings are shown. */
#include "checks/checks.h"

static void (*const all_checks[])(struct endpoint *) = {
	check_starttls,
	check_trust,
	check_crypto,
};

void checks_run(struct result *r)
{
	for (size_t i = 0; i < r->neps; i++)
		for (size_t j = 0; j < ARRAY_LEN(all_checks); j++)
			all_checks[j](r->eps[i]);
}
