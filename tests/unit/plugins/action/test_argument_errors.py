# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument errors that ansible-core words on its own: the action plugins make them name the option and the valid values."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost, run_action


def test_a_list_of_dicts_given_as_a_string_names_the_option():
    # ansible-core's first error would be its no_log scan's "dictionary requested, could not parse JSON or key=value".
    host = FakeHost()
    with pytest.raises(AnsibleActionFail) as caught:
        run_action("win_excluded_port_range", {"ranges": "5000-5010"}, host)
    assert "Elements value for option 'ranges' is of type str and we were unable to convert to dict" in caught.value.message
    assert caught.value.message.endswith("Nothing was changed.")
    assert host.executions == []


def test_other_argument_errors_keep_ansible_cores_first_message():
    host = FakeHost()
    with pytest.raises(AnsibleActionFail, match=r"Unsupported parameters for \(.*\) module: colour"):
        run_action("win_excluded_port_range", {"ranges": [{"start": 5000, "count": 1}], "colour": "blue"}, host)
    assert host.executions == []


@pytest.mark.parametrize("args, hint", [
    ({"count": "1000 | Out-File C:\\x"}, "count: an integer, at least 1 (more than 200000 is reduced to 200000)"),
    ({"timeout": "60; Stop-Computer"}, "timeout: seconds, at least 1 (more than 600 is reduced to 600)"),
    ({"target_port": "$(Stop-Computer)"}, "target_port: 0 (the probe's own listener) or a port from 1 to 65535"),
    ({"max_free_share": "half"}, "max_free_share: a percentage from 1 to 90"),
    ({"fail_below": "all"}, "fail_below: an integer from 0 to count"),
])
def test_probe_type_errors_say_what_is_valid(args, hint):
    host = FakeHost()
    with pytest.raises(AnsibleActionFail) as caught:
        run_action("win_port_probe", args, host)
    assert f"Valid values: {hint}." in caught.value.message
    assert host.executions == []


@pytest.mark.parametrize("name, args, text", [
    ("win_dynamic_port_range", {"start": float("inf"), "count": 1000}, "start is .inf, not a finite number. Valid values: start: "),
    ("win_port_probe", {"max_free_share": float("nan")}, "max_free_share is .nan, not a finite number. Valid values: max_free_share: a percentage"),
    ("win_excluded_port_range", {"ranges": [{"start": 5000, "count": float("-inf")}]}, "ranges[0].count is -.inf, not a finite number."),
    ("win_tcpip_parameters", {"tcp_timed_wait_delay": float("inf")}, "tcp_timed_wait_delay is .inf, not a finite number."),
])
def test_yaml_infinity_and_nan_are_clear_errors_not_tracebacks(name, args, text):
    host = FakeHost()
    with pytest.raises(AnsibleActionFail) as caught:
        run_action(name, args, host)
    assert text in caught.value.message and caught.value.message.endswith("Nothing was changed.")
    assert host.executions == []
