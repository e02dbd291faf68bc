# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's reboot through ansible.windows.win_reboot (docs/reliability.md, rows W-NN), with each ansible.windows a
user is likely to have: 3.2.0 (ansible 7-12.x) and the newest on PyPI (tools/demo/ansible-windows*.txt), over winrm
and over psrp.

PORTSCALE_ANSIBLE_WINDOWS names the collection roots (folders holding ansible_collections/ansible/windows), separated
by os.pathsep; `make reliability` fetches both and sets it. Without it these rows cannot run and say so (a failure,
not a skip, when RELIABILITY_REQUIRE_ANSIBLE_WINDOWS is set, as `make reliability` does).
"""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from harness import row, run_playbook
from simfleet import HostSpec, fleet_of, model_dword

ROOTS = [path for path in os.environ.get("PORTSCALE_ANSIBLE_WINDOWS", "").split(os.pathsep) if path]
HOSTS = {"reboot-winrm": "inventory.yml", "reboot-psrp": "inventory.psrp.yml"}
ROLE_VARS = {
    "port_capacity_mode": "enforce",
    "port_capacity_tcp_timed_wait_delay": 30,
    "port_capacity_reboot": "allowed",
    "port_capacity_reboot_timeout": 120,
    "port_capacity_probe_count": 200,
}


def _version(root: str) -> str:
    manifest = pathlib.Path(root, "ansible_collections", "ansible", "windows", "MANIFEST.json")
    return json.loads(manifest.read_text(encoding="utf-8"))["collection_info"]["version"]


def test_the_collections_are_given():
    if os.environ.get("RELIABILITY_REQUIRE_ANSIBLE_WINDOWS") and len(ROOTS) < 2:
        pytest.fail("PORTSCALE_ANSIBLE_WINDOWS must name ansible.windows 3.2.0 and the newest (make reliability does)")


@pytest.mark.skipif(not ROOTS, reason="PORTSCALE_ANSIBLE_WINDOWS names no ansible.windows collection")
@pytest.mark.parametrize("root", ROOTS or ["none"], ids=lambda root: _version(root) if root != "none" else root)
@row("W-01")
def test_the_role_reboots_through_win_reboot(tmp_path, root):
    with fleet_of(str(tmp_path / "sim"), [HostSpec(name) for name in HOSTS]) as fleet:
        boots = {host: fleet.model(host)["boot_count"] for host in HOSTS}
        report = tmp_path / "report"
        run = run_playbook(tmp_path, fleet.mixed_inventory(str(tmp_path / "inventory.yml"), HOSTS), [{
            "name": "role", "hosts": "windows", "gather_facts": False,
            "vars": {**ROLE_VARS, "port_capacity_report_dir": str(report)},
            "roles": [{"role": "portscale.tcpip.port_capacity"}]}],
            extra_collections=[root])
        assert run.rc == 0, run.output[-4000:]
        document = json.loads((report / "port_capacity.json").read_text(encoding="utf-8"))
        summaries = {entry["host"]: entry["summary"] for entry in document["hosts"]}
        for host in HOSTS:
            model = fleet.model(host)
            # Rebooted exactly once, by win_reboot; the value written before it is now in effect.
            assert model["boot_count"] == boots[host] + 1, (host, model["boot_count"], run.output[-3000:])
            assert model_dword(model, "TcpTimedWaitDelay") == 30
            assert summaries[host]["rebooted"] is True, summaries[host]
            assert not summaries[host].get("reboot_pending"), summaries[host]
        # win_reboot's own commands went through the psrp host's PSRP pipelines too.
        assert fleet.counters("reboot-psrp")["model"]["psrp_pipelines"] == fleet.counters("reboot-psrp")["model"]["commands_run"]


READ_AGAIN = "portscale.tcpip.port_capacity : Read the host again, since a write or the reboot may have landed before the failure"


@pytest.mark.skipif(not ROOTS, reason="PORTSCALE_ANSIBLE_WINDOWS names no ansible.windows collection")
@row("W-03")
def test_the_role_reboots_with_the_probe_off_and_reads_again_when_the_reboot_fails(tmp_path):
    hosts = {"reboot-winrm": "inventory.yml"}
    with fleet_of(str(tmp_path / "sim"), [HostSpec(name) for name in hosts]) as fleet:
        host = "reboot-winrm"
        boots = fleet.model(host)["boot_count"]
        report = tmp_path / "report"

        def play(values):
            return run_playbook(tmp_path, fleet.mixed_inventory(str(tmp_path / "inventory.yml"), hosts), [{
                "name": "role", "hosts": "windows", "gather_facts": False,
                "vars": {**ROLE_VARS, "port_capacity_report_dir": str(report), **values},
                "roles": [{"role": "portscale.tcpip.port_capacity"}]}], extra_collections=[ROOTS[-1]])

        # The probe off: the reboot still comes (it used to wait for the probe's deferral), then a fresh read, no probe.
        run = play({"port_capacity_probe": False})
        assert run.rc == 0, run.output[-4000:]
        assert fleet.model(host)["boot_count"] == boots + 1 and model_dword(fleet.model(host), "TcpTimedWaitDelay") == 30
        summary = json.loads((report / "port_capacity.json").read_text(encoding="utf-8"))["hosts"][0]["summary"]
        assert summary["rebooted"] is True and not summary.get("reboot_pending"), summary
        # A change that needs a reboot again; win_reboot fails (shutdown.exe refuses): the rescue reads the host again,
        # since the latest result shows the host before the reboot.
        fleet.fault(host, "command-fail", match="shutdown", exit_code=1, stdout="Access is denied.")
        run = play({"port_capacity_tcp_timed_wait_delay": 60})
        assert run.rc != 0 and fleet.model(host)["boot_count"] == boots + 1, run.output[-4000:]
        assert run.of(host, READ_AGAIN).status == "ok", run.output[-4000:]
        row_ = json.loads((report / "port_capacity.json").read_text(encoding="utf-8"))["hosts"][0]
        assert row_["status"] == "incomplete" and row_["reason"].startswith("reboot failed"), row_
