/* target.c - parse what the user asked to scan. */
#include "scan/target.h"

#include <string.h>
#include "dns/resolve.h"

static const struct {
	uint16_t port;
	const char *starttls; /* NULL: implicit TLS */
} port_modes[] = {
	{25, "smtp"},   {587, "smtp"},   {2525, "smtp"},  {24, "lmtp"},       {143, "imap"},
	{110, "pop3"},  {4190, "sieve"}, {21, "ftp"},     {5222, "xmpp"},     {5269, "xmpp-server"},
	{389, "ldap"},  {119, "nntp"},   {5432, "postgres"}, {3306, "mysql"},
	{465, NULL},    {993, NULL},     {995, NULL},     {636, NULL},        {563, NULL},
	{990, NULL},    {5223, NULL},
};

int target_port_mode(uint16_t port, enum tls_mode *mode, const char **starttls)
{
	for (size_t i = 0; i < ARRAY_LEN(port_modes); i++) {
		if (port_modes[i].port == port) {
			*mode = port_modes[i].starttls ? MODE_STARTTLS : MODE_IMPLICIT;
			*starttls = port_modes[i].starttls;
			return 0;
		}
	}
	return -1;
}

static int parse_port(const char *s, size_t n, uint16_t *out)
{
	unsigned long v = 0;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* A DNS name as RFC 1123 allows (underscores too: real MX names have them). */
static int valid_name(const char *s, size_t n)
{
	size_t label = 0;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 && !(i == n - 1 && i > 0))
				return 0;
			if (label > 0 && s[i - 1] == '-')
				return 0; /* RFC 1123 2.1: no hyphen at a label's end */
			label = 0;
			continue;
		}
		if (c == '-' && label == 0)
			return 0; /* ...nor at its start */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return s[n - 1] != '-';
}

int target_parse(const char *spec, uint16_t default_port, struct target *t, struct err *e)
{
	const char *host = spec, *port = NULL;
	size_t hlen;
	struct dns_addr a;

	memset(t, 0, sizeof(*t));
	t->port = default_port;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close) {
			err_set(e, ERR_USAGE, "target %s: missing ']'", spec);
			return -1;
		}
		host = spec + 1;
		hlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0') {
			err_set(e, ERR_USAGE, "target %s: expected ':PORT' after ']'", spec);
			return -1;
		}
	} else {
		const char *colon = strchr(spec, ':');
		if (colon && strchr(colon + 1, ':')) {
			hlen = strlen(spec); /* a bare IPv6 address */
		} else {
			hlen = colon ? (size_t)(colon - spec) : strlen(spec);
			if (colon)
				port = colon + 1;
		}
	}
	if (hlen == 0 || hlen >= sizeof t->host) {
		err_set(e, ERR_USAGE, "target %s: empty or over-long host", spec);
		return -1;
	}
	memcpy(t->host, host, hlen);
	t->host[hlen] = '\0';
	if (port && parse_port(port, strlen(port), &t->port) < 0) {
		err_set(e, ERR_USAGE, "target %s: invalid port '%s' (expected 1-65535)", spec, port);
		return -1;
	}
	t->numeric = dns_parse_numeric(t->host, &a) == 0;
	if (spec[0] == '[' && !(t->numeric && strchr(t->host, ':'))) {
		err_set(e, ERR_USAGE, "target %s: only an IPv6 address goes in brackets", spec);
		return -1;
	}
	if (!t->numeric && !valid_name(t->host, hlen)) {
		err_set(e, ERR_USAGE, "target %s: not a valid host name or address", spec);
		return -1;
	}
	return 0;
}
