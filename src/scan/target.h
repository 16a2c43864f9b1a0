/* target.h - what the user asked to scan: "host", "host:port",
 * "[v6addr]:port", "addr"; the mode follows the port unless set. */
#ifndef MAILTLS_TARGET_H
#define MAILTLS_TARGET_H

#include <stdint.h>
#include "core/err.h"
#include "model/result.h"

struct ossl_tlsa;

struct target {
	char host[256]; /* name or numeric address, without brackets */
	uint16_t port;
	int numeric;    /* host is an IP literal */
	int mode_set;   /* mode was given explicitly */
	enum tls_mode mode;
	const char *starttls; /* protocol name when mode is STARTTLS */
	/* DANE: secure TLSA records of the host (not owned), NULL none. */
	const struct ossl_tlsa *tlsa;
	size_t ntlsa;
	/* Addresses already looked up (numeric, not owned): these are
	 * scanned, with no lookup of their own. addr_secure: that lookup was
	 * DNSSEC-secure. */
	char *const *addresses;
	size_t naddresses;
	int addr_secure;
};

/* Parse TARGET; default_port applies when none is given. */
int target_parse(const char *spec, uint16_t default_port, struct target *t, struct err *e) WUR;
/* The mode a port implies: 465, 993, 995, 636, 563, 990, 5223 implicit;
 * otherwise the STARTTLS protocol of the port (smtp for 25, 587, 2525,
 * imap for 143, ...), or NULL when the port is unknown. */
int target_port_mode(uint16_t port, enum tls_mode *mode, const char **starttls);

#endif
