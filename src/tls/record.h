/* record.h - what a server sends back to a raw ClientHello: TLS records
 * across TCP segments, handshake messages across records (reassembly
 * capped at 64 KiB), alerts, and SSLv2 records. Every byte is untrusted. */
#ifndef MAILTLS_RECORD_H
#define MAILTLS_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/compiler.h"

#define REC_MAX_HANDSHAKE (64 * 1024)

enum rec_kind { REC_HANDSHAKE = 1, REC_ALERT, REC_CCS, REC_APPDATA, REC_SSLV2 };

struct rec_msg {
	enum rec_kind kind;
	uint16_t record_version; /* of the record that completed the message */
	uint8_t hs_type;         /* REC_HANDSHAKE */
	const uint8_t *body;     /* handshake body, alert (2 bytes), SSLv2 msg */
	size_t len;
};

struct rec_reader {
	int sslv2;       /* the hello was SSLv2: accept SSLv2 framing */
	struct buf hs;   /* handshake bytes not yet handed out */
	size_t hs_used;  /* bytes of hs handed out by the last call */
	uint8_t small[2];
	uint16_t first_version; /* version of the first record, 0 before */
	uint16_t last_version;  /* of the latest handshake record */
	char why[160];   /* on error */
};

void rec_init(struct rec_reader *r, int sslv2);
void rec_free(struct rec_reader *r);
/* The next message from the bytes in `in` (complete records are consumed
 * from it). 1: *m is valid until the next call; 0: need more bytes; -1: the
 * bytes are not TLS or break its framing (why says how). */
int rec_next(struct rec_reader *r, struct buf *in, struct rec_msg *m) WUR;

#endif
