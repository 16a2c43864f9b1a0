"""The STARTTLS attacks of the vulnerability battery (src/scan/vp_starttls.c,
src/proto/stattack.c, docs/vulns.md), end to end.

starttls-injection (the Postfix CVE-2011-0411 class, "NO STARTTLS", USENIX
Security 2021): STARTTLS and a harmless second command go out in one
segment; an answer to the second command inside TLS is the server running
clear-text input as if it came over TLS. starttls-in-tls: STARTTLS sent
again inside TLS (after STARTTLS, and on implicit-TLS ports after the
greeting); a go-ahead, or a ClientHello answered with a TLS record, is
vulnerable.

Positive cases: tests/fixtures/fake_injectable.py, one fake per protocol
(SMTP, LMTP, IMAP, POP3, FTP, NNTP, ManageSieve) that keeps what was
pipelined across STARTTLS and answers it inside TLS (and a lazy variant that
answers it only when the next command arrives: two answers to one command),
and fakes that accept STARTTLS inside TLS (a go-ahead; a silent second
handshake) on STARTTLS and implicit-TLS ports. Python's ssl serves every
handshake, so the TLS is real.

Negative cases on real servers started here: Postfix (a STARTTLS port, and
an implicit-TLS port with smtpd_tls_wrappermode, 465 style), Dovecot (IMAP,
POP3, ManageSieve, LMTP with STARTTLS; imaps and pop3s), Haraka; a binary
protocol (PostgreSQL, tests/fixtures/fake_postgres.py) is not-applicable.

testssl.sh has no such check (neither `-U` nor any single option sends a
command pipelined after STARTTLS or STARTTLS inside TLS), so there is no
verdict of its to compare.
"""

import sys

import pytest

import dovecot
import haraka
import postfix
from conftest import FIXTURES, endpoint, local

sys.path.insert(0, str(FIXTURES))
import fake_injectable as fi  # noqa: E402
from fake_postgres import FakePostgres  # noqa: E402

IDS = ("starttls-injection", "starttls-in-tls")
# The injected command and the text its answer starts with, per protocol.
INJECTED = {"smtp": ("NOOP", "250"), "lmtp": ("NOOP", "250"), "imap": ("mtlsi NOOP", "mtlsi OK"),
            "pop3": ("NOOP", "-ERR"), "ftp": ("NOOP", "200"), "nntp": ("DATE", "111"),
            "sieve": ('NOOP "mtlsi"', 'OK (TAG "mtlsi")')}
# The go-ahead each fake gives to STARTTLS inside TLS.
GO = {"smtp": "220", "lmtp": "220", "imap": "mtlss OK", "pop3": "+OK", "ftp": "234",
      "nntp": "382", "sieve": "OK"}
IMPLICIT = ("smtp", "imap", "pop3", "ftp", "nntp")


def vulns(ep):
    return {v["id"]: v for v in ep["vulnerabilities"]}


def check(run_json, pki, *args):
    rc, doc, err = run_json("check", "--ca-file", pki.ca, *args, timeout=240)
    assert rc in (0, 1, 2), err
    ep = endpoint(doc)
    got = vulns(ep)
    for i in IDS:
        assert got[i]["verdict"] in ("vulnerable", "not-vulnerable", "not-applicable",
                                     "unknown"), got[i]
    return ep, got


def fake(proto, mode, pki, implicit=False):
    leaf = pki.leaf("good")
    return fi.FakeInjectable(proto, mode, leaf.cert, leaf.key, implicit=implicit)


def starttls_args(proto, port):
    return ["--starttls", proto] + local(port)


def findings(ep):
    return {f["id"]: f for f in ep["findings"]}


# --------------------------------------------------------------------------
# positive: the fakes


@pytest.mark.parametrize("proto", fi.PROTOS)
def test_injection_answered_inside_tls(run_json, pki, proto):
    cmd, answer = INJECTED[proto]
    with fake(proto, "inject", pki) as srv:
        ep, got = check(run_json, pki, *starttls_args(proto, srv.port))
        pipelined = list(srv.pipelined)
        errors = list(srv.errors)
    v = got["starttls-injection"]
    assert v["verdict"] == "vulnerable", v
    assert v["connections"] == 1, v
    assert "'%s'" % cmd in v["evidence"] and ("'" + answer) in v["evidence"], v
    assert "before any command" in v["evidence"], v
    assert v["cve"] == ["CVE-2011-0411", "CVE-2021-33515"], v
    f = findings(ep).get("starttls-injection")
    assert f is not None and v["finding"] == "starttls-injection", (v, sorted(findings(ep)))
    # The injected line came in the same read as STARTTLS (one write), on
    # the probe's connection only.
    with_cmd = [p for p in pipelined if p == (cmd + "\r\n").encode()]
    assert len(with_cmd) == 1, pipelined
    assert errors == []
    # This fake refuses STARTTLS inside TLS.
    assert got["starttls-in-tls"]["verdict"] == "not-vulnerable", got["starttls-in-tls"]


@pytest.mark.parametrize("proto", ("smtp", "imap", "pop3", "sieve"))
def test_injection_answered_on_next_command(run_json, pki, proto):
    """The buffer is only read again when the next command arrives: the
    probe's own command gets two answers (or the injected one's tag)."""
    with fake(proto, "inject-lazy", pki) as srv:
        ep, got = check(run_json, pki, *starttls_args(proto, srv.port))
    v = got["starttls-injection"]
    assert v["verdict"] == "vulnerable", v
    if proto in ("imap", "sieve"):
        assert "answered the pipelined command" in v["evidence"], v
    else:
        assert "two answers" in v["evidence"], v
    assert v["connections"] == 1


@pytest.mark.parametrize("proto", fi.PROTOS)
def test_in_tls_go_ahead(run_json, pki, proto):
    with fake(proto, "in-tls", pki) as srv:
        ep, got = check(run_json, pki, *starttls_args(proto, srv.port))
        logs = [list(c) for c in srv.commands]
    v = got["starttls-in-tls"]
    assert v["verdict"] == "vulnerable", v
    assert "(a go-ahead)" in v["evidence"] and ("'" + GO[proto]) in v["evidence"], v
    assert v["connections"] == 1
    assert v["finding"] == "starttls-in-tls" and "starttls-in-tls" in findings(ep)
    # STARTTLS really went out inside TLS (SMTP and LMTP after a new hello).
    inner = [c for c in logs if any(l.startswith("[tls] ") and
                                    l.split(" ", 1)[1].upper().endswith(("STARTTLS", "STLS",
                                                                         "AUTH TLS"))
                                    for l in c)]
    assert len(inner) == 1, logs
    if proto in ("smtp", "lmtp"):
        hello = "[tls] %s " % ("EHLO" if proto == "smtp" else "LHLO")
        assert inner[0][-2].startswith(hello), inner[0]
    # The injection probe saw nothing unasked on this fake.
    assert got["starttls-injection"]["verdict"] == "not-vulnerable", got["starttls-injection"]


@pytest.mark.parametrize("proto", ("smtp", "imap", "sieve"))
def test_in_tls_second_handshake(run_json, pki, proto):
    """No answer to STARTTLS inside TLS, but a ClientHello after it starts
    a second handshake inside the first."""
    with fake(proto, "in-tls-nested", pki) as srv:
        ep, got = check(run_json, pki, *starttls_args(proto, srv.port))
    v = got["starttls-in-tls"]
    assert v["verdict"] == "vulnerable", v
    assert "a second handshake inside the first" in v["evidence"], v
    assert "TLS handshake record" in v["evidence"], v


@pytest.mark.parametrize("proto", IMPLICIT)
def test_in_tls_implicit(run_json, pki, proto):
    """Implicit TLS on a port no protocol claims: the greeting inside TLS
    names the protocol; the injection is not applicable."""
    with fake(proto, "in-tls", pki, implicit=True) as srv:
        ep, got = check(run_json, pki, "--implicit", *local(srv.port))
    v = got["starttls-in-tls"]
    assert v["verdict"] == "vulnerable", v
    assert ("'" + GO[proto]) in v["evidence"], v
    assert v["connections"] == 1
    inj = got["starttls-injection"]
    assert inj["verdict"] == "not-applicable" and inj["connections"] == 0, inj
    with fake(proto, "safe", pki, implicit=True) as srv:
        ep, got = check(run_json, pki, "--implicit", *local(srv.port))
    v = got["starttls-in-tls"]
    assert v["verdict"] == "not-vulnerable", v
    assert "already active" in v["evidence"] or "unavailable" in v["evidence"], v


@pytest.mark.parametrize("proto", ("smtp", "ftp", "nntp"))
def test_safe_fake(run_json, pki, proto):
    """The same fakes with the buffer discarded at STARTTLS: nothing comes
    unasked, the probe's command gets exactly one answer."""
    with fake(proto, "safe", pki) as srv:
        ep, got = check(run_json, pki, *starttls_args(proto, srv.port))
    v = got["starttls-injection"]
    assert v["verdict"] == "not-vulnerable", v
    assert "got one answer" in v["evidence"], v
    assert got["starttls-in-tls"]["verdict"] == "not-vulnerable"
    assert "starttls-injection" not in findings(ep)


def test_binary_protocol_not_applicable(run_json, pki):
    leaf = pki.leaf("good")
    with FakePostgres("normal", leaf.cert, leaf.key) as srv:
        ep, got = check(run_json, pki, "--starttls", "postgres", *local(srv.port))
    for i in IDS:
        assert got[i]["verdict"] == "not-applicable", got[i]
        assert "binary/XML protocol" in got[i]["reason"], got[i]
        assert got[i]["connections"] == 0


# --------------------------------------------------------------------------
# negative: real servers


def _not_vulnerable(got, implicit=False):
    inj, tls = got["starttls-injection"], got["starttls-in-tls"]
    if implicit:
        assert inj["verdict"] == "not-applicable", inj
    else:
        assert inj["verdict"] == "not-vulnerable", inj
        assert inj["connections"] == 1, inj
    assert tls["verdict"] == "not-vulnerable", tls
    assert tls["connections"] == 1, tls
    return inj, tls


@pytest.fixture(scope="module")
def pf(pki):
    why = postfix.available()
    if why:
        pytest.skip(why)
    leaf = pki.leaf("good")
    srv = postfix.Postfix("vuln-st", leaf.cert, leaf.key)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def pf_wrapper(pki):
    why = postfix.available()
    if why:
        pytest.skip(why)
    leaf = pki.leaf("good")
    srv = postfix.Postfix("vuln-st-wrap", leaf.cert, leaf.key, smtpd_opts={
        "smtpd_tls_wrappermode": "yes", "smtpd_tls_security_level": "encrypt"})
    srv.start()
    yield srv
    srv.stop()


def test_postfix(run_json, pki, pf):
    ep, got = check(run_json, pki, "--starttls", "smtp", *local(pf.port))
    inj, tls = _not_vulnerable(got)
    # Postfix discards what came with STARTTLS (CVE-2011-0411's fix) and
    # answers only the probe's NOOP; STARTTLS inside TLS is refused.
    assert "got one answer: '250" in inj["evidence"], inj
    assert "'554" in tls["evidence"] or "'503" in tls["evidence"], tls


def test_postfix_wrappermode(run_json, pki, pf_wrapper):
    ep, got = check(run_json, pki, "--implicit", *local(pf_wrapper.port))
    inj, tls = _not_vulnerable(got, implicit=True)
    assert "'554" in tls["evidence"] or "'503" in tls["evidence"], tls


@pytest.fixture(scope="module")
def dv(pki):
    why = dovecot.available()
    if why:
        pytest.skip(why)
    leaf = pki.leaf("good")
    srv = dovecot.Dovecot("vuln-st", leaf.cert, leaf.key)
    srv.start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("proto", ("imap", "pop3", "sieve", "lmtp"))
def test_dovecot_starttls(run_json, pki, dv, proto):
    lst = dv[proto]
    ep, got = check(run_json, pki, "--starttls", proto, "--ip", lst.host,
                    "localhost:%d" % lst.port)
    inj, tls = _not_vulnerable(got)
    # Dovecot 2.3.19 does not discard the pipelined bytes: they reach its
    # TLS layer as handshake input, so the handshake fails (an alert or a
    # close right after the go-ahead, while this run's normal handshake
    # worked): the command is never run.
    assert "the server ended the handshake" in inj["evidence"], inj
    assert "'%s" % tls_refusal(proto) in tls["evidence"], tls


@pytest.mark.parametrize("name", ("imaps", "pop3s"))
def test_dovecot_implicit(run_json, pki, dv, name):
    lst = dv[name]
    ep, got = check(run_json, pki, "--implicit", "--ip", lst.host, "localhost:%d" % lst.port)
    inj, tls = _not_vulnerable(got, implicit=True)


@pytest.fixture(scope="module")
def hk(pki, tmp_path_factory):
    why = haraka.available()
    if why:
        pytest.skip(why)
    leaf = pki.leaf("good")
    srv = haraka.Haraka("vuln-st", tmp_path_factory.mktemp("haraka-vuln-st"), cert=leaf.cert,
                        key=leaf.key)
    srv.start()
    yield srv
    srv.stop()


def tls_refusal(proto):
    return {"imap": "mtlss BAD", "pop3": "-ERR", "sieve": "NO", "lmtp": "5"}[proto]


def test_haraka(run_json, pki, hk):
    """Haraka (3.3.4, Debian) discards what was pipelined with STARTTLS,
    but its tls plugin answers a second STARTTLS inside TLS with "220 Go
    ahead." (it is not advertised there): a real starttls-in-tls finding,
    checked by hand with Python's ssl (after the 220 a ClientHello sent
    inside TLS makes Haraka write a second handshake on the raw socket)."""
    ep, got = check(run_json, pki, "--starttls", "smtp", *local(hk.port))
    inj, tls = got["starttls-injection"], got["starttls-in-tls"]
    assert inj["verdict"] == "not-vulnerable" and inj["connections"] == 1, inj
    assert tls["verdict"] == "vulnerable", tls
    assert "'220 Go ahead.' (a go-ahead)" in tls["evidence"], tls
    assert tls["finding"] == "starttls-in-tls" and "starttls-in-tls" in findings(ep)


@pytest.fixture(scope="module")
def vsftpd():
    """The vsftpd instances of test_proto_ftp.py (Debian's vsftpd)."""
    import test_proto_ftp as tpf
    if tpf._why:
        pytest.skip(tpf._why)
    return tpf.Vsftpd


@pytest.mark.parametrize("implicit", (False, True))
def test_vsftpd(run_json, pki, vsftpd, implicit):
    """vsftpd 3.0.3 hands the pipelined NOOP to its TLS layer as handshake
    input ("500 OOPS: ... wrong version number" in clear text, then a
    close): the command is never run; AUTH TLS inside TLS gets 530."""
    leaf = pki.leaf("good")
    srv = vsftpd("vuln-st-%s" % ("implicit" if implicit else "tls"), leaf.cert, leaf.key,
                 implicit=implicit)
    srv.start()
    try:
        mode = ["--implicit"] if implicit else ["--starttls", "ftp"]
        ep, got = check(run_json, pki, *mode, *local(srv.port))
    finally:
        srv.stop()
    inj, tls = _not_vulnerable(got, implicit=implicit)
    assert "'AUTH TLS' inside TLS; answer: '530" in tls["evidence"], tls
    if not implicit:
        assert "the server ended the handshake" in inj["evidence"], inj
