/* clock.h - the one monotonic clock and the one milliseconds -> timeval. */
#ifndef MAILTLS_CLOCK_H
#define MAILTLS_CLOCK_H

#include <sys/time.h>

/* Milliseconds on CLOCK_MONOTONIC (from an arbitrary start): for
 * durations and deadlines, never for dates. */
double clk_mono_ms(void);
/* A libevent timeout: ms milliseconds (>= 0). */
struct timeval clk_tv(long ms);

#endif
