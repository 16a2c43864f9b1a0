/* util.c - helpers shared by the protocol files. */
#include "proto/util.h"

#include <string.h>
#include <strings.h>

int word_is(const char *text, const char *w, const char *after)
{
	size_t n = strlen(w);
	if (strncasecmp(text, w, n) != 0)
		return 0;
	return text[n] == '\0' || text[n] == ' ' || (after && strchr(after, text[n]));
}

int has_token(const char *text, const char *w)
{
	size_t n = strlen(w);
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len == n && strncasecmp(p, w, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

const char *find_bytes(const char *p, size_t n, const char *w)
{
	size_t m = strlen(w);
	if (m == 0 || n < m)
		return NULL;
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(p + i, w, m) == 0)
			return p + i;
	return NULL;
}
