/* smtpd.c - the test sink's SMTP server state machine (no I/O). */
#include "serve/smtpd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/mem.h"
#include "net/lines.h"

static const char *const state_names[SD_NSTATES] = {
	"init", "ready", "mail", "rcpt", "data", "starttls", "closing",
};

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with its brackets. */
#define MAX_PATH 254

struct smtpd {
	struct smtpd_cfg cfg;
	struct srec *rec;
	enum smtpd_state state;
	int in_tls;
	char tls_version[16];
	char tls_cipher[96];
	/* framing */
	int skipping;     /* inside an over-long line: drop up to its LF */
	int skip_cr;      /* the last byte dropped was CR */
	/* transaction */
	long msg;         /* index in rec->msgs, -1 none (or over the cap) */
	unsigned nrcpt;
	uint64_t size;    /* body bytes so far */
	int too_big;
	int long_line;
	int prev_crlf;    /* the previous body line ended in CRLF */
	const char *why;  /* end reason once SD_CLOSING */
};

typedef int cmd_fn(struct smtpd *s, const char *arg, size_t alen, struct buf *out);

#define ST(x) (1u << (x))
#define ST_SESSION (ST(SD_INIT) | ST(SD_READY) | ST(SD_MAIL) | ST(SD_RCPT))

struct cmd {
	const char *verb;
	cmd_fn *fn;
	unsigned states; /* where it is allowed */
	int tls_gate;    /* 530 before TLS under require_tls (RFC 3207 4) */
	const char *bad_sequence;
};

const char *smtpd_state_name(enum smtpd_state st)
{
	return (unsigned)st < SD_NSTATES ? state_names[st] : "?";
}

const char *smtpd_end_reason(const struct smtpd *s)
{
	return s->why;
}

enum smtpd_state smtpd_state(const struct smtpd *s)
{
	return s->state;
}

struct smtpd *smtpd_new(const struct smtpd_cfg *cfg, struct srec *rec)
{
	struct smtpd *s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	if (s->cfg.max_line < 16)
		s->cfg.max_line = 16;
	if (s->cfg.max_errors == 0)
		s->cfg.max_errors = 1;
	s->rec = rec;
	s->state = SD_INIT;
	s->msg = -1;
	return s;
}

void smtpd_free(struct smtpd *s)
{
	free(s);
}

/* One reply line; a 5xx counts as an error of the client. */
static int reply(struct smtpd *s, struct buf *out, const char *line)
{
	if (line[0] == '5')
		s->rec->errors++;
	return buf_puts(out, line) < 0 || buf_puts(out, "\r\n") < 0 ? -1 : SMTPD_MORE;
}

static int PRINTF(3, 4) replyf(struct smtpd *s, struct buf *out, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	return reply(s, out, line);
}

static struct srec_msg *cur_msg(struct smtpd *s)
{
	return s->msg >= 0 ? &s->rec->msgs[s->msg] : NULL;
}

/* RSET, HELO, EHLO, STARTTLS and the end of DATA end a transaction. */
static void reset_tx(struct smtpd *s)
{
	s->msg = -1;
	s->nrcpt = 0;
	s->size = 0;
	s->too_big = s->long_line = 0;
	if (s->state != SD_INIT)
		s->state = SD_READY;
}

int smtpd_greet(struct smtpd *s, struct buf *out)
{
	return replyf(s, out, "220 %s ESMTP mailtls serve: a test sink, nothing is relayed or stored",
		      s->cfg.hostname) < 0
		       ? -1
		       : 0;
}

void smtpd_tls_started(struct smtpd *s, const char *version, const char *cipher)
{
	s->in_tls = 1;
	snprintf(s->tls_version, sizeof s->tls_version, "%s", version ? version : "TLS");
	snprintf(s->tls_cipher, sizeof s->tls_cipher, "%s", cipher ? cipher : "?");
	/* RFC 3207 4.2: forget what the client said before TLS. */
	s->state = SD_INIT;
	reset_tx(s);
	s->skipping = 0;
}

int smtpd_close_421(struct smtpd *s, struct buf *out, const char *enh, const char *text)
{
	if (s->state == SD_STARTTLS || s->state == SD_CLOSING)
		return 0;
	s->state = SD_CLOSING;
	char line[512];
	snprintf(line, sizeof line, "421 %s %s %s", enh, s->cfg.hostname, text);
	return reply(s, out, line) < 0 ? 0 : 1;
}

/* --- commands --- */

static int hello(struct smtpd *s, const char *verb, const char *arg, size_t alen)
{
	if (alen == 0)
		return -1;
	snprintf(s->rec->helo_verb, sizeof s->rec->helo_verb, "%s", verb);
	srec_str_set(&s->rec->helo, arg, alen);
	/* RFC 5321 4.1.4: a hello also resets the transaction. */
	s->state = SD_READY;
	reset_tx(s);
	return 0;
}

static int do_ehlo(struct smtpd *s, const char *arg, size_t alen, struct buf *out)
{
	char size[48];
	const char *caps[8];
	size_t n = 0;

	if (hello(s, "EHLO", arg, alen) < 0)
		return reply(s, out, "501 5.5.4 Syntax: EHLO hostname");
	snprintf(size, sizeof size, "SIZE %llu", (unsigned long long)s->cfg.max_size);
	/* Only what this server really does (RFC 2920, 1870, 6152, 6531,
	 * 2034, 3207). */
	caps[n++] = "PIPELINING";
	caps[n++] = size;
	caps[n++] = "8BITMIME";
	caps[n++] = "SMTPUTF8";
	caps[n++] = "ENHANCEDSTATUSCODES";
	if (s->cfg.starttls && !s->in_tls) {
		caps[n++] = "STARTTLS";
		s->rec->starttls_offered = 1;
	}
	if (buf_printf(out, "250-%s Hello, pleased to meet you\r\n", s->cfg.hostname) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (buf_printf(out, "250%c%s\r\n", i + 1 < n ? '-' : ' ', caps[i]) < 0)
			return -1;
	return SMTPD_MORE;
}

static int do_helo(struct smtpd *s, const char *arg, size_t alen, struct buf *out)
{
	if (hello(s, "HELO", arg, alen) < 0)
		return reply(s, out, "501 5.5.4 Syntax: HELO hostname");
	return replyf(s, out, "250 %s", s->cfg.hostname);
}

static int do_starttls(struct smtpd *s, const char *arg, size_t alen, struct buf *out)
{
	if (s->in_tls)
		return reply(s, out, "503 5.5.1 Error: TLS already active");
	if (!s->cfg.starttls)
		return reply(s, out, "502 5.5.1 Error: command not implemented");
	if (alen)
		return reply(s, out, "501 5.5.4 Syntax: STARTTLS");
	if (reply(s, out, "220 2.0.0 Ready to start TLS") < 0)
		return -1;
	s->rec->starttls_used = 1;
	reset_tx(s);
	s->state = SD_STARTTLS;
	return SMTPD_START_TLS;
}

/* "FROM:<path>" / "TO:<path>" then optional parameters. A quoted local
 * part may hold '>' (RFC 5321 4.1.2 Quoted-string). Spaces after the
 * colon are tolerated, as most servers do. */
static int parse_path(const char *arg, size_t alen, const char *kw, const char **path,
		      size_t *plen, const char **rest, size_t *rlen)
{
	size_t k = strlen(kw), i;
	int quoted = 0;

	if (alen < k || strncasecmp(arg, kw, k) != 0)
		return -1;
	i = k;
	while (i < alen && arg[i] == ' ')
		i++;
	if (i >= alen || arg[i] != '<')
		return -1;
	size_t start = ++i;
	for (; i < alen; i++) {
		if (quoted && arg[i] == '\\') {
			i++;
			continue;
		}
		if (arg[i] == '"')
			quoted = !quoted;
		else if (!quoted && arg[i] == '>')
			break;
	}
	if (i >= alen || i - start > MAX_PATH)
		return -1;
	*path = arg + start;
	*plen = i - start;
	i++;
	if (i < alen && arg[i] != ' ')
		return -1;
	*rest = arg + i;
	*rlen = alen - i;
	return 0;
}

/* The next esmtp-param (RFC 5321 4.1.2): keyword and optional value. */
static int next_param(const char **p, const char *end, const char **kw, size_t *klen,
		      const char **val, size_t *vlen)
{
	const char *q = *p;
	while (q < end && *q == ' ')
		q++;
	if (q >= end)
		return 0;
	const char *t = q;
	while (t < end && *t != ' ')
		t++;
	*p = t;
	const char *eq = memchr(q, '=', (size_t)(t - q));
	*kw = q;
	*klen = (size_t)((eq ? eq : t) - q);
	*val = eq ? eq + 1 : NULL;
	*vlen = eq ? (size_t)(t - eq - 1) : 0;
	return 1;
}

static int word_is(const char *p, size_t n, const char *w)
{
	return n == strlen(w) && strncasecmp(p, w, n) == 0;
}

/* SIZE=digits (RFC 1870 4); -1 when not a number that fits. */
static int parse_size(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static int do_mail(struct smtpd *s, const char *arg, size_t alen, struct buf *out)
{
	const char *path, *rest, *kw, *val;
	size_t plen, rlen, klen, vlen;

	if (parse_path(arg, alen, "FROM:", &path, &plen, &rest, &rlen) < 0)
		return reply(s, out, "501 5.1.7 Syntax: MAIL FROM:<address>");
	const char *p = rest, *end = rest + rlen;
	while (next_param(&p, end, &kw, &klen, &val, &vlen)) {
		uint64_t declared;
		if (word_is(kw, klen, "SIZE")) {
			if (!val || parse_size(val, vlen, &declared) < 0)
				return reply(s, out, "501 5.5.4 Syntax: SIZE=number");
			/* RFC 1870 6.1: refuse at MAIL what will not fit. */
			if (declared > s->cfg.max_size)
				return reply(s, out, "552 5.3.4 Error: message size exceeds the "
						     "fixed maximum message size");
		} else if (word_is(kw, klen, "BODY")) {
			if (!val || !(word_is(val, vlen, "7BIT") || word_is(val, vlen, "8BITMIME")))
				return reply(s, out, "501 5.5.4 Syntax: BODY=7BIT or BODY=8BITMIME");
		} else if (word_is(kw, klen, "SMTPUTF8")) {
			if (val)
				return reply(s, out, "501 5.5.4 Syntax: SMTPUTF8 takes no value");
		} else {
			return reply(s, out, "555 5.5.4 Error: unsupported MAIL parameter");
		}
	}
	struct srec_msg *m = srec_add_msg(s->rec, path, plen, s->in_tls);
	s->msg = m ? (long)(m - s->rec->msgs) : -1;
	s->nrcpt = 0;
	s->state = SD_MAIL;
	return reply(s, out, "250 2.1.0 Ok");
}

static int do_rcpt(struct smtpd *s, const char *arg, size_t alen, struct buf *out)
{
	const char *path, *rest;
	size_t plen, rlen;

	if (parse_path(arg, alen, "TO:", &path, &plen, &rest, &rlen) < 0 || plen == 0)
		return reply(s, out, "501 5.1.3 Syntax: RCPT TO:<address>");
	for (size_t i = 0; i < rlen; i++)
		if (rest[i] != ' ')
			return reply(s, out, "555 5.5.4 Error: unsupported RCPT parameter");
	/* RFC 5321 4.5.3.1.8 and 4.5.3.1.10: 452 for the ones over the
	 * limit; the client sends them again in another transaction. */
	if (s->nrcpt >= s->cfg.max_rcpt)
		return reply(s, out, "452 4.5.3 Error: too many recipients");
	/* Every recipient goes into the sink, whatever its domain: nothing
	 * is ever relayed, so accepting one relays nothing. */
	if (cur_msg(s))
		srec_msg_add_rcpt(cur_msg(s), path, plen);
	s->nrcpt++;
	s->state = SD_RCPT;
	return reply(s, out, "250 2.1.5 Ok (test sink: nothing is relayed)");
}

static int do_data(struct smtpd *s, const char *arg, size_t alen, struct buf *out)
{
	if (alen)
		return reply(s, out, "501 5.5.4 Syntax: DATA");
	s->state = SD_DATA;
	s->size = 0;
	s->too_big = s->long_line = 0;
	s->prev_crlf = 1;
	return reply(s, out, "354 End data with <CR><LF>.<CR><LF>");
}

static int do_rset(struct smtpd *s, const char *arg, size_t alen, struct buf *out)
{
	reset_tx(s);
	return reply(s, out, "250 2.0.0 Ok");
}

static int do_noop(struct smtpd *s, const char *arg, size_t alen, struct buf *out)
{
	return reply(s, out, "250 2.0.0 Ok");
}

static int do_quit(struct smtpd *s, const char *arg, size_t alen, struct buf *out)
{
	s->state = SD_CLOSING;
	s->why = "quit";
	if (replyf(s, out, "221 2.0.0 %s Bye", s->cfg.hostname) < 0)
		return -1;
	return SMTPD_CLOSE;
}

static int do_not_implemented(struct smtpd *s, const char *arg, size_t alen, struct buf *out)
{
	return reply(s, out, "502 5.5.1 Error: command not implemented");
}

static const struct cmd cmds[] = {
	{"EHLO", do_ehlo, ST_SESSION, 0, NULL},
	{"HELO", do_helo, ST_SESSION, 0, NULL},
	{"STARTTLS", do_starttls, ST_SESSION, 0, NULL},
	{"MAIL", do_mail, ST(SD_READY), 1, "503 5.5.1 Error: nested MAIL command"},
	{"RCPT", do_rcpt, ST(SD_MAIL) | ST(SD_RCPT), 1, "503 5.5.1 Error: need MAIL command"},
	{"DATA", do_data, ST(SD_RCPT), 1, "503 5.5.1 Error: need RCPT command"},
	{"RSET", do_rset, ST_SESSION, 0, NULL},
	{"NOOP", do_noop, ST_SESSION, 0, NULL},
	{"QUIT", do_quit, ST_SESSION, 0, NULL},
	/* Known, deliberately absent: answered 502, not 500. */
	{"VRFY", do_not_implemented, ST_SESSION, 0, NULL},
	{"EXPN", do_not_implemented, ST_SESSION, 0, NULL},
	{"HELP", do_not_implemented, ST_SESSION, 0, NULL},
	{"ETRN", do_not_implemented, ST_SESSION, 0, NULL},
	{"AUTH", do_not_implemented, ST_SESSION, 0, NULL},
	{"BDAT", do_not_implemented, ST_SESSION, 0, NULL},
	{"TURN", do_not_implemented, ST_SESSION, 0, NULL},
};

static const struct cmd *find_cmd(const char *verb, size_t n)
{
	for (size_t i = 0; i < ARRAY_LEN(cmds); i++)
		if (word_is(verb, n, cmds[i].verb))
			return &cmds[i];
	return NULL;
}

static int command(struct smtpd *s, const char *text, size_t len, struct buf *out)
{
	s->rec->commands++;
	const char *sp = memchr(text, ' ', len);
	size_t vlen = sp ? (size_t)(sp - text) : len;
	const char *arg = sp ? sp + 1 : text + len;
	size_t alen = sp ? len - vlen - 1 : 0;
	while (alen && arg[0] == ' ') {
		arg++;
		alen--;
	}
	while (alen && arg[alen - 1] == ' ')
		alen--;

	const struct cmd *c = find_cmd(text, vlen);
	if (!c)
		return reply(s, out, "500 5.5.2 Error: command not recognized");
	if (c->tls_gate && s->cfg.require_tls && !s->in_tls)
		return reply(s, out, "530 5.7.0 Must issue a STARTTLS command first");
	if (!(c->states & ST(s->state))) {
		if (s->state == SD_INIT)
			return reply(s, out, "503 5.5.1 Error: send HELO/EHLO first");
		if (c->fn == do_data && s->state == SD_MAIL)
			return reply(s, out, "554 5.5.1 Error: no valid recipients");
		return reply(s, out, c->bad_sequence);
	}
	return c->fn(s, arg, alen, out);
}

/* --- the message body --- */

static void count_body(struct smtpd *s, uint64_t n)
{
	s->size += n;
	if (s->size > s->cfg.max_size)
		s->too_big = 1;
}

static int end_data(struct smtpd *s, struct buf *out)
{
	char line[256];
	struct srec_msg *m = cur_msg(s);
	int ok = 0;

	/* RFC 1870 6.3 and RFC 5321 4.5.3.1.10: a message over the size, or
	 * with a line over the limit, is refused after its end. */
	if (s->too_big)
		snprintf(line, sizeof line, "552 5.3.4 Error: message too big");
	else if (s->long_line)
		snprintf(line, sizeof line, "500 5.5.2 Error: message line too long");
	else if (s->in_tls)
		ok = snprintf(line, sizeof line, "250 2.0.0 received over %s %s; discarded",
			      s->tls_version, s->tls_cipher) > 0;
	else
		ok = snprintf(line, sizeof line, "250 2.0.0 received in clear text; discarded") > 0;
	if (m) {
		m->data = 1;
		m->accepted = ok;
		m->size = s->size;
		free(m->reply);
		m->reply = xstrdup(line);
	}
	if (ok)
		s->rec->messages++;
	s->state = SD_READY;
	reset_tx(s);
	return reply(s, out, line);
}

static int body_line(struct smtpd *s, const struct line *l, struct buf *out)
{
	/* RFC 5321 4.1.1.4: the end is CRLF "." CRLF; a "." that a bare LF
	 * surrounds is not (no smuggled end of data). */
	if (l->len == 1 && l->text[0] == '.' && !l->bare_lf && s->prev_crlf)
		return end_data(s, out);
	/* RFC 5321 4.5.2: drop one leading dot. Counted with its CRLF. */
	size_t n = l->len && l->text[0] == '.' ? l->len - 1 : l->len;
	count_body(s, n + 2);
	s->prev_crlf = !l->bare_lf;
	return SMTPD_MORE;
}

/* Inside an over-long line: drop bytes up to and with its LF. Returns the
 * count dropped; *ended when the LF was among them. */
static size_t skip_long(struct smtpd *s, const uint8_t *p, size_t len, int *ended)
{
	const uint8_t *nl = len ? memchr(p, '\n', len) : NULL;
	size_t n = nl ? (size_t)(nl - p) + 1 : len;
	if (s->state == SD_DATA)
		count_body(s, n);
	/* Whether the LF comes after a CR, even when the CR came in an
	 * earlier chunk. */
	if (nl && n >= 2)
		s->skip_cr = p[n - 2] == '\r';
	else if (!nl && n)
		s->skip_cr = p[n - 1] == '\r';
	*ended = nl != NULL;
	if (nl) {
		s->skipping = 0;
		if (s->state == SD_DATA)
			s->prev_crlf = s->skip_cr;
	}
	return n;
}

static int too_many_errors(struct smtpd *s, struct buf *out)
{
	if (s->rec->errors < s->cfg.max_errors || s->state == SD_CLOSING ||
	    s->state == SD_STARTTLS)
		return 0;
	s->why = "too-many-errors";
	return smtpd_close_421(s, out, "4.7.0", "Error: too many errors");
}

/* One step: a line (or the rest of an over-long one) at p. Returns the
 * action, and in *used the bytes it took; 0 used means more is needed. */
static int step(struct smtpd *s, const uint8_t *p, size_t len, struct buf *out, size_t *used)
{
	/* RFC 5321 4.5.3.1.4/6: lengths count the CRLF; line_peek does not. */
	size_t max = s->cfg.max_line - 2;
	int ended;

	*used = 0;
	if (s->skipping) {
		*used = skip_long(s, p, len, &ended);
		if (!ended || s->state == SD_DATA)
			return SMTPD_MORE;
		return reply(s, out, "500 5.5.2 Error: line too long");
	}
	/* A view of the unread bytes, so a burst of pipelined lines (or a
	 * message body) is consumed once, not moved down line by line. */
	struct buf view = {(uint8_t *)p, len, len, len};
	struct line l;
	switch (line_peek(&view, max, &l)) {
	case LINE_NEED_MORE:
		return SMTPD_MORE;
	case LINE_TOO_LONG:
		s->skipping = 1;
		s->skip_cr = 0;
		if (s->state == SD_DATA)
			s->long_line = 1;
		else
			s->rec->commands++;
		return step(s, p, len, out, used);
	case LINE_OK:
		break;
	}
	*used = l.wire_len;
	return s->state == SD_DATA ? body_line(s, &l, out) : command(s, l.text, l.len, out);
}

int smtpd_feed(struct smtpd *s, struct buf *in, struct buf *out)
{
	size_t off = 0;
	int act = SMTPD_MORE;

	while (act == SMTPD_MORE) {
		if (s->state == SD_STARTTLS) {
			act = SMTPD_START_TLS;
			break;
		}
		if (s->state == SD_CLOSING) {
			act = SMTPD_CLOSE;
			break;
		}
		size_t used;
		act = off < in->len ? step(s, in->data + off, in->len - off, out, &used)
				    : (used = 0, SMTPD_MORE);
		off += used;
		if (act == SMTPD_MORE && used == 0)
			break;
		if (act == SMTPD_MORE && too_many_errors(s, out))
			act = SMTPD_CLOSE;
	}
	if (act == SMTPD_START_TLS) {
		/* RFC 3207 4.2: anything the client sent after STARTTLS came
		 * before TLS and must not be taken as if it came inside it (the
		 * command injection of CVE-2011-0411). */
		s->rec->pipelined_after_starttls += in->len - off;
		off = in->len;
	}
	buf_consume(in, off);
	return act;
}
