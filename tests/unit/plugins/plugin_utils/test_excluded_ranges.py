# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""excluded_ranges: validation, the plan (administered rows only, WinNAT rows never touched) and the full flow."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import excluded_ranges
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.converge import ConvergeFailed, WriteOutcomeUnknown, converge
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import ALL_COMBOS, Exclusion, HostSnapshot
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import parse_netstat
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.remote import TransportError
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost

DEFAULT_ARGS = {"ranges": [], "state": "present", "purge": False, "protocols": ["tcp"], "ip_versions": ["ipv4"],
                "store": "persistent", "winnat_restart": False}
ADD = "netsh int ipv4 add excludedportrange protocol=tcp startport={} numberofports={} store=persistent"
DELETE = "netsh int ipv4 delete excludedportrange protocol=tcp startport={} numberofports={} store=persistent"


def request(**args):
    return excluded_ranges.request_from_args({**DEFAULT_ARGS, **args})


def snapshot(rows=(), build=samples.BUILD_2022, connections=None):
    exclusions = {c: tuple(Exclusion(PortRange.from_bounds(s, e), a) for s, e, a in rows) for c in ALL_COMBOS}
    return HostSnapshot(build, {c: PortRange(49152, 16384) for c in ALL_COMBOS}, exclusions, {}, connections)


def run(host, check_mode=False, **args):
    req = request(**args)
    return converge(host.execute, req.snapshot_request(), lambda s: excluded_ranges.plan(req, s),
                    lambda s: excluded_ranges.observe(req, s), check_mode)


@pytest.mark.parametrize("ranges, option, value, expectation", [
    ([{"start": 0, "count": 1}], "ranges[0]", None, "within 1-65535 (this range is 0-0)"),
    ([{"start": 65535, "count": 2}], "ranges[0]", None, "within 1-65535 (this range is 65535-65536)"),
    ([{"start": 70000, "end": 70001}], "ranges[0]", None, "within 1-65535 (this range is 70000-70001)"),
    ([{"start": -1, "end": 5}], "ranges[0]", None, "within 1-65535 (this range is -1-5)"),
    ([{"start": 5022, "count": 0}], "ranges[0].count", "0", "at least 1 port"),
    ([{"start": 5022, "end": 5000}], "ranges[0].end", "5000", "must not be below start (5022)"),
    ([{"start": 5022}], "ranges[0]", None, "exactly one of count (the number of ports) and end (the last port); neither was given"),
    ([{"start": 5022, "count": 1, "end": 5022}], "ranges[0]", None, "exactly one of count (the number of ports) and end (the last port); both"),
    ([{"count": 1}], "ranges[0].start is missing", None, "each range needs start"),
    ([{"start": "port", "count": 1}], "ranges[0].start", '"port"', "ports 1-65535"),
    ([{"start": True, "count": 1}], "ranges[0].start", "true", "ports 1-65535"),
    ([{"start": 5022, "count": 1}, {"start": 5000, "end": 5022}], "ranges", None,
     "5022-5022 (1 ports) and 5000-5022 (23 ports) overlap; listed ranges must not overlap"),
    ([], "ranges", "[]", "purge=true"),
])
def test_bad_ranges_name_the_item_the_value_and_the_valid_range(ranges, option, value, expectation):
    with pytest.raises(TcpipValueError) as caught:
        request(ranges=ranges)
    message = str(caught.value)
    assert message.startswith(f"{option}={value} is not valid" if value is not None else option)
    assert "None" not in message and "{'" not in message  # never a Python value
    assert expectation in str(caught.value)


def test_purge_with_state_absent_is_refused():
    with pytest.raises(TcpipValueError, match="purge=true is not valid: purge only applies to state=present"):
        request(ranges=[{"start": 5022, "count": 1}], state="absent", purge=True)


def test_request_shape():
    req = request(ranges=[{"start": 5022, "count": 1}, {"start": "50000", "end": "50059"}], ip_versions=["ipv4", "ipv6", "ipv4"])
    assert req.ranges == (PortRange(5022, 1), PortRange(50000, 60))
    assert req.combos == (("ipv4", "tcp"), ("ipv6", "tcp"))
    assert req.snapshot_request().netstat is True
    assert request(ranges=[{"start": 5022, "count": 1}], state="absent").snapshot_request().netstat is False
    assert request(purge=True).ranges == ()


def test_plan_adds_the_missing_and_reports_system_rows():
    plan = excluded_ranges.plan(request(ranges=[{"start": 5022, "count": 1}]), snapshot(samples.EXCLUDED_TCP_ROWS))
    assert [str(c) for c in plan.commands] == [ADD.format(5022, 1)]
    assert plan.before == {"ipv4_tcp": []} and plan.after == {"ipv4_tcp": [{"start": 5022, "end": 5022, "count": 1}]}
    warnings, extra = plan.report()
    assert extra["system_reservations"]["ipv4_tcp"][-1] == {"start": 56738, "end": 56837, "count": 100}
    assert len(extra["system_reservations"]["ipv4_tcp"]) == 5
    assert any("Hyper-V/WinNAT reservation" in w for w in warnings)


def test_plan_is_empty_when_the_administered_row_is_there():
    plan = excluded_ranges.plan(request(ranges=[{"start": 55679, "end": 55679}]), snapshot(samples.EXCLUDED_TCP_ADMINISTERED_ROWS))
    assert plan.commands == [] and plan.before == plan.after == {"ipv4_tcp": [{"start": 55679, "end": 55679, "count": 1}]}


def test_a_listed_block_is_matched_exactly_and_a_different_overlapping_one_is_refused():
    with pytest.raises(TcpipValueError) as caught:
        excluded_ranges.plan(request(ranges=[{"start": 50000, "count": 100}]), snapshot(samples.EXCLUDED_TCP_DE_ROWS))
    assert "overlaps the administered exclusion 50000-50059 (60 ports)" in str(caught.value) and "purge=true" in str(caught.value)


def test_purge_replaces_the_administered_set_and_removes_first():
    rows = samples.EXCLUDED_TCP_DE_ROWS + [(60000, 60000, True)]
    plan = excluded_ranges.plan(request(ranges=[{"start": 50000, "count": 100}], purge=True), snapshot(rows))
    assert [str(c) for c in plan.commands] == [DELETE.format(50000, 60), DELETE.format(60000, 1), ADD.format(50000, 100)]
    assert plan.after == {"ipv4_tcp": [{"start": 50000, "end": 50099, "count": 100}]}


def test_purge_with_no_ranges_removes_every_administered_row_and_no_system_row():
    plan = excluded_ranges.plan(request(purge=True), snapshot(samples.EXCLUDED_TCP_ZH_ROWS))
    assert [str(c) for c in plan.commands] == [DELETE.format(50000, 60)]


def test_absent_removes_only_what_is_there():
    plan = excluded_ranges.plan(request(ranges=[{"start": 50000, "count": 60}, {"start": 5022, "count": 1}], state="absent"),
                                snapshot(samples.EXCLUDED_TCP_DE_ROWS))
    assert [str(c) for c in plan.commands] == [DELETE.format(50000, 60)]
    assert plan.after == {"ipv4_tcp": []}


@pytest.mark.parametrize("wanted", [{"start": 49711, "end": 49810}, {"start": 49700, "count": 20}])
def test_absent_never_touches_a_system_reservation(wanted):
    with pytest.raises(TcpipValueError, match="Hyper-V/WinNAT or system reservation"):
        excluded_ranges.plan(request(ranges=[wanted], state="absent"), snapshot(samples.EXCLUDED_TCP_DE_ROWS))


def test_adding_over_an_http_sys_registration_is_refused_even_with_winnat_restart():
    with pytest.raises(TcpipValueError, match="HTTP.sys/WinRM URL registration"):
        excluded_ranges.plan(request(ranges=[{"start": 5980, "end": 5990}], winnat_restart=True), snapshot(samples.EXCLUDED_TCP_ROWS))


def test_adding_over_a_winnat_block_needs_winnat_restart():
    req = request(ranges=[{"start": 56700, "count": 10}])
    with pytest.raises(TcpipValueError) as caught:
        excluded_ranges.plan(req, snapshot(samples.EXCLUDED_TCP_ROWS))
    assert "ipv4_tcp 56700-56709 (10 ports) overlaps 56638-56737 (100 ports)" in str(caught.value)
    assert "winnat_restart=true" in str(caught.value)
    plan = excluded_ranges.plan(request(ranges=[{"start": 56700, "count": 10}], winnat_restart=True), snapshot(samples.EXCLUDED_TCP_ROWS))
    assert [str(c) for c in plan.commands] == ["net stop winnat", ADD.format(56700, 10), "net start winnat"]


def test_ports_in_use_refuse_the_whole_task_when_planning():
    rows = [("TCP", "0.0.0.0:5022", "0.0.0.0:0", "LISTENING", "4"), ("TCP", "[::]:5022", "[::]:0", "LISTENING", "4")]
    connections = tuple(parse_netstat(samples.netstat_text(rows)))
    with pytest.raises(TcpipValueError, match=r"ports to exclude are in use on the host \(ipv4_tcp: 5022\)"):
        excluded_ranges.plan(request(ranges=[{"start": 5022, "count": 1}]), snapshot(connections=connections))
    # Already excluded where the port is in use: nothing to add there, so nothing to refuse.
    plan = excluded_ranges.plan(request(ranges=[{"start": 5022, "count": 1}], state="absent"), snapshot(connections=connections))
    assert plan.commands == [] and plan.extra["ports_in_use"] == {}


def test_legacy_host_is_refused():
    with pytest.raises(TcpipValueError, match="no netsh excluded port ranges"):
        excluded_ranges.plan(request(ranges=[{"start": 5022, "count": 1}]), snapshot(build=samples.BUILD_2003))


# --- the whole flow against the fake host (localized tables included) ----------------------------------------------

@pytest.mark.parametrize("locale", ["en-US", "de-DE", "zh-CN"])
def test_add_then_idempotent_on_localized_hosts(locale):
    host = FakeHost(exclusion_locale=locale, exclusions={c: list(samples.EXCLUDED_TCP_DE_ROWS) for c in ALL_COMBOS})
    args = {"ranges": [{"start": 5022, "count": 1}, {"start": 50000, "end": 50059}], "ip_versions": ["ipv4", "ipv6"]}
    first = run(host, **args)
    assert first["changed"] is True and len(host.executions) == 2
    assert host.writes == [ADD.format(5022, 1), ADD.format(5022, 1).replace("ipv4", "ipv6")]
    assert first["after"]["ipv6_tcp"] == [{"start": 5022, "end": 5022, "count": 1}, {"start": 50000, "end": 50059, "count": 60}]
    second = run(host, **args)
    assert second["changed"] is False and len(host.executions) == 3


def test_a_port_in_use_is_refused_after_one_read_and_no_write():
    host = FakeHost(connections=[("TCP", "0.0.0.0:5022", "0.0.0.0:0", "LISTENING", "2288")])
    with pytest.raises(TcpipValueError, match="ipv4_tcp: 5022"):
        run(host, ranges=[{"start": 5022, "count": 1}])
    assert len(host.executions) == 1 and host.writes == []


def test_a_port_the_host_still_refuses_says_why():
    host = FakeHost(refusals=[("startport=5022", 1, samples.PORT_IN_USE)])
    with pytest.raises(ConvergeFailed) as caught:
        run(host, ranges=[{"start": 5022, "count": 1}], ip_versions=["ipv4"])
    message = str(caught.value)
    assert "changed: nothing" in message
    assert f"refused: '{ADD.format(5022, 1)}' exited 1: The process cannot access the file because it is being used by another process." in message
    assert "Windows refuses to exclude a port that is in use" in message
    assert caught.value.result["changed"] is False and host.writes == []


def test_winnat_restart_wraps_the_add_and_winnat_is_running_again():
    host = FakeHost(exclusions={**{c: [] for c in ALL_COMBOS}, ("ipv4", "tcp"): list(samples.EXCLUDED_TCP_ROWS)})
    result = run(host, ranges=[{"start": 56700, "count": 10}], winnat_restart=True)
    assert host.writes == ["net stop winnat", ADD.format(56700, 10), "net start winnat"]
    assert result["after"] == {"ipv4_tcp": [{"start": 56700, "end": 56709, "count": 10}]}
    assert host.winnat_running
    assert (56700, 56709, True) in host.exclusions[("ipv4", "tcp")]


# --- what the result says about the host after a winnat restart -----------------------------------------------------
# Stopping winnat removes every WinNAT block and starting it again does not re-create them (opentelemetry-collector
# PR #10839's CI log): the result must describe the tables the host has after the change, not the ones read before it.

HTTP_SYS_ROWS = [{"start": 80, "end": 80, "count": 1}, {"start": 5986, "end": 5986, "count": 1}, {"start": 47001, "end": 47001, "count": 1}]
IN_BLOCK = {"start": 56700, "count": 10}
ADD6 = ADD.replace("ipv4", "ipv6")


def winnat_host(**kwargs):
    """The runner of docs/windows-facts.md §3.2 (HTTP.sys/WinRM rows, WinNAT blocks 56638-56737 and 56738-56837), the blocks in its
    IPv6 TCP table too, as WinNAT reserves them for both IP versions."""
    blocks = [row for row in samples.EXCLUDED_TCP_ROWS if row[1] - row[0] + 1 >= 100]
    tables = {**{c: [] for c in ALL_COMBOS}, ("ipv4", "tcp"): list(samples.EXCLUDED_TCP_ROWS), ("ipv6", "tcp"): list(blocks)}
    return FakeHost(exclusions=tables, **kwargs)


def test_after_a_winnat_restart_the_result_reports_the_tables_the_host_has_now():
    host = winnat_host()
    result = run(host, ranges=[IN_BLOCK], ip_versions=["ipv4", "ipv6"], winnat_restart=True)
    assert host.writes == ["net stop winnat", ADD.format(56700, 10), ADD6.format(56700, 10), "net start winnat"]
    assert host.exclusions[("ipv6", "tcp")] == [(56700, 56709, True)]  # the blocks are gone from the host
    assert result["system_reservations"] == {"ipv4_tcp": HTTP_SYS_ROWS, "ipv6_tcp": []}
    assert not any("Hyper-V/WinNAT reservation" in w for w in result["warnings"]), result["warnings"]
    # What the restart cost beyond the overlapping block is said, with the count the first read showed.
    assert any("restarting winnat removes all" in w and "WinNAT port block(s) of this host" in w for w in result["warnings"]), result["warnings"]


def test_without_a_winnat_restart_the_blocks_stay_and_are_still_reported():
    host = winnat_host()
    result = run(host, ranges=[{"start": 50000, "count": 10}])
    assert host.writes == [ADD.format(50000, 10)]
    assert [row["start"] for row in result["system_reservations"]["ipv4_tcp"]] == [80, 5986, 47001, 56638, 56738]
    assert any("ipv4_tcp: 2 Hyper-V/WinNAT reservation(s) (200 ports)" in w for w in result["warnings"])


def test_check_mode_with_winnat_restart_reports_the_tables_the_change_would_leave():
    host = winnat_host()
    result = run(host, check_mode=True, ranges=[IN_BLOCK], ip_versions=["ipv4", "ipv6"], winnat_restart=True)
    assert host.writes == [] and len(host.executions) == 1
    assert result["system_reservations"] == {"ipv4_tcp": HTTP_SYS_ROWS, "ipv6_tcp": []}
    assert not any("Hyper-V/WinNAT reservation" in w for w in result["warnings"]), result["warnings"]


def test_a_refused_add_between_stop_and_start_reports_the_blocks_the_stop_removed():
    host = winnat_host(refusals=[("startport=56700", 1, samples.PORT_IN_USE)])
    with pytest.raises(ConvergeFailed) as caught:
        run(host, ranges=[IN_BLOCK], winnat_restart=True)
    assert host.writes == ["net stop winnat", "net start winnat"]
    result = caught.value.result
    assert result["applied"] == [] and result["not_applied"] == ["ipv4_tcp"]
    assert result["system_reservations"] == {"ipv4_tcp": HTTP_SYS_ROWS}
    assert not any("Hyper-V/WinNAT reservation" in w for w in result["warnings"]), result["warnings"]


class LostAnswer:
    """The host runs execution ``cut`` and its answer is lost; executions after ``down_after`` never reach the host."""

    def __init__(self, host, cut=2, down_after=None):
        self.host, self.cut, self.down_after, self.calls = host, cut, down_after, 0

    def execute(self, script):
        self.calls += 1
        if self.down_after is not None and self.calls > self.down_after:
            raise TransportError("connection refused", unreachable=True)
        answer = self.host.execute(script)
        if self.calls == self.cut:
            raise TransportError("Connection aborted: RemoteDisconnected", unreachable=True)
        return answer


def run_lost(link, **args):
    req = request(**args)
    return converge(link.execute, req.snapshot_request(), lambda s: excluded_ranges.plan(req, s),
                    lambda s: excluded_ranges.observe(req, s), False, reconnect=lambda: None)


def test_a_lost_write_batch_reports_the_tables_of_the_fresh_read():
    link = LostAnswer(winnat_host())
    with pytest.raises(ConvergeFailed) as caught:
        run_lost(link, ranges=[IN_BLOCK], winnat_restart=True)
    assert link.calls == 3 and "A fresh read shows these changed: ipv4_tcp" in str(caught.value)
    assert caught.value.result["system_reservations"] == {"ipv4_tcp": HTTP_SYS_ROWS}
    assert not any("Hyper-V/WinNAT reservation" in w for w in caught.value.result["warnings"])


def test_when_the_host_cannot_be_read_back_the_tables_are_unknown_not_the_old_ones():
    link = LostAnswer(winnat_host(), down_after=2)
    with pytest.raises(WriteOutcomeUnknown) as caught:
        run_lost(link, ranges=[IN_BLOCK], winnat_restart=True)
    result = caught.value.result
    assert result["after"] is None and result["system_reservations"] is None
    # Only the plan's own warning (what the winnat restart costs) remains; what the first read found in use still stands.
    assert [w for w in result["warnings"] if "restarting winnat removes all 2 WinNAT port block(s)" not in w] == []
    assert len(result["warnings"]) == 1 and result["ports_in_use"] == {}


def test_check_mode_with_purge_writes_nothing():
    host = FakeHost(exclusions={c: [(50000, 50059, True)] for c in ALL_COMBOS})
    result = run(host, check_mode=True, purge=True)
    assert result["changed"] is True and result["after"] == {"ipv4_tcp": []} and result["before"]["ipv4_tcp"][0]["start"] == 50000
    assert len(host.executions) == 1 and host.writes == []


def test_warnings_weigh_the_exclusions_the_task_leaves_behind():
    warnings = excluded_ranges.plan(request(ranges=[{"start": 50000, "count": 5000}]), snapshot()).report()[0]
    assert [w for w in warnings if "excluded ranges take" in w] == [
        "ipv4_tcp: excluded ranges take 5000 of the 16384 ports of the dynamic range 49152-65535 (16384 ports)."]
    # Purging a large administered block clears the warning in the same run; system rows still count.
    warnings = excluded_ranges.plan(request(purge=True), snapshot([(50000, 54999, True)] + samples.EXCLUDED_TCP_ROWS)).report()[0]
    assert not any(w.startswith("ipv4_tcp: excluded ranges take") for w in warnings)
    assert any("Hyper-V/WinNAT reservation" in w for w in warnings)
