/* listen.h - listening TCP sockets on the run's libevent loop (servers).
 *
 * A listener binds one address (port 0: the kernel picks a free port, which
 * listener_addr() then tells), accepts clients and hands each accepted,
 * non-blocking socket to its callback, which owns it from then on (usually
 * through conn_adopt()). Accept failures such as EMFILE pause accepting for
 * a moment instead of spinning the loop. */
#ifndef MAILTLS_LISTEN_H
#define MAILTLS_LISTEN_H

#include <sys/socket.h>
#include "core/err.h"

struct event_base;
struct listener;

/* A new client: fd is connected, non-blocking and close-on-exec; peer is
 * its address as text ("127.0.0.1:40123", "[::1]:40123"). */
typedef void listener_cb(struct listener *l, int fd, const char *peer, void *arg);

/* Parse "ADDR:PORT", "[V6ADDR]:PORT" or "localhost:PORT" (numeric
 * addresses only otherwise: a listener never waits for DNS). Port 0 is
 * allowed. 0, or -1 with a message in *e (ERR_USAGE). */
int listener_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len,
			struct err *e) WUR;

/* Bind and listen; NULL with *e (ERR_LOCAL) when that failed. rcvbuf > 0
 * caps the receive buffer of accepted sockets (inherited from the
 * listening socket), which bounds what one read can bring in. */
struct listener *listener_new(struct event_base *base, const struct sockaddr *sa, socklen_t salen,
			      int rcvbuf, listener_cb *cb, void *arg, struct err *e) WUR;
/* Stop accepting and close the listening socket. NULL is fine. */
void listener_free(struct listener *l);
/* The bound address as text, with the real port: "127.0.0.1:40123". */
const char *listener_addr(const struct listener *l);
int listener_port(const struct listener *l);
/* Format a socket address as "ADDR:PORT" / "[ADDR]:PORT" into out. */
void listener_format_addr(const struct sockaddr *sa, char *out, size_t n);

#endif
