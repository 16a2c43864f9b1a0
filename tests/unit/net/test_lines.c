/* test_lines.c - line framing (line_peek) and RFC 5321 4.2 multi-line
 * replies (reply_feed): splits, pipelined bytes, syntax errors, caps. */
#include "testutil.h"

#include "net/lines.h"

/* ---- line_peek ---- */

static void test_peek_crlf(void **state UNUSED)
{
	struct buf b;
	struct line l;

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("EHLO x\r\nrest"));
	assert_int_equal(line_peek(&b, 64, &l), LINE_OK);
	assert_int_equal(l.len, 6);
	assert_int_equal(l.wire_len, 8);
	assert_int_equal(l.bare_lf, 0);
	assert_memory_equal(l.text, "EHLO x", 6);
	assert_ptr_equal(l.text, b.data);
	/* Peeking consumes nothing. */
	assert_int_equal(b.len, 12);
	buf_free(&b);
}

static void test_peek_bare_lf(void **state UNUSED)
{
	struct buf b;
	struct line l;

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("abc\nxyz\r\n"));
	assert_int_equal(line_peek(&b, 64, &l), LINE_OK);
	assert_int_equal(l.len, 3);
	assert_int_equal(l.wire_len, 4);
	assert_int_equal(l.bare_lf, 1);
	assert_memory_equal(l.text, "abc", 3);
	/* A CR inside the line is not an ending. */
	buf_reset(&b);
	tu_buf_add(&b, LIT("a\rb\n"));
	assert_int_equal(line_peek(&b, 64, &l), LINE_OK);
	assert_int_equal(l.len, 3);
	assert_int_equal(l.wire_len, 4);
	assert_int_equal(l.bare_lf, 1);
	assert_memory_equal(l.text, "a\rb", 3);
	buf_free(&b);
}

static void test_peek_need_more(void **state UNUSED)
{
	struct buf b;
	struct line l;

	buf_init(&b, 256);
	assert_int_equal(line_peek(&b, 64, &l), LINE_NEED_MORE);
	tu_buf_add(&b, LIT("220 partial"));
	assert_int_equal(line_peek(&b, 64, &l), LINE_NEED_MORE);
	/* The CR has come, the LF has not. */
	tu_buf_add(&b, LIT("\r"));
	assert_int_equal(line_peek(&b, 64, &l), LINE_NEED_MORE);
	tu_buf_add(&b, LIT("\n"));
	assert_int_equal(line_peek(&b, 64, &l), LINE_OK);
	assert_int_equal(l.len, 11);
	assert_int_equal(l.wire_len, 13);
	buf_free(&b);
}

static void test_peek_empty_line(void **state UNUSED)
{
	struct buf b;
	struct line l;

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("\r\nnext\r\n"));
	assert_int_equal(line_peek(&b, 64, &l), LINE_OK);
	assert_int_equal(l.len, 0);
	assert_int_equal(l.wire_len, 2);
	assert_int_equal(l.bare_lf, 0);
	buf_reset(&b);
	tu_buf_add(&b, LIT("\n"));
	assert_int_equal(line_peek(&b, 0, &l), LINE_OK);
	assert_int_equal(l.len, 0);
	assert_int_equal(l.wire_len, 1);
	assert_int_equal(l.bare_lf, 1);
	buf_free(&b);
}

static void test_peek_embedded_nul(void **state UNUSED)
{
	struct buf b;
	struct line l;

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("a\0b\r\n"));
	assert_int_equal(line_peek(&b, 64, &l), LINE_OK);
	assert_int_equal(l.len, 3);
	assert_memory_equal(l.text, "a\0b", 3);
	buf_free(&b);
}

static void test_peek_too_long_complete(void **state UNUSED)
{
	struct buf b;
	struct line l;

	buf_init(&b, 256);
	/* Exactly max_len is fine, with either ending. */
	tu_buf_add(&b, LIT("abcd\r\n"));
	assert_int_equal(line_peek(&b, 4, &l), LINE_OK);
	assert_int_equal(l.len, 4);
	buf_reset(&b);
	tu_buf_add(&b, LIT("abcd\n"));
	assert_int_equal(line_peek(&b, 4, &l), LINE_OK);
	assert_int_equal(l.len, 4);
	/* One more is too long, whichever ending. */
	buf_reset(&b);
	tu_buf_add(&b, LIT("abcde\r\n"));
	assert_int_equal(line_peek(&b, 4, &l), LINE_TOO_LONG);
	buf_reset(&b);
	tu_buf_add(&b, LIT("abcde\n"));
	assert_int_equal(line_peek(&b, 4, &l), LINE_TOO_LONG);
	/* The first line decides, even when a short one follows. */
	buf_reset(&b);
	tu_buf_add(&b, LIT("abcdefgh\r\nok\r\n"));
	assert_int_equal(line_peek(&b, 4, &l), LINE_TOO_LONG);
	buf_free(&b);
}

static void test_peek_too_long_partial(void **state UNUSED)
{
	struct buf b;
	struct line l;

	buf_init(&b, 256);
	/* max_len bytes and a CR: still possibly a line of max_len. */
	tu_buf_add(&b, LIT("abcd\r"));
	assert_int_equal(line_peek(&b, 4, &l), LINE_NEED_MORE);
	buf_reset(&b);
	tu_buf_add(&b, LIT("abcd"));
	assert_int_equal(line_peek(&b, 4, &l), LINE_NEED_MORE);
	/* Far past the cap with no end in sight. */
	buf_reset(&b);
	tu_buf_add(&b, LIT("abcdefghij"));
	assert_int_equal(line_peek(&b, 4, &l), LINE_TOO_LONG);
	buf_reset(&b);
	tu_buf_add(&b, LIT("abcd\rx"));
	assert_int_equal(line_peek(&b, 4, &l), LINE_TOO_LONG);
	buf_free(&b);
}

/* lines.h: "A line longer than max_len (without its ending) is
 * LINE_TOO_LONG, whether or not its end has arrived yet." Five bytes of
 * text that are not a CR already make a line longer than 4. */
static void test_peek_too_long_partial_one_past(void **state UNUSED)
{
	struct buf b;
	struct line l;

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("abcde"));
	assert_int_equal(line_peek(&b, 4, &l), LINE_TOO_LONG);
	buf_free(&b);
}

/* ---- reply_feed ---- */

#define MAX_SEEN 16

struct seen {
	char *line[MAX_SEEN];
	size_t len[MAX_SEEN];
	size_t n;
};

static void on_line(void *arg, const char *text, size_t len)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	s->line[s->n] = malloc(len + 1);
	assert_non_null(s->line[s->n]);
	memcpy(s->line[s->n], text, len);
	s->line[s->n][len] = '\0';
	s->len[s->n] = len;
	s->n++;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->line[i]);
	s->n = 0;
}

static void test_reply_single(void **state UNUSED)
{
	struct buf b;
	struct reply r = {0};

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("220 hi\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_DONE);
	assert_int_equal(r.code, 220);
	assert_int_equal(r.nlines, 1);
	assert_string_equal(r.lines[0], "hi");
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.bytes, 6);
	assert_int_equal(b.len, 0);
	reply_free(&r);
	assert_null(r.lines);
	assert_int_equal(r.nlines, 0);
	buf_free(&b);
}

static void test_reply_multiline(void **state UNUSED)
{
	struct buf b;
	struct reply r = {0};
	struct seen s = {0};

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("250-a\r\n250-b\r\n250 c\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, on_line, &s), REPLY_DONE);
	assert_int_equal(r.code, 250);
	assert_int_equal(r.nlines, 3);
	assert_string_equal(r.lines[0], "a");
	assert_string_equal(r.lines[1], "b");
	assert_string_equal(r.lines[2], "c");
	assert_int_equal(r.bytes, 15);
	assert_int_equal(b.len, 0);
	/* on_line gets the raw lines, code included, ending excluded. */
	assert_int_equal(s.n, 3);
	assert_string_equal(s.line[0], "250-a");
	assert_string_equal(s.line[1], "250-b");
	assert_string_equal(s.line[2], "250 c");
	assert_int_equal(s.len[2], 5);
	seen_free(&s);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_bare_lf_and_code_only(void **state UNUSED)
{
	struct buf b;
	struct reply r = {0};

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("220 hi\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_DONE);
	assert_int_equal(r.code, 220);
	assert_string_equal(r.lines[0], "hi");
	/* "250" alone is a complete final line with empty text. */
	tu_buf_add(&b, LIT("250\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_DONE);
	assert_int_equal(r.code, 250);
	assert_int_equal(r.nlines, 1);
	assert_string_equal(r.lines[0], "");
	assert_int_equal(b.len, 0);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_byte_by_byte(void **state UNUSED)
{
	static const char wire[] = "250-mx.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
	struct buf b;
	struct reply r = {0};
	struct seen s = {0};
	size_t i, n = sizeof(wire) - 1;

	buf_init(&b, 256);
	for (i = 0; i < n - 1; i++) {
		tu_buf_add(&b, wire + i, 1);
		assert_int_equal(reply_feed(&r, &b, NULL, on_line, &s), REPLY_NEED_MORE);
		assert_int_equal(r.complete, 0);
	}
	assert_int_equal(r.nlines, 2);
	assert_int_equal(s.n, 2);
	/* The last line's text sits in the buffer, unconsumed. */
	assert_int_equal(b.len, strlen("250 STARTTLS\r"));
	tu_buf_add(&b, wire + n - 1, 1);
	assert_int_equal(reply_feed(&r, &b, NULL, on_line, &s), REPLY_DONE);
	assert_int_equal(r.code, 250);
	assert_int_equal(r.nlines, 3);
	assert_string_equal(r.lines[0], "mx.example.com");
	assert_string_equal(r.lines[1], "PIPELINING");
	assert_string_equal(r.lines[2], "STARTTLS");
	assert_int_equal(b.len, 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.line[2], "250 STARTTLS");
	seen_free(&s);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_two_in_one_buffer(void **state UNUSED)
{
	struct buf b;
	struct reply r = {0};
	struct seen s = {0};

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("220 ready\r\n554 pipelined\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, on_line, &s), REPLY_DONE);
	assert_int_equal(r.code, 220);
	assert_int_equal(r.nlines, 1);
	assert_string_equal(r.lines[0], "ready");
	/* Only the first reply was taken: the rest is how pipelined bytes
	 * are seen. */
	assert_int_equal(s.n, 1);
	assert_int_equal(b.len, 15);
	assert_memory_equal(b.data, "554 pipelined\r\n", 15);
	/* Feeding again starts a fresh reply. */
	assert_int_equal(reply_feed(&r, &b, NULL, on_line, &s), REPLY_DONE);
	assert_int_equal(r.code, 554);
	assert_int_equal(r.nlines, 1);
	assert_string_equal(r.lines[0], "pipelined");
	assert_int_equal(r.bytes, 13);
	assert_int_equal(b.len, 0);
	assert_int_equal(s.n, 2);
	seen_free(&s);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_partial_then_rest(void **state UNUSED)
{
	struct buf b;
	struct reply r = {0};

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("250-a\r\n250 b"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_NEED_MORE);
	assert_int_equal(r.nlines, 1);
	assert_int_equal(r.code, 250);
	assert_int_equal(b.len, 5);
	tu_buf_add(&b, LIT("\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_DONE);
	assert_int_equal(r.nlines, 2);
	assert_string_equal(r.lines[1], "b");
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_code_changes(void **state UNUSED)
{
	struct buf b;
	struct reply r = {0};
	struct seen s = {0};

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("250-a\r\n251 b\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, on_line, &s), REPLY_ERR_SYNTAX);
	/* The offending line was still shown to the transcript. */
	assert_int_equal(s.n, 2);
	assert_string_equal(s.line[1], "251 b");
	seen_free(&s);
	reply_free(&r);
	buf_free(&b);
}

static void check_syntax(const char *wire, size_t n)
{
	struct buf b;
	struct reply r = {0};
	struct seen s = {0};

	buf_init(&b, 256);
	tu_buf_add(&b, wire, n);
	assert_int_equal(reply_feed(&r, &b, NULL, on_line, &s), REPLY_ERR_SYNTAX);
	assert_int_equal(s.n, 1);
	seen_free(&s);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_no_code(void **state UNUSED)
{
	struct buf b;
	struct reply r = {0};

	check_syntax(LIT("hello\r\n"));
	check_syntax(LIT("25 short\r\n"));
	check_syntax(LIT("2500 long\r\n"));
	check_syntax(LIT("250x text\r\n"));
	check_syntax(LIT("2a0 text\r\n"));
	check_syntax(LIT("\r\n"));
	/* The code is recorded as -1. */
	buf_init(&b, 256);
	tu_buf_add(&b, LIT("* OK IMAP\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_ERR_SYNTAX);
	assert_int_equal(r.code, -1);
	/* A continuation then a line without a code. */
	tu_buf_add(&b, LIT("250-a\r\nnot a reply\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_ERR_SYNTAX);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_limit_line(void **state UNUSED)
{
	const struct reply_limits lim = {.max_line = 8, .max_lines = 0, .max_bytes = 0};
	struct buf b;
	struct reply r = {0};

	buf_init(&b, 4096);
	tu_buf_add(&b, LIT("250 abcd\r\n"));
	assert_int_equal(reply_feed(&r, &b, &lim, NULL, NULL), REPLY_DONE);
	tu_buf_add(&b, LIT("250 abcde\r\n"));
	assert_int_equal(reply_feed(&r, &b, &lim, NULL, NULL), REPLY_ERR_LIMIT);
	/* Also before the line's end arrives. */
	buf_reset(&b);
	reply_reset(&r);
	tu_buf_add(&b, LIT("250 abcdefghijkl"));
	assert_int_equal(reply_feed(&r, &b, &lim, NULL, NULL), REPLY_ERR_LIMIT);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_limit_line_default(void **state UNUSED)
{
	struct buf b;
	struct reply r = {0};
	char line[2048 + 2];

	/* Without limits a line of 2048 passes and 2049 does not. */
	buf_init(&b, 8192);
	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	line[2048] = '\r';
	line[2049] = '\n';
	tu_buf_add(&b, line, sizeof(line));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_DONE);
	assert_int_equal(strlen(r.lines[0]), 2044);
	tu_buf_add(&b, line, 2048);
	tu_buf_add(&b, LIT("x\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_ERR_LIMIT);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_limit_lines(void **state UNUSED)
{
	const struct reply_limits three = {.max_line = 0, .max_lines = 3, .max_bytes = 0};
	const struct reply_limits two = {.max_line = 0, .max_lines = 2, .max_bytes = 0};
	struct buf b;
	struct reply r = {0};

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("250-a\r\n250-b\r\n250 c\r\n"));
	assert_int_equal(reply_feed(&r, &b, &three, NULL, NULL), REPLY_DONE);
	assert_int_equal(r.nlines, 3);
	tu_buf_add(&b, LIT("250-a\r\n250-b\r\n250 c\r\n"));
	assert_int_equal(reply_feed(&r, &b, &two, NULL, NULL), REPLY_ERR_LIMIT);
	assert_true(r.nlines <= 2);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_limit_lines_default(void **state UNUSED)
{
	struct buf b;
	struct reply r = {0};
	int i;

	/* The documented default: 256 lines. */
	buf_init(&b, 1 << 16);
	for (i = 0; i < 255; i++)
		tu_buf_add(&b, LIT("250-x\r\n"));
	tu_buf_add(&b, LIT("250 x\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_DONE);
	assert_int_equal(r.nlines, 256);
	for (i = 0; i < 256; i++)
		tu_buf_add(&b, LIT("250-x\r\n"));
	tu_buf_add(&b, LIT("250 x\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_ERR_LIMIT);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_limit_bytes(void **state UNUSED)
{
	const struct reply_limits at = {.max_line = 0, .max_lines = 0, .max_bytes = 16};
	const struct reply_limits below = {.max_line = 0, .max_lines = 0, .max_bytes = 15};
	struct buf b;
	struct reply r = {0};

	buf_init(&b, 256);
	/* Two lines of 8 bytes (endings not counted). */
	tu_buf_add(&b, LIT("250-abcd\r\n250 efgh\r\n"));
	assert_int_equal(reply_feed(&r, &b, &at, NULL, NULL), REPLY_DONE);
	assert_int_equal(r.bytes, 16);
	tu_buf_add(&b, LIT("250-abcd\r\n250 efgh\r\n"));
	assert_int_equal(reply_feed(&r, &b, &below, NULL, NULL), REPLY_ERR_LIMIT);
	assert_true(r.bytes <= 15);
	reply_free(&r);
	buf_free(&b);
}

static void test_reply_reset(void **state UNUSED)
{
	struct buf b;
	struct reply r = {0};

	buf_init(&b, 256);
	tu_buf_add(&b, LIT("250-a\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_NEED_MORE);
	reply_reset(&r);
	assert_int_equal(r.nlines, 0);
	assert_int_equal(r.bytes, 0);
	assert_int_equal(r.complete, 0);
	/* After a reset a new code is accepted. */
	tu_buf_add(&b, LIT("354 go\r\n"));
	assert_int_equal(reply_feed(&r, &b, NULL, NULL, NULL), REPLY_DONE);
	assert_int_equal(r.code, 354);
	assert_int_equal(r.nlines, 1);
	reply_free(&r);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_peek_crlf),
	    cmocka_unit_test(test_peek_bare_lf),
	    cmocka_unit_test(test_peek_need_more),
	    cmocka_unit_test(test_peek_empty_line),
	    cmocka_unit_test(test_peek_embedded_nul),
	    cmocka_unit_test(test_peek_too_long_complete),
	    cmocka_unit_test(test_peek_too_long_partial),
	    cmocka_unit_test(test_peek_too_long_partial_one_past),
	    cmocka_unit_test(test_reply_single),
	    cmocka_unit_test(test_reply_multiline),
	    cmocka_unit_test(test_reply_bare_lf_and_code_only),
	    cmocka_unit_test(test_reply_byte_by_byte),
	    cmocka_unit_test(test_reply_two_in_one_buffer),
	    cmocka_unit_test(test_reply_partial_then_rest),
	    cmocka_unit_test(test_reply_code_changes),
	    cmocka_unit_test(test_reply_no_code),
	    cmocka_unit_test(test_reply_limit_line),
	    cmocka_unit_test(test_reply_limit_line_default),
	    cmocka_unit_test(test_reply_limit_lines),
	    cmocka_unit_test(test_reply_limit_lines_default),
	    cmocka_unit_test(test_reply_limit_bytes),
	    cmocka_unit_test(test_reply_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
