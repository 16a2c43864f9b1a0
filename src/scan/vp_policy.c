/* vp_policy.c - submission-port policy (docs/vulns.md): does a submission
 * port take mail in clear text (plaintext-mail-accepted), is its STARTTLS
 * optional (starttls-not-required), does an FTP server take USER before
 * AUTH TLS (ftp-user-before-tls). auth-before-tls is derived from the main
 * dialogue by checks/vulns.c.
 *
 * One clear-text connection on a submission or FTP port, none elsewhere:
 * an hsprobe in own mode without a dialogue hands over the bare TCP
 * connection right after connect, and a small client here talks: SMTP
 * greeting, EHLO, MAIL FROM:<>, RCPT TO:<postmaster@host>, RSET, QUIT
 * (never DATA: nothing is ever queued); FTP greeting, USER, QUIT (never
 * PASS). Replies are framed by net/lines with caps on lines and bytes.
 *
 * What a mail administrator expects, and so what is asked where:
 *  - Port 25 is a public MX: RFC 3207 4 says it must not require STARTTLS,
 *    or mail from senders without TLS would bounce. Taking mail in clear
 *    text there is the rule, not a flaw: both SMTP checks are
 *    not-applicable on port 25 and cost no connection. The STARTTLS facts
 *    of the main dialogue go into the evidence only (no finding to act
 *    on: the admin must not "fix" it).
 *  - Port 587 (RFC 6409), or any STARTTLS SMTP port the user calls a
 *    submission port with --submission (which also wins on port 25: the
 *    user said what the port is for), is where users' mail and passwords
 *    arrive: it should refuse mail before STARTTLS (Postfix's
 *    smtpd_tls_security_level=encrypt answers MAIL with 530 5.7.0).
 *  - Another STARTTLS SMTP port (2525, a relay) is neither: not-applicable
 *    with the hint to give --submission; LMTP is local delivery.
 *  - A temporary refusal (4xx: greylisting, a busy server) says nothing
 *    about the policy, it may accept the mail a minute later: unknown, not
 *    safe. A permanent refusal (5xx) of MAIL or RCPT is not-vulnerable:
 *    the mail was not taken without TLS. */
#include "scan/vp_policy.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/mem.h"
#include "net/addr.h"
#include "scan/vulnscan.h"

#define SUBMISSION_PORT 587 /* RFC 6409 */
#define MX_PORT 25

enum vpp_plan vpp_plan(const char *proto, uint16_t port, int submission, struct vpp_reasons *r)
{
	static const char implicit[] = "implicit TLS: there is no clear-text phase";
	r->mail = r->notreq = r->ftp = NULL;
	if (!proto) {
		r->mail = r->notreq = r->ftp = implicit;
		return VPP_PLAN_NONE;
	}
	if (strcmp(proto, "ftp") == 0) {
		r->mail = r->notreq = "FTP: not a mail submission port";
		return VPP_PLAN_FTP;
	}
	r->ftp = "not FTP";
	if (strcmp(proto, "smtp") != 0) {
		r->mail = r->notreq = strcmp(proto, "lmtp") == 0
		                          ? "LMTP: local delivery, not a submission port"
		                          : "not SMTP: no mail submission";
		return VPP_PLAN_NONE;
	}
	if (submission || port == SUBMISSION_PORT)
		return VPP_PLAN_SMTP;
	if (port == MX_PORT) {
		r->mail = "port 25: an MX must accept mail in clear text, RFC 3207";
		r->notreq = "port 25: STARTTLS must stay optional (RFC 3207)";
	} else {
		r->mail = r->notreq = "not a submission port (587, or give --submission)";
	}
	return VPP_PLAN_NONE;
}

void vpp_rcpt(const char *host, char *out, size_t n)
{
	unsigned char a[16];
	size_t len = host ? strlen(host) : 0;
	if (len && host[len - 1] == '.')
		len--; /* an absolute name: the address takes none */
	if (host && inet_pton(AF_INET, host, a) == 1)
		snprintf(out, n, "postmaster@[%s]", host);
	else if (host && inet_pton(AF_INET6, host, a) == 1)
		snprintf(out, n, "postmaster@[IPv6:%s]", host);
	else if (len && len < 254 && net_hostname_ok(host, len, 0))
		snprintf(out, n, "postmaster@%.*s", (int)len, host);
	else
		snprintf(out, n, "postmaster");
}

/* The first line of a reply, cut to fit the evidence. */
static void keep_text(char *dst, const struct reply *r)
{
	const char *t = r->nlines ? r->lines[0] : "";
	snprintf(dst, VPP_TEXT, "%.*s", VPP_TEXT - 1, t);
}

static int kw_line(const char *line, const char *kw)
{
	size_t n = strlen(kw);
	return strncasecmp(line, kw, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

void vpp_smtp_init(struct vpp_smtp *m, const char *ehlo_name, const char *host)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->ehlo_name, sizeof m->ehlo_name, "%s",
	         ehlo_name ? ehlo_name : "mailtls.invalid");
	vpp_rcpt(host, m->rcpt, sizeof m->rcpt);
}

int vpp_smtp_reply(struct vpp_smtp *m, const struct reply *r, char *out, size_t n)
{
	switch (m->state) {
	case VPP_S_GREETING:
		m->greet = r->code;
		keep_text(m->text, r);
		if (r->code != 220)
			break;
		m->state = VPP_S_EHLO;
		snprintf(out, n, "EHLO %s", m->ehlo_name);
		return 1;
	case VPP_S_EHLO:
		m->ehlo = r->code;
		keep_text(m->text, r);
		for (size_t i = 1; i < r->nlines; i++) { /* line 0 is the greeting's echo */
			m->starttls |= kw_line(r->lines[i], "STARTTLS");
			m->auth |= kw_line(r->lines[i], "AUTH") ||
			           strncasecmp(r->lines[i], "AUTH=", 5) == 0;
		}
		if (r->code != 250)
			break;
		m->state = VPP_S_MAIL;
		snprintf(out, n, "MAIL FROM:<>");
		return 1;
	case VPP_S_MAIL:
		m->mail = r->code;
		keep_text(m->text, r);
		if (r->code / 100 != 2)
			break; /* no transaction was opened: nothing to reset */
		m->state = VPP_S_RCPT;
		snprintf(out, n, "RCPT TO:<%s>", m->rcpt);
		return 1;
	case VPP_S_RCPT:
		m->rcpt_code = r->code;
		keep_text(m->text, r);
		/* A transaction is open (MAIL was taken): close it. */
		m->state = VPP_S_RSET;
		snprintf(out, n, "RSET");
		return 1;
	case VPP_S_RSET:
		break;
	case VPP_S_QUIT:
	case VPP_S_DONE:
		m->state = VPP_S_DONE;
		return 0;
	}
	/* Decided, or refused: say goodbye (after a 421 too: it does no harm). */
	m->state = VPP_S_QUIT;
	snprintf(out, n, "QUIT");
	return 1;
}

/* A reply as evidence: "530 (5.7.0 Must issue a STARTTLS command first)". */
static void code_text(char *dst, size_t n, int code, const char *text)
{
	if (text && *text)
		snprintf(dst, n, "%d (%s)", code, text);
	else
		snprintf(dst, n, "%d", code);
}

/* A reply that ended the dialogue before MAIL and RCPT were both answered
 * with a permanent verdict: why the check could not tell. */
static void smtp_unknown(const struct vpp_smtp *m, const char *failure, struct vuln *v)
{
	char why[300], what[VPP_TEXT + 16];
	const char *cmd = NULL;
	int code = 0;
	if (!m->greet) {
		snprintf(why, sizeof why, "no greeting: %s", failure ? failure : "no answer");
	} else if (m->greet != 220) {
		cmd = "the greeting was", code = m->greet;
	} else if (!m->ehlo) {
		snprintf(why, sizeof why, "no answer to EHLO: %s", failure ? failure : "none");
	} else if (m->ehlo != 250) {
		cmd = "EHLO was answered", code = m->ehlo;
	} else if (!m->mail) {
		snprintf(why, sizeof why, "no answer to MAIL FROM: %s", failure ? failure : "none");
	} else if (m->mail / 100 != 2) {
		cmd = "MAIL FROM:<> was answered", code = m->mail;
	} else if (!m->rcpt_code) {
		snprintf(why, sizeof why, "no answer to RCPT TO: %s", failure ? failure : "none");
	} else {
		cmd = "RCPT TO was answered", code = m->rcpt_code;
	}
	if (cmd) {
		code_text(what, sizeof what, code, m->text);
		snprintf(why, sizeof why, "%s %s%s", cmd, what,
		         code == 421       ? ": the server is busy or limits connections"
		         : code / 100 == 4 ? ": a temporary refusal, the mail may be taken later"
		                           : "");
	}
	vuln_set(v, VULN_UNKNOWN, why);
}

void vpp_smtp_judge_mail(const struct vpp_smtp *m, const char *failure, struct vuln *v)
{
	char what[VPP_TEXT + 16];
	/* 250 (251 "will forward", 252 "cannot verify but will try"): taken. */
	int mail_ok = m->mail / 100 == 2;
	int rcpt_ok = m->rcpt_code / 100 == 2;
	if (mail_ok && rcpt_ok) {
		vuln_set(v, VULN_VULNERABLE, NULL);
		vuln_evidence(v, "in clear text: MAIL FROM:<> %d, RCPT TO:<%s> %d (no DATA sent)",
		              m->mail, m->rcpt, m->rcpt_code);
	} else if (m->mail / 100 == 5) {
		code_text(what, sizeof what, m->mail, m->text);
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		vuln_evidence(v, "in clear text: MAIL FROM:<> was refused with %s", what);
	} else if (mail_ok && m->rcpt_code / 100 == 5) {
		code_text(what, sizeof what, m->rcpt_code, m->text);
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		vuln_evidence(v, "in clear text: MAIL FROM:<> %d, RCPT TO:<%s> refused with %s",
		              m->mail, m->rcpt, what);
	} else {
		smtp_unknown(m, failure, v);
	}
}

void vpp_smtp_judge_notreq(const struct vpp_smtp *m, const char *failure, struct vuln *v)
{
	char what[VPP_TEXT + 16];
	/* Without the offer, "optional" has no meaning: the starttls findings
	 * say that STARTTLS is missing. */
	if (m->ehlo == 250 && !m->starttls) {
		vuln_set(v, VULN_NOT_APPLICABLE, "STARTTLS is not advertised in clear text");
		return;
	}
	int mail_ok = m->mail / 100 == 2;
	if (mail_ok && m->rcpt_code / 100 == 2) {
		vuln_set(v, VULN_VULNERABLE, NULL);
		vuln_evidence(v,
		              "STARTTLS is advertised; without it MAIL FROM:<> %d, RCPT TO:<%s> "
		              "%d (the plaintext-mail-accepted connection)",
		              m->mail, m->rcpt, m->rcpt_code);
	} else if (m->mail / 100 == 5) {
		code_text(what, sizeof what, m->mail, m->text);
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		vuln_evidence(v,
		              "STARTTLS is advertised and required: without it MAIL FROM:<> was "
		              "refused with %s",
		              what);
	} else if (mail_ok && m->rcpt_code / 100 == 5) {
		/* A refused recipient may be refused inside TLS too (no relay
		 * without authentication): TLS is required for submission when
		 * authentication is not offered without it either. */
		code_text(what, sizeof what, m->rcpt_code, m->text);
		if (!m->auth) {
			vuln_set(v, VULN_NOT_VULNERABLE, NULL);
			vuln_evidence(
			    v,
			    "without TLS, RCPT TO:<%s> was refused with %s and no AUTH is "
			    "offered: no mail is taken in clear text",
			    m->rcpt, what);
		} else {
			char why[300];
			snprintf(why, sizeof why,
			         "without TLS, RCPT TO was refused with %s, but AUTH "
			         "is offered: an authenticated client may submit in "
			         "clear text (see auth-before-tls)",
			         what);
			vuln_set(v, VULN_UNKNOWN, why);
		}
	} else {
		smtp_unknown(m, failure, v);
	}
}

void vpp_ftp_init(struct vpp_ftp *m)
{
	memset(m, 0, sizeof(*m));
}

/* Does a refusal name TLS? vsftpd: "Non-anonymous sessions must use
 * encryption."; ProFTPD: "SSL/TLS required on the control channel". */
static int names_tls(const struct reply *r)
{
	static const char *const words[] = {"tls",   "ssl",       "encrypt",
	                                    "secur", "cleartext", "clear text"};
	for (size_t i = 0; i < r->nlines; i++)
		for (size_t k = 0; k < ARRAY_LEN(words); k++)
			if (strcasestr(r->lines[i], words[k]))
				return 1;
	return 0;
}

int vpp_ftp_reply(struct vpp_ftp *m, const struct reply *r, char *out, size_t n)
{
	switch (m->state) {
	case VPP_F_GREETING:
		m->greet = r->code;
		keep_text(m->text, r);
		if (r->code != 220)
			break;
		m->state = VPP_F_USER;
		snprintf(out, n, "USER %s", VPP_FTP_USER);
		return 1;
	case VPP_F_USER:
		m->user = r->code;
		keep_text(m->text, r);
		m->tls_word = names_tls(r);
		break;
	case VPP_F_QUIT:
	case VPP_F_DONE:
		m->state = VPP_F_DONE;
		return 0;
	}
	m->state = VPP_F_QUIT;
	snprintf(out, n, "QUIT");
	return 1;
}

void vpp_ftp_judge(const struct vpp_ftp *m, const char *failure, struct vuln *v)
{
	char what[VPP_TEXT + 16], why[300];
	code_text(what, sizeof what, m->user ? m->user : m->greet, m->text);
	if (!m->greet) {
		snprintf(why, sizeof why, "no greeting: %s", failure ? failure : "no answer");
		vuln_set(v, VULN_UNKNOWN, why);
	} else if (m->greet != 220) {
		snprintf(why, sizeof why, "the greeting was %s%s", what,
		         m->greet == 421 ? ": the server is busy or limits connections" : "");
		vuln_set(v, VULN_UNKNOWN, why);
	} else if (!m->user) {
		snprintf(why, sizeof why, "no answer to USER: %s", failure ? failure : "none");
		vuln_set(v, VULN_UNKNOWN, why);
	} else if (m->user == 331 || m->user == 332 || m->user / 100 == 2) {
		/* 331 "need password": the password would follow in clear text;
		 * 230 logged in without one is no better. */
		vuln_set(v, VULN_VULNERABLE, NULL);
		vuln_evidence(v, "in clear text: USER %s was answered %s; no password was sent",
		              VPP_FTP_USER, what);
	} else if (m->user == 534 || (m->user / 100 == 5 && m->tls_word)) {
		/* 534: refused for policy reasons (RFC 2228); a 530 or 550 only
		 * when it says TLS, else it may refuse the name, not clear text. */
		vuln_set(v, VULN_NOT_VULNERABLE, NULL);
		vuln_evidence(v, "in clear text: USER %s was refused with %s", VPP_FTP_USER, what);
	} else {
		snprintf(why, sizeof why, "USER %s was answered %s%s", VPP_FTP_USER, what,
		         m->user / 100 == 5 ? ": a refusal that does not say TLS is required"
		         : m->user == 421   ? ": the server is busy or limits connections"
		                            : "");
		vuln_set(v, VULN_UNKNOWN, why);
	}
}

/* --- the network glue --- */

#define QUIT_WAIT_MS 2000 /* after QUIT, at most this long for 221 */

static const struct reply_limits pol_lim = {.max_line = 1024, .max_lines = 64, .max_bytes = 16384};
static const struct reply_limits pol_lim_ftp = {
    .max_line = 1024, .max_lines = 64, .max_bytes = 16384, .rfc959 = 1};

struct pol {
	struct hs_own own; /* the probe points at it: freed in pol_end, after the probe */
	struct endpoint *ep;
	enum vpp_plan plan;
	struct reply r;
	struct vpp_smtp smtp;
	struct vpp_ftp ftp;
	char failure[200]; /* why the dialogue ended early, "" none */
	int quitting;      /* QUIT sent: what follows is politeness */
};

static void pol_fail(struct pol *p, const char *msg)
{
	if (!p->failure[0])
		snprintf(p->failure, sizeof p->failure, "%s", msg);
}

static int pol_start(void *arg, struct conn *c, struct ossl_sess *s)
{
	(void)arg;
	(void)c;
	(void)s;
	return 0; /* the server speaks first */
}

static int pol_send(struct pol *p, struct conn *c, const char *line)
{
	char buf[400];
	int n = snprintf(buf, sizeof buf, "%s\r\n", line);
	if (n < 0 || (size_t)n >= sizeof buf || conn_write(c, buf, (size_t)n) < 0) {
		pol_fail(p, "could not send a command");
		return -1;
	}
	if (strcmp(line, "QUIT") == 0)
		p->quitting = 1;
	return 0;
}

/* Every complete reply in the input: 1 when the dialogue is over. */
static int pol_replies(struct pol *p, struct conn *c)
{
	struct buf *in = conn_input(c);
	const struct reply_limits *lim = p->plan == VPP_PLAN_FTP ? &pol_lim_ftp : &pol_lim;
	while (in->len > 0) {
		enum reply_rc rc = reply_feed(&p->r, in, lim, NULL, NULL);
		if (rc == REPLY_NEED_MORE)
			return 0;
		if (rc != REPLY_DONE) {
			if (!p->quitting)
				pol_fail(p,
				         rc == REPLY_ERR_LIMIT
				             ? "a reply exceeded the limits (1024-byte lines, 64 "
				               "lines, 16 KiB)"
				             : "a reply was not in the protocol's framing");
			return 1;
		}
		if (in->len > 0 && !p->quitting) {
			/* More than one reply to one command: the server talks
			 * out of turn, and its answers cannot be matched. */
			pol_fail(p, "the server sent more than one reply to one command");
			return 1;
		}
		char line[400];
		int more = p->plan == VPP_PLAN_FTP
		               ? vpp_ftp_reply(&p->ftp, &p->r, line, sizeof line)
		               : vpp_smtp_reply(&p->smtp, &p->r, line, sizeof line);
		if (!more || pol_send(p, c, line) < 0)
			return 1;
	}
	return 0;
}

static int pol_input(void *arg, struct conn *c, enum own_ev ev)
{
	struct pol *p = arg;
	switch (ev) {
	case OWN_DATA:
		return pol_replies(p, c);
	case OWN_QUIET:
		return p->quitting; /* no 221 yet: nothing is missing */
	case OWN_EOF:
		if (!pol_replies(p, c) && !p->quitting)
			pol_fail(p, "the server closed the connection");
		return 1;
	}
	return 1;
}

static void pol_end(void *arg, const struct err *e, const struct dialogue *dlg)
{
	struct pol *p = arg;
	(void)dlg;
	if (e && e->cat != ERR_NONE && !p->quitting) {
		char msg[200];
		snprintf(msg, sizeof msg, "%s: %.160s", err_cat_name(e->cat), e->msg);
		pol_fail(p, msg);
	}
	const char *failure = p->failure[0] ? p->failure : NULL;
	/* Each entry looked up afresh: another probe may have grown the array. */
	if (p->plan == VPP_PLAN_FTP) {
		vpp_ftp_judge(&p->ftp, failure, ep_vuln(p->ep, VPP_FTP));
	} else {
		vpp_smtp_judge_mail(&p->smtp, failure, ep_vuln(p->ep, VPP_MAIL));
		vpp_smtp_judge_notreq(&p->smtp, failure, ep_vuln(p->ep, VPP_NOTREQ));
	}
	reply_free(&p->r);
	free(p);
}

static void not_applicable(struct endpoint *ep, const char *id, const char *reason)
{
	if (reason)
		vuln_set(ep_vuln(ep, id), VULN_NOT_APPLICABLE, reason);
}

void vp_submission_policy(struct vscan *vs)
{
	struct endpoint *ep = vs->ep;
	struct vpp_reasons why;
	const char *proto =
	    ep->mode == MODE_STARTTLS && vs->base.proto ? vs->base.proto->name : NULL;
	enum vpp_plan plan = vpp_plan(proto, ep->port, vs->submission, &why);
	not_applicable(ep, VPP_MAIL, why.mail);
	not_applicable(ep, VPP_NOTREQ, why.notreq);
	not_applicable(ep, VPP_FTP, why.ftp);
	if (plan == VPP_PLAN_NONE && proto && ep->port == MX_PORT && ep->dlg.starttls_advertised)
		vuln_evidence(ep_vuln(ep, VPP_NOTREQ),
		              "STARTTLS is advertised and optional, as RFC 3207 4 asks of a "
		              "public MX");
	if (plan == VPP_PLAN_NONE)
		return;

	struct pol *p = xcalloc(1, sizeof(*p));
	p->ep = ep;
	p->plan = plan;
	if (plan == VPP_PLAN_FTP)
		vpp_ftp_init(&p->ftp);
	else
		vpp_smtp_init(&p->smtp, vs->base.dlg.ehlo_name, ep->host);
	p->own = (struct hs_own){.after_tls = 0,
	                         .quiet_ms = QUIT_WAIT_MS,
	                         .start = pol_start,
	                         .input = pol_input,
	                         .end = pol_end,
	                         .arg = p};
	struct hsprobe_params prm = vscan_params(vs, &p->own);
	prm.proto = NULL; /* the bare connection, right after connect */
	vscan_launch(vs, ep_vuln(ep, plan == VPP_PLAN_FTP ? VPP_FTP : VPP_MAIL), &prm);
}
