/* resolve.h - asynchronous name resolution through libunbound, inside the
 * run's libevent loop (ub_fd watched for readability). Every answer carries
 * its DNSSEC status. /etc/hosts and /etc/resolv.conf are honoured. */
#ifndef MAILTLS_RESOLVE_H
#define MAILTLS_RESOLVE_H

#include <stdint.h>
#include <sys/socket.h>
#include "core/err.h"

struct event_base;
struct dns;

enum dnssec_status { DNSSEC_INSECURE, DNSSEC_SECURE, DNSSEC_BOGUS };

struct dns_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* numeric form */
};

struct dns_addrs {
	struct dns_addr *v;
	size_t n, cap;
	enum dnssec_status dnssec; /* the weakest of the A and AAAA answers */
};

enum { DNS_WANT_V4 = 1, DNS_WANT_V6 = 2 };

typedef void dns_addrs_cb(void *arg, const struct dns_addrs *res, const struct err *e);

struct dns *dns_new(struct event_base *base, struct err *e) WUR;
void dns_free(struct dns *d);
/* Resolve host to its A and AAAA addresses (as `want` says). A numeric host
 * answers at once (but still through the loop). The callback gets the
 * addresses (A first, then AAAA) or an error: ERR_RESOLVE for no address,
 * ERR_TIMEOUT when the resolver did not answer within timeout_ms. */
int dns_resolve_addrs(struct dns *d, const char *host, int want, int timeout_ms,
		      dns_addrs_cb *cb, void *arg) WUR;
void dns_addr_set_port(struct dns_addr *a, uint16_t port);
/* Parse a numeric IPv4/IPv6 address (no brackets); 0 on success. */
int dns_parse_numeric(const char *text, struct dns_addr *out) WUR;

#endif
