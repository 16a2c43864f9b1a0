"""Errors: bad command lines (exit 2) and targets that cannot be scanned (exit 3).

Each error is one stderr line starting with "mailtls: ", and the JSON, when
asked for, is still written and holds the error. No run may crash or hang:
run_mailtls already fails on a signal or a sanitizer report."""

import socket
import time

import pytest

from conftest import endpoint, stderr_error_line


def run_timed(run_json, *args, timeout):
    t0 = time.monotonic()
    rc, doc, err = run_json(*args, timeout=timeout)
    return rc, doc, err, time.monotonic() - t0


def endpoint_error(doc):
    ep = endpoint(doc)
    assert ep["errors"], "endpoint has no error: %r" % ep
    return ep, ep["errors"][0]


# -------------------------------------------------------------- exit 3: cannot scan

def test_unresolvable_host(run_mailtls, run_json):
    rc, out, err = run_mailtls("check", "--implicit", "nonexistent.invalid:465")
    assert rc == 3
    assert "nonexistent.invalid" in stderr_error_line(err)

    rc, doc, err = run_json("check", "--implicit", "nonexistent.invalid:465")
    assert rc == 3
    assert "nonexistent.invalid" in stderr_error_line(err)
    # a resolve failure is a run-level error: no address, so no endpoint
    assert "resolve" in [e["stage"] for e in doc["errors"]], doc


def test_connection_refused(run_json, closed_port):
    rc, doc, err = run_json("check", "--implicit", "127.0.0.1:%d" % closed_port)
    assert rc == 3
    line = stderr_error_line(err)
    assert str(closed_port) in line, "the error should say what was refused: " + line
    ep, e = endpoint_error(doc)
    assert (e["stage"], e["category"]) == ("connect", "connect")
    assert ep["tls"] is None
    assert ep["address"] == "127.0.0.1" and ep["port"] == closed_port


@pytest.mark.parametrize("opts,limit_s", [
    # read deadline: the server says nothing for 1 s
    (["--read-timeout", "1", "--timeout", "3"], 30),
    # fractional read deadline (a parser that truncates 0.5 to 0 or ignores it
    # falls back to the 60 s total and trips the limit)
    (["--read-timeout", "0.5"], 30),
    # total deadline: must end the probe long before the 15 s read default
    (["--timeout", "1"], 10),
])
def test_silent_server_times_out(run_json, fake_server, opts, limit_s):
    port = fake_server("silent")
    rc, doc, err, took = run_timed(run_json, "check", "--implicit", *opts,
                                   "127.0.0.1:%d" % port, timeout=limit_s)
    assert rc == 3
    stderr_error_line(err)
    ep, e = endpoint_error(doc)
    assert e["category"] == "timeout", e
    assert ep["tls"] is None
    assert took < limit_s


def test_connect_timeout_accepts_fraction(run_json, closed_port):
    rc, doc, err = run_json("check", "--implicit", "--connect-timeout", "0.5",
                            "127.0.0.1:%d" % closed_port)
    assert rc == 3, "a fractional --connect-timeout is valid; got: " + err
    assert endpoint_error(doc)[1]["stage"] == "connect"


@pytest.mark.parametrize("mode", ["close", "garbage", "truncated"])
def test_broken_handshake(run_json, fake_server, mode):
    port = fake_server(mode)
    rc, doc, err = run_json("check", "--implicit", "--timeout", "20", "127.0.0.1:%d" % port)
    assert rc == 3
    lines = [l for l in err.splitlines() if l.strip()]
    assert lines and all(l.startswith("mailtls: error: ") for l in lines), err
    assert ": tls: " in lines[0], err
    ep = endpoint(doc)
    e = ep["errors"][0]
    assert e["stage"] == "tls", e
    assert e["category"] != "timeout", "the server closed or spoke garbage; no need to wait"
    assert ep["tls"] is None
    if mode == "garbage":
        # not TLS at all: nothing more to learn from this server
        assert ep["stats"]["connections"] == 1 and ep["protocols"] == []
    else:
        # A close: an SSLv2- or SSLv3-only server refuses that way too, so
        # raw hellos look. But this server closes every connection, also
        # the same hello tried again after a pause, and answers none: a
        # refusal cannot be told from throttling. Every version is
        # unknown with the reason, never "not offered", and one error
        # says so. Each version: its first round, once more, no more; and
        # the four side handshakes (second certificate, two resumptions,
        # renegotiation), which fail the same way.
        assert [p["offered"] for p in ep["protocols"]] == [None] * 6, ep["protocols"]
        assert all("closed" in p["reason"] for p in ep["protocols"]), ep["protocols"]
        assert [x["stage"] for x in ep["errors"]] == ["tls", "enumerate"], ep["errors"]
        assert ep["grade"] is None
        # The vulnerability battery tries too (the server might be an
        # SSLv3-only one), one connection per probe, and can tell nothing:
        # unknown, never safe.
        vulns = ep["vulnerabilities"]
        battery = sum(v["connections"] for v in vulns if v["id"] != "client-renegotiation")
        assert battery <= 12, [(v["id"], v["connections"]) for v in vulns]
        for v in vulns:
            if v["connections"]:
                assert v["verdict"] == "unknown", v
        assert 1 + 6 <= ep["stats"]["connections"] - battery <= 1 + 2 * 6 + 4


@pytest.mark.parametrize("which", ["missing", "garbage"])
def test_unreadable_ca_file(pki, sserver, run_mailtls, run_json, tmp_path, which):
    path = tmp_path / "no-such-ca.pem" if which == "missing" else pki.garbage_ca
    srv = sserver("good")
    target = "localhost:%d" % srv.port
    rc, out, err = run_mailtls("check", "--implicit", "--ip", "127.0.0.1", "--ca-file", path,
                               target)
    assert rc == 3
    assert str(path) in stderr_error_line(err)

    rc, doc, err = run_json("check", "--implicit", "--ip", "127.0.0.1", "--ca-file", path,
                            target)
    assert rc == 3
    assert str(path) in stderr_error_line(err)
    assert any(str(path) in e["message"] for e in doc["errors"]), doc["errors"]


def test_implicit_port_needs_no_flag(run_json):
    """465 is implicit TLS by itself: no 'STARTTLS not implemented' refusal."""
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 465)) == 0:
            pytest.skip("something listens on 127.0.0.1:465")
    rc, doc, err = run_json("check", "127.0.0.1:465")
    assert rc == 3, err
    ep, e = endpoint_error(doc)
    assert ep["mode"] == "implicit" and e["stage"] == "connect"


# -------------------------------------------------------------- exit 2: usage

@pytest.mark.parametrize("target", ["localhost:0", "localhost:70000", "localhost:abc",
                                    "[::1", "[::1]:", "localhost:", "127.0.0.1:-1", ""])
def test_invalid_target(run_mailtls, target):
    rc, out, err = run_mailtls("check", "--implicit", target)
    assert rc == 2
    stderr_error_line(err)
    assert out == ""


def test_invalid_target_json_still_written(run_json):
    rc, doc, err = run_json("check", "--implicit", "localhost:70000")
    assert rc == 2
    stderr_error_line(err)
    assert doc["schema"] == "mailtls/1"
    assert doc["errors"] and doc["endpoints"] == []


@pytest.mark.parametrize("args", [
    ["check", "--implicit", "--no-such-option", "localhost:465"],
    ["check", "--implicit"],                                   # no target
    ["no-such-command", "localhost:465"],
    [],
    ["check", "--implicit", "--fail-on", "severe", "localhost:465"],
    ["check", "--implicit", "--connect-timeout", "abc", "localhost:465"],
    ["check", "--implicit", "--read-timeout", "-1", "localhost:465"],
    ["check", "--implicit", "--timeout", "", "localhost:465"],
    ["check", "--implicit", "--max-conns-per-host", "x", "localhost:465"],
    ["check", "--implicit", "--ip", "not-an-address", "localhost:465"],
    ["check", "--implicit", "--sni"],                           # missing value
])
def test_usage_errors(run_mailtls, args):
    rc, out, err = run_mailtls(*args)
    assert rc == 2
    stderr_error_line(err)


# -------------------------------------------------------------- STARTTLS mode

def port_in_use(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


# Every port that implies a STARTTLS protocol (mailtls check --help).
STARTTLS_PORTS = [(25, "smtp"), (587, "smtp"), (2525, "smtp"), (24, "lmtp"), (143, "imap"),
                  (110, "pop3"), (4190, "sieve"), (21, "ftp"), (5222, "xmpp"),
                  (5269, "xmpp-server"), (389, "ldap"), (119, "nntp"), (5432, "postgres"),
                  (3306, "mysql")]


@pytest.mark.parametrize("target,port,proto",
                         [("127.0.0.1:%d" % p, p, proto) for p, proto in STARTTLS_PORTS]
                         + [("127.0.0.1", 25, "smtp")])   # the port defaults to 25
def test_starttls_port_is_scanned(run_json, target, port, proto):
    """A port that implies STARTTLS is scanned with that protocol (no flag)."""
    if port_in_use(port):
        pytest.skip("something listens on 127.0.0.1:%d" % port)
    rc, doc, err = run_json("check", "--quick", "--connect-timeout", "5", target)
    assert rc == 3, err
    stderr_error_line(err)
    ep, e = endpoint_error(doc)
    assert (ep["mode"], ep["starttls"], ep["port"]) == ("starttls", proto, port)
    assert (e["stage"], e["category"]) == ("connect", "connect"), e
    assert ep["tls"] is None
    # nothing was said: the dialogue never started
    assert ep["transcript"] == []


@pytest.mark.parametrize("proto", sorted(set(p for _, p in STARTTLS_PORTS)))
def test_starttls_flag_on_any_port(run_json, closed_port, proto):
    rc, doc, err = run_json("check", "--quick", "--starttls", proto,
                            "127.0.0.1:%d" % closed_port)
    assert rc == 3, err
    ep, e = endpoint_error(doc)
    assert (ep["mode"], ep["starttls"]) == ("starttls", proto)
    assert (e["stage"], e["category"]) == ("connect", "connect"), e


def test_starttls_flag_overrides_implicit_port(run_json):
    """--starttls smtp on 465: the flag wins over the port's usual mode."""
    if port_in_use(465):
        pytest.skip("something listens on 127.0.0.1:465")
    rc, doc, err = run_json("check", "--quick", "--starttls", "smtp", "127.0.0.1:465")
    assert rc == 3, err
    ep, e = endpoint_error(doc)
    assert (ep["mode"], ep["starttls"]) == ("starttls", "smtp")


@pytest.mark.parametrize("name", ["gopher", "SMTPS", "", "smtp "])
def test_unknown_starttls_protocol(run_mailtls, run_json, name):
    rc, out, err = run_mailtls("check", "--starttls", name, "localhost:25")
    assert rc == 2
    line = stderr_error_line(err)
    assert "unknown protocol" in line, line
    # the message lists every known protocol
    for _, proto in STARTTLS_PORTS:
        assert proto in line, line
    assert out == ""
    rc, doc, err = run_json("check", "--starttls", name, "localhost:25")
    assert rc == 2
    assert doc["endpoints"] == [] and doc["errors"][0]["stage"] == "target", doc


def test_starttls_without_protocol(run_mailtls):
    rc, out, err = run_mailtls("check", "localhost:25", "--starttls")
    assert rc == 2
    stderr_error_line(err)


def test_implicit_and_starttls_exclude_each_other(run_mailtls):
    rc, out, err = run_mailtls("check", "--implicit", "--starttls", "smtp", "localhost:25")
    assert rc == 2
    line = stderr_error_line(err)
    assert "--implicit" in line and "--starttls" in line, line


@pytest.mark.parametrize("port", [12345, 80, 443, 8025])
def test_port_without_usual_mode(run_mailtls, run_json, port):
    rc, out, err = run_mailtls("check", "localhost:%d" % port)
    assert rc == 2
    line = stderr_error_line(err)
    assert "port %d" % port in line and "--implicit" in line and "--starttls" in line, line
    rc, doc, err = run_json("check", "localhost:%d" % port)
    assert rc == 2
    assert doc["endpoints"] == [] and doc["errors"], doc


def test_implicit_flag_on_starttls_port(run_json):
    """--implicit on 143 is allowed: the port only decides without a flag."""
    if port_in_use(143):
        pytest.skip("something listens on 127.0.0.1:143")
    rc, doc, err = run_json("check", "--quick", "--implicit", "127.0.0.1:143")
    assert rc == 3, err
    ep, e = endpoint_error(doc)
    assert ep["mode"] == "implicit" and e["stage"] == "connect"
