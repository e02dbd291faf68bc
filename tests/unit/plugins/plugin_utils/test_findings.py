# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""findings: the suspicious states every configuration module warns about (issue 4: MaxUserPort present, exclusions
eating more than a quarter of a range, WinNAT blocks inside a range, a range smaller than the default)."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.findings import Finding, configuration_findings
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import ALL_COMBOS, Exclusion, HostSnapshot
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange, max_user_port_boot_range
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples

DEFAULT = PortRange(49152, 16384)


def snapshot(ranges=None, exclusions=None, registry=None, build=samples.BUILD_2022):
    ranges = {c: DEFAULT for c in ALL_COMBOS} if ranges is None else ranges
    return HostSnapshot(build, ranges, exclusions or {}, registry or {})


def rows(*triples):
    return tuple(Exclusion(PortRange.from_bounds(start, end), administered) for start, end, administered in triples)


def codes(findings):
    return [(f.code, f.message.split(":")[0]) for f in findings]


def test_a_default_host_has_nothing_to_say():
    exclusions = {c: rows(*samples.EXCLUDED_TCP_ADMINISTERED_ROWS) for c in ALL_COMBOS}
    assert configuration_findings(snapshot(exclusions=exclusions)) == []


def test_max_user_port_warns_with_the_range_it_produces_at_boot():
    findings = configuration_findings(snapshot(registry={"MaxUserPort": 65534}))
    assert [f.code for f in findings] == ["max_user_port_rewrites_range"]
    assert findings[0].severity == "warning"
    assert "MaxUserPort=65534" in findings[0].message and "1024-65534 (64511 ports)" in findings[0].message
    assert "max_user_port: absent" in findings[0].message
    assert max_user_port_boot_range(5000) == PortRange(1024, 3977)


def test_max_user_port_on_a_legacy_host_is_the_normal_knob_not_a_warning():
    assert configuration_findings(snapshot(ranges={}, registry={"MaxUserPort": 65534}, build=samples.BUILD_2003)) == []


def test_other_registry_values_are_not_findings():
    assert configuration_findings(snapshot(registry={"TcpTimedWaitDelay": 30})) == []


def test_winnat_blocks_inside_the_range_are_reported_per_range():
    # docs/windows-facts.md §3.2: the runner's two 100-port blocks inside 49152-65535; 80/5986/47001 are HTTP.sys/WinRM, outside.
    exclusions = {("ipv4", "tcp"): rows(*samples.EXCLUDED_TCP_ROWS)}
    findings = configuration_findings(snapshot(exclusions=exclusions))
    assert codes(findings) == [("system_reservations_in_range", "ipv4_tcp")]
    assert "2 Hyper-V/WinNAT reservation(s) (200 ports)" in findings[0].message and "10013" in findings[0].message


def test_winnat_blocks_outside_the_range_and_administered_blocks_are_not_reservations():
    exclusions = {("ipv4", "tcp"): rows((1080, 1179, False), (50000, 50099, True))}
    assert configuration_findings(snapshot(exclusions=exclusions)) == []
    assert Exclusion(PortRange(49711, 100), False).winnat_block
    assert not Exclusion(PortRange(49711, 99), False).winnat_block
    assert not Exclusion(PortRange(49711, 100), True).winnat_block


def test_german_sample_block_inside_the_range_counts():
    exclusions = {("ipv6", "tcp"): rows(*samples.EXCLUDED_TCP_DE_ROWS)}
    assert codes(configuration_findings(snapshot(exclusions=exclusions))) == [("system_reservations_in_range", "ipv6_tcp")]


@pytest.mark.parametrize("excluded, warns", [(4096, False), (4097, True)])
def test_exclusions_eating_more_than_a_quarter_of_the_range(excluded, warns):
    # Administered, so only the share matters (no WinNAT finding); a quarter of 16384 is 4096 exactly.
    exclusions = {("ipv4", "udp"): rows((49152, 49152 + excluded - 1, True))}
    findings = configuration_findings(snapshot(exclusions=exclusions))
    assert codes(findings) == ([("exclusions_eat_range", "ipv4_udp")] if warns else [])
    if warns:
        assert f"take {excluded} of the 16384 ports" in findings[0].message


def test_only_the_part_of_an_exclusion_inside_the_range_counts():
    # 40000-53999 overlaps 49152-65535 by 4848 ports (> 4096): warns, and reports the overlap, not the row size.
    findings = configuration_findings(snapshot(exclusions={("ipv4", "tcp"): rows((40000, 53999, True))}))
    assert "take 4848 of the 16384" in findings[0].message


def test_a_range_smaller_than_the_default():
    ranges = {("ipv4", "tcp"): PortRange(10000, 1000), ("ipv6", "tcp"): DEFAULT, ("ipv4", "udp"): PortRange(1025, 64511)}
    findings = configuration_findings(snapshot(ranges=ranges))
    assert codes(findings) == [("range_smaller_than_default", "ipv4_tcp")]
    assert "10000-10999 (1000 ports)" in findings[0].message and "16384" in findings[0].message


def test_everything_at_once_keeps_a_stable_order_and_to_dict():
    ranges = {("ipv4", "tcp"): PortRange(49152, 1000)}
    exclusions = {("ipv4", "tcp"): rows((49152, 49251, False), (49252, 49751, True))}
    findings = configuration_findings(snapshot(ranges=ranges, exclusions=exclusions, registry={"MaxUserPort": 60000}))
    assert [f.code for f in findings] == ["max_user_port_rewrites_range", "exclusions_eat_range", "system_reservations_in_range",
                                          "range_smaller_than_default"]
    assert Finding("warning", "x", "y").to_dict() == {"severity": "warning", "code": "x", "message": "y"}
