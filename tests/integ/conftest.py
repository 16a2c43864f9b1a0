"""Shared fixtures for the mailtls integration tests.

Everything runs on loopback in temporary directories:

  pki            a test PKI made with the openssl CLI (two CAs, leaves)
  sserver        factory: `openssl s_server` on a free loopback port
  fake_server    factory: a scripted misbehaving server (tests/fixtures)
  closed_port    a loopback port that refuses connections
  run_mailtls    run the binary under test -> (rc, stdout, stderr)
  run_json       the same with `--json -` -> (rc, document, stderr)
  s_client       what `openssl s_client` sees on the same server

The binary is $MAILTLS, by default build/mailtls relative to the repository
root (`make asan` passes build-asan/mailtls).
"""

import datetime as dt
import difflib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
OPENSSL = shutil.which("openssl") or "openssl"

SANITIZER_RE = re.compile(r"(Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer|runtime error:")


# --------------------------------------------------------------------------
# the binary under test


def mailtls_path():
    p = Path(os.environ.get("MAILTLS", "build/mailtls"))
    return p if p.is_absolute() else REPO / p


def _run_mailtls(args, timeout=60):
    exe = mailtls_path()
    if not os.access(exe, os.X_OK):
        pytest.fail("mailtls binary not found at %s (build it, or set MAILTLS)" % exe)
    argv = [str(exe)] + [str(a) for a in args]
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        pytest.fail("mailtls did not finish within %ss: %s" % (timeout, " ".join(argv)))
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    # No crash, whatever the test is about.
    assert p.returncode >= 0, "mailtls killed by signal %d\n%s" % (-p.returncode, err)
    assert not SANITIZER_RE.search(err), "sanitizer report:\n" + err
    return p.returncode, out, err


def _run_json(args, timeout=60):
    """Insert `--json -` right after the subcommand; stdout must be JSON only."""
    args = [str(a) for a in args]
    args = args[:1] + ["--json", "-"] + args[1:]
    rc, out, err = _run_mailtls(args, timeout=timeout)
    try:
        doc = json.loads(out)
    except ValueError as e:
        pytest.fail("stdout is not one JSON document (%s); rc=%d\nstdout:\n%s\nstderr:\n%s"
                    % (e, rc, out[:2000], err[:2000]))
    if args[0] in ("check", "domain"):
        _renders_back(out)
    return rc, doc, err


def _renders_back(out):
    """Every report the suite produces reads back into the model and is
    written again byte for byte (`mailtls render - -o json`)."""
    p = subprocess.run([str(mailtls_path()), "render", "-", "-o", "json"], input=out.encode(),
                       capture_output=True, timeout=60, cwd=REPO)
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0 and not SANITIZER_RE.search(err), "render failed:\n" + err
    back = p.stdout.decode("utf-8", "replace")
    assert back == out, "render -o json changed the report:\n%s" % "".join(
        difflib.unified_diff(out.splitlines(True), back.splitlines(True), "run", "render", n=1))


@pytest.fixture(scope="session")
def run_mailtls():
    """run_mailtls(*args, timeout=60) -> (rc, stdout, stderr)"""
    return lambda *args, timeout=60: _run_mailtls(args, timeout)


@pytest.fixture(scope="session")
def run_json():
    """run_json(*args, timeout=60) -> (rc, parsed JSON of stdout, stderr)"""
    return lambda *args, timeout=60: _run_json(args, timeout)


# Every fixture listens on 127.0.0.1 only. A target named localhost is pinned
# to that address with --ip: Debian's /etc/hosts also maps localhost to ::1,
# and the suite must not depend on the machine's /etc/hosts.
LOOPBACK = "127.0.0.1"


def local(port, host="localhost"):
    """The arguments that scan HOST:PORT on 127.0.0.1: ["--ip", ..., "host:port"]."""
    return ["--ip", LOOPBACK, "%s:%d" % (host, port)]


def stderr_error_line(err):
    """The one error line mailtls must print; fails unless there is exactly one."""
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, "expected exactly one stderr line, got:\n" + err
    assert lines[0].startswith("mailtls: "), "stderr line lacks 'mailtls: ': %r" % lines[0]
    return lines[0]


def endpoint(doc):
    """The single endpoint of a one-address scan."""
    eps = doc["endpoints"]
    assert len(eps) == 1, "expected one endpoint, got %d" % len(eps)
    return eps[0]


def finding_ids(ep):
    return [f["id"] for f in ep["findings"]]


# --------------------------------------------------------------------------
# openssl CLI helpers


def openssl(*args, cwd=None, input=None):
    p = subprocess.run([OPENSSL] + [str(a) for a in args], cwd=cwd, input=input,
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed:\n%s" % (" ".join(map(str, args)),
                                                         p.stderr.decode(errors="replace")))
    return p.stdout.decode()


def _asn1_time(ts):
    return dt.datetime.strptime(ts.strip(), "%b %d %H:%M:%S %Y %Z").strftime("%Y-%m-%dT%H:%M:%SZ")


def x509_info(cert):
    """Fingerprint, serial and dates of a PEM certificate, as openssl x509 prints them."""
    out = openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha256", "-serial",
                  "-startdate", "-enddate", "-subject", "-issuer", "-nameopt", "RFC2253")
    kv = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    fp = next(v for k, v in kv.items() if k.lower().endswith("fingerprint"))
    return {
        "sha256": fp.strip().upper(),
        "serial": kv["serial"].strip().upper(),
        "not_before": _asn1_time(kv["notBefore"]),
        "not_after": _asn1_time(kv["notAfter"]),
        "subject": kv["subject"].strip(),
        "issuer": kv["issuer"].strip(),
    }


_CIPHER_LINE = re.compile(
    r"^\s*0x([0-9A-F]{2}),0x([0-9A-F]{2})(?:,0x([0-9A-F]{2}))?\s+-\s+(\S+)\s+-\s+(\S+)\s+(\S+)\s+Kx=(\S+)"
    r".*Enc=\S*?\((\d+)\)", re.I)


@pytest.fixture(scope="session")
def cipher_table():
    """OpenSSL name -> {code, iana, protocol, kx, bits} from `openssl ciphers -V -stdname`."""
    table = {}
    for line in openssl("ciphers", "-V", "-stdname", "ALL:COMPLEMENTOFALL").splitlines():
        m = _CIPHER_LINE.match(line)
        if not m:
            continue
        code = "0x" + "".join(b for b in m.group(1, 2, 3) if b).upper()
        table[m.group(5)] = {"code": code, "iana": m.group(4), "protocol": m.group(6),
                             "kx": m.group(7), "bits": int(m.group(8))}
    assert "ECDHE-RSA-AES256-GCM-SHA384" in table and "TLS_AES_256_GCM_SHA384" in table
    return table


# --------------------------------------------------------------------------
# test PKI

OPENSSL_CNF = """\
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ leaf_localhost ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1

[ leaf_wrong ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example

[ leaf_selfsigned ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1

[ ca ]
default_ca = CA_default
[ CA_default ]
database = index.txt
new_certs_dir = newcerts
rand_serial = yes
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
"""

CA_CN = "mailtls test CA"
OTHER_CA_CN = "mailtls unrelated CA"


@dataclass
class Leaf:
    cert: Path
    key: Path
    info: dict = field(default_factory=dict)


@dataclass
class Pki:
    dir: Path
    ca: Path          # PEM of the test CA that signed the leaves
    other_ca: Path    # PEM of a CA that signed nothing here
    ca_dir: Path      # hashed directory holding the test CA (--ca-path)
    garbage_ca: Path  # a file that holds no certificate
    leaves: dict      # name -> Leaf

    def leaf(self, name):
        return self.leaves[name]


def _gentime(delta_days):
    t = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=delta_days)
    return t.strftime("%Y%m%d%H%M%SZ")


def make_pki(d):
    d = Path(d)
    (d / "openssl.cnf").write_text(OPENSSL_CNF)
    (d / "index.txt").write_text("")
    (d / "newcerts").mkdir()
    cnf = str(d / "openssl.cnf")

    def run(*a):
        return openssl(*a, cwd=d)

    def make_ca(stem, cn):
        run("req", "-x509", "-config", cnf, "-extensions", "v3_ca", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", stem + ".key",
            "-out", stem + ".pem", "-subj", "/CN=" + cn, "-days", "60")
        return d / (stem + ".pem")

    ca = make_ca("ca", CA_CN)
    other_ca = make_ca("other-ca", OTHER_CA_CN)

    # One RSA 2048 key for every leaf keeps generation fast; the certificates
    # (and so their fingerprints) still differ.
    run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "leaf.key")
    key = d / "leaf.key"

    def sign(name, cn, ext, start_days, end_days):
        run("req", "-new", "-config", cnf, "-key", "leaf.key", "-subj", "/CN=" + cn,
            "-out", name + ".csr")
        run("ca", "-batch", "-config", cnf, "-cert", "ca.pem", "-keyfile", "ca.key",
            "-in", name + ".csr", "-out", name + ".pem", "-notext", "-extensions", ext,
            "-startdate", _gentime(start_days), "-enddate", _gentime(end_days))
        return Leaf(d / (name + ".pem"), key)

    leaves = {
        "good": sign("good", "localhost", "leaf_localhost", -1, 365),
        "wrongname": sign("wrongname", "wrong.example", "leaf_wrong", -1, 365),
        "expired": sign("expired", "localhost", "leaf_localhost", -60, -30),
        "notyet": sign("notyet", "localhost", "leaf_localhost", 30, 60),
    }
    run("req", "-x509", "-config", cnf, "-extensions", "leaf_selfsigned", "-key", "leaf.key",
        "-subj", "/CN=localhost", "-days", "365", "-out", "selfsigned.pem")
    leaves["selfsigned"] = Leaf(d / "selfsigned.pem", key)
    for leaf in leaves.values():
        leaf.info = x509_info(leaf.cert)

    ca_dir = d / "ca-dir"
    ca_dir.mkdir()
    shutil.copy(ca, ca_dir / "test-ca.pem")
    run("rehash", str(ca_dir))

    garbage = d / "garbage-ca.pem"
    garbage.write_text("this is not a certificate\n-----BEGIN CERTIFICATE-----\n!!!!\n"
                       "-----END CERTIFICATE-----\n")
    return Pki(d, ca, other_ca, ca_dir, garbage, leaves)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


# --------------------------------------------------------------------------
# servers


def wait_listening(host, port, deadline_s=10.0):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def ipv6_loopback_usable():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@dataclass
class Server:
    host: str
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def hostport(self):
        return "[%s]:%d" % (self.host, self.port) if ":" in self.host else "%s:%d" % (self.host, self.port)


def _stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_ACCEPT_RE = re.compile(r"^ACCEPT .*:(\d+)\s*$", re.M)


def start_s_server(workdir, leaf, host="127.0.0.1", chain=None, extra=()):
    """`openssl s_server -www` on host:0; returns once it accepts connections."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / ("s_server-%d.log" % time.monotonic_ns())
    bracket = "[%s]" % host if ":" in host else host
    argv = [OPENSSL, "s_server", "-accept", "%s:0" % bracket, "-cert", str(leaf.cert),
            "-key", str(leaf.key), "-www"]
    if chain is not None:
        argv += ["-cert_chain", str(chain)]
    argv += list(extra)
    with open(log, "wb") as fh:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fh,
                                stderr=subprocess.STDOUT, cwd=workdir)
    end = time.monotonic() + 10
    port = None
    while time.monotonic() < end and port is None:
        m = _ACCEPT_RE.search(log.read_text(errors="replace"))
        if m:
            port = int(m.group(1))
        elif proc.poll() is not None:
            break
        else:
            time.sleep(0.05)
    if port is None or not wait_listening(host, port):
        _stop(proc)
        raise RuntimeError("s_server did not start:\n" + log.read_text(errors="replace"))
    return Server(host, port, proc, log)


@pytest.fixture(scope="module")
def sserver(pki, tmp_path_factory):
    """sserver(leaf_name, chain=False, host="127.0.0.1", extra=()) -> Server.

    One s_server per distinct configuration, kept for the whole module."""
    started = {}
    workdir = tmp_path_factory.mktemp("s_server")

    def get(leaf_name, chain=False, host="127.0.0.1", extra=()):
        key = (leaf_name, chain, host, tuple(extra))
        srv = started.get(key)
        if srv is None or srv.proc.poll() is not None:
            srv = start_s_server(workdir, pki.leaf(leaf_name), host=host,
                                 chain=pki.ca if chain else None, extra=extra)
            started[key] = srv
        return srv

    yield get
    for srv in started.values():
        _stop(srv.proc)


@pytest.fixture(scope="module")
def fake_server():
    """fake_server(mode) -> port of a tests/fixtures/fake_tls.py server."""
    procs = {}

    def get(mode):
        if mode in procs:
            return procs[mode][1]
        proc = subprocess.Popen([sys.executable, str(FIXTURES / "fake_tls.py"), "--mode", mode],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        line = proc.stdout.readline().decode().split()
        if len(line) != 2 or line[0] != "READY":
            _stop(proc)
            raise RuntimeError("fake server %s did not start: %r" % (mode, line))
        port = int(line[1])
        assert wait_listening("127.0.0.1", port)
        procs[mode] = (proc, port)
        return port

    yield get
    for proc, _ in procs.values():
        _stop(proc)
        proc.stdout.close()


@pytest.fixture
def closed_port():
    """A loopback port that is bound but not listening: connects are refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    yield s.getsockname()[1]
    s.close()


# --------------------------------------------------------------------------
# openssl s_client as the reference


@dataclass
class SClient:
    code: int                 # first verify error (-verify_return_error), 0 if none
    depth: int                # depth of that error, None if none
    message: str              # its text ("ok" when none)
    errors: list              # every (depth, code, message) when not stopping
    protocol: str = None      # "TLSv1.3"
    cipher: str = None        # OpenSSL name
    temp_key: str = None      # "X25519" from "Server Temp Key: X25519, 253 bits"


_VERIFY_ERR = re.compile(r"^verify error:num=(\d+):(.*)$")
_DEPTH = re.compile(r"^depth=(\d+)")
_RETURN_CODE = re.compile(r"^\s*Verify return code: (\d+) \((.*)\)\s*$", re.M)
_NEW = re.compile(r"^New, (\S+), Cipher is (\S+)", re.M)
_PROTO = re.compile(r"^\s*Protocol\s*:\s*(\S+)", re.M)
_CIPHER = re.compile(r"^\s*Cipher\s*:\s*(\S+)", re.M)
_TEMP = re.compile(r"^Server Temp Key: ([^,\s]+)", re.M)


def _verify_errors(text):
    errs, depth = [], None
    for line in text.splitlines():
        m = _DEPTH.match(line)
        if m:
            depth = int(m.group(1))
            continue
        m = _VERIFY_ERR.match(line)
        if m:
            errs.append((depth, int(m.group(1)), m.group(2).strip()))
    return errs


def s_client(server, ca_file, name="localhost", verify_ip=None, sni=True, starttls=None):
    """Connect like `openssl s_client -verify_return_error -verify_hostname NAME`.

    Two runs: one stopping at the first verify error (the reference for
    verify.code), one continuing, which lists every verify error and the
    negotiated protocol, cipher and key exchange group. starttls="smtp" (or
    another s_client -starttls protocol) runs that dialogue first.
    `server` is anything with .hostport (Server, a Postfix instance...)."""
    base = [OPENSSL, "s_client", "-connect", server.hostport, "-CAfile", str(ca_file)]
    if starttls:
        base += ["-starttls", starttls]
    base += ["-servername", name] if sni and name else ["-noservername"]
    base += ["-verify_ip", verify_ip] if verify_ip else ["-verify_hostname", name]

    def run(extra):
        p = subprocess.run(base + extra, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        return p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    out, err = run(["-verify_return_error"])
    first = _verify_errors(err + "\n" + out)
    rc_m = _RETURN_CODE.search(out)
    if first:
        depth, code, message = first[0]
    else:
        assert rc_m, "s_client printed no verify result:\n" + out + err
        depth, code, message = None, int(rc_m.group(1)), rc_m.group(2)
    if rc_m:
        assert int(rc_m.group(1)) == code, "s_client disagrees with itself"

    out, err = run([])
    res = SClient(code, depth, message, _verify_errors(err + "\n" + out))
    m = _NEW.search(out)
    if m and m.group(1) != "(NONE)":
        res.protocol, res.cipher = m.group(1), m.group(2)
    else:
        p, c = _PROTO.search(out), _CIPHER.search(out)
        res.protocol, res.cipher = p and p.group(1), c and c.group(1)
    m = _TEMP.search(out)
    res.temp_key = m and m.group(1)
    assert res.protocol and res.cipher, "s_client negotiated nothing:\n" + out + err
    return res


@pytest.fixture(scope="session")
def s_client_ref():
    """s_client(server, ca_file, name=..., verify_ip=..., sni=..., starttls=...) -> SClient (cached)."""
    cache = {}

    def get(server, ca_file, name="localhost", verify_ip=None, sni=True, starttls=None):
        key = (server.host, server.port, str(ca_file), name, verify_ip, sni, starttls)
        if key not in cache:
            cache[key] = s_client(server, ca_file, name=name, verify_ip=verify_ip, sni=sni,
                                  starttls=starttls)
        return cache[key]

    return get
