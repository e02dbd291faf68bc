# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_port_info against simulated hosts (portscale_winsim, through its shell layer): the numbers add up to the
simulator's own free-port count, findings fire on loaded and misconfigured hosts and not on idle ones, and the
read costs one command execution (two only where netstat has no ``-q``)."""

from __future__ import annotations

import time

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import port_info
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError
from portscale_winsim.model import HostModel
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import run_action
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.sim_host import SimHost

COMBOS = {"ipv4_tcp": (4, "tcp"), "ipv4_udp": (4, "udp"), "ipv6_tcp": (6, "tcp"), "ipv6_udp": (6, "udp")}


def info(model):
    host = SimHost(model)
    return port_info.run(host.execute), host


def codes(result):
    return [f["code"] for f in result["findings"]]


@pytest.mark.parametrize("load", ["none", "idle", "busy", "heavy"])
@pytest.mark.parametrize("hyperv", [False, True])
def test_the_numbers_add_up_and_match_the_hosts_free_ports(load, hyperv):
    model = HostModel.create("h", profile="server2022", load=load, hyperv=hyperv)
    result, host = info(model)
    assert len(host.scripts) == 1 and result["command_executions"] == 1 and result["bound_sockets_listed"]
    for key, (ip_version, protocol) in COMBOS.items():
        cap = result["capacity"][key]
        assert cap["in_use"]["total"] + cap["free"] + cap["excluded"]["total"] == cap["range"]["count"]
        assert sum(cap["in_use"]["by_state"].values()) == cap["in_use"]["total"]
        assert cap["free"] == len(model.free_ports(ip_version, protocol)), key
        assert cap["excluded"]["administered"] + cap["excluded"]["system"] == cap["excluded"]["total"]
    assert result["changed"] is False


def test_an_idle_default_host_has_no_warnings():
    result, _host = info(HostModel.create("h", profile="server2022", load="idle"))
    assert [f for f in result["findings"] if f["severity"] != "info"] == []
    assert result["capacity"]["ipv4_tcp"]["connections_per_second"] == round(result["capacity"]["ipv4_tcp"]["free"] / 120, 1)


def test_a_busy_host_shows_low_headroom_and_time_wait():
    result, _host = info(HostModel.create("h", profile="server2022", load="busy"))
    assert set(codes(result)) == {"headroom_low", "time_wait_dominates"}
    v4 = result["capacity"]["ipv4_tcp"]
    assert v4["in_use"]["by_state"] == {"TIME_WAIT": 12000, "ESTABLISHED": 2000, "BOUND": 20, "LISTENING": 6}
    assert v4["in_use"]["top_pids"][0] == {"pid": 0, "ports": 12000, "percent_of_range": 73.2, "name": None}
    assert v4["in_use"]["top_pids"][1]["pid"] == 3120 and v4["in_use"]["top_pids"][1]["name"] == "w3wp.exe"
    assert v4["listeners_in_range"]["count"] == 6
    assert result["top_processes"][1]["pid"] == 3120 and result["top_processes"][1]["name"] == "w3wp.exe"
    # Busy, not exhausted: the System log holds no Tcpip event.
    assert result["exhaustion_events"]["read"] and result["exhaustion_events"]["total"] == 0


def test_a_heavy_host_is_critical():
    result, _host = info(HostModel.create("h", profile="server2022", load="heavy"))
    assert "headroom_critical" in codes(result)
    assert result["findings"][0]["severity"] == "critical"


def test_a_host_that_ran_out_reports_its_events_and_the_process_holding_the_ports_in_one_execution():
    """Issue 17's done-when: exhausted within the window -> the Tcpip events and the name of the top holder, one execution."""
    model = HostModel.create("h", profile="server2016", load="heavy")
    result, host = info(model)
    assert len(host.scripts) == 1 and result["command_executions"] == 1
    events = result["exhaustion_events"]
    assert events["read"] and events["days"] == 7 and events["note"] is None
    assert {key: entry["count"] for key, entry in events["by_event_id"].items()} == {"4227": 1, "4231": 1}
    assert events["by_event_id"]["4231"]["first"] == events["by_event_id"]["4231"]["last"] == events["last"]
    assert events["last"].endswith("Z") and events["total"] == 2
    holder = next(row for row in result["top_processes"] if row["pid"] > 0)
    assert holder == {**holder, "pid": 3120, "name": "w3wp.exe"}
    seen = next(f for f in result["findings"] if f["code"] == "exhaustion_events_seen")
    assert seen["severity"] == "critical" and "w3wp.exe (PID 3120)" in seen["message"] and "4231" in seen["message"]


def test_the_process_holding_most_of_a_range_is_named_in_the_finding():
    model = HostModel.create("h", profile="server2022", load={"apps": [{"pid": 5000, "established": 9000, "image": "leaky.exe"}]})
    result, _host = info(model)
    leak = next(f for f in result["findings"] if f["code"] == "process_holds_most_ports")
    assert "ipv4_tcp: leaky.exe (PID 5000) holds 9000" in leak["message"]


def test_events_outside_the_window_are_not_reported_and_older_ones_are_a_warning():
    model = HostModel.create("h", profile="server2022", load="idle")
    now_ms = int(time.time() * 1000)
    model.log_tcpip_event(4231, now_ms - 10 * 86_400_000)      # outside 7 days
    result, _host = info(model)
    assert result["exhaustion_events"]["total"] == 0 and "exhaustion_events_seen" not in codes(result)
    model.log_tcpip_event(4231, now_ms - 3 * 86_400_000)       # inside, but three days old
    result, _host = info(model)
    assert result["exhaustion_events"]["by_event_id"]["4231"]["count"] == 1
    assert next(f for f in result["findings"] if f["code"] == "exhaustion_events_seen")["severity"] == "warning"
    host = SimHost(model)
    wide = port_info.run(host.execute, 30)
    assert wide["exhaustion_events"]["by_event_id"]["4231"]["count"] == 2 and wide["exhaustion_events"]["days"] == 30
    assert "timediff(@SystemTime) <= 2592000000" in host.scripts[0]


def test_an_unreadable_log_is_a_note_not_a_failure():
    """A UAC-filtered token cannot read the System log: wevtutil's access denied becomes a note with its exit code."""
    model = HostModel.create("h", profile="server2022", load="heavy", elevated=False)
    result, host = info(model)
    assert len(host.scripts) == 1 and "failed" not in result
    events = result["exhaustion_events"]
    assert events["read"] is False and events["total"] == 0 and "exit code 5" in events["note"]
    assert events["by_event_id"]["4231"] == {**events["by_event_id"]["4231"], "read": False, "count": None}
    assert "exhaustion_events_unreadable" in codes(result) and "exhaustion_events_seen" not in codes(result)
    assert result["top_processes"][1]["name"] == "w3wp.exe"


@pytest.mark.parametrize("days", [0, 366, -1, True, "7x"])
def test_events_days_is_checked_before_any_remote_call(days):
    host = SimHost(HostModel.create("h", profile="server2022"))
    with pytest.raises(TcpipValueError, match="events_days"):
        port_info.run(host.execute, days)
    assert host.scripts == []


def test_winnat_reservations_are_reported_as_system_exclusions_inside_the_range():
    result, _host = info(HostModel.create("h", profile="server2022", load="idle", hyperv=True))
    v4 = result["capacity"]["ipv4_tcp"]
    assert v4["excluded"]["winnat"] >= 100 and v4["excluded"]["administered"] == 0
    assert "system_reservations_in_range" in codes(result)
    kinds = {row["kind"] for row in result["exclusions"]["ipv4_tcp"]}
    assert "winnat" in kinds


def test_max_user_port_written_after_boot_is_pending_then_in_effect_after_a_reboot():
    model = HostModel.create("h", profile="server2022", load="idle")
    model.set_registry_value("MaxUserPort", "REG_DWORD", 65534)
    result, _host = info(model)
    assert {"max_user_port_rewrites_range", "max_user_port_pending"} <= set(codes(result))
    assert result["registry"]["MaxUserPort"]["pending"] is True
    assert result["registry"]["MaxUserPort"]["tcp_range_at_next_boot"] == {"start": 1024, "count": 64511, "end": 65534}
    model.reboot()
    result, _host = info(model)
    assert "max_user_port_in_effect" in codes(result) and "max_user_port_pending" not in codes(result)
    assert result["ranges"]["ipv4_tcp"] == {"start": 1024, "count": 64511, "end": 65534}
    assert result["registry"]["MaxUserPort"]["pending"] is False


def test_time_wait_delay_from_the_registry_sets_the_rate():
    model = HostModel.create("h", profile="server2022", load="busy")
    model.set_registry_value("TcpTimedWaitDelay", "REG_DWORD", 30)
    result, _host = info(model)
    assert result["time_wait"]["seconds"] == 30 and result["time_wait"]["source"] == "registry"
    assert result["capacity"]["ipv4_tcp"]["connections_per_second"] == round(result["capacity"]["ipv4_tcp"]["free"] / 30, 1)
    assert "time_wait_delay_set" in codes(result)


def test_a_small_range_is_reported():
    model = HostModel.create("h", profile="server2022", load="idle")
    model.set_dynamic_range(4, "tcp", 60000, 1000, "persistent")
    result, _host = info(model)
    assert "range_smaller_than_default" in codes(result)


@pytest.mark.parametrize("profile", ["server2012r2", "server2008r2"])
def test_without_netstat_q_a_second_execution_reads_netstat_ano(profile):
    model = HostModel.create("h", profile=profile, load="busy")
    result, host = info(model)
    assert len(host.scripts) == 2 and result["command_executions"] == 2
    assert result["bound_sockets_listed"] is False and "bound_sockets_not_listed" in codes(result)
    v4 = result["capacity"]["ipv4_tcp"]
    # The 20 BOUND sockets are invisible to netstat -ano: the free figure is that much too high.
    assert v4["free"] == len(model.free_ports(4, "tcp")) + 20
    assert v4["in_use"]["total"] + v4["free"] + v4["excluded"]["total"] == v4["range"]["count"]


def test_legacy_host_reports_no_capacity_but_says_why():
    model = HostModel.create("h", profile="server2003", load="idle")
    result, _host = info(model)
    assert result["dynamic_port_ranges_supported"] is False and result["capacity"] == {}
    assert "no_dynamic_port_range" in codes(result)
    # No wevtutil before Vista: a note, not a failure; tasklist exists there.
    assert result["exhaustion_events"]["read"] is False and "no wevtutil" in result["exhaustion_events"]["note"]
    assert result["processes_listed"] is True


def test_through_the_action_plugin_in_check_mode_too():
    model = HostModel.create("h", profile="server2022", load="busy")
    for check_mode in (False, True):
        result, connection = run_action("win_port_info", {}, SimHost(model), check_mode=check_mode)
        assert not result.get("failed"), result.get("msg")
        assert len(connection.command_lines) == 1
        assert result["capacity"]["ipv4_tcp"]["free"] == len(model.free_ports(4, "tcp"))


def test_the_action_plugin_refuses_unknown_options_before_any_remote_call():
    host = SimHost(HostModel.create("h"))
    with pytest.raises(AnsibleActionFail, match="bogus"):
        run_action("win_port_info", {"bogus": 1}, host)
    assert host.scripts == []
