/* sched.c - probe scheduler: per-host budget, global cap, FIFO order. */
#include "scan/sched.h"

#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

struct sched_host {
	char *name;
	int budget;
	int running;
	int peak;
	struct event *pause;   /* armed while no new probe may start */
	int excl_waiting;      /* exclusive probes queued */
	int excl_running;      /* an exclusive probe runs */
	int early;             /* probes not late: queued, sleeping or running */
	struct timeval pause_end;
	struct sched *sched;
	struct sched_host *next;
};

struct sched {
	struct event_base *base;
	int cap;
	int running;
	int peak;
	struct probe *head, *tail; /* waiting probes */
	struct sched_host *hosts;
	int pumping, again;
	int sleeping;             /* probes waiting for their delay to pass */
	struct probe *sleepers;   /* ...linked through next */
	void (*idle_cb)(void *arg);
	void *idle_arg;
	struct probe *runners;    /* running probes, linked through rnext */
	int cancelling;           /* sched_cancel_all was called */
};

struct sched *sched_new(struct event_base *base, int global_cap)
{
	struct sched *s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->cap = global_cap > 0 ? global_cap : 1;
	return s;
}

void sched_free(struct sched *s)
{
	if (!s)
		return;
	struct probe *lists[2] = {s->head, s->sleepers};
	for (int i = 0; i < 2; i++) {
		while (lists[i]) {
			struct probe *p = lists[i];
			lists[i] = p->next;
			if (p->timer)
				event_free(p->timer);
			p->ops->free(p);
		}
	}
	while (s->hosts) {
		struct sched_host *h = s->hosts;
		s->hosts = h->next;
		if (h->pause)
			event_free(h->pause);
		free(h->name);
		free(h);
	}
	free(s);
}

struct sched_host *sched_host(struct sched *s, const char *name, int budget)
{
	for (struct sched_host *h = s->hosts; h; h = h->next)
		if (strcmp(h->name, name) == 0)
			return h;
	struct sched_host *h = xcalloc(1, sizeof(*h));
	h->name = xstrdup(name);
	h->budget = budget > 0 ? budget : 1;
	h->sched = s;
	h->next = s->hosts;
	s->hosts = h;
	return h;
}

void sched_host_lower_budget(struct sched_host *h)
{
	if (h->budget > 1)
		h->budget--;
}

int sched_host_budget(const struct sched_host *h)
{
	return h->budget;
}

int sched_host_peak(const struct sched_host *h)
{
	return h->peak;
}

int sched_peak(const struct sched *s)
{
	return s->peak;
}

struct event_base *sched_base(const struct sched *s)
{
	return s->base;
}

void sched_on_idle(struct sched *s, void (*cb)(void *arg), void *arg)
{
	s->idle_cb = cb;
	s->idle_arg = arg;
}

int sched_idle(const struct sched *s)
{
	return s->running == 0 && s->head == NULL && s->sleeping == 0;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	log_debug("probe %s: deadline of %d ms passed", p->ops->name, p->deadline_ms);
	p->ops->expire(p);
}

static void start(struct sched *s, struct probe *p)
{
	if (p->exclusive) {
		p->host->excl_waiting--;
		p->host->excl_running = 1;
	}
	s->running++;
	p->host->running++;
	p->rnext = s->runners;
	s->runners = p;
	if (s->running > s->peak)
		s->peak = s->running;
	if (p->host->running > p->host->peak)
		p->host->peak = p->host->running;
	p->running = 1;
	if (p->deadline_ms > 0) {
		struct timeval tv = clk_tv(p->deadline_ms);
		p->timer = evtimer_new(s->base, on_deadline, p);
		evtimer_add(p->timer, &tv);
	}
	p->ops->start(p);
}

/* Start every waiting probe that fits, in queue order. A probe whose host
 * is at its budget waits without blocking other hosts' probes. */
static void pump(struct sched *s)
{
	if (s->pumping) {
		s->again = 1;
		return;
	}
	s->pumping = 1;
	do {
		s->again = 0;
		struct probe **pp = &s->head, *prev = NULL;
		while (*pp && s->running < s->cap) {
			struct probe *p = *pp;
			struct sched_host *h = p->host;
			int blocked = h->running >= h->budget || h->pause || h->excl_running ||
				      (p->exclusive ? h->running > 0 : h->excl_waiting > 0) ||
				      (p->late && h->early > 0);
			if (blocked) {
				prev = p;
				pp = &p->next;
				continue;
			}
			*pp = p->next;
			if (s->tail == p)
				s->tail = prev;
			p->next = NULL;
			start(s, p);
		}
	} while (s->again);
	s->pumping = 0;
	if (sched_idle(s) && s->idle_cb)
		s->idle_cb(s->idle_arg);
}

static void on_unpause(evutil_socket_t fd, short what, void *arg)
{
	struct sched_host *h = arg;
	event_free(h->pause);
	h->pause = NULL;
	pump(h->sched);
}

void sched_host_pause(struct sched_host *h, int ms)
{
	struct timeval now, tv = clk_tv(ms), end;
	evutil_gettimeofday(&now, NULL);
	evutil_timeradd(&now, &tv, &end);
	if (h->pause) {
		if (evutil_timercmp(&end, &h->pause_end, <=))
			return; /* already paused at least that long */
		event_del(h->pause);
	} else {
		h->pause = evtimer_new(h->sched->base, on_unpause, h);
	}
	h->pause_end = end;
	log_debug("host %s: no new connection for %d ms", h->name, ms);
	evtimer_add(h->pause, &tv);
}

/* A probe that will never start, the run stopping: expire reports it,
 * probe_done frees it. */
static void cancel_unstarted(struct probe *p)
{
	if (p->exclusive) {
		p->host->excl_waiting--;
		p->exclusive = 0;
	}
	p->next = NULL;
	p->cancelled = 1;
	p->ops->expire(p);
}

/* Count a probe that is not late in its host's tally, once. */
static void count_early(struct sched_host *h, struct probe *p)
{
	if (!p->late && !p->counted) {
		p->counted = 1;
		h->early++;
	}
}

void sched_add(struct sched *s, struct sched_host *h, struct probe *p)
{
	p->sched = s;
	p->host = h;
	p->next = NULL;
	count_early(h, p);
	if (s->cancelling) {
		cancel_unstarted(p);
		return;
	}
	if (s->tail)
		s->tail->next = p;
	else
		s->head = p;
	s->tail = p;
	pump(s);
}

void sched_add_exclusive(struct sched *s, struct sched_host *h, struct probe *p)
{
	p->exclusive = 1;
	h->excl_waiting++;
	sched_add(s, h, p);
}

void sched_add_late(struct sched *s, struct sched_host *h, struct probe *p)
{
	p->late = 1;
	sched_add(s, h, p);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	struct sched *s = p->sched;
	event_free(p->timer);
	p->timer = NULL;
	for (struct probe **pp = &s->sleepers; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	s->sleeping--;
	sched_add(s, p->host, p);
}

void sched_cancel_all(struct sched *s)
{
	s->cancelling = 1;
	s->pumping++; /* nothing starts while the lists are emptied */
	while (s->sleepers) {
		struct probe *p = s->sleepers;
		s->sleepers = p->next;
		s->sleeping--;
		event_free(p->timer);
		p->timer = NULL;
		cancel_unstarted(p);
	}
	while (s->head) {
		struct probe *p = s->head;
		s->head = p->next;
		if (!s->head)
			s->tail = NULL;
		cancel_unstarted(p);
	}
	while (s->runners) {
		struct probe *p = s->runners;
		p->cancelled = 1;
		p->ops->expire(p); /* probe_done takes it off the list */
		if (s->runners == p)
			break; /* a probe that did not finish: leave it */
	}
	s->pumping--;
	if (sched_idle(s) && s->idle_cb)
		s->idle_cb(s->idle_arg);
}

void sched_add_after(struct sched *s, struct sched_host *h, struct probe *p, int delay_ms)
{
	if (s->cancelling) {
		sched_add(s, h, p);
		return;
	}
	struct timeval tv = clk_tv(delay_ms);
	p->sched = s;
	p->host = h;
	count_early(h, p);
	p->timer = evtimer_new(s->base, on_wake, p);
	p->next = s->sleepers;
	s->sleepers = p;
	s->sleeping++;
	evtimer_add(p->timer, &tv);
}

/* An exclusive probe starts on a quiet host: this long after the host's
 * last connection ended (a server counts a connection until its process
 * has exited; a retry that came at once would be throttled again). */
#define EXCL_QUIET_MS 500

void probe_done(struct probe *p)
{
	struct sched *s = p->sched;
	struct sched_host *h = p->host;
	if (p->timer) {
		event_free(p->timer);
		p->timer = NULL;
	}
	if (p->running) {
		for (struct probe **pp = &s->runners; *pp; pp = &(*pp)->rnext)
			if (*pp == p) {
				*pp = p->rnext;
				break;
			}
		s->running--;
		p->host->running--;
		if (p->exclusive)
			p->host->excl_running = 0;
	} else if (p->exclusive) {
		p->host->excl_waiting--; /* never started */
	}
	if (p->counted)
		h->early--;
	p->ops->free(p);
	if (h->excl_waiting > 0 && h->running == 0 && !s->cancelling)
		sched_host_pause(h, EXCL_QUIET_MS);
	pump(s);
}

void probe_count_conn(struct probe *p)
{
	if (p->conn_counter)
		(*p->conn_counter)++;
}
