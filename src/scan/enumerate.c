/* enumerate.c - cipher suite and group enumeration by elimination.
 *
 * Per protocol version, one task runs rounds one after another (each round
 * is a connection); tasks for different versions run in parallel within
 * the host's connection budget. A round offers up to ENUM_CHUNK suites: a
 * ServerHello names the server's pick among them, which is then taken out;
 * a refusal (alert, close) means none of the offered suites is accepted.
 * Suites likely to be accepted are offered first, and a chunk stays fixed
 * until refused, so that each chunk's picks are in the server's order when
 * it has one. Then one round offers the accepted suites reversed: a server
 * that follows the client's order picks the first of them, and is done;
 * one with an order of its own names its first choice, and when picks came
 * from several chunks, rounds offering each chunk's next suite merge them
 * into its order. Mail servers throttle by connection count, so every
 * round counts: docs/performance.md has the count against the floor. */
#include "scan/enumerate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "tls/names.h"
#include "tls/registry.h"
#include "tls/wire.h"

/* Some servers refuse a hello of more than 128 suites (illegal_parameter):
 * a larger chunk could make a version look refused. */
#define ENUM_CHUNK 128
#define ENUM_MAX_SUITES 512
#define ENUM_MAX_GROUPS 64  /* the registry has fewer; more are not offered */
#define ENUM_MAX_SIGALGS 64
#define ENUM_MAX_V2 64      /* SSLv2 cipher specs */
#define DEF_MAX_TLS13 8     /* TLS 1.3 suites in a server-defaults hello */

/* A slow server: its greeting and handshake took SLOW_MS or more (a greet
 * pause, a tarpit, a far or overloaded host). A full enumeration costs
 * about 130 connections, each that slow: minutes. The first round of each
 * version runs; when the first answer to them comes as slowly, each
 * version keeps what its first round showed (offered or not, and the
 * server's first choice) and the rest is unknown, with the reason. When it
 * comes fast (postscreen lets a client through once it passed), the
 * enumeration goes on in full. --patient enumerates in full anyway. */
#define SLOW_MS 2000

/* After elimination: PH_REVERSE (and PH_ROTATE when that is not enough)
 * tell server order from client order; PH_ORDER then finds the server's
 * order; TLS 1.2 groups and signature algorithms share rounds (PH_BOTH)
 * where they can. */
enum phase {
	PH_ELIM,
	PH_REVERSE,
	PH_ROTATE,
	PH_ORDER,
	PH_BOTH,
	PH_GROUPS,
	PH_SIGALGS,
	PH_DONE
};

struct task {
	struct enum_ctx *ctx;
	enum tls_proto proto;
	uint16_t wire;
	enum phase phase;
	uint16_t pending[ENUM_MAX_SUITES]; /* not decided yet, offer order */
	size_t npending;
	uint16_t accepted[ENUM_MAX_SUITES]; /* in pick order */
	int chunk_of[ENUM_MAX_SUITES];
	size_t naccepted;
	int chunk;          /* current chunk number */
	uint16_t cur[ENUM_CHUNK]; /* the current chunk's undecided suites: a chunk
				     stays fixed until refused, so its picks are
				     the server's order among its suites */
	size_t ncur;
	uint16_t order[ENUM_MAX_SUITES]; /* ordering phase: picks */
	size_t norder;
	int merge;          /* ordering: offer only each chunk's next suite */
	uint16_t top;       /* PH_ROTATE: the pick it checks */
	uint16_t offer[ENUM_MAX_SUITES];
	size_t noffer;
	uint16_t groups[ENUM_MAX_GROUPS]; /* group phase: groups still offered */
	size_t ngroups;
	uint16_t group_picks[ENUM_MAX_GROUPS];
	size_t ngroup_picks;
	uint16_t sigalgs[ENUM_MAX_SIGALGS]; /* signature algorithm phase: still offered */
	size_t nsigalgs;
	uint16_t sigalg_picks[ENUM_MAX_SIGALGS];
	size_t nsigalg_picks;
	int groups_done, sigalgs_done;
	int both;           /* groups and signature algorithms share rounds */
	int both_refused;   /* such a round was refused: which list ran out? */
	int extras;         /* this round also asks for server defaults (EX_*) */
	uint32_t v2specs[ENUM_MAX_V2];
	struct raw_req req;
	size_t max_offer;   /* chunk size; smaller while isolating a bad suite */
	int bisects;        /* rounds spent isolating, bounded */
	int offered;        /* -1 unknown, 0, 1 */
	int server_order;   /* -1 unknown, 0, 1 */
	int failed;
	int rounds;
	/* A round answered by a bare close (see uncertain_close). */
	int closes;         /* of the current round, in a row */
	int throttled;      /* times a confirmation also failed */
	int close_ok;       /* this close is a refusal: confirmed */
	int waiting;        /* for a hello the server answered, to confirm */
	char unknown[200];  /* why what is left is unknown ("" when complete) */
	int no_answer;      /* ...because a round got no answer at all (its
			       first-round error is on the endpoint already) */
	struct raw_req confirm_req;
};

/* Server defaults ride on the first rounds: the ServerHello's extensions,
 * session ID, compression and clock on the first TLS 1.2 round (offering
 * deflate before null compression), GREASE tolerance and a long hello on
 * the first TLS 1.3 round (GREASE values, padded to 1500 bytes). When such
 * a round is not answered, the round goes again plain, and the tolerance
 * checks get a round each (DEF_GREASE, DEF_LONG). */
enum { DEF_GREASE, DEF_LONG, DEF_COUNT };
enum { EX_DEFLATE = 1, EX_TOLERANCE = 2 };

struct defaults_round {
	struct enum_ctx *ctx;
	int kind;
	uint16_t offer[ENUM_CHUNK + DEF_MAX_TLS13];
	size_t noffer;
	struct raw_req req;
};

struct enum_ctx {
	struct sched *sched;
	struct sched_host *host;
	struct endpoint *ep;
	struct dns_addr addr;
	struct hsprobe_params base;
	struct task tasks[P_COUNT];
	int running;
	/* A hello this server answered (a ServerHello or an alert, not a bare
	 * close): what a confirmation sends (uncertain_close). */
	int have_known;
	int known_sslv2;
	uint16_t known_wire;
	uint16_t known_offer[ENUM_CHUNK];
	size_t nknown;
	uint32_t known_v2[ENUM_MAX_V2];
	int waiting; /* tasks waiting for such a hello */
	int alert_refuser; /* it refused a TLS hello with an alert: its closes
			      are throttling, never its way of refusing */
	int close_confirms; /* closes confirmed as refusals */
	int throttle_seen;  /* a confirmation was not answered */
	uint8_t dh_p[RAW_MAX_DH];
	size_t dh_p_len;
	int want_defaults; /* a modern handshake worked */
	int slow;          /* 0 no; 1 the verified handshake was (SLOW_MS),
			      until the first answer says; 2 every connection is */
	double slow_t0, slow_ms;
	int def_deflate_failed; /* a hello offering deflate was not answered */
	struct defaults_round defs[DEF_COUNT];
	struct server_hello def_sh;
	int def_have_sh;
	int def_ok[DEF_COUNT]; /* -1 unknown */
	time_t def_sent;
};

static const enum tls_proto order_of_tasks[] = {P_TLS13, P_TLS12, P_TLS11, P_TLS10, P_SSLV3,
						P_SSLV2};
static const uint16_t wire_of[P_COUNT] = {0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304};

/* Offer order: what servers commonly accept first, exotic suites last;
 * within the common ones ECDHE, then static RSA, then DHE, then anonymous
 * ones (mail servers take them: Postfix does by default; kept in the first
 * chunk, a server's order needs no merging rounds). A server that
 * follows the client's order and cannot do what it picked (DHE without
 * parameters) fails the whole hello; what works must come first. */
#define RANKS 16 /* 4 bases x 4 subs */
static int rank(const struct reg_cipher *c)
{
	int base, sub;
	switch (c->kx_kind) {
	case KX_PSK:
	case KX_DHE_PSK:
	case KX_ECDHE_PSK:
	case KX_RSA_PSK:
	case KX_SRP:
	case KX_KRB5:
	case KX_GOST:
	case KX_DH_STATIC:
	case KX_ECDH_STATIC:
		base = 2;
		break;
	default:
		base = c->flags & (REG_EXPORT | REG_NULL_ENC | REG_DES) ? 1 : 0;
		break;
	}
	if (!c->openssl)
		base = 3; /* OpenSSL has no name for it: rarely deployed */
	if (c->flags & REG_ANON)
		sub = 3; /* mail servers accept them (Postfix by default) */
	else if (c->kx_kind == KX_ECDHE || c->kx_kind == KX_ECDH_STATIC ||
		 c->kx_kind == KX_ECDHE_PSK)
		sub = 0;
	else if (c->kx_kind == KX_RSA || c->kx_kind == KX_RSA_PSK)
		sub = 1;
	else
		sub = 2;
	return base * 4 + sub;
}

static void fill_pending(struct task *t)
{
	for (int r = 0; r < RANKS; r++) {
		for (size_t i = 0; i < reg_cipher_count(); i++) {
			const struct reg_cipher *c = reg_cipher_at(i);
			if (c->sslv2 || !reg_cipher_usable(c, t->proto) || rank(c) != r)
				continue;
			if (c->code == CS_EMPTY_RENEGOTIATION_INFO_SCSV || c->code == CS_FALLBACK_SCSV)
				continue;
			if (t->npending < ENUM_MAX_SUITES)
				t->pending[t->npending++] = (uint16_t)c->code;
		}
	}
}

static void remove_code(uint16_t *v, size_t *n, uint16_t code)
{
	for (size_t i = 0; i < *n; i++) {
		if (v[i] == code) {
			memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
			(*n)--;
			return;
		}
	}
}

static int contains(const uint16_t *v, size_t n, uint16_t code)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == code)
			return 1;
	return 0;
}

static void on_result(void *arg, const struct raw_result *r, const struct err *e);
static void send_default(struct enum_ctx *x, int kind);

#define ENUM_MAX_BISECTS 16

/* The server refused the protocol version itself. */
static int refuses_version(const struct raw_result *r)
{
	if (r->outcome == RAW_HELLO)
		return 1; /* a ServerHello for another version */
	return r->outcome == RAW_ALERT && r->alert_desc == TLS_ALERT_PROTOCOL_VERSION;
}

/* The server said plainly that it accepts none of the offer. */
static int clean_refusal(const struct raw_result *r)
{
	if (r->outcome == RAW_HELLO)
		return 1; /* a ServerHello for another version */
	if (r->outcome != RAW_ALERT)
		return 0;
	switch (r->alert_desc) {
	case TLS_ALERT_HANDSHAKE_FAILURE:
	case TLS_ALERT_ILLEGAL_PARAMETER: /* what some servers say for no shared suite */
	case TLS_ALERT_PROTOCOL_VERSION:
	case TLS_ALERT_INSUFFICIENT_SECURITY:
	case TLS_ALERT_INAPPROPRIATE_FALLBACK:
		return 1;
	default:
		return 0;
	}
}

static const uint16_t key_shares[] = {0x001d, 0x0017};
static const uint8_t deflate_then_null[] = {1, 0};

/* A TLS hello of version wire offering ciphers[0..n), with the extensions
 * every raw round sends (none for SSLv3) and, for TLS 1.3, key shares. */
static void hello_base(struct hello_opts *o, const struct enum_ctx *x, uint16_t wire,
		       const uint16_t *ciphers, size_t n)
{
	o->version = wire;
	o->ciphers = ciphers;
	o->nciphers = n;
	o->sni = x->base.sni;
	o->flags = wire == V_SSL3 ? HF_NO_EXTENSIONS | HF_RENEG_SCSV
				  : HF_SNI | HF_EC_POINT_FORMATS | HF_RENEG_INFO | HF_EMS |
					    HF_SESSION_TICKET | HF_STATUS_REQUEST;
	if (wire == V_TLS13) {
		o->key_shares = key_shares;
		o->nkey_shares = ARRAY_LEN(key_shares);
	}
}

/* One raw probe sending req; its answer goes to on_raw(arg). alone: it runs
 * with no other connection to this host (sched_add_exclusive). */
static void send_raw(struct enum_ctx *x, const struct raw_req *req,
		     void (*on_raw)(void *, const struct raw_result *, const struct err *),
		     void *arg, int alone)
{
	struct hsprobe_params prm = x->base;
	prm.raw = req;
	prm.ske_kind = rawhs_ske_kind;
	prm.on_raw = on_raw;
	prm.raw_arg = arg;
	struct probe *p = hsprobe_new(x->ep, &x->addr, &prm);
	if (alone)
		sched_add_exclusive(x->sched, x->host, p);
	else
		sched_add(x->sched, x->host, p);
}

static void send_round_alone(struct task *t, int alone);

/* Queue the next round of t with offer[0..noffer). */
static void send_round(struct task *t)
{
	send_round_alone(t, 0);
}

/* alone: the round runs with no other connection to this host (the same
 * round again after a close). */
static void send_round_alone(struct task *t, int alone)
{
	struct enum_ctx *x = t->ctx;
	memset(&t->req, 0, sizeof t->req);
	if (t->proto == P_SSLV2) {
		size_t n = 0;
		for (size_t i = 0; i < reg_cipher_count() && n < ARRAY_LEN(t->v2specs); i++)
			if (reg_cipher_at(i)->sslv2)
				t->v2specs[n++] = reg_cipher_at(i)->code;
		t->req.sslv2 = 1;
		t->req.v2specs = t->v2specs;
		t->req.nv2specs = n;
	} else {
		struct hello_opts *o = &t->req.ho;
		hello_base(o, x, t->wire, t->offer, t->noffer);
		if (t->phase == PH_GROUPS || t->phase == PH_BOTH) {
			/* no key share: the server names the group it wants */
			o->groups = t->groups;
			o->ngroups = t->ngroups;
			o->key_shares = NULL;
			o->nkey_shares = 0;
		}
		if (t->phase == PH_SIGALGS || t->phase == PH_BOTH) {
			o->sigalgs = t->sigalgs;
			o->nsigalgs = t->nsigalgs;
		}
		/* The server defaults (see DEF_*). */
		t->extras = 0;
		if (x->want_defaults && t->phase == PH_ELIM && t->rounds == 0) {
			if (t->proto == P_TLS12)
				t->extras = EX_DEFLATE;
			if (t->proto == P_TLS13)
				t->extras = EX_TOLERANCE;
		}
		if (t->extras & EX_DEFLATE) {
			o->compression = deflate_then_null;
			o->ncompression = sizeof deflate_then_null;
		}
		if (t->extras & EX_TOLERANCE) {
			o->flags |= HF_GREASE;
			o->pad_to = 1500;
		}
	}
	t->rounds++;
	static const char *const phase_name[] = {"elimination", "reverse", "rotate", "order",
						 "groups+sigalgs", "groups", "sigalgs", "done"};
	log_debug("%s [%s]: %s round %d (%s): %zu suites%s", x->ep->host, x->addr.text,
		  tls_proto_name(t->proto), t->rounds, phase_name[t->phase], t->noffer,
		  alone ? ", alone" : "");
	send_raw(x, &t->req, on_result, t, alone);
}

/* Start the next chunk from the undecided suites. */
static void next_chunk(struct task *t)
{
	t->ncur = t->npending < ENUM_CHUNK ? t->npending : ENUM_CHUNK;
	memcpy(t->cur, t->pending, t->ncur * sizeof(*t->cur));
	t->chunk++;
}

/* Offer the current chunk (or its first part while isolating). */
static void offer_pending(struct task *t)
{
	if (t->ncur == 0)
		next_chunk(t);
	size_t max = t->max_offer ? t->max_offer : ENUM_CHUNK;
	t->noffer = t->ncur < max ? t->ncur : max;
	memcpy(t->offer, t->cur, t->noffer * sizeof(*t->offer));
	send_round(t);
}

static void give_up_waiters(struct enum_ctx *x);

static void task_done(struct task *t)
{
	t->phase = PH_DONE;
	t->ctx->running--;
	give_up_waiters(t->ctx);
}

static void start_params(struct task *t);

/* The i-th pick was the first one of its chunk. */
static int first_of_chunk(const struct task *t, size_t i)
{
	return i == 0 || t->chunk_of[i - 1] != t->chunk_of[i];
}

static int one_chunk(const struct task *t)
{
	for (size_t i = 1; i < t->naccepted; i++)
		if (t->chunk_of[i] != t->chunk_of[0])
			return 0;
	return 1;
}

/* Two or more suites accepted: offer them reversed. A server that follows
 * the client's order picks the first of them. */
static void after_elimination(struct task *t)
{
	if (t->naccepted < 2) {
		start_params(t);
		return;
	}
	t->phase = PH_REVERSE;
	t->noffer = t->naccepted;
	for (size_t i = 0; i < t->naccepted; i++)
		t->offer[i] = t->accepted[t->naccepted - 1 - i];
	send_round(t);
}

/* Ordering: what is not placed yet; with merge, only each chunk's next
 * suite (a fixed chunk's picks are already in the server's order, so its
 * first choice among all is one of those). */
static void order_offer(struct task *t)
{
	int last = -1;
	t->noffer = 0;
	for (size_t i = 0; i < t->naccepted; i++) {
		if (contains(t->order, t->norder, t->accepted[i]))
			continue;
		if (t->merge && t->chunk_of[i] == last)
			continue;
		last = t->chunk_of[i];
		t->offer[t->noffer++] = t->accepted[i];
	}
}

/* Whatever was not placed keeps its place at the end. */
static void order_finish(struct task *t)
{
	for (size_t i = 0; i < t->naccepted; i++)
		if (!contains(t->order, t->norder, t->accepted[i]))
			t->order[t->norder++] = t->accepted[i];
	memcpy(t->accepted, t->order, t->norder * sizeof(*t->order));
	t->naccepted = t->norder;
	start_params(t);
}

static void order_next(struct task *t)
{
	order_offer(t);
	if (t->noffer > 1) {
		send_round(t);
		return;
	}
	/* One suite, or one chunk's picks, left: nothing to ask. */
	order_finish(t);
}

/* The server has an order of its own, and top is its first choice. Each
 * round then names the next one; picks from a fixed chunk (no bisection)
 * are in the server's order already, so only the chunks' next suites are
 * offered, and once one chunk is left its order is known. */
static void start_order(struct task *t, uint16_t top)
{
	size_t at = 0;
	while (at < t->naccepted && t->accepted[at] != top)
		at++;
	t->server_order = 1;
	t->phase = PH_ORDER;
	t->merge = t->bisects == 0 && at < t->naccepted && first_of_chunk(t, at);
	t->order[0] = top;
	t->norder = 1;
	order_next(t);
}

/* The answer to the reversed offer. */
static void after_reverse(struct task *t, uint16_t got)
{
	uint16_t last = t->accepted[t->naccepted - 1];
	if (one_chunk(t)) {
		/* One fixed chunk's picks are the server's order if it has one:
		 * then its first pick comes again. */
		t->server_order = got == t->accepted[0];
		start_params(t);
		return;
	}
	if (got != last) {
		start_order(t, got); /* not the client's first: the server's */
		return;
	}
	if (!first_of_chunk(t, t->naccepted - 1)) {
		/* The server's first choice would have been picked first in
		 * its chunk: it follows the client's order. */
		t->server_order = 0;
		start_params(t);
		return;
	}
	/* Either: the same suites with that one last. */
	t->phase = PH_ROTATE;
	t->top = got;
	memmove(t->offer, t->offer + 1, (t->noffer - 1) * sizeof(*t->offer));
	t->offer[t->noffer - 1] = got;
	send_round(t);
}

/* ------------------------------------------------------------------------
 * Groups and signature algorithms. Groups: for TLS 1.3 through
 * HelloRetryRequest (no key share offered, so the server names the group
 * it wants), for TLS 1.2 through the ECDHE ServerKeyExchange. TLS 1.2
 * signature algorithms: the ServerKeyExchange names the one the server
 * used (only with a signed DHE/ECDHE suite; TLS 1.3 signs inside the
 * encrypted flight). Each round takes what was named out. In TLS 1.2 one
 * signed ECDHE ServerKeyExchange names both, so both lists share rounds
 * (PH_BOTH) while the suites that name signature algorithms all use one
 * kind of certificate (the pick then does not depend on the suite); when
 * such a round is refused, a round of signature algorithms alone tells
 * which list ran out. */

static int ecdhe_suites(struct task *t, int signed_only)
{
	t->noffer = 0;
	for (size_t i = 0; i < t->naccepted; i++) {
		enum ske_kind k;
		int anon;
		if (rawhs_ske_kind(t->accepted[i], &k, &anon) == 0 && k == SKE_ECDHE &&
		    !(signed_only && anon))
			t->offer[t->noffer++] = t->accepted[i];
	}
	return t->noffer > 0;
}

static int signed_suites(struct task *t)
{
	t->noffer = 0;
	for (size_t i = 0; i < t->naccepted; i++) {
		enum ske_kind k;
		int anon;
		if (rawhs_ske_kind(t->accepted[i], &k, &anon) == 0 && !anon && k != SKE_RSA)
			t->offer[t->noffer++] = t->accepted[i];
	}
	return t->noffer > 0;
}

/* The signed suites all authenticate with one kind of certificate. */
static int one_auth(struct task *t)
{
	int au = -1;
	signed_suites(t);
	for (size_t i = 0; i < t->noffer; i++) {
		const struct reg_cipher *c = reg_cipher_find(t->offer[i], 0);
		if (!c || (au >= 0 && au != c->au_kind))
			return 0;
		au = c->au_kind;
	}
	return au >= 0;
}

static void params_next(struct task *t)
{
	if (!t->groups_done && !t->sigalgs_done && t->both) {
		t->phase = PH_BOTH;
		ecdhe_suites(t, 1);
	} else if (!t->groups_done) {
		t->phase = PH_GROUPS;
		if (t->proto == P_TLS13) {
			t->noffer = t->naccepted;
			memcpy(t->offer, t->accepted, t->naccepted * sizeof(*t->offer));
		} else {
			ecdhe_suites(t, 0);
		}
	} else if (!t->sigalgs_done) {
		t->phase = PH_SIGALGS;
		signed_suites(t);
	} else {
		task_done(t);
		return;
	}
	send_round(t);
}

static void start_params(struct task *t)
{
	const uint16_t *all;
	size_t n = hello_default_sigalgs(&all);
	t->ngroups = 0;
	for (size_t i = 0; i < reg_group_count() && t->ngroups < ARRAY_LEN(t->groups); i++) {
		const struct reg_group *g = reg_group_at(i);
		if (t->proto == P_TLS12 && g->kind != REG_GROUP_EC)
			continue;
		if (g->code >= 0xff00 || (g->code & 0x0f0f) == 0x0a0a)
			continue; /* arbitrary_explicit_* and GREASE */
		t->groups[t->ngroups++] = g->code;
	}
	t->nsigalgs = n < ARRAY_LEN(t->sigalgs) ? n : ARRAY_LEN(t->sigalgs);
	memcpy(t->sigalgs, all, t->nsigalgs * sizeof(*all));
	if (t->proto == P_TLS13)
		t->groups_done = t->naccepted == 0;
	else
		t->groups_done = t->proto != P_TLS12 || !ecdhe_suites(t, 0);
	t->sigalgs_done = t->proto != P_TLS12 || !signed_suites(t);
	t->both = !t->groups_done && !t->sigalgs_done && ecdhe_suites(t, 1) && one_auth(t);
	params_next(t);
}

static int take(uint16_t *v, size_t *n, uint16_t *picks, size_t *npicks, size_t max, uint16_t x)
{
	if (!x || !contains(v, *n, x) || *npicks >= max)
		return 0;
	picks[(*npicks)++] = x;
	remove_code(v, n, x);
	return 1;
}

static void after_params_round(struct task *t, const struct raw_result *r, int hello)
{
	uint16_t g = 0, a = 0;
	if (hello && t->proto == P_TLS13)
		g = r->sh.key_share_group; /* HelloRetryRequest's, or a share we sent after all */
	else if (hello && r->have_ske && r->ske.kind == SKE_ECDHE)
		g = r->ske.curve;
	if (hello && r->have_ske && r->ske.signed_)
		a = r->ske.sigalg;
	switch (t->phase) {
	case PH_BOTH:
		if (!hello) {
			/* One of the lists ran out: the signature algorithms
			 * alone tell which. */
			t->both = 0;
			t->both_refused = 1;
			t->phase = PH_SIGALGS;
			signed_suites(t);
			send_round(t);
			return;
		}
		/* An answer outside the offer ends that list, as below. */
		if (!take(t->groups, &t->ngroups, t->group_picks, &t->ngroup_picks,
			  ARRAY_LEN(t->group_picks), g) || t->ngroups == 0)
			t->groups_done = 1;
		if (!take(t->sigalgs, &t->nsigalgs, t->sigalg_picks, &t->nsigalg_picks,
			  ARRAY_LEN(t->sigalg_picks), a) || t->nsigalgs == 0)
			t->sigalgs_done = 1;
		break;
	case PH_GROUPS:
		if (!take(t->groups, &t->ngroups, t->group_picks, &t->ngroup_picks,
			  ARRAY_LEN(t->group_picks), g) || t->ngroups == 0)
			t->groups_done = 1;
		break;
	case PH_SIGALGS:
		if (take(t->sigalgs, &t->nsigalgs, t->sigalg_picks, &t->nsigalg_picks,
			 ARRAY_LEN(t->sigalg_picks), a)) {
			if (t->both_refused)
				t->groups_done = 1; /* it was the groups that ran out */
			t->sigalgs_done = t->nsigalgs == 0;
		} else {
			t->sigalgs_done = 1;
		}
		t->both_refused = 0;
		break;
	default:
		break;
	}
	params_next(t);
}

static void note_dh(struct enum_ctx *x, const struct raw_result *r)
{
	if (r->have_ske && r->ske.kind == SKE_DHE && r->dh_p_len && !x->dh_p_len) {
		memcpy(x->dh_p, r->dh_p, r->dh_p_len);
		x->dh_p_len = r->dh_p_len;
	}
}


/* ------------------------------------------------------------------------
 * A bare close instead of an answer. Servers refuse a hello with an alert;
 * some close instead, and so do servers (and firewalls) that throttle: Exim
 * closes connections beyond its limit, postscreen and anvil too. A close is
 * taken for a refusal only on evidence: after a pause with no connection
 * to the host (so that the server's children of earlier connections are
 * gone), the same round, alone, closes again, and right after it, alone
 * too, a hello this server has answered before is answered again (so it is
 * not refusing everything just now). When that hello is not answered
 * either, the server is throttling: the host's budget goes down, the host
 * pauses longer and the round is tried again; after CLOSE_THROTTLE_MAX
 * such rounds what is left of this version is unknown, with the reason,
 * never "not offered". A server that has refused a TLS hello with an alert
 * refuses that way: its closes are throttling, with no confirmation. One
 * whose closes were confirmed as refusals CLOSE_LEARNT times, and that
 * never throttled, refuses by closing: its later closes are refusals. */

#define CLOSE_RETRY_MS 500
#define CLOSE_THROTTLE_MAX 3
#define CLOSE_LEARNT 2 /* confirmed close-refusals before closes are taken
			  at their word (while no throttling was seen) */

static const struct raw_result closed_result = {.outcome = RAW_CLOSED};

static void remember_answered(struct enum_ctx *x, const struct task *t,
			      const struct raw_result *r);

static void give_up(struct task *t, const char *why)
{
	snprintf(t->unknown, sizeof t->unknown, "%s", why);
	log_info("%s [%s]: %s: %s", t->ctx->ep->host, t->ctx->addr.text, tls_proto_name(t->proto),
		 why);
	t->failed = 1;
	task_done(t);
}

static void on_confirm(void *arg, const struct raw_result *r, const struct err *e);

static void send_confirm(struct task *t)
{
	struct enum_ctx *x = t->ctx;
	memset(&t->confirm_req, 0, sizeof t->confirm_req);
	if (x->known_sslv2) {
		t->confirm_req.sslv2 = 1;
		t->confirm_req.v2specs = x->known_v2;
		t->confirm_req.nv2specs = x->nknown;
	} else {
		hello_base(&t->confirm_req.ho, x, x->known_wire, x->known_offer, x->nknown);
	}
	send_raw(x, &t->confirm_req, on_confirm, t, 1);
}

/* Every task still running waits for an answered hello that no one can
 * bring: what they are left with is unknown. */
static void give_up_waiters(struct enum_ctx *x)
{
	if (x->waiting == 0 || x->waiting < x->running)
		return;
	for (int p = 0; p < P_COUNT; p++) {
		struct task *t = &x->tasks[p];
		if (t->waiting && t->phase != PH_DONE) {
			t->waiting = 0;
			x->waiting--;
			give_up(t, "every connection was closed without an answer: a refusal "
				   "cannot be told from throttling");
		}
	}
}

static void confirm_or_wait(struct task *t)
{
	struct enum_ctx *x = t->ctx;
	if (x->have_known) {
		send_confirm(t);
		return;
	}
	t->waiting = 1;
	x->waiting++;
	give_up_waiters(x);
}

/* A hello was answered: tasks waiting for one can confirm now. */
static void remember_answered(struct enum_ctx *x, const struct task *t,
			      const struct raw_result *r)
{
	if (x->have_known || !r || (r->outcome != RAW_HELLO && r->outcome != RAW_ALERT))
		return;
	x->have_known = 1;
	x->known_sslv2 = t->req.sslv2;
	if (t->req.sslv2) {
		x->nknown = t->req.nv2specs < ARRAY_LEN(x->known_v2) ? t->req.nv2specs
								      : ARRAY_LEN(x->known_v2);
		memcpy(x->known_v2, t->req.v2specs, x->nknown * sizeof(*x->known_v2));
	} else {
		x->known_wire = t->req.ho.version;
		x->nknown = t->req.ho.nciphers < ENUM_CHUNK ? t->req.ho.nciphers : ENUM_CHUNK;
		memcpy(x->known_offer, t->req.ho.ciphers, x->nknown * sizeof(*x->known_offer));
	}
	for (int p = 0; p < P_COUNT; p++) {
		struct task *w = &x->tasks[p];
		if (w->waiting && w->phase != PH_DONE) {
			w->waiting = 0;
			x->waiting--;
			send_confirm(w);
		}
	}
}

/* Returns 1 when it took the close over (a retry or a confirmation is
 * under way, or the task gave up), 0 when the close is a refusal. */
static int uncertain_close(struct task *t)
{
	if (t->close_ok) {
		t->close_ok = 0;
		return 0;
	}
	struct enum_ctx *x = t->ctx;
	if (x->close_confirms >= CLOSE_LEARNT && !x->throttle_seen && !x->alert_refuser) {
		/* This server has shown twice that a close is how it says no,
		 * and has never throttled: take it at its word. */
		t->closes = 0;
		return 0;
	}
	t->closes++;
	if (t->closes == 1) {
		/* Once more, alone, after a pause. SSLv2 hellos are closed on
		 * by most servers: that alone does not lower the budget. */
		if (t->proto != P_SSLV2)
			sched_host_lower_budget(t->ctx->host);
		sched_host_pause(t->ctx->host, CLOSE_RETRY_MS);
		send_round_alone(t, 1);
		return 1;
	}
	if (t->ctx->alert_refuser && t->proto != P_SSLV2) {
		/* This server says no with alerts (an SSLv2 hello cannot get a
		 * TLS alert, so closes there may still be refusals): a close
		 * that came twice is throttling. */
		on_confirm(t, NULL, NULL);
		return 1;
	}
	confirm_or_wait(t);
	return 1;
}

static void on_confirm(void *arg, const struct raw_result *r, const struct err *e)
{
	struct task *t = arg;
	struct enum_ctx *x = t->ctx;
	if (t->phase == PH_DONE)
		return;
	if (r && (r->outcome == RAW_HELLO || r->outcome == RAW_ALERT)) {
		/* Answered right after: the closes were this round's refusal. */
		t->closes = 0;
		t->close_ok = 1;
		x->close_confirms++;
		on_result(t, &closed_result, NULL);
		return;
	}
	/* Not answered either: throttling. Slow down (fewer connections, and
	 * none for a while, so the server cools down) and try again. */
	t->throttled++;
	x->throttle_seen = 1;
	sched_host_lower_budget(x->host);
	sched_host_pause(x->host, 1000 << t->throttled);
	if (t->throttled > CLOSE_THROTTLE_MAX) {
		char why[200];
		snprintf(why, sizeof why,
			 "the server kept closing connections, also on a hello it had answered "
			 "(throttling)%s%.80s",
			 e ? ": " : "", e ? e->msg : "");
		give_up(t, why);
		return;
	}
	t->closes = 0;
	send_round_alone(t, 1);
}

/* No answer at all (timeout, refused): this task stops. */
static void no_answer(struct task *t, const struct err *e)
{
	struct enum_ctx *x = t->ctx;
	log_info("%s: %s enumeration stopped: %s", x->ep->host, tls_proto_name(t->proto),
		 e ? e->msg : "no result");
	if (e && t->rounds == 1) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s probe: %s", tls_proto_name(t->proto), e->msg);
		ep_add_error(x->ep, STAGE_ENUMERATE, e->cat, msg);
	}
	snprintf(t->unknown, sizeof t->unknown, "no answer: %.180s", e ? e->msg : "no result");
	t->no_answer = 1;
	t->failed = 1;
	task_done(t);
}

/* The first answer of a run that started slow: is every connection slow? */
static void note_slow(struct enum_ctx *x)
{
	if (x->slow != 1)
		return;
	x->slow = clk_mono_ms() - x->slow_t0 >= SLOW_MS ? 2 : 0;
	if (x->slow == 2) {
		x->ep->scaled_down_ms = x->slow_ms;
		log_info("%s [%s]: every connection takes about %.1f s: one round per "
			 "version (--patient for all)",
			 x->ep->host, x->addr.text, x->slow_ms / 1000.0);
	}
}

/* What a round's server-default extras (EX_*) showed. Returns 1 when it
 * took the round over (refused: the same round again, plain). */
static int defaults_from_round(struct task *t, const struct raw_result *r, int hello)
{
	struct enum_ctx *x = t->ctx;
	if (!t->extras)
		return 0;
	if (!hello) {
		/* Maybe what the extras added: the same round plain, and the
		 * tolerance checks each alone. */
		if (t->extras & EX_TOLERANCE) {
			send_default(x, DEF_GREASE);
			send_default(x, DEF_LONG);
		}
		send_round(t);
		return 1;
	}
	if (t->extras & EX_TOLERANCE)
		x->def_ok[DEF_GREASE] = x->def_ok[DEF_LONG] = 1;
	if ((t->extras & EX_DEFLATE) && !r->sslv2) {
		x->def_sh = r->sh;
		x->def_have_sh = 1;
		x->def_sent = time(NULL);
	}
	return 0;
}

static void after_sslv2(struct task *t, const struct raw_result *r, int hello)
{
	t->offered = hello && r->sslv2 && r->v2.nspecs > 0;
	/* SERVER-HELLO lists every cipher both sides have. */
	if (hello)
		memcpy(t->v2specs, r->v2.specs, r->v2.nspecs * sizeof(uint32_t));
	t->naccepted = hello ? r->v2.nspecs : 0;
	task_done(t);
}

/* An elimination round: a pick is taken out; a refusal drops the offer. */
static void after_elim_round(struct task *t, const struct raw_result *r, int hello, uint16_t got)
{
	struct enum_ctx *x = t->ctx;
	if (hello) {
		log_debug("%s [%s]: %s: picked 0x%04X (chunk %d)", x->ep->host, x->addr.text,
			  tls_proto_name(t->proto), got, t->chunk);
		t->offered = 1;
		t->chunk_of[t->naccepted] = t->chunk;
		t->accepted[t->naccepted++] = got;
		remove_code(t->pending, &t->npending, got);
		remove_code(t->cur, &t->ncur, got);
	} else if (t->offered < 0 && refuses_version(r)) {
		/* protocol_version, or a ServerHello for another version: this
		 * version is not offered at all, whatever the suites. */
		t->offered = 0;
		task_done(t);
		return;
	} else if (!clean_refusal(r) && t->offered == 1 && t->noffer > 1 &&
		   t->bisects < ENUM_MAX_BISECTS) {
		/* A close or an odd alert after some suites worked: the server
		 * may have picked a suite it cannot do and failed the whole
		 * hello. Offer half as many to find it; picks from part of a
		 * chunk do not give the order. */
		t->bisects++;
		t->max_offer = t->noffer / 2;
		t->chunk++;
	} else {
		if (t->offered < 0)
			t->offered = 0;
		/* None of what was offered is accepted. */
		for (size_t i = 0; i < t->noffer; i++) {
			remove_code(t->pending, &t->npending, t->offer[i]);
			remove_code(t->cur, &t->ncur, t->offer[i]);
		}
		if (t->noffer == 1)
			t->max_offer = 0; /* the bad one is out: full chunks again */
	}
	if (t->npending > 0 && x->slow == 2) {
		char why[200];
		snprintf(why, sizeof why,
			 "the server is slow (about %.1f s a connection): only its first "
			 "choice was asked (--patient asks for every suite)",
			 x->slow_ms / 1000.0);
		give_up(t, why);
		return;
	}
	if (t->npending > 0 && t->naccepted < ENUM_MAX_SUITES) {
		offer_pending(t);
		return;
	}
	if (t->offered <= 0) {
		task_done(t);
		return;
	}
	after_elimination(t);
}

static void after_rotate(struct task *t, int hello, uint16_t got)
{
	if (hello && got == t->top) {
		start_order(t, got);
		return;
	}
	if (hello)
		t->server_order = 0;
	start_params(t);
}

static void after_order_round(struct task *t, int hello, uint16_t got)
{
	if (!hello) {
		order_finish(t);
		return;
	}
	t->order[t->norder++] = got;
	order_next(t);
}

/* Every raw round's answer: what it says in general (no answer, a close,
 * bytes that are not TLS, another version, a suite not offered), then the
 * phase's own handler. */
static void on_result(void *arg, const struct raw_result *r, const struct err *e)
{
	struct task *t = arg;
	struct enum_ctx *x = t->ctx;
	int hello = r && r->outcome == RAW_HELLO;
	uint16_t got = 0;

	if (!r || (e && !hello && r->outcome == RAW_PENDING)) {
		no_answer(t, e);
		return;
	}
	if (t->phase == PH_DONE)
		return;
	note_slow(x);
	if (defaults_from_round(t, r, hello))
		return;
	if (r->outcome == RAW_CLOSED && uncertain_close(t))
		return;
	if (r->outcome == RAW_BAD && t->proto != P_SSLV2) {
		/* Bytes that are not TLS (garbage, a storm of warning alerts,
		 * broken records) refuse nothing: what is left is unknown. (An
		 * SSLv2 hello answered so is answered by no SSLv2 server.) */
		char why[200];
		snprintf(why, sizeof why, "the server answered with something that is not TLS: %.120s",
			 r->why[0] ? r->why : "unreadable");
		give_up(t, why);
		return;
	}
	if (r->outcome != RAW_CLOSED)
		t->closes = 0;
	if (t->proto != P_SSLV2 && clean_refusal(r) && r->outcome == RAW_ALERT)
		x->alert_refuser = 1;
	remember_answered(x, t, r);
	if (t->proto == P_SSLV2) {
		after_sslv2(t, r, hello);
		return;
	}
	/* A ServerHello for another version is a refusal of this one. */
	if (hello && (r->sh.version != t->wire || r->sslv2))
		hello = 0;
	if (hello) {
		got = r->sh.cipher;
		if (!contains(t->offer, t->noffer, got)) {
			log_info("%s: %s: the server picked 0x%04X, which was not offered",
				 x->ep->host, tls_proto_name(t->proto), got);
			hello = 0;
		}
		note_dh(x, r);
	}
	switch (t->phase) {
	case PH_ELIM:
		after_elim_round(t, r, hello, got);
		return;
	case PH_REVERSE:
		if (hello)
			after_reverse(t, got);
		else
			start_params(t); /* no order known: picks as they came */
		return;
	case PH_ROTATE:
		after_rotate(t, hello, got);
		return;
	case PH_ORDER:
		after_order_round(t, hello, got);
		return;
	case PH_BOTH:
	case PH_GROUPS:
	case PH_SIGALGS:
		after_params_round(t, r, hello);
		return;
	case PH_DONE:
		return;
	}
}

static void on_defaults(void *arg, const struct raw_result *r, const struct err *e)
{
	struct defaults_round *d = arg;
	struct enum_ctx *x = d->ctx;
	int hello = r && r->outcome == RAW_HELLO && !r->sslv2;
	if ((!r && e) || (r && r->outcome == RAW_CLOSED)) {
		/* No answer at all, or a bare close (a refusal cannot be told
		 * from throttling here): unknown. */
		x->def_ok[d->kind] = -1;
		return;
	}
	x->def_ok[d->kind] = hello;
}

/* A TLS 1.3 hello with the TLS 1.3 suites and the common TLS 1.2 ones (as
 * the first chunk offers them), with GREASE values or padded to 1500
 * bytes. */
static void send_default(struct enum_ctx *x, int kind)
{
	struct defaults_round *d = &x->defs[kind];
	struct hello_opts *o = &d->req.ho;
	struct task tmp;
	size_t n = 0;
	memset(d, 0, sizeof *d);
	d->ctx = x;
	d->kind = kind;
	for (size_t i = 0; i < reg_cipher_count(); i++) {
		const struct reg_cipher *c = reg_cipher_at(i);
		if (!c->sslv2 && (c->flags & REG_TLS13) && n < DEF_MAX_TLS13)
			d->offer[n++] = (uint16_t)c->code;
	}
	memset(&tmp, 0, sizeof tmp);
	tmp.proto = P_TLS12;
	fill_pending(&tmp);
	for (size_t i = 0; i < tmp.npending && n < ARRAY_LEN(d->offer); i++)
		d->offer[n++] = tmp.pending[i];
	d->noffer = n;
	hello_base(o, x, V_TLS13, d->offer, d->noffer);
	if (kind == DEF_GREASE)
		o->flags |= HF_GREASE;
	if (kind == DEF_LONG)
		o->pad_to = 1500;
	send_raw(x, &d->req, on_defaults, d, 0);
}

struct enum_ctx *enum_start(struct sched *s, struct sched_host *h, struct endpoint *ep,
			    const struct dns_addr *addr, const struct hsprobe_params *base,
			    int patient)
{
	struct enum_ctx *x = xcalloc(1, sizeof(*x));
	x->sched = s;
	x->host = h;
	x->ep = ep;
	x->addr = *addr;
	x->base = *base;
	x->base.max_retries = base->max_retries;
	ep->enumerated = 1;
	/* Server defaults only where a modern handshake works. */
	x->want_defaults = ep->tls.done;
	x->slow_ms = ep->dlg.greeting_ms + ep->tls.handshake_ms;
	if (!patient && x->slow_ms >= SLOW_MS) {
		x->slow = 1;
		x->slow_t0 = clk_mono_ms();
	}
	x->def_ok[DEF_GREASE] = x->def_ok[DEF_LONG] = -1;
	for (size_t i = 0; i < ARRAY_LEN(order_of_tasks); i++) {
		struct task *t = &x->tasks[order_of_tasks[i]];
		t->ctx = x;
		t->proto = order_of_tasks[i];
		t->wire = wire_of[t->proto];
		t->offered = -1;
		t->server_order = -1;
		t->phase = PH_ELIM;
		x->running++;
		if (t->proto == P_SSLV2) {
			send_round(t);
			continue;
		}
		fill_pending(t);
		offer_pending(t);
	}
	return x;
}

static void store_defaults(struct enum_ctx *x)
{
	struct endpoint *ep = x->ep;
	ep->defaults.probed = ep->tls.done;
	if (!ep->tls.done)
		return;
	ep->defaults.grease_ok = x->def_ok[DEF_GREASE];
	ep->defaults.long_hello_ok = x->def_ok[DEF_LONG];
	if (!x->def_have_sh)
		return;
	const struct server_hello *sh = &x->def_sh;
	for (size_t i = 0; i < sh->nexts; i++) {
		char buf[16];
		strv_push(&ep->defaults.extensions, &ep->defaults.nextensions,
			  ext_name(sh->exts[i], buf, sizeof buf));
	}
	ep->defaults.session_id = sh->session_id_len > 0;
	ep->defaults.compression = sh->compression;
	/* RFC 5246 7.4.1.2 gmt_unix_time; most servers send random bytes now
	 * (RFC 8446 drops it): a value within a day of ours is a clock. */
	uint32_t t = (uint32_t)sh->random[0] << 24 | (uint32_t)sh->random[1] << 16 |
		     (uint32_t)sh->random[2] << 8 | sh->random[3];
	long skew = (long)t - (long)x->def_sent;
	ep->defaults.clock = skew > -86400 && skew < 86400;
	if (ep->defaults.clock)
		ep->defaults.clock_skew_s = skew;
}

/* The verified handshake showed its version and suite: a version whose
 * enumeration gave up is still known to be offered, with that suite. */
static void keep_handshake_facts(struct enum_ctx *x)
{
	const struct tls_summary *s = &x->ep->tls;
	if (!s->done || s->version < P_SSLV3)
		return;
	struct task *t = &x->tasks[s->version];
	if (!t->failed)
		return;
	t->offered = 1;
	if (!contains(t->accepted, t->naccepted, (uint16_t)s->cipher_code) &&
	    t->naccepted < ENUM_MAX_SUITES)
		t->accepted[t->naccepted++] = (uint16_t)s->cipher_code;
}

/* One error per reason, naming the versions it left unknown or incomplete
 * (the protocols carry it too). */
static void report_unknowns(struct enum_ctx *x)
{
	for (int p = P_SSLV2; p < P_COUNT; p++) {
		struct task *t = &x->tasks[p];
		if (!t->failed || !t->unknown[0] || t->no_answer)
			continue;
		char names[80] = "";
		size_t used = 0;
		int dup = 0;
		for (int q = P_SSLV2; q < P_COUNT && !dup; q++) {
			struct task *u = &x->tasks[q];
			if (!u->failed || strcmp(u->unknown, t->unknown) != 0)
				continue;
			if (q < p)
				dup = 1; /* reported with an earlier version */
			else
				used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
							 used ? ", " : "",
							 tls_proto_name((enum tls_proto)q));
		}
		if (dup)
			continue;
		char msg[400];
		snprintf(msg, sizeof msg, "%s: unknown or incomplete: %s", names, t->unknown);
		ep_add_error(x->ep, STAGE_ENUMERATE, ERR_BUSY, msg);
	}
}

static void store(struct enum_ctx *x)
{
	struct endpoint *ep = x->ep;
	keep_handshake_facts(x);
	report_unknowns(x);
	for (int p = P_SSLV2; p < P_COUNT; p++) {
		struct task *t = &x->tasks[p];
		/* Refused chunks do not make a version "not offered" while
		 * others are undecided: the task gave up, so it is unknown. */
		ep_set_protocol(ep, (enum tls_proto)p, t->failed && t->offered <= 0 ? -1 : t->offered > 0);
		if (t->failed && t->unknown[0])
			ep_set_protocol_reason(ep, (enum tls_proto)p, t->unknown);
		ep->server_order[p] = t->server_order;
	}
	/* Newest protocol first, each in preference (or pick) order. */
	for (int p = P_TLS13; p >= P_SSLV2; p--) {
		struct task *t = &x->tasks[p];
		for (size_t i = 0; i < t->naccepted; i++) {
			uint32_t code = p == P_SSLV2 ? t->v2specs[i] : t->accepted[i];
			const struct reg_cipher *c = reg_cipher_find(code, p == P_SSLV2);
			ep_add_cipher(ep, (enum tls_proto)p, code, c ? c->iana : NULL,
				      c ? c->openssl : NULL, c ? c->kx : NULL, c ? c->au : NULL,
				      c ? c->enc : NULL, c ? c->bits : 0, (int)i + 1);
		}
	}
	for (int p = P_TLS13; p >= P_TLS12; p--) {
		struct task *t = &x->tasks[p];
		for (size_t i = 0; i < t->ngroup_picks; i++) {
			const struct reg_group *g = reg_group_find(t->group_picks[i]);
			char name[32];
			if (!g)
				snprintf(name, sizeof name, "0x%04X", t->group_picks[i]);
			ep_add_group(ep, g ? g->name : name);
		}
	}
	for (size_t i = 0; i < x->tasks[P_TLS12].nsigalg_picks; i++) {
		char buf[16];
		strv_push(&ep->sigalgs, &ep->nsigalgs,
			  sigalg_name(x->tasks[P_TLS12].sigalg_picks[i], buf, sizeof buf));
	}
	store_defaults(x);
	if (x->dh_p_len) {
		/* Leading zero bytes do not count toward the size. */
		size_t i = 0;
		while (i < x->dh_p_len && x->dh_p[i] == 0)
			i++;
		ep->dh.bits = (int)((x->dh_p_len - i) * 8);
		if (i < x->dh_p_len) {
			int b = 7;
			while (b >= 0 && !(x->dh_p[i] & (1 << b)))
				b--;
			ep->dh.bits -= 7 - b;
		}
		/* A prime everyone uses is precomputation-friendly (LOGJAM). */
		const struct reg_prime *known = reg_prime_find(x->dh_p, x->dh_p_len);
		if (known)
			str_set(&ep->dh.common, known->name);
	}
}

void enum_finish(struct enum_ctx *x)
{
	if (!x)
		return;
	store(x);
	free(x);
}
