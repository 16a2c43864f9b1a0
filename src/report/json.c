/* json.c - the mailtls/1 document through jansson. Peer strings are made
 * valid UTF-8 first (esc_utf8); jansson escapes the rest. */
#include "report/report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/esc.h"
#include "report/jsonutil.h"

#define SCHEMA "mailtls/1"

json_t *jstrn(const char *s, size_t n)
{
	if (!s)
		return json_null();
	struct buf b;
	buf_init(&b, 8 * n + 16);
	json_t *j = esc_utf8(&b, s, n) == 0
	                ? json_stringn(b.data ? (const char *)b.data : "", b.len)
	                : NULL;
	buf_free(&b);
	return j;
}

json_t *jstr(const char *s)
{
	return s ? jstrn(s, strlen(s)) : json_null();
}

int jset(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

int japp(json_t *a, json_t *v)
{
	return json_array_append_new(a, v) == 0 ? 0 : -1;
}

json_t *jdone(json_t *o, int bad)
{
	if (!bad)
		return o;
	json_decref(o);
	return NULL;
}

json_t *strv_json(char **v, size_t n)
{
	json_t *a = json_array();
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= japp(a, jstr(v[i]));
	return jdone(a, bad);
}

json_t *tri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

/* An integer, or null when absent. */
static json_t *jint_or_null(int present, json_int_t v)
{
	return present ? json_integer(v) : json_null();
}

void report_code_point(char *out, size_t n, enum tls_proto p, uint32_t code)
{
	snprintf(out, n, p == P_SSLV2 ? "0x%06X" : "0x%04X", (unsigned)code);
}

json_t *findings_json(const struct finding *v, size_t n)
{
	json_t *findings = json_array();
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct finding *f = &v[i];
		json_t *j = json_object();
		bad |= jset(j, "id", jstr(f->id));
		bad |= jset(j, "severity", json_string(severity_name(f->sev)));
		bad |= jset(j, "title", jstr(f->title));
		bad |= jset(j, "detail", jstr(f->detail));
		bad |= jset(j, "fix", jstr(f->fix));
		bad |= jset(j, "cve", strv_json(f->cve, f->ncve));
		bad |= japp(findings, j);
	}
	return jdone(findings, bad);
}

static json_t *errors_json(const struct ep_error *v, size_t n)
{
	json_t *a = json_array();
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_object();
		bad |= jset(j, "stage", jstr(ep_error_stage_name(&v[i])));
		bad |= jset(j, "category", jstr(err_cat_name(v[i].category)));
		bad |= jset(j, "message", jstr(v[i].message));
		bad |= japp(a, j);
	}
	return jdone(a, bad);
}

static json_t *verify_json(const struct tls_summary *t)
{
	json_t *j = json_object(), *errs = json_array();
	int bad = 0;
	for (size_t i = 0; i < t->nverify_errors; i++) {
		const struct verify_error *v = &t->verify_errors[i];
		json_t *e = json_object();
		bad |= jset(e, "code", json_integer(v->code));
		bad |= jset(e, "depth", json_integer(v->depth));
		bad |= jset(e, "message", jstr(v->message));
		bad |= japp(errs, e);
	}
	bad |= jset(j, "code", json_integer(t->verify_code));
	bad |= jset(j, "message", jstr(t->verify_message));
	bad |= jset(j, "hostname_checked", json_boolean(t->hostname_checked));
	bad |= jset(j, "name", jstr(t->verify_name));
	bad |= jset(j, "errors", errs);
	return jdone(j, bad);
}

static json_t *ocsp_json(const struct tls_summary *t)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "stapled", json_boolean(t->ocsp_stapled));
	bad |= jset(j, "status", jstr(ocsp_status_name(t->ocsp_status)));
	bad |= jset(j, "cert_status", jstr(ocsp_cert_status_name(t->ocsp_cert_status)));
	bad |= jset(j, "age_s", jint_or_null(t->ocsp_age_s != OCSP_UNKNOWN, t->ocsp_age_s));
	bad |= jset(j, "expires_s",
	            jint_or_null(t->ocsp_expires_s != OCSP_UNKNOWN, t->ocsp_expires_s));
	return jdone(j, bad);
}

static json_t *tls_json(const struct endpoint *ep)
{
	const struct tls_summary *t = &ep->tls;
	char code[16];
	if (!t->done)
		return json_null();
	report_code_point(code, sizeof code, P_TLS12, t->cipher_code);
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "version", json_string(tls_proto_name(t->version)));
	bad |= jset(j, "cipher", jstr(t->cipher));
	bad |= jset(j, "cipher_openssl", jstr(t->cipher_openssl));
	bad |= jset(j, "cipher_code", json_string(code));
	bad |= jset(j, "group", jstr(t->group));
	bad |= jset(j, "handshake_ms", json_real(t->handshake_ms));
	bad |= jset(j, "verify", verify_json(t));
	bad |= jset(j, "ocsp", ocsp_json(t));
	bad |= jset(j, "secure_renegotiation", tri(t->secure_reneg));
	return jdone(j, bad);
}

/* null for implicit TLS; the STARTTLS dialogue's facts otherwise */
static json_t *dialogue_json(const struct endpoint *ep)
{
	const struct dialogue *g = &ep->dlg;
	if (!g->ran)
		return json_null();
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "greeting_code", jint_or_null(g->greeting_code, g->greeting_code));
	bad |= jset(j, "greeting", jstr(g->greeting));
	bad |= jset(j, "greeting_ms", json_real(g->greeting_ms));
	bad |= jset(j, "hello_code", jint_or_null(g->hello_code, g->hello_code));
	bad |= jset(j, "capabilities", strv_json(g->caps_pre, g->ncaps_pre));
	bad |= jset(j, "capabilities_tls",
	            g->caps_post_known ? strv_json(g->caps_post, g->ncaps_post) : json_null());
	bad |= jset(j, "starttls_advertised", json_boolean(g->starttls_advertised));
	bad |= jset(j, "starttls_masked", jstr(g->starttls_masked));
	bad |= jset(j, "starttls_sent", json_boolean(g->starttls_sent));
	bad |= jset(j, "starttls_ok", json_boolean(g->starttls_ok));
	bad |= jset(j, "starttls_code", jint_or_null(g->starttls_code, g->starttls_code));
	bad |= jset(j, "starttls_reply", jstr(g->starttls_reply));
	bad |= jset(j, "auth_clear", jstr(g->auth_clear));
	bad |= jset(j, "auth_tls", json_boolean(g->auth_tls));
	bad |= jset(j, "preauth", json_boolean(g->preauth));
	bad |= jset(j, "pipelined_bytes", json_integer((json_int_t)g->pipelined_bytes));
	bad |= jset(j, "throttled", json_integer(g->throttled));
	bad |= jset(j, "silent", json_boolean(g->silent));
	bad |= jset(j, "implicit_answered", json_boolean(g->implicit_answered));
	return jdone(j, bad);
}

static json_t *cert_json(const struct cert_entry *c)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "depth", json_integer(c->depth));
	bad |= jset(j, "chain", jstr(cert_chain_name(c->chain)));
	bad |= jset(j, "subject", jstr(c->subject));
	bad |= jset(j, "issuer", jstr(c->issuer));
	bad |= jset(j, "serial", jstr(c->serial));
	bad |= jset(j, "not_before", jstr(c->not_before));
	bad |= jset(j, "not_after", jstr(c->not_after));
	bad |= jset(j, "key", jstr(c->key));
	bad |= jset(j, "sig_alg", jstr(c->sig_alg));
	bad |= jset(j, "sha256", jstr(c->sha256));
	bad |= jset(j, "san", strv_json(c->san, c->nsan));
	bad |= jset(j, "key_type", jstr(cert_key_type_name(c)));
	bad |= jset(j, "key_bits", json_integer(c->key_bits));
	bad |= jset(j, "days_left", json_integer(c->days_left));
	bad |= jset(j, "spki_sha256", jstr(c->spki_sha256));
	bad |= jset(j, "ocsp_uris", strv_json(c->ocsp_uris, c->nocsp_uris));
	bad |= jset(j, "ca_issuers", strv_json(c->ca_issuers, c->nca_issuers));
	bad |= jset(j, "crl_uris", strv_json(c->crl_uris, c->ncrl_uris));
	bad |= jset(j, "must_staple", json_boolean(c->must_staple));
	bad |= jset(j, "sct_count", json_integer(c->sct_count));
	bad |= jset(j, "self_signed", json_boolean(c->self_signed));
	bad |= jset(j, "pem", jstr(c->pem));
	return jdone(j, bad);
}

static json_t *protocols_json(const struct endpoint *ep)
{
	json_t *a = json_array();
	int bad = 0;
	for (size_t i = 0; i < ep->nprotocols; i++) {
		const struct proto_entry *p = &ep->protocols[i];
		json_t *j = json_object();
		bad |= jset(j, "name", json_string(tls_proto_name(p->proto)));
		bad |= jset(j, "offered", tri(p->offered));
		bad |= jset(j, "reason", jstr(p->reason));
		bad |= japp(a, j);
	}
	return jdone(a, bad);
}

static json_t *ciphers_json(const struct endpoint *ep)
{
	json_t *a = json_array();
	int bad = 0;
	for (size_t i = 0; i < ep->nciphers; i++) {
		const struct cipher_entry *c = &ep->ciphers[i];
		char code[16];
		report_code_point(code, sizeof code, c->proto, c->code);
		json_t *j = json_object();
		bad |= jset(j, "protocol", json_string(tls_proto_name(c->proto)));
		bad |= jset(j, "code", json_string(code));
		bad |= jset(j, "iana", jstr(c->iana));
		bad |= jset(j, "openssl", jstr(c->openssl));
		bad |= jset(j, "kx", jstr(c->kx));
		bad |= jset(j, "auth", jstr(c->au));
		bad |= jset(j, "enc", jstr(c->enc));
		bad |= jset(j, "bits", json_integer(c->bits));
		bad |= jset(j, "order", json_integer(c->order));
		bad |= japp(a, j);
	}
	return jdone(a, bad);
}

/* Each offered version's order: true the server's, false the client's,
 * null unknown. */
static json_t *server_order_json(const struct endpoint *ep)
{
	json_t *order = json_object();
	int bad = 0;
	for (int p = P_SSLV2; p < P_COUNT; p++) {
		const struct proto_entry *pe = NULL;
		for (size_t i = 0; i < ep->nprotocols; i++)
			if (ep->protocols[i].proto == (enum tls_proto)p &&
			    ep->protocols[i].offered > 0)
				pe = &ep->protocols[i];
		if (pe)
			bad |= jset(order, tls_proto_name((enum tls_proto)p),
			            tri(ep->server_order[p]));
	}
	return jdone(order, bad);
}

static json_t *dh_json(const struct endpoint *ep)
{
	if (!ep->dh.bits)
		return json_null();
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "bits", json_integer(ep->dh.bits));
	bad |= jset(j, "common_prime", jstr(ep->dh.common));
	return jdone(j, bad);
}

static json_t *transcript_json(const struct endpoint *ep)
{
	json_t *a = json_array();
	int bad = 0;
	for (size_t i = 0; i < ep->ntranscript; i++) {
		const struct tline *l = &ep->transcript[i];
		char dir[2] = {l->dir, '\0'};
		json_t *j = json_object();
		bad |= jset(j, "t_ms", json_real(l->t_ms));
		bad |= jset(j, "dir", json_string(dir));
		bad |= jset(j, "text", jstrn(l->text, l->len));
		bad |= japp(a, j);
	}
	return jdone(a, bad);
}

static json_t *stats_json(const struct endpoint *ep)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "connections", json_integer(ep->stats.connections));
	bad |= jset(j, "duration_ms", json_real(ep->stats.duration_ms));
	return jdone(j, bad);
}

static json_t *resumption_json(const struct endpoint *ep)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "session_id", tri(ep->resume_id));
	bad |= jset(j, "ticket", tri(ep->resume_ticket));
	return jdone(j, bad);
}

static json_t *dane_json(const struct endpoint *ep)
{
	if (!ep->dane.checked)
		return json_null();
	json_t *j = json_object(), *m = json_null();
	int bad = 0;
	if (ep->dane.ok) {
		m = json_object();
		bad |= jset(m, "usage", json_integer(ep->dane.usage));
		bad |= jset(m, "selector", json_integer(ep->dane.selector));
		bad |= jset(m, "mtype", json_integer(ep->dane.mtype));
		bad |= jset(m, "depth", json_integer(ep->dane.depth));
	}
	bad |= jset(j, "ok", json_boolean(ep->dane.ok));
	bad |= jset(j, "matched", m);
	bad |= jset(j, "message", jstr(ep->dane.message));
	return jdone(j, bad);
}

static json_t *server_defaults_json(const struct endpoint *ep)
{
	const typeof(ep->defaults) *d = &ep->defaults;
	if (!d->probed)
		return json_null();
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "extensions", strv_json(d->extensions, d->nextensions));
	bad |= jset(j, "session_id", tri(d->session_id));
	bad |= jset(j, "compression", jint_or_null(d->compression >= 0, d->compression));
	bad |= jset(j, "clock", tri(d->clock));
	bad |= jset(j, "clock_skew_s", jint_or_null(d->clock == 1, d->clock_skew_s));
	bad |= jset(j, "grease_tolerant", tri(d->grease_ok));
	bad |= jset(j, "long_hello_tolerant", tri(d->long_hello_ok));
	bad |= jset(j, "ticket_lifetime_s",
	            jint_or_null(d->ticket_lifetime_s >= 0, d->ticket_lifetime_s));
	return jdone(j, bad);
}

static json_t *grade_json(const struct endpoint *ep)
{
	if (!ep->grade[0])
		return json_null();
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "letter", json_string(ep->grade));
	bad |= jset(j, "score", json_integer(ep->score));
	bad |= jset(j, "caps", strv_json(ep->grade_caps, ep->ngrade_caps));
	bad |= jset(j, "authentication", jstr(ep->auth_verdict));
	return jdone(j, bad);
}

static json_t *endpoint_json(const struct endpoint *ep)
{
	json_t *j = json_object();
	int bad = 0;
	bad |= jset(j, "host", jstr(ep->host));
	bad |= jset(j, "port", json_integer(ep->port));
	bad |= jset(j, "address", jstr(ep->address));
	bad |= jset(j, "mode", json_string(ep->mode == MODE_IMPLICIT ? "implicit" : "starttls"));
	bad |= jset(j, "starttls", jstr(ep->starttls));
	bad |= jset(j, "sni", jstr(ep->sni));
	bad |= jset(j, "dialogue", dialogue_json(ep));
	bad |= jset(j, "clear_text_answer", jstr(ep->tls.clear_text_answer));
	bad |= jset(j, "tls", tls_json(ep));
	bad |= jset(j, "protocols", protocols_json(ep));
	bad |= jset(j, "ciphers", ciphers_json(ep));
	bad |= jset(j, "server_order", server_order_json(ep));
	bad |= jset(j, "groups", strv_json(ep->groups, ep->ngroups));
	bad |= jset(j, "dh", dh_json(ep));
	json_t *certs = json_array();
	for (size_t i = 0; i < ep->ncerts; i++)
		bad |= japp(certs, cert_json(&ep->certs[i]));
	bad |= jset(j, "certificates", certs);
	bad |= jset(j, "findings", findings_json(ep->findings, ep->nfindings));
	bad |= jset(j, "transcript", transcript_json(ep));
	bad |= jset(j, "errors", errors_json(ep->errors, ep->nerrors));
	bad |= jset(j, "stats", stats_json(ep));
	bad |= jset(j, "resumption", resumption_json(ep));
	bad |= jset(j, "client_renegotiation", tri(ep->client_reneg));
	bad |= jset(j, "auth_policy", jstr(auth_policy_name(ep->auth_policy)));
	bad |= jset(j, "dane", dane_json(ep));
	bad |= jset(j, "sigalgs", strv_json(ep->sigalgs, ep->nsigalgs));
	bad |= jset(j, "server_defaults", server_defaults_json(ep));
	bad |= jset(j, "grade", grade_json(ep));
	bad |= jset(j, "vulnerabilities", ep->vulns_ran ? vulns_json(ep) : json_null());
	return jdone(j, bad);
}

/* The mailtls/1 envelope every document and JSON line starts with: schema,
 * tool (this build's version, or the one a document read back was written
 * by: a report saved today says which mailtls made it) and the run-level
 * errors. The caller adds "endpoints", "endpoint" or "domain". */
static json_t *envelope(const struct result *r)
{
	json_t *j = json_object(), *tool = json_object();
	int bad = 0;
	bad |= jset(tool, "name", json_string("mailtls"));
	bad |= jset(tool, "version",
	            r->tool_version ? jstr(r->tool_version) : json_string(MAILTLS_VERSION));
	bad |= jset(j, "schema", json_string(SCHEMA));
	bad |= jset(j, "tool", tool);
	bad |= jset(j, "errors", errors_json(r->errors, r->nerrors));
	return jdone(j, bad);
}

/* Write doc (NULL: it could not be built) and a newline; doc is freed. */
static int emit(json_t *doc, FILE *out, size_t flags)
{
	int rc = !doc || json_dumpf(doc, out, flags) != 0 || fputc('\n', out) == EOF ? -1 : 0;
	json_decref(doc);
	return rc;
}

int report_json(const struct result *r, FILE *out)
{
	json_t *doc = envelope(r), *eps = json_array();
	int bad = 0;
	for (size_t i = 0; i < r->neps; i++)
		bad |= japp(eps, endpoint_json(r->eps[i]));
	bad |= jset(doc, "endpoints", eps);
	if (r->domain)
		bad |= jset(doc, "domain", domain_json(r->domain));
	if (emit(jdone(doc, bad), out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		return -1;
	return fflush(out) == 0 ? 0 : -1;
}

/* One line: the envelope and key set to v (v NULL: it could not be built). */
static int jsonl_line(const struct result *r, const char *key, json_t *v, FILE *out)
{
	json_t *line = envelope(r);
	int bad = jset(line, key, v);
	return emit(jdone(line, bad), out, JSON_COMPACT);
}

int report_jsonl(const struct result *r, FILE *out)
{
	int rc = 0;
	for (size_t i = 0; i < r->neps; i++)
		rc |= jsonl_line(r, "endpoint", endpoint_json(r->eps[i]), out);
	if (r->domain)
		rc |= jsonl_line(r, "domain", domain_json(r->domain), out);
	if (r->neps == 0 && !r->domain)
		rc |= jsonl_line(r, "endpoint", json_null(), out);
	return rc || fflush(out) != 0 ? -1 : 0;
}
