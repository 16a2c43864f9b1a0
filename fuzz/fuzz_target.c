/* fuzz_target.c - TARGET parsing ("host", "host:port", "[v6]:port"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "scan/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[600];
	struct target t;
	struct err e;

	if (size >= sizeof spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	if (target_parse(spec, 25, &t, &e) == 0) {
		/* An accepted target has a host and a valid port. */
		if (t.host[0] == '\0' || t.port == 0 || strlen(t.host) >= sizeof t.host)
			abort();
	} else if (e.cat != ERR_USAGE) {
		abort();
	}
	return 0;
}
