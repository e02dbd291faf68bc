# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Suspicious states worth telling an operator about, computed from a snapshot.

The configuration modules turn these into warnings; win_port_info reports them with their severity.
"""

from __future__ import annotations

import dataclasses
import datetime
import typing as t

from .._windows.facts import DEFAULT_DYNAMIC_COUNT, LEGACY_DEFAULT_MAX_USER_PORT, timed_wait_delay_limits
from .._windows.host import Combo, HostSnapshot, combo_key
from .._windows.ports import legacy_tcp_range, max_user_port_boot_range
from .capacity import PORT_REUSE_BUILT_IN, PORT_REUSE_WITH_UPDATE, RangeCapacity
from .reboot_state import IN_EFFECT, PENDING, describe_pending, value_state

EXCLUDED_SHARE_WARNING = 0.25


@dataclasses.dataclass(frozen=True)
class Finding:
    severity: str  # "info", "warning" or "critical"
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def _max_user_port(snapshot: HostSnapshot) -> t.Iterator[Finding]:
    value = snapshot.registry.get("MaxUserPort")
    if value is None or not snapshot.has_dynamicport:
        return
    boot = max_user_port_boot_range(value)
    yield Finding("warning", "max_user_port_rewrites_range",
                  f"MaxUserPort={value} is set: at the next boot Windows rewrites the TCP dynamic range to {boot}, "
                  "overriding the netsh range. Remove it (portscale.tcpip.win_tcpip_parameters max_user_port: absent) "
                  "unless that range is what you want.")


def _exclusions(snapshot: HostSnapshot) -> t.Iterator[Finding]:
    for combo, port_range in snapshot.ranges.items():
        rows = snapshot.exclusions.get(combo, ())
        excluded = sum(port_range.overlap(row.range) for row in rows)
        system_blocks = [row.range for row in rows if row.winnat_block and port_range.overlap(row.range)]
        name = combo_key(combo)
        if excluded > port_range.count * EXCLUDED_SHARE_WARNING:
            yield Finding("warning", "exclusions_eat_range",
                          f"{name}: excluded ranges take {excluded} of the {port_range.count} ports of the dynamic range {port_range}.")
        if system_blocks:
            yield Finding("warning", "system_reservations_in_range",
                          f"{name}: {len(system_blocks)} Hyper-V/WinNAT reservation(s) ({sum(r.count for r in system_blocks)} ports) "
                          f"sit inside the dynamic range {port_range}; they move at every boot and make binds there fail with 10013.")


def _small_ranges(snapshot: HostSnapshot) -> t.Iterator[Finding]:
    for combo, port_range in snapshot.ranges.items():
        if port_range.count < DEFAULT_DYNAMIC_COUNT:
            yield Finding("warning", "range_smaller_than_default",
                          f"{combo_key(combo)}: the dynamic range {port_range} is smaller than the Windows default of {DEFAULT_DYNAMIC_COUNT} ports.")


def _ignored_registry_values(snapshot: HostSnapshot, skip: t.Collection[str] = ()) -> t.Iterator[Finding]:
    for name, value in sorted(snapshot.ignored_registry_values.items()):
        if name in skip:
            continue
        yield Finding("warning", "registry_value_ignored",
                      f"{name} is stored as {value.describe()}, not as a REG_DWORD: Windows ignores it (as if it were absent). "
                      "Rewrite or remove it with portscale.tcpip.win_tcpip_parameters.")


def range_findings(snapshot: HostSnapshot) -> list[Finding]:
    """What win_dynamic_port_range warns about: the ranges themselves, and MaxUserPort overriding them at boot."""
    return [*_max_user_port(snapshot), *_exclusions(snapshot), *_small_ranges(snapshot)]


def exclusion_findings(snapshot: HostSnapshot) -> list[Finding]:
    """What win_excluded_port_range warns about: exclusions eating the ranges, WinNAT blocks inside them."""
    return list(_exclusions(snapshot))


def parameter_findings(snapshot: HostSnapshot, rewritten: t.Collection[str] = ()) -> list[Finding]:
    """What win_tcpip_parameters warns about: tracked values Windows ignores because of their type (except those the
    task rewrites or removes anyway)."""
    return list(_ignored_registry_values(snapshot, rewritten))


def configuration_findings(snapshot: HostSnapshot) -> list[Finding]:
    """Every configuration finding (win_port_info reports them all; each module warns only about its own)."""
    return [*range_findings(snapshot), *parameter_findings(snapshot)]


# ----------------------------------------------------------------------------------------------------------------
# Findings of win_port_info (registry state and capacity).

SEVERITY_ORDER = ("critical", "warning", "info")
HEADROOM_WARNING_PERCENT = 20.0      # free ports below this share of the range: warning
HEADROOM_CRITICAL_PERCENT = 5.0      # ... below this: critical
TIME_WAIT_DOMINANT_SHARE = 0.5       # TIME_WAIT holds more than this share of the ports in use ...
TIME_WAIT_SIGNIFICANT_SHARE = 0.1    # ... and at least this share of the usable ports (a few on an idle host do not count)
PROCESS_DOMINANT_SHARE = 0.5         # one process holds more than this share of the usable ports


def _max_user_port_effect(snapshot: HostSnapshot) -> t.Iterator[Finding]:
    """Whether MaxUserPort's boot rewrite can be seen in the live TCP ranges (it is pending when they differ)."""
    value = snapshot.registry.get("MaxUserPort")
    if value is None or not snapshot.has_dynamicport:
        return
    boot = max_user_port_boot_range(value)
    differing = [f"{combo_key(combo)} is {port_range}" for combo, port_range in sorted(snapshot.ranges.items())
                 if combo[1] == "tcp" and port_range != boot]
    if differing:
        yield Finding("warning", "max_user_port_pending",
                      f"MaxUserPort={value} has not shaped the live TCP range yet ({'; '.join(differing)}): it was written after the "
                      f"last boot, or the range was changed with netsh since. The next boot makes the TCP range {boot}.")
    else:
        yield Finding("info", "max_user_port_in_effect",
                      f"The live TCP range is {boot}, the range MaxUserPort={value} produces at boot: the value is in effect.")


def _time_wait_delay(snapshot: HostSnapshot) -> t.Iterator[Finding]:
    state = value_state(snapshot, "TcpTimedWaitDelay")
    if state.state == PENDING:
        # Written by portscale.tcpip since the last boot (its marker): the figures use the value in effect.
        yield Finding("warning", "time_wait_delay_pending",
                      f"{describe_pending(state)} The figures use the value in effect; reboot the host to apply the new one.")
    value = snapshot.registry.get("TcpTimedWaitDelay")
    if value is None:
        return
    low, high = timed_wait_delay_limits(snapshot.os_build)
    if not low <= value <= high:
        yield Finding("warning", "time_wait_delay_ignored",
                      f"TcpTimedWaitDelay={value} is outside {low}-{high} seconds; Windows ignores it and keeps the 120 s default. "
                      "Set a valid value or remove it (portscale.tcpip.win_tcpip_parameters).")
        return
    if state.state == PENDING:
        return
    if state.state == IN_EFFECT:
        yield Finding("info", "time_wait_delay_in_effect",
                      f"TcpTimedWaitDelay={value}: closed connections stay in TIME_WAIT {value} s; {state.reason}.")
        return
    yield Finding("info", "time_wait_delay_set",
                  f"TcpTimedWaitDelay={value}: closed connections stay in TIME_WAIT {value} s once the host has rebooted after the "
                  "value was written. Whether that boot happened cannot be read from the host; the figures assume it did.")


def _legacy(snapshot: HostSnapshot) -> t.Iterator[Finding]:
    if snapshot.has_dynamicport:
        return
    legacy = legacy_tcp_range(snapshot.registry.get("MaxUserPort"))
    yield Finding("info", "no_dynamic_port_range",
                  f"Windows build {snapshot.os_build} has no netsh dynamic port range: outbound TCP ports come from {legacy.start}-{legacy.end} "
                  f"(MaxUserPort, default {LEGACY_DEFAULT_MAX_USER_PORT}, read at boot). Capacity is not computed for it.")


def registry_findings(snapshot: HostSnapshot) -> list[Finding]:
    """What the Tcpip\\Parameters values do, and whether their effect can be observed."""
    return [*_max_user_port_effect(snapshot), *_time_wait_delay(snapshot), *_legacy(snapshot)]


# Where SO_REUSE_UNICASTPORT exists, by capacity.port_reuse() value (KB 3149157; SOL_SOCKET socket options).
REUSE_WHERE = {PORT_REUSE_BUILT_IN: "Windows 10 / Server 2016 and later",
               PORT_REUSE_WITH_UPDATE: "Windows 8.1 / Server 2012 R2 with KB 3149157 (8 / 2012 with hotfix 3014399)"}


def _reuse_clause(cap: RangeCapacity) -> str:
    """Why free is a floor per destination, where Windows may reuse ports held by connections to other destinations."""
    where = REUSE_WHERE.get(cap.port_reuse)
    reusable = cap.reusable
    if not where or not reusable:
        return ""
    return (f" These figures are per destination (remote address and port): on {where}, connect() without an explicit bind "
            f"may, towards a destination none of them serves, also reuse up to {reusable} ports held by connections to other "
            "destinations (SO_REUSE_UNICASTPORT behaviour, where their sockets allow it; netstat cannot show which do).")


def _headroom(name: str, cap: RangeCapacity) -> t.Iterator[Finding]:
    # Exact comparison (free / count), not the rounded percent_free: 3276 of 16384 is 19.995%, below 20.
    share = 100.0 * cap.free / cap.port_range.count
    if share >= HEADROOM_WARNING_PERCENT:
        return
    severity, code = ("critical", "headroom_critical") if share < HEADROOM_CRITICAL_PERCENT else ("warning", "headroom_low")
    yield Finding(severity, code,
                  f"{name}: only {cap.free} of the {cap.port_range.count} ports of {cap.port_range} are free ({cap.percent_free}%): "
                  f"{cap.in_use} in use, {cap.excluded} excluded. New outbound connections to a destination the ports in use "
                  f"already serve fail with 10055 once no free port is left.{_reuse_clause(cap)} "
                  "Widen the range (portscale.tcpip.win_dynamic_port_range) and find what holds the ports (in_use.top_pids).")


def _time_wait_dominates(name: str, cap: RangeCapacity) -> t.Iterator[Finding]:
    waiting = cap.in_use_by_state.get("TIME_WAIT", 0)
    if not waiting or cap.time_wait_seconds is None:
        return
    if waiting > cap.in_use * TIME_WAIT_DOMINANT_SHARE and waiting >= cap.usable * TIME_WAIT_SIGNIFICANT_SHARE:
        yield Finding("warning", "time_wait_dominates",
                      f"{name}: {waiting} of the {cap.in_use} ports in use are in TIME_WAIT (closed connections, held "
                      f"{cap.time_wait_seconds} s against new connections with the same local and remote address and port). "
                      "The host opens and closes many short connections: reuse connections "
                      "(keep-alive, pooling), lower TcpTimedWaitDelay (for example 30; needs a reboot) or widen the range.")


def describe_process(pid: int, names: t.Mapping[int, str | None] | None = None) -> str:
    """``w3wp.exe (PID 3120)``, or ``process 3120`` when the process table did not name it."""
    image = (names or {}).get(pid)
    return f"{image} (PID {pid})" if image else f"process {pid}"


def _process_dominates(name: str, cap: RangeCapacity, names: t.Mapping[int, str | None] | None) -> t.Iterator[Finding]:
    for pid, ports in cap.ports_by_pid:
        if pid > 0 and ports > cap.usable * PROCESS_DOMINANT_SHARE:
            yield Finding("warning", "process_holds_most_ports",
                          f"{name}: {describe_process(pid, names)} holds {ports} of the {cap.usable} usable ports of {cap.port_range}. "
                          "Check it for a connection leak (sockets never closed) before widening the range.")


def capacity_findings(capacities: t.Mapping[Combo, RangeCapacity], names: t.Mapping[int, str | None] | None = None) -> list[Finding]:
    """Headroom, TIME_WAIT and per-process findings for each range (``{combo: capacity.RangeCapacity}``); ``names``
    (PID to image name, from tasklist) names the processes in the messages."""
    found: list[Finding] = []
    for combo, cap in sorted(capacities.items()):
        name = combo_key(combo)
        found += [*_headroom(name, cap), *_time_wait_dominates(name, cap), *_process_dominates(name, cap, names)]
    return found


# The host's own record of exhaustion (System log, provider Tcpip): 4231 when no ephemeral port was left, 4227 when a
# connection failed because the only local endpoint left had just been used towards the same remote one (TIME_WAIT).
EVENTS_CRITICAL_HOURS = 24      # an event this recent: the host ran out of ports today
EVENTS_CRITICAL_COUNT = 10      # ... or this many in the window: it runs out repeatedly
EVENT_MEANING = {"4231": "no ephemeral port was left (4231)", "4227": "a local port was still in TIME_WAIT towards the same destination (4227)"}


def _utc(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def exhaustion_event_findings(events: t.Mapping[str, t.Any], holder: t.Mapping[str, t.Any] | None,
                              now: datetime.datetime) -> list[Finding]:
    """``exhaustion_events_seen`` from win_port_info's ``exhaustion_events`` (critical when the last event is less than
    a day old or the window holds many, warning otherwise), naming the process that holds the most ports now; or
    ``exhaustion_events_unreadable`` (info) when the log could not be read."""
    found: list[Finding] = []
    if events.get("note"):
        found.append(Finding("info", "exhaustion_events_unreadable",
                             f"The System log's Tcpip events could not be read, so whether the host ran out of ports is unknown: {events['note']}."))
    if not events.get("total"):
        return found
    seen = {event_id: entry for event_id, entry in events["by_event_id"].items() if entry.get("count")}
    last = _utc(events["last"])
    recent = now - last < datetime.timedelta(hours=EVENTS_CRITICAL_HOURS)
    severity = "critical" if recent or events["total"] >= EVENTS_CRITICAL_COUNT else "warning"
    what = "; ".join(f"{entry['count']}{'+' if entry.get('capped') else ''} x {EVENT_MEANING.get(event_id, event_id)}, "
                     f"{entry['first']} to {entry['last']}" for event_id, entry in sorted(seen.items()))
    who = ""
    if holder:
        label = describe_process(holder["pid"], {holder["pid"]: holder.get("name")})
        who = f" The process holding the most ports now is {label}, with {holder['ports_in_ranges']} ports."
    found.append(Finding(severity, "exhaustion_events_seen",
                         f"The host ran out of ephemeral ports in the last {events['days']} day(s), by its own System log (Tcpip): {what} "
                         f"(UTC).{who} Find what holds the ports (top_processes) and widen the range (portscale.tcpip.win_dynamic_port_range)."))
    return found


def bound_sockets_hidden() -> Finding:
    return Finding("warning", "bound_sockets_not_listed",
                   "netstat -q (BOUND sockets) is not available on this host: sockets that are bound but not connected hold "
                   "ephemeral ports without being counted, so the free figures are too high by an unknown amount (thousands "
                   "of ports on a busy host). portscale.tcpip.win_port_probe refuses to run here unless allow_exhaustion is set.")


def by_severity(findings: t.Iterable[Finding]) -> list[Finding]:
    """Most severe first; the order within a severity is kept."""
    return sorted(findings, key=lambda finding: SEVERITY_ORDER.index(finding.severity))
