/* listen.c - listening sockets on the libevent loop (evconnlistener). */
#include "net/listen.h"
#include "net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/listener.h>
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

/* How long accepting pauses after accept() itself failed (EMFILE, ENFILE,
 * ENOBUFS): the pending client stays in the backlog and the loop does not
 * spin on a socket that stays readable. */
#define LISTENER_BACKOFF_MS 100

struct listener {
	struct evconnlistener *evl;
	struct event *backoff;
	listener_cb *cb;
	void *arg;
	char addr[64];
	int port;
};

void listener_format_addr(const struct sockaddr *sa, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
		port = ntohs(s4->sin_port);
		snprintf(out, n, "%s:%u", ip, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		port = ntohs(s6->sin6_port);
		snprintf(out, n, "[%s]:%u", ip, port);
	} else {
		snprintf(out, n, "?");
	}
}

int listener_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len,
			struct err *e)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *hs = s;
	size_t hlen;
	uint16_t port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':') {
			err_set(e, ERR_USAGE, "'%s': write an IPv6 address as [ADDR]:PORT", s);
			return -1;
		}
		hs = s + 1;
		hlen = (size_t)(close - hs);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s))) {
			err_set(e, ERR_USAGE, "'%s': expected ADDR:PORT (or [ADDR]:PORT)", s);
			return -1;
		}
		hlen = (size_t)(colon - s);
	}
	if (net_parse_port(colon + 1, strlen(colon + 1), 1, &port) != 0) {
		err_set(e, ERR_USAGE, "'%s': invalid port", s);
		return -1;
	}
	if (hlen == 0 || hlen >= sizeof host) {
		err_set(e, ERR_USAGE, "'%s': invalid address", s);
		return -1;
	}
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");

	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (s[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	err_set(e, ERR_USAGE, "'%s': the address must be numeric (or localhost)", s);
	return -1;
}

static void on_backoff(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	evconnlistener_enable(l->evl);
}

static void on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct listener *l = arg;
	char peer[80];
	int one = 1;
	/* Replies are small and interactive; do not let Nagle hold them. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	listener_format_addr(sa, peer, sizeof peer);
	l->cb(l, fd, peer, l->arg);
}

static void on_accept_error(struct evconnlistener *evl, void *arg)
{
	struct listener *l = arg;
	int err = EVUTIL_SOCKET_ERROR();
	log_warn("accept on %s failed: %s; pausing %d ms", l->addr, strerror(err),
		 LISTENER_BACKOFF_MS);
	evconnlistener_disable(evl);
	struct timeval tv = clk_tv(LISTENER_BACKOFF_MS);
	event_add(l->backoff, &tv);
}

struct listener *listener_new(struct event_base *base, const struct sockaddr *sa, socklen_t salen,
			      int rcvbuf, listener_cb *cb, void *arg, struct err *e)
{
	char want[64];
	int one = 1;
	listener_format_addr(sa, want, sizeof want);
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(e, ERR_LOCAL, "cannot listen on %s: socket: %s", want, strerror(errno));
		return NULL;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* [::1] means IPv6 only; 127.0.0.1 may be bound by another listener. */
	if (sa->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (rcvbuf > 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (bind(fd, sa, salen) < 0 || listen(fd, 128) < 0) {
		err_set(e, ERR_LOCAL, "cannot listen on %s: %s", want, strerror(errno));
		close(fd);
		return NULL;
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) {
		err_set(e, ERR_LOCAL, "cannot listen on %s: getsockname: %s", want,
			strerror(errno));
		close(fd);
		return NULL;
	}

	struct listener *l = xcalloc(1, sizeof(*l));
	l->cb = cb;
	l->arg = arg;
	listener_format_addr((const struct sockaddr *)&bound, l->addr, sizeof l->addr);
	l->port = ntohs(bound.ss_family == AF_INET6
				? ((const struct sockaddr_in6 *)&bound)->sin6_port
				: ((const struct sockaddr_in *)&bound)->sin_port);
	l->evl = evconnlistener_new(base, on_accept, l,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!l->evl) {
		err_set(e, ERR_LOCAL, "cannot listen on %s: evconnlistener_new failed", want);
		close(fd);
		free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->evl, on_accept_error);
	l->backoff = event_new(base, -1, 0, on_backoff, l);
	return l;
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	evconnlistener_free(l->evl);
	event_free(l->backoff);
	free(l);
}

const char *listener_addr(const struct listener *l)
{
	return l->addr;
}

int listener_port(const struct listener *l)
{
	return l->port;
}
