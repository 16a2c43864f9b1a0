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
	json_t *j = esc_utf8(&b, s, n) == 0 ? json_stringn((const char *)b.data ? (const char *)b.data : "", b.len)
					  : json_string("");
	buf_free(&b);
	return j ? j : json_string("");
}

json_t *jstr(const char *s)
{
	return s ? jstrn(s, strlen(s)) : json_null();
}

json_t *strv_json(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, jstr(v[i]));
	return a;
}

json_t *tri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

void report_code_point(char *out, size_t n, enum tls_proto p, uint32_t code)
{
	snprintf(out, n, p == P_SSLV2 ? "0x%06X" : "0x%04X", (unsigned)code);
}

json_t *findings_json(const struct finding *v, size_t n)
{
	json_t *findings = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct finding *f = &v[i];
		json_t *cve = json_array();
		for (size_t j = 0; j < f->ncve; j++)
			json_array_append_new(cve, jstr(f->cve[j]));
		json_array_append_new(findings,
				      json_pack("{s:o,s:s,s:o,s:o,s:o,s:o}", "id", jstr(f->id),
						"severity", severity_name(f->sev), "title",
						jstr(f->title), "detail", jstr(f->detail), "fix",
						jstr(f->fix), "cve", cve));
	}
	return findings;
}

static json_t *errors_json(const struct ep_error *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o,s:o,s:o}", "stage", jstr(v[i].stage),
						   "category", jstr(err_cat_name(v[i].category)), "message",
						   jstr(v[i].message)));
	return a;
}

static json_t *tls_json(const struct endpoint *ep)
{
	const struct tls_summary *t = &ep->tls;
	char code[16];
	if (!t->done)
		return json_null();
	json_t *verrs = json_array();
	for (size_t i = 0; i < t->nverify_errors; i++) {
		const struct verify_error *v = &t->verify_errors[i];
		json_array_append_new(verrs, json_pack("{s:I,s:i,s:o}", "code", (json_int_t)v->code,
						       "depth", v->depth, "message",
						       jstr(v->message)));
	}
	report_code_point(code, sizeof code, P_TLS12, t->cipher_code);
	json_t *j = json_pack("{s:o,s:o,s:o,s:s,s:o,s:f,s:{s:I,s:o,s:b,s:o,s:o}}", "version",
			 jstr(t->version), "cipher", jstr(t->cipher), "cipher_openssl",
			 jstr(t->cipher_openssl), "cipher_code", code, "group", jstr(t->group),
			 "handshake_ms", t->handshake_ms, "verify", "code", (json_int_t)t->verify_code,
			 "message", jstr(t->verify_message), "hostname_checked", t->hostname_checked,
			 "name", jstr(t->verify_name), "errors", verrs);
	if (!j)
		return json_null();
	json_object_set_new(j, "ocsp",
			    json_pack("{s:b,s:o,s:o,s:o,s:o}", "stapled", t->ocsp_stapled, "status",
				      jstr(ocsp_status_name(t->ocsp_status)), "cert_status",
				      jstr(ocsp_cert_status_name(t->ocsp_cert_status)),
				      "age_s",
				      t->ocsp_age_s == OCSP_UNKNOWN ? json_null() : json_integer(t->ocsp_age_s),
				      "expires_s",
				      t->ocsp_expires_s == OCSP_UNKNOWN ? json_null()
									: json_integer(t->ocsp_expires_s)));
	json_object_set_new(j, "secure_renegotiation", tri(t->secure_reneg));
	return j;
}

/* null for implicit TLS; the STARTTLS dialogue's facts otherwise */
static json_t *dialogue_json(const struct endpoint *ep)
{
	const struct dialogue *g = &ep->dlg;
	if (!g->ran)
		return json_null();
	return json_pack("{s:o,s:o,s:f,s:o,s:o,s:o,s:b,s:o,s:b,s:b,s:o,s:o,s:o,s:b,s:b,s:I,s:i,s:b,s:b}",
			 "greeting_code", g->greeting_code ? json_integer(g->greeting_code) : json_null(),
			 "greeting", jstr(g->greeting), "greeting_ms", g->greeting_ms,
			 "hello_code", g->hello_code ? json_integer(g->hello_code) : json_null(),
			 "capabilities", strv_json(g->caps_pre, g->ncaps_pre),
			 "capabilities_tls",
			 g->caps_post_known ? strv_json(g->caps_post, g->ncaps_post) : json_null(),
			 "starttls_advertised", g->starttls_advertised, "starttls_masked",
			 jstr(g->starttls_masked), "starttls_sent", g->starttls_sent, "starttls_ok",
			 g->starttls_ok,
			 "starttls_code", g->starttls_code ? json_integer(g->starttls_code) : json_null(),
			 "starttls_reply", jstr(g->starttls_reply), "auth_clear", jstr(g->auth_clear),
			 "auth_tls", g->auth_tls, "preauth", g->preauth, "pipelined_bytes",
			 (json_int_t)g->pipelined_bytes, "throttled", g->throttled, "silent",
			 g->silent, "implicit_answered", g->implicit_answered);
}

static json_t *cert_json(const struct cert_entry *c)
{
	json_t *j = json_pack("{s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "depth", c->depth,
			      "chain", jstr(cert_chain_name(c->chain)), "subject",
			      jstr(c->subject), "issuer", jstr(c->issuer), "serial",
			      jstr(c->serial), "not_before", jstr(c->not_before), "not_after",
			      jstr(c->not_after), "key", jstr(c->key), "sig_alg", jstr(c->sig_alg),
			      "sha256", jstr(c->sha256), "san", strv_json(c->san, c->nsan));
	json_object_set_new(j, "key_type", jstr(cert_key_type_name(c)));
	json_object_set_new(j, "key_bits", json_integer(c->key_bits));
	json_object_set_new(j, "days_left", json_integer(c->days_left));
	json_object_set_new(j, "spki_sha256", jstr(c->spki_sha256));
	json_object_set_new(j, "ocsp_uris", strv_json(c->ocsp_uris, c->nocsp_uris));
	json_object_set_new(j, "ca_issuers", strv_json(c->ca_issuers, c->nca_issuers));
	json_object_set_new(j, "crl_uris", strv_json(c->crl_uris, c->ncrl_uris));
	json_object_set_new(j, "must_staple", json_boolean(c->must_staple));
	json_object_set_new(j, "sct_count", json_integer(c->sct_count));
	json_object_set_new(j, "self_signed", json_boolean(c->self_signed));
	json_object_set_new(j, "pem", jstr(c->pem));
	return j;
}

static json_t *endpoint_json(const struct endpoint *ep)
{
	json_t *protocols = json_array(), *ciphers = json_array(), *groups = json_array();
	json_t *certs = json_array(), *transcript = json_array();
	char code[16];

	for (size_t i = 0; i < ep->nprotocols; i++) {
		const struct proto_entry *p = &ep->protocols[i];
		json_array_append_new(
			protocols,
			json_pack("{s:s,s:o,s:o}", "name", tls_proto_name(p->proto), "offered",
				  p->offered < 0 ? json_null() : json_boolean(p->offered), "reason",
				  jstr(p->reason)));
	}
	for (size_t i = 0; i < ep->nciphers; i++) {
		const struct cipher_entry *c = &ep->ciphers[i];
		report_code_point(code, sizeof code, c->proto, c->code);
		json_array_append_new(
			ciphers, json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:i,s:i}", "protocol",
					   tls_proto_name(c->proto), "code", code, "iana",
					   jstr(c->iana), "openssl", jstr(c->openssl), "kx",
					   jstr(c->kx), "auth", jstr(c->au), "enc", jstr(c->enc),
					   "bits", c->bits, "order", c->order));
	}
	for (size_t i = 0; i < ep->ngroups; i++)
		json_array_append_new(groups, jstr(ep->groups[i]));
	json_t *order = json_object();
	for (int p = P_SSLV2; p < P_COUNT; p++) {
		const struct proto_entry *pe = NULL;
		for (size_t i = 0; i < ep->nprotocols; i++)
			if (ep->protocols[i].proto == (enum tls_proto)p && ep->protocols[i].offered > 0)
				pe = &ep->protocols[i];
		if (pe)
			json_object_set_new(order, tls_proto_name((enum tls_proto)p),
					    ep->server_order[p] < 0 ? json_null()
								    : json_boolean(ep->server_order[p]));
	}
	json_t *dh = ep->dh.bits ? json_pack("{s:i,s:o}", "bits", ep->dh.bits, "common_prime",
					     jstr(ep->dh.common))
				 : json_null();
	for (size_t i = 0; i < ep->ncerts; i++)
		json_array_append_new(certs, cert_json(&ep->certs[i]));
	for (size_t i = 0; i < ep->ntranscript; i++) {
		const struct tline *l = &ep->transcript[i];
		char dir[2] = {l->dir, '\0'};
		json_array_append_new(transcript, json_pack("{s:f,s:s,s:o}", "t_ms", l->t_ms, "dir",
							    dir, "text", jstrn(l->text, l->len)));
	}
	json_t *j = json_pack("{s:o,s:i,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:i,s:f}}",
			 "host", jstr(ep->host), "port", ep->port, "address", jstr(ep->address),
			 "mode", ep->mode == MODE_IMPLICIT ? "implicit" : "starttls", "starttls",
			 jstr(ep->starttls), "sni", jstr(ep->sni),
			 "dialogue", dialogue_json(ep), "clear_text_answer",
			 jstr(ep->tls.clear_text_answer), "tls", tls_json(ep),
			 "protocols", protocols, "ciphers", ciphers, "server_order", order,
			 "groups", groups, "dh", dh,
			 "certificates", certs, "findings", findings_json(ep->findings, ep->nfindings), "transcript", transcript,
			 "errors", errors_json(ep->errors, ep->nerrors), "stats", "connections",
			 ep->stats.connections, "duration_ms", ep->stats.duration_ms);
	if (j) {
		json_object_set_new(j, "resumption",
				    json_pack("{s:o,s:o}", "session_id", tri(ep->resume_id), "ticket",
					      tri(ep->resume_ticket)));
		json_object_set_new(j, "client_renegotiation", tri(ep->client_reneg));
		json_object_set_new(j, "auth_policy", jstr(auth_policy_name(ep->auth_policy)));
		json_object_set_new(
			j, "dane",
			!ep->dane.checked
				? json_null()
				: json_pack("{s:b,s:o,s:o}", "ok", ep->dane.ok, "matched",
					    ep->dane.ok ? json_pack("{s:i,s:i,s:i,s:i}", "usage",
								    ep->dane.usage, "selector",
								    ep->dane.selector, "mtype",
								    ep->dane.mtype, "depth",
								    ep->dane.depth)
							: json_null(),
					    "message", jstr(ep->dane.message)));
		json_object_set_new(j, "sigalgs", strv_json(ep->sigalgs, ep->nsigalgs));
		const typeof(ep->defaults) *d = &ep->defaults;
		json_object_set_new(
			j, "server_defaults",
			!d->probed ? json_null()
				   : json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "extensions",
					       strv_json(d->extensions, d->nextensions),
					       "session_id", tri(d->session_id), "compression",
					       d->compression < 0 ? json_null()
								  : json_integer(d->compression),
					       "clock", tri(d->clock), "clock_skew_s",
					       d->clock == 1 ? json_integer(d->clock_skew_s)
							     : json_null(),
					       "grease_tolerant", tri(d->grease_ok),
					       "long_hello_tolerant", tri(d->long_hello_ok),
					       "ticket_lifetime_s",
					       d->ticket_lifetime_s < 0
						       ? json_null()
						       : json_integer(d->ticket_lifetime_s)));
		json_object_set_new(j, "grade",
				    ep->grade[0] ? json_pack("{s:s,s:i,s:o,s:o}", "letter", ep->grade,
							     "score", ep->score, "caps",
							     strv_json(ep->grade_caps, ep->ngrade_caps),
							     "authentication", jstr(ep->auth_verdict))
						 : json_null());
		if (ep->nvulns) {
			json_t *vj = vulns_json(ep);
			if (!vj || json_object_set_new(j, "vulnerabilities", vj)) {
				json_decref(j);
				return NULL;
			}
		}
	}
	return j;
}

/* This build's version, or the one a document read back was written by
 * (kept as it was: a report saved today says which mailtls made it). */
static json_t *tool_version(const struct result *r)
{
	return r->tool_version ? jstr(r->tool_version) : json_string(MAILTLS_VERSION);
}

int report_json(const struct result *r, FILE *out)
{
	json_t *eps = json_array();
	for (size_t i = 0; i < r->neps; i++)
		json_array_append_new(eps, endpoint_json(r->eps[i]));
	json_t *doc = json_pack("{s:s,s:{s:s,s:o},s:o,s:o}", "schema", SCHEMA, "tool", "name",
				"mailtls", "version", tool_version(r), "errors",
				errors_json(r->errors, r->nerrors), "endpoints", eps);
	if (!doc)
		return -1;
	if (r->domain)
		json_object_set_new(doc, "domain", domain_json(r->domain));
	int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (rc != 0 || fputc('\n', out) == EOF || fflush(out) != 0)
		return -1;
	return 0;
}

int report_jsonl(const struct result *r, FILE *out)
{
	int rc = 0;
	for (size_t i = 0; i < r->neps; i++) {
		json_t *line = json_pack("{s:s,s:{s:s,s:o},s:o,s:o}", "schema", SCHEMA, "tool", "name",
					 "mailtls", "version", tool_version(r), "errors",
					 errors_json(r->errors, r->nerrors), "endpoint",
					 endpoint_json(r->eps[i]));
		rc |= !line || json_dumpf(line, out, JSON_COMPACT) != 0 || fputc('\n', out) == EOF;
		json_decref(line);
	}
	if (r->domain) {
		json_t *line = json_pack("{s:s,s:{s:s,s:o},s:o,s:o}", "schema", SCHEMA, "tool", "name",
					 "mailtls", "version", tool_version(r), "errors",
					 errors_json(r->errors, r->nerrors), "domain",
					 domain_json(r->domain));
		rc |= !line || json_dumpf(line, out, JSON_COMPACT) != 0 || fputc('\n', out) == EOF;
		json_decref(line);
	}
	if (r->neps == 0 && !r->domain) {
		json_t *line = json_pack("{s:s,s:{s:s,s:o},s:o,s:n}", "schema", SCHEMA, "tool", "name",
					 "mailtls", "version", tool_version(r), "errors",
					 errors_json(r->errors, r->nerrors), "endpoint");
		rc |= !line || json_dumpf(line, out, JSON_COMPACT) != 0 || fputc('\n', out) == EOF;
		json_decref(line);
	}
	return rc || fflush(out) != 0 ? -1 : 0;
}
