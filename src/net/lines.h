/* lines.h - bounded line framing over an input buffer.
 * Replies may arrive split across TCP segments or several in one segment;
 * the reader takes one line at a time and never more. Lines end in CRLF; a
 * bare LF is accepted (and noted) because real servers send it. */
#ifndef MAILTLS_LINES_H
#define MAILTLS_LINES_H

#include <stddef.h>
#include "core/buf.h"
#include "core/compiler.h"

enum line_rc { LINE_NEED_MORE = 0, LINE_OK = 1, LINE_TOO_LONG = -1 };

struct line {
	const char *text; /* points into the buffer; valid until it is consumed */
	size_t len;       /* without the line ending */
	size_t wire_len;  /* with it: what to consume */
	int bare_lf;
};

/* Find the first complete line in b. A line longer than max_len (without
 * its ending) is LINE_TOO_LONG, whether or not its end has arrived yet. */
enum line_rc line_peek(const struct buf *b, size_t max_len, struct line *out) WUR;

/* Reply framing used by SMTP, LMTP, FTP and ManageSieve-like protocols
 * (RFC 5321 4.2): "250-first", "250-more", "250 last". Lines are collected
 * until the final line; caps bound the line count and total size. */
struct reply {
	int code;       /* 3 digits, or -1 when the line had none */
	char **lines;   /* text after "ddd-"/"ddd " (or whole line if no code) */
	size_t nlines, caplines;
	size_t bytes;
	int complete;
};

struct reply_limits {
	size_t max_line; /* default 2048 (RFC 5321 4.5.3.1.5 says 512) */
	size_t max_lines;
	size_t max_bytes;
	int rfc959;      /* FTP: lines inside a multi-line reply need no code
			    (RFC 959 4.2); only "ddd " with the same code ends it */
};

enum reply_rc { REPLY_NEED_MORE = 0, REPLY_DONE = 1, REPLY_ERR_LIMIT = -1, REPLY_ERR_SYNTAX = -2 };

/* Consume lines from b into r until the reply is complete. Each raw line is
 * passed to on_line (for the transcript) before parsing. */
enum reply_rc reply_feed(struct reply *r, struct buf *b, const struct reply_limits *lim,
			 void (*on_line)(void *arg, const char *text, size_t len), void *arg) WUR;
void reply_reset(struct reply *r);
void reply_free(struct reply *r);

#endif
