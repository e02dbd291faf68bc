# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_port_info: one read of the host, turned into ranges, exclusions, registry effects, capacity and findings.

The read is the shared snapshot batch with the connection table: the four ranges, the four exclusion tables, the
Tcpip\\Parameters values, the OS build, the System log's Tcpip exhaustion events (``wevtutil qe``, XML), the process
table (``tasklist /fo csv``) and ``netstat -anoq``. Hosts whose netstat has no ``-q`` (Windows Server 2012
R2 and older without the update) answer it with their usage text; only then is ``netstat -ano`` read in a second
command execution, and a finding says that BOUND sockets could not be counted.
"""

from __future__ import annotations

import dataclasses
import datetime
import typing as t

from .._windows.host import HostSnapshot, combo_key
from .._windows.values import TcpipValueError
from .._wire import commands
from .._wire.reader import HostRead, SnapshotRequest, read_host
from .._wire.remote import Execute
from .capacity import RangeCapacity, connection_combo, host_capacity, time_wait
from .contract import ReadOnlyEngine
from .findings import Finding, bound_sockets_hidden, by_severity, capacity_findings, configuration_findings, exhaustion_event_findings, registry_findings
from .reboot_state import pending_values, value_states
from .tcpip_parameters import boot_effect

DEFAULT_EVENTS_DAYS = 7
READ_REQUEST = SnapshotRequest(netstat=True, netstat_bound=True, reboot_state=True, events_days=DEFAULT_EVENTS_DAYS, processes=True)


def info_request(events_days: object = DEFAULT_EVENTS_DAYS) -> SnapshotRequest:
    """win_port_info's read, ``events_days`` checked before anything is sent."""
    try:
        days = commands.events_days(events_days)
    except commands.UnsafeCommandError:
        low, high = commands.EVENTS_DAYS_LIMITS
        raise TcpipValueError("events_days", events_days, f"an integer from {low} to {high} (days of the System log to read)") from None
    return dataclasses.replace(READ_REQUEST, events_days=days)


def _exclusion_rows(snapshot: HostSnapshot) -> dict[str, list[dict[str, t.Any]]]:
    rows = {}
    for combo, exclusions in sorted(snapshot.exclusions.items()):
        port_range = snapshot.ranges.get(combo)
        rows[combo_key(combo)] = [
            {**row.to_dict(),
             "kind": "administered" if row.administered else ("winnat" if row.winnat_block else "system"),
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


def process_name(snapshot: HostSnapshot, pid: int) -> str | None:
    """The image name tasklist gave for ``pid``; PID 0 in netstat is TIME_WAIT (no process), whatever tasklist calls 0."""
    if pid == 0 or snapshot.process_names is None:
        return None
    return snapshot.process_names.get(pid)


def _process_summary(capacities: dict[t.Any, RangeCapacity], snapshot: HostSnapshot) -> list[dict[str, t.Any]]:
    """The processes holding the most ports across all ranges (PID 0 is TIME_WAIT: closed sockets, no owner), with the
    image name tasklist gives (None when the process table could not be read or the process has exited since)."""
    totals: dict[int, int] = {}
    for cap in capacities.values():
        for pid, ports in cap.ports_by_pid:
            totals[pid] = totals.get(pid, 0) + ports
    rows: dict[int, int] = {}
    for conn in snapshot.connections or ():
        if conn.pid is not None and connection_combo(conn) in capacities:
            rows[conn.pid] = rows.get(conn.pid, 0) + 1
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:10]
    return [{"pid": pid, "name": process_name(snapshot, pid), "ports_in_ranges": ports, "rows": rows.get(pid, 0)} for pid, ports in ranked]


def exhaustion_events(snapshot: HostSnapshot, days: int) -> dict[str, t.Any]:
    """Per Tcpip event ID: how many events the window holds, the first and last (UTC), and whether the count is a floor
    (``capped``: wevtutil returned its maximum, so older events in the window were not read)."""
    reads = snapshot.tcpip_events or {}
    by_id: dict[str, t.Any] = {}
    notes = []
    for event_id, read in sorted(reads.items()):
        if not read.readable:
            notes.append(read.note)
            by_id[str(event_id)] = {"read": False, "count": None, "first": None, "last": None, "capped": False, "note": read.note}
            continue
        times = sorted(event.time_text for event in read.events)
        by_id[str(event_id)] = {"read": True, "count": len(times), "first": times[0] if times else None,
                                "last": times[-1] if times else None, "capped": len(read.events) >= commands.EVENTS_MAX, "note": None}
    seen = [entry for entry in by_id.values() if entry["count"]]
    return {
        "days": days,
        "read": bool(reads) and all(read.readable for read in reads.values()),
        "total": sum(entry["count"] for entry in seen),
        "last": max((entry["last"] for entry in seen), default=None),
        "by_event_id": by_id,
        "note": "; ".join(notes) if notes else None,
    }


def _with_names(capacity: dict[str, t.Any], names: dict[int, str | None]) -> dict[str, t.Any]:
    for row in capacity["in_use"]["top_pids"]:
        row["name"] = names.get(row["pid"])
    return capacity


def info_result(read: HostRead, events_days: int = DEFAULT_EVENTS_DAYS, now: datetime.datetime | None = None) -> dict[str, t.Any]:
    """The whole win_port_info result (without ``changed``/``failed``); ``now`` (UTC) dates the events' recency."""
    snapshot = read.snapshot
    waiting = time_wait(snapshot)
    capacities = host_capacity(snapshot, waiting.seconds)
    names = {pid: process_name(snapshot, pid) for cap in capacities.values() for pid, dummy in cap.ports_by_pid}
    events = exhaustion_events(snapshot, events_days)
    top = _process_summary(capacities, snapshot)
    holder = next((row for row in top if row["pid"] > 0), None)
    findings: list[Finding] = [*configuration_findings(snapshot), *registry_findings(snapshot), *capacity_findings(capacities, names),
                               *exhaustion_event_findings(events, holder, now or datetime.datetime.now(datetime.timezone.utc))]
    registry = _registry(snapshot)
    if not read.bound_sockets_listed:
        findings.append(bound_sockets_hidden())
    return {
        "os_build": snapshot.os_build,
        "dynamic_port_ranges_supported": snapshot.has_dynamicport,
        "ranges": {combo_key(c): r.to_dict() for c, r in sorted(snapshot.ranges.items())},
        "exclusions": _exclusion_rows(snapshot),
        "registry": registry,
        "time_wait": {"seconds": waiting.seconds, "source": waiting.source, "note": waiting.note, "state": waiting.state,
                      "pending_seconds": waiting.pending_seconds},
        "boot_id": snapshot.boot_id,
        # A value written by portscale.tcpip waits for a reboot (MaxUserPort: or has not shaped the live TCP range yet).
        "reboot_required": bool(pending_values(snapshot)) or registry["MaxUserPort"]["pending"] is True,
        "capacity": {combo_key(c): _with_names(cap.to_dict(), names) for c, cap in sorted(capacities.items())},
        "top_processes": top,
        "processes_listed": snapshot.process_names is not None,
        "processes_note": snapshot.processes_note,
        "exhaustion_events": events,
        "bound_sockets_listed": read.bound_sockets_listed,
        "connection_rows": len(snapshot.connections or ()),
        "findings": [f.to_dict() for f in by_severity(findings)],
        "command_executions": read.executions,
    }


def run(execute: Execute, events_days: object = DEFAULT_EVENTS_DAYS) -> dict[str, t.Any]:
    request = info_request(events_days)
    return {"changed": False, **info_result(read_host(execute, request), request.events_days)}


# Read-only: check mode reads exactly the same.
ENGINE = ReadOnlyEngine(lambda host, args, check_mode: run(host.execute_script, args["events_days"]))
