# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module results in the shapes the port_capacity role registers (win_port_info, the configuration modules,
win_port_probe), taken from runs against the simulator's demo hosts, and the summaries built from them."""

from __future__ import annotations

import copy
import typing as t

from ansible_collections.portscale.tcpip.plugins.plugin_utils._report.role_summary import host_summary

COMBOS = ("ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp")


def info(start: int = 49152, end: int = 65535, free: int = 16378, tcp_start: int | None = None, tcp_end: int | None = None,
         max_user_port: int | None = None, delay: int | None = None, winnat: t.Sequence[tuple[int, int]] = (),
         administered: t.Sequence[tuple[int, int]] = (), findings: t.Sequence[tuple[str, str]] = ()) -> dict[str, t.Any]:
    """A win_port_info result; the TCP ranges may differ from the UDP ones (MaxUserPort's boot rewrite)."""
    ranges = {}
    for combo in COMBOS:
        first, last = (tcp_start or start, tcp_end or end) if combo.endswith("tcp") else (start, end)
        ranges[combo] = {"start": first, "count": last - first + 1, "end": last}
    size = ranges["ipv4_tcp"]["count"]
    rows = [{"start": 5985, "end": 5985, "count": 1, "administered": False, "kind": "system", "ports_in_range": 0}]
    rows += [{"start": a, "end": b, "count": b - a + 1, "administered": False, "kind": "winnat", "ports_in_range": b - a + 1}
             for a, b in winnat]
    rows += [{"start": a, "end": b, "count": b - a + 1, "administered": True, "kind": "administered", "ports_in_range": 0}
             for a, b in administered]
    seconds = delay or 120
    return {
        "changed": False,
        "os_build": 20348,
        "ranges": ranges,
        "exclusions": {"ipv4_tcp": rows, "ipv6_tcp": copy.deepcopy(rows), "ipv4_udp": [], "ipv6_udp": []},
        "registry": {"MaxUserPort": {"value": max_user_port, "pending": False},
                     "TcpTimedWaitDelay": {"value": delay, "pending": None}},
        "capacity": {"ipv4_tcp": {"range": ranges["ipv4_tcp"], "excluded": {"total": 0}, "in_use": {"total": size - free},
                                  "free": free, "usable": size, "percent_free": round(100.0 * free / size, 1),
                                  "time_wait_seconds": seconds, "connections_per_second": round(free / seconds, 1)}},
        "findings": [{"severity": severity, "code": code, "message": f"{code} explained"} for severity, code in findings],
    }


def probe(opened: int, count: int = 4000, fail_below: int | None = 4000, error: int | None = None) -> dict[str, t.Any]:
    result = {"changed": False, "probed": True, "requested": count, "count": count, "opened": opened, "closed": opened,
              "fail_below": fail_below, "passed": None if fail_below is None else opened >= fail_below, "capped": [],
              "error": {"code": error, "name": "NoBufferSpaceAvailable", "message": "..."} if error else None,
              "elapsed_ms": opened / 4.0, "free_ports_before": opened}
    if result["passed"] is False:
        # The role registers the probe with failed_when: false, which resets "failed" but keeps the module's message.
        result.update(failed=False, failed_when_result=False, msg=f"The probe opened {opened} of {count} connection(s)")
    return result


def change(before: dict, after: dict, changed: bool = True, reboot_required: bool = False) -> dict[str, t.Any]:
    return {"changed": changed, "before": before, "after": after, "reboot_required": reboot_required, "commands": ["..."], "warnings": []}


def range_dict(start: int, end: int) -> dict[str, int]:
    return {"start": start, "count": end - start + 1, "end": end}


def all_ranges(start: int, end: int) -> dict[str, dict[str, int]]:
    return {combo: range_dict(start, end) for combo in COMBOS}


def demo_summaries() -> dict[str, dict[str, t.Any]]:
    """The demo fleet after an enforce run, plus hosts in every other state a report must show."""
    busy = host_summary({
        "host": "gw-busy", "mode": "enforce", "stage": "done", "rebooted": True, "reboot_policy": "allowed",
        "before": info(free=2358, findings=[("warning", "headroom_low"), ("warning", "time_wait_dominates")]),
        "after": info(start=10000, free=50509, delay=30),
        "changes": {"tcpip_parameters": change({"TcpTimedWaitDelay": None}, {"TcpTimedWaitDelay": 30}, reboot_required=True),
                    "ranges": {"results": [change(all_ranges(49152, 65535), all_ranges(10000, 65535))]}},
        "probe": probe(4000), "headroom_combo": "ipv4_tcp"})
    installer = host_summary({
        "host": "app-mup", "mode": "enforce", "stage": "done", "rebooted": False, "reboot_policy": "never",
        "before": info(tcp_start=1024, tcp_end=65534, free=64503, max_user_port=65534,
                       findings=[("warning", "max_user_port_rewrites_range")]),
        "after": info(start=10000, free=55529),
        "changes": {"tcpip_parameters": change({"MaxUserPort": 65534}, {"MaxUserPort": None}, reboot_required=True),
                    "ranges": change(all_ranges(49152, 65535), all_ranges(10000, 65535))},
        "probe": probe(4000)})
    hyperv = host_summary({
        "host": "hv-nat", "mode": "enforce", "stage": "done",
        "before": info(free=16178, winnat=[(50635, 50734), (54990, 55089)], findings=[("warning", "system_reservations_in_range")]),
        "after": info(start=10000, free=55119, winnat=[(50800, 50899)], administered=[(50700, 50709)]),
        "changes": {"exclusions": change({"ipv4_tcp": [], "ipv6_tcp": []},
                                         {"ipv4_tcp": [range_dict(50700, 50709)], "ipv6_tcp": [range_dict(50700, 50709)]})},
        "probe": probe(4000)})
    exhausted = host_summary({
        "host": "db-heavy", "mode": "audit", "stage": "done", "before": info(free=300, findings=[("critical", "headroom_critical")]),
        "changes": {"ranges": change(all_ranges(49152, 65535), all_ranges(10000, 65535))},
        "probe": probe(299, error=10055)})
    crowded = host_summary({
        "host": "gw-audit", "mode": "audit", "stage": "done", "before": info(free=2358, findings=[("warning", "headroom_low")]),
        "probe": probe(1178, count=1178, fail_below=None)})
    stopped = host_summary({"host": "app-broken", "mode": "enforce", "stage": "info", "before": info(free=12000)})
    return {summary["host"]: summary for summary in (busy, installer, hyperv, exhausted, crowded, stopped)}


HOSTS = ["gw-busy", "app-mup", "hv-nat", "db-heavy", "gw-audit", "app-broken", "app-down", "app-later"]
ACTIVE = ["gw-busy", "app-mup", "hv-nat", "db-heavy", "gw-audit", "app-later"]
