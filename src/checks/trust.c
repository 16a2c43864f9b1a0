/* trust.c - certificate verification result -> findings with a fix each.
 * Problems come sorted by tls/ossl.c (enum tls_verify); the detail still
 * names OpenSSL's code, which `openssl s_client` prints as "Verify return
 * code". */
#include "checks/checks.h"

#include <stdio.h>
#include <string.h>

struct trust_rule {
	enum tls_verify kind;
	const char *id;
	const char *title;
	const char *fix;
};

static const struct trust_rule rules[] = {
	{TLS_VFY_SELF_SIGNED, "cert-self-signed",
	 "The certificate is self-signed",
	 "Other servers and clients will not trust it. Get a certificate from a public CA "
	 "(Let's Encrypt is free and automatic), or publish DANE TLSA records for it."},
	{TLS_VFY_UNTRUSTED_ROOT, "cert-untrusted-root",
	 "The chain ends in a root that is not trusted",
	 "Use a certificate from a CA that clients trust, or pass --ca-file if this is a "
	 "private CA you trust."},
	{TLS_VFY_ISSUER_UNKNOWN, "cert-chain-incomplete",
	 "The issuer of a certificate in the chain is missing or unknown",
	 "Serve the intermediate certificate(s) with the leaf (the 'fullchain' file), and use a "
	 "CA that clients trust."},
	{TLS_VFY_LEAF_ISSUER_MISSING, "cert-chain-incomplete",
	 "The chain is incomplete: the leaf's issuer was not sent",
	 "Serve the intermediate certificate(s) with the leaf (the 'fullchain' file)."},
	{TLS_VFY_EXPIRED, "cert-expired", "A certificate in the chain has expired",
	 "Renew the certificate and reload the server; automate renewal (e.g. certbot) so it "
	 "cannot happen again."},
	{TLS_VFY_NOT_YET_VALID, "cert-not-yet-valid",
	 "A certificate in the chain is not valid yet",
	 "Check the server's clock and the certificate's notBefore date."},
	{TLS_VFY_HOSTNAME_MISMATCH, "cert-hostname-mismatch",
	 "The certificate does not match the host name",
	 "Get a certificate whose subjectAltName includes the name clients connect to (for a "
	 "mail server: the MX host name)."},
	{TLS_VFY_IP_MISMATCH, "cert-hostname-mismatch",
	 "The certificate does not match the address",
	 "Connect by host name, or get a certificate that lists this address."},
};

static const struct trust_rule fallback = {
	TLS_VFY_OTHER, "cert-untrusted", "The certificate chain does not verify",
	"Fix the chain so that it verifies to a CA clients trust; the detail names OpenSSL's reason."};

static const struct trust_rule *rule_for(enum tls_verify kind)
{
	for (size_t i = 0; i < ARRAY_LEN(rules); i++)
		if (rules[i].kind == kind)
			return &rules[i];
	return &fallback;
}

int check_trust_is_finding(const char *id)
{
	if (strcmp(id, fallback.id) == 0)
		return 1;
	for (size_t i = 0; i < ARRAY_LEN(rules); i++)
		if (strcmp(id, rules[i].id) == 0)
			return 1;
	return 0;
}

static int already(const struct endpoint *ep, const char *id)
{
	for (size_t i = 0; i < ep->nfindings; i++)
		if (strcmp(ep->findings[i].id, id) == 0)
			return 1;
	return 0;
}

static void add_detail_names(char *out, size_t n, const struct endpoint *ep)
{
	size_t used = strlen(out);
	if (ep->ncerts == 0 || ep->certs[0].nsan == 0)
		return;
	used += (size_t)snprintf(out + used, n - used, "; the certificate names:");
	for (size_t i = 0; i < ep->certs[0].nsan && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, " %s", ep->certs[0].san[i]);
}

void check_trust(struct endpoint *ep, const struct checks_cfg *cfg)
{
	const struct tls_summary *t = &ep->tls;
	char detail[1024];

	if (!t->done)
		return;
	if (t->nverify_errors == 0) {
		snprintf(detail, sizeof detail, "the chain verifies%s%s",
			 t->hostname_checked ? " and matches " : "",
			 t->hostname_checked && t->verify_name ? t->verify_name : "");
		ep_add_finding(ep, "cert-trusted", SEV_OK, "The certificate is trusted", detail,
			       NULL);
		return;
	}
	for (size_t i = 0; i < t->nverify_errors; i++) {
		const struct verify_error *v = &t->verify_errors[i];
		const struct trust_rule *rule = rule_for(v->kind);
		if (already(ep, rule->id))
			continue;
		snprintf(detail, sizeof detail, "OpenSSL verify error %ld at depth %d: %s", v->code,
			 v->depth, v->message);
		if ((v->kind == TLS_VFY_ISSUER_UNKNOWN ||
		     v->kind == TLS_VFY_LEAF_ISSUER_MISSING) &&
		    v->depth >= 0 && (size_t)v->depth < ep->ncerts) {
			/* Name the missing issuer: the one of the certificate
			 * where the chain broke. */
			const struct cert_entry *c = &ep->certs[v->depth];
			size_t used = strlen(detail);
			snprintf(detail + used, sizeof detail - used,
				 "; the issuer \"%.200s\" of \"%.200s\" was neither sent by the "
				 "server nor found among the trusted CAs",
				 c->issuer ? c->issuer : "?", c->subject ? c->subject : "?");
		}
		if (v->kind == TLS_VFY_HOSTNAME_MISMATCH || v->kind == TLS_VFY_IP_MISMATCH) {
			size_t used = strlen(detail);
			snprintf(detail + used, sizeof detail - used, "; asked for %s",
				 t->verify_name ? t->verify_name : "?");
			add_detail_names(detail, sizeof detail, ep);
		}
		ep_add_finding(ep, rule->id, SEV_HIGH, rule->title, detail, rule->fix);
	}
}
