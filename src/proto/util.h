/* util.h - small helpers shared by the protocol files. */
#ifndef MAILTLS_PROTO_UTIL_H
#define MAILTLS_PROTO_UTIL_H

#include <stddef.h>

/* Case-insensitive: does text start with the word w (followed by a space,
 * the end or one of the characters in `after`)? */
int word_is(const char *text, const char *w, const char *after);
/* Is w one of the space-separated tokens of text (case-insensitive)? */
int has_token(const char *text, const char *w);
/* Is w anywhere in the n bytes at p (case-sensitive)? */
const char *find_bytes(const char *p, size_t n, const char *w);

#endif
