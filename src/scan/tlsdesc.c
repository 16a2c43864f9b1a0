/* tlsdesc.c - what a verified OpenSSL handshake showed, into the result
 * model: version, suite, group, verify problems, OCSP staple and the chain
 * as sent. It sits in scan/ (which may use OpenSSL and the model) so that
 * tls/ never includes model/. */
#include "scan/tlsdesc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/ec.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/ct.h>
#include "tls/ossl_io.h"
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "core/mem.h"

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

/* The hash of the signature algorithm, from OpenSSL's table of them. */
static enum sig_hash sig_hash_of(X509 *x)
{
	int md = NID_undef, pk = NID_undef;
	if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk))
		return SIG_HASH_OTHER;
	switch (md) {
	case NID_md2:
		return SIG_HASH_MD2;
	case NID_md4:
		return SIG_HASH_MD4;
	case NID_md5:
		return SIG_HASH_MD5;
	case NID_sha1:
		return SIG_HASH_SHA1;
	case NID_sha224:
		return SIG_HASH_SHA224;
	case NID_sha256:
		return SIG_HASH_SHA256;
	case NID_sha384:
		return SIG_HASH_SHA384;
	case NID_sha512:
		return SIG_HASH_SHA512;
	default:
		return SIG_HASH_OTHER;
	}
}

static void describe_cert(struct endpoint *ep, X509 *x, enum cert_chain chain, int depth)
{
	struct cert_entry *c = ep_add_cert(ep);
	c->depth = depth;
	c->chain = chain;
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
	c->key_type = kid == EVP_PKEY_RSA	  ? KEY_TYPE_RSA
		      : kid == EVP_PKEY_EC	  ? KEY_TYPE_EC
		      : kid == EVP_PKEY_DSA	  ? KEY_TYPE_DSA
		      : kid == EVP_PKEY_ED25519 ? KEY_TYPE_ED25519
		      : kid == EVP_PKEY_ED448	  ? KEY_TYPE_ED448
		      : kid			  ? KEY_TYPE_OTHER
						  : KEY_TYPE_UNKNOWN;
	if (c->key_type == KEY_TYPE_OTHER)
		c->key_type_other = xstrdup(OBJ_nid2sn(kid));
	c->key_bits = pk ? EVP_PKEY_get_bits(pk) : 0;
	c->sig_alg = xstrdup(OBJ_nid2ln(X509_get_signature_nid(x)));
	c->sig_hash = sig_hash_of(x);
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
	char out[64];
	const char *n = ossl_io_group_name(ssl);
	if (n)
		return xstrdup(n);
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

void tlsdesc_session(struct ossl_sess *s, struct endpoint *ep)
{
	SSL *ssl = ossl_sess_ssl(s);
	size_t nerrors = ossl_sess_nverify(s);
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	struct tls_summary *t = &ep->tls;
	enum tls_proto p = proto_of(SSL_version(ssl));

	t->done = 1;
	t->version = p;
	if (c) {
		str_set(&t->cipher, SSL_CIPHER_standard_name(c));
		str_set(&t->cipher_openssl, SSL_CIPHER_get_name(c));
		t->cipher_code = SSL_CIPHER_get_protocol_id(c);
	}
	free(t->group);
	t->group = group_text(ssl);
	t->verify_code = nerrors ? ossl_sess_verify_code(s, 0) : X509_V_OK;
	str_set(&t->verify_message, X509_verify_cert_error_string(t->verify_code));
	t->hostname_checked = ossl_sess_name_checked(s);
	for (size_t i = 0; i < t->nverify_errors; i++)
		free(t->verify_errors[i].message);
	free(t->verify_errors);
	t->verify_errors = xcalloc(nerrors ? nerrors : 1, sizeof(*t->verify_errors));
	t->nverify_errors = nerrors;
	for (size_t i = 0; i < nerrors; i++) {
		long code = ossl_sess_verify_code(s, i);
		t->verify_errors[i] = (struct verify_error){
			.code = code,
			.kind = tls_verify_of_code(code),
			.depth = ossl_sess_verify_depth(s, i),
			.message = xstrdup(X509_verify_cert_error_string(code))};
	}
	t->handshake_ms = ossl_sess_handshake_ms(s);

	describe_ocsp(s, ep);
	t->secure_reneg = ossl_sess_secure_reneg(s);
	(void)tlsdesc_chain(s, ep, CHAIN_DEFAULT);
}

int tlsdesc_chain(struct ossl_sess *s, struct endpoint *ep, enum cert_chain chain)
{
	STACK_OF(X509) *certs = SSL_get_peer_cert_chain(ossl_sess_ssl(s));
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

/* OCSPResponseStatus (RFC 6960 4.2.1) as the model's enum; a value
 * outside the RFC is what OpenSSL calls "(UNKNOWN)". */
static enum ocsp_status ocsp_status_of(int st)
{
	switch (st) {
	case OCSP_RESPONSE_STATUS_SUCCESSFUL:
		return OCSP_ST_SUCCESSFUL;
	case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST:
		return OCSP_ST_MALFORMED_REQUEST;
	case OCSP_RESPONSE_STATUS_INTERNALERROR:
		return OCSP_ST_INTERNAL_ERROR;
	case OCSP_RESPONSE_STATUS_TRYLATER:
		return OCSP_ST_TRY_LATER;
	case OCSP_RESPONSE_STATUS_SIGREQUIRED:
		return OCSP_ST_SIG_REQUIRED;
	case OCSP_RESPONSE_STATUS_UNAUTHORIZED:
		return OCSP_ST_UNAUTHORIZED;
	default:
		return OCSP_ST_UNKNOWN_CODE;
	}
}

/* The stapled OCSP response: its status, the leaf's status, its age. */
static void describe_ocsp(struct ossl_sess *s, struct endpoint *ep)
{
	struct tls_summary *t = &ep->tls;
	const unsigned char *p = NULL;
	long n = SSL_get_tlsext_status_ocsp_resp(ossl_sess_ssl(s), &p);
	if (n <= 0 || !p)
		return;
	t->ocsp_stapled = 1;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, n);
	if (!resp) {
		t->ocsp_status = OCSP_ST_UNPARSABLE;
		return;
	}
	int st = OCSP_response_status(resp);
	t->ocsp_status = ocsp_status_of(st);
	OCSP_BASICRESP *basic = st == OCSP_RESPONSE_STATUS_SUCCESSFUL ? OCSP_response_get1_basic(resp)
								      : NULL;
	/* The status of the leaf itself (RFC 6960 4.2.1: the response may hold
	 * others, or none about it): matched by its CertID. */
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ossl_sess_ssl(s));
	X509 *leaf = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;
	X509 *issuer = chain && sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : NULL;
	OCSP_CERTID *id = leaf && issuer ? OCSP_cert_to_id(NULL, leaf, issuer) : NULL;
	int cs, reason;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	if (basic && id &&
	    OCSP_resp_find_status(basic, id, &cs, &reason, &rev, &thisupd, &nextupd) == 1) {
		t->ocsp_cert_status = cs == V_OCSP_CERTSTATUS_GOOD      ? OCSP_CERT_GOOD
				      : cs == V_OCSP_CERTSTATUS_REVOKED ? OCSP_CERT_REVOKED
									: OCSP_CERT_UNKNOWN;
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
