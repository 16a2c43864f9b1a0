/* json_read.h - the mailtls/1 JSON reader: a saved document (or its JSON
 * lines) back into the result model, so that it can be rendered again in
 * every format, stored and compared (docs/design.md "The JSON reader").
 *
 * The input is hostile: any bytes, any JSON. A field that is missing is
 * absent (an older mailtls/1 writer did not know it, and additive changes
 * keep the version); a field of the wrong type, a value out of range or an
 * unknown name in a closed set makes the whole document invalid, with the
 * field's path in the message. Peer strings are unescaped (the writer's
 * \xHH and doubled backslash, esc_utf8) so the model holds the bytes the
 * server sent, exactly as the scan did. */
#ifndef MAILTLS_JSON_READ_H
#define MAILTLS_JSON_READ_H

#include <stddef.h>
#include "core/compiler.h"
#include "core/err.h"
#include "model/result.h"

/* The largest document read (bytes): far above any real report. */
#define JSON_READ_MAX (64u * 1024 * 1024)
/* ...and the most memory its parse may take (many tiny values). */
#define JSON_READ_MEM (1024u * 1024 * 1024)

enum json_read_status {
	JR_OK,
	JR_NOT_JSON,    /* not JSON (nor JSON lines) at all */
	JR_NOT_MAILTLS, /* JSON, but not a mailtls document */
	JR_VERSION,     /* a mailtls document of another schema version */
	JR_INVALID,     /* mailtls/1, but a field is of the wrong type or range */
	JR_TOO_BIG,     /* over JSON_READ_MAX, or its parse over JSON_READ_MEM */
};

/* Read a mailtls/1 document, or mailtls/1 JSON lines (one endpoint or the
 * domain a line), from data[0..len). On success *out is a new result (with
 * tool_version set) and JR_OK is returned; otherwise *out is NULL and e says
 * why in one line (category ERR_PROTOCOL, ERR_LIMIT for JR_TOO_BIG). */
enum json_read_status json_read_result(const char *data, size_t len, struct result **out,
                                       struct err *e) WUR;

/* The memory cap of the parse, JSON_READ_MEM by default (0 restores it). */
void json_read_mem_limit(size_t bytes);

#endif
