/* result.c - construction and release of the result model. */
#include "model/result.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/mem.h"
#include "model/domain.h"

static const char *const sev_names[] = {"ok", "info", "low", "medium", "high", "critical"};

const char *severity_name(enum severity s)
{
	return (unsigned)s < ARRAY_LEN(sev_names) ? sev_names[s] : "?";
}

int model_name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static const char *const auth_policy_names[] = {
    [AUTH_POLICY_UNSET] = NULL,
    [AUTH_POLICY_NONE] = "none",
    [AUTH_POLICY_DANE] = "dane",
    [AUTH_POLICY_MTA_STS_ENFORCE] = "mta-sts-enforce",
    [AUTH_POLICY_MTA_STS_TESTING] = "mta-sts-testing",
};

const char *auth_policy_name(enum auth_policy p)
{
	return (unsigned)p < ARRAY_LEN(auth_policy_names) ? auth_policy_names[p] : NULL;
}

int auth_policy_parse(const char *s, enum auth_policy *out)
{
	int i = model_name_index(auth_policy_names, ARRAY_LEN(auth_policy_names), s);
	if (i < 0)
		return -1;
	*out = (enum auth_policy)i;
	return 0;
}

#define NAME_FNS(prefix, type, table)                                                              \
	const char *prefix##_name(type v)                                                          \
	{                                                                                          \
		return (unsigned)v < ARRAY_LEN(table) ? table[v] : NULL;                           \
	}                                                                                          \
	int prefix##_parse(const char *s, type *out)                                               \
	{                                                                                          \
		int i = model_name_index(table, ARRAY_LEN(table), s);                              \
		if (i < 0)                                                                         \
			return -1;                                                                 \
		*out = (type)i;                                                                    \
		return 0;                                                                          \
	}

static const char *const key_type_names[] = {
    [KEY_TYPE_UNSET] = NULL,	   [KEY_TYPE_RSA] = "RSA",	   [KEY_TYPE_EC] = "EC",
    [KEY_TYPE_DSA] = "DSA",	   [KEY_TYPE_ED25519] = "Ed25519", [KEY_TYPE_ED448] = "Ed448",
    [KEY_TYPE_UNKNOWN] = "unknown", [KEY_TYPE_OTHER] = NULL,
};
NAME_FNS(key_type, enum key_type, key_type_names)

const char *cert_key_type_name(const struct cert_entry *c)
{
	return c->key_type == KEY_TYPE_OTHER ? c->key_type_other : key_type_name(c->key_type);
}

static const char *const err_stage_names[] = {
    [STAGE_TARGET] = "target",
    [STAGE_SETUP] = "setup",
    [STAGE_RESOLVE] = "resolve",
    [STAGE_DNSSEC] = "dnssec",
    [STAGE_MX] = "mx",
    [STAGE_SCAN] = "scan",
    [STAGE_CONNECT] = "connect",
    [STAGE_DIALOGUE] = "dialogue",
    [STAGE_TLS] = "tls",
    [STAGE_AFTER_TLS] = "after-tls",
    [STAGE_RENEGOTIATION] = "renegotiation",
    [STAGE_PROBE] = "probe",
    [STAGE_DONE] = "done",
    [STAGE_ENUMERATE] = "enumerate",
    [STAGE_OTHER] = NULL,
};
NAME_FNS(err_stage, enum err_stage, err_stage_names)

const char *ep_error_stage_name(const struct ep_error *e)
{
	if (e->stage == STAGE_OTHER)
		return e->stage_other ? e->stage_other : "";
	return err_stage_name(e->stage);
}

static const char *const cert_chain_names[] = {
    [CHAIN_DEFAULT] = "default",
    [CHAIN_ECDSA] = "ecdsa",
    [CHAIN_RSA] = "rsa",
};
NAME_FNS(cert_chain, enum cert_chain, cert_chain_names)

static const char *const sig_hash_names[] = {
    [SIG_HASH_UNSET] = NULL,	   [SIG_HASH_MD2] = "MD2",	   [SIG_HASH_MD4] = "MD4",
    [SIG_HASH_MD5] = "MD5",	   [SIG_HASH_SHA1] = "SHA-1",	   [SIG_HASH_SHA224] = "SHA-224",
    [SIG_HASH_SHA256] = "SHA-256", [SIG_HASH_SHA384] = "SHA-384", [SIG_HASH_SHA512] = "SHA-512",
    [SIG_HASH_OTHER] = NULL,
};

const char *sig_hash_name(enum sig_hash h)
{
	return (unsigned)h < ARRAY_LEN(sig_hash_names) ? sig_hash_names[h] : NULL;
}

/* OpenSSL's long names of the signature algorithms with one of these
 * hashes (OBJ_find_sigid_algs), as tls descriptions store them. */
static const struct {
	const char *alg;
	enum sig_hash hash;
} sig_algs[] = {
    {"md2WithRSAEncryption", SIG_HASH_MD2},	{"md4WithRSAEncryption", SIG_HASH_MD4},
    {"md5WithRSAEncryption", SIG_HASH_MD5},	{"md5WithRSA", SIG_HASH_MD5},
    {"sha1WithRSAEncryption", SIG_HASH_SHA1},	{"sha1WithRSA", SIG_HASH_SHA1},
    {"dsaWithSHA1", SIG_HASH_SHA1},		{"dsaWithSHA1-old", SIG_HASH_SHA1},
    {"ecdsa-with-SHA1", SIG_HASH_SHA1},		{"sha224WithRSAEncryption", SIG_HASH_SHA224},
    {"ecdsa-with-SHA224", SIG_HASH_SHA224},	{"dsa_with_SHA224", SIG_HASH_SHA224},
    {"sha256WithRSAEncryption", SIG_HASH_SHA256}, {"ecdsa-with-SHA256", SIG_HASH_SHA256},
    {"dsa_with_SHA256", SIG_HASH_SHA256},	{"sha384WithRSAEncryption", SIG_HASH_SHA384},
    {"ecdsa-with-SHA384", SIG_HASH_SHA384},	{"sha512WithRSAEncryption", SIG_HASH_SHA512},
    {"ecdsa-with-SHA512", SIG_HASH_SHA512},
};

enum sig_hash sig_hash_of_alg(const char *sig_alg)
{
	if (!sig_alg)
		return SIG_HASH_UNSET;
	for (size_t i = 0; i < ARRAY_LEN(sig_algs); i++)
		if (strcmp(sig_alg, sig_algs[i].alg) == 0)
			return sig_algs[i].hash;
	return SIG_HASH_OTHER;
}

static const char *const ocsp_status_names[] = {
    [OCSP_ST_UNSET] = NULL,
    [OCSP_ST_SUCCESSFUL] = "successful",
    [OCSP_ST_MALFORMED_REQUEST] = "malformedrequest",
    [OCSP_ST_INTERNAL_ERROR] = "internalerror",
    [OCSP_ST_TRY_LATER] = "trylater",
    [OCSP_ST_SIG_REQUIRED] = "sigrequired",
    [OCSP_ST_UNAUTHORIZED] = "unauthorized",
    [OCSP_ST_UNKNOWN_CODE] = "(UNKNOWN)",
    [OCSP_ST_UNPARSABLE] = "unparsable",
};
NAME_FNS(ocsp_status, enum ocsp_status, ocsp_status_names)

static const char *const ocsp_cert_status_names[] = {
    [OCSP_CERT_UNSET] = NULL,
    [OCSP_CERT_GOOD] = "good",
    [OCSP_CERT_REVOKED] = "revoked",
    [OCSP_CERT_UNKNOWN] = "unknown",
};
NAME_FNS(ocsp_cert_status, enum ocsp_cert_status, ocsp_cert_status_names)

int severity_parse(const char *s, enum severity *out)
{
	for (size_t i = 0; i < ARRAY_LEN(sev_names); i++) {
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (enum severity)i;
			return 0;
		}
	}
	return -1;
}

void str_set(char **slot, const char *s)
{
	free(*slot);
	*slot = s ? xstrdup(s) : NULL;
}

struct result *result_new(void)
{
	return xcalloc(1, sizeof(struct result));
}

static void errors_free(struct ep_error *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].stage_other);
		free(v[i].message);
	}
	free(v);
}

static struct ep_error *error_push(struct ep_error **v, size_t *n, size_t *cap,
                                   enum err_stage stage, enum err_cat category, const char *message)
{
	struct ep_error *e = xvec_push(v, n, cap, sizeof(*e));
	e->stage = stage;
	e->stage_other = NULL;
	e->category = category;
	e->message = xstrdup(message);
	return e;
}

static void finding_free(struct finding *f);

void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void cert_free(struct cert_entry *c)
{
	free(c->subject);
	free(c->issuer);
	free(c->serial);
	free(c->not_before);
	free(c->not_after);
	free(c->key);
	free(c->sig_alg);
	free(c->sha256);
	for (size_t i = 0; i < c->nsan; i++)
		free(c->san[i]);
	free(c->san);
	free(c->key_type_other);
	free(c->spki_sha256);
	free(c->pem);
	strv_free(c->ocsp_uris, c->nocsp_uris);
	strv_free(c->ca_issuers, c->nca_issuers);
	strv_free(c->crl_uris, c->ncrl_uris);
}

void dlg_add_cap_to(char ***v, size_t *n, size_t *cap, const char *text)
{
	char **slot = xvec_push(v, n, cap, sizeof(**v));
	*slot = xstrdup(text);
}

const char *dlg_cap_find(char **v, size_t n, const char *kw)
{
	size_t len = strlen(kw);
	for (size_t i = 0; i < n; i++) {
		const char *l = v[i];
		if (strncasecmp(l, kw, len) == 0 &&
		    (l[len] == '\0' || l[len] == ' ' || l[len] == '='))
			return l;
	}
	return NULL;
}

int dlg_cap_listed(char **v, size_t n, const char *line)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i], line) == 0)
			return 1;
	return 0;
}

int dlg_cap_is_starttls(const char *line)
{
	return strcasecmp(line, "STARTTLS") == 0 || strcasecmp(line, "STLS") == 0;
}

int ep_same_target(const struct endpoint *a, const struct endpoint *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

static void endpoint_free(struct endpoint *ep)
{
	free(ep->dh.common);
	vulns_free(ep->vulns, ep->nvulns);
	strv_free(ep->grade_caps, ep->ngrade_caps);
	strv_free(ep->sigalgs, ep->nsigalgs);
	strv_free(ep->defaults.extensions, ep->defaults.nextensions);
	free(ep->auth_verdict);
	free(ep->dane.message);
	free(ep->dlg.greeting);
	strv_free(ep->dlg.caps_pre, ep->dlg.ncaps_pre);
	strv_free(ep->dlg.caps_post, ep->dlg.ncaps_post);
	free(ep->dlg.starttls_masked);
	free(ep->dlg.starttls_reply);
	free(ep->dlg.auth_clear);
	free(ep->host);
	free(ep->address);
	free(ep->starttls);
	free(ep->sni);
	free(ep->tls.cipher);
	free(ep->tls.cipher_openssl);
	free(ep->tls.group);
	free(ep->tls.verify_message);
	free(ep->tls.verify_name);
	free(ep->tls.clear_text_answer);
	free(ep->tls.failed_alert_name);
	for (size_t i = 0; i < ep->tls.nverify_errors; i++)
		free(ep->tls.verify_errors[i].message);
	free(ep->tls.verify_errors);
	for (size_t i = 0; i < ep->nprotocols; i++)
		free(ep->protocols[i].reason);
	free(ep->protocols);
	for (size_t i = 0; i < ep->nciphers; i++) {
		free(ep->ciphers[i].iana);
		free(ep->ciphers[i].openssl);
		free(ep->ciphers[i].kx);
		free(ep->ciphers[i].au);
		free(ep->ciphers[i].enc);
	}
	free(ep->ciphers);
	for (size_t i = 0; i < ep->ngroups; i++)
		free(ep->groups[i]);
	free(ep->groups);
	for (size_t i = 0; i < ep->ncerts; i++)
		cert_free(&ep->certs[i]);
	free(ep->certs);
	for (size_t i = 0; i < ep->nfindings; i++)
		finding_free(&ep->findings[i]);
	free(ep->findings);
	for (size_t i = 0; i < ep->ntranscript; i++)
		free(ep->transcript[i].text);
	free(ep->transcript);
	errors_free(ep->errors, ep->nerrors);
	free(ep);
}

void result_free_endpoint(struct endpoint *ep)
{
	if (ep)
		endpoint_free(ep);
}

void result_free(struct result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->neps; i++)
		endpoint_free(r->eps[i]);
	free(r->eps);
	errors_free(r->errors, r->nerrors);
	domain_info_free(r->domain);
	free(r->tool_version);
	free(r);
}

struct ep_error *result_add_error(struct result *r, enum err_stage stage, enum err_cat category,
                                  const char *message)
{
	return error_push(&r->errors, &r->nerrors, &r->caperrors, stage, category, message);
}

struct endpoint *result_add_endpoint(struct result *r, const char *host, uint16_t port,
				     const char *address)
{
	struct endpoint *ep = xcalloc(1, sizeof(*ep));
	ep->host = xstrdup(host);
	ep->port = port;
	ep->address = address ? xstrdup(address) : NULL;
	ep->tls.verify_code = -1;
	ep->dane.depth = -1;
	for (int i = 0; i < P_COUNT; i++)
		ep->server_order[i] = -1;
	ep->resume_id = ep->resume_ticket = ep->client_reneg = -1;
	ep->defaults.session_id = ep->defaults.compression = ep->defaults.clock = -1;
	ep->defaults.grease_ok = ep->defaults.long_hello_ok = -1;
	ep->defaults.ticket_lifetime_s = -1;
	ep->tls.secure_reneg = -1;
	ep->tls.failed_alert = -1;
	ep->tls.ocsp_age_s = ep->tls.ocsp_expires_s = OCSP_UNKNOWN;
	struct endpoint **slot = xvec_push(&r->eps, &r->neps, &r->capeps, sizeof(*r->eps));
	*slot = ep;
	return ep;
}

struct finding *ep_add_finding(struct endpoint *ep, const char *id, enum severity sev,
			       const char *title, const char *detail, const char *fix)
{
	return findings_push(&ep->findings, &ep->nfindings, &ep->capfindings, id, sev, title,
			     detail, fix);
}

struct finding *findings_push(struct finding **v, size_t *n, size_t *cap, const char *id,
			      enum severity sev, const char *title, const char *detail,
			      const char *fix)
{
	struct finding *f = xvec_push(v, n, cap, sizeof(*f));
	f->id = xstrdup(id);
	f->sev = sev;
	f->title = xstrdup(title);
	f->detail = detail ? xstrdup(detail) : NULL;
	f->fix = fix ? xstrdup(fix) : NULL;
	return f;
}

void finding_add_cve(struct finding *f, const char *cve)
{
	f->cve = xrealloc(f->cve, (f->ncve + 1) * sizeof(*f->cve));
	f->cve[f->ncve++] = xstrdup(cve);
}

struct ep_error *ep_add_error(struct endpoint *ep, enum err_stage stage, enum err_cat category,
                              const char *message)
{
	return error_push(&ep->errors, &ep->nerrors, &ep->caperrors, stage, category, message);
}

void ep_add_tline(struct endpoint *ep, double t_ms, char dir, const void *text, size_t len)
{
	struct tline *l =
		xvec_push(&ep->transcript, &ep->ntranscript, &ep->captranscript, sizeof(*l));
	l->t_ms = t_ms;
	l->dir = dir;
	l->text = xmalloc(len + 1);
	memcpy(l->text, text, len);
	l->text[len] = '\0';
	l->len = len;
}

struct cert_entry *ep_add_cert(struct endpoint *ep)
{
	struct cert_entry *c = xvec_push(&ep->certs, &ep->ncerts, &ep->capcerts, sizeof(*c));
	c->depth = (int)ep->ncerts - 1;
	return c;
}

void strv_push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

void cert_add_san(struct cert_entry *c, const char *name)
{
	strv_push(&c->san, &c->nsan, name);
}

void ep_set_protocol(struct endpoint *ep, enum tls_proto p, int offered)
{
	for (size_t i = 0; i < ep->nprotocols; i++) {
		if (ep->protocols[i].proto == p) {
			ep->protocols[i].offered = offered;
			return;
		}
	}
	struct proto_entry *e =
		xvec_push(&ep->protocols, &ep->nprotocols, &ep->capprotocols, sizeof(*e));
	e->proto = p;
	e->offered = offered;
}

void ep_set_protocol_reason(struct endpoint *ep, enum tls_proto p, const char *reason)
{
	for (size_t i = 0; i < ep->nprotocols; i++)
		if (ep->protocols[i].proto == p)
			str_set(&ep->protocols[i].reason, reason);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct cipher_entry *ep_add_cipher(struct endpoint *ep, enum tls_proto p, uint32_t code,
				   const char *iana, const char *openssl, const char *kx,
				   const char *au, const char *enc, int bits, int order)
{
	struct cipher_entry *c =
		xvec_push(&ep->ciphers, &ep->nciphers, &ep->capciphers, sizeof(*c));
	c->proto = p;
	c->code = code;
	c->iana = dup_or_null(iana);
	c->openssl = dup_or_null(openssl);
	c->kx = dup_or_null(kx);
	c->au = dup_or_null(au);
	c->enc = dup_or_null(enc);
	c->kx_kind = tls_kx_of_openssl(kx);
	c->au_kind = tls_au_of_openssl(au);
	c->bits = bits;
	c->order = order;
	return c;
}

void ep_add_group(struct endpoint *ep, const char *name)
{
	for (size_t i = 0; i < ep->ngroups; i++)
		if (strcmp(ep->groups[i], name) == 0)
			return;
	char **g = xvec_push(&ep->groups, &ep->ngroups, &ep->capgroups, sizeof(*g));
	*g = xstrdup(name);
}

static void finding_free(struct finding *f)
{
	free(f->id);
	free(f->title);
	free(f->detail);
	free(f->fix);
	strv_free(f->cve, f->ncve);
}

void findings_drop_below(struct finding *v, size_t *n, enum severity min)
{
	size_t keep = 0;
	for (size_t j = 0; j < *n; j++) {
		if (v[j].sev >= min)
			v[keep++] = v[j];
		else
			finding_free(&v[j]);
	}
	*n = keep;
}

void result_drop_findings_below(struct result *r, enum severity min)
{
	for (size_t i = 0; i < r->neps; i++) {
		findings_drop_below(r->eps[i]->findings, &r->eps[i]->nfindings, min);
		if (min > SEV_OK)
			vulns_keep_linked(r->eps[i]);
	}
	if (r->domain)
		findings_drop_below(r->domain->findings, &r->domain->nfindings, min);
}

enum severity findings_max_severity(const struct finding *v, size_t n)
{
	enum severity m = SEV_OK;
	for (size_t i = 0; i < n; i++)
		if (v[i].sev > m)
			m = v[i].sev;
	return m;
}

int ep_scanned(const struct endpoint *ep)
{
	if (ep->tls.done || ep->nerrors == 0)
		return 1;
	for (size_t i = 0; ep->enumerated && i < ep->nprotocols; i++)
		if (ep->protocols[i].offered > 0)
			return 1;
	return 0;
}

const struct ep_error *ep_connect_error(const struct endpoint *ep)
{
	for (size_t i = 0; i < ep->nerrors; i++)
		if (ep->errors[i].stage == STAGE_CONNECT)
			return &ep->errors[i];
	return NULL;
}

enum severity ep_max_severity(const struct endpoint *ep)
{
	return findings_max_severity(ep->findings, ep->nfindings);
}

void findings_free(struct finding *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		finding_free(&v[i]);
	free(v);
}
