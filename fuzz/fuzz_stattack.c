/* fuzz_stattack.c - the STARTTLS attacks' decisions (proto/stattack.c) on
 * hostile lines: for every protocol with an attack and both attacks, the
 * input's lines (a byte 0x01 stands for a quiet period, 0x02 for a TLS
 * record after a ClientHello inside TLS) go to the machine until it says
 * done or the input ends, then the close. Every step returns one of its
 * answers, a line to send is one line, and the verdict, reason and
 * evidence are set, terminated and within their size at the end. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/stattack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void step_ok(const struct atk *k, enum atk_do d)
{
	CHECK(d == ATK_WAIT || d == ATK_SEND || d == ATK_CLIENT_HELLO || d == ATK_DONE);
	if (d == ATK_SEND)
		CHECK(k->out[0] != '\0' && !strpbrk(k->out, "\r\n"));
}

static void run(const struct dlg_proto *p, enum atk_kind kind, int greeting, const uint8_t *data,
                size_t size)
{
	struct atk k;
	char line[1024];
	atk_init(&k, p->attack, kind, "mailtls.invalid", 1500);
	enum atk_do d = atk_start(&k, greeting);
	step_ok(&k, d);
	size_t off = 0;
	while (d != ATK_DONE && off < size) {
		size_t n = 0;
		while (off + n < size && data[off + n] != '\n' && n < sizeof line - 1)
			n++;
		memcpy(line, data + off, n);
		line[n] = '\0';
		off += n + (off + n < size);
		if (n == 1 && line[0] == 0x01)
			d = atk_quiet(&k);
		else if (n == 2 && line[0] == 0x02 && atk_wants_record(&k))
			d = atk_tls_record(&k, (uint8_t)line[1]);
		else
			d = atk_line(&k, line);
		step_ok(&k, d);
	}
	if (d != ATK_DONE)
		d = atk_eof(&k);
	CHECK(d == ATK_DONE);
	CHECK(k.verdict == VULN_VULNERABLE || k.verdict == VULN_NOT_VULNERABLE ||
	      k.verdict == VULN_NOT_APPLICABLE || k.verdict == VULN_UNKNOWN);
	CHECK(strnlen(k.reason, sizeof k.reason) < sizeof k.reason);
	CHECK(strnlen(k.evidence, sizeof k.evidence) < sizeof k.evidence);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (const char *const *n = dlg_proto_names(); *n; n++) {
		const struct dlg_proto *p = dlg_proto_find(*n);
		if (!p || !p->attack)
			continue;
		run(p, ATK_INJECTION, 0, data, size);
		run(p, ATK_IN_TLS, 0, data, size);
		run(p, ATK_IN_TLS, 1, data, size);
	}
	return 0;
}
