/* vp_policy.c - submission-port policy: not written yet. */
#include "scan/vulnscan.h"

void vp_submission_policy(struct vscan *vs)
{
	(void)vs;
}
