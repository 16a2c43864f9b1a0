/* ossl.c - verified TLS handshakes through OpenSSL as a conn_io. */
#include "tls/ossl.h"
#include "tls/ossl_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/ct.h>
#include <openssl/sha.h>
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
	int server_hello;   /* the server's ServerHello was read */
	double t_start_ms;
	double t_done_ms;
	int reneg_started;
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

static void push_uri(char ***v, size_t *n, const GENERAL_NAME *g)
{
	if (g->type != GEN_URI)
		return;
	const ASN1_IA5STRING *u = g->d.uniformResourceIdentifier;
	char *t = xstrndup((const char *)ASN1_STRING_get0_data(u), (size_t)ASN1_STRING_length(u));
	strv_push(v, n, t);
	free(t);
}

/* AIA (OCSP, caIssuers) and CRL distribution points. */
static void describe_uris(struct cert_entry *c, X509 *x)
{
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		int nid = OBJ_obj2nid(ad->method);
		if (nid == NID_ad_OCSP)
			push_uri(&c->ocsp_uris, &c->nocsp_uris, ad->location);
		else if (nid == NID_ad_ca_issuers)
			push_uri(&c->ca_issuers, &c->nca_issuers, ad->location);
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	CRL_DIST_POINTS *crl = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	for (int i = 0; crl && i < sk_DIST_POINT_num(crl); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(crl, i);
		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		GENERAL_NAMES *names = dp->distpoint->name.fullname;
		for (int j = 0; j < sk_GENERAL_NAME_num(names); j++)
			push_uri(&c->crl_uris, &c->ncrl_uris, sk_GENERAL_NAME_value(names, j));
	}
	CRL_DIST_POINTS_free(crl);
}

/* RFC 7633: the TLS feature extension listing status_request (5). */
static int must_staple(X509 *x)
{
	int idx = X509_get_ext_by_NID(x, NID_tlsfeature, -1);
	if (idx < 0)
		return 0;
	ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(x, idx));
	const unsigned char *p = ASN1_STRING_get0_data(v);
	/* SEQUENCE OF INTEGER: look for the INTEGER 5 (02 01 05) */
	int n = ASN1_STRING_length(v);
	for (int i = 0; i + 2 < n; i++)
		if (p[i] == 0x02 && p[i + 1] == 0x01 && p[i + 2] == 0x05)
			return 1;
	return 0;
}

static char *spki_sha256(X509 *x)
{
	unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (n <= 0)
		return xstrdup("");
	SHA256(der, (size_t)n, md);
	OPENSSL_free(der);
	char *hex = xmalloc(sizeof md * 2 + 1);
	for (size_t i = 0; i < sizeof md; i++)
		snprintf(hex + i * 2, 3, "%02x", md[i]);
	return hex;
}

static void describe_cert(struct endpoint *ep, X509 *x, const char *chain, int depth)
{
	struct cert_entry *c = ep_add_cert(ep);
	c->depth = depth;
	c->chain = xstrdup(chain);
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
	EVP_PKEY *pk = X509_get0_pubkey(x);
	int kid = pk ? EVP_PKEY_get_base_id(pk) : 0;
	c->key_type = xstrdup(kid == EVP_PKEY_RSA	? "RSA"
			      : kid == EVP_PKEY_EC	? "EC"
			      : kid == EVP_PKEY_DSA	? "DSA"
			      : kid == EVP_PKEY_ED25519 ? "Ed25519"
			      : kid == EVP_PKEY_ED448	? "Ed448"
			      : kid			? OBJ_nid2sn(kid)
							: "unknown");
	c->key_bits = pk ? EVP_PKEY_get_bits(pk) : 0;
	c->sig_alg = xstrdup(OBJ_nid2ln(X509_get_signature_nid(x)));
	int days = 0, secs = 0;
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) == 1) {
		/* Whole days left, rounded down: expired 12 hours ago is -1. */
		long total = (long)days * 86400 + secs;
		c->days_left = total >= 0 ? total / 86400 : -((-total + 86399) / 86400);
	}
	c->spki_sha256 = spki_sha256(x);
	describe_uris(c, x);
	c->must_staple = must_staple(x);
	STACK_OF(SCT) *scts = X509_get_ext_d2i(x, NID_ct_precert_scts, NULL, NULL);
	c->sct_count = scts ? sk_SCT_num(scts) : 0;
	SCT_LIST_free(scts);
	c->self_signed = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
	BIO *pem = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(pem, x);
	c->pem = bio_take(pem);
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

static void describe_ocsp(struct ossl_sess *s, struct endpoint *ep);

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
			.code = s->codes[i],
			.kind = tls_verify_of_code(s->codes[i]),
			.depth = s->depths[i],
			.message = xstrdup(X509_verify_cert_error_string(s->codes[i]))};
	t->handshake_ms = s->t_done_ms - s->t_start_ms;

	describe_ocsp(s, ep);
	t->secure_reneg = ossl_sess_secure_reneg(s);
	(void)ossl_sess_describe_chain(s, ep, "default");
}

int ossl_sess_describe_chain(struct ossl_sess *s, struct endpoint *ep, const char *chain)
{
	STACK_OF(X509) *certs = SSL_get_peer_cert_chain(s->ssl);
	if (!certs || sk_X509_num(certs) == 0)
		return 0;
	/* The same leaf seen already (under another label): nothing new. */
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (X509_digest(sk_X509_value(certs, 0), EVP_sha256(), md, &mdlen) == 1) {
		char *fp = hex_colon(md, mdlen);
		int seen = 0;
		for (size_t i = 0; i < ep->ncerts && !seen; i++)
			seen = ep->certs[i].depth == 0 && strcmp(ep->certs[i].sha256, fp) == 0;
		free(fp);
		if (seen)
			return 0;
	}
	for (int i = 0; i < sk_X509_num(certs); i++)
		describe_cert(ep, sk_X509_value(certs, i), chain, i);
	return 1;
}

/* The stapled OCSP response: its status, the leaf's status, its age. */
static void describe_ocsp(struct ossl_sess *s, struct endpoint *ep)
{
	struct tls_summary *t = &ep->tls;
	const unsigned char *p = NULL;
	long n = SSL_get_tlsext_status_ocsp_resp(s->ssl, &p);
	if (n <= 0 || !p)
		return;
	t->ocsp_stapled = 1;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, n);
	if (!resp) {
		str_set(&t->ocsp_status, "unparsable");
		return;
	}
	int st = OCSP_response_status(resp);
	str_set(&t->ocsp_status, OCSP_response_status_str(st));
	OCSP_BASICRESP *basic = st == OCSP_RESPONSE_STATUS_SUCCESSFUL ? OCSP_response_get1_basic(resp)
								      : NULL;
	/* The status of the leaf itself (RFC 6960 4.2.1: the response may hold
	 * others, or none about it): matched by its CertID. */
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(s->ssl);
	X509 *leaf = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;
	X509 *issuer = chain && sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : NULL;
	OCSP_CERTID *id = leaf && issuer ? OCSP_cert_to_id(NULL, leaf, issuer) : NULL;
	int cs, reason;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	if (basic && id &&
	    OCSP_resp_find_status(basic, id, &cs, &reason, &rev, &thisupd, &nextupd) == 1) {
		str_set(&t->ocsp_cert_status, OCSP_cert_status_str(cs));
		int days, secs;
		if (thisupd && ASN1_TIME_diff(&days, &secs, thisupd, NULL) == 1)
			t->ocsp_age_s = (long)days * 86400 + secs;
		if (nextupd && ASN1_TIME_diff(&days, &secs, NULL, nextupd) == 1)
			t->ocsp_expires_s = (long)days * 86400 + secs;
	}
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
}
