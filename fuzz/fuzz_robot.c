/* fuzz_robot.c - ROBOT's connection machine on a hostile server's bytes, as
 * scan/vp_robot.c runs it: feed until it says done, then EOF. The answer
 * must not depend on how the bytes were cut (whole, byte by byte, in
 * segments), the client flight is sent at most once and is the same each
 * time (the blocks and the garbage Finished are fixed), and every run is
 * settled by EOF. Then the decision, driven by answers taken from the
 * input, must stop within the connection bound and never ask for nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/robot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

struct outcome {
	struct robot_info info;
	enum robot_step step;
	size_t left;
	size_t out_len;
	uint8_t out_head[64];
};

static void run(enum robot_case c, const uint8_t *data, size_t size, size_t step, struct outcome *o)
{
	struct robot_conn *rc = robot_conn_new(c);
	struct buf in, out;
	size_t off = 0;
	buf_init(&in, size + 1);
	buf_init(&out, 1 << 16);
	memset(o, 0, sizeof(*o));
	o->step = ROBOT_WAIT;
	if (step == 0)
		step = size ? size : 1;
	while (off < size && o->step == ROBOT_WAIT) {
		size_t k = size - off < step ? size - off : step;
		size_t before = out.len;
		CHECK(buf_append(&in, data + off, k) == 0);
		off += k;
		o->step = robot_conn_feed(rc, &in, &out);
		CHECK(before == 0 || out.len == before); /* one flight at most */
	}
	o->left = in.len + (size - off);
	if (o->step == ROBOT_WAIT)
		robot_conn_eof(rc);
	o->info = *robot_conn_info(rc);
	CHECK(o->info.resp.kind != ROBOT_R_NONE);
	if (o->info.resp.kind == ROBOT_R_FAILED)
		CHECK(o->info.why[0] != '\0');
	/* an answer to the flight needs the flight */
	if (o->info.resp.kind >= ROBOT_R_ALERT)
		CHECK(out.len > ROBOT_MIN_KEY && o->info.key_bits >= ROBOT_MIN_KEY * 8 - 7);
	else
		CHECK(out.len == 0 || o->info.resp.kind == ROBOT_R_FAILED);
	robot_conn_stop(rc, 1, "late"); /* settled stays settled */
	CHECK(robot_resp_same(&robot_conn_info(rc)->resp, &o->info.resp));
	o->out_len = out.len;
	memcpy(o->out_head, out.data ? out.data : (const uint8_t *)"",
	       out.len < sizeof o->out_head ? out.len : sizeof o->out_head);
	buf_free(&in);
	buf_free(&out);
	robot_conn_free(rc);
}

static void same(const struct outcome *a, const struct outcome *b)
{
	CHECK(a->step == b->step && a->left == b->left);
	CHECK(robot_resp_same(&a->info.resp, &b->info.resp));
	CHECK(a->info.resp.kind == b->info.resp.kind);
	CHECK(a->info.version == b->info.version && a->info.suite == b->info.suite);
	CHECK(a->info.key_bits == b->info.key_bits);
	/* why may word a framing error differently by how the bytes were cut
	 * (record.c), so only its presence is compared */
	CHECK((a->info.why[0] != 0) == (b->info.why[0] != 0));
	CHECK(a->out_len == b->out_len &&
	      memcmp(a->out_head, b->out_head, sizeof a->out_head) == 0);
}

/* Answers for the decision, one byte each. */
static struct robot_resp answer(uint8_t b)
{
	static const enum robot_resp_kind kinds[] = {
	    ROBOT_R_FAILED, ROBOT_R_NO_RSA, ROBOT_R_NO_TLS12, ROBOT_R_ALERT,
	    ROBOT_R_ALERT,  ROBOT_R_CLOSED, ROBOT_R_TIMEOUT,  ROBOT_R_OTHER,
	};
	struct robot_resp r = {.kind = kinds[b & 7], .level = 2, .desc = (uint8_t)(b >> 3 & 3)};
	if (r.kind == ROBOT_R_OTHER)
		r.ctype = 20 + (b >> 5 & 3);
	return r;
}

static void decide(const uint8_t *data, size_t size)
{
	struct robot_obs o;
	struct robot_decision d;
	size_t i = 0;
	int total = 0;
	memset(&o, 0, sizeof o);
	for (;;) {
		robot_decide(&o, &d);
		if (d.v != ROBOT_V_MORE)
			break;
		CHECK(d.again != 0 && d.again < (1u << ROBOT_NCASES));
		for (int c = 0; c < ROBOT_NCASES; c++) {
			if (!(d.again & (1u << c)))
				continue;
			CHECK(o.n[c] < ROBOT_TRIES);
			o.r[c][o.n[c]++] = answer(i < size ? data[i++] : 0x03);
			snprintf(o.why[c], sizeof o.why[c], "failed");
			total++;
		}
		CHECK(total <= 12);
	}
	if (d.v == ROBOT_V_WEAK || d.v == ROBOT_V_STRONG) {
		CHECK(d.odd > ROBOT_GOOD && d.odd < ROBOT_NCASES);
		CHECK(!robot_resp_same(&d.good, &d.bad));
		CHECK(o.n[ROBOT_GOOD] >= 2 && o.n[d.odd] >= 2);
	}
	if (d.v == ROBOT_V_NA || d.v == ROBOT_V_UNKNOWN)
		CHECK(d.why[0] != '\0');
}

static struct outcome whole, part;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 300000)
		return 0;
	enum robot_case c = size ? (enum robot_case)(data[size - 1] % ROBOT_NCASES) : ROBOT_GOOD;
	run(c, data, size, 0, &whole);
	run(c, data, size, 1, &part);
	same(&whole, &part);
	run(c, data, size, size ? (size_t)data[0] % 29 + 2 : 1, &part);
	same(&whole, &part);
	decide(data, size);
	return 0;
}
