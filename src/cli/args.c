/* args.c - option parsing helpers shared by the subcommands. */
#include "cli/args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/cli.h"
#include "core/esc.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char *safe = esc_term_dup(msg);
	fprintf(stderr, "mailtls: error: %s (try 'mailtls %s --help')\n", safe, cmd);
	free(safe);
	return EXIT_USAGE;
}

int cli_parse_secs(const char *s, double max_s, int *ms)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0.001 || v > max_s)
		return -1;
	*ms = (int)(v * 1000.0 + 0.5);
	return 0;
}
