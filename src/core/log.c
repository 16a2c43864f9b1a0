/* log.c - diagnostics on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

int log_verbosity = 0;

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if ((int)lvl > log_verbosity)
		return;
	/* One locked sequence so a line from another thread (resolver
	 * callbacks) cannot land in the middle of ours. */
	flockfile(stderr);
	fputs("mailtls: ", stderr);
	if (lvl == LOG_ERROR)
		fputs("error: ", stderr);
	else if (lvl == LOG_WARN)
		fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
