/* postgres.c - PostgreSQL SSLRequest (protocol 3, "SSL Session
 * Encryption"): 8 bytes, one byte back: 'S' go, 'N' no. Anything after
 * the 'S' before the handshake is the CVE-2021-23214 class of injection. */
#include <stdio.h>
#include <string.h>
#include "proto/dialog.h"

enum pg_state { PG_ANSWER, PG_DONE };
static const char *const pg_states[] = {"answer", "done"};

static enum dlg_step pg_begin(struct dlg *d)
{
	/* Int32 length 8, Int32 80877103 */
	static const uint8_t req[] = {0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f};
	dlg_set_state(d, PG_ANSWER);
	dlg_ep(d)->dlg.starttls_sent = 1;
	return dlg_send_raw(d, req, sizeof req, "SSLRequest") < 0 ? DLG_FAIL : DLG_WAIT;
}

static enum dlg_step pg_input(struct dlg *d)
{
	struct buf *in = dlg_input_buf(d);
	struct dialogue *g = &dlg_ep(d)->dlg;
	if (in->len == 0 || dlg_state(d) != PG_ANSWER)
		return DLG_WAIT;
	uint8_t a = in->data[0];
	g->greeting_ms = dlg_ms(d);
	g->hello_code = 1;
	if (a == 'S' || a == 'N') {
		char what[2] = {(char)a, 0};
		dlg_note_recv(d, what, 1, NULL);
		buf_consume(in, 1);
		g->starttls_advertised = a == 'S';
		dlg_starttls_answer(d, a == 'S', 0, what);
		dlg_set_state(d, PG_DONE);
		if (a == 'N')
			return DLG_DONE;
		dlg_note_pending(d);
		return DLG_START_TLS;
	}
	if (a == 'E') /* servers before 7.0 answer an error message */
		return dlg_fail(d, ERR_PROTOCOL, "the server answered the SSLRequest with an error");
	return dlg_fail(d, ERR_PROTOCOL, "unexpected answer 0x%02X to the SSLRequest", a);
}

const struct dlg_proto postgres_proto = {
	.name = "postgres",
	.state_names = pg_states,
	.begin = pg_begin,
	.on_input = pg_input,
	.ports = {5432},
	.enable_tls = "Set ssl = on with ssl_cert_file and ssl_key_file in postgresql.conf.",
};
