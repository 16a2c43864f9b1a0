/* wr.h - writer for wire bytes into a capped buffer, with lengths written by
 * reservation (STYLE.md rule 4): open a vector, write its body, close it. */
#ifndef MAILTLS_WR_H
#define MAILTLS_WR_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "compiler.h"

struct wr {
	struct buf *b;
	int err; /* sticky: cap hit or vector too long */
};

void wr_init(struct wr *w, struct buf *b);
void wr_u8(struct wr *w, uint8_t v);
void wr_u16(struct wr *w, uint16_t v);
void wr_u24(struct wr *w, uint32_t v);
void wr_u32(struct wr *w, uint32_t v);
void wr_bytes(struct wr *w, const void *p, size_t n);
/* Reserve a lenbytes (1..3) length; returns the mark to close with. */
size_t wr_open_vec(struct wr *w, int lenbytes);
/* Fill the reserved length with the bytes written since; fails (sticky)
 * when they do not fit in lenbytes. */
void wr_close_vec(struct wr *w, size_t mark, int lenbytes);
int wr_failed(const struct wr *w);

#endif
