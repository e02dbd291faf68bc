# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything a module needs to know about a host, read in one batch and parsed into plain data.

A snapshot is read once per task (before planning) and, after writes, once more inside the write batch to
verify them. The same commands and the same parsing serve both, so "what we read" and "what we verified"
cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from . import commands
from .parsers import (
    ParseError,
    ParsedConnection,
    ParsedEvent,
    find_registry_value,
    parse_dynamic_port_range,
    parse_excluded_port_ranges,
    parse_netstat,
    parse_reg_query,
    parse_tasklist_csv,
    parse_wevtutil_events,
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
    """Which parts to read; the OS build, the Tcpip\\Parameters values and the token's elevation are always read."""

    combos: tuple[Combo, ...] = ALL_COMBOS
    exclusions: bool = True
    netstat: bool = False
    # With netstat: list BOUND sockets too (``netstat -anoq``). They hold ephemeral ports but ``-ano`` hides them;
    # ``-q`` needs Windows 10 / Server 2016 (or 2012 R2 with an update), so callers fall back to ``-ano`` when it fails.
    netstat_bound: bool = False
    # Also read the persistent store (``show ... store=persistent``): what the host will have after its next boot.
    persistent: bool = False
    # Also read the host's boot identity and the collection's markers (reboot_state.py): which written values still
    # wait for a reboot, and which values the running TCP/IP stack uses meanwhile.
    reboot_state: bool = False
    # Also read the System log's Tcpip exhaustion events (4227, 4231) of the last ``events_days`` days (None: not read),
    # and the process table (``tasklist``) that names the PIDs of the connection table. Neither can fail the read: a
    # log or a table that cannot be read becomes a note.
    events_days: int | None = None
    processes: bool = False

    def verification(self) -> SnapshotRequest:
        """What to re-read after writes: the same, minus the (large) connection table."""
        return dataclasses.replace(self, netstat=False, events_days=None, processes=False)


@dataclasses.dataclass(frozen=True)
class EventLogRead:
    """One Tcpip event ID as ``wevtutil qe`` returned it: the events (newest first), or why the log could not be read
    (access denied, a disabled channel, a host without wevtutil: its exit code and text, which is localized and only
    shown, never read)."""

    event_id: int
    events: tuple[ParsedEvent, ...] = ()
    note: str | None = None
    exit_code: int = 0

    @property
    def readable(self) -> bool:
        return self.note is None


@dataclasses.dataclass(frozen=True)
class RegistryValue:
    """A tracked Tcpip\\Parameters value as stored: Windows reads it only when it is a REG_DWORD."""

    type: str
    value: int | str | list[str]

    @property
    def dword(self) -> int | None:
        return self.value if self.type == "REG_DWORD" and isinstance(self.value, int) else None

    def describe(self) -> str:
        shown = f"0x{self.value:x}" if isinstance(self.value, int) else repr(self.value if not isinstance(self.value, list) else "\\0".join(self.value))
        return f"{self.type} {shown}"


@dataclasses.dataclass(frozen=True)
class HostSnapshot:  # pylint: disable=too-many-instance-attributes
    os_build: int
    ranges: dict[Combo, PortRange]           # active store; empty on hosts without netsh dynamic ranges
    exclusions: dict[Combo, tuple[Exclusion, ...]]
    registry: dict[str, int]                  # the tracked values Windows reads: REG_DWORDs only
    connections: tuple[ParsedConnection, ...] | None = None
    # Every tracked value that exists, whatever its type (a REG_SZ MaxUserPort is there, and ignored by Windows).
    registry_values: dict[str, RegistryValue] = dataclasses.field(default_factory=dict)
    elevated: bool | None = None              # None: not read (a snapshot built by hand)
    persistent_ranges: dict[Combo, PortRange] = dataclasses.field(default_factory=dict)
    persistent_exclusions: dict[Combo, tuple[Exclusion, ...]] = dataclasses.field(default_factory=dict)
    # With SnapshotRequest.reboot_state: the boot identity (None when the host has none) and the collection's marker
    # of each tracked value that has one (as stored; reboot_state.py reads them).
    reboot_state_read: bool = False
    boot_id: int | None = None
    markers: dict[str, RegistryValue] = dataclasses.field(default_factory=dict)
    # With SnapshotRequest.events_days: each Tcpip event ID's read; with SnapshotRequest.processes: image name by PID,
    # or None with ``processes_note`` saying why the table could not be read.
    tcpip_events: dict[int, EventLogRead] | None = None
    process_names: dict[int, str] | None = None
    processes_note: str | None = None

    @property
    def has_dynamicport(self) -> bool:
        return self.os_build >= FIRST_DYNAMICPORT_BUILD

    @property
    def ignored_registry_values(self) -> dict[str, RegistryValue]:
        """Tracked values of a type Windows does not read (REG_QWORD, REG_SZ, ...): present but not in effect."""
        return {name: value for name, value in self.registry_values.items() if value.dword is None}


# High Mandatory Level: the integrity SID of an elevated administrator's token (System is above it), the same text
# in every display language [DOC: Microsoft, "Well-known SIDs": S-1-16-12288 High Mandatory Level, S-1-16-16384].
ELEVATED_LABEL_SIDS = ("S-1-16-12288", "S-1-16-16384")


def snapshot_commands(request: SnapshotRequest) -> list[commands.NativeCommand]:
    cmds = [commands.query_os_build(), commands.whoami_groups(), commands.query_tcpip_parameters()]
    cmds += [commands.query_tcpip_value(name) for name in TRACKED_VALUES]
    if request.reboot_state:
        cmds.append(commands.query_boot_id())
        cmds += [commands.query_marker(name) for name in TRACKED_VALUES]
    stores = (None, "persistent") if request.persistent else (None,)
    for store in stores:
        cmds += [commands.show_dynamic_range(ip, proto, store) for ip, proto in request.combos]
    if request.exclusions:
        for store in stores:
            cmds += [commands.show_excluded_ranges(ip, proto, store) for ip, proto in request.combos]
    if request.events_days is not None:
        cmds += [commands.query_tcpip_events(event_id, request.events_days) for event_id in commands.TCPIP_EVENT_IDS]
    if request.processes:
        cmds.append(commands.tasklist())
    # netstat stays last: win_port_info replaces its output when the host's netstat has no -q.
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


def _check_key_readable(output: CommandOutput) -> None:
    """The whole key's listing must read: then a by-name query that fails (exit 1) means the value does not exist, not
    that the key is out of reach. The listing itself is never parsed for values: a REG_SZ whose data holds a line
    break and text shaped like a value row would pass for that value there."""
    if not output.ok:
        raise _unexpected(output, "reading the Tcpip\\Parameters key failed")


def _parse_boot_id(output: CommandOutput) -> int | None:
    """``reg query <PrefetchParameters> /v BootId``: the REG_DWORD, or None when the host has none (exit 1) or stores
    something else there."""
    value = _parse_tracked_value(commands.BOOT_ID_VALUE, output)
    return value.dword if value is not None else None


def _parse_tracked_value(name: str, output: CommandOutput) -> RegistryValue | None:
    """``reg query <key> /v <name>``: the first value row after the key line is that value (reg prints it alone);
    anything after it is the value's own data running over several lines (a REG_SZ with line breaks)."""
    if not output.ok:
        return None  # reg's "unable to find the specified registry key or value" (exit 1); the key itself reads
    rows = [line for line in output.output.splitlines() if line.strip() and not line.startswith("HKEY_")]
    if not rows:
        raise _unexpected(output, f"no value row for {name}")
    try:
        values = parse_reg_query(rows[0] + "\r\n")
    except ParseError as error:
        raise _unexpected(output, str(error)) from error
    found = find_registry_value(values, name)
    if found is None:
        raise _unexpected(output, f"the row is not {name}")
    return RegistryValue(found.type, found.value)


def _parse_elevation(output: CommandOutput, os_build: int) -> bool | None:
    """``whoami /groups /fo csv /nh``: elevated when the token carries the High (or System) Mandatory Level SID.

    None on Windows Server 2003, which has no integrity levels (and no whoami.exe unless the Support Tools are there)."""
    if os_build < FIRST_DYNAMICPORT_BUILD:
        return None
    if not output.ok:
        raise _unexpected(output, "whoami /groups failed")
    sids = set(re.findall(r"\bS-1-16-\d+\b", output.output))
    if not sids:
        raise _unexpected(output, "no integrity level (S-1-16-...) in the token's groups")
    return any(sid in sids for sid in ELEVATED_LABEL_SIDS)


def _parse_tables(request: SnapshotRequest, remaining: list[CommandOutput], os_build: int,
                  parser: t.Callable[[CommandOutput], t.Any]) -> dict[Combo, t.Any]:
    parsed = {}
    for combo in request.combos:
        output = remaining.pop(0)
        if os_build >= FIRST_DYNAMICPORT_BUILD:
            parsed[combo] = parser(output)
    return parsed


def _range_of(output: CommandOutput) -> PortRange:
    parsed = _parse(output, parse_dynamic_port_range)
    return PortRange(parsed.start, parsed.count)


def _exclusions_of(output: CommandOutput) -> tuple[Exclusion, ...]:
    return tuple(Exclusion(PortRange.from_bounds(r.start, r.end), r.administered) for r in _parse(output, parse_excluded_port_ranges))


def _host_said(output: CommandOutput) -> str:
    text = " ".join(output.output.split())
    return text[:200] + ("..." if len(text) > 200 else "") if text else "(no output)"


def _event_read(event_id: int, output: CommandOutput, os_build: int) -> EventLogRead:
    """A log that cannot be read is a note, never a failure of the whole read."""
    if os_build < FIRST_DYNAMICPORT_BUILD:
        return EventLogRead(event_id, note=f"Windows build {os_build} has no wevtutil (Vista and later): the event log was not read.",
                            exit_code=output.exit_code)
    if not output.ok:
        return EventLogRead(event_id, note=(f"the System log could not be read for event {event_id} (wevtutil exit code {output.exit_code}: "
                                            f"access denied, a disabled channel or no wevtutil; the host said: {_host_said(output)})"),
                            exit_code=output.exit_code)
    try:
        events = parse_wevtutil_events(output.output)
    except ParseError as error:
        return EventLogRead(event_id, note=f"wevtutil's answer for event {event_id} is not event XML: {error}", exit_code=output.exit_code)
    return EventLogRead(event_id, tuple(e for e in events if e.event_id == event_id and e.provider.lower() == "tcpip"))


def _process_names(output: CommandOutput) -> tuple[dict[int, str] | None, str | None]:
    if not output.ok:
        return None, f"the process table could not be read (tasklist exit code {output.exit_code}; the host said: {_host_said(output)})"
    try:
        return parse_tasklist_csv(output.output), None
    except ParseError as error:
        return None, f"tasklist's answer is not a process table: {error}"


def parse_snapshot(request: SnapshotRequest, outputs: t.Sequence[CommandOutput]) -> HostSnapshot:
    """Turn the outputs of ``snapshot_commands(request)`` (same order) into a snapshot."""
    remaining = list(outputs)
    os_build = _parse_os_build(remaining.pop(0))
    elevated = _parse_elevation(remaining.pop(0), os_build)
    _check_key_readable(remaining.pop(0))
    values = {name: _parse_tracked_value(name, remaining.pop(0)) for name in TRACKED_VALUES}
    registry_values = {name: value for name, value in values.items() if value is not None}
    registry = {name: value.dword for name, value in registry_values.items() if value.dword is not None}
    boot_id: int | None = None
    markers: dict[str, RegistryValue] = {}
    if request.reboot_state:
        boot_id = _parse_boot_id(remaining.pop(0))
        found = {name: _parse_tracked_value(name, remaining.pop(0)) for name in TRACKED_VALUES}
        markers = {name: value for name, value in found.items() if value is not None}
    ranges = _parse_tables(request, remaining, os_build, _range_of)
    persistent_ranges = _parse_tables(request, remaining, os_build, _range_of) if request.persistent else {}
    exclusions: dict[Combo, tuple[Exclusion, ...]] = {}
    persistent_exclusions: dict[Combo, tuple[Exclusion, ...]] = {}
    if request.exclusions:
        exclusions = _parse_tables(request, remaining, os_build, _exclusions_of)
        if request.persistent:
            persistent_exclusions = _parse_tables(request, remaining, os_build, _exclusions_of)
    tcpip_events = None
    if request.events_days is not None:
        tcpip_events = {event_id: _event_read(event_id, remaining.pop(0), os_build) for event_id in commands.TCPIP_EVENT_IDS}
    process_names, processes_note = _process_names(remaining.pop(0)) if request.processes else (None, None)
    connections = tuple(_parse(remaining.pop(0), parse_netstat)) if request.netstat else None
    return HostSnapshot(os_build, ranges, exclusions, registry, connections, registry_values, elevated,
                        persistent_ranges, persistent_exclusions, request.reboot_state, boot_id, markers,
                        tcpip_events, process_names, processes_note)
