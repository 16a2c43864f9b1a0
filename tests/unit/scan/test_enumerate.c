/* test_enumerate.c - the enumeration's state machine, driven by canned
 * answers: hsprobe_new and the scheduler are replaced here (the static
 * library's objects for them are not linked in), so every raw round the
 * enumeration sends is queued, and a simulated server answers them in
 * order: its versions, its suites in its order, whether it follows its own
 * order, its groups and signature algorithms, and a few misbehaviours.
 * Each test checks what the model then holds and what it cost. */
#include "testutil.h"

#include "model/result.h"
#include "scan/enumerate.h"
#include "scan/hsprobe.h"
#include "scan/sched.h"
#include "tls/names.h"
#include "tls/registry.h"
#include "tls/wire.h"

/* ------------------------------------------------------------ the server */

struct sim {
	unsigned versions;      /* 1 << (wire & 0xff): 0x0303 -> bit 3, 0x0304 -> bit 4 */
	const uint16_t *s12;    /* TLS 1.2 suites, in the server's order */
	size_t n12;
	const uint16_t *s13;
	size_t n13;
	int server_order;       /* else the client's */
	const uint16_t *groups; /* in the server's order */
	size_t ngroups;
	const uint16_t *sigalgs;
	size_t nsigalgs;
	int grease_intolerant;  /* alert handshake_failure on GREASE values */
	int garbage12;          /* a TLS 1.2 hello gets bytes that are not TLS */
};

static int has(const uint16_t *v, size_t n, uint16_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/* The server's (or the client's) first choice among what both have. */
static int choose(const struct sim *s, const uint16_t *mine, size_t nmine, const uint16_t *theirs,
		  size_t ntheirs, uint16_t *out)
{
	if (s->server_order) {
		for (size_t i = 0; i < nmine; i++)
			if (has(theirs, ntheirs, mine[i]))
				return *out = mine[i], 1;
		return 0;
	}
	for (size_t i = 0; i < ntheirs; i++)
		if (has(mine, nmine, theirs[i]))
			return *out = theirs[i], 1;
	return 0;
}

static int is_ecdhe(uint16_t code)
{
	const struct reg_cipher *c = reg_cipher_find(code, 0);
	return c && c->kx_kind == KX_ECDHE;
}

static int is_signed_kx(uint16_t code)
{
	const struct reg_cipher *c = reg_cipher_find(code, 0);
	return c && c->au_kind != AU_NONE && (c->kx_kind == KX_ECDHE || c->kx_kind == KX_DHE);
}

static void alert(struct raw_result *r, int desc)
{
	r->outcome = RAW_ALERT;
	r->alert_level = TLS_ALERT_FATAL;
	r->alert_desc = (uint8_t)desc;
}

static void answer(const struct sim *s, const struct raw_req *q, struct raw_result *r)
{
	const struct hello_opts *o = &q->ho;
	memset(r, 0, sizeof *r);
	if (q->sslv2) {
		alert(r, TLS_ALERT_HANDSHAKE_FAILURE);
		return;
	}
	if (!(s->versions & (1u << (o->version & 0xff)))) {
		alert(r, TLS_ALERT_PROTOCOL_VERSION);
		return;
	}
	if (o->version == V_TLS12 && s->garbage12) {
		r->outcome = RAW_BAD;
		snprintf(r->why, sizeof r->why, "a record of type 0x%02x", 0x41);
		return;
	}
	if ((o->flags & HF_GREASE) && s->grease_intolerant) {
		alert(r, TLS_ALERT_HANDSHAKE_FAILURE);
		return;
	}
	r->outcome = RAW_HELLO;
	r->sh.version = o->version;
	if (o->version == V_TLS13) {
		if (!choose(s, s->s13, s->n13, o->ciphers, o->nciphers, &r->sh.cipher)) {
			alert(r, TLS_ALERT_HANDSHAKE_FAILURE);
			return;
		}
		if (o->nkey_shares == 0) { /* no share: the server names its group */
			r->sh.hrr = 1;
			for (size_t i = 0; i < s->ngroups; i++)
				if (has(o->groups, o->ngroups, s->groups[i])) {
					r->sh.key_share_group = s->groups[i];
					return;
				}
			alert(r, TLS_ALERT_HANDSHAKE_FAILURE);
			return;
		}
		r->sh.key_share_group = o->key_shares[0];
		return;
	}
	/* TLS 1.2: the first suite, in the order that counts, it can do. */
	const uint16_t *first = s->server_order ? s->s12 : o->ciphers;
	size_t nfirst = s->server_order ? s->n12 : o->nciphers;
	for (size_t i = 0; i < nfirst; i++) {
		uint16_t c = first[i];
		if (!has(s->s12, s->n12, c) || !has(o->ciphers, o->nciphers, c))
			continue;
		uint16_t g = 0, a = 0;
		if (is_ecdhe(c)) {
			const uint16_t *offered = o->groups ? o->groups : s->groups;
			size_t n = o->groups ? o->ngroups : s->ngroups;
			for (size_t k = 0; k < s->ngroups && !g; k++)
				if (has(offered, n, s->groups[k]))
					g = s->groups[k];
			if (!g)
				continue;
		}
		if (is_signed_kx(c)) {
			const uint16_t *all;
			size_t nall = hello_default_sigalgs(&all);
			const uint16_t *offered = o->sigalgs ? o->sigalgs : all;
			size_t n = o->sigalgs ? o->nsigalgs : nall;
			for (size_t k = 0; k < s->nsigalgs && !a; k++)
				if (has(offered, n, s->sigalgs[k]))
					a = s->sigalgs[k];
			if (!a)
				continue;
		}
		r->sh.cipher = c;
		if (g || a) {
			r->have_ske = 1;
			r->ske.kind = g ? SKE_ECDHE : SKE_DHE;
			r->ske.curve = g;
			r->ske.signed_ = a != 0;
			r->ske.sigalg = a;
		}
		return;
	}
	alert(r, TLS_ALERT_HANDSHAKE_FAILURE);
}

/* ------------------------------------------- hsprobe and scheduler stubs */

#define MAX_QUEUE 4096

struct sent {
	const struct raw_req *req;
	void (*on_raw)(void *, const struct raw_result *, const struct err *);
	void *arg;
};

static struct sent queue[MAX_QUEUE];
static size_t qhead, qtail;
static size_t connections;
static struct probe dummy;

struct probe *hsprobe_new(struct endpoint *ep, const struct dns_addr *addr,
			  const struct hsprobe_params *prm)
{
	(void)ep;
	(void)addr;
	assert_non_null(prm->raw);
	assert_true(qtail < MAX_QUEUE);
	queue[qtail++] = (struct sent){prm->raw, prm->on_raw, prm->raw_arg};
	connections++;
	return &dummy;
}

void sched_add(struct sched *s, struct sched_host *h, struct probe *p)
{
	(void)s;
	(void)h;
	(void)p;
}

void sched_add_exclusive(struct sched *s, struct sched_host *h, struct probe *p)
{
	(void)s;
	(void)h;
	(void)p;
}

void sched_host_pause(struct sched_host *h, int ms)
{
	(void)h;
	(void)ms;
}

void sched_host_lower_budget(struct sched_host *h)
{
	(void)h;
}

/* ------------------------------------------------------------ a run */

static struct endpoint *run(const struct sim *s, struct result **out)
{
	struct result *r = result_new();
	struct endpoint *ep = result_add_endpoint(r, "mx.example", 25, "192.0.2.1");
	struct dns_addr addr;
	struct hsprobe_params base;
	memset(&addr, 0, sizeof addr);
	memset(&base, 0, sizeof base);
	ep->tls.done = 1; /* a verified handshake worked: server defaults too */
	qhead = qtail = connections = 0;
	struct enum_ctx *x = enum_start(NULL, NULL, ep, &addr, &base, 0);
	while (qhead < qtail) {
		struct sent q = queue[qhead++];
		struct raw_result res;
		answer(s, q.req, &res);
		q.on_raw(q.arg, &res, NULL);
	}
	enum_finish(x);
	*out = r;
	return ep;
}

static int offered(const struct endpoint *ep, enum tls_proto p, const char **reason)
{
	for (size_t i = 0; i < ep->nprotocols; i++)
		if (ep->protocols[i].proto == p) {
			if (reason)
				*reason = ep->protocols[i].reason;
			return ep->protocols[i].offered;
		}
	return -2;
}

/* The suites listed for p, in the listed order. */
static size_t listed(const struct endpoint *ep, enum tls_proto p, uint16_t *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ep->nciphers && n < max; i++)
		if (ep->ciphers[i].proto == p)
			out[n++] = (uint16_t)ep->ciphers[i].code;
	return n;
}

static void assert_same_set(const uint16_t *a, size_t na, const uint16_t *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++)
		assert_true(has(b, nb, a[i]));
}

static const char *group_name(uint16_t g)
{
	const struct reg_group *rg = reg_group_find(g);
	assert_non_null(rg);
	return rg->name;
}

/* ------------------------------------------------------------ servers */

/* 16 TLS 1.2 suites, RSA certificate: ECDHE, static RSA, DHE, and one
 * NULL suite, which is offered in a late chunk. */
static const uint16_t S12[] = {0xC030, 0xC02F, 0xC028, 0xC027, 0xC014, 0xC013, 0x009D, 0x009C,
			       0x003D, 0x003C, 0x0035, 0x002F, 0x009F, 0x009E, 0x0067, 0x003B};
/* The same, with the late NULL suite in the middle of the server's order. */
static const uint16_t S12_NULL_MID[] = {0xC030, 0xC02F, 0xC028, 0xC027, 0xC014, 0xC013,
					0x003B, 0x009D, 0x009C, 0x003D, 0x003C, 0x0035,
					0x002F, 0x009F, 0x009E, 0x0067};
static const uint16_t S13[] = {0x1302, 0x1303, 0x1301};
static const uint16_t GROUPS[] = {0x001d, 0x0017, 0x0018};
static uint16_t SIGALGS[3];

static struct sim base_sim(void)
{
	const uint16_t *all;
	size_t n = hello_default_sigalgs(&all);
	assert_true(n >= 5);
	/* three of the client's, in another order than the client's */
	SIGALGS[0] = all[4];
	SIGALGS[1] = all[0];
	SIGALGS[2] = all[2];
	struct sim s = {
		.versions = 1u << 3 | 1u << 4,
		.s12 = S12, .n12 = ARRAY_LEN(S12),
		.s13 = S13, .n13 = ARRAY_LEN(S13),
		.groups = GROUPS, .ngroups = ARRAY_LEN(GROUPS),
		.sigalgs = SIGALGS, .nsigalgs = ARRAY_LEN(SIGALGS),
	};
	return s;
}

/* ------------------------------------------------------------ tests */

static void test_server_order(void **state)
{
	(void)state;
	struct sim s = base_sim();
	s.server_order = 1;
	s.s12 = S12_NULL_MID;
	struct result *r;
	struct endpoint *ep = run(&s, &r);
	uint16_t got[64];
	size_t n = listed(ep, P_TLS12, got, 64);
	/* exactly the server's order, across chunks (merged) */
	assert_int_equal(n, ARRAY_LEN(S12_NULL_MID));
	assert_memory_equal(got, S12_NULL_MID, sizeof S12_NULL_MID);
	n = listed(ep, P_TLS13, got, 64);
	assert_int_equal(n, 3);
	assert_memory_equal(got, S13, sizeof S13);
	assert_int_equal(ep->server_order[P_TLS12], 1);
	assert_int_equal(ep->server_order[P_TLS13], 1);
	assert_int_equal(offered(ep, P_TLS12, NULL), 1);
	assert_int_equal(offered(ep, P_TLS11, NULL), 0);
	assert_int_equal(offered(ep, P_SSLV3, NULL), 0);
	assert_int_equal(offered(ep, P_SSLV2, NULL), 0);
	result_free(r);
}

static void test_client_order(void **state)
{
	(void)state;
	struct sim s = base_sim();
	struct result *r;
	struct endpoint *ep = run(&s, &r);
	uint16_t got[64];
	size_t n = listed(ep, P_TLS12, got, 64);
	assert_same_set(got, n, S12, ARRAY_LEN(S12));
	assert_int_equal(ep->server_order[P_TLS12], 0);
	assert_int_equal(ep->server_order[P_TLS13], 0);
	/* The NULL suite, offered last, is listed last. */
	assert_int_equal(got[n - 1], 0x003B);
	/* What it cost: a pick per suite (16 + 3), a refusal per chunk (3
	 * for TLS 1.2, 1 for TLS 1.3), a refused version each for TLS 1.1,
	 * 1.0, SSLv3 and SSLv2, one reversed offer per version (2) and one
	 * more for TLS 1.2 (its last pick, the NULL suite, was alone in its
	 * chunk: the rotated offer tells), TLS 1.3 groups 3 + 1, TLS 1.2
	 * groups and signature algorithms 3 shared rounds, a refused shared
	 * one, then each list's refusal alone (2). No ordering rounds for a
	 * server that follows the client; the server defaults ride on the
	 * first rounds. */
	assert_int_equal(connections, 19 + 4 + 4 + 3 + 4 + 6);
	result_free(r);
}

/* The server's first choice is the only pick of a late chunk: a second
 * round (the same suites, that one last) tells server order from client
 * order. */
static void test_late_first_choice(void **state)
{
	(void)state;
	static const uint16_t two[] = {0x003B, 0xC013};
	for (int order = 0; order <= 1; order++) {
		struct sim s = base_sim();
		s.versions = 1u << 3;
		s.s12 = two;
		s.n12 = 2;
		s.server_order = order;
		struct result *r;
		struct endpoint *ep = run(&s, &r);
		uint16_t got[8];
		size_t n = listed(ep, P_TLS12, got, 8);
		assert_int_equal(n, 2);
		assert_int_equal(got[0], order ? 0x003B : 0xC013);
		assert_int_equal(got[1], order ? 0xC013 : 0x003B);
		assert_int_equal(ep->server_order[P_TLS12], order);
		result_free(r);
	}
}

static void test_groups_and_sigalgs(void **state)
{
	(void)state;
	struct sim s = base_sim();
	struct result *r;
	struct endpoint *ep = run(&s, &r);
	/* TLS 1.3's groups, then TLS 1.2's (the same here), each once */
	assert_int_equal(ep->ngroups, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(ep->groups[i], group_name(GROUPS[i]));
	assert_int_equal(ep->nsigalgs, 3);
	for (size_t i = 0; i < 3; i++) {
		char buf[16];
		assert_string_equal(ep->sigalgs[i], sigalg_name(SIGALGS[i], buf, sizeof buf));
	}
	result_free(r);
}

/* Fewer groups than signature algorithms: the shared rounds stop when the
 * groups run out, and a round of signature algorithms alone tells so. */
static void test_groups_run_out_first(void **state)
{
	(void)state;
	static const uint16_t one[] = {0x0017};
	struct sim s = base_sim();
	s.groups = one;
	s.ngroups = 1;
	struct result *r;
	struct endpoint *ep = run(&s, &r);
	assert_int_equal(ep->ngroups, 1);
	assert_string_equal(ep->groups[0], group_name(0x0017));
	assert_int_equal(ep->nsigalgs, 3);
	for (size_t i = 0; i < 3; i++) {
		char buf[16];
		assert_string_equal(ep->sigalgs[i], sigalg_name(SIGALGS[i], buf, sizeof buf));
	}
	result_free(r);
}

static void test_grease_intolerant(void **state)
{
	(void)state;
	struct sim s = base_sim();
	struct result *r0;
	struct endpoint *ep0 = run(&s, &r0);
	size_t tolerant_cost = connections;
	s.grease_intolerant = 1;
	struct result *r;
	struct endpoint *ep = run(&s, &r);
	assert_int_equal(ep->defaults.grease_ok, 0);
	assert_int_equal(ep->defaults.long_hello_ok, 1);
	assert_int_equal(ep0->defaults.grease_ok, 1);
	assert_int_equal(ep0->defaults.long_hello_ok, 1);
	/* the same lists: the refused round went again, plain */
	uint16_t a[64], b[64];
	size_t na = listed(ep0, P_TLS13, a, 64), nb = listed(ep, P_TLS13, b, 64);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof *a);
	assert_int_equal(offered(ep, P_TLS13, NULL), 1);
	/* ...at three more connections: the plain round, and each check alone */
	assert_int_equal(connections, tolerant_cost + 3);
	result_free(r0);
	result_free(r);
}

static void test_not_tls_is_unknown(void **state)
{
	(void)state;
	struct sim s = base_sim();
	s.garbage12 = 1;
	struct result *r;
	struct endpoint *ep = run(&s, &r);
	const char *why = NULL;
	assert_int_equal(offered(ep, P_TLS12, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, "not TLS"));
	assert_int_equal(offered(ep, P_TLS13, NULL), 1);
	result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_order),
		cmocka_unit_test(test_client_order),
		cmocka_unit_test(test_late_first_choice),
		cmocka_unit_test(test_groups_and_sigalgs),
		cmocka_unit_test(test_groups_run_out_first),
		cmocka_unit_test(test_grease_intolerant),
		cmocka_unit_test(test_not_tls_is_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
