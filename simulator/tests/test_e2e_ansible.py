# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook with ``ansible.builtin.raw`` against the generated YAML inventory: NTLM, Basic and validated HTTPS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from portscale_winsim.fleet import HostSpec, start_fleet

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
DYNAMICPORT_TCP = ("\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
                   "Start Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n")
HOSTS = ("ntlm1", "basic1", "tls1")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    specs = [HostSpec("ntlm1", auth="ntlm"), HostSpec("basic1", auth="basic"), HostSpec("tls1", auth="both", https=True)]
    with start_fleet(str(tmp_path_factory.mktemp("ansible")), count=0, hosts=specs, boot_seconds=0.5, reboot_grace=0.3) as handle:
        yield handle


def play(fleet, tmp_path, command: str, inventory: str = "inventory.yml") -> dict[str, dict]:
    """Run one raw task on every host; return each host's task result (from the tree callback)."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: windows\n  gather_facts: false\n  tasks:\n"
        f"    - ansible.builtin.raw: {json.dumps(command)}\n"
        "      changed_when: false\n",
        encoding="utf-8",
    )
    tree = tmp_path / "tree"
    env = dict(os.environ, ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.tree", ANSIBLE_CALLBACK_TREE_DIR=str(tree),
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    done = subprocess.run([ANSIBLE_PLAYBOOK, "-i", os.path.join(fleet.state_dir, inventory), str(playbook)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return {name: json.loads((tree / name).read_text(encoding="utf-8")) for name in HOSTS}


@pytest.mark.parametrize("inventory", ["inventory.yml", "inventory.winrm"])
def test_raw_stdout_is_byte_exact_over_ntlm_basic_and_https(fleet, tmp_path, inventory):
    fleet.control.call("all", "reset-counters")
    results = play(fleet, tmp_path, "netsh int ipv4 show dynamicport tcp", inventory)
    for name in HOSTS:
        assert results[name]["rc"] == 0, name
        assert results[name]["stdout"] == DYNAMICPORT_TCP, name
        assert results[name]["stderr"] == "", name
    counters = fleet.control.call("all", "counters")
    # One raw task = one shell: Create, Command, Receive, Signal, Delete (measured, see the report).
    for name in HOSTS:
        assert counters[name]["http"]["requests_by_action"] == {"Command": 1, "Create": 1, "Delete": 1, "Receive": 1, "Signal": 1}, name
        assert counters[name]["model"]["commands_run"] == 1
    assert counters["ntlm1"]["http"]["auth_round_trips"] == 2  # anonymous POST + NTLM challenge
    assert counters["basic1"]["http"]["auth_round_trips"] == 0  # requests' HTTPBasicAuth is pre-emptive
    assert counters["tls1"]["http"]["auth_round_trips"] == 2


def test_raw_reboot_via_shutdown(fleet, tmp_path):
    before = {name: state["model"]["boot_count"] for name, state in fleet.control.call("all", "state").items()}
    results = play(fleet, tmp_path, "shutdown /r /t 0")
    assert all(results[name]["rc"] == 0 for name in HOSTS)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        states = fleet.control.call("all", "state")
        if all(s["model"]["boot_count"] == before[n] + 1 and s["server"]["listening"] for n, s in states.items()):
            break
        time.sleep(0.1)
    else:
        pytest.fail("hosts did not come back after shutdown /r /t 0")
    assert play(fleet, tmp_path, "hostname")["tls1"]["rc"] == 0
