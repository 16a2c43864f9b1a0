/* test_https.c - HTTPS GET on a real libevent loop against real servers on
 * loopback: `openssl s_server -WWW` (serves the files of a temporary
 * directory, HTTP/1.0, no Content-Length) and a small Python server over
 * TLS (status codes, redirects, Content-Length, odd headers). A throw-away
 * CA and a leaf for "localhost" and "mta-sts.example.test" are made with the
 * openssl CLI at group setup; the servers listen on port 0 and print the
 * port; they die with this process (PR_SET_PDEATHSIG) and are killed at
 * teardown. Cases: a 200 with body and type, unknown CA, wrong name (with
 * and without connect_ip), connect_ip (and that it pins nothing for later
 * requests), the body cap with and without Content-Length, what s_server
 * answers for a missing file, 404, a redirect not followed, hostile
 * header values, refused, silent server (timeout), unreadable CA file, bad
 * URLs, several in flight, https_free with requests in flight and from
 * inside a callback, a request started from a callback, the User-Agent. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "core/err.h"
#include "net/https.h"

#define POLICY "version: STSv1\nmode: enforce\nmx: mail.example.test\nmax_age: 86400\n"
#define BIG_LEN 5000 /* big.txt on s_server, /big on the Python server */

/* Serves a few fixed answers over TLS; prints "PORT n" once listening. */
static const char py_server[] =
    "import http.server, ssl, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "    def reply(self, code, data, extra=()):\n"
    "        self.send_response(code)\n"
    "        for k, v in extra:\n"
    "            self.send_header(k, v)\n"
    "        self.send_header('Content-Length', str(len(data)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(data)\n"
    "    def do_GET(self):\n"
    "        if self.path == '/redirect':\n"
    "            self.reply(301, b'', [('Location',\n"
    "                'https://elsewhere.example.test/.well-known/mta-sts.txt')])\n"
    "        elif self.path == '/big':\n"
    "            self.reply(200, b'x' * 5000, [('Content-Type', 'text/plain')])\n"
    "        elif self.path == '/ua':\n"
    "            self.reply(200, self.headers.get('User-Agent', '').encode())\n"
    "        elif self.path == '/hostile':\n"
    "            self.reply(302, b'', [('Content-Type', 'text/pl\\rain'),\n"
    "                ('Location', 'https://x.example.test/' + 'a' * 5000),\n"
    "                ('content-type', 'second/ignored')])\n"
    "        else:\n"
    "            self.reply(404, b'not here', [('Content-Type', 'text/plain')])\n"
    "srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "ctx.load_cert_chain(sys.argv[1], sys.argv[2])\n"
    "srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
    "print('PORT', srv.server_address[1], flush=True)\n"
    "srv.serve_forever()\n";

/* What the group setup made and started. */
static struct world {
	char dir[64];
	char www[96], ca[96], cert[96], key[96];
	pid_t ssrv, pysrv;
	int sport, pyport;
} W = {.ssrv = -1, .pysrv = -1};

/* ---- group fixture: certificates, files, servers ---------------------- */

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int run(const char *fmt, ...) PRINTF(1, 2);
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

/* Start argv in cwd with stdout to out_path; the child dies with us. */
static pid_t spawn(char *const argv[], const char *cwd, const char *out_path)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int nul = open("/dev/null", O_RDWR);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent || out < 0 || nul < 0 ||
	    chdir(cwd) < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(nul, 2) < 0)
		_exit(127);
	execvp(argv[0], argv);
	_exit(127);
}

/* Wait (10 s at most) for `prefix` followed by a port number in the file. */
static int read_port(const char *path, const char *prefix, pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		char text[4096];
		FILE *f = fopen(path, "r");
		size_t n = 0;
		const char *p;

		if (f != NULL) {
			n = fread(text, 1, sizeof(text) - 1, f);
			fclose(f);
		}
		text[n] = '\0';
		if ((p = strstr(text, prefix)) != NULL && strchr(p, '\n') != NULL)
			return atoi(p + strlen(prefix));
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(20 * 1000);
	}
	return -1;
}

static void stop_server(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	*pid = -1;
}

static int group_teardown(void **state)
{
	stop_server(&W.ssrv);
	stop_server(&W.pysrv);
	if (W.dir[0] != '\0')
		(void)run("rm -rf '%s'", W.dir);
	W.dir[0] = '\0';
	return 0;
}

static int make_world(void)
{
	char path[160], big[BIG_LEN];

	snprintf(W.dir, sizeof(W.dir), "/tmp/mailtls-https-XXXXXX");
	if (mkdtemp(W.dir) == NULL) {
		W.dir[0] = '\0';
		return -1;
	}
	snprintf(W.www, sizeof(W.www), "%s/www", W.dir);
	snprintf(W.ca, sizeof(W.ca), "%s/ca.pem", W.dir);
	snprintf(W.cert, sizeof(W.cert), "%s/leaf.pem", W.dir);
	snprintf(W.key, sizeof(W.key), "%s/leaf.key", W.dir);
	snprintf(path, sizeof(path), "%s/ext.cnf", W.dir);
	if (write_file(path, LIT("subjectAltName=DNS:localhost,DNS:mta-sts.example.test\n"
	                         "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")) < 0)
		return -1;
	if (run("(cd '%s' && "
	        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	        "-keyout ca.key -out ca.pem -days 2 -subj /CN=mailtls-test-CA && "
	        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	        "-keyout leaf.key -out leaf.csr -subj /CN=localhost && "
	        "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
	        "-out leaf.pem -days 2 -extfile ext.cnf"
	        ") >/dev/null 2>&1",
	        W.dir) < 0)
		return -1;
	memset(big, 'x', sizeof(big));
	snprintf(path, sizeof(path), "%s/.well-known", W.www);
	if (mkdir(W.www, 0700) < 0 || mkdir(path, 0700) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/.well-known/mta-sts.txt", W.www);
	if (write_file(path, LIT(POLICY)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/big.txt", W.www);
	if (write_file(path, big, sizeof(big)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/srv.py", W.dir);
	if (write_file(path, py_server, sizeof(py_server) - 1) < 0)
		return -1;
	return 0;
}

static int start_servers(void)
{
	char out[160], py[160];
	char *sargv[] = {"openssl", "s_server", "-WWW", "-accept", "127.0.0.1:0",
	                 "-cert",   W.cert,     "-key", W.key,     NULL};
	char *pargv[] = {"/usr/bin/python3", py, W.cert, W.key, NULL};

	snprintf(out, sizeof(out), "%s/s_server.out", W.dir);
	W.ssrv = spawn(sargv, W.www, out);
	if (W.ssrv < 0 || (W.sport = read_port(out, "ACCEPT 127.0.0.1:", W.ssrv)) <= 0)
		return -1;
	snprintf(py, sizeof(py), "%s/srv.py", W.dir);
	snprintf(out, sizeof(out), "%s/py.out", W.dir);
	W.pysrv = spawn(pargv, W.dir, out);
	if (W.pysrv < 0 || (W.pyport = read_port(out, "PORT ", W.pysrv)) <= 0)
		return -1;
	return 0;
}

static int group_setup(void **state)
{
	if (make_world() < 0 || start_servers() < 0) {
		fprintf(stderr, "test_https: cannot set up the servers\n");
		group_teardown(state);
		return -1;
	}
	return 0;
}

/* ---- per-test loop ------------------------------------------------------ */

struct tc {
	struct event_base *base;
	struct https *h;
	struct event *guard;
	int timed_out;
	int in_get;  /* inside https_get: no callback may come */
	int pending; /* started and not called back */
	int calls;
};

struct got;
typedef void got_hook(struct got *g);

/* One request's outcome, copied out of the callback. */
struct got {
	struct tc *t;
	int n;
	int is_err;
	struct err err;
	long status, verify;
	char *ctype, *loc, *body, *ip;
	size_t len;
	got_hook *hook; /* runs inside the callback */
	void *hook_arg;
};

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void on_done(void *arg, const struct https_resp *r, const struct err *e)
{
	struct got *g = arg;
	struct tc *t = g->t;

	assert_int_equal(t->in_get, 0);
	assert_true((r == NULL) != (e == NULL));
	g->n++;
	t->calls++;
	t->pending--;
	if (r != NULL) {
		g->status = r->status;
		g->verify = r->verify_result;
		g->ctype = dup_or_null(r->content_type);
		g->loc = dup_or_null(r->location);
		g->ip = dup_or_null(r->ip);
		assert_non_null(r->body);
		assert_int_equal(r->body[r->len], '\0');
		g->body = malloc(r->len + 1);
		assert_non_null(g->body);
		memcpy(g->body, r->body, r->len + 1);
		g->len = r->len;
	} else {
		g->is_err = 1;
		g->err = *e;
		assert_int_not_equal(e->cat, ERR_NONE);
	}
	if (g->hook != NULL)
		g->hook(g);
	if (t->pending == 0)
		event_base_loopbreak(t->base);
}

static void got_free(struct got *g)
{
	free(g->ctype);
	free(g->loc);
	free(g->body);
	free(g->ip);
}

static void on_guard(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct tc *t = arg;

	t->timed_out = 1;
	event_base_loopbreak(t->base);
}

static void tc_init(struct tc *t)
{
	struct timeval tv = {20, 0};
	struct err e;

	memset(t, 0, sizeof(*t));
	t->base = event_base_new();
	assert_non_null(t->base);
	err_clear(&e);
	t->h = https_new(t->base, &e);
	assert_non_null(t->h);
	t->guard = evtimer_new(t->base, on_guard, t);
	assert_non_null(t->guard);
	assert_int_equal(evtimer_add(t->guard, &tv), 0);
}

static void tc_free(struct tc *t)
{
	https_free(t->h);
	event_free(t->guard);
	event_base_free(t->base);
}

static int tc_get(struct tc *t, struct got *g, const struct https_req *req)
{
	int rc;

	g->t = t;
	t->in_get = 1;
	rc = https_get(t->h, req, on_done, g);
	t->in_get = 0;
	if (rc == 0)
		t->pending++;
	return rc;
}

/* GET url (ca_file: the test CA) and wait for its callback. */
static void fetch(struct tc *t, struct got *g, const char *url, const char *ip, size_t max_body)
{
	struct https_req req = {.url = url,
	                        .connect_ip = ip,
	                        .ca_file = W.ca,
	                        .timeout_ms = 10000,
	                        .max_body = max_body};

	assert_int_equal(tc_get(t, g, &req), 0);
}

static void tc_run(struct tc *t)
{
	assert_int_equal(event_base_dispatch(t->base), 0);
	assert_int_equal(t->timed_out, 0);
	assert_int_equal(t->pending, 0);
}

static void url(char *out, size_t n, const char *host, int port, const char *path)
{
	snprintf(out, n, "https://%s:%d%s", host, port, path);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A loopback port with a listener that never accepts (silent = 1) or with
 * nothing at all (silent = 0). Returns the listening fd or -1. */
static int loopback_port(int silent, int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	if (!silent) {
		close(fd);
		return -1;
	}
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static void assert_err(const struct got *g, enum err_cat cat, const char *needle)
{
	assert_int_equal(g->n, 1);
	assert_true(g->is_err);
	if (g->err.cat != cat)
		fail_msg("got %s (%s), wanted %s", err_cat_name(g->err.cat), g->err.msg,
		         err_cat_name(cat));
	if (needle != NULL && strstr(g->err.msg, needle) == NULL)
		fail_msg("\"%s\" not in \"%s\"", needle, g->err.msg);
}

/* ---- tests ------------------------------------------------------------- */

static void test_ok(void **state)
{
	struct tc t;
	struct got g = {0};
	char u[256];

	tc_init(&t);
	url(u, sizeof(u), "localhost", W.sport, "/.well-known/mta-sts.txt");
	fetch(&t, &g, u, NULL, 64 * 1024);
	tc_run(&t);
	assert_int_equal(g.n, 1);
	assert_false(g.is_err);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.ctype, "text/plain");
	assert_null(g.loc);
	assert_int_equal(g.len, strlen(POLICY));
	assert_string_equal(g.body, POLICY);
	assert_string_equal(g.ip, "127.0.0.1");
	assert_int_equal(g.verify, 0);
	got_free(&g);
	tc_free(&t);
}

/* No ca_file: the system store does not know the test CA. */
static void test_unknown_ca(void **state)
{
	struct tc t;
	struct got g = {0};
	char u[256];
	struct https_req req = {.url = u, .timeout_ms = 10000, .max_body = 4096};

	tc_init(&t);
	url(u, sizeof(u), "localhost", W.sport, "/.well-known/mta-sts.txt");
	assert_int_equal(tc_get(&t, &g, &req), 0);
	tc_run(&t);
	assert_err(&g, ERR_TLS, "local issuer");
	got_free(&g);
	tc_free(&t);
}

static void test_wrong_name(void **state)
{
	struct tc t;
	struct got g1 = {0}, g2 = {0};
	char u1[256], u2[256];

	tc_init(&t);
	/* The leaf has no IP address in its names. */
	url(u1, sizeof(u1), "127.0.0.1", W.sport, "/.well-known/mta-sts.txt");
	fetch(&t, &g1, u1, NULL, 4096);
	/* connect_ip changes where, not which name is verified. */
	url(u2, sizeof(u2), "other.example.test", W.sport, "/.well-known/mta-sts.txt");
	fetch(&t, &g2, u2, "127.0.0.1", 4096);
	tc_run(&t);
	assert_err(&g1, ERR_TLS, "127.0.0.1");
	assert_err(&g2, ERR_TLS, "other.example.test");
	got_free(&g1);
	got_free(&g2);
	tc_free(&t);
}

static void test_connect_ip(void **state)
{
	struct tc t;
	struct got g = {0};
	char u[256];

	tc_init(&t);
	url(u, sizeof(u), "mta-sts.example.test", W.sport, "/.well-known/mta-sts.txt");
	fetch(&t, &g, u, "127.0.0.1", 4096);
	tc_run(&t);
	assert_false(g.is_err);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.body, POLICY);
	assert_string_equal(g.ip, "127.0.0.1");
	got_free(&g);
	tc_free(&t);
}

/* connect_ip is the request's own: two requests for one URL with different
 * addresses at once, then one without, each goes where it was told. (With
 * CURLOPT_RESOLVE the pin lands in the multi's shared DNS cache.) */
static void test_connect_ip_not_shared(void **state)
{
	struct tc t;
	struct got a = {0}, b = {0}, c = {0};
	char u[256];

	tc_init(&t);
	url(u, sizeof(u), "localhost", W.sport, "/.well-known/mta-sts.txt");
	fetch(&t, &a, u, "127.0.0.2", 4096); /* nothing listens there */
	fetch(&t, &b, u, "127.0.0.1", 4096);
	tc_run(&t);
	assert_err(&a, ERR_CONNECT, NULL);
	assert_false(b.is_err);
	assert_int_equal(b.status, 200);
	fetch(&t, &c, u, NULL, 4096);
	tc_run(&t);
	assert_false(c.is_err);
	assert_int_equal(c.status, 200);
	got_free(&a);
	got_free(&b);
	got_free(&c);
	tc_free(&t);
}

/* An IPv6 connect_ip is taken (bracketed for curl): nothing listens on
 * [::1] at that port, so the connect fails, it does not fail to parse. */
static void test_connect_ip_v6(void **state)
{
	struct tc t;
	struct got g = {0};
	char u[256];

	tc_init(&t);
	url(u, sizeof(u), "mta-sts.example.test", W.sport, "/");
	fetch(&t, &g, u, "::1", 4096);
	tc_run(&t);
	assert_err(&g, ERR_CONNECT, NULL);
	got_free(&g);
	tc_free(&t);
}

/* s_server sends no Content-Length: the write callback's cap stops it. */
static void test_body_cap_streamed(void **state)
{
	struct tc t;
	struct got g1 = {0}, g2 = {0};
	char u[256];

	tc_init(&t);
	url(u, sizeof(u), "localhost", W.sport, "/big.txt");
	fetch(&t, &g1, u, NULL, BIG_LEN - 1);
	tc_run(&t);
	assert_err(&g1, ERR_PROTOCOL, "body over 4999 bytes");
	fetch(&t, &g2, u, NULL, BIG_LEN); /* exactly the cap: fine */
	tc_run(&t);
	assert_false(g2.is_err);
	assert_int_equal(g2.len, BIG_LEN);
	got_free(&g1);
	got_free(&g2);
	tc_free(&t);
}

/* With a Content-Length over the cap curl refuses before the body. */
static void test_body_cap_content_length(void **state)
{
	struct tc t;
	struct got g1 = {0}, g2 = {0}, g3 = {0};
	char u[256];

	tc_init(&t);
	url(u, sizeof(u), "localhost", W.pyport, "/big");
	fetch(&t, &g1, u, NULL, 1000);
	fetch(&t, &g2, u, NULL, BIG_LEN);
	fetch(&t, &g3, u, NULL, 0); /* 0: no body at all */
	tc_run(&t);
	assert_err(&g1, ERR_PROTOCOL, "body over 1000 bytes");
	assert_false(g2.is_err);
	assert_int_equal(g2.len, BIG_LEN);
	assert_err(&g3, ERR_PROTOCOL, "body over 0 bytes");
	got_free(&g1);
	got_free(&g2);
	got_free(&g3);
	tc_free(&t);
}

/* s_server -WWW answers a missing file with "HTTP/1.0 200 ok" and the
 * error text as body; a real server says 404: both are responses. */
static void test_missing_file(void **state)
{
	struct tc t;
	struct got g1 = {0}, g2 = {0};
	char u1[256], u2[256];

	tc_init(&t);
	url(u1, sizeof(u1), "localhost", W.sport, "/nope.txt");
	fetch(&t, &g1, u1, NULL, 4096);
	url(u2, sizeof(u2), "localhost", W.pyport, "/nope.txt");
	fetch(&t, &g2, u2, NULL, 4096);
	tc_run(&t);
	assert_false(g1.is_err);
	assert_int_equal(g1.status, 200);
	assert_non_null(strstr(g1.body, "Error opening"));
	assert_false(g2.is_err);
	assert_int_equal(g2.status, 404);
	assert_string_equal(g2.body, "not here");
	got_free(&g1);
	got_free(&g2);
	tc_free(&t);
}

/* RFC 8461 3.3: redirects are not followed; the 301 is the answer. */
static void test_redirect_not_followed(void **state)
{
	struct tc t;
	struct got g = {0};
	char u[256];

	tc_init(&t);
	url(u, sizeof(u), "mta-sts.example.test", W.pyport, "/redirect");
	fetch(&t, &g, u, "127.0.0.1", 4096);
	tc_run(&t);
	assert_false(g.is_err);
	assert_int_equal(g.status, 301);
	assert_string_equal(g.loc, "https://elsewhere.example.test/.well-known/mta-sts.txt");
	assert_int_equal(g.len, 0);
	assert_string_equal(g.body, "");
	got_free(&g);
	tc_free(&t);
}

/* A CR inside a value is dropped, a long value is cut, the first
 * Content-Type wins. */
static void test_hostile_headers(void **state)
{
	struct tc t;
	struct got g = {0};
	char u[256];

	tc_init(&t);
	url(u, sizeof(u), "localhost", W.pyport, "/hostile");
	fetch(&t, &g, u, NULL, 4096);
	tc_run(&t);
	assert_false(g.is_err);
	assert_int_equal(g.status, 302);
	assert_string_equal(g.ctype, "text/plain");
	assert_non_null(g.loc);
	assert_int_equal(strlen(g.loc), 2048);
	assert_true(strncmp(g.loc, "https://x.example.test/aaaa", 27) == 0);
	assert_null(strchr(g.loc, '\r'));
	got_free(&g);
	tc_free(&t);
}

static void test_user_agent(void **state)
{
	struct tc t;
	struct got g = {0};
	char u[256];

	tc_init(&t);
	url(u, sizeof(u), "localhost", W.pyport, "/ua");
	fetch(&t, &g, u, NULL, 4096);
	tc_run(&t);
	assert_false(g.is_err);
	assert_string_equal(g.body, "mailtls/" MAILTLS_VERSION);
	got_free(&g);
	tc_free(&t);
}

static void test_refused(void **state)
{
	struct tc t;
	struct got g = {0};
	char u[256];
	int port;

	tc_init(&t);
	assert_int_equal(loopback_port(0, &port), -1);
	url(u, sizeof(u), "127.0.0.1", port, "/");
	fetch(&t, &g, u, NULL, 4096);
	tc_run(&t);
	assert_err(&g, ERR_CONNECT, NULL);
	got_free(&g);
	tc_free(&t);
}

/* TCP completes in the kernel's backlog, the ClientHello is never
 * answered: the deadline ends it, on time. */
static void test_timeout(void **state)
{
	struct tc t;
	struct got g = {0};
	char u[256];
	int port, fd;
	double t0, ms;
	struct https_req req = {.url = u, .ca_file = W.ca, .timeout_ms = 300, .max_body = 4096};

	tc_init(&t);
	fd = loopback_port(1, &port);
	url(u, sizeof(u), "localhost", port, "/");
	t0 = now_ms();
	assert_int_equal(tc_get(&t, &g, &req), 0);
	tc_run(&t);
	ms = now_ms() - t0;
	assert_err(&g, ERR_TIMEOUT, NULL);
	assert_true(ms >= 250 && ms < 3000);
	close(fd);
	got_free(&g);
	tc_free(&t);
}

static void test_ca_file_unreadable(void **state)
{
	struct tc t;
	struct got g = {0};
	char u[256];
	struct https_req req = {
	    .url = u, .ca_file = "/nonexistent/ca.pem", .timeout_ms = 5000, .max_body = 4096};

	tc_init(&t);
	url(u, sizeof(u), "localhost", W.sport, "/");
	assert_int_equal(tc_get(&t, &g, &req), 0);
	tc_run(&t);
	assert_err(&g, ERR_LOCAL, NULL);
	got_free(&g);
	tc_free(&t);
}

/* Refused at once with -1; nothing starts, no callback ever. */
static void test_bad_url(void **state)
{
	static const char *const bad[] = {
	    "http://localhost/",  "ftp://localhost/",
	    "localhost/x",        "",
	    "https://",           "https:///path",
	    "https://a b/",       "httpsx://localhost/",
	    "file:///etc/passwd", "https://user:pw@localhost/",
	    "https://a%20b/",     " https://localhost/",
	};
	struct tc t;
	struct got g = {0};
	struct https_req req = {.ca_file = W.ca, .max_body = 10};

	tc_init(&t);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		req.url = bad[i];
		if (tc_get(&t, &g, &req) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	req.url = NULL;
	assert_int_equal(tc_get(&t, &g, &req), -1);
	req.url = "https://mta-sts.example.test/";
	req.connect_ip = "localhost"; /* not numeric */
	assert_int_equal(tc_get(&t, &g, &req), -1);
	req.connect_ip = "fe80::1%eth0";
	assert_int_equal(tc_get(&t, &g, &req), -1);
	assert_int_equal(https_get(t.h, NULL, on_done, &g), -1);
	assert_int_equal(https_get(t.h, &req, NULL, &g), -1);
	assert_int_equal(https_get(NULL, &req, on_done, &g), -1);
	/* Upper-case scheme is still https; tc_free cancels it unrun. */
	req.connect_ip = NULL;
	req.url = "HTTPS://localhost:1/";
	assert_int_equal(tc_get(&t, &g, &req), 0);
	assert_int_equal(t.calls, 0);
	got_free(&g);
	tc_free(&t);
}

/* Several at once on both servers, all complete. */
static void test_many_in_flight(void **state)
{
	struct tc t;
	struct got g[6];
	char u[3][256];

	memset(g, 0, sizeof(g));
	tc_init(&t);
	url(u[0], sizeof(u[0]), "localhost", W.sport, "/.well-known/mta-sts.txt");
	url(u[1], sizeof(u[1]), "mta-sts.example.test", W.pyport, "/redirect");
	url(u[2], sizeof(u[2]), "localhost", W.pyport, "/big");
	for (int i = 0; i < 6; i++)
		fetch(&t, &g[i], u[i % 3], i % 3 == 1 ? "127.0.0.1" : NULL, 64 * 1024);
	tc_run(&t);
	assert_int_equal(t.calls, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(g[i].n, 1);
		assert_false(g[i].is_err);
		assert_int_equal(g[i].status, i % 3 == 1 ? 301 : 200);
		got_free(&g[i]);
	}
	tc_free(&t);
}

static void on_free_timer(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct tc *t = arg;

	https_free(t->h);
	t->h = NULL;
	event_base_loopbreak(t->base);
}

/* Freed with requests in flight (stuck in the handshake): no callback,
 * every event gone (ASan/LSan would say). */
static void test_free_in_flight(void **state)
{
	struct tc t;
	struct got g1 = {0}, g2 = {0};
	char u1[256], u2[256];
	int port, fd;
	struct event *ev;
	struct timeval tv = {0, 200 * 1000}, after = {0, 200 * 1000};

	tc_init(&t);
	fd = loopback_port(1, &port);
	url(u1, sizeof(u1), "127.0.0.1", port, "/");
	fetch(&t, &g1, u1, NULL, 4096);
	url(u2, sizeof(u2), "localhost", port, "/");
	fetch(&t, &g2, u2, NULL, 4096);
	ev = evtimer_new(t.base, on_free_timer, &t);
	assert_non_null(ev);
	assert_int_equal(evtimer_add(ev, &tv), 0);
	assert_int_equal(event_base_dispatch(t.base), 0);
	assert_null(t.h);
	/* Let the loop run on: nothing of https may fire. */
	assert_int_equal(event_base_loopexit(t.base, &after), 0);
	assert_int_equal(event_base_dispatch(t.base), 0);
	assert_int_equal(t.calls, 0);
	event_free(ev);
	close(fd);
	tc_free(&t);
}

static void free_in_callback(struct got *g)
{
	https_free(g->t->h);
	g->t->h = NULL;
	event_base_loopbreak(g->t->base);
}

/* https_free from inside a callback: the other request is never called
 * back, nothing is touched after. */
static void test_free_from_callback(void **state)
{
	struct tc t;
	struct got g1 = {0}, g2 = {0};
	char u1[256], u2[256];
	int port, fd, closed;
	struct timeval after = {0, 200 * 1000};

	tc_init(&t);
	assert_int_equal(loopback_port(0, &closed), -1);
	fd = loopback_port(1, &port);
	url(u1, sizeof(u1), "127.0.0.1", closed, "/");
	url(u2, sizeof(u2), "127.0.0.1", port, "/");
	g1.hook = free_in_callback;
	fetch(&t, &g1, u1, NULL, 4096);
	fetch(&t, &g2, u2, NULL, 4096);
	assert_int_equal(event_base_dispatch(t.base), 0);
	assert_int_equal(t.timed_out, 0);
	assert_null(t.h);
	assert_err(&g1, ERR_CONNECT, NULL);
	assert_int_equal(event_base_loopexit(t.base, &after), 0);
	assert_int_equal(event_base_dispatch(t.base), 0);
	assert_int_equal(g2.n, 0);
	assert_int_equal(t.calls, 1);
	close(fd);
	tc_free(&t);
}

static void chain(struct got *g)
{
	struct got *next = g->hook_arg;
	char u[256];
	struct https_req req = {.url = u, .ca_file = W.ca, .timeout_ms = 10000, .max_body = 4096};

	url(u, sizeof(u), "localhost", W.sport, "/.well-known/mta-sts.txt");
	assert_int_equal(tc_get(g->t, next, &req), 0);
}

/* A callback may start the next request on the same handle. */
static void test_get_from_callback(void **state)
{
	struct tc t;
	struct got g1 = {0}, g2 = {0};
	char u[256];

	tc_init(&t);
	url(u, sizeof(u), "mta-sts.example.test", W.pyport, "/redirect");
	g1.hook = chain;
	g1.hook_arg = &g2;
	fetch(&t, &g1, u, "127.0.0.1", 4096);
	tc_run(&t);
	assert_int_equal(g1.status, 301);
	assert_int_equal(g2.n, 1);
	assert_false(g2.is_err);
	assert_string_equal(g2.body, POLICY);
	got_free(&g1);
	got_free(&g2);
	tc_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ok),
	    cmocka_unit_test(test_unknown_ca),
	    cmocka_unit_test(test_wrong_name),
	    cmocka_unit_test(test_connect_ip),
	    cmocka_unit_test(test_connect_ip_not_shared),
	    cmocka_unit_test(test_connect_ip_v6),
	    cmocka_unit_test(test_body_cap_streamed),
	    cmocka_unit_test(test_body_cap_content_length),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_redirect_not_followed),
	    cmocka_unit_test(test_hostile_headers),
	    cmocka_unit_test(test_user_agent),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_ca_file_unreadable),
	    cmocka_unit_test(test_bad_url),
	    cmocka_unit_test(test_many_in_flight),
	    cmocka_unit_test(test_free_in_flight),
	    cmocka_unit_test(test_free_from_callback),
	    cmocka_unit_test(test_get_from_callback),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
