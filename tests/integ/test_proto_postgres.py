"""`mailtls check --starttls postgres` against a real PostgreSQL, and
against tests/fixtures/fake_postgres.py for bytes pipelined after 'S'.

Each cluster is initdb'd into a temporary directory as the postgres user
and runs in the foreground (postgres -D ... -p PORT -k ROOT/sock -c
listen_addresses=127.0.0.1; tests/integ/servers_misc.py), once per module,
stopped at teardown. The machine's own cluster (/var/lib/postgresql, port
5432) is never touched.

References, independent of mailtls:
  - `openssl s_client -starttls postgres`: protocol, cipher, group, and
    each TLS version pinned
  - a raw SSLRequest from Python: the one byte the server answers

Profiles:
  ssl     ssl = on, ssl_cert_file/ssl_key_file from the test PKI
  nossl   ssl = off: the server answers 'N'
  fake    pipeline: 'S' and 15 more bytes in one write (an injected
          AuthenticationOk + ReadyForQuery, the CVE-2021-23222 class);
          normal: 'S' alone
"""

import socket
import struct
import sys

import pytest

from conftest import FIXTURES, endpoint, finding_ids, local
from servers_misc import Postgres, postgres_available, s_client_tls, s_client_versions

sys.path.insert(0, str(FIXTURES))
import fake_postgres  # noqa: E402
from fake_postgres import FakePostgres  # noqa: E402

_why = postgres_available()
real = pytest.mark.skipif(_why is not None, reason=_why or "")


def _running(srv):
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def pg_ssl(pki):
    if _why:
        pytest.skip(_why)
    leaf = pki.leaf("good")
    yield from _running(Postgres("ssl", leaf.cert, leaf.key, pki.ca, ssl=True))


@pytest.fixture(scope="module")
def pg_nossl():
    if _why:
        pytest.skip(_why)
    yield from _running(Postgres("nossl", ssl=False))


@pytest.fixture(scope="module")
def quick(run_json, pki):
    cache = {}

    def get(port, *extra):
        key = (port, extra)
        if key not in cache:
            rc, doc, err = run_json("check", "--quick", "--starttls", "postgres", "--ca-file",
                                    pki.ca, *extra, *local(port))
            cache[key] = (rc, endpoint(doc), err)
        return cache[key]

    return get


def texts(ep, direction):
    return [t["text"] for t in ep["transcript"] if t["dir"] == direction]


def ssl_answer(port):
    """The byte a server answers to a raw SSLRequest."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack("!II", 8, 80877103))
        return s.recv(1)


# --------------------------------------------------------------------------
# real PostgreSQL


@real
def test_tls_equals_s_client(quick, pki, pg_ssl):
    rc, ep, err = quick(pg_ssl.port)
    ref = s_client_tls(pg_ssl.hostport, pki.ca, "postgres")
    assert ref is not None, "s_client -starttls postgres negotiated nothing"
    assert rc == 0, (rc, err, ep["errors"])
    assert ep["errors"] == []
    tls = ep["tls"]
    assert (tls["version"], tls["cipher_openssl"]) == (ref.protocol, ref.cipher), ref.output
    assert tls["group"] == ref.group
    assert ref.verified and tls["verify"]["code"] == 0


@real
def test_dialogue(quick, pg_ssl):
    rc, ep, _ = quick(pg_ssl.port)
    g = ep["dialogue"]
    assert ssl_answer(pg_ssl.port) == b"S"
    assert g["starttls_sent"] and g["starttls_advertised"] and g["starttls_ok"]
    assert g["starttls_reply"] == "S"
    assert texts(ep, "C") == ["SSLRequest"]
    assert texts(ep, "S") == ["S"]
    # The real server sends nothing after its 'S'.
    assert g["pipelined_bytes"] == 0
    ids = finding_ids(ep)
    for absent in ("pipelined-after-starttls", "starttls-not-offered", "starttls-refused",
                   "port-mode-mismatch"):
        assert absent not in ids, ids
    assert "cert-trusted" in ids


@real
def test_enumeration_through_the_dialogue(run_json, pki, pg_ssl):
    rc, doc, err = run_json("check", "--starttls", "postgres", "--ca-file", pki.ca,
                            *local(pg_ssl.port), timeout=120)
    ep = endpoint(doc)
    assert ep["errors"] == [], ep["errors"]
    ref = s_client_versions(pg_ssl.hostport, pki.ca, "postgres")
    offered = {p["name"]: p["offered"] for p in ep["protocols"]}
    for version, cipher in ref.items():
        assert offered.get(version) == (cipher is not None), (version, offered, ref)
        if cipher:
            names = [c["openssl"] for c in ep["ciphers"] if c["protocol"] == version]
            assert cipher in names, (version, cipher, names)
    # ssl_min_protocol_version defaults to TLSv1.2
    assert not offered.get("TLSv1.0") and not offered.get("TLSv1.1")
    assert ep["stats"]["connections"] > 5
    assert "pipelined-after-starttls" not in finding_ids(ep)


@real
def test_ssl_off_starttls_not_offered(quick, pki, pg_nossl):
    rc, ep, err = quick(pg_nossl.port)
    assert ssl_answer(pg_nossl.port) == b"N"
    assert s_client_tls(pg_nossl.hostport, pki.ca, "postgres", timeout=10) is None
    g = ep["dialogue"]
    assert g["starttls_sent"] and not g["starttls_ok"] and not g["starttls_advertised"]
    assert g["starttls_reply"] == "N"
    assert ep["tls"] is None
    assert "starttls-not-offered" in finding_ids(ep)
    assert rc == 1, (rc, err, ep["errors"])
    assert ep["errors"] == []


# --------------------------------------------------------------------------
# the fake: bytes after 'S'


def _fake_scan(run_json, pki, mode, *extra):
    leaf = pki.leaf("good")
    with FakePostgres(mode, leaf.cert, leaf.key) as srv:
        rc, doc, err = run_json("check", "--quick", "--starttls", "postgres", "--ca-file",
                                pki.ca, *extra, *local(srv.port))
        sessions = srv.settled()
    return rc, endpoint(doc), err, sessions


def test_fake_pipelined_after_s(run_json, pki):
    rc, ep, err, sessions = _fake_scan(run_json, pki, "pipeline", "--fail-on", "medium")
    g = ep["dialogue"]
    n = len(fake_postgres.EXTRA)
    assert g["starttls_ok"] and g["starttls_reply"] == "S"
    assert g["pipelined_bytes"] == n
    f = [x for x in ep["findings"] if x["id"] == "pipelined-after-starttls"]
    assert len(f) == 1 and f[0]["severity"] == "medium"
    assert ("%d byte" % n) in f[0]["detail"]
    # The bytes are shown in the transcript, after the 'S' ...
    s = texts(ep, "S")
    assert s[0] == "S" and len(s) == 2 and s[1].startswith("R") and s[1].endswith("I"), s
    # ... and never fed to TLS: the handshake still succeeds.
    assert ep["errors"] == [], ep["errors"]
    assert sessions and sessions[0]["tls"] is not None, sessions
    assert (ep["tls"]["version"], ep["tls"]["cipher_openssl"]) == sessions[0]["tls"]
    assert rc == 1  # --fail-on medium


def test_fake_nothing_after_s(run_json, pki):
    rc, ep, err, sessions = _fake_scan(run_json, pki, "normal")
    assert ep["dialogue"]["pipelined_bytes"] == 0
    assert "pipelined-after-starttls" not in finding_ids(ep)
    assert sessions and sessions[0]["tls"] is not None
    assert rc == 0, (rc, err, ep["errors"])


def test_fake_refuse(run_json, pki):
    rc, ep, err, sessions = _fake_scan(run_json, pki, "refuse")
    assert ep["dialogue"]["starttls_reply"] == "N"
    assert "starttls-not-offered" in finding_ids(ep)
    assert rc == 1
