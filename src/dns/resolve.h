/* resolve.h - asynchronous name resolution through libunbound, inside the
 * run's libevent loop (ub_fd watched for readability). Every answer carries
 * its DNSSEC status. /etc/hosts and /etc/resolv.conf are honoured. */
#ifndef MAILTLS_RESOLVE_H
#define MAILTLS_RESOLVE_H

#include <stdint.h>
#include <sys/socket.h>
#include <string.h>
#include "core/err.h"
#include "net/addr.h"

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
	char canon[256];           /* the name after CNAMEs (no trailing dot),
				      "" when the host is not an alias */
};

enum { DNS_WANT_V4 = 1, DNS_WANT_V6 = 2 };

typedef void dns_addrs_cb(void *arg, const struct dns_addrs *res, const struct err *e);

/* Where to ask and what to trust; a zeroed struct is the system's resolver
 * (/etc/resolv.conf) without DNSSEC trust anchor (every answer insecure). */
struct dns_cfg {
	const char *resolver;     /* "ADDR" or "ADDR@PORT": ask this server */
	const char *trust_anchor; /* zone file of DS/DNSKEY records */
};

struct dns *dns_new(struct event_base *base, struct err *e) WUR;
struct dns *dns_new_cfg(struct event_base *base, const struct dns_cfg *cfg, struct err *e) WUR;

/* One record query: the RRset's records as wire-format rdata, the DNSSEC
 * status, and whether the name exists. */
struct dns_rrset {
	int rrtype;
	int rcode;       /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ... */
	int nxdomain;
	enum dnssec_status dnssec;
	char why_bogus[160];
	unsigned char **rdata;
	size_t *len;
	size_t n;
};

typedef void dns_rrset_cb(void *arg, const struct dns_rrset *res, const struct err *e);

/* Query name/rrtype (class IN). The callback gets the RRset (possibly
 * empty: NODATA, NXDOMAIN, SERVFAIL are answers, with rcode set) or an
 * error: ERR_TIMEOUT, ERR_RESOLVE when the query could not be sent. */
int dns_query(struct dns *d, const char *name, int rrtype, int timeout_ms, dns_rrset_cb *cb,
	      void *arg) WUR;
enum { DNS_T_A = 1, DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_TLSA = 52 };

enum { DNS_T_DNSKEY = 48 };
#define DNS_NAME_MAX 256

/* The zones a trust anchor file (DS or DNSKEY records, zone-file format)
 * holds anchors for, each once, without the trailing dot ("." for the
 * root): up to max of them in zones, their number in *n. -1 with e set when
 * the file cannot be read or holds no anchor. */
int dns_anchor_zones(const char *path, char zones[][DNS_NAME_MAX], size_t max, size_t *n,
		     struct err *e) WUR;

void dns_free(struct dns *d);
/* Resolve host to its A and AAAA addresses (as `want` says). A numeric host
 * answers at once (but still through the loop). The callback gets the
 * addresses (A first, then AAAA) or an error: ERR_RESOLVE for no address,
 * ERR_TIMEOUT when the resolver did not answer within timeout_ms. */
int dns_resolve_addrs(struct dns *d, const char *host, int want, int timeout_ms,
		      dns_addrs_cb *cb, void *arg) WUR;
void dns_addr_set_port(struct dns_addr *a, uint16_t port);
/* A numeric IPv4/IPv6 address (no brackets) into a dns_addr; 0 on success.
 * The parser is net_parse_numeric() (net/addr.h). */
static inline int dns_parse_numeric(const char *text, struct dns_addr *out)
{
	memset(out, 0, sizeof(*out));
	return net_parse_numeric(text, &out->ss, &out->len, out->text, sizeof out->text);
}

#endif
