"""`mailtls check --starttls mysql` against a real MariaDB, and against
tests/fixtures/fake_mysql.py, which records what the client sends before
TLS.

Each server gets a fresh datadir from mariadb-install-db and runs in the
foreground as the mysql user (mariadbd --no-defaults --datadir ROOT/data
--socket ROOT/mysqld.sock --port PORT --bind-address=127.0.0.1;
tests/integ/servers_misc.py), once per module, stopped at teardown. The
machine's own server (/var/lib/mysql, port 3306) is never touched.

References, independent of mailtls:
  - `openssl s_client -starttls mysql`: protocol, cipher, group, and each
    TLS version pinned
  - the server's Handshake v10 read by Python: version, CLIENT_SSL
  - Python's ssl after a hand-made SSLRequest: the server does TLS

Profiles:
  ssl      --ssl-cert/--ssl-key/--ssl-ca from the test PKI
  nossl    no TLS settings (MariaDB 10.11 then has no TLS at all)
  nohost   --skip-name-resolve: the accounts are @localhost, so 127.0.0.1
           is refused with error 1130 before any handshake
"""

import socket
import ssl
import struct
import sys
import time

import pytest

from conftest import FIXTURES, endpoint, finding_ids, local
from servers_misc import Mariadb, mariadb_available, s_client_tls, s_client_versions

sys.path.insert(0, str(FIXTURES))
import fake_mysql  # noqa: E402
from fake_mysql import FakeMysql  # noqa: E402

CLIENT_SSL = 0x0800
CLIENT_PROTOCOL_41 = 0x0200

_why = mariadb_available()
real = pytest.mark.skipif(_why is not None, reason=_why or "")


def _running(srv):
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def maria_ssl(pki):
    if _why:
        pytest.skip(_why)
    leaf = pki.leaf("good")
    yield from _running(Mariadb("ssl", leaf.cert, leaf.key, pki.ca, ssl=True))


@pytest.fixture(scope="module")
def maria_nossl():
    if _why:
        pytest.skip(_why)
    yield from _running(Mariadb("nossl", ssl=False))


@pytest.fixture(scope="module")
def maria_nohost():
    if _why:
        pytest.skip(_why)
    yield from _running(Mariadb("nohost", ssl=False, extra=["--skip-name-resolve"]))


@pytest.fixture(scope="module")
def quick(run_json, pki):
    cache = {}

    def get(port, *extra):
        key = (port, extra)
        if key not in cache:
            rc, doc, err = run_json("check", "--quick", "--starttls", "mysql", "--ca-file",
                                    pki.ca, *extra, *local(port))
            cache[key] = (rc, endpoint(doc), err)
        return cache[key]

    return get


def texts(ep, direction):
    return [t["text"] for t in ep["transcript"] if t["dir"] == direction]


def _packet(sock):
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            raise ConnectionError("closed")
        head += chunk
    n = head[0] | head[1] << 8 | head[2] << 16
    body = b""
    while len(body) < n:
        chunk = sock.recv(n - len(body))
        if not chunk:
            raise ConnectionError("closed")
        body += chunk
    return head[3], body


def reference_handshake(port, cafile=None):
    """-> {"version", "caps", "tls": (version, cipher) or None} from the
    server's Handshake v10, and TLS after an SSLRequest if it offers it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        _, body = _packet(s)
        assert body[0] == 10, body[:80]
        nul = body.index(b"\x00", 1)
        version = body[1:nul].decode()
        p = nul + 1 + 4 + 8 + 1
        caps = struct.unpack("<H", body[p:p + 2])[0]
        out = {"version": version, "caps": caps, "tls": None}
        if cafile and caps & CLIENT_SSL:
            flags = 0x1 | CLIENT_PROTOCOL_41 | CLIENT_SSL | 0x8000
            req = struct.pack("<IIB", flags, 1 << 24, 45) + b"\x00" * 23
            s.sendall(struct.pack("<I", len(req))[:3] + b"\x01" + req)
            ctx = ssl.create_default_context(cafile=str(cafile))
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                out["tls"] = (t.version(), t.cipher()[0])
        return out


# --------------------------------------------------------------------------
# real MariaDB


@real
def test_tls_equals_s_client(quick, pki, maria_ssl):
    rc, ep, err = quick(maria_ssl.port)
    ref = s_client_tls(maria_ssl.hostport, pki.ca, "mysql")
    assert ref is not None, "s_client -starttls mysql negotiated nothing with MariaDB"
    assert ep["errors"] == [], ep["errors"]
    assert rc == 0, (rc, err)
    tls = ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref.protocol, ref.cipher), ref.output
    assert tls["group"] == ref.group
    assert ref.verified and tls["verify"]["code"] == 0


@real
def test_python_reference_does_tls(pki, maria_ssl):
    """The server itself is fine: an SSLRequest from Python, then TLS."""
    ref = reference_handshake(maria_ssl.port, pki.ca)
    assert ref["caps"] & CLIENT_SSL
    assert ref["tls"] and ref["tls"][0].startswith("TLSv1.")


@real
def test_dialogue(quick, maria_ssl):
    rc, ep, _ = quick(maria_ssl.port)
    ref = reference_handshake(maria_ssl.port)
    g = ep["dialogue"]
    assert g["greeting"] == "Handshake v10, server %s" % ref["version"]
    assert "version %s" % ref["version"] in g["capabilities"]
    assert "CLIENT_SSL" in g["capabilities"]
    assert g["starttls_advertised"] and g["starttls_sent"] and g["starttls_ok"]
    assert texts(ep, "C") == ["SSLRequest"]
    assert g["pipelined_bytes"] == 0
    ids = finding_ids(ep)
    for absent in ("starttls-not-offered", "starttls-refused", "pipelined-after-starttls"):
        assert absent not in ids, ids
    # ... and the TLS session that follows
    assert ep["errors"] == [], ep["errors"]
    assert ep["tls"] is not None and "cert-trusted" in ids


@real
def test_enumeration_through_the_dialogue(run_json, pki, maria_ssl):
    rc, doc, err = run_json("check", "--starttls", "mysql", "--ca-file", pki.ca,
                            *local(maria_ssl.port), timeout=120)
    ep = endpoint(doc)
    assert ep["errors"] == [], ep["errors"]
    ref = s_client_versions(maria_ssl.hostport, pki.ca, "mysql")
    offered = {p["name"]: p["offered"] for p in ep["protocols"]}
    for version, cipher in ref.items():
        assert offered.get(version) == (cipher is not None), (version, offered, ref)
        if cipher:
            names = [c["openssl"] for c in ep["ciphers"] if c["protocol"] == version]
            assert cipher in names, (version, cipher, names)
    assert ep["stats"]["connections"] > 5


@real
def test_no_ssl_starttls_not_offered(quick, pki, maria_nossl):
    rc, ep, err = quick(maria_nossl.port)
    ref = reference_handshake(maria_nossl.port)
    assert not ref["caps"] & CLIENT_SSL
    assert s_client_tls(maria_nossl.hostport, pki.ca, "mysql", timeout=10) is None
    g = ep["dialogue"]
    assert g["greeting"] == "Handshake v10, server %s" % ref["version"]
    assert "CLIENT_SSL" not in g["capabilities"]
    assert not g["starttls_advertised"] and not g["starttls_sent"] and not g["starttls_ok"]
    assert texts(ep, "C") == []
    assert ep["tls"] is None
    assert "starttls-not-offered" in finding_ids(ep)
    assert rc == 1, (rc, err, ep["errors"])
    assert ep["errors"] == []


@real
def test_host_refused_error_packet(quick, maria_nohost):
    """An error packet (0xFF) instead of the Handshake: exit 3, the error
    quotes the server's code and text."""
    rc, ep, err = quick(maria_nohost.port)
    assert rc == 3
    msgs = [e["message"] for e in ep["errors"]]
    assert len(msgs) == 1, msgs
    assert "1130" in msgs[0] and "is not allowed to connect" in msgs[0], msgs
    assert ep["tls"] is None
    assert "starttls-not-offered" not in finding_ids(ep)


# --------------------------------------------------------------------------
# the fake: what the client sends before TLS


def _fake_scan(run_json, pki, mode):
    leaf = pki.leaf("good")
    with FakeMysql(mode, leaf.cert, leaf.key) as srv:
        rc, doc, err = run_json("check", "--quick", "--starttls", "mysql", "--ca-file",
                                pki.ca, "--read-timeout", "5", *local(srv.port))
        time.sleep(0.1)
        sessions = srv.settled()
    return rc, endpoint(doc), err, sessions


def test_fake_sslrequest_precedes_client_hello(run_json, pki):
    """After CLIENT_SSL the client must send the 32-byte SSLRequest
    (sequence 1, CLIENT_SSL set) and only then its ClientHello."""
    rc, ep, err, sessions = _fake_scan(run_json, pki, "ssl")
    assert sessions, "mailtls never connected"
    sess = sessions[0]
    assert sess["error"] is None, "%s; first bytes %s" % (sess["error"],
                                                         sess["first_bytes"].hex())
    pkt = sess["first_packet"]
    assert len(pkt) == 36 and pkt[:4] == b"\x20\x00\x00\x01", pkt.hex()
    flags = struct.unpack("<I", pkt[4:8])[0]
    assert flags & fake_mysql.CLIENT_SSL and flags & fake_mysql.CLIENT_PROTOCOL_41
    assert sess["tls"] is not None
    assert (ep["tls"]["version"], ep["tls"]["cipher_openssl"]) == sess["tls"]
    assert rc == 0, (rc, err, ep["errors"])


def test_fake_no_client_ssl(run_json, pki):
    rc, ep, err, sessions = _fake_scan(run_json, pki, "nossl")
    g = ep["dialogue"]
    assert g["greeting"] == "Handshake v10, server %s" % fake_mysql.SERVER_VERSION.decode()
    assert not g["starttls_sent"]
    assert "starttls-not-offered" in finding_ids(ep)
    assert rc == 1
