"""Throw-away Dovecot instances on loopback for the integration tests.

Each instance lives in its own temporary directory and never touches the
machine's own Dovecot (/etc/dovecot, /run/dovecot, /var/lib/dovecot, the
standard ports):

  ROOT/dovecot.conf       the only configuration file (`dovecot -F -c`); it
                          includes nothing from /etc/dovecot
  ROOT/cert.pem, key.pem  ssl_cert / ssl_key (copied from the test PKI)
  ROOT/run                base_dir (sockets, master.pid)
  ROOT/state              state_dir (the instance list)
  ROOT/home/USER          home directories (mail_location maildir:~/Maildir)
  ROOT/dovecot.log        log_path (there is no syslog here)

The minimal configuration that runs as root: base_dir, state_dir and
log_path inside ROOT, a unique instance_name, `protocols`, one
inet_listener per service on 127.0.0.2 and a free port, passdb static (one
password for every user) and userdb static (uid nobody). Dovecot's own
service users (dovecot, dovenull) come with the dovecot-core package.
ssl_dh is Debian's /usr/share/dovecot/dh.pem, as /etc/dovecot/conf.d sets it
(without it Dovecot logs "Diffie-Hellman key exchange requested, but no DH
parameters provided" and fails any handshake whose pick is a DHE suite).

Why 127.0.0.2: Dovecot treats a connection whose remote address equals its
local address as secured (login-common: remote_ip == local_ip), exactly as
if it came over TLS: from 127.0.0.1 to 127.0.0.1 it offers AUTH=PLAIN and
no LOGINDISABLED whatever disable_plaintext_auth says. Listening on
127.0.0.2 (the client's source stays 127.0.0.1) makes it behave as it does
for a remote client.

login_log_format_elements adds %k, so every login process logs the TLS
session it had ("TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"):
a third reference besides mailtls and `openssl s_client`.

A PREAUTH bridge (`PreauthBridge`) gives a real Dovecot IMAP PREAUTH
greeting: a loopback listener that, per connection, runs `doveadm -c CONF
exec imap -u USER` and copies bytes between the socket and its stdin and
stdout (the rsh/ssh style of pre-authenticated IMAP, RFC 3501 7.1.4).
"""

import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
DH_PEM = Path("/usr/share/dovecot/dh.pem")
HOST = "127.0.0.2"
GREETING = "Dovecot (Debian) ready."
# login_log_format_elements %k: "... TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
TLS_LOG = r"(TLSv1(?:\.\d)?) with cipher (\S+) \("

# Listener name -> (service, protocol, implicit TLS)
LISTENERS = {
    "imap": ("imap-login", "imap", False),
    "imaps": ("imap-login", "imap", True),
    "pop3": ("pop3-login", "pop3", False),
    "pop3s": ("pop3-login", "pop3", True),
    "sieve": ("managesieve-login", "sieve", False),
    "lmtp": ("lmtp", "lmtp", False),
}
MODULES = {"imap": "/usr/lib/dovecot/imap", "pop3": "/usr/lib/dovecot/pop3",
           "sieve": "/usr/lib/dovecot/managesieve", "lmtp": "/usr/lib/dovecot/lmtp"}


class DovecotError(RuntimeError):
    pass


def available():
    """None if Dovecot can run here, else the reason it cannot."""
    if not os.path.exists(DOVECOT):
        return "dovecot is not installed (scripts/install-deps installs it)"
    missing = [p for p, path in MODULES.items() if not os.path.exists(path)]
    if missing:
        return "Dovecot lacks %s (dovecot-imapd, -pop3d, -managesieved, -lmtpd)" % ", ".join(missing)
    if os.geteuid() != 0:
        return "starting Dovecot needs root"
    for user in ("dovecot", "dovenull"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return "there is no '%s' user (is dovecot-core installed?)" % user
    try:
        with socket.socket() as s:
            s.bind((HOST, 0))
    except OSError as e:
        return "cannot bind %s: %s" % (HOST, e)
    return None


def free_port(host=HOST):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_listening(host, port, deadline_s):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Listener:
    """One listening port, usable wherever conftest wants .host/.port/.hostport."""

    def __init__(self, name, host, port):
        self.name, self.host, self.port = name, host, port

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    def __repr__(self):
        return "Listener(%s %s)" % (self.name, self.hostport)


class Dovecot:
    """One Dovecot instance.

    ssl                    "yes", "required" or "no"
    disable_plaintext_auth True: no password before TLS (LOGINDISABLED)
    listeners              which of LISTENERS to open (implicit ones are
                           dropped when ssl = no)
    dh                     False: no ssl_dh (a misconfiguration)
    settings               extra top-level settings (name -> value)
    """

    def __init__(self, name, cert=None, key=None, ssl="yes", disable_plaintext_auth=True,
                 listeners=tuple(LISTENERS), dh=True, settings=None):
        self.name = name
        self.cert, self.key = cert, key
        self.ssl = ssl
        self.disable_plaintext_auth = disable_plaintext_auth
        self.listener_names = [l for l in listeners
                               if not (ssl == "no" and LISTENERS[l][2])]
        self.dh = dh
        self.settings = dict(settings or {})
        self.root = None
        self.ports = {}
        self.proc = None

    # -- paths and listeners -----------------------------------------------

    @property
    def conf(self):
        return self.root / "dovecot.conf"

    @property
    def logfile(self):
        return self.root / "dovecot.log"

    def listener(self, name):
        return Listener(name, HOST, self.ports[name])

    def __getitem__(self, name):
        return self.listener(name)

    def log(self):
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return "(no dovecot.log)"

    def wait_log(self, pattern, count=1, deadline_s=10.0):
        rx = re.compile(pattern)
        end = time.monotonic() + deadline_s
        while True:
            found = rx.findall(self.log())
            if len(found) >= count or time.monotonic() > end:
                return found
            time.sleep(0.05)

    def tls_sessions(self, count=1, deadline_s=10.0):
        """(protocol, OpenSSL cipher) of every TLS session the login
        processes logged (they log when the client disconnects)."""
        return self.wait_log(TLS_LOG, count, deadline_s)

    # -- configuration -----------------------------------------------------

    def config(self):
        r = self.root
        protocols = sorted({LISTENERS[l][1] for l in self.listener_names})
        lines = [
            "base_dir = %s/run" % r,
            "state_dir = %s/state" % r,
            "instance_name = mailtls-%s-%d" % (self.name, os.getpid()),
            "log_path = %s" % self.logfile,
            "protocols = %s" % " ".join(protocols),
            "listen = %s" % HOST,
            "ssl = %s" % self.ssl,
            "disable_plaintext_auth = %s" % ("yes" if self.disable_plaintext_auth else "no"),
            "auth_mechanisms = plain login",
            "login_log_format_elements = user=<%u> method=%m rip=%r lip=%l mpid=%e %c %k",
            "mail_location = maildir:~/Maildir",
            "passdb {\n  driver = static\n  args = password=mailtls-test-password\n}",
            "userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=%s/home/%%u\n}" % r,
        ]
        if self.ssl != "no":
            lines += ["ssl_cert = <%s/cert.pem" % r, "ssl_key = <%s/key.pem" % r]
            if self.dh:
                lines.append("ssl_dh = <%s" % DH_PEM)
        lines += ["%s = %s" % kv for kv in self.settings.items()]
        # Every default listener (143, 993, 110, 995, 4190) is either moved
        # to its free port on 127.0.0.2 or disabled with port = 0.
        for svc, names in (("imap-login", ("imap", "imaps")), ("pop3-login", ("pop3", "pop3s")),
                           ("managesieve-login", ("sieve",)), ("lmtp", ("lmtp",))):
            body = []
            for l in names:
                if l in self.listener_names:
                    body.append("  inet_listener %s {\n    address = %s\n    port = %d\n%s  }"
                                % (l, HOST, self.ports[l],
                                   "    ssl = yes\n" if LISTENERS[l][2] else ""))
                elif svc != "lmtp":
                    body.append("  inet_listener %s {\n    port = 0\n  }" % l)
            if body:
                lines.append("service %s {\n%s\n}" % (svc, "\n".join(body)))
        return "\n".join(lines) + "\n"

    def _layout(self):
        self.root = Path(tempfile.mkdtemp(prefix="mailtls-dovecot-%s-" % self.name))
        os.chmod(self.root, 0o755)
        for d in ("run", "state", "home"):
            (self.root / d).mkdir(mode=0o755)
        pw = pwd.getpwnam("nobody")
        os.chown(self.root / "home", pw.pw_uid, pw.pw_gid)
        if self.ssl != "no":
            shutil.copy(self.cert, self.root / "cert.pem")
            shutil.copy(self.key, self.root / "key.pem")
            os.chmod(self.root / "key.pem", 0o600)

    # -- control -----------------------------------------------------------

    def start(self, attempts=3):
        if self.root is None:
            self._layout()
        why = ""
        for _ in range(attempts):
            self.ports = {l: free_port() for l in self.listener_names}
            if len(set(self.ports.values())) != len(self.ports):
                continue
            self.conf.write_text(self.config())
            with open(self.root / "stdout.log", "ab") as out:
                self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)],
                                             stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT, start_new_session=True)
            if all(wait_listening(HOST, p, 15) for p in self.ports.values()):
                return self
            rc = self.proc.poll()
            why = ("dovecot exited %s" % rc) if rc is not None else "a port never accepted"
            self.stop(remove=False)
            if "Address already in use" not in self.log() + self._stdout():
                break
        text = self.log() + self._stdout()
        self.stop()
        raise DovecotError("Dovecot (%s) did not start: %s\n%s" % (self.name, why, text))

    def _stdout(self):
        try:
            return (self.root / "stdout.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, remove=True):
        """SIGTERM to the master (it stops its children), then make sure."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            try:
                os.killpg(self.proc.pid, 9)  # its own session: only Dovecot's processes
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if remove and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class PreauthBridge:
    """127.0.0.1:PORT; each connection runs `doveadm exec imap -u USER`
    of a running Dovecot, its stdin and stdout pumped to and from the
    socket, so the client is greeted "* PREAUTH ... Logged in as USER" by
    Dovecot's own imap process."""

    host = "127.0.0.1"

    def __init__(self, dovecot, user="alice"):
        self.dovecot = dovecot
        self.user = user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.procs = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    def _loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            # Pipes, not the socket itself: imap refuses a socket on stdin
            # ("imap binary must not be started from inetd").
            p = subprocess.Popen([DOVEADM, "-c", str(self.dovecot.conf), "exec", "imap",
                                  "-u", self.user],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
            with self._lock:
                self.procs.append(p)
            threading.Thread(target=self._pump_in, args=(conn, p), daemon=True).start()
            threading.Thread(target=self._pump_out, args=(conn, p), daemon=True).start()

    @staticmethod
    def _pump_in(conn, p):
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                p.stdin.write(data)
                p.stdin.flush()
        except OSError:
            pass
        finally:
            try:
                p.stdin.close()
            except OSError:
                pass

    @staticmethod
    def _pump_out(conn, p):
        try:
            while True:
                data = os.read(p.stdout.fileno(), 65536)
                if not data:
                    break
                conn.sendall(data)
        except OSError:
            pass
        finally:
            p.stdout.close()
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def stop(self):
        try:
            self.sock.close()
        except OSError:
            pass
        with self._lock:
            for p in self.procs:
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()


# --------------------------------------------------------------------------
# small reference clients (Python's ssl for the TLS part): what the server
# really says before and inside TLS, independent of mailtls


class LineClient:
    def __init__(self, host, port, timeout=15):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def line(self):
        raw = self.file.readline(65536)
        if not raw:
            raise ConnectionError("connection closed")
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def starttls(self, cafile, server_hostname="localhost"):
        ctx = ssl.create_default_context(cafile=str(cafile))
        self.file.close()
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)
        self.file = self.sock.makefile("rb")
        return self.sock

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def imap_reference(lst, cafile):
    """greeting, CAPABILITY before and inside TLS (tokens), STARTTLS answer."""
    out = {}
    with LineClient(lst.host, lst.port) as c:
        out["greeting"] = c.line()

        def cmd(tag, text):
            c.send("%s %s" % (tag, text))
            untagged = []
            while True:
                l = c.line()
                if l.startswith(tag + " "):
                    return untagged, l
                untagged.append(l)

        def caps(tag):
            untagged, done = cmd(tag, "CAPABILITY")
            line = next(l for l in untagged if l.upper().startswith("* CAPABILITY "))
            return line[len("* CAPABILITY "):].split()

        out["caps"] = caps("r1")
        _, out["starttls"] = cmd("r2", "STARTTLS")
        if " OK" in out["starttls"]:
            tls = c.starttls(cafile)
            out["version"], out["cipher"] = tls.version(), tls.cipher()[0]
            out["caps_tls"] = caps("r3")
        cmd("r4", "LOGOUT")
    return out


def pop3_reference(lst, cafile):
    out = {}
    with LineClient(lst.host, lst.port) as c:
        out["greeting"] = c.line()

        def capa():
            c.send("CAPA")
            first = c.line()
            assert first.startswith("+OK"), first
            caps = []
            while True:
                l = c.line()
                if l == ".":
                    return caps
                caps.append(l[1:] if l.startswith(".") else l)

        out["caps"] = capa()
        c.send("STLS")
        out["starttls"] = c.line()
        if out["starttls"].startswith("+OK"):
            tls = c.starttls(cafile)
            out["version"], out["cipher"] = tls.version(), tls.cipher()[0]
            out["caps_tls"] = capa()
        c.send("QUIT")
        c.line()
    return out


def sieve_reference(lst, cafile):
    """ManageSieve (RFC 5804): the capability lines as sent (quoted)."""
    out = {}
    with LineClient(lst.host, lst.port) as c:

        def caps():
            lines = []
            while True:
                l = c.line()
                if l.startswith('"'):
                    lines.append(l)
                else:
                    return lines, l

        out["caps"], out["greeting_end"] = caps()
        c.send("STARTTLS")
        out["starttls"] = c.line()
        if out["starttls"].startswith("OK"):
            tls = c.starttls(cafile)
            out["version"], out["cipher"] = tls.version(), tls.cipher()[0]
            out["caps_tls"], out["tls_end"] = caps()
        c.send("LOGOUT")
        c.line()
    return out


def lmtp_reference(lst, cafile, lhlo="reference.mailtls.test"):
    out = {}
    with LineClient(lst.host, lst.port) as c:

        def reply():
            lines = []
            while True:
                l = c.line()
                lines.append(l)
                if len(l) < 4 or l[3] != "-":
                    return int(l[:3]), [x[4:] for x in lines]

        out["greeting"] = reply()
        c.send("LHLO " + lhlo)
        out["hello_code"], lines = reply()
        out["caps"] = lines[1:]
        c.send("STARTTLS")
        out["starttls"] = reply()
        if out["starttls"][0] == 220:
            tls = c.starttls(cafile)
            out["version"], out["cipher"] = tls.version(), tls.cipher()[0]
            c.send("LHLO " + lhlo)
            _, lines = reply()
            out["caps_tls"] = lines[1:]
        c.send("QUIT")
        reply()
    return out
