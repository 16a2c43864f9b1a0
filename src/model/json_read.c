/* json_read.c - a mailtls/1 document (or its JSON lines) back into the
 * result model, through jansson. The field names and their meaning are
 * docs/json.md's; the writer is report/json.c and report/json_domain.c,
 * and what one writes the other reads, so that rendering a document read
 * back gives what the original run printed (tests/unit/model).
 *
 * One sticky error, like the rd cursor (STYLE.md 2): the first problem is
 * kept with its path ("endpoints[0].ciphers[3].code"), and everything after
 * it is skipped cheaply. Missing fields are absent (additive changes keep
 * mailtls/1); wrong types, out-of-range numbers and unknown names in closed
 * sets are errors: a closed set the model holds as an enum (MTA-STS mode,
 * DMARC policy, verdict, MX policy, certificate chain, OCSP statuses) is
 * read through its parse function, the
 * inverse of the name table the writer used. Strings that a renderer prints
 * without escaping (cipher names, the key, the grade letter: values this
 * program makes) must be printable ASCII, so a hostile document cannot
 * reach a terminal or a page through them. */
#include "model/json_read.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "model/domain.h"
#include "tls/verify.h"

#define SCHEMA "mailtls/1"
#define SCHEMA_PREFIX "mailtls/"

struct jr {
	struct err *e;
	enum json_read_status status; /* JR_OK until the first problem */
	char path[200];               /* where we are: "endpoints[0].tls" */
	size_t plen;
	size_t line; /* JSON lines: the line read, else 0 */
};

static void PRINTF(3, 4) fail(struct jr *j, const char *key, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (j->status != JR_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	j->status = JR_INVALID;
	const char *p = j->path[0] == '.' ? j->path + 1 : j->path;
	char line[32] = "";
	if (j->line)
		snprintf(line, sizeof line, "line %zu: ", j->line);
	err_set(j->e, ERR_PROTOCOL, "invalid mailtls/1 document: %s%s%s%s: %s", line, p,
	        key && *p ? "." : "", key ? key : "", msg);
}

/* Descend into a member or an element; pop() returns to the mark. */
static size_t push(struct jr *j, const char *key, long idx)
{
	size_t mark = j->plen;
	int n = idx >= 0 ? snprintf(j->path + j->plen, sizeof j->path - j->plen, "%s%s[%ld]",
	                            key ? "." : "", key ? key : "", idx)
	                 : snprintf(j->path + j->plen, sizeof j->path - j->plen, ".%s", key);
	if (n > 0)
		j->plen =
		    j->plen + (size_t)n < sizeof j->path ? j->plen + (size_t)n : sizeof j->path - 1;
	return mark;
}

static void pop(struct jr *j, size_t mark)
{
	j->plen = mark;
	j->path[mark] = '\0';
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	                              : -1;
}

/* The writer's esc_utf8 undone: "\\" is one backslash, "\xHH" one byte;
 * anything else is copied. Returns a NUL-terminated copy of n' <= n bytes. */
static char *unesc(const char *s, size_t n, size_t *outlen)
{
	char *o = xmalloc(n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n;) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\') {
			o[k++] = '\\';
			i += 2;
		} else if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
		           hexval(s[i + 3]) >= 0) {
			o[k++] = (char)(hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
			i += 4;
		} else {
			o[k++] = s[i++];
		}
	}
	o[k] = '\0';
	*outlen = k;
	return o;
}

/* A member, or NULL when o is not an object or the key is missing. */
static json_t *member(json_t *o, const char *k)
{
	return json_is_object(o) ? json_object_get(o, k) : NULL;
}

/* A string or null: *slot is the unescaped bytes (a C string: cut at a NUL
 * the document encoded as \x00), NULL for null; missing leaves it. */
static void get_str(struct jr *j, json_t *o, const char *k, char **slot)
{
	json_t *v = member(o, k);
	size_t n;

	if (j->status != JR_OK || !v)
		return;
	if (json_is_null(v)) {
		free(*slot);
		*slot = NULL;
		return;
	}
	if (!json_is_string(v)) {
		fail(j, k, "expected a string or null");
		return;
	}
	free(*slot);
	*slot = unesc(json_string_value(v), json_string_length(v), &n);
}

/* A value this program makes and a renderer may print as it is. */
static void get_token(struct jr *j, json_t *o, const char *k, char **slot)
{
	get_str(j, o, k, slot);
	for (const char *p = *slot; j->status == JR_OK && p && *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			fail(j, k, "expected printable ASCII");
}

/* A string that names a value (an enum): its text, or NULL when null or
 * missing (absent) or of another type (an error). */
static const char *get_name(struct jr *j, json_t *o, const char *k)
{
	json_t *v = member(o, k);

	if (j->status != JR_OK || !v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		fail(j, k, "expected a string");
		return NULL;
	}
	return json_string_value(v);
}

static void get_bool(struct jr *j, json_t *o, const char *k, int *slot)
{
	json_t *v = member(o, k);

	if (j->status != JR_OK || !v || json_is_null(v))
		return;
	if (!json_is_boolean(v))
		fail(j, k, "expected true or false");
	else
		*slot = json_is_true(v);
}

/* true, false or null (-1) */
static void get_tri(struct jr *j, json_t *o, const char *k, int *slot)
{
	json_t *v = member(o, k);

	if (j->status != JR_OK || !v)
		return;
	if (json_is_null(v))
		*slot = -1;
	else if (!json_is_boolean(v))
		fail(j, k, "expected true, false or null");
	else
		*slot = json_is_true(v);
}

/* An integer in [lo, hi] (1, *v), null (1, *v = nul), missing (0). */
static int get_ll(struct jr *j, json_t *o, const char *k, long long lo, long long hi, long long nul,
                  long long *v)
{
	json_t *m = member(o, k);

	if (j->status != JR_OK || !m)
		return 0;
	if (json_is_null(m)) {
		*v = nul;
		return 1;
	}
	if (!json_is_integer(m)) {
		fail(j, k, "expected an integer");
		return 0;
	}
	json_int_t x = json_integer_value(m);
	if (x < lo || x > hi) {
		fail(j, k, "out of range (%lld..%lld)", lo, hi);
		return 0;
	}
	*v = x;
	return 1;
}

#define GET_INT(...) GET_INT_(__VA_ARGS__) /* expands ANY_INT first */
#define GET_INT_(o, k, lo, hi, nul, lvalue)                                                        \
	do {                                                                                       \
		long long v_;                                                                      \
		if (get_ll(j, (o), (k), (lo), (hi), (nul), &v_))                                   \
			(lvalue) = v_;                                                             \
	} while (0)
#define ANY_INT INT_MIN, INT_MAX
#define ANY_LONG LONG_MIN, LONG_MAX

static void get_num(struct jr *j, json_t *o, const char *k, double *slot)
{
	json_t *v = member(o, k);

	if (j->status != JR_OK || !v || json_is_null(v))
		return;
	if (!json_is_number(v))
		fail(j, k, "expected a number");
	else
		*slot = json_number_value(v);
}

/* An object, or NULL when null or missing (or not an object: an error). */
static json_t *get_obj(struct jr *j, json_t *o, const char *k)
{
	json_t *v = member(o, k);

	if (j->status != JR_OK || !v || json_is_null(v))
		return NULL;
	if (!json_is_object(v)) {
		fail(j, k, "expected an object or null");
		return NULL;
	}
	return v;
}

static json_t *get_arr(struct jr *j, json_t *o, const char *k)
{
	json_t *v = member(o, k);

	if (j->status != JR_OK || !v || json_is_null(v))
		return NULL;
	if (!json_is_array(v)) {
		fail(j, k, "expected an array or null");
		return NULL;
	}
	return v;
}

/* An array of strings into a vector (replacing it); null or missing: empty. */
static void get_strv(struct jr *j, json_t *o, const char *k, char ***v, size_t *n)
{
	json_t *a = get_arr(j, o, k);
	size_t len = json_array_size(a), got = 0;

	if (!a || len == 0)
		return;
	char **out = xcalloc(len, sizeof(*out));
	for (size_t i = 0; i < len && j->status == JR_OK; i++) {
		json_t *s = json_array_get(a, i);
		size_t sl;
		if (!json_is_string(s)) {
			size_t mark = push(j, k, (long)i);
			fail(j, NULL, "expected a string");
			pop(j, mark);
			break;
		}
		out[got++] = unesc(json_string_value(s), json_string_length(s), &sl);
	}
	strv_free(*v, *n);
	*v = out;
	*n = got;
}

static void get_sec(struct jr *j, json_t *o, const char *k, enum zone_sec *slot)
{
	json_t *v = member(o, k);
	const char *s = get_name(j, o, k);

	if (j->status != JR_OK || !v)
		return;
	if (!s)
		*slot = SEC_UNKNOWN;
	else if (strcmp(s, "secure") == 0)
		*slot = SEC_SECURE;
	else if (strcmp(s, "insecure") == 0)
		*slot = SEC_INSECURE;
	else if (strcmp(s, "bogus") == 0)
		*slot = SEC_BOGUS;
	else
		fail(j, k, "expected \"secure\", \"insecure\", \"bogus\" or null");
}

static int proto_parse(const char *s, enum tls_proto *p)
{
	for (int i = 0; s && i < P_COUNT; i++)
		if (strcmp(s, tls_proto_name((enum tls_proto)i)) == 0) {
			*p = (enum tls_proto)i;
			return 0;
		}
	return -1;
}

static void get_proto(struct jr *j, json_t *o, const char *k, enum tls_proto *p)
{
	const char *s = get_name(j, o, k);

	if (j->status == JR_OK && proto_parse(s, p) != 0)
		fail(j, k, "expected a protocol name (SSLv2, SSLv3, TLSv1.0 .. TLSv1.3)");
}

/* "0xC030", "0x0700C0": docs/json.md's code points. */
static void get_code(struct jr *j, json_t *o, const char *k, uint32_t *code)
{
	const char *s = get_name(j, o, k);
	uint32_t v = 0;
	size_t n = s ? strlen(s) : 0;

	if (j->status != JR_OK || !s)
		return; /* absent */
	if (n < 3 || n > 10 || s[0] != '0' || s[1] != 'x') {
		fail(j, k, "expected a code point (\"0xC030\")");
		return;
	}
	for (size_t i = 2; i < n; i++) {
		if (hexval(s[i]) < 0) {
			fail(j, k, "expected a code point (\"0xC030\")");
			return;
		}
		v = v << 4 | (uint32_t)hexval(s[i]);
	}
	*code = v;
}

static void get_sev(struct jr *j, json_t *o, const char *k, enum severity *sev)
{
	const char *s = get_name(j, o, k);

	if (j->status == JR_OK && (!s || severity_parse(s, sev) != 0))
		fail(j, k, "expected a severity (ok, info, low, medium, high, critical)");
}

/* A closed set's name into its enum through parse (the model's name
 * table): null leaves the unset value (0), missing leaves it as it is, an
 * unknown name is an error. */
#define GET_ENUM(o, k, parse, lvalue, what)                                                        \
	do {                                                                                       \
		json_t *v_ = member((o), (k));                                                     \
		const char *s_ = get_name(j, (o), (k));                                            \
		typeof(lvalue) e_ = 0;                                                             \
		if (j->status == JR_OK && v_ && s_ && parse(s_, &e_) != 0)                        \
			fail(j, (k), what);                                                        \
		else if (j->status == JR_OK && v_)                                                 \
			(lvalue) = e_;                                                             \
	} while (0)

/* Run the reader f on each object of the array o[k]. */
typedef void (*each_fn)(struct jr *j, json_t *item, void *arg);

static void each(struct jr *j, json_t *o, const char *k, each_fn f, void *arg)
{
	json_t *a = get_arr(j, o, k);

	for (size_t i = 0; a && i < json_array_size(a) && j->status == JR_OK; i++) {
		size_t mark = push(j, k, (long)i);
		json_t *item = json_array_get(a, i);
		if (!json_is_object(item))
			fail(j, NULL, "expected an object");
		else
			f(j, item, arg);
		pop(j, mark);
	}
}

/* ------------------------------------------------------------------ errors, findings */

struct err_vec {
	struct result *r;    /* run level, or */
	struct endpoint *ep; /* an endpoint's */
};

static void read_error(struct jr *j, json_t *o, void *arg)
{
	struct err_vec *v = arg;
	char *stage = NULL, *msg = NULL;
	enum err_cat cat = ERR_NONE;

	get_str(j, o, "stage", &stage);
	GET_ENUM(o, "category", err_cat_parse, cat,
	         "expected an error category (usage, resolve, connect, timeout, protocol, tls, "
	         "io, limit, local, busy, internal, none)");
	get_str(j, o, "message", &msg);
	if (j->status == JR_OK) {
		/* a stage this build does not know is kept by name (docs/json.md:
		 * the set may grow), as a missing one is kept empty */
		enum err_stage st = STAGE_OTHER;
		if (!stage || err_stage_parse(stage, &st) != 0)
			st = STAGE_OTHER;
		struct ep_error *e = v->ep ? ep_add_error(v->ep, st, cat, msg ? msg : "")
		                           : result_add_error(v->r, st, cat, msg ? msg : "");
		if (st == STAGE_OTHER) {
			e->stage_other = stage ? stage : xstrdup("");
			stage = NULL;
		}
	}
	free(stage);
	free(msg);
}

struct finding_vec {
	struct finding **v;
	size_t *n, *cap;
};

static void read_finding(struct jr *j, json_t *o, void *arg)
{
	struct finding_vec *fv = arg;
	char *id = NULL, *title = NULL, *detail = NULL, *fix = NULL;
	enum severity sev = SEV_OK;

	get_str(j, o, "id", &id);
	get_sev(j, o, "severity", &sev);
	get_str(j, o, "title", &title);
	get_str(j, o, "detail", &detail);
	get_str(j, o, "fix", &fix);
	if (j->status == JR_OK) {
		struct finding *f = findings_push(fv->v, fv->n, fv->cap, id ? id : "", sev,
		                                  title ? title : "", detail, fix);
		get_strv(j, o, "cve", &f->cve, &f->ncve);
	}
	free(id);
	free(title);
	free(detail);
	free(fix);
}

/* The battery's entries (docs/vulns.md); an id the reader does not know
 * is kept (a newer battery). */
static void read_vuln(struct jr *j, json_t *o, void *arg)
{
	struct endpoint *ep = arg;
	char *id = NULL;
	get_str(j, o, "id", &id);
	if (j->status != JR_OK || !id) {
		if (j->status == JR_OK)
			fail(j, "id", "missing");
		free(id);
		return;
	}
	struct vuln *v = ep_vuln(ep, id);
	free(id);
	GET_ENUM(o, "verdict", vuln_verdict_parse, v->verdict,
	         "expected vulnerable, not-vulnerable, not-applicable or unknown");
	get_str(j, o, "reason", &v->reason);
	get_strv(j, o, "cve", &v->cve, &v->ncve);
	get_str(j, o, "evidence", &v->evidence);
	GET_INT(o, "connections", 0, INT_MAX, 0, v->connections);
	get_str(j, o, "finding", &v->finding);
}

/* ------------------------------------------------------------------ an endpoint */

static void read_dialogue(struct jr *j, json_t *o, struct dialogue *g)
{
	if (!o)
		return;
	g->ran = 1;
	GET_INT(o, "greeting_code", ANY_INT, 0, g->greeting_code);
	get_str(j, o, "greeting", &g->greeting);
	get_num(j, o, "greeting_ms", &g->greeting_ms);
	GET_INT(o, "hello_code", ANY_INT, 0, g->hello_code);
	get_strv(j, o, "capabilities", &g->caps_pre, &g->ncaps_pre);
	g->capcaps_pre = g->ncaps_pre;
	if (get_arr(j, o, "capabilities_tls")) {
		get_strv(j, o, "capabilities_tls", &g->caps_post, &g->ncaps_post);
		g->capcaps_post = g->ncaps_post;
		g->caps_post_known = 1;
	}
	get_bool(j, o, "starttls_advertised", &g->starttls_advertised);
	get_str(j, o, "starttls_masked", &g->starttls_masked);
	get_bool(j, o, "starttls_sent", &g->starttls_sent);
	get_bool(j, o, "starttls_ok", &g->starttls_ok);
	GET_INT(o, "starttls_code", ANY_INT, 0, g->starttls_code);
	get_str(j, o, "starttls_reply", &g->starttls_reply);
	get_str(j, o, "auth_clear", &g->auth_clear);
	g->auth_pre = g->auth_clear != NULL;
	get_bool(j, o, "auth_tls", &g->auth_tls);
	get_bool(j, o, "preauth", &g->preauth);
	GET_INT(o, "pipelined_bytes", 0, LLONG_MAX, 0, g->pipelined_bytes);
	GET_INT(o, "throttled", ANY_INT, 0, g->throttled);
	get_bool(j, o, "silent", &g->silent);
	get_bool(j, o, "implicit_answered", &g->implicit_answered);
}

/* into verify_errors, allocated for the whole array by read_tls */
static void read_verify_error(struct jr *j, json_t *o, void *arg)
{
	struct tls_summary *t = arg;
	struct verify_error *v = &t->verify_errors[t->nverify_errors++];
	GET_INT(o, "code", ANY_LONG, 0, v->code);
	GET_INT(o, "depth", ANY_INT, 0, v->depth);
	get_str(j, o, "message", &v->message);
	v->kind = tls_verify_of_code(v->code); /* as tls/ossl.c fills it */
}

static void read_tls(struct jr *j, json_t *o, struct tls_summary *t)
{
	if (!o)
		return;
	t->done = 1;
	get_proto(j, o, "version", &t->version);
	get_str(j, o, "cipher", &t->cipher);
	get_str(j, o, "cipher_openssl", &t->cipher_openssl);
	get_code(j, o, "cipher_code", &t->cipher_code);
	get_str(j, o, "group", &t->group);
	get_num(j, o, "handshake_ms", &t->handshake_ms);
	json_t *v = get_obj(j, o, "verify");
	if (v) {
		size_t mark = push(j, "verify", -1);
		GET_INT(v, "code", ANY_LONG, -1, t->verify_code);
		get_str(j, v, "message", &t->verify_message);
		get_bool(j, v, "hostname_checked", &t->hostname_checked);
		get_str(j, v, "name", &t->verify_name);
		json_t *errs = get_arr(j, v, "errors");
		if (errs && json_array_size(errs)) {
			t->verify_errors =
			    xcalloc(json_array_size(errs), sizeof(*t->verify_errors));
			each(j, v, "errors", read_verify_error, t);
		}
		pop(j, mark);
	}
	json_t *s = get_obj(j, o, "ocsp");
	if (s) {
		size_t mark = push(j, "ocsp", -1);
		get_bool(j, s, "stapled", &t->ocsp_stapled);
		GET_ENUM(s, "status", ocsp_status_parse, t->ocsp_status,
		         "expected an OCSP response status (successful, malformedrequest, "
		         "internalerror, trylater, sigrequired, unauthorized, (UNKNOWN), "
		         "unparsable) or null");
		GET_ENUM(s, "cert_status", ocsp_cert_status_parse, t->ocsp_cert_status,
		         "expected an OCSP certificate status (good, revoked, unknown) or null");
		/* LONG_MIN is the model's "unknown" (OCSP_UNKNOWN) */
		GET_INT(s, "age_s", LONG_MIN + 1, LONG_MAX, OCSP_UNKNOWN, t->ocsp_age_s);
		GET_INT(s, "expires_s", LONG_MIN + 1, LONG_MAX, OCSP_UNKNOWN, t->ocsp_expires_s);
		pop(j, mark);
	}
	get_tri(j, o, "secure_renegotiation", &t->secure_reneg);
}

static void read_protocol(struct jr *j, json_t *o, void *arg)
{
	struct endpoint *ep = arg;
	enum tls_proto p = P_SSLV2;
	int offered = -1;
	char *reason = NULL;

	get_proto(j, o, "name", &p);
	get_tri(j, o, "offered", &offered);
	get_str(j, o, "reason", &reason);
	if (j->status == JR_OK) {
		ep_set_protocol(ep, p, offered);
		ep_set_protocol_reason(ep, p, reason);
	}
	free(reason);
}

static void read_cipher(struct jr *j, json_t *o, void *arg)
{
	struct endpoint *ep = arg;
	enum tls_proto p = P_SSLV2;
	uint32_t code = 0;

	get_proto(j, o, "protocol", &p);
	get_code(j, o, "code", &code);
	if (j->status != JR_OK)
		return;
	struct cipher_entry *c = ep_add_cipher(ep, p, code, NULL, NULL, NULL, NULL, NULL, 0, 0);
	get_token(j, o, "iana", &c->iana);
	get_token(j, o, "openssl", &c->openssl);
	get_token(j, o, "kx", &c->kx);
	get_token(j, o, "auth", &c->au);
	get_token(j, o, "enc", &c->enc);
	c->kx_kind = tls_kx_of_openssl(c->kx); /* as ep_add_cipher fills them */
	c->au_kind = tls_au_of_openssl(c->au);
	GET_INT(o, "bits", ANY_INT, 0, c->bits);
	GET_INT(o, "order", ANY_INT, 0, c->order);
}

static void read_cert(struct jr *j, json_t *o, void *arg)
{
	struct cert_entry *c = ep_add_cert(arg);

	GET_INT(o, "depth", ANY_INT, 0, c->depth);
	GET_ENUM(o, "chain", cert_chain_parse, c->chain, "expected a chain (default, ecdsa, rsa)");
	get_str(j, o, "subject", &c->subject);
	get_str(j, o, "issuer", &c->issuer);
	get_str(j, o, "serial", &c->serial);
	get_str(j, o, "not_before", &c->not_before);
	get_str(j, o, "not_after", &c->not_after);
	get_token(j, o, "key", &c->key);
	get_str(j, o, "sig_alg", &c->sig_alg);
	c->sig_hash = sig_hash_of_alg(c->sig_alg); /* as tlsdesc.c fills it */
	get_str(j, o, "sha256", &c->sha256);
	get_strv(j, o, "san", &c->san, &c->nsan);
	char *kt = NULL;
	get_str(j, o, "key_type", &kt);
	/* the set is OpenSSL's: a name not in the table is kept as it is */
	if (kt && key_type_parse(kt, &c->key_type) != 0) {
		c->key_type = KEY_TYPE_OTHER;
		c->key_type_other = kt;
		kt = NULL;
	}
	free(kt);
	GET_INT(o, "key_bits", ANY_INT, 0, c->key_bits);
	GET_INT(o, "days_left", ANY_LONG, 0, c->days_left);
	get_str(j, o, "spki_sha256", &c->spki_sha256);
	get_strv(j, o, "ocsp_uris", &c->ocsp_uris, &c->nocsp_uris);
	get_strv(j, o, "ca_issuers", &c->ca_issuers, &c->nca_issuers);
	get_strv(j, o, "crl_uris", &c->crl_uris, &c->ncrl_uris);
	get_bool(j, o, "must_staple", &c->must_staple);
	GET_INT(o, "sct_count", ANY_INT, 0, c->sct_count);
	get_bool(j, o, "self_signed", &c->self_signed);
	get_str(j, o, "pem", &c->pem);
}

static void read_tline(struct jr *j, json_t *o, void *arg)
{
	double t_ms = 0;
	const char *dir = get_name(j, o, "dir");
	json_t *text = member(o, "text");

	get_num(j, o, "t_ms", &t_ms);
	if (j->status != JR_OK)
		return;
	if (!dir || (strcmp(dir, "S") != 0 && strcmp(dir, "C") != 0)) {
		fail(j, "dir", "expected \"S\" or \"C\"");
		return;
	}
	if (text && !json_is_string(text)) {
		fail(j, "text", "expected a string");
		return;
	}
	size_t n = 0;
	char *raw = text ? unesc(json_string_value(text), json_string_length(text), &n) : NULL;
	/* the transcript keeps a length: a NUL the server sent stays */
	ep_add_tline(arg, t_ms, dir[0], raw ? raw : "", n);
	free(raw);
}

static void read_group(struct jr *j, json_t *o, const char *k, struct endpoint *ep)
{
	/* not ep_add_group: it looks for duplicates, quadratic on a huge array */
	get_strv(j, o, k, &ep->groups, &ep->ngroups);
	ep->capgroups = ep->ngroups;
}

static void read_server_order(struct jr *j, json_t *o, struct endpoint *ep)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		enum tls_proto p;
		if (j->status != JR_OK)
			return;
		if (proto_parse(k, &p) != 0) {
			fail(j, NULL, "a key is not a protocol name (SSLv2 .. TLSv1.3)");
			return;
		}
		get_tri(j, o, k, &ep->server_order[p]);
	}
}

/* Letters are "A+", "A" .. "F" (checks/grade.c); the renderers print the
 * letter as it is, also in an HTML class name. */
static void read_grade(struct jr *j, json_t *o, struct endpoint *ep)
{
	const char *l = get_name(j, o, "letter");

	if (j->status != JR_OK)
		return;
	if (!l || l[0] < 'A' || l[0] > 'F' || (l[1] && ((l[1] != '+' && l[1] != '-') || l[2]))) {
		fail(j, "letter", "expected a grade letter (A+, A .. F)");
		return;
	}
	snprintf(ep->grade, sizeof ep->grade, "%s", l);
	GET_INT(o, "score", ANY_INT, 0, ep->score);
	get_strv(j, o, "caps", &ep->grade_caps, &ep->ngrade_caps);
	get_str(j, o, "authentication", &ep->auth_verdict);
}

static void read_defaults(struct jr *j, json_t *o, struct endpoint *ep)
{
	typeof(ep->defaults) *d = &ep->defaults;

	d->probed = 1;
	get_strv(j, o, "extensions", &d->extensions, &d->nextensions);
	get_tri(j, o, "session_id", &d->session_id);
	GET_INT(o, "compression", ANY_INT, -1, d->compression);
	get_tri(j, o, "clock", &d->clock);
	GET_INT(o, "clock_skew_s", ANY_LONG, 0, d->clock_skew_s);
	get_tri(j, o, "grease_tolerant", &d->grease_ok);
	get_tri(j, o, "long_hello_tolerant", &d->long_hello_ok);
	GET_INT(o, "ticket_lifetime_s", ANY_LONG, -1, d->ticket_lifetime_s);
}

static void read_dane(struct jr *j, json_t *o, struct endpoint *ep)
{
	ep->dane.checked = 1;
	get_bool(j, o, "ok", &ep->dane.ok);
	json_t *m = get_obj(j, o, "matched");
	if (m) {
		size_t mark = push(j, "matched", -1);
		GET_INT(m, "usage", ANY_INT, 0, ep->dane.usage);
		GET_INT(m, "selector", ANY_INT, 0, ep->dane.selector);
		GET_INT(m, "mtype", ANY_INT, 0, ep->dane.mtype);
		GET_INT(m, "depth", ANY_INT, -1, ep->dane.depth);
		pop(j, mark);
	}
	get_str(j, o, "message", &ep->dane.message);
}

/* Run f(j, obj, ep) inside the member k when it is an object. */
#define IN_OBJ(o, k, f, ep)                                                                        \
	do {                                                                                       \
		json_t *m_ = get_obj(j, (o), (k));                                                 \
		if (m_) {                                                                          \
			size_t mark_ = push(j, (k), -1);                                           \
			f(j, m_, (ep));                                                            \
			pop(j, mark_);                                                             \
		}                                                                                  \
	} while (0)

static void read_endpoint(struct jr *j, json_t *o, void *arg)
{
	struct result *r = arg;
	char *host = NULL, *address = NULL;
	long long port = 0;
	const char *mode = get_name(j, o, "mode");

	get_str(j, o, "host", &host);
	get_ll(j, o, "port", 0, 65535, 0, &port);
	get_str(j, o, "address", &address);
	if (j->status == JR_OK && mode && strcmp(mode, "implicit") != 0 &&
	    strcmp(mode, "starttls") != 0)
		fail(j, "mode", "expected \"implicit\" or \"starttls\"");
	if (j->status != JR_OK) {
		free(host);
		free(address);
		return;
	}
	struct endpoint *ep = result_add_endpoint(r, host ? host : "", (uint16_t)port, address);
	free(host);
	free(address);
	ep->mode = mode && strcmp(mode, "starttls") == 0 ? MODE_STARTTLS : MODE_IMPLICIT;
	get_str(j, o, "starttls", &ep->starttls);
	get_str(j, o, "sni", &ep->sni);
	IN_OBJ(o, "dialogue", read_dialogue, &ep->dlg);
	get_str(j, o, "clear_text_answer", &ep->tls.clear_text_answer);
	IN_OBJ(o, "tls", read_tls, &ep->tls);
	each(j, o, "protocols", read_protocol, ep);
	each(j, o, "ciphers", read_cipher, ep);
	IN_OBJ(o, "server_order", read_server_order, ep);
	read_group(j, o, "groups", ep);
	json_t *dh = get_obj(j, o, "dh");
	if (dh) {
		size_t mark = push(j, "dh", -1);
		GET_INT(dh, "bits", ANY_INT, 0, ep->dh.bits);
		get_str(j, dh, "common_prime", &ep->dh.common);
		pop(j, mark);
	}
	each(j, o, "certificates", read_cert, ep);
	each(j, o, "findings", read_finding,
	     &(struct finding_vec){&ep->findings, &ep->nfindings, &ep->capfindings});
	each(j, o, "transcript", read_tline, ep);
	each(j, o, "errors", read_error, &(struct err_vec){NULL, ep});
	json_t *st = get_obj(j, o, "stats");
	if (st) {
		size_t mark = push(j, "stats", -1);
		GET_INT(st, "connections", ANY_INT, 0, ep->stats.connections);
		get_num(j, st, "duration_ms", &ep->stats.duration_ms);
		pop(j, mark);
	}
	json_t *res = get_obj(j, o, "resumption");
	if (res) {
		size_t mark = push(j, "resumption", -1);
		get_tri(j, res, "session_id", &ep->resume_id);
		get_tri(j, res, "ticket", &ep->resume_ticket);
		pop(j, mark);
	}
	get_tri(j, o, "client_renegotiation", &ep->client_reneg);
	GET_ENUM(o, "auth_policy", auth_policy_parse, ep->auth_policy,
	         "expected an MX policy (none, dane, mta-sts-enforce, mta-sts-testing) or null");
	IN_OBJ(o, "dane", read_dane, ep);
	get_strv(j, o, "sigalgs", &ep->sigalgs, &ep->nsigalgs);
	IN_OBJ(o, "server_defaults", read_defaults, ep);
	IN_OBJ(o, "grade", read_grade, ep);
	each(j, o, "vulnerabilities", read_vuln, ep);
	ep->vulns_ran = get_arr(j, o, "vulnerabilities") != NULL;

	/* Not in the document: whether the enumeration ran. It sets all six
	 * protocols and numbers the suites from 1; without it (--quick, or it
	 * never started) the negotiated version alone is there, its suite
	 * numbered 0 (scan.c fill_from_handshake). */
	ep->enumerated = ep->nprotocols > 1;
	for (size_t i = 0; i < ep->nciphers; i++)
		ep->enumerated |= ep->ciphers[i].order > 0;
}

/* ------------------------------------------------------------------ the domain */

static void read_txt(struct jr *j, json_t *o, struct txt_rec *t)
{
	get_strv(j, o, "records", &t->txt, &t->ntxt);
	get_sec(j, o, "dnssec", &t->sec);
	get_str(j, o, "lookup_error", &t->lookup_error);
	get_bool(j, o, "valid", &t->valid);
	get_str(j, o, "error", &t->parse_error);
}

static void read_tlsa(struct jr *j, json_t *o, void *arg)
{
	struct mx_host *m = arg;
	long long u = 0, s = 0, t = 0;
	char *data = NULL;

	get_ll(j, o, "usage", ANY_INT, 0, &u);
	get_ll(j, o, "selector", ANY_INT, 0, &s);
	get_ll(j, o, "mtype", ANY_INT, 0, &t);
	get_str(j, o, "data", &data);
	if (j->status == JR_OK)
		mx_add_tlsa(m, (int)u, (int)s, (int)t, data ? data : "");
	free(data);
}

static void read_mx_tlsa(struct jr *j, json_t *o, struct mx_host *m)
{
	get_str(j, o, "name", &m->tlsa_name);
	get_sec(j, o, "dnssec", &m->tlsa_sec);
	each(j, o, "records", read_tlsa, m);
	get_str(j, o, "error", &m->tlsa_error);
}

static void read_mx_host(struct jr *j, json_t *o, void *arg)
{
	struct domain_info *d = arg;
	char *name = NULL;
	long long pref = 0;

	get_str(j, o, "name", &name);
	get_ll(j, o, "preference", ANY_INT, 0, &pref);
	if (j->status != JR_OK) {
		free(name);
		return;
	}
	struct mx_host *m = domain_add_mx(d, name ? name : "", (int)pref);
	free(name);
	get_str(j, o, "cname", &m->cname);
	get_strv(j, o, "addresses", &m->addresses, &m->naddresses);
	get_sec(j, o, "addresses_dnssec", &m->addr_sec);
	get_str(j, o, "error", &m->addr_error);
	IN_OBJ(o, "tlsa", read_mx_tlsa, m);
	get_tri(j, o, "mta_sts_match", &m->sts_match);
}

static void read_mx(struct jr *j, json_t *o, struct domain_info *d)
{
	d->mx_looked = 1;
	get_sec(j, o, "dnssec", &d->mx_sec);
	get_str(j, o, "error", &d->mx_error);
	get_bool(j, o, "null_mx", &d->null_mx);
	get_bool(j, o, "implicit", &d->implicit_mx);
	each(j, o, "hosts", read_mx_host, d);
}

static void read_sts_fetch(struct jr *j, json_t *o, struct domain_info *d)
{
	long long status;
	json_t *st = member(o, "status");

	get_str(j, o, "url", &d->sts.url);
	if (st && !json_is_null(st) && get_ll(j, o, "status", ANY_LONG, 0, &status)) {
		d->sts.fetched = 1; /* null: no HTTP response came */
		d->sts.status = (long)status;
	}
	get_str(j, o, "content_type", &d->sts.content_type);
	get_str(j, o, "location", &d->sts.location);
	get_str(j, o, "body", &d->sts.body);
}

static void read_sts_policy(struct jr *j, json_t *o, struct domain_info *d)
{
	d->sts.valid = 1;
	GET_ENUM(o, "mode", sts_mode_parse, d->sts.mode,
	         "expected an MTA-STS mode (none, testing, enforce) or null");
	GET_INT(o, "max_age", ANY_LONG, -1, d->sts.max_age);
	get_strv(j, o, "mx", &d->sts.mx, &d->sts.nmx);
}

static void read_sts(struct jr *j, json_t *o, struct domain_info *d)
{
	IN_OBJ(o, "txt", read_txt, &d->sts_txt);
	get_str(j, o, "id", &d->sts_id);
	IN_OBJ(o, "fetch", read_sts_fetch, d);
	IN_OBJ(o, "policy", read_sts_policy, d);
	get_str(j, o, "error", &d->sts.error);
}

static void read_tlsrpt(struct jr *j, json_t *o, struct domain_info *d)
{
	IN_OBJ(o, "record", read_txt, &d->tlsrpt);
	get_strv(j, o, "rua", &d->tlsrpt_rua, &d->ntlsrpt_rua);
}

static void read_spf(struct jr *j, json_t *o, struct domain_info *d)
{
	const char *all = get_name(j, o, "all");

	IN_OBJ(o, "record", read_txt, &d->spf);
	if (all && (strlen(all) != 1 || !strchr("-~?+", all[0])))
		fail(j, "all", "expected \"-\", \"~\", \"?\", \"+\" or null");
	else
		d->spf_all = all ? all[0] : 0;
	GET_INT(o, "lookups", ANY_INT, 0, d->spf_lookups);
	get_bool(j, o, "ptr", &d->spf_has_ptr);
	get_strv(j, o, "problems", &d->spf_problems, &d->nspf_problems);
}

static void read_dmarc(struct jr *j, json_t *o, struct domain_info *d)
{
	IN_OBJ(o, "record", read_txt, &d->dmarc);
	get_str(j, o, "from", &d->dmarc_from);
	GET_ENUM(o, "p", dmarc_policy_parse, d->dmarc_p,
	         "expected a DMARC policy (none, quarantine, reject) or null");
	GET_ENUM(o, "sp", dmarc_policy_parse, d->dmarc_sp,
	         "expected a DMARC policy (none, quarantine, reject) or null");
	GET_INT(o, "pct", ANY_INT, -1, d->dmarc_pct);
	get_strv(j, o, "rua", &d->dmarc_rua, &d->ndmarc_rua);
}

static void read_verdict(struct jr *j, json_t *o, struct domain_info *d)
{
	GET_ENUM(o, "level", verdict_parse, d->verdict,
	         "expected a verdict (none, mta-sts-testing, mta-sts-enforce, dane, both, "
	         "unknown) or null");
	get_str(j, o, "detail", &d->verdict_detail);
}

static struct domain_info *read_domain(struct jr *j, json_t *o)
{
	char *name = NULL;

	get_str(j, o, "name", &name);
	struct domain_info *d = domain_info_new(name ? name : "");
	free(name);
	IN_OBJ(o, "verdict", read_verdict, d);
	IN_OBJ(o, "mx", read_mx, d);
	IN_OBJ(o, "mta_sts", read_sts, d);
	IN_OBJ(o, "tls_rpt", read_tlsrpt, d);
	IN_OBJ(o, "spf", read_spf, d);
	IN_OBJ(o, "dmarc", read_dmarc, d);
	each(j, o, "findings", read_finding,
	     &(struct finding_vec){&d->findings, &d->nfindings, &d->capfindings});
	return d;
}

/* ------------------------------------------------------------------ documents and lines */

/* The envelope: schema (the version check), tool, run-level errors. */
static void read_envelope(struct jr *j, json_t *doc, struct result *r, int first)
{
	json_t *schema = member(doc, "schema");
	const char *s = json_string_value(schema);

	if (!json_is_object(doc) || !s) {
		j->status = JR_NOT_MAILTLS;
		err_set(j->e, ERR_PROTOCOL, "not a mailtls/1 document (no \"schema\" member)");
		return;
	}
	if (strcmp(s, SCHEMA) != 0) {
		int ours = strncmp(s, SCHEMA_PREFIX, strlen(SCHEMA_PREFIX)) == 0;
		j->status = ours ? JR_VERSION : JR_NOT_MAILTLS;
		err_set(j->e, ERR_PROTOCOL,
		        ours ? "unsupported schema \"%.40s\": this mailtls reads mailtls/1 only"
		             : "not a mailtls/1 document (schema \"%.40s\")",
		        s);
		return;
	}
	if (!first)
		return; /* JSON lines repeat the envelope on every line */
	json_t *tool = get_obj(j, doc, "tool");
	if (tool) {
		size_t mark = push(j, "tool", -1);
		get_str(j, tool, "version", &r->tool_version);
		pop(j, mark);
	}
	each(j, doc, "errors", read_error, &(struct err_vec){r, NULL});
}

static void read_document(struct jr *j, json_t *doc, struct result *r)
{
	read_envelope(j, doc, r, 1);
	each(j, doc, "endpoints", read_endpoint, r);
	json_t *d = get_obj(j, doc, "domain");
	if (d) {
		size_t mark = push(j, "domain", -1);
		r->domain = read_domain(j, d);
		pop(j, mark);
	}
}

/* One JSON line: {"schema", "tool", "errors", "endpoint"} or "domain". */
static void read_line(struct jr *j, json_t *line, struct result *r, int first)
{
	read_envelope(j, line, r, first);
	json_t *ep = get_obj(j, line, "endpoint");
	if (ep) {
		size_t mark = push(j, "endpoint", -1);
		read_endpoint(j, ep, r);
		pop(j, mark);
	}
	json_t *d = get_obj(j, line, "domain");
	if (d && r->domain)
		fail(j, "domain", "a second domain line");
	else if (d) {
		size_t mark = push(j, "domain", -1);
		r->domain = read_domain(j, d);
		pop(j, mark);
	}
}

/* jansson's message quotes the input ("near '...'"), a line break
 * included: the message is one line, so controls become '?'. */
static const char *one_line(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n", p[i]))
			return 0;
	return 1;
}

static void read_lines(struct jr *j, const char *data, size_t len, struct result *r)
{
	size_t lineno = 0;
	int first = 1;

	for (const char *p = data, *end = data + len; p < end && j->status == JR_OK;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_error_t je;
		lineno++;
		if (!blank(p, n)) {
			json_t *line =
			    json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
			if (!line) {
				j->status = JR_NOT_JSON;
				err_set(j->e, ERR_PROTOCOL, "not JSON: line %zu: %.200s", lineno,
				        one_line(je.text));
			} else {
				j->line = lineno;
				read_line(j, line, r, first);
				json_decref(line);
				first = 0;
			}
		}
		p += n + 1;
	}
}

/* jansson's memory during a read, capped: a small document of tiny
 * values ("[[],[],...") takes far more memory parsed than its size. The
 * allocator is jansson's global one, installed for the read only (and so
 * one read at a time: the program has one thread that reads). */
#define JR_ALIGN 16 /* the header before each block keeps malloc's alignment */
static size_t jr_budget, jr_mem_limit = JSON_READ_MEM;
static int jr_over;

void json_read_mem_limit(size_t bytes)
{
	jr_mem_limit = bytes ? bytes : JSON_READ_MEM;
}

static void *jr_malloc(size_t n)
{
	if (n > jr_budget || n > SIZE_MAX - JR_ALIGN) {
		jr_over = 1;
		return NULL;
	}
	char *p = malloc(n + JR_ALIGN);
	if (!p)
		return NULL;
	jr_budget -= n;
	memcpy(p, &n, sizeof n);
	return p + JR_ALIGN;
}

static void jr_free(void *q)
{
	size_t n;

	if (!q)
		return;
	char *p = (char *)q - JR_ALIGN;
	memcpy(&n, p, sizeof n);
	jr_budget += n;
	free(p);
}

static void read_all(struct jr *jp, const char *data, size_t len, struct result *r)
{
	struct jr j = *jp;
	struct err *e = j.e;
	json_error_t je;

	json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	/* a document has "endpoints"; a JSON line "endpoint" or "domain" */
	int is_line =
	    doc && !member(doc, "endpoints") && (member(doc, "endpoint") || member(doc, "domain"));
	if (is_line) {
		read_line(&j, doc, r, 1);
	} else if (doc) {
		read_document(&j, doc, r);
	} else {
		/* JSON lines, or not JSON at all: the first line decides */
		const char *nl = memchr(data, '\n', len);
		json_t *first = nl ? json_loadb(data, (size_t)(nl - data), 0, NULL) : NULL;
		if (first && json_is_object(first)) {
			read_lines(&j, data, len, r);
		} else {
			j.status = JR_NOT_JSON;
			err_set(e, ERR_PROTOCOL, "not JSON: line %d, column %d: %.200s", je.line,
			        je.column, one_line(je.text));
		}
		json_decref(first);
	}
	json_decref(doc);
	*jp = j;
}

enum json_read_status json_read_result(const char *data, size_t len, struct result **out,
                                       struct err *e)
{
	struct jr j = {.e = e, .status = JR_OK};
	json_malloc_t old_malloc;
	json_free_t old_free;

	*out = NULL;
	err_clear(e);
	if (len > JSON_READ_MAX) {
		err_set(e, ERR_LIMIT, "the document is larger than %u MiB",
		        JSON_READ_MAX / 1024 / 1024);
		return JR_TOO_BIG;
	}
	struct result *r = result_new();
	json_get_alloc_funcs(&old_malloc, &old_free);
	jr_budget = jr_mem_limit;
	jr_over = 0;
	json_set_alloc_funcs(jr_malloc, jr_free);
	read_all(&j, data, len, r);
	json_set_alloc_funcs(old_malloc, old_free);
	if (jr_over) {
		j.status = JR_TOO_BIG;
		err_set(e, ERR_LIMIT, "the document needs more than %zu MiB of memory to read",
		        jr_mem_limit / 1024 / 1024);
	}
	if (j.status != JR_OK) {
		result_free(r);
		return j.status;
	}
	*out = r;
	return JR_OK;
}
