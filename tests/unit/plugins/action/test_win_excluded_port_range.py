# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The win_excluded_port_range action plugin against a fake connection and host."""

from __future__ import annotations

import pytest
import yaml

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure

from ansible_collections.portscale.tcpip.plugins.modules.win_excluded_port_range import RETURN
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost, run_action

NAME = "win_excluded_port_range"
STANDARD_KEYS = {"changed", "diff", "warnings", "failed", "msg", "rc", "stdout", "stderr"}
ADD = "netsh int {} add excludedportrange protocol=tcp startport=5022 numberofports=1 store=persistent"
SQL = {"ranges": [{"start": 5022, "count": 1}]}
SQL_ROW = {"start": 5022, "end": 5022, "count": 1}


def runner_host(**kwargs):
    """The GitHub runner of docs/windows-facts.md §3.2: HTTP.sys/WinRM rows and two WinNAT blocks in the IPv4 TCP table."""
    return FakeHost(exclusions={**FakeHost().exclusions, ("ipv4", "tcp"): list(samples.EXCLUDED_TCP_ROWS)}, **kwargs)


def test_check_mode_sends_one_execution_and_no_write():
    host = runner_host()
    result, connection = run_action(NAME, SQL, host, check_mode=True, diff=True)
    assert len(connection.command_lines) == 1 and host.writes == []
    assert result["changed"] is True
    assert result["diff"] == {"before": {"ipv4_tcp": [], "ipv6_tcp": []}, "after": {"ipv4_tcp": [SQL_ROW], "ipv6_tcp": [SQL_ROW]}}
    assert result["commands"] == [ADD.format("ipv4"), ADD.format("ipv6")]
    assert len(result["system_reservations"]["ipv4_tcp"]) == 5 and result["system_reservations"]["ipv6_tcp"] == []


def test_apply_then_idempotent():
    host = runner_host()
    result, connection = run_action(NAME, SQL, host)
    assert len(connection.command_lines) == 2 and host.writes == [ADD.format("ipv4"), ADD.format("ipv6")]
    assert result["changed"] is True and result["after"] == {"ipv4_tcp": [SQL_ROW], "ipv6_tcp": [SQL_ROW]}
    again, connection = run_action(NAME, SQL, host)
    assert len(connection.command_lines) == 1 and again["changed"] is False


@pytest.mark.parametrize("ranges, fragments", [
    ([{"start": 0, "count": 1}], ["ranges[0]: ", "within 1-65535 (this range is 0-0)"]),
    ([{"start": 65535, "count": 5}], ["ranges[0]: ", "within 1-65535 (this range is 65535-65539)"]),
    ([{"start": 70000, "end": 70010}], ["ranges[0]: ", "70000", "within 1-65535"]),
    ([{"start": -5, "end": 10}], ["ranges[0]: ", "-5", "within 1-65535"]),
    ([{"start": 5022, "count": 0}], ["ranges[0].count=0", "at least 1 port"]),
    ([{"start": 5022}], ["ranges[0]: ", "exactly one of count (the number of ports) and end"]),
    ([{"start": 5022, "count": 1}, {"start": 5022, "count": 1}], ["ranges: ", "must not overlap"]),
])
def test_bad_ranges_fail_before_any_remote_call(ranges, fragments):
    host = FakeHost()
    result, connection = run_action(NAME, {"ranges": ranges}, host)
    assert connection.command_lines == [] and result["failed"] is True and result["changed"] is False
    for fragment in fragments:
        assert fragment in result["msg"]


@pytest.mark.parametrize("args, fragment", [
    ({"ranges": [{"count": 1}]}, "missing required arguments: start"),
    ({"ranges": [{"start": "x", "count": 1}]}, "argument 'start' is of type str"),
    ({"ranges": [{"start": 5022, "count": 1}], "protocols": ["icmp"]}, "Got no match for: icmp"),
    ({"ranges": [{"start": 5022, "count": 1}], "state": "removed"}, "value of state must be one of: present, absent"),
    ({"ranges": [{"start": 5022, "count": 1}], "exclusions": []}, "Unsupported parameters"),
])
def test_bad_options_fail_before_any_remote_call(args, fragment):
    host = FakeHost()
    with pytest.raises(AnsibleActionFail) as caught:
        run_action(NAME, args, host)
    assert fragment in str(caught.value) and host.executions == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_port_in_use_in_any_table_refuses_the_task_before_any_write(check_mode):
    # A service listening on IPv6 only: the IPv4 add would go through and the IPv6 one fail (half applied). The read
    # already knows the port is in use, so the task refuses at once, in check mode too.
    host = FakeHost(connections=[("TCP", "[::]:5022", "[::]:0", "LISTENING", "2288")])
    result, connection = run_action(NAME, SQL, host, check_mode=check_mode)
    assert len(connection.command_lines) == 1 and host.writes == []
    assert result["failed"] is True and result["changed"] is False
    assert "ports to exclude are in use on the host (ipv6_tcp: 5022)" in result["msg"] and result["msg"].endswith("Nothing was changed.")


def test_a_port_the_host_still_refuses_fails_with_the_host_text():
    # In use by the time of the write (not at the read): the host's refusal, and exactly what changed.
    host = FakeHost(refusals=[(ADD.format("ipv6"), 1, samples.PORT_IN_USE)])
    result, connection = run_action(NAME, SQL, host)
    assert len(connection.command_lines) == 2
    assert result["failed"] is True and result["changed"] is True  # the IPv4 add went through
    assert f"changed: '{ADD.format('ipv4')}'" in result["msg"]
    assert f"refused: '{ADD.format('ipv6')}' exited 1: The process cannot access the file" in result["msg"]
    assert result["after"] == {"ipv4_tcp": [SQL_ROW], "ipv6_tcp": []}


def test_overlapping_a_winnat_block_fails_after_one_read_unless_allowed():
    args = {"ranges": [{"start": 56700, "count": 10}], "ip_versions": ["ipv4"]}
    host = runner_host()
    result, connection = run_action(NAME, args, host)
    assert len(connection.command_lines) == 1 and host.writes == []
    assert result["failed"] is True and "winnat_restart=true" in result["msg"]
    result, connection = run_action(NAME, {**args, "winnat_restart": True}, host)
    assert result["changed"] is True and host.writes[0] == "net stop winnat" and host.writes[-1] == "net start winnat"


def test_german_host_purge_leaves_system_rows():
    host = FakeHost(exclusion_locale="de-DE", exclusions={**FakeHost().exclusions, ("ipv4", "tcp"): list(samples.EXCLUDED_TCP_DE_ROWS)})
    result, _connection = run_action(NAME, {"purge": True, "ip_versions": ["ipv4"]}, host)
    assert result["changed"] is True and result["after"] == {"ipv4_tcp": []}
    assert host.exclusions[("ipv4", "tcp")] == [(28380, 28380, False), (49711, 49810, False)]


def test_a_connection_failure_propagates():
    with pytest.raises(AnsibleConnectionFailure):
        run_action(NAME, SQL, FakeHost(), error=AnsibleConnectionFailure("timed out"))


def test_every_result_key_is_documented():
    result, _connection = run_action(NAME, SQL, FakeHost(), check_mode=True)
    documented = set(yaml.safe_load(RETURN))
    assert set(result) - STANDARD_KEYS <= documented
    assert documented <= set(result)
