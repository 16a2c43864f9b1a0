/* serve_cmd.c - `mailtls serve`: options, then the receiving test server. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/args.h"
#include "cli/cli.h"
#include "core/esc.h"
#include "core/log.h"
#include "core/mem.h"
#include "net/addr.h"
#include "serve/serve.h"

void cmd_serve_usage(FILE *out)
{
	fputs("Usage: mailtls serve [OPTIONS]\n"
	      "\n"
	      "A receiving SMTP test server: point a sending MTA or mail client at it and\n"
	      "it shows what that sender negotiated (STARTTLS or not, TLS version, cipher,\n"
	      "group, SNI, client certificate). A sink: every recipient is accepted, every\n"
	      "message is counted and discarded; nothing is stored, nothing is relayed.\n"
	      "It prints 'listening ADDR:PORT MODE' for each listener at start, then one\n"
	      "line per session.\n"
	      "\n"
	      "Listening (default: --listen 127.0.0.1:2525):\n"
	      "  --listen ADDR:PORT      SMTP with STARTTLS; repeatable; port 0 picks a free\n"
	      "                          port ([::1]:PORT for IPv6; numeric or localhost)\n"
	      "  --listen-implicit ADDR:PORT  SMTP inside TLS from the first byte; repeatable\n"
	      "Certificate (default: a throw-away local CA and a leaf for localhost,\n"
	      "127.0.0.1 and ::1, made at start):\n"
	      "  --cert FILE             PEM certificate chain, leaf first\n"
	      "  --key FILE              its PEM private key (default: in --cert)\n"
	      "  --hostname NAME         greeting name, also added to the generated\n"
	      "                          certificate; repeatable (the first one greets)\n"
	      "  --ca-out FILE           write the generated CA certificate (PEM) to FILE,\n"
	      "                          e.g. for 'mailtls check --ca-file FILE'\n"
	      "  --ask-client-cert       ask senders for a client certificate (any is\n"
	      "                          accepted, and recorded)\n"
	      "TLS profile:\n"
	      "  --tls-min VERSION       lowest version: TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3\n"
	      "                          (below TLSv1.2 also lowers OpenSSL's security level\n"
	      "                          so it really works)\n"
	      "  --tls-max VERSION       highest version\n"
	      "  --ciphers STRING        OpenSSL cipher string for TLSv1.2 and below\n"
	      "  --ciphersuites STRING   OpenSSL TLSv1.3 suite list\n"
	      "  --no-starttls           do not offer STARTTLS (502 to it)\n"
	      "  --require-tls           530 5.7.0 to MAIL, RCPT and DATA before STARTTLS\n"
	      "Limits (each answered with its SMTP code):\n"
	      "  --max-sessions N        concurrent sessions; more get 421 4.7.0 (default 20)\n"
	      "  --session-timeout SECS  whole session; then 421 4.4.2 (default 1800)\n"
	      "  --idle-timeout SECS     wait for the client; then 421 4.4.2 (default 300)\n"
	      "  --max-line BYTES        longest line with CRLF; over it 500 5.5.2 (default\n"
	      "                          1000, RFC 5321 4.5.3.1.6)\n"
	      "  --max-size BYTES        message size, advertised as SIZE; over it 552 5.3.4\n"
	      "                          (default 10485760; k and M suffixes allowed)\n"
	      "  --max-rcpt N            recipients per message; over it 452 4.5.3 (default 100)\n"
	      "  --max-errors N          5xx answers per session before 421 4.7.0 (default 20)\n"
	      "Stopping (default: run until SIGINT or SIGTERM):\n"
	      "  --max-messages N        stop after N messages were received\n"
	      "  --exit-after SECS       stop after SECS\n"
	      "Output:\n"
	      "  --log FILE              append one JSON object per session to FILE\n"
	      "  -v, -vv                 progress (info) and debug logs on stderr\n"
	      "  -h, --help              this text\n"
	      "\n"
	      "Exit codes: 0 stopped cleanly; 2 usage error; 3 could not start (address in\n"
	      "use, certificate or key unreadable, log not writable).\n",
	      out);
}

enum {
	OPT_LISTEN = 256,
	OPT_LISTEN_IMPLICIT,
	OPT_CERT,
	OPT_KEY,
	OPT_HOSTNAME,
	OPT_CA_OUT,
	OPT_ASK_CCERT,
	OPT_TLS_MIN,
	OPT_TLS_MAX,
	OPT_CIPHERS,
	OPT_CIPHERSUITES,
	OPT_NO_STARTTLS,
	OPT_REQUIRE_TLS,
	OPT_MAX_SESSIONS,
	OPT_SESSION_TO,
	OPT_IDLE_TO,
	OPT_MAX_LINE,
	OPT_MAX_SIZE,
	OPT_MAX_RCPT,
	OPT_MAX_ERRORS,
	OPT_MAX_MESSAGES,
	OPT_EXIT_AFTER,
	OPT_LOG,
};

static const struct option long_opts[] = {
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"listen-implicit", required_argument, NULL, OPT_LISTEN_IMPLICIT},
	{"cert", required_argument, NULL, OPT_CERT},
	{"key", required_argument, NULL, OPT_KEY},
	{"hostname", required_argument, NULL, OPT_HOSTNAME},
	{"ca-out", required_argument, NULL, OPT_CA_OUT},
	{"ask-client-cert", no_argument, NULL, OPT_ASK_CCERT},
	{"tls-min", required_argument, NULL, OPT_TLS_MIN},
	{"tls-max", required_argument, NULL, OPT_TLS_MAX},
	{"ciphers", required_argument, NULL, OPT_CIPHERS},
	{"ciphersuites", required_argument, NULL, OPT_CIPHERSUITES},
	{"no-starttls", no_argument, NULL, OPT_NO_STARTTLS},
	{"require-tls", no_argument, NULL, OPT_REQUIRE_TLS},
	{"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
	{"session-timeout", required_argument, NULL, OPT_SESSION_TO},
	{"idle-timeout", required_argument, NULL, OPT_IDLE_TO},
	{"max-line", required_argument, NULL, OPT_MAX_LINE},
	{"max-size", required_argument, NULL, OPT_MAX_SIZE},
	{"max-rcpt", required_argument, NULL, OPT_MAX_RCPT},
	{"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
	{"max-messages", required_argument, NULL, OPT_MAX_MESSAGES},
	{"exit-after", required_argument, NULL, OPT_EXIT_AFTER},
	{"log", required_argument, NULL, OPT_LOG},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int parse_num(const char *s, unsigned long long min, unsigned long long max,
		     unsigned long long *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned long long mult = 1;
	if (errno || end == s)
		return -1;
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024, end++;
	if (*end || v > max / mult || v * mult < min)
		return -1;
	*out = v * mult;
	return 0;
}

struct serve_opts {
	struct serve_cfg cfg;
	struct serve_listen *listens;
	size_t nlistens, caplistens;
	const char **names;
	size_t nnames, capnames;
	const char *tls_min, *tls_max;
};

static void add_listen(struct serve_opts *o, const char *addr, int implicit)
{
	struct serve_listen *l = xvec_push(&o->listens, &o->nlistens, &o->caplistens, sizeof(*l));
	l->addr = addr;
	l->implicit = implicit;
}

#define NUM_OPT(opt, name, field, min, max)                                                   \
	case opt:                                                                              \
		if (parse_num(optarg, min, max, &n))                                           \
			return cli_usage_error("serve", "invalid " name " '%s' (%llu-%llu)", optarg,        \
					   (unsigned long long)(min),                          \
					   (unsigned long long)(max));                         \
		c->field = n;                                                                  \
		break

static int parse_args(int argc, char **argv, struct serve_opts *o)
{
	struct serve_cfg *c = &o->cfg;
	unsigned long long n;
	int opt;

	serve_cfg_defaults(c);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
		case OPT_LISTEN_IMPLICIT:
			add_listen(o, optarg, opt == OPT_LISTEN_IMPLICIT);
			break;
		case OPT_CERT:
			c->tls.cert_file = optarg;
			break;
		case OPT_KEY:
			c->tls.key_file = optarg;
			break;
		case OPT_HOSTNAME:
			if (!net_hostname_ok(optarg, strlen(optarg), 0))
				return cli_usage_error("serve", "invalid --hostname '%s' (a DNS name)", optarg);
			*(const char **)xvec_push(&o->names, &o->nnames, &o->capnames,
						  sizeof(*o->names)) = optarg;
			break;
		case OPT_CA_OUT:
			c->tls.ca_out = optarg;
			break;
		case OPT_ASK_CCERT:
			c->tls.ask_client_cert = 1;
			break;
		case OPT_TLS_MIN:
		case OPT_TLS_MAX: {
			int v = ossl_srv_parse_version(optarg);
			if (v < 0)
				return cli_usage_error("serve", "invalid %s '%s' (TLSv1.0, TLSv1.1, TLSv1.2 or "
						   "TLSv1.3)",
						   opt == OPT_TLS_MIN ? "--tls-min" : "--tls-max",
						   optarg);
			if (opt == OPT_TLS_MIN)
				c->tls.min_version = v;
			else
				c->tls.max_version = v;
			break;
		}
		case OPT_CIPHERS:
			c->tls.ciphers = optarg;
			break;
		case OPT_CIPHERSUITES:
			c->tls.ciphersuites = optarg;
			break;
		case OPT_NO_STARTTLS:
			c->starttls = 0;
			break;
		case OPT_REQUIRE_TLS:
			c->require_tls = 1;
			break;
			NUM_OPT(OPT_MAX_SESSIONS, "--max-sessions", max_sessions, 1, 10000);
			NUM_OPT(OPT_MAX_LINE, "--max-line", max_line, 100, 1000000);
			NUM_OPT(OPT_MAX_SIZE, "--max-size", max_size, 1, 1ULL << 40);
			NUM_OPT(OPT_MAX_RCPT, "--max-rcpt", max_rcpt, 1, 100000);
			NUM_OPT(OPT_MAX_ERRORS, "--max-errors", max_errors, 1, 10000);
			NUM_OPT(OPT_MAX_MESSAGES, "--max-messages", max_messages, 1, 1000000000);
		case OPT_SESSION_TO:
			if (cli_parse_secs(optarg, 7 * 86400, &c->session_ms))
				return cli_usage_error("serve", "invalid --session-timeout '%s'", optarg);
			break;
		case OPT_IDLE_TO:
			if (cli_parse_secs(optarg, 7 * 86400, &c->idle_ms))
				return cli_usage_error("serve", "invalid --idle-timeout '%s'", optarg);
			break;
		case OPT_EXIT_AFTER:
			if (cli_parse_secs(optarg, 7 * 86400, &c->exit_after_ms))
				return cli_usage_error("serve", "invalid --exit-after '%s'", optarg);
			break;
		case OPT_LOG:
			c->log_path = optarg;
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'h':
			cmd_serve_usage(stdout);
			return -1;
		default:
			return cli_usage_error("serve", "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (c->tls.key_file && !c->tls.cert_file)
		return cli_usage_error("serve", "--key needs --cert");
	if (c->tls.ca_out && c->tls.cert_file)
		return cli_usage_error("serve", "--ca-out writes a generated CA; it does not go with --cert");
	if (c->require_tls && !c->starttls)
		return cli_usage_error("serve", "--require-tls needs STARTTLS; it does not go with --no-starttls");
	if (c->tls.min_version && c->tls.max_version && c->tls.min_version > c->tls.max_version)
		return cli_usage_error("serve", "--tls-min is above --tls-max");
	if (o->nlistens == 0)
		add_listen(o, "127.0.0.1:2525", 0);
	c->listens = o->listens;
	c->nlistens = o->nlistens;
	c->tls.names = o->names;
	c->tls.nnames = o->nnames;
	if (o->nnames)
		c->hostname = o->names[0];
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_opts o = {0};
	struct err e;
	int rc = parse_args(argc, argv, &o);
	if (rc == 0) {
		if (serve_run(&o.cfg, &e) == 0) {
			rc = EXIT_OK;
		} else {
			char *msg = esc_term_dup(e.msg);
			log_error("%s", msg);
			free(msg);
			rc = e.cat == ERR_USAGE ? EXIT_USAGE : EXIT_NOSCAN;
		}
	} else if (rc < 0) {
		rc = EXIT_OK;
	}
	free(o.listens);
	free(o.names);
	return rc;
}
