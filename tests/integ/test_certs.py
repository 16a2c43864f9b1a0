"""Certificates and trust (issue 4): the chain as sent, verification, expiry,
key and signature strength, OCSP stapling, resumption and renegotiation.

The certificates are this module's own (tests/integ/certs_pki.py: a root, an
intermediate, leaves valid / expired / not yet valid / expiring in 10 and 20
days / wrong host / self-signed / RSA 1024 / SHA-1 / MD5 / ECDSA / must-staple
/ AIA+CRL / clientAuth only, a SHA-1 self-signed root) and are served by

  (a) `openssl s_server` (implicit TLS): with and without the intermediate,
      -cert + -dcert (RSA and ECDSA), OCSP responses stapled with
      -status_file (good, revoked, unknown, past nextUpdate, tryLater),
      -no_ticket, -client_renegotiation, -tls1_3;
  (b) real Postfix with STARTTLS (tests/integ/postfix.py): the chain with
      the intermediate (smtpd_tls_chain_files), without it, self-signed,
      expired;
  (c) NoRenegInfoServer (certs_pki.py): a TLS 1.2 server without RFC 5746.

References: `openssl s_client -verify_return_error -verify_hostname localhost`
(verify codes; -starttls smtp for Postfix), `openssl x509` (every
certificates[] field), `openssl s_client -status` (the staple),
-sess_out/-sess_in (resumption), its "R" command (renegotiation).

mailtls runs at OpenSSL security level 0 (docs/design.md: a scanner
describes weak servers rather than refusing them), so for the RSA 1024,
SHA-1 and MD5 leaves the reference is s_client at @SECLEVEL=0, and the
tests also show that s_client at this machine's default level rejects them.
"""

import datetime as dt
import math
import re
import subprocess
import time

import pytest

import postfix
from certs_pki import (AIA_CA_ISSUERS, AIA_OCSP, CRL_URI, INTER_CN, OCSP_TRYLATER, OLD_INTER_CN,
                       ORG, SCT_COUNT, NoRenegInfoServer, make_certs_pki, pem_of,
                       s_client_leaf_sha256, s_client_renegotiates, s_client_resumes,
                       s_client_run, s_client_status, s_client_verify, x509_facts)
from conftest import _stop, endpoint, finding_ids, start_s_server
from postfix import Postfix

HOST = "localhost"
SECLEVEL0 = ("-cipher", "DEFAULT:@SECLEVEL=0")
LEAF_DN = "CN=localhost,O=%s" % ORG
INTER_DN = "CN=%s,O=%s" % (INTER_CN, ORG)
OLD_INTER_DN = "CN=%s,O=%s" % (OLD_INTER_CN, ORG)

# verify error -> finding (docs/json.md, "Certificate trust")
CODE_FINDING = {18: "cert-self-signed", 19: "cert-untrusted-root", 20: "cert-chain-incomplete",
                21: "cert-chain-incomplete", 10: "cert-expired", 9: "cert-not-yet-valid",
                62: "cert-hostname-mismatch", 64: "cert-hostname-mismatch"}
TRUST_FINDINGS = {"cert-trusted", "cert-untrusted"} | set(CODE_FINDING.values())


def trust_findings_for(errors):
    return {CODE_FINDING.get(c, "cert-untrusted") for _, c in errors} or {"cert-trusted"}


def finding(ep, fid):
    """The one finding with this id, or None."""
    found = [f for f in ep["findings"] if f["id"] == fid]
    assert len(found) <= 1, "finding %s listed %d times: %r" % (fid, len(found), found)
    return found[0] if found else None


def flat(text):
    """The text report with its line wrapping undone."""
    return " ".join(text.split())


# --------------------------------------------------------------------------
# the PKI and the servers


@pytest.fixture(scope="module")
def cpki(tmp_path_factory):
    return make_certs_pki(tmp_path_factory.mktemp("certs-pki"))


@pytest.fixture(scope="module")
def ocsp(cpki):
    """name -> DER file for -status_file."""
    d = cpki.dir
    files = {
        "good": cpki.ocsp_response("valid", "good", d / "ocsp-good.der"),
        "revoked": cpki.ocsp_response("valid", "revoked", d / "ocsp-revoked.der"),
        "unknown": cpki.ocsp_response("valid", "unknown", d / "ocsp-unknown.der"),
        "stale": cpki.ocsp_stale("valid", d / "ocsp-stale.der"),
        "muststaple-good": cpki.ocsp_response("muststaple", "good", d / "ocsp-ms-good.der"),
        # a good response, but about another certificate (the AIA leaf)
        "other-cert": cpki.ocsp_response("aia", "good", d / "ocsp-other.der"),
        "no-next": cpki.ocsp_response("valid", "good", d / "ocsp-no-next.der", ndays=None),
    }
    files["trylater"] = d / "ocsp-trylater.der"
    files["trylater"].write_bytes(OCSP_TRYLATER)
    return files


def pair_extra(cpki):
    e = cpki.leaf("ecdsa")
    return ("-dcert", e.cert, "-dkey", e.key, "-dcert_chain", cpki.inter)


# name -> (leaf, chain to send: "inter" / "inter+root" / "own" / None,
#          extra s_server options (a function of the PKI and the OCSP files),
#          CA file the scan trusts: "root" / "other" / "legacy")
SERVERS = {
    "valid": ("valid", "inter", lambda p, o: (), "root"),
    "nochain": ("valid", None, lambda p, o: (), "root"),
    "untrusted-root": ("valid", "inter+root", lambda p, o: (), "other"),
    "expired": ("expired", "inter", lambda p, o: (), "root"),
    "justexpired": ("justexpired", "inter", lambda p, o: (), "root"),
    "notyet": ("notyet", "inter", lambda p, o: (), "root"),
    "soon10": ("soon10", "inter", lambda p, o: (), "root"),
    "soon20": ("soon20", "inter", lambda p, o: (), "root"),
    "wrongname": ("wrongname", "inter", lambda p, o: (), "root"),
    "selfsigned": ("selfsigned", None, lambda p, o: (), "root"),
    "clientauth": ("clientauth", "inter", lambda p, o: (), "root"),
    "rsa1024": ("rsa1024", "inter", lambda p, o: SECLEVEL0, "root"),
    "sha1": ("sha1", "inter", lambda p, o: SECLEVEL0, "root"),
    "md5": ("md5", "inter", lambda p, o: SECLEVEL0, "root"),
    "legacy": ("legacy", "own", lambda p, o: (), "legacy"),
    "ecdsa": ("ecdsa", "inter", lambda p, o: (), "root"),
    "aia": ("aia", "inter", lambda p, o: (), "root"),
    "sct": ("sct", "inter", lambda p, o: (), "root"),
    # a SHA-1 intermediate that expires in 10 days (the leaf is fine)
    "oldinter": ("underold", "own", lambda p, o: SECLEVEL0, "root"),
    "muststaple": ("muststaple", "inter", lambda p, o: (), "root"),
    "muststaple-stapled": ("muststaple", "inter",
                           lambda p, o: ("-status_file", o["muststaple-good"]), "root"),
    # RSA (-cert) and ECDSA (-dcert): the server picks by the client's sigalgs
    "pair": ("valid", "inter", lambda p, o: pair_extra(p), "root"),
    # the same, but the server prefers RSA signatures: RSA comes first
    "pair-rsa-first": ("valid", "inter", lambda p, o: pair_extra(p) + (
        "-serverpref", "-sigalgs",
        "RSA-PSS+SHA256:RSA-PSS+SHA384:RSA+SHA256:RSA+SHA384:ECDSA+SHA256:ECDSA+SHA384"), "root"),
    "ocsp-good": ("valid", "inter", lambda p, o: ("-status_file", o["good"]), "root"),
    "ocsp-revoked": ("valid", "inter", lambda p, o: ("-status_file", o["revoked"]), "root"),
    "ocsp-unknown": ("valid", "inter", lambda p, o: ("-status_file", o["unknown"]), "root"),
    "ocsp-stale": ("valid", "inter", lambda p, o: ("-status_file", o["stale"]), "root"),
    "ocsp-trylater": ("valid", "inter", lambda p, o: ("-status_file", o["trylater"]), "root"),
    "ocsp-other-cert": ("valid", "inter", lambda p, o: ("-status_file", o["other-cert"]), "root"),
    "ocsp-no-next": ("valid", "inter", lambda p, o: ("-status_file", o["no-next"]), "root"),
    "noticket": ("valid", "inter", lambda p, o: ("-no_ticket",), "root"),
    "reneg": ("valid", "inter", lambda p, o: ("-client_renegotiation",), "root"),
    "tls12": ("valid", "inter", lambda p, o: ("-tls1_2",), "root"),
    "tls13": ("valid", "inter", lambda p, o: ("-tls1_3",), "root"),
}


def ca_for(cpki, which):
    return {"root": cpki.root, "other": cpki.other_root, "legacy": cpki.legacy_root}[which]


@pytest.fixture(scope="module")
def server(cpki, ocsp, tmp_path_factory):
    """server(name) -> a running s_server for SERVERS[name] (one per module)."""
    started = {}
    workdir = tmp_path_factory.mktemp("certs-s_server")

    def get(name):
        srv = started.get(name)
        if srv is None or srv.proc.poll() is not None:
            leaf, chain, extra, _ = SERVERS[name]
            leaf = cpki.leaf(leaf)
            chain_file = {"inter": cpki.inter, "inter+root": cpki.inter_root,
                          "own": leaf.chain, None: None}[chain]
            srv = start_s_server(workdir, leaf, chain=chain_file, extra=extra(cpki, ocsp))
            started[name] = srv
        return srv

    yield get
    for srv in started.values():
        _stop(srv.proc)


class Scan:
    def __init__(self, rc, doc, err, t0, t1, srv):
        self.rc, self.doc, self.err, self.t0, self.t1, self.srv = rc, doc, err, t0, t1, srv
        self.ep = endpoint(doc)


@pytest.fixture(scope="module")
def scan(cpki, server, run_json):
    """scan(name, quick=False, *extra) -> Scan of `mailtls check --implicit`
    on that server, trusting its CA file (cached per arguments)."""
    cache = {}

    def get(name, quick=False, extra=()):
        key = (name, quick, tuple(extra))
        if key not in cache:
            srv = server(name)
            q = ("--quick",) if quick else ()
            t0 = time.time()
            rc, doc, err = run_json("check", *q, "--implicit", "--ca-file",
                                    ca_for(cpki, SERVERS[name][3]), "--ip", "127.0.0.1",
                                    *extra, "%s:%d" % (HOST, srv.port))
            cache[key] = Scan(rc, doc, err, t0, time.time(), srv)
        return cache[key]

    return get


@pytest.fixture(scope="module")
def ref(cpki, server):
    """ref(name, seclevel0=False) -> s_client_verify on that server (cached)."""
    cache = {}

    def get(name, seclevel0=False):
        key = (name, seclevel0)
        if key not in cache:
            cache[key] = s_client_verify(server(name).hostport, ca_for(cpki, SERVERS[name][3]),
                                         extra=SECLEVEL0 if seclevel0 else ())
        return cache[key]

    return get


# --------------------------------------------------------------------------
# 1. verification: mailtls equals s_client, and the trust findings follow

# name -> (verify code, exit code of `mailtls check --quick`)
VERIFY = {
    "valid": (0, 0),
    "nochain": (20, 1),
    "untrusted-root": (19, 1),
    "expired": (10, 1),
    "justexpired": (10, 1),
    "notyet": (9, 1),
    "wrongname": (62, 1),
    "selfsigned": (18, 1),
    "clientauth": (26, 1),
    "legacy": (0, 0),
    "ecdsa": (0, 0),
    "soon20": (0, 0),
}


@pytest.mark.parametrize("name", VERIFY)
def test_verify_matches_s_client(scan, ref, name):
    want_code, want_rc = VERIFY[name]
    r = ref(name)
    assert r.code == want_code, "fixture: s_client says %d (%s)" % (r.code, r.message)
    s = scan(name, quick=True)
    v = s.ep["tls"]["verify"]
    assert (v["code"], v["message"]) == (r.code, r.message)
    assert [(e["depth"], e["code"]) for e in v["errors"]] == r.errors
    assert (v["hostname_checked"], v["name"]) == (True, HOST)
    got = {f["id"] for f in s.ep["findings"]} & TRUST_FINDINGS
    assert got == trust_findings_for(r.errors)
    for fid in got:
        assert finding(s.ep, fid)["severity"] == ("ok" if fid == "cert-trusted" else "high")
    assert s.rc == want_rc, (s.err, [(f["id"], f["severity"]) for f in s.ep["findings"]])
    assert s.ep["errors"] == []


@pytest.mark.parametrize("name", ["rsa1024", "sha1", "md5", "oldinter"])
def test_verify_weak_matches_s_client_at_level_0(scan, ref, name):
    """mailtls verifies at security level 0: s_client at @SECLEVEL=0 agrees
    (0); at this machine's default level s_client rejects the same chain
    (66 EE key too small, 68 CA digest too weak)."""
    r0 = ref(name, seclevel0=True)
    assert r0.code == 0
    strict = ref(name)
    assert strict.code == (66 if name == "rsa1024" else 68), strict.message
    v = scan(name, quick=True).ep["tls"]["verify"]
    assert (v["code"], v["message"], v["errors"]) == (0, "ok", [])
    assert "cert-trusted" in finding_ids(scan(name, quick=True).ep)


def test_chain_incomplete_names_missing_issuer(scan):
    f = finding(scan("nochain", quick=True).ep, "cert-chain-incomplete")
    assert f is not None and f["severity"] == "high"
    assert f["detail"].startswith("OpenSSL verify error 20 at depth 0: "
                                  "unable to get local issuer certificate")
    assert ('the issuer "%s" of "%s" was neither sent by the server nor found among the '
            'trusted CAs' % (INTER_DN, LEAF_DN)) in f["detail"]
    assert "intermediate" in f["fix"] and "fullchain" in f["fix"]


def test_chain_complete_no_chain_finding(scan):
    ep = scan("valid", quick=True).ep
    assert finding(ep, "cert-chain-incomplete") is None
    assert finding(ep, "cert-trusted")["detail"] == "the chain verifies and matches localhost"


def test_hostname_mismatch_names_both(scan):
    f = finding(scan("wrongname", quick=True).ep, "cert-hostname-mismatch")
    assert f is not None and f["severity"] == "high"
    assert f["detail"] == ("OpenSSL verify error 62 at depth 0: hostname mismatch; asked for "
                           "localhost; the certificate names: DNS:wrong.example "
                           "DNS:mx.wrong.example")
    assert "subjectAltName" in f["fix"]
    assert finding(scan("valid", quick=True).ep, "cert-hostname-mismatch") is None


def test_self_signed_fix(scan):
    f = finding(scan("selfsigned", quick=True).ep, "cert-self-signed")
    assert f["detail"] == "OpenSSL verify error 18 at depth 0: self-signed certificate"
    assert "Let's Encrypt" in f["fix"] and "DANE" in f["fix"]
    for name in ("valid", "nochain", "untrusted-root"):
        assert finding(scan(name, quick=True).ep, "cert-self-signed") is None


def test_untrusted_root(scan):
    ep = scan("untrusted-root", quick=True).ep
    f = finding(ep, "cert-untrusted-root")
    assert f["detail"] == ("OpenSSL verify error 19 at depth 2: self-signed certificate in "
                           "certificate chain")
    assert [c["subject"] for c in ep["certificates"]] == [
        LEAF_DN, INTER_DN, "CN=mailtls certs root,O=%s" % ORG]
    assert finding(scan("valid", quick=True).ep, "cert-untrusted-root") is None


def test_expired_and_not_yet_valid(scan):
    ep = scan("expired", quick=True).ep
    f = finding(ep, "cert-expired")
    assert f["detail"] == "OpenSSL verify error 10 at depth 0: certificate has expired"
    assert "Renew" in f["fix"]
    assert finding(ep, "cert-expires-soon") is None, "expired is not 'expires soon'"
    assert finding(ep, "cert-not-yet-valid") is None
    ep = scan("notyet", quick=True).ep
    f = finding(ep, "cert-not-yet-valid")
    assert f["detail"] == "OpenSSL verify error 9 at depth 0: certificate is not yet valid"
    assert "clock" in f["fix"]
    assert finding(ep, "cert-expired") is None
    for fid in ("cert-expired", "cert-not-yet-valid"):
        assert finding(scan("valid", quick=True).ep, fid) is None


def test_other_error_is_cert_untrusted(scan):
    f = finding(scan("clientauth", quick=True).ep, "cert-untrusted")
    assert f["severity"] == "high"
    assert f["detail"] == ("OpenSSL verify error 26 at depth 0: unsuitable certificate purpose")
    assert finding(scan("valid", quick=True).ep, "cert-untrusted") is None


# --------------------------------------------------------------------------
# 2. certificates[]: every field against openssl x509


def assert_cert(c, pem_file, depth, chain="default", now=None):
    want = x509_facts(pem_file)
    assert c["depth"] == depth
    assert c["chain"] == chain
    for k in ("subject", "issuer", "serial", "not_before", "not_after", "key", "key_type",
              "key_bits", "sig_alg", "sha256", "spki_sha256", "san", "ocsp_uris", "ca_issuers",
              "crl_uris", "must_staple", "sct_count", "self_signed"):
        assert c[k] == want[k], "%s: %r != openssl's %r" % (k, c[k], want[k])
    assert c["pem"] == pem_of(pem_file)
    if now is not None:
        # whole days until notAfter, negative once expired: floor(seconds / 86400)
        # (validity ends lie half a day off a whole day: no rounding doubt)
        secs = (want["not_after_dt"] - now).total_seconds()
        assert c["days_left"] == math.floor(secs / 86400), (c["days_left"], secs)


def utc(ts):
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


# name -> the chain as sent, as PEM files
def chain_files(cpki, name):
    leaf, chain, _, _ = SERVERS[name]
    files = [cpki.leaf(leaf).cert]
    if chain == "inter":
        files.append(cpki.inter)
    elif chain == "inter+root":
        files += [cpki.inter, cpki.root]
    elif chain == "own":
        files.append(cpki.leaf(leaf).chain)
    return files


@pytest.mark.parametrize("name", ["valid", "nochain", "untrusted-root", "expired", "notyet",
                                  "justexpired",
                                  "soon10", "selfsigned", "rsa1024", "sha1", "md5", "legacy",
                                  "ecdsa", "aia", "muststaple", "sct", "oldinter"])
def test_certificate_fields(cpki, scan, name):
    s = scan(name, quick=True)
    certs = s.ep["certificates"]
    files = chain_files(cpki, name)
    assert len(certs) == len(files)
    for i, (c, f) in enumerate(zip(certs, files)):
        assert_cert(c, f, i, now=utc(s.t0))


def test_certificate_exact_values(cpki, scan):
    """The values that matter, spelled out (not only 'equal to openssl')."""
    certs = scan("aia", quick=True).ep["certificates"]
    c = certs[0]
    assert c["ocsp_uris"] == [AIA_OCSP]
    assert c["ca_issuers"] == [AIA_CA_ISSUERS]
    assert c["crl_uris"] == [CRL_URI]
    assert c["san"] == ["DNS:localhost", "DNS:mail.localhost", "IP:127.0.0.1"]
    assert (c["key"], c["key_type"], c["key_bits"]) == ("RSA 2048", "RSA", 2048)
    assert c["sig_alg"] == "sha256WithRSAEncryption"
    assert c["must_staple"] is False and c["self_signed"] is False
    assert (certs[1]["key"], certs[1]["sig_alg"]) == ("RSA 2048", "ecdsa-with-SHA256")
    assert certs[1]["serial"] == "1001"
    assert certs[1]["ocsp_uris"] == certs[1]["ca_issuers"] == certs[1]["crl_uris"] == []
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", c["sha256"])
    assert re.fullmatch(r"[0-9a-f]{64}", c["spki_sha256"])
    assert scan("muststaple", quick=True).ep["certificates"][0]["must_staple"] is True
    assert scan("valid", quick=True).ep["certificates"][0]["ocsp_uris"] == []
    e = scan("ecdsa", quick=True).ep["certificates"][0]
    assert (e["key"], e["key_type"], e["key_bits"]) == ("EC P-256", "EC", 256)
    assert scan("sha1", quick=True).ep["certificates"][0]["sig_alg"] == "sha1WithRSAEncryption"
    assert scan("md5", quick=True).ep["certificates"][0]["sig_alg"] == "md5WithRSAEncryption"
    assert scan("rsa1024", quick=True).ep["certificates"][0]["key"] == "RSA 1024"
    legacy = scan("legacy", quick=True).ep["certificates"]
    assert legacy[0]["serial"] == "0BADC0DE"
    assert (legacy[1]["sig_alg"], legacy[1]["self_signed"]) == ("sha1WithRSAEncryption", True)
    assert scan("selfsigned", quick=True).ep["certificates"][0]["self_signed"] is True


def test_sct_count(scan):
    assert scan("sct", quick=True).ep["certificates"][0]["sct_count"] == SCT_COUNT == 2
    assert scan("valid", quick=True).ep["certificates"][0]["sct_count"] == 0


def test_days_left_values(scan):
    assert scan("soon10", quick=True).ep["certificates"][0]["days_left"] == 10
    assert scan("soon20", quick=True).ep["certificates"][0]["days_left"] == 20
    assert scan("valid", quick=True).ep["certificates"][0]["days_left"] == 365
    assert scan("expired", quick=True).ep["certificates"][0]["days_left"] == -31  # -30.5 days


def test_just_expired_days_left_negative(scan):
    """Expired 12 hours ago: days_left is negative (docs/json.md: "negative
    when expired")."""
    ep = scan("justexpired", quick=True).ep
    assert finding(ep, "cert-expired") is not None
    assert ep["certificates"][0]["days_left"] == -1


def test_just_expired_is_not_expires_soon(scan):
    """...and it is cert-expired, not also "expires soon, in 0 days"."""
    ep = scan("justexpired", quick=True).ep
    assert finding(ep, "cert-expired") is not None
    assert finding(ep, "cert-expires-soon") is None


def test_spki_is_dane_311(cpki, scan):
    """spki_sha256 is what `openssl x509 -pubkey | openssl pkey -pubin
    -outform der | sha256sum` prints, and the leaves that share a key share it."""
    a = scan("valid", quick=True).ep["certificates"][0]["spki_sha256"]
    b = scan("sha1", quick=True).ep["certificates"][0]["spki_sha256"]
    c = scan("ecdsa", quick=True).ep["certificates"][0]["spki_sha256"]
    assert a == b == x509_facts(cpki.leaf("valid").cert)["spki_sha256"]
    assert c == x509_facts(cpki.leaf("ecdsa").cert)["spki_sha256"] != a


# --------------------------------------------------------------------------
# 3. a second certificate (RSA + ECDSA)


def test_second_chain_rsa(cpki, scan, server):
    """Default pick ECDSA (what s_client gets too); the other one, RSA, is
    found by a handshake offering RSA only, labelled "rsa"."""
    s = scan("pair")
    srv = server("pair")
    default_fp = s_client_leaf_sha256(srv.hostport, cpki.root)
    rsa_fp = s_client_leaf_sha256(srv.hostport, cpki.root,
                                  extra=("-sigalgs", "RSA-PSS+SHA256:RSA+SHA256"))
    ecdsa, rsa = cpki.leaf("ecdsa"), cpki.leaf("valid")
    assert default_fp == x509_facts(ecdsa.cert)["sha256"]
    assert rsa_fp == x509_facts(rsa.cert)["sha256"]
    certs = s.ep["certificates"]
    assert [(c["chain"], c["depth"]) for c in certs] == [
        ("default", 0), ("default", 1), ("rsa", 0), ("rsa", 1)]
    now = utc(s.t0)
    assert_cert(certs[0], ecdsa.cert, 0, "default", now)
    assert_cert(certs[1], cpki.inter, 1, "default", now)
    assert_cert(certs[2], rsa.cert, 0, "rsa", now)
    assert_cert(certs[3], cpki.inter, 1, "rsa", now)
    assert s.ep["tls"]["verify"]["code"] == 0


def test_second_chain_ecdsa(cpki, scan, server):
    """The server prefers RSA: the default chain is RSA and the other one is
    labelled "ecdsa"."""
    s = scan("pair-rsa-first")
    srv = server("pair-rsa-first")
    ecdsa, rsa = cpki.leaf("ecdsa"), cpki.leaf("valid")
    assert s_client_leaf_sha256(srv.hostport, cpki.root) == x509_facts(rsa.cert)["sha256"]
    assert s_client_leaf_sha256(srv.hostport, cpki.root, extra=("-sigalgs", "ECDSA+SHA256")) \
        == x509_facts(ecdsa.cert)["sha256"]
    certs = s.ep["certificates"]
    assert [(c["chain"], c["depth"]) for c in certs] == [
        ("default", 0), ("default", 1), ("ecdsa", 0), ("ecdsa", 1)]
    now = utc(s.t0)
    assert_cert(certs[0], rsa.cert, 0, "default", now)
    assert_cert(certs[2], ecdsa.cert, 0, "ecdsa", now)
    assert_cert(certs[3], cpki.inter, 1, "ecdsa", now)


@pytest.mark.parametrize("name", ["valid", "ecdsa"])
def test_no_second_chain_with_one_certificate(cpki, scan, name):
    certs = scan(name).ep["certificates"]
    assert [(c["chain"], c["depth"]) for c in certs] == [("default", 0), ("default", 1)]


def test_quick_looks_for_no_second_chain(scan):
    certs = scan("pair", quick=True).ep["certificates"]
    assert [c["chain"] for c in certs] == ["default", "default"]
    assert scan("pair", quick=True).ep["stats"]["connections"] == 1


# --------------------------------------------------------------------------
# 4. findings about the certificates themselves


def test_expires_soon_high_below_15_days(scan):
    ep = scan("soon10", quick=True).ep
    f = finding(ep, "cert-expires-soon")
    assert f is not None and f["severity"] == "high"
    c = ep["certificates"][0]
    assert f["detail"] == ('the server certificate "%s" (RSA 2048) expires on %s, in 10 days'
                           % (LEAF_DN, c["not_after"]))
    assert "certbot" in f["fix"] and "15 days" in f["fix"]
    assert "cert-trusted" in finding_ids(ep)
    assert scan("soon10", quick=True).rc == 1


def test_expires_soon_medium_below_30_days(scan):
    s = scan("soon20", quick=True)
    f = finding(s.ep, "cert-expires-soon")
    assert f is not None and f["severity"] == "medium"
    assert "in 20 days" in f["detail"]
    assert s.rc == 0  # medium is below the default --fail-on high


def test_expires_soon_absent(scan):
    for name in ("valid", "expired", "notyet", "wrongname", "selfsigned"):
        assert finding(scan(name, quick=True).ep, "cert-expires-soon") is None, name


@pytest.mark.parametrize("name,warn,want", [
    ("soon20", "15", None),       # 20 days left: not below 15
    ("soon20", "21", "medium"),
    ("soon10", "10", None),       # 10.5 days left: not below 10
    ("soon10", "11", "high"),
    ("soon10", "5", None),
    ("valid", "366", "medium"),   # 365 days left
    ("valid", "365", None),
])
def test_warn_days(scan, name, warn, want):
    f = finding(scan(name, quick=True, extra=("--warn-days", warn)).ep, "cert-expires-soon")
    assert (f and f["severity"]) == want


def test_weak_key(scan):
    f = finding(scan("rsa1024", quick=True).ep, "cert-weak-key")
    assert f is not None and f["severity"] == "high"
    assert f["detail"] == '"%s" has a RSA key of 1024 bits' % LEAF_DN
    assert "2048" in f["fix"]
    for name in ("valid", "ecdsa", "pair"):
        assert finding(scan(name).ep, "cert-weak-key") is None, name


def test_weak_signature_sha1(scan):
    s = scan("sha1", quick=True)
    f = finding(s.ep, "cert-weak-signature")
    assert f is not None and f["severity"] == "high"
    assert f["detail"] == '"%s" is signed with SHA-1 (sha1WithRSAEncryption)' % LEAF_DN
    assert "SHA-256" in f["fix"]
    assert s.rc == 1


def test_weak_signature_md5_is_critical(scan):
    f = finding(scan("md5", quick=True).ep, "cert-weak-signature")
    assert f is not None and f["severity"] == "critical"
    assert f["detail"] == '"%s" is signed with MD5 (md5WithRSAEncryption)' % LEAF_DN


def test_intermediate_expires_soon_and_weak_signature(scan):
    """Every certificate of the chain counts, not only the leaf."""
    ep = scan("oldinter", quick=True).ep
    old = ep["certificates"][1]
    assert (old["subject"], old["days_left"]) == (OLD_INTER_DN, 10)
    f = finding(ep, "cert-expires-soon")
    assert f is not None and f["severity"] == "high"
    assert f["detail"] == ('an intermediate certificate "%s" (RSA 2048) expires on %s, in 10 days'
                           % (OLD_INTER_DN, old["not_after"]))
    f = finding(ep, "cert-weak-signature")
    assert f is not None and f["severity"] == "high"
    assert f["detail"] == '"%s" is signed with SHA-1 (ecdsa-with-SHA1)' % OLD_INTER_DN
    assert "cert-trusted" in finding_ids(ep)


def test_weak_signature_absent(scan):
    assert finding(scan("valid", quick=True).ep, "cert-weak-signature") is None
    # a root's own SHA-1 self-signature does not count
    ep = scan("legacy", quick=True).ep
    assert ep["certificates"][1]["sig_alg"] == "sha1WithRSAEncryption"
    assert finding(ep, "cert-weak-signature") is None


# --------------------------------------------------------------------------
# 5. OCSP stapling


def assert_ocsp_matches(s, r, want_status, want_cert_status):
    o = s.ep["tls"]["ocsp"]
    assert r["stapled"] is True
    assert (o["stapled"], o["status"], o["cert_status"]) == (True, r["status"], r["cert_status"])
    assert (o["status"], o["cert_status"]) == (want_status, want_cert_status)
    if r["this_update"] is None:
        assert o["age_s"] is None and o["expires_s"] is None
        return
    # age and remaining time, bounded by the times the scan started and ended
    lo = math.floor(s.t0 - r["this_update"].timestamp())
    hi = math.ceil(s.t1 - r["this_update"].timestamp())
    assert lo <= o["age_s"] <= hi, (o["age_s"], lo, hi)
    lo = math.floor(r["next_update"].timestamp() - s.t1)
    hi = math.ceil(r["next_update"].timestamp() - s.t0)
    assert lo <= o["expires_s"] <= hi, (o["expires_s"], lo, hi)


@pytest.fixture(scope="module")
def status_ref(cpki, server):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = s_client_status(server(name).hostport, cpki.root)
        return cache[name]

    return get


def test_ocsp_good(scan, status_ref):
    s = scan("ocsp-good", quick=True)
    assert_ocsp_matches(s, status_ref("ocsp-good"), "successful", "good")
    assert 0 <= s.ep["tls"]["ocsp"]["age_s"] <= 600
    assert 86400 - 600 <= s.ep["tls"]["ocsp"]["expires_s"] <= 86400
    ids = finding_ids(s.ep)
    for fid in ("no-ocsp-stapling", "ocsp-not-good", "ocsp-stale"):
        assert fid not in ids
    assert s.rc == 0


def test_ocsp_revoked(scan, status_ref):
    s = scan("ocsp-revoked", quick=True)
    assert_ocsp_matches(s, status_ref("ocsp-revoked"), "successful", "revoked")
    f = finding(s.ep, "ocsp-not-good")
    assert f is not None and f["severity"] == "critical"
    assert f["detail"] == "the stapled OCSP response says: revoked"
    assert "revoked" in f["fix"].lower()
    assert finding(s.ep, "ocsp-stale") is None
    assert s.rc == 1


def test_ocsp_unknown(scan, status_ref):
    s = scan("ocsp-unknown", quick=True)
    assert_ocsp_matches(s, status_ref("ocsp-unknown"), "successful", "unknown")
    f = finding(s.ep, "ocsp-not-good")
    assert f is not None and f["severity"] == "medium"
    assert f["detail"] == "the stapled OCSP response says: unknown"


def test_ocsp_stale(cpki, ocsp, scan, status_ref):
    # the fixture: openssl verifies the response's signature, flags its times
    p = subprocess.run(["openssl", "ocsp", "-respin", str(ocsp["stale"]), "-CAfile",
                        str(cpki.root), "-issuer", str(cpki.inter), "-cert",
                        str(cpki.leaf("valid").cert), "-no_nonce"], capture_output=True, text=True)
    assert "Response verify OK" in p.stderr and "WARNING: Status times invalid" in p.stdout
    s = scan("ocsp-stale", quick=True)
    r = status_ref("ocsp-stale")
    assert_ocsp_matches(s, r, "successful", "good")
    o = s.ep["tls"]["ocsp"]
    assert o["expires_s"] < -86000 and o["age_s"] > 3 * 86400 - 600
    f = finding(s.ep, "ocsp-stale")
    assert f is not None and f["severity"] == "medium"
    assert f["detail"] == "the stapled response expired %d s ago (nextUpdate passed)" % (
        -o["expires_s"])
    assert finding(s.ep, "ocsp-not-good") is None


def test_ocsp_without_next_update(scan, status_ref):
    """No nextUpdate: expires_s is unknown (null) and the response is not stale."""
    s = scan("ocsp-no-next", quick=True)
    r = status_ref("ocsp-no-next")
    assert r["this_update"] is not None and r["next_update"] is None
    o = s.ep["tls"]["ocsp"]
    assert (o["stapled"], o["status"], o["cert_status"]) == (True, "successful", "good")
    assert o["expires_s"] is None
    lo = math.floor(s.t0 - r["this_update"].timestamp())
    assert lo <= o["age_s"] <= math.ceil(s.t1 - r["this_update"].timestamp())
    for fid in ("ocsp-stale", "ocsp-not-good", "no-ocsp-stapling"):
        assert finding(s.ep, fid) is None


def test_ocsp_not_successful(scan, status_ref):
    s = scan("ocsp-trylater", quick=True)
    r = status_ref("ocsp-trylater")
    assert (r["status"], r["cert_status"]) == ("trylater", None)
    assert_ocsp_matches(s, r, "trylater", None)
    f = finding(s.ep, "ocsp-stale")
    assert f is not None and f["severity"] == "medium"
    assert f["detail"] == "OCSP response status: trylater"
    assert finding(s.ep, "ocsp-not-good") is None


def test_ocsp_staple_about_another_certificate(cpki, ocsp, scan):
    """A good response for another serial says nothing about the leaf:
    `openssl ocsp` finds no status for it, so cert_status is not known."""
    p = subprocess.run(["openssl", "ocsp", "-respin", str(ocsp["other-cert"]), "-CAfile",
                        str(cpki.root), "-issuer", str(cpki.inter), "-cert",
                        str(cpki.leaf("valid").cert), "-no_nonce"], capture_output=True, text=True)
    assert "No Status found" in p.stdout + p.stderr, p.stdout + p.stderr
    o = scan("ocsp-other-cert", quick=True).ep["tls"]["ocsp"]
    assert (o["stapled"], o["status"]) == (True, "successful")
    assert o["cert_status"] is None, "the response holds no status for the leaf"


def test_no_ocsp_stapling_info(scan, status_ref):
    s = scan("valid", quick=True)
    assert status_ref("valid")["stapled"] is False
    assert s.ep["tls"]["ocsp"] == {"stapled": False, "status": None, "cert_status": None,
                                   "age_s": None, "expires_s": None}
    f = finding(s.ep, "no-ocsp-stapling")
    assert f is not None and f["severity"] == "info"
    assert f["title"] == "No OCSP response is stapled"


def test_no_ocsp_stapling_must_staple_is_high(scan):
    s = scan("muststaple", quick=True)
    assert s.ep["certificates"][0]["must_staple"] is True
    f = finding(s.ep, "no-ocsp-stapling")
    assert f is not None and f["severity"] == "high"
    assert "must-staple" in f["detail"]
    assert s.rc == 1


def test_must_staple_with_staple(scan, status_ref):
    s = scan("muststaple-stapled", quick=True)
    assert_ocsp_matches(s, status_ref("muststaple-stapled"), "successful", "good")
    assert finding(s.ep, "no-ocsp-stapling") is None
    assert s.rc == 0


# --------------------------------------------------------------------------
# 6. resumption and renegotiation


def test_resumption_default(cpki, scan, server, tmp_path):
    srv = server("valid")
    assert s_client_resumes(srv.hostport, cpki.root, tmp_path, ticket=False) == (False, True)
    assert s_client_resumes(srv.hostport, cpki.root, tmp_path, ticket=True) == (True, True)
    assert scan("valid").ep["resumption"] == {"session_id": True, "ticket": True}


def test_resumption_no_ticket(cpki, scan, server, tmp_path):
    srv = server("noticket")
    assert s_client_resumes(srv.hostport, cpki.root, tmp_path, ticket=True) == (False, True)
    assert scan("noticket").ep["resumption"] == {"session_id": True, "ticket": False}


def test_resumption_not_tested_with_quick(scan):
    ep = scan("valid", quick=True).ep
    assert ep["resumption"] == {"session_id": None, "ticket": None}
    assert ep["client_renegotiation"] is None


def test_secure_renegotiation(cpki, scan, server):
    srv = server("valid")
    _, out, _ = s_client_run(srv.hostport, cpki.root, extra=("-tls1_2",))
    assert "Secure Renegotiation IS supported" in out
    ep = scan("valid").ep
    assert ep["tls"]["version"] == "TLSv1.3"
    assert ep["tls"]["secure_renegotiation"] is True  # from the TLS 1.2 handshakes
    assert finding(ep, "no-secure-renegotiation") is None
    # a TLS 1.2 main handshake tells by itself
    ep = scan("tls12", quick=True).ep
    assert (ep["tls"]["version"], ep["tls"]["secure_renegotiation"]) == ("TLSv1.2", True)
    # a TLS 1.3 handshake alone says nothing
    ep = scan("valid", quick=True).ep
    assert ep["tls"]["secure_renegotiation"] is None
    assert finding(ep, "no-secure-renegotiation") is None


@pytest.fixture(scope="module")
def no_ri_server(cpki):
    v = cpki.leaf("valid")
    srv = NoRenegInfoServer(v.cert, v.key, [cpki.inter])
    yield srv
    srv.stop()


def test_no_secure_renegotiation(cpki, run_json, no_ri_server):
    srv = no_ri_server
    # OpenSSL 3 refuses such a server unless told otherwise...
    rc, out, err = s_client_run(srv.hostport, cpki.root)
    assert "unsafe legacy renegotiation disabled" in err, err
    # ...and with -legacy_server_connect sees no RFC 5746
    r = s_client_verify(srv.hostport, cpki.root, extra=("-legacy_server_connect",))
    assert r.code == 0
    assert "Secure Renegotiation IS NOT supported" in r.out
    before = srv.handshakes
    rc, doc, err = run_json("check", "--quick", "--implicit", "--ca-file", cpki.root, "--ip",
                            "127.0.0.1", "%s:%d" % (HOST, srv.port))
    ep = endpoint(doc)
    assert srv.handshakes == before + 1, srv.errors
    assert ep["tls"]["version"] == "TLSv1.2"
    assert ep["tls"]["cipher"] == "TLS_RSA_WITH_AES_128_CBC_SHA"
    assert ep["tls"]["verify"]["code"] == r.code == 0
    assert ep["tls"]["secure_renegotiation"] is False
    f = finding(ep, "no-secure-renegotiation")
    assert f is not None and f["severity"] == "medium"
    assert "renegotiation_info" in f["detail"]
    assert "CVE-2009-3555" in f["detail"]
    assert rc == 0, err  # medium


def test_client_renegotiation_refused(cpki, scan, server):
    assert s_client_renegotiates(server("valid").hostport, cpki.root) is False
    ep = scan("valid").ep
    assert ep["client_renegotiation"] is False
    assert finding(ep, "client-renegotiation-allowed") is None


def test_client_renegotiation_allowed(cpki, scan, server):
    assert s_client_renegotiates(server("reneg").hostport, cpki.root) is True
    s = scan("reneg")
    assert s.ep["client_renegotiation"] is True
    f = finding(s.ep, "client-renegotiation-allowed")
    assert f is not None and f["severity"] == "low"
    assert "NO_RENEGOTIATION" in f["fix"]
    assert s.rc == 0


def test_tls13_only_no_tls12_session_facts(scan):
    ep = scan("tls13").ep
    assert ep["tls"]["version"] == "TLSv1.3"
    assert ep["resumption"] == {"session_id": None, "ticket": None}
    assert ep["client_renegotiation"] is None
    assert ep["tls"]["secure_renegotiation"] is None
    ids = finding_ids(ep)
    assert "no-secure-renegotiation" not in ids and "client-renegotiation-allowed" not in ids


# --------------------------------------------------------------------------
# 7. the text report: the chain and the fixes


@pytest.fixture(scope="module")
def text(cpki, server, run_mailtls):
    cache = {}

    def get(name, *extra):
        key = (name, extra)
        if key not in cache:
            srv = server(name)
            cache[key] = run_mailtls("check", "--implicit", "--no-color", "--ca-file",
                                     ca_for(cpki, SERVERS[name][3]), "--ip", "127.0.0.1",
                                     *extra, "%s:%d" % (HOST, srv.port))
        return cache[key]

    return get


def test_text_shows_chain(cpki, text, scan):
    rc, out, err = text("valid")
    assert rc == 0 and err == ""
    t = flat(out)
    certs = scan("valid").ep["certificates"]
    leaf, inter = x509_facts(cpki.leaf("valid").cert), x509_facts(cpki.inter)
    assert "Certificate chain (as sent)" in t
    assert ("#0 %s issuer %s key RSA 2048, sha256WithRSAEncryption valid %s .. %s (%d days left) "
            "names DNS:localhost IP:127.0.0.1 SPKI sha256 %s"
            % (LEAF_DN, INTER_DN, leaf["not_before"], leaf["not_after"], certs[0]["days_left"],
               leaf["spki_sha256"])) in t
    assert ("#1 %s issuer CN=mailtls certs root,O=%s key RSA 2048, ecdsa-with-SHA256"
            % (INTER_DN, ORG)) in t
    assert "SPKI sha256 %s" % inter["spki_sha256"] in t
    assert "Verify 0 (ok), name checked: localhost" in t
    assert ("Session secure renegotiation yes; client renegotiation refused TLS 1.2 resumption: "
            "by session ID yes, by ticket yes") in t
    assert "-----BEGIN CERTIFICATE-----" not in out


def test_text_second_chain(text):
    t = flat(text("pair")[1])
    assert "#0 %s issuer %s key EC P-256" % (LEAF_DN, INTER_DN) in t
    assert "#0 rsa %s issuer %s key RSA 2048" % (LEAF_DN, INTER_DN) in t
    assert "#1 rsa %s" % INTER_DN in t


@pytest.mark.parametrize("name,fid,lines", [
    ("nochain", "cert-chain-incomplete", [
        "Verify 20 (unable to get local issuer certificate), name checked: localhost",
        '[high] The issuer of a certificate in the chain is missing or unknown '
        '(cert-chain-incomplete) OpenSSL verify error 20 at depth 0: unable to get local issuer '
        'certificate; the issuer "%s" of "%s" was neither sent by the server nor found among '
        'the trusted CAs' % (INTER_DN, LEAF_DN),
        "fix: Serve the intermediate certificate(s) with the leaf (the 'fullchain' file)"]),
    ("expired", "cert-expired", [
        "Verify 10 (certificate has expired)",
        "[high] A certificate in the chain has expired (cert-expired)",
        "fix: Renew the certificate and reload the server; automate renewal (e.g. certbot)"]),
    ("selfsigned", "cert-self-signed", [
        "Verify 18 (self-signed certificate)",
        "[high] The certificate is self-signed (cert-self-signed)",
        "fix: Other servers and clients will not trust it. Get a certificate from a public CA "
        "(Let's Encrypt is free and automatic), or publish DANE TLSA records for it."]),
    ("wrongname", "cert-hostname-mismatch", [
        "Verify 62 (hostname mismatch), name checked: localhost",
        "asked for localhost; the certificate names: DNS:wrong.example DNS:mx.wrong.example",
        "fix: Get a certificate whose subjectAltName includes the name clients connect to"]),
    ("soon10", "cert-expires-soon", [
        "[high] A certificate expires soon (cert-expires-soon)",
        "in 10 days fix: Renew it now and automate renewal (certbot, acme.sh, or your CA's "
        "tooling), with a reminder 15 days before expiry"]),
    ("rsa1024", "cert-weak-key", [
        "key RSA 1024, sha256WithRSAEncryption",
        '[high] A certificate key is too small (cert-weak-key) "%s" has a RSA key of 1024 bits '
        'fix: Issue a new certificate with an RSA key of 2048 bits or more' % LEAF_DN]),
    ("sha1", "cert-weak-signature", [
        "key RSA 2048, sha1WithRSAEncryption",
        "(cert-weak-signature)", "fix: Reissue the certificate"]),
    ("ocsp-revoked", "ocsp-not-good", [
        "OCSP staple yes, revoked",
        "[critical] The stapled OCSP response is not \"good\" (ocsp-not-good) the stapled OCSP "
        "response says: revoked fix: Replace a revoked certificate at once"]),
    ("muststaple", "no-ocsp-stapling", [
        "OCSP staple no",
        "[high] The certificate requires OCSP stapling, but none came (no-ocsp-stapling)"]),
    ("reneg", "client-renegotiation-allowed", [
        "client renegotiation accepted",
        "[low] Client-initiated renegotiation is accepted (client-renegotiation-allowed)",
        "fix: Disable client-initiated renegotiation"]),
])
def test_text_findings_and_fixes(text, name, fid, lines):
    rc, out, err = text(name)
    t = flat(out)
    for line in lines:
        assert line in t, "%r not in the report:\n%s" % (line, out)
    assert "(%s)" % fid in t


def test_text_no_fix_when_fine(text):
    t = flat(text("ocsp-good")[1])
    assert "OCSP staple yes, good" in t
    for fid in ("cert-chain-incomplete", "cert-expired", "cert-self-signed", "cert-expires-soon",
                "cert-weak-key", "cert-weak-signature", "no-ocsp-stapling", "ocsp-not-good"):
        assert "(%s)" % fid not in t
    assert "The certificate is trusted (cert-trusted)" in t


def pem_blocks(text):
    lines = [l.strip() for l in text.splitlines()]
    blocks, cur = [], None
    for l in lines:
        if l == "-----BEGIN CERTIFICATE-----":
            cur = [l]
        elif cur is not None:
            cur.append(l)
            if l == "-----END CERTIFICATE-----":
                blocks.append("\n".join(cur) + "\n")
                cur = None
    return blocks


@pytest.mark.parametrize("name", ["valid", "pair", "selfsigned"])
def test_show_certs_pem(cpki, text, scan, name):
    rc, out, err = text(name, "--show-certs")
    blocks = pem_blocks(out)
    certs = scan(name).ep["certificates"]
    assert len(blocks) == len(certs)
    for b, c in zip(blocks, certs):
        fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"],
                            input=b, capture_output=True, text=True, check=True).stdout
        assert fp.split("=", 1)[1].strip() == c["sha256"]
        assert b == c["pem"]
    # the first is the server's leaf, byte for byte as openssl writes it
    leaf = cpki.leaf(SERVERS[name][0])
    if name == "pair":
        leaf = cpki.leaf("ecdsa")
    assert blocks[0] == pem_of(leaf.cert)


# --------------------------------------------------------------------------
# 8. real Postfix (STARTTLS)

_why = postfix.available()
needs_postfix = pytest.mark.skipif(_why is not None, reason=_why or "")

# name -> (leaf, how the chain is configured, verify code)
POSTFIX = {
    "valid": ("valid", "chain_files", 0),   # smtpd_tls_chain_files: key, leaf, intermediate
    "nochain": ("valid", "cert", 20),       # smtpd_tls_cert_file: the leaf alone
    "selfsigned": ("selfsigned", "cert", 18),
    "expired": ("expired", "fullchain", 10),  # smtpd_tls_cert_file: leaf + intermediate
}


@pytest.fixture(scope="module")
def pf(cpki):
    """pf(name) -> a running Postfix for POSTFIX[name] (one per module)."""
    started = {}

    def get(name):
        if name not in started:
            leaf_name, how, _ = POSTFIX[name]
            leaf = cpki.leaf(leaf_name)
            if how == "chain_files":
                inst = Postfix("certs-" + name, main={"smtpd_tls_security_level": "may"})
                inst._layout()
                bundle = inst.etc / "chain.pem"
                bundle.write_text(leaf.key.read_text() + leaf.cert.read_text()
                                  + cpki.inter.read_text())
                bundle.chmod(0o600)
                inst.main_extra["smtpd_tls_chain_files"] = bundle
            else:
                cert = leaf.fullchain if how == "fullchain" else leaf.cert
                inst = Postfix("certs-" + name, cert, leaf.key)
            started[name] = inst
            inst.start()
        return started[name]

    yield get
    for inst in started.values():
        inst.stop()


@pytest.fixture(scope="module")
def pf_scan(cpki, pf, run_json):
    cache = {}

    def get(name, quick=True):
        key = (name, quick)
        if key not in cache:
            inst = pf(name)
            q = ("--quick",) if quick else ()
            t0 = time.time()
            rc, doc, err = run_json("check", *q, "--starttls", "smtp", "--ca-file", cpki.root,
                                    "--ip", "127.0.0.1", "%s:%d" % (HOST, inst.port))
            cache[key] = Scan(rc, doc, err, t0, time.time(), inst)
        return cache[key]

    return get


@needs_postfix
@pytest.mark.parametrize("name", POSTFIX)
def test_postfix_verify_matches_s_client(cpki, pf, pf_scan, name):
    leaf_name, how, want = POSTFIX[name]
    inst = pf(name)
    r = s_client_verify(inst.hostport, cpki.root, starttls="smtp")
    assert r.code == want, "fixture: s_client says %d (%s)" % (r.code, r.message)
    s = pf_scan(name)
    ep = s.ep
    assert ep["mode"] == "starttls" and ep["starttls"] == "smtp"
    assert ep["dialogue"]["starttls_code"] == 220
    v = ep["tls"]["verify"]
    assert (v["code"], v["message"]) == (r.code, r.message)
    assert [(e["depth"], e["code"]) for e in v["errors"]] == r.errors
    got = {f["id"] for f in ep["findings"]} & TRUST_FINDINGS
    assert got == trust_findings_for(r.errors)
    assert s.rc == (0 if want == 0 else 1), s.err
    # the chain as Postfix sends it
    files = [cpki.leaf(leaf_name).cert] + ([cpki.inter] if how in ("chain_files", "fullchain")
                                           else [])
    assert len(ep["certificates"]) == len(files)
    for i, (c, f) in enumerate(zip(ep["certificates"], files)):
        assert_cert(c, f, i, now=utc(s.t0))


@needs_postfix
def test_postfix_chain_incomplete_names_issuer(pf_scan):
    f = finding(pf_scan("nochain").ep, "cert-chain-incomplete")
    assert 'the issuer "%s" of "%s"' % (INTER_DN, LEAF_DN) in f["detail"]
    assert finding(pf_scan("valid").ep, "cert-chain-incomplete") is None


@needs_postfix
def test_postfix_self_signed_and_expired(pf_scan):
    assert finding(pf_scan("selfsigned").ep, "cert-self-signed")["severity"] == "high"
    assert finding(pf_scan("expired").ep, "cert-expired")["severity"] == "high"
    for fid in ("cert-self-signed", "cert-expired"):
        assert finding(pf_scan("valid").ep, fid) is None
    assert finding(pf_scan("expired").ep, "cert-self-signed") is None
    assert finding(pf_scan("selfsigned").ep, "cert-expired") is None


@needs_postfix
def test_postfix_session(cpki, pf, pf_scan, tmp_path):
    """Postfix: no OCSP stapling (it cannot), secure renegotiation, client
    renegotiation refused, tickets but no server-side session cache (the
    default smtpd_tls_session_cache_database is empty)."""
    inst = pf("valid")
    ep = pf_scan("valid", quick=False).ep
    assert ep["errors"] == []
    assert s_client_resumes(inst.hostport, cpki.root, tmp_path, ticket=False,
                            starttls="smtp") == (False, False)
    assert s_client_resumes(inst.hostport, cpki.root, tmp_path, ticket=True,
                            starttls="smtp") == (True, True)
    assert ep["resumption"] == {"session_id": False, "ticket": True}
    assert s_client_renegotiates(inst.hostport, cpki.root, starttls="smtp") is False
    assert ep["client_renegotiation"] is False
    assert finding(ep, "client-renegotiation-allowed") is None
    _, out, _ = s_client_run(inst.hostport, cpki.root, starttls="smtp", extra=("-tls1_2",))
    assert "Secure Renegotiation IS supported" in out
    assert ep["tls"]["secure_renegotiation"] is True
    assert finding(ep, "no-secure-renegotiation") is None
    assert s_client_status(inst.hostport, cpki.root, starttls="smtp")["stapled"] is False
    assert ep["tls"]["ocsp"]["stapled"] is False
    f = finding(ep, "no-ocsp-stapling")
    assert f is not None and f["severity"] == "info"
    assert "Postfix" in f["fix"]
    # the second-certificate probe found nothing more: one RSA chain
    assert [c["chain"] for c in ep["certificates"]] == ["default", "default"]


@needs_postfix
def test_postfix_text_report(cpki, pf, run_mailtls):
    inst = pf("nochain")
    rc, out, err = run_mailtls("check", "--quick", "--no-color", "--starttls", "smtp",
                               "--ca-file", cpki.root, "--ip", "127.0.0.1",
                               "%s:%d" % (HOST, inst.port))
    assert rc == 1
    t = flat(out)
    assert "STARTTLS smtp" in t
    assert "#0 %s issuer %s" % (LEAF_DN, INTER_DN) in t
    assert "#1 " not in t
    assert "fix: Serve the intermediate certificate(s) with the leaf (the 'fullchain' file)" in t
