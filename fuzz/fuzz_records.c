/* fuzz_records.c - every domain record parser on the same hostile bytes:
 * MTA-STS TXT and policy, TLS-RPT, SPF, DMARC, and MX pattern matching with
 * the input split at its first NUL (pattern, then host). Besides memory
 * errors, it aborts when a result breaks what records.h promises: a failure
 * leaves an empty struct and a printable ASCII reason, a success holds only
 * values in range, and freeing twice is harmless. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "domain/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_reason(int rc, const char *e)
{
	size_t n = strnlen(e, REC_ERR_LEN);

	check(n < REC_ERR_LEN);
	check(rc == 0 ? n == 0 : n > 0);
	for (size_t i = 0; i < n; i++)
		check(e[i] >= 0x20 && e[i] < 0x7f);
}

static char *dup_upper(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);

	check(d != NULL);
	for (size_t i = 0; i <= n; i++)
		d[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
	return d;
}

static void fuzz_sts(const char *in, size_t size)
{
	struct sts_txt t;
	struct sts_policy p;
	int rc;

	rc = sts_txt_parse(in, size, &t);
	check_reason(rc, t.error);
	if (rc == 0) {
		size_t n = strlen(t.id);
		check(n >= 1 && n <= 32);
	} else {
		check(t.id == NULL);
	}
	sts_txt_free(&t);
	sts_txt_free(&t);

	rc = sts_policy_parse(in, size, &p);
	check_reason(rc, p.error);
	if (rc == 0) {
		check(p.max_age >= 0 && p.max_age <= 31557600);
		check(p.nmx <= 64);
		check(p.mode == STS_MODE_NONE || p.nmx > 0);
		for (size_t i = 0; i < p.nmx; i++) {
			const char *m = p.mx[i];
			char *up = dup_upper(m);

			for (const char *c = m; *c; c++)
				check(!(*c >= 'A' && *c <= 'Z'));
			if (m[0] == '*') {
				/* "*.rest" covers "x.rest" and not "rest". */
				size_t n = strlen(m);
				char *host = malloc(n + 1);

				check(host != NULL);
				memcpy(host, m, n + 1);
				host[0] = 'x';
				check(sts_mx_match(m, host) == 1);
				check(sts_mx_match(m, m + 2) == 0);
				free(host);
			} else {
				check(sts_mx_match(m, m) == 1);
				check(sts_mx_match(m, up) == 1);
			}
			free(up);
		}
	} else {
		check(p.mx == NULL && p.nmx == 0);
	}
	sts_policy_free(&p);
	sts_policy_free(&p);
}

static void fuzz_tlsrpt(const char *in, size_t size)
{
	struct tlsrpt t;
	int rc = tlsrpt_parse(in, size, &t);

	check_reason(rc, t.error);
	if (rc == 0)
		check(t.nrua >= 1 && t.nrua <= 64);
	else
		check(t.rua == NULL && t.nrua == 0);
	for (size_t i = 0; i < t.nrua; i++)
		check(strlen(t.rua[i]) > 0);
	tlsrpt_free(&t);
	tlsrpt_free(&t);
}

static void fuzz_spf(const char *in, size_t size)
{
	struct spf s;
	int rc = spf_parse(in, size, &s);

	check_reason(rc, s.error);
	if (rc == 0) {
		check(spf_is_record(in, size));
		check(s.all == 0 || strchr("+-~?", s.all) != NULL);
		check(s.nincludes <= 64);
		check(s.lookups >= (int)s.nincludes + (s.redirect != NULL));
		check(s.redirect == NULL || s.all == 0);
	} else {
		check(s.includes == NULL && s.nincludes == 0 && s.redirect == NULL);
	}
	spf_free(&s);
	spf_free(&s);
}

static void fuzz_dmarc(const char *in, size_t size)
{
	struct dmarc d;
	int rc = dmarc_parse(in, size, &d);

	check_reason(rc, d.error);
	if (rc == 0) {
		check(dmarc_is_record(in, size));
		check(dmarc_policy_name(d.p) != NULL);
		check(d.sp == DMARC_UNSET || dmarc_policy_name(d.sp) != NULL);
		check(d.pct >= 0 && d.pct <= 100);
		check(d.adkim == 'r' || d.adkim == 's');
		check(d.aspf == 'r' || d.aspf == 's');
		check(d.nrua <= 64 && d.nruf <= 64);
	} else {
		check(d.rua == NULL && d.ruf == NULL && d.p == DMARC_UNSET);
	}
	dmarc_free(&d);
	dmarc_free(&d);
}

static void fuzz_match(const char *in, size_t size)
{
	const char *nul = memchr(in, '\0', size);
	size_t pn = nul ? (size_t)(nul - in) : size;
	size_t hn = nul ? size - pn - 1 : 0;
	char *pattern = malloc(pn + 1), *host = malloc(hn + 1), *up;
	int r;

	check(pattern != NULL && host != NULL);
	memcpy(pattern, in, pn);
	pattern[pn] = '\0';
	if (hn)
		memcpy(host, nul + 1, hn);
	host[hn] = '\0';
	r = sts_mx_match(pattern, host);
	check(r == 0 || r == 1);
	/* Case never matters. */
	up = dup_upper(host);
	check(sts_mx_match(pattern, up) == r);
	free(up);
	free(pattern);
	free(host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	fuzz_sts(in, size);
	fuzz_tlsrpt(in, size);
	fuzz_spf(in, size);
	fuzz_dmarc(in, size);
	fuzz_match(in, size);
	return 0;
}
