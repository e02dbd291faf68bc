# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Port reuse in the probe emulation (issue 13, item 11): where SO_REUSE_UNICASTPORT exists (Windows 10 / Server 2016
and later; 2012 R2 only with KB 3149157), connect() without an explicit bind has it set by default, so the probe towards
its own destination may also take ports that connections to other destinations hold; a 4-tuple never repeats."""

from __future__ import annotations

import copy
import json

import pytest

from portscale_winsim import probe
from portscale_winsim.model import HostModel, PROFILES


def params(**changes):
    base = {"schema": 1, "count": 100, "timeout_ms": 600000, "target_host": "127.0.0.1", "target_port": 0,
            "reuse_unicast_port": False, "port_scalability": False, "local_addresses": [], "ip_version": 4}
    base.update(changes)
    return base


def implicit_load(remote="192.0.2.10:1433", established=3000, churn=100.0, bound=20, listen=(8080,)):
    """The busy preset's app, but its client sockets connect without an explicit bind."""
    return {"apps": [{"pid": 3120, "listen": list(listen), "established": established, "churn_per_sec": churn,
                      "remote": remote, "bound": bound, "implicit_bind": True}]}


def reusable_count(model, ip_version=4):
    return sum(len(g.ports) for g in model.connection_groups("tcp", ip_version) if g.reusable)


# ------------------------------------------------------------------ the SO_REUSE_UNICASTPORT floor


def test_the_2012r2_profile_names_kb3149157_and_defaults_to_a_host_without_it():
    profile = PROFILES["server2012r2"]
    assert profile.reuse_unicast_port is False and profile.reuse_unicast_port_update == "KB3149157"
    assert profile.reuse_unicast_port_update_default is False
    assert all(PROFILES[key].reuse_unicast_port_update is None for key in PROFILES if key != "server2012r2")
    assert HostModel.create("a", profile="server2012r2").reuse_unicast_port is False
    assert HostModel.create("b", profile="server2012r2", reuse_update=True).reuse_unicast_port is True
    assert HostModel.create("c", profile="server2016").reuse_unicast_port is True
    assert HostModel.create("d", profile="server2008r2").reuse_unicast_port is False


def test_on_2012r2_the_option_is_accepted_only_with_the_update():
    without = HostModel.create("a", profile="server2012r2", load="busy")
    refused = probe.run_probe(without, params(reuse_unicast_port=True))
    assert (refused["opened"], refused["error"]["code"], refused["error"]["name"]) == (0, 10042, "ProtocolOption")
    updated = HostModel.create("b", profile="server2012r2", load="busy", reuse_update=True)
    pool = len(updated.free_ports(4)) - 1
    addresses = ["127.0.0.1", "127.0.0.2"]
    result = probe.run_probe(updated, params(count=200000, reuse_unicast_port=True, local_addresses=addresses))
    assert result["opened"] == 2 * pool and result["error"]["code"] == 10048
    # Setting the flag on a live model works the same way (the field the state file keeps).
    without.reuse_unicast_port_update = True
    assert probe.run_probe(without, params(reuse_unicast_port=True))["opened"] == 100


def test_the_update_flag_survives_the_state_file_and_is_refused_where_it_means_nothing():
    model = HostModel.create("a", profile="server2012r2", reuse_update=True)
    again = HostModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again.reuse_unicast_port_update is True and again.reuse_unicast_port
    for profile in ("server2016", "server2008r2", "win11"):
        with pytest.raises(ValueError, match="SO_REUSE_UNICASTPORT"):
            HostModel.create("x", profile=profile, reuse_update=True)
    data = HostModel.create("y", profile="server2022").to_dict()
    data["reuse_unicast_port_update"] = False
    with pytest.raises(ValueError, match="built in"):
        HostModel.from_dict(data)


# ------------------------------------------------------------------ connect() without a bind, per destination


def test_implicit_bind_connections_are_marked_reusable_and_presets_are_not():
    model = HostModel.create("a", load=implicit_load())
    states = {g.state for g in model.connections if g.reusable}
    assert states == {"ESTABLISHED", "TIME_WAIT"}                      # BOUND and listeners never
    assert reusable_count(model) == 3000 + 12000
    for preset in ("idle", "busy", "heavy"):
        assert not any(g.reusable for g in HostModel.create("p", load=preset).connections)


def test_the_implicit_probe_towards_its_own_listener_may_take_ports_held_towards_other_destinations():
    model = HostModel.create("a", profile="server2022", load=implicit_load())
    free = len(model.free_ports(4))
    result = probe.run_probe(model, params(count=200000))
    # A new destination: every port held only by the app's connections (ESTABLISHED and TIME_WAIT towards
    # 192.0.2.10:1433) has another 4-tuple, so it may serve the probe too; listeners and BOUND sockets do not.
    assert result["opened"] == result["first_failure_index"] == free - 1 + reusable_count(model)
    assert result["error"]["code"] == 10055 and result["closed"] == result["opened"]
    assert result["listener_port"] == model.free_ports(4)[0]          # the listener's explicit bind takes a free port


def test_without_the_option_the_same_load_leaves_the_probe_the_free_ports_only():
    for model in (HostModel.create("a", profile="server2012r2", load=implicit_load()),     # no KB 3149157
                  HostModel.create("b", profile="server2008r2", load=implicit_load())):
        free = len(model.free_ports(4))
        result = probe.run_probe(model, params(count=200000))
        assert result["opened"] == free - 1 and result["error"]["code"] == 10055
    updated = HostModel.create("c", profile="server2012r2", load=implicit_load(), reuse_update=True)
    result = probe.run_probe(updated, params(count=200000))
    assert result["opened"] == len(updated.free_ports(4)) - 1 + reusable_count(updated)


def test_an_explicit_bind_without_the_option_shares_nothing():
    model = HostModel.create("a", load=implicit_load())
    free = len(model.free_ports(4))
    plain = probe.run_probe(model, params(count=200000, local_addresses=["127.0.0.1", "127.0.0.2"]))
    assert plain["opened"] == free - 1
    scal = probe.run_probe(model, params(count=200000, local_addresses=["127.0.0.1", "127.0.0.2"], port_scalability=True))
    assert scal["opened"] == 2 * (free - 1)
    reuse = probe.run_probe(model, params(count=200000, local_addresses=["127.0.0.1", "127.0.0.2"], reuse_unicast_port=True))
    assert reuse["opened"] == 2 * (free - 1 + reusable_count(model)) and reuse["error"]["code"] == 10048


def test_ports_held_towards_the_probes_own_destination_are_never_reused():
    # The app connects to its own listener on loopback: ESTABLISHED and TIME_WAIT rows towards 127.0.0.1:8080. A probe
    # to that same endpoint would repeat their 4-tuples (TIME_WAIT blocks exactly its own 4-tuple), so it gets the free
    # ports only; a probe to a new destination (its own listener) may share them.
    model = HostModel.create("a", load=implicit_load(remote="127.0.0.1:8080"))
    free = len(model.free_ports(4))
    same = probe.run_probe(model, params(count=200000, target_port=8080))
    assert same["opened"] == free and same["target"] == "127.0.0.1:8080"
    other = probe.run_probe(model, params(count=200000))
    assert other["opened"] == free - 1 + reusable_count(model)


def test_reuse_stays_inside_the_range_and_outside_exclusions():
    model = HostModel.create("a", load=implicit_load())
    dyn = model.dynamic_range(4, "tcp")
    reusable = probe.reusable_ports(model, 4, ("127.0.0.1", 1))
    assert reusable and all(dyn.contains(p) for p in reusable)
    held = {p for g in model.connection_groups("tcp", 4) if not g.reusable for p in g.ports}
    assert not reusable & held and not reusable & set(model.free_ports(4))
    model.set_dynamic_range(4, "tcp", 60000, 5536, "active")            # the range moves; held ports below 60000 drop out
    assert all(p >= 60000 for p in probe.reusable_ports(model, 4, ("127.0.0.1", 1)))


def test_the_reuse_probe_is_bounded_and_changes_nothing():
    model = HostModel.create("a", load=implicit_load(established=8000, churn=0.0))
    before = copy.deepcopy(model.to_dict())
    capped = probe.run_probe(model, params(count=probe.MAX_COUNT, local_addresses=[f"127.0.0.{i}" for i in range(1, 65)],
                                           reuse_unicast_port=True))
    assert capped["opened"] <= probe.MAX_COUNT and capped["requested"] == probe.MAX_COUNT
    timed = probe.run_probe(model, params(count=200000, timeout_ms=50))
    assert timed["timed_out"] and timed["opened"] == 200
    assert model.to_dict() == before
