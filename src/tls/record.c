/* record.c - TLS record layer (RFC 5246 6.2, RFC 8446 5.1) and SSLv2
 * record framing, read side only, no decryption. */
#include "tls/record.h"

#include <stdio.h>
#include <string.h>
#include "core/rd.h"

/* RFC 5246 6.2.1: 2^14 plus what compression and protection may add. */
#define REC_MAX_FRAGMENT (16384 + 2048)

void rec_init(struct rec_reader *r, int sslv2)
{
	memset(r, 0, sizeof(*r));
	r->sslv2 = sslv2;
	buf_init(&r->hs, REC_MAX_HANDSHAKE);
}

void rec_free(struct rec_reader *r)
{
	buf_free(&r->hs);
}

/* A complete handshake message at the front of hs? */
static int take_handshake(struct rec_reader *r, struct rec_msg *m, uint16_t version)
{
	struct rd rd;
	uint8_t type;
	uint32_t len;
	rd_init(&rd, r->hs.data, r->hs.len);
	rd_u8(&rd, &type);
	rd_u24(&rd, &len);
	if (rd_failed(&rd) || rd_left(&rd) < len)
		return 0;
	m->kind = REC_HANDSHAKE;
	m->hs_type = type;
	m->record_version = version;
	m->body = r->hs.data + 4;
	m->len = len;
	r->hs_used = 4 + len;
	return 1;
}

static int fail(struct rec_reader *r, const char *why)
{
	snprintf(r->why, sizeof r->why, "%s", why);
	return -1;
}

/* SSLv2 framing: 2-byte header (high bit set) or 3-byte header with
 * padding count. Returns as rec_next does. */
static int next_sslv2(struct rec_reader *r, struct buf *in, struct rec_msg *m)
{
	const uint8_t *p = in->data;
	size_t hdr, len;
	if (in->len < 2)
		return 0;
	if (p[0] & 0x80) {
		hdr = 2;
		len = ((size_t)(p[0] & 0x7f) << 8) | p[1];
	} else {
		hdr = 3;
		len = ((size_t)(p[0] & 0x3f) << 8) | p[1];
	}
	if (len == 0)
		return fail(r, "empty SSLv2 record");
	if (in->len < hdr || in->len < hdr + len)
		return 0;
	/* Copy out: the caller's buffer is consumed below. */
	buf_reset(&r->hs);
	if (buf_append(&r->hs, p + hdr, len) < 0)
		return fail(r, "SSLv2 record too large");
	buf_consume(in, hdr + len);
	m->kind = REC_SSLV2;
	m->record_version = 0x0002;
	m->hs_type = r->hs.data[0];
	m->body = r->hs.data;
	m->len = len;
	r->hs_used = len;
	return 1;
}

int rec_next(struct rec_reader *r, struct buf *in, struct rec_msg *m)
{
	if (r->hs_used) {
		buf_consume(&r->hs, r->hs_used);
		r->hs_used = 0;
	}
	for (;;) {
		if (take_handshake(r, m, r->last_version))
			return 1;
		if (in->len == 0)
			return 0;
		const uint8_t *p = in->data;
		int tlsish = p[0] >= 20 && p[0] <= 24;
		/* A server answering an SSLv2 hello speaks SSLv2 unless its
		 * bytes look like a TLS record (an alert, usually). */
		if (r->sslv2) {
			if (tlsish && in->len < 2)
				return 0;
			if (!(tlsish && p[1] == 3))
				return next_sslv2(r, in, m);
		}
		if (in->len < 5) {
			if (!tlsish)
				return fail(r, "not a TLS record");
			return 0;
		}
		struct rd rd;
		uint8_t type;
		uint16_t version, len;
		rd_init(&rd, p, in->len);
		rd_u8(&rd, &type);
		rd_u16(&rd, &version);
		rd_u16(&rd, &len);
		if (type < 20 || type > 24)
			return fail(r, "not a TLS record (unknown content type)");
		if ((version >> 8) != 3)
			return fail(r, "not a TLS record (version major is not 3)");
		if (len > REC_MAX_FRAGMENT)
			return fail(r, "TLS record longer than 2^14+2048 bytes");
		if (in->len < 5u + len)
			return 0;
		if (!r->first_version)
			r->first_version = version;
		r->last_version = version;
		const uint8_t *frag = p + 5;
		switch (type) {
		case 22:
			if (len == 0)
				return fail(r, "empty handshake record");
			if (buf_append(&r->hs, frag, len) < 0)
				return fail(r, "handshake messages exceed 64 KiB");
			buf_consume(in, 5u + len);
			continue;
		case 21:
			if (len != 2)
				return fail(r, "alert record is not 2 bytes");
			memcpy(r->small, frag, 2);
			m->kind = REC_ALERT;
			m->body = r->small;
			m->len = 2;
			break;
		case 20:
			m->kind = REC_CCS;
			m->body = NULL;
			m->len = len;
			break;
		default: /* 23 application data, 24 heartbeat: opaque to us */
			m->kind = REC_APPDATA;
			m->body = NULL;
			m->len = len;
			break;
		}
		/* RFC 8446 5.1: nothing may come between the fragments of a
		 * handshake message. */
		if (r->hs.len > 0)
			return fail(r, "record interleaved inside a handshake message");
		m->record_version = version;
		m->hs_type = 0;
		buf_consume(in, 5u + len);
		return 1;
	}
}
