"""The HTML report in a real browser: Debian's chromium, headless
(scripts/install-deps installs it).

  - a real report (a full STARTTLS scan of the scripted SMTP server of
    test_reports.py, whose greeting and EHLO lines carry
    <script>document.title='pwned'</script>, ANSI escapes, =HYPERLINK(...),
    a bidi override and invalid UTF-8) is loaded with --dump-dom: the DOM
    shows the grade and every finding, has no <script> element, and the
    title is still "mailtls report";
  - a control page built from the same report with the escaping undone
    proves the harness sees a script that runs (its title becomes "pwned");
  - at a phone's width (390 x 844) the page does not scroll sideways, and
    --screenshot writes a PNG of that size;
  - the domain page (`mailtls domain`, the golden file of the unit tests,
    hostile TXT records and policy included) shows the downgrade verdict
    and every domain finding, runs no script, and fits a phone too.
"""

import json
import re
import shutil
import struct
import subprocess
from html import escape
from html.parser import HTMLParser

import pytest

from conftest import REPO, _run_mailtls, endpoint, local
from test_reports import SCRIPT, ScriptedSmtp

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(scripts/install-deps installs Debian's package)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-extensions", "--mute-audio", "--hide-scrollbars"]


def chromium(tmp_path, *args, timeout=90):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    p = subprocess.run([CHROMIUM, *FLAGS, "--user-data-dir=%s" % profile, *map(str, args)],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-3000:]
    return p.stdout.decode("utf-8")


class Dom(HTMLParser):
    """Tags, the <title>, and the visible text of a dumped DOM."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags, self.title, self.text = [], "", []
        self._in = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in.append(tag)

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        if self._in and self._in[-1] == "title":
            self.title += data
        elif not (self._in and self._in[-1] in ("style", "script")):
            self.text.append(data)

    @property
    def body(self):
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def report(pki, tmp_path_factory):
    """(html path, the JSON document) of one full scan with hostile strings."""
    d = tmp_path_factory.mktemp("chromium")
    leaf = pki.leaf("good")
    with ScriptedSmtp(leaf.cert, leaf.key) as srv:
        rc, out, err = _run_mailtls(["check", "--starttls", "smtp", "--ca-file", pki.ca,
                                     "--html", d / "report.html", "--json", d / "report.json",
                                     *local(srv.port)], 120)
    assert rc == 0, err
    doc = json.loads((d / "report.json").read_text())
    assert endpoint(doc)["grade"] is not None
    return d / "report.html", doc


@pytest.fixture(scope="module")
def dom(report, tmp_path_factory):
    html, _ = report
    return Dom(chromium(tmp_path_factory.mktemp("dump"), "--dump-dom", html.as_uri()))


def test_no_script_element_and_title_unchanged(dom):
    assert "script" not in dom.tags
    assert dom.title == "mailtls report"
    # the greeting is shown as text, markup and all
    assert SCRIPT in dom.body


def test_dom_shows_the_findings(dom, report):
    _, doc = report
    for f in endpoint(doc)["findings"]:
        assert f["id"] in dom.body
        assert " ".join(f["title"].split()) in dom.body


def test_dom_shows_the_grade(dom, report):
    """docs/grading.md: the grade is on the HTML page."""
    _, doc = report
    g = endpoint(doc)["grade"]
    assert re.search(r"\bGrade\b", dom.body, re.I), "no grade on the page"
    assert re.search(r"\bGrade:?\s*%s\b" % re.escape(g["letter"]), dom.body) or \
        re.search(r"(^|\s)%s(\s|$)" % re.escape(g["letter"]), dom.body), \
        "the letter %s is not on the page" % g["letter"]
    assert g["authentication"] in dom.body


def test_control_page_runs_its_script(report, tmp_path):
    """The harness can fail: the same report with the greeting's escaping
    undone and the Content-Security-Policy removed runs the script."""
    html, _ = report
    page = html.read_text(encoding="utf-8")
    escaped = "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"
    assert escaped in page
    page = page.replace(escaped, SCRIPT, 1)
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    bad = tmp_path / "unescaped.html"
    bad.write_text(page, encoding="utf-8")
    d = Dom(chromium(tmp_path, "--dump-dom", bad.as_uri()))
    assert "script" in d.tags
    assert d.title == "pwned"


def phone_widths(html, tmp_path):
    """(scroll width, client width) of the page at 390 CSS pixels. Headless
    chromium lays --dump-dom out at 500 pixels at least, so the report is
    put, unchanged, in an iframe 390 pixels wide (srcdoc: same origin), and
    a script of the wrapper page writes the iframe document's scroll and
    client widths into the title (the report itself runs no script)."""
    page = html.read_text(encoding="utf-8")
    wrapper = tmp_path / "phone.html"
    wrapper.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>measuring</title></head>'
        '<body style="margin:0"><iframe id="f" style="width:390px;height:844px;border:0" '
        'srcdoc="%s"></iframe><script>window.onload = function () {'
        'var e = document.getElementById("f").contentDocument.documentElement;'
        'document.title = "w=" + e.scrollWidth + " c=" + e.clientWidth; };</script>'
        '</body></html>' % escape(page, quote=True), encoding="utf-8")
    d = Dom(chromium(tmp_path, "--dump-dom", wrapper.as_uri()))
    m = re.fullmatch(r"w=(\d+) c=(\d+)", d.title)
    assert m, d.title
    return int(m.group(1)), int(m.group(2))


def test_fits_a_phone_width(report, tmp_path):
    """At 390 CSS pixels nothing makes the page scroll sideways."""
    scroll, client = phone_widths(report[0], tmp_path)
    assert 300 < client <= 390
    assert scroll <= client, "the report is %d px wide in a %d px viewport" % (scroll, client)


def test_screenshot_at_phone_width(report, tmp_path):
    html, _ = report
    png = tmp_path / "phone.png"
    chromium(tmp_path, "--window-size=390,844", "--screenshot=%s" % png, html.as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (390, 844)
    assert len(data) > 2000  # not a blank stub


GOLDEN = REPO / "tests" / "unit" / "report" / "golden"


def test_domain_page(tmp_path):
    """The domain page: verdict, its detail and every domain finding are
    shown, the hostile TXT records and policy run nothing."""
    doc = json.loads((GOLDEN / "domain.json").read_text())
    d = Dom(chromium(tmp_path, "--dump-dom", (GOLDEN / "domain.html").as_uri()))
    assert "script" not in d.tags
    assert d.title == "mailtls report"
    assert "Downgrade resistance" in d.body
    assert doc["domain"]["verdict"]["level"] in d.body
    assert " ".join(doc["domain"]["verdict"]["detail"].split()) in d.body
    for f in doc["domain"]["findings"]:
        assert f["id"] in d.body
    assert SCRIPT in d.body  # shown as text


def test_domain_page_fits_a_phone_width(tmp_path):
    scroll, client = phone_widths(GOLDEN / "domain.html", tmp_path)
    assert 300 < client <= 390
    assert scroll <= client, "the page is %d px wide in a %d px viewport" % (scroll, client)
