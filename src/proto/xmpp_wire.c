/* xmpp_wire.c - XMPP elements found by name through the checked cursor. */
#include "proto/xmpp_wire.h"

#include <string.h>
#include "core/rd.h"
#include "proto/util.h"

/* Where the cursor stands (NULL once it failed). */
static const char *here(const struct rd *r)
{
	struct rd t = *r;
	return (const char *)rd_ptr(&t, 0);
}

/* Find w in what is left of r: its start, with r moved past it; NULL,
 * with r unmoved, when it is not there. */
static const char *seek(struct rd *r, const char *w)
{
	const char *rest = here(r);
	const char *at = rest ? find_bytes(rest, rd_left(r), w) : NULL;

	if (at != NULL)
		rd_skip(r, (size_t)(at - rest) + strlen(w));
	return at;
}

/* The bytes between two cursors on the same input. */
static size_t gap(const struct rd *from, const struct rd *to)
{
	return rd_left(from) - rd_left(to);
}

enum xmpp_found xmpp_stream_error(const char *p, size_t n, struct xmpp_span *e)
{
	struct rd r, start;

	memset(e, 0, sizeof(*e));
	rd_init(&r, p, n);
	e->text = seek(&r, "<stream:error");
	if (e->text == NULL)
		return XMPP_NONE;
	rd_init(&start, p, n);
	rd_skip(&start, (size_t)(e->text - p));
	if (seek(&r, "</stream:error>") == NULL)
		return XMPP_PARTIAL;
	e->len = gap(&start, &r);
	e->consumed = n - rd_left(&r);
	return XMPP_WHOLE;
}

int xmpp_features(const char *p, size_t n, struct xmpp_features *f)
{
	struct rd r, w, t;

	memset(f, 0, sizeof(*f));
	rd_init(&r, p, n);
	if (seek(&r, "</stream:features>") == NULL) {
		rd_init(&r, p, n);
		if (seek(&r, "<stream:features/>") == NULL)
			return 0;
	}
	f->len = n - rd_left(&r);
	/* Only inside the features: what follows them is the next step's. */
	rd_init(&w, p, f->len);
	if (seek(&w, "<starttls") == NULL)
		return 1;
	t = w;
	f->starttls = seek(&t, XMPP_NS_TLS) != NULL;
	if (!f->starttls)
		return 1;
	/* <required/> counts inside <starttls>...</starttls> only. */
	t = w;
	const char *end = seek(&t, "</starttls>");
	if (end != NULL) {
		struct rd body;
		const char *from = here(&w);
		rd_init(&body, from, (size_t)(end - from));
		f->required = seek(&body, "<required") != NULL;
	}
	return 1;
}

int xmpp_next_mechanism(const char *p, size_t n, size_t *pos, const char **name, size_t *len)
{
	struct rd r, t;
	const char *end;

	*name = NULL;
	*len = 0;
	rd_init(&r, p, n);
	rd_skip(&r, *pos);
	if (seek(&r, "<mechanism>") == NULL)
		return 0;
	t = r;
	end = seek(&t, "</mechanism>");
	if (end == NULL)
		return 0;
	*name = here(&r);
	*len = (size_t)(end - *name);
	if (*len > XMPP_MECH_MAX) {
		*name = NULL;
		*len = 0;
		return 0;
	}
	/* The next search starts after this start tag, as a name may hold
	 * what looks like another. */
	*pos = n - rd_left(&r);
	return 1;
}

enum xmpp_answer xmpp_starttls_answer(const char *p, size_t n, size_t *consumed)
{
	struct rd r;

	*consumed = 0;
	rd_init(&r, p, n);
	if (seek(&r, "<proceed") != NULL) {
		if (seek(&r, ">") == NULL)
			return XMPP_ANSWER_PARTIAL;
		*consumed = n - rd_left(&r);
		return XMPP_ANSWER_PROCEED;
	}
	if (seek(&r, "<failure") != NULL) {
		*consumed = n;
		return XMPP_ANSWER_FAILURE;
	}
	return XMPP_ANSWER_NONE;
}
