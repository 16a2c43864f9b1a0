/* records.h - parsers for the mail domain's policy records: MTA-STS (TXT and
 * the policy file, RFC 8461), TLS-RPT (RFC 8460), SPF (RFC 7208), DMARC
 * (RFC 7489), and MTA-STS MX pattern matching. Pure functions: bytes in,
 * facts out; every input is hostile (any byte, any length). Each parser
 * fills its struct and returns 0 when the record is valid, -1 when it is
 * not, with a one-line reason in `error` (NUL-terminated, printable ASCII).
 * The structs own their strings; free them with the matching *_free. */
#ifndef MAILTLS_RECORDS_H
#define MAILTLS_RECORDS_H

#include <stddef.h>
#include "core/compiler.h"
#include "model/domain.h" /* enum sts_mode, enum dmarc_policy */

#define REC_ERR_LEN 160

/* _mta-sts.DOMAIN TXT: "v=STSv1; id=20160831085700Z;" (RFC 8461 3.1). */
struct sts_txt {
	char *id; /* 1-32 alphanumerics */
	char error[REC_ERR_LEN];
};
int sts_txt_parse(const char *txt, size_t len, struct sts_txt *out) WUR;
void sts_txt_free(struct sts_txt *t);

/* https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461 3.2): lines of
 * "key: value", CRLF or LF; version STSv1, mode enforce|testing|none,
 * max_age 0..31557600, mx patterns (at least one unless mode none). Unknown
 * keys are ignored (the RFC says so); duplicated version/mode/max_age are
 * errors. */
struct sts_policy {
	enum sts_mode mode;
	long max_age;   /* seconds */
	char **mx;      /* patterns as written, lower-cased: "mail.example.com", "*.example.net" */
	size_t nmx;
	char error[REC_ERR_LEN];
};
int sts_policy_parse(const char *body, size_t len, struct sts_policy *out) WUR;
void sts_policy_free(struct sts_policy *p);
/* Does MX host name `host` (trailing dot allowed, any case) match pattern
 * (RFC 8461 4.1: "*." covers exactly one leftmost label)? 1 yes, 0 no. */
int sts_mx_match(const char *pattern, const char *host);

/* _smtp._tls.DOMAIN TXT: "v=TLSRPTv1; rua=mailto:a@b,https://x/y" (RFC 8460 3). */
struct tlsrpt {
	char **rua;     /* each URI as written */
	size_t nrua;
	char error[REC_ERR_LEN];
};
int tlsrpt_parse(const char *txt, size_t len, struct tlsrpt *out) WUR;
void tlsrpt_free(struct tlsrpt *t);

/* DOMAIN TXT "v=spf1 ..." (RFC 7208 4.6, 5, 6). Syntax of every term is
 * checked; DNS-querying terms (include, a, mx, ptr, exists, redirect) are
 * counted here for this record only (the caller adds the included ones). */
struct spf {
	char all;          /* qualifier of the "all" mechanism: '+', '-', '~', '?', 0 none */
	int lookups;       /* DNS-querying terms in this record */
	int has_ptr;       /* the "ptr" mechanism (RFC 7208 5.5: do not use) */
	char **includes;   /* include: domain-specs, as written (macros kept) */
	size_t nincludes;
	char *redirect;    /* redirect= domain-spec, NULL none */
	char error[REC_ERR_LEN];
};
/* Is this TXT string an SPF record at all ("v=spf1" then end or space)? */
int spf_is_record(const char *txt, size_t len);
int spf_parse(const char *txt, size_t len, struct spf *out) WUR;
void spf_free(struct spf *s);

/* _dmarc.DOMAIN TXT "v=DMARC1; p=reject; ..." (RFC 7489 6.3). */
struct dmarc {
	enum dmarc_policy p;  /* required: a record without p is invalid */
	enum dmarc_policy sp; /* DMARC_UNSET: as p */
	int pct;              /* 0..100, default 100 */
	char **rua;
	size_t nrua;
	char **ruf;
	size_t nruf;
	char adkim, aspf;     /* 'r' (default) or 's' */
	char error[REC_ERR_LEN];
};
int dmarc_is_record(const char *txt, size_t len); /* starts with "v=DMARC1" */
int dmarc_parse(const char *txt, size_t len, struct dmarc *out) WUR;
void dmarc_free(struct dmarc *d);

#endif
