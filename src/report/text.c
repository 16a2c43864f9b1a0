/* text.c - the short terminal report. Peer strings go through esc_term. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/esc.h"

/* Print peer text safely. */
static void put(FILE *out, const char *s)
{
	char *e = esc_term_dup(s ? s : "");
	fputs(e, out);
	free(e);
}

static void dialogue_text(const struct endpoint *ep, FILE *out, int transcript)
{
	const struct dialogue *g = &ep->dlg;
	if (!g->ran)
		return;
	if (g->greeting_code) {
		fprintf(out, "  Greeting:     %d ", g->greeting_code);
		put(out, g->greeting);
		fprintf(out, " (%.0f ms)\n", g->greeting_ms);
	}
	if (g->hello_code) {
		fprintf(out, "  STARTTLS:     %s", g->starttls_advertised ? "advertised" : "not advertised");
		if (g->starttls_code) {
			fprintf(out, ", answered %d ", g->starttls_code);
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

static void endpoint_text(const struct endpoint *ep, FILE *out, int transcript)
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
	dialogue_text(ep, out, transcript);

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
	for (size_t i = 0; i < ep->ncerts; i++) {
		const struct cert_entry *c = &ep->certs[i];
		fprintf(out, "  Cert %zu:       ", i);
		put(out, c->subject);
		fputs("\n                issuer ", out);
		put(out, c->issuer);
		fputs("\n                ", out);
		put(out, c->key);
		fputs(", valid until ", out);
		put(out, c->not_after);
		fputc('\n', out);
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

void report_text(const struct result *r, FILE *out, int transcript)
{
	for (size_t i = 0; i < r->nerrors; i++) {
		fputs("error (", out);
		put(out, r->errors[i].stage);
		fputs("): ", out);
		put(out, r->errors[i].message);
		fputc('\n', out);
	}
	for (size_t i = 0; i < r->neps; i++)
		endpoint_text(r->eps[i], out, transcript);
}
