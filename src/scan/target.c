/* target.c - parse what the user asked to scan. */
#include "scan/target.h"

#include <string.h>
#include "net/addr.h"
#include "proto/dialog.h"

/* The port's usual mode and protocol: each protocol's table
 * (proto/dialog.h) holds its ports. */
int target_port_mode(uint16_t port, enum tls_mode *mode, const char **starttls)
{
	int implicit = 0;
	const struct dlg_proto *p = dlg_proto_by_port(port, &implicit);
	if (!p)
		return -1;
	*mode = implicit ? MODE_IMPLICIT : MODE_STARTTLS;
	*starttls = implicit ? NULL : p->name;
	return 0;
}

int target_parse(const char *spec, uint16_t default_port, struct target *t, struct err *e)
{
	const char *host = spec, *port = NULL;
	size_t hlen;

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
	if (port && net_parse_port(port, strlen(port), 0, &t->port) < 0) {
		err_set(e, ERR_USAGE, "target %s: invalid port '%s' (expected 1-65535)", spec, port);
		return -1;
	}
	t->numeric = net_is_numeric(t->host);
	if (spec[0] == '[' && !(t->numeric && strchr(t->host, ':'))) {
		err_set(e, ERR_USAGE, "target %s: only an IPv6 address goes in brackets", spec);
		return -1;
	}
	if (!t->numeric && !net_hostname_ok(t->host, hlen, 0)) {
		err_set(e, ERR_USAGE, "target %s: not a valid host name or address", spec);
		return -1;
	}
	return 0;
}
