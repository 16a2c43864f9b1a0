/* https.h - HTTPS GET through libcurl's multi interface, driven by the
 * run's libevent loop (curl's sockets watched as events, its timer as an
 * event timer): no thread, no blocking call. Made for fetching small
 * documents such as an MTA-STS policy: HTTPS only, redirects never
 * followed, the body capped, the certificate verified for the URL's host
 * (system store, or ca_file), one overall deadline. */
#ifndef MAILTLS_HTTPS_H
#define MAILTLS_HTTPS_H

#include <stddef.h>
#include "core/compiler.h"
#include "core/err.h"

struct event_base;
struct https;

struct https_req {
	const char *url;         /* "https://host[:port]/path" only */
	const char *connect_ip;  /* numeric address to connect to instead of
				    resolving the URL's host (the name is still
				    sent as SNI and verified); NULL: resolve */
	const char *ca_file;     /* NULL: system store */
	int timeout_ms;          /* whole request; 0: 60 s */
	size_t max_body;         /* bytes; a bigger body fails (ERR_PROTOCOL) */
};

struct https_resp {
	long status;             /* HTTP status, 0 when none came */
	char *content_type;      /* Content-Type header value, NULL none */
	char *location;          /* Location header of a 3xx, NULL none */
	char *body;              /* NUL-terminated copy (may hold NULs: use len) */
	size_t len;
	char *ip;                /* the address connected to, NULL none */
	long verify_result;      /* X509 verify result of the server's
				    certificate (0 ok), -1 unknown */
};

typedef void https_cb(void *arg, const struct https_resp *resp, const struct err *e);

struct https *https_new(struct event_base *base, struct err *e) WUR;
/* Cancels what is still in flight (no callbacks after). */
void https_free(struct https *h);
/* Start a GET; cb runs once, from the loop (never from inside this call,
 * never after https_free), with the response (any HTTP status, redirects
 * included, as responses) or with e set and resp NULL: ERR_TLS (handshake
 * or certificate verification failed, message says why), ERR_CONNECT,
 * ERR_TIMEOUT, ERR_RESOLVE, ERR_PROTOCOL (not HTTP, body too big), ERR_IO
 * (connection cut), ERR_LOCAL (ca_file unreadable). resp and e live for
 * the call only. 0 when started; -1 when nothing was started and cb will
 * never run: the URL is not "https://" with a host curl parses, connect_ip
 * is not a numeric address, or libcurl refused the request (a caller's
 * bug, so no error detail). */
int https_get(struct https *h, const struct https_req *req, https_cb *cb, void *arg) WUR;

#endif
