# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_dynamic_port_range: desired state from task arguments, and the plan that reaches it."""

from __future__ import annotations

import dataclasses
import typing as t

from .._windows.facts import DEFAULT_DYNAMIC_COUNT, DEFAULT_DYNAMIC_START, LEGACY_RANGE_START
from .._windows.host import Combo, HostSnapshot, combo_key
from .._windows.ports import PortRange, dynamic_range_to_set
from .._windows.values import TcpipValueError
from .._wire import commands
from .._wire.reader import SnapshotRequest
from .contract import ConfigurationEngine
from .converge import Plan
from .findings import range_findings

GUARD_CHOICES = ("warn", "fail", "ignore")


class LegacyHostError(TcpipValueError):
    """The host has no netsh dynamic port range (Windows Server 2003 and older)."""


@dataclasses.dataclass(frozen=True)
class DynamicRangeRequest:
    port_range: PortRange
    combos: tuple[Combo, ...]
    store: str
    listener_guard: str

    def snapshot_request(self) -> SnapshotRequest:
        # store=persistent must hold in both stores: what runs now and what the next boot brings back.
        return SnapshotRequest(combos=self.combos, exclusions=True, netstat=self.listener_guard != "ignore",
                               persistent=self.store == "persistent")


def request_from_args(args: dict[str, t.Any]) -> DynamicRangeRequest:
    if args["state"] == "default":
        given = [name for name in ("start", "count", "end") if args.get(name) is not None]
        if given:
            raise TcpipValueError(given[0], args[given[0]],
                                  f"state=default restores {DEFAULT_DYNAMIC_START}/{DEFAULT_DYNAMIC_COUNT}; do not give start, count or end")
        port_range = PortRange(DEFAULT_DYNAMIC_START, DEFAULT_DYNAMIC_COUNT)
    else:
        if args.get("start") is None:
            raise TcpipValueError("start", None, "state=present needs start, and one of count and end")
        port_range = dynamic_range_to_set(args["start"], args.get("count"), args.get("end"))
    if not args["ip_versions"] or not args["protocols"]:
        raise TcpipValueError.refusal("ip_versions/protocols", "name at least one of each (ip_versions: ipv4, ipv6; protocols: tcp, udp)")
    combos = tuple((ip, proto) for ip in dict.fromkeys(args["ip_versions"]) for proto in dict.fromkeys(args["protocols"]))
    return DynamicRangeRequest(port_range, combos, args["store"], args["listener_guard"])


def view(snapshot: HostSnapshot, combos: t.Sequence[Combo]) -> dict[str, t.Any]:
    """The active ranges; where the persistent store was read and holds another range, that one too (``persistent``)."""
    shown = {}
    for combo in combos:
        entry: dict[str, t.Any] = snapshot.ranges[combo].to_dict()
        stored = snapshot.persistent_ranges.get(combo)
        if stored is not None and stored != snapshot.ranges[combo]:
            entry["persistent"] = stored.to_dict()
        shown[combo_key(combo)] = entry
    return shown


def describe(snapshot: HostSnapshot) -> tuple[list[str], dict[str, t.Any]]:
    """What the result says about the host's ranges (``Plan.describe``): the configuration warnings about them."""
    return [f.message for f in range_findings(snapshot)], {}


def _listeners_newly_covered(request: DynamicRangeRequest, snapshot: HostSnapshot, changing: t.Sequence[Combo]) -> dict[str, list[int]]:
    """Ports that services listen on (TCP) or have bound (UDP) that the new range covers and the old one did not."""
    covered: dict[str, set[int]] = {}
    for conn in snapshot.connections or ():
        combo = (f"ipv{conn.ip_version}", conn.protocol.lower())
        listening = conn.is_listener if conn.protocol.upper() == "TCP" else True
        if combo in changing and listening and conn.local_port in request.port_range and conn.local_port not in snapshot.ranges[combo] \
                and not any(conn.local_port in row.range for row in snapshot.exclusions.get(combo, ())):
            # A port inside any exclusion (WinRM's 47001, an administered one) is never handed out: no conflict.
            covered.setdefault(combo_key(combo), set()).add(conn.local_port)
    return {key: sorted(ports) for key, ports in covered.items()}


def plan(request: DynamicRangeRequest, snapshot: HostSnapshot) -> Plan:
    if not snapshot.has_dynamicport:
        raise LegacyHostError.refusal(
            "host", f"Windows build {snapshot.os_build} has no netsh dynamic port range; MaxUserPort sets its TCP range "
            f"({LEGACY_RANGE_START}..MaxUserPort): use portscale.tcpip.win_tcpip_parameters")
    before = view(snapshot, request.combos)
    desired = {combo_key(c): request.port_range.to_dict() for c in request.combos}
    # With store=persistent a range whose persistent store differs changes too (netsh sets both stores then).
    changing = [c for c in request.combos if before[combo_key(c)] != desired[combo_key(c)]]
    result = Plan(before=before, after=desired,
                  commands=[commands.set_dynamic_range(ip, proto, request.port_range, request.store) for ip, proto in changing])
    # Warn about the state the task leaves behind (the new ranges), as win_tcpip_parameters does for MaxUserPort:
    # shrinking a range must warn in the run that shrinks it, and a range being widened is no longer "too small". After
    # the writes, converge warns about the ranges the host reports instead (a refused set leaves the old one in place).
    result.leaves = dataclasses.replace(snapshot, ranges={**snapshot.ranges, **{c: request.port_range for c in request.combos}})
    result.describe = describe
    covered = _listeners_newly_covered(request, snapshot, changing)
    result.extra["listeners_in_new_range"] = covered
    if covered:
        text = "; ".join(f"{key}: {', '.join(map(str, ports[:20]))}{' ...' if len(ports) > 20 else ''}" for key, ports in covered.items())
        message = (f"the new range {request.port_range} covers ports that services on the host listen on ({text}); "
                   "Windows may hand those ports to outbound connections while the service is stopped")
        if request.listener_guard == "fail":
            raise TcpipValueError.refusal("listener_guard=fail", f"refusing the change: {message}")
        result.warnings.append(message[0].upper() + message[1:] + ".")
    return result


def observe(request: DynamicRangeRequest, snapshot: HostSnapshot) -> dict[str, t.Any]:
    """The managed state in the shape of ``Plan.before``/``after``: what verification compares."""
    return view(snapshot, request.combos)


ENGINE = ConfigurationEngine(request_from_args, plan, observe)
