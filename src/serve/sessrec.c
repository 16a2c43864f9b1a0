/* sessrec.c - a serve session's record and its terminal and JSON lines. */
#include "serve/sessrec.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include "core/esc.h"
#include "core/mem.h"

void srec_init(struct srec *r, unsigned long id)
{
	struct timeval tv;
	struct tm tm;
	char base[24];

	memset(r, 0, sizeof(*r));
	r->id = id;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(r->start, sizeof r->start, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
	r->end = "open";
}

static void str_free(struct srec_str *s)
{
	free(s->s);
	s->s = NULL;
	s->len = 0;
}

void srec_str_set(struct srec_str *d, const void *p, size_t n)
{
	free(d->s);
	d->s = xmalloc(n + 1);
	if (n)
		memcpy(d->s, p, n);
	d->s[n] = '\0';
	d->len = n;
}

static void msg_free(struct srec_msg *m)
{
	str_free(&m->from);
	for (size_t i = 0; i < m->nrcpts; i++)
		str_free(&m->rcpts[i]);
	free(m->rcpts);
	free(m->reply);
}

void srec_free(struct srec *r)
{
	free(r->listener);
	free(r->client);
	str_free(&r->helo);
	ossl_srv_info_free(&r->tls);
	free(r->tls_error);
	for (size_t i = 0; i < r->nmsgs; i++)
		msg_free(&r->msgs[i]);
	free(r->msgs);
	memset(r, 0, sizeof(*r));
}

struct srec_msg *srec_add_msg(struct srec *r, const void *from, size_t n, int tls)
{
	if (r->nmsgs >= SREC_MAX_MSGS) {
		r->msgs_dropped++;
		return NULL;
	}
	struct srec_msg *m = xvec_push(&r->msgs, &r->nmsgs, &r->capmsgs, sizeof(*m));
	srec_str_set(&m->from, from, n);
	m->tls = tls;
	return m;
}

void srec_msg_add_rcpt(struct srec_msg *m, const void *p, size_t n)
{
	if (m->nrcpts >= SREC_MAX_RCPTS) {
		m->rcpts_dropped++;
		return;
	}
	struct srec_str *s = xvec_push(&m->rcpts, &m->nrcpts, &m->caprcpts, sizeof(*s));
	srec_str_set(s, p, n);
}

/* --- terminal line --- */

/* key=value with peer text escaped for the terminal; a value that would
 * not be one word (empty, spaces, quotes) is quoted, its quotes as \". The
 * escaping doubles every backslash, so \" cannot be forged. */
static int put_peer(struct buf *out, const char *key, const void *p, size_t n)
{
	struct buf e;
	int rc = -1;
	buf_init(&e, n * 4 + 16);
	if (esc_term(&e, p, n) != 0)
		goto done;
	int quote = e.len == 0 || memchr(e.data, ' ', e.len) || memchr(e.data, '"', e.len);
	if (buf_printf(out, " %s=", key) < 0)
		goto done;
	if (!quote) {
		rc = buf_append(out, e.data, e.len);
		goto done;
	}
	if (buf_putc(out, '"') < 0)
		goto done;
	for (size_t i = 0; i < e.len; i++)
		if ((e.data[i] == '"' && buf_putc(out, '\\') < 0) || buf_putc(out, e.data[i]) < 0)
			goto done;
	rc = buf_putc(out, '"');
done:
	buf_free(&e);
	return rc;
}

static int put_path(struct buf *out, const char *key, const struct srec_str *s)
{
	struct buf b;
	buf_init(&b, s->len + 3);
	int rc = buf_putc(&b, '<') || buf_append(&b, s->s, s->len) || buf_putc(&b, '>') ||
		 put_peer(out, key, b.data, b.len);
	buf_free(&b);
	return rc ? -1 : 0;
}

int srec_text(const struct srec *r, struct buf *out)
{
	uint64_t bytes = 0;
	int rc = 0;

	rc |= buf_printf(out, "session %lu client=%s via=%s/%s", r->id, r->client ? r->client : "?",
			 r->listener ? r->listener : "?", r->mode ? r->mode : "?");
	if (r->helo_verb[0])
		rc |= put_peer(out, r->helo_verb[0] == 'E' ? "ehlo" : "helo", r->helo.s,
			       r->helo.len);
	if (strcmp(r->mode ? r->mode : "", "starttls") == 0)
		rc |= buf_printf(out, " starttls=%s", r->starttls_used ? "yes" : "no");
	if (r->tls.done) {
		rc |= buf_printf(out, " tls=%s cipher=%s group=%s", r->tls.version,
				 r->tls.cipher ? r->tls.cipher : "?",
				 r->tls.group ? r->tls.group : "?");
	} else if (r->tls_error) {
		rc |= buf_puts(out, " tls=failed");
		rc |= put_peer(out, "tls-error", r->tls_error, strlen(r->tls_error));
	} else {
		rc |= buf_puts(out, " tls=none");
	}
	if (r->tls.sni)
		rc |= put_peer(out, "sni", r->tls.sni, r->tls.sni_len);
	if (r->tls.client_cert_subject)
		rc |= put_peer(out, "client-cert", r->tls.client_cert_subject,
			       strlen(r->tls.client_cert_subject));
	if (r->pipelined_after_starttls)
		rc |= buf_printf(out, " pipelined-after-starttls=%zu", r->pipelined_after_starttls);
	const struct srec_msg *last = r->nmsgs ? &r->msgs[r->nmsgs - 1] : NULL;
	for (size_t i = 0; i < r->nmsgs; i++)
		bytes += r->msgs[i].size;
	if (last) {
		rc |= put_path(out, "from", &last->from);
		if (last->nrcpts)
			rc |= put_path(out, "to", &last->rcpts[0]);
		if (last->nrcpts + last->rcpts_dropped > 1)
			rc |= buf_printf(out, " rcpts=%zu", last->nrcpts + last->rcpts_dropped);
	}
	rc |= buf_printf(out, " messages=%lu size=%llu errors=%lu duration=%.3fs end=%s",
			 r->messages, (unsigned long long)bytes, r->errors,
			 r->duration_ms / 1000.0, r->end ? r->end : "?");
	return rc ? -1 : 0;
}

/* --- JSON line --- */

static json_t *jpeer(const void *p, size_t n)
{
	struct buf b;
	buf_init(&b, n * 4 + 16);
	json_t *j = esc_utf8(&b, p, n) == 0 ? json_stringn(b.data ? (const char *)b.data : "", b.len)
					    : NULL;
	buf_free(&b);
	return j ? j : json_string("");
}

static json_t *jpeer_s(const char *s)
{
	return s ? jpeer(s, strlen(s)) : json_null();
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *tls_json(const struct srec *r)
{
	const struct ossl_srv_info *t = &r->tls;
	if (!t->done && !r->tls_error && !t->offered_max)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "version", jstr(t->version));
	json_object_set_new(o, "cipher", jstr(t->cipher));
	json_object_set_new(o, "cipher_openssl", jstr(t->cipher_openssl));
	json_object_set_new(o, "group", jstr(t->group));
	json_object_set_new(o, "sni", t->sni ? jpeer(t->sni, t->sni_len) : json_null());
	json_t *cc = json_null();
	if (t->client_cert_subject) {
		cc = json_object();
		json_object_set_new(cc, "subject", jpeer_s(t->client_cert_subject));
		json_object_set_new(cc, "issuer", jpeer_s(t->client_cert_issuer));
	}
	json_object_set_new(o, "client_cert", cc);
	json_object_set_new(o, "handshake_ms", t->done ? json_real(t->handshake_ms) : json_null());
	json_object_set_new(o, "offered_max_version", jstr(t->offered_max));
	json_object_set_new(o, "offered_ciphers", json_integer(t->offered_ciphers));
	json_object_set_new(o, "error", jpeer_s(r->tls_error));
	return o;
}

static json_t *msg_json(const struct srec_msg *m)
{
	json_t *o = json_object();
	json_t *rc = json_array();
	json_object_set_new(o, "from", jpeer(m->from.s, m->from.len));
	for (size_t i = 0; i < m->nrcpts; i++)
		json_array_append_new(rc, jpeer(m->rcpts[i].s, m->rcpts[i].len));
	json_object_set_new(o, "rcpts", rc);
	json_object_set_new(o, "rcpts_dropped", json_integer((json_int_t)m->rcpts_dropped));
	json_object_set_new(o, "data", json_boolean(m->data));
	json_object_set_new(o, "accepted", json_boolean(m->accepted));
	json_object_set_new(o, "size", json_integer((json_int_t)m->size));
	json_object_set_new(o, "reply", jstr(m->reply));
	json_object_set_new(o, "tls", json_boolean(m->tls));
	return o;
}

int srec_json(const struct srec *r, struct buf *out)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("session"));
	json_object_set_new(o, "id", json_integer((json_int_t)r->id));
	json_object_set_new(o, "start", json_string(r->start));
	json_object_set_new(o, "duration_ms", json_real(r->duration_ms));
	json_object_set_new(o, "listener", jstr(r->listener));
	json_object_set_new(o, "mode", jstr(r->mode));
	json_object_set_new(o, "client", jstr(r->client));
	json_t *helo = json_null();
	if (r->helo_verb[0]) {
		helo = json_object();
		json_object_set_new(helo, "verb", json_string(r->helo_verb));
		json_object_set_new(helo, "name", jpeer(r->helo.s, r->helo.len));
	}
	json_object_set_new(o, "helo", helo);
	json_t *st = json_object();
	json_object_set_new(st, "offered", json_boolean(r->starttls_offered));
	json_object_set_new(st, "used", json_boolean(r->starttls_used));
	json_object_set_new(st, "pipelined_bytes",
			    json_integer((json_int_t)r->pipelined_after_starttls));
	json_object_set_new(o, "starttls", st);
	json_object_set_new(o, "tls", tls_json(r));
	json_t *msgs = json_array();
	for (size_t i = 0; i < r->nmsgs; i++)
		json_array_append_new(msgs, msg_json(&r->msgs[i]));
	json_object_set_new(o, "messages", msgs);
	json_object_set_new(o, "messages_dropped", json_integer((json_int_t)r->msgs_dropped));
	json_object_set_new(o, "messages_accepted", json_integer((json_int_t)r->messages));
	json_object_set_new(o, "commands", json_integer((json_int_t)r->commands));
	json_object_set_new(o, "errors", json_integer((json_int_t)r->errors));
	json_object_set_new(o, "end", jstr(r->end));

	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (!s)
		return -1;
	int rc = buf_puts(out, s);
	free(s);
	return rc;
}
