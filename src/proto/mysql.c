/* mysql.c - MySQL/MariaDB TLS: the server's Handshake v10 packet, whose
 * capability flags tell CLIENT_SSL; the client's SSLRequest packet; then
 * TLS at once (no answer comes in between). The bytes are
 * proto/mysql_wire's. */
#include <stdio.h>
#include <string.h>
#include "proto/dialog.h"
#include "proto/mysql_wire.h"

enum my_state { MY_HANDSHAKE, MY_DONE };
static const char *const my_states[] = {"handshake", "done"};

/* What the version looks like in the transcript and the capabilities. */
#define MY_VERSION_SHOWN 60
#define MY_MESSAGE_SHOWN 200
/* max_packet_size in the SSLRequest: 16 MiB */
#define MY_MAX_PACKET 0x01000000u

static enum dlg_step my_begin(struct dlg *d)
{
	dlg_set_state(d, MY_HANDSHAKE);
	return DLG_WAIT;
}

/* SSLRequest: what a 4.1 client with TLS announces before the handshake. */
static enum dlg_step my_send_ssl_request(struct dlg *d)
{
	const uint32_t caps = MYSQL_CLIENT_LONG_PASSWORD | MYSQL_CLIENT_PROTOCOL_41 |
	                      MYSQL_CLIENT_SSL | MYSQL_CLIENT_SECURE_CONNECTION;
	struct buf req;
	enum dlg_step step = DLG_START_TLS;

	buf_init(&req, 64);
	if (mysql_ssl_request(&req, caps, MY_MAX_PACKET, MYSQL_CHARSET_UTF8MB4) < 0)
		step = dlg_fail(d, ERR_INTERNAL, "the SSLRequest does not fit its buffer");
	else if (dlg_send_raw(d, req.data, req.len, "SSLRequest") < 0)
		step = DLG_FAIL;
	buf_free(&req);
	return step;
}

static enum dlg_step my_input(struct dlg *d)
{
	struct buf *in = dlg_input_buf(d);
	struct dialogue *g = &dlg_ep(d)->dlg;
	struct mysql_packet pk;
	struct mysql_greeting hs;
	char version[64], text[96];

	if (dlg_state(d) != MY_HANDSHAKE || !mysql_packet(in->data, in->len, &pk))
		return DLG_WAIT;
	int rc = mysql_greeting(pk.payload, pk.len, &hs);
	if (hs.is_err)
		return dlg_fail(
		    d, ERR_PROTOCOL, "the server refused: error %u %.*s", (unsigned)hs.err_code,
		    (int)(hs.err_len > MY_MESSAGE_SHOWN ? MY_MESSAGE_SHOWN : hs.err_len),
		    hs.err_msg ? (const char *)hs.err_msg : "");
	if (rc < 0)
		return dlg_fail(d, ERR_PROTOCOL, "not a MySQL handshake v10 packet");
	snprintf(version, sizeof version, "%.*s",
	         (int)(hs.version_len > MY_VERSION_SHOWN ? MY_VERSION_SHOWN : hs.version_len),
	         (const char *)hs.version);

	snprintf(text, sizeof text, "Handshake v10, server %s", version);
	dlg_note_recv(d, text, strlen(text), NULL);
	str_set(&g->greeting, text);
	g->greeting_ms = dlg_ms(d);
	g->hello_code = 1;
	buf_consume(in, pk.total);
	snprintf(text, sizeof text, "version %s", version);
	dlg_add_cap(d, text);
	if (!(hs.caps & MYSQL_CLIENT_SSL)) {
		dlg_starttls_answer(d, 0, 0, "no CLIENT_SSL capability");
		return DLG_DONE;
	}
	dlg_add_cap(d, "CLIENT_SSL");
	g->starttls_advertised = 1;
	g->starttls_sent = 1;

	enum dlg_step step = my_send_ssl_request(d);
	if (step != DLG_START_TLS)
		return step;
	dlg_starttls_answer(d, 1, 0, "CLIENT_SSL");
	dlg_set_state(d, MY_DONE);
	dlg_note_pending(d);
	return DLG_START_TLS;
}

const struct dlg_proto mysql_proto = {
	.name = "mysql",
	.state_names = my_states,
	.begin = my_begin,
	.on_input = my_input,
	.ports = {3306},
	.enable_tls = "Give the server ssl_cert and ssl_key (MariaDB/MySQL [mysqld] section).",
};
