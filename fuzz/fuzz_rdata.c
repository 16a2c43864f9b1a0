/* fuzz_rdata.c - the DNS record data readers (domain/rdata.h) on hostile
 * answer bytes: MX, TXT and TLSA rdata, and the hex decoder on the input
 * as a string. Never read or write past a buffer; every output is a C
 * string; a parsed MX name is a lower-case host name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "domain/rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c == '.';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[RDATA_NAME_MAX];
	int pref, usage, selector, mtype;
	size_t len;
	char *s, *hex = NULL;

	/* Not NUL: a name left unterminated shows, whatever the stack held. */
	memset(name, 'X', sizeof name);
	if (mx_rdata_parse(data, size, &pref, name) == 0) {
		if (!memchr(name, '\0', sizeof name) || pref < 0 || pref > 65535)
			abort();
		for (const char *p = name; *p; p++)
			if (!host_char(*p))
				abort();
	} else if (!memchr(name, '\0', sizeof name)) {
		abort(); /* the caller stores and prints the name even then */
	}

	s = txt_rdata_join(data, size, &len);
	if (s) {
		if (len > size || s[len] != '\0')
			abort();
		free(s);
	}

	if (tlsa_rdata_parse(data, size, &usage, &selector, &mtype, &hex) == 0) {
		if (strlen(hex) != 2 * (size - 3) || usage > 255 || selector > 255 || mtype > 255)
			abort();
		/* the hex goes back to the bytes */
		uint8_t *back = malloc(size - 3 + 1);
		if (!back || hex_decode(hex, back, size - 3) != (long)(size - 3) ||
		    memcmp(back, data + 3, size - 3) != 0)
			abort();
		free(back);
		free(hex);
	} else if (size >= 4) {
		abort();
	}

	/* The input as a string: hex_decode into an exact-size buffer. */
	char *str = malloc(size + 1);
	if (!str)
		abort();
	memcpy(str, data, size);
	str[size] = '\0';
	size_t max = size / 3; /* some inputs fit, longer ones are over max */
	uint8_t *out = malloc(max ? max : 1);
	if (!out)
		abort();
	long n = hex_decode(str, out, max);
	if (n < -1 || n > (long)max)
		abort();
	free(out);
	free(str);
	return 0;
}
