"""Layer edges, read from the sources: every #include under src/ must follow
the layer table in docs/design.md ("Layers", "Include rules"). Needs no
server and no binary: it reads files.

A rule that the code breaks today and cannot be fixed at once is listed in
EXCEPTIONS with its reason; an exception that no longer matches anything
fails too, so the list only shrinks."""

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)

# dir -> the project dirs its files may include (its own is always allowed).
# Dependencies point down only; this is docs/design.md's table.
MAY_USE = {
    "core": set(),
    # tls/wire.h and tls/verify.h only (see MODEL_TLS_HEADERS): the wire
    # facts sit below the model.
    "model": {"core", "tls"},
    "net": {"core"},
    "dns": {"core", "net"},
    "tls": {"core", "net"},
    "proto": {"core", "net", "model"},
    "scan": {"core", "net", "dns", "tls", "proto", "model"},
    "domain": {"core", "net", "dns", "tls", "scan", "model"},
    "checks": {"core", "tls", "proto", "domain", "model"},
    "report": {"core", "model"},
    "serve": {"core", "net", "tls", "proto", "model"},
    "cli": {"core", "model", "net", "dns", "tls", "proto", "scan", "domain",
            "checks", "report", "serve"},
}

# The tls/ headers the model may include: wire facts, no OpenSSL, no model.
MODEL_TLS_HEADERS = {"tls/wire.h", "tls/verify.h"}

# The tls/ headers checks/ may include: tables and enums without OpenSSL.
CHECKS_TLS_HEADERS = {"tls/registry.h", "tls/wire.h", "tls/verify.h"}

# Third-party headers: prefix -> the dirs that may include them directly.
LIBS = {
    "openssl/": {"tls", "net", "scan"},
    "unbound.h": {"dns"},
    "curl/": {"net"},
    "event2/": {"net", "dns", "scan", "domain", "serve", "cli"},
    "jansson.h": {"report", "serve", "model", "cli"},
}

# Dirs that must not reach an OpenSSL header even through project headers.
NO_OPENSSL_AT_ALL = {"core", "model", "proto", "checks", "report", "domain", "dns",
                     "serve"}

# (file, included) -> why it is still there. Keep it short; fix, then delete.
EXCEPTIONS = {
    # none today; e.g.
    # ("tls/ossl.h", "model/result.h"): "ossl_sess_describe() fills struct endpoint",
}


def sources():
    for p in sorted(SRC.rglob("*.[ch]")):
        yield p.relative_to(SRC).as_posix()


def includes(rel):
    text = (SRC / rel).read_text(errors="replace")
    return [(kind, name) for kind, name in INCLUDE_RE.findall(text)]


def project_includes(rel):
    """The project headers rel includes, as paths relative to src/."""
    out = []
    for kind, name in includes(rel):
        if kind == '"':
            if "/" not in name:  # "buf.h" inside core/
                name = rel.split("/")[0] + "/" + name
            out.append(name)
    return out


def edge_problem(rel, inc):
    src_dir, dst_dir = rel.split("/")[0], inc.split("/")[0]
    if src_dir == dst_dir:
        return None
    if src_dir not in MAY_USE:
        return f"{src_dir}/ is not in the layer table (tests/integ/test_layers.py, docs/design.md)"
    if dst_dir not in MAY_USE[src_dir]:
        return f"{src_dir}/ may not include {dst_dir}/ (layers point down only)"
    if src_dir == "model" and dst_dir == "tls" and inc not in MODEL_TLS_HEADERS:
        return f"model/ may include only {sorted(MODEL_TLS_HEADERS)} from tls/"
    if src_dir == "checks" and dst_dir == "tls" and inc not in CHECKS_TLS_HEADERS:
        return f"checks/ may include only {sorted(CHECKS_TLS_HEADERS)} from tls/"
    return None


def test_layer_table_covers_every_dir():
    dirs = {p.name for p in SRC.iterdir() if p.is_dir()}
    assert dirs <= set(MAY_USE), f"dirs missing from the layer table: {sorted(dirs - set(MAY_USE))}"


def test_project_includes_point_down():
    bad, used = [], set()
    for rel in sources():
        for inc in project_includes(rel):
            why = edge_problem(rel, inc)
            if why is None:
                continue
            if (rel, inc) in EXCEPTIONS:
                used.add((rel, inc))
                continue
            bad.append(f"{rel} includes {inc}: {why}")
    stale = set(EXCEPTIONS) - used
    assert not bad, "forbidden include edges:\n  " + "\n  ".join(bad)
    assert not stale, f"exceptions that no longer happen (delete them): {sorted(stale)}"


def test_every_project_include_exists():
    missing = [f"{rel} includes {inc}" for rel in sources() for inc in project_includes(rel)
               if not (SRC / inc).is_file()]
    assert not missing, "\n".join(missing)


def test_third_party_headers_stay_in_their_layers():
    bad = []
    for rel in sources():
        d = rel.split("/")[0]
        for kind, name in includes(rel):
            if kind != "<":
                continue
            for prefix, dirs in LIBS.items():
                if name.startswith(prefix) and d not in dirs:
                    bad.append(f"{rel} includes <{name}>: only {sorted(dirs)} may")
    assert not bad, "\n".join(bad)


def reaches_openssl(rel, seen):
    if rel in seen:
        return None
    seen.add(rel)
    for kind, name in includes(rel):
        if kind == "<" and name.startswith("openssl/"):
            return [rel, f"<{name}>"]
    for inc in project_includes(rel):
        if (SRC / inc).is_file():
            chain = reaches_openssl(inc, seen)
            if chain:
                return [rel] + chain
    return None


def test_no_openssl_above_tls_net_scan_even_indirectly():
    bad = []
    for rel in sources():
        if rel.split("/")[0] not in NO_OPENSSL_AT_ALL:
            continue
        chain = reaches_openssl(rel, set())
        if chain:
            bad.append(" -> ".join(chain))
    assert not bad, "OpenSSL reached from above tls/, net/ and scan/:\n  " + "\n  ".join(bad)


# The rules are checked themselves: each must catch the edge it is for.
@pytest.mark.parametrize("rel,inc", [
    ("checks/trust.c", "scan/target.h"),
    ("tls/registry.h", "model/result.h"),
    ("tls/ossl.c", "dns/resolve.h"),
    ("report/json.c", "scan/scan.h"),
    ("model/result.h", "tls/ossl.h"),
    ("checks/certs.c", "tls/ossl.h"),
    ("net/conn.c", "proto/dialog.h"),
    ("core/buf.c", "model/result.h"),
])
def test_rules_catch_forbidden_edges(rel, inc):
    assert edge_problem(rel, inc) is not None
