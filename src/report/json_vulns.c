/* json_vulns.c - the "vulnerabilities" array of an endpoint (docs/json.md).
 * Leaked bytes (Heartbleed, Ticketbleed) are never written: only their
 * count, in the evidence. */
#include "report/jsonutil.h"

static json_t *vuln_json(const struct vuln *v)
{
	json_t *o = json_object();
	int bad = 0;
	bad |= jset(o, "id", jstr(v->id));
	bad |= jset(o, "verdict", jstr(vuln_verdict_name(v->verdict)));
	bad |= jset(o, "reason", jstr(v->reason));
	bad |= jset(o, "cve", strv_json(v->cve, v->ncve));
	bad |= jset(o, "evidence", jstr(v->evidence));
	bad |= jset(o, "connections", json_integer(v->connections));
	bad |= jset(o, "finding", jstr(v->finding));
	return jdone(o, bad);
}

json_t *vulns_json(const struct endpoint *ep)
{
	json_t *a = json_array();
	int bad = 0;
	for (size_t i = 0; i < ep->nvulns; i++)
		bad |= japp(a, vuln_json(&ep->vulns[i]));
	return jdone(a, bad);
}
