"""`mailtls check --starttls smtp` against Haraka, the suite's second MTA.

Exim and OpenSMTPD conflict with Postfix on Debian (mail-transport-agent),
so the second real SMTP server is Haraka (Node.js, from the npm registry,
pinned in tests/integ/haraka/package-lock.json; tests/integ/haraka.py runs
it on 127.0.0.1:PORT in a temporary directory with its own config/).

References, independent of mailtls:
  - `openssl s_client -starttls smtp`: protocol, cipher, group, verify; and,
    pinned to one protocol version and one suite at a time, what the
    enumeration must find
  - Python's ssl + a small SMTP client (postfix.reference_dialogue):
    greeting, capabilities before and inside TLS, the STARTTLS reply
  - Haraka's own log: the TLS session its tls plugin logged

Profiles:
  tls       plugins tls, queue/discard; the test PKI's certificate for localhost
  notls     queue/discard only: no STARTTLS (Haraka answers 500)
  auth      tls, auth/flat_file (PLAIN LOGIN), queue/discard: Haraka offers
            AUTH in clear text to private addresses (loopback included) and
            so before TLS here
"""

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

import haraka
from conftest import OPENSSL, endpoint, finding_ids, s_client
from haraka import ME, Haraka
from postfix import SmtpClient, reference_dialogue

_why = haraka.available()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

HOST = "localhost"
# "haraka.mailtls.test ESMTP Haraka/3.3.4 ready (7AC99B)": the last part is
# the start of the connection's uuid (connection.ini [uuid] banner_chars=6).
GREETING_RE = re.compile(r"^%s ESMTP Haraka/%s ready \([0-9A-F]{6}\)$"
                         % (re.escape(ME), re.escape(haraka.version() or "?")))
AUTH = "AUTH PLAIN LOGIN"
# The first line of the EHLO reply ("localhost": haraka.py answers the
# reverse DNS lookup itself).
HELLO = "%s Hello localhost [127.0.0.1], Haraka is at your service." % ME

DIALOGUE_FINDINGS = ("starttls-not-offered", "starttls-refused", "starttls-stripped",
                     "starttls-readvertised", "auth-before-tls", "auth-after-tls-only",
                     "pipelined-after-starttls", "capabilities-changed", "greeting-delay",
                     "server-throttled", "port-mode-mismatch")
VERIFY_PROBLEMS = ("cert-untrusted", "cert-self-signed", "cert-untrusted-root",
                   "cert-chain-incomplete", "cert-expired", "cert-not-yet-valid",
                   "cert-hostname-mismatch")


def finding(ep, fid):
    found = [f for f in ep["findings"] if f["id"] == fid]
    assert len(found) <= 1, "finding %s listed %d times" % (fid, len(found))
    return found[0] if found else None


def texts(ep, direction):
    return [t["text"] for t in ep["transcript"] if t["dir"] == direction]


# --------------------------------------------------------------------------
# instances


def _running(tmp_path_factory, name, pki=None, **kw):
    leaf = pki.leaf("good") if pki is not None else None
    hk = Haraka(name, tmp_path_factory.mktemp("haraka-" + name),
                cert=leaf and leaf.cert, key=leaf and leaf.key, **kw)
    hk.start()
    try:
        yield hk
    finally:
        hk.stop()


@pytest.fixture(scope="module")
def hk_tls(pki, tmp_path_factory):
    yield from _running(tmp_path_factory, "tls", pki)


@pytest.fixture(scope="module")
def hk_notls(tmp_path_factory):
    yield from _running(tmp_path_factory, "notls", plugins=["queue/discard"])


@pytest.fixture(scope="module")
def hk_auth(pki, tmp_path_factory):
    ini = ("[core]\nmethods=PLAIN,LOGIN\nconstrain_sender=false\n\n"
           "[users]\nmailtls=not-a-real-secret\n")
    yield from _running(tmp_path_factory, "auth", pki,
                        plugins=["tls", "auth/flat_file", "queue/discard"],
                        files={"auth_flat_file.ini": ini})


# --------------------------------------------------------------------------
# scans


def _check(run_json, pki, port, *extra, quick=True):
    q = ("--quick",) if quick else ()
    return run_json("check", *q, "--ca-file", pki.ca, "--ip", "127.0.0.1", "--starttls", "smtp",
                    *extra, "%s:%d" % (HOST, port))


class Scan:
    def __init__(self, rc, doc, err, new_tls=()):
        self.rc, self.doc, self.err = rc, doc, err
        self.ep = endpoint(doc)
        self.new_tls = list(new_tls)  # TLS sessions Haraka logged during the scan


def _scan_logged(run_json, pki, hk, *extra):
    before = len(hk.tls_sessions(0, 0))
    rc, doc, err = _check(run_json, pki, hk.port, *extra)
    new = hk.tls_sessions(before + 1)[before:] if endpoint(doc)["tls"] else []
    return Scan(rc, doc, err, new)


@pytest.fixture(scope="module")
def scan_tls(run_json, pki, hk_tls):
    return _scan_logged(run_json, pki, hk_tls)


@pytest.fixture(scope="module")
def ref_tls(pki, hk_tls):
    return s_client(hk_tls, pki.ca, name=HOST, starttls="smtp")


@pytest.fixture(scope="module")
def dialogue_tls(pki, hk_tls):
    return reference_dialogue(hk_tls.host, hk_tls.port, pki.ca)


@pytest.fixture(scope="module")
def scan_notls(run_json, pki, hk_notls):
    return Scan(*_check(run_json, pki, hk_notls.port))


@pytest.fixture(scope="module")
def scan_auth(run_json, pki, hk_auth):
    return Scan(*_check(run_json, pki, hk_auth.port))


# --------------------------------------------------------------------------
# 1. STARTTLS offered


def test_tls_scans_ok(scan_tls, hk_tls):
    ep = scan_tls.ep
    assert scan_tls.rc == 0, scan_tls.err
    assert scan_tls.doc["errors"] == [] and ep["errors"] == []
    assert (ep["host"], ep["port"], ep["address"]) == (HOST, hk_tls.port, "127.0.0.1")
    assert (ep["mode"], ep["starttls"], ep["sni"]) == ("starttls", "smtp", HOST)
    assert ep["stats"]["connections"] == 1  # --quick


def test_tls_starttls_offered_and_accepted(scan_tls, dialogue_tls):
    g = scan_tls.ep["dialogue"]
    assert "STARTTLS" in dialogue_tls["caps"]
    assert "STARTTLS" in g["capabilities"]
    assert g["starttls_advertised"] is True
    assert g["starttls_masked"] is None
    assert g["starttls_sent"] is True
    assert g["starttls_ok"] is True
    assert dialogue_tls["starttls"] == (220, ["Go ahead."])
    assert g["starttls_code"] == 220
    assert g["starttls_reply"] == "Go ahead."
    assert "starttls-not-offered" not in finding_ids(scan_tls.ep)


def test_tls_dialogue_matches_server(scan_tls, dialogue_tls):
    g = scan_tls.ep["dialogue"]
    ref = dialogue_tls
    assert ref["greeting"][0] == 220 and len(ref["greeting"][1]) == 1
    assert GREETING_RE.match(ref["greeting"][1][0]), ref["greeting"]
    assert g["greeting_code"] == 220
    assert GREETING_RE.match(g["greeting"]), g["greeting"]
    assert 0 <= g["greeting_ms"] < 2000
    assert g["hello_code"] == ref["hello_code"] == 250
    assert g["capabilities"] == ref["caps"]
    assert g["capabilities_tls"] == ref["caps_tls"]
    assert g["pipelined_bytes"] == 0
    assert g["throttled"] == 0
    assert g["silent"] is False and g["implicit_answered"] is False


def test_tls_matches_s_client(scan_tls, ref_tls, cipher_table):
    """--quick: the one verified handshake equals `openssl s_client -starttls
    smtp -servername localhost` on the same Haraka."""
    tls = scan_tls.ep["tls"]
    assert tls is not None
    assert tls["version"] == ref_tls.protocol
    assert tls["cipher_openssl"] == ref_tls.cipher
    assert tls["cipher"] == cipher_table[ref_tls.cipher]["iana"]
    assert tls["cipher_code"] == cipher_table[ref_tls.cipher]["code"]
    assert tls["group"] == ref_tls.temp_key
    assert ref_tls.code == 0
    assert tls["verify"]["code"] == 0
    assert tls["verify"]["message"] == ref_tls.message == "ok"
    assert tls["verify"]["hostname_checked"] is True
    assert tls["verify"]["name"] == HOST
    assert tls["verify"]["errors"] == []


def test_tls_matches_haraka_log(scan_tls):
    tls = scan_tls.ep["tls"]
    assert scan_tls.new_tls, "Haraka logged no TLS session for the scan"
    assert (tls["version"], tls["cipher_openssl"]) in scan_tls.new_tls


def test_tls_matches_python_ssl(scan_tls, dialogue_tls):
    tls = scan_tls.ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (dialogue_tls["version"],
                                                       dialogue_tls["cipher"])


def test_tls_certificate(scan_tls, pki):
    ep = scan_tls.ep
    info = pki.leaf("good").info
    assert ep["certificates"], "no certificate reported"
    leaf = ep["certificates"][0]
    assert (leaf["depth"], leaf["sha256"], leaf["serial"]) == (0, info["sha256"], info["serial"])
    f = finding(ep, "cert-trusted")
    assert f is not None and f["severity"] == "ok"
    assert not [i for i in finding_ids(ep) if i in VERIFY_PROBLEMS]


def test_tls_transcript_ehlo_before_and_after_tls(scan_tls):
    ep = scan_tls.ep
    tr = [(t["dir"], t["text"]) for t in ep["transcript"]]
    assert tr, "empty transcript"
    times = [t["t_ms"] for t in ep["transcript"]]
    assert times == sorted(times)
    assert tr[0][0] == "S" and tr[0][1].startswith("220 ")
    assert GREETING_RE.match(tr[0][1][4:]), tr[0]
    client = texts(ep, "C")
    assert len(client) == 4, client
    assert client[0].startswith("EHLO ") and client[2] == client[0]
    assert client[1] == "STARTTLS" and client[3] == "QUIT"
    i_starttls = tr.index(("C", "STARTTLS"))
    i_ehlo = [i for i, t in enumerate(tr) if t == ("C", client[0])]
    assert len(i_ehlo) == 2 and i_ehlo[0] < i_starttls < i_ehlo[1]
    before = [text for d, text in tr[i_ehlo[0] + 1:i_starttls] if d == "S"]
    assert before[0] == "250-" + HELLO
    assert before[-1] == "250 STARTTLS"  # Haraka lists it last
    assert tr[i_starttls + 1] == ("S", "220 Go ahead.")
    assert i_ehlo[1] == i_starttls + 2
    after = [text for d, text in tr[i_ehlo[1]:] if d == "S"]
    assert after[0] == "250-" + HELLO
    assert tr[-2][0] == "C" and tr[-2][1] == "QUIT"
    assert tr[-1][0] == "S" and tr[-1][1].startswith("221 %s " % ME)


def test_tls_no_starttls_inside_tls(scan_tls, dialogue_tls):
    g = scan_tls.ep["dialogue"]
    assert "STARTTLS" not in dialogue_tls["caps_tls"]
    assert g["capabilities_tls"] is not None
    assert "STARTTLS" not in g["capabilities_tls"]
    tr = [(t["dir"], t["text"]) for t in scan_tls.ep["transcript"]]
    inside = tr[tr.index(("C", "STARTTLS")) + 2:]
    assert inside and not [t for d, t in inside if d == "S" and "STARTTLS" in t], inside
    assert "starttls-readvertised" not in finding_ids(scan_tls.ep)
    # STARTTLS vanishing inside TLS is the only change: no capabilities-changed
    assert [c for c in g["capabilities"] if c != "STARTTLS"] == g["capabilities_tls"]
    assert "capabilities-changed" not in finding_ids(scan_tls.ep)


@pytest.mark.parametrize("fid", DIALOGUE_FINDINGS)
def test_tls_has_no_dialogue_finding(scan_tls, fid):
    """A plain Haraka with the tls plugin: none of the dialogue findings."""
    assert fid not in finding_ids(scan_tls.ep), finding(scan_tls.ep, fid)


def test_tls_ehlo_name(run_json, pki, hk_tls):
    rc, doc, err = _check(run_json, pki, hk_tls.port, "--ehlo", "client.mailtls.test")
    ep = endpoint(doc)
    assert rc == 0, err
    assert [t for t in texts(ep, "C") if t.startswith("EHLO")] == ["EHLO client.mailtls.test"] * 2
    assert hk_tls.wait_log(r"helo=client\.mailtls\.test .*tls=Y")


# --------------------------------------------------------------------------
# 2. the full scan (enumeration through Haraka's STARTTLS), cross-checked
#    with s_client pinned to one protocol version and one suite at a time


VERSION_FLAG = {"TLSv1.0": "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2",
                "TLSv1.3": "-tls1_3"}


def _s_client_negotiates(hk, flag, suite=None, tls13=False):
    """Does `openssl s_client -starttls smtp` complete a handshake with this
    protocol version only (and this one suite, if given)? Security level 0,
    so nothing is ruled out on the client side."""
    argv = [OPENSSL, "s_client", "-brief", "-starttls", "smtp", "-connect", hk.hostport,
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
def scan_full(run_json, pki, hk_tls):
    return Scan(*_check(run_json, pki, hk_tls.port, quick=False))


@pytest.fixture(scope="module")
def ref_enum(hk_tls, cipher_table):
    """{version: offered?} and {version: {codes s_client negotiates alone}},
    every suite OpenSSL knows tried once with each offered version, except
    the PSK and SRP ones (s_client would need -psk/-srpuser; Haraka sets up
    neither, and a PSK or SRP suite mailtls listed would still show up as a
    difference)."""
    with ThreadPoolExecutor(4) as pool:
        offered = dict(zip(VERSION_FLAG, pool.map(
            lambda v: _s_client_negotiates(hk_tls, VERSION_FLAG[v]) is not None, VERSION_FLAG)))
        suites = {}
        for version, flag in VERSION_FLAG.items():
            if not offered[version]:
                continue
            tls13 = version == "TLSv1.3"
            names = [n for n, c in cipher_table.items()
                     if (c["protocol"] == "TLSv1.3") == tls13
                     and "PSK" not in c["kx"] and c["kx"] != "SRP"]
            got = pool.map(lambda n: _s_client_negotiates(hk_tls, flag, n, tls13), names)
            suites[version] = {cipher_table[n]["code"] for n, g in zip(names, got) if g == n}
    return offered, suites


def test_full_scan_runs(scan_full, scan_tls):
    ep = scan_full.ep
    assert scan_full.rc in (0, 1), scan_full.err
    assert scan_full.doc["errors"] == [] and ep["errors"] == []
    assert ep["stats"]["connections"] > 1
    for k in ("version", "cipher", "group"):
        assert ep["tls"][k] == scan_tls.ep["tls"][k], k
    assert ep["tls"]["verify"]["code"] == 0
    g, q = ep["dialogue"], scan_tls.ep["dialogue"]
    for k in ("capabilities", "capabilities_tls", "starttls_code", "starttls_reply",
              "throttled"):
        assert g[k] == q[k], k
    assert GREETING_RE.match(g["greeting"])
    assert ([f for f in finding_ids(ep) if f in DIALOGUE_FINDINGS]
            == [f for f in finding_ids(scan_tls.ep) if f in DIALOGUE_FINDINGS])


def test_full_scan_protocols_equal_s_client(scan_full, ref_enum):
    offered, _ = ref_enum
    mine = {p["name"]: p["offered"] for p in scan_full.ep["protocols"]}
    assert {v: mine.get(v) for v in VERSION_FLAG} == offered
    assert mine.get("SSLv2") is False and mine.get("SSLv3") is False
    assert offered["TLSv1.2"] and offered["TLSv1.3"]  # Node.js' defaults


def test_full_scan_suites_equal_s_client(scan_full, ref_enum):
    _, theirs = ref_enum
    mine = {}
    for c in scan_full.ep["ciphers"]:
        mine.setdefault(c["protocol"], set()).add(c["code"])
    assert mine == theirs, {v: {"mailtls only": sorted(mine.get(v, set()) - theirs.get(v, set())),
                                "s_client only": sorted(theirs.get(v, set()) - mine.get(v, set()))}
                            for v in set(mine) | set(theirs)}


# --------------------------------------------------------------------------
# 3. no tls plugin: STARTTLS not offered


def test_notls_starttls_not_offered(scan_notls, hk_notls, pki):
    ep = scan_notls.ep
    ref = reference_dialogue(hk_notls.host, hk_notls.port, pki.ca)
    assert "STARTTLS" not in ref["caps"]
    assert ref["starttls"] == (500, ["Unrecognized command"])
    assert scan_notls.rc == 1, scan_notls.err
    f = finding(ep, "starttls-not-offered")
    assert f is not None and f["severity"] == "high"
    assert "Unrecognized command" in f["detail"]
    assert f["fix"]
    assert ep["tls"] is None
    assert ep["certificates"] == []
    g = ep["dialogue"]
    assert g["greeting_code"] == 220 and GREETING_RE.match(g["greeting"])
    assert g["hello_code"] == 250
    assert g["capabilities"] == ref["caps"]
    assert g["capabilities_tls"] is None
    assert g["starttls_advertised"] is False
    assert g["starttls_masked"] is None
    assert g["starttls_sent"] is True
    assert g["starttls_ok"] is False
    assert g["starttls_code"] == 500
    assert g["starttls_reply"] == "Unrecognized command"
    assert texts(ep, "C")[-1] == "QUIT"
    for fid in ("starttls-stripped", "starttls-refused", "cert-trusted"):
        assert fid not in finding_ids(ep)


# --------------------------------------------------------------------------
# 4. auth/flat_file: AUTH PLAIN LOGIN offered in clear text on loopback


def test_auth_before_tls(scan_auth, hk_auth, pki):
    ref = reference_dialogue(hk_auth.host, hk_auth.port, pki.ca)
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
    assert "auth-after-tls-only" not in finding_ids(ep)
    assert "starttls-readvertised" not in finding_ids(ep)
    assert scan_auth.rc == 0, scan_auth.err
    assert ep["tls"] and ep["tls"]["verify"]["code"] == 0


def test_auth_credentials_never_sent(scan_auth):
    sent = texts(scan_auth.ep, "C")
    assert not [t for t in sent if t.upper().startswith("AUTH")], sent


def test_no_auth_findings_without_auth_plugin(scan_tls):
    ids = finding_ids(scan_tls.ep)
    assert not [c for c in scan_tls.ep["dialogue"]["capabilities"] if c.startswith("AUTH")]
    assert "auth-before-tls" not in ids and "auth-after-tls-only" not in ids


# --------------------------------------------------------------------------
# the fixture itself


def test_haraka_is_real(hk_tls):
    """The server is Haraka speaking SMTP, on loopback only."""
    with SmtpClient(hk_tls.host, hk_tls.port) as c:
        code, lines = c.reply()
        assert code == 220 and GREETING_RE.match(lines[0])
        assert c.cmd("NOOP")[0] == 250
        c.cmd("QUIT")
    assert hk_tls.wait_log(r"\[server\] Listening on 127\.0\.0\.1:%d" % hk_tls.port)
