"""`mailtls domain` end to end: real DNS (NSD serving signed, unsigned and
bogus zones, validated by mailtls's libunbound with --trust-anchor), real
MTA-STS policies (nginx over HTTPS) and real MX hosts (Postfix), one zone
per scenario (docs/domain.md, the "domain" section of docs/json.md).

Servers, started once for the module:
  NSD        every zone below, on a free loopback port (--resolver)
  nginx      the MTA-STS policies, https://mta-sts.ZONE:PORT/ (--mta-sts-port)
  Postfix    "good": a leaf for every MX name from the test CA, sent with the
             CA (leaf + CA chain, so DANE-TA 2 1 1 can match at depth 1);
             "bad": a leaf for the same names from an unrelated CA, leaf
             only: it verifies for no one (--port picks the Postfix)

References independent of mailtls: tlsa_311 (openssl x509 -pubkey | openssl
pkey -pubin -outform DER | sha256) for the TLSA data, `openssl s_client
-dane_tlsa_*` against the same Postfix for the DANE verdict, the SPF lookup
count worked out by hand from the zone, and docs/mailtls-1.schema.json for
every JSON document and JSON line.

Most runs are --quick (the verified handshake and the DANE handshake only);
three are full (enumeration and grade): dane-mismatch, MTA-STS enforce with
a certificate that does not verify, and DANE-EE on that same certificate.
"""

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import dnszones
import nginx_https
import postfix
from conftest import FIXTURES, OPENSSL, REPO, mailtls_path
from dnszones import NsdServer, Zone, tlsa_data, tlsa_311

sys.path.insert(0, str(FIXTURES))
import dns_proxy  # noqa: E402

SCHEMA_PATH = REPO / "docs" / "mailtls-1.schema.json"
POLICY_PATH = "/.well-known/mta-sts.txt"
HOSTILE_SPF = "v=spf1 <script>alert(1)</script>\x1b[31m -all"
HIGH_OR_ABOVE = ("high", "critical")
SEVERITIES = ["ok", "info", "low", "medium", "high", "critical"]


def _sanitized_binary():
    try:
        data = mailtls_path().read_bytes()
    except OSError:
        return False
    return b"__asan_init" in data or b"__ubsan_handle" in data


SANITIZED = _sanitized_binary()
def policy(mode="enforce", mx=("mx.%s",), max_age=604800, domain=None):
    """A policy file; "%s" in an mx pattern is the domain (left in place
    when domain is None, for the zone to fill in)."""
    lines = ["version: STSv1", "mode: " + mode]
    lines += ["mx: " + (m % domain if domain and "%s" in m else m) for m in mx]
    lines.append("max_age: %d" % max_age)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# the zones: one per scenario


class Scenarios:
    """Zones, MX names and MTA-STS content, made from the certificates."""

    def __init__(self, good_leaf, bad_leaf, ca_pem):
        self.zones = []
        self.mx_names = []          # every MX name (the Postfix leaves' SANs)
        self.sts_hosts = []         # mta-sts.ZONE served with the default certificate
        self.web = []               # (method, args...) for nginx
        self.good_leaf, self.bad_leaf, self.ca_pem = good_leaf, bad_leaf, ca_pem
        self.tlsa_good = tlsa_311(good_leaf)
        self.tlsa_bad = tlsa_311(bad_leaf)
        self.tlsa_ca = tlsa_data(ca_pem, 1, 1)
        self._build()

    # a zone with healthy defaults: each scenario overrides what it is about
    def zone(self, name, signed=False, bogus=False, mx=("mx",), a=True,
             tlsrpt="v=TLSRPTv1; rua=mailto:tls@{d}", spf="v=spf1 mx -all",
             dmarc="v=DMARC1; p=reject; rua=mailto:d@{d}", sts_txt=None, sts=None,
             tlsa=None, extra=()):
        z = Zone(name, signed=signed, bogus=bogus)
        for i, host in enumerate(mx):
            z.add("@ MX %d %s" % (10 * (i + 1), host))
            if a and not host.endswith("."):
                z.add("%s A 127.0.0.1" % host)
                self.mx_names.append("%s.%s" % (host, name))
        for rec, owner in ((tlsrpt, "_smtp._tls"), (dmarc, "_dmarc")):
            for r in ([rec] if isinstance(rec, str) else rec or []):
                z.add('%s TXT "%s"' % (owner, r.format(d=name)))
        for r in ([spf] if isinstance(spf, str) else spf or []):
            z.add('@ TXT "%s"' % r.format(d=name))
        if sts is not None and sts_txt is None:
            sts_txt = "v=STSv1; id=20260101"
        for r in ([sts_txt] if isinstance(sts_txt, str) else sts_txt or []):
            z.add('_mta-sts TXT "%s"' % r)
        if sts_txt:
            z.add("mta-sts A 127.0.0.1")
        if sts is not None:
            host = "mta-sts." + name
            if isinstance(sts, str):
                self.web.append(("put", host, POLICY_PATH, sts.replace("%s", name)))
                self.sts_hosts.append(host)
            else:
                self.web.append((sts[0], host) + tuple(sts[1:]))
                if sts[0] != "vhost":
                    self.sts_hosts.append(host)
        for owner, usage, sel, mtype, data in tlsa or ():
            z.add_tlsa("_25._tcp." + owner, usage, sel, mtype, data)
        z.add(*extra)
        self.zones.append(z)
        return z

    def _build(self):
        z = self.zone
        good, bad, ca = self.tlsa_good, self.tlsa_bad, self.tlsa_ca
        enforce = policy("enforce")
        # 1-3: DANE
        z("both.test", signed=True, sts=enforce, tlsa=[("mx", 3, 1, 1, good)])
        z("dane.test", signed=True, tlsa=[("mx", 3, 1, 1, good)])
        z("daneta.test", signed=True, tlsa=[("mx", 2, 1, 1, ca)])
        # DANE-EE ignores names and trust: the unrelated CA's leaf matches
        z("daneee.test", signed=True, tlsa=[("mx", 3, 1, 1, bad)])
        # 4: a digest of something else
        z("danebad.test", signed=True,
          tlsa=[("mx", 3, 1, 1, hashlib.sha256(b"not the key").hexdigest())])
        # only PKIX-EE: unusable for SMTP (RFC 7672 3.1.3)
        z("unusable.test", signed=True, tlsa=[("mx", 1, 1, 1, good)])
        # 5: TLSA without DNSSEC
        z("tlsaplain.test", tlsa=[("mx", 3, 1, 1, good)])
        # 6: bogus, all of it / the TLSA RRset only
        z("bogus.test", bogus=True, tlsa=[("mx", 3, 1, 1, good)])
        z("badtlsa.test", signed=True, tlsa=[("mx", 3, 1, 1, good)]) \
            .break_rrsig("_25._tcp.mx", "TLSA")
        # 7: two MX hosts, one with TLSA
        z("partial.test", signed=True, mx=("mx1", "mx2"), tlsa=[("mx1", 3, 1, 1, good)])
        # 8-9: MTA-STS
        z("sts.test", sts=enforce)
        z("testing.test", sts=policy("testing"))
        # 10: the policy unusable
        z("p404.test", sts=("status", POLICY_PATH, 404))
        z("predir.test", sts=("redirect", POLICY_PATH,
                              "https://mta-sts.sts.test" + POLICY_PATH, 301))
        z("pctype.test", sts=("put", POLICY_PATH, enforce.replace("%s", "pctype.test"),
                              "text/html"))
        z("pcharset.test", sts=("put", POLICY_PATH, enforce.replace("%s", "pcharset.test"),
                                "text/plain; charset=utf-8"))
        z("pwrongcert.test", sts=("vhost", "wrongcert"))
        z("pexpired.test", sts=("vhost", "expired"))
        z("pinvalid.test", sts=policy("bogus"))
        z("pbig.test", sts=enforce + "#" * (70 * 1024) + "\n")
        # 11: coverage and max_age
        z("notcovered.test", sts=policy("enforce", mx=("other.test",)))
        z("nctesting.test", sts=policy("testing", mx=("other.test",)))
        z("maxage.test", sts=policy("enforce", mx=("*.%s",), max_age=3600))
        # 12: TXT records
        z("txt2.test", sts=enforce, sts_txt=["v=STSv1; id=1", "v=STSv1; id=2"])
        z("txtbad.test", sts=enforce, sts_txt="v=STSv1; id=", tlsrpt="v=TLSRPTv1;")
        # 13-14: SPF and DMARC (one SPF and one DMARC problem per zone)
        z("spfnone.test", spf=None, dmarc=None, tlsrpt=None)
        # an MX host that is an alias (RFC 2181 10.3)
        z("mxcname.test", mx=("alias",), a=False, extra=("alias CNAME mx", "mx A 127.0.0.1"))
        # DMARC tree walk: sub.dmarcwalk.test has no record, its parent's
        # sp=none rules it; deep.sub.dmarcwalk2.test inherits p=reject
        # from two levels up
        z("dmarcwalk.test", dmarc="v=DMARC1; p=reject; sp=none",
          extra=("sub MX 10 mx.dmarcwalk.test.", 'sub TXT "v=spf1 mx -all"',
                 '_smtp._tls.sub TXT "v=TLSRPTv1; rua=mailto:t@dmarcwalk.test"'))
        z("dmarcwalk2.test", dmarc="v=DMARC1; p=reject",
          extra=("deep.sub MX 10 mx.dmarcwalk2.test.", 'deep.sub TXT "v=spf1 mx -all"'))
        z("spf2.test", spf=["v=spf1 mx -all", "v=spf1 a -all"], dmarc="v=DMARC1; p=none")
        z("spfplus.test", spf="v=spf1 mx +all", dmarc="v=DMARC1; p=quarantine; pct=50")
        z("spfneutral.test", spf="v=spf1 mx ?all",
          dmarc=["v=DMARC1; p=reject", "v=DMARC1; p=none"])
        # l1..l5 each "a mx include:next": 1 + 3 + 3 + 3 + 3 = 13 (l5 is not fetched:
        # past 10 the result is permerror anyway)
        z("spfdeep.test", spf="v=spf1 include:l1.{d} -all", dmarc="v=DMARC1; p=bogus",
          extra=['l%d TXT "v=spf1 a mx include:l%d.spfdeep.test -all"' % (i, i + 1)
                 for i in range(1, 6)])
        # exactly 10: 1 + 3 + 3 + 3 (l3 ends with exists)
        z("spften.test", spf="v=spf1 include:l1.{d} -all",
          extra=['l1 TXT "v=spf1 a mx include:l2.spften.test -all"',
                 'l2 TXT "v=spf1 a mx include:l3.spften.test -all"',
                 'l3 TXT "v=spf1 a mx exists:x.spften.test -all"'])
        z("spfinc.test", spf="v=spf1 mx include:nospf.{d} -all",
          extra=['nospf TXT "hello, no SPF here"'])
        z("spfptr.test", spf="v=spf1 mx ptr -all")
        # 15: MX
        z("nullmx.test", mx=(".",), spf="v=spf1 -all")
        z("implicit.test", mx=(), extra=["@ A 127.0.0.1"])
        self.mx_names.append("implicit.test")
        z("unres.test", mx=("nohost",), a=False)
        z("unres2.test", mx=("nohost", "mx"), a=False, extra=["mx A 127.0.0.1"])
        self.mx_names.append("mx.unres2.test")
        # more DANE: other selectors and matching types, a match among
        # mismatches, a digest of the wrong length
        z("danesel0.test", signed=True, tlsa=[("mx", 3, 0, 1, tlsa_data_or(self, 0, 1))])
        z("dane512.test", signed=True, tlsa=[("mx", 3, 1, 2, tlsa_data_or(self, 1, 2))])
        z("danefull.test", signed=True, tlsa=[("mx", 3, 1, 0, tlsa_data_or(self, 1, 0))])
        z("danemix.test", signed=True,
          tlsa=[("mx", 3, 1, 1, hashlib.sha256(b"old key").hexdigest()),
                ("mx", 3, 1, 1, good)])
        z("daneshort.test", signed=True, tlsa=[("mx", 3, 1, 1, good[:62])])
        # DANE and MTA-STS enforce on a certificate that only DANE accepts
        z("bothbad.test", signed=True, sts=enforce, tlsa=[("mx", 3, 1, 1, bad)])
        # more MTA-STS
        z("stsnone.test", sts=policy("none", mx=()))
        z("stscrlf.test", sts=enforce.replace("\n", "\r\n"))
        z("stsnoctype.test", sts=("put", POLICY_PATH, enforce.replace("%s", "stsnoctype.test"),
                                  None))
        z("stsnohost.test", extra=['_mta-sts TXT "v=STSv1; id=1"'])
        z("stssplit.test", sts=enforce, sts_txt=[],
          extra=['_mta-sts TXT "v=STSv1; " "id=split1; ext=1"', "mta-sts A 127.0.0.1"])
        z("wild.test", mx=("mx", "a.b"), sts=policy("enforce", mx=("*.%s",)))
        # an unsigned MX RRset naming a host whose TLSA records are signed
        z("unsignedmx.test", mx=("mx.dane.test.",))
        # more SPF: a redirect, a record in two strings
        z("spfredir.test", spf="v=spf1 redirect=_spf.{d}",
          extra=['_spf TXT "v=spf1 mx -all"'])
        z("spfsplit.test", spf=None, extra=['@ TXT "v=spf1 mx" " -all"'])
        # 16: hostile strings (ESC as the zone file's \027)
        z("hostile.test", spf=HOSTILE_SPF.replace("\x1b", "\\027"))


def tlsa_data_or(scen, selector, mtype):
    """tlsa_data of the good leaf (placeholder data while listing names)."""
    if scen.good_leaf is None:
        return "00" * 32
    return tlsa_data(scen.good_leaf, selector, mtype)


# --------------------------------------------------------------------------
# servers


def _need(mod, what):
    why = mod.available()
    if why:
        pytest.skip("%s unavailable: %s" % (what, why))


class World:
    pass


def build_world(directory):
    """Every server of the module, started; stop_world() ends them."""
    w = World()
    w.dir = Path(directory)
    w.servers = []
    try:
        w.ca = nginx_https.MiniCa(w.dir / "ca")
        other = nginx_https.MiniCa(w.dir / "other-ca", cn="unrelated CA")
        # The leaves must name every MX host, and the zones hold the leaves'
        # TLSA data: list the names first with placeholder data.
        probe = Scenarios.__new__(Scenarios)
        probe.zones, probe.mx_names, probe.sts_hosts, probe.web = [], [], [], []
        probe.tlsa_good = probe.tlsa_bad = probe.tlsa_ca = "00" * 32
        probe.good_leaf = None
        probe._build()
        good_cert, good_key = w.ca.issue("mx", probe.mx_names)
        bad_cert, bad_key = other.issue("mxbad", probe.mx_names)
        w.good_leaf, w.bad_leaf = good_cert, bad_cert
        chain = w.dir / "mx-chain.pem"
        chain.write_text(Path(good_cert).read_text() + Path(w.ca.ca).read_text())
        s = w.scen = Scenarios(good_cert, bad_cert, w.ca.ca)
        assert s.mx_names == probe.mx_names

        web_cert, web_key = w.ca.issue("web", s.sts_hosts)
        vhost_certs = {
            "wrongcert": w.ca.issue("wrongcert", ["mta-sts.elsewhere.test"]),
            "expired": w.ca.issue("expired", ["mta-sts.pexpired.test"], start_days=-60,
                                  end_days=-1),
        }
        w.web = nginx_https.NginxHttps(web_cert, web_key)
        w.servers.append(w.web)
        for item in s.web:
            kind, host = item[0], item[1]
            if kind == "vhost":
                w.web.vhost(host, *vhost_certs[item[2]])
                w.web.put(host, POLICY_PATH, policy(domain=host[len("mta-sts."):]))
            else:
                getattr(w.web, kind)(host, *item[2:])
        w.web.start()

        w.dns = NsdServer(s.zones, workdir=w.dir / "nsd")
        w.servers.append(w.dns)
        w.pf_good = postfix.Postfix("dom-good", cert=chain, key=good_key)
        w.servers.append(w.pf_good)
        w.pf_good.start()
        w.pf_bad = postfix.Postfix("dom-bad", cert=bad_cert, key=bad_key)
        w.servers.append(w.pf_bad)
        w.pf_bad.start()
    except BaseException:
        stop_world(w)
        raise
    return w


def stop_world(w):
    for srv in reversed(w.servers):
        srv.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    _need(dnszones, "NSD")
    _need(nginx_https, "nginx")
    _need(postfix, "Postfix")
    w = build_world(tmp_path_factory.mktemp("domain"))
    yield w
    stop_world(w)


def base_args(w, port="good"):
    pf = {"good": w.pf_good, "bad": w.pf_bad}[port]
    return ["--resolver", w.dns.resolver, "--trust-anchor", w.dns.trust_anchor_file,
            "--port", pf.port, "--mta-sts-port", w.web.port, "--ca-file", w.ca.ca]


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    line = {"$schema": schema["$schema"], "$ref": "#/$defs/jsonl_line",
            "$defs": schema["$defs"]}
    return cls(schema), cls(line)


def schema_errors(v, doc):
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return "\n".join("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
                     for e in errs)


@pytest.fixture(scope="module")
def scan(world, run_json):
    """scan(domain, port="good", quick=True, *extra) -> (rc, doc, stderr), run
    once per argument list (scan.docs: every document, for the schema test)."""
    cache = {}

    def get(domain, port="good", quick=True, *extra):
        key = (domain, port, quick, extra)
        if key not in cache:
            args = ["domain"] + base_args(world, port) + (["--quick"] if quick else [])
            args += list(extra) + [domain]
            cache[key] = run_json(*args, timeout=90)
        return cache[key]

    get.docs = cache
    return get


# --------------------------------------------------------------------------
# helpers


def dom_findings(doc):
    return {f["id"]: f for f in doc["domain"]["findings"]}


def ep_findings(ep):
    return {f["id"]: f for f in ep["findings"]}


def the_ep(doc, host=None):
    eps = [e for e in doc["endpoints"] if host is None or e["host"] == host]
    assert len(eps) == 1, [(e["host"], e["address"]) for e in doc["endpoints"]]
    return eps[0]


def assert_ids(found, present=(), absent=(), where=""):
    """present: {id: severity} or ids; absent: ids."""
    ids = sorted(found)
    if isinstance(present, dict):
        for fid, sev in present.items():
            assert fid in found, "%s: %s missing from %s" % (where, fid, ids)
            assert found[fid]["severity"] == sev, (where, fid, found[fid])
    else:
        for fid in present:
            assert fid in found, "%s: %s missing from %s" % (where, fid, ids)
    for fid in absent:
        assert fid not in found, "%s: %s unexpected: %s" % (where, fid, found[fid])


def worst_domain(doc):
    sev = [SEVERITIES.index(f["severity"]) for f in doc["domain"]["findings"]]
    return SEVERITIES[max(sev)] if sev else None


DANE_IDS = ("dane-tlsa-unsigned", "dane-partial", "dane-unusable", "dnssec-bogus")
STS_IDS = ("mta-sts-missing", "mta-sts-txt-invalid", "mta-sts-policy-unavailable",
           "mta-sts-policy-invalid", "mta-sts-testing", "mta-sts-mode-none",
           "mta-sts-mx-not-covered", "mta-sts-max-age-short")
SPF_IDS = ("spf-missing", "spf-multiple", "spf-invalid", "spf-pass-all", "spf-neutral-all",
           "spf-too-many-lookups", "spf-ptr")
DMARC_IDS = ("dmarc-missing", "dmarc-multiple", "dmarc-invalid", "dmarc-p-none",
             "dmarc-pct-partial")
MX_IDS = ("mx-lookup-failed", "mx-missing", "mx-null")


def others(ids, *keep):
    return [i for i in ids if i not in keep]


# --------------------------------------------------------------------------
# 1. both: DANE and MTA-STS enforce


def test_both(scan):
    rc, doc, err = scan("both.test")
    d = doc["domain"]
    assert d["name"] == "both.test"
    assert d["verdict"]["level"] == "both", d["verdict"]
    assert d["mx"]["dnssec"] == "secure" and d["mx"]["error"] is None
    assert not d["mx"]["null_mx"] and not d["mx"]["implicit"]
    [h] = d["mx"]["hosts"]
    assert (h["name"], h["preference"], h["addresses"]) == ("mx.both.test", 10, ["127.0.0.1"])
    assert h["addresses_dnssec"] == "secure" and h["mta_sts_match"] is True
    assert h["tlsa"]["name"] == "_25._tcp.mx.both.test" and h["tlsa"]["dnssec"] == "secure"
    assert d["mta_sts"]["policy"] == {"mode": "enforce", "max_age": 604800,
                                      "mx": ["mx.both.test"]}
    assert d["mta_sts"]["id"] == "20260101" and d["mta_sts"]["error"] is None
    assert d["mta_sts"]["fetch"]["status"] == 200
    assert d["mta_sts"]["txt"]["dnssec"] == "secure"
    assert d["tls_rpt"]["rua"] == ["mailto:tls@both.test"]
    assert (d["spf"]["all"], d["spf"]["lookups"], d["spf"]["ptr"]) == ("-", 1, False)
    assert (d["dmarc"]["p"], d["dmarc"]["pct"]) == ("reject", 100)
    # nothing at low or above in the domain's findings
    assert all(f["severity"] in ("ok", "info") for f in d["findings"]), d["findings"]
    assert_ids(dom_findings(doc), absent=DANE_IDS + STS_IDS + SPF_IDS + DMARC_IDS + MX_IDS
               + ("tls-rpt-missing", "tls-rpt-invalid", "dnssec-unsigned"))
    ep = the_ep(doc)
    assert (ep["host"], ep["address"], ep["mode"], ep["starttls"]) == \
        ("mx.both.test", "127.0.0.1", "starttls", "smtp")
    assert ep["auth_policy"] == "dane"
    assert ep["dane"]["ok"] is True, ep["dane"]
    assert ep["dane"]["matched"] == {"usage": 3, "selector": 1, "mtype": 1, "depth": 0}
    assert "3 1 1" in ep["dane"]["message"]
    assert_ids(ep_findings(ep), absent=("dane-mismatch", "mta-sts-mx-cert-invalid"))
    assert ep["tls"]["verify"]["code"] == 0
    assert ep["grade"] is None  # --quick
    assert rc == 0, err


def test_both_tlsa_data_is_the_spki_sha256(scan, world):
    """The record served is what openssl computes, and mailtls shows it."""
    _, doc, _ = scan("both.test")
    pem = subprocess.run([OPENSSL, "x509", "-in", world.good_leaf, "-noout", "-pubkey"],
                         capture_output=True, check=True).stdout
    der = subprocess.run([OPENSSL, "pkey", "-pubin", "-outform", "DER"], input=pem,
                         capture_output=True, check=True).stdout
    want = hashlib.sha256(der).hexdigest()
    assert want == world.scen.tlsa_good
    [h] = doc["domain"]["mx"]["hosts"]
    assert h["tlsa"]["records"] == [{"usage": 3, "selector": 1, "mtype": 1, "data": want}]
    # the server really sends this key: the endpoint's leaf has this SPKI hash
    assert the_ep(doc)["certificates"][0]["spki_sha256"] == want


def s_client_dane(port, base, rrdata):
    p = subprocess.run([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-starttls", "smtp", "-dane_tlsa_domain", base,
                        "-dane_tlsa_rrdata", rrdata],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    return p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def test_dane_agrees_with_s_client(scan, world):
    good = "3 1 1 " + world.scen.tlsa_good
    out = s_client_dane(world.pf_good.port, "mx.both.test", good)
    assert "Verification: OK" in out, out
    assert re.search(r"DANE TLSA 3 1 1 \.\.\.[0-9a-f]*%s matched EE certificate at depth 0"
                     % world.scen.tlsa_good[-16:], out, re.I), out
    _, doc, _ = scan("both.test")
    assert the_ep(doc)["dane"]["ok"] is True
    # the mismatch zone's record, against the same Postfix
    [h] = scan("danebad.test", "good", False)[1]["domain"]["mx"]["hosts"]
    bad = "3 1 1 " + h["tlsa"]["records"][0]["data"]
    out = s_client_dane(world.pf_good.port, "mx.danebad.test", bad)
    assert "Verification: OK" not in out, out
    assert re.search(r"Verification error: .*(TLSA|DANE)", out, re.I), out
    # DANE-TA with the CA's key: OpenSSL matches at depth 1, as mailtls does
    out = s_client_dane(world.pf_good.port, "mx.daneta.test", "2 1 1 " + world.scen.tlsa_ca)
    assert "Verification: OK" in out and re.search(r"matched TA certificate at depth 1", out), out
    assert the_ep(scan("daneta.test")[1])["dane"]["matched"]["depth"] == 1


def test_both_text_report(world, run_mailtls):
    rc, out, err = run_mailtls("domain", *base_args(world), "--quick", "both.test")
    assert rc == 0, err
    assert out.startswith("== Domain both.test ==\n"), out[:200]
    assert re.search(r"^  Downgrade +both$", out, re.M), out
    assert "TLSA 3 1 1 %s" % world.scen.tlsa_good[:16] in out
    assert re.search(r"^  MX policy +dane$", out, re.M), out
    assert "== mx.both.test port %d (127.0.0.1), STARTTLS smtp ==" % world.pf_good.port in out


# --------------------------------------------------------------------------
# 2-3. DANE only, DANE-TA, DANE-EE on an untrusted certificate


def test_dane_only(scan):
    rc, doc, err = scan("dane.test")
    d = doc["domain"]
    assert d["verdict"]["level"] == "dane", d["verdict"]
    assert_ids(dom_findings(doc), {"mta-sts-missing": "info"},
               DANE_IDS + tuple(others(STS_IDS, "mta-sts-missing")) + ("dnssec-unsigned",))
    assert d["mta_sts"]["fetch"] is None and d["mta_sts"]["policy"] is None
    ep = the_ep(doc)
    assert ep["auth_policy"] == "dane"
    assert ep["dane"]["ok"] is True
    assert ep["dane"]["matched"] == {"usage": 3, "selector": 1, "mtype": 1, "depth": 0}
    assert_ids(ep_findings(ep), absent=("dane-mismatch", "mta-sts-mx-cert-invalid"))
    assert rc == 0, err


def test_dane_ta_matches_the_ca_at_depth_1(scan, world):
    rc, doc, err = scan("daneta.test")
    assert doc["domain"]["verdict"]["level"] == "dane"
    [h] = doc["domain"]["mx"]["hosts"]
    assert h["tlsa"]["records"] == [{"usage": 2, "selector": 1, "mtype": 1,
                                     "data": world.scen.tlsa_ca}]
    ep = the_ep(doc)
    assert [c["depth"] for c in ep["certificates"]] == [0, 1]  # leaf + CA sent
    assert ep["auth_policy"] == "dane"
    assert ep["dane"]["ok"] is True, ep["dane"]
    assert ep["dane"]["matched"] == {"usage": 2, "selector": 1, "mtype": 1, "depth": 1}
    assert_ids(ep_findings(ep), absent=("dane-mismatch",))
    assert_ids(dom_findings(doc), absent=DANE_IDS)
    assert rc == 0, err


def test_dane_ta_needs_the_ca_in_the_chain(scan):
    """The same 2 1 1 record (the test CA) against the Postfix that sends a
    leaf of another CA, alone: no match, dane-mismatch."""
    rc, doc, _ = scan("daneta.test", "bad")
    ep = the_ep(doc)
    assert len(ep["certificates"]) == 1
    assert ep["dane"]["ok"] is False and ep["dane"]["matched"] is None
    assert_ids(ep_findings(ep), {"dane-mismatch": "high"})
    assert rc == 1


def test_dane_ee_ignores_trust_and_grade_follows_dane(scan):
    """3 1 1 of a certificate no CA here signed: DANE-EE matches, no
    mta-sts-mx-cert-invalid, and the full run's grade is not capped for
    trust (DANE decides, RFC 7672)."""
    rc, doc, err = scan("daneee.test", "bad", False)
    assert doc["domain"]["verdict"]["level"] == "dane"
    ep = the_ep(doc)
    assert ep["tls"]["verify"]["code"] != 0  # PKIX fails
    assert ep["auth_policy"] == "dane"
    assert ep["dane"]["ok"] is True and ep["dane"]["matched"]["usage"] == 3
    g = ep["grade"]
    assert g is not None
    assert g["authentication"].startswith("DANE: "), g
    assert "3 1 1" in g["authentication"]
    assert g["letter"] != "F", g
    assert not any("TLSA" in c or "verify" in c for c in g["caps"]), g
    assert_ids(ep_findings(ep), absent=("dane-mismatch", "mta-sts-mx-cert-invalid"))


# --------------------------------------------------------------------------
# 4. dane-mismatch (full run: the grade)


def test_dane_mismatch(scan):
    rc, doc, err = scan("danebad.test", "good", False)
    d = doc["domain"]
    assert d["verdict"]["level"] == "dane", d["verdict"]  # declared
    assert_ids(dom_findings(doc), {"mta-sts-missing": "info"}, DANE_IDS)
    ep = the_ep(doc)
    assert ep["auth_policy"] == "dane"
    assert ep["dane"]["ok"] is False and ep["dane"]["matched"] is None, ep["dane"]
    assert ep["dane"]["message"]
    assert_ids(ep_findings(ep), {"dane-mismatch": "high"}, ("mta-sts-mx-cert-invalid",))
    assert ep["tls"]["verify"]["code"] == 0  # PKIX is fine: DANE is what fails
    g = ep["grade"]
    assert g is not None and g["letter"] == "F", g
    assert "DANE" in g["authentication"] and "fails" in g["authentication"], g
    assert any("TLSA" in c for c in g["caps"]), g
    assert rc == 1


def test_pkix_ee_only_is_unusable(scan):
    rc, doc, _ = scan("unusable.test")
    d = doc["domain"]
    assert d["verdict"]["level"] == "none"
    assert_ids(dom_findings(doc), {"dane-unusable": "medium"},
               ("dane-partial", "dane-tlsa-unsigned", "dnssec-bogus"))
    ep = the_ep(doc)
    assert ep["auth_policy"] == "none"
    assert_ids(ep_findings(ep), absent=("dane-mismatch",))


# --------------------------------------------------------------------------
# 5-6. TLSA without DNSSEC; bogus


def test_tlsa_in_unsigned_zone(scan):
    rc, doc, err = scan("tlsaplain.test")
    d = doc["domain"]
    assert d["verdict"]["level"] == "none", d["verdict"]
    assert d["mx"]["dnssec"] == "insecure"
    [h] = d["mx"]["hosts"]
    assert h["tlsa"]["dnssec"] == "insecure" and len(h["tlsa"]["records"]) == 1
    assert_ids(dom_findings(doc), {"dane-tlsa-unsigned": "medium", "dnssec-unsigned": "info"},
               ("dane-partial", "dane-unusable", "dnssec-bogus"))
    ep = the_ep(doc)
    assert ep["dane"] is None  # no DANE handshake
    assert ep["auth_policy"] == "none"
    assert_ids(ep_findings(ep), absent=("dane-mismatch",))
    assert rc == 0, err


def test_bogus_zone(scan):
    rc, doc, err = scan("bogus.test")
    d = doc["domain"]
    assert d["mx"]["dnssec"] == "bogus"
    assert_ids(dom_findings(doc), {"dnssec-bogus": "high"}, ("dnssec-unsigned",))
    assert d["verdict"]["level"] not in ("dane", "both")
    # the addresses (bogus too) are scanned, without DANE
    ep = the_ep(doc)
    assert ep["dane"] is None and ep["auth_policy"] == "none"
    assert d["mx"]["hosts"][0]["addresses_dnssec"] == "bogus"
    assert d["mx"]["hosts"][0]["tlsa"]["dnssec"] == "bogus"
    assert rc == 1, err


def test_bogus_tlsa_under_secure_mx(scan):
    rc, doc, err = scan("badtlsa.test")
    d = doc["domain"]
    assert d["mx"]["dnssec"] == "secure"
    [h] = d["mx"]["hosts"]
    assert h["addresses_dnssec"] == "secure"
    assert h["tlsa"]["dnssec"] == "bogus"
    assert h["tlsa"]["error"] and "signature" in h["tlsa"]["error"], h["tlsa"]
    assert d["verdict"]["level"] == "none"
    assert_ids(dom_findings(doc), {"dnssec-bogus": "high"}, ("dnssec-unsigned", "dane-partial"))
    ep = the_ep(doc)
    assert ep["dane"] is None and ep["auth_policy"] == "none"
    assert rc == 1


# --------------------------------------------------------------------------
# 7. partial


def test_dane_partial(scan):
    rc, doc, err = scan("partial.test")
    d = doc["domain"]
    assert [h["name"] for h in d["mx"]["hosts"]] == ["mx1.partial.test", "mx2.partial.test"]
    assert [h["preference"] for h in d["mx"]["hosts"]] == [10, 20]
    assert d["verdict"]["level"] == "none", d["verdict"]
    assert_ids(dom_findings(doc), {"dane-partial": "medium"},
               ("dane-tlsa-unsigned", "dane-unusable", "dnssec-bogus"))
    assert "1 of the 2" in dom_findings(doc)["dane-partial"]["detail"]
    e1, e2 = the_ep(doc, "mx1.partial.test"), the_ep(doc, "mx2.partial.test")
    assert e1["auth_policy"] == "dane" and e1["dane"]["ok"] is True
    assert e2["auth_policy"] == "none" and e2["dane"] is None
    assert rc == 0, err


# --------------------------------------------------------------------------
# 8-9. MTA-STS enforce / testing, with a certificate that verifies or not


def test_mta_sts_enforce(scan):
    rc, doc, err = scan("sts.test")
    d = doc["domain"]
    assert d["verdict"]["level"] == "mta-sts-enforce", d["verdict"]
    assert d["mx"]["dnssec"] == "insecure"
    assert d["mta_sts"]["policy"]["mode"] == "enforce"
    assert d["mta_sts"]["fetch"]["content_type"] == "text/plain"
    assert d["mx"]["hosts"][0]["mta_sts_match"] is True
    assert_ids(dom_findings(doc), absent=STS_IDS + DANE_IDS)
    ep = the_ep(doc)
    assert ep["auth_policy"] == "mta-sts-enforce"
    assert ep["dane"] is None
    assert_ids(ep_findings(ep), absent=("mta-sts-mx-cert-invalid", "dane-mismatch"))
    assert rc == 0, err


def test_mta_sts_enforce_cert_invalid(scan):
    rc, doc, err = scan("sts.test", "bad", False)
    assert doc["domain"]["verdict"]["level"] == "mta-sts-enforce"
    ep = the_ep(doc)
    assert ep["auth_policy"] == "mta-sts-enforce"
    assert ep["tls"]["verify"]["code"] != 0
    assert_ids(ep_findings(ep), {"mta-sts-mx-cert-invalid": "high"}, ("dane-mismatch",))
    g = ep["grade"]
    assert g is not None and g["letter"] == "F", g
    assert "MTA-STS" in g["authentication"] and "enforce" in g["authentication"], g
    assert rc == 1


def test_mta_sts_testing(scan):
    rc, doc, err = scan("testing.test")
    d = doc["domain"]
    assert d["verdict"]["level"] == "mta-sts-testing", d["verdict"]
    assert_ids(dom_findings(doc), {"mta-sts-testing": "low"},
               others(STS_IDS, "mta-sts-testing"))
    ep = the_ep(doc)
    assert ep["auth_policy"] == "mta-sts-testing"
    assert_ids(ep_findings(ep), absent=("mta-sts-mx-cert-invalid",))
    assert rc == 0, err


def test_mta_sts_testing_cert_invalid_is_medium(scan):
    rc, doc, err = scan("testing.test", "bad")
    ep = the_ep(doc)
    assert ep["auth_policy"] == "mta-sts-testing"
    assert_ids(ep_findings(ep), {"mta-sts-mx-cert-invalid": "medium"})
    assert doc["domain"]["verdict"]["level"] == "mta-sts-testing"


def test_mta_sts_text_report(world, run_mailtls):
    rc, out, err = run_mailtls("domain", *base_args(world, "bad"), "--quick", "sts.test")
    assert rc == 1, err
    assert re.search(r"^  Downgrade +mta-sts-enforce$", out, re.M), out
    assert re.search(r"^  MX policy +mta-sts-enforce$", out, re.M), out
    assert "(mta-sts-mx-cert-invalid)" in out


# --------------------------------------------------------------------------
# 10. the policy cannot be used


@pytest.mark.parametrize("domain,detail", [
    ("p404.test", r"HTTP status 404"),
    ("predir.test", r"HTTP 301 redirect to https://mta-sts\.sts\.test/"),
    ("pctype.test", r"Content-Type is text/html"),
    ("pwrongcert.test", r"subject name matches target host name 'mta-sts\.pwrongcert\.test'"),
    ("pexpired.test", r"certificate has expired"),
    ("pbig.test", r"body over 65536 bytes"),
])
def test_policy_unavailable(scan, domain, detail):
    rc, doc, err = scan(domain)
    d = doc["domain"]
    assert d["verdict"]["level"] == "none", d["verdict"]
    assert d["mta_sts"]["txt"]["valid"] is True and d["mta_sts"]["policy"] is None
    assert d["mta_sts"]["error"] and re.search(detail, d["mta_sts"]["error"]), d["mta_sts"]
    f = dom_findings(doc)
    assert_ids(f, {"mta-sts-policy-unavailable": "high"},
               others(STS_IDS, "mta-sts-policy-unavailable"))
    assert re.search(detail, f["mta-sts-policy-unavailable"]["detail"])
    ep = the_ep(doc)
    assert ep["auth_policy"] == "none"
    assert d["mx"]["hosts"][0]["mta_sts_match"] is None
    assert rc == 1


def test_policy_redirect_not_followed(scan, world):
    _, doc, _ = scan("predir.test")
    fetch = doc["domain"]["mta_sts"]["fetch"]
    assert fetch["status"] == 301
    assert fetch["location"] == "https://mta-sts.sts.test" + POLICY_PATH
    assert "mta-sts.sts.test" in doc["domain"]["mta_sts"]["error"]


def test_policy_content_type_with_charset_is_fine(scan):
    rc, doc, err = scan("pcharset.test")
    d = doc["domain"]
    assert d["mta_sts"]["fetch"]["content_type"] == "text/plain; charset=utf-8"
    assert d["verdict"]["level"] == "mta-sts-enforce"
    assert_ids(dom_findings(doc), absent=STS_IDS)
    assert rc == 0, err


def test_policy_invalid_body(scan):
    """mode: bogus. The code reports it as mta-sts-policy-unavailable with
    the parse reason; docs/domain.md lists mta-sts-policy-invalid for "the
    policy file is malformed" (see the next test)."""
    rc, doc, err = scan("pinvalid.test")
    d = doc["domain"]
    assert d["verdict"]["level"] == "none"
    assert d["mta_sts"]["policy"] is None
    assert d["mta_sts"]["fetch"]["status"] == 200
    assert "mode" in d["mta_sts"]["error"] and "bogus" in d["mta_sts"]["error"]
    f = dom_findings(doc)
    sts = {k: v for k, v in f.items() if k.startswith("mta-sts-policy-")}
    assert len(sts) == 1, sorted(f)
    [only] = sts.values()
    assert only["severity"] == "high" and "bogus" in only["detail"]
    assert rc == 1


def test_policy_invalid_body_id_as_documented(scan):
    _, doc, _ = scan("pinvalid.test")
    assert_ids(dom_findings(doc), {"mta-sts-policy-invalid": "high"},
               ("mta-sts-policy-unavailable",))


# --------------------------------------------------------------------------
# 11. coverage, max_age


def test_mx_not_covered_enforce(scan):
    rc, doc, err = scan("notcovered.test")
    d = doc["domain"]
    assert d["verdict"]["level"] == "mta-sts-enforce"  # declared
    assert d["mx"]["hosts"][0]["mta_sts_match"] is False
    f = dom_findings(doc)
    assert_ids(f, {"mta-sts-mx-not-covered": "high"}, ("mta-sts-max-age-short",))
    assert "mx.notcovered.test" in f["mta-sts-mx-not-covered"]["detail"]
    ep = the_ep(doc)
    assert ep["auth_policy"] == "none"
    assert_ids(ep_findings(ep), absent=("mta-sts-mx-cert-invalid",))
    assert rc == 1


def test_mx_not_covered_testing_is_medium(scan):
    rc, doc, err = scan("nctesting.test")
    assert_ids(dom_findings(doc), {"mta-sts-mx-not-covered": "medium", "mta-sts-testing": "low"})
    assert rc == 0, err


def test_max_age_short_and_wildcard_mx(scan):
    rc, doc, err = scan("maxage.test")
    d = doc["domain"]
    assert d["mta_sts"]["policy"] == {"mode": "enforce", "max_age": 3600,
                                      "mx": ["*.maxage.test"]}
    assert d["mx"]["hosts"][0]["mta_sts_match"] is True
    assert_ids(dom_findings(doc), {"mta-sts-max-age-short": "low"},
               ("mta-sts-mx-not-covered", "mta-sts-policy-unavailable"))
    assert the_ep(doc)["auth_policy"] == "mta-sts-enforce"
    assert d["verdict"]["level"] == "mta-sts-enforce"
    assert rc == 0, err


# --------------------------------------------------------------------------
# 12. TXT records


def test_two_sts_txt_records(scan):
    rc, doc, err = scan("txt2.test")
    d = doc["domain"]
    assert sorted(d["mta_sts"]["txt"]["records"]) == ["v=STSv1; id=1", "v=STSv1; id=2"]
    assert d["mta_sts"]["txt"]["valid"] is False
    assert d["mta_sts"]["fetch"] is None  # no policy fetch without a valid TXT
    assert_ids(dom_findings(doc), {"mta-sts-txt-invalid": "medium"},
               others(STS_IDS, "mta-sts-txt-invalid"))
    assert d["verdict"]["level"] == "none"


def test_malformed_sts_txt_and_tlsrpt_without_rua(scan):
    rc, doc, err = scan("txtbad.test")
    d = doc["domain"]
    assert d["mta_sts"]["txt"]["records"] == ["v=STSv1; id="]
    assert d["mta_sts"]["txt"]["valid"] is False and d["mta_sts"]["txt"]["error"]
    assert d["mta_sts"]["fetch"] is None
    assert d["tls_rpt"]["record"]["valid"] is False and d["tls_rpt"]["record"]["error"]
    assert_ids(dom_findings(doc), {"mta-sts-txt-invalid": "medium", "tls-rpt-invalid": "medium"},
               ["tls-rpt-missing"] + others(STS_IDS, "mta-sts-txt-invalid"))
    assert "rua" in dom_findings(doc)["tls-rpt-invalid"]["detail"]


# --------------------------------------------------------------------------
# 13-14. SPF and DMARC


@pytest.mark.parametrize("domain,spf,dmarc", [
    ("spfnone.test", {"spf-missing": "medium"}, {"dmarc-missing": "medium"}),
    ("spf2.test", {"spf-multiple": "high"}, {"dmarc-p-none": "low"}),
    ("spfplus.test", {"spf-pass-all": "high"}, {"dmarc-pct-partial": "low"}),
    ("spfneutral.test", {"spf-neutral-all": "low"}, {"dmarc-multiple": "high"}),
    ("spfdeep.test", {"spf-too-many-lookups": "high"}, {"dmarc-invalid": "high"}),
    ("spften.test", {}, {}),
    ("spfinc.test", {"spf-invalid": "high"}, {}),
    ("spfptr.test", {"spf-ptr": "low"}, {}),
])
def test_spf_dmarc(scan, domain, spf, dmarc):
    rc, doc, err = scan(domain)
    f = dom_findings(doc)
    assert_ids(f, spf, [i for i in SPF_IDS if i not in spf], where=domain)
    assert_ids(f, dmarc, [i for i in DMARC_IDS if i not in dmarc], where=domain)
    want_rc = 1 if any(s in HIGH_OR_ABOVE for s in list(spf.values()) + list(dmarc.values())) \
        else 0
    assert rc == want_rc, (rc, worst_domain(doc), err)


def test_tls_rpt_missing(scan):
    _, doc, _ = scan("spfnone.test")
    assert doc["domain"]["tls_rpt"]["record"]["records"] == []
    assert_ids(dom_findings(doc), {"tls-rpt-missing": "low"}, ("tls-rpt-invalid",))
    _, doc, _ = scan("sts.test")
    assert doc["domain"]["tls_rpt"]["rua"] == ["mailto:tls@sts.test"]
    assert_ids(dom_findings(doc), absent=("tls-rpt-missing", "tls-rpt-invalid"))


def test_spf_records_in_json(scan):
    d = scan("spf2.test")[1]["domain"]
    assert sorted(d["spf"]["record"]["records"]) == ["v=spf1 a -all", "v=spf1 mx -all"]
    assert d["dmarc"]["p"] == "none"
    d = scan("spfplus.test")[1]["domain"]
    assert d["spf"]["all"] == "+" and d["dmarc"]["pct"] == 50
    assert d["dmarc"]["p"] == "quarantine"
    d = scan("spfneutral.test")[1]["domain"]
    assert d["spf"]["all"] == "?" and len(d["dmarc"]["record"]["records"]) == 2
    d = scan("spfptr.test")[1]["domain"]
    assert d["spf"]["ptr"] is True
    d = scan("spfnone.test")[1]["domain"]
    assert d["spf"]["record"]["records"] == [] and d["dmarc"]["record"]["records"] == []
    d = scan("spfdeep.test")[1]["domain"]
    assert d["dmarc"]["record"]["valid"] is False
    assert "bogus" in d["dmarc"]["record"]["error"]


def test_spf_lookup_count(scan, world):
    """Count by hand from the zone: include, a, mx, ptr, exists and redirect
    each cost one lookup (RFC 7208 4.6.4)."""
    zones = {z.name: z for z in world.scen.zones}

    def count(zone, name, limit=10):
        txt = {}
        for line in zones[zone].lines:
            m = re.match(r'(\S+) TXT "(v=spf1[^"]*)"', line)
            if m:
                owner = zone if m.group(1) == "@" else "%s.%s" % (m.group(1), zone)
                txt[owner] = m.group(2)
        total, todo = 0, [name]
        while todo and total <= limit:
            terms = txt[todo.pop(0)].split()[1:]
            total += sum(1 for t in terms
                         if re.match(r"[-+~?]?(include|a|mx|ptr|exists)\b", t)
                         or t.startswith("redirect="))
            todo += [t.split(":", 1)[1] for t in terms if t.startswith("include:")]
        return total

    assert count("spfdeep.test", "spfdeep.test") == 13
    assert count("spften.test", "spften.test") == 10
    d = scan("spfdeep.test")[1]["domain"]
    assert d["spf"]["lookups"] == 13
    assert "13" in dom_findings(scan("spfdeep.test")[1])["spf-too-many-lookups"]["detail"]
    assert scan("spften.test")[1]["domain"]["spf"]["lookups"] == 10


def test_spf_include_without_spf(scan):
    _, doc, _ = scan("spfinc.test")
    d = doc["domain"]
    assert d["spf"]["record"]["valid"] is True
    assert len(d["spf"]["problems"]) == 1 and "nospf.spfinc.test" in d["spf"]["problems"][0]
    assert "nospf.spfinc.test" in dom_findings(doc)["spf-invalid"]["detail"]


# --------------------------------------------------------------------------
# 15. MX: null, implicit, NXDOMAIN, unresolvable


def test_null_mx(scan):
    rc, doc, err = scan("nullmx.test")
    d = doc["domain"]
    assert d["mx"]["null_mx"] is True and d["mx"]["hosts"] == []
    assert doc["endpoints"] == []
    assert_ids(dom_findings(doc), {"mx-null": "info"},
               ("mx-missing", "mx-lookup-failed") + STS_IDS + ("tls-rpt-missing",))
    assert rc == 0, err


def test_implicit_mx(scan):
    rc, doc, err = scan("implicit.test")
    d = doc["domain"]
    assert d["mx"]["implicit"] is True
    assert [h["name"] for h in d["mx"]["hosts"]] == ["implicit.test"]
    assert_ids(dom_findings(doc), {"mx-missing": "low"}, ("mx-null", "mx-lookup-failed"))
    ep = the_ep(doc)
    assert ep["host"] == "implicit.test" and ep["tls"]["verify"]["code"] == 0
    assert rc == 0, err


def test_nxdomain(scan):
    rc, doc, err = scan("nothere.both.test")
    d = doc["domain"]
    assert d["mx"]["error"] and "NXDOMAIN" in d["mx"]["error"]
    assert doc["endpoints"] == []
    assert_ids(dom_findings(doc), {"mx-lookup-failed": "high"}, ("mx-missing", "mx-null"))
    assert rc == 3


def test_only_mx_does_not_resolve(scan):
    rc, doc, err = scan("unres.test")
    d = doc["domain"]
    [h] = d["mx"]["hosts"]
    assert h["name"] == "nohost.unres.test" and h["addresses"] == [] and h["error"]
    assert doc["endpoints"] == []
    assert rc == 3


def test_one_of_two_mx_does_not_resolve(scan):
    rc, doc, err = scan("unres2.test")
    hosts = {h["name"]: h for h in doc["domain"]["mx"]["hosts"]}
    assert hosts["nohost.unres2.test"]["error"] and hosts["mx.unres2.test"]["error"] is None
    assert [e["host"] for e in doc["endpoints"]] == ["mx.unres2.test"]
    assert rc != 3


# --------------------------------------------------------------------------
# more DANE, MTA-STS, SPF, names and exit codes


@pytest.mark.parametrize("domain,rr", [
    ("danesel0.test", (3, 0, 1)),     # SHA-256 of the whole certificate
    ("dane512.test", (3, 1, 2)),      # SHA-512 of the SPKI
    ("danefull.test", (3, 1, 0)),     # the SPKI itself
    ("danemix.test", (3, 1, 1)),      # an old key's record next to the right one
])
def test_dane_ee_variants(scan, world, domain, rr):
    rc, doc, err = scan(domain)
    [h] = doc["domain"]["mx"]["hosts"]
    want = tlsa_data(world.good_leaf, rr[1], rr[2])
    assert want in [r["data"] for r in h["tlsa"]["records"]]
    ep = the_ep(doc)
    assert ep["dane"]["ok"] is True, ep["dane"]
    assert ep["dane"]["matched"] == {"usage": rr[0], "selector": rr[1], "mtype": rr[2],
                                     "depth": 0}
    assert doc["domain"]["verdict"]["level"] == "dane"
    assert_ids(ep_findings(ep), absent=("dane-mismatch",))
    assert_ids(dom_findings(doc), absent=DANE_IDS)
    assert rc == 0, err


def test_dane_digest_of_wrong_length_is_unusable(scan):
    rc, doc, err = scan("daneshort.test")
    assert doc["domain"]["verdict"]["level"] == "none"
    assert_ids(dom_findings(doc), {"dane-unusable": "medium"}, ("dane-partial", "dnssec-bogus"))
    ep = the_ep(doc)
    assert ep["auth_policy"] == "none"
    assert ep["dane"] is None or ep["dane"]["ok"] is False
    assert_ids(ep_findings(ep), absent=("dane-mismatch",))


def test_unsigned_mx_rrset_means_no_dane(scan):
    """mx.dane.test has signed TLSA records, but this domain's MX RRset is
    not signed: no DANE (docs/domain.md: "and the MX RRset is signed")."""
    rc, doc, err = scan("unsignedmx.test")
    d = doc["domain"]
    assert d["mx"]["dnssec"] == "insecure"
    [h] = d["mx"]["hosts"]
    assert h["name"] == "mx.dane.test" and h["tlsa"]["dnssec"] == "secure"
    assert d["verdict"]["level"] == "none"
    assert_ids(dom_findings(doc), {"dnssec-unsigned": "info"}, ("dane-partial",))
    ep = the_ep(doc)
    assert ep["auth_policy"] == "none" and ep["dane"] is None


def test_dane_and_sts_on_a_certificate_only_dane_accepts(scan):
    rc, doc, err = scan("bothbad.test", "bad")
    assert doc["domain"]["verdict"]["level"] == "both"
    ep = the_ep(doc)
    assert ep["auth_policy"] == "dane" and ep["dane"]["ok"] is True
    assert ep["tls"]["verify"]["code"] != 0
    assert doc["domain"]["mx"]["hosts"][0]["mta_sts_match"] is True


def test_dane_and_sts_cert_invalid_for_sts_senders(scan):
    rc, doc, err = scan("bothbad.test", "bad")
    assert_ids(ep_findings(the_ep(doc)), {"mta-sts-mx-cert-invalid": "high"})


def test_sts_mode_none(scan):
    rc, doc, err = scan("stsnone.test")
    d = doc["domain"]
    assert d["mta_sts"]["policy"]["mode"] == "none"
    assert d["verdict"]["level"] == "none"
    assert_ids(dom_findings(doc), {"mta-sts-mode-none": "info"},
               others(STS_IDS, "mta-sts-mode-none"))
    assert the_ep(doc)["auth_policy"] == "none"


def test_sts_policy_with_crlf_lines(scan):
    rc, doc, err = scan("stscrlf.test")
    d = doc["domain"]
    assert d["mta_sts"]["policy"] == {"mode": "enforce", "max_age": 604800,
                                      "mx": ["mx.stscrlf.test"]}
    assert d["verdict"]["level"] == "mta-sts-enforce"
    assert rc == 0, err


def test_sts_policy_without_content_type(scan):
    rc, doc, err = scan("stsnoctype.test")
    d = doc["domain"]
    assert d["mta_sts"]["fetch"]["content_type"] is None
    assert "Content-Type is missing" in d["mta_sts"]["error"]
    assert_ids(dom_findings(doc), {"mta-sts-policy-unavailable": "high"})
    assert d["verdict"]["level"] == "none"
    assert rc == 1


def test_sts_policy_host_does_not_resolve(scan):
    rc, doc, err = scan("stsnohost.test")
    d = doc["domain"]
    assert d["mta_sts"]["fetch"] is None or d["mta_sts"]["fetch"]["status"] is None
    assert "mta-sts.stsnohost.test" in d["mta_sts"]["error"]
    assert "NXDOMAIN" in d["mta_sts"]["error"]
    assert_ids(dom_findings(doc), {"mta-sts-policy-unavailable": "high"})
    assert rc == 1


def test_sts_txt_in_two_strings_with_extension(scan):
    rc, doc, err = scan("stssplit.test")
    d = doc["domain"]
    assert d["mta_sts"]["txt"]["records"] == ["v=STSv1; id=split1; ext=1"]
    assert d["mta_sts"]["id"] == "split1"
    assert d["verdict"]["level"] == "mta-sts-enforce"
    assert_ids(dom_findings(doc), absent=STS_IDS)
    assert rc == 0, err


def test_sts_wildcard_covers_one_label(scan):
    rc, doc, err = scan("wild.test")
    hosts = {h["name"]: h["mta_sts_match"] for h in doc["domain"]["mx"]["hosts"]}
    assert hosts == {"mx.wild.test": True, "a.b.wild.test": False}
    f = dom_findings(doc)
    assert_ids(f, {"mta-sts-mx-not-covered": "high"})
    assert "a.b.wild.test" in f["mta-sts-mx-not-covered"]["detail"]
    assert the_ep(doc, "mx.wild.test")["auth_policy"] == "mta-sts-enforce"
    assert the_ep(doc, "a.b.wild.test")["auth_policy"] == "none"


def test_spf_redirect_followed(scan):
    rc, doc, err = scan("spfredir.test")
    d = doc["domain"]
    assert d["spf"]["lookups"] == 2  # redirect + the target's mx
    assert d["spf"]["problems"] == []
    assert_ids(dom_findings(doc), absent=("spf-invalid", "spf-missing",
                                          "spf-too-many-lookups"))


def test_spf_redirect_to_minus_all_is_not_neutral(scan):
    rc, doc, err = scan("spfredir.test")
    assert_ids(dom_findings(doc), absent=("spf-neutral-all",))
    assert doc["domain"]["spf"]["all"] == "-"


def test_spf_record_in_two_strings(scan):
    rc, doc, err = scan("spfsplit.test")
    d = doc["domain"]
    assert d["spf"]["record"]["records"] == ["v=spf1 mx -all"]  # joined, no space added
    assert d["spf"]["all"] == "-"
    assert_ids(dom_findings(doc), absent=SPF_IDS)


def test_domain_name_normalised(scan):
    rc, doc, err = scan("BOTH.TEST.")
    assert doc["domain"]["name"] == "both.test"
    assert doc["domain"]["verdict"]["level"] == "both"
    assert the_ep(doc)["host"] == "mx.both.test"
    assert rc == 0, err


def test_fail_on_null_mx(scan):
    # null MX: only info findings
    assert scan("nullmx.test", "good", True, "--fail-on", "low")[0] == 0
    assert scan("nullmx.test", "good", True, "--fail-on", "info")[0] == 1


def test_fail_on_and_severity(scan):
    # dane-mismatch is high: accepted with --fail-on critical
    assert scan("danebad.test", "good", True, "--fail-on", "critical")[0] == 0
    # --severity hides, the exit code still counts (spf-pass-all is high)
    rc, doc, _ = scan("spfplus.test", "good", True, "--severity", "critical")
    assert doc["domain"]["findings"] == [] and rc == 1


@pytest.mark.parametrize("domain", ["nothere.both.test", "unres.test"])
def test_exit_3_says_why_on_stderr(scan, domain):
    rc, doc, err = scan(domain)
    assert rc == 3
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("mailtls: "), err
    assert doc["errors"], doc["errors"]


# --------------------------------------------------------------------------
# 16. output formats


CSV_HEADER = ["host", "port", "address", "id", "severity", "title", "detail", "cve", "fix"]


def test_csv_domain_rows(world, run_mailtls):
    rc, out, err = run_mailtls("domain", *base_args(world), "--quick", "--csv", "-",
                               "spfnone.test")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[0] == CSV_HEADER
    dom = [r for r in rows[1:] if r[3] == "spf-missing"]
    assert len(dom) == 1, rows
    assert dom[0][0] == "spfnone.test" and dom[0][1] == "" and dom[0][4] == "medium"
    ep_rows = [r for r in rows[1:] if r[0] == "mx.spfnone.test"]
    assert ep_rows and all(r[1] == str(world.pf_good.port) for r in ep_rows)


def test_hostile_txt_in_every_format(world, run_mailtls, scan):
    rc, doc, err = scan("hostile.test")
    d = doc["domain"]
    # JSON keeps it, the control as \xHH text (docs/json.md)
    assert d["spf"]["record"]["records"] == [HOSTILE_SPF.replace("\x1b", "\\x1B")]
    assert d["spf"]["record"]["valid"] is False
    assert_ids(dom_findings(doc), {"spf-invalid": "high"})
    args = ["domain"] + base_args(world) + ["--quick"]
    rc, text, err = run_mailtls(*args, "hostile.test")
    assert "\x1b" not in text and "\x1b" not in err
    assert "<script>alert(1)</script>" in text  # shown, harmless on a terminal
    rc, html, err = run_mailtls(*args, "--html", "-", "hostile.test")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script>" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x1b" not in html
    assert "hostile.test" in html
    level = d["verdict"]["level"]
    assert level in html


def test_html_shows_verdict(world, run_mailtls):
    rc, html, err = run_mailtls("domain", *base_args(world), "--quick", "--html", "-",
                                "both.test")
    assert rc == 0, err
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "both.test" in html and ">both<" in html


def test_jsonl_endpoints_then_domain(world, run_mailtls, validator):
    rc, out, err = run_mailtls("domain", *base_args(world), "--quick", "--jsonl",
                               "partial.test")
    lines = [json.loads(l) for l in out.splitlines()]
    for line in lines:
        errs = schema_errors(validator[1], line)
        assert not errs, errs
    assert [sorted(l) for l in lines] == \
        [["endpoint", "errors", "schema", "tool"]] * 2 + [["domain", "errors", "schema", "tool"]]
    assert sorted(l["endpoint"]["host"] for l in lines[:2]) == \
        ["mx1.partial.test", "mx2.partial.test"]
    assert lines[2]["domain"]["name"] == "partial.test"
    assert lines[2]["domain"]["verdict"]["level"] == "none"
    assert rc == 0, err


def test_jsonl_no_mx(world, run_mailtls, validator):
    rc, out, err = run_mailtls("domain", *base_args(world), "--quick", "--jsonl",
                               "nullmx.test")
    lines = [json.loads(l) for l in out.splitlines()]
    for line in lines:
        errs = schema_errors(validator[1], line)
        assert not errs, errs
    assert lines[-1]["domain"]["mx"]["null_mx"] is True
    assert all(l.get("endpoint") is None for l in lines[:-1])
    assert rc == 0, err


# --------------------------------------------------------------------------
# 17. usage


def test_usage_errors(run_mailtls):
    cases = [
        ["domain"],
        ["domain", "bad domain!"],
        ["domain", "--port", "0", "x.test"],
        ["domain", "--mta-sts-port", "70000", "x.test"],
        ["check", "--port", "25", "localhost"],
        ["check", "--mta-sts-port", "443", "localhost"],
        ["domain", "--starttls", "smtp", "x.test"],
        ["domain", "--implicit", "x.test"],
        ["domain", "a..b.test"],
    ]
    for argv in cases:
        rc, out, err = run_mailtls(*argv)
        assert rc == 2, (argv, rc, out, err)
        assert err.strip(), argv


def bad_anchors(world):
    garbage = world.dir / "garbage-anchor.ds"
    garbage.write_text("this is not a DS record\n")
    return [world.dir / "no-such-anchor.ds", garbage]


def anchor_args(world, anchor):
    return ["--resolver", world.dns.resolver, "--trust-anchor", anchor,
            "--port", world.pf_good.port, "--quick"]


def test_unreadable_trust_anchor_exit_code(run_mailtls, world, validator):
    """A trust anchor file that cannot be used: exit 3, no crash (the run
    helper also rejects any sanitizer report)."""
    for anchor in bad_anchors(world):
        rc, out, err = run_mailtls("domain", *anchor_args(world, anchor), "both.test")
        assert rc == 3, (anchor, rc, out, err)
        assert err.strip()
        rc, out, err = run_mailtls("domain", "--json", "-", *anchor_args(world, anchor),
                                   "both.test")
        assert rc == 3
        doc = json.loads(out)
        assert doc["endpoints"] == []
        errs = schema_errors(validator[0], doc)
        assert not errs, errs


def test_unreadable_trust_anchor_is_a_clear_setup_error(run_mailtls, world):
    for anchor in bad_anchors(world):
        rc, out, err = run_mailtls("domain", *anchor_args(world, anchor), "both.test")
        lines = [l for l in err.splitlines() if l.strip()]
        assert len(lines) == 1 and lines[0].startswith("mailtls: "), err
        assert anchor.name in lines[0], lines
        rc, out, err = run_mailtls("domain", "--json", "-", *anchor_args(world, anchor),
                                   "both.test")
        doc = json.loads(out)
        assert [e["stage"] for e in doc["errors"]] == ["setup"], doc["errors"]
        assert anchor.name in doc["errors"][0]["message"]
        assert "mx-lookup-failed" not in dom_findings(doc)


# --------------------------------------------------------------------------
# every JSON document of the runs above validates (this test runs last)


def test_every_document_validates(scan, validator):
    assert scan.docs, "no scan ran before this test"
    problems = []
    for key, (rc, doc, err) in sorted(scan.docs.items(), key=repr):
        for e in validator[0].iter_errors(doc):
            problems.append("%s: %s: %s" % (key, "/".join(map(str, e.absolute_path)),
                                                e.message))
    assert not problems, "\n".join(problems)


def test_dane_grade_validates(scan, validator):
    for args in (("danebad.test", "good", False), ("daneee.test", "bad", False)):
        doc = scan(*args)[1]
        assert the_ep(doc)["grade"] is not None
        errs = schema_errors(validator[0], doc)
        assert not errs, errs


DOC_PATH = REPO / "docs" / "domain.md"


def documented_domain_ids():
    """docs/domain.md's "Finding ids (domain level)" table -> {id: {severities}}."""
    text = DOC_PATH.read_text()
    table = text.split("## Finding ids (domain level)", 1)[1].split("\n## ", 1)[0]
    out = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or "`" not in cells[0]:
            continue
        ids = re.findall(r"`([a-z0-9-]+)`", cells[0])
        sevs = [s for s in re.findall(r"[a-z]+", cells[1]) if s in SEVERITIES]
        if len(ids) > 1 and len(sevs) == len(ids):   # the SPF and DMARC rows
            for i, s in zip(ids, sevs):
                out[i] = {s}
        else:
            for i in ids:
                out[i] = set(sevs)
    return out


def test_domain_finding_ids_documented(scan):
    """Every domain finding the runs above produced is in docs/domain.md with
    its severity (this test runs after them; downgrade-unprotected is the
    next test's)."""
    doc_ids = documented_domain_ids()
    assert len(doc_ids) >= 30, doc_ids
    scan("mxcname.test")  # its own test comes later in the file
    seen = {}
    for key, (rc, doc, err) in scan.docs.items():
        for f in (doc.get("domain") or {}).get("findings", []):
            seen.setdefault(f["id"], set()).add(f["severity"])
    assert len(seen) >= 25, sorted(seen)
    problems = []
    for fid, sevs in sorted(seen.items()):
        if fid not in doc_ids:
            problems.append("%s is not documented" % fid)
        elif not sevs <= doc_ids[fid]:
            problems.append("%s: severities %s, documented %s" % (fid, sevs, doc_ids[fid]))
    assert not problems, problems
    # the documented ids these scenarios never produce
    never = set(doc_ids) - set(seen)
    assert not never, never


def test_downgrade_unprotected_documented(scan):
    _, doc, _ = scan("spfnone.test")
    assert "downgrade-unprotected" in dom_findings(doc)
    assert "downgrade-unprotected" in documented_domain_ids()


def test_check_uses_the_resolver_option(run_json, world):
    """`mailtls check` takes --resolver too: a .test name that only the
    test NSD knows resolves, and the handshake reaches Postfix."""
    rc, doc, err = run_json("check", "--quick", "--starttls", "smtp",
                            "--resolver", world.dns.resolver,
                            "--ca-file", world.ca.ca,
                            "mx.both.test:%s" % world.pf_good.port)
    assert rc == 0, err
    ep = doc["endpoints"][0]
    assert ep["address"] == "127.0.0.1"
    assert ep["tls"]["verify"]["code"] == 0
    assert ep["auth_policy"] is None and ep["dane"] is None
    # without it, the system resolver does not know the name
    rc, doc, err = run_json("check", "--quick", "--starttls", "smtp",
                            "mx.both.test:%s" % world.pf_good.port)
    assert rc == 3 and doc["errors"][0]["stage"] == "resolve"


def test_dmarc_tree_walk(scan):
    """No _dmarc record at the domain: the parent's applies, by its sp=."""
    rc, doc, _ = scan("sub.dmarcwalk.test")
    d = doc["domain"]
    assert d["dmarc"]["from"] == "dmarcwalk.test"
    assert (d["dmarc"]["p"], d["dmarc"]["sp"]) == ("reject", "none")
    f = dom_findings(doc)
    assert_ids(f, {"dmarc-p-none": "low"}, ["dmarc-missing"])
    assert "dmarcwalk.test" in f["dmarc-p-none"]["detail"]
    # two levels up, p=reject and no sp: nothing to say
    rc, doc, _ = scan("deep.sub.dmarcwalk2.test")
    d = doc["domain"]
    assert d["dmarc"]["from"] == "dmarcwalk2.test"
    assert_ids(dom_findings(doc), absent=DMARC_IDS)
    # the domain's own record: no walk
    assert scan("both.test")[1]["domain"]["dmarc"]["from"] is None
    # nothing up the tree either: missing
    assert "dmarc-missing" in dom_findings(scan("spfnone.test")[1])


def test_mx_cname(scan):
    rc, doc, _ = scan("mxcname.test")
    host = doc["domain"]["mx"]["hosts"][0]
    assert (host["name"], host["cname"]) == ("alias.mxcname.test", "mx.mxcname.test")
    assert host["addresses"] == ["127.0.0.1"]
    f = dom_findings(doc)
    assert_ids(f, {"mx-cname": "low"})
    assert "mx.mxcname.test" in f["mx-cname"]["detail"]
    # a plain MX host is not an alias
    host = scan("both.test")[1]["domain"]["mx"]["hosts"][0]
    assert host["cname"] is None
    assert "mx-cname" not in dom_findings(scan("both.test")[1])


# --------------------------------------------------------------------------
# a resolver that cannot validate DNSSEC (tests/fixtures/dns_proxy.py in
# front of the same NSD): the scanner's problem, said once, never a finding
# against the domain


def _proxied(world, run_json, mode, domain="both.test"):
    with dns_proxy.DnsProxy(mode, world.dns.port) as p:
        args = base_args(world)
        args[args.index("--resolver") + 1] = p.resolver
        rc, doc, err = run_json("domain", *args, "--quick", domain, timeout=120)
        assert p.queries > 0
    return rc, doc, err


def _cannot_validate_said_once(doc, err):
    lines = [l for l in err.splitlines() if "cannot validate DNSSEC" in l]
    assert len(lines) == 1 and "--resolver" in lines[0], err
    assert [e["stage"] for e in doc["errors"]].count("dnssec") == 1, doc["errors"]
    assert doc["domain"]["verdict"]["level"] == "unknown", doc["domain"]["verdict"]
    bad = [i for i in dom_findings(doc) if i.startswith(("dnssec-", "dane-"))
           or i == "downgrade-unprotected"]
    assert not bad, bad


def test_resolver_that_strips_dnssec(world, run_json, scan):
    """both.test validates through NSD (test_both); through a resolver that
    drops the DO bit every answer is unsigned: DNSSEC unknown, no DNSSEC or
    DANE finding, the verdict unknown, everything else as before."""
    rc, doc, err = _proxied(world, run_json, "strip")
    _cannot_validate_said_once(doc, err)
    d = doc["domain"]
    assert d["mx"]["dnssec"] is None and d["mta_sts"]["txt"]["dnssec"] is None
    [h] = d["mx"]["hosts"]
    assert h["addresses"] == ["127.0.0.1"] and h["addresses_dnssec"] is None
    assert h["tlsa"]["dnssec"] is None
    # the rest is reported as through a validating resolver
    ref = scan("both.test")[1]["domain"]
    assert d["mta_sts"]["policy"] == ref["mta_sts"]["policy"]
    assert d["tls_rpt"]["rua"] == ref["tls_rpt"]["rua"]
    assert (d["spf"]["all"], d["dmarc"]["p"]) == (ref["spf"]["all"], ref["dmarc"]["p"])
    ep = the_ep(doc)
    assert ep["tls"]["verify"]["code"] == 0 and ep["dane"] is None
    assert ep["auth_policy"] == "mta-sts-enforce"
    assert rc == 0, err


def test_resolver_that_answers_servfail(world, run_json):
    rc, doc, err = _proxied(world, run_json, "servfail")
    _cannot_validate_said_once(doc, err)
    assert doc["domain"]["mx"]["error"] and doc["endpoints"] == []
    assert rc == 3, err


def test_validating_resolver_is_not_flagged(scan):
    """The suite's NSD with per-zone anchors (bogus.test's among them)
    validates: no dnssec error, and a bogus zone is still bogus."""
    for name in ("both.test", "bogus.test"):
        _, doc, _ = scan(name)
        assert "dnssec" not in [e["stage"] for e in doc["errors"]], (name, doc["errors"])
    assert "dnssec-bogus" in dom_findings(scan("bogus.test")[1])


def test_dane_handshake_that_cannot_happen_is_unknown_not_a_mismatch(world, run_json):
    """both.test's MX host behind a proxy that closes every connection after
    the first (tests/fixtures/throttle_proxy.py): the verified handshake
    works, the DANE one is closed. The TLSA match is unknown: no
    dane-mismatch, no F for it; the authentication line says why."""
    import throttle_proxy
    with throttle_proxy.ThrottleProxy(world.pf_good.port, forever=True, pass_first=1) as p:
        args = base_args(world)
        args[args.index("--port") + 1] = p.port
        rc, doc, err = run_json("domain", *args, "--quick", "both.test", timeout=120)
        assert p.accepted == 1 and p.refused >= 1
    ep = the_ep(doc)
    assert ep["tls"]["verify"]["code"] == 0
    assert ep["auth_policy"] == "dane"
    assert ep["dane"] is None, ep["dane"]
    assert "dane-mismatch" not in ep_findings(ep)
    assert rc == 0, err
