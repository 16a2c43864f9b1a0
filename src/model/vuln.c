/* vuln.c - the vulnerability entries of an endpoint. */
#include "model/vuln.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "model/result.h"

static const char *const verdict_names[] = {
    [VULN_UNSET] = NULL,
    [VULN_VULNERABLE] = "vulnerable",
    [VULN_NOT_VULNERABLE] = "not-vulnerable",
    [VULN_NOT_APPLICABLE] = "not-applicable",
    [VULN_UNKNOWN] = "unknown",
};

const char *vuln_verdict_name(enum vuln_verdict v)
{
	return (unsigned)v < ARRAY_LEN(verdict_names) ? verdict_names[v] : NULL;
}

int vuln_verdict_parse(const char *s, enum vuln_verdict *out)
{
	int i = model_name_index(verdict_names, ARRAY_LEN(verdict_names), s);
	if (i < 0)
		return -1;
	*out = (enum vuln_verdict)i;
	return 0;
}

void vuln_set(struct vuln *v, enum vuln_verdict verdict, const char *reason)
{
	v->verdict = verdict;
	str_set(&v->reason, reason);
}

void vuln_evidence(struct vuln *v, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	str_set(&v->evidence, text);
}

struct vuln *ep_vuln_find(const struct endpoint *ep, const char *id)
{
	for (size_t i = 0; i < ep->nvulns; i++)
		if (strcmp(ep->vulns[i].id, id) == 0)
			return &ep->vulns[i];
	return NULL;
}

struct vuln *ep_vuln(struct endpoint *ep, const char *id)
{
	struct vuln *v = ep_vuln_find(ep, id);
	if (v)
		return v;
	v = xvec_push(&ep->vulns, &ep->nvulns, &ep->capvulns, sizeof(*v));
	memset(v, 0, sizeof(*v));
	v->id = xstrdup(id);
	return v;
}

static void vulns_free_one(struct vuln *v)
{
	free(v->id);
	free(v->reason);
	strv_free(v->cve, v->ncve);
	free(v->evidence);
	free(v->finding);
}

void vulns_free(struct vuln *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vulns_free_one(&v[i]);
	free(v);
}

void vulns_keep_linked(struct endpoint *ep)
{
	size_t n = 0;
	for (size_t i = 0; i < ep->nvulns; i++) {
		struct vuln *v = &ep->vulns[i];
		int keep = 0;
		for (size_t k = 0; v->verdict == VULN_VULNERABLE && v->finding && k < ep->nfindings;
		     k++)
			keep |= strcmp(ep->findings[k].id, v->finding) == 0;
		if (keep)
			ep->vulns[n++] = *v;
		else
			vulns_free_one(v);
	}
	ep->nvulns = n;
}
