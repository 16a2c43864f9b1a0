/* domain.h - the mail domain part of the result model (`mailtls domain`):
 * MX hosts with their DNSSEC status and TLSA records, the MTA-STS, TLS-RPT,
 * SPF and DMARC records, domain-level findings and the downgrade-resistance
 * verdict. The MX hosts' endpoints are ordinary endpoints of the result. */
#ifndef MAILTLS_MODEL_DOMAIN_H
#define MAILTLS_MODEL_DOMAIN_H

#include <stddef.h>
#include "model/result.h"

/* DNSSEC status of an answer. */
enum zone_sec { SEC_UNKNOWN, SEC_INSECURE, SEC_SECURE, SEC_BOGUS };
const char *zone_sec_name(enum zone_sec s); /* NULL, "insecure", "secure", "bogus" */
/* MTA-STS policy mode (RFC 8461 5): STS_MODE_UNSET when there is no
 * policy. */
enum sts_mode { STS_MODE_UNSET, STS_MODE_NONE, STS_MODE_TESTING, STS_MODE_ENFORCE };
const char *sts_mode_name(enum sts_mode m); /* NULL unset, "none", "testing", "enforce" */
int sts_mode_parse(const char *s, enum sts_mode *out) WUR;
/* DMARC policy (RFC 7489 6.3 p= and sp=): DMARC_UNSET when absent. */
enum dmarc_policy { DMARC_UNSET, DMARC_NONE, DMARC_QUARANTINE, DMARC_REJECT };
const char *dmarc_policy_name(enum dmarc_policy p); /* NULL unset, "none", "quarantine", "reject" */
int dmarc_policy_parse(const char *s, enum dmarc_policy *out) WUR;
/* The domain's downgrade resistance (docs/domain.md); VERDICT_UNKNOWN:
 * DNSSEC or MTA-STS cannot be judged; VERDICT_UNSET: not computed. */
enum verdict {
	VERDICT_UNSET,
	VERDICT_NONE,
	VERDICT_MTA_STS_TESTING,
	VERDICT_MTA_STS_ENFORCE,
	VERDICT_DANE,
	VERDICT_BOTH,
	VERDICT_UNKNOWN,
};
/* NULL unset, "none", "mta-sts-testing", "mta-sts-enforce", "dane", "both", "unknown" */
const char *verdict_name(enum verdict v);
int verdict_parse(const char *s, enum verdict *out) WUR;
/* How an SPF record ends, in words: "-all (fail)", ..., "without all". */
const char *spf_all_words(char qualifier);

struct tlsa_rr {
	int usage, selector, mtype;
	char *data; /* lower-case hex */
};

struct mx_host {
	char *name;       /* lower-case, no trailing dot */
	int preference;
	enum zone_sec addr_sec;
	char **addresses;
	size_t naddresses;
	char *addr_error; /* the lookup failed: why */
	char *cname;      /* the name is an alias (CNAME) for this one */
	enum zone_sec tlsa_sec;
	char *tlsa_name;  /* _25._tcp.NAME */
	struct tlsa_rr *tlsa;
	size_t ntlsa, captlsa;
	char *tlsa_error; /* SERVFAIL, timeout, ... (not NODATA) */
	int sts_match;    /* matches an MTA-STS mx pattern: 1, 0, -1 no policy */
};

/* A TXT-based record: every TXT string that looked like it (its character
 * strings joined), the lookup's status and the parse of the first. */
struct txt_rec {
	enum zone_sec sec;
	char *lookup_error; /* SERVFAIL, timeout, bogus (not NXDOMAIN/NODATA) */
	char **txt;       /* matching records, as received (NUL shown as '?') */
	size_t ntxt;
	int valid;        /* the (single) record parsed */
	char *parse_error;
};

struct domain_info {
	char *name;
	/* MX */
	int mx_looked;
	enum zone_sec mx_sec;
	char *mx_error;   /* the MX lookup failed (NXDOMAIN, SERVFAIL, ...) */
	int null_mx;      /* RFC 7505 */
	int implicit_mx;  /* no MX: the domain itself (RFC 5321 5.1) */
	struct mx_host *mx;
	size_t nmx, capmx;
	/* MTA-STS */
	struct txt_rec sts_txt;
	char *sts_id;
	struct {
		char *url;
		int fetched;          /* an HTTP response came */
		long status;
		char *content_type;
		char *location;       /* of a redirect */
		char *body;           /* raw, NUL-terminated (NULs shown as '?') */
		char *error;          /* why there is no usable policy */
		int invalid;          /* fetched (200, text/plain) but malformed */
		int undetermined;     /* the fetch timed out or the connection broke:
				       * whether the policy works is unknown */
		int valid;
		enum sts_mode mode;   /* STS_MODE_UNSET unless valid */
		long max_age;
		char **mx;
		size_t nmx;
	} sts;
	/* TLS-RPT */
	struct txt_rec tlsrpt;
	char **tlsrpt_rua;
	size_t ntlsrpt_rua;
	/* SPF */
	struct txt_rec spf;
	char spf_all;         /* '+', '-', '~', '?', 0 none */
	int spf_lookups;      /* DNS lookups, includes and redirects followed */
	int spf_has_ptr;
	char **spf_problems;  /* an include or redirect that failed, as a sentence */
	size_t nspf_problems;
	size_t nspf_unknown;  /* of them, lookups that failed (SERVFAIL, a timeout):
			       * a temperror, not the record's fault */
	/* DMARC */
	struct txt_rec dmarc;
	char *dmarc_from;     /* the parent domain whose record applies, NULL: own */
	enum dmarc_policy dmarc_p, dmarc_sp; /* DMARC_UNSET: no record, no sp= */
	int dmarc_pct;
	char **dmarc_rua;
	size_t ndmarc_rua;

	char *dnssec_unusable; /* the resolver cannot validate DNSSEC: why (every
				  DNSSEC status is then SEC_UNKNOWN) */
	enum verdict verdict;
	char *verdict_detail;
	struct finding *findings;
	size_t nfindings, capfindings;
};

struct domain_info *domain_info_new(const char *name);
/* The MX host named host (a DNS name: without case), NULL if none. */
const struct mx_host *domain_mx_find(const struct domain_info *d, const char *host);
/* Why the _mta-sts TXT lookup failed (sts_txt.lookup_error, NULL if it did
 * not), without the owner name the resolver's message may start with. */
const char *domain_sts_lookup_reason(const struct domain_info *d);
void domain_info_free(struct domain_info *d);
struct mx_host *domain_add_mx(struct domain_info *d, const char *name, int preference);
struct tlsa_rr *mx_add_tlsa(struct mx_host *m, int usage, int selector, int mtype,
			    const char *hex);
struct finding *domain_add_finding(struct domain_info *d, const char *id, enum severity sev,
				   const char *title, const char *detail, const char *fix);
void txt_rec_free(struct txt_rec *t);

#endif
