# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A pending reboot is not forgotten (docs/reliability.md, rows N-NN; issue 14 item 3): a TcpTimedWaitDelay written
without a reboot shows as pending in every later run, from any controller, with the rates of the value in effect,
until the host really reboots; a value someone else changes afterwards is reported as unknown, not guessed.

Every run is its own ``ansible-playbook`` with its own ANSIBLE_HOME and nothing shared but the host: what a second
controller (or AWX job) would see. The reboot goes through the simulator's control API, not through the collection."""

from __future__ import annotations

import json

import pytest

from harness import play, row, run_playbook
from simfleet import HostSpec, fleet_of, model_dword

HOST = "pending"
MARKER_KEY = "HKLM\\SOFTWARE\\portscale.tcpip"
MODULES = play("all", [
    {"name": "parameters", "portscale.tcpip.win_tcpip_parameters": {"tcp_timed_wait_delay": 30}, "register": "parameters"},
    {"name": "info", "portscale.tcpip.win_port_info": {}},
])
ROLE_VARS = {"port_capacity_mode": "enforce", "port_capacity_tcp_timed_wait_delay": 30, "port_capacity_reboot": "never",
             "port_capacity_probe": False}
INFO = play("all", [{"name": "info", "portscale.tcpip.win_port_info": {}}])
SUMMARY_TASK = "portscale.tcpip.port_capacity : Show the host's summary"
SOMEONE_ELSE = play("all", [{"name": "someone else", "ansible.builtin.raw":
                             "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v TcpTimedWaitDelay /t REG_DWORD /d 60 /f"}])


def role_play(report_dir: str) -> list[dict]:
    return play("all", [{"name": "port capacity", "ansible.builtin.include_role": {"name": "portscale.tcpip.port_capacity"}}],
                vars={**ROLE_VARS, "port_capacity_report_dir": report_dir})


def summary_of(report_dir) -> dict:
    document = json.loads((report_dir / "port_capacity.json").read_text(encoding="utf-8"))
    return document["hosts"][0]["summary"]


def reboot(fleet) -> None:
    boots = fleet.model(HOST)["boot_count"]
    fleet.control.call(HOST, "reboot", delay=0)
    fleet.wait_up(HOST, boots + 1)


@pytest.fixture(scope="module")
def module_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pending-modules")
    with fleet_of(str(tmp / "sim"), [HostSpec(HOST)]) as fleet:
        runs = {"write": run_playbook(tmp, fleet.inventory(), MODULES, name="write")}
        runs["write_writes"] = fleet.writes(HOST)
        runs["later"] = run_playbook(tmp, fleet.inventory(), MODULES, name="later")
        runs["model"] = fleet.model(HOST)
        reboot(fleet)
        runs["rebooted"] = run_playbook(tmp, fleet.inventory(), MODULES, name="rebooted")
        assert run_playbook(tmp, fleet.inventory(), SOMEONE_ELSE, name="someone-else").rc == 0
        runs["changed_by_someone_else"] = run_playbook(tmp, fleet.inventory(), INFO, name="changed")
        runs["written_over"] = run_playbook(tmp, fleet.inventory(), MODULES, name="written-over")
        yield runs


@row("N-01")
def test_a_time_wait_written_without_a_reboot_stays_pending_with_the_rate_in_effect(module_runs):
    write = module_runs["write"].of(HOST, "parameters")
    assert write.status == "changed" and write.result["reboot_required"] is True
    assert write.result["commands"] == [
        "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f",
        f"reg add {MARKER_KEY} /v TcpTimedWaitDelay /t REG_SZ /d boot=1:effective=absent:written=30:known=0 /f"]
    assert module_runs["write_writes"] == 2  # the value and its marker, in the one write batch
    # The next run, another controller: nothing to write, but the reboot is still required and the rates use 120 s.
    later = module_runs["later"].of(HOST, "parameters")
    assert later.status == "ok" and later.result["reboot_required"] is True and later.result["commands"] == []
    state = later.result["reboot_state"]["TcpTimedWaitDelay"]
    assert (state["state"], state["pending"], state["value"], state["effective_assumed"]) == ("pending", True, 30, None)
    # The warning, with the host's name (Ansible prints warnings without it).
    assert ("pending: TcpTimedWaitDelay=30 waits for a reboot: portscale.tcpip wrote it during this boot (boot 1), and until the "
            "host reboots the running TCP/IP stack still uses absent (the Windows default), assumed: portscale.tcpip had not "
            "written the value before.") in " ".join(module_runs["later"].output.split())
    info = module_runs["later"].of(HOST, "info").result
    v4 = info["capacity"]["ipv4_tcp"]
    assert info["reboot_required"] is True and info["registry"]["TcpTimedWaitDelay"]["pending"] is True
    assert info["time_wait"]["seconds"] == 120 and info["time_wait"]["pending_seconds"] == 30
    assert v4["time_wait_seconds"] == 120 and v4["connections_per_second"] == round(v4["free"] / 120, 1)
    assert "time_wait_delay_pending" in [f["code"] for f in info["findings"]]
    # The oracle: the host holds 30 and has not booted since.
    assert model_dword(module_runs["model"], "TcpTimedWaitDelay") == 30 and module_runs["model"]["boot_count"] == 1
    assert module_runs["model"]["effective"]["time_wait_delay"] == 120


@row("N-02")
def test_after_a_real_reboot_the_value_is_in_effect_and_nothing_is_pending(module_runs):
    rebooted = module_runs["rebooted"].of(HOST, "parameters")
    assert rebooted.status == "ok" and rebooted.result["reboot_required"] is False
    assert rebooted.result["reboot_state"]["TcpTimedWaitDelay"]["state"] == "in_effect"
    info = module_runs["rebooted"].of(HOST, "info").result
    assert info["reboot_required"] is False and info["registry"]["TcpTimedWaitDelay"]["pending"] is False
    assert info["time_wait"]["seconds"] == 30 and info["time_wait"]["state"] == "in_effect"
    v4 = info["capacity"]["ipv4_tcp"]
    assert v4["connections_per_second"] == round(v4["free"] / 30, 1)


@row("N-03")
def test_a_value_changed_by_someone_else_is_unknown_not_guessed(module_runs):
    info = module_runs["changed_by_someone_else"].of(HOST, "info").result
    shown = info["registry"]["TcpTimedWaitDelay"]
    assert (shown["value"], shown["state"], shown["pending"], shown["effective"], shown["effective_known"]) == (60, "unknown", None, None, False)
    assert "changed by someone else after portscale.tcpip wrote 30 at boot 1" in shown["reason"]
    # The figures assume the registry value, and say so.
    assert info["time_wait"]["seconds"] == 60 and "in effect only if the host has rebooted" in info["time_wait"]["note"]
    # Writing 30 over it: pending, and the value in effect is not known (60 is assumed, and the rates use it).
    parameters = module_runs["written_over"].of(HOST, "parameters").result
    assert parameters["changed"] is True and parameters["reboot_required"] is True
    state = parameters["reboot_state"]["TcpTimedWaitDelay"]
    assert (state["state"], state["effective"], state["effective_known"], state["effective_assumed"]) == ("pending", None, False, 60)
    assert module_runs["written_over"].of(HOST, "info").result["time_wait"]["seconds"] == 60


@pytest.fixture(scope="module")
def role_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pending-role")
    with fleet_of(str(tmp / "sim"), [HostSpec(HOST)]) as fleet:
        runs = {}
        for name in ("enforce", "again"):
            runs[name] = run_playbook(tmp, fleet.inventory(), role_play(str(tmp / name)), name=name)
            runs[name + "_summary"] = summary_of(tmp / name)
        reboot(fleet)
        runs["rebooted"] = run_playbook(tmp, fleet.inventory(), role_play(str(tmp / "rebooted")), name="rebooted")
        runs["rebooted_summary"] = summary_of(tmp / "rebooted")
        runs["markdown"] = (tmp / "again" / "port_capacity.md").read_text(encoding="utf-8")
        yield runs


@row("N-04")
def test_the_role_keeps_saying_reboot_pending_with_the_rate_in_effect_until_the_host_reboots(role_runs):
    for name in ("enforce", "again", "rebooted"):
        assert role_runs[name].rc == 0, role_runs[name].output[-3000:]
    first, again, rebooted = role_runs["enforce_summary"], role_runs["again_summary"], role_runs["rebooted_summary"]
    assert first["changes"] == ["TcpTimedWaitDelay: absent -> 30"] and first["reboot_pending"] is True
    # The after-read of the enforce run already rates with the value in effect, not the one written.
    assert first["after"]["time_wait_seconds"] == 120 and first["after"]["time_wait_pending_seconds"] == 30
    # The next run: no changes, still pending, the rate of 120 s, the value in effect beside the pending one.
    assert again["changes"] == [] and again["reboot_pending"] is True and again["rebooted"] is False
    assert again["pending_reboot"] == ["TcpTimedWaitDelay: absent (120 s) in effect (assumed) -> 30 after the reboot"]
    room = again["before"]["headroom"]
    assert again["before"]["time_wait_seconds"] == 120 and again["before"]["connections_per_second"] == round(room["free"] / 120, 1)
    line = role_runs["again"].of(HOST, SUMMARY_TASK).result["msg"]
    assert "no changes" in line and "reboot: pending" in line, line
    assert "30 (pending reboot; absent in effect, assumed)" in role_runs["markdown"]
    assert "pending: TcpTimedWaitDelay: absent (120 s) in effect (assumed) -> 30 after the reboot" in role_runs["markdown"]
    # After a real reboot: in effect, the rate of 30 s, nothing pending.
    assert rebooted["reboot_pending"] is False and rebooted["pending_reboot"] == []
    assert rebooted["before"]["time_wait_seconds"] == 30
    assert role_runs["rebooted"].of(HOST, SUMMARY_TASK).result["msg"].endswith("reboot: not needed")
