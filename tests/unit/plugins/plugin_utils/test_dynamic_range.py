# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dynamic_range: validation of the desired range (before any remote call) and the plan against snapshots."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import dynamic_range
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import ALL_COMBOS, Exclusion, HostSnapshot
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import parse_netstat
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples

DEFAULT_ARGS = {"start": None, "count": None, "end": None, "state": "present", "protocols": ["tcp", "udp"],
                "ip_versions": ["ipv4", "ipv6"], "store": "persistent", "listener_guard": "warn"}
DEFAULT = PortRange(49152, 16384)


def request(**args):
    return dynamic_range.request_from_args({**DEFAULT_ARGS, **args})


def snapshot(ranges=None, connections=None, registry=None, exclusions=None, build=samples.BUILD_2022):
    ranges = {c: DEFAULT for c in ALL_COMBOS} if ranges is None else ranges
    return HostSnapshot(build, ranges, exclusions or {c: () for c in ALL_COMBOS}, registry or {}, connections)


@pytest.mark.parametrize("args, option, value, expectation", [
    ({"start": 1024, "count": 1000}, "start", "=1024", "between 1025 and 65535"),
    ({"start": 0, "count": 1000}, "start", "=0", "between 1025 and 65535"),
    ({"start": -5, "count": 1000}, "start", "=-5", "between 1025 and 65535"),
    ({"start": 70000, "count": 255}, "start", "=70000", "between 1025 and 65535"),
    ({"start": 10000, "count": 254}, "count", "=254", "at least 255 ports"),
    ({"start": 10000, "count": -1}, "count", "=-1", "at least 255 ports"),
    ({"start": 10000, "count": 55537}, "count", "=55537", "at most 65536"),
    ({"start": 65281, "count": 256}, "count", "=256", "at most 65536"),
    ({"start": 10000, "end": 9999}, "end", "=9999", "must not be below start (10000)"),
    ({"start": 10000, "end": 10253}, "end", "=10253", "at least 255 ports (got 254)"),
    ({"start": 10000, "end": 65536}, "end", "=65536", "past 65535"),
    ({"start": 10000, "count": 1000, "end": 10999}, "count/end", ":", "exactly one of count (the number of ports) and end (the last port); both"),
    ({"start": 10000}, "count/end", ":", "exactly one of count (the number of ports) and end (the last port); neither"),
    ({"count": 1000}, "start", " is missing", "needs start"),
    ({"start": "ten thousand", "count": 1000}, "start", '="ten thousand"', "between 1025 and 65535"),
    ({"start": 10000, "count": "0x400"}, "count", '="0x400"', "at least 255"),
    ({"start": True, "count": 1000}, "start", "=true", "between 1025 and 65535"),
    ({"start": 10000, "count": False}, "count", "=false", "at least 255"),
    ({"state": "default", "start": 10000}, "start", "=10000", "state=default restores 49152/16384"),
    ({"start": 10000, "count": 1000, "protocols": []}, "ip_versions/protocols", ":", "name at least one of each"),
])
def test_bad_input_names_the_option_the_value_and_the_valid_range(args, option, value, expectation):
    with pytest.raises(TcpipValueError) as caught:
        request(**args)
    message = str(caught.value)
    assert caught.value.option == option
    # The value as the user wrote it (JSON), never a Python repr such as None, True or a tuple.
    assert message.startswith(f"{option}{value}") and "None" not in message and "True" not in message
    assert expectation in message


@pytest.mark.parametrize("args, expected", [
    ({"start": 1025, "count": 64511}, PortRange(1025, 64511)),       # the largest range Windows accepts (BizTalk doc)
    ({"start": 65281, "count": 255}, PortRange(65281, 255)),         # the smallest, ending at 65535
    ({"start": "10000", "end": "65535"}, PortRange(10000, 55536)),   # decimal strings (a templated value) are fine
    ({"start": 49152, "count": 16384}, DEFAULT),
    ({"state": "default"}, DEFAULT),
])
def test_valid_ranges(args, expected):
    assert request(**args).port_range == expected


def test_duplicate_names_are_collapsed_and_order_kept():
    req = request(start=10000, count=1000, protocols=["udp", "tcp", "udp"], ip_versions=["ipv6", "ipv6"])
    assert req.combos == (("ipv6", "udp"), ("ipv6", "tcp"))


def test_netstat_is_read_only_when_the_listener_guard_needs_it():
    assert request(start=10000, count=1000).snapshot_request().netstat is True
    assert request(start=10000, count=1000, listener_guard="ignore").snapshot_request().netstat is False
    assert request(start=10000, count=1000, ip_versions=["ipv4"]).snapshot_request().combos == (("ipv4", "tcp"), ("ipv4", "udp"))


def test_plan_only_changes_the_ranges_that_differ():
    snap = snapshot(ranges={**{c: DEFAULT for c in ALL_COMBOS}, ("ipv6", "udp"): PortRange(10000, 55536)})
    plan = dynamic_range.plan(request(start=10000, end=65535), snap)
    assert [str(c) for c in plan.commands] == [
        "netsh int ipv4 set dynamicport tcp start=10000 num=55536 store=persistent",
        "netsh int ipv4 set dynamicport udp start=10000 num=55536 store=persistent",
        "netsh int ipv6 set dynamicport tcp start=10000 num=55536 store=persistent",
    ]
    assert all(c.writes for c in plan.commands)
    assert plan.before["ipv6_udp"] == plan.after["ipv6_udp"] == {"start": 10000, "count": 55536, "end": 65535}
    assert plan.before["ipv4_tcp"] == {"start": 49152, "count": 16384, "end": 65535}
    assert plan.reboot_required is False


def test_plan_is_empty_when_converged_and_observe_matches_after():
    snap = snapshot()
    req = request(state="default")
    plan = dynamic_range.plan(req, snap)
    assert plan.commands == [] and plan.before == plan.after == dynamic_range.observe(req, snap)


def test_default_restores_a_widened_range():
    snap = snapshot(ranges={c: PortRange(1024, 64511) for c in ALL_COMBOS})
    plan = dynamic_range.plan(request(state="default", protocols=["tcp"], ip_versions=["ipv4"]), snap)
    assert [str(c) for c in plan.commands] == ["netsh int ipv4 set dynamicport tcp start=49152 num=16384 store=persistent"]


def test_plan_carries_the_configuration_warnings():
    snap = snapshot(registry={"MaxUserPort": 65534},
                    exclusions={**{c: () for c in ALL_COMBOS},
                                ("ipv4", "tcp"): tuple(Exclusion(PortRange.from_bounds(s, e), a) for s, e, a in samples.EXCLUDED_TCP_ROWS)})
    plan = dynamic_range.plan(request(start=10000, end=65535), snap)
    text = " ".join(plan.report()[0])
    assert "MaxUserPort=65534" in text and "Hyper-V/WinNAT reservation" in text
    # The WinNAT blocks (56638-56837) are outside 10000-10999: a range moved away from them no longer warns about them.
    assert "Hyper-V/WinNAT" not in " ".join(dynamic_range.plan(request(start=10000, count=1000), snap).report()[0])


def test_legacy_host_fails_and_points_at_max_user_port():
    with pytest.raises(dynamic_range.LegacyHostError) as caught:
        dynamic_range.plan(request(start=10000, count=1000), snapshot(ranges={}, build=samples.BUILD_2003))
    assert "Windows build 3790" in str(caught.value) and "win_tcpip_parameters" in str(caught.value)


LISTENERS = parse_netstat(samples.netstat_text([
    ("TCP", "0.0.0.0:15000", "0.0.0.0:0", "LISTENING", "4"),        # newly covered by 10000-65535
    ("TCP", "0.0.0.0:50000", "0.0.0.0:0", "LISTENING", "4"),        # already inside the old range
    ("TCP", "10.0.0.5:20000", "10.0.0.9:443", "ESTABLISHED", "4"),  # an outbound connection, not a listener
    ("TCP", "[::]:15001", "[::]:0", "LISTENING", "4"),
    ("UDP", "0.0.0.0:12000", "*:*", "", "4"),                       # a bound UDP port counts
    ("TCP", "0.0.0.0:8080", "0.0.0.0:0", "LISTENING", "4"),         # outside the new range
]))


def test_listeners_the_new_range_would_swallow_are_reported_and_warned():
    plan = dynamic_range.plan(request(start=10000, end=65535), snapshot(connections=tuple(LISTENERS)))
    assert plan.extra["listeners_in_new_range"] == {"ipv4_tcp": [15000], "ipv6_tcp": [15001], "ipv4_udp": [12000]}
    assert any(w.startswith("The new range 10000-65535 (55536 ports) covers ports") and "ipv4_tcp: 15000" in w for w in plan.warnings)
    assert len(plan.commands) == 4


def test_listener_guard_fail_refuses_before_any_write():
    with pytest.raises(TcpipValueError) as caught:
        dynamic_range.plan(request(start=10000, end=65535, listener_guard="fail"), snapshot(connections=tuple(LISTENERS)))
    assert caught.value.option == "listener_guard=fail" and "ipv4_tcp: 15000" in str(caught.value)


def test_listeners_on_unchanged_ranges_are_not_reported():
    snap = snapshot(ranges={**{c: DEFAULT for c in ALL_COMBOS}, ("ipv4", "tcp"): PortRange(10000, 55536)}, connections=tuple(LISTENERS))
    plan = dynamic_range.plan(request(start=10000, end=65535, protocols=["tcp"], ip_versions=["ipv4"]), snap)
    assert plan.commands == [] and plan.extra["listeners_in_new_range"] == {}


def test_listener_guard_ignore_has_no_connections_to_look_at():
    plan = dynamic_range.plan(request(start=10000, end=65535, listener_guard="ignore"), snapshot(connections=None))
    assert plan.extra["listeners_in_new_range"] == {} and len(plan.commands) == 4


def test_warnings_describe_the_ranges_the_task_leaves_behind():
    # Shrinking below the default warns in the run that does it, not only in the next one ...
    plan = dynamic_range.plan(request(start=10000, count=1000, protocols=["tcp"], ip_versions=["ipv4"]), snapshot())
    assert [w for w in plan.report()[0] if "smaller than" in w] == [
        "ipv4_tcp: the dynamic range 10000-10999 (1000 ports) is smaller than the Windows default of 16384 ports."]
    # ... and exclusions are weighed against the new range.
    administered = {**{c: () for c in ALL_COMBOS}, ("ipv4", "tcp"): (Exclusion(PortRange(10000, 500), True),)}
    plan = dynamic_range.plan(request(start=10000, count=1000, protocols=["tcp"], ip_versions=["ipv4"]), snapshot(exclusions=administered))
    assert any("excluded ranges take 500 of the 1000 ports" in w for w in plan.report()[0])
    # Widening a small range does not warn about the size it is leaving.
    small = snapshot(ranges={**{c: DEFAULT for c in ALL_COMBOS}, ("ipv4", "tcp"): PortRange(10000, 1000)})
    assert not any("smaller than" in w for w in dynamic_range.plan(request(state="default"), small).report()[0])
