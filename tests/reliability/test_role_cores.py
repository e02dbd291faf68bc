# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role on the oldest cores it declares (docs/reliability.md, rows W-NN): with its defaults (audit, every range
left alone) and in enforce mode with one range overridden, through ansible-playbook of ansible-core 2.16 and 2.18,
over winrm and psrp. Before 2.19 a templated null reaches a task as the string "None", which the role's own Jinja
must survive; the modules' unit tests cannot see that, only a real run of the role on those cores can.
"""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from harness import row, run_playbook
from simfleet import HostSpec, fleet_of, model_ranges

REPO = pathlib.Path(__file__).resolve().parents[2]
CORES = ("2.16", "2.18")
HOSTS = {"role-winrm": "inventory.yml", "role-psrp": "inventory.psrp.yml"}
DEFAULT_RANGE = {"start": 49152, "count": 16384, "end": 65535}


def _playbook_exe(core: str) -> str:
    exe = REPO / f".venv-core-{core}" / "bin" / "ansible-playbook"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: `make reliability` creates it (mk/cores.mk)")
    return os.fspath(exe)


def _role_play(report: pathlib.Path, **variables) -> list[dict]:
    return [{"name": "role", "hosts": "windows", "gather_facts": False,
             "vars": {"port_capacity_report_dir": str(report), "port_capacity_probe_count": 200, **variables},
             "roles": [{"role": "portscale.tcpip.port_capacity"}]}]


@pytest.mark.parametrize("core", CORES)
@row("W-02")
def test_the_role_runs_on_the_oldest_cores(tmp_path, core):
    exe = _playbook_exe(core)
    with fleet_of(str(tmp_path / "sim"), [HostSpec(name) for name in HOSTS]) as fleet:
        inventory = fleet.mixed_inventory(str(tmp_path / "inventory.yml"), HOSTS)
        if core == CORES[-1]:
            # The defaults (audit, no range managed) once; the enforce run below leaves three ranges null as well.
            audit = run_playbook(tmp_path, inventory, _role_play(tmp_path / "audit"), playbook_exe=exe, name="audit")
            assert audit.rc == 0, audit.output[-4000:]
            assert all(fleet.writes(host) == 0 for host in HOSTS)
        enforce = run_playbook(tmp_path, inventory, _role_play(
            tmp_path / "enforce", port_capacity_mode="enforce", port_capacity_ranges={"ipv4_tcp": {"start": 30000, "end": 65535}}),
            playbook_exe=exe, name="enforce")
        assert enforce.rc == 0, enforce.output[-4000:]
        document = json.loads((tmp_path / "enforce" / "port_capacity.json").read_text(encoding="utf-8"))
        assert sorted(entry["host"] for entry in document["hosts"]) == sorted(HOSTS)
        for host in HOSTS:
            ranges = model_ranges(fleet.model(host))
            # Only the range asked for changed; the three left out stay as they were (null leaves a range alone).
            assert ranges["ipv4_tcp"] == {"start": 30000, "count": 35536, "end": 65535}, ranges
            assert all(ranges[key] == DEFAULT_RANGE for key in ("ipv4_udp", "ipv6_tcp", "ipv6_udp")), ranges
