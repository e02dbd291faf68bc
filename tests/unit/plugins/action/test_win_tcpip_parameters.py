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


def test_check_mode_reports_the_change_and_the_reboot_without_writing():
    host = FakeHost(registry={"MaxUserPort": 65534})
    result, connection = run_action(NAME, {"max_user_port": "absent", "tcp_timed_wait_delay": 30}, host, check_mode=True, diff=True)
    assert len(connection.command_lines) == 1 and host.writes == [] and host.registry == {"MaxUserPort": 65534}
    assert result["changed"] is True and result["reboot_required"] is True
    assert result["diff"] == {"before": {"MaxUserPort": 65534, "TcpTimedWaitDelay": None},
                              "after": {"MaxUserPort": None, "TcpTimedWaitDelay": 30}}
    assert result["commands"] == [f"reg delete {REG_KEY} /v MaxUserPort /f", f"reg add {REG_KEY} /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f"]


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
    assert again["changed"] is False and again["reboot_required"] is False


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
