/* domain.c - every DNS query and the policy fetch of one mail domain, on
 * one loop. Each answer fills the model as it comes; the loop ends when
 * nothing is pending (every query has its own deadline). */
#include "domain/domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <event2/event.h>
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "domain/rdata.h"
#include "domain/records.h"
#include "net/https.h"

#define STS_MAX_BODY (64 * 1024)
#define SPF_MAX_FETCH 30 /* TXT queries for includes and redirects, in all */

void domain_cfg_defaults(struct domain_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->dns_timeout_ms = 15000;
	c->https_timeout_ms = 20000;
	c->sts_port = 443;
	c->max_mx = 16;
}

void domain_tlsa_name(char *out, size_t n, const char *host)
{
	snprintf(out, n, "_25._tcp.%s", host);
}

struct dl {
	const struct domain_cfg *cfg;
	struct domain_info *d;
	struct event_base *base;
	struct dns *dns;
	struct https *https;
	int pending;
	int spf_fetches;
	double deadline; /* monotonic ms; 0: none (cfg->budget_ms) */
};

/* A query's or the fetch's deadline, cut to what is left of the budget
 * (at least 1 ms: it then ends as a timeout from the loop). */
static int within(const struct dl *dl, int ms)
{
	if (dl->deadline <= 0)
		return ms;
	double left = dl->deadline - clk_mono_ms();
	if (left < 1)
		return 1;
	return ms <= 0 || left < ms ? (int)left : ms;
}

/* What an answer belongs to. */
struct dq {
	struct dl *dl;
	size_t mx;   /* index of the MX host */
	int depth;   /* SPF include depth */
	int redirect; /* SPF: a redirect of the domain's own record */
	char name[320];
};

static struct dq *dq_new(struct dl *dl, size_t mx, int depth, const char *name)
{
	struct dq *q = xcalloc(1, sizeof(*q));
	q->dl = dl;
	q->mx = mx;
	q->depth = depth;
	snprintf(q->name, sizeof q->name, "%s", name ? name : "");
	return q;
}

static void settle(struct dl *dl)
{
	if (--dl->pending == 0)
		event_base_loopbreak(dl->base);
}

/* Send one query for q (which the callback frees); it is pending until
 * its answer has been handled. */
static void ask(struct dl *dl, struct dq *q, const char *name, int type, dns_rrset_cb *cb)
{
	dl->pending++;
	if (dns_query(dl->dns, name, type, within(dl, dl->cfg->dns_timeout_ms), cb, q) != 0) {
		free(q);
		settle(dl);
	}
}

static enum zone_sec sec_of(enum dnssec_status s)
{
	return s == DNSSEC_SECURE ? SEC_SECURE : s == DNSSEC_BOGUS ? SEC_BOGUS : SEC_INSECURE;
}

/* Why an answer carries no usable data: NULL for data, NODATA or NXDOMAIN
 * (absence is a fact, not a failure). */
static const char *answer_problem(const struct dns_rrset *rs, const struct err *e, char *buf,
				  size_t n)
{
	if (e) {
		snprintf(buf, n, "%s", e->msg);
		return buf;
	}
	if (rs->dnssec == DNSSEC_BOGUS) {
		snprintf(buf, n, "DNSSEC validation failed: %s", rs->why_bogus);
		return buf;
	}
	if (rs->rcode != 0 && !rs->nxdomain) {
		snprintf(buf, n, "the resolver answered rcode %d%s", rs->rcode,
			 rs->rcode == 2 ? " (SERVFAIL)" : rs->rcode == 5 ? " (REFUSED)" : "");
		return buf;
	}
	return NULL;
}

/* A copy fit for the model: NUL bytes shown as '?' (all len bytes: a
 * string copy would stop at the first NUL). */
static char *display_copy(const char *s, size_t len)
{
	char *c = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		c[i] = s[i] ? s[i] : '?';
	c[len] = '\0';
	return c;
}

/* ---- TXT records ---- */

typedef int txt_pred(const char *s, size_t len);

static int sts_pred(const char *s, size_t len)
{
	return len >= 7 && strncmp(s, "v=STSv1", 7) == 0;
}

static int tlsrpt_pred(const char *s, size_t len)
{
	return len >= 10 && strncmp(s, "v=TLSRPTv1", 10) == 0;
}

/* Fill t from a TXT answer: the records `pred` accepts. Returns the one
 * record (joined, caller frees, *len set) when there is exactly one. */
static char *txt_collect(struct txt_rec *t, const struct dns_rrset *rs, const struct err *e,
			 txt_pred *pred, size_t *len)
{
	char buf[600];
	char *one = NULL;
	const char *why = answer_problem(rs, e, buf, sizeof buf);
	if (rs)
		t->sec = sec_of(rs->dnssec);
	if (why) {
		str_set(&t->lookup_error, why);
		return NULL;
	}
	for (size_t i = 0; i < rs->n; i++) {
		size_t l;
		char *s = txt_rdata_join(rs->rdata[i], rs->len[i], &l);
		if (!s) {
			/* Its strings overrun the record: garbage from the
			 * resolver or on the way, nothing a zone can hold. What
			 * the answer says cannot be told. */
			str_set(&t->lookup_error, "the answer holds a malformed TXT record");
			strv_free(t->txt, t->ntxt);
			t->txt = NULL;
			t->ntxt = 0;
			free(one);
			return NULL;
		}
		if (!pred(s, l)) {
			free(s);
			continue;
		}
		char *shown = display_copy(s, l);
		strv_push(&t->txt, &t->ntxt, shown);
		free(shown);
		if (t->ntxt == 1) {
			one = s;
			*len = l;
		} else {
			free(s);
		}
	}
	if (t->ntxt > 1) {
		char msg[80];
		snprintf(msg, sizeof msg, "%zu records where there must be one", t->ntxt);
		str_set(&t->parse_error, msg);
		free(one);
		return NULL;
	}
	return one;
}

/* ---- MTA-STS ---- */

static void on_policy(void *arg, const struct https_resp *resp, const struct err *e)
{
	struct dl *dl = arg;
	struct domain_info *d = dl->d;
	char msg[700];
	msg[0] = '\0';
	if (!resp) {
		snprintf(msg, sizeof msg, "fetching %s failed: %s", d->sts.url, e->msg);
		/* A timeout (a trickling server) or a broken connection says
		 * nothing about the policy. */
		d->sts.undetermined = e->cat == ERR_TIMEOUT || e->cat == ERR_IO;
	} else {
		d->sts.fetched = 1;
		d->sts.status = resp->status;
		str_set(&d->sts.content_type, resp->content_type);
		str_set(&d->sts.location, resp->location);
		d->sts.body = display_copy(resp->body ? resp->body : "", resp->len);
		if (resp->status >= 300 && resp->status < 400)
			snprintf(msg, sizeof msg,
				 "HTTP %ld redirect%s%.300s: senders do not follow redirects "
				 "(RFC 8461 3.3)",
				 resp->status, resp->location ? " to " : "",
				 resp->location ? resp->location : "");
		else if (resp->status != 200)
			snprintf(msg, sizeof msg, "HTTP status %ld, not 200", resp->status);
		else if (!resp->content_type ||
			 strncasecmp(resp->content_type, "text/plain", 10) != 0 ||
			 (resp->content_type[10] && resp->content_type[10] != ';' &&
			  resp->content_type[10] != ' '))
			snprintf(msg, sizeof msg, "Content-Type is %.200s, not text/plain (RFC 8461 3.2)",
				 resp->content_type ? resp->content_type : "missing");
		else {
			struct sts_policy p = {0};
			if (sts_policy_parse(resp->body ? resp->body : "", resp->len, &p) == 0) {
				d->sts.valid = 1;
				d->sts.mode = p.mode;
				d->sts.max_age = p.max_age;
				for (size_t i = 0; i < p.nmx; i++)
					strv_push(&d->sts.mx, &d->sts.nmx, p.mx[i]);
			} else {
				d->sts.invalid = 1;
				snprintf(msg, sizeof msg, "the policy is invalid: %s", p.error);
			}
			sts_policy_free(&p);
		}
	}
	if (msg[0])
		str_set(&d->sts.error, msg);
	settle(dl);
}

static void on_sts_host(void *arg, const struct dns_addrs *res, const struct err *e)
{
	struct dl *dl = arg;
	struct domain_info *d = dl->d;
	if (!res) {
		char msg[700];
		snprintf(msg, sizeof msg, "mta-sts.%s does not resolve: %s", d->name, e->msg);
		str_set(&d->sts.error, msg);
		d->sts.undetermined = e->cat == ERR_TIMEOUT;
		settle(dl);
		return;
	}
	struct https_req req = {
		.url = d->sts.url,
		.connect_ip = res->v[0].text,
		.ca_file = dl->cfg->ca_file,
		.timeout_ms = within(dl, dl->cfg->https_timeout_ms),
		.max_body = STS_MAX_BODY,
	};
	if (https_get(dl->https, &req, on_policy, dl) != 0) {
		str_set(&d->sts.error, "the policy URL could not be fetched");
		settle(dl);
	}
	/* settle() comes with on_policy */
}

static void on_sts_txt(void *arg, const struct dns_rrset *rs, const struct err *e)
{
	struct dq *q = arg;
	struct dl *dl = q->dl;
	struct domain_info *d = dl->d;
	size_t len;
	char *txt = txt_collect(&d->sts_txt, rs, e, sts_pred, &len);
	if (txt) {
		struct sts_txt t = {0};
		if (sts_txt_parse(txt, len, &t) == 0) {
			d->sts_txt.valid = 1;
			str_set(&d->sts_id, t.id);
		} else {
			str_set(&d->sts_txt.parse_error, t.error);
		}
		sts_txt_free(&t);
		free(txt);
	}
	/* RFC 8461 3.3: the policy is fetched when a valid TXT record says
	 * there is one. */
	if (d->sts_txt.valid) {
		char url[400], host[300];
		snprintf(host, sizeof host, "mta-sts.%s", d->name);
		if (dl->cfg->sts_port == 443)
			snprintf(url, sizeof url, "https://%s/.well-known/mta-sts.txt", host);
		else
			snprintf(url, sizeof url, "https://%s:%u/.well-known/mta-sts.txt", host,
				 dl->cfg->sts_port);
		str_set(&d->sts.url, url);
		dl->pending++;
		if (dns_resolve_addrs(dl->dns, host, DNS_WANT_V4 | DNS_WANT_V6,
				      within(dl, dl->cfg->dns_timeout_ms), on_sts_host, dl) != 0) {
			str_set(&d->sts.error, "cannot look up the policy host");
			settle(dl);
		}
	}
	free(q);
	settle(dl);
}

/* ---- TLS-RPT ---- */

static void on_tlsrpt(void *arg, const struct dns_rrset *rs, const struct err *e)
{
	struct dq *q = arg;
	struct domain_info *d = q->dl->d;
	size_t len;
	char *txt = txt_collect(&d->tlsrpt, rs, e, tlsrpt_pred, &len);
	if (txt) {
		struct tlsrpt t = {0};
		if (tlsrpt_parse(txt, len, &t) == 0) {
			d->tlsrpt.valid = 1;
			for (size_t i = 0; i < t.nrua; i++)
				strv_push(&d->tlsrpt_rua, &d->ntlsrpt_rua, t.rua[i]);
		} else {
			str_set(&d->tlsrpt.parse_error, t.error);
		}
		tlsrpt_free(&t);
		free(txt);
	}
	struct dl *dl = q->dl;
	free(q);
	settle(dl);
}

/* ---- SPF, includes and redirects followed to count lookups ---- */

static void spf_fetch(struct dl *dl, const char *name, int depth, int redirect);

static void spf_problem(struct domain_info *d, const char *name, const char *why)
{
	char msg[1000];
	snprintf(msg, sizeof msg, "%s: %s", name, why);
	strv_push(&d->spf_problems, &d->nspf_problems, msg);
}

/* main: this record is the domain's, or what its redirects lead to. */
static void spf_follow(struct dl *dl, const struct spf *s, int depth, int main)
{
	/* Macros (%{...}) depend on the message: not followed. */
	for (size_t i = 0; i < s->nincludes; i++)
		if (!strchr(s->includes[i], '%'))
			spf_fetch(dl, s->includes[i], depth + 1, 0);
	if (s->redirect && !s->all && !strchr(s->redirect, '%'))
		spf_fetch(dl, s->redirect, depth + 1, main);
}

static void on_spf(void *arg, const struct dns_rrset *rs, const struct err *e)
{
	struct dq *q = arg;
	struct dl *dl = q->dl;
	struct domain_info *d = dl->d;
	if (q->depth == 0) {
		size_t len;
		char *txt = txt_collect(&d->spf, rs, e, spf_is_record, &len);
		if (txt) {
			struct spf s = {0};
			if (spf_parse(txt, len, &s) == 0) {
				d->spf.valid = 1;
				d->spf_all = s.all;
				d->spf_lookups += s.lookups;
				d->spf_has_ptr |= s.has_ptr;
				spf_follow(dl, &s, 0, 1);
			} else {
				str_set(&d->spf.parse_error, s.error);
			}
			spf_free(&s);
			free(txt);
		}
	} else {
		struct txt_rec t = {0};
		size_t len;
		char *txt = txt_collect(&t, rs, e, spf_is_record, &len);
		if (t.lookup_error) {
			spf_problem(d, q->name, t.lookup_error);
			d->nspf_unknown += t.sec != SEC_BOGUS;
		}
		else if (t.parse_error)
			spf_problem(d, q->name, t.parse_error);
		else if (!txt)
			spf_problem(d, q->name,
				    rs && rs->nxdomain ? "no such domain" : "no SPF record");
		if (txt) {
			struct spf s = {0};
			if (spf_parse(txt, len, &s) == 0) {
				d->spf_lookups += s.lookups;
				d->spf_has_ptr |= s.has_ptr;
				/* RFC 7208 6.1: the redirect's result is the
				 * domain's, its "all" included. */
				if (q->redirect && s.all)
					d->spf_all = s.all;
				spf_follow(dl, &s, q->depth, q->redirect);
			} else {
				spf_problem(d, q->name, s.error);
			}
			spf_free(&s);
			free(txt);
		}
		txt_rec_free(&t);
	}
	free(q);
	settle(dl);
}

static void spf_fetch(struct dl *dl, const char *name, int depth, int redirect)
{
	/* RFC 7208 4.6.4: past 10 lookups the result is permerror anyway. */
	if (dl->d->spf_lookups > 10 || depth > 10 || dl->spf_fetches >= SPF_MAX_FETCH)
		return;
	dl->spf_fetches++;
	struct dq *q = dq_new(dl, 0, depth, name);
	q->redirect = redirect;
	ask(dl, q, name, DNS_T_TXT, on_spf);
}

/* ---- DMARC ---- */

static void dmarc_fetch(struct dl *dl, const char *domain, int depth);

/* No record at _dmarc.NAME: receivers walk up to the parent domains (the
 * DMARCbis tree walk; RFC 7489 6.6.3 uses the organizational domain), so
 * does this, stopping above the top-level domain and after 8 steps. */
static void on_dmarc(void *arg, const struct dns_rrset *rs, const struct err *e)
{
	struct dq *q = arg;
	struct dl *dl = q->dl;
	struct domain_info *d = dl->d;
	struct txt_rec t = {0};
	size_t len;
	char *txt = txt_collect(&t, rs, e, dmarc_is_record, &len);
	const char *parent = strchr(q->name, '.');
	if (!t.ntxt && !t.lookup_error && q->depth < 8 && parent && strchr(parent + 1, '.')) {
		txt_rec_free(&t);
		dmarc_fetch(dl, parent + 1, q->depth + 1);
	} else {
		if (q->depth > 0 && t.ntxt)
			str_set(&d->dmarc_from, q->name);
		txt_rec_free(&d->dmarc);
		d->dmarc = t;
		if (txt) {
			struct dmarc m = {0};
			if (dmarc_parse(txt, len, &m) == 0) {
				d->dmarc.valid = 1;
				d->dmarc_p = m.p;
				d->dmarc_sp = m.sp;
				d->dmarc_pct = m.pct;
				for (size_t i = 0; i < m.nrua; i++)
					strv_push(&d->dmarc_rua, &d->ndmarc_rua, m.rua[i]);
			} else {
				str_set(&d->dmarc.parse_error, m.error);
			}
			dmarc_free(&m);
		}
	}
	free(txt);
	free(q);
	settle(dl);
}

static void dmarc_fetch(struct dl *dl, const char *domain, int depth)
{
	char name[320];
	snprintf(name, sizeof name, "_dmarc.%s", domain);
	ask(dl, dq_new(dl, 0, depth, domain), name, DNS_T_TXT, on_dmarc);
}

/* ---- MX hosts: addresses and TLSA ---- */

static void on_mx_addrs(void *arg, const struct dns_addrs *res, const struct err *e)
{
	struct dq *q = arg;
	struct dl *dl = q->dl;
	struct mx_host *m = &dl->d->mx[q->mx];
	if (!res) {
		str_set(&m->addr_error, e->msg);
	} else {
		m->addr_sec = sec_of(res->dnssec);
		if (res->canon[0])
			str_set(&m->cname, res->canon);
		for (size_t i = 0; i < res->n; i++)
			strv_push(&m->addresses, &m->naddresses, res->v[i].text);
	}
	free(q);
	settle(dl);
}

static void on_tlsa(void *arg, const struct dns_rrset *rs, const struct err *e)
{
	struct dq *q = arg;
	struct dl *dl = q->dl;
	struct mx_host *m = &dl->d->mx[q->mx];
	char buf[600];
	const char *why = answer_problem(rs, e, buf, sizeof buf);
	if (rs)
		m->tlsa_sec = sec_of(rs->dnssec);
	if (why) {
		str_set(&m->tlsa_error, why);
	} else {
		for (size_t i = 0; i < rs->n && m->ntlsa < 64; i++) {
			int u, s, t;
			char *hex;
			if (tlsa_rdata_parse(rs->rdata[i], rs->len[i], &u, &s, &t, &hex) == 0) {
				mx_add_tlsa(m, u, s, t, hex);
				free(hex);
			}
		}
	}
	free(q);
	settle(dl);
}

static void look_at_mx_hosts(struct dl *dl)
{
	struct domain_info *d = dl->d;
	for (size_t i = 0; i < d->nmx; i++) {
		struct mx_host *m = &d->mx[i];
		if (m->addr_error)
			continue; /* not a host name */
		char tname[300];
		domain_tlsa_name(tname, sizeof tname, m->name);
		str_set(&m->tlsa_name, tname);
		struct dq *qa = dq_new(dl, i, 0, m->name);
		dl->pending++;
		if (dns_resolve_addrs(dl->dns, m->name, DNS_WANT_V4 | DNS_WANT_V6,
				      within(dl, dl->cfg->dns_timeout_ms), on_mx_addrs, qa) != 0) {
			free(qa);
			settle(dl);
		}
		ask(dl, dq_new(dl, i, 0, tname), tname, DNS_T_TLSA, on_tlsa);
	}
}

static int by_preference(const void *a, const void *b)
{
	const struct mx_host *x = a, *y = b;
	return x->preference != y->preference ? (x->preference > y->preference ? 1 : -1)
					      : strcmp(x->name, y->name);
}

static void on_mx(void *arg, const struct dns_rrset *rs, const struct err *e)
{
	struct dq *q = arg;
	struct dl *dl = q->dl;
	struct domain_info *d = dl->d;
	char buf[600];
	const char *why = answer_problem(rs, e, buf, sizeof buf);

	if (rs) {
		d->mx_looked = 1;
		d->mx_sec = sec_of(rs->dnssec);
	}
	if (rs && rs->nxdomain) {
		str_set(&d->mx_error, "no such domain (NXDOMAIN)");
	} else if (why && !(rs && rs->dnssec == DNSSEC_BOGUS && rs->n > 0)) {
		/* the resolver's message may start with the name: said once */
		size_t n = strlen(d->name);
		if (strncmp(why, d->name, n) == 0 && strncmp(why + n, ": ", 2) == 0)
			why += n + 2;
		str_set(&d->mx_error, why);
	} else if (rs->n == 0) {
		/* RFC 5321 5.1: no MX, the domain itself is the mail host. */
		d->implicit_mx = 1;
		domain_add_mx(d, d->name, 0);
	} else {
		if (why) /* bogus, with data: kept, and said */
			str_set(&d->mx_error, why);
		for (size_t i = 0; i < rs->n; i++) {
			int pref;
			char name[RDATA_NAME_MAX];
			int ok = mx_rdata_parse(rs->rdata[i], rs->len[i], &pref, name);
			if (ok == 0 && name[0] == '\0') {
				d->null_mx = 1;
				continue;
			}
			if (!name[0])
				snprintf(name, sizeof name, "(malformed record)");
			struct mx_host *m = domain_add_mx(d, name, pref);
			if (ok != 0)
				str_set(&m->addr_error, "not a host name");
		}
		if (d->nmx > 1)
			qsort(d->mx, d->nmx, sizeof(*d->mx), by_preference);
		/* The best-preference hosts are the ones senders use. */
		while (d->nmx > dl->cfg->max_mx) {
			struct mx_host *m = &d->mx[--d->nmx];
			free(m->name);
			free(m->addr_error);
		}
	}
	look_at_mx_hosts(dl);
	free(q);
	settle(dl);
}

/* ---- can this resolver validate at all? ---- */

/* Without validation every status is unknown, not "insecure". */
static void forget_dnssec(struct domain_info *d)
{
	d->mx_sec = SEC_UNKNOWN;
	d->sts_txt.sec = d->tlsrpt.sec = d->spf.sec = d->dmarc.sec = SEC_UNKNOWN;
	for (size_t i = 0; i < d->nmx; i++) {
		d->mx[i].addr_sec = SEC_UNKNOWN;
		d->mx[i].tlsa_sec = SEC_UNKNOWN;
	}
}

struct anchor_probe {
	struct dl *dl;
	char zone[DNS_NAME_MAX];
	int secure;
	char why[200];
};

static void on_anchor_dnskey(void *arg, const struct dns_rrset *rs, const struct err *e)
{
	struct anchor_probe *a = arg;
	char buf[300];
	const char *why = answer_problem(rs, e, buf, sizeof buf);
	a->secure = rs && rs->dnssec == DNSSEC_SECURE && rs->n > 0;
	if (!a->secure)
		snprintf(a->why, sizeof a->why, "%.190s",
			 why ? why : rs && rs->n == 0 ? "no DNSKEY records in the answer"
						   : "the answer is not signed");
	settle(a->dl);
}

/* Once per run, the DNSKEY RRset of every zone the trust anchors name
 * must validate: a resolver that strips RRSIG and DNSKEY records (many
 * corporate and ISP resolvers, containers) makes every answer bogus, which
 * is the scanner's problem, not the domain's. One zone that validates is
 * enough (the others may be broken zones themselves). Returns 1 when the
 * resolver validates, 0 with why set when it cannot. */
static int resolver_validates(struct dl *dl, char *why, size_t n)
{
	char zones[16][DNS_NAME_MAX];
	size_t nz = 0;
	struct err e;
	err_clear(&e);
	if (dns_anchor_zones(dl->cfg->dns.trust_anchor, zones, 16, &nz, &e) != 0 || nz == 0) {
		snprintf(why, n, "%.300s", e.msg);
		return 0;
	}
	struct anchor_probe *a = xcalloc(nz, sizeof(*a));
	dl->pending = 1;
	for (size_t i = 0; i < nz; i++) {
		a[i].dl = dl;
		snprintf(a[i].zone, sizeof a[i].zone, "%s", zones[i]);
		dl->pending++;
		if (dns_query(dl->dns, zones[i], DNS_T_DNSKEY, within(dl, dl->cfg->dns_timeout_ms),
			      on_anchor_dnskey, &a[i]) != 0) {
			snprintf(a[i].why, sizeof a[i].why, "the query could not be sent");
			settle(dl);
		}
	}
	if (--dl->pending > 0)
		event_base_dispatch(dl->base);
	int ok = 0;
	for (size_t i = 0; i < nz; i++)
		ok |= a[i].secure;
	if (!ok)
		snprintf(why, n, "the DNSKEY records of %.80s%s do not validate (%.150s)",
			 strcmp(a[0].zone, ".") == 0 ? "the root zone" : a[0].zone,
			 nz > 1 ? " and the other trust anchors" : "", a[0].why);
	free(a);
	return ok;
}

int domain_lookup(const struct domain_cfg *cfg, struct domain_info *d, struct err *e)
{
	struct dl dl = {.cfg = cfg, .d = d};
	char name[300];
	int rc = -1;

	if (cfg->budget_ms > 0)
		dl.deadline = clk_mono_ms() + cfg->budget_ms;
	dl.base = event_base_new();
	dl.dns = dns_new_cfg(dl.base, &cfg->dns, e);
	if (!dl.dns)
		goto out;
	char why[400];
	if (cfg->dns.trust_anchor && !resolver_validates(&dl, why, sizeof why)) {
		/* Go on without validation: every answer is used as it is,
		 * and every DNSSEC status is unknown (not bogus). */
		char msg[600];
		snprintf(msg, sizeof msg,
			 "this resolver cannot validate DNSSEC (%.400s): DNSSEC, DANE and the "
			 "downgrade verdict cannot be judged; use --resolver with a validating "
			 "resolver",
			 why);
		str_set(&d->dnssec_unusable, msg);
		struct dns_cfg plain = cfg->dns;
		plain.trust_anchor = NULL;
		dns_free(dl.dns);
		dl.dns = dns_new_cfg(dl.base, &plain, e);
		if (!dl.dns)
			goto out;
	}
	dl.https = https_new(dl.base, e);
	if (!dl.https)
		goto out;
	dl.pending = 1; /* held until every query is out */
	ask(&dl, dq_new(&dl, 0, 0, d->name), d->name, DNS_T_MX, on_mx);
	snprintf(name, sizeof name, "_mta-sts.%s", d->name);
	ask(&dl, dq_new(&dl, 0, 0, name), name, DNS_T_TXT, on_sts_txt);
	snprintf(name, sizeof name, "_smtp._tls.%s", d->name);
	ask(&dl, dq_new(&dl, 0, 0, name), name, DNS_T_TXT, on_tlsrpt);
	dmarc_fetch(&dl, d->name, 0);
	spf_fetch(&dl, d->name, 0, 0);
	if (--dl.pending > 0)
		event_base_dispatch(dl.base);
	if (d->dnssec_unusable)
		forget_dnssec(d);
	rc = 0;
out:
	https_free(dl.https);
	dns_free(dl.dns);
	event_base_free(dl.base);
	return rc;
}
