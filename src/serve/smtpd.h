/* smtpd.h - the SMTP server side of `mailtls serve`: a test sink.
 *
 * Pure protocol, no I/O: the caller feeds the bytes a client sent (an input
 * buffer, framed here into bounded lines) and sends what is appended to the
 * output buffer. ESMTP (RFC 5321) with PIPELINING (RFC 2920), SIZE (RFC
 * 1870), 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES (RFC 2034/3463) and
 * STARTTLS (RFC 3207). Every recipient is accepted into the sink and every
 * body is counted and dropped: nothing is stored, nothing is relayed (no
 * code path here, or anywhere in serve, opens a connection).
 *
 * State is an enum with a name table; commands dispatch through a table
 * that says in which states each is allowed (STYLE.md 10). */
#ifndef MAILTLS_SMTPD_H
#define MAILTLS_SMTPD_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "serve/sessrec.h"

enum smtpd_state {
	SD_INIT,     /* greeted; waiting for HELO/EHLO */
	SD_READY,    /* hello done, no transaction */
	SD_MAIL,     /* MAIL accepted */
	SD_RCPT,     /* at least one RCPT accepted */
	SD_DATA,     /* reading the message body */
	SD_STARTTLS, /* 220 sent to STARTTLS: no input until TLS is up */
	SD_CLOSING,  /* a last reply was sent (221, 421): no more input */
	SD_NSTATES,
};

enum smtpd_act {
	SMTPD_MORE,      /* wait for more input */
	SMTPD_START_TLS, /* send the output, then switch to TLS */
	SMTPD_CLOSE,     /* send the output, then close */
};

struct smtpd_cfg {
	const char *hostname; /* our name in the greeting and replies */
	uint64_t max_size;    /* SIZE: the largest message accepted */
	size_t max_line;      /* longest line, CRLF included (RFC 5321 4.5.3.1) */
	unsigned max_rcpt;    /* recipients per transaction */
	unsigned max_errors;  /* 5xx answers before 421 and close */
	int starttls;         /* offer STARTTLS */
	int require_tls;      /* 530 to MAIL/RCPT/DATA before STARTTLS */
};

struct smtpd;

/* rec (outliving the smtpd) receives what the client did. */
struct smtpd *smtpd_new(const struct smtpd_cfg *cfg, struct srec *rec);
void smtpd_free(struct smtpd *s);
/* The 220 greeting. */
int smtpd_greet(struct smtpd *s, struct buf *out) WUR;
/* Consume complete lines from in and answer them into out. Returns what the
 * caller must do next; after SMTPD_START_TLS the bytes that followed the
 * STARTTLS line have been counted and dropped (RFC 3207 4.2). -1 only when
 * out is full (the caller closes). */
int smtpd_feed(struct smtpd *s, struct buf *in, struct buf *out) WUR;
/* TLS is up (after SMTPD_START_TLS, or at once on an implicit port):
 * forget the hello (RFC 3207 4.2) and note the version and cipher that the
 * end-of-DATA answer names. */
void smtpd_tls_started(struct smtpd *s, const char *version, const char *cipher);
/* The server ends the session (timeout, shutdown, too many sessions):
 * "421 ENH HOSTNAME TEXT" (RFC 5321 3.8) when the state still allows a
 * reply. 1 when one was written; the state is SD_CLOSING after. */
int smtpd_close_421(struct smtpd *s, struct buf *out, const char *enh, const char *text);
/* Why the protocol ended the session after SMTPD_CLOSE: "quit",
 * "too-many-errors"; NULL while it goes on. */
const char *smtpd_end_reason(const struct smtpd *s);
enum smtpd_state smtpd_state(const struct smtpd *s);
const char *smtpd_state_name(enum smtpd_state st);

#endif
