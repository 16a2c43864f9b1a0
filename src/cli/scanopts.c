/* scanopts.c - the options `check` and `domain` share (mode, TLS, limits,
 * outputs) and the writing of their reports. */
#include "cli/scanopts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/args.h"
#include "cli/cli.h"
#include "core/esc.h"
#include "core/log.h"
#include "dns/resolve.h"
#include "model/domain.h"

enum {
	OPT_IMPLICIT = 256,
	OPT_STARTTLS,
	OPT_SNI,
	OPT_CA_FILE,
	OPT_CA_PATH,
	OPT_IP,
	OPT_FIRST_IP,
	OPT_CONNECT_TO,
	OPT_READ_TO,
	OPT_TOTAL_TO,
	OPT_SCAN_TO,
	OPT_MAX_HOST,
	OPT_MAX_CONNS,
	OPT_JSON,
	OPT_CSV,
	OPT_HTML,
	OPT_FAIL_ON,
	OPT_EHLO,
	OPT_TRANSCRIPT,
	OPT_QUICK,
	OPT_PATIENT,
	OPT_VULNS,
	OPT_NO_VULNS,
	OPT_SUBMISSION,
	OPT_XMPP_DOMAIN,
	OPT_WARN_DAYS,
	OPT_NO_COLOR,
	OPT_SEVERITY,
	OPT_JSONL,
	OPT_SHOW_CERTS,
	OPT_RESOLVER,
	OPT_TRUST_ANCHOR,
	OPT_PORT,
	OPT_STS_PORT,
};

static const struct option long_opts[] = {
	{"implicit", no_argument, NULL, OPT_IMPLICIT},
	{"starttls", required_argument, NULL, OPT_STARTTLS},
	{"sni", required_argument, NULL, OPT_SNI},
	{"ca-file", required_argument, NULL, OPT_CA_FILE},
	{"ca-path", required_argument, NULL, OPT_CA_PATH},
	{"ip", required_argument, NULL, OPT_IP},
	{"first-ip", no_argument, NULL, OPT_FIRST_IP},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TO},
	{"read-timeout", required_argument, NULL, OPT_READ_TO},
	{"timeout", required_argument, NULL, OPT_TOTAL_TO},
	{"scan-timeout", required_argument, NULL, OPT_SCAN_TO},
	{"max-conns-per-host", required_argument, NULL, OPT_MAX_HOST},
	{"max-conns", required_argument, NULL, OPT_MAX_CONNS},
	{"json", required_argument, NULL, OPT_JSON},
	{"csv", required_argument, NULL, OPT_CSV},
	{"html", required_argument, NULL, OPT_HTML},
	{"output", required_argument, NULL, 'o'},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"ehlo", required_argument, NULL, OPT_EHLO},
	{"transcript", no_argument, NULL, OPT_TRANSCRIPT},
	{"quick", no_argument, NULL, OPT_QUICK},
	{"patient", no_argument, NULL, OPT_PATIENT},
	{"vulns", no_argument, NULL, OPT_VULNS},
	{"no-vulns", no_argument, NULL, OPT_NO_VULNS},
	{"submission", no_argument, NULL, OPT_SUBMISSION},
	{"xmpp-domain", required_argument, NULL, OPT_XMPP_DOMAIN},
	{"warn-days", required_argument, NULL, OPT_WARN_DAYS},
	{"show-certs", no_argument, NULL, OPT_SHOW_CERTS},
	{"resolver", required_argument, NULL, OPT_RESOLVER},
	{"trust-anchor", required_argument, NULL, OPT_TRUST_ANCHOR},
	{"port", required_argument, NULL, OPT_PORT},
	{"mta-sts-port", required_argument, NULL, OPT_STS_PORT},
	{"no-color", no_argument, NULL, OPT_NO_COLOR},
	{"quiet", no_argument, NULL, 'q'},
	{"severity", required_argument, NULL, OPT_SEVERITY},
	{"jsonl", no_argument, NULL, OPT_JSONL},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* `mailtls render`: the output options only (output_opt handles them). */
static const struct option render_opts[] = {
	{"json", required_argument, NULL, OPT_JSON},
	{"csv", required_argument, NULL, OPT_CSV},
	{"html", required_argument, NULL, OPT_HTML},
	{"output", required_argument, NULL, 'o'},
	{"jsonl", no_argument, NULL, OPT_JSONL},
	{"transcript", no_argument, NULL, OPT_TRANSCRIPT},
	{"show-certs", no_argument, NULL, OPT_SHOW_CERTS},
	{"no-color", no_argument, NULL, OPT_NO_COLOR},
	{"quiet", no_argument, NULL, 'q'},
	{"severity", required_argument, NULL, OPT_SEVERITY},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int parse_count(const char *s, int max, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

const char *const fmt_names[FMT_COUNT] = {"text", "json", "csv", "html", "jsonl"};

static int parse_fmt(const char *s, enum fmt *out)
{
	for (int i = 0; i < FMT_COUNT; i++)
		if (strcmp(s, fmt_names[i]) == 0) {
			*out = (enum fmt)i;
			return 0;
		}
	return -1;
}

/* The EHLO argument goes on the wire: a domain (or address literal), no
 * spaces or controls (RFC 5321 4.1.1.1). */
static int valid_ehlo(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return 0;
	return 1;
}

/* The machine's name when it is a FQDN, else mailtls.invalid (RFC 6761):
 * no DNS lookup just for this. */
static void default_ehlo(struct check_opts *o)
{
	char host[256];
	if (gethostname(host, sizeof host) == 0 && (host[sizeof host - 1] = '\0', 1) &&
	    strchr(host, '.') && valid_ehlo(host)) {
		snprintf(o->ehlo_buf, sizeof o->ehlo_buf, "%s", host);
		o->cfg.ehlo = o->ehlo_buf;
	}
}

/* An option that check, domain and render share: what is written where.
 * 0 when c was one of them, else the usage exit code (the error said). */
static int output_opt(int c, char **argv, struct check_opts *o)
{
	const char *cmd = o->cmd;

	switch (c) {
	case OPT_JSON:
	case OPT_CSV:
	case OPT_HTML:
		o->paths[c == OPT_JSON ? FMT_JSON : c == OPT_CSV ? FMT_CSV : FMT_HTML] = optarg;
		return 0;
	case 'o':
		if (parse_fmt(optarg, &o->stdout_fmt) != 0)
			return cli_usage_error(cmd, "invalid -o '%s' (text, json, csv, html, jsonl)",
					       optarg);
		return 0;
	case OPT_TRANSCRIPT:
		o->transcript = 1;
		return 0;
	case OPT_SHOW_CERTS:
		o->show_certs = 1;
		return 0;
	case OPT_NO_COLOR:
		o->no_color = 1;
		return 0;
	case 'q':
		o->quiet = 1;
		return 0;
	case OPT_SEVERITY:
		if (severity_parse(optarg, &o->min_sev))
			return cli_usage_error(cmd, "invalid --severity '%s'", optarg);
		return 0;
	case OPT_JSONL:
		o->stdout_fmt = FMT_JSONL;
		return 0;
	case 'v':
		log_verbosity++;
		return 0;
	default:
		return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
	}
}

int scan_opts_parse_render(int argc, char **argv, struct check_opts *o)
{
	int c, rc;

	o->cmd = "render";
	o->fail_on = SEV_HIGH;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "vhqo:", render_opts, NULL)) != -1) {
		if (c == 'h') {
			cmd_render_usage(stdout);
			return -1;
		}
		rc = output_opt(c, argv, o);
		if (rc != 0)
			return rc;
	}
	if (optind != argc - 1)
		return cli_usage_error(o->cmd, optind >= argc ? "no FILE given (a mailtls/1 JSON "
								"document, or - for stdin)"
							      : "exactly one FILE expected");
	o->target = argv[optind];
	return 0;
}

int scan_opts_parse(int argc, char **argv, const char *cmd, struct check_opts *o)
{
	int c, rc, vulns = -1;
	struct dns_addr a;

	scan_cfg_defaults(&o->cfg);
	checks_cfg_defaults(&o->checks);
	default_ehlo(o);
	o->fail_on = SEV_HIGH;
	o->cmd = cmd;
	o->domain = strcmp(cmd, "domain") == 0;
	o->mx_port = 25;
	o->sts_port = 443;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "vhqo:", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_IMPLICIT:
			o->implicit = 1;
			break;
		case OPT_STARTTLS:
			o->starttls = optarg;
			break;
		case OPT_SNI:
			o->cfg.sni = optarg;
			break;
		case OPT_CA_FILE:
			o->cfg.ca_file = optarg;
			break;
		case OPT_CA_PATH:
			o->cfg.ca_path = optarg;
			break;
		case OPT_IP:
			if (dns_parse_numeric(optarg, &a) != 0)
				return cli_usage_error(cmd, "--ip wants a numeric address, not '%s'", optarg);
			o->cfg.pin_ip = optarg;
			break;
		case OPT_FIRST_IP:
			o->cfg.first_ip = 1;
			break;
		case OPT_CONNECT_TO:
			if (cli_parse_secs(optarg, 86400, &o->cfg.connect_ms))
				return cli_usage_error(cmd, "invalid --connect-timeout '%s'", optarg);
			break;
		case OPT_READ_TO:
			if (cli_parse_secs(optarg, 86400, &o->cfg.read_ms))
				return cli_usage_error(cmd, "invalid --read-timeout '%s'", optarg);
			break;
		case OPT_TOTAL_TO:
			if (cli_parse_secs(optarg, 86400, &o->cfg.total_ms))
				return cli_usage_error(cmd, "invalid --timeout '%s'", optarg);
			break;
		case OPT_SCAN_TO:
			if (cli_parse_secs(optarg, 86400, &o->cfg.scan_ms))
				return cli_usage_error(cmd, "invalid --scan-timeout '%s'", optarg);
			break;
		case OPT_MAX_HOST:
			if (parse_count(optarg, 64, &o->cfg.max_conns_per_host))
				return cli_usage_error(cmd, "invalid --max-conns-per-host '%s' (1-64)", optarg);
			break;
		case OPT_MAX_CONNS:
			if (parse_count(optarg, 4096, &o->cfg.max_conns))
				return cli_usage_error(cmd, "invalid --max-conns '%s' (1-4096)", optarg);
			break;
		case OPT_FAIL_ON:
			if (severity_parse(optarg, &o->fail_on))
				return cli_usage_error(cmd, "invalid --fail-on '%s'", optarg);
			break;
		case OPT_EHLO:
			if (!valid_ehlo(optarg))
				return cli_usage_error(cmd, "invalid --ehlo '%s' (a domain name)", optarg);
			o->cfg.ehlo = optarg;
			break;
		case OPT_QUICK:
			o->cfg.quick = 1;
			break;
		case OPT_PATIENT:
			o->cfg.patient = 1;
			break;
		case OPT_VULNS:
		case OPT_NO_VULNS:
			vulns = c == OPT_VULNS;
			break;
		case OPT_SUBMISSION:
			o->cfg.submission = 1;
			break;
		case OPT_WARN_DAYS:
			if (parse_count(optarg, 3650, &o->checks.warn_days))
				return cli_usage_error(cmd, "invalid --warn-days '%s' (1-3650)", optarg);
			break;
		case OPT_XMPP_DOMAIN:
			/* It goes into an XML attribute: a plain domain only. */
			if (!valid_ehlo(optarg) || strpbrk(optarg, "'\"<>&"))
				return cli_usage_error(cmd, "invalid --xmpp-domain '%s'", optarg);
			o->cfg.xmpp_domain = optarg;
			break;
		case OPT_RESOLVER:
			o->cfg.resolver = optarg;
			break;
		case OPT_TRUST_ANCHOR:
			o->cfg.trust_anchor = optarg;
			break;
		case OPT_PORT:
		case OPT_STS_PORT: {
			int port;
			if (!o->domain)
				return cli_usage_error(cmd, "%s is an option of 'mailtls domain'",
						       argv[optind - 1]);
			if (parse_count(optarg, 65535, &port))
				return cli_usage_error(cmd, "invalid port '%s' (1-65535)", optarg);
			*(c == OPT_PORT ? &o->mx_port : &o->sts_port) = (unsigned)port;
			break;
		}
		case 'h':
			if (o->domain)
				cmd_domain_usage(stdout);
			else
				cmd_check_usage(stdout);
			return -1;
		default:
			rc = output_opt(c, argv, o);
			if (rc != 0)
				return rc;
			break;
		}
	}
	if (o->domain && (o->implicit || o->starttls || o->cfg.pin_ip || o->cfg.sni ||
			  o->cfg.xmpp_domain))
		return cli_usage_error(cmd, "--implicit, --starttls, --ip, --sni and --xmpp-domain "
					    "are options of 'mailtls check'");
	/* The battery comes with a full check; --quick runs none. */
	o->cfg.vulns = o->checks.vulns = vulns >= 0 ? vulns : !o->cfg.quick;
	const char *what = o->domain ? "DOMAIN" : "TARGET";
	if (optind != argc - 1)
		return cli_usage_error(cmd, optind >= argc ? "no %s given" : "exactly one %s expected",
				       what);
	o->target = argv[optind];
	return 0;
}

static int render(const struct result *r, enum fmt f, FILE *out, const struct text_opts *to)
{
	switch (f) {
	case FMT_JSON:
		return report_json(r, out);
	case FMT_CSV:
		return report_csv(r, out);
	case FMT_HTML:
		return report_html(r, out);
	case FMT_JSONL:
		return report_jsonl(r, out);
	default:
		report_text(r, out, to);
		return fflush(out) == 0 ? 0 : -1;
	}
}

/* Every report asked for: the files, then stdout (-o, or the text report
 * unless a file was "-"). Returns -1 when one could not be written. */
int scan_opts_write_reports(const struct result *r, const struct check_opts *o)
{
	int rc = 0, to_stdout = 0;
	/* Colour only on a terminal, and never against NO_COLOR
	 * (https://no-color.org). */
	const char *nc = getenv("NO_COLOR");
	struct text_opts to = {o->transcript, o->show_certs,
			       !o->no_color && !(nc && *nc) && isatty(STDOUT_FILENO), o->quiet, 80};
	for (int f = FMT_JSON; f <= FMT_HTML; f++) {
		const char *path = o->paths[f];
		if (!path)
			continue;
		if (strcmp(path, "-") == 0) {
			to_stdout = 1;
			rc |= render(r, (enum fmt)f, stdout, &to);
			continue;
		}
		FILE *out = fopen(path, "w");
		if (!out) {
			log_error("cannot write %s: %s", path, strerror(errno));
			rc = -1;
			continue;
		}
		if (render(r, (enum fmt)f, out, &to) != 0 || fclose(out) != 0) {
			log_error("writing the %s report to %s failed", fmt_names[f], path);
			rc = -1;
		}
	}
	if (!to_stdout)
		rc |= render(r, o->stdout_fmt, stdout, &to);
	return rc;
}

void scan_opts_say_errors(const struct result *r)
{
	for (size_t i = 0; i < r->neps; i++) {
		const struct endpoint *ep = r->eps[i];
		for (size_t j = 0; j < ep->nerrors; j++) {
			char *host = esc_term_dup(ep->host);
			char *msg = esc_term_dup(ep->errors[j].message);
			log_error("%s [%s]:%u: %s: %s", host, ep->address ? ep->address : "?",
			          ep->port, ep_error_stage_name(&ep->errors[j]), msg);
			free(host);
			free(msg);
		}
	}
}

/* A usage problem found after the options were read: the JSON report, when
 * one was asked for, still says what went wrong. */
int scan_opts_target_error(const struct check_opts *o, const char *msg)
{
	if (o->paths[FMT_JSON] || o->paths[FMT_CSV] || o->paths[FMT_HTML] ||
	    o->stdout_fmt != FMT_TEXT) {
		struct result *r = result_new();
		result_add_error(r, STAGE_TARGET, ERR_USAGE, msg);
		if (scan_opts_write_reports(r, o) != 0)
			log_error("the report could not be written");
		result_free(r);
	}
	return cli_usage_error(o->cmd, "%s", msg);
}


int scan_opts_finish(struct result *r, const struct check_opts *o, int scanned)
{
	const struct domain_info *d = r->domain;
	scan_opts_say_errors(r);
	/* The exit code counts every finding; --severity only hides. */
	enum severity worst = d ? findings_max_severity(d->findings, d->nfindings) : SEV_OK;
	int any_finding = d && d->nfindings > 0;
	for (size_t i = 0; i < r->neps; i++) {
		any_finding |= r->eps[i]->nfindings > 0;
		if (ep_max_severity(r->eps[i]) > worst)
			worst = ep_max_severity(r->eps[i]);
	}
	result_drop_findings_below(r, o->min_sev);

	int json_failed = scan_opts_write_reports(r, o) != 0;

	/* Exit 3 only when nothing could be scanned. check: one address at
	 * least (an address that failed while others worked is a finding,
	 * address-unreachable, or an error in the report); domain: the MX
	 * lookup must have worked and, when there are MX hosts, one of them
	 * scanned (a null MX has none to scan). */
	size_t ok_eps = 0;
	for (size_t i = 0; i < r->neps; i++)
		ok_eps += ep_scanned(r->eps[i]) != 0;
	int rc = any_finding && worst >= o->fail_on ? EXIT_FINDINGS : EXIT_OK;
	if (!scanned || json_failed)
		rc = EXIT_NOSCAN;
	else if (!d && ok_eps == 0)
		rc = EXIT_NOSCAN;
	else if (d && ((d->mx_error && d->nmx == 0) || (d->nmx > 0 && !d->null_mx && ok_eps == 0)))
		rc = EXIT_NOSCAN;
	result_free(r);
	return rc;
}

void scan_opts_output_usage(FILE *out)
{
	fputs("Output:\n"
	      "  --json FILE             write the mailtls/1 JSON report (- for stdout, then\n"
	      "                          no text report)\n"
	      "  --csv FILE              one row per finding (RFC 4180; - for stdout)\n"
	      "  --html FILE             a self-contained HTML page (- for stdout)\n"
	      "  -o, --output FORMAT     what goes to stdout: text (default), json, csv,\n"
	      "                          html, jsonl\n"
	      "  --jsonl                 one JSON line per endpoint on stdout (-o jsonl)\n"
	      "  -q, --quiet             the summary and the findings that need action only\n"
	      "  --no-color              no colours (also NO_COLOR=1, or not a terminal)\n"
	      "  --severity LEVEL        hide findings below LEVEL in every output\n"
	      "  --transcript            show the clear-text dialogue in the text report\n"
	      "  --show-certs            print the certificates (PEM) in the text report\n",
	      out);
}
