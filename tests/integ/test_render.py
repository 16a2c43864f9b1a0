"""`mailtls render`: a saved report read back through the model
(src/model/json_read.c) and written again must be what the run printed.

Real scans write their JSON, HTML and CSV files and print the text report
on stdout; then, from the JSON file alone:
  render X -o json   == X, byte for byte
  render X -o html   == the run's HTML file
  render X -o csv    == the run's CSV file
  render X           == the run's stdout (same --severity, -q,
                        --transcript, --show-certs; colour off)
  render X -o jsonl, rendered back as JSON == X (the JSON lines reader)

Targets: `mailtls serve` (STARTTLS, full and --quick), an openssl
s_server (implicit TLS, trusted and self-signed), the scripted hostile SMTP
server of test_reports.py (escapes, markup, formulas, invalid UTF-8 in
every peer string), a refused port (errors only), a usage error (a
run-level error and no endpoint) and, when NSD, nginx and Postfix are
there, a `mailtls domain` run of test_domain.py's world.

Then the failures: a document of another schema version, garbage, a
missing file: exit 3 and one `mailtls: ` line on stderr; no FILE: exit 2.
"""

import json
import socket
import subprocess

import pytest

from conftest import _run_mailtls, local, mailtls_path, stderr_error_line
from serveproc import Serve
from test_reports import ScriptedSmtp


def render(*args, stdin=None):
    """mailtls render ARGS -> (rc, stdout bytes, stderr text)"""
    p = subprocess.run([str(mailtls_path()), "render", *[str(a) for a in args]],
                       input=stdin, capture_output=True, timeout=60)
    assert p.returncode >= 0, "render killed by signal %d" % -p.returncode
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def run_saved(d, args, timeout=180):
    """One run writing every file; (rc, stdout bytes, files)."""
    d.mkdir(parents=True, exist_ok=True)
    files = {"json": d / "r.json", "html": d / "r.html", "csv": d / "r.csv"}
    argv = [str(mailtls_path()), args[0], "--no-color", "--json", files["json"],
            "--html", files["html"], "--csv", files["csv"], *args[1:]]
    p = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    assert p.returncode >= 0
    return p.returncode, p.stdout, files


def text_opts(args):
    """The options of a run that shape its text report, for render."""
    keep = []
    for i, a in enumerate(args):
        if a in ("-q", "--quiet", "--transcript", "--show-certs"):
            keep.append(a)
        elif a == "--severity":
            keep += [a, args[i + 1]]
    return keep


def assert_round_trip(d, args):
    rc, text, files = run_saved(d, args)
    saved = files["json"].read_bytes()
    doc = json.loads(saved)
    assert doc["schema"] == "mailtls/1"
    sev = [a for a in text_opts(args) if a not in ("-q", "--quiet", "--transcript",
                                                    "--show-certs")]

    got = render(files["json"], "-o", "json")
    assert got[0] == 0, got[2]
    assert got[1] == saved, "render -o json differs from the saved document"

    got = render(files["json"], "-o", "html", *sev)
    assert got[0] == 0, got[2]
    assert got[1] == files["html"].read_bytes(), "render -o html differs from the run's HTML"

    got = render(files["json"], "-o", "csv", *sev)
    assert got[0] == 0, got[2]
    assert got[1] == files["csv"].read_bytes(), "render -o csv differs from the run's CSV"

    got = render(files["json"], "--no-color", *text_opts(args))
    assert got[0] == 0, got[2]
    assert got[1] == text, "render (text) differs from what the run printed:\n%s\n---\n%s" % (
        got[1].decode("utf-8", "replace")[:3000], text.decode("utf-8", "replace")[:3000])

    # the JSON lines reader: saved -> jsonl -> json again, and from stdin
    rc2, lines, err = render(files["json"], "-o", "jsonl")
    assert rc2 == 0, err
    assert len(lines.splitlines()) == max(1, len(doc["endpoints"]) + ("domain" in doc))
    got = render("-", "-o", "json", stdin=lines)
    assert got[0] == 0, got[2]
    assert got[1] == saved, "JSON lines read back differ from the document"
    return rc, doc


# ------------------------------------------------------------------ targets


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    s = Serve(tmp_path_factory.mktemp("render-serve"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def hostile(pki):
    leaf = pki.leaf("good")
    with ScriptedSmtp(leaf.cert, leaf.key) as srv:
        yield srv


@pytest.mark.parametrize("extra", [[], ["--quick"], ["--severity", "low", "-q"],
                                   ["--transcript", "--show-certs"]],
                         ids=["full", "quick", "severity-quiet", "transcript-certs"])
def test_serve(served, tmp_path, extra):
    rc, doc = assert_round_trip(tmp_path, ["check", "--starttls", "smtp", "--ca-file",
                                           served.ca, *extra, *local(served.ports["starttls"][0])])
    assert rc in (0, 1) and doc["endpoints"][0]["tls"] is not None


@pytest.mark.parametrize("leaf", ["good", "selfsigned"])
def test_s_server(sserver, pki, tmp_path, leaf):
    rc, doc = assert_round_trip(tmp_path, ["check", "--implicit", "--ca-file", pki.ca,
                                           "--transcript", *local(sserver(leaf).port)])
    assert doc["endpoints"][0]["grade"] is not None


def test_hostile_strings(hostile, pki, tmp_path):
    """Escapes, markup, formulas and invalid UTF-8 from the server: the
    model read back holds the same bytes, so every output is the same."""
    rc, doc = assert_round_trip(tmp_path, ["check", "--starttls", "smtp", "--ca-file", pki.ca,
                                           "--transcript", *local(hostile.port)])
    assert "\\x1B" in json.dumps(doc)


def test_refused(tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))  # bound, not listening: refused
    try:
        rc, doc = assert_round_trip(tmp_path, ["check", "--implicit", "127.0.0.1:%d"
                                               % holder.getsockname()[1]])
    finally:
        holder.close()
    assert rc == 3 and doc["endpoints"][0]["errors"]


def test_usage_error_report(tmp_path):
    rc, doc = assert_round_trip(tmp_path, ["check", "--implicit", "localhost:0"])
    assert rc == 2 and doc["endpoints"] == [] and doc["errors"]


def test_domain(tmp_path):
    """A `mailtls domain` run in test_domain.py's world (skipped without
    NSD, nginx or Postfix, as there)."""
    import test_domain
    test_domain._need(test_domain.dnszones, "NSD")
    test_domain._need(test_domain.nginx_https, "nginx")
    test_domain._need(test_domain.postfix, "Postfix")
    w = test_domain.build_world(tmp_path / "world")
    try:
        rc, doc = assert_round_trip(tmp_path / "run", ["domain", *test_domain.base_args(w),
                                                       "--quick", "both.test"])
        rc, doc2 = assert_round_trip(tmp_path / "run-mismatch",
                                     ["domain", *test_domain.base_args(w), "danebad.test"])
    finally:
        test_domain.stop_world(w)
    assert doc["domain"]["name"] == "both.test" and doc["endpoints"]
    assert doc2["endpoints"][0]["grade"] is not None


# ------------------------------------------------------------------ failures


def test_newer_schema(tmp_path):
    f = tmp_path / "new.json"
    f.write_text('{"schema": "mailtls/99", "tool": {"name": "mailtls", "version": "9"}, '
                 '"errors": [], "endpoints": []}\n')
    rc, out, err = render(f)
    assert rc == 3 and out == b""
    line = stderr_error_line(err)
    assert 'unsupported schema "mailtls/99"' in line and "mailtls/1" in line


@pytest.mark.parametrize("data", [b"garbage\n", b"", b"\x1b[2J\xff{", b"[1, 2]",
                                  b'{"schema": "mailtls/1", "endpoints": [{"port": "x"}]}'])
def test_garbage(tmp_path, data):
    rc, out, err = render("-", stdin=data)
    assert rc == 3 and out == b""
    line = stderr_error_line(err)
    assert "\x1b" not in line
    assert "standard input" in line


def test_missing_file(tmp_path):
    rc, out, err = render(tmp_path / "none.json")
    assert rc == 3
    assert "cannot read" in stderr_error_line(err)


def test_usage():
    rc, out, err = render()
    assert rc == 2
    assert "no FILE given" in stderr_error_line(err)
    rc, out, err = render("--bogus", "x.json")
    assert rc == 2
    rc, out, err = _run_mailtls(["render", "--help"])
    assert rc == 0 and "Usage: mailtls render" in out
