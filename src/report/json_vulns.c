/* json_vulns.c - the "vulnerabilities" array of an endpoint (docs/json.md).
 * Leaked bytes (Heartbleed) are never written: only their count, in the
 * evidence. */
#include "report/jsonutil.h"

static int set(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

json_t *vulns_json(const struct endpoint *ep)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < ep->nvulns; i++) {
		const struct vuln *v = &ep->vulns[i];
		json_t *o = json_object();
		int rc = o ? 0 : -1;
		rc |= set(o, "id", jstr(v->id));
		rc |= set(o, "verdict", jstr(vuln_verdict_name(v->verdict)));
		rc |= set(o, "reason", jstr(v->reason));
		rc |= set(o, "cve", strv_json(v->cve, v->ncve));
		rc |= set(o, "evidence", jstr(v->evidence));
		rc |= set(o, "connections", json_integer(v->connections));
		rc |= set(o, "finding", jstr(v->finding));
		if (rc) {
			json_decref(o);
			json_decref(a);
			return NULL;
		}
		if (json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
