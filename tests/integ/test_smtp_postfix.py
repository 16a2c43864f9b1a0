"""`mailtls check --starttls smtp` (and --implicit) against a real Postfix:
the tests only Postfix runs. The ones Haraka shares (the --quick and the
full scan of "may", "none" not offering STARTTLS, AUTH before TLS with
"auth-clear") are parametrised over both MTAs in test_smtp_mta.py, with
Postfix's expectations there (it imports the helpers and constants below).

Every profile is its own Postfix instance (tests/integ/postfix.py: a
temporary config, queue and data directory, one smtpd on 127.0.0.1:PORT),
started once per module and stopped at teardown. The machine's own Postfix
(/etc/postfix, port 25) is never touched.

References, independent of mailtls:
  - `openssl s_client [-starttls smtp]`: protocol, cipher, group, verify
  - Python's ssl + a small SMTP client: greeting, capabilities before and
    inside TLS, the STARTTLS reply
  - Postfix's own maillog: the TLS session smtpd logged, 421s it sent

Profiles:
  may        smtpd_tls_security_level = may, certificate for localhost
  encrypt    smtpd_tls_security_level = encrypt
  none       no TLS at all
  wrapper    smtpd_tls_wrappermode = yes (implicit TLS, like 465)
  badkey     certificate and a key that does not match: Postfix disables
             TLS yet advertises STARTTLS, then answers 454
  auth       Cyrus SASL (PLAIN LOGIN) with smtpd_tls_auth_only = yes ("= no":
             test_smtp_mta.py)
  postscreen postscreen(8) with a 3 s greet pause before smtpd
  limit      smtpd_client_connection_count_limit = 1 (421 when busy)
  proxy      tests/fixtures/strip_proxy.py in front of "may": STARTTLS is
             masked as XXXXXXXA in the EHLO reply, like Cisco ESMTP inspection
"""

import subprocess
import sys
import threading
import time

import pytest

import postfix
from conftest import FIXTURES, endpoint, finding_ids, s_client
from postfix import MYHOSTNAME, Postfix, SmtpClient, reference_dialogue

_why = postfix.available()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

HOST = "localhost"
GREETING = MYHOSTNAME + " ESMTP Postfix"
MASK = "XXXXXXXA"
AUTH = "AUTH PLAIN LOGIN"

# Certificate verification problems (none for the "good" leaf and the test CA).
VERIFY_PROBLEMS = ("cert-untrusted", "cert-self-signed", "cert-untrusted-root",
                   "cert-chain-incomplete", "cert-expired", "cert-not-yet-valid",
                   "cert-hostname-mismatch")

# Every finding the clear-text dialogue can raise.
DIALOGUE_FINDINGS = ("starttls-not-offered", "starttls-refused", "starttls-stripped",
                     "starttls-readvertised", "auth-before-tls", "auth-after-tls-only",
                     "pipelined-after-starttls", "capabilities-changed", "greeting-delay",
                     "server-throttled", "port-mode-mismatch")


def finding(ep, fid):
    """The one finding with this id (fails if there are several), or None."""
    found = [f for f in ep["findings"] if f["id"] == fid]
    assert len(found) <= 1, "finding %s listed %d times" % (fid, len(found))
    return found[0] if found else None


def texts(ep, direction):
    return [t["text"] for t in ep["transcript"] if t["dir"] == direction]


# --------------------------------------------------------------------------
# instances


def _good(pki):
    leaf = pki.leaf("good")
    return leaf.cert, leaf.key


def _running(pf):
    pf.start()
    try:
        yield pf
    finally:
        pf.stop()


@pytest.fixture(scope="module")
def pf_may(pki):
    yield from _running(Postfix("may", *_good(pki)))


@pytest.fixture(scope="module")
def pf_encrypt(pki):
    yield from _running(Postfix("encrypt", *_good(pki),
                                main={"smtpd_tls_security_level": "encrypt"}))


@pytest.fixture(scope="module")
def pf_none():
    yield from _running(Postfix("none", main={"smtpd_tls_security_level": "none"}))


@pytest.fixture(scope="module")
def pf_wrapper(pki):
    yield from _running(Postfix("wrapper", *_good(pki), smtpd_opts={
        "smtpd_tls_wrappermode": "yes", "smtpd_tls_security_level": "encrypt"}))


@pytest.fixture(scope="module")
def pf_badkey(pki):
    # The other CA's EC key does not match the RSA leaf: smtpd logs
    # "does not match public key ... disabling TLS support".
    yield from _running(Postfix("badkey", pki.leaf("good").cert, pki.dir / "other-ca.key"))


def _sasl(name, pki, tls_auth_only):
    """Cyrus SASL inside smtpd (no daemon): PLAIN and LOGIN are advertised;
    nobody can log in, which is all these tests need."""
    pf = Postfix(name, *_good(pki), main={
        "smtpd_sasl_auth_enable": "yes",
        "smtpd_sasl_type": "cyrus",
        "smtpd_sasl_path": "smtpd",
        "smtpd_sasl_mechanism_filter": "plain, login",
        "smtpd_tls_auth_only": tls_auth_only,
        "broken_sasl_auth_clients": "no",
    })
    pf._layout()
    pf.main_extra["cyrus_sasl_config_path"] = pf.etc
    (pf.etc / "smtpd.conf").write_text(
        "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\n"
        "sasldb_path: %s\n" % (pf.etc / "sasldb2"))
    return pf


@pytest.fixture(scope="module")
def pf_auth_tls_only(pki):
    yield from _running(_sasl("auth-tls-only", pki, "yes"))


GREET_WAIT_S = 3


@pytest.fixture(scope="module")
def pf_postscreen(pki):
    # postscreen_access_list empty: 127.0.0.1 is not allowlisted through
    # mynetworks; postscreen_cache_map empty: no PASS is remembered, so every
    # connection gets the greet pause (otherwise only the first would).
    yield from _running(Postfix("postscreen", *_good(pki), postscreen=True, main={
        "postscreen_greet_wait": "%ds" % GREET_WAIT_S,
        "postscreen_access_list": "",
        "postscreen_cache_map": "",
        "postscreen_greet_action": "enforce",
    }))


@pytest.fixture(scope="module")
def pf_limit(pki):
    # One session per client address; loopback is not exempt.
    yield from _running(Postfix("limit", *_good(pki), main={
        "smtpd_client_connection_count_limit": "1",
        "smtpd_client_event_limit_exceptions": "",
    }))


@pytest.fixture(scope="module")
def strip_proxy(pf_may):
    """tests/fixtures/strip_proxy.py in front of the "may" instance -> its port."""
    proc = subprocess.Popen([sys.executable, str(FIXTURES / "strip_proxy.py"),
                             "--upstream", pf_may.hostport],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode().split()
        assert len(line) == 2 and line[0] == "READY", "strip_proxy did not start: %r" % line
        port = int(line[1])
        assert postfix.wait_listening("127.0.0.1", port, 10)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


# --------------------------------------------------------------------------
# scans (one per profile and mode, shared by the tests of the module)


def _check(run_json, pki, port, *mode, extra=(), quick=True):
    """The dialogue tests run --quick: one verified handshake, no enumeration
    (through postscreen every extra connection would wait out the pause)."""
    q = ("--quick",) if quick else ()
    return run_json("check", *q, "--ca-file", pki.ca, "--ip", "127.0.0.1", *mode, *extra,
                    "%s:%d" % (HOST, port))


class Scan:
    def __init__(self, rc, doc, err, pf=None, new_tls=()):
        self.rc, self.doc, self.err = rc, doc, err
        self.ep = endpoint(doc)
        self.pf = pf
        self.new_tls = list(new_tls)  # TLS sessions Postfix logged during the scan


def _scan_logged(run_json, pki, pf, *mode, port=None, extra=()):
    before = len(pf.tls_sessions(0, 0))
    rc, doc, err = _check(run_json, pki, port or pf.port, *mode, extra=extra)
    ep = endpoint(doc)
    new = []
    if ep["tls"]:
        new = pf.tls_sessions(before + 1)[before:]
    return Scan(rc, doc, err, pf, new)


@pytest.fixture(scope="module")
def scan_may(run_json, pki, pf_may):
    return _scan_logged(run_json, pki, pf_may, "--starttls", "smtp")


@pytest.fixture(scope="module")
def dialogue_may(pki, pf_may):
    return reference_dialogue(pf_may.host, pf_may.port, pki.ca)


# --------------------------------------------------------------------------
# 1. smtpd_tls_security_level = may (its --quick and full scans: test_smtp_mta.py)


def test_may_by_address_with_sni(run_json, pki, pf_may, scan_may):
    """127.0.0.1:PORT --sni localhost verifies the name given as SNI."""
    rc, doc, err = run_json("check", "--quick", "--ca-file", pki.ca, "--starttls", "smtp",
                            "--sni", HOST, pf_may.hostport)
    ep = endpoint(doc)
    assert rc == 0, err
    assert ep["sni"] == HOST
    assert ep["tls"]["verify"]["code"] == 0
    assert ep["tls"]["version"] == scan_may.ep["tls"]["version"]
    assert ep["tls"]["cipher"] == scan_may.ep["tls"]["cipher"]


# --------------------------------------------------------------------------
# 2. smtpd_tls_security_level = encrypt


def test_encrypt_refuses_mail_before_tls(pf_encrypt):
    """Proves the profile: MAIL FROM without TLS gets 530."""
    with SmtpClient(pf_encrypt.host, pf_encrypt.port) as c:
        assert c.reply()[0] == 220
        code, lines = c.cmd("EHLO reference.mailtls.test")
        assert code == 250 and "STARTTLS" in lines
        code, lines = c.cmd("MAIL FROM:<probe@mailtls.test>")
        assert code == 530, lines
        assert "STARTTLS" in lines[0]


def test_encrypt_tls_like_may(run_json, pki, pf_encrypt, scan_may, cipher_table):
    scan = _scan_logged(run_json, pki, pf_encrypt, "--starttls", "smtp")
    ref = s_client(pf_encrypt, pki.ca, name=HOST, starttls="smtp")
    ep = scan.ep
    assert scan.rc == 0, scan.err
    g = ep["dialogue"]
    assert g["starttls_advertised"] is True and g["starttls_code"] == 220
    tls = ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref.protocol, ref.cipher)
    assert tls["cipher"] == cipher_table[ref.cipher]["iana"]
    assert tls["group"] == ref.temp_key
    assert (tls["version"], tls["cipher"]) == (scan_may.ep["tls"]["version"],
                                               scan_may.ep["tls"]["cipher"])
    assert tls["verify"]["code"] == ref.code == 0
    assert (tls["version"], tls["cipher_openssl"]) in scan.new_tls
    for fid in ("starttls-not-offered", "starttls-refused", "starttls-stripped"):
        assert fid not in finding_ids(ep)


# --------------------------------------------------------------------------
# 3. no TLS (what the scan reports: test_smtp_mta.py)


def test_none_fail_on_critical(run_json, pki, pf_none):
    rc, doc, err = _check(run_json, pki, pf_none.port, "--starttls", "smtp",
                          extra=("--fail-on", "critical"))
    assert rc == 0, err
    assert "starttls-not-offered" in finding_ids(endpoint(doc))


# --------------------------------------------------------------------------
# 4. wrapper mode (implicit TLS) and port/mode mismatches


def test_wrapper_implicit(run_json, pki, pf_wrapper, cipher_table):
    scan = _scan_logged(run_json, pki, pf_wrapper, "--implicit")
    ref = s_client(pf_wrapper, pki.ca, name=HOST)
    ep = scan.ep
    assert scan.rc == 0, scan.err
    assert ep["mode"] == "implicit"
    tls = ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref.protocol, ref.cipher)
    assert tls["cipher"] == cipher_table[ref.cipher]["iana"]
    assert tls["group"] == ref.temp_key
    assert tls["verify"]["code"] == ref.code == 0
    assert (tls["version"], tls["cipher_openssl"]) in scan.new_tls
    assert "port-mode-mismatch" not in finding_ids(ep)
    assert "cert-trusted" in finding_ids(ep)


@pytest.fixture(scope="module")
def scan_wrapper_starttls(run_json, pki, pf_wrapper):
    t0 = time.monotonic()
    scan = _check(run_json, pki, pf_wrapper.port, "--starttls", "smtp",
                  extra=("--read-timeout", "2"))
    return Scan(*scan, pf=pf_wrapper), time.monotonic() - t0


def test_wrapper_with_starttls_is_port_mode_mismatch(scan_wrapper_starttls, pf_wrapper, pki):
    scan, took = scan_wrapper_starttls
    ep = scan.ep
    ref = s_client(pf_wrapper, pki.ca, name=HOST)
    f = finding(ep, "port-mode-mismatch")
    assert f is not None, ep["findings"]
    assert f["severity"] == "medium"
    assert "implicit TLS" in f["detail"]
    assert "--implicit %s:%d" % (HOST, pf_wrapper.port) in f["fix"]
    g = ep["dialogue"]
    assert g["silent"] is True
    assert g["implicit_answered"] is True
    assert g["greeting_code"] is None
    assert g["starttls_sent"] is False
    # The implicit handshake that proved it is reported like any other.
    assert ep["tls"] is not None
    assert (ep["tls"]["version"], ep["tls"]["cipher_openssl"]) == (ref.protocol, ref.cipher)
    assert ep["tls"]["verify"]["code"] == 0
    # medium is below the default --fail-on high
    assert scan.rc == 0, scan.err
    assert 2 <= took < 30


def test_wrapper_with_starttls_fail_on_medium(run_json, pki, pf_wrapper):
    rc, doc, err = _check(run_json, pki, pf_wrapper.port, "--starttls", "smtp",
                          extra=("--read-timeout", "2", "--fail-on", "medium"))
    assert rc == 1, err
    assert "port-mode-mismatch" in finding_ids(endpoint(doc))


def test_implicit_on_starttls_port_is_port_mode_mismatch(run_json, pki, pf_may):
    rc, doc, err = _check(run_json, pki, pf_may.port, "--implicit")
    ep = endpoint(doc)
    f = finding(ep, "port-mode-mismatch")
    assert f is not None, ep["findings"]
    assert f["severity"] == "medium"
    assert ep["clear_text_answer"] == "220 " + GREETING
    assert GREETING in f["detail"]
    assert "--starttls smtp %s:%d" % (HOST, pf_may.port) in f["fix"]
    assert ep["tls"] is None
    # no TLS could be scanned: exit 3 with the TLS error
    assert rc == 3, err
    assert [e["stage"] for e in ep["errors"]] == ["tls"]


# --------------------------------------------------------------------------
# 5. a STARTTLS-stripping proxy (Cisco ESMTP inspection) in front of "may"


@pytest.fixture(scope="module")
def scan_stripped(run_json, pki, pf_may, strip_proxy):
    return _scan_logged(run_json, pki, pf_may, "--starttls", "smtp", port=strip_proxy)


def test_proxy_masks_starttls(strip_proxy, pf_may, pki, dialogue_may):
    """The fixture itself: only the STARTTLS line changes, TLS still works."""
    ref = reference_dialogue("127.0.0.1", strip_proxy, pki.ca)
    masked = [MASK if c == "STARTTLS" else c for c in dialogue_may["caps"]]
    assert ref["caps"] == masked
    assert ref["starttls"][0] == 220
    assert ref["caps_tls"] == dialogue_may["caps_tls"]
    assert (ref["version"], ref["cipher"]) == (dialogue_may["version"], dialogue_may["cipher"])


def test_stripped_starttls(scan_stripped, scan_may):
    ep = scan_stripped.ep
    f = finding(ep, "starttls-stripped")
    assert f is not None, ep["findings"]
    assert f["severity"] == "high"
    assert MASK in f["detail"]
    assert scan_stripped.rc == 1, scan_stripped.err
    g = ep["dialogue"]
    assert g["starttls_advertised"] is False
    assert g["starttls_masked"] == MASK
    assert MASK in g["capabilities"] and "STARTTLS" not in g["capabilities"]
    assert g["starttls_sent"] is True and g["starttls_code"] == 220
    assert ("S", "250-" + MASK) in [(t["dir"], t["text"]) for t in ep["transcript"]]
    # TLS still negotiated, the same as without the proxy
    tls = ep["tls"]
    assert tls is not None and tls["verify"]["code"] == 0
    assert (tls["version"], tls["cipher"]) == (scan_may.ep["tls"]["version"],
                                               scan_may.ep["tls"]["cipher"])
    assert (tls["version"], tls["cipher_openssl"]) in scan_stripped.new_tls
    assert g["capabilities_tls"] == scan_may.ep["dialogue"]["capabilities_tls"]
    for fid in ("starttls-not-offered", "starttls-refused"):
        assert fid not in finding_ids(ep)


def test_not_stripped_without_proxy(scan_may):
    ep = scan_may.ep
    assert "starttls-stripped" not in finding_ids(ep)
    assert ep["dialogue"]["starttls_masked"] is None
    assert MASK not in ep["dialogue"]["capabilities"]


# --------------------------------------------------------------------------
# STARTTLS advertised but refused (a key that does not match the certificate)


def test_badkey_starttls_refused(run_json, pki, pf_badkey):
    ref = reference_dialogue(pf_badkey.host, pf_badkey.port, pki.ca)
    assert "STARTTLS" in ref["caps"]
    assert ref["starttls"][0] == 454
    assert pf_badkey.wait_log(r"does not match public key")
    rc, doc, err = _check(run_json, pki, pf_badkey.port, "--starttls", "smtp")
    ep = endpoint(doc)
    f = finding(ep, "starttls-refused")
    assert f is not None, ep["findings"]
    assert f["severity"] == "high"
    assert ref["starttls"][1][0] in f["detail"]  # "4.7.0 TLS not available due to ..."
    assert rc == 1, err
    g = ep["dialogue"]
    assert g["starttls_advertised"] is True
    assert g["starttls_code"] == 454
    assert g["starttls_reply"] == ref["starttls"][1][0]
    assert ep["tls"] is None
    assert "starttls-not-offered" not in finding_ids(ep)


# --------------------------------------------------------------------------
# 6. AUTH (Cyrus SASL, PLAIN and LOGIN)


@pytest.fixture(scope="module")
def scan_auth_tls_only(run_json, pki, pf_auth_tls_only):
    return Scan(*_check(run_json, pki, pf_auth_tls_only.port, "--starttls", "smtp"))


def test_auth_after_tls_only(scan_auth_tls_only, pf_auth_tls_only, pki):
    ref = reference_dialogue(pf_auth_tls_only.host, pf_auth_tls_only.port, pki.ca)
    assert AUTH not in ref["caps"] and AUTH in ref["caps_tls"]
    ep = scan_auth_tls_only.ep
    g = ep["dialogue"]
    assert g["capabilities"] == ref["caps"]
    assert g["capabilities_tls"] == ref["caps_tls"]
    f = finding(ep, "auth-after-tls-only")
    assert f is not None, ep["findings"]
    assert f["severity"] == "ok"
    assert "auth-before-tls" not in finding_ids(ep)
    assert scan_auth_tls_only.rc == 0, scan_auth_tls_only.err


def test_capabilities_changed_auth_inside_tls_only(scan_auth_tls_only):
    f = finding(scan_auth_tls_only.ep, "capabilities-changed")
    assert f is not None, scan_auth_tls_only.ep["findings"]
    assert f["severity"] == "info"
    assert "inside TLS only: " + AUTH in f["detail"]


# --------------------------------------------------------------------------
# 7. greeting delay (postscreen greet pause)


def test_greeting_delay(run_json, pki, pf_postscreen):
    t0 = time.monotonic()
    with SmtpClient(pf_postscreen.host, pf_postscreen.port) as c:
        code, lines = c.reply()
        ref_s = time.monotonic() - t0
        c.cmd("QUIT")
    assert code == 220 and lines[-1] == GREETING
    assert ref_s >= GREET_WAIT_S - 0.5, "postscreen did not pause (%.2f s)" % ref_s

    rc, doc, err = _check(run_json, pki, pf_postscreen.port, "--starttls", "smtp")
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert g["greeting_code"] == 220
    assert g["greeting"] == GREETING
    assert (GREET_WAIT_S - 0.5) * 1000 <= g["greeting_ms"] < 15000
    f = finding(ep, "greeting-delay")
    assert f is not None, ep["findings"]
    assert f["severity"] == "info"
    assert "%.1f s" % (g["greeting_ms"] / 1000.0) in f["detail"]
    assert rc == 0, err
    assert ep["tls"] and ep["tls"]["verify"]["code"] == 0
    assert pf_postscreen.wait_log(r"PASS NEW \[127\.0\.0\.1\]")


def test_no_greeting_delay(scan_may):
    assert scan_may.ep["dialogue"]["greeting_ms"] < 2000
    assert "greeting-delay" not in finding_ids(scan_may.ep)


# --------------------------------------------------------------------------
# 421: smtpd_client_connection_count_limit = 1 while a session is held open


REFUSED_LOG = r"warning: Connection concurrency limit exceeded"


def test_server_throttled(run_json, pki, pf_limit):
    held = SmtpClient(pf_limit.host, pf_limit.port)
    try:
        assert held.reply()[0] == 220
        before = len(pf_limit.wait_log(REFUSED_LOG, 0, 0))
        box = {}

        def scan():
            try:
                box["res"] = _check(run_json, pki, pf_limit.port, "--starttls", "smtp")
            except BaseException as e:  # pytest.fail inside the thread
                box["exc"] = e

        t = threading.Thread(target=scan)
        t.start()
        # Release the held session once Postfix has refused mailtls (421).
        refused = pf_limit.wait_log(REFUSED_LOG, before + 1, 20)
    finally:
        held.close()
    t.join(90)
    assert not t.is_alive(), "mailtls did not finish"
    if "exc" in box:
        raise box["exc"]
    assert len(refused) > before, "Postfix never refused a connection:\n" + pf_limit.log()
    rc, doc, err = box["res"]
    ep = endpoint(doc)
    g = ep["dialogue"]
    assert g["throttled"] >= 1
    # postlogd writes asynchronously: give the log time to catch up
    refused_total = len(pf_limit.wait_log(REFUSED_LOG, before + g["throttled"], 5)) - before
    assert g["throttled"] == refused_total
    f = finding(ep, "server-throttled")
    assert f is not None, ep["findings"]
    assert f["severity"] == "info"
    assert "%d connection(s) with 421" % g["throttled"] in f["detail"]
    # the retry got through and scanned normally
    assert rc == 0, err
    assert g["greeting_code"] == 220 and g["starttls_code"] == 220
    assert ep["tls"] and ep["tls"]["verify"]["code"] == 0
    assert ep["stats"]["connections"] >= 2


def test_not_throttled(scan_may):
    assert scan_may.ep["dialogue"]["throttled"] == 0
    assert "server-throttled" not in finding_ids(scan_may.ep)


# --------------------------------------------------------------------------
# findings Postfix cannot produce: absent on a correct server


def test_no_pipelining_after_starttls(scan_may, scan_stripped):
    for scan in (scan_may, scan_stripped):
        assert scan.ep["dialogue"]["pipelined_bytes"] == 0
        assert "pipelined-after-starttls" not in finding_ids(scan.ep)


def test_no_readvertised_starttls(scan_may, scan_stripped, scan_auth_tls_only):
    for scan in (scan_may, scan_stripped, scan_auth_tls_only):
        assert "STARTTLS" not in scan.ep["dialogue"]["capabilities_tls"]
        assert "starttls-readvertised" not in finding_ids(scan.ep)
