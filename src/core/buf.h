/* buf.h - growable byte buffer with a hard cap (STYLE.md rule 5).
 * A server can send forever; appends past `max` fail and leave the buffer
 * unchanged, and the caller reports the limit. The data is always followed
 * by a NUL byte (not counted in len, not counted against max) so text can be
 * used as a C string when it holds no NUL itself. */
#ifndef MAILTLS_BUF_H
#define MAILTLS_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"

struct buf {
	uint8_t *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;    /* largest len allowed */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);                                 /* len = 0, keep memory */
int buf_append(struct buf *b, const void *p, size_t n) WUR;    /* 0, or -1 past max */
int buf_putc(struct buf *b, uint8_t c) WUR;
int buf_puts(struct buf *b, const char *s) WUR;
int buf_printf(struct buf *b, const char *fmt, ...) WUR PRINTF(2, 3);
void buf_consume(struct buf *b, size_t n);                     /* drop n bytes from the front */
const char *buf_cstr(const struct buf *b);                     /* "" when empty */
/* Hand the bytes (NUL-terminated) to the caller and reset the buffer. */
char *buf_steal(struct buf *b, size_t *len);

#endif
