/* fuzz_record.c - the record reader on hostile server bytes. The input is
 * what a server sent back; it is read whole, byte by byte and in segments
 * cut at positions taken from the input itself. In TLS mode the messages
 * must be the same however the bytes arrive (a streaming reader may only
 * say "need more" when it does), every message must stay inside the 64 KiB
 * reassembly cap, and an alert is always 2 bytes. The same bytes also go
 * through the SSLv2-mode reader. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define MAX_MSGS 512

struct seen {
	enum rec_kind kind;
	uint8_t hs_type;
	uint16_t version;
	size_t len;
	uint32_t sum; /* of the body, when there is one */
};

struct trace {
	struct seen m[MAX_MSGS];
	size_t n;
	int rc;
	size_t left;
};

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void check_msg(const struct rec_msg *m)
{
	switch (m->kind) {
	case REC_HANDSHAKE:
		CHECK(m->body != NULL);
		CHECK(m->len + 4 <= REC_MAX_HANDSHAKE);
		break;
	case REC_ALERT:
		CHECK(m->body != NULL && m->len == 2);
		break;
	case REC_CCS:
	case REC_APPDATA:
		CHECK(m->body == NULL && m->len <= 16384 + 2048);
		break;
	case REC_SSLV2:
		CHECK(m->body != NULL && m->len >= 1 && m->len <= 0x7fff);
		CHECK(m->hs_type == m->body[0]);
		break;
	default:
		abort();
	}
}

/* Read data in segments: cut[] positions, then the rest. */
static void run(int sslv2, const uint8_t *data, size_t size, size_t step, struct trace *t)
{
	struct rec_reader r;
	struct buf in;
	struct rec_msg m;
	size_t off = 0;

	memset(t, 0, sizeof(*t));
	rec_init(&r, sslv2);
	buf_init(&in, size + 1);
	if (step == 0)
		step = size ? size : 1;
	while (off < size && t->rc >= 0) {
		size_t k = size - off < step ? size - off : step;
		size_t before;
		CHECK(buf_append(&in, data + off, k) == 0);
		off += k;
		for (;;) {
			before = in.len;
			t->rc = rec_next(&r, &in, &m);
			if (t->rc != 1)
				break;
			check_msg(&m);
			CHECK(in.len <= before);
			if (t->n < MAX_MSGS) {
				struct seen *s = &t->m[t->n];
				s->kind = m.kind;
				s->hs_type = m.hs_type;
				s->version = m.record_version;
				s->len = m.len;
				s->sum = m.body ? fnv(m.body, m.len) : 0;
			}
			t->n++;
		}
		if (t->rc < 0)
			CHECK(r.why[0] != '\0');
	}
	t->left = in.len + (size - off);
	buf_free(&in);
	rec_free(&r);
}

static void same(const struct trace *a, const struct trace *b)
{
	CHECK(a->n == b->n);
	CHECK((a->rc < 0) == (b->rc < 0));
	for (size_t i = 0; i < a->n && i < MAX_MSGS; i++) {
		CHECK(a->m[i].kind == b->m[i].kind);
		CHECK(a->m[i].hs_type == b->m[i].hs_type);
		CHECK(a->m[i].version == b->m[i].version);
		CHECK(a->m[i].len == b->m[i].len);
		CHECK(a->m[i].sum == b->m[i].sum);
	}
	if (a->rc == 0 && b->rc == 0)
		CHECK(a->left == b->left);
}

static struct trace whole, part;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 300000)
		return 0;
	run(0, data, size, 0, &whole);
	run(0, data, size, 1, &part);
	same(&whole, &part);
	/* a segment size from the input: cuts inside headers and bodies */
	run(0, data, size, size ? (size_t)data[size - 1] % 23 + 2 : 1, &part);
	same(&whole, &part);

	/* SSLv2 mode: the invariants, not the comparison (see test_record.c
	 * test_sslv2_three_byte_header_byte_by_byte) */
	run(1, data, size, 0, &whole);
	run(1, data, size, 1, &part);
	return 0;
}
