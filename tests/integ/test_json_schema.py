"""The JSON report: real output validates against docs/mailtls-1.schema.json,
and every documented path exists with its documented type.

Real runs: implicit TLS against `openssl s_server` (full enumeration and
--quick), STARTTLS SMTP against tests/fixtures/fake_smtp.py, the failures
(refused, timeout, garbage, resolve, bad target, bad CA file), and the same
as JSON lines (--jsonl), each line checked against $defs/jsonl_line. The
documented field tables of docs/json.md, the schema's required lists and the
keys the binary really emits must be the same sets."""

import copy
import json
import re
import socket
import sys

import jsonschema
import pytest

from conftest import FIXTURES, REPO, endpoint, local

sys.path.insert(0, str(FIXTURES))
import fake_smtp  # noqa: E402

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
def line_validator():
    """Validates one line of --jsonl: the schema's $defs/jsonl_line."""
    schema = json.loads(SCHEMA_PATH.read_text())
    schema = {"$schema": schema["$schema"], "$ref": "#/$defs/jsonl_line", "$defs": schema["$defs"]}
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def smtp_server(pki):
    """A STARTTLS SMTP fake with the test PKI's certificate for localhost."""
    leaf = pki.leaf("good")
    srv = fake_smtp.FakeSmtp("normal", leaf.cert, leaf.key)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def outputs(pki, sserver, fake_server, smtp_server, run_json, tmp_path_factory):
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
        "quick": lambda: ["--quick", "--ca-file", pki.ca, "--ip", "127.0.0.1",
                          "localhost:%d" % sserver("good").port],
    }
    # Not implicit TLS: the whole argument list.
    plain_runs = {
        "starttls": lambda: ["--starttls", "smtp", "--ca-file", pki.ca,
                             *local(smtp_server.port)],
        "starttls-quick": lambda: ["--starttls", "smtp", "--quick", "--ca-file", pki.ca,
                                   *local(smtp_server.port)],
    }

    argvs = {}

    def argv_of(name):
        """The arguments after `check` (made once: the same ports every time)."""
        if name not in argvs:
            argvs[name] = (plain_runs[name]() if name in plain_runs
                           else ["--implicit"] + runs[name]())
        return argvs[name]

    def get(name):
        if name not in cache:
            rc, doc, _ = run_json("check", *argv_of(name))
            cache[name] = (rc, doc)
        return cache[name]

    get.argv = argv_of

    yield get
    for s in cache.get("_sockets", []):
        s.close()


ALL_RUNS = ["good", "wrong-name", "ip-literal", "refused", "timeout", "garbage", "resolve",
            "bad-target", "bad-ca-file", "quick", "starttls", "starttls-quick"]


@pytest.mark.parametrize("name", ALL_RUNS)
def test_output_validates(validator, outputs, name):
    rc, doc = outputs(name)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
                                 for e in errors)
    assert rc == {"good": 0, "wrong-name": 1, "ip-literal": 0, "bad-target": 2, "quick": 0,
                  "starttls": 0, "starttls-quick": 0}.get(name, 3)


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
            "sni": (str, NULL), "dialogue": (dict, NULL), "clear_text_answer": (str, NULL),
            "tls": (dict, NULL), "protocols": list, "ciphers": list, "server_order": dict,
            "groups": list, "dh": (dict, NULL), "certificates": list, "findings": list,
            "transcript": list, "errors": list, "stats": dict, "stats.connections": _Int,
            "stats.duration_ms": _Num, "resumption": dict, "resumption.session_id": (bool, NULL),
            "resumption.ticket": (bool, NULL), "client_renegotiation": (bool, NULL),
            "sigalgs": list, "server_defaults": (dict, NULL), "grade": (dict, NULL)}
TLS = {"version": str, "cipher": str, "cipher_openssl": str, "cipher_code": str, "group": str,
       "handshake_ms": _Num, "verify": dict, "verify.code": _Int, "verify.message": str,
       "verify.hostname_checked": bool, "verify.name": (str, NULL), "verify.errors": list,
       "ocsp": dict, "ocsp.stapled": bool, "ocsp.status": (str, NULL),
       "ocsp.cert_status": (str, NULL), "ocsp.age_s": (_Int, NULL),
       "ocsp.expires_s": (_Int, NULL), "secure_renegotiation": (bool, NULL)}
VERIFY_ERROR = {"code": _Int, "depth": _Int, "message": str}
PROTOCOL = {"name": str, "offered": (bool, NULL), "reason": (str, NULL)}
CIPHER = {"protocol": str, "code": str, "iana": str, "openssl": str, "kx": str, "auth": str,
          "enc": str, "bits": _Int, "order": _Int}
CERT = {"depth": _Int, "chain": str, "subject": str, "issuer": str, "serial": str,
        "not_before": str, "not_after": str, "key": str, "key_type": str, "key_bits": _Int,
        "sig_alg": str, "sha256": str, "spki_sha256": str, "san": list, "days_left": _Int,
        "ocsp_uris": list, "ca_issuers": list, "crl_uris": list, "must_staple": bool,
        "sct_count": _Int, "self_signed": bool, "pem": str}
DIALOGUE = {"greeting_code": (_Int, NULL), "greeting": (str, NULL), "greeting_ms": _Num,
            "hello_code": (_Int, NULL), "capabilities": list, "capabilities_tls": (list, NULL),
            "starttls_advertised": bool, "starttls_masked": (str, NULL), "starttls_sent": bool,
            "starttls_ok": bool, "starttls_code": (_Int, NULL), "starttls_reply": (str, NULL),
            "auth_clear": (str, NULL), "auth_tls": bool, "preauth": bool,
            "pipelined_bytes": _Int, "throttled": _Int, "silent": bool,
            "implicit_answered": bool}
DH = {"bits": _Int, "common_prime": (str, NULL)}
SERVER_DEFAULTS = {"extensions": list, "session_id": (bool, NULL), "compression": (_Int, NULL),
                   "clock": (bool, NULL), "clock_skew_s": (_Int, NULL),
                   "grease_tolerant": (bool, NULL), "long_hello_tolerant": (bool, NULL),
                   "ticket_lifetime_s": (_Int, NULL)}
GRADE = {"letter": str, "score": _Int, "caps": list, "authentication": str}
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
    # implicit TLS, fully enumerated and graded
    assert ep["dialogue"] is None and ep["clear_text_answer"] is None
    check_paths(ep["dh"], DH, "endpoints.0.dh")
    check_paths(ep["server_defaults"], SERVER_DEFAULTS, "endpoints.0.server_defaults")
    check_paths(ep["grade"], GRADE, "endpoints.0.grade")
    assert ep["sigalgs"] and all(isinstance(s, str) for s in ep["sigalgs"])
    assert set(ep["server_order"]) == {p["name"] for p in ep["protocols"] if p["offered"]}
    assert [p["name"] for p in ep["protocols"]] == ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1",
                                                    "TLSv1.2", "TLSv1.3"]


def test_paths_and_types_of_a_starttls_scan(outputs):
    rc, doc = outputs("starttls")
    ep = endpoint(doc)
    check_paths(ep, ENDPOINT, "endpoints.0")
    assert ep["mode"] == "starttls" and ep["starttls"] == "smtp"
    check_paths(ep["dialogue"], DIALOGUE, "endpoints.0.dialogue")
    check_paths(ep["tls"], TLS, "endpoints.0.tls")
    check_paths(ep["grade"], GRADE, "endpoints.0.grade")
    check_items(ep, "transcript", TLINE, True)
    d = ep["dialogue"]
    # fake_smtp "normal": exactly these facts
    assert (d["greeting_code"], d["greeting"]) == (220, fake_smtp.GREETING.decode()[4:])
    assert d["hello_code"] == 250
    assert d["capabilities"] == [c.decode() for c in fake_smtp.caps_for("normal", False)]
    assert d["capabilities_tls"] == [c.decode() for c in fake_smtp.caps_for("normal", True)]
    assert (d["starttls_advertised"], d["starttls_sent"], d["starttls_ok"]) == (True, True, True)
    assert (d["starttls_code"], d["starttls_reply"]) == (220, fake_smtp.STARTTLS_OK.decode()[4:])
    assert (d["pipelined_bytes"], d["throttled"], d["silent"]) == (0, 0, False)
    assert ep["clear_text_answer"] is None


@pytest.mark.parametrize("name", ["quick", "starttls-quick"])
def test_quick_holds_the_negotiated_facts_only(outputs, name):
    """docs/json.md: with --quick the enumeration fields hold what the one
    handshake negotiated, and the rest is null or empty."""
    _, doc = outputs(name)
    ep = endpoint(doc)
    check_paths(ep, ENDPOINT, "endpoints.0")
    t = ep["tls"]
    assert ep["stats"]["connections"] == 1
    assert ep["protocols"] == [{"name": t["version"], "offered": True, "reason": None}]
    assert [(c["code"], c["order"]) for c in ep["ciphers"]] == [(t["cipher_code"], 0)]
    assert ep["groups"] == [t["group"]]
    assert ep["server_order"] == {t["version"]: None}
    assert (ep["dh"], ep["server_defaults"], ep["grade"]) == (None, None, None)
    assert ep["sigalgs"] == []
    assert ep["resumption"] == {"session_id": None, "ticket": None}
    assert ep["client_renegotiation"] is None


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
    check_paths(ep["dialogue"], DIALOGUE, "endpoints.0.dialogue")
    check_paths(ep["server_defaults"], SERVER_DEFAULTS, "endpoints.0.server_defaults")
    check_paths(ep["grade"], GRADE, "endpoints.0.grade")
    for key, spec in (("protocols", PROTOCOL), ("ciphers", CIPHER), ("certificates", CERT),
                      ("findings", FINDING), ("transcript", TLINE)):
        check_items(ep, key, spec, True)
    for e in ep["tls"]["verify"]["errors"]:
        check_paths(e, VERIFY_ERROR, "verify.errors")


# ------------------------------------------------------------------ doc tables, schema, output agree

# docs/json.md section heading -> (schema $defs name, how to reach such objects in a document)
SECTIONS = {
    "error": ("error", lambda d: d["errors"] + [e for ep in d["endpoints"] for e in ep["errors"]]),
    "endpoint": ("endpoint", lambda d: d["endpoints"]),
    "dialogue": ("dialogue", lambda d: [ep["dialogue"] for ep in d["endpoints"] if ep["dialogue"]]),
    "tls": ("tls", lambda d: [ep["tls"] for ep in d["endpoints"] if ep["tls"]]),
    "tls.verify": (None, lambda d: [ep["tls"]["verify"] for ep in d["endpoints"] if ep["tls"]]),
    "tls.ocsp": ("ocsp", lambda d: [ep["tls"]["ocsp"] for ep in d["endpoints"] if ep["tls"]]),
    "protocol": ("protocol", lambda d: [p for ep in d["endpoints"] for p in ep["protocols"]]),
    "cipher": ("cipher", lambda d: [c for ep in d["endpoints"] for c in ep["ciphers"]]),
    "certificate": ("certificate", lambda d: [c for ep in d["endpoints"]
                                              for c in ep["certificates"]]),
    "server defaults": ("server_defaults", lambda d: [ep["server_defaults"] for ep in d["endpoints"]
                                                      if ep["server_defaults"]]),
    "grade": ("grade", lambda d: [ep["grade"] for ep in d["endpoints"] if ep["grade"]]),
    "finding": ("finding", lambda d: [f for ep in d["endpoints"] for f in ep["findings"]]),
    "transcript line": ("transcript_line", lambda d: [t for ep in d["endpoints"]
                                                      for t in ep["transcript"]]),
}


def doc_fields(section):
    """The field names in the first column of a section's table in docs/json.md."""
    text = DOC_PATH.read_text()
    m = re.search(r"^#{2,3} %s\n(.*?)(?=^#{2,3} )" % re.escape(section), text, re.M | re.S)
    assert m, "docs/json.md has no section %r" % section
    fields = re.findall(r"^\| `([a-z_0-9]+)` \|", m.group(1), re.M)
    assert fields, "section %r has no field table" % section
    return fields


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_doc_tables_match_schema(section):
    name, _ = SECTIONS[section]
    schema = json.loads(SCHEMA_PATH.read_text())
    if name is None:  # tls.verify is inline in tls
        sub = schema["$defs"]["tls"]["properties"]["verify"]
    else:
        sub = schema["$defs"][name]
    assert sorted(doc_fields(section)) == sorted(sub["required"])
    assert sorted(sub["properties"]) == sorted(sub["required"])


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_emitted_field_is_documented(outputs, section):
    """What the binary writes is what docs/json.md lists: no field missing
    (the schema checks that) and none undocumented."""
    _, reach = SECTIONS[section]
    documented = set(doc_fields(section))
    seen = 0
    for name in ALL_RUNS:
        for obj in reach(outputs(name)[1]):
            extra = set(obj) - documented
            assert not extra, "%s (%s run): undocumented fields %s" % (section, name, sorted(extra))
            seen += 1
    assert seen, "no %s object in any run" % section


@pytest.mark.parametrize("name", ALL_RUNS)
def test_jsonl_lines_validate(line_validator, outputs, run_mailtls, name):
    """--jsonl: one line per endpoint, each {schema, tool, errors, endpoint}
    with the same endpoint as the document (timings aside)."""
    rc_doc, doc = outputs(name)
    rc, out, err = run_mailtls("check", "--jsonl", *outputs.argv(name))
    assert rc == rc_doc
    lines = out.splitlines()
    assert out.endswith("\n") and lines
    parsed = [json.loads(l) for l in lines]
    for line in parsed:
        errors = list(line_validator.iter_errors(line))
        assert not errors, [e.message for e in errors]
        assert list(line) == ["schema", "tool", "errors", "endpoint"]
        assert line["errors"] == doc["errors"]
    if doc["endpoints"]:
        assert len(parsed) == len(doc["endpoints"])
        for line, ep in zip(parsed, doc["endpoints"]):
            assert _stable(line["endpoint"]) == _stable(ep)
    else:
        assert [l["endpoint"] for l in parsed] == [None]


def _stable(obj):
    """obj without what differs from one run to the next: timings, and the
    days left (a run in the second the certificate was made sees one more)."""
    if isinstance(obj, dict):
        return {k: _stable(v) for k, v in obj.items()
                if not (k.endswith("_ms") or k in ("age_s", "stats", "days_left"))}
    if isinstance(obj, list):
        return [_stable(v) for v in obj]
    return obj


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
    # the fields added with the enumeration, the dialogue and the grade
    ("endpoints.0.dialogue", _DELETE),
    ("endpoints.0.dialogue.greeting_code", "220"),
    ("endpoints.0.dialogue.starttls_ok", 1),
    ("endpoints.0.dialogue.pipelined_bytes", -1),
    ("endpoints.0.dialogue.capabilities", "STARTTLS"),
    ("endpoints.0.clear_text_answer", "250 hello"),  # only in implicit mode
    ("endpoints.0.tls.ocsp", _DELETE),
    ("endpoints.0.tls.ocsp.stapled", None),
    ("endpoints.0.tls.secure_renegotiation", "yes"),
    ("endpoints.0.tls.verify.name", _DELETE),
    ("endpoints.0.ciphers.0.auth", _DELETE),
    ("endpoints.0.ciphers.0.enc", 5),
    ("endpoints.0.server_order", {"TLS1.2": True}),
    ("endpoints.0.server_order", {"TLSv1.2": "yes"}),
    ("endpoints.0.dh", {"bits": 0, "common_prime": None}),
    ("endpoints.0.dh", {"bits": 2048}),
    ("endpoints.0.certificates.0.chain", _DELETE),
    ("endpoints.0.certificates.0.spki_sha256", "58B4A004AA63C897486731A139A176ED9FE409F27D631CDDEC0812B40BD4FDB8"),
    ("endpoints.0.certificates.0.key_bits", "2048"),
    ("endpoints.0.certificates.0.days_left", 1.5),
    ("endpoints.0.certificates.0.must_staple", None),
    ("endpoints.0.certificates.0.ocsp_uris", None),
    ("endpoints.0.certificates.0.pem", "MIIC..."),
    ("endpoints.0.resumption", {"session_id": True}),
    ("endpoints.0.client_renegotiation", "no"),
    ("endpoints.0.sigalgs", None),
    ("endpoints.0.server_defaults.compression", -1),
    ("endpoints.0.server_defaults.extensions", _DELETE),
    ("endpoints.0.grade", _DELETE),
    ("endpoints.0.grade.letter", "A-"),
    ("endpoints.0.grade.score", 101),
    ("endpoints.0.grade.caps", "none"),
    ("endpoints.0.grade.authentication", "maybe"),
    ("endpoints.0.tls", None),  # not graded without a handshake: grade must be null
]


@pytest.mark.parametrize("path,value", BAD_MUTATIONS,
                         ids=["%s=%r" % (p, "DELETE" if v is _DELETE else v)
                              for p, v in BAD_MUTATIONS])
def test_schema_rejects(validator, path, value):
    doc = copy.deepcopy(doc_examples()[0])
    assert validator.is_valid(doc)
    _set(doc, path, value)
    assert not validator.is_valid(doc)


def test_schema_rejects_a_plus_with_caps(validator):
    doc = copy.deepcopy(doc_examples()[0])
    doc["endpoints"][0]["grade"].update(letter="A+", caps=["TLS 1.0 or 1.1 is offered: at most B"])
    assert not validator.is_valid(doc)


def test_schema_rejects_dialogue_in_implicit_mode(validator):
    doc = copy.deepcopy(doc_examples()[0])
    doc["endpoints"][0].update(mode="implicit", starttls=None)
    assert not validator.is_valid(doc)
    doc["endpoints"][0]["dialogue"] = None
    assert validator.is_valid(doc)


def test_schema_rejects_bad_jsonl_lines(line_validator):
    ep = copy.deepcopy(endpoint(doc_examples()[0]))
    good = {"schema": "mailtls/1", "tool": {"name": "mailtls", "version": "0.1.0"},
            "errors": [], "endpoint": ep}
    assert line_validator.is_valid(good)
    assert line_validator.is_valid(dict(good, endpoint=None))
    for bad in (dict(good, schema="mailtls/2"), {k: v for k, v in good.items() if k != "endpoint"},
                dict(good, endpoint=[ep]), dict(good, errors=None)):
        assert not line_validator.is_valid(bad)


def test_schema_allows_additive_fields(validator):
    doc = copy.deepcopy(doc_examples()[0])
    doc["new_top_level"] = {"anything": 1}
    ep = doc["endpoints"][0]
    ep["new_field"] = [1, 2]
    ep["tls"]["new_field"] = None
    ep["findings"][0]["evidence"] = "added later"
    ep["protocols"].append({"name": "SSLv2", "offered": None, "reason": None})
    ep["ciphers"].append({"protocol": "SSLv2", "code": "0x0700C0", "iana": None,
                          "openssl": "DES-CBC3-MD5", "kx": "RSA", "auth": "RSA", "enc": "3DES",
                          "bits": 168, "order": 0})
    ep["dialogue"]["new_fact"] = True
    ep["grade"]["explanation"] = "added later"
    ep["server_defaults"]["new_probe"] = None
    ep["server_order"]["TLSv1.0"] = None
    assert validator.is_valid(doc), [e.message for e in validator.iter_errors(doc)]
