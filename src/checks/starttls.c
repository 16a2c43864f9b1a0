/* starttls.c - findings from the clear-text dialogue: STARTTLS offered,
 * refused, stripped or re-advertised, AUTH in clear text, bytes pipelined
 * after the go-ahead, capability changes, greet pause, port/mode mismatch. */
#include "checks/checks.h"

#include <stdio.h>
#include "proto/dialog.h"

/* Append the lines of a that b lacks to out, after a label. */
static size_t list_missing(char *out, size_t size, size_t used, const char *label, char **a,
			   size_t na, char **b, size_t nb)
{
	int first = 1;
	for (size_t i = 0; i < na && used < size; i++) {
		/* STARTTLS is meant to disappear once TLS is up (RFC 3207 4.2):
		 * not a change worth reporting */
		if (dlg_cap_listed(b, nb, a[i]) || dlg_cap_is_starttls(a[i]))
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%s%s",
					 first ? (used ? "; " : "") : ", ", first ? label : "",
					 a[i]);
		first = 0;
	}
	return used;
}

static void caps_diff(struct endpoint *ep)
{
	const struct dialogue *g = &ep->dlg;
	char detail[2048] = "";
	size_t used = list_missing(detail, sizeof detail, 0, "before TLS only: ", g->caps_pre,
				   g->ncaps_pre, g->caps_post, g->ncaps_post);
	used = list_missing(detail, sizeof detail, used, "inside TLS only: ", g->caps_post,
			    g->ncaps_post, g->caps_pre, g->ncaps_pre);
	if (used)
		ep_add_finding(ep, "capabilities-changed", SEV_INFO,
			       "Capabilities differ before and inside TLS", detail, NULL);
}

/* How to turn STARTTLS on, for the usual servers of the endpoint's
 * protocol (its struct dlg_proto says); SMTP when none was named. */
static const char *enable_fix(const struct endpoint *ep)
{
	const struct dlg_proto *p = ep->starttls ? dlg_proto_find(ep->starttls) : &smtp_proto;
	return p && p->enable_tls ? p->enable_tls : "Enable TLS on the server with a certificate.";
}

static void port_mode(struct endpoint *ep)
{
	char detail[1024], fix[512];
	if (ep->mode == MODE_STARTTLS && ep->dlg.silent && ep->dlg.implicit_answered) {
		snprintf(detail, sizeof detail,
			 "no %s greeting came, but a TLS ClientHello got a ServerHello: port %u "
			 "speaks implicit TLS (like 465)",
			 ep->starttls ? ep->starttls : "clear-text", ep->port);
		snprintf(fix, sizeof fix,
			 "Drop --starttls and scan it as implicit TLS: mailtls check --implicit "
			 "%s:%u. If this port should offer STARTTLS, the server is configured for "
			 "wrapper mode here (Postfix: smtpd_tls_wrappermode=yes).",
			 ep->host, ep->port);
		ep_add_finding(ep, "port-mode-mismatch", SEV_MEDIUM,
			       "STARTTLS was asked for, but this port speaks implicit TLS", detail,
			       fix);
	}
	if (ep->mode == MODE_IMPLICIT && ep->tls.clear_text_answer) {
		const struct dlg_proto *dp =
			dlg_proto_by_greeting(ep->tls.clear_text_answer, ep->port);
		const char *p = dp ? dp->name : NULL;
		snprintf(detail, sizeof detail,
			 "the server answered the TLS ClientHello in clear text: \"%.200s\"",
			 ep->tls.clear_text_answer);
		snprintf(fix, sizeof fix,
			 "This port expects STARTTLS: mailtls check --starttls %s %s:%u",
			 p ? p : "PROTO", ep->host, ep->port);
		ep_add_finding(ep, "port-mode-mismatch", SEV_MEDIUM,
			       "Implicit TLS was asked for, but this port greets in clear text",
			       detail, fix);
	}
}

/* TLS is offered (STARTTLS accepted, or an implicit port answered with a
 * ServerHello), yet the server ends the handshake itself after its
 * ServerHello: no session can be set up, whatever the enumeration saw. */
static void handshake_fails(struct endpoint *ep)
{
	const struct tls_summary *t = &ep->tls;
	if (t->done || !t->failed_after_hello)
		return;
	char how[160], detail[1024];
	if (t->failed_alert >= 0)
		snprintf(how, sizeof how, "the alert %.60s (%d)",
			 t->failed_alert_name ? t->failed_alert_name : "unknown", t->failed_alert);
	else
		snprintf(how, sizeof how, "a close of the connection");
	snprintf(detail, sizeof detail,
		 "%s, the server answered the ClientHello with a ServerHello (a version and "
		 "a suite the client offered), then ended the handshake with %s. No TLS "
		 "session can be set up: %s",
		 ep->mode == MODE_STARTTLS ? "After its STARTTLS go-ahead" : "On this implicit-TLS port",
		 how,
		 ep->mode == MODE_STARTTLS
			 ? "senders that require TLS cannot deliver, the others fall back to "
			   "clear text."
			 : "no client can connect.");
	ep_add_finding(ep, "tls-handshake-fails", SEV_CRITICAL,
		       "TLS is offered, but no TLS handshake completes", detail,
		       "Read the server's log for its TLS error: usually a certificate or key "
		       "it cannot use (unreadable, not matching the certificate, a key type its "
		       "TLS library refuses) or a broken TLS setting. Then check with openssl "
		       "s_client (-starttls smtp for port 25) that a handshake completes.");
}

void check_starttls(struct endpoint *ep, const struct checks_cfg *cfg)
{
	const struct dialogue *g = &ep->dlg;
	char detail[1024];
	/* What the server said to STARTTLS (or, where the protocol tells up
	 * front, that it has none). A command that got no answer -- a
	 * timeout, a close, a 421, a reply that does not parse -- proves
	 * nothing: no refusal is concluded from it. */
	int answered = g->starttls_reply != NULL;

	port_mode(ep);
	handshake_fails(ep);
	if (!g->ran || (g->hello_code == 0 && !g->preauth))
		return;

	if (g->preauth)
		ep_add_finding(ep, "imap-preauth", SEV_HIGH,
			       "The IMAP greeting is PREAUTH: STARTTLS is impossible",
			       "the server logged the client in before any command (RFC 3501 "
			       "7.1.4), so the session can never be upgraded to TLS",
			       "Do not pre-authenticate connections on a network port; use implicit "
			       "TLS (993) or require STARTTLS before login.");
	if (g->starttls_sent && !g->starttls_advertised && g->starttls_ok) {
		if (g->starttls_masked)
			snprintf(detail, sizeof detail,
				 "the capability list shows \"%s\" where STARTTLS belongs, yet "
				 "STARTTLS sent anyway was accepted",
				 g->starttls_masked);
		else
			snprintf(detail, sizeof detail,
				 "STARTTLS is not in the capability list, yet STARTTLS sent anyway "
				 "was accepted");
		ep_add_finding(ep, "starttls-stripped", SEV_HIGH,
			       "STARTTLS is hidden from the capability list", detail,
			       "Something between the client and the server removes STARTTLS "
			       "(a firewall 'SMTP inspection' such as Cisco fixup/ESMTP "
			       "inspection, or an attacker); senders then deliver in clear text. "
			       "Turn that inspection off and publish MTA-STS or DANE so senders "
			       "refuse a downgrade.");
	} else if (g->starttls_advertised && g->starttls_sent && !g->starttls_ok && answered) {
		snprintf(detail, sizeof detail, "STARTTLS is advertised but answered %.0d%s\"%.300s\"",
			 g->starttls_code, g->starttls_code > 0 ? " " : "",
			 g->starttls_reply ? g->starttls_reply : "");
		ep_add_finding(ep, "starttls-refused", SEV_HIGH,
			       "The server refuses STARTTLS it advertises", detail,
			       "Check the server's TLS certificate and key settings and its logs: "
			       "a 454 usually means TLS could not be initialised (unreadable key, "
			       "missing certificate).");
	} else if (!g->starttls_advertised && !g->starttls_ok && !g->preauth && answered) {
		snprintf(detail, sizeof detail,
			 "STARTTLS is not advertised%s%.0d%s%.300s%s",
			 g->starttls_sent ? " and STARTTLS sent anyway was answered " : "",
			 g->starttls_sent ? g->starttls_code : 0,
			 g->starttls_sent && g->starttls_code > 0 ? " \"" : g->starttls_sent ? "\"" : "",
			 g->starttls_sent && g->starttls_reply ? g->starttls_reply : "",
			 g->starttls_sent ? "\"" : "");
		ep_add_finding(ep, "starttls-not-offered", SEV_HIGH,
			       "STARTTLS is not offered: everything travels in clear text",
			       detail, enable_fix(ep));
	}

	if (g->caps_post_known && (dlg_cap_find(g->caps_post, g->ncaps_post, "STARTTLS") ||
	                           dlg_cap_find(g->caps_post, g->ncaps_post, "STLS")))
		ep_add_finding(ep, "starttls-readvertised", SEV_LOW,
			       "STARTTLS is advertised again inside TLS",
			       "after TLS starts the server must not offer STARTTLS again (RFC 3207 "
			       "4.2, RFC 2595 3.1); some clients take it as a broken session",
			       "Upgrade or fix the server (or the proxy in front of it) so it "
			       "drops STARTTLS from the EHLO reply once TLS is active.");

	if (g->auth_clear) {
		snprintf(detail, sizeof detail, "before TLS the server offers %.300s", g->auth_clear);
		ep_add_finding(ep, "auth-before-tls", SEV_MEDIUM,
			       "Passwords can be sent before TLS", detail,
			       "Offer password authentication only inside TLS (Postfix: "
			       "smtpd_tls_auth_only = yes; Dovecot: disable_plaintext_auth = yes, "
			       "ssl = required).");
	} else if (g->auth_tls && !g->auth_pre) {
		ep_add_finding(ep, "auth-after-tls-only", SEV_OK,
			       "Authentication is offered only inside TLS", NULL, NULL);
	}

	if (g->pipelined_bytes > 0) {
		snprintf(detail, sizeof detail,
			 "%zu byte(s) arrived after the server's go-ahead to STARTTLS and before "
			 "the TLS handshake; they were discarded, never treated as TLS",
			 g->pipelined_bytes);
		ep_add_finding(ep, "pipelined-after-starttls", SEV_MEDIUM,
			       "The server sent data after its STARTTLS go-ahead", detail,
			       "A server must send nothing between its go-ahead and the handshake "
			       "(RFC 3207 5). Clients that buffer it are open to response injection "
			       "(CVE-2011-0411, CVE-2021-23222 class); check any proxy in front of "
			       "the server.");
	}

	if (g->greeting_ms >= 2000) {
		snprintf(detail, sizeof detail,
			 "the greeting took %.1f s: a greet pause (Postfix postscreen_greet_wait) "
			 "or a slow server; clients must wait for it%s",
			 g->greeting_ms / 1000.0,
			 ep->scaled_down_ms > 0
				 ? ". Every connection was that slow, so each TLS version was asked "
				   "once (its first choice), not suite by suite: --patient lists "
				   "every suite"
				 : "");
		ep_add_finding(ep, "greeting-delay", SEV_INFO, "The greeting is delayed", detail,
			       NULL);
	}
	if (g->throttled) {
		snprintf(detail, sizeof detail,
			 "the server refused %d connection(s) with 421; the scan slowed down "
			 "and retried",
			 g->throttled);
		ep_add_finding(ep, "server-throttled", SEV_INFO,
			       "The server limits connections (421)", detail, NULL);
	}
	if (g->caps_post_known)
		caps_diff(ep);
}
