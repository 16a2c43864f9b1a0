"""`mailtls check --starttls imap|pop3|sieve|lmtp` (and --implicit) against a
real Dovecot (Debian's dovecot-core, -imapd, -pop3d, -managesieved, -lmtpd).

Every profile is its own Dovecot instance (tests/integ/dovecot.py: a
temporary dovecot.conf, base_dir, state_dir and log, listeners on 127.0.0.2
and free ports), started once per module and stopped at teardown. The
machine's own Dovecot (/etc/dovecot, ports 143, 993, 110, 995, 4190, 24) is
never touched.

References, independent of mailtls:
  - `openssl s_client [-starttls imap|pop3|sieve|lmtp]`: protocol, cipher,
    group, verify; with one version or suite forced, what the server accepts
  - Python's ssl + small line clients (dovecot.py): greeting, capabilities
    before and inside TLS, the answer to STARTTLS
  - Dovecot's own log: the TLS session each login process had (%k)

Profiles:
  tls          ssl = yes, disable_plaintext_auth = yes: STARTTLS listeners
               for IMAP, POP3, ManageSieve and LMTP, implicit TLS listeners
               for IMAP (993 style) and POP3 (995 style)
  plainauth    ssl = yes, disable_plaintext_auth = no: passwords accepted
               before TLS (no LOGINDISABLED, AUTH=PLAIN, USER)
  nossl        ssl = no: no STARTTLS anywhere
  nodh         like tls but without ssl_dh (Dovecot then fails every
               handshake whose pick is a DHE suite)
  preauth      Dovecot's imap run pre-authenticated (`doveadm exec imap`)
               behind a loopback bridge: the greeting is "* PREAUTH"
"""

import subprocess

import pytest

import dovecot
from conftest import OPENSSL, endpoint, finding_ids, s_client
from dovecot import Dovecot, PreauthBridge

_why = dovecot.available()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

NAME = "localhost"
STARTTLS_PROTOS = ("imap", "pop3", "sieve", "lmtp")
# Protocols with passwords (LMTP has no authentication at all).
AUTH_PROTOS = ("imap", "pop3", "sieve")
IMPLICIT = {"imaps": "imap", "pop3s": "pop3"}
EHLO = "client.mailtls.test"

DIALOGUE_FINDINGS = ("starttls-not-offered", "starttls-refused", "starttls-stripped",
                     "starttls-readvertised", "auth-before-tls", "auth-after-tls-only",
                     "pipelined-after-starttls", "imap-preauth", "greeting-delay",
                     "server-throttled", "port-mode-mismatch")


def finding(ep, fid):
    found = [f for f in ep["findings"] if f["id"] == fid]
    assert len(found) <= 1, "finding %s listed %d times" % (fid, len(found))
    return found[0] if found else None


def texts(ep, direction):
    return [t["text"] for t in ep["transcript"] if t["dir"] == direction]


# --------------------------------------------------------------------------
# instances


def _good(pki):
    leaf = pki.leaf("good")
    return leaf.cert, leaf.key


def _running(dv):
    dv.start()
    try:
        yield dv
    finally:
        dv.stop()


@pytest.fixture(scope="module")
def dv_tls(pki):
    yield from _running(Dovecot("tls", *_good(pki)))


@pytest.fixture(scope="module")
def dv_plainauth(pki):
    yield from _running(Dovecot("plainauth", *_good(pki), disable_plaintext_auth=False,
                                listeners=("imap", "pop3", "sieve")))


@pytest.fixture(scope="module")
def dv_nossl():
    yield from _running(Dovecot("nossl", ssl="no", listeners=("imap", "pop3", "sieve", "lmtp")))


@pytest.fixture(scope="module")
def dv_nodh(pki):
    yield from _running(Dovecot("nodh", *_good(pki), dh=False, listeners=("imap",)))


@pytest.fixture(scope="module")
def preauth(dv_tls):
    bridge = PreauthBridge(dv_tls)
    try:
        yield bridge
    finally:
        bridge.stop()


# --------------------------------------------------------------------------
# scans


def _check(run_json, pki, lst, *mode, extra=(), quick=True, ca=None):
    """mailtls check [--quick] --ca-file CA --ip ADDR localhost:PORT --json -"""
    q = ("--quick",) if quick else ()
    return run_json("check", *q, "--ca-file", ca or pki.ca, "--ip", lst.host, *mode, *extra,
                    "%s:%d" % (NAME, lst.port))


class Scan:
    def __init__(self, rc, doc, err, new_tls=()):
        self.rc, self.doc, self.err = rc, doc, err
        self.ep = endpoint(doc)
        self.new_tls = list(new_tls)


_scans = {}


def _scan(run_json, pki, dv, listener, *mode, extra=()):
    """One --quick scan per (instance, listener, mode), shared by the tests."""
    key = (dv.name, dv.root, listener, mode, extra)
    if key not in _scans:
        lst = dv[listener]
        before = len(dv.tls_sessions(0, 0))
        rc, doc, err = _check(run_json, pki, lst, *mode, extra=extra)
        ep = endpoint(doc)
        new = []
        if ep["tls"] and listener != "lmtp":  # login processes log %k; lmtp does not
            new = dv.tls_sessions(before + 1)[before:]
        _scans[key] = Scan(rc, doc, err, new)
    return _scans[key]


def starttls_scan(run_json, pki, dv, proto):
    return _scan(run_json, pki, dv, proto, "--starttls", proto, extra=("--ehlo", EHLO))


REFERENCE = {"imap": dovecot.imap_reference, "pop3": dovecot.pop3_reference,
             "sieve": dovecot.sieve_reference, "lmtp": dovecot.lmtp_reference}
_refs = {}


def reference(dv, proto, ca):
    key = (dv.name, dv.root, proto)
    if key not in _refs:
        _refs[key] = REFERENCE[proto](dv[proto], ca)
    return _refs[key]


def sieve_cap(line):
    """What a ManageSieve capability line is as one capability: the quoted
    strings without their quotes, joined by one space, an empty value
    dropped ('"SASL" ""' -> 'SASL')."""
    return line.replace('"', "").strip()


def expected_caps(proto, ref, key):
    if proto == "sieve":
        return [sieve_cap(l) for l in ref[key]]
    return ref[key]


# --------------------------------------------------------------------------
# s_client forcing one protocol version or one suite


OPENSSL_VERSION_FLAG = {"TLSv1.0": "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2",
                        "TLSv1.3": "-tls1_3"}


def s_client_accepts(lst, starttls, *flags):
    argv = [OPENSSL, "s_client", "-brief", "-connect", lst.hostport, "-servername", NAME]
    if starttls:
        argv += ["-starttls", starttls]
    p = subprocess.run(argv + list(flags), stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=30)
    return p.returncode == 0 and b"Protocol version:" in p.stderr


def s_client_version(lst, starttls, version):
    return s_client_accepts(lst, starttls, OPENSSL_VERSION_FLAG[version], "-cipher",
                            "DEFAULT@SECLEVEL=0")


def openssl_suites(protocol):
    """OpenSSL names of every suite `openssl ciphers` knows for a version."""
    flag = OPENSSL_VERSION_FLAG[protocol]
    out = subprocess.run([OPENSSL, "ciphers", flag, "-s", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                         capture_output=True, timeout=30, check=True).stdout.decode()
    return [c for c in out.strip().split(":") if c]


def s_client_suites(lst, starttls, protocol):
    """The suites s_client completes a handshake with, one at a time."""
    accepted = set()
    if protocol == "TLSv1.3":
        for suite in openssl_suites("TLSv1.3"):
            if suite.startswith("TLS_") and s_client_accepts(lst, starttls, "-tls1_3",
                                                             "-ciphersuites", suite):
                accepted.add(suite)
        return accepted
    for suite in openssl_suites(protocol):
        if suite.startswith("TLS_"):
            continue
        if s_client_accepts(lst, starttls, OPENSSL_VERSION_FLAG[protocol], "-cipher",
                            suite + ":@SECLEVEL=0"):
            accepted.add(suite)
    return accepted


def mailtls_suites(ep, protocol):
    return {c["openssl"] for c in ep["ciphers"] if c["protocol"] == protocol}


# --------------------------------------------------------------------------
# 1. ssl = yes, disable_plaintext_auth = yes: the negotiated TLS


@pytest.mark.parametrize("proto", STARTTLS_PROTOS)
def test_starttls_scans_ok(run_json, pki, dv_tls, proto):
    s = starttls_scan(run_json, pki, dv_tls, proto)
    ep = s.ep
    assert s.rc in (0, 1), s.err  # 1: the test PKI's short-lived leaf may count
    assert s.doc["errors"] == [] and ep["errors"] == [], ep["errors"]
    assert (ep["host"], ep["port"], ep["address"]) == (NAME, dv_tls.ports[proto], dovecot.HOST)
    assert (ep["mode"], ep["starttls"], ep["sni"]) == ("starttls", proto, NAME)
    assert ep["stats"]["connections"] == 1  # --quick
    g = ep["dialogue"]
    assert g["starttls_advertised"] is True
    assert g["starttls_sent"] is True and g["starttls_ok"] is True
    assert g["pipelined_bytes"] == 0
    assert g["silent"] is False


@pytest.mark.parametrize("proto", STARTTLS_PROTOS)
def test_starttls_tls_matches_s_client(run_json, pki, dv_tls, proto, cipher_table):
    """The negotiated version, cipher and group equal what `openssl
    s_client -starttls PROTO` negotiates with the same listener."""
    s = starttls_scan(run_json, pki, dv_tls, proto)
    ref = s_client(dv_tls[proto], pki.ca, name=NAME, starttls=proto)
    tls = s.ep["tls"]
    assert tls is not None, s.ep["errors"]
    assert tls["version"] == ref.protocol
    assert tls["cipher_openssl"] == ref.cipher
    assert tls["cipher"] == cipher_table[ref.cipher]["iana"]
    assert tls["cipher_code"] == cipher_table[ref.cipher]["code"]
    assert tls["group"] == ref.temp_key
    assert ref.code == 0 and tls["verify"]["code"] == 0
    assert tls["verify"]["message"] == ref.message == "ok"
    assert tls["verify"]["hostname_checked"] is True and tls["verify"]["name"] == NAME


@pytest.mark.parametrize("proto", STARTTLS_PROTOS)
def test_starttls_tls_matches_python_ssl(run_json, pki, dv_tls, proto):
    s = starttls_scan(run_json, pki, dv_tls, proto)
    ref = reference(dv_tls, proto, pki.ca)
    tls = s.ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref["version"], ref["cipher"])


@pytest.mark.parametrize("proto", AUTH_PROTOS)
def test_starttls_tls_matches_dovecot_log(run_json, pki, dv_tls, proto):
    s = starttls_scan(run_json, pki, dv_tls, proto)
    tls = s.ep["tls"]
    assert s.new_tls, "Dovecot logged no TLS session for the scan:\n" + dv_tls.log()[-3000:]
    assert (tls["version"], tls["cipher_openssl"]) in s.new_tls


def test_certificate(run_json, pki, dv_tls):
    ep = starttls_scan(run_json, pki, dv_tls, "imap").ep
    info = pki.leaf("good").info
    assert ep["certificates"], "no certificate reported"
    leaf = ep["certificates"][0]
    assert (leaf["depth"], leaf["sha256"], leaf["serial"]) == (0, info["sha256"], info["serial"])
    assert leaf["subject"] == info["subject"] == "CN=localhost"
    f = finding(ep, "cert-trusted")
    assert f is not None and f["severity"] == "ok"


def test_untrusted_ca_matches_s_client(run_json, pki, dv_tls):
    """Against a CA that signed nothing here: the verify code is s_client's,
    and cert-trusted is absent."""
    rc, doc, err = _check(run_json, pki, dv_tls["imap"], "--starttls", "imap", ca=pki.other_ca)
    ep = endpoint(doc)
    ref = s_client(dv_tls["imap"], pki.other_ca, name=NAME, starttls="imap")
    assert ref.code != 0
    assert ep["tls"] is not None, ep["errors"]
    assert ep["tls"]["verify"]["code"] == ref.code
    assert "cert-trusted" not in finding_ids(ep)
    assert (ep["tls"]["version"], ep["tls"]["cipher_openssl"]) == (ref.protocol, ref.cipher)


# --------------------------------------------------------------------------
# 2. the dialogues, against Python's view of the same server


def test_imap_dialogue(run_json, pki, dv_tls):
    ep = starttls_scan(run_json, pki, dv_tls, "imap").ep
    ref = reference(dv_tls, "imap", pki.ca)
    g = ep["dialogue"]
    assert ref["greeting"].startswith("* OK ") and ref["greeting"].endswith(dovecot.GREETING)
    assert g["greeting"] == ref["greeting"]
    assert 0 <= g["greeting_ms"] < 5000
    assert g["capabilities"] == ref["caps"]
    assert "STARTTLS" in g["capabilities"] and "LOGINDISABLED" in g["capabilities"]
    assert not [c for c in g["capabilities"] if c.upper().startswith("AUTH=")]
    assert g["capabilities_tls"] == ref["caps_tls"]
    assert "STARTTLS" not in g["capabilities_tls"] and "LOGINDISABLED" not in g["capabilities_tls"]
    assert "AUTH=PLAIN" in g["capabilities_tls"]
    assert ref["starttls"] == "r2 OK Begin TLS negotiation now."
    assert g["starttls_reply"] == "a2 OK Begin TLS negotiation now."
    assert g["preauth"] is False
    assert g["auth_clear"] is None and g["auth_tls"] is True


def test_pop3_dialogue(run_json, pki, dv_tls):
    ep = starttls_scan(run_json, pki, dv_tls, "pop3").ep
    ref = reference(dv_tls, "pop3", pki.ca)
    g = ep["dialogue"]
    assert g["greeting"] == ref["greeting"] == "+OK " + dovecot.GREETING
    assert g["capabilities"] == ref["caps"]
    assert "STLS" in g["capabilities"] and "USER" not in g["capabilities"]
    assert g["capabilities_tls"] == ref["caps_tls"]
    assert "STLS" not in g["capabilities_tls"]
    assert "USER" in g["capabilities_tls"] and "SASL PLAIN LOGIN" in g["capabilities_tls"]
    assert g["starttls_reply"] == ref["starttls"] == "+OK Begin TLS negotiation now."
    assert g["auth_clear"] is None and g["auth_tls"] is True


def test_sieve_dialogue(run_json, pki, dv_tls):
    ep = starttls_scan(run_json, pki, dv_tls, "sieve").ep
    ref = reference(dv_tls, "sieve", pki.ca)
    g = ep["dialogue"]
    assert ref["caps"][0] == '"IMPLEMENTATION" "Dovecot (Debian) Pigeonhole"'
    assert g["greeting"] == ref["caps"][0]
    assert '"STARTTLS"' in ref["caps"] and '"SASL" ""' in ref["caps"]
    assert g["capabilities"] == expected_caps("sieve", ref, "caps")
    assert g["capabilities_tls"] == expected_caps("sieve", ref, "caps_tls")
    assert "STARTTLS" in g["capabilities"] and "STARTTLS" not in g["capabilities_tls"]
    assert "SASL PLAIN LOGIN" in g["capabilities_tls"]
    assert g["starttls_reply"] == ref["starttls"] == 'OK "Begin TLS negotiation now."'
    assert g["auth_clear"] is None and g["auth_tls"] is True


def test_lmtp_dialogue(run_json, pki, dv_tls):
    ep = starttls_scan(run_json, pki, dv_tls, "lmtp").ep
    ref = reference(dv_tls, "lmtp", pki.ca)
    g = ep["dialogue"]
    assert ref["greeting"][0] == 220 and ref["greeting"][1][0].endswith(dovecot.GREETING)
    assert g["greeting_code"] == 220 and g["greeting"] == ref["greeting"][1][0]
    assert g["hello_code"] == ref["hello_code"] == 250
    assert g["capabilities"] == ref["caps"] and "STARTTLS" in g["capabilities"]
    assert g["capabilities_tls"] == ref["caps_tls"] and "STARTTLS" not in g["capabilities_tls"]
    assert ref["starttls"] == (220, ["2.0.0 Begin TLS negotiation now."])
    assert g["starttls_code"] == 220
    assert g["starttls_reply"] == "2.0.0 Begin TLS negotiation now."
    assert g["auth_clear"] is None and g["auth_tls"] is False


EXPECTED_COMMANDS = {
    "imap": ["a1 CAPABILITY", "a2 STARTTLS", "a3 CAPABILITY", "a4 LOGOUT"],
    "pop3": ["CAPA", "STLS", "CAPA", "QUIT"],
    "sieve": ["STARTTLS", "LOGOUT"],
    "lmtp": ["LHLO " + EHLO, "STARTTLS", "LHLO " + EHLO, "QUIT"],
}
STARTTLS_CMD = {"imap": "a2 STARTTLS", "pop3": "STLS", "sieve": "STARTTLS", "lmtp": "STARTTLS"}
GO_AHEAD = {"imap": "a2 OK Begin TLS negotiation now.", "pop3": "+OK Begin TLS negotiation now.",
            "sieve": 'OK "Begin TLS negotiation now."',
            "lmtp": "220 2.0.0 Begin TLS negotiation now."}
LAST_REPLY = {"imap": "a4 OK Logout completed.", "pop3": "+OK Logging out",
              "sieve": 'OK "Logout completed."', "lmtp": "221 2.0.0 Bye"}


@pytest.mark.parametrize("proto", STARTTLS_PROTOS)
def test_transcript(run_json, pki, dv_tls, proto):
    ep = starttls_scan(run_json, pki, dv_tls, proto).ep
    tr = [(t["dir"], t["text"]) for t in ep["transcript"]]
    assert tr and tr[0][0] == "S", tr[:3]
    times = [t["t_ms"] for t in ep["transcript"]]
    assert times == sorted(times)
    assert texts(ep, "C") == EXPECTED_COMMANDS[proto]
    i = tr.index(("C", STARTTLS_CMD[proto]))
    assert tr[i + 1] == ("S", GO_AHEAD[proto])
    # Inside TLS the server's capability lines no longer name STARTTLS/STLS.
    after = [t for d, t in tr[i + 2:] if d == "S"]
    assert after and not [t for t in after if "STARTTLS" in t or t == "STLS"]
    assert tr[-1] == ("S", LAST_REPLY[proto])


# --------------------------------------------------------------------------
# 3. findings of the good profile


@pytest.mark.parametrize("proto", AUTH_PROTOS)
def test_auth_after_tls_only_present(run_json, pki, dv_tls, proto):
    """disable_plaintext_auth = yes: no password before TLS (IMAP says
    LOGINDISABLED), AUTH/SASL/USER inside it."""
    ep = starttls_scan(run_json, pki, dv_tls, proto).ep
    f = finding(ep, "auth-after-tls-only")
    assert f is not None and f["severity"] == "ok"
    assert "auth-before-tls" not in finding_ids(ep), finding(ep, "auth-before-tls")


@pytest.mark.parametrize("proto", STARTTLS_PROTOS)
@pytest.mark.parametrize("fid", [f for f in DIALOGUE_FINDINGS if f != "auth-after-tls-only"])
def test_good_profile_has_no_dialogue_finding(run_json, pki, dv_tls, proto, fid):
    ep = starttls_scan(run_json, pki, dv_tls, proto).ep
    assert fid not in finding_ids(ep), finding(ep, fid)


def test_lmtp_has_no_auth_finding(run_json, pki, dv_tls):
    """LMTP offers no authentication at all: neither auth finding."""
    ep = starttls_scan(run_json, pki, dv_tls, "lmtp").ep
    assert "auth-after-tls-only" not in finding_ids(ep)
    assert "auth-before-tls" not in finding_ids(ep)


@pytest.mark.parametrize("proto", AUTH_PROTOS)
def test_capabilities_changed_present(run_json, pki, dv_tls, proto):
    """Dovecot changes more than STARTTLS inside TLS (LOGINDISABLED goes,
    AUTH=PLAIN, USER, SASL mechanisms come): listed as info."""
    ep = starttls_scan(run_json, pki, dv_tls, proto).ep
    f = finding(ep, "capabilities-changed")
    assert f is not None and f["severity"] == "info"
    want = {"imap": ("LOGINDISABLED", "AUTH=PLAIN"), "pop3": ("USER", "SASL PLAIN LOGIN"),
            "sieve": ("SASL PLAIN LOGIN",)}[proto]
    for w in want:
        assert w in f["detail"], f["detail"]


def test_lmtp_starttls_disappearing_is_no_capability_change(run_json, pki, dv_tls):
    """Dovecot's LMTP drops only STARTTLS inside TLS, as RFC 3207 4.2 says
    it must: that alone is no capability change worth a finding (the same
    rule as tests/integ/test_smtp_postfix.py)."""
    ep = starttls_scan(run_json, pki, dv_tls, "lmtp").ep
    g = ep["dialogue"]
    assert [c for c in g["capabilities"] if c != "STARTTLS"] == g["capabilities_tls"]
    assert "capabilities-changed" not in finding_ids(ep), finding(ep, "capabilities-changed")


# --------------------------------------------------------------------------
# 4. disable_plaintext_auth = no: passwords before TLS


def test_plainauth_profile_offers_passwords(pki, dv_plainauth):
    """Proves the profile with Python: LOGIN/PLAIN before TLS."""
    ref = reference(dv_plainauth, "imap", pki.ca)
    assert "LOGINDISABLED" not in ref["caps"] and "AUTH=PLAIN" in ref["caps"]
    assert "USER" in reference(dv_plainauth, "pop3", pki.ca)["caps"]
    assert '"SASL" "PLAIN LOGIN"' in reference(dv_plainauth, "sieve", pki.ca)["caps"]


@pytest.mark.parametrize("proto", AUTH_PROTOS)
def test_auth_before_tls_present(run_json, pki, dv_plainauth, proto):
    s = starttls_scan(run_json, pki, dv_plainauth, proto)
    ep = s.ep
    f = finding(ep, "auth-before-tls")
    assert f is not None and f["severity"] == "medium", finding_ids(ep)
    assert f["fix"] and "disable_plaintext_auth" in f["fix"]
    want = {"imap": "LOGIN", "pop3": "USER", "sieve": "PLAIN"}[proto]
    assert want in f["detail"], f["detail"]
    assert ep["dialogue"]["auth_clear"]
    assert "auth-after-tls-only" not in finding_ids(ep)
    # TLS itself is as good as in the other profile.
    assert s.rc in (0, 1) and ep["tls"] is not None
    assert "starttls-not-offered" not in finding_ids(ep)


@pytest.mark.parametrize("proto", AUTH_PROTOS)
def test_plainauth_tls_matches_s_client(run_json, pki, dv_plainauth, proto):
    ep = starttls_scan(run_json, pki, dv_plainauth, proto).ep
    ref = s_client(dv_plainauth[proto], pki.ca, name=NAME, starttls=proto)
    assert (ep["tls"]["version"], ep["tls"]["cipher_openssl"]) == (ref.protocol, ref.cipher)
    assert ep["tls"]["group"] == ref.temp_key


# --------------------------------------------------------------------------
# 5. ssl = no: STARTTLS not offered


@pytest.mark.parametrize("proto", STARTTLS_PROTOS)
def test_nossl_starttls_not_offered(run_json, pki, dv_nossl, proto):
    s = starttls_scan(run_json, pki, dv_nossl, proto)
    ep = s.ep
    ref = reference(dv_nossl, proto, pki.ca)
    assert "version" not in ref, "the profile negotiated TLS"
    assert s.rc == 1, s.err
    f = finding(ep, "starttls-not-offered")
    assert f is not None and f["severity"] == "high", finding_ids(ep)
    assert ep["tls"] is None and ep["certificates"] == []
    g = ep["dialogue"]
    assert g["starttls_advertised"] is False
    assert g["starttls_ok"] is False
    assert g["capabilities"] == expected_caps(proto, ref, "caps")
    assert g["capabilities_tls"] is None
    if g["starttls_sent"]:
        # The server's own words are kept and shown.
        answer = {"imap": lambda r: r.split(" ", 1)[1], "lmtp": lambda r: r[1][0]}.get(
            proto, lambda r: r)(ref["starttls"])
        assert answer in (g["starttls_reply"] or ""), (g["starttls_reply"], ref["starttls"])
        assert answer in f["detail"]
    for fid in ("starttls-refused", "starttls-stripped", "starttls-readvertised",
                "capabilities-changed", "cert-trusted", "auth-after-tls-only"):
        assert fid not in finding_ids(ep), finding(ep, fid)


@pytest.mark.parametrize("proto", STARTTLS_PROTOS)
def test_starttls_not_offered_absent(run_json, pki, dv_tls, proto):
    ep = starttls_scan(run_json, pki, dv_tls, proto).ep
    assert "starttls-not-offered" not in finding_ids(ep)


# --------------------------------------------------------------------------
# 6. PREAUTH


def test_preauth_present(run_json, pki, preauth):
    rc, doc, err = run_json("check", "--quick", "--ca-file", pki.ca, "--ip", preauth.host,
                            "--starttls", "imap", "%s:%d" % (NAME, preauth.port))
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert g["greeting"].startswith("* PREAUTH ") and g["greeting"].endswith("Logged in as alice")
    assert g["preauth"] is True
    f = finding(ep, "imap-preauth")
    assert f is not None and f["severity"] == "high", finding_ids(ep)
    assert rc == 1, err
    assert ep["tls"] is None
    # STARTTLS is impossible in the authenticated state: never sent, and
    # not reported as merely "not offered".
    assert g["starttls_sent"] is False
    assert texts(ep, "C") == ["a4 LOGOUT"]
    assert texts(ep, "S")[-1].startswith("a4 OK")
    for fid in ("starttls-not-offered", "starttls-refused", "starttls-stripped"):
        assert fid not in finding_ids(ep), finding(ep, fid)


def test_preauth_absent(run_json, pki, dv_tls):
    ep = starttls_scan(run_json, pki, dv_tls, "imap").ep
    assert ep["dialogue"]["preauth"] is False
    assert "imap-preauth" not in finding_ids(ep)


# --------------------------------------------------------------------------
# 7. implicit TLS listeners (993 / 995 style) and port/mode mismatches


@pytest.mark.parametrize("listener", sorted(IMPLICIT))
def test_implicit_matches_s_client(run_json, pki, dv_tls, listener, cipher_table):
    s = _scan(run_json, pki, dv_tls, listener, "--implicit")
    ref = s_client(dv_tls[listener], pki.ca, name=NAME)
    ep = s.ep
    assert s.rc in (0, 1), s.err
    assert ep["errors"] == [] and ep["mode"] == "implicit"
    tls = ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref.protocol, ref.cipher)
    assert tls["cipher"] == cipher_table[ref.cipher]["iana"]
    assert tls["group"] == ref.temp_key
    assert tls["verify"]["code"] == ref.code == 0
    assert s.new_tls and (tls["version"], tls["cipher_openssl"]) in s.new_tls
    assert "port-mode-mismatch" not in finding_ids(ep), finding(ep, "port-mode-mismatch")


@pytest.mark.parametrize("listener", sorted(IMPLICIT))
def test_starttls_on_implicit_port(run_json, pki, dv_tls, listener):
    """--starttls imap against the 993-style listener: no greeting comes;
    a ClientHello is answered: the advice is --implicit."""
    proto = IMPLICIT[listener]
    lst = dv_tls[listener]
    rc, doc, err = _check(run_json, pki, lst, "--starttls", proto,
                          extra=("--read-timeout", "2"))
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert g["silent"] is True and g["implicit_answered"] is True, g
    f = finding(ep, "port-mode-mismatch")
    assert f is not None and f["severity"] == "medium", finding_ids(ep)
    assert "mailtls check --implicit %s:%d" % (NAME, lst.port) in f["fix"], f["fix"]
    # The verified handshake still ran, as implicit TLS.
    assert ep["tls"] is not None and ep["tls"]["verify"]["code"] == 0


@pytest.mark.parametrize("proto", ("imap", "pop3", "sieve"))
def test_implicit_on_starttls_port(run_json, pki, dv_tls, proto):
    """--implicit against the STARTTLS listener: Dovecot greets in clear
    text; the advice names the protocol to use."""
    lst = dv_tls[proto]
    rc, doc, err = _check(run_json, pki, lst, "--implicit", extra=("--read-timeout", "2"))
    ep = endpoint(doc)
    assert rc == 3, err
    assert ep["tls"] is None
    # The greeting of the protocol. Its text varies: Dovecot says "* OK
    # Dovecot ready." or, while its auth process is busy, "* OK Waiting for
    # authentication process to respond..".
    opening = {"imap": "* OK ", "pop3": "+OK ", "sieve": '"IMPLEMENTATION" '}[proto]
    assert (ep["clear_text_answer"] or "").startswith(opening), ep["clear_text_answer"]
    f = finding(ep, "port-mode-mismatch")
    assert f is not None, finding_ids(ep)
    assert "--starttls %s" % proto in f["fix"], f["fix"]
    assert "%s:%d" % (NAME, lst.port) in f["fix"]


@pytest.mark.parametrize("proto", STARTTLS_PROTOS)
def test_port_mode_mismatch_absent(run_json, pki, dv_tls, proto):
    ep = starttls_scan(run_json, pki, dv_tls, proto).ep
    assert "port-mode-mismatch" not in finding_ids(ep)


# --------------------------------------------------------------------------
# 8. full scans (enumeration over each dialogue)


@pytest.mark.parametrize("listener", ("imap", "pop3", "sieve", "lmtp", "imaps"))
def test_full_scan(run_json, pki, dv_tls, listener):
    """Without --quick every enumeration connection runs the dialogue too;
    the verified handshake and the dialogue stay the same, and the
    protocol versions and TLS 1.3 suites agree with s_client forcing each."""
    lst = dv_tls[listener]
    proto = IMPLICIT.get(listener, listener)
    implicit = listener in IMPLICIT
    mode = ("--implicit",) if implicit else ("--starttls", proto)
    rc, doc, err = _check(run_json, pki, lst, *mode, quick=False)
    ep = endpoint(doc)
    quick = _scan(run_json, pki, dv_tls, listener, *mode,
                  extra=() if implicit else ("--ehlo", EHLO)).ep
    assert rc != 3, err
    assert ep["errors"] == [], ep["errors"]
    assert ep["stats"]["connections"] > 1
    for k in ("version", "cipher", "group"):
        assert ep["tls"][k] == quick["tls"][k], k
    assert ep["tls"]["verify"]["code"] == 0
    if not implicit:
        for k in ("greeting", "capabilities", "capabilities_tls", "starttls_reply"):
            assert ep["dialogue"][k] == quick["dialogue"][k], k
    starttls = None if implicit else proto
    offered = {p["name"]: p["offered"] for p in ep["protocols"]}
    for version in OPENSSL_VERSION_FLAG:
        assert offered.get(version) == s_client_version(lst, starttls, version), version
    assert mailtls_suites(ep, "TLSv1.3") == s_client_suites(lst, starttls, "TLSv1.3")
    assert ([f for f in finding_ids(ep) if f in DIALOGUE_FINDINGS]
            == [f for f in finding_ids(quick) if f in DIALOGUE_FINDINGS])


def test_full_scan_tls12_suites_match_s_client(run_json, pki, dv_tls):
    """Every TLS 1.2 suite mailtls lists for the IMAP STARTTLS listener is
    one s_client can negotiate alone, and none is missing."""
    lst = dv_tls["imap"]
    rc, doc, err = _check(run_json, pki, lst, "--starttls", "imap", quick=False)
    ep = endpoint(doc)
    assert ep["errors"] == [], ep["errors"]
    assert mailtls_suites(ep, "TLSv1.2") == s_client_suites(lst, "imap", "TLSv1.2")


def test_nodh_tls12_still_found(run_json, pki, dv_nodh):
    """Without ssl_dh Dovecot fails every handshake whose pick is a DHE
    suite, yet an ECDHE suite offered alone (or first, as OpenSSL clients
    do) gets TLS 1.2. mailtls must report TLS 1.2 and its ECDHE suites as
    s_client sees them, not "TLSv1.2 no"."""
    lst = dv_nodh["imap"]
    assert s_client_version(lst, "imap", "TLSv1.2")
    rc, doc, err = _check(run_json, pki, lst, "--starttls", "imap", quick=False)
    ep = endpoint(doc)
    offered = {p["name"]: p["offered"] for p in ep["protocols"]}
    assert offered.get("TLSv1.2") is True, (offered, dv_nodh.wait_log(r"Diffie-Hellman.*", 1, 1))
    assert mailtls_suites(ep, "TLSv1.2") == s_client_suites(lst, "imap", "TLSv1.2")
