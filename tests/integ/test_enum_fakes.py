"""Enumeration against scripted legacy servers (tests/fixtures/fake_legacy_tls.py).

Debian's OpenSSL 3 cannot serve SSLv2, SSLv3, export, RC4 or NULL suites,
so these servers are fakes written from the RFCs: each answers ClientHellos
exactly as its profile says (versions, suites in its order, curves, DH
prime) and counts the connections it accepted. For every profile, over
implicit TLS and behind SMTP STARTTLS, mailtls must find:

  - exactly the protocol versions the fake accepts (every other one
    offered: false);
  - exactly the suites it accepts per version, in the fake's order when the
    fake uses its own order (as a set in client-order mode);
  - server_order true for the server-order fakes, false for client order;
  - the TLS 1.2 curves, the DH size and the well-known prime;
  - the findings of the enumeration family, no more and no fewer;
  - and it must say how many connections it used: the fake's accept count.

Each weak-crypto finding is also asserted absent on a real modern server
(`openssl s_server` with default settings).
"""

import re
import subprocess
import sys
import time

import pytest

from conftest import FIXTURES, OPENSSL, endpoint, finding_ids

sys.path.insert(0, str(FIXTURES))
import fake_legacy_tls as fake  # noqa: E402

ALL_PROTOCOLS = ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]

# The findings the enumeration raises (checks/crypto.c); each profile must
# produce exactly its own subset of them.
ENUM_FINDINGS = {"protocol-sslv2", "protocol-sslv3", "protocol-tls10-tls11",
                 "protocol-no-tls12", "protocol-no-tls13", "cipher-null", "cipher-export",
                 "cipher-anonymous", "cipher-des", "cipher-rc4", "cipher-3des",
                 "no-forward-secrecy", "some-without-forward-secrecy", "dh-weak"}

# profile -> the enumeration findings it must raise.
EXPECTED_FINDINGS = {
    # RC4-MD5, DES-CBC3-MD5: static RSA only
    "sslv2": {"protocol-sslv2", "protocol-no-tls12", "cipher-rc4", "cipher-3des",
              "no-forward-secrecy"},
    # AES128-SHA, DES-CBC3-SHA, RC4-SHA: static RSA only
    "sslv3": {"protocol-sslv3", "protocol-no-tls12", "cipher-rc4", "cipher-3des",
              "no-forward-secrecy"},
    # EXP-EDH-RSA-DES-CBC-SHA (DHE, 512-bit prime), EXP-RC4-MD5, EXP-DES-CBC-SHA
    "export": {"protocol-sslv3", "protocol-tls10-tls11", "protocol-no-tls12", "cipher-export",
               "cipher-rc4", "cipher-des", "dh-weak", "some-without-forward-secrecy"},
    # ECDHE-RSA-RC4-SHA, ECDHE-RSA-DES-CBC3-SHA, RC4-SHA, DES-CBC3-SHA, NULL-SHA(256)
    "weak": {"protocol-tls10-tls11", "protocol-no-tls13", "cipher-rc4", "cipher-3des",
             "cipher-null", "some-without-forward-secrecy"},
    # ECDHE-RSA-AES128-GCM-SHA256, ADH-AES128-SHA (2048-bit DH), AECDH-AES128-SHA
    "anon": {"protocol-no-tls13", "cipher-anonymous"},
    # four DHE-RSA suites, 1024-bit Oakley Group 2
    "dhe1024": {"protocol-no-tls13", "dh-weak"},
    # ADH-AES256-GCM-SHA384 first (2048-bit DH), ECDHE, DHE and RSA suites
    "anon-preferred": {"protocol-no-tls13", "cipher-anonymous", "some-without-forward-secrecy"},
    # AES256-SHA, AES128-SHA next to ECDHE suites; TLS 1.1 and 1.2
    "server-order": {"protocol-tls10-tls11", "protocol-no-tls13", "some-without-forward-secrecy"},
    "client-order": {"protocol-tls10-tls11", "protocol-no-tls13", "some-without-forward-secrecy"},
    # the 36 common TLS 1.2 suites (ECDHE, DHE, static RSA); a ServerHello
    # each, then an alert
    "hello-then-alert": {"protocol-no-tls13", "some-without-forward-secrecy"},
}

# profile -> TLS 1.2 curves mailtls must list (names as mailtls spells them),
# in the fake's preference order.
EXPECTED_GROUPS = {
    "weak": ["secp256r1"],
    "anon": ["secp256r1"],
    "anon-preferred": ["secp256r1"],
    "server-order": ["secp384r1", "secp256r1", "X25519"],
    "client-order": ["secp384r1", "secp256r1", "X25519"],
}

# profile -> (DH prime bits, the name common-primes.txt gives the prime).
EXPECTED_DH = {
    "export": (512, "openssl/512-bit MODP group with safe prime modulus"),
    "anon": (2048, "RFC3526/Oakley Group 14"),
    "anon-preferred": (2048, "RFC3526/Oakley Group 14"),
    "dhe1024": (1024, "RFC2409/Oakley Group 2"),
}

PROFILES = sorted(fake.PROFILES)
MODES = ["implicit", "starttls"]

# A variant: refusals are silent closes instead of alerts.
VARIANTS = {"sslv3-close": ("sslv3", {"refuse": "close"}),
            "weak-close": ("weak", {"refuse": "close"})}


def code_str(proto, code):
    return "0x%06X" % code if proto == "SSLv2" else "0x%04X" % code


class Scan:
    def __init__(self, server, rc, doc, err):
        self.server, self.rc, self.doc, self.err = server, rc, doc, err
        self.ep = endpoint(doc)
        self.accepted = server.accepted
        self.log = list(server.log)

    def suites(self):
        """{protocol: [codes in mailtls' order]}."""
        out = {}
        for c in sorted(self.ep["ciphers"], key=lambda c: c["order"]):
            out.setdefault(c["protocol"], []).append(c["code"])
        return out

    def offered(self):
        return {p["name"]: p["offered"] for p in self.ep["protocols"]}


def wait_accepts(server, n, deadline_s=3.0):
    """The listener thread may not have accept()ed the last connection yet
    when mailtls exits: wait for n, then a little longer for any extra."""
    end = time.monotonic() + deadline_s
    while server.accepted < n and time.monotonic() < end:
        time.sleep(0.02)
    time.sleep(0.1)


@pytest.fixture(scope="module")
def fakes(pki):
    """fakes(profile, mode, **overrides) -> a running FakeLegacyTls (one per config)."""
    started = {}

    def get(name, mode, **over):
        key = (name, mode, tuple(sorted(over.items())))
        if key not in started:
            started[key] = fake.start(name, cert=pki.leaf("good").cert,
                                      starttls=(mode == "starttls"), **over)
        return started[key]

    yield get
    for srv in started.values():
        srv.stop()


@pytest.fixture(scope="module")
def scan(fakes, run_json, pki):
    """scan(profile, mode, **overrides) -> Scan (cached): one mailtls run."""
    cache = {}

    def get(name, mode, **over):
        key = (name, mode, tuple(sorted(over.items())))
        if key not in cache:
            srv = fakes(name, mode, **over)
            srv.reset_counts()
            flag = ["--starttls", "smtp"] if mode == "starttls" else ["--implicit"]
            rc, doc, err = run_json("check", *flag, "--ca-file", pki.ca, srv.hostport,
                                    timeout=120)
            assert rc != 2, err
            wait_accepts(srv, endpoint(doc)["stats"]["connections"])
            cache[key] = Scan(srv, rc, doc, err)
        return cache[key]

    return get


def expected_suites(name, **over):
    prof = fake.profile(name, **over)
    return {v: [code_str(v, s) for s in suites] for v, suites in prof.accepted().items()}


# ---------------------------------------------------------------- protocols


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PROFILES)
def test_protocols_are_exactly_those_accepted(scan, name, mode):
    s = scan(name, mode)
    want = {p: p in expected_suites(name) for p in ALL_PROTOCOLS}
    assert s.offered() == want, "profile %s (%s): stderr:\n%s" % (name, mode, s.err)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PROFILES)
def test_suites_are_exactly_those_accepted(scan, name, mode):
    s = scan(name, mode)
    want = expected_suites(name)
    got = s.suites()
    if fake.PROFILES[name].get("order", "server") == "client":
        # The client decides the order: only the sets can be compared.
        got = {p: sorted(c) for p, c in got.items()}
        want = {p: sorted(c) for p, c in want.items()}
    assert got == want, "profile %s (%s)" % (name, mode)


@pytest.mark.parametrize("name", PROFILES)
def test_suite_names_and_facts(scan, name):
    """Each accepted suite carries the registry's names; OpenSSL's name is
    the one the fake's table gives for that code."""
    s = scan(name, "implicit")
    assert s.ep["ciphers"], "no suite found"
    for c in s.ep["ciphers"]:
        code = int(c["code"], 16)
        if c["protocol"] == "SSLv2":
            assert c["openssl"] == fake.V2_SPECS[code], c
            assert len(c["code"]) == 8, c       # 0x + 6 hex digits
        else:
            assert c["openssl"] == fake.SUITES[code][0], c
            assert len(c["code"]) == 6, c
        assert c["iana"] and c["kx"] and c["auth"] and c["enc"], c
        assert c["order"] >= 1


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_refusal_by_close_is_a_refusal(scan, variant):
    """A server that refuses by closing (no alert) is read the same way."""
    name, over = VARIANTS[variant]
    s = scan(name, "implicit", **over)
    want = expected_suites(name, **over)
    assert s.offered() == {p: p in want for p in ALL_PROTOCOLS}
    assert s.suites() == want


# ---------------------------------------------------------------- order


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name,expected", [("server-order", True), ("client-order", False),
                                           ("sslv3", True), ("weak", True),
                                           ("dhe1024", True), ("anon", True),
                                           ("anon-preferred", True)])
def test_server_order(scan, name, mode, expected):
    """server_order per offered protocol with two or more suites."""
    s = scan(name, mode)
    multi = [v for v, suites in expected_suites(name).items() if len(suites) >= 2]
    assert multi
    for v in multi:
        assert s.ep["server_order"].get(v) is expected, (v, s.ep["server_order"])


def test_order_modes_differ_only_in_order(scan):
    """The two order fakes accept the same suites; mailtls lists the
    server-order one in the fake's order and says which one has an order."""
    so, co = scan("server-order", "implicit"), scan("client-order", "implicit")
    assert {p: sorted(c) for p, c in so.suites().items()} == \
           {p: sorted(c) for p, c in co.suites().items()}
    assert so.suites()["TLSv1.2"] == ["0x0035", "0xC02F", "0x002F", "0xC030", "0xC013"]
    assert so.ep["server_order"] == {"TLSv1.1": True, "TLSv1.2": True}
    assert co.ep["server_order"] == {"TLSv1.1": False, "TLSv1.2": False}


# ---------------------------------------------------------------- groups and DH


@pytest.mark.parametrize("name", PROFILES)
def test_groups(scan, name):
    s = scan(name, "implicit")
    want = EXPECTED_GROUPS.get(name, [])
    if fake.PROFILES[name].get("order") == "client":
        assert sorted(s.ep["groups"]) == sorted(want)
    else:
        assert s.ep["groups"] == want


@pytest.mark.parametrize("name", PROFILES)
def test_dh_size(scan, name):
    s = scan(name, "implicit")
    if name in EXPECTED_DH:
        assert s.ep["dh"] is not None and s.ep["dh"]["bits"] == EXPECTED_DH[name][0], s.ep["dh"]
    else:
        assert s.ep["dh"] is None, s.ep["dh"]


@pytest.mark.parametrize("name", sorted(EXPECTED_DH))
def test_dh_common_prime(scan, name):
    """Each fake uses a well-known prime: mailtls must name it (LOGJAM)."""
    s = scan(name, "implicit")
    assert s.ep["dh"] is not None
    assert s.ep["dh"]["common_prime"] and EXPECTED_DH[name][1] in s.ep["dh"]["common_prime"], \
        s.ep["dh"]


# ---------------------------------------------------------------- findings


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PROFILES)
def test_findings(scan, name, mode):
    s = scan(name, mode)
    got = set(finding_ids(s.ep)) & ENUM_FINDINGS
    assert got == EXPECTED_FINDINGS[name], "profile %s (%s)" % (name, mode)


def s_client_server_alert(hostport, mode):
    """The reference: the alert number when `openssl s_client`'s handshake,
    offering what mailtls's verified handshake offers (src/tls/ossl.c),
    ends on an alert the server sent after its ServerHello (-msg shows
    it), else None."""
    p = subprocess.run([OPENSSL, "s_client", "-connect", hostport, "-cipher",
                        "DEFAULT:ALL:@SECLEVEL=0", "-legacy_server_connect", "-msg"] +
                       (["-starttls", "smtp"] if mode == "starttls" else []),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    m = re.search(rb"ssl3_read_bytes:.*SSL alert number (\d+)", p.stderr)
    hello = re.search(rb"<<< .*ServerHello", p.stdout)
    return int(m.group(1)) if m and hello and p.returncode != 0 else None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PROFILES)
def test_handshake_fails_only_where_the_server_ends_it(scan, name, mode):
    """tls-handshake-fails exactly where s_client's handshake also ends on
    an alert from the server after its ServerHello: the hello-then-alert
    fake, and server-order, whose first choice is a static-RSA suite
    (AES256-SHA) OpenSSL goes on with: the fake cannot finish the handshake
    and answers the client's Finished with an alert. Not where OpenSSL
    gives up on the server's flight itself (SSLv3, dummy ServerKeyExchange
    signatures: client-order picks ECDHE), nor on the modern server
    (test_absent_on_modern_server)."""
    s = scan(name, mode)
    alert = s_client_server_alert(s.server.hostport, mode)
    f = [x for x in s.ep["findings"] if x["id"] == "tls-handshake-fails"]
    assert bool(f) == (alert is not None), (name, mode, alert, s.ep["findings"])
    if f:
        assert "(%d)" % alert in f[0]["detail"], f[0]
    assert bool(f) == (name in ("hello-then-alert", "server-order"))


@pytest.mark.parametrize("mode", MODES)
def test_no_completing_handshake_is_critical_and_f(scan, mode):
    """A server that answers every hello with a ServerHello and then an
    alert (OpenSMTPD with a key it cannot use): the enumeration sees every
    suite, yet no session is possible. That is the top finding and an F,
    with the alert and the stage, and the trust verdict says why it is
    unknown. The reference: s_client fails the same way (SSL alert number
    80)."""
    s = scan("hello-then-alert", mode)
    ep = s.ep
    f = _finding(ep, "tls-handshake-fails")
    assert f["severity"] == "critical"
    assert "ServerHello" in f["detail"] and "internal error (80)" in f["detail"], f
    assert ("fall back to clear text" in f["detail"]) == (mode == "starttls")
    assert ep["findings"][0]["id"] == "tls-handshake-fails"  # worst first
    assert ep["tls"] is None
    assert ep["grade"]["letter"] == "F", ep["grade"]
    assert "a critical finding: F" in ep["grade"]["caps"]
    assert "no handshake completes" in ep["grade"]["authentication"]
    assert s.rc == 1, s.err
    assert s_client_server_alert(s.server.hostport, mode) == 80


def _finding(ep, fid):
    found = [f for f in ep["findings"] if f["id"] == fid]
    assert len(found) == 1, "%s listed %d times" % (fid, len(found))
    return found[0]


def test_sslv2_is_critical(scan):
    f = _finding(scan("sslv2", "implicit").ep, "protocol-sslv2")
    assert f["severity"] == "critical"


def test_sslv3_is_high(scan):
    f = _finding(scan("sslv3", "implicit").ep, "protocol-sslv3")
    assert f["severity"] == "high"
    assert "CVE-2014-3566" in f["cve"]


@pytest.mark.parametrize("name,bits", [("dhe1024", 1024), ("export", 512)])
def test_dh_weak_detail(scan, name, bits):
    f = _finding(scan(name, "implicit").ep, "dh-weak")
    assert f["severity"] == "high"
    assert "%d-bit" % bits in f["detail"], f["detail"]


@pytest.mark.parametrize("name,fid,suites", [
    ("export", "cipher-export", ["EXP-EDH-RSA-DES-CBC-SHA", "EXP-RC4-MD5", "EXP-DES-CBC-SHA"]),
    ("weak", "cipher-null", ["NULL-SHA256", "NULL-SHA"]),
    ("weak", "cipher-rc4", ["ECDHE-RSA-RC4-SHA", "RC4-SHA"]),
    ("weak", "cipher-3des", ["ECDHE-RSA-DES-CBC3-SHA", "DES-CBC3-SHA"]),
    ("sslv2", "cipher-rc4", ["RC4-MD5"]),
    ("sslv2", "cipher-3des", ["DES-CBC3-MD5"]),
    ("anon", "cipher-anonymous", ["ADH-AES128-SHA", "AECDH-AES128-SHA"]),
])
def test_weak_suite_findings_name_the_suites(scan, name, fid, suites):
    f = _finding(scan(name, "implicit").ep, fid)
    for s in suites:
        assert s in f["detail"], (s, f["detail"])


# ---------------------------------------------------------------- connections


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PROFILES)
def test_connection_count_is_what_the_server_saw(scan, name, mode):
    s = scan(name, mode)
    assert s.ep["stats"]["connections"] == s.accepted, \
        "mailtls says %d connections, the fake accepted %d" % (s.ep["stats"]["connections"],
                                                               s.accepted)


@pytest.mark.parametrize("name", PROFILES)
def test_fake_answered_every_hello(scan, name):
    """Sanity of the fixture itself: no hello it could not parse, no bug."""
    s = scan(name, "implicit")
    bad = [e for e in s.log if e.get("outcome") in ("bad-hello", "fake-error")]
    assert not bad, bad
    assert any(e.get("outcome") in ("hello", "hello-then-alert") for e in s.log), \
        "the fake never got a hello it could answer: %r" % s.log[:5]


# ---------------------------------------------------------------- a real modern server


@pytest.fixture(scope="module")
def modern(sserver, run_json, pki):
    srv = sserver("good")
    rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.ca,
                            "127.0.0.1:%d" % srv.port)
    assert rc in (0, 1), err
    return endpoint(doc)


@pytest.mark.parametrize("fid", sorted(ENUM_FINDINGS - {"some-without-forward-secrecy"}) +
                         ["tls-handshake-fails"])
def test_absent_on_modern_server(modern, fid):
    """openssl s_server with its defaults (TLS 1.2 and 1.3, no legacy
    suites, ffdhe2048): none of the legacy findings. (It accepts static RSA
    suites, so some-without-forward-secrecy is expected there.)"""
    assert fid not in finding_ids(modern)


def test_modern_server_has_no_legacy_suites(modern):
    offered = {p["name"]: p["offered"] for p in modern["protocols"]}
    assert offered["SSLv2"] is False and offered["SSLv3"] is False
    assert offered["TLSv1.2"] is True and offered["TLSv1.3"] is True
    bad = [c for c in modern["ciphers"]
           if any(w in (c["openssl"] or "") for w in ("RC4", "DES", "NULL", "EXP", "ADH", "AECDH"))]
    assert not bad, bad
    assert modern["dh"] is None or modern["dh"]["bits"] >= 2048
