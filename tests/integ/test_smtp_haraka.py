"""`mailtls check --starttls smtp` against Haraka, the suite's second MTA:
the tests only Haraka runs. The ones Postfix shares (the --quick scan of a
STARTTLS server, STARTTLS not offered, AUTH before TLS) are parametrised
over both MTAs in test_smtp_mta.py, with Haraka's expectations there.

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
  (notls and auth: test_smtp_mta.py)
"""

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

import haraka
from conftest import OPENSSL, endpoint, finding_ids
from haraka import ME, Haraka
from postfix import SmtpClient

_why = haraka.available()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

HOST = "localhost"
# "haraka.mailtls.test ESMTP Haraka/3.3.4 ready (7AC99B)": the last part is
# the start of the connection's uuid (connection.ini [uuid] banner_chars=6).
GREETING_RE = re.compile(r"^%s ESMTP Haraka/%s ready \([0-9A-F]{6}\)$"
                         % (re.escape(ME), re.escape(haraka.version() or "?")))
# The first line of the EHLO reply, for test_smtp_mta.py ("localhost":
# haraka.py answers the reverse DNS lookup itself).
HELLO = "%s Hello localhost [127.0.0.1], Haraka is at your service." % ME

DIALOGUE_FINDINGS = ("starttls-not-offered", "starttls-refused", "starttls-stripped",
                     "starttls-readvertised", "auth-before-tls", "auth-after-tls-only",
                     "pipelined-after-starttls", "capabilities-changed", "greeting-delay",
                     "server-throttled", "port-mode-mismatch")


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


# --------------------------------------------------------------------------
# the full scan (enumeration through Haraka's STARTTLS), cross-checked
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
# the fixture itself


def test_haraka_is_real(hk_tls):
    """The server is Haraka speaking SMTP, on loopback only."""
    with SmtpClient(hk_tls.host, hk_tls.port) as c:
        code, lines = c.reply()
        assert code == 220 and GREETING_RE.match(lines[0])
        assert c.cmd("NOOP")[0] == 250
        c.cmd("QUIT")
    assert hk_tls.wait_log(r"\[server\] Listening on 127\.0\.0\.1:%d" % hk_tls.port)
