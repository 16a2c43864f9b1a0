"""A throw-away nginx serving HTTPS on loopback, for MTA-STS policy fetches.

Everything lives in one temporary directory (the nginx prefix): nginx.conf,
nginx.pid, error.log, access.log, temp paths and the files served (www/).
The machine's nginx (/etc/nginx, port 80/443) is never touched: nginx runs
in the foreground (`daemon off;`) as our child with -p PREFIX -c CONF
-e PREFIX/error.log, as `user root root;` when we are root (the workers then
read the 0700 temporary directory).

  ca = MiniCa(dir)                      # openssl CLI: a CA, leaves on demand
  cert, key = ca.issue("web", ["mta-sts.good.test", "mta-sts.testing.test"])
  srv = NginxHttps(cert, key)           # one default certificate
  srv.put("mta-sts.good.test", "/.well-known/mta-sts.txt", body)
  srv.put(host, path, body, content_type="text/html")    # wrong type
  srv.status(host, path, 404) / srv.status(host, path, 500)
  srv.redirect(host, path, "https://elsewhere.test/x", code=301)
  srv.vhost(host, cert=other_cert, key=other_key)         # per-host certificate
  srv.start(); srv.port; srv.url(host, path); srv.stop()
  with srv.batch(): srv.put(...); srv.status(...)   # one reload for several

Each virtual host is a server block selected by SNI/Host (server_name);
unknown names land on a default server that answers 404 to everything.
Changes after start() rewrite nginx.conf and reload (SIGHUP); the call
returns once the new configuration answers (a generation counter served
at /__fixture_generation by the default server).
"""

import atexit
import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from dnszones import reap_group
from procutil import live_pids

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "openssl"
GENERATION_PATH = "/__fixture_generation"


class NginxError(RuntimeError):
    pass


def available():
    """None if nginx can run here, else the reason."""
    if not os.access(NGINX, os.X_OK):
        return "%s is not installed (package nginx; scripts/install-deps)" % NGINX
    return None


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _children(ppid):
    """Live (non-zombie) child pids of ppid."""
    return live_pids(1, ppid)


# --------------------------------------------------------------------------
# certificates


_CNF = """\
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ ca ]
default_ca = ca_default
[ ca_default ]
database = index.txt
new_certs_dir = newcerts
rand_serial = yes
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[ policy_any ]
commonName = supplied
"""

_LEAF_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = %s
"""


def _openssl(*args, cwd=None):
    p = subprocess.run([OPENSSL] + [str(a) for a in args], cwd=cwd, capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise NginxError("openssl %s failed:\n%s" % (" ".join(map(str, args)),
                                                     p.stderr.decode(errors="replace")))
    return p.stdout.decode(errors="replace")


def _gentime(days):
    t = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)
    return t.strftime("%Y%m%d%H%M%SZ")


class MiniCa:
    """A CA (EC P-256, openssl CLI) in `directory`; .ca is its PEM (the
    --ca-file / cafile to trust), .ca_key its key; issue() makes leaves."""

    def __init__(self, directory, cn="mailtls domain test CA"):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "ca.cnf").write_text(_CNF)
        (self.dir / "index.txt").write_text("")
        (self.dir / "newcerts").mkdir(exist_ok=True)
        self.ca = self.dir / "ca.pem"
        self.ca_key = self.dir / "ca.key"
        _openssl("req", "-x509", "-config", "ca.cnf", "-extensions", "v3_ca", "-newkey", "ec",
                 "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                 "-out", "ca.pem", "-subj", "/CN=" + cn, "-days", "60", cwd=self.dir)

    def issue(self, name, dns_names, start_days=-1, end_days=365, key_type="ec"):
        """A leaf for dns_names (first one is the CN) -> (cert path, key path).
        start_days/end_days relative to now (negative end: expired)."""
        d = self.dir
        (d / (name + ".ext")).write_text(_LEAF_EXT % ", ".join("DNS:" + n for n in dns_names))
        if key_type == "ec":
            _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-out", name + ".key", cwd=d)
        else:
            _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                     "-out", name + ".key", cwd=d)
        _openssl("req", "-new", "-config", "ca.cnf", "-key", name + ".key",
                 "-subj", "/CN=" + dns_names[0], "-out", name + ".csr", cwd=d)
        _openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
                 "-in", name + ".csr", "-out", name + ".pem", "-notext",
                 "-extfile", name + ".ext", "-startdate", _gentime(start_days),
                 "-enddate", _gentime(end_days), cwd=d)
        return d / (name + ".pem"), d / (name + ".key")


# --------------------------------------------------------------------------
# nginx


def _q(s):
    """An nginx string literal: double-quoted, \\ and " escaped. Refuses $
    (nginx would expand variables) and newlines."""
    s = str(s)
    if "$" in s or "\n" in s or "\r" in s:
        raise ValueError("unsupported character in nginx value: %r" % s)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Vhost:
    def __init__(self, name, cert=None, key=None):
        self.name = name
        self.cert, self.key = cert, key
        self.locations = {}   # path -> ("file", file, content_type) | ("status", code)
        #                        | ("redirect", code, location)


class NginxHttps:
    """nginx with TLS on 127.0.0.1:port; cert/key are the default
    certificate (every vhost without its own)."""

    host = "127.0.0.1"

    def __init__(self, cert, key, workdir=None, start=False):
        why = available()
        if why:
            raise NginxError(why)
        self.cert, self.key = Path(cert), Path(key)
        self._own_dir = workdir is None
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="mailtls-nginx-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        for sub in ("www", "tmp", "logs"):
            (self.dir / sub).mkdir(exist_ok=True)
        self.vhosts = {}
        self.generation = 0
        self.proc = None
        self.port = None
        self._nfiles = 0
        self._deferred = 0
        atexit.register(self.stop)
        if start:
            self.start()

    # -- content -------------------------------------------------------------

    @property
    def conf(self):
        return self.dir / "nginx.conf"

    def vhost(self, name, cert=None, key=None):
        """Declare (or get) the virtual host `name`, optionally with its own
        certificate."""
        v = self.vhosts.get(name)
        if v is None:
            v = self.vhosts[name] = _Vhost(name)
        if cert is not None:
            v.cert, v.key = Path(cert), Path(key)
            self._changed()
        return v

    def put(self, host, path, body, content_type="text/plain"):
        """Serve body (str or bytes) at https://host/path with status 200 and
        exactly this Content-Type (None: no Content-Type header at all)."""
        self._nfiles += 1
        f = self.dir / "www" / ("%d.body" % self._nfiles)
        f.write_bytes(body.encode() if isinstance(body, str) else bytes(body))
        self.vhost(host).locations[path] = ("file", f, content_type)
        self._changed()

    def status(self, host, path, code):
        """Answer `code` (404, 500, ...) with nginx's own error page."""
        self.vhost(host).locations[path] = ("status", int(code))
        self._changed()

    def redirect(self, host, path, location, code=301):
        self.vhost(host).locations[path] = ("redirect", int(code), location)
        self._changed()

    def remove(self, host, path):
        self.vhost(host).locations.pop(path, None)
        self._changed()

    def url(self, host, path="/"):
        return "https://%s:%d%s" % (host, self.port, path)

    # -- configuration -------------------------------------------------------

    def _location(self, path, spec):
        out = ["        location = %s {" % _q(path)]
        if spec[0] == "file":
            _, f, ctype = spec
            if ctype is None:
                # No Content-Type at all: an empty default_type drops the header.
                out.append('            default_type "";')
            else:
                out.append("            default_type %s;" % _q(ctype))
            out.append("            alias %s;" % _q(f))
        elif spec[0] == "status":
            out.append("            return %d;" % spec[1])
        else:
            out.append("            return %d %s;" % (spec[1], _q(spec[2])))
        out.append("        }")
        return out

    def _server(self, name, cert, key, default=False, locations=(), extra=()):
        out = ["    server {",
               "        listen %s:%d ssl%s;" % (self.host, self.port,
                                                " default_server" if default else ""),
               "        server_name %s;" % (_q(name) if name else '""'),
               "        ssl_certificate %s;" % _q(cert),
               "        ssl_certificate_key %s;" % _q(key)]
        out += extra
        for path, spec in locations:
            out += self._location(path, spec)
        out += ["        location / {", "            return 404;", "        }", "    }"]
        return out

    def _config(self):
        d = self.dir
        out = []
        if os.geteuid() == 0:
            out.append("user root root;")
        out += ["daemon off;",
                "master_process on;",
                "worker_processes 1;",
                "pid %s;" % _q(d / "nginx.pid"),
                "error_log %s info;" % _q(d / "logs" / "error.log"),
                "events {", "    worker_connections 256;", "}",
                "http {",
                "    access_log %s;" % _q(d / "logs" / "access.log"),
                "    client_body_temp_path %s;" % _q(d / "tmp" / "body"),
                "    proxy_temp_path %s;" % _q(d / "tmp" / "proxy"),
                "    fastcgi_temp_path %s;" % _q(d / "tmp" / "fastcgi"),
                "    uwsgi_temp_path %s;" % _q(d / "tmp" / "uwsgi"),
                "    scgi_temp_path %s;" % _q(d / "tmp" / "scgi"),
                "    types { }",
                "    default_type application/octet-stream;",
                "    server_tokens off;",
                "    keepalive_timeout 5;",
                "    ssl_protocols TLSv1.2 TLSv1.3;"]
        # the default server: unknown names, and the generation marker
        marker = ["        location = %s {" % GENERATION_PATH,
                  "            default_type text/plain;",
                  '            return 200 "%d";' % self.generation,
                  "        }"]
        out += self._server(None, self.cert, self.key, default=True, extra=marker)
        for v in self.vhosts.values():
            out += self._server(v.name, v.cert or self.cert, v.key or self.key,
                                locations=sorted(v.locations.items()))
        out.append("}")
        return "\n".join(out) + "\n"

    def _write_and_test(self):
        self.conf.write_text(self._config())
        p = subprocess.run(self._argv() + ["-t", "-q"], capture_output=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise NginxError("nginx -t rejected %s:\n%s\n%s" % (
                self.conf, p.stderr.decode(errors="replace"), self.conf.read_text()))

    def _argv(self):
        return [NGINX, "-p", str(self.dir) + "/", "-c", str(self.conf),
                "-e", str(self.dir / "logs" / "error.log")]

    @contextlib.contextmanager
    def batch(self):
        """Several changes after start(), one reload at the end."""
        self._deferred += 1
        try:
            yield self
        finally:
            self._deferred -= 1
        self._changed()

    def _changed(self):
        if self.proc is None or self._deferred:
            return
        self.generation += 1
        self._write_and_test()
        old_workers = _children(self.proc.pid)
        os.kill(self.proc.pid, signal.SIGHUP)
        # The new workers answer the new generation; the old ones may still
        # accept a connection or two until they have closed their listeners.
        end = time.monotonic() + 10.0
        ok = self._wait_generation(self.generation, 10.0)
        while ok and set(_children(self.proc.pid)) & set(old_workers):
            if time.monotonic() > end:
                ok = False
            time.sleep(0.05)
        if not ok:
            raise NginxError("nginx did not reload:\n" + self.log())

    # -- process -------------------------------------------------------------

    def log(self):
        try:
            return (self.dir / "logs" / "error.log").read_text(errors="replace")
        except OSError:
            return "(no nginx error log)"

    def _get_generation(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as raw:
                with ctx.wrap_socket(raw) as s:
                    s.sendall(("GET %s HTTP/1.0\r\nHost: fixture\r\n\r\n"
                               % GENERATION_PATH).encode())
                    data = b""
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
        except (OSError, ssl.SSLError):
            return None
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            return None
        try:
            return int(body.strip())
        except ValueError:
            return None

    def _wait_generation(self, gen, deadline_s):
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.proc is None or self.proc.poll() is not None:
                return False
            if self._get_generation() == gen:
                return True
            time.sleep(0.05)
        return False

    def start(self):
        if self.proc is not None:
            return self
        last = ""
        for _ in range(5):
            self.port = free_port(self.host)
            self._write_and_test()
            self.proc = subprocess.Popen(self._argv(), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         cwd=self.dir, start_new_session=True)
            if self._wait_generation(self.generation, 10.0):
                return self
            last = self.log()
            self._kill()
        raise NginxError("nginx did not start:\n" + last)

    def _kill(self):
        p, self.proc = self.proc, None
        if p is None:
            return
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)   # fast shutdown of master and workers
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        reap_group(p.pid)

    def stop(self, keep_dir=False):
        self._kill()
        if self._own_dir and not keep_dir and self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
