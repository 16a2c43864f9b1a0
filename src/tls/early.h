/* early.h - records sent before the handshake completes, and the server's
 * answer to them: the Heartbleed probe (CVE-2014-0160: an over-long
 * heartbeat_request, RFC 6520) and the CCS injection probe (CVE-2014-0224:
 * a ChangeCipherSpec before any key exchange). Pure bytes in, verdicts out:
 * no sockets, unit-tested on their own. */
#ifndef MAILTLS_EARLY_H
#define MAILTLS_EARLY_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/compiler.h"
#include "tls/hello.h"

#define EXT_HEARTBEAT 15          /* RFC 6520 2 */
#define HB_PEER_ALLOWED_TO_SEND 1 /* HeartbeatMode */
#define EARLY_LEAK_KEEP 32        /* leaked bytes kept, at most */

/* A ClientHello as hello_build writes it, with the heartbeat extension
 * (mode peer_allowed_to_send) added as the last extension. */
int early_hello(struct buf *out, const struct hello_opts *o) WUR;

/* Re-frame the ClientHello record in rec[0..n) (one handshake record
 * holding exactly one ClientHello with an extension block, as
 * hello_build writes it) with one more extension at the end. -1 when rec is
 * not such a record or the result does not fit; out is then unchanged. */
int early_add_extension(const uint8_t *rec, size_t n, uint16_t type, const uint8_t *body,
                        size_t blen, struct buf *out) WUR;

/* A heartbeat_request record (content type 24) that claims `claimed`
 * payload bytes and carries the n bytes at payload, with no padding:
 * RFC 6520 4 says an over-long request MUST be discarded silently. */
int early_heartbeat(struct buf *out, uint16_t version, uint16_t claimed, const uint8_t *payload,
                    size_t n) WUR;
/* A ChangeCipherSpec record (RFC 5246 7.1): one byte, 1. */
int early_ccs(struct buf *out, uint16_t version) WUR;

/* What came back after the record we sent, records read as they complete.
 * Heartbeat messages (type 24) are counted, not kept: only the first
 * EARLY_LEAK_KEEP bytes past what we sent ourselves. */
struct early_reader {
	size_t sent;     /* bytes of our heartbeat message (3 + payload) */
	size_t hb_bytes; /* heartbeat bytes received, all records */
	size_t hb_records;
	uint8_t hb_type;               /* the first heartbeat message's type (2: response) */
	uint16_t hb_claimed;           /* ...and its payload_length, when it had 3 bytes */
	uint8_t leak[EARLY_LEAK_KEEP]; /* bytes past our message's length */
	size_t nleak;
	int alert; /* the first alert's description, -1 none */
	int alert_level;
	size_t other; /* records of another type (handshake, data, CCS) */
	int bad;      /* the bytes are not TLS records */
	char why[96];
};

/* sent: the length of the heartbeat message we sent (0 for the CCS probe). */
void early_init(struct early_reader *r, size_t sent);
/* Consume the complete records at the front of in. 0, or -1 when the bytes
 * are not TLS records (why says how; the reader stays failed). */
int early_feed(struct early_reader *r, struct buf *in) WUR;

/* What happened since the last look. */
enum early_ev {
	EARLY_DATA,  /* bytes were fed */
	EARLY_EOF,   /* the server closed (or reset) */
	EARLY_QUIET, /* the short wait passed without a byte */
};

enum early_hb {
	EHB_WAIT,   /* not decided: read on */
	EHB_LEAK,   /* more heartbeat bytes than we sent: vulnerable */
	EHB_ECHO,   /* a heartbeat answer no longer than our message */
	EHB_ALERT,  /* an alert (r->alert) */
	EHB_CLOSED, /* closed without a word */
	EHB_SILENT, /* discarded silently, as RFC 6520 4 requires */
	EHB_BAD,    /* not TLS */
};

/* Heartbleed: the verdict so far. A leak is a heartbeat answer claiming
 * more payload than we sent and bringing more bytes than our message; it
 * is complete once the whole claimed length came back (3 + its
 * payload_length), else judged at the close, an alert or the end of the
 * wait. */
enum early_hb early_heartbleed(const struct early_reader *r, enum early_ev ev);

enum early_ccs {
	ECCS_WAIT,       /* read on */
	ECCS_SECOND,     /* the early CCS was taken silently: send the second record */
	ECCS_VULNERABLE, /* bad_record_mac or decryption_failed after the second */
	ECCS_REJECTED,   /* the early CCS was refused: not vulnerable */
	ECCS_UNKNOWN,    /* anything else */
};

/* CCS injection: the next step, `second` saying whether the second record
 * went out. The rule is in early.c. */
enum early_ccs early_ccs_step(const struct early_reader *r, int second, enum early_ev ev);

#endif
