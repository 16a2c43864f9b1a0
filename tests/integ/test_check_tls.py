"""`mailtls check --implicit` against openssl s_server, cross-checked with s_client.

openssl s_client is the reference: mailtls must report the same first verify
error (and the same list of errors), the same protocol version, cipher suite
and key exchange group as s_client sees on the same server."""

import json
import re
import socket

import pytest

from conftest import endpoint, finding_ids, ipv6_loopback_usable, x509_info

# verify error code -> finding id (the contract's mapping)
CODE_FINDING = {18: "cert-self-signed", 19: "cert-untrusted-root", 20: "cert-chain-incomplete",
                21: "cert-chain-incomplete", 10: "cert-expired", 9: "cert-not-yet-valid",
                62: "cert-hostname-mismatch", 64: "cert-hostname-mismatch"}
CERT_FINDINGS = {"cert-trusted", "cert-untrusted"} | set(CODE_FINDING.values())


def finding_for(code):
    return "cert-trusted" if code == 0 else CODE_FINDING.get(code, "cert-untrusted")


# name -> (leaf, server sends the CA too, CA file given to the client, expected
#          first verify code, expected exit code)
SCENARIOS = {
    "good": ("good", False, "ca", 0, 0),
    "wrong-name": ("wrongname", False, "ca", 62, 1),
    "self-signed": ("selfsigned", False, "ca", 18, 1),
    "chain-incomplete": ("good", False, "other_ca", 20, 1),
    "untrusted-root": ("good", True, "other_ca", 19, 1),
    "expired": ("expired", False, "ca", 10, 1),
    "not-yet-valid": ("notyet", False, "ca", 9, 1),
}

# How the target is named: by host name with the address pinned, or by
# address with the name given as SNI. Both must verify "localhost".
FORMS = {
    "name": lambda port: (["--ip", "127.0.0.1"], "localhost:%d" % port, "localhost"),
    "ip+sni": lambda port: (["--sni", "localhost"], "127.0.0.1:%d" % port, "127.0.0.1"),
}


def ca_file(pki, which):
    return getattr(pki, which)


@pytest.fixture(scope="module")
def scan(pki, sserver, run_json, s_client_ref):
    """scan(scenario, form) -> (rc, doc, stderr, server, s_client reference), cached."""
    cache = {}

    def get(scenario, form="name"):
        if (scenario, form) not in cache:
            leaf, chain, ca, _, _ = SCENARIOS[scenario]
            srv = sserver(leaf, chain=chain)
            opts, target, _ = FORMS[form](srv.port)
            rc, doc, err = run_json("check", "--quick", "--implicit", "--ca-file", ca_file(pki, ca),
                                    *opts, target)
            ref = s_client_ref(srv, ca_file(pki, ca))
            cache[(scenario, form)] = (rc, doc, err, srv, ref)
        return cache[(scenario, form)]

    return get


def assert_negotiated(ep, ref, cipher_table):
    """version, cipher, code point and group equal what s_client negotiated."""
    tls = ep["tls"]
    assert tls is not None, "no handshake recorded: %r" % ep["errors"]
    assert tls["version"] == ref.protocol
    assert tls["cipher_openssl"] == ref.cipher
    row = cipher_table[ref.cipher]
    assert tls["cipher"] == row["iana"]
    assert tls["cipher_code"] == row["code"]
    if ref.temp_key == "X25519":
        assert tls["group"] == "X25519"
    assert 0 < tls["handshake_ms"] <= ep["stats"]["duration_ms"] + 1.0
    # This slice lists the negotiated values; later slices may add more.
    offered = {p["name"] for p in ep["protocols"] if p["offered"] is True}
    assert ref.protocol in offered
    match = [c for c in ep["ciphers"] if c["code"] == row["code"]]
    assert match, "negotiated suite %s missing from ciphers[]" % row["code"]
    c = match[0]
    assert (c["protocol"], c["iana"], c["openssl"], c["bits"]) == (
        ref.protocol, row["iana"], ref.cipher, row["bits"])
    assert tls["group"] in ep["groups"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_verify_matches_s_client(scan, scenario, form):
    rc, doc, err, srv, ref = scan(scenario, form)
    _, _, _, want_code, want_rc = SCENARIOS[scenario]
    assert ref.code == want_code, "fixture broken: s_client says %d" % ref.code

    assert rc == want_rc, "rc %d, stderr: %s" % (rc, err)
    assert doc["errors"] == []
    ep = endpoint(doc)
    _, _, host = FORMS[form](srv.port)
    assert (ep["host"], ep["port"], ep["address"]) == (host, srv.port, "127.0.0.1")
    assert ep["mode"] == "implicit" and ep["starttls"] is None
    assert ep["sni"] == "localhost"
    assert ep["errors"] == [], "a finding is not an error"
    assert ep["stats"]["connections"] == 1

    v = ep["tls"]["verify"]
    assert v["hostname_checked"] is True
    assert v["code"] == ref.code
    assert v["message"] == ref.message
    # every verify error, in the order OpenSSL reported them
    assert [(e["depth"], e["code"]) for e in v["errors"]] == [(d, c) for d, c, _ in ref.errors]
    if ref.errors:
        assert v["errors"][0]["message"] == ref.errors[0][2]

    want = {finding_for(c) for _, c, _ in ref.errors} or {"cert-trusted"}
    got = {f["id"]: f for f in ep["findings"] if f["id"] in CERT_FINDINGS}
    assert set(got) == want
    for fid, f in got.items():
        assert f["severity"] == ("ok" if fid == "cert-trusted" else "high"), f
        assert f["title"]


@pytest.mark.parametrize("form", FORMS)
def test_negotiation_matches_s_client(scan, cipher_table, form):
    _, doc, _, _, ref = scan("good", form)
    assert ref.protocol == "TLSv1.3"
    assert_negotiated(endpoint(doc), ref, cipher_table)


@pytest.mark.parametrize("scenario", ["wrong-name", "self-signed"])
def test_failed_verification_still_reports_handshake(scan, cipher_table, scenario):
    _, doc, _, _, ref = scan(scenario)
    assert_negotiated(endpoint(doc), ref, cipher_table)


def test_tls12_only_server(pki, sserver, run_json, s_client_ref, cipher_table):
    srv = sserver("good", extra=("-tls1_2",))
    ref = s_client_ref(srv, pki.ca)
    assert ref.protocol == "TLSv1.2" and ref.cipher.startswith("ECDHE-")
    rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.ca, "--ip", "127.0.0.1",
                            "localhost:%d" % srv.port)
    assert rc == 0, err
    ep = endpoint(doc)
    assert_negotiated(ep, ref, cipher_table)
    assert ep["tls"]["version"] == "TLSv1.2"
    assert ep["tls"]["cipher_openssl"].startswith("ECDHE-")
    suite = [c for c in ep["ciphers"] if c["code"] == ep["tls"]["cipher_code"]][0]
    assert "ECDH" in suite["kx"].upper()
    assert not any(p["name"] == "TLSv1.3" and p["offered"] is True for p in ep["protocols"])


@pytest.mark.parametrize("scenario", ["good", "wrong-name", "self-signed", "expired",
                                      "untrusted-root"])
def test_certificate_fields(scan, pki, scenario):
    _, doc, _, _, _ = scan(scenario)
    leaf_name, chain, _, _, _ = SCENARIOS[scenario]
    leaf = pki.leaf(leaf_name).info
    certs = endpoint(doc)["certificates"]
    assert [c["depth"] for c in certs] == list(range(len(certs)))
    c0 = certs[0]
    assert c0["sha256"] == leaf["sha256"]
    assert c0["serial"].replace(":", "").upper().lstrip("0") == leaf["serial"].lstrip("0")
    assert (c0["not_before"], c0["not_after"]) == (leaf["not_before"], leaf["not_after"])
    assert c0["key"] == "RSA 2048"
    cn = leaf["subject"].split("CN=", 1)[1]
    assert cn in c0["subject"]
    assert leaf["issuer"].split("CN=", 1)[1] in c0["issuer"]
    assert "DNS:%s" % cn in c0["san"]
    assert ("rsa" if leaf_name == "selfsigned" else "ecdsa") in c0["sig_alg"].lower()
    if chain:
        ca = x509_info(pki.ca)
        assert len(certs) >= 2 and certs[1]["sha256"] == ca["sha256"]
        assert certs[1]["subject"] == c0["issuer"]


@pytest.mark.parametrize("scenario", ["good", "wrong-name", "self-signed"])
def test_text_report(pki, run_mailtls, scan, cipher_table, scenario):
    _, doc, _, srv, ref = scan(scenario)
    _, _, ca, _, want_rc = SCENARIOS[scenario]
    rc, out, err = run_mailtls("check", "--implicit", "--ca-file", ca_file(pki, ca),
                               "--ip", "127.0.0.1", "localhost:%d" % srv.port)
    assert rc == want_rc
    assert err == "", "no stderr output without -v and without an error"
    assert '"schema"' not in out, "text mode must not print JSON"
    assert ref.protocol in out
    assert ref.cipher in out or cipher_table[ref.cipher]["iana"] in out
    if ref.code == 0:
        assert re.search(r"\b(ok|trusted|verified)\b", out, re.I), out
    else:
        assert ref.message.lower() in out.lower(), out


@pytest.mark.parametrize("scenario,fail_on,want_rc", [
    ("wrong-name", "critical", 0),
    ("wrong-name", "high", 1),
    ("wrong-name", "medium", 1),
    ("good", "low", 0),
    ("good", "info", 1),  # info findings remain: no OCSP staple from s_server
    ("good", "high", 0),
])
def test_fail_on(pki, sserver, run_json, scenario, fail_on, want_rc):
    leaf, chain, ca, code, _ = SCENARIOS[scenario]
    srv = sserver(leaf, chain=chain)
    rc, doc, err = run_json("check", "--quick", "--implicit", "--ca-file", ca_file(pki, ca),
                            "--ip", "127.0.0.1", "--fail-on", fail_on, "localhost:%d" % srv.port)
    assert rc == want_rc, (err, [(f["id"], f["severity"]) for f in endpoint(doc)["findings"]])
    # --fail-on changes the exit code, never the findings
    assert endpoint(doc)["tls"]["verify"]["code"] == code
    assert finding_for(code) in finding_ids(endpoint(doc))


@pytest.mark.parametrize("leaf,want_code,want_finding,want_rc", [
    ("good", 0, "cert-trusted", 0),
    ("wrongname", 64, "cert-hostname-mismatch", 1),  # no IP SAN: "IP address mismatch"
])
def test_ip_literal_checks_ip_san(pki, sserver, run_json, s_client_ref, leaf, want_code,
                                  want_finding, want_rc):
    srv = sserver(leaf)
    ref = s_client_ref(srv, pki.ca, name=None, verify_ip="127.0.0.1", sni=False)
    assert ref.code == want_code
    rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.ca, "127.0.0.1:%d" % srv.port)
    assert rc == want_rc, err
    ep = endpoint(doc)
    assert ep["sni"] is None, "no SNI for an IP literal"
    v = ep["tls"]["verify"]
    assert (v["code"], v["message"], v["hostname_checked"]) == (ref.code, ref.message, True)
    ids = set(finding_ids(ep)) & CERT_FINDINGS
    assert ids == {want_finding}


def test_ca_path(pki, sserver, run_json):
    srv = sserver("good")
    rc, doc, err = run_json("check", "--implicit", "--ca-path", pki.ca_dir, "--ip", "127.0.0.1",
                            "localhost:%d" % srv.port)
    assert rc == 0, err
    assert endpoint(doc)["tls"]["verify"]["code"] == 0
    # and without the CA the same server is not trusted
    rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.other_ca, "--ip",
                            "127.0.0.1", "localhost:%d" % srv.port)
    assert rc == 1 and endpoint(doc)["tls"]["verify"]["code"] == 20


def test_json_to_file_and_text_to_stdout(pki, run_mailtls, tmp_path, scan):
    _, ref_doc, _, srv, ref = scan("good")
    out_file = tmp_path / "out.json"
    rc, out, err = run_mailtls("check", "--implicit", "--ca-file", pki.ca, "--ip", "127.0.0.1",
                               "--json", out_file, "localhost:%d" % srv.port)
    assert rc == 0, err
    assert ref.protocol in out, "text report still goes to stdout"
    doc = json.loads(out_file.read_text())
    assert doc["schema"] == "mailtls/1"
    ep = endpoint(doc)
    assert ep["certificates"][0]["sha256"] == endpoint(ref_doc)["certificates"][0]["sha256"]
    assert ep["tls"]["verify"]["code"] == 0


def test_verbose_logs_to_stderr_only(pki, sserver, run_json):
    srv = sserver("good")
    for flag in ("-v", "-vv"):
        rc, doc, err = run_json("check", flag, "--implicit", "--ca-file", pki.ca, "--ip",
                                "127.0.0.1", "localhost:%d" % srv.port)
        assert rc == 0
        assert doc["schema"] == "mailtls/1"
        assert err.strip(), "%s should log on stderr" % flag


def test_plain_localhost_target(pki, sserver, run_json):
    """The command as a user types it: no --ip, the name resolves as this
    machine's /etc/hosts says (the reference: getaddrinfo). The server
    listens on 127.0.0.1 only; where localhost is also ::1 (Debian's
    default), that address refuses: a finding on it, not a failed run."""
    addrs = {a[4][0] for a in socket.getaddrinfo("localhost", None, proto=socket.IPPROTO_TCP)}
    assert "127.0.0.1" in addrs, addrs
    srv = sserver("good")
    rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.ca, "localhost:%d" % srv.port)
    assert rc == 0, err
    eps = {ep["address"]: ep for ep in doc["endpoints"]}
    assert set(eps) == addrs, (sorted(eps), sorted(addrs))
    ep = eps.pop("127.0.0.1")
    assert (ep["host"], ep["sni"]) == ("localhost", "localhost")
    assert ep["tls"]["verify"]["code"] == 0
    assert "address-unreachable" not in finding_ids(ep)
    for other in eps.values():
        assert [e["stage"] for e in other["errors"]] == ["connect"], other["errors"]
        assert "address-unreachable" in finding_ids(other)


@pytest.mark.skipif(not ipv6_loopback_usable(), reason="no IPv6 loopback")
@pytest.mark.parametrize("sni", [True, False])
def test_ipv6_loopback(pki, sserver, run_json, s_client_ref, cipher_table, sni):
    try:
        srv = sserver("good", host="::1")
    except RuntimeError as e:
        pytest.skip("s_server cannot listen on [::1]: %s" % e)
    if sni:
        ref = s_client_ref(srv, pki.ca)
        opts = ["--sni", "localhost"]
    else:
        ref = s_client_ref(srv, pki.ca, name=None, verify_ip="::1", sni=False)
        opts = []
    assert ref.code == 0
    rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.ca, *opts,
                            "[::1]:%d" % srv.port)
    assert rc == 0, err
    ep = endpoint(doc)
    assert (ep["address"], ep["port"]) == ("::1", srv.port)
    assert ep["sni"] == ("localhost" if sni else None)
    assert ep["tls"]["verify"]["code"] == 0
    assert ep["tls"]["verify"]["hostname_checked"] is True
    assert_negotiated(ep, ref, cipher_table)
