"""The generated registries against OpenSSL and the reference listings, and
the generator itself (scripts/gen-registry).

The committed tables (src/tls/cipher_table.c, group_table.c, prime_table.c)
are read back by parsing the C: the generator writes one row per line (and
one prime's bytes per array), and the parse insists that every line between
the braces is a row. Checks:

  - every suite `openssl ciphers` knows is in the table with the same code
    point, OpenSSL name, IANA name and key size;
  - the tables say what the listings in ../shared/data/reference say, and
    running the generator again gives the committed files byte for byte
    (both skipped, with the reason, when the listings are not there);
  - the RFC 2409/3526 MODP primes in the table are the RFCs' (their hex typed
    from the RFC text, and their defining formula), found by a lookup that
    does what reg_prime_find does;
  - the generator refuses bad input, naming file and line, and writes nothing;
    a prime listed twice keeps both names, first first ("A / B").
"""

import hashlib
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
PRIME_SRC = "common-primes.txt"

TLS13_SUITES = ("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
                "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256")

# ------------------------------------------------------------------ the C tables

_STR = r'(NULL|"[^"\\]*")'
_CIPHER_ROW = re.compile(
    r"^\t\{0x([0-9A-F]{6}), ([01]), (P_[A-Z0-9]+), (0|REG_[A-Z0-9_]+(?: \| REG_[A-Z0-9_]+)*), "
    r"(\d+), (\d+), (KX_[A-Z0-9_]+), (AU_[A-Z0-9_]+), " + _STR + r", " + _STR + r", " +
    r", ".join([_STR] * 4) + r"\},$")
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
            "kx_kind": m.group(7),
            "au_kind": m.group(8),
            "openssl": _cstr(m.group(9)),
            "iana": _cstr(m.group(10)),
            "kx": _cstr(m.group(11)),
            "au": _cstr(m.group(12)),
            "enc": _cstr(m.group(13)),
            "mac": _cstr(m.group(14)),
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


_PRIME_ARRAY = re.compile(r"^static const uint8_t (prime_\d{3,})\[\] = \{$")
_PRIME_BYTES = re.compile(r"^\t0x[0-9A-F]{2},(?: 0x[0-9A-F]{2},)*$")
_PRIME_ROW = re.compile(r'^\t\{"([^"\\]+)", (\d+), (prime_\d{3,}), sizeof\(\3\)\},$')


def parse_prime_table(path=TLS_DIR / "prime_table.c"):
    """-> [{name, bits, p}] in table order. Every line between `clang-format
    off` and the table is a source-line comment, an array's opening, a line of
    its bytes or its closing."""
    body, head = _table_lines(path, "reg_prime_table")
    arrays = {}
    cur = None
    start = head.index("/* clang-format off */") + 1
    for line in head[start:-1]:
        m = _PRIME_ARRAY.match(line)
        if cur is None and m:
            assert m.group(1) not in arrays, "array %s twice" % m.group(1)
            cur = arrays[m.group(1)] = bytearray()
        elif cur is not None and _PRIME_BYTES.match(line):
            cur += bytes(int(x.rstrip(","), 16) for x in line.split())
        elif cur is not None and line == "};":
            cur = None
        else:
            assert cur is None and (line == "" or re.match(r"^/\* .* \*/$", line)), (
                "%s: unparsed line: %r" % (path.name, line))
    assert cur is None
    rows = []
    for line in body:
        m = _PRIME_ROW.match(line)
        assert m, "%s: unparsed table line: %r" % (path.name, line[:120])
        rows.append({"name": m.group(1), "bits": int(m.group(2)), "p": bytes(arrays.pop(m.group(3)))})
    assert not arrays, "arrays no row uses: %s" % sorted(arrays)
    assert len(rows) == len(body) == _stated_count(head, "Diffie-Hellman primes")
    return rows


def find_prime(table, data):
    """What reg_prime_find does, on the parsed table: leading zero bytes
    dropped, then a binary search by (length, bytes)."""
    data = bytes(data).lstrip(b"\0")
    lo, hi = 0, len(table)
    while lo < hi:
        mid = (lo + hi) // 2
        p = table[mid]["p"]
        if (len(p), p) == (len(data), data):
            return table[mid]
        if (len(p), p) < (len(data), data):
            lo = mid + 1
        else:
            hi = mid
    return None


@pytest.fixture(scope="module")
def ciphers():
    return parse_cipher_table()


@pytest.fixture(scope="module")
def groups():
    return parse_group_table()


@pytest.fixture(scope="module")
def primes():
    return parse_prime_table()


def test_table_parse_is_complete(ciphers, groups, primes):
    # A few rows the parse must have seen, from both ends of both code spaces.
    assert ciphers[(0, 0xC030)]["openssl"] == "ECDHE-RSA-AES256-GCM-SHA384"
    assert ciphers[(0, 0x0000)]["iana"] == "TLS_NULL_WITH_NULL_NULL"
    assert ciphers[(1, 0x0700C0)]["openssl"] == "DES-CBC3-MD5"
    assert groups[0x001D]["name"] == "X25519"
    assert len(ciphers) > 300 and len(groups) > 40
    assert len(primes) > 90
    assert (primes[0]["bits"], primes[-1]["bits"]) == (512, 8192)


def test_prime_table_order_and_sizes(primes):
    keys = [(len(r["p"]), r["p"]) for r in primes]
    assert keys == sorted(set(keys)), "not sorted by value, or a prime twice"
    for r in primes:
        v = int.from_bytes(r["p"], "big")
        assert r["p"][0] != 0 and v % 2 == 1
        assert r["bits"] == v.bit_length()
        assert find_prime(primes, r["p"]) is r
        assert find_prime(primes, b"\0\0" + r["p"]) is r


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
    if not all((REF / f).is_file() for f in (CIPHER_SRC, GROUP_SRC, PRIME_SRC)):
        pytest.skip("reference listings not found in %s: cannot compare the committed "
                    "tables with their source" % REF)


PROTOS = {"SSLv2": "P_SSLV2", "SSLv3": "P_SSLV3", "TLSv1": "P_TLS10", "TLSv1.2": "P_TLS12",
          "TLSv1.3": "P_TLS13"}


def _split_bits(word):
    m = re.fullmatch(r"([^()]+)(?:\((\d+)\))?", word)
    return m.group(1), int(m.group(2) or 0)


def _kx_kind(kx):
    if kx == "any":
        return "KX_TLS13"
    if "/" in kx:
        return "KX_ECDH_STATIC" if kx.startswith("ECDH") else "KX_DH_STATIC"
    return {"None": "KX_NONE", "RSA": "KX_RSA", "DH": "KX_DHE", "ECDH": "KX_ECDHE",
            "PSK": "KX_PSK", "DHEPSK": "KX_DHE_PSK", "ECDHEPSK": "KX_ECDHE_PSK",
            "RSAPSK": "KX_RSA_PSK", "SRP": "KX_SRP", "KRB5": "KX_KRB5",
            "GOST": "KX_GOST"}.get(kx, "KX_OTHER")


def _au_kind(au):
    if au.startswith("GOST"):
        return "AU_GOST"
    return "AU_ANY" if au == "any" else "AU_" + au.upper()


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
        # The kinds say what the words say (written here independently).
        assert row["kx_kind"] == _kx_kind(kx), "%s:%d: %s" % (CIPHER_SRC, n, row["kx_kind"])
        assert row["au_kind"] == _au_kind(f[6][3:]), "%s:%d: %s" % (CIPHER_SRC, n, row["au_kind"])
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


def test_prime_table_matches_listing(primes):
    """Read the listing plainly (a line with quotes names the prime on the
    next line) and compare: same primes, names in listing order, sizes."""
    _need_reference()
    lines = (REF / PRIME_SRC).read_text().splitlines()
    listed = {}
    for n, line in enumerate(lines, 1):
        if '"' not in line:
            continue
        name = line[line.index('"') + 1:line.rindex('"')]
        value = int(lines[n], 16)
        names = listed.setdefault(value, [])
        if name not in names:
            names.append(name)
    assert len(listed) == len(primes)
    for r in primes:
        v = int.from_bytes(r["p"], "big")
        assert v in listed, "%s: not in %s" % (r["name"], PRIME_SRC)
        assert r["name"] == " / ".join(listed[v])
    # The listing's oddities, as the table has them: the name line without
    # its "#" (weakdh.org, the third of nine), LibTomCrypt's primes a little
    # over their nominal sizes, and a "512-bit" mod_ssl prime of 1024 bits.
    assert sum(r["name"].startswith("weakdh.org/1024-bit MODP group with safe") for r in primes) == 9
    assert sorted(r["bits"] for r in primes if r["name"] == "LibTomCrypt") == [
        784, 1036, 1288, 1540, 1792, 2072, 3080, 4116]
    assert sorted(r["bits"] for r in primes
                  if r["name"] == "mod_ssl 2.2.x/512-bit MODP group with safe prime modulus") == [
        512, 1024]


def test_generator_reproduces_committed_tables(tmp_path):
    _need_reference()
    # From a copy of the listings elsewhere, run from elsewhere: nothing about
    # the paths or the working directory may reach the output.
    ref = tmp_path / "copy of reference"
    out = tmp_path / "out"
    ref.mkdir()
    out.mkdir()
    for f in (CIPHER_SRC, GROUP_SRC, PRIME_SRC):
        (ref / f).write_bytes((REF / f).read_bytes())
    p = subprocess.run([sys.executable, str(GEN), "--reference", str(ref), "--out", str(out)],
                       capture_output=True, text=True, timeout=60, cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert sorted(x.name for x in out.iterdir()) == ["cipher_table.c", "group_table.c",
                                                     "prime_table.c"]
    for name in ("cipher_table.c", "group_table.c", "prime_table.c"):
        new = (out / name).read_bytes()
        old = (TLS_DIR / name).read_bytes()
        assert new == old, ("src/tls/%s differs from the generator's output: run "
                            "scripts/gen-registry and commit the result" % name)
    # The header names the source's hash.
    digest = hashlib.sha256((REF / PRIME_SRC).read_bytes()).hexdigest()
    assert ("sha256 %s." % digest) in (TLS_DIR / "prime_table.c").read_text()


# ------------------------------------------------------------------ the RFCs

def pi_floor(k):
    """floor(2^k * pi), by Machin's formula in integers (64 guard bits)."""
    one = 1 << (k + 64)

    def arctan_inv(x):
        total, term, n, sign = 0, one // x, 1, 1
        while term:
            total += sign * (term // n)
            term //= x * x
            n += 2
            sign = -sign
        return total

    return (4 * (4 * arctan_inv(5) - arctan_inv(239))) >> 64


def modp_prime(bits, k):
    """RFC 2409 6 / RFC 3526: p = 2^b - 2^(b-64) - 1 + 2^64 * { [2^(b-130) pi] + k }."""
    return 2**bits - 2**(bits - 64) - 1 + 2**64 * (pi_floor(bits - 130) + k)


# RFC 3526 section 3, "2048-bit MODP Group", typed from the RFC text.
RFC3526_GROUP14 = """
      FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
      29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
      EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
      E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
      EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
      C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
      83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
      670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B
      E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9
      DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510
      15728E5A 8AACAA68 FFFFFFFF FFFFFFFF
"""


def test_rfc3526_group14_from_rfc_text(primes):
    typed = bytes.fromhex("".join(RFC3526_GROUP14.split()))
    assert len(typed) == 256
    # The hex as typed is the RFC's formula: no typo in the test itself.
    assert int.from_bytes(typed, "big") == modp_prime(2048, 124476)
    r = find_prime(primes, typed)
    assert r is not None, "RFC 3526 group 14 not in src/tls/prime_table.c"
    assert r["name"] == "RFC3526/Oakley Group 14"
    assert r["bits"] == 2048 and r["p"] == typed
    # As a DER INTEGER carries it: a zero byte before the top bit.
    assert find_prime(primes, b"\0" + typed) is r
    # One bit off is no listed prime.
    assert find_prime(primes, typed[:-1] + bytes([typed[-1] ^ 2])) is None


# name -> (bits, k) of every Oakley/MODP group the listing has.
RFC_MODP = {
    "RFC2409/Oakley Group 1": (768, 149686),
    "RFC2409/Oakley Group 2": (1024, 129093),
    "RFC3526/Oakley Group 5": (1536, 741804),
    "RFC3526/Oakley Group 14": (2048, 124476),
    "RFC3526/Oakley Group 15": (3072, 1690314),
    "RFC3526/Oakley Group 16": (4096, 240904),
    "RFC3526/Oakley Group 17": (6144, 929484),
    "RFC3526/Oakley Group 18": (8192, 4743158),
}


@pytest.mark.parametrize("name", sorted(RFC_MODP))
def test_rfc_modp_groups_by_formula(primes, name):
    bits, k = RFC_MODP[name]
    p = modp_prime(bits, k)
    r = find_prime(primes, p.to_bytes(bits // 8, "big"))
    assert r is not None and r["name"] == name and r["bits"] == bits


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


OAKLEY1 = "%X" % modp_prime(768, 149686)
OAKLEY2 = "%X" % modp_prime(1024, 129093)

# As the real listing is laid out: header comments, blank lines, a name line
# and the prime on the next line.
GOOD_PRIMES = """
## taken from https://example.org/primes.nse

# "RFC2409/Oakley Group 2"
%s

# "RFC2409/Oakley Group 1"
%s

## another source
# to be continued
""" % (OAKLEY2, OAKLEY1)


def make_ref(tmp_path, ciphers=GOOD_CIPHERS, groups=GOOD_GROUPS, primes=GOOD_PRIMES):
    ref = tmp_path / "ref"
    out = tmp_path / "out"
    ref.mkdir()
    out.mkdir()
    (ref / CIPHER_SRC).write_text(ciphers)
    (ref / GROUP_SRC).write_text(groups)
    if isinstance(primes, bytes):
        (ref / PRIME_SRC).write_bytes(primes)
    else:
        (ref / PRIME_SRC).write_text(primes)
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
    pr = parse_prime_table(out / "prime_table.c")
    # Sorted by value: the 768-bit group before the 1024-bit one.
    assert [(r["name"], r["bits"]) for r in pr] == [("RFC2409/Oakley Group 1", 768),
                                                    ("RFC2409/Oakley Group 2", 1024)]
    assert pr[1]["p"] == bytes.fromhex(OAKLEY2)
    assert "2 Diffie-Hellman primes from 2 entries (0 merged" in (out / "prime_table.c").read_text()
    # Deterministic: a second run writes the same bytes.
    names = ("cipher_table.c", "group_table.c", "prime_table.c")
    first = [(out / n).read_bytes() for n in names]
    assert run_gen(ref, out).returncode == 0
    assert [(out / n).read_bytes() for n in names] == first


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


def test_generator_merges_duplicate_primes(tmp_path):
    # The same prime under three names (once with a leading zero byte and in
    # lower case), one of them twice; another under one name, but on a name
    # line without its "#", as upstream has one; a prime of odd hex length.
    odd = "1" + "F" * 128  # 129 hex digits, 513 bits
    listing = "\n".join([
        '# "first"', OAKLEY2,
        '# "RFC2409/Oakley Group 1"', OAKLEY1,
        '# "second"', "00" + OAKLEY2.lower(),
        '"bare name"', odd,
        '# "first"', OAKLEY2,
        "",
        '# "third (x/y)"', OAKLEY2,
    ]) + "\n"
    ref, out = make_ref(tmp_path, primes=listing)
    p = run_gen(ref, out)
    assert p.returncode == 0, p.stderr
    pr = parse_prime_table(out / "prime_table.c")
    assert [(r["name"], r["bits"]) for r in pr] == [
        ("bare name", 513),
        ("RFC2409/Oakley Group 1", 768),
        ("first / second / third (x/y)", 1024),
    ]
    assert pr[0]["p"] == bytes.fromhex("01" + "FF" * 64)
    assert pr[2]["p"] == bytes.fromhex(OAKLEY2)
    text = (out / "prime_table.c").read_text()
    assert "3 Diffie-Hellman primes from 6 entries (3 merged" in text
    assert "/* common-primes.txt line 2, 6, 10, 13 */" in text


# The bad lines, appended to GOOD_PRIMES (GOOD_LINES lines); the line the
# error must name; what it must say.
GOOD_LINES = len(GOOD_PRIMES.splitlines())
N = GOOD_LINES + 1
BAD_PRIME_CASES = {
    "prime without a name": (["", OAKLEY1], N + 1, "prime without a name"),
    "prime after a comment": (["# just a comment", OAKLEY1], N + 1, "prime without a name"),
    "name without a prime": (['# "lonely"', "", OAKLEY1], N, "name without a prime"),
    "name at the end": (['# "lonely"'], N, "name without a prime"),
    "two names in a row": (['# "one"', '# "two"', OAKLEY1], N, "name without a prime"),
    "comment between name and prime": (['# "one"', "# note", OAKLEY1], N, "name without a prime"),
    "unterminated name": (['# "oops', OAKLEY1], N, "cannot parse name line"),
    "name without the space": (['#"tight"', OAKLEY1], N, "cannot parse name line"),
    "empty name": (['# ""', OAKLEY1], N, "name empty or with characters"),
    "name with a backslash": (['# "a\\b"', OAKLEY1], N, "name empty or with characters"),
    "name with the merge separator": (['# "a / b"', OAKLEY1], N, "name holds the merge separator"),
    "name with trailing space": (['# "name "', OAKLEY1], N, "name empty or with characters"),
    "not hex": (['# "x"', OAKLEY1[:-1] + "G"], N + 1, "cannot parse prime"),
    "hex with a space": (['# "x"', OAKLEY1[:40] + " " + OAKLEY1[40:]], N + 1, "cannot parse prime"),
    "hex with 0x": (['# "x"', "0x" + OAKLEY1], N + 1, "cannot parse prime"),
    "even": (['# "x"', OAKLEY1[:-1] + "E"], N + 1, "even"),
    "too short": (['# "x"', "FFFFFFFFFFFFFFFF"], N + 1, "64 bits"),
    "zero": (['# "x"', "0" * 192], N + 1, "0 bits"),
    "too long": (['# "x"', "F" * 4097], N + 1, "16388 bits"),
    "indented name": (['  # "x"', OAKLEY1], N, "cannot parse line"),
    "stray text": (["primes follow", '# "x"', OAKLEY1], N, "cannot parse line"),
}


@pytest.mark.parametrize("what", sorted(BAD_PRIME_CASES))
def test_generator_rejects_bad_prime_entry(tmp_path, what):
    bad, line, why = BAD_PRIME_CASES[what]
    ref, out = make_ref(tmp_path, primes=GOOD_PRIMES + "\n".join(bad) + "\n")
    p = run_gen(ref, out)
    assert p.returncode != 0, "accepted: " + what
    assert "%s:%d: %s" % (PRIME_SRC, line, why) in p.stderr, p.stderr
    assert "Traceback" not in p.stderr, p.stderr
    assert list(out.iterdir()) == [], "wrote output despite the error"


def test_generator_rejects_non_ascii_prime_name(tmp_path):
    ref, out = make_ref(tmp_path, primes=GOOD_PRIMES.encode() + '# "Gr\u00fc\u00dfe"\n'.encode()
                        + OAKLEY1.encode() + b"\n")
    p = run_gen(ref, out)
    assert p.returncode != 0
    assert "%s:%d: not ASCII" % (PRIME_SRC, N) in p.stderr, p.stderr
    assert list(out.iterdir()) == []


def test_generator_rejects_empty_prime_listing(tmp_path):
    ref, out = make_ref(tmp_path, primes="## nothing here\n\n")
    p = run_gen(ref, out)
    assert p.returncode != 0
    assert "%s:2: no primes" % PRIME_SRC in p.stderr, p.stderr
    assert list(out.iterdir()) == []


def test_generator_without_reference(tmp_path):
    p = run_gen(tmp_path / "missing", tmp_path)
    assert p.returncode != 0
    assert CIPHER_SRC in p.stderr
    assert list(tmp_path.iterdir()) == []
