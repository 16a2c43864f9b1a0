/* vulns.c - the vulnerability battery's verdicts (docs/vulns.md). Probes
 * (scan/vp_*.c) have filled the entries that need the network; here every
 * entry gets its CVEs, the checks that cost no connection are derived from
 * what enumeration found, and a vulnerable entry raises its finding or links
 * to the finding that already says it (cipher-3des, protocol-sslv3, ...).
 * What could not be determined is unknown with the reason, never safe. */
#include "checks/checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "tls/registry.h"

/* The entries come out in this order. */
struct vdef {
	const char *id;
	const char *cve[3];
	/* NULL: a probe fills the entry; else it is derived from the model. */
	void (*derive)(struct endpoint *ep, struct vuln *v);
	/* The finding a vulnerable entry raises, when no other finding says
	 * it already (derive links those): title, severity, fix. */
	const char *title;
	enum severity sev, sev25; /* sev25 on port 25 (the MX port: senders
	                             are MTAs, and clear text is allowed) */
	const char *fix;
	/* Only STARTTLS endpoints (the rest: not applicable). */
	int starttls_only;
	/* A probe's unknown that the enumeration can settle (NULL: none). */
	void (*settle)(struct endpoint *ep, struct vuln *v);
};

static int offered(const struct endpoint *ep, enum tls_proto p)
{
	for (size_t i = 0; i < ep->nprotocols; i++)
		if (ep->protocols[i].proto == p)
			return ep->protocols[i].offered;
	return -1;
}

static int has_finding(const struct endpoint *ep, const char *id)
{
	for (size_t i = 0; i < ep->nfindings; i++)
		if (strcmp(ep->findings[i].id, id) == 0)
			return 1;
	return 0;
}

/* Vulnerable, linked to the finding that already says it. */
static void vulnerable_as(struct endpoint *ep, struct vuln *v, const char *finding)
{
	vuln_set(v, VULN_VULNERABLE, NULL);
	if (has_finding(ep, finding))
		str_set(&v->finding, finding);
}

/* Was every protocol in the mask determined (offered or not)? */
static int protocols_known(const struct endpoint *ep, unsigned mask)
{
	for (int p = P_SSLV2; p < P_COUNT; p++)
		if ((mask & (1u << p)) && offered(ep, (enum tls_proto)p) < 0)
			return 0;
	return 1;
}

#define PM(p) (1u << (p))
#define PM_ALL (PM(P_SSLV2) | PM(P_SSLV3) | PM(P_TLS10) | PM(P_TLS11) | PM(P_TLS12) | PM(P_TLS13))

/* A check on the accepted suites: vulnerable when any suite has the flags
 * (in those protocols), linked to `finding`. */
static void suite_check(struct endpoint *ep, struct vuln *v, unsigned flags, unsigned mask,
                        const char *finding, const char *none)
{
	char list[400];
	int n = checks_suites_with(ep, flags, mask, 4, list, sizeof list);
	if (n > 0) {
		vulnerable_as(ep, v, finding);
		vuln_evidence(v, "%d suite%s: %s", n, n == 1 ? "" : "s", list);
	} else if (!protocols_known(ep, mask ? mask : PM_ALL)) {
		vuln_set(v, VULN_UNKNOWN, "some protocol versions could not be enumerated");
	} else {
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		vuln_evidence(v, "%s", none);
	}
}

static void d_sweet32(struct endpoint *ep, struct vuln *v)
{
	suite_check(ep, v, REG_3DES, 0, "cipher-3des", "no 64-bit block cipher (3DES) accepted");
}

static void d_rc4(struct endpoint *ep, struct vuln *v)
{
	suite_check(ep, v, REG_RC4, 0, "cipher-rc4", "no RC4 suite accepted");
}

static void d_null(struct endpoint *ep, struct vuln *v)
{
	suite_check(ep, v, REG_NULL_ENC, 0, "cipher-null", "no suite without encryption accepted");
}

static void d_anon(struct endpoint *ep, struct vuln *v)
{
	suite_check(ep, v, REG_ANON, 0, "cipher-anonymous", "no anonymous suite accepted");
}

static void d_export(struct endpoint *ep, struct vuln *v)
{
	suite_check(ep, v, REG_EXPORT, 0, "cipher-export", "no export suite accepted");
}

/* Export suites with a given key exchange kind. */
static int export_with_kx(const struct endpoint *ep, enum tls_kx kx, char *out, size_t n)
{
	size_t used = 0;
	int count = 0;
	out[0] = '\0';
	for (size_t i = 0; i < ep->nciphers; i++) {
		const struct cipher_entry *c = &ep->ciphers[i];
		const struct reg_cipher *r = reg_cipher_find(c->code, c->proto == P_SSLV2);
		if (!r || !(r->flags & REG_EXPORT) || c->kx_kind != kx)
			continue;
		if (count++ < 4 && used < n)
			used += (size_t)snprintf(out + used, n - used, "%s%s %s", used ? ", " : "",
			                         tls_proto_name(c->proto),
			                         r->openssl ? r->openssl : r->iana);
	}
	return count;
}

static void d_freak(struct endpoint *ep, struct vuln *v)
{
	char list[300];
	int n = export_with_kx(ep, KX_RSA, list, sizeof list);
	if (n > 0) {
		vulnerable_as(ep, v, "cipher-export");
		vuln_evidence(v, "RSA export suites: %s", list);
	} else if (!protocols_known(ep, PM_ALL)) {
		vuln_set(v, VULN_UNKNOWN, "some protocol versions could not be enumerated");
	} else {
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		vuln_evidence(v, "no RSA export suite accepted");
	}
}

static void d_logjam(struct endpoint *ep, struct vuln *v)
{
	char list[300];
	int n = export_with_kx(ep, KX_DHE, list, sizeof list);
	if (n > 0) {
		vulnerable_as(ep, v, "cipher-export");
		vuln_evidence(v, "DHE export suites: %s", list);
	} else if (ep->dh.bits && ep->dh.bits <= 1024) {
		vulnerable_as(ep, v, "dh-weak");
		vuln_evidence(v, "DHE with a %d-bit group%s%s", ep->dh.bits,
		              ep->dh.common ? ", a well-known prime: " : "",
		              ep->dh.common ? ep->dh.common : "");
	} else if (!protocols_known(ep, PM_ALL)) {
		vuln_set(v, VULN_UNKNOWN, "some protocol versions could not be enumerated");
	} else if (!ep->dh.bits) {
		vuln_set(v, VULN_NOT_APPLICABLE, "no DHE key exchange");
	} else {
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		vuln_evidence(v, "DHE with a %d-bit group", ep->dh.bits);
		if (has_finding(ep, "dh-weak"))
			str_set(&v->finding, "dh-weak");
	}
}

static void d_poodle(struct endpoint *ep, struct vuln *v)
{
	char list[300];
	int o = offered(ep, P_SSLV3);
	if (o < 0) {
		vuln_set(v, VULN_UNKNOWN, "whether SSLv3 is offered could not be determined");
	} else if (o == 0) {
		vuln_set(v, VULN_NOT_APPLICABLE, "no SSLv3");
	} else if (checks_suites_with(ep, REG_CBC, PM(P_SSLV3), 4, list, sizeof list) > 0) {
		vulnerable_as(ep, v, "protocol-sslv3");
		vuln_evidence(v, "SSLv3 with CBC suites: %s", list);
	} else {
		vuln_set(v, VULN_NOT_VULNERABLE, "SSLv3 without CBC suites");
		if (has_finding(ep, "protocol-sslv3"))
			str_set(&v->finding, "protocol-sslv3");
	}
}

static void d_drown(struct endpoint *ep, struct vuln *v)
{
	const char *spki = ep->ncerts && ep->certs[0].spki_sha256 ? ep->certs[0].spki_sha256 : NULL;
	int o = offered(ep, P_SSLV2);
	if (o < 0) {
		vuln_set(v, VULN_UNKNOWN, "whether SSLv2 is offered could not be determined");
	} else if (o > 0) {
		vulnerable_as(ep, v, "protocol-sslv2");
	} else {
		/* The key may still be exposed by another server with SSLv2. */
		vuln_set(v, VULN_NOT_VULNERABLE,
		         "no SSLv2 here; other services using the same key "
		         "must not offer it either");
	}
	if (o >= 0)
		vuln_evidence(v, "%s%s%s", o > 0 ? "SSLv2 is offered" : "SSLv2 is not offered",
		              spki ? "; certificate key SPKI SHA-256 " : "", spki ? spki : "");
}

static void d_beast(struct endpoint *ep, struct vuln *v)
{
	char list[300];
	int o10 = offered(ep, P_TLS10), o3 = offered(ep, P_SSLV3);
	if (o10 < 0 || o3 < 0)
		vuln_set(v, VULN_UNKNOWN,
		         "whether TLS 1.0 and SSLv3 are offered could not be "
		         "determined");
	else if (!o10 && !o3)
		vuln_set(v, VULN_NOT_APPLICABLE, "no TLS 1.0 or SSLv3");
	else if (checks_suites_with(ep, REG_CBC, PM(P_TLS10) | PM(P_SSLV3), 4, list, sizeof list) >
	         0) {
		vuln_set(v, VULN_VULNERABLE, NULL);
		vuln_evidence(v, "CBC suites in TLS 1.0 or SSLv3: %s", list);
	} else
		vuln_set(v, VULN_NOT_VULNERABLE, "TLS 1.0 or SSLv3 without CBC suites");
}

static void d_lucky13(struct endpoint *ep, struct vuln *v)
{
	char list[300];
	if (checks_suites_with(ep, REG_CBC, 0, 4, list, sizeof list) > 0) {
		vuln_set(v, VULN_VULNERABLE,
		         "CBC suites with HMAC: a timing side channel unless the "
		         "TLS library has constant-time padding checks");
		vuln_evidence(v, "CBC suites: %s", list);
	} else if (!protocols_known(ep, PM_ALL)) {
		vuln_set(v, VULN_UNKNOWN, "some protocol versions could not be enumerated");
	} else {
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		vuln_evidence(v, "no CBC suite accepted");
	}
}

static void d_obsolete(struct endpoint *ep, struct vuln *v)
{
	static const struct {
		enum tls_proto p;
		const char *finding;
	} old[] = {{P_SSLV2, "protocol-sslv2"},
	           {P_SSLV3, "protocol-sslv3"},
	           {P_TLS10, "protocol-tls10-tls11"},
	           {P_TLS11, "protocol-tls10-tls11"}};
	char list[80] = "";
	size_t used = 0;
	const char *link = NULL;
	int unknown = 0;
	for (size_t i = 0; i < ARRAY_LEN(old); i++) {
		int o = offered(ep, old[i].p);
		unknown |= o < 0;
		if (o > 0) {
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
			                         used ? ", " : "", tls_proto_name(old[i].p));
			if (!link)
				link = old[i].finding; /* the oldest: the most severe */
		}
	}
	if (link) {
		vulnerable_as(ep, v, link);
		vuln_evidence(v, "offered: %s", list);
	} else if (unknown) {
		vuln_set(v, VULN_UNKNOWN, "some protocol versions could not be enumerated");
	} else {
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		vuln_evidence(v, "SSLv2, SSLv3, TLS 1.0 and TLS 1.1 are not offered");
	}
}

static void d_forward_secrecy(struct endpoint *ep, struct vuln *v)
{
	char list[300];
	int with = checks_suites_with(ep, REG_FS, 0, 4, list, sizeof list);
	if (!ep->nciphers) {
		vuln_set(v, VULN_UNKNOWN, "no accepted suite is known");
	} else if (!with) {
		vulnerable_as(ep, v, "no-forward-secrecy");
	} else {
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		if (has_finding(ep, "some-without-forward-secrecy"))
			str_set(&v->finding, "some-without-forward-secrecy");
		vuln_evidence(v, "%d suite%s with forward secrecy", with, with == 1 ? "" : "s");
	}
}

/* TLS 1.2 or lower offered: 1 yes, 0 no (TLS 1.3 only), -1 unknown. */
static int pre13(const struct endpoint *ep)
{
	int any_unknown = 0;
	for (int p = P_SSLV3; p <= P_TLS12; p++) {
		int o = offered(ep, (enum tls_proto)p);
		if (o > 0)
			return 1;
		any_unknown |= o < 0;
	}
	return any_unknown ? -1 : 0;
}

static void d_secure_reneg(struct endpoint *ep, struct vuln *v)
{
	if (ep->tls.secure_reneg == 0)
		vulnerable_as(ep, v, "no-secure-renegotiation");
	else if (ep->tls.secure_reneg == 1)
		vuln_set(v, VULN_NOT_VULNERABLE, "renegotiation_info (RFC 5746) is sent");
	else if (pre13(ep) == 0)
		vuln_set(v, VULN_NOT_APPLICABLE, "TLS 1.3 only: no renegotiation");
	else
		vuln_set(v, VULN_UNKNOWN, "no TLS 1.2 or lower handshake completed");
}

static void d_client_reneg(struct endpoint *ep, struct vuln *v)
{
	if (ep->client_reneg >= 0)
		v->connections = 1; /* the renegotiation handshake (scan/tlsaux.c) */
	if (ep->client_reneg == 1)
		vulnerable_as(ep, v, "client-renegotiation-allowed");
	else if (ep->client_reneg == 0)
		vuln_set(v, VULN_NOT_VULNERABLE, "a client-initiated renegotiation was refused");
	else if (pre13(ep) == 0)
		vuln_set(v, VULN_NOT_APPLICABLE, "TLS 1.3 only: no renegotiation");
	else
		vuln_set(v, VULN_UNKNOWN, "no TLS 1.2 renegotiation could be tried");
}

static void d_crime(struct endpoint *ep, struct vuln *v)
{
	if (ep->defaults.probed && ep->defaults.compression > 0) {
		vuln_set(v, VULN_VULNERABLE, NULL);
		vuln_evidence(v, "offered DEFLATE and null: the server chose compression method %d",
		              ep->defaults.compression);
	} else if (ep->defaults.probed && ep->defaults.compression == 0) {
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		vuln_evidence(v, "offered DEFLATE and null: the server chose null");
	} else if (pre13(ep) == 0) {
		vuln_set(v, VULN_NOT_APPLICABLE, "TLS 1.3 only: no compression");
	} else {
		vuln_set(v, VULN_UNKNOWN,
		         "no TLS 1.2 or lower hello offering compression was "
		         "answered");
	}
}

static void d_pipelined(struct endpoint *ep, struct vuln *v)
{
	const struct dialogue *g = &ep->dlg;
	if (g->pipelined_bytes > 0) {
		vulnerable_as(ep, v, "pipelined-after-starttls");
		vuln_evidence(v, "%zu bytes came after the go-ahead, before the handshake",
		              g->pipelined_bytes);
	} else if (g->starttls_ok) {
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
	} else {
		vuln_set(v, VULN_UNKNOWN, "no STARTTLS go-ahead was seen");
	}
}

static void d_auth_before_tls(struct endpoint *ep, struct vuln *v)
{
	const struct dialogue *g = &ep->dlg;
	if (!g->ran || !g->hello_code) {
		vuln_set(v, VULN_UNKNOWN, "the clear-text dialogue did not get that far");
	} else if (g->auth_clear) {
		vulnerable_as(ep, v, "auth-before-tls");
		vuln_evidence(v, "before TLS: %s", g->auth_clear);
	} else {
		vuln_set(v, VULN_NOT_VULNERABLE, "no password authentication before TLS");
	}
}

/* ROBOT's RSA-only hello went unanswered (a server that closes instead of
 * sending handshake_failure, as Dovecot does): when the enumeration, which
 * tells a refusal from throttling, found every version up to TLS 1.2 and
 * no suite with RSA key exchange, there is no oracle to look for. */
static void settle_robot(struct endpoint *ep, struct vuln *v)
{
	if (v->verdict != VULN_UNKNOWN || !ep->enumerated ||
	    !protocols_known(ep, PM(P_SSLV3) | PM(P_TLS10) | PM(P_TLS11) | PM(P_TLS12)))
		return;
	for (size_t i = 0; i < ep->nciphers; i++) {
		const struct cipher_entry *c = &ep->ciphers[i];
		if (c->proto != P_SSLV2 && c->proto != P_TLS13 && c->kx_kind == KX_RSA)
			return;
	}
	char why[300];
	snprintf(why, sizeof why,
	         "no RSA key exchange: the enumeration found no such suite (the "
	         "probe: %s)",
	         v->reason ? v->reason : "no answer");
	vuln_set(v, VULN_NOT_APPLICABLE, why);
}

#define MAIL_FIX "Require TLS before authentication and mail on submission ports"

static const struct vdef battery[] = {
    {"heartbleed",
     {"CVE-2014-0160"},
     NULL,
     "Heartbleed: the server leaks memory",
     SEV_CRITICAL,
     SEV_CRITICAL,
     "Upgrade OpenSSL (1.0.1g or later) at once, then replace the key and certificate: "
     "they may have leaked.",
     0,
     NULL},
    {"ccs-injection",
     {"CVE-2014-0224"},
     NULL,
     "CCS injection: the server accepts an early ChangeCipherSpec",
     SEV_HIGH,
     SEV_HIGH,
     "Upgrade OpenSSL (1.0.1h or later).",
     0,
     NULL},
    {"ticketbleed",
     {"CVE-2016-9244"},
     NULL,
     "Ticketbleed: the server echoes 32 session-ID bytes (memory)",
     SEV_HIGH,
     SEV_HIGH,
     "Upgrade the F5 BIG-IP firmware, or disable session tickets on its profile.",
     0,
     NULL},
    {"robot",
     {NULL},
     NULL,
     "ROBOT: an RSA padding oracle (Bleichenbacher)",
     SEV_HIGH,
     SEV_HIGH,
     "Disable RSA key exchange (keep ECDHE and DHE suites) and upgrade the TLS library or "
     "appliance firmware.",
     0,
     settle_robot},
    {"secure-renegotiation",
     {"CVE-2009-3555"},
     d_secure_reneg,
     NULL,
     SEV_OK,
     SEV_OK,
     NULL,
     0,
     NULL},
    {"client-renegotiation", {NULL}, d_client_reneg, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"crime",
     {"CVE-2012-4929"},
     d_crime,
     "CRIME: TLS compression is enabled",
     SEV_MEDIUM,
     SEV_MEDIUM,
     "Disable TLS compression (every OpenSSL since 1.1.0 has it off; OpenSSL 1.0: "
     "SSL_OP_NO_COMPRESSION).",
     0,
     NULL},
    {"poodle", {"CVE-2014-3566"}, d_poodle, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"fallback-scsv",
     {NULL},
     NULL,
     "No downgrade protection: TLS_FALLBACK_SCSV (RFC 7507) is ignored",
     SEV_LOW,
     SEV_LOW,
     "Upgrade the TLS library (OpenSSL 1.0.1j or later honours the SCSV).",
     0,
     NULL},
    {"sweet32", {"CVE-2016-2183", "CVE-2016-6329"}, d_sweet32, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"freak", {"CVE-2015-0204"}, d_freak, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"drown", {"CVE-2016-0800", "CVE-2016-0703"}, d_drown, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"logjam", {"CVE-2015-4000"}, d_logjam, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"beast",
     {"CVE-2011-3389"},
     d_beast,
     "BEAST: CBC suites in TLS 1.0 or SSLv3",
     SEV_MEDIUM,
     SEV_LOW,
     "Disable TLS 1.0 where the clients allow it; BEAST needs a victim that runs the "
     "attacker's code (a browser), which mail clients do not.",
     0,
     NULL},
    {"lucky13",
     {"CVE-2013-0169"},
     d_lucky13,
     "LUCKY13: CBC suites are accepted",
     SEV_LOW,
     SEV_LOW,
     "Prefer AEAD suites (GCM, ChaCha20-Poly1305) before CBC ones; current TLS libraries "
     "check padding in constant time.",
     0,
     NULL},
    {"rc4", {"CVE-2013-2566", "CVE-2015-2808"}, d_rc4, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"null-ciphers", {NULL}, d_null, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"anonymous-ciphers", {NULL}, d_anon, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"export-ciphers", {NULL}, d_export, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"obsolete-protocols", {NULL}, d_obsolete, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"forward-secrecy", {NULL}, d_forward_secrecy, NULL, SEV_OK, SEV_OK, NULL, 0, NULL},
    {"starttls-injection",
     {"CVE-2011-0411", "CVE-2021-33515"},
     NULL,
     "STARTTLS command injection: clear-text commands are executed inside TLS",
     SEV_HIGH,
     SEV_HIGH,
     "Upgrade the server: it must discard input buffered before the TLS handshake "
     "(Postfix 2.7.3 and 2.8 or later, Dovecot 2.3.14.1 or later do).",
     1,
     NULL},
    {"starttls-in-tls",
     {NULL},
     NULL,
     "STARTTLS is accepted inside TLS (a second handshake inside the first)",
     SEV_MEDIUM,
     SEV_MEDIUM,
     "Upgrade or reconfigure the server: STARTTLS inside an established TLS session must "
     "be refused (Postfix and Dovecot do; Haraka 3.3 answers 220).",
     0,
     NULL},
    {"pipelined-after-starttls", {NULL}, d_pipelined, NULL, SEV_OK, SEV_OK, NULL, 1, NULL},
    {"auth-before-tls", {NULL}, d_auth_before_tls, NULL, SEV_OK, SEV_OK, NULL, 1, NULL},
    {"plaintext-mail-accepted",
     {NULL},
     NULL,
     "Mail is accepted without TLS on a submission port",
     SEV_MEDIUM,
     SEV_MEDIUM,
     MAIL_FIX " (Postfix: -o smtpd_tls_security_level=encrypt on the submission service).",
     1,
     NULL},
    {"starttls-not-required",
     {NULL},
     NULL,
     "STARTTLS is offered but not required",
     SEV_MEDIUM,
     SEV_INFO,
     MAIL_FIX "; on port 25 it must stay optional (RFC 3207).",
     1,
     NULL},
    {"ftp-user-before-tls",
     {NULL},
     NULL,
     "FTP accepts USER before AUTH TLS",
     SEV_MEDIUM,
     SEV_MEDIUM,
     "Require TLS before login (vsftpd: force_local_logins_ssl=YES; ProFTPD: TLSRequired "
     "on).",
     1,
     NULL},
};

static enum severity severity_for(const struct endpoint *ep, const struct vdef *d,
                                  const struct vuln *v)
{
	enum severity s = ep->port == 25 ? d->sev25 : d->sev;
	if (v->weak && s > SEV_INFO)
		s--;
	return s;
}

static void raise_finding(struct endpoint *ep, const struct vdef *d, struct vuln *v)
{
	char detail[700];
	snprintf(detail, sizeof detail, "%s%s%s", v->evidence ? v->evidence : "",
	         v->evidence && v->reason ? "; " : "", v->reason ? v->reason : "");
	struct finding *f = ep_add_finding(ep, d->id, severity_for(ep, d, v), d->title,
	                                   detail[0] ? detail : NULL, d->fix);
	for (size_t i = 0; i < ARRAY_LEN(d->cve) && d->cve[i]; i++)
		finding_add_cve(f, d->cve[i]);
	str_set(&v->finding, d->id);
}

/* Entries in the battery's order (probes may have added them in any). */
static void sort_entries(struct endpoint *ep)
{
	struct vuln *sorted = xcalloc(ep->nvulns ? ep->nvulns : 1, sizeof(*sorted));
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_LEN(battery); i++) {
		struct vuln *v = ep_vuln_find(ep, battery[i].id);
		if (v)
			sorted[n++] = *v;
	}
	free(ep->vulns);
	ep->vulns = sorted;
	ep->nvulns = ep->capvulns = n;
}

void check_vulns(struct endpoint *ep, const struct checks_cfg *cfg)
{
	/* An endpoint that could not be scanned gets no battery (its errors
	 * say why), unless probes ran on it: then every entry says what it is. */
	if (!cfg->vulns || (!ep_scanned(ep) && ep->nvulns == 0))
		return;
	ep->vulns_ran = 1;
	for (size_t i = 0; i < ARRAY_LEN(battery); i++) {
		const struct vdef *d = &battery[i];
		struct vuln *v = ep_vuln(ep, d->id);
		if (d->starttls_only && ep->mode != MODE_STARTTLS) {
			vuln_set(v, VULN_NOT_APPLICABLE,
			         "implicit TLS: there is no clear-text phase");
		} else if (d->derive) {
			if (!ep->enumerated && !d->starttls_only && d->derive != d_secure_reneg &&
			    d->derive != d_client_reneg)
				vuln_set(v, VULN_UNKNOWN,
				         "protocols and suites were not enumerated "
				         "(--quick)");
			else
				d->derive(ep, v);
		} else if (v->verdict == VULN_UNSET) {
			vuln_set(v, VULN_UNKNOWN, "not tested: the probe did not run");
		} else if (d->settle) {
			d->settle(ep, v);
		}
		strv_free(v->cve, v->ncve);
		v->cve = NULL;
		v->ncve = 0;
		for (size_t k = 0; k < ARRAY_LEN(d->cve) && d->cve[k]; k++)
			strv_push(&v->cve, &v->ncve, d->cve[k]);
		if (v->verdict == VULN_VULNERABLE && !v->finding && d->title)
			raise_finding(ep, d, v);
	}
	sort_entries(ep);
}
