/* main.c - mailtls entry point: pick the subcommand. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"

static void usage(FILE *out)
{
	fputs("Usage: mailtls COMMAND [OPTIONS] ...\n"
	      "\n"
	      "Audit the TLS of mail servers.\n"
	      "\n"
	      "Commands:\n"
	      "  check HOST[:PORT]   one endpoint: TLS handshake, protocol, cipher, group,\n"
	      "                      certificate chain and its verification\n"
	      "  domain DOMAIN       a mail domain: MX hosts, DNSSEC, DANE/TLSA, MTA-STS,\n"
	      "                      TLS-RPT, SPF, DMARC, every MX host checked, and a\n"
	      "                      downgrade-resistance verdict\n"
	      "  render FILE         a saved mailtls/1 JSON report (or - for stdin)\n"
	      "                      rendered again: text, json, csv, html, jsonl\n"
	      "  serve               a receiving SMTP test server (a sink) that shows what\n"
	      "                      a sending MTA negotiates: STARTTLS, version, cipher\n"
	      "  help [COMMAND]      this text, or a command's options\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help          this text\n"
	      "  -V, --version       print the version\n"
	      "\n"
	      "Exit codes: 0 scanned and nothing at or above --fail-on; 1 findings at or\n"
	      "above --fail-on (default high); 2 usage error; 3 could not scan.\n",
	      out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("mailtls: error: no command given (try 'mailtls --help')\n", stderr);
		return EXIT_USAGE;
	}
	/* A peer that resets a connection makes OpenSSL's write() raise
	 * SIGPIPE, which would kill the whole run: every failed write is
	 * handled (and reported) where it happens instead. */
	signal(SIGPIPE, SIG_IGN);
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0) {
		if (argc > 2 && strcmp(argv[2], "check") == 0)
			cmd_check_usage(stdout);
		else if (argc > 2 && strcmp(argv[2], "domain") == 0)
			cmd_domain_usage(stdout);
		else if (argc > 2 && strcmp(argv[2], "render") == 0)
			cmd_render_usage(stdout);
		else if (argc > 2 && strcmp(argv[2], "serve") == 0)
			cmd_serve_usage(stdout);
		else
			usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("mailtls %s\n", MAILTLS_VERSION);
		return EXIT_OK;
	}
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "domain") == 0)
		return cmd_domain(argc - 1, argv + 1);
	if (strcmp(cmd, "render") == 0)
		return cmd_render(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	fprintf(stderr, "mailtls: error: unknown command '%s' (try 'mailtls --help')\n", cmd);
	return EXIT_USAGE;
}
