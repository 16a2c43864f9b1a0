"""`mailtls check --starttls nntp` (RFC 4642) against tests/fixtures/fake_nntp.py.

No packaged NNTP server suits the tests (INN needs a spool, a history
database and its own users), so the server is a scripted fake written from
RFC 3977 and RFC 4642; its TLS is Python's ssl (OpenSSL) with the test
PKI's leaf. Each mode deviates from a correct server in one way only (see
the fixture's docstring), so each dialogue finding has a scan that makes it
appear and one (mode "normal") where it is absent.

References, independent of mailtls: `openssl s_client -starttls nntp`
(protocol, cipher, group, verify; one version or suite forced) and what the
fake itself saw (the commands, the TLS session of each handshake).
"""

import subprocess
import sys

import pytest

from conftest import FIXTURES, OPENSSL, endpoint, finding_ids, s_client

sys.path.insert(0, str(FIXTURES))
import fake_nntp  # noqa: E402

NAME = "localhost"
DIALOGUE_FINDINGS = ("starttls-not-offered", "starttls-refused", "starttls-stripped",
                     "starttls-readvertised", "auth-before-tls", "auth-after-tls-only",
                     "pipelined-after-starttls", "capabilities-changed", "greeting-delay",
                     "server-throttled", "port-mode-mismatch")


def finding(ep, fid):
    found = [f for f in ep["findings"] if f["id"] == fid]
    assert len(found) <= 1, "finding %s listed %d times" % (fid, len(found))
    return found[0] if found else None


def texts(ep, direction):
    return [t["text"] for t in ep["transcript"] if t["dir"] == direction]


def caps(mode, tls):
    return [c.decode() for c in fake_nntp.caps_for(mode, tls)]


@pytest.fixture(scope="module")
def nntp(pki):
    """nntp(mode) -> a running FakeNntp, one per mode for the module."""
    leaf = pki.leaf("good")
    servers = {}

    def get(mode):
        if mode not in servers:
            servers[mode] = fake_nntp.FakeNntp(mode, leaf.cert, leaf.key)
        return servers[mode]

    yield get
    for srv in servers.values():
        srv.stop()
        assert srv.errors == [], "fake_nntp (%s) failed: %s" % (srv.mode, srv.errors)


class Scan:
    def __init__(self, rc, doc, err, srv, commands, tls_sessions):
        self.rc, self.doc, self.err = rc, doc, err
        self.ep = endpoint(doc)
        self.srv = srv
        self.commands = commands          # what the fake received, per connection
        self.tls_sessions = tls_sessions  # what the fake negotiated


_scans = {}


def _check(run_json, pki, srv, *mode, extra=(), quick=True):
    q = ("--quick",) if quick else ()
    return run_json("check", *q, "--ca-file", pki.ca, "--ip", srv.host, *mode, *extra,
                    "%s:%d" % (NAME, srv.port))


def scan(run_json, pki, nntp, mode, *how):
    how = how or ("--starttls", "nntp")
    key = (mode, how)
    if key not in _scans:
        srv = nntp(mode)
        c0, t0 = len(srv.commands), len(srv.tls_sessions)
        rc, doc, err = _check(run_json, pki, srv, *how)
        _scans[key] = Scan(rc, doc, err, srv, srv.commands[c0:], srv.tls_sessions[t0:])
    return _scans[key]


# --------------------------------------------------------------------------
# 1. a correct server


def test_normal_scans_ok(run_json, pki, nntp):
    s = scan(run_json, pki, nntp, "normal")
    ep = s.ep
    assert s.rc in (0, 1), s.err  # 1: the test PKI's short-lived leaf may count
    assert s.doc["errors"] == [] and ep["errors"] == [], ep["errors"]
    assert (ep["mode"], ep["starttls"], ep["sni"]) == ("starttls", "nntp", NAME)
    assert ep["stats"]["connections"] == 1


def test_normal_tls_matches_s_client(run_json, pki, nntp, cipher_table):
    s = scan(run_json, pki, nntp, "normal")
    ref = s_client(s.srv, pki.ca, name=NAME, starttls="nntp")
    tls = s.ep["tls"]
    assert tls is not None, s.ep["errors"]
    assert tls["version"] == ref.protocol
    assert tls["cipher_openssl"] == ref.cipher
    assert tls["cipher"] == cipher_table[ref.cipher]["iana"]
    assert tls["group"] == ref.temp_key
    assert tls["verify"]["code"] == ref.code == 0
    # ... and what the server itself negotiated.
    assert s.tls_sessions == [(tls["version"], tls["cipher_openssl"])]


def test_normal_dialogue(run_json, pki, nntp):
    s = scan(run_json, pki, nntp, "normal")
    g = s.ep["dialogue"]
    assert g["greeting_code"] == 200
    assert g["greeting"] == fake_nntp.GREETING.decode()
    assert g["hello_code"] == 101
    assert g["capabilities"] == caps("normal", False)
    assert g["capabilities_tls"] == caps("normal", True)
    assert g["starttls_advertised"] is True and g["starttls_sent"] is True
    assert g["starttls_ok"] is True
    assert g["starttls_code"] == 382
    assert g["starttls_reply"] == fake_nntp.STARTTLS_OK.decode()
    assert g["pipelined_bytes"] == 0


def test_normal_transcript(run_json, pki, nntp):
    s = scan(run_json, pki, nntp, "normal")
    ep = s.ep
    tr = [(t["dir"], t["text"]) for t in ep["transcript"]]
    assert tr[0] == ("S", fake_nntp.GREETING.decode())
    assert texts(ep, "C") == ["CAPABILITIES", "STARTTLS", "CAPABILITIES", "QUIT"]
    assert s.commands == [["CAPABILITIES", "STARTTLS", "CAPABILITIES", "QUIT"]]
    i = tr.index(("C", "STARTTLS"))
    assert tr[i + 1] == ("S", fake_nntp.STARTTLS_OK.decode())
    assert ("S", "STARTTLS") in tr[:i] and ("S", "STARTTLS") not in tr[i:]
    assert tr[-1] == ("S", "205 Connection closing")


@pytest.mark.parametrize("fid", DIALOGUE_FINDINGS)
def test_normal_has_no_dialogue_finding(run_json, pki, nntp, fid):
    """A correct server (only STARTTLS leaves the list inside TLS, as RFC
    4642 2.2.2 says it must): none of the dialogue findings."""
    ep = scan(run_json, pki, nntp, "normal").ep
    assert fid not in finding_ids(ep), finding(ep, fid)


# --------------------------------------------------------------------------
# 2. each deviation makes its finding appear


def test_no_starttls(run_json, pki, nntp):
    s = scan(run_json, pki, nntp, "no-starttls")
    ep = s.ep
    assert s.rc == 1, s.err
    f = finding(ep, "starttls-not-offered")
    assert f is not None and f["severity"] == "high", finding_ids(ep)
    assert "500 Unknown command" in f["detail"]
    g = ep["dialogue"]
    assert g["starttls_advertised"] is False and g["starttls_ok"] is False
    assert g["starttls_code"] == 500
    assert ep["tls"] is None and s.tls_sessions == []
    assert texts(ep, "C") == ["CAPABILITIES", "STARTTLS", "QUIT"]
    for fid in ("starttls-refused", "starttls-stripped"):
        assert fid not in finding_ids(ep)


def test_refuse(run_json, pki, nntp):
    s = scan(run_json, pki, nntp, "refuse")
    ep = s.ep
    f = finding(ep, "starttls-refused")
    assert f is not None and f["severity"] == "high", finding_ids(ep)
    assert fake_nntp.STARTTLS_REFUSED.decode() in f["detail"]
    assert ep["dialogue"]["starttls_code"] == 580
    assert ep["tls"] is None
    assert "starttls-not-offered" not in finding_ids(ep)


def test_stripped(run_json, pki, nntp):
    s = scan(run_json, pki, nntp, "stripped")
    ep = s.ep
    f = finding(ep, "starttls-stripped")
    assert f is not None and f["severity"] == "high", finding_ids(ep)
    assert ep["dialogue"]["starttls_advertised"] is False
    assert ep["dialogue"]["starttls_ok"] is True
    assert ep["tls"] is not None and s.tls_sessions
    assert "starttls-not-offered" not in finding_ids(ep)


def test_readvertise(run_json, pki, nntp):
    s = scan(run_json, pki, nntp, "readvertise")
    ep = s.ep
    assert "STARTTLS" in ep["dialogue"]["capabilities_tls"]
    f = finding(ep, "starttls-readvertised")
    assert f is not None and f["severity"] == "low", finding_ids(ep)


def test_pipeline(run_json, pki, nntp):
    s = scan(run_json, pki, nntp, "pipeline")
    ep = s.ep
    g = ep["dialogue"]
    assert g["pipelined_bytes"] == len(fake_nntp.PIPELINED)
    f = finding(ep, "pipelined-after-starttls")
    assert f is not None and f["severity"] == "medium", finding_ids(ep)
    # The injected bytes never reach TLS: the handshake and the real
    # capability list inside TLS are intact.
    assert ep["tls"] is not None and s.tls_sessions
    assert g["capabilities_tls"] == caps("pipeline", True)
    assert "INJECTED" not in g["capabilities_tls"]


def test_auth_before_tls(run_json, pki, nntp):
    ep = scan(run_json, pki, nntp, "auth-before-tls").ep
    f = finding(ep, "auth-before-tls")
    assert f is not None and f["severity"] == "medium", finding_ids(ep)
    assert "AUTHINFO USER" in f["detail"]
    assert "auth-after-tls-only" not in finding_ids(ep)


def test_auth_after_tls_only(run_json, pki, nntp):
    ep = scan(run_json, pki, nntp, "auth-after-tls").ep
    f = finding(ep, "auth-after-tls-only")
    assert f is not None and f["severity"] == "ok", finding_ids(ep)
    assert "auth-before-tls" not in finding_ids(ep)


def test_capabilities_changed(run_json, pki, nntp):
    """AUTHINFO USER appears inside TLS only: listed as info."""
    ep = scan(run_json, pki, nntp, "auth-after-tls").ep
    f = finding(ep, "capabilities-changed")
    assert f is not None and f["severity"] == "info", finding_ids(ep)
    assert "AUTHINFO USER" in f["detail"]


def test_busy(run_json, pki, nntp):
    s = scan(run_json, pki, nntp, "busy")
    ep = s.ep
    assert s.rc == 3, s.err
    assert [e["category"] for e in ep["errors"]] == ["busy"], ep["errors"]
    assert fake_nntp.BUSY_GREETING.decode() in ep["errors"][0]["message"]
    assert ep["dialogue"]["greeting_code"] == 400


# --------------------------------------------------------------------------
# 3. implicit TLS (563 style) and port/mode mismatches


def test_implicit_matches_s_client(run_json, pki, nntp, cipher_table):
    s = scan(run_json, pki, nntp, "implicit", "--implicit")
    ref = s_client(s.srv, pki.ca, name=NAME)
    ep = s.ep
    assert s.rc in (0, 1) and ep["errors"] == [], ep["errors"]
    tls = ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref.protocol, ref.cipher)
    assert tls["group"] == ref.temp_key
    assert tls["verify"]["code"] == ref.code == 0
    assert "port-mode-mismatch" not in finding_ids(ep)


def test_starttls_on_implicit_port(run_json, pki, nntp):
    srv = nntp("implicit")
    rc, doc, err = _check(run_json, pki, srv, "--starttls", "nntp", extra=("--read-timeout", "2"))
    ep = endpoint(doc)
    f = finding(ep, "port-mode-mismatch")
    assert f is not None, (finding_ids(ep), ep["errors"])
    assert "mailtls check --implicit %s:%d" % (NAME, srv.port) in f["fix"]


def test_implicit_on_starttls_port(run_json, pki, nntp):
    srv = nntp("normal")
    rc, doc, err = _check(run_json, pki, srv, "--implicit", extra=("--read-timeout", "2"))
    ep = endpoint(doc)
    assert rc == 3, err
    f = finding(ep, "port-mode-mismatch")
    assert f is not None, finding_ids(ep)
    assert "--starttls nntp %s:%d" % (NAME, srv.port) in f["fix"], f["fix"]


# --------------------------------------------------------------------------
# 4. a full scan over the NNTP dialogue


OPENSSL_VERSION_FLAG = {"TLSv1.0": "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2",
                        "TLSv1.3": "-tls1_3"}


def s_client_accepts(srv, *flags):
    p = subprocess.run([OPENSSL, "s_client", "-brief", "-starttls", "nntp", "-connect",
                        srv.hostport, "-servername", NAME] + list(flags),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    return p.returncode == 0 and b"Protocol version:" in p.stderr


def s_client_suites(srv, protocol):
    out = subprocess.run([OPENSSL, "ciphers", OPENSSL_VERSION_FLAG[protocol], "-s",
                          "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                         capture_output=True, timeout=30, check=True).stdout.decode()
    accepted = set()
    for suite in [c for c in out.strip().split(":") if c]:
        if protocol == "TLSv1.3":
            if suite.startswith("TLS_") and s_client_accepts(srv, "-tls1_3", "-ciphersuites",
                                                             suite):
                accepted.add(suite)
        elif not suite.startswith("TLS_") and s_client_accepts(
                srv, OPENSSL_VERSION_FLAG[protocol], "-cipher", suite + ":@SECLEVEL=0"):
            accepted.add(suite)
    return accepted


def test_full_scan(run_json, pki, nntp):
    srv = nntp("normal")
    quick = scan(run_json, pki, nntp, "normal").ep
    rc, doc, err = _check(run_json, pki, srv, "--starttls", "nntp", quick=False)
    ep = endpoint(doc)
    assert rc != 3, err
    assert ep["errors"] == [], ep["errors"]
    assert ep["stats"]["connections"] > 1
    for k in ("version", "cipher", "group"):
        assert ep["tls"][k] == quick["tls"][k], k
    for k in ("greeting", "capabilities", "capabilities_tls", "starttls_code"):
        assert ep["dialogue"][k] == quick["dialogue"][k], k
    offered = {p["name"]: p["offered"] for p in ep["protocols"]}
    for version, flag in OPENSSL_VERSION_FLAG.items():
        assert offered.get(version) == s_client_accepts(srv, flag, "-cipher",
                                                        "DEFAULT@SECLEVEL=0"), version
    for version in ("TLSv1.3", "TLSv1.2"):
        got = {c["openssl"] for c in ep["ciphers"] if c["protocol"] == version}
        assert got == s_client_suites(srv, version), version
    assert ([f for f in finding_ids(ep) if f in DIALOGUE_FINDINGS]
            == [f for f in finding_ids(quick) if f in DIALOGUE_FINDINGS])
