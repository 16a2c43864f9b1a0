/* ber.c - BER elements as LDAP uses them, through the checked cursor. */
#include "proto/ber.h"

#define BER_LONG_FORM 0x80
#define BER_LEN_BYTES_MAX 4

/* Tag and length. 0, or -1 for a length form we do not read (indefinite,
 * or more than 4 bytes); a short input fails r. */
static int ber_head(struct rd *r, uint8_t *tag, uint32_t *len)
{
	uint8_t l0, b;
	int nb;

	rd_u8(r, tag);
	rd_u8(r, &l0);
	*len = l0;
	if (!(l0 & BER_LONG_FORM))
		return 0;
	nb = l0 & ~BER_LONG_FORM;
	if (nb < 1 || nb > BER_LEN_BYTES_MAX)
		return -1; /* indefinite or absurd: not what LDAP sends */
	*len = 0;
	for (int i = 0; i < nb; i++) {
		rd_u8(r, &b);
		*len = *len << 8 | b;
	}
	return 0;
}

void ber_read(struct rd *r, uint8_t *tag, struct rd *val)
{
	uint32_t len;
	const uint8_t *p;

	if (ber_head(r, tag, &len) < 0)
		r->err = 1;
	p = rd_ptr(r, len);
	rd_init(val, p, p ? len : 0);
	if (p == NULL)
		val->err = 1;
}

long ber_uint(struct rd *v)
{
	uint32_t x = 0;
	uint8_t b;
	size_t n = rd_left(v);

	if (n == 0 || n > 4) {
		v->err = 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		rd_u8(v, &b);
		x = x << 8 | b;
	}
	return (long)x;
}

int ber_size(const uint8_t *p, size_t n, size_t max, size_t *size)
{
	struct rd r;
	uint8_t tag;
	uint32_t len;

	*size = 0;
	rd_init(&r, p, n);
	if (ber_head(&r, &tag, &len) < 0)
		return -1;
	if (rd_failed(&r))
		return 0;
	if (len > max)
		return -1;
	if (rd_left(&r) < len)
		return 0;
	*size = n - rd_left(&r) + len;
	return 1;
}

size_t ber_open(struct wr *w, uint8_t tag)
{
	wr_u8(w, tag);
	return wr_open_vec(w, 1);
}

void ber_close(struct wr *w, size_t mark)
{
	/* The reserved byte at mark is not content. */
	if (!wr_failed(w) && w->b->len - mark > BER_SHORT_MAX + 1) {
		w->err = 1;
		return;
	}
	wr_close_vec(w, mark, 1);
}

void ber_put(struct wr *w, uint8_t tag, const void *p, size_t n)
{
	size_t m = ber_open(w, tag);
	wr_bytes(w, p, n);
	ber_close(w, m);
}

void ber_put_uint(struct wr *w, uint8_t tag, uint32_t v)
{
	size_t m = ber_open(w, tag);
	int n = 1;

	/* The fewest bytes whose top bit is clear: a leading zero byte when
	 * v's own top bit is set, as the value is not negative. */
	while (((uint64_t)v >> (8 * n - 1)) != 0)
		n++;
	while (n-- > 0)
		wr_u8(w, (uint8_t)((uint64_t)v >> (8 * n)));
	ber_close(w, m);
}
