/* result.h - the one result model (ARCHITECTURE.md "Result model").
 * Scanning code fills it, checks add findings to it, renderers only read it.
 * Every string that came from a peer is stored as received (raw bytes with a
 * length where it may hold NULs); renderers escape for their output. */
#ifndef MAILTLS_RESULT_H
#define MAILTLS_RESULT_H

#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include "core/compiler.h"
#include "core/err.h"
#include "tls/verify.h"
#include "tls/wire.h"
#include "model/vuln.h"

enum severity { SEV_OK, SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };
const char *severity_name(enum severity s);
int severity_parse(const char *s, enum severity *out) WUR;
/* The index of s in a name table of n entries (NULL entries never match),
 * -1 when s is NULL or not there: every closed set's parse. */
int model_name_index(const char *const *names, size_t n, const char *s);

/* What makes senders verify an MX endpoint (`mailtls domain`):
 * AUTH_POLICY_UNSET when the endpoint is not an MX host of a domain run. */
enum auth_policy {
	AUTH_POLICY_UNSET,
	AUTH_POLICY_NONE,
	AUTH_POLICY_DANE,
	AUTH_POLICY_MTA_STS_ENFORCE,
	AUTH_POLICY_MTA_STS_TESTING,
};
/* NULL unset, "none", "dane", "mta-sts-enforce", "mta-sts-testing" */
const char *auth_policy_name(enum auth_policy p);
int auth_policy_parse(const char *s, enum auth_policy *out) WUR;

enum tls_mode { MODE_IMPLICIT, MODE_STARTTLS };

struct finding {
	char *id; /* stable, lower-case, dashes: "cert-self-signed" */
	enum severity sev;
	char *title;
	char *detail;
	char *fix;
	char **cve;
	size_t ncve;
};

struct tline {
	double t_ms; /* since the connection started */
	char dir;    /* 'S' server, 'C' client */
	char *text;  /* raw bytes, without the line ending */
	size_t len;
};

/* Where an error happened (docs/json.md "error"): run level, then an
 * endpoint's probes. STAGE_OTHER keeps a name this build does not know,
 * read from a document, in ep_error.stage_other (the set may grow). */
enum err_stage {
	STAGE_TARGET,
	STAGE_SETUP,
	STAGE_RESOLVE,
	STAGE_DNSSEC,
	STAGE_MX,
	STAGE_SCAN,
	STAGE_CONNECT,
	STAGE_DIALOGUE,
	STAGE_TLS,
	STAGE_AFTER_TLS,
	STAGE_RENEGOTIATION,
	STAGE_PROBE, /* a probe's own exchange (the vulnerability battery's) */
	STAGE_DONE,
	STAGE_ENUMERATE,
	STAGE_OTHER,
};
/* "target", "setup", "resolve", "dnssec", "mx", "scan", "connect", "dialogue",
 * "tls", "after-tls", "renegotiation", "probe", "done", "enumerate"; NULL other */
const char *err_stage_name(enum err_stage s);
int err_stage_parse(const char *s, enum err_stage *out) WUR;

struct ep_error {
	enum err_stage stage;
	char *stage_other;     /* the name of a STAGE_OTHER stage */
	enum err_cat category; /* err_cat_name() in reports */
	char *message;
};

/* The stage's name: the table's, or the document's for STAGE_OTHER. */
const char *ep_error_stage_name(const struct ep_error *e);

struct proto_entry {
	enum tls_proto proto;
	int offered; /* 1 yes, 0 no, -1 unknown (not tested, or could not tell) */
	char *reason; /* why it is unknown, or why its suites are incomplete;
			 NULL when the answer is complete */
};

struct cipher_entry {
	enum tls_proto proto;
	uint32_t code; /* 2 bytes, SSLv2: 3 bytes */
	char *iana;
	char *openssl;
	char *kx; /* OpenSSL's words ("ECDH", "DH/RSA", "any"), as the JSON */
	char *au; /* gives them ("RSA", "None") */
	char *enc;
	enum tls_kx kx_kind; /* what checks look at: from kx and au */
	enum tls_au au_kind;
	int bits;
	int order; /* 1-based: the server's preference when it has one, else
		      the order the server picked them in */
};

struct dh_info {
	int bits;          /* 0: no DHE suite seen */
	char *common;      /* name of the well-known prime, NULL when unique */
};

/* A certificate's public key algorithm; KEY_TYPE_OTHER keeps OpenSSL's
 * short name in cert_entry.key_type_other (the set is OpenSSL's). */
enum key_type {
	KEY_TYPE_UNSET,
	KEY_TYPE_RSA,
	KEY_TYPE_EC,
	KEY_TYPE_DSA,
	KEY_TYPE_ED25519,
	KEY_TYPE_ED448,
	KEY_TYPE_UNKNOWN, /* no key could be read */
	KEY_TYPE_OTHER,
};
/* NULL unset and other, "RSA", "EC", "DSA", "Ed25519", "Ed448", "unknown" */
const char *key_type_name(enum key_type k);
int key_type_parse(const char *s, enum key_type *out) WUR;

/* Which handshake found a certificate: the main one, or the one asking for
 * the other key type (ECDSA or RSA suites only). */
enum cert_chain { CHAIN_DEFAULT, CHAIN_ECDSA, CHAIN_RSA };
const char *cert_chain_name(enum cert_chain c); /* "default", "ecdsa", "rsa" */
int cert_chain_parse(const char *s, enum cert_chain *out) WUR;

/* The hash of a certificate's signature algorithm. SIG_HASH_OTHER: none
 * of these, or intrinsic (Ed25519), or in parameters (RSA-PSS). */
enum sig_hash {
	SIG_HASH_UNSET,
	SIG_HASH_MD2,
	SIG_HASH_MD4,
	SIG_HASH_MD5,
	SIG_HASH_SHA1,
	SIG_HASH_SHA224,
	SIG_HASH_SHA256,
	SIG_HASH_SHA384,
	SIG_HASH_SHA512,
	SIG_HASH_OTHER,
};
const char *sig_hash_name(enum sig_hash h); /* "MD5", "SHA-1", ...; NULL unset, other */
/* From OpenSSL's long name of the signature algorithm ("sha1WithRSAEncryption"):
 * what the JSON reader has (the document keeps the name, not the hash);
 * SIG_HASH_UNSET for NULL, SIG_HASH_OTHER for a name not in the table. */
enum sig_hash sig_hash_of_alg(const char *sig_alg);

struct cert_entry {
	int depth; /* 0 = leaf, as sent by the server */
	char *subject;
	char *issuer;
	char *serial;     /* hex */
	char *not_before; /* ISO 8601 UTC */
	char *not_after;
	char *key;        /* "RSA 2048", "EC P-256", "Ed25519" */
	char *sig_alg;    /* OpenSSL's long name, for display */
	enum sig_hash sig_hash; /* what checks look at */
	char *sha256;     /* fingerprint, hex upper-case with colons */
	char **san;
	size_t nsan;
	enum cert_chain chain;
	enum key_type key_type;
	char *key_type_other; /* OpenSSL's name of a KEY_TYPE_OTHER key */
	int key_bits;
	long days_left;   /* until notAfter, negative when expired */
	char *spki_sha256; /* SHA-256 of the SubjectPublicKeyInfo, lower-case hex
			      (what a DANE "3 1 1" record holds) */
	char **ocsp_uris, **ca_issuers, **crl_uris;
	size_t nocsp_uris, nca_issuers, ncrl_uris;
	int must_staple;  /* TLS feature status_request (RFC 7633) */
	int sct_count;    /* embedded SCTs */
	int self_signed;  /* issuer and subject are the same name */
	char *pem;
};

/* The key type's name: the table's, or OpenSSL's for KEY_TYPE_OTHER. */
const char *cert_key_type_name(const struct cert_entry *c);

struct verify_error {
	long code; /* OpenSSL's X509_V_ERR_*, as the JSON report gives it */
	enum tls_verify kind; /* what checks look at */
	int depth; /* position in the chain, 0 = leaf */
	char *message;
};

#define OCSP_UNKNOWN LONG_MIN

/* A stapled OCSP response's status (RFC 6960 4.2.1), as OpenSSL names it;
 * OCSP_ST_UNKNOWN_CODE a value outside the RFC, OCSP_ST_UNPARSABLE a
 * response that could not be decoded. */
enum ocsp_status {
	OCSP_ST_UNSET,
	OCSP_ST_SUCCESSFUL,
	OCSP_ST_MALFORMED_REQUEST,
	OCSP_ST_INTERNAL_ERROR,
	OCSP_ST_TRY_LATER,
	OCSP_ST_SIG_REQUIRED,
	OCSP_ST_UNAUTHORIZED,
	OCSP_ST_UNKNOWN_CODE,
	OCSP_ST_UNPARSABLE,
};
/* NULL unset, "successful", "malformedrequest", "internalerror", "trylater",
 * "sigrequired", "unauthorized", "(UNKNOWN)", "unparsable" */
const char *ocsp_status_name(enum ocsp_status s);
int ocsp_status_parse(const char *s, enum ocsp_status *out) WUR;
/* The leaf's status in it (RFC 6960 2.2); unset: the response has none. */
enum ocsp_cert_status { OCSP_CERT_UNSET, OCSP_CERT_GOOD, OCSP_CERT_REVOKED, OCSP_CERT_UNKNOWN };
const char *ocsp_cert_status_name(enum ocsp_cert_status s); /* NULL, "good", "revoked", "unknown" */
int ocsp_cert_status_parse(const char *s, enum ocsp_cert_status *out) WUR;

struct tls_summary {
	int done;         /* a handshake completed */
	enum tls_proto version; /* negotiated (tls_proto_name() in reports) */
	char *cipher;     /* IANA name */
	char *cipher_openssl;
	uint32_t cipher_code;
	char *group;      /* "X25519", "secp256r1", "ffdhe2048", "DH 2048" */
	long verify_code; /* X509_V_OK = 0 */
	char *verify_message;
	int hostname_checked; /* the verify included a name check */
	char *verify_name;    /* the name (or address) checked */
	struct verify_error *verify_errors; /* every problem, in the order seen */
	size_t nverify_errors;
	double handshake_ms;
	int ocsp_stapled;        /* a CertificateStatus came */
	enum ocsp_status ocsp_status;     /* of the stapled response */
	enum ocsp_cert_status ocsp_cert_status; /* of the leaf in it */
	long ocsp_age_s;         /* since thisUpdate; OCSP_UNKNOWN */
	long ocsp_expires_s;     /* until nextUpdate, negative when past; OCSP_UNKNOWN */
	int secure_reneg;        /* RFC 5746 (TLS <= 1.2): 1, 0, -1 unknown */
	int failed_alert;        /* the handshake failed on this alert from the
				    server (e.g. 40, 70), -1 none */
	char *failed_alert_name; /* its description: "internal error" */
	int failed_after_hello;  /* ...after the server's ServerHello: the
				    server chose a version and suite the
				    client offered, then gave up */
	int refused;             /* the handshake was refused (an alert, a close,
				    bytes that are not TLS), not timed out */
	char *clear_text_answer; /* the server answered our ClientHello in clear
				    text (its first line): a STARTTLS port */
};

/* What the clear-text dialogue before TLS showed (STARTTLS targets). */
struct dialogue {
	int ran;
	int greeting_code; /* 220, 421, ...; 0 none */
	char *greeting;    /* first line of the greeting, raw */
	double greeting_ms; /* connect -> complete greeting (greet pause) */
	int hello_code;     /* EHLO/LHLO/CAPABILITY... reply */
	char **caps_pre;    /* capabilities before TLS, one keyword line each */
	size_t ncaps_pre, capcaps_pre;
	char **caps_post;   /* the same inside TLS */
	size_t ncaps_post, capcaps_post;
	int caps_post_known;
	int starttls_advertised; /* the capability was listed */
	char *starttls_masked;   /* e.g. "XXXXXXXA": what stood where it should be */
	int starttls_sent;
	int starttls_ok;         /* the server said go ahead */
	int starttls_code;       /* reply code where the protocol has codes */
	char *starttls_reply;    /* its answer, first line */
	char *auth_clear;        /* password authentication offered before TLS
				    ("AUTH PLAIN LOGIN", "LOGIN command"), NULL none */
	int auth_pre;            /* any authentication offered before TLS */
	int auth_tls;            /* authentication offered inside TLS */
	int preauth;             /* IMAP PREAUTH greeting: no STARTTLS possible */
	size_t pipelined_bytes;  /* sent by the server after its go-ahead */
	int throttled;           /* 421 refusals met (and retried) */
	int silent;              /* no greeting came within the read deadline */
	int implicit_answered;   /* ...and a ClientHello got a ServerHello */
};

struct endpoint {
	char *host;    /* as the user gave it */
	uint16_t port;
	char *address; /* numeric */
	enum tls_mode mode;
	char *starttls; /* protocol name, NULL for implicit */
	char *sni;      /* NULL when none was sent (IP literal) */

	struct tls_summary tls;
	struct dialogue dlg;
	int enumerated;              /* the raw engine ran */
	double scaled_down_ms;       /* >0: every connection took about this
					long, so the enumeration asked each
					version once (enumerate.c SLOW_MS) */
	char **sigalgs;              /* TLS 1.2 signature algorithms the server uses,
					in its order */
	size_t nsigalgs;
	struct {
		int probed;
		char **extensions;   /* in a TLS 1.2 (or lower) ServerHello */
		size_t nextensions;
		int session_id;      /* a session ID was given: 1, 0, -1 unknown */
		int compression;     /* method picked with deflate offered; -1 */
		int clock;           /* gmt_unix_time looks like a clock: 1, 0 random, -1 */
		long clock_skew_s;   /* server time - ours, when clock == 1 */
		int grease_ok;       /* RFC 8701 values tolerated: 1, 0, -1 */
		int long_hello_ok;   /* a 1500-byte hello (two TCP segments): 1, 0, -1 */
		long ticket_lifetime_s; /* TLS 1.2 ticket lifetime hint, -1 unknown */
	} defaults;
	int resume_id;               /* TLS 1.2 resumption by session ID: 1, 0, -1 */
	int resume_ticket;           /* ...by session ticket */
	int client_reneg;            /* client-initiated renegotiation accepted: 1,
					0 refused, -1 not tested */
	int server_order[P_COUNT];   /* 1 server's, 0 client's, -1 unknown */
	struct dh_info dh;
	struct proto_entry *protocols;
	size_t nprotocols, capprotocols;
	struct cipher_entry *ciphers;
	size_t nciphers, capciphers;
	char **groups;
	size_t ngroups, capgroups;
	struct cert_entry *certs;
	size_t ncerts, capcerts;
	struct finding *findings;
	size_t nfindings, capfindings;
	/* The vulnerability battery (model/vuln.h), in docs/vulns.md order;
	 * none when it did not run (--quick, --no-vulns). */
	struct vuln *vulns;
	size_t nvulns, capvulns;
	int vulns_ran;               /* the battery ran (its entries may all
					have been dropped by --severity) */
	struct tline *transcript;
	size_t ntranscript, captranscript;
	struct ep_error *errors;
	size_t nerrors, caperrors;

	/* The grade (docs/grading.md): letter, score and why it is capped. */
	char grade[4];       /* "A+", "A".."F", "" when not graded */
	int score;           /* 0..100 before caps */
	char **grade_caps;   /* each cap that applied, as a sentence */
	size_t ngrade_caps;
	char *auth_verdict;  /* the separate "authentication" line */

	/* DANE (RFC 7672), when the host has secure TLSA records: a handshake
	 * verified against them through OpenSSL. */
	struct {
		int checked;     /* a DANE handshake completed or failed */
		int ok;          /* a TLSA record matched */
		int usage, selector, mtype; /* the matching record */
		int depth;       /* where in the chain it matched, -1 none */
		char *message;   /* why it failed, or what matched */
	} dane;
	/* What makes senders verify this MX endpoint; set by the domain
	 * checks. */
	enum auth_policy auth_policy;

	struct {
		int connections;
		double duration_ms; /* wall time, first connect to last close */
		double first_ms, last_ms; /* monotonic clock, for the above */
	} stats;
};

struct domain_info;

struct result {
	struct endpoint **eps;
	size_t neps, capeps;
	struct domain_info *domain; /* `mailtls domain` only (model/domain.h) */
	struct ep_error *errors; /* run-level: bad target, CA file, resolve */
	size_t nerrors, caperrors;
	/* The version of the mailtls that made a result read back from a
	 * mailtls/1 document (model/json_read.h); NULL for this run's own
	 * result, which the renderers then sign with this build's version. */
	char *tool_version;
};

struct result *result_new(void);
void result_free(struct result *r);
struct endpoint *result_add_endpoint(struct result *r, const char *host, uint16_t port,
				     const char *address);

/* Free one endpoint that is not part of a result (NULL is fine). */
void result_free_endpoint(struct endpoint *ep);
struct ep_error *result_add_error(struct result *r, enum err_stage stage, enum err_cat category,
                                  const char *message);
struct finding *ep_add_finding(struct endpoint *ep, const char *id, enum severity sev,
			       const char *title, const char *detail, const char *fix);
void finding_add_cve(struct finding *f, const char *cve);
struct ep_error *ep_add_error(struct endpoint *ep, enum err_stage stage, enum err_cat category,
                              const char *message);
void ep_add_tline(struct endpoint *ep, double t_ms, char dir, const void *text, size_t len);
struct cert_entry *ep_add_cert(struct endpoint *ep);
void cert_add_san(struct cert_entry *c, const char *name);
void strv_push(char ***v, size_t *n, const char *s);
void ep_set_protocol(struct endpoint *ep, enum tls_proto p, int offered);
/* Why p is unknown or its suite list incomplete (the entry must exist). */
void ep_set_protocol_reason(struct endpoint *ep, enum tls_proto p, const char *reason);
struct cipher_entry *ep_add_cipher(struct endpoint *ep, enum tls_proto p, uint32_t code,
				   const char *iana, const char *openssl, const char *kx,
				   const char *au, const char *enc, int bits, int order);
void ep_add_group(struct endpoint *ep, const char *name);
/* The battery entry with this id, added when there is none yet. */
struct vuln *ep_vuln(struct endpoint *ep, const char *id);
struct vuln *ep_vuln_find(const struct endpoint *ep, const char *id);
/* Keep the battery entries that are vulnerable and link to a finding the
 * endpoint still has (after --severity dropped some). */
void vulns_keep_linked(struct endpoint *ep);
/* Could this endpoint be scanned? A verified handshake, or an enumeration
 * that found something offered (a legacy-only server), or no error at all
 * (STARTTLS refused is a finding, not a failure). */
int ep_scanned(const struct endpoint *ep);
/* The error of the stage that stopped this endpoint (its first one at
 * STAGE_CONNECT), NULL when it connected. */
const struct ep_error *ep_connect_error(const struct endpoint *ep);
/* Highest severity among the findings, SEV_OK when none. */
enum severity ep_max_severity(const struct endpoint *ep);
/* Drop the findings below min from every endpoint (--severity), and, when
 * min is above ok, the battery entries that do not link to a finding that
 * is left. */
void result_drop_findings_below(struct result *r, enum severity min);

void strv_free(char **v, size_t n);
/* Append a finding to a findings vector (endpoint or domain). */
struct finding *findings_push(struct finding **v, size_t *n, size_t *cap, const char *id,
			      enum severity sev, const char *title, const char *detail,
			      const char *fix);
void findings_free(struct finding *v, size_t n);
/* Keep the findings at or above min. */
void findings_drop_below(struct finding *v, size_t *n, enum severity min);
enum severity findings_max_severity(const struct finding *v, size_t n);

void dlg_add_cap_to(char ***v, size_t *n, size_t *cap, const char *text);
/* Capabilities are the server's lines, an open set: the checks ask these.
 * The line whose keyword is kw (without case; the keyword ends the line or
 * a space or '=' follows it), NULL if none. */
const char *dlg_cap_find(char **v, size_t n, const char *kw);
/* Is line one of the lines (the whole line, without case)? */
int dlg_cap_listed(char **v, size_t n, const char *line);
/* Is line the STARTTLS capability itself (STARTTLS; POP3's STLS)? */
int dlg_cap_is_starttls(const char *line);
/* Two endpoints of the same target: the host as given and the port. */
int ep_same_target(const struct endpoint *a, const struct endpoint *b);

/* Set *slot to a copy of s (freeing the old value); NULL stays NULL. */
void str_set(char **slot, const char *s);

#endif
