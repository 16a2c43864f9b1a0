/* names.h - IANA names for the small registries that have no reference
 * listing in the project: TLS SignatureScheme values (RFC 8446 4.2.3, with
 * the TLS 1.2 hash/signature pairs of RFC 5246 7.4.1.4.1) and
 * ExtensionType values. Unknown values get "0xNNNN". */
#ifndef MAILTLS_NAMES_H
#define MAILTLS_NAMES_H

#include <stddef.h>
#include <stdint.h>

const char *sigalg_name(uint16_t code, char *buf, size_t n);
const char *ext_name(uint16_t code, char *buf, size_t n);

#endif
