/* lines.c - bounded line framing and RFC 5321-style multi-line replies. */
#include "net/lines.h"

#include <stdlib.h>
#include <string.h>
#include "core/mem.h"

enum line_rc line_peek(const struct buf *b, size_t max_len, struct line *out)
{
	const uint8_t *nl = b->len ? memchr(b->data, '\n', b->len) : NULL;
	if (!nl) {
		/* max_len bytes of text may still be followed by the CR of
		 * their CRLF; anything more cannot fit. */
		if (b->len > max_len + 1 || (b->len == max_len + 1 && b->data[max_len] != '\r'))
			return LINE_TOO_LONG;
		return LINE_NEED_MORE;
	}
	size_t end = (size_t)(nl - b->data);
	int crlf = end > 0 && b->data[end - 1] == '\r';
	size_t len = crlf ? end - 1 : end;
	if (len > max_len)
		return LINE_TOO_LONG;
	out->text = (const char *)b->data;
	out->len = len;
	out->wire_len = end + 1;
	out->bare_lf = !crlf;
	return LINE_OK;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

void reply_reset(struct reply *r)
{
	for (size_t i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	r->nlines = 0;
	r->bytes = 0;
	r->code = 0;
	r->complete = 0;
}

void reply_free(struct reply *r)
{
	reply_reset(r);
	free(r->lines);
	r->lines = NULL;
	r->caplines = 0;
}

enum reply_rc reply_feed(struct reply *r, struct buf *b, const struct reply_limits *lim,
			 void (*on_line)(void *arg, const char *text, size_t len), void *arg)
{
	size_t max_line = lim && lim->max_line ? lim->max_line : 2048;
	size_t max_lines = lim && lim->max_lines ? lim->max_lines : 256;
	size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : 64 * 1024;

	if (r->complete)
		reply_reset(r);
	for (;;) {
		struct line l;
		enum line_rc lr = line_peek(b, max_line, &l);
		if (lr == LINE_NEED_MORE)
			return REPLY_NEED_MORE;
		if (lr == LINE_TOO_LONG)
			return REPLY_ERR_LIMIT;
		if (on_line)
			on_line(arg, l.text, l.len);
		if (r->nlines >= max_lines || r->bytes + l.len > max_bytes) {
			buf_consume(b, l.wire_len);
			return REPLY_ERR_LIMIT;
		}
		/* "ddd" alone, "ddd text" or "ddd-text" (RFC 5321 4.2.1). */
		int code = -1, last = 1;
		if (lim && lim->rfc959 && r->nlines > 0 &&
		    !(l.len >= 3 && l.text[0] == '0' + r->code / 100 &&
		      l.text[1] == '0' + r->code / 10 % 10 && l.text[2] == '0' + r->code % 10 &&
		      (l.len == 3 || l.text[3] == ' '))) {
			/* RFC 959 4.2: free text until "ddd " ends the reply */
			char **slot =
				xvec_push(&r->lines, &r->nlines, &r->caplines, sizeof(*r->lines));
			*slot = xstrndup(l.text, l.len);
			r->bytes += l.len;
			buf_consume(b, l.wire_len);
			continue;
		}
		const char *text = l.text;
		size_t tlen = l.len;
		if (l.len >= 3 && is_digit(l.text[0]) && is_digit(l.text[1]) && is_digit(l.text[2]) &&
		    (l.len == 3 || l.text[3] == ' ' || l.text[3] == '-')) {
			code = (l.text[0] - '0') * 100 + (l.text[1] - '0') * 10 + (l.text[2] - '0');
			last = l.len == 3 || l.text[3] == ' ';
			text = l.len > 3 ? l.text + 4 : l.text + 3;
			tlen = l.len > 3 ? l.len - 4 : 0;
		}
		int bad = code < 0 || (r->nlines > 0 && code != r->code);
		if (r->nlines == 0)
			r->code = code;
		char **slot = xvec_push(&r->lines, &r->nlines, &r->caplines, sizeof(*r->lines));
		*slot = xstrndup(text, tlen);
		r->bytes += l.len;
		buf_consume(b, l.wire_len);
		if (bad) {
			/* A line without a code, or a continuation whose code
			 * changed: the server does not speak this framing. */
			r->complete = 1;
			return REPLY_ERR_SYNTAX;
		}
		if (last) {
			r->complete = 1;
			return REPLY_DONE;
		}
	}
}
