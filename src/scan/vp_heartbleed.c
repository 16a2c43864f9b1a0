/* vp_heartbleed.c - Heartbleed (CVE-2014-0160) and CCS injection
 * (CVE-2014-0224): not written yet. */
#include "scan/vulnscan.h"

void vp_heartbleed(struct vscan *vs)
{
	(void)vs;
}

void vp_ccs_injection(struct vscan *vs)
{
	(void)vs;
}
