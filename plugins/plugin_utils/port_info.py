# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_port_info: one read of the host, turned into ranges, exclusions, registry effects, capacity and findings.

The read is the shared snapshot batch with the connection table: the four ranges, the four exclusion tables, the
Tcpip\\Parameters values, the OS build and ``netstat -anoq``. Hosts whose netstat has no ``-q`` (Windows Server 2012
R2 and older without the update) answer it with their usage text; only then is ``netstat -ano`` read in a second
command execution, and a finding says that BOUND sockets could not be counted.
"""

from __future__ import annotations

import dataclasses
import typing as t

from . import commands
from .capacity import RangeCapacity, connection_combo, host_capacity, time_wait
from .findings import Finding, bound_sockets_hidden, by_severity, capacity_findings, configuration_findings, is_winnat_block, registry_findings
from .parsers import ParseError, parse_netstat
from .reboot_state import pending_values, value_states
from .remote import CommandOutput, run_batch
from .snapshot import HostSnapshot, SnapshotRequest, combo_key, parse_snapshot, snapshot_commands
from .tcpip_parameters import boot_effect

Execute = t.Callable[[str], t.Tuple[int, str, str]]
READ_REQUEST = SnapshotRequest(netstat=True, netstat_bound=True, reboot_state=True)


@dataclasses.dataclass(frozen=True)
class HostRead:
    snapshot: HostSnapshot
    bound_sockets_listed: bool   # netstat -q worked, so BOUND sockets are in the connection table
    executions: int


def read_host(execute: Execute, request: SnapshotRequest = READ_REQUEST) -> HostRead:
    """Read a snapshot with the connection table, BOUND sockets included where the host can list them.

    A netstat without ``-q`` answers with its usage text; whether it exits non-zero then is not documented, so the
    fallback to ``netstat -ano`` happens when ``-q``'s output does not parse as a connection table, whatever the exit
    code. Anything else in the read that does not parse still fails."""
    cmds = snapshot_commands(request)
    outputs: list[CommandOutput] = run_batch(execute, cmds)
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


def _exclusion_rows(snapshot: HostSnapshot) -> dict[str, list[dict[str, t.Any]]]:
    rows = {}
    for combo, exclusions in sorted(snapshot.exclusions.items()):
        port_range = snapshot.ranges.get(combo)
        rows[combo_key(combo)] = [
            {**row.to_dict(),
             "kind": "administered" if row.administered else ("winnat" if is_winnat_block(row) else "system"),
             "ports_in_range": port_range.overlap(row.range) if port_range else 0}
            for row in exclusions]
    return rows


def _registry(snapshot: HostSnapshot) -> dict[str, t.Any]:
    """Each value as the next boot uses it (``value``) beside what the running stack uses (reboot_state.py)."""
    max_user_port = snapshot.registry.get("MaxUserPort")
    effect = boot_effect(snapshot, max_user_port)
    delay = snapshot.registry.get("TcpTimedWaitDelay")
    waiting = time_wait(snapshot)
    states = {name: state.to_dict() for name, state in value_states(snapshot).items()}
    # MaxUserPort's boot rewrite is also visible in the live TCP range; the marker says it for a removal too.
    range_pending = effect["pending"]
    marker_pending = states["MaxUserPort"]["pending"]
    max_user_port_pending = True if True in (range_pending, marker_pending) else (range_pending if marker_pending is None else marker_pending)
    return {
        "MaxUserPort": {**states["MaxUserPort"], "value": max_user_port, "tcp_range_at_next_boot": effect["tcp_range_at_boot"],
                        "pending": max_user_port_pending, "governs": effect["governs"]},
        "TcpTimedWaitDelay": {**states["TcpTimedWaitDelay"], "value": delay,
                              "time_wait_seconds_at_next_boot": waiting.seconds if waiting.pending_seconds is None else waiting.pending_seconds,
                              "time_wait_seconds_in_effect": waiting.seconds, "note": waiting.note},
    }


def _process_summary(capacities: dict[t.Any, RangeCapacity], snapshot: HostSnapshot) -> list[dict[str, t.Any]]:
    """The processes holding the most ports across all ranges (PID 0 is TIME_WAIT: closed sockets, no owner)."""
    totals: dict[int, int] = {}
    for cap in capacities.values():
        for pid, ports in cap.ports_by_pid:
            totals[pid] = totals.get(pid, 0) + ports
    rows: dict[int, int] = {}
    for conn in snapshot.connections or ():
        if conn.pid is not None and connection_combo(conn) in capacities:
            rows[conn.pid] = rows.get(conn.pid, 0) + 1
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:10]
    return [{"pid": pid, "ports_in_ranges": ports, "rows": rows.get(pid, 0)} for pid, ports in ranked]


def info_result(read: HostRead) -> dict[str, t.Any]:
    """The whole win_port_info result (without ``changed``/``failed``)."""
    snapshot = read.snapshot
    waiting = time_wait(snapshot)
    capacities = host_capacity(snapshot, waiting.seconds)
    findings: list[Finding] = [*configuration_findings(snapshot), *registry_findings(snapshot), *capacity_findings(capacities)]
    registry = _registry(snapshot)
    if not read.bound_sockets_listed:
        findings.append(bound_sockets_hidden())
    return {
        "os_build": snapshot.os_build,
        "dynamic_port_ranges_supported": snapshot.has_dynamicport,
        "ranges": {combo_key(c): {"start": r.start, "count": r.count, "end": r.end} for c, r in sorted(snapshot.ranges.items())},
        "exclusions": _exclusion_rows(snapshot),
        "registry": registry,
        "time_wait": {"seconds": waiting.seconds, "source": waiting.source, "note": waiting.note, "state": waiting.state,
                      "pending_seconds": waiting.pending_seconds},
        "boot_id": snapshot.boot_id,
        # A value written by portscale.tcpip waits for a reboot (MaxUserPort: or has not shaped the live TCP range yet).
        "reboot_required": bool(pending_values(snapshot)) or registry["MaxUserPort"]["pending"] is True,
        "capacity": {combo_key(c): cap.to_dict() for c, cap in sorted(capacities.items())},
        "top_processes": _process_summary(capacities, snapshot),
        "bound_sockets_listed": read.bound_sockets_listed,
        "connection_rows": len(snapshot.connections or ()),
        "findings": [f.to_dict() for f in by_severity(findings)],
        "command_executions": read.executions,
    }


def run(execute: Execute) -> dict[str, t.Any]:
    return {"changed": False, **info_result(read_host(execute))}
