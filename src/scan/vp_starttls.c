/* vp_starttls.c - STARTTLS command injection and STARTTLS inside TLS: not written yet. */
#include "scan/vulnscan.h"

void vp_starttls_injection(struct vscan *vs)
{
	(void)vs;
}

void vp_starttls_in_tls(struct vscan *vs)
{
	(void)vs;
}
