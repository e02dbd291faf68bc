# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.windows win_reboot's three scripts in each form the releases send (1.13.0-3.2.0, 3.3.0, 3.4.0-3.8.0):
recognised exactly, emulated against the host model, over the wire as each ansible-core delivers them; and, when
real collections are given, the collection's own `reboot_host` against a simulated host.

SIMULATOR_ANSIBLE_WINDOWS: collection roots (directories holding ansible_collections/ansible/windows), separated by
os.pathsep, e.g. the private paths tools/demo/extract_collection.py writes. Without it the last test is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

import portscale_winsim
from portscale_winsim.model import HostModel
from portscale_winsim.results import CommandResult
from portscale_winsim.shell import ShellHooks, default_hooks, run_command_line, run_script
from portscale_winsim.shell import win_reboot

from shell_doubles import FakeModel, Recorder, b64

PREFIX = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand "
SETS = {scripts.versions: scripts for scripts in win_reboot.SCRIPT_SETS}
# The folder holding the imported package, for the driver subprocess below.
SRC_DIR = os.path.dirname(os.path.dirname(os.path.abspath(portscale_winsim.__file__)))


def reboot_body(scripts, flag="True", delay=2, msg="'Reboot initiated by Ansible'"):
    return scripts.reboot_template % (flag, win_reboot.LOGON_UI_KEY, delay, msg)


def probe_body(expected):
    return win_reboot.DEFAULT_TEST_COMMAND_TEMPLATE % (win_reboot.LOGON_UI_KEY, expected)


def wire_line(scripts, body: str) -> str:
    """The command line `_execute_command` hands to `connection.exec_command` (ansible-core 2.19+ winrm sends it as is)."""
    if scripts.wrap is win_reboot.ansible_wrapped:
        shell_module = pytest.importorskip("ansible.plugins.shell.powershell")
        return shell_module.ShellModule()._encode_script(body)  # pylint: disable=protected-access
    # ansible.windows 3.3.0+ `_execute_command`, verbatim.
    pwsh_script = body + "; If (-not $?) { If (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue) { exit $LASTEXITCODE } Else { exit 1 } }"
    return PREFIX + b64(pwsh_script)


def send(line: str, natives, model=None):
    command, _sep, arguments = line.partition(" ")
    return run_command_line(model or FakeModel(), command, arguments, b"", 65001, hooks=ShellHooks(run_native=natives))


def test_the_three_forms_differ_only_where_the_releases_did():
    old, mid, new = (SETS[name] for name in ("1.13.0-3.2.0", "3.3.0", "3.4.0-3.8.0"))
    assert old.reboot_template.replace("{ shutdown.exe ", "{ C:\\Windows\\System32\\shutdown.exe ") == mid.reboot_template
    assert mid.reboot_template.replace("rc = $LASTEXITCODE", "rc = $rc").replace(
        "\nConvertTo-Json", "\nIf (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue) {\n    $rc = $LASTEXITCODE\n"
        "} Else {\n    $rc=1\n}\n\nConvertTo-Json") == new.reboot_template
    assert win_reboot.collection_wrapped("x") == "x; " + win_reboot.ansible_wrapped("x").rsplit("\n", maxsplit=1)[-1]


# ----------------------------------------------------------------------------- each release's three scripts

@pytest.mark.parametrize("versions", sorted(SETS))
def test_boot_time_script_recognised_and_emulated(versions):
    scripts = SETS[versions]
    script = scripts.wrap(win_reboot.DEFAULT_BOOT_TIME_COMMAND)
    assert win_reboot.recognise(script) == "boot_time"
    result = send(wire_line(scripts, win_reboot.DEFAULT_BOOT_TIME_COMMAND), Recorder(None))
    assert result == CommandResult(b"133500000000000000\r\n", b"", 0)


@pytest.mark.parametrize("versions", sorted(SETS))
def test_reboot_script_recognised_and_emulated(versions):
    scripts = SETS[versions]
    assert win_reboot.recognise(scripts.wrap(reboot_body(scripts))) == "reboot"
    natives = Recorder(CommandResult(b"", b"", 0))
    result = send(wire_line(scripts, reboot_body(scripts, msg="'Reboot initiated by Ansible (portscale.tcpip)'")), natives)
    assert natives.calls == [[scripts.shutdown, "/r", "/t", "2", "/c", "Reboot initiated by Ansible (portscale.tcpip)"]]
    assert result.exit_code == 0 and result.stderr == b""
    assert json.loads(result.stdout) == {"stdout": "", "stderr": "", "rc": 0}


@pytest.mark.parametrize("versions", sorted(SETS))
def test_reboot_script_reports_an_already_scheduled_shutdown(versions):
    scripts = SETS[versions]
    natives = Recorder(CommandResult(b"", b"H1: A system shutdown has already been scheduled.(1190)\r\n", 1190))
    result = send(wire_line(scripts, reboot_body(scripts, flag="False", delay=0, msg="'it''s me \u2019\u2019'")), natives)
    assert natives.calls[0][-1] == "it's me \u2019"
    assert json.loads(result.stdout) == {"stdout": "", "stderr": "H1: A system shutdown has already been scheduled.(1190)",
                                         "rc": 1190}


@pytest.mark.parametrize("versions", sorted(SETS))
def test_default_test_command_recognised_and_emulated(versions):
    scripts = SETS[versions]
    expected = f"success-{uuid.uuid4()}"
    assert win_reboot.recognise(scripts.wrap(probe_body(expected))) == "test"
    result = send(wire_line(scripts, probe_body(expected)), Recorder(None))
    assert result.exit_code == 0 and result.stderr == b""
    assert result.stdout.startswith(b"\r\n\r\n    Hive: HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\r\n")
    assert result.stdout.endswith(expected.encode() + b"\r\n")


@pytest.mark.parametrize("versions", sorted(SETS))
@pytest.mark.parametrize("change", [
    lambda text: text.replace("/r /t", "/s /t"),
    lambda text: text.replace("-Compress ", ""),
    lambda text: text.replace("'Continue'", "'Continue' "),
    lambda text: text + "\nRemove-Item C:\\x",
    lambda text: "Set-StrictMode -Version 2\n" + text,
], ids=["shutdown-s", "no-compress", "trailing-blank", "extra-line", "other-prefix"])
def test_changed_reboot_script_is_not_recognised(versions, change):
    scripts = SETS[versions]
    script = change(scripts.wrap(reboot_body(scripts)))
    assert win_reboot.recognise(script) is None
    natives = Recorder(CommandResult(b"", b"", 0))
    result = run_script(FakeModel(), script, 65001, ShellHooks(run_native=natives))
    assert result.exit_code == 1 and b"SIMULATOR-UNSUPPORTED" in result.stderr and not natives.calls


@pytest.mark.parametrize("versions", sorted(SETS))
def test_changed_boot_time_and_test_scripts_are_not_recognised(versions):
    scripts = SETS[versions]
    boot = scripts.wrap(win_reboot.DEFAULT_BOOT_TIME_COMMAND.replace("ToFileTime", "ToFileTimeUtc"))
    probe = scripts.wrap(probe_body(f"success-{uuid.uuid4()}").replace("-ErrorAction Stop", "-ErrorAction Ignore"))
    for script in (boot, probe, scripts.wrap(probe_body("done"))):
        assert win_reboot.recognise(script) is None
        result = run_script(FakeModel(), script, 65001, ShellHooks(run_native=Recorder(None)))
        assert result.exit_code == 1 and b"SIMULATOR-UNSUPPORTED" in result.stderr


def test_a_template_only_counts_with_its_own_wrapping():
    old, new = SETS["1.13.0-3.2.0"], SETS["3.4.0-3.8.0"]
    assert win_reboot.recognise(win_reboot.collection_wrapped(reboot_body(old))) is None
    assert win_reboot.recognise(win_reboot.ansible_wrapped(reboot_body(new))) is None
    assert win_reboot.recognise(reboot_body(new)) is None  # unwrapped
    assert win_reboot.recognise(win_reboot.DEFAULT_BOOT_TIME_COMMAND) is None


@pytest.mark.parametrize("versions", sorted(SETS))
def test_user_test_command_and_abort_go_to_the_interpreter(versions):
    scripts = SETS[versions]
    natives = Recorder(CommandResult(b"host\\user\r\n", b"", 0))
    assert send(wire_line(scripts, "whoami"), natives) == CommandResult(b"host\\user\r\n", b"", 0)
    abort = "shutdown.exe /a" if scripts.wrap is win_reboot.ansible_wrapped else r"C:\Windows\System32\shutdown.exe /a"
    natives = Recorder(CommandResult(b"", b"", 0))
    assert send(wire_line(scripts, abort), natives).exit_code == 0
    assert natives.calls == [[abort.split(" ", 1)[0], "/a"]]


# ----------------------------------------------------------------------------- the real host model, nested powershell.exe

@pytest.mark.parametrize("versions", sorted(SETS))
def test_real_model_reboot_through_a_nested_powershell(versions):
    """ansible-core 2.16-2.18 winrm encodes the collection's ready command line once more: the script arrives as the
    script of a powershell.exe the host's powershell.exe starts."""
    shell_module = pytest.importorskip("ansible.plugins.shell.powershell")
    scripts = SETS[versions]
    model = HostModel.create("wr1")
    boot_before = model.boot_time

    def twice(body):
        encode_script = shell_module.ShellModule()._encode_script  # pylint: disable=protected-access
        parts = encode_script(wire_line(scripts, body), as_list=True, strict_mode=False, preserve_rc=False)
        return run_command_line(model, parts[0], " ".join(parts[1:]), b"", 65001, hooks=default_hooks())

    assert twice(win_reboot.DEFAULT_BOOT_TIME_COMMAND).stdout == f"{boot_before}\r\n".encode()
    result = twice(reboot_body(scripts))
    assert json.loads(result.stdout) == {"stdout": "", "stderr": "", "rc": 0} and model.scheduled_reboot == 2
    again = twice(reboot_body(scripts))
    assert json.loads(again.stdout)["rc"] == 1190 and "(1190)" in json.loads(again.stdout)["stderr"]
    model.reboot()
    assert twice(win_reboot.DEFAULT_BOOT_TIME_COMMAND).stdout == f"{model.boot_time}\r\n".encode() != f"{boot_before}\r\n".encode()
    expected = f"success-{uuid.uuid4()}"
    assert twice(probe_body(expected)).stdout.endswith(expected.encode() + b"\r\n")


# ----------------------------------------------------------------------------- the collections' own code

DRIVER = r'''
import json, sys
collections_root, src_dir, mode = sys.argv[1:4]
sys.path[:0] = [collections_root, src_dir]
from ansible.plugins.shell.powershell import ShellModule
from ansible_collections.ansible.windows.plugins.plugin_utils import _reboot
from portscale_winsim.model import HostModel
from portscale_winsim.shell import run_command_line, win_reboot

seen = []
emulate = win_reboot.emulate
def spy(model, script, codepage, run_native):
    result = emulate(model, script, codepage, run_native)
    if result is not None:
        seen.append(win_reboot.recognise(script))
    return result
win_reboot.emulate = spy

class Connection:
    """ansible-core's winrm exec_command rule (2.19: a ready PowerShell line is sent as is; 2.16: always encoded once
    more), the simulated host behind it, and the reboot the server would run after the command."""
    def __init__(self, model):
        self._shell = ShellModule()
        self.model = model
    def exec_command(self, cmd, in_data=None, sudoable=True):
        prefix = self._shell._encode_script("", as_list=False, strict_mode=False, preserve_rc=False)
        if mode == "2.19" and cmd.startswith(prefix):
            parts = cmd.split(" ")
        else:
            parts = self._shell._encode_script(cmd, as_list=True, strict_mode=False, preserve_rc=False)
        result = run_command_line(self.model, parts[0], " ".join(parts[1:]), in_data or b"", 65001)
        if self.model.scheduled_reboot is not None:
            self.model.reboot()
        return result.exit_code, result.stdout, result.stderr
    def get_option(self, name):
        raise KeyError(name)
    def close(self):
        pass
    def reset(self):
        pass

model = HostModel.create("real1")
before = model.boot_count
result = _reboot.reboot_host("ansible.windows.win_reboot", Connection(model), reboot_timeout=30)
print(json.dumps({"result": {k: v for k, v in result.items() if k != "exception"}, "boots": model.boot_count - before,
                  "seen": seen}))
'''


def _collection_roots():
    return [path for path in os.environ.get("SIMULATOR_ANSIBLE_WINDOWS", "").split(os.pathsep) if path]


@pytest.mark.skipif(not _collection_roots(), reason="SIMULATOR_ANSIBLE_WINDOWS names no ansible.windows collection")
@pytest.mark.parametrize("mode", ["2.19", "2.16"])
@pytest.mark.parametrize("root", _collection_roots() or ["none"])
def test_the_collection_reboot_host_against_the_model(root, mode):
    pytest.importorskip("ansible.plugins.shell.powershell")
    manifest = os.path.join(root, "ansible_collections", "ansible", "windows", "MANIFEST.json")
    assert os.path.isfile(manifest), manifest
    done = subprocess.run([sys.executable, "-c", DRIVER, root, SRC_DIR, mode], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["result"].get("failed") is not True, report
    assert report["result"]["rebooted"] is True and report["boots"] == 1, report
    assert report["seen"][:2] == ["boot_time", "reboot"] and report["seen"][-1] == "test", report
