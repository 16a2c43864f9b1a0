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
	return json_pack("{s:o,s:o,s:o,s:b,s:o}", "records", strv_json(t->txt, t->ntxt), "dnssec",
			 sec_json(t->sec), "lookup_error", jstr(t->lookup_error), "valid", t->valid,
			 "error", jstr(t->parse_error));
}

static json_t *mx_json(const struct mx_host *m)
{
	json_t *tlsa = json_array();
	for (size_t i = 0; i < m->ntlsa; i++)
		json_array_append_new(tlsa, json_pack("{s:i,s:i,s:i,s:o}", "usage", m->tlsa[i].usage,
						      "selector", m->tlsa[i].selector, "mtype",
						      m->tlsa[i].mtype, "data", jstr(m->tlsa[i].data)));
	return json_pack("{s:o,s:o,s:i,s:o,s:o,s:o,s:{s:o,s:o,s:o,s:o},s:o}", "name",
			 jstr(m->name), "cname", jstr(m->cname), "preference", m->preference,
			 "addresses",
			 strv_json(m->addresses, m->naddresses), "addresses_dnssec",
			 sec_json(m->addr_sec), "error", jstr(m->addr_error), "tlsa", "name",
			 jstr(m->tlsa_name), "dnssec", sec_json(m->tlsa_sec), "records", tlsa,
			 "error", jstr(m->tlsa_error), "mta_sts_match", tri(m->sts_match));
}

static json_t *sts_json(const struct domain_info *d)
{
	json_t *policy = d->sts.valid ? json_pack("{s:o,s:I,s:o}", "mode", jstr(sts_mode_name(d->sts.mode)),
						  "max_age", (json_int_t)d->sts.max_age, "mx",
						  strv_json(d->sts.mx, d->sts.nmx))
				      : json_null();
	json_t *fetch = d->sts.url ? json_pack("{s:o,s:o,s:o,s:o,s:o}", "url", jstr(d->sts.url),
					       "status",
					       d->sts.fetched ? json_integer(d->sts.status)
							      : json_null(),
					       "content_type", jstr(d->sts.content_type),
					       "location", jstr(d->sts.location), "body",
					       jstr(d->sts.body))
				   : json_null();
	return json_pack("{s:o,s:o,s:o,s:o,s:o}", "txt", txt_json(&d->sts_txt), "id",
			 jstr(d->sts_id), "fetch", fetch, "policy", policy, "error",
			 jstr(d->sts.error));
}

json_t *domain_json(const struct domain_info *d)
{
	if (!d)
		return json_null();
	json_t *mx = json_array();
	for (size_t i = 0; i < d->nmx; i++)
		json_array_append_new(mx, mx_json(&d->mx[i]));
	char all[2] = {d->spf_all, '\0'};
	json_t *j = json_object();
	json_object_set_new(j, "name", jstr(d->name));
	json_object_set_new(j, "verdict", json_pack("{s:o,s:o}", "level", jstr(verdict_name(d->verdict)),
						    "detail", jstr(d->verdict_detail)));
	json_object_set_new(j, "mx", json_pack("{s:o,s:o,s:b,s:b,s:o}", "dnssec",
					       sec_json(d->mx_sec), "error", jstr(d->mx_error),
					       "null_mx", d->null_mx, "implicit", d->implicit_mx,
					       "hosts", mx));
	json_object_set_new(j, "mta_sts", sts_json(d));
	json_object_set_new(j, "tls_rpt", json_pack("{s:o,s:o}", "record", txt_json(&d->tlsrpt),
						    "rua", strv_json(d->tlsrpt_rua, d->ntlsrpt_rua)));
	json_object_set_new(j, "spf",
			    json_pack("{s:o,s:o,s:i,s:b,s:o}", "record", txt_json(&d->spf), "all",
				      d->spf_all ? json_string(all) : json_null(), "lookups",
				      d->spf_lookups, "ptr", d->spf_has_ptr, "problems",
				      strv_json(d->spf_problems, d->nspf_problems)));
	json_object_set_new(j, "dmarc",
			    json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "record", txt_json(&d->dmarc),
				      "from", jstr(d->dmarc_from), "p",
				      jstr(dmarc_policy_name(d->dmarc_p)), "sp", jstr(dmarc_policy_name(d->dmarc_sp)), "pct",
				      d->dmarc_pct < 0 ? json_null() : json_integer(d->dmarc_pct),
				      "rua", strv_json(d->dmarc_rua, d->ndmarc_rua)));
	json_object_set_new(j, "findings", findings_json(d->findings, d->nfindings));
	return j;
}
