"""`mailtls check --starttls smtp` against both real MTAs: the tests whose
body is the same for Postfix (tests/integ/postfix.py) and Haraka
(tests/integ/haraka.py), parametrised over ["postfix", "haraka"]. What
differs between the two servers is written down per MTA in EXPECT (the
greeting, the first line of the EHLO reply, where STARTTLS sits in it, the
STARTTLS and QUIT replies, the 5xx for an unknown STARTTLS, the server's
own name for the setting a finding's fix must mention).

References, independent of mailtls: `openssl s_client -starttls smtp`
(protocol, cipher, group, verify; pinned to one protocol version and one
suite at a time, what the enumeration must find), Python's ssl + a small
SMTP client (postfix.reference_dialogue: greeting, capabilities before and
inside TLS, the STARTTLS reply), the server's own log (the TLS session it
logged).

The tests only one MTA can run stay in test_smtp_postfix.py and
test_smtp_haraka.py (their docstrings list the profiles and the references).

Instances (one of each per MTA, started once for the module):
  mta        STARTTLS offered: Postfix "may" (smtpd_tls_security_level =
             may), Haraka "tls" (plugins tls, queue/discard); the test PKI's
             certificate for localhost
  mta_notls  no STARTTLS: Postfix "none", Haraka "notls" (queue/discard)
  mta_auth   PLAIN LOGIN offered before TLS: Postfix "auth-clear" (Cyrus
             SASL, smtpd_tls_auth_only = no), Haraka "auth" (auth/flat_file;
             Haraka offers AUTH in clear text to loopback)
"""

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Optional

import pytest

import haraka
import postfix
from conftest import OPENSSL, endpoint, finding_ids, s_client
from haraka import ME, Haraka
from postfix import MYHOSTNAME, Postfix, reference_dialogue
from test_smtp_haraka import GREETING_RE, HELLO
from test_smtp_postfix import (AUTH, DIALOGUE_FINDINGS, GREETING, HOST, VERIFY_PROBLEMS, _good,
                               _sasl, finding, texts)

MTAS = ["postfix", "haraka"]


@dataclass(frozen=True)
class Expect:
    label: str                           # in messages
    greeting: Callable[[str], bool]      # the 220 text (without "220 ")
    greeting_stable: bool                # the same text on every connection
    hello: str                           # first line of the EHLO reply
    starttls_cap_last: bool              # "250 STARTTLS" ends the EHLO reply
    starttls_reply: str                  # the text of the 220 to STARTTLS
    bye: Callable[[str], bool]           # the whole 221 line to QUIT
    ehlo_log: Optional[str]              # how the server logs --ehlo's name
    notls_starttls: tuple                # (code, text) to STARTTLS without TLS
    notls_fix: Optional[str]             # in starttls-not-offered's fix
    auth_fix: Optional[str]              # in auth-before-tls's fix


EXPECT = {
    "postfix": Expect(
        label="Postfix",
        greeting=lambda t: t == GREETING,
        greeting_stable=True,
        hello="250-" + MYHOSTNAME,
        starttls_cap_last=False,         # "250-STARTTLS" inside the reply
        starttls_reply="2.0.0 Ready to start TLS",
        bye=lambda t: t == "221 2.0.0 Bye",
        ehlo_log=None,
        notls_starttls=(502, "5.5.1 Error: command not implemented"),
        notls_fix="smtpd_tls_security_level",
        auth_fix="smtpd_tls_auth_only"),
    "haraka": Expect(
        label="Haraka",
        greeting=lambda t: GREETING_RE.match(t) is not None,
        greeting_stable=False,           # it ends with the connection's uuid
        hello="250-" + HELLO,
        starttls_cap_last=True,          # Haraka lists it last
        starttls_reply="Go ahead.",
        bye=lambda t: t.startswith("221 %s " % ME),
        ehlo_log=r"helo=client\.mailtls\.test .*tls=Y",
        notls_starttls=(500, "Unrecognized command"),
        notls_fix=None,
        auth_fix=None),
}


# --------------------------------------------------------------------------
# instances


@dataclass
class Mta:
    name: str            # "postfix" or "haraka"
    srv: object          # the running Postfix or Haraka
    expect: Expect


HARAKA_AUTH_INI = ("[core]\nmethods=PLAIN,LOGIN\nconstrain_sender=false\n\n"
                   "[users]\nmailtls=not-a-real-secret\n")


def _make(name, profile, pki, tmp_path_factory):
    """profile: "tls", "notls" or "auth" -> a (not yet started) server."""
    leaf = pki.leaf("good")
    if name == "postfix":
        why = postfix.available()
        if why is not None:
            pytest.skip(why)
        if profile == "tls":
            return Postfix("may", *_good(pki))
        if profile == "notls":
            return Postfix("none", main={"smtpd_tls_security_level": "none"})
        return _sasl("auth-clear", pki, "no")
    why = haraka.available()
    if why is not None:
        pytest.skip(why)
    root = tmp_path_factory.mktemp("haraka-" + profile)
    if profile == "tls":
        return Haraka("tls", root, cert=leaf.cert, key=leaf.key)
    if profile == "notls":
        return Haraka("notls", root, plugins=["queue/discard"])
    return Haraka("auth", root, cert=leaf.cert, key=leaf.key,
                  plugins=["tls", "auth/flat_file", "queue/discard"],
                  files={"auth_flat_file.ini": HARAKA_AUTH_INI})


def _running(request, profile, pki, tmp_path_factory):
    srv = _make(request.param, profile, pki, tmp_path_factory)
    srv.start()
    try:
        yield Mta(request.param, srv, EXPECT[request.param])
    finally:
        srv.stop()


@pytest.fixture(scope="module", params=MTAS)
def mta(request, pki, tmp_path_factory):
    yield from _running(request, "tls", pki, tmp_path_factory)


@pytest.fixture(scope="module", params=MTAS)
def mta_notls(request, pki, tmp_path_factory):
    yield from _running(request, "notls", pki, tmp_path_factory)


@pytest.fixture(scope="module", params=MTAS)
def mta_auth(request, pki, tmp_path_factory):
    yield from _running(request, "auth", pki, tmp_path_factory)


# --------------------------------------------------------------------------
# scans (--quick: one verified handshake, no enumeration)


def _check(run_json, pki, port, *extra):
    return run_json("check", "--quick", "--ca-file", pki.ca, "--ip", "127.0.0.1",
                    "--starttls", "smtp", *extra, "%s:%d" % (HOST, port))


class Scan:
    def __init__(self, rc, doc, err, new_tls=()):
        self.rc, self.doc, self.err = rc, doc, err
        self.ep = endpoint(doc)
        self.new_tls = list(new_tls)  # TLS sessions the server logged during the scan


def _scan_logged(run_json, pki, srv):
    before = len(srv.tls_sessions(0, 0))
    rc, doc, err = _check(run_json, pki, srv.port)
    new = srv.tls_sessions(before + 1)[before:] if endpoint(doc)["tls"] else []
    return Scan(rc, doc, err, new)


@pytest.fixture(scope="module")
def scan(run_json, pki, mta):
    return _scan_logged(run_json, pki, mta.srv)


@pytest.fixture(scope="module")
def ref(pki, mta):
    return s_client(mta.srv, pki.ca, name=HOST, starttls="smtp")


@pytest.fixture(scope="module")
def dialogue(pki, mta):
    return reference_dialogue(mta.srv.host, mta.srv.port, pki.ca)


@pytest.fixture(scope="module")
def scan_notls(run_json, pki, mta_notls):
    return Scan(*_check(run_json, pki, mta_notls.srv.port))


@pytest.fixture(scope="module")
def scan_auth(run_json, pki, mta_auth):
    return Scan(*_check(run_json, pki, mta_auth.srv.port))


# --------------------------------------------------------------------------
# 1. STARTTLS offered


def test_scans_ok(scan, mta):
    ep = scan.ep
    assert scan.rc == 0, scan.err
    assert scan.doc["errors"] == [] and ep["errors"] == []
    assert (ep["host"], ep["port"], ep["address"]) == (HOST, mta.srv.port, "127.0.0.1")
    assert (ep["mode"], ep["starttls"], ep["sni"]) == ("starttls", "smtp", HOST)
    assert ep["stats"]["connections"] == 1  # --quick


def test_dialogue_matches_server(scan, dialogue, mta):
    """STARTTLS offered and accepted; every dialogue fact equals what a
    small SMTP client of Python's own (postfix.reference_dialogue) saw."""
    x = mta.expect
    g = scan.ep["dialogue"]
    ref = dialogue
    assert ref["greeting"][0] == 220 and len(ref["greeting"][1]) == 1
    assert x.greeting(ref["greeting"][1][0]), ref["greeting"]
    assert g["greeting_code"] == 220
    assert x.greeting(g["greeting"]), g["greeting"]
    assert 0 <= g["greeting_ms"] < 2000
    assert g["hello_code"] == ref["hello_code"] == 250
    assert g["capabilities"] == ref["caps"]
    assert g["capabilities_tls"] == ref["caps_tls"]
    assert "STARTTLS" in ref["caps"]
    assert "STARTTLS" in g["capabilities"]
    assert g["starttls_advertised"] is True
    assert g["starttls_masked"] is None
    assert g["starttls_sent"] is True
    assert g["starttls_ok"] is True
    assert ref["starttls"] == (220, [x.starttls_reply])
    assert g["starttls_code"] == 220
    assert g["starttls_reply"] == x.starttls_reply
    assert g["pipelined_bytes"] == 0
    assert g["throttled"] == 0
    assert g["silent"] is False and g["implicit_answered"] is False
    assert "starttls-not-offered" not in finding_ids(scan.ep)


def test_capabilities_inside_tls(scan, dialogue):
    """RFC 3207 4.2: STARTTLS must vanish from the EHLO reply inside TLS.
    That alone is not a change worth a finding; otherwise every correct
    server carries capabilities-changed. Neither MTA changes anything else."""
    g = scan.ep["dialogue"]
    assert "STARTTLS" not in dialogue["caps_tls"]
    assert g["capabilities_tls"] is not None
    assert g["capabilities_tls"] == dialogue["caps_tls"]
    assert "STARTTLS" not in g["capabilities_tls"]
    tr = [(t["dir"], t["text"]) for t in scan.ep["transcript"]]
    inside = tr[tr.index(("C", "STARTTLS")) + 2:]
    assert inside and not [t for d, t in inside if d == "S" and "STARTTLS" in t], inside
    assert "starttls-readvertised" not in finding_ids(scan.ep)
    assert [c for c in g["capabilities"] if c != "STARTTLS"] == g["capabilities_tls"]
    assert "capabilities-changed" not in finding_ids(scan.ep), \
        finding(scan.ep, "capabilities-changed")


def test_tls_matches_s_client(scan, ref, cipher_table):
    """--quick: the one verified handshake equals `openssl s_client -starttls
    smtp -servername localhost` on the same server."""
    tls = scan.ep["tls"]
    assert tls is not None
    assert tls["version"] == ref.protocol
    assert tls["cipher_openssl"] == ref.cipher
    assert tls["cipher"] == cipher_table[ref.cipher]["iana"]
    assert tls["cipher_code"] == cipher_table[ref.cipher]["code"]
    assert tls["group"] == ref.temp_key
    assert ref.code == 0
    assert tls["verify"]["code"] == 0
    assert tls["verify"]["message"] == ref.message == "ok"
    assert tls["verify"]["hostname_checked"] is True
    assert tls["verify"]["name"] == HOST
    assert tls["verify"]["errors"] == []


def test_tls_matches_server_log(scan, mta):
    """The TLS session the server itself logged (Postfix's maillog, Haraka's
    tls plugin)."""
    tls = scan.ep["tls"]
    assert scan.new_tls, "%s logged no TLS session for the scan" % mta.expect.label
    assert (tls["version"], tls["cipher_openssl"]) in scan.new_tls


def test_tls_matches_python_ssl(scan, dialogue):
    tls = scan.ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (dialogue["version"], dialogue["cipher"])


def test_certificate(scan, pki):
    ep = scan.ep
    info = pki.leaf("good").info
    assert ep["certificates"], "no certificate reported"
    leaf = ep["certificates"][0]
    assert leaf["depth"] == 0
    assert leaf["sha256"] == info["sha256"]
    assert leaf["serial"] == info["serial"]
    assert leaf["subject"] == info["subject"] == "CN=localhost"
    f = finding(ep, "cert-trusted")
    assert f is not None and f["severity"] == "ok"
    assert not [i for i in finding_ids(ep) if i in VERIFY_PROBLEMS]


def test_transcript_order(scan, mta):
    """Greeting, EHLO, STARTTLS, 220, EHLO again inside TLS, QUIT, 221."""
    x = mta.expect
    ep = scan.ep
    tr = [(t["dir"], t["text"]) for t in ep["transcript"]]
    assert tr, "empty transcript"
    times = [t["t_ms"] for t in ep["transcript"]]
    assert times == sorted(times)
    assert tr[0][0] == "S" and tr[0][1].startswith("220 ")
    assert x.greeting(tr[0][1][4:]), tr[0]
    client = texts(ep, "C")
    assert len(client) == 4, client
    assert client[0].startswith("EHLO ") and client[2] == client[0]
    assert client[1] == "STARTTLS" and client[3] == "QUIT"
    i_starttls = tr.index(("C", "STARTTLS"))
    i_ehlo = [i for i, t in enumerate(tr) if t == ("C", client[0])]
    assert len(i_ehlo) == 2 and i_ehlo[0] < i_starttls < i_ehlo[1]
    before = [text for d, text in tr[i_ehlo[0] + 1:i_starttls] if d == "S"]
    assert before[0] == x.hello
    if x.starttls_cap_last:
        assert before[-1] == "250 STARTTLS"
    else:
        assert "250-STARTTLS" in before, before
    assert tr[i_starttls + 1] == ("S", "220 " + x.starttls_reply)
    assert i_ehlo[1] == i_starttls + 2
    after = [text for d, text in tr[i_ehlo[1]:] if d == "S"]
    assert after[0] == x.hello
    assert not [t for t in after if "STARTTLS" in t]
    assert tr[-2] == ("C", "QUIT")
    assert tr[-1][0] == "S" and x.bye(tr[-1][1]), tr[-1]


@pytest.mark.parametrize("fid", DIALOGUE_FINDINGS)
def test_has_no_dialogue_finding(scan, fid):
    """A plain, correct MTA: none of the dialogue findings (Postfix's
    capabilities-changed was only in test_capabilities_inside_tls before:
    now in both, as Haraka's always was)."""
    assert fid not in finding_ids(scan.ep), finding(scan.ep, fid)


def test_ehlo_name(run_json, pki, mta):
    rc, doc, err = _check(run_json, pki, mta.srv.port, "--ehlo", "client.mailtls.test")
    ep = endpoint(doc)
    assert rc == 0, err
    assert [t for t in texts(ep, "C") if t.startswith("EHLO")] == ["EHLO client.mailtls.test"] * 2
    if mta.expect.ehlo_log:
        assert mta.srv.wait_log(mta.expect.ehlo_log)


def test_no_auth_findings_without_auth(scan):
    """Neither instance offers AUTH (no SASL, no auth plugin)."""
    ids = finding_ids(scan.ep)
    assert not [c for c in scan.ep["dialogue"]["capabilities"] if c.startswith("AUTH")]
    assert "auth-before-tls" not in ids and "auth-after-tls-only" not in ids


# --------------------------------------------------------------------------
# 2. the full scan (enumeration through STARTTLS), cross-checked with
#    s_client pinned to one protocol version and one suite at a time


VERSION_FLAG = {"TLSv1.0": "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2",
                "TLSv1.3": "-tls1_3"}


def _s_client_negotiates(srv, flag, suite=None, tls13=False):
    """Does `openssl s_client -starttls smtp` complete a handshake with this
    protocol version only (and this one suite, if given)? Security level 0,
    so nothing is ruled out on the client side. -> the suite, or None."""
    argv = [OPENSSL, "s_client", "-brief", "-starttls", "smtp", "-connect", srv.hostport,
            "-servername", HOST, flag]
    if suite and tls13:
        argv += ["-ciphersuites", suite]
    elif suite:
        argv += ["-cipher", suite + ":@SECLEVEL=0"]
    else:
        argv += ["-cipher", "DEFAULT:@SECLEVEL=0"]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0 or "Protocol version:" not in err:
        return None
    m = re.search(r"^Ciphersuite: (\S+)", err, re.M)
    return m.group(1) if m else None


@pytest.fixture(scope="module")
def scan_full(run_json, pki, mta):
    """Without --quick every enumeration connection runs the SMTP dialogue
    too."""
    return Scan(*run_json("check", "--ca-file", pki.ca, "--ip", "127.0.0.1",
                          "--starttls", "smtp", "%s:%d" % (HOST, mta.srv.port)))


@pytest.fixture(scope="module")
def ref_enum(mta, cipher_table):
    """{version: offered?} and {version: {codes s_client negotiates alone}},
    every suite OpenSSL knows tried once with each offered version, except
    the PSK and SRP ones (s_client would need -psk/-srpuser; neither MTA
    sets them up, and a PSK or SRP suite mailtls listed would still show up
    as a difference)."""
    srv = mta.srv
    with ThreadPoolExecutor(4) as pool:
        offered = dict(zip(VERSION_FLAG, pool.map(
            lambda v: _s_client_negotiates(srv, VERSION_FLAG[v]) is not None, VERSION_FLAG)))
        suites = {}
        for version, flag in VERSION_FLAG.items():
            if not offered[version]:
                continue
            tls13 = version == "TLSv1.3"
            names = [n for n, c in cipher_table.items()
                     if (c["protocol"] == "TLSv1.3") == tls13
                     and "PSK" not in c["kx"] and c["kx"] != "SRP"]
            got = pool.map(lambda n: _s_client_negotiates(srv, flag, n, tls13), names)
            suites[version] = {cipher_table[n]["code"] for n, g in zip(names, got) if g == n}
    return offered, suites


def test_full_scan_runs(scan_full, scan, mta):
    """The verified handshake and the dialogue facts stay those of --quick."""
    x = mta.expect
    ep = scan_full.ep
    assert scan_full.rc in (0, 1), scan_full.err
    assert scan_full.doc["errors"] == [] and ep["errors"] == []
    assert ep["stats"]["connections"] > 1
    for k in ("version", "cipher", "group"):
        assert ep["tls"][k] == scan.ep["tls"][k], k
    assert ep["tls"]["verify"]["code"] == 0
    g, q = ep["dialogue"], scan.ep["dialogue"]
    for k in ("capabilities", "capabilities_tls", "starttls_code", "starttls_reply",
              "throttled"):
        assert g[k] == q[k], k
    assert x.greeting(g["greeting"]), g["greeting"]
    if x.greeting_stable:
        assert g["greeting"] == q["greeting"]
    assert ([f for f in finding_ids(ep) if f in DIALOGUE_FINDINGS]
            == [f for f in finding_ids(scan.ep) if f in DIALOGUE_FINDINGS])


def test_full_scan_protocols_equal_s_client(scan_full, ref_enum):
    offered, _ = ref_enum
    mine = {p["name"]: p["offered"] for p in scan_full.ep["protocols"]}
    assert {v: mine.get(v) for v in VERSION_FLAG} == offered
    assert mine.get("SSLv2") is False and mine.get("SSLv3") is False
    assert offered["TLSv1.2"] and offered["TLSv1.3"]  # OpenSSL's and Node.js' defaults


def test_full_scan_suites_equal_s_client(scan_full, ref_enum):
    _, theirs = ref_enum
    mine = {}
    for c in scan_full.ep["ciphers"]:
        mine.setdefault(c["protocol"], set()).add(c["code"])
    assert mine == theirs, {v: {"mailtls only": sorted(mine.get(v, set()) - theirs.get(v, set())),
                                "s_client only": sorted(theirs.get(v, set()) - mine.get(v, set()))}
                            for v in set(mine) | set(theirs)}


# --------------------------------------------------------------------------
# 3. STARTTLS not offered


def test_starttls_not_offered(scan_notls, mta_notls, pki):
    x = mta_notls.expect
    code, reply = x.notls_starttls
    ep = scan_notls.ep
    ref = reference_dialogue(mta_notls.srv.host, mta_notls.srv.port, pki.ca)
    assert "STARTTLS" not in ref["caps"]
    assert ref["starttls"] == (code, [reply])
    assert scan_notls.rc == 1, scan_notls.err
    f = finding(ep, "starttls-not-offered")
    assert f is not None and f["severity"] == "high"
    assert reply in f["detail"]
    assert f["fix"]
    if x.notls_fix:
        assert x.notls_fix in f["fix"]
    assert ep["tls"] is None
    assert ep["certificates"] == []
    g = ep["dialogue"]
    assert g["greeting_code"] == 220 and x.greeting(g["greeting"]), g["greeting"]
    assert g["hello_code"] == 250
    assert g["capabilities"] == ref["caps"]
    assert "STARTTLS" not in g["capabilities"]
    assert g["capabilities_tls"] is None
    assert g["starttls_advertised"] is False
    assert g["starttls_masked"] is None
    assert g["starttls_sent"] is True
    assert g["starttls_ok"] is False
    assert g["starttls_code"] == code
    assert g["starttls_reply"] == reply
    assert texts(ep, "C")[-1] == "QUIT"
    for fid in ("starttls-stripped", "starttls-refused", "capabilities-changed",
                "cert-trusted"):
        assert fid not in finding_ids(ep)


# --------------------------------------------------------------------------
# 4. AUTH PLAIN LOGIN offered in clear text


def test_auth_before_tls(scan_auth, mta_auth, pki):
    x = mta_auth.expect
    ref = reference_dialogue(mta_auth.srv.host, mta_auth.srv.port, pki.ca)
    assert AUTH in ref["caps"] and AUTH in ref["caps_tls"]
    ep = scan_auth.ep
    g = ep["dialogue"]
    assert g["capabilities"] == ref["caps"]
    assert g["capabilities_tls"] == ref["caps_tls"]
    assert g["auth_clear"] == AUTH
    f = finding(ep, "auth-before-tls")
    assert f is not None, ep["findings"]
    assert f["severity"] == "medium"
    assert AUTH in f["detail"]
    if x.auth_fix:
        assert x.auth_fix in f["fix"]
    assert "auth-after-tls-only" not in finding_ids(ep)
    assert "starttls-readvertised" not in finding_ids(ep)
    assert scan_auth.rc == 0, scan_auth.err
    assert ep["tls"] and ep["tls"]["verify"]["code"] == 0


def test_auth_credentials_never_sent(scan_auth):
    """mailtls reads AUTH in the EHLO reply, it never tries it (a Haraka-only
    test before: true of the Postfix instance as well)."""
    sent = texts(scan_auth.ep, "C")
    assert not [t for t in sent if t.upper().startswith("AUTH")], sent
