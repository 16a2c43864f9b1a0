/* sessrec.h - what one `mailtls serve` session saw, and its two renderings:
 * one terminal line (peer text through esc_term) and one JSON line (peer
 * text through esc_utf8, then jansson). Peer strings are kept raw with
 * their length (they may hold NULs); only the renderers escape them. */
#ifndef MAILTLS_SERVE_SESSREC_H
#define MAILTLS_SERVE_SESSREC_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/compiler.h"
#include "tls/ossl_server.h"

/* Transactions kept per session and recipients per transaction; beyond,
 * only counted (a record, and so a JSON line, stays a few MiB at most). */
#define SREC_MAX_MSGS 20
#define SREC_MAX_RCPTS 100

struct srec_str {
	char *s; /* NUL-terminated copy; may hold NULs before len */
	size_t len;
};

struct srec_msg {
	struct srec_str from; /* reverse-path without the brackets */
	struct srec_str *rcpts;
	size_t nrcpts, caprcpts;
	size_t rcpts_dropped; /* accepted but over SREC_MAX_RCPTS */
	int data;             /* DATA was accepted and the body ended */
	int accepted;         /* ...and answered 250 */
	uint64_t size;        /* body bytes after dot-unstuffing, CRLF counted */
	char *reply;          /* the answer to the end of DATA */
	int tls;              /* the transaction ran inside TLS */
};

struct srec {
	unsigned long id;
	char start[32];     /* ISO 8601 UTC, milliseconds */
	double duration_ms;
	char *listener;     /* our address "127.0.0.1:2525" */
	const char *mode;   /* "starttls" or "implicit" */
	char *client;       /* the peer's address (not peer text) */
	char helo_verb[8];  /* "EHLO", "HELO", "" */
	struct srec_str helo;
	int starttls_offered; /* advertised in the last EHLO reply */
	int starttls_used;    /* STARTTLS was accepted (220) */
	struct ossl_srv_info tls;
	char *tls_error;      /* the handshake failed: why */
	size_t pipelined_after_starttls; /* bytes sent after STARTTLS, dropped */
	struct srec_msg *msgs;
	size_t nmsgs, capmsgs;
	size_t msgs_dropped;
	unsigned long messages;  /* transactions answered 250 after DATA */
	unsigned long commands;
	unsigned long errors;    /* 5xx answers */
	const char *end;         /* why it ended: "quit", "client-closed", ... */
};

void srec_init(struct srec *r, unsigned long id);
void srec_free(struct srec *r);
void srec_str_set(struct srec_str *d, const void *p, size_t n);
/* A new transaction (MAIL accepted); NULL when over SREC_MAX_MSGS (then
 * only counted). */
struct srec_msg *srec_add_msg(struct srec *r, const void *from, size_t n, int tls);
void srec_msg_add_rcpt(struct srec_msg *m, const void *p, size_t n);

/* One line for the terminal, without the newline. */
int srec_text(const struct srec *r, struct buf *out) WUR;
/* One compact JSON object, without the newline. */
int srec_json(const struct srec *r, struct buf *out) WUR;

#endif
