/* serve.c - the receiving test server's loop: listeners, sessions, limits,
 * timers, signals, session records. */
#include "serve/serve.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include "core/buf.h"
#include "core/clock.h"
#include "core/esc.h"
#include "core/log.h"
#include "core/mem.h"
#include "net/conn.h"
#include "net/listen.h"
#include "serve/sessrec.h"
#include "serve/smtpd.h"

/* A session's unconsumed input: a line at most, plus what one read burst
 * brings. The listening socket's receive buffer (inherited by clients)
 * bounds a burst, so a fast sender of a big message never hits this. */
#define SERVE_INPUT_SLACK (1024 * 1024)
#define SERVE_RCVBUF (64 * 1024)
/* What a session keeps of its input and output buffers between bursts. A
 * burst (a long line, a body, pipelined commands) grows them to a read
 * budget's worth; once consumed, the memory goes back (trim_buf): 200 idle
 * sessions that had each sent one 300 kB line held 54 MB, now 0.3 MB. */
#define SERVE_BUF_KEEP (16 * 1024)
/* How long a last reply (221, 421) may take to leave before we close. */
#define SERVE_LINGER_MS 2000
/* Clients of an implicit-TLS listener refused for load: their 421 comes
 * inside TLS, after a handshake each, so at most this many wait for it at
 * once; past it they are closed without a word. (A clear-text listener
 * refuses at once, refuse_now: no cap.) */
#define SERVE_MAX_REJECTING 64
#define SERVE_BUSY_ENH "4.7.0"
#define SERVE_BUSY_TEXT "Error: too many concurrent sessions, try again later"
#define SERVE_RECORD_MAX (16 * 1024 * 1024)

enum sess_state {
	SS_HANDSHAKE, /* TLS handshake (implicit, or after STARTTLS) */
	SS_SMTP,      /* the dialogue */
	SS_SWITCH,    /* 220 to STARTTLS queued: TLS starts once it is sent */
	SS_LINGER,    /* last reply queued: close once sent or the peer closes */
	SS_NSTATES,
};
static const char *const sess_state_names[SS_NSTATES] = {"handshake", "smtp", "switch", "linger"};

struct server;

struct session {
	struct server *srv;
	struct session *prev, *next;
	struct conn *c;
	struct smtpd *sd;
	struct ossl_srv_sess *tls;
	struct srec rec;
	enum sess_state state;
	int implicit;
	int rejected;           /* over --max-sessions: 421 4.7.0, close */
	const char *pending_end; /* why, once the last reply has left */
	/* The conn sends through io, which counts what left and hands it to
	 * inner (plain socket or TLS): that is how the switch to TLS happens
	 * exactly after the 220, and a close exactly after the last reply. */
	struct conn_io io;
	struct conn_io inner;
	uint64_t queued, sent;
	struct event *idle_ev, *total_ev, *close_ev;
	struct buf out;
	double t0_ms; /* clk_mono_ms() at accept */
};

struct lsn {
	struct server *srv;
	struct listener *l;
	int implicit;
};

struct server {
	const struct serve_cfg *cfg;
	struct smtpd_cfg sdcfg;
	struct event_base *base;
	struct ossl_srv_ctx *tls;
	struct lsn *lsns;
	size_t nlsns;
	struct session *head;
	int active, rejecting;
	unsigned long next_id, messages;
	FILE *log;
	struct event *ev_int, *ev_term, *ev_exit, *ev_grace;
	int stopping, signals;
	const char *stop_reason;
};

void serve_cfg_defaults(struct serve_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->hostname = "localhost";
	c->starttls = 1;
	c->max_size = 10 * 1024 * 1024;
	/* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its
	 * CRLF; command lines (512) with ESMTP parameters stay below too. */
	c->max_line = 1000;
	/* RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted. */
	c->max_rcpt = 100;
	c->max_errors = 20;
	c->max_sessions = 20;
	/* RFC 5321 4.5.3.2.7: a server waits at least 5 minutes for a
	 * command. */
	c->idle_ms = 300 * 1000;
	c->session_ms = 1800 * 1000;
	c->grace_ms = 10 * 1000;
	c->out = stdout;
}

/* --- records --- */

static void emit_record(struct server *srv, const struct srec *r)
{
	struct buf b;
	buf_init(&b, SERVE_RECORD_MAX);
	if (srec_text(r, &b) == 0) {
		fwrite(b.data, 1, b.len, srv->cfg->out);
		fputc('\n', srv->cfg->out);
		fflush(srv->cfg->out);
	}
	if (srv->log) {
		buf_reset(&b);
		if (srec_json(r, &b) == 0) {
			fwrite(b.data, 1, b.len, srv->log);
			fputc('\n', srv->log);
			fflush(srv->log);
		} else {
			log_warn("session %lu: record too large for the log", r->id);
		}
	}
	buf_free(&b);
}

/* --- the byte-counting transport --- */

static void start_tls_now(struct session *ss);

static ssize_t wrap_read(void *ctx, void *p, size_t n, int *want, struct err *e)
{
	struct session *ss = ctx;
	return ss->inner.read(ss->inner.ctx, p, n, want, e);
}

static ssize_t wrap_write(void *ctx, const void *p, size_t n, int *want, struct err *e)
{
	struct session *ss = ctx;
	ssize_t r = ss->inner.write(ss->inner.ctx, p, n, want, e);
	if (r <= 0)
		return r;
	ss->sent += (uint64_t)r;
	if (ss->sent < ss->queued)
		return r;
	/* Everything queued has left. After the 220 to STARTTLS, TLS starts
	 * now, before the conn reads again: the ClientHello that answers the
	 * 220 must reach the TLS layer, not the clear-text buffer. */
	if (ss->state == SS_SWITCH) {
		start_tls_now(ss);
	} else if (ss->state == SS_LINGER) {
		struct timeval tv = {0, 0};
		event_add(ss->close_ev, &tv);
	}
	return r;
}

static int wrap_handshake(void *ctx, int *want, struct err *e)
{
	struct session *ss = ctx;
	return ss->inner.handshake(ss->inner.ctx, want, e);
}

/* --- sessions --- */

static void server_maybe_done(struct server *srv)
{
	if (srv->stopping && !srv->head)
		event_base_loopbreak(srv->base);
}

static void sess_end(struct session *ss, const char *why)
{
	struct server *srv = ss->srv;
	if (ss->tls && ss->state != SS_HANDSHAKE)
		ossl_srv_sess_shutdown(ss->tls);
	conn_close(ss->c);
	ss->rec.end = why;
	ss->rec.duration_ms = clk_mono_ms() - ss->t0_ms;
	log_debug("session %lu: %s in state %s", ss->rec.id, why, sess_state_names[ss->state]);
	emit_record(srv, &ss->rec);

	if (ss->prev)
		ss->prev->next = ss->next;
	else
		srv->head = ss->next;
	if (ss->next)
		ss->next->prev = ss->prev;
	if (ss->rejected)
		srv->rejecting--;
	else
		srv->active--;
	event_free(ss->idle_ev);
	event_free(ss->total_ev);
	event_free(ss->close_ev);
	smtpd_free(ss->sd);
	ossl_srv_sess_free(ss->tls);
	buf_free(&ss->out);
	srec_free(&ss->rec);
	free(ss);
	server_maybe_done(srv);
}

/* Give back what a burst grew b to, keeping what is still unread. */
static void trim_buf(struct buf *b)
{
	if (b->cap <= SERVE_BUF_KEEP || b->len > SERVE_BUF_KEEP / 2)
		return;
	struct buf small;
	buf_init(&small, b->max);
	if (buf_append(&small, b->data, b->len) < 0)
		return;
	buf_free(b);
	*b = small;
}

/* Hand what smtpd wrote to the conn. */
static int sess_send(struct session *ss)
{
	if (ss->out.len == 0)
		return 0;
	int rc = conn_write(ss->c, ss->out.data, ss->out.len);
	if (rc == 0)
		ss->queued += ss->out.len;
	buf_reset(&ss->out);
	return rc;
}

/* The last reply is queued: close once it has left (or the peer went),
 * and in any case after SERVE_LINGER_MS. */
static void sess_linger(struct session *ss, const char *why)
{
	ss->state = SS_LINGER;
	ss->pending_end = why;
	event_del(ss->idle_ev);
	struct timeval tv = clk_tv(ss->sent >= ss->queued ? 0 : SERVE_LINGER_MS);
	event_add(ss->close_ev, &tv);
}

/* The server ends the session: 421 when a reply can still be given. */
static void sess_close_421(struct session *ss, const char *enh, const char *text,
			   const char *why)
{
	if (ss->state == SS_SMTP && smtpd_close_421(ss->sd, &ss->out, enh, text) &&
	    sess_send(ss) == 0) {
		sess_linger(ss, why);
		return;
	}
	sess_end(ss, why);
}

static void arm_idle(struct session *ss)
{
	struct timeval tv = clk_tv(ss->srv->cfg->idle_ms);
	event_add(ss->idle_ev, &tv);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	sess_close_421(arg, "4.4.2", "Error: timeout exceeded", "idle-timeout");
}

static void on_total(evutil_socket_t fd, short what, void *arg)
{
	struct session *ss = arg;
	if (ss->state == SS_LINGER)
		sess_end(ss, ss->pending_end);
	else
		sess_close_421(ss, "4.4.2", "Error: session time limit exceeded", "session-timeout");
}

static void on_close_ev(evutil_socket_t fd, short what, void *arg)
{
	struct session *ss = arg;
	sess_end(ss, ss->pending_end ? ss->pending_end : "closed");
}

static void sess_reject(struct session *ss)
{
	sess_close_421(ss, SERVE_BUSY_ENH, SERVE_BUSY_TEXT, "too-many-sessions");
}

static void sess_greet(struct session *ss)
{
	if (ss->rejected) {
		sess_reject(ss);
		return;
	}
	if (smtpd_greet(ss->sd, &ss->out) < 0 || sess_send(ss) < 0)
		sess_end(ss, "output-limit");
}

static void start_tls_now(struct session *ss)
{
	/* Called from inside the conn's write, right after the 220's last
	 * byte: from now on the wrapper speaks TLS, and the conn switches at
	 * the end of this flush, before it reads again. What the client sent
	 * after STARTTLS is counted, then dropped by the switch (RFC 3207
	 * 4.2). */
	ss->rec.pipelined_after_starttls += conn_input(ss->c)->len;
	ossl_srv_sess_io(ss->tls, conn_fd(ss->c), &ss->inner);
	ss->io.handshake = wrap_handshake;
	ss->state = SS_HANDSHAKE;
	conn_start_io(ss->c, &ss->io);
}

static void count_messages(struct server *srv, unsigned long n);

static void on_smtp_input(struct session *ss)
{
	struct buf *in = conn_input(ss->c);
	unsigned long before = ss->rec.messages;
	struct err e;

	arm_idle(ss);
	int act = smtpd_feed(ss->sd, in, &ss->out);
	if (act < 0 || sess_send(ss) < 0) {
		sess_end(ss, "output-limit");
		return;
	}
	trim_buf(in);
	trim_buf(&ss->out);
	struct server *srv = ss->srv;
	unsigned long got = ss->rec.messages - before;
	if (act == SMTPD_START_TLS) {
		/* What already waits in the kernel came before TLS too. */
		(void)conn_read_now(ss->c);
		ss->rec.pipelined_after_starttls += in->len;
		buf_reset(in);
		err_clear(&e);
		ss->tls = ossl_srv_sess_new(srv->tls, &e);
		if (!ss->tls) {
			free(ss->rec.tls_error);
			ss->rec.tls_error = xstrdup(e.msg);
			sess_end(ss, "tls-failed");
			count_messages(srv, got);
			return;
		}
		ss->state = SS_SWITCH;
	} else if (act == SMTPD_CLOSE) {
		const char *why = smtpd_end_reason(ss->sd);
		sess_linger(ss, why ? why : "closed");
	}
	count_messages(srv, got);
}

static void on_data(struct session *ss)
{
	struct buf *in = conn_input(ss->c);
	switch (ss->state) {
	case SS_SMTP:
		on_smtp_input(ss);
		return;
	case SS_SWITCH:
		ss->rec.pipelined_after_starttls += in->len;
		break;
	case SS_HANDSHAKE:
	case SS_LINGER:
	case SS_NSTATES:
		break;
	}
	buf_reset(in);
	trim_buf(in);
}

static void on_handshake_done(struct session *ss)
{
	ossl_srv_sess_describe(ss->tls, &ss->rec.tls);
	smtpd_tls_started(ss->sd, ss->rec.tls.version, ss->rec.tls.cipher);
	ss->state = SS_SMTP;
	arm_idle(ss);
	if (ss->implicit)
		sess_greet(ss);
}

static void on_eof(struct session *ss)
{
	const char *why = ss->state == SS_LINGER ? ss->pending_end : "client-closed";
	/* A client that half-closes after its last command still gets the
	 * replies (the conn can write after EOF). */
	if (ss->sent < ss->queued && ss->state != SS_HANDSHAKE) {
		sess_linger(ss, why);
		return;
	}
	sess_end(ss, why);
}

static void on_error(struct session *ss)
{
	const struct err *e = conn_error(ss->c);
	if (ss->state == SS_HANDSHAKE) {
		ossl_srv_sess_describe(ss->tls, &ss->rec.tls);
		free(ss->rec.tls_error);
		ss->rec.tls_error = xstrdup(e->msg);
		sess_end(ss, "tls-failed");
		return;
	}
	if (ss->state == SS_LINGER) {
		sess_end(ss, ss->pending_end);
		return;
	}
	sess_end(ss, e->cat == ERR_LIMIT ? "input-limit" : "io-error");
}

static void on_connected(struct session *ss)
{
	/* Never reported for an adopted socket. */
}

/* conn events, by kind (STYLE.md 10). */
static void (*const conn_handlers[])(struct session *) = {
	[CONN_EV_CONNECTED] = on_connected,
	[CONN_EV_DATA] = on_data,
	[CONN_EV_EOF] = on_eof,
	[CONN_EV_HANDSHAKE_DONE] = on_handshake_done,
	[CONN_EV_ERROR] = on_error,
};

static void on_conn(struct conn *c, enum conn_ev ev, void *arg)
{
	if ((unsigned)ev < ARRAY_LEN(conn_handlers))
		conn_handlers[ev](arg);
}

/* Over --max-sessions on a clear-text listener: the 421 is one short line
 * that the new socket's empty send buffer takes whole, so it is written here
 * and the socket closed, with no session kept. However many are found at
 * once (a burst waiting in the backlog), each gets its 421 and its record. */
static void refuse_now(struct server *srv, struct listener *l, int fd, const char *peer)
{
	struct srec rec;
	struct buf out;
	double t0_ms = clk_mono_ms();

	srec_init(&rec, ++srv->next_id);
	rec.listener = xstrdup(listener_addr(l));
	rec.mode = "starttls";
	rec.client = xstrdup(peer);
	buf_init(&out, 1024);
	struct smtpd *sd = smtpd_new(&srv->sdcfg, &rec);
	if (smtpd_close_421(sd, &out, SERVE_BUSY_ENH, SERVE_BUSY_TEXT))
		(void)send(fd, out.data, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	rec.end = "too-many-sessions";
	rec.duration_ms = clk_mono_ms() - t0_ms;
	emit_record(srv, &rec);
	smtpd_free(sd);
	buf_free(&out);
	srec_free(&rec);
}

static void on_accept(struct listener *l, int fd, const char *peer, void *arg)
{
	struct lsn *ln = arg;
	struct server *srv = ln->srv;
	const struct serve_cfg *cfg = srv->cfg;
	struct err e;

	int reject = srv->active >= cfg->max_sessions;
	if (reject && !ln->implicit && !srv->stopping) {
		refuse_now(srv, l, fd, peer);
		return;
	}
	if (srv->stopping || (reject && srv->rejecting >= SERVE_MAX_REJECTING)) {
		close(fd);
		return;
	}
	struct session *ss = xcalloc(1, sizeof(*ss));
	ss->srv = srv;
	ss->implicit = ln->implicit;
	ss->rejected = reject;
	ss->t0_ms = clk_mono_ms();
	srec_init(&ss->rec, ++srv->next_id);
	ss->rec.listener = xstrdup(listener_addr(l));
	ss->rec.mode = ln->implicit ? "implicit" : "starttls";
	ss->rec.client = xstrdup(peer);
	buf_init(&ss->out, 256 * 1024);
	ss->sd = smtpd_new(&srv->sdcfg, &ss->rec);
	ss->idle_ev = event_new(srv->base, -1, 0, on_idle, ss);
	ss->total_ev = event_new(srv->base, -1, 0, on_total, ss);
	ss->close_ev = event_new(srv->base, -1, 0, on_close_ev, ss);
	ss->next = srv->head;
	if (srv->head)
		srv->head->prev = ss;
	srv->head = ss;
	if (reject)
		srv->rejecting++;
	else
		srv->active++;

	struct conn_limits lim = {0, 0, 0, cfg->max_line + SERVE_INPUT_SLACK};
	ss->c = conn_adopt(srv->base, fd, &lim, on_conn, ss);
	struct timeval tv = clk_tv(cfg->session_ms);
	event_add(ss->total_ev, &tv);
	arm_idle(ss);

	ss->io = (struct conn_io){wrap_read, wrap_write, NULL, ss};
	if (ln->implicit) {
		err_clear(&e);
		ss->tls = ossl_srv_sess_new(srv->tls, &e);
		if (!ss->tls) {
			ss->rec.tls_error = xstrdup(e.msg);
			sess_end(ss, "tls-failed");
			return;
		}
		ossl_srv_sess_io(ss->tls, fd, &ss->inner);
		ss->io.handshake = wrap_handshake;
		ss->state = SS_HANDSHAKE;
		conn_start_io(ss->c, &ss->io);
		return;
	}
	ss->inner = conn_plain_io(ss->c);
	conn_start_io(ss->c, &ss->io);
	ss->state = SS_SMTP;
	sess_greet(ss);
}

/* --- stopping --- */

static void server_stop(struct server *srv, const char *why, int now);

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	server_stop(srv, srv->stop_reason, 1);
}

/* Stop accepting. now: 421 4.3.2 to every open session and close; else
 * let them finish within the grace time first. */
static void server_stop(struct server *srv, const char *why, int now)
{
	if (!srv->stopping) {
		srv->stopping = 1;
		srv->stop_reason = why;
		for (size_t i = 0; i < srv->nlsns; i++) {
			listener_free(srv->lsns[i].l);
			srv->lsns[i].l = NULL;
		}
	}
	if (now) {
		struct session *ss = srv->head, *next;
		for (; ss; ss = next) {
			next = ss->next;
			if (ss->state != SS_LINGER)
				sess_close_421(ss, "4.3.2", "Error: service shutting down",
					       "server-stopped");
		}
	} else {
		struct timeval tv = clk_tv(srv->cfg->grace_ms);
		event_add(srv->ev_grace, &tv);
	}
	server_maybe_done(srv);
}

static void count_messages(struct server *srv, unsigned long n)
{
	srv->messages += n;
	if (n && srv->cfg->max_messages && srv->messages >= srv->cfg->max_messages &&
	    !srv->stopping)
		server_stop(srv, "max-messages", 0);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	/* A second signal does not wait for anyone. */
	if (++srv->signals > 1) {
		event_base_loopbreak(srv->base);
		return;
	}
	server_stop(srv, sig == SIGINT ? "sigint" : "sigterm", 1);
}

static void on_exit_after(evutil_socket_t fd, short what, void *arg)
{
	server_stop(arg, "exit-after", 1);
}

/* --- setup --- */

static void print_cert(struct server *srv)
{
	const struct serve_cfg *cfg = srv->cfg;
	char *subj = esc_term_dup(ossl_srv_ctx_subject(srv->tls));
	char *iss = esc_term_dup(ossl_srv_ctx_issuer(srv->tls));
	char *sans = esc_term_dup(ossl_srv_ctx_sans(srv->tls));
	fprintf(cfg->out, "certificate %s subject=\"%s\" issuer=\"%s\" names=\"%s\"\n",
		ossl_srv_ctx_generated(srv->tls) ? "generated" : "loaded", subj, iss, sans);
	if (ossl_srv_ctx_generated(srv->tls) && cfg->tls.ca_out) {
		char *path = esc_term_dup(cfg->tls.ca_out);
		fprintf(cfg->out, "ca-out %s\n", path);
		free(path);
	}
	free(subj);
	free(iss);
	free(sans);
}

static int open_listeners(struct server *srv, struct err *e)
{
	const struct serve_cfg *cfg = srv->cfg;
	srv->lsns = xcalloc(cfg->nlistens ? cfg->nlistens : 1, sizeof(*srv->lsns));
	for (size_t i = 0; i < cfg->nlistens; i++) {
		struct sockaddr_storage ss;
		socklen_t len;
		struct lsn *ln = &srv->lsns[i];
		if (listener_parse_addr(cfg->listens[i].addr, &ss, &len, e) != 0)
			return -1;
		ln->srv = srv;
		ln->implicit = cfg->listens[i].implicit;
		ln->l = listener_new(srv->base, (struct sockaddr *)&ss, len, SERVE_RCVBUF, on_accept,
				     ln, e);
		if (!ln->l)
			return -1;
		srv->nlsns = i + 1;
	}
	return 0;
}

static void server_free(struct server *srv)
{
	while (srv->head)
		sess_end(srv->head, "server-stopped");
	for (size_t i = 0; i < srv->nlsns; i++)
		listener_free(srv->lsns[i].l);
	free(srv->lsns);
	struct event *evs[] = {srv->ev_int, srv->ev_term, srv->ev_exit, srv->ev_grace};
	for (size_t i = 0; i < ARRAY_LEN(evs); i++)
		if (evs[i])
			event_free(evs[i]);
	if (srv->log)
		fclose(srv->log);
	ossl_srv_ctx_free(srv->tls);
	if (srv->base)
		event_base_free(srv->base);
}

int serve_run(const struct serve_cfg *cfg, struct err *e)
{
	struct server srv = {.cfg = cfg};
	int rc = -1;

	err_clear(e);
	if (cfg->nlistens == 0) {
		err_set(e, ERR_USAGE, "nothing to listen on");
		return -1;
	}
	srv.sdcfg = (struct smtpd_cfg){
		.hostname = cfg->hostname,
		.max_size = cfg->max_size,
		.max_line = cfg->max_line,
		.max_rcpt = cfg->max_rcpt,
		.max_errors = cfg->max_errors,
		.starttls = cfg->starttls,
		.require_tls = cfg->require_tls,
	};
	/* A client that goes away while we write must not kill the server
	 * (OpenSSL writes with plain write()). */
	signal(SIGPIPE, SIG_IGN);

	srv.tls = ossl_srv_ctx_new(&cfg->tls, e);
	if (!srv.tls)
		goto out;
	if (cfg->log_path) {
		srv.log = fopen(cfg->log_path, "a");
		if (!srv.log) {
			err_set(e, ERR_LOCAL, "cannot open the log %s: %s", cfg->log_path,
				strerror(errno));
			goto out;
		}
	}
	srv.base = event_base_new();
	if (!srv.base) {
		err_set(e, ERR_INTERNAL, "event_base_new failed");
		goto out;
	}
	if (open_listeners(&srv, e) != 0)
		goto out;
	srv.ev_int = evsignal_new(srv.base, SIGINT, on_signal, &srv);
	srv.ev_term = evsignal_new(srv.base, SIGTERM, on_signal, &srv);
	srv.ev_grace = event_new(srv.base, -1, 0, on_grace, &srv);
	event_add(srv.ev_int, NULL);
	event_add(srv.ev_term, NULL);
	if (cfg->exit_after_ms > 0) {
		struct timeval tv = clk_tv(cfg->exit_after_ms);
		srv.ev_exit = event_new(srv.base, -1, 0, on_exit_after, &srv);
		event_add(srv.ev_exit, &tv);
	}

	print_cert(&srv);
	for (size_t i = 0; i < srv.nlsns; i++)
		fprintf(cfg->out, "listening %s %s\n", listener_addr(srv.lsns[i].l),
			srv.lsns[i].implicit ? "implicit" : "starttls");
	fflush(cfg->out);

	event_base_dispatch(srv.base);
	/* After a second signal some may still be open: they end here, each
	 * with its record. */
	while (srv.head)
		sess_end(srv.head, "server-stopped");
	fprintf(cfg->out, "stopped reason=%s sessions=%lu messages=%lu\n",
		srv.stop_reason ? srv.stop_reason : "loop-ended", srv.next_id, srv.messages);
	fflush(cfg->out);
	rc = 0;
out:
	server_free(&srv);
	return rc;
}
