"""Throttling by closing (docs/design.md "Closes and throttling").

Exim refuses connections beyond its limit with a bare close (it counts
children that have not exited yet), and so do postscreen, anvil and
firewalls: on an implicit-TLS port that close looks like a refusal of the
hello. tests/fixtures/throttle_proxy.py does that in front of a real
server, `openssl s_server` with its defaults (TLS 1.2 and 1.3, which refuse
with alerts), so the result through it is compared with the result of the
same server without it:

  limit 2, linger 0.3 s   the same protocols, suites (in order) and groups
  limit 1, linger 0.5 s   as without the proxy, nothing unknown, and the
                          proxy did close connections (the test bites)
  forever, from the start every version unknown with the reason, no suite,
                          exit 3: never a list of "not offered"
  forever after the first the handshake's version and suite are known, the
                          rest unknown; no finding from what is unknown
                          (protocol-no-tls12), the grade says incomplete
"""

import sys
import time

import pytest

from conftest import FIXTURES, endpoint, finding_ids

sys.path.insert(0, str(FIXTURES))
import throttle_proxy  # noqa: E402


def facts(ep):
    """What the enumeration found: versions, suites per version in order,
    groups."""
    protos = {p["name"]: p["offered"] for p in ep["protocols"]}
    suites = {}
    for c in sorted(ep["ciphers"], key=lambda c: (c["protocol"], c["order"])):
        suites.setdefault(c["protocol"], []).append(c["code"])
    return protos, suites, ep["groups"]


def scan(run_json, pki, port, *extra):
    return run_json("check", "--implicit", "--ca-file", pki.ca, *extra,
                    "localhost:%d" % port, "--ip", "127.0.0.1", timeout=180)


@pytest.fixture(scope="module")
def reference(sserver, run_json, pki):
    srv = sserver("good")
    rc, doc, err = scan(run_json, pki, srv.port)
    assert rc == 0, err
    ep = endpoint(doc)
    assert all(p["reason"] is None for p in ep["protocols"])
    return srv, ep


@pytest.mark.parametrize("limit,linger", [(2, 0.3), (1, 0.5)])
def test_throttled_server_gives_the_unthrottled_result(reference, run_json, pki, limit, linger):
    srv, ref = reference
    with throttle_proxy.ThrottleProxy(srv.port, limit=limit, linger=linger) as proxy:
        rc, doc, err = scan(run_json, pki, proxy.port)
        refused = proxy.refused
    assert refused > 0, "the proxy never throttled: the test proves nothing"
    assert rc == 0, err
    ep = endpoint(doc)
    assert facts(ep) == facts(ref)
    assert [p["reason"] for p in ep["protocols"]] == [None] * 6, ep["protocols"]
    assert ep["grade"]["letter"] == ref["grade"]["letter"]
    assert not any(c.startswith("incomplete") for c in ep["grade"]["caps"])


def test_server_that_throttles_forever_is_unknown_and_exit_3(reference, run_json, pki):
    srv, _ = reference
    with throttle_proxy.ThrottleProxy(srv.port, forever=True, pass_first=0) as proxy:
        rc, doc, err = scan(run_json, pki, proxy.port)
        assert proxy.accepted == 0
    assert rc == 3, err
    ep = endpoint(doc)
    assert [p["offered"] for p in ep["protocols"]] == [None] * 6, ep["protocols"]
    assert all(p["reason"] for p in ep["protocols"])
    assert ep["ciphers"] == [] and ep["grade"] is None
    assert not set(finding_ids(ep)) & {"protocol-no-tls12", "protocol-no-tls13"}
    assert "enumerate" in [e["stage"] for e in ep["errors"]]


def test_scan_timeout_keeps_what_was_learnt(reference, run_json, pki):
    """--scan-timeout stops a slow scan (a harsh throttle makes it take
    half a minute): it ends within twice the budget, keeps what it learnt,
    calls the rest unknown and says so in errors[]; nothing false."""
    srv, ref = reference
    with throttle_proxy.ThrottleProxy(srv.port, limit=1, linger=0.5) as proxy:
        t0 = time.monotonic()
        rc, doc, err = scan(run_json, pki, proxy.port, "--scan-timeout", "4")
        took = time.monotonic() - t0
    assert took < 2 * 4 + 2, took
    assert rc != 3, err
    assert "scan" in [e["stage"] for e in doc["errors"]], doc["errors"]
    ep = endpoint(doc)
    ref_protos = facts(ref)[0]
    for p in ep["protocols"]:
        # never a wrong answer: each is what the full scan says, or unknown
        assert p["offered"] in (None, ref_protos[p["name"]]), p
        if p["offered"] is None or p["reason"]:
            assert p["reason"], p
    assert any(p["reason"] for p in ep["protocols"])
    ref_codes = {c["code"] for c in ref["ciphers"]}
    assert {c["code"] for c in ep["ciphers"]} <= ref_codes
    assert not set(finding_ids(ep)) & {"protocol-no-tls12", "protocol-no-tls13"}


def test_throttled_after_the_handshake_keeps_what_it_saw(reference, run_json, pki):
    srv, ref = reference
    with throttle_proxy.ThrottleProxy(srv.port, forever=True, pass_first=1) as proxy:
        rc, doc, err = scan(run_json, pki, proxy.port)
        assert proxy.accepted == 1 and proxy.refused > 0
    ep = endpoint(doc)
    assert rc != 3, err
    version, code = ep["tls"]["version"], ep["tls"]["cipher_code"]
    protos = {p["name"]: p for p in ep["protocols"]}
    # the version the handshake negotiated is offered, its suite listed,
    # and the list said to be incomplete; every other version unknown
    assert protos[version]["offered"] is True and protos[version]["reason"], protos[version]
    assert [c["code"] for c in ep["ciphers"]] == [code]
    for name, p in protos.items():
        if name != version:
            assert p["offered"] is None and p["reason"], p
    assert not set(finding_ids(ep)) & {"protocol-no-tls12", "protocol-no-tls13",
                                       "protocol-tls10-tls11"}
    assert ep["grade"] and any(c.startswith("incomplete") for c in ep["grade"]["caps"])
    assert ep["grade"]["letter"] != "A+"
