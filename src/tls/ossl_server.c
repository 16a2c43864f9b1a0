/* ossl_server.c - server SSL_CTX (files or a throw-away local CA), server
 * sessions as a conn_io, and what a client negotiated or offered. */
#include "tls/ossl_server.h"
#include "tls/ossl_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "net/addr.h"
#include "core/rd.h"

/* A throw-away CA and leaf last 90 days, like an ACME certificate: a
 * checker's "expires soon" warning (30 days) does not fire on them. Their
 * keys never leave the process, so nobody can sign with the CA later. */
#define GEN_DAYS 90
#define MAX_SNI 1024

struct ossl_srv_ctx {
	SSL_CTX *ctx;
	int generated;
	char *subject, *issuer, *sans;
};

struct ossl_srv_sess {
	SSL *ssl;
	double t_start_ms, t_done_ms;
	/* From the ClientHello, kept even when the handshake then fails. */
	int hello_seen;
	int offered_max;     /* highest version offered, 0 unknown */
	int offered_ciphers;
	unsigned char sni[MAX_SNI];
	size_t sni_len;
	int sni_sent;
	char dh_key[32]; /* "DH 2048": a DHE key lives only until the key exchange */
};

static int sess_index = -1;

static const struct {
	int version;
	const char *name;
} versions[] = {
	{SSL3_VERSION, "SSLv3"},     {TLS1_VERSION, "TLSv1.0"},   {TLS1_1_VERSION, "TLSv1.1"},
	{TLS1_2_VERSION, "TLSv1.2"}, {TLS1_3_VERSION, "TLSv1.3"},
};

int ossl_srv_parse_version(const char *s)
{
	if (strcasecmp(s, "TLSv1") == 0)
		return TLS1_VERSION;
	for (size_t i = 1; i < ARRAY_LEN(versions); i++)
		if (strcasecmp(s, versions[i].name) == 0)
			return versions[i].version;
	return -1;
}

const char *ossl_srv_version_name(int version)
{
	for (size_t i = 0; i < ARRAY_LEN(versions); i++)
		if (versions[i].version == version)
			return versions[i].name;
	return "unknown";
}

/* The last OpenSSL error as text, and the queue cleared. */
static const char *ossl_reason(void)
{
	unsigned long ec = ERR_peek_last_error();
	const char *r = ec ? ERR_reason_error_string(ec) : NULL;
	ERR_clear_error();
	return r ? r : "unknown OpenSSL error";
}

/* --- a throw-away CA and leaf --- */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return -1;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static X509_NAME *make_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	if (n && X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
					    (const unsigned char *)"mailtls serve", -1, -1,
					    0) == 1 &&
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
				       0) == 1)
		return n;
	X509_NAME_free(n);
	return NULL;
}

/* A certificate for key, signed by issuer_key (issuer NULL: self-signed).
 * Serial numbers are random (CA/B BR 7.1: at least 64 bits of entropy). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       const char *const *exts, const int *nids, size_t nexts)
{
	X509 *x = X509_new();
	X509_NAME *name = make_name(cn);
	BIGNUM *bn = BN_new();
	int ok = x && name && bn && X509_set_version(x, X509_VERSION_3) == 1 &&
		 BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1 &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
		 X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
		 X509_gmtime_adj(X509_getm_notAfter(x), (long)GEN_DAYS * 86400) != NULL &&
		 X509_set_pubkey(x, key) == 1 && X509_set_subject_name(x, name) == 1 &&
		 X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) == 1;
	for (size_t i = 0; ok && i < nexts; i++)
		ok = add_ext(x, issuer ? issuer : x, nids[i], exts[i]) == 0;
	ok = ok && X509_sign(x, issuer_key, EVP_sha256()) > 0;
	BN_free(bn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int write_ca(const char *path, X509 *ca, struct err *e)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp) {
		err_set(e, ERR_LOCAL, "--ca-out path too long");
		return -1;
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		err_set(e, ERR_LOCAL, "cannot write the CA to %s: %s", path, strerror(errno));
		return -1;
	}
	int ok = PEM_write_X509(f, ca) == 1;
	if (fclose(f) != 0)
		ok = 0;
	/* Readers never see half a file: write aside, then rename. */
	if (!ok || rename(tmp, path) != 0) {
		err_set(e, ERR_LOCAL, "cannot write the CA to %s: %s", path,
			ok ? strerror(errno) : "write failed");
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

static int generate(SSL_CTX *ctx, const struct ossl_srv_opts *o, struct err *e)
{
	int rc = -1;
	EVP_PKEY *ca_key = NULL, *leaf_key = NULL;
	X509 *ca = NULL, *leaf = NULL;
	struct buf san;
	char cn[64];
	unsigned char rnd[4];

	buf_init(&san, 64 * 1024);
	if (buf_puts(&san, "DNS:localhost,IP:127.0.0.1,IP:::1") < 0)
		goto out;
	for (size_t i = 0; i < o->nnames; i++) {
		if (!net_hostname_ok(o->names[i], strlen(o->names[i]), NET_HOST_WILDCARD)) {
			err_set(e, ERR_USAGE, "invalid host name for the certificate: %s",
				o->names[i]);
			goto out;
		}
		if (buf_printf(&san, ",DNS:%s", o->names[i]) < 0) {
			err_set(e, ERR_USAGE, "too many host names for the certificate");
			goto out;
		}
	}
	/* The CA's name is unique per run, so two runs' CAs never mix up. */
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		goto out;
	snprintf(cn, sizeof cn, "mailtls serve throw-away CA %02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3]);
	/* P-256 for the CA (fast); RSA 2048 for the leaf so every kind of
	 * suite a profile may ask for (RSA, ECDHE-RSA, DHE-RSA) can work. */
	ca_key = EVP_EC_gen("P-256");
	leaf_key = EVP_RSA_gen(2048);
	if (!ca_key || !leaf_key)
		goto out;
	static const int ca_nids[] = {NID_basic_constraints, NID_key_usage,
				      NID_subject_key_identifier};
	static const char *const ca_exts[] = {"critical,CA:TRUE", "critical,keyCertSign,cRLSign",
					      "hash"};
	ca = make_cert(ca_key, cn, NULL, ca_key, ca_exts, ca_nids, ARRAY_LEN(ca_nids));
	if (!ca)
		goto out;
	const int leaf_nids[] = {NID_basic_constraints,      NID_key_usage,
				 NID_ext_key_usage,          NID_subject_key_identifier,
				 NID_authority_key_identifier, NID_subject_alt_name};
	const char *const leaf_exts[] = {"critical,CA:FALSE",
					 "critical,digitalSignature,keyEncipherment",
					 "serverAuth",
					 "hash",
					 "keyid:always",
					 buf_cstr(&san)};
	leaf = make_cert(leaf_key, o->nnames ? o->names[0] : "localhost", ca, ca_key, leaf_exts,
			 leaf_nids, ARRAY_LEN(leaf_nids));
	if (!leaf)
		goto out;
	if (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, leaf_key) != 1)
		goto out;
	if (o->ca_out && write_ca(o->ca_out, ca, e) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0 && e->cat == ERR_NONE)
		err_set(e, ERR_LOCAL, "cannot generate the local CA and certificate: %s",
			ossl_reason());
	buf_free(&san);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	return rc;
}

static int load_files(SSL_CTX *ctx, const struct ossl_srv_opts *o, struct err *e)
{
	const char *key = o->key_file ? o->key_file : o->cert_file;
	FILE *f = fopen(o->cert_file, "r");
	if (!f) {
		err_set(e, ERR_LOCAL, "cannot read %s: %s", o->cert_file, strerror(errno));
		return -1;
	}
	fclose(f);
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1) {
		err_set(e, ERR_LOCAL, "cannot load the certificate from %s: %s", o->cert_file,
			ossl_reason());
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		err_set(e, ERR_LOCAL, "cannot load the private key from %s: %s", key,
			ossl_reason());
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		err_set(e, ERR_LOCAL, "the key in %s does not match the certificate in %s", key,
			o->cert_file);
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* --- what the client offered (ClientHello callback) --- */

/* RFC 8701: GREASE values are 0x?A?A and mean nothing. */
static int is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* supported_versions (RFC 8446 4.2.1): ProtocolVersion versions<2..254>. */
static int parse_versions(const unsigned char *p, size_t n)
{
	struct rd r, list;
	int max = 0;
	rd_init(&r, p, n);
	rd_vec(&r, 1, 2, 254, &list);
	while (!rd_failed(&list) && rd_left(&list) > 0) {
		uint16_t v;
		rd_u16(&list, &v);
		if (!rd_failed(&list) && !is_grease(v) && v > max && v <= TLS1_3_VERSION)
			max = v;
	}
	if (rd_failed(&list) || !rd_done(&r))
		return 0;
	return max;
}

/* server_name (RFC 6066 3): ServerName server_name_list<1..2^16-1>, each
 * NameType(1) + HostName<1..2^16-1>. The first host_name, raw. */
static void parse_sni(struct ossl_srv_sess *s, const unsigned char *p, size_t n)
{
	struct rd r, list;
	rd_init(&r, p, n);
	rd_vec(&r, 2, 1, 65535, &list);
	while (!rd_failed(&list) && rd_left(&list) > 0) {
		uint8_t type;
		struct rd name;
		rd_u8(&list, &type);
		rd_vec(&list, 2, 1, 65535, &name);
		if (rd_failed(&list))
			return;
		if (type == 0 && !s->sni_sent) {
			size_t len = rd_left(&name);
			const uint8_t *v = rd_ptr(&name, len);
			s->sni_len = len < MAX_SNI ? len : MAX_SNI;
			memcpy(s->sni, v, s->sni_len);
			s->sni_sent = 1;
		}
	}
}

static int client_hello_cb(SSL *ssl, int *alert, void *arg)
{
	struct ossl_srv_sess *s = SSL_get_ex_data(ssl, sess_index);
	const unsigned char *p;
	size_t n;
	if (!s)
		return SSL_CLIENT_HELLO_SUCCESS;
	s->hello_seen = 1;
	s->offered_max = (int)SSL_client_hello_get0_legacy_version(ssl);
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p, &n) == 1) {
		int v = parse_versions(p, n);
		if (v > s->offered_max)
			s->offered_max = v;
	}
	s->offered_ciphers = (int)(SSL_client_hello_get0_ciphers(ssl, &p) / 2);
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n) == 1)
		parse_sni(s, p, n);
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* The server's DHE key is freed once the client's key share arrives, so its
 * size is noted when the ServerKeyExchange goes out. */
static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
		   SSL *ssl, void *arg)
{
	struct ossl_srv_sess *s = SSL_get_ex_data(ssl, sess_index);
	EVP_PKEY *k = NULL;
	if (!s || !write_p || content_type != SSL3_RT_HANDSHAKE || len < 1 ||
	    ((const unsigned char *)buf)[0] != SSL3_MT_SERVER_KEY_EXCHANGE)
		return;
	if (SSL_get_tmp_key(ssl, &k) == 1 && k) {
		if (EVP_PKEY_get_base_id(k) == EVP_PKEY_DH)
			snprintf(s->dh_key, sizeof s->dh_key, "DH %d", EVP_PKEY_get_bits(k));
		EVP_PKEY_free(k);
	}
}

/* A client certificate is asked for, never required, and never judged:
 * the point is to show what the sender presents. */
static int accept_any_cert(int ok, X509_STORE_CTX *xs)
{
	return 1;
}

/* --- context --- */

static char *name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	if (!b)
		return xstrdup("");
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	long len = BIO_get_mem_data(b, &data);
	char *s = xstrndup(data ? data : "", len > 0 ? (size_t)len : 0);
	BIO_free(b);
	return s;
}

static char *san_text(X509 *x)
{
	struct buf b;
	buf_init(&b, 16 * 1024);
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		int failed = 0;
		if (g->type == GEN_DNS) {
			const ASN1_IA5STRING *d = g->d.dNSName;
			failed = buf_printf(&b, "%sDNS:%.*s", b.len ? " " : "", ASN1_STRING_length(d),
					    (const char *)ASN1_STRING_get0_data(d));
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *o = g->d.iPAddress;
			char ip[INET6_ADDRSTRLEN] = "?";
			int len = ASN1_STRING_length(o);
			if (len == 4 || len == 16)
				inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(o), ip,
					  sizeof ip);
			failed = buf_printf(&b, "%sIP:%s", b.len ? " " : "", ip);
		}
		if (failed)
			break;
	}
	GENERAL_NAMES_free(gens);
	return buf_steal(&b, NULL);
}

static int apply_profile(SSL_CTX *ctx, const struct ossl_srv_opts *o, struct err *e)
{
	/* TLS 1.0 and 1.1 need SHA-1 signatures, which OpenSSL 3 refuses at
	 * its default security level 1: a profile that asks for them (or for
	 * its own cipher list) gets level 0, so it really is offered. A
	 * "@SECLEVEL=n" in --ciphers still wins. */
	if ((o->min_version && o->min_version < TLS1_2_VERSION) || o->ciphers)
		SSL_CTX_set_security_level(ctx, 0);
	if ((o->min_version && SSL_CTX_set_min_proto_version(ctx, o->min_version) != 1) ||
	    (o->max_version && SSL_CTX_set_max_proto_version(ctx, o->max_version) != 1)) {
		err_set(e, ERR_USAGE, "this OpenSSL cannot use that protocol version range");
		ERR_clear_error();
		return -1;
	}
	if (o->ciphers && SSL_CTX_set_cipher_list(ctx, o->ciphers) != 1) {
		err_set(e, ERR_USAGE, "--ciphers '%s': no cipher suite matches (%s)", o->ciphers,
			ossl_reason());
		return -1;
	}
	if (o->ciphersuites && SSL_CTX_set_ciphersuites(ctx, o->ciphersuites) != 1) {
		err_set(e, ERR_USAGE, "--ciphersuites '%s': not a valid TLSv1.3 suite list (%s)",
			o->ciphersuites, ossl_reason());
		return -1;
	}
	return 0;
}

struct ossl_srv_ctx *ossl_srv_ctx_new(const struct ossl_srv_opts *o, struct err *e)
{
	if (sess_index < 0)
		sess_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		err_set(e, ERR_INTERNAL, "SSL_CTX_new failed");
		return NULL;
	}
	err_clear(e);
	/* Every session is a full handshake: what a sender negotiates from
	 * scratch is the point, so no session cache and no tickets. A sink
	 * has no use for renegotiation either. Clients that close without
	 * close_notify have ended, not failed. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_dh_auto(ctx, 1);
	SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, NULL);
	SSL_CTX_set_msg_callback(ctx, msg_cb);
	if (o->ask_client_cert)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_cert);

	if (apply_profile(ctx, o, e) != 0)
		goto fail;
	if (o->cert_file ? load_files(ctx, o, e) : generate(ctx, o, e))
		goto fail;

	struct ossl_srv_ctx *x = xcalloc(1, sizeof(*x));
	x->ctx = ctx;
	x->generated = o->cert_file == NULL;
	X509 *leaf = SSL_CTX_get0_certificate(ctx);
	x->subject = leaf ? name_text(X509_get_subject_name(leaf)) : xstrdup("");
	x->issuer = leaf ? name_text(X509_get_issuer_name(leaf)) : xstrdup("");
	x->sans = leaf ? san_text(leaf) : xstrdup("");
	return x;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void ossl_srv_ctx_free(struct ossl_srv_ctx *x)
{
	if (!x)
		return;
	SSL_CTX_free(x->ctx);
	free(x->subject);
	free(x->issuer);
	free(x->sans);
	free(x);
}

const char *ossl_srv_ctx_subject(const struct ossl_srv_ctx *x)
{
	return x->subject;
}

const char *ossl_srv_ctx_issuer(const struct ossl_srv_ctx *x)
{
	return x->issuer;
}

const char *ossl_srv_ctx_sans(const struct ossl_srv_ctx *x)
{
	return x->sans;
}

int ossl_srv_ctx_generated(const struct ossl_srv_ctx *x)
{
	return x->generated;
}

/* --- sessions --- */

struct ossl_srv_sess *ossl_srv_sess_new(struct ossl_srv_ctx *x, struct err *e)
{
	SSL *ssl = SSL_new(x->ctx);
	if (!ssl) {
		err_set(e, ERR_INTERNAL, "SSL_new failed: %s", ossl_reason());
		return NULL;
	}
	struct ossl_srv_sess *s = xcalloc(1, sizeof(*s));
	s->ssl = ssl;
	SSL_set_ex_data(ssl, sess_index, s);
	return s;
}

void ossl_srv_sess_free(struct ossl_srv_sess *s)
{
	if (!s)
		return;
	SSL_free(s->ssl);
	free(s);
}

/* OpenSSL's error state as one message; 0 when it was a retry. */
static int ssl_result(struct ossl_srv_sess *s, int ret, int *want, struct err *e, const char *op)
{
	return ossl_io_result(s->ssl, ret, want, e, op, "client", -1);
}

static int io_handshake(void *ctx, int *want, struct err *e)
{
	struct ossl_srv_sess *s = ctx;
	if (s->t_start_ms == 0)
		s->t_start_ms = clk_mono_ms();
	ERR_clear_error();
	errno = 0;
	int r = SSL_accept(s->ssl);
	if (r == 1) {
		s->t_done_ms = clk_mono_ms();
		return 1;
	}
	return ssl_result(s, r, want, e, "TLS handshake") == 0 ? 0 : -1;
}

static ssize_t io_read(void *ctx, void *p, size_t n, int *want, struct err *e)
{
	struct ossl_srv_sess *s = ctx;
	return ossl_io_read(s->ssl, p, n, want, e, "client", -1);
}

static ssize_t io_write(void *ctx, const void *p, size_t n, int *want, struct err *e)
{
	struct ossl_srv_sess *s = ctx;
	return ossl_io_write(s->ssl, p, n, want, e, "client", -1);
}

void ossl_srv_sess_io(struct ossl_srv_sess *s, int fd, struct conn_io *io)
{
	SSL_set_fd(s->ssl, fd);
	io->read = io_read;
	io->write = io_write;
	io->handshake = io_handshake;
	io->ctx = s;
}

void ossl_srv_sess_shutdown(struct ossl_srv_sess *s)
{
	if (s && SSL_is_init_finished(s->ssl)) {
		ERR_clear_error();
		(void)SSL_shutdown(s->ssl);
		ERR_clear_error();
	}
}

/* RFC 8446 spells x25519 and x448 in capitals; OpenSSL's other names are
 * the IANA ones (secp256r1, ffdhe2048). A TLS 1.2 DHE group has no name
 * here: "DH bits", as the client side says it. */
static char *group_text(struct ossl_srv_sess *s)
{
	const char *n = ossl_io_group_name(s->ssl);
	if (n)
		return xstrdup(n);
	const SSL_CIPHER *c = SSL_get_current_cipher(s->ssl);
	if (s->dh_key[0] && c && SSL_CIPHER_get_kx_nid(c) == NID_kx_dhe)
		return xstrdup(s->dh_key);
	return NULL;
}

void ossl_srv_sess_describe(struct ossl_srv_sess *s, struct ossl_srv_info *out)
{
	SSL *ssl = s->ssl;
	ossl_srv_info_free(out);
	if (s->sni_sent) {
		out->sni = xstrndup((const char *)s->sni, s->sni_len);
		out->sni_len = s->sni_len;
	}
	if (s->hello_seen) {
		out->offered_max = xstrdup(ossl_srv_version_name(s->offered_max));
		out->offered_ciphers = s->offered_ciphers;
	}
	if (!SSL_is_init_finished(ssl))
		return;
	out->done = 1;
	out->version = xstrdup(ossl_srv_version_name(SSL_version(ssl)));
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	if (c) {
		out->cipher = xstrdup(SSL_CIPHER_standard_name(c));
		out->cipher_openssl = xstrdup(SSL_CIPHER_get_name(c));
	}
	out->group = group_text(s);
	X509 *peer = SSL_get0_peer_certificate(ssl);
	if (peer) {
		out->client_cert_subject = name_text(X509_get_subject_name(peer));
		out->client_cert_issuer = name_text(X509_get_issuer_name(peer));
	}
	out->handshake_ms = s->t_done_ms - s->t_start_ms;
}

void ossl_srv_info_free(struct ossl_srv_info *i)
{
	free(i->version);
	free(i->cipher);
	free(i->cipher_openssl);
	free(i->group);
	free(i->sni);
	free(i->client_cert_subject);
	free(i->client_cert_issuer);
	free(i->offered_max);
	memset(i, 0, sizeof(*i));
}
