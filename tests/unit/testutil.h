/* testutil.h - small helpers shared by the unit tests: the cmocka include
 * block, filling a struct buf from a literal, capturing a FILE's output. */
#ifndef MAILTLS_TESTUTIL_H
#define MAILTLS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/compiler.h"

/* String literals may hold NULs, so their length comes from sizeof. */
#define LIT(s) (s), (sizeof(s) - 1)

/* Append n bytes to b; a test buffer is sized so this cannot fail. */
static inline void tu_buf_add(struct buf *b, const void *p, size_t n)
{
	assert_int_equal(buf_append(b, p, n), 0);
}

/* 1 when needle occurs in the n bytes at hay. */
static inline int tu_contains(const void *hay, size_t n, const void *needle, size_t m)
{
	return memmem(hay, n, needle, m) != NULL;
}

/* An in-memory FILE; tu_capture_end closes it and hands back the bytes. */
struct tu_capture {
	FILE *f;
	char *data;
	size_t len;
};

static inline void tu_capture_begin(struct tu_capture *c)
{
	c->data = NULL;
	c->len = 0;
	c->f = open_memstream(&c->data, &c->len);
	assert_non_null(c->f);
}

static inline void tu_capture_end(struct tu_capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	c->f = NULL;
	assert_non_null(c->data);
}

#endif
