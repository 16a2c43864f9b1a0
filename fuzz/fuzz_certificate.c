/* fuzz_certificate.c - msg_certificate and msg_certificate_status on a
 * hostile body. A decoded certificate_list accounts for every byte (3 for
 * the list, 3 more per certificate) and every DER view lies inside the
 * input; a CertificateStatus is a type byte, 3 length bytes and a response
 * of that length, nothing else. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certificate_list cl;
	uint8_t type;
	size_t len;

	if (msg_certificate(data, size, &cl) == 0) {
		size_t used = 3, kept = cl.ncerts < MSG_MAX_CERTS ? cl.ncerts : MSG_MAX_CERTS;
		const uint8_t *next = data + 6;
		for (size_t i = 0; i < kept; i++) {
			CHECK(cl.len[i] >= 1);
			CHECK(cl.der[i] == next); /* in order, back to back */
			CHECK(cl.der[i] + cl.len[i] <= data + size);
			sink = cl.der[i][0];
			sink = cl.der[i][cl.len[i] - 1];
			used += 3 + cl.len[i];
			next = cl.der[i] + cl.len[i] + 3;
		}
		if (cl.ncerts <= MSG_MAX_CERTS)
			CHECK(used == size);
		else
			CHECK(used + 4 * (cl.ncerts - MSG_MAX_CERTS) <= size);
		CHECK(((size_t)data[0] << 16 | (size_t)data[1] << 8 | data[2]) == size - 3);
	}
	if (msg_certificate_status(data, size, &type, &len) == 0) {
		CHECK(size >= 5);
		CHECK(type == data[0]);
		CHECK(len >= 1 && len + 4 == size);
	}
	return 0;
}
