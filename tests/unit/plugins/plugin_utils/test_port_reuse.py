# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Port reuse (issue 13, item 11): the capacity figures are per destination (remote address and port), bounded below by
the free ports and above by what Windows may reuse; the probe's prediction holds on simulated hosts whether or not the
load's sockets allow reuse; SO_REUSE_UNICASTPORT exists on 2012 R2 only with KB 3149157."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.modules.win_port_probe import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import capacity, findings, port_info, probe
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.argspec import argument_spec_from_doc
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParsedConnection
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange
from portscale_winsim.model import HostModel
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.sim_host import SimHost

DEFAULTS = {name: spec.get("default") for name, spec in argument_spec_from_doc(DOCUMENTATION).items()}
V4_TCP = ("ipv4", "tcp")
SMALL = PortRange(50000, 1000)   # 50000-50999
DB = ("192.0.2.10", 1433)
API = ("198.51.100.20", 443)


def tcp(port, state="ESTABLISHED", remote=DB, pid=100, version=4, local="10.0.0.5"):
    listener = state == "LISTENING"
    remote_address, remote_port = ("0.0.0.0", 0) if listener or state == "BOUND" else remote
    return ParsedConnection("TCP", local, port, remote_address, remote_port, state, state, listener, pid, version)


def count(rows, build=20348, port_range=SMALL, combo=V4_TCP):
    return capacity.range_capacity(combo, port_range, (), rows, 120, build)


def implicit_load(remote="192.0.2.10:1433", established=3000, churn=100.0):
    return {"apps": [{"pid": 3120, "listen": [8080], "established": established, "churn_per_sec": churn, "remote": remote,
                      "bound": 20, "implicit_bind": True}]}


def run_probe(model, **args):
    host = SimHost(model)
    return probe.run(host.execute, {**DEFAULTS, **args}, False)


# ------------------------------------------------------------------ which builds may reuse ports


@pytest.mark.parametrize("build, expected", [(7601, "none"), (9200, "with_update"), (9600, "with_update"), (10240, "built_in"),
                                             (14393, "built_in"), (26100, "built_in"), (None, "none")])
def test_port_reuse_follows_the_documented_floor(build, expected):
    # SO_REUSE_UNICASTPORT: Windows 10 / Server 2016 built in; 8.1 / 2012 R2 with KB 3149157, 8 / 2012 with hotfix 3014399.
    assert capacity.port_reuse(build) == expected


# ------------------------------------------------------------------ per-destination bounds from the connection table


def test_ports_held_only_by_connections_are_reusable_towards_other_destinations():
    rows = [tcp(50001), tcp(50002, "TIME_WAIT", pid=0), tcp(50003, remote=API), tcp(50004, "TIME_WAIT", remote=API, pid=0),
            tcp(50005, "LISTENING"), tcp(50005, remote=("203.0.113.7", 61000)),       # an accepted connection on a listener
            tcp(50006, "BOUND"), tcp(50007), tcp(50007, remote=API)]                  # 50007 serves both destinations
    cap = count(rows)
    assert cap.free == 1000 - 7 and cap.reusable == 5                                 # 50001-50004 and 50007
    assert cap.destination_ports == (("192.0.2.10:1433", 3), ("198.51.100.20:443", 3))
    assert cap.ports_at_most() == cap.free + 5                                        # a destination no row goes to
    assert cap.ports_at_most("192.0.2.10:1433") == cap.free + 2                       # 50003 and 50004 only
    per = cap.to_dict()["per_destination"]
    assert per == {
        "ports_at_least": 993, "ports_at_most": 998, "reusable_ports": 5, "port_reuse": "built_in", "destinations": 2,
        "top_destinations": [{"destination": "192.0.2.10:1433", "ports": 3, "ports_at_most": 995},
                             {"destination": "198.51.100.20:443", "ports": 3, "ports_at_most": 995}],
        "connections_per_second_at_least": round(993 / 120, 1), "connections_per_second_at_most": round(998 / 120, 1)}
    assert cap.to_dict()["connections_per_second"] == per["connections_per_second_at_least"]   # the old key keeps its value


def test_before_so_reuse_unicastport_the_bounds_meet():
    cap = count([tcp(50001), tcp(50002, remote=API)], build=7601)
    per = cap.to_dict()["per_destination"]
    assert per["ports_at_least"] == per["ports_at_most"] == 998 and per["port_reuse"] == "none" and per["reusable_ports"] == 2


def test_udp_has_no_per_destination_figures_and_ipv6_destinations_are_bracketed():
    udp = ParsedConnection("UDP", "0.0.0.0", 50001, "*", None, "", None, True, 7, 4)
    assert count([udp], combo=("ipv4", "udp")).to_dict()["per_destination"] is None
    v6 = count([tcp(50001, remote=("2001:db8::10", 443), version=6, local="2001:db8::5")], combo=("ipv6", "tcp"))
    assert v6.destination_ports == (("[2001:db8::10]:443", 1),)


def test_the_headroom_finding_says_its_figures_are_per_destination():
    rows = [tcp(50000 + i, "TIME_WAIT", pid=0) for i in range(900)]
    found = findings.capacity_findings({V4_TCP: count(rows)})
    headroom = next(f for f in found if f.code == "headroom_low")
    assert "to a destination the ports in use already serve" in headroom.message
    assert "per destination (remote address and port)" in headroom.message and "up to 900 ports" in headroom.message
    old = findings.capacity_findings({V4_TCP: count(rows, build=7601)})
    assert "per destination" not in next(f for f in old if f.code == "headroom_low").message
    waiting = next(f for f in found if f.code == "time_wait_dominates")
    assert "same local and remote address and port" in waiting.message


# ------------------------------------------------------------------ the probe's prediction


def test_the_probe_predicts_bounds_towards_its_target():
    cap = count([tcp(50000 + i, "TIME_WAIT", pid=0) for i in range(600)] + [tcp(50700, "LISTENING")])
    free = cap.free                                                                    # 399
    own = probe.expected_capacity(probe.request_from_args({**DEFAULTS}), cap)
    assert own == {"at_least": free - 1, "at_most": free - 1 + 600}                    # its own listener is a new destination
    served = probe.expected_capacity(probe.request_from_args({**DEFAULTS, "target_host": "192.0.2.10", "target_port": 1433}), cap)
    assert served == {"at_least": free, "at_most": free}                               # every reusable port already serves it
    bound = probe.request_from_args({**DEFAULTS, "local_addresses": ["127.0.0.1", "127.0.0.2"]})
    assert probe.expected_capacity(bound, cap) == {"at_least": free - 1, "at_most": free - 1}    # explicit binds share nothing
    scal = probe.request_from_args({**DEFAULTS, "local_addresses": ["127.0.0.1", "127.0.0.2"], "port_scalability": True})
    assert probe.expected_capacity(scal, cap) == {"at_least": 2 * (free - 1), "at_most": 2 * (free - 1)}
    reuse = probe.request_from_args({**DEFAULTS, "local_addresses": ["127.0.0.1", "127.0.0.2"], "reuse_unicast_port": True})
    assert probe.expected_capacity(reuse, cap) == {"at_least": 2 * (free - 1), "at_most": 2 * (free - 1 + 600)}
    assert probe.expected_capacity(probe.request_from_args({**DEFAULTS}), cap, bound_sockets_listed=False)["at_least"] is None


@pytest.mark.parametrize("load", ["busy", "heavy", "implicit"])
@pytest.mark.parametrize("profile", ["server2022", "server2016", "win11"])
def test_on_simulated_hosts_the_probe_lands_inside_the_predicted_bounds(profile, load):
    model = HostModel.create("h", profile=profile, load=implicit_load() if load == "implicit" else load)
    result = run_probe(model, count=200000, allow_exhaustion=True)
    expected = result["capacity_towards_target"]
    assert expected["at_least"] <= result["opened"] <= expected["at_most"]
    if result["opened"] > 0:
        assert result["error"]["code"] == 10055 and result["first_failure_index"] == result["opened"]
    if load != "implicit":
        assert result["opened"] == expected["at_least"]                                # sockets that bound first share nothing


def test_a_probe_to_a_new_destination_may_outlast_the_free_ports_and_says_what_it_expected():
    model = HostModel.create("h", profile="server2022", load=implicit_load())
    free = len(model.free_ports(4, "tcp"))
    result = run_probe(model, count=200000, fail_below=200000, allow_exhaustion=True)
    assert result["opened"] > free - 1 == result["capacity_towards_target"]["at_least"]
    assert result["opened"] <= result["capacity_towards_target"]["at_most"]
    assert result["failed"] and f"No ephemeral port was left for connections to {result['target']}" in result["msg"]
    assert f"the read predicted {free - 1} to {result['capacity_towards_target']['at_most']} towards it" in result["msg"]
    # Towards an endpoint the load's connections already serve, the prediction and the burst are the free ports.
    served = HostModel.create("s", profile="server2022", load=implicit_load(remote="127.0.0.1:8080"))
    result = run_probe(served, count=200000, target_port=8080, allow_exhaustion=True)
    assert result["opened"] == len(served.free_ports(4, "tcp")) == result["capacity_towards_target"]["at_most"]


def test_check_mode_reports_the_prediction_without_probing():
    model = HostModel.create("h", profile="server2022", load=implicit_load())
    host = SimHost(model)
    result = probe.run(host.execute, {**DEFAULTS, "count": 10}, True)
    assert result["probed"] is False and result["capacity_towards_target"]["at_most"] > result["capacity_towards_target"]["at_least"]


def test_on_2012r2_the_option_needs_kb3149157():
    without = HostModel.create("h", profile="server2012r2", load="idle")
    refused = run_probe(without, count=10, reuse_unicast_port=True, allow_exhaustion=True)
    assert refused["failed"] and refused["error"]["code"] == 10042
    updated = HostModel.create("h", profile="server2012r2", load="idle", reuse_update=True)
    result = run_probe(updated, count=10, reuse_unicast_port=True, allow_exhaustion=True)
    assert not result.get("failed") and result["opened"] == 10
    # No netstat -q on this profile: BOUND sockets are not counted, so no floor is claimed; the ceiling still holds.
    assert result["capacity_towards_target"]["at_least"] is None


def test_win_port_info_names_the_destinations_that_hold_ports():
    result = port_info.run(SimHost(HostModel.create("h", profile="server2022", load=implicit_load())).execute)
    per = result["capacity"]["ipv4_tcp"]["per_destination"]
    assert per["top_destinations"][0]["destination"] == "192.0.2.10:1433"
    assert per["ports_at_least"] == result["capacity"]["ipv4_tcp"]["free"] < per["ports_at_most"]
    assert per["top_destinations"][0]["ports_at_most"] == per["ports_at_least"]        # all reusable ports serve it already
    assert result["capacity"]["ipv4_udp"]["per_destination"] is None
