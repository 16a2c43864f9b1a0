/* ossl.c - verified TLS handshakes through OpenSSL as a conn_io. */
#include "tls/ossl.h"
#include "tls/ossl_io.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "core/clock.h"
#include "core/mem.h"
#include "net/addr.h"

#define MAX_VERIFY_ERRORS 16

struct ossl_ctx {
	SSL_CTX *ctx;
};

struct ossl_sess {
	SSL *ssl;
	long codes[MAX_VERIFY_ERRORS];
	int depths[MAX_VERIFY_ERRORS];
	size_t nerrors;
	int name_checked;
	int alert_received; /* last fatal alert from the server, -1 none */
	int server_hello;   /* the server's ServerHello was read */
	double t_start_ms;
	double t_done_ms;
	int reneg_started;
	unsigned char first[256]; /* first bytes read from the server */
	size_t nfirst;
};

static int sess_index = -1;

/* Record every verification problem and go on: the point is to report all
 * of them, not to stop at the first (the report still names the first, as
 * `openssl s_client -verify_return_error` does). */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	if (ok)
		return 1;
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct ossl_sess *s = ssl ? SSL_get_ex_data(ssl, sess_index) : NULL;
	if (!s)
		return 1;
	long code = X509_STORE_CTX_get_error(xs);
	int depth = X509_STORE_CTX_get_error_depth(xs);
	for (size_t i = 0; i < s->nerrors; i++)
		if (s->codes[i] == code && s->depths[i] == depth)
			return 1;
	if (s->nerrors < MAX_VERIFY_ERRORS) {
		s->codes[s->nerrors] = code;
		s->depths[s->nerrors] = depth;
		s->nerrors++;
	}
	return 1;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct ossl_sess *s = SSL_get_ex_data(ssl, sess_index);
	/* SSL_CB_READ_ALERT is two bits (alert | read): both must be set, or
	 * the alerts OpenSSL sends itself would pass for the server's. */
	if (s && (where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT &&
	    ((ret >> 8) & 0xff) == SSL3_AL_FATAL)
		s->alert_received = ret & 0xff;
	if (s && (where & SSL_CB_CONNECT_LOOP) && SSL_get_state(ssl) == TLS_ST_CR_SRVR_HELLO)
		s->server_hello = 1;
}

struct ossl_ctx *ossl_ctx_new(const struct ossl_opts *o, struct err *e)
{
	if (sess_index < 0)
		sess_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		err_set(e, ERR_INTERNAL, "SSL_CTX_new failed");
		return NULL;
	}
	/* A scanner must complete handshakes with weak servers to describe
	 * them: every version and suite this OpenSSL has, legacy servers
	 * without RFC 5746 included. Weakness is reported, not refused. */
	SSL_CTX_set_min_proto_version(ctx, 0);
	SSL_CTX_set_security_level(ctx, 0);
	/* Many servers close without close_notify; that is an end, not an
	 * error, for what we read (SSL_OP_IGNORE_UNEXPECTED_EOF). */
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
	(void)SSL_CTX_set_cipher_list(ctx, "DEFAULT:ALL:@SECLEVEL=0");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	SSL_CTX_set_info_callback(ctx, info_cb);
	/* Only sessions that call SSL_dane_enable() use it. */
	(void)SSL_CTX_dane_enable(ctx);

	if (o->ca_file || o->ca_path) {
		const char *what = o->ca_file ? o->ca_file : o->ca_path;
		FILE *f = o->ca_file ? fopen(o->ca_file, "r") : NULL;
		if (o->ca_file && !f) {
			err_set(e, ERR_LOCAL, "cannot read CA file %s: %s", what, strerror(errno));
			goto fail;
		}
		if (f)
			fclose(f);
		ERR_clear_error();
		if (SSL_CTX_load_verify_locations(ctx, o->ca_file, o->ca_path) != 1) {
			unsigned long ec = ERR_peek_last_error();
			err_set(e, ERR_LOCAL, "cannot load CA certificates from %s: %s", what,
				ec ? ERR_reason_error_string(ec) : "no certificate found");
			ERR_clear_error();
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		err_set(e, ERR_LOCAL, "cannot load the system CA store");
		goto fail;
	}
	struct ossl_ctx *x = xcalloc(1, sizeof(*x));
	x->ctx = ctx;
	return x;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void ossl_ctx_free(struct ossl_ctx *x)
{
	if (!x)
		return;
	SSL_CTX_free(x->ctx);
	free(x);
}

/* RFC 7672 3.1.3: PKIX-TA(0) and PKIX-EE(1) records are unusable for SMTP;
 * DANE-EE(3) ignores names and validity dates (RFC 7672 3.1.1). */
static int dane_setup(SSL *ssl, const struct ossl_sess_opts *o, struct err *e)
{
	if (SSL_dane_enable(ssl, o->dane_base) <= 0) {
		err_set(e, ERR_INTERNAL, "cannot enable DANE for %s", o->dane_base);
		return -1;
	}
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	int usable = 0;
	for (size_t i = 0; i < o->ntlsa; i++) {
		const struct ossl_tlsa *t = &o->tlsa[i];
		if (t->usage < 2)
			continue;
		/* 0: unusable record (skipped), -1: error; both leave the rest. */
		if (SSL_dane_tlsa_add(ssl, t->usage, t->selector, t->mtype, t->data, t->len) > 0)
			usable++;
	}
	ERR_clear_error();
	if (!usable) {
		err_set(e, ERR_USAGE, "no usable TLSA record for %s", o->dane_base);
		return -1;
	}
	return 0;
}

int ossl_sess_dane_result(const struct ossl_sess *s, int *usage, int *selector, int *mtype,
			  int *depth, char *msg, size_t msglen)
{
	uint8_t u = 0, sel = 0, mt = 0;
	const unsigned char *data = NULL;
	size_t dlen = 0;
	long vr = SSL_get_verify_result(s->ssl);
	int d = SSL_get0_dane_tlsa(s->ssl, &u, &sel, &mt, &data, &dlen);
	*depth = d;
	if (d >= 0 && vr == X509_V_OK) {
		*usage = u;
		*selector = sel;
		*mtype = mt;
		snprintf(msg, msglen, "TLSA %u %u %u matched the %s certificate", u, sel, mt,
			 d == 0 ? "server's" : "issuer");
		return 1;
	}
	*depth = -1;
	snprintf(msg, msglen, "%s", vr == X509_V_OK ? "no TLSA record matched"
						 : X509_verify_cert_error_string(vr));
	return 0;
}

struct ossl_sess *ossl_sess_new(struct ossl_ctx *x, const char *sni, const char *verify_name,
				const struct ossl_sess_opts *o, struct err *e)
{
	SSL *ssl = SSL_new(x->ctx);
	if (!ssl) {
		err_set(e, ERR_INTERNAL, "SSL_new failed");
		return NULL;
	}
	struct ossl_sess *s = xcalloc(1, sizeof(*s));
	s->ssl = ssl;
	s->alert_received = -1;
	SSL_set_ex_data(ssl, sess_index, s);
	if (sni && SSL_set_tlsext_host_name(ssl, sni) != 1) {
		err_set(e, ERR_USAGE, "invalid SNI name: %s", sni);
		goto fail;
	}
	if (verify_name) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		int ok;
		if (net_is_numeric(verify_name)) {
			ok = X509_VERIFY_PARAM_set1_ip_asc(vp, verify_name);
		} else {
			/* RFC 6125 6.4.3: a wildcard only as the whole left-most
			 * label. */
			SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			ok = SSL_set1_host(ssl, verify_name);
		}
		if (ok != 1) {
			err_set(e, ERR_USAGE, "cannot verify against the name %s", verify_name);
			goto fail;
		}
		s->name_checked = 1;
	}
	/* RFC 6066 8: ask for a stapled OCSP response */
	SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
	if (o) {
		if ((o->max_version && SSL_set_max_proto_version(ssl, o->max_version) != 1) ||
		    (o->cipher_list && SSL_set_cipher_list(ssl, o->cipher_list) != 1) ||
		    (o->sigalgs && SSL_set1_sigalgs_list(ssl, o->sigalgs) != 1) ||
		    (o->resume && SSL_set_session(ssl, o->resume) != 1)) {
			err_set(e, ERR_INTERNAL, "cannot set up the handshake variation");
			goto fail;
		}
		if (o->no_ticket)
			SSL_set_options(ssl, SSL_OP_NO_TICKET);
		if (o->dane_base && dane_setup(ssl, o, e) != 0)
			goto fail;
	}
	return s;
fail:
	ossl_sess_free(s);
	return NULL;
}

void ossl_sess_free(struct ossl_sess *s)
{
	if (!s)
		return;
	SSL_free(s->ssl);
	free(s);
}

static int ssl_result(struct ossl_sess *s, int ret, int *want, struct err *e, const char *op)
{
	return ossl_io_result(s->ssl, ret, want, e, op, "server", s->alert_received);
}

static int io_handshake(void *ctx, int *want, struct err *e)
{
	struct ossl_sess *s = ctx;
	if (s->t_start_ms == 0)
		s->t_start_ms = clk_mono_ms();
	ERR_clear_error();
	errno = 0;
	int r = SSL_connect(s->ssl);
	if (r == 1) {
		s->t_done_ms = clk_mono_ms();
		return 1;
	}
	return ssl_result(s, r, want, e, "TLS handshake") == 0 ? 0 : -1;
}

static ssize_t io_read(void *ctx, void *p, size_t n, int *want, struct err *e)
{
	struct ossl_sess *s = ctx;
	return ossl_io_read(s->ssl, p, n, want, e, "server", s->alert_received);
}

static ssize_t io_write(void *ctx, const void *p, size_t n, int *want, struct err *e)
{
	struct ossl_sess *s = ctx;
	return ossl_io_write(s->ssl, p, n, want, e, "server", s->alert_received);
}

/* Keep a copy of the first bytes the server sends: when they are not TLS
 * they are usually a greeting that tells what the port speaks instead. */
static long capture_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl,
		       int ret, size_t *processed)
{
	struct ossl_sess *s = (struct ossl_sess *)BIO_get_callback_arg(b);
	if (s && oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed) {
		size_t room = sizeof s->first - s->nfirst;
		size_t n = *processed < room ? *processed : room;
		memcpy(s->first + s->nfirst, argp, n);
		s->nfirst += n;
	}
	return ret;
}

const unsigned char *ossl_sess_first_bytes(const struct ossl_sess *s, size_t *len)
{
	*len = s->nfirst;
	return s->first;
}

void ossl_sess_shutdown(struct ossl_sess *s)
{
	if (s && SSL_is_init_finished(s->ssl)) {
		ERR_clear_error();
		(void)SSL_shutdown(s->ssl);
		ERR_clear_error();
	}
}

int ossl_sess_alert(const struct ossl_sess *s)
{
	return s->alert_received;
}

int ossl_sess_saw_server_hello(const struct ossl_sess *s)
{
	return s->server_hello;
}

const char *ossl_alert_name(int alert)
{
	return SSL_alert_desc_string_long(alert);
}

SSL *ossl_sess_ssl(const struct ossl_sess *s)
{
	return s->ssl;
}

int ossl_sess_secure_reneg(const struct ossl_sess *s)
{
	if (SSL_version(s->ssl) > TLS1_2_VERSION)
		return -1;
	return SSL_get_secure_renegotiation_support(s->ssl) != 0;
}

int ossl_sess_reused(const struct ossl_sess *s)
{
	return SSL_session_reused(s->ssl) == 1;
}

int ossl_sess_has_ticket(const struct ossl_sess *s)
{
	SSL_SESSION *sess = SSL_get0_session(s->ssl);
	return sess && SSL_SESSION_has_ticket(sess);
}

long ossl_sess_ticket_lifetime(const struct ossl_sess *s)
{
	SSL_SESSION *sess = SSL_get0_session(s->ssl);
	if (!sess || !SSL_SESSION_has_ticket(sess))
		return -1;
	return (long)SSL_SESSION_get_ticket_lifetime_hint(sess);
}

SSL_SESSION *ossl_sess_get1_session(const struct ossl_sess *s)
{
	return SSL_get1_session(s->ssl);
}

void ossl_session_free(SSL_SESSION *sess)
{
	SSL_SESSION_free(sess);
}

/* A renegotiation the client starts (RFC 5246 7.4.1.1 HelloRequest is the
 * server's way; SSL_renegotiate is ours): one SSL_renegotiate, then the
 * handshake is driven like the first one. */
static int io_reneg(void *ctx, int *want, struct err *e)
{
	struct ossl_sess *s = ctx;
	ERR_clear_error();
	if (!s->reneg_started) {
		if (SSL_renegotiate(s->ssl) != 1) {
			err_set(e, ERR_TLS, "the session cannot be renegotiated");
			return -1;
		}
		s->reneg_started = 1;
	}
	errno = 0;
	int r = SSL_do_handshake(s->ssl);
	if (r == 1)
		return 1;
	return ssl_result(s, r, want, e, "renegotiation") == 0 ? 0 : -1;
}

void ossl_sess_reneg_io(struct ossl_sess *s, struct conn_io *io)
{
	io->read = io_read;
	io->write = io_write;
	io->handshake = io_reneg;
	io->ctx = s;
}

void ossl_sess_io(struct ossl_sess *s, int fd, struct conn_io *io)
{
	SSL_set_fd(s->ssl, fd);
	BIO *rbio = SSL_get_rbio(s->ssl);
	if (rbio) {
		BIO_set_callback_ex(rbio, capture_cb);
		BIO_set_callback_arg(rbio, (char *)s);
	}
	io->read = io_read;
	io->write = io_write;
	io->handshake = io_handshake;
	io->ctx = s;
}

size_t ossl_sess_nverify(const struct ossl_sess *s)
{
	return s->nerrors;
}

long ossl_sess_verify_code(const struct ossl_sess *s, size_t i)
{
	return i < s->nerrors ? s->codes[i] : X509_V_OK;
}

int ossl_sess_verify_depth(const struct ossl_sess *s, size_t i)
{
	return i < s->nerrors ? s->depths[i] : -1;
}

int ossl_sess_name_checked(const struct ossl_sess *s)
{
	return s->name_checked;
}

double ossl_sess_handshake_ms(const struct ossl_sess *s)
{
	return s->t_done_ms - s->t_start_ms;
}
