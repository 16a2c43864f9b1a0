"""A host with several addresses, some of which refuse (README "Exit codes",
docs/grading.md `address-unreachable`).

A name with an A (127.0.0.1) and an AAAA (::1) record, served by a
throw-away NSD (--resolver): nothing here depends on /etc/hosts. The
server is a real SMTP server with STARTTLS, `mailtls serve`, listening on
one address, both, or neither, on one port; its throw-away CA is given to
mailtls with --ca-file, and its certificate names the test host.

  one refuses   exit by the findings (0 by default), both endpoints in the
                report, address-unreachable (medium) on the refusing one only
  all answer    no address-unreachable
  none answers  exit 3, no finding: the errors say what failed
  domain        the same for an MX host of `mailtls domain`

Each case is checked from both sides (IPv6 refusing, then IPv4), and the
refusal itself against a plain socket connect, the reference.
"""

import socket

import pytest

from conftest import endpoint, finding_ids, ipv6_loopback_usable, local
from dnszones import NsdServer, Zone
from serveproc import Serve

pytestmark = pytest.mark.skipif(not ipv6_loopback_usable(),
                                reason="no IPv6 loopback (::1) on this machine")

HOST = "mx.dual.test"
V4, V6 = "127.0.0.1", "::1"


@pytest.fixture(scope="module")
def dns():
    z = Zone("dual.test")
    z.add("@ MX 10 mx", "mx A %s" % V4, "mx AAAA %s" % V6)
    srv = NsdServer([z])
    yield srv
    srv.stop()


def port_free_on_both():
    """A TCP port free on 127.0.0.1 and on ::1 right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as a, \
                socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as b:
            a.bind((V4, 0))
            port = a.getsockname()[1]
            try:
                b.bind((V6, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no port free on both loopback addresses")


def refused(addr, port):
    """The reference: does a plain connect to addr:port get refused?"""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        return s.connect_ex((addr, port)) != 0


@pytest.fixture
def serve_on(tmp_path):
    """serve_on(addresses) -> (port, Serve or None): mailtls serve with
    STARTTLS on each of the addresses, all on one port."""
    started = []

    def start(addrs):
        port = port_free_on_both()
        if not addrs:
            return port, None
        args = ["--hostname", HOST]
        for a in addrs:
            args += ["--listen", ("[%s]:%d" if ":" in a else "%s:%d") % (a, port)]
        s = Serve(tmp_path / ("serve%d" % len(started)), args, listen=0)
        started.append(s)
        return port, s

    yield start
    for s in started:
        rc, lines = s.stop()
        assert rc == 0, "serve exited %d\n%s" % (rc, "\n".join(lines))


def by_address(doc):
    return {ep["address"]: ep for ep in doc["endpoints"]}


def check(run_json, dns, port, srv, *extra):
    args = ["check", "--quick", "--starttls", "smtp", "--resolver", dns.resolver]
    if srv:
        args += ["--ca-file", srv.ca]
    return run_json(*args, *extra, "%s:%d" % (HOST, port))


@pytest.mark.parametrize("up,down", [(V4, V6), (V6, V4)])
def test_one_address_refuses(run_json, run_mailtls, dns, serve_on, up, down):
    port, srv = serve_on([up])
    assert refused(down, port) and not refused(up, port)
    rc, doc, err = check(run_json, dns, port, srv)
    eps = by_address(doc)
    assert set(eps) == {V4, V6}, doc["endpoints"]
    good, bad = eps[up], eps[down]
    # the address that answers is scanned as usual, and verifies
    assert good["errors"] == [] and good["tls"]["verify"]["code"] == 0, good
    assert "address-unreachable" not in finding_ids(good)
    # the other one: its connect error, and the finding, medium
    assert [(e["stage"], e["category"]) for e in bad["errors"]] == [("connect", "connect")]
    assert "refused" in bad["errors"][0]["message"]
    f = [x for x in bad["findings"] if x["id"] == "address-unreachable"]
    assert len(f) == 1 and f[0]["severity"] == "medium", bad["findings"]
    assert ("[%s]:%d" % (down, port)) in f[0]["detail"]
    assert ("Scanned addresses of %s port %d: %s." % (HOST, port, up)) in f[0]["detail"]
    assert bad["tls"] is None
    # exit: by the findings, not 3 (medium is below the default --fail-on high)
    assert rc == 0, err
    rc, _, _ = check(run_json, dns, port, srv, "--fail-on", "medium")
    assert rc == 1
    # the text report says it too
    rc, out, err = run_mailtls("check", "--quick", "--starttls", "smtp", "--resolver",
                               dns.resolver, "--ca-file", srv.ca, "%s:%d" % (HOST, port))
    assert rc == 0 and "(address-unreachable)" in out, out


def test_all_addresses_answer(run_json, dns, serve_on):
    port, srv = serve_on([V4, V6])
    rc, doc, err = check(run_json, dns, port, srv)
    assert rc == 0, err
    eps = by_address(doc)
    assert set(eps) == {V4, V6}
    for ep in eps.values():
        assert ep["errors"] == [] and ep["tls"]["verify"]["code"] == 0, ep
        assert "address-unreachable" not in finding_ids(ep)


def test_no_address_answers(run_json, dns, serve_on):
    port, _ = serve_on([])
    assert refused(V4, port) and refused(V6, port)
    rc, doc, err = check(run_json, dns, port, None)
    assert rc == 3, err
    eps = by_address(doc)
    assert set(eps) == {V4, V6}
    for ep in eps.values():
        assert [e["stage"] for e in ep["errors"]] == ["connect"]
        assert ep["findings"] == [], ep["findings"]


def test_pinned_address_is_the_only_endpoint(run_json, dns, serve_on):
    """--ip (what the rest of the suite uses for localhost) scans that
    address only: no second endpoint, no finding about the other."""
    port, srv = serve_on([V4])
    rc, doc, err = run_json("check", "--quick", "--starttls", "smtp", "--ca-file", srv.ca,
                            *local(port, HOST))
    assert rc == 0, err
    assert endpoint(doc)["address"] == V4


@pytest.mark.parametrize("up,down", [(V4, V6), (V6, V4)])
def test_domain_mx_address_refuses(run_json, dns, serve_on, up, down):
    port, srv = serve_on([up])
    rc, doc, err = run_json("domain", "--quick", "--resolver", dns.resolver, "--port", port,
                            "--ca-file", srv.ca, "dual.test", timeout=90)
    eps = by_address(doc)
    assert set(eps) == {V4, V6}, doc["endpoints"]
    assert eps[up]["errors"] == [] and "address-unreachable" not in finding_ids(eps[up])
    assert "address-unreachable" in finding_ids(eps[down])
    assert rc != 3, err


def test_domain_no_mx_address_answers(run_json, dns, serve_on):
    port, _ = serve_on([])
    rc, doc, err = run_json("domain", "--quick", "--resolver", dns.resolver, "--port", port,
                            "dual.test", timeout=90)
    assert rc == 3, err
    assert all("address-unreachable" not in finding_ids(ep) for ep in doc["endpoints"])
