/* fuzz_serve_cmd.c - hostile client bytes into the serve SMTP state machine
 * (serve/smtpd), in chunks, with STARTTLS taken as done when it is asked
 * for. Besides memory safety it checks what must hold whatever the input:
 * every answer is a well-formed reply line of printable ASCII (the server
 * never echoes peer text), the limits hold, and the session record renders
 * to a terminal line without control characters and to a JSON line.
 *
 * The first input byte picks the profile: bit 0 STARTTLS offered, bit 1
 * --require-tls, bit 2 short lines (100), bits 4-7 the chunk size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "serve/sessrec.h"
#include "serve/smtpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_replies(const struct buf *out)
{
	size_t i = 0;
	while (i < out->len) {
		const uint8_t *p = out->data + i;
		const uint8_t *nl = memchr(p, '\n', out->len - i);
		if (!nl)
			abort(); /* every reply ends in CRLF */
		size_t n = (size_t)(nl - p);
		if (n < 4 || p[n - 1] != '\r')
			abort();
		if (p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
		    p[2] > '9' || (p[3] != ' ' && p[3] != '-'))
			abort();
		for (size_t k = 0; k + 1 < n; k++)
			if (p[k] < 0x20 || p[k] > 0x7e)
				abort();
		i += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t prof = data[0];
	data++;
	size--;
	struct smtpd_cfg cfg = {
		.hostname = "fuzz.test",
		.max_size = 4096,
		.max_line = (prof & 4) ? 100 : 1000,
		.max_rcpt = 5,
		.max_errors = 50,
		.starttls = prof & 1,
		.require_tls = (prof & 3) == 3,
	};
	size_t chunk = (size_t)(prof >> 4) * 7 + 1;
	struct srec rec;
	struct buf in, out;

	srec_init(&rec, 1);
	rec.mode = "starttls";
	buf_init(&in, 1 << 20);
	buf_init(&out, 1 << 22);
	struct smtpd *s = smtpd_new(&cfg, &rec);
	if (smtpd_greet(s, &out) != 0)
		abort();

	int tls = 0;
	for (size_t off = 0; off < size;) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (buf_append(&in, data + off, n) != 0)
			break;
		off += n;
		int act = smtpd_feed(s, &in, &out);
		if (act < 0)
			break;
		/* Input is consumed up to a partial line at most. */
		if (act == SMTPD_MORE && in.len >= cfg.max_line)
			abort();
		if (act == SMTPD_START_TLS) {
			if (!cfg.starttls || tls || in.len != 0)
				abort();
			tls = 1;
			smtpd_tls_started(s, "TLSv1.3", "TLS_AES_256_GCM_SHA384");
		} else if (act == SMTPD_CLOSE) {
			if (smtpd_state(s) != SD_CLOSING || !smtpd_end_reason(s))
				abort();
			break;
		}
	}
	check_replies(&out);
	if (rec.nmsgs > SREC_MAX_MSGS || rec.errors > cfg.max_errors)
		abort();
	for (size_t i = 0; i < rec.nmsgs; i++) {
		if (rec.msgs[i].nrcpts > cfg.max_rcpt)
			abort();
		if (rec.msgs[i].accepted && rec.msgs[i].size > cfg.max_size)
			abort();
		if (cfg.require_tls && !rec.msgs[i].tls)
			abort(); /* no transaction before STARTTLS */
	}

	struct buf line;
	buf_init(&line, 1 << 24);
	if (srec_text(&rec, &line) != 0)
		abort();
	/* No C0 control, DEL or C1 control (UTF-8 C2 80..C2 9F) reaches the
	 * terminal. */
	for (size_t i = 0; i < line.len; i++)
		if (line.data[i] < 0x20 || line.data[i] == 0x7f ||
		    (line.data[i] == 0xc2 && i + 1 < line.len && line.data[i + 1] >= 0x80 &&
		     line.data[i + 1] <= 0x9f))
			abort();
	buf_reset(&line);
	if (srec_json(&rec, &line) != 0 || memchr(line.data, '\n', line.len))
		abort();

	buf_free(&line);
	smtpd_free(s);
	srec_free(&rec);
	buf_free(&in);
	buf_free(&out);
	return 0;
}
