/* diff.h - what changed between two results of the same targets, over the
 * model (no renderer involved): the fleet's `diff`, the history and the
 * monitor's alerts read it. Endpoints are matched by (host, port, address),
 * findings by id, suites by (protocol, code); each change is one entry with
 * where it happened and the value before and after (NULL for "none"). */
#ifndef MAILTLS_DIFF_H
#define MAILTLS_DIFF_H

#include <stddef.h>

#include "model/result.h"

enum diff_kind {
	DIFF_ENDPOINT_ADDED,   /* an address scanned now, not before */
	DIFF_ENDPOINT_REMOVED,
	DIFF_SCANNED,          /* could be scanned: before/after "yes"/"no" */
	DIFF_STARTTLS,         /* the go-ahead to STARTTLS: "yes"/"no" */
	DIFF_PROTOCOL,         /* offered: "yes"/"no"/"unknown"; what = version */
	DIFF_SUITE_ADDED,      /* what = "TLSv1.2 0xC02F ECDHE-RSA-..." */
	DIFF_SUITE_REMOVED,
	DIFF_GROUP_ADDED,
	DIFF_GROUP_REMOVED,
	DIFF_CERT,             /* the leaf's SPKI changed: what = key; SHA-256s */
	DIFF_CERT_RENEWED,     /* same key, another certificate (fingerprints) */
	DIFF_GRADE,
	DIFF_FINDING_ADDED,    /* what = id; after = severity */
	DIFF_FINDING_REMOVED,  /* before = severity */
	DIFF_FINDING_SEVERITY, /* the same id at another severity */
	/* domain */
	DIFF_MX_ADDED,
	DIFF_MX_REMOVED,
	DIFF_VERDICT,          /* downgrade protection verdict */
	DIFF_STS_MODE,         /* MTA-STS policy mode ("none" without a policy) */
	DIFF_STS_ID,           /* the _mta-sts TXT id */
	DIFF_TLSRPT,           /* a TLS-RPT record: "yes"/"no" */
	DIFF_MX_DNSSEC,        /* the MX RRset's DNSSEC status */
	DIFF_KIND_COUNT
};

/* "protocol", "suite-added", ...: stable, for JSON and alerts. */
const char *diff_kind_name(enum diff_kind k);

struct diff_entry {
	enum diff_kind kind;
	char *where;  /* "mx.example.org [192.0.2.1]:25", or the domain */
	char *what;   /* the thing that changed (version, suite, finding id...) */
	char *before; /* NULL: none */
	char *after;
};

struct diff {
	struct diff_entry *v;
	size_t n, cap;
};

/* The changes from a to b, appended to *d (in a stable order: domain first,
 * then endpoints in b's order, then endpoints only in a). */
void result_diff(const struct result *a, const struct result *b, struct diff *d);
void diff_free(struct diff *d);

#endif
