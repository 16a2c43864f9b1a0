"""Throw-away Prosody, slapd, PostgreSQL and MariaDB servers on loopback.

Each instance lives in its own temporary directory and listens on
127.0.0.1 on a free high port; nothing under /etc, /var/lib or the
standard ports (5222, 5269, 389, 5432, 3306) is read or touched, and the
machine's own services (which the Debian packages install, and may start)
are left alone.

  ROOT            tempfile.mkdtemp, mode 0755 (the daemons run as their own
                  users and must reach it), owned by that user
  ROOT/cert.pem   the test PKI's leaf for localhost (copied), key.pem
  ROOT/key.pem    (mode 0600, owned by the daemon's user) and ca.pem
  ROOT/server.log the daemon's stdout and stderr (and its own log file)

Every daemon runs in the foreground as a direct child of the test
(subprocess.Popen with user=/group=, in a session of its own), so the tests
stop exactly the processes they started: a signal to that process (its
clean shutdown), then SIGKILL to its own process group after a deadline.

  Prosody    prosody -F --config ROOT/prosody.cfg.lua, as `prosody`
             (c2s and s2s ports, profiles below)
  Slapd      slapd -f ROOT/slapd.conf -h ldap://127.0.0.1:PORT/ -d stats,
             as `openldap`
  Postgres   initdb then postgres -D ROOT/data -p PORT -k ROOT/sock
             -c listen_addresses=127.0.0.1 ..., as `postgres`
  Mariadb    mariadb-install-db then mariadbd --no-defaults --datadir ...
             --port PORT --bind-address=127.0.0.1, as `mysql`

The reference for what TLS a server negotiates is `openssl s_client
-starttls PROTO` against the same instance (s_client_tls below).
"""

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

OPENSSL = shutil.which("openssl") or "openssl"
HOST = "127.0.0.1"


class ServerError(RuntimeError):
    pass


def free_port(host=HOST):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_listening(host, port, deadline_s, proc=None):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _user(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _chown_tree(path, pw):
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, pw.pw_uid, pw.pw_gid)
        for f in filenames:
            os.chown(os.path.join(dirpath, f), pw.pw_uid, pw.pw_gid)


def _which(*candidates):
    for c in candidates:
        if os.path.isabs(c):
            if os.access(c, os.X_OK):
                return c
        else:
            p = shutil.which(c, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
            if p:
                return p
    return None


class Daemon:
    """One foreground daemon in a temporary directory, as `user`."""

    kind = "daemon"
    user = "root"
    stop_signal = signal.SIGTERM
    # A line in server.log that says the daemon is ready (None: the port is enough).
    ready_re = None
    start_deadline_s = 30

    def __init__(self, name, cert=None, key=None, ca=None):
        self.name = name
        self.cert, self.key, self.ca = cert, key, ca
        self.root = None
        self.port = None
        self.proc = None
        self.host = HOST

    # -- to override -------------------------------------------------------

    def prepare(self):
        """Once, before the first start: files that do not depend on the port."""

    def ports(self):
        """Pick the ports of this start (self.port first)."""
        self.port = free_port()

    def argv(self):
        raise NotImplementedError

    def extra_ports(self):
        return []

    # -- common ------------------------------------------------------------

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def logfile(self):
        return self.root / "server.log"

    def log(self):
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return "(no log)"

    def pw(self):
        pw = _user(self.user)
        if pw is None:
            raise ServerError("there is no '%s' user" % self.user)
        return pw

    def _layout(self):
        self.root = Path(tempfile.mkdtemp(prefix="mailtls-%s-%s-" % (self.kind, self.name)))
        os.chmod(self.root, 0o755)
        if self.cert:
            shutil.copy(self.cert, self.root / "cert.pem")
            shutil.copy(self.key, self.root / "key.pem")
            os.chmod(self.root / "key.pem", 0o600)
        if self.ca:
            shutil.copy(self.ca, self.root / "ca.pem")
        self.prepare()
        _chown_tree(self.root, self.pw())

    def _spawn(self):
        pw = self.pw()
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "LANG": "C.UTF-8", "HOME": str(self.root), "USER": pw.pw_name,
               "LOGNAME": pw.pw_name}
        kw = {}
        if os.geteuid() == 0 and pw.pw_uid != 0:
            kw = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        with open(self.logfile, "ab") as fh:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=fh,
                                         stderr=subprocess.STDOUT, cwd=self.root, env=env,
                                         start_new_session=True, **kw)

    def _ready(self, deadline_s):
        end = time.monotonic() + deadline_s
        for port in [self.port] + self.extra_ports():
            if not wait_listening(self.host, port, max(0.1, end - time.monotonic()), self.proc):
                return "port %d never accepted connections" % port
        for pattern in self.ready_patterns():
            rx = re.compile(pattern)
            while not rx.search(self.log()):
                if self.proc.poll() is not None:
                    return "the server exited"
                if time.monotonic() > end:
                    return "no %r in the log" % pattern
                time.sleep(0.05)
        return None

    def ready_patterns(self):
        return [self.ready_re] if self.ready_re else []

    def start(self, attempts=3):
        if self.root is None:
            self._layout()
        why = ""
        for _ in range(attempts):
            self.ports()
            self.configure()
            self._spawn()
            why = self._ready(self.start_deadline_s)
            if why is None:
                return self
            if self.proc.poll() is not None:
                why += " (exit status %s)" % self.proc.returncode
            self._kill()
            if not re.search(r"[Aa]ddress already in use|EADDRINUSE|could not bind|"
                             r"Can't start server|Failed to open server port", self.log()):
                break
        log = self.log()
        self.stop()
        raise ServerError("%s (%s) did not start: %s\nlog:\n%s" % (self.kind, self.name, why,
                                                                     log[-6000:]))

    def configure(self):
        """Every start: the configuration files that name the port."""

    def _kill(self):
        """The daemon's stop signal, then SIGKILL to its process group.

        The group is killed while the leader is still unreaped (alive or a
        zombie, waited for with WNOWAIT), so its id cannot have been reused
        by an unrelated process."""
        p = self.proc
        if p is None:
            return
        self.proc = None
        if p.returncode is not None:
            return  # already reaped (it died on its own): nothing is ours any more

        def exited():
            try:
                return os.waitid(os.P_PID, p.pid,
                                 os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
            except ChildProcessError:
                return True

        if not exited():
            try:
                p.send_signal(self.stop_signal)
            except OSError:
                pass
            end = time.monotonic() + 15
            while not exited() and time.monotonic() < end:
                time.sleep(0.05)
        # Whatever is left in the daemon's own session (children included).
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()  # our child, not yet reaped: its pid is still ours
            p.wait(timeout=10)

    def stop(self, remove=True):
        """Stop the daemon and remove its directory. Never raises."""
        try:
            self._kill()
        except Exception:  # noqa: BLE001 - teardown must go on
            pass
        if remove and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------
# PostgreSQL


def _pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(re.search(r"/(\d+)/bin$", d).group(1))
                  if re.search(r"/(\d+)/bin$", d) else 0)
    for d in reversed(dirs):
        if os.access(os.path.join(d, "postgres"), os.X_OK) and \
           os.access(os.path.join(d, "initdb"), os.X_OK):
            return Path(d)
    return None


class Postgres(Daemon):
    """A PostgreSQL cluster: ssl=on with the PKI's leaf, or ssl=off."""

    kind = "postgres"
    user = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown
    ready_re = r"database system is ready to accept connections"

    def __init__(self, name, cert=None, key=None, ca=None, ssl=True, settings=None):
        super().__init__(name, cert, key, ca)
        self.ssl = ssl
        self.settings = dict(settings or {})
        self.bindir = _pg_bindir()

    def prepare(self):
        (self.root / "sock").mkdir()
        (self.root / "data").mkdir(mode=0o700)

    def _layout(self):
        super()._layout()
        pw = self.pw()
        p = subprocess.run([str(self.bindir / "initdb"), "-D", str(self.root / "data"),
                            "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
                            "--no-sync"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
                           cwd=self.root, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                           env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        if p.returncode != 0:
            out = (p.stdout + p.stderr).decode(errors="replace")
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
            raise ServerError("initdb failed:\n" + out)

    def argv(self):
        r = self.root
        s = {
            "listen_addresses": HOST,
            "unix_socket_directories": r / "sock",
            "ssl": "on" if self.ssl else "off",
            "logging_collector": "off",
            "log_destination": "stderr",
            "log_connections": "on",
            "fsync": "off",
        }
        if self.ssl:
            s.update(ssl_cert_file=r / "cert.pem", ssl_key_file=r / "key.pem",
                     ssl_ca_file=r / "ca.pem")
        s.update(self.settings)
        argv = [str(self.bindir / "postgres"), "-D", str(r / "data"), "-p", str(self.port),
                "-k", str(r / "sock")]
        for k, v in s.items():
            argv += ["-c", "%s=%s" % (k, v)]
        return argv


def postgres_available():
    if os.geteuid() != 0:
        return "starting PostgreSQL as the postgres user needs root"
    if _pg_bindir() is None:
        return "PostgreSQL is not installed (scripts/install-deps installs postgresql)"
    if _user("postgres") is None:
        return "there is no 'postgres' user"
    return None


# --------------------------------------------------------------------------
# MariaDB


MARIADBD = _which("mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld")
MARIADB_INSTALL_DB = _which("mariadb-install-db", "mysql_install_db")


class Mariadb(Daemon):
    """A MariaDB server: TLS with the PKI's leaf (--ssl-cert ...), or none."""

    kind = "mariadb"
    user = "mysql"
    ready_re = r"ready for connections"
    start_deadline_s = 60

    def __init__(self, name, cert=None, key=None, ca=None, ssl=True, extra=()):
        super().__init__(name, cert, key, ca)
        self.ssl = ssl
        self.extra = list(extra)

    def prepare(self):
        (self.root / "data").mkdir(mode=0o700)
        # InnoDB's temporary files go here, not to the shared /tmp.
        (self.root / "tmp").mkdir(mode=0o700)

    def _layout(self):
        super()._layout()
        p = subprocess.run([MARIADB_INSTALL_DB, "--no-defaults",
                            "--datadir=%s" % (self.root / "data"), "--user=mysql",
                            "--auth-root-authentication-method=socket", "--skip-test-db",
                            "--tmpdir=%s" % (self.root / "tmp")],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=180,
                           cwd=self.root)
        if p.returncode != 0:
            out = (p.stdout + p.stderr).decode(errors="replace")
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
            raise ServerError("mariadb-install-db failed:\n" + out)

    def argv(self):
        r = self.root
        argv = [MARIADBD, "--no-defaults", "--datadir=%s" % (r / "data"),
                "--socket=%s" % (r / "mysqld.sock"), "--pid-file=%s" % (r / "mysqld.pid"),
                "--tmpdir=%s" % (r / "tmp"),
                "--port=%d" % self.port, "--bind-address=%s" % HOST,
                # The accounts mariadb-install-db makes are @localhost: keep
                # name resolution (127.0.0.1 is localhost), and never block
                # the host for the aborted handshakes a scan makes.
                "--max-connect-errors=1000000",
                "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--log-warnings=2"]
        if self.ssl:
            argv += ["--ssl-cert=%s" % (r / "cert.pem"), "--ssl-key=%s" % (r / "key.pem"),
                     "--ssl-ca=%s" % (r / "ca.pem")]
        return argv + self.extra


def mariadb_available():
    if os.geteuid() != 0:
        return "starting MariaDB as the mysql user needs root"
    if not MARIADBD or not MARIADB_INSTALL_DB:
        return "MariaDB is not installed (scripts/install-deps installs mariadb-server)"
    if _user("mysql") is None:
        return "there is no 'mysql' user"
    return None


# --------------------------------------------------------------------------
# OpenLDAP slapd


SLAPD = _which("slapd", "/usr/sbin/slapd")
SLAPD_MODULES = "/usr/lib/ldap"


class Slapd(Daemon):
    """slapd with a slapd.conf (no cn=config): one empty mdb database;
    TLSCertificateFile & co. when tls, no TLS settings at all otherwise."""

    kind = "slapd"
    user = "openldap"
    ready_re = r"slapd starting"
    suffix = "dc=mailtls,dc=test"

    def __init__(self, name, cert=None, key=None, ca=None, tls=True, extra_conf=""):
        super().__init__(name, cert, key, ca)
        self.tls = tls
        self.extra_conf = extra_conf

    def prepare(self):
        (self.root / "db").mkdir(mode=0o700)
        r = self.root
        conf = ["include /etc/ldap/schema/core.schema",
                "pidfile %s" % (r / "slapd.pid"),
                "argsfile %s" % (r / "slapd.args"),
                "modulepath %s" % SLAPD_MODULES,
                "moduleload back_mdb"]
        if self.tls:
            conf += ["TLSCertificateFile %s" % (r / "cert.pem"),
                     "TLSCertificateKeyFile %s" % (r / "key.pem"),
                     "TLSCACertificateFile %s" % (r / "ca.pem")]
        conf += [self.extra_conf,
                 "database mdb",
                 'suffix "%s"' % self.suffix,
                 "directory %s" % (r / "db"),
                 "maxsize 10485760"]
        (r / "slapd.conf").write_text("\n".join(conf) + "\n")

    def argv(self):
        return [SLAPD, "-f", str(self.root / "slapd.conf"),
                "-h", "ldap://%s:%d/" % (HOST, self.port), "-d", "stats"]


def slapd_available():
    if os.geteuid() != 0:
        return "starting slapd as the openldap user needs root"
    if not SLAPD:
        return "slapd is not installed (scripts/install-deps installs slapd)"
    if not os.path.exists(os.path.join(SLAPD_MODULES, "back_mdb.so")) and \
       not os.path.exists(os.path.join(SLAPD_MODULES, "back_mdb.la")):
        return "slapd's back_mdb module is missing"
    if _user("openldap") is None:
        return "there is no 'openldap' user"
    return None


# --------------------------------------------------------------------------
# Prosody


PROSODY = _which("prosody", "/usr/bin/prosody")
XMPP_DOMAIN = "localhost"


def _lua(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "{ " + ", ".join(_lua(x) for x in v) + " }"
    if isinstance(v, dict):
        return "{ " + ", ".join("%s = %s" % (k, _lua(x)) for k, x in v.items()) + " }"
    return '"%s"' % str(v).replace("\\", "\\\\").replace('"', '\\"')


class Prosody(Daemon):
    """Prosody with one VirtualHost "localhost", a c2s and an s2s port.

    tls          load mod_tls (STARTTLS); without it nothing offers TLS
    certs        give it the PKI's certificate (ssl = {...} and a
                 certificates directory holding localhost.crt/.key);
                 without, the certificates directory is empty
    options      more global options (c2s_require_encryption, ...)
    """

    kind = "prosody"
    user = "prosody"

    def __init__(self, name, cert=None, key=None, ca=None, tls=True, certs=True, options=None):
        super().__init__(name, cert, key, ca)
        self.tls = tls
        self.certs = certs
        self.options = dict(options or {})
        self.s2s_port = None

    def ports(self):
        self.port = free_port()
        self.s2s_port = free_port()
        while self.s2s_port == self.port:
            self.s2s_port = free_port()

    def extra_ports(self):
        return [self.s2s_port]

    def ready_patterns(self):
        # Prosody logs a port it cannot bind and goes on without it: make
        # sure both services listen on the ports this start picked.
        return [r"Activated service '%s' on \[127\.0\.0\.1\]:%d\b" % (svc, port)
                for svc, port in (("c2s", self.port), ("s2s", self.s2s_port))]

    @property
    def s2s_hostport(self):
        return "%s:%d" % (self.host, self.s2s_port)

    def prepare(self):
        (self.root / "data").mkdir(mode=0o750)
        (self.root / "certs").mkdir(mode=0o750)
        if self.certs and self.cert:
            shutil.copy(self.root / "cert.pem", self.root / "certs" / "localhost.crt")
            shutil.copy(self.root / "key.pem", self.root / "certs" / "localhost.key")
            os.chmod(self.root / "certs" / "localhost.key", 0o600)

    def configure(self):
        r = self.root
        modules = ["roster", "saslauth", "dialback", "disco", "ping"]
        if self.tls:
            modules.append("tls")
        o = {
            "daemonize": False,
            "pidfile": r / "prosody.pid",
            "data_path": r / "data",
            "certificates": r / "certs",
            "interfaces": [HOST],
            "local_interfaces": [HOST],
            "c2s_ports": [self.port],
            "s2s_ports": [self.s2s_port],
            "c2s_direct_tls_ports": [],
            "s2s_direct_tls_ports": [],
            "legacy_ssl_ports": [],
            "http_ports": [],
            "https_ports": [],
            "component_ports": [],
            "modules_enabled": modules,
            # No pidfile/daemon handling, no syslog.
            "modules_disabled": ["posix"],
            "authentication": "internal_hashed",
            "storage": "internal",
            "log": {"debug": r / "prosody.log"},
        }
        if self.certs and self.cert:
            o["ssl"] = {"certificate": r / "certs" / "localhost.crt",
                        "key": r / "certs" / "localhost.key"}
        o.update(self.options)
        text = "".join("%s = %s\n" % (k, _lua(v)) for k, v in o.items())
        text += 'VirtualHost "%s"\n' % XMPP_DOMAIN
        (r / "prosody.cfg.lua").write_text(text)
        pw = self.pw()
        os.chown(r / "prosody.cfg.lua", pw.pw_uid, pw.pw_gid)

    def argv(self):
        return [PROSODY, "-F", "--config", str(self.root / "prosody.cfg.lua")]

    def log(self):
        out = super().log()
        try:
            out += (self.root / "prosody.log").read_text(errors="replace")
        except (OSError, TypeError):
            pass
        return out


def prosody_available():
    if os.geteuid() != 0:
        return "starting Prosody as the prosody user needs root"
    if not PROSODY:
        return "Prosody is not installed (scripts/install-deps installs prosody)"
    if _user("prosody") is None:
        return "there is no 'prosody' user"
    return None


# --------------------------------------------------------------------------
# openssl s_client -starttls PROTO: the reference


@dataclass
class SClientTls:
    protocol: str
    cipher: str
    group: str        # normalised like mailtls's tls.group ("X25519", "secp256r1")
    verified: bool    # "Verification: OK"
    output: str


# `s_client -brief` prints the session's protocol and suite once the
# handshake is done ("Protocol version: TLSv1.1", "Ciphersuite: ..."), also
# for TLS 1.3 when s_client leaves before a session ticket arrives (the
# SSL-Session block is then missing), and unlike "New, TLSv1.0, Cipher is"
# (the cipher's own version) it names the protocol negotiated.
_BRIEF_PROTO = re.compile(r"^Protocol version: (\S+)", re.M)
_BRIEF_CIPHER = re.compile(r"^Ciphersuite: (\S+)", re.M)
_TEMP = re.compile(r"^(?:Server|Peer) Temp Key: (.*)$", re.M)
_CURVE_ALIASES = {"prime256v1": "secp256r1", "P-256": "secp256r1", "P-384": "secp384r1",
                  "P-521": "secp521r1"}


def _group(temp):
    """'X25519, 253 bits' -> X25519; 'ECDH, prime256v1, 256 bits' -> secp256r1."""
    if not temp:
        return None
    parts = [p.strip() for p in temp.split(",")]
    if parts[0] == "DH":
        return "DH"
    name = parts[1] if parts[0] == "ECDH" and len(parts) > 2 else parts[0]
    return _CURVE_ALIASES.get(name, name)


def s_client_tls(hostport, ca_file, starttls, name="localhost", xmpphost=None, extra=(),
                 timeout=30):
    """What `openssl s_client -brief -starttls PROTO` negotiates: SClientTls,
    or None when no handshake completed (within `timeout` seconds)."""
    argv = [OPENSSL, "s_client", "-brief", "-connect", hostport, "-starttls", starttls,
            "-CAfile", str(ca_file), "-servername", name, "-verify_hostname", name]
    if xmpphost:
        argv += ["-xmpphost", xmpphost]
    argv += list(extra)
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        # s_client -starttls xmpp waits forever for a <starttls/> that
        # never comes: no TLS.
        return None
    out = p.stdout.decode(errors="replace") + "\n" + p.stderr.decode(errors="replace")
    proto, cipher = _BRIEF_PROTO.search(out), _BRIEF_CIPHER.search(out)
    if not proto or not cipher:
        return None
    t = _TEMP.search(out)
    # OpenSSL calls TLS 1.0 "TLSv1"; mailtls (and the RFCs) "TLSv1.0".
    version = {"TLSv1": "TLSv1.0"}.get(proto.group(1), proto.group(1))
    return SClientTls(version, cipher.group(1), _group(t and t.group(1)),
                      re.search(r"^Verification: OK", out, re.M) is not None, out)


TLS_VERSIONS = (("TLSv1.0", "-tls1"), ("TLSv1.1", "-tls1_1"), ("TLSv1.2", "-tls1_2"),
                ("TLSv1.3", "-tls1_3"))


def s_client_versions(hostport, ca_file, starttls, xmpphost=None):
    """{"TLSv1.2": cipher or None, ...}: what s_client negotiates with each
    version pinned, everything allowed (security level 0)."""
    out = {}
    for name, flag in TLS_VERSIONS:
        extra = [flag]
        if name != "TLSv1.3":
            extra += ["-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]
        r = s_client_tls(hostport, ca_file, starttls, xmpphost=xmpphost, extra=extra)
        out[name] = r.cipher if r and r.protocol == name else None
    return out
