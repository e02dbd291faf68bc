# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port-probe contract (docs/probe-contract.md), emulated against the host model.

The real ``win_port_probe`` script opens N sockets with .NET; the simulator recognises the script by its first line
and computes what those sockets would do from the model's free ports. The emulation never changes the model
(the real probe closes every socket with linger 0, so nothing is left, not even TIME_WAIT).

Port reuse. The probe connects to one destination (its own listener, or ``target_host:target_port``), so its
sockets need distinct local ports among themselves: a 4-tuple cannot repeat. Where SO_REUSE_UNICASTPORT exists
(``model.reuse_unicast_port``), the sockets that have it may also take ports other sockets hold, as long as the 4-tuple
differs: the option "instructs the system to postpone port allocation until connection time when the 4-tuple
(quadruple) for the connection is known" [DOC, KB 3149157, https://support.microsoft.com/help/3149157], and "connection
functions with an implicit bind (such as connect without an explicit bind) have this option set by default" [DOC,
https://learn.microsoft.com/en-us/windows/win32/winsock/sol-socket-socket-options] (Windows PowerShell 5.1's
``BeginConnect`` on the pipeline thread calls WSAConnect without a bind: .NET Framework's ``CanUseConnectEx`` is false
off the thread pool). A TIME_WAIT row blocks only its own protocol, addresses and ports [DOC, "TIME-WAIT delay", MSDN
ms819739]. Which held ports such a socket may share is not documented beyond that; the simulator lets it share only
ports held by ``reusable`` connection groups (apps with ``implicit_bind``) none of which goes to the probe's destination
[INF].
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import math
import re

from .model import ports as portmath
from .results import CommandResult

PROBE_HEADER = "# portscale.tcpip probe v1"
PARAMS_VARIABLE = "$PortscaleProbeParams"
RESULT_MARKER = "PORTSCALE-PROBE-RESULT "
SCHEMA_VERSION = 1
MAX_COUNT = 200000
MAX_TIMEOUT_MS = 600000
MAX_LOCAL_ADDRESSES = 64
# Emulated cost of one connect attempt in the PowerShell loop (socket, optional bind, connect, list add): 250 µs,
# i.e. 4,000 connects/s on loopback [INF: the order of magnitude of Windows PowerShell 5.1 loops].
CONNECT_COST_US = 250
FAULT_MATCH_TEXT = "portscale-probe"
#: The two ways the probe may write its result line (plugins/plugin_utils/_wire/probe_script.py), matched exactly.
OUTPUT_EMISSION = "Write-Output ('PORTSCALE-PROBE-RESULT ' + (ConvertTo-Json -InputObject $result -Compress -Depth 4))"
CONSOLE_EMISSION = ("[Console]::Out.Write('PORTSCALE-PROBE-RESULT ' + (ConvertTo-Json -InputObject $result -Compress -Depth 4) + \"`r`n\")",
                    "[Console]::Out.Flush()")
EMIT_OUTPUT = "output"
EMIT_CONSOLE = "console"
UNKNOWN_EMISSION = ("SIMULATOR-UNSUPPORTED: a probe script that writes its result line neither with Write-Output ('PORTSCALE-PROBE-RESULT ' + ...) "
                    "nor with [Console]::Out.Write('PORTSCALE-PROBE-RESULT ' + ...) followed by [Console]::Out.Flush()")

PARAM_TYPES = {
    "schema": int, "count": int, "timeout_ms": int, "target_host": str, "target_port": int,
    "reuse_unicast_port": bool, "port_scalability": bool, "local_addresses": list, "ip_version": int,
}

# Winsock codes, .NET SocketError names and FormatMessage texts [DOC + OBS-H, docs/windows-facts.md §7.1].
SOCKET_ERRORS = {
    10042: ("ProtocolOption", "An unknown, invalid, or unsupported option or level was specified in a getsockopt or setsockopt call"),
    10047: ("AddressFamilyNotSupported", "An address incompatible with the requested protocol was used"),
    10048: ("AddressAlreadyInUse", "Only one usage of each socket address (protocol/network address/port) is normally permitted"),
    10049: ("AddressNotAvailable", "The requested address is not valid in its context"),
    10055: ("NoBufferSpaceAvailable",
            "An operation on a socket could not be performed because the system lacked sufficient buffer space or because a queue was full"),
    10061: ("ConnectionRefused", "No connection could be made because the target machine actively refused it"),
}

_PARAMS_LINE = re.compile(r"^\s*\$PortscaleProbeParams\s*=\s*'((?:[^']|'')*)'\s*;?\s*$", re.IGNORECASE)
_STRICT_MODE = re.compile(r"^\s*set-strictmode\s+-version\s+latest\s*$", re.IGNORECASE)


class ProbeParamsError(ValueError):
    """The probe's input is wrong (the real script throws and exits 1)."""


class ProbeUnsupported(ValueError):
    """A valid request the simulator cannot emulate (e.g. a remote target): fail loudly."""


# ----------------------------------------------------------------------------- script framing


def is_probe_script(script: str) -> bool:
    """True when the first line (after an optional ``Set-StrictMode -Version Latest``) is PROBE_HEADER."""
    lines = [line.strip() for line in script.replace("\r\n", "\n").split("\n") if line.strip()]
    if lines and _STRICT_MODE.match(lines[0]):
        lines = lines[1:]
    return bool(lines) and lines[0] == PROBE_HEADER


def parse_probe_script(script: str) -> dict:
    """The parameters from the one ``$PortscaleProbeParams = '<json>'`` line (PowerShell ``''`` escapes un-doubled)."""
    found = [m.group(1) for m in map(_PARAMS_LINE.match, script.replace("\r\n", "\n").split("\n")) if m]
    if len(found) != 1:
        raise ProbeParamsError(f"expected exactly one {PARAMS_VARIABLE} = '<json>' line, found {len(found)}")
    try:
        params = json.loads(found[0].replace("''", "'"))
    except json.JSONDecodeError as exc:
        raise ProbeParamsError(f"{PARAMS_VARIABLE} is not valid JSON: {exc}") from None
    if not isinstance(params, dict):
        raise ProbeParamsError(f"{PARAMS_VARIABLE} must be a JSON object")
    return params


def result_emission(script: str) -> str | None:
    """How the script writes its result line: ``EMIT_OUTPUT``, ``EMIT_CONSOLE``, or None for any other form.

    Both forms are recognised exactly (lines compared without surrounding blanks), exactly once, because they reach
    different places: ``Write-Output`` is a stdout line from powershell.exe (WinRM, SSH) and an output object in a
    PSRP runspace; ``[Console]::Out.Write`` is a stdout line from powershell.exe but reaches no one in a remote
    runspace, which has no console (PowerShell/PowerShell#20054).
    """
    lines = [line.strip() for line in script.replace("\r\n", "\n").split("\n")]
    outputs = [i for i, line in enumerate(lines) if line == OUTPUT_EMISSION]
    consoles = [i for i, line in enumerate(lines) if line == CONSOLE_EMISSION[0]]
    mentions = [line for line in lines if RESULT_MARKER.strip() in line and not line.startswith("#")]
    if len(mentions) != 1:
        return None
    if outputs and not consoles:
        return EMIT_OUTPUT
    if consoles and not outputs and lines[consoles[0] + 1:consoles[0] + 2] == [CONSOLE_EMISSION[1]]:
        return EMIT_CONSOLE
    return None


@dataclasses.dataclass(frozen=True)
class ProbeRun:
    """One probe run before it is written anywhere: the JSON result, or the failure the real script would report."""

    result: dict | None = None
    fault: CommandResult | None = None      # an injected command failure (model.inject_command_failure)
    thrown: str | None = None               # the message the script throws (bad parameters)
    unsupported: str | None = None          # SIMULATOR-UNSUPPORTED text
    emission: str | None = None

    def result_line(self) -> str:
        return RESULT_MARKER + json.dumps(self.result, sort_keys=True, separators=(",", ":"))


def probe_run(model, script: str) -> ProbeRun:
    """Fault, parameters, emission form, emulation: in that order (a real script throws on bad parameters before it
    writes anything; a script the simulator cannot tell the output of is refused before it runs)."""
    fault = model.take_fault(FAULT_MATCH_TEXT)
    if fault is not None:
        return ProbeRun(fault=CommandResult(bytes.fromhex(fault.stdout_hex), bytes.fromhex(fault.stderr_hex), fault.exit_code))
    try:
        params = validate_params(parse_probe_script(script))
    except ProbeParamsError as exc:
        return ProbeRun(thrown=f"portscale probe: {exc}")
    emission = result_emission(script)
    if emission is None:
        return ProbeRun(unsupported=UNKNOWN_EMISSION)
    try:
        return ProbeRun(result=run_probe(model, params), emission=emission)
    except ProbeUnsupported as exc:
        return ProbeRun(unsupported=f"SIMULATOR-UNSUPPORTED: portscale probe (locale {model.locale}): {exc}")
    except ProbeParamsError as exc:
        return ProbeRun(thrown=f"portscale probe: {exc}")


def run_probe_script(model, script: str, codepage: int) -> CommandResult:
    """The whole probe as powershell.exe runs it: exit 0 and one marker line (either emission form reaches stdout), or
    exit 1 with a PowerShell-style error."""
    run = probe_run(model, script)
    if run.fault is not None:
        return run.fault
    if run.unsupported is not None:
        return CommandResult(b"", (run.unsupported + "\r\n").encode("utf-8"), 1)
    if run.thrown is not None:
        return CommandResult(b"", powershell_throw_text(run.thrown).encode("utf-8"), 1)
    line = run.result_line() + "\r\n"
    return CommandResult(line.encode("utf-8" if codepage == 65001 else "ascii"), b"", 0)


def run_probe_in_runspace(model, script: str) -> ProbeRun:
    """The probe as a PSRP pipeline runs it (shell/runspace.py turns the ProbeRun into pipeline messages)."""
    return probe_run(model, script)


def powershell_throw_text(message: str) -> str:
    """How powershell.exe reports ``throw "<message>"`` on stderr (the "At line" block left out) [INF]."""
    return (f"{message}\r\n"
            f"    + CategoryInfo          : OperationStopped: ({message}:String) [], RuntimeException\r\n"
            f"    + FullyQualifiedErrorId : {message}\r\n")


# ----------------------------------------------------------------------------- validation


def validate_params(params: dict) -> dict:
    """Check every key, type and bound; return the params unchanged. Raises ProbeParamsError."""
    if not isinstance(params, dict):
        raise ProbeParamsError("parameters must be a JSON object")
    unknown = sorted(set(params) - set(PARAM_TYPES))
    missing = sorted(set(PARAM_TYPES) - set(params))
    if unknown or missing:
        raise ProbeParamsError(f"unknown keys {unknown}, missing keys {missing}")
    for key, kind in PARAM_TYPES.items():
        value = params[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ProbeParamsError(f"{key} must be {kind.__name__}, got {type(value).__name__}")
    if params["schema"] != SCHEMA_VERSION:
        raise ProbeParamsError(f"schema must be {SCHEMA_VERSION}")
    if not 1 <= params["count"] <= MAX_COUNT:
        raise ProbeParamsError(f"count must be 1..{MAX_COUNT}")
    if not 1 <= params["timeout_ms"] <= MAX_TIMEOUT_MS:
        raise ProbeParamsError(f"timeout_ms must be 1..{MAX_TIMEOUT_MS}")
    if not 0 <= params["target_port"] <= 65535:
        raise ProbeParamsError("target_port must be 0..65535")
    if params["ip_version"] not in (4, 6):
        raise ProbeParamsError("ip_version must be 4 or 6")
    addresses = params["local_addresses"]
    if len(addresses) > MAX_LOCAL_ADDRESSES or len(set(addresses)) != len(addresses):
        raise ProbeParamsError(f"local_addresses must be at most {MAX_LOCAL_ADDRESSES} distinct addresses")
    for text in [params["target_host"]] + addresses:
        if not isinstance(text, str):
            raise ProbeParamsError("addresses must be strings")
        try:
            parsed = ipaddress.ip_address(text)
        except ValueError:
            raise ProbeParamsError(f"{text!r} is not an IP address literal") from None
        if parsed.version != params["ip_version"] or str(parsed) != text:
            raise ProbeParamsError(f"{text!r} is not a canonical IPv{params['ip_version']} address")
    return params


# ----------------------------------------------------------------------------- emulation


def _error(code: int, suffix: str = "") -> dict:
    name, text = SOCKET_ERRORS[code]
    return {"code": code, "name": name, "message": f"{text} {suffix}" if suffix else text}


def _endpoint(host: str, port: int, ip_version: int) -> str:
    return f"{host}:{port}" if ip_version == 4 else f"[{host}]:{port}"


def _is_local(model, address: str) -> bool:
    parsed = ipaddress.ip_address(address)
    return parsed.is_loopback or address in (model.ipv4_address, model.ipv6_address)


def _listening(model, host: str, port: int, ip_version: int) -> bool:
    wildcard = "0.0.0.0" if ip_version == 4 else "::"
    return any(g.state == "LISTENING" and port in g.ports and g.local_address in (wildcard, host)
               for g in model.connection_groups("tcp", ip_version))


def run_probe(model, params: dict) -> dict:
    """Emulate the probe burst. Pure: reads the model, never changes it."""
    validate_params(params)
    ip_version = params["ip_version"]
    host = params["target_host"]
    if not _is_local(model, host):
        raise ProbeUnsupported(f"target {host} is not on this host; the simulator only models local listeners")
    bind_addresses = params["local_addresses"]
    pool = model.free_ports(ip_version, "tcp")
    outcome = _Outcome(params)
    if ip_version == 6 and not model.os.ipv6:
        return outcome.fail_at_start(_error(10047), params["target_port"])
    if params["target_port"] == 0:
        if not pool:
            return outcome.fail_at_start(_error(10055), 0)
        listener_port, pool = pool[0], pool[1:]   # TcpListener on port 0 takes one ephemeral port itself
    else:
        listener_port = params["target_port"]
        if not _listening(model, host, listener_port, ip_version):
            return outcome.fail_at_start(_error(10061, _endpoint(host, listener_port, ip_version)), listener_port)
    options_unsupported = ((params["reuse_unicast_port"] and not model.reuse_unicast_port)
                           or (params["port_scalability"] and not model.os.port_scalability))
    if options_unsupported:
        return outcome.fail_at_start(_error(10042), listener_port)
    foreign = [a for a in bind_addresses if not _is_local(model, a)]
    if foreign:
        return outcome.fail_at_start(_error(10049), listener_port)
    # SO_REUSE_UNICASTPORT behaviour: connect() without a bind where the option exists, or the option itself. An
    # explicit bind without it takes a port nobody holds (and SO_PORT_SCALABILITY alone shares nothing with others).
    if model.reuse_unicast_port and (not bind_addresses or params["reuse_unicast_port"]):
        pool = sorted(set(pool) | reusable_ports(model, ip_version, (host, listener_port)))
    return outcome.burst(pool, bind_addresses or [host], bool(bind_addresses), listener_port)


def reusable_ports(model, ip_version: int, destination: tuple[str, int]) -> set[int]:
    """Ports of the active TCP range a socket with SO_REUSE_UNICASTPORT behaviour may take towards ``destination``
    (address, port) although sockets hold them: held only by ``reusable`` connection groups, none of which goes to
    ``destination`` (that would repeat a 4-tuple; TIME_WAIT rows included), and not excluded. Listeners, BOUND sockets
    and clients that bound before connecting hold their ports alone [INF, module docstring]."""
    dyn = model.dynamic_range(ip_version, "tcp")
    excluded = portmath.occupied_map(model.exclusions, [], ip_version, "tcp")
    shared: set[int] = set()
    alone: set[int] = set()
    for group in model.connection_groups("tcp", ip_version):
        towards = (group.remote_address, group.remote_port) == destination
        (shared if group.reusable and not towards else alone).update(group.ports)
    return {port for port in shared - alone if dyn.contains(port) and not excluded[port]}


class _Outcome:
    """Closed-form result of the connect loop (no per-socket iteration, so 200,000 sockets cost nothing)."""

    def __init__(self, params: dict):
        self.params = params
        self.endpoint_host = params["target_host"]

    def _result(self, opened: int, error: dict | None, attempts: int, timed_out: bool, ports: tuple[int, int] | None,
                per_address: dict[str, int], listener_port: int) -> dict:
        elapsed_ms = attempts * CONNECT_COST_US / 1000
        return {
            "schema": SCHEMA_VERSION,
            "requested": self.params["count"],
            "opened": opened,
            "closed": opened,
            "first_failure_index": opened if error else None,
            "error": error,
            "timed_out": timed_out,
            "elapsed_ms": round(elapsed_ms, 3),
            "rate_per_sec": round(opened / (elapsed_ms / 1000), 1) if elapsed_ms else 0.0,
            "local_port_min": ports[0] if ports else None,
            "local_port_max": ports[1] if ports else None,
            "addresses_used": list(per_address),
            "opened_per_address": per_address,
            "listener_port": listener_port,
            "target": _endpoint(self.endpoint_host, listener_port, self.params["ip_version"]),
        }

    def fail_at_start(self, error: dict, listener_port: int) -> dict:
        addresses = self.params["local_addresses"] or [self.endpoint_host]
        return self._result(0, error, 1, False, None, {a: 0 for a in addresses}, listener_port)

    def burst(self, pool: list[int], addresses: list[str], explicit: bool, listener_port: int) -> dict:
        count = self.params["count"]
        per_address_capacity = explicit and (self.params["reuse_unicast_port"] or self.params["port_scalability"])
        capacity = len(pool) * (len(addresses) if per_address_capacity else 1)
        time_limit = math.ceil(self.params["timeout_ms"] * 1000 / CONNECT_COST_US)
        opened = min(count, capacity, time_limit)
        error = None
        attempts = opened
        timed_out = opened < count and opened == time_limit
        if opened < count and not timed_out:
            code = 10048 if self.params["reuse_unicast_port"] else 10055
            error = _error(code, _endpoint(self.endpoint_host, listener_port, self.params["ip_version"]))
            attempts += 1
        k = len(addresses)
        per_address = {a: opened // k + (1 if i < opened % k else 0) for i, a in enumerate(addresses)}
        # Ports are handed out in ascending order from the range start [INF]; with per-address capacity each address
        # reuses the same port numbers, otherwise the addresses share one pool.
        used = max(per_address.values()) if per_address_capacity else opened
        ports = (pool[0], pool[used - 1]) if used else None
        return self._result(opened, error, attempts, timed_out, ports, per_address, listener_port)
