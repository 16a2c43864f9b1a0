/* addr.h - what the user types to name an endpoint, checked in one place:
 * numeric addresses, ports, host names. No I/O and no resolver. */
#ifndef MAILTLS_ADDR_H
#define MAILTLS_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "core/compiler.h"

/* A numeric IPv4/IPv6 address (no brackets): 0 with *ss and *len set and
 * its canonical text in text (may be NULL); -1 for anything else. */
int net_parse_numeric(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *text,
		      size_t textlen) WUR;
/* 1 when s is a numeric address. */
int net_is_numeric(const char *s);

/* A port: 1 to 5 decimal digits, 1-65535 (0 too with allow_zero: a
 * listener's "any free port"); n bytes of s, not NUL-terminated. */
int net_parse_port(const char *s, size_t n, int allow_zero, uint16_t *out) WUR;

enum { NET_HOST_WILDCARD = 1 }; /* a leading "*." label is allowed (certificate names) */
/* A DNS host name as RFC 1123 2.1 allows: labels of letters, digits, '-'
 * (not first or last) and '_' (real MX names have them), 1-63 characters,
 * 253 at most, one trailing dot allowed. n bytes of s. */
int net_hostname_ok(const char *s, size_t n, unsigned flags);

#endif
