/* test_ldap.c - proto/ber and proto/ldap_wire: the BER element reader and
 * writer, the size of a whole LDAPMessage, the StartTLS ExtendedResponse
 * (OpenLDAP 2.5's success and refusal, every length in 4-byte long form,
 * a notice of disconnection, responseName and controls) and the
 * ExtendedRequest and UnbindRequest writers. Failure cases: every
 * truncation, a trailing byte, length forms LDAP does not use, a length
 * past its parent, wrong tags, a result code too long. */
#include "testutil.h"

#include "core/wr.h"
#include "proto/ber.h"
#include "proto/ldap_wire.h"

/* OpenLDAP slapd 2.5 (Debian 12) answering StartTLS, with TLS settings... */
static const uint8_t slapd_ok[] = {
    0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
};
/* ... and without: protocolError, "unsupported extended operation". */
static const uint8_t slapd_refused[] = {
    0x30, 0x2a, 0x02, 0x01, 0x01, 0x78, 0x25, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x1e, 0x75,
    0x6e, 0x73, 0x75, 0x70, 0x70, 0x6f, 0x72, 0x74, 0x65, 0x64, 0x20, 0x65, 0x78, 0x74, 0x65,
    0x6e, 0x64, 0x65, 0x64, 0x20, 0x6f, 0x70, 0x65, 0x72, 0x61, 0x74, 0x69, 0x6f, 0x6e,
};
#define SLAPD_REFUSED_TEXT "unsupported extended operation"

/* tests/fixtures/fake_ldap.py --mode long4: every length as 0x84 and four
 * bytes, a diagnosticMessage and responseName. */
static const uint8_t long4[] = {
    0x30, 0x84, 0x00, 0x00, 0x00, 0x74, 0x02, 0x84, 0x00, 0x00, 0x00, 0x01, 0x01, 0x78, 0x84, 0x00,
    0x00, 0x00, 0x67, 0x0a, 0x84, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04, 0x84, 0x00, 0x00, 0x00, 0x00,
    0x04, 0x84, 0x00, 0x00, 0x00, 0x38, 0x53, 0x74, 0x61, 0x72, 0x74, 0x54, 0x4c, 0x53, 0x20, 0x72,
    0x65, 0x61, 0x64, 0x79, 0x20, 0x28, 0x66, 0x61, 0x6b, 0x65, 0x20, 0x4c, 0x44, 0x41, 0x50, 0x20,
    0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x2c, 0x20, 0x6c, 0x6f, 0x6e, 0x67, 0x2d, 0x66, 0x6f, 0x72,
    0x6d, 0x20, 0x42, 0x45, 0x52, 0x20, 0x6c, 0x65, 0x6e, 0x67, 0x74, 0x68, 0x73, 0x29, 0x8a, 0x84,
    0x00, 0x00, 0x00, 0x16, 0x31, 0x2e, 0x33, 0x2e, 0x36, 0x2e, 0x31, 0x2e, 0x34, 0x2e, 0x31, 0x2e,
    0x31, 0x34, 0x36, 0x36, 0x2e, 0x32, 0x30, 0x30, 0x33, 0x37,
};
#define LONG4_TEXT "StartTLS ready (fake LDAP server, long-form BER lengths)"

/* The request mailtls always sent, and its unbind. */
static const uint8_t starttls_req[] = {
    0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, '1', '.', '3', '.', '6', '.', '1',
    '.',  '4',  '.',  '1',  '.',  '1',  '4',  '6',  '6',  '.', '2', '0', '0', '3', '7',
};
static const uint8_t unbind_req[] = {0x30, 0x05, 0x02, 0x01, 0x02, 0x42, 0x00};

static void assert_size(const uint8_t *p, size_t n, int want_rc, size_t want)
{
	size_t size;
	assert_int_equal(ldap_message_size(p, n, &size), want_rc);
	assert_int_equal(size, want);
}

static void test_size(void **state)
{
	(void)state;
	assert_size(slapd_ok, sizeof slapd_ok, 1, sizeof slapd_ok);
	assert_size(long4, sizeof long4, 1, sizeof long4);
	for (size_t i = 0; i < sizeof long4; i++)
		assert_size(long4, i, 0, 0);
	assert_size(NULL, 0, 0, 0);
	/* A second message behind the first is not counted. */
	uint8_t two[2 * sizeof slapd_ok];
	memcpy(two, slapd_ok, sizeof slapd_ok);
	memcpy(two + sizeof slapd_ok, slapd_ok, sizeof slapd_ok);
	assert_size(two, sizeof two, 1, sizeof slapd_ok);
	/* Indefinite length, and a length of 5 bytes: never LDAP. */
	static const uint8_t indef[] = {0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00};
	assert_size(indef, sizeof indef, -1, 0);
	static const uint8_t len5[] = {0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
	assert_size(len5, sizeof len5, -1, 0);
	/* Over the cap: refused at once, before its bytes come. */
	static const uint8_t huge[] = {0x30, 0x83, 0x01, 0x00, 0x01};
	assert_size(huge, sizeof huge, -1, 0);
	static const uint8_t at_cap[] = {0x30, 0x83, 0x01, 0x00, 0x00};
	assert_size(at_cap, sizeof at_cap, 0, 0);
	/* A 4-byte length of the largest kind, cut short: over the cap. */
	static const uint8_t max4[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff};
	assert_size(max4, sizeof max4, -1, 0);
}

static void test_response_slapd(void **state)
{
	(void)state;
	struct ldap_ext_response r;

	assert_int_equal(ldap_ext_response(slapd_ok, sizeof slapd_ok, &r), LDAP_EXT_OK);
	assert_int_equal(r.msgid, 1);
	assert_int_equal(r.op, LDAP_OP_EXTENDED_RESPONSE);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.matched_dn_len, 0);
	assert_int_equal(r.diag_len, 0);
	assert_true(r.tail_ok);
	assert_null(r.name);

	assert_int_equal(ldap_ext_response(slapd_refused, sizeof slapd_refused, &r), LDAP_EXT_OK);
	assert_int_equal(r.msgid, 1);
	assert_int_equal(r.result, 2);
	assert_int_equal(r.diag_len, strlen(SLAPD_REFUSED_TEXT));
	assert_memory_equal(r.diag, SLAPD_REFUSED_TEXT, r.diag_len);
	assert_true(r.tail_ok);
}

static void test_response_long4(void **state)
{
	(void)state;
	struct ldap_ext_response r;

	assert_int_equal(ldap_ext_response(long4, sizeof long4, &r), LDAP_EXT_OK);
	assert_int_equal(r.msgid, 1);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.diag_len, strlen(LONG4_TEXT));
	assert_memory_equal(r.diag, LONG4_TEXT, r.diag_len);
	assert_true(r.tail_ok);
	assert_int_equal(r.name_len, strlen(LDAP_STARTTLS_OID));
	assert_memory_equal(r.name, LDAP_STARTTLS_OID, r.name_len);
}

/* An ExtendedResponse written with ber_*: msgid, result, diag, then the
 * raw rest of the operation and of the message. */
static void ext_resp(struct buf *b, uint32_t msgid, uint32_t result, const char *diag,
                     const void *op_rest, size_t op_rest_n, const void *msg_rest, size_t msg_rest_n)
{
	struct wr w;
	size_t m, o;

	buf_init(b, 512);
	wr_init(&w, b);
	m = ber_open(&w, BER_SEQUENCE);
	ber_put_uint(&w, BER_INTEGER, msgid);
	o = ber_open(&w, LDAP_OP_EXTENDED_RESPONSE);
	ber_put_uint(&w, BER_ENUMERATED, result);
	ber_put(&w, BER_OCTET_STRING, "", 0);
	ber_put(&w, BER_OCTET_STRING, diag, strlen(diag));
	wr_bytes(&w, op_rest, op_rest_n);
	ber_close(&w, o);
	wr_bytes(&w, msg_rest, msg_rest_n);
	ber_close(&w, m);
	assert_false(wr_failed(&w));
}

/* RFC 4511 4.4.1: messageID 0, unavailable (52), the notice's OID. */
static void test_response_notice(void **state)
{
	(void)state;
	struct ldap_ext_response r;
	struct buf b;
	static const uint8_t name[] = "\x8a\x16"
	                              "1.3.6.1.4.1.1466.20036";

	ext_resp(&b, 0, 52, "shutting down", name, sizeof name - 1, NULL, 0);
	assert_int_equal(ldap_ext_response(b.data, b.len, &r), LDAP_EXT_OK);
	assert_int_equal(r.msgid, 0);
	assert_int_equal(r.result, 52);
	assert_true(r.tail_ok);
	assert_int_equal(r.name_len, 22);
	assert_memory_equal(r.name, "1.3.6.1.4.1.1466.20036", 22);
	buf_free(&b);
}

/* A referral and a responseValue in the operation, controls after it. */
static void test_response_tail(void **state)
{
	(void)state;
	struct ldap_ext_response r;
	struct buf b;
	static const uint8_t op_rest[] = {0xa3, 0x03, 0x04, 0x01, 'x', 0x8b, 0x01, 0x00};
	static const uint8_t controls[] = {0xa0, 0x02, 0x30, 0x00};
	static const uint8_t broken[] = {0x8b, 0x05, 0x00};

	ext_resp(&b, 1, 0, "", op_rest, sizeof op_rest, controls, sizeof controls);
	assert_int_equal(ldap_ext_response(b.data, b.len, &r), LDAP_EXT_OK);
	assert_true(r.tail_ok);
	assert_null(r.name);
	buf_free(&b);
	/* What does not decode after the known parts is not the answer's
	 * business (the dialogue only needs resultCode), but it is said. */
	ext_resp(&b, 1, 0, "", broken, sizeof broken, NULL, 0);
	assert_int_equal(ldap_ext_response(b.data, b.len, &r), LDAP_EXT_OK);
	assert_false(r.tail_ok);
	assert_int_equal(r.result, 0);
	buf_free(&b);
	ext_resp(&b, 1, 0, "", NULL, 0, broken, sizeof broken);
	assert_int_equal(ldap_ext_response(b.data, b.len, &r), LDAP_EXT_OK);
	assert_false(r.tail_ok);
	buf_free(&b);
}

static void test_response_truncated(void **state)
{
	(void)state;
	struct ldap_ext_response r;

	for (size_t i = 0; i < sizeof long4; i++)
		assert_int_not_equal(ldap_ext_response(long4, i, &r), LDAP_EXT_OK);
	for (size_t i = 0; i < sizeof slapd_refused; i++)
		assert_int_not_equal(ldap_ext_response(slapd_refused, i, &r), LDAP_EXT_OK);
	/* The outer tag is there from the first byte on. */
	assert_int_equal(ldap_ext_response(slapd_ok, 1, &r), LDAP_EXT_NOT_RESPONSE);
	assert_int_equal(ldap_ext_response(NULL, 0, &r), LDAP_EXT_NOT_MESSAGE);
}

static void test_response_trailing(void **state)
{
	(void)state;
	struct ldap_ext_response r;
	uint8_t p[sizeof slapd_ok + 1];

	memcpy(p, slapd_ok, sizeof slapd_ok);
	p[sizeof slapd_ok] = 0;
	assert_int_equal(ldap_ext_response(p, sizeof p, &r), LDAP_EXT_NOT_RESPONSE);
}

/* Change one byte of slapd's success; the answer's verdict. */
static enum ldap_ext_rc edited(size_t at, uint8_t v, struct ldap_ext_response *r)
{
	uint8_t p[sizeof slapd_ok];
	memcpy(p, slapd_ok, sizeof p);
	p[at] = v;
	return ldap_ext_response(p, sizeof p, r);
}

static void test_response_bad(void **state)
{
	(void)state;
	struct ldap_ext_response r;

	/* Not a SEQUENCE: the tag is kept for the message. */
	assert_int_equal(edited(0, 0x31, &r), LDAP_EXT_NOT_MESSAGE);
	assert_int_equal(r.tag, 0x31);
	/* SearchResultDone instead of ExtendedResponse */
	assert_int_equal(edited(5, 0x65, &r), LDAP_EXT_NOT_RESPONSE);
	/* resultCode as INTEGER */
	assert_int_equal(edited(7, BER_INTEGER, &r), LDAP_EXT_NOT_RESPONSE);
	/* messageID as OCTET STRING: decodes, id unknown */
	assert_int_equal(edited(2, BER_OCTET_STRING, &r), LDAP_EXT_OK);
	assert_int_equal(r.msgid, -1);
	/* lengths past their parent: message, messageID, op, resultCode */
	assert_int_equal(edited(1, 0x0d, &r), LDAP_EXT_NOT_RESPONSE);
	assert_int_equal(edited(3, 0x04, &r), LDAP_EXT_NOT_RESPONSE);
	assert_int_equal(edited(6, 0x08, &r), LDAP_EXT_NOT_RESPONSE);
	assert_int_equal(edited(8, 0x06, &r), LDAP_EXT_NOT_RESPONSE);
	assert_int_equal(edited(13, 0x01, &r), LDAP_EXT_NOT_RESPONSE);
	/* a shorter length leaves the element's parent with trailing bytes */
	assert_int_equal(edited(1, 0x0b, &r), LDAP_EXT_NOT_RESPONSE);
	/* indefinite and 5-byte length forms inside */
	assert_int_equal(edited(6, 0x80, &r), LDAP_EXT_NOT_RESPONSE);
	assert_int_equal(edited(8, 0x85, &r), LDAP_EXT_NOT_RESPONSE);
	/* an empty resultCode, and one of 5 bytes */
	struct buf b;
	struct wr w;
	buf_init(&b, 64);
	wr_init(&w, &b);
	size_t m = ber_open(&w, BER_SEQUENCE);
	ber_put_uint(&w, BER_INTEGER, 1);
	size_t o = ber_open(&w, LDAP_OP_EXTENDED_RESPONSE);
	ber_put(&w, BER_ENUMERATED, "\0\0\0\0\0", 5);
	ber_put(&w, BER_OCTET_STRING, "", 0);
	ber_put(&w, BER_OCTET_STRING, "", 0);
	ber_close(&w, o);
	ber_close(&w, m);
	assert_false(wr_failed(&w));
	assert_int_equal(ldap_ext_response(b.data, b.len, &r), LDAP_EXT_NOT_RESPONSE);
	b.data[8] = 0; /* the ENUMERATED's length */
	b.data[1] -= 5;
	b.data[6] -= 5;
	memmove(b.data + 9, b.data + 14, b.len - 14);
	b.len -= 5;
	assert_int_equal(ldap_ext_response(b.data, b.len, &r), LDAP_EXT_NOT_RESPONSE);
	buf_free(&b);
}

static void test_ber_uint(void **state)
{
	(void)state;
	struct rd v;
	static const uint8_t four[] = {0xff, 0xff, 0xff, 0xff};
	rd_init(&v, four, sizeof four);
	assert_int_equal(ber_uint(&v), 4294967295L);
	assert_true(rd_done(&v));
	rd_init(&v, four, 0);
	assert_int_equal(ber_uint(&v), -1);
	assert_true(rd_failed(&v));
}

static void test_writers(void **state)
{
	(void)state;
	struct buf b;

	buf_init(&b, 256);
	assert_int_equal(ldap_starttls_request(&b, 1), 0);
	assert_int_equal(b.len, sizeof starttls_req);
	assert_memory_equal(b.data, starttls_req, sizeof starttls_req);
	buf_reset(&b);
	assert_int_equal(ldap_unbind_request(&b, 2), 0);
	assert_int_equal(b.len, sizeof unbind_req);
	assert_memory_equal(b.data, unbind_req, sizeof unbind_req);
	/* Ids with the top bit set get a leading zero byte. */
	buf_reset(&b);
	assert_int_equal(ldap_unbind_request(&b, 128), 0);
	static const uint8_t id128[] = {0x30, 0x06, 0x02, 0x02, 0x00, 0x80, 0x42, 0x00};
	assert_int_equal(b.len, sizeof id128);
	assert_memory_equal(b.data, id128, sizeof id128);
	buf_reset(&b);
	assert_int_equal(ldap_unbind_request(&b, 0x80000000u), 0);
	static const uint8_t idtop[] = {0x30, 0x09, 0x02, 0x05, 0x00, 0x80,
	                                0x00, 0x00, 0x00, 0x42, 0x00};
	assert_memory_equal(b.data, idtop, sizeof idtop);
	buf_free(&b);
	/* Too small a buffer: an error, never a cut message. */
	for (size_t cap = 0; cap < sizeof starttls_req; cap++) {
		buf_init(&b, cap);
		assert_int_equal(ldap_starttls_request(&b, 1), -1);
		buf_free(&b);
	}
}

/* Short form only: 127 bytes of content fit, 128 do not. */
static void test_ber_short_form(void **state)
{
	(void)state;
	uint8_t content[128];
	struct buf b;
	struct wr w;

	memset(content, 'a', sizeof content);
	buf_init(&b, 512);
	wr_init(&w, &b);
	ber_put(&w, BER_OCTET_STRING, content, 127);
	assert_false(wr_failed(&w));
	assert_int_equal(b.data[1], 127);
	ber_put(&w, BER_OCTET_STRING, content, 128);
	assert_true(wr_failed(&w));
	buf_free(&b);
	/* And what is written reads back. */
	buf_init(&b, 512);
	wr_init(&w, &b);
	ber_put(&w, BER_OCTET_STRING, content, 100);
	struct rd r, v;
	uint8_t tag;
	rd_init(&r, b.data, b.len);
	ber_read(&r, &tag, &v);
	assert_int_equal(tag, BER_OCTET_STRING);
	assert_int_equal(rd_left(&v), 100);
	assert_true(rd_done(&r));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size),
	    cmocka_unit_test(test_response_slapd),
	    cmocka_unit_test(test_response_long4),
	    cmocka_unit_test(test_response_notice),
	    cmocka_unit_test(test_response_tail),
	    cmocka_unit_test(test_response_truncated),
	    cmocka_unit_test(test_response_trailing),
	    cmocka_unit_test(test_response_bad),
	    cmocka_unit_test(test_ber_uint),
	    cmocka_unit_test(test_writers),
	    cmocka_unit_test(test_ber_short_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
