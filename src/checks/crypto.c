/* crypto.c - findings from the enumeration: protocol versions, weak
 * suites, forward secrecy, DH strength, server order. Facts only from the
 * model; the fixes say what to change in the usual MTA configurations. */
#include "checks/checks.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "tls/registry.h"

static int offered(const struct endpoint *ep, enum tls_proto p)
{
	for (size_t i = 0; i < ep->nprotocols; i++)
		if (ep->protocols[i].proto == p)
			return ep->protocols[i].offered;
	return -1;
}

int checks_suites_with(const struct endpoint *ep, unsigned flags, unsigned proto_mask,
		       int max_named, char *out, size_t n)
{
	size_t used = 0;
	int count = 0;
	if (n)
		out[0] = '\0';
	for (size_t i = 0; i < ep->nciphers; i++) {
		const struct cipher_entry *c = &ep->ciphers[i];
		const struct reg_cipher *r = reg_cipher_find(c->code, c->proto == P_SSLV2);
		if (!r || !(r->flags & flags) || (proto_mask && !(proto_mask & (1u << c->proto))))
			continue;
		if (count++ < max_named && used < n)
			used += (size_t)snprintf(out + used, n - used, "%s%s %s", used ? ", " : "",
						 tls_proto_name(c->proto),
						 c->openssl ? c->openssl : c->iana ? c->iana : "?");
	}
	if (count > max_named && used < n)
		snprintf(out + used, n - used, " and %d more", count - max_named);
	return count;
}

static void protocols(struct endpoint *ep)
{
	if (offered(ep, P_SSLV2) > 0)
		ep_add_finding(ep, "protocol-sslv2", SEV_CRITICAL, "SSLv2 is offered",
			       "SSLv2 is broken beyond repair (DROWN, CVE-2016-0800)",
			       "Disable SSLv2 (Postfix: smtpd_tls_protocols = >=TLSv1.2; it is "
			       "gone from any OpenSSL since 1.1.0: upgrade the server).");
	if (offered(ep, P_SSLV3) > 0) {
		struct finding *f = ep_add_finding(
			ep, "protocol-sslv3", SEV_HIGH, "SSLv3 is offered",
			"SSLv3 is broken (POODLE, CVE-2014-3566)",
			"Disable SSLv3 (Postfix: smtpd_tls_protocols = >=TLSv1.2, "
			"smtpd_tls_mandatory_protocols = >=TLSv1.2).");
		finding_add_cve(f, "CVE-2014-3566");
	}
	if (offered(ep, P_TLS10) > 0 || offered(ep, P_TLS11) > 0) {
		char detail[128];
		snprintf(detail, sizeof detail, "%s%s%s offered; both are deprecated (RFC 8996)",
			 offered(ep, P_TLS10) > 0 ? "TLS 1.0" : "",
			 offered(ep, P_TLS10) > 0 && offered(ep, P_TLS11) > 0 ? " and " : "",
			 offered(ep, P_TLS11) > 0 ? "TLS 1.1" : "");
		ep_add_finding(ep, "protocol-tls10-tls11", SEV_LOW, "TLS 1.0 or 1.1 is offered",
			       detail,
			       "On port 25 old senders may still need them (opportunistic TLS beats "
			       "clear text); on submission ports (465, 587) and IMAP/POP3 disable "
			       "them: smtpd_tls_mandatory_protocols = >=TLSv1.2.");
	}
	if (offered(ep, P_TLS12) == 0 && offered(ep, P_TLS13) == 0)
		ep_add_finding(ep, "protocol-no-tls12", SEV_HIGH, "Neither TLS 1.2 nor TLS 1.3",
			       "modern senders (Gmail, Microsoft) expect TLS 1.2 or newer",
			       "Upgrade the TLS library and enable TLS 1.2 and 1.3.");
	if (offered(ep, P_TLS13) == 0 && offered(ep, P_TLS12) > 0)
		ep_add_finding(ep, "protocol-no-tls13", SEV_INFO, "TLS 1.3 is not offered", NULL,
			       "Enable TLS 1.3 (OpenSSL 1.1.1 or newer does it by default).");
}

struct weak_rule {
	unsigned flags;
	const char *id;
	enum severity sev;
	const char *title;
	const char *fix;
	const char *cve;
};

static const struct weak_rule weak[] = {
	{REG_NULL_ENC, "cipher-null", SEV_CRITICAL, "Suites without encryption are accepted",
	 "Remove NULL suites: smtpd_tls_exclude_ciphers = aNULL, eNULL, ...", NULL},
	{REG_EXPORT, "cipher-export", SEV_CRITICAL, "Export-grade suites are accepted (FREAK/LOGJAM)",
	 "Remove EXPORT suites: smtpd_tls_exclude_ciphers = EXPORT, LOW, ...", "CVE-2015-0204"},
	{REG_ANON, "cipher-anonymous", SEV_LOW, "Anonymous (unauthenticated) suites are accepted",
	 "On port 25, Postfix's default accepts aNULL for opportunistic TLS, which is fine; on "
	 "submission and IMAP/POP3 exclude aNULL.",
	 NULL},
	{REG_DES, "cipher-des", SEV_HIGH, "Single-DES suites are accepted",
	 "Remove DES: smtpd_tls_exclude_ciphers = DES, ...", NULL},
	{REG_RC4, "cipher-rc4", SEV_MEDIUM, "RC4 suites are accepted (RFC 7465)",
	 "Remove RC4: smtpd_tls_exclude_ciphers = RC4, ...", "CVE-2015-2808"},
	{REG_3DES, "cipher-3des", SEV_LOW, "3DES suites are accepted (SWEET32)",
	 "Remove 3DES: smtpd_tls_exclude_ciphers = 3DES, ...", "CVE-2016-2183"},
};

static void suites(struct endpoint *ep)
{
	char detail[1024], list[900];
	for (size_t i = 0; i < ARRAY_LEN(weak); i++) {
		int n = checks_suites_with(ep, weak[i].flags, 0, INT_MAX, list, sizeof list);
		if (n == 0)
			continue;
		snprintf(detail, sizeof detail, "%d suite%s: %s", n, n == 1 ? "" : "s", list);
		struct finding *f =
			ep_add_finding(ep, weak[i].id, weak[i].sev, weak[i].title, detail, weak[i].fix);
		if (weak[i].cve)
			finding_add_cve(f, weak[i].cve);
	}
	/* Forward secrecy: is any accepted suite without it? And is any with? */
	int with = 0, without = 0;
	for (size_t i = 0; i < ep->nciphers; i++) {
		const struct reg_cipher *r =
			reg_cipher_find(ep->ciphers[i].code, ep->ciphers[i].proto == P_SSLV2);
		if (r && (r->flags & REG_FS))
			with++;
		else
			without++;
	}
	if (ep->nciphers && !with)
		ep_add_finding(ep, "no-forward-secrecy", SEV_MEDIUM,
			       "No suite with forward secrecy",
			       "a stolen server key decrypts every recorded session",
			       "Enable ECDHE suites (Postfix: smtpd_tls_eecdh_grade = auto).");
	else if (without && with)
		ep_add_finding(ep, "some-without-forward-secrecy", SEV_INFO,
			       "Some accepted suites lack forward secrecy",
			       "static RSA key exchange is accepted as well",
			       "Prefer ECDHE and DHE suites (tls_preempt_cipherlist = yes) or drop "
			       "kRSA.");
}

static void dh(struct endpoint *ep)
{
	char detail[256];
	if (!ep->dh.bits)
		return;
	if (ep->dh.bits < 2048) {
		snprintf(detail, sizeof detail, "DHE suites use a %d-bit group%s%s", ep->dh.bits,
			 ep->dh.common ? ", a well-known prime: " : "",
			 ep->dh.common ? ep->dh.common : "");
		struct finding *f = ep_add_finding(
			ep, "dh-weak", ep->dh.bits <= 1024 ? SEV_HIGH : SEV_MEDIUM,
			"Diffie-Hellman parameters are weak (LOGJAM)", detail,
			"Use a 2048-bit or larger group: Postfix 3.7+ uses RFC 7919 ffdhe2048 by "
			"default (remove smtpd_tls_dh1024_param_file), or generate one with "
			"`openssl dhparam 2048`.");
		finding_add_cve(f, "CVE-2015-4000");
	}
}

void check_crypto(struct endpoint *ep, const struct checks_cfg *cfg)
{
	if (!ep->enumerated)
		return;
	protocols(ep);
	suites(ep);
	dh(ep);
}
