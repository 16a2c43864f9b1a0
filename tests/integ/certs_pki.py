"""Certificates, OCSP responses, references and a legacy server for test_certs.py.

Everything is made with the openssl CLI in a temporary directory:

  root         "mailtls certs root" (EC P-256, self-signed, 10 years): the only
               CA the scans trust (--ca-file)
  inter        "mailtls certs intermediate" (RSA 2048), signed by root; it
               signs the LEAVES below (`openssl ca`, its own database) and
               the OCSP responses (`openssl ocsp -index ... -rsigner inter`)
  leaves       LEAVES (their validity ends are placed half a day away from a
               whole number of days, so days_left is exact whatever the time
               a test runs), plus "selfsigned", "underold" (under old_inter)
               and "legacy" (under legacy_root); "sct" embeds SCT_COUNT SCTs
  old_inter    an intermediate signed by root with SHA-1, 10 days left
  other_root   a root that signed nothing here (error 19 / 20)
  legacy_root  an RSA root self-signed with SHA-1

OCSP responses (DER, for `openssl s_server -status_file`): good, revoked and
unknown from `openssl ocsp`; stale (thisUpdate and nextUpdate in the past:
`openssl ocsp` refuses a non-positive -ndays, so a good response has its
three times rewritten and is signed again with the intermediate's key, which
`openssl ocsp -respin ... -CAfile` still verifies); trylater (a bare
OCSPResponse with responseStatus tryLater, RFC 6960 4.2.1).

NoRenegInfoServer: a TLS 1.2 server (TLS_RSA_WITH_AES_128_CBC_SHA, RFC 5246)
that completes real handshakes but never sends renegotiation_info (RFC 5746):
what a pre-2010 server does. OpenSSL cannot be told to leave it out, so the
handshake is written here; the RSA decryption and AES-CBC go through the
openssl CLI, the PRF and HMAC through the standard library.
"""

import datetime as dt
import hashlib
import hmac
import os
import re
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from conftest import OPENSSL, openssl

ROOT_CN = "mailtls certs root"
OTHER_ROOT_CN = "mailtls certs other root"
LEGACY_ROOT_CN = "mailtls certs legacy root"
INTER_CN = "mailtls certs intermediate"
ORG = "mailtls tests"

AIA_OCSP = "http://ocsp.mailtls.test/inter"
AIA_CA_ISSUERS = "http://pki.mailtls.test/inter.der"
CRL_URI = "http://pki.mailtls.test/inter.crl"

CNF = """\
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused

[ v3_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_inter ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1

[ leaf_wrong ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example, DNS:mx.wrong.example

[ leaf_staple ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
tlsfeature = status_request

[ leaf_aia ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, DNS:mail.localhost, IP:127.0.0.1
authorityInfoAccess = OCSP;URI:%(ocsp)s, caIssuers;URI:%(issuers)s
crlDistributionPoints = URI:%(crl)s

[ leaf_clientauth ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1

[ leaf_sct ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
1.3.6.1.4.1.11129.2.4.2 = DER:%(sct)s

[ leaf_self ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:localhost, IP:127.0.0.1

[ ca ]
default_ca = inter_ca
[ inter_ca ]
database = index.txt
new_certs_dir = newcerts
rand_serial = yes
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
preserve = yes
[ policy_any ]
organizationName = optional
commonName = supplied
"""

HALF_DAY = dt.timedelta(hours=12)
OLD_INTER_CN = "mailtls certs old intermediate"
SCT_COUNT = 2


def sct_list_der():
    """An embedded SCT list extension value (RFC 6962 3.3) holding
    SCT_COUNT syntactically valid v1 SCTs (made-up logs and signatures)."""
    scts = b""
    for i in range(SCT_COUNT):
        sig = bytes(range(64))
        sct = (b"\x00" + bytes([0xA0 + i]) * 32 + (1700000000000 + i).to_bytes(8, "big")
               + b"\x00\x00" + b"\x04\x03" + len(sig).to_bytes(2, "big") + sig)
        scts += len(sct).to_bytes(2, "big") + sct
    body = len(scts).to_bytes(2, "big") + scts
    n = len(body)
    der_len = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + \
        n.to_bytes((n.bit_length() + 7) // 8, "big")
    return (b"\x04" + der_len + body).hex().upper()

# name -> (key, extension section, CN, start (days from now), end (days from
#          now), signing digest). Keys: rsa2048 (shared by most leaves), rsa1024,
#          ec256. End offsets get HALF_DAY added (days_left exact).
LEAVES = {
    "valid": ("rsa2048", "leaf", "localhost", -1, 365, "sha256"),
    "expired": ("rsa2048", "leaf", "localhost", -90, -31, "sha256"),
    "justexpired": ("rsa2048", "leaf", "localhost", -30, -1, "sha256"),  # 12 h ago
    "notyet": ("rsa2048", "leaf", "localhost", 30, 90, "sha256"),
    "soon10": ("rsa2048", "leaf", "localhost", -1, 10, "sha256"),
    "soon20": ("rsa2048", "leaf", "localhost", -1, 20, "sha256"),
    "wrongname": ("rsa2048", "leaf_wrong", "wrong.example", -1, 365, "sha256"),
    "rsa1024": ("rsa1024", "leaf", "localhost", -1, 365, "sha256"),
    "sha1": ("rsa2048", "leaf", "localhost", -1, 365, "sha1"),
    "md5": ("rsa2048", "leaf", "localhost", -1, 365, "md5"),
    "ecdsa": ("ec256", "leaf", "localhost", -1, 365, "sha256"),
    "muststaple": ("rsa2048", "leaf_staple", "localhost", -1, 365, "sha256"),
    "aia": ("rsa2048", "leaf_aia", "localhost", -1, 365, "sha256"),
    "clientauth": ("rsa2048", "leaf_clientauth", "localhost", -1, 365, "sha256"),
    "sct": ("rsa2048", "leaf_sct", "localhost", -1, 365, "sha256"),
}


def gentime(t):
    return t.strftime("%Y%m%d%H%M%SZ")


def utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@dataclass
class Cert:
    """A leaf: its PEM, its key, what the server sends with it."""
    name: str
    cert: Path
    key: Path
    chain: Path = None      # intermediate(s) to send after it, or None
    fullchain: Path = None  # leaf + chain in one file (Postfix)


@dataclass
class CertsPki:
    dir: Path
    root: Path
    inter: Path
    inter_key: Path
    other_root: Path = None   # a CA that signed nothing here
    legacy_root: Path = None  # RSA root self-signed with SHA-1
    inter_root: Path = None   # intermediate + root: a chain that ends in the root
    old_inter: Path = None    # SHA-1 intermediate, 10 days left
    leaves: dict = field(default_factory=dict)

    def leaf(self, name):
        return self.leaves[name]

    # -- OCSP --------------------------------------------------------------

    def ocsp_response(self, name, status, out, ndays=1):
        """`openssl ocsp` response for leaf `name` saying `status`
        ("good", "revoked", "unknown"), signed by the intermediate, valid for
        `ndays` (None: without nextUpdate)."""
        leaf = self.leaf(name)
        serial = openssl("x509", "-in", leaf.cert, "-noout", "-serial").split("=", 1)[1].strip()
        subj = "/CN=localhost"
        exp = (utcnow() + dt.timedelta(days=365)).strftime("%y%m%d%H%M%SZ")
        idx = self.dir / ("ocsp-%s-%s.idx" % (name, status))
        if status == "good":
            idx.write_text("V\t%s\t\t%s\tunknown\t%s\n" % (exp, serial, subj))
        elif status == "revoked":
            rev = (utcnow() - dt.timedelta(days=2)).strftime("%y%m%d%H%M%SZ")
            idx.write_text("R\t%s\t%s,keyCompromise\t%s\tunknown\t%s\n" % (exp, rev, serial, subj))
        elif status == "unknown":
            idx.write_text("")
        else:
            raise ValueError(status)
        # ndays=None: no nextUpdate at all ("newer information is always available")
        days = ("-ndays", str(ndays)) if ndays is not None else ()
        openssl("ocsp", "-index", idx, "-rsigner", self.inter, "-rkey", self.inter_key,
                "-CA", self.inter, "-issuer", self.inter, "-cert", leaf.cert,
                "-respout", out, *days, cwd=self.dir)
        return Path(out)

    def ocsp_stale(self, name, out, this_days=-3, next_days=-1):
        """A good response whose producedAt/thisUpdate and nextUpdate lie in
        the past, signed again (sha256WithRSAEncryption, the intermediate)."""
        good = self.ocsp_response(name, "good", Path(out).with_suffix(".orig.der"))
        der = bytearray(good.read_bytes())
        # OCSPResponse > [0] > ResponseBytes > OCTET STRING > BasicOCSPResponse
        resp = der_children(der, 0)
        rb_items = der_children(der, der_content(der, resp[1]))  # OID, OCTET STRING
        basic_at = der_content(der, rb_items[1])
        basic = der_children(der, basic_at)                     # tbs, sigalg, sig, [0]
        tbs_start = basic[0]
        tbs_end = der_end(der, tbs_start)
        times = [m.start() for m in re.finditer(rb"\x18\x0f\d{14}Z", bytes(der[tbs_start:tbs_end]))]
        assert len(times) == 3, "producedAt, thisUpdate, nextUpdate expected"
        now = utcnow()
        stamps = [now + dt.timedelta(days=this_days)] * 2 + [now + dt.timedelta(days=next_days)]
        for off, t in zip(times, stamps):
            at = tbs_start + off + 2
            der[at:at + 15] = gentime(t).encode()
        tbs = self.dir / "stale-tbs.der"
        tbs.write_bytes(bytes(der[tbs_start:tbs_end]))
        sig = subprocess.run([OPENSSL, "dgst", "-sha256", "-sign", str(self.inter_key), str(tbs)],
                             capture_output=True, check=True).stdout
        sig_at = der_content(der, basic[2])
        assert der[sig_at] == 0 and der_end(der, basic[2]) - sig_at - 1 == len(sig)
        der[sig_at + 1:sig_at + 1 + len(sig)] = sig
        Path(out).write_bytes(bytes(der))
        return Path(out)


# -- minimal DER walking (definite lengths only) ----------------------------


def _hdr(der, at):
    """-> (content offset, content length) of the TLV at `at`."""
    n = der[at + 1]
    if n < 0x80:
        return at + 2, n
    k = n & 0x7F
    return at + 2 + k, int.from_bytes(der[at + 2:at + 2 + k], "big")


def der_content(der, at):
    return _hdr(der, at)[0]


def der_end(der, at):
    c, n = _hdr(der, at)
    return c + n


def der_children(der, at):
    """Offsets of the TLVs inside the constructed TLV at `at`."""
    c, n = _hdr(der, at)
    out, p = [], c
    while p < c + n:
        out.append(p)
        p = der_end(der, p)
    return out


OCSP_TRYLATER = bytes.fromhex("30030a0103")


def make_certs_pki(d):
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    (d / "openssl.cnf").write_text(CNF % {"ocsp": AIA_OCSP, "issuers": AIA_CA_ISSUERS,
                                          "crl": CRL_URI, "sct": sct_list_der()})
    (d / "index.txt").write_text("")
    (d / "index.txt.attr").write_text("unique_subject = no\n")
    (d / "newcerts").mkdir()
    cnf = str(d / "openssl.cnf")

    def run(*a):
        return openssl(*a, cwd=d)

    now = utcnow()
    run("req", "-x509", "-config", cnf, "-extensions", "v3_root", "-newkey", "ec",
        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "root.key",
        "-out", "root.pem", "-subj", "/O=%s/CN=%s" % (ORG, ROOT_CN), "-days", "3650")
    run("req", "-new", "-config", cnf, "-newkey", "rsa:2048", "-nodes", "-keyout", "inter.key",
        "-subj", "/O=%s/CN=%s" % (ORG, INTER_CN), "-out", "inter.csr")
    run("x509", "-req", "-in", "inter.csr", "-CA", "root.pem", "-CAkey", "root.key",
        "-set_serial", "0x1001", "-days", "1825", "-extfile", cnf, "-extensions", "v3_inter",
        "-sha256", "-out", "inter.pem")

    run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa2048.key")
    run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "rsa1024.key")
    run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec256.key")

    pki = CertsPki(d, d / "root.pem", d / "inter.pem", d / "inter.key")
    for name, (key, ext, cn, start, end, md) in LEAVES.items():
        run("req", "-new", "-config", cnf, "-key", key + ".key",
            "-subj", "/O=%s/CN=%s" % (ORG, cn), "-out", name + ".csr")
        run("ca", "-batch", "-config", cnf, "-cert", "inter.pem", "-keyfile", "inter.key",
            "-in", name + ".csr", "-out", name + ".pem", "-notext", "-extensions", ext,
            "-md", md, "-startdate", gentime(now + dt.timedelta(days=start)),
            "-enddate", gentime(now + dt.timedelta(days=end) + HALF_DAY))
        full = d / (name + "-full.pem")
        full.write_text((d / (name + ".pem")).read_text() + pki.inter.read_text())
        pki.leaves[name] = Cert(name, d / (name + ".pem"), d / (key + ".key"), pki.inter, full)

    run("req", "-x509", "-config", cnf, "-extensions", "leaf_self", "-key", "rsa2048.key",
        "-subj", "/O=%s/CN=localhost" % ORG, "-days", "365", "-out", "selfsigned.pem")
    pki.leaves["selfsigned"] = Cert("selfsigned", d / "selfsigned.pem", d / "rsa2048.key", None,
                                    d / "selfsigned.pem")

    # an intermediate signed with SHA-1 that expires in 10 days, and a leaf
    # under it (valid for a year, SHA-256)
    run("req", "-new", "-config", cnf, "-newkey", "rsa:2048", "-nodes", "-keyout",
        "old-inter.key", "-subj", "/O=%s/CN=%s" % (ORG, OLD_INTER_CN), "-out", "old-inter.csr")
    run("ca", "-batch", "-config", cnf, "-cert", "root.pem", "-keyfile", "root.key",
        "-in", "old-inter.csr", "-out", "old-inter.pem", "-notext", "-extensions", "v3_inter",
        "-md", "sha1", "-startdate", gentime(now - dt.timedelta(days=1)),
        "-enddate", gentime(now + dt.timedelta(days=10) + HALF_DAY))
    pki.old_inter = d / "old-inter.pem"
    run("req", "-new", "-config", cnf, "-key", "rsa2048.key", "-subj", "/O=%s/CN=localhost" % ORG,
        "-out", "underold.csr")
    run("ca", "-batch", "-config", cnf, "-cert", "old-inter.pem", "-keyfile", "old-inter.key",
        "-in", "underold.csr", "-out", "underold.pem", "-notext", "-extensions", "leaf",
        "-md", "sha256", "-startdate", gentime(now - dt.timedelta(days=1)),
        "-enddate", gentime(now + dt.timedelta(days=365) + HALF_DAY))
    pki.leaves["underold"] = Cert("underold", d / "underold.pem", d / "rsa2048.key",
                                  pki.old_inter, None)

    # a root that signed nothing here (trusting it only: error 19 or 20)
    run("req", "-x509", "-config", cnf, "-extensions", "v3_root", "-newkey", "ec",
        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "other-root.key",
        "-out", "other-root.pem", "-subj", "/O=%s/CN=%s" % (ORG, OTHER_ROOT_CN), "-days", "3650")
    pki.other_root = d / "other-root.pem"
    pki.inter_root = d / "inter-root.pem"
    pki.inter_root.write_text(pki.inter.read_text() + pki.root.read_text())

    # a root self-signed with SHA-1 (RSA) and a SHA-256 leaf under it: the
    # root's own signature is never checked, so it is no weakness
    run("req", "-x509", "-config", cnf, "-extensions", "v3_root", "-newkey", "rsa:2048",
        "-nodes", "-keyout", "legacy-root.key", "-out", "legacy-root.pem", "-sha1",
        "-subj", "/O=%s/CN=%s" % (ORG, LEGACY_ROOT_CN), "-days", "3650")
    pki.legacy_root = d / "legacy-root.pem"
    run("req", "-new", "-config", cnf, "-key", "rsa2048.key", "-subj", "/O=%s/CN=localhost" % ORG,
        "-out", "legacy.csr")
    run("x509", "-req", "-in", "legacy.csr", "-CA", "legacy-root.pem", "-CAkey", "legacy-root.key",
        "-set_serial", "0x0badc0de", "-days", "365", "-extfile", cnf, "-extensions", "leaf",
        "-sha256", "-out", "legacy.pem")
    pki.leaves["legacy"] = Cert("legacy", d / "legacy.pem", d / "rsa2048.key", pki.legacy_root,
                                None)
    return pki


# --------------------------------------------------------------------------
# what openssl says about a certificate


def x509_text(cert):
    return openssl("x509", "-in", cert, "-noout", "-text")


def x509_facts(cert):
    """Every certificates[] field, as the openssl CLI reports it."""
    out = openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha256", "-serial",
                  "-startdate", "-enddate", "-subject", "-issuer", "-nameopt", "RFC2253")
    kv = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    fp = next(v for k, v in kv.items() if k.lower().endswith("fingerprint"))

    def iso(ts):
        return dt.datetime.strptime(ts.strip(), "%b %d %H:%M:%S %Y %Z")

    nb, na = iso(kv["notBefore"]), iso(kv["notAfter"])
    text = x509_text(cert)
    m = re.search(r"Public-Key: \((\d+) bit\)", text)
    key_bits = int(m.group(1))
    m = re.search(r"Public Key Algorithm: (\S+)", text)
    key_type = {"rsaEncryption": "RSA", "id-ecPublicKey": "EC"}[m.group(1)]
    sig_alg = re.search(r"^\s*Signature Algorithm: (\S+)", text, re.M).group(1)
    m = re.search(r"NIST CURVE: (\S+)", text)
    key = "RSA %d" % key_bits if key_type == "RSA" else "EC %s" % m.group(1)

    san = []
    m = re.search(r"X509v3 Subject Alternative Name:.*?\n\s*(.*)\n", text)
    if m:
        for item in m.group(1).split(", "):
            san.append(item.replace("IP Address:", "IP:").strip())
    ocsp = re.findall(r"OCSP - URI:(\S+)", text)
    issuers = re.findall(r"CA Issuers - URI:(\S+)", text)
    crl = []
    m = re.search(r"X509v3 CRL Distribution Points:(.*?)(?:\n\s*X509v3|\n\s*Signature Algorithm)",
                  text, re.S)
    if m:
        crl = re.findall(r"URI:(\S+)", m.group(1))
    must = bool(re.search(r"TLS Feature:\s*\n\s*status_request\b", text))
    scts = len(re.findall(r"Signed Certificate Timestamp:", text))

    pub = subprocess.run([OPENSSL, "x509", "-in", str(cert), "-noout", "-pubkey"],
                         capture_output=True, check=True).stdout
    der = subprocess.run([OPENSSL, "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True).stdout
    spki = subprocess.run(["sha256sum"], input=der, capture_output=True,
                          check=True).stdout.decode().split()[0]
    return {
        "subject": kv["subject"].strip(),
        "issuer": kv["issuer"].strip(),
        "serial": kv["serial"].strip().upper(),
        "not_before": nb.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_after": na.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_after_dt": na.replace(tzinfo=dt.timezone.utc),
        "key": key,
        "key_type": key_type,
        "key_bits": key_bits,
        "sig_alg": sig_alg,
        "sha256": fp.strip().upper(),
        "spki_sha256": spki,
        "san": san,
        "ocsp_uris": ocsp,
        "ca_issuers": issuers,
        "crl_uris": crl,
        "must_staple": must,
        "sct_count": scts,
        "self_signed": kv["subject"].strip() == kv["issuer"].strip(),
    }


def pem_of(cert):
    """The certificate re-encoded by openssl (canonical PEM)."""
    return openssl("x509", "-in", cert)


# --------------------------------------------------------------------------
# openssl s_client as the reference


_VERIFY_ERR = re.compile(r"^verify error:num=(\d+):(.*)$")
_DEPTH = re.compile(r"^depth=(\d+)")
_RETURN_CODE = re.compile(r"^\s*Verify return code: (\d+) \((.*)\)\s*$", re.M)


@dataclass
class Ref:
    code: int
    message: str
    errors: list     # every (depth, code) in order, when not stopping
    out: str         # stdout of the run that did not stop


def s_client_cmd(hostport, ca, name="localhost", starttls=None, extra=()):
    argv = [OPENSSL, "s_client", "-connect", hostport, "-CAfile", str(ca), "-servername", name,
            "-verify_hostname", name]
    if starttls:
        argv += ["-starttls", starttls]
    return argv + [str(a) for a in extra]


def s_client_run(hostport, ca, name="localhost", starttls=None, extra=(), stdin=b"",
                 timeout=30):
    p = subprocess.run(s_client_cmd(hostport, ca, name, starttls, extra), input=stdin,
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def _errors(text):
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


def s_client_verify(hostport, ca, name="localhost", starttls=None, extra=()):
    """`openssl s_client -verify_return_error -verify_hostname NAME` (the code),
    and once more without -verify_return_error (every error, the output)."""
    _, out, err = s_client_run(hostport, ca, name, starttls,
                               ("-verify_return_error",) + tuple(extra))
    first = _errors(err + "\n" + out)
    m = _RETURN_CODE.search(out)
    if first:
        code, message = first[0][1], first[0][2]
    else:
        assert m, "s_client printed no verify result:\n" + out + err
        code, message = int(m.group(1)), m.group(2)
    if m:
        assert int(m.group(1)) == code
    _, out, err = s_client_run(hostport, ca, name, starttls, extra)
    return Ref(code, message, [(d, c) for d, c, _ in _errors(err + "\n" + out)], out)


def s_client_leaf_sha256(hostport, ca, name="localhost", starttls=None, extra=()):
    """SHA-256 fingerprint of the leaf s_client receives with these options."""
    _, out, _ = s_client_run(hostport, ca, name, starttls, extra)
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", out, re.S)
    assert m, out
    fp = subprocess.run([OPENSSL, "x509", "-noout", "-fingerprint", "-sha256"],
                        input=m.group(0).encode(), capture_output=True, check=True).stdout
    return fp.decode().split("=", 1)[1].strip().upper()


# --------------------------------------------------------------------------
# a TLS 1.2 server without RFC 5746


def _p_sha256(secret, seed, n):
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, hashlib.sha256).digest()
        out += hmac.new(secret, a + seed, hashlib.sha256).digest()
    return out[:n]


def prf(secret, label, seed, n):
    return _p_sha256(secret, label + seed, n)


def _aes_cbc(key, iv, data, decrypt):
    argv = [OPENSSL, "enc", "-aes-128-cbc", "-nopad", "-K", key.hex(), "-iv", iv.hex()]
    if decrypt:
        argv.append("-d")
    return subprocess.run(argv, input=data, capture_output=True, check=True).stdout


class _Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def record(self):
        while len(self.buf) < 5 or len(self.buf) < 5 + struct.unpack(">H", self.buf[3:5])[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        n = struct.unpack(">H", self.buf[3:5])[0]
        rec, self.buf = self.buf[:5 + n], self.buf[5 + n:]
        return rec[0], rec[5:]

    def send(self, ctype, payload):
        self.sock.sendall(struct.pack(">BHH", ctype, 0x0303, len(payload)) + payload)


def _hs(mtype, body):
    return struct.pack(">B", mtype) + len(body).to_bytes(3, "big") + body


class NoRenegInfoServer:
    """TLS 1.2 with TLS_RSA_WITH_AES_128_CBC_SHA only, no extensions at all in
    its ServerHello (so no renegotiation_info, RFC 5746 3.6), chain = leaf and
    intermediate. .port, .handshakes (completed), .hellos (ClientHellos seen),
    .errors; stop()."""

    SUITE = 0x002F

    def __init__(self, cert, key, chain=()):
        self.key = Path(key)
        self.ders = [subprocess.run([OPENSSL, "x509", "-in", str(c), "-outform", "der"],
                                    capture_output=True, check=True).stdout
                     for c in [cert] + list(chain)]
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hostport = "127.0.0.1:%d" % self.port
        self.handshakes = 0
        self.hellos = []
        self.errors = []
        self._stop = False
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def stop(self):
        self._stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _serve(self, sock):
        sock.settimeout(10)
        try:
            self._handshake(_Conn(sock))
        except Exception as e:  # a scanner's odd hello: just close
            self.errors.append(repr(e))
        finally:
            sock.close()

    def _handshake(self, c):
        hs = b""
        while len(hs) < 4 or len(hs) < 4 + int.from_bytes(hs[1:4], "big"):
            ctype, frag = c.record()
            if ctype != 22:
                raise ValueError("expected a handshake record, got %d" % ctype)
            hs += frag
        n = 4 + int.from_bytes(hs[1:4], "big")
        client_hello, body = hs[:n], hs[4:n]
        if client_hello[0] != 1:
            raise ValueError("not a ClientHello")
        client_random = body[2:34]
        sid_len = body[34]
        p = 35 + sid_len
        nsuites = struct.unpack(">H", body[p:p + 2])[0]
        suites = [struct.unpack(">H", body[p + 2 + i:p + 4 + i])[0] for i in range(0, nsuites, 2)]
        self.hellos.append(suites)
        if self.SUITE not in suites:
            c.send(21, b"\x02\x28")  # fatal handshake_failure
            return
        server_random = os.urandom(32)
        transcript = client_hello
        sh = _hs(2, b"\x03\x03" + server_random + b"\x00" + struct.pack(">H", self.SUITE) + b"\x00")
        certs = b"".join(len(d).to_bytes(3, "big") + d for d in self.ders)
        cert = _hs(11, len(certs).to_bytes(3, "big") + certs)
        done = _hs(14, b"")
        flight = sh + cert + done
        transcript += flight
        c.send(22, flight)

        ctype, frag = c.record()
        if ctype != 22 or frag[0] != 16:
            raise ValueError("expected ClientKeyExchange")
        cke = frag[:4 + int.from_bytes(frag[1:4], "big")]
        transcript += cke
        enc = cke[6:]
        pms = subprocess.run([OPENSSL, "pkeyutl", "-decrypt", "-inkey", str(self.key),
                              "-pkeyopt", "rsa_padding_mode:pkcs1"], input=enc,
                             capture_output=True, check=True).stdout
        ms = prf(pms, b"master secret", client_random + server_random, 48)
        kb = prf(ms, b"key expansion", server_random + client_random, 2 * 20 + 2 * 16)
        c_mac, s_mac, c_key, s_key = kb[:20], kb[20:40], kb[40:56], kb[56:72]

        ctype, frag = c.record()
        if ctype != 20:
            raise ValueError("expected ChangeCipherSpec")
        ctype, frag = c.record()
        plain = _aes_cbc(c_key, frag[:16], frag[16:], decrypt=True)
        plain = plain[:len(plain) - plain[-1] - 1]
        fin, mac = plain[:-20], plain[-20:]
        want_mac = hmac.new(c_mac, struct.pack(">QBHH", 0, 22, 0x0303, len(fin)) + fin,
                            hashlib.sha1).digest()
        if mac != want_mac:
            raise ValueError("client Finished: bad MAC")
        want = prf(ms, b"client finished", hashlib.sha256(transcript).digest(), 12)
        if fin != _hs(20, want):
            raise ValueError("client Finished: bad verify_data")
        transcript += fin

        c.send(20, b"\x01")
        sfin = _hs(20, prf(ms, b"server finished", hashlib.sha256(transcript).digest(), 12))
        mac = hmac.new(s_mac, struct.pack(">QBHH", 0, 22, 0x0303, len(sfin)) + sfin,
                       hashlib.sha1).digest()
        data = sfin + mac
        pad = 15 - len(data) % 16
        data += bytes([pad]) * (pad + 1)
        iv = os.urandom(16)
        c.send(22, iv + _aes_cbc(s_key, iv, data, decrypt=False))
        self.handshakes += 1
        # Wait for the client to go (close_notify or EOF).
        try:
            while True:
                c.record()
        except (EOFError, OSError):
            pass


# --------------------------------------------------------------------------
# more references from s_client


def s_client_status(hostport, ca, name="localhost", starttls=None, extra=()):
    """The stapled OCSP response as `s_client -status` prints it ->
    {"stapled", "status", "cert_status", "this_update", "next_update"}."""
    _, out, _ = s_client_run(hostport, ca, name, starttls, ("-status",) + tuple(extra))
    res = {"stapled": "OCSP response: no response sent" not in out}
    assert res["stapled"] or "OCSP response: no response sent" in out, out
    m = re.search(r"OCSP Response Status: (\w+)", out)
    res["status"] = m and m.group(1)
    m = re.search(r"Cert Status: (\w+)", out)
    res["cert_status"] = m and m.group(1)

    def when(label):
        m = re.search(label + r": (\w{3} +\d+ \d\d:\d\d:\d\d \d{4}) GMT", out)
        return m and dt.datetime.strptime(m.group(1), "%b %d %H:%M:%S %Y").replace(
            tzinfo=dt.timezone.utc)

    res["this_update"], res["next_update"] = when("This Update"), when("Next Update")
    return res


def s_client_resumes(hostport, ca, workdir, ticket, name="localhost", starttls=None):
    """TLS 1.2 resumption as s_client sees it: a first connection saves its
    session (-sess_out), a second offers it (-sess_in). ticket=False runs both
    with -no_ticket (session ID only). -> (ticket issued, second one reused)."""
    sess = Path(workdir) / ("sess-%d-%s.pem" % (os.getpid(), "t" if ticket else "id"))
    opts = ("-tls1_2",) + (() if ticket else ("-no_ticket",))
    _, out1, err1 = s_client_run(hostport, ca, name, starttls, opts + ("-sess_out", sess))
    issued = "TLS session ticket lifetime hint" in out1
    _, out2, err2 = s_client_run(hostport, ca, name, starttls, opts + ("-sess_in", sess))
    reused = re.search(r"^Reused, TLSv1\.2", out2, re.M) is not None
    assert reused or re.search(r"^New, TLSv1\.2", out2, re.M), out2 + err2
    return issued, reused


def s_client_renegotiates(hostport, ca, name="localhost", starttls=None, extra=()):
    """Client-initiated renegotiation as s_client does it (TLS 1.2, the "R"
    command): True when the second handshake completed (the chain is
    verified again), False when the server refused."""
    p = subprocess.Popen(s_client_cmd(hostport, ca, name, starttls, ("-tls1_2",) + tuple(extra)),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1.0)
        p.stdin.write(b"R\n")
        p.stdin.flush()
        time.sleep(1.5)
        p.stdin.close()
        p.stdin = None
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err = err.decode(errors="replace")
    assert "RENEGOTIATING" in err, err
    after = err.split("RENEGOTIATING", 1)[1]
    return "depth=0" in after
