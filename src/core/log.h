/* log.h - diagnostics on stderr. Level 0 errors and warnings, 1 (-v) info,
 * 2 (-vv) debug. Peer text must be escaped by the caller (esc_term). */
#ifndef MAILTLS_LOG_H
#define MAILTLS_LOG_H

#include "compiler.h"

enum log_level { LOG_ERROR = -1, LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

extern int log_verbosity;

void log_msg(enum log_level lvl, const char *fmt, ...) PRINTF(2, 3);
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
