# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The win_tcpip_parameters action plugin against a fake connection and host."""

from __future__ import annotations

import pytest
import yaml

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure

from ansible_collections.portscale.tcpip.plugins.modules.win_tcpip_parameters import RETURN
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost, run_action

NAME = "win_tcpip_parameters"
STANDARD_KEYS = {"changed", "diff", "warnings", "failed", "msg", "rc", "stdout", "stderr"}
REG_KEY = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
MARKER_KEY = "HKLM\\SOFTWARE\\portscale.tcpip"


def test_check_mode_reports_the_change_and_the_reboot_without_writing():
    host = FakeHost(registry={"MaxUserPort": 65534})
    result, connection = run_action(NAME, {"max_user_port": "absent", "tcp_timed_wait_delay": 30}, host, check_mode=True, diff=True)
    assert len(connection.command_lines) == 1 and host.writes == [] and host.registry == {"MaxUserPort": 65534}
    assert result["changed"] is True and result["reboot_required"] is True
    assert result["diff"] == {"before": {"MaxUserPort": 65534, "TcpTimedWaitDelay": None},
                              "after": {"MaxUserPort": None, "TcpTimedWaitDelay": 30}}
    # Each write is followed by its marker: the boot identity (7), the value in effect (assumed: no marker before) and
    # the value written.
    assert result["commands"] == [f"reg delete {REG_KEY} /v MaxUserPort /f",
                                  f"reg add {MARKER_KEY} /v MaxUserPort /t REG_SZ /d boot=7:effective=65534:written=absent:known=0 /f",
                                  f"reg add {REG_KEY} /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f",
                                  f"reg add {MARKER_KEY} /v TcpTimedWaitDelay /t REG_SZ /d boot=7:effective=absent:written=30:known=0 /f"]
    # Check mode describes the state the change would leave: both pending, the old values in effect.
    assert result["boot_id"] == 7
    assert result["reboot_state"]["TcpTimedWaitDelay"] == {
        "value": 30, "effective": None, "effective_known": False, "effective_assumed": None, "state": "pending", "pending": True,
        "written_at_boot": 7, "reason": "written by portscale.tcpip during this boot (boot 7); the value in effect, absent, is assumed "
                                        "(the value before it was not written by portscale.tcpip)"}
    assert result["reboot_state"]["MaxUserPort"]["effective_assumed"] == 65534 and result["reboot_state"]["MaxUserPort"]["pending"] is True


def test_apply_then_idempotent():
    host = FakeHost(registry={"MaxUserPort": 65534})
    args = {"max_user_port": "absent", "tcp_timed_wait_delay": "30"}
    result, connection = run_action(NAME, args, host)
    assert len(connection.command_lines) == 2 and host.registry == {"TcpTimedWaitDelay": 30}
    assert result["changed"] is True and result["reboot_required"] is True
    assert result["after"] == {"MaxUserPort": None, "TcpTimedWaitDelay": 30}
    assert result["max_user_port_effect"] == {"tcp_range_at_boot": None, "pending": False, "governs": "netsh"}
    again, connection = run_action(NAME, args, host)
    assert len(connection.command_lines) == 1
    # Nothing to write, but the values written before still wait for a reboot (issue 14): reboot_required stays true.
    assert again["changed"] is False and again["reboot_required"] is True and host.writes[-1].endswith("known=0 /f")
    assert [again["reboot_state"][name]["state"] for name in ("MaxUserPort", "TcpTimedWaitDelay")] == ["pending", "pending"]
    assert any(w.startswith("TcpTimedWaitDelay=30 waits for a reboot") and "still uses absent (the Windows default)" in w
               for w in again["warnings"])
    host.reboot()
    rebooted, connection = run_action(NAME, args, host)
    assert len(connection.command_lines) == 1 and rebooted["changed"] is False and rebooted["reboot_required"] is False
    assert rebooted["reboot_state"]["TcpTimedWaitDelay"] == {
        "value": 30, "effective": 30, "effective_known": True, "effective_assumed": 30, "state": "in_effect", "pending": False,
        "written_at_boot": 7, "reason": "written by portscale.tcpip at boot 7; the host has booted since (boot 8)"}


def test_a_value_written_without_a_reboot_stays_pending_across_controllers_until_the_host_reboots():
    """Issue 14 item 3: the marker lives on the host, so a run from another controller (a fresh action, no shared
    state) still sees the write as pending, and the next write of the boot keeps the value in effect recorded."""
    host = FakeHost(markers={"TcpTimedWaitDelay": "boot=6:effective=absent:written=60:known=1"}, registry={"TcpTimedWaitDelay": 60})
    first, _conn = run_action(NAME, {"tcp_timed_wait_delay": 30}, host)
    assert first["reboot_state"]["TcpTimedWaitDelay"]["effective"] == 60  # the old marker's boot is over: 60 is in effect
    assert host.markers["TcpTimedWaitDelay"] == "boot=7:effective=60:written=30:known=1"
    second, _conn = run_action(NAME, {"tcp_timed_wait_delay": 45}, host)
    assert host.markers["TcpTimedWaitDelay"] == "boot=7:effective=60:written=45:known=1"  # still 60 in effect, not 30
    assert second["reboot_state"]["TcpTimedWaitDelay"]["effective"] == 60 and second["reboot_required"] is True
    back, _conn = run_action(NAME, {"tcp_timed_wait_delay": 60}, host)
    assert back["changed"] is True and back["reboot_state"]["TcpTimedWaitDelay"]["state"] == "in_effect"
    assert back["reboot_required"] is False  # the value in effect is the wanted one again: nothing waits for a reboot


@pytest.mark.parametrize("markers, registry, state, effective", [
    (None, {"TcpTimedWaitDelay": 30}, "unknown", None),                                      # not written by the collection
    ({"TcpTimedWaitDelay": "boot=6:effective=absent:written=45:known=1"}, {"TcpTimedWaitDelay": 30}, "unknown", None),  # changed since
    ({"TcpTimedWaitDelay": "boot=7:effective=120:written=30:known=1"}, {"TcpTimedWaitDelay": 90}, "pending", 120),  # changed this boot
    ({"TcpTimedWaitDelay": "something else"}, {"TcpTimedWaitDelay": 30}, "unknown", None),   # not the collection's format
])
def test_values_changed_by_someone_else_are_unknown_rather_than_guessed(markers, registry, state, effective):
    result, _conn = run_action(NAME, {"max_user_port": "absent"}, FakeHost(markers=markers, registry=registry), check_mode=True)
    shown = result["reboot_state"]["TcpTimedWaitDelay"]
    assert (shown["state"], shown["effective"], shown["effective_known"]) == (state, effective, state != "unknown")
    assert shown["pending"] is {"unknown": None, "pending": True}[state]


def test_a_host_without_a_boot_identity_writes_no_marker_and_says_so():
    host = FakeHost(boot_id=None)
    result, _conn = run_action(NAME, {"tcp_timed_wait_delay": 30}, host)
    assert result["changed"] is True and result["reboot_required"] is True and host.markers is None
    assert any("no boot identity" in w for w in result["warnings"])
    assert result["reboot_state"]["TcpTimedWaitDelay"]["state"] == "unknown"


@pytest.mark.parametrize("args, fragments", [
    ({"max_user_port": 4999}, ["max_user_port=4999", "valid values are 5000-65534"]),
    ({"max_user_port": 65535}, ["max_user_port=65535", "valid values are 5000-65534"]),
    ({"max_user_port": "many"}, ['max_user_port="many"', "expected an integer", "5000-65534"]),
    ({"max_user_port": True}, ["max_user_port=true", "got a boolean", "5000-65534"]),
    ({"tcp_timed_wait_delay": 301}, ["tcp_timed_wait_delay=301", "valid values are 2-300"]),
    ({"tcp_timed_wait_delay": -30}, ["tcp_timed_wait_delay=-30", "valid values are 2-300"]),
    ({}, ["give at least one of them"]),
])
def test_bad_values_fail_before_any_remote_call(args, fragments):
    host = FakeHost()
    result, connection = run_action(NAME, args, host)
    assert connection.command_lines == [] and result["failed"] is True and result["changed"] is False
    for fragment in fragments:
        assert fragment in result["msg"]


def test_unknown_option_is_refused_before_any_remote_call():
    host = FakeHost()
    with pytest.raises(AnsibleActionFail, match="Unsupported parameters .*MaxUserPort"):
        run_action(NAME, {"MaxUserPort": 65534}, host)
    assert host.executions == []


def test_timed_wait_delay_beyond_the_host_version_costs_one_read_and_no_write():
    host = FakeHost(os_build=samples.BUILD_2012)
    result, connection = run_action(NAME, {"tcp_timed_wait_delay": 10}, host)
    assert len(connection.command_lines) == 1 and host.writes == []
    assert not any(line.startswith("reg add") for line in host.commands_run)
    assert result["failed"] is True and result["changed"] is False
    assert "tcp_timed_wait_delay=10 is not valid: Windows build 9200 accepts 30-300 seconds" in result["msg"]


def test_max_user_port_found_on_the_host_is_a_warning_with_the_boot_range():
    host = FakeHost(registry={"MaxUserPort": 65534})
    result, _connection = run_action(NAME, {"tcp_timed_wait_delay": 120}, host)
    assert result["changed"] is True
    assert [w for w in result["warnings"] if "MaxUserPort" in w] == [
        "MaxUserPort=65534 is set: at the next boot Windows rewrites the TCP dynamic ranges to 1024-65534 (64511 ports), "
        "overriding the netsh range."]
    assert result["max_user_port_effect"]["pending"] is True


def test_not_elevated_is_refused_in_one_sentence_before_any_write():
    host = FakeHost(elevated=False)
    result, connection = run_action(NAME, {"max_user_port": 60000, "tcp_timed_wait_delay": 30}, host)
    assert result["failed"] is True and result["changed"] is False and host.writes == [] and len(connection.command_lines) == 1
    assert "does not run elevated" in result["msg"] and "Access is denied" not in result["msg"]


def test_a_refused_registry_write_fails_with_the_host_text_and_nothing_changed():
    host = FakeHost(refusals=[("reg add", 1, samples.REG_ACCESS_DENIED)])
    result, _connection = run_action(NAME, {"max_user_port": 60000}, host)
    assert result["failed"] is True and result["changed"] is False
    assert f"refused: 'reg add {REG_KEY} /v MaxUserPort /t REG_DWORD /d 60000 /f' exited 1: ERROR: Access is denied." in result["msg"]
    assert result["after"] == {"MaxUserPort": None}


def test_removing_a_value_that_vanished_meanwhile_is_reported():
    # The read saw the value; by the write it was gone (someone else removed it): reg's own error is shown.
    host = FakeHost(registry={"MaxUserPort": 5000}, refusals=[("reg delete", 1, samples.REG_NOT_FOUND)])
    result, _connection = run_action(NAME, {"max_user_port": "absent"}, host)
    assert result["failed"] is True
    assert "exited 1: ERROR: The system was unable to find the specified registry key or value." in result["msg"]


def test_a_connection_failure_propagates():
    with pytest.raises(AnsibleConnectionFailure):
        run_action(NAME, {"max_user_port": "absent"}, FakeHost(), error=AnsibleConnectionFailure("ntlm: the specified credentials were rejected"))


def test_legacy_host_explains_max_user_port():
    host = FakeHost(os_build=samples.BUILD_2003)
    result, _connection = run_action(NAME, {"max_user_port": 65534}, host)
    assert result["changed"] is True and host.registry == {"MaxUserPort": 65534}
    assert result["max_user_port_effect"]["governs"] == "max_user_port"
    assert any("has no netsh dynamic range" in w for w in result["warnings"])


def test_every_result_key_is_documented():
    result, _connection = run_action(NAME, {"max_user_port": "absent"}, FakeHost(), check_mode=True)
    documented = set(yaml.safe_load(RETURN))
    assert set(result) - STANDARD_KEYS <= documented
    assert documented <= set(result)
