/* stattack.h - the STARTTLS attacks' decisions (docs/vulns.md:
 * starttls-injection, starttls-in-tls) as a pure machine: the server's lines
 * and events in, what to send next and the verdict out. The probe
 * (scan/vp_starttls.c) owns the connection, the framing and the timers; the
 * protocol's commands and how its answers read come from its struct
 * dlg_attack (proto/dialog.h).
 *
 * Injection (the Postfix CVE-2011-0411 class): STARTTLS and a second
 * command went out in one segment; once the handshake is done the machine
 * listens without sending. An answer that comes unasked is the server
 * running clear-text input inside TLS. If nothing comes, one real command
 * is sent: two answers to it, or one carrying the injected command's tag,
 * say the same.
 *
 * STARTTLS inside TLS: after the handshake (and the greeting on an
 * implicit-TLS port, the hello where the protocol restarts with one) the
 * STARTTLS command goes out again. A go-ahead is vulnerable; so is silence
 * followed by a TLS record in answer to a ClientHello sent inside TLS (a
 * second handshake started). An error answer or a close is not. */
#ifndef MAILTLS_STATTACK_H
#define MAILTLS_STATTACK_H

#include <stdint.h>
#include "model/vuln.h"
#include "proto/dialog.h"

enum atk_kind { ATK_INJECTION, ATK_IN_TLS };

enum atk_do {
	ATK_WAIT,         /* read on (an OWN_QUIET may come) */
	ATK_SEND,         /* send k->out (CRLF added), then read on */
	ATK_CLIENT_HELLO, /* send a ClientHello inside TLS, then read on */
	ATK_DONE,         /* verdict, reason and evidence are set */
};

#define ATK_TEXT 512

struct atk {
	const struct dlg_attack *a;
	enum atk_kind kind;
	/* Injection: this run's normal STARTTLS handshake completed, so an
	 * alert or a close right after the go-ahead is the server refusing
	 * the pipelined command, not a server that cannot do TLS. */
	int baseline;
	int quiet_ms; /* for the messages */
	int state;
	int own_left; /* answers the server still sends by itself */
	int answers;  /* to the probe's command */
	char hello_line[300];
	char first[128]; /* the first answer to the probe's command, clipped */
	char out[300];   /* ATK_SEND: the line */
	enum vuln_verdict verdict;
	char reason[ATK_TEXT];
	char evidence[ATK_TEXT];
};

/* ehlo_name: the hello's argument (SMTP, LMTP). a may be NULL until the
 * protocol is known (then only atk_no_tls may be called). */
void atk_init(struct atk *k, const struct dlg_attack *a, enum atk_kind kind, const char *ehlo_name,
              int quiet_ms);
/* The handshake is done. greeting: an implicit-TLS port, whose greeting
 * comes first (STARTTLS inside TLS only). */
enum atk_do atk_start(struct atk *k, int greeting);
/* One line (without its ending). */
enum atk_do atk_line(struct atk *k, const char *line);
/* quiet_ms passed without a byte. */
enum atk_do atk_quiet(struct atk *k);
/* The server closed the connection. */
enum atk_do atk_eof(struct atk *k);
/* After ATK_CLIENT_HELLO: does the machine read the next bytes as a TLS
 * record rather than as a line? */
int atk_wants_record(const struct atk *k);
/* They are a TLS record of this content type (20..24). */
enum atk_do atk_tls_record(struct atk *k, uint8_t type);
/* The probe ended before the machine had the TLS session: go, the server's
 * go-ahead came; reply, its answer to STARTTLS (NULL none); hs_refused, the
 * handshake after the go-ahead ended by the server's alert or close; why,
 * the error (NULL none). Sets the verdict. */
void atk_no_tls(struct atk *k, int go, const char *reply, int hs_refused, const char *why);

#endif
