/* fuzz_rawhs.c - one raw handshake on a hostile server's bytes, as the
 * scanner runs it (src/scan/hsprobe.c): feed until a call says more than
 * RAW_PENDING, then EOF. The facts must not depend on how the bytes were
 * cut (whole, byte by byte, in segments), every outcome must be settled by
 * EOF, and what is reported stays within its limits. The bytes also go
 * through a raw handshake that sent an SSLv2 hello. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/rawhs.h"
#include "tls/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

/* As src/scan/enumerate.c decides it. */
static int ske_kind(uint16_t suite, enum ske_kind *kind, int *anon)
{
	const struct reg_cipher *c = reg_cipher_find(suite, 0);
	if (!c || !c->kx || !c->au || strchr(c->kx, '/') || strstr(c->kx, "PSK"))
		return -1;
	*anon = strcmp(c->au, "None") == 0;
	if (strncmp(c->kx, "ECDH", 4) == 0 && strcmp(c->au, "ECDH") != 0)
		*kind = SKE_ECDHE;
	else if (strncmp(c->kx, "DH", 2) == 0 && strcmp(c->au, "DH") != 0)
		*kind = SKE_DHE;
	else if (strncmp(c->kx, "RSA(", 4) == 0)
		*kind = SKE_RSA;
	else
		return -1;
	return 0;
}

struct outcome {
	enum raw_outcome o;
	struct raw_result res;
	size_t left;
};

static void run(const struct raw_req *req, const uint8_t *data, size_t size, size_t step,
                struct outcome *out)
{
	struct rawhs *h = rawhs_new(req, ske_kind);
	struct buf in;
	size_t off = 0;
	enum raw_outcome o = RAW_PENDING;

	buf_init(&in, size + 1);
	if (step == 0)
		step = size ? size : 1;
	while (off < size) {
		size_t k = size - off < step ? size - off : step;
		CHECK(buf_append(&in, data + off, k) == 0);
		off += k;
		o = rawhs_feed(h, &in);
		if (o != RAW_PENDING)
			break;
	}
	out->left = in.len + (size - off);
	if (o == RAW_PENDING)
		o = rawhs_eof(h);
	CHECK(o != RAW_PENDING);
	CHECK(rawhs_eof(h) == o); /* settled stays settled */
	out->o = o;
	out->res = *rawhs_result(h);
	CHECK(out->res.outcome == o);
	if (o == RAW_BAD)
		CHECK(out->res.why[0] != '\0');
	CHECK(out->res.dh_p_len <= RAW_MAX_DH);
	if (out->res.dh_p_len)
		CHECK(out->res.have_ske && out->res.ske.kind == SKE_DHE &&
		      out->res.dh_p_len == out->res.ske.dh_p_len);
	CHECK(out->res.ske.dh_p == NULL && out->res.ske.dh_g == NULL);
	if (out->res.ncerts)
		CHECK(out->res.leaf_len >= 1);
	/* the flight ends with ServerHelloDone, a TLS 1.3 ServerHello or HRR,
	 * or an SSLv2 SERVER-HELLO: always a hello */
	if (out->res.done_msg)
		CHECK(o == RAW_HELLO);
	/* messages after the hello need the hello */
	if (out->res.ncerts || out->res.have_ske || out->res.ocsp_stapled || out->res.cert_request)
		CHECK(o == RAW_HELLO || o == RAW_BAD);
	buf_free(&in);
	rawhs_free(h);
}

static void same(const struct outcome *a, const struct outcome *b)
{
	CHECK(a->o == b->o);
	CHECK(a->left == b->left);
	CHECK(memcmp(&a->res.sh, &b->res.sh, sizeof a->res.sh) == 0);
	CHECK(memcmp(&a->res.v2, &b->res.v2, sizeof a->res.v2) == 0);
	CHECK(a->res.ncerts == b->res.ncerts && a->res.leaf_len == b->res.leaf_len);
	CHECK(a->res.have_ske == b->res.have_ske);
	CHECK(memcmp(&a->res.ske, &b->res.ske, sizeof a->res.ske) == 0);
	CHECK(a->res.dh_p_len == b->res.dh_p_len);
	CHECK(memcmp(a->res.dh_p, b->res.dh_p, a->res.dh_p_len) == 0);
	CHECK(a->res.ocsp_stapled == b->res.ocsp_stapled);
	CHECK(a->res.cert_request == b->res.cert_request);
	CHECK(a->res.done_msg == b->res.done_msg);
	CHECK(a->res.alert_level == b->res.alert_level);
	CHECK(a->res.alert_desc == b->res.alert_desc);
	CHECK(a->res.alert_after_hello == b->res.alert_after_hello);
}

static struct outcome whole, part;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t specs[] = {0x0700C0, 0x010080};
	struct raw_req tls = {.ho = {.version = V_TLS12}};
	struct raw_req v2 = {.sslv2 = 1, .v2specs = specs, .nv2specs = 2};

	if (size > 300000)
		return 0;
	run(&tls, data, size, 0, &whole);
	run(&tls, data, size, 1, &part);
	same(&whole, &part);
	run(&tls, data, size, size ? (size_t)data[0] % 29 + 2 : 1, &part);
	same(&whole, &part);

	run(&v2, data, size, 0, &whole);
	return 0;
}
