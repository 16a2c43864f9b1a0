"""The vulnerability battery's checks that cost no connection
(src/checks/vulns.c, docs/vulns.md), end to end.

Positive cases on the scripted legacy servers of tests/fixtures/
fake_legacy_tls.py (SSLv2, SSLv3 with CBC, export suites, RC4/3DES/NULL,
anonymous suites, a 1024-bit DH group: no packaged server offers these any
more), negative cases on a real `openssl s_server`, and the same checks run
by testssl.sh (Debian's) on that s_server: its verdict must equal ours.

Every vulnerable entry links to the finding that says it (`finding`), and
the battery adds no connection for these checks (`connections` 0).
"""

import csv
import io
import sys

import pytest

from conftest import FIXTURES, endpoint
from test_enum_openssl import TESTSSL, run_testssl_json

sys.path.insert(0, str(FIXTURES))
import fake_legacy_tls as fake  # noqa: E402
import fake_vuln_tls  # noqa: E402

DERIVED = {"secure-renegotiation", "client-renegotiation", "crime", "poodle", "sweet32",
           "freak", "drown", "logjam", "beast", "lucky13", "rc4", "null-ciphers",
           "anonymous-ciphers", "export-ciphers", "obsolete-protocols", "forward-secrecy"}

# profile -> {check: (verdict, linked finding or None)} that must hold.
EXPECTED = {
    # SSLv2 only: RC4-MD5, DES-CBC3-MD5
    "sslv2": {"drown": ("vulnerable", "protocol-sslv2"),
              "obsolete-protocols": ("vulnerable", "protocol-sslv2"),
              "rc4": ("vulnerable", "cipher-rc4"),
              "sweet32": ("vulnerable", "cipher-3des"),
              "poodle": ("not-applicable", None),
              "forward-secrecy": ("vulnerable", "no-forward-secrecy")},
    # SSLv3 only: AES128-SHA, DES-CBC3-SHA, RC4-SHA
    "sslv3": {"poodle": ("vulnerable", "protocol-sslv3"),
              "beast": ("vulnerable", "beast"),
              "lucky13": ("vulnerable", "lucky13"),
              "sweet32": ("vulnerable", "cipher-3des"),
              "rc4": ("vulnerable", "cipher-rc4"),
              "drown": ("not-vulnerable", None),
              "obsolete-protocols": ("vulnerable", "protocol-sslv3")},
    # EXP-EDH-RSA-DES-CBC-SHA (512-bit DH), EXP-RC4-MD5, EXP-DES-CBC-SHA
    "export": {"freak": ("vulnerable", "cipher-export"),
               "logjam": ("vulnerable", "cipher-export"),
               "export-ciphers": ("vulnerable", "cipher-export"),
               "poodle": ("vulnerable", "protocol-sslv3")},
    # RC4, 3DES and NULL suites in TLS 1.0 - 1.2
    "weak": {"null-ciphers": ("vulnerable", "cipher-null"),
             "rc4": ("vulnerable", "cipher-rc4"),
             "sweet32": ("vulnerable", "cipher-3des"),
             "beast": ("vulnerable", "beast"),
             "poodle": ("not-applicable", None),
             "freak": ("not-vulnerable", None)},
    "anon": {"anonymous-ciphers": ("vulnerable", "cipher-anonymous"),
             "logjam": ("not-vulnerable", None),
             "beast": ("not-applicable", None)},
    "dhe1024": {"logjam": ("vulnerable", "dh-weak"),
                "forward-secrecy": ("not-vulnerable", None)},
}


def vulns(ep):
    return {v["id"]: v for v in ep["vulnerabilities"]}


@pytest.fixture(scope="module")
def fakes(pki):
    started = {}

    def get(name, starttls):
        key = (name, starttls)
        if key not in started:
            started[key] = fake.start(name, cert=pki.leaf("good").cert, starttls=starttls)
        return started[key]

    yield get
    for srv in started.values():
        srv.stop()


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_positive_on_legacy_fakes(fakes, run_json, pki, name, mode):
    srv = fakes(name, mode == "starttls")
    flag = ["--starttls", "smtp"] if mode == "starttls" else ["--implicit"]
    rc, doc, err = run_json("check", *flag, "--ca-file", pki.ca, srv.hostport, timeout=180)
    assert rc in (0, 1), err
    ep = endpoint(doc)
    got = vulns(ep)
    findings = {f["id"] for f in ep["findings"]}
    for check, (verdict, link) in EXPECTED[name].items():
        v = got[check]
        assert v["verdict"] == verdict, (check, v)
        assert v["finding"] == link, (check, v)
        assert v["connections"] == 0, (check, v)
        if link:
            assert link in findings, (check, link, sorted(findings))
    # Every derived check has a verdict; the vulnerable ones all link.
    for check in DERIVED:
        assert got[check]["verdict"] in ("vulnerable", "not-vulnerable", "not-applicable",
                                         "unknown"), check
    for v in got.values():
        if v["verdict"] == "vulnerable":
            assert v["finding"] in findings, v
    # A finding is never duplicated by the battery: POODLE is protocol-sslv3's.
    assert "poodle" not in findings and "sweet32" not in findings


def test_drown_names_the_key(fakes, modern, run_json, pki):
    # The SSLv2-only fake completes no verified handshake: no certificate
    # was read, the evidence says what is known.
    srv = fakes("sslv2", False)
    rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.ca, srv.hostport,
                            timeout=180)
    assert vulns(endpoint(doc))["drown"]["evidence"] == "SSLv2 is offered"
    # With a certificate, its key's SPKI hash, to look it up on other services.
    _, ep = modern
    spki = ep["certificates"][0]["spki_sha256"]
    assert spki and vulns(ep)["drown"]["evidence"] == (
        "SSLv2 is not offered; certificate key SPKI SHA-256 " + spki)


def test_crime_on_a_deflate_server(run_json, pki):
    """CRIME: a server that selects DEFLATE when the hello offers it (a real
    TLS 1.2 server for the verified handshake, the scripted answer to the
    enumeration's defaults hello, which offers DEFLATE then null)."""
    leaf = pki.leaf("good")
    with fake_vuln_tls.FakeVulnTls("deflate", leaf.cert, leaf.key) as srv:
        rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.ca, "--sni",
                                "localhost", srv.hostport, timeout=180)
        asked = [e for e in srv.log if e.get("kind") == "deflate"]
    assert rc in (0, 1), err
    ep = endpoint(doc)
    assert ep["server_defaults"]["compression"] == 1
    crime = vulns(ep)["crime"]
    assert crime["verdict"] == "vulnerable" and crime["finding"] == "crime", crime
    assert crime["connections"] == 0 and "chose compression method 1" in crime["evidence"]
    f = [f for f in ep["findings"] if f["id"] == "crime"][0]
    assert f["severity"] == "medium" and f["cve"] == ["CVE-2012-4929"]
    assert asked, "the fake never saw a hello offering DEFLATE"


@pytest.fixture(scope="module")
def modern(sserver, run_json, pki):
    srv = sserver("good")
    rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.ca, srv.hostport,
                            timeout=180)
    assert rc in (0, 1), err
    return srv, endpoint(doc)


def test_negative_on_s_server(modern):
    _, ep = modern
    got = vulns(ep)
    for check in ("secure-renegotiation", "client-renegotiation", "crime", "sweet32", "freak",
                  "drown", "rc4", "null-ciphers", "anonymous-ciphers", "export-ciphers",
                  "obsolete-protocols", "forward-secrecy"):
        assert got[check]["verdict"] == "not-vulnerable", got[check]
    for check in ("poodle", "beast"):
        assert got[check]["verdict"] == "not-applicable", got[check]
    # OpenSSL 3's default list still has CBC suites in TLS 1.2.
    assert got["lucky13"]["verdict"] == "vulnerable"
    assert got["lucky13"]["finding"] == "lucky13"
    assert got["client-renegotiation"]["connections"] == 1


def test_no_battery_with_quick_or_no_vulns(sserver, run_json, pki):
    srv = sserver("good")
    for flags in (["--quick"], ["--no-vulns"]):
        rc, doc, err = run_json("check", "--implicit", *flags, "--ca-file", pki.ca,
                                srv.hostport)
        assert endpoint(doc)["vulnerabilities"] is None, flags
    rc, doc, err = run_json("check", "--implicit", "--quick", "--vulns", "--ca-file", pki.ca,
                            srv.hostport)
    got = vulns(endpoint(doc))
    assert got["sweet32"]["verdict"] == "unknown" and "--quick" in got["sweet32"]["reason"]


def test_text_csv_html_sections(sserver, run_mailtls, pki):
    srv = sserver("good")
    base = ["check", "--implicit", "--ca-file", pki.ca, srv.hostport]
    rc, out, err = run_mailtls(*base, "--no-color")
    assert "\n Vulnerabilities\n" in out
    assert "  lucky13 " in out and "not-applicable" in out
    rc, out, err = run_mailtls(*base, "-o", "csv")
    rows = [r for r in csv.reader(io.StringIO(out)) if r[3] == "sweet32"]
    assert len(rows) == 1, rows
    assert rows[0][4] == "not-vulnerable" and rows[0][7] == "CVE-2016-2183 CVE-2016-6329"
    rc, out, err = run_mailtls(*base, "-o", "html")
    assert "<h2>Vulnerabilities</h2>" in out and "<code>poodle</code>" in out


# testssl.sh's ids for the same checks (Debian's 3.0: -O -W -F -J -A -L -4 -C -R).
TESTSSL_IDS = {"POODLE_SSL": "poodle", "SWEET32": "sweet32", "FREAK": "freak",
               "LOGJAM": "logjam", "BEAST": "beast", "LUCKY13": "lucky13", "RC4": "rc4",
               "CRIME_TLS": "crime", "secure_renego": "secure-renegotiation",
               "secure_client_renego": "client-renegotiation"}


def safe_or_vulnerable(severity):
    return "safe" if severity in ("OK", "INFO") else "vulnerable"


def test_same_verdicts_as_testssl(modern, tmp_path):
    if not TESTSSL:
        pytest.fail("testssl.sh is not installed (scripts/install-deps installs it)")
    srv, ep = modern
    theirs = {}
    for item in run_testssl_json(srv.hostport, ["-O", "-W", "-F", "-J", "-A", "-L", "-4", "-C",
                                                "-R"], tmp_path):
        if item["id"] in TESTSSL_IDS:
            theirs[TESTSSL_IDS[item["id"]]] = safe_or_vulnerable(item["severity"])
    assert set(theirs) == set(TESTSSL_IDS.values()), sorted(theirs)
    ours = vulns(ep)
    for check, verdict in theirs.items():
        mine = "vulnerable" if ours[check]["verdict"] == "vulnerable" else "safe"
        # not-applicable (no SSLv3, no TLS 1.0, no DHE) is testssl.sh's "OK".
        assert mine == verdict, (check, ours[check], verdict)
