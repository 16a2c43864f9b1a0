/* conn.h - one non-blocking TCP connection driven by the run's libevent loop.
 *
 * A conn owns its socket, its read/write events and three deadlines:
 * connect (until the TCP handshake completes), read (idle time while we wait
 * for the peer) and total (the whole connection). Bytes cross through a
 * `conn_io`: plain recv/send by default, a TLS session once a layer above
 * installs one (net/ knows nothing of OpenSSL). Received bytes collect in a
 * capped input buffer that the owner consumes (line reader, record reader).
 * Everything that happens is reported through one callback. */
#ifndef MAILTLS_CONN_H
#define MAILTLS_CONN_H

#include <sys/types.h>
#include <sys/socket.h>
#include "core/buf.h"
#include "core/err.h"

struct event_base;
struct conn;

enum conn_ev {
	CONN_EV_CONNECTED,      /* TCP is up */
	CONN_EV_DATA,           /* new bytes in conn_input() */
	CONN_EV_EOF,            /* the peer closed; input may still hold bytes */
	CONN_EV_HANDSHAKE_DONE, /* the installed io's handshake finished */
	CONN_EV_ERROR,          /* see conn_error(); the conn is dead */
};

typedef void conn_cb(struct conn *c, enum conn_ev ev, void *arg);

enum { CONN_WANT_READ = 1, CONN_WANT_WRITE = 2 };

/* How bytes cross the connection. read/write return a count > 0, 0 for an
 * orderly end (read only), -1 to be retried when *want is ready, or -2 on a
 * failure described in *e. handshake (optional) returns 1 when done, 0 to
 * be called again when *want is ready, -1 on failure. */
struct conn_io {
	ssize_t (*read)(void *ctx, void *p, size_t n, int *want, struct err *e);
	ssize_t (*write)(void *ctx, const void *p, size_t n, int *want, struct err *e);
	int (*handshake)(void *ctx, int *want, struct err *e);
	void *ctx;
};

struct conn_limits {
	int connect_ms; /* 0: no separate connect deadline */
	int read_ms;    /* idle deadline while waiting for the peer; 0: none */
	int total_ms;   /* whole connection; 0: none */
	size_t max_input; /* cap on unconsumed input bytes */
};

/* Start connecting; the result comes as CONN_EV_CONNECTED or CONN_EV_ERROR
 * (never from inside this call). NULL with *e set when the socket could not
 * even be created. */
struct conn *conn_open(struct event_base *base, const struct sockaddr *sa, socklen_t salen,
		       const struct conn_limits *lim, conn_cb *cb, void *arg, struct err *e) WUR;
/* Take over an already connected socket (a server's accepted client):
 * the conn is open at once; no CONN_EV_CONNECTED is reported. */
struct conn *conn_adopt(struct event_base *base, int fd, const struct conn_limits *lim,
			conn_cb *cb, void *arg) WUR;
/* Close the socket, cancel every event. Safe from inside the callback;
 * the memory is released once the callback returns. */
void conn_close(struct conn *c);

/* Queue bytes and send them as the socket allows. */
int conn_write(struct conn *c, const void *p, size_t n) WUR;
/* Bytes received and not yet consumed (buf_consume them). */
struct buf *conn_input(struct conn *c);
/* Bytes that arrived beyond what the owner consumed: what is left in the
 * input buffer plus what waits in the kernel (MSG_PEEK). Used to tell that a
 * server sent more than the reply it was asked for. */
size_t conn_pending(struct conn *c);
/* Move what waits in the kernel into the input buffer now (plain
 * transport, up to the cap), without events; returns the count. */
size_t conn_read_now(struct conn *c);
/* Switch transport, once the bytes already queued have been sent on the
 * old one. When io->handshake is set the conn runs it and reports
 * CONN_EV_HANDSHAKE_DONE. Bytes still in the input buffer are discarded: they
 * came before the switch and must never reach the new layer (STYLE.md 9);
 * call conn_pending() first. */
void conn_start_io(struct conn *c, const struct conn_io *io);
int conn_fd(const struct conn *c);
/* The plain transport of c (recv/send on its socket), to wrap in another
 * io (serve counts the bytes that left before switching to TLS). */
struct conn_io conn_plain_io(struct conn *c);
/* Best effort, without waiting: send what is queued (before a close). */
void conn_flush_now(struct conn *c);
/* Bytes received over the connection's life (any transport). */
size_t conn_bytes_read(const struct conn *c);
const struct err *conn_error(const struct conn *c);
/* Milliseconds since conn_open. */
double conn_elapsed_ms(const struct conn *c);
/* Change the idle read deadline (e.g. a greet pause is expected). */
void conn_set_read_ms(struct conn *c, int read_ms);
/* Stop or resume delivering CONN_EV_DATA (input still fills up to the cap). */
void conn_pause_read(struct conn *c, int pause);

#endif
