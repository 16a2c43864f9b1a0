"""The four reports on real scans: text, JSON (and JSON lines), CSV and HTML,
written together in one run, and what the options do to them.

  - one run writes --json, --csv and --html files and the text report on
    stdout; -o FORMAT to stdout is byte for byte the file of the same run;
  - the CSV parses with Python's csv module (RFC 4180: CRLF rows, every
    data field quoted, quotes doubled), its rows are exactly the JSON
    document's findings and errors, and no field starts with = + - @ (a
    leading ' neutralises them, as esc_csv does);
  - --jsonl writes one JSON object per endpoint and line;
  - --quiet keeps the summary and the findings at low or above;
  - colours only on a terminal (a pty here), never with NO_COLOR or
    --no-color or into a pipe;
  - --severity hides findings in every output while the exit code still
    counts them;
  - exit codes 0/1/2/3 as docs/mailtls.1 says;
  - hostile peer strings (a scripted SMTP server whose greeting and EHLO
    lines hold <script>, ANSI escapes, =HYPERLINK(...), a bidi override and
    invalid UTF-8) come out escaped in each format.

ScriptedSmtp (below) is that server; test_html_chromium.py uses it too.
"""

import csv
import io
import json
import os
import pty
import re
import select
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import _run_mailtls, endpoint, finding_ids, mailtls_path, local

SEVERITIES = ["ok", "info", "low", "medium", "high", "critical"]
CSV_HEADER = ["host", "port", "address", "id", "severity", "title", "detail", "cve", "fix"]

# ------------------------------------------------------------------ a scripted SMTP server

SCRIPT = "<script>document.title='pwned'</script>"
HOSTILE_GREETING = (b"220 mx.test ESMTP " + SCRIPT.encode() + b" \x1b[31mred\x1b[0m "
                    b"=HYPERLINK(\"http://evil.example/\") \xe2\x80\xae gnp.exe \xff\xfe")
HOSTILE_AUTH = b"AUTH PLAIN LOGIN " + SCRIPT.encode()


class ScriptedSmtp:
    """A STARTTLS SMTP server (RFC 5321, RFC 3207) in a thread, whose greeting
    and capability lines are given. Every connection: greeting, EHLO (caps +
    STARTTLS), STARTTLS -> 220 and TLS, EHLO (caps_tls), QUIT."""

    def __init__(self, cert, key, greeting=HOSTILE_GREETING,
                 caps=(HOSTILE_AUTH, b"SIZE 1000"), caps_tls=(b"AUTH PLAIN LOGIN", b"SIZE 1000")):
        self.greeting, self.caps, self.caps_tls = greeting, list(caps), list(caps_tls)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(30)
        try:
            tls = False
            sock = conn
            sock.sendall(self.greeting + b"\r\n")
            buf = b""
            while True:
                while b"\n" not in buf:
                    chunk = sock.recv(4096)
                    if not chunk:
                        return
                    buf += chunk
                line, _, buf = buf.partition(b"\n")
                verb = line.strip().split(b" ")[0].upper()
                if verb in (b"EHLO", b"HELO"):
                    caps = self.caps_tls if tls else self.caps + [b"STARTTLS"]
                    lines = [b"mx.test"] + caps
                    sock.sendall(b"".join(b"250" + (b" " if i == len(lines) - 1 else b"-") + l
                                          + b"\r\n" for i, l in enumerate(lines)))
                elif verb == b"STARTTLS" and not tls:
                    sock.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                    sock = self.ctx.wrap_socket(conn, server_side=True)
                    tls, buf = True, b""
                elif verb == b"QUIT":
                    sock.sendall(b"221 2.0.0 Bye\r\n")
                    return
                else:
                    sock.sendall(b"502 5.5.2 Error: command not recognized\r\n")
        except (OSError, ssl.SSLError):
            return  # the scanner's raw hellos end connections its own way
        finally:
            conn.close()

    def stop(self):
        self.sock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# ------------------------------------------------------------------ helpers


def run_tty(args, env=None, timeout=120):
    """Run mailtls with stdout (only) on a pseudo-terminal -> (rc, stdout bytes)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([str(mailtls_path())] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                         stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            # drain what is left
            try:
                while select.select([master], [], [], 0.1)[0]:
                    chunk = os.read(master, 65536)
                    if not chunk:
                        break
                    out += chunk
            except OSError:
                pass
            break
    os.close(master)
    p.wait(timeout=10)
    p.stderr.close()
    return p.returncode, out


def env_without_no_color(**extra):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(extra)
    return env


def parse_csv(data):
    """RFC 4180: CRLF after every row, every data field quoted."""
    assert data.endswith("\r\n")
    rows = data[:-2].split("\r\n")
    for raw in rows[1:]:
        assert raw.startswith('"') and raw.endswith('"'), raw
    parsed = list(csv.reader(io.StringIO(data, newline="")))
    assert len(parsed) == len(rows), "a field holds a line break"
    return parsed


def text_sections(text):
    return re.findall(r"^ (\S.*)$", text, re.M)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def hostile(pki):
    leaf = pki.leaf("good")
    with ScriptedSmtp(leaf.cert, leaf.key) as srv:
        yield srv


@pytest.fixture(scope="module")
def all_formats(pki, hostile, tmp_path_factory):
    """One run against the hostile server writing every report at once."""
    d = tmp_path_factory.mktemp("reports")
    files = {"json": d / "r.json", "csv": d / "r.csv", "html": d / "r.html"}
    rc, out, err = _run_mailtls(["check", "--starttls", "smtp", "--ca-file", pki.ca,
                                 "--json", files["json"], "--csv", files["csv"],
                                 "--html", files["html"], *local(hostile.port)], 120)
    return {"rc": rc, "text": out, "err": err, "doc": json.loads(files["json"].read_text()),
            "csv": files["csv"].read_bytes().decode("utf-8"),
            "html": files["html"].read_bytes().decode("utf-8"), "dir": d}


@pytest.fixture(scope="module")
def formats(pki, hostile, sserver, tmp_path_factory):
    """formats(name) -> the reports of one run writing every format at once,
    for a few kinds of scan: STARTTLS with hostile strings, implicit TLS
    trusted and self-signed, a refused connection (error rows)."""
    cache = {}
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))  # bound, not listening: refused
    scans = {
        "hostile": lambda: ["--starttls", "smtp", *local(hostile.port)],
        "implicit": lambda: ["--implicit", *local(sserver("good").port)],
        "selfsigned": lambda: ["--implicit", *local(sserver("selfsigned").port)],
        "refused": lambda: ["--implicit", "127.0.0.1:%d" % holder.getsockname()[1]],
    }

    def get(name):
        if name not in cache:
            d = tmp_path_factory.mktemp("formats-" + name)
            f = {"json": d / "r.json", "csv": d / "r.csv", "html": d / "r.html"}
            rc, out, err = _run_mailtls(["check", "--ca-file", pki.ca, "--json", f["json"],
                                         "--csv", f["csv"], "--html", f["html"],
                                         *scans[name]()], 120)
            cache[name] = {"rc": rc, "text": out, "err": err,
                           "doc": json.loads(f["json"].read_text()),
                           "csv": f["csv"].read_bytes().decode("utf-8"),
                           "html": f["html"].read_bytes().decode("utf-8")}
        return cache[name]

    yield get
    holder.close()


# The battery's CSV rows carry a verdict where findings carry a severity.
VERDICTS = ("vulnerable", "not-vulnerable", "not-applicable", "unknown")

FORMAT_RUNS = {"hostile": 0, "implicit": 0, "selfsigned": 1, "refused": 3}


@pytest.mark.parametrize("name", sorted(FORMAT_RUNS))
def test_every_format_from_one_run_agrees(formats, name):
    """The text on stdout, the JSON, CSV and HTML files of one run tell the
    same: the CSV rows are exactly the JSON findings and errors (run-level
    errors have empty host, port and address), every finding is on the
    HTML page and in the text report, and the exit code is the man page's."""
    r = formats(name)
    assert r["rc"] == FORMAT_RUNS[name], r["err"]
    doc = r["doc"]
    want = [["", "", "", e["stage"], "error", e["category"], e["message"], "", ""]
            for e in doc["errors"]]
    for ep in doc["endpoints"]:
        for f in ep["findings"]:
            want.append([ep["host"], str(ep["port"]), ep["address"], f["id"], f["severity"],
                         f["title"], f["detail"] or "", " ".join(f["cve"]), f["fix"] or ""])
        # The battery's checks: the verdict in the severity column.
        for v in ep["vulnerabilities"] or []:
            n = v["connections"]
            want.append([ep["host"], str(ep["port"]), ep["address"], v["id"], v["verdict"],
                         "vulnerability check, %d connection%s" % (n, "" if n == 1 else "s"),
                         "; ".join(x for x in (v["reason"], v["evidence"]) if x),
                         " ".join(v["cve"]),
                         "see finding %s" % v["finding"] if v["finding"] else ""])
        for e in ep["errors"]:
            want.append([ep["host"], str(ep["port"]), ep["address"], e["stage"], "error",
                         e["category"], e["message"], "", ""])
    rows = parse_csv(r["csv"])
    assert rows[0] == CSV_HEADER
    assert rows[1:] == want
    for row in rows:
        assert not any(f[:1] in ("=", "+", "-", "@") for f in row), row
    for ep in doc["endpoints"]:
        for f in ep["findings"]:
            assert ">%s</code>" % f["id"] in r["html"]
            assert "(%s)" % f["id"] in r["text"]
        for e in ep["errors"]:
            assert "%s: " % e["stage"] in r["text"]
        for v in ep["vulnerabilities"] or []:
            assert "<code>%s</code>" % v["id"] in r["html"]
            assert "\n  %s " % v["id"] in r["text"]
    if name == "refused":
        assert endpoint(doc)["tls"] is None and [row[4] for row in rows[1:]] == ["error"]


def hostile_args(pki, hostile, *more):
    return ["check", "--starttls", "smtp", "--ca-file", pki.ca, *more,
            *local(hostile.port)]


# ------------------------------------------------------------------ every format in one run


def test_one_run_writes_every_format(all_formats):
    r = all_formats
    ep = endpoint(r["doc"])
    assert r["rc"] == 0  # auth-before-tls is medium, below --fail-on high
    assert ep["tls"] is not None and ep["grade"] is not None
    # the text report goes to stdout next to the files
    assert r["text"].startswith("== localhost port %d (127.0.0.1), STARTTLS smtp ==\n" % ep["port"])
    assert "  Grade         %s (score %d)\n" % (ep["grade"]["letter"], ep["grade"]["score"]) \
        in r["text"]
    assert r["html"].startswith("<!DOCTYPE html>") and r["html"].endswith("</html>\n")
    assert parse_csv(r["csv"])[0] == CSV_HEADER


def test_csv_no_field_starts_a_formula(all_formats):
    for row in parse_csv(all_formats["csv"]):
        assert len(row) == 9
        for field in row:
            assert not field[:1] in ("=", "+", "-", "@", "\t", "\r"), row


def test_hostile_strings_in_each_format(all_formats):
    r = all_formats
    ep = endpoint(r["doc"])
    # JSON: the greeting as sent, invalid bytes, controls and the bidi
    # override as literal \xHH, the markup untouched (it is data)
    assert ep["dialogue"]["greeting"] == (
        "mx.test ESMTP " + SCRIPT + " \\x1B[31mred\\x1B[0m =HYPERLINK(\"http://evil.example/\")"
        " \\xE2\\x80\\xAE gnp.exe \\xFF\\xFE")
    assert ep["dialogue"]["auth_clear"] == HOSTILE_AUTH.decode()
    auth = [f for f in ep["findings"] if f["id"] == "auth-before-tls"]
    assert [f["detail"] for f in auth] == ["before TLS the server offers " + HOSTILE_AUTH.decode()]
    # text: no control byte reaches the terminal, the escaped form does
    t = r["text"]
    assert "\x1b" not in t and "\u202e" not in t
    t = re.sub(r"\n {16}(?=\S)", " ", t)  # the report wraps long lines at 80 columns
    assert ("Greeting      220 mx.test ESMTP " + SCRIPT + " \\x1B[31mred\\x1B[0m "
            "=HYPERLINK(\"http://evil.example/\") \\xE2\\x80\\xAE gnp.exe \\xFF\\xFE (") in t
    # CSV: the detail as in JSON (no control character there)
    rows = parse_csv(r["csv"])
    assert [row[6] for row in rows
            if row[3] == "auth-before-tls" and row[4] not in VERDICTS] == [auth[0]["detail"]]
    # HTML: no markup from the peer, entities instead; controls as U+FFFD
    h = r["html"]
    assert not re.search(r"<script", h, re.I)
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in h
    assert "\x1b" not in h and "\ufffd[31mred\ufffd[0m" in h


def test_html_shows_grade_and_findings(all_formats):
    """docs/grading.md: the grade is on the HTML page; every finding is."""
    h = all_formats["html"]
    ep = endpoint(all_formats["doc"])
    for f in ep["findings"]:
        assert ">%s</code>" % f["id"] in h
    assert re.search(r">\s*%s\s*<" % re.escape(ep["grade"]["letter"]), h), \
        "the HTML page does not show the grade letter %s" % ep["grade"]["letter"]
    assert ep["grade"]["authentication"] in h, "the HTML page has no authentication verdict"


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
def test_stdout_format_equals_the_file(pki, hostile, tmp_path, fmt):
    """-o FORMAT writes to stdout exactly what --FORMAT FILE writes, from the
    same run."""
    path = tmp_path / ("r." + fmt)
    rc, out, err = _run_mailtls(hostile_args(pki, hostile, "-o", fmt, "--" + fmt, path), 120)
    assert rc == 0, err
    assert out == path.read_bytes().decode("utf-8")
    if fmt == "json":
        json.loads(out)


def test_json_to_stdout_is_alone(pki, hostile, tmp_path):
    """--json - with --csv FILE: stdout holds the JSON document only."""
    rc, out, err = _run_mailtls(hostile_args(pki, hostile, "--json", "-", "--csv",
                                             tmp_path / "r.csv"), 120)
    doc = json.loads(out)
    assert doc["schema"] == "mailtls/1"
    assert parse_csv((tmp_path / "r.csv").read_bytes().decode("utf-8"))[0] == CSV_HEADER


@pytest.mark.parametrize("flag", [["--jsonl"], ["-o", "jsonl"]])
def test_jsonl_lines(pki, hostile, tmp_path, flag):
    """One JSON object per endpoint and line, the same endpoint as the
    document of the same run."""
    path = tmp_path / "r.json"
    rc, out, err = _run_mailtls(hostile_args(pki, hostile, *flag, "--json", path), 120)
    assert rc == 0
    assert out.endswith("\n")
    lines = out.split("\n")[:-1]
    doc = json.loads(path.read_text())
    assert len(lines) == len(doc["endpoints"]) == 1
    for line, ep in zip(lines, doc["endpoints"]):
        obj = json.loads(line)
        assert isinstance(obj, dict)
        assert list(obj) == ["schema", "tool", "errors", "endpoint"]
        assert obj["endpoint"] == ep
        assert "\n" not in line


def test_jsonl_without_endpoint(run_mailtls):
    rc, out, err = run_mailtls("check", "--jsonl", "localhost:70000")
    assert rc == 2
    lines = out.splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert obj["endpoint"] is None and obj["errors"][0]["stage"] == "target"


def test_o_text_is_the_default(pki, hostile):
    rc1, out1, _ = _run_mailtls(hostile_args(pki, hostile, "-o", "text"), 120)
    rc2, out2, _ = _run_mailtls(hostile_args(pki, hostile), 120)
    # timings, and the days left (one more in the second the certificate was made)
    strip = lambda s: re.sub(r"\d+(\.\d+)? (ms|days left)\b", "N", s)  # noqa: E731
    assert (rc1, strip(out1)) == (rc2, strip(out2))
    assert text_sections(out1)[:2] == ["Summary", "Connection and STARTTLS"]


# ------------------------------------------------------------------ --quiet


def test_quiet_shows_summary_and_findings_that_need_action(pki, hostile):
    rc, out, err = _run_mailtls(hostile_args(pki, hostile, "--quiet"), 120)
    rc2, full, _ = _run_mailtls(hostile_args(pki, hostile, "--json", "-"), 120)
    doc = json.loads(full)
    ep = endpoint(doc)
    assert text_sections(out) == ["Summary", "Findings"]
    shown = re.findall(r"\((\S+)\)$", out, re.M)
    # findings at low or above, worst first
    want = sorted([f for f in ep["findings"] if SEVERITIES.index(f["severity"]) >= 2],
                  key=lambda f: -SEVERITIES.index(f["severity"]))
    assert want, "the hostile server must raise a finding that needs action"
    assert [i for i in shown if i in finding_ids(ep)] == [f["id"] for f in want]
    for f in ep["findings"]:
        if SEVERITIES.index(f["severity"]) < 2:
            assert "(%s)" % f["id"] not in out
    assert "[info]" not in out and "[ok]" not in out
    assert "Greeting" not in out and "Cipher suites" not in out
    assert rc == rc2 == 0


# ------------------------------------------------------------------ colours


def has_ansi(b):
    return b"\x1b[" in b


def test_colour_on_a_terminal(pki, hostile):
    rc, out = run_tty(hostile_args(pki, hostile), env=env_without_no_color())
    assert rc == 0
    assert b"\x1b[1m" in out           # bold headings
    assert b"\x1b[33m[medium]" in out  # auth-before-tls, yellow
    assert b"\x1b[0m" in out
    # ...but never the peer's own escapes
    assert b"\x1b[31mred" not in out and b"\\x1B[31mred" in out


@pytest.mark.parametrize("how", ["NO_COLOR=1", "--no-color", "pipe"])
def test_no_colour(pki, hostile, how):
    if how == "pipe":
        rc, out, _ = _run_mailtls(hostile_args(pki, hostile), 120)
        out = out.encode()
    elif how == "--no-color":
        rc, out = run_tty(hostile_args(pki, hostile, "--no-color"), env=env_without_no_color())
    else:
        rc, out = run_tty(hostile_args(pki, hostile), env=env_without_no_color(NO_COLOR="1"))
    assert rc == 0
    assert b"Findings" in out
    assert not has_ansi(out) and b"\x1b" not in out


def test_empty_no_color_keeps_colour(pki, hostile):
    """docs/mailtls.1: NO_COLOR counts when set and not empty."""
    rc, out = run_tty(hostile_args(pki, hostile), env=env_without_no_color(NO_COLOR=""))
    assert has_ansi(out)


# ------------------------------------------------------------------ --severity


def test_severity_hides_in_every_output_but_counts_for_exit(pki, hostile, tmp_path):
    """--severity high: the medium and info findings vanish from the text,
    JSON, JSON lines, CSV and HTML; --fail-on medium still exits 1."""
    files = {f: tmp_path / ("r." + f) for f in ("json", "csv", "html")}
    rc, out, err = _run_mailtls(hostile_args(pki, hostile, "--severity", "high", "--fail-on",
                                             "medium", "--json", files["json"], "--csv",
                                             files["csv"], "--html", files["html"]), 120)
    assert rc == 1
    doc = json.loads(files["json"].read_text())
    assert endpoint(doc)["findings"] == []
    assert parse_csv(files["csv"].read_bytes().decode("utf-8")) == [CSV_HEADER]
    html = files["html"].read_text()
    for fid in ("auth-before-tls", "capabilities-changed", "cert-trusted", "no-ocsp-stapling"):
        assert fid not in html and "(%s)" % fid not in out
    assert "Findings" not in text_sections(out)
    rc, out, _ = _run_mailtls(hostile_args(pki, hostile, "--severity", "high", "--jsonl"), 120)
    assert json.loads(out)["endpoint"]["findings"] == []
    assert rc == 0


def test_severity_medium_keeps_medium(pki, hostile):
    rc, out, _ = _run_mailtls(hostile_args(pki, hostile, "--severity", "medium", "--json", "-"),
                              120)
    ep = endpoint(json.loads(out))
    assert [f["severity"] for f in ep["findings"]] == ["medium"]
    assert finding_ids(ep) == ["auth-before-tls"]


# ------------------------------------------------------------------ exit codes (docs/mailtls.1)


def test_exit_0_nothing_at_fail_on(pki, sserver, run_mailtls):
    rc, _, _ = run_mailtls("check", "--implicit", "--ca-file", pki.ca,
                           *local(sserver("good").port))
    assert rc == 0


def test_exit_1_finding_at_fail_on(pki, sserver, run_mailtls):
    port = sserver("selfsigned").port
    rc, _, _ = run_mailtls("check", "--implicit", "--ca-file", pki.ca, *local(port))
    assert rc == 1  # cert-self-signed is high
    rc, _, _ = run_mailtls("check", "--implicit", "--fail-on", "critical", "--ca-file", pki.ca,
                           *local(port))
    assert rc == 0


@pytest.mark.parametrize("level,rc", [("critical", 0), ("high", 0), ("medium", 1), ("low", 1),
                                      ("info", 1), ("ok", 1)])
def test_fail_on_levels(pki, hostile, level, rc):
    """The hostile server's worst finding is medium, and it has ok and info
    ones: --fail-on exits 1 at or below medium, down to ok (the man page:
    "Exit 1 when a finding is at or above SEVERITY")."""
    got, _, _ = _run_mailtls(hostile_args(pki, hostile, "--fail-on", level), 120)
    assert got == rc


@pytest.mark.parametrize("args", [
    ["--bogus", "localhost:465"],
    ["--implicit", "localhost:0"],
    ["--implicit", "localhost:70000"],
    ["--implicit", "--severity", "severe", "localhost:465"],
    ["--implicit", "--fail-on", "never", "localhost:465"],
    ["--implicit", "-o", "xml", "localhost:465"],
    ["--implicit", "--starttls", "smtp", "localhost:465"],
    ["localhost:4444"],  # a port with no usual mode
    ["--starttls", "gopher", "localhost:70"],
    [],
])
def test_exit_2_usage(run_mailtls, args):
    rc, out, err = run_mailtls("check", *args)
    assert rc == 2
    assert err.startswith("mailtls: ")


def test_exit_3_could_not_scan(run_mailtls, closed_port, pki, tmp_path):
    rc, _, err = run_mailtls("check", "--implicit", "127.0.0.1:%d" % closed_port)
    assert rc == 3 and err.startswith("mailtls: ")
    rc, _, _ = run_mailtls("check", "--implicit", "--ca-file", tmp_path / "missing.pem",
                           "127.0.0.1:%d" % closed_port)
    assert rc == 3
