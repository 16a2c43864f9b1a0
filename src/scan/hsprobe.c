/* hsprobe.c - connect -> [dialogue] -> TLS handshake -> [dialogue] -> close.
 *
 * Two follow-ups come from here, each a new probe on the same host: after a
 * 421 the same probe again, later, with a lower host budget; and when a
 * STARTTLS port stays silent, one implicit-TLS handshake to tell whether
 * the port speaks TLS from the first byte (the port-mode mismatch). */
#include "scan/hsprobe.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <event2/event.h>
#include "core/clock.h"
#include "core/esc.h"
#include "core/log.h"
#include "core/mem.h"
#include "scan/tlsdesc.h"

enum hs_state {
	HS_CONNECTING,
	HS_DIALOGUE,
	HS_HANDSHAKE,
	HS_AFTER_TLS,
	HS_RENEG,
	HS_OWN,
	HS_DONE
};
static const enum err_stage hs_stage[] = {STAGE_CONNECT,   STAGE_DIALOGUE,      STAGE_TLS,
					  STAGE_AFTER_TLS, STAGE_RENEGOTIATION, STAGE_PROBE,
					  STAGE_DONE};

struct hsprobe {
	struct probe base; /* first: the scheduler sees a struct probe */
	struct endpoint *ep;
	struct dns_addr addr;
	struct hsprobe_params prm;
	struct conn *c;
	struct ossl_sess *sess;
	struct dlg *dlg;
	enum hs_state state;
	struct rawhs *raw;          /* raw mode */
	struct endpoint *scratch;   /* raw mode: the dialogue's facts go here */
	struct err raw_err;     /* raw and aux modes: why there is no result */
	int reneg_ok;           /* aux mode */
	int tls_reported;
	int attempt;   /* 0 first try, then retries after 421 */
	int mode_check; /* implicit handshake on a silent STARTTLS port */
	int mode_asked; /* ...already started for this probe */
	int retrying;   /* a clone carries on: report nothing */
	struct event *silence; /* the early port-mode check (SILENT_PROBE_MS) */
	struct event *stage_ev; /* the current stage's deadline */
	struct event *quiet;    /* own mode: hs_own.quiet_ms */
	int own_done;           /* own mode: start or input said done */
};

/* A STARTTLS port that has said nothing for this long gets a ClientHello on
 * a second connection; if that is answered with a ServerHello the port
 * speaks implicit TLS, and the first connection stops waiting for a
 * greeting that will never come (else it waits for its read timeout: slow
 * greeters such as postscreen's greet pause exist). */
#define SILENT_PROBE_MS 2000
#define SILENT_POLL_MS 200

static struct probe *clone_probe(const struct hsprobe *h)
{
	struct probe *p = hsprobe_new(h->ep, &h->addr, &h->prm);
	((struct hsprobe *)p)->attempt = h->attempt;
	return p;
}

static void finish(struct hsprobe *h)
{
	if (h->prm.raw && h->prm.on_raw && !h->retrying)
		h->prm.on_raw(h->prm.raw_arg, h->raw ? rawhs_result(h->raw) : NULL,
			      h->raw_err.cat != ERR_NONE ? &h->raw_err : NULL);
	if (!h->prm.raw && h->prm.on_done && !h->retrying && !h->mode_check)
		h->prm.on_done(h->prm.done_arg, h->ep, &h->addr);
	if (h->prm.on_tls && !h->retrying && !h->tls_reported)
		h->prm.on_tls(h->prm.tls_arg, NULL, &h->raw_err, -1);
	if (h->prm.own && !h->retrying)
		h->prm.own->end(h->prm.own->arg,
				h->own_done || h->raw_err.cat == ERR_NONE ? NULL : &h->raw_err,
				h->scratch ? &h->scratch->dlg : NULL);
	if (h->c) {
		double now = clk_mono_ms();
		struct endpoint *ep = h->ep;
		if (ep->stats.first_ms == 0 || now - conn_elapsed_ms(h->c) < ep->stats.first_ms)
			ep->stats.first_ms = now - conn_elapsed_ms(h->c);
		if (now > ep->stats.last_ms)
			ep->stats.last_ms = now;
		ep->stats.duration_ms = ep->stats.last_ms - ep->stats.first_ms;
		conn_flush_now(h->c); /* a last QUIT, LOGOUT or unbind */
		ossl_sess_shutdown(h->sess);
		conn_close(h->c);
		h->c = NULL;
	}
	h->state = HS_DONE;
	probe_done(&h->base);
}

/* An error on stderr (-v): its message may quote the server (a greeting,
 * a reply), so it goes through the terminal escaper like the report. */
static void log_peer_error(const struct hsprobe *h, const struct err *e, const char *more)
{
	char *msg = esc_term_dup(e->msg);
	log_info("%s [%s]:%u: %s%s", h->ep->host, h->addr.text, h->ep->port, msg, more);
	free(msg);
}

static void record_error(struct hsprobe *h, const struct err *e)
{
	if (h->prm.raw || h->prm.on_tls || h->prm.own) {
		if (h->raw_err.cat == ERR_NONE)
			h->raw_err = *e;
		return;
	}
	if (h->mode_check)
		return; /* the original probe's error already says what failed */
	log_peer_error(h, e, "");
	ep_add_error(h->ep, hs_stage[h->state], e->cat, e->msg);
}

/* A 421 means "not now": retry later with fewer parallel connections. */
static int retry_busy(struct hsprobe *h, const struct err *e)
{
	if (e->cat != ERR_BUSY || h->attempt >= h->prm.max_retries)
		return 0;
	struct probe *p = clone_probe(h);
	((struct hsprobe *)p)->attempt = h->attempt + 1;
	p->late = h->base.late; /* a battery probe's retry stays late */
	h->ep->dlg.throttled++;
	sched_host_lower_budget(h->base.host);
	int delay = 1000 << h->attempt;
	char again[40];
	snprintf(again, sizeof again, "; retrying in %d ms", delay);
	log_peer_error(h, e, again);
	sched_add_after(h->base.sched, h->base.host, p, delay);
	h->retrying = 1;
	return 1;
}

/* Does this silent STARTTLS port answer a ClientHello? One implicit-TLS
 * handshake on another connection, once per probe. */
static void ask_mode(struct hsprobe *h)
{
	if (h->mode_asked)
		return;
	h->mode_asked = 1;
	struct hsprobe_params prm = h->prm;
	prm.proto = NULL;
	struct hsprobe *m = (struct hsprobe *)hsprobe_new(h->ep, &h->addr, &prm);
	m->mode_check = 1;
	sched_add(h->base.sched, h->base.host, &m->base);
}

/* A STARTTLS port that never greeted (maybe asked early already). */
static void check_mode(struct hsprobe *h)
{
	h->ep->dlg.silent = 1;
	ask_mode(h);
}

/* Deadlines that bound progress, not bytes: a server that trickles a byte
 * now and then never trips the read timeout, so each stage must complete
 * within its own deadline: the clear-text dialogue before TLS (greeting to
 * go-ahead, every reply with all its lines) and the one after it within
 * twice the read timeout, the TLS handshake within the read timeout. */
static void aux_report(struct hsprobe *h);

static const char *const stage_what[] = {"connect",       "clear-text dialogue",
					 "TLS handshake", "dialogue inside TLS",
					 "renegotiation", "probe's exchange",
					 "done"};

static int stage_ms(const struct hsprobe *h, enum hs_state st)
{
	return st == HS_HANDSHAKE || st == HS_RENEG || st == HS_OWN ? h->prm.lim.read_ms
									: 2 * h->prm.lim.read_ms;
}

/* The dialogue has said goodbye: an answer that does not come, a close or
 * a broken answer now costs nothing, everything is known. */
static int after_bye(const struct hsprobe *h)
{
	return h->dlg && (h->state == HS_DIALOGUE || h->state == HS_AFTER_TLS) &&
	       dlg_said_bye(h->dlg);
}

static void on_stage_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct hsprobe *h = arg;
	struct err e;
	int ms = stage_ms(h, h->state);
	if (after_bye(h)) {
		finish(h);
		return;
	}
	err_set(&e, ERR_TIMEOUT, "the %s did not complete within %d ms (the server sends too slowly)",
		stage_what[h->state], ms);
	if (h->state == HS_RENEG) {
		h->reneg_ok = -1; /* no answer: not a refusal */
		aux_report(h);
		return;
	}
	record_error(h, &e);
	finish(h);
}

/* Enter a stage: its deadline starts now (none without a read timeout). */
static void set_stage(struct hsprobe *h, enum hs_state st)
{
	h->state = st;
	if (h->prm.lim.read_ms <= 0 || st == HS_DONE) {
		if (h->stage_ev)
			evtimer_del(h->stage_ev);
		return;
	}
	int ms = stage_ms(h, st);
	struct timeval tv = clk_tv(ms);
	if (!h->stage_ev)
		h->stage_ev = evtimer_new(sched_base(h->base.sched), on_stage_deadline, h);
	evtimer_add(h->stage_ev, &tv);
}

/* Still no byte after SILENT_PROBE_MS: ask the port with a ClientHello,
 * then look every SILENT_POLL_MS whether it answered. */
static void on_silence(evutil_socket_t fd, short what, void *arg)
{
	struct hsprobe *h = arg;
	if (h->state != HS_DIALOGUE || !h->c || conn_bytes_read(h->c) > 0)
		return; /* it spoke: the dialogue goes on as usual */
	if (h->ep->dlg.implicit_answered) {
		struct err e;
		err_set(&e, ERR_PROTOCOL,
			"no greeting within %d ms, and a TLS ClientHello on another connection "
			"was answered: this port speaks implicit TLS",
			SILENT_PROBE_MS);
		h->ep->dlg.silent = 1;
		record_error(h, &e);
		finish(h);
		return;
	}
	ask_mode(h);
	struct timeval tv = clk_tv(SILENT_POLL_MS);
	evtimer_add(h->silence, &tv);
}

/* Raw mode: the hello goes out as plain bytes on the same connection. */
static void start_raw(struct hsprobe *h)
{
	struct err e;
	struct buf out;
	h->raw = rawhs_new(h->prm.raw, h->prm.ske_kind);
	buf_init(&out, 1 << 18);
	set_stage(h, HS_HANDSHAKE);
	buf_reset(conn_input(h->c)); /* never read pre-TLS bytes as TLS */
	if (rawhs_hello(h->raw, &out) < 0 || conn_write(h->c, out.data, out.len) < 0) {
		err_set(&e, ERR_INTERNAL, "cannot build or send the ClientHello");
		record_error(h, &e);
		buf_free(&out);
		finish(h);
		return;
	}
	buf_free(&out);
}

static void feed_raw(struct hsprobe *h, int eof)
{
	enum raw_outcome o = rawhs_feed(h->raw, conn_input(h->c));
	if (o == RAW_PENDING && eof)
		o = rawhs_eof(h->raw);
	if (o != RAW_PENDING)
		finish(h);
}

/* Own mode: the probe's callbacks talk from here on. */
static void arm_quiet(struct hsprobe *h)
{
	if (h->prm.own->quiet_ms <= 0)
		return;
	struct timeval tv = clk_tv(h->prm.own->quiet_ms);
	evtimer_add(h->quiet, &tv);
}

static void own_step(struct hsprobe *h, enum own_ev ev)
{
	if (h->prm.own->input(h->prm.own->arg, h->c, ev) || ev == OWN_EOF) {
		h->own_done = 1;
		finish(h);
		return;
	}
	arm_quiet(h);
}

static void on_quiet(evutil_socket_t fd, short what, void *arg)
{
	struct hsprobe *h = arg;
	if (h->state == HS_OWN)
		own_step(h, OWN_QUIET);
}

static void start_own(struct hsprobe *h)
{
	set_stage(h, HS_OWN);
	if (!h->prm.own->after_tls)
		buf_reset(conn_input(h->c)); /* never read pre-TLS bytes as TLS */
	if (h->prm.own->quiet_ms > 0)
		h->quiet = evtimer_new(sched_base(h->base.sched), on_quiet, h);
	if (h->prm.own->start(h->prm.own->arg, h->c, h->sess)) {
		h->own_done = 1;
		finish(h);
		return;
	}
	arm_quiet(h);
	if (conn_input(h->c)->len > 0)
		own_step(h, OWN_DATA); /* arrived with the handshake's last flight */
}

static void start_tls(struct hsprobe *h)
{
	struct err e;
	struct conn_io io;
	err_clear(&e);
	if (h->prm.raw) {
		start_raw(h);
		return;
	}
	if (h->prm.own && !h->prm.own->after_tls) {
		start_own(h);
		return;
	}
	h->sess = ossl_sess_new(h->prm.octx, h->prm.sni, h->prm.verify_name, &h->prm.sess_opts, &e);
	if (!h->sess) {
		record_error(h, &e);
		finish(h);
		return;
	}
	set_stage(h, HS_HANDSHAKE);
	ossl_sess_io(h->sess, conn_fd(h->c), &io);
	conn_start_io(h->c, &io);
}

static void on_step(struct hsprobe *h, enum dlg_step s)
{
	switch (s) {
	case DLG_WAIT:
		return;
	case DLG_START_TLS:
		start_tls(h);
		return;
	case DLG_DONE:
		finish(h);
		return;
	case DLG_FAIL:
		if (after_bye(h)) {
			finish(h);
			return;
		}
		if (!retry_busy(h, dlg_error(h->dlg)))
			record_error(h, dlg_error(h->dlg));
		finish(h);
		return;
	}
}

/* What the server sent instead of a ServerHello, when it was text: its
 * first line, from the bytes OpenSSL read plus what else has arrived. */
static void note_clear_text(struct hsprobe *h)
{
	size_t n;
	const unsigned char *first = ossl_sess_first_bytes(h->sess, &n);
	/* A TLS record starts with a content type of 20..24; clear text
	 * (a greeting, an HTTP status line) starts with printable ASCII; the
	 * rest is binary -- an SSLv2 record header, garbage -- not a
	 * clear-text answer. */
	if (n < 3 || first[0] < 0x20 || first[0] > 0x7e || first[1] < 0x20 || first[1] > 0x7e ||
	    first[2] < 0x20 || first[2] > 0x7e)
		return;
	struct buf *in = conn_input(h->c);
	buf_reset(in);
	if (buf_append(in, first, n) < 0)
		return;
	(void)conn_read_now(h->c);
	size_t len = 0;
	while (len < in->len && len < 512 && in->data[len] != '\r' && in->data[len] != '\n')
		len++;
	if (len >= 3) {
		free(h->ep->tls.clear_text_answer);
		h->ep->tls.clear_text_answer = xstrndup((const char *)in->data, len);
	}
	buf_reset(in);
}

/* Aux mode: renegotiate if asked, then hand the session over. */
static void aux_report(struct hsprobe *h)
{
	h->tls_reported = 1;
	h->prm.on_tls(h->prm.tls_arg, h->sess, NULL, h->reneg_ok);
	finish(h);
}

static void aux_handshake_done(struct hsprobe *h)
{
	struct conn_io io;
	if (h->state == HS_RENEG) {
		h->reneg_ok = 1;
		aux_report(h);
		return;
	}
	h->reneg_ok = -1;
	if (h->prm.reneg && SSL_version(ossl_sess_ssl(h->sess)) <= TLS1_2_VERSION) {
		set_stage(h, HS_RENEG);
		ossl_sess_reneg_io(h->sess, &io);
		conn_start_io(h->c, &io);
		return;
	}
	aux_report(h);
}

static void on_conn_error(struct hsprobe *h, const struct err *e)
{
	if (after_bye(h)) {
		finish(h);
		return;
	}
	if (h->state == HS_RENEG) {
		/* Refused: an alert, a close, or no answer at all. */
		h->reneg_ok = 0;
		aux_report(h);
		return;
	}
	if (h->state == HS_OWN && e->cat == ERR_IO) {
		own_step(h, OWN_EOF); /* a reset is the server's answer too */
		return;
	}
	if (h->raw) {
		/* A close or reset after the hello is the server's refusal. */
		if (e->cat == ERR_IO && rawhs_eof(h->raw) != RAW_PENDING) {
			finish(h);
			return;
		}
	}
	if (h->state == HS_HANDSHAKE && h->sess) {
		if (!h->mode_check)
			note_clear_text(h);
		if (!h->prm.on_tls && !h->mode_check) {
			h->ep->tls.failed_alert = ossl_sess_alert(h->sess);
			h->ep->tls.refused = e->cat == ERR_TLS || e->cat == ERR_IO;
			/* The server's own doing: its alert or its close (not
			 * OpenSSL giving up on what the server sent). */
			h->ep->tls.failed_after_hello =
				ossl_sess_saw_server_hello(h->sess) &&
				(h->ep->tls.failed_alert >= 0 || e->cat == ERR_IO);
			if (h->ep->tls.failed_alert >= 0)
				str_set(&h->ep->tls.failed_alert_name,
					ossl_alert_name(h->ep->tls.failed_alert));
		}
	}
	/* Silent: not one byte came (a slow server that sent something is
	 * slow, not an implicit-TLS port). */
	if (h->state == HS_DIALOGUE && h->dlg && e->cat == ERR_TIMEOUT &&
	    conn_bytes_read(h->c) == 0 && !h->mode_check) {
		record_error(h, e);
		check_mode(h);
		finish(h);
		return;
	}
	record_error(h, e);
	finish(h);
}

static void on_conn(struct conn *c, enum conn_ev ev, void *arg)
{
	struct hsprobe *h = arg;
	switch (ev) {
	case CONN_EV_CONNECTED:
		log_debug("%s [%s]:%u: connected", h->ep->host, h->addr.text, h->ep->port);
		if (h->prm.proto) {
			set_stage(h, HS_DIALOGUE);
			if (h->prm.raw || h->prm.on_tls || h->prm.own)
				h->scratch = xcalloc(1, sizeof(*h->scratch));
			else if (!h->mode_check && !h->mode_asked &&
				 h->prm.lim.read_ms > SILENT_PROBE_MS) {
				struct timeval tv = clk_tv(SILENT_PROBE_MS);
				h->silence = evtimer_new(sched_base(h->base.sched), on_silence, h);
				evtimer_add(h->silence, &tv);
			}
			h->dlg = dlg_new(h->prm.proto, &h->prm.dlg, c,
					 h->scratch ? h->scratch : h->ep);
			on_step(h, dlg_begin(h->dlg));
		} else {
			start_tls(h);
		}
		break;
	case CONN_EV_HANDSHAKE_DONE:
		if (h->prm.own) {
			start_own(h);
			break;
		}
		if (h->prm.on_tls) {
			aux_handshake_done(h);
			break;
		}
		tlsdesc_session(h->sess, h->ep);
		if (h->mode_check)
			h->ep->dlg.implicit_answered = 1;
		if (h->dlg) {
			set_stage(h, HS_AFTER_TLS);
			on_step(h, dlg_after_tls(h->dlg));
		} else {
			finish(h);
		}
		break;
	case CONN_EV_DATA:
		if (h->state == HS_RENEG)
			break; /* application data during renegotiation: ignore */
		if (h->state == HS_OWN)
			own_step(h, OWN_DATA);
		else if (h->raw)
			feed_raw(h, 0);
		else if (h->dlg)
			on_step(h, dlg_input(h->dlg));
		else
			finish(h); /* nothing is expected after an implicit handshake */
		break;
	case CONN_EV_EOF:
		if (h->state == HS_OWN) {
			own_step(h, OWN_EOF);
			break;
		}
		if (h->raw) {
			feed_raw(h, 1);
			break;
		}
		if (h->dlg) {
			dlg_eof(h->dlg);
			if (dlg_error(h->dlg)->cat != ERR_NONE)
				record_error(h, dlg_error(h->dlg));
		}
		finish(h);
		break;
	case CONN_EV_ERROR:
		on_conn_error(h, conn_error(c));
		break;
	}
}

static void hs_start(struct probe *p)
{
	struct hsprobe *h = (struct hsprobe *)p;
	struct err e;
	err_clear(&e);
	probe_count_conn(p);
	h->c = conn_open(sched_base(p->sched), (const struct sockaddr *)&h->addr.ss, h->addr.len,
			 &h->prm.lim, on_conn, h, &e);
	if (!h->c) {
		record_error(h, &e);
		/* Finishing from inside start is allowed: the scheduler's
		 * pump tolerates re-entry. */
		finish(h);
	}
}

static void hs_expire(struct probe *p)
{
	struct hsprobe *h = (struct hsprobe *)p;
	struct err e;
	if (p->cancelled)
		err_set(&e, ERR_TIMEOUT, "stopped: the scan timeout passed");
	else
		err_set(&e, ERR_TIMEOUT, "probe deadline of %d ms passed", p->deadline_ms);
	record_error(h, &e);
	finish(h);
}

static void hs_free(struct probe *p)
{
	struct hsprobe *h = (struct hsprobe *)p;
	if (h->silence)
		event_free(h->silence);
	if (h->stage_ev)
		event_free(h->stage_ev);
	if (h->quiet)
		event_free(h->quiet);
	if (h->c)
		conn_close(h->c);
	dlg_free(h->dlg);
	ossl_sess_free(h->sess);
	rawhs_free(h->raw);
	result_free_endpoint(h->scratch);
	free(h);
}

static const struct probe_ops hs_ops = {"handshake", hs_start, hs_expire, hs_free};

struct hsprobe_params hsprobe_params_base(const struct hsprobe_params *base)
{
	struct hsprobe_params prm = *base;
	memset(&prm.sess_opts, 0, sizeof prm.sess_opts);
	prm.raw = NULL;
	prm.on_raw = NULL;
	prm.on_done = NULL;
	prm.on_tls = NULL;
	prm.reneg = 0;
	prm.own = NULL;
	return prm;
}

struct probe *hsprobe_new(struct endpoint *ep, const struct dns_addr *addr,
			  const struct hsprobe_params *prm)
{
	struct hsprobe *h = xcalloc(1, sizeof(*h));
	err_clear(&h->raw_err);
	h->base.ops = &hs_ops;
	h->base.deadline_ms = prm->deadline_ms;
	h->base.conn_counter = &ep->stats.connections;
	h->ep = ep;
	h->addr = *addr;
	h->prm = *prm;
	return &h->base;
}
