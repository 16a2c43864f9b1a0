/* fuzz_xmpp.c - proto/xmpp_wire on hostile bytes: the stream error, the
 * features and their SASL mechanisms, the answer to <starttls/>. What is
 * found must lie inside the input (mechanisms inside the features), end
 * with the tag it was found by, and what is to be consumed never runs past
 * the input; the mechanism walk always moves forward. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xmpp_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

/* The n bytes at p end with the string s. */
static int ends_with(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	return n >= k && memcmp(p + n - k, s, k) == 0;
}

static void check_features(const char *p, size_t n)
{
	struct xmpp_features f;
	size_t pos = 0, len, last = 0;
	const char *m;

	if (!xmpp_features(p, n, &f)) {
		CHECK(f.len == 0 && !f.starttls && !f.required);
		return;
	}
	CHECK(f.len <= n);
	CHECK(ends_with(p, f.len, "</stream:features>") ||
	      ends_with(p, f.len, "<stream:features/>"));
	CHECK(!f.required || f.starttls);
	if (f.starttls)
		CHECK(memmem(p, f.len, "<starttls", 9) != NULL);
	while (xmpp_next_mechanism(p, f.len, &pos, &m, &len)) {
		CHECK(len <= XMPP_MECH_MAX);
		CHECK(m >= p && m + len <= p + f.len);
		CHECK(pos > last && pos <= f.len && p + pos == m);
		CHECK(ends_with(p, pos, "<mechanism>"));
		CHECK((size_t)(m - p) + len + strlen("</mechanism>") <= f.len);
		CHECK(memcmp(m + len, "</mechanism>", strlen("</mechanism>")) == 0);
		last = pos;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct xmpp_span e;
	size_t used;

	switch (xmpp_stream_error(p, size, &e)) {
	case XMPP_WHOLE:
		CHECK(e.text >= p && e.consumed <= size);
		CHECK((size_t)(e.text - p) + e.len == e.consumed);
		CHECK(strncmp(e.text, "<stream:error", 13) == 0);
		CHECK(ends_with(p, e.consumed, "</stream:error>"));
		break;
	case XMPP_PARTIAL:
		CHECK(e.text != NULL && e.consumed == 0);
		break;
	case XMPP_NONE:
		CHECK(e.text == NULL && e.consumed == 0);
		break;
	}
	check_features(p, size);
	switch (xmpp_starttls_answer(p, size, &used)) {
	case XMPP_ANSWER_PROCEED:
		CHECK(used > 0 && used <= size && p[used - 1] == '>');
		CHECK(memmem(p, used, "<proceed", 8) != NULL);
		break;
	case XMPP_ANSWER_FAILURE:
		CHECK(used == size);
		break;
	case XMPP_ANSWER_PARTIAL:
	case XMPP_ANSWER_NONE:
		CHECK(used == 0);
		break;
	}
	return 0;
}
