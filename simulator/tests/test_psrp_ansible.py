# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-core's psrp connection (pypsrp) running ``raw`` against ``inventory.psrp.yml``: NTLM, Basic and validated
HTTPS, with the .venv's ansible-core and, when their virtualenvs exist, the other cores the collection supports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from portscale_winsim.fleet import HostSpec, start_fleet

pytest.importorskip("psrpcore")
pytest.importorskip("pypsrp")

# The repository around simulator/: its Makefile keeps a virtualenv per ansible-core line there (.venv-core-<line>).
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
#: The native's lines as output strings, joined by the psrp plugin with CRLF (no final newline of its own).
DYNAMICPORT_TCP = ("\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
                   "Start Port      : 49152\r\nNumber of Ports : 16384\r\n")
HOSTS = ("ntlm1", "basic1", "tls1")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    specs = [HostSpec("ntlm1", auth="ntlm"), HostSpec("basic1", auth="basic"), HostSpec("tls1", auth="both", https=True)]
    with start_fleet(str(tmp_path_factory.mktemp("psrp-ansible")), count=0, hosts=specs, boot_seconds=0.5, reboot_grace=0.3) as handle:
        yield handle


def play(fleet, tmp_path, commands: list[str], playbook_exe: str = ANSIBLE_PLAYBOOK) -> dict[str, list[dict]]:
    """Run raw tasks on every host (ignoring failures); each host's task results, in order."""
    tasks = "".join(f"    - ansible.builtin.raw: {json.dumps(command)}\n      register: r{index}\n      ignore_errors: true\n"
                    for index, command in enumerate(commands))
    collect = "[" + ", ".join(f"r{index}" for index in range(len(commands))) + "]"
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: windows\n  gather_facts: false\n  tasks:\n" + tasks
        + f"    - ansible.builtin.copy:\n        content: \"{{{{ {collect} | to_json }}}}\"\n"
        + "        dest: \"" + str(tmp_path) + "/{{ inventory_hostname }}.json\"\n      delegate_to: localhost\n",
        encoding="utf-8")
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    done = subprocess.run([playbook_exe, "-i", os.path.join(fleet.state_dir, "inventory.psrp.yml"), str(playbook)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return {name: json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8")) for name in HOSTS}


def test_inventory_psrp_yml(fleet):
    with open(os.path.join(fleet.state_dir, "inventory.psrp.yml"), encoding="utf-8") as handle:
        text = handle.read()
    assert text.count('ansible_connection: "psrp"') == 3 and 'ansible_psrp_auth: "basic"' in text
    assert 'ansible_psrp_message_encryption: "never"' in text  # Basic over HTTP: pypsrp refuses "auto"
    assert f'ansible_psrp_ca_cert: "{fleet.ca_cert}"' in text and 'ansible_psrp_cert_validation: "validate"' in text


def test_raw_over_psrp(fleet, tmp_path):
    fleet.control.call("all", "reset-counters")
    results = play(fleet, tmp_path, [
        "netsh int ipv4 show dynamicport tcp",
        "Write-Host hello; Get-Variable nope",
        "netsh int ipv4 show dynamicport tcp; exit 3",
        "Get-Process",
    ])
    for name in HOSTS:
        native, error, exit_code, unsupported = results[name]
        assert (native["rc"], native["stdout"], native["stderr"]) == (0, DYNAMICPORT_TCP, ""), name
        assert error["rc"] == 0 and error["stdout"] == "hello\r\n"
        assert error["stderr"].startswith("Get-Variable : Cannot find a variable with the name 'nope'.\r\nAt line:1 char:19\r\n"), name
        assert "    + FullyQualifiedErrorId : VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand" in error["stderr"]
        assert exit_code["rc"] == 3 and exit_code["stdout"] == DYNAMICPORT_TCP
        assert unsupported["rc"] == 1 and unsupported["stderr"].startswith("SIMULATOR-UNSUPPORTED: command 'Get-Process'")
    counters = fleet.control.call("all", "counters")
    for name in HOSTS:
        # One raw task over psrp: Create + Receive (the pool opens), Command + Receive (the pipeline), Delete.
        assert counters[name]["http"]["requests_by_action"] == {"Command": 4, "Create": 4, "Delete": 4, "Receive": 8}, name
        assert counters[name]["model"]["commands_run"] == 4


@pytest.mark.parametrize("core", ["2.16", "2.18", "2.20"])
def test_raw_over_psrp_with_other_cores(fleet, tmp_path, core):
    playbook_exe = os.path.join(REPO, f".venv-core-{core}", "bin", "ansible-playbook")
    if not os.path.exists(playbook_exe):
        # `make simulator-test` creates every core's venv first and sets SIMULATOR_REQUIRE_CORES: there a missing one
        # is a failure; a developer running pytest by hand without them gets a skip that says so.
        if os.environ.get("SIMULATOR_REQUIRE_CORES"):
            pytest.fail(f"no ansible-core {core} virtualenv at {playbook_exe} (make venv-cores creates it)")
        pytest.skip(f"no ansible-core {core} virtualenv at {playbook_exe}")
    results = play(fleet, tmp_path, ["netsh int ipv4 show dynamicport tcp", "netsh int ipv4 show dynamicport tcp; exit 3"], playbook_exe)
    for name in HOSTS:
        assert (results[name][0]["rc"], results[name][0]["stdout"]) == (0, DYNAMICPORT_TCP), (core, name)
        assert results[name][1]["rc"] == 3, (core, name)
