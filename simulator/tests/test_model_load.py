# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load placement: presets, the dict form, free-port arithmetic, and what happens when the range moves."""

from __future__ import annotations

import pytest

from portscale_winsim.model import HostModel


def tcp4(model, state=None):
    return [p for g in model.connection_groups("tcp", 4) if state is None or g.state == state for p in g.ports]


def test_idle_listeners():
    model = HostModel.create("win01")
    listening = {(g.local_address, g.ports[0], g.pid) for g in model.connection_groups("tcp", 4) if g.state == "LISTENING"}
    assert {("0.0.0.0", 135, 1044), ("0.0.0.0", 445, 4), ("0.0.0.0", 5985, 4), ("0.0.0.0", 47001, 4)} <= listening
    rpc = sorted(port for dummy_addr, port, dummy_pid in listening if port >= 49152)
    assert rpc == [49664, 49665, 49666, 49667, 49668, 49669]
    assert {g.ports[0] for g in model.connection_groups("tcp", 6) if g.state == "LISTENING"} == {135, 445, 5985, 47001, *rpc}
    assert len(model.free_ports(4)) == 16384 - 6


def test_free_ports_is_range_minus_exclusions_minus_use():
    model = HostModel.create("hv", hyperv=True, load="busy")
    rng = model.dynamic_range(4, "tcp")
    excluded = {p for r in model.exclusion_rows(4, "tcp") for p in range(r.start, r.end + 1)}
    used = set(tcp4(model))
    expected = [p for p in range(rng.start, rng.end + 1) if p not in excluded and p not in used]
    assert model.free_ports(4) == expected


def test_busy_preset_numbers():
    model = HostModel.create("win01", load="busy")
    assert len(tcp4(model, "ESTABLISHED")) == 2000 and len(tcp4(model, "TIME_WAIT")) == 100 * 120
    assert len(tcp4(model, "BOUND")) == 20
    assert 2000 < len(model.free_ports(4)) < 4000
    time_wait = [g for g in model.connection_groups("tcp", 4) if g.state == "TIME_WAIT"]
    assert all(g.pid == 0 and g.remote_address == "192.0.2.10" and g.remote_port == 1433 for g in time_wait)


def test_heavy_preset_exhausts_the_range():
    model = HostModel.create("win01", load="heavy")
    assert model.free_ports(4) == []
    rng = model.dynamic_range(4, "tcp")
    assert all(rng.contains(p) for g in model.connection_groups("tcp", 4) if g.state != "LISTENING" for p in g.ports)


def test_placement_avoids_exclusions_and_is_deterministic():
    one = HostModel.create("a", hyperv=True, load="busy", seed=3)
    two = HostModel.create("a", hyperv=True, load="busy", seed=3)
    assert one.connections == two.connections
    blocked = {p for r in one.exclusion_rows(4, "tcp") for p in range(r.start, r.end + 1)}
    assert not blocked & set(tcp4(one, "ESTABLISHED") + tcp4(one, "TIME_WAIT"))
    other = HostModel.create("a", hyperv=True, load="busy", seed=4)
    assert other.connections != one.connections


def test_existing_rows_keep_ports_when_range_changes_until_reboot():
    model = HostModel.create("win01", load="busy")
    before = sorted(tcp4(model, "ESTABLISHED"))
    model.set_dynamic_range(4, "tcp", 10000, 5000, "persistent")
    assert sorted(tcp4(model, "ESTABLISHED")) == before
    assert len(model.free_ports(4)) == 5000          # nothing of the load is inside the new range
    model.reboot()
    assert all(10000 <= p < 15000 for p in tcp4(model, "ESTABLISHED") + tcp4(model, "TIME_WAIT"))
    assert model.free_ports(4) == []                # 2000 + 12000 demand > 5000 ports


def test_dict_load_and_validation():
    model = HostModel.create("win01", load="none")
    assert model.connections == []
    model.set_load({"system": False, "apps": [{"pid": 77, "listen": [8443], "established": 5, "remote": "[2001:db8::10]:443", "ip_version": 6}]})
    groups = model.connection_groups("tcp", 6)
    assert {(g.state, len(g.ports)) for g in groups} == {("LISTENING", 1), ("ESTABLISHED", 5)}
    model.set_load({"preset": "idle", "apps": [{"pid": 5, "churn_per_sec": 1.5}]})
    assert len(tcp4(model, "TIME_WAIT")) == 180
    for bad in ({"apps": [{"pid": 1, "bogus": 1}]}, {"apps": [{"pid": 1, "remote": "192.0.2.1"}]},
                {"apps": [{"pid": 1, "listen": [445]}]}, {"apps": [{"pid": "x"}]}, {"apps": [{"pid": 1, "ip_version": 5}]},
                {"extra": True}, 42):
        with pytest.raises(ValueError):
            model.set_load(bad)


def test_time_wait_capped_by_free_ports():
    model = HostModel.create("win01", load={"system": False, "apps": [{"pid": 1, "churn_per_sec": 1000.0}]})
    assert len(tcp4(model, "TIME_WAIT")) == 16384 and model.free_ports(4) == []


def test_rejected_load_leaves_the_host_unchanged():
    model = HostModel.create("win01", load="busy")
    before = model.to_dict()
    with pytest.raises(ValueError, match="already listened"):
        model.set_load({"preset": "idle", "apps": [{"pid": 9, "listen": [135]}]})
    assert model.to_dict() == before


def test_app_listening_inside_the_range_survives_reboots():
    model = HostModel.create("win01", load={"preset": "idle", "apps": [{"pid": 9, "listen": [49664]}]})
    model.reboot()
    owners = {g.pid for g in model.connection_groups("tcp", 4) if 49664 in g.ports}
    assert owners == {9}
