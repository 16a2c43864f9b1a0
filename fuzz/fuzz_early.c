/* fuzz_early.c - the answer to a Heartbleed or CCS injection record, on
 * hostile server bytes: read whole, byte by byte and in segments cut at a
 * size taken from the input, the reader must see the same heartbeat bytes,
 * leak, alert and failure however the bytes arrive; the leak stays within
 * its cap and the verdicts are always one of theirs. The same bytes are
 * also given to early_add_extension as a ClientHello record: it either
 * refuses them, leaving its output alone, or adds exactly the extension,
 * and adding to its own output works again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/early.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void run(const uint8_t *data, size_t size, size_t step, size_t sent, struct early_reader *r,
                size_t *left)
{
	struct buf in;
	size_t off = 0;
	int rc = 0;

	early_init(r, sent);
	buf_init(&in, size + 1);
	if (step == 0)
		step = size ? size : 1;
	while (off < size && rc == 0) {
		size_t k = size - off < step ? size - off : step;
		CHECK(buf_append(&in, data + off, k) == 0);
		off += k;
		size_t before = in.len;
		rc = early_feed(r, &in);
		CHECK(in.len <= before);
		CHECK(rc == 0 || rc == -1);
		CHECK((rc < 0) == (r->bad != 0));
		if (rc < 0)
			CHECK(r->why[0] != '\0');
	}
	*left = in.len + (size - off);
	buf_free(&in);
}

static void same(const struct early_reader *a, size_t la, const struct early_reader *b, size_t lb)
{
	CHECK(a->bad == b->bad);
	if (a->bad)
		return; /* where it failed may differ: not what came before */
	CHECK(a->hb_bytes == b->hb_bytes);
	CHECK(a->hb_records == b->hb_records);
	CHECK(a->hb_type == b->hb_type && a->hb_claimed == b->hb_claimed);
	CHECK(a->nleak == b->nleak && memcmp(a->leak, b->leak, a->nleak) == 0);
	CHECK(a->alert == b->alert && a->alert_level == b->alert_level);
	CHECK(a->other == b->other);
	CHECK(la == lb);
}

static void verdicts(const struct early_reader *r)
{
	static const enum early_ev evs[] = {EARLY_DATA, EARLY_EOF, EARLY_QUIET};
	CHECK(r->nleak <= EARLY_LEAK_KEEP);
	CHECK(r->alert >= -1 && r->alert <= 255);
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
		enum early_hb h = early_heartbleed(r, evs[i]);
		CHECK(h >= EHB_WAIT && h <= EHB_BAD);
		/* only more bytes can settle a wait */
		if (evs[i] != EARLY_DATA)
			CHECK(h != EHB_WAIT);
		if (h == EHB_LEAK)
			CHECK(r->hb_bytes > r->sent && !r->bad);
		for (int second = 0; second < 2; second++) {
			enum early_ccs c = early_ccs_step(r, second, evs[i]);
			CHECK(c >= ECCS_WAIT && c <= ECCS_UNKNOWN);
			if (c == ECCS_VULNERABLE)
				CHECK(second && (r->alert == 20 || r->alert == 21));
			if (c == ECCS_SECOND)
				CHECK(!second);
		}
	}
}

static void extension(const uint8_t *data, size_t size)
{
	static const uint8_t mode[] = {HB_PEER_ALLOWED_TO_SEND};
	struct buf out, again;
	buf_init(&out, 1 << 16);
	buf_init(&again, 1 << 16);
	if (early_add_extension(data, size, EXT_HEARTBEAT, mode, sizeof mode, &out) < 0) {
		CHECK(out.len == 0);
	} else {
		CHECK(out.len == size + 5);
		/* again: refused only when the fragment would pass 2^14 */
		int rc = early_add_extension(out.data, out.len, EXT_HEARTBEAT, mode, sizeof mode,
		                             &again);
		CHECK(rc == 0 || out.len > 16384);
		CHECK(rc < 0 || again.len == out.len + 5);
	}
	buf_free(&out);
	buf_free(&again);
}

static struct early_reader whole, part;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t lw, lp;
	if (size > 300000)
		return 0;
	/* our message: 3 header bytes and a 1-byte payload; 0 for the CCS */
	size_t sent = size && (data[0] & 1) ? 0 : 4;
	run(data, size, 0, sent, &whole, &lw);
	verdicts(&whole);
	run(data, size, 1, sent, &part, &lp);
	same(&whole, lw, &part, lp);
	run(data, size, size ? (size_t)data[size - 1] % 23 + 2 : 1, sent, &part, &lp);
	same(&whole, lw, &part, lp);
	extension(data, size);
	return 0;
}
