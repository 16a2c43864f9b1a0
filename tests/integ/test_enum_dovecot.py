"""Enumeration through IMAP STARTTLS (and POP3 STLS) against real Dovecot,
cross-checked with testssl.sh (`-t imap|pop3 -p -E`) and sslscan
(`--starttls-imap|pop3`).

Each profile is its own Dovecot instance (tests/integ/dovecot.py: a
temporary dovecot.conf, base_dir, state_dir and log; listeners on
127.0.0.2, see there why) with the test PKI's RSA leaf for localhost:

  default      Dovecot 2.3's defaults: ssl_cipher_list
               ALL:!kRSA:!SRP:!kDHd:!DSS:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!MD5:!PSK:!RC4:!ADH:!LOW@STRENGTH,
               ssl_min_protocol = TLSv1.2, ssl_prefer_server_ciphers = no
               (the client's order)
  restricted   ssl_cipher_list = three suites (below), ssl_prefer_server_ciphers
               = yes, ssl_min_protocol = TLSv1.2, ssl_dh from a DH group
               generated here (`openssl dhparam -dsaparam 2048`) so that the
               DHE suite works; scanned through IMAP STARTTLS and POP3 STLS
  tls13-only   ssl_min_protocol = TLSv1.3

For each target, mailtls' protocols and suites equal testssl.sh's suite for
suite; with server order, mailtls' order agrees with sslscan's and
server_order is true; groups equal sslscan's; stats.connections equals the
number of connections Dovecot's login processes logged. The tools run once
per target, in parallel, after mailtls (MAILTLS_REF_CACHE: see
test_enum_openssl.py; the key includes Dovecot's version).
"""

import re
import subprocess

import pytest

import dovecot
from conftest import OPENSSL, endpoint, openssl
from dovecot import DOVECOT, Dovecot
from test_enum_openssl import (ALL_PROTOCOLS, SSLSCAN, TESTSSL, Reference, compare_groups,
                               compare_order, compare_protocols, compare_suites,
                               mailtls_offered, mailtls_suites)

_why = dovecot.available()
if _why is None and not (TESTSSL and SSLSCAN):
    _why = "testssl.sh and sslscan are needed (scripts/install-deps installs them)"
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

RESTRICTED_12 = ["ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
                 "DHE-RSA-AES256-GCM-SHA384"]

# profile -> (top-level dovecot.conf settings, listeners, server order?)
# "{dh}" stands for the generated DH parameters.
PROFILES = {
    "default": ({}, ("imap",), False),
    "restricted": ({"ssl_cipher_list": ":".join(RESTRICTED_12),
                    "ssl_prefer_server_ciphers": "yes",
                    "ssl_min_protocol": "TLSv1.2",
                    "ssl_dh": "<{dh}"}, ("imap", "pop3"), True),
    "tls13-only": ({"ssl_min_protocol": "TLSv1.3"}, ("imap",), False),
}

# target -> (profile, STARTTLS protocol)
TARGETS = {
    "default-imap": ("default", "imap"),
    "restricted-imap": ("restricted", "imap"),
    "restricted-pop3": ("restricted", "pop3"),
    "tls13-only-imap": ("tls13-only", "imap"),
}

# What mailtls must list on the restricted profile independently of the
# tools ({protocol: [codes in the server's order]}): the three configured
# TLS 1.2 suites in the configured order, and OpenSSL's default TLS 1.3
# suites (Dovecot's ssl_cipher_suites is empty) in OpenSSL's default order.
RESTRICTED_WANT = {"TLSv1.2": ["0xC030", "0xC02F", "0x009F"],
                   "TLSv1.3": ["0x1302", "0x1303", "0x1301"]}

# Every connection a login process accepted ends in one "Disconnected" line
# (completed handshake, failed handshake or no TLS at all).
def connect_log(proto):
    return r"(?m)^.* %s-login: Info: Disconnected\b.*$" % proto


def _dovecot_version():
    try:
        return subprocess.run([DOVECOT, "--version"], capture_output=True,
                              timeout=30).stdout.decode(errors="replace").strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


class Env:
    def __init__(self):
        self.servers, self.scans, self.refs, self.connects = {}, {}, {}, {}


@pytest.fixture(scope="module")
def env(pki, tmp_path_factory, run_json):
    """Start the three Dovecot instances, run mailtls on each target (alone,
    counting the connections Dovecot logs), then sslscan and testssl.sh on
    every target in parallel."""
    work = tmp_path_factory.mktemp("enum-dovecot")
    dh = work / "dh2048.pem"
    # -dsaparam: seconds instead of a minute; any 2048-bit group does for DHE.
    openssl("dhparam", "-dsaparam", "-out", dh, "2048")
    leaf = pki.leaf("good")
    version = _dovecot_version()
    e = Env()
    try:
        for name, (settings, listeners, _) in PROFILES.items():
            settings = {k: v.replace("{dh}", str(dh)) for k, v in settings.items()}
            dv = Dovecot("enum-" + name, leaf.cert, leaf.key, listeners=listeners,
                         dh="ssl_dh" not in settings, settings=settings)
            e.servers[name] = dv
            dv.start()
        for target, (name, proto) in TARGETS.items():
            dv = e.servers[name]
            rx = connect_log(proto)
            before = len(dv.wait_log(rx, count=10 ** 6, deadline_s=0.5))
            e.scans[target] = run_json("check", "--starttls", proto, "--ca-file", pki.ca,
                                       dv[proto].hostport, timeout=180)
            try:
                n = endpoint(e.scans[target][1])["stats"]["connections"]
            except (AssertionError, KeyError, TypeError):
                n = 0
            # The log process writes asynchronously: wait for n more, then settle.
            dv.wait_log(rx, count=before + n, deadline_s=10)
            e.connects[target] = len(dv.wait_log(rx, count=10 ** 6, deadline_s=0.5)) - before
        for target, (name, proto) in TARGETS.items():
            dv = e.servers[name]
            key = "dovecot %s %s %s %r" % (version, name, proto,
                                           sorted((k, v if "{dh}" not in v else "DH")
                                                  for k, v in PROFILES[name][0].items()))
            e.refs[target] = Reference(dv[proto].hostport, work / target, starttls=proto,
                                       cache_key=key)
        yield e
    finally:
        for ref in e.refs.values():
            ref._thread.join(1800)
        for dv in e.servers.values():
            dv.stop()


def scan_of(env, target):
    name, proto = TARGETS[target]
    rc, doc, err = env.scans[target]
    assert rc in (0, 1), "mailtls exit %d:\n%s\ndovecot.log:\n%s" % (
        rc, err, env.servers[name].log()[-5000:])
    ep = endpoint(doc)
    assert ep["mode"] == "starttls" and ep["starttls"] == proto
    return ep


def ref_of(env, target):
    return env.refs[target].result()


def server_order(target):
    return PROFILES[TARGETS[target][0]][2]


NAMES = list(TARGETS)


@pytest.mark.parametrize("target", NAMES)
def test_protocols_equal_testssl(env, target):
    compare_protocols(scan_of(env, target), ref_of(env, target))


@pytest.mark.parametrize("target", NAMES)
def test_suites_equal_testssl(env, target):
    compare_suites(scan_of(env, target), ref_of(env, target))


@pytest.mark.parametrize("target", [t for t in NAMES if server_order(t)])
def test_order_agrees_with_sslscan(env, target):
    compare_order(scan_of(env, target), ref_of(env, target))


@pytest.mark.parametrize("target", NAMES)
def test_groups_equal_sslscan(env, target):
    compare_groups(scan_of(env, target), ref_of(env, target))


@pytest.mark.parametrize("target", NAMES)
def test_server_order_flag(env, target):
    """ssl_prefer_server_ciphers = yes: true for every protocol with two or
    more suites; Dovecot's default (no): false."""
    ep = scan_of(env, target)
    want = server_order(target)
    multi = [p for p, c in mailtls_suites(ep).items() if len(c) >= 2]
    assert multi
    assert {p: ep["server_order"].get(p) for p in multi} == {p: want for p in multi}


@pytest.mark.parametrize("target", ["restricted-imap", "restricted-pop3"])
def test_restricted_lists_exactly(env, target):
    """Independently of the tools: exactly the configured suites in the
    configured order, TLS 1.2 and 1.3 only."""
    ep = scan_of(env, target)
    assert mailtls_suites(ep) == RESTRICTED_WANT
    assert mailtls_offered(ep) == {p: p in RESTRICTED_WANT for p in ALL_PROTOCOLS}


def test_restricted_same_through_imap_and_pop3(env):
    """One server, two STARTTLS dialogues: the same TLS results."""
    a, b = scan_of(env, "restricted-imap"), scan_of(env, "restricted-pop3")
    assert mailtls_suites(a) == mailtls_suites(b)
    assert mailtls_offered(a) == mailtls_offered(b)
    assert a["server_order"] == b["server_order"]


def test_default_is_tls12_and_tls13(env):
    ep = scan_of(env, "default-imap")
    assert mailtls_offered(ep) == {p: p in ("TLSv1.2", "TLSv1.3") for p in ALL_PROTOCOLS}


def test_tls13_only(env):
    ep = scan_of(env, "tls13-only-imap")
    assert mailtls_offered(ep) == {p: p == "TLSv1.3" for p in ALL_PROTOCOLS}


def test_restricted_dhe_uses_configured_group(env):
    """The DHE suite works with ssl_dh's 2048-bit group (not a well-known
    prime: it was generated here)."""
    ep = scan_of(env, "restricted-imap")
    assert ep["dh"] is not None and ep["dh"]["bits"] == 2048, ep["dh"]
    assert ep["dh"]["common_prime"] is None, ep["dh"]


def test_default_dh_is_debians_group(env):
    """default: ssl_dh is Debian's /usr/share/dovecot/dh.pem. mailtls' size
    is what `openssl dhparam -text` says, and when OpenSSL names the group
    (RFC 3526 "modp_N", RFC 7919 "ffdheN"), mailtls names it a well-known
    prime too."""
    ep = scan_of(env, "default-imap")
    p = subprocess.run([OPENSSL, "dhparam", "-in", str(dovecot.DH_PEM), "-noout", "-text"],
                       capture_output=True, timeout=30)
    text = p.stdout.decode(errors="replace")
    m = re.search(r"\((\d+) bit\)", text)
    assert m, text
    assert ep["dh"] is not None and ep["dh"]["bits"] == int(m.group(1)), ep["dh"]
    if re.search(r"GROUP: (modp_|ffdhe)\d+", text):
        assert ep["dh"]["common_prime"], ep["dh"]


@pytest.mark.parametrize("target", NAMES)
def test_legacy_findings_absent(env, target):
    """No Dovecot profile here has SSLv2, SSLv3, TLS 1.0/1.1, export, RC4,
    NULL, DES, anonymous suites or a weak DH group."""
    ep = scan_of(env, target)
    ids = {f["id"] for f in ep["findings"]}
    bad = {"protocol-sslv2", "protocol-sslv3", "protocol-tls10-tls11", "cipher-null",
           "cipher-export", "cipher-des", "cipher-rc4", "cipher-anonymous", "dh-weak",
           "no-forward-secrecy"}
    assert not (ids & bad), ids & bad


@pytest.mark.parametrize("target", NAMES)
def test_connections_counted(env, target):
    """Dovecot's login processes log every connection they accept: mailtls'
    count is what Dovecot saw."""
    ep = scan_of(env, target)
    assert ep["stats"]["connections"] == env.connects[target], (
        "mailtls counted %d, Dovecot logged %d" % (ep["stats"]["connections"],
                                                   env.connects[target]))
