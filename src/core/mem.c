/* mem.c - allocation that aborts on exhaustion (STYLE.md rule 7). */
#include "mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No recovery is attempted: every caller would only print and exit, and
 * doing it here keeps the fallible paths for errors a peer can cause. */
static void oom(size_t n)
{
	fprintf(stderr, "mailtls: out of memory (%zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	/* malloc(0) may return NULL, which must not read as exhaustion. */
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p;

	if (count == 0 || size == 0)
		count = size = 1;
	p = calloc(count, size);
	if (p == NULL)
		oom(size > 0 && count > SIZE_MAX / size ? SIZE_MAX : count * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = xmalloc(len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void *xvec_push(void *arr_ptr, size_t *n, size_t *cap, size_t elsize)
{
	void *arr;
	uint8_t *el;

	/* arr_ptr is really a T **; going through memcpy instead of a void **
	 * cast keeps the access free of aliasing assumptions. */
	memcpy(&arr, arr_ptr, sizeof(arr));
	if (*n >= *cap) {
		/* Doubling keeps pushes amortised O(1); 4 avoids a string of
		 * tiny reallocations for the usual short lists. */
		size_t ncap = *cap ? *cap : 4;

		while (ncap <= *n || ncap == *cap) {
			if (ncap > SIZE_MAX / 2)
				oom(SIZE_MAX);
			ncap *= 2;
		}
		if (elsize != 0 && ncap > SIZE_MAX / elsize)
			oom(SIZE_MAX);
		arr = xrealloc(arr, ncap * elsize);
		memcpy(arr_ptr, &arr, sizeof(arr));
		*cap = ncap;
	}
	el = (uint8_t *)arr + *n * elsize;
	memset(el, 0, elsize);
	(*n)++;
	return el;
}
