# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_excluded_port_range: administered exclusions (the ``*`` rows) as desired state (docs/windows-facts.md §3).

Only administered rows are ours. Rows without ``*`` are Hyper-V/WinNAT/HNS reservations or HTTP.sys
registrations: they are reported, never deleted, and an add that overlaps one can only succeed while WinNAT is
stopped (``net stop winnat`` / add / ``net start winnat``, the documented workaround), which the user must allow.
"""

from __future__ import annotations

import dataclasses
import typing as t

from .._windows.facts import PORT_MAX, PORT_MIN
from .._windows.host import Combo, Exclusion, HostSnapshot, combo_key
from .._windows.ports import PortRange
from .._windows.values import TcpipValueError, to_int
from .._wire import commands
from .._wire.reader import SnapshotRequest
from .contract import ConfigurationEngine
from .converge import Plan
from .findings import exclusion_findings

# Ranges one task may list. Each becomes one netsh add (or delete) per table, all in one write batch, so an unbounded
# list would be an unbounded script on the host; a playbook that needs more can split them over several tasks.
MAX_RANGES = 100


@dataclasses.dataclass(frozen=True)
class ExclusionRequest:
    ranges: tuple[PortRange, ...]
    combos: tuple[Combo, ...]
    state: str          # present | absent
    purge: bool
    store: str
    winnat_restart: bool

    def snapshot_request(self) -> SnapshotRequest:
        # netstat to refuse an add that Windows would refuse because a port is in use; the persistent store when the
        # exclusions must survive a reboot.
        return SnapshotRequest(combos=self.combos, exclusions=True, netstat=self.state == "present" and bool(self.ranges),
                               persistent=self.store == "persistent")


def _range_from_item(index: int, item: dict[str, t.Any]) -> PortRange:
    name = f"ranges[{index}]"
    if item.get("start") is None:
        raise TcpipValueError(f"{name}.start", None, "each range needs start, and one of count and end")
    if (item.get("count") is None) == (item.get("end") is None):
        given = "both were given" if item.get("count") is not None else "neither was given"
        raise TcpipValueError.refusal(name, f"give exactly one of count (the number of ports) and end (the last port); {given}")
    valid = f"ports {PORT_MIN}-{PORT_MAX}"
    start = to_int(f"{name}.start", item["start"], valid)
    if item.get("end") is not None:
        last = to_int(f"{name}.end", item["end"], valid)
    else:
        count = to_int(f"{name}.count", item["count"], f"at least 1 port, ending at {PORT_MAX} at most")
        if count < 1:
            raise TcpipValueError(f"{name}.count", item["count"], "an exclusion holds at least 1 port")
        last = start + count - 1
    if not PORT_MIN <= start <= PORT_MAX or not PORT_MIN <= last <= PORT_MAX:
        raise TcpipValueError.refusal(name, f"excluded ports must lie within {PORT_MIN}-{PORT_MAX} (this range is {start}-{last})")
    if last < start:
        raise TcpipValueError(f"{name}.end", item["end"], f"the end port must not be below start ({start}); give an end from {start} to {PORT_MAX}")
    return PortRange.from_bounds(start, last)


def _first_overlap(ranges: t.Sequence[PortRange]) -> tuple[PortRange, PortRange] | None:
    """Two listed ranges that share a port (in the order listed), or None. Sorted by start, only neighbours need
    comparing: n log n, where comparing every pair took 20 s of controller CPU for 10,000 ranges."""
    ordered = sorted((r, i) for i, r in enumerate(ranges))
    for (first, i), (second, j) in zip(ordered, ordered[1:]):
        if first.overlap(second):
            return (first, second) if i < j else (second, first)
    return None


def request_from_args(args: dict[str, t.Any]) -> ExclusionRequest:
    listed = args["ranges"] or []
    if len(listed) > MAX_RANGES:
        raise TcpipValueError.refusal("ranges", f"{len(listed)} ranges listed; a task lists at most {MAX_RANGES} (split them over several tasks)")
    ranges = tuple(_range_from_item(i, item) for i, item in enumerate(listed))
    overlapping = _first_overlap(ranges)
    if overlapping:
        raise TcpipValueError.refusal("ranges", f"{overlapping[0]} and {overlapping[1]} overlap; listed ranges must not overlap each other")
    if args["state"] == "absent" and args["purge"]:
        raise TcpipValueError("purge", True, "purge only applies to state=present")
    if not ranges and not (args["state"] == "present" and args["purge"]):
        raise TcpipValueError("ranges", [], "list at least one range (an empty list is only meaningful with purge=true)")
    if not args["ip_versions"] or not args["protocols"]:
        raise TcpipValueError.refusal("ip_versions/protocols", "name at least one of each (ip_versions: ipv4, ipv6; protocols: tcp, udp)")
    combos = tuple((ip, proto) for ip in dict.fromkeys(args["ip_versions"]) for proto in dict.fromkeys(args["protocols"]))
    return ExclusionRequest(ranges, combos, args["state"], args["purge"], args["store"], args["winnat_restart"])


def _stores(snapshot: HostSnapshot, combo: Combo) -> dict[PortRange, str | None]:
    """Each administered row and where it is: None for both stores (or when only the active one was read), else the
    one store that holds it ("active": gone at the next boot; "persistent": not in force until then)."""
    active = [e.range for e in snapshot.exclusions[combo] if e.administered]
    if combo not in snapshot.persistent_exclusions:
        return {r: None for r in active}
    stored = [e.range for e in snapshot.persistent_exclusions[combo] if e.administered]
    rows: dict[PortRange, str | None] = {r: (None if r in stored else "active") for r in active}
    rows.update({r: "persistent" for r in stored if r not in rows})
    return dict(sorted(rows.items()))


def view(snapshot: HostSnapshot, combos: t.Sequence[Combo]) -> dict[str, list[dict[str, t.Any]]]:
    """The administered rows per table; with the persistent store read, a row in one store only says which (``store``)."""
    return {combo_key(c): [{**r.to_dict(), **({"store": where} if where else {})} for r, where in _stores(snapshot, c).items()]
            for c in combos}


def system_rows(snapshot: HostSnapshot, combos: t.Sequence[Combo]) -> dict[str, list[dict[str, int]]]:
    return {combo_key(c): [e.range.to_dict() for e in snapshot.exclusions[c] if not e.administered] for c in combos}


def describe(request: ExclusionRequest, snapshot: HostSnapshot) -> tuple[list[str], dict[str, t.Any]]:
    """What the result says about the host's exclusion tables (``Plan.describe``): the warnings about them and the rows
    Windows owns. Applied to the state the plan leaves behind before a change, and to the verification read after one."""
    return [f.message for f in exclusion_findings(snapshot)], {"system_reservations": system_rows(snapshot, request.combos)}


def _check_conflicts(request: ExclusionRequest, combo: Combo, current: tuple[Exclusion, ...], removing: list[PortRange]) -> None:
    name = combo_key(combo)
    for wanted in request.ranges:
        for row in current:
            if row.range == wanted or not row.range.overlap(wanted):
                continue
            if request.state == "absent" and not row.administered:
                raise TcpipValueError.refusal(f"ranges {wanted}", f"{name}: {row.range} is a Hyper-V/WinNAT or system reservation (no *); "
                                              "Windows manages it and it cannot be removed")
            if request.state == "present" and row.administered and row.range not in removing:
                raise TcpipValueError.refusal(f"ranges {wanted}", f"{name}: it overlaps the administered exclusion {row.range}; "
                                              "remove that one first, or set purge=true")
        if request.state == "absent" and any(r.range == wanted and not r.administered for r in current):
            raise TcpipValueError.refusal(f"ranges {wanted}", f"{name}: it is a Hyper-V/WinNAT or system reservation (no *); "
                                          "Windows manages it and it cannot be removed")


def plan(request: ExclusionRequest, snapshot: HostSnapshot) -> Plan:
    if not snapshot.has_dynamicport:
        raise TcpipValueError.refusal("host", f"Windows build {snapshot.os_build} has no netsh excluded port ranges")
    before = view(snapshot, request.combos)
    after: dict[str, list[dict[str, int]]] = {}
    removals: list[commands.NativeCommand] = []
    additions: list[commands.NativeCommand] = []
    overlaps_system: list[str] = []
    left: dict[Combo, tuple[Exclusion, ...]] = {}
    adding_by_combo: dict[Combo, list[PortRange]] = {}
    for combo in request.combos:
        current = snapshot.exclusions[combo]
        where = _stores(snapshot, combo)
        # A row in one store only is not what store=persistent asks for: deleted from that store, then added again.
        have = [r for r, store in where.items() if store is None]
        if request.state == "present":
            adding = [r for r in request.ranges if r not in have]
            removing = [r for r in where if (r in request.ranges and r not in have) or (request.purge and r not in request.ranges)]
        else:
            adding = []
            removing = [r for r in where if r in request.ranges]
        kept = {r: store for r, store in where.items() if r not in removing}
        kept.update({r: None for r in adding})
        after[combo_key(combo)] = [{**r.to_dict(), **({"store": store} if store else {})} for r, store in sorted(kept.items())]
        left[combo] = tuple(e for e in current if not e.administered) + tuple(Exclusion(r, True) for r, store in kept.items() if store != "persistent")
        adding_by_combo[combo] = adding
        _check_conflicts(request, combo, current, removing)
        removals += [commands.delete_excluded_range(combo[0], combo[1], r, where[r] or request.store) for r in removing]
        additions += [commands.add_excluded_range(combo[0], combo[1], r, request.store) for r in adding]
        held = [(r, row) for r in adding for row in current if not row.administered and r.overlap(row.range)]
        fixed = [f"{combo_key(combo)} {r} overlaps {row.range}" for r, row in held if not row.winnat_block]
        if fixed:
            raise TcpipValueError.refusal("ranges", f"{'; '.join(fixed)}: those ports are a system reservation (an HTTP.sys/WinRM URL "
                                          "registration or similar, not WinNAT); Windows manages it, so pick ports outside it")
        overlaps_system += [f"{combo_key(combo)} {r} overlaps {row.range}" for r, row in held]
    if overlaps_system and not request.winnat_restart:
        raise TcpipValueError.refusal("ranges", f"{'; '.join(overlaps_system)}: Windows refuses to exclude ports held by a Hyper-V/WinNAT "
                                      "reservation; set winnat_restart=true to stop the winnat service around the change (it is always "
                                      "started again)")
    busy = _ports_in_use(snapshot, adding_by_combo)
    if busy:
        # Windows refuses to exclude a port in use (docs/windows-facts.md §3.4); refusing here keeps the task from adding to one table and
        # then failing on another (a listener on IPv4 only would let the IPv6 add through first).
        text = "; ".join(f"{key}: {', '.join(map(str, ports[:20]))}{' ...' if len(ports) > 20 else ''}" for key, ports in busy.items())
        raise TcpipValueError.refusal("ranges", f"ports to exclude are in use on the host ({text}); Windows refuses to exclude a port "
                                      "that a socket holds: stop the service that holds them or pick other ports, then retry")
    cmds = removals + additions
    if overlaps_system:
        cmds = [commands.winnat("stop")] + cmds + [commands.winnat("start")]
        # Stopping winnat removes every WinNAT reservation, in every table, and starting it again does not re-create
        # them (they return at the next boot, or when HNS, Docker or WSL reserve again): the state left behind has none.
        left = {combo: tuple(e for e in rows if not e.winnat_block) for combo, rows in left.items()}
    result = Plan(before=before, after=after, commands=cmds)
    result.extra["ports_in_use"] = busy
    if overlaps_system:
        removed = sum(1 for rows in snapshot.exclusions.values() for e in rows if e.winnat_block)
        # An operator must know what the restart costs beyond this task: NAT port reservations of Hyper-V, WSL and
        # containers are gone until the host boots again (or their services reserve again).
        result.warnings.append(f"restarting winnat removes all {removed} WinNAT port block(s) of this host, not only the overlapping ones; "
                               "Hyper-V, WSL and container NAT reserve them again at the next boot or when their services reserve again")
    if additions:
        result.refusal_hint = ("Windows refuses to exclude a port that is in use (bound or listening) or held by a Hyper-V/WinNAT "
                               "reservation: stop the service that holds it, or pick another range, then retry.")
    # Weigh the exclusions the task leaves behind, so an add that eats the range warns in the run that adds it; after the
    # writes, converge weighs the ones the host reports instead.
    result.leaves = dataclasses.replace(snapshot, exclusions={**snapshot.exclusions, **left})
    result.describe = lambda read: describe(request, read)
    return result


def _ports_in_use(snapshot: HostSnapshot, adding: dict[Combo, list[PortRange]]) -> dict[str, list[int]]:
    """Ports of the ranges to add to each table that a connection or listener of that table holds (Windows refuses those)."""
    busy: dict[str, set[int]] = {}
    for conn in snapshot.connections or ():
        combo = (f"ipv{conn.ip_version}", conn.protocol.lower())
        if any(conn.local_port in r for r in adding.get(combo, ())):
            busy.setdefault(combo_key(combo), set()).add(conn.local_port)
    return {key: sorted(ports) for key, ports in sorted(busy.items())}


def observe(request: ExclusionRequest, snapshot: HostSnapshot) -> dict[str, t.Any]:
    """The managed state in the shape of ``Plan.before``/``after``: what verification compares."""
    return view(snapshot, request.combos)


ENGINE = ConfigurationEngine(request_from_args, plan, observe)
