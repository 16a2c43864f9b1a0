/* report.h - renderers. They read the result model and nothing else. */
#ifndef MAILTLS_REPORT_H
#define MAILTLS_REPORT_H

#include <stdio.h>
#include "core/compiler.h"
#include "model/result.h"

/* The mailtls/1 JSON document (docs/json.md). Returns 0, -1 on write error. */
int report_json(const struct result *r, FILE *out) WUR;
struct text_opts {
	int transcript; /* show the clear-text dialogue */
	int show_certs; /* show the certificates as PEM */
	int color;      /* ANSI colours for severities (ours, never the peer's) */
	int quiet;      /* the summary and the findings that need action only */
	int width;      /* wrap at this column (default 80) */
};

/* The human report. Every peer string is escaped for the terminal. */
void report_text(const struct result *r, FILE *out, const struct text_opts *o);
/* JSON lines: one line per endpoint ({"schema", "tool", "endpoint"}), or one
 * line with the run's errors when there is no endpoint. */
int report_jsonl(const struct result *r, FILE *out) WUR;
/* One CSV row per finding (and per error), RFC 4180. 0, -1 on write error. */
int report_csv(const struct result *r, FILE *out) WUR;
/* One self-contained HTML page: inline CSS, no script, every peer string
 * escaped. 0, -1 on write error. */
int report_html(const struct result *r, FILE *out) WUR;
/* Upper-case hex code point: "0xC030", SSLv2 "0x0700C0". */
void report_code_point(char *out, size_t n, enum tls_proto p, uint32_t code);

#endif
