/* hsprobe.c - connect -> TLS handshake (OpenSSL) -> describe -> close. */
#include "scan/hsprobe.h"

#include <stdlib.h>
#include "core/log.h"
#include "core/mem.h"

enum hs_state { HS_CONNECTING, HS_HANDSHAKE, HS_DONE };
static const char *const hs_stage[] = {"connect", "tls", "done"};

struct hsprobe {
	struct probe base; /* first: the scheduler sees a struct probe */
	struct endpoint *ep;
	struct dns_addr addr;
	struct hsprobe_params prm;
	struct conn *c;
	struct ossl_sess *sess;
	enum hs_state state;
	double elapsed_ms;
};

static void finish(struct hsprobe *h)
{
	if (h->c) {
		h->ep->stats.duration_ms += conn_elapsed_ms(h->c);
		conn_close(h->c);
		h->c = NULL;
	}
	h->state = HS_DONE;
	probe_done(&h->base);
}

static void record_error(struct hsprobe *h, const struct err *e)
{
	log_info("%s [%s]:%u: %s", h->ep->host, h->addr.text, h->ep->port, e->msg);
	ep_add_error(h->ep, hs_stage[h->state], err_cat_name(e->cat), e->msg);
}

static void start_tls(struct hsprobe *h)
{
	struct err e;
	struct conn_io io;
	err_clear(&e);
	h->sess = ossl_sess_new(h->prm.octx, h->prm.sni, h->prm.verify_name, &e);
	if (!h->sess) {
		record_error(h, &e);
		finish(h);
		return;
	}
	h->state = HS_HANDSHAKE;
	ossl_sess_io(h->sess, conn_fd(h->c), &io);
	conn_start_io(h->c, &io);
}

static void on_conn(struct conn *c, enum conn_ev ev, void *arg)
{
	struct hsprobe *h = arg;
	switch (ev) {
	case CONN_EV_CONNECTED:
		log_debug("%s [%s]:%u: connected", h->ep->host, h->addr.text, h->ep->port);
		start_tls(h);
		break;
	case CONN_EV_HANDSHAKE_DONE:
		ossl_sess_describe(h->sess, h->ep);
		finish(h);
		break;
	case CONN_EV_DATA:
	case CONN_EV_EOF:
		/* Nothing is expected from the server after the handshake. */
		finish(h);
		break;
	case CONN_EV_ERROR:
		record_error(h, conn_error(c));
		finish(h);
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
	err_set(&e, ERR_TIMEOUT, "probe deadline of %d ms passed", p->deadline_ms);
	record_error(h, &e);
	finish(h);
}

static void hs_free(struct probe *p)
{
	struct hsprobe *h = (struct hsprobe *)p;
	if (h->c)
		conn_close(h->c);
	ossl_sess_free(h->sess);
	free(h);
}

static const struct probe_ops hs_ops = {"handshake", hs_start, hs_expire, hs_free};

struct probe *hsprobe_new(struct endpoint *ep, const struct dns_addr *addr,
			  const struct hsprobe_params *prm)
{
	struct hsprobe *h = xcalloc(1, sizeof(*h));
	h->base.ops = &hs_ops;
	h->base.deadline_ms = prm->deadline_ms;
	h->base.conn_counter = &ep->stats.connections;
	h->ep = ep;
	h->addr = *addr;
	h->prm = *prm;
	return &h->base;
}
