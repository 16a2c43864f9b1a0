"""Hostile DNS and MTA-STS peers for `mailtls domain` (issue 12, item 6, the
part "for `domain`"): truncated, oversized, CNAME-looping, malformed and
failing DNS answers, silence, and MTA-STS policy hosts that trickle,
redirect to themselves, send 10 MB, send markup and control bytes, or close
mid-body.

The world, started once for the module:
  NSD        anchor.test (signed: its DS is the --trust-anchor, so the
             resolver check passes) and h.test (unsigned), where every case
             has its own domain CASE.h.test with healthy records: MX
             mx.CASE.h.test, SPF, DMARC, TLS-RPT and (unless the case says
             otherwise) an MTA-STS TXT record and mta-sts.CASE.h.test
  hostile    tests/fixtures/hostile_dns.py in front of NSD (--resolver): the
             case's rules answer chosen (name, type) queries with crafted
             messages, everything else is forwarded
  HTTPS      tests/fixtures/hostile_https.py (--mta-sts-port, --ca-file):
             a valid enforce policy for every case's mta-sts host unless
             the case gives a behaviour
  MX         `mailtls serve` with a leaf of the test CA for every name
             (--port), so a scan that gets that far verifies

Every case runs once (all of them in a small thread pool, module fixture
`runs`), with short deadlines (ARGS) and every report at once: text on
stdout, --json, --csv and --html files. Each test then checks its case's
row of TABLE: the exit code; the error stage (a run-level error, or the
lookup_error/error field where the domain keeps it) or the finding ids;
the verdict; that the hostile behaviour really was met (the server saw the
queries or requests); the wall time (BOUND_S: twice --scan-timeout); and
that no peer byte reaches an output unescaped (clean_outputs()):

  text, stderr  no C0 control but \\n and \\t, no C1 control, no bidi control
                (U+202A-U+202E, U+2066-U+2069)
  JSON          parses; no raw control byte in the document, and once
                decoded, no string (keys included) holds what text may not
  CSV           every cell: no cell starts with = + - @, no control but \\t,
                no bidi control
  HTML          the same controls; every tag is one the report itself
                writes (a baseline run's), and the peer's markup only
                appears as entities

What could not be determined (a lookup that failed, timed out or came back
garbled, a policy fetch that timed out or broke off) is never a finding
against the domain: the record's lookup_error (or mta_sts.error) says why
and the verdict is `unknown` where MTA-STS decides it. A failed MX lookup
is the documented mx-lookup-failed (exit 3), an MX host whose addresses
cannot be looked up leaves nothing to scan (exit 3). What the peer really
serves (a record that does not parse, a redirect, a 10 MB policy, markup in
the policy) is a finding as usual.
"""

import csv
import io
import json
import re
import struct
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import dnszones
import nginx_https
from conftest import FIXTURES, REPO, _run_mailtls
from dnszones import NsdServer, Zone
from serveproc import Serve

sys.path.insert(0, str(FIXTURES))
import hostile_dns as H  # noqa: E402
import hostile_https as W  # noqa: E402

SCAN_TIMEOUT = 8
BOUND_S = 2 * SCAN_TIMEOUT
ARGS = ["--quick", "--connect-timeout", "2", "--read-timeout", "1", "--timeout", "4",
        "--scan-timeout", str(SCAN_TIMEOUT)]
POLICY_PATH = "/.well-known/mta-sts.txt"
ZONE = "h.test"

# What a hostile peer puts in a string: markup, an ANSI escape, a bidi
# override, a spreadsheet formula, NUL, a C1 control (U+0085), invalid UTF-8.
EVIL = "<x>\x1b[31m\u202e=1+2\x00\u0085"
EVIL_B = EVIL.encode() + b"\xff"


def dom(case):
    return "%s.%s" % (case, ZONE)


def policy(case, mode="enforce"):
    return "version: STSv1\nmode: %s\nmx: mx.%s\nmax_age: 604800\n" % (mode, dom(case))


# --------------------------------------------------------------------------
# DNS behaviours: f(q, tcp) -> action (tests/fixtures/hostile_dns.py)


def rcode(n):
    return lambda q, tcp: H.answer(q, rcode=n)


def silent(q, tcp):
    return H.SILENT


def records(*rrs_of_q):
    """An answer holding these records (each a function of q), TC over UDP
    when it does not fit."""
    return lambda q, tcp: H.fit(q, tcp, H.answer(q, [f(q) for f in rrs_of_q]))


def tc_then(tcp_action):
    """UDP: an empty answer with the TC bit; TCP: tcp_action(q)."""
    return lambda q, tcp: tcp_action(q) if tcp else H.truncated(q)


def tcp_cut_close(q):
    """The length prefix of the whole answer, a third of it, then the close."""
    msg = H.answer(q, [H.rr(H.QNAME_PTR, H.TXT, H.txt("v=STSv1; id=1"))])
    return H.Raw(struct.pack("!H", len(msg)) + msg[:len(msg) // 3])


def tcp_cut_stall(q):
    """The same cut, then nothing: the connection stays open."""
    msg = H.answer(q, [H.rr(H.QNAME_PTR, H.TLSA, H.tlsa(3, 1, 1, b"\x00" * 32))])
    return H.Raw(struct.pack("!H", len(msg)) + msg[:len(msg) // 3])


def tcp_tc_again(q):
    """Over TCP too: an empty answer with the TC bit."""
    return H.truncated(q)


def tcp_overlong(q):
    """A length prefix of 65535, 65535 bytes of a message whose header
    counts 6000 records (the last one cut), then 8 KiB more: an answer
    that would need more than 64 KiB."""
    one = H.rr(H.QNAME_PTR, H.MX, struct.pack("!H", 10) + H.name("mx.overlong.h.test"))
    body = H.answer(q, [one] * 3500, ancount=6000, edns=False)[:65535]
    return H.Raw(struct.pack("!H", 65535) + body.ljust(65535, b"\x00") + b"\xc0" * 8192)


def many_mx(case, n):
    """n MX records (preferences 1-50) and the real host at preference 0."""
    def f(q, tcp):
        rrs = [H.rr(H.QNAME_PTR, H.MX, H.mx(0, "mx." + dom(case)))]
        rrs += [H.rr(H.QNAME_PTR, H.MX, struct.pack("!H", i % 50 + 1) + bytes([6])
                     + b"m%05d" % i + H.QNAME_PTR) for i in range(n)]
        return H.fit(q, tcp, H.answer(q, rrs))
    return f


def cname_to(target):
    return records(lambda q: H.rr(H.QNAME_PTR, H.CNAME, H.cname(target)))


def ptr_loop(q, tcp):
    """The answer's owner name is a compression pointer to itself."""
    at = 12 + len(q.question)
    rr = struct.pack("!H", 0xC000 | at) + struct.pack("!HHIH", H.MX, 1, 60, 4) + \
        b"\x00\x0a\x00\x00"
    return H.answer(q, [rr], edns=False)


def ptr_beyond(q, tcp):
    """The owner name points past the end of the message."""
    rr = b"\xc3\xff" + struct.pack("!HHIH", H.TLSA, 1, 60, 35) + H.tlsa(3, 1, 1, b"\x01" * 32)
    return H.answer(q, [rr], edns=False)


def rdlength_overrun(q, tcp):
    """An A record whose rdlength runs 200 bytes past the message."""
    return H.answer(q, [H.rr(H.QNAME_PTR, H.A, H.a("127.0.0.1"), rdlength=204)], edns=False)


def wrong_id(q, tcp):
    return H.answer(q, [H.rr(H.QNAME_PTR, H.MX, H.mx(10, "mx.wrongid.h.test"))],
                    qid=(q.id + 1) & 0xFFFF)


def wrong_qname(q, tcp):
    other = H.name("elsewhere." + ZONE) + struct.pack("!HH", q.qtype, 1)
    return H.answer(q, [H.rr(H.QNAME_PTR, H.TXT, H.txt("v=TLSRPTv1; rua=mailto:a@b.test"))],
                    question=other)


def txt_overrun(q, tcp):
    """A TXT record whose first string says 48 bytes and holds 14."""
    return H.answer(q, [H.rr(H.QNAME_PTR, H.TXT, b"\x30v=spf1 mx -all")])


def short_tlsa(q, tcp):
    """TLSA records of 2 and 3 bytes: no certificate data, no digest."""
    return H.answer(q, [H.rr(H.QNAME_PTR, H.TLSA, b"\x03\x01"),
                        H.rr(H.QNAME_PTR, H.TLSA, b"\x03\x01\x01")])


def garbage_mx(q, tcp):
    """MX records of 1 byte and of a preference without a name."""
    return H.answer(q, [H.rr(H.QNAME_PTR, H.MX, b"\x00"),
                        H.rr(H.QNAME_PTR, H.MX, b"\x00\x0a")])


def hostile_mx_names(case):
    """MX hosts whose labels hold markup, ESC, a bidi override, a formula
    and a leading '-', beside the real host."""
    def f(q, tcp):
        evil = b"=cmd\x1b[31m<b>\xe2\x80\xae." + dom(case).encode()
        return H.answer(q, [H.rr(H.QNAME_PTR, H.MX, H.mx(10, evil)),
                            H.rr(H.QNAME_PTR, H.MX, H.mx(20, b"-x@y+z." + dom(case).encode())),
                            H.rr(H.QNAME_PTR, H.MX, H.mx(30, "mx." + dom(case)))])
    return f


def txt_answer(*strings):
    return records(lambda q: H.rr(H.QNAME_PTR, H.TXT, H.txt(*strings)))


def huge_spf(q, tcp):
    """One SPF record of about 60 KB (240 strings), hostile bytes included."""
    rec = "v=spf1 " + ("ip4:192.0.2.1 " * 300) + EVIL + " " + "a" * 55000 + " -all"
    return H.fit(q, tcp, H.answer(q, [H.rr(H.QNAME_PTR, H.TXT, H.txt(rec))]))


# --------------------------------------------------------------------------
# MTA-STS behaviours (tests/fixtures/hostile_https.py)


def tls_then_close(conn, req):
    """The TLS handshake and the request, then the close: no HTTP at all."""
    return None


# --------------------------------------------------------------------------
# the table


@dataclass
class Case:
    name: str                       # the domain is NAME.h.test
    what: str
    dns: list = field(default_factory=list)   # (owner or "@", qtype, behaviour)
    web: object = None              # the policy host's behaviour (None: a valid policy)
    sts: bool = True                # an MTA-STS TXT record and host
    rc: int = 0
    verdict: str = None             # the downgrade verdict; None: not checked
    present: dict = field(default_factory=dict)   # finding id -> severity
    absent: tuple = ()              # finding ids that must not be there
    error: tuple = ()               # (where, regex): see error_text()
    met: tuple = ()                 # (owner, qtype, transport): a query seen
    requests: int = None            # requests the policy host must have seen
    resolver: str = "hostile"       # "silent": a resolver that answers nothing
    check: object = None            # more: f(doc)


STS_IDS = ("mta-sts-missing", "mta-sts-txt-invalid", "mta-sts-policy-unavailable",
           "mta-sts-policy-invalid", "mta-sts-mx-not-covered")
NOT_FROM_GARBAGE = STS_IDS + ("tls-rpt-invalid", "tls-rpt-missing", "spf-missing",
                              "spf-invalid", "dmarc-missing", "dmarc-invalid",
                              "downgrade-unprotected", "dnssec-bogus", "dane-tlsa-unsigned",
                              "dane-unusable")
SERVFAIL_RE = r"SERVFAIL|rcode 2"
FAILED_RE = r"SERVFAIL|rcode 2|did not answer"


def _hosts(doc):
    return doc["domain"]["mx"]["hosts"]


def _check_bigmx(doc):
    hosts = _hosts(doc)
    assert len(hosts) == 16, len(hosts)                       # max_mx, by preference
    assert [h["preference"] for h in hosts] == sorted(h["preference"] for h in hosts)
    assert "mx.bigmx.h.test" in [h["name"] for h in hosts]
    assert [e["host"] for e in doc["endpoints"]] == ["mx.bigmx.h.test"]


def _check_aaaa(doc):
    [h] = _hosts(doc)
    assert h["addresses"] == ["127.0.0.1"], h
    assert [e["address"] for e in doc["endpoints"]] == ["127.0.0.1"]


def _check_hostile_names(doc):
    names = [h["name"] for h in _hosts(doc)]
    assert len(names) == 3 and "mx.mxnames.h.test" in names, names
    # the other two are shown with their odd bytes as \DDD, never raw
    for n in names:
        assert not re.search(r"[\x00-\x1f\x7f<>\u202e]", n), n
    # (JSON doubles the backslash of the \\DDD form, docs/json.md)
    # (JSON doubles the backslash of that form: docs/json.md)
    assert any(n.startswith(r"\\061cmd\\027") for n in names), names
    assert [e["host"] for e in doc["endpoints"]] == ["mx.mxnames.h.test"]


def _check_no_tlsa(doc):
    [h] = _hosts(doc)
    assert h["tlsa"]["records"] == [], h["tlsa"]


def _check_hugespf(doc):
    rec = doc["domain"]["spf"]["record"]
    assert len(rec["records"]) == 1 and len(rec["records"][0]) > 55000
    assert rec["valid"] is False


def _check_txtnul(doc):
    [rec] = doc["domain"]["dmarc"]["record"]["records"]
    assert "\x00" not in rec and "?" in rec  # NUL shown as '?'


TABLE = [
    # ---- truncated answers: TC over UDP, then TCP that misbehaves
    Case("tcclose", "MX: TC over UDP, TCP closes at once",
         dns=[("@", H.MX, tc_then(lambda q: H.CLOSE))],
         rc=3, present={"mx-lookup-failed": "high"}, error=(("errors:mx", SERVFAIL_RE),),
         met=(("@", H.MX, "udp"), ("@", H.MX, "tcp"))),
    Case("tccut", "_mta-sts TXT: TC over UDP, TCP sends a third of the answer and closes",
         dns=[("_mta-sts", H.TXT, tc_then(tcp_cut_close))],
         verdict="unknown", absent=NOT_FROM_GARBAGE,
         error=(("domain.mta_sts.txt.lookup_error", FAILED_RE),),
         met=(("_mta-sts", H.TXT, "tcp"),)),
    Case("tcstall", "TLSA: TC over UDP, TCP sends a third of the answer and stalls",
         dns=[("_25._tcp.mx", H.TLSA, tc_then(tcp_cut_stall))],
         verdict="mta-sts-enforce", absent=NOT_FROM_GARBAGE,
         error=(("host0.tlsa.error", r"did not answer|SERVFAIL|rcode 2"),),
         met=(("_25._tcp.mx", H.TLSA, "tcp"),), check=_check_no_tlsa),
    Case("tctwice", "SPF TXT: TC over UDP and TC again over TCP",
         dns=[("@", H.TXT, tc_then(tcp_tc_again))],
         verdict="mta-sts-enforce", absent=NOT_FROM_GARBAGE,
         met=(("@", H.TXT, "tcp"),)),
    # ---- oversized
    Case("bigmx", "1,000 MX records (23 KB over TCP, TC over UDP): the best 16 are kept",
         dns=[("@", H.MX, many_mx("bigmx", 1000))], sts=False,
         present={"mx-host-unresolvable": "medium"}, verdict="none",
         met=(("@", H.MX, "tcp"),), check=_check_bigmx),
    Case("hugemx", "2,500 MX records: 58 KB over TCP, more than libunbound hands over",
         dns=[("@", H.MX, many_mx("hugemx", 2500))],
         rc=3, present={"mx-lookup-failed": "high"}, absent=("mx-missing",),
         error=(("errors:mx", r"too large"),), met=(("@", H.MX, "tcp"),)),
    Case("overlong", "MX over TCP: 65535 bytes announced, 6,000 records counted, 8 KiB more",
         dns=[("@", H.MX, tc_then(tcp_overlong))],
         rc=3, present={"mx-lookup-failed": "high"}, error=(("errors:mx", SERVFAIL_RE),),
         met=(("@", H.MX, "tcp"),)),
    Case("hugespf", "a 60 KB SPF record with hostile bytes (a record that does not parse)",
         dns=[("@", H.TXT, huge_spf)],
         rc=1, present={"spf-invalid": "high"}, verdict="mta-sts-enforce",
         met=(("@", H.TXT, "tcp"),), check=_check_hugespf),
    # ---- CNAME loops
    Case("cnloop", "MX host: a CNAME to itself",
         dns=[("mx", None, cname_to("mx.cnloop.h.test"))],
         rc=3, present={"mx-host-unresolvable": "high"},
         error=(("errors:resolve", r"mx\.cnloop\.h\.test: .*(SERVFAIL|rcode 2)"),),
         met=(("mx", H.A, "udp"),)),
    Case("stsloop", "_mta-sts TXT: a CNAME loop of two names",
         dns=[("_mta-sts", None, cname_to("loop2.stsloop.h.test")),
              ("loop2", None, cname_to("_mta-sts.stsloop.h.test"))],
         verdict="unknown", absent=NOT_FROM_GARBAGE,
         error=(("domain.mta_sts.txt.lookup_error", SERVFAIL_RE),),
         met=(("_mta-sts", H.TXT, "udp"),)),
    # ---- malformed answers
    Case("ptrloop", "MX: a compression pointer that points at itself",
         dns=[("@", H.MX, ptr_loop)],
         rc=3, present={"mx-lookup-failed": "high"}, error=(("errors:mx", SERVFAIL_RE),),
         met=(("@", H.MX, "udp"),)),
    Case("ptrout", "TLSA: a compression pointer past the end of the message",
         dns=[("_25._tcp.mx", H.TLSA, ptr_beyond)],
         verdict="mta-sts-enforce", absent=NOT_FROM_GARBAGE,
         error=(("host0.tlsa.error", SERVFAIL_RE),),
         met=(("_25._tcp.mx", H.TLSA, "udp"),), check=_check_no_tlsa),
    Case("rdlen", "MX host A: rdlength runs past the message",
         dns=[("mx", H.A, rdlength_overrun)],
         rc=3, present={"mx-host-unresolvable": "high"},
         error=(("errors:resolve", SERVFAIL_RE),), met=(("mx", H.A, "udp"),)),
    Case("aaaa3", "MX host AAAA: a 3-byte address beside a good A record",
         dns=[("mx", H.AAAA, records(lambda q: H.rr(H.QNAME_PTR, H.AAAA, b"\x20\x01\x0d")))],
         verdict="mta-sts-enforce", absent=NOT_FROM_GARBAGE,
         met=(("mx", H.AAAA, "udp"),), check=_check_aaaa),
    Case("mxgarbage", "MX: records of 1 byte and of a preference without a name",
         dns=[("@", H.MX, garbage_mx)],
         rc=3, present={"mx-lookup-failed": "high"}, error=(("errors:mx", SERVFAIL_RE),),
         met=(("@", H.MX, "udp"),)),
    Case("tlsagarbage", "TLSA: records of 2 and 3 bytes",
         dns=[("_25._tcp.mx", H.TLSA, short_tlsa)],
         verdict="mta-sts-enforce", absent=NOT_FROM_GARBAGE,
         met=(("_25._tcp.mx", H.TLSA, "udp"),), check=_check_no_tlsa),
    Case("txtgarbage", "SPF TXT: a string whose length runs past the record",
         dns=[("@", H.TXT, txt_overrun)],
         verdict="mta-sts-enforce", absent=NOT_FROM_GARBAGE,
         error=(("domain.spf.record.lookup_error", r"malformed TXT"),),
         met=(("@", H.TXT, "udp"),)),
    Case("wrongid", "MX: the answer carries another ID",
         dns=[("@", H.MX, wrong_id)],
         rc=3, present={"mx-lookup-failed": "high"}, error=(("errors:mx", SERVFAIL_RE),),
         met=(("@", H.MX, "udp"),)),
    Case("wrongq", "TLS-RPT TXT: the answer is for another name",
         dns=[("_smtp._tls", H.TXT, wrong_qname)],
         verdict="mta-sts-enforce", absent=NOT_FROM_GARBAGE,
         error=(("domain.tls_rpt.record.lookup_error", SERVFAIL_RE),),
         met=(("_smtp._tls", H.TXT, "udp"),)),
    Case("mxnames", "MX hosts named with markup, ESC, bidi, a formula, a leading '-'",
         dns=[("@", H.MX, hostile_mx_names("mxnames"))],
         rc=1, present={"mx-host-unresolvable": "medium", "mta-sts-mx-not-covered": "high"},
         verdict="mta-sts-enforce", met=(("@", H.MX, "udp"),), check=_check_hostile_names),
    Case("txtnul", "DMARC and TLS-RPT TXT with NUL, ESC, bidi, markup, formulas",
         dns=[("_dmarc", H.TXT, txt_answer(b"v=DMARC1; p=" + EVIL_B)),
              ("_smtp._tls", H.TXT, txt_answer(b"v=TLSRPTv1; rua=mailto:" + EVIL_B))],
         rc=1, present={"dmarc-invalid": "high", "tls-rpt-invalid": "medium"},
         verdict="mta-sts-enforce", met=(("_dmarc", H.TXT, "udp"),), check=_check_txtnul),
    # ---- SERVFAIL and REFUSED, per query type
    Case("sfmx", "MX: SERVFAIL",
         dns=[("@", H.MX, rcode(H.SERVFAIL))],
         rc=3, present={"mx-lookup-failed": "high"}, error=(("errors:mx", SERVFAIL_RE),),
         met=(("@", H.MX, "udp"),)),
    Case("refaddr", "MX host A and AAAA: REFUSED",
         dns=[("mx", None, rcode(H.REFUSED))],
         rc=3, present={"mx-host-unresolvable": "high"},
         error=(("errors:resolve", r"mx\.refaddr\.h\.test: .*rcode"),),
         met=(("mx", H.A, "udp"), ("mx", H.AAAA, "udp"))),
    Case("sfsts", "_mta-sts TXT: SERVFAIL",
         dns=[("_mta-sts", H.TXT, rcode(H.SERVFAIL))],
         verdict="unknown", absent=NOT_FROM_GARBAGE,
         error=(("domain.mta_sts.txt.lookup_error", SERVFAIL_RE),
                ("domain.verdict.detail", r"_mta-sts\.sfsts\.h\.test")),
         met=(("_mta-sts", H.TXT, "udp"),)),
    Case("reftlsa", "TLSA: REFUSED",
         dns=[("_25._tcp.mx", H.TLSA, rcode(H.REFUSED))],
         verdict="mta-sts-enforce", absent=NOT_FROM_GARBAGE,
         error=(("host0.tlsa.error", r"rcode"),), met=(("_25._tcp.mx", H.TLSA, "udp"),)),
    Case("sfinc", "SPF: an include whose TXT lookup is SERVFAIL (a temperror)",
         dns=[("@", H.TXT, txt_answer("v=spf1 mx include:inc.sfinc.h.test -all")),
              ("inc", H.TXT, rcode(H.SERVFAIL))],
         verdict="mta-sts-enforce", absent=NOT_FROM_GARBAGE,
         error=(("domain.spf.problems", r"inc\.sfinc\.h\.test: .*SERVFAIL"),),
         met=(("inc", H.TXT, "udp"),)),
    Case("sfspf", "SPF TXT: SERVFAIL; TLS-RPT TXT: REFUSED",
         dns=[("@", H.TXT, rcode(H.SERVFAIL)), ("_smtp._tls", H.TXT, rcode(H.REFUSED))],
         verdict="mta-sts-enforce", absent=NOT_FROM_GARBAGE,
         error=(("domain.spf.record.lookup_error", SERVFAIL_RE),
                ("domain.tls_rpt.record.lookup_error", r"rcode")),
         met=(("@", H.TXT, "udp"), ("_smtp._tls", H.TXT, "udp"))),
    # ---- silence
    Case("silentmx", "MX: never answered",
         dns=[("@", H.MX, silent)],
         rc=3, present={"mx-lookup-failed": "high"},
         error=(("errors:mx", r"SERVFAIL|rcode 2|did not answer"),), met=(("@", H.MX, "udp"),)),
    Case("silentsts", "_mta-sts TXT and the policy host's A/AAAA: never answered",
         dns=[("_mta-sts", H.TXT, silent)],
         verdict="unknown", absent=NOT_FROM_GARBAGE,
         error=(("domain.mta_sts.txt.lookup_error", r"SERVFAIL|rcode 2|did not answer"),),
         met=(("_mta-sts", H.TXT, "udp"),)),
    Case("silentall", "a resolver that answers nothing at all",
         resolver="silent", rc=3, present={"mx-lookup-failed": "high"},
         absent=NOT_FROM_GARBAGE, error=(("errors:dnssec", r"cannot validate DNSSEC"),
                                         ("errors:mx", r"SERVFAIL|rcode 2|did not answer"))),
    # ---- the MTA-STS policy host
    Case("trickle", "policy: status line, headers and body one byte every 0.2 s",
         web=W.trickle(policy("trickle"), delay=0.2),
         verdict="unknown", absent=NOT_FROM_GARBAGE,
         error=(("domain.mta_sts.error", r"timed out"),), requests=1),
    Case("redirloop", "policy: a 301 to itself, the Location full of hostile bytes",
         web=W.respond(301, "", headers=[("Location", "https://mta-sts.redirloop.h.test"
                                          + POLICY_PATH + "?" + EVIL.replace("\x00", ""))]),
         rc=1, present={"mta-sts-policy-unavailable": "high"}, verdict="none",
         error=(("domain.mta_sts.error", r"HTTP 301 redirect to https://mta-sts\.redirloop"),),
         requests=1),
    Case("tenmb", "policy: 10 MB without Content-Length (a valid policy first)",
         web=W.stream(10 * 1024 * 1024, first=policy("tenmb").encode()),
         rc=1, present={"mta-sts-policy-unavailable": "high"}, verdict="none",
         error=(("domain.mta_sts.error", r"body over 65536 bytes"),), requests=1),
    Case("tenmblen", "policy: Content-Length of 10 MB",
         web=W.respond(200, policy("tenmblen"), length=10 * 1024 * 1024),
         rc=1, present={"mta-sts-policy-unavailable": "high"}, verdict="none",
         error=(("domain.mta_sts.error", r"body over 65536 bytes"),), requests=1),
    Case("evilbody", "policy: HTML, ANSI, bidi, NUL and formulas in a text/plain body",
         web=W.respond(200, "<html><script>alert(1)</script>\nversion: STSv1\nmode: "
                       + EVIL + "enforce\nmx: =HYPERLINK(\"x\")\nmax_age: 1\n"),
         rc=1, present={"mta-sts-policy-invalid": "high"}, verdict="none", requests=1),
    Case("evilctype", "policy: an HTML body and a Content-Type full of hostile bytes",
         web=W.respond(200, "<html><body onload=x()>" + EVIL + "</body></html>",
                       content_type="text/html" + EVIL.replace("\x00", "")),
         rc=1, present={"mta-sts-policy-unavailable": "high"}, verdict="none",
         error=(("domain.mta_sts.error", r"Content-Type is text/html"),), requests=1),
    Case("midclose", "policy: Content-Length 500, 20 bytes, then the close",
         web=W.respond(200, policy("midclose"), length=500, cut=20),
         verdict="unknown", absent=NOT_FROM_GARBAGE,
         error=(("domain.mta_sts.error", r"transfer closed|partial"),), requests=1),
    Case("nohttp", "policy: TLS, then the close without an HTTP answer",
         web=tls_then_close,
         verdict="unknown", absent=NOT_FROM_GARBAGE,
         error=(("domain.mta_sts.error", r"[Ee]mpty reply|nothing"),), requests=1),
]

CASES = {c.name: c for c in TABLE}
assert len(CASES) == len(TABLE)

# Zones the world serves beside the table's: the baseline, and the domain of
# the known-bug test at the end.
EXTRA = [Case("base", "the baseline"), Case("rebind", "the MX host's address changes")]


# --------------------------------------------------------------------------
# the world


class World:
    pass


def _zone_lines(case):
    n = case.name
    lines = ["%s MX 10 mx.%s" % (n, n), "mx.%s A 127.0.0.1" % n,
             '%s TXT "v=spf1 mx -all"' % n,
             '_dmarc.%s TXT "v=DMARC1; p=reject; rua=mailto:d@%s"' % (n, dom(n)),
             '_smtp._tls.%s TXT "v=TLSRPTv1; rua=mailto:t@%s"' % (n, dom(n))]
    if case.sts:
        lines += ['_mta-sts.%s TXT "v=STSv1; id=1"' % n, "mta-sts.%s A 127.0.0.1" % n]
    return lines


def owner_name(case, owner):
    return dom(case.name) if owner == "@" else "%s.%s" % (owner, dom(case.name))


def build_world(d):
    w = World()
    w.stops = []
    try:
        ca = nginx_https.MiniCa(d / "ca")
        names = []
        for c in TABLE + EXTRA:
            names += ["mx." + dom(c.name), "mta-sts." + dom(c.name)]
        cert, key = ca.issue("hostile", names)
        chain = d / "chain.pem"
        chain.write_text(Path(cert).read_text() + Path(ca.ca).read_text())
        w.ca = ca.ca
        zone = Zone(ZONE)
        for c in TABLE + EXTRA:
            zone.add(*_zone_lines(c))
        w.nsd = NsdServer([Zone("anchor.test", signed=True).add("@ MX 0 ."), zone],
                          workdir=d / "nsd")
        w.stops.append(w.nsd.stop)
        w.dns = H.HostileDns(w.nsd.port)
        w.stops.append(w.dns.stop)
        w.silent = H.HostileDns(w.nsd.port)
        w.silent.rule("*", None, silent)
        w.stops.append(w.silent.stop)
        for c in TABLE:
            for owner, qtype, f in c.dns:
                w.dns.rule(owner_name(c, owner), qtype, f)
        w.web = W.HostileHttps(chain, key)
        w.stops.append(w.web.stop)
        for c in TABLE + EXTRA:
            w.web.on("mta-sts." + dom(c.name), c.web or W.respond(200, policy(c.name)))
        w.mx = Serve(d / "serve", args=["--cert", chain, "--key", key], ca=False, log=False)
        w.stops.append(w.mx.stop)
    except BaseException:
        stop_world(w)
        raise
    return w


def stop_world(w):
    for stop in reversed(w.stops):
        try:
            stop()
        except AssertionError:
            raise
        except Exception:  # noqa: BLE001 - stop the others anyway
            pass


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    why = dnszones.available()
    if why:
        pytest.skip("NSD unavailable: %s" % why)
    w = build_world(tmp_path_factory.mktemp("hostile-domain"))
    yield w
    stop_world(w)


@dataclass
class Run:
    rc: int
    text: str
    err: str
    json_raw: str
    csv_raw: str
    html_raw: str
    elapsed: float
    doc: dict = None


def run_case(w, name, resolver, outdir):
    out = outdir / name
    out.mkdir(parents=True, exist_ok=True)
    files = {k: out / ("report." + k) for k in ("json", "csv", "html")}
    args = ["domain", "--resolver", resolver, "--trust-anchor", w.nsd.trust_anchor_file,
            "--port", w.mx.port, "--mta-sts-port", w.web.port, "--ca-file", w.ca] + ARGS
    args += ["--json", files["json"], "--csv", files["csv"], "--html", files["html"], dom(name)]
    t0 = time.monotonic()
    rc, text, err = _run_mailtls(args, timeout=120)
    elapsed = time.monotonic() - t0
    raw = {k: (f.read_bytes().decode("utf-8") if f.exists() else "") for k, f in files.items()}
    r = Run(rc, text, err, raw["json"], raw["csv"], raw["html"], elapsed)
    r.doc = json.loads(r.json_raw)
    return r


@pytest.fixture(scope="module")
def runs(world, tmp_path_factory):
    """Every case (and the baseline), run once, a few at a time."""
    outdir = tmp_path_factory.mktemp("reports")
    jobs = [("base", world.dns.resolver)]
    jobs += [(c.name, world.silent.resolver if c.resolver == "silent" else world.dns.resolver)
             for c in TABLE]
    with ThreadPoolExecutor(max_workers=6) as pool:
        futs = {name: pool.submit(run_case, world, name, res, outdir) for name, res in jobs}
        return {name: f.result() for name, f in futs.items()}


# --------------------------------------------------------------------------
# checks


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f" + BIDI + "]")
CONTROL_NO_NL_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f\x80-\x9f" + BIDI + "]")


def _bad_chars(s, pattern=CONTROL_RE):
    return sorted({"U+%04X" % ord(m.group()) for m in pattern.finditer(s)})


def json_strings(node):
    """Every string of a decoded JSON document, keys included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield k
            yield from json_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from json_strings(v)


TAG_RE = re.compile(r"<\s*/?\s*([A-Za-z][A-Za-z0-9]*)")


def report_tags():
    """The tags the HTML report can write: those in src/report/html.c's
    string literals."""
    src = (REPO / "src" / "report" / "html.c").read_text()
    lits = re.findall(r'"((?:[^"\\\n]|\\.)*)"', src)
    return {t.lower() for lit in lits for t in TAG_RE.findall(lit)}


def baseline_tags(runs):
    """The report's tags (its source), and the baseline run's."""
    tags = report_tags() | {t.lower() for t in TAG_RE.findall(runs["base"].html_raw)}
    assert {"html", "body", "table", "td"} <= tags, tags
    return tags


def clean_outputs(r, tags):
    """No peer byte reaches an output unescaped (see the module docstring)."""
    problems = []
    for what, s in (("text", r.text), ("stderr", r.err)):
        bad = _bad_chars(s)
        if bad:
            problems.append("%s holds %s" % (what, bad))
    # JSON: no raw control byte, and none in any decoded string either
    bad = _bad_chars(r.json_raw, re.compile("[\x00-\x09\x0b-\x1f\x7f]"))
    if bad:
        problems.append("the JSON text holds raw %s" % bad)
    for s in json_strings(r.doc):
        bad = _bad_chars(s)
        if bad:
            problems.append("a JSON string holds %s: %r" % (bad, s[:80]))
    # CSV
    rows = list(csv.reader(io.StringIO(r.csv_raw, newline="")))
    if not rows or rows[0][:4] != ["host", "port", "address", "id"]:
        problems.append("CSV without its header: %r" % r.csv_raw[:200])
    for row in rows:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@"):
                problems.append("CSV cell starts with a formula character: %r" % cell[:80])
            bad = _bad_chars(cell, CONTROL_NO_NL_RE)
            if bad:
                problems.append("CSV cell holds %s: %r" % (bad, cell[:80]))
    # HTML
    h = r.html_raw
    if not (h.startswith("<!DOCTYPE html>") and h.rstrip().endswith("</html>")):
        problems.append("HTML not a whole document")
    bad = _bad_chars(h)
    if bad:
        problems.append("HTML holds %s" % bad)
    odd = {t.lower() for t in TAG_RE.findall(h)} - tags
    if odd:
        problems.append("HTML holds tags the report never writes: %s" % sorted(odd))
    for marker in ("<x>", "<script", "<b>", "<body onload", "<html><"):
        if marker in h.lower():
            problems.append("HTML holds the peer's %r" % marker)
    for tag in ("<html", "<body", "<head"):
        if h.lower().count(tag) != 1:
            problems.append("HTML holds %d %s tags" % (h.lower().count(tag), tag))
    return problems


def error_text(doc, where):
    """The text at `where`: "errors:STAGE" (the run-level errors of that
    stage, joined), "host0.FIELD..." (the first MX host's), or a dotted
    path into the document."""
    if where == "domain.spf.problems":
        return "\n".join(doc["domain"]["spf"]["problems"])
    if where.startswith("errors:"):
        stage = where.split(":", 1)[1]
        return "\n".join(e["message"] for e in doc["errors"] if e["stage"] == stage)
    node = doc
    parts = where.split(".")
    if parts[0] == "host0":
        node, parts = _hosts(doc)[0], parts[1:]
    for p in parts:
        node = node[p]
    return node


def dom_findings(doc):
    return {f["id"]: f["severity"] for f in doc["domain"]["findings"]}


@pytest.mark.parametrize("case", TABLE, ids=[c.name for c in TABLE])
def test_hostile_peer(case, world, runs):
    r = runs[case.name]
    doc, d = r.doc, r.doc["domain"]
    where = "%s (%s)" % (case.name, case.what)
    summary = "rc=%d findings=%s verdict=%s errors=%s\nstderr: %s" % (
        r.rc, dom_findings(doc), d["verdict"], doc["errors"], r.err[-1500:])
    # the behaviour was met: the DNS server or the policy host saw it
    for owner, qtype, transport in case.met:
        seen = world.dns.queries(owner_name(case, owner), qtype, transport)
        assert seen, "%s: no %s %s query over %s reached the hostile server" % (
            where, owner, H.TYPE_NAMES.get(qtype, qtype), transport)
    if case.resolver == "silent":
        assert world.silent.queries(dom(case.name)), where
    if case.requests is not None:
        got = world.web.seen("mta-sts." + dom(case.name))
        assert len(got) == case.requests, (where, got)
    # the wall time
    assert r.elapsed < BOUND_S, "%s: %.1f s (bound %d s)\n%s" % (where, r.elapsed, BOUND_S,
                                                                 summary)
    # exit code, errors, findings, verdict
    assert r.rc == case.rc, "%s: %s" % (where, summary)
    for path, pattern in case.error:
        text = error_text(doc, path)
        assert text and re.search(pattern, text), "%s: %s = %r\n%s" % (where, path, text,
                                                                       summary)
    found = dom_findings(doc)
    for fid, sev in case.present.items():
        assert found.get(fid) == sev, "%s: %s %s expected\n%s" % (where, fid, sev, summary)
    unexpected = [f for f in case.absent if f in found and f not in case.present]
    assert not unexpected, "%s: findings from what could not be determined: %s\n%s" % (
        where, unexpected, summary)
    if case.verdict is not None:
        assert d["verdict"]["level"] == case.verdict, "%s: %s" % (where, summary)
    if d["verdict"]["level"] == "unknown":
        assert "downgrade-unprotected" not in found
        assert d["verdict"]["detail"], where
    if case.check:
        case.check(doc)
    # 3 is said on stderr in one line per problem, never a crash
    if r.rc == 3:
        assert r.err.strip() and all(l.startswith("mailtls: ")
                                     for l in r.err.splitlines() if l.strip()), r.err
    problems = clean_outputs(r, baseline_tags(runs))
    assert not problems, "%s:\n%s" % (where, "\n".join(problems))


def test_baseline(runs):
    """The healthy domain, through the same servers: nothing hostile, a
    valid enforce policy, the MX host verifies (what every case departs
    from)."""
    r = runs["base"]
    d = r.doc["domain"]
    assert r.rc == 0, r.err
    assert d["verdict"]["level"] == "mta-sts-enforce", d["verdict"]
    assert set(dom_findings(r.doc)) <= {"dnssec-unsigned"}, dom_findings(r.doc)
    assert r.doc["errors"] == []
    [ep] = r.doc["endpoints"]
    assert ep["host"] == "mx.base.h.test" and ep["tls"]["verify"]["code"] == 0
    assert not clean_outputs(r, baseline_tags(runs))


def test_table_covers_the_behaviours():
    """At least ten behaviours, each kind the issue names among them."""
    assert len(TABLE) >= 10
    names = set(CASES)
    for kind in (("tcclose", "tccut", "tcstall"), ("bigmx", "hugemx", "overlong", "hugespf"),
                 ("cnloop", "stsloop"), ("ptrloop", "rdlen", "mxgarbage", "tlsagarbage",
                                         "txtgarbage", "wrongid", "wrongq"),
                 ("sfmx", "refaddr", "sfsts", "reftlsa"), ("silentmx", "silentall"),
                 ("trickle", "redirloop", "tenmb", "evilbody", "midclose")):
        assert set(kind) <= names, kind


def test_clean_outputs_sees_leaks():
    """The output check itself: each kind of leak is caught."""
    html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head></head>\n<body>%s</body>\n</html>\n"
    good = Run(0, "ok\n\tindented\n", "", '{\n  "a": "b"\n}\n',
               "host,port,address,id\r\n\"'=x\",\"\",\"\",\"\"\r\n", html % "&lt;x&gt;", 0.0,
               {"a": "b"})
    assert clean_outputs(good, report_tags()) == []
    leaks = [
        dict(text="a\x1b[31m"), dict(err="\u202e"), dict(text="\x85"),
        dict(json_raw='{"a": "\x07"}'), dict(doc={"a": ["\x1b"]}), dict(doc={"\u2066": 1}),
        dict(csv_raw='host,port,address,id\r\n"=cmd","","",""\r\n'),
        dict(csv_raw='host,port,address,id\r\n"@x","-1","+1","a\x1b"\r\n'),
        dict(html_raw=html % "<x>"), dict(html_raw=html % "<script>"),
        dict(html_raw=html % "\x1b"), dict(html_raw=html % "<html>"),
    ]
    for leak in leaks:
        r = Run(**{**good.__dict__, **leak})
        assert clean_outputs(r, report_tags()), leak


def test_mx_scanned_at_the_reported_address(world, tmp_path):
    """A resolver whose answer for the MX host changes after the first query
    (127.0.0.1, then 127.0.0.2, where nothing listens): the report says
    mx.rebind.h.test is 127.0.0.1; the host must be scanned there, not at
    whatever a second lookup says (with DNSSEC, the scanned address would
    not even be the validated one)."""
    answers = []

    def rebind(q, tcp):
        answers.append(q.id)
        ip = "127.0.0.1" if len(answers) == 1 else "127.0.0.2"
        return H.answer(q, [H.rr(H.QNAME_PTR, H.A, H.a(ip))])

    world.dns.rule("mx.rebind.h.test", H.A, rebind)
    r = run_case(world, "rebind", world.dns.resolver, tmp_path)
    [h] = _hosts(r.doc)
    assert h["addresses"] == ["127.0.0.1"], h
    assert len(answers) == 1  # no second lookup
    assert [e["address"] for e in r.doc["endpoints"]] == ["127.0.0.1"], \
        (answers, [(e["address"], e["errors"]) for e in r.doc["endpoints"]])
    assert r.rc == 0, r.err
