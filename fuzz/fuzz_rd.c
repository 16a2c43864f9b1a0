/* fuzz_rd.c - the checked reader over nested TLS-like vectors (STYLE.md 2, 3).
 * Each input is a program: an opcode byte picks a read (integer, vector,
 * bytes), and vectors recurse into their sub-reader. Whatever the lengths
 * claim, no read may leave the block it was given, a failed read must give
 * zeros, and the accounting of what is left must add up. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

/* Deep enough for any real handshake (a certificate chain nests ~6 deep),
 * shallow enough that the walker's own stack is never the problem. */
#define MAX_DEPTH 64

static volatile uint8_t sink;

/* The reader's cursor never leaves [lo, hi], the block it was made from. */
static void check_bounds(const struct rd *r, const uint8_t *lo, const uint8_t *hi)
{
	if (rd_failed(r)) {
		CHECK(rd_left(r) == 0);
		return;
	}
	CHECK(r->p >= lo && r->p <= r->end && r->end <= hi);
	CHECK(rd_left(r) == (size_t)(r->end - r->p));
}

static void walk(struct rd *r, const uint8_t *lo, const uint8_t *hi, unsigned depth)
{
	while (rd_left(r) > 0) {
		uint8_t op, v8 = 0xAA, tmp[16];
		uint16_t v16 = 0xAAAA;
		uint32_t v32 = 0xAAAAAAAA;
		size_t before, n, i;
		const uint8_t *p;
		struct rd sub;
		int lenbytes;

		rd_u8(r, &op);
		switch (op & 7) {
		case 0:
			rd_u8(r, &v8);
			CHECK(!rd_failed(r) || v8 == 0);
			break;
		case 1:
			rd_u16(r, &v16);
			CHECK(!rd_failed(r) || v16 == 0);
			break;
		case 2:
			rd_u24(r, &v32);
			CHECK(v32 <= 0xFFFFFF);
			CHECK(!rd_failed(r) || v32 == 0);
			break;
		case 3:
			rd_u32(r, &v32);
			CHECK(!rd_failed(r) || v32 == 0);
			break;
		case 4:
		case 5:
		case 6:
			/* Vectors with 1..3 length bytes, and bounds from the
			 * opcode so both min and max rejections are reached. */
			lenbytes = (op & 7) - 3;
			before = rd_left(r);
			rd_vec(r, lenbytes, (op >> 3) & 3, (op & 0x80) ? 0xFFFFFF : 24, &sub);
			if (rd_failed(r)) {
				CHECK(rd_failed(&sub) && rd_left(&sub) == 0);
				break;
			}
			CHECK(!rd_failed(&sub));
			CHECK(before == (size_t)lenbytes + rd_left(&sub) + rd_left(r));
			CHECK(rd_left(&sub) >= ((op >> 3) & 3u));
			CHECK(sub.end == r->p);
			check_bounds(&sub, lo, hi);
			if (depth < MAX_DEPTH)
				walk(&sub, sub.p, sub.end, depth + 1);
			break;
		case 7:
			n = op >> 4;
			if (op & 8) {
				memset(tmp, 0xAA, sizeof(tmp));
				rd_bytes(r, tmp, n);
				for (i = 0; rd_failed(r) && i < n; i++)
					CHECK(tmp[i] == 0);
				break;
			}
			p = rd_ptr(r, n);
			if (p == NULL) {
				CHECK(rd_failed(r));
				break;
			}
			CHECK(p >= lo && p + n <= hi);
			/* Touch every byte so ASan sees any overrun. */
			for (i = 0; i < n; i++)
				sink ^= p[i];
			break;
		}
		check_bounds(r, lo, hi);
	}
	if (rd_done(r))
		CHECK(!rd_failed(r) && rd_left(r) == 0);
	else
		CHECK(rd_failed(r));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r;

	rd_init(&r, data, size);
	walk(&r, r.p, r.end, 0);
	return 0;
}
