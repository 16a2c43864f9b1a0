/* domain_cmd.c - `mailtls domain`: DNS and policy lookups, every MX host
 * scanned, checks, reports, exit code. */
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include "checks/checks.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/scanopts.h"
#include "core/esc.h"
#include "core/log.h"
#include "core/mem.h"
#include "net/addr.h"
#include "domain/domain.h"
#include "domain/rdata.h"
#include "scan/scan.h"
#include "tls/ossl.h"

void cmd_domain_usage(FILE *out)
{
	fputs("Usage: mailtls domain [OPTIONS] DOMAIN\n"
	      "\n"
	      "Audit a mail domain: MX hosts and their DNSSEC status, DANE/TLSA, MTA-STS\n"
	      "(TXT record and policy), TLS-RPT, SPF, DMARC, then every MX host as\n"
	      "`mailtls check HOST:25` would, and a downgrade-resistance verdict: none,\n"
	      "mta-sts-testing, mta-sts-enforce, dane or both.\n"
	      "\n"
	      "DNS:\n"
	      "  --resolver ADDR[@PORT]  ask this DNS server instead of /etc/resolv.conf's\n"
	      "  --trust-anchor FILE     DNSSEC trust anchors (DS/DNSKEY records); default\n"
	      "                          the root's, /usr/share/dns/root.key\n"
	      "MX hosts and policy:\n"
	      "  --port N                connect to the MX hosts on N instead of 25 (TLSA\n"
	      "                          records are still those of _25._tcp)\n"
	      "  --mta-sts-port N        fetch the MTA-STS policy from port N, not 443\n"
	      "  --ca-file FILE          trust these CAs (MX hosts and the policy host)\n"
	      "  --ca-path DIR           trust a hashed CA directory (MX hosts)\n"
	      "  --ehlo NAME             EHLO name (default: this machine's FQDN, or\n"
	      "                          mailtls.invalid)\n"
	      "  --quick                 the verified handshake (and DANE) only, no\n"
	      "                          enumeration of protocols and cipher suites\n"
	      "  --patient               enumerate in full even on a slow MX host\n"
	      "  --vulns, --no-vulns     run or skip the vulnerability battery (default:\n"
	      "                          with a full scan, not with --quick)\n"
	      "  --first-ip              scan only the first address of each MX host\n"
	      "Limits, output and exit codes: as `mailtls check` (see mailtls help check):\n"
	      "  --connect-timeout, --read-timeout, --timeout (also the policy fetch),\n"
	      "  --scan-timeout (the lookups end within it, then the MX hosts are\n"
	      "  scanned in parallel within it), --max-conns-per-host,\n"
	      "  --max-conns, --json, --csv, --html, -o, --jsonl, -q, --no-color,\n"
	      "  --severity, --transcript, --show-certs, --warn-days, --fail-on, -v\n"
	      "\n"
	      "Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it\n"
	      "(domain or MX host); 2 usage error; 3 the MX lookup failed or no MX host\n"
	      "could be scanned.\n",
	      out);
}

/* The root's trust anchor as Debian's dns-root-data installs it. */
#define ROOT_KEY "/usr/share/dns/root.key"

/* A domain name as given (net_hostname_ok), lower-cased; a trailing dot
 * is dropped. */
static int domain_normalise(const char *in, char *out, size_t n)
{
	size_t len = strlen(in);
	if (len && in[len - 1] == '.')
		len--;
	if (len == 0 || len >= n || !net_hostname_ok(in, len, 0) || in[len - 1] == '.')
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
	out[len] = '\0';
	return 0;
}

/* The TLSA records of each MX host that DANE can use (secure answers),
 * decoded for OpenSSL. */
struct tlsa_set {
	struct ossl_tlsa *v;
	uint8_t **bufs;
	size_t n;
};

static void tlsa_set_fill(struct tlsa_set *s, const struct domain_info *d, const struct mx_host *m)
{
	memset(s, 0, sizeof(*s));
	if (d->mx_sec != SEC_SECURE || m->tlsa_sec != SEC_SECURE || !m->ntlsa)
		return;
	s->v = xcalloc(m->ntlsa, sizeof(*s->v));
	s->bufs = xcalloc(m->ntlsa, sizeof(*s->bufs));
	for (size_t i = 0; i < m->ntlsa; i++) {
		const struct tlsa_rr *t = &m->tlsa[i];
		size_t max = strlen(t->data) / 2 + 1;
		uint8_t *b = xmalloc(max);
		long len = hex_decode(t->data, b, max);
		if (len < 0 || t->usage > 255 || t->selector > 255 || t->mtype > 255) {
			free(b);
			continue;
		}
		s->bufs[s->n] = b;
		s->v[s->n] = (struct ossl_tlsa){(uint8_t)t->usage, (uint8_t)t->selector,
						(uint8_t)t->mtype, b, (size_t)len};
		s->n++;
	}
}

static void tlsa_set_free(struct tlsa_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->bufs[i]);
	free(s->bufs);
	free(s->v);
}

/* A run-level error: one stderr line, and in the report. */
static void say(struct result *r, enum err_stage stage, enum err_cat cat, const char *msg)
{
	char *m = esc_term_dup(msg);
	log_error("%s", m);
	free(m);
	result_add_error(r, stage, cat, msg);
}

int cmd_domain(int argc, char **argv)
{
	struct check_opts o = {0};
	struct err e;
	char name[256];
	int rc = scan_opts_parse(argc, argv, "domain", &o);
	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;
	if (domain_normalise(o.target, name, sizeof name) != 0)
		return scan_opts_target_error(&o, "DOMAIN must be a domain name (letters, digits, "
						  "'-', dots)");
	/* DNSSEC status needs a trust anchor: the root's unless told. */
	if (!o.cfg.trust_anchor && access(ROOT_KEY, R_OK) == 0)
		o.cfg.trust_anchor = ROOT_KEY;
	if (!o.cfg.trust_anchor)
		log_warn("no DNSSEC trust anchor (%s is missing; --trust-anchor FILE): every "
			 "answer counts as insecure, so DANE cannot be checked",
			 ROOT_KEY);

	struct domain_cfg dc;
	domain_cfg_defaults(&dc);
	dc.dns.resolver = o.cfg.resolver;
	dc.dns.trust_anchor = o.cfg.trust_anchor;
	dc.dns_timeout_ms = o.cfg.resolve_ms;
	/* The policy fetch is one connection: --timeout bounds it. The
	 * lookups together (a trickling policy host, a resolver that stalls)
	 * end within --scan-timeout; the MX scans then have theirs. */
	if (o.cfg.total_ms > 0 && o.cfg.total_ms < dc.https_timeout_ms)
		dc.https_timeout_ms = o.cfg.total_ms;
	dc.budget_ms = o.cfg.scan_ms;
	dc.sts_port = o.sts_port;
	dc.ca_file = o.cfg.ca_file;

	struct result *r = result_new();
	r->domain = domain_info_new(name);
	err_clear(&e);
	if (domain_lookup(&dc, r->domain, &e) != 0) {
		say(r, STAGE_SETUP, e.cat, e.msg);
		return scan_opts_finish(r, &o, 0);
	}

	struct domain_info *d = r->domain;
	char msg[1200];
	if (d->dnssec_unusable) {
		/* Said once; the MX hosts are then resolved without validation
		 * too (every answer would be bogus). */
		say(r, STAGE_DNSSEC, ERR_LOCAL, d->dnssec_unusable);
		o.cfg.trust_anchor = NULL;
	}
	if (d->mx_error && d->nmx == 0) {
		snprintf(msg, sizeof msg, "%s: MX lookup failed: %s", d->name, d->mx_error);
		say(r, STAGE_MX, ERR_RESOLVE, msg);
	}
	for (size_t i = 0; i < d->nmx && !d->implicit_mx; i++)
		if (!d->mx[i].naddresses) {
			snprintf(msg, sizeof msg, "MX host %s: %s", d->mx[i].name,
				 d->mx[i].addr_error ? d->mx[i].addr_error : "no address");
			say(r, STAGE_RESOLVE, ERR_RESOLVE, msg);
		}
	if (d->implicit_mx && d->nmx && !d->mx[0].naddresses) {
		snprintf(msg, sizeof msg, "%s has neither MX nor address records: %s", d->name,
			 d->mx[0].addr_error ? d->mx[0].addr_error : "no address");
		say(r, STAGE_RESOLVE, ERR_RESOLVE, msg);
	}
	struct target *t = xcalloc(d->nmx + 1, sizeof(*t));
	struct tlsa_set *ts = xcalloc(d->nmx + 1, sizeof(*ts));
	size_t nt = 0;
	for (size_t i = 0; i < d->nmx; i++) {
		const struct mx_host *m = &d->mx[i];
		if (!m->naddresses)
			continue;
		struct target *x = &t[nt];
		snprintf(x->host, sizeof x->host, "%s", m->name);
		x->port = (uint16_t)o.mx_port;
		x->mode = MODE_STARTTLS;
		x->starttls = "smtp";
		x->mode_set = 1;
		tlsa_set_fill(&ts[nt], d, m);
		x->tlsa = ts[nt].v;
		x->ntlsa = ts[nt].n;
		x->addresses = m->addresses;
		x->naddresses = m->naddresses;
		x->addr_secure = m->addr_sec == SEC_SECURE;
		nt++;
	}
	int scanned = 1;
	if (nt > 0 && scan_many(&o.cfg, t, nt, r, &e) != 0) {
		char *m = esc_term_dup(e.msg); /* already in r->errors */
		log_error("%s", m);
		free(m);
	}
	for (size_t i = 0; i < nt; i++)
		tlsa_set_free(&ts[i]);
	free(ts);
	free(t);
	checks_run(r, &o.checks);
	return scan_opts_finish(r, &o, scanned);
}
