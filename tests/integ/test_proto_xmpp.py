"""`mailtls check --starttls xmpp|xmpp-server` against a real Prosody.

Every profile is its own Prosody (tests/integ/servers_misc.py: a temporary
config and data directory, VirtualHost "localhost", one c2s and one s2s
port on 127.0.0.1), started once per module and stopped at teardown.

References, independent of mailtls:
  - `openssl s_client -starttls xmpp|xmpp-server -xmpphost localhost`:
    protocol, cipher, group, and each TLS version pinned
  - a small XMPP client below (Python's ssl for STARTTLS): the stream
    features before and inside TLS, as Prosody really sends them

Profiles:
  required   certificate, c2s/s2s_require_encryption = true (the default):
             <starttls><required/></starttls>, no SASL before TLS
  optional   certificate, require_encryption = false: STARTTLS without
             <required/>; SASL before TLS without PLAIN (Prosody's default
             allow_unencrypted_plain_auth = false)
  plain      optional + allow_unencrypted_plain_auth = true: PLAIN before
             TLS
  notls      mod_tls not loaded, require_encryption = false: no STARTTLS
  nocerts    mod_tls loaded but no certificate anywhere: Prosody 0.12 still
             advertises STARTTLS and answers <proceed/>, then the handshake
             fails ("no shared cipher")
"""

import re
import socket
import ssl
import time

import pytest

from conftest import endpoint, finding_ids, local
from servers_misc import (XMPP_DOMAIN, Prosody, prosody_available, s_client_tls,
                          s_client_versions)

_why = prosody_available()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
PROTOS = ("xmpp", "xmpp-server")


# --------------------------------------------------------------------------
# a reference XMPP client


def _read_until(sock, pats, limit=65536):
    data = b""
    while not any(p in data for p in pats):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed; got %r" % data)
        data += chunk
        if len(data) > limit:
            raise ValueError("no %r in %d bytes" % (pats, len(data)))
    return data.decode("utf-8", "replace")


def _header(server, domain):
    return ("<?xml version='1.0'?><stream:stream xmlns='jabber:%s' "
            "xmlns:stream='http://etherx.jabber.org/streams'%s to='%s' version='1.0'>"
            % ("server" if server else "client",
               " xmlns:db='jabber:server:dialback'" if server else "", domain)).encode()


_FEATURES_END = (b"</stream:features>", b"<stream:features/>", b"</stream:error>")


def reference_features(port, cafile, server=False, domain=XMPP_DOMAIN):
    """-> {"pre": features XML before TLS, "tls": inside TLS or None,
    "version", "cipher"} as Python's ssl sees them."""
    out = {"pre": None, "tls": None, "version": None, "cipher": None}
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(_header(server, domain))
        out["pre"] = _read_until(s, _FEATURES_END)
        if "<starttls" not in out["pre"]:
            return out
        s.sendall(("<starttls xmlns='%s'/>" % NS_TLS).encode())
        answer = _read_until(s, (b"<proceed", b"<failure"))
        if "<proceed" not in answer:
            return out
        if not answer.rstrip().endswith(">"):
            _read_until(s, (b">",))
        ctx = ssl.create_default_context(cafile=str(cafile))
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            out["version"], out["cipher"] = t.version(), t.cipher()[0]
            t.sendall(_header(server, domain))
            out["tls"] = _read_until(t, _FEATURES_END)
            t.sendall(b"</stream:stream>")
    return out


def caps_of(features):
    """What mailtls should list for a <stream:features/>: STARTTLS [required]
    and SASL mechanisms."""
    caps = []
    m = re.search(r"<starttls xmlns='%s'\s*(/>|>(.*?)</starttls>)" % re.escape(NS_TLS),
                  features, re.S)
    if m:
        caps.append("STARTTLS required" if m.group(2) and "<required" in m.group(2)
                    else "STARTTLS")
    caps += ["SASL " + x for x in re.findall(r"<mechanism>([^<]+)</mechanism>", features)]
    return sorted(caps)


# --------------------------------------------------------------------------
# instances


def _running(srv):
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _pki(pki):
    leaf = pki.leaf("good")
    return leaf.cert, leaf.key, pki.ca


OPTIONAL = {"c2s_require_encryption": False, "s2s_require_encryption": False}


@pytest.fixture(scope="module")
def pros_required(pki):
    yield from _running(Prosody("required", *_pki(pki), options={
        "c2s_require_encryption": True, "s2s_require_encryption": True}))


@pytest.fixture(scope="module")
def pros_optional(pki):
    yield from _running(Prosody("optional", *_pki(pki), options=dict(OPTIONAL)))


@pytest.fixture(scope="module")
def pros_plain(pki):
    yield from _running(Prosody("plain", *_pki(pki), options=dict(
        OPTIONAL, allow_unencrypted_plain_auth=True)))


@pytest.fixture(scope="module")
def pros_notls(pki):
    yield from _running(Prosody("notls", *_pki(pki), tls=False, certs=False,
                                options=dict(OPTIONAL)))


@pytest.fixture(scope="module")
def pros_nocerts(pki):
    yield from _running(Prosody("nocerts", *_pki(pki), certs=False, options=dict(OPTIONAL)))


def _port(srv, proto):
    return srv.port if proto == "xmpp" else srv.s2s_port


@pytest.fixture(scope="module")
def quick(run_json, pki):
    """quick(server, proto, *extra) -> (rc, endpoint), one mailtls --quick
    run per (server, proto, extra), cached for the module."""
    cache = {}

    def get(srv, proto, *extra):
        key = (srv.name, proto, extra)
        if key not in cache:
            rc, doc, err = run_json("check", "--quick", "--starttls", proto, "--ca-file",
                                    pki.ca, "--xmpp-domain", XMPP_DOMAIN, *extra,
                                    *local(_port(srv, proto)))
            cache[key] = (rc, endpoint(doc), err)
        return cache[key]

    return get


def texts(ep, direction):
    return [t["text"] for t in ep["transcript"] if t["dir"] == direction]


# --------------------------------------------------------------------------
# the negotiated TLS equals s_client's


@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("profile", ["pros_required", "pros_optional"])
def test_tls_equals_s_client(request, quick, pki, profile, proto):
    srv = request.getfixturevalue(profile)
    rc, ep, err = quick(srv, proto)
    ref = s_client_tls("127.0.0.1:%d" % _port(srv, proto), pki.ca, proto, xmpphost=XMPP_DOMAIN)
    assert ref is not None, "s_client -starttls %s negotiated nothing with Prosody" % proto
    assert rc == 0, (rc, err, ep["errors"])
    assert ep["errors"] == []
    tls = ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref.protocol, ref.cipher), ref.output
    assert tls["group"] == ref.group
    assert ref.verified and tls["verify"]["code"] == 0


@pytest.mark.parametrize("proto", PROTOS)
def test_enumeration_through_the_dialogue(run_json, pki, pros_required, proto):
    """A full scan (no --quick): every raw hello goes through the XMPP
    dialogue; what it finds per version matches s_client pinned to it."""
    port = _port(pros_required, proto)
    rc, doc, err = run_json("check", "--starttls", proto, "--ca-file", pki.ca, "--xmpp-domain",
                            XMPP_DOMAIN, *local(port), timeout=120)
    ep = endpoint(doc)
    assert ep["errors"] == [], ep["errors"]
    ref = s_client_versions("127.0.0.1:%d" % port, pki.ca, proto, xmpphost=XMPP_DOMAIN)
    offered = {p["name"]: p["offered"] for p in ep["protocols"]}
    for version, cipher in ref.items():
        assert offered.get(version) == (cipher is not None), (version, offered, ref)
        if cipher:
            names = [c["openssl"] for c in ep["ciphers"] if c["protocol"] == version]
            assert cipher in names, (version, cipher, names)
    assert ref["TLSv1.3"] and len([c for c in ep["ciphers"] if c["protocol"] == "TLSv1.3"]) >= 1
    assert doc["endpoints"][0]["stats"]["connections"] > 5


# --------------------------------------------------------------------------
# the dialogue, c2s


def test_c2s_required(quick, pki, pros_required):
    rc, ep, _ = quick(pros_required, "xmpp")
    ref = reference_features(pros_required.port, pki.ca)
    g = ep["dialogue"]
    # Prosody requires TLS: no SASL before it, PLAIN and SCRAM inside.
    assert caps_of(ref["pre"]) == ["STARTTLS required"]
    assert sorted(g["capabilities"]) == caps_of(ref["pre"])
    assert sorted(g["capabilities_tls"]) == caps_of(ref["tls"])
    assert {"SASL PLAIN", "SASL SCRAM-SHA-1"} <= set(g["capabilities_tls"])
    assert g["starttls_advertised"] and g["starttls_sent"] and g["starttls_ok"]
    assert g["starttls_reply"] == "<proceed/>"
    assert g["auth_clear"] is None and g["auth_tls"] is True
    assert g["pipelined_bytes"] == 0
    ids = finding_ids(ep)
    for absent in ("starttls-not-offered", "starttls-refused", "starttls-stripped",
                   "starttls-readvertised", "auth-before-tls", "pipelined-after-starttls"):
        assert absent not in ids, ids
    assert "auth-after-tls-only" in ids
    assert (ep["tls"]["version"], ep["tls"]["cipher_openssl"]) == (ref["version"], ref["cipher"])


def test_c2s_transcript(quick, pros_required):
    _, ep, _ = quick(pros_required, "xmpp")
    c, s = texts(ep, "C"), texts(ep, "S")
    # header, <starttls/>, header again inside TLS, close
    assert len(c) == 4, c
    assert "xmlns='jabber:client'" in c[0] and "to='%s'" % XMPP_DOMAIN in c[0]
    assert c[1] == "<starttls xmlns='%s'/>" % NS_TLS
    assert c[2] == c[0]
    assert c[3] == "</stream:stream>"
    assert "<stream:features><starttls xmlns='%s'><required/></starttls>" % NS_TLS in s[0]
    assert s[1].startswith("<proceed")
    assert "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" in s[2]
    times = [t["t_ms"] for t in ep["transcript"]]
    assert times == sorted(times)


def test_c2s_optional_no_plain_before_tls(quick, pki, pros_optional):
    """Prosody without require_encryption offers SASL before TLS, but not
    PLAIN (allow_unencrypted_plain_auth defaults to false): no
    auth-before-tls, and no "auth only after TLS" either."""
    rc, ep, _ = quick(pros_optional, "xmpp")
    ref = reference_features(pros_optional.port, pki.ca)
    g = ep["dialogue"]
    assert "STARTTLS" in caps_of(ref["pre"]) and "SASL PLAIN" not in caps_of(ref["pre"])
    assert sorted(g["capabilities"]) == caps_of(ref["pre"])
    assert "STARTTLS" in g["capabilities"] and "STARTTLS required" not in g["capabilities"]
    assert sorted(g["capabilities_tls"]) == caps_of(ref["tls"])
    assert g["auth_clear"] is None
    ids = finding_ids(ep)
    assert "auth-before-tls" not in ids and "starttls-not-offered" not in ids
    assert "auth-after-tls-only" not in ids, "SASL is offered before TLS too"
    assert g["starttls_ok"] and rc == 0


def test_c2s_plain_before_tls(quick, pki, pros_plain):
    rc, ep, _ = quick(pros_plain, "xmpp")
    ref = reference_features(pros_plain.port, pki.ca)
    g = ep["dialogue"]
    assert "SASL PLAIN" in caps_of(ref["pre"])
    assert sorted(g["capabilities"]) == caps_of(ref["pre"])
    assert g["auth_clear"] == "SASL PLAIN"
    f = [x for x in ep["findings"] if x["id"] == "auth-before-tls"]
    assert len(f) == 1 and "PLAIN" in f[0]["detail"]
    assert "auth-after-tls-only" not in finding_ids(ep)
    assert g["starttls_ok"] and ep["tls"]["version"]


def test_c2s_domain_defaults_to_host(run_json, pki, pros_required):
    """Without --xmpp-domain the stream goes to the target's host name."""
    rc, doc, err = run_json("check", "--quick", "--starttls", "xmpp", "--ca-file", pki.ca,
                            *local(pros_required.port))
    ep = endpoint(doc)
    assert rc == 0, (err, ep["errors"])
    assert "to='localhost'" in texts(ep, "C")[0]


def test_c2s_address_target_with_domain(run_json, pki, pros_required):
    """An address as target (no SNI, verified against the IP SAN) with the
    stream's domain from --xmpp-domain."""
    rc, doc, err = run_json("check", "--quick", "--starttls", "xmpp", "--ca-file", pki.ca,
                            "--xmpp-domain", XMPP_DOMAIN, "127.0.0.1:%d" % pros_required.port)
    ep = endpoint(doc)
    assert rc == 0, (err, ep["errors"])
    assert "to='%s'" % XMPP_DOMAIN in texts(ep, "C")[0]
    assert ep["dialogue"]["starttls_ok"] and ep["tls"]["verify"]["code"] == 0


def test_c2s_unknown_domain_stream_error(run_json, pki, pros_required):
    """Prosody closes a stream to a domain it does not serve with
    <host-unknown/>: an error naming that condition, exit 3."""
    rc, doc, err = run_json("check", "--quick", "--starttls", "xmpp", "--ca-file", pki.ca,
                            "--xmpp-domain", "unknown.example", *local(pros_required.port))
    ep = endpoint(doc)
    assert rc == 3, (rc, err)
    assert ep["tls"] is None
    msgs = [e["message"] for e in ep["errors"]]
    assert len(msgs) == 1 and "host-unknown" in msgs[0], msgs


# --------------------------------------------------------------------------
# the dialogue, s2s


def test_s2s_required(quick, pki, pros_required):
    rc, ep, _ = quick(pros_required, "xmpp-server")
    ref = reference_features(pros_required.s2s_port, pki.ca, server=True)
    g = ep["dialogue"]
    assert caps_of(ref["pre"]) == ["STARTTLS required"]
    assert sorted(g["capabilities"]) == caps_of(ref["pre"])
    assert g["starttls_ok"] and g["starttls_reply"] == "<proceed/>"
    c = texts(ep, "C")
    assert "xmlns='jabber:server'" in c[0] and "xmlns:db='jabber:server:dialback'" in c[0]
    assert "starttls-not-offered" not in finding_ids(ep)
    assert rc == 0


def test_s2s_optional(quick, pki, pros_optional):
    rc, ep, _ = quick(pros_optional, "xmpp-server")
    ref = reference_features(pros_optional.s2s_port, pki.ca, server=True)
    assert sorted(ep["dialogue"]["capabilities"]) == caps_of(ref["pre"]) == ["STARTTLS"]
    assert ep["dialogue"]["starttls_ok"] and rc == 0


# --------------------------------------------------------------------------
# without TLS


@pytest.mark.parametrize("proto", PROTOS)
def test_no_tls_starttls_not_offered(quick, pki, pros_notls, proto):
    """mod_tls not loaded: no <starttls/> in the features. The scan ran and
    found the server offers no TLS: starttls-not-offered, exit 1."""
    rc, ep, err = quick(pros_notls, proto)
    ref = reference_features(_port(pros_notls, proto), pki.ca, server=proto == "xmpp-server")
    assert "<starttls" not in ref["pre"]
    assert s_client_tls("127.0.0.1:%d" % _port(pros_notls, proto), pki.ca, proto,
                        xmpphost=XMPP_DOMAIN, timeout=5) is None
    g = ep["dialogue"]
    assert g["starttls_advertised"] is False and g["starttls_ok"] is False
    assert ep["tls"] is None
    assert "starttls-not-offered" in finding_ids(ep)
    assert rc == 1, "exit %d, errors %s" % (rc, ep["errors"])
    assert ep["errors"] == [], ep["errors"]


@pytest.mark.parametrize("proto", PROTOS)
def test_no_tls_stream_error_quoted(quick, pros_notls, proto):
    """If mailtls sends <starttls/> although it was not offered, Prosody
    answers <stream:error><unsupported-stanza-type/>: any error mailtls
    records must quote that element, not other bytes of the buffer."""
    _, ep, _ = quick(pros_notls, proto)
    s = texts(ep, "S")
    if not any("<stream:error>" in t for t in s):
        pytest.skip("mailtls did not provoke a stream error")
    msgs = [e["message"] for e in ep["errors"]]
    assert all("unsupported-stanza-type" in m for m in msgs), (msgs, s)


def test_no_tls_sasl_without_plain(quick, pros_notls):
    """Without TLS, SASL before TLS is all there is (SCRAM-SHA-1 only, by
    Prosody's default); no auth finding claims PLAIN."""
    _, ep, _ = quick(pros_notls, "xmpp")
    g = ep["dialogue"]
    assert g["capabilities"] and all(c.startswith("SASL ") for c in g["capabilities"])
    assert "SASL PLAIN" not in g["capabilities"]
    assert "auth-before-tls" not in finding_ids(ep)


def test_nocerts_offers_starttls_then_fails(quick, pki, pros_nocerts):
    """What Prosody 0.12 really does with mod_tls and no certificate: it
    advertises STARTTLS and says <proceed/>, then aborts the handshake. So
    STARTTLS is offered (no starttls-not-offered); the scan could not
    complete TLS: exit 3 with a TLS error. s_client fails the same way."""
    rc, ep, err = quick(pros_nocerts, "xmpp")
    assert s_client_tls("127.0.0.1:%d" % pros_nocerts.port, pki.ca, "xmpp",
                        xmpphost=XMPP_DOMAIN) is None
    g = ep["dialogue"]
    assert g["starttls_advertised"] and g["starttls_sent"]
    assert g["starttls_reply"] == "<proceed/>"
    assert "starttls-not-offered" not in finding_ids(ep)
    assert rc == 3
    assert [e["stage"] for e in ep["errors"]] == ["tls"], ep["errors"]
    assert "no shared cipher" in pros_nocerts.log()


def test_stream_close_reaches_prosody(run_json, pki, pros_required):
    """The transcript ends with the client's </stream:stream> inside TLS:
    Prosody must have received it (it logs "Received </stream:stream>";
    a connection dropped without it is "Client disconnected: connection
    closed"). The reference client's close shows the log line exists."""
    def closes():
        return pros_required.log().count("Received </stream:stream>")

    before = closes()
    reference_features(pros_required.port, pki.ca)
    end = time.monotonic() + 3
    while closes() == before and time.monotonic() < end:
        time.sleep(0.05)
    assert closes() == before + 1, "the reference client's close was not logged"

    before = closes()
    rc, doc, err = run_json("check", "--quick", "--starttls", "xmpp", "--ca-file", pki.ca,
                            "--xmpp-domain", XMPP_DOMAIN, *local(pros_required.port))
    ep = endpoint(doc)
    assert rc == 0 and texts(ep, "C")[-1] == "</stream:stream>"
    end = time.monotonic() + 3
    while closes() == before and time.monotonic() < end:
        time.sleep(0.05)
    assert closes() == before + 1, pros_required.log()[-1500:]
