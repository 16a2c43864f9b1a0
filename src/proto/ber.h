/* ber.h - the subset of BER (X.690) that LDAP uses (RFC 4511 5.1): one-byte
 * tags, definite lengths in short form or long form of 1..4 bytes (Active
 * Directory uses 4), read through the checked cursor; written in short
 * form, lengths by reservation. */
#ifndef MAILTLS_BER_H
#define MAILTLS_BER_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"
#include "core/rd.h"
#include "core/wr.h"

#define BER_SEQUENCE 0x30
#define BER_INTEGER 0x02
#define BER_OCTET_STRING 0x04
#define BER_ENUMERATED 0x0a
/* The longest content the short form can say. */
#define BER_SHORT_MAX 127

/* One element: its tag, then a sub-reader over exactly its value; r moves
 * past it. An indefinite or over-long length form, or a value past the
 * end of r, fails r (and val). */
void ber_read(struct rd *r, uint8_t *tag, struct rd *val);
/* An INTEGER or ENUMERATED value of 1..4 bytes, read unsigned (LDAP's
 * message ids and result codes are small and non-negative); -1, with v
 * failed, for an empty or longer value. Consumes v. */
long ber_uint(struct rd *v);
/* The size of the element at the start of the n bytes at p: 1 and *size
 * when all of it is there, 0 when more bytes are needed, -1 when it
 * cannot be one we read (length form, or a value longer than max). */
int ber_size(const uint8_t *p, size_t n, size_t max, size_t *size) WUR;

/* Write a tag and reserve a short-form length; returns the mark for
 * ber_close(). */
size_t ber_open(struct wr *w, uint8_t tag);
/* Fill the reserved length; fails w (sticky) past BER_SHORT_MAX bytes. */
void ber_close(struct wr *w, size_t mark);
/* A primitive element with the given content. */
void ber_put(struct wr *w, uint8_t tag, const void *p, size_t n);
/* An INTEGER-like element: v in the fewest bytes of two's complement. */
void ber_put_uint(struct wr *w, uint8_t tag, uint32_t v);

#endif
