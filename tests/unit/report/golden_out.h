/* golden_out.h - the outputs a golden file holds and how each is made:
 * test_golden.c renders recorded results to them, test_json_read.c the
 * results it reads back from them (the same options: colour off, 80
 * columns, transcript and certificates shown; -quiet without them). */
#ifndef MAILTLS_TEST_GOLDEN_OUT_H
#define MAILTLS_TEST_GOLDEN_OUT_H

#include "testutil.h"

#include "report/report.h"

enum out { OUT_TEXT, OUT_TEXT_QUIET, OUT_JSON, OUT_JSONL, OUT_CSV, OUT_HTML, OUT_COUNT };

static const char *const golden_suffix[OUT_COUNT] = {".txt",   "-quiet.txt", ".json",
						     ".jsonl", ".csv",       ".html"};

/* r rendered as output o into c (begun and ended here). */
static inline void golden_render(const struct result *r, enum out o, struct tu_capture *c)
{
	struct text_opts to = {.transcript = 1, .show_certs = 1, .color = 0, .quiet = 0, .width = 80};

	tu_capture_begin(c);
	switch (o) {
	case OUT_TEXT:
		report_text(r, c->f, &to);
		break;
	case OUT_TEXT_QUIET:
		to.quiet = 1;
		to.transcript = 0;
		to.show_certs = 0;
		report_text(r, c->f, &to);
		break;
	case OUT_JSON:
		assert_int_equal(report_json(r, c->f), 0);
		break;
	case OUT_JSONL:
		assert_int_equal(report_jsonl(r, c->f), 0);
		break;
	case OUT_CSV:
		assert_int_equal(report_csv(r, c->f), 0);
		break;
	case OUT_HTML:
		assert_int_equal(report_html(r, c->f), 0);
		break;
	default:
		fail();
	}
	tu_capture_end(c);
}

#endif
