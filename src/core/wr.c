/* wr.c - writer for wire bytes with lengths written by reservation
 * (STYLE.md rule 4). */
#include "wr.h"

void wr_init(struct wr *w, struct buf *b)
{
	w->b = b;
	w->err = 0;
}

static void wr_put(struct wr *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (buf_append(w->b, p, n) != 0)
		w->err = 1;
}

/* Big-endian unsigned of n (1..4) bytes. */
static void wr_uint(struct wr *w, uint32_t v, size_t n)
{
	uint8_t tmp[4];
	size_t i;

	for (i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	wr_put(w, tmp, n);
}

void wr_u8(struct wr *w, uint8_t v)
{
	wr_uint(w, v, 1);
}

void wr_u16(struct wr *w, uint16_t v)
{
	wr_uint(w, v, 2);
}

void wr_u24(struct wr *w, uint32_t v)
{
	/* A value that does not fit would be silently cut: that is a bug in
	 * the caller, and the message must not go out. */
	if (v > 0xFFFFFF) {
		w->err = 1;
		return;
	}
	wr_uint(w, v, 3);
}

void wr_u32(struct wr *w, uint32_t v)
{
	wr_uint(w, v, 4);
}

void wr_bytes(struct wr *w, const void *p, size_t n)
{
	wr_put(w, p, n);
}

size_t wr_open_vec(struct wr *w, int lenbytes)
{
	static const uint8_t zeros[3];
	size_t mark = w->b->len;

	if (lenbytes < 1 || lenbytes > 3) {
		w->err = 1;
		return mark;
	}
	wr_put(w, zeros, (size_t)lenbytes);
	return mark;
}

void wr_close_vec(struct wr *w, size_t mark, int lenbytes)
{
	size_t len, i;

	if (w->err)
		return;
	if (lenbytes < 1 || lenbytes > 3 || mark > w->b->len ||
	    (size_t)lenbytes > w->b->len - mark) {
		w->err = 1;
		return;
	}
	len = w->b->len - (mark + (size_t)lenbytes);
	if (len >> (8 * lenbytes) != 0) {
		w->err = 1;
		return;
	}
	for (i = 0; i < (size_t)lenbytes; i++)
		w->b->data[mark + i] = (uint8_t)(len >> (8 * ((size_t)lenbytes - 1 - i)));
}

int wr_failed(const struct wr *w)
{
	return w->err != 0;
}
