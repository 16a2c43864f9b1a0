"""Throw-away Postfix instances on loopback for the integration tests.

Each instance lives in its own temporary directory and never touches the
machine's own Postfix (/etc/postfix, /var/spool/postfix, port 25):

  ROOT/etc/main.cf, master.cf   config_directory (`postfix -c ROOT/etc`)
  ROOT/etc/cert.pem, key.pem    the TLS certificate (copied from the PKI)
  ROOT/queue                    queue_directory: a copy (cp -a) of one laid
                                out by `postfix check` once per session, with
                                quick-start so `postfix start` skips the slow
                                post-install run
  ROOT/data                     data_directory (owned by postfix)
  ROOT/maillog                  maillog_file (there is no syslog here)

`postfix -c DIR start` works as root without alternate_config_directories:
that list only guards the set-gid commands (postdrop, postqueue) and
non-root callers; postmulti is not needed and would edit /etc/postfix.
maillog_file must sit under maillog_file_prefixes, so that is set to ROOT.

master.cf holds one listener on 127.0.0.1:PORT (smtpd, or postscreen in
front of an smtpd "pass" service) and only the helper services smtpd needs:
postlog (maillog_file), tlsmgr (PRNG, session cache), anvil (connection
limits), proxymap. No delivery agents, no pickup, no qmgr: nothing is ever
queued, and local_recipient_maps/alias_maps are empty so smtpd never waits
for a map service (an smtpd that cannot reach proxymap stalls the greeting).

stop() sends SIGTERM to master (a session leader: it terminates its process
group), SIGKILLs the group if it lingers, and removes ROOT.

ROOT comes from tempfile.mkdtemp with mode 0755 (not pytest's 0700 tmp
tree), because Postfix daemons drop to the `postfix` user and must reach
their queue directory.
"""

import atexit
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
POSTCONF = shutil.which("postconf") or "/usr/sbin/postconf"
MYHOSTNAME = "postfix.mailtls.test"
# smtpd_tls_loglevel = 1: "... TLS connection established from
# localhost[127.0.0.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) ..."
TLS_LOG = r"TLS connection established from \S+: (\S+) with cipher (\S+)"


class PostfixError(RuntimeError):
    pass


def available():
    """None if Postfix can run here, else the reason it cannot."""
    if not os.path.exists(POSTFIX):
        return "postfix is not installed (scripts/install-deps installs it)"
    if os.geteuid() != 0:
        return "starting Postfix needs root"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "there is no 'postfix' user (is the postfix package installed?)"
    return None


def free_port(host="127.0.0.1"):
    """A loopback port nobody listens on right now (Postfix binds it itself)."""
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


def _alive(pid):
    """Is pid still running (and not a zombie)?"""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


_template = None


def _queue_template():
    """A queue directory laid out once by `postfix check` (post-install
    create-missing); None if that failed (each instance then runs it)."""
    global _template
    if _template is None:
        t = Postfix("template")
        try:
            t._layout(template=False)
            t.port = free_port()
            t._write_config()
            rc, out = t._postfix("check")
        except (OSError, subprocess.SubprocessError):
            rc = -1
        if rc != 0 or not (t.queue / "private").is_dir():
            t.stop()
            _template = False
        else:
            _template = t
            atexit.register(t.stop)
    return _template.queue if _template else None


def _cf_value(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


class Postfix:
    """One Postfix instance with one SMTP listener on 127.0.0.1:port.

    main       extra/overriding main.cf parameters (name -> value)
    smtpd_opts `-o name=value` for the listening smtpd only (master.cf)
    postscreen put postscreen(8) on the port, in front of smtpd
    cert, key  PEM files for smtpd_tls_cert_file / smtpd_tls_key_file
    """

    host = "127.0.0.1"

    def __init__(self, name, cert=None, key=None, main=None, smtpd_opts=None,
                 postscreen=False):
        self.name = name
        self.cert, self.key = cert, key
        self.main_extra = dict(main or {})
        self.smtpd_opts = dict(smtpd_opts or {})
        self.postscreen = postscreen
        self.root = None
        self.port = None
        self.running = False

    # -- paths -------------------------------------------------------------

    @property
    def etc(self):
        return self.root / "etc"

    @property
    def queue(self):
        return self.root / "queue"

    @property
    def maillog(self):
        return self.root / "maillog"

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    def log(self):
        try:
            return self.maillog.read_text(errors="replace")
        except OSError:
            return "(no maillog)"

    def wait_log(self, pattern, count=1, deadline_s=10.0):
        """Wait until the maillog has `count` matches of a regex (postlogd
        writes asynchronously); -> every match found by then."""
        rx = re.compile(pattern)
        end = time.monotonic() + deadline_s
        while True:
            found = rx.findall(self.log())
            if len(found) >= count or time.monotonic() > end:
                return found
            time.sleep(0.05)

    def tls_sessions(self, count=1, deadline_s=10.0):
        """(protocol, OpenSSL cipher name) of every TLS session smtpd logged."""
        return self.wait_log(TLS_LOG, count, deadline_s)

    # -- configuration -----------------------------------------------------

    def main_cf(self):
        r = self.root
        p = {
            "compatibility_level": "3.6",
            "queue_directory": r / "queue",
            "data_directory": r / "data",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": MYHOSTNAME,
            "mydomain": "mailtls.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "relay_domains": "",
            "relayhost": "",
            "mynetworks": "127.0.0.0/8",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "biff": "no",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": r,
            "smtpd_banner": "$myhostname ESMTP Postfix",
            "smtpd_tls_loglevel": "1",
            "smtpd_tls_security_level": "none",
        }
        if self.cert:
            p["smtpd_tls_cert_file"] = self.etc / "cert.pem"
            p["smtpd_tls_key_file"] = self.etc / "key.pem"
            p["smtpd_tls_security_level"] = "may"
        p.update(self.main_extra)
        return "".join("%s = %s\n" % (k, _cf_value(v)) for k, v in p.items())

    def master_cf(self):
        opts = "".join("\n  -o %s=%s" % (k, _cf_value(v)) for k, v in self.smtpd_opts.items())
        listen = "%s:%d" % (self.host, self.port)
        if self.postscreen:
            lines = ["%s inet n - n - 1 postscreen" % listen,
                     "smtpd pass - - n - - smtpd" + opts,
                     "dnsblog unix - - n - 0 dnsblog",
                     "tlsproxy unix - - n - 0 tlsproxy"]
        else:
            lines = ["%s inet n - n - - smtpd" % listen + opts]
        lines += ["postlog unix-dgram n - n - 1 postlogd",
                  "tlsmgr unix - - n 1000? 1 tlsmgr",
                  "anvil unix - - n - 1 anvil",
                  "proxymap unix - - n - - proxymap"]
        return "\n".join(lines) + "\n"

    def _layout(self, template=True):
        self.root = Path(tempfile.mkdtemp(prefix="mailtls-postfix-%s-" % self.name))
        os.chmod(self.root, 0o755)
        for d in ("etc", "data"):
            (self.root / d).mkdir(mode=0o755)
        tq = _queue_template() if template else None
        if tq:
            # A copy of a queue directory `postfix check` already laid out,
            # with quick-start so `postfix start` skips check-fatal (whose
            # post-install run costs seconds per instance).
            subprocess.run(["cp", "-a", str(tq), str(self.queue)], check=True)
            (self.queue / "quick-start").touch()
        else:
            self.queue.mkdir(mode=0o755)
        pw = pwd.getpwnam("postfix")
        os.chown(self.root / "data", pw.pw_uid, pw.pw_gid)
        os.chmod(self.root / "data", 0o700)
        if self.cert:
            shutil.copy(self.cert, self.etc / "cert.pem")
            shutil.copy(self.key, self.etc / "key.pem")
            os.chmod(self.etc / "key.pem", 0o600)

    def _write_config(self):
        (self.etc / "main.cf").write_text(self.main_cf())
        (self.etc / "master.cf").write_text(self.master_cf())

    # -- control -----------------------------------------------------------

    def _postfix(self, *args, timeout=60):
        p = subprocess.run([POSTFIX, "-c", str(self.etc)] + list(args),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace")

    def postconf(self, *names):
        p = subprocess.run([POSTCONF, "-c", str(self.etc), "-h"] + list(names),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        return p.stdout.decode().splitlines()

    def master_pid(self):
        try:
            return int((self.queue / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start(self, attempts=3):
        """Write the configuration, `postfix start`, wait for the port.

        A port picked free can be taken before master binds it: retry on a
        new port."""
        if self.root is None:
            self._layout()
        why = ""
        for _ in range(attempts):
            self.port = free_port()
            self._write_config()
            rc, out = self._postfix("start")
            if rc == 0:
                self.running = True
                if wait_listening(self.host, self.port, 15):
                    return self
                why = "port %d never accepted connections" % self.port
            else:
                why = "postfix start exited %d: %s" % (rc, out.strip())
            self.stop(remove=False)
            if "Address already in use" not in self.log():
                break
        log = self.log()
        self.stop()
        raise PostfixError("Postfix (%s) did not start: %s\nmaillog:\n%s" % (self.name, why, log))

    def stop(self, remove=True):
        """Stop master and every child; remove the directory. Never raises."""
        if self.root is None:
            return
        pid = self.master_pid()
        if pid:
            # What `postfix stop` does, without its 1 s polling: SIGTERM to
            # master, which terminates its process group (it is a session
            # leader); SIGKILL to the group if it lingers.
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
            for _ in range(100):
                if not _alive(pid):
                    break
                time.sleep(0.05)
            else:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
        elif self.running:
            try:
                self._postfix("stop", timeout=30)
            except (OSError, subprocess.SubprocessError):
                pass
        self.running = False
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------
# a tiny SMTP client, Python's ssl for STARTTLS: the reference for what the
# server really says (capabilities, replies), independent of mailtls


class SmtpClient:
    def __init__(self, host, port, timeout=15):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def reply(self):
        """-> (code, [text of each line, without "250-"/"250 "])."""
        lines = []
        while True:
            raw = self.file.readline(65536)
            if not raw:
                raise ConnectionError("connection closed; lines so far: %r" % lines)
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), lines

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def starttls(self, cafile, server_hostname):
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


def reference_dialogue(host, port, cafile, name="localhost", ehlo="reference.mailtls.test"):
    """Greeting, EHLO capabilities before and inside TLS, STARTTLS reply, the
    TLS version and cipher, as Python's ssl sees them."""
    out = {}
    with SmtpClient(host, port) as c:
        out["greeting"] = c.reply()
        code, lines = c.cmd("EHLO " + ehlo)
        out["hello_code"], out["caps"] = code, lines[1:]
        out["starttls"] = c.cmd("STARTTLS")
        if out["starttls"][0] != 220:
            c.cmd("QUIT")
            return out
        tls = c.starttls(cafile, name)
        out["version"], out["cipher"] = tls.version(), tls.cipher()[0]
        code, lines = c.cmd("EHLO " + ehlo)
        out["caps_tls"] = lines[1:]
        c.cmd("QUIT")
    return out
