"""What mailtls prints does not depend on the machine's time zone or locale,
and its default EHLO name follows the machine's name as documented.

scripts/run-tests runs every suite with TZ=UTC and LC_ALL=C.UTF-8 (so no
fixture depends on the machine's settings); here mailtls itself is run in
other time zones and locales against one real SMTP server (`mailtls serve`)
and must print the same reports, times in UTC. The time zones are POSIX TZ
strings, which need no tzdata. /etc/hosts: test_addresses.py and
test_check_tls.py::test_plain_localhost_target.
"""

import json
import os
import re
import socket
import subprocess

import pytest

from conftest import REPO, SANITIZER_RE, mailtls_path
from serveproc import Serve

ENVIRONMENTS = {
    "utc-c": {"TZ": "UTC", "LC_ALL": "C.UTF-8"},
    "india-de": {"TZ": "IST-5:30", "LC_ALL": "de_DE.UTF-8", "LANG": "de_DE.UTF-8"},
    "chatham-posix": {"TZ": "CHAST-12:45CHADT,M9.5.0/2:45,M4.1.0/3:45", "LC_ALL": "POSIX"},
    "newfoundland-tr": {"TZ": "NST+3:30", "LC_ALL": "tr_TR.UTF-8", "LANG": "tr_TR.UTF-8"},
}

# Values that measure time and change from run to run (days_left too: the
# certificate is valid for exactly 90 days from serve's start, so it turns
# 89 a second later, whatever the time zone).
TIMING_KEYS = {"t_ms", "handshake_ms", "duration_ms", "greeting_ms", "first_ms", "last_ms",
               "days_left"}
MS_RE = re.compile(r"\d+(\.\d+)? ms\b|\d+ days? left")


def run_in(env_extra, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("TZ", "LANG", "LANGUAGE")
           and not k.startswith("LC_")}
    env.update(env_extra)
    p = subprocess.run([str(mailtls_path())] + [str(a) for a in args], env=env, cwd=REPO,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    err = p.stderr.decode("utf-8", "replace")
    assert not SANITIZER_RE.search(err), err
    return p.returncode, p.stdout.decode("utf-8", "replace"), err


def without_timing(x):
    if isinstance(x, dict):
        return {k: without_timing(v) for k, v in x.items() if k not in TIMING_KEYS}
    if isinstance(x, list):
        return [without_timing(v) for v in x]
    return x


@pytest.fixture
def server(tmp_path):
    s = Serve(tmp_path / "serve", ["--hostname", "localhost"], listen=1)
    yield s
    rc, lines = s.stop()
    assert rc == 0, "\n".join(lines)


def test_reports_do_not_depend_on_time_zone_or_locale(server):
    args = ["check", "--quick", "--starttls", "smtp", "--ca-file", server.ca, "--ehlo",
            "env.mailtls.test", "--ip", "127.0.0.1", "--no-color",
            "localhost:%d" % server.port]
    texts, docs = {}, {}
    for name, env in ENVIRONMENTS.items():
        rc, out, err = run_in(env, *args)
        assert rc == 0, (name, err)
        texts[name] = MS_RE.sub("N", out)
        rc, out, err = run_in(env, *args, "--json", "-")
        assert rc == 0, (name, err)
        docs[name] = without_timing(json.loads(out))
    ref = docs["utc-c"]
    cert = ref["endpoints"][0]["certificates"][0]
    # times are UTC, ISO 8601, whatever TZ says
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cert["not_after"]), cert
    for name in ENVIRONMENTS:
        assert docs[name] == ref, name
        assert texts[name] == texts["utc-c"], name


def test_default_ehlo_follows_the_host_name(server):
    """Without --ehlo: the machine's name when it is a fully qualified one
    (a dot, printable ASCII without spaces), else mailtls.invalid (RFC 6761).
    The reference is Python's socket.gethostname(); serve's log records the
    EHLO name it received."""
    name = socket.gethostname()
    fqdn = "." in name and 0 < len(name) <= 255 and all(0x20 < ord(c) < 0x7f for c in name)
    want = name if fqdn else "mailtls.invalid"
    rc, _, err = run_in({"TZ": "UTC", "LC_ALL": "C.UTF-8"}, "check", "--quick", "--starttls",
                        "smtp", "--ca-file", server.ca, "--ip", "127.0.0.1",
                        "localhost:%d" % server.port)
    assert rc == 0, err
    rec = server.records(1)[0]
    assert rec["helo"] == {"verb": "EHLO", "name": want}, (name, rec["helo"])
