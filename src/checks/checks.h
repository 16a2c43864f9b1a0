/* checks.h - checks read what the probes stored in the model and add
 * findings (stable id, severity, detail, fix). They never touch the network. */
#ifndef MAILTLS_CHECKS_H
#define MAILTLS_CHECKS_H

#include "model/result.h"

/* Every check, on every endpoint of the result. */
void checks_run(struct result *r);

/* Individual checks (one file each). */
void check_trust(struct endpoint *ep);
void check_starttls(struct endpoint *ep);
void check_crypto(struct endpoint *ep);

#endif
