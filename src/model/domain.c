/* domain.c - construction and release of the mail domain model. */
#include "model/domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/mem.h"

/* Name tables: the one place these values become strings. NULL: unset. */
static const char *const sts_mode_names[] = {
    [STS_MODE_UNSET] = NULL,
    [STS_MODE_NONE] = "none",
    [STS_MODE_TESTING] = "testing",
    [STS_MODE_ENFORCE] = "enforce",
};
static const char *const dmarc_policy_names[] = {
    [DMARC_UNSET] = NULL,
    [DMARC_NONE] = "none",
    [DMARC_QUARANTINE] = "quarantine",
    [DMARC_REJECT] = "reject",
};
static const char *const verdict_names[] = {
    [VERDICT_UNSET] = NULL,
    [VERDICT_NONE] = "none",
    [VERDICT_MTA_STS_TESTING] = "mta-sts-testing",
    [VERDICT_MTA_STS_ENFORCE] = "mta-sts-enforce",
    [VERDICT_DANE] = "dane",
    [VERDICT_BOTH] = "both",
    [VERDICT_UNKNOWN] = "unknown",
};

const char *sts_mode_name(enum sts_mode m)
{
	return (unsigned)m < ARRAY_LEN(sts_mode_names) ? sts_mode_names[m] : NULL;
}

int sts_mode_parse(const char *s, enum sts_mode *out)
{
	int i = model_name_index(sts_mode_names, ARRAY_LEN(sts_mode_names), s);
	if (i < 0)
		return -1;
	*out = (enum sts_mode)i;
	return 0;
}

const char *dmarc_policy_name(enum dmarc_policy p)
{
	return (unsigned)p < ARRAY_LEN(dmarc_policy_names) ? dmarc_policy_names[p] : NULL;
}

int dmarc_policy_parse(const char *s, enum dmarc_policy *out)
{
	int i = model_name_index(dmarc_policy_names, ARRAY_LEN(dmarc_policy_names), s);
	if (i < 0)
		return -1;
	*out = (enum dmarc_policy)i;
	return 0;
}

const char *verdict_name(enum verdict v)
{
	return (unsigned)v < ARRAY_LEN(verdict_names) ? verdict_names[v] : NULL;
}

int verdict_parse(const char *s, enum verdict *out)
{
	int i = model_name_index(verdict_names, ARRAY_LEN(verdict_names), s);
	if (i < 0)
		return -1;
	*out = (enum verdict)i;
	return 0;
}

const char *zone_sec_name(enum zone_sec s)
{
	switch (s) {
	case SEC_INSECURE:
		return "insecure";
	case SEC_SECURE:
		return "secure";
	case SEC_BOGUS:
		return "bogus";
	default:
		return NULL;
	}
}

const char *spf_all_words(char q)
{
	return q == '-'	  ? "-all (fail)"
	       : q == '~' ? "~all (softfail)"
	       : q == '+' ? "+all (pass: anyone)"
	       : q == '?' ? "?all (neutral)"
			  : "without all";
}

struct domain_info *domain_info_new(const char *name)
{
	struct domain_info *d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(name);
	d->dmarc_pct = -1;
	d->sts.max_age = -1;
	return d;
}

void txt_rec_free(struct txt_rec *t)
{
	free(t->lookup_error);
	strv_free(t->txt, t->ntxt);
	free(t->parse_error);
}

static void mx_free(struct mx_host *m)
{
	free(m->name);
	strv_free(m->addresses, m->naddresses);
	free(m->addr_error);
	free(m->cname);
	free(m->tlsa_name);
	for (size_t i = 0; i < m->ntlsa; i++)
		free(m->tlsa[i].data);
	free(m->tlsa);
	free(m->tlsa_error);
}

void domain_info_free(struct domain_info *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->mx_error);
	for (size_t i = 0; i < d->nmx; i++)
		mx_free(&d->mx[i]);
	free(d->mx);
	txt_rec_free(&d->sts_txt);
	free(d->sts_id);
	free(d->sts.url);
	free(d->sts.content_type);
	free(d->sts.location);
	free(d->sts.body);
	free(d->sts.error);
	strv_free(d->sts.mx, d->sts.nmx);
	txt_rec_free(&d->tlsrpt);
	strv_free(d->tlsrpt_rua, d->ntlsrpt_rua);
	txt_rec_free(&d->spf);
	strv_free(d->spf_problems, d->nspf_problems);
	txt_rec_free(&d->dmarc);
	free(d->dmarc_from);
	strv_free(d->dmarc_rua, d->ndmarc_rua);
	free(d->dnssec_unusable);
	free(d->verdict_detail);
	findings_free(d->findings, d->nfindings);
	free(d);
}

struct mx_host *domain_add_mx(struct domain_info *d, const char *name, int preference)
{
	struct mx_host *m = xvec_push(&d->mx, &d->nmx, &d->capmx, sizeof(*m));
	m->name = xstrdup(name);
	m->preference = preference;
	m->sts_match = -1;
	return m;
}

struct tlsa_rr *mx_add_tlsa(struct mx_host *m, int usage, int selector, int mtype,
			    const char *hex)
{
	struct tlsa_rr *t = xvec_push(&m->tlsa, &m->ntlsa, &m->captlsa, sizeof(*t));
	t->usage = usage;
	t->selector = selector;
	t->mtype = mtype;
	t->data = xstrdup(hex);
	return t;
}

struct finding *domain_add_finding(struct domain_info *d, const char *id, enum severity sev,
				   const char *title, const char *detail, const char *fix)
{
	return findings_push(&d->findings, &d->nfindings, &d->capfindings, id, sev, title, detail,
			     fix);
}

const struct mx_host *domain_mx_find(const struct domain_info *d, const char *host)
{
	for (size_t i = 0; host && i < d->nmx; i++)
		if (strcasecmp(d->mx[i].name, host) == 0)
			return &d->mx[i];
	return NULL;
}

const char *domain_sts_lookup_reason(const struct domain_info *d)
{
	const char *why = d->sts_txt.lookup_error;
	char owner[300];
	snprintf(owner, sizeof owner, "_mta-sts.%s: ", d->name);
	if (why && strncmp(why, owner, strlen(owner)) == 0)
		why += strlen(owner);
	return why;
}
