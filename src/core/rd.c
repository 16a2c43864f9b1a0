/* rd.c - bounded reader over wire bytes with a sticky error (STYLE.md 2, 3). */
#include "rd.h"

#include <string.h>

/* Readers never hold a NULL pointer: pointer arithmetic on NULL is
 * undefined even with a zero offset, so empty readers point here. */
static const uint8_t rd_empty[1];

void rd_init(struct rd *r, const void *p, size_t n)
{
	if (p == NULL) {
		r->p = r->end = rd_empty;
		/* A length with no bytes behind it can only be a caller bug. */
		r->err = n != 0;
		return;
	}
	r->p = p;
	r->end = r->p + n;
	r->err = 0;
}

/* Claim n bytes: 1 and the cursor is left at them, or 0 and the reader
 * is (and stays) failed. */
static int rd_need(struct rd *r, size_t n)
{
	if (r->err || n > (size_t)(r->end - r->p)) {
		r->err = 1;
		return 0;
	}
	return 1;
}

/* Big-endian unsigned of n (1..4) bytes; 0 on failure. */
static uint32_t rd_uint(struct rd *r, size_t n)
{
	uint32_t v = 0;
	size_t i;

	if (!rd_need(r, n))
		return 0;
	for (i = 0; i < n; i++)
		v = (v << 8) | r->p[i];
	r->p += n;
	return v;
}

void rd_u8(struct rd *r, uint8_t *v)
{
	*v = (uint8_t)rd_uint(r, 1);
}

void rd_u16(struct rd *r, uint16_t *v)
{
	*v = (uint16_t)rd_uint(r, 2);
}

void rd_u24(struct rd *r, uint32_t *v)
{
	*v = rd_uint(r, 3);
}

void rd_u32(struct rd *r, uint32_t *v)
{
	*v = rd_uint(r, 4);
}

void rd_bytes(struct rd *r, void *out, size_t n)
{
	if (n == 0)
		return;
	if (!rd_need(r, n)) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p, n);
	r->p += n;
}

void rd_skip(struct rd *r, size_t n)
{
	if (rd_need(r, n))
		r->p += n;
}

const uint8_t *rd_ptr(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (!rd_need(r, n))
		return NULL;
	p = r->p;
	r->p += n;
	return p;
}

void rd_vec(struct rd *r, int lenbytes, size_t min, size_t max, struct rd *sub)
{
	size_t len;

	/* Until proven good the sub-reader is empty and failed, so a caller
	 * that forgets to check the parent still reads nothing. */
	sub->p = sub->end = rd_empty;
	sub->err = 1;
	if (lenbytes < 1 || lenbytes > 3) {
		r->err = 1;
		return;
	}
	len = rd_uint(r, (size_t)lenbytes);
	if (r->err)
		return;
	/* RFC 8446 section 3.4: a length outside <min..max> is malformed, and
	 * one past the enclosing block is a decode_error. */
	if (len < min || len > max || !rd_need(r, len)) {
		r->err = 1;
		return;
	}
	sub->p = r->p;
	sub->end = r->p + len;
	sub->err = 0;
	r->p += len;
}

size_t rd_left(const struct rd *r)
{
	/* Nothing is readable from a failed reader. */
	return r->err ? 0 : (size_t)(r->end - r->p);
}

int rd_failed(const struct rd *r)
{
	return r->err != 0;
}

int rd_done(struct rd *r)
{
	/* Trailing bytes in a length-prefixed block are a decode error
	 * (RFC 8446 section 6.2 decode_error), not something to skip. */
	if (!r->err && r->p != r->end)
		r->err = 1;
	return !r->err;
}
