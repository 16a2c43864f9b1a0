/* test_conn.c - the non-blocking connection on a real libevent loop over
 * real loopback sockets: connect, refusal, input collection, the three
 * deadlines, the input cap, EOF, pausing, pending bytes, writes, closing
 * from the callback, adopting a socket, switching transport. The peer is a plain socket in the same
 * process, driven by timers on the same loop. Times are kept loose: the error category is what is
 * asserted. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include "core/err.h"
#include "net/conn.h"

#define NEV 5 /* enum conn_ev values */

struct tc;
typedef void hook_fn(struct tc *t, enum conn_ev ev);

struct tc {
	struct event_base *base;
	struct conn *c;
	int lfd;  /* listening socket, -1 when none */
	int peer; /* accepted end, -1 until CONNECTED */
	struct sockaddr_storage sa;
	socklen_t salen;
	struct conn_limits lim;
	int n[NEV];  /* events seen, by kind */
	int total;   /* all events */
	int in_open; /* inside conn_open: no callback may come */
	enum conn_ev last;
	struct err err;   /* copy of conn_error() at CONN_EV_ERROR */
	double err_ms;    /* conn_elapsed_ms() then */
	size_t eof_input; /* conn_input()->len at CONN_EV_EOF */
	int keep_open;    /* do not close on ERROR/EOF (the hook will) */
	hook_fn *hook;
	struct event *guard;
	int timed_out;
	/* what the peer received */
	struct event *peer_ev;
	uint8_t got[256 * 1024];
	size_t ngot, want_got;
};

static void on_guard(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct tc *t = arg;

	t->timed_out = 1;
	event_base_loopbreak(t->base);
}

static void stop(struct tc *t)
{
	event_base_loopbreak(t->base);
}

static void close_conn(struct tc *t)
{
	conn_close(t->c);
	t->c = NULL;
}

static int accept_peer(int lfd)
{
	int fd;

	do
		fd = accept(lfd, NULL, NULL);
	while (fd < 0 && errno == EINTR);
	assert_true(fd >= 0);
	return fd;
}

static void on_conn(struct conn *c, enum conn_ev ev, void *arg)
{
	struct tc *t = arg;

	assert_int_equal(t->in_open, 0);
	assert_ptr_equal(c, t->c);
	assert_true((int)ev >= 0 && (int)ev < NEV);
	t->n[ev]++;
	t->total++;
	t->last = ev;
	if (ev == CONN_EV_CONNECTED && t->lfd >= 0 && t->peer < 0)
		t->peer = accept_peer(t->lfd);
	if (ev == CONN_EV_ERROR) {
		t->err = *conn_error(c);
		t->err_ms = conn_elapsed_ms(c);
	}
	if (ev == CONN_EV_EOF)
		t->eof_input = conn_input(c)->len;
	if (t->hook)
		t->hook(t, ev);
	if ((ev == CONN_EV_ERROR || ev == CONN_EV_EOF) && !t->keep_open && t->c) {
		close_conn(t);
		stop(t);
	}
}

static int listen_on(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		*len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)ss, *len) < 0 ||
	    getsockname(fd, (struct sockaddr *)ss, len) < 0 || listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void tc_init_family(struct tc *t, int family)
{
	struct timeval tv = {5, 0};

	memset(t, 0, sizeof(*t));
	t->peer = -1;
	t->base = event_base_new();
	assert_non_null(t->base);
	t->lfd = listen_on(family, &t->sa, &t->salen);
	assert_true(t->lfd >= 0);
	t->guard = evtimer_new(t->base, on_guard, t);
	assert_int_equal(evtimer_add(t->guard, &tv), 0);
}

static void tc_init(struct tc *t)
{
	tc_init_family(t, AF_INET);
}

static void tc_open(struct tc *t)
{
	struct err e;

	err_clear(&e);
	t->in_open = 1;
	t->c = conn_open(t->base, (struct sockaddr *)&t->sa, t->salen, &t->lim, on_conn, t, &e);
	t->in_open = 0;
	assert_non_null(t->c);
	assert_int_equal(e.cat, ERR_NONE);
	/* Results come from the loop, never from conn_open itself. */
	assert_int_equal(t->total, 0);
}

static void tc_run(struct tc *t)
{
	assert_int_equal(event_base_dispatch(t->base), 0);
	assert_int_equal(t->timed_out, 0);
}

static void tc_free(struct tc *t)
{
	if (t->c)
		conn_close(t->c);
	if (t->peer_ev)
		event_free(t->peer_ev);
	if (t->peer >= 0)
		close(t->peer);
	if (t->lfd >= 0)
		close(t->lfd);
	event_free(t->guard);
	event_base_free(t->base);
}

static void peer_send(struct tc *t, const void *p, size_t n)
{
	assert_int_equal(send(t->peer, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Bytes the peer sends after a delay, through the loop. */
struct later {
	struct tc *t;
	const char *data; /* NULL: close the peer instead */
	size_t len;
};

static void on_later(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct later *l = arg;

	if (l->data) {
		peer_send(l->t, l->data, l->len);
	} else {
		close(l->t->peer);
		l->t->peer = -1;
	}
}

static void send_later(struct tc *t, struct later *l, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	assert_int_equal(event_base_once(t->base, -1, EV_TIMEOUT, on_later, l, &tv), 0);
}

/* ---- connect ---- */

static void hook_close_on_connect(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_CONNECTED) {
		assert_true(conn_fd(t->c) >= 0);
		assert_true(conn_elapsed_ms(t->c) >= 0);
		assert_int_equal(conn_input(t->c)->len, 0);
		close_conn(t);
		stop(t);
	}
}

static void test_connect(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	t.hook = hook_close_on_connect;
	tc_open(&t);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_CONNECTED], 1);
	assert_int_equal(t.total, 1);
	assert_null(t.c);
	assert_true(t.peer >= 0);
	tc_free(&t);
}

static void test_connect_ipv6(void **state UNUSED)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = listen_on(AF_INET6, &ss, &len);
	struct tc t;

	if (fd < 0) {
		skip(); /* no ::1 on this machine */
		return;
	}
	close(fd);
	tc_init_family(&t, AF_INET6);
	t.hook = hook_close_on_connect;
	tc_open(&t);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_CONNECTED], 1);
	assert_int_equal(t.total, 1);
	tc_free(&t);
}

static void test_refused(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	/* A port that is bound but not listening refuses (RST), with no
	 * window for another process to take it. */
	close(t.lfd);
	t.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(t.lfd >= 0);
	((struct sockaddr_in *)&t.sa)->sin_port = 0;
	assert_int_equal(bind(t.lfd, (struct sockaddr *)&t.sa, t.salen), 0);
	assert_int_equal(getsockname(t.lfd, (struct sockaddr *)&t.sa, &t.salen), 0);
	tc_open(&t);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_ERROR], 1);
	assert_int_equal(t.n[CONN_EV_CONNECTED], 0);
	assert_int_equal(t.total, 1);
	assert_int_equal(t.err.cat, ERR_CONNECT);
	assert_non_null(strstr(t.err.msg, "refused"));
	tc_free(&t);
}

static void test_connect_fails_at_once(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	/* An address length connect() rejects synchronously: the error
	 * must still come from the loop. */
	t.salen = 2;
	tc_open(&t);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_ERROR], 1);
	assert_int_equal(t.total, 1);
	assert_int_equal(t.err.cat, ERR_CONNECT);
	tc_free(&t);
}

/* ---- input ---- */

static void hook_stop_at_newline(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_DATA) {
		struct buf *in = conn_input(t->c);
		if (memchr(in->data, '\n', in->len))
			stop(t);
	}
}

static void test_data_collects(void **state UNUSED)
{
	struct tc t;
	struct later w1 = {&t, "220 ", 4}, w2 = {&t, "mx ESMTP", 8}, w3 = {&t, "\r\n", 2};

	tc_init(&t);
	t.hook = hook_stop_at_newline;
	tc_open(&t);
	send_later(&t, &w1, 20);
	send_later(&t, &w2, 60);
	send_later(&t, &w3, 100);
	tc_run(&t);
	assert_non_null(t.c);
	/* Not consumed, so each write adds to the same buffer. */
	assert_int_equal(conn_input(t.c)->len, 14);
	assert_memory_equal(conn_input(t.c)->data, "220 mx ESMTP\r\n", 14);
	assert_true(t.n[CONN_EV_DATA] >= 2);
	assert_int_equal(t.n[CONN_EV_ERROR], 0);
	assert_int_equal(t.n[CONN_EV_EOF], 0);
	/* Consuming is the owner's job. */
	buf_consume(conn_input(t.c), 4);
	assert_int_equal(conn_input(t.c)->len, 10);
	assert_memory_equal(conn_input(t.c)->data, "mx ESMTP\r\n", 10);
	tc_free(&t);
}

static void test_eof_after_data(void **state UNUSED)
{
	struct tc t;
	struct later w = {&t, "221 bye\r\n", 9}, bye = {&t, NULL, 0};

	tc_init(&t);
	tc_open(&t);
	send_later(&t, &w, 20);
	send_later(&t, &bye, 60);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_EOF], 1);
	assert_int_equal(t.n[CONN_EV_ERROR], 0);
	assert_true(t.n[CONN_EV_DATA] >= 1);
	assert_int_equal(t.last, CONN_EV_EOF);
	/* The bytes are still there when EOF is reported. */
	assert_int_equal(t.eof_input, 9);
	tc_free(&t);
}

static void test_eof_silent(void **state UNUSED)
{
	struct tc t;
	struct later bye = {&t, NULL, 0};

	tc_init(&t);
	tc_open(&t);
	send_later(&t, &bye, 20);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_CONNECTED], 1);
	assert_int_equal(t.n[CONN_EV_EOF], 1);
	assert_int_equal(t.n[CONN_EV_DATA], 0);
	assert_int_equal(t.n[CONN_EV_ERROR], 0);
	assert_int_equal(t.eof_input, 0);
	tc_free(&t);
}

static void hook_pause_on_connect(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_CONNECTED)
		conn_pause_read(t->c, 1);
}

static void on_unpause(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct tc *t = arg;

	/* Paused: the bytes were read into the buffer, not announced. */
	assert_int_equal(t->n[CONN_EV_DATA], 0);
	assert_int_equal(conn_input(t->c)->len, 7);
	conn_pause_read(t->c, 0);
}

static void on_settle(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	stop(arg);
}

static void settle_after(struct tc *t, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	assert_int_equal(event_base_once(t->base, -1, EV_TIMEOUT, on_settle, t, &tv), 0);
}

/* conn.h: pausing stops CONN_EV_DATA; resuming must announce what
 * collected meanwhile, without waiting for more bytes from the peer. */
static void test_pause_read(void **state UNUSED)
{
	struct tc t;
	struct later w = {&t, "250 x\r\n", 7};
	struct timeval tv = {0, 100 * 1000};

	tc_init(&t);
	t.hook = hook_pause_on_connect;
	tc_open(&t);
	send_later(&t, &w, 20);
	assert_int_equal(event_base_once(t.base, -1, EV_TIMEOUT, on_unpause, &t, &tv), 0);
	settle_after(&t, 300);
	tc_run(&t);
	if (t.n[CONN_EV_DATA] != 1)
		fail_msg("resumed with 7 bytes buffered: %d CONN_EV_DATA", t.n[CONN_EV_DATA]);
	assert_int_equal(t.n[CONN_EV_ERROR], 0);
	assert_int_equal(conn_input(t.c)->len, 7);
	tc_free(&t);
}

static void on_unpause_eof(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct tc *t = arg;

	/* Neither the bytes nor the end were announced while paused. */
	assert_int_equal(t->n[CONN_EV_DATA], 0);
	assert_int_equal(t->n[CONN_EV_EOF], 0);
	assert_int_equal(conn_input(t->c)->len, 9);
	conn_pause_read(t->c, 0);
}

static void test_pause_read_eof(void **state UNUSED)
{
	struct tc t;
	struct later w = {&t, "221 bye\r\n", 9}, bye = {&t, NULL, 0};
	struct timeval tv = {0, 100 * 1000};

	tc_init(&t);
	t.hook = hook_pause_on_connect;
	tc_open(&t);
	send_later(&t, &w, 20);
	send_later(&t, &bye, 40);
	assert_int_equal(event_base_once(t.base, -1, EV_TIMEOUT, on_unpause_eof, &t, &tv), 0);
	tc_run(&t);
	/* Resumed: the data, then the end, in that order. */
	assert_int_equal(t.n[CONN_EV_DATA], 1);
	assert_int_equal(t.n[CONN_EV_EOF], 1);
	assert_int_equal(t.last, CONN_EV_EOF);
	assert_int_equal(t.eof_input, 9);
	tc_free(&t);
}

/* ---- deadlines ---- */

static void test_read_deadline(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	t.lim.read_ms = 100;
	tc_open(&t);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_CONNECTED], 1);
	assert_int_equal(t.n[CONN_EV_ERROR], 1);
	assert_int_equal(t.err.cat, ERR_TIMEOUT);
	assert_true(t.err_ms >= 90);
	tc_free(&t);
}

static void test_read_deadline_rearmed_by_data(void **state UNUSED)
{
	struct tc t;
	struct later w1 = {&t, "a", 1}, w2 = {&t, "b", 1}, w3 = {&t, "c", 1};

	tc_init(&t);
	t.lim.read_ms = 150;
	tc_open(&t);
	/* Each byte comes within the idle deadline; their total does not. */
	send_later(&t, &w1, 100);
	send_later(&t, &w2, 200);
	send_later(&t, &w3, 300);
	tc_run(&t);
	assert_int_equal(t.err.cat, ERR_TIMEOUT);
	assert_int_equal(t.n[CONN_EV_DATA], 3);
	assert_true(t.err_ms >= 400);
	tc_free(&t);
}

static void hook_set_read_ms(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_CONNECTED)
		conn_set_read_ms(t->c, 50);
}

static void test_set_read_ms(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	t.lim.read_ms = 60000;
	t.hook = hook_set_read_ms;
	tc_open(&t);
	tc_run(&t);
	assert_int_equal(t.err.cat, ERR_TIMEOUT);
	assert_non_null(strstr(t.err.msg, "50 ms"));
	tc_free(&t);
}

static void test_total_deadline(void **state UNUSED)
{
	struct tc t;
	struct later w[8];

	tc_init(&t);
	t.lim.read_ms = 10000;
	t.lim.total_ms = 150;
	tc_open(&t);
	/* The peer keeps talking, so only the total deadline can end it. */
	for (int i = 0; i < 8; i++) {
		w[i] = (struct later){&t, "x", 1};
		send_later(&t, &w[i], 20 + 30 * i);
	}
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_ERROR], 1);
	assert_int_equal(t.err.cat, ERR_TIMEOUT);
	/* The total deadline, not the idle one. */
	assert_non_null(strstr(t.err.msg, "150 ms"));
	assert_true(t.err_ms >= 140);
	assert_true(t.n[CONN_EV_DATA] >= 1);
	tc_free(&t);
}

/* ---- input cap ---- */

static void test_input_cap(void **state UNUSED)
{
	struct tc t;
	char junk[64];
	struct later w = {&t, junk, sizeof junk};

	memset(junk, 'x', sizeof junk);
	tc_init(&t);
	t.lim.max_input = 16;
	tc_open(&t);
	send_later(&t, &w, 20);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_ERROR], 1);
	assert_int_equal(t.err.cat, ERR_LIMIT);
	tc_free(&t);
}

static void test_input_cap_trickle(void **state UNUSED)
{
	struct tc t;
	struct later w[3];

	tc_init(&t);
	t.lim.max_input = 16;
	tc_open(&t);
	/* 8 + 8 fill the buffer unconsumed; 8 more are over. */
	for (int i = 0; i < 3; i++) {
		w[i] = (struct later){&t, "250-abc\n", 8};
		send_later(&t, &w[i], 20 + 40 * i);
	}
	tc_run(&t);
	assert_int_equal(t.err.cat, ERR_LIMIT);
	assert_true(t.n[CONN_EV_DATA] >= 1);
	tc_free(&t);
}

/* conn.h: max_input is the "cap on unconsumed input bytes"; exactly that
 * many is within the cap, and the owner must get to see them. */
static void test_input_cap_exact(void **state UNUSED)
{
	struct tc t;
	struct later w = {&t, "220 abc\r\n", 9};

	tc_init(&t);
	t.lim.max_input = 9;
	tc_open(&t);
	send_later(&t, &w, 20);
	settle_after(&t, 200);
	tc_run(&t);
	if (t.n[CONN_EV_ERROR] != 0)
		fail_msg("9 bytes with max_input 9: %s error: %s", err_cat_name(t.err.cat),
		         t.err.msg);
	assert_int_equal(t.n[CONN_EV_DATA], 1);
	assert_non_null(t.c);
	assert_int_equal(conn_input(t.c)->len, 9);
	tc_free(&t);
}

static void hook_consume_all(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_DATA)
		buf_consume(conn_input(t->c), conn_input(t->c)->len);
}

static void test_input_cap_consumed(void **state UNUSED)
{
	struct tc t;
	struct later w[4];

	tc_init(&t);
	t.lim.max_input = 16;
	t.hook = hook_consume_all;
	tc_open(&t);
	/* 40 bytes in all, never more than 10 unconsumed. */
	for (int i = 0; i < 4; i++) {
		w[i] = (struct later){&t, "250-abcde\n", 10};
		send_later(&t, &w[i], 20 + 40 * i);
	}
	settle_after(&t, 250);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_ERROR], 0);
	assert_int_equal(t.n[CONN_EV_DATA], 4);
	tc_free(&t);
}

/* ---- pending ---- */

static size_t pending_settled(struct conn *c, size_t want)
{
	size_t n = 0;

	/* Loopback delivers at once in practice; allow the kernel a moment. */
	for (int i = 0; i < 1000; i++) {
		n = conn_pending(c);
		if (n >= want)
			break;
		usleep(1000);
	}
	return n;
}

static void hook_pending(struct tc *t, enum conn_ev ev)
{
	struct buf *in;

	if (ev != CONN_EV_DATA)
		return;
	in = conn_input(t->c);
	if (t->n[CONN_EV_DATA] == 1) {
		assert_int_equal(in->len, 8);
		assert_int_equal(conn_pending(t->c), 8);
		buf_consume(in, 6); /* leaves "\nX" */
		assert_int_equal(conn_pending(t->c), 2);
		/* Bytes still in the kernel count too, and are not taken. */
		peer_send(t, "YZW", 3);
		assert_int_equal(pending_settled(t->c, 5), 5);
		assert_int_equal(conn_pending(t->c), 5);
		assert_int_equal(in->len, 2);
		buf_consume(in, 2);
		assert_int_equal(pending_settled(t->c, 3), 3);
	} else if (in->len == 3) {
		assert_memory_equal(in->data, "YZW", 3);
		buf_consume(in, 3);
		assert_int_equal(conn_pending(t->c), 0);
		stop(t);
	}
}

static void test_pending(void **state UNUSED)
{
	struct tc t;
	struct later w = {&t, "220 a\r\nX", 8};

	tc_init(&t);
	t.hook = hook_pending;
	tc_open(&t);
	send_later(&t, &w, 20);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_DATA], 2);
	assert_int_equal(t.n[CONN_EV_ERROR], 0);
	tc_free(&t);
}

static void hook_read_now(struct tc *t, enum conn_ev ev)
{
	struct buf *in;

	if (ev != CONN_EV_DATA)
		return;
	in = conn_input(t->c);
	assert_int_equal(t->n[CONN_EV_DATA], 1);
	assert_int_equal(in->len, 7);
	peer_send(t, "XYZ", 3);
	assert_int_equal(pending_settled(t->c, 10), 10);
	/* Taken into the buffer at once, with no event of its own. */
	assert_int_equal(conn_read_now(t->c), 3);
	assert_int_equal(in->len, 10);
	assert_memory_equal(in->data, "220 a\r\nXYZ", 10);
	assert_int_equal(conn_read_now(t->c), 0);
	/* Up to the cap (12) and no further. */
	peer_send(t, "12345", 5);
	assert_int_equal(pending_settled(t->c, 15), 15);
	assert_int_equal(conn_read_now(t->c), 2);
	assert_int_equal(in->len, 12);
	assert_memory_equal(in->data + 10, "12", 2);
}

static void test_read_now(void **state UNUSED)
{
	struct tc t;
	struct later w = {&t, "220 a\r\n", 7};

	tc_init(&t);
	t.lim.max_input = 12;
	t.hook = hook_read_now;
	tc_open(&t);
	send_later(&t, &w, 20);
	tc_run(&t);
	/* The 3 bytes left in the kernel then overflow the full buffer. */
	assert_int_equal(t.n[CONN_EV_DATA], 1);
	assert_int_equal(t.n[CONN_EV_ERROR], 1);
	assert_int_equal(t.err.cat, ERR_LIMIT);
	tc_free(&t);
}

/* ---- write ---- */

static void on_peer_readable(evutil_socket_t fd, short what UNUSED, void *arg)
{
	struct tc *t = arg;
	ssize_t r = recv(fd, t->got + t->ngot, sizeof(t->got) - t->ngot, 0);

	assert_true(r > 0);
	t->ngot += (size_t)r;
	if (t->ngot >= t->want_got)
		stop(t);
}

static void watch_peer(struct tc *t, size_t want)
{
	t->want_got = want;
	t->peer_ev = event_new(t->base, t->peer, EV_READ | EV_PERSIST, on_peer_readable, t);
	assert_non_null(t->peer_ev);
	assert_int_equal(event_add(t->peer_ev, NULL), 0);
}

static void hook_write_ehlo(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_CONNECTED) {
		assert_int_equal(conn_write(t->c, "EHLO ", 5), 0);
		assert_int_equal(conn_write(t->c, "x\r\n", 3), 0);
		watch_peer(t, 8);
	}
}

static void test_write(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	t.hook = hook_write_ehlo;
	tc_open(&t);
	tc_run(&t);
	assert_int_equal(t.ngot, 8);
	assert_memory_equal(t.got, "EHLO x\r\n", 8);
	assert_int_equal(t.n[CONN_EV_ERROR], 0);
	tc_free(&t);
}

#define BIG (200 * 1024)

static void hook_write_big(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_CONNECTED) {
		uint8_t *p = malloc(BIG);
		int small = 4096;

		assert_non_null(p);
		for (size_t i = 0; i < BIG; i++)
			p[i] = (uint8_t)(i * 7 + i / 251);
		/* Small socket buffers force partial sends. */
		assert_int_equal(
		    setsockopt(conn_fd(t->c), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
		assert_int_equal(conn_write(t->c, p, BIG), 0);
		free(p);
		watch_peer(t, BIG);
	}
}

static void test_write_big(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	t.hook = hook_write_big;
	tc_open(&t);
	tc_run(&t);
	assert_int_equal(t.ngot, BIG);
	for (size_t i = 0; i < BIG; i++)
		if (t.got[i] != (uint8_t)(i * 7 + i / 251))
			fail_msg("byte %zu differs", i);
	tc_free(&t);
}

static void hook_write_over_cap(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_CONNECTED) {
		size_t n = 300 * 1024;
		uint8_t *p = calloc(1, n);

		assert_non_null(p);
		assert_int_equal(conn_write(t->c, p, n), -1);
		assert_int_equal(conn_error(t->c)->cat, ERR_LIMIT);
		free(p);
		close_conn(t);
		stop(t);
	}
}

static void test_write_over_cap(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	t.hook = hook_write_over_cap;
	tc_open(&t);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_CONNECTED], 1);
	tc_free(&t);
}

static void test_write_before_connect(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	t.hook = hook_close_on_connect;
	tc_open(&t);
	assert_int_equal(conn_write(t.c, "x", 1), -1);
	assert_int_equal(conn_error(t.c)->cat, ERR_INTERNAL);
	tc_run(&t);
	tc_free(&t);
}

/* ---- closing from the callback ---- */

static void hook_close_on_data(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_DATA) {
		assert_int_equal(conn_input(t->c)->len, 4);
		close_conn(t);
		/* Nothing after this: the test's settle timer ends the run. */
	}
}

static void test_close_in_data_callback(void **state UNUSED)
{
	struct tc t;
	struct later w = {&t, "250 ", 4}, more = {&t, "more\r\n", 6}, bye = {&t, NULL, 0};

	tc_init(&t);
	t.hook = hook_close_on_data;
	t.lim.read_ms = 50;
	t.lim.total_ms = 100;
	tc_open(&t);
	send_later(&t, &w, 20);
	send_later(&t, &more, 60);
	send_later(&t, &bye, 80);
	settle_after(&t, 200);
	tc_run(&t);
	/* Neither more data, EOF nor a deadline reached a closed conn. */
	assert_int_equal(t.n[CONN_EV_CONNECTED], 1);
	assert_int_equal(t.n[CONN_EV_DATA], 1);
	assert_int_equal(t.total, 2);
	assert_null(t.c);
	tc_free(&t);
}

static void hook_close_on_data_then_eof(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_DATA)
		close_conn(t);
}

static void test_close_in_callback_with_eof_pending(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	tc_open(&t);
	/* Wait for the connection, then let data and EOF arrive together
	 * so one read sees both: close in DATA must stop EOF. */
	t.hook = NULL;
	while (t.n[CONN_EV_CONNECTED] == 0)
		assert_int_equal(event_base_loop(t.base, EVLOOP_ONCE), 0);
	t.hook = hook_close_on_data_then_eof;
	peer_send(&t, "221 bye\r\n", 9);
	close(t.peer);
	t.peer = -1;
	settle_after(&t, 100);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_DATA], 1);
	assert_int_equal(t.n[CONN_EV_EOF], 0);
	assert_null(t.c);
	tc_free(&t);
}

static void hook_close_on_error(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_ERROR) {
		close_conn(t);
		/* A second close of the same pointer would be the owner's
		 * bug; closing NULL is allowed. */
		conn_close(NULL);
		stop(t);
	}
}

static void test_close_in_error_callback(void **state UNUSED)
{
	struct tc t;

	tc_init(&t);
	t.keep_open = 1;
	t.hook = hook_close_on_error;
	t.lim.read_ms = 30;
	tc_open(&t);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_ERROR], 1);
	assert_int_equal(t.err.cat, ERR_TIMEOUT);
	assert_null(t.c);
	tc_free(&t);
}

/* ---- adopting an accepted socket ---- */

static void hook_adopt(struct tc *t, enum conn_ev ev)
{
	if (ev == CONN_EV_DATA && conn_input(t->c)->len == 6) {
		assert_memory_equal(conn_input(t->c)->data, "HELO x", 6);
		buf_consume(conn_input(t->c), 6);
		assert_int_equal(conn_write(t->c, "250 ok\r\n", 8), 0);
		watch_peer(t, 8);
	}
}

static void test_adopt(void **state UNUSED)
{
	struct tc t;
	struct later w = {&t, "HELO x", 6};
	int sv[2];

	tc_init(&t);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	t.peer = sv[1];
	t.hook = hook_adopt;
	t.in_open = 1;
	t.c = conn_adopt(t.base, sv[0], &t.lim, on_conn, &t);
	t.in_open = 0;
	assert_non_null(t.c);
	assert_int_equal(conn_fd(t.c), sv[0]);
	/* Open at once: writing needs no CONN_EV_CONNECTED. */
	assert_true(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	send_later(&t, &w, 20);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_CONNECTED], 0);
	assert_true(t.n[CONN_EV_DATA] >= 1);
	assert_int_equal(t.ngot, 8);
	assert_memory_equal(t.got, "250 ok\r\n", 8);
	tc_free(&t);
}

static void test_adopt_read_deadline(void **state UNUSED)
{
	struct tc t;
	int sv[2];

	tc_init(&t);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	t.peer = sv[1];
	t.lim.read_ms = 50;
	t.c = conn_adopt(t.base, sv[0], &t.lim, on_conn, &t);
	assert_non_null(t.c);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_ERROR], 1);
	assert_int_equal(t.total, 1);
	assert_int_equal(t.err.cat, ERR_TIMEOUT);
	tc_free(&t);
}

/* ---- switching transport ---- */

struct fake_io {
	struct tc *t;
	int calls;
};

static ssize_t fio_read(void *ctx, void *p, size_t n, int *want, struct err *e)
{
	struct fake_io *f = ctx;
	ssize_t r = recv(conn_fd(f->t->c), p, n, 0);

	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		*want = CONN_WANT_READ;
		return -1;
	}
	err_set(e, ERR_IO, "recv");
	return -2;
}

static ssize_t fio_write(void *ctx, const void *p, size_t n, int *want, struct err *e)
{
	struct fake_io *f = ctx;
	ssize_t r = send(conn_fd(f->t->c), p, n, MSG_NOSIGNAL);

	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		*want = CONN_WANT_WRITE;
		return -1;
	}
	err_set(e, ERR_IO, "send");
	return -2;
}

/* Done on the second call: the first asks to wait for input. */
static int fio_handshake(void *ctx, int *want, struct err *e UNUSED)
{
	struct fake_io *f = ctx;

	if (++f->calls == 1) {
		*want = CONN_WANT_READ;
		return 0;
	}
	return 1;
}

static struct fake_io fio;

static void hook_start_io(struct tc *t, enum conn_ev ev)
{
	static const struct conn_io io = {fio_read, fio_write, fio_handshake, &fio};

	if (ev == CONN_EV_DATA && t->n[CONN_EV_DATA] == 1) {
		/* "220 go\r\n" and pipelined "EVIL" arrived together. */
		assert_int_equal(conn_input(t->c)->len, 12);
		buf_consume(conn_input(t->c), 8);
		assert_int_equal(conn_pending(t->c), 4);
		conn_start_io(t->c, &io);
		/* Never handed to the new layer (STYLE.md 9). */
		assert_int_equal(conn_input(t->c)->len, 0);
	} else if (ev == CONN_EV_DATA && conn_input(t->c)->len == 5) {
		stop(t);
	}
}

static void test_start_io(void **state UNUSED)
{
	struct tc t;
	struct later w = {&t, "220 go\r\nEVIL", 12}, after = {&t, "after", 5};

	tc_init(&t);
	fio = (struct fake_io){&t, 0};
	t.hook = hook_start_io;
	tc_open(&t);
	send_later(&t, &w, 20);
	/* The fake handshake waits for input; these bytes wake it and are
	 * then read through the new io. */
	send_later(&t, &after, 100);
	tc_run(&t);
	assert_int_equal(t.n[CONN_EV_HANDSHAKE_DONE], 1);
	assert_int_equal(fio.calls, 2);
	assert_int_equal(conn_input(t.c)->len, 5);
	assert_memory_equal(conn_input(t.c)->data, "after", 5);
	tc_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connect),
	    cmocka_unit_test(test_connect_ipv6),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_connect_fails_at_once),
	    cmocka_unit_test(test_data_collects),
	    cmocka_unit_test(test_eof_after_data),
	    cmocka_unit_test(test_eof_silent),
	    cmocka_unit_test(test_pause_read),
	    cmocka_unit_test(test_pause_read_eof),
	    cmocka_unit_test(test_read_deadline),
	    cmocka_unit_test(test_read_deadline_rearmed_by_data),
	    cmocka_unit_test(test_set_read_ms),
	    cmocka_unit_test(test_total_deadline),
	    cmocka_unit_test(test_input_cap),
	    cmocka_unit_test(test_input_cap_trickle),
	    cmocka_unit_test(test_input_cap_exact),
	    cmocka_unit_test(test_input_cap_consumed),
	    cmocka_unit_test(test_pending),
	    cmocka_unit_test(test_read_now),
	    cmocka_unit_test(test_write),
	    cmocka_unit_test(test_write_big),
	    cmocka_unit_test(test_write_over_cap),
	    cmocka_unit_test(test_write_before_connect),
	    cmocka_unit_test(test_close_in_data_callback),
	    cmocka_unit_test(test_close_in_callback_with_eof_pending),
	    cmocka_unit_test(test_close_in_error_callback),
	    cmocka_unit_test(test_adopt),
	    cmocka_unit_test(test_adopt_read_deadline),
	    cmocka_unit_test(test_start_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
