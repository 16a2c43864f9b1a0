/* json_domain.c - the "domain" object of the mailtls/1 document
 * (docs/json.md): MX hosts, the policy records, findings and verdict. */
#include "report/jsonutil.h"

#include "model/domain.h"

static json_t *sec_json(enum zone_sec s)
{
	const char *n = zone_sec_name(s);
	return n ? json_string(n) : json_null();
}

static json_t *txt_json(const struct txt_rec *t)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "records", strv_json(t->txt, t->ntxt));
	bad |= jset(j, "dnssec", sec_json(t->sec));
	bad |= jset(j, "lookup_error", jstr(t->lookup_error));
	bad |= jset(j, "valid", json_boolean(t->valid));
	bad |= jset(j, "error", jstr(t->parse_error));
	return jdone(j, bad);
}

static json_t *tlsa_json(const struct mx_host *m)
{
	json_t *j = json_object(), *recs = json_array();
	int bad = 0;
	for (size_t i = 0; i < m->ntlsa; i++) {
		json_t *r = json_object();
		bad |= jset(r, "usage", json_integer(m->tlsa[i].usage));
		bad |= jset(r, "selector", json_integer(m->tlsa[i].selector));
		bad |= jset(r, "mtype", json_integer(m->tlsa[i].mtype));
		bad |= jset(r, "data", jstr(m->tlsa[i].data));
		bad |= japp(recs, r);
	}
	bad |= jset(j, "name", jstr(m->tlsa_name));
	bad |= jset(j, "dnssec", sec_json(m->tlsa_sec));
	bad |= jset(j, "records", recs);
	bad |= jset(j, "error", jstr(m->tlsa_error));
	return jdone(j, bad);
}

static json_t *mx_json(const struct mx_host *m)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "name", jstr(m->name));
	bad |= jset(j, "cname", jstr(m->cname));
	bad |= jset(j, "preference", json_integer(m->preference));
	bad |= jset(j, "addresses", strv_json(m->addresses, m->naddresses));
	bad |= jset(j, "addresses_dnssec", sec_json(m->addr_sec));
	bad |= jset(j, "error", jstr(m->addr_error));
	bad |= jset(j, "tlsa", tlsa_json(m));
	bad |= jset(j, "mta_sts_match", tri(m->sts_match));
	return jdone(j, bad);
}

static json_t *sts_policy_json(const struct domain_info *d)
{
	if (!d->sts.valid)
		return json_null();
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "mode", jstr(sts_mode_name(d->sts.mode)));
	bad |= jset(j, "max_age", json_integer((json_int_t)d->sts.max_age));
	bad |= jset(j, "mx", strv_json(d->sts.mx, d->sts.nmx));
	return jdone(j, bad);
}

static json_t *sts_fetch_json(const struct domain_info *d)
{
	if (!d->sts.url)
		return json_null();
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "url", jstr(d->sts.url));
	bad |= jset(j, "status", d->sts.fetched ? json_integer(d->sts.status) : json_null());
	bad |= jset(j, "content_type", jstr(d->sts.content_type));
	bad |= jset(j, "location", jstr(d->sts.location));
	bad |= jset(j, "body", jstr(d->sts.body));
	return jdone(j, bad);
}

static json_t *sts_json(const struct domain_info *d)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "txt", txt_json(&d->sts_txt));
	bad |= jset(j, "id", jstr(d->sts_id));
	bad |= jset(j, "fetch", sts_fetch_json(d));
	bad |= jset(j, "policy", sts_policy_json(d));
	bad |= jset(j, "error", jstr(d->sts.error));
	return jdone(j, bad);
}

static json_t *verdict_json(const struct domain_info *d)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "level", jstr(verdict_name(d->verdict)));
	bad |= jset(j, "detail", jstr(d->verdict_detail));
	return jdone(j, bad);
}

static json_t *mxs_json(const struct domain_info *d)
{
	json_t *j = json_object(), *hosts = json_array();
	int bad = 0;
	for (size_t i = 0; i < d->nmx; i++)
		bad |= japp(hosts, mx_json(&d->mx[i]));
	bad |= jset(j, "dnssec", sec_json(d->mx_sec));
	bad |= jset(j, "error", jstr(d->mx_error));
	bad |= jset(j, "null_mx", json_boolean(d->null_mx));
	bad |= jset(j, "implicit", json_boolean(d->implicit_mx));
	bad |= jset(j, "hosts", hosts);
	return jdone(j, bad);
}

static json_t *tlsrpt_json(const struct domain_info *d)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "record", txt_json(&d->tlsrpt));
	bad |= jset(j, "rua", strv_json(d->tlsrpt_rua, d->ntlsrpt_rua));
	return jdone(j, bad);
}

static json_t *spf_json(const struct domain_info *d)
{
	char all[2] = {d->spf_all, '\0'};
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "record", txt_json(&d->spf));
	bad |= jset(j, "all", d->spf_all ? json_string(all) : json_null());
	bad |= jset(j, "lookups", json_integer(d->spf_lookups));
	bad |= jset(j, "ptr", json_boolean(d->spf_has_ptr));
	bad |= jset(j, "problems", strv_json(d->spf_problems, d->nspf_problems));
	return jdone(j, bad);
}

static json_t *dmarc_json(const struct domain_info *d)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "record", txt_json(&d->dmarc));
	bad |= jset(j, "from", jstr(d->dmarc_from));
	bad |= jset(j, "p", jstr(dmarc_policy_name(d->dmarc_p)));
	bad |= jset(j, "sp", jstr(dmarc_policy_name(d->dmarc_sp)));
	bad |= jset(j, "pct", d->dmarc_pct < 0 ? json_null() : json_integer(d->dmarc_pct));
	bad |= jset(j, "rua", strv_json(d->dmarc_rua, d->ndmarc_rua));
	return jdone(j, bad);
}

json_t *domain_json(const struct domain_info *d)
{
	if (!d)
		return json_null();
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "name", jstr(d->name));
	bad |= jset(j, "verdict", verdict_json(d));
	bad |= jset(j, "mx", mxs_json(d));
	bad |= jset(j, "mta_sts", sts_json(d));
	bad |= jset(j, "tls_rpt", tlsrpt_json(d));
	bad |= jset(j, "spf", spf_json(d));
	bad |= jset(j, "dmarc", dmarc_json(d));
	bad |= jset(j, "findings", findings_json(d->findings, d->nfindings));
	return jdone(j, bad);
}
