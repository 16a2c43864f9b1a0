/* mysql_wire.h - MySQL/MariaDB client/server protocol bytes, without
 * sockets: the packet header, the server's first packet (Handshake v10 or
 * an ERR packet) and the client's SSLRequest. Integers are little-endian.
 * References: MySQL's "Client/Server Protocol" pages (Protocol::Packet,
 * Protocol::HandshakeV10, Protocol::SSLRequest, ERR_Packet). */
#ifndef MAILTLS_MYSQL_WIRE_H
#define MAILTLS_MYSQL_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/compiler.h"

#define MYSQL_CLIENT_LONG_PASSWORD 0x00000001u
#define MYSQL_CLIENT_PROTOCOL_41 0x00000200u
#define MYSQL_CLIENT_SSL 0x00000800u
#define MYSQL_CLIENT_SECURE_CONNECTION 0x00008000u
#define MYSQL_CLIENT_PLUGIN_AUTH 0x00080000u

/* utf8mb4_general_ci */
#define MYSQL_CHARSET_UTF8MB4 45

/* One packet: a 3-byte payload length and a sequence id, then the payload. */
struct mysql_packet {
	const uint8_t *payload; /* inside the input */
	size_t len;             /* payload length */
	uint8_t seq;
	size_t total; /* header and payload: what to consume */
};

/* 1 when the n bytes at p start with a whole packet (pk filled), 0 when
 * more bytes are needed. */
int mysql_packet(const uint8_t *p, size_t n, struct mysql_packet *pk) WUR;

/* The server's first packet. */
struct mysql_greeting {
	/* ERR_Packet (first byte 0xff): set by that byte alone, so a caller
	 * can report a refusal whose body is cut short (code 0, no message). */
	int is_err;
	uint16_t err_code;
	const uint8_t *err_msg; /* the rest: "#" SQL state and message */
	size_t err_len;
	/* Handshake v10 */
	uint8_t protocol;       /* 10 */
	const uint8_t *version; /* server_version, without its NUL */
	size_t version_len;
	uint32_t conn_id;
	uint32_t caps; /* capability_flags_1; with flags_2 when has_more */
	/* The part after capability_flags_1 ("if more data in the packet")
	 * decoded exactly: character set, status, capability_flags_2,
	 * auth-plugin-data part 2 and the plugin's name. */
	int has_more;
	uint8_t charset;
	uint16_t status;
	const uint8_t *plugin; /* auth_plugin_name, without its NUL */
	size_t plugin_len;
};

/* The payload of the server's first packet. 0 for a Handshake v10 whose
 * head (up to capability_flags_1) decodes, or for an ERR packet with its
 * code; -1 otherwise (g->is_err may still be set). A tail that does not
 * decode leaves has_more 0: the dialogue needs the head only, and
 * servers before 4.1 end there. */
int mysql_greeting(const uint8_t *p, size_t n, struct mysql_greeting *g) WUR;

/* Append a whole SSLRequest packet (sequence id 1): capabilities, max
 * packet size, character set, 23 reserved zero bytes. 0, or -1 when out
 * does not take it. */
int mysql_ssl_request(struct buf *out, uint32_t caps, uint32_t max_packet, uint8_t charset) WUR;

#endif
