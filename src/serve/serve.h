/* serve.h - `mailtls serve`: the run loop of the receiving test server.
 *
 * One libevent loop runs every listener and session, as the scanner's run
 * does. Each accepted socket becomes a conn (conn_adopt) with the smtpd
 * state machine on top; STARTTLS and implicit TLS install an OpenSSL
 * server session (tls/ossl_server) as the conn's transport. Each session
 * ends as one line on the output and, with a log, one JSON line.
 *
 * Nothing here resolves a name or opens an outbound connection: it is a
 * sink. */
#ifndef MAILTLS_SERVE_H
#define MAILTLS_SERVE_H

#include <stdint.h>
#include <stdio.h>
#include "core/err.h"
#include "tls/ossl_server.h"

struct serve_listen {
	const char *addr; /* "127.0.0.1:2525", "[::1]:0" */
	int implicit;     /* TLS from the first byte */
};

struct serve_cfg {
	const struct serve_listen *listens;
	size_t nlistens;
	struct ossl_srv_opts tls;
	const char *hostname;  /* greeting and EHLO name */
	int starttls;          /* offer STARTTLS on plain listeners */
	int require_tls;
	uint64_t max_size;
	size_t max_line;
	unsigned max_rcpt;
	unsigned max_errors;
	int max_sessions;      /* concurrent; more get 421 4.7.0 */
	int session_ms;        /* whole session; 421 4.4.2 after it */
	int idle_ms;           /* waiting for the client; 421 4.4.2 after it */
	unsigned long max_messages; /* stop after this many; 0: never */
	int exit_after_ms;     /* stop after this long; 0: never */
	int grace_ms;          /* how long open sessions may finish when stopping */
	const char *log_path;  /* JSON lines; NULL: none */
	FILE *out;             /* start-up lines and one line per session */
};

void serve_cfg_defaults(struct serve_cfg *c);
/* Run until a signal, --max-messages or --exit-after. 0 after a clean
 * stop; -1 with *e when it could not start (ERR_LOCAL, ERR_USAGE). */
int serve_run(const struct serve_cfg *cfg, struct err *e) WUR;

#endif
