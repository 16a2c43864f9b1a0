"""`mailtls check --starttls ftp` (AUTH TLS, RFC 4217) and --implicit against a
real vsftpd (Debian's vsftpd package).

Each profile is its own vsftpd, started here in standalone mode
(listen=YES, background=NO) on 127.0.0.1 and a free port, with everything
in a temporary directory: the configuration file (vsftpd takes its path as
its argument, so /etc/vsftpd.conf is never read), the certificate, the log
(vsftpd_log_file, log_ftp_protocol and debug_ssl, which logs the TLS
version and cipher of each session) and secure_chroot_dir. No user ever
logs in; nothing is served. The machine's own vsftpd (port 21) is never
touched.

References, independent of mailtls:
  - `openssl s_client [-starttls ftp]`: protocol, cipher, group, verify;
    with one version or suite forced, what the server accepts
  - Python's ftplib.FTP_TLS: FEAT before and inside TLS, the 234 reply,
    the TLS version and cipher
  - vsftpd's own log (debug_ssl)

Profiles:
  tls       ssl_enable=YES (AUTH TLS, FEAT lists it)
  notls     ssl_enable=NO (no AUTH TLS; AUTH is answered 530)
  implicit  ssl_enable=YES, implicit_ssl=YES (TLS from the first byte, the
            990 "ftps" style)
"""

import ftplib
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import OPENSSL, endpoint, finding_ids, s_client

VSFTPD = shutil.which("vsftpd") or "/usr/sbin/vsftpd"
HOST = "127.0.0.1"
NAME = "localhost"
GREETING = "(vsFTPd 3.0.3)"
SSL_LOG = r'"SSL version: (\S+), SSL cipher: ([^,]+),'

DIALOGUE_FINDINGS = ("starttls-not-offered", "starttls-refused", "starttls-stripped",
                     "starttls-readvertised", "auth-before-tls", "auth-after-tls-only",
                     "pipelined-after-starttls", "capabilities-changed", "greeting-delay",
                     "server-throttled", "port-mode-mismatch")


def _unavailable():
    if not os.path.exists(VSFTPD):
        return "vsftpd is not installed (scripts/install-deps installs it)"
    if os.geteuid() != 0:
        return "starting vsftpd needs root"
    return None


_why = _unavailable()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")


def finding(ep, fid):
    found = [f for f in ep["findings"] if f["id"] == fid]
    assert len(found) <= 1, "finding %s listed %d times" % (fid, len(found))
    return found[0] if found else None


def texts(ep, direction):
    return [t["text"] for t in ep["transcript"] if t["dir"] == direction]


# --------------------------------------------------------------------------
# vsftpd instances


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_listening(port, deadline_s):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Vsftpd:
    host = HOST

    def __init__(self, name, cert=None, key=None, ssl_enable=True, implicit=False):
        self.name = name
        self.cert, self.key = cert, key
        self.ssl_enable = ssl_enable
        self.implicit = implicit
        self.root = None
        self.port = None
        self.proc = None

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def logfile(self):
        return self.root / "vsftpd.log"

    def log(self):
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return "(no vsftpd.log)"

    def tls_sessions(self, count=1, deadline_s=10.0):
        """(version, cipher) of every TLS session vsftpd logged (debug_ssl)."""
        end = time.monotonic() + deadline_s
        while True:
            found = re.findall(SSL_LOG, self.log())
            if len(found) >= count or time.monotonic() > end:
                return found
            time.sleep(0.05)

    def config(self):
        r = self.root
        c = {
            "listen": "YES",
            "listen_ipv6": "NO",
            "listen_address": HOST,
            "listen_port": self.port,
            "background": "NO",
            "anonymous_enable": "NO",
            "local_enable": "YES",
            "write_enable": "NO",
            "secure_chroot_dir": r / "empty",
            "nopriv_user": "nobody",
            "pam_service_name": "vsftpd",
            "vsftpd_log_file": self.logfile,
            "xferlog_enable": "YES",
            "log_ftp_protocol": "YES",
            "seccomp_sandbox": "NO",
            "ssl_enable": "YES" if self.ssl_enable else "NO",
        }
        if self.ssl_enable:
            c.update({
                "rsa_cert_file": r / "cert.pem",
                "rsa_private_key_file": r / "key.pem",
                "force_local_logins_ssl": "YES",
                "force_local_data_ssl": "YES",
                "debug_ssl": "YES",
                "implicit_ssl": "YES" if self.implicit else "NO",
            })
        return "".join("%s=%s\n" % kv for kv in c.items())

    def start(self, attempts=3):
        self.root = Path(tempfile.mkdtemp(prefix="mailtls-vsftpd-%s-" % self.name))
        os.chmod(self.root, 0o755)
        (self.root / "empty").mkdir(mode=0o755)
        if self.ssl_enable:
            shutil.copy(self.cert, self.root / "cert.pem")
            shutil.copy(self.key, self.root / "key.pem")
            os.chmod(self.root / "key.pem", 0o600)
        why = ""
        for _ in range(attempts):
            self.port = free_port()
            conf = self.root / "vsftpd.conf"
            conf.write_text(self.config())
            with open(self.root / "stdout.log", "ab") as out:
                self.proc = subprocess.Popen([VSFTPD, str(conf)], stdin=subprocess.DEVNULL,
                                             stdout=out, stderr=subprocess.STDOUT,
                                             start_new_session=True)
            if wait_listening(self.port, 10):
                return self
            why = "vsftpd exited %s: %s" % (self.proc.poll(), (self.root / "stdout.log")
                                            .read_text(errors="replace"))
            self._kill()
        self.stop()
        raise RuntimeError("vsftpd (%s) did not start: %s" % (self.name, why))

    def _kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, 9)  # its own session: the per-client children
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None

    def stop(self):
        self._kill()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


def _running(srv):
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def ftp_tls(pki):
    leaf = pki.leaf("good")
    yield from _running(Vsftpd("tls", leaf.cert, leaf.key))


@pytest.fixture(scope="module")
def ftp_notls():
    yield from _running(Vsftpd("notls", ssl_enable=False))


@pytest.fixture(scope="module")
def ftp_implicit(pki):
    leaf = pki.leaf("good")
    yield from _running(Vsftpd("implicit", leaf.cert, leaf.key, implicit=True))


# --------------------------------------------------------------------------
# references


def ftplib_reference(srv, cafile):
    """FEAT before and inside TLS and the AUTH TLS reply, with ftplib."""
    out = {}
    ctx = ssl.create_default_context(cafile=str(cafile))
    ftp = ftplib.FTP_TLS(context=ctx, timeout=15)
    ftp.connect(srv.host, srv.port)
    out["greeting"] = ftp.getwelcome()

    def feat():
        try:
            resp = ftp.sendcmd("FEAT")
        except ftplib.error_perm as e:
            return None, str(e)
        lines = resp.splitlines()
        return [l.strip() for l in lines[1:-1]], lines[-1]

    out["feat"], _ = feat()
    try:
        out["auth"] = ftp.auth()  # sends AUTH TLS, wraps the socket
    except ftplib.error_perm as e:
        out["auth"] = str(e)
        ftp.quit()
        return out
    out["version"], out["cipher"] = ftp.sock.version(), ftp.sock.cipher()[0]
    out["feat_tls"], _ = feat()
    ftp.quit()
    return out


_scans = {}


def _check(run_json, pki, srv, *mode, extra=(), quick=True):
    q = ("--quick",) if quick else ()
    return run_json("check", *q, "--ca-file", pki.ca, "--ip", srv.host, *mode, *extra,
                    "%s:%d" % (NAME, srv.port))


class Scan:
    def __init__(self, rc, doc, err, new_tls):
        self.rc, self.doc, self.err = rc, doc, err
        self.ep = endpoint(doc)
        self.new_tls = new_tls


def scan(run_json, pki, srv, *mode):
    key = (srv.name, srv.port, mode)
    if key not in _scans:
        before = len(srv.tls_sessions(0, 0)) if srv.ssl_enable else 0
        rc, doc, err = _check(run_json, pki, srv, *mode)
        ep = endpoint(doc)
        new = srv.tls_sessions(before + 1)[before:] if ep["tls"] else []
        _scans[key] = Scan(rc, doc, err, new)
    return _scans[key]


_TEMP_KEY = re.compile(r"^Server Temp Key: ([^,\s]+)(?:, ([^,\s]+))?", re.M)
# OpenSSL's names for the NIST curves in "Server Temp Key: ECDH, NAME, BITS"
CURVE_NAMES = {"prime256v1": "secp256r1"}


def s_client_group(srv, starttls=None):
    """The key exchange group s_client reports. conftest's SClient.temp_key
    keeps the first word only, which is "ECDH" for every NIST curve
    ("Server Temp Key: ECDH, prime256v1, 256 bits"); vsftpd picks P-256."""
    argv = [OPENSSL, "s_client", "-connect", srv.hostport, "-servername", NAME]
    if starttls:
        argv += ["-starttls", starttls]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    m = _TEMP_KEY.search(p.stdout.decode(errors="replace"))
    assert m, p.stdout.decode(errors="replace")
    name = m.group(2) if m.group(1) == "ECDH" and m.group(2) else m.group(1)
    return CURVE_NAMES.get(name, name)


OPENSSL_VERSION_FLAG = {"TLSv1.0": "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2",
                        "TLSv1.3": "-tls1_3"}


def s_client_accepts(srv, starttls, *flags):
    argv = [OPENSSL, "s_client", "-brief", "-connect", srv.hostport, "-servername", NAME]
    if starttls:
        argv += ["-starttls", starttls]
    p = subprocess.run(argv + list(flags), stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=30)
    return p.returncode == 0 and b"Protocol version:" in p.stderr


def openssl_suites(protocol):
    out = subprocess.run([OPENSSL, "ciphers", OPENSSL_VERSION_FLAG[protocol], "-s",
                          "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                         capture_output=True, timeout=30, check=True).stdout.decode()
    return [c for c in out.strip().split(":") if c]


def s_client_suites(srv, starttls, protocol):
    accepted = set()
    for suite in openssl_suites(protocol):
        if protocol == "TLSv1.3":
            if suite.startswith("TLS_") and s_client_accepts(srv, starttls, "-tls1_3",
                                                             "-ciphersuites", suite):
                accepted.add(suite)
        elif not suite.startswith("TLS_") and s_client_accepts(
                srv, starttls, OPENSSL_VERSION_FLAG[protocol], "-cipher",
                suite + ":@SECLEVEL=0"):
            accepted.add(suite)
    return accepted


# --------------------------------------------------------------------------
# 1. AUTH TLS


def test_tls_scans_ok(run_json, pki, ftp_tls):
    s = scan(run_json, pki, ftp_tls, "--starttls", "ftp")
    ep = s.ep
    assert s.rc in (0, 1), s.err  # 1: the test PKI's short-lived leaf may count
    assert s.doc["errors"] == [] and ep["errors"] == [], ep["errors"]
    assert (ep["mode"], ep["starttls"], ep["port"]) == ("starttls", "ftp", ftp_tls.port)
    assert ep["stats"]["connections"] == 1


def test_tls_matches_s_client(run_json, pki, ftp_tls, cipher_table):
    ep = scan(run_json, pki, ftp_tls, "--starttls", "ftp").ep
    ref = s_client(ftp_tls, pki.ca, name=NAME, starttls="ftp")
    tls = ep["tls"]
    assert tls is not None, ep["errors"]
    assert tls["version"] == ref.protocol
    assert tls["cipher_openssl"] == ref.cipher
    assert tls["cipher"] == cipher_table[ref.cipher]["iana"]
    assert tls["group"] == s_client_group(ftp_tls, "ftp")
    assert tls["verify"]["code"] == ref.code == 0
    assert tls["verify"]["message"] == ref.message == "ok"


def test_tls_matches_ftplib_and_vsftpd_log(run_json, pki, ftp_tls):
    s = scan(run_json, pki, ftp_tls, "--starttls", "ftp")
    ref = ftplib_reference(ftp_tls, pki.ca)
    tls = s.ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref["version"], ref["cipher"])
    assert s.new_tls, "vsftpd logged no TLS session:\n" + ftp_tls.log()[-2000:]
    assert (tls["version"], tls["cipher_openssl"]) in s.new_tls


def test_dialogue(run_json, pki, ftp_tls):
    ep = scan(run_json, pki, ftp_tls, "--starttls", "ftp").ep
    ref = ftplib_reference(ftp_tls, pki.ca)
    g = ep["dialogue"]
    assert ref["greeting"] == "220 " + GREETING
    assert g["greeting_code"] == 220 and g["greeting"] == GREETING
    assert g["hello_code"] == 211
    assert g["capabilities"] == ref["feat"]
    assert "AUTH TLS" in g["capabilities"]
    assert g["capabilities_tls"] == ref["feat_tls"]
    assert g["starttls_advertised"] is True and g["starttls_sent"] is True
    assert g["starttls_ok"] is True
    assert ref["auth"].startswith("234 ")
    assert g["starttls_code"] == 234
    assert g["starttls_reply"] == ref["auth"][4:] == "Proceed with negotiation."
    assert g["pipelined_bytes"] == 0


def test_transcript(run_json, pki, ftp_tls):
    ep = scan(run_json, pki, ftp_tls, "--starttls", "ftp").ep
    tr = [(t["dir"], t["text"]) for t in ep["transcript"]]
    assert tr[0] == ("S", "220 " + GREETING)
    assert texts(ep, "C") == ["FEAT", "AUTH TLS", "FEAT", "QUIT"]
    i = tr.index(("C", "AUTH TLS"))
    assert tr[i + 1] == ("S", "234 Proceed with negotiation.")
    assert ("S", "211-Features:") in tr[:i] and ("S", " AUTH TLS") in tr[:i]
    assert tr[i + 2] == ("C", "FEAT")
    assert tr[-1] == ("S", "221 Goodbye.")
    times = [t["t_ms"] for t in ep["transcript"]]
    assert times == sorted(times)


@pytest.mark.parametrize("fid", DIALOGUE_FINDINGS)
def test_tls_has_no_dialogue_finding(run_json, pki, ftp_tls, fid):
    """vsftpd with AUTH TLS: FEAT is the same inside TLS (a feature list,
    not an offer to start TLS again), nothing is pipelined."""
    ep = scan(run_json, pki, ftp_tls, "--starttls", "ftp").ep
    assert fid not in finding_ids(ep), finding(ep, fid)


def test_certificate_trusted(run_json, pki, ftp_tls):
    ep = scan(run_json, pki, ftp_tls, "--starttls", "ftp").ep
    assert ep["certificates"][0]["sha256"] == pki.leaf("good").info["sha256"]
    assert "cert-trusted" in finding_ids(ep)


# --------------------------------------------------------------------------
# 2. ssl_enable=NO


def test_notls_starttls_not_offered(run_json, pki, ftp_notls):
    s = scan(run_json, pki, ftp_notls, "--starttls", "ftp")
    ep = s.ep
    ref = ftplib_reference(ftp_notls, pki.ca)
    assert "AUTH TLS" not in ref["feat"]
    assert ref["auth"].startswith("530 ")
    assert s.rc == 1, s.err
    f = finding(ep, "starttls-not-offered")
    assert f is not None and f["severity"] == "high", finding_ids(ep)
    assert ref["auth"][4:] in f["detail"]
    g = ep["dialogue"]
    assert g["capabilities"] == ref["feat"]
    assert g["starttls_advertised"] is False and g["starttls_ok"] is False
    assert g["starttls_code"] == 530
    assert ep["tls"] is None and g["capabilities_tls"] is None
    assert texts(ep, "C") == ["FEAT", "AUTH TLS", "QUIT"]
    for fid in ("starttls-refused", "starttls-stripped", "cert-trusted"):
        assert fid not in finding_ids(ep)


# --------------------------------------------------------------------------
# 3. implicit TLS (990 style) and port/mode mismatches


def test_implicit_matches_s_client(run_json, pki, ftp_implicit, cipher_table):
    s = scan(run_json, pki, ftp_implicit, "--implicit")
    ref = s_client(ftp_implicit, pki.ca, name=NAME)
    ep = s.ep
    assert s.rc in (0, 1) and ep["errors"] == [], ep["errors"]
    tls = ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref.protocol, ref.cipher)
    assert tls["cipher"] == cipher_table[ref.cipher]["iana"]
    assert tls["group"] == s_client_group(ftp_implicit)
    assert tls["verify"]["code"] == ref.code == 0
    assert s.new_tls and (tls["version"], tls["cipher_openssl"]) in s.new_tls
    assert "port-mode-mismatch" not in finding_ids(ep)


def test_starttls_on_implicit_port(run_json, pki, ftp_implicit):
    rc, doc, err = _check(run_json, pki, ftp_implicit, "--starttls", "ftp",
                          extra=("--read-timeout", "2"))
    ep = endpoint(doc)
    f = finding(ep, "port-mode-mismatch")
    assert f is not None, (finding_ids(ep), ep["errors"])
    assert "mailtls check --implicit %s:%d" % (NAME, ftp_implicit.port) in f["fix"]


def test_implicit_on_auth_tls_port(run_json, pki, ftp_tls):
    """vsftpd greets "220 (vsFTPd 3.0.3)" in clear text: the advice must be
    the FTP dialogue, not SMTP's (both greet with 220)."""
    rc, doc, err = _check(run_json, pki, ftp_tls, "--implicit", extra=("--read-timeout", "2"))
    ep = endpoint(doc)
    assert rc == 3, err
    assert ep["tls"] is None
    f = finding(ep, "port-mode-mismatch")
    assert f is not None, finding_ids(ep)
    assert GREETING in f["detail"]
    assert "--starttls ftp %s:%d" % (NAME, ftp_tls.port) in f["fix"], f["fix"]


# --------------------------------------------------------------------------
# 4. a full scan over the AUTH TLS dialogue


def test_full_scan(run_json, pki, ftp_tls):
    rc, doc, err = _check(run_json, pki, ftp_tls, "--starttls", "ftp", quick=False)
    ep = endpoint(doc)
    quick = scan(run_json, pki, ftp_tls, "--starttls", "ftp").ep
    assert rc != 3, err
    assert ep["errors"] == [], ep["errors"]
    assert ep["stats"]["connections"] > 1
    for k in ("version", "cipher", "group"):
        assert ep["tls"][k] == quick["tls"][k], k
    for k in ("greeting", "capabilities", "capabilities_tls", "starttls_code"):
        assert ep["dialogue"][k] == quick["dialogue"][k], k
    offered = {p["name"]: p["offered"] for p in ep["protocols"]}
    for version, flag in OPENSSL_VERSION_FLAG.items():
        assert offered.get(version) == s_client_accepts(
            ftp_tls, "ftp", flag, "-cipher", "DEFAULT@SECLEVEL=0"), version
    for version in ("TLSv1.3", "TLSv1.2"):
        got = {c["openssl"] for c in ep["ciphers"] if c["protocol"] == version}
        assert got == s_client_suites(ftp_tls, "ftp", version), version
