# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_tcpip_parameters: MaxUserPort and TcpTimedWaitDelay under Tcpip\\Parameters (docs/windows-facts.md §4, §5).

Both values take effect at the next boot. A registry write is visible at once in ``reg query`` but the TCP/IP
stack only reads the values when it starts, so every change reports ``reboot_required``. Each write leaves the
collection's marker beside it in the same batch (reboot_state.py), so later runs, from any controller, still report
the value as pending, and ``reboot_required``, until the host has really rebooted.
"""

from __future__ import annotations

import dataclasses
import typing as t

from .._windows.facts import MAX_USER_PORT_LIMITS, TIMED_WAIT_DELAY_LIMITS, timed_wait_delay_limits
from .._windows.host import ALL_COMBOS, HostSnapshot
from .._windows.ports import legacy_tcp_range, max_user_port_boot_range
from .._windows.values import TcpipValueError, to_int
from .._wire import commands
from .._wire.reader import SnapshotRequest
from . import reboot_state
from .contract import ConfigurationEngine
from .converge import Plan
from .findings import parameter_findings

ABSENT = "absent"
# Option name -> registry value name.
VALUE_NAMES = {"max_user_port": "MaxUserPort", "tcp_timed_wait_delay": "TcpTimedWaitDelay"}


@dataclasses.dataclass(frozen=True)
class ParametersRequest:
    """Desired value per registry name: an int, ABSENT, or missing (leave alone)."""

    values: dict[str, int | str]

    def snapshot_request(self) -> SnapshotRequest:
        return SnapshotRequest(combos=ALL_COMBOS, exclusions=True, netstat=False, reboot_state=True)


def _desired(option: str, raw: object, limits: tuple[int, int]) -> int | str:
    if isinstance(raw, str) and raw.strip().lower() == ABSENT:
        return ABSENT
    valid = f"valid values are {limits[0]}-{limits[1]}, or '{ABSENT}' to remove the value"
    value = to_int(option, raw, valid)
    if not limits[0] <= value <= limits[1]:
        raise TcpipValueError(option, raw, valid)
    return value


def request_from_args(args: dict[str, t.Any]) -> ParametersRequest:
    values: dict[str, int | str] = {}
    if args.get("max_user_port") is not None:
        values["MaxUserPort"] = _desired("max_user_port", args["max_user_port"], MAX_USER_PORT_LIMITS)
    if args.get("tcp_timed_wait_delay") is not None:
        # The widest valid range here; the host's own limit is checked after reading its build, before any write.
        values["TcpTimedWaitDelay"] = _desired("tcp_timed_wait_delay", args["tcp_timed_wait_delay"], timed_wait_delay_limits(None))
    if not values:
        raise TcpipValueError.refusal("max_user_port/tcp_timed_wait_delay", "give at least one of them (a value, or 'absent')")
    return ParametersRequest(values)


def view(snapshot: HostSnapshot, names: t.Iterable[str]) -> dict[str, t.Any]:
    """Each value as Windows uses it: the REG_DWORD, None when absent; a value of another type (which Windows ignores)
    as ``{"type", "value", "in_effect": false}``, so that it differs from every wanted state and gets rewritten."""
    shown: dict[str, t.Any] = {}
    for name in names:
        stored = snapshot.registry_values.get(name)
        if stored is not None and stored.dword is None:
            shown[name] = {"type": stored.type, "value": stored.value, "in_effect": False}
        else:
            shown[name] = snapshot.registry.get(name)
    return shown


def boot_effect(snapshot: HostSnapshot, max_user_port: int | None) -> dict[str, t.Any]:
    """What MaxUserPort does to the TCP range at the next boot, and whether that is still pending."""
    if not snapshot.has_dynamicport:
        return {"tcp_range_at_boot": legacy_tcp_range(max_user_port).to_dict(), "pending": None,
                "governs": "max_user_port"}
    if max_user_port is None:
        return {"tcp_range_at_boot": None, "pending": False, "governs": "netsh"}
    boot = max_user_port_boot_range(max_user_port)
    live = [snapshot.ranges[c] for c in ALL_COMBOS if c[1] == "tcp" and c in snapshot.ranges]
    return {"tcp_range_at_boot": boot.to_dict(),
            "pending": any(r != boot for r in live), "governs": "max_user_port"}


def describe_reboot_state(snapshot: HostSnapshot) -> tuple[list[str], dict[str, t.Any]]:
    """The result's ``boot_id`` and ``reboot_state`` (both tracked values, effective beside pending) for a snapshot."""
    return [], {"boot_id": snapshot.boot_id,
                "reboot_state": {name: state.to_dict() for name, state in reboot_state.value_states(snapshot).items()}}


Writes = t.Tuple[t.List[commands.NativeCommand], t.Dict[str, t.Optional[int]], t.Dict[str, reboot_state.Marker]]


def _writes(snapshot: HostSnapshot, names: list[str], before: dict[str, t.Any], after: dict[str, t.Any]) -> Writes:
    """The reg commands, each followed by its marker when it changes what Windows reads at boot (removing a value of a
    type Windows ignores changes nothing there)."""
    cmds: list[commands.NativeCommand] = []
    written: dict[str, int | None] = {}
    markers: dict[str, reboot_state.Marker] = {}
    for name in names:
        if before[name] == after[name]:
            continue
        cmds.append(commands.delete_tcpip_value(name) if after[name] is None else commands.set_tcpip_dword(name, t.cast(int, after[name])))
        written[name] = after[name]
        marker = reboot_state.marker_for_write(snapshot, name, after[name]) if snapshot.registry.get(name) != after[name] else None
        if marker is not None:
            markers[name] = marker
            cmds.append(commands.set_marker(name, marker.data()))
    return cmds, written, markers


def plan(request: ParametersRequest, snapshot: HostSnapshot) -> Plan:  # pylint: disable=too-many-locals
    wanted = request.values.get("TcpTimedWaitDelay")
    if isinstance(wanted, int):
        low, high = timed_wait_delay_limits(snapshot.os_build)
        if not low <= wanted <= high:
            raise TcpipValueError("tcp_timed_wait_delay", wanted,
                                  f"Windows build {snapshot.os_build} accepts {low}-{high} seconds "
                                  f"({TIMED_WAIT_DELAY_LIMITS[0]}-{TIMED_WAIT_DELAY_LIMITS[1]} needs Windows 8.1 / Server 2012 R2)")
    names = list(request.values)
    before = view(snapshot, names)
    after = {name: (None if value == ABSENT else value) for name, value in request.values.items()}
    cmds, written, markers = _writes(snapshot, names, before, after)
    leaves = reboot_state.after_writes(snapshot, written, markers)
    pending = reboot_state.pending_values(leaves)
    final_max_user_port = after.get("MaxUserPort", snapshot.registry.get("MaxUserPort"))
    # Only a change of what Windows reads at boot needs one: removing a value it ignores (a REG_SZ, say) does not.
    effective_change = any(snapshot.registry.get(name) != after[name] for name in names)
    # A reboot is required while a value waits for one (its marker says so), even when this task writes nothing; not
    # when a write puts back the value in effect. Without a marker (no boot identity) any change of what Windows reads
    # at boot requires one.
    untracked = [name for name in written if snapshot.registry.get(name) != after[name]
                 and reboot_state.value_state(leaves, name).state == reboot_state.UNKNOWN]
    result = Plan(before=before, after=after, commands=cmds, reboot_required=bool(pending) or bool(untracked),
                  leaves=leaves, describe=describe_reboot_state)
    result.extra["max_user_port_effect"] = boot_effect(snapshot, final_max_user_port)
    # Only what concerns these values: the ranges' and exclusions' findings belong to their own modules.
    warnings = [f.message for f in parameter_findings(snapshot, rewritten=request.values)]
    effect = result.extra["max_user_port_effect"]
    if effect["governs"] == "max_user_port" and snapshot.has_dynamicport:
        boot = effect["tcp_range_at_boot"]
        warnings.append(f"MaxUserPort={final_max_user_port} is set: at the next boot Windows rewrites the TCP dynamic ranges to "
                        f"{boot['start']}-{boot['end']} ({boot['count']} ports), overriding the netsh range.")
    elif not snapshot.has_dynamicport:
        boot = effect["tcp_range_at_boot"]
        warnings.append(f"Windows build {snapshot.os_build} has no netsh dynamic range: MaxUserPort is the range knob here; "
                        f"after the next boot outbound TCP ports come from {boot['start']}-{boot['end']}.")
    # Values that already waited for a reboot before this task (a task that writes a value says so by changing it).
    warnings += [reboot_state.describe_pending(state) for name, state in pending.items() if name not in written]
    if markers == {} and written and effective_change and snapshot.reboot_state_read and snapshot.boot_id is None:
        warnings.append("The host has no boot identity (PrefetchParameters\\BootId): later runs cannot tell whether it has rebooted "
                        "since this change, so they will not report it as pending.")
    result.warnings = warnings
    return result


def observe(request: ParametersRequest, snapshot: HostSnapshot) -> dict[str, t.Any]:
    """The managed state in the shape of ``Plan.before``/``after``: what verification compares."""
    return view(snapshot, request.values)


ENGINE = ConfigurationEngine(request_from_args, plan, observe)
