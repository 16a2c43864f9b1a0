/* certs.c - findings about the certificates themselves and the session
 * features around them: expiry, key and signature strength, OCSP
 * stapling, renegotiation, resumption. Trust (the verify result) is in
 * trust.c. */
#include "checks/checks.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A broken hash in a certificate's signature: the MD family (named MD5
 * in the finding, all of them forgeable) and SHA-1; NULL when none. */
static const char *weak_hash(enum sig_hash h)
{
	switch (h) {
	case SIG_HASH_MD2:
	case SIG_HASH_MD4:
	case SIG_HASH_MD5:
		return "MD5";
	case SIG_HASH_SHA1:
		return "SHA-1";
	default:
		return NULL;
	}
}

static void expiry(struct endpoint *ep, const struct cert_entry *c, int warn_days)
{
	char detail[512];
	if (c->days_left < 0 || c->days_left >= warn_days)
		return; /* expired: the verify result says it (cert-expired) */
	snprintf(detail, sizeof detail,
		 "%s certificate \"%.200s\" (%s) expires on %s, in %ld day%s",
		 c->depth == 0 ? "the server" : "an intermediate", c->subject, c->key ? c->key : "",
		 c->not_after, c->days_left, c->days_left == 1 ? "" : "s");
	ep_add_finding(ep, "cert-expires-soon", c->days_left < 15 ? SEV_HIGH : SEV_MEDIUM,
		       "A certificate expires soon", detail,
		       "Renew it now and automate renewal (certbot, acme.sh, or your CA's "
		       "tooling), with a reminder 15 days before expiry; reload the mail server "
		       "after renewing.");
}

static void strength(struct endpoint *ep, const struct cert_entry *c)
{
	char detail[512];
	int weak = 0;
	if (c->key_type == KEY_TYPE_RSA && c->key_bits < 2048)
		weak = 1;
	else if (c->key_type == KEY_TYPE_DSA && c->key_bits < 2048)
		weak = 1;
	else if (c->key_type == KEY_TYPE_EC && c->key_bits < 224)
		weak = 1;
	if (weak) {
		snprintf(detail, sizeof detail, "\"%.200s\" has a %s key of %d bits", c->subject,
			 key_type_name(c->key_type), c->key_bits);
		ep_add_finding(ep, "cert-weak-key", SEV_HIGH, "A certificate key is too small",
			       detail,
			       "Issue a new certificate with an RSA key of 2048 bits or more, or an "
			       "ECDSA P-256 key.");
	}
	/* A root's self-signature is not checked by anyone: it does not count. */
	const char *h = c->self_signed && c->depth > 0 ? NULL : weak_hash(c->sig_hash);
	if (h) {
		snprintf(detail, sizeof detail, "\"%.200s\" is signed with %s (%s)", c->subject, h,
			 c->sig_alg);
		ep_add_finding(ep, "cert-weak-signature",
			       c->sig_hash != SIG_HASH_SHA1 ? SEV_CRITICAL : SEV_HIGH,
			       "A certificate is signed with a broken hash", detail,
			       "Reissue the certificate; every public CA signs with SHA-256 or "
			       "better today.");
	}
}

static void ocsp(struct endpoint *ep)
{
	const struct tls_summary *t = &ep->tls;
	char detail[256];
	int must = ep->ncerts && ep->certs[0].must_staple;
	if (!t->ocsp_stapled) {
		ep_add_finding(ep, "no-ocsp-stapling", must ? SEV_HIGH : SEV_INFO,
			       must ? "The certificate requires OCSP stapling, but none came"
				    : "No OCSP response is stapled",
			       must ? "the certificate has the TLS feature status_request "
				      "(must-staple); clients that honour it refuse the connection"
				    : "clients must ask the CA themselves (mail senders rarely do)",
			       "Postfix and Dovecot cannot staple OCSP; use a certificate without "
			       "must-staple for them. Other servers: enable stapling.");
		return;
	}
	if (t->ocsp_cert_status == OCSP_CERT_UNSET && t->ocsp_status == OCSP_ST_SUCCESSFUL) {
		ep_add_finding(ep, "ocsp-not-good", SEV_MEDIUM,
			       "The stapled OCSP response says nothing about this certificate",
			       "the response holds no status for the server's certificate (it is "
			       "about another one)",
			       "Fix the staple source: it must fetch the response for the certificate "
			       "the server presents.");
	} else if (t->ocsp_cert_status != OCSP_CERT_UNSET && t->ocsp_cert_status != OCSP_CERT_GOOD) {
		snprintf(detail, sizeof detail, "the stapled OCSP response says: %s",
			 ocsp_cert_status_name(t->ocsp_cert_status));
		ep_add_finding(ep, "ocsp-not-good",
			       t->ocsp_cert_status == OCSP_CERT_REVOKED ? SEV_CRITICAL : SEV_MEDIUM,
			       "The stapled OCSP response is not \"good\"", detail,
			       "Replace a revoked certificate at once; otherwise check the staple "
			       "source.");
	} else if ((t->ocsp_expires_s != OCSP_UNKNOWN && t->ocsp_expires_s <= 0) ||
		   (t->ocsp_status != OCSP_ST_UNSET && t->ocsp_status != OCSP_ST_SUCCESSFUL)) {
		if (t->ocsp_expires_s != OCSP_UNKNOWN && t->ocsp_expires_s <= 0)
			snprintf(detail, sizeof detail,
				 "the stapled response expired %ld s ago (nextUpdate passed)",
				 -t->ocsp_expires_s);
		else
			snprintf(detail, sizeof detail, "OCSP response status: %s",
				 t->ocsp_status != OCSP_ST_UNSET ? ocsp_status_name(t->ocsp_status) : "?");
		ep_add_finding(ep, "ocsp-stale", SEV_MEDIUM, "The stapled OCSP response is unusable",
			       detail, "Refresh the stapled response (it must be current).");
	}
}

static void session(struct endpoint *ep)
{
	if (ep->tls.secure_reneg == 0)
		ep_add_finding(ep, "no-secure-renegotiation", SEV_MEDIUM,
			       "Secure renegotiation (RFC 5746) is not supported",
			       "the server does not send renegotiation_info: it is open to the "
			       "renegotiation attack (CVE-2009-3555) if it renegotiates at all",
			       "Upgrade the TLS library (every OpenSSL since 0.9.8m supports it).");
	if (ep->client_reneg == 1)
		ep_add_finding(ep, "client-renegotiation-allowed", SEV_LOW,
			       "Client-initiated renegotiation is accepted",
			       "a client can make the server redo expensive handshakes on one "
			       "connection (a denial-of-service lever)",
			       "Disable client-initiated renegotiation (OpenSSL 3 does by default; "
			       "Postfix: tls_ssl_options = NO_RENEGOTIATION).");
}

void check_certs(struct endpoint *ep, const struct checks_cfg *cfg)
{
	if (!ep->tls.done)
		return;
	for (size_t i = 0; i < ep->ncerts; i++) {
		expiry(ep, &ep->certs[i], cfg->warn_days);
		strength(ep, &ep->certs[i]);
	}
	ocsp(ep);
	session(ep);
}
