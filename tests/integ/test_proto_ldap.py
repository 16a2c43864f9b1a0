"""`mailtls check --starttls ldap` against a real OpenLDAP slapd, and
against tests/fixtures/fake_ldap.py for the BER encodings slapd never uses.

slapd runs from a temporary slapd.conf (tests/integ/servers_misc.py: one
empty mdb database, -h ldap://127.0.0.1:PORT/, as the openldap user), once
per module, stopped at teardown. Debian builds slapd with GnuTLS.

References, independent of mailtls:
  - `openssl s_client -starttls ldap`: protocol, cipher, group, and each
    TLS version pinned
  - slapd's own log (-d stats): "op=0 STARTTLS", "TLS established ...
    tls_proto=TLS1.3", the UNBIND mailtls sends inside TLS
  - `ldapsearch -x -b "" -s base supportedExtension` (ldap-utils): whether
    the server lists the StartTLS OID at all

Profiles:
  tls     TLSCertificateFile / TLSCertificateKeyFile / TLSCACertificateFile
  notls   no TLS settings: slapd answers StartTLS with protocolError (2),
          "unsupported extended operation", and does not list the OID
"""

import re
import shutil
import subprocess
import sys
import time

import pytest

from conftest import FIXTURES, endpoint, finding_ids, local
from servers_misc import Slapd, s_client_tls, s_client_versions, slapd_available

sys.path.insert(0, str(FIXTURES))
import fake_ldap  # noqa: E402
from fake_ldap import FakeLdap  # noqa: E402

STARTTLS_OID = "1.3.6.1.4.1.1466.20037"
UNBIND = bytes.fromhex("30050201024200")
LDAPSEARCH = shutil.which("ldapsearch")

_why = slapd_available()
real = pytest.mark.skipif(_why is not None, reason=_why or "")


def _running(srv):
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def slapd_tls(pki):
    if _why:
        pytest.skip(_why)
    leaf = pki.leaf("good")
    yield from _running(Slapd("tls", leaf.cert, leaf.key, pki.ca, tls=True))


@pytest.fixture(scope="module")
def slapd_notls(pki):
    if _why:
        pytest.skip(_why)
    yield from _running(Slapd("notls", tls=False))


@pytest.fixture(scope="module")
def quick(run_json, pki):
    cache = {}

    def get(hostport_port, *extra):
        key = (hostport_port, extra)
        if key not in cache:
            rc, doc, err = run_json("check", "--quick", "--starttls", "ldap", "--ca-file",
                                    pki.ca, *extra, *local(hostport_port))
            cache[key] = (rc, endpoint(doc), err)
        return cache[key]

    return get


def texts(ep, direction):
    return [t["text"] for t in ep["transcript"] if t["dir"] == direction]


def wait_log(srv, pattern, deadline_s=5.0):
    rx = re.compile(pattern)
    end = time.monotonic() + deadline_s
    while True:
        found = rx.findall(srv.log())
        if found or time.monotonic() > end:
            return found
        time.sleep(0.05)


def root_dse_extensions(srv):
    p = subprocess.run([LDAPSEARCH, "-x", "-LLL", "-H", "ldap://%s/" % srv.hostport, "-b", "",
                        "-s", "base", "supportedExtension"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return re.findall(r"^supportedExtension: (\S+)", p.stdout.decode(), re.M)


# --------------------------------------------------------------------------
# real slapd


@real
def test_tls_equals_s_client(quick, pki, slapd_tls):
    rc, ep, err = quick(slapd_tls.port)
    ref = s_client_tls(slapd_tls.hostport, pki.ca, "ldap")
    assert ref is not None, "s_client -starttls ldap negotiated nothing with slapd"
    assert rc == 0, (rc, err, ep["errors"])
    assert ep["errors"] == []
    tls = ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref.protocol, ref.cipher), ref.output
    assert tls["group"] == ref.group
    assert ref.verified and tls["verify"]["code"] == 0


@real
def test_dialogue(quick, slapd_tls):
    rc, ep, _ = quick(slapd_tls.port)
    g = ep["dialogue"]
    assert g["starttls_sent"] and g["starttls_advertised"] and g["starttls_ok"]
    assert g["starttls_reply"].startswith("resultCode 0"), g["starttls_reply"]
    assert g["pipelined_bytes"] == 0
    c, s = texts(ep, "C"), texts(ep, "S")
    assert c == ["ExtendedRequest StartTLS (%s)" % STARTTLS_OID, "UnbindRequest"], c
    assert s and s[0].startswith("resultCode 0")
    ids = finding_ids(ep)
    for absent in ("starttls-not-offered", "starttls-refused", "pipelined-after-starttls",
                   "port-mode-mismatch"):
        assert absent not in ids, ids
    assert "cert-trusted" in ids


@real
def test_slapd_saw_starttls_and_tls(quick, slapd_tls):
    """slapd's log: the StartTLS operation and the TLS session mailtls
    reported (GnuTLS names TLSv1.3 "TLS1.3")."""
    _, ep, _ = quick(slapd_tls.port)
    want = ep["tls"]["version"].replace("TLSv", "TLS")
    assert wait_log(slapd_tls, r"op=0 STARTTLS")
    assert want in wait_log(slapd_tls, r"TLS established .*tls_proto=(\S+)")


@real
def test_unbind_reaches_slapd_inside_tls(quick, slapd_tls):
    """The transcript shows an UnbindRequest sent inside TLS: slapd must
    have received it (it logs "op=1 UNBIND"; a connection dropped without
    one is "closed (connection lost)")."""
    _, ep, _ = quick(slapd_tls.port)
    assert texts(ep, "C")[-1] == "UnbindRequest"
    assert wait_log(slapd_tls, r"op=1 UNBIND", deadline_s=3), slapd_tls.log()[-1500:]


@real
def test_enumeration_through_the_dialogue(run_json, pki, slapd_tls):
    before = slapd_tls.log().count(" op=0 STARTTLS")
    rc, doc, err = run_json("check", "--starttls", "ldap", "--ca-file", pki.ca,
                            *local(slapd_tls.port), timeout=120)
    ep = endpoint(doc)
    end = time.monotonic() + 5
    while True:
        starttls_ops = slapd_tls.log().count(" op=0 STARTTLS") - before
        if starttls_ops >= ep["stats"]["connections"] or time.monotonic() > end:
            break
        time.sleep(0.1)
    assert ep["errors"] == [], ep["errors"]
    ref = s_client_versions(slapd_tls.hostport, pki.ca, "ldap")
    offered = {p["name"]: p["offered"] for p in ep["protocols"]}
    for version, cipher in ref.items():
        assert offered.get(version) == (cipher is not None), (version, offered, ref)
        if cipher:
            names = [c["openssl"] for c in ep["ciphers"] if c["protocol"] == version]
            assert cipher in names, (version, cipher, names)
    assert ep["stats"]["connections"] > 5
    # Every connection of the scan did StartTLS first.
    assert starttls_ops == ep["stats"]["connections"]


@real
@pytest.mark.skipif(LDAPSEARCH is None, reason="ldapsearch (ldap-utils) is not installed")
def test_root_dse_lists_starttls(slapd_tls):
    assert STARTTLS_OID in root_dse_extensions(slapd_tls)


@real
def test_no_tls_starttls_not_offered(quick, pki, slapd_notls):
    rc, ep, err = quick(slapd_notls.port)
    assert s_client_tls(slapd_notls.hostport, pki.ca, "ldap", timeout=10) is None
    g = ep["dialogue"]
    assert g["starttls_sent"] and not g["starttls_ok"] and not g["starttls_advertised"]
    assert g["starttls_code"] == 2
    assert "unsupported extended operation" in g["starttls_reply"]
    assert ep["tls"] is None
    ids = finding_ids(ep)
    assert "starttls-not-offered" in ids and "starttls-refused" not in ids
    assert rc == 1, (rc, err, ep["errors"])
    assert ep["errors"] == []


@real
@pytest.mark.skipif(LDAPSEARCH is None, reason="ldapsearch (ldap-utils) is not installed")
def test_no_tls_root_dse_lacks_starttls(slapd_notls):
    assert STARTTLS_OID not in root_dse_extensions(slapd_notls)


# --------------------------------------------------------------------------
# the fake: long-form BER lengths


def _fake(mode, pki):
    leaf = pki.leaf("good")
    return FakeLdap(mode, leaf.cert, leaf.key)


def _fake_scan(run_json, pki, mode, wait_unbind=0.0):
    with _fake(mode, pki) as srv:
        rc, doc, err = run_json("check", "--quick", "--starttls", "ldap", "--ca-file", pki.ca,
                                *local(srv.port))
        end = time.monotonic() + wait_unbind
        while time.monotonic() < end and \
                (not srv.sessions or srv.sessions[0]["in_tls"] != UNBIND):
            time.sleep(0.05)
        time.sleep(0.1)
        sess = srv.sessions[0] if srv.sessions else None
    return rc, endpoint(doc), err, sess


@pytest.mark.parametrize("mode", ["short", "long1", "long2", "ad", "long4", "split"])
def test_fake_long_form_lengths(run_json, pki, mode):
    """An ExtendedResponse whose lengths use the long form (0x81, 0x82,
    0x84 as Active Directory writes them), or that arrives one byte per
    segment: parsed, and StartTLS goes on to the handshake."""
    rc, ep, err, sess = _fake_scan(run_json, pki, mode)
    g = ep["dialogue"]
    assert ep["errors"] == [], (mode, fake_ldap.response_for(mode).hex(), ep["errors"])
    assert g["starttls_ok"], g
    assert g["starttls_reply"] == "resultCode 0 (%s)" % fake_ldap.DIAG_OK.decode()
    assert sess is not None and sess["tls"] is not None, sess
    assert ep["tls"] and (ep["tls"]["version"], ep["tls"]["cipher_openssl"]) == sess["tls"]
    assert "starttls-not-offered" not in finding_ids(ep)
    assert rc == 0, (rc, err)


def test_fake_unbind_inside_tls(run_json, pki):
    """The UnbindRequest the transcript shows reaches the server, inside
    TLS, byte for byte."""
    rc, ep, err, sess = _fake_scan(run_json, pki, "short", wait_unbind=3)
    assert texts(ep, "C")[-1] == "UnbindRequest"
    assert sess["in_tls"] == UNBIND, sess


def test_fake_refusal_with_long_form(run_json, pki):
    """protocolError (2) encoded with 0x82 lengths: parsed, not offered."""
    with _fake("refuse", pki) as srv:
        rc, doc, err = run_json("check", "--quick", "--starttls", "ldap", "--ca-file", pki.ca,
                                *local(srv.port))
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert ep["errors"] == [], ep["errors"]
    assert g["starttls_code"] == 2 and not g["starttls_ok"]
    assert fake_ldap.DIAG_REFUSE.decode() in g["starttls_reply"]
    assert "starttls-not-offered" in finding_ids(ep)
    assert rc == 1
