"""The fallback-scsv (RFC 7507) and ticketbleed (CVE-2016-9244) probes of
src/scan/vp_fallback.c, end to end.

Positive cases on tests/fixtures/fake_vuln_tls.py (a real TLS 1.2 server in
Python's ssl for every ordinary hello, a scripted answer for the probe's):
  no-scsv      answers a TLS 1.1 hello that carries TLS_FALLBACK_SCSV
  ticketbleed  echoes a 1-byte session ID as 32 bytes when a ticket comes
Negative cases on real servers started here: `openssl s_server` (TLS 1.2 and
1.3; TLS 1.2 only; no tickets) and Postfix through STARTTLS. testssl.sh
(Debian's: -Z for the SCSV, -T for Ticketbleed) runs on the same s_servers
and must agree: its "OK" is our not-vulnerable or not-applicable.

Each probe costs one connection.
"""

import sys

import pytest

import postfix
from conftest import FIXTURES, endpoint
from postfix import Postfix
from test_enum_openssl import TESTSSL, run_testssl_json

sys.path.insert(0, str(FIXTURES))
import fake_vuln_tls  # noqa: E402



def vulns(ep):
    return {v["id"]: v for v in ep["vulnerabilities"]}


def check(run_json, pki, hostport, *mode):
    rc, doc, err = run_json("check", *(mode or ("--implicit",)), "--ca-file", pki.ca, hostport,
                            timeout=240)
    assert rc in (0, 1), err
    return vulns(endpoint(doc)), {f["id"] for f in endpoint(doc)["findings"]}


@pytest.fixture(scope="module")
def fake(pki):
    started = {}
    leaf = pki.leaf("good")

    def get(name):
        if name not in started:
            started[name] = fake_vuln_tls.FakeVulnTls(name, leaf.cert, leaf.key)
        return started[name]

    yield get
    for srv in started.values():
        srv.stop()


# ------------------------------------------------------------ positive cases


def test_fallback_scsv_vulnerable_on_fake(fake, run_json, pki):
    srv = fake("no-scsv")
    got, findings = check(run_json, pki, srv.hostport)
    v = got["fallback-scsv"]
    assert v["verdict"] == "vulnerable", v
    assert v["connections"] == 1
    assert v["finding"] == "fallback-scsv" and "fallback-scsv" in findings
    assert "TLSv1.1 hello with TLS_FALLBACK_SCSV (best: TLSv1.2)" in v["evidence"], v
    assert "got a TLSv1.1 ServerHello" in v["evidence"], v
    # The fake saw exactly one hello with the SCSV, and it was a TLS 1.1 one.
    scsv = [e for e in srv.log if e.get("kind") == "scsv"]
    assert [e["client_version"] for e in scsv] == ["TLSv1.1"], srv.log
    # Python's OpenSSL behind the same port resumes our ticket properly.
    assert got["ticketbleed"]["verdict"] == "not-vulnerable", got["ticketbleed"]
    assert "echoed it (1 byte)" in got["ticketbleed"]["evidence"]


def test_ticketbleed_vulnerable_on_fake(fake, run_json, pki):
    srv = fake("ticketbleed")
    got, findings = check(run_json, pki, srv.hostport)
    v = got["ticketbleed"]
    assert v["verdict"] == "vulnerable", v
    assert v["connections"] == 1
    assert v["cve"] == ["CVE-2016-9244"]
    assert v["finding"] == "ticketbleed" and "ticketbleed" in findings
    bled = [e for e in srv.log if e.get("kind") == "ticketbleed"]
    assert len(bled) == 1, srv.log
    assert bled[0]["sid_len"] == 1 and bled[0]["ticket_len"] > 0
    assert ("sent a 1-byte session ID with a %d-byte ticket; the ServerHello echoed 32 bytes"
            % bled[0]["ticket_len"]) in v["evidence"], v
    assert "31 bytes of server memory" in v["evidence"]
    # The real OpenSSL behind it knows the SCSV.
    assert got["fallback-scsv"]["verdict"] == "not-vulnerable", got["fallback-scsv"]


# ------------------------------------------------------- negative cases


@pytest.fixture(scope="module")
def servers(sserver):
    return {"default": sserver("good"),
            "tls12": sserver("good", extra=("-tls1_2",)),
            "no-ticket": sserver("good", extra=("-no_ticket",))}


@pytest.fixture(scope="module")
def ours(servers, run_json, pki):
    # s_server serves one connection at a time: a connection queued behind
    # one that waits out a read deadline (some checks must) can reach its
    # own handshake deadline first, the resumption check's among them. One
    # connection at a time keeps the scan deterministic.
    return {name: check(run_json, pki, srv.hostport, "--implicit", "--max-conns-per-host", "1")[0]
            for name, srv in servers.items()}


def test_s_server_default(ours):
    got = ours["default"]
    fb, tb = got["fallback-scsv"], got["ticketbleed"]
    assert fb["verdict"] == "not-vulnerable", fb
    assert "TLSv1.2 hello with TLS_FALLBACK_SCSV (best: TLSv1.3)" in fb["evidence"]
    assert "inappropriate_fallback (86)" in fb["evidence"]
    assert fb["connections"] == 1
    assert tb["verdict"] == "not-vulnerable", tb
    assert "echoed it (1 byte), session resumed" in tb["evidence"], tb
    assert tb["connections"] == 1


def test_s_server_tls12_only(ours):
    fb = ours["tls12"]["fallback-scsv"]
    assert fb["verdict"] == "not-applicable", fb
    assert fb["reason"].startswith("no protocol below TLSv1.2"), fb
    assert "protocol_version (70)" in fb["reason"], fb
    assert ours["tls12"]["ticketbleed"]["verdict"] == "not-vulnerable"


def test_s_server_no_ticket(ours):
    tb = ours["no-ticket"]["ticketbleed"]
    assert tb["verdict"] == "not-applicable", tb
    assert tb["reason"] == "no session tickets"
    assert tb["connections"] == 0
    assert ours["no-ticket"]["fallback-scsv"]["verdict"] == "not-vulnerable"


@pytest.mark.skipif(postfix.available() is not None, reason=postfix.available() or "")
def test_postfix(pki, run_json):
    leaf = pki.leaf("good")
    pf = Postfix("vuln-fallback", leaf.cert, leaf.key)
    pf.start()
    try:
        got, _ = check(run_json, pki, "localhost:%d" % pf.port, "--starttls", "smtp", "--ip",
                       "127.0.0.1")
    finally:
        pf.stop()
    fb = got["fallback-scsv"]
    assert fb["verdict"] == "not-vulnerable", fb
    assert "inappropriate_fallback (86)" in fb["evidence"]
    # Postfix issues tickets only with a ticket key from tlsmgr; either way
    # it is no F5.
    assert got["ticketbleed"]["verdict"] in ("not-vulnerable", "not-applicable"), \
        got["ticketbleed"]


# ------------------------------------------------------------ testssl.sh


TESTSSL_IDS = {"fallback_SCSV": "fallback-scsv", "ticketbleed": "ticketbleed"}


def run_testssl(srv, tmp_path, name):
    out = tmp_path / name
    out.mkdir()
    found = {}
    for item in run_testssl_json(srv.hostport, ["-Z", "-T"], out, timeout=600):
        if item["id"] in TESTSSL_IDS:
            found[TESTSSL_IDS[item["id"]]] = (item["severity"], item["finding"])
    return found


@pytest.mark.parametrize("name", ["default", "tls12", "no-ticket"])
def test_same_verdicts_as_testssl(servers, ours, tmp_path, name):
    if not TESTSSL:
        pytest.fail("testssl.sh is not installed (scripts/install-deps installs it)")
    theirs = run_testssl(servers[name], tmp_path, name)
    assert set(theirs) == set(TESTSSL_IDS.values()), theirs
    for check_id, (severity, text) in theirs.items():
        mine = ours[name][check_id]["verdict"]
        # testssl.sh's OK covers our not-vulnerable and not-applicable
        # ("no protocol below TLS 1.2 offered", "no session ticket extension").
        want = "safe" if severity in ("OK", "INFO") else "vulnerable"
        got = "vulnerable" if mine == "vulnerable" else "safe"
        assert got == want, (check_id, ours[name][check_id], severity, text)
        assert mine != "unknown", ours[name][check_id]
    if name == "tls12":
        assert "no protocol below" in theirs["fallback-scsv"][1]
    if name == "no-ticket":
        assert "no session ticket" in theirs["ticketbleed"][1]
