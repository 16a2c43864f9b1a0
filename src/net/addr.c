/* addr.c - numeric addresses, ports and host names as typed. */
#include "net/addr.h"

#include <netdb.h>
#include <string.h>

int net_parse_numeric(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *text,
		      size_t textlen)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char buf[64];
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(s, NULL, &hints, &ai) != 0 || !ai)
		return -1;
	if (ai->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(ai);
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (!text) {
		text = buf;
		textlen = sizeof buf;
	}
	if (getnameinfo((struct sockaddr *)ss, *len, text, (socklen_t)textlen, NULL, 0,
			NI_NUMERICHOST) != 0)
		return -1;
	return 0;
}

int net_is_numeric(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	return net_parse_numeric(s, &ss, &len, NULL, 0) == 0;
}

int net_parse_port(const char *s, size_t n, int allow_zero, uint16_t *out)
{
	unsigned long v = 0;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if ((v == 0 && !allow_zero) || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int net_hostname_ok(const char *s, size_t n, unsigned flags)
{
	size_t label = 0;
	if ((flags & NET_HOST_WILDCARD) && n > 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				return 0; /* an empty label (the trailing dot ends one) */
			if (s[i - 1] == '-')
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
