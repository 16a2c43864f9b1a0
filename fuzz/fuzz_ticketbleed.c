/* fuzz_ticketbleed.c - the answer to Ticketbleed's resumption hello, on
 * hostile server bytes: read whole and byte by byte, the reader must reach
 * the same decision (outcome, echoed session ID, what followed); the echo
 * stays within 32 bytes; the judgement then always gives one of the
 * verdicts, keeps at most VULN_LEAK_SHOWN leaked bytes and never claims a
 * leak it did not see. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/result.h"
#include "scan/vp_fallback.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static int feed(const uint8_t *data, size_t size, size_t step, struct tb_answer *a)
{
	struct rec_reader rec;
	struct buf in;
	int done = 0;
	memset(a, 0, sizeof(*a));
	rec_init(&rec, 0);
	buf_init(&in, size + 1);
	for (size_t off = 0; off < size && !done;) {
		size_t k = size - off < step ? size - off : step;
		CHECK(buf_append(&in, data + off, k) == 0);
		off += k;
		done = vp_tb_feed(a, &rec, &in);
		CHECK(done == 0 || done == 1);
		CHECK(a->sid_len <= sizeof a->sid);
	}
	rec_free(&rec);
	buf_free(&in);
	return done;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sid[1] = {0x7E};
	struct tb_answer whole, bytes;
	int dw = feed(data, size, size ? size : 1, &whole);
	int db = feed(data, size, 1, &bytes);
	/* A decision does not depend on how the bytes were cut. */
	CHECK(dw == db);
	if (dw && whole.outcome != RAW_BAD) {
		CHECK(whole.outcome == bytes.outcome);
		CHECK(whole.sid_len == bytes.sid_len);
		CHECK(memcmp(whole.sid, bytes.sid, whole.sid_len) == 0);
		CHECK(whole.next == bytes.next);
	}
	if (!dw && whole.outcome == RAW_PENDING)
		whole.outcome = RAW_CLOSED;

	struct endpoint *ep = calloc(1, sizeof(*ep));
	CHECK(ep != NULL);
	struct vuln *v = ep_vuln(ep, "ticketbleed");
	vp_ticketbleed_judge(v, sid, sizeof sid, 160, &whole, size & 1 ? "closed" : NULL);
	CHECK(v->verdict == VULN_VULNERABLE || v->verdict == VULN_NOT_VULNERABLE ||
	      v->verdict == VULN_NOT_APPLICABLE || v->verdict == VULN_UNKNOWN);
	CHECK(v->nleak <= VULN_LEAK_SHOWN);
	if (v->verdict == VULN_VULNERABLE)
		CHECK(whole.sid_len > sizeof sid && whole.sid[0] == sid[0]);
	if (v->evidence)
		CHECK(strlen(v->evidence) < 512);
	result_free_endpoint(ep);
	return 0;
}
