# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capacity math: every port of a range counted once (excluded, in use or free), TIME_WAIT time and rates."""

from __future__ import annotations

import random

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import capacity
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import Exclusion, HostSnapshot
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParsedConnection
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange

V4_TCP = ("ipv4", "tcp")
SMALL = PortRange(50000, 1000)   # 50000-50999


def tcp(port, state="ESTABLISHED", pid=100, local="10.0.0.5", remote=("192.0.2.10", 1433), version=4):
    listener = state == "LISTENING"
    remote_address, remote_port = ("0.0.0.0", 0) if listener or state == "BOUND" else remote
    return ParsedConnection("TCP", local, port, remote_address, remote_port, state, state, listener, pid, version)


def udp(port, pid=200, version=4):
    return ParsedConnection("UDP", "0.0.0.0", port, "*", None, "", None, True, pid, version)


def exclusion(start, end, administered=False):
    return Exclusion(PortRange.from_bounds(start, end), administered)


def count(rows, exclusions=(), port_range=SMALL, combo=V4_TCP, seconds=120):
    return capacity.range_capacity(combo, port_range, exclusions, rows, seconds)


def assert_adds_up(cap):
    assert cap.excluded + cap.in_use + cap.free == cap.port_range.count
    assert cap.free >= 0


def test_an_empty_table_leaves_the_whole_range_free():
    cap = count([])
    assert (cap.excluded, cap.in_use, cap.free, cap.percent_free) == (0, 0, 1000, 100.0)
    assert cap.connections_per_second == round(1000 / 120, 1)


def test_every_state_holds_a_port_and_rows_outside_the_range_do_not_count():
    rows = [tcp(50001), tcp(50002, "TIME_WAIT", pid=0), tcp(50003, "CLOSE_WAIT"), tcp(50004, "BOUND"),
            tcp(50005, "LISTENING"), tcp(80, "LISTENING", pid=4), tcp(51000), tcp(49999, "TIME_WAIT", pid=0)]
    cap = count(rows)
    assert cap.in_use == 5
    assert cap.in_use_by_state == {"BOUND": 1, "CLOSE_WAIT": 1, "ESTABLISHED": 1, "LISTENING": 1, "TIME_WAIT": 1}
    assert cap.rows == 8 and cap.rows_by_state["TIME_WAIT"] == 2
    assert_adds_up(cap)


def test_a_port_shared_by_several_rows_counts_once_under_its_strongest_state():
    # A listener inside the range with accepted connections on the same port, and a port reused towards two
    # destinations (SO_REUSE_UNICASTPORT) where one of the connections already closed.
    rows = [tcp(50010, "LISTENING", pid=7), tcp(50010, "ESTABLISHED", pid=7, remote=("10.0.0.9", 60000)),
            tcp(50020, "TIME_WAIT", pid=0, remote=("192.0.2.1", 443)), tcp(50020, "ESTABLISHED", pid=9, remote=("192.0.2.2", 443))]
    cap = count(rows)
    assert cap.in_use == 2
    assert cap.in_use_by_state == {"ESTABLISHED": 1, "LISTENING": 1}
    assert dict(cap.ports_by_pid) == {7: 1, 9: 1}


def test_excluded_ports_are_never_also_in_use():
    # HTTP.sys registers 5985 as a system exclusion and also listens on it (docs/windows-facts.md §3.5).
    wide = PortRange(1025, 64511)
    rows = [tcp(5985, "LISTENING", pid=4), tcp(5986, "ESTABLISHED")]
    cap = count(rows, [exclusion(5985, 5985)], port_range=wide)
    assert (cap.excluded, cap.in_use) == (1, 1)
    assert cap.listeners_in_range == ((5985, 4),)
    assert_adds_up(cap)


def test_exclusions_split_into_administered_system_and_winnat_and_are_clipped_to_the_range():
    rows = [exclusion(49900, 50099, administered=True),   # 100 ports inside the range
            exclusion(50200, 50299),                        # a 100-port WinNAT block
            exclusion(50500, 50500),                        # an HTTP.sys single port
            exclusion(50950, 51100)]                        # a 151-port system block, 50 inside
    cap = count([], rows)
    assert cap.excluded_administered == 100
    assert cap.excluded_system == 100 + 1 + 50
    assert cap.excluded_winnat == 100 + 50
    assert cap.usable == 1000 - 251
    assert_adds_up(cap)


def test_overlapping_administered_and_system_rows_are_counted_once():
    cap = count([], [exclusion(50000, 50099, administered=True), exclusion(50050, 50149)])
    assert (cap.excluded_administered, cap.excluded_system, cap.excluded) == (100, 50, 150)


def test_only_rows_of_the_same_protocol_and_ip_version_count():
    rows = [tcp(50001, version=6, local="::1"), udp(50002), tcp(50003)]
    assert count(rows).in_use == 1
    udp_cap = count(rows, combo=("ipv4", "udp"))
    assert udp_cap.in_use_by_state == {"UDP": 1}
    assert udp_cap.time_wait_seconds is None and udp_cap.connections_per_second is None
    v6 = count(rows, combo=("ipv6", "tcp"))
    assert v6.in_use == 1


def test_listeners_in_range_are_tcp_listeners_only():
    rows = [tcp(50100, "LISTENING", pid=5), udp(50101), tcp(50102, "BOUND", pid=6), tcp(8080, "LISTENING", pid=7)]
    assert count(rows).listeners_in_range == ((50100, 5),)


def test_connections_per_second_is_free_ports_over_time_wait_seconds():
    rows = [tcp(50000 + i, "TIME_WAIT", pid=0) for i in range(400)]
    cap = count(rows, seconds=30)
    assert cap.free == 600
    assert cap.connections_per_second == 20.0
    assert cap.percent_free == 60.0


def test_pid_ranking_puts_the_biggest_holder_first():
    rows = [tcp(50000 + i, pid=11) for i in range(30)] + [tcp(50100 + i, pid=22) for i in range(50)] + [tcp(50200, "TIME_WAIT", pid=0)]
    assert count(rows).ports_by_pid[:2] == ((22, 50), (11, 30))


def test_to_dict_reports_the_same_figures():
    rows = [tcp(50001), tcp(50002, "TIME_WAIT", pid=0)]
    data = count(rows, [exclusion(50500, 50599)]).to_dict()
    assert data["range"] == {"start": 50000, "count": 1000, "end": 50999}
    assert data["in_use"]["total"] + data["free"] + data["excluded"]["total"] == 1000
    assert data["excluded"] == {"total": 100, "administered": 0, "system": 100, "winnat": 100}
    assert data["in_use"]["top_pids"][0]["ports"] == 1


@pytest.mark.parametrize("seed", range(5))
def test_random_tables_always_add_up(seed):
    rng = random.Random(seed)
    states = ["ESTABLISHED", "TIME_WAIT", "LISTENING", "BOUND", "CLOSE_WAIT", "FIN_WAIT_2"]
    rows = [tcp(rng.randint(49000, 51500), rng.choice(states), pid=rng.randint(0, 5)) for _index in range(3000)]
    rows += [udp(rng.randint(49000, 51500)) for _index in range(200)]
    exclusions = [exclusion(start, start + rng.randint(0, 150), rng.random() < 0.3) for start in rng.sample(range(49000, 51500), 6)]
    for combo in (V4_TCP, ("ipv4", "udp")):
        cap = count(rows, exclusions, combo=combo)
        assert_adds_up(cap)
        assert sum(ports for _pid, ports in cap.ports_by_pid) == cap.in_use


def _snapshot(registry):
    return HostSnapshot(20348, {V4_TCP: SMALL}, {V4_TCP: ()}, registry, ())


@pytest.mark.parametrize("registry, seconds, source", [
    ({}, 120, "default"),
    ({"TcpTimedWaitDelay": 30}, 30, "registry"),
    ({"TcpTimedWaitDelay": 2}, 2, "registry"),
    ({"TcpTimedWaitDelay": 0}, 120, "default"),
    ({"TcpTimedWaitDelay": 1000}, 120, "default"),
])
def test_time_wait_comes_from_the_registry_when_valid(registry, seconds, source):
    waiting = capacity.time_wait(_snapshot(registry))
    assert (waiting.seconds, waiting.source) == (seconds, source)
    assert str(seconds) in waiting.note or "120" in waiting.note


def test_host_capacity_uses_the_registry_time_wait():
    caps = capacity.host_capacity(_snapshot({"TcpTimedWaitDelay": 30}))
    assert caps[V4_TCP].time_wait_seconds == 30


def test_a_legacy_snapshot_has_no_capacity():
    assert capacity.host_capacity(HostSnapshot(3790, {}, {}, {}, ())) == {}
