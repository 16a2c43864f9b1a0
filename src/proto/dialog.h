/* dialog.h - the one STARTTLS engine (STYLE.md rule 10).
 *
 * The engine owns what every clear-text dialogue shares: line framing with
 * caps, RFC 5321-style coded replies, the transcript (every line, both
 * directions, milliseconds since connect), the pending-bytes check after
 * the server's go-ahead, and errors. Each protocol is a small table-driven
 * state machine in its own file (smtp.c, ...) that only decides what to send
 * next. The engine never touches TLS: when a protocol says DLG_START_TLS the
 * probe installs the TLS transport, and after the handshake calls
 * dlg_after_tls() so the protocol can talk again inside TLS. */
#ifndef MAILTLS_DIALOG_H
#define MAILTLS_DIALOG_H

#include "core/err.h"
#include "model/result.h"
#include "net/conn.h"
#include "net/lines.h"

struct dlg;

#define DLG_MAX_PORTS 4

enum dlg_step {
	DLG_WAIT,      /* need more bytes from the server */
	DLG_START_TLS, /* the server said go: switch to TLS now */
	DLG_DONE,      /* the dialogue ended (no TLS, or after TLS) */
	DLG_FAIL,      /* could not go on: dlg_error() says why */
};

/* One line a server sent, as the STARTTLS attacks read it
 * (scan/vp_starttls.c, proto/stattack.h): the end of an answer or a part of
 * one, and which of the attacks' commands it answers when the protocol
 * tags its answers (IMAP's tag, ManageSieve's TAG response code). */
enum dlg_ans_kind {
	DLG_ANS_PART, /* no answer's end: a continuation, untagged data, a capability */
	DLG_ANS_OK,   /* the end of a positive answer */
	DLG_ANS_ERR,  /* the end of a negative answer */
};
enum dlg_tag { DLG_TAG_NONE, DLG_TAG_INJECT, DLG_TAG_PROBE, DLG_TAG_STARTTLS };
struct dlg_ans {
	enum dlg_ans_kind kind;
	int code;         /* the reply code (SMTP, FTP, NNTP), else 0 */
	enum dlg_tag tag; /* whose answer by its tag; NONE when untagged */
	/* IMAP's untagged status responses (RFC 9051 7.1), its greeting on
	 * an implicit-TLS port: 1 OK or PREAUTH, -1 BYE, 0 none (a part). */
	int status;
};

/* What the STARTTLS attacks send in a line-based protocol (docs/vulns.md
 * starttls-injection, starttls-in-tls). Commands go without CRLF. */
struct dlg_attack {
	/* Pipelined after STARTTLS in the same write (dlg_cfg.inject): a
	 * harmless command with an answer of its own (never a password). */
	const char *inject;
	/* The same command sent inside TLS when nothing came: its answer is
	 * told from the injected one's by its tag where the protocol has tags. */
	const char *probe;
	/* STARTTLS as sent again inside TLS. */
	const char *starttls;
	/* The hello verb (EHLO, LHLO) sent inside TLS before STARTTLS (RFC
	 * 3207 4.2: the session starts over), NULL none. */
	const char *hello;
	/* The go-ahead's reply code (220, 234, 382); 0: any positive answer. */
	int go_code;
	/* Answers the server sends unasked once STARTTLS's handshake is done
	 * (ManageSieve's capabilities and OK, RFC 5804 2.2: 1). */
	int own_after_tls;
	/* Sort one line (without its ending); pure. */
	void (*answer)(const char *line, struct dlg_ans *out);
};

struct dlg_proto {
	const char *name;               /* "smtp" */
	const char *const *state_names; /* for logs, indexed by state */
	/* After TCP connect; client-first protocols send here. */
	enum dlg_step (*begin)(struct dlg *d);
	/* New bytes arrived (clear text or inside TLS). Consume what you use
	 * with dlg_reply()/dlg_line(); return DLG_WAIT for more. */
	enum dlg_step (*on_input)(struct dlg *d);
	/* The handshake is done; e.g. send EHLO again. NULL: DLG_DONE. */
	enum dlg_step (*after_tls)(struct dlg *d);
	const void *priv; /* per-protocol constants (e.g. the hello verb) */
	int rfc959;       /* coded replies with free-text continuation (FTP) */
	/* The state after the goodbye (QUIT, LOGOUT), 0 if none: once there,
	 * everything is known, and a server that does not answer or closes
	 * abruptly has cost nothing (no error). */
	int bye_state;
	/* Its usual ports, 0-terminated: STARTTLS on `ports`, the implicit-TLS
	 * twin on `implicit_ports` (465 for SMTP, RFC 8314 3.3). */
	uint16_t ports[DLG_MAX_PORTS];
	uint16_t implicit_ports[DLG_MAX_PORTS];
	/* Its clear-text greeting, to name the protocol of a port that greets
	 * when TLS was expected: the prefixes one starts with (NULL-terminated,
	 * none for client-first protocols), and a word (matched without case)
	 * that tells it from another protocol with the same prefix, NULL for
	 * the one a bare prefix means. */
	const char *const *greeting;
	const char *greeting_word;
	/* How to turn STARTTLS on in its usual servers (a finding's fix), NULL
	 * when there is no usual advice. */
	const char *enable_tls;
	/* The STARTTLS attacks' commands; NULL for a protocol without a
	 * line-based STARTTLS (LDAP, PostgreSQL, MySQL, XMPP). */
	const struct dlg_attack *attack;
};

/* SMTP (RFC 5321): checks compare an endpoint's protocol with it (the MX
 * port, where senders do not verify names). */
extern const struct dlg_proto smtp_proto;

struct dlg_cfg {
	const char *ehlo_name; /* EHLO/LHLO argument */
	const char *xmpp_domain;
	/* starttls-injection: the protocol's attack->inject line goes out in
	 * the same write as STARTTLS (dlg_starttls_command). */
	int inject;
};

const struct dlg_proto *dlg_proto_find(const char *name);
/* Names of every protocol, NULL-terminated (for --help and errors). */
const char *const *dlg_proto_names(void);
/* The protocol a port usually speaks: *implicit is 1 when it is that
 * protocol's implicit-TLS port. NULL for a port no protocol claims. */
const struct dlg_proto *dlg_proto_by_port(uint16_t port, int *implicit);
/* The STARTTLS protocol a clear-text greeting belongs to: the port's usual
 * protocol when the greeting fits it, else the one whose signature the
 * text carries; the port's protocol when no signature fits; NULL if none. */
const struct dlg_proto *dlg_proto_by_greeting(const char *greeting, uint16_t port);

struct dlg *dlg_new(const struct dlg_proto *p, const struct dlg_cfg *cfg, struct conn *c,
                    struct endpoint *ep);
void dlg_free(struct dlg *d);
enum dlg_step dlg_begin(struct dlg *d);
enum dlg_step dlg_input(struct dlg *d);
enum dlg_step dlg_after_tls(struct dlg *d);
const struct err *dlg_error(const struct dlg *d);
int dlg_in_tls(const struct dlg *d);
/* The server closed the connection: an error unless the protocol was done
 * (or had said goodbye). */
void dlg_eof(struct dlg *d);
/* The goodbye has been sent: what is left is politeness, not facts. */
int dlg_said_bye(const struct dlg *d);

/* --- for protocol files --- */

/* A complete coded reply (RFC 5321 4.2 framing): 1, 0 need more, -1 failed
 * (error set). The reply stays valid until the next call. */
int dlg_reply(struct dlg *d, const struct reply **r) WUR;
/* One line, without its ending: 1, 0 need more, -1 failed. The text is valid
 * until the next call. */
int dlg_line(struct dlg *d, const char **text, size_t *len) WUR;
/* Send a command line (CRLF added) and record it. */
int dlg_send(struct dlg *d, const char *line) WUR;
/* Send bytes as they are (binary protocols, XML); `what` is what the
 * transcript shows instead of the bytes when they are not text. */
int dlg_send_raw(struct dlg *d, const void *p, size_t n, const char *what) WUR;
/* The raw input (binary protocols): consume what you use; note what you
 * consumed in the transcript with dlg_note_recv(). */
struct buf *dlg_input_buf(struct dlg *d);
void dlg_note_recv(struct dlg *d, const void *p, size_t n, const char *what);
/* A capability, before TLS or inside it (as the dialogue stands). */
void dlg_add_cap(struct dlg *d, const char *text);
/* The go-ahead (or its refusal) to STARTTLS. */
void dlg_starttls_answer(struct dlg *d, int ok, int code, const char *text);
enum dlg_step dlg_fail(struct dlg *d, enum err_cat cat, const char *fmt, ...) PRINTF(3, 4);
/* Send a command line and move to next_state: DLG_WAIT, or DLG_FAIL. */
enum dlg_step dlg_command(struct dlg *d, const char *line, int next_state);
/* The same for the STARTTLS command: with cfg.inject, the protocol's
 * injected line follows it in the same write (one TCP segment). */
enum dlg_step dlg_starttls_command(struct dlg *d, const char *line, int next_state);
/* Hand each complete line (or coded reply) to fn until fn returns
 * something else than DLG_WAIT or more bytes are needed: the input loop
 * of a line-based protocol. */
typedef enum dlg_step dlg_line_fn(struct dlg *d, const char *line);
typedef enum dlg_step dlg_reply_fn(struct dlg *d, const struct reply *r);
enum dlg_step dlg_each_line(struct dlg *d, dlg_line_fn *fn);
enum dlg_step dlg_each_reply(struct dlg *d, dlg_reply_fn *fn);
/* dlg_attack.answer for coded replies (RFC 5321 4.2, RFC 959 4.2, RFC 3977
 * 3.2): "ddd text" ends an answer (positive below 400), "ddd-text" and
 * lines without a code are parts of one. */
void dlg_ans_coded(const char *line, struct dlg_ans *out);
/* The server's go-ahead has arrived: note anything it sent after it. */
void dlg_note_pending(struct dlg *d);
int dlg_state(const struct dlg *d);
void dlg_set_state(struct dlg *d, int state);
struct endpoint *dlg_ep(struct dlg *d);
const struct dlg_proto *dlg_proto(const struct dlg *d);
const struct dlg_cfg *dlg_cfg(const struct dlg *d);
double dlg_ms(const struct dlg *d);

#endif
