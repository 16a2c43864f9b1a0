/* esc.c - peer text is hostile: one escaping helper per output (STYLE.md 8).
 *
 * All four share one loop: decode strict UTF-8, ask the output's policy
 * what to do with each code point (or invalid byte), and copy runs of safe
 * bytes in one append. On a cap hit the output is restored to its length on
 * entry, like buf_append, so a caller never shows half an escape. */
#include "esc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

enum esc_act {
	ESC_PASS, /* copy the bytes */
	ESC_HEX,  /* \xHH for every byte */
	ESC_STR,  /* replace the whole sequence by a fixed string */
};

/* Policy: cp is the code point, or ESC_INVALID for one byte that does not
 * start a well-formed sequence. *rep is set for ESC_STR. */
#define ESC_INVALID UINT32_MAX
typedef enum esc_act (*esc_policy)(uint32_t cp, const char **rep);

#define U_FFFD "\xEF\xBF\xBD"

/* Decode one well-formed UTF-8 sequence (Unicode 15, table 3-7): returns
 * its length, or 0 when s does not start one. Overlongs, surrogates, values
 * past U+10FFFF and truncated sequences are all ill-formed, and so
 * invalid here: a lenient decoder is how "\xC0\xBC" turns into '<'. */
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xBF;
	size_t len, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xC2) /* continuation byte, or overlong 2-byte lead */
		return 0;
	if (c < 0xE0) {
		len = 2;
		v = c & 0x1F;
	} else if (c < 0xF0) {
		len = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* U+D800..U+DFFF */
	} else if (c < 0xF5) {
		len = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	v = (v << 6) | (s[1] & 0x3F);
	for (i = 2; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	*cp = v;
	return len;
}

/* C1 controls include CSI (U+009B), an ESC [ on many terminals. */
static int is_c1(uint32_t cp)
{
	return cp >= 0x80 && cp <= 0x9F;
}

/* Bidirectional formatting characters (UAX #9 section 2): they reorder
 * what is shown, the "Trojan Source" trick (CVE-2021-42574). */
static int is_bidi(uint32_t cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

static int esc_hex(struct buf *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char tmp[4] = {'\\', 'x', 0, 0};
	size_t i;

	for (i = 0; i < n; i++) {
		tmp[2] = hex[p[i] >> 4];
		tmp[3] = hex[p[i] & 0x0F];
		if (buf_append(out, tmp, sizeof(tmp)) != 0)
			return -1;
	}
	return 0;
}

static int esc_run(struct buf *out, const uint8_t *p, size_t n, esc_policy policy)
{
	size_t start = out->len, i = 0, run = 0;

	if (n == 0) /* s may then be NULL, and NULL + 0 is undefined */
		return 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);
		const char *rep = NULL;
		enum esc_act act;

		if (len == 0) {
			/* Resynchronise on the next byte: each byte of a broken
			 * sequence is reported on its own. */
			len = 1;
			cp = ESC_INVALID;
		}
		act = policy(cp, &rep);
		if (act == ESC_PASS) {
			i += len;
			continue;
		}
		if (buf_append(out, p + run, i - run) != 0)
			goto fail;
		if (act == ESC_HEX ? esc_hex(out, p + i, len) != 0 : buf_puts(out, rep) != 0)
			goto fail;
		i += len;
		run = i;
	}
	if (buf_append(out, p + run, i - run) != 0)
		goto fail;
	return 0;
fail:
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return -1;
}

static enum esc_act term_policy(uint32_t cp, const char **rep)
{
	switch (cp) {
	case '\\':
		*rep = "\\\\";
		return ESC_STR;
	case '\t':
		*rep = "\\t";
		return ESC_STR;
	case '\r':
		*rep = "\\r";
		return ESC_STR;
	case '\n':
		*rep = "\\n";
		return ESC_STR;
	}
	if (cp == ESC_INVALID || cp < 0x20 || cp == 0x7F || is_c1(cp) || is_bidi(cp))
		return ESC_HEX;
	return ESC_PASS;
}

int esc_term(struct buf *out, const void *s, size_t n)
{
	return esc_run(out, s, n, term_policy);
}

/* JSON strings: jansson would carry controls as \u escapes, but a consumer
 * that prints a decoded string (jq -r) would then hand them to a terminal.
 * So what would make the text invalid UTF-8, cut a C string or act on a
 * terminal (controls but tab and newline, DEL, C1, bidi controls) becomes
 * the text \xHH, as on the terminal; the backslash is doubled, so the
 * mapping stays reversible. */
static enum esc_act utf8_policy(uint32_t cp, const char **rep)
{
	if (cp == '\\') {
		*rep = "\\\\";
		return ESC_STR;
	}
	if (cp == '\t' || cp == '\n')
		return ESC_PASS;
	if (cp == ESC_INVALID || cp < 0x20 || cp == 0x7F || is_c1(cp) || is_bidi(cp))
		return ESC_HEX;
	return ESC_PASS;
}

int esc_utf8(struct buf *out, const void *s, size_t n)
{
	return esc_run(out, s, n, utf8_policy);
}

static enum esc_act html_policy(uint32_t cp, const char **rep)
{
	switch (cp) {
	case '&':
		*rep = "&amp;";
		return ESC_STR;
	case '<':
		*rep = "&lt;";
		return ESC_STR;
	case '>':
		*rep = "&gt;";
		return ESC_STR;
	case '"':
		*rep = "&quot;";
		return ESC_STR;
	case '\'':
		*rep = "&#39;";
		return ESC_STR;
	case '\t':
	case '\n':
		return ESC_PASS;
	}
	/* HTML 5 section 13.2.3.5: controls are parse errors; U+FFFD shows
	 * the reader that something was there. Bidi controls would reorder
	 * what the page shows (Trojan Source). */
	if (cp == ESC_INVALID || cp < 0x20 || cp == 0x7F || is_c1(cp) || is_bidi(cp)) {
		*rep = U_FFFD;
		return ESC_STR;
	}
	return ESC_PASS;
}

int esc_html(struct buf *out, const void *s, size_t n)
{
	return esc_run(out, s, n, html_policy);
}

static enum esc_act csv_policy(uint32_t cp, const char **rep)
{
	if (cp == '"') {
		*rep = "\"\"";
		return ESC_STR;
	}
	if (cp == ESC_INVALID || is_bidi(cp)) {
		*rep = U_FFFD;
		return ESC_STR;
	}
	/* A CR or LF inside a quoted field is legal RFC 4180 but breaks
	 * line-oriented tools (grep, wc -l); a space keeps the words apart. */
	if ((cp < 0x20 && cp != '\t') || cp == 0x7F || is_c1(cp)) {
		*rep = " ";
		return ESC_STR;
	}
	return ESC_PASS;
}

int esc_csv(struct buf *out, const void *s, size_t n)
{
	const uint8_t *p = s;
	size_t start = out->len;
	/* OWASP "CSV injection": these first characters make Excel and
	 * LibreOffice evaluate the cell, e.g. =HYPERLINK(...). */
	static const char lead[] = {'=', '+', '-', '@', '\t', '\r'};
	int formula = n > 0 && memchr(lead, p[0], sizeof(lead)) != NULL;

	if (buf_putc(out, '"') != 0)
		return -1;
	if ((formula && buf_putc(out, '\'') != 0) || esc_run(out, p, n, csv_policy) != 0 ||
	    buf_putc(out, '"') != 0) {
		out->len = start;
		out->data[start] = '\0';
		return -1;
	}
	return 0;
}

char *esc_term_dup(const char *s)
{
	struct buf b;
	size_t n;

	if (s == NULL)
		s = "";
	n = strlen(s);
	/* \xHH is the longest escape, so 4n always fits: no cap to hit. */
	buf_init(&b, n < SIZE_MAX / 4 ? 4 * n : SIZE_MAX / 2);
	if (esc_term(&b, s, n) != 0) {
		fprintf(stderr, "mailtls: esc_term_dup: escaped text too long\n");
		abort();
	}
	return buf_steal(&b, NULL);
}
