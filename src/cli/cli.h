/* cli.h - subcommands. Each returns the process exit code. */
#ifndef MAILTLS_CLI_H
#define MAILTLS_CLI_H

#include <stdio.h>

enum exit_code {
	EXIT_OK = 0,       /* scanned; nothing at or above --fail-on */
	EXIT_FINDINGS = 1, /* findings at or above --fail-on */
	EXIT_USAGE = 2,    /* bad command line */
	EXIT_NOSCAN = 3,   /* could not scan: resolve, connect, dialogue, TLS, CA file */
};

int cmd_check(int argc, char **argv);
void cmd_check_usage(FILE *out);
int cmd_domain(int argc, char **argv);
void cmd_domain_usage(FILE *out);
int cmd_render(int argc, char **argv);
void cmd_render_usage(FILE *out);
int cmd_serve(int argc, char **argv);
void cmd_serve_usage(FILE *out);

#endif
