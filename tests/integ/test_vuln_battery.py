"""The whole vulnerability battery on real servers (issue 14's "done when"):
a full `mailtls check` of a default Postfix (SMTP STARTTLS), Dovecot IMAP
(STARTTLS) and an implicit-TLS port (Postfix in wrappermode, 465 style)
lists every check of docs/vulns.md with a verdict, in the order of the
battery, in text, JSON, CSV and HTML from one run; no probe is left "not
tested"; and on these maintained servers no probe finds anything: what is
vulnerable comes from their default suite lists (LUCKY13: CBC suites in
TLS 1.2; Postfix on a port-25-style service also keeps TLS 1.0 and 1.1,
BEAST with them, and anonymous suites for opportunistic TLS). The battery's
own probes stay within 20 connections.
"""

import csv
import io
import json

import pytest

import dovecot
import postfix
from conftest import endpoint, local

# docs/vulns.md, in the battery's order (src/checks/vulns.c).
BATTERY = ["heartbleed", "ccs-injection", "ticketbleed", "robot", "secure-renegotiation",
           "client-renegotiation", "crime", "poodle", "fallback-scsv", "sweet32", "freak",
           "drown", "logjam", "beast", "lucky13", "rc4", "null-ciphers", "anonymous-ciphers",
           "export-ciphers", "obsolete-protocols", "forward-secrecy", "starttls-injection",
           "starttls-in-tls", "pipelined-after-starttls", "auth-before-tls",
           "plaintext-mail-accepted", "starttls-not-required", "ftp-user-before-tls"]
VERDICTS = {"vulnerable", "not-vulnerable", "not-applicable", "unknown"}
# Probes a server answers with a bare close (no alert).
CLOSES = {("dovecot-imap", "fallback-scsv")}
# What each server's default suite list makes vulnerable (derived checks).
POSTFIX_DEFAULTS = {"lucky13", "beast", "obsolete-protocols", "anonymous-ciphers"}
DEFAULTS = {"postfix": POSTFIX_DEFAULTS, "implicit": POSTFIX_DEFAULTS,
            "dovecot-imap": {"lucky13"}}
# Probes whose verdict on these servers is known, not "unknown".
PROBED = ["heartbleed", "ccs-injection", "robot", "fallback-scsv", "client-renegotiation"]


@pytest.fixture(scope="module")
def servers(pki):
    why = postfix.available() or dovecot.available()
    if why:
        pytest.skip(why)
    leaf = pki.leaf("good")
    pf = postfix.Postfix("battery", leaf.cert, leaf.key)
    wrap = postfix.Postfix("battery-wrap", leaf.cert, leaf.key, smtpd_opts={
        "smtpd_tls_wrappermode": "yes", "smtpd_tls_security_level": "encrypt"})
    dv = dovecot.Dovecot("battery", leaf.cert, leaf.key)
    started = []
    try:
        for s in (pf, wrap, dv):
            s.start()
            started.append(s)
        yield {"postfix": (["--starttls", "smtp"], local(pf.port)),
               "implicit": (["--implicit"], local(wrap.port)),
               "dovecot-imap": (["--starttls", "imap", "--ip", dv["imap"].host],
                                ["localhost:%d" % dv["imap"].port])}
    finally:
        for s in started:
            s.stop()


@pytest.mark.parametrize("name", ["postfix", "dovecot-imap", "implicit"])
def test_every_check_in_every_format(servers, run_mailtls, pki, tmp_path, name):
    flags, target = servers[name]
    files = {f: tmp_path / ("r." + f) for f in ("json", "csv", "html")}
    rc, text, err = run_mailtls("check", *flags, "--ca-file", pki.ca, "--no-color",
                                "--json", files["json"], "--csv", files["csv"],
                                "--html", files["html"], *target)
    assert rc == 0, err
    ep = endpoint(json.loads(files["json"].read_text()))
    vulns = ep["vulnerabilities"]
    assert [v["id"] for v in vulns] == BATTERY
    got = {v["id"]: v for v in vulns}
    for v in vulns:
        assert v["verdict"] in VERDICTS, v
        assert "not tested" not in (v["reason"] or ""), v
    for i in PROBED:
        if (name, i) in CLOSES:
            # Dovecot closes instead of sending its alert (inappropriate_
            # fallback): a close could be throttling, so unknown, never safe.
            assert got[i]["verdict"] == "unknown" and "closed" in got[i]["reason"], got[i]
            continue
        assert got[i]["verdict"] in ("not-vulnerable", "not-applicable"), (i, got[i])
        assert got[i]["connections"] >= 1, got[i]
    vulnerable = {v["id"] for v in vulns if v["verdict"] == "vulnerable"}
    assert vulnerable <= DEFAULTS[name], [got[i] for i in vulnerable - DEFAULTS[name]]
    assert "lucky13" in vulnerable
    starttls = name != "implicit"
    assert got["starttls-injection"]["verdict"] == (
        "not-vulnerable" if starttls else "not-applicable"), got["starttls-injection"]
    assert got["starttls-in-tls"]["verdict"] == "not-vulnerable", got["starttls-in-tls"]
    battery = sum(v["connections"] for v in vulns if v["id"] != "client-renegotiation")
    assert battery <= 20, [(v["id"], v["connections"]) for v in vulns]
    # The same checks in the text, CSV and HTML of the same run.
    section = text.split("\n Vulnerabilities\n", 1)[1].split("\n\n", 1)[0]
    assert [l.split()[0] for l in section.splitlines() if l.startswith("  ") and
            not l.startswith("   ")] == BATTERY
    rows = [r for r in csv.reader(io.StringIO(files["csv"].read_text())) if r[4] in VERDICTS]
    assert [(r[3], r[4]) for r in rows] == [(v["id"], v["verdict"]) for v in vulns]
    html = files["html"].read_text()
    for v in vulns:
        assert "<code>%s</code></td><td><span class=\"sev" % v["id"] in html, v["id"]
