/* err.h - an error is a category and a message (STYLE.md rule 7).
 * The category decides the exit code and whether a retry makes sense. */
#ifndef MAILTLS_ERR_H
#define MAILTLS_ERR_H

#include "compiler.h"

enum err_cat {
	ERR_NONE = 0,
	ERR_USAGE,    /* bad command line or argument */
	ERR_RESOLVE,  /* name did not resolve */
	ERR_CONNECT,  /* TCP connect refused or unreachable */
	ERR_TIMEOUT,  /* a deadline passed */
	ERR_PROTOCOL, /* the peer broke the protocol (dialogue, framing) */
	ERR_TLS,      /* the TLS handshake failed */
	ERR_IO,       /* read/write error, unexpected close */
	ERR_LIMIT,    /* a cap was hit (line too long, reply too big) */
	ERR_LOCAL,    /* local problem: file unreadable, config */
	ERR_BUSY,     /* the server refused for load (SMTP 421): retry later */
	ERR_INTERNAL,
};

struct err {
	enum err_cat cat;
	char msg[512];
};

void err_set(struct err *e, enum err_cat cat, const char *fmt, ...) PRINTF(3, 4);
void err_clear(struct err *e);
/* Stable lower-case name of a category: "resolve", "timeout"... */
const char *err_cat_name(enum err_cat cat);
/* The inverse, for a saved report: 0, or -1 for a name not in the table. */
int err_cat_parse(const char *name, enum err_cat *out) WUR;

#endif
