"""The generated registries against OpenSSL and the reference listings, and
the generator itself (scripts/gen-registry).

The committed tables (src/tls/cipher_table.c, group_table.c) are read back by
parsing the C: the generator writes one row per line, and the parse insists
that every line between the braces is a row. Checks:

  - every suite `openssl ciphers` knows is in the table with the same code
    point, OpenSSL name, IANA name and key size;
  - the tables say what the listings in ../shared/data/reference say, and
    running the generator again gives the committed files byte for byte
    (both skipped, with the reason, when the listings are not there);
  - the generator refuses bad input, naming file and line, and writes nothing.
"""

import re
import subprocess
import sys

import pytest

from conftest import REPO, openssl

GEN = REPO / "scripts" / "gen-registry"
TLS_DIR = REPO / "src" / "tls"
REF = REPO.parent / "shared" / "data" / "reference"
CIPHER_SRC = "cipher-mapping.txt"
GROUP_SRC = "curves-mapping.txt"

TLS13_SUITES = ("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
                "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256")

# ------------------------------------------------------------------ the C tables

_STR = r'(NULL|"[^"\\]*")'
_CIPHER_ROW = re.compile(
    r"^\t\{0x([0-9A-F]{6}), ([01]), (P_[A-Z0-9]+), (0|REG_[A-Z0-9_]+(?: \| REG_[A-Z0-9_]+)*), "
    r"(\d+), (\d+), " + _STR + r", " + _STR + r", " + r", ".join([_STR] * 4) + r"\},$")
_GROUP_ROW = re.compile(r'^\t\{0x([0-9A-F]{4}), (\d+), (REG_GROUP_[A-Z_]+), ' + _STR + r"\},$")


def _cstr(tok):
    return None if tok == "NULL" else tok[1:-1]


def _table_lines(path, array):
    """The lines between `ARRAY[] = {` and `};`, all of them."""
    lines = path.read_text().splitlines()
    opening = [i for i, l in enumerate(lines) if re.match(r"^const struct \w+ %s\[\] = \{$" % array, l)]
    assert len(opening) == 1, "%s: no single `%s[] = {`" % (path.name, array)
    start = opening[0] + 1
    end = lines.index("};", start)
    return lines[start:end], lines[:start]


def _stated_count(head, noun):
    m = re.search(r"\* (\d+) %s" % noun, "\n".join(head))
    assert m, "the header comment states no count of %s" % noun
    return int(m.group(1))


def parse_cipher_table(path=TLS_DIR / "cipher_table.c"):
    body, head = _table_lines(path, "reg_cipher_table")
    rows = {}
    for line in body:
        m = _CIPHER_ROW.match(line)
        assert m, "%s: unparsed table line: %r" % (path.name, line)
        code, v2 = int(m.group(1), 16), int(m.group(2))
        assert (v2, code) not in rows, "duplicate row %r" % line
        rows[(v2, code)] = {
            "proto": m.group(3),
            "flags": set() if m.group(4) == "0" else set(m.group(4).split(" | ")),
            "bits": int(m.group(5)),
            "kx_bits": int(m.group(6)),
            "openssl": _cstr(m.group(7)),
            "iana": _cstr(m.group(8)),
            "kx": _cstr(m.group(9)),
            "au": _cstr(m.group(10)),
            "enc": _cstr(m.group(11)),
            "mac": _cstr(m.group(12)),
        }
    # Every row was parsed, and there are as many as the generator wrote.
    assert len(rows) == len(body) == _stated_count(head, "cipher suites")
    return rows


def parse_group_table(path=TLS_DIR / "group_table.c"):
    body, head = _table_lines(path, "reg_group_table")
    rows = {}
    for line in body:
        m = _GROUP_ROW.match(line)
        assert m, "%s: unparsed table line: %r" % (path.name, line)
        code = int(m.group(1), 16)
        assert code not in rows, "duplicate row %r" % line
        rows[code] = {"bits": int(m.group(2)), "kind": m.group(3), "name": _cstr(m.group(4))}
    assert len(rows) == len(body) == _stated_count(head, "supported groups")
    return rows


@pytest.fixture(scope="module")
def ciphers():
    return parse_cipher_table()


@pytest.fixture(scope="module")
def groups():
    return parse_group_table()


def test_table_parse_is_complete(ciphers, groups):
    # A few rows the parse must have seen, from both ends of both code spaces.
    assert ciphers[(0, 0xC030)]["openssl"] == "ECDHE-RSA-AES256-GCM-SHA384"
    assert ciphers[(0, 0x0000)]["iana"] == "TLS_NULL_WITH_NULL_NULL"
    assert ciphers[(1, 0x0700C0)]["openssl"] == "DES-CBC3-MD5"
    assert groups[0x001D]["name"] == "X25519"
    assert len(ciphers) > 300 and len(groups) > 40


# ------------------------------------------------------------------ OpenSSL

_OSSL_LINE = re.compile(
    r"^\s*(0x[0-9A-F]{2}(?:,0x[0-9A-F]{2}){1,2}) - (\S+)(?: +- (\S+))? +(\S+) +Kx=\S+ +Au=\S+ +"
    r"Enc=([^ (]+)(?:\((\d+)\))? +Mac=\S+", re.I)


def _code(text):
    b = [int(x, 16) for x in text.split(",")]
    return (1 if len(b) == 3 else 0), int.from_bytes(bytes(b), "big")


def openssl_suites():
    """(sslv2, code) -> {openssl, iana, bits} for every suite this OpenSSL
    knows: all TLS 1.2-and-older suites at security level 0, and all five
    TLS 1.3 suites (the default list leaves out the CCM ones)."""
    args = ["ciphers", "-V", "-ciphersuites", TLS13_SUITES, "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]
    plain = openssl(*args).splitlines()
    std = openssl(*(args[:2] + ["-stdname"] + args[2:])).splitlines()
    assert len(plain) == len(std)
    suites = {}
    for a, b in zip(plain, std):
        ma, mb = _OSSL_LINE.match(a), _OSSL_LINE.match(b)
        assert ma and not ma.group(3), "unparsed `openssl ciphers -V` line: %r" % a
        assert mb and mb.group(3), "unparsed `openssl ciphers -V -stdname` line: %r" % b
        assert ma.group(1) == mb.group(1) and ma.group(2) == mb.group(3)
        iana = mb.group(2)
        suites[_code(ma.group(1))] = {
            "openssl": ma.group(2),
            # OpenSSL prints "(NONE)" for a suite without a standard name.
            "iana": None if iana == "(NONE)" else iana,
            "bits": int(ma.group(6) or 0),
        }
    return suites


def test_every_openssl_suite_is_in_the_table(ciphers):
    suites = openssl_suites()
    # Not a vacuous pass: OpenSSL 1.1.1 and 3.x list well over 100 here.
    assert len(suites) > 100
    assert (0, 0x1304) in suites, "the TLS 1.3 CCM suites were asked for"
    problems = []
    for key, s in sorted(suites.items()):
        row = ciphers.get(key)
        label = "0x%0*X %s" % (6 if key[0] else 4, key[1], s["openssl"])
        if row is None:
            problems.append("%s: not in the table" % label)
            continue
        if row["openssl"] != s["openssl"]:
            problems.append("%s: table has OpenSSL name %s" % (label, row["openssl"]))
        if s["iana"] and row["iana"] != s["iana"]:
            problems.append("%s: IANA name %s, table has %s" % (label, s["iana"], row["iana"]))
        if row["bits"] != s["bits"]:
            problems.append("%s: %d bits, table has %d" % (label, s["bits"], row["bits"]))
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ the listings

def _need_reference():
    if not (REF / CIPHER_SRC).is_file() or not (REF / GROUP_SRC).is_file():
        pytest.skip("reference listings not found in %s: cannot compare the committed "
                    "tables with their source" % REF)


PROTOS = {"SSLv2": "P_SSLV2", "SSLv3": "P_SSLV3", "TLSv1": "P_TLS10", "TLSv1.2": "P_TLS12",
          "TLSv1.3": "P_TLS13"}


def _split_bits(word):
    m = re.fullmatch(r"([^()]+)(?:\((\d+)\))?", word)
    return m.group(1), int(m.group(2) or 0)


def test_cipher_table_matches_listing(ciphers):
    """Read the listing independently of the generator (plain split) and
    compare every row."""
    _need_reference()
    seen = 0
    for n, line in enumerate((REF / CIPHER_SRC).read_text().splitlines(), 1):
        f = line.split()
        if not f:
            continue
        seen += 1
        assert len(f) in (9, 10) and f[1] == "-", "%s:%d: %r" % (CIPHER_SRC, n, line)
        row = ciphers.get(_code(f[0]))
        assert row is not None, "%s:%d: %s not in the table" % (CIPHER_SRC, n, f[0])
        kx, kx_bits = _split_bits(f[5][3:])
        enc, bits = _split_bits(f[7][4:])
        want = {
            "openssl": None if f[2] == "-" else f[2],
            "iana": None if f[3] == "-" else f[3],
            "proto": PROTOS[f[4]],
            "kx": kx, "kx_bits": kx_bits, "au": f[6][3:], "enc": enc, "bits": bits,
            "mac": f[8][4:],
        }
        got = {k: row[k] for k in want}
        assert got == want, "%s:%d" % (CIPHER_SRC, n)
        assert ("REG_EXPORT" in row["flags"]) == (len(f) == 10 and f[9] == "export")
    assert seen == len(ciphers)


def test_group_table_matches_listing(groups):
    _need_reference()
    listed = {}
    for n, line in enumerate((REF / GROUP_SRC).read_text().splitlines(), 1):
        f = line.split()
        if not f:
            continue
        assert len(f) == 4 and f[1] == "-", "%s:%d: %r" % (GROUP_SRC, n, line)
        listed[int(f[0].replace(",0x", ""), 16)] = f[3]
    # The only row left out: 0 is TPM_ECC_NONE, no TLS group.
    assert listed.pop(0x0000) == "TPM_ECC_NONE"
    assert 0x0000 not in groups
    for code, name in listed.items():
        assert code in groups, "0x%04X %s not in the table" % (code, name)
        want = {"x25519": "X25519", "x448": "X448"}.get(name, name)
        assert groups[code]["name"] == want
    # Anything else came from the generator's IANA supplement.
    extra = set(groups) - set(listed)
    assert extra <= {0x11EB, 0x11EC, 0x11ED, 0x6399}, sorted(extra)


def test_generator_reproduces_committed_tables(tmp_path):
    _need_reference()
    p = subprocess.run([sys.executable, str(GEN), "--reference", str(REF), "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    for name in ("cipher_table.c", "group_table.c"):
        new = (tmp_path / name).read_bytes()
        old = (TLS_DIR / name).read_bytes()
        assert new == old, ("src/tls/%s differs from the generator's output: run "
                            "scripts/gen-registry and commit the result" % name)


# ------------------------------------------------------------------ the generator

GOOD_CIPHERS = """\
      0xC0,0x30 - ECDHE-RSA-AES256-GCM-SHA384    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384              TLSv1.2    Kx=ECDH        Au=RSA     Enc=AESGCM(256)                Mac=AEAD
      0x13,0x01 - TLS_AES_128_GCM_SHA256         TLS_AES_128_GCM_SHA256                             TLSv1.3    Kx=any         Au=any     Enc=AESGCM(128)                Mac=AEAD
      0x00,0x03 - EXP-RC4-MD5                    TLS_RSA_EXPORT_WITH_RC4_40_MD5                     SSLv3      Kx=RSA(512)    Au=RSA     Enc=RC4(40)                    Mac=MD5      export
      0xC0,0x3F - -                              TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384                TLSv1.2    Kx=DH/DSS      Au=DH      Enc=ARIA(256)                  Mac=SHA384

 0x07,0x00,0xC0 - DES-CBC3-MD5                   SSL_CK_DES_192_EDE3_CBC_WITH_MD5                   SSLv2      Kx=RSA         Au=RSA     Enc=3DES(168)                  Mac=MD5
      0x00,0x00 - NULL                           TLS_NULL_WITH_NULL_NULL                            SSLv3      Kx=None        Au=None    Enc=None                       Mac=Null
"""

GOOD_GROUPS = """\
      0x00,0x00 -   NULL        TPM_ECC_NONE
      0x01,0x00 -   ffdhe2048   ffdhe2048
      0x00,0x1d -   x25519       x25519
      0x00,0x17 -   secp256r1   secp256r1
"""


def run_gen(ref, out):
    return subprocess.run([sys.executable, str(GEN), "--reference", str(ref), "--out", str(out)],
                          capture_output=True, text=True, timeout=60)


def make_ref(tmp_path, ciphers=GOOD_CIPHERS, groups=GOOD_GROUPS):
    ref = tmp_path / "ref"
    out = tmp_path / "out"
    ref.mkdir()
    out.mkdir()
    (ref / CIPHER_SRC).write_text(ciphers)
    (ref / GROUP_SRC).write_text(groups)
    return ref, out


def test_generator_on_small_listing(tmp_path):
    ref, out = make_ref(tmp_path)
    p = run_gen(ref, out)
    assert p.returncode == 0, p.stderr
    c = parse_cipher_table(out / "cipher_table.c")
    # Sorted by (sslv2, code), whatever the listing's order.
    assert list(c) == [(0, 0x0000), (0, 0x0003), (0, 0x1301), (0, 0xC030), (0, 0xC03F),
                       (1, 0x0700C0)]
    assert c[(0, 0xC030)]["flags"] == {"REG_FS", "REG_AEAD"}
    assert c[(0, 0x1301)]["flags"] == {"REG_TLS13", "REG_FS", "REG_AEAD"}
    assert c[(0, 0x0003)]["flags"] == {"REG_EXPORT", "REG_RC4"}
    assert (c[(0, 0x0003)]["kx"], c[(0, 0x0003)]["kx_bits"]) == ("RSA", 512)
    assert c[(0, 0xC03F)]["openssl"] is None and c[(0, 0xC03F)]["flags"] == {"REG_CBC"}
    assert c[(0, 0x0000)]["flags"] == {"REG_ANON", "REG_NULL_ENC"}
    assert c[(1, 0x0700C0)]["proto"] == "P_SSLV2"
    g = parse_group_table(out / "group_table.c")
    # Group 0 left out; the hybrids the listing lacks come from the supplement.
    assert list(g) == [0x0017, 0x001D, 0x0100, 0x11EB, 0x11EC, 0x11ED, 0x6399]
    assert g[0x001D] == {"bits": 255, "kind": "REG_GROUP_EC", "name": "X25519"}
    assert g[0x0100] == {"bits": 2048, "kind": "REG_GROUP_FFDHE", "name": "ffdhe2048"}
    assert g[0x11EC] == {"bits": 0, "kind": "REG_GROUP_HYBRID_PQ", "name": "X25519MLKEM768"}
    assert "(1 excluded, 4 supplemented)" in (out / "group_table.c").read_text()
    # Deterministic: a second run writes the same bytes.
    first = (out / "cipher_table.c").read_bytes(), (out / "group_table.c").read_bytes()
    assert run_gen(ref, out).returncode == 0
    assert ((out / "cipher_table.c").read_bytes(), (out / "group_table.c").read_bytes()) == first


GOOD = GOOD_CIPHERS.splitlines()[0]

BAD_CIPHER_ROWS = {
    "truncated": GOOD.split("Mac=")[0],
    "short code point": GOOD.replace("0xC0,0x30", "0xC0,0x3", 1),
    "four-byte code point": GOOD.replace("0xC0,0x30", "0x00,0xC0,0x30,0x00", 1),
    "unknown protocol": GOOD.replace("TLSv1.2", "TLSv9  ", 1),
    "unknown key exchange": GOOD.replace("Kx=ECDH", "Kx=FOO ", 1),
    "unknown cipher": GOOD.replace("Enc=AESGCM(256)", "Enc=XYZ(256)   ", 1),
    "cipher without size": GOOD.replace("Enc=AESGCM(256)", "Enc=AESGCM     ", 1),
    "AEAD with a MAC": GOOD.replace("Mac=AEAD", "Mac=SHA1", 1),
    "no name at all": GOOD.replace("ECDHE-RSA-AES256-GCM-SHA384", "-", 1)
                          .replace("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "-", 1),
    "SSLv2 with a two-byte code": GOOD.replace("TLSv1.2", "SSLv2  ", 1),
    "stray column": GOOD + "  weak",
    "duplicate code point": GOOD.replace("ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-OTHER", 1),
}


@pytest.mark.parametrize("what", sorted(BAD_CIPHER_ROWS))
def test_generator_rejects_bad_cipher_row(tmp_path, what):
    # The bad row goes in as line 3, after two good ones.
    lines = GOOD_CIPHERS.splitlines()
    lines.insert(2, BAD_CIPHER_ROWS[what])
    ref, out = make_ref(tmp_path, ciphers="\n".join(lines) + "\n")
    p = run_gen(ref, out)
    assert p.returncode != 0, "accepted: " + what
    assert "%s:3:" % CIPHER_SRC in p.stderr, p.stderr
    assert list(out.iterdir()) == [], "wrote output despite the error"


BAD_GROUP_ROWS = {
    "no names": "      0x00,0x17 -",
    "one-byte code": "      0x17 -   secp256r1   secp256r1",
    "group nobody knows": "      0x00,0x99 -   foo123   foo123",
    "duplicate code point": "      0x01,0x00 -   ffdhe2048   ffdhe2048",
    "supplement disagrees": "      0x11,0xec -   X25519Kyber512   X25519Kyber512",
    "group 0 renamed": "      0x00,0x00 -   NULL   something",
}


@pytest.mark.parametrize("what", sorted(BAD_GROUP_ROWS))
def test_generator_rejects_bad_group_row(tmp_path, what):
    lines = GOOD_GROUPS.splitlines()
    # group 0 may appear only once: swap it out for its renamed version
    if what == "group 0 renamed":
        lines.pop(0)
    lines.insert(2 if what != "group 0 renamed" else 1, BAD_GROUP_ROWS[what])
    ref, out = make_ref(tmp_path, groups="\n".join(lines) + "\n")
    p = run_gen(ref, out)
    assert p.returncode != 0, "accepted: " + what
    assert re.search(r"%s:[23]:" % GROUP_SRC, p.stderr), p.stderr
    assert list(out.iterdir()) == [], "wrote output despite the error"


def test_generator_without_reference(tmp_path):
    p = run_gen(tmp_path / "missing", tmp_path)
    assert p.returncode != 0
    assert CIPHER_SRC in p.stderr
    assert list(tmp_path.iterdir()) == []
