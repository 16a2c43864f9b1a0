/* mysql.c - MySQL/MariaDB TLS: the server's Handshake v10 packet, whose
 * capability flags tell CLIENT_SSL; the client's SSLRequest packet; then
 * TLS at once (no answer comes in between). */
#include <stdio.h>
#include <string.h>
#include "core/rd.h"
#include "proto/dialog.h"

enum my_state { MY_HANDSHAKE, MY_DONE };
static const char *const my_states[] = {"handshake", "done"};

#define CLIENT_LONG_PASSWORD 0x00000001u
#define CLIENT_PROTOCOL_41 0x00000200u
#define CLIENT_SSL 0x00000800u
#define CLIENT_SECURE_CONNECTION 0x00008000u

static enum dlg_step my_begin(struct dlg *d)
{
	dlg_set_state(d, MY_HANDSHAKE);
	return DLG_WAIT;
}

static enum dlg_step my_input(struct dlg *d)
{
	struct buf *in = dlg_input_buf(d);
	struct dialogue *g = &dlg_ep(d)->dlg;
	if (dlg_state(d) != MY_HANDSHAKE || in->len < 4)
		return DLG_WAIT;
	size_t len = in->data[0] | (size_t)in->data[1] << 8 | (size_t)in->data[2] << 16;
	if (in->len < 4 + len)
		return DLG_WAIT;

	struct rd r;
	uint8_t proto, filler;
	uint16_t caps_lo;
	uint32_t conn_id;
	char version[64] = "";
	rd_init(&r, in->data + 4, len);
	rd_u8(&r, &proto);
	if (proto == 0xff) {
		uint16_t code;
		rd_u16(&r, &code);
		size_t n = rd_left(&r);
		return dlg_fail(d, ERR_PROTOCOL, "the server refused: error %u %.*s",
				(unsigned)((code >> 8) | (code << 8 & 0xff00)),
				(int)(n > 200 ? 200 : n), (const char *)rd_ptr(&r, n));
	}
	/* server_version: a NUL-terminated string */
	size_t vlen = 0;
	while (vlen < rd_left(&r) && r.p[vlen] != 0)
		vlen++;
	snprintf(version, sizeof version, "%.*s", (int)(vlen > 60 ? 60 : vlen), (const char *)r.p);
	rd_skip(&r, vlen + 1);
	rd_u32(&r, &conn_id);
	rd_skip(&r, 8); /* auth-plugin-data part 1 */
	rd_u8(&r, &filler);
	rd_u16(&r, &caps_lo);
	if (rd_failed(&r) || proto != 10)
		return dlg_fail(d, ERR_PROTOCOL, "not a MySQL handshake v10 packet");
	caps_lo = (uint16_t)((caps_lo >> 8) | (caps_lo << 8)); /* little-endian */

	char text[96];
	snprintf(text, sizeof text, "Handshake v10, server %s", version);
	dlg_note_recv(d, text, strlen(text), NULL);
	str_set(&g->greeting, text);
	g->greeting_ms = dlg_ms(d);
	g->hello_code = 1;
	buf_consume(in, 4 + len);
	snprintf(text, sizeof text, "version %s", version);
	dlg_add_cap(d, text);
	if (!(caps_lo & CLIENT_SSL)) {
		dlg_starttls_answer(d, 0, 0, "no CLIENT_SSL capability");
		return DLG_DONE;
	}
	dlg_add_cap(d, "CLIENT_SSL");
	g->starttls_advertised = 1;
	g->starttls_sent = 1;

	/* SSLRequest: length 32, sequence 1, capabilities, max packet,
	 * charset utf8mb4, 23 reserved bytes. */
	uint8_t req[36] = {32, 0, 0, 1};
	uint32_t caps = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL |
			CLIENT_SECURE_CONNECTION;
	for (int i = 0; i < 4; i++)
		req[4 + i] = (uint8_t)(caps >> (8 * i));
	req[10] = 0; /* max packet 16 MiB: 0x01000000 little-endian */
	req[11] = 1;
	req[12] = 45;
	if (dlg_send_raw(d, req, sizeof req, "SSLRequest") < 0)
		return DLG_FAIL;
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
