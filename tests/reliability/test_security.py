# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security (docs/reliability.md, rows S-NN): secrets at -vvvv, the transports, the wire contract, loopback only.

* Every module and the role run at ``-vvvv --diff`` over NTLM with message encryption (HTTP), Basic over HTTPS and
  NTLM over HTTPS (certificate validation on); the whole output, every file the run left and the fleet report are
  scanned for the password in every form a library could print it (plain, UTF-16LE, base64 at any alignment, the
  Basic header, the NT hash and the NTLMv2 key) and for NTLM / Authorization tokens. The scanner is proven on planted
  samples first, so a scan that finds nothing means something.
* A wrong CA and a clear-text body on an NTLM/HTTP host are refused before a single command runs.
* Smuggling: every option of every module (read from the stubs' DOCUMENTATION, so a new option fails the coverage
  check until it has cases) gets shell, cmd.exe and PowerShell syntax and Unicode lookalikes. The simulator's log of
  what each host received (``ctl <host> commands``) is the oracle: a refused value sends not one HTTP request, and
  everything any host received during this file matches a whitelist grammar written here, independently of
  plugins/plugin_utils/_wire/commands.py.
* Loopback: every socket the simulator listens on (from the kernel's own table), every inventory address, and every
  address the repository's test, bench and tool code binds or connects to.
"""

from __future__ import annotations

import ast
import base64
import datetime
import http.client
import importlib.util
import ipaddress
import json
import os
import pathlib
import re
import socket
import ssl
import typing as t

import pytest
import spnego
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
# pyspnego's pure-Python MD4 and NTOWF functions: OpenSSL 3 has no MD4, so hashlib.new("md4") fails here.
from spnego._ntlm_raw import crypto as ntlm_crypto

from harness import PlayRun, collections_path, play, row, run_playbook
from simfleet import HostSpec, SimFleet, fleet_of

REPO = pathlib.Path(__file__).resolve().parents[2]

NTLM_HTTP = "ntlm-http"      # NTLM, message encryption over HTTP (the Windows default)
BASIC_HTTPS = "basic-https"  # Basic over HTTPS, certificate validated against the simulator's CA
NTLM_HTTPS = "ntlm-https"    # NTLM over HTTPS, certificate validated
SMUGGLE = "smuggle"          # the smuggling runs only
WRONG_CA = "wrong-ca"        # HTTPS host contacted with an impostor CA
CLEARTEXT = "cleartext"      # NTLM/HTTP host contacted with message encryption off
TRANSPORT_HOSTS = (NTLM_HTTP, BASIC_HTTPS, NTLM_HTTPS)
SPECS = [HostSpec(NTLM_HTTP, auth="ntlm"), HostSpec(BASIC_HTTPS, auth="basic", https=True), HostSpec(NTLM_HTTPS, auth="ntlm", https=True),
         HostSpec(SMUGGLE, auth="ntlm"), HostSpec(WRONG_CA, auth="ntlm", https=True), HostSpec(CLEARTEXT, auth="ntlm")]
NOTHING_CHANGED = "Nothing was changed."


@pytest.fixture(name="work", scope="module")
def fixture_work(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("security")


@pytest.fixture(name="fleet", scope="module")
def fixture_fleet(work) -> t.Iterator[SimFleet]:
    with fleet_of(str(work / "fleet"), SPECS) as sim:
        yield sim


def received(fleet: SimFleet, host: str) -> dict:
    """The simulator's log of what ``host`` received (command lines, decoded scripts, native argv)."""
    return fleet.control.one(host, "commands")


# ----------------------------------------------------------------------------------------------------------------
# Secrets: every form the password (or NTLM material) could take in output


def base64_inner(data: bytes, offset: int) -> str:
    """The base64 characters that depend on ``data`` alone when it starts ``offset`` bytes into a longer stream."""
    encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
    first = -(-8 * offset // 6)               # first character made only of data bits
    last = 8 * (offset + len(data)) // 6      # characters before this are complete
    return encoded[first:last]


def secret_forms(user: str, password: str, extra: t.Mapping[str, str] | None = None) -> dict[str, bytes]:
    """label -> bytes to look for. The simulator's generated password is ``Sim-`` + URL-safe base64, so its URL-, JSON-
    and YAML-escaped forms are the password itself."""
    plain = password.encode("utf-8")
    wide = password.encode("utf-16-le")
    nt_hash = ntlm_crypto.ntowfv1(password)                # MD4 of the UTF-16LE password
    ntlmv2_key = ntlm_crypto.ntowfv2(user, nt_hash, "")     # HMAC-MD5 keyed with it: what NTLMv2 responses derive from
    forms: dict[str, bytes] = {"password": plain, "password (UTF-16LE)": wide}
    for label, data in (("password", plain), ("password (UTF-16LE)", wide), ("Basic credentials", f"{user}:{password}".encode()),
                        ("NT hash", nt_hash), ("NTLMv2 key", ntlmv2_key)):
        for offset in range(3):
            forms[f"base64({label}) at byte offset {offset}"] = base64_inner(data, offset).encode("ascii")
    for label, digest in (("NT hash", nt_hash), ("NTLMv2 key", ntlmv2_key)):
        forms[f"{label} (hex)"] = digest.hex().encode("ascii")
        forms[f"{label} (HEX)"] = digest.hex().upper().encode("ascii")
        forms[f"{label} (raw)"] = digest
    forms.update({label: value.encode("utf-8") for label, value in (extra or {}).items()})
    return forms


# NTLM messages start "NTLMSSP\0"; in base64 at the start of a token that is "TlRMTVNTUA". Auth headers carry a scheme
# and a base64 blob; an Authorization header value is a credential whatever its scheme.
TOKEN_PATTERNS = {
    "NTLM message (raw)": re.compile(rb"NTLMSSP\x00"),
    "NTLM message (base64)": re.compile(rb"TlRMTVNTUA"),
    "auth token": re.compile(rb"(?i)\b(?:Negotiate|NTLM|Kerberos|Basic|Bearer)\s+[A-Za-z0-9+/]{12,}={0,2}"),
    "Authorization header": re.compile(rb"(?i)\b(?:Proxy-)?Authorization\b\W{0,6}\s*[A-Za-z0-9+/=_.-]{8,}"),
}


def find_secrets(data: bytes, forms: t.Mapping[str, bytes]) -> list[str]:
    hits = [label for label, form in forms.items() if form and form in data]
    hits += [label for label, pattern in TOKEN_PATTERNS.items() if pattern.search(data)]
    return hits


def scan_tree(root: pathlib.Path, forms: t.Mapping[str, bytes]) -> dict[str, list[str]]:
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        hits = find_secrets(path.read_bytes(), forms)
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


# ----------------------------------------------------------------------------------------------------------------
# The -vvvv run: every module and the role over the three transports


ROLE_VARS = {
    "port_capacity_mode": "enforce",
    "port_capacity_range": {"start": 10000, "end": 65535},
    "port_capacity_tcp_timed_wait_delay": 30,
    "port_capacity_exclusions": [{"start": 5023, "count": 1}],
    "port_capacity_reboot": "never",
    "port_capacity_probe_count": 100,
    "port_capacity_report_dir": "{{ security_report_dir }}",
}
VERBOSE_TASKS = [
    {"name": "info", "portscale.tcpip.win_port_info": {}},
    {"name": "range", "portscale.tcpip.win_dynamic_port_range": {"start": 20000, "end": 65535}},
    {"name": "range again", "portscale.tcpip.win_dynamic_port_range": {"start": 20000, "end": 65535}},
    {"name": "parameters", "portscale.tcpip.win_tcpip_parameters": {"tcp_timed_wait_delay": 60, "max_user_port": "absent"}},
    {"name": "exclusion", "portscale.tcpip.win_excluded_port_range": {"ranges": [{"start": 5022, "count": 1}]}},
    {"name": "probe", "portscale.tcpip.win_port_probe": {"count": 50, "fail_below": 50}},
]


@pytest.fixture(name="verbose", scope="module")
def fixture_verbose(fleet, work) -> tuple[PlayRun, pathlib.Path, pathlib.Path]:
    """One -vvvv --diff run on the three transport hosts; returns the run, its folder and the report folder."""
    run_dir = work / "verbose"
    report_dir = run_dir / "report"
    plays = play(",".join(TRANSPORT_HOSTS), VERBOSE_TASKS, name="modules")
    plays.append({"name": "role", "hosts": ",".join(TRANSPORT_HOSTS), "gather_facts": False,
                  "roles": [{"role": "portscale.tcpip.port_capacity", "vars": ROLE_VARS}]})
    run = run_playbook(work, fleet.inventory(), plays, verbosity=4, diff=True, name="verbose",
                       extra_vars={"security_report_dir": str(report_dir)})
    return run, run_dir, report_dir


def forms_of(fleet: SimFleet) -> dict[str, bytes]:
    return secret_forms(fleet.handle.user, fleet.handle.password, {"control token": fleet.control.token})


@row("S-01")
def test_vvvv_output_of_every_module_and_the_role_holds_no_secret(fleet, verbose):
    run, run_dir, _report = verbose
    assert run.rc == 0, run.output[-6000:]
    for host in TRANSPORT_HOSTS:
        assert run.of(host, "range").status == "changed" and run.of(host, "range again").status == "ok"
        assert run.of(host, "probe").result["opened"] == 50
    assert "ESTABLISH WINRM CONNECTION" in run.stdout  # it really is the verbose output
    hits = find_secrets((run.stdout + run.stderr).encode("utf-8", "surrogateescape"), forms_of(fleet))
    assert hits == [], f"secrets in the -vvvv output: {hits}"
    # Everything the run left on disk: the recorded results, Ansible's home and temp folders, the report.
    assert scan_tree(run_dir, forms_of(fleet)) == {}


@row("S-02")
def test_the_fleet_report_holds_no_secret(fleet, verbose):
    run, _run_dir, report_dir = verbose
    files = sorted(p.name for p in report_dir.iterdir())
    assert files == ["port_capacity.csv", "port_capacity.html", "port_capacity.json", "port_capacity.md"], run.output[-3000:]
    for host in TRANSPORT_HOSTS:
        assert host in (report_dir / "port_capacity.md").read_text(encoding="utf-8")
    assert scan_tree(report_dir, forms_of(fleet)) == {}


@row("S-03")
def test_the_secret_scanner_finds_every_form_it_looks_for():
    user, password = "simadmin", "Sim-Planted-Secret-0123456789"
    forms = secret_forms(user, password)
    for label, form in forms.items():
        assert label in find_secrets(b"before " + form + b" after", forms), label
    # The base64 forms are found inside longer base64 text at each of the three alignments.
    for offset, prefix in enumerate((b"", b"x", b"xy")):
        blob = base64.b64encode(prefix + password.encode("utf-16-le") + b"tail")
        assert f"base64(password (UTF-16LE)) at byte offset {offset}" in find_secrets(blob, forms)
    # A real NTLM NEGOTIATE token from pyspnego's client, as a header and bare.
    token = spnego.client(user, password, protocol="ntlm").step()
    header = b"Authorization: Negotiate " + base64.b64encode(token)
    assert {"NTLM message (base64)", "auth token", "Authorization header"} <= set(find_secrets(header, forms))
    assert "NTLM message (raw)" in find_secrets(token, forms)
    basic = b"Authorization: Basic " + base64.b64encode(f"{user}:{password}".encode())
    assert "base64(Basic credentials) at byte offset 0" in find_secrets(basic, forms)
    assert find_secrets(b"ok: [ntlm-http] => changed=false, transport ntlm over https", forms) == []


@row("S-04")
def test_each_host_was_reached_over_the_transport_it_requires(fleet, verbose):
    run, _run_dir, _report = verbose
    assert run.rc == 0
    status = {h["name"]: h for h in fleet.control.status()["hosts"]}
    for host in TRANSPORT_HOSTS:
        counters = fleet.counters(host)
        assert counters["model"]["commands_run"] > 0, host
        assert counters["http"]["faults_injected"].get("unencrypted-rejected", 0) == 0, host
        assert counters["http"]["auth_failures"] == 0, host
        handshakes = counters["http"]["ntlm_handshakes"]
        assert (handshakes > 0) if host != BASIC_HTTPS else (handshakes == 0), (host, handshakes)
        assert status[host]["scheme"] == ("http" if host == NTLM_HTTP else "https")
    # The NTLM/HTTP host refuses clear-text SOAP (S-06), so its commands ran inside NTLM message encryption; the HTTPS
    # ports speak TLS only: a handshake verified against the simulator's CA (hostname 127.0.0.1) works, plain HTTP gets
    # no HTTP answer.
    context = ssl.create_default_context(cafile=fleet.handle.ca_cert)
    for host in (BASIC_HTTPS, NTLM_HTTPS):
        port = fleet.handle.host(host).port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        with pytest.raises((http.client.HTTPException, OSError)):
            plain.request("POST", "/wsman", body=b"<x/>")
            plain.getresponse()
        plain.close()


def impostor_ca(real_ca_pem: bytes, path: pathlib.Path) -> pathlib.Path:
    """A self-signed CA with the *same subject* as the simulator's, but its own key: only a signature check tells them apart."""
    subject = x509.load_pem_x509_certificate(real_ca_pem).subject
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture(name="refused_runs", scope="module")
def fixture_refused_runs(fleet, work) -> PlayRun:
    """One playbook, two plays: the HTTPS host with an impostor CA, the NTLM/HTTP host with message encryption off."""
    wrong = impostor_ca(pathlib.Path(fleet.handle.ca_cert).read_bytes(), work / "impostor-ca.pem")

    def task() -> list[dict]:
        # ignore_unreachable: otherwise Ansible ends the playbook when the first play has no host left.
        return [{"name": "info", "portscale.tcpip.win_port_info": {}, "ignore_unreachable": True}]

    # Play vars outrank the inventory's host vars, so each play overrides exactly one connection setting.
    plays = (play(WRONG_CA, task(), vars={"ansible_winrm_ca_trust_path": str(wrong)})
             + play(CLEARTEXT, task(), vars={"ansible_winrm_message_encryption": "never"}))
    # At -vvvv too: error paths are where libraries print requests and headers.
    return run_playbook(work, fleet.inventory(), plays, verbosity=4, name="refused")


@row("S-05")
def test_an_impostor_ca_makes_the_host_unreachable_before_any_command(fleet, refused_runs):
    result = refused_runs.of(WRONG_CA, "info")
    assert result.status == "unreachable", result
    assert "certificate verify failed" in result.msg.lower(), result.msg
    counters = fleet.counters(WRONG_CA)
    # The TLS handshake failed, so not even an HTTP request (let alone credentials) reached the host.
    assert counters["model"]["commands_run"] == 0 and counters["http"]["http_requests"] == 0, counters
    assert received(fleet, WRONG_CA)["recorded"] == 0
    assert find_secrets(refused_runs.output.encode("utf-8", "surrogateescape"), forms_of(fleet)) == []


@row("S-06")
def test_ntlm_over_http_without_message_encryption_is_refused(fleet, refused_runs):
    result = refused_runs.of(CLEARTEXT, "info")
    assert result.status == "unreachable", result
    counters = fleet.counters(CLEARTEXT)
    assert counters["http"]["faults_injected"].get("unencrypted-rejected", 0) > 0, counters
    assert counters["model"]["commands_run"] == 0, counters
    assert received(fleet, CLEARTEXT)["recorded"] == 0
    assert find_secrets(refused_runs.output.encode("utf-8", "surrogateescape"), forms_of(fleet)) == []


# ----------------------------------------------------------------------------------------------------------------
# Smuggling: shell, cmd.exe and PowerShell syntax in every option

MARKER = "SMUGGLED"
# Appended to a valid value: each is code (or a line break) in PowerShell, cmd.exe or a POSIX shell; the last ones are
# Unicode lookalikes (fullwidth semicolon, Greek question mark, zero-width space, fullwidth digits) and a NUL.
SUFFIXES = ("; Remove-Item C:\\SMUGGLED", " & calc SMUGGLED", " | Out-File SMUGGLED", "`nSMUGGLED", '" SMUGGLED', "' SMUGGLED",
            " %COMSPEC% /c SMUGGLED", "\nSMUGGLED", "\r\n& SMUGGLED", "$(Stop-Computer SMUGGLED)", " ^& SMUGGLED",
            "\uff1bSMUGGLED", "\u037e SMUGGLED", "\u200bSMUGGLED", "\uff10SMUGGLED", "\x00SMUGGLED")
# Whole values: PowerShell subexpressions and arrays, the bare marker, and two that str.isdigit() / lstrip("+-") once let
# through to int() (an unhandled ValueError instead of a clear refusal).
STANDALONE = ("$(Stop-Computer SMUGGLED)", "`$(SMUGGLED)", "@(SMUGGLED)", "SMUGGLED", "\u00b2", "+-5")


def smuggled(base: str) -> list[str]:
    return [base + suffix for suffix in SUFFIXES] + list(STANDALONE)


# The arguments each module gets besides the option under test (valid, so only that option can be refused).
BASE = {
    "win_dynamic_port_range": {"start": 10000, "end": 65535},
    "win_tcpip_parameters": {"tcp_timed_wait_delay": 30},
    "win_excluded_port_range": {"ranges": [{"start": 5022, "count": 1}]},
    "win_port_probe": {"count": 10},
    "win_port_info": {},
}
# (module, option path, valid base value, arguments without the option). List options also get a smuggled item.
SCALARS = [
    ("win_dynamic_port_range", "start", "10000", {"end": 65535}),
    ("win_dynamic_port_range", "count", "1000", {"start": 10000}),
    ("win_dynamic_port_range", "end", "65535", {"start": 10000}),
    ("win_dynamic_port_range", "state", "present", BASE["win_dynamic_port_range"]),
    ("win_dynamic_port_range", "store", "persistent", BASE["win_dynamic_port_range"]),
    ("win_dynamic_port_range", "listener_guard", "warn", BASE["win_dynamic_port_range"]),
    ("win_dynamic_port_range", "protocols", "tcp", BASE["win_dynamic_port_range"]),
    ("win_dynamic_port_range", "ip_versions", "ipv4", BASE["win_dynamic_port_range"]),
    ("win_tcpip_parameters", "max_user_port", "5000", {}),
    ("win_tcpip_parameters", "max_user_port", "absent", {}),
    ("win_tcpip_parameters", "tcp_timed_wait_delay", "30", {}),
    ("win_tcpip_parameters", "tcp_timed_wait_delay", "absent", {}),
    ("win_excluded_port_range", "ranges.start", "5022", {}),
    ("win_excluded_port_range", "ranges.count", "1", {}),
    ("win_excluded_port_range", "ranges.end", "5022", {}),
    ("win_excluded_port_range", "ranges", "start=5022 count=1", {}),
    ("win_excluded_port_range", "state", "present", BASE["win_excluded_port_range"]),
    ("win_excluded_port_range", "purge", "false", BASE["win_excluded_port_range"]),
    ("win_excluded_port_range", "protocols", "tcp", BASE["win_excluded_port_range"]),
    ("win_excluded_port_range", "ip_versions", "ipv4", BASE["win_excluded_port_range"]),
    ("win_excluded_port_range", "store", "persistent", BASE["win_excluded_port_range"]),
    ("win_excluded_port_range", "winnat_restart", "false", BASE["win_excluded_port_range"]),
    ("win_port_probe", "count", "10", {}),
    ("win_port_probe", "timeout", "10", BASE["win_port_probe"]),
    ("win_port_probe", "ip_version", "4", BASE["win_port_probe"]),
    ("win_port_probe", "target_host", "127.0.0.1", BASE["win_port_probe"]),
    ("win_port_probe", "target_host", "::1%1", {"count": 10, "ip_version": 6}),   # IPv6 scope ids are free text to Python
    ("win_port_probe", "target_port", "0", BASE["win_port_probe"]),
    ("win_port_probe", "local_addresses", "127.0.0.2", BASE["win_port_probe"]),
    ("win_port_probe", "local_addresses", "::1%1", {"count": 10, "ip_version": 6}),
    ("win_port_probe", "reuse_unicast_port", "false", BASE["win_port_probe"]),
    ("win_port_probe", "port_scalability", "false", BASE["win_port_probe"]),
    ("win_port_probe", "max_free_share", "50", BASE["win_port_probe"]),
    ("win_port_probe", "allow_exhaustion", "false", BASE["win_port_probe"]),
    ("win_port_probe", "fail_below", "1", BASE["win_port_probe"]),
    ("win_port_info", "events_days", "7", {}),
]
LIST_OPTIONS = {"protocols", "ip_versions", "local_addresses", "ranges"}


def _module_args(option: str, value: t.Any, others: dict) -> dict:
    if option.startswith("ranges."):
        sub = option.split(".", 1)[1]
        block = {"start": 5022, "count": 1} if sub != "end" else {"start": 5022}
        block[sub] = value
        return {**others, "ranges": [block]}
    return {**others, option: value}


def refused_tasks() -> list[dict]:
    tasks = []
    for number, (module, option, base, others) in enumerate(SCALARS):
        values: list[t.Any] = smuggled(base)
        if option in LIST_OPTIONS:
            # A smuggled item next to a valid one, and the comma-separated string form Ansible splits into a list.
            valid = {"ranges": {"start": 5022, "count": 1}}.get(option, base)
            values += [[valid, item] for item in smuggled(base)] + [f"{base},{base}{SUFFIXES[0]}"]
        tasks.append({"name": f"refuse {number:02d} {module} {option}", f"portscale.tcpip.{module}": _module_args(option, "{{ item }}", others),
                      "loop": values, "ignore_errors": True})
    # Options no module has, in the dict form and as free-form text.
    for module, args in BASE.items():
        tasks.append({"name": f"refuse unknown option {module}", f"portscale.tcpip.{module}": {**args, "SMUGGLED": "$(Stop-Computer)"},
                      "ignore_errors": True})
    tasks.append({"name": "refuse free-form win_port_info", "portscale.tcpip.win_port_info": "$(Stop-Computer SMUGGLED)", "ignore_errors": True})
    tasks.append({"name": "refuse extra sub-option", "portscale.tcpip.win_excluded_port_range": {"ranges": [{"start": 5022, "count": 1, "SMUGGLED": "x"}]},
                  "ignore_errors": True})
    return tasks


# Values that validate. Each must reach the host only as the canonical integer, word or address, never as typed.
ACCEPTED_TASKS = [
    {"name": "accept info", "portscale.tcpip.win_port_info": {}},
    {"name": "accept range", "portscale.tcpip.win_dynamic_port_range": {
        "start": " 10000 ", "end": "\uff16\uff15\uff15\uff13\uff15", "protocols": "tcp,udp", "ip_versions": ["ipv4", "ipv6"],
        "store": "persistent", "state": "present", "listener_guard": "warn"}},
    {"name": "accept range default", "portscale.tcpip.win_dynamic_port_range": {"state": "default", "protocols": ["udp"], "ip_versions": "ipv6"}},
    {"name": "accept parameters", "portscale.tcpip.win_tcpip_parameters": {"max_user_port": " 65534 ", "tcp_timed_wait_delay": "+30"}},
    {"name": "accept parameters absent", "portscale.tcpip.win_tcpip_parameters": {"max_user_port": " ABSENT "}},
    {"name": "accept exclusions", "portscale.tcpip.win_excluded_port_range": {
        "ranges": ["start=5022 count=1", {"start": "5100", "end": "5109"}], "protocols": "tcp", "ip_versions": "ipv4,ipv6",
        "purge": "no", "winnat_restart": "false", "store": "persistent", "state": "present"}},
    {"name": "accept probe", "portscale.tcpip.win_port_probe": {
        "count": "20", "timeout": " 10 ", "ip_version": "4", "target_host": " 127.0.0.1 ", "target_port": "0",
        "local_addresses": [" 127.0.0.2 ", "127.0.0.3"], "reuse_unicast_port": "yes", "port_scalability": "no",
        "max_free_share": "50", "allow_exhaustion": "false", "fail_below": "1"}},
    {"name": "accept probe ipv6", "portscale.tcpip.win_port_probe": {
        "count": 10, "ip_version": 6, "target_host": "0:0:0:0:0:0:0:1", "local_addresses": ["0::1"]}},
]
TCPIP_KEY = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
# What the accepted values must have become on the host.
CANONICAL_ARGV = [
    ["netsh", "int", "ipv4", "set", "dynamicport", "tcp", "start=10000", "num=55536", "store=persistent"],
    ["netsh", "int", "ipv6", "set", "dynamicport", "udp", "start=10000", "num=55536", "store=persistent"],
    ["netsh", "int", "ipv6", "set", "dynamicport", "udp", "start=49152", "num=16384", "store=persistent"],
    ["reg", "add", TCPIP_KEY, "/v", "MaxUserPort", "/t", "REG_DWORD", "/d", "65534", "/f"],
    ["reg", "add", TCPIP_KEY, "/v", "TcpTimedWaitDelay", "/t", "REG_DWORD", "/d", "30", "/f"],
    ["reg", "delete", TCPIP_KEY, "/v", "MaxUserPort", "/f"],
    ["netsh", "int", "ipv6", "add", "excludedportrange", "protocol=tcp", "startport=5100", "numberofports=10", "store=persistent"],
    ["netsh", "int", "ipv4", "add", "excludedportrange", "protocol=tcp", "startport=5022", "numberofports=1", "store=persistent"],
]


@pytest.fixture(name="smuggling", scope="module")
def fixture_smuggling(fleet, work) -> tuple[PlayRun, dict, PlayRun]:
    """The refused values (one run, then the host's counters), then the accepted ones (a second run)."""
    refused = run_playbook(work, fleet.inventory(), play(SMUGGLE, refused_tasks()), name="smuggle-refused")
    after_refused = fleet.counters(SMUGGLE)
    accepted = run_playbook(work, fleet.inventory(), play(SMUGGLE, ACCEPTED_TASKS), name="smuggle-accepted")
    return refused, after_refused, accepted


def documented_options() -> dict[str, set[str]]:
    """Every option (and sub-option, as ``parent.child``) of the five host modules, from their stubs' DOCUMENTATION."""
    options = {}
    modules = pathlib.Path(collections_path()) / "ansible_collections" / "portscale" / "tcpip" / "plugins" / "modules"
    for module in BASE:
        tree = ast.parse((modules / f"{module}.py").read_text(encoding="utf-8"))
        doc = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                   and any(isinstance(target, ast.Name) and target.id == "DOCUMENTATION" for target in node.targets))
        found = set()
        for name, spec in (yaml.safe_load(doc).get("options") or {}).items():
            found.add(name)
            found.update(f"{name}.{sub}" for sub in spec.get("suboptions") or {})
        options[module] = found
    return options


@row("S-07")
def test_smuggled_values_in_every_option_are_refused_before_reaching_the_host(fleet, smuggling):
    refused, after_refused, _accepted = smuggling
    covered: dict[str, set[str]] = {module: set() for module in BASE}
    for module, option, _base, _others in SCALARS:
        covered[module].add(option)
    assert covered == documented_options(), "every documented option needs smuggling cases"
    tasks = refused_tasks()
    options = {f"refuse {number:02d} {module} {option}": option.rsplit(".", 1)[-1] for number, (module, option, _b, _o) in enumerate(SCALARS)}
    items = 0
    for task in tasks:
        result = refused.of(SMUGGLE, task["name"])
        assert result.status == "ignored", (task["name"], result.status, result.msg)
        # A loop reports each item; a single task's failure is its status (the callback drops the "failed" key there).
        for outcome in result.result.get("results") or [dict(result.result, failed=True)]:
            items += 1
            assert outcome.get("failed") and not outcome.get("changed"), (task["name"], outcome)
            # Our validation says "Nothing was changed."; Ansible itself refuses free-form text for a module that takes none.
            assert NOTHING_CHANGED in outcome["msg"] or "does not support raw params" in outcome["msg"], (task["name"], outcome["msg"])
            # ... and names the option it refused.
            assert options.get(task["name"], MARKER) in outcome["msg"] or "raw params" in outcome["msg"], (task["name"], outcome["msg"])
    assert items > 800, items
    # Not one HTTP request: the values were refused on the controller before the connection was even opened.
    assert after_refused["http"]["http_requests"] == 0 and after_refused["model"]["commands_run"] == 0, after_refused


@row("S-08")
def test_values_that_validate_reach_the_host_only_in_canonical_form(fleet, smuggling):
    _refused, _after, accepted = smuggling
    assert accepted.rc == 0, accepted.output[-4000:]
    log = received(fleet, SMUGGLE)
    natives = [argv for entry in log["entries"] for argv in entry["natives"]]
    for argv in CANONICAL_ARGV:
        assert argv in natives, argv
    probes = [probe_params(sent_script(entry)) for entry in log["entries"] if sent_script(entry).startswith(PROBE_HEADER)]
    assert [(p["target_host"], p["local_addresses"], p["count"], p["timeout_ms"]) for p in probes] == [
        ("127.0.0.1", ["127.0.0.2", "127.0.0.3"], 20, 10000), ("::1", ["::1"], 10, 60000)]


# ----------------------------------------------------------------------------------------------------------------
# The oracle: what a host may receive, written from the wire contract (DESIGN §3), not from commands.py

NUMBER = r"[1-9][0-9]{0,4}"
IPV = r"ipv[46]"
PROTOCOL = r"tcp|udp"
STORE = r"store=(?:active|persistent)"
TCPIP_KEY_RE = re.escape(TCPIP_KEY)
OS_KEY_RE = re.escape("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion")
DWORD_NAME = r"MaxUserPort|TcpTimedWaitDelay"
# The boot identity and the collection's marker key (docs/semantics.md, "Pending until the host reboots").
BOOT_ID_KEY_RE = re.escape("HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters")
MARKER_KEY_RE = re.escape("HKLM\\SOFTWARE\\portscale.tcpip")
MARKER_DATA = r"boot=[0-9]{1,10}:effective=(?:[0-9]{1,10}|absent):written=(?:[0-9]{1,10}|absent):known=[01]"
EVENT_QUERY = (r"/q:\*\[System\[Provider\[@Name='Tcpip'\] and EventID=(?:4227|4231) and "
               r"TimeCreated\[timediff\(@SystemTime\) <= [1-9][0-9]{7,10}\]\]\]")
DAY_MS = 86_400_000


def event_query_of(event_id: int, window_ms: int) -> str:
    return f"/q:*[System[Provider[@Name='Tcpip'] and EventID={event_id} and TimeCreated[timediff(@SystemTime) <= {window_ms}]]]"


GRAMMAR: tuple[tuple[str, ...], ...] = (
    ("netsh", "int", IPV, "show", "dynamicport", PROTOCOL),
    ("netsh", "int", IPV, "show", "dynamicport", PROTOCOL, "store=persistent"),
    ("netsh", "int", IPV, "set", "dynamicport", PROTOCOL, f"start={NUMBER}", f"num={NUMBER}", STORE),
    ("netsh", "int", IPV, "show", "excludedportrange", f"protocol=(?:{PROTOCOL})"),
    ("netsh", "int", IPV, "show", "excludedportrange", f"protocol=(?:{PROTOCOL})", "store=persistent"),
    ("netsh", "int", IPV, "add|delete", "excludedportrange", f"protocol=(?:{PROTOCOL})", f"startport={NUMBER}", f"numberofports={NUMBER}", STORE),
    ("reg", "query", TCPIP_KEY_RE),
    ("reg", "query", TCPIP_KEY_RE, "/v", DWORD_NAME),
    ("whoami", "/groups", "/fo", "csv", "/nh"),
    ("reg", "query", OS_KEY_RE, "/v", "CurrentBuildNumber"),
    ("reg", "add", TCPIP_KEY_RE, "/v", DWORD_NAME, "/t", "REG_DWORD", "/d", NUMBER, "/f"),
    ("reg", "delete", TCPIP_KEY_RE, "/v", DWORD_NAME, "/f"),
    ("reg", "query", BOOT_ID_KEY_RE, "/v", "BootId"),
    ("reg", "query", MARKER_KEY_RE, "/v", DWORD_NAME),
    ("reg", "add", MARKER_KEY_RE, "/v", DWORD_NAME, "/t", "REG_SZ", "/d", MARKER_DATA, "/f"),
    ("netstat", "-anoq?"),
    ("netstat", "-anoq?", "-p", "tcp|tcpv6|udp|udpv6"),
    ("net", "stop|start", "winnat"),
    # The Tcpip exhaustion events (win_port_info, events_days): one event ID, a whole number of days in milliseconds.
    ("wevtutil", "qe", "System", EVENT_QUERY, "/f:xml", "/c:100", "/rd:true"),
    ("tasklist", "/fo", "csv", "/nh"),
)
ENCODED_LINE = re.compile(r"(?i:PowerShell) -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand ([A-Za-z0-9+/]+={0,2})")
# A script longer than cmd.exe's 8191-character command line (the probe) goes on stdin behind this fixed loader.
STDIN_LOADER = ("$ProgressPreference = 'SilentlyContinue'\n"
                "$portscale_script = $input | Out-String\n"
                "& ([ScriptBlock]::Create($portscale_script))\n")
PROBE_HEADER = "# portscale.tcpip probe v1"
PROBE_PARAMS_LINE = re.compile(r"\$PortscaleProbeParams = '((?:[^']|'')*)'")
IPV4_TEXT = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])")
IPV6_TEXT = re.compile(r"[0-9a-f:]{2,39}(?:%[0-9]{1,10})?")
BAD_WORDS = ("smuggled", "remove-item", "stop-computer", "calc", "out-file", "comspec", "\u037e", "\uff1b", "\u200b", "\x00")


def grammar_allows(argv: list[str]) -> bool:
    """The argv is one of the contract's commands, token for token, with numbers inside the limits Windows accepts."""
    rule = next((r for r in GRAMMAR if len(r) == len(argv) and all(re.fullmatch(p, a) for p, a in zip(r, argv))), None)
    if rule is None:
        return False
    numbers = {key: int(value) for key, value in (a.split("=", 1) for a in argv if re.fullmatch(r"[a-z]+=[0-9]+", a))}
    if argv[0] == "netsh" and argv[3] == "set":
        return numbers["start"] >= 1025 and numbers["num"] >= 255 and numbers["start"] + numbers["num"] <= 65536
    if argv[0] == "netsh" and argv[3] in ("add", "delete"):
        return numbers["startport"] + numbers["numberofports"] - 1 <= 65535
    if argv[:2] == ["reg", "add"] and argv[6] == "REG_SZ":
        return True  # the marker: its data is the grammar's fixed pattern of numbers and words
    if argv[:2] == ["reg", "add"]:
        low, high = (5000, 65534) if argv[4] == "MaxUserPort" else (2, 300)
        return low <= int(argv[8]) <= high
    if argv[0] == "wevtutil":
        window = int(re.search(r"<= ([0-9]+)\]", argv[3]).group(1))
        return window % DAY_MS == 0 and 1 <= window // DAY_MS <= 365
    return True


GROUP_INIT = ["$PortscaleGroupFailed = $false", "$PortscaleStop = $false"]
GROUP_START = "if ($PortscaleGroupFailed) { $PortscaleStop = $true }"
GROUP_OPEN = re.compile(r'if \(\$PortscaleStop\) \{ Write-Output "__PORTSCALE_[0-9a-f]{16}_[0-9]+_skipped" \} else \{')
GROUP_CLOSE = "if ($LASTEXITCODE -ne 0) { $PortscaleGroupFailed = $true } }"


def ungrouped(lines: list[str]) -> list[str] | None:
    """A batch with dependent groups (remote.build_batch's ``groups``) as the plain envelope: exactly its fixed wrapper
    lines removed (each grouped command wrapped whole); None when anything else appears."""
    if lines[1:3] != GROUP_INIT:
        return lines
    found, index = lines[:1], 3
    while index < len(lines):
        if lines[index] == GROUP_START:
            index += 1
        elif GROUP_OPEN.fullmatch(lines[index]):
            if index + 3 >= len(lines) or lines[index + 3] != GROUP_CLOSE:
                return None
            found += lines[index + 1:index + 3]
            index += 4
        else:  # anything else must pass the plain envelope's checks
            found.append(lines[index])
            index += 1
    return found


def batch_argv(script: str) -> list[list[str]] | None:
    """The commands of a batch envelope, or None if the script is anything else.

    The envelope: ``$ProgressPreference = 'SilentlyContinue'``, then per command ``& <tokens> 2>&1`` and
    ``Write-Output "__PORTSCALE_<nonce>_<index>_$LASTEXITCODE"`` (one nonce, indexes counting from 0), newline-terminated.
    Tokens are bare, or single-quoted when they hold a space; nothing else may appear. The one token with quotes of its
    own, the event query's ``'Tcpip'``, has them doubled inside its single-quoted string.
    """
    lines = ungrouped(script.split("\n"))
    if lines is None or lines[-1] != "" or lines[0] != "$ProgressPreference = 'SilentlyContinue'" or len(lines) < 4 or (len(lines) - 2) % 2:
        return None
    token = r"(?:[A-Za-z0-9=_.:\\/-]+|'[A-Za-z0-9=_.:\\/ -]+'|'" + EVENT_QUERY.replace("'", "''") + "')"
    commands, nonces = [], set()
    for index in range((len(lines) - 2) // 2):
        call = re.fullmatch(rf"& ({token}(?: {token})*) 2>&1", lines[1 + 2 * index])
        marker = re.fullmatch(r'Write-Output "__PORTSCALE_([0-9a-f]{16})_([0-9]+)_\$LASTEXITCODE"', lines[2 + 2 * index])
        if not call or not marker or int(marker.group(2)) != index:
            return None
        nonces.add(marker.group(1))
        commands.append([tok[1:-1].replace("''", "'") if tok.startswith("'") else tok for tok in re.findall(token, call.group(1))])
    return commands if len(nonces) == 1 else None


def _is_canonical_ip(text: t.Any, version: int) -> bool:
    if not isinstance(text, str) or not (IPV4_TEXT if version == 4 else IPV6_TEXT).fullmatch(text):
        return False
    try:
        return str(ipaddress.ip_address(text)) == text and ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def probe_params(script: str) -> dict:
    """The probe's parameters, checked key by key and type by type; AssertionError for anything else."""
    lines = script.split("\n")
    assert lines[0] == PROBE_HEADER, lines[0]
    found = PROBE_PARAMS_LINE.fullmatch(lines[1])
    assert found, lines[1]
    params = json.loads(found.group(1).replace("''", "'"))
    assert list(params) == ["schema", "count", "timeout_ms", "target_host", "target_port", "reuse_unicast_port", "port_scalability",
                            "local_addresses", "ip_version"], params

    def integer(value: t.Any, low: int, high: int) -> bool:
        return type(value) is int and low <= value <= high  # pylint: disable=unidiomatic-typecheck

    assert params["schema"] == 1 and params["ip_version"] in (4, 6), params
    assert integer(params["count"], 1, 200000) and integer(params["timeout_ms"], 1, 600000) and integer(params["target_port"], 0, 65535), params
    assert type(params["reuse_unicast_port"]) is bool and type(params["port_scalability"]) is bool, params  # pylint: disable=unidiomatic-typecheck
    assert _is_canonical_ip(params["target_host"], params["ip_version"]), params
    assert isinstance(params["local_addresses"], list) and len(params["local_addresses"]) <= 64, params
    assert all(_is_canonical_ip(address, params["ip_version"]) for address in params["local_addresses"]), params
    return params


def probe_template() -> str:
    """The fixed probe script of the collection under test (plugins/plugin_utils/_wire/probe_script.py), loaded from its file."""
    path = pathlib.Path(collections_path()) / "ansible_collections" / "portscale" / "tcpip" / "plugins" / "plugin_utils" / "_wire" / "probe_script.py"
    spec = importlib.util.spec_from_file_location("portscale_probe_script_under_test", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SCRIPT_TEMPLATE


def _as_encoded_by_core(script: str) -> str:
    """A script as ansible-core's winrm connection encodes what it is given (``_encode_script`` up to 2.20): every line
    stripped, empty lines dropped, joined by LF; a final LF is added back so the envelope check below stays exact."""
    return "\n".join(line.strip() for line in script.splitlines() if line.strip()) + "\n"


def sent_script(entry: dict) -> str:
    """The script as the controller sent it: the one encoded in the command line, or the stdin behind the fixed loader."""
    encoded = ENCODED_LINE.fullmatch(entry["line"])
    assert encoded, entry["line"][:300]
    decoded = base64.b64decode(encoded.group(1)).decode("utf-16-le")
    assert entry["script"] is None or entry["stdin"] or entry["script"] == decoded, entry["seq"]
    decoded = _as_encoded_by_core(decoded)
    if decoded == _as_encoded_by_core(STDIN_LOADER):
        assert entry["stdin"], entry["seq"]
        # The host ran what it read: ``$input | Out-String`` gives stdin's lines back with CRLF.
        assert entry["script"].replace("\r\n", "\n") == entry["stdin"], entry["seq"]
        return entry["stdin"]
    assert entry["stdin"] is None, entry["seq"]
    return decoded


def check_entry(entry: dict, template_tail: list[str]) -> None:
    """One command execution a host received: an encoded batch or the probe, with nothing smuggled anywhere."""
    assert not entry["truncated"], entry["seq"]
    assert entry["kind"] == "powershell", entry
    script = sent_script(entry)
    text = "\n".join([entry["line"], entry["stdin"] or "", entry["script"], script] + ["\x1f".join(argv) for argv in entry["natives"]]).lower()
    assert not [word for word in BAD_WORDS if word in text], (entry["seq"], script[:2000])
    if script.startswith(PROBE_HEADER):
        probe_params(script)
        # Everything but the parameter line is the fixed template, and the probe starts no native program.
        assert script.split("\n")[2:] == template_tail and entry["natives"] == [], entry["seq"]
        return
    commands = batch_argv(script)
    assert commands is not None, script
    bad = [argv for argv in commands if not grammar_allows(argv)]
    assert bad == [], bad
    # The host ran exactly the batch's commands, in order: no program the script does not name (with dependent groups,
    # a refusal skips later groups: an ordered subset).
    remaining = iter(commands)
    assert (entry["natives"] == commands or GROUP_INIT[0] in script and all(argv in remaining for argv in entry["natives"])), \
        (entry["natives"], commands)


@row("S-09")
def test_every_host_received_only_the_fixed_vocabulary(fleet, verbose, smuggling, refused_runs):
    del verbose, smuggling, refused_runs  # run first: the log below is what every host received during this file
    template_tail = probe_template().split("\n")[2:]
    seen = {"batches": 0, "probes": 0, "natives": 0}
    for host in fleet.names:
        log = received(fleet, host)
        assert log["dropped"] == 0, (host, log["recorded"], log["max_entries"])
        for entry in log["entries"]:
            check_entry(entry, template_tail)
            seen["probes" if sent_script(entry).startswith(PROBE_HEADER) else "batches"] += 1
            seen["natives"] += len(entry["natives"])
        assert log["recorded"] == fleet.executions(host), host  # every command execution is in the log
    assert seen["batches"] > 40 and seen["probes"] >= 8 and seen["natives"] > 200, seen


@row("S-10")
def test_the_oracle_refuses_what_the_contract_does_not_allow():
    allowed = [["netsh", "int", "ipv4", "set", "dynamicport", "tcp", "start=10000", "num=55536", "store=persistent"],
               ["reg", "query", "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", "/v", "CurrentBuildNumber"],
               ["netstat", "-anoq"], ["net", "start", "winnat"],
               ["reg", "query", "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters", "/v",
                "BootId"],
               ["reg", "add", "HKLM\\SOFTWARE\\portscale.tcpip", "/v", "TcpTimedWaitDelay", "/t", "REG_SZ", "/d",
                "boot=7:effective=absent:written=30:known=1", "/f"],
               ["wevtutil", "qe", "System", event_query_of(4231, 7 * DAY_MS), "/f:xml", "/c:100", "/rd:true"], ["tasklist", "/fo", "csv", "/nh"]]
    refused = [["netsh", "int", "ipv4", "set", "dynamicport", "tcp", "start=1024", "num=1000", "store=persistent"],
               ["netsh", "int", "ipv4", "set", "dynamicport", "tcp", "start=65000", "num=1000", "store=persistent"],
               ["netsh", "int", "ipv4", "set", "dynamicport", "tcp", "start=10000;calc", "num=1000", "store=persistent"],
               ["reg", "add", TCPIP_KEY, "/v", "Run", "/t", "REG_DWORD", "/d", "1", "/f"],
               ["reg", "add", TCPIP_KEY, "/v", "MaxUserPort", "/t", "REG_DWORD", "/d", "70000", "/f"],
               ["reg", "query", "HKLM\\SAM"], ["net", "user"], ["calc"], ["netstat", "-ano", "-p", "tcp", "1"],
               ["reg", "add", "HKLM\\SOFTWARE\\portscale.tcpip", "/v", "Run", "/t", "REG_SZ", "/d", "calc", "/f"],
               ["reg", "add", "HKLM\\SOFTWARE\\portscale.tcpip", "/v", "TcpTimedWaitDelay", "/t", "REG_SZ", "/d",
                "boot=1:effective=absent:written=30:known=1;calc", "/f"],
               ["reg", "delete", "HKLM\\SOFTWARE\\portscale.tcpip", "/f"],
               ["wevtutil", "qe", "System", event_query_of(4231, 366 * DAY_MS), "/f:xml", "/c:100", "/rd:true"],
               ["wevtutil", "qe", "System", event_query_of(4231, DAY_MS + 1), "/f:xml", "/c:100", "/rd:true"],
               ["wevtutil", "qe", "System", event_query_of(4625, DAY_MS), "/f:xml", "/c:100", "/rd:true"],
               ["wevtutil", "qe", "Security", event_query_of(4231, DAY_MS), "/f:xml", "/c:100", "/rd:true"],
               ["wevtutil", "qe", "System", event_query_of(4231, DAY_MS), "/f:xml", "/c:100000", "/rd:true"],
               ["tasklist", "/v", "/fo", "csv", "/nh"]]
    assert all(grammar_allows(argv) for argv in allowed) and not any(grammar_allows(argv) for argv in refused)
    good = "$ProgressPreference = 'SilentlyContinue'\n& netstat -anoq 2>&1\nWrite-Output \"__PORTSCALE_0123456789abcdef_0_$LASTEXITCODE\"\n"
    assert batch_argv(good) == [["netstat", "-anoq"]]
    events = ("$ProgressPreference = 'SilentlyContinue'\n& wevtutil qe System '" + event_query_of(4227, DAY_MS).replace("'", "''")
              + "' /f:xml /c:100 /rd:true 2>&1\nWrite-Output \"__PORTSCALE_0123456789abcdef_0_$LASTEXITCODE\"\n")
    assert batch_argv(events) == [["wevtutil", "qe", "System", event_query_of(4227, DAY_MS), "/f:xml", "/c:100", "/rd:true"]]
    # A quote that is not doubled would end the string: not the envelope.
    assert batch_argv(events.replace("''Tcpip''", "'Tcpip'")) is None
    for bad in (good.replace("2>&1", "2>&1; calc"), good + "calc\n", good.replace("_0_", "_1_"), good.replace("& netstat", "& 'net stat'; x"),
                good.replace("\n& netstat", "\n$x = 1\n& netstat")):
        assert batch_argv(bad) is None, bad
    header = PROBE_HEADER + "\n$PortscaleProbeParams = '{}'\n"
    params = {"schema": 1, "count": 1, "timeout_ms": 1, "target_host": "::1%1; calc", "target_port": 0, "reuse_unicast_port": False,
              "port_scalability": False, "local_addresses": [], "ip_version": 6}
    with pytest.raises(AssertionError):
        probe_params(header.replace("{}", json.dumps(params)))
    line = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand " + base64.b64encode(good.encode("utf-16-le")).decode()
    entry = {"seq": 1, "kind": "powershell", "truncated": False, "natives": [["netstat", "-anoq"]], "script": good, "line": line, "stdin": None}
    check_entry(entry, [])
    loader = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand " + base64.b64encode(
        STDIN_LOADER.encode("utf-16-le")).decode()
    check_entry(dict(entry, line=loader, stdin=good, script=good.replace("\n", "\r\n")), [])
    for changed in ({"natives": [["netstat", "-anoq"], ["whoami"]]}, {"kind": "cmd"}, {"line": line + " -Command x"}, {"truncated": True},
                    {"stdin": "& calc\n"}, {"line": loader, "stdin": good + "& whoami 2>&1\n", "script": good + "& whoami 2>&1\n"}):
        with pytest.raises(AssertionError):
            check_entry(dict(entry, **changed), [])


# ----------------------------------------------------------------------------------------------------------------
# Loopback only


def _proc_address(hex_address: str) -> str:
    """An address of /proc/net/tcp{,6}: little-endian 32-bit words of hex."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def listening_sockets_of_this_process() -> list[tuple[str, int]]:
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # TCP_LISTEN
                    address, port = fields[1].split(":")
                    found.append((_proc_address(address), int(port, 16)))
    return found


def other_local_addresses() -> list[str]:
    """This machine's own non-loopback addresses (IPv4 from fib_trie, IPv6 from if_inet6); traffic to them stays local."""
    found = set()
    with open("/proc/net/fib_trie", encoding="ascii") as handle:
        lines = handle.read().splitlines()
    for previous, line in zip(lines, lines[1:]):
        if "/32 host LOCAL" in line and "|--" in previous:
            found.add(previous.split("|--")[1].strip())
    if os.path.exists("/proc/net/if_inet6"):
        with open("/proc/net/if_inet6", encoding="ascii") as handle:
            for line in handle:
                fields = line.split()
                if fields[3] == "00":  # global scope only (link-local would need an interface)
                    found.add(str(ipaddress.ip_address(bytes.fromhex(fields[0]))))
    return sorted(a for a in found if not ipaddress.ip_address(a).is_loopback)


def refuses(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect((address, port))
        except ConnectionRefusedError:
            return True
        except OSError:
            return True  # unreachable from here is as good as refused
    return False


@row("S-11")
def test_the_simulator_listens_on_127_0_0_1_only(fleet):
    ports = {fleet.handle.host(name).port for name in fleet.names} | {fleet.control.port}
    described = json.loads(pathlib.Path(fleet.handle.state_dir, "fleet.json").read_text(encoding="utf-8"))
    assert {h["address"] for h in described["hosts"]} == {"127.0.0.1"}
    assert {h["address"] for h in fleet.control.status()["hosts"]} == {"127.0.0.1"}
    # The kernel's own table: every socket this process (the fleet runs in it) listens on, not what the simulator says.
    listening = listening_sockets_of_this_process()
    assert ports <= {port for _address, port in listening}, (ports, listening)
    assert {address for address, _port in listening} == {"127.0.0.1"}, listening
    # Bound to 127.0.0.1 exactly, not to the wildcard address: another loopback address and this machine's other
    # addresses are refused.
    others = ["127.0.0.2", "::1"] + other_local_addresses()
    for address in others:
        assert all(refuses(address, port) for port in ports), address


@row("S-12")
def test_every_generated_inventory_points_at_127_0_0_1(fleet):
    inventory = yaml.safe_load(pathlib.Path(fleet.inventory()).read_text(encoding="utf-8"))
    windows = inventory["all"]["children"]["windows"]
    assert {v["ansible_host"] for v in windows["hosts"].values()} == {"127.0.0.1"}
    assert windows["vars"]["portscale_sim_control_url"].startswith("http://127.0.0.1:")
    ini = pathlib.Path(fleet.inventory("inventory.winrm")).read_text(encoding="utf-8")
    hosts = re.findall(r"\bansible_host=(\S+)", ini)
    assert len(hosts) == len(fleet.names) and set(hosts) == {"127.0.0.1"}
    assert set(re.findall(r"https?://([^:/\s]+)", ini)) == {"127.0.0.1"}


# ----------------------------------------------------------------------------------------------------------------
# Static check: addresses the repository's test, bench and tool code binds or connects to

SCANNED = ("tests", "simulator", "bench", "tools", "extensions/molecule")
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
# Calls whose first argument (or host= keyword) is always a bind or connect address.
ADDRESS_CALLS = {"connect_ex", "create_connection", "open_connection", "start_server", "create_server", "HTTPConnection",
                 "HTTPSConnection", "sendto"}
# Calls that take an address or URL among other uses (socket bind/connect, asyncssh connect/listen, winrm.Session, requests,
# urllib; but also inspect's Signature.bind, dict.get): a literal counts when it is a URL or an IP / host name, a computed
# value when its source names a host, address, URL, endpoint or port.
MAYBE_ADDRESS_CALLS = {"bind", "connect", "listen", "Session", "urlopen", "post", "get", "put", "request"}
HOST_KEYWORDS = ("host", "address", "endpoint", "url")
# Call sites whose address is computed, each checked by hand (file, the address expression as written, why it is local).
REVIEWED = {
    ("simulator/tests/test_ssh_front.py", "(address, port)"):
        "can_connect(): called with 127.0.0.1, 127.0.0.2 and ::1 only, to prove the SSH front end is loopback-only",
    ("tests/reliability/test_security.py", "(address, port)"):
        "refuses(): this machine's own other addresses, to prove the simulator is not reachable on them (S-11)",
}
# Expressions that name an endpoint defined once, with 127.0.0.1 in its definition (checked below).
ENDPOINT_ATTRIBUTES = {"endpoint"}


def _address_expression(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in HOST_KEYWORDS:
            return keyword.value
    return call.args[0] if call.args else None


def _literal_host(node: ast.expr) -> tuple[str, bool] | None:
    """(host, written as a URL) of a literal address expression, or None when the host part is computed."""
    if isinstance(node, ast.Tuple) and node.elts:
        return _literal_host(node.elts[0])
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "\0" for v in node.values)
    else:
        return None
    url = re.match(r"[a-z]+://(\[[^\]]*\]|[^:/\0]*)", text)
    host = url.group(1).strip("[]") if url else text
    return None if "\0" in host else (host, bool(url))


def _is_host_name_or_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return text == "localhost" or bool(re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", text))


def _not_source(path: pathlib.Path) -> bool:
    """Bytecode, and what building the simulator package leaves in its folder (git ignores both)."""
    parts = path.relative_to(REPO).parts
    return "__pycache__" in parts or parts[:2] == ("simulator", "build") or any(part.endswith(".egg-info") for part in parts)


def socket_call_sites() -> list[tuple[str, int, str, str]]:
    """(file, line, call, verdict) for every bind/connect-like call in the scanned Python code."""
    sites = []
    for folder in SCANNED:
        for path in sorted((REPO / folder).rglob("*.py")):
            if _not_source(path):
                continue
            relative = str(path.relative_to(REPO))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                expression = _address_expression(node) if name in ADDRESS_CALLS | MAYBE_ADDRESS_CALLS else None
                verdict = _verdict(relative, name, expression) if expression is not None else "not an address"
                if verdict != "not an address":
                    sites.append((relative, node.lineno, f"{name}({ast.unparse(expression)})", verdict))
    return sites


def _verdict(relative: str, name: str, expression: ast.expr) -> str:
    source = ast.unparse(expression)
    literal = _literal_host(expression)
    if literal is not None:
        host, is_url = literal
        if name in MAYBE_ADDRESS_CALLS and not is_url and not _is_host_name_or_ip(host):
            return "not an address"  # dict.get("key"), conn.request("POST", ...)
        return "loopback" if host in LOOPBACK_NAMES else f"NOT LOOPBACK: {host}"
    if isinstance(expression, ast.Attribute) and expression.attr in ENDPOINT_ATTRIBUTES:
        return "endpoint attribute"
    if (relative, source) in REVIEWED:
        return "reviewed"
    if name in MAYBE_ADDRESS_CALLS and not any(word in source.lower() for word in ("host", "addr", "url", "endpoint", "port")):
        return "not an address"
    return f"UNREVIEWED: {source}"


IP_LITERAL = re.compile(r"(?<![\w.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![\w.])")
TEXT_SUFFIXES = {".py", ".yml", ".yaml", ".ini", ".cfg", ".j2", ".sh", ".json", ".md", ".txt", ".toml", ".winrm", ".template"}
# Non-loopback IPv4 literals that are data, never a socket address: what the simulated host prints in netstat tables,
# parser samples from docs/windows-facts.md, and addresses a simulated probe is told to bind to (the simulator computes the
# answer; it opens no socket). Folder -> why. A literal anywhere else fails the test until reviewed.
DATA_FOLDERS = {
    "tests/unit/": "parser, capacity and action samples: netstat/reg text as a Windows host prints it",
    "simulator/tests/": "expected netstat rows of the simulated host; 192.0.2.x (RFC 5737) as a simulated probe bind address",
    "simulator/src/portscale_winsim/model/": "the simulated host's connection table (netstat rows it prints), RFC 5737 peers",
    "tests/integration/targets/": "filters over netstat output rows (the wildcard address = listening on every address of the host)",
}
# Single literals elsewhere, reviewed: none is ever given to a socket.
NOT_ADDRESSES = {
    ("simulator/src/portscale_winsim/shell/ps_errors.py", "1.1.0.1"): "the CLIXML schema version PowerShell writes",
    ("simulator/src/portscale_winsim/wsman/auth.py", "2.2.9.1"): "a section number of MS-WSMV in the docstring",
    ("simulator/src/portscale_winsim/probe.py", "0.0.0.0"): "the wildcard address of the simulated host's netstat rows, compared as text",
    ("tests/reliability/test_bad_input.py", "0.0.0.0"): "netstat rows given to the parse_netstat filter as text",
    ("simulator/src/portscale_winsim/psrp/session.py", "1.1.0.1"): "the CLIXML schema version PowerShell writes",
    ("simulator/src/portscale_winsim/psrp/records.py", "2.2.3.15"): "a section number of MS-PSRP (ErrorRecord) in the docstring",
    ("simulator/src/portscale_winsim/psrp/session.py", "2.2.2.9"): "a section number of MS-PSRP in a comment",
    ("simulator/src/portscale_winsim/psrp/session.py", "2.2.3.11"): "a section number of MS-PSRP in a comment",
    ("simulator/src/portscale_winsim/psrp/session.py", "3.1.4.1"): "a section number of MS-PSRP in a comment",
    ("simulator/src/portscale_winsim/shell/runspace.py", "2.2.2.20"): "a section number of MS-PSRP in a comment",
    ("simulator/src/portscale_winsim/shell/runspace.py", "2.2.2.24"): "a section number of MS-PSRP in a comment",
    ("simulator/src/portscale_winsim/shell/runspace.py", "2.2.3.17"): "a section number of MS-PSRP (host method identifiers)",
    ("simulator/src/portscale_winsim/wsman/psrp_soap.py", "3.1.4.14"): "a section number of MS-PSRP in a comment",
}
THIS_FILE = str(pathlib.Path(__file__).resolve().relative_to(REPO))


def ip_literals_outside_data() -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for folder in SCANNED:
        for path in sorted((REPO / folder).rglob("*")):
            if not path.is_file() or path.suffix not in TEXT_SUFFIXES or _not_source(path):
                continue
            relative = str(path.relative_to(REPO))
            for literal in IP_LITERAL.findall(path.read_text(encoding="utf-8", errors="replace")):
                try:
                    address = ipaddress.ip_address(literal)
                except ValueError:
                    continue
                if address.is_loopback or (relative, literal) in NOT_ADDRESSES:
                    continue
                if relative == THIS_FILE and literal in {lit for _path, lit in NOT_ADDRESSES}:
                    continue  # the allowlist above names them
                if any(relative.startswith(prefix) for prefix in DATA_FOLDERS):
                    continue
                found[(relative, literal)] = found.get((relative, literal), 0) + 1
    return found


# Templated addresses a playbook may connect to: both are 127.0.0.1 in every inventory the simulator writes (S-12).
SIMULATOR_VARIABLES = ("{{ portscale_sim_control_url }}", "{{ ansible_host }}")
# The one documented exception: a scenario for a real Windows host, which the user names in PORTSCALE_WINDOWS_HOST.
# `make molecule` skips it when that variable is unset, and no test here sets it.
TEMPLATED_ADDRESSES = {("extensions/molecule/windows_host/create.yml", "{{ windows_host }}"): "PORTSCALE_WINDOWS_HOST, a real host"}
ADDRESS_KEY = re.compile(r"""^\s*(?:-\s+)?(ansible_host|address|host|url|endpoint)\s*[:=]\s*["']?(.*?)["']?\s*$""", re.MULTILINE)


def playbook_addresses() -> list[tuple[str, str, str]]:
    """(file, key, value) of every address-like key in the scanned YAML and INI files (inventories, tasks, instance configs)."""
    found = []
    for folder in SCANNED:
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and path.suffix in {".yml", ".yaml", ".ini", ".winrm", ".j2", ".cfg"}:
                text = path.read_text(encoding="utf-8", errors="replace")
                found += [(str(path.relative_to(REPO)), key, value) for key, value in ADDRESS_KEY.findall(text)]
        # INI inventories put several host vars on one line.
        for path in sorted((REPO / folder).rglob("*.winrm")):
            found += [(str(path.relative_to(REPO)), "ansible_host", v) for v in re.findall(r"\bansible_host=(\S+)", path.read_text(encoding="utf-8"))]
    return found


def address_is_local(path: str, value: str) -> bool:
    host = re.sub(r"^[a-z]+://", "", value).split("/")[0].rsplit(":", 1)[0].strip("[]") if "://" in value else value
    return host in LOOPBACK_NAMES or value.startswith(SIMULATOR_VARIABLES) or (path, value) in TEMPLATED_ADDRESSES


@row("S-13")
def test_test_bench_and_tool_code_binds_and_connects_to_loopback_only():
    from portscale_winsim.fleet import HostInfo  # pylint: disable=import-outside-toplevel
    # The one endpoint definition every ``.endpoint`` call site uses.
    assert HostInfo("x", 1, "https", ()).endpoint == "https://127.0.0.1:1/wsman"
    sites = socket_call_sites()
    assert [s for s in sites if s[3].startswith(("NOT", "UNREVIEWED"))] == []
    assert len([s for s in sites if s[3] == "loopback"]) >= 10, sites  # the scan does see the real call sites
    assert all(any(s[0] == path and s[2].endswith(source + ")") for s in sites) for path, source in REVIEWED), "a reviewed site vanished"
    assert ip_literals_outside_data() == {}
    # Playbooks, inventories and instance configs: loopback literals, the simulator's variables, or the reviewed exception.
    addresses = playbook_addresses()
    assert [a for a in addresses if not address_is_local(a[0], a[2])] == []
    assert len(addresses) >= 8, addresses  # the scan sees the control URLs and wait_for hosts of the test playbooks
