/* test_sched.c - the probe scheduler with fake probes on a real libevent
 * loop: per-host budget, global cap, FIFO order, idle callback, deadlines,
 * budget lowering. A fake probe arms a timer in start() and reports
 * probe_done() when it fires; the test keeps its own count of what runs at
 * once to check the scheduler's peaks against. */
#include "testutil.h"

#include <event2/event.h>

#include "scan/sched.h"

#define MAX_PROBES 32

struct world {
	struct event_base *base;
	struct sched *sched;
	struct event *guard;
	int timed_out;
	int started, completed, expired, freed;
	int order[MAX_PROBES]; /* ids in start order */
	int running, max_running;
	int host_running[2], host_max[2];
	int idle_calls;
	int completed_at_idle;
	int events_at_idle;
	int started_at_peek;
	int conns;
	struct sched_host *lower_on_first_done; /* lower this budget once */
	int lowered;
	int max_host_after_lower;
};

struct fake {
	struct probe p; /* first: the scheduler hands back a struct probe * */
	struct world *w;
	int id;
	int hostix;
	int delay_ms; /* < 0: never finishes by itself */
	int conns;    /* probe_count_conn calls in start() */
	struct event *ev;
};

static void fake_finish(struct fake *f)
{
	struct world *w = f->w;

	w->running--;
	w->host_running[f->hostix]--;
	probe_done(&f->p); /* frees f */
}

static void on_fake_timer(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct fake *f = arg;
	struct world *w = f->w;

	w->completed++;
	if (w->lower_on_first_done && !w->lowered) {
		sched_host_lower_budget(w->lower_on_first_done);
		w->lowered = 1;
	}
	fake_finish(f);
}

static void fake_start(struct probe *p)
{
	struct fake *f = (struct fake *)p;
	struct world *w = f->w;

	assert_true(w->started < MAX_PROBES);
	assert_int_equal(p->running, 1);
	w->order[w->started++] = f->id;
	w->running++;
	if (w->running > w->max_running)
		w->max_running = w->running;
	w->host_running[f->hostix]++;
	if (w->host_running[f->hostix] > w->host_max[f->hostix])
		w->host_max[f->hostix] = w->host_running[f->hostix];
	if (w->lowered && w->host_running[f->hostix] > w->max_host_after_lower)
		w->max_host_after_lower = w->host_running[f->hostix];
	for (int i = 0; i < f->conns; i++)
		probe_count_conn(p);
	if (f->delay_ms >= 0) {
		struct timeval tv = {f->delay_ms / 1000, (f->delay_ms % 1000) * 1000};
		f->ev = evtimer_new(w->base, on_fake_timer, f);
		assert_non_null(f->ev);
		assert_int_equal(evtimer_add(f->ev, &tv), 0);
	}
}

static void fake_expire(struct probe *p)
{
	struct fake *f = (struct fake *)p;

	f->w->expired++;
	fake_finish(f);
}

static void fake_free(struct probe *p)
{
	struct fake *f = (struct fake *)p;

	if (f->ev)
		event_free(f->ev);
	f->w->freed++;
	free(f);
}

static const struct probe_ops fake_ops = {
    .name = "fake",
    .start = fake_start,
    .expire = fake_expire,
    .free = fake_free,
};

static struct fake *fake_new(struct world *w, int id, int hostix, int delay_ms)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->p.ops = &fake_ops;
	f->w = w;
	f->id = id;
	f->hostix = hostix;
	f->delay_ms = delay_ms;
	return f;
}

static void on_idle(void *arg)
{
	struct world *w = arg;

	w->idle_calls++;
	w->completed_at_idle = w->completed + w->expired;
	w->events_at_idle = event_base_get_num_events(w->base, EVENT_BASE_COUNT_ADDED);
	event_base_loopbreak(w->base);
}

static void on_guard(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct world *w = arg;

	w->timed_out = 1;
	event_base_loopbreak(w->base);
}

static void world_init(struct world *w, int cap)
{
	struct timeval tv = {5, 0};

	memset(w, 0, sizeof(*w));
	w->base = event_base_new();
	assert_non_null(w->base);
	w->sched = sched_new(w->base, cap);
	assert_non_null(w->sched);
	assert_ptr_equal(sched_base(w->sched), w->base);
	sched_on_idle(w->sched, on_idle, w);
	w->guard = evtimer_new(w->base, on_guard, w);
	assert_int_equal(evtimer_add(w->guard, &tv), 0);
}

static void world_run(struct world *w)
{
	assert_int_equal(event_base_dispatch(w->base), 0);
	assert_int_equal(w->timed_out, 0);
}

static void world_free(struct world *w)
{
	sched_free(w->sched);
	event_free(w->guard);
	event_base_free(w->base);
}

static void test_host_budget(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;

	world_init(&w, 100);
	h = sched_host(w.sched, "mx.example.com", 2);
	assert_int_equal(sched_host_budget(h), 2);
	for (int i = 0; i < 10; i++)
		sched_add(w.sched, h, &fake_new(&w, i, 0, 10)->p);
	/* Starting happens inside sched_add, up to the budget. */
	assert_int_equal(w.started, 2);
	assert_int_equal(sched_idle(w.sched), 0);
	world_run(&w);
	assert_int_equal(w.started, 10);
	assert_int_equal(w.completed, 10);
	assert_int_equal(w.freed, 10);
	assert_int_equal(w.expired, 0);
	assert_int_equal(sched_host_peak(h), 2);
	assert_int_equal(sched_peak(w.sched), 2);
	assert_int_equal(w.host_max[0], 2);
	/* FIFO. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(w.order[i], i);
	assert_int_equal(sched_idle(w.sched), 1);
	world_free(&w);
}

static void test_global_cap(void **state UNUSED)
{
	struct world w;
	struct sched_host *a, *b;

	world_init(&w, 3);
	a = sched_host(w.sched, "a.example", 2);
	b = sched_host(w.sched, "b.example", 2);
	assert_ptr_not_equal(a, b);
	/* Interleaved; a's probes are short, b's long, so the first slot to
	 * free up is a's and b gets its second probe in. */
	for (int i = 0; i < 5; i++) {
		sched_add(w.sched, a, &fake_new(&w, 2 * i, 0, 10)->p);
		sched_add(w.sched, b, &fake_new(&w, 2 * i + 1, 1, 100)->p);
	}
	assert_int_equal(w.started, 3);
	world_run(&w);
	assert_int_equal(w.completed, 10);
	assert_int_equal(w.freed, 10);
	assert_int_equal(sched_peak(w.sched), 3);
	assert_int_equal(w.max_running, 3);
	assert_int_equal(sched_host_peak(a), 2);
	assert_int_equal(sched_host_peak(b), 2);
	assert_int_equal(w.host_max[0], 2);
	assert_int_equal(w.host_max[1], 2);
	world_free(&w);
}

static void test_busy_host_does_not_block_others(void **state UNUSED)
{
	struct world w;
	struct sched_host *a, *b;

	world_init(&w, 4);
	a = sched_host(w.sched, "a.example", 1);
	b = sched_host(w.sched, "b.example", 1);
	for (int i = 0; i < 3; i++)
		sched_add(w.sched, a, &fake_new(&w, i, 0, 10)->p);
	sched_add(w.sched, b, &fake_new(&w, 3, 1, 10)->p);
	/* a's queued probes wait; b's probe, added after them, runs. */
	assert_int_equal(w.started, 2);
	assert_int_equal(w.order[0], 0);
	assert_int_equal(w.order[1], 3);
	world_run(&w);
	assert_int_equal(w.completed, 4);
	assert_int_equal(sched_host_peak(a), 1);
	assert_int_equal(sched_host_peak(b), 1);
	assert_int_equal(sched_peak(w.sched), 2);
	world_free(&w);
}

static void test_idle_once(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;

	world_init(&w, 2);
	h = sched_host(w.sched, "mx.example.com", 2);
	assert_int_equal(sched_idle(w.sched), 1);
	for (int i = 0; i < 5; i++)
		sched_add(w.sched, h, &fake_new(&w, i, 0, 5)->p);
	assert_int_equal(w.idle_calls, 0);
	world_run(&w);
	assert_int_equal(w.idle_calls, 1);
	/* Idle means done: every probe had finished when it fired. */
	assert_int_equal(w.completed_at_idle, 5);
	world_free(&w);
}

static void test_count_conn(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;
	int counter = 0;
	struct fake *f;

	world_init(&w, 4);
	h = sched_host(w.sched, "mx.example.com", 4);
	for (int i = 0; i < 3; i++) {
		f = fake_new(&w, i, 0, 5);
		f->conns = 2;
		f->p.conn_counter = &counter;
		sched_add(w.sched, h, &f->p);
	}
	/* A probe without a counter may still count. */
	f = fake_new(&w, 3, 0, 5);
	f->conns = 1;
	sched_add(w.sched, h, &f->p);
	world_run(&w);
	assert_int_equal(counter, 6);
	assert_int_equal(w.completed, 4);
	world_free(&w);
}

static void test_deadline_expires(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;
	struct fake *f;

	world_init(&w, 4);
	h = sched_host(w.sched, "mx.example.com", 4);
	/* Hangs forever: only its deadline ends it. */
	f = fake_new(&w, 0, 0, -1);
	f->p.deadline_ms = 30;
	sched_add(w.sched, h, &f->p);
	world_run(&w);
	assert_int_equal(w.expired, 1);
	assert_int_equal(w.completed, 0);
	assert_int_equal(w.freed, 1);
	assert_int_equal(w.idle_calls, 1);
	assert_int_equal(sched_idle(w.sched), 1);
	world_free(&w);
}

static void test_deadline_cancelled_on_done(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;
	struct fake *f;

	world_init(&w, 4);
	h = sched_host(w.sched, "mx.example.com", 4);
	f = fake_new(&w, 0, 0, 5);
	f->p.deadline_ms = 2000;
	sched_add(w.sched, h, &f->p);
	world_run(&w);
	assert_int_equal(w.completed, 1);
	assert_int_equal(w.expired, 0);
	/* Only the test's guard timer is left: the deadline timer went with
	 * the probe (or it would fire on freed memory). */
	assert_int_equal(w.events_at_idle, 1);
	world_free(&w);
}

static void test_lower_budget(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;

	world_init(&w, 10);
	h = sched_host(w.sched, "mx.example.com", 3);
	assert_int_equal(sched_host_budget(h), 3);
	sched_host_lower_budget(h);
	assert_int_equal(sched_host_budget(h), 2);
	sched_host_lower_budget(h);
	assert_int_equal(sched_host_budget(h), 1);
	sched_host_lower_budget(h);
	assert_int_equal(sched_host_budget(h), 1);
	/* The same name is the same record; its budget stays. */
	assert_ptr_equal(sched_host(w.sched, "mx.example.com", 8), h);
	assert_int_equal(sched_host_budget(h), 1);
	/* A budget below 1 would never run anything. */
	assert_int_equal(sched_host_budget(sched_host(w.sched, "zero.example", 0)), 1);
	assert_int_equal(sched_host_budget(sched_host(w.sched, "neg.example", -3)), 1);
	world_free(&w);
}

static void test_lower_budget_while_running(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;

	world_init(&w, 10);
	h = sched_host(w.sched, "mx.example.com", 2);
	w.lower_on_first_done = h;
	for (int i = 0; i < 6; i++)
		sched_add(w.sched, h, &fake_new(&w, i, 0, 5)->p);
	assert_int_equal(w.started, 2);
	world_run(&w);
	assert_int_equal(w.completed, 6);
	assert_int_equal(sched_host_budget(h), 1);
	assert_int_equal(sched_host_peak(h), 2);
	/* Once lowered, probes ran one at a time. */
	assert_int_equal(w.max_host_after_lower, 1);
	world_free(&w);
}

static void on_peek_started(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct world *w = arg;

	w->started_at_peek = w->started;
}

static void test_add_after(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;
	struct timeval peek = {0, 30 * 1000};

	world_init(&w, 4);
	h = sched_host(w.sched, "mx.example.com", 4);
	sched_add_after(w.sched, h, &fake_new(&w, 0, 0, 5)->p, 150);
	/* Asleep: not started, yet the scheduler has work. */
	assert_int_equal(w.started, 0);
	assert_int_equal(sched_idle(w.sched), 0);
	w.started_at_peek = -1;
	assert_int_equal(event_base_once(w.base, -1, EV_TIMEOUT, on_peek_started, &w, &peek), 0);
	world_run(&w);
	assert_int_equal(w.started_at_peek, 0);
	assert_int_equal(w.started, 1);
	assert_int_equal(w.completed, 1);
	assert_int_equal(w.freed, 1);
	assert_int_equal(w.idle_calls, 1);
	world_free(&w);
}

static void test_add_after_keeps_busy(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;

	world_init(&w, 4);
	h = sched_host(w.sched, "mx.example.com", 4);
	sched_add(w.sched, h, &fake_new(&w, 0, 0, 5)->p);
	sched_add_after(w.sched, h, &fake_new(&w, 1, 0, 5)->p, 80);
	world_run(&w);
	/* The first probe's end was not "idle": one retry was asleep. */
	assert_int_equal(w.idle_calls, 1);
	assert_int_equal(w.completed_at_idle, 2);
	assert_int_equal(w.order[0], 0);
	assert_int_equal(w.order[1], 1);
	world_free(&w);
}

/* sched.h: a late probe starts only when its host has no other probe
 * queued, sleeping or running; late probes then share the budget, and
 * another host's probes are not held back by them. */
static void test_late_waits_for_its_host(void **state UNUSED)
{
	struct world w;
	struct sched_host *h, *other;

	world_init(&w, 8);
	h = sched_host(w.sched, "mx.example.com", 4);
	other = sched_host(w.sched, "mx2.example.com", 4);
	sched_add(w.sched, h, &fake_new(&w, 0, 0, 30)->p);
	sched_add_late(w.sched, h, &fake_new(&w, 1, 0, 5)->p);
	sched_add_late(w.sched, h, &fake_new(&w, 2, 0, 5)->p);
	/* a retry that sleeps still holds the late ones back */
	sched_add_after(w.sched, h, &fake_new(&w, 3, 0, 5)->p, 60);
	sched_add(w.sched, other, &fake_new(&w, 4, 1, 5)->p);
	world_run(&w);
	assert_int_equal(w.completed, 5);
	assert_int_equal(w.order[0], 0);
	assert_int_equal(w.order[1], 4); /* not behind the late ones */
	assert_int_equal(w.order[2], 3); /* woke at 60 ms, before any late one */
	assert_int_equal(w.order[3], 1);
	assert_int_equal(w.order[4], 2);
	assert_int_equal(w.host_max[0], 2); /* the two late ones together */
	world_free(&w);
}

/* sched.h: a queued probe belongs to the scheduler; one queued "after a
 * delay" is queued too, so sched_free must release it and its timer. */
static void test_free_with_sleeping(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;

	world_init(&w, 4);
	h = sched_host(w.sched, "mx.example.com", 4);
	sched_add_after(w.sched, h, &fake_new(&w, 0, 0, 5)->p, 1000);
	sched_free(w.sched);
	w.sched = NULL;
	assert_int_equal(w.freed, 1);
	/* Nothing of the scheduler's may stay armed on the loop. */
	assert_int_equal(event_base_get_num_events(w.base, EVENT_BASE_COUNT_ADDED), 1);
	event_free(w.guard);
	event_base_free(w.base);
}

static void test_free_with_queued(void **state UNUSED)
{
	struct world w;
	struct sched_host *h;
	struct fake *first;

	world_init(&w, 1);
	h = sched_host(w.sched, "mx.example.com", 1);
	first = fake_new(&w, 0, 0, 1000);
	sched_add(w.sched, h, &first->p);
	sched_add(w.sched, h, &fake_new(&w, 1, 0, 10)->p);
	sched_add(w.sched, h, &fake_new(&w, 2, 0, 10)->p);
	assert_int_equal(w.started, 1);
	/* The queued probes belong to the scheduler and go with it; the
	 * running one is released here as its owner would. */
	sched_free(w.sched);
	assert_int_equal(w.freed, 2);
	fake_free(&first->p);
	event_free(w.guard);
	event_base_free(w.base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_budget),
	    cmocka_unit_test(test_global_cap),
	    cmocka_unit_test(test_busy_host_does_not_block_others),
	    cmocka_unit_test(test_idle_once),
	    cmocka_unit_test(test_count_conn),
	    cmocka_unit_test(test_deadline_expires),
	    cmocka_unit_test(test_deadline_cancelled_on_done),
	    cmocka_unit_test(test_lower_budget),
	    cmocka_unit_test(test_lower_budget_while_running),
	    cmocka_unit_test(test_add_after),
	    cmocka_unit_test(test_add_after_keeps_busy),
	    cmocka_unit_test(test_late_waits_for_its_host),
	    cmocka_unit_test(test_free_with_sleeping),
	    cmocka_unit_test(test_free_with_queued),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
