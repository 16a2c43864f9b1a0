/* conn.c - non-blocking TCP connection with deadlines, on one libevent loop. */
#include "net/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include "core/clock.h"
#include "core/mem.h"

/* Bytes read per readiness callback before yielding to the loop. */
#define CONN_READ_BUDGET (256 * 1024)
/* Bytes we queue for sending: far above any command we write. */
#define CONN_MAX_OUTPUT (256 * 1024)

enum conn_state { ST_CONNECTING, ST_OPEN, ST_HANDSHAKE, ST_DEAD };

struct conn {
	struct event_base *base;
	int fd;
	enum conn_state state;
	struct event *ev_read, *ev_write, *ev_read_to, *ev_total_to, *ev_connect_to;
	struct buf in, out;
	struct conn_io io;
	struct conn_limits lim;
	conn_cb *cb;
	void *arg;
	struct err err;
	double t0_ms; /* clk_mono_ms() at conn_open/conn_adopt */
	int in_cb;     /* callback depth: free is deferred while > 0 */
	int closed;
	int eof;
	int paused;
	int undelivered; /* bytes arrived that no CONN_EV_DATA announced yet */
	struct conn_io next_io; /* switch to it once the output is flushed */
	int has_next_io;
	size_t bytes_read;
	int early_err; /* connect() failed at once; reported from the loop */
};

static void conn_release(struct conn *c)
{
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

/* Deliver an event; returns 1 when the conn was closed meanwhile and must
 * not be touched again. */
static int emit(struct conn *c, enum conn_ev ev)
{
	c->in_cb++;
	c->cb(c, ev, c->arg);
	c->in_cb--;
	if (c->closed) {
		if (c->in_cb == 0)
			conn_release(c);
		return 1;
	}
	return 0;
}

static void stop_events(struct conn *c)
{
	struct event **evs[] = {&c->ev_read, &c->ev_write, &c->ev_read_to, &c->ev_total_to,
				&c->ev_connect_to};
	for (size_t i = 0; i < ARRAY_LEN(evs); i++) {
		if (*evs[i]) {
			event_free(*evs[i]);
			*evs[i] = NULL;
		}
	}
}

/* The conn is dead: stop everything and tell the owner once. */
static int fail(struct conn *c)
{
	if (c->state == ST_DEAD)
		return 0;
	c->state = ST_DEAD;
	stop_events(c);
	return emit(c, CONN_EV_ERROR);
}

static void arm_read_timeout(struct conn *c)
{
	if (c->lim.read_ms > 0 && c->ev_read_to) {
		struct timeval tv = clk_tv(c->lim.read_ms);
		event_add(c->ev_read_to, &tv);
	}
}

static ssize_t plain_read(void *ctx, void *p, size_t n, int *want, struct err *e)
{
	struct conn *c = ctx;
	ssize_t r = recv(c->fd, p, n, 0);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		*want = CONN_WANT_READ;
		return -1;
	}
	err_set(e, ERR_IO, "read failed: %s", strerror(errno));
	return -2;
}

static ssize_t plain_write(void *ctx, const void *p, size_t n, int *want, struct err *e)
{
	struct conn *c = ctx;
	ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		*want = CONN_WANT_WRITE;
		return -1;
	}
	err_set(e, ERR_IO, "write failed: %s", strerror(errno));
	return -2;
}

struct conn_io conn_plain_io(struct conn *c)
{
	return (struct conn_io){plain_read, plain_write, NULL, c};
}

static void switch_io(struct conn *c, const struct conn_io *io);

/* Send what is queued; returns 1 if the conn went away. */
static int flush(struct conn *c)
{
	while (c->out.len > 0) {
		int want = 0;
		ssize_t r = c->io.write(c->io.ctx, c->out.data, c->out.len, &want, &c->err);
		if (r > 0) {
			buf_consume(&c->out, (size_t)r);
			continue;
		}
		if (r == -1) {
			if (want & CONN_WANT_WRITE)
				event_add(c->ev_write, NULL);
			/* WANT_READ: the persistent read event retries the flush. */
			return 0;
		}
		return fail(c);
	}
	if (c->has_next_io) {
		c->has_next_io = 0;
		switch_io(c, &c->next_io);
	}
	return 0;
}

static int do_handshake(struct conn *c)
{
	int want = 0;
	int r = c->io.handshake(c->io.ctx, &want, &c->err);
	if (r < 0)
		return fail(c);
	if (r == 0) {
		if (want & CONN_WANT_WRITE)
			event_add(c->ev_write, NULL);
		arm_read_timeout(c);
		return 0;
	}
	c->state = ST_OPEN;
	/* The TLS layer may already hold application data read along with the
	 * handshake; look at it without waiting for the socket. */
	event_active(c->ev_read, EV_READ, 1);
	return emit(c, CONN_EV_HANDSHAKE_DONE);
}

static int kernel_has_bytes(const struct conn *c)
{
	uint8_t b;
	return c->fd >= 0 && recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

static int do_read(struct conn *c)
{
	uint8_t tmp[16384];
	int got = 0;

	if (c->out.len > 0 && flush(c))
		return 1;
	if (c->state != ST_OPEN)
		return 0;
	size_t budget = CONN_READ_BUDGET;
	while (!c->eof && c->in.len < c->lim.max_input) {
		int want = 0;
		if (budget == 0) {
			/* A fast peer must not starve the other connections:
			 * come back on the next loop iteration. */
			event_active(c->ev_read, EV_READ, 1);
			break;
		}
		size_t room = c->lim.max_input - c->in.len;
		ssize_t r = c->io.read(c->io.ctx, tmp, room < sizeof tmp ? room : sizeof tmp,
				       &want, &c->err);
		if (r > 0) {
			if (buf_append(&c->in, tmp, (size_t)r) < 0) {
				err_set(&c->err, ERR_LIMIT, "input buffer cap reached");
				return fail(c);
			}
			c->bytes_read += (size_t)r;
			budget = (size_t)r >= budget ? 0 : budget - (size_t)r;
			got = 1;
			continue;
		}
		if (r == 0) {
			c->eof = 1;
			event_del(c->ev_read);
			if (c->ev_read_to)
				event_del(c->ev_read_to);
			break;
		}
		if (r == -1) {
			if (want & CONN_WANT_WRITE)
				event_add(c->ev_write, NULL);
			break;
		}
		/* Deliver what arrived before the failure first: it may be
		 * the answer that ends the dialogue. */
		if (got && !c->paused && emit(c, CONN_EV_DATA))
			return 1;
		return fail(c);
	}
	if (got) {
		c->undelivered = 1;
		arm_read_timeout(c);
	}
	if (c->undelivered && !c->paused) {
		c->undelivered = 0;
		if (emit(c, CONN_EV_DATA))
			return 1;
	}
	/* Full, and still more waiting: the peer sent more than any answer
	 * we wait for may hold. */
	if (c->in.len >= c->lim.max_input && !c->eof && kernel_has_bytes(c)) {
		err_set(&c->err, ERR_LIMIT,
			"the peer sent more than %zu bytes without a complete message",
			c->lim.max_input);
		return fail(c);
	}
	if (c->eof && c->state == ST_OPEN && !c->paused)
		return emit(c, CONN_EV_EOF);
	return 0;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (c->state == ST_HANDSHAKE)
		(void)do_handshake(c);
	else if (c->state == ST_OPEN)
		(void)do_read(c);
}

/* A connect error: "local" when this machine has no route to the address
 * (no IPv6 here, say), which says nothing about the server; "connect" for a
 * refusal or an unreachable reported by the network. */
static void set_connect_err(struct err *e, int err)
{
	if (err == ENETUNREACH || err == EADDRNOTAVAIL || err == EAFNOSUPPORT)
		err_set(e, ERR_LOCAL, "connect failed: %s (no route from this machine)",
			strerror(err));
	else
		err_set(e, ERR_CONNECT, "connect failed: %s", strerror(err));
}

static void on_connected(struct conn *c)
{
	int so_err = 0;
	socklen_t len = sizeof so_err;
	if (c->early_err || getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_err, &len) < 0 ||
	    so_err != 0) {
		if (!c->early_err)
			set_connect_err(&c->err, so_err ? so_err : errno);
		(void)fail(c);
		return;
	}
	c->state = ST_OPEN;
	if (c->ev_connect_to) {
		event_free(c->ev_connect_to);
		c->ev_connect_to = NULL;
	}
	event_add(c->ev_read, NULL);
	arm_read_timeout(c);
	(void)emit(c, CONN_EV_CONNECTED);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	switch (c->state) {
	case ST_CONNECTING:
		on_connected(c);
		break;
	case ST_HANDSHAKE:
		(void)do_handshake(c);
		break;
	case ST_OPEN:
		(void)flush(c);
		break;
	case ST_DEAD:
		break;
	}
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fail(c);
}

static void on_read_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	err_set(&c->err, ERR_TIMEOUT, "no answer from the server within %d ms%s", c->lim.read_ms,
		c->state == ST_HANDSHAKE ? " during the TLS handshake" : "");
	(void)fail(c);
}

static void on_total_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	err_set(&c->err, ERR_TIMEOUT, "connection exceeded its %d ms deadline", c->lim.total_ms);
	(void)fail(c);
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	err_set(&c->err, ERR_TIMEOUT, "connect timed out after %d ms", c->lim.connect_ms);
	on_timeout(fd, what, arg);
}

static struct conn *conn_new(struct event_base *base, int fd, const struct conn_limits *lim,
			     conn_cb *cb, void *arg)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->fd = fd;
	c->lim = *lim;
	if (c->lim.max_input == 0)
		c->lim.max_input = 64 * 1024;
	c->cb = cb;
	c->arg = arg;
	buf_init(&c->in, c->lim.max_input);
	buf_init(&c->out, CONN_MAX_OUTPUT);
	c->io = (struct conn_io){plain_read, plain_write, NULL, c};
	c->t0_ms = clk_mono_ms();

	c->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->ev_write = event_new(base, fd, EV_WRITE, on_write, c);
	c->ev_read_to = event_new(base, -1, 0, on_read_timeout, c);
	c->ev_total_to = event_new(base, -1, 0, on_total_timeout, c);
	if (lim->total_ms > 0) {
		struct timeval tv = clk_tv(lim->total_ms);
		event_add(c->ev_total_to, &tv);
	}
	return c;
}

struct conn *conn_open(struct event_base *base, const struct sockaddr *sa, socklen_t salen,
		       const struct conn_limits *lim, conn_cb *cb, void *arg, struct err *e)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		if (errno == EAFNOSUPPORT)
			set_connect_err(e, errno);
		else
			err_set(e, ERR_CONNECT, "socket: %s", strerror(errno));
		return NULL;
	}
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

	struct conn *c = conn_new(base, fd, lim, cb, arg);
	c->state = ST_CONNECTING;
	if (lim->connect_ms > 0) {
		c->ev_connect_to = event_new(base, -1, 0, on_connect_timeout, c);
		struct timeval tv = clk_tv(lim->connect_ms);
		event_add(c->ev_connect_to, &tv);
	}
	if (connect(fd, sa, salen) < 0 && errno != EINPROGRESS) {
		/* Reported from the loop so the caller sees one path for
		 * every outcome. */
		set_connect_err(&c->err, errno);
		c->early_err = 1;
		event_active(c->ev_write, EV_WRITE, 1);
		return c;
	}
	event_add(c->ev_write, NULL);
	return c;
}

struct conn *conn_adopt(struct event_base *base, int fd, const struct conn_limits *lim,
			conn_cb *cb, void *arg)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	struct conn *c = conn_new(base, fd, lim, cb, arg);
	c->state = ST_OPEN;
	event_add(c->ev_read, NULL);
	arm_read_timeout(c);
	return c;
}

void conn_close(struct conn *c)
{
	if (!c || c->closed)
		return;
	stop_events(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->closed = 1;
	c->state = ST_DEAD;
	if (c->in_cb == 0)
		conn_release(c);
}

int conn_write(struct conn *c, const void *p, size_t n)
{
	if (c->state != ST_OPEN) {
		err_set(&c->err, ERR_INTERNAL, "write on a connection that is not open");
		return -1;
	}
	if (buf_append(&c->out, p, n) < 0) {
		err_set(&c->err, ERR_LIMIT, "output queue full");
		return -1;
	}
	/* A failure shows up as CONN_EV_ERROR from the loop, not here. */
	event_add(c->ev_write, NULL);
	return 0;
}

struct buf *conn_input(struct conn *c)
{
	return &c->in;
}

size_t conn_pending(struct conn *c)
{
	uint8_t tmp[4096];
	size_t n = c->in.len;
	if (c->fd >= 0) {
		ssize_t r = recv(c->fd, tmp, sizeof tmp, MSG_PEEK | MSG_DONTWAIT);
		if (r > 0)
			n += (size_t)r;
	}
	return n;
}

size_t conn_read_now(struct conn *c)
{
	uint8_t tmp[4096];
	size_t n = 0;
	ssize_t r;
	while (c->fd >= 0 && c->in.len < c->lim.max_input) {
		size_t room = c->lim.max_input - c->in.len;
		r = recv(c->fd, tmp, room < sizeof tmp ? room : sizeof tmp, MSG_DONTWAIT);
		if (r <= 0 || buf_append(&c->in, tmp, (size_t)r) < 0)
			break;
		n += (size_t)r;
		c->bytes_read += (size_t)r;
	}
	return n;
}

static void switch_io(struct conn *c, const struct conn_io *io)
{
	buf_reset(&c->in);
	c->io = *io;
	if (io->handshake) {
		c->state = ST_HANDSHAKE;
		arm_read_timeout(c);
		event_active(c->ev_write, EV_WRITE, 1);
	}
}

void conn_start_io(struct conn *c, const struct conn_io *io)
{
	/* What the old transport still has to send goes first (a MySQL
	 * SSLRequest right before the ClientHello). */
	if (c->out.len > 0) {
		c->next_io = *io;
		c->has_next_io = 1;
		buf_reset(&c->in);
		event_add(c->ev_write, NULL);
		return;
	}
	switch_io(c, io);
}

void conn_flush_now(struct conn *c)
{
	if (c->fd < 0 || c->closed || c->state != ST_OPEN)
		return;
	for (int i = 0; i < 8 && c->out.len > 0; i++) {
		int want = 0;
		struct err e;
		ssize_t r = c->io.write(c->io.ctx, c->out.data, c->out.len, &want, &e);
		if (r <= 0)
			break;
		buf_consume(&c->out, (size_t)r);
	}
}

size_t conn_bytes_read(const struct conn *c)
{
	return c->bytes_read;
}

int conn_fd(const struct conn *c)
{
	return c->fd;
}

const struct err *conn_error(const struct conn *c)
{
	return &c->err;
}

double conn_elapsed_ms(const struct conn *c)
{
	return clk_mono_ms() - c->t0_ms;
}

void conn_set_read_ms(struct conn *c, int read_ms)
{
	c->lim.read_ms = read_ms;
	if (c->ev_read_to) {
		event_del(c->ev_read_to);
		if (c->state == ST_OPEN || c->state == ST_HANDSHAKE)
			arm_read_timeout(c);
	}
}

void conn_pause_read(struct conn *c, int pause)
{
	c->paused = pause;
	if (!pause && c->state == ST_OPEN && (c->undelivered || c->eof) && c->ev_read)
		event_active(c->ev_read, EV_READ, 1);
}
