"""The JSON report: real output validates against docs/mailtls-1.schema.json,
and every documented path exists with its documented type."""

import copy
import json
import re
import socket

import jsonschema
import pytest

from conftest import REPO, endpoint

SCHEMA_PATH = REPO / "docs" / "mailtls-1.schema.json"
DOC_PATH = REPO / "docs" / "json.md"


def doc_examples():
    """The ```json blocks of docs/json.md, parsed."""
    blocks = re.findall(r"^```json\n(.*?)^```", DOC_PATH.read_text(), re.M | re.S)
    return [json.loads(b) for b in blocks]


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft202012Validator
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="module")
def outputs(pki, sserver, fake_server, run_json, tmp_path_factory):
    """name -> (rc, document) of real runs, made on first use."""
    cache = {}
    free = tmp_path_factory.mktemp("free")

    def closed_port():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        cache.setdefault("_sockets", []).append(s)  # keep it bound: refused
        return s.getsockname()[1]

    runs = {
        "good": lambda: ["--ca-file", pki.ca, "--ip", "127.0.0.1",
                         "localhost:%d" % sserver("good").port],
        "wrong-name": lambda: ["--ca-file", pki.ca, "--ip", "127.0.0.1",
                               "localhost:%d" % sserver("wrongname").port],
        "ip-literal": lambda: ["--ca-file", pki.ca, "127.0.0.1:%d" % sserver("good").port],
        "refused": lambda: ["127.0.0.1:%d" % closed_port()],
        "timeout": lambda: ["--read-timeout", "1", "--timeout", "3",
                            "127.0.0.1:%d" % fake_server("silent")],
        "garbage": lambda: ["127.0.0.1:%d" % fake_server("garbage")],
        "resolve": lambda: ["nonexistent.invalid:465"],
        "bad-target": lambda: ["localhost:70000"],
        "bad-ca-file": lambda: ["--ca-file", free / "missing.pem", "--ip", "127.0.0.1",
                                "localhost:%d" % sserver("good").port],
    }

    def get(name):
        if name not in cache:
            rc, doc, _ = run_json("check", "--implicit", *runs[name]())
            cache[name] = (rc, doc)
        return cache[name]

    yield get
    for s in cache.get("_sockets", []):
        s.close()


ALL_RUNS = ["good", "wrong-name", "ip-literal", "refused", "timeout", "garbage", "resolve",
            "bad-target", "bad-ca-file"]


@pytest.mark.parametrize("name", ALL_RUNS)
def test_output_validates(validator, outputs, name):
    rc, doc = outputs(name)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
                                 for e in errors)
    assert rc == {"good": 0, "wrong-name": 1, "ip-literal": 0, "bad-target": 2}.get(name, 3)


# ------------------------------------------------------------------ path/type table

class _Int:
    """int but not bool (json booleans load as Python bools, a subclass of int)."""


class _Num:
    """int or float, not bool."""


NULL = type(None)


def _is(value, typ):
    if typ is _Int:
        return isinstance(value, int) and not isinstance(value, bool)
    if typ is _Num:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, typ)


def check_paths(obj, spec, where):
    """spec: {dotted.path: type or tuple of types}; every path must exist."""
    for path, types in spec.items():
        cur = obj
        for part in path.split("."):
            assert isinstance(cur, dict) and part in cur, "%s.%s missing" % (where, path)
            cur = cur[part]
        types = types if isinstance(types, tuple) else (types,)
        assert any(_is(cur, t) for t in types), \
            "%s.%s is %r, want %s" % (where, path, cur, [t.__name__ for t in types])


TOP = {"schema": str, "tool": dict, "tool.name": str, "tool.version": str, "errors": list,
       "endpoints": list}
ERROR = {"stage": str, "category": str, "message": str}
ENDPOINT = {"host": str, "port": _Int, "address": str, "mode": str, "starttls": (str, NULL),
            "sni": (str, NULL), "tls": (dict, NULL), "protocols": list, "ciphers": list,
            "groups": list, "certificates": list, "findings": list, "transcript": list,
            "errors": list, "stats": dict, "stats.connections": _Int, "stats.duration_ms": _Num}
TLS = {"version": str, "cipher": str, "cipher_openssl": str, "cipher_code": str, "group": str,
       "handshake_ms": _Num, "verify": dict, "verify.code": _Int, "verify.message": str,
       "verify.hostname_checked": bool, "verify.errors": list}
VERIFY_ERROR = {"code": _Int, "depth": _Int, "message": str}
PROTOCOL = {"name": str, "offered": (bool, NULL)}
CIPHER = {"protocol": str, "code": str, "iana": str, "openssl": str, "kx": str, "bits": _Int,
          "order": _Int}
CERT = {"depth": _Int, "subject": str, "issuer": str, "serial": str, "not_before": str,
        "not_after": str, "key": str, "sig_alg": str, "sha256": str, "san": list}
FINDING = {"id": str, "severity": str, "title": str, "detail": (str, NULL), "fix": (str, NULL),
           "cve": list}
TLINE = {"t_ms": _Num, "dir": str, "text": str}


def check_items(ep, key, spec, nonempty):
    items = ep[key]
    if nonempty:
        assert items, "endpoints.0.%s is empty" % key
    for i, item in enumerate(items):
        check_paths(item, spec, "endpoints.0.%s.%d" % (key, i))


def test_paths_and_types_of_a_good_scan(outputs):
    _, doc = outputs("good")
    check_paths(doc, TOP, "$")
    ep = endpoint(doc)
    check_paths(ep, ENDPOINT, "endpoints.0")
    assert ep["tls"] is not None
    check_paths(ep["tls"], TLS, "endpoints.0.tls")
    check_items(ep, "protocols", PROTOCOL, True)
    check_items(ep, "ciphers", CIPHER, True)
    check_items(ep, "certificates", CERT, True)
    check_items(ep, "findings", FINDING, True)
    check_items(ep, "transcript", TLINE, False)
    assert ep["groups"] and all(isinstance(g, str) for g in ep["groups"])
    assert all(isinstance(s, str) for c in ep["certificates"] for s in c["san"])
    assert all(isinstance(s, str) for f in ep["findings"] for s in f["cve"])


def test_paths_of_verify_errors(outputs):
    _, doc = outputs("wrong-name")
    errs = endpoint(doc)["tls"]["verify"]["errors"]
    assert errs
    for i, e in enumerate(errs):
        check_paths(e, VERIFY_ERROR, "tls.verify.errors.%d" % i)


@pytest.mark.parametrize("name", ["refused", "timeout", "garbage"])
def test_paths_of_endpoint_errors(outputs, name):
    _, doc = outputs(name)
    check_paths(doc, TOP, "$")
    ep = endpoint(doc)
    check_paths(ep, ENDPOINT, "endpoints.0")
    assert ep["tls"] is None
    check_items(ep, "errors", ERROR, True)


@pytest.mark.parametrize("name", ["resolve", "bad-target", "bad-ca-file"])
def test_paths_of_run_errors(outputs, name):
    _, doc = outputs(name)
    check_paths(doc, TOP, "$")
    assert doc["errors"]
    for i, e in enumerate(doc["errors"]):
        check_paths(e, ERROR, "errors.%d" % i)


def test_tool_block(outputs):
    _, doc = outputs("good")
    assert doc["schema"] == "mailtls/1"
    assert doc["tool"]["name"] == "mailtls"
    assert doc["tool"]["version"] == _makefile_version()


def _makefile_version():
    for line in (REPO / "Makefile").read_text().splitlines():
        if line.startswith("VERSION") and ":=" in line:
            return line.split(":=", 1)[1].strip()
    pytest.skip("no VERSION in the Makefile")


# ------------------------------------------------------------------ docs and schema agree

def test_doc_examples_validate(validator):
    examples = doc_examples()
    assert len(examples) >= 2
    for ex in examples:
        assert validator.is_valid(ex), [e.message for e in validator.iter_errors(ex)]


def test_doc_example_has_every_documented_path():
    ex = doc_examples()[0]
    check_paths(ex, TOP, "$")
    ep = endpoint(ex)
    check_paths(ep, ENDPOINT, "endpoints.0")
    check_paths(ep["tls"], TLS, "endpoints.0.tls")
    for key, spec in (("protocols", PROTOCOL), ("ciphers", CIPHER), ("certificates", CERT),
                      ("findings", FINDING)):
        check_items(ep, key, spec, True)
    for e in ep["tls"]["verify"]["errors"]:
        check_paths(e, VERIFY_ERROR, "verify.errors")


# ------------------------------------------------------------------ the schema has teeth

def _set(doc, path, value):
    cur = doc
    parts = path.split(".")
    for p in parts[:-1]:
        cur = cur[int(p)] if isinstance(cur, list) else cur[p]
    last = parts[-1]
    if value is _DELETE:
        del cur[last]
    elif isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value


_DELETE = object()

BAD_MUTATIONS = [
    ("schema", "mailtls/2"),
    ("endpoints", _DELETE),
    ("endpoints.0.port", 0),
    ("endpoints.0.port", "465"),
    ("endpoints.0.mode", "tls"),
    ("endpoints.0.tls.cipher_code", "0xc030"),
    ("endpoints.0.tls.cipher_code", "C030"),
    ("endpoints.0.tls.cipher_code", "0x00C030C"),
    ("endpoints.0.tls.version", "TLS1.3"),
    ("endpoints.0.tls.verify.hostname_checked", "yes"),
    ("endpoints.0.findings.0.severity", "severe"),
    ("endpoints.0.findings.0.id", "Cert Trusted"),
    ("endpoints.0.certificates.0.sha256", "ab:cd"),
    ("endpoints.0.certificates.0.not_after", "Dec 29 08:39:20 2026 GMT"),
    ("endpoints.0.stats", _DELETE),
]


@pytest.mark.parametrize("path,value", BAD_MUTATIONS,
                         ids=["%s=%r" % (p, "DELETE" if v is _DELETE else v)
                              for p, v in BAD_MUTATIONS])
def test_schema_rejects(validator, path, value):
    doc = copy.deepcopy(doc_examples()[0])
    assert validator.is_valid(doc)
    _set(doc, path, value)
    assert not validator.is_valid(doc)


def test_schema_allows_additive_fields(validator):
    doc = copy.deepcopy(doc_examples()[0])
    doc["new_top_level"] = {"anything": 1}
    ep = doc["endpoints"][0]
    ep["new_field"] = [1, 2]
    ep["tls"]["new_field"] = None
    ep["findings"][0]["evidence"] = "added later"
    ep["protocols"].append({"name": "SSLv2", "offered": None})
    ep["ciphers"].append({"protocol": "SSLv2", "code": "0x0700C0", "iana": None,
                          "openssl": "DES-CBC3-MD5", "kx": "RSA", "bits": 168, "order": 0})
    assert validator.is_valid(doc), [e.message for e in validator.iter_errors(doc)]
