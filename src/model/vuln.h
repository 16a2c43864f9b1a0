/* vuln.h - the vulnerability battery's entries in the result model
 * (docs/vulns.md): one per check, with a verdict that is never "safe" when
 * the check could not run. Probes fill verdict, reason, evidence and their
 * connection count; checks/vulns.c adds the CVEs, derives the checks that
 * cost no connection and links each entry to the finding it raised. */
#ifndef MAILTLS_VULN_H
#define MAILTLS_VULN_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

enum vuln_verdict {
	VULN_UNSET,
	VULN_VULNERABLE,
	VULN_NOT_VULNERABLE,
	VULN_NOT_APPLICABLE, /* the precondition is missing: reason says which */
	VULN_UNKNOWN,        /* could not be determined: reason says why */
};
/* NULL unset, "vulnerable", "not-vulnerable", "not-applicable", "unknown" */
const char *vuln_verdict_name(enum vuln_verdict v);
int vuln_verdict_parse(const char *s, enum vuln_verdict *out) WUR;

#define VULN_LEAK_SHOWN 32 /* leaked bytes kept for the terminal, at most */

struct vuln {
	char *id; /* "heartbleed": stable, docs/vulns.md */
	enum vuln_verdict verdict;
	char *reason; /* why not-applicable or unknown (or a note), NULL none */
	char **cve;
	size_t ncve;
	char *evidence;  /* what was sent and seen, short; raw bytes, renderers escape */
	int connections; /* the connections this check cost (0: read the model) */
	char *finding;   /* the finding it raised or links to, NULL none */
	int weak;        /* a weaker form (ROBOT's weak oracle): its finding is
	                    one severity lower; the evidence says so */
	/* Heartbleed: the first leaked bytes, for the terminal only; never
	 * written to JSON, a store or a web page. */
	uint8_t leak[VULN_LEAK_SHOWN];
	size_t nleak;
};

/* Set the verdict and its reason (copied; NULL for none). */
void vuln_set(struct vuln *v, enum vuln_verdict verdict, const char *reason);
/* Replace the evidence (printf-style; truncated to 512 bytes). */
void vuln_evidence(struct vuln *v, const char *fmt, ...) PRINTF(2, 3);
void vulns_free(struct vuln *v, size_t n);

#endif
