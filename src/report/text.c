/* text.c - the short terminal report. Peer strings go through esc_term. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/esc.h"

static const char *yesno(int v)
{
	return v > 0 ? "yes" : v == 0 ? "no" : "n/a";
}

/* Print peer text safely. */
static void put(FILE *out, const char *s)
{
	char *e = esc_term_dup(s ? s : "");
	fputs(e, out);
	free(e);
}

/* Multi-line text (PEM), escaped line by line. */
static void put_lines(FILE *out, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "\n");
		char *line = strndup(s, n);
		if (line) {
			put(out, line);
			free(line);
		}
		fputc('\n', out);
		s += n + (s[n] == '\n');
	}
}

static void dialogue_text(const struct endpoint *ep, FILE *out, int transcript)
{
	const struct dialogue *g = &ep->dlg;
	if (!g->ran)
		return;
	if (g->greeting) {
		fputs("  Greeting:     ", out);
		if (g->greeting_code > 0)
			fprintf(out, "%d ", g->greeting_code);
		put(out, g->greeting);
		fprintf(out, " (%.0f ms)\n", g->greeting_ms);
	}
	if (g->hello_code) {
		fprintf(out, "  STARTTLS:     %s", g->starttls_advertised ? "advertised" : "not advertised");
		if (g->starttls_sent) {
			fputs(", answered ", out);
			put(out, g->starttls_reply);
		}
		fputc('\n', out);
	}
	if (!transcript)
		return;
	fputs("  Transcript:\n", out);
	for (size_t i = 0; i < ep->ntranscript; i++) {
		const struct tline *l = &ep->transcript[i];
		struct buf b;
		buf_init(&b, l->len * 4 + 16);
		fprintf(out, "    %8.1f %c: ", l->t_ms, l->dir);
		if (esc_term(&b, l->text, l->len) == 0)
			fwrite(b.data ? b.data : (uint8_t *)"", 1, b.len, out);
		buf_free(&b);
		fputc('\n', out);
	}
}

/* Protocols, then each protocol's suites in the server's order, as the
 * ground-truth tools print them. */
static void enum_text(const struct endpoint *ep, FILE *out)
{
	if (ep->nprotocols == 0)
		return;
	fputs("  Protocols:   ", out);
	for (size_t i = 0; i < ep->nprotocols; i++) {
		const struct proto_entry *p = &ep->protocols[i];
		fprintf(out, " %s %s", tls_proto_name(p->proto),
			p->offered > 0 ? "yes" : p->offered == 0 ? "no" : "?");
		if (i + 1 < ep->nprotocols)
			fputc(',', out);
	}
	fputc('\n', out);
	for (int p = P_TLS13; p >= P_SSLV2; p--) {
		int first = 1;
		for (size_t i = 0; i < ep->nciphers; i++) {
			const struct cipher_entry *c = &ep->ciphers[i];
			char code[16];
			if (c->proto != (enum tls_proto)p)
				continue;
			if (first) {
				fprintf(out, "  %s suites%s:\n", tls_proto_name(c->proto),
					!ep->enumerated ? " (negotiated)"
					: ep->server_order[p] == 1 ? " (server order)"
					: ep->server_order[p] == 0 ? " (no server order: client's)"
								   : "");
				first = 0;
			}
			report_code_point(code, sizeof code, c->proto, c->code);
			/* OpenSSL's names fit a terminal; JSON has both. */
			fprintf(out, "    %-8s %-32s %-6s %-5s %4d\n", code,
				c->openssl ? c->openssl : c->iana ? c->iana : "?",
				c->kx ? c->kx : "", c->au ? c->au : "", c->bits);
		}
	}
	if (ep->ngroups) {
		fputs("  Groups:       ", out);
		for (size_t i = 0; i < ep->ngroups; i++) {
			put(out, ep->groups[i]);
			fputs(i + 1 < ep->ngroups ? ", " : "\n", out);
		}
	}
	if (ep->dh.bits) {
		fprintf(out, "  DH params:    %d bits", ep->dh.bits);
		if (ep->dh.common) {
			fputs(", well-known prime: ", out);
			put(out, ep->dh.common);
		}
		fputc('\n', out);
	}
}

static void endpoint_text(const struct endpoint *ep, FILE *out, const struct text_opts *o)
{
	const struct tls_summary *t = &ep->tls;

	fputs("== ", out);
	put(out, ep->host);
	fprintf(out, " port %u", ep->port);
	if (ep->address) {
		fputs(" (", out);
		put(out, ep->address);
		fputc(')', out);
	}
	fprintf(out, ", %s", ep->mode == MODE_IMPLICIT ? "implicit TLS" : "STARTTLS ");
	if (ep->mode == MODE_STARTTLS)
		put(out, ep->starttls);
	fputc('\n', out);
	dialogue_text(ep, out, o->transcript);

	if (t->done) {
		fputs("  TLS:          ", out);
		put(out, t->version);
		fputs(", ", out);
		put(out, t->cipher);
		if (t->group) {
			fputs(", ", out);
			put(out, t->group);
		}
		fprintf(out, " (%.1f ms)\n", t->handshake_ms);
		fputs("  SNI:          ", out);
		put(out, ep->sni ? ep->sni : "(none)");
		fputc('\n', out);
		fprintf(out, "  Verify:       %ld (", t->verify_code);
		put(out, t->verify_message);
		fputs(")", out);
		if (t->hostname_checked) {
			fputs(", name checked: ", out);
			put(out, t->verify_name);
		}
		fputc('\n', out);
	}
	enum_text(ep, out);
	for (size_t i = 0; i < ep->ncerts; i++) {
		const struct cert_entry *c = &ep->certs[i];
		fprintf(out, "  Cert %d", c->depth);
		if (c->chain && strcmp(c->chain, "default") != 0) {
			fputs(" (", out);
			put(out, c->chain);
			fputc(')', out);
		}
		fputs(":  ", out);
		put(out, c->subject);
		fputs("\n                issuer ", out);
		put(out, c->issuer);
		fputs("\n                ", out);
		put(out, c->key);
		fputs(", ", out);
		put(out, c->sig_alg);
		fputs(", until ", out);
		put(out, c->not_after);
		fprintf(out, " (%ld days)\n", c->days_left);
		if (c->nsan) {
			fputs("                names:", out);
			for (size_t j = 0; j < c->nsan && j < 20; j++) {
				fputc(' ', out);
				put(out, c->san[j]);
			}
			if (c->nsan > 20)
				fprintf(out, " ... (%zu in all)", c->nsan);
			fputc('\n', out);
		}
		if (o->show_certs && c->pem) {
			put_lines(out, c->pem);
		}
	}
	if (t->done) {
		fprintf(out, "  OCSP staple:  %s", t->ocsp_stapled ? "yes" : "no");
		if (t->ocsp_cert_status) {
			fputs(", ", out);
			put(out, t->ocsp_cert_status);
		}
		fputc('\n', out);
		fprintf(out, "  Session:      secure renegotiation %s, client renegotiation %s,\n"
			     "                resumption by ID %s, by ticket %s (TLS 1.2)\n",
			yesno(t->secure_reneg), ep->client_reneg == 1 ? "accepted"
						: ep->client_reneg == 0 ? "refused"
									: "not tested",
			yesno(ep->resume_id), yesno(ep->resume_ticket));
	}
	for (size_t i = 0; i < ep->nfindings; i++) {
		const struct finding *f = &ep->findings[i];
		fprintf(out, "  [%-8s] ", severity_name(f->sev));
		put(out, f->title);
		fputs(" (", out);
		put(out, f->id);
		fputs(")\n", out);
		if (f->detail && f->sev > SEV_OK) {
			fputs("             ", out);
			put(out, f->detail);
			fputc('\n', out);
		}
		if (f->fix) {
			fputs("             fix: ", out);
			put(out, f->fix);
			fputc('\n', out);
		}
	}
	for (size_t i = 0; i < ep->nerrors; i++) {
		fputs("  error (", out);
		put(out, ep->errors[i].stage);
		fputs("): ", out);
		put(out, ep->errors[i].message);
		fputc('\n', out);
	}
	fprintf(out, "  %d connection%s, %.1f ms\n", ep->stats.connections,
		ep->stats.connections == 1 ? "" : "s", ep->stats.duration_ms);
}

void report_text(const struct result *r, FILE *out, const struct text_opts *o)
{
	for (size_t i = 0; i < r->nerrors; i++) {
		fputs("error (", out);
		put(out, r->errors[i].stage);
		fputs("): ", out);
		put(out, r->errors[i].message);
		fputc('\n', out);
	}
	for (size_t i = 0; i < r->neps; i++)
		endpoint_text(r->eps[i], out, o);
}
