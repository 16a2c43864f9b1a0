/* args.h - what every subcommand's option parsing shares. */
#ifndef MAILTLS_ARGS_H
#define MAILTLS_ARGS_H

#include "core/compiler.h"

/* One line on stderr, "mailtls: error: ... (try 'mailtls CMD --help')",
 * escaped as a whole (it may quote argv); returns the usage exit code. */
int cli_usage_error(const char *cmd, const char *fmt, ...) PRINTF(2, 3);
/* Seconds (fractions allowed) to milliseconds, from 0.001 to max_s. */
int cli_parse_secs(const char *s, double max_s, int *ms) WUR;

#endif
