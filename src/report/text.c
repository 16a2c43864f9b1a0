/* text.c - the terminal report: sections (summary and grade, connection
 * and STARTTLS, protocols, cipher suites, key exchange, certificates,
 * findings with their fixes), wrapped to fit 80 columns. Every string from
 * the model goes through esc_term; colours are ours only. */
#include "report/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/esc.h"
#include "model/domain.h"

struct tx {
	FILE *out;
	const struct text_opts *o;
	int width;
};

static const char *const sev_color[] = {"\033[32m", "\033[2m", "\033[36m",
					"\033[33m", "\033[31m", "\033[1;35m"};

static const char *yesno(int v)
{
	return v > 0 ? "yes" : v == 0 ? "no" : "n/a";
}

static char *esc(const char *s)
{
	return esc_term_dup(s ? s : "");
}

static void put(struct tx *t, const char *s)
{
	char *e = esc(s);
	fputs(e, t->out);
	free(e);
}

/* Escaped text wrapped at the width, each line after the first indented;
 * `first` columns are already used on the first line. */
static void wrap(struct tx *t, const char *s, int first, int indent)
{
	char *e = esc(s);
	int col = first;
	const char *p = e;
	while (*p) {
		size_t n = strcspn(p, " ");
		/* A word longer than a line (a list of URIs, a digest) is cut:
		 * after a comma when there is one, else at the margin, never
		 * inside a UTF-8 sequence. */
		size_t room = t->width > indent + 8 ? (size_t)(t->width - indent) : 8;
		int cut = 0;
		if (n > room) {
			size_t c = room;
			while (c > room / 2 && p[c - 1] != ',')
				c--;
			if (p[c - 1] != ',')
				for (c = room; c > 1 && ((unsigned char)p[c] & 0xC0) == 0x80; c--)
					;
			n = c;
			cut = 1;
		}
		if (col > indent && col + 1 + (int)n > t->width) {
			fprintf(t->out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent && p != e) {
			fputc(' ', t->out);
			col++;
		}
		fwrite(p, 1, n, t->out);
		col += (int)n;
		p += n;
		if (cut) {
			/* the rest of the word starts the next line */
			fprintf(t->out, "\n%*s", indent, "");
			col = indent;
			continue;
		}
		while (*p == ' ')
			p++;
	}
	fputc('\n', t->out);
	free(e);
}

/* Append to a display line; past the cap the line is simply cut. */
static void PRINTF(2, 3) addf(struct buf *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (buf_puts(b, tmp) < 0) {
		/* cut: nothing more to add */
	}
}

static void label(struct tx *t, const char *l)
{
	fprintf(t->out, "  %-13s ", l);
}

static void section(struct tx *t, const char *title)
{
	fprintf(t->out, "\n %s%s%s\n", t->o->color ? "\033[1m" : "", title,
		t->o->color ? "\033[0m" : "");
}

static void sev(struct tx *t, enum severity s)
{
	char tag[16];
	snprintf(tag, sizeof tag, "[%s]", severity_name(s));
	if (t->o->color)
		fprintf(t->out, "%s%-10s\033[0m", sev_color[s], tag);
	else
		fprintf(t->out, "%-10s", tag);
}

static void summary(struct tx *t, const struct endpoint *ep)
{
	int act = 0;
	for (size_t i = 0; i < ep->nfindings; i++)
		act += ep->findings[i].sev >= SEV_LOW;
	section(t, "Summary");
	if (ep->grade[0]) {
		label(t, "Grade");
		fprintf(t->out, "%s%s%s (score %d)\n", t->o->color ? "\033[1m" : "", ep->grade,
			t->o->color ? "\033[0m" : "", ep->score);
		for (size_t i = 0; i < ep->ngrade_caps; i++) {
			label(t, "");
			wrap(t, ep->grade_caps[i], 16, 16);
		}
	}
	if (ep->auth_verdict) {
		label(t, "Trust");
		wrap(t, ep->auth_verdict, 16, 16);
	}
	if (ep->auth_policy != AUTH_POLICY_UNSET) {
		label(t, "MX policy");
		wrap(t, auth_policy_name(ep->auth_policy), 16, 16);
	}
	label(t, "Verdict");
	if (ep->nerrors && !ep->tls.done)
		fputs("could not be scanned completely (see errors)\n", t->out);
	else if (act)
		fprintf(t->out, "%d finding%s need%s action (below, worst first)\n", act,
			act == 1 ? "" : "s", act == 1 ? "s" : "");
	else
		fputs("nothing needs action\n", t->out);
}

static void dialogue(struct tx *t, const struct endpoint *ep)
{
	const struct dialogue *g = &ep->dlg;
	const struct tls_summary *s = &ep->tls;
	if (!g->greeting && !g->hello_code && !s->done)
		goto transcript; /* nothing to show: the errors say why */
	section(t, "Connection and STARTTLS");
	struct buf b;
	buf_init(&b, 8192);
	if (g->greeting) {
		label(t, "Greeting");
		buf_reset(&b);
		if (g->greeting_code > 0)
			addf(&b, "%d ", g->greeting_code);
		addf(&b, "%s (%.0f ms)", g->greeting, g->greeting_ms);
		wrap(t, buf_cstr(&b), 16, 16);
	}
	if (g->hello_code) {
		label(t, "STARTTLS");
		buf_reset(&b);
		addf(&b, "%s", g->starttls_advertised ? "advertised" : "not advertised");
		if (g->starttls_sent) {
			addf(&b, "%s", ", answered ");
			if (g->starttls_code > 0)
				addf(&b, "%d ", g->starttls_code);
			addf(&b, "%s", g->starttls_reply ? g->starttls_reply : "");
		}
		wrap(t, buf_cstr(&b), 16, 16);
	}
	if (s->done) {
		label(t, "TLS");
		buf_reset(&b);
		addf(&b, "%s, %s%s%s (%.1f ms)", tls_proto_name(s->version), s->cipher,
		     s->group ? ", " : "", s->group ? s->group : "", s->handshake_ms);
		wrap(t, buf_cstr(&b), 16, 16);
		label(t, "SNI");
		put(t, ep->sni ? ep->sni : "(none)");
		fputc('\n', t->out);
		label(t, "Verify");
		buf_reset(&b);
		addf(&b, "%ld (%s)", s->verify_code,
				 s->verify_message ? s->verify_message : "");
		if (s->hostname_checked)
			addf(&b, ", name checked: %s",
					 s->verify_name ? s->verify_name : "");
		wrap(t, buf_cstr(&b), 16, 16);
		label(t, "OCSP staple");
		fprintf(t->out, "%s", s->ocsp_stapled ? "yes" : "no");
		if (s->ocsp_cert_status != OCSP_CERT_UNSET) {
			fputs(", ", t->out);
			put(t, ocsp_cert_status_name(s->ocsp_cert_status));
		}
		fputc('\n', t->out);
		label(t, "Session");
		fprintf(t->out, "secure renegotiation %s; client renegotiation %s\n",
			yesno(s->secure_reneg),
			ep->client_reneg == 1 ? "accepted" : ep->client_reneg == 0 ? "refused"
										   : "not tested");
		label(t, "");
		fprintf(t->out, "TLS 1.2 resumption: by session ID %s, by ticket %s\n",
			yesno(ep->resume_id), yesno(ep->resume_ticket));
	}
	buf_free(&b);
transcript:
	if (!t->o->transcript || ep->ntranscript == 0)
		return;
	section(t, "Transcript");
	for (size_t i = 0; i < ep->ntranscript; i++) {
		const struct tline *l = &ep->transcript[i];
		struct buf e;
		buf_init(&e, l->len * 4 + 16);
		fprintf(t->out, "  %8.1f %c: ", l->t_ms, l->dir == 'C' ? 'C' : 'S');
		if (esc_term(&e, l->text, l->len) == 0 && e.len)
			fwrite(e.data, 1, e.len, t->out);
		buf_free(&e);
		fputc('\n', t->out);
	}
}

static void protocols(struct tx *t, const struct endpoint *ep)
{
	if (ep->nprotocols == 0)
		return;
	section(t, "Protocols");
	for (size_t i = 0; i < ep->nprotocols; i++) {
		const struct proto_entry *p = &ep->protocols[i];
		label(t, tls_proto_name(p->proto));
		const char *state = p->offered > 0 ? "offered" : p->offered == 0 ? "not offered"
										 : "unknown";
		if (p->reason) {
			char line[600];
			snprintf(line, sizeof line, "%s (%s%s)", state,
				 p->offered > 0 ? "suites incomplete: " : "", p->reason);
			wrap(t, line, 16, 16);
		} else {
			fprintf(t->out, "%s\n", state);
		}
	}
	section(t, "Cipher suites");
	for (int p = P_TLS13; p >= P_SSLV2; p--) {
		int first = 1;
		for (size_t i = 0; i < ep->nciphers; i++) {
			const struct cipher_entry *c = &ep->ciphers[i];
			char code[16];
			if (c->proto != (enum tls_proto)p)
				continue;
			if (first) {
				fprintf(t->out, "  %s%s\n", tls_proto_name(c->proto),
					!ep->enumerated ? " (negotiated)"
					: ep->server_order[p] == 1 ? " (server's order)"
					: ep->server_order[p] == 0 ? " (no server order: the client's)"
								   : "");
				first = 0;
			}
			report_code_point(code, sizeof code, c->proto, c->code);
			/* OpenSSL's names fit a terminal; JSON has both. */
			fprintf(t->out, "    %-8s %-32s %-6s %-5s %4d\n", code,
				c->openssl ? c->openssl : c->iana ? c->iana : "?", c->kx ? c->kx : "",
				c->au ? c->au : "", c->bits);
		}
	}
	if (ep->ngroups || ep->dh.bits) {
		section(t, "Key exchange");
		if (ep->ngroups) {
			struct buf b;
			buf_init(&b, 4096);
			for (size_t i = 0; i < ep->ngroups; i++)
				if (buf_printf(&b, "%s%s", i ? ", " : "", ep->groups[i]) < 0)
					break;
			label(t, "Groups");
			wrap(t, buf_cstr(&b), 16, 16);
			buf_free(&b);
		}
		if (ep->dh.bits) {
			label(t, "DH");
			fprintf(t->out, "%d bits", ep->dh.bits);
			if (ep->dh.common) {
				fputs(", well-known prime: ", t->out);
				put(t, ep->dh.common);
			}
			fputc('\n', t->out);
		}
	}
}

static void defaults(struct tx *t, const struct endpoint *ep)
{
	const typeof(ep->defaults) *d = &ep->defaults;
	if (ep->nsigalgs) {
		struct buf b;
		buf_init(&b, 4096);
		for (size_t i = 0; i < ep->nsigalgs; i++)
			if (buf_printf(&b, "%s%s", i ? ", " : "", ep->sigalgs[i]) < 0)
				break;
		label(t, "Sigalgs 1.2");
		wrap(t, buf_cstr(&b), 16, 16);
		buf_free(&b);
	}
	if (!d->probed)
		return;
	section(t, "Server defaults");
	if (d->nextensions) {
		struct buf b;
		buf_init(&b, 4096);
		for (size_t i = 0; i < d->nextensions; i++)
			if (buf_printf(&b, "%s%s", i ? ", " : "", d->extensions[i]) < 0)
				break;
		label(t, "Extensions");
		wrap(t, buf_cstr(&b), 16, 16);
		buf_free(&b);
	}
	label(t, "Session ID");
	fprintf(t->out, "%s; compression %s; ticket lifetime ", yesno(d->session_id),
		d->compression < 0 ? "n/a" : d->compression == 0 ? "none" : "DEFLATE");
	if (d->ticket_lifetime_s >= 0)
		fprintf(t->out, "%ld s\n", d->ticket_lifetime_s);
	else
		fputs("n/a\n", t->out);
	label(t, "Clock");
	if (d->clock == 1)
		fprintf(t->out, "%+ld s from ours\n", d->clock_skew_s);
	else
		fputs(d->clock == 0 ? "random (not a clock)\n" : "n/a\n", t->out);
	label(t, "Tolerance");
	fprintf(t->out, "GREASE %s, 1500-byte hello %s\n", yesno(d->grease_ok),
		yesno(d->long_hello_ok));
}

static void put_pem(struct tx *t, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "\n");
		char *line = strndup(s, n);
		if (line) {
			fputs("    ", t->out);
			put(t, line);
			free(line);
		}
		fputc('\n', t->out);
		s += n + (s[n] == '\n');
	}
}

static void certificates(struct tx *t, const struct endpoint *ep)
{
	if (ep->ncerts == 0)
		return;
	section(t, "Certificate chain (as sent)");
	for (size_t i = 0; i < ep->ncerts; i++) {
		const struct cert_entry *c = &ep->certs[i];
		char head[48];
		snprintf(head, sizeof head, "#%d%s%s", c->depth,
			 c->chain != CHAIN_DEFAULT ? " " : "",
			 c->chain != CHAIN_DEFAULT ? cert_chain_name(c->chain) : "");
		label(t, head);
		wrap(t, c->subject, 16, 16);
		label(t, "  issuer");
		wrap(t, c->issuer, 16, 16);
		label(t, "  key");
		fprintf(t->out, "%s, ", c->key ? c->key : "?");
		put(t, c->sig_alg);
		fputc('\n', t->out);
		label(t, "  valid");
		put(t, c->not_before);
		fputs(" .. ", t->out);
		put(t, c->not_after);
		fprintf(t->out, " (%ld days left)\n", c->days_left);
		if (c->nsan) {
			struct buf b;
			buf_init(&b, 8192);
			for (size_t j = 0; j < c->nsan; j++)
				if (buf_printf(&b, "%s%s", j ? " " : "", c->san[j]) < 0)
					break;
			label(t, "  names");
			wrap(t, buf_cstr(&b), 16, 16);
			buf_free(&b);
		}
		label(t, "  SPKI sha256");
		put(t, c->spki_sha256);
		fputc('\n', t->out);
		if (t->o->show_certs && c->pem)
			put_pem(t, c->pem);
	}
}

static void findings_of(struct tx *t, const struct finding *v, size_t n, int quiet)
{
	int shown = 0;
	for (int s = SEV_CRITICAL; s >= SEV_OK; s--) {
		for (size_t i = 0; i < n; i++) {
			const struct finding *f = &v[i];
			if ((int)f->sev != s || (quiet && f->sev < SEV_LOW))
				continue;
			if (!shown++)
				section(t, "Findings");
			fputs("  ", t->out);
			sev(t, f->sev);
			fputc(' ', t->out);
			struct buf b;
			buf_init(&b, 4096);
			if (buf_printf(&b, "%s (%s)", f->title, f->id) == 0)
				wrap(t, buf_cstr(&b), 13, 13);
			buf_free(&b);
			if (f->detail && f->sev > SEV_OK) {
				fprintf(t->out, "%13s", "");
				wrap(t, f->detail, 13, 13);
			}
			for (size_t j = 0; j < f->ncve; j++) {
				fprintf(t->out, "%13s", "");
				put(t, f->cve[j]);
				fputc('\n', t->out);
			}
			if (f->fix && f->sev > SEV_OK) {
				fprintf(t->out, "%13sfix: ", "");
				wrap(t, f->fix, 18, 18);
			}
		}
	}
}

/* The battery: one line per check, its verdict, then what it saw. */
static void vulnerabilities(struct tx *t, const struct endpoint *ep)
{
	static const char *const color[] = {"", "\033[31m", "\033[32m", "\033[2m", "\033[33m"};
	if (!ep->nvulns)
		return;
	section(t, "Vulnerabilities");
	for (size_t i = 0; i < ep->nvulns; i++) {
		const struct vuln *v = &ep->vulns[i];
		const char *name = vuln_verdict_name(v->verdict);
		fputs("  ", t->out);
		put(t, v->id);
		fprintf(t->out, "%*s", (int)(25 > strlen(v->id) ? 25 - strlen(v->id) : 1), "");
		if (t->o->color && (unsigned)v->verdict < ARRAY_LEN(color))
			fprintf(t->out, "%s%-15s\033[0m", color[v->verdict], name ? name : "?");
		else
			fprintf(t->out, "%-15s", name ? name : "?");
		struct buf b;
		buf_init(&b, 4096);
		addf(&b, "%s%s%s", v->reason ? v->reason : "", v->reason && v->evidence ? "; " : "",
		     v->evidence ? v->evidence : "");
		if (v->connections)
			addf(&b, "%s(%d connection%s)", b.len ? " " : "", v->connections,
			     v->connections == 1 ? "" : "s");
		if (v->nleak) {
			addf(&b, "; leaked bytes, first %zu:", v->nleak);
			for (size_t k = 0; k < v->nleak; k++)
				addf(&b, " %02x", v->leak[k]);
		}
		wrap(t, buf_cstr(&b), 42, 42);
		buf_free(&b);
	}
}

static void errors(struct tx *t, const struct endpoint *ep)
{
	if (ep->nerrors == 0)
		return;
	section(t, "Errors");
	for (size_t i = 0; i < ep->nerrors; i++) {
		struct buf b;
		buf_init(&b, 4096);
		if (buf_printf(&b, "%s: %s", ep_error_stage_name(&ep->errors[i]),
		               ep->errors[i].message) == 0) {
			fputs("  ", t->out);
			wrap(t, buf_cstr(&b), 2, 4);
		}
		buf_free(&b);
	}
}

static void endpoint_text(struct tx *t, const struct endpoint *ep)
{
	char *host = esc(ep->host), *addr = esc(ep->address), *st = esc(ep->starttls);
	fprintf(t->out, "%s== %s port %u%s%s%s, %s%s ==%s\n", t->o->color ? "\033[1m" : "", host,
		ep->port, ep->address ? " (" : "", ep->address ? addr : "", ep->address ? ")" : "",
		ep->mode == MODE_IMPLICIT ? "implicit TLS" : "STARTTLS ",
		ep->mode == MODE_IMPLICIT ? "" : st, t->o->color ? "\033[0m" : "");
	free(host);
	free(addr);
	free(st);
	summary(t, ep);
	if (!t->o->quiet) {
		dialogue(t, ep);
		protocols(t, ep);
		defaults(t, ep);
		certificates(t, ep);
		vulnerabilities(t, ep);
	}
	findings_of(t, ep->findings, ep->nfindings, t->o->quiet);
	errors(t, ep);
	fprintf(t->out, "\n  %d connection%s, %.1f ms\n", ep->stats.connections,
		ep->stats.connections == 1 ? "" : "s", ep->stats.duration_ms);
}

/* One labelled line: the label, then the escaped text wrapped under it. */
static void line(struct tx *t, const char *l, const char *text)
{
	label(t, l);
	wrap(t, text, 16, 16);
}

static void PRINTF(3, 4) linef(struct tx *t, const char *l, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	line(t, l, tmp);
}

static const char *sec_word(enum zone_sec s)
{
	const char *n = zone_sec_name(s);
	return n ? n : "unknown";
}

static void txt_lines(struct tx *t, const char *l, const struct txt_rec *r)
{
	if (r->lookup_error) {
		linef(t, l, "lookup failed: %s", r->lookup_error);
		return;
	}
	if (!r->ntxt) {
		line(t, l, "none");
		return;
	}
	for (size_t i = 0; i < r->ntxt; i++)
		line(t, i ? "" : l, r->txt[i]);
	if (r->parse_error)
		linef(t, "", "invalid: %s", r->parse_error);
}

static void domain_mx(struct tx *t, const struct domain_info *d)
{
	char head[64];
	snprintf(head, sizeof head, "MX hosts (DNSSEC %s)", sec_word(d->mx_sec));
	section(t, head);
	if (d->mx_error)
		linef(t, "Lookup", "%s", d->mx_error);
	if (d->null_mx)
		line(t, "Null MX", "the domain takes no mail (RFC 7505)");
	if (d->implicit_mx)
		line(t, "No MX", "senders use the domain's own address");
	for (size_t i = 0; i < d->nmx; i++) {
		const struct mx_host *m = &d->mx[i];
		char l[16];
		struct buf b;
		snprintf(l, sizeof l, "%d", m->preference);
		buf_init(&b, 4096);
		addf(&b, "%s", m->name);
		if (m->cname)
			addf(&b, " (alias of %s)", m->cname);
		for (size_t j = 0; j < m->naddresses; j++)
			addf(&b, "%s%s", j ? ", " : " (", m->addresses[j]);
		if (m->naddresses)
			addf(&b, ")");
		if (m->addr_error)
			addf(&b, ": %s", m->addr_error);
		line(t, l, buf_cstr(&b));
		buf_free(&b);
		buf_init(&b, 4096);
		if (m->tlsa_error)
			addf(&b, "TLSA lookup failed: %s", m->tlsa_error);
		else if (!m->ntlsa)
			addf(&b, "no TLSA records");
		for (size_t j = 0; j < m->ntlsa; j++)
			addf(&b, "%sTLSA %d %d %d %.16s%s", j ? "; " : "", m->tlsa[j].usage,
			     m->tlsa[j].selector, m->tlsa[j].mtype, m->tlsa[j].data,
			     strlen(m->tlsa[j].data) > 16 ? "..." : "");
		if (m->ntlsa)
			addf(&b, " (DNSSEC %s)", sec_word(m->tlsa_sec));
		if (m->sts_match >= 0)
			addf(&b, "; MTA-STS: %s", m->sts_match ? "listed" : "NOT listed");
		line(t, "", buf_cstr(&b));
		buf_free(&b);
	}
}

static void domain_policies(struct tx *t, const struct domain_info *d)
{
	section(t, "MTA-STS");
	txt_lines(t, "TXT", &d->sts_txt);
	if (d->sts.url)
		line(t, "Policy URL", d->sts.url);
	if (d->sts.valid) {
		struct buf b;
		buf_init(&b, 4096);
		addf(&b, "mode %s, max_age %ld, mx:", sts_mode_name(d->sts.mode), d->sts.max_age);
		for (size_t i = 0; i < d->sts.nmx; i++)
			addf(&b, " %s", d->sts.mx[i]);
		line(t, "Policy", buf_cstr(&b));
		buf_free(&b);
	}
	if (d->sts.error)
		line(t, "Problem", d->sts.error);
	section(t, "Policy records");
	txt_lines(t, "TLS-RPT", &d->tlsrpt);
	txt_lines(t, "SPF", &d->spf);
	if (d->spf.valid)
		linef(t, "", "%d DNS lookup%s (includes followed), ends %s", d->spf_lookups,
		      d->spf_lookups == 1 ? "" : "s",
 spf_all_words(d->spf_all));
	for (size_t i = 0; i < d->nspf_problems; i++)
		line(t, "", d->spf_problems[i]);
	txt_lines(t, "DMARC", &d->dmarc);
	if (d->dmarc_from)
		linef(t, "", "from %s: no record of its own, the parent's applies", d->dmarc_from);
}

static void domain_text(struct tx *t, const struct domain_info *d)
{
	int act = 0;
	for (size_t i = 0; i < d->nfindings; i++)
		act += d->findings[i].sev >= SEV_LOW;
	char *name = esc(d->name);
	fprintf(t->out, "%s== Domain %s ==%s\n", t->o->color ? "\033[1m" : "", name,
		t->o->color ? "\033[0m" : "");
	free(name);
	section(t, "Summary");
	label(t, "Downgrade");
	fprintf(t->out, "%s%s%s\n", t->o->color ? "\033[1m" : "",
		d->verdict != VERDICT_UNSET ? verdict_name(d->verdict) : "unknown", t->o->color ? "\033[0m" : "");
	if (d->verdict_detail)
		line(t, "", d->verdict_detail);
	label(t, "Verdict");
	if (act)
		fprintf(t->out, "%d domain finding%s need%s action (below, worst first)\n", act,
			act == 1 ? "" : "s", act == 1 ? "s" : "");
	else
		fputs("nothing in the domain's records needs action\n", t->out);
	if (!t->o->quiet) {
		domain_mx(t, d);
		domain_policies(t, d);
	}
	findings_of(t, d->findings, d->nfindings, t->o->quiet);
}

void report_text(const struct result *r, FILE *out, const struct text_opts *o)
{
	static const struct text_opts defaults = {0, 0, 0, 0, 80};
	struct tx t = {out, o ? o : &defaults, o && o->width > 20 ? o->width : 80};
	for (size_t i = 0; i < r->nerrors; i++) {
		fputs("error (", out);
		put(&t, ep_error_stage_name(&r->errors[i]));
		fputs("): ", out);
		put(&t, r->errors[i].message);
		fputc('\n', out);
	}
	if (r->domain)
		domain_text(&t, r->domain);
	for (size_t i = 0; i < r->neps; i++) {
		if (i || r->domain)
			fputc('\n', out);
		endpoint_text(&t, r->eps[i]);
	}
}
