/* check_cmd.c - `mailtls check`: options, scan, checks, reports, exit code. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "checks/checks.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "core/esc.h"
#include "core/log.h"
#include "dns/resolve.h"
#include "proto/dialog.h"
#include "report/report.h"
#include "scan/scan.h"

void cmd_check_usage(FILE *out)
{
	fputs("Usage: mailtls check [OPTIONS] TARGET\n"
	      "\n"
	      "TARGET is host, host:port, [ipv6]:port or an address; the port defaults to 25.\n"
	      "Every A and AAAA address of the host is scanned as its own endpoint.\n"
	      "\n"
	      "Mode:\n"
	      "  --implicit              TLS from the first byte (465, 993, 995, ...)\n"
	      "  --starttls PROTO        STARTTLS dialogue first: smtp, lmtp, imap, pop3,\n"
	      "                          sieve, ftp, xmpp, xmpp-server, ldap, nntp,\n"
	      "                          postgres, mysql\n"
	      "                          (without either, the port decides: 25, 587, 2525\n"
	      "                          smtp; 24 lmtp; 143 imap; 110 pop3; 4190 sieve;\n"
	      "                          21 ftp; 5222 xmpp; 5269 xmpp-server; 389 ldap;\n"
	      "                          119 nntp; 5432 postgres; 3306 mysql; 465, 993,\n"
	      "                          995, 636, 563, 990, 5223 implicit)\n"
	      "  --ehlo NAME             EHLO/LHLO name (default: this machine's FQDN, or\n"
	      "                          mailtls.invalid)\n"
	      "  --xmpp-domain NAME      the domain in the XMPP stream header (default: host)\n"
	      "TLS:\n"
	      "  --sni NAME              send NAME as SNI (default: the host name; none for\n"
	      "                          an address) and verify an address against it\n"
	      "  --ca-file FILE          trust these CA certificates instead of the system's\n"
	      "  --ca-path DIR           trust a hashed CA directory instead\n"
	      "Scan:\n"
	      "  --quick                 the verified handshake only: no enumeration of\n"
	      "                          protocols, cipher suites and groups (1 connection)\n"
	      "Addresses:\n"
	      "  --ip ADDR               connect to ADDR (name still used for SNI and verify)\n"
	      "  --first-ip              scan only the first address of the host\n"
	      "Limits:\n"
	      "  --connect-timeout SECS  TCP connect deadline (default 10)\n"
	      "  --read-timeout SECS     longest wait for the server (default 15)\n"
	      "  --timeout SECS          whole-connection deadline (default 60)\n"
	      "  --max-conns-per-host N  parallel connections to one host (default 4)\n"
	      "  --max-conns N           parallel connections overall (default 64)\n"
	      "Output:\n"
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
	      "  --show-certs            print the certificates (PEM) in the text report\n"
	      "  --warn-days N           cert-expires-soon below N days (default 30; high\n"
	      "                          below 15)\n"
	      "  --fail-on SEVERITY      exit 1 when a finding is at or above it: ok, info,\n"
	      "                          low, medium, high (default), critical\n"
	      "  -v, -vv                 progress (info) and debug logs on stderr\n"
	      "  -h, --help              this text\n"
	      "\n"
	      "Exit codes: 0 scanned, nothing at or above --fail-on; 1 findings at or above\n"
	      "--fail-on; 2 usage error; 3 could not scan (resolve, connect, TLS, CA file).\n",
	      out);
}

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
	OPT_MAX_HOST,
	OPT_MAX_CONNS,
	OPT_JSON,
	OPT_CSV,
	OPT_HTML,
	OPT_FAIL_ON,
	OPT_EHLO,
	OPT_TRANSCRIPT,
	OPT_QUICK,
	OPT_XMPP_DOMAIN,
	OPT_WARN_DAYS,
	OPT_NO_COLOR,
	OPT_SEVERITY,
	OPT_JSONL,
	OPT_SHOW_CERTS,
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
	{"xmpp-domain", required_argument, NULL, OPT_XMPP_DOMAIN},
	{"warn-days", required_argument, NULL, OPT_WARN_DAYS},
	{"show-certs", no_argument, NULL, OPT_SHOW_CERTS},
	{"no-color", no_argument, NULL, OPT_NO_COLOR},
	{"quiet", no_argument, NULL, 'q'},
	{"severity", required_argument, NULL, OPT_SEVERITY},
	{"jsonl", no_argument, NULL, OPT_JSONL},
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

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_HTML, FMT_JSONL, FMT_COUNT };
static const char *const fmt_names[FMT_COUNT] = {"text", "json", "csv", "html", "jsonl"};

static int parse_fmt(const char *s, enum fmt *out)
{
	for (int i = 0; i < FMT_COUNT; i++)
		if (strcmp(s, fmt_names[i]) == 0) {
			*out = (enum fmt)i;
			return 0;
		}
	return -1;
}

struct check_opts {
	struct scan_cfg cfg;
	int implicit;
	const char *starttls;
	const char *paths[FMT_COUNT]; /* --json/--csv/--html FILE ("-": stdout) */
	enum fmt stdout_fmt;          /* -o */
	enum severity fail_on;
	const char *target;
	int transcript;
	int show_certs;
	int no_color;
	int quiet;
	enum severity min_sev;
	struct checks_cfg checks;
	char ehlo_buf[256];
};

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

static int parse_args(int argc, char **argv, struct check_opts *o)
{
	int c;
	struct dns_addr a;

	scan_cfg_defaults(&o->cfg);
	checks_cfg_defaults(&o->checks);
	default_ehlo(o);
	o->fail_on = SEV_HIGH;
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
				return cli_usage_error("check", "--ip wants a numeric address, not '%s'", optarg);
			o->cfg.pin_ip = optarg;
			break;
		case OPT_FIRST_IP:
			o->cfg.first_ip = 1;
			break;
		case OPT_CONNECT_TO:
			if (cli_parse_secs(optarg, 86400, &o->cfg.connect_ms))
				return cli_usage_error("check", "invalid --connect-timeout '%s'", optarg);
			break;
		case OPT_READ_TO:
			if (cli_parse_secs(optarg, 86400, &o->cfg.read_ms))
				return cli_usage_error("check", "invalid --read-timeout '%s'", optarg);
			break;
		case OPT_TOTAL_TO:
			if (cli_parse_secs(optarg, 86400, &o->cfg.total_ms))
				return cli_usage_error("check", "invalid --timeout '%s'", optarg);
			break;
		case OPT_MAX_HOST:
			if (parse_count(optarg, 64, &o->cfg.max_conns_per_host))
				return cli_usage_error("check", "invalid --max-conns-per-host '%s' (1-64)", optarg);
			break;
		case OPT_MAX_CONNS:
			if (parse_count(optarg, 4096, &o->cfg.max_conns))
				return cli_usage_error("check", "invalid --max-conns '%s' (1-4096)", optarg);
			break;
		case OPT_JSON:
		case OPT_CSV:
		case OPT_HTML:
			o->paths[c == OPT_JSON ? FMT_JSON : c == OPT_CSV ? FMT_CSV : FMT_HTML] = optarg;
			break;
		case 'o':
			if (parse_fmt(optarg, &o->stdout_fmt) != 0)
				return cli_usage_error("check", "invalid -o '%s' (text, json, csv, html, jsonl)",
						   optarg);
			break;
		case OPT_FAIL_ON:
			if (severity_parse(optarg, &o->fail_on))
				return cli_usage_error("check", "invalid --fail-on '%s'", optarg);
			break;
		case OPT_EHLO:
			if (!valid_ehlo(optarg))
				return cli_usage_error("check", "invalid --ehlo '%s' (a domain name)", optarg);
			o->cfg.ehlo = optarg;
			break;
		case OPT_TRANSCRIPT:
			o->transcript = 1;
			break;
		case OPT_QUICK:
			o->cfg.quick = 1;
			break;
		case OPT_WARN_DAYS:
			if (parse_count(optarg, 3650, &o->checks.warn_days))
				return cli_usage_error("check", "invalid --warn-days '%s' (1-3650)", optarg);
			break;
		case OPT_SHOW_CERTS:
			o->show_certs = 1;
			break;
		case OPT_NO_COLOR:
			o->no_color = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case OPT_SEVERITY:
			if (severity_parse(optarg, &o->min_sev))
				return cli_usage_error("check", "invalid --severity '%s'", optarg);
			break;
		case OPT_JSONL:
			o->stdout_fmt = FMT_JSONL;
			break;
		case OPT_XMPP_DOMAIN:
			/* It goes into an XML attribute: a plain domain only. */
			if (!valid_ehlo(optarg) || strpbrk(optarg, "'\"<>&"))
				return cli_usage_error("check", "invalid --xmpp-domain '%s'", optarg);
			o->cfg.xmpp_domain = optarg;
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'h':
			cmd_check_usage(stdout);
			return -1;
		default:
			return cli_usage_error("check", "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("check", "%s", optind >= argc ? "no TARGET given"
							: "exactly one TARGET expected");
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
static int write_reports(const struct result *r, const struct check_opts *o)
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

static void say_errors(const struct result *r)
{
	for (size_t i = 0; i < r->neps; i++) {
		const struct endpoint *ep = r->eps[i];
		for (size_t j = 0; j < ep->nerrors; j++) {
			char *host = esc_term_dup(ep->host);
			char *msg = esc_term_dup(ep->errors[j].message);
			log_error("%s [%s]:%u: %s: %s", host, ep->address ? ep->address : "?",
				  ep->port, ep->errors[j].stage, msg);
			free(host);
			free(msg);
		}
	}
}

static const char *proto_list(void)
{
	static char list[256];
	size_t used = 0;
	list[0] = '\0';
	for (const char *const *n = dlg_proto_names(); *n && used < sizeof list; n++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
					 used ? ", " : "", *n);
	return list;
}

/* A usage problem found after the options were read: the JSON report, when
 * one was asked for, still says what went wrong. */
static int target_error(const struct check_opts *o, const char *msg)
{
	if (o->paths[FMT_JSON] || o->paths[FMT_CSV] || o->paths[FMT_HTML] ||
	    o->stdout_fmt != FMT_TEXT) {
		struct result *r = result_new();
		result_add_error(r, "target", err_cat_name(ERR_USAGE), msg);
		(void)write_reports(r, o);
		result_free(r);
	}
	return cli_usage_error("check", "%s", msg);
}

/* Could this endpoint be scanned? A verified handshake, or an
 * enumeration that found something offered (a legacy-only server), or no
 * error at all (STARTTLS refused is a finding, not a failure). */
static int scanned_endpoint(const struct endpoint *ep)
{
	if (ep->tls.done || ep->nerrors == 0)
		return 1;
	for (size_t i = 0; ep->enumerated && i < ep->nprotocols; i++)
		if (ep->protocols[i].offered > 0)
			return 1;
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o = {0};
	struct target t;
	struct err e;
	int rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;

	err_clear(&e);
	if (target_parse(o.target, 25, &t, &e) != 0)
		return target_error(&o, e.msg);
	if (o.implicit && o.starttls)
		return target_error(&o, "--implicit and --starttls exclude each other");
	if (o.implicit) {
		t.mode = MODE_IMPLICIT;
		t.mode_set = 1;
	} else if (o.starttls) {
		if (!dlg_proto_find(o.starttls)) {
			snprintf(e.msg, sizeof e.msg, "--starttls %s: unknown protocol (known: %s)",
				 o.starttls, proto_list());
			return target_error(&o, e.msg);
		}
		t.mode = MODE_STARTTLS;
		t.starttls = o.starttls;
		t.mode_set = 1;
	} else if (target_port_mode(t.port, &t.mode, &t.starttls) != 0) {
		snprintf(e.msg, sizeof e.msg,
			 "port %u has no usual mode: add --implicit or --starttls PROTO", t.port);
		return target_error(&o, e.msg);
	} else if (t.mode == MODE_STARTTLS && !dlg_proto_find(t.starttls)) {
		snprintf(e.msg, sizeof e.msg,
			 "port %u implies STARTTLS %s, which is not implemented yet (known: %s); "
			 "add --implicit if the port speaks TLS from the first byte",
			 t.port, t.starttls, proto_list());
		return target_error(&o, e.msg);
	}

	struct result *r = result_new();
	int scanned = scan_check(&o.cfg, &t, r, &e) == 0;
	if (!scanned) {
		char *msg = esc_term_dup(e.msg);
		log_error("%s", msg);
		free(msg);
	}
	checks_run(r, &o.checks);
	say_errors(r);
	/* The exit code counts every finding; --severity only hides. */
	enum severity worst = SEV_OK;
	int any_finding = 0;
	for (size_t i = 0; i < r->neps; i++) {
		any_finding |= r->eps[i]->nfindings > 0;
		if (ep_max_severity(r->eps[i]) > worst)
			worst = ep_max_severity(r->eps[i]);
	}
	result_drop_findings_below(r, o.min_sev);

	int json_failed = write_reports(r, &o) != 0;

	rc = EXIT_OK;
	for (size_t i = 0; i < r->neps; i++) {
		if (!scanned_endpoint(r->eps[i]))
			rc = EXIT_NOSCAN;
		else if (rc == EXIT_OK && any_finding && worst >= o.fail_on)
			rc = EXIT_FINDINGS;
	}
	if (!scanned || r->neps == 0 || json_failed)
		rc = EXIT_NOSCAN;
	result_free(r);
	return rc;
}
