/* fuzz_sslv2.c - SSLv2: the SERVER-HELLO parser on the input as one message,
 * and the SSLv2-mode record reader on the input as a byte stream, each
 * SSLv2 record's message given to the parser again. A decoded SERVER-HELLO
 * keeps at most 128 specs, and its fixed part, certificate, specs and
 * connection id fit in the message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/msg.h"
#include "tls/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void server_hello(const uint8_t *p, size_t n)
{
	struct sslv2_server_hello sh;
	uint16_t specs_len, conn_id_len;

	if (msg_sslv2_server_hello(p, n, &sh) < 0)
		return;
	CHECK(n >= 11 && p[0] == 4);
	specs_len = (uint16_t)((p[7] << 8) | p[8]);
	conn_id_len = (uint16_t)((p[9] << 8) | p[10]);
	CHECK(specs_len % 3 == 0);
	CHECK(conn_id_len >= 1 && conn_id_len <= 32);
	CHECK(sh.nspecs == (specs_len / 3u < 128 ? specs_len / 3u : 128));
	CHECK(sh.cert_len == (size_t)((p[5] << 8) | p[6]));
	CHECK(11 + sh.cert_len + specs_len + conn_id_len == n);
	for (size_t i = 0; i < sh.nspecs; i++) {
		const uint8_t *s = p + 11 + sh.cert_len + 3 * i;
		CHECK(sh.specs[i] == ((uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_reader r;
	struct rec_msg m;
	struct buf in;
	int rc;

	server_hello(data, size);

	rec_init(&r, 1);
	buf_init(&in, size + 1);
	CHECK(buf_append(&in, data, size) == 0);
	while ((rc = rec_next(&r, &in, &m)) == 1) {
		if (m.kind == REC_SSLV2) {
			CHECK(m.len >= 1 && m.body[0] == m.hs_type);
			server_hello(m.body, m.len);
		}
	}
	buf_free(&in);
	rec_free(&r);
	return 0;
}
