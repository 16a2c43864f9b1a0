/* sched.h - runs probes. A probe is one connection with a state machine and
 * a deadline. The scheduler starts a host's probes in parallel within that
 * host's connection budget and a global cap, queues the rest, and counts the
 * connections each target used. Mail servers throttle: a probe that met a
 * "too many connections" refusal can lower its host's budget. */
#ifndef MAILTLS_SCHED_H
#define MAILTLS_SCHED_H

#include "core/err.h"

struct event_base;
struct sched;
struct sched_host;
struct probe;

struct probe_ops {
	const char *name;
	/* Start: open the connection etc. Must not finish synchronously;
	 * report completion with probe_done(). */
	void (*start)(struct probe *p);
	/* The probe's deadline passed: abort, record the error, probe_done(). */
	void (*expire)(struct probe *p);
	void (*free)(struct probe *p);
};

struct probe {
	const struct probe_ops *ops;
	struct sched *sched;
	struct sched_host *host;
	struct probe *next; /* queue link, owned by the scheduler */
	int deadline_ms;    /* 0: none */
	struct event *timer;
	int running;
	int exclusive;      /* runs alone on its host (sched_add_exclusive) */
	int late;           /* waits for its host's other probes (sched_add_late) */
	int counted;        /* in its host's count of probes that are not late */
	int cancelled;      /* expire() is called because the run stops */
	struct probe *rnext; /* the scheduler's list of running probes */
	int *conn_counter;  /* the target's stats.connections, bumped per conn */
};

struct sched *sched_new(struct event_base *base, int global_cap);
void sched_free(struct sched *s);
/* The host record for a key (created on first use) with its budget. The
 * scan keys it by the server's address: throttling is per address. */
struct sched_host *sched_host(struct sched *s, const char *name, int budget);
void sched_host_lower_budget(struct sched_host *h);
/* Start no new probe for this host for ms (a server that throttles cools
 * down); queued probes wait, others hosts' go on. */
void sched_host_pause(struct sched_host *h, int ms);
int sched_host_budget(const struct sched_host *h);
/* Queue a probe (the scheduler owns it from now on). */
void sched_add(struct sched *s, struct sched_host *h, struct probe *p);
/* Queue a probe that must run alone on its host: it starts once the host's
 * other probes have finished, and none starts while it runs (a close that
 * may be throttling is tried again this way). */
void sched_add_exclusive(struct sched *s, struct sched_host *h, struct probe *p);
/* Queue a probe that starts only once its host has no other probe queued,
 * sleeping or running except late ones (the vulnerability battery: its
 * probes wait on purpose, and a server that serves one connection at a
 * time would make the enumeration's connections time out behind them).
 * Late probes run in parallel with each other within the budget. */
void sched_add_late(struct sched *s, struct sched_host *h, struct probe *p);
/* Queue a probe after delay_ms (backoff after a refusal). Until then it
 * counts as pending work: the scheduler is not idle. */
void sched_add_after(struct sched *s, struct sched_host *h, struct probe *p, int delay_ms);
/* The run stops (--scan-timeout): every queued, sleeping and running probe
 * is expired now (cancelled set), and so is any probe added from then on;
 * each reports what it has, the rest is unknown. */
void sched_cancel_all(struct sched *s);
/* Called by a probe when it has finished: frees it and starts the next. */
void probe_done(struct probe *p);
/* Called by a probe each time it opens a connection. */
void probe_count_conn(struct probe *p);
/* Highest number of probes that ran at once, for one host and overall. */
int sched_host_peak(const struct sched_host *h);
int sched_peak(const struct sched *s);
struct event_base *sched_base(const struct sched *s);
/* Called each time the scheduler becomes idle (nothing queued or running). */
void sched_on_idle(struct sched *s, void (*cb)(void *arg), void *arg);
int sched_idle(const struct sched *s);

#endif
