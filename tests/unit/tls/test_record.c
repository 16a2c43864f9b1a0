/* test_record.c - the record reader: TLS records across segments and in one
 * buffer, handshake messages across records and several per record, alerts,
 * CCS, application data, framing errors, the 64 KiB reassembly cap,
 * interleaving, and SSLv2 framing (2- and 3-byte headers). */
#include "testutil.h"

#include "core/wr.h"
#include "tls/record.h"

#define IN_MAX (1 << 20)
#define MAX_GOT 16

/* One message as rec_next gave it, copied out. */
struct got {
	enum rec_kind kind;
	uint8_t hs_type;
	uint16_t version;
	size_t len;
	int has_body;
	uint8_t body[512];
};

struct run {
	struct got msg[MAX_GOT];
	size_t n;
	int rc; /* of the last rec_next: 0 need more, -1 error */
	char why[160];
	size_t left; /* input bytes not consumed at the end */
};

/* A record: type, version, then the fragment with its 2-byte length. */
static void add_record(struct buf *b, uint8_t type, uint16_t version, const void *p, size_t n)
{
	struct wr w;
	size_t mark;
	wr_init(&w, b);
	wr_u8(&w, type);
	wr_u16(&w, version);
	mark = wr_open_vec(&w, 2);
	wr_bytes(&w, p, n);
	wr_close_vec(&w, mark, 2);
	assert_false(wr_failed(&w));
}

/* A handshake message: type, 3-byte length, body. */
static void add_hs(struct buf *b, uint8_t type, const void *p, size_t n)
{
	struct wr w;
	size_t mark;
	wr_init(&w, b);
	wr_u8(&w, type);
	mark = wr_open_vec(&w, 3);
	wr_bytes(&w, p, n);
	wr_close_vec(&w, mark, 3);
	assert_false(wr_failed(&w));
}

/* Take every message the reader gives from in. */
static void drain(struct rec_reader *r, struct buf *in, struct run *out)
{
	struct rec_msg m;
	while ((out->rc = rec_next(r, in, &m)) == 1) {
		struct got *g;
		assert_true(out->n < MAX_GOT);
		g = &out->msg[out->n++];
		g->kind = m.kind;
		g->hs_type = m.hs_type;
		g->version = m.record_version;
		g->len = m.len;
		g->has_body = m.body != NULL;
		if (m.body && m.len <= sizeof g->body)
			memcpy(g->body, m.body, m.len);
	}
	if (out->rc < 0)
		snprintf(out->why, sizeof out->why, "%s", r->why);
}

/* Deliver p in segments of `chunk` bytes (0: all at once), draining after
 * each; stops at the first error. */
static void feed(int sslv2, const uint8_t *p, size_t n, size_t chunk, struct run *out)
{
	struct rec_reader r;
	struct buf in;
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	rec_init(&r, sslv2);
	buf_init(&in, IN_MAX);
	if (chunk == 0)
		chunk = n ? n : 1;
	do {
		size_t k = n - off < chunk ? n - off : chunk;
		tu_buf_add(&in, p + off, k);
		off += k;
		drain(&r, &in, out);
	} while (out->rc >= 0 && off < n);
	out->left = in.len;
	buf_free(&in);
	rec_free(&r);
}

static void assert_same_runs(const struct run *a, const struct run *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->rc, b->rc);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->msg[i].kind, b->msg[i].kind);
		assert_int_equal(a->msg[i].hs_type, b->msg[i].hs_type);
		assert_int_equal(a->msg[i].version, b->msg[i].version);
		assert_int_equal(a->msg[i].len, b->msg[i].len);
		if (a->msg[i].has_body && a->msg[i].len <= sizeof a->msg[i].body)
			assert_memory_equal(a->msg[i].body, b->msg[i].body, a->msg[i].len);
	}
}

/* A small flight: ServerHello-ish, Certificate-ish, ServerHelloDone, CCS. */
static void small_flight(struct buf *b)
{
	struct buf hs;
	buf_init(&hs, 4096);
	add_hs(&hs, 2, LIT("server hello body"));
	add_record(b, 22, 0x0303, hs.data, hs.len);
	buf_reset(&hs);
	add_hs(&hs, 11, LIT("certificates"));
	add_hs(&hs, 14, "", 0);
	add_record(b, 22, 0x0303, hs.data, hs.len);
	add_record(b, 20, 0x0303, "\x01", 1);
	buf_free(&hs);
}

static void assert_small_flight(const struct run *r)
{
	assert_int_equal(r->n, 4);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->left, 0);
	assert_int_equal(r->msg[0].kind, REC_HANDSHAKE);
	assert_int_equal(r->msg[0].hs_type, 2);
	assert_int_equal(r->msg[0].version, 0x0303);
	assert_int_equal(r->msg[0].len, 17);
	assert_memory_equal(r->msg[0].body, "server hello body", 17);
	assert_int_equal(r->msg[1].kind, REC_HANDSHAKE);
	assert_int_equal(r->msg[1].hs_type, 11);
	assert_int_equal(r->msg[1].len, 12);
	assert_memory_equal(r->msg[1].body, "certificates", 12);
	assert_int_equal(r->msg[2].kind, REC_HANDSHAKE);
	assert_int_equal(r->msg[2].hs_type, 14);
	assert_int_equal(r->msg[2].len, 0);
	assert_int_equal(r->msg[3].kind, REC_CCS);
	assert_int_equal(r->msg[3].len, 1);
	assert_int_equal(r->msg[3].version, 0x0303);
}

/* ------------------------------------------------------------ framing */

static void test_several_records_in_one_buffer(void **state UNUSED)
{
	struct buf b;
	struct run r;
	buf_init(&b, IN_MAX);
	small_flight(&b);
	feed(0, b.data, b.len, 0, &r);
	assert_small_flight(&r);
	buf_free(&b);
}

static void test_byte_by_byte(void **state UNUSED)
{
	struct buf b;
	struct run r, whole;
	buf_init(&b, IN_MAX);
	small_flight(&b);
	feed(0, b.data, b.len, 0, &whole);
	for (size_t chunk = 1; chunk <= 7; chunk++) {
		feed(0, b.data, b.len, chunk, &r);
		assert_small_flight(&r);
		assert_same_runs(&r, &whole);
	}
	buf_free(&b);
}

static void test_need_more(void **state UNUSED)
{
	struct rec_reader r;
	struct rec_msg m;
	struct buf in;

	rec_init(&r, 0);
	buf_init(&in, IN_MAX);
	assert_int_equal(rec_next(&r, &in, &m), 0); /* nothing yet */
	tu_buf_add(&in, LIT("\x16\x03\x03\x00\x05\x02\x00\x00"));
	assert_int_equal(rec_next(&r, &in, &m), 0);
	assert_int_equal(in.len, 8); /* an incomplete record stays in */
	tu_buf_add(&in, LIT("\x01X\x16\x03"));
	assert_int_equal(rec_next(&r, &in, &m), 1);
	assert_int_equal(m.kind, REC_HANDSHAKE);
	assert_int_equal(m.hs_type, 2);
	assert_int_equal(m.len, 1);
	assert_int_equal(m.body[0], 'X');
	assert_int_equal(in.len, 2); /* the next record's start is kept */
	assert_int_equal(rec_next(&r, &in, &m), 0);
	assert_int_equal(in.len, 2);
	buf_free(&in);
	rec_free(&r);
}

static void test_message_across_three_records(void **state UNUSED)
{
	uint8_t body[26];
	struct buf msg, flight;
	struct rec_reader r;
	struct rec_msg m;
	struct buf in;
	size_t rec1, rec2;

	for (size_t i = 0; i < sizeof body; i++)
		body[i] = (uint8_t)(0xA0 + i);
	buf_init(&msg, 4096);
	buf_init(&flight, 4096);
	add_hs(&msg, 11, body, sizeof body); /* 30 bytes */
	add_record(&flight, 22, 0x0303, msg.data, 10);
	rec1 = flight.len;
	add_record(&flight, 22, 0x0303, msg.data + 10, 10);
	rec2 = flight.len;
	add_record(&flight, 22, 0x0303, msg.data + 20, 10);

	rec_init(&r, 0);
	buf_init(&in, IN_MAX);
	tu_buf_add(&in, flight.data, rec1);
	assert_int_equal(rec_next(&r, &in, &m), 0);
	assert_int_equal(in.len, 0); /* the record went into reassembly */
	tu_buf_add(&in, flight.data + rec1, rec2 - rec1);
	assert_int_equal(rec_next(&r, &in, &m), 0);
	tu_buf_add(&in, flight.data + rec2, flight.len - rec2);
	assert_int_equal(rec_next(&r, &in, &m), 1);
	assert_int_equal(m.kind, REC_HANDSHAKE);
	assert_int_equal(m.hs_type, 11);
	assert_int_equal(m.len, sizeof body);
	assert_memory_equal(m.body, body, sizeof body);
	assert_int_equal(rec_next(&r, &in, &m), 0);
	buf_free(&in);
	rec_free(&r);
	buf_free(&msg);
	buf_free(&flight);
}

static void test_handshake_header_split(void **state UNUSED)
{
	/* even the 4-byte handshake header may be cut between records */
	struct buf b;
	struct run r;
	buf_init(&b, 4096);
	add_record(&b, 22, 0x0301, "\x02\x00", 2);
	add_record(&b, 22, 0x0301, "\x00\x03xyz", 5);
	feed(0, b.data, b.len, 0, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.msg[0].hs_type, 2);
	assert_int_equal(r.msg[0].len, 3);
	assert_memory_equal(r.msg[0].body, "xyz", 3);
	assert_int_equal(r.rc, 0);
	buf_free(&b);
}

static void test_two_messages_in_one_record(void **state UNUSED)
{
	struct buf hs, b;
	struct rec_reader r;
	struct rec_msg m;

	buf_init(&hs, 4096);
	buf_init(&b, 4096);
	add_hs(&hs, 2, LIT("first"));
	add_hs(&hs, 12, LIT("second!"));
	/* and the start of a third, completed by the next record */
	tu_buf_add(&hs, LIT("\x0e\x00"));
	add_record(&b, 22, 0x0303, hs.data, hs.len);
	add_record(&b, 22, 0x0303, "\x00\x00", 2);

	rec_init(&r, 0);
	assert_int_equal(rec_next(&r, &b, &m), 1);
	assert_int_equal(m.hs_type, 2);
	assert_int_equal(m.len, 5);
	assert_memory_equal(m.body, "first", 5);
	assert_int_equal(rec_next(&r, &b, &m), 1);
	assert_int_equal(m.hs_type, 12);
	assert_int_equal(m.len, 7);
	assert_memory_equal(m.body, "second!", 7);
	assert_int_equal(rec_next(&r, &b, &m), 1);
	assert_int_equal(m.hs_type, 14);
	assert_int_equal(m.len, 0);
	assert_int_equal(rec_next(&r, &b, &m), 0);
	assert_int_equal(b.len, 0);
	rec_free(&r);
	buf_free(&hs);
	buf_free(&b);
}

static void test_handshake_record_version(void **state UNUSED)
{
	/* record.h: record_version is "of the record that completed the
	 * message", for handshake messages as for alerts. */
	struct buf b;
	struct run r;
	buf_init(&b, 4096);
	add_record(&b, 22, 0x0301, "\x02\x00\x00\001a", 5);
	add_record(&b, 22, 0x0303, "\x0b\x00\x00\001b", 5);
	add_record(&b, 21, 0x0302, "\x01\x00", 2);
	feed(0, b.data, b.len, 0, &r);
	buf_free(&b);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.msg[0].version, 0x0301);
	assert_int_equal(r.msg[2].kind, REC_ALERT);
	assert_int_equal(r.msg[2].version, 0x0302);
	assert_int_equal(r.msg[1].version, 0x0303);
}

/* ------------------------------------------------- alert, CCS, app data */

static void test_alert(void **state UNUSED)
{
	struct buf b;
	struct run r;
	buf_init(&b, 64);
	add_record(&b, 21, 0x0303, "\x02\x28", 2);
	feed(0, b.data, b.len, 0, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.msg[0].kind, REC_ALERT);
	assert_int_equal(r.msg[0].version, 0x0303);
	assert_int_equal(r.msg[0].len, 2);
	assert_true(r.msg[0].has_body);
	assert_int_equal(r.msg[0].body[0], 2);
	assert_int_equal(r.msg[0].body[1], 40);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.left, 0);
	buf_free(&b);
}

static void test_alert_wrong_length(void **state UNUSED)
{
	struct buf b;
	struct run r;
	buf_init(&b, 64);
	add_record(&b, 21, 0x0303, "\x02\x28\x00", 3);
	feed(0, b.data, b.len, 0, &r);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.why, "alert record is not 2 bytes");
	buf_reset(&b);
	add_record(&b, 21, 0x0303, "\x02", 1);
	feed(0, b.data, b.len, 0, &r);
	assert_int_equal(r.rc, -1);
	buf_free(&b);
}

static void test_ccs_and_app_data(void **state UNUSED)
{
	uint8_t big[16384 + 2048];
	struct buf b;
	struct run r;

	memset(big, 0x5a, sizeof big);
	buf_init(&b, IN_MAX);
	add_record(&b, 20, 0x0303, "\x01", 1);
	add_record(&b, 23, 0x0303, big, 100);
	add_record(&b, 24, 0x0302, big, 3); /* heartbeat: opaque too */
	/* 2^14 + 2048 is the largest record allowed (RFC 5246 6.2.3) */
	add_record(&b, 23, 0x0303, big, sizeof big);
	feed(0, b.data, b.len, 0, &r);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.msg[0].kind, REC_CCS);
	assert_int_equal(r.msg[0].len, 1);
	assert_int_equal(r.msg[1].kind, REC_APPDATA);
	assert_int_equal(r.msg[1].len, 100);
	assert_false(r.msg[1].has_body);
	assert_int_equal(r.msg[1].hs_type, 0);
	assert_int_equal(r.msg[2].kind, REC_APPDATA);
	assert_int_equal(r.msg[2].len, 3);
	assert_int_equal(r.msg[2].version, 0x0302);
	assert_int_equal(r.msg[3].kind, REC_APPDATA);
	assert_int_equal(r.msg[3].len, sizeof big);
	buf_free(&b);
}

/* ------------------------------------------------------ framing errors */

static void test_wrong_content_type(void **state UNUSED)
{
	struct run r;
	feed(0, (const uint8_t *)"\x19\x03\x03\x00\x01\x00", 6, 0, &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.n, 0);
	assert_string_equal(r.why, "not a TLS record (unknown content type)");
	feed(0, (const uint8_t *)"\x13\x03\x03\x00\x01\x00", 6, 0, &r);
	assert_int_equal(r.rc, -1);
	/* plain text is refused from its first byte, not after 5 */
	feed(0, (const uint8_t *)"2", 1, 0, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.why, "not a TLS record");
	feed(0, (const uint8_t *)"220 mx ESMTP\r\n", 14, 1, &r);
	assert_int_equal(r.rc, -1);
	/* an SSLv2 header without an SSLv2 hello: not TLS */
	feed(0, (const uint8_t *)"\x80\x05\x04\x00\x01\x00\x02", 7, 0, &r);
	assert_int_equal(r.rc, -1);
	/* but a valid type waits for the rest of its header */
	feed(0, (const uint8_t *)"\x16\x03", 2, 0, &r);
	assert_int_equal(r.rc, 0);
}

static void test_version_major_not_3(void **state UNUSED)
{
	struct run r;
	feed(0, (const uint8_t *)"\x16\x02\x00\x00\x01\x00", 6, 0, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.why, "not a TLS record (version major is not 3)");
	feed(0, (const uint8_t *)"\x15\x04\x03\x00\x02\x02\x28", 7, 0, &r);
	assert_int_equal(r.rc, -1);
	/* any minor is fine */
	feed(0, (const uint8_t *)"\x15\x03\x09\x00\x02\x02\x28", 7, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.msg[0].version, 0x0309);
}

static void test_record_too_long(void **state UNUSED)
{
	struct run r;
	/* refused from the header alone: 0x4801 = 2^14 + 2048 + 1 */
	feed(0, (const uint8_t *)"\x17\x03\x03\x48\x01", 5, 0, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.why, "TLS record longer than 2^14+2048 bytes");
	feed(0, (const uint8_t *)"\x16\x03\x03\xff\xff", 5, 0, &r);
	assert_int_equal(r.rc, -1);
	/* the largest allowed waits for its bytes */
	feed(0, (const uint8_t *)"\x17\x03\x03\x48\x00", 5, 0, &r);
	assert_int_equal(r.rc, 0);
}

static void test_empty_handshake_record(void **state UNUSED)
{
	struct run r;
	feed(0, (const uint8_t *)"\x16\x03\x03\x00\x00", 5, 0, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.why, "empty handshake record");
}

/* A handshake message of `body` bytes in records of 2^14. */
static void big_message(struct buf *b, size_t body)
{
	struct buf msg;
	uint8_t *zeros = calloc(1, body);
	assert_non_null(zeros);
	buf_init(&msg, IN_MAX);
	add_hs(&msg, 11, zeros, body);
	for (size_t off = 0; off < msg.len; off += 16384) {
		size_t n = msg.len - off < 16384 ? msg.len - off : 16384;
		add_record(b, 22, 0x0303, msg.data + off, n);
	}
	buf_free(&msg);
	free(zeros);
}

static void test_reassembly_cap(void **state UNUSED)
{
	struct buf b;
	struct run r;

	/* 4 + 65532 = 64 KiB exactly: fits */
	buf_init(&b, IN_MAX);
	big_message(&b, REC_MAX_HANDSHAKE - 4);
	feed(0, b.data, b.len, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.msg[0].hs_type, 11);
	assert_int_equal(r.msg[0].len, REC_MAX_HANDSHAKE - 4);
	buf_free(&b);

	/* one byte more: refused */
	buf_init(&b, IN_MAX);
	big_message(&b, REC_MAX_HANDSHAKE - 3);
	feed(0, b.data, b.len, 0, &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.n, 0);
	assert_string_equal(r.why, "handshake messages exceed 64 KiB");
	buf_free(&b);

	/* a length of 2^24-1 with bytes that never end: refused at the cap */
	buf_init(&b, IN_MAX);
	{
		uint8_t rec[16384];
		memset(rec, 0, sizeof rec);
		memcpy(rec, "\x0b\xff\xff\xff", 4);
		for (int i = 0; i < 5; i++)
			add_record(&b, 22, 0x0303, rec, sizeof rec);
	}
	feed(0, b.data, b.len, 1000, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.why, "handshake messages exceed 64 KiB");
	buf_free(&b);
}

static void test_alert_inside_fragmented_message(void **state UNUSED)
{
	struct buf b;
	struct run r;

	buf_init(&b, 4096);
	add_record(&b, 22, 0x0303, "\x0b\x00\x00\020abcd", 8);
	add_record(&b, 21, 0x0303, "\x02\x28", 2);
	add_record(&b, 22, 0x0303, "efghijklmnop", 12);
	feed(0, b.data, b.len, 0, &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.n, 0);
	assert_string_equal(r.why, "record interleaved inside a handshake message");
	/* also inside a cut header, and for a CCS */
	buf_reset(&b);
	add_record(&b, 22, 0x0303, "\x0b\x00", 2);
	add_record(&b, 20, 0x0303, "\x01", 1);
	feed(0, b.data, b.len, 1, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.why, "record interleaved inside a handshake message");
	/* after a message that ended with its record, an alert is fine */
	buf_reset(&b);
	add_record(&b, 22, 0x0303, "\x0e\x00\x00\x00", 4);
	add_record(&b, 21, 0x0303, "\x01\x00", 2);
	feed(0, b.data, b.len, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.msg[1].kind, REC_ALERT);
	buf_free(&b);
}

static void test_app_data_inside_fragmented_message(void **state UNUSED)
{
	/* RFC 8446 5.1: "if a handshake message is split over two or more
	 * records, there MUST NOT be any other records between them." */
	struct buf b;
	struct run r;

	buf_init(&b, 4096);
	add_record(&b, 22, 0x0303, "\x0b\x00\x00\006abc", 7);
	add_record(&b, 23, 0x0303, "zzzz", 4);
	add_record(&b, 22, 0x0303, "def", 3);
	feed(0, b.data, b.len, 0, &r);
	buf_free(&b);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.n, 0);
}

/* ---------------------------------------------------------------- SSLv2 */

/* SERVER-HELLO-like message: type 4 and a few bytes. */
static const uint8_t v2msg[] = {4, 0, 1, 0, 2, 0, 0};

static void test_sslv2_two_byte_header(void **state UNUSED)
{
	uint8_t rec[2 + sizeof v2msg] = {0x80, sizeof v2msg};
	struct run r;

	memcpy(rec + 2, v2msg, sizeof v2msg);
	for (size_t chunk = 0; chunk <= 2; chunk++) {
		feed(1, rec, sizeof rec, chunk, &r);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.msg[0].kind, REC_SSLV2);
		assert_int_equal(r.msg[0].hs_type, 4);
		assert_int_equal(r.msg[0].version, 0x0002);
		assert_int_equal(r.msg[0].len, sizeof v2msg);
		assert_memory_equal(r.msg[0].body, v2msg, sizeof v2msg);
		assert_int_equal(r.left, 0);
	}
}

static void test_sslv2_three_byte_header(void **state UNUSED)
{
	/* 3-byte header: no high bit, 14-bit length, padding count */
	uint8_t rec[3 + sizeof v2msg] = {0x00, sizeof v2msg, 0x00};
	struct run r;

	memcpy(rec + 3, v2msg, sizeof v2msg);
	feed(1, rec, sizeof rec, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.msg[0].kind, REC_SSLV2);
	assert_int_equal(r.msg[0].hs_type, 4);
	assert_int_equal(r.msg[0].len, sizeof v2msg);
	assert_memory_equal(r.msg[0].body, v2msg, sizeof v2msg);
}

static void test_sslv2_three_byte_header_byte_by_byte(void **state UNUSED)
{
	/* The same record arriving one byte at a time is the same record. */
	uint8_t rec[3 + sizeof v2msg] = {0x00, sizeof v2msg, 0x00};
	struct run r;

	memcpy(rec + 3, v2msg, sizeof v2msg);
	feed(1, rec, sizeof rec, 1, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.msg[0].kind, REC_SSLV2);
	assert_int_equal(r.msg[0].len, sizeof v2msg);
}

static void test_sslv2_two_records(void **state UNUSED)
{
	/* an ERROR after a hello: two SSLv2 records, the first one's bytes
	 * must not leak into the second */
	static const uint8_t in[] = {0x80, 0x03, 0x00, 0x00, 0x01, 0x80,
	                             0x04, 0x04, 0x09, 0x08, 0x07};
	struct run r;
	feed(1, in, sizeof in, 0, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.msg[0].hs_type, 0);
	assert_int_equal(r.msg[0].len, 3);
	assert_memory_equal(r.msg[0].body, "\x00\x00\x01", 3);
	assert_int_equal(r.msg[1].hs_type, 4);
	assert_int_equal(r.msg[1].len, 4);
	assert_memory_equal(r.msg[1].body, "\x04\x09\x08\x07", 4);
	assert_int_equal(r.rc, 0);
}

static void test_sslv2_empty_record(void **state UNUSED)
{
	struct run r;
	feed(1, (const uint8_t *)"\x80\x00\x04\x00\x00", 5, 0, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.why, "empty SSLv2 record");
}

static void test_sslv2_reader_gets_tls_alert(void **state UNUSED)
{
	/* most servers answer an SSLv2 hello with a TLS alert */
	struct buf b;
	struct run r;
	buf_init(&b, 64);
	add_record(&b, 21, 0x0301, "\x02\x46", 2);
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		feed(1, b.data, b.len, chunk, &r);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.msg[0].kind, REC_ALERT);
		assert_int_equal(r.msg[0].version, 0x0301);
		assert_int_equal(r.msg[0].body[0], 2);
		assert_int_equal(r.msg[0].body[1], 70);
	}
	/* ... or a TLS handshake */
	buf_reset(&b);
	add_record(&b, 22, 0x0300, "\x02\x00\x00\001q", 5);
	feed(1, b.data, b.len, 0, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.msg[0].kind, REC_HANDSHAKE);
	assert_int_equal(r.msg[0].hs_type, 2);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_several_records_in_one_buffer),
	    cmocka_unit_test(test_byte_by_byte),
	    cmocka_unit_test(test_need_more),
	    cmocka_unit_test(test_message_across_three_records),
	    cmocka_unit_test(test_handshake_header_split),
	    cmocka_unit_test(test_two_messages_in_one_record),
	    cmocka_unit_test(test_handshake_record_version),
	    cmocka_unit_test(test_alert),
	    cmocka_unit_test(test_alert_wrong_length),
	    cmocka_unit_test(test_ccs_and_app_data),
	    cmocka_unit_test(test_wrong_content_type),
	    cmocka_unit_test(test_version_major_not_3),
	    cmocka_unit_test(test_record_too_long),
	    cmocka_unit_test(test_empty_handshake_record),
	    cmocka_unit_test(test_reassembly_cap),
	    cmocka_unit_test(test_alert_inside_fragmented_message),
	    cmocka_unit_test(test_app_data_inside_fragmented_message),
	    cmocka_unit_test(test_sslv2_two_byte_header),
	    cmocka_unit_test(test_sslv2_three_byte_header),
	    cmocka_unit_test(test_sslv2_three_byte_header_byte_by_byte),
	    cmocka_unit_test(test_sslv2_two_records),
	    cmocka_unit_test(test_sslv2_empty_record),
	    cmocka_unit_test(test_sslv2_reader_gets_tls_alert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
