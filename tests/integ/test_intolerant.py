"""Servers that choke on some hellos: the server-defaults checks ride on the
first TLS 1.2 and TLS 1.3 rounds of the enumeration (enumerate.c DEF_*), so
a server that refuses such a hello must neither lose the round (the round
goes again plain) nor be judged tolerant.

In front of `openssl s_server` (its defaults: TLS 1.2 and 1.3), the proxy
of tests/fixtures/throttle_proxy.py answers some hellos itself:

  grease   a hello listing a GREASE suite (RFC 8701) gets a fatal
           handshake_failure alert, as an intolerant server sends
  long     a hello record longer than 1000 bytes is closed on (a middlebox
           that loses the second TCP segment looks the same); a bare close
           cannot be told from throttling, so the tolerance is unknown
           (null), never "tolerant"

Each scan through it lists what the scan without it lists (protocols,
suites in order, groups), with the intolerance found and nothing unknown.
"""

import sys

import pytest

from conftest import FIXTURES, endpoint

sys.path.insert(0, str(FIXTURES))
import throttle_proxy  # noqa: E402
from test_throttle import facts, scan  # noqa: E402

ALERT_HANDSHAKE_FAILURE = bytes([21, 3, 3, 0, 2, 2, 40])


def suites_of(record):
    """The cipher suites of a ClientHello record, [] when it is not one."""
    if len(record) < 5 + 4 + 2 + 32 + 1 or record[0] != 22 or record[5] != 1:
        return []
    at = 5 + 4 + 2 + 32
    at += 1 + record[at]
    if at + 2 > len(record):
        return []
    n = int.from_bytes(record[at:at + 2], "big")
    body = record[at + 2:at + 2 + n]
    return [int.from_bytes(body[i:i + 2], "big") for i in range(0, len(body) - 1, 2)]


def is_grease(code):
    return (code & 0x0F0F) == 0x0A0A and (code >> 8) == (code & 0xFF)


def refuse_grease(record):
    return ALERT_HANDSHAKE_FAILURE if any(is_grease(c) for c in suites_of(record)) else None


def refuse_long(record):
    return b"" if len(record) > 1000 else None


@pytest.fixture(scope="module")
def reference(sserver, run_json, pki):
    srv = sserver("good")
    rc, doc, err = scan(run_json, pki, srv.port)
    assert rc == 0, err
    ep = endpoint(doc)
    d = ep["server_defaults"]
    assert d["grease_tolerant"] is True and d["long_hello_tolerant"] is True, d
    return srv, ep


@pytest.mark.parametrize("answer,grease,long_", [(refuse_grease, False, True),
                                                 (refuse_long, True, None)])
def test_intolerant_server(reference, run_json, pki, answer, grease, long_):
    srv, ref = reference
    with throttle_proxy.ThrottleProxy(srv.port, limit=1000, answer_hello=answer) as proxy:
        rc, doc, err = scan(run_json, pki, proxy.port)
    assert rc == 0, err
    assert proxy.answered >= 1  # the test bites: some hello was refused
    ep = endpoint(doc)
    d = ep["server_defaults"]
    assert (d["grease_tolerant"], d["long_hello_tolerant"]) == (grease, long_), d
    assert facts(ep) == facts(ref)
    assert all(p["reason"] is None for p in ep["protocols"]), ep["protocols"]
    assert d["extensions"] == ref["server_defaults"]["extensions"]
