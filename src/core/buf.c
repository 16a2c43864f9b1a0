/* buf.c - growable byte buffer with a hard cap (STYLE.md rule 5). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* First allocation: enough for a typical SMTP reply line without regrowing. */
#define BUF_MIN_ALLOC 64

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_free(struct buf *b)
{
	free(b->data);
	/* Keep max so the buffer can be reused with the same limit. */
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Make room for `extra` more bytes plus the trailing NUL. The caller has
 * already checked extra against max, so len + extra + 1 cannot overflow. */
static void buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t ncap;

	if (need <= b->cap)
		return;
	ncap = b->cap ? b->cap : BUF_MIN_ALLOC;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	/* Never allocate beyond what max can use. */
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;
	b->data = xrealloc(b->data, ncap);
	b->cap = ncap;
}

/* Would appending n bytes pass max? len <= max always holds, and the
 * SIZE_MAX case leaves no room for the NUL. */
static int buf_fits(const struct buf *b, size_t n)
{
	return n <= b->max - b->len && b->len + n < SIZE_MAX;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	const uint8_t *src = p;

	if (!buf_fits(b, n))
		return -1;
	if (n == 0)
		return 0;
	/* Appending a part of ourselves must survive the realloc. */
	if (b->data != NULL && src >= b->data && src < b->data + b->cap) {
		size_t off = (size_t)(src - b->data);

		buf_grow(b, n);
		src = b->data + off;
	} else {
		buf_grow(b, n);
	}
	memmove(b->data + b->len, src, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_putc(struct buf *b, uint8_t c)
{
	return buf_append(b, &c, 1);
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	/* Measure first so the cap is checked before anything is written.
	 * The arguments must not point into b itself: growing may move it. */
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_fits(b, (size_t)n))
		return -1;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	m = vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (m != n) {
		b->data[b->len] = '\0';
		return -1;
	}
	b->len += (size_t)n;
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

const char *buf_cstr(const struct buf *b)
{
	return b->data != NULL ? (const char *)b->data : "";
}

char *buf_steal(struct buf *b, size_t *len)
{
	char *s;

	if (len != NULL)
		*len = b->len;
	if (b->data == NULL)
		return xstrdup("");
	s = (char *)b->data;
	buf_init(b, b->max);
	return s;
}
