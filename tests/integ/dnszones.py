"""DNS zones, signed or not, served by a throw-away NSD on loopback.

For `mailtls domain` tests: every zone is its own apex (good.test,
plain.test, ...) with no signed parent, so each signed zone brings its own
trust anchor. Nothing here touches /etc/nsd or port 53:

  z = Zone("good.test", signed=True)     # apex SOA, NS, ns A added
  z.add("@ MX 10 mx", "mx A 127.0.0.1")  # zone-file lines, $ORIGIN good.test.
  z.add_tlsa("_25._tcp.mx", 3, 1, 1, tlsa_311(cert))
  srv = NsdServer([z, Zone("plain.test"), Zone("bogus.test", signed=True, bogus=True)])
  srv.port, srv.resolver ("127.0.0.1@PORT"), srv.trust_anchor_file
  srv.stop()

Signing: ldns-keygen -a ECDSAP256SHA256, a KSK (-k) and a ZSK per zone,
ldns-signzone (NSEC, or NSEC3 with nsec3=True) with signatures valid from a
day ago to 30 days ahead.

Bogus, two ways:
  Zone(..., signed=True, bogus=True)  signed with inception and expiration
      in 2020: every RRset, DNSKEY included, fails ("signature expired ...
      while building chain of trust"); the MX answer is bogus.
  z.break_rrsig(owner, rrtype)        after signing, one character in the
      middle of that RRset's RRSIG signature is changed: that RRset alone
      is bogus ("ECDSA signature verification failed"), the rest secure.

Trust anchors: srv.trust_anchor_file holds the DS of every signed zone's
KSK (bogus ones included), srv.trust_anchor_dnskey_file the KSK DNSKEYs;
one RR per line, zone-file format, what ub_ctx_add_ta_file reads.

What a validating libunbound needs to use this NSD (checked by ub_query, a
small C program compiled against libunbound, in test_domain_fixtures.py):
  ub_ctx_set_fwd(ctx, "127.0.0.1@PORT")      forward mode works: NSD answers
      RD=1 queries authoritatively, DNSKEY lookups go the same way; a
      stub per zone (ub_ctx_set_stub) works too but is not needed
  ub_ctx_add_ta_file(ctx, srv.trust_anchor_file)
  ub_ctx_set_option(ctx, "local-zone:", "test. transparent")
      else libunbound answers NXDOMAIN for all of .test itself (a default
      RFC 6761 local zone; "test. nodefault" is accepted by set_option
      but has no effect, it only works from a config file). Zones under another name (good.example)
      need no such option.
  do-not-query-localhost: libunbound's default is already "no" (unlike
      the unbound daemon's); set to "yes" nothing reaches 127.0.0.1 and
      every answer is SERVFAIL.
Then a signed zone answers secure, an unsigned one insecure (no anchor
covers it), a bogus one bogus (with data: rcode 0, havedata 1, bogus 1).
"""

import atexit
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from procutil import live_pids

NSD = shutil.which("nsd") or "/usr/sbin/nsd"
NSD_CHECKCONF = shutil.which("nsd-checkconf") or "/usr/sbin/nsd-checkconf"
LDNS_KEYGEN = shutil.which("ldns-keygen") or "/usr/bin/ldns-keygen"
LDNS_SIGNZONE = shutil.which("ldns-signzone") or "/usr/bin/ldns-signzone"
OPENSSL = shutil.which("openssl") or "openssl"

ALGORITHM = "ECDSAP256SHA256"
TTL = 300

# What mailtls must set on its libunbound context to validate these zones
# through NsdServer (see the module docstring).
UB_TEST_OPTIONS = (("local-zone:", "test. transparent"),)


class DnsFixtureError(RuntimeError):
    pass


def available():
    """None if zones can be signed and served here, else the reason."""
    for exe, pkg in ((NSD, "nsd"), (NSD_CHECKCONF, "nsd"), (LDNS_KEYGEN, "ldnsutils"),
                     (LDNS_SIGNZONE, "ldnsutils")):
        if not os.access(exe, os.X_OK):
            return "%s is not installed (package %s; scripts/install-deps)" % (exe, pkg)
    return None


def _run(argv, cwd=None, timeout=60):
    p = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise DnsFixtureError("%s failed (exit %d):\n%s%s" % (
            " ".join(map(str, argv)), p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace")))
    return p.stdout.decode(errors="replace")


def _stamp(t):
    return t.strftime("%Y%m%d%H%M%S")


def _strip_comment(line):
    """Drop a trailing ;comment (none of our RR types has ';' in its data)."""
    return line.split(";", 1)[0].rstrip()


# --------------------------------------------------------------------------
# TLSA data


def _openssl_der(args):
    p = subprocess.run([OPENSSL] + [str(a) for a in args], capture_output=True, timeout=60)
    if p.returncode != 0:
        raise DnsFixtureError("openssl %s failed:\n%s" % (" ".join(map(str, args)),
                                                          p.stderr.decode(errors="replace")))
    return p.stdout


def cert_der(cert_pem):
    """DER of the first certificate in a PEM file."""
    return _openssl_der(["x509", "-in", cert_pem, "-outform", "DER"])


def spki_der(cert_pem):
    """DER SubjectPublicKeyInfo of a PEM certificate (x509 -pubkey | pkey -pubin)."""
    pem = _openssl_der(["x509", "-in", cert_pem, "-noout", "-pubkey"])
    p = subprocess.run([OPENSSL, "pkey", "-pubin", "-outform", "DER"], input=pem,
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise DnsFixtureError("openssl pkey failed:\n" + p.stderr.decode(errors="replace"))
    return p.stdout


def tlsa_data(cert_pem, selector, mtype):
    """Hex TLSA certificate association data: selector 0 (whole cert) or
    1 (SPKI), matching type 0 (full), 1 (SHA-256) or 2 (SHA-512)."""
    der = cert_der(cert_pem) if selector == 0 else spki_der(cert_pem)
    if mtype == 0:
        return der.hex()
    if mtype == 1:
        return hashlib.sha256(der).hexdigest()
    if mtype == 2:
        return hashlib.sha512(der).hexdigest()
    raise ValueError("matching type %r" % (mtype,))


def tlsa_311(cert_pem):
    """Hex SHA-256 of the certificate's SubjectPublicKeyInfo (TLSA 3 1 1 / 2 1 1)."""
    return tlsa_data(cert_pem, 1, 1)


# --------------------------------------------------------------------------
# zones


class Zone:
    """One zone apex. Lines given to add() are zone-file text read with
    $ORIGIN NAME. and $TTL 300, so "@", relative owners and omitted TTLs
    work. The apex SOA and NS (ns.NAME, A 127.0.0.1) are added here.

    signed      sign with a fresh KSK + ZSK (ECDSAP256SHA256)
    bogus       signed with validity in 2020: validation fails for every RRset
    nsec3       NSEC3 instead of NSEC
    """

    def __init__(self, name, signed=False, bogus=False, nsec3=False, ttl=TTL):
        self.name = name.rstrip(".").lower()
        self.signed = signed or bogus
        self.bogus = bogus
        self.nsec3 = nsec3
        self.ttl = ttl
        self.lines = []
        self.broken = []          # (owner fqdn, type) whose RRSIG is corrupted
        self.ds = []              # KSK DS lines (after build, signed zones)
        self.dnskey = []          # KSK DNSKEY lines (after build, signed zones)
        self.file = None          # the zone file NSD serves (after build)

    @property
    def origin(self):
        return self.name + "."

    def fqdn(self, owner):
        owner = owner.strip()
        if owner == "@":
            return self.origin
        if owner.endswith("."):
            return owner.lower()
        return ("%s.%s" % (owner, self.origin)).lower()

    def add(self, *lines):
        """Add zone-file lines (each argument may hold several)."""
        for text in lines:
            self.lines.extend(l for l in text.splitlines() if l.strip())
        return self

    def add_tlsa(self, owner, usage, selector, mtype, data):
        """owner like "_25._tcp.mx" (relative) or "_25._tcp.mx.good.test."."""
        self.lines.append("%s %d IN TLSA %d %d %d %s" % (owner, self.ttl, usage, selector,
                                                         mtype, data))
        return self

    def break_rrsig(self, owner, rrtype):
        """After signing, corrupt the RRSIG over (owner, rrtype): that RRset
        alone validates as bogus."""
        if not self.signed:
            raise ValueError("break_rrsig on unsigned zone %s" % self.name)
        self.broken.append((self.fqdn(owner), rrtype.upper()))
        return self

    def text(self):
        o = self.origin
        head = ["$ORIGIN " + o, "$TTL %d" % self.ttl,
                "@ IN SOA ns.%s hostmaster.%s 1 3600 900 604800 %d" % (o, o, self.ttl),
                "@ IN NS ns.%s" % o,
                "ns IN A 127.0.0.1"]
        return "\n".join(head + self.lines) + "\n"

    def build(self, directory):
        """Write (and sign) the zone under directory; -> the file to serve."""
        d = Path(directory) / self.name
        d.mkdir(parents=True, exist_ok=True)
        src = d / (self.name + ".zone")
        src.write_text(self.text())
        if not self.signed:
            self.file = src
            return src
        ksk = _run([LDNS_KEYGEN, "-a", ALGORITHM, "-k", self.name], cwd=d).strip()
        zsk = _run([LDNS_KEYGEN, "-a", ALGORITHM, self.name], cwd=d).strip()
        if self.bogus:
            inception, expiration = "20200101000000", "20200201000000"
        else:
            now = dt.datetime.now(dt.timezone.utc)
            inception = _stamp(now - dt.timedelta(days=1))
            expiration = _stamp(now + dt.timedelta(days=30))
        signed = d / (self.name + ".zone.signed")
        argv = [LDNS_SIGNZONE, "-o", self.origin, "-i", inception, "-e", expiration,
                "-f", signed]
        if self.nsec3:
            argv += ["-n", "-t", "0"]
        _run(argv + [src, zsk, ksk], cwd=d)
        ds = [_strip_comment(l) for l in (d / (ksk + ".ds")).read_text().splitlines()]
        key = [_strip_comment(l) for l in (d / (ksk + ".key")).read_text().splitlines()]
        self.ds = [self._with_ttl(l) for l in ds if l and not l.startswith(";")]
        self.dnskey = [self._with_ttl(l) for l in key if l and not l.startswith(";")]
        if self.broken:
            self._corrupt(signed)
        self.file = signed
        return signed

    def _with_ttl(self, line):
        """"good.test. IN DS ..." (ldns-keygen) -> "good.test.\t300\tIN\tDS\t..."."""
        f = line.split()
        if len(f) > 1 and f[1].upper() == "IN":
            f.insert(1, str(self.ttl))
        return "\t".join(f[:4]) + "\t" + " ".join(f[4:])

    def _corrupt(self, path):
        lines = path.read_text().splitlines()
        todo = set(self.broken)
        for i, line in enumerate(lines):
            f = line.split()
            # owner TTL IN RRSIG TYPE alg labels ottl exp inc tag signer SIG
            if len(f) >= 13 and f[3] == "RRSIG" and (f[0].lower(), f[4].upper()) in todo:
                sig = f[12]
                k = len(sig) // 2
                f[12] = sig[:k] + ("A" if sig[k] != "A" else "B") + sig[k + 1:]
                lines[i] = "\t".join(f[:12] + [f[12]] + f[13:])
                todo.discard((f[0].lower(), f[4].upper()))
        if todo:
            raise DnsFixtureError("no RRSIG to break for %s in %s" % (sorted(todo), self.name))
        path.write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------
# NSD


def free_port(host="127.0.0.1"):
    """A port free for both UDP and TCP right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((host, 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind((host, port))
                except OSError:
                    continue
                return port
    raise DnsFixtureError("no free UDP+TCP port")


def dns_query(host, port, name, qtype=6, tcp=False, timeout=1.0):
    """One raw query (RD=0); -> (rcode, aa flag, answer count) or None."""
    qid = int.from_bytes(os.urandom(2), "big")
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", qtype, 1)
    try:
        if tcp:
            with socket.create_connection((host, port), timeout=timeout) as s:
                s.sendall(struct.pack(">H", len(q)) + q)
                buf = b""
                while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                    chunk = s.recv(65535)
                    if not chunk:
                        return None
                    buf += chunk
                resp = buf[2:]
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(timeout)
                s.sendto(q, (host, port))
                resp = s.recv(65535)
    except OSError:
        return None
    if len(resp) < 12:
        return None
    rid, flags, _, an, _, _ = struct.unpack(">HHHHHH", resp[:12])
    if rid != qid:
        return None
    return flags & 0xF, bool(flags & 0x0400), an


def group_members(pgid):
    """Live (non-zombie) processes of process group pgid."""
    return live_pids(2, pgid)


def reap_group(pgid, deadline_s=5.0):
    """Wait for the rest of a server's process group (NSD's server and xfrd
    children, nginx's workers) to exit after its leader did; SIGKILL the
    group if it lingers."""
    end = time.monotonic() + deadline_s
    while group_members(pgid):
        if time.monotonic() > end:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        time.sleep(0.05)


class NsdServer:
    """NSD on 127.0.0.1:port (UDP and TCP) serving `zones`, in its own
    directory (default: a fresh temporary one, removed by stop()).

    port, resolver ("127.0.0.1@PORT"), trust_anchor_file (DS lines),
    trust_anchor_dnskey_file (KSK DNSKEY lines), zones (name -> Zone),
    log() (NSD's log), stop(). Also a context manager."""

    host = "127.0.0.1"

    def __init__(self, zones, workdir=None, verbosity=1):
        why = available()
        if why:
            raise DnsFixtureError(why)
        self.zones = {}
        for z in zones:
            if z.name in self.zones:
                raise ValueError("zone %s given twice" % z.name)
            self.zones[z.name] = z
        self._own_dir = workdir is None
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="mailtls-nsd-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.verbosity = verbosity
        self.proc = None
        self.port = None
        self._out = None
        atexit.register(self.stop)
        try:
            for z in self.zones.values():
                z.build(self.dir / "zones")
            self._write_anchors()
            self._start()
        except BaseException:
            self.stop()
            raise

    @property
    def resolver(self):
        return "%s@%d" % (self.host, self.port)

    @property
    def conf(self):
        return self.dir / "nsd.conf"

    def log(self):
        parts = []
        for f in (self.dir / "nsd.log", self.dir / "nsd.out"):
            try:
                parts.append(f.read_text(errors="replace"))
            except OSError:
                pass
        return "".join(parts) or "(no NSD log)"

    def _write_anchors(self):
        ds, keys = [], []
        for z in self.zones.values():
            ds += z.ds
            keys += z.dnskey
        self.trust_anchor_file = self.dir / "trust-anchors.ds"
        self.trust_anchor_dnskey_file = self.dir / "trust-anchors.dnskey"
        self.trust_anchor_file.write_text("".join(l + "\n" for l in ds))
        self.trust_anchor_dnskey_file.write_text("".join(l + "\n" for l in keys))

    def _config(self):
        d = self.dir
        out = ["server:",
               '  ip-address: %s@%d' % (self.host, self.port),
               "  port: %d" % self.port,
               "  do-ip6: no",
               '  username: ""',
               '  chroot: ""',
               '  zonesdir: "%s"' % (d / "zones"),
               '  pidfile: "%s"' % (d / "nsd.pid"),
               '  logfile: "%s"' % (d / "nsd.log"),
               '  xfrdfile: "%s"' % (d / "xfrd.state"),
               '  xfrdir: "%s"' % d,
               '  zonelistfile: "%s"' % (d / "zone.list"),
               "  server-count: 1",
               "  verbosity: %d" % self.verbosity,
               "  hide-version: yes",
               "  reuseport: no",
               "remote-control:",
               "  control-enable: no"]
        for z in self.zones.values():
            out += ["zone:", '  name: "%s"' % z.name, '  zonefile: "%s"' % z.file]
        return "\n".join(out) + "\n"

    def _start(self):
        last = ""
        for _ in range(5):
            self.port = free_port(self.host)
            for f in ("nsd.log", "nsd.pid", "xfrd.state", "zone.list"):
                try:
                    (self.dir / f).unlink()
                except FileNotFoundError:
                    pass
            self.conf.write_text(self._config())
            _run([NSD_CHECKCONF, self.conf])
            self._out = open(self.dir / "nsd.out", "wb")
            self.proc = subprocess.Popen([NSD, "-d", "-c", str(self.conf)],
                                         stdin=subprocess.DEVNULL, stdout=self._out,
                                         stderr=subprocess.STDOUT, cwd=self.dir,
                                         start_new_session=True)
            if self._wait_ready(10.0):
                return
            last = self.log()
            self._kill()
        raise DnsFixtureError("NSD did not start:\n" + last)

    def _wait_ready(self, deadline_s):
        """Every zone's SOA answered with AA, over UDP and TCP."""
        end = time.monotonic() + deadline_s
        names = list(self.zones) or ["."]
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            ok = True
            for n in names:
                for tcp in (False, True):
                    r = dns_query(self.host, self.port, n, 6, tcp=tcp, timeout=0.5)
                    if not self.zones:
                        ok = ok and r is not None
                    elif r is None or r[0] != 0 or not r[1] or r[2] < 1:
                        ok = False
            if ok:
                return True
            time.sleep(0.05)
        return False

    def _kill(self):
        p, self.proc = self.proc, None
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        if p is not None:
            reap_group(p.pid)
        if self._out is not None:
            self._out.close()
            self._out = None

    def stop(self, keep_dir=False):
        self._kill()
        if self._own_dir and not keep_dir and self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------
# a validating libunbound, as the reference


UB_QUERY_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound.h>

/* ub_query fwd|stub ADDR TAFILE|- NAME TYPE [OPT=VALUE | stub=ZONE]...
 * prints one JSON object. */
static void jstr(const char *s) {
    putchar('"');
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: ub_query fwd|stub ADDR TA NAME TYPE [OPT=V]...\n"); return 2; }
    struct ub_ctx *ctx = ub_ctx_create();
    int r, fwd = !strcmp(argv[1], "fwd");
    if (!ctx) { printf("{\"error\": \"ub_ctx_create\"}\n"); return 1; }
    for (int i = 6; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) continue;
        *eq = 0;
        if (!strcmp(argv[i], "stub"))
            r = ub_ctx_set_stub(ctx, eq + 1, argv[2], 0);
        else
            r = ub_ctx_set_option(ctx, argv[i], eq + 1);
        if (r) { printf("{\"error\": "); jstr(ub_strerror(r)); printf(", \"option\": "); jstr(argv[i]); printf("}\n"); return 1; }
    }
    if (fwd && (r = ub_ctx_set_fwd(ctx, argv[2]))) { printf("{\"error\": "); jstr(ub_strerror(r)); printf("}\n"); return 1; }
    if (strcmp(argv[3], "-") && (r = ub_ctx_add_ta_file(ctx, argv[3]))) { printf("{\"error\": "); jstr(ub_strerror(r)); printf("}\n"); return 1; }
    struct ub_result *res;
    if ((r = ub_resolve(ctx, argv[4], atoi(argv[5]), 1, &res))) { printf("{\"error\": "); jstr(ub_strerror(r)); printf("}\n"); return 1; }
    printf("{\"status\": \"%s\", \"rcode\": %d, \"havedata\": %d, \"nxdomain\": %d, \"why_bogus\": ",
           res->bogus ? "bogus" : res->secure ? "secure" : "insecure", res->rcode, res->havedata, res->nxdomain);
    jstr(res->why_bogus);
    printf(", \"data\": [");
    for (int i = 0; res->data && res->data[i]; i++) {
        printf("%s\"", i ? ", " : "");
        for (int j = 0; j < res->len[i]; j++) printf("%02x", (unsigned char)res->data[i][j]);
        putchar('"');
    }
    printf("]}\n");
    ub_resolve_free(res);
    ub_ctx_delete(ctx);
    return 0;
}
"""

RRTYPES = {"A": 1, "NS": 2, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "DS": 43,
           "DNSKEY": 48, "TLSA": 52}

_ub_query_exe = None


def ub_query_unavailable():
    """None if ub_query() can be built (gcc, pkg-config, libunbound-dev), else why."""
    try:
        _ub_query_build()
    except DnsFixtureError as e:
        return str(e)
    return None


def _ub_query_build():
    global _ub_query_exe
    if isinstance(_ub_query_exe, DnsFixtureError):
        raise _ub_query_exe
    if _ub_query_exe is not None:
        return _ub_query_exe
    cc = shutil.which("cc") or shutil.which("gcc")
    pkgconf = shutil.which("pkg-config")
    if not cc or not pkgconf:
        _ub_query_exe = DnsFixtureError("no C compiler or pkg-config to build ub_query")
        raise _ub_query_exe
    p = subprocess.run([pkgconf, "--cflags", "--libs", "libunbound"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        _ub_query_exe = DnsFixtureError("libunbound-dev is not installed")
        raise _ub_query_exe
    d = Path(tempfile.mkdtemp(prefix="mailtls-ubq-"))
    atexit.register(shutil.rmtree, d, True)
    (d / "ub_query.c").write_text(UB_QUERY_C)
    b = subprocess.run([cc, "-O1", "-o", str(d / "ub_query"), str(d / "ub_query.c")]
                       + p.stdout.split(), capture_output=True, text=True)
    if b.returncode != 0:
        _ub_query_exe = DnsFixtureError("building ub_query failed:\n" + b.stderr)
        raise _ub_query_exe
    _ub_query_exe = d / "ub_query"
    return _ub_query_exe


def ub_query(resolver, trust_anchor_file, name, rrtype, options=UB_TEST_OPTIONS,
             stub_zones=None, timeout=30):
    """Resolve through libunbound the way mailtls does: ub_ctx_set_fwd(resolver)
    (or, with stub_zones, ub_ctx_set_stub(zone, resolver) for each),
    ub_ctx_add_ta_file(trust_anchor_file or None), ub_ctx_set_option(options).
    -> {"status": "secure"|"insecure"|"bogus", "rcode", "havedata",
        "nxdomain", "why_bogus", "data": [hex rdata...]} or {"error": ...}."""
    exe = _ub_query_build()
    qtype = RRTYPES[rrtype.upper()] if isinstance(rrtype, str) else int(rrtype)
    argv = [str(exe), "stub" if stub_zones else "fwd", resolver,
            str(trust_anchor_file) if trust_anchor_file else "-", name, str(qtype)]
    argv += ["%s=%s" % (k, v) for k, v in options]
    argv += ["stub=%s" % z for z in (stub_zones or ())]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    try:
        return json.loads(p.stdout)
    except ValueError:
        raise DnsFixtureError("ub_query printed no JSON (exit %d):\n%s%s"
                              % (p.returncode, p.stdout, p.stderr))
