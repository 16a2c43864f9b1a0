/* fuzz_server_hello.c - msg_server_hello on a hostile ServerHello body.
 * Whatever decodes must be consistent: a session id of at most 32 bytes,
 * extension types unique and in order, the negotiated version from
 * supported_versions when present, HelloRetryRequest exactly when the
 * random is RFC 8446's magic value, and a decoded message never decodes
 * again with a byte more (rd_done: no trailing bytes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/hello.h"
#include "tls/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_hello sh;
	size_t head;

	if (msg_server_hello(data, size, &sh) < 0)
		return 0;
	CHECK(size >= 38);
	CHECK(sh.session_id_len <= 32 && sh.session_id_len == data[34]);
	head = 35 + (size_t)sh.session_id_len + 3;
	CHECK(size >= head);
	CHECK(sh.legacy_version == (uint16_t)((data[0] << 8) | data[1]));
	CHECK(memcmp(sh.random, data + 2, 32) == 0);
	CHECK(sh.cipher == (uint16_t)((data[head - 3] << 8) | data[head - 2]));
	CHECK(sh.compression == data[head - 1]);
	CHECK(sh.has_extensions == (size > head));
	if (sh.has_extensions)
		CHECK(size - head - 2 == (size_t)((data[head] << 8) | data[head + 1]));
	CHECK(sh.nexts <= MSG_MAX_EXTS);
	for (size_t i = 0; i < sh.nexts; i++)
		for (size_t k = i + 1; k < sh.nexts; k++)
			CHECK(sh.exts[i] != sh.exts[k]);
	CHECK(sh.hrr == (memcmp(sh.random, hrr_random, 32) == 0));
	CHECK(sh.version == (sh.selected_version ? sh.selected_version : sh.legacy_version));
	CHECK(sh.downgrade == 0 || sh.downgrade == 11 || sh.downgrade == 12);
	CHECK(sh.reneg_info >= 0 && sh.reneg_info <= 2);

	/* one byte more is a trailing byte, wherever the message ended */
	{
		uint8_t *more = malloc(size + 1);
		struct server_hello sh2;
		CHECK(more != NULL);
		memcpy(more, data, size);
		more[size] = 0;
		/* with an extension block it is trailing; without one it
		 * starts a block whose 2-byte length cannot be read */
		CHECK(msg_server_hello(more, size + 1, &sh2) < 0);
		free(more);
	}
	return 0;
}
