/* scanopts.h - the options `check` and `domain` share, and their reports. */
#ifndef MAILTLS_SCANOPTS_H
#define MAILTLS_SCANOPTS_H

#include <stdio.h>

#include "checks/checks.h"
#include "core/compiler.h"
#include "model/result.h"
#include "report/report.h"
#include "scan/scan.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_HTML, FMT_JSONL, FMT_COUNT };
extern const char *const fmt_names[FMT_COUNT];

struct check_opts {
	const char *cmd; /* "check" or "domain" */
	int domain;
	struct scan_cfg cfg;
	int implicit;
	const char *starttls;
	const char *paths[FMT_COUNT]; /* --json/--csv/--html FILE ("-": stdout) */
	enum fmt stdout_fmt;          /* -o */
	enum severity fail_on;
	const char *target;           /* TARGET or DOMAIN */
	int transcript;
	int show_certs;
	int no_color;
	int quiet;
	enum severity min_sev;
	struct checks_cfg checks;
	unsigned mx_port;  /* domain: --port */
	unsigned sts_port; /* domain: --mta-sts-port */
	char ehlo_buf[256];
};

/* Parse argv for cmd ("check" or "domain"). 0 on success, -1 when --help
 * was printed, else the usage exit code (the error already said). */
int scan_opts_parse(int argc, char **argv, const char *cmd, struct check_opts *o) WUR;
/* `mailtls render`: the output options above (--json/--csv/--html, -o,
 * --jsonl, -q, --no-color, --severity, --transcript, --show-certs, -v) and
 * FILE in o->target. Same returns as scan_opts_parse. */
int scan_opts_parse_render(int argc, char **argv, struct check_opts *o) WUR;
/* Every report asked for: the files, then stdout (-o, or the text report
 * unless a file was "-"). Returns -1 when one could not be written. */
int scan_opts_write_reports(const struct result *r, const struct check_opts *o) WUR;
/* Each endpoint error, one stderr line each. */
void scan_opts_say_errors(const struct result *r);
/* A usage problem found after the options were read: the JSON report, when
 * one was asked for, still says what went wrong. */
int scan_opts_target_error(const struct check_opts *o, const char *msg);
/* After the checks: errors to stderr, --severity, the reports, and the
 * exit code (cli.h); frees r. scanned: the scan could start at all. */
int scan_opts_finish(struct result *r, const struct check_opts *o, int scanned);

/* The "Output:" lines of the usage text (check and render). */
void scan_opts_output_usage(FILE *out);

#endif
