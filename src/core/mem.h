/* mem.h - allocation that aborts on exhaustion: a CLI gains nothing by
 * unwinding out-of-memory (STYLE.md rule 7). */
#ifndef MAILTLS_MEM_H
#define MAILTLS_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *arr (of elements of size elsize) so that index *n fits, bump *n and
 * return a pointer to the new zeroed element. */
void *xvec_push(void *arr_ptr, size_t *n, size_t *cap, size_t elsize);

#endif
