/* err.c - error category and message (STYLE.md rule 7). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void err_set(struct err *e, enum err_cat cat, const char *fmt, ...)
{
	va_list ap;

	/* Callers pass an optional error slot; no slot means "not wanted". */
	if (e == NULL)
		return;
	e->cat = cat;
	va_start(ap, fmt);
	/* A message longer than msg is cut: the category still carries the
	 * decision, the text is only for the user. */
	if (vsnprintf(e->msg, sizeof(e->msg), fmt, ap) < 0)
		e->msg[0] = '\0';
	va_end(ap);
}

void err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->cat = ERR_NONE;
	e->msg[0] = '\0';
}

/* Indexed by enum err_cat; the names appear in JSON output, so they are a
 * stable interface. */
static const char *const err_names[] = {
    [ERR_NONE] = "none",         [ERR_USAGE] = "usage",
    [ERR_RESOLVE] = "resolve",   [ERR_CONNECT] = "connect",
    [ERR_TIMEOUT] = "timeout",   [ERR_PROTOCOL] = "protocol",
    [ERR_TLS] = "tls",           [ERR_IO] = "io",
    [ERR_LIMIT] = "limit",       [ERR_LOCAL] = "local",  [ERR_BUSY] = "busy",
    [ERR_INTERNAL] = "internal",
};

const char *err_cat_name(enum err_cat cat)
{
	if ((unsigned)cat >= ARRAY_LEN(err_names) || err_names[cat] == NULL)
		return "internal";
	return err_names[cat];
}

int err_cat_parse(const char *name, enum err_cat *out)
{
	for (size_t i = 0; name && i < ARRAY_LEN(err_names); i++) {
		if (err_names[i] && strcmp(name, err_names[i]) == 0) {
			*out = (enum err_cat)i;
			return 0;
		}
	}
	return -1;
}
