"""The submission-port policy checks (src/scan/vp_policy.c):
plaintext-mail-accepted, starttls-not-required and ftp-user-before-tls.

Real servers first, both verdicts from each:
  - Postfix as a submission service on a loopback port (given
    --submission): smtpd_tls_security_level=may takes MAIL and RCPT in
    clear text (vulnerable), =encrypt answers MAIL with "530 5.7.0 Must
    issue a STARTTLS command first" (not-vulnerable); the same Postfix on
    port 25 is an MX, where RFC 3207 wants clear text allowed:
    not-applicable, no connection. Postfix's own log ("ehlo=1 mail=1
    rcpt=1 rset=1 quit=1") shows what the probe sent: never DATA.
  - Haraka, the second MTA: with a recipient plugin it takes mail in clear
    text (vulnerable); without one it refuses every recipient (550), and
    offers no AUTH in clear text: not-vulnerable.
  - vsftpd with force_local_logins_ssl=YES answers "USER mailtls" with
    "530 Non-anonymous sessions must use encryption." (not-vulnerable),
    with NO with 331 (vulnerable). Its protocol log shows no PASS.
  - A Python client independent of mailtls sends the same commands and
    must get the same codes.
The fakes (tests/fixtures/fake_policy.py) give what real servers do not on
demand: a fake positive for each protocol, a greylisting 450, two replies
to one command, a reply over the caps, an FTP refusal that does not name
TLS: each unknown, never safe.

testssl.sh has no such check (it never sends MAIL, RCPT or USER), so there
is no verdict of its to compare.
"""

import socket
import sys
import tempfile
from unittest import mock

import pytest

import postfix as postfix_mod
from conftest import FIXTURES, LOOPBACK, endpoint, finding_ids
from haraka import Haraka, available as haraka_available
from postfix import Postfix, SmtpClient, available as postfix_available
from test_proto_ftp import Vsftpd, _unavailable as vsftpd_unavailable

sys.path.insert(0, str(FIXTURES))
import fake_policy  # noqa: E402

POLICY_IDS = ("plaintext-mail-accepted", "starttls-not-required", "ftp-user-before-tls")
EHLO = "client.mailtls.test"
# What Postfix logs at the end of the probe's session: every command once,
# and no DATA.
PROBE_SESSION_LOG = r"disconnect from \S+ ehlo=1 mail=1 rcpt=1 rset=1 quit=1 commands=5"


def vuln(ep, vid):
    found = [v for v in ep["vulnerabilities"] if v["id"] == vid]
    assert len(found) == 1, [v["id"] for v in ep["vulnerabilities"]]
    return found[0]


def finding(ep, fid):
    found = [f for f in ep["findings"] if f["id"] == fid]
    return found[0] if found else None


def scan(run_json, pki, port, proto, *extra, host="localhost"):
    rc, doc, err = run_json("check", "--quick", "--vulns", "--ehlo", EHLO, "--starttls", proto,
                            "--ca-file", pki.ca, "--ip", LOOPBACK, *extra,
                            "%s:%d" % (host, port), timeout=120)
    assert rc in (0, 1, 2), err
    ep = endpoint(doc)
    assert ep["tls"] is not None, ep["errors"]
    return ep


# --------------------------------------------------------------------------
# Postfix


class SubmissionPostfix(Postfix):
    """postfix.py's instance plus the two services smtpd needs to answer
    MAIL and RCPT: trivial-rewrite (address resolution) and cleanup (the
    queue file opened at the first recipient, removed again at RSET)."""

    def master_cf(self):
        return super().master_cf() + ("rewrite unix - - n - - trivial-rewrite\n"
                                      "cleanup unix n - n - 0 cleanup\n")


def _need_postfix():
    why = postfix_available()
    if why:
        pytest.skip(why)


@pytest.fixture(scope="module")
def pf_may(pki):
    _need_postfix()
    leaf = pki.leaf("good")
    pf = SubmissionPostfix("policy-may", leaf.cert, leaf.key,
                           main={"smtpd_tls_security_level": "may"})
    pf.start()
    yield pf
    pf.stop()


@pytest.fixture(scope="module")
def pf_encrypt(pki):
    _need_postfix()
    leaf = pki.leaf("good")
    pf = SubmissionPostfix("policy-encrypt", leaf.cert, leaf.key,
                           main={"smtpd_tls_security_level": "encrypt"})
    pf.start()
    yield pf
    pf.stop()


def _port_free(port):
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def pf_25(pki):
    """The same "may" Postfix, on 127.0.0.1:25: an MX."""
    _need_postfix()
    if not _port_free(25):
        pytest.skip("127.0.0.1:25 is taken")
    leaf = pki.leaf("good")
    pf = SubmissionPostfix("policy-25", leaf.cert, leaf.key,
                           main={"smtpd_tls_security_level": "may"})
    with mock.patch.object(postfix_mod, "free_port", lambda host=LOOPBACK: 25):
        pf.start(attempts=1)
    yield pf
    pf.stop()


def reference_mail(pf):
    """MAIL FROM:<> and RCPT TO in clear text with Python's socket: the codes."""
    with SmtpClient(pf.host, pf.port) as c:
        assert c.reply()[0] == 220
        code, lines = c.cmd("EHLO reference.mailtls.test")
        assert code == 250
        starttls = "STARTTLS" in lines
        mail = c.cmd("MAIL FROM:<>")[0]
        rcpt = c.cmd("RCPT TO:<postmaster@localhost>")[0] if mail == 250 else None
        c.cmd("RSET")
        c.cmd("QUIT")
    return starttls, mail, rcpt


def test_postfix_may_submission_vulnerable(run_json, pki, pf_may):
    before = len(pf_may.wait_log(PROBE_SESSION_LOG, count=10 ** 6, deadline_s=0))
    ep = scan(run_json, pki, pf_may.port, "smtp", "--submission")
    v = vuln(ep, "plaintext-mail-accepted")
    assert v["verdict"] == "vulnerable", v
    assert v["evidence"] == ("in clear text: MAIL FROM:<> 250, RCPT TO:<postmaster@localhost> "
                             "250 (no DATA sent)")
    assert v["connections"] == 1
    f = finding(ep, "plaintext-mail-accepted")
    assert f is not None and f["severity"] == "medium", finding_ids(ep)
    assert v["finding"] == "plaintext-mail-accepted"
    n = vuln(ep, "starttls-not-required")
    assert n["verdict"] == "vulnerable", n
    assert "STARTTLS is advertised" in n["evidence"]
    assert n["connections"] == 0  # the same connection, counted once
    assert finding(ep, "starttls-not-required")["severity"] == "medium"
    assert vuln(ep, "ftp-user-before-tls")["verdict"] == "not-applicable"
    # Postfix's log: the probe's session, every command once, no DATA.
    assert len(pf_may.wait_log(PROBE_SESSION_LOG, count=before + 1)) == before + 1, \
        pf_may.log()[-3000:]
    assert "data=" not in pf_may.log()
    assert reference_mail(pf_may) == (True, 250, 250)


def test_postfix_may_port_not_submission(run_json, pki, pf_may):
    """Without --submission a port other than 587 is no submission port:
    not-applicable, and one connection fewer than with the flag."""
    ep = scan(run_json, pki, pf_may.port, "smtp")
    with_flag = scan(run_json, pki, pf_may.port, "smtp", "--submission")
    for vid in ("plaintext-mail-accepted", "starttls-not-required"):
        v = vuln(ep, vid)
        assert v["verdict"] == "not-applicable", v
        assert v["reason"] == "not a submission port (587, or give --submission)"
        assert v["connections"] == 0
    assert ep["stats"]["connections"] + 1 == with_flag["stats"]["connections"]
    assert finding(ep, "plaintext-mail-accepted") is None


def test_postfix_encrypt_not_vulnerable(run_json, pki, pf_encrypt):
    ep = scan(run_json, pki, pf_encrypt.port, "smtp", "--submission")
    v = vuln(ep, "plaintext-mail-accepted")
    assert v["verdict"] == "not-vulnerable", v
    assert v["evidence"] == ("in clear text: MAIL FROM:<> was refused with 530 (5.7.0 Must "
                             "issue a STARTTLS command first)")
    assert v["connections"] == 1
    n = vuln(ep, "starttls-not-required")
    assert n["verdict"] == "not-vulnerable", n
    assert "required" in n["evidence"] and "530" in n["evidence"]
    for fid in ("plaintext-mail-accepted", "starttls-not-required"):
        assert finding(ep, fid) is None
    assert pf_encrypt.wait_log(r"disconnect from \S+ ehlo=1 mail=0/1 quit=1")
    assert reference_mail(pf_encrypt) == (True, 530, None)


def test_postfix_port_25_not_applicable(run_json, pki, pf_25):
    """An MX: clear text is allowed by design (RFC 3207), nothing is
    tried, nothing is raised; the STARTTLS offer is noted."""
    ep = scan(run_json, pki, 25, "smtp")
    v = vuln(ep, "plaintext-mail-accepted")
    assert v["verdict"] == "not-applicable", v
    assert v["reason"] == "port 25: an MX must accept mail in clear text, RFC 3207"
    assert v["connections"] == 0
    n = vuln(ep, "starttls-not-required")
    assert n["verdict"] == "not-applicable", n
    assert n["reason"] == "port 25: STARTTLS must stay optional (RFC 3207)"
    assert n["connections"] == 0
    assert "STARTTLS is advertised and optional" in n["evidence"]
    assert ep["dialogue"]["starttls_advertised"] is True
    for fid in ("plaintext-mail-accepted", "starttls-not-required"):
        assert finding(ep, fid) is None
    # No clear-text MAIL ever reached this Postfix.
    assert "mail=" not in pf_25.log()
    # Yet this server does take mail in clear text: the user may say it is
    # a submission port, and then it is asked (the verdict is real).
    sub = scan(run_json, pki, 25, "smtp", "--submission")
    assert vuln(sub, "plaintext-mail-accepted")["verdict"] == "vulnerable"
    assert sub["stats"]["connections"] == ep["stats"]["connections"] + 1


# --------------------------------------------------------------------------
# Haraka


@pytest.fixture(scope="module")
def haraka_pair(pki):
    why = haraka_available()
    if why:
        pytest.skip(why)
    leaf = pki.leaf("good")
    open_ = Haraka("policy-open", tempfile.mkdtemp(prefix="mailtls-haraka-policy-open-"),
                   leaf.cert, leaf.key,
                   plugins=("tls", "rcpt_to.in_host_list", "queue/discard"),
                   files={"host_list": "localhost\n"})
    closed = Haraka("policy-closed", tempfile.mkdtemp(prefix="mailtls-haraka-policy-closed-"),
                    leaf.cert, leaf.key)
    try:
        open_.start()
        closed.start()
        yield open_, closed
    finally:
        open_.stop()
        closed.stop()


def test_haraka(run_json, pki, haraka_pair):
    open_, closed = haraka_pair
    ep = scan(run_json, pki, open_.port, "smtp", "--submission")
    v = vuln(ep, "plaintext-mail-accepted")
    assert v["verdict"] == "vulnerable", v
    assert "RCPT TO:<postmaster@localhost> 250" in v["evidence"]
    assert vuln(ep, "starttls-not-required")["verdict"] == "vulnerable"
    assert reference_mail(open_) == (True, 250, 250)

    ep = scan(run_json, pki, closed.port, "smtp", "--submission")
    v = vuln(ep, "plaintext-mail-accepted")
    assert v["verdict"] == "not-vulnerable", v
    assert "refused with 550" in v["evidence"]
    # Refused for everyone, and no AUTH offered in clear text.
    n = vuln(ep, "starttls-not-required")
    assert n["verdict"] == "not-vulnerable", n
    assert "no AUTH is offered" in n["evidence"]
    assert reference_mail(closed) == (True, 250, 550)


# --------------------------------------------------------------------------
# vsftpd


class PolicyVsftpd(Vsftpd):
    def __init__(self, name, cert, key, force):
        super().__init__(name, cert, key)
        self.force = force

    def config(self):
        c = super().config()
        assert "force_local_logins_ssl=YES\n" in c
        return c.replace("force_local_logins_ssl=YES\n",
                         "force_local_logins_ssl=%s\n" % ("YES" if self.force else "NO"))


def _vsftpd(pki, name, force):
    why = vsftpd_unavailable()
    if why:
        pytest.skip(why)
    leaf = pki.leaf("good")
    srv = PolicyVsftpd(name, leaf.cert, leaf.key, force)
    srv.start()
    return srv


@pytest.fixture(scope="module")
def ftp_forced(pki):
    srv = _vsftpd(pki, "policy-forced", True)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def ftp_open(pki):
    srv = _vsftpd(pki, "policy-open", False)
    yield srv
    srv.stop()


def ftp_user_reply(srv, user):
    with socket.create_connection((srv.host, srv.port), timeout=15) as s:
        f = s.makefile("rb")
        assert f.readline().startswith(b"220")
        s.sendall(b"USER %s\r\n" % user.encode())
        line = f.readline().decode().rstrip("\r\n")
        s.sendall(b"QUIT\r\n")
        f.readline()
    return line


def test_vsftpd_tls_required(run_json, pki, ftp_forced):
    ep = scan(run_json, pki, ftp_forced.port, "ftp")
    v = vuln(ep, "ftp-user-before-tls")
    assert v["verdict"] == "not-vulnerable", v
    assert v["evidence"] == ("in clear text: USER mailtls was refused with 530 "
                             "(Non-anonymous sessions must use encryption.)")
    assert v["connections"] == 1
    assert finding(ep, "ftp-user-before-tls") is None
    for vid in ("plaintext-mail-accepted", "starttls-not-required"):
        assert vuln(ep, vid)["verdict"] == "not-applicable"
        assert vuln(ep, vid)["connections"] == 0
    assert ftp_user_reply(ftp_forced, "mailtls") == \
        "530 Non-anonymous sessions must use encryption."
    # Why the probe does not send "USER anonymous": this server requires
    # TLS for every real account, has anonymous_enable=NO, and still
    # answers an anonymous USER with 331 -- a false alarm.
    assert ftp_user_reply(ftp_forced, "anonymous").startswith("331 ")
    assert 'FTP command: Client "127.0.0.1", "PASS' not in ftp_forced.log()


def test_vsftpd_user_before_tls(run_json, pki, ftp_open):
    ep = scan(run_json, pki, ftp_open.port, "ftp")
    v = vuln(ep, "ftp-user-before-tls")
    assert v["verdict"] == "vulnerable", v
    assert v["evidence"] == ("in clear text: USER mailtls was answered 331 (Please specify "
                             "the password.); no password was sent")
    assert v["connections"] == 1
    f = finding(ep, "ftp-user-before-tls")
    assert f is not None and f["severity"] == "medium", finding_ids(ep)
    assert ftp_user_reply(ftp_open, "mailtls") == "331 Please specify the password."
    log = ftp_open.log()
    assert 'FTP command: Client "127.0.0.1", "USER mailtls"' in log
    assert 'FTP command: Client "127.0.0.1", "PASS' not in log


# --------------------------------------------------------------------------
# fakes


@pytest.fixture(scope="module")
def leaf(pki):
    return pki.leaf("good")


def probe_commands(srv):
    """The command lines of the connection that sent MAIL or USER in clear
    text (exactly one)."""
    conns = [c for c in srv.commands if any(x.startswith(("MAIL", "USER")) for x in c)
             and not any(x.startswith(("STARTTLS", "AUTH")) for x in c)]
    assert len(conns) == 1, srv.commands
    return conns[0]


def test_fake_smtp_accept(run_json, pki, leaf):
    with fake_policy.FakePolicySmtp("accept", leaf.cert, leaf.key) as srv:
        ep = scan(run_json, pki, srv.port, "smtp", "--submission")
        v = vuln(ep, "plaintext-mail-accepted")
        assert v["verdict"] == "vulnerable", v
        assert v["connections"] == 1
        assert probe_commands(srv) == ["EHLO " + EHLO, "MAIL FROM:<>",
                                       "RCPT TO:<postmaster@localhost>", "RSET", "QUIT"]
        assert srv.data_seen == 0
        assert srv.errors == []


@pytest.mark.parametrize("mode,reason", [
    ("greylist", "RCPT TO was answered 450 (4.2.0 Greylisted, try again later): a temporary "
                 "refusal"),
    ("double", "the server sent more than one reply to one command"),
    ("flood", "a reply exceeded the limits"),
])
def test_fake_smtp_unknown(run_json, pki, leaf, mode, reason):
    with fake_policy.FakePolicySmtp(mode, leaf.cert, leaf.key) as srv:
        ep = scan(run_json, pki, srv.port, "smtp", "--submission")
        for vid in ("plaintext-mail-accepted", "starttls-not-required"):
            v = vuln(ep, vid)
            assert v["verdict"] == "unknown", v
            assert reason in v["reason"], v
            assert finding(ep, vid) is None
        assert srv.data_seen == 0


def test_fake_ftp_user_331(run_json, pki, leaf):
    with fake_policy.FakePolicyFtp("user-331", leaf.cert, leaf.key) as srv:
        ep = scan(run_json, pki, srv.port, "ftp")
        v = vuln(ep, "ftp-user-before-tls")
        assert v["verdict"] == "vulnerable", v
        assert "331 (Password required.)" in v["evidence"]
        assert probe_commands(srv) == ["USER mailtls", "QUIT"]
        assert srv.pass_seen == 0
        assert srv.errors == []


def test_fake_ftp_refusal_without_tls_word(run_json, pki, leaf):
    """"530 Login incorrect." refuses the name, not clear text: unknown."""
    with fake_policy.FakePolicyFtp("login-incorrect", leaf.cert, leaf.key) as srv:
        ep = scan(run_json, pki, srv.port, "ftp")
        v = vuln(ep, "ftp-user-before-tls")
        assert v["verdict"] == "unknown", v
        assert v["reason"] == ("USER mailtls was answered 530 (Login incorrect.): a refusal "
                               "that does not say TLS is required")
        assert finding(ep, "ftp-user-before-tls") is None
        assert srv.pass_seen == 0


def test_text_report_lists_the_checks(run_mailtls, pki, leaf):
    with fake_policy.FakePolicySmtp("accept", leaf.cert, leaf.key) as srv:
        rc, out, err = run_mailtls("check", "--quick", "--vulns", "--submission", "--starttls",
                                   "smtp", "--ca-file", pki.ca, "--ip", LOOPBACK,
                                   "localhost:%d" % srv.port)
    for vid in POLICY_IDS:
        assert vid in out, out
