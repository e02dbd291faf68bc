# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""snapshot: which commands a read sends, and parse_snapshot on byte-exact WINDOWS-FACTS and localized outputs."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils import commands, converge
from ansible_collections.portscale.tcpip.plugins.plugin_utils.remote import CommandOutput, RemoteError
from ansible_collections.portscale.tcpip.plugins.plugin_utils.snapshot import (
    ALL_COMBOS,
    Exclusion,
    SnapshotRequest,
    combo_key,
    parse_snapshot,
    snapshot_commands,
)
from ansible_collections.portscale.tcpip.plugins.plugin_utils.tcpip import PortRange
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost

TCPIP_VALUES = samples.reg_query_text(samples.TCPIP_KEY_LONG, [("Hostname", "REG_SZ", "WEB01"), ("MaxUserPort", "REG_DWORD", "0xfffe"),
                                                               ("TcpTimedWaitDelay", "REG_DWORD", "0x1e")], ("Adapters",))
NO_TRACKED_VALUES = samples.reg_query_text(samples.TCPIP_KEY_LONG, [("Hostname", "REG_SZ", "WEB01")], ("Adapters", "Winsock"))


def outputs_for(request, texts, exit_codes=None):
    """Pair the request's commands with ``texts`` (same order), as run_batch would."""
    cmds = snapshot_commands(request)
    assert len(cmds) == len(texts)
    exit_codes = exit_codes or [0] * len(cmds)
    return [CommandOutput(c, code, text) for c, code, text in zip(cmds, exit_codes, texts)]


def default_texts(dynamic=None, excluded=None, tcpip=NO_TRACKED_VALUES, build=samples.BUILD_2022):
    dynamic = dynamic or [samples.DYNAMIC_TCP, samples.DYNAMIC_UDP, samples.DYNAMIC_TCP, samples.DYNAMIC_UDP]
    excluded = excluded or [samples.EXCLUDED_TCP, samples.exclusion_table_text("udp", []), samples.EXCLUDED_TCP_ADMINISTERED,
                            samples.exclusion_table_text("udp", [])]
    return [samples.os_build_text(build), tcpip] + dynamic + excluded


def test_default_request_reads_everything_but_connections_in_a_fixed_order():
    lines = [str(c) for c in snapshot_commands(SnapshotRequest())]
    assert lines == [
        'reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion" /v CurrentBuildNumber',
        "reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters",
        "netsh int ipv4 show dynamicport tcp", "netsh int ipv4 show dynamicport udp",
        "netsh int ipv6 show dynamicport tcp", "netsh int ipv6 show dynamicport udp",
        "netsh int ipv4 show excludedportrange protocol=tcp", "netsh int ipv4 show excludedportrange protocol=udp",
        "netsh int ipv6 show excludedportrange protocol=tcp", "netsh int ipv6 show excludedportrange protocol=udp",
    ]
    assert not any(c.writes for c in snapshot_commands(SnapshotRequest(netstat=True)))


def test_narrow_request_and_verification_drop_what_is_not_needed():
    request = SnapshotRequest(combos=(("ipv6", "udp"),), exclusions=False, netstat=True)
    assert [str(c) for c in snapshot_commands(request)][2:] == ["netsh int ipv6 show dynamicport udp", "netstat -ano"]
    verify = request.verification()
    assert verify.netstat is False and verify.combos == request.combos and verify.exclusions is False


def test_facts_samples_parse_into_a_snapshot():
    request = SnapshotRequest(netstat=True)
    texts = default_texts(tcpip=TCPIP_VALUES) + [samples.NETSTAT]
    snap = parse_snapshot(request, outputs_for(request, texts))
    assert snap.os_build == samples.BUILD_2022 and snap.has_dynamicport
    assert snap.ranges == {combo: PortRange(49152, 16384) for combo in ALL_COMBOS}
    assert snap.registry == {"MaxUserPort": 65534, "TcpTimedWaitDelay": 30}
    assert [(e.range.start, e.range.end, e.administered) for e in snap.exclusions[("ipv4", "tcp")]] == samples.EXCLUDED_TCP_ROWS
    assert [(e.range.start, e.range.end, e.administered) for e in snap.exclusions[("ipv6", "tcp")]] == samples.EXCLUDED_TCP_ADMINISTERED_ROWS
    assert snap.exclusions[("ipv4", "udp")] == ()
    assert [(c.protocol, c.local_port, c.is_listener, c.ip_version) for c in snap.connections] == [
        ("TCP", 135, True, 4), ("TCP", 52346, False, 4), ("TCP", 135, True, 6), ("UDP", 5353, True, 4)]


def test_widened_range_below_the_settable_minimum_is_read_as_reported():
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    texts = [samples.os_build_text(samples.BUILD_2022), samples.REG_MAX_USER_PORT, samples.DYNAMIC_TCP_WIDENED]
    snap = parse_snapshot(request, outputs_for(request, texts))
    assert snap.ranges == {("ipv4", "tcp"): PortRange(1024, 64511)}
    assert snap.registry == {"MaxUserPort": 65534}


def test_absent_values_are_missing_not_none():
    request = SnapshotRequest(exclusions=False, combos=(("ipv4", "tcp"),))
    snap = parse_snapshot(request, outputs_for(request, [samples.os_build_text(samples.BUILD_2022), NO_TRACKED_VALUES, samples.DYNAMIC_TCP]))
    assert snap.registry == {}
    assert snap.connections is None and snap.exclusions == {}


def test_registry_names_are_matched_case_insensitively_and_reported_by_our_spelling():
    request = SnapshotRequest(exclusions=False, combos=(("ipv4", "tcp"),))
    tcpip = samples.reg_query_text(samples.TCPIP_KEY_LONG, [("maxuserport", "REG_DWORD", "0x1388")])
    snap = parse_snapshot(request, outputs_for(request, [samples.os_build_text(samples.BUILD_2022), tcpip, samples.DYNAMIC_TCP]))
    assert snap.registry == {"MaxUserPort": 5000}


@pytest.mark.parametrize("dynamic, excluded, rows", [
    ([samples.DYNAMIC_TCP_FR], [samples.EXCLUDED_TCP_DE], samples.EXCLUDED_TCP_DE_ROWS),
    ([samples.dynamic_port_text("tcp", 10000, 55536, "zh-CN")], [samples.EXCLUDED_TCP_ZH], samples.EXCLUDED_TCP_ZH_ROWS),
], ids=["french-range-german-exclusions", "chinese"])
def test_localized_outputs_give_the_same_snapshot(dynamic, excluded, rows):
    request = SnapshotRequest(combos=(("ipv4", "tcp"),))
    snap = parse_snapshot(request, outputs_for(request, [samples.os_build_text(samples.BUILD_2022), NO_TRACKED_VALUES] + dynamic + excluded))
    expected_range = PortRange(49152, 16384) if dynamic[0] is samples.DYNAMIC_TCP_FR else PortRange(10000, 55536)
    assert snap.ranges == {("ipv4", "tcp"): expected_range}
    assert [(e.range.start, e.range.end, e.administered) for e in snap.exclusions[("ipv4", "tcp")]] == rows


def test_legacy_host_has_no_ranges_and_its_netsh_errors_are_not_read():
    request = SnapshotRequest()
    not_found = "The following command was not found: int ipv4 show dynamicport tcp.\r\n"
    texts = [samples.os_build_text(samples.BUILD_2003), samples.REG_MAX_USER_PORT] + [not_found] * 8
    snap = parse_snapshot(request, outputs_for(request, texts, [0, 0] + [1] * 8))
    assert not snap.has_dynamicport
    assert snap.ranges == {} and snap.exclusions == {}
    assert snap.registry == {"MaxUserPort": 65534}


def test_a_failed_read_names_the_command_its_exit_code_and_what_the_host_said():
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    texts = [samples.os_build_text(samples.BUILD_2022), NO_TRACKED_VALUES, samples.NETSH_ELEVATION]
    with pytest.raises(RemoteError) as caught:
        parse_snapshot(request, outputs_for(request, texts, [0, 0, 1]))
    message = str(caught.value)
    assert "'netsh int ipv4 show dynamicport tcp' exited 1" in message
    assert "requires elevation" in message and "a read command failed" in message
    assert caught.value.rc == 1


def test_garbage_output_is_a_remote_error_with_the_parse_reason():
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    texts = [samples.os_build_text(samples.BUILD_2022), NO_TRACKED_VALUES, "Ok.\r\n\r\n"]
    with pytest.raises(RemoteError) as caught:
        parse_snapshot(request, outputs_for(request, texts))
    assert "unexpected answer from the host" in str(caught.value) and "show dynamicport tcp" in str(caught.value)


@pytest.mark.parametrize("tcpip, reason", [
    (samples.reg_query_text(samples.TCPIP_KEY_LONG, [("MaxUserPort", "REG_SZ", "65534")]), "MaxUserPort is a REG_SZ, not a REG_DWORD"),
    (samples.reg_query_text(samples.TCPIP_KEY_LONG, [("TcpTimedWaitDelay", "REG_DWORD", "30")]), "not 0x<hex>"),
])
def test_tracked_values_of_the_wrong_shape_are_refused(tcpip, reason):
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    with pytest.raises(RemoteError, match=reason):
        parse_snapshot(request, outputs_for(request, [samples.os_build_text(samples.BUILD_2022), tcpip, samples.DYNAMIC_TCP]))


@pytest.mark.parametrize("build_text", [
    samples.reg_query_text(samples.OS_VERSION_KEY_LONG, [("CurrentBuildNumber", "REG_SZ", "20348.1")]),
    samples.reg_query_text(samples.OS_VERSION_KEY_LONG, [("CurrentBuild", "REG_SZ", "20348")]),
])
def test_missing_or_non_numeric_build_is_refused(build_text):
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    with pytest.raises(RemoteError, match="no numeric CurrentBuildNumber"):
        parse_snapshot(request, outputs_for(request, [build_text, NO_TRACKED_VALUES, samples.DYNAMIC_TCP]))


def test_exclusion_to_dict_and_combo_key():
    assert Exclusion(PortRange(50000, 60), True).to_dict() == {"start": 50000, "end": 50059, "count": 60, "administered": True}
    assert combo_key(("ipv6", "udp")) == "ipv6_udp"


def test_read_snapshot_is_one_execution_of_read_only_commands():
    host = FakeHost(registry={"TcpTimedWaitDelay": 30}, exclusions={c: [(50000, 50059, True)] for c in ALL_COMBOS})
    snap = converge.read_snapshot(host.execute, SnapshotRequest(netstat=True))
    assert len(host.executions) == 1 and host.writes == []
    assert snap.registry == {"TcpTimedWaitDelay": 30}
    assert snap.exclusions[("ipv6", "udp")] == (Exclusion(PortRange(50000, 60), True),)


# The fake host answers with the renderers below: they must reproduce the FACTS literals byte for byte.
@pytest.mark.parametrize("rendered, literal", [
    (samples.dynamic_port_text("tcp", 49152, 16384), samples.DYNAMIC_TCP),
    (samples.dynamic_port_text("udp", 49152, 16384), samples.DYNAMIC_UDP),
    (samples.dynamic_port_text("tcp", 1024, 64511), samples.DYNAMIC_TCP_WIDENED),
    (samples.dynamic_port_text("tcp", 49152, 16384, "fr-FR"), samples.DYNAMIC_TCP_FR),
    (samples.exclusion_table_text("tcp", samples.EXCLUDED_TCP_ROWS), samples.EXCLUDED_TCP),
    (samples.exclusion_table_text("tcp", samples.EXCLUDED_TCP_ADMINISTERED_ROWS), samples.EXCLUDED_TCP_ADMINISTERED),
    (samples.exclusion_table_text("tcp", samples.EXCLUDED_TCP_DE_ROWS, "de-DE"), samples.EXCLUDED_TCP_DE),
    (samples.exclusion_table_text("tcp", samples.EXCLUDED_TCP_ZH_ROWS, "zh-CN"), samples.EXCLUDED_TCP_ZH),
    (samples.reg_query_text(samples.TCPIP_KEY_LONG, [("MaxUserPort", "REG_DWORD", hex(65534))]), samples.REG_MAX_USER_PORT),
    (samples.reg_query_text(samples.TCPIP_KEY_LONG, [("TcpTimedWaitDelay", "REG_DWORD", hex(30))]), samples.REG_TIMED_WAIT_DELAY),
    (samples.netstat_text(samples.NETSTAT_ROWS), samples.NETSTAT),
], ids=lambda value: value[:20] if isinstance(value, str) else None)
def test_fake_host_renderers_reproduce_the_facts_samples(rendered, literal):
    assert rendered == literal


def test_commands_module_is_what_the_read_uses():
    # A guard for the fake host: the read uses the same builders the write batch verifies with.
    assert snapshot_commands(SnapshotRequest(combos=(("ipv4", "udp"),), exclusions=True))[-1] == commands.show_excluded_ranges("ipv4", "udp")
    assert combo_key(ALL_COMBOS[0]) == "ipv4_tcp"
