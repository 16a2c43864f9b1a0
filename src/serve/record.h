/* record.h - what one `mailtls serve` session saw, and its two renderings:
 * one terminal line (peer text through esc_term) and one JSON line (peer
 * text through esc_utf8, then jansson). Peer strings are kept raw with
 * their length (they may hold NULs); only the renderers escape them. */
#ifndef MAILTLS_SERVE_RECORD_H
#define MAILTLS_SERVE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/compiler.h"
#include "tls/ossl_server.h"

/* Transactions and recipients kept per session; beyond, only counted. */
#define REC_MAX_MSGS 100
#define REC_MAX_RCPTS 1000

struct rec_str {
	char *s; /* NUL-terminated copy; may hold NULs before len */
	size_t len;
};

struct rec_msg {
	struct rec_str from; /* reverse-path without the brackets */
	struct rec_str *rcpts;
	size_t nrcpts, caprcpts;
	size_t rcpts_dropped; /* accepted but over REC_MAX_RCPTS */
	int data;             /* DATA was accepted and the body ended */
	int accepted;         /* ...and answered 250 */
	uint64_t size;        /* body bytes after dot-unstuffing, CRLF counted */
	char *reply;          /* the answer to the end of DATA */
	int tls;              /* the transaction ran inside TLS */
};

struct rec {
	unsigned long id;
	char start[32];     /* ISO 8601 UTC, milliseconds */
	double duration_ms;
	char *listener;     /* our address "127.0.0.1:2525" */
	const char *mode;   /* "starttls" or "implicit" */
	char *client;       /* the peer's address (not peer text) */
	char helo_verb[8];  /* "EHLO", "HELO", "" */
	struct rec_str helo;
	int starttls_offered; /* advertised in the last EHLO reply */
	int starttls_used;    /* STARTTLS was accepted (220) */
	struct ossl_srv_info tls;
	char *tls_error;      /* the handshake failed: why */
	size_t pipelined_after_starttls; /* bytes sent after STARTTLS, dropped */
	struct rec_msg *msgs;
	size_t nmsgs, capmsgs;
	size_t msgs_dropped;
	unsigned long messages;  /* transactions answered 250 after DATA */
	unsigned long commands;
	unsigned long errors;    /* 5xx answers */
	const char *end;         /* why it ended: "quit", "client-closed", ... */
};

void rec_init(struct rec *r, unsigned long id);
void rec_free(struct rec *r);
void rec_str_set(struct rec_str *d, const void *p, size_t n);
/* A new transaction (MAIL accepted); NULL when over REC_MAX_MSGS (then
 * only counted). */
struct rec_msg *rec_add_msg(struct rec *r, const void *from, size_t n, int tls);
void rec_msg_add_rcpt(struct rec_msg *m, const void *p, size_t n);

/* One line for the terminal, without the newline. */
int rec_text(const struct rec *r, struct buf *out) WUR;
/* One compact JSON object, without the newline. */
int rec_json(const struct rec *r, struct buf *out) WUR;

#endif
