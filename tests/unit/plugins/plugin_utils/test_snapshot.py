# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""snapshot: which commands a read sends, and parse_snapshot on byte-exact docs/windows-facts.md and localized outputs."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import ALL_COMBOS, Exclusion, combo_key
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import commands
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.reader import SnapshotRequest, parse_snapshot, read_host, snapshot_commands
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.remote import CommandOutput, RemoteError
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost

TRACKED = [("MaxUserPort", "REG_DWORD", "0xfffe"), ("TcpTimedWaitDelay", "REG_DWORD", "0x1e")]


class Host:  # pylint: disable=too-few-public-methods
    """The first five reads of every snapshot: the build, the token's groups, the Tcpip\\Parameters listing, and each
    tracked value by name (exit 1 and reg's error when it does not exist)."""

    def __init__(self, values=(), build=samples.BUILD_2022, elevated=True, build_text=None):
        listing = samples.reg_query_text(samples.TCPIP_KEY_LONG, [("Hostname", "REG_SZ", "WEB01")] + list(values), ("Adapters",))
        by_name = {name.casefold(): row for row in values for name in [row[0]]}
        self.head = [(0, build_text or samples.os_build_text(build)), (0, samples.whoami_groups_text(elevated)), (0, listing)]
        for name in ("MaxUserPort", "TcpTimedWaitDelay"):
            row = by_name.get(name.casefold())
            self.head.append((0, samples.reg_query_text(samples.TCPIP_KEY_LONG, [row])) if row else (1, samples.REG_NOT_FOUND))


def outputs_for(request, texts, exit_codes=None, host=None):
    """Pair the request's commands with the five header reads and then ``texts`` (same order), as run_batch would."""
    host = host or Host()
    cmds = snapshot_commands(request)
    assert len(cmds) == len(texts) + len(host.head)
    exit_codes = [code for code, _text in host.head] + list(exit_codes or [0] * len(texts))
    texts = [text for _code, text in host.head] + list(texts)
    return [CommandOutput(c, code, text) for c, code, text in zip(cmds, exit_codes, texts)]


def default_texts(dynamic=None, excluded=None):
    dynamic = dynamic or [samples.DYNAMIC_TCP, samples.DYNAMIC_UDP, samples.DYNAMIC_TCP, samples.DYNAMIC_UDP]
    excluded = excluded or [samples.EXCLUDED_TCP, samples.exclusion_table_text("udp", []), samples.EXCLUDED_TCP_ADMINISTERED,
                            samples.exclusion_table_text("udp", [])]
    return dynamic + excluded


def test_default_request_reads_everything_but_connections_in_a_fixed_order():
    lines = [str(c) for c in snapshot_commands(SnapshotRequest())]
    assert lines == [
        'reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion" /v CurrentBuildNumber',
        "whoami /groups /fo csv /nh",
        "reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters",
        "reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v MaxUserPort",
        "reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v TcpTimedWaitDelay",
        "netsh int ipv4 show dynamicport tcp", "netsh int ipv4 show dynamicport udp",
        "netsh int ipv6 show dynamicport tcp", "netsh int ipv6 show dynamicport udp",
        "netsh int ipv4 show excludedportrange protocol=tcp", "netsh int ipv4 show excludedportrange protocol=udp",
        "netsh int ipv6 show excludedportrange protocol=tcp", "netsh int ipv6 show excludedportrange protocol=udp",
    ]
    assert not any(c.writes for c in snapshot_commands(SnapshotRequest(netstat=True)))


def test_narrow_request_and_verification_drop_what_is_not_needed():
    request = SnapshotRequest(combos=(("ipv6", "udp"),), exclusions=False, netstat=True)
    assert [str(c) for c in snapshot_commands(request)][5:] == ["netsh int ipv6 show dynamicport udp", "netstat -ano"]
    verify = request.verification()
    assert verify.netstat is False and verify.combos == request.combos and verify.exclusions is False


def test_facts_samples_parse_into_a_snapshot():
    request = SnapshotRequest(netstat=True)
    texts = default_texts() + [samples.NETSTAT]
    snap = parse_snapshot(request, outputs_for(request, texts, host=Host(TRACKED)))
    assert snap.os_build == samples.BUILD_2022 and snap.has_dynamicport and snap.elevated is True
    assert snap.ranges == {combo: PortRange(49152, 16384) for combo in ALL_COMBOS}
    assert snap.registry == {"MaxUserPort": 65534, "TcpTimedWaitDelay": 30}
    assert [(e.range.start, e.range.end, e.administered) for e in snap.exclusions[("ipv4", "tcp")]] == samples.EXCLUDED_TCP_ROWS
    assert [(e.range.start, e.range.end, e.administered) for e in snap.exclusions[("ipv6", "tcp")]] == samples.EXCLUDED_TCP_ADMINISTERED_ROWS
    assert snap.exclusions[("ipv4", "udp")] == ()
    assert [(c.protocol, c.local_port, c.is_listener, c.ip_version) for c in snap.connections] == [
        ("TCP", 135, True, 4), ("TCP", 52346, False, 4), ("TCP", 135, True, 6), ("UDP", 5353, True, 4)]


def test_widened_range_below_the_settable_minimum_is_read_as_reported():
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    snap = parse_snapshot(request, outputs_for(request, [samples.DYNAMIC_TCP_WIDENED], host=Host(TRACKED[:1])))
    assert snap.ranges == {("ipv4", "tcp"): PortRange(1024, 64511)}
    assert snap.registry == {"MaxUserPort": 65534}


def test_absent_values_are_missing_not_none():
    request = SnapshotRequest(exclusions=False, combos=(("ipv4", "tcp"),))
    snap = parse_snapshot(request, outputs_for(request, [samples.DYNAMIC_TCP]))
    assert snap.registry == {} and snap.registry_values == {}
    assert snap.connections is None and snap.exclusions == {}


def test_registry_names_are_matched_case_insensitively_and_reported_by_our_spelling():
    request = SnapshotRequest(exclusions=False, combos=(("ipv4", "tcp"),))
    snap = parse_snapshot(request, outputs_for(request, [samples.DYNAMIC_TCP], host=Host([("maxuserport", "REG_DWORD", "0x1388")])))
    assert snap.registry == {"MaxUserPort": 5000}


@pytest.mark.parametrize("dynamic, excluded, rows", [
    ([samples.DYNAMIC_TCP_FR], [samples.EXCLUDED_TCP_DE], samples.EXCLUDED_TCP_DE_ROWS),
    ([samples.dynamic_port_text("tcp", 10000, 55536, "zh-CN")], [samples.EXCLUDED_TCP_ZH], samples.EXCLUDED_TCP_ZH_ROWS),
], ids=["french-range-german-exclusions", "chinese"])
def test_localized_outputs_give_the_same_snapshot(dynamic, excluded, rows):
    request = SnapshotRequest(combos=(("ipv4", "tcp"),))
    snap = parse_snapshot(request, outputs_for(request, dynamic + excluded))
    expected_range = PortRange(49152, 16384) if dynamic[0] is samples.DYNAMIC_TCP_FR else PortRange(10000, 55536)
    assert snap.ranges == {("ipv4", "tcp"): expected_range}
    assert [(e.range.start, e.range.end, e.administered) for e in snap.exclusions[("ipv4", "tcp")]] == rows


def test_legacy_host_has_no_ranges_and_its_netsh_errors_are_not_read():
    request = SnapshotRequest()
    not_found = "The following command was not found: int ipv4 show dynamicport tcp.\r\n"
    host = Host(TRACKED[:1], build=samples.BUILD_2003)
    host.head[1] = (1, "'whoami' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n")
    snap = parse_snapshot(request, outputs_for(request, [not_found] * 8, [1] * 8, host=host))
    assert not snap.has_dynamicport and snap.elevated is None
    assert snap.ranges == {} and snap.exclusions == {}
    assert snap.registry == {"MaxUserPort": 65534}


def test_a_failed_read_names_the_command_its_exit_code_and_what_the_host_said():
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    with pytest.raises(RemoteError) as caught:
        parse_snapshot(request, outputs_for(request, [samples.NETSH_ELEVATION], [1]))
    message = str(caught.value)
    assert "'netsh int ipv4 show dynamicport tcp' exited 1" in message
    assert "requires elevation" in message and "a read command failed" in message
    assert caught.value.rc == 1


def test_garbage_output_is_a_remote_error_with_the_parse_reason():
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    with pytest.raises(RemoteError) as caught:
        parse_snapshot(request, outputs_for(request, ["Ok.\r\n\r\n"]))
    assert "unexpected answer from the host" in str(caught.value) and "show dynamicport tcp" in str(caught.value)


@pytest.mark.parametrize("row", [("MaxUserPort", "REG_SZ", "65534"), ("MaxUserPort", "REG_QWORD", "0xfffe"),
                                 ("MaxUserPort", "REG_DWORD_BIG_ENDIAN", "0xfffe0000"), ("TcpTimedWaitDelay", "REG_MULTI_SZ", "30\\060")])
def test_tracked_values_of_another_type_are_kept_but_not_in_effect(row):
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    snap = parse_snapshot(request, outputs_for(request, [samples.DYNAMIC_TCP], host=Host([row])))
    assert snap.registry == {}
    assert snap.registry_values[row[0]].type == row[1] and list(snap.ignored_registry_values) == [row[0]]


def test_another_values_data_shaped_like_a_row_is_never_taken_for_a_tracked_value():
    # A REG_SZ whose data holds a line break and a forged MaxUserPort row: the listing shows the forged row, but values
    # are only read by name, and reg finds no MaxUserPort: absent.
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    forged = ("Hostname", "REG_SZ", "WEB01\r\n    MaxUserPort    REG_DWORD    0x1388")
    host = Host([forged])
    snap = parse_snapshot(request, outputs_for(request, [samples.DYNAMIC_TCP], host=host))
    assert snap.registry == {} and snap.registry_values == {}


def test_a_tracked_value_whose_own_data_runs_over_lines_keeps_its_first_line():
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    host = Host([("MaxUserPort", "REG_SZ", "65534\r\n    TcpTimedWaitDelay    REG_DWORD    0x1e")])
    host.head[4] = (1, samples.REG_NOT_FOUND)  # reg finds no TcpTimedWaitDelay by name: the row above is data
    snap = parse_snapshot(request, outputs_for(request, [samples.DYNAMIC_TCP], host=host))
    assert snap.registry_values["MaxUserPort"].value == "65534" and snap.registry == {}
    assert "TcpTimedWaitDelay" not in snap.registry_values


def test_an_unreadable_key_is_an_error_not_absent_values():
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    host = Host()
    host.head[2] = (1, samples.REG_ACCESS_DENIED)
    with pytest.raises(RemoteError, match="reading the Tcpip"):
        parse_snapshot(request, outputs_for(request, [samples.DYNAMIC_TCP], host=host))


def test_a_dword_with_data_reg_would_not_print_is_refused():
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    with pytest.raises(RemoteError, match="not 0x<hex>"):
        parse_snapshot(request, outputs_for(request, [samples.DYNAMIC_TCP], host=Host([("TcpTimedWaitDelay", "REG_DWORD", "30")])))


@pytest.mark.parametrize("elevated", [True, False])
def test_elevation_comes_from_the_integrity_sid_not_from_words(elevated):
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    host = Host(elevated=elevated)
    # A German token: group names and attributes are translated, the SIDs are not.
    host.head[1] = (0, host.head[1][1].replace("Mandatory Label", "Verbindliche Beschriftung").replace("Everyone", "Jeder"))
    snap = parse_snapshot(request, outputs_for(request, [samples.DYNAMIC_TCP], host=host))
    assert snap.elevated is elevated


def test_the_persistent_store_is_read_when_asked():
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), persistent=True)
    lines = [str(c) for c in snapshot_commands(request)][5:]
    assert lines == ["netsh int ipv4 show dynamicport tcp", "netsh int ipv4 show dynamicport tcp store=persistent",
                     "netsh int ipv4 show excludedportrange protocol=tcp", "netsh int ipv4 show excludedportrange protocol=tcp store=persistent"]
    texts = [samples.DYNAMIC_TCP_WIDENED, samples.DYNAMIC_TCP, samples.EXCLUDED_TCP_ADMINISTERED, samples.EXCLUDED_TCP]
    snap = parse_snapshot(request, outputs_for(request, texts))
    assert snap.ranges == {("ipv4", "tcp"): PortRange(1024, 64511)} and snap.persistent_ranges == {("ipv4", "tcp"): PortRange(49152, 16384)}
    assert len(snap.exclusions[("ipv4", "tcp")]) == 4 and len(snap.persistent_exclusions[("ipv4", "tcp")]) == 5


@pytest.mark.parametrize("build_text", [
    samples.reg_query_text(samples.OS_VERSION_KEY_LONG, [("CurrentBuildNumber", "REG_SZ", "20348.1")]),
    samples.reg_query_text(samples.OS_VERSION_KEY_LONG, [("CurrentBuild", "REG_SZ", "20348")]),
])
def test_missing_or_non_numeric_build_is_refused(build_text):
    request = SnapshotRequest(combos=(("ipv4", "tcp"),), exclusions=False)
    with pytest.raises(RemoteError, match="no numeric CurrentBuildNumber"):
        parse_snapshot(request, outputs_for(request, [samples.DYNAMIC_TCP], host=Host(build_text=build_text)))


def test_exclusion_to_dict_and_combo_key():
    assert Exclusion(PortRange(50000, 60), True).to_dict() == {"start": 50000, "end": 50059, "count": 60, "administered": True}
    assert combo_key(("ipv6", "udp")) == "ipv6_udp"


def test_read_host_is_one_execution_of_read_only_commands():
    host = FakeHost(registry={"TcpTimedWaitDelay": 30}, exclusions={c: [(50000, 50059, True)] for c in ALL_COMBOS})
    read = read_host(host.execute, SnapshotRequest(netstat=True))
    snap = read.snapshot
    assert len(host.executions) == 1 and host.writes == [] and read.executions == 1
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
