/* rdata.c - MX, TXT and TLSA record data from the wire. */
#include "domain/rdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "core/rd.h"

static int host_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int mx_rdata_parse(const uint8_t *p, size_t n, int *preference, char name[RDATA_NAME_MAX])
{
	struct rd r;
	uint16_t pref;
	size_t used = 0;
	int ok = 1;

	name[0] = '\0';
	rd_init(&r, p, n);
	rd_u16(&r, &pref);
	*preference = pref;
	for (;;) {
		uint8_t len;
		rd_u8(&r, &len);
		if (rd_failed(&r) || len > 63)
			return -1;
		if (len == 0)
			break;
		const uint8_t *label = rd_ptr(&r, len);
		if (!label)
			return -1;
		if (used && used < RDATA_NAME_MAX - 1) {
			name[used++] = '.';
			name[used] = '\0';
		}
		for (size_t i = 0; i < len; i++) {
			char tmp[5];
			uint8_t c = label[i];
			if (host_char(c)) {
				tmp[0] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
				tmp[1] = '\0';
			} else {
				snprintf(tmp, sizeof tmp, "\\%03u", c);
				ok = 0;
			}
			size_t tl = strlen(tmp);
			if (used + tl >= RDATA_NAME_MAX) {
				name[used] = '\0';
				return -1; /* longer than any legal name */
			}
			memcpy(name + used, tmp, tl);
			used += tl;
		}
		name[used] = '\0';
	}
	if (!rd_done(&r))
		return -1;
	return ok ? 0 : -1;
}

char *txt_rdata_join(const uint8_t *p, size_t n, size_t *len)
{
	struct rd r;
	char *out = xmalloc(n + 1);
	size_t used = 0;

	rd_init(&r, p, n);
	while (rd_left(&r) > 0) {
		uint8_t l;
		rd_u8(&r, &l);
		const uint8_t *s = rd_ptr(&r, l);
		if (!s) {
			free(out);
			return NULL;
		}
		memcpy(out + used, s, l);
		used += l;
	}
	out[used] = '\0';
	*len = used;
	return out;
}

int tlsa_rdata_parse(const uint8_t *p, size_t n, int *usage, int *selector, int *mtype,
		     char **hex)
{
	static const char digits[] = "0123456789abcdef";
	if (n < 4)
		return -1;
	*usage = p[0];
	*selector = p[1];
	*mtype = p[2];
	char *h = xmalloc(2 * (n - 3) + 1);
	for (size_t i = 3; i < n; i++) {
		h[2 * (i - 3)] = digits[p[i] >> 4];
		h[2 * (i - 3) + 1] = digits[p[i] & 15];
	}
	h[2 * (n - 3)] = '\0';
	*hex = h;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
				       : c >= 'A' && c <= 'F'   ? c - 'A' + 10
								: -1;
}

long hex_decode(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}
