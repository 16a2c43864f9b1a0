/* test_tls_server.c - what serve stands on, over real loopback sockets on
 * one libevent loop: a listener (net/listen) accepts, the accepted socket
 * becomes a conn with the OpenSSL server session (tls/ossl_server) as its
 * transport, and the project's own client (tls/ossl) connects to it. Both
 * ends must agree on version, cipher and group; the generated CA written to
 * --ca-out must verify the generated leaf; profiles must take effect. Also
 * the address parser and the setup failures.
 * (Here rather than under tests/unit/net and tests/unit/tls because they
 * are serve's: see docs/design.md.) */
#include "testutil.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "model/result.h"
#include "net/conn.h"
#include "net/listen.h"
#include "scan/tlsdesc.h"
#include "tls/ossl.h"
#include "tls/ossl_server.h"

struct tt {
	struct event_base *base;
	struct listener *l;
	struct ossl_srv_ctx *sx;
	struct ossl_ctx *cx;
	struct conn *sc, *cc;
	struct ossl_srv_sess *ss;
	struct ossl_sess *cs;
	const char *verify_name;
	int s_done, c_done, s_fail, c_fail, accepted, timed_out;
	char peer[80];
	struct ossl_srv_info info;
	struct result *r;
	struct endpoint *ep;
	struct event *guard;
	char dir[64];
	char ca[128];
};

static void maybe_stop(struct tt *t)
{
	if ((t->s_done || t->s_fail) && (t->c_done || t->c_fail))
		event_base_loopbreak(t->base);
}

static void on_server(struct conn *c, enum conn_ev ev, void *arg)
{
	struct tt *t = arg;
	if (ev == CONN_EV_HANDSHAKE_DONE) {
		ossl_srv_sess_describe(t->ss, &t->info);
		t->s_done = 1;
	} else if (ev == CONN_EV_ERROR || ev == CONN_EV_EOF) {
		if (!t->s_done) {
			ossl_srv_sess_describe(t->ss, &t->info);
			t->s_fail = 1;
		}
	}
	maybe_stop(t);
}

static void on_accept(struct listener *l, int fd, const char *peer, void *arg)
{
	struct tt *t = arg;
	struct conn_limits lim = {0, 0, 5000, 64 * 1024};
	struct conn_io io;
	struct err e;
	t->accepted++;
	snprintf(t->peer, sizeof t->peer, "%s", peer);
	t->sc = conn_adopt(t->base, fd, &lim, on_server, t);
	assert_non_null(t->sc);
	t->ss = ossl_srv_sess_new(t->sx, &e);
	assert_non_null(t->ss);
	ossl_srv_sess_io(t->ss, fd, &io);
	conn_start_io(t->sc, &io);
}

static void on_client(struct conn *c, enum conn_ev ev, void *arg)
{
	struct tt *t = arg;
	struct conn_io io;
	struct err e;
	switch (ev) {
	case CONN_EV_CONNECTED:
		t->cs = ossl_sess_new(t->cx, "localhost", t->verify_name, NULL, &e);
		assert_non_null(t->cs);
		ossl_sess_io(t->cs, conn_fd(c), &io);
		conn_start_io(c, &io);
		break;
	case CONN_EV_HANDSHAKE_DONE:
		tlsdesc_session(t->cs, t->ep);
		t->c_done = 1;
		break;
	default:
		if (!t->c_done)
			t->c_fail = 1;
		break;
	}
	maybe_stop(t);
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
	struct tt *t = arg;
	t->timed_out = 1;
	event_base_loopbreak(t->base);
}

/* A server with opts (the CA goes to a temp file), one client handshake. */
static void run(struct tt *t, struct ossl_srv_opts *o, const char *verify_name)
{
	struct err e;
	struct sockaddr_storage ss;
	socklen_t len;
	struct timeval tv = {10, 0};

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof t->dir, "/tmp/mailtls-tls-server-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->ca, sizeof t->ca, "%s/ca.pem", t->dir);
	o->ca_out = t->ca;
	t->sx = ossl_srv_ctx_new(o, &e);
	if (!t->sx)
		fail_msg("server context: %s", e.msg);
	assert_int_equal(ossl_srv_ctx_generated(t->sx), 1);
	struct ossl_opts co = {t->ca, NULL};
	t->cx = ossl_ctx_new(&co, &e);
	if (!t->cx)
		fail_msg("client context: %s", e.msg);
	t->verify_name = verify_name;
	t->base = event_base_new();
	assert_int_equal(listener_parse_addr("127.0.0.1:0", &ss, &len, &e), 0);
	t->l = listener_new(t->base, (struct sockaddr *)&ss, len, 0, on_accept, t, &e);
	if (!t->l)
		fail_msg("listener: %s", e.msg);
	assert_true(listener_port(t->l) > 0);
	assert_int_equal(listener_parse_addr(listener_addr(t->l), &ss, &len, &e), 0);
	t->r = result_new();
	t->ep = result_add_endpoint(t->r, "localhost", (uint16_t)listener_port(t->l), "127.0.0.1");
	struct conn_limits lim = {5000, 5000, 5000, 64 * 1024};
	t->cc = conn_open(t->base, (struct sockaddr *)&ss, len, &lim, on_client, t, &e);
	assert_non_null(t->cc);
	t->guard = event_new(t->base, -1, 0, on_guard, t);
	event_add(t->guard, &tv);
	event_base_dispatch(t->base);
	assert_false(t->timed_out);
	assert_int_equal(t->accepted, 1);
}

static void done(struct tt *t)
{
	conn_close(t->sc);
	conn_close(t->cc);
	ossl_srv_sess_free(t->ss);
	ossl_sess_free(t->cs);
	ossl_srv_info_free(&t->info);
	listener_free(t->l);
	event_free(t->guard);
	ossl_srv_ctx_free(t->sx);
	ossl_ctx_free(t->cx);
	result_free(t->r);
	event_base_free(t->base);
	unlink(t->ca);
	rmdir(t->dir);
}

static void test_default_profile(void **state)
{
	struct tt t;
	struct ossl_srv_opts o = {0};
	run(&t, &o, "localhost");
	assert_true(t.s_done && t.c_done);
	/* The generated CA, as written, verifies the generated leaf. */
	assert_int_equal(t.ep->tls.verify_code, X509_V_OK);
	assert_int_equal(t.ep->tls.hostname_checked, 1);
	assert_string_equal(t.info.version, "TLSv1.3");
	assert_string_equal(t.info.version, tls_proto_name(t.ep->tls.version));
	assert_string_equal(t.info.cipher, t.ep->tls.cipher);
	assert_string_equal(t.info.cipher_openssl, t.ep->tls.cipher_openssl);
	assert_non_null(t.info.group);
	assert_string_equal(t.info.group, t.ep->tls.group);
	assert_int_equal(t.info.sni_len, 9);
	assert_memory_equal(t.info.sni, "localhost", 9);
	assert_string_equal(t.info.offered_max, "TLSv1.3");
	assert_true(t.info.offered_ciphers > 5);
	assert_null(t.info.client_cert_subject);
	assert_true(t.info.handshake_ms >= 0);
	assert_non_null(strstr(t.peer, "127.0.0.1:"));
	/* The leaf names localhost and both loopback addresses. */
	assert_string_equal(ossl_srv_ctx_sans(t.sx), "DNS:localhost IP:127.0.0.1 IP:::1");
	assert_non_null(strstr(ossl_srv_ctx_subject(t.sx), "CN=localhost"));
	assert_non_null(strstr(ossl_srv_ctx_issuer(t.sx), "CN=mailtls serve throw-away CA "));
	struct stat st;
	assert_int_equal(stat(t.ca, &st), 0);
	done(&t);
}

static void test_tls12_cipher(void **state)
{
	struct tt t;
	struct ossl_srv_opts o = {.max_version = TLS1_2_VERSION,
				  .ciphers = "ECDHE-RSA-AES128-GCM-SHA256"};
	run(&t, &o, "localhost");
	assert_true(t.s_done && t.c_done);
	assert_string_equal(t.info.version, "TLSv1.2");
	assert_int_equal(t.ep->tls.version, P_TLS12);
	assert_string_equal(t.info.cipher, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	assert_string_equal(t.ep->tls.cipher, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	/* The client offered more than the server allowed. */
	assert_string_equal(t.info.offered_max, "TLSv1.3");
	done(&t);
}

/* TLS 1.0 needs security level 0 on the server: the profile must set it
 * or the version would be "allowed" and never negotiated. */
static void test_tls10(void **state)
{
	struct tt t;
	struct ossl_srv_opts o = {.min_version = TLS1_VERSION, .max_version = TLS1_VERSION};
	run(&t, &o, "localhost");
	assert_true(t.s_done && t.c_done);
	assert_string_equal(t.info.version, "TLSv1.0");
	assert_int_equal(t.ep->tls.version, P_TLS10);
	done(&t);
}

static void test_extra_hostname(void **state)
{
	static const char *const names[] = {"mx.test.example"};
	struct tt t;
	struct ossl_srv_opts o = {.names = names, .nnames = 1};
	run(&t, &o, "mx.test.example");
	assert_true(t.c_done);
	assert_int_equal(t.ep->tls.verify_code, X509_V_OK);
	assert_string_equal(ossl_srv_ctx_sans(t.sx),
			    "DNS:localhost IP:127.0.0.1 IP:::1 DNS:mx.test.example");
	assert_non_null(strstr(ossl_srv_ctx_subject(t.sx), "CN=mx.test.example"));
	done(&t);

	struct ossl_srv_opts o2 = {0};
	run(&t, &o2, "other.example");
	assert_true(t.c_done);
	assert_int_equal(t.ep->tls.verify_code, X509_V_ERR_HOSTNAME_MISMATCH);
	done(&t);
}

static void test_setup_failures(void **state)
{
	struct err e;
	static const char *const bad_names[] = {"a,DNS:evil.example"};
	struct ossl_srv_opts o = {.cert_file = "/nonexistent/cert.pem"};
	err_clear(&e);
	assert_null(ossl_srv_ctx_new(&o, &e));
	assert_int_equal(e.cat, ERR_LOCAL);
	assert_non_null(strstr(e.msg, "/nonexistent/cert.pem"));

	struct ossl_srv_opts o2 = {.ciphers = "NO-SUCH-CIPHER"};
	assert_null(ossl_srv_ctx_new(&o2, &e));
	assert_int_equal(e.cat, ERR_USAGE);

	struct ossl_srv_opts o3 = {.names = bad_names, .nnames = 1};
	assert_null(ossl_srv_ctx_new(&o3, &e));
	assert_int_equal(e.cat, ERR_USAGE);

	struct ossl_srv_opts o4 = {.ca_out = "/nonexistent/dir/ca.pem"};
	assert_null(ossl_srv_ctx_new(&o4, &e));
	assert_int_equal(e.cat, ERR_LOCAL);
	assert_non_null(strstr(e.msg, "/nonexistent/dir/ca.pem"));

	/* A file that is not a certificate. */
	char path[] = "/tmp/mailtls-notcert-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	struct ossl_srv_opts o5 = {.cert_file = path};
	assert_null(ossl_srv_ctx_new(&o5, &e));
	assert_int_equal(e.cat, ERR_LOCAL);
	unlink(path);
}

static void test_versions(void **state)
{
	assert_int_equal(ossl_srv_parse_version("TLSv1"), TLS1_VERSION);
	assert_int_equal(ossl_srv_parse_version("TLSv1.0"), TLS1_VERSION);
	assert_int_equal(ossl_srv_parse_version("tlsv1.1"), TLS1_1_VERSION);
	assert_int_equal(ossl_srv_parse_version("TLSv1.2"), TLS1_2_VERSION);
	assert_int_equal(ossl_srv_parse_version("TLSv1.3"), TLS1_3_VERSION);
	assert_int_equal(ossl_srv_parse_version("SSLv3"), -1);
	assert_int_equal(ossl_srv_parse_version("TLSv1.4"), -1);
	assert_int_equal(ossl_srv_parse_version(""), -1);
	assert_string_equal(ossl_srv_version_name(TLS1_2_VERSION), "TLSv1.2");
	assert_string_equal(ossl_srv_version_name(0x7f00), "unknown");
}

static void test_parse_addr(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct err e;
	char txt[80];

	assert_int_equal(listener_parse_addr("127.0.0.1:2525", &ss, &len, &e), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	listener_format_addr((struct sockaddr *)&ss, txt, sizeof txt);
	assert_string_equal(txt, "127.0.0.1:2525");
	assert_int_equal(listener_parse_addr("[::1]:0", &ss, &len, &e), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	listener_format_addr((struct sockaddr *)&ss, txt, sizeof txt);
	assert_string_equal(txt, "[::1]:0");
	assert_int_equal(listener_parse_addr("localhost:25", &ss, &len, &e), 0);
	listener_format_addr((struct sockaddr *)&ss, txt, sizeof txt);
	assert_string_equal(txt, "127.0.0.1:25");

	static const char *const bad[] = {
		"127.0.0.1",        "127.0.0.1:",      "127.0.0.1:65536", "127.0.0.1:-1",
		"127.0.0.1:25x",    ":25",             "::1:25",          "[::1]25",
		"[127.0.0.1]:25",   "[::1:25",         "mail.example:25", "127.0.0.1: 25",
		"256.0.0.1:25",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err_clear(&e);
		if (listener_parse_addr(bad[i], &ss, &len, &e) == 0)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(e.cat, ERR_USAGE);
	}
}

static void test_listen_in_use(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct err e;
	struct event_base *base = event_base_new();
	assert_int_equal(listener_parse_addr("127.0.0.1:0", &ss, &len, &e), 0);
	struct listener *a = listener_new(base, (struct sockaddr *)&ss, len, 0, NULL, NULL, &e);
	assert_non_null(a);
	char addr[80];
	snprintf(addr, sizeof addr, "%s", listener_addr(a));
	assert_int_equal(listener_parse_addr(addr, &ss, &len, &e), 0);
	err_clear(&e);
	assert_null(listener_new(base, (struct sockaddr *)&ss, len, 0, NULL, NULL, &e));
	assert_int_equal(e.cat, ERR_LOCAL);
	assert_non_null(strstr(e.msg, addr));
	listener_free(a);
	listener_free(NULL);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_profile),
		cmocka_unit_test(test_tls12_cipher),
		cmocka_unit_test(test_tls10),
		cmocka_unit_test(test_extra_hostname),
		cmocka_unit_test(test_setup_failures),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_listen_in_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
