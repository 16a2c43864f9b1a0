"""Heartbleed (CVE-2014-0160) and CCS injection (CVE-2014-0224):
scan/vp_heartbleed.c, rules in tls/early.c.

Positive on tests/fixtures/fake_heartbleed.py (a "heartbleed" server that
answers an over-long heartbeat with its "memory", a "ccs" server that takes
an early ChangeCipherSpec and fails the next record's MAC), implicit and
behind SMTP STARTTLS; negative on openssl s_server (OpenSSL 3: no heartbeat
support, early CCS refused with unexpected_message) and on a real Postfix
(STARTTLS); not-applicable on a TLS 1.3-only s_server; unknown, never safe,
on a server that breaks off its flight or closes. testssl.sh (`-H -I`) is
run on the s_server and on both fakes, implicit and STARTTLS (`-t smtp`), and
must give the same verdicts.
"""

import re
import sys
import threading

import pytest

import postfix
from conftest import FIXTURES, endpoint
from postfix import Postfix
from test_enum_openssl import TESTSSL, run_testssl_json

sys.path.insert(0, str(FIXTURES))
import fake_heartbleed  # noqa: E402
import fake_legacy_tls  # noqa: E402

IDS = ("heartbleed", "ccs-injection")
READ_TIMEOUT = "5"  # the probes' short wait is a fifth of it: 1 s


def vulns(doc):
    """id -> entry of the single endpoint's battery."""
    return {v["id"]: v for v in endpoint(doc)["vulnerabilities"]}


@pytest.fixture(scope="module")
def fakes(pki):
    """fakes(mode, starttls) -> a running FakeHeartbleed (one per config)."""
    started = {}

    def get(mode, starttls=False):
        key = (mode, starttls)
        if key not in started:
            started[key] = fake_heartbleed.start(mode, cert=pki.leaf("good").cert,
                                                 starttls=starttls)
        return started[key]

    yield get
    for srv in started.values():
        srv.stop()
        assert srv.errors == [], srv.errors


@pytest.fixture(scope="module")
def check(run_json, pki):
    """check(hostport, starttls) -> the JSON of one full check (cached)."""
    cache = {}

    def get(hostport, starttls=False):
        key = (hostport, starttls)
        if key not in cache:
            flag = ["--starttls", "smtp"] if starttls else ["--implicit"]
            rc, doc, err = run_json("check", *flag, "--read-timeout", READ_TIMEOUT,
                                    "--ca-file", pki.ca, hostport, timeout=180)
            assert rc != 2, err
            cache[key] = doc
        return cache[key]

    return get


def records(srv, kind):
    return [e for e in srv.log if e.get("record") == kind]


# --------------------------------------------------------------------------
# positives on the fakes


@pytest.mark.parametrize("starttls", [False, True], ids=["implicit", "starttls"])
def test_heartbleed_fake_is_vulnerable(fakes, check, starttls):
    srv = fakes("heartbleed", starttls)
    doc = check(srv.hostport, starttls)
    hb = vulns(doc)["heartbleed"]
    assert hb["verdict"] == "vulnerable", hb
    assert hb["cve"] == ["CVE-2014-0160"]
    assert hb["finding"] == "heartbleed"
    assert hb["connections"] == 1
    # 3 header bytes + the 16384 claimed + 16 of padding came back
    assert "claiming 16384 bytes with 1 byte of payload" in hb["evidence"]
    assert "got 16403 bytes of heartbeat back" in hb["evidence"]
    assert "heartbeat extension in the ServerHello" in hb["evidence"]
    assert "heartbleed" in [f["id"] for f in endpoint(doc)["findings"]]
    # what the fake saw: one over-long request, carrying one byte
    hbs = records(srv, "heartbeat")
    assert hbs and all(e["claimed"] == 16384 and e["carried"] == 1 for e in hbs), srv.log
    # the same server refuses an early CCS as a patched one does
    ccs = vulns(doc)["ccs-injection"]
    assert ccs["verdict"] == "not-vulnerable", ccs
    assert "unexpected_message (10)" in ccs["evidence"]


def test_heartbleed_leak_on_terminal_only(fakes, run_mailtls, pki):
    """The leaked bytes (at most 32) are in the text report, never in JSON."""
    srv = fakes("heartbleed")
    args = ["check", "--implicit", "--read-timeout", READ_TIMEOUT, "--ca-file", pki.ca,
            srv.hostport]
    rc, text, err = run_mailtls(*args, timeout=180)
    leaked = fake_heartbleed.FAKE_MEMORY[:32]
    hexes = " ".join("%02x" % b for b in leaked)
    flat = " ".join(text.split())
    assert "leaked bytes, first 32: " + hexes in flat, text
    rc, out, err = run_mailtls(args[0], "--json", "-", *args[1:], timeout=180)
    assert "heartbleed" in out
    assert leaked[:12].decode() not in out
    assert hexes[:23] not in out and leaked.hex()[:24] not in out


@pytest.mark.parametrize("starttls", [False, True], ids=["implicit", "starttls"])
def test_ccs_fake_is_vulnerable(fakes, check, starttls):
    srv = fakes("ccs", starttls)
    doc = check(srv.hostport, starttls)
    ccs = vulns(doc)["ccs-injection"]
    assert ccs["verdict"] == "vulnerable", ccs
    assert ccs["cve"] == ["CVE-2014-0224"]
    assert ccs["finding"] == "ccs-injection"
    assert ccs["connections"] == 1
    assert "then a second CCS: alert bad_record_mac (20)" in ccs["evidence"]
    assert "ccs-injection" in [f["id"] for f in endpoint(doc)["findings"]]
    got = records(srv, "ccs") + records(srv, "after-ccs")
    assert [e["record"] for e in got][:2] == ["ccs", "after-ccs"], srv.log
    # no heartbeat extension there, and the over-long request is dropped
    hb = vulns(doc)["heartbleed"]
    assert hb["verdict"] == "not-vulnerable", hb
    assert "no heartbeat extension in the ServerHello" in hb["evidence"]
    assert "no answer within 1000 ms" in hb["evidence"]


def test_flight_broken_off_is_unknown(pki, check):
    """A ServerHello then a fatal alert: no ServerHelloDone, so nothing can
    be said -- unknown with the reason, never not-vulnerable."""
    srv = fake_legacy_tls.start("hello-then-alert", cert=pki.leaf("good").cert)
    try:
        doc = check(srv.hostport)
    finally:
        srv.stop()
    for vid in IDS:
        v = vulns(doc)[vid]
        assert v["verdict"] == "unknown", v
        assert "internal_error (80) after the ServerHello" in v["reason"]
        assert v["connections"] == 1


def test_close_after_hello_is_unknown(fake_server, check):
    """A close instead of a ServerHello could be a refusal or throttling:
    unknown, with the reason."""
    doc = check("127.0.0.1:%d" % fake_server("close"))
    for vid in IDS:
        v = vulns(doc)[vid]
        assert v["verdict"] == "unknown", v
        assert v["reason"] == "the server closed the connection after our ClientHello"
        assert v["connections"] == 1


# --------------------------------------------------------------------------
# negatives on real servers


def test_s_server_not_vulnerable(sserver, check):
    doc = check(sserver("good").hostport)
    for vid in IDS:
        v = vulns(doc)[vid]
        assert v["verdict"] == "not-vulnerable", v
        assert v["finding"] is None
        assert v["connections"] == 1
        # OpenSSL 3 refuses both records at once
        assert "alert unexpected_message (10)" in v["evidence"], v
    assert "no heartbeat extension in the ServerHello" in vulns(doc)["heartbleed"]["evidence"]


def test_s_server_tls13_only_not_applicable(sserver, check):
    doc = check(sserver("good", extra=("-tls1_3",)).hostport)
    for vid in IDS:
        v = vulns(doc)[vid]
        assert v["verdict"] == "not-applicable", v
        assert v["reason"] == "no TLS 1.2 or lower"
        assert "protocol_version (70)" in v["evidence"]


@pytest.mark.skipif(postfix.available() is not None, reason=postfix.available() or "")
def test_postfix_not_vulnerable(pki, run_json):
    leaf = pki.leaf("good")
    with Postfix("vuln-heartbleed", leaf.cert, leaf.key) as pf:
        rc, doc, err = run_json("check", "--starttls", "smtp", "--read-timeout", READ_TIMEOUT,
                                "--ca-file", pki.ca, pf.hostport, timeout=180)
    assert rc != 2, err
    for vid in IDS:
        v = vulns(doc)[vid]
        assert v["verdict"] == "not-vulnerable", v
        assert v["connections"] == 1
        assert "alert unexpected_message (10)" in v["evidence"], v


# --------------------------------------------------------------------------
# testssl.sh on the same servers


def run_testssl_vulns(hostport, starttls, out_dir):
    """testssl.sh -H -I [-t smtp] -> {"heartbleed": finding, "CCS": finding}."""
    found = {f["id"]: str(f["finding"])
             for f in run_testssl_json(hostport, ["-H", "-I"], out_dir,
                                       starttls="smtp" if starttls else None)
             if f["id"] in ("heartbleed", "CCS")}
    assert set(found) == {"heartbleed", "CCS"}, found
    return found


def verdict_of_testssl(finding):
    """testssl.sh's words -> ours. "likely VULNERABLE" (a bad_record_mac
    instead of decryption_failed) is vulnerable for us too: both are the
    MAC failure of a read side keyed from an empty master secret."""
    f = finding.strip()
    if re.match(r"(likely )?VULNERABLE", f):
        return "vulnerable"
    if re.match(r"(probably )?not vulnerable", f):
        return "not-vulnerable"
    raise AssertionError("unexpected testssl.sh finding %r" % finding)


@pytest.mark.skipif(not TESTSSL, reason="testssl.sh is needed (scripts/install-deps)")
def test_same_verdicts_as_testssl(fakes, sserver, check, tmp_path):
    targets = {
        "s_server": (sserver("good").hostport, False),
        "heartbleed-fake": (fakes("heartbleed").hostport, False),
        "ccs-fake": (fakes("ccs").hostport, False),
        "heartbleed-fake-starttls": (fakes("heartbleed", True).hostport, True),
        "ccs-fake-starttls": (fakes("ccs", True).hostport, True),
    }
    ours = {name: vulns(check(hp, st)) for name, (hp, st) in targets.items()}
    theirs, errors = {}, []

    def run(name, hp, starttls):
        try:
            d = tmp_path / name
            d.mkdir()
            theirs[name] = run_testssl_vulns(hp, starttls, d)
        except Exception as e:  # reported below, with the others
            errors.append("%s: %r" % (name, e))

    threads = [threading.Thread(target=run, args=(name,) + t) for name, t in targets.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for name in targets:
        for ts_id, our_id in (("heartbleed", "heartbleed"), ("CCS", "ccs-injection")):
            want = verdict_of_testssl(theirs[name][ts_id])
            got = ours[name][our_id]["verdict"]
            assert got == want, "%s %s: mailtls %s, testssl.sh %r" % (
                name, our_id, got, theirs[name][ts_id])
    # and the cases are not all alike: each fake is positive for its own
    for sfx in ("", "-starttls"):
        assert ours["heartbleed-fake" + sfx]["heartbleed"]["verdict"] == "vulnerable"
        assert ours["ccs-fake" + sfx]["ccs-injection"]["verdict"] == "vulnerable"
