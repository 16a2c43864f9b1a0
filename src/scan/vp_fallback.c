/* vp_fallback.c - TLS_FALLBACK_SCSV (RFC 7507) and Ticketbleed: not written yet. */
#include "scan/vulnscan.h"

void vp_fallback_scsv(struct vscan *vs)
{
	(void)vs;
}

void vp_ticketbleed(struct vscan *vs, SSL_SESSION *with_ticket)
{
	(void)vs;
	(void)with_ticket;
}
