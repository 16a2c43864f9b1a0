"""`mailtls serve`, the receiving test server, driven by real senders.

Every test starts its own `mailtls serve` on 127.0.0.1:0 (the port it
prints), with a fresh throw-away CA (--ca-out) and a JSON log (--log), and
stops it with SIGTERM at the end: it must exit 0 with no sanitizer report.

References, independent of serve's own account:
  - `openssl s_client -starttls smtp` (and implicit): version, cipher, group
  - swaks, with and without --tls: its transcript of what serve answered
  - `mailtls check`: what the scanner sees of a profile (--tls-max)
  - a real Postfix (tests/integ/postfix.py) relaying to serve with
    smtp_tls_security_level none, may, encrypt: its maillog
  - /proc/net/tcp{,6} and /proc/net/udp{,6}: the sockets serve holds
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (OPENSSL, REPO, SANITIZER_RE, endpoint, ipv6_loopback_usable,
                      mailtls_path)
from serveproc import Serve, SmtpClient as Smtp

SWAKS = shutil.which("swaks")
needs_swaks = pytest.mark.skipif(SWAKS is None, reason="swaks is not installed "
                                 "(scripts/install-deps installs it)")

# s_client prints TLSv1 where mailtls (and the rest of the project) says TLSv1.0.
def proto_name(v):
    return "TLSv1.0" if v == "TLSv1" else v


# --------------------------------------------------------------------------
# the server under test: Serve (serveproc.py)


@pytest.fixture
def serve(tmp_path):
    """serve(*args, listen=1, implicit=0) -> a running Serve; stopped (and
    checked: exit 0, no sanitizer report) at teardown."""
    started = []

    def start(*args, **kw):
        s = Serve(tmp_path / ("serve%d" % len(started)), args, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        if not s.stopped:
            rc, lines = s.stop()
            assert rc == 0, "serve exited %d\n%s\n%s" % (rc, "\n".join(lines), s.stderr())


# --------------------------------------------------------------------------
# clients


_NEW = re.compile(r"^New, (\S+), Cipher is (\S+)", re.M)
_TEMP = re.compile(r"^Server Temp Key: ([^,\s]+)", re.M)
_VERIFY = re.compile(r"^\s*Verify return code: (\d+)", re.M)


def s_client(port, ca, starttls=True, extra=()):
    """`openssl s_client [-starttls smtp]` -> (protocol, cipher, temp key,
    verify code, full output)."""
    argv = [OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", str(ca),
            "-servername", "localhost", "-verify_hostname", "localhost"]
    if starttls:
        argv += ["-starttls", "smtp"]
    argv += list(extra)
    p = subprocess.run(argv, input=b"", capture_output=True, timeout=30)
    out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    m = _NEW.search(out)
    t = _TEMP.search(out)
    v = _VERIFY.search(out)
    return (m and m.group(1), m and m.group(2), t and t.group(1), v and int(v.group(1)), out)


def swaks(port, *args, timeout=60):
    p = subprocess.run([SWAKS, "--server", "127.0.0.1:%d" % port, "--hide-informational"]
                       + [str(a) for a in args],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def swaks_data_size(transcript):
    """The body as swaks sent it (its " -> " / " ~> " lines between the 354
    and the "."), unstuffed, each with its CRLF: what serve must count."""
    lines, inside = [], False
    for l in transcript.splitlines():
        if re.match(r"^<[-~]  354 ", l):
            inside = True
            continue
        m = re.match(r"^ [-~]> ?(.*)$", l)
        if inside and m:
            text = m.group(1)
            if text == ".":
                return sum(len(x.encode()) + 2 for x in lines)
            lines.append(text[1:] if text.startswith(".") else text)
    raise AssertionError("no DATA in the swaks transcript:\n" + transcript)


# --------------------------------------------------------------------------
# start-up, certificate, stop


def test_startup_lines_ca_and_stop(serve):
    s = serve(implicit=1)
    lines = s.wait_lines(lambda ls: True)
    assert lines[0].startswith('certificate generated subject="CN=localhost,O=mailtls serve" '
                               'issuer="CN=mailtls serve throw-away CA ')
    assert lines[0].endswith('names="DNS:localhost IP:127.0.0.1 IP:::1"')
    assert lines[1] == "ca-out %s" % s.ca
    assert lines[2] == "listening 127.0.0.1:%d starttls" % s.port
    assert lines[3] == "listening 127.0.0.1:%d implicit" % s.iport
    assert s.port != s.iport and s.port > 0
    # The CA file is a CA, and it verifies the leaf for localhost and 127.0.0.1.
    text = subprocess.run([OPENSSL, "x509", "-in", str(s.ca), "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert "CA:TRUE" in text
    proto, cipher, _, code, out = s_client(s.port, s.ca, extra=["-verify_return_error"])
    assert code == 0, out
    _, _, _, code, out = s_client(s.iport, s.ca, starttls=False,
                                  extra=["-verify_return_error", "-verify_ip", "127.0.0.1"])
    assert code == 0, out
    rc, lines = s.stop()
    assert rc == 0
    assert lines[-1] == "stopped reason=sigterm sessions=2 messages=0"


def test_sigint_stops_open_sessions_with_421(serve):
    s = serve()
    c = Smtp(s.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO c.example")[0] == 250
    s.proc.send_signal(signal.SIGINT)
    code, lines = c.reply()
    assert code == 421 and lines[0].startswith("421 4.3.2 ")
    assert c.closed()
    rc, out = s.stop(sig=None)
    assert rc == 0
    assert out[-1] == "stopped reason=sigint sessions=1 messages=0"
    assert s.records(1)[0]["end"] == "server-stopped"


# --------------------------------------------------------------------------
# openssl s_client


@pytest.mark.parametrize("profile,extra,want_proto,want_cipher", [
    ("default", [], "TLSv1.3", None),
    ("tls12", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"], "TLSv1.2",
     "ECDHE-RSA-AES128-GCM-SHA256"),
    ("tls12-dhe", ["-tls1_2", "-cipher", "DHE-RSA-AES256-GCM-SHA384"], "TLSv1.2",
     "DHE-RSA-AES256-GCM-SHA384"),
])
def test_s_client_starttls(serve, profile, extra, want_proto, want_cipher):
    s = serve()
    proto, cipher, temp, code, out = s_client(s.port, s.ca, extra=extra)
    assert proto == want_proto, out
    if want_cipher:
        assert cipher == want_cipher
    assert code == 0
    rec = s.records(1)[0]
    assert rec["starttls"] == {"offered": True, "used": True, "pipelined_bytes": 0}
    assert rec["tls"]["version"] == proto_name(proto)
    assert rec["tls"]["cipher_openssl"] == cipher
    assert rec["tls"]["sni"] == "localhost"
    assert rec["tls"]["error"] is None
    if temp == "X25519":
        assert rec["tls"]["group"] == "X25519"
    elif temp == "DH":
        assert rec["tls"]["group"].startswith("DH ") or rec["tls"]["group"].startswith("ffdhe")
    line = s.session_lines(1)[0]
    assert " starttls=yes tls=%s cipher=%s " % (proto_name(proto), rec["tls"]["cipher"]) in line
    assert line.endswith("end=client-closed")


def test_s_client_implicit_and_profile_refusal(serve):
    s = serve("--tls-min", "TLSv1.3", listen=0, implicit=1)
    proto, cipher, _, code, out = s_client(s.iport, s.ca, starttls=False)
    assert (proto, code) == ("TLSv1.3", 0), out
    # A sender limited to TLS 1.2 fails against --tls-min TLSv1.3; the record
    # says what it offered and why it failed.
    proto2, _, _, _, out2 = s_client(s.iport, s.ca, starttls=False, extra=["-tls1_2"])
    assert proto2 is None or proto2 == "(NONE)", out2
    recs = s.records(2)
    assert recs[0]["mode"] == "implicit" and recs[0]["tls"]["version"] == "TLSv1.3"
    assert recs[0]["tls"]["cipher_openssl"] == cipher
    assert recs[1]["end"] == "tls-failed"
    assert recs[1]["tls"]["version"] is None
    assert recs[1]["tls"]["offered_max_version"] == "TLSv1.2"
    assert recs[1]["tls"]["error"] == "TLS handshake failed: unsupported protocol"
    assert "tls=failed" in s.session_lines(2)[1]


def test_client_certificate_is_recorded(serve, pki):
    s = serve("--ask-client-cert")
    leaf = pki.leaf("good")
    proto, _, _, _, out = s_client(s.port, s.ca, extra=["-cert", leaf.cert, "-key", leaf.key])
    assert proto == "TLSv1.3", out
    rec = s.records(1)[0]
    assert rec["tls"]["client_cert"] == {"subject": leaf.info["subject"],
                                         "issuer": leaf.info["issuer"]}
    assert "client-cert=CN=localhost" in s.session_lines(1)[0]


def test_cert_and_key_from_files(serve, pki):
    leaf = pki.leaf("good")
    s = Serve(pki.dir / ("files-%d" % time.monotonic_ns()),
              ["--cert", leaf.cert, "--key", leaf.key], ca=False)
    try:
        lines = s.wait_lines(lambda ls: True)
        assert lines[0].startswith('certificate loaded subject="%s"' % leaf.info["subject"])
        _, _, _, code, out = s_client(s.port, pki.ca, extra=["-verify_return_error"])
        assert code == 0, out
        # The generated CA would not verify it.
        _, _, _, code, _ = s_client(s.port, pki.other_ca)
        assert code != 0
    finally:
        rc, _ = s.stop()
    assert rc == 0


# --------------------------------------------------------------------------
# swaks


@needs_swaks
def test_swaks_clear_text(serve, tmp_path):
    s = serve()
    data = tmp_path / "msg.txt"
    data.write_text("Subject: plain\n\n.leading dot\nend\n")
    rc, out = swaks(s.port, "--from", "sender@example.org", "--to", "rcpt@external.example",
                    "--data", "@%s" % data)
    assert rc == 0, out
    assert "<-  250 2.0.0 received in clear text; discarded" in out
    rec = s.records(1)[0]
    assert rec["starttls"]["offered"] is True and rec["starttls"]["used"] is False
    assert rec["tls"] is None
    assert rec["helo"]["verb"] == "EHLO"
    m = rec["messages"]
    assert len(m) == 1 and m[0]["accepted"] and not m[0]["tls"]
    assert m[0]["from"] == "sender@example.org"
    assert m[0]["rcpts"] == ["rcpt@external.example"]
    assert m[0]["size"] == swaks_data_size(out)
    assert m[0]["reply"] == "250 2.0.0 received in clear text; discarded"
    assert rec["end"] == "quit" and rec["errors"] == 0
    line = s.session_lines(1)[0]
    assert " starttls=no tls=none from=<sender@example.org> to=<rcpt@external.example> " in line


@needs_swaks
@pytest.mark.parametrize("extra,want_proto,want_cipher", [
    ([], "TLSv1.3", None),
    (["--tls-protocol", "tlsv1_2", "--tls-cipher", "ECDHE-RSA-AES256-GCM-SHA384"], "TLSv1.2",
     "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
])
def test_swaks_starttls(serve, extra, want_proto, want_cipher):
    s = serve()
    rc, out = swaks(s.port, "--tls", "--tls-verify", "--tls-ca-path", s.ca, "--from",
                    "a@example.org", "--to", "b@example.net", *extra)
    assert rc == 0, out
    rec = s.records(1)[0]
    assert rec["starttls"]["used"] is True
    tls = rec["tls"]
    assert tls["version"] == want_proto
    if want_cipher:
        assert tls["cipher"] == want_cipher
    # What swaks was told at the end of DATA names what was logged.
    assert "<~  250 2.0.0 received over %s %s; discarded" % (tls["version"], tls["cipher"]) in out
    assert rec["messages"][0]["tls"] is True
    assert rec["messages"][0]["size"] == swaks_data_size(out)


@needs_swaks
def test_swaks_require_tls(serve):
    s = serve("--require-tls")
    rc, out = swaks(s.port, "--from", "a@example.org", "--to", "b@example.net")
    assert rc != 0
    assert "<** 530 5.7.0 Must issue a STARTTLS command first" in out
    rc, out = swaks(s.port, "--tls", "--from", "a@example.org", "--to", "b@example.net")
    assert rc == 0, out
    recs = s.records(2)
    assert recs[0]["messages"] == [] and recs[0]["errors"] >= 1
    assert recs[1]["messages"][0]["accepted"] and recs[1]["starttls"]["used"]


def test_require_tls_raw(serve):
    s = serve("--require-tls")
    c = Smtp(s.port)
    c.reply()
    c.cmd("EHLO c.example")
    assert c.cmd("MAIL FROM:<a@b.example>") == (530, ["530 5.7.0 Must issue a STARTTLS command first"])
    assert c.cmd("RCPT TO:<a@b.example>")[0] == 530
    assert c.cmd("DATA")[0] == 530
    assert c.cmd("STARTTLS")[0] == 220
    c.starttls(s.ca)
    code, lines = c.cmd("EHLO c.example")
    assert code == 250 and "STARTTLS" not in lines[-1] and all("STARTTLS" not in l for l in lines)
    assert c.cmd("MAIL FROM:<a@b.example>") == (250, ["250 2.1.0 Ok"])
    c.close()


def test_no_starttls(serve):
    s = serve("--no-starttls")
    c = Smtp(s.port)
    c.reply()
    code, lines = c.cmd("EHLO c.example")
    assert code == 250 and not any("STARTTLS" in l for l in lines)
    assert c.cmd("STARTTLS") == (502, ["502 5.5.1 Error: command not implemented"])
    c.close()
    proto, _, _, _, out = s_client(s.port, s.ca)
    assert proto is None or proto == "(NONE)"


def test_starttls_pipelined_bytes_are_dropped(serve):
    """RFC 3207 4.2 / CVE-2011-0411: what follows STARTTLS in the same segment
    is dropped, never answered inside TLS."""
    s = serve()
    c = Smtp(s.port)
    c.reply()
    c.cmd("EHLO c.example")
    injected = b"MAIL FROM:<inject@evil.example>\r\n"
    c.send(b"STARTTLS\r\n" + injected)
    assert c.reply() == (220, ["220 2.0.0 Ready to start TLS"])
    c.starttls(s.ca)
    # Had the injected MAIL been taken, this would be "503 nested MAIL".
    c.cmd("EHLO c.example")
    assert c.cmd("MAIL FROM:<real@example.org>")[0] == 250
    assert c.cmd("QUIT")[0] == 221
    c.close()
    rec = s.records(1)[0]
    assert rec["starttls"]["pipelined_bytes"] == len(injected)
    assert [m["from"] for m in rec["messages"]] == ["real@example.org"]
    assert "pipelined-after-starttls=%d" % len(injected) in s.session_lines(1)[0]


# --------------------------------------------------------------------------
# mailtls check against serve


@pytest.mark.parametrize("args,want", [((), "TLSv1.3"), (("--tls-max", "TLSv1.2"), "TLSv1.2")])
def test_check_sees_profile(serve, run_json, args, want):
    s = serve(*args)
    rc, doc, err = run_json("check", "--starttls", "smtp", "--ca-file", s.ca, "--ip",
                            "127.0.0.1", "localhost:%d" % s.port, timeout=120)
    assert rc in (0, 1), err
    ep = endpoint(doc)
    assert ep["tls"]["version"] == want
    assert ep["tls"]["verify"]["code"] == 0
    offered = {p["name"]: p["offered"] for p in ep["protocols"]}
    assert offered["TLSv1.3"] is (want == "TLSv1.3")
    assert offered["TLSv1.2"] is True
    assert ep["dialogue"]["greeting"].startswith("localhost ESMTP mailtls serve")
    # serve logged the check's full handshake with the same version and cipher.
    s.session_lines(1)
    recs = s.records(1)
    full = [r for r in recs if r["tls"] and r["tls"]["version"] == want
            and r["tls"]["cipher"] == ep["tls"]["cipher"]]
    assert full, recs[:3]


# --------------------------------------------------------------------------
# limits


def test_line_too_long(serve):
    s = serve()
    c = Smtp(s.port)
    c.reply()
    c.cmd("EHLO c.example")
    assert c.cmd("NOOP " + "A" * 2000) == (500, ["500 5.5.2 Error: line too long"])
    # The session goes on.
    assert c.cmd("NOOP") == (250, ["250 2.0.0 Ok"])
    # --max-line counts the CRLF: 998 + 2 passes, 999 + 2 does not.
    assert c.cmd("NOOP " + "B" * 993)[0] == 250
    assert c.cmd("NOOP " + "B" * 994)[0] == 500
    c.cmd("QUIT")
    rec = s.records(1)[0]
    assert rec["errors"] == 2


def test_message_too_big(serve):
    s = serve("--max-size", "1000")
    c = Smtp(s.port)
    c.reply()
    code, lines = c.cmd("EHLO c.example")
    assert "250-SIZE 1000" in lines
    assert c.cmd("MAIL FROM:<a@b.example> SIZE=1001")[1] == [
        "552 5.3.4 Error: message size exceeds the fixed maximum message size"]
    assert c.cmd("MAIL FROM:<a@b.example> SIZE=900")[0] == 250
    assert c.cmd("RCPT TO:<x@y.example>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.send(("x" * 98 + "\r\n") * 11 + ".\r\n")
    assert c.reply() == (552, ["552 5.3.4 Error: message too big"])
    # Exactly the limit passes.
    c.cmd("MAIL FROM:<a@b.example>")
    c.cmd("RCPT TO:<x@y.example>")
    c.cmd("DATA")
    c.send(("x" * 98 + "\r\n") * 10 + ".\r\n")
    assert c.reply()[0] == 250
    c.cmd("QUIT")
    rec = s.records(1)[0]
    assert [m["size"] for m in rec["messages"]] == [1100, 1000]
    assert [m["accepted"] for m in rec["messages"]] == [False, True]


def test_big_message_at_line_rate(serve):
    """A 7.8 MB body sent at once: no input cap is hit, every byte counted."""
    s = serve()
    c = Smtp(s.port, timeout=120)
    c.reply()
    c.cmd("EHLO c.example")
    c.cmd("MAIL FROM:<a@b.example> SIZE=8000000")
    c.cmd("RCPT TO:<x@y.example>")
    assert c.cmd("DATA")[0] == 354
    body = (b"y" * 76 + b"\r\n") * 100000
    c.send(body + b".\r\n")
    assert c.reply() == (250, ["250 2.0.0 received in clear text; discarded"])
    c.cmd("QUIT")
    assert s.records(1)[0]["messages"][0]["size"] == len(body)


def test_too_many_recipients(serve):
    s = serve("--max-rcpt", "2")
    c = Smtp(s.port)
    c.reply()
    c.cmd("EHLO c.example")
    c.cmd("MAIL FROM:<a@b.example>")
    assert c.cmd("RCPT TO:<1@y.example>")[0] == 250
    assert c.cmd("RCPT TO:<2@y.example>")[0] == 250
    assert c.cmd("RCPT TO:<3@y.example>") == (452, ["452 4.5.3 Error: too many recipients"])
    c.close()


def test_too_many_sessions(serve):
    s = serve("--max-sessions", "2")
    a, b = Smtp(s.port), Smtp(s.port)
    assert a.reply()[0] == 220 and b.reply()[0] == 220
    c = Smtp(s.port)
    code, lines = c.reply()
    assert code == 421 and lines[0].startswith("421 4.7.0 localhost ")
    assert c.closed()
    a.cmd("QUIT")
    assert a.closed()
    # A slot is free again.
    s.session_lines(2)
    d = Smtp(s.port)
    assert d.reply()[0] == 220
    for x in (b, d):
        x.cmd("QUIT")
    ends = sorted(r["end"] for r in s.records(4))
    assert ends == ["quit", "quit", "quit", "too-many-sessions"]


def test_too_many_errors(serve):
    s = serve("--max-errors", "3")
    c = Smtp(s.port)
    c.reply()
    c.send("BOGUS1\r\nBOGUS2\r\nBOGUS3\r\nNOOP\r\n")
    assert [c.reply()[0] for _ in range(4)] == [500, 500, 500, 421]
    assert c.closed()
    assert s.records(1)[0]["end"] == "too-many-errors"


def test_slow_sender_idle_timeout(serve):
    s = serve("--idle-timeout", "1")
    c = Smtp(s.port)
    t0 = time.monotonic()
    c.reply()
    c.cmd("EHLO slow.example")
    code, lines = c.reply()
    waited = time.monotonic() - t0
    assert code == 421 and lines[0] == "421 4.4.2 localhost Error: timeout exceeded"
    assert 0.9 <= waited < 5
    assert c.closed()
    assert s.records(1)[0]["end"] == "idle-timeout"


def test_session_timeout(serve):
    s = serve("--session-timeout", "1.5", "--idle-timeout", "10")
    c = Smtp(s.port)
    t0 = time.monotonic()
    c.reply()
    # A sender that is never idle still meets the session limit.
    while True:
        code, lines = c.cmd("NOOP")
        if code != 250:
            break
        time.sleep(0.2)
    assert code == 421 and lines[0].startswith("421 4.4.2 ")
    assert 1.4 <= time.monotonic() - t0 < 5
    assert s.records(1)[0]["end"] == "session-timeout"


# --------------------------------------------------------------------------
# never a relay, never an outbound connection


def _hexaddr(s):
    ip, port = s.split(":")
    return ip, int(port, 16)


def serve_sockets(pid):
    """(proto, local port, remote port, state) of every socket pid holds."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:["):
            inodes.add(t[8:-1])
    out = []
    for proto in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
        try:
            rows = Path("/proc/net/%s" % proto).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if f[9] in inodes:
                out.append((proto, _hexaddr(f[1])[1], _hexaddr(f[2])[1], f[3]))
    return out


def test_no_outbound_connection(serve):
    """Relaying attempts go into the sink: accepted, counted, dropped. serve
    holds no socket but its listeners and its accepted clients."""
    s = serve(implicit=1)
    ports = {s.port, s.iport}
    c = Smtp(s.port)
    c.reply()
    c.cmd("EHLO relay-tester.example")
    c.cmd("MAIL FROM:<spammer@example.org>")
    for rcpt in ("victim@gmail.com", "someone@example.com", "postmaster@[192.0.2.1]",
                 "@relay.example:user@elsewhere.example", "user%other.example@localhost"):
        assert c.cmd("RCPT TO:<%s>" % rcpt)[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: relay me\r\n\r\nplease\r\n.\r\n")
    assert c.reply()[0] == 250
    time.sleep(0.3)
    socks = serve_sockets(s.proc.pid)
    tcp = [x for x in socks if x[0].startswith("tcp")]
    listening = sorted(x[1] for x in tcp if x[3] == "0A")
    assert listening == sorted(ports)
    accepted = [x for x in tcp if x[3] != "0A"]
    assert accepted, socks  # the open client session
    for proto, lport, rport, st in accepted:
        assert lport in ports, "a connection not on a listening port: %r" % (socks,)
    assert not [x for x in socks if not x[0].startswith("tcp")], socks  # no DNS, no raw
    c.cmd("QUIT")
    rec = s.records(1)[0]
    assert rec["messages"][0]["rcpts"][0] == "victim@gmail.com"
    assert rec["messages"][0]["accepted"] is True
    # ss agrees: every connection of the process is on a serve port.
    p = subprocess.run(["ss", "-tanp"], capture_output=True, text=True)
    if p.returncode == 0:
        mine = [l for l in p.stdout.splitlines() if "pid=%d," % s.proc.pid in l]
        for l in mine:
            local = l.split()[3]
            assert int(local.rsplit(":", 1)[1]) in ports, l


# --------------------------------------------------------------------------
# hostile peers, IPv6, stopping by itself


def test_hostile_ehlo_is_escaped(serve):
    s = serve()
    c = Smtp(s.port)
    c.reply()
    c.send(b"EHLO evil\x1b[2J\x07\xff name\r\n")
    assert c.reply()[0] == 250
    c.cmd("QUIT")
    rec = s.records(1)[0]
    # JSON: invalid UTF-8 and controls as \xHH text; the log file itself is
    # plain ASCII.
    assert rec["helo"]["name"] == "evil\\x1B[2J\\x07\\xFF name"
    raw = s.log.read_bytes()
    assert all(0x20 <= b < 0x7f or b == 0x0a for b in raw)
    line = s.session_lines(1)[0]
    assert '\x1b' not in line and '\x07' not in line
    assert 'ehlo="evil\\x1B[2J\\x07\\xFF name"' in line


@pytest.mark.skipif(not ipv6_loopback_usable(), reason="no IPv6 loopback")
def test_ipv6_listener(tmp_path):
    s = Serve(tmp_path, ["--listen", "[::1]:0"], listen=0)
    try:
        assert s.listening == [("[::1]", s.port, "starttls")]
        port = s.port
        c = Smtp(port, host="::1", family=socket.AF_INET6)
        assert c.reply()[0] == 220
        c.cmd("QUIT")
        assert s.records(1)[0]["client"].startswith("[::1]:")
    finally:
        rc, _ = s.stop()
    assert rc == 0


@needs_swaks
def test_max_messages_stops_by_itself(tmp_path):
    s = Serve(tmp_path, ["--max-messages", "1"])
    rc, out = swaks(s.port, "--tls", "--from", "a@example.org", "--to", "b@example.net")
    assert rc == 0, out
    assert s.proc.wait(timeout=15) == 0
    rc, lines = s.stop()
    assert lines[-1] == "stopped reason=max-messages sessions=1 messages=1"


def test_exit_after(tmp_path):
    s = Serve(tmp_path, ["--exit-after", "0.5"])
    assert s.proc.wait(timeout=15) == 0
    rc, lines = s.stop()
    assert lines[-1].startswith("stopped reason=exit-after ")


@pytest.mark.parametrize("args,want", [
    (["--require-tls", "--no-starttls"], "--require-tls"),
    (["--listen", "nonsense"], "nonsense"),
    (["--listen", "mail.example:25"], "numeric"),
    (["--tls-min", "TLSv9"], "--tls-min"),
    (["--tls-min", "TLSv1.3", "--tls-max", "TLSv1.2"], "--tls-min"),
    (["--max-sessions", "0"], "--max-sessions"),
    (["--max-size", "12q"], "--max-size"),
    (["--hostname", "bad name"], "--hostname"),
    (["--key", "k.pem"], "--key"),
    (["--ciphers", "NO-SUCH-CIPHER"], "--ciphers"),
    (["extra-arg"], "extra-arg"),
])
def test_usage_errors(run_mailtls, args, want):
    rc, out, err = run_mailtls("serve", *args)
    assert rc == 2, err
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("mailtls: error: ") and want in lines[0]
    assert out == ""


def test_cannot_start(run_mailtls, tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        rc, out, err = run_mailtls("serve", "--listen", "127.0.0.1:%d" % port)
        assert rc == 3 and "127.0.0.1:%d" % port in err
    finally:
        busy.close()
    rc, out, err = run_mailtls("serve", "--cert", tmp_path / "missing.pem")
    assert rc == 3 and "missing.pem" in err


# --------------------------------------------------------------------------
# make demo


def test_demo(tmp_path):
    env = dict(os.environ, MAILTLS=str(mailtls_path()), DEMO_DIR=str(tmp_path / "demo"))
    p = subprocess.run([str(REPO / "scripts" / "demo")], capture_output=True, text=True,
                       env=env, timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stdout + p.stderr
    assert not SANITIZER_RE.search(p.stderr), p.stderr
    doc = json.loads((tmp_path / "demo" / "report.json").read_text())
    ep = endpoint(doc)
    assert ep["mode"] == "starttls" and ep["address"] == "127.0.0.1"
    assert ep["tls"]["version"] == "TLSv1.3"
    assert ep["tls"]["cipher"] == "TLS_AES_256_GCM_SHA384"
    assert ep["tls"]["verify"]["code"] == 0
    html = (tmp_path / "demo" / "report.html").read_text()
    assert "TLSv1.3" in html and "TLS_AES_256_GCM_SHA384" in html
    # The terminal report was printed, then what serve saw of the same check.
    assert "TLSv1.3, TLS_AES_256_GCM_SHA384" in p.stdout
    assert re.search(r"^  session \d+ client=127\.0\.0\.1:\d+ .* starttls=yes tls=TLSv1\.3 "
                     r"cipher=TLS_AES_256_GCM_SHA384 ", p.stdout, re.M)
    # The server was stopped: nothing listens on its port any more.
    port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", p.stdout).group(1))
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# --------------------------------------------------------------------------
# a real Postfix relaying to serve


try:
    import postfix as _postfix
    _postfix_why = _postfix.available()
except ImportError as e:  # the module is another part of the suite
    _postfix, _postfix_why = None, "tests/integ/postfix.py is missing: %s" % e
needs_postfix = pytest.mark.skipif(_postfix_why is not None, reason=_postfix_why or "")

# What a Postfix needs to queue and deliver over SMTP, besides the smtpd that
# postfix.py's instance already has (no chroot: everything is in a temp dir).
DELIVERY_SERVICES = """\
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
smtp unix - - n - - smtp
relay unix - - n - - smtp
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
scache unix - - n - 1 scache
"""

# "Untrusted TLS connection established to 127.0.0.1[127.0.0.1]:PORT:
#  TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) ..."
_PF_TLS_OUT = r"(\w+) TLS connection established to [^:]+:(\d+): (\S+) with cipher (\S+)"


if _postfix is not None:
    class RelayPostfix(_postfix.Postfix):
        """postfix.py's instance plus a queue manager and an SMTP client,
        relaying everything to relayhost."""

        def master_cf(self):
            return super().master_cf() + DELIVERY_SERVICES


def relay_through_postfix(s, level, name):
    """Send one message by SMTP to a fresh Postfix that relays to serve at
    smtp_tls_security_level `level`; -> (serve record, Postfix maillog)."""
    pf = RelayPostfix(name, main={
        "relayhost": "[127.0.0.1]:%d" % s.port,
        "smtp_tls_security_level": level,
        "smtp_tls_CAfile": s.ca,
        "smtp_tls_loglevel": "1",
        "smtp_connection_cache_on_demand": "no",
        "smtp_helo_name": "relay.mailtls.test",
        "smtpd_relay_restrictions": "permit_mynetworks, reject",
    })
    with pf:
        c = Smtp(pf.port, timeout=30)
        assert c.reply()[0] == 220
        assert c.cmd("EHLO sender.mailtls.test")[0] == 250
        assert c.cmd("MAIL FROM:<sender@mailtls.test>")[0] == 250
        assert c.cmd("RCPT TO:<user@external.example>")[0] == 250, pf.log()
        assert c.cmd("DATA")[0] == 354
        c.send("Subject: relayed by Postfix (%s)\r\n\r\nhello\r\n.\r\n" % level)
        assert c.reply()[0] == 250
        c.cmd("QUIT")
        c.close()
        pf.wait_log(r"status=(sent|deferred|bounced)", 1, 30)
        rec = s.records(1, timeout=30)[0]
        return rec, pf.log()


@needs_postfix
@pytest.mark.parametrize("level", ["none", "may", "encrypt"])
def test_postfix_relays_to_serve(serve, level):
    s = serve()
    rec, log = relay_through_postfix(s, level, "relay-" + level)
    assert re.search(r"status=sent \(250 2\.0\.0 received ", log), log
    assert rec["helo"] == {"verb": "EHLO", "name": "relay.mailtls.test"}
    assert rec["end"] == "quit"
    msg = rec["messages"][0]
    assert msg["accepted"] and msg["from"] == "sender@mailtls.test"
    assert msg["rcpts"] == ["user@external.example"]
    if level == "none":
        assert rec["starttls"]["used"] is False and rec["tls"] is None
        assert not re.search(_PF_TLS_OUT, log)
        assert "status=sent (250 2.0.0 received in clear text; discarded)" in log
        assert " starttls=no tls=none " in s.session_lines(1)[0]
    else:
        assert rec["starttls"]["used"] is True
        tls = rec["tls"]
        (trust, port, proto, cipher), = re.findall(_PF_TLS_OUT, log)
        assert int(port) == s.port
        # Postfix verified nothing at these levels, but the CA is loaded:
        # "Trusted" (chain ok, name not checked).
        assert trust == "Trusted"
        assert (tls["version"], tls["cipher_openssl"]) == (proto, cipher)
        assert ("status=sent (250 2.0.0 received over %s %s; discarded)"
                % (tls["version"], tls["cipher"])) in log
        assert msg["tls"] is True
        assert " starttls=yes tls=%s " % tls["version"] in s.session_lines(1)[0]


@needs_postfix
def test_postfix_may_with_tls12_server(serve):
    s = serve("--tls-max", "TLSv1.2")
    rec, log = relay_through_postfix(s, "may", "relay-tls12")
    assert rec["tls"]["version"] == "TLSv1.2"
    (_, _, proto, cipher), = re.findall(_PF_TLS_OUT, log)
    assert (proto, cipher) == ("TLSv1.2", rec["tls"]["cipher_openssl"])


@needs_postfix
def test_postfix_encrypt_refuses_server_without_starttls(serve):
    s = serve("--no-starttls")
    rec, log = relay_through_postfix(s, "encrypt", "relay-refused")
    # Postfix will not send in clear text: it says why and keeps the mail.
    assert "TLS is required, but was not offered" in log, log
    assert re.search(r"status=deferred", log)
    assert rec["starttls"] == {"offered": False, "used": False, "pipelined_bytes": 0}
    assert rec["messages"] == []
