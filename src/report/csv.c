/* csv.c - one row per finding (RFC 4180): host, port, address, id,
 * severity, title, detail, cve, fix. Every field goes through esc_csv, which
 * quotes and neutralises spreadsheet formulas. Endpoint errors become rows
 * with severity "error" so a pipeline sees them too. A mail domain's own
 * findings come first, with the domain as host and no port. The
 * vulnerability battery's checks follow each endpoint's findings. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/esc.h"
#include "model/domain.h"

static int field(FILE *out, const char *s, int last)
{
	struct buf b;
	size_t n = s ? strlen(s) : 0;
	int rc = 0;
	buf_init(&b, n * 4 + 16);
	if (esc_csv(&b, s ? s : "", n) < 0 || fwrite(b.data, 1, b.len, out) != b.len ||
	    fputs(last ? "\r\n" : ",", out) == EOF)
		rc = -1;
	buf_free(&b);
	return rc;
}

/* host is the endpoint's, else `domain` (a domain finding), else empty. */
static int row(FILE *out, const struct endpoint *ep, const char *domain, const char *id,
	       const char *sev, const char *title, const char *detail, const char *cve,
	       const char *fix)
{
	char port[8];
	snprintf(port, sizeof port, "%u", ep ? ep->port : 0);
	return field(out, ep ? ep->host : domain ? domain : "", 0) | field(out, ep ? port : "", 0) |
	       field(out, ep ? ep->address : "", 0) | field(out, id, 0) | field(out, sev, 0) |
	       field(out, title, 0) | field(out, detail, 0) | field(out, cve, 0) |
	       field(out, fix, 1);
}

static int finding_rows(FILE *out, const struct endpoint *ep, const char *domain,
			const struct finding *v, size_t n)
{
	int rc = 0;
	for (size_t j = 0; j < n; j++) {
		const struct finding *f = &v[j];
		char cve[256] = "";
		size_t used = 0;
		for (size_t k = 0; k < f->ncve && used < sizeof cve; k++)
			used += (size_t)snprintf(cve + used, sizeof cve - used, "%s%s", k ? " " : "",
						 f->cve[k]);
		rc |= row(out, ep, domain, f->id, severity_name(f->sev), f->title, f->detail, cve,
			  f->fix);
	}
	return rc;
}

/* The battery: one row per check, its verdict in the severity column
 * (vulnerable, not-vulnerable, not-applicable, unknown: never a severity
 * name), reason and evidence as the detail, the linked finding as the fix. */
static int vuln_rows(FILE *out, const struct endpoint *ep)
{
	int rc = 0;
	for (size_t j = 0; j < ep->nvulns; j++) {
		const struct vuln *v = &ep->vulns[j];
		char cve[256] = "", title[64], detail[1200], fix[200] = "";
		size_t used = 0;
		for (size_t k = 0; k < v->ncve && used < sizeof cve; k++)
			used += (size_t)snprintf(cve + used, sizeof cve - used, "%s%s", k ? " " : "",
						 v->cve[k]);
		snprintf(title, sizeof title, "vulnerability check, %d connection%s", v->connections,
			 v->connections == 1 ? "" : "s");
		snprintf(detail, sizeof detail, "%s%s%s", v->reason ? v->reason : "",
			 v->reason && v->evidence ? "; " : "", v->evidence ? v->evidence : "");
		if (v->finding)
			snprintf(fix, sizeof fix, "see finding %s", v->finding);
		const char *verdict = vuln_verdict_name(v->verdict);
		rc |= row(out, ep, NULL, v->id, verdict ? verdict : "", title, detail, cve, fix);
	}
	return rc;
}

int report_csv(const struct result *r, FILE *out)
{
	int rc = fputs("host,port,address,id,severity,title,detail,cve,fix\r\n", out) == EOF;
	for (size_t i = 0; i < r->nerrors; i++)
		rc |= row(out, NULL, NULL, ep_error_stage_name(&r->errors[i]), "error",
		          err_cat_name(r->errors[i].category), r->errors[i].message, "", "");
	if (r->domain)
		rc |= finding_rows(out, NULL, r->domain->name, r->domain->findings,
				   r->domain->nfindings);
	for (size_t i = 0; i < r->neps; i++) {
		const struct endpoint *ep = r->eps[i];
		rc |= finding_rows(out, ep, NULL, ep->findings, ep->nfindings);
		rc |= vuln_rows(out, ep);
		for (size_t j = 0; j < ep->nerrors; j++)
			rc |= row(out, ep, NULL, ep_error_stage_name(&ep->errors[j]), "error",
			          err_cat_name(ep->errors[j].category), ep->errors[j].message, "",
			          "");
	}
	return rc || fflush(out) != 0 ? -1 : 0;
}
