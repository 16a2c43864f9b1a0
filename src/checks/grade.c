/* grade.c - the grade, as docs/grading.md defines it: a score from
 * protocol support, key exchange and cipher strength in the spirit of SSL
 * Labs' rating guide, then caps. Certificate trust is a separate
 * "authentication" verdict: on port 25 senders accept any certificate
 * unless DANE or MTA-STS tell them to verify, so an untrusted certificate
 * caps the grade only where the name must verify (submission, IMAP, POP3,
 * ... and later MX hosts covered by DANE or MTA-STS). */
#include "checks/checks.h"

#include <stdio.h>
#include <string.h>
#include "proto/dialog.h"
#include "tls/registry.h"

static int proto_score(enum tls_proto p)
{
	static const int s[P_COUNT] = {0, 80, 90, 95, 100, 100};
	return s[p];
}

static int bits_score(int bits)
{
	return bits <= 0 ? 0 : bits < 128 ? 20 : bits < 256 ? 80 : 100;
}

static int kx_score(int bits)
{
	return bits < 512 ? 20 : bits < 1024 ? 40 : bits < 2048 ? 80 : bits < 4096 ? 90 : 100;
}

/* Key exchange strength: the weakest of the certificate key (RSA-sized
 * equivalent) and the DH group, as the rating guide does. */
static int kx_bits(const struct endpoint *ep)
{
	int bits = 4096;
	if (ep->ncerts && ep->certs[0].key_type != KEY_TYPE_UNSET) {
		const struct cert_entry *c = &ep->certs[0];
		/* EC keys: 256-bit curve ~ 3072-bit RSA (NIST SP 800-57) */
		int eq = c->key_type == KEY_TYPE_EC
			     ? (c->key_bits >= 384 ? 7680 : c->key_bits >= 256 ? 3072 : 1024)
		     : c->key_type == KEY_TYPE_RSA || c->key_type == KEY_TYPE_DSA ? c->key_bits
										  : 3072;
		if (eq < bits)
			bits = eq;
	}
	if (ep->dh.bits && ep->dh.bits < bits)
		bits = ep->dh.bits;
	return bits;
}

static void cap(struct endpoint *ep, char *letter, char limit, const char *why)
{
	strv_push(&ep->grade_caps, &ep->ngrade_caps, why);
	if (letter[0] < limit) {
		letter[0] = limit;
		letter[1] = '\0';
	}
}

static int has_finding(const struct endpoint *ep, const char *id)
{
	for (size_t i = 0; i < ep->nfindings; i++)
		if (strcmp(ep->findings[i].id, id) == 0)
			return 1;
	return 0;
}

/* Does this endpoint's name have to verify? Only where clients check it:
 * not on the MX port, where DANE or MTA-STS decide (ep->auth_policy, set
 * by the domain checks). */
static int name_must_verify(const struct endpoint *ep)
{
	if (ep->auth_policy != AUTH_POLICY_UNSET) /* an MX host of `mailtls domain` */
		return ep->auth_policy == AUTH_POLICY_MTA_STS_ENFORCE;
	return !(ep->mode == MODE_STARTTLS && ep->starttls &&
		 dlg_proto_find(ep->starttls) == &smtp_proto && ep->port == 25);
}

/* What the score and the caps look at. */
struct grade_facts {
	int offered[P_COUNT], refused[P_COUNT];
	int incomplete; /* a version or its suites unknown */
	int fs_all;     /* every suite has forward secrecy */
};

/* The score from protocols, key exchange and ciphers (0-100) into
 * ep->score; 0 when there is nothing complete to grade. */
static int score(struct endpoint *ep, struct grade_facts *f)
{
	int best = -1, worst = -1, cbest = -1, cworst = 1000, any = 0;
	f->fs_all = 1;
	for (size_t i = 0; i < ep->nprotocols; i++) {
		const struct proto_entry *p = &ep->protocols[i];
		f->offered[p->proto] = p->offered > 0;
		f->refused[p->proto] = p->offered == 0;
		f->incomplete |= p->offered < 0 || p->reason != NULL;
		if (p->offered <= 0)
			continue;
		int sc = proto_score(p->proto);
		if (best < 0 || sc > best)
			best = sc;
		if (worst < 0 || sc < worst)
			worst = sc;
	}
	for (size_t i = 0; i < ep->nciphers; i++) {
		const struct cipher_entry *c = &ep->ciphers[i];
		const struct reg_cipher *r = reg_cipher_find(c->code, c->proto == P_SSLV2);
		int b = r ? r->bits : c->bits;
		if (r && (r->flags & REG_NULL_ENC))
			b = 0;
		if (b > cbest)
			cbest = b;
		if (b < cworst)
			cworst = b;
		if (!r || !(r->flags & REG_FS))
			f->fs_all = 0;
		any = 1;
	}
	if (best < 0 || !any)
		return 0;
	int proto = (best + worst) / 2;
	int kx = kx_score(kx_bits(ep));
	int ciph = (bits_score(cbest) + bits_score(cworst)) / 2;
	ep->score = (proto * 30 + kx * 30 + ciph * 40) / 100;
	return 1;
}

static char score_letter(int sc)
{
	return sc >= 80 ? 'A' : sc >= 65 ? 'B' : sc >= 50 ? 'C' : sc >= 35 ? 'D' : sc >= 20 ? 'E' : 'F';
}

/* The caps on what was offered and found (docs/grading.md), in the order
 * grade.caps lists them. Only on evidence: an unknown version is not a
 * refused one. */
static int old_ssl(const struct endpoint *ep, const struct grade_facts *f)
{
	return f->offered[P_SSLV2] || f->offered[P_SSLV3];
}

static int critical(const struct endpoint *ep, const struct grade_facts *f)
{
	return ep_max_severity(ep) == SEV_CRITICAL;
}

static int no_modern_tls(const struct endpoint *ep, const struct grade_facts *f)
{
	return !f->offered[P_TLS12] && !f->offered[P_TLS13] && f->refused[P_TLS12] &&
	       f->refused[P_TLS13];
}

static int old_tls(const struct endpoint *ep, const struct grade_facts *f)
{
	return f->offered[P_TLS10] || f->offered[P_TLS11];
}

static int no_fs(const struct endpoint *ep, const struct grade_facts *f)
{
	return !has_finding(ep, "some-without-forward-secrecy") &&
	       has_finding(ep, "no-forward-secrecy");
}

static int weak_crypto(const struct endpoint *ep, const struct grade_facts *f)
{
	return has_finding(ep, "dh-weak") || has_finding(ep, "cipher-rc4") ||
	       has_finding(ep, "cipher-3des");
}

static const struct {
	int (*applies)(const struct endpoint *ep, const struct grade_facts *f);
	char letter;
	const char *why;
} caps[] = {
	{old_ssl, 'F', "SSLv2 or SSLv3 is offered: F"},
	{critical, 'F', "a critical finding: F"},
	{no_modern_tls, 'C', "neither TLS 1.2 nor TLS 1.3: at most C"},
	{old_tls, 'B', "TLS 1.0 or 1.1 is offered: at most B"},
	{no_fs, 'B', "no forward secrecy: at most B"},
	{weak_crypto, 'B', "weak DH, RC4 or 3DES: at most B"},
};

/* The authentication verdict into ep->auth_verdict, and its cap: DANE
 * decides where the host has TLSA records (RFC 7672 3.1); else the
 * certificate's trust counts where the name must verify. */
static void authentication(struct endpoint *ep, char *letter)
{
	int trusted = ep->tls.done && ep->tls.nverify_errors == 0;
	enum auth_policy policy = ep->auth_policy;
	char verdict[600];
	if (policy == AUTH_POLICY_DANE) {
		if (!ep->dane.checked)
			snprintf(verdict, sizeof verdict,
				 "DANE: unknown: the host has TLSA records, but no DANE handshake "
				 "was possible%s%.400s%s",
				 ep->dane.message ? " (" : "", ep->dane.message ? ep->dane.message : "",
				 ep->dane.message ? ")" : "");
		else if (ep->dane.ok)
			snprintf(verdict, sizeof verdict, "DANE: %s",
				 ep->dane.message ? ep->dane.message : "a TLSA record matched");
		else
			snprintf(verdict, sizeof verdict,
				 "DANE: fails (%.400s): senders that use DANE do not deliver",
				 ep->dane.message ? ep->dane.message : "no TLSA record matched");
		str_set(&ep->auth_verdict, verdict);
		if (ep->dane.checked && !ep->dane.ok)
			cap(ep, letter, 'F', "the certificate matches none of the TLSA records: F");
		return;
	}
	int must = name_must_verify(ep);
	if (policy == AUTH_POLICY_NONE)
		policy = AUTH_POLICY_UNSET;
	if (!ep->tls.done && ep->tls.failed_after_hello)
		snprintf(verdict, sizeof verdict,
			 "unknown: no handshake completes (the server ends it after its "
			 "ServerHello)");
	else if (!ep->tls.done)
		snprintf(verdict, sizeof verdict,
			 "unknown: no verified handshake was possible (only protocols or "
			 "suites that OpenSSL no longer speaks)");
	else if (trusted)
		snprintf(verdict, sizeof verdict, "trusted: the certificate verifies for %s%s",
			 ep->tls.verify_name ? ep->tls.verify_name : "the name",
			 policy == AUTH_POLICY_MTA_STS_ENFORCE   ? " (MTA-STS enforce requires it)"
			 : policy == AUTH_POLICY_MTA_STS_TESTING ? " (MTA-STS testing checks it)"
								 : "");
	else if (policy == AUTH_POLICY_MTA_STS_ENFORCE)
		snprintf(verdict, sizeof verdict,
			 "not trusted, and the MTA-STS policy (enforce) requires it: "
			 "senders that apply MTA-STS do not deliver");
	else if (policy == AUTH_POLICY_MTA_STS_TESTING)
		snprintf(verdict, sizeof verdict,
			 "not trusted; the MTA-STS policy is in testing mode, so senders "
			 "report it and deliver");
	else if (must)
		snprintf(verdict, sizeof verdict,
			 "not trusted, and clients of this port verify the name: it fails");
	else if (ep->auth_policy != AUTH_POLICY_UNSET)
		snprintf(verdict, sizeof verdict,
			 "not trusted; senders accept any certificate on an MX host "
			 "without DANE or MTA-STS");
	else
		snprintf(verdict, sizeof verdict,
			 "not trusted; on port 25 senders accept it unless DANE or MTA-STS "
			 "require verification");
	str_set(&ep->auth_verdict, verdict);
	if (ep->tls.done && !trusted && must)
		cap(ep, letter, 'F', "the certificate does not verify where clients check it: F");
}

void check_grade(struct endpoint *ep, const struct checks_cfg *cfg)
{
	struct grade_facts f;
	char letter[4];

	if (!ep->enumerated)
		return; /* nothing complete to grade */
	memset(&f, 0, sizeof f);
	if (!score(ep, &f))
		return;
	letter[0] = score_letter(ep->score);
	letter[1] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(caps); i++)
		if (caps[i].applies(ep, &f))
			cap(ep, letter, caps[i].letter, caps[i].why);
	authentication(ep, letter);
	/* What could not be determined is said, and rules out A+ (no letter
	 * is lowered for it: the grade is of what was seen). */
	if (f.incomplete)
		strv_push(&ep->grade_caps, &ep->ngrade_caps,
			  "incomplete: some versions or suites are unknown (see protocols)");
	/* A+: an A with nothing old or weak left. */
	if (letter[0] == 'A' && ep->ngrade_caps == 0 && f.offered[P_TLS13] && f.fs_all &&
	    !f.offered[P_TLS10] && !f.offered[P_TLS11] && ep_max_severity(ep) <= SEV_INFO)
		snprintf(letter, sizeof letter, "A+");
	snprintf(ep->grade, sizeof ep->grade, "%s", letter);
}
