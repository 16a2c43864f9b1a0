/* xmpp_wire.h - what STARTTLS needs from an XMPP stream (RFC 6120 4.3,
 * 4.9, 5.4), without sockets: elements found by name inside a bounded
 * input, nothing parsed into a tree. Each finder says how many bytes the
 * caller may consume. */
#ifndef MAILTLS_XMPP_WIRE_H
#define MAILTLS_XMPP_WIRE_H

#include <stddef.h>
#include "core/compiler.h"

#define XMPP_NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
/* The longest SASL mechanism name taken (RFC 4422 3.1 allows 20). */
#define XMPP_MECH_MAX 64

enum xmpp_found {
	XMPP_NONE,    /* not in the input */
	XMPP_PARTIAL, /* its start is there, its end not yet */
	XMPP_WHOLE,
};

/* <stream:error> ... </stream:error> (RFC 6120 4.9): the element's text
 * (from its start tag through its end tag) and how far to consume. */
struct xmpp_span {
	const char *text;
	size_t len;
	size_t consumed; /* from the input's start through the end tag */
};
enum xmpp_found xmpp_stream_error(const char *p, size_t n, struct xmpp_span *e) WUR;

/* <stream:features> ... </stream:features>, or <stream:features/>. */
struct xmpp_features {
	size_t len;   /* the input through the features' end: consume it */
	int starttls; /* <starttls xmlns=XMPP_NS_TLS> */
	int required; /* <required/> inside <starttls>...</starttls> */
};
/* 1 when the input holds the end of the features (f filled), 0 when
 * more bytes are needed. */
int xmpp_features(const char *p, size_t n, struct xmpp_features *f) WUR;

/* The next <mechanism>NAME</mechanism> at or after *pos in the n bytes at
 * p (the features, xmpp_features()'s len): 1 with the name, *pos moved past
 * the start tag; 0 when there is none, or it has no end tag or a name over
 * XMPP_MECH_MAX bytes (the list stops there). */
int xmpp_next_mechanism(const char *p, size_t n, size_t *pos, const char **name, size_t *len) WUR;

/* The answer to <starttls/> (RFC 6120 5.4.2.3): <proceed> ... '>' (what
 * to consume through its '>'), <failure (all of the input), or neither
 * yet. */
enum xmpp_answer {
	XMPP_ANSWER_NONE,
	XMPP_ANSWER_PARTIAL, /* <proceed without its '>' yet */
	XMPP_ANSWER_PROCEED,
	XMPP_ANSWER_FAILURE,
};
enum xmpp_answer xmpp_starttls_answer(const char *p, size_t n, size_t *consumed) WUR;

#endif
