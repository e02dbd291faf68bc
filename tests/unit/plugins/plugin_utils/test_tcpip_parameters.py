# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tcpip_parameters: MaxUserPort / TcpTimedWaitDelay validation, the plan, reboot semantics and boot effect."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import tcpip_parameters
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.converge import converge
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import ALL_COMBOS, HostSnapshot
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost

DEFAULT = PortRange(49152, 16384)
REG_KEY = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"


def request(max_user_port=None, tcp_timed_wait_delay=None):
    return tcpip_parameters.request_from_args({"max_user_port": max_user_port, "tcp_timed_wait_delay": tcp_timed_wait_delay})


def snapshot(registry=None, build=samples.BUILD_2022, ranges=None):
    if ranges is None:
        ranges = {c: DEFAULT for c in ALL_COMBOS} if build >= 6000 else {}
    return HostSnapshot(build, ranges, {c: () for c in ranges}, registry or {})


@pytest.mark.parametrize("args, option, value, expectation", [
    ({"max_user_port": 4999}, "max_user_port", "4999", "valid values are 5000-65534, or 'absent'"),
    ({"max_user_port": 65535}, "max_user_port", "65535", "valid values are 5000-65534"),
    ({"max_user_port": -1}, "max_user_port", "-1", "valid values are 5000-65534"),
    ({"max_user_port": "lots"}, "max_user_port", '"lots"', "valid values are 5000-65534"),
    ({"max_user_port": True}, "max_user_port", "true", "valid values are 5000-65534"),
    ({"max_user_port": 6.5e4}, "max_user_port", "65000.0", "valid values are 5000-65534"),
    ({"tcp_timed_wait_delay": 1}, "tcp_timed_wait_delay", "1", "valid values are 2-300"),
    ({"tcp_timed_wait_delay": 301}, "tcp_timed_wait_delay", "301", "valid values are 2-300"),
    ({"tcp_timed_wait_delay": "0x1e"}, "tcp_timed_wait_delay", '"0x1e"', "valid values are 2-300"),
    ({"tcp_timed_wait_delay": False}, "tcp_timed_wait_delay", "false", "valid values are 2-300"),
    ({}, "max_user_port/tcp_timed_wait_delay", None, "give at least one of them"),
])
def test_bad_input_names_the_option_the_value_and_the_valid_range(args, option, value, expectation):
    with pytest.raises(TcpipValueError) as caught:
        request(**args)
    # Values as the user wrote them (JSON), never Python's repr; a task-wide refusal names the options without a value.
    assert str(caught.value).startswith(f"{option}={value} is not valid" if value is not None else f"{option}: ")
    assert expectation in str(caught.value)


@pytest.mark.parametrize("args, expected", [
    ({"max_user_port": 5000}, {"MaxUserPort": 5000}),
    ({"max_user_port": "65534"}, {"MaxUserPort": 65534}),
    ({"max_user_port": " Absent "}, {"MaxUserPort": "absent"}),
    ({"tcp_timed_wait_delay": 2, "max_user_port": "absent"}, {"MaxUserPort": "absent", "TcpTimedWaitDelay": 2}),
    ({"tcp_timed_wait_delay": "300"}, {"TcpTimedWaitDelay": 300}),
])
def test_valid_requests(args, expected):
    assert request(**args).values == expected


@pytest.mark.parametrize("build, value, accepted", [
    (samples.BUILD_2012, 29, False), (samples.BUILD_2012, 30, True),
    (samples.BUILD_2012_R2, 2, True), (samples.BUILD_2022, 2, True), (samples.BUILD_2003, 20, False),
])
def test_timed_wait_delay_is_checked_against_the_host_build(build, value, accepted):
    req = request(tcp_timed_wait_delay=value)
    if accepted:
        assert tcpip_parameters.plan(req, snapshot(build=build)).after == {"TcpTimedWaitDelay": value}
        return
    with pytest.raises(TcpipValueError) as caught:
        tcpip_parameters.plan(req, snapshot(build=build))
    assert f"tcp_timed_wait_delay={value} is not valid: Windows build {build} accepts 30-300 seconds" in str(caught.value)


def test_a_host_build_refusal_costs_one_read_and_no_write():
    host = FakeHost(os_build=samples.BUILD_2012)
    req = request(tcp_timed_wait_delay=10)
    with pytest.raises(TcpipValueError):
        converge(host.execute, req.snapshot_request(), lambda s: tcpip_parameters.plan(req, s),
                 lambda s: tcpip_parameters.observe(req, s), False)
    assert len(host.executions) == 1 and host.writes == []


def test_plan_sets_removes_and_leaves_alone():
    snap = snapshot(registry={"MaxUserPort": 65534, "TcpTimedWaitDelay": 60})
    plan = tcpip_parameters.plan(request(max_user_port="absent", tcp_timed_wait_delay=30), snap)
    assert [str(c) for c in plan.commands] == [f"reg delete {REG_KEY} /v MaxUserPort /f",
                                               f"reg add {REG_KEY} /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f"]
    assert plan.before == {"MaxUserPort": 65534, "TcpTimedWaitDelay": 60}
    assert plan.after == {"MaxUserPort": None, "TcpTimedWaitDelay": 30}
    assert plan.reboot_required is True
    # Only named values are managed: TcpTimedWaitDelay is left alone when not given.
    assert tcpip_parameters.plan(request(max_user_port="absent"), snap).before == {"MaxUserPort": 65534}


@pytest.mark.parametrize("registry, args", [
    ({}, {"max_user_port": "absent", "tcp_timed_wait_delay": "absent"}),
    ({"MaxUserPort": 60000, "TcpTimedWaitDelay": 30}, {"max_user_port": 60000, "tcp_timed_wait_delay": "30"}),
])
def test_converged_values_plan_nothing_and_need_no_reboot(registry, args):
    plan = tcpip_parameters.plan(request(**args), snapshot(registry=registry))
    assert plan.commands == [] and plan.reboot_required is False and plan.before == plan.after


def test_max_user_port_present_warns_with_the_range_at_next_boot():
    plan = tcpip_parameters.plan(request(tcp_timed_wait_delay=30), snapshot(registry={"MaxUserPort": 65534}))
    warnings = [w for w in plan.warnings if "MaxUserPort" in w]
    assert len(warnings) == 1  # the generic finding is replaced by the module's own, not repeated
    assert "MaxUserPort=65534 is set: at the next boot Windows rewrites the TCP dynamic ranges to 1024-65534 (64511 ports)" in warnings[0]
    assert plan.extra["max_user_port_effect"] == {"tcp_range_at_boot": {"start": 1024, "count": 64511, "end": 65534},
                                                  "pending": True, "governs": "max_user_port"}


def test_setting_max_user_port_warns_about_the_value_being_set():
    plan = tcpip_parameters.plan(request(max_user_port=60000), snapshot())
    assert any("MaxUserPort=60000 is set" in w and "1024-60000 (58977 ports)" in w for w in plan.warnings)


def test_removing_max_user_port_gives_the_range_back_to_netsh():
    plan = tcpip_parameters.plan(request(max_user_port="absent"), snapshot(registry={"MaxUserPort": 65534}))
    assert plan.extra["max_user_port_effect"] == {"tcp_range_at_boot": None, "pending": False, "governs": "netsh"}
    assert not any("MaxUserPort=" in w for w in plan.warnings)


def test_max_user_port_already_in_effect_is_not_pending():
    ranges = {**{c: DEFAULT for c in ALL_COMBOS}, ("ipv4", "tcp"): PortRange(1024, 64511), ("ipv6", "tcp"): PortRange(1024, 64511)}
    plan = tcpip_parameters.plan(request(max_user_port=65534), snapshot(registry={"MaxUserPort": 65534}, ranges=ranges))
    assert plan.commands == [] and plan.extra["max_user_port_effect"]["pending"] is False


def test_legacy_host_max_user_port_is_the_range_knob():
    plan = tcpip_parameters.plan(request(max_user_port=65534), snapshot(build=samples.BUILD_2003))
    assert plan.extra["max_user_port_effect"] == {"tcp_range_at_boot": {"start": 1025, "count": 64510, "end": 65534},
                                                  "pending": None, "governs": "max_user_port"}
    assert any("Windows build 3790 has no netsh dynamic range" in w and "1025-65534" in w for w in plan.warnings)
    unset = tcpip_parameters.plan(request(max_user_port="absent"), snapshot(build=samples.BUILD_2003))
    assert unset.extra["max_user_port_effect"]["tcp_range_at_boot"] == {"start": 1025, "count": 3976, "end": 5000}


def test_observe_reports_only_the_named_values():
    req = request(tcp_timed_wait_delay=30)
    assert tcpip_parameters.observe(req, snapshot(registry={"MaxUserPort": 5000, "TcpTimedWaitDelay": 30})) == {"TcpTimedWaitDelay": 30}


def test_full_flow_writes_registry_values_and_verifies_them():
    host = FakeHost(registry={"MaxUserPort": 65534})
    req = request(max_user_port="absent", tcp_timed_wait_delay=30)
    result = converge(host.execute, req.snapshot_request(), lambda s: tcpip_parameters.plan(req, s),
                      lambda s: tcpip_parameters.observe(req, s), False)
    assert host.registry == {"TcpTimedWaitDelay": 30}
    assert result["changed"] and result["reboot_required"] and result["after"] == {"MaxUserPort": None, "TcpTimedWaitDelay": 30}
    assert len(host.executions) == 2
    again = converge(host.execute, req.snapshot_request(), lambda s: tcpip_parameters.plan(req, s),
                     lambda s: tcpip_parameters.observe(req, s), False)
    # Nothing left to write, and the written values still wait for the reboot: the marker says so.
    assert again["changed"] is False and again["reboot_required"] is True and len(host.executions) == 3
    host.reboot()
    rebooted = converge(host.execute, req.snapshot_request(), lambda s: tcpip_parameters.plan(req, s),
                        lambda s: tcpip_parameters.observe(req, s), False)
    assert rebooted["changed"] is False and rebooted["reboot_required"] is False and len(host.executions) == 4
