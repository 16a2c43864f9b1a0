/* html.c - one self-contained HTML page: inline CSS, no script and nothing
 * loaded from anywhere, readable on a phone and in print. Every string that
 * came from the model goes through esc_html. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/esc.h"
#include "model/domain.h"

static const char css[] =
	"body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;"
	"background:#f4f5f7;color:#1d2330}"
	"main{max-width:60rem;margin:auto;padding:1rem}"
	"h1{font-size:1.4rem}h2{font-size:1.15rem;margin:0 0 .5rem}h3{font-size:1rem;margin:1rem 0 .3rem}"
	"section{background:#fff;border-radius:8px;padding:1rem;margin:0 0 1rem;"
	"box-shadow:0 1px 2px rgba(0,0,0,.08)}"
	"table{border-collapse:collapse;width:100%;font-size:.9rem}"
	"td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #e3e5e8;"
	"vertical-align:top;overflow-wrap:anywhere}"
	".wrap{overflow-x:auto}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;"
	"font-size:.85rem}pre{white-space:pre-wrap;overflow-wrap:anywhere}"
	".sev{display:inline-block;min-width:4.5rem;text-align:center;border-radius:4px;"
	"padding:0 .3rem;font-size:.8rem;font-weight:600;color:#fff}"
	".ok{background:#2e7d32}.info{background:#546e7a}.low{background:#9e9d24}"
	".medium{background:#ef6c00}.high{background:#c62828}.critical{background:#6a1b9a}"
	".verdict{font-size:1.1rem;font-weight:600}.fix{color:#37474f}"
	".muted{color:#6b7280}ul.findings{list-style:none;padding:0}"
	".grade .letter{display:inline-block;font-size:2.2rem;font-weight:700;min-width:3.5rem;"
	"text-align:center;border-radius:8px;color:#fff;background:#546e7a;margin-right:.6rem}"
	".gA{background:#2e7d32!important}.gB{background:#9e9d24!important}"
	".gC,.gD,.gE{background:#ef6c00!important}.gF{background:#c62828!important}"
	"ul.findings li{margin:.5rem 0}"
	".downgrade{display:inline-block;font-size:1.3rem;font-weight:700;padding:.2rem .7rem;"
	"border-radius:8px;color:#fff;background:#c62828}"
	".dv-both,.dv-dane,.dv-mta-sts-enforce{background:#2e7d32}"
	".dv-mta-sts-testing{background:#ef6c00}"
	"@media print{body{background:#fff}section{box-shadow:none;border:1px solid #ccc;"
	"break-inside:avoid}details{display:block}}";

/* Escaped text. */
static void h(FILE *out, const char *s)
{
	struct buf b;
	size_t n = s ? strlen(s) : 0;
	buf_init(&b, n * 8 + 16);
	if (esc_html(&b, s ? s : "", n) == 0 && b.len)
		fwrite(b.data, 1, b.len, out);
	buf_free(&b);
}

static void hn(FILE *out, const char *s, size_t n)
{
	struct buf b;
	buf_init(&b, n * 8 + 16);
	if (esc_html(&b, s, n) == 0 && b.len)
		fwrite(b.data, 1, b.len, out);
	buf_free(&b);
}

static void row2(FILE *out, const char *k, const char *v)
{
	fputs("<tr><th>", out);
	h(out, k);
	fputs("</th><td>", out);
	h(out, v);
	fputs("</td></tr>", out);
}

static void sev_badge(FILE *out, enum severity s)
{
	fprintf(out, "<span class=\"sev %s\">%s</span>", severity_name(s), severity_name(s));
}

static void finding_li(FILE *out, const struct finding *f)
{
	fputs("<li>", out);
	sev_badge(out, f->sev);
	fputs(" <strong>", out);
	h(out, f->title);
	fputs("</strong> <code class=\"muted\">", out);
	h(out, f->id);
	fputs("</code>", out);
	for (size_t i = 0; i < f->ncve; i++) {
		fputs(" <code>", out);
		h(out, f->cve[i]);
		fputs("</code>", out);
	}
	if (f->detail) {
		fputs("<div>", out);
		h(out, f->detail);
		fputs("</div>", out);
	}
	if (f->fix) {
		fputs("<div class=\"fix\">Fix: ", out);
		h(out, f->fix);
		fputs("</div>", out);
	}
	fputs("</li>", out);
}

static void summary(FILE *out, const struct endpoint *ep)
{
	enum severity worst = ep_max_severity(ep);
	int todo = 0;
	fputs("<section><h2>Summary</h2><p class=\"verdict\">", out);
	if (ep->nerrors && !ep->tls.done)
		fputs("Could not be scanned completely", out);
	else if (worst >= SEV_MEDIUM)
		fputs("Needs attention", out);
	else
		fputs("No serious problem found", out);
	fputs(" &mdash; highest severity: ", out);
	sev_badge(out, worst);
	fputs("</p>", out);
	if (ep->grade[0]) {
		fprintf(out, "<p class=\"grade\">Grade <span class=\"letter g%c\">", ep->grade[0]);
		h(out, ep->grade);
		fprintf(out, "</span> score %d</p>", ep->score);
		if (ep->ngrade_caps) {
			fputs("<ul class=\"caps\">", out);
			for (size_t i = 0; i < ep->ngrade_caps; i++) {
				fputs("<li>", out);
				h(out, ep->grade_caps[i]);
				fputs("</li>", out);
			}
			fputs("</ul>", out);
		}
	}
	if (ep->auth_verdict) {
		fputs("<p>Authentication: ", out);
		h(out, ep->auth_verdict);
		fputs("</p>", out);
	}
	if (ep->auth_policy != AUTH_POLICY_UNSET) {
		fputs("<p>MX policy: ", out);
		h(out, auth_policy_name(ep->auth_policy));
		fputs("</p>", out);
	}
	/* What to fix first: the worst findings first. */
	for (int s = SEV_CRITICAL; s >= SEV_LOW; s--)
		for (size_t i = 0; i < ep->nfindings; i++)
			if ((int)ep->findings[i].sev == s) {
				if (!todo++)
					fputs("<h3>Fix first</h3><ul class=\"findings\">", out);
				finding_li(out, &ep->findings[i]);
			}
	if (todo)
		fputs("</ul>", out);
	fputs("</section>", out);
}

static void connection(FILE *out, const struct endpoint *ep)
{
	char buf[128];
	const struct dialogue *g = &ep->dlg;
	const struct tls_summary *t = &ep->tls;
	fputs("<section><h2>Connection and STARTTLS</h2><div class=\"wrap\"><table>", out);
	row2(out, "Address", ep->address);
	row2(out, "Mode", ep->mode == MODE_IMPLICIT ? "implicit TLS" : "STARTTLS");
	if (ep->starttls)
		row2(out, "Protocol", ep->starttls);
	row2(out, "SNI", ep->sni ? ep->sni : "(none)");
	if (g->greeting) {
		char *line = NULL;
		size_t n = strlen(g->greeting) + 16;
		line = malloc(n);
		if (line) {
			snprintf(line, n, "%.0d%s%s", g->greeting_code, g->greeting_code > 0 ? " " : "",
				 g->greeting);
			row2(out, "Greeting", line);
			free(line);
		}
		snprintf(buf, sizeof buf, "%.0f ms", g->greeting_ms);
		row2(out, "Greeting after", buf);
	}
	if (g->hello_code)
		row2(out, "STARTTLS advertised", g->starttls_advertised ? "yes" : "no");
	if (g->starttls_sent) {
		size_t n = (g->starttls_reply ? strlen(g->starttls_reply) : 0) + 16;
		char *line = malloc(n);
		if (line) {
			snprintf(line, n, "%.0d%s%s", g->starttls_code, g->starttls_code > 0 ? " " : "",
				 g->starttls_reply ? g->starttls_reply : "");
			row2(out, "STARTTLS answer", line);
			free(line);
		}
	}
	if (t->done) {
		row2(out, "TLS version", tls_proto_name(t->version));
		row2(out, "Cipher suite", t->cipher);
		row2(out, "Key exchange group", t->group ? t->group : "");
		snprintf(buf, sizeof buf, "%ld (%s)", t->verify_code,
			 t->verify_message ? t->verify_message : "");
		row2(out, "Certificate verification", buf);
		row2(out, "Name checked", t->hostname_checked ? t->verify_name : "(none)");
	}
	snprintf(buf, sizeof buf, "%d", ep->stats.connections);
	row2(out, "Connections used", buf);
	fputs("</table></div></section>", out);
}

static void ciphers(FILE *out, const struct endpoint *ep)
{
	if (ep->nprotocols == 0)
		return;
	fputs("<section><h2>Protocols and cipher suites</h2><div class=\"wrap\"><table>"
	      "<tr><th>Protocol</th><th>Offered</th><th>Server order</th></tr>",
	      out);
	for (size_t i = 0; i < ep->nprotocols; i++) {
		const struct proto_entry *p = &ep->protocols[i];
		fprintf(out, "<tr><td>%s</td><td>%s", tls_proto_name(p->proto),
			p->offered > 0 ? "yes" : p->offered == 0 ? "no" : "unknown");
		if (p->reason) {
			fputs(p->offered > 0 ? " (suites incomplete: " : " (", out);
			h(out, p->reason);
			fputs(")", out);
		}
		fprintf(out, "</td><td>%s</td></tr>",
			p->offered <= 0 ? "" : ep->server_order[p->proto] == 1 ? "yes"
					   : ep->server_order[p->proto] == 0 ? "no (client's)"
									     : "");
	}
	fputs("</table></div><div class=\"wrap\"><table><tr><th>Protocol</th><th>#</th>"
	      "<th>Code</th><th>Suite</th><th>Kx</th><th>Bits</th></tr>",
	      out);
	for (size_t i = 0; i < ep->nciphers; i++) {
		const struct cipher_entry *c = &ep->ciphers[i];
		char code[16];
		report_code_point(code, sizeof code, c->proto, c->code);
		fprintf(out, "<tr><td>%s</td><td>%d</td><td><code>%s</code></td><td>",
			tls_proto_name(c->proto), c->order, code);
		h(out, c->iana ? c->iana : c->openssl);
		fputs("</td><td>", out);
		h(out, c->kx);
		fprintf(out, "</td><td>%d</td></tr>", c->bits);
	}
	fputs("</table></div>", out);
	if (ep->ngroups) {
		fputs("<h3>Groups</h3><p>", out);
		for (size_t i = 0; i < ep->ngroups; i++) {
			if (i)
				fputs(", ", out);
			h(out, ep->groups[i]);
		}
		fputs("</p>", out);
	}
	if (ep->dh.bits)
		fprintf(out, "<p>DH parameters: %d bits</p>", ep->dh.bits);
	fputs("</section>", out);
}

static void chain(FILE *out, const struct endpoint *ep)
{
	if (ep->ncerts == 0)
		return;
	fputs("<section><h2>Certificate chain (as sent)</h2>", out);
	for (size_t i = 0; i < ep->ncerts; i++) {
		const struct cert_entry *c = &ep->certs[i];
		fprintf(out, "<h3>#%d</h3><div class=\"wrap\"><table>", c->depth);
		row2(out, "Subject", c->subject);
		row2(out, "Issuer", c->issuer);
		fputs("<tr><th>Names</th><td>", out);
		for (size_t j = 0; j < c->nsan; j++) {
			if (j)
				fputs(", ", out);
			h(out, c->san[j]);
		}
		fputs("</td></tr>", out);
		row2(out, "Valid from", c->not_before);
		row2(out, "Valid until", c->not_after);
		row2(out, "Key", c->key);
		row2(out, "Signature", c->sig_alg);
		row2(out, "SHA-256", c->sha256);
		fputs("</table></div>", out);
	}
	fputs("</section>", out);
}

/* The battery: a row per check; the verdict wears a severity's colour
 * (vulnerable high, unknown medium, not applicable info, not vulnerable ok). */
static void vulnerabilities(FILE *out, const struct endpoint *ep)
{
	static const char *const cls[] = {"info", "high", "ok", "info", "medium"};
	if (!ep->nvulns)
		return;
	fputs("<section><h2>Vulnerabilities</h2><div class=\"wrap\"><table>"
	      "<tr><th>Check</th><th>Verdict</th><th>What was seen</th><th>CVE</th>"
	      "<th>Conn.</th></tr>",
	      out);
	for (size_t i = 0; i < ep->nvulns; i++) {
		const struct vuln *v = &ep->vulns[i];
		const char *name = vuln_verdict_name(v->verdict);
		fputs("<tr><td><code>", out);
		h(out, v->id);
		fprintf(out, "</code></td><td><span class=\"sev %s\">",
			(unsigned)v->verdict < ARRAY_LEN(cls) ? cls[v->verdict] : "info");
		h(out, name ? name : "?");
		fputs("</span></td><td>", out);
		h(out, v->reason);
		if (v->reason && v->evidence)
			fputs("; ", out);
		h(out, v->evidence);
		if (v->finding) {
			fputs(" <span class=\"muted\">(finding <code>", out);
			h(out, v->finding);
			fputs("</code>)</span>", out);
		}
		fputs("</td><td>", out);
		for (size_t k = 0; k < v->ncve; k++) {
			fputs(k ? " <code>" : "<code>", out);
			h(out, v->cve[k]);
			fputs("</code>", out);
		}
		fprintf(out, "</td><td>%d</td></tr>", v->connections);
	}
	fputs("</table></div></section>", out);
}

static void rest(FILE *out, const struct endpoint *ep)
{
	vulnerabilities(out, ep);
	if (ep->nfindings) {
		fputs("<section><h2>All findings</h2><ul class=\"findings\">", out);
		for (size_t i = 0; i < ep->nfindings; i++)
			finding_li(out, &ep->findings[i]);
		fputs("</ul></section>", out);
	}
	if (ep->nerrors) {
		fputs("<section><h2>Errors</h2><ul>", out);
		for (size_t i = 0; i < ep->nerrors; i++) {
			fputs("<li><strong>", out);
			h(out, ep_error_stage_name(&ep->errors[i]));
			fputs("</strong>: ", out);
			h(out, ep->errors[i].message);
			fputs("</li>", out);
		}
		fputs("</ul></section>", out);
	}
	if (ep->ntranscript) {
		fputs("<section><details><summary><strong>Transcript</strong> (clear-text "
		      "dialogue)</summary><pre>",
		      out);
		for (size_t i = 0; i < ep->ntranscript; i++) {
			const struct tline *l = &ep->transcript[i];
			fprintf(out, "%8.1f %c: ", l->t_ms, l->dir == 'C' ? 'C' : 'S');
			hn(out, l->text, l->len);
			fputc('\n', out);
		}
		fputs("</pre></details></section>", out);
	}
}

static void txt_rows(FILE *out, const char *k, const struct txt_rec *t)
{
	if (t->lookup_error) {
		row2(out, k, t->lookup_error);
		return;
	}
	if (!t->ntxt)
		row2(out, k, "none");
	for (size_t i = 0; i < t->ntxt; i++)
		row2(out, i ? "" : k, t->txt[i]);
	if (t->parse_error)
		row2(out, "invalid", t->parse_error);
}

static void domain_html(FILE *out, const struct domain_info *d)
{
	char tmp[600];
	fputs("<h1>Domain ", out);
	h(out, d->name);
	fputs("</h1><section><h2>Downgrade resistance</h2><p><span class=\"downgrade dv-", out);
	/* the class name is ours: one of the five verdicts, or "unknown" */
	h(out, d->verdict != VERDICT_UNSET ? verdict_name(d->verdict) : "unknown");
	fputs("\">", out);
	h(out, d->verdict != VERDICT_UNSET ? verdict_name(d->verdict) : "unknown");
	fputs("</span></p><p>", out);
	h(out, d->verdict_detail);
	fputs("</p>", out);
	int todo = 0;
	for (int sv = SEV_CRITICAL; sv >= SEV_LOW; sv--)
		for (size_t i = 0; i < d->nfindings; i++)
			if ((int)d->findings[i].sev == sv) {
				if (!todo++)
					fputs("<h3>Fix first</h3><ul class=\"findings\">", out);
				finding_li(out, &d->findings[i]);
			}
	if (todo)
		fputs("</ul>", out);
	fputs("</section><section><h2>MX hosts</h2><table>", out);
	row2(out, "DNSSEC", zone_sec_name(d->mx_sec) ? zone_sec_name(d->mx_sec) : "unknown");
	if (d->mx_error)
		row2(out, "Lookup", d->mx_error);
	if (d->null_mx)
		row2(out, "Null MX", "the domain takes no mail");
	if (d->implicit_mx)
		row2(out, "No MX", "senders use the domain's own address");
	for (size_t i = 0; i < d->nmx; i++) {
		const struct mx_host *m = &d->mx[i];
		snprintf(tmp, sizeof tmp, "%d", m->preference);
		fputs("<tr><th>", out);
		h(out, tmp);
		fputs("</th><td>", out);
		h(out, m->name);
		if (m->cname) {
			fputs(" (alias of ", out);
			h(out, m->cname);
			fputs(")", out);
		}
		for (size_t j = 0; j < m->naddresses; j++) {
			fputs(j ? ", " : " (", out);
			h(out, m->addresses[j]);
		}
		fputs(m->naddresses ? ")" : "", out);
		if (m->addr_error) {
			fputs(": ", out);
			h(out, m->addr_error);
		}
		for (size_t j = 0; j < m->ntlsa; j++) {
			snprintf(tmp, sizeof tmp, "TLSA %d %d %d ", m->tlsa[j].usage,
				 m->tlsa[j].selector, m->tlsa[j].mtype);
			fputs("<br><code>", out);
			h(out, tmp);
			h(out, m->tlsa[j].data);
			fputs("</code>", out);
		}
		if (m->tlsa_error) {
			fputs("<br>TLSA lookup failed: ", out);
			h(out, m->tlsa_error);
		}
		if (m->ntlsa) {
			fputs(" (DNSSEC ", out);
			h(out, zone_sec_name(m->tlsa_sec) ? zone_sec_name(m->tlsa_sec) : "unknown");
			fputs(")", out);
		}
		if (m->sts_match >= 0)
			fputs(m->sts_match ? "<br>listed in the MTA-STS policy"
					   : "<br><strong>not listed in the MTA-STS policy</strong>",
			      out);
		fputs("</td></tr>", out);
	}
	fputs("</table></section><section><h2>MTA-STS, TLS-RPT, SPF, DMARC</h2><table>", out);
	txt_rows(out, "MTA-STS TXT", &d->sts_txt);
	if (d->sts.url)
		row2(out, "Policy URL", d->sts.url);
	if (d->sts.valid) {
		snprintf(tmp, sizeof tmp, "mode %s, max_age %ld", sts_mode_name(d->sts.mode), d->sts.max_age);
		row2(out, "Policy", tmp);
		for (size_t i = 0; i < d->sts.nmx; i++)
			row2(out, "mx", d->sts.mx[i]);
	}
	if (d->sts.error)
		row2(out, "Policy problem", d->sts.error);
	txt_rows(out, "TLS-RPT", &d->tlsrpt);
	txt_rows(out, "SPF", &d->spf);
	if (d->spf.valid) {
		snprintf(tmp, sizeof tmp, "%d DNS lookup%s (includes followed), ends %s",
			 d->spf_lookups, d->spf_lookups == 1 ? "" : "s",
 spf_all_words(d->spf_all));
		row2(out, "SPF", tmp);
	}
	for (size_t i = 0; i < d->nspf_problems; i++)
		row2(out, "SPF problem", d->spf_problems[i]);
	txt_rows(out, "DMARC", &d->dmarc);
	if (d->dmarc_from)
		row2(out, "DMARC from", d->dmarc_from);
	fputs("</table></section>", out);
	if (d->nfindings) {
		fputs("<section><h2>All domain findings</h2><ul class=\"findings\">", out);
		for (size_t i = 0; i < d->nfindings; i++)
			finding_li(out, &d->findings[i]);
		fputs("</ul></section>", out);
	}
}

int report_html(const struct result *r, FILE *out)
{
	fputs("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\"><title>mailtls report</title><style>",
	      out);
	fputs(css, out);
	fputs("</style></head><body><main><h1>mailtls report</h1>", out);
	for (size_t i = 0; i < r->nerrors; i++) {
		fputs("<section><h2>Error</h2><p>", out);
		h(out, r->errors[i].message);
		fputs("</p></section>", out);
	}
	if (r->domain)
		domain_html(out, r->domain);
	for (size_t i = 0; i < r->neps; i++) {
		const struct endpoint *ep = r->eps[i];
		char port[8];
		snprintf(port, sizeof port, "%u", ep->port);
		fputs("<h1>", out);
		h(out, ep->host);
		fputs(":", out);
		h(out, port);
		fputs("</h1>", out);
		summary(out, ep);
		connection(out, ep);
		ciphers(out, ep);
		chain(out, ep);
		rest(out, ep);
	}
	/* the version that made the result (a document read back keeps its own) */
	fputs("<p class=\"muted\">mailtls ", out);
	h(out, r->tool_version ? r->tool_version : MAILTLS_VERSION);
	fputs("</p></main></body></html>\n", out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
