# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PowerShell modules (ansible-core's bootstrap wrapper with the exec wrapper on stdin) are refused in one line that
names the module and says what to do, in the form each ansible-core sends them."""

from __future__ import annotations

import base64
import json

import pytest

from portscale_winsim.model import HostModel
from portscale_winsim.shell import ShellHooks, run_command_line, run_script
from portscale_winsim.shell import module_pipeline

PREFIX = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand "
ADVICE = "use gather_facts: false, and portscale.tcpip's modules or ansible.builtin.raw instead."

# The first lines of ansible-core's lib/ansible/executor/powershell/bootstrap_wrapper.ps1 as each core ships it.
HEAD_216 = ('&chcp.com 65001 > $null\n\nif ($PSVersionTable.PSVersion -lt [Version]"3.0") {\n'
            '    \'{"failed":true,"msg":"Ansible requires PowerShell v3.0 or newer"}\'\n    exit 1\n}\n\n'
            '$exec_wrapper_str = $input | Out-String\n')
HEAD_218 = HEAD_216.replace("&chcp.com 65001 > $null", "try { [Console]::InputEncoding = [Console]::OutputEncoding = "
                            "New-Object System.Text.UTF8Encoding } catch { $null = $_ }")
HEAD_219 = ('if ($PSVersionTable.PSVersion -lt [Version]"5.1") {\n    \'{"failed":true,"msg":"Ansible requires PowerShell v5.1"}\'\n'
            '    exit 1\n}\n\n# First input is a JSON string with name/script/params of what to run. This\n'
            '$codeJson = foreach ($in in $input) {\n')
HEAD_221 = "param([string]$InputFile)\n\n" + HEAD_219


def stdin_219(module: str, script_file: str) -> bytes:
    """What ansible-core 2.19+ sends on stdin (module_manifest._get_bootstrap_input: bootstrap JSON, NULs, exec manifest)."""
    bootstrap = {"name": "exec_wrapper", "script": "# exec_wrapper.ps1 ...", "params": {"MinOSVersion": None}}
    manifest = {"scripts": {}, "actions": [{"name": "module_wrapper.ps1", "params": {
        "Script": script_file, "Environment": {},
        "Variables": [{"Name": "complex_args", "Value": {"_ansible_module_name": module}, "Scope": "Global"}]}}],
        "signed_hashlist": []}
    return f"{json.dumps(bootstrap)}\n\0\0\0\0\n{json.dumps(manifest)}".encode()


def stdin_216(module: str) -> bytes:
    """What ansible-core 2.16-2.18 send: the exec wrapper, four NULs, the JSON payload."""
    payload = {"module_entry": "IyE=", "module_args": {"_ansible_module_name": module}, "actions": ["module_powershell_wrapper"]}
    return ("begin {\n    $DebugPreference = \"Continue\"\n}\n\0\0\0\0" + json.dumps(payload)).encode()


def encode(script: str) -> str:
    return PREFIX + base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def send(line: str, stdin: bytes):
    command, _sep, arguments = line.partition(" ")
    return run_command_line(HostModel.create("m1"), command, arguments, stdin, 65001)


def assert_one_line_refusal(result, named: str | None):
    line = result.stderr.decode()
    assert result.exit_code == 1 and line.endswith("\r\n") and line.count("\n") == 1
    assert line.startswith("SIMULATOR-UNSUPPORTED: the simulated Windows host cannot run PowerShell modules")
    assert line.rstrip().endswith(ADVICE)
    if named:
        assert f"to run {named})" in line
    assert json.loads(result.stdout) == {"failed": True, "msg": line.rstrip("\r\n")}


@pytest.mark.parametrize("head", [HEAD_216, HEAD_218, HEAD_219, HEAD_221], ids=["2.16", "2.18", "2.19", "2.21"])
def test_every_cores_bootstrap_header_is_recognised(head):
    assert module_pipeline.is_bootstrap_wrapper(head)
    stripped = "\n".join(line.strip() for line in head.splitlines() if line.strip())  # _encode_script's form
    assert module_pipeline.is_bootstrap_wrapper(stripped)


def test_the_installed_cores_bootstrap_wrapper_is_recognised():
    pkgutil = pytest.importorskip("pkgutil")
    pytest.importorskip("ansible.executor.powershell")
    text = pkgutil.get_data("ansible.executor.powershell", "bootstrap_wrapper.ps1").decode("utf-8")
    assert module_pipeline.is_bootstrap_wrapper(text)


@pytest.mark.parametrize("script", [
    'if ($PSVersionTable.PSVersion -lt [Version]"5.1") { exit 1 }\n$input\n',
    HEAD_219.replace("$input", "$x"),
    "Write-Output 'x'\n" + HEAD_219,
    HEAD_219.replace("v5.1", "v7"),
])
def test_other_scripts_are_not_taken_for_the_wrapper(script):
    assert not module_pipeline.is_bootstrap_wrapper(script)
    result = run_script(HostModel.create("m2"), script, 65001, ShellHooks(run_native=lambda *args: None))
    assert result.exit_code == 1 and b"cannot run PowerShell modules" not in result.stderr


def test_win_ping_on_219_names_the_module():
    shell_module = pytest.importorskip("ansible.plugins.shell.powershell")
    line = shell_module.ShellModule()._encode_script(HEAD_219, strict_mode=False, preserve_rc=False)  # pylint: disable=protected-access
    result = send(line, stdin_219("ansible.windows.win_ping", "ansible_collections.ansible.windows.plugins.modules.win_ping.ps1"))
    assert_one_line_refusal(result, "ansible.windows.win_ping")


def test_gather_facts_is_named_as_such():
    result = send(encode(HEAD_219), stdin_219("ansible.legacy.setup", "ansible_collections.ansible.windows.plugins.modules.setup.ps1"))
    assert_one_line_refusal(result, "ansible.legacy.setup for gather_facts")


def test_the_script_file_names_the_module_when_the_args_do_not():
    stdin = stdin_219("", "ansible_collections.community.windows.plugins.modules.win_psexec.ps1")
    assert_one_line_refusal(send(encode(HEAD_221), stdin), "community.windows.win_psexec")


def test_216_double_encoded_wrapper_reads_the_inherited_stdin():
    """2.16-2.18 winrm: the bootstrap line is encoded once more, so a nested powershell.exe runs the wrapper."""
    shell_module = pytest.importorskip("ansible.plugins.shell.powershell")
    inner = shell_module.ShellModule()._encode_script(HEAD_216, strict_mode=False, preserve_rc=False)  # pylint: disable=protected-access
    outer = shell_module.ShellModule()._encode_script(inner, strict_mode=False, preserve_rc=False)  # pylint: disable=protected-access
    result = send(outer, stdin_216("ansible.windows.win_shell"))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["msg"].endswith(ADVICE) and "to run ansible.windows.win_shell)" in result.stdout.decode()


def test_other_exec_wrapper_actions_are_named():
    manifest = {"scripts": {}, "actions": [{"name": "winrm_put_file.ps1", "params": {}}]}
    stdin = f"{{}}\n\0\0\0\0\n{json.dumps(manifest)}".encode()
    assert module_pipeline.attempted(stdin) == "ansible-core's winrm_put_file.ps1"


@pytest.mark.parametrize("stdin", [b"", b"no separator", b"x\0\0\0\0{not json", b"x\0\0\0\0[1, 2]", b"x\0\0\0\0{}"])
def test_unreadable_stdin_names_nothing(stdin):
    assert module_pipeline.attempted(stdin) is None
    assert_one_line_refusal(send(encode(HEAD_219), stdin), None)
    assert "(ansible-core's module wrapper);" in module_pipeline.message("bootstrap", stdin)


def test_command_dash_is_refused_the_same_way():
    result = send("PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -Command -", stdin_216("ansible.windows.win_ping"))
    line = result.stderr.decode()
    assert result.exit_code == 1 and line.startswith("SIMULATOR-UNSUPPORTED: 'PowerShell -Command -'")
    assert "to run ansible.windows.win_ping)" in line and line.rstrip().endswith(ADVICE)
    assert json.loads(result.stdout)["msg"] == line.rstrip("\r\n")
    bare = send("PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -Command -", b"")
    assert bare.stderr.decode() == module_pipeline.MODULE_PIPELINE_MESSAGE
