/* jsonutil.h - the JSON renderer's building blocks, shared by its files
 * (json.c: endpoints; json_domain.c: the mail domain). */
#ifndef MAILTLS_JSONUTIL_H
#define MAILTLS_JSONUTIL_H

#include <jansson.h>
#include "model/result.h"

/* Every builder returns NULL when it failed (jansson out of memory, a peer
 * string that could not be made UTF-8): the failure goes up to the report,
 * which then fails, rather than leaving a member out. */

/* Peer bytes made valid UTF-8 (null for NULL). */
json_t *jstrn(const char *s, size_t n);
json_t *jstr(const char *s);
json_t *strv_json(char **v, size_t n);
/* -1 null, else a boolean */
json_t *tri(int v);
json_t *findings_json(const struct finding *v, size_t n);
/* The battery's entries; NULL when jansson failed. */
json_t *vulns_json(const struct endpoint *ep);
struct domain_info;
/* The "domain" member of a mailtls/1 document. */
json_t *domain_json(const struct domain_info *d);

/* Set key of o to v, or append v to a; v is taken (freed on failure). -1
 * when o or v is NULL or jansson failed: callers OR these into a sticky
 * flag, keys in the document's order. */
int jset(json_t *o, const char *key, json_t *v);
int japp(json_t *a, json_t *v);
/* o when bad is 0, else NULL (o freed). */
json_t *jdone(json_t *o, int bad);

#endif
