/* fuzz_json_read.c - the mailtls/1 reader (model/json_read.c) on hostile
 * bytes, then every renderer on what it read. Besides memory errors, it
 * aborts when a promise breaks: a failure gives no result and a one-line
 * message; a result renders in every format, the text report (colour off)
 * holds no control byte but newline, the HTML no markup from the input,
 * and the JSON written reads back to the same JSON (the reader inverts the
 * writer on anything the reader accepts). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/json_read.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

struct mem {
	FILE *f;
	char *data;
	size_t len;
};

static void mem_open(struct mem *m)
{
	m->data = NULL;
	m->len = 0;
	m->f = open_memstream(&m->data, &m->len);
	CHECK(m->f != NULL);
}

static void mem_close(struct mem *m)
{
	CHECK(fclose(m->f) == 0);
}

static void check_text(const struct result *r, int quiet)
{
	struct text_opts to = {1, 1, 0, quiet, 80};
	struct mem m;

	mem_open(&m);
	report_text(r, m.f, &to);
	mem_close(&m);
	for (size_t i = 0; i < m.len; i++) {
		unsigned char c = (unsigned char)m.data[i];
		CHECK(c >= 0x20 || c == '\n');
		CHECK(c != 0x7f);
	}
	free(m.data);
}

static void check_html(const struct result *r)
{
	struct mem m;

	mem_open(&m);
	CHECK(report_html(r, m.f) == 0);
	mem_close(&m);
	/* the renderer's own markup has no script and no attribute quotes
	 * from the input: an unescaped one would open a tag or end a class */
	CHECK(memmem(m.data, m.len, "<script", 7) == NULL);
	CHECK(memchr(m.data, 0x1b, m.len) == NULL);
	CHECK(memchr(m.data, 0, m.len) == NULL);
	free(m.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result *r = (struct result *)1, *again = NULL;
	struct err e;
	struct mem j1, j2, m;

	if (json_read_result((const char *)data, size, &r, &e) != JR_OK) {
		CHECK(r == NULL);
		CHECK(e.msg[0] != '\0' && strchr(e.msg, '\n') == NULL);
		return 0;
	}
	CHECK(r != NULL);
	check_text(r, 0);
	check_text(r, 1);
	check_html(r);
	mem_open(&m);
	CHECK(report_csv(r, m.f) == 0);
	CHECK(report_jsonl(r, m.f) == 0);
	mem_close(&m);
	free(m.data);

	mem_open(&j1);
	CHECK(report_json(r, j1.f) == 0);
	mem_close(&j1);
	CHECK(json_read_result(j1.data, j1.len, &again, &e) == JR_OK);
	mem_open(&j2);
	CHECK(report_json(again, j2.f) == 0);
	mem_close(&j2);
	CHECK(j1.len == j2.len && memcmp(j1.data, j2.data, j1.len) == 0);
	free(j1.data);
	free(j2.data);
	result_free(again);
	result_drop_findings_below(r, SEV_HIGH);
	result_free(r);
	return 0;
}
