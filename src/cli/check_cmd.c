/* check_cmd.c - `mailtls check`: options, scan, checks, reports, exit code. */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/scanopts.h"
#include "core/esc.h"
#include "core/log.h"
#include "proto/dialog.h"
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
	      "DNS:\n"
	      "  --resolver ADDR[@PORT]  ask this DNS server instead of /etc/resolv.conf's\n"
	      "  --trust-anchor FILE     DNSSEC trust anchors (DS/DNSKEY records) for the\n"
	      "                          DNSSEC status of the answers\n"
	      "Scan:\n"
	      "  --quick                 the verified handshake only: no enumeration of\n"
	      "                          protocols, cipher suites and groups (1 connection)\n"
	      "  --patient               enumerate every suite even when each connection\n"
	      "                          takes 2 s or more (else one round per version)\n"
	      "  --vulns, --no-vulns     run or skip the vulnerability battery (default:\n"
	      "                          with a full check, not with --quick)\n"
	      "  --submission            the STARTTLS port is a submission port (as 587):\n"
	      "                          TLS must be required before AUTH and mail\n"
	      "Addresses:\n"
	      "  --ip ADDR               connect to ADDR (name still used for SNI and verify)\n"
	      "  --first-ip              scan only the first address of the host\n"
	      "Limits:\n"
	      "  --connect-timeout SECS  TCP connect deadline (default 10)\n"
	      "  --read-timeout SECS     longest wait for the server (default 15)\n"
	      "  --timeout SECS          whole-connection deadline (default 60)\n"
	      "  --scan-timeout SECS     whole-run budget; then stop and report what is\n"
	      "                          known, the rest unknown (default 300)\n"
	      "  --max-conns-per-host N  parallel connections to one host (default 4)\n"
	      "  --max-conns N           parallel connections overall (default 64)\n",
	      out);
	scan_opts_output_usage(out);
	fputs("  --warn-days N           cert-expires-soon below N days (default 30; high\n"
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

int cmd_check(int argc, char **argv)
{
	struct check_opts o = {0};
	struct target t;
	struct err e;
	int rc = scan_opts_parse(argc, argv, "check", &o);
	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;

	err_clear(&e);
	if (target_parse(o.target, 25, &t, &e) != 0)
		return scan_opts_target_error(&o, e.msg);
	if (o.implicit && o.starttls)
		return scan_opts_target_error(&o, "--implicit and --starttls exclude each other");
	if (o.implicit) {
		t.mode = MODE_IMPLICIT;
		t.mode_set = 1;
	} else if (o.starttls) {
		if (!dlg_proto_find(o.starttls)) {
			snprintf(e.msg, sizeof e.msg, "--starttls %s: unknown protocol (known: %s)",
				 o.starttls, proto_list());
			return scan_opts_target_error(&o, e.msg);
		}
		t.mode = MODE_STARTTLS;
		t.starttls = o.starttls;
		t.mode_set = 1;
	} else if (target_port_mode(t.port, &t.mode, &t.starttls) != 0) {
		snprintf(e.msg, sizeof e.msg,
			 "port %u has no usual mode: add --implicit or --starttls PROTO", t.port);
		return scan_opts_target_error(&o, e.msg);
	} else if (t.mode == MODE_STARTTLS && !dlg_proto_find(t.starttls)) {
		snprintf(e.msg, sizeof e.msg,
			 "port %u implies STARTTLS %s, which is not implemented yet (known: %s); "
			 "add --implicit if the port speaks TLS from the first byte",
			 t.port, t.starttls, proto_list());
		return scan_opts_target_error(&o, e.msg);
	}

	struct result *r = result_new();
	int scanned = scan_check(&o.cfg, &t, r, &e) == 0;
	if (!scanned) {
		char *msg = esc_term_dup(e.msg);
		log_error("%s", msg);
		free(msg);
	}
	checks_run(r, &o.checks);
	return scan_opts_finish(r, &o, scanned);
}
