/* domain.c - findings and the downgrade-resistance verdict of a mail
 * domain (docs/domain.md), from what the domain lookups and the MX scans
 * stored in the model. */
#include "checks/checks.h"

#include <stdlib.h>
#include "core/mem.h"

#include <stdio.h>
#include <string.h>
#include "domain/records.h"
#include "model/domain.h"

/* A TLSA record an SMTP client can use (RFC 7672 3.1): DANE-TA(2) or
 * DANE-EE(3), selector 0/1, matching type 0/1/2 with the right length. */
static int tlsa_usable(const struct tlsa_rr *t)
{
	size_t n = strlen(t->data) / 2;
	if (t->usage != 2 && t->usage != 3)
		return 0;
	if (t->selector > 1)
		return 0;
	return (t->mtype == 0 && n > 0) || (t->mtype == 1 && n == 32) || (t->mtype == 2 && n == 64);
}

static int mx_has_dane(const struct domain_info *d, const struct mx_host *m)
{
	if (d->mx_sec != SEC_SECURE || m->tlsa_sec != SEC_SECURE)
		return 0;
	for (size_t i = 0; i < m->ntlsa; i++)
		if (tlsa_usable(&m->tlsa[i]))
			return 1;
	return 0;
}

static int sts_mode_is(const struct domain_info *d, enum sts_mode mode)
{
	return d->sts.valid && d->sts.mode == mode;
}

/* The public-CA verdict matters to senders only under MTA-STS: elsewhere on
 * an MX (no policy, or DANE, which has its own verdict) a trust finding is
 * lowered, and says why. */
static void lower_trust_findings(struct endpoint *ep, enum auth_policy policy)
{
	if (policy != AUTH_POLICY_NONE && policy != AUTH_POLICY_DANE)
		return;
	for (size_t i = 0; i < ep->nfindings; i++) {
		struct finding *f = &ep->findings[i];
		if (!check_trust_is_finding(f->id) || f->sev <= SEV_LOW)
			continue;
		f->sev = SEV_LOW;
		char *old = f->detail;
		size_t n = (old ? strlen(old) : 0) + 200;
		f->detail = xmalloc(n);
		snprintf(f->detail, n, "%s%s%s", old ? old : "", old ? "; " : "",
			 policy == AUTH_POLICY_DANE
				 ? "senders that use DANE check the TLSA records instead, and the "
				   "others do not verify (no MTA-STS)"
				 : "senders do not verify MX certificates without DANE or MTA-STS");
		free(old);
	}
}

void check_domain_endpoint(struct endpoint *ep, const struct domain_info *d)
{
	const struct mx_host *m = domain_mx_find(d, ep->host);
	char detail[700];
	if (!m)
		return;
	enum auth_policy policy = AUTH_POLICY_NONE;
	if (mx_has_dane(d, m))
		policy = AUTH_POLICY_DANE;
	else if ((sts_mode_is(d, STS_MODE_ENFORCE) || sts_mode_is(d, STS_MODE_TESTING)) &&
		 m->sts_match == 1)
		policy = sts_mode_is(d, STS_MODE_ENFORCE) ? AUTH_POLICY_MTA_STS_ENFORCE
							  : AUTH_POLICY_MTA_STS_TESTING;
	ep->auth_policy = policy;
	lower_trust_findings(ep, policy);

	if (policy == AUTH_POLICY_DANE && ep->dane.checked && !ep->dane.ok) {
		snprintf(detail, sizeof detail,
			 "%s publishes TLSA records at %s, but the server's certificate matches "
			 "none of them (%s). Senders that use DANE (Postfix, Exim, Microsoft 365, "
			 "...) will not deliver to this host.",
			 m->name, m->tlsa_name ? m->tlsa_name : "_25._tcp",
			 ep->dane.message ? ep->dane.message : "no match");
		ep_add_finding(ep, "dane-mismatch", SEV_HIGH,
			       "The certificate does not match the host's TLSA records", detail,
			       "Publish a TLSA record for the certificate in use before deploying "
			       "it (e.g. \"3 1 1\" with the SHA-256 of its public key), keeping "
			       "the old record until the change is done.");
	}
	/* Under MTA-STS the name must verify against the public CAs
	 * (RFC 8461 4.2). */
	int sts = sts_mode_is(d, STS_MODE_ENFORCE) || sts_mode_is(d, STS_MODE_TESTING);
	/* Also under DANE: senders without DNSSEC apply the MTA-STS policy. */
	if (sts && m->sts_match == 1 && ep->tls.done && ep->tls.nverify_errors > 0) {
		int enforce = sts_mode_is(d, STS_MODE_ENFORCE);
		snprintf(detail, sizeof detail,
			 "The MTA-STS policy (mode %s) requires a certificate that verifies for "
			 "%s, and it does not: %s.%s",
			 sts_mode_name(d->sts.mode), m->name,
			 ep->tls.verify_message ? ep->tls.verify_message : "verification failed",
			 enforce ? " Senders that apply MTA-STS (Gmail, Microsoft 365, ...) will "
				   "not deliver to this host."
				 : " In testing mode senders deliver anyway and only report it.");
		ep_add_finding(ep, "mta-sts-mx-cert-invalid", enforce ? SEV_HIGH : SEV_MEDIUM,
			       "The certificate fails the MTA-STS policy", detail,
			       "Install a certificate from a public CA that names the MX host, "
			       "with its full chain.");
	}
}

static void dnssec_findings(struct domain_info *d, int *dane_hosts, int *hosts)
{
	char detail[900];
	int bogus = d->mx_sec == SEC_BOGUS;
	*dane_hosts = *hosts = 0;
	for (size_t i = 0; i < d->nmx; i++) {
		struct mx_host *m = &d->mx[i];
		if (m->addr_error && !m->naddresses)
			continue;
		(*hosts)++;
		*dane_hosts += mx_has_dane(d, m);
		if (m->tlsa_sec == SEC_BOGUS || m->addr_sec == SEC_BOGUS)
			bogus = 1;
		if (m->ntlsa && m->tlsa_sec != SEC_BOGUS &&
		    (m->tlsa_sec != SEC_SECURE || d->mx_sec != SEC_SECURE)) {
			snprintf(detail, sizeof detail,
				 "%s has TLSA records, but %s: senders ignore them.",
				 m->tlsa_name ? m->tlsa_name : m->name,
				 m->tlsa_sec != SEC_SECURE
					 ? "its zone is not DNSSEC-signed"
					 : "the MX records that lead to it are not DNSSEC-signed "
					   "(an attacker could substitute another MX host)");
			domain_add_finding(d, "dane-tlsa-unsigned", SEV_MEDIUM,
					   "TLSA records without DNSSEC are ignored", detail,
					   "Sign the zone with DNSSEC (and publish the DS record "
					   "at the parent), or remove the TLSA records.");
		} else if (m->ntlsa && m->tlsa_sec == SEC_SECURE && d->mx_sec == SEC_SECURE) {
			int usable = 0;
			for (size_t j = 0; j < m->ntlsa; j++)
				usable += tlsa_usable(&m->tlsa[j]);
			if (!usable) {
				snprintf(detail, sizeof detail,
					 "The TLSA records at %s are all unusable for SMTP: "
					 "PKIX-TA(0)/PKIX-EE(1) usages, unknown selectors or "
					 "matching types, or a digest of the wrong length "
					 "(RFC 7672 3.1.3). Senders treat the host as having "
					 "TLSA records but cannot authenticate it.",
					 m->tlsa_name ? m->tlsa_name : m->name);
				domain_add_finding(d, "dane-unusable", SEV_MEDIUM,
						   "Only unusable TLSA records", detail,
						   "Publish DANE-EE \"3 1 1\" (or DANE-TA \"2 1 1\") "
						   "records.");
			}
		}
	}
	if (bogus) {
		snprintf(detail, sizeof detail,
			 "%s: %s. Validating resolvers answer SERVFAIL: senders behind them "
			 "cannot deliver mail at all.",
			 d->name,
			 d->mx_error ? d->mx_error
				     : "an MX host's address or TLSA answer failed DNSSEC "
				       "validation");
		domain_add_finding(d, "dnssec-bogus", SEV_HIGH, "DNSSEC validation fails", detail,
				   "Fix the zone's signatures (expired RRSIGs, a DS record that "
				   "matches no DNSKEY) or remove the DS record at the parent.");
	} else if (d->mx_looked && d->mx_sec != SEC_SECURE && !d->mx_error) {
		domain_add_finding(d, "dnssec-unsigned", SEV_INFO,
				   "The MX records are not DNSSEC-signed",
				   "Without DNSSEC, DANE cannot protect this domain; MTA-STS is "
				   "the other way to resist downgrades.",
				   "Sign the zone with DNSSEC to be able to publish DANE TLSA "
				   "records.");
	}
	if (*dane_hosts > 0 && *dane_hosts < *hosts) {
		snprintf(detail, sizeof detail,
			 "%d of the %d MX hosts have usable, signed TLSA records: an attacker "
			 "can make senders use the others without DANE.",
			 *dane_hosts, *hosts);
		domain_add_finding(d, "dane-partial", SEV_MEDIUM,
				   "Some MX hosts have no DANE protection", detail,
				   "Publish TLSA records for every MX host.");
	}
}

/* A lookup that failed (SERVFAIL, REFUSED, a timeout, a garbled answer)
 * tells nothing about the record: no finding comes of it. A bogus answer
 * is a fact (validating senders get SERVFAIL). */
static int lookup_undetermined(const struct txt_rec *t)
{
	return t->lookup_error && t->sec != SEC_BOGUS;
}

/* Whether the domain has a usable MTA-STS policy cannot be told: its TXT
 * lookup failed, or the policy fetch timed out or broke off. */
static int sts_undetermined(const struct domain_info *d)
{
	return lookup_undetermined(&d->sts_txt) || d->sts.undetermined;
}

/* Why a TXT-based record cannot be used, in words. */
static const char *txt_problem(const struct txt_rec *t)
{
	return t->lookup_error ? t->lookup_error : t->parse_error ? t->parse_error : "invalid";
}

static void sts_findings(struct domain_info *d, int dane)
{
	char detail[1200];
	if (d->sts_txt.ntxt == 0 && !d->sts_txt.lookup_error) {
		domain_add_finding(d, "mta-sts-missing", dane ? SEV_INFO : SEV_LOW,
				   "No MTA-STS policy",
				   dane ? "DANE protects this domain; MTA-STS would cover senders "
					  "that do not validate DNSSEC (Gmail among them)."
					: "Senders cannot tell that this domain always offers TLS "
					  "with a valid certificate.",
				   "Publish _mta-sts TXT \"v=STSv1; id=...\" and a policy at "
				   "https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461).");
		return;
	}
	if (sts_undetermined(d))
		return;
	if (!d->sts_txt.valid) {
		snprintf(detail, sizeof detail, "_mta-sts.%s: %s", d->name, txt_problem(&d->sts_txt));
		domain_add_finding(d, "mta-sts-txt-invalid", SEV_MEDIUM,
				   "The MTA-STS TXT record is unusable", detail,
				   "Publish exactly one record \"v=STSv1; id=YYYYMMDDhhmmss\".");
		return;
	}
	if (d->sts.invalid) {
		snprintf(detail, sizeof detail,
			 "The policy at %s is malformed: %s. Senders act as if there were none.",
			 d->sts.url ? d->sts.url : "mta-sts", d->sts.error ? d->sts.error : "invalid");
		domain_add_finding(d, "mta-sts-policy-invalid", SEV_HIGH,
				   "The MTA-STS policy is malformed", detail,
				   "Fix the policy file: version: STSv1, mode: enforce|testing|none, "
				   "max_age: SECONDS, one mx: line per MX host pattern (RFC 8461 3.2).");
		return;
	}
	if (!d->sts.valid) {
		snprintf(detail, sizeof detail,
			 "The TXT record announces a policy, but %s: senders act as if there "
			 "were none.",
			 d->sts.error ? d->sts.error : "it could not be fetched");
		domain_add_finding(d, "mta-sts-policy-unavailable", SEV_HIGH,
				   "The MTA-STS policy cannot be used", detail,
				   "Serve the policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt "
				   "with a valid certificate, status 200, Content-Type text/plain "
				   "and no redirect.");
		return;
	}
	if (d->sts.mode == STS_MODE_TESTING)
		domain_add_finding(d, "mta-sts-testing", SEV_LOW, "MTA-STS is in testing mode",
				   "Senders report failures (with TLS-RPT) but still deliver "
				   "over an unauthenticated or clear-text connection.",
				   "Once TLS-RPT reports are clean, switch the policy to "
				   "\"mode: enforce\" and change the TXT record's id.");
	else if (d->sts.mode == STS_MODE_NONE)
		domain_add_finding(d, "mta-sts-mode-none", SEV_INFO, "MTA-STS mode is none",
				   "The policy is being withdrawn: it protects nothing.", NULL);
	if (d->sts.max_age >= 0 && d->sts.max_age < 86400) {
		snprintf(detail, sizeof detail,
			 "max_age is %ld seconds: a sender's cached policy expires quickly, so an "
			 "attacker who blocks the policy fetch soon downgrades it.",
			 d->sts.max_age);
		domain_add_finding(d, "mta-sts-max-age-short", SEV_LOW, "MTA-STS max_age is short",
				   detail, "Use a max_age of weeks (RFC 8461 suggests 604800 "
					   "to 31557600).");
	}
	if (d->sts.mode == STS_MODE_NONE)
		return;
	for (size_t i = 0; i < d->nmx; i++) {
		const struct mx_host *m = &d->mx[i];
		if (m->sts_match != 0)
			continue;
		int enforce = d->sts.mode == STS_MODE_ENFORCE;
		snprintf(detail, sizeof detail,
			 "The MX host %s matches no \"mx:\" line of the policy. %s", m->name,
			 enforce ? "Senders that apply MTA-STS will not deliver to it."
				 : "Senders report it, and deliver.");
		domain_add_finding(d, "mta-sts-mx-not-covered", enforce ? SEV_HIGH : SEV_MEDIUM,
				   "An MX host is not covered by the MTA-STS policy", detail,
				   "Add the host (or a \"*.\" pattern for it) to the policy's mx "
				   "lines and change the TXT record's id.");
	}
}

static void tlsrpt_findings(struct domain_info *d)
{
	char detail[700];
	if (d->tlsrpt.ntxt == 0 && !d->tlsrpt.lookup_error) {
		domain_add_finding(d, "tls-rpt-missing", SEV_LOW, "No TLS-RPT record",
				   "Senders cannot report TLS failures to this domain, so a broken "
				   "certificate or policy goes unnoticed.",
				   "Publish _smtp._tls TXT \"v=TLSRPTv1; rua=mailto:...\" (RFC 8460).");
	} else if (!d->tlsrpt.valid && !lookup_undetermined(&d->tlsrpt)) {
		snprintf(detail, sizeof detail, "_smtp._tls.%s: %s", d->name, txt_problem(&d->tlsrpt));
		domain_add_finding(d, "tls-rpt-invalid", SEV_MEDIUM,
				   "The TLS-RPT record is unusable", detail,
				   "Publish exactly one \"v=TLSRPTv1; rua=mailto:...\" record.");
	}
}

static void spf_findings(struct domain_info *d)
{
	char detail[1200];
	const struct txt_rec *t = &d->spf;
	if (t->lookup_error)
		return; /* said by the lookup error */
	if (t->ntxt == 0) {
		domain_add_finding(d, "spf-missing", SEV_MEDIUM, "No SPF record",
				   "Receivers cannot tell which hosts may send mail from this "
				   "domain.",
				   d->null_mx ? "Publish \"v=spf1 -all\": the domain sends no mail."
					      : "Publish \"v=spf1 mx -all\" (or the hosts that send).");
		return;
	}
	if (t->ntxt > 1) {
		snprintf(detail, sizeof detail,
			 "%zu SPF records: receivers return permerror (RFC 7208 4.5).", t->ntxt);
		domain_add_finding(d, "spf-multiple", SEV_HIGH, "More than one SPF record", detail,
				   "Merge them into one record.");
		return;
	}
	if (!t->valid) {
		snprintf(detail, sizeof detail, "%s (receivers return permerror).",
			 t->parse_error ? t->parse_error : "invalid");
		domain_add_finding(d, "spf-invalid", SEV_HIGH, "The SPF record is invalid", detail,
				   "Fix the record's syntax (RFC 7208).");
		return;
	}
	if (d->spf_all == '+')
		domain_add_finding(d, "spf-pass-all", SEV_HIGH, "SPF allows every host (+all)",
				   "\"+all\" makes any host on the internet a permitted sender.",
				   "End the record with \"-all\" or \"~all\".");
	else if (d->spf_all == '?' || d->spf_all == 0)
		domain_add_finding(d, "spf-neutral-all", SEV_LOW, "SPF ends neutral",
				   "Without \"-all\" or \"~all\", mail from other hosts is not "
				   "marked as failing.",
				   "End the record with \"-all\" (or \"~all\").");
	/* An include whose lookup failed is a temperror (RFC 7208 5.2), not
	 * the record's fault: only the other problems are findings. */
	if (d->spf_lookups > 10 || d->nspf_problems > d->nspf_unknown) {
		size_t used = d->spf_lookups > 10
				      ? (size_t)snprintf(detail, sizeof detail,
							 "The record needs %d DNS lookups (at most "
							 "10 are allowed, RFC 7208 4.6.4)",
							 d->spf_lookups)
				      : (size_t)snprintf(detail, sizeof detail,
							 "An include or redirect fails, so "
							 "receivers return permerror");
		for (size_t i = 0; i < d->nspf_problems && used < sizeof detail; i++)
			used += (size_t)snprintf(detail + used, sizeof detail - used, "%s %s",
						 i ? ";" : ":", d->spf_problems[i]);
		if (d->spf_lookups > 10)
			domain_add_finding(d, "spf-too-many-lookups", SEV_HIGH,
					   "SPF needs more than 10 DNS lookups", detail,
					   "Flatten includes into ip4:/ip6: terms or drop unused "
					   "ones.");
		else
			domain_add_finding(d, "spf-invalid", SEV_HIGH,
					   "An SPF include or redirect fails", detail,
					   "Fix or remove the include or redirect that fails.");
	}
	if (d->spf_has_ptr)
		domain_add_finding(d, "spf-ptr", SEV_LOW, "SPF uses the ptr mechanism",
				   "\"ptr\" is slow, unreliable and must not be used "
				   "(RFC 7208 5.5); some receivers ignore it.",
				   "Replace ptr with ip4:/ip6: or a: terms.");
}

static void dmarc_findings(struct domain_info *d)
{
	char detail[700];
	const struct txt_rec *t = &d->dmarc;
	if (t->lookup_error)
		return;
	if (t->ntxt == 0) {
		domain_add_finding(d, "dmarc-missing", SEV_MEDIUM, "No DMARC record",
				   "Receivers have no policy for mail that fails SPF and DKIM "
				   "alignment, and the domain gets no reports.",
				   "Publish _dmarc TXT \"v=DMARC1; p=none; rua=mailto:...\", then "
				   "move to quarantine or reject.");
		return;
	}
	if (t->ntxt > 1) {
		domain_add_finding(d, "dmarc-multiple", SEV_HIGH, "More than one DMARC record",
				   "Receivers ignore DMARC when there are several records "
				   "(RFC 7489 6.6.3).",
				   "Keep one record.");
		return;
	}
	if (!t->valid) {
		snprintf(detail, sizeof detail, "%s.", t->parse_error ? t->parse_error : "invalid");
		domain_add_finding(d, "dmarc-invalid", SEV_HIGH, "The DMARC record is invalid",
				   detail, "Fix the record's syntax (RFC 7489 6.3).");
		return;
	}
	/* A parent's record rules a subdomain by its sp= (else p=). */
	enum dmarc_policy policy =
	    d->dmarc_from && d->dmarc_sp != DMARC_UNSET ? d->dmarc_sp : d->dmarc_p;
	if (policy == DMARC_NONE) {
		if (d->dmarc_from)
			snprintf(detail, sizeof detail,
				 "The record of %s applies (%s=none): mail that fails DMARC is "
				 "delivered as usual, the policy only collects reports.",
				 d->dmarc_from, d->dmarc_sp != DMARC_UNSET ? "sp" : "p");
		else
			snprintf(detail, sizeof detail,
				 "Mail that fails DMARC is delivered as usual: p=none only "
				 "collects reports.");
		domain_add_finding(d, "dmarc-p-none", SEV_LOW, "DMARC policy is none", detail,
				   "Move to p=quarantine, then p=reject, once reports are clean.");
	}
	if (d->dmarc_pct >= 0 && d->dmarc_pct < 100) {
		snprintf(detail, sizeof detail, "pct=%d: the policy applies to only %d%% of the "
						"failing mail.",
			 d->dmarc_pct, d->dmarc_pct);
		domain_add_finding(d, "dmarc-pct-partial", SEV_LOW, "DMARC applies to part of the mail",
				   detail, "Remove pct (or set pct=100).");
	}
}

static void verdict(struct domain_info *d, int dane)
{
	char detail[600];
	if (d->dnssec_unusable) {
		/* DANE cannot be judged: neither can the verdict. */
		d->verdict = VERDICT_UNKNOWN;
		str_set(&d->verdict_detail,
			"The resolver cannot validate DNSSEC, so whether DANE protects the "
			"domain cannot be told; run again with --resolver and a validating "
			"resolver.");
		return;
	}
	if (!dane && !d->null_mx && sts_undetermined(d)) {
		/* Without DANE, MTA-STS decides: unknown is all that can be
		 * said. */
		d->verdict = VERDICT_UNKNOWN;
		if (d->sts.undetermined)
			snprintf(detail, sizeof detail,
				 "Whether an MTA-STS policy protects the domain cannot be told: "
				 "%.450s.",
				 d->sts.error ? d->sts.error : "the policy fetch failed");
		else {
			/* The resolver's message may start with the name: said once. */
			const char *why = domain_sts_lookup_reason(d);
			snprintf(detail, sizeof detail,
				 "Whether an MTA-STS policy protects the domain cannot be told: the "
				 "lookup of _mta-sts.%.200s failed: %.300s.",
				 d->name, why);
		}
		str_set(&d->verdict_detail, detail);
		return;
	}
	int enforce = sts_mode_is(d, STS_MODE_ENFORCE), testing = sts_mode_is(d, STS_MODE_TESTING);
	enum verdict v = dane && enforce ? VERDICT_BOTH
			 : dane		 ? VERDICT_DANE
			 : enforce	 ? VERDICT_MTA_STS_ENFORCE
			 : testing	 ? VERDICT_MTA_STS_TESTING
					 : VERDICT_NONE;
	if (d->null_mx)
		snprintf(detail, sizeof detail,
			 "The domain takes no mail (null MX): nothing to downgrade.");
	else if (v == VERDICT_BOTH)
		snprintf(detail, sizeof detail,
			 "DANE protects senders that validate DNSSEC, MTA-STS (enforce) the "
			 "others: no sender can be downgraded to clear text or an impostor.");
	else if (v == VERDICT_DANE)
		snprintf(detail, sizeof detail,
			 "Senders that validate DNSSEC require TLS and the TLSA-matched "
			 "certificate; the others (no MTA-STS%s) can be downgraded.",
			 testing ? " in enforce mode" : "");
	else if (enforce)
		snprintf(detail, sizeof detail,
			 "Senders that apply MTA-STS require TLS with a valid certificate for "
			 "the listed MX hosts (once they have cached the policy).");
	else if (testing)
		snprintf(detail, sizeof detail,
			 "MTA-STS in testing mode: senders report failures but still deliver, so "
			 "an attacker can strip STARTTLS.");
	else
		snprintf(detail, sizeof detail,
			 "Neither DANE nor an MTA-STS policy: an attacker on the path can strip "
			 "STARTTLS or present any certificate, and senders go on in clear text.");
	d->verdict = v;
	str_set(&d->verdict_detail, detail);
	if (v == VERDICT_NONE && !d->null_mx && d->nmx > 0)
		domain_add_finding(d, "downgrade-unprotected", SEV_MEDIUM,
				   "Nothing protects this domain's mail from downgrades", detail,
				   "Publish an MTA-STS policy in enforce mode, and, with DNSSEC, "
				   "DANE TLSA records for every MX host.");
}

static void mx_host_findings(struct domain_info *d)
{
	char detail[900];
	size_t bad = 0, all = 0;
	for (size_t i = 0; i < d->nmx; i++)
		if (!d->implicit_mx) {
			all++;
			bad += d->mx[i].naddresses == 0;
		}
	for (size_t i = 0; i < d->nmx && !d->implicit_mx; i++) {
		const struct mx_host *m = &d->mx[i];
		if (m->cname) {
			snprintf(detail, sizeof detail,
				 "The MX record names %s, which is an alias (CNAME) for %s. "
				 "RFC 2181 10.3 forbids it: senders may refuse or mis-handle it, "
				 "and the name they check (DANE, MTA-STS) becomes ambiguous.",
				 m->name, m->cname);
			domain_add_finding(d, "mx-cname", SEV_LOW, "An MX host is an alias (CNAME)",
					   detail, "Point the MX record at the canonical host name.");
		}
		if (m->naddresses)
			continue;
		snprintf(detail, sizeof detail, "%s: %s. %s", m->name,
			 m->addr_error ? m->addr_error : "no address",
			 bad == all ? "No MX host can be reached: mail to the domain bounces or waits."
				    : "Senders skip it and use the other MX hosts.");
		domain_add_finding(d, "mx-host-unresolvable", bad == all ? SEV_HIGH : SEV_MEDIUM,
				   "An MX host has no address", detail,
				   "Give the MX host A/AAAA records, or remove it from the MX "
				   "records.");
	}
}

void check_domain(struct domain_info *d)
{
	char detail[700];
	int dane_hosts, hosts;

	/* Which MX hosts the policy covers. */
	for (size_t i = 0; i < d->nmx; i++) {
		struct mx_host *m = &d->mx[i];
		m->sts_match = -1;
		if (!d->sts.valid)
			continue;
		m->sts_match = 0;
		for (size_t j = 0; j < d->sts.nmx; j++)
			if (sts_mx_match(d->sts.mx[j], m->name))
				m->sts_match = 1;
	}
	if (d->mx_error && !d->nmx) {
		snprintf(detail, sizeof detail, "MX lookup for %s: %s", d->name, d->mx_error);
		domain_add_finding(d, "mx-lookup-failed", SEV_HIGH, "The MX lookup failed", detail,
				   "Check the domain's delegation and DNS servers.");
	} else if (d->null_mx) {
		domain_add_finding(d, "mx-null", SEV_INFO, "Null MX: the domain takes no mail",
				   "The MX record is \"0 .\" (RFC 7505).", NULL);
	} else if (d->implicit_mx) {
		domain_add_finding(d, "mx-missing", SEV_LOW, "No MX record",
				   "Senders fall back to the domain's own address (RFC 5321 5.1).",
				   "Publish an MX record naming the mail host.");
	}
	mx_host_findings(d);
	/* Without a validating resolver nothing is said about DNSSEC or DANE. */
	dane_hosts = hosts = 0;
	if (!d->dnssec_unusable)
		dnssec_findings(d, &dane_hosts, &hosts);
	int dane = hosts > 0 && dane_hosts == hosts && d->mx_sec == SEC_SECURE;
	if (!d->null_mx && !(d->mx_error && !d->nmx)) {
		sts_findings(d, dane);
		tlsrpt_findings(d);
	}
	spf_findings(d);
	dmarc_findings(d);
	verdict(d, dane);
}
