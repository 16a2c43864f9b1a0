"""The grade (docs/grading.md) on real servers: one `openssl s_server` (or
fake) profile per rule, scanned in full, and `endpoints[].grade` checked.

Each case states its expected letter, score and caps, worked out by hand
from docs/grading.md (the comment above it shows the arithmetic), and the
facts the arithmetic rests on (protocols, suite sizes, key, DH) are asserted
too, so a wrong expectation and a wrong grade are told apart. On top, every
scan is graded again here by an independent implementation of the document
(`doc_grade`), which must agree with mailtls on the letter, the score and
the caps.

Rules that no server here can show are tested in tests/unit/checks/
test_grade.c: the port-25 exception (STARTTLS on 25 needs root), RC4 and
3DES (the local OpenSSL has neither), SSLv2/SSLv3 with a completed handshake
(the SSLv3 fake cannot finish one, so it is not graded at all; below).

docs/grading.md does not say how a fractional score (a protocol mix with
TLS 1.0 or 1.1 makes halves) is rounded; mailtls rounds down, and
`doc_grade` takes the floor.
"""

import math
import sys

import pytest

from conftest import FIXTURES, Leaf, _stop, endpoint, finding_ids, openssl, start_s_server, local

sys.path.insert(0, str(FIXTURES))
import fake_legacy_tls  # noqa: E402
import fake_smtp  # noqa: E402

# The cap sentences (grade.caps), in docs/grading.md's order.
CAP_SSL = "SSLv2 or SSLv3 is offered: F"
CAP_CRIT = "a critical finding: F"
CAP_NO12 = "neither TLS 1.2 nor TLS 1.3: at most C"
CAP_OLD = "TLS 1.0 or 1.1 is offered: at most B"
CAP_NOFS = "no forward secrecy: at most B"
CAP_WEAK = "weak DH, RC4 or 3DES: at most B"
CAP_TRUST = "the certificate does not verify where clients check it: F"

TRUSTED = "trusted: the certificate verifies for localhost"
UNTRUSTED = "not trusted, and clients of this port verify the name: it fails"

SEVERITIES = ["ok", "info", "low", "medium", "high", "critical"]

# ------------------------------------------------------------------ the document, in Python

PROTO_SCORE = {"SSLv2": 0, "SSLv3": 80, "TLSv1.0": 90, "TLSv1.1": 95, "TLSv1.2": 100,
               "TLSv1.3": 100}
FS_KX = {"ECDH", "DH", "any"}  # ECDHE, DHE (anonymous too), TLS 1.3; not static "DH/RSA"


def kx_band(bits):
    return 20 if bits < 512 else 40 if bits < 1024 else 80 if bits < 2048 else \
        90 if bits < 4096 else 100


def cipher_band(bits):
    return 0 if bits == 0 else 20 if bits < 128 else 80 if bits < 256 else 100


def letter_of(score):
    return "A" if score >= 80 else "B" if score >= 65 else "C" if score >= 50 else \
        "D" if score >= 35 else "E" if score >= 20 else "F"


def doc_grade(ep):
    """(letter, score, caps) for an endpoint of the JSON report, by the doc."""
    offered = {p["name"] for p in ep["protocols"] if p["offered"]}
    ps = [PROTO_SCORE[p] for p in offered]
    proto = (max(ps) + min(ps)) / 2
    leaf = next(c for c in ep["certificates"] if c["depth"] == 0)
    if leaf["key_type"] == "EC":
        key = 7680 if leaf["key_bits"] >= 384 else 3072
    else:
        assert leaf["key_type"] in ("RSA", "DSA"), leaf["key_type"]
        key = leaf["key_bits"]
    if ep["dh"]:
        key = min(key, ep["dh"]["bits"])
    kx = kx_band(key)
    bits = [c["bits"] for c in ep["ciphers"]]
    ciph = (cipher_band(max(bits)) + cipher_band(min(bits))) / 2
    score = math.floor(0.3 * proto + 0.3 * kx + 0.4 * ciph + 1e-9)
    sev = {f["severity"] for f in ep["findings"]}
    fs = [c["kx"] in FS_KX for c in ep["ciphers"]]
    caps = []
    if offered & {"SSLv2", "SSLv3"}:
        caps.append(CAP_SSL)
    if "critical" in sev:
        caps.append(CAP_CRIT)
    if not offered & {"TLSv1.2", "TLSv1.3"}:
        caps.append(CAP_NO12)
    if offered & {"TLSv1.0", "TLSv1.1"}:
        caps.append(CAP_OLD)
    if not any(fs):
        caps.append(CAP_NOFS)
    if "dh-weak" in finding_ids(ep) or any(c["enc"] in ("RC4", "3DES") for c in ep["ciphers"]):
        caps.append(CAP_WEAK)
    port25 = ep["mode"] == "starttls" and ep["starttls"] == "smtp" and ep["port"] == 25
    if ep["tls"]["verify"]["errors"] and not port25:
        caps.append(CAP_TRUST)
    letter = max([letter_of(score)] + [c[-1] for c in caps])
    if (letter == "A" and not caps and "TLSv1.3" in offered and all(fs)
            and not offered & {"TLSv1.0", "TLSv1.1"}
            and max(SEVERITIES.index(s) for s in sev) <= SEVERITIES.index("info")):
        letter = "A+"
    return letter, score, caps


# ------------------------------------------------------------------ servers and scans


@pytest.fixture(scope="module")
def certs(pki):
    """Leaves made for this module: RSA 1024 and EC P-384 from the test CA, and
    an RSA 2048 leaf signed with MD5 by an RSA CA of its own."""
    d = pki.dir / "grade"
    d.mkdir(exist_ok=True)
    ext = d / "ext.cnf"
    ext.write_text("basicConstraints = critical, CA:FALSE\nextendedKeyUsage = serverAuth\n"
                   "subjectAltName = DNS:localhost, IP:127.0.0.1\n")

    def sign(name, key_args, ca_cert, ca_key, md="sha256"):
        key = d / (name + ".key")
        openssl("genpkey", *key_args, "-out", key)
        openssl("req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", d / (name + ".csr"))
        openssl("x509", "-req", "-in", d / (name + ".csr"), "-CA", ca_cert, "-CAkey", ca_key,
                "-CAcreateserial", "-days", "365", "-" + md, "-extfile", ext,
                "-out", d / (name + ".pem"))
        return Leaf(d / (name + ".pem"), key)

    out = {
        "rsa1024": sign("rsa1024", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
                        pki.ca, pki.dir / "ca.key"),
        "ec384": sign("ec384", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
                      pki.ca, pki.dir / "ca.key"),
    }
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d / "md5-ca.key",
            "-out", d / "md5-ca.pem", "-subj", "/CN=mailtls md5 CA", "-days", "60",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    out["md5"] = sign("md5", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                      d / "md5-ca.pem", d / "md5-ca.key", md="md5")
    out["md5-ca"] = d / "md5-ca.pem"
    # DH groups for -dhparam: RFC 3526 1536-bit MODP and RFC 5114 1024-bit
    openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:modp_1536",
            "-out", d / "dh1536.pem")
    openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "dh_rfc5114:1",
            "-out", d / "dh1024.pem")
    out["dh1536"] = d / "dh1536.pem"
    out["dh1024"] = d / "dh1024.pem"
    return out


@pytest.fixture(scope="module")
def scan(pki, certs, run_json, tmp_path_factory):
    """scan(leaf, *s_server_args, ca=None) -> (rc, endpoint): one s_server, one full scan."""
    workdir = tmp_path_factory.mktemp("grade")
    servers = []

    def run(leaf, *extra, ca=None):
        leaf = pki.leaf(leaf) if isinstance(leaf, str) and leaf in pki.leaves else \
            certs[leaf] if isinstance(leaf, str) else leaf
        srv = start_s_server(workdir, leaf, extra=[str(e) for e in extra])
        servers.append(srv)
        try:
            rc, doc, err = run_json("check", "--implicit", "--ca-file", ca or pki.ca,
                                    *local(srv.port), timeout=120)
        finally:
            _stop(srv.proc)
        ep = endpoint(doc)
        assert ep["tls"] is not None and not ep["errors"], err
        return rc, ep

    yield run
    for srv in servers:
        _stop(srv.proc)


def offered(ep):
    return sorted(p["name"] for p in ep["protocols"] if p["offered"])


def suite_bits(ep):
    return sorted({c["bits"] for c in ep["ciphers"]})


def check(ep, letter, score, caps, authentication=TRUSTED):
    g = ep["grade"]
    assert g is not None, "not graded"
    assert (g["letter"], g["score"], g["caps"]) == (letter, score, caps)
    assert g["authentication"] == authentication
    # and the document, implemented independently, says the same
    assert doc_grade(ep) == (letter, score, caps)


# ------------------------------------------------------------------ no cap: A+, A


def test_a_plus_forward_secret_tls13(scan):
    """ECDHE suites only plus TLS 1.3: protocol 100; kx RSA 2048 -> 90 (no
    DHE suite, no DH); cipher 128..256 -> (80 + 100) / 2 = 90;
    30 + 27 + 36 = 93, A, no cap, every A+ condition: A+."""
    rc, ep = scan("good", "-cipher", "ECDHE+AESGCM")
    assert offered(ep) == ["TLSv1.2", "TLSv1.3"]
    assert suite_bits(ep) == [128, 256] and ep["dh"] is None
    assert all(c["kx"] in ("ECDH", "any") for c in ep["ciphers"])
    check(ep, "A+", 93, [])
    assert rc == 0


def test_a_plus_100_with_ec_p384(scan):
    """EC P-384 (7680 -> kx 100), 256-bit suites only (cipher 100), TLS 1.2
    and 1.3: 30 + 30 + 40 = 100, A+."""
    rc, ep = scan("ec384", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384",
                  "-ciphersuites", "TLS_AES_256_GCM_SHA384")
    assert offered(ep) == ["TLSv1.2", "TLSv1.3"]
    assert suite_bits(ep) == [256]
    assert (ep["certificates"][0]["key_type"], ep["certificates"][0]["key_bits"]) == ("EC", 384)
    check(ep, "A+", 100, [])
    assert rc == 0


def test_a_default_server_has_static_rsa(scan):
    """s_server's defaults: TLS 1.2 and 1.3, static RSA suites next to
    ECDHE/DHE ones, DHE with a 2048-bit group. kx min(RSA 2048, DH 2048)
    -> 90; cipher 90; 93 -> A. Not A+: not every suite has forward secrecy."""
    rc, ep = scan("good")
    assert offered(ep) == ["TLSv1.2", "TLSv1.3"]
    assert suite_bits(ep) == [128, 256]
    assert ep["dh"]["bits"] == 2048
    assert "some-without-forward-secrecy" in finding_ids(ep)
    check(ep, "A", 93, [])
    assert rc == 0


def test_tls12_only_is_not_capped(scan):
    """TLS 1.2 alone: no cap applies (A or B by the score alone): 93, A.
    Not A+: no TLS 1.3."""
    rc, ep = scan("good", "-tls1_2")
    assert offered(ep) == ["TLSv1.2"]
    assert "protocol-no-tls13" in finding_ids(ep)
    check(ep, "A", 93, [])
    assert rc == 0


def test_rsa_1024_key_lowers_key_exchange(scan):
    """RSA 1024 leaf, ECDHE suites only: kx 1024 -> 80: 30 + 24 + 36 = 90,
    A by score and no cap (a weak key is not one); cert-weak-key (high)
    rules out A+ and makes the exit code 1."""
    rc, ep = scan("rsa1024", "-cipher", "ECDHE+AESGCM:@SECLEVEL=0")
    assert (ep["certificates"][0]["key_type"], ep["certificates"][0]["key_bits"]) == ("RSA", 1024)
    assert ep["dh"] is None
    assert "cert-weak-key" in finding_ids(ep)
    check(ep, "A", 90, [])
    assert rc == 1


# ------------------------------------------------------------------ caps


def test_tls10_offered_caps_b(scan):
    """TLS 1.0 to 1.3: protocol (90 + 100) / 2 = 95; kx 90; cipher 90:
    28.5 + 27 + 36 = 91.5 -> 91, A by score, capped to B."""
    rc, ep = scan("good", "-cipher", "ECDHE+AESGCM:ECDHE-RSA-AES128-SHA:@SECLEVEL=0",
                  "-min_protocol", "TLSv1")
    if "TLSv1.0" not in offered(ep):
        pytest.skip("the local OpenSSL does not serve TLS 1.0 even at SECLEVEL=0")
    assert offered(ep) == ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert suite_bits(ep) == [128, 256]
    check(ep, "B", 91, [CAP_OLD])
    assert rc == 0  # protocol-tls10-tls11 is low


def test_tls10_only_caps_c(scan):
    """TLS 1.0 alone: protocol 90; kx 90; one 128-bit suite, cipher 80:
    27 + 27 + 32 = 86, A by score; no TLS 1.2/1.3 -> C, and TLS 1.0 -> B:
    the worst, C."""
    rc, ep = scan("good", "-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0")
    if "TLSv1.0" not in offered(ep):
        pytest.skip("the local OpenSSL does not serve TLS 1.0 even at SECLEVEL=0")
    assert offered(ep) == ["TLSv1.0"]
    assert suite_bits(ep) == [128]
    check(ep, "C", 86, [CAP_NO12, CAP_OLD])
    assert rc == 1  # protocol-no-tls12 is high


def test_no_forward_secrecy_caps_b(scan):
    """Static RSA suites only, TLS 1.2: 30 + 27 + 36 = 93, capped to B."""
    rc, ep = scan("good", "-no_tls1_3", "-cipher", "AES128-GCM-SHA256:AES256-GCM-SHA384")
    assert offered(ep) == ["TLSv1.2"]
    assert {c["kx"] for c in ep["ciphers"]} == {"RSA"}
    assert "no-forward-secrecy" in finding_ids(ep)
    check(ep, "B", 93, [CAP_NOFS])
    assert rc == 0  # no-forward-secrecy is medium


@pytest.mark.parametrize("group,bits,severity", [("dh1536", 1536, "medium"),
                                                 ("dh1024", 1024, "high")])
def test_weak_dh_caps_b(scan, certs, group, bits, severity):
    """DHE with a group below 2048 bits (dh-weak): kx min(2048, DH) -> 80;
    cipher 90: 30 + 24 + 36 = 90, A by score, capped to B."""
    rc, ep = scan("good", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
                  "-dhparam", certs[group])
    assert ep["dh"]["bits"] == bits
    assert [f["severity"] for f in ep["findings"] if f["id"] == "dh-weak"] == [severity]
    check(ep, "B", 90, [CAP_WEAK])
    assert rc == (1 if severity == "high" else 0)


def test_null_suite_is_critical_f(scan):
    """A NULL suite next to ECDHE ones: cipher (0 + 100) / 2 = 50:
    30 + 27 + 20 = 77; cipher-null is critical: F."""
    rc, ep = scan("good", "-cipher", "ECDHE+AESGCM:NULL-SHA256:@SECLEVEL=0")
    assert suite_bits(ep) == [0, 128, 256]
    assert [f["severity"] for f in ep["findings"] if f["id"] == "cipher-null"] == ["critical"]
    check(ep, "F", 77, [CAP_CRIT])
    assert rc == 1


def test_md5_signature_is_critical_f(scan, certs):
    """A leaf signed with MD5 (trusted through its own CA): the score is a
    good 93, but cert-weak-signature is critical: F."""
    rc, ep = scan("md5", "-cipher", "ECDHE+AESGCM:@SECLEVEL=0", ca=certs["md5-ca"])
    assert ep["certificates"][0]["sig_alg"] == "md5WithRSAEncryption"
    assert ep["tls"]["verify"]["code"] == 0
    assert [f["severity"] for f in ep["findings"]
            if f["id"] == "cert-weak-signature"] == ["critical"]
    check(ep, "F", 93, [CAP_CRIT])
    assert rc == 1


def test_self_signed_on_an_implicit_port_is_f(scan):
    """A self-signed certificate where clients verify the name (implicit
    TLS, not port 25): 93 by score, F, with the authentication verdict."""
    rc, ep = scan("selfsigned")
    assert ep["tls"]["verify"]["code"] == 18
    assert "cert-self-signed" in finding_ids(ep)
    check(ep, "F", 93, [CAP_TRUST], authentication=UNTRUSTED)
    assert ep["grade"]["authentication"].startswith("not trusted")
    assert rc == 1


def test_untrusted_starttls_smtp_off_port_25_is_f(pki, run_json):
    """STARTTLS SMTP on a port other than 25 (submission-like): clients
    verify, so an untrusted certificate caps to F. The fake's certificate
    is the test PKI's self-signed leaf."""
    leaf = pki.leaf("selfsigned")
    with fake_smtp.FakeSmtp("normal", leaf.cert, leaf.key) as srv:
        rc, doc, err = run_json("check", "--starttls", "smtp", "--ca-file", pki.ca,
                                *local(srv.port), timeout=120)
    ep = endpoint(doc)
    assert ep["port"] != 25 and ep["mode"] == "starttls"
    assert ep["tls"]["verify"]["code"] == 18
    letter, score, caps = doc_grade(ep)
    assert (letter, caps) == ("F", [CAP_TRUST])
    check(ep, "F", score, [CAP_TRUST], authentication=UNTRUSTED)
    assert rc == 1


# ------------------------------------------------------------------ not graded


def test_quick_is_not_graded(pki, sserver, run_json):
    """docs/grading.md: no grade with --quick (nothing enumerated)."""
    rc, doc, _ = run_json("check", "--implicit", "--quick", "--ca-file", pki.ca,
                          *local(sserver("good").port))
    assert endpoint(doc)["grade"] is None
    assert rc == 0


def test_sslv3_only_fake_is_graded_f(pki, run_json):
    """An SSLv3-only server (the scripted fake; OpenSSL 3 cannot do SSLv3):
    the verified handshake fails, the raw engine still finds SSLv3, and
    docs/grading.md grades it: F, capped for SSLv3, with authentication
    unknown (no verified handshake). It was scanned, so the exit code is the
    findings' (protocol-sslv3 is high), not "could not scan"."""
    with fake_legacy_tls.FakeLegacyTls("sslv3", cert=pki.leaf("good").cert) as srv:
        rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.ca,
                                "127.0.0.1:%d" % srv.port, timeout=120)
    ep = endpoint(doc)
    assert ep["tls"] is None
    assert [e["stage"] for e in ep["errors"]][:1] == ["tls"]
    assert ep["grade"]["letter"] == "F"
    assert "SSLv2 or SSLv3 is offered: F" in ep["grade"]["caps"]
    assert ep["grade"]["authentication"].startswith("unknown")
    assert rc == 1, err


def test_doc_grade_agrees_with_unit_examples():
    """The Python rendering of the document, on the arithmetic the doc's
    own table gives: a sanity check of doc_grade itself."""
    ep = {"protocols": [{"name": "TLSv1.2", "offered": True}, {"name": "TLSv1.3", "offered": True}],
          "certificates": [{"depth": 0, "key_type": "EC", "key_bits": 256}], "dh": None,
          "ciphers": [{"bits": 256, "kx": "any", "enc": "AESGCM"},
                      {"bits": 128, "kx": "ECDH", "enc": "AESGCM"}],
          "findings": [{"id": "cert-trusted", "severity": "ok"}], "mode": "implicit",
          "starttls": None, "port": 465, "tls": {"verify": {"errors": []}}}
    assert doc_grade(ep) == ("A+", 93, [])
    ep["protocols"].append({"name": "SSLv3", "offered": True})
    assert doc_grade(ep) == ("F", 90, [CAP_SSL])  # (80 + 100) / 2 = 90: 27 + 27 + 36
