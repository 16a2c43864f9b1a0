/* rdata.h - the record data mailtls reads from DNS answers, in wire format
 * as libunbound hands it over (names uncompressed): MX, TXT, TLSA. Bytes
 * in, facts out; every byte is hostile. */
#ifndef MAILTLS_RDATA_H
#define MAILTLS_RDATA_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

#define RDATA_NAME_MAX 256 /* presentation form of a name, with the NUL */

/* MX: preference and exchange. The name comes out lower-case without the
 * trailing dot ("" for the root: a null MX, RFC 7505). Returns 0, or -1
 * when the rdata is malformed or the name is not a host name (letters,
 * digits, '-' and '_' in labels of 1..63): then `name` holds it with other
 * bytes shown as \DDD, for the report. */
int mx_rdata_parse(const uint8_t *p, size_t n, int *preference, char name[RDATA_NAME_MAX]) WUR;

/* TXT: the character strings joined (RFC 7208 3.3), into a NUL-terminated
 * copy the caller frees; *len the joined length (the bytes may hold NULs).
 * NULL when the rdata is malformed. */
char *txt_rdata_join(const uint8_t *p, size_t n, size_t *len);

/* TLSA (RFC 6698 2.1): usage, selector, matching type, data as lower-case
 * hex (caller frees). -1 when shorter than 4 bytes. */
int tlsa_rdata_parse(const uint8_t *p, size_t n, int *usage, int *selector, int *mtype,
		     char **hex) WUR;
/* Hex back to bytes: the count, or -1 when not even-length hex or over max. */
long hex_decode(const char *hex, uint8_t *out, size_t max);

#endif
