"""The fixtures of the `mailtls domain` tests work: tests/integ/dnszones.py
(zones signed with ldns-signzone, served by a throw-away NSD) and
tests/integ/nginx_https.py (a throw-away nginx serving MTA-STS policies).

References, independent of mailtls:
  - drill (ldnsutils) against NSD: answers, RRSIGs, UDP and TCP
  - ub_query (dnszones): a small C program on libunbound configured as
    mailtls is with --resolver 127.0.0.1@PORT --trust-anchor FILE
    (ub_ctx_set_fwd + ub_ctx_add_ta_file): secure / insecure / bogus
  - Python's ssl (cafile, server_hostname) + http.client against nginx
"""

import http.client
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
from pathlib import Path

import pytest

import dnszones
import nginx_https
from conftest import OPENSSL
from dnszones import NsdServer, Zone, tlsa_311, ub_query

DRILL = shutil.which("drill") or "/usr/bin/drill"

POLICY = "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 604800\n"
POLICY_PATH = "/.well-known/mta-sts.txt"


# --------------------------------------------------------------------------
# fixtures


def _need_dns():
    why = dnszones.available()
    if why:
        pytest.skip(why)


def _need_ub_query():
    why = dnszones.ub_query_unavailable()
    if why:
        pytest.skip(why)


def _need_nginx():
    why = nginx_https.available()
    if why:
        pytest.skip(why)


@pytest.fixture(scope="module")
def web_pki(tmp_path_factory):
    """A CA and leaves for the MTA-STS hosts and an MX host."""
    ca = nginx_https.MiniCa(tmp_path_factory.mktemp("web-pki"))
    certs = {
        "web": ca.issue("web", ["mta-sts.good.test", "mta-sts.testing.test", "*.good.test"]),
        "mx": ca.issue("mx", ["mx.good.test"]),
        "expired": ca.issue("expired", ["mta-sts.expired.test"], start_days=-60, end_days=-1),
    }
    return ca, certs


@pytest.fixture(scope="module")
def dns(web_pki):
    _need_dns()
    _, certs = web_pki
    mx_cert = certs["mx"][0]
    good = Zone("good.test", signed=True).add(
        "@ MX 10 mx",
        "mx A 127.0.0.1",
        "mta-sts A 127.0.0.1",
        '_mta-sts TXT "v=STSv1; id=20240101"',
        '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tls@good.test"',
        '@ TXT "v=spf1 mx -all"')
    good.add_tlsa("_25._tcp.mx", 3, 1, 1, tlsa_311(mx_cert))
    nsec3 = Zone("nsec3.test", signed=True, nsec3=True).add("@ MX 10 mx", "mx A 127.0.0.1")
    plain = Zone("plain.test").add("@ MX 10 mx", "mx A 127.0.0.1")
    plain.add_tlsa("_25._tcp.mx", 3, 1, 1, tlsa_311(mx_cert))
    bogus = Zone("bogus.test", signed=True, bogus=True).add("@ MX 10 mx", "mx A 127.0.0.1")
    # one bad RRSIG: the TLSA RRset bogus, the rest of the zone secure
    badtlsa = Zone("badtlsa.test", signed=True).add("@ MX 10 mx", "mx A 127.0.0.1")
    badtlsa.add_tlsa("_25._tcp.mx", 3, 1, 1, tlsa_311(mx_cert))
    badtlsa.break_rrsig("_25._tcp.mx", "TLSA")
    # another name than .test: no local-zone option needed
    example = Zone("good.example", signed=True).add("@ MX 10 mx", "mx A 127.0.0.1")
    srv = NsdServer([good, nsec3, plain, bogus, badtlsa, example])
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def web(web_pki):
    _need_nginx()
    ca, certs = web_pki
    srv = nginx_https.NginxHttps(*certs["web"])
    try:
        srv.put("mta-sts.good.test", POLICY_PATH, POLICY)
        srv.put("mta-sts.testing.test", POLICY_PATH, POLICY.replace("enforce", "testing"))
        srv.put("mta-sts.ctype.test", POLICY_PATH, POLICY, content_type="text/html")
        srv.put("mta-sts.charset.test", POLICY_PATH, POLICY,
                content_type="text/plain; charset=utf-8")
        srv.put("mta-sts.big.test", POLICY_PATH, POLICY + "#" * (70 * 1024) + "\n")
        srv.status("mta-sts.e404.test", POLICY_PATH, 404)
        srv.status("mta-sts.e500.test", POLICY_PATH, 500)
        srv.redirect("mta-sts.redirect.test", POLICY_PATH,
                     "https://mta-sts.good.test" + POLICY_PATH, code=301)
        srv.put("mta-sts.expired.test", POLICY_PATH, POLICY)
        srv.vhost("mta-sts.expired.test", *certs["expired"])
        srv.start()
    except BaseException:
        srv.stop()
        raise
    yield srv
    srv.stop()


def drill(srv, name, rrtype, tcp=False, dnssec=True):
    argv = [DRILL, "-p", str(srv.port)]
    argv += ["-t"] if tcp else ["-u"]
    argv += ["-D"] if dnssec else []
    argv += [name, rrtype, "@" + srv.host]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, "drill failed:\n" + p.stdout + p.stderr
    return p.stdout


def answer_section(out):
    m = re.search(r";; ANSWER SECTION:\n(.*?)\n\n", out, re.S)
    return [l.split() for l in (m.group(1).splitlines() if m else []) if l.strip()]


def https_get(port, host, path, cafile, verify=True):
    """GET https://host:port/path with SNI and Host `host`, the certificate
    verified against cafile for `host` -> (status, headers dict, body)."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                       % (path, host)).encode())
            resp = http.client.HTTPResponse(s)
            resp.begin()
            body = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


# --------------------------------------------------------------------------
# NSD and the zones


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_nsd_serves_signed_zone(dns, tcp):
    out = drill(dns, "good.test", "MX", tcp=tcp)
    assert "rcode: NOERROR" in out
    assert re.search(r"flags: qr aa", out), out
    types = [rr[3] for rr in answer_section(out)]
    assert types == ["MX", "RRSIG"], out
    assert "10 mx.good.test." in out


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_nsd_serves_unsigned_zone(dns, tcp):
    out = drill(dns, "plain.test", "MX", tcp=tcp)
    assert [rr[3] for rr in answer_section(out)] == ["MX"], out
    assert "RRSIG" not in out


def test_zone_records(dns, web_pki):
    _, certs = web_pki
    out = drill(dns, "_25._tcp.mx.good.test", "TLSA")
    tlsa = [rr for rr in answer_section(out) if rr[3] == "TLSA"]
    assert len(tlsa) == 1, out
    assert tlsa[0][4:7] == ["3", "1", "1"]
    assert tlsa[0][7].lower() == tlsa_311(certs["mx"][0])
    out = drill(dns, "_mta-sts.good.test", "TXT")
    assert '"v=STSv1; id=20240101"' in out
    out = drill(dns, "good.test", "DNSKEY")
    assert sorted(rr[4] for rr in answer_section(out) if rr[3] == "DNSKEY") == ["256", "257"]


def test_trust_anchor_files(dns):
    ds = [l.split() for l in dns.trust_anchor_file.read_text().splitlines()]
    assert sorted(rr[0] for rr in ds) == ["badtlsa.test.", "bogus.test.", "good.example.",
                                          "good.test.", "nsec3.test."]
    assert all(rr[1:4] == ["300", "IN", "DS"] and rr[5] == "13" for rr in ds), ds
    keys = [l.split() for l in dns.trust_anchor_dnskey_file.read_text().splitlines()]
    assert sorted(rr[0] for rr in keys) == sorted(rr[0] for rr in ds)
    assert all(rr[1:5] == ["300", "IN", "DNSKEY", "257"] for rr in keys), keys
    # the DS in the anchor file is the one of the KSK NSD serves
    served = drill(dns, "good.test", "DNSKEY")
    assert keys[[rr[0] for rr in keys].index("good.test.")][-1] in served


def test_tlsa_311_matches_openssl_pipeline(web_pki):
    _, certs = web_pki
    cert = certs["mx"][0]
    p = subprocess.run("'%s' x509 -in '%s' -noout -pubkey | '%s' pkey -pubin -outform DER"
                       " | '%s' dgst -sha256 -r" % (OPENSSL, cert, OPENSSL, OPENSSL),
                       shell=True, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert tlsa_311(cert) == p.stdout.split()[0].lower()
    assert len(tlsa_311(cert)) == 64


def test_nsd_stop_removes_everything():
    _need_dns()
    srv = NsdServer([Zone("stop.test", signed=True).add("@ MX 0 .")])
    pid, d = srv.proc.pid, srv.dir
    srv.stop()
    assert not d.exists()
    assert not dnszones.group_members(pid)
    assert dnszones.dns_query("127.0.0.1", srv.port, "stop.test", timeout=0.3) is None
    srv.stop()  # twice is harmless


def test_break_rrsig_needs_an_rrset():
    _need_dns()
    z = Zone("nothing.test", signed=True).break_rrsig("nope", "TLSA")
    with pytest.raises(dnszones.DnsFixtureError, match="no RRSIG to break"):
        with tempfile.TemporaryDirectory() as d:
            z.build(d)


# --------------------------------------------------------------------------
# a validating libunbound in forward mode, as mailtls --resolver/--trust-anchor


@pytest.mark.parametrize("name,rrtype,status,rcode", [
    ("good.test", "MX", "secure", 0),
    ("mx.good.test", "A", "secure", 0),
    ("_25._tcp.mx.good.test", "TLSA", "secure", 0),
    ("_mta-sts.good.test", "TXT", "secure", 0),
    ("nothere.good.test", "A", "secure", 3),        # NSEC-proven NXDOMAIN
    ("nsec3.test", "MX", "secure", 0),
    ("nothere.nsec3.test", "A", "secure", 3),       # NSEC3-proven NXDOMAIN
    ("good.example", "MX", "secure", 0),
    ("plain.test", "MX", "insecure", 0),             # no anchor covers it
    ("_25._tcp.mx.plain.test", "TLSA", "insecure", 0),
    ("nothere.plain.test", "A", "insecure", 3),
    ("bogus.test", "MX", "bogus", 0),                # expired signatures
    ("mx.bogus.test", "A", "bogus", 0),
    ("badtlsa.test", "MX", "secure", 0),             # only the TLSA RRSIG is broken
    ("_25._tcp.mx.badtlsa.test", "TLSA", "bogus", 0),
])
def test_libunbound_forward_validation(dns, name, rrtype, status, rcode):
    _need_ub_query()
    r = ub_query(dns.resolver, dns.trust_anchor_file, name, rrtype)
    assert "error" not in r, r
    assert (r["status"], r["rcode"]) == (status, rcode), r
    assert bool(r["havedata"]) == (rcode == 0), r
    if status == "bogus":
        assert r["why_bogus"], r


def test_libunbound_bogus_reasons(dns):
    _need_ub_query()
    r = ub_query(dns.resolver, dns.trust_anchor_file, "bogus.test", "MX")
    assert "signature expired" in r["why_bogus"], r
    r = ub_query(dns.resolver, dns.trust_anchor_file, "_25._tcp.mx.badtlsa.test", "TLSA")
    assert "signature verification failed" in r["why_bogus"], r


def test_libunbound_dnskey_anchors(dns):
    _need_ub_query()
    for name, status in (("good.test", "secure"), ("bogus.test", "bogus"),
                         ("plain.test", "insecure")):
        r = ub_query(dns.resolver, dns.trust_anchor_dnskey_file, name, "MX")
        assert r["status"] == status, (name, r)


def test_libunbound_stub_mode_validates_too(dns):
    _need_ub_query()
    zones = ["good.test", "plain.test", "bogus.test"]
    for name, status in (("good.test", "secure"), ("plain.test", "insecure"),
                         ("bogus.test", "bogus")):
        r = ub_query(dns.resolver, dns.trust_anchor_file, name, "MX", stub_zones=zones)
        assert r["status"] == status, (name, r)


def test_libunbound_needs_test_local_zone_opened(dns):
    """Without local-zone "test." transparent, libunbound answers NXDOMAIN
    for all of .test itself (RFC 6761 default local zone), asking nobody."""
    _need_ub_query()
    r = ub_query(dns.resolver, dns.trust_anchor_file, "good.test", "MX", options=())
    assert (r["rcode"], r["nxdomain"], r["havedata"]) == (3, 1, 0), r
    r = ub_query(dns.resolver, dns.trust_anchor_file, "good.example", "MX", options=())
    assert (r["status"], r["rcode"]) == ("secure", 0), r


def test_libunbound_do_not_query_localhost(dns):
    """libunbound's default lets it ask 127.0.0.1; `do-not-query-localhost:
    yes` (the unbound daemon's default) would make every answer SERVFAIL."""
    _need_ub_query()
    opts = dnszones.UB_TEST_OPTIONS
    r = ub_query(dns.resolver, dns.trust_anchor_file, "good.test", "MX",
                 options=opts + (("do-not-query-localhost:", "yes"),))
    assert r["rcode"] == 2 and not r["havedata"], r
    r = ub_query(dns.resolver, dns.trust_anchor_file, "good.test", "MX",
                 options=opts + (("do-not-query-localhost:", "no"),))
    assert r["status"] == "secure", r


# --------------------------------------------------------------------------
# nginx


def test_nginx_serves_policy_verified(web, web_pki):
    ca, _ = web_pki
    for host, mode in (("mta-sts.good.test", "enforce"), ("mta-sts.testing.test", "testing")):
        status, headers, body = https_get(web.port, host, POLICY_PATH, ca.ca)
        assert status == 200
        assert headers["content-type"] == "text/plain"
        assert body.decode() == POLICY.replace("enforce", mode)
        assert headers["content-length"] == str(len(body))
    assert web.url("mta-sts.good.test", POLICY_PATH) == \
        "https://mta-sts.good.test:%d%s" % (web.port, POLICY_PATH)


def test_nginx_certificate_checks(web, web_pki):
    ca, _ = web_pki
    other = nginx_https.MiniCa(Path(tempfile.mkdtemp(prefix="mailtls-other-ca-")))
    try:
        with pytest.raises(ssl.SSLCertVerificationError, match="certificate has expired"):
            https_get(web.port, "mta-sts.expired.test", POLICY_PATH, ca.ca)
        # a name the default certificate does not cover
        with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
            https_get(web.port, "mta-sts.ctype.test", POLICY_PATH, ca.ca)
        with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
            https_get(web.port, "mta-sts.good.test", POLICY_PATH, other.ca)
    finally:
        shutil.rmtree(other.dir, ignore_errors=True)


@pytest.mark.parametrize("host,status,ctype", [
    ("mta-sts.ctype.test", 200, "text/html"),
    ("mta-sts.charset.test", 200, "text/plain; charset=utf-8"),
    ("mta-sts.e404.test", 404, "text/html"),
    ("mta-sts.e500.test", 500, "text/html"),
    ("mta-sts.unknown.test", 404, "text/html"),     # no such vhost: default server
])
def test_nginx_behaviours(web, web_pki, host, status, ctype):
    ca, _ = web_pki
    got, headers, body = https_get(web.port, host, POLICY_PATH, ca.ca, verify=False)
    assert (got, headers.get("content-type")) == (status, ctype)
    if status == 200:
        assert body.decode() == POLICY


def test_nginx_redirect_and_other_paths(web, web_pki):
    ca, _ = web_pki
    status, headers, _ = https_get(web.port, "mta-sts.redirect.test", POLICY_PATH, ca.ca,
                                   verify=False)
    assert status == 301
    assert headers["location"] == "https://mta-sts.good.test" + POLICY_PATH
    status, _, _ = https_get(web.port, "mta-sts.good.test", "/other.txt", ca.ca)
    assert status == 404


def test_nginx_oversize_body(web, web_pki):
    ca, _ = web_pki
    status, headers, body = https_get(web.port, "mta-sts.big.test", POLICY_PATH, ca.ca,
                                      verify=False)
    assert status == 200 and len(body) > 64 * 1024
    assert int(headers["content-length"]) == len(body)


def test_nginx_reload_and_stop(web_pki):
    _need_nginx()
    ca, certs = web_pki
    srv = nginx_https.NginxHttps(*certs["web"])
    try:
        srv.put("mta-sts.good.test", POLICY_PATH, "one\n", content_type=None)
        srv.start()
        status, headers, body = https_get(srv.port, "mta-sts.good.test", POLICY_PATH, ca.ca)
        assert (status, body, "content-type" in headers) == (200, b"one\n", False)
        srv.put("mta-sts.good.test", POLICY_PATH, "two\n")
        assert https_get(srv.port, "mta-sts.good.test", POLICY_PATH, ca.ca)[2] == b"two\n"
        with srv.batch():
            srv.status("mta-sts.good.test", POLICY_PATH, 500)
            srv.put("mta-sts.testing.test", POLICY_PATH, "three\n")
        assert https_get(srv.port, "mta-sts.good.test", POLICY_PATH, ca.ca)[0] == 500
        assert https_get(srv.port, "mta-sts.testing.test", POLICY_PATH, ca.ca)[2] == b"three\n"
    finally:
        pid, d = (srv.proc.pid if srv.proc else None), srv.dir
        srv.stop()
    assert not d.exists()
    if pid:
        assert not dnszones.group_members(pid)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
