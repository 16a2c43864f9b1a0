/* fuzz_reply.c - the line reader and multi-line reply framing on hostile
 * server bytes: never read past the buffer, always consume or stop. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net/lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_line(void *arg, const char *text, size_t len)
{
	size_t *n = arg;
	*n += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b;
	struct reply r = {0};
	struct reply_limits lim = {128, 16, 1024, 0};
	size_t seen = 0;

	buf_init(&b, 4096);
	/* Feed in two parts so a reply split across reads is exercised. */
	size_t half = size / 2;
	if (buf_append(&b, data, half) == 0) {
		for (;;) {
			size_t before = b.len;
			enum reply_rc rc = reply_feed(&r, &b, &lim, count_line, &seen);
			if (rc != REPLY_DONE || b.len == before)
				break;
		}
		if (buf_append(&b, data + half, size - half) == 0) {
			for (;;) {
				size_t before = b.len;
				enum reply_rc rc = reply_feed(&r, &b, &lim, count_line, &seen);
				if (rc == REPLY_NEED_MORE || b.len == before)
					break;
				if (rc == REPLY_ERR_LIMIT)
					break;
			}
		}
	}
	if (r.nlines > lim.max_lines + 1)
		abort();
	reply_free(&r);
	buf_free(&b);
	return 0;
}
