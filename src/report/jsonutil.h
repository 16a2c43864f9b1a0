/* jsonutil.h - the JSON renderer's building blocks, shared by its files
 * (json.c: endpoints; json_domain.c: the mail domain). */
#ifndef MAILTLS_JSONUTIL_H
#define MAILTLS_JSONUTIL_H

#include <jansson.h>
#include "model/result.h"

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

#endif
