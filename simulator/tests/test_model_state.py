# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HostModel construction, profiles, JSON round-trip, persistence and injected faults."""

from __future__ import annotations

import json

import pytest

from portscale_winsim.model import PROFILES, HostModel


def test_create_defaults():
    model = HostModel.create("win01")
    assert (model.profile, model.locale, model.elevated, model.hyperv) == ("server2022", "en-US", True, False)
    assert model.boot_count == 1 and model.boot_time > 116444736000000000
    assert model.counters == {"commands_run": 0, "native_commands": 0, "writes": 0}
    assert model.scheduled_reboot is None and model.oem_codepage == 437
    for ip_version in (4, 6):
        for proto in ("tcp", "udp"):
            for store in ("active", "persistent"):
                rng = model.dynamic_range(ip_version, proto, store)
                assert (rng.start, rng.count) == (49152, 16384)
    assert model.registry_value("MaxUserPort") is None and model.registry_value("TcpTimedWaitDelay") is None
    assert model.registry_value("hostname").data == "win01"
    assert model.effective.time_wait_delay == 120


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_boots_and_round_trips(profile):
    model = HostModel.create("p-" + profile, profile=profile, load="busy")
    again = HostModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again.to_dict() == model.to_dict()
    assert again == model


def test_legacy_profile_range_from_max_user_port():
    model = HostModel.create("old", profile="server2003")
    for proto in ("tcp", "udp"):
        rng = model.dynamic_range(4, proto)
        assert (rng.start, rng.count, rng.end) == (1025, 3976, 5000)   # docs/windows-facts.md §5.1 "1025 ... 3976"
    assert model.os.time_wait_min == 30 and not model.os.netstat_q
    assert not any(g.ip_version == 6 for g in model.connections)


def test_profile_facts():
    assert PROFILES["server2012r2"].time_wait_min == 2 and PROFILES["server2008r2"].time_wait_min == 30
    assert PROFILES["server2016"].netstat_q and PROFILES["win11"].netstat_q and not PROFILES["server2012r2"].netstat_q
    assert PROFILES["server2022"].build == 20348 and PROFILES["win11"].product_name == "Windows 10 Pro"
    assert all(not p.legacy for k, p in PROFILES.items() if k != "server2003")


def test_bad_arguments_fail():
    with pytest.raises(ValueError, match="unknown OS profile"):
        HostModel.create("x", profile="server2000")
    with pytest.raises(ValueError, match="unknown locale"):
        HostModel.create("x", locale="ja-JP")
    with pytest.raises(ValueError, match="winnat"):
        HostModel.create("x", profile="server2012r2", hyperv=True)
    with pytest.raises(ValueError, match="preset"):
        HostModel.create("x", load="massive")


def test_from_dict_rejects_unknown_and_wrong_types():
    data = HostModel.create("win01").to_dict()
    with pytest.raises(ValueError, match="unknown keys"):
        HostModel.from_dict({**data, "surprise": 1})
    with pytest.raises(ValueError, match="expected bool"):
        HostModel.from_dict({**data, "elevated": "yes"})
    with pytest.raises(ValueError, match="state_version"):
        HostModel.from_dict({**data, "state_version": 99})


def test_save_and_load_atomic(tmp_path):
    path = tmp_path / "win01.json"
    model = HostModel.create("win01", hyperv=True, load="busy")
    model.set_dynamic_range(4, "tcp", 10000, 5000, "active")
    model.save(str(path))
    assert [p.name for p in tmp_path.iterdir()] == ["win01.json"]   # no temp file left behind
    loaded = HostModel.load(str(path))
    assert loaded.to_dict() == model.to_dict() and not loaded.dirty


def test_dirty_is_not_persisted_and_set_by_changes():
    model = HostModel.create("win01")
    assert "dirty" not in model.to_dict()
    model.dirty = False
    model.set_registry_value("MaxUserPort", "REG_DWORD", 65534)
    assert model.dirty


def test_injected_faults_times_and_clear():
    model = HostModel.create("win01")
    model.inject_command_failure("netsh int ipv4 show", 7, stdout=b"x", times=2)
    assert model.take_fault("netstat -ano") is None
    assert model.take_fault("netsh int ipv4 show dynamicport tcp").exit_code == 7
    assert model.take_fault("NETSH INT IPV4 SHOW excluded tcp").exit_code == 7
    assert model.take_fault("netsh int ipv4 show dynamicport tcp") is None   # used up
    model.inject_command_failure("reg", 1)
    again = HostModel.from_dict(model.to_dict())
    assert again.take_fault("reg query x") is not None and again.take_fault("reg query x") is not None   # forever
    again.clear_faults()
    assert again.take_fault("reg query x") is None
    with pytest.raises(ValueError):
        model.inject_command_failure("", 1)
