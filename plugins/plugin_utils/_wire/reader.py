# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one host reader: everything a module needs to know about a host, read in one batch and parsed into plain data.

A snapshot is read once per task (before planning) and, after writes, once more inside the write batch to
verify them. The same commands and the same parsing serve both, so "what we read" and "what we verified"
cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from .._windows.facts import ELEVATED_LABEL_SIDS, FIRST_DYNAMICPORT_BUILD, TCPIP_EVENT_IDS
from .._windows.host import ALL_COMBOS, TRACKED_VALUES, Combo, EventLogRead, Exclusion, HostSnapshot, RegistryValue
from .._windows.parsers import (
    ParseError,
    find_registry_value,
    parse_dynamic_port_range,
    parse_excluded_port_ranges,
    parse_netstat,
    parse_reg_query,
    parse_tasklist_csv,
    parse_wevtutil_events,
)
from .._windows.ports import PortRange
from . import commands
from .remote import CommandOutput, Execute, RemoteError, run_batch


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
        cmds += [commands.query_tcpip_events(event_id, request.events_days) for event_id in TCPIP_EVENT_IDS]
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
        tcpip_events = {event_id: _event_read(event_id, remaining.pop(0), os_build) for event_id in TCPIP_EVENT_IDS}
    process_names, processes_note = _process_names(remaining.pop(0)) if request.processes else (None, None)
    connections = tuple(_parse(remaining.pop(0), parse_netstat)) if request.netstat else None
    return HostSnapshot(os_build, ranges, exclusions, registry, connections, registry_values, elevated,
                        persistent_ranges, persistent_exclusions, request.reboot_state, boot_id, markers,
                        tcpip_events, process_names, processes_note)


@dataclasses.dataclass(frozen=True)
class HostRead:
    snapshot: HostSnapshot
    bound_sockets_listed: bool   # netstat -q worked, so BOUND sockets are in the connection table
    executions: int              # command executions the read took (2 when netstat -q had to be retried without -q)


def read_host(execute: Execute, request: SnapshotRequest) -> HostRead:
    """Read a snapshot in one batch: the only way any module reads a host.

    With ``request.netstat_bound`` the connection table lists BOUND sockets where the host can: a netstat without ``-q``
    answers with its usage text, and whether it exits non-zero then is not documented, so the fallback to ``netstat
    -ano`` (a second command execution) happens when ``-q``'s output does not parse as a connection table, whatever
    the exit code. Anything else in the read that does not parse still fails."""
    outputs = run_batch(execute, snapshot_commands(request))
    if not request.netstat or not request.netstat_bound:
        return HostRead(parse_snapshot(request, outputs), False, 1)
    if outputs[-1].ok and _parses_as_netstat(outputs[-1]):
        return HostRead(parse_snapshot(request, outputs), True, 1)
    plain = dataclasses.replace(request, netstat_bound=False)
    retry = run_batch(execute, [commands.netstat()])
    return HostRead(parse_snapshot(plain, outputs[:-1] + retry), False, 2)


def _parses_as_netstat(output: CommandOutput) -> bool:
    try:
        parse_netstat(output.output)
    except ParseError:
        return False
    return True
