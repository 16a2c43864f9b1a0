/* diff.c - what changed between two results (model/diff.h). */
#include "model/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "model/domain.h"

static const char *const kind_names[DIFF_KIND_COUNT] = {
	[DIFF_ENDPOINT_ADDED] = "endpoint-added",
	[DIFF_ENDPOINT_REMOVED] = "endpoint-removed",
	[DIFF_SCANNED] = "scanned",
	[DIFF_STARTTLS] = "starttls",
	[DIFF_PROTOCOL] = "protocol",
	[DIFF_SUITE_ADDED] = "suite-added",
	[DIFF_SUITE_REMOVED] = "suite-removed",
	[DIFF_GROUP_ADDED] = "group-added",
	[DIFF_GROUP_REMOVED] = "group-removed",
	[DIFF_CERT] = "certificate-key",
	[DIFF_CERT_RENEWED] = "certificate-renewed",
	[DIFF_GRADE] = "grade",
	[DIFF_FINDING_ADDED] = "finding-added",
	[DIFF_FINDING_REMOVED] = "finding-removed",
	[DIFF_FINDING_SEVERITY] = "finding-severity",
	[DIFF_MX_ADDED] = "mx-added",
	[DIFF_MX_REMOVED] = "mx-removed",
	[DIFF_VERDICT] = "verdict",
	[DIFF_STS_MODE] = "mta-sts-mode",
	[DIFF_STS_ID] = "mta-sts-id",
	[DIFF_TLSRPT] = "tls-rpt",
	[DIFF_MX_DNSSEC] = "mx-dnssec",
};

const char *diff_kind_name(enum diff_kind k)
{
	return k < DIFF_KIND_COUNT ? kind_names[k] : "?";
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void add(struct diff *d, enum diff_kind k, const char *where, const char *what,
		const char *before, const char *after)
{
	struct diff_entry *e = xvec_push(&d->v, &d->n, &d->cap, sizeof(*e));
	e->kind = k;
	e->where = dup_or_null(where);
	e->what = dup_or_null(what);
	e->before = dup_or_null(before);
	e->after = dup_or_null(after);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A change of a value that may be absent. */
static void value(struct diff *d, enum diff_kind k, const char *where, const char *what,
		  const char *a, const char *b)
{
	if (!same(a, b))
		add(d, k, where, what, a, b);
}

static const char *yes_no(int v)
{
	return v > 0 ? "yes" : v == 0 ? "no" : "unknown";
}

/* ------------------------------------------------------------ endpoints */

static int same_endpoint(const struct endpoint *a, const struct endpoint *b)
{
	return a->port == b->port && same(a->host, b->host) && same(a->address, b->address);
}

static const struct endpoint *find_endpoint(const struct result *r, const struct endpoint *ep)
{
	for (size_t i = 0; r && i < r->neps; i++)
		if (same_endpoint(r->eps[i], ep))
			return r->eps[i];
	return NULL;
}

static void where_of(const struct endpoint *ep, char *buf, size_t n)
{
	snprintf(buf, n, "%s [%s]:%u", ep->host ? ep->host : "?",
		 ep->address ? ep->address : "?", (unsigned)ep->port);
}

static int offered_of(const struct endpoint *ep, enum tls_proto p)
{
	for (size_t i = 0; i < ep->nprotocols; i++)
		if (ep->protocols[i].proto == p)
			return ep->protocols[i].offered;
	return -1;
}

static int has_suite(const struct endpoint *ep, enum tls_proto p, uint32_t code)
{
	for (size_t i = 0; i < ep->nciphers; i++)
		if (ep->ciphers[i].proto == p && ep->ciphers[i].code == code)
			return 1;
	return 0;
}

/* Suites of a and not of b (each with its protocol), as kind. Only for
 * versions both know: a version that was not enumerated, or unknown, on
 * one side says nothing about its suites. */
static void suites(struct diff *d, const char *where, const struct endpoint *a,
		   const struct endpoint *b, enum diff_kind kind)
{
	for (size_t i = 0; i < a->nciphers; i++) {
		const struct cipher_entry *c = &a->ciphers[i];
		if (!a->enumerated || !b->enumerated || offered_of(b, c->proto) < 0 ||
		    offered_of(a, c->proto) < 0)
			continue;
		if (has_suite(b, c->proto, c->code))
			continue;
		char what[160];
		snprintf(what, sizeof what, "%s 0x%04X %s", tls_proto_name(c->proto),
			 (unsigned)c->code, c->openssl ? c->openssl : c->iana ? c->iana : "");
		add(d, kind, where, what, NULL, NULL);
	}
}

static int has_str(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (same(v[i], s))
			return 1;
	return 0;
}

static void groups(struct diff *d, const char *where, const struct endpoint *a,
		   const struct endpoint *b, enum diff_kind kind)
{
	if (!a->enumerated || !b->enumerated)
		return;
	for (size_t i = 0; i < a->ngroups; i++)
		if (!has_str(b->groups, b->ngroups, a->groups[i]))
			add(d, kind, where, a->groups[i], NULL, NULL);
}

static const struct finding *find_finding(const struct finding *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (same(v[i].id, id))
			return &v[i];
	return NULL;
}

/* Findings added (in b, not a) and removed, and severities changed. */
static void findings(struct diff *d, const char *where, const struct finding *a, size_t na,
		     const struct finding *b, size_t nb)
{
	for (size_t i = 0; i < nb; i++) {
		const struct finding *old = find_finding(a, na, b[i].id);
		if (!old)
			add(d, DIFF_FINDING_ADDED, where, b[i].id, NULL, severity_name(b[i].sev));
		else if (old->sev != b[i].sev)
			add(d, DIFF_FINDING_SEVERITY, where, b[i].id, severity_name(old->sev),
			    severity_name(b[i].sev));
	}
	for (size_t i = 0; i < na; i++)
		if (!find_finding(b, nb, a[i].id))
			add(d, DIFF_FINDING_REMOVED, where, a[i].id, severity_name(a[i].sev), NULL);
}

static const struct cert_entry *leaf(const struct endpoint *ep)
{
	for (size_t i = 0; i < ep->ncerts; i++)
		if (ep->certs[i].depth == 0 && ep->certs[i].chain == CHAIN_DEFAULT)
			return &ep->certs[i];
	return NULL;
}

static void certificate(struct diff *d, const char *where, const struct endpoint *a,
			const struct endpoint *b)
{
	const struct cert_entry *ca = leaf(a), *cb = leaf(b);
	if (!ca || !cb)
		return; /* no handshake on one side: that shows elsewhere */
	if (!same(ca->spki_sha256, cb->spki_sha256))
		add(d, DIFF_CERT, where, cb->key, ca->spki_sha256, cb->spki_sha256);
	else if (!same(ca->sha256, cb->sha256))
		add(d, DIFF_CERT_RENEWED, where, cb->not_after, ca->sha256, cb->sha256);
}

static void endpoint_diff(struct diff *d, const struct endpoint *a, const struct endpoint *b)
{
	char where[400];
	where_of(b, where, sizeof where);
	int sa = ep_scanned(a), sb = ep_scanned(b);
	if (sa != sb) {
		add(d, DIFF_SCANNED, where, NULL, yes_no(sa), yes_no(sb));
		return; /* the rest compares nothing with nothing */
	}
	if (a->dlg.ran && b->dlg.ran && a->dlg.starttls_ok != b->dlg.starttls_ok)
		add(d, DIFF_STARTTLS, where, a->starttls ? a->starttls : "starttls",
		    yes_no(a->dlg.starttls_ok), yes_no(b->dlg.starttls_ok));
	if (a->enumerated && b->enumerated)
		for (int p = P_SSLV2; p < P_COUNT; p++) {
			int oa = offered_of(a, (enum tls_proto)p), ob = offered_of(b, (enum tls_proto)p);
			if (oa != ob)
				add(d, DIFF_PROTOCOL, where, tls_proto_name((enum tls_proto)p),
				    yes_no(oa), yes_no(ob));
		}
	suites(d, where, b, a, DIFF_SUITE_ADDED);
	suites(d, where, a, b, DIFF_SUITE_REMOVED);
	groups(d, where, b, a, DIFF_GROUP_ADDED);
	groups(d, where, a, b, DIFF_GROUP_REMOVED);
	certificate(d, where, a, b);
	value(d, DIFF_GRADE, where, NULL, a->grade[0] ? a->grade : NULL,
	      b->grade[0] ? b->grade : NULL);
	findings(d, where, a->findings, a->nfindings, b->findings, b->nfindings);
}

/* ------------------------------------------------------------ domain */

static int has_mx(const struct domain_info *d, const char *name)
{
	for (size_t i = 0; i < d->nmx; i++)
		if (same(d->mx[i].name, name))
			return 1;
	return 0;
}

static const char *sts_mode(const struct domain_info *d)
{
	return d->sts.valid && d->sts.mode != STS_MODE_UNSET ? sts_mode_name(d->sts.mode) : "none";
}

static void domain_diff(struct diff *d, const struct domain_info *a, const struct domain_info *b)
{
	const char *where = b->name;
	for (size_t i = 0; i < b->nmx; i++)
		if (!has_mx(a, b->mx[i].name))
			add(d, DIFF_MX_ADDED, where, b->mx[i].name, NULL, NULL);
	for (size_t i = 0; i < a->nmx; i++)
		if (!has_mx(b, a->mx[i].name))
			add(d, DIFF_MX_REMOVED, where, a->mx[i].name, NULL, NULL);
	value(d, DIFF_MX_DNSSEC, where, NULL, zone_sec_name(a->mx_sec), zone_sec_name(b->mx_sec));
	value(d, DIFF_VERDICT, where, NULL, verdict_name(a->verdict), verdict_name(b->verdict));
	/* An MTA-STS policy that could not be fetched this time is unknown,
	 * not "none": no change is claimed from it. */
	if (!a->sts.undetermined && !b->sts.undetermined)
		value(d, DIFF_STS_MODE, where, NULL, sts_mode(a), sts_mode(b));
	value(d, DIFF_STS_ID, where, NULL, a->sts_id, b->sts_id);
	if (!a->tlsrpt.lookup_error && !b->tlsrpt.lookup_error &&
	    (a->ntlsrpt_rua > 0) != (b->ntlsrpt_rua > 0))
		add(d, DIFF_TLSRPT, where, NULL, yes_no(a->ntlsrpt_rua > 0),
		    yes_no(b->ntlsrpt_rua > 0));
	findings(d, where, a->findings, a->nfindings, b->findings, b->nfindings);
}

/* An endpoint on one side only. */
static void only_in(struct diff *d, enum diff_kind k, const struct endpoint *ep)
{
	char where[400];
	where_of(ep, where, sizeof where);
	add(d, k, where, NULL, NULL, NULL);
}

void result_diff(const struct result *a, const struct result *b, struct diff *d)
{
	if (a->domain && b->domain)
		domain_diff(d, a->domain, b->domain);
	for (size_t i = 0; i < b->neps; i++) {
		const struct endpoint *old = find_endpoint(a, b->eps[i]);
		if (old)
			endpoint_diff(d, old, b->eps[i]);
		else
			only_in(d, DIFF_ENDPOINT_ADDED, b->eps[i]);
	}
	for (size_t i = 0; i < a->neps; i++)
		if (!find_endpoint(b, a->eps[i]))
			only_in(d, DIFF_ENDPOINT_REMOVED, a->eps[i]);
}

void diff_free(struct diff *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].where);
		free(d->v[i].what);
		free(d->v[i].before);
		free(d->v[i].after);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
