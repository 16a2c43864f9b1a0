"""`mailtls serve` under abuse (issue 12, section 6): a thousand concurrent
sessions, slow-loris clients, 10 MB lines, commands pipelined around
STARTTLS, connections beyond --max-sessions.

Throughout, the server stays up and serves the other clients promptly, its
peak RSS (VmHWM) stays under a stated bound, its --log file stays valid JSON
lines with one record per session, and it exits 0 on SIGTERM without a
sanitizer report (serveproc.Serve.stop).

The clients are plain sockets (TCP_NODELAY, so that no Nagle delay is taken
for the server's) driven from this process, one thread for the slow ones.
Timing assertions are loose on purpose ("at once" is under 2 s, measured in
milliseconds): they tell a prompt answer from one that waits for a timeout,
on a loaded 2-core machine and under ASan alike.
"""

import contextlib
import json
import os
import re
import resource
import signal
import socket
import ssl
import threading
import time

import pytest

from conftest import mailtls_path
from serveproc import Serve, SmtpClient

# --------------------------------------------------------------------------
# the build, the fd limit, memory


def _sanitized():
    """A sanitizer build: SANITIZER set, an asan build directory, or the
    binary's own symbols (as test_domain.py checks)."""
    if os.environ.get("SANITIZER") or "asan" in str(mailtls_path()):
        return True
    try:
        data = mailtls_path().read_bytes()
    except OSError:
        return False
    return b"__asan_init" in data or b"__ubsan_handle" in data


SANITIZED = _sanitized()

# Peak RSS of serve with 1,000 concurrent clear-text sessions (greeting and
# EHLO each) of which 100 also ran STARTTLS, a TLS 1.3 handshake and an
# EHLO inside TLS, plus 20 refused with 421: measured 18.8-19.0 MB (VmHWM,
# -O2, Debian 12, OpenSSL 3.0; 11.9 MB of it before the first client). A
# session costs about 7 kB in clear text and 40 kB more inside TLS: 1,000
# all inside TLS peaked at 51.8 MB, which is about issue 12's "64 MB". The
# bound leaves about 1.5x headroom over the measurement. Under ASan the RSS
# says nothing about serve (shadow memory, quarantine): not checked.
THOUSAND_RSS_BOUND_KB = 28 * 1024
# Four clients sending 10 MB lines at once (command lines, inside DATA,
# inside TLS), or pipelining 3 MB of commands without reading: the peak
# grew by 0.5-0.9 MB measured; a session's input stays within its cap
# (--max-line plus one read burst) and the line is never held whole. The
# bound: less than one such line.
BIG_LINE_RSS_GROWTH_KB = 8 * 1024
# 200 sessions that each sent one 300 kB burst, idle after it: they held
# 54 MB more than before it (each its largest input buffer, until the
# session ended); serve now gives a consumed burst's memory back: 0.3 MB
# measured. The bound: 10 kB a session.
IDLE_AFTER_BURST_KB = 2 * 1024

SESSIONS = 1000
TLS_SAMPLE = 100  # every tenth session also does STARTTLS
REFUSED = 20


def vm_kb(pid, key="VmHWM"):
    """VmHWM (peak) or VmRSS of a process, in kB."""
    with open("/proc/%d/status" % pid) as fh:
        m = re.search(r"^%s:\s+(\d+) kB" % key, fh.read(), re.M)
    assert m, "no %s in /proc/%d/status" % (key, pid)
    return int(m.group(1))


def check_rss(s, bound_kb, what):
    peak = vm_kb(s.proc.pid)
    if not SANITIZED:
        assert peak < bound_kb, "%s: peak RSS %d kB over the bound %d kB" % (what, peak, bound_kb)
    return peak


@contextlib.contextmanager
def nofile(need):
    """RLIMIT_NOFILE of at least `need` for this process and the serve it
    starts (a child inherits it); the soft limit is raised up to the hard
    one and put back after. Skips when the hard limit is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip("RLIMIT_NOFILE hard limit %d is below the %d descriptors this test's "
                        "concurrent sessions need (raise it: ulimit -Hn, limits.conf)"
                        % (hard, need))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# --------------------------------------------------------------------------
# the server and its log


@pytest.fixture
def serve(tmp_path):
    """serve(*args, listen=1, implicit=0) -> a running Serve; at teardown it
    must still be running (never crashed), then stop with exit 0."""
    started = []

    def start(*args, **kw):
        s = Serve(tmp_path / ("serve%d" % len(started)), args, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        if not s.stopped:
            alive = s.proc.poll() is None
            rc, lines = s.stop()
            assert alive, "serve died: exit %s\n%s" % (rc, s.stderr())
            assert rc == 0, "serve exited %d\n%s\n%s" % (rc, "\n".join(lines[-20:]), s.stderr())


def log_records(s, n, timeout=30):
    """Wait for n records; then the whole log must be n valid JSON lines,
    ASCII only, one session each (distinct ids)."""
    end = time.monotonic() + timeout
    while True:
        raw = s.log.read_bytes() if s.log.exists() else b""
        lines = raw.split(b"\n")
        assert lines[-1] == b"", "the log ends in the middle of a line"
        lines = lines[:-1]
        if len(lines) >= n or time.monotonic() > end:
            break
        time.sleep(0.1)
    assert all(0x20 <= b < 0x7f or b == 0x0a for b in raw), "non-ASCII byte in the log"
    recs = []
    for i, line in enumerate(lines):
        try:
            rec = json.loads(line)
        except ValueError as e:
            raise AssertionError("log line %d is not JSON (%s): %r" % (i + 1, e, line[:200]))
        assert rec["type"] == "session"
        recs.append(rec)
    ids = [r["id"] for r in recs]
    assert len(set(ids)) == len(ids), "a session logged twice"
    assert len(recs) == n, "%d records for %d sessions; ends: %r" % (
        len(recs), n, sorted({r["end"] for r in recs}))
    return recs


def ends(recs):
    out = {}
    for r in recs:
        out[r["end"]] = out.get(r["end"], 0) + 1
    return out


# --------------------------------------------------------------------------
# clients


class Client(SmtpClient):
    """serveproc's SMTP client, with a longer timeout for 1,000 sessions at once."""

    def __init__(self, port, timeout=20):
        super().__init__(port, timeout=timeout)


def client_hello(cafile):
    """The bytes of a TLS ClientHello (Python's default client)."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    out = ssl.MemoryBIO()
    obj = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read()


def transaction(port, helo="normal.example"):
    """A whole ordinary session; -> its wall time in seconds."""
    t0 = time.monotonic()
    c = Client(port)
    try:
        assert c.reply()[0] == 220
        assert c.cmd("EHLO " + helo)[0] == 250
        assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
        assert c.cmd("RCPT TO:<b@example.net>")[0] == 250
        assert c.cmd("DATA")[0] == 354
        code, lines = c.cmd("Subject: hi\r\n\r\nhello\r\n.")
        assert code == 250, lines
        assert c.cmd("QUIT")[0] == 221
    finally:
        c.close()
    return time.monotonic() - t0


def still_serving(s):
    """The server is up and answers a new client."""
    assert s.proc.poll() is None, "serve exited: %s\n%s" % (s.proc.returncode, s.stderr())
    transaction(s.port, "after.example")


# --------------------------------------------------------------------------
# 1,000 concurrent sessions


def test_thousand_concurrent_sessions(serve):
    """1,000 clients connected at once with --max-sessions 1000: every one
    is greeted and answers EHLO; every tenth runs STARTTLS and a TLS
    handshake while all the others are held open; the 1,001st and beyond
    get 421 at once; then all QUIT. One valid log record per session, peak
    RSS under THOUSAND_RSS_BOUND_KB."""
    with nofile(SESSIONS + REFUSED + 200):
        s = serve("--max-sessions", SESSIONS)
        base_rss = vm_kb(s.proc.pid, "VmRSS")
        t0 = time.monotonic()
        clients = [Client(s.port) for _ in range(SESSIONS)]
        try:
            # Every one of them greeted, none refused.
            greetings = [c.reply() for c in clients]
            bad = [g for g in greetings if g[0] != 220]
            assert not bad, "%d of %d not greeted: %r" % (len(bad), SESSIONS, bad[:3])
            for i, c in enumerate(clients):
                c.send("EHLO c%d.example\r\n" % i)
            for c in clients:
                code, lines = c.reply()
                assert code == 250 and lines[-1] == "250 STARTTLS", lines
            t_ehlo = time.monotonic() - t0
            # All 1,000 are open at once in serve.
            nfd = len(os.listdir("/proc/%d/fd" % s.proc.pid))
            assert nfd >= SESSIONS, "serve holds %d descriptors" % nfd

            # A sample upgrades to TLS while the rest wait.
            sample = clients[::SESSIONS // TLS_SAMPLE]
            assert len(sample) == TLS_SAMPLE
            for c in sample:
                assert c.cmd("STARTTLS") == (220, ["220 2.0.0 Ready to start TLS"])
                c.starttls(s.ca)
                assert c.sock.version() == "TLSv1.3"
                code, lines = c.cmd("EHLO tls.example")
                assert code == 250 and not any("STARTTLS" in l for l in lines)

            # Over the limit: 421 4.7.0 at once, then the close.
            waits = []
            for _ in range(REFUSED):
                t1 = time.monotonic()
                x = Client(s.port)
                code, lines = x.reply()
                waits.append(time.monotonic() - t1)
                assert code == 421 and lines[0].startswith("421 4.7.0 localhost "), lines
                assert x.closed()
                x.close()
            assert max(waits) < 2, "421 took %.3f s" % max(waits)

            # The held sessions were not disturbed by any of it.
            for c in clients:
                c.send("QUIT\r\n")
            for c in clients:
                assert c.reply()[0] == 221
        finally:
            for c in clients:
                c.close()
        recs = log_records(s, SESSIONS + REFUSED)
        took = time.monotonic() - t0
        peak = check_rss(s, THOUSAND_RSS_BOUND_KB, "1,000 sessions")
        print("\n1000 sessions: greeting+EHLO in %.2f s, all in %.2f s; 421 in %.1f ms max; "
              "RSS %d kB before, peak %d kB" % (t_ehlo, took, max(waits) * 1e3, base_rss, peak))
        assert ends(recs) == {"quit": SESSIONS, "too-many-sessions": REFUSED}
        tls = [r for r in recs if r["tls"]]
        assert len(tls) == TLS_SAMPLE
        assert all(r["tls"]["version"] == "TLSv1.3" and r["starttls"]["used"] for r in tls)
        assert all(r["helo"]["name"] == "tls.example" for r in tls)
        still_serving(s)
        # Sockets closed, sessions freed: back to a handful of descriptors.
        assert len(os.listdir("/proc/%d/fd" % s.proc.pid)) < 50


# --------------------------------------------------------------------------
# slow loris


class SlowClients(threading.Thread):
    """Trickles each client's script, one byte every `gap` seconds, until
    the server closes it or `until` (monotonic) passes; collects what the
    server sends."""

    def __init__(self, clients, script, gap, until):
        super().__init__(daemon=True)
        self.clients, self.script, self.gap, self.until = clients, script, gap, until
        self.got = {id(c): b"" for c in clients}
        self.error = None

    def run(self):
        try:
            self._run()
        except Exception as e:  # reported by the test
            self.error = e

    def _run(self):
        for c in self.clients:
            c.sock.setblocking(False)
        live = list(self.clients)
        i = 0
        while live and time.monotonic() < self.until:
            for c in list(live):
                try:
                    while True:
                        chunk = c.sock.recv(65536)
                        if not chunk:
                            live.remove(c)
                            break
                        self.got[id(c)] += chunk
                except BlockingIOError:
                    pass
                except ConnectionResetError:
                    live.remove(c)
                    continue
                if c in live and self.script:
                    try:
                        c.sock.send(self.script[i % len(self.script):][:1])
                    except (BrokenPipeError, ConnectionResetError):
                        live.remove(c)
            i += 1
            time.sleep(self.gap)


def test_slow_loris(serve):
    """Clients that trickle a byte every 150 ms, and clients that send half
    a line and stay, hold their sessions; meanwhile ordinary clients are
    served in milliseconds. The half-liners end at --idle-timeout, the
    tricklers (never idle) at --session-timeout, each with a 421."""
    idle, session = 2, 7
    s = serve("--max-sessions", "100", "--idle-timeout", idle, "--session-timeout", session,
              implicit=1)
    t0 = time.monotonic()
    trick = [Client(s.port) for _ in range(20)]
    half = [Client(s.port) for _ in range(20)]
    # A ClientHello trickled on the implicit port: bytes are not progress,
    # the handshake must end within the idle timeout.
    hs = [Client(s.iport) for _ in range(5)]
    for c in half:
        assert c.reply()[0] == 220
        assert c.cmd("EHLO half.example")[0] == 250
        c.send("MAIL FROM:<half-a-li")
    # "EHLO t.example\r\n" (16 bytes, 2.4 s), then NOOPs, a byte at a time.
    script = b"EHLO t.example\r\n" + b"NOOP\r\n" * 100
    slow = SlowClients(trick, script, 0.15, t0 + session + 10)
    slow_hs = SlowClients(hs, client_hello(s.ca), 0.15, t0 + session + 10)
    slow.start()
    slow_hs.start()

    lat = []
    while time.monotonic() - t0 < session - 1:
        lat.append(transaction(s.port))
        time.sleep(0.2)
    slow.join(session + 15)
    slow_hs.join(5)
    assert slow.error is None and slow_hs.error is None, (slow.error, slow_hs.error)
    assert max(lat) < 2, "an ordinary session took %.3f s among slow clients" % max(lat)

    for c in trick:
        text = slow.got[id(c)].decode("ascii", "replace")
        assert text.startswith("220 "), text
        # The trickled EHLO was answered, the NOOPs too: they were served...
        assert "\r\n250-localhost Hello" in text and "\r\n250 2.0.0 Ok\r\n" in text, text
        # ...until the session limit.
        assert text.endswith("421 4.4.2 localhost Error: session time limit exceeded\r\n"), text
    for c in half:
        code, lines = c.reply()
        assert lines == ["421 4.4.2 localhost Error: timeout exceeded"]
        assert c.closed()
        c.close()
    for c in hs:
        # Closed at the idle timeout, nothing said (no TLS to say it in).
        assert slow_hs.got[id(c)] == b""
        assert not slow_hs.is_alive()
    for c in trick + hs:
        c.close()
    recs = log_records(s, len(trick) + len(half) + len(hs) + len(lat))
    print("\nslow loris: %d ordinary sessions, slowest %.1f ms, median %.1f ms"
          % (len(lat), max(lat) * 1e3, sorted(lat)[len(lat) // 2] * 1e3))
    assert ends(recs) == {"quit": len(lat), "idle-timeout": len(half) + len(hs),
                          "session-timeout": len(trick)}
    for r in recs:
        if r["mode"] == "implicit":
            assert r["tls"] is None or r["tls"]["version"] is None, r
            assert 0.9 * idle * 1e3 < r["duration_ms"] < (idle + 3) * 1e3, r
    for r in recs:
        if r["end"] == "session-timeout":
            assert r["helo"]["name"] == "t.example" and r["commands"] >= 2
    still_serving(s)


# --------------------------------------------------------------------------
# 10 MB lines

BIG = 10 * 1000 * 1000


def _big_command(port, out):
    c = Client(port, timeout=60)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO big.example")[0] == 250
    c.send(b"NOOP " + b"A" * BIG + b"\r\n")
    out["command"] = c.reply()
    out["command-after"] = c.cmd("NOOP")
    assert c.cmd("QUIT")[0] == 221
    c.close()


def _big_data(port, out):
    c = Client(port, timeout=60)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO big.example")[0] == 250
    assert c.cmd("MAIL FROM:<big@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<x@example.net>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.send(b"Subject: one long line\r\n\r\n" + b"x" * BIG + b"\r\n.\r\n")
    out["data"] = c.reply()
    out["data-after"] = c.cmd("NOOP")
    assert c.cmd("QUIT")[0] == 221
    c.close()


def _big_tls(port, ca, out):
    c = Client(port, timeout=60)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO big.example")[0] == 250
    assert c.cmd("STARTTLS")[0] == 220
    c.starttls(ca)
    assert c.cmd("EHLO big.example")[0] == 250
    c.send(b"MAIL FROM:<" + b"B" * BIG + b"@example.org>\r\n")
    out["tls"] = c.reply()
    out["tls-after"] = c.cmd("MAIL FROM:<ok@example.org>")
    assert c.cmd("QUIT")[0] == 221
    c.close()


def _big_unterminated(port, out):
    """10 MB without a line end, then the client goes."""
    c = Client(port, timeout=60)
    assert c.reply()[0] == 220
    c.send(b"EHLO " + b"C" * BIG)
    c.sock.shutdown(socket.SHUT_WR)
    out["unterminated-closed"] = c.closed(30)
    c.close()


def test_ten_megabyte_lines(serve):
    """10 MB command lines, a 10 MB line inside DATA and one inside TLS, all
    at once: each gets its 5xx and the session goes on; a 10 MB line with no
    end is dropped when the client leaves. An ordinary client is served
    meanwhile, and memory grows by less than one such line."""
    s = serve()
    base = vm_kb(s.proc.pid)
    out = {}
    errors = []

    def run(fn, *a):
        try:
            fn(*a)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(_big_command, s.port, out)),
               threading.Thread(target=run, args=(_big_data, s.port, out)),
               threading.Thread(target=run, args=(_big_tls, s.port, s.ca, out)),
               threading.Thread(target=run, args=(_big_unterminated, s.port, out))]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    lat = []
    while any(t.is_alive() for t in threads) and time.monotonic() - t0 < 60:
        lat.append(transaction(s.port))
        time.sleep(0.05)
    for t in threads:
        t.join(60)
    took = time.monotonic() - t0
    assert not errors, errors
    assert out["command"] == (500, ["500 5.5.2 Error: line too long"])
    assert out["command-after"] == (250, ["250 2.0.0 Ok"])
    assert out["data"] == (500, ["500 5.5.2 Error: message line too long"])
    assert out["data-after"] == (250, ["250 2.0.0 Ok"])
    assert out["tls"] == (500, ["500 5.5.2 Error: line too long"])
    assert out["tls-after"] == (250, ["250 2.1.0 Ok"])
    assert out["unterminated-closed"] is True
    assert lat and max(lat) < 2, "an ordinary session took %.3f s beside 10 MB lines" % max(lat)

    recs = log_records(s, 4 + len(lat))
    peak = vm_kb(s.proc.pid)
    print("\n10 MB lines: %.2f s; %d ordinary sessions meanwhile, slowest %.1f ms; "
          "peak RSS %d kB -> %d kB" % (took, len(lat), max(lat) * 1e3, base, peak))
    if not SANITIZED:
        assert peak - base < BIG_LINE_RSS_GROWTH_KB, "peak RSS grew %d kB" % (peak - base)
    big = [r for r in recs if r["helo"] and r["helo"]["name"] == "big.example"]
    assert len(big) == 3 and all(r["end"] == "quit" and r["errors"] == 1 for r in big), big
    data = [r for r in recs if r["messages"] and r["messages"][0]["from"] == "big@example.org"]
    assert len(data) == 1
    m = data[0]["messages"][0]
    # Every byte counted (the long line with its CRLF), none kept.
    assert m["size"] == len(b"Subject: one long line\r\n\r\n") + BIG + 2
    assert m["accepted"] is False and m["reply"] == "500 5.5.2 Error: message line too long"
    tls = [r for r in recs if r["tls"]]
    assert len(tls) == 1 and tls[0]["errors"] == 1 and tls[0]["end"] == "quit"
    unterminated = [r for r in recs if r["helo"] is None]
    assert len(unterminated) == 1 and unterminated[0]["end"] == "client-closed"
    still_serving(s)


def test_bursts_do_not_pin_memory(serve):
    """200 sessions each send one burst (a 300 kB line, found whole in the
    socket: serve is stopped while they send it), get their 500, and stay
    idle. Each session's input buffer grew to take the burst; an idle
    session must give that memory back, not hold it until it ends (it held
    about 270 kB each: 54 MB for 200, 270 MB for 1,000 idle senders)."""
    n = 200
    with nofile(n + 200):
        s = serve("--max-sessions", n)
        clients = [Client(s.port) for _ in range(n)]
        try:
            for c in clients:
                assert c.reply()[0] == 220
            base = vm_kb(s.proc.pid, "VmRSS")
            s.proc.send_signal(signal.SIGSTOP)
            try:
                for c in clients:
                    c.sock.setblocking(False)
                    try:
                        c.sock.send(b"NOOP " + b"A" * 300000)
                    except BlockingIOError:
                        pass  # the socket buffers are full: enough
            finally:
                s.proc.send_signal(signal.SIGCONT)
            for c in clients:
                c.sock.setblocking(True)
                c.sock.settimeout(30)
                c.send(b"\r\n")
            for c in clients:
                assert c.reply() == (500, ["500 5.5.2 Error: line too long"])
            # Every burst was consumed; the sessions are idle.
            rss = vm_kb(s.proc.pid, "VmRSS")
            peak = vm_kb(s.proc.pid)
            print("\n%d idle sessions after a burst each: RSS %d kB -> %d kB (peak %d kB)"
                  % (n, base, rss, peak))
            if not SANITIZED:
                assert rss - base < IDLE_AFTER_BURST_KB, (
                    "%d idle sessions hold %d kB more than before their bursts" % (n, rss - base))
            for c in clients:
                assert c.cmd("QUIT")[0] == 221
        finally:
            for c in clients:
                c.close()
        recs = log_records(s, n)
        assert ends(recs) == {"quit": n} and all(r["errors"] == 1 for r in recs)
        still_serving(s)


def test_endless_pipeline(serve):
    """Clients that pipeline 3 MB of NOOPs each (500,000 commands) without
    reading a reply: their answers pile up to the output cap, then the
    session is dropped; memory stays bounded and the others are served."""
    s = serve()
    base = vm_kb(s.proc.pid)
    errors, flooders = [], []

    def flood():
        try:
            c = Client(s.port, timeout=30)
            flooders.append(c)
            assert c.reply()[0] == 220
            c.send(b"NOOP\r\n" * 500000)
        except (ConnectionError, OSError):
            pass  # dropped while sending: expected
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for th in threads:
        th.start()
    lat = [transaction(s.port)]
    for th in threads:
        th.join(60)
    lat.append(transaction(s.port))
    assert not errors, errors
    for c in flooders:
        assert c.closed(15)
        c.close()
    recs = log_records(s, len(threads) + len(lat))
    peak = vm_kb(s.proc.pid)
    print("\nendless pipelines: ordinary sessions %s ms; peak RSS %d kB -> %d kB"
          % (["%.1f" % (x * 1e3) for x in lat], base, peak))
    assert ends(recs) == {"output-limit": len(threads), "quit": len(lat)}
    assert max(lat) < 2
    if not SANITIZED:
        assert peak - base < BIG_LINE_RSS_GROWTH_KB, "peak RSS grew %d kB" % (peak - base)
    still_serving(s)


# --------------------------------------------------------------------------
# pipelining around STARTTLS


def test_pipelining_around_starttls(serve):
    """Commands pipelined before STARTTLS are answered in order; whatever
    follows STARTTLS in the same packet is counted and dropped, never
    answered inside TLS (RFC 3207 4.2, CVE-2011-0411), and the record and
    the session line say how many bytes were dropped."""
    s = serve("--idle-timeout", "2")

    # 1. EHLO, NOOP, STARTTLS and an injected transaction in one packet.
    c = Client(s.port)
    assert c.reply()[0] == 220
    injected = (b"MAIL FROM:<inject@evil.example>\r\nRCPT TO:<victim@example.net>\r\n"
                b"DATA\r\nSubject: injected\r\n\r\n.\r\n")
    c.send(b"EHLO pipe.example\r\nNOOP\r\nSTARTTLS\r\n" + injected)
    code, lines = c.reply()
    assert code == 250 and lines[-1] == "250 STARTTLS"
    assert c.reply() == (250, ["250 2.0.0 Ok"])
    assert c.reply() == (220, ["220 2.0.0 Ready to start TLS"])
    c.starttls(s.ca)
    # The first answer inside TLS is to our EHLO, and no transaction is
    # open: had the injected MAIL been taken this would be 503.
    code, lines = c.cmd("EHLO pipe.example")
    assert code == 250 and not any("STARTTLS" in l for l in lines)
    assert c.cmd("MAIL FROM:<real@example.org>") == (250, ["250 2.1.0 Ok"])
    # Pipelining inside TLS works as usual, STARTTLS again is refused.
    c.send("RCPT TO:<b@example.net>\r\nSTARTTLS\r\nNOOP\r\n")
    assert [c.reply()[0] for _ in range(3)] == [250, 503, 250]
    assert c.cmd("QUIT")[0] == 221
    c.close()

    # 2. A client that sends its ClientHello with the STARTTLS, without
    #    waiting for the 220: the hello came before TLS, so it is dropped
    #    too; the server waits for a hello and ends at the idle timeout.
    c = Client(s.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO eager.example")[0] == 250
    hello = client_hello(s.ca)
    c.send(b"STARTTLS\r\n" + hello)
    assert c.reply() == (220, ["220 2.0.0 Ready to start TLS"])
    t0 = time.monotonic()
    assert c.closed(15)
    assert c.buf == b"", "the server answered the early hello: %r" % c.buf[:100]
    assert time.monotonic() - t0 < 10
    c.close()

    # 3. STARTTLS followed by 1 MB of garbage in the same write: dropped,
    #    bounded, the session ends (what was not read before the switch
    #    reaches TLS as a broken record), the server is unharmed.
    c = Client(s.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO flood.example")[0] == 250
    c.send(b"STARTTLS\r\n" + b"MAIL FROM:<x@evil.example>\r\n" * 40000)
    assert c.reply() == (220, ["220 2.0.0 Ready to start TLS"])
    assert c.closed(15)
    c.close()

    # 4. The injection in a separate write right after STARTTLS, before
    #    the 220 is read: dropped if it came before the switch, a broken
    #    TLS record if after; never a command.
    c = Client(s.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO race.example")[0] == 250
    c.send(b"STARTTLS\r\n")
    c.send(b"MAIL FROM:<race@evil.example>\r\n")
    assert c.reply() == (220, ["220 2.0.0 Ready to start TLS"])
    try:
        c.starttls(s.ca)
        code, _ = c.cmd("EHLO race.example")
        assert code == 250
        assert c.cmd("MAIL FROM:<real@example.org>")[0] == 250
        c.cmd("QUIT")
    except (ssl.SSLError, ConnectionError, OSError):
        pass  # the injected bytes broke the handshake: refused, not taken
    c.close()

    recs = log_records(s, 4)
    by = {r["helo"]["name"] if r["helo"] else None: r for r in recs}
    r = by["pipe.example"]
    assert r["starttls"] == {"offered": True, "used": True, "pipelined_bytes": len(injected)}
    assert [m["from"] for m in r["messages"]] == ["real@example.org"]
    assert r["tls"]["version"] == "TLSv1.3" and r["end"] == "quit"
    lines = s.session_lines(4)
    assert any(" ehlo=pipe.example " in l and " pipelined-after-starttls=%d " % len(injected) in l
               for l in lines), lines
    # The eager client: its hello dropped as pipelined bytes, no TLS.
    eager = [x for x in recs if x["starttls"]["pipelined_bytes"] == len(hello)]
    assert len(eager) == 1, recs
    assert eager[0]["end"] == "idle-timeout" and eager[0]["messages"] == []
    flood = [x for x in recs if x["starttls"]["used"] and x["starttls"]["pipelined_bytes"] > 1000]
    assert len(flood) == 1 and flood[0]["messages"] == []
    assert flood[0]["end"] in ("tls-failed", "idle-timeout", "client-closed"), flood[0]
    race = [x for x in recs if x["messages"] and x["messages"][0]["from"] == "race@evil.example"]
    assert race == []
    for x in recs:
        assert all("evil" not in m["from"] for m in x["messages"]), x
    still_serving(s)


# --------------------------------------------------------------------------
# beyond --max-sessions


def test_beyond_max_sessions(serve):
    """With --max-sessions 10 held: one more gets 421 4.7.0 at once; a burst
    of 100 more at the same moment all get their 421 too (none closed
    without a word); on the implicit-TLS port the 421 comes inside TLS. The
    held sessions are served throughout, and a freed slot is taken again."""
    s = serve("--max-sessions", "10", implicit=1)
    held = [Client(s.port) for _ in range(10)]
    for c in held:
        assert c.reply()[0] == 220

    t0 = time.monotonic()
    x = Client(s.port)
    code, lines = x.reply()
    first = time.monotonic() - t0
    assert lines == ["421 4.7.0 localhost Error: too many concurrent sessions, try again later"]
    assert x.closed()
    x.close()
    assert first < 2, "421 after %.3f s" % first

    # A burst that serve finds all at once: connected (the kernel completes
    # the handshakes into the listen backlog) while serve is stopped.
    s.proc.send_signal(signal.SIGSTOP)
    try:
        burst = [Client(s.port) for _ in range(100)]
    finally:
        s.proc.send_signal(signal.SIGCONT)
    t0 = time.monotonic()
    got = []
    for c in burst:
        try:
            got.append(c.reply()[0])
        except ConnectionError:
            got.append(None)
        c.close()
    took = time.monotonic() - t0
    assert got == [421] * len(burst), "burst answers: %r" % {g: got.count(g) for g in set(got)}
    assert took < 5, "the burst took %.3f s" % took

    # Implicit TLS: the refusal is spoken inside TLS.
    ctx = ssl.create_default_context(cafile=str(s.ca))
    for _ in range(3):
        raw = socket.create_connection(("127.0.0.1", s.iport), timeout=20)
        t = ctx.wrap_socket(raw, server_hostname="localhost")
        data = b""
        while b"\n" not in data:
            chunk = t.recv(4096)
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"421 4.7.0 localhost "), data
        t.close()

    for c in held:
        assert c.cmd("NOOP") == (250, ["250 2.0.0 Ok"])
    assert held[0].cmd("QUIT")[0] == 221
    assert held[0].closed()
    # The slot is free once its record is written.
    s.session_lines(1 + 100 + 3 + 1, timeout=10)
    again = Client(s.port)
    assert again.reply()[0] == 220
    for c in held[1:] + [again]:
        assert c.cmd("QUIT")[0] == 221
        c.close()
    recs = log_records(s, 10 + 1 + 100 + 3 + 1)
    print("\nbeyond --max-sessions: 421 in %.1f ms; a burst of 100 answered in %.1f ms"
          % (first * 1e3, took * 1e3))
    assert ends(recs) == {"quit": 11, "too-many-sessions": 104}
    implicit = [r for r in recs if r["mode"] == "implicit"]
    assert len(implicit) == 3 and all(r["tls"]["version"] == "TLSv1.3" for r in implicit)
    still_serving(s)
