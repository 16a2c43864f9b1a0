/* test_xmpp.c - proto/xmpp_wire: the stream features (Prosody 0.12's with
 * STARTTLS optional and PLAIN offered, and with STARTTLS required), SASL
 * mechanisms, a stream error and the answer to <starttls/>. Failure cases:
 * every truncation (more bytes needed, never a wrong answer), bytes after
 * the element (left for the next step), STARTTLS without its namespace,
 * <required/> outside <starttls>, mechanism names unterminated or too
 * long. */
#include "testutil.h"

#include "proto/xmpp_wire.h"

/* Prosody 0.12 (Debian 12), c2s, allow_unencrypted_plain_auth, after our
 * stream header. */
static const char prosody_plain[] =
    "<?xml version='1.0'?><stream:stream xml:lang='en' xmlns='jabber:client' "
    "from='localhost' id='aa1d0c2d-7949-4a88-9dd7-123684525635' version='1.0' "
    "xmlns:stream='http://etherx.jabber.org/streams'><stream:features><starttls "
    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><mechanisms "
    "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</"
    "mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
/* c2s_require_encryption */
static const char prosody_required[] =
    "<?xml version='1.0'?><stream:stream xml:lang='en' version='1.0' "
    "id='cc8217ce-0082-480b-9377-68bde7dcaeaf' from='localhost' xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams'><stream:features><starttls "
    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";
/* Its answer to <starttls/>. */
static const char prosody_proceed[] = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";

/* Every mechanism of the features, space-separated, into out. */
static void mechanisms(const char *p, const struct xmpp_features *f, char *out, size_t cap)
{
	size_t pos = 0, len, used = 0;
	const char *m;

	out[0] = 0;
	while (xmpp_next_mechanism(p, f->len, &pos, &m, &len)) {
		int k = snprintf(out + used, cap - used, "%s%.*s", used ? " " : "", (int)len, m);
		assert_true(k > 0 && (size_t)k < cap - used);
		used += (size_t)k;
	}
}

static void test_features_prosody(void **state)
{
	(void)state;
	struct xmpp_features f;
	char mechs[128];

	assert_int_equal(xmpp_features(LIT(prosody_plain), &f), 1);
	assert_int_equal(f.len, strlen(prosody_plain));
	assert_true(f.starttls);
	assert_false(f.required);
	mechanisms(prosody_plain, &f, mechs, sizeof mechs);
	assert_string_equal(mechs, "SCRAM-SHA-1 PLAIN");

	assert_int_equal(xmpp_features(LIT(prosody_required), &f), 1);
	assert_int_equal(f.len, strlen(prosody_required));
	assert_true(f.starttls);
	assert_true(f.required);
	mechanisms(prosody_required, &f, mechs, sizeof mechs);
	assert_string_equal(mechs, "");
}

static void test_features_truncated(void **state)
{
	(void)state;
	struct xmpp_features f;

	for (size_t i = 0; i < strlen(prosody_plain); i++) {
		assert_int_equal(xmpp_features(prosody_plain, i, &f), 0);
		assert_int_equal(f.len, 0);
	}
	for (size_t i = 0; i < strlen(prosody_required); i++)
		assert_int_equal(xmpp_features(prosody_required, i, &f), 0);
	assert_int_equal(xmpp_features(NULL, 0, &f), 0);
}

/* What follows the features is the next step's: not consumed, and no
 * STARTTLS or mechanism is taken from it. */
static void test_features_trailing(void **state)
{
	(void)state;
	static const char in[] = "<stream:features></stream:features>"
	                         "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
	                         "<mechanism>PLAIN</mechanism>";
	struct xmpp_features f;
	char mechs[64];

	assert_int_equal(xmpp_features(LIT(in), &f), 1);
	assert_int_equal(f.len, strlen("<stream:features></stream:features>"));
	assert_false(f.starttls);
	mechanisms(in, &f, mechs, sizeof mechs);
	assert_string_equal(mechs, "");
}

static void test_features_forms(void **state)
{
	(void)state;
	struct xmpp_features f;
	static const char empty[] = "<stream:stream><stream:features/>";
	static const char no_ns[] = "<stream:features><starttls/></stream:features>";
	static const char req_out[] = "<stream:features><starttls xmlns='" XMPP_NS_TLS
	                              "'></starttls><required/></stream:features>";
	static const char unclosed[] =
	    "<stream:features><starttls xmlns='" XMPP_NS_TLS "'><required/></stream:features>";

	assert_int_equal(xmpp_features(LIT(empty), &f), 1);
	assert_int_equal(f.len, strlen(empty));
	assert_false(f.starttls);
	/* <starttls/> of no namespace is not XMPP's */
	assert_int_equal(xmpp_features(LIT(no_ns), &f), 1);
	assert_false(f.starttls);
	/* <required/> counts inside <starttls> only */
	assert_int_equal(xmpp_features(LIT(req_out), &f), 1);
	assert_true(f.starttls);
	assert_false(f.required);
	assert_int_equal(xmpp_features(LIT(unclosed), &f), 1);
	assert_true(f.starttls);
	assert_false(f.required);
}

static void test_mechanisms_bounds(void **state)
{
	(void)state;
	char in[256], mechs[256];
	struct xmpp_features f = {0};
	char name[XMPP_MECH_MAX + 2];

	/* XMPP_MECH_MAX bytes are taken, one more stops the list. */
	memset(name, 'A', sizeof name);
	name[XMPP_MECH_MAX] = 0;
	snprintf(in, sizeof in, "<mechanism>%s</mechanism><mechanism>X</mechanism>", name);
	f.len = strlen(in);
	mechanisms(in, &f, mechs, sizeof mechs);
	assert_int_equal(strlen(mechs), XMPP_MECH_MAX + 2);
	name[XMPP_MECH_MAX] = 'A';
	name[XMPP_MECH_MAX + 1] = 0;
	snprintf(in, sizeof in, "<mechanism>%s</mechanism><mechanism>X</mechanism>", name);
	f.len = strlen(in);
	mechanisms(in, &f, mechs, sizeof mechs);
	assert_string_equal(mechs, "");
	/* no end tag: none */
	snprintf(in, sizeof in, "<mechanism>PLAIN</mechanism><mechanism>LOGIN");
	f.len = strlen(in);
	mechanisms(in, &f, mechs, sizeof mechs);
	assert_string_equal(mechs, "PLAIN");
	/* an end tag past the window does not count */
	snprintf(in, sizeof in, "<mechanism>PLAIN</mechanism>");
	f.len = strlen(in) - 1;
	mechanisms(in, &f, mechs, sizeof mechs);
	assert_string_equal(mechs, "");
	/* a start tag inside a name: both are read, as before */
	snprintf(in, sizeof in, "<mechanism>A<mechanism>B</mechanism>");
	f.len = strlen(in);
	mechanisms(in, &f, mechs, sizeof mechs);
	assert_string_equal(mechs, "A<mechanism>B B");
	/* a position past the end finds nothing */
	size_t pos = f.len + 1, len;
	const char *m;
	assert_int_equal(xmpp_next_mechanism(in, f.len, &pos, &m, &len), 0);
	assert_null(m);
}

static void test_stream_error(void **state)
{
	(void)state;
	static const char in[] =
	    "<stream:stream><stream:error><host-unknown "
	    "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>";
	const char *start = strstr(in, "<stream:error");
	const char *end = strstr(in, "</stream:error>") + strlen("</stream:error>");
	struct xmpp_span e;

	assert_int_equal(xmpp_stream_error(LIT(in), &e), XMPP_WHOLE);
	assert_ptr_equal(e.text, start);
	assert_int_equal(e.len, (size_t)(end - start));
	assert_int_equal(e.consumed, (size_t)(end - in));
	for (size_t i = 0; i < (size_t)(end - in); i++) {
		enum xmpp_found want =
		    i < (size_t)(start - in) + strlen("<stream:error") ? XMPP_NONE : XMPP_PARTIAL;
		assert_int_equal(xmpp_stream_error(in, i, &e), want);
		assert_int_equal(e.consumed, 0);
	}
	assert_int_equal(xmpp_stream_error(LIT(prosody_plain), &e), XMPP_NONE);
	assert_int_equal(xmpp_stream_error(NULL, 0, &e), XMPP_NONE);
}

static void test_starttls_answer(void **state)
{
	(void)state;
	size_t used;
	char in[128];

	assert_int_equal(xmpp_starttls_answer(LIT(prosody_proceed), &used), XMPP_ANSWER_PROCEED);
	assert_int_equal(used, strlen(prosody_proceed));
	for (size_t i = 0; i < strlen(prosody_proceed); i++) {
		enum xmpp_answer want =
		    i < strlen("<proceed") ? XMPP_ANSWER_NONE : XMPP_ANSWER_PARTIAL;
		assert_int_equal(xmpp_starttls_answer(prosody_proceed, i, &used), want);
		assert_int_equal(used, 0);
	}
	/* Bytes after the '>' stay: the engine reports them (STYLE.md 9). */
	snprintf(in, sizeof in, "%s<message/>", prosody_proceed);
	assert_int_equal(xmpp_starttls_answer(in, strlen(in), &used), XMPP_ANSWER_PROCEED);
	assert_int_equal(used, strlen(prosody_proceed));
	/* A failure takes everything. */
	static const char fail[] = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
	assert_int_equal(xmpp_starttls_answer(LIT(fail), &used), XMPP_ANSWER_FAILURE);
	assert_int_equal(used, strlen(fail));
	assert_int_equal(xmpp_starttls_answer(fail, 7, &used), XMPP_ANSWER_NONE);
	assert_int_equal(xmpp_starttls_answer(NULL, 0, &used), XMPP_ANSWER_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_features_prosody),  cmocka_unit_test(test_features_truncated),
	    cmocka_unit_test(test_features_trailing), cmocka_unit_test(test_features_forms),
	    cmocka_unit_test(test_mechanisms_bounds), cmocka_unit_test(test_stream_error),
	    cmocka_unit_test(test_starttls_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
