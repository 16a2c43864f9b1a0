"""The SMTP/LMTP STARTTLS dialogue against scripted fakes (tests/fixtures/fake_smtp.py).

One fake per test, in this process, on a free loopback port, with the
conftest PKI's "good" leaf for the TLS part (so --ca-file pki.ca verifies
127.0.0.1 and no certificate finding gets in the way). Every dialogue
finding has a test where it appears and one where it is absent."""

import re
import sys
import time

import pytest

from conftest import FIXTURES, endpoint, finding_ids, stderr_error_line

sys.path.insert(0, str(FIXTURES))
import fake_smtp  # noqa: E402

EHLO = "client.example"
# These tests are about the dialogue of the one verified handshake: without
# enumeration each run is one connection (two for a follow-up), so the
# connection counts and the fake's command log can be asserted exactly.
QUICK = ["--quick"]

# Every finding the dialogue checks can produce (certificate ones aside).
DIALOGUE_FINDINGS = ["starttls-not-offered", "starttls-refused", "starttls-stripped",
                     "starttls-readvertised", "auth-before-tls", "auth-after-tls-only",
                     "pipelined-after-starttls", "capabilities-changed", "greeting-delay",
                     "server-throttled", "port-mode-mismatch"]


@pytest.fixture
def smtp(pki):
    """smtp(mode) -> a running fake_smtp.FakeSmtp, stopped after the test."""
    started = []

    def start(mode):
        leaf = pki.leaf("good")
        srv = fake_smtp.FakeSmtp(mode, leaf.cert, leaf.key)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()
    for srv in started:
        assert not srv.errors, "the fake itself failed: %r" % srv.errors


@pytest.fixture
def scan(pki, run_json):
    """scan(srv, *opts, proto="smtp", quick=True, timeout=60) -> (rc, doc, err, seconds)."""

    def run(srv, *opts, proto="smtp", quick=True, timeout=60):
        t0 = time.monotonic()
        args = ["check"] + (QUICK if quick else []) + ["--starttls", proto, "--ca-file",
                                                       pki.ca, "--ehlo", EHLO]
        rc, doc, err = run_json(*args, *opts, "127.0.0.1:%d" % srv.port, timeout=timeout)
        return rc, doc, err, time.monotonic() - t0

    return run


# ------------------------------------------------------------------ helpers

def lines(raw):
    return raw.decode("latin-1").split("\r\n")[:-1]


def hello_lines(mode, tls):
    return lines(fake_smtp.hello_reply(mode, tls))


def caps(mode, tls):
    return [c.decode() for c in fake_smtp.caps_for(mode, tls)]


def text(raw):
    return raw.decode()


def full_transcript(mode, verb="EHLO", greeting=fake_smtp.GREETING):
    """(dir, text) of a complete dialogue with a well-behaved fake."""
    t = [("S", text(greeting)), ("C", "%s %s" % (verb, EHLO))]
    t += [("S", l) for l in hello_lines(mode, False)]
    t += [("C", "STARTTLS"), ("S", text(fake_smtp.STARTTLS_OK)), ("C", "%s %s" % (verb, EHLO))]
    t += [("S", l) for l in hello_lines(mode, True)]
    t += [("C", "QUIT"), ("S", "221 2.0.0 Bye")]
    return t


def dir_text(ep):
    return [(l["dir"], l["text"]) for l in ep["transcript"]]


def the_finding(ep, fid):
    found = [f for f in ep["findings"] if f["id"] == fid]
    assert len(found) == 1, "expected one %s finding, got %r" % (fid, ep["findings"])
    return found[0]


def only_error(ep):
    assert len(ep["errors"]) == 1, "expected exactly one error: %r" % ep["errors"]
    return ep["errors"][0]


def assert_tls_done(ep):
    assert ep["tls"] is not None, "no TLS negotiated: %r" % ep["errors"]
    assert ep["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert ep["tls"]["verify"]["code"] == 0, ep["tls"]["verify"]
    assert ep["errors"] == []


# ------------------------------------------------------------------ a normal server

def test_normal_dialogue(smtp, scan):
    srv = smtp("normal")
    rc, doc, err, _ = scan(srv)
    assert rc == 0, err
    ep = endpoint(doc)
    assert (ep["mode"], ep["starttls"]) == ("starttls", "smtp")
    assert_tls_done(ep)
    g = ep["dialogue"]
    assert g["greeting_code"] == 220
    assert g["greeting"] == "fake.test ESMTP fake_smtp"
    assert 0 <= g["greeting_ms"] < 2000
    assert g["hello_code"] == 250
    assert g["capabilities"] == caps("normal", False) == ["PIPELINING", "SIZE 10240000",
                                                          "8BITMIME", "STARTTLS"]
    assert g["capabilities_tls"] == caps("normal", True)
    assert g["starttls_advertised"] is True
    assert g["starttls_masked"] is None
    assert g["starttls_sent"] is True
    assert g["starttls_ok"] is True
    assert g["starttls_code"] == 220
    assert g["starttls_reply"] == "2.0.0 Ready to start TLS"
    assert g["auth_clear"] is None and g["auth_tls"] is False
    assert g["preauth"] is False
    assert g["pipelined_bytes"] == 0
    assert g["throttled"] == 0
    assert g["silent"] is False and g["implicit_answered"] is False
    assert dir_text(ep) == full_transcript("normal")
    t = [l["t_ms"] for l in ep["transcript"]]
    assert t == sorted(t) and t[0] >= 0
    assert ep["stats"]["connections"] == 1 and srv.accepted == 1
    # what the server received, in order, with the --ehlo name
    assert srv.commands == [["EHLO " + EHLO, "STARTTLS", "EHLO " + EHLO, "QUIT"]]


@pytest.mark.parametrize("fid", DIALOGUE_FINDINGS)
def test_normal_server_has_no_dialogue_finding(smtp, scan, fid):
    """A server that does everything right: STARTTLS advertised and working,
    dropped from the EHLO reply inside TLS (RFC 3207 4.2 requires that),
    everything else the same."""
    rc, doc, err, _ = scan(smtp("normal"))
    ep = endpoint(doc)
    assert fid not in finding_ids(ep), [f for f in ep["findings"] if f["id"] == fid]
    assert rc == 0


# ------------------------------------------------------------------ framing and limits

def test_split_replies(smtp, scan):
    """Every reply byte by byte, one TCP segment each, in clear and in TLS."""
    srv = smtp("split")
    rc, doc, err, _ = scan(srv, timeout=60)
    assert rc == 0, err
    ep = endpoint(doc)
    assert_tls_done(ep)
    g = ep["dialogue"]
    assert g["greeting_code"] == 220 and g["greeting"] == "fake.test ESMTP fake_smtp"
    assert g["capabilities"] == caps("split", False)
    assert g["capabilities_tls"] == caps("split", True)
    assert g["starttls_advertised"] is True and g["starttls_code"] == 220
    assert g["pipelined_bytes"] == 0
    assert dir_text(ep) == full_transcript("split")
    assert srv.commands == [["EHLO " + EHLO, "STARTTLS", "EHLO " + EHLO, "QUIT"]]


def test_huge_ehlo_reply(smtp, scan):
    srv = smtp("huge-ehlo")
    rc, doc, err, took = scan(srv, "--timeout", "20", timeout=30)
    assert rc == 3
    line = stderr_error_line(err)
    assert "limit" in line, line
    ep = endpoint(doc)
    e = only_error(ep)
    assert (e["stage"], e["category"]) == ("dialogue", "limit"), e
    assert took < 10, "the limit should stop the read at once, took %.1f s" % took
    g = ep["dialogue"]
    assert g["hello_code"] is None
    assert g["capabilities"] == []
    assert g["starttls_sent"] is False
    assert ep["tls"] is None
    # the cap bounds what is kept, too (1000 lines a reply)
    assert len(ep["transcript"]) <= 1010, len(ep["transcript"])
    assert ep["stats"]["connections"] == 1


def test_endless_greeting_line(smtp, scan):
    """A greeting line that never ends, arriving fast: the line cap stops it."""
    srv = smtp("endless-line")
    rc, doc, err, took = scan(srv, "--timeout", "20", timeout=30)
    assert rc == 3
    stderr_error_line(err)
    ep = endpoint(doc)
    e = only_error(ep)
    assert (e["stage"], e["category"]) == ("dialogue", "limit"), e
    assert took < 10
    assert ep["dialogue"]["greeting_code"] is None
    assert ep["tls"] is None
    assert ep["stats"]["connections"] == 1


def test_endless_greeting_drip(smtp, scan):
    """The same line one byte every 100 ms: each byte re-arms the read
    deadline, so the whole-connection deadline must end it."""
    srv = smtp("endless-drip")
    rc, doc, err, took = scan(srv, "--read-timeout", "1", "--timeout", "2", timeout=20)
    assert rc == 3
    stderr_error_line(err)
    ep = endpoint(doc)
    e = only_error(ep)
    assert (e["stage"], e["category"]) == ("dialogue", "timeout"), e
    assert 1.9 <= took < 6, took
    assert ep["dialogue"]["greeting_code"] is None
    assert ep["tls"] is None


def test_endless_greeting_drip_is_not_silent(smtp, scan):
    """A server that keeps sending bytes is slow, not silent: no 'silent'
    flag and no implicit-TLS follow-up connection."""
    srv = smtp("endless-drip")
    rc, doc, err, took = scan(srv, "--read-timeout", "1", "--timeout", "2", timeout=20)
    ep = endpoint(doc)
    assert ep["dialogue"]["silent"] is False, ep["dialogue"]
    assert ep["stats"]["connections"] == 1 and srv.accepted == 1
    assert ep["clear_text_answer"] is None


# ------------------------------------------------------------------ hostile text

# What the terminal report must show for fake_smtp.ANSI_GREETING: every
# control, the bidi override and each invalid byte as \xHH; a backslash doubled.
ANSI_TERM = r"220 fake.test \x1B[2J\x1B]0;title\x07 \xE2\x80\xAE evil \xFF\xFE C:\\path ESMTP"
# What the JSON holds once parsed: the same text (docs/json.md: controls,
# bidi controls and invalid bytes as the text \xHH, a backslash doubled so
# that the two cannot be confused), safe to print once decoded.
ANSI_JSON = ANSI_TERM[len("220 "):]


def test_ansi_banner_text(smtp, pki, run_mailtls):
    srv = smtp("ansi-banner")
    rc, out, err = run_mailtls("check", *QUICK, "--starttls", "smtp", "--ca-file", pki.ca,
                               "--ehlo", EHLO, "--transcript", "127.0.0.1:%d" % srv.port)
    assert rc == 0, err
    for bad in ("\x1b", "\x07", "\u202e", "\x9b", "\ufffd"):
        assert bad not in out, "raw %r in the text report:\n%s" % (bad, out)
    flat = re.sub(r"\n {16}(?=\S)", " ", out)  # the report wraps long lines at 80 columns
    assert re.search(r"^  Greeting +%s \(\d+ ms\)$" % re.escape(ANSI_TERM), flat, re.M), out
    assert re.search(r"^ +[\d.]+ S: %s$" % re.escape(ANSI_TERM), out, re.M), out


def test_ansi_banner_json(smtp, scan):
    srv = smtp("ansi-banner")
    rc, doc, err, _ = scan(srv)
    assert rc == 0, err
    ep = endpoint(doc)
    assert ep["dialogue"]["greeting"] == ANSI_JSON
    assert ep["transcript"][0] == {"t_ms": ep["transcript"][0]["t_ms"], "dir": "S",
                                   "text": "220 " + ANSI_JSON}
    assert_tls_done(ep)


def test_ansi_banner_json_raw_text(smtp, pki, run_mailtls):
    """The JSON text itself carries no raw control byte and is valid UTF-8."""
    srv = smtp("ansi-banner")
    rc, out, err = run_mailtls("check", "--json", "-", *QUICK, "--starttls", "smtp", "--ca-file",
                               pki.ca, "127.0.0.1:%d" % srv.port)
    assert rc == 0, err
    assert "\ufffd" not in out, "invalid UTF-8 in the JSON"
    for bad in ("\x1b", "\x07"):
        assert bad not in out, bad
    # no \u escape that decodes to a control either: \xHH text, its
    # backslash escaped by the encoder
    assert "\\u001b" not in out.lower()
    assert "\\\\x1b[2j\\\\x1b]0;title\\\\x07" in out.lower()


# ------------------------------------------------------------------ silence and port mode

def test_silent_server(smtp, scan):
    srv = smtp("silent")
    rc, doc, err, took = scan(srv, "--read-timeout", "1", timeout=30)
    assert rc == 3
    line = stderr_error_line(err)
    assert "1000 ms" in line, line
    ep = endpoint(doc)
    e = only_error(ep)
    assert (e["stage"], e["category"]) == ("dialogue", "timeout"), e
    g = ep["dialogue"]
    assert g["silent"] is True
    assert g["implicit_answered"] is False
    assert g["greeting_code"] is None
    # the STARTTLS attempt, then one implicit-TLS handshake
    assert ep["stats"]["connections"] == 2 and srv.accepted == 2
    assert "port-mode-mismatch" not in finding_ids(ep)
    assert ep["tls"] is None
    assert 2 <= took < 10, took


def test_silent_port_speaks_implicit_tls(smtp, scan):
    srv = smtp("silent-implicit")
    rc, doc, err, took = scan(srv, "--read-timeout", "1", timeout=30)
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert g["silent"] is True and g["implicit_answered"] is True
    f = the_finding(ep, "port-mode-mismatch")
    assert f["severity"] == "medium"
    assert "implicit" in f["fix"] and "--implicit" in f["fix"]
    assert ep["tls"] is not None and ep["tls"]["verify"]["code"] == 0
    assert ep["stats"]["connections"] == 2 and srv.accepted == 2
    assert rc == 0  # medium is below the default --fail-on high
    assert took < 10


def test_silent_implicit_port_is_diagnosed_in_seconds(smtp, scan):
    """With the default read timeout (15 s): after 2 s of silence a
    ClientHello goes out on a second connection; it is answered, so the
    first connection stops waiting and the diagnosis comes in seconds."""
    srv = smtp("silent-implicit")
    rc, doc, err, took = scan(srv, timeout=60)
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert g["silent"] is True and g["implicit_answered"] is True, g
    assert the_finding(ep, "port-mode-mismatch")["severity"] == "medium"
    e = only_error(ep)
    assert e["stage"] == "dialogue" and "speaks implicit TLS" in e["message"], e
    assert ep["tls"] is not None and ep["tls"]["verify"]["code"] == 0
    assert ep["stats"]["connections"] == 2 and srv.accepted == 2
    assert took < 10, took  # not the 15 s read timeout


def test_slow_greeting_is_not_cut_short(smtp, scan):
    """A greeting after 2.5 s (a greet pause): the early ClientHello on a
    second connection is met with that server's text, so the port is not
    implicit; the first connection gets its greeting and the dialogue goes
    on as usual, with nothing from the second one in the endpoint."""
    srv = smtp("greet-delay")
    rc, doc, err, took = scan(srv, timeout=60)
    assert rc == 0, err
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert g["silent"] is False and g["implicit_answered"] is False, g
    assert g["greeting_code"] == 220 and g["starttls_ok"] is True
    assert ep["clear_text_answer"] is None and ep["errors"] == []
    assert "port-mode-mismatch" not in finding_ids(ep)
    assert_tls_done(ep)
    assert ep["stats"]["connections"] == 2


def test_trickling_tls_record_is_a_timeout_not_a_refusal(smtp, scan):
    """A tarpit: after the go-ahead, a TLS record announced as 16 KiB comes
    one byte every 200 ms, so the read timeout never fires. The handshake
    has its own deadline (the read timeout): it ends in seconds, as a
    timeout, and nothing is concluded from it (no protocol-no-tls12), even
    with the full enumeration asked for."""
    srv = smtp("tls-trickle")
    rc, doc, err, took = scan(srv, "--read-timeout", "1", "--timeout", "30", "--scan-timeout",
                              "20", quick=False, timeout=60)
    assert rc == 3, err
    ep = endpoint(doc)
    e = only_error(ep)
    assert (e["stage"], e["category"]) == ("tls", "timeout"), e
    assert "did not complete within 1000 ms" in e["message"], e
    assert ep["tls"] is None
    assert not set(finding_ids(ep)) & {"protocol-no-tls12", "protocol-no-tls13"}
    assert took < 2 * 20, took  # within twice the scan timeout (a bound, not speed)


# ------------------------------------------------------------------ after the 220

def test_close_after_220(smtp, scan):
    srv = smtp("close-after-220")
    rc, doc, err, took = scan(srv, "--read-timeout", "10", timeout=30)
    assert rc == 3
    stderr_error_line(err)
    ep = endpoint(doc)
    e = only_error(ep)
    assert e["stage"] == "tls", e
    assert e["category"] != "timeout", "the server closed: no need to wait (%r)" % e
    assert took < 5
    g = ep["dialogue"]
    assert g["starttls_code"] == 220 and g["capabilities_tls"] is None
    assert ep["tls"] is None
    assert ep["stats"]["connections"] == 1


def test_cleartext_after_220(smtp, scan):
    srv = smtp("cleartext-after-220")
    rc, doc, err, took = scan(srv, "--read-timeout", "10", timeout=30)
    assert rc == 3
    stderr_error_line(err)
    ep = endpoint(doc)
    e = only_error(ep)
    assert (e["stage"], e["category"]) == ("tls", "tls"), e
    assert took < 5, "clear text is not TLS: fail at once, not at the deadline"
    assert ep["clear_text_answer"] == fake_smtp.CLEARTEXT_ANSWER.decode().rstrip("\r\n")
    assert ep["tls"] is None
    assert ep["dialogue"]["pipelined_bytes"] == 0


def test_pipelined_after_220(smtp, scan):
    srv = smtp("pipeline")
    rc, doc, err, _ = scan(srv)
    assert rc == 0, err  # medium < high
    ep = endpoint(doc)
    # the bytes were never given to TLS: the handshake worked
    assert_tls_done(ep)
    g = ep["dialogue"]
    assert g["pipelined_bytes"] == len(fake_smtp.PIPELINED) == 39
    f = the_finding(ep, "pipelined-after-starttls")
    assert f["severity"] == "medium"
    assert "39 byte" in f["detail"]
    # ...nor taken as the answer to the EHLO inside TLS (CVE-2011-0411 class)
    assert g["capabilities_tls"] == caps("pipeline", True)
    assert "INJECTED" not in g["capabilities_tls"]
    t = dir_text(ep)
    i = t.index(("S", text(fake_smtp.STARTTLS_OK)))
    assert t[i + 1] == ("S", fake_smtp.PIPELINED.decode().replace("\r", "\\x0D"))
    assert t[i + 2] == ("C", "EHLO " + EHLO)


def test_pipelined_with_enumeration(smtp, scan):
    """Without --quick every enumeration probe runs the dialogue too; the
    dialogue facts and the transcript still come from the verified
    handshake alone."""
    srv = smtp("pipeline")
    rc, quick_doc, err, _ = scan(srv)
    rc, doc, err, _ = scan(srv, quick=False)
    ep = endpoint(doc)
    assert_tls_done(ep)
    assert ep["dialogue"]["pipelined_bytes"] == len(fake_smtp.PIPELINED)
    assert dir_text(ep) == dir_text(endpoint(quick_doc))
    assert finding_ids(ep).count("pipelined-after-starttls") == 1
    assert ep["stats"]["connections"] > 1


# ------------------------------------------------------------------ STARTTLS offered or not

def test_starttls_masked(smtp, scan):
    srv = smtp("masked")
    rc, doc, err, _ = scan(srv)
    assert rc == 1, err  # high
    ep = endpoint(doc)
    assert_tls_done(ep)
    g = ep["dialogue"]
    assert g["starttls_advertised"] is False
    assert g["starttls_masked"] == "XXXXXXXA"
    assert g["starttls_ok"] is True and g["starttls_code"] == 220
    assert "XXXXXXXA" in g["capabilities"]
    f = the_finding(ep, "starttls-stripped")
    assert f["severity"] == "high"
    assert '"XXXXXXXA"' in f["detail"]
    assert "starttls-not-offered" not in finding_ids(ep)


def test_starttls_stripped_without_mask(smtp, scan):
    srv = smtp("stripped")
    rc, doc, err, _ = scan(srv)
    assert rc == 1, err
    ep = endpoint(doc)
    assert_tls_done(ep)
    g = ep["dialogue"]
    assert g["starttls_advertised"] is False and g["starttls_masked"] is None
    assert the_finding(ep, "starttls-stripped")["severity"] == "high"
    # the capabilities are the same before and inside TLS here
    assert "capabilities-changed" not in finding_ids(ep)


def test_starttls_refused(smtp, scan):
    srv = smtp("refuse")
    rc, doc, err, _ = scan(srv)
    assert rc == 1, err
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert g["starttls_advertised"] is True
    assert g["starttls_ok"] is False
    assert g["starttls_code"] == 454
    assert g["starttls_reply"] == "4.7.0 TLS not available due to local problem"
    f = the_finding(ep, "starttls-refused")
    assert f["severity"] == "high"
    assert g["starttls_reply"] in f["detail"]
    ids = finding_ids(ep)
    assert "starttls-not-offered" not in ids and "starttls-stripped" not in ids
    assert ep["tls"] is None and ep["errors"] == []
    assert srv.commands == [["EHLO " + EHLO, "STARTTLS", "QUIT"]]


def test_starttls_not_offered(smtp, scan):
    srv = smtp("no-starttls")
    rc, doc, err, _ = scan(srv)
    assert rc == 1, err
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert g["starttls_advertised"] is False and g["starttls_sent"] is True
    assert g["starttls_ok"] is False
    assert g["starttls_code"] == 502
    f = the_finding(ep, "starttls-not-offered")
    assert f["severity"] == "high"
    ids = finding_ids(ep)
    assert "starttls-refused" not in ids and "starttls-stripped" not in ids
    assert ep["tls"] is None and ep["errors"] == []
    assert srv.commands == [["EHLO " + EHLO, "STARTTLS", "QUIT"]]


def test_starttls_readvertised(smtp, scan):
    srv = smtp("readvertise")
    rc, doc, err, _ = scan(srv)
    assert rc == 0, err  # low
    ep = endpoint(doc)
    assert_tls_done(ep)
    assert "STARTTLS" in ep["dialogue"]["capabilities_tls"]
    assert the_finding(ep, "starttls-readvertised")["severity"] == "low"
    # the lists are the same: nothing else changed
    assert "capabilities-changed" not in finding_ids(ep)


# ------------------------------------------------------------------ AUTH

def test_auth_before_tls(smtp, scan):
    srv = smtp("auth-before-tls")
    rc, doc, err, _ = scan(srv)
    assert rc == 0, err  # medium
    ep = endpoint(doc)
    assert ep["dialogue"]["auth_clear"] == "AUTH PLAIN LOGIN"
    assert ep["dialogue"]["auth_tls"] is True
    f = the_finding(ep, "auth-before-tls")
    assert f["severity"] == "medium"
    assert "AUTH PLAIN LOGIN" in f["detail"]
    assert "auth-after-tls-only" not in finding_ids(ep)
    assert rc == 0
    rc, doc, err, _ = scan(srv, "--fail-on", "medium")
    assert rc == 1


def test_auth_after_tls_only(smtp, scan):
    srv = smtp("auth-after-tls")
    rc, doc, err, _ = scan(srv)
    assert rc == 0, err
    ep = endpoint(doc)
    assert_tls_done(ep)
    assert ep["dialogue"]["auth_clear"] is None
    assert ep["dialogue"]["auth_tls"] is True
    assert the_finding(ep, "auth-after-tls-only")["severity"] == "ok"
    assert "auth-before-tls" not in finding_ids(ep)
    # ok is below any --fail-on threshold
    rc, doc, err, _ = scan(srv, "--fail-on", "low")
    assert rc == 0


def test_auth_cram_before_tls_is_no_cleartext_password(smtp, scan):
    srv = smtp("auth-cram")
    rc, doc, err, _ = scan(srv)
    ep = endpoint(doc)
    assert "AUTH CRAM-MD5" in ep["dialogue"]["capabilities"]
    assert ep["dialogue"]["auth_clear"] is None  # no password in clear text
    ids = finding_ids(ep)
    assert "auth-before-tls" not in ids
    # authentication (CRAM-MD5) is offered before TLS too: not "only inside TLS"
    assert "auth-after-tls-only" not in ids
    assert rc == 0


# ------------------------------------------------------------------ capabilities

def test_capabilities_changed(smtp, scan):
    srv = smtp("caps-changed")
    rc, doc, err, _ = scan(srv)
    assert rc == 0, err
    ep = endpoint(doc)
    f = the_finding(ep, "capabilities-changed")
    assert f["severity"] == "info"
    assert "SIZE 10240000" in f["detail"] and "SIZE 52428800" in f["detail"]


# ------------------------------------------------------------------ timing and throttling

def test_greeting_delay(smtp, scan):
    srv = smtp("greet-delay")
    rc, doc, err, took = scan(srv, timeout=30)
    assert rc == 0, err
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert 2000 <= g["greeting_ms"] < 4000, g["greeting_ms"]
    f = the_finding(ep, "greeting-delay")
    assert f["severity"] == "info"
    assert_tls_done(ep)


def _suites(ep):
    return sorted((c["protocol"], c["code"]) for c in ep["ciphers"])


def test_slow_server_scaled_down(smtp, scan):
    """Every greeting 2.5 s late: a full check asks each version once (its
    first choice) instead of ~60 connections of 2.5 s; what it did not ask
    is incomplete with the reason, never "not offered"; greeting-delay says
    so and names --patient."""
    srv = smtp("greet-delay")
    rc, doc, err, took = scan(srv, quick=False, timeout=120)
    assert rc == 0, err
    ep = endpoint(doc)
    # The enumeration at most 16; the battery one connection per probe:
    # ROBOT stops after its first block on such a server.
    battery = sum(v["connections"] for v in ep["vulnerabilities"]
                  if v["id"] != "client-renegotiation")
    assert ep["stats"]["connections"] - battery <= 16, ep["stats"]
    assert battery <= 8, [(v["id"], v["connections"]) for v in ep["vulnerabilities"]]
    robot = [v for v in ep["vulnerabilities"] if v["id"] == "robot"][0]
    assert robot["verdict"] == "unknown" and "--patient" in robot["reason"], robot
    offered = {p["name"]: p for p in ep["protocols"]}
    for name in ("TLSv1.2", "TLSv1.3"):
        assert offered[name]["offered"] is True
        assert "slow" in offered[name]["reason"] and "--patient" in offered[name]["reason"]
    # TLS 1.0 and 1.1 (refused by Python's ssl): "not offered" only on a
    # version refusal; a refused first chunk leaves them unknown.
    for p in ep["protocols"]:
        if p["offered"] is False:
            assert p["reason"] is None, p
        else:
            assert "slow" in p["reason"], p
    assert offered["TLSv1.0"]["offered"] is not True
    assert {c["protocol"] for c in ep["ciphers"]} == {"TLSv1.2", "TLSv1.3"}
    assert any("slow" in e["message"] for e in ep["errors"]), ep["errors"]
    f = the_finding(ep, "greeting-delay")
    assert "--patient" in f["detail"]
    assert "protocol-no-tls12" not in finding_ids(ep)


def test_slow_once_enumerates_in_full(smtp, scan):
    """Only the first greeting is late (postscreen's greet pause, passed
    once): the enumeration goes on in full, the same suites as a prompt
    server; --patient on an always-slow server gives that list too."""
    rc, doc, err, _ = scan(smtp("normal"), quick=False, timeout=120)
    assert rc == 0, err
    want = _suites(endpoint(doc))
    rc, doc, err, _ = scan(smtp("greet-delay-first"), quick=False, timeout=120)
    assert rc == 0, err
    ep = endpoint(doc)
    assert _suites(ep) == want
    assert all(p["reason"] is None for p in ep["protocols"]), ep["protocols"]
    assert "--patient" not in the_finding(ep, "greeting-delay")["detail"]
    rc, doc, err, _ = scan(smtp("greet-delay"), "--patient", "--max-conns-per-host", "16",
                           quick=False, timeout=240)
    assert rc == 0, err
    ep = endpoint(doc)
    assert _suites(ep) == want
    assert all(p["reason"] is None for p in ep["protocols"]), ep["protocols"]


def test_scan_timeout_keeps_what_was_learnt(smtp, scan):
    """--scan-timeout ends a slow full check: what was learnt is kept, the
    rest is unknown, the run-level error says why, and stderr says it at
    once (exit 0: the findings decide)."""
    rc, doc, err, took = scan(smtp("greet-delay"), "--patient", "--scan-timeout", "6",
                              quick=False, timeout=60)
    assert rc == 0, err
    assert "the scan timeout (--scan-timeout 6 s) passed" in err
    assert [e["stage"] for e in doc["errors"]] == ["scan"], doc["errors"]
    ep = endpoint(doc)
    assert ep["tls"]["version"] == "TLSv1.3"
    assert any(p["offered"] is not False and p["reason"] and "scan timeout" in p["reason"]
               for p in ep["protocols"]), ep["protocols"]
    assert took < 2 * 6, took  # a bound, not speed


def test_greeting_delay_absent(smtp, scan):
    rc, doc, err, _ = scan(smtp("normal"))
    ep = endpoint(doc)
    assert ep["dialogue"]["greeting_ms"] < 2000
    assert "greeting-delay" not in finding_ids(ep)


def test_busy_once(smtp, scan):
    srv = smtp("busy-once")
    rc, doc, err, took = scan(srv, timeout=30)
    assert rc == 0, err
    ep = endpoint(doc)
    assert_tls_done(ep)
    g = ep["dialogue"]
    assert g["throttled"] == 1
    assert g["greeting_code"] == 220
    f = the_finding(ep, "server-throttled")
    assert f["severity"] == "info"
    assert ep["stats"]["connections"] == 2 and srv.accepted == 2
    assert took >= 1.0, "the retry waits 1 s"
    assert took < 10
    assert srv.commands[1] == ["EHLO " + EHLO, "STARTTLS", "EHLO " + EHLO, "QUIT"]


def test_always_busy(smtp, scan):
    srv = smtp("busy")
    rc, doc, err, took = scan(srv, timeout=40)
    assert rc == 3
    line = stderr_error_line(err)
    busy_text = text(fake_smtp.BUSY_GREETING)
    assert busy_text in line, line
    ep = endpoint(doc)
    e = only_error(ep)
    assert (e["stage"], e["category"]) == ("dialogue", "busy"), e
    assert busy_text in e["message"]
    g = ep["dialogue"]
    assert g["throttled"] == 3
    assert g["greeting_code"] == 421
    assert ep["stats"]["connections"] == 4 and srv.accepted == 4
    # backoff 1 s, 2 s, 4 s
    assert 7.0 <= took < 15, took
    assert ep["tls"] is None


def test_greeting_554(smtp, scan):
    srv = smtp("reject-554")
    rc, doc, err, took = scan(srv, timeout=30)
    assert rc == 3
    reject_text = text(fake_smtp.REJECT_GREETING)
    line = stderr_error_line(err)
    assert reject_text in line, line
    ep = endpoint(doc)
    e = only_error(ep)
    assert (e["stage"], e["category"]) == ("dialogue", "protocol"), e
    assert reject_text in e["message"]
    g = ep["dialogue"]
    assert g["greeting_code"] == 554
    assert g["greeting"] == reject_text[4:]
    assert g["throttled"] == 0 and g["starttls_sent"] is False
    # a 554 is final: no retry
    assert ep["stats"]["connections"] == 1 and srv.accepted == 1
    assert "server-throttled" not in finding_ids(ep)
    assert took < 5


# ------------------------------------------------------------------ LMTP

def test_lmtp_sends_lhlo(smtp, scan):
    srv = smtp("lmtp")
    rc, doc, err, _ = scan(srv, proto="lmtp")
    assert rc == 0, err
    ep = endpoint(doc)
    assert (ep["mode"], ep["starttls"]) == ("starttls", "lmtp")
    assert_tls_done(ep)
    assert dir_text(ep) == full_transcript("lmtp", verb="LHLO",
                                           greeting=fake_smtp.LMTP_GREETING)
    assert srv.commands == [["LHLO " + EHLO, "STARTTLS", "LHLO " + EHLO, "QUIT"]]
    assert ep["dialogue"]["capabilities_tls"] == caps("lmtp", True)


def test_smtp_against_lmtp_server(smtp, scan):
    """EHLO and its HELO fallback both refused: a dialogue error, exit 3."""
    srv = smtp("lmtp")
    rc, doc, err, _ = scan(srv, proto="smtp")
    assert rc == 3
    stderr_error_line(err)
    ep = endpoint(doc)
    e = only_error(ep)
    assert (e["stage"], e["category"]) == ("dialogue", "protocol"), e
    assert srv.commands == [["EHLO " + EHLO, "HELO " + EHLO]]
