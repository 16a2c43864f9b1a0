/* https.c - HTTPS GET on the run's libevent loop through libcurl's multi
 * socket interface. curl says which sockets to watch (one event each) and
 * when it wants to be called back (one timer); those events call
 * curl_multi_socket_action, and finished transfers are completed right
 * after, so every callback runs from the loop. */
#include "net/https.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <event2/event.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"

#define HTTPS_DEFAULT_TIMEOUT_MS 60000
/* Longest Content-Type or Location value kept; the rest is cut. curl
 * already refuses a header block over 100 KiB. */
#define HTTPS_HDR_MAX 2048

/* One socket curl asked us to watch. */
struct hsock {
	struct https *h;
	struct event *ev;
	struct hsock *prev, *next;
};

struct xfer {
	struct https *h;
	CURL *easy;
	https_cb *cb;
	void *arg;
	struct buf body; /* capped at req->max_body */
	int over_cap;    /* the body hit the cap: the write error is ours */
	char *content_type;
	char *location;
	struct curl_slist *connect_to;
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *prev, *next;
};

struct https {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct xfer *xfers;
	struct hsock *socks;
	int depth;   /* inside one of our event callbacks */
	int closing; /* https_free ran from a callback: destroy on the way out */
};

/* A CLI initialises libcurl once and never cleans it up. */
static int curl_ready;

static void xfer_free(struct xfer *x)
{
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->connect_to);
	buf_free(&x->body);
	free(x->content_type);
	free(x->location);
	free(x);
}

static void xfer_unlink(struct xfer *x)
{
	struct https *h = x->h;

	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		h->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
}

static void sock_free(struct hsock *hs)
{
	struct https *h = hs->h;

	if (hs->prev != NULL)
		hs->prev->next = hs->next;
	else
		h->socks = hs->next;
	if (hs->next != NULL)
		hs->next->prev = hs->prev;
	if (hs->ev != NULL)
		event_free(hs->ev);
	free(hs);
}

/* Remove every transfer without calling its callback. */
static void cancel_all(struct https *h)
{
	while (h->xfers != NULL) {
		struct xfer *x = h->xfers;

		xfer_unlink(x);
		(void)curl_multi_remove_handle(h->multi, x->easy);
		xfer_free(x);
	}
}

/* curl_multi_cleanup may still report sockets and the timer, so the
 * events go after it. */
static void destroy(struct https *h)
{
	cancel_all(h);
	if (h->multi != NULL)
		(void)curl_multi_cleanup(h->multi);
	while (h->socks != NULL)
		sock_free(h->socks);
	if (h->timer != NULL)
		event_free(h->timer);
	free(h);
}

static void enter(struct https *h)
{
	h->depth++;
}

/* May free h: nothing of h is touched after it. */
static void leave(struct https *h)
{
	if (--h->depth == 0 && h->closing)
		destroy(h);
}

/* --- completion ------------------------------------------------------ */

static int is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return 1;
	default:
		return 0;
	}
}

/* curl's error buffer says why (the verify reason, the host name that did
 * not match); its strerror is only the category. */
static void map_error(const struct xfer *x, CURLcode rc, struct err *e)
{
	const char *why = x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc);
	enum err_cat cat;

	if ((rc == CURLE_WRITE_ERROR && x->over_cap) || rc == CURLE_FILESIZE_EXCEEDED) {
		err_set(e, ERR_PROTOCOL, "body over %zu bytes", x->body.max);
		return;
	}
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		cat = ERR_RESOLVE;
		break;
	case CURLE_COULDNT_CONNECT:
		cat = ERR_CONNECT;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		cat = ERR_TIMEOUT;
		break;
	case CURLE_SSL_CACERT_BADFILE: /* ca_file unreadable: ours, not the peer's */
		cat = ERR_LOCAL;
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
		cat = ERR_IO;
		break;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
	case CURLE_FAILED_INIT:
		cat = ERR_INTERNAL;
		break;
	default:
		cat = is_tls_error(rc) ? ERR_TLS : ERR_PROTOCOL;
		break;
	}
	err_set(e, cat, "%s", why);
}

static void fill_resp(struct xfer *x, struct https_resp *r)
{
	char *ip = NULL;

	if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status) != CURLE_OK)
		r->status = 0;
	if (curl_easy_getinfo(x->easy, CURLINFO_SSL_VERIFYRESULT, &r->verify_result) != CURLE_OK)
		r->verify_result = -1;
	if (curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != NULL &&
	    ip[0] != '\0')
		r->ip = xstrdup(ip);
	r->content_type = x->content_type;
	r->location = x->location;
	r->body = buf_steal(&x->body, &r->len);
}

/* x is out of the multi and of the list before its callback runs, so the
 * callback may start requests or free h. */
static void finish(struct xfer *x, CURLcode rc)
{
	struct https *h = x->h;
	struct https_resp resp;
	struct err e;

	memset(&resp, 0, sizeof(resp));
	err_clear(&e);
	if (rc == CURLE_OK)
		fill_resp(x, &resp);
	else
		map_error(x, rc, &e);
	(void)curl_multi_remove_handle(h->multi, x->easy);
	xfer_unlink(x);
	x->cb(x->arg, rc == CURLE_OK ? &resp : NULL, rc == CURLE_OK ? NULL : &e);
	free(resp.ip);
	free(resp.body);
	xfer_free(x);
}

/* Complete the finished transfers; stop when a callback freed h. */
static void drain(struct https *h)
{
	CURLMsg *m;
	int left;

	while (!h->closing && (m = curl_multi_info_read(h->multi, &left)) != NULL) {
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;
		char *priv = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK || priv == NULL)
			continue;
		finish((struct xfer *)(void *)priv, rc);
	}
}

/* --- curl's sockets and timer on the loop ----------------------------- */

static void on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct hsock *hs = arg;
	struct https *h = hs->h; /* hs may be freed by socket_action */
	int flags =
	    ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;

	enter(h);
	/* A transfer's failure comes through curl_multi_info_read. */
	(void)curl_multi_socket_action(h->multi, fd, flags, &running);
	drain(h);
	leave(h);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct https *h = arg;
	int running;

	enter(h);
	(void)curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(h);
	leave(h);
}

/* CURLMOPT_SOCKETFUNCTION: one persistent event per socket, its interest
 * replaced on every update. */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct https *h = userp;
	struct hsock *hs = socketp;
	short kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (hs != NULL)
			sock_free(hs);
		return 0;
	}
	if (hs == NULL) {
		hs = xcalloc(1, sizeof(*hs));
		hs->h = h;
		hs->next = h->socks;
		if (h->socks != NULL)
			h->socks->prev = hs;
		h->socks = hs;
		if (curl_multi_assign(h->multi, s, hs) != CURLM_OK) {
			sock_free(hs);
			return -1;
		}
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (hs->ev != NULL) {
		if (event_del(hs->ev) < 0 ||
		    event_assign(hs->ev, h->base, s, kind, on_sock, hs) < 0)
			return -1;
	} else {
		hs->ev = event_new(h->base, s, kind, on_sock, hs);
		if (hs->ev == NULL)
			return -1;
	}
	if ((kind & (EV_READ | EV_WRITE)) != 0 && event_add(hs->ev, NULL) < 0)
		return -1;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: only arms the timer; socket_action is called
 * from the loop, never from inside curl. 0 fires on the next loop turn. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct https *h = userp;
	struct timeval tv;

	if (timeout_ms < 0)
		return event_del(h->timer) < 0 ? -1 : 0;
	tv = clk_tv(timeout_ms);
	return evtimer_add(h->timer, &tv) < 0 ? -1 : 0;
}

/* --- the transfer's callbacks ----------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n; /* size is always 1 */

	if (buf_append(&x->body, p, len) < 0) {
		/* Any count other than len aborts with CURLE_WRITE_ERROR. */
		x->over_cap = 1;
		return 0;
	}
	return len;
}

/* The value of header `name` in the line p[0..len), or NULL. */
static const char *header_value(const char *p, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *v, *end = p + len;

	if (len <= nl || p[nl] != ':' || strncasecmp(p, name, nl) != 0)
		return NULL;
	v = p + nl + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*vlen = (size_t)(end - v);
	return v;
}

/* Keep the first value seen: at most HTTPS_HDR_MAX bytes, CR and LF
 * dropped, cut at a NUL (peer bytes, stored raw otherwise: renderers
 * escape). */
static void keep_header(char **dst, const char *v, size_t vlen)
{
	char *s;
	size_t i, n = 0;

	if (*dst != NULL)
		return;
	if (vlen > HTTPS_HDR_MAX)
		vlen = HTTPS_HDR_MAX;
	s = xmalloc(vlen + 1);
	for (i = 0; i < vlen && v[i] != '\0'; i++)
		if (v[i] != '\r' && v[i] != '\n')
			s[n++] = v[i];
	s[n] = '\0';
	*dst = s;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, vlen;
	const char *v;

	/* A status line starts a new header block (after a 1xx): forget what
	 * the previous one said. */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		free(x->content_type);
		free(x->location);
		x->content_type = x->location = NULL;
	} else if ((v = header_value(p, len, "content-type", &vlen)) != NULL) {
		keep_header(&x->content_type, v, vlen);
	} else if ((v = header_value(p, len, "location", &vlen)) != NULL) {
		keep_header(&x->location, v, vlen);
	}
	return len;
}

/* --- API ---------------------------------------------------------------- */

struct https *https_new(struct event_base *base, struct err *e)
{
	struct https *h;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			err_set(e, ERR_LOCAL, "cannot initialise libcurl");
			return NULL;
		}
		curl_ready = 1;
	}
	h = xcalloc(1, sizeof(*h));
	h->base = base;
	h->multi = curl_multi_init();
	h->timer = evtimer_new(base, on_timer, h);
	if (h->multi == NULL || h->timer == NULL ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK) {
		err_set(e, ERR_LOCAL, "cannot set up libcurl's multi handle");
		destroy(h);
		return NULL;
	}
	return h;
}

void https_free(struct https *h)
{
	if (h == NULL || h->closing)
		return;
	cancel_all(h);
	h->closing = 1;
	if (h->depth == 0)
		destroy(h);
}

/* "https://host[:port]/path" as curl parses it. curl 7.88 reads
 * "https:///x" as host "x" (browsers do): refused, as is a user name, which
 * curl would send as Basic credentials. */
static int url_ok(const char *url)
{
	CURLU *u;
	char *host = NULL, *user = NULL;
	int ok;

	if (strncasecmp(url, "https://", 8) != 0 || url[8] == '/')
		return 0;
	u = curl_url();
	if (u == NULL)
		return 0;
	ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != NULL &&
	     host[0] != '\0' && curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER;
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return ok;
}

/* CURLOPT_CONNECT_TO rather than CURLOPT_RESOLVE: a RESOLVE entry goes into
 * the multi handle's shared DNS cache and stays there, so it would pin the
 * name for every later or concurrent request; CONNECT_TO belongs to this
 * transfer. The empty HOST and PORT match this transfer's URL whatever it
 * is; the empty CONNECT-TO-PORT keeps the URL's port. The URL's host is
 * still sent as SNI and verified. */
static int connect_to_entry(const char *ip, char *out, size_t n)
{
	struct in6_addr a6;
	struct in_addr a4;
	int w;

	if (inet_pton(AF_INET, ip, &a4) == 1)
		w = snprintf(out, n, "::%s:", ip);
	else if (inet_pton(AF_INET6, ip, &a6) == 1)
		w = snprintf(out, n, "::[%s]:", ip);
	else
		return -1;
	return w > 0 && (size_t)w < n ? 0 : -1;
}

static int setup(struct xfer *x, const struct https_req *req)
{
	CURL *c = x->easy;
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : HTTPS_DEFAULT_TIMEOUT_MS;

	if (curl_easy_setopt(c, CURLOPT_URL, req->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK ||
	    /* MTA-STS (RFC 8461 3.3): redirects are not followed. */
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "mailtls/" MAILTLS_VERSION) != CURLE_OK ||
	    /* The address asked for, never a proxy from the environment. */
	    curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK ||
	    /* One connection per request: what the server does each time, and
	     * no connection pinned by connect_ip reused for another. */
	    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, x) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)x) != CURLE_OK)
		return -1;
	/* A ca_file replaces the system store (as tls/ossl does): no CA path
	 * beside it. */
	if (req->ca_file != NULL &&
	    (curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file) != CURLE_OK ||
	     curl_easy_setopt(c, CURLOPT_CAPATH, (char *)NULL) != CURLE_OK))
		return -1;
	/* Refuses a Content-Length over the cap before any body byte; 0 would
	 * mean no limit to curl, so the write callback alone handles that. */
	if (req->max_body > 0 &&
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_body) != CURLE_OK)
		return -1;
	if (x->connect_to != NULL &&
	    curl_easy_setopt(c, CURLOPT_CONNECT_TO, x->connect_to) != CURLE_OK)
		return -1;
	return 0;
}

int https_get(struct https *h, const struct https_req *req, https_cb *cb, void *arg)
{
	struct xfer *x;
	char entry[INET6_ADDRSTRLEN + 8];

	if (h == NULL || h->closing || req == NULL || req->url == NULL || cb == NULL ||
	    !url_ok(req->url))
		return -1;
	if (req->connect_ip != NULL && connect_to_entry(req->connect_ip, entry, sizeof(entry)) < 0)
		return -1;
	x = xcalloc(1, sizeof(*x));
	x->h = h;
	x->cb = cb;
	x->arg = arg;
	buf_init(&x->body, req->max_body);
	if (req->connect_ip != NULL) {
		x->connect_to = curl_slist_append(NULL, entry);
		if (x->connect_to == NULL)
			goto fail;
	}
	x->easy = curl_easy_init();
	if (x->easy == NULL || setup(x, req) < 0)
		goto fail;
	/* Only arms the timer (at 0): the transfer starts from the loop. */
	if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK)
		goto fail;
	x->next = h->xfers;
	if (h->xfers != NULL)
		h->xfers->prev = x;
	h->xfers = x;
	return 0;
fail:
	xfer_free(x);
	return -1;
}
