"""Throw-away Haraka instances on loopback for the integration tests.

Haraka (an SMTP server in Node.js) is the suite's second MTA: Exim
and OpenSMTPD cannot be installed beside Postfix on Debian (all three
provide mail-transport-agent). It comes from the npm registry, pinned by
tests/integ/haraka/package-lock.json and installed into
tests/integ/haraka/node_modules by scripts/install-deps (`npm ci`).

Each instance lives in its own temporary directory:

  ROOT/config/            Haraka's default config directory (copied from the
                          package: connection.ini and friends have no
                          built-in fallback), then overridden:
    smtp.ini              listen=127.0.0.1:PORT, nodes=0 (no cluster)
    plugins               mailtls_rdns, then the plugins of the profile
                          (tls, auth/flat_file, queue/discard...)
    tls.ini               key= and cert= of the test PKI's leaf
    me                    the host name in the greeting and the EHLO reply
    EXTRA                 any other file the profile writes
  ROOT/plugins/mailtls_rdns.js
                          answers the client's reverse DNS lookup with
                          "localhost": no resolver is ever asked
  ROOT/queue/             Haraka's outbound queue (stays empty)
  ROOT/haraka.log         Haraka's stdout and stderr (its log goes there)

Haraka runs in the foreground (`node bin/haraka -c ROOT`, one process: no
cluster) as the leader of a new session; stop() sends SIGTERM to
that process group, SIGKILL if it lingers.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HARAKA_DIR = REPO / "tests" / "integ" / "haraka"
HARAKA_PKG = HARAKA_DIR / "node_modules" / "Haraka"
HARAKA_BIN = HARAKA_PKG / "bin" / "haraka"
NODE = shutil.which("node") or "/usr/bin/node"
ME = "haraka.mailtls.test"

LISTEN_LOG = r"\[server\] Listening on 127\.0\.0\.1:%d\b"
# What the tls plugin logs for every STARTTLS session it completes.
TLS_LOG = r"\[tls\] secured: cipher=(\S+) version=(\S+)"
# A key or certificate the tls plugin could not read (it then goes on
# without STARTTLS).
TLS_LOAD_ERROR = re.compile(r"\[ERROR\].*tls (key|cert) .* could not be loaded.*")


# A local plugin answering Haraka's reverse DNS lookup of the client: the
# greeting then never waits for a resolver (this machine's may be slow or
# absent), and the EHLO reply always says "Hello localhost [127.0.0.1]".
RDNS_PLUGIN = "mailtls_rdns"
RDNS_PLUGIN_JS = """\
// mailtls integration tests: no DNS for the client's name (loopback only)
exports.hook_lookup_rdns = function (next, connection) {
    next(OK, 'localhost')
}
"""


class HarakaError(RuntimeError):
    pass


def version():
    """Haraka's version from its package.json, None if not installed."""
    try:
        return json.loads((HARAKA_PKG / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def available():
    """None if Haraka can run here, else the reason it cannot."""
    if not os.access(NODE, os.X_OK):
        return "node is not installed (Node.js 20 or later runs Haraka)"
    if not HARAKA_BIN.exists() or version() is None:
        return ("Haraka is not installed in %s (scripts/install-deps runs npm ci there)"
                % HARAKA_DIR.relative_to(REPO))
    try:
        out = subprocess.run([NODE, "--version"], capture_output=True, timeout=30).stdout
        major = int(out.decode().strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return "cannot run %s --version" % NODE
    if major < 20:
        return "Haraka %s needs Node.js 20 or later, this is %s" % (version(), out.decode().strip())
    return None


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _connects(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Haraka:
    """One Haraka on 127.0.0.1:PORT.

    plugins: the lines of config/plugins. cert/key: PEM files for tls.ini.
    files: {name: text} written into config/ after the defaults (an .ini of
    a plugin, say)."""

    host = "127.0.0.1"

    def __init__(self, name, root, cert=None, key=None, plugins=("tls", "queue/discard"),
                 files=None):
        self.name = name
        self.root = Path(root)
        self.cert, self.key = cert, key
        self.plugins = list(plugins)
        self.files = dict(files or {})
        self.port = None
        self.proc = None

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def config(self):
        return self.root / "config"

    @property
    def logfile(self):
        return self.root / "haraka.log"

    def log(self):
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return ""

    def wait_log(self, pattern, count=1, deadline_s=10.0):
        """Matches of pattern in the log once there are `count` (or at the
        deadline: whatever there is then)."""
        rx = re.compile(pattern)
        end = time.monotonic() + deadline_s
        while True:
            found = rx.findall(self.log())
            if len(found) >= count or time.monotonic() >= end:
                return found
            time.sleep(0.05)

    def tls_sessions(self, count=1, deadline_s=10.0):
        """[(version, cipher)] of every STARTTLS session Haraka logged."""
        return [(v, c) for c, v in self.wait_log(TLS_LOG, count, deadline_s)]

    def _write_config(self):
        if self.config.exists():
            shutil.rmtree(self.config)
        shutil.copytree(HARAKA_PKG / "config", self.config)
        # nodes=0: no cluster, the server is the one process we start
        # (unset means a cluster of one worker, a second process).
        (self.config / "smtp.ini").write_text("listen=%s\nnodes=0\n" % self.hostport)
        (self.root / "plugins").mkdir(exist_ok=True)
        (self.root / "plugins" / (RDNS_PLUGIN + ".js")).write_text(RDNS_PLUGIN_JS)
        plugins = [RDNS_PLUGIN] + self.plugins
        (self.config / "plugins").write_text("".join(p + "\n" for p in plugins))
        (self.config / "me").write_text(ME + "\n")
        tls = ""
        if self.cert is not None:
            # DH parameters given up front: without them Haraka generates
            # 2048-bit ones in the background at startup (openssl dhparam,
            # up to 30 s) and offers DHE suites only once that is done, so
            # two enumerations of one instance could differ. RFC 7919's
            # ffdhe2048 is instant (and a well-known prime, as in the wild).
            dh = self.config / "dhparams.pem"
            subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH",
                            "-pkeyopt", "group:ffdhe2048", "-out", str(dh)],
                           check=True, capture_output=True)
            tls = "key=%s\ncert=%s\ndhparam=dhparams.pem\n" % (self.key, self.cert)
        (self.config / "tls.ini").write_text(tls)
        for name, text in self.files.items():
            (self.config / name).write_text(text)

    def start(self, attempts=3, deadline_s=60.0):
        """Write the configuration, start Haraka, wait until it listens.

        A port picked free can be taken before Haraka binds it: retry on a
        new port."""
        self.root.mkdir(parents=True, exist_ok=True)
        why = ""
        for _ in range(attempts):
            self.port = free_port()
            self._write_config()
            with open(self.logfile, "wb") as fh:
                self.proc = subprocess.Popen(
                    [NODE, str(HARAKA_BIN), "-c", str(self.root)], cwd=self.root,
                    stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                    start_new_session=True)
            listening = re.compile(LISTEN_LOG % self.port)
            end = time.monotonic() + deadline_s
            while time.monotonic() < end:
                if self.proc.poll() is not None:
                    why = "haraka exited %d" % self.proc.returncode
                    break
                if listening.search(self.log()) and _connects(self.host, self.port):
                    # (without key= and cert= the core logs it too: harmless)
                    bad = self.cert is not None and TLS_LOAD_ERROR.search(self.log())
                    if not bad:
                        return self
                    # Haraka runs on without STARTTLS then: not what was asked
                    why = bad.group(0)
                    break
                time.sleep(0.1)
            else:
                why = "port %d never accepted connections within %.0f s" % (self.port, deadline_s)
            self.stop()
            if "EADDRINUSE" not in self.log() or why.startswith("[ERROR]"):
                break
        raise HarakaError("Haraka (%s) did not start: %s\nlog:\n%s" % (self.name, why, self.log()))

    def stop(self):
        """SIGTERM to Haraka's process group, SIGKILL if it lingers. Never raises."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for sig, wait_s in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                pass
            try:
                proc.wait(timeout=wait_s)
                break
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
