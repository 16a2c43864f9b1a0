/* fuzz_mysql.c - proto/mysql_wire on hostile bytes: the packet header, then
 * the server's first packet (Handshake v10 or ERR) read from its payload and
 * from the whole input. What decodes must point inside the input: the
 * version runs up to its NUL, the ERR message to the end, the plugin name
 * to the end or its NUL. The SSLRequest writer, given flags from the
 * input, frames as one packet of sequence 1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mysql_wire.h"

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

static void check_greeting(const uint8_t *data, size_t size)
{
	struct mysql_greeting g;
	int rc = mysql_greeting(data, size, &g);

	if (g.is_err) {
		CHECK(size >= 1 && data[0] == 0xff);
		if (rc < 0) {
			CHECK(size < 3 && g.err_code == 0 && g.err_len == 0);
			return;
		}
		CHECK(inside(g.err_msg, g.err_len, data, size));
		CHECK(g.err_msg + g.err_len == data + size);
		CHECK(g.err_code == (uint16_t)(data[1] | data[2] << 8));
		return;
	}
	if (rc < 0)
		return;
	CHECK(g.protocol == 10 && data[0] == 10);
	CHECK(g.version == data + 1);
	CHECK(inside(g.version, g.version_len + 1, data, size));
	CHECK(memchr(g.version, 0, g.version_len) == NULL);
	CHECK(g.version[g.version_len] == 0);
	if (!g.has_more) {
		CHECK(g.caps <= 0xffff && g.plugin == NULL && g.charset == 0);
		return;
	}
	if (g.caps & MYSQL_CLIENT_PLUGIN_AUTH) {
		CHECK(inside(g.plugin, g.plugin_len, data, size));
		CHECK(g.plugin_len > 0 || g.plugin[0] == 0);
		/* the name ends the packet, with or without its NUL */
		CHECK(g.plugin + g.plugin_len == data + size ||
		      g.plugin + g.plugin_len + 1 == data + size);
	} else {
		CHECK(g.plugin == NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mysql_packet pk;
	struct buf b;

	if (mysql_packet(data, size, &pk) == 1) {
		CHECK(pk.total == pk.len + 4 && pk.total <= size);
		CHECK(pk.payload == data + 4);
		check_greeting(pk.payload, pk.len);
	}
	check_greeting(data, size);

	if (size >= 9) {
		uint32_t caps, max;
		memcpy(&caps, data, 4);
		memcpy(&max, data + 4, 4);
		buf_init(&b, 64);
		CHECK(mysql_ssl_request(&b, caps, max, data[8]) == 0);
		CHECK(b.len == 36);
		CHECK(mysql_packet(b.data, b.len, &pk) == 1);
		CHECK(pk.seq == 1 && pk.total == b.len);
		buf_free(&b);
	}
	return 0;
}
