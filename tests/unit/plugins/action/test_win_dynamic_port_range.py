# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The win_dynamic_port_range action plugin, run like the task executor runs it, against a fake connection and host."""

from __future__ import annotations

import pytest
import yaml

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure

from ansible_collections.portscale.tcpip.plugins.modules.win_dynamic_port_range import RETURN
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost, run_action

NAME = "win_dynamic_port_range"
# Result keys every action returns that are Ansible's own, not the module's RETURN.
STANDARD_KEYS = {"changed", "diff", "warnings", "failed", "msg", "rc", "stdout", "stderr"}
WIDE = {"start": 10000, "end": 65535}
WIDE_VIEW = {"start": 10000, "count": 55536, "end": 65535}
DEFAULT_VIEW_ARGS = {"state": "default"}
DEFAULT_VIEW = {"start": 49152, "count": 16384, "end": 65535}
KEYS = ("ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp")


def test_check_mode_sends_one_execution_and_no_write():
    host = FakeHost()
    result, connection = run_action(NAME, WIDE, host, check_mode=True, diff=True)
    assert len(connection.command_lines) == 1 and host.writes == []
    assert not any(" set " in line for line in host.commands_run)
    assert result["changed"] is True and "failed" not in result
    assert result["diff"] == {"before": {k: DEFAULT_VIEW for k in KEYS}, "after": {k: WIDE_VIEW for k in KEYS}}
    assert len(result["commands"]) == 4 and result["reboot_required"] is False


def test_apply_costs_two_executions_then_one_when_converged():
    host = FakeHost()
    result, connection = run_action(NAME, WIDE, host)
    assert len(connection.command_lines) == 2 and len(host.writes) == 4
    assert result["changed"] is True and result["after"] == {k: WIDE_VIEW for k in KEYS}
    assert result["diff"]["before"] == {k: DEFAULT_VIEW for k in KEYS}
    again, connection = run_action(NAME, WIDE, host)
    assert len(connection.command_lines) == 1 and len(host.writes) == 4
    assert again["changed"] is False and again["before"] == again["after"] == {k: WIDE_VIEW for k in KEYS}


def test_only_the_named_ranges_are_read_and_set():
    host = FakeHost()
    result, _connection = run_action(NAME, {"start": 20000, "count": 45536, "protocols": ["udp"], "ip_versions": ["ipv6"],
                                            "store": "active", "listener_guard": "ignore"}, host)
    assert host.writes == ["netsh int ipv6 set dynamicport udp start=20000 num=45536 store=active"]
    assert not any("netstat" in line for line in host.commands_run)
    assert list(result["after"]) == ["ipv6_udp"]


def test_state_default_restores_a_widened_range_on_a_french_host():
    host = FakeHost(dynamic_locale="fr-FR", ranges={c: (1024, 64511) for c in FakeHost().ranges})
    result, _connection = run_action(NAME, {"state": "default", "protocols": ["tcp"]}, host)
    assert result["changed"] is True and result["after"] == {"ipv4_tcp": DEFAULT_VIEW, "ipv6_tcp": DEFAULT_VIEW}
    assert host.ranges[("ipv4", "udp")] == (1024, 64511)


@pytest.mark.parametrize("args, fragments", [
    ({"start": 1024, "count": 1000}, ["start=1024", "between 1025 and 65535"]),
    ({"start": 10000, "count": 254}, ["count=254", "at least 255 ports"]),
    ({"start": 10000, "count": 55537}, ["count=55537", "at most 65536"]),
    ({"start": 10000, "end": 9000}, ["end=9000", "must not be below start (10000)"]),
    ({"start": 10000}, ["count/end: give exactly one of count", "neither was given"]),
    ({"count": 1000}, ["start is missing", "needs start"]),
    ({"start": -1, "count": 1000}, ["start=-1", "between 1025 and 65535"]),
    ({"start": True, "count": 1000}, ["start=true", "got a boolean", "between 1025 and 65535"]),
    ({"start": 10000, "count": True}, ["count=true", "got a boolean", "at least 255 ports"]),
    ({"state": "default", "count": 1000}, ["count=1000", "state=default"]),
])
def test_bad_values_fail_before_any_remote_call(args, fragments):
    host = FakeHost()
    result, connection = run_action(NAME, args, host)
    assert connection.command_lines == []
    assert result["failed"] is True and result["changed"] is False
    for fragment in fragments:
        assert fragment in result["msg"]
    assert result["msg"].endswith("Nothing was changed.")


@pytest.mark.parametrize("args, fragment", [
    ({"start": 10000, "count": 1000, "end": 10999}, "parameters are mutually exclusive: count|end"),
    ({"start": "ten thousand", "count": 1000}, "argument 'start' is of type str"),
    ({"start": 10000, "count": 1000, "protocols": ["sctp"]}, "value of protocols must be one or more of: tcp, udp. Got no match for: sctp"),
    ({"start": 10000, "count": 1000, "ip_versions": ["ipv5"]}, "Got no match for: ipv5"),
    ({"start": 10000, "count": 1000, "state": "absent"}, "value of state must be one of: present, default, got: absent"),
    ({"start": 10000, "count": 1000, "startport": 10000}, "Unsupported parameters for"),
])
def test_bad_options_are_refused_by_the_arg_spec_before_any_remote_call(args, fragment):
    host = FakeHost()
    with pytest.raises(AnsibleActionFail) as caught:
        run_action(NAME, args, host)
    assert fragment in str(caught.value)
    assert host.executions == []  # the fake connection hands every command line to the host


def test_a_connection_failure_propagates_so_the_host_is_unreachable():
    host = FakeHost()
    with pytest.raises(AnsibleConnectionFailure, match="connection refused"):
        run_action(NAME, WIDE, host, error=AnsibleConnectionFailure("winrm: connection refused"))
    assert host.executions == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_without_elevation_one_sentence_refuses_before_any_write(check_mode):
    # The token's integrity SID is in the read batch: no netsh "requires elevation" per write, and nothing is sent.
    host = FakeHost(elevated=False)
    result, connection = run_action(NAME, WIDE, host, check_mode=check_mode)
    assert len(connection.command_lines) == 1 and host.writes == []
    if check_mode:
        assert result["changed"] is True and any("does not run elevated" in w for w in result["warnings"])
        return
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("host: the account does not run elevated on the host") and result["msg"].endswith("Nothing was changed.")
    assert result["msg"].count("elevat") == 2 and "netsh" not in result["msg"]


def test_reading_works_without_elevation():
    result, connection = run_action(NAME, DEFAULT_VIEW_ARGS, FakeHost(elevated=False))
    assert result.get("failed") is not True and result["changed"] is False and len(connection.command_lines) == 1


def test_a_refused_write_fails_with_the_command_exit_code_and_host_text():
    host = FakeHost(refusals=[("set dynamicport", 1, samples.NETSH_ELEVATION)])
    result, connection = run_action(NAME, {**WIDE, "protocols": ["tcp"], "ip_versions": ["ipv4"]}, host)
    assert len(connection.command_lines) == 2
    assert result["failed"] is True and result["changed"] is False
    assert ("refused: 'netsh int ipv4 set dynamicport tcp start=10000 num=55536 store=persistent' exited 1: "
            "The requested operation requires elevation (Run as administrator).") in result["msg"]
    assert result["after"] == {"ipv4_tcp": DEFAULT_VIEW}


def test_an_unexpected_answer_fails_with_what_the_host_printed():
    host = FakeHost(stderr=(1, "powershell.exe : The term 'netsh' is not recognized as the name of a cmdlet\r\n"))
    result, connection = run_action(NAME, WIDE, host)
    assert len(connection.command_lines) == 1 and host.writes == []
    assert result["failed"] is True and result["changed"] is False and result["rc"] == 1
    assert "The term 'netsh' is not recognized" in result["msg"] and "The term 'netsh' is not recognized" in result["stderr"]
    assert result["msg"].endswith("Nothing was changed.")
    assert "__PORTSCALE_" in result["stdout"]


def test_a_read_command_answering_garbage_names_the_command():
    host = FakeHost(refusals=[("show dynamicport udp", 0, "Ok.\r\n\r\n")])
    result, _connection = run_action(NAME, WIDE, host)
    assert result["failed"] is True and "'netsh int ipv4 show dynamicport udp' exited 0: Ok." in result["msg"]


def test_legacy_host_fails_after_one_read():
    host = FakeHost(os_build=samples.BUILD_2003)
    result, connection = run_action(NAME, WIDE, host)
    assert len(connection.command_lines) == 1 and host.writes == []
    assert result["failed"] is True and "Windows build 3790" in result["msg"] and "win_tcpip_parameters" in result["msg"]


def test_listener_guard_fail_stops_after_the_read():
    host = FakeHost(connections=[("TCP", "0.0.0.0:15000", "0.0.0.0:0", "LISTENING", "4")])
    result, connection = run_action(NAME, {**WIDE, "listener_guard": "fail"}, host)
    assert len(connection.command_lines) == 1 and host.writes == []
    assert result["failed"] is True and "ipv4_tcp: 15000" in result["msg"]


def test_warnings_for_suspicious_states_reach_the_result():
    host = FakeHost(registry={"MaxUserPort": 65534},
                    exclusions={**FakeHost().exclusions, ("ipv4", "tcp"): list(samples.EXCLUDED_TCP_ROWS)})
    result, _connection = run_action(NAME, {"state": "default"}, host)
    assert result["changed"] is False
    text = " ".join(result["warnings"])
    assert "MaxUserPort=65534" in text and "1024-65534" in text and "Hyper-V/WinNAT reservation" in text


def test_async_is_refused():
    # ansible-core's own refusal: "async is not supported for this task." before 2.19, "... does not support async." since.
    with pytest.raises(AnsibleActionFail, match="(not supported|does not support async)"):
        run_action(NAME, WIDE, FakeHost(), async_val=10)


def test_every_result_key_is_documented():
    result, _connection = run_action(NAME, WIDE, FakeHost(), check_mode=True)
    documented = set(yaml.safe_load(RETURN))
    assert set(result) - STANDARD_KEYS <= documented
    assert documented <= set(result)


def test_a_cut_connection_during_the_read_is_unreachable_and_says_nothing_changed():
    # requests' ConnectionError is an OSError; ansible-core's winrm connection lets it through unwrapped.
    host = FakeHost()
    with pytest.raises(AnsibleConnectionFailure, match=r"ConnectionError: Connection aborted\. Nothing was changed\.$"):
        run_action(NAME, WIDE, host, error=ConnectionError("Connection aborted"))
    assert host.writes == []


def test_a_winrm_service_fault_during_the_read_fails_and_says_nothing_changed():
    class WinRMTransportError(Exception):
        pass
    result, _connection = run_action(NAME, WIDE, FakeHost(), error=WinRMTransportError("Bad HTTP response returned from server. Code 500"))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == ("the connection plugin failed: WinRMTransportError: Bad HTTP response returned from server. Code 500. "
                             "Nothing was changed.")
