"""`mailtls serve` as a test fixture: one process, its stdout collected by a
thread, the ports it printed, stopped with a signal and checked for a clean
exit (no sanitizer report). Used by test_serve.py and test_addresses.py."""

import json
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

from conftest import REPO, SANITIZER_RE, mailtls_path


class Serve:
    """One `mailtls serve` process; its stdout is collected by a thread."""

    def __init__(self, workdir, args=(), listen=1, implicit=0, ca=True, log=True):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca = self.dir / "ca.pem" if ca else None
        self.log = self.dir / "serve.jsonl" if log else None
        argv = [str(mailtls_path()), "serve"]
        argv += ["--listen", "127.0.0.1:0"] * listen
        argv += ["--listen-implicit", "127.0.0.1:0"] * implicit
        if self.ca:
            argv += ["--ca-out", str(self.ca)]
        if self.log:
            argv += ["--log", str(self.log)]
        argv += [str(a) for a in args]
        self.argv = argv
        self.err_path = self.dir / ("serve-%d.err" % time.monotonic_ns())
        self.err_fh = open(self.err_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.err_fh, cwd=REPO)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.ports = {"starttls": [], "implicit": []}
        self.listening = []  # (address, port, mode) as printed
        want = sum(1 for a in argv if a in ("--listen", "--listen-implicit"))
        got = self.wait_lines(lambda ls: len([l for l in ls if l.startswith("listening ")]) >= want
                              or self.proc.poll() is not None, 20)
        for l in got:
            m = re.match(r"^listening (\S+):(\d+) (starttls|implicit)$", l)
            if m:
                self.ports[m.group(3)].append(int(m.group(2)))
                self.listening.append((m.group(1), int(m.group(2)), m.group(3)))
        if len(self.ports["starttls"]) + len(self.ports["implicit"]) != want:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("serve did not start: %r\nstdout:\n%s\nstderr:\n%s"
                                 % (argv, "\n".join(self.lines), self.stderr()))
        self.stopped = False

    def _read(self):
        for raw in self.proc.stdout:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_lines(self, pred, timeout=10):
        end = time.monotonic() + timeout
        with self.cond:
            while not pred(self.lines):
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(min(left, 0.2))
            return list(self.lines)

    def session_lines(self, n=1, timeout=10):
        lines = self.wait_lines(lambda ls: len([l for l in ls if l.startswith("session ")]) >= n,
                                timeout)
        return [l for l in lines if l.startswith("session ")]

    @property
    def port(self):
        return self.ports["starttls"][0]

    @property
    def iport(self):
        return self.ports["implicit"][0]

    def stderr(self):
        self.err_fh.flush()
        return self.err_path.read_text(errors="replace")

    def records(self, n=1, timeout=10):
        """The first n JSON session records of the log (waits for them)."""
        end = time.monotonic() + timeout
        recs = []
        while time.monotonic() < end:
            text = self.log.read_text() if self.log.exists() else ""
            recs = [json.loads(l) for l in text.splitlines() if l.strip()]
            if len(recs) >= n:
                return recs
            time.sleep(0.05)
        raise AssertionError("expected %d session records, got %d:\n%s\nstdout:\n%s"
                             % (n, len(recs), recs, "\n".join(self.lines)))

    def stop(self, sig=signal.SIGTERM):
        """Signal it and wait; -> (exit code, every stdout line). sig=None only
        waits: for a process already told to stop, a second signal would race
        with its exit (it may have removed its handlers already)."""
        if not self.stopped:
            self.stopped = True
            if sig is not None and self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("serve did not stop on %s" % sig)
            self.reader.join(5)
            self.err_fh.close()
        err = self.err_path.read_text(errors="replace")
        assert not SANITIZER_RE.search(err), "sanitizer report:\n" + err
        return self.proc.returncode, list(self.lines)


class SmtpClient:
    """A raw SMTP client: exact bytes out, replies in (blocking, with a
    timeout). Used by test_serve.py and test_serve_abuse.py."""

    def __init__(self, port, host="127.0.0.1", timeout=10, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed; buffered %r" % self.buf[:200])
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """-> (code, [lines])"""
        lines = []
        while True:
            l = self.line()
            lines.append(l)
            if len(l) < 4 or l[3] != "-":
                return int(l[:3]), lines

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, timeout=10):
        """True once the server has closed (EOF or reset)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True

    def starttls(self, cafile, name="localhost"):
        ctx = ssl.create_default_context(cafile=str(cafile))
        assert self.buf == b"", "bytes before TLS: %r" % self.buf
        self.sock = ctx.wrap_socket(self.sock, server_hostname=name)
        return self.sock

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
