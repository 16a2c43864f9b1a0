/* verify.h - certificate verification problems as the project names them.
 * tls/ossl.c sorts each problem OpenSSL reports into one of these (and keeps
 * OpenSSL's numeric code next to it for the JSON report); nothing above tls/
 * needs an OpenSSL header to tell them apart. */
#ifndef MAILTLS_VERIFY_H
#define MAILTLS_VERIFY_H

enum tls_verify {
	TLS_VFY_OTHER,               /* any problem not named below */
	TLS_VFY_SELF_SIGNED,         /* the leaf is self-signed (depth 0) */
	TLS_VFY_UNTRUSTED_ROOT,      /* a self-signed root in the chain, not trusted */
	TLS_VFY_ISSUER_UNKNOWN,      /* an issuer neither sent nor trusted */
	TLS_VFY_LEAF_ISSUER_MISSING, /* the leaf's issuer was not sent */
	TLS_VFY_EXPIRED,
	TLS_VFY_NOT_YET_VALID,
	TLS_VFY_HOSTNAME_MISMATCH,
	TLS_VFY_IP_MISMATCH,
};

/* The problem an OpenSSL X509_V_ERR_* code stands for (TLS_VFY_OTHER for
 * the rest): for whoever rebuilds a verify_error from its numeric code. */
enum tls_verify tls_verify_of_code(long code);

#endif
