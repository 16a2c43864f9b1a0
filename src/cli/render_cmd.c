/* render_cmd.c - `mailtls render FILE|-`: a saved mailtls/1 report (a
 * document or JSON lines) read back into the result model
 * (model/json_read.h) and written again, in any format and with the output
 * options of `check` (scanopts.c writes the reports for both). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/scanopts.h"
#include "core/buf.h"
#include "core/esc.h"
#include "core/log.h"
#include "model/json_read.h"

void cmd_render_usage(FILE *out)
{
	fputs("Usage: mailtls render [OPTIONS] FILE\n"
	      "\n"
	      "Render a saved mailtls/1 JSON report (a document written by --json, or the\n"
	      "JSON lines of --jsonl) again, in any format: the same output the run that\n"
	      "saved it printed, with the version and values stored in it. FILE - reads\n"
	      "standard input.\n"
	      "\n",
	      out);
	scan_opts_output_usage(out);
	fputs("  -h, --help              this text\n"
	      "\n"
	      "Exit codes: 0 rendered; 2 usage error; 3 the file cannot be read, is not\n"
	      "JSON, is not a mailtls/1 document (another schema version, such as a newer\n"
	      "mailtls/2, included), or a field of it is invalid; or a report could not\n"
	      "be written.\n",
	      out);
}

/* The whole file, up to one byte past the reader's limit (so the reader
 * can say it is too big). 0, or -1 with errno. */
static int slurp(FILE *f, struct buf *b)
{
	char chunk[65536];
	size_t got;

	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_append(b, chunk, got) != 0)
			return 0; /* over the cap: the reader refuses it */
	return ferror(f) ? -1 : 0;
}

int cmd_render(int argc, char **argv)
{
	struct check_opts o = {0};
	struct result *r = NULL;
	struct err e;
	struct buf b;
	int rc = scan_opts_parse_render(argc, argv, &o);

	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;
	int from_stdin = strcmp(o.target, "-") == 0;
	char *name = esc_term_dup(from_stdin ? "standard input" : o.target);
	FILE *f = from_stdin ? stdin : fopen(o.target, "rb");
	if (!f) {
		log_error("cannot read %s: %s", name, strerror(errno));
		free(name);
		return EXIT_NOSCAN;
	}
	buf_init(&b, (size_t)JSON_READ_MAX + 1);
	int read_failed = slurp(f, &b) != 0;
	int saved = errno;
	if (!from_stdin)
		fclose(f);
	if (read_failed) {
		log_error("cannot read %s: %s", name, strerror(saved));
		rc = EXIT_NOSCAN;
		goto out;
	}
	if (json_read_result((const char *)buf_cstr(&b), b.len, &r, &e) != JR_OK) {
		char *msg = esc_term_dup(e.msg); /* it may quote the document */
		log_error("%s: %s", name, msg);
		free(msg);
		rc = EXIT_NOSCAN;
		goto out;
	}
	result_drop_findings_below(r, o.min_sev);
	rc = scan_opts_write_reports(r, &o) != 0 ? EXIT_NOSCAN : EXIT_OK;
out:
	result_free(r);
	buf_free(&b);
	free(name);
	return rc;
}
