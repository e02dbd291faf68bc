# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything a module needs to know about a host, read in one batch and parsed into plain data.

A snapshot is read once per task (before planning) and, after writes, once more inside the write batch to
verify them. The same commands and the same parsing serve both, so "what we read" and "what we verified"
cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import typing as t

from . import commands
from .parsers import (
    ParseError,
    ParsedConnection,
    find_registry_value,
    parse_dynamic_port_range,
    parse_excluded_port_ranges,
    parse_netstat,
    parse_reg_query,
)
from .remote import CommandOutput, RemoteError
from .tcpip import IP_VERSIONS, PROTOCOLS, PortRange

Combo = t.Tuple[str, str]  # (ip_version, protocol)
ALL_COMBOS: tuple[Combo, ...] = tuple((ip, proto) for ip in IP_VERSIONS for proto in PROTOCOLS)
TRACKED_VALUES = commands.TCPIP_DWORD_VALUES

# Windows Vista / Server 2008 is build 6000: the first with netsh dynamic ranges (before it, MaxUserPort governs).
FIRST_DYNAMICPORT_BUILD = 6000


def combo_key(combo: Combo) -> str:
    return f"{combo[0]}_{combo[1]}"


@dataclasses.dataclass(frozen=True)
class Exclusion:
    range: PortRange
    administered: bool

    def to_dict(self) -> dict[str, t.Any]:
        return {"start": self.range.start, "end": self.range.end, "count": self.range.count, "administered": self.administered}


@dataclasses.dataclass(frozen=True)
class SnapshotRequest:
    """Which parts to read; the OS build and the Tcpip\\Parameters values are always read."""

    combos: tuple[Combo, ...] = ALL_COMBOS
    exclusions: bool = True
    netstat: bool = False
    # With netstat: list BOUND sockets too (``netstat -anoq``). They hold ephemeral ports but ``-ano`` hides them;
    # ``-q`` needs Windows 10 / Server 2016 (or 2012 R2 with an update), so callers fall back to ``-ano`` when it fails.
    netstat_bound: bool = False

    def verification(self) -> SnapshotRequest:
        """What to re-read after writes: the same, minus the (large) connection table."""
        return dataclasses.replace(self, netstat=False)


@dataclasses.dataclass(frozen=True)
class HostSnapshot:
    os_build: int
    ranges: dict[Combo, PortRange]           # empty on hosts without netsh dynamic ranges
    exclusions: dict[Combo, tuple[Exclusion, ...]]
    registry: dict[str, int]                  # the tracked REG_DWORD values that exist
    connections: tuple[ParsedConnection, ...] | None = None

    @property
    def has_dynamicport(self) -> bool:
        return self.os_build >= FIRST_DYNAMICPORT_BUILD


def snapshot_commands(request: SnapshotRequest) -> list[commands.NativeCommand]:
    cmds = [commands.query_os_build(), commands.query_tcpip_parameters()]
    cmds += [commands.show_dynamic_range(ip, proto) for ip, proto in request.combos]
    if request.exclusions:
        cmds += [commands.show_excluded_ranges(ip, proto) for ip, proto in request.combos]
    if request.netstat:
        cmds.append(commands.netstat(bound=request.netstat_bound))
    return cmds


def _unexpected(output: CommandOutput, problem: str) -> RemoteError:
    return RemoteError(f"unexpected answer from the host: {problem}. {output.describe()}", output.exit_code, output.output)


def _parse(output: CommandOutput, parser: t.Callable[[str], t.Any]) -> t.Any:
    if not output.ok:
        raise _unexpected(output, "a read command failed")
    try:
        return parser(output.output)
    except ParseError as error:
        raise _unexpected(output, str(error)) from error


def _parse_os_build(output: CommandOutput) -> int:
    values = _parse(output, parse_reg_query)
    build = find_registry_value(values, "CurrentBuildNumber")
    if build is None or not str(build.value).isdigit():
        raise _unexpected(output, "no numeric CurrentBuildNumber")
    return int(build.value)


def _parse_tracked_values(output: CommandOutput) -> dict[str, int]:
    values = _parse(output, parse_reg_query)
    found = {}
    for name in TRACKED_VALUES:
        value = find_registry_value(values, name)
        if value is not None:
            if not isinstance(value.value, int):
                raise _unexpected(output, f"{name} is a {value.type}, not a REG_DWORD")
            found[name] = value.value
    return found


def parse_snapshot(request: SnapshotRequest, outputs: t.Sequence[CommandOutput]) -> HostSnapshot:
    """Turn the outputs of ``snapshot_commands(request)`` (same order) into a snapshot."""
    remaining = list(outputs)
    os_build = _parse_os_build(remaining.pop(0))
    registry = _parse_tracked_values(remaining.pop(0))
    ranges: dict[Combo, PortRange] = {}
    for combo in request.combos:
        output = remaining.pop(0)
        if os_build >= FIRST_DYNAMICPORT_BUILD:
            parsed = _parse(output, parse_dynamic_port_range)
            ranges[combo] = PortRange(parsed.start, parsed.count)
    exclusions: dict[Combo, tuple[Exclusion, ...]] = {}
    if request.exclusions:
        for combo in request.combos:
            output = remaining.pop(0)
            if os_build >= FIRST_DYNAMICPORT_BUILD:
                rows = _parse(output, parse_excluded_port_ranges)
                exclusions[combo] = tuple(Exclusion(PortRange.from_bounds(r.start, r.end), r.administered) for r in rows)
    connections = tuple(_parse(remaining.pop(0), parse_netstat)) if request.netstat else None
    return HostSnapshot(os_build, ranges, exclusions, registry, connections)
