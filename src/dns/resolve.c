/* resolve.c - A/AAAA lookups through libunbound's async API on our loop. */
#include "dns/resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/event.h>
#include <unbound.h>
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

struct dns {
	struct event_base *base;
	struct ub_ctx *ub;
	struct event *ev;
	FILE *quiet; /* libunbound's own log goes here unless -vv */
};

/* A trust anchor file must hold DS or DNSKEY records: libunbound would
 * only fail later, on the first query, with "initialization failure". */
int dns_anchor_zones(const char *path, char zones[][DNS_NAME_MAX], size_t max, size_t *n,
		     struct err *e)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	size_t found = 0;
	*n = 0;
	if (!f) {
		err_set(e, ERR_LOCAL, "cannot read the trust anchor file %s: %s", path,
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		/* owner [ttl] [class] DS|DNSKEY <number> ... */
		char *tok[6], *save = NULL;
		int nt = 0, rr = 0;
		char *c = strchr(line, ';');
		if (c)
			*c = '\0';
		for (char *w = strtok_r(line, " \t\r\n", &save); w && nt < 6;
		     w = strtok_r(NULL, " \t\r\n", &save))
			tok[nt++] = w;
		for (int i = 1; i + 1 < nt && !rr; i++)
			rr = (strcmp(tok[i], "DS") == 0 || strcmp(tok[i], "DNSKEY") == 0) &&
			     strspn(tok[i + 1], "0123456789") == strlen(tok[i + 1]);
		if (!rr)
			continue;
		found++;
		/* The zone, once, without its trailing dot ("." for the root). */
		char zone[DNS_NAME_MAX];
		size_t len = strlen(tok[0]);
		if (len >= sizeof zone)
			continue;
		snprintf(zone, sizeof zone, "%s", tok[0]);
		if (len > 1 && zone[len - 1] == '.')
			zone[len - 1] = '\0';
		int dup = 0;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = strcasecmp(zones[i], zone) == 0;
		if (!dup && *n < max)
			snprintf(zones[(*n)++], DNS_NAME_MAX, "%s", zone);
	}
	fclose(f);
	if (!found) {
		err_set(e, ERR_LOCAL, "the trust anchor file %s holds no DS or DNSKEY record", path);
		return -1;
	}
	return 0;
}

static int anchor_check(const char *path, struct err *e)
{
	char zones[1][DNS_NAME_MAX];
	size_t n;
	return dns_anchor_zones(path, zones, 1, &n, e);
}

struct dns_q;

struct dns_sub {
	struct dns_q *q;
	int rrtype;
	int id;
	int active;
	int rcode;
	int secure, bogus;
	char why[128];
	char canon[256];
	struct dns_addrs got;
};

struct dns_q {
	struct dns *d;
	char host[256];
	struct dns_sub sub[2]; /* A, AAAA */
	int outstanding;
	struct event *timer;
	int timeout_ms;
	dns_addrs_cb *cb;
	void *arg;
	struct dns_addr numeric;
	int is_numeric;
	int send_failed;
};

/* libunbound hands over an answer that does not fit its 64 KiB message
 * (thousands of records) as an empty one with the TC bit and rcode 0:
 * that is not NODATA, the answer is unknown. */
static int truncated(const struct ub_result *res)
{
	const unsigned char *p = res->answer_packet;
	return p && res->answer_len >= 4 && (p[2] & 0x02);
}

#define TRUNCATED_WHY "the answer is too large: the resolver library truncated it"

static void on_ub_fd(evutil_socket_t fd, short what, void *arg)
{
	struct dns *d = arg;
	(void)ub_process(d->ub);
}

struct dns *dns_new(struct event_base *base, struct err *e)
{
	struct dns_cfg none = {0};
	return dns_new_cfg(base, &none, e);
}

struct dns *dns_new_cfg(struct event_base *base, const struct dns_cfg *cfg, struct err *e)
{
	if (cfg->trust_anchor && anchor_check(cfg->trust_anchor, e) != 0)
		return NULL;
	struct dns *d = xcalloc(1, sizeof(*d));
	d->base = base;
	d->ub = ub_ctx_create();
	if (!d->ub) {
		err_set(e, ERR_LOCAL, "cannot create the DNS resolver");
		free(d);
		return NULL;
	}
	int r;
	/* localhost answers as /etc/hosts says, as the system resolver does,
	 * not with unbound's built-in 127.0.0.1 and ::1. */
	const char *what = "DNS resolver setup";
	if (log_verbosity < 2 && (d->quiet = fopen("/dev/null", "w")) != NULL)
		(void)ub_ctx_debugout(d->ub, d->quiet);
	if ((r = ub_ctx_async(d->ub, 1)) != 0 ||
	    (r = cfg->resolver ? ub_ctx_set_fwd(d->ub, cfg->resolver)
			       : ub_ctx_resolvconf(d->ub, NULL)) != 0 ||
	    (r = ub_ctx_set_option(d->ub, "local-zone:", "localhost. transparent")) != 0 ||
	    /* A server named on the command line may serve RFC 6761 test
	     * names (a lab, the test suite): let them through. */
	    (cfg->resolver &&
	     (r = ub_ctx_set_option(d->ub, "local-zone:", "test. transparent")) != 0) ||
	    (r = ub_ctx_hosts(d->ub, NULL)) != 0 ||
	    (cfg->trust_anchor && (what = cfg->trust_anchor,
				   r = ub_ctx_add_ta_file(d->ub, cfg->trust_anchor)) != 0)) {
		if (cfg->resolver && what[0] == 'D' && r == UB_SYNTAX)
			err_set(e, ERR_USAGE, "resolver '%s': not an address (ADDR or ADDR@PORT)",
				cfg->resolver);
		else
			err_set(e, ERR_LOCAL, "%s: %s", what, ub_strerror(r));
		ub_ctx_delete(d->ub);
		if (d->quiet)
			fclose(d->quiet);
		free(d);
		return NULL;
	}
	d->ev = event_new(base, ub_fd(d->ub), EV_READ | EV_PERSIST, on_ub_fd, d);
	event_add(d->ev, NULL);
	return d;
}

void dns_free(struct dns *d)
{
	if (!d)
		return;
	event_free(d->ev);
	ub_ctx_delete(d->ub);
	if (d->quiet)
		fclose(d->quiet);
	free(d);
}

void dns_addr_set_port(struct dns_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

static void addrs_push(struct dns_addrs *a, const struct dns_addr *x)
{
	struct dns_addr *slot = xvec_push(&a->v, &a->n, &a->cap, sizeof(*slot));
	*slot = *x;
}

static void q_free(struct dns_q *q)
{
	for (int i = 0; i < 2; i++)
		free(q->sub[i].got.v);
	if (q->timer)
		event_free(q->timer);
	free(q);
}

static void q_finish(struct dns_q *q, int timed_out)
{
	struct dns_addrs all = {0};
	struct err e;
	err_clear(&e);

	all.dnssec = DNSSEC_SECURE;
	int answered = 0;
	for (int i = 0; i < 2; i++) {
		struct dns_sub *s = &q->sub[i];
		if (!s->rrtype || s->active)
			continue;
		answered++;
		for (size_t j = 0; j < s->got.n; j++)
			addrs_push(&all, &s->got.v[j]);
		if (s->canon[0] && !all.canon[0])
			snprintf(all.canon, sizeof all.canon, "%s", s->canon);
		if (s->bogus)
			all.dnssec = DNSSEC_BOGUS;
		else if (!s->secure && all.dnssec != DNSSEC_BOGUS)
			all.dnssec = DNSSEC_INSECURE;
	}
	if (!answered)
		all.dnssec = DNSSEC_INSECURE;
	if (all.n == 0) {
		const char *why = NULL;
		for (int i = 0; i < 2 && !why; i++)
			if (q->sub[i].why[0])
				why = q->sub[i].why;
		if (timed_out)
			err_set(&e, ERR_TIMEOUT, "%s: the resolver did not answer within %d ms",
				q->host, q->timeout_ms);
		else
			err_set(&e, ERR_RESOLVE, "%s: %s", q->host,
				why ? why : "no A or AAAA record");
	}
	q->cb(q->arg, all.n ? &all : NULL, all.n ? NULL : &e);
	free(all.v);
	q_free(q);
}

static void on_answer(void *mydata, int err, struct ub_result *res)
{
	struct dns_sub *s = mydata;
	struct dns_q *q = s->q;
	s->active = 0;
	if (err != 0) {
		snprintf(s->why, sizeof s->why, "resolver error: %s", ub_strerror(err));
	} else {
		s->rcode = res->rcode;
		s->secure = res->secure;
		s->bogus = res->bogus;
		if (res->canonname && res->havedata) {
			size_t n = strlen(res->canonname);
			if (n && res->canonname[n - 1] == '.')
				n--;
			if (n < sizeof s->canon && !(strlen(q->host) == n &&
						     strncasecmp(res->canonname, q->host, n) == 0))
				snprintf(s->canon, sizeof s->canon, "%.*s", (int)n, res->canonname);
		}
		if (truncated(res))
			snprintf(s->why, sizeof s->why, TRUNCATED_WHY);
		else if (res->nxdomain)
			snprintf(s->why, sizeof s->why, "no such domain (NXDOMAIN)");
		else if (res->bogus)
			snprintf(s->why, sizeof s->why, "DNSSEC validation failed: %s",
				 res->why_bogus ? res->why_bogus : "bogus");
		else if (res->rcode != 0)
			snprintf(s->why, sizeof s->why, "resolver answered rcode %d%s", res->rcode,
				 res->rcode == 2 ? " (SERVFAIL)" : "");
		for (int i = 0; res->havedata && !truncated(res) && res->data[i]; i++) {
			struct dns_addr a = {0};
			if (s->rrtype == 1 && res->len[i] == 4) {
				struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;
				sin->sin_family = AF_INET;
				memcpy(&sin->sin_addr, res->data[i], 4);
				a.len = sizeof(*sin);
			} else if (s->rrtype == 28 && res->len[i] == 16) {
				struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.ss;
				sin6->sin6_family = AF_INET6;
				memcpy(&sin6->sin6_addr, res->data[i], 16);
				a.len = sizeof(*sin6);
			} else {
				continue; /* wrong length: ignore the record */
			}
			if (getnameinfo((struct sockaddr *)&a.ss, a.len, a.text, sizeof a.text,
					NULL, 0, NI_NUMERICHOST) == 0)
				addrs_push(&s->got, &a);
		}
		ub_resolve_free(res);
	}
	if (--q->outstanding == 0)
		q_finish(q, 0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dns_q *q = arg;
	if (q->is_numeric) {
		struct dns_addrs one = {.v = &q->numeric, .n = 1, .cap = 1, .dnssec = DNSSEC_INSECURE};
		q->cb(q->arg, &one, NULL);
		q_free(q);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (q->sub[i].active) {
			(void)ub_cancel(q->d->ub, q->sub[i].id);
			q->sub[i].active = 0;
			q->sub[i].rrtype = 0; /* no answer: not counted */
		}
	}
	q_finish(q, !q->send_failed);
}

int dns_resolve_addrs(struct dns *d, const char *host, int want, int timeout_ms,
		      dns_addrs_cb *cb, void *arg)
{
	struct dns_q *q = xcalloc(1, sizeof(*q));
	q->d = d;
	q->cb = cb;
	q->arg = arg;
	q->timeout_ms = timeout_ms;
	snprintf(q->host, sizeof q->host, "%s", host);
	q->timer = evtimer_new(d->base, on_timer, q);

	if (dns_parse_numeric(host, &q->numeric) == 0) {
		/* Delivered from the loop like every other answer. */
		q->is_numeric = 1;
		struct timeval zero = {0, 0};
		evtimer_add(q->timer, &zero);
		return 0;
	}
	const int types[2] = {1, 28};
	const int bits[2] = {DNS_WANT_V4, DNS_WANT_V6};
	for (int i = 0; i < 2; i++) {
		if (!(want & bits[i]))
			continue;
		struct dns_sub *s = &q->sub[i];
		s->q = q;
		s->rrtype = types[i];
		s->active = 1;
		q->outstanding++;
	}
	for (int i = 0; i < 2; i++) {
		struct dns_sub *s = &q->sub[i];
		if (!s->active)
			continue;
		int r = ub_resolve_async(d->ub, host, s->rrtype, 1, s, on_answer, &s->id);
		if (r != 0) {
			snprintf(s->why, sizeof s->why, "resolver error: %s", ub_strerror(r));
			s->active = 0;
			q->outstanding--;
		}
	}
	if (q->outstanding == 0) {
		/* Nothing could be sent; report from the loop. */
		q->send_failed = 1;
		struct timeval zero = {0, 0};
		evtimer_add(q->timer, &zero);
		return 0;
	}
	if (timeout_ms > 0) {
		struct timeval tv = clk_tv(timeout_ms);
		evtimer_add(q->timer, &tv);
	}
	return 0;
}

/* ---- one RRset ---- */

struct dns_rq {
	struct dns *d;
	int id;
	int active;
	int rrtype;
	char name[256];
	int timeout_ms;
	struct event *timer;
	dns_rrset_cb *cb;
	void *arg;
	struct err send_err;
};

static void rq_free(struct dns_rq *q)
{
	event_free(q->timer);
	free(q);
}

static void on_rrset(void *mydata, int err, struct ub_result *res)
{
	struct dns_rq *q = mydata;
	struct dns_rrset set = {.rrtype = q->rrtype};
	struct err e;
	q->active = 0;
	if (err != 0 || truncated(res)) {
		if (err != 0)
			err_set(&e, ERR_RESOLVE, "%s: resolver error: %s", q->name, ub_strerror(err));
		else
			err_set(&e, ERR_RESOLVE, "%s: " TRUNCATED_WHY, q->name);
		if (res)
			ub_resolve_free(res);
		q->cb(q->arg, NULL, &e);
		rq_free(q);
		return;
	}
	set.rcode = res->rcode;
	set.nxdomain = res->nxdomain;
	set.dnssec = res->bogus ? DNSSEC_BOGUS : res->secure ? DNSSEC_SECURE : DNSSEC_INSECURE;
	if (res->bogus)
		snprintf(set.why_bogus, sizeof set.why_bogus, "%s",
			 res->why_bogus ? res->why_bogus : "bogus");
	size_t n = 0;
	while (res->havedata && res->data[n])
		n++;
	set.rdata = (unsigned char **)res->data;
	set.len = xcalloc(n + 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		set.len[i] = (size_t)res->len[i];
	set.n = n;
	q->cb(q->arg, &set, NULL);
	free(set.len);
	ub_resolve_free(res);
	rq_free(q);
}

static void on_rq_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dns_rq *q = arg;
	struct err e;
	if (q->active) {
		(void)ub_cancel(q->d->ub, q->id);
		err_set(&e, ERR_TIMEOUT, "%s: the resolver did not answer within %d ms", q->name,
			q->timeout_ms);
	} else {
		e = q->send_err;
	}
	q->cb(q->arg, NULL, &e);
	rq_free(q);
}

int dns_query(struct dns *d, const char *name, int rrtype, int timeout_ms, dns_rrset_cb *cb,
	      void *arg)
{
	struct dns_rq *q = xcalloc(1, sizeof(*q));
	q->d = d;
	q->rrtype = rrtype;
	q->cb = cb;
	q->arg = arg;
	q->timeout_ms = timeout_ms;
	snprintf(q->name, sizeof q->name, "%s", name);
	q->timer = evtimer_new(d->base, on_rq_timer, q);
	int r = ub_resolve_async(d->ub, name, rrtype, 1, q, on_rrset, &q->id);
	if (r != 0) {
		/* Reported from the loop, like every answer. */
		err_set(&q->send_err, ERR_RESOLVE, "%s: resolver error: %s", name, ub_strerror(r));
		struct timeval zero = {0, 0};
		evtimer_add(q->timer, &zero);
		return 0;
	}
	q->active = 1;
	if (timeout_ms > 0) {
		struct timeval tv = clk_tv(timeout_ms);
		evtimer_add(q->timer, &tv);
	}
	return 0;
}
