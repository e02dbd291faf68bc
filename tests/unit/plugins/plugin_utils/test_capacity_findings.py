# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_port_info's findings: each fires when it should, and not otherwise (thresholds tested on both sides)."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import capacity, findings
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import ALL_COMBOS, HostSnapshot
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParsedConnection
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange

V4_TCP = ("ipv4", "tcp")
DEFAULT = PortRange(49152, 16384)


def rows(n, state, pid, first=49152):
    remote = ("0.0.0.0", 0) if state == "BOUND" else ("192.0.2.10", 1433)
    return [ParsedConnection("TCP", "10.0.0.5", first + i, remote[0], remote[1], state, state, False, pid, 4) for i in range(n)]


def codes(found):
    return [f.code for f in found]


def capacity_codes(table, port_range=DEFAULT, combo=V4_TCP):
    return codes(findings.capacity_findings({combo: capacity.range_capacity(combo, port_range, (), table, 120)}))


@pytest.mark.parametrize("in_use, expected", [
    (0, []),
    (13107, []),                          # 3277 free = 20.001%: not below the warning line
    (13108, ["headroom_low"]),            # 3276 free = 19.995%
    (15564, ["headroom_low"]),            # 820 free = 5.005%
    (15565, ["headroom_critical"]),       # 819 free = 4.999%
    (16384, ["headroom_critical"]),       # exhausted
])
def test_headroom(in_use, expected):
    # Spread over eight processes, so only the headroom finding can fire.
    table = [ParsedConnection("TCP", "10.0.0.5", 49152 + i, "192.0.2.10", 1433, "ESTABLISHED", "ESTABLISHED", False, 1 + i % 8, 4)
             for i in range(in_use)]
    assert capacity_codes(table) == expected


def test_time_wait_dominates_only_when_it_is_most_of_the_use_and_a_real_share_of_the_range():
    assert "time_wait_dominates" in capacity_codes(rows(2000, "TIME_WAIT", 0) + rows(1000, "ESTABLISHED", 5, first=52000))
    # Most of the use, but only 100 ports: an idle host closing a few connections.
    assert "time_wait_dominates" not in capacity_codes(rows(100, "TIME_WAIT", 0))
    # A real share of the range, but not most of the use.
    assert "time_wait_dominates" not in capacity_codes(rows(2000, "TIME_WAIT", 0) + rows(2500, "ESTABLISHED", 5, first=52000))


def test_time_wait_threshold_is_ten_percent_of_the_usable_ports():
    assert "time_wait_dominates" not in capacity_codes(rows(1638, "TIME_WAIT", 0))
    assert "time_wait_dominates" in capacity_codes(rows(1639, "TIME_WAIT", 0))


def test_a_process_holding_over_half_of_the_usable_ports():
    assert "process_holds_most_ports" not in capacity_codes(rows(8192, "ESTABLISHED", 3120))
    found = findings.capacity_findings({V4_TCP: capacity.range_capacity(V4_TCP, DEFAULT, (), rows(8193, "ESTABLISHED", 3120), 120)})
    assert "process_holds_most_ports" in codes(found)
    assert "process 3120" in next(f.message for f in found if f.code == "process_holds_most_ports")


def test_time_wait_is_not_a_process():
    assert "process_holds_most_ports" not in capacity_codes(rows(9000, "TIME_WAIT", 0))


def test_udp_has_no_time_wait_finding():
    table = [ParsedConnection("UDP", "0.0.0.0", 49152 + i, "*", None, "", None, True, 0, 4) for i in range(3000)]
    assert capacity_codes(table, combo=("ipv4", "udp")) == []


def snapshot(registry, ranges=None, build=20348):
    ranges = {c: DEFAULT for c in ALL_COMBOS} if ranges is None else ranges
    return HostSnapshot(build, ranges, {c: () for c in ranges}, registry, ())


def test_no_registry_values_no_registry_findings():
    assert findings.registry_findings(snapshot({})) == []


def test_max_user_port_pending_when_the_live_range_differs_from_its_boot_range():
    found = findings.registry_findings(snapshot({"MaxUserPort": 65534}))
    assert codes(found) == ["max_user_port_pending"]
    assert "1024-65534" in found[0].message and found[0].severity == "warning"


def test_max_user_port_in_effect_when_the_live_tcp_ranges_match():
    boot = PortRange.from_bounds(1024, 65534)
    ranges = {c: (boot if c[1] == "tcp" else DEFAULT) for c in ALL_COMBOS}
    found = findings.registry_findings(snapshot({"MaxUserPort": 65534}, ranges))
    assert codes(found) == ["max_user_port_in_effect"] and found[0].severity == "info"


@pytest.mark.parametrize("value, code", [(30, "time_wait_delay_set"), (300, "time_wait_delay_set"), (1, "time_wait_delay_ignored"),
                                         (301, "time_wait_delay_ignored")])
def test_time_wait_delay(value, code):
    assert codes(findings.registry_findings(snapshot({"TcpTimedWaitDelay": value}))) == [code]


def test_legacy_host():
    found = findings.registry_findings(HostSnapshot(3790, {}, {}, {"MaxUserPort": 60000}, ()))
    assert codes(found) == ["no_dynamic_port_range"]
    assert "1025-60000" in found[0].message


def test_by_severity_orders_critical_first_and_keeps_order_within_a_severity():
    items = [findings.Finding("info", "a", ""), findings.Finding("critical", "b", ""), findings.Finding("warning", "c", ""),
             findings.Finding("info", "d", "")]
    assert codes(findings.by_severity(items)) == ["b", "c", "a", "d"]
