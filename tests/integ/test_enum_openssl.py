"""Enumeration against `openssl s_server`, cross-checked with testssl.sh and sslscan.

For each server profile, mailtls' protocols and cipher suites must equal,
suite for suite, what testssl.sh (Debian's package, `-p -E`) reports on the
same server; where the server has an order (-serverpref), mailtls' order
must agree with sslscan's (the order of <cipher status="preferred"/"accepted">
in its XML), and its key exchange groups with sslscan's groups.

Profiles (s_server with the test PKI's leaf for localhost):

  default          no options: Debian's defaults (TLS 1.2 and 1.3), client order
  default-ecdsa    the same with an ECDSA P-256 certificate
  tls12-serverpref -tls1_2, three suites, -serverpref
  tls13-only       -tls1_3, two TLS 1.3 suites, -serverpref
  legacy           ALL:@SECLEVEL=0 from TLSv1 up, anonymous suites included,
                   a 1024-bit DH group, -serverpref (skipped when the local
                   OpenSSL cannot do TLS 1.0 even so)
  legacy-ecdsa     the same with the ECDSA certificate, default DH

testssl.sh is slow (15 s .. 2 min per run): each profile is scanned once per
module, after mailtls, and the profiles' reference runs go in parallel. Set
MAILTLS_REF_CACHE=DIR to keep the tools' outputs between runs (keyed by the
server's command line and the tools' and OpenSSL's versions).

The parsing helpers (run_testssl, run_sslscan, compare_*) are shared with
test_enum_postfix.py.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import OPENSSL, Leaf, _stop, endpoint, openssl, start_s_server

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
SSLSCAN = shutil.which("sslscan")
ALL_PROTOCOLS = ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]

# testssl.sh's JSON ids -> mailtls' protocol names
TESTSSL_PROTOCOLS = {"SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLS1": "TLSv1.0", "TLS1_1": "TLSv1.1",
                     "TLS1_2": "TLSv1.2", "TLS1_3": "TLSv1.3"}
TESTSSL_CIPHER_PROTO = {"ssl2": "SSLv2", "ssl3": "SSLv3", "tls1": "TLSv1.0", "tls1_1": "TLSv1.1",
                        "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}
_TESTSSL_CIPHER_ID = re.compile(r"^cipher[-_](ssl2|ssl3|tls1|tls1_1|tls1_2|tls1_3)_x([0-9a-fA-F]+)$")

# sslscan's group ids -> mailtls' group names
GROUP_NAMES = {0x0017: "secp256r1", 0x0018: "secp384r1", 0x0019: "secp521r1",
               0x001A: "brainpoolP256r1", 0x001B: "brainpoolP384r1", 0x001C: "brainpoolP512r1",
               0x001D: "X25519", 0x001E: "X448", 0x0100: "ffdhe2048", 0x0101: "ffdhe3072",
               0x0102: "ffdhe4096", 0x0103: "ffdhe6144", 0x0104: "ffdhe8192"}

needs_tools = pytest.mark.skipif(not (TESTSSL and SSLSCAN),
                                 reason="testssl.sh and sslscan are needed "
                                        "(scripts/install-deps installs them)")


def code_str(proto, code):
    return "0x%06X" % code if proto == "SSLv2" else "0x%04X" % code


# --------------------------------------------------------------------------
# the reference tools


def _tool_version(argv):
    try:
        p = subprocess.run(argv, capture_output=True, timeout=30)
        return (p.stdout + p.stderr).decode(errors="replace")[:400]
    except (OSError, subprocess.SubprocessError):
        return ""


def _walk_findings(node):
    """Every {"id":..., "finding":...} in testssl's JSON (flat or pretty)."""
    if isinstance(node, dict):
        if "id" in node and "finding" in node:
            yield node
        for v in node.values():
            yield from _walk_findings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_findings(v)


def run_testssl_json(hostport, options, out_dir, starttls=None, timeout=900):
    """testssl.sh OPTIONS [-t STARTTLS] --jsonfile on hostport: its findings
    (every {"id", "severity", "finding"}), its output kept in out_dir."""
    path = Path(out_dir) / "testssl.json"
    argv = [TESTSSL, "--quiet", "--color", "0", "--warnings", "off", *options,
            "--jsonfile", str(path)]
    if starttls:
        argv += ["-t", starttls]
    argv.append(hostport)
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    (Path(out_dir) / "testssl.out").write_bytes(p.stdout + p.stderr)
    assert path.exists(), "testssl.sh wrote no JSON:\n" + (p.stdout + p.stderr).decode(
        errors="replace")[-3000:]
    return list(_walk_findings(json.loads(path.read_text())))


def parse_testssl(path):
    """-> {"protocols": {name: True/False/None}, "ciphers": {name: set of codes},
    "problems": [...]} from testssl.sh's --jsonfile(-pretty) output."""
    doc = json.loads(Path(path).read_text())
    protocols, ciphers, problems = {}, {}, []
    for f in _walk_findings(doc):
        fid, text = f["id"], str(f["finding"]).strip().lower()
        if fid in TESTSSL_PROTOCOLS:
            name = TESTSSL_PROTOCOLS[fid]
            if text.startswith("not offered"):
                protocols[name] = False
            elif text.startswith("offered"):
                protocols[name] = True
            else:
                protocols[name] = None
                problems.append("%s: %s" % (fid, f["finding"]))
            continue
        m = _TESTSSL_CIPHER_ID.match(fid)
        if m:
            name = TESTSSL_CIPHER_PROTO[m.group(1)]
            if "not offered" in text or "not a/v" in text:
                continue
            ciphers.setdefault(name, set()).add(code_str(name, int(m.group(2), 16)))
            continue
        if fid in ("scanProblem", "scanTime") and fid == "scanProblem":
            problems.append(str(f["finding"]))
    return {"protocols": protocols, "ciphers": ciphers, "problems": problems}


def parse_sslscan(path):
    """-> {"protocols": {name: bool}, "ciphers": {name: [codes, preferred first]},
    "groups": set of names} from sslscan's --xml output."""
    root = ET.parse(path).getroot()
    test = root.find("ssltest")
    if test is None:
        raise AssertionError("sslscan wrote no <ssltest>: %s" % Path(path).read_text()[:2000])
    protocols, ciphers, groups = {}, {}, set()
    for p in test.iter("protocol"):
        name = ("SSLv" if p.get("type") == "ssl" else "TLSv") + p.get("version")
        protocols[name] = p.get("enabled") == "1"
    for c in test.iter("cipher"):
        proto = c.get("sslversion")
        code = code_str(proto, int(c.get("id"), 16))
        lst = ciphers.setdefault(proto, [])
        if c.get("status") == "preferred":
            lst.insert(0, code)
        else:
            lst.append(code)
    for g in test.iter("group"):
        gid = int(g.get("id"), 16)
        groups.add(GROUP_NAMES.get(gid, "0x%04X" % gid))
    return {"protocols": protocols, "ciphers": ciphers, "groups": groups}


def run_testssl(hostport, out_dir, starttls=None, timeout=1200):
    path = Path(out_dir) / "testssl.json"
    if path.exists():
        path.unlink()
    argv = [TESTSSL, "--quiet", "--color", "0", "--warnings", "off", "-p", "-E",
            "--jsonfile-pretty", str(path)]
    if starttls:
        argv += ["-t", starttls]
    argv.append(hostport)
    t0 = time.monotonic()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    (Path(out_dir) / "testssl.out").write_bytes(p.stdout + p.stderr)
    if not path.exists():
        raise AssertionError("testssl.sh wrote no JSON (exit %d):\n%s"
                             % (p.returncode, (p.stdout + p.stderr).decode(errors="replace")[-3000:]))
    return path, time.monotonic() - t0


def run_sslscan(hostport, out_dir, starttls=None, timeout=600):
    path = Path(out_dir) / "sslscan.xml"
    argv = [SSLSCAN, "--no-colour", "--xml=%s" % path]
    if starttls:
        argv.append("--starttls-%s" % starttls)
    argv.append(hostport)
    t0 = time.monotonic()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    (Path(out_dir) / "sslscan.out").write_bytes(p.stdout + p.stderr)
    if not path.exists():
        raise AssertionError("sslscan wrote no XML (exit %d):\n%s"
                             % (p.returncode, (p.stdout + p.stderr).decode(errors="replace")[-3000:]))
    return path, time.monotonic() - t0


class Reference:
    """sslscan, then testssl.sh, on one server, in a background thread.

    cache_key: a string naming the server's configuration; with
    MAILTLS_REF_CACHE set, the tools' outputs are kept under that key (plus
    the tools' and OpenSSL's versions) and reused."""

    _versions = None

    def __init__(self, hostport, out_dir, starttls=None, cache_key=None):
        self.hostport, self.starttls = hostport, starttls
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.cache_dir = None
        root = os.environ.get("MAILTLS_REF_CACHE")
        if root and cache_key:
            if Reference._versions is None:
                # (testssl --version prints the time of day: package versions)
                Reference._versions = (
                    _tool_version(["dpkg-query", "-W", "testssl.sh", "sslscan", "openssl",
                                   "libssl3"]) + _tool_version([OPENSSL, "version"]))
            h = hashlib.sha256((cache_key + "\0" + Reference._versions).encode()).hexdigest()[:24]
            self.cache_dir = Path(root) / h
        self.error = None
        self.testssl = self.sslscan = None
        self.seconds = {}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            if self.cache_dir and (self.cache_dir / "testssl.json").exists() and \
                    (self.cache_dir / "sslscan.xml").exists():
                self.sslscan = parse_sslscan(self.cache_dir / "sslscan.xml")
                self.testssl = parse_testssl(self.cache_dir / "testssl.json")
                return
            xml, self.seconds["sslscan"] = run_sslscan(self.hostport, self.out_dir, self.starttls)
            js, self.seconds["testssl"] = run_testssl(self.hostport, self.out_dir, self.starttls)
            self.sslscan = parse_sslscan(xml)
            self.testssl = parse_testssl(js)
            if self.cache_dir:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                shutil.copy(xml, self.cache_dir / "sslscan.xml")
                shutil.copy(js, self.cache_dir / "testssl.json")
        except Exception as e:  # reported by result()
            self.error = e

    def result(self, timeout=1800):
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError("testssl.sh/sslscan on %s did not finish" % self.hostport)
        if self.error:
            raise self.error
        return self


# --------------------------------------------------------------------------
# comparisons (shared with test_enum_postfix.py)


def mailtls_suites(ep):
    """{protocol: [codes in mailtls' order]}."""
    out = {}
    for c in sorted(ep["ciphers"], key=lambda c: c["order"]):
        out.setdefault(c["protocol"], []).append(c["code"])
    return out


def mailtls_offered(ep):
    return {p["name"]: p["offered"] for p in ep["protocols"]}


def compare_protocols(ep, ref):
    ts = ref.testssl["protocols"]
    assert set(ts) >= set(ALL_PROTOCOLS), "testssl.sh did not report every protocol: %r" % ts
    assert mailtls_offered(ep) == {p: ts[p] for p in ALL_PROTOCOLS}


def compare_suites(ep, ref):
    """Suite for suite, per protocol, equal to testssl.sh's."""
    mine = {p: sorted(c) for p, c in mailtls_suites(ep).items()}
    theirs = {p: sorted(c) for p, c in ref.testssl["ciphers"].items() if c}
    diff = []
    for p in sorted(set(mine) | set(theirs)):
        a, b = set(mine.get(p, [])), set(theirs.get(p, []))
        if a != b:
            diff.append("%s: only mailtls %s, only testssl.sh %s" % (p, sorted(a - b), sorted(b - a)))
    assert not diff, "\n".join(diff)


def compare_order(ep, ref):
    """mailtls' order agrees with sslscan's, on the suites both found; sslscan
    finds nothing mailtls does not."""
    mine = mailtls_suites(ep)
    for p, theirs in ref.sslscan["ciphers"].items():
        a = mine.get(p, [])
        assert set(theirs) <= set(a), "%s: sslscan found %s, mailtls did not" % (
            p, sorted(set(theirs) - set(a)))
        common_a = [c for c in a if c in theirs]
        assert common_a == theirs, "%s order:\n mailtls %s\n sslscan %s" % (p, common_a, theirs)


def compare_groups(ep, ref):
    assert set(ep["groups"]) == ref.sslscan["groups"]


# --------------------------------------------------------------------------
# servers

RESTRICTED_12 = ["ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
                 "DHE-RSA-AES256-GCM-SHA384"]
RESTRICTED_13 = ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384"]
CHUNKS_12 = "NULL-SHA256:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"

# name -> (leaf, s_server options, server order?, what mailtls must list
#          independently of the tools: {protocol: [codes in order]} or None)
PROFILES = {
    "default": ("rsa", [], False, None),
    "default-ecdsa": ("ecdsa", [], False, None),
    "tls12-serverpref": ("rsa", ["-tls1_2", "-cipher", ":".join(RESTRICTED_12), "-serverpref"],
                         True, {"TLSv1.2": ["0xC030", "0xC02F", "0x009F"]}),
    "tls13-only": ("rsa", ["-tls1_3", "-ciphersuites", ":".join(RESTRICTED_13), "-serverpref"],
                   True, {"TLSv1.3": ["0x1303", "0x1302"]}),
    # One suite offered early (chunk 1) and one late (a NULL suite, chunk
    # 2): the server's first choice is the last pick and the first of
    # its chunk, so only a second order round (the same suites, that one
    # last) tells server order from client order.
    "chunks-serverpref": ("rsa", ["-tls1_2", "-cipher", CHUNKS_12, "-serverpref"],
                          True, {"TLSv1.2": ["0x003B", "0xC013"]}),
    "chunks-client": ("rsa", ["-tls1_2", "-cipher", CHUNKS_12],
                      False, {"TLSv1.2": ["0xC013", "0x003B"]}),
    "legacy": ("rsa", ["-cipher", "ALL:@SECLEVEL=0", "-min_protocol", "TLSv1", "-serverpref",
                       "-dhparam", "{dh1024}"], True, None),
    "legacy-ecdsa": ("ecdsa", ["-cipher", "ALL:@SECLEVEL=0", "-min_protocol", "TLSv1",
                               "-serverpref"], True, None),
}
LEGACY = {"legacy", "legacy-ecdsa"}

ECDSA_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
"""


def make_ecdsa_leaf(pki, d):
    """An ECDSA P-256 leaf for localhost signed by the test CA."""
    d = Path(d)
    (d / "ecdsa.ext").write_text(ECDSA_EXT)
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", d / "ecdsa.key")
    openssl("req", "-new", "-key", d / "ecdsa.key", "-subj", "/CN=localhost", "-out", d / "ecdsa.csr")
    openssl("x509", "-req", "-in", d / "ecdsa.csr", "-CA", pki.ca, "-CAkey", pki.dir / "ca.key",
            "-CAcreateserial", "-CAserial", d / "ca.srl", "-days", "30", "-sha256",
            "-extfile", d / "ecdsa.ext", "-out", d / "ecdsa.pem")
    return Leaf(d / "ecdsa.pem", d / "ecdsa.key")


def tls10_possible(server):
    """Can this OpenSSL do a TLS 1.0 handshake with the server at all?"""
    p = subprocess.run([OPENSSL, "s_client", "-connect", server.hostport, "-tls1",
                        "-cipher", "ALL:@SECLEVEL=0"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30)
    return b"Cipher is (NONE)" not in p.stdout and p.returncode == 0


class Env:
    def __init__(self):
        self.servers, self.scans, self.refs, self.skip = {}, {}, {}, {}


@pytest.fixture(scope="module")
def env(pki, tmp_path_factory, run_json):
    """Start every profile's s_server, run mailtls on each (alone), then the
    reference tools on all of them in parallel."""
    if not (TESTSSL and SSLSCAN):
        pytest.skip("testssl.sh and sslscan are needed (scripts/install-deps installs them)")
    work = tmp_path_factory.mktemp("enum-openssl")
    leaves = {"rsa": pki.leaf("good"), "ecdsa": make_ecdsa_leaf(pki, work)}
    dh1024 = work / "dh1024.pem"
    openssl("dhparam", "-out", dh1024, "1024")
    e = Env()
    try:
        for name, (leaf, opts, _, _) in PROFILES.items():
            opts = [o.replace("{dh1024}", str(dh1024)) for o in opts]
            e.servers[name] = (start_s_server(work / name, leaves[leaf], extra=opts), opts, leaf)
        for name in LEGACY:
            if not tls10_possible(e.servers[name][0]):
                e.skip[name] = "the local OpenSSL does not do TLS 1.0 even at SECLEVEL=0"
        for name, (srv, _, _) in e.servers.items():
            if name in e.skip:
                continue
            rc, doc, err = run_json("check", "--implicit", "--ca-file", pki.ca,
                                    "127.0.0.1:%d" % srv.port, timeout=120)
            e.scans[name] = (rc, doc, err)
        for name, (srv, opts, leaf) in e.servers.items():
            if name in e.skip:
                continue
            key = "s_server %s %s" % (leaf, " ".join(o if not o.endswith(".pem") else "DH"
                                                     for o in opts))
            e.refs[name] = Reference("127.0.0.1:%d" % srv.port, work / name / "ref",
                                     cache_key=key)
        yield e
    finally:
        for ref in e.refs.values():
            ref._thread.join(1800)
        for srv, _, _ in e.servers.values():
            _stop(srv.proc)


def scan_of(env, name):
    if name in env.skip:
        pytest.skip(env.skip[name])
    rc, doc, err = env.scans[name]
    assert rc in (0, 1), "mailtls exit %d:\n%s" % (rc, err)
    return endpoint(doc)


def ref_of(env, name):
    return env.refs[name].result()


# --------------------------------------------------------------------------
# tests

NAMES = list(PROFILES)


@needs_tools
@pytest.mark.parametrize("name", NAMES)
def test_protocols_equal_testssl(env, name):
    ep = scan_of(env, name)
    compare_protocols(ep, ref_of(env, name))


@needs_tools
@pytest.mark.parametrize("name", NAMES)
def test_suites_equal_testssl(env, name):
    ep = scan_of(env, name)
    compare_suites(ep, ref_of(env, name))


@needs_tools
@pytest.mark.parametrize("name", [n for n, p in PROFILES.items() if p[2]])
def test_order_agrees_with_sslscan(env, name):
    ep = scan_of(env, name)
    compare_order(ep, ref_of(env, name))


@needs_tools
@pytest.mark.parametrize("name", NAMES)
def test_groups_equal_sslscan(env, name):
    ep = scan_of(env, name)
    compare_groups(ep, ref_of(env, name))


@needs_tools
@pytest.mark.parametrize("name", NAMES)
def test_server_order_flag(env, name):
    """-serverpref: true for every offered protocol with two or more suites;
    without it, false (s_server follows the client)."""
    ep = scan_of(env, name)
    want = PROFILES[name][2]
    multi = [p for p, c in mailtls_suites(ep).items() if len(c) >= 2]
    assert multi
    assert {p: ep["server_order"].get(p) for p in multi} == {p: want for p in multi}


@needs_tools
@pytest.mark.parametrize("name", [n for n, p in PROFILES.items() if p[3]])
def test_restricted_lists_exactly(env, name):
    """The restricted profiles, independently of the tools: exactly the
    configured suites, in the configured order, and no other protocol."""
    ep = scan_of(env, name)
    want = PROFILES[name][3]
    assert mailtls_suites(ep) == want
    assert mailtls_offered(ep) == {p: p in want for p in ALL_PROTOCOLS}


@needs_tools
@pytest.mark.parametrize("name", NAMES)
def test_certificate_type_shows_in_suites(env, name):
    """An ECDSA certificate gets ECDSA suites only, an RSA one RSA suites
    (TLS 1.3 suites and anonymous ones excepted)."""
    ep = scan_of(env, name)
    leaf = PROFILES[name][0]
    auths = {c["auth"] for c in ep["ciphers"] if c["protocol"] != "TLSv1.3"} - {"None"}
    if not auths:
        return
    assert auths == ({"ECDSA"} if leaf == "ecdsa" else {"RSA"}), auths


@needs_tools
def test_legacy_dh_1024(env):
    """legacy: DHE with the 1024-bit group from -dhparam: dh bits 1024,
    dh-weak, anonymous suites found."""
    ep = scan_of(env, "legacy")
    assert ep["dh"]["bits"] == 1024
    ids = [f["id"] for f in ep["findings"]]
    assert "dh-weak" in ids and "cipher-anonymous" in ids and "protocol-tls10-tls11" in ids


def _s_client_dh_prime(server, cipher):
    """The DH prime of the server's ServerKeyExchange, from s_client -msg."""
    p = subprocess.run([OPENSSL, "s_client", "-connect", server.hostport, "-tls1_2",
                        "-cipher", cipher + ":@SECLEVEL=0", "-msg"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30)
    out = p.stdout.decode(errors="replace")
    hexes, inside = [], False
    for line in out.splitlines():
        if line.startswith("<<<") and line.endswith("ServerKeyExchange"):
            inside = True
            continue
        if inside:
            if not re.match(r"^\s+[0-9a-f]{2}( [0-9a-f]{2})*\s*$", line):
                break
            hexes.append(line)
    assert hexes, "no ServerKeyExchange in s_client -msg:\n" + out[-3000:]
    raw = bytes.fromhex("".join(hexes).replace(" ", ""))
    body = raw[4:]
    n = int.from_bytes(body[:2], "big")
    return body[2:2 + n]


# RFC 3526 3: the 2048-bit MODP group (Oakley Group 14)
MODP14 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)


@needs_tools
def test_default_dh_is_a_common_prime(env):
    """s_server's automatic DH group: mailtls' size is the prime's size, and
    when it is RFC 3526 group 14 (OpenSSL 3.0 picks it for a 2048-bit RSA
    key), mailtls must name it as a well-known prime."""
    ep = scan_of(env, "default")
    prime = _s_client_dh_prime(env.servers["default"][0], "DHE-RSA-AES128-GCM-SHA256")
    assert ep["dh"] is not None
    assert ep["dh"]["bits"] == int.from_bytes(prime, "big").bit_length()
    if int.from_bytes(prime, "big") == MODP14:
        assert ep["dh"]["common_prime"] and "Oakley Group 14" in ep["dh"]["common_prime"], ep["dh"]
    else:
        assert ep["dh"]["common_prime"] is None, ep["dh"]


@needs_tools
@pytest.mark.parametrize("name", NAMES)
def test_connections_lower_bound(env, name):
    """Each accepted suite needs its own ServerHello, each protocol not
    offered at least one refused hello, plus the verified handshake: a count
    below that is a miscount."""
    ep = scan_of(env, name)
    refused = sum(1 for p in ep["protocols"] if p["offered"] is False)
    assert ep["stats"]["connections"] >= len(ep["ciphers"]) + refused + 1
