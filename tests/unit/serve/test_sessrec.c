/* test_sessrec.c - a serve session's record as a terminal line and as a
 * JSON line: every field, and hostile peer text (escape sequences, NULs,
 * invalid UTF-8, quotes, spaces) made safe for each output. */
#include "testutil.h"

#include <jansson.h>

#include "serve/sessrec.h"

static void fill_tls(struct srec *r)
{
	r->tls.done = 1;
	r->tls.version = strdup("TLSv1.3");
	r->tls.cipher = strdup("TLS_AES_256_GCM_SHA384");
	r->tls.cipher_openssl = strdup("TLS_AES_256_GCM_SHA384");
	r->tls.group = strdup("X25519");
	r->tls.sni = strdup("localhost");
	r->tls.sni_len = 9;
	r->tls.offered_max = strdup("TLSv1.3");
	r->tls.offered_ciphers = 31;
	r->tls.handshake_ms = 2.5;
}

static void sample(struct srec *r)
{
	srec_init(r, 7);
	r->listener = strdup("127.0.0.1:2525");
	r->mode = "starttls";
	r->client = strdup("127.0.0.1:40000");
	snprintf(r->helo_verb, sizeof r->helo_verb, "EHLO");
	srec_str_set(&r->helo, LIT("mx.example"));
	r->starttls_offered = r->starttls_used = 1;
	fill_tls(r);
	struct srec_msg *m = srec_add_msg(r, LIT("a@b.example"), 1);
	srec_msg_add_rcpt(m, LIT("x@y.example"));
	srec_msg_add_rcpt(m, LIT("z@y.example"));
	m->data = m->accepted = 1;
	m->size = 1234;
	m->reply = strdup("250 2.0.0 received over TLSv1.3 TLS_AES_256_GCM_SHA384; discarded");
	r->messages = 1;
	r->commands = 6;
	r->duration_ms = 1500;
	r->end = "quit";
}

static void test_text_line(void **state)
{
	struct srec r;
	struct buf b;
	sample(&r);
	buf_init(&b, 1 << 16);
	assert_int_equal(srec_text(&r, &b), 0);
	assert_string_equal(buf_cstr(&b),
			    "session 7 client=127.0.0.1:40000 via=127.0.0.1:2525/starttls "
			    "ehlo=mx.example starttls=yes tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 "
			    "group=X25519 sni=localhost from=<a@b.example> to=<x@y.example> rcpts=2 "
			    "messages=1 size=1234 errors=0 duration=1.500s end=quit");
	buf_free(&b);
	srec_free(&r);
}

static void test_text_plain_and_failed(void **state)
{
	struct srec r;
	struct buf b;
	buf_init(&b, 1 << 16);
	srec_init(&r, 1);
	r.mode = "starttls";
	r.end = "client-closed";
	assert_int_equal(srec_text(&r, &b), 0);
	assert_non_null(strstr(buf_cstr(&b), " starttls=no tls=none messages=0"));
	srec_free(&r);

	buf_reset(&b);
	srec_init(&r, 2);
	r.mode = "implicit";
	r.tls_error = strdup("TLS handshake failed: no shared cipher");
	r.end = "tls-failed";
	assert_int_equal(srec_text(&r, &b), 0);
	assert_null(strstr(buf_cstr(&b), "starttls="));
	assert_non_null(strstr(buf_cstr(&b),
			       " tls=failed tls-error=\"TLS handshake failed: no shared cipher\""));
	srec_free(&r);
	buf_free(&b);
}

/* Nothing a client sends may reach the terminal as a control byte, and a
 * value cannot pretend to end and start another key=value. */
static void test_text_hostile(void **state)
{
	struct srec r;
	struct buf b;
	sample(&r);
	srec_str_set(&r.helo, LIT("evil \x1b[2J\" end=quit\x00\xff\xc2\x9b"));
	free(r.tls.sni);
	r.tls.sni = malloc(4);
	memcpy(r.tls.sni, "a\nb", 4);
	r.tls.sni_len = 3;
	buf_init(&b, 1 << 16);
	assert_int_equal(srec_text(&r, &b), 0);
	const char *t = buf_cstr(&b);
	assert_int_equal(strlen(t), b.len);
	for (size_t i = 0; i < b.len; i++)
		assert_true(t[i] >= 0x20 && t[i] < 0x7f);
	assert_non_null(strstr(t, " ehlo=\"evil \\x1B[2J\\\" end=quit\\x00\\xFF\\xC2\\x9B\" "));
	assert_non_null(strstr(t, " sni=a\\nb "));
	assert_non_null(strstr(t, " end=quit"));
	buf_free(&b);
	srec_free(&r);
}

static json_t *parse(const struct srec *r)
{
	struct buf b;
	json_error_t je;
	buf_init(&b, 1 << 20);
	assert_int_equal(srec_json(r, &b), 0);
	assert_null(memchr(b.data, '\n', b.len));
	json_t *j = json_loadb((const char *)b.data, b.len, 0, &je);
	assert_non_null(j);
	buf_free(&b);
	return j;
}

static void test_json_line(void **state)
{
	struct srec r;
	sample(&r);
	json_t *j = parse(&r);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "session");
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 7);
	assert_string_equal(json_string_value(json_object_get(j, "client")), "127.0.0.1:40000");
	assert_string_equal(json_string_value(json_object_get(j, "mode")), "starttls");
	json_t *helo = json_object_get(j, "helo");
	assert_string_equal(json_string_value(json_object_get(helo, "verb")), "EHLO");
	assert_string_equal(json_string_value(json_object_get(helo, "name")), "mx.example");
	json_t *st = json_object_get(j, "starttls");
	assert_true(json_is_true(json_object_get(st, "offered")));
	assert_true(json_is_true(json_object_get(st, "used")));
	json_t *tls = json_object_get(j, "tls");
	assert_string_equal(json_string_value(json_object_get(tls, "version")), "TLSv1.3");
	assert_string_equal(json_string_value(json_object_get(tls, "cipher")),
			    "TLS_AES_256_GCM_SHA384");
	assert_string_equal(json_string_value(json_object_get(tls, "group")), "X25519");
	assert_string_equal(json_string_value(json_object_get(tls, "sni")), "localhost");
	assert_true(json_is_null(json_object_get(tls, "client_cert")));
	assert_true(json_is_null(json_object_get(tls, "error")));
	assert_int_equal(json_integer_value(json_object_get(tls, "offered_ciphers")), 31);
	json_t *msgs = json_object_get(j, "messages");
	assert_int_equal(json_array_size(msgs), 1);
	json_t *m = json_array_get(msgs, 0);
	assert_string_equal(json_string_value(json_object_get(m, "from")), "a@b.example");
	assert_int_equal(json_array_size(json_object_get(m, "rcpts")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "rcpts"), 1)),
			    "z@y.example");
	assert_int_equal(json_integer_value(json_object_get(m, "size")), 1234);
	assert_true(json_is_true(json_object_get(m, "accepted")));
	assert_true(json_is_true(json_object_get(m, "tls")));
	assert_int_equal(json_integer_value(json_object_get(j, "messages_accepted")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "end")), "quit");
	json_decref(j);
	srec_free(&r);
}

static void test_json_no_tls(void **state)
{
	struct srec r;
	srec_init(&r, 3);
	r.mode = "starttls";
	json_t *j = parse(&r);
	assert_true(json_is_null(json_object_get(j, "tls")));
	assert_true(json_is_null(json_object_get(j, "helo")));
	assert_true(json_is_false(json_object_get(json_object_get(j, "starttls"), "used")));
	assert_string_equal(json_string_value(json_object_get(j, "end")), "open");
	json_decref(j);
	srec_free(&r);
}

/* Invalid UTF-8 and NULs become \xHH text (esc_utf8), so the JSON stays
 * valid and says what was sent. */
static void test_json_hostile(void **state)
{
	struct srec r;
	sample(&r);
	srec_str_set(&r.helo, LIT("a\x00\xff\"\\"));
	srec_str_set(&r.msgs[0].from, LIT("\xc0\xbc@x"));
	json_t *j = parse(&r);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "helo"), "name")),
			    "a\\x00\\xFF\"\\\\");
	json_t *m = json_array_get(json_object_get(j, "messages"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "from")), "\\xC0\\xBC@x");
	json_decref(j);
	srec_free(&r);
}

static void test_caps(void **state)
{
	struct srec r;
	srec_init(&r, 1);
	for (int i = 0; i < SREC_MAX_MSGS; i++)
		assert_non_null(srec_add_msg(&r, LIT("a"), 0));
	assert_null(srec_add_msg(&r, LIT("a"), 0));
	assert_int_equal(r.msgs_dropped, 1);
	for (int i = 0; i < SREC_MAX_RCPTS + 3; i++)
		srec_msg_add_rcpt(&r.msgs[0], LIT("r"));
	assert_int_equal(r.msgs[0].nrcpts, SREC_MAX_RCPTS);
	assert_int_equal(r.msgs[0].rcpts_dropped, 3);
	json_t *j = parse(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "messages_dropped")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "messages")), SREC_MAX_MSGS);
	json_decref(j);
	srec_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_line),
		cmocka_unit_test(test_text_plain_and_failed),
		cmocka_unit_test(test_text_hostile),
		cmocka_unit_test(test_json_line),
		cmocka_unit_test(test_json_no_tls),
		cmocka_unit_test(test_json_hostile),
		cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
