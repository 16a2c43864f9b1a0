/* vp_fallback.h - the decisions of the TLS_FALLBACK_SCSV (RFC 7507) and
 * Ticketbleed (CVE-2016-9244) probes of scan/vp_fallback.c, pure: the
 * server's bytes or the facts read from them in, a verdict out, so they are
 * unit-tested without a network. */
#ifndef MAILTLS_VP_FALLBACK_H
#define MAILTLS_VP_FALLBACK_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "model/vuln.h"
#include "tls/rawhs.h"
#include "tls/record.h"

/* The version a client falls back to from the server's best (wire values):
 * one below (TLS 1.3 -> TLS 1.2, ..., TLS 1.0 -> SSLv3); 0 when there is
 * none (SSLv3, or not a version). */
uint16_t vp_fallback_version(uint16_t best);

/* The server's best is `best`; a hello of version `sent` with
 * TLS_FALLBACK_SCSV got the raw engine's result r (NULL when no answer was
 * read); failure says why the connection ended early (NULL: it did not). */
void vp_fallback_judge(struct vuln *v, uint16_t best, uint16_t sent, const struct raw_result *r,
                       const char *failure);

/* Feed the raw engine one byte at a time: it consumes whole records only,
 * so the outcome is looked at after each record and a ServerHello is never
 * lost to what follows it in a later record (bytes we do not decode).
 * pend holds the bytes of an incomplete record; what was used is consumed
 * from in. Returns the outcome so far. */
enum raw_outcome vp_feed_records(struct rawhs *h, struct buf *pend, struct buf *in);

/* Ticketbleed: what came back to a resumption hello. */
enum tb_next {
	TB_NEXT_NONE,      /* nothing after the ServerHello (yet) */
	TB_NEXT_CCS,       /* ChangeCipherSpec: the session was resumed */
	TB_NEXT_HANDSHAKE, /* Certificate...: a full handshake */
	TB_NEXT_ALERT,
};

struct tb_answer {
	enum raw_outcome outcome; /* RAW_PENDING until a ServerHello, an alert, bad bytes */
	uint8_t alert_desc;
	uint16_t version;
	uint8_t sid[32];
	size_t sid_len;
	enum tb_next next;
	int warnings;
	char why[160]; /* RAW_BAD */
};

/* Read the answer from the bytes in `in` (consumed as used): 1 once it is
 * decided (a ServerHello and what follows it, an alert, bad bytes), 0 for
 * more bytes. */
int vp_tb_feed(struct tb_answer *a, struct rec_reader *rec, struct buf *in);

/* We sent the session ID sid (sid_len bytes, fewer than 32) and a ticket
 * of ticket_len bytes; a is what came back (outcome RAW_PENDING when
 * nothing decided), failure why the connection ended early (NULL: it did
 * not). Leaked bytes go to v->leak (terminal only). */
void vp_ticketbleed_judge(struct vuln *v, const uint8_t *sid, size_t sid_len, size_t ticket_len,
                          const struct tb_answer *a, const char *failure);

struct vscan;
/* The resumption check got no ticket to try (scan/tlsaux.c): Ticketbleed
 * is not-applicable (no tickets) or unknown (no TLS 1.2 handshake), with
 * the reason. */
void vp_ticketbleed_none(struct vscan *vs, enum vuln_verdict verdict, const char *reason);

#endif
