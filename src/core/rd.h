/* rd.h - bounded reader over wire bytes with a sticky error (STYLE.md 2, 3).
 * Once a read fails every later read fails and yields zeros; the caller
 * checks once, with rd_done() when the block must be consumed exactly. */
#ifndef MAILTLS_RD_H
#define MAILTLS_RD_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"

struct rd {
	const uint8_t *p, *end;
	int err;
};

void rd_init(struct rd *r, const void *p, size_t n);
void rd_u8(struct rd *r, uint8_t *v);
void rd_u16(struct rd *r, uint16_t *v);
void rd_u24(struct rd *r, uint32_t *v);
void rd_u32(struct rd *r, uint32_t *v);
void rd_bytes(struct rd *r, void *out, size_t n);
void rd_skip(struct rd *r, size_t n);
/* A view of the next n bytes (NULL on error); advances past them. */
const uint8_t *rd_ptr(struct rd *r, size_t n);
/* Length-prefixed vector: read a `lenbytes` (1..3) big-endian length, then
 * give a sub-reader over exactly that many bytes and advance past them.
 * min/max bound the length as the RFC's <min..max> does. */
void rd_vec(struct rd *r, int lenbytes, size_t min, size_t max, struct rd *sub);
size_t rd_left(const struct rd *r);
int rd_failed(const struct rd *r);
/* True when no read failed and every byte was consumed. Marks a reader
 * with trailing bytes as failed. */
int rd_done(struct rd *r) WUR;

#endif
