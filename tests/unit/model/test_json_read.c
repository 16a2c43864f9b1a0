/* test_json_read.c - the mailtls/1 reader (model/json_read.c).
 *
 * Round trips through the model: every golden document of the renderers
 * (tests/unit/report/golden: scan.json, domain.json and their JSON lines)
 * is read and written again in every format, and each output must equal
 * the golden file byte for byte - the JSON the same document, the text,
 * CSV and HTML what the original result printed (test_golden.c renders the
 * text with --transcript and --show-certs, and -quiet.txt with --quiet).
 * Those documents hold hostile peer strings (escapes, invalid UTF-8, a NUL,
 * bidi controls), so the reader's unescaping is tested byte for byte too.
 *
 * Then the failures: not JSON, not mailtls, another schema version, wrong
 * types and ranges (with the field's path in the message), values that a
 * renderer prints raw, and the model's defaults for missing fields. */
#include "testutil.h"

#include <jansson.h>

#include "model/domain.h"
#include "model/json_read.h"
#include "model/result.h"
#include "report/golden_out.h"
#include "report/report.h"

/* ------------------------------------------------------------------ files */

static void golden_path(char *out, size_t n, const char *name)
{
	const char *dir = getenv("MAILTLS_GOLDEN_DIR");

	if (dir && *dir) {
		snprintf(out, n, "%s/%s", dir, name);
		return;
	}
	/* __FILE__ is tests/unit/model/test_json_read.c as the Makefile names it */
	const char *slash = strrchr(__FILE__, '/');
	int len = slash ? (int)(slash - __FILE__) : 1;
	snprintf(out, n, "%.*s/../report/golden/%s", len, slash ? __FILE__ : ".", name);
}

static void slurp(const char *name, char **data, size_t *len)
{
	char path[512];
	struct tu_capture c;
	char chunk[4096];
	size_t got;

	golden_path(path, sizeof path, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot read %s", path);
	tu_capture_begin(&c);
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		assert_int_equal(fwrite(chunk, 1, got, c.f), got);
	fclose(f);
	tu_capture_end(&c);
	*data = c.data;
	*len = c.len;
}

static struct result *read_ok(const char *doc, size_t len)
{
	struct result *r = NULL;
	struct err e;
	enum json_read_status st = json_read_result(doc, len, &r, &e);

	if (st != JR_OK)
		fail_msg("read failed (%d): %s", st, e.msg);
	assert_non_null(r);
	return r;
}

static struct result *read_golden(const char *name)
{
	char *doc;
	size_t len;

	slurp(name, &doc, &len);
	struct result *r = read_ok(doc, len);
	free(doc);
	return r;
}

/* ------------------------------------------------------------------ round trips */


struct rt_case {
	const char *scen; /* "scan", "domain" */
	const char *in;   /* ".json", ".jsonl" */
};

/* First differing line, for a readable failure. */
static void assert_same(const char *what, const char *got, size_t glen, const char *want,
                        size_t wlen)
{
	size_t i = 0, line = 1;

	if (glen == wlen && memcmp(got, want, glen) == 0)
		return;
	while (i < glen && i < wlen && got[i] == want[i])
		line += got[i++] == '\n';
	fail_msg("%s differs from its golden file at byte %zu (line %zu): got \"%.60s\", want "
	         "\"%.60s\"",
	         what, i, line, got + i, want + i);
}

static void test_round_trip(void **state)
{
	const struct rt_case *rc = *state;
	char name[64];

	snprintf(name, sizeof name, "%s%s", rc->scen, rc->in);
	struct result *r = read_golden(name);
	for (int o = 0; o < OUT_COUNT; o++) {
		struct tu_capture c;
		char want_name[64], what[160];
		char *want;
		size_t wlen;

		snprintf(want_name, sizeof want_name, "%s%s", rc->scen, golden_suffix[o]);
		slurp(want_name, &want, &wlen);
		golden_render(r, (enum out)o, &c);
		snprintf(what, sizeof what, "%s read back, written as %s", name, want_name);
		assert_same(what, c.data, c.len, want, wlen);
		free(c.data);
		free(want);
	}
	result_free(r);
}

/* Reading the written document again gives the same document: the reader
 * and the writer are inverse on everything the writer makes. */
static void test_round_trip_twice(void **state UNUSED)
{
	struct result *r = read_golden("domain.jsonl");
	struct tu_capture c1, c2;

	golden_render(r, OUT_JSON, &c1);
	result_free(r);
	r = read_ok(c1.data, c1.len);
	golden_render(r, OUT_JSON, &c2);
	result_free(r);
	assert_same("domain.json read twice", c2.data, c2.len, c1.data, c1.len);
	free(c1.data);
	free(c2.data);
}

/* ------------------------------------------------------------------ what the model holds */

/* Peer strings are the server's bytes again, not the JSON's \xHH text. */
static void test_peer_bytes_unescaped(void **state UNUSED)
{
	struct result *r = read_golden("scan.json");
	const struct endpoint *ep;

	assert_int_equal(r->neps, 2);
	ep = r->eps[0];
	assert_non_null(strstr(ep->dlg.greeting, "ESMTP \x1b[2J\x1b]0;pwned\x07 <script>"));
	assert_non_null(strstr(ep->dlg.greeting, " \xff\xfe"));
	assert_non_null(strstr(ep->dlg.starttls_reply, "\xe2\x80\xae"
	                                               "gnp.exe \xc2\x9b"));
	/* the transcript keeps a NUL the server sent, with its length */
	int found = 0;
	for (size_t i = 0; i < ep->ntranscript; i++) {
		const struct tline *l = &ep->transcript[i];
		if (l->len == 15 && memcmp(l->text,
		                           "250-a\0b \xff\xfe \xc2\x9b"
		                           "1m",
		                           15) == 0)
			found = 1;
		if (strncmp(l->text, "250 back", 8) == 0)
			assert_non_null(strstr(l->text, "back\\slash")); /* one backslash */
	}
	assert_true(found);
	assert_int_equal(ep->ntranscript, 7);
	assert_string_equal(r->tool_version, "0.1.0");
	/* enumerated (not in the document): the text's cipher headings need it */
	assert_true(ep->enumerated);
	assert_false(r->eps[1]->enumerated);
	assert_int_equal(ep->server_order[P_TLS12], 1);
	assert_int_equal(ep->server_order[P_TLS13], 0);
	assert_int_equal(ep->server_order[P_TLS10], -1);
	assert_int_equal(ep->tls.ocsp_age_s, 3600);
	assert_int_equal(r->eps[1]->tls.ocsp_age_s, OCSP_UNKNOWN);
	assert_int_equal(ep->tls.cipher_code, 0x1302);
	/* closed sets read back as the probe fills them */
	assert_int_equal(ep->tls.ocsp_status, OCSP_ST_SUCCESSFUL);
	assert_int_equal(ep->tls.ocsp_cert_status, OCSP_CERT_GOOD);
	assert_int_equal(r->eps[1]->tls.ocsp_status, OCSP_ST_UNSET);
	assert_int_equal(ep->certs[0].chain, CHAIN_DEFAULT);
	assert_int_equal(ep->certs[0].key_type, KEY_TYPE_RSA);
	assert_int_equal(ep->certs[0].sig_hash, SIG_HASH_SHA256);
	assert_int_equal(ep->certs[1].key_type, KEY_TYPE_EC);
	assert_int_equal(ep->certs[1].sig_hash, SIG_HASH_SHA384);
	result_free(r);
}

/* A report saved by another version keeps its version in every output. */
static void test_tool_version_kept(void **state UNUSED)
{
	static const char doc[] = "{\"schema\": \"mailtls/1\", \"tool\": {\"name\": \"mailtls\", "
	                          "\"version\": \"0.0.7<b>\"}, \"errors\": [], \"endpoints\": []}";
	struct result *r = read_ok(LIT(doc));
	struct tu_capture c;

	assert_string_equal(r->tool_version, "0.0.7<b>");
	golden_render(r, OUT_JSON, &c);
	assert_true(tu_contains(c.data, c.len, LIT("\"version\": \"0.0.7<b>\"")));
	free(c.data);
	golden_render(r, OUT_JSONL, &c);
	assert_true(tu_contains(c.data, c.len, LIT("\"version\":\"0.0.7<b>\"")));
	free(c.data);
	golden_render(r, OUT_HTML, &c);
	assert_true(tu_contains(c.data, c.len, LIT("mailtls 0.0.7&lt;b&gt;</p>")));
	free(c.data);
	result_free(r);
}

/* A key type OpenSSL names beyond the table is kept with its name and
 * written back as it was; the signature's hash comes from its name. */
static void test_key_type_other_kept(void **state UNUSED)
{
	static const char doc[] =
	    "{\"schema\": \"mailtls/1\", \"endpoints\": [{\"host\": \"h\", \"port\": 25, "
	    "\"certificates\": [{\"depth\": 0, \"chain\": \"ecdsa\", \"key_type\": \"RSASSA-PSS\", "
	    "\"sig_alg\": \"md2WithRSAEncryption\"}, {\"depth\": 1, \"key_type\": \"unknown\", "
	    "\"sig_alg\": \"rsassaPss\"}]}]}";
	struct result *r = read_ok(LIT(doc));
	const struct endpoint *ep = r->eps[0];
	struct tu_capture c;

	assert_int_equal(ep->certs[0].chain, CHAIN_ECDSA);
	assert_int_equal(ep->certs[0].key_type, KEY_TYPE_OTHER);
	assert_string_equal(cert_key_type_name(&ep->certs[0]), "RSASSA-PSS");
	assert_int_equal(ep->certs[0].sig_hash, SIG_HASH_MD2);
	assert_int_equal(ep->certs[1].chain, CHAIN_DEFAULT);
	assert_int_equal(ep->certs[1].key_type, KEY_TYPE_UNKNOWN);
	assert_int_equal(ep->certs[1].sig_hash, SIG_HASH_OTHER);
	golden_render(r, OUT_JSONL, &c);
	assert_true(tu_contains(c.data, c.len, LIT("\"key_type\":\"RSASSA-PSS\"")));
	assert_true(tu_contains(c.data, c.len, LIT("\"chain\":\"ecdsa\"")));
	free(c.data);
	result_free(r);
}

/* An error's stage: a known name is the enum, one this build does not
 * know (the set may grow) is kept and written back as it was. */
static void test_error_stage_kept(void **state UNUSED)
{
	static const char doc[] =
	    "{\"schema\": \"mailtls/1\", \"errors\": [{\"stage\": \"vuln-probe\", \"category\": "
	    "\"io\", \"message\": \"m\"}, {\"category\": \"io\", \"message\": \"n\"}], "
	    "\"endpoints\": [{\"host\": \"h\", \"port\": 25, \"errors\": [{\"stage\": \"connect\", "
	    "\"category\": \"connect\", \"message\": \"refused\"}]}]}";
	struct result *r = read_ok(LIT(doc));
	struct tu_capture c;

	assert_int_equal(r->nerrors, 2);
	assert_int_equal(r->errors[0].stage, STAGE_OTHER);
	assert_string_equal(ep_error_stage_name(&r->errors[0]), "vuln-probe");
	assert_int_equal(r->errors[1].stage, STAGE_OTHER);
	assert_string_equal(ep_error_stage_name(&r->errors[1]), "");
	assert_int_equal(r->eps[0]->errors[0].stage, STAGE_CONNECT);
	assert_null(r->eps[0]->errors[0].stage_other);
	assert_ptr_equal(ep_connect_error(r->eps[0]), &r->eps[0]->errors[0]);
	golden_render(r, OUT_JSONL, &c);
	assert_true(
	    tu_contains(c.data, c.len, LIT("{\"stage\":\"vuln-probe\",\"category\":\"io\"")));
	assert_true(tu_contains(c.data, c.len, LIT("{\"stage\":\"\",\"category\":\"io\"")));
	assert_true(tu_contains(c.data, c.len, LIT("{\"stage\":\"connect\",\"category\"")));
	free(c.data);
	result_free(r);
}

/* Fields an older mailtls/1 writer did not know are absent: the model's
 * defaults, and every renderer copes. */
static void test_missing_fields_are_absent(void **state UNUSED)
{
	static const char doc[] = "{\"schema\": \"mailtls/1\", \"endpoints\": [{\"host\": \"h\", "
	                          "\"port\": 25, \"tls\": {\"version\": \"TLSv1.2\"}, "
	                          "\"domain\": 1}], \"future\": [1, {\"x\": null}]}";
	struct result *r = read_ok(LIT(doc));
	const struct endpoint *ep = r->eps[0];
	struct tu_capture c;

	assert_null(r->tool_version);
	assert_int_equal(r->neps, 1);
	assert_string_equal(ep->host, "h");
	assert_null(ep->address);
	assert_true(ep->tls.done);
	assert_int_equal(ep->tls.verify_code, -1);
	assert_int_equal(ep->resume_id, -1);
	assert_int_equal(ep->client_reneg, -1);
	assert_int_equal(ep->defaults.compression, -1);
	assert_false(ep->defaults.probed);
	assert_false(ep->dlg.ran);
	assert_null(r->domain);
	for (int o = 0; o < OUT_COUNT; o++) {
		golden_render(r, (enum out)o, &c);
		free(c.data);
	}
	result_free(r);
}

/* A suite's kinds come from OpenSSL's words the document holds, as the
 * scan fills them from the registry; a word this build does not know is
 * "other", and the words are written back as they were. */
static void test_cipher_kinds(void **state UNUSED)
{
	struct result *r = read_golden("scan.json");
	const struct endpoint *ep = r->eps[0];
	int seen = 0;

	for (size_t i = 0; i < ep->nciphers; i++) {
		const struct cipher_entry *c = &ep->ciphers[i];
		if (c->code == 0x1302) {
			assert_int_equal(c->kx_kind, KX_TLS13);
			assert_int_equal(c->au_kind, AU_ANY);
			seen |= 1;
		} else if (c->code == 0xC030) {
			assert_int_equal(c->kx_kind, KX_ECDHE);
			assert_int_equal(c->au_kind, AU_RSA);
			seen |= 2;
		} else if (c->code == 0x009F) {
			assert_int_equal(c->kx_kind, KX_DHE);
			assert_int_equal(c->au_kind, AU_RSA);
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	result_free(r);

	static const char doc[] =
	    "{\"schema\": \"mailtls/1\", \"endpoints\": [{\"host\": \"h\", \"port\": 25, "
	    "\"ciphers\": [{\"protocol\": \"TLSv1.2\", \"code\": \"0xFF01\", \"kx\": \"KEM\", "
	    "\"auth\": \"ML-DSA\"}, {\"protocol\": \"TLSv1.2\", \"code\": \"0xFF02\"}]}]}";
	struct tu_capture out;
	r = read_ok(LIT(doc));
	ep = r->eps[0];
	assert_int_equal(ep->ciphers[0].kx_kind, KX_OTHER);
	assert_int_equal(ep->ciphers[0].au_kind, AU_OTHER);
	assert_int_equal(ep->ciphers[1].kx_kind, KX_UNSET);
	assert_int_equal(ep->ciphers[1].au_kind, AU_UNSET);
	golden_render(r, OUT_JSONL, &out);
	assert_true(tu_contains(out.data, out.len, LIT("\"kx\":\"KEM\",\"auth\":\"ML-DSA\"")));
	assert_true(tu_contains(out.data, out.len, LIT("\"kx\":null,\"auth\":null")));
	free(out.data);
	result_free(r);
}

/* --quick: the negotiated version alone, its suite numbered 0. */
static void test_quick_not_enumerated(void **state UNUSED)
{
	static const char doc[] =
	    "{\"schema\": \"mailtls/1\", \"endpoints\": [{\"host\": \"h\", \"port\": 465, "
	    "\"mode\": \"implicit\", \"protocols\": [{\"name\": \"TLSv1.3\", \"offered\": true, "
	    "\"reason\": null}], \"ciphers\": [{\"protocol\": \"TLSv1.3\", \"code\": \"0x1302\", "
	    "\"iana\": \"TLS_AES_256_GCM_SHA384\", \"openssl\": \"TLS_AES_256_GCM_SHA384\", "
	    "\"kx\": \"any\", \"auth\": \"any\", \"enc\": \"AESGCM\", \"bits\": 256, \"order\": "
	    "0}], "
	    "\"server_order\": {\"TLSv1.3\": null}}]}";
	struct result *r = read_ok(LIT(doc));
	struct tu_capture c;

	assert_false(r->eps[0]->enumerated);
	golden_render(r, OUT_TEXT, &c);
	assert_true(tu_contains(c.data, c.len, LIT("  TLSv1.3 (negotiated)\n")));
	free(c.data);
	result_free(r);
}

static void test_domain_fields(void **state UNUSED)
{
	struct result *r = read_golden("domain.json");
	const struct domain_info *d = r->domain;

	assert_non_null(d);
	assert_string_equal(d->name, "example.com");
	assert_int_equal(d->nmx, 2);
	assert_int_equal(d->mx[0].ntlsa, 2);
	assert_int_equal(d->mx[0].tlsa[0].usage, 3);
	assert_int_equal(d->mx[0].sts_match, 1);
	assert_int_equal(d->mx[1].sts_match, 0);
	assert_int_equal(d->mx_sec, SEC_SECURE);
	assert_int_equal(d->mx[1].tlsa_sec, SEC_INSECURE);
	assert_true(d->sts.fetched);
	assert_int_equal(d->sts.status, 200);
	assert_true(d->sts.valid);
	assert_int_equal(d->sts.max_age, 86400);
	assert_int_equal(d->spf_all, '-');
	assert_int_equal(d->dmarc_pct, 50);
	assert_int_equal(d->nfindings, 5);
	assert_int_equal(d->verdict, VERDICT_DANE);
	assert_int_equal(d->sts.mode, STS_MODE_TESTING);
	assert_int_equal(d->dmarc_p, DMARC_QUARANTINE);
	assert_int_equal(d->dmarc_sp, DMARC_UNSET);
	assert_true(r->eps[0]->dane.checked);
	assert_false(r->eps[0]->dane.ok);
	assert_int_equal(r->eps[0]->auth_policy, AUTH_POLICY_DANE);
	result_free(r);
}

/* ------------------------------------------------------------------ failures */

struct bad_case {
	const char *doc;
	enum json_read_status want;
	const char *msg; /* a part of the message */
};

static const struct bad_case bad_cases[] = {
    {"", JR_NOT_JSON, "not JSON"},
    {"garbage", JR_NOT_JSON, "not JSON: line 1"},
    /* jansson quotes the input, a line break included: still one line */
    {"{\"schema\": \"a\\\n\"}", JR_NOT_JSON, "invalid escape near"},
    {"{\"schema\": \"mailtls/1\",", JR_NOT_JSON, "not JSON"},
    {"{\"schema\": \"mailtls/1\", \"schema\": \"mailtls/1\"}", JR_NOT_JSON, "duplicate"},
    {"[]", JR_NOT_MAILTLS, "not a mailtls/1 document"},
    {"\"mailtls/1\"", JR_NOT_MAILTLS, "not a mailtls/1 document"},
    {"{}", JR_NOT_MAILTLS, "no \"schema\""},
    {"{\"schema\": 1}", JR_NOT_MAILTLS, "no \"schema\""},
    {"{\"schema\": \"other/1\"}", JR_NOT_MAILTLS, "schema \"other/1\""},
    {"{\"schema\": \"mailtls/99\"}", JR_VERSION, "unsupported schema \"mailtls/99\""},
    {"{\"schema\": \"mailtls/2\", \"endpoints\": 5}", JR_VERSION, "reads mailtls/1 only"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": {}}", JR_INVALID, "endpoints: expected an array"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [1]}", JR_INVALID,
     "endpoints[0]: expected an object"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"port\": \"25\"}]}", JR_INVALID,
     "endpoints[0].port: expected an integer"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"port\": 70000}]}", JR_INVALID,
     "endpoints[0].port: out of range"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"port\": 2.5}]}", JR_INVALID,
     "port: expected an integer"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"mode\": \"tcp\"}]}", JR_INVALID,
     "endpoints[0].mode"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"host\": [\"h\"]}]}", JR_INVALID,
     "endpoints[0].host: expected a string or null"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"tls\": {\"version\": \"TLSv1.2\", \"verify\": "
     "{\"errors\": [{\"code\": "
     "\"x\"}]}}}]}",
     JR_INVALID, "endpoints[0].tls.verify.errors[0].code: expected an integer"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"tls\": {\"version\": \"TLSv1.4\"}}]}",
     JR_INVALID, "endpoints[0].tls.version: expected a protocol name"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"tls\": {\"cipher\": \"x\"}}]}", JR_INVALID,
     "endpoints[0].tls.version: expected a protocol name"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"protocols\": [{\"name\": \"TLSv1.4\"}]}]}",
     JR_INVALID, "endpoints[0].protocols[0].name: expected a protocol name"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"ciphers\": [{\"protocol\": \"TLSv1.2\", "
     "\"code\": \"C030\"}]}]}",
     JR_INVALID, "ciphers[0].code: expected a code point"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"ciphers\": [{\"protocol\": \"TLSv1.2\", "
     "\"code\": \"0xC030\", \"kx\": \"\\u001b[2J\"}]}]}",
     JR_INVALID, "ciphers[0].kx: expected printable ASCII"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"ciphers\": [{\"protocol\": \"TLSv1.2\", "
     "\"code\": \"0xC030\", \"openssl\": \"A\\\\x1BB\"}]}]}",
     JR_INVALID, "ciphers[0].openssl: expected printable ASCII"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"grade\": {\"letter\": \"\\\"><b>\"}}]}",
     JR_INVALID, "endpoints[0].grade.letter: expected a grade letter"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"grade\": {\"letter\": \"A++\"}}]}", JR_INVALID,
     "grade.letter"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"findings\": [{\"id\": \"x\", \"severity\": "
     "\"severe\"}]}]}",
     JR_INVALID, "endpoints[0].findings[0].severity: expected a severity"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"findings\": [{\"id\": \"x\", \"severity\": "
     "\"low\", \"cve\": [1]}]}]}",
     JR_INVALID, "findings[0].cve[0]: expected a string"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"transcript\": [{\"t_ms\": 1, \"dir\": \"X\", "
     "\"text\": \"\"}]}]}",
     JR_INVALID, "transcript[0].dir"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"server_order\": {\"SSLv4\": true}}]}",
     JR_INVALID, "endpoints[0].server_order: a key is not a protocol name"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"resumption\": {\"ticket\": 1}}]}", JR_INVALID,
     "endpoints[0].resumption.ticket: expected true, false or null"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"dialogue\": []}]}", JR_INVALID,
     "endpoints[0].dialogue: expected an object or null"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"stats\": {\"duration_ms\": \"1\"}}]}",
     JR_INVALID, "stats.duration_ms: expected a number"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [], \"domain\": {\"mx\": {\"dnssec\": "
     "\"maybe\"}}}",
     JR_INVALID, "domain.mx.dnssec"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [], \"domain\": {\"spf\": {\"all\": \"x\"}}}",
     JR_INVALID, "domain.spf.all"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [], \"domain\": {\"verdict\": {\"level\": "
     "\"\\u009b31m\"}}}",
     JR_INVALID, "domain.verdict.level: expected a verdict"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [], \"domain\": {\"verdict\": {\"level\": "
     "\"dane!\"}}}",
     JR_INVALID, "domain.verdict.level: expected a verdict"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [], \"domain\": {\"mta_sts\": {\"policy\": "
     "{\"mode\": \"Enforce\"}}}}",
     JR_INVALID, "domain.mta_sts.policy.mode: expected an MTA-STS mode"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [], \"domain\": {\"dmarc\": {\"p\": "
     "\"reject\", \"sp\": \"drop\"}}}",
     JR_INVALID, "domain.dmarc.sp: expected a DMARC policy"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [], \"domain\": {\"dmarc\": {\"p\": 1}}}",
     JR_INVALID, "domain.dmarc.p: expected a string"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"certificates\": [{\"chain\": \"dsa\"}]}]}",
     JR_INVALID, "endpoints[0].certificates[0].chain: expected a chain"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"tls\": {\"version\": \"TLSv1.2\", \"ocsp\": "
     "{\"status\": "
     "\"fine\"}}}]}",
     JR_INVALID, "endpoints[0].tls.ocsp.status: expected an OCSP response status"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"tls\": {\"version\": \"TLSv1.2\", \"ocsp\": "
     "{\"cert_status\": "
     "\"Good\"}}}]}",
     JR_INVALID, "endpoints[0].tls.ocsp.cert_status: expected an OCSP certificate status"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"auth_policy\": \"mta-sts\"}]}", JR_INVALID,
     "endpoints[0].auth_policy: expected an MX policy"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [], \"domain\": {\"mx\": {\"hosts\": [{\"tlsa\": "
     "{\"records\": [{\"usage\": null, \"data\": 3}]}}]}}}",
     JR_INVALID, "domain.mx.hosts[0].tlsa.records[0].data"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [], \"errors\": [{\"stage\": 1}]}", JR_INVALID,
     "errors[0].stage"},
    {"{\"schema\": \"mailtls/1\", \"endpoints\": [{\"errors\": [{\"stage\": \"connect\", "
     "\"category\": \"refused\"}]}]}",
     JR_INVALID, "endpoints[0].errors[0].category: expected an error category"},
    {"{\"schema\": \"mailtls/1\", \"tool\": \"mailtls\"}", JR_INVALID, "tool: expected an object"},
    /* JSON lines: the line is named */
    {"{\"schema\":\"mailtls/1\",\"errors\":[],\"endpoint\":null}\n"
     "{\"schema\":\"mailtls/1\",\"errors\":[],\"endpoint\":{\"port\":-1}}\n",
     JR_INVALID, "line 2: endpoint.port: out of range"},
    {"{\"schema\":\"mailtls/1\",\"errors\":[],\"endpoint\":null}\n{\"schema\":\"mailtls/3\"}\n",
     JR_VERSION, "mailtls/3"},
    {"{\"schema\":\"mailtls/1\",\"errors\":[],\"endpoint\":null}\nnot json\n", JR_NOT_JSON,
     "not JSON: line 2"},
    {"{\"schema\":\"mailtls/1\",\"domain\":{}}\n{\"schema\":\"mailtls/1\",\"domain\":{}}\n",
     JR_INVALID, "line 2: domain: a second domain line"},
};

static void test_bad_documents(void **state UNUSED)
{
	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
		const struct bad_case *b = &bad_cases[i];
		struct result *r = (struct result *)1;
		struct err e;
		enum json_read_status st = json_read_result(b->doc, strlen(b->doc), &r, &e);

		if (st != b->want || !strstr(e.msg, b->msg))
			fail_msg(
			    "case %zu (%.60s): status %d, want %d; message \"%s\", want \"%s\"", i,
			    b->doc, st, b->want, e.msg, b->msg);
		assert_null(r);
		assert_int_equal(e.cat, ERR_PROTOCOL);
		/* one line */
		assert_null(strchr(e.msg, '\n'));
	}
}

static void test_too_big(void **state UNUSED)
{
	static const char doc[] = "{}";
	struct result *r = NULL;
	struct err e;

	/* the length is refused before a byte is read */
	assert_int_equal(json_read_result(doc, (size_t)JSON_READ_MAX + 1, &r, &e), JR_TOO_BIG);
	assert_null(r);
	assert_int_equal(e.cat, ERR_LIMIT);
}

/* Tiny values take far more memory parsed than their size: the parse has
 * its own cap, and a document over it is refused, not a crash. */
static void test_memory_cap(void **state UNUSED)
{
	struct tu_capture c;
	struct result *r = NULL;
	struct err e;

	tu_capture_begin(&c);
	fputs("{\"schema\": \"mailtls/1\", \"x\": [", c.f);
	for (int i = 0; i < 100000; i++)
		fputs(i ? ",[]" : "[]", c.f);
	fputs("], \"endpoints\": []}", c.f);
	tu_capture_end(&c);
	json_read_mem_limit(1024 * 1024);
	enum json_read_status st = json_read_result(c.data, c.len, &r, &e);
	json_read_mem_limit(0);
	assert_int_equal(st, JR_TOO_BIG);
	assert_null(r);
	assert_int_equal(e.cat, ERR_LIMIT);
	assert_non_null(strstr(e.msg, "memory"));
	/* the same document under the default cap, and jansson's own
	 * allocator is back for the rest of the program */
	r = read_ok(c.data, c.len);
	result_free(r);
	json_t *j = json_pack("{s:s}", "a", "b");
	json_decref(j);
	free(c.data);
}

/* A long array is read in linear time (no per-element search). */
static void test_huge_arrays(void **state UNUSED)
{
	enum { N = 200000 };
	struct tu_capture c;

	tu_capture_begin(&c);
	fputs("{\"schema\": \"mailtls/1\", \"endpoints\": [{\"host\": \"h\", \"port\": 1, "
	      "\"groups\": [",
	      c.f);
	for (int i = 0; i < N; i++)
		fprintf(c.f, "%s\"g%d\"", i ? "," : "", i % 7);
	fputs("], \"transcript\": [", c.f);
	for (int i = 0; i < N; i++)
		fprintf(c.f, "%s{\"t_ms\": %d, \"dir\": \"S\", \"text\": \"\\\\x00\\\\\"}",
		        i ? "," : "", i);
	fputs("]}]}", c.f);
	tu_capture_end(&c);
	struct result *r = read_ok(c.data, c.len);
	assert_int_equal(r->eps[0]->ngroups, N);
	assert_int_equal(r->eps[0]->ntranscript, N);
	assert_int_equal(r->eps[0]->transcript[0].len, 2);
	assert_memory_equal(r->eps[0]->transcript[0].text, "\0\\", 2);
	result_free(r);
	free(c.data);
}

/* The unescaping is the exact inverse of esc_utf8 and harmless on text it
 * did not make (a lone backslash, a short \x). */
static void test_unescape_edges(void **state UNUSED)
{
	static const char doc[] = "{\"schema\": \"mailtls/1\", \"endpoints\": [{\"host\": "
	                          "\"a\\\\b\\\\\\\\c\\\\x4\\\\xZZ\\\\x41"
	                          "\\\\x00tail\", \"port\": 1}]}";
	struct result *r = read_ok(LIT(doc));

	/* a\b\\c\x4\xZZ\x41\x00tail: "\b" kept, "\\" one, "\x4" and "\xZZ"
	 * kept, "\x41" 'A', "\x00" ends the C string */
	assert_string_equal(r->eps[0]->host, "a\\b\\c\\x4\\xZZA");
	result_free(r);
}

/* Every closed set's name table: each value's name parses back to it, the
 * unset value has no name, and names are exact (case, unknown words). */
#define NAMES_ROUND_TRIP(type, unset, last, name, parse)                                           \
	do {                                                                                       \
		type v_;                                                                           \
		assert_null(name(unset));                                                          \
		for (int i_ = (int)(unset) + 1; i_ <= (int)(last); i_++) {                         \
			assert_non_null(name((type)i_));                                           \
			assert_int_equal(parse(name((type)i_), &v_), 0);                           \
			assert_int_equal(v_, i_);                                                  \
		}                                                                                  \
		assert_int_equal(parse("", &v_), -1);                                              \
		assert_int_equal(parse("NONE", &v_), -1);                                          \
		assert_int_equal(parse(NULL, &v_), -1);                                            \
	} while (0)

static void test_name_tables(void **state UNUSED)
{
	NAMES_ROUND_TRIP(enum sts_mode, STS_MODE_UNSET, STS_MODE_ENFORCE, sts_mode_name,
	                 sts_mode_parse);
	NAMES_ROUND_TRIP(enum dmarc_policy, DMARC_UNSET, DMARC_REJECT, dmarc_policy_name,
	                 dmarc_policy_parse);
	NAMES_ROUND_TRIP(enum verdict, VERDICT_UNSET, VERDICT_UNKNOWN, verdict_name,
	                 verdict_parse);
	NAMES_ROUND_TRIP(enum auth_policy, AUTH_POLICY_UNSET, AUTH_POLICY_MTA_STS_TESTING,
	                 auth_policy_name, auth_policy_parse);
	NAMES_ROUND_TRIP(enum ocsp_status, OCSP_ST_UNSET, OCSP_ST_UNPARSABLE, ocsp_status_name,
	                 ocsp_status_parse);
	NAMES_ROUND_TRIP(enum ocsp_cert_status, OCSP_CERT_UNSET, OCSP_CERT_UNKNOWN,
	                 ocsp_cert_status_name, ocsp_cert_status_parse);
	/* no unset value: a certificate comes from the default handshake */
	enum cert_chain ch;
	assert_int_equal(cert_chain_parse("rsa", &ch), 0);
	assert_int_equal(ch, CHAIN_RSA);
	assert_string_equal(cert_chain_name(CHAIN_DEFAULT), "default");
	assert_int_equal(cert_chain_parse("RSA", &ch), -1);
	enum key_type kt;
	assert_int_equal(key_type_parse("Ed25519", &kt), 0);
	assert_int_equal(kt, KEY_TYPE_ED25519);
	assert_int_equal(key_type_parse("RSASSA-PSS", &kt), -1); /* OpenSSL's: kept aside */
	assert_null(key_type_name(KEY_TYPE_OTHER));
	/* no unset value either; other has no name (the document's is kept) */
	enum err_stage st;
	for (int i = STAGE_TARGET; i < STAGE_OTHER; i++) {
		assert_non_null(err_stage_name((enum err_stage)i));
		assert_int_equal(err_stage_parse(err_stage_name((enum err_stage)i), &st), 0);
		assert_int_equal(st, i);
	}
	assert_string_equal(err_stage_name(STAGE_AFTER_TLS), "after-tls");
	assert_null(err_stage_name(STAGE_OTHER));
	assert_int_equal(err_stage_parse("Connect", &st), -1);
	assert_int_equal(err_stage_parse("", &st), -1);
	assert_int_equal(err_stage_parse(NULL, &st), -1);
	assert_int_equal(sig_hash_of_alg("md5WithRSAEncryption"), SIG_HASH_MD5);
	assert_int_equal(sig_hash_of_alg("ecdsa-with-SHA1"), SIG_HASH_SHA1);
	assert_int_equal(sig_hash_of_alg("sha256WithRSAEncryption"), SIG_HASH_SHA256);
	assert_int_equal(sig_hash_of_alg("ED25519"), SIG_HASH_OTHER);
	assert_int_equal(sig_hash_of_alg(NULL), SIG_HASH_UNSET);
	assert_string_equal(verdict_name(VERDICT_MTA_STS_TESTING), "mta-sts-testing");
	assert_string_equal(auth_policy_name(AUTH_POLICY_MTA_STS_ENFORCE), "mta-sts-enforce");
	assert_null(verdict_name((enum verdict)99));
}

int main(void)
{
	static const struct rt_case rt[] = {
	    {"scan", ".json"},
	    {"scan", ".jsonl"},
	    {"domain", ".json"},
	    {"domain", ".jsonl"},
	};
	const struct CMUnitTest tests[] = {
	    {"test_round_trip(scan.json)", test_round_trip, NULL, NULL, (void *)&rt[0]},
	    {"test_round_trip(scan.jsonl)", test_round_trip, NULL, NULL, (void *)&rt[1]},
	    {"test_round_trip(domain.json)", test_round_trip, NULL, NULL, (void *)&rt[2]},
	    {"test_round_trip(domain.jsonl)", test_round_trip, NULL, NULL, (void *)&rt[3]},
	    cmocka_unit_test(test_round_trip_twice),
	    cmocka_unit_test(test_peer_bytes_unescaped),
	    cmocka_unit_test(test_tool_version_kept),
	    cmocka_unit_test(test_missing_fields_are_absent),
	    cmocka_unit_test(test_key_type_other_kept),
	    cmocka_unit_test(test_error_stage_kept),
	    cmocka_unit_test(test_cipher_kinds),
	    cmocka_unit_test(test_quick_not_enumerated),
	    cmocka_unit_test(test_domain_fields),
	    cmocka_unit_test(test_bad_documents),
	    cmocka_unit_test(test_name_tables),
	    cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_huge_arrays),
	    cmocka_unit_test(test_memory_cap),
	    cmocka_unit_test(test_unescape_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
