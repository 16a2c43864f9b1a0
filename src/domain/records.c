/* records.c - parsers for the mail domain's policy records: MTA-STS TXT and
 * policy file (RFC 8461), TLS-RPT (RFC 8460), SPF (RFC 7208), DMARC (RFC
 * 7489). Every input is a pointer and a length of hostile bytes: nothing is
 * read past the length, a NUL is one more invalid byte, every list is capped
 * and error messages show peer bytes only through rec_quote (STYLE.md 8). */
#include "domain/records.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* A TXT RRset's strings put together cannot exceed 65535 bytes (RDLENGTH is
 * 16 bits) and the policy fetch stops at 64 KiB: longer input was not
 * handed to us honestly, and refusing it bounds all the work below. */
#define REC_MAX_LEN 65536
/* Entries in any list: mx patterns, report URIs, SPF includes. */
#define REC_MAX_LIST 64
/* Characters of peer text between the quotes of an error excerpt. */
#define QUOTE_MAX 48
#define QUOTE_BUF (QUOTE_MAX + 8)

/* A piece of the input; never NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

static int is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned char to_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* c is one of the characters of set (never true for NUL). */
static int in_set(unsigned char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static struct span span_of(const char *p, size_t n)
{
	struct span s = {p, n};
	return s;
}

static struct span span_ltrim(struct span s)
{
	while (s.n > 0 && is_wsp((unsigned char)s.p[0])) {
		s.p++;
		s.n--;
	}
	return s;
}

static struct span span_rtrim(struct span s)
{
	while (s.n > 0 && is_wsp((unsigned char)s.p[s.n - 1]))
		s.n--;
	return s;
}

static struct span span_trim(struct span s)
{
	return span_rtrim(span_ltrim(s));
}

/* Exactly the literal (case-sensitive: RFC 8461 and 8460 use %s"..."). */
static int span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* The literal in any ASCII case (plain ABNF strings, RFC 5234 2.3). */
static int span_ieq(struct span s, const char *lit)
{
	size_t i, n = strlen(lit);

	if (s.n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (to_lower((unsigned char)s.p[i]) != to_lower((unsigned char)lit[i]))
			return 0;
	return 1;
}

static int span_all(struct span s, int (*ok)(unsigned char))
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (!ok((unsigned char)s.p[i]))
			return 0;
	return 1;
}

/* A heap copy; callers have checked that s holds no NUL. */
static char *span_dup(struct span s, int lower)
{
	char *d = xmalloc(s.n + 1);
	size_t i;

	for (i = 0; i < s.n; i++)
		d[i] = lower ? (char)to_lower((unsigned char)s.p[i]) : s.p[i];
	d[s.n] = '\0';
	return d;
}

/* Splitting at a separator: every piece, the empty ones included; after the
 * last one `done` is set. */
struct cut {
	const char *p, *end;
	int done;
};

static void cut_init(struct cut *c, struct span s)
{
	c->p = s.p;
	c->end = s.p + s.n;
	c->done = 0;
}

static int cut_next(struct cut *c, char sep, struct span *piece)
{
	const char *q;

	if (c->done)
		return 0;
	q = memchr(c->p, sep, (size_t)(c->end - c->p));
	piece->p = c->p;
	if (q == NULL) {
		piece->n = (size_t)(c->end - c->p);
		c->done = 1;
	} else {
		piece->n = (size_t)(q - c->p);
		c->p = q + 1;
	}
	return 1;
}

/* Peer bytes for an error message: a quoted excerpt in printable ASCII, any
 * other byte (and the quote and backslash) as \xNN, cut with "..." after
 * QUOTE_MAX characters. q must hold QUOTE_BUF bytes. */
static const char *rec_quote(char *q, struct span s)
{
	size_t o = 0, i;

	q[o++] = '"';
	for (i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		int plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';

		if (o - 1 + (plain ? 1 : 4) > QUOTE_MAX)
			break;
		if (plain) {
			q[o++] = (char)c;
		} else {
			snprintf(q + o, 5, "\\x%02X", c);
			o += 4;
		}
	}
	q[o++] = '"';
	if (i < s.n) {
		memcpy(q + o, "...", 3);
		o += 3;
	}
	q[o] = '\0';
	return q;
}

static int rec_fail(char *err, const char *fmt, ...) PRINTF(2, 3);
static int rec_fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, REC_ERR_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

static void list_free(char ***arr, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*arr)[i]);
	free(*arr);
	*arr = NULL;
	*n = 0;
}

static void list_add(char ***arr, size_t *n, size_t *cap, struct span s, int lower)
{
	char **slot = xvec_push(arr, n, cap, sizeof(char *));
	*slot = span_dup(s, lower);
}

/* NULL with no bytes is an empty record; the parsers never read *txt when
 * len is 0, but memchr and friends want a real pointer. */
static struct span input(const char *p, size_t len)
{
	return p == NULL ? span_of("", 0) : span_of(p, len);
}

/* Domain (RFC 5321 4.1.2): LDH labels of 1-63 characters, starting and
 * ending with a letter or digit, 253 characters at most, no final dot. */
static int domain_ok(struct span s)
{
	struct cut c;
	struct span l;

	if (s.n == 0 || s.n > 253)
		return 0;
	cut_init(&c, s);
	while (cut_next(&c, '.', &l)) {
		if (l.n == 0 || l.n > 63 || !is_alnum((unsigned char)l.p[0]) ||
		    !is_alnum((unsigned char)l.p[l.n - 1]))
			return 0;
		for (size_t i = 1; i + 1 < l.n; i++)
			if (!is_alnum((unsigned char)l.p[i]) && l.p[i] != '-')
				return 0;
	}
	return 1;
}

/* ---- report URIs (RFC 8460 3, RFC 7489 6.2) ---- */

enum uri_kind { URI_TLSRPT, URI_DMARC };

/* RFC 3986 characters, less "," and "!" which both RFCs require to be
 * percent-encoded in a list, and ";" which ends the field. */
static int uri_char(unsigned char c)
{
	return is_alnum(c) || in_set(c, "-._~:/?#[]@$&'()*+=%");
}

static int uri_scheme_char(unsigned char c)
{
	return is_alnum(c) || in_set(c, "+-.");
}

/* dmarc-uri's size limit after "!": 1*DIGIT [ "k" / "m" / "g" / "t" ]. */
static int uri_size_ok(struct span s)
{
	if (s.n > 0 && in_set(to_lower((unsigned char)s.p[s.n - 1]), "kmgt"))
		s.n--;
	return s.n > 0 && span_all(s, is_digit);
}

static int uri_ok(struct span u, enum uri_kind kind, const char *tag, char *err)
{
	char q[QUOTE_BUF];
	struct span scheme, rest, whole = u;
	const char *colon, *bang;
	size_t i;

	if (kind == URI_DMARC && (bang = memrchr(u.p, '!', u.n)) != NULL) {
		if (!uri_size_ok(span_of(bang + 1, (size_t)(u.p + u.n - bang - 1))))
			return rec_fail(err, "%s: bad size limit in %s", tag, rec_quote(q, whole));
		u.n = (size_t)(bang - u.p);
	}
	colon = memchr(u.p, ':', u.n);
	if (colon == NULL || colon == u.p || !is_alpha((unsigned char)u.p[0]))
		return rec_fail(err, "%s: %s is not a URI (no scheme)", tag, rec_quote(q, whole));
	scheme = span_of(u.p, (size_t)(colon - u.p));
	rest = span_of(colon + 1, u.n - scheme.n - 1);
	if (!span_all(scheme, uri_scheme_char))
		return rec_fail(err, "%s: %s has a bad scheme", tag, rec_quote(q, whole));
	if (rest.n == 0)
		return rec_fail(err, "%s: %s has nothing after the scheme", tag,
		                rec_quote(q, whole));
	for (i = 0; i < rest.n; i++) {
		unsigned char c = (unsigned char)rest.p[i];

		if (!uri_char(c))
			return rec_fail(err, "%s: %s holds a byte a URI cannot (0x%02X)", tag,
			                rec_quote(q, whole), c);
		if (c == '%' && (i + 2 >= rest.n || !is_hex((unsigned char)rest.p[i + 1]) ||
		                 !is_hex((unsigned char)rest.p[i + 2])))
			return rec_fail(err, "%s: %s has a bad %%-escape", tag,
			                rec_quote(q, whole));
	}
	/* RFC 8460 3: reports go by mail or HTTPS POST, nothing else. */
	if (kind == URI_TLSRPT && !span_ieq(scheme, "mailto") && !span_ieq(scheme, "https"))
		return rec_fail(err, "%s: %s is neither mailto: nor https:", tag,
		                rec_quote(q, whole));
	if (span_ieq(scheme, "mailto") && memchr(rest.p, '@', rest.n) == NULL)
		return rec_fail(err, "%s: %s has no '@'", tag, rec_quote(q, whole));
	if ((span_ieq(scheme, "https") || span_ieq(scheme, "http")) &&
	    (rest.n < 3 || rest.p[0] != '/' || rest.p[1] != '/' || rest.p[2] == '/'))
		return rec_fail(err, "%s: %s has no host", tag, rec_quote(q, whole));
	return 0;
}

/* uri *(*WSP "," *WSP uri), each kept as written (size limit included). */
static int uri_list(struct span v, char ***arr, size_t *n, size_t *cap, enum uri_kind kind,
                    const char *tag, char *err)
{
	struct cut c;
	struct span u;

	cut_init(&c, v);
	while (cut_next(&c, ',', &u)) {
		u = span_trim(u);
		if (u.n == 0)
			return rec_fail(err, "%s: empty URI", tag);
		if (*n >= REC_MAX_LIST)
			return rec_fail(err, "%s: more than %d URIs", tag, REC_MAX_LIST);
		if (uri_ok(u, kind, tag, err) != 0)
			return -1;
		list_add(arr, n, cap, u, 0);
	}
	return 0;
}

/* ---- the "v=...; name=value; ..." shape of RFC 8461 3.1 and RFC 8460 3 ---- */

/* sts-ext-name, tlsrpt-ext-name:
 * (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static int ext_name_ok(struct span s)
{
	size_t i;

	if (s.n == 0 || s.n > 32 || !is_alnum((unsigned char)s.p[0]))
		return 0;
	for (i = 1; i < s.n; i++)
		if (!is_alnum((unsigned char)s.p[i]) && !in_set((unsigned char)s.p[i], "_-."))
			return 0;
	return 1;
}

/* sts-ext-value, tlsrpt-ext-value: 1*(%x21-3A / %x3C / %x3E-7E). */
static int ext_value_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';' && c != '=';
}

static int ext_field(struct span name, struct span value, char *err)
{
	char q[QUOTE_BUF];

	if (!ext_name_ok(name))
		return rec_fail(err, "bad field name %s", rec_quote(q, name));
	if (value.n == 0 || !span_all(value, ext_value_char))
		return rec_fail(err, "bad value for field %s", rec_quote(q, name));
	return 0;
}

typedef int (*field_fn)(void *ctx, struct span name, struct span value, char *err);

/* record = version 1*(delim field) [delim], delim = *WSP ";" *WSP. */
static int txt_fields(struct span in, const char *version, field_fn fn, void *ctx, char *err)
{
	char q[QUOTE_BUF];
	struct cut c;
	struct span f;
	const char *eq;

	if (in.n > REC_MAX_LEN)
		return rec_fail(err, "record too long (%zu bytes)", in.n);
	cut_init(&c, in);
	cut_next(&c, ';', &f);
	if (!span_eq(span_rtrim(f), version))
		return rec_fail(err, "does not begin with \"%s;\": %s", version, rec_quote(q, f));
	while (cut_next(&c, ';', &f)) {
		f = span_trim(f);
		if (f.n == 0) {
			if (c.done)
				break; /* the one delimiter allowed at the end */
			return rec_fail(err, "empty field");
		}
		eq = memchr(f.p, '=', f.n);
		if (eq == NULL)
			return rec_fail(err, "field without '=': %s", rec_quote(q, f));
		if (fn(ctx, span_of(f.p, (size_t)(eq - f.p)),
		       span_of(eq + 1, f.n - (size_t)(eq - f.p) - 1), err) != 0)
			return -1;
	}
	return 0;
}

/* ---- MTA-STS TXT (RFC 8461 3.1) ---- */

static int sts_txt_field(void *ctx, struct span name, struct span value, char *err)
{
	struct sts_txt *t = ctx;
	char q[QUOTE_BUF];

	if (!span_eq(name, "id"))
		return ext_field(name, value, err);
	if (t->id != NULL)
		return rec_fail(err, "duplicate id field");
	/* sts-id = %s"id=" 1*32(ALPHA / DIGIT) */
	if (value.n == 0 || value.n > 32 || !span_all(value, is_alnum))
		return rec_fail(err, "id %s is not 1 to 32 letters and digits",
		                rec_quote(q, value));
	t->id = span_dup(value, 0);
	return 0;
}

int sts_txt_parse(const char *txt, size_t len, struct sts_txt *out)
{
	char err[REC_ERR_LEN];

	memset(out, 0, sizeof(*out));
	if (txt_fields(input(txt, len), "v=STSv1", sts_txt_field, out, out->error) != 0)
		goto fail;
	if (out->id == NULL) {
		rec_fail(out->error, "no id field");
		goto fail;
	}
	return 0;
fail:
	memcpy(err, out->error, sizeof(err));
	sts_txt_free(out);
	memcpy(out->error, err, sizeof(err));
	return -1;
}

void sts_txt_free(struct sts_txt *t)
{
	free(t->id);
	memset(t, 0, sizeof(*t));
}

/* ---- MTA-STS policy file (RFC 8461 3.2) ---- */

#define STS_MAX_AGE_MAX 31557600L /* one year, RFC 8461 3.2 */

struct sts_pstate {
	int version, mode, max_age; /* seen */
	size_t mx_cap;
};

static int sts_policy_line(struct sts_policy *p, struct sts_pstate *st, size_t lineno,
                           struct span key, struct span v)
{
	char q[QUOTE_BUF];
	char *err = p->error;

	if (span_eq(key, "version")) {
		if (st->version++)
			return rec_fail(err, "line %zu: duplicate version", lineno);
		if (!span_eq(v, "STSv1"))
			return rec_fail(err, "line %zu: version %s is not STSv1", lineno,
			                rec_quote(q, v));
	} else if (span_eq(key, "mode")) {
		if (st->mode++)
			return rec_fail(err, "line %zu: duplicate mode", lineno);
		if (span_eq(v, "enforce"))
			p->mode = STS_MODE_ENFORCE;
		else if (span_eq(v, "testing"))
			p->mode = STS_MODE_TESTING;
		else if (span_eq(v, "none"))
			p->mode = STS_MODE_NONE;
		else
			return rec_fail(err, "line %zu: mode %s is not enforce, testing or none",
			                lineno, rec_quote(q, v));
	} else if (span_eq(key, "max_age")) {
		unsigned long long age = 0;

		if (st->max_age++)
			return rec_fail(err, "line %zu: duplicate max_age", lineno);
		/* sts-policy-max-age-value = 1*10(DIGIT): no sign, no overflow. */
		if (v.n == 0 || v.n > 10 || !span_all(v, is_digit))
			return rec_fail(err, "line %zu: max_age %s is not 1 to 10 digits", lineno,
			                rec_quote(q, v));
		for (size_t i = 0; i < v.n; i++)
			age = age * 10 + (unsigned)(v.p[i] - '0');
		if (age > STS_MAX_AGE_MAX)
			return rec_fail(err, "line %zu: max_age %llu is over %ld", lineno, age,
			                STS_MAX_AGE_MAX);
		p->max_age = (long)age;
	} else if (span_eq(key, "mx")) {
		struct span d = v;

		/* sts-policy-mx-value = ["*."] Domain */
		if (d.n >= 2 && d.p[0] == '*' && d.p[1] == '.') {
			d.p += 2;
			d.n -= 2;
		}
		if (!domain_ok(d))
			return rec_fail(err, "line %zu: mx %s is not a host name or *.domain",
			                lineno, rec_quote(q, v));
		if (p->nmx >= REC_MAX_LIST)
			return rec_fail(err, "line %zu: more than %d mx patterns", lineno,
			                REC_MAX_LIST);
		list_add(&p->mx, &p->nmx, &st->mx_cap, v, 1);
	}
	/* Anything else is an extension: "Unknown fields MUST be ignored". */
	return 0;
}

int sts_policy_parse(const char *body, size_t len, struct sts_policy *out)
{
	char q[QUOTE_BUF], err[REC_ERR_LEN];
	struct sts_pstate st = {0};
	struct span in = input(body, len), line, key;
	struct cut c;
	const char *colon;
	size_t lineno = 0, i;

	memset(out, 0, sizeof(*out));
	if (in.n > REC_MAX_LEN) {
		rec_fail(out->error, "policy too long (%zu bytes)", in.n);
		goto fail;
	}
	cut_init(&c, in);
	while (cut_next(&c, '\n', &line)) {
		lineno++;
		/* sts-policy-term = LF / CRLF */
		if (line.n > 0 && line.p[line.n - 1] == '\r')
			line.n--;
		for (i = 0; i < line.n; i++) {
			unsigned char ch = (unsigned char)line.p[i];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				rec_fail(out->error, "line %zu: control byte 0x%02X", lineno, ch);
				goto fail;
			}
		}
		/* Blank lines are not in the ABNF; every reader skips them. */
		if (span_trim(line).n == 0)
			continue;
		colon = memchr(line.p, ':', line.n);
		key = span_of(line.p, colon ? (size_t)(colon - line.p) : line.n);
		if (colon == NULL || !ext_name_ok(key)) {
			rec_fail(out->error, "line %zu: not \"key: value\": %s", lineno,
			         rec_quote(q, line));
			goto fail;
		}
		if (sts_policy_line(out, &st, lineno, key,
		                    span_trim(span_of(colon + 1, line.n - key.n - 1))) != 0)
			goto fail;
	}
	if (!st.version || !st.mode || !st.max_age) {
		rec_fail(out->error, "no %s field",
		         !st.version ? "version"
		         : !st.mode  ? "mode"
		                     : "max_age");
		goto fail;
	}
	if (out->mode != STS_MODE_NONE && out->nmx == 0) {
		rec_fail(out->error, "no mx field in mode %s", sts_mode_name(out->mode));
		goto fail;
	}
	return 0;
fail:
	memcpy(err, out->error, sizeof(err));
	sts_policy_free(out);
	memcpy(out->error, err, sizeof(err));
	return -1;
}

void sts_policy_free(struct sts_policy *p)
{
	list_free(&p->mx, &p->nmx);
	memset(p, 0, sizeof(*p));
}

/* ASCII case-insensitive comparison of two byte ranges (no locale). */
static int mem_ieq(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if (to_lower((unsigned char)a[i]) != to_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int sts_mx_match(const char *pattern, const char *host)
{
	size_t pn, hn;
	const char *dot;

	if (pattern == NULL || host == NULL)
		return 0;
	pn = strlen(pattern);
	hn = strlen(host);
	/* A fully qualified name's final dot does not change the name. */
	if (hn > 0 && host[hn - 1] == '.')
		hn--;
	if (pn > 0 && pattern[pn - 1] == '.')
		pn--;
	if (pn == 0 || hn == 0)
		return 0;
	if (pn >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* RFC 8461 4.1: the wildcard stands for exactly one label, the
		 * leftmost, and a non-empty one. */
		if (pn == 2)
			return 0;
		dot = memchr(host, '.', hn);
		if (dot == NULL || dot == host)
			return 0;
		dot++;
		return mem_ieq(pattern + 2, pn - 2, dot, hn - (size_t)(dot - host));
	}
	return mem_ieq(pattern, pn, host, hn);
}

/* ---- TLS-RPT (RFC 8460 3) ---- */

struct tlsrpt_state {
	struct tlsrpt *t;
	size_t cap;
};

static int tlsrpt_field(void *ctx, struct span name, struct span value, char *err)
{
	struct tlsrpt_state *st = ctx;

	if (!span_eq(name, "rua"))
		return ext_field(name, value, err);
	if (st->t->nrua > 0)
		return rec_fail(err, "duplicate rua field");
	return uri_list(value, &st->t->rua, &st->t->nrua, &st->cap, URI_TLSRPT, "rua", err);
}

int tlsrpt_parse(const char *txt, size_t len, struct tlsrpt *out)
{
	struct tlsrpt_state st = {out, 0};
	char err[REC_ERR_LEN];

	memset(out, 0, sizeof(*out));
	if (txt_fields(input(txt, len), "v=TLSRPTv1", tlsrpt_field, &st, out->error) != 0)
		goto fail;
	if (out->nrua == 0) {
		rec_fail(out->error, "no rua field");
		goto fail;
	}
	return 0;
fail:
	memcpy(err, out->error, sizeof(err));
	tlsrpt_free(out);
	memcpy(out->error, err, sizeof(err));
	return -1;
}

void tlsrpt_free(struct tlsrpt *t)
{
	list_free(&t->rua, &t->nrua);
	memset(t, 0, sizeof(*t));
}

/* ---- SPF (RFC 7208) ---- */

/* macro-string (RFC 7208 7.1). *tail is where the literal text after the
 * last macro-expand starts. c, r and t are allowed only in "exp" text
 * (7.2), so never in a domain-spec. 0 when valid. */
static int spf_macros(struct span s, int exp_letters, size_t *tail)
{
	size_t i = 0, d;
	int nonzero;

	*tail = 0;
	while (i < s.n) {
		unsigned char c = (unsigned char)s.p[i];

		if (c != '%') {
			/* macro-literal = %x21-24 / %x26-7E */
			if (c < 0x21 || c > 0x7e)
				return -1;
			i++;
			continue;
		}
		if (i + 1 >= s.n)
			return -1;
		c = (unsigned char)s.p[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			i += 2;
			*tail = i;
			continue;
		}
		/* "%{" macro-letter transformers *delimiter "}" */
		if (c != '{' || i + 2 >= s.n)
			return -1;
		i += 2;
		c = to_lower((unsigned char)s.p[i]);
		if (!in_set(c, "slodiphcrtv") || (!exp_letters && in_set(c, "crt")))
			return -1;
		i++;
		/* transformers = *DIGIT [ "r" ]; a DIGIT count must be nonzero. */
		nonzero = 0;
		for (d = 0; i < s.n && is_digit((unsigned char)s.p[i]); i++, d++)
			nonzero |= s.p[i] != '0';
		if (d > 0 && !nonzero)
			return -1;
		if (i < s.n && to_lower((unsigned char)s.p[i]) == 'r')
			i++;
		while (i < s.n && in_set((unsigned char)s.p[i], ".-+,/_="))
			i++;
		if (i >= s.n || s.p[i] != '}')
			return -1;
		i++;
		*tail = i;
	}
	return 0;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static int spf_toplabel_ok(struct span s)
{
	int alpha = 0, hyphen = 0;
	size_t i;

	if (s.n == 0 || !is_alnum((unsigned char)s.p[0]) || !is_alnum((unsigned char)s.p[s.n - 1]))
		return 0;
	for (i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c == '-')
			hyphen = 1;
		else if (is_alpha(c))
			alpha = 1;
		else if (!is_digit(c))
			return 0;
	}
	return alpha || hyphen;
}

/* domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand */
static int spf_domain_spec_ok(struct span s)
{
	struct span t;
	const char *dot;
	size_t tail;

	if (s.n == 0 || spf_macros(s, 0, &tail) != 0)
		return 0;
	if (tail == s.n)
		return 1;
	t = span_of(s.p + tail, s.n - tail);
	if (t.p[t.n - 1] == '.')
		t.n--;
	dot = t.n > 0 ? memrchr(t.p, '.', t.n) : NULL;
	if (dot == NULL)
		return 0;
	return spf_toplabel_ok(span_of(dot + 1, (size_t)(t.p + t.n - dot - 1)));
}

/* ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT), at most 32;
 * ip6-cidr-length = "/" ("0" / %x31-39 0*2DIGIT), at most 128. */
static int spf_cidr_ok(struct span d, unsigned max)
{
	unsigned v = 0;
	size_t i;

	if (d.n == 0 || d.n > 3 || !span_all(d, is_digit) || (d.n > 1 && d.p[0] == '0'))
		return 0;
	for (i = 0; i < d.n; i++)
		v = v * 10 + (unsigned)(d.p[i] - '0');
	return v <= max;
}

/* ip4-network / ip6-network [ cidr-length ], after "ip4:" or "ip6:". */
static int spf_ip_ok(struct span arg, int af)
{
	const char *slash = memchr(arg.p, '/', arg.n);
	struct span addr = span_of(arg.p, slash ? (size_t)(slash - arg.p) : arg.n);
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];

	if (addr.n == 0 || addr.n >= sizeof(buf) || memchr(addr.p, '\0', addr.n) != NULL)
		return 0;
	memcpy(buf, addr.p, addr.n);
	buf[addr.n] = '\0';
	if (inet_pton(af, buf, bin) != 1)
		return 0;
	if (slash == NULL)
		return 1;
	return spf_cidr_ok(span_of(slash + 1, (size_t)(arg.p + arg.n - slash - 1)),
	                   af == AF_INET ? 32 : 128);
}

/* Take a dual-cidr-length ( [ "/" n ] [ "//" n ] ) off the end of a or mx's
 * argument. A domain-spec cannot end in "/digits", so reading from the end
 * is unambiguous. -1 when a length is there but out of range. */
static int spf_dual_cidr(struct span *rest)
{
	const char *s = rest->n > 0 ? memrchr(rest->p, '/', rest->n) : NULL;
	struct span d;

	if (s == NULL)
		return 0;
	d = span_of(s + 1, (size_t)(rest->p + rest->n - s - 1));
	if (d.n == 0 || !span_all(d, is_digit))
		return 0;
	if (s > rest->p && s[-1] == '/') {
		if (!spf_cidr_ok(d, 128))
			return -1;
		rest->n = (size_t)(s - 1 - rest->p);
		s = rest->n > 0 ? memrchr(rest->p, '/', rest->n) : NULL;
		if (s == NULL)
			return 0;
		d = span_of(s + 1, (size_t)(rest->p + rest->n - s - 1));
		if (d.n == 0 || !span_all(d, is_digit))
			return 0;
	}
	if (!spf_cidr_ok(d, 32))
		return -1;
	rest->n = (size_t)(s - rest->p);
	return 0;
}

enum spf_mech {
	SPF_ALL,
	SPF_INCLUDE,
	SPF_A,
	SPF_MX,
	SPF_PTR,
	SPF_IP4,
	SPF_IP6,
	SPF_EXISTS,
};

/* RFC 7208 5: what each mechanism takes after its name. */
enum spf_arg {
	ARG_NONE,     /* all */
	ARG_DOMAIN,   /* include, exists: ":" domain-spec */
	ARG_OPT_DOM,  /* ptr: [ ":" domain-spec ] */
	ARG_DOM_CIDR, /* a, mx: [ ":" domain-spec ] [ dual-cidr-length ] */
	ARG_IP,       /* ip4, ip6: ":" network [ cidr-length ] */
};

/* clang-format off */
static const struct spf_mech_def {
	const char *name;
	enum spf_mech mech;
	enum spf_arg arg;
	int lookup; /* counts against the limit of 10 (4.6.4) */
} spf_mechs[] = {
	{"all", SPF_ALL, ARG_NONE, 0},
	{"include", SPF_INCLUDE, ARG_DOMAIN, 1},
	{"a", SPF_A, ARG_DOM_CIDR, 1},
	{"mx", SPF_MX, ARG_DOM_CIDR, 1},
	{"ptr", SPF_PTR, ARG_OPT_DOM, 1},
	{"ip4", SPF_IP4, ARG_IP, 0},
	{"ip6", SPF_IP6, ARG_IP, 0},
	{"exists", SPF_EXISTS, ARG_DOMAIN, 1},
};
/* clang-format on */

struct spf_state {
	size_t inc_cap;
	int redirect, exp; /* seen */
	struct span redirect_spec;
};

static int spf_modifier(struct spf *s, struct spf_state *st, struct span name, struct span v,
                        struct span term)
{
	char q[QUOTE_BUF];
	size_t tail;

	/* RFC 7208 6: redirect and exp "MUST NOT appear in a record more than
	 * once each"; unknown modifiers are ignored once their syntax holds. */
	if (span_ieq(name, "redirect") || span_ieq(name, "exp")) {
		int is_exp = span_ieq(name, "exp");
		int *seen = is_exp ? &st->exp : &st->redirect;

		if ((*seen)++)
			return rec_fail(s->error, "duplicate %s modifier",
			                is_exp ? "exp" : "redirect");
		if (!spf_domain_spec_ok(v))
			return rec_fail(s->error, "bad domain-spec in %s", rec_quote(q, term));
		if (!is_exp)
			st->redirect_spec = v;
		return 0;
	}
	if (spf_macros(v, 1, &tail) != 0)
		return rec_fail(s->error, "bad macro-string in %s", rec_quote(q, term));
	return 0;
}

static int spf_term(struct spf *s, struct spf_state *st, struct span term)
{
	char q[QUOTE_BUF];
	const struct spf_mech_def *m = NULL;
	struct span name, rest;
	char qual = '+';
	size_t i = 0;

	for (i = 0; i < term.n; i++)
		if ((unsigned char)term.p[i] < 0x21 || (unsigned char)term.p[i] > 0x7e)
			return rec_fail(s->error, "byte 0x%02X in term %s",
			                (unsigned char)term.p[i], rec_quote(q, term));
	/* modifier = name "=" ..., name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
	if (is_alpha((unsigned char)term.p[0])) {
		for (i = 1; i < term.n && (is_alnum((unsigned char)term.p[i]) ||
		                           in_set((unsigned char)term.p[i], "-_."));
		     i++)
			;
		if (i < term.n && term.p[i] == '=')
			return spf_modifier(s, st, span_of(term.p, i),
			                    span_of(term.p + i + 1, term.n - i - 1), term);
	}
	/* directive = [ qualifier ] mechanism */
	name = term;
	if (in_set((unsigned char)name.p[0], "+-?~")) {
		qual = name.p[0];
		name.p++;
		name.n--;
	}
	for (i = 0; i < name.n && name.p[i] != ':' && name.p[i] != '/'; i++)
		;
	rest = span_of(name.p + i, name.n - i);
	name.n = i;
	for (i = 0; i < ARRAY_LEN(spf_mechs); i++)
		if (span_ieq(name, spf_mechs[i].name))
			m = &spf_mechs[i];
	if (m == NULL)
		return rec_fail(s->error, "unknown mechanism %s", rec_quote(q, term));

	switch (m->arg) {
	case ARG_NONE:
		if (rest.n != 0)
			return rec_fail(s->error, "%s takes no argument: %s", m->name,
			                rec_quote(q, term));
		break;
	case ARG_DOM_CIDR:
		if (spf_dual_cidr(&rest) != 0)
			return rec_fail(s->error, "bad CIDR length in %s", rec_quote(q, term));
		/* fall through */
	case ARG_OPT_DOM:
		if (rest.n == 0)
			break;
		/* fall through */
	case ARG_DOMAIN:
		if (rest.n < 2 || rest.p[0] != ':' ||
		    !spf_domain_spec_ok(span_of(rest.p + 1, rest.n - 1)))
			return rec_fail(s->error, "bad domain-spec in %s", rec_quote(q, term));
		break;
	case ARG_IP:
		if (rest.n < 2 || rest.p[0] != ':' ||
		    !spf_ip_ok(span_of(rest.p + 1, rest.n - 1),
		               m->mech == SPF_IP4 ? AF_INET : AF_INET6))
			return rec_fail(s->error, "bad %s network in %s", m->name,
			                rec_quote(q, term));
		break;
	}

	s->lookups += m->lookup;
	if (m->mech == SPF_ALL && s->all == 0)
		s->all = qual; /* the first "all" ends evaluation */
	if (m->mech == SPF_PTR)
		s->has_ptr = 1;
	if (m->mech == SPF_INCLUDE) {
		if (s->nincludes >= REC_MAX_LIST)
			return rec_fail(s->error, "more than %d include mechanisms", REC_MAX_LIST);
		list_add(&s->includes, &s->nincludes, &st->inc_cap, span_of(rest.p + 1, rest.n - 1),
		         0);
	}
	return 0;
}

int spf_is_record(const char *txt, size_t len)
{
	/* RFC 7208 4.5: "v=spf1", then the end or a space. */
	return txt != NULL && len >= 6 && span_ieq(span_of(txt, 6), "v=spf1") &&
	       (len == 6 || txt[6] == ' ');
}

int spf_parse(const char *txt, size_t len, struct spf *out)
{
	struct spf_state st = {0};
	struct span in = input(txt, len), term;
	char q[QUOTE_BUF], err[REC_ERR_LEN];
	size_t i;

	memset(out, 0, sizeof(*out));
	if (in.n > REC_MAX_LEN) {
		rec_fail(out->error, "record too long (%zu bytes)", in.n);
		goto fail;
	}
	if (!spf_is_record(in.p, in.n)) {
		rec_fail(out->error, "does not begin with \"v=spf1\": %s",
		         rec_quote(q, span_of(in.p, in.n < 16 ? in.n : 16)));
		goto fail;
	}
	/* terms = *( 1*SP ( directive / modifier ) ), record ends in *SP */
	i = 6;
	while (i < in.n) {
		while (i < in.n && in.p[i] == ' ')
			i++;
		if (i == in.n)
			break;
		term.p = in.p + i;
		while (i < in.n && in.p[i] != ' ')
			i++;
		term.n = (size_t)(in.p + i - term.p);
		if (spf_term(out, &st, term) != 0)
			goto fail;
	}
	/* RFC 7208 6.1: redirect "MUST be ignored if there is an 'all'
	 * mechanism anywhere in the record": not followed, not counted. */
	if (st.redirect && out->all == 0) {
		out->redirect = span_dup(st.redirect_spec, 0);
		out->lookups++;
	}
	return 0;
fail:
	memcpy(err, out->error, sizeof(err));
	spf_free(out);
	memcpy(out->error, err, sizeof(err));
	return -1;
}

void spf_free(struct spf *s)
{
	list_free(&s->includes, &s->nincludes);
	free(s->redirect);
	memset(s, 0, sizeof(*s));
}

/* ---- DMARC (RFC 7489 6.3, 6.4) ---- */

struct dm_state {
	struct dmarc *d;
	size_t rua_cap, ruf_cap;
};

typedef int (*dm_fn)(struct dm_state *st, struct span v);

static int dm_bad(struct dm_state *st, const char *tag, struct span v)
{
	char q[QUOTE_BUF];
	return rec_fail(st->d->error, "bad %s value %s", tag, rec_quote(q, v));
}

static int dm_v(struct dm_state *st, struct span v)
{
	char q[QUOTE_BUF];

	/* dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31 */
	if (!span_eq(v, "DMARC1"))
		return rec_fail(st->d->error, "v value %s is not DMARC1 (a missing ';'?)",
		                rec_quote(q, v));
	return 0;
}

static int dm_policy(struct dm_state *st, struct span v, const char *tag, enum dmarc_policy *out)
{
	if (span_ieq(v, "none"))
		*out = DMARC_NONE;
	else if (span_ieq(v, "quarantine"))
		*out = DMARC_QUARANTINE;
	else if (span_ieq(v, "reject"))
		*out = DMARC_REJECT;
	else
		return dm_bad(st, tag, v);
	return 0;
}

static int dm_p(struct dm_state *st, struct span v)
{
	return dm_policy(st, v, "p", &st->d->p);
}

static int dm_sp(struct dm_state *st, struct span v)
{
	return dm_policy(st, v, "sp", &st->d->sp);
}

static int dm_pct(struct dm_state *st, struct span v)
{
	int pct = 0;

	/* dmarc-percent = "pct" *WSP "=" *WSP 1*3DIGIT, 0..100 */
	if (v.n == 0 || v.n > 3 || !span_all(v, is_digit))
		return dm_bad(st, "pct", v);
	for (size_t i = 0; i < v.n; i++)
		pct = pct * 10 + (v.p[i] - '0');
	if (pct > 100)
		return dm_bad(st, "pct", v);
	st->d->pct = pct;
	return 0;
}

static int dm_rua(struct dm_state *st, struct span v)
{
	return uri_list(v, &st->d->rua, &st->d->nrua, &st->rua_cap, URI_DMARC, "rua", st->d->error);
}

static int dm_ruf(struct dm_state *st, struct span v)
{
	return uri_list(v, &st->d->ruf, &st->d->nruf, &st->ruf_cap, URI_DMARC, "ruf", st->d->error);
}

static int dm_align(struct dm_state *st, struct span v, const char *tag, char *out)
{
	if (!span_ieq(v, "r") && !span_ieq(v, "s"))
		return dm_bad(st, tag, v);
	*out = (char)to_lower((unsigned char)v.p[0]);
	return 0;
}

static int dm_adkim(struct dm_state *st, struct span v)
{
	return dm_align(st, v, "adkim", &st->d->adkim);
}

static int dm_aspf(struct dm_state *st, struct span v)
{
	return dm_align(st, v, "aspf", &st->d->aspf);
}

static int dm_ri(struct dm_state *st, struct span v)
{
	unsigned long long ri = 0;

	/* dmarc-ainterval = "ri" *WSP "=" *WSP 1*DIGIT, a 32-bit count */
	if (v.n == 0 || v.n > 10 || !span_all(v, is_digit))
		return dm_bad(st, "ri", v);
	for (size_t i = 0; i < v.n; i++)
		ri = ri * 10 + (unsigned)(v.p[i] - '0');
	if (ri > UINT32_MAX)
		return dm_bad(st, "ri", v);
	return 0;
}

/* A ":"-separated list, WSP around the colons: fo and rf. */
static int dm_colon_list(struct dm_state *st, struct span v, const char *tag,
                         int (*ok)(struct span))
{
	struct cut c;
	struct span item;

	cut_init(&c, v);
	while (cut_next(&c, ':', &item))
		if (!ok(span_trim(item)))
			return dm_bad(st, tag, v);
	return 0;
}

/* dmarc-fo = "fo" *WSP "=" *WSP ( "0" / "1" / "d" / "s" ) *(...) */
static int dm_fo_item(struct span s)
{
	return s.n == 1 && in_set(to_lower((unsigned char)s.p[0]), "01ds");
}

/* Keyword (RFC 5321) = Ldh-str: letters, digits, hyphens, not ending in one */
static int dm_rf_item(struct span s)
{
	if (s.n == 0 || !is_alnum((unsigned char)s.p[s.n - 1]))
		return 0;
	for (size_t i = 0; i < s.n; i++)
		if (!is_alnum((unsigned char)s.p[i]) && s.p[i] != '-')
			return 0;
	return 1;
}

static int dm_fo(struct dm_state *st, struct span v)
{
	return dm_colon_list(st, v, "fo", dm_fo_item);
}

static int dm_rf(struct dm_state *st, struct span v)
{
	return dm_colon_list(st, v, "rf", dm_rf_item);
}

/* The tags RFC 7489 6.3 defines; any other is ignored. */
/* clang-format off */
static const struct dm_tag {
	const char *name;
	dm_fn fn;
} dm_tags[] = {
	{"v", dm_v},
	{"p", dm_p},
	{"sp", dm_sp},
	{"pct", dm_pct},
	{"rua", dm_rua},
	{"ruf", dm_ruf},
	{"adkim", dm_adkim},
	{"aspf", dm_aspf},
	{"ri", dm_ri},
	{"fo", dm_fo},
	{"rf", dm_rf},
};
/* clang-format on */

int dmarc_is_record(const char *txt, size_t len)
{
	struct span s;

	/* RFC 7489 6.4: "v" *WSP "=" *WSP "DMARC1", first in the record. */
	if (txt == NULL || len < 1 || (txt[0] != 'v' && txt[0] != 'V'))
		return 0;
	s = span_ltrim(span_of(txt + 1, len - 1));
	if (s.n < 1 || s.p[0] != '=')
		return 0;
	s = span_ltrim(span_of(s.p + 1, s.n - 1));
	if (s.n < 6 || memcmp(s.p, "DMARC1", 6) != 0)
		return 0;
	return s.n == 6 || is_wsp((unsigned char)s.p[6]) || s.p[6] == ';';
}

/* tag-name (RFC 6376 3.2, whose tag-list DMARC borrows): ALPHA *ALNUMPUNC */
static int dm_name_ok(struct span s)
{
	if (s.n == 0 || !is_alpha((unsigned char)s.p[0]))
		return 0;
	for (size_t i = 1; i < s.n; i++)
		if (!is_alnum((unsigned char)s.p[i]) && s.p[i] != '_')
			return 0;
	return 1;
}

int dmarc_parse(const char *txt, size_t len, struct dmarc *out)
{
	struct dm_state st = {out, 0, 0};
	struct span in = input(txt, len), f, name;
	char q[QUOTE_BUF], err[REC_ERR_LEN];
	unsigned seen = 0;
	struct cut c;
	const char *eq;
	size_t i, k;

	memset(out, 0, sizeof(*out));
	out->p = out->sp = DMARC_UNSET;
	out->pct = 100;
	out->adkim = out->aspf = 'r';
	if (in.n > REC_MAX_LEN) {
		rec_fail(out->error, "record too long (%zu bytes)", in.n);
		goto fail;
	}
	if (!dmarc_is_record(in.p, in.n)) {
		rec_fail(out->error, "does not begin with \"v=DMARC1\": %s",
		         rec_quote(q, span_of(in.p, in.n < 16 ? in.n : 16)));
		goto fail;
	}
	/* dmarc-value = %x20-3A / %x3C-7E, with WSP between the parts */
	for (i = 0; i < in.n; i++) {
		unsigned char ch = (unsigned char)in.p[i];

		if ((ch < 0x20 && ch != '\t') || ch > 0x7e) {
			rec_fail(out->error, "byte 0x%02X at offset %zu", ch, i);
			goto fail;
		}
	}
	cut_init(&c, in);
	while (cut_next(&c, ';', &f)) {
		f = span_trim(f);
		if (f.n == 0)
			continue; /* ";;" and a final ";" are harmless */
		eq = memchr(f.p, '=', f.n);
		if (eq == NULL) {
			rec_fail(out->error, "tag without '=': %s", rec_quote(q, f));
			goto fail;
		}
		name = span_rtrim(span_of(f.p, (size_t)(eq - f.p)));
		if (!dm_name_ok(name)) {
			rec_fail(out->error, "bad tag name %s", rec_quote(q, name));
			goto fail;
		}
		for (k = 0; k < ARRAY_LEN(dm_tags); k++)
			if (span_ieq(name, dm_tags[k].name))
				break;
		if (k == ARRAY_LEN(dm_tags))
			continue;
		/* RFC 6376 3.2: a tag named twice invalidates the list. */
		if (seen & (1u << k)) {
			rec_fail(out->error, "duplicate %s tag", dm_tags[k].name);
			goto fail;
		}
		seen |= 1u << k;
		if (dm_tags[k].fn(&st, span_ltrim(span_of(eq + 1, f.n - (size_t)(eq - f.p) - 1))) !=
		    0)
			goto fail;
	}
	/* RFC 7489 6.3 makes p required; being lenient we accept it anywhere
	 * after v, not only second. */
	if (out->p == DMARC_UNSET) {
		rec_fail(out->error, "no p tag");
		goto fail;
	}
	return 0;
fail:
	memcpy(err, out->error, sizeof(err));
	dmarc_free(out);
	memcpy(out->error, err, sizeof(err));
	return -1;
}

void dmarc_free(struct dmarc *d)
{
	list_free(&d->rua, &d->nrua);
	list_free(&d->ruf, &d->nruf);
	memset(d, 0, sizeof(*d));
	d->p = d->sp = DMARC_UNSET;
}
