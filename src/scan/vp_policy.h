/* vp_policy.h - the submission-port policy checks (docs/vulns.md):
 * plaintext-mail-accepted, starttls-not-required, ftp-user-before-tls.
 * What decides is pure (replies in, commands and verdicts out) so that the
 * unit tests drive it without a socket; vp_policy.c is the network glue. */
#ifndef MAILTLS_VP_POLICY_H
#define MAILTLS_VP_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "model/vuln.h"
#include "net/lines.h"

#define VPP_MAIL "plaintext-mail-accepted"
#define VPP_NOTREQ "starttls-not-required"
#define VPP_FTP "ftp-user-before-tls"

/* The user name sent to FTP servers (never a password): not "anonymous",
 * whose login leaks no credential and is often refused for other reasons. */
#define VPP_FTP_USER "mailtls"

/* What the policy checks do on an endpoint. */
enum vpp_plan {
	VPP_PLAN_NONE, /* no connection: every entry not-applicable */
	VPP_PLAN_SMTP, /* a submission port: one clear-text SMTP connection */
	VPP_PLAN_FTP,  /* an FTP AUTH TLS port: one clear-text FTP connection */
};

struct vpp_reasons {
	const char *mail, *notreq, *ftp; /* not-applicable reasons, NULL: probed */
};

/* proto: the STARTTLS protocol's name (NULL: implicit TLS). */
enum vpp_plan vpp_plan(const char *proto, uint16_t port, int submission, struct vpp_reasons *r);

/* RCPT TO's address for host: postmaster@host, an address literal for a
 * numeric host (RFC 5321 4.1.3), bare <postmaster> (which every server
 * must accept, RFC 5321 4.5.1) for a name that is not a host name. */
void vpp_rcpt(const char *host, char *out, size_t n);

#define VPP_TEXT 96 /* the first line of a decisive reply, kept for evidence */

enum vpp_smtp_state {
	VPP_S_GREETING,
	VPP_S_EHLO,
	VPP_S_MAIL,
	VPP_S_RCPT,
	VPP_S_RSET,
	VPP_S_QUIT,
	VPP_S_DONE,
};

/* The clear-text SMTP client: greeting, EHLO, MAIL FROM:<>, RCPT TO, RSET,
 * QUIT (never DATA). Reply codes are 0 until answered. */
struct vpp_smtp {
	enum vpp_smtp_state state;
	char ehlo_name[256];
	char rcpt[300];
	int greet, ehlo, mail, rcpt_code;
	int starttls;        /* STARTTLS in the EHLO reply */
	int auth;            /* AUTH (any mechanism) in the EHLO reply */
	char text[VPP_TEXT]; /* first line of the last reply that decided */
};

void vpp_smtp_init(struct vpp_smtp *m, const char *ehlo_name, const char *host);
/* A complete reply to the current state's command (or the greeting): the
 * next command line (without CRLF) into out and 1, or 0 when there is
 * nothing more to send (after QUIT's answer). */
int vpp_smtp_reply(struct vpp_smtp *m, const struct reply *r, char *out, size_t n);
/* The verdicts. failure: why the connection ended early (NULL: it did not);
 * it matters only when the replies that decide had not come. */
void vpp_smtp_judge_mail(const struct vpp_smtp *m, const char *failure, struct vuln *v);
void vpp_smtp_judge_notreq(const struct vpp_smtp *m, const char *failure, struct vuln *v);

enum vpp_ftp_state { VPP_F_GREETING, VPP_F_USER, VPP_F_QUIT, VPP_F_DONE };

/* The clear-text FTP client: greeting, USER (never PASS), QUIT. */
struct vpp_ftp {
	enum vpp_ftp_state state;
	int greet, user;
	char text[VPP_TEXT];
	int tls_word; /* the USER refusal mentions TLS, SSL or encryption */
};

void vpp_ftp_init(struct vpp_ftp *m);
int vpp_ftp_reply(struct vpp_ftp *m, const struct reply *r, char *out, size_t n);
void vpp_ftp_judge(const struct vpp_ftp *m, const char *failure, struct vuln *v);

#endif
