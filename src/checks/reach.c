/* reach.c - an address that could not be reached while others of the run
 * were scanned: address-unreachable (docs/grading.md). A run where nothing
 * was reached has no finding: it exits 3 and its errors say why. */
#include "checks/checks.h"

#include <stdio.h>
#include <string.h>

static int is_v6(const char *address)
{
	return address && strchr(address, ':') != NULL;
}

/* Evidence that the address itself does not answer, not that this machine
 * cannot reach it: a refusal or an ICMP error ("connect"); a timeout only
 * when another address of the same family connected in this run (a machine
 * without working IPv6 times out on every IPv6 address). "local" (no route
 * from this machine) is never evidence. */
static int unreachable(const struct ep_error *e, int family_works)
{
	if (e->category == ERR_CONNECT)
		return 1;
	return e->category == ERR_TIMEOUT && family_works;
}

/* The scanned addresses of ep's host and port, for the detail. */
static void list_scanned(char *out, size_t size, const struct result *r,
			 const struct endpoint *ep)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < r->neps && used < size; i++) {
		const struct endpoint *o = r->eps[i];
		if (o == ep || !ep_same_target(o, ep) || !ep_scanned(o))
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "",
					 o->address);
	}
	if (used == 0)
		snprintf(out, size, "none");
}

static void check_one(struct endpoint *ep, const struct result *r, int v4_works, int v6_works)
{
	const struct ep_error *e = ep_connect_error(ep);
	if (ep_scanned(ep) || !e || !unreachable(e, is_v6(ep->address) ? v6_works : v4_works))
		return;
	char others[512], detail[2048];
	list_scanned(others, sizeof others, r, ep);
	snprintf(detail, sizeof detail,
		 "%.200s [%.64s]:%u: %.400s. Scanned addresses of %.200s port %u: %.300s. "
		 "Clients that pick this address (%s) wait for a timeout or an error "
		 "before they try another one; a client with no other address to try "
		 "cannot connect at all. Its TLS is unknown.",
		 ep->host, ep->address, ep->port, e->message, ep->host, ep->port, others,
		 is_v6(ep->address) ? "most senders prefer IPv6" : "IPv4-only senders do");
	ep_add_finding(ep, "address-unreachable", SEV_MEDIUM,
		       "An address of this host does not accept connections", detail,
		       "Make the service listen on this address too (for IPv6, check the "
		       "listen directive, e.g. Postfix inet_protocols = all, and the firewall), "
		       "or remove the address (the A or AAAA record) from DNS.");
}

void check_reach(struct result *r)
{
	int any = 0, v4_works = 0, v6_works = 0;
	for (size_t i = 0; i < r->neps; i++) {
		const struct endpoint *ep = r->eps[i];
		any |= ep_scanned(ep);
		if (ep_connect_error(ep))
			continue; /* connected: the family works from here */
		if (is_v6(ep->address))
			v6_works = 1;
		else
			v4_works = 1;
	}
	if (!any)
		return;
	for (size_t i = 0; i < r->neps; i++)
		check_one(r->eps[i], r, v4_works, v6_works);
}
