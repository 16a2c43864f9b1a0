/* test_records.c - the domain's policy records: MTA-STS TXT and policy file
 * (RFC 8461), MX pattern matching, TLS-RPT (RFC 8460), SPF (RFC 7208) and
 * DMARC (RFC 7489). RFC examples, whitespace and case variants, missing and
 * duplicated fields, out-of-range and overflowing numbers, truncated input,
 * embedded NULs, CRLF vs LF, trailing garbage, list caps; every failure must
 * leave a freeable struct and a one-line printable ASCII reason. */
#include "testutil.h"

#include "domain/records.h"

/* A byte string with its length, NULs included. */
struct in {
	const char *s;
	size_t n;
};
/* clang-format off */
#define IN(lit) {(lit), sizeof(lit) - 1}
/* clang-format on */

/* The reason of a failed parse: non-empty, NUL-terminated within the
 * buffer, printable ASCII only. */
static void assert_reason(const char *e)
{
	size_t n = strnlen(e, REC_ERR_LEN);

	assert_true(n > 0);
	assert_true(n < REC_ERR_LEN);
	for (size_t i = 0; i < n; i++)
		assert_true(e[i] >= 0x20 && e[i] < 0x7f);
}

/* prefix, then n entries pre<i>post joined by sep: a list at or over a cap. */
static char *repeat(const char *prefix, const char *pre, const char *post, const char *sep, int n,
                    size_t *len)
{
	size_t cap =
	    strlen(prefix) + (size_t)n * (strlen(pre) + strlen(post) + strlen(sep) + 8) + 1;
	size_t o;
	char *s = malloc(cap);

	assert_non_null(s);
	o = (size_t)snprintf(s, cap, "%s", prefix);
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s%s%d%s", i ? sep : "", pre, i, post);
	assert_true(o < cap);
	*len = o;
	return s;
}

/* ---- MTA-STS TXT ---- */

static void test_sts_txt_valid(void **state UNUSED)
{
	static const struct {
		struct in in;
		const char *id;
	} cases[] = {
	    {IN("v=STSv1; id=20160831085700Z;"), "20160831085700Z"}, /* RFC 8461 3.1 */
	    {IN("v=STSv1;id=abc"), "abc"},
	    {IN("v=STSv1 ;\t id=abc \t; "), "abc"},
	    {IN("v=STSv1; id=a; ext-1.x_y=some:value/ok"), "a"},
	    {IN("v=STSv1; idx=1; id=Z9"), "Z9"},
	    {IN("v=STSv1; id=0123456789abcdefABCDEF0123456789"),
	     "0123456789abcdefABCDEF0123456789"},
	};
	struct sts_txt t;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int rc = sts_txt_parse(cases[i].in.s, cases[i].in.n, &t);
		if (rc != 0)
			fail_msg("case %zu: %s", i, t.error);
		assert_string_equal(t.id, cases[i].id);
		assert_string_equal(t.error, "");
		sts_txt_free(&t);
		assert_null(t.id);
	}
}

static void test_sts_txt_invalid(void **state UNUSED)
{
	static const struct in cases[] = {
	    IN(""),
	    IN("v=STS"),   /* truncated */
	    IN("v=STSv1"), /* no id */
	    IN("v=STSv1;"),
	    IN("v=stsv1; id=abc"), /* %s"v=STSv1" is case-sensitive */
	    IN("v=STSv2; id=abc"),
	    IN("v=STSv1 id=abc"),   /* no delimiter */
	    IN(" v=STSv1; id=abc"), /* not first */
	    IN("id=abc; v=STSv1"),
	    IN("v=STSv1; id="),                                  /* empty id */
	    IN("v=STSv1; id=0123456789abcdef0123456789abcdef0"), /* 33 characters */
	    IN("v=STSv1; id=abc-def"),
	    IN("v=STSv1; id=abc def"),     /* trailing garbage */
	    IN("v=STSv1; id=abc; id=def"), /* duplicate */
	    IN("v=STSv1;; id=abc"),        /* empty field */
	    IN("v=STSv1; id=abc;;"),
	    IN("v=STSv1; id=abc; foo"),   /* no '=' */
	    IN("v=STSv1; id=abc; _x=1"),  /* bad extension name */
	    IN("v=STSv1; id=abc; x=a=b"), /* '=' in an extension value */
	    IN("v=STSv1; id=abc; x="),
	    IN("v=STSv1; id=abc; abcdefghijabcdefghijabcdefghijabc=1"), /* name over 32 */
	    IN("v=STSv1; ID=abc"),                                      /* an extension, so no id */
	    IN("v=STSv1; id=ab\0c"),                                    /* embedded NUL */
	    IN("v=STSv1\0; id=abc"),
	    IN("v=STSv1; id=abc\r\n"),
	    IN("v=STSv1; id=\xc3\xa9t\xc3\xa9"),
	};
	struct sts_txt t;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		if (sts_txt_parse(cases[i].s, cases[i].n, &t) != -1)
			fail_msg("case %zu parsed: id %s", i, t.id);
		assert_null(t.id);
		assert_reason(t.error);
		sts_txt_free(&t);
	}
}

static void test_sts_txt_reason(void **state UNUSED)
{
	struct sts_txt t;

	assert_int_equal(sts_txt_parse(LIT("v=STSv1; id=a; id=b"), &t), -1);
	assert_non_null(strstr(t.error, "duplicate id"));
	assert_int_equal(sts_txt_parse(LIT("v=STSv1;"), &t), -1);
	assert_string_equal(t.error, "no id field");
	/* Peer bytes are escaped: ESC, NUL, quote and backslash never raw. */
	assert_int_equal(sts_txt_parse(LIT("v=STSv1; id=\x1b[31m\0\"\\"), &t), -1);
	assert_reason(t.error);
	assert_non_null(strstr(t.error, "\\x1B[31m\\x00\\x22\\x5C"));
	/* A long value is cut, so the message stays one short line. */
	char big[600];
	memset(big, 'x', sizeof(big));
	memcpy(big, "v=STSv1; id=", 12);
	assert_int_equal(sts_txt_parse(big, sizeof(big), &t), -1);
	assert_reason(t.error);
	assert_non_null(strstr(t.error, "\"..."));
	sts_txt_free(&t);
}

static void test_sts_txt_huge_and_null(void **state UNUSED)
{
	size_t n = 70000;
	char *big = malloc(n);
	struct sts_txt t;

	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "v=STSv1; id=abc; x=", 19);
	assert_int_equal(sts_txt_parse(big, n, &t), -1);
	assert_non_null(strstr(t.error, "too long"));
	/* Just under the limit it is only the content that counts. */
	assert_int_equal(sts_txt_parse(big, 60000, &t), 0);
	assert_string_equal(t.id, "abc");
	sts_txt_free(&t);
	free(big);
	assert_int_equal(sts_txt_parse(NULL, 0, &t), -1);
	assert_reason(t.error);
	/* Freeing twice, and freeing a zeroed struct, is harmless. */
	sts_txt_free(&t);
	sts_txt_free(&t);
	memset(&t, 0, sizeof(t));
	sts_txt_free(&t);
}

/* ---- MTA-STS policy ---- */

static void test_sts_policy_rfc_example(void **state UNUSED)
{
	/* RFC 8461 3.2 */
	static const char body[] = "version: STSv1\n"
	                           "mode: enforce\n"
	                           "mx: mail.example.com\n"
	                           "mx: *.example.net\n"
	                           "mx: backupmx.example.com\n"
	                           "max_age: 604800\n";
	struct sts_policy p;

	assert_int_equal(sts_policy_parse(LIT(body), &p), 0);
	assert_int_equal(p.mode, STS_MODE_ENFORCE);
	assert_int_equal(p.max_age, 604800);
	assert_int_equal(p.nmx, 3);
	assert_string_equal(p.mx[0], "mail.example.com");
	assert_string_equal(p.mx[1], "*.example.net");
	assert_string_equal(p.mx[2], "backupmx.example.com");
	assert_string_equal(p.error, "");
	sts_policy_free(&p);
	assert_null(p.mx);
	assert_int_equal(p.nmx, 0);
	sts_policy_free(&p);
}

static void test_sts_policy_variants(void **state UNUSED)
{
	struct sts_policy p;

	/* CRLF, no final line end, white space around values, upper case mx
	 * stored lower-cased, unknown keys (even UTF-8 values) ignored. */
	assert_int_equal(sts_policy_parse(LIT("version: STSv1\r\nmode:testing \t\r\n"
	                                      "mx:\t MX1.Example.COM  \r\nfoo: bar \xc3\xa9\r\n"
	                                      "max_age:86400"),
	                                  &p),
	                 0);
	assert_int_equal(p.mode, STS_MODE_TESTING);
	assert_int_equal(p.max_age, 86400);
	assert_int_equal(p.nmx, 1);
	assert_string_equal(p.mx[0], "mx1.example.com");
	sts_policy_free(&p);

	/* Mode none needs no mx; blank lines and leading zeros are fine. */
	assert_int_equal(sts_policy_parse(LIT("\nmode: none\n\n  \nmax_age: 0000000000\n"
	                                      "version: STSv1\n\n"),
	                                  &p),
	                 0);
	assert_int_equal(p.mode, STS_MODE_NONE);
	assert_int_equal(p.max_age, 0);
	assert_int_equal(p.nmx, 0);
	sts_policy_free(&p);

	/* The upper bound, one year. */
	assert_int_equal(sts_policy_parse(LIT("version: STSv1\nmode: enforce\nmx: a\n"
	                                      "max_age: 31557600\n"),
	                                  &p),
	                 0);
	assert_int_equal(p.max_age, 31557600);
	assert_string_equal(p.mx[0], "a");
	sts_policy_free(&p);

	/* Mixed CRLF and LF lines. */
	assert_int_equal(sts_policy_parse(LIT("version: STSv1\r\nmode: enforce\nmx: *.a.example\r\n"
	                                      "max_age: 1\n"),
	                                  &p),
	                 0);
	assert_string_equal(p.mx[0], "*.a.example");
	sts_policy_free(&p);
}

#define POL_HEAD "version: STSv1\nmode: enforce\n"
#define POL_OK POL_HEAD "mx: mx.example.com\nmax_age: 86400\n"

static void test_sts_policy_invalid(void **state UNUSED)
{
	static const struct {
		struct in in;
		const char *why; /* a word of the reason */
	} cases[] = {
	    {IN(""), "version"},
	    {IN("mode: enforce\nmx: a.example\nmax_age: 1\n"), "version"},
	    {IN("version: STSv1\nmx: a.example\nmax_age: 1\n"), "mode"},
	    {IN(POL_HEAD "mx: a.example\n"), "max_age"},
	    {IN(POL_HEAD "max_age: 1\n"), "mx"},
	    {IN("version: STSv1\nmode: testing\nmax_age: 1\n"), "mx"},
	    {IN(POL_OK "version: STSv1\n"), "duplicate version"},
	    {IN(POL_OK "mode: enforce\n"), "duplicate mode"},
	    {IN(POL_OK "max_age: 86400\n"), "duplicate max_age"},
	    {IN("version: STSv2\nmode: none\nmax_age: 1\n"), "STSv1"},
	    {IN("version: STSv1\nmode: Enforce\nmx: a\nmax_age: 1\n"), "mode"},
	    {IN("version: STSv1\nmode: enforced\nmx: a\nmax_age: 1\n"), "mode"},
	    {IN("version: STSv1\nmode:\nmx: a\nmax_age: 1\n"), "mode"},
	    {IN(POL_HEAD "mx: a\nmax_age: 31557601\n"), "over"},
	    {IN(POL_HEAD "mx: a\nmax_age: 99999999999999999999\n"), "max_age"},
	    {IN(POL_HEAD "mx: a\nmax_age: 10000000000\n"), "max_age"},
	    {IN(POL_HEAD "mx: a\nmax_age: 9999999999\n"), "over"},
	    {IN(POL_HEAD "mx: a\nmax_age: -1\n"), "max_age"},
	    {IN(POL_HEAD "mx: a\nmax_age: +5\n"), "max_age"},
	    {IN(POL_HEAD "mx: a\nmax_age: 1e5\n"), "max_age"},
	    {IN(POL_HEAD "mx: a\nmax_age: 86 400\n"), "max_age"},
	    {IN(POL_HEAD "mx: a\nmax_age:\n"), "max_age"},
	    {IN(POL_HEAD "mx: mail..example.com\nmax_age: 1\n"), "mx"},
	    {IN(POL_HEAD "mx: *.*.example.com\nmax_age: 1\n"), "mx"},
	    {IN(POL_HEAD "mx: mx*.example.com\nmax_age: 1\n"), "mx"},
	    {IN(POL_HEAD "mx: mail.example.com.\nmax_age: 1\n"), "mx"},
	    {IN(POL_HEAD "mx: -a.example.com\nmax_age: 1\n"), "mx"},
	    {IN(POL_HEAD "mx: a_b.example.com\nmax_age: 1\n"), "mx"},
	    {IN(POL_HEAD "mx: a.example.com b.example.com\nmax_age: 1\n"), "mx"},
	    {IN(POL_HEAD "mx:\nmax_age: 1\n"), "mx"},
	    {IN(POL_HEAD "mx: *.\nmax_age: 1\n"), "mx"},
	    {IN(POL_OK "this line has no colon\n"), "key: value"},
	    {IN(POL_OK " mode: enforce\n"), "key: value"},
	    {IN(POL_OK "mode : enforce\n"), "key: value"},
	    {IN("<html><body>captive portal</body></html>\n"), "key: value"},
	    {IN(POL_OK "x: a\0b\n"), "control"}, /* embedded NUL */
	    {IN("version: STSv1\rmode: enforce\rmx: a\rmax_age: 1\r"), "control"}, /* bare CR */
	    {IN(POL_OK "x: \x1b[2J\n"), "control"},
	    {IN("Version: STSv1\nMode: enforce\nmx: a\nmax_age: 1\n"), "version"}, /* %s keys */
	    {IN("version: STSv1\nmode: enforce\nmx: a\nmax_a"), "key: value"},     /* truncated */
	};
	struct sts_policy p;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		if (sts_policy_parse(cases[i].in.s, cases[i].in.n, &p) != -1)
			fail_msg("case %zu parsed", i);
		assert_reason(p.error);
		if (strstr(p.error, cases[i].why) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, p.error, cases[i].why);
		assert_null(p.mx);
		assert_int_equal(p.nmx, 0);
		sts_policy_free(&p);
	}
}

static void test_sts_policy_caps(void **state UNUSED)
{
	struct sts_policy p;
	size_t len;
	char *s;

	/* 64 patterns is the cap; 65 is an error. */
	s = repeat(POL_HEAD "max_age: 1\n", "mx: h", ".example", "\n", 64, &len);
	assert_int_equal(sts_policy_parse(s, len, &p), 0);
	assert_int_equal(p.nmx, 64);
	assert_string_equal(p.mx[63], "h63.example");
	sts_policy_free(&p);
	free(s);
	s = repeat(POL_HEAD "max_age: 1\n", "mx: h", ".example", "\n", 65, &len);
	assert_int_equal(sts_policy_parse(s, len, &p), -1);
	assert_non_null(strstr(p.error, "more than 64"));
	assert_null(p.mx);
	free(s);

	/* Over 64 KiB is refused whatever it holds. */
	len = 70000;
	s = malloc(len);
	assert_non_null(s);
	memset(s, '\n', len);
	memcpy(s, POL_OK, sizeof(POL_OK) - 1);
	assert_int_equal(sts_policy_parse(s, len, &p), -1);
	assert_non_null(strstr(p.error, "too long"));
	assert_int_equal(sts_policy_parse(s, 65536, &p), 0);
	sts_policy_free(&p);
	free(s);
}

static void test_sts_mode_name(void **state UNUSED)
{
	assert_string_equal(sts_mode_name(STS_MODE_NONE), "none");
	assert_string_equal(sts_mode_name(STS_MODE_TESTING), "testing");
	assert_string_equal(sts_mode_name(STS_MODE_ENFORCE), "enforce");
	assert_null(sts_mode_name(STS_MODE_UNSET)); /* no policy */
}

static void test_sts_mx_match(void **state UNUSED)
{
	static const struct {
		const char *pattern, *host;
		int want;
	} cases[] = {
	    {"mx.example.com", "mx.example.com", 1},
	    {"mx.example.com", "MX.Example.COM", 1},
	    {"MX.EXAMPLE.COM", "mx.example.com", 1},
	    {"mx.example.com", "mx.example.com.", 1},
	    {"mx.example.com", "mx.example.com..", 0},
	    {"mx.example.com", "mail.example.com", 0},
	    {"mx.example.com", "mx.example.co", 0},
	    {"mx.example.com", "x.example.com", 0},
	    {"example.com", "mx.example.com", 0}, /* no implicit subdomains */
	    {"*.example.com", "mx.example.com", 1},
	    {"*.example.com", "MX.EXAMPLE.COM.", 1},
	    {"*.example.com", "example.com", 0},
	    {"*.example.com", "a.b.example.com", 0},
	    {"*.example.com", ".example.com", 0},
	    {"*.example.com", "mxexample.com", 0},
	    {"*.example.com", "mx.example.com.evil", 0},
	    {"*.example.com", "mx.example.net", 0},
	    {"*.example.com", "*.example.com", 1},
	    {"*.com", "example.com", 1},
	    {"*.", "a.", 0},
	    {"*.", "a..", 0},
	    {"*", "a", 0},
	    {"a.*.example.com", "a.b.example.com", 0},
	    {"", "", 0},
	    {".", ".", 0},
	    {"mx.example.com", "", 0},
	    {"", "mx.example.com", 0},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (sts_mx_match(cases[i].pattern, cases[i].host) != cases[i].want)
			fail_msg("case %zu: %s vs %s", i, cases[i].pattern, cases[i].host);
	assert_int_equal(sts_mx_match(NULL, "a"), 0);
	assert_int_equal(sts_mx_match("a", NULL), 0);
}

/* ---- TLS-RPT ---- */

static void test_tlsrpt_valid(void **state UNUSED)
{
	struct tlsrpt t;

	/* RFC 8460 3.1 */
	assert_int_equal(tlsrpt_parse(LIT("v=TLSRPTv1; rua=mailto:reports@example.com"), &t), 0);
	assert_int_equal(t.nrua, 1);
	assert_string_equal(t.rua[0], "mailto:reports@example.com");
	assert_string_equal(t.error, "");
	tlsrpt_free(&t);
	assert_int_equal(
	    tlsrpt_parse(LIT("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt"), &t), 0);
	assert_string_equal(t.rua[0], "https://reporting.example.com/v1/tlsrpt");
	tlsrpt_free(&t);

	/* Several URIs, white space around the separators, extensions, a
	 * final ';', a percent-encoded comma, any-case scheme. */
	assert_int_equal(tlsrpt_parse(LIT("v=TLSRPTv1 ;\trua=mailto:a@b.example ,\t"
	                                  "https://x.example/y?a=b%2Cc , MAILTO:c@d.example ;"
	                                  " ext.1=val ;"),
	                              &t),
	                 0);
	assert_int_equal(t.nrua, 3);
	assert_string_equal(t.rua[0], "mailto:a@b.example");
	assert_string_equal(t.rua[1], "https://x.example/y?a=b%2Cc");
	assert_string_equal(t.rua[2], "MAILTO:c@d.example");
	tlsrpt_free(&t);
	assert_null(t.rua);
	tlsrpt_free(&t);
}

static void test_tlsrpt_invalid(void **state UNUSED)
{
	static const struct in cases[] = {
	    IN(""),
	    IN("v=TLSRPTv1"),
	    IN("v=TLSRPTv1;"),
	    IN("v=TLSRPTv1; ext=1"), /* no rua */
	    IN("v=tlsrptv1; rua=mailto:a@b.example"),
	    IN("v=TLSRPTv2; rua=mailto:a@b.example"),
	    IN("v=TLSRPTv1 rua=mailto:a@b.example"),
	    IN("v=TLSRPTv1; rua="),
	    IN("v=TLSRPTv1; rua=http://x.example/"), /* https only */
	    IN("v=TLSRPTv1; rua=ftp://x.example/"),
	    IN("v=TLSRPTv1; rua=reports@example.com"), /* no scheme */
	    IN("v=TLSRPTv1; rua=mailto:"),
	    IN("v=TLSRPTv1; rua=mailto:reports"),
	    IN("v=TLSRPTv1; rua=https:///path"),
	    IN("v=TLSRPTv1; rua=mailto:a@b.example,,mailto:c@d.example"),
	    IN("v=TLSRPTv1; rua=mailto:a@b.example,"),
	    IN("v=TLSRPTv1; rua=mailto:a@b.example!10m"), /* '!' must be encoded */
	    IN("v=TLSRPTv1; rua=mailto:a b@c.example"),
	    IN("v=TLSRPTv1; rua=mailto:a@b.example%2"),
	    IN("v=TLSRPTv1; rua=mailto:a@b.example%zz"),
	    IN("v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example"),
	    IN("v=TLSRPTv1; rua=mailto:a@\0b.example"),
	    IN("v=TLSRPTv1; rua=mailto:a@b.example; -x=1"),
	    IN("v=TLSRPTv1; rua=mailto:a@b.example;; x=1"),
	    IN("v=TLSRPTv1; rua=mailto:a@b.example; garbage"),
	    IN("v=TLSRPTv1; RUA=mailto:a@b.example"), /* an extension */
	};
	struct tlsrpt t;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		if (tlsrpt_parse(cases[i].s, cases[i].n, &t) != -1)
			fail_msg("case %zu parsed", i);
		assert_reason(t.error);
		assert_null(t.rua);
		assert_int_equal(t.nrua, 0);
		tlsrpt_free(&t);
	}
}

static void test_tlsrpt_cap(void **state UNUSED)
{
	struct tlsrpt t;
	size_t len;
	char *s;

	s = repeat("v=TLSRPTv1; rua=", "mailto:r@h", ".example", ",", 64, &len);
	assert_int_equal(tlsrpt_parse(s, len, &t), 0);
	assert_int_equal(t.nrua, 64);
	tlsrpt_free(&t);
	free(s);
	s = repeat("v=TLSRPTv1; rua=", "mailto:r@h", ".example", ",", 65, &len);
	assert_int_equal(tlsrpt_parse(s, len, &t), -1);
	assert_non_null(strstr(t.error, "more than 64"));
	assert_null(t.rua);
	free(s);
}

/* ---- SPF ---- */

static void test_spf_is_record(void **state UNUSED)
{
	assert_true(spf_is_record(LIT("v=spf1")));
	assert_true(spf_is_record(LIT("v=spf1 -all")));
	assert_true(spf_is_record(LIT("V=SPF1 -all")));
	assert_false(spf_is_record(LIT("v=spf10 -all")));
	assert_false(spf_is_record(LIT("v=spf1\t-all")));
	assert_false(spf_is_record(LIT("v=spf1\0")));
	assert_false(spf_is_record(LIT(" v=spf1")));
	assert_false(spf_is_record(LIT("v=spf")));
	assert_false(spf_is_record(LIT("spf2.0/pra ip4:192.0.2.1")));
	assert_false(spf_is_record(LIT("")));
	assert_false(spf_is_record(NULL, 0));
}

static void test_spf_valid(void **state UNUSED)
{
	struct spf s;

	assert_int_equal(spf_parse(LIT("v=spf1 -all"), &s), 0);
	assert_int_equal(s.all, '-');
	assert_int_equal(s.lookups, 0);
	assert_int_equal(s.nincludes, 0);
	assert_null(s.redirect);
	spf_free(&s);

	/* RFC 7208 appendix A style, and every argument form. */
	assert_int_equal(spf_parse(LIT("v=spf1 ip4:192.0.2.0/24 ip4:192.0.2.1 ip6:2001:db8::/32 "
	                               "ip6:::ffff:192.0.2.1/128 include:_spf.example.com mx a "
	                               "a:mail.example.com/24//64 mx/24 mx//64 a//0 "
	                               "a:%{d}.example.com ip4:0.0.0.0/0 ~all"),
	                           &s),
	                 0);
	assert_int_equal(s.all, '~');
	assert_int_equal(s.lookups, 8);
	assert_int_equal(s.nincludes, 1);
	assert_string_equal(s.includes[0], "_spf.example.com");
	assert_int_equal(s.has_ptr, 0);
	spf_free(&s);

	/* No all: neutral default; redirect followed and counted. */
	assert_int_equal(spf_parse(LIT("v=spf1 redirect=_spf.example.com"), &s), 0);
	assert_int_equal(s.all, 0);
	assert_string_equal(s.redirect, "_spf.example.com");
	assert_int_equal(s.lookups, 1);
	spf_free(&s);

	/* RFC 7208 6.1: redirect is ignored when "all" is anywhere. */
	assert_int_equal(spf_parse(LIT("v=spf1 redirect=_spf.example.com ?all"), &s), 0);
	assert_null(s.redirect);
	assert_int_equal(s.all, '?');
	assert_int_equal(s.lookups, 0);
	spf_free(&s);

	/* Macros, exp, unknown modifiers, ptr, case, runs of spaces. */
	assert_int_equal(spf_parse(LIT("v=spf1  exists:%{ir}.%{l1r+-}._spf.%{d} PTR "
	                               "ptr:%{d2}.example.org INCLUDE:Example.COM. "
	                               "exp=explain.%{d} foo.bar=%{c}x%%%_%- +ALL -all  "),
	                           &s),
	                 0);
	assert_int_equal(s.all, '+');
	assert_int_equal(s.has_ptr, 1);
	assert_int_equal(s.lookups, 4);
	assert_string_equal(s.includes[0], "Example.COM.");
	spf_free(&s);

	/* Just the version is a (neutral) record. */
	assert_int_equal(spf_parse(LIT("v=spf1"), &s), 0);
	assert_int_equal(s.all, 0);
	spf_free(&s);
	assert_int_equal(spf_parse(LIT("v=spf1 "), &s), 0);
	spf_free(&s);
	spf_free(&s);
}

static void test_spf_lookups(void **state UNUSED)
{
	struct spf s;

	assert_int_equal(spf_parse(LIT("v=spf1 include:a.example include:b.example a mx ptr "
	                               "exists:c.example redirect=d.example"),
	                           &s),
	                 0);
	assert_int_equal(s.lookups, 7);
	assert_int_equal(s.nincludes, 2);
	assert_string_equal(s.includes[1], "b.example");
	assert_string_equal(s.redirect, "d.example");
	spf_free(&s);
	/* Over ten lookups is the caller's finding, not a syntax error. */
	assert_int_equal(spf_parse(LIT("v=spf1 a a a a a a mx mx mx mx mx ip4:192.0.2.1 -all"), &s),
	                 0);
	assert_int_equal(s.lookups, 11);
	spf_free(&s);
}

static void test_spf_invalid(void **state UNUSED)
{
	static const struct in cases[] = {
	    IN(""),
	    IN("v=spf"), /* truncated */
	    IN("v=spf2 -all"),
	    IN("v=spf1\t-all"),
	    IN("v=spf1 foo"), /* unknown mechanism */
	    IN("v=spf1 -foo:bar.example"),
	    IN("v=spf1 all:example.com"),
	    IN("v=spf1 -all\tmx"),
	    IN("v=spf1 ip4:256.1.1.1"),
	    IN("v=spf1 ip4:192.0.2.0/33"),
	    IN("v=spf1 ip4:192.0.2.0/024"),
	    IN("v=spf1 ip4:192.0.2.0/"),
	    IN("v=spf1 ip4:01.2.3.4"),
	    IN("v=spf1 ip4:192.0.2"),
	    IN("v=spf1 ip4:"),
	    IN("v=spf1 ip4"),
	    IN("v=spf1 ip4:2001:db8::1"),
	    IN("v=spf1 ip6:2001:db8::/129"),
	    IN("v=spf1 ip6:::1::2"),
	    IN("v=spf1 ip6:192.0.2.1"),
	    IN("v=spf1 ip6:fe80::1%eth0"),
	    IN("v=spf1 include"),
	    IN("v=spf1 include:"),
	    IN("v=spf1 include:example"), /* no "." toplabel */
	    IN("v=spf1 include:example.123"),
	    IN("v=spf1 include:example.com.."),
	    IN("v=spf1 include:example.-com"),
	    IN("v=spf1 exists"),
	    IN("v=spf1 exists:"),
	    IN("v=spf1 a:"),
	    IN("v=spf1 a/33"),
	    IN("v=spf1 mx//129"),
	    IN("v=spf1 a:example.com/24/"),
	    IN("v=spf1 a//64/24"),
	    IN("v=spf1 mx:example.com/abc"),
	    IN("v=spf1 ptr:"),
	    IN("v=spf1 include:%{x}.example.com"),  /* bad macro letter */
	    IN("v=spf1 include:%{c}.example.com"),  /* exp-only letter */
	    IN("v=spf1 include:%{d0}.example.com"), /* zero DIGIT */
	    IN("v=spf1 include:%{d.example.com"),
	    IN("v=spf1 include:%.example.com"),
	    IN("v=spf1 include:example.com%"),
	    IN("v=spf1 redirect=a.example redirect=b.example"),
	    IN("v=spf1 exp=a.example exp=b.example -all"),
	    IN("v=spf1 redirect="),
	    IN("v=spf1 redirect=example"),
	    IN("v=spf1 +redirect=a.example"), /* no qualifier on modifiers */
	    IN("v=spf1 foo=%{"),              /* unknown modifier, bad macro */
	    IN("v=spf1 -all \0"),             /* embedded NUL */
	    IN("v=spf1 include:ex\0ample.com"),
	    IN("v=spf1 a:\xc3\xa9.example"),
	    IN("v=spf1 -all\r\n"),
	};
	struct spf s;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		if (spf_parse(cases[i].s, cases[i].n, &s) != -1)
			fail_msg("case %zu parsed", i);
		assert_reason(s.error);
		assert_null(s.includes);
		assert_null(s.redirect);
		spf_free(&s);
	}
}

static void test_spf_reason_and_cap(void **state UNUSED)
{
	struct spf s;
	size_t len;
	char *rec;

	assert_int_equal(spf_parse(LIT("v=spf1 redirect=a.example redirect=b.example"), &s), -1);
	assert_string_equal(s.error, "duplicate redirect modifier");
	assert_int_equal(spf_parse(LIT("v=spf1 bogus:x"), &s), -1);
	assert_non_null(strstr(s.error, "unknown mechanism \"bogus:x\""));
	assert_int_equal(spf_parse(LIT("v=spf1 a \x7f"), &s), -1);
	assert_non_null(strstr(s.error, "0x7F"));
	assert_reason(s.error);

	rec = repeat("v=spf1 ", "include:i", ".example", " ", 64, &len);
	assert_int_equal(spf_parse(rec, len, &s), 0);
	assert_int_equal(s.nincludes, 64);
	assert_int_equal(s.lookups, 64);
	spf_free(&s);
	free(rec);
	rec = repeat("v=spf1 ", "include:i", ".example", " ", 65, &len);
	assert_int_equal(spf_parse(rec, len, &s), -1);
	assert_non_null(strstr(s.error, "more than 64"));
	assert_null(s.includes);
	free(rec);
}

/* ---- DMARC ---- */

static void test_dmarc_is_record(void **state UNUSED)
{
	assert_true(dmarc_is_record(LIT("v=DMARC1; p=none")));
	assert_true(dmarc_is_record(LIT("v = DMARC1;p=none")));
	assert_true(dmarc_is_record(LIT("v=DMARC1")));
	assert_true(dmarc_is_record(LIT("v=DMARC1 p=none")));
	assert_false(dmarc_is_record(LIT("v=dmarc1; p=none")));
	assert_false(dmarc_is_record(LIT("v=DMARC10; p=none")));
	assert_false(dmarc_is_record(LIT("p=none; v=DMARC1")));
	assert_false(dmarc_is_record(LIT(" v=DMARC1; p=none")));
	assert_false(dmarc_is_record(LIT("v=DMARC")));
	assert_false(dmarc_is_record(LIT("")));
	assert_false(dmarc_is_record(NULL, 0));
}

static void test_dmarc_valid(void **state UNUSED)
{
	struct dmarc d;

	/* RFC 7489 appendix B.2.1; defaults. */
	assert_int_equal(
	    dmarc_parse(LIT("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com"), &d), 0);
	assert_int_equal(d.p, DMARC_NONE);
	assert_int_equal(d.sp, DMARC_UNSET);
	assert_int_equal(d.pct, 100);
	assert_int_equal(d.adkim, 'r');
	assert_int_equal(d.aspf, 'r');
	assert_int_equal(d.nrua, 1);
	assert_string_equal(d.rua[0], "mailto:dmarc-feedback@example.com");
	assert_int_equal(d.nruf, 0);
	assert_string_equal(d.error, "");
	dmarc_free(&d);

	/* Every tag, size limits, white space, tabs, case. */
	assert_int_equal(dmarc_parse(LIT("v=DMARC1;p=quarantine ; SP = Reject;\tpct=050; "
	                                 "adkim=S; aspf=r; rua=mailto:a@example.com!10m , "
	                                 "mailto:b@example.net!5; ruf=mailto:f@example.com; "
	                                 "ri=86400; fo=0 : 1:d:S; rf=afrf:iodef;"),
	                             &d),
	                 0);
	assert_int_equal(d.p, DMARC_QUARANTINE);
	assert_int_equal(d.sp, DMARC_REJECT);
	assert_int_equal(d.pct, 50);
	assert_int_equal(d.adkim, 's');
	assert_int_equal(d.aspf, 'r');
	assert_int_equal(d.nrua, 2);
	assert_string_equal(d.rua[0], "mailto:a@example.com!10m");
	assert_string_equal(d.rua[1], "mailto:b@example.net!5");
	assert_int_equal(d.nruf, 1);
	assert_string_equal(d.ruf[0], "mailto:f@example.com");
	dmarc_free(&d);

	/* p need not be second; unknown tags (even odd values) ignored; empty
	 * tags skipped; pct bounds. */
	assert_int_equal(dmarc_parse(LIT("v=DMARC1;; rua=mailto:a@b.example; np=reject; "
	                                 "t=y; psd=n; foo=bar baz!; P=Reject; pct=0;;"),
	                             &d),
	                 0);
	assert_int_equal(d.p, DMARC_REJECT);
	assert_int_equal(d.pct, 0);
	dmarc_free(&d);
	assert_int_equal(dmarc_parse(LIT("v=DMARC1; p=reject; pct=100"), &d), 0);
	assert_int_equal(d.pct, 100);
	dmarc_free(&d);
	dmarc_free(&d);
	assert_int_equal(d.p, DMARC_UNSET);
}

static void test_dmarc_invalid(void **state UNUSED)
{
	static const struct {
		struct in in;
		const char *why;
	} cases[] = {
	    {IN(""), "v=DMARC1"},
	    {IN("v=DMARC2; p=none"), "v=DMARC1"},
	    {IN("p=none; v=DMARC1"), "v=DMARC1"},
	    {IN("v=DMARC1"), "no p"},
	    {IN("v=DMARC1;"), "no p"},
	    {IN("v=DMARC1; rua=mailto:a@b.example"), "no p"},
	    {IN("v=DMARC1 p=none"), "DMARC1"}, /* a ';' missing */
	    {IN("v=DMARC1; p=bogus"), "p"},
	    {IN("v=DMARC1; p="), "p"},
	    {IN("v=DMARC1; p=none; sp=all"), "sp"},
	    {IN("v=DMARC1; p=none; pct=101"), "pct"},
	    {IN("v=DMARC1; p=none; pct=-1"), "pct"},
	    {IN("v=DMARC1; p=none; pct=1000"), "pct"},
	    {IN("v=DMARC1; p=none; pct=99999999999999999999"), "pct"},
	    {IN("v=DMARC1; p=none; pct="), "pct"},
	    {IN("v=DMARC1; p=none; pct=5 0"), "pct"},
	    {IN("v=DMARC1; p=none; adkim=x"), "adkim"},
	    {IN("v=DMARC1; p=none; aspf=relaxed"), "aspf"},
	    {IN("v=DMARC1; p=none; rua=dmarc@example.com"), "scheme"},
	    {IN("v=DMARC1; p=none; rua=mailto:a@b.example,,mailto:c@d.example"), "empty"},
	    {IN("v=DMARC1; p=none; rua="), "empty"},
	    {IN("v=DMARC1; p=none; rua=mailto:a@b.example!10x"), "size"},
	    {IN("v=DMARC1; p=none; rua=mailto:a@b.example!"), "size"},
	    {IN("v=DMARC1; p=none; ruf=mailto:nobody"), "'@'"},
	    {IN("v=DMARC1; p=none; p=reject"), "duplicate p"},
	    {IN("v=DMARC1; p=none; v=DMARC1"), "duplicate v"},
	    {IN("v=DMARC1; p=none; rua=mailto:a@b.example; rua=mailto:c@d.example"), "duplicate"},
	    {IN("v=DMARC1; p=none; ri=abc"), "ri"},
	    {IN("v=DMARC1; p=none; ri=99999999999"), "ri"},
	    {IN("v=DMARC1; p=none; ri=4294967296"), "ri"},
	    {IN("v=DMARC1; p=none; fo=2"), "fo"},
	    {IN("v=DMARC1; p=none; fo=0::1"), "fo"},
	    {IN("v=DMARC1; p=none; rf="), "rf"},
	    {IN("v=DMARC1; p=none; rf=afrf-"), "rf"},
	    {IN("v=DMARC1; p=none; reject"), "'='"},
	    {IN("v=DMARC1; p=none; 1x=y"), "tag name"},
	    {IN("v=DMARC1; p=none\0; x=y"), "0x00"}, /* embedded NUL */
	    {IN("v=DMARC1; p=none; x=\xc3\xa9"), "0xC3"},
	    {IN("v=DMARC1; p=none\r\n"), "0x0D"},
	};
	struct dmarc d;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		if (dmarc_parse(cases[i].in.s, cases[i].in.n, &d) != -1)
			fail_msg("case %zu parsed", i);
		assert_reason(d.error);
		if (strstr(d.error, cases[i].why) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, d.error, cases[i].why);
		assert_null(d.rua);
		assert_null(d.ruf);
		assert_int_equal(d.p, DMARC_UNSET);
		dmarc_free(&d);
	}
}

static void test_dmarc_caps(void **state UNUSED)
{
	struct dmarc d;
	size_t len;
	char *s;

	s = repeat("v=DMARC1; p=reject; ruf=", "mailto:r@h", ".example", ",", 64, &len);
	assert_int_equal(dmarc_parse(s, len, &d), 0);
	assert_int_equal(d.nruf, 64);
	dmarc_free(&d);
	free(s);
	s = repeat("v=DMARC1; p=reject; ruf=", "mailto:r@h", ".example", ",", 65, &len);
	assert_int_equal(dmarc_parse(s, len, &d), -1);
	assert_non_null(strstr(d.error, "more than 64"));
	assert_null(d.ruf);
	free(s);

	len = 70000;
	s = malloc(len);
	assert_non_null(s);
	memset(s, ' ', len);
	memcpy(s, "v=DMARC1; p=reject;", 19);
	assert_int_equal(dmarc_parse(s, len, &d), -1);
	assert_non_null(strstr(d.error, "too long"));
	free(s);
}

static void test_dmarc_policy_name(void **state UNUSED)
{
	assert_string_equal(dmarc_policy_name(DMARC_NONE), "none");
	assert_string_equal(dmarc_policy_name(DMARC_QUARANTINE), "quarantine");
	assert_string_equal(dmarc_policy_name(DMARC_REJECT), "reject");
	assert_null(dmarc_policy_name(DMARC_UNSET));
}

/* A zeroed struct of every kind frees cleanly, twice. */
static void test_free_zeroed(void **state UNUSED)
{
	struct sts_txt a = {0};
	struct sts_policy b = {0};
	struct tlsrpt c = {0};
	struct spf d = {0};
	struct dmarc e = {0};

	sts_txt_free(&a);
	sts_policy_free(&b);
	tlsrpt_free(&c);
	spf_free(&d);
	dmarc_free(&e);
	sts_txt_free(&a);
	sts_policy_free(&b);
	tlsrpt_free(&c);
	spf_free(&d);
	dmarc_free(&e);
	assert_null(b.mx);
	assert_null(e.rua);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sts_txt_valid),
	    cmocka_unit_test(test_sts_txt_invalid),
	    cmocka_unit_test(test_sts_txt_reason),
	    cmocka_unit_test(test_sts_txt_huge_and_null),
	    cmocka_unit_test(test_sts_policy_rfc_example),
	    cmocka_unit_test(test_sts_policy_variants),
	    cmocka_unit_test(test_sts_policy_invalid),
	    cmocka_unit_test(test_sts_policy_caps),
	    cmocka_unit_test(test_sts_mode_name),
	    cmocka_unit_test(test_sts_mx_match),
	    cmocka_unit_test(test_tlsrpt_valid),
	    cmocka_unit_test(test_tlsrpt_invalid),
	    cmocka_unit_test(test_tlsrpt_cap),
	    cmocka_unit_test(test_spf_is_record),
	    cmocka_unit_test(test_spf_valid),
	    cmocka_unit_test(test_spf_lookups),
	    cmocka_unit_test(test_spf_invalid),
	    cmocka_unit_test(test_spf_reason_and_cap),
	    cmocka_unit_test(test_dmarc_is_record),
	    cmocka_unit_test(test_dmarc_valid),
	    cmocka_unit_test(test_dmarc_invalid),
	    cmocka_unit_test(test_dmarc_caps),
	    cmocka_unit_test(test_dmarc_policy_name),
	    cmocka_unit_test(test_free_zeroed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
