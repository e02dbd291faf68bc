# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 14 item 3: a TcpTimedWaitDelay written without a reboot stays pending in later runs, with the rates from the
value in effect, until the host really reboots (reboot_state.py; the marker and the boot identity)."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import capacity, port_info, reboot_state, tcpip_parameters
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.converge import converge
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.findings import registry_findings
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import HostSnapshot, RegistryValue
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import commands
from portscale_winsim.model import HostModel
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.sim_host import SimHost

MARKER_KEY = "HKLM\\SOFTWARE\\portscale.tcpip"


def snapshot(registry=None, boot_id=7, markers=None, read=True):
    stored = {name: RegistryValue("REG_SZ", data) for name, data in (markers or {}).items()}
    return HostSnapshot(20348, {}, {}, dict(registry or {}), reboot_state_read=read, boot_id=boot_id, markers=stored)


# ---- the marker -----------------------------------------------------------------------------------------------------

def test_marker_data_is_built_from_integers_only_and_reads_back():
    data = commands.marker_data(4294967295, None, 30, False)
    assert data == "boot=4294967295:effective=absent:written=30:known=0"
    assert reboot_state.parse_marker(RegistryValue("REG_SZ", data)) == reboot_state.Marker(4294967295, None, 30, False)
    assert str(commands.set_marker("TcpTimedWaitDelay", data)) == f"reg add {MARKER_KEY} /v TcpTimedWaitDelay /t REG_SZ /d {data} /f"
    assert commands.set_marker("MaxUserPort", data).writes


@pytest.mark.parametrize("build", [
    lambda: commands.marker_data(-1, None, 30, True),
    lambda: commands.marker_data(None, None, 30, True),
    lambda: commands.marker_data(7, True, 30, True),
    lambda: commands.marker_data(7, None, "30; calc", True),
    lambda: commands.set_marker("TcpTimedWaitDelay", "boot=7:effective=absent:written=30:known=1 /f & calc"),
    lambda: commands.set_marker("Run", "boot=7:effective=absent:written=30:known=1"),
    lambda: commands.query_marker("Hostname"),
    lambda: commands.NativeCommand(("reg", "query", "HKLM\\A B C")),   # only the fixed boot identity path has two spaces
])
def test_anything_else_is_refused(build):
    with pytest.raises(commands.UnsafeCommandError):
        build()


def test_the_boot_identity_query_is_the_fixed_path_quoted_once():
    cmd = commands.query_boot_id()
    assert cmd.powershell() == ("& reg query 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\"
                                "PrefetchParameters' /v BootId")
    assert not cmd.writes


@pytest.mark.parametrize("stored", [
    RegistryValue("REG_DWORD", 30), RegistryValue("REG_SZ", "boot=7:effective=absent:written=30"),
    RegistryValue("REG_SZ", "boot=7:effective=absent:written=30:known=1 "), RegistryValue("REG_MULTI_SZ", ["x"]), None,
])
def test_a_marker_not_in_the_collections_format_is_not_trusted(stored):
    assert reboot_state.parse_marker(stored) is None


# ---- the state of one value -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("registry, boot_id, marker, state, effective, known", [
    # written this boot: pending, the recorded value in effect
    ({"TcpTimedWaitDelay": 30}, 7, "boot=7:effective=absent:written=30:known=1", "pending", None, True),
    ({"TcpTimedWaitDelay": 30}, 7, "boot=7:effective=120:written=30:known=0", "pending", 120, False),
    # written this boot, then put back to the value in effect: nothing waits
    ({}, 7, "boot=7:effective=absent:written=30:known=1", "in_effect", None, True),
    # someone else changed it this boot after the collection: still the recorded value in effect
    ({"TcpTimedWaitDelay": 60}, 7, "boot=7:effective=absent:written=30:known=1", "pending", None, True),
    # written before the last boot and unchanged since: in effect
    ({"TcpTimedWaitDelay": 30}, 8, "boot=7:effective=absent:written=30:known=1", "in_effect", 30, True),
    # written before the last boot, changed by someone else since: cannot be told
    ({"TcpTimedWaitDelay": 60}, 8, "boot=7:effective=absent:written=30:known=1", "unknown", 60, False),
    # never written by the collection, or no boot identity: cannot be told
    ({"TcpTimedWaitDelay": 30}, 7, None, "unknown", 30, False),
    ({"TcpTimedWaitDelay": 30}, None, "boot=7:effective=absent:written=30:known=1", "unknown", 30, False),
])
def test_value_state(registry, boot_id, marker, state, effective, known):
    found = reboot_state.value_state(snapshot(registry, boot_id, {"TcpTimedWaitDelay": marker} if marker else None), "TcpTimedWaitDelay")
    assert (found.state, found.effective, found.known) == (state, effective, known)
    assert found.pending is {"pending": True, "in_effect": False, "unknown": None}[state]
    assert found.to_dict()["effective"] == (effective if known else None)


def test_time_wait_uses_the_value_in_effect_and_says_what_is_pending():
    pending = snapshot({"TcpTimedWaitDelay": 30}, 7, {"TcpTimedWaitDelay": "boot=7:effective=absent:written=30:known=1"})
    waiting = capacity.time_wait(pending)
    assert (waiting.seconds, waiting.source, waiting.pending_seconds, waiting.state) == (120, "default", 30, "pending")
    assert waiting.note.startswith("TcpTimedWaitDelay=30 waits for a reboot: portscale.tcpip wrote it during this boot (boot 7)")
    assert "TIME_WAIT 120 s until then, 30 s after it" in waiting.note
    assert [f.code for f in registry_findings(pending)] == ["time_wait_delay_pending"]
    booted = snapshot({"TcpTimedWaitDelay": 30}, 8, {"TcpTimedWaitDelay": "boot=7:effective=absent:written=30:known=1"})
    assert (capacity.time_wait(booted).seconds, capacity.time_wait(booted).state) == (30, "in_effect")
    assert [f.code for f in registry_findings(booted)] == ["time_wait_delay_in_effect"]
    # Without a marker nothing changes from before: the registry value, with the old caveat.
    unknown = capacity.time_wait(snapshot({"TcpTimedWaitDelay": 30}, 7))
    assert (unknown.seconds, unknown.state) == (30, "unknown") and "in effect only if the host has rebooted" in unknown.note


# ---- the whole flow against the simulated host ---------------------------------------------------------------------------

def _set(host, value):
    req = tcpip_parameters.request_from_args({"tcp_timed_wait_delay": value})
    return converge(host.execute, req.snapshot_request(), lambda s: tcpip_parameters.plan(req, s),
                    lambda s: tcpip_parameters.observe(req, s), False)


def test_a_time_wait_written_without_a_reboot_stays_pending_with_the_effective_rate_until_the_host_reboots():
    model = HostModel.create("pending01", profile="server2022", load="idle")
    host = SimHost(model)
    written = _set(host, 30)
    assert written["changed"] and written["reboot_required"] and written["reboot_state"]["TcpTimedWaitDelay"]["state"] == "pending"
    assert model.portscale_key is not None   # the marker is on the host, beside the value

    # A later run (any controller: it only reads the host) says pending and computes the rate at 120 s.
    later = port_info.run(SimHost(model).execute)
    v4 = later["capacity"]["ipv4_tcp"]
    assert later["registry"]["TcpTimedWaitDelay"]["pending"] is True and later["reboot_required"] is True
    assert later["registry"]["TcpTimedWaitDelay"]["time_wait_seconds_in_effect"] == 120
    assert later["registry"]["TcpTimedWaitDelay"]["time_wait_seconds_at_next_boot"] == 30
    assert later["time_wait"]["seconds"] == 120 and later["time_wait"]["pending_seconds"] == 30
    assert v4["time_wait_seconds"] == 120 and v4["connections_per_second"] == round(v4["free"] / 120, 1)
    assert "time_wait_delay_pending" in [f["code"] for f in later["findings"]]
    again = _set(SimHost(model), 30)
    assert again["changed"] is False and again["reboot_required"] is True   # nothing to write, still waiting

    model.reboot()
    booted = port_info.run(SimHost(model).execute)
    assert booted["registry"]["TcpTimedWaitDelay"]["pending"] is False and booted["reboot_required"] is False
    assert booted["time_wait"] == {**booted["time_wait"], "seconds": 30, "state": "in_effect", "pending_seconds": None}
    assert booted["capacity"]["ipv4_tcp"]["connections_per_second"] == round(booted["capacity"]["ipv4_tcp"]["free"] / 30, 1)
    assert _set(SimHost(model), 30)["reboot_required"] is False
