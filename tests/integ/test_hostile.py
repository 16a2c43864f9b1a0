"""The hostile-peer suite (issue 12, item 6): mailtls check against a server
that misbehaves at one stage of an SMTP, IMAP, POP3 or implicit-TLS session
(tests/fixtures/hostile_server.py; its docstring lists the behaviours).

One table row per behaviour: the protocol, the server's behaviour, the
expected exit code (0 where the scan legitimately completes), the expected
endpoint error (stage, category) or none, the exact set of findings at low
or above (so a wrong finding fails the row), extra mailtls options and where
the server's hostile text must show up (escaped). What test_bad_input.py and
test_smtp_dialogue.py already cover (SMTP split replies, a 5,000-line EHLO,
an endless or dripping greeting, an ANSI greeting, a silent port, a close or
clear text after the 220, a trickling TLS record, a 421 or 554 greeting...)
is not repeated here.

Every row runs once, with short deadlines (COMMON), and writes every
report: text on stdout (with --transcript), --json, --csv and --html files,
and -v logs on stderr. Each row asserts the exit code and the error or
finding, a wall time under twice --scan-timeout (a bound, not a speed
test), no crash or sanitizer report, and that no output carries a C0 or C1
control (but newline and tab; CRLF ends CSV rows), DEL, a bidi control, a
CSV cell that starts a formula, markup from the server, or invalid UTF-8
(assert_outputs_safe). The rows run in parallel (one module fixture runs
every selected row at once), so the whole file takes about as long as its
slowest rows: the 421 ones wait 1 + 2 + 4 s between their retries."""

import concurrent.futures
import csv
import html
import io
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from conftest import FIXTURES, SANITIZER_RE, endpoint, local, mailtls_path

sys.path.insert(0, str(FIXTURES))
import hostile_server  # noqa: E402

MARK = hostile_server.HOSTILE_MARKER
SCAN_TIMEOUT = 20
# The deadlines of issue 12: what ends in a timeout ends in seconds.
COMMON = ["--read-timeout", "1", "--timeout", "5", "--scan-timeout", str(SCAN_TIMEOUT)]
# Rows that need a TLS handshake to complete: the handshake must finish
# within --read-timeout, so give it room on a loaded machine (ASan, 2 cores,
# every row at once). The stages that misbehave still end within seconds.
ROOM = ("--read-timeout", "3")
# Rows whose server sends byte by byte (half a millisecond apart, a
# handshake of some 2,000 bytes) and must still complete: more room still.
SLOW = ("--read-timeout", "10", "--timeout", "20")
WORKERS = 8
EHLO = "client.example"
SERIOUS = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Row:
    proto: str                 # smtp, imap, pop3, implicit
    behaviour: str             # hostile_server STAGE-ACTION
    rc: int                    # expected exit code
    error: tuple = None        # expected endpoint error (stage, category); None: none
    findings: tuple = ()       # every finding at low or above, exactly
    args: tuple = ()           # mailtls options after COMMON (later ones win)
    full: bool = False         # the full scan (enumeration) instead of --quick
    shows: str = ""            # where HOSTILE must appear: t text, e stderr, j json,
                               # c csv, h html
    xfail: str = None          # a known product bug, named

    @property
    def name(self):
        return "%s-%s%s" % (self.proto, self.behaviour, "-full" if self.full else "")


D_TIMEOUT, D_LIMIT, D_IO = ("dialogue", "timeout"), ("dialogue", "limit"), ("dialogue", "io")
D_PROTO, D_BUSY = ("dialogue", "protocol"), ("dialogue", "busy")
T_TIMEOUT, T_TLS, T_IO = ("tls", "timeout"), ("tls", "tls"), ("tls", "io")
A_TIMEOUT, A_LIMIT, A_IO = ("after-tls", "timeout"), ("after-tls", "limit"), ("after-tls", "io")
A_PROTO = ("after-tls", "protocol")

ROWS = [
    # ---------------------------------------------------------------- SMTP: greeting
    Row("smtp", "greeting-trickle", 3, D_TIMEOUT),
    Row("smtp", "greeting-endless-multi", 3, D_LIMIT),
    Row("smtp", "greeting-mismatch", 3, D_PROTO),
    Row("smtp", "greeting-close", 3, D_IO),
    Row("smtp", "greeting-reset", 3, D_IO),
    Row("smtp", "greeting-hostile", 0, shows="tjh"),
    Row("smtp", "greeting-busy", 3, D_BUSY, shows="tejch"),
    Row("smtp", "all-lf", 0, args=ROOM),
    Row("smtp", "all-cr", 3, D_TIMEOUT),
    # ---------------------------------------------------------------- SMTP: EHLO
    Row("smtp", "hello-trickle", 3, D_TIMEOUT),
    Row("smtp", "hello-endless-line", 3, D_LIMIT),
    Row("smtp", "hello-slow-multi", 3, D_TIMEOUT),
    Row("smtp", "hello-mismatch", 3, D_PROTO),
    Row("smtp", "hello-silent", 3, D_TIMEOUT),
    Row("smtp", "hello-close", 3, D_IO),
    Row("smtp", "hello-reset", 3, D_IO),
    Row("smtp", "hello-busy", 3, D_BUSY, shows="tejch"),
    Row("smtp", "hello-hostile", 0, findings=("auth-before-tls",), args=ROOM, shows="tjch"),
    Row("smtp", "hello-masked", 1, findings=("starttls-stripped",), args=ROOM),
    # ---------------------------------------------------------------- SMTP: STARTTLS reply
    Row("smtp", "starttls-trickle", 3, D_TIMEOUT),
    Row("smtp", "starttls-endless-line", 3, D_LIMIT),
    Row("smtp", "starttls-endless-multi", 3, D_LIMIT),
    Row("smtp", "starttls-silent", 3, D_TIMEOUT),
    Row("smtp", "starttls-close", 3, D_IO),
    Row("smtp", "starttls-reset", 3, D_IO),
    Row("smtp", "starttls-busy", 3, D_BUSY, shows="tejch"),
    Row("smtp", "starttls-mismatch", 3, D_PROTO),
    Row("smtp", "starttls-hostile", 1, findings=("starttls-refused",), shows="tjch"),
    # ---------------------------------------------------------------- SMTP: TLS records
    Row("smtp", "tls-bytes", 0, args=SLOW),
    Row("smtp", "tls-trickle", 3, T_TIMEOUT),
    Row("smtp", "tls-silent", 3, T_TIMEOUT),
    Row("smtp", "tls-close", 3, T_TLS),
    Row("smtp", "tls-reset", 3, T_IO),
    Row("smtp", "tls-http", 3, T_TLS, shows="j"),
    Row("smtp", "tls-cleartext", 3, T_TLS, shows="j"),
    Row("smtp", "tls-sslv2", 3, T_TLS),
    Row("smtp", "tls-alert-storm", 3, T_TLS),
    Row("smtp", "tls-alert-unknown", 3, T_TLS),
    Row("smtp", "tls-oversized", 3, T_TLS),
    Row("smtp", "tls-zero-length", 3, T_TLS),
    Row("smtp", "tls-hs-huge", 3, T_TLS),
    Row("smtp", "tls-hs-short", 3, T_TLS),
    Row("smtp", "tls-truncated", 3, T_TLS),
    Row("smtp", "tls-warn-alert", 0, args=ROOM, full=True),
    # ---------------------------------------------------------------- SMTP: inside TLS
    Row("smtp", "after-tls-trickle", 0, A_TIMEOUT, args=ROOM),
    Row("smtp", "after-tls-endless-line", 0, A_LIMIT, args=ROOM),
    Row("smtp", "after-tls-endless-multi", 0, A_LIMIT, args=ROOM),
    Row("smtp", "after-tls-silent", 0, A_TIMEOUT, args=ROOM),
    Row("smtp", "after-tls-close", 0, A_IO, args=ROOM),
    Row("smtp", "after-tls-reset", 0, A_IO, args=ROOM),
    Row("smtp", "after-tls-busy", 0, args=ROOM),
    Row("smtp", "after-tls-mismatch", 0, A_PROTO, args=ROOM),
    Row("smtp", "after-tls-hostile", 0, args=ROOM, full=True, shows="tjch"),
    # ---------------------------------------------------------------- SMTP: QUIT
    Row("smtp", "quit-never-close", 0, args=ROOM),
    Row("smtp", "quit-silent", 0, args=ROOM),
    Row("smtp", "quit-reset", 0, args=ROOM),
    Row("smtp", "quit-hostile", 0, args=ROOM, shows="tjh"),
    # ---------------------------------------------------------------- IMAP
    Row("imap", "greeting-bytes", 0, args=SLOW),
    Row("imap", "greeting-trickle", 3, D_TIMEOUT),
    Row("imap", "greeting-close", 3, D_IO),
    Row("imap", "greeting-hostile", 0, args=ROOM, shows="tjh"),
    Row("imap", "greeting-busy", 3, D_BUSY, shows="tejch"),
    Row("imap", "hello-endless-multi", 3, D_LIMIT),
    Row("imap", "hello-mismatch", 3, D_PROTO),
    Row("imap", "hello-hostile", 0, args=ROOM, shows="tjh"),
    Row("imap", "starttls-silent", 3, D_TIMEOUT),
    Row("imap", "starttls-mismatch", 3, D_PROTO),
    Row("imap", "starttls-hostile", 1, findings=("starttls-refused",), shows="tjch"),
    Row("imap", "tls-cleartext", 3, T_TLS, shows="j"),
    Row("imap", "after-tls-bytes", 0, args=SLOW),
    Row("imap", "after-tls-endless-multi", 0, A_LIMIT, args=ROOM),
    Row("imap", "after-tls-reset", 0, A_IO, args=ROOM),
    Row("imap", "quit-never-close", 0, args=ROOM),
    Row("imap", "all-lf", 0, args=ROOM),
    Row("imap", "all-cr", 3, D_TIMEOUT),
    # ---------------------------------------------------------------- POP3
    Row("pop3", "greeting-bytes", 0, args=SLOW),
    Row("pop3", "greeting-reset", 3, D_IO),
    Row("pop3", "greeting-busy", 3, D_PROTO, shows="tejch"),
    Row("pop3", "hello-endless-multi", 3, D_LIMIT),
    Row("pop3", "hello-hostile", 0, args=ROOM, shows="tjh"),
    Row("pop3", "starttls-hostile", 1, findings=("starttls-refused",), shows="tjch"),
    Row("pop3", "tls-cleartext", 3, T_TLS, shows="j"),
    Row("pop3", "after-tls-trickle", 0, A_TIMEOUT, args=ROOM),
    Row("pop3", "quit-silent", 0, args=ROOM),
    Row("pop3", "all-lf", 0, args=ROOM),
    # ---------------------------------------------------------------- implicit TLS
    Row("implicit", "tls-http", 3, T_TLS, findings=("port-mode-mismatch",), shows="tjch"),
    Row("implicit", "tls-sslv2", 3, T_TLS),
    Row("implicit", "tls-truncated", 3, T_TLS, full=True),
    Row("implicit", "tls-warn-alert", 0, args=ROOM, full=True),
    Row("implicit", "tls-alert-storm", 3, T_TLS, full=True),
    Row("implicit", "tls-zero-length", 3, T_TLS, full=True),
]


def params():
    out = []
    for r in ROWS:
        marks = [pytest.mark.xfail(reason=r.xfail, strict=True)] if r.xfail else []
        out.append(pytest.param(r, id=r.name, marks=marks))
    return out


# ------------------------------------------------------------------ output safety

# Bidi controls (UAX #9): the embeddings, overrides and isolates the issue
# names, and the marks, which reorder text too.
BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x061C, 0x200E, 0x200F}
# Markup the server's text carries (hostile_server.HOSTILE): never as tags.
SERVER_TAG = re.compile(r"<\s*/?\s*(script|img)\b", re.I)
CHARREF = re.compile(r"&#([xX][0-9a-fA-F]{1,6}|[0-9]{1,7});")


def unsafe_chars(s, allow="\n\t"):
    """(offset, code point, context) of every control, DEL, C1 or bidi
    control in s, but those in `allow`."""
    bad = []
    for i, ch in enumerate(s):
        cp = ord(ch)
        if ch in allow:
            continue
        if cp < 0x20 or cp == 0x7F or 0x80 <= cp <= 0x9F or cp in BIDI:
            bad.append((i, "U+%04X" % cp, s[max(0, i - 30):i + 10]))
    return bad


def charrefs(h):
    """The characters of every numeric character reference in h."""
    for m in CHARREF.finditer(h):
        ref = m.group(1)
        cp = int(ref[1:], 16) if ref[0] in "xX" else int(ref)
        if cp < 0x110000:
            yield chr(cp)


def json_strings(o):
    if isinstance(o, str):
        yield o
    elif isinstance(o, dict):
        for k, v in o.items():
            yield k
            yield from json_strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from json_strings(v)


def assert_outputs_safe(outputs, shows=""):
    """outputs: {"text", "stderr", "json", "csv", "html"} -> bytes, from one
    run. Whatever the server sent, each must be valid UTF-8 and carry no
    control but newline and tab (CSV: its CRLF row ends), no DEL, C1 or bidi
    control, also once decoded (JSON strings, CSV cells, HTML entities); no
    CSV cell may start with = + - @; no markup of the server's may be a tag
    in the HTML. `shows` lists where the hostile text must have arrived (t
    e j c h): proof that it was escaped there, not merely absent."""
    text = {}
    for name, raw in outputs.items():
        try:
            text[name] = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            pytest.fail("%s output is not valid UTF-8: %s" % (name, e))
        allow = "\n\t\r" if name == "csv" else "\n\t"
        bad = unsafe_chars(text[name], allow)
        assert not bad, "%s output carries control or bidi characters: %r" % (name, bad[:5])
    # CSV's \r only as the row end
    assert "\r" not in text["csv"].replace("\r\n", ""), "a bare CR in the CSV"
    doc = json.loads(text["json"])
    for s in json_strings(doc):
        bad = unsafe_chars(s)
        assert not bad, "a decoded JSON string carries control or bidi characters: %r" % bad[:5]
    for row in csv.reader(io.StringIO(text["csv"], newline="")):
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@"), "CSV cell starts a formula: %r" % cell
            bad = unsafe_chars(cell, "\t")
            assert not bad, "a CSV cell carries control or bidi characters: %r" % bad[:5]
    h = text["html"]
    m = SERVER_TAG.search(h)
    assert not m, "the server's markup is a tag in the HTML: %r" % h[m.start():m.start() + 60]
    bad = unsafe_chars(html.unescape(h))
    # html.unescape drops references to most controls; a browser does not
    bad += unsafe_chars("".join(charrefs(h)))
    assert not bad, "HTML entities decode to control or bidi characters: %r" % bad[:5]

    where = {"t": "text", "e": "stderr", "j": "json", "c": "csv", "h": "html"}
    for k in shows:
        assert MARK in text[where[k]], "the hostile text never reached the %s output" % where[k]
    # ...and arrived escaped, not stripped: the form each output gives it
    if "t" in shows:
        assert "\\x1B[31mred" in text["text"], "text: ESC not shown as \\x1B"
    if "e" in shows:
        assert "\\x1B[31mred" in text["stderr"], "stderr: ESC not shown as \\x1B"
    if "j" in shows:
        assert any("\\x1B[31mred" in s for s in json_strings(doc)), "JSON: ESC not as \\x1B"
    if "h" in shows:
        assert "&lt;script" in h, "HTML: the server's markup not as entities"
    if "c" in shows:
        cells = [c for row in csv.reader(io.StringIO(text["csv"], newline="")) for c in row]
        assert any(MARK in c for c in cells)


# ------------------------------------------------------------------ running the rows

@dataclass
class Run:
    rc: int
    took: float
    outputs: dict
    doc: dict
    server_errors: list
    accepted: int


def run_row(row, pki, workdir):
    leaf = pki.leaf("good")
    srv = hostile_server.HostileServer(row.proto, row.behaviour, leaf.cert, leaf.key)
    files = {f: workdir / ("report." + f) for f in ("json", "csv", "html")}
    mode = ["--implicit"] if row.proto == "implicit" else ["--starttls", row.proto]
    argv = ([str(mailtls_path()), "check"] + mode +
            ["--ca-file", str(pki.ca), "--ehlo", EHLO, "--transcript", "-v", "-o", "text",
             "--json", str(files["json"]), "--csv", str(files["csv"]),
             "--html", str(files["html"])] +
            ([] if row.full else ["--quick"]) + COMMON + list(row.args) + local(srv.port))
    try:
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=4 * SCAN_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail("mailtls did not finish within %d s: %s" % (4 * SCAN_TIMEOUT,
                                                                     " ".join(argv)))
        took = time.monotonic() - t0
    finally:
        srv.stop()
    outputs = {"text": p.stdout, "stderr": p.stderr}
    for f, path in files.items():
        outputs[f] = path.read_bytes() if path.exists() else b""
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode >= 0, "mailtls killed by signal %d\n%s" % (-p.returncode, err)
    assert not SANITIZER_RE.search(err), "sanitizer report:\n" + err
    try:
        doc = json.loads(outputs["json"])
    except ValueError as e:
        pytest.fail("the JSON report does not parse (%s); rc=%d\n%s" % (e, p.returncode, err))
    return Run(p.returncode, took, outputs, doc, list(srv.errors), srv.accepted)


@pytest.fixture(scope="module")
def runs(request, pki, tmp_path_factory):
    """name -> Run (or the exception it raised) for every selected row, run
    in parallel, once."""
    rows = [item.callspec.params["row"] for item in request.session.items
            if getattr(item, "module", None) is sys.modules[__name__]
            and hasattr(item, "callspec") and "row" in item.callspec.params]
    base = tmp_path_factory.mktemp("hostile")
    out = {}

    def one(row):
        d = base / row.name
        d.mkdir()
        try:
            return run_row(row, pki, d)
        except BaseException as e:  # pytest.fail and assertions, kept for the row
            return e

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as ex:
        for row, res in zip(rows, ex.map(one, rows)):
            out[row.name] = res
    return out


# Facts of the fake's own TLS stack (Python's ssl on Debian's OpenSSL: CBC
# suites in TLS 1.2), not of the hostile behaviour under test: a full scan
# reports them on every row.
TLS_STACK_FINDINGS = {"lucky13"}


def serious_findings(ep):
    return sorted(f["id"] for f in ep["findings"]
                  if f["severity"] in SERIOUS and f["id"] not in TLS_STACK_FINDINGS)


@pytest.mark.parametrize("row", params())
def test_hostile(row, runs):
    r = runs[row.name]
    if isinstance(r, BaseException):
        raise r
    err = r.outputs["stderr"].decode("utf-8", "replace")
    assert not r.server_errors, "the fixture itself failed: %r" % r.server_errors
    assert r.took < 2 * SCAN_TIMEOUT, "took %.1f s, over twice --scan-timeout" % r.took
    ep = endpoint(r.doc)
    errors = [(e["stage"], e["category"]) for e in ep["errors"]]
    assert r.rc == row.rc, "exit %d, expected %d; errors %r, findings %r\n%s" % (
        r.rc, row.rc, ep["errors"], serious_findings(ep), err[-2000:])
    if row.error:
        assert errors and errors[0] == row.error, "expected error %r first, got %r" % (
            row.error, ep["errors"])
    elif not row.full:
        assert errors == [], "expected no error, got %r" % ep["errors"]
    else:
        # the enumeration may leave part unknown (a tarpit, throttling, the
        # scan timeout on a slow machine), but the verified handshake and
        # its dialogue have no error
        assert [e for e in errors if e[0] not in ("enumerate", "scan")] == [], ep["errors"]
    assert serious_findings(ep) == sorted(row.findings), [
        (f["id"], f["severity"], f["detail"]) for f in ep["findings"]
        if f["severity"] in SERIOUS and f["id"] not in TLS_STACK_FINDINGS]
    if r.rc == 3:
        assert ep["tls"] is None, "exit 3, yet a handshake completed"
    if r.rc != 3 and "starttls-refused" not in row.findings:
        # the verified handshake itself completed
        assert ep["tls"] is not None and ep["tls"]["verify"]["code"] == 0, ep["errors"]
    assert_outputs_safe(r.outputs, row.shows)


def test_table_has_every_stage():
    """The table covers each stage for SMTP and the other protocols, and at
    least 40 behaviours (issue 12)."""
    assert len({r.name for r in ROWS}) == len(ROWS) >= 40
    stages = {(r.proto, hostile_server.split_behaviour(r.behaviour)[0]) for r in ROWS}
    for st in ("greeting", "hello", "starttls", "tls", "after-tls", "quit", "all"):
        assert ("smtp", st) in stages, st
    for proto in ("imap", "pop3"):
        assert {s for p, s in stages if p == proto} >= {"greeting", "hello", "starttls", "tls",
                                                         "after-tls"}, proto


def test_safety_check_catches_leaks():
    """assert_outputs_safe is a test that can fail: each kind of leak trips it."""
    clean = {"text": b"ok\n", "stderr": b"", "json": b'{"a": "b"}',
             "csv": b'"host"\r\n"x"\r\n', "html": b"<p>ok</p>"}
    assert_outputs_safe(clean)
    leaks = [("text", b"a\x1b[31mb"), ("stderr", b"\xc2\x9b"), ("text", b"\xe2\x80\xae"),
             ("text", b"\xff"), ("json", b'{"a": "\\u001b[2J"}'), ("json", b'{"a": "\\u2066"}'),
             ("csv", b'"=cmd|x"\r\n'), ("csv", b'"@SUM(1)"\r\n'), ("html", b"<script>x"),
             ("html", b"&#x1b;[2J"), ("html", b"&#8238;")]
    for name, raw in leaks:
        bad = dict(clean, **{name: raw})
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            assert_outputs_safe(bad)
