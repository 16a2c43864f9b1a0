/* fuzz_ske.c - msg_server_key_exchange on a hostile body, read every way a
 * suite can ask for (ECDHE, DHE, RSA export; signed or anonymous; with or
 * without the TLS 1.2 SignatureAndHashAlgorithm). What decodes must account
 * for every byte: the lengths it reports add up to the message size, and
 * DHE's pointers lie inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return p != NULL && p >= data && n <= size && p + n <= data + size;
}

static volatile uint8_t sink;

/* One reading of the message; what decodes must add up to its size. */
static void check_one(const uint8_t *data, size_t size, enum ske_kind kind, int anon, int tls12)
{
	struct server_key_exchange s;
	size_t sig;

	if (msg_server_key_exchange(data, size, kind, anon, tls12, &s) < 0)
		return;
	CHECK(s.kind == kind);
	CHECK(s.signed_ == !anon);
	sig = anon ? 0 : (size_t)(tls12 ? 2 : 0) + 2 + s.sig_len;
	if (anon)
		CHECK(s.sig_len == 0 && s.sigalg == 0);
	if (!tls12)
		CHECK(s.sigalg == 0);
	switch (kind) {
	case SKE_ECDHE:
		CHECK(s.curve_type == 3);
		CHECK(s.point_len >= 1 && s.point_len <= 255);
		CHECK(s.curve == (uint16_t)((data[1] << 8) | data[2]));
		CHECK(4 + s.point_len + sig == size);
		break;
	case SKE_DHE:
		CHECK(s.dh_p_len >= 1 && s.dh_g_len >= 1 && s.dh_ys_len >= 1);
		CHECK(inside(s.dh_p, s.dh_p_len, data, size));
		CHECK(inside(s.dh_g, s.dh_g_len, data, size));
		CHECK(s.dh_p == data + 2);
		CHECK(s.dh_g == s.dh_p + s.dh_p_len + 2);
		sink = s.dh_p[s.dh_p_len - 1];
		sink = s.dh_g[s.dh_g_len - 1];
		CHECK(6 + s.dh_p_len + s.dh_g_len + s.dh_ys_len + sig == size);
		break;
	case SKE_RSA:
		/* the exponent's length is not reported: at least 1 byte */
		CHECK(s.rsa_mod_len >= 1);
		CHECK(4 + s.rsa_mod_len + 1 + sig <= size);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ske_kind kinds[] = {SKE_ECDHE, SKE_DHE, SKE_RSA};

	/* 3 kinds x anonymous or signed x TLS 1.2 or before */
	for (unsigned i = 0; i < 12; i++)
		check_one(data, size, kinds[i / 4], (i >> 1) & 1, i & 1);
	return 0;
}
