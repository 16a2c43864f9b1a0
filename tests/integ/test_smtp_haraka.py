"""Haraka, the suite's second MTA: the fixture itself, and Haraka's facts.

Every scan of Haraka (the --quick and the full scan of a STARTTLS server,
STARTTLS not offered, AUTH before TLS) is a test shared with Postfix and
parametrised over both MTAs in test_smtp_mta.py; Haraka's expectations
there come from the constants here.

Exim and OpenSMTPD conflict with Postfix on Debian (mail-transport-agent),
so the second real SMTP server is Haraka (Node.js, from the npm registry,
pinned in tests/integ/haraka/package-lock.json; tests/integ/haraka.py runs
it on 127.0.0.1:PORT in a temporary directory with its own config/).

Profiles (test_smtp_mta.py: also notls and auth):
  tls       plugins tls, queue/discard; the test PKI's certificate for localhost
"""

import re

import pytest

import haraka
from haraka import ME, Haraka
from postfix import SmtpClient

_why = haraka.available()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

# "haraka.mailtls.test ESMTP Haraka/3.3.4 ready (7AC99B)": the last part is
# the start of the connection's uuid (connection.ini [uuid] banner_chars=6).
GREETING_RE = re.compile(r"^%s ESMTP Haraka/%s ready \([0-9A-F]{6}\)$"
                         % (re.escape(ME), re.escape(haraka.version() or "?")))
# The first line of the EHLO reply, for test_smtp_mta.py ("localhost":
# haraka.py answers the reverse DNS lookup itself).
HELLO = "%s Hello localhost [127.0.0.1], Haraka is at your service." % ME


# --------------------------------------------------------------------------
# instances


def _running(tmp_path_factory, name, pki=None, **kw):
    leaf = pki.leaf("good") if pki is not None else None
    hk = Haraka(name, tmp_path_factory.mktemp("haraka-" + name),
                cert=leaf and leaf.cert, key=leaf and leaf.key, **kw)
    hk.start()
    try:
        yield hk
    finally:
        hk.stop()


@pytest.fixture(scope="module")
def hk_tls(pki, tmp_path_factory):
    yield from _running(tmp_path_factory, "tls", pki)


# --------------------------------------------------------------------------
# the fixture itself


def test_haraka_is_real(hk_tls):
    """The server is Haraka speaking SMTP, on loopback only."""
    with SmtpClient(hk_tls.host, hk_tls.port) as c:
        code, lines = c.reply()
        assert code == 220 and GREETING_RE.match(lines[0])
        assert c.cmd("NOOP")[0] == 250
        c.cmd("QUIT")
    assert hk_tls.wait_log(r"\[server\] Listening on 127\.0\.0\.1:%d" % hk_tls.port)
