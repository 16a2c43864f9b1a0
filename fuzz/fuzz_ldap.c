/* fuzz_ldap.c - proto/ldap_wire and proto/ber on hostile bytes: the size of
 * the first LDAPMessage, then the ExtendedResponse read from exactly that
 * message and from the whole input. What decodes must point inside the
 * message, and a size is never more than the input nor over the cap. Every
 * BER element of the input is walked too, and the writers, given an id
 * from the input, produce a message whose size is its length. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ber.h"
#include "proto/ldap_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return p != NULL && p >= data && n <= size && p + n <= data + size;
}

static void check_response(const uint8_t *data, size_t size)
{
	struct ldap_ext_response r;

	if (ldap_ext_response(data, size, &r) != LDAP_EXT_OK)
		return;
	CHECK(r.tag == BER_SEQUENCE && data[0] == BER_SEQUENCE);
	CHECK(r.op == LDAP_OP_EXTENDED_RESPONSE);
	CHECK(r.result >= 0 && r.result <= 0xffffffffL);
	CHECK(r.msgid >= -1 && r.msgid <= 0xffffffffL);
	CHECK(inside(r.matched_dn, r.matched_dn_len, data, size));
	CHECK(inside(r.diag, r.diag_len, data, size));
	CHECK(r.matched_dn + r.matched_dn_len <= r.diag);
	if (r.name != NULL)
		CHECK(inside(r.name, r.name_len, data, size) && r.name > r.diag);
}

/* Every element at this level, and inside constructed ones. */
static void walk(struct rd *r, int depth)
{
	while (!rd_failed(r) && rd_left(r) > 0) {
		uint8_t tag;
		struct rd v;
		size_t before = rd_left(r);
		ber_read(r, &tag, &v);
		if (rd_failed(r))
			break;
		CHECK(rd_left(r) + 2 + rd_left(&v) <= before);
		if ((tag & 0x20) && depth < 8)
			walk(&v, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;
	struct rd r;
	struct buf b;

	int rc = ldap_message_size(data, size, &n);
	CHECK(rc >= -1 && rc <= 1);
	if (rc == 1) {
		CHECK(n >= 2 && n <= size && n <= 6 + LDAP_MAX_MESSAGE);
		check_response(data, n);
	} else {
		CHECK(n == 0);
	}
	check_response(data, size);
	rd_init(&r, data, size);
	walk(&r, 0);

	if (size >= 4) {
		uint32_t id;
		memcpy(&id, data, 4);
		buf_init(&b, 256);
		CHECK(ldap_starttls_request(&b, id) == 0);
		CHECK(ldap_message_size(b.data, b.len, &n) == 1 && n == b.len);
		CHECK(ldap_ext_response(b.data, b.len, &(struct ldap_ext_response){0}) ==
		      LDAP_EXT_NOT_RESPONSE);
		buf_reset(&b);
		CHECK(ldap_unbind_request(&b, id) == 0);
		CHECK(ldap_message_size(b.data, b.len, &n) == 1 && n == b.len);
		buf_free(&b);
	}
	return 0;
}
