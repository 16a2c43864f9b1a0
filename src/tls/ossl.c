/* ossl.c - verified TLS handshakes through OpenSSL as a conn_io. */
#include "tls/ossl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "core/mem.h"
#include "dns/resolve.h"

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
	double t_start_ms;
	double t_done_ms;
	unsigned char first[256]; /* first bytes read from the server */
	size_t nfirst;
};

static int sess_index = -1;

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

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
	if (s && (where & SSL_CB_READ_ALERT) && ((ret >> 8) & 0xff) == SSL3_AL_FATAL)
		s->alert_received = ret & 0xff;
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

struct ossl_sess *ossl_sess_new(struct ossl_ctx *x, const char *sni, const char *verify_name,
				struct err *e)
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
		struct dns_addr a;
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		int ok;
		if (dns_parse_numeric(verify_name, &a) == 0) {
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

/* Turn OpenSSL's error state into one message; 0 when it was a retry. */
static int ssl_result(struct ossl_sess *s, int ret, int *want, struct err *e, const char *op)
{
	int code = SSL_get_error(s->ssl, ret);
	unsigned long ec;
	switch (code) {
	case SSL_ERROR_WANT_READ:
		*want = CONN_WANT_READ;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		*want = CONN_WANT_WRITE;
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		err_set(e, ERR_TLS, "server closed the TLS session during the %s", op);
		return -1;
	case SSL_ERROR_SYSCALL:
		ec = ERR_get_error();
		if (ec)
			err_set(e, ERR_TLS, "%s failed: %s", op, ERR_reason_error_string(ec));
		else if (errno && errno != EAGAIN)
			err_set(e, ERR_IO, "%s failed: %s", op, strerror(errno));
		else
			err_set(e, ERR_TLS, "server closed the connection during the %s", op);
		return -1;
	default:
		ec = ERR_get_error();
		if (s->alert_received >= 0)
			err_set(e, ERR_TLS, "%s failed: server sent alert %s", op,
				SSL_alert_desc_string_long(s->alert_received));
		else if (ERR_GET_REASON(ec) == SSL_R_WRONG_VERSION_NUMBER ||
			 ERR_GET_REASON(ec) == SSL_R_PACKET_LENGTH_TOO_LONG)
			err_set(e, ERR_TLS,
				"%s failed: the server's answer is not TLS (%s); a port that "
				"expects STARTTLS or a plain-text protocol answers like this",
				op, ERR_reason_error_string(ec));
		else
			err_set(e, ERR_TLS, "%s failed: %s", op,
				ec ? ERR_reason_error_string(ec) : "unknown TLS error");
		ERR_clear_error();
		return -1;
	}
}

static int io_handshake(void *ctx, int *want, struct err *e)
{
	struct ossl_sess *s = ctx;
	if (s->t_start_ms == 0)
		s->t_start_ms = mono_ms();
	ERR_clear_error();
	errno = 0;
	int r = SSL_connect(s->ssl);
	if (r == 1) {
		s->t_done_ms = mono_ms();
		return 1;
	}
	return ssl_result(s, r, want, e, "TLS handshake") == 0 ? 0 : -1;
}

static ssize_t io_read(void *ctx, void *p, size_t n, int *want, struct err *e)
{
	struct ossl_sess *s = ctx;
	size_t got = 0;
	ERR_clear_error();
	errno = 0;
	if (SSL_read_ex(s->ssl, p, n, &got) == 1)
		return (ssize_t)got;
	int code = SSL_get_error(s->ssl, 0);
	if (code == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0)
		return 0; /* closed without close_notify: an end all the same */
	return ssl_result(s, 0, want, e, "TLS read") == 0 ? -1 : -2;
}

static ssize_t io_write(void *ctx, const void *p, size_t n, int *want, struct err *e)
{
	struct ossl_sess *s = ctx;
	size_t put = 0;
	ERR_clear_error();
	errno = 0;
	if (SSL_write_ex(s->ssl, p, n, &put) == 1)
		return (ssize_t)put;
	return ssl_result(s, 0, want, e, "TLS write") == 0 ? -1 : -2;
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

/* --- describing what was negotiated --- */

static char *bio_take(BIO *b)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	char *s = xstrndup(data ? data : "", n > 0 ? (size_t)n : 0);
	BIO_free(b);
	return s;
}

static char *name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	return bio_take(b);
}

static char *time_text(const ASN1_TIME *t)
{
	struct tm tm;
	char out[32];
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return xstrdup("");
	strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(out);
}

static char *key_text(X509 *x)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char out[96];
	if (!k)
		return xstrdup("unknown");
	int id = EVP_PKEY_get_base_id(k);
	int bits = EVP_PKEY_get_bits(k);
	char group[64] = "";
	size_t glen = 0;
	switch (id) {
	case EVP_PKEY_RSA:
		snprintf(out, sizeof out, "RSA %d", bits);
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(k, group, sizeof group, &glen) != 1)
			snprintf(group, sizeof group, "%d bits", bits);
		/* NIST names where they exist: "P-256" rather than prime256v1 */
		const char *nist = EC_curve_nid2nist(OBJ_sn2nid(group));
		snprintf(out, sizeof out, "EC %s", nist ? nist : group);
		break;
	case EVP_PKEY_DSA:
		snprintf(out, sizeof out, "DSA %d", bits);
		break;
	default:
		snprintf(out, sizeof out, "%s", OBJ_nid2sn(id));
		break;
	}
	return xstrdup(out);
}

static char *hex_colon(const unsigned char *p, size_t n)
{
	char *s = xmalloc(n * 3 + 1);
	for (size_t i = 0; i < n; i++)
		snprintf(s + i * 3, 4, "%02X%s", p[i], i + 1 < n ? ":" : "");
	s[n ? n * 3 - 1 : 0] = '\0';
	return s;
}

static void describe_cert(struct endpoint *ep, X509 *x)
{
	struct cert_entry *c = ep_add_cert(ep);
	c->subject = name_text(X509_get_subject_name(x));
	c->issuer = name_text(X509_get_issuer_name(x));
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	c->serial = xstrdup(hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
	c->not_before = time_text(X509_get0_notBefore(x));
	c->not_after = time_text(X509_get0_notAfter(x));
	c->key = key_text(x);
	c->sig_alg = xstrdup(OBJ_nid2ln(X509_get_signature_nid(x)));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	c->sha256 = X509_digest(x, EVP_sha256(), md, &mdlen) == 1 ? hex_colon(md, mdlen)
								 : xstrdup("");

	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char out[300];
		if (g->type == GEN_DNS) {
			const ASN1_IA5STRING *s = g->d.dNSName;
			snprintf(out, sizeof out, "DNS:%.*s", ASN1_STRING_length(s),
				 (const char *)ASN1_STRING_get0_data(s));
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *s = g->d.iPAddress;
			char ip[64] = "?";
			int af = ASN1_STRING_length(s) == 4 ? AF_INET : AF_INET6;
			if (ASN1_STRING_length(s) == 4 || ASN1_STRING_length(s) == 16)
				inet_ntop(af, ASN1_STRING_get0_data(s), ip, sizeof ip);
			snprintf(out, sizeof out, "IP:%s", ip);
		} else if (g->type == GEN_EMAIL) {
			const ASN1_IA5STRING *s = g->d.rfc822Name;
			snprintf(out, sizeof out, "email:%.*s", ASN1_STRING_length(s),
				 (const char *)ASN1_STRING_get0_data(s));
		} else {
			continue;
		}
		cert_add_san(c, out);
	}
	GENERAL_NAMES_free(gens);
}

static char *group_text(SSL *ssl)
{
	int nid = SSL_get_negotiated_group(ssl);
	char out[64];
	if (nid > 0) {
		const char *n = SSL_group_to_name(ssl, nid);
		/* RFC 8446 spells these two in capitals; the rest as IANA. */
		if (n && strcmp(n, "x25519") == 0)
			n = "X25519";
		else if (n && strcmp(n, "x448") == 0)
			n = "X448";
		if (n)
			return xstrdup(n);
	}
	EVP_PKEY *k = NULL;
	if (SSL_get_peer_tmp_key(ssl, &k) == 1 && k) {
		int id = EVP_PKEY_get_base_id(k);
		snprintf(out, sizeof out, "%s %d", id == EVP_PKEY_DH ? "DH" : OBJ_nid2sn(id),
			 EVP_PKEY_get_bits(k));
		EVP_PKEY_free(k);
		return xstrdup(out);
	}
	return NULL;
}

static enum tls_proto proto_of(int version)
{
	switch (version) {
	case SSL3_VERSION:
		return P_SSLV3;
	case TLS1_VERSION:
		return P_TLS10;
	case TLS1_1_VERSION:
		return P_TLS11;
	case TLS1_2_VERSION:
		return P_TLS12;
	default:
		return P_TLS13;
	}
}

void ossl_sess_describe(struct ossl_sess *s, struct endpoint *ep)
{
	SSL *ssl = s->ssl;
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	struct tls_summary *t = &ep->tls;
	enum tls_proto p = proto_of(SSL_version(ssl));

	t->done = 1;
	str_set(&t->version, tls_proto_name(p));
	if (c) {
		str_set(&t->cipher, SSL_CIPHER_standard_name(c));
		str_set(&t->cipher_openssl, SSL_CIPHER_get_name(c));
		t->cipher_code = SSL_CIPHER_get_protocol_id(c);
	}
	free(t->group);
	t->group = group_text(ssl);
	t->verify_code = s->nerrors ? s->codes[0] : X509_V_OK;
	str_set(&t->verify_message, X509_verify_cert_error_string(t->verify_code));
	t->hostname_checked = s->name_checked;
	for (size_t i = 0; i < t->nverify_errors; i++)
		free(t->verify_errors[i].message);
	free(t->verify_errors);
	t->verify_errors = xcalloc(s->nerrors ? s->nerrors : 1, sizeof(*t->verify_errors));
	t->nverify_errors = s->nerrors;
	for (size_t i = 0; i < s->nerrors; i++)
		t->verify_errors[i] = (struct verify_error){
			s->codes[i], s->depths[i],
			xstrdup(X509_verify_cert_error_string(s->codes[i]))};
	t->handshake_ms = s->t_done_ms - s->t_start_ms;

	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	for (int i = 0; chain && i < sk_X509_num(chain); i++)
		describe_cert(ep, sk_X509_value(chain, i));
}
