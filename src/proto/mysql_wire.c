/* mysql_wire.c - MySQL/MariaDB protocol bytes through the checked cursor. */
#include "proto/mysql_wire.h"

#include <string.h>
#include "core/rd.h"
#include "core/wr.h"

#define MYSQL_HDR_LEN 4
#define MYSQL_ERR 0xff
#define MYSQL_PROTOCOL_10 10
#define MYSQL_SCRAMBLE1_LEN 8
#define MYSQL_SCRAMBLE2_MIN 13
#define MYSQL_RESERVED_LEN 10
#define MYSQL_SSLREQ_RESERVED 23
#define MYSQL_SSLREQ_SEQ 1

/* core/rd and core/wr are big-endian (TLS); MySQL is little-endian. */
static uint32_t rd_le(struct rd *r, size_t n)
{
	const uint8_t *b = rd_ptr(r, n);
	uint32_t v = 0;

	if (b == NULL)
		return 0;
	while (n-- > 0)
		v = (v << 8) | b[n];
	return v;
}

static void wr_le(struct wr *w, uint32_t v, size_t n)
{
	uint8_t b[4];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	wr_bytes(w, b, n);
}

/* string[NUL]: a view of the bytes up to the NUL, the NUL consumed. With
 * no NUL the reader fails, unless `or_rest` takes a non-empty rest as the
 * string (servers before 5.5.10 sent the plugin name without one). */
static void rd_cstr(struct rd *r, int or_rest, const uint8_t **s, size_t *len)
{
	struct rd t = *r;
	size_t left = rd_left(&t);
	const uint8_t *rest = rd_ptr(&t, left);
	const uint8_t *nul = rest ? memchr(rest, 0, left) : NULL;

	*len = nul ? (size_t)(nul - rest) : left;
	*s = rd_ptr(r, *len);
	if (nul || !or_rest || *len == 0)
		rd_skip(r, 1);
}

int mysql_packet(const uint8_t *p, size_t n, struct mysql_packet *pk)
{
	struct rd r;

	memset(pk, 0, sizeof(*pk));
	rd_init(&r, p, n);
	pk->len = rd_le(&r, 3);
	rd_u8(&r, &pk->seq);
	pk->payload = rd_ptr(&r, pk->len);
	if (rd_failed(&r))
		return 0;
	pk->total = MYSQL_HDR_LEN + pk->len;
	return 1;
}

/* ERR_Packet: error code, then the rest (SQL state and message). */
static int greeting_err(struct rd *r, struct mysql_greeting *g)
{
	g->is_err = 1;
	g->err_code = (uint16_t)rd_le(r, 2);
	g->err_len = rd_left(r);
	g->err_msg = rd_ptr(r, g->err_len);
	return rd_failed(r) ? -1 : 0;
}

/* After capability_flags_1, all or nothing. */
static void greeting_more(struct rd *r, struct mysql_greeting *g)
{
	struct mysql_greeting m = *g;
	uint8_t auth_len;
	size_t scramble2;

	rd_u8(r, &m.charset);
	m.status = (uint16_t)rd_le(r, 2);
	m.caps |= rd_le(r, 2) << 16;
	rd_u8(r, &auth_len);
	rd_skip(r, MYSQL_RESERVED_LEN);
	/* auth-plugin-data part 2: $len = MAX(13, length - 8) */
	if (m.caps & MYSQL_CLIENT_SECURE_CONNECTION) {
		scramble2 = auth_len > MYSQL_SCRAMBLE1_LEN + MYSQL_SCRAMBLE2_MIN
		                ? (size_t)auth_len - MYSQL_SCRAMBLE1_LEN
		                : MYSQL_SCRAMBLE2_MIN;
		rd_skip(r, scramble2);
	}
	if (m.caps & MYSQL_CLIENT_PLUGIN_AUTH)
		rd_cstr(r, 1, &m.plugin, &m.plugin_len);
	if (!rd_done(r))
		return;
	m.has_more = 1;
	*g = m;
}

int mysql_greeting(const uint8_t *p, size_t n, struct mysql_greeting *g)
{
	struct rd r;

	memset(g, 0, sizeof(*g));
	rd_init(&r, p, n);
	rd_u8(&r, &g->protocol);
	if (!rd_failed(&r) && g->protocol == MYSQL_ERR)
		return greeting_err(&r, g);
	rd_cstr(&r, 0, &g->version, &g->version_len);
	g->conn_id = rd_le(&r, 4);
	rd_skip(&r, MYSQL_SCRAMBLE1_LEN); /* auth-plugin-data part 1 */
	rd_skip(&r, 1);                   /* filler */
	g->caps = rd_le(&r, 2);
	if (rd_failed(&r) || g->protocol != MYSQL_PROTOCOL_10)
		return -1;
	if (rd_left(&r) > 0)
		greeting_more(&r, g);
	return 0;
}

int mysql_ssl_request(struct buf *out, uint32_t caps, uint32_t max_packet, uint8_t charset)
{
	static const uint8_t reserved[MYSQL_SSLREQ_RESERVED];
	struct buf body;
	struct wr w;
	int rc;

	/* The payload first, so its length is known when the header goes out. */
	buf_init(&body, 64);
	wr_init(&w, &body);
	wr_le(&w, caps, 4);
	wr_le(&w, max_packet, 4);
	wr_u8(&w, charset);
	wr_bytes(&w, reserved, sizeof reserved);
	rc = wr_failed(&w) ? -1 : 0;
	if (rc == 0) {
		wr_init(&w, out);
		wr_le(&w, (uint32_t)body.len, 3);
		wr_u8(&w, MYSQL_SSLREQ_SEQ);
		wr_bytes(&w, body.data, body.len);
		rc = wr_failed(&w) ? -1 : 0;
	}
	buf_free(&body);
	return rc;
}
