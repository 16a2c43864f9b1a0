/* scan.c - one run: resolve, plan probes per address, loop, done. */
#include "scan/scan.h"

#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "dns/resolve.h"
#include "scan/enumerate.h"
#include "scan/hsprobe.h"
#include "scan/tlsaux.h"
#include "scan/vulnscan.h"
#include "tls/registry.h"
#include "scan/sched.h"
#include "tls/ossl.h"

void scan_cfg_defaults(struct scan_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->connect_ms = 10000;
	c->read_ms = 15000;
	c->total_ms = 60000;
	c->resolve_ms = 15000;
	c->scan_ms = 300000;
	c->max_conns_per_host = 4;
	c->max_conns = 64;
	c->ehlo = "mailtls.invalid";
	c->max_retries = 3;
}

struct run;

/* One target of the run. */
struct trun {
	struct run *run;
	const struct target *t;
	int resolving;
	struct hsprobe_params prm_base; /* limits and dialogue for every probe */
};

struct run {
	const struct scan_cfg *cfg;
	struct result *r;
	struct event_base *base;
	struct sched *sched;
	struct dns *dns;
	struct ossl_ctx *octx;
	int resolving;
	int started;    /* targets whose lookup went out */
	int resolved;   /* targets that got an address */
	struct err err; /* the last target-level failure */
	struct trun *truns;
	struct enum_ctx **enums;
	size_t nenums, capenums;
	struct tlsaux **auxes;
	size_t nauxes, capauxes;
	struct vscan **vscans;
	size_t nvscans, capvscans;
	struct event *budget;  /* --scan-timeout */
	int expired;
};

/* --scan-timeout: stop; every probe reports what it has, the rest is
 * unknown. */
static void on_budget(evutil_socket_t fd, short what, void *arg)
{
	struct run *run = arg;
	run->expired = 1;
	log_info("the scan timeout of %d ms passed: stopping", run->cfg->scan_ms);
	sched_cancel_all(run->sched);
	if (run->resolving)
		event_base_loopbreak(run->base);
}

static void maybe_stop(void *arg)
{
	struct run *run = arg;
	if (!run->resolving && sched_idle(run->sched))
		event_base_loopbreak(run->base);
}

/* The handshake worked: now enumerate, through the same dialogue. */
static void start_enum(void *arg, struct endpoint *ep, const struct dns_addr *addr)
{
	struct trun *tr = arg;
	struct run *run = tr->run;
	if (ep->dlg.implicit_answered || ep->tls.clear_text_answer)
		return; /* the port speaks the other mode: nothing to enumerate */
	/* A server OpenSSL cannot finish a handshake with (SSLv2 or SSLv3
	 * only, export or RC4 suites only) refuses it (an alert, a close) and
	 * is exactly what the raw engine is for: enumerate then too (one
	 * round per protocol when nothing is offered). Not after a timeout: a
	 * silent server would only cost more deadlines. */
	if (!ep->tls.done && !ep->tls.refused)
		return;
	struct hsprobe_params prm = tr->prm_base;
	prm.sni = ep->sni;
	prm.on_done = NULL;
	struct sched_host *h = sched_host(run->sched, ep->address, run->cfg->max_conns_per_host);
	if (!run->cfg->quick) {
		struct enum_ctx **slot = xvec_push(&run->enums, &run->nenums, &run->capenums,
						   sizeof(*slot));
		*slot = enum_start(run->sched, h, ep, addr, &prm, run->cfg->patient);
	}
	struct vscan *vs = NULL;
	if (run->cfg->vulns) {
		struct vscan **slot = xvec_push(&run->vscans, &run->nvscans, &run->capvscans,
						sizeof(*slot));
		*slot = vs = vscan_start(run->sched, h, ep, addr, &prm, run->cfg->submission,
					     run->cfg->patient);
	}
	struct tlsaux **aux = xvec_push(&run->auxes, &run->nauxes, &run->capauxes, sizeof(*aux));
	*aux = tlsaux_start(run->sched, h, ep, addr, &prm, run->cfg->quick, vs);
}

static void plan(struct trun *tr, const struct dns_addrs *addrs)
{
	struct run *run = tr->run;
	const struct scan_cfg *cfg = run->cfg;
	const struct target *t = tr->t;
	size_t n = cfg->first_ip && addrs->n > 1 ? 1 : addrs->n;

	for (size_t i = 0; i < n; i++) {
		struct dns_addr a = addrs->v[i];
		dns_addr_set_port(&a, t->port);
		/* The connection budget is per address: servers (and the
		 * firewalls before them) throttle by the client's address
		 * against theirs, whatever name led there. */
		struct sched_host *h = sched_host(run->sched, a.text, cfg->max_conns_per_host);
		struct endpoint *ep = result_add_endpoint(run->r, t->host, t->port, a.text);
		ep->mode = t->mode;
		str_set(&ep->starttls, t->mode == MODE_STARTTLS ? t->starttls : NULL);
		/* RFC 6066 3: no IP literal in SNI. */
		const char *sni = cfg->sni ? cfg->sni : (t->numeric ? NULL : t->host);
		str_set(&ep->sni, sni);
		const char *vname = t->numeric && cfg->sni ? cfg->sni : t->host;
		str_set(&ep->tls.verify_name, vname);

		struct hsprobe_params prm = {
			.octx = run->octx,
			.lim = {cfg->connect_ms, cfg->read_ms, cfg->total_ms, 64 * 1024},
			.sni = sni,
			.verify_name = vname,
			/* A backstop: the connection's own deadlines fire first. */
			.deadline_ms = cfg->total_ms > 0 ? cfg->total_ms + 5000 : 0,
			.proto = t->mode == MODE_STARTTLS ? dlg_proto_find(t->starttls) : NULL,
			.dlg = {.ehlo_name = cfg->ehlo, .xmpp_domain = cfg->xmpp_domain},
			.max_retries = cfg->max_retries,
			.dane_base = t->ntlsa ? t->host : NULL,
			.tlsa = t->tlsa,
			.ntlsa = t->ntlsa,
		};
		/* Enumeration and the side handshakes follow the main one; with
		 * --quick only DANE does, when there are TLSA records. */
		if (!cfg->quick || t->ntlsa || cfg->vulns) {
			prm.on_done = start_enum;
			prm.done_arg = tr;
		}
		tr->prm_base = prm;
		sched_add(run->sched, h, hsprobe_new(ep, &a, &prm));
	}
}

static void on_resolved(void *arg, const struct dns_addrs *addrs, const struct err *e)
{
	struct trun *tr = arg;
	struct run *run = tr->run;
	tr->resolving = 0;
	run->resolving--;
	if (!addrs) {
		run->err = *e;
		result_add_error(run->r, STAGE_RESOLVE, e->cat, e->msg);
	} else {
		log_info("%s: %zu address%s (DNSSEC %s)", tr->t->host, addrs->n,
			 addrs->n == 1 ? "" : "es",
			 addrs->dnssec == DNSSEC_SECURE ? "secure" : "insecure");
		run->resolved++;
		plan(tr, addrs);
	}
	maybe_stop(run);
}

/* Without enumeration, the verified handshake is all we know. */
static void fill_from_handshake(struct endpoint *ep)
{
	const struct tls_summary *t = &ep->tls;
	if (!t->done)
		return;
	ep_set_protocol(ep, t->version, 1);
	const struct reg_cipher *c = reg_cipher_find(t->cipher_code, 0);
	ep_add_cipher(ep, t->version, t->cipher_code, t->cipher, t->cipher_openssl,
	              c ? c->kx : NULL, c ? c->au : NULL, c ? c->enc : NULL, c ? c->bits : 0, 0);
	if (t->group)
		ep_add_group(ep, t->group);
}

/* The target's addresses are known (domain: the ones it looked up,
 * checked and reports): scan exactly those, not a second answer. */
static int known_addrs(struct trun *tr)
{
	const struct target *t = tr->t;
	struct dns_addrs got = {0};
	got.v = xcalloc(t->naddresses, sizeof(*got.v));
	got.cap = t->naddresses;
	for (size_t j = 0; j < t->naddresses; j++)
		if (dns_parse_numeric(t->addresses[j], &got.v[got.n]) == 0)
			got.n++;
	got.dnssec = t->addr_secure ? DNSSEC_SECURE : DNSSEC_INSECURE;
	if (got.n > 0) {
		tr->resolving = 1;
		tr->run->resolving++;
		tr->run->started++;
		on_resolved(tr, &got, NULL);
	}
	free(got.v);
	return got.n > 0;
}

int scan_check(const struct scan_cfg *cfg, const struct target *t, struct result *r,
	       struct err *e)
{
	return scan_many(cfg, t, 1, r, e);
}

int scan_many(const struct scan_cfg *cfg, const struct target *t, size_t nt, struct result *r,
	      struct err *e)
{
	struct run run = {.cfg = cfg, .r = r};
	struct ossl_opts oo = {cfg->ca_file, cfg->ca_path};
	int rc = -1;

	err_clear(&run.err);
	run.octx = ossl_ctx_new(&oo, &run.err);
	if (!run.octx) {
		result_add_error(r, STAGE_SETUP, run.err.cat, run.err.msg);
		*e = run.err;
		return -1;
	}
	run.base = event_base_new();
	run.sched = sched_new(run.base, cfg->max_conns);
	sched_on_idle(run.sched, maybe_stop, &run);
	run.truns = xcalloc(nt ? nt : 1, sizeof(*run.truns));
	struct dns_cfg dc = {cfg->resolver, cfg->trust_anchor};
	run.dns = dns_new_cfg(run.base, &dc, &run.err);
	if (!run.dns) {
		result_add_error(r, STAGE_SETUP, run.err.cat, run.err.msg);
		goto out;
	}
	for (size_t i = 0; i < nt; i++) {
		struct trun *tr = &run.truns[i];
		tr->run = &run;
		tr->t = &t[i];
		if (t[i].naddresses > 0 && !cfg->pin_ip && known_addrs(tr))
			continue;
		const char *lookup = cfg->pin_ip ? cfg->pin_ip : t[i].host;
		if (dns_resolve_addrs(run.dns, lookup, DNS_WANT_V4 | DNS_WANT_V6, cfg->resolve_ms,
				      on_resolved, tr) != 0) {
			err_set(&run.err, ERR_RESOLVE, "%s: cannot start the lookup", lookup);
			result_add_error(r, STAGE_RESOLVE, run.err.cat, run.err.msg);
			continue;
		}
		tr->resolving = 1;
		run.resolving++;
		run.started++;
	}
	if (run.started && cfg->scan_ms > 0) {
		struct timeval tv = clk_tv(cfg->scan_ms);
		run.budget = evtimer_new(run.base, on_budget, &run);
		evtimer_add(run.budget, &tv);
	}
	if (run.started)
		event_base_dispatch(run.base);
	if (run.expired) {
		char msg[200];
		snprintf(msg, sizeof msg,
			 "the scan timeout (--scan-timeout %d s) passed: what was not learnt by "
			 "then is unknown",
			 cfg->scan_ms / 1000);
		result_add_error(r, STAGE_SCAN, ERR_TIMEOUT, msg);
		log_warn("%s", msg); /* the report is incomplete: say so at once */
	}
	for (size_t i = 0; i < run.nenums; i++)
		enum_finish(run.enums[i]);
	for (size_t i = 0; i < r->neps; i++)
		if (!r->eps[i]->enumerated)
			fill_from_handshake(r->eps[i]);
	/* One target: its failure is the run's; several: the run failed
	 * only when none of them got an address. */
	if (nt == 1 ? run.err.cat == ERR_NONE : run.resolved > 0)
		rc = 0;
out:
	if (rc != 0)
		*e = run.err;
	free(run.enums);
	for (size_t i = 0; i < run.nauxes; i++)
		tlsaux_free(run.auxes[i]);
	free(run.auxes);
	for (size_t i = 0; i < run.nvscans; i++)
		vscan_free(run.vscans[i]);
	free(run.vscans);
	free(run.truns);
	if (run.budget)
		event_free(run.budget);
	sched_free(run.sched);
	dns_free(run.dns);
	ossl_ctx_free(run.octx);
	event_base_free(run.base);
	return rc;
}
