# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A powershell.exe started by a script (ansible-core before 2.19 encodes a ready -EncodedCommand line once more),
processes started without cmd.exe (sshd with PowerShell as its default shell), chcp, and the stdin loader as the
cores deliver it."""

from __future__ import annotations

import base64

from portscale_winsim import shell
from portscale_winsim.model import HostModel
from portscale_winsim.shell import stdin_script
from portscale_winsim.shell.cmd_line import POWERSHELL_EXE, quote_argument, split_command_line

PREFIX = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand "
READ = "& netsh int ipv4 show dynamicport tcp 2>&1\nWrite-Output \"rc=$LASTEXITCODE\"\n"
RANGE = b"\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n"


def encode(script: str) -> str:
    return PREFIX + base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def run(line: str, stdin: bytes = b"", model: HostModel | None = None, through_cmd: bool = True):
    model = model or HostModel.create("h1")
    command, _sep, arguments = line.partition(" ")
    return shell.run_command_line(model, command, arguments, stdin, 65001, through_cmd=through_cmd), model


def test_a_nested_powershell_runs_its_script_and_its_output_passes_through():
    result, model = run(encode(encode(READ)))
    assert (result.stdout, result.stderr, result.exit_code) == (RANGE + b"rc=0\r\n", b"", 0)
    assert model.counters["commands_run"] == 1  # one WinRS command, two powershell.exe processes


def test_the_outer_powershell_exits_0_or_1_whatever_the_inner_exit_code():
    # powershell.exe -EncodedCommand ends with the last statement's $?: a native program's non-zero exit is $false -> 1.
    result, _model = run(encode(encode("exit 7")))
    assert result.exit_code == 1
    result, _model = run(encode(encode("exit 0")))
    assert result.exit_code == 0


def test_the_nested_powershell_inherits_stdin_and_runs_the_loader():
    loader = encode(encode(stdin_script.STDIN_LOADER))
    assert stdin_script.reads_stdin(loader)  # a front end waits for stdin before running it
    result, _model = run(loader, READ.encode("ascii"))
    assert result.stdout == RANGE + b"rc=0\r\n" and result.exit_code == 0


def test_the_loader_is_recognised_as_ansible_cores_encode_script_reshapes_it():
    # _encode_script (winrm up to 2.20) strips every line and drops empty ones: no final newline.
    stripped = "\n".join(line.strip() for line in stdin_script.STDIN_LOADER.splitlines() if line.strip())
    assert stdin_script.is_loader(stripped) and stdin_script.is_loader(stdin_script.STDIN_LOADER.replace("\n", "\r\n"))
    assert not stdin_script.is_loader(stripped + "\nexit 0")
    assert not stdin_script.reads_stdin("hostname") and not stdin_script.reads_stdin(encode("exit 0"))


def sshd_powershell(exec_string: str, model: HostModel | None = None):
    """sshd with PowerShell as DefaultShell: ``"powershell.exe" -c <exec string>`` through CreateProcess."""
    model = model or HostModel.create("h1")
    command, arguments = f'"{POWERSHELL_EXE}"', "-c " + quote_argument(exec_string)
    return shell.run_command_line(model, command, arguments, b"", 65001, through_cmd=False)


def test_a_powershell_started_by_a_script_may_exceed_cmd_exe_s_limit_but_not_create_process_s():
    long_script = "Write-Output 'x'\n" + "# padding\n" * 400  # about 8,600 characters once encoded
    assert stdin_script.CMD_MAX_LINE < len(encode(long_script)) < 32767
    result, _model = run(encode(encode(long_script)))
    assert (result.stdout, result.stderr) == (b"", stdin_script.TOO_LONG.encode("ascii"))  # cmd.exe refuses the outer line
    result = sshd_powershell(encode(long_script))
    assert (result.stdout, result.exit_code) == (b"x\r\n", 0)  # the inner line went through CreateProcess
    result = sshd_powershell(encode("# " + "y" * 17000))
    assert b"SIMULATOR-UNSUPPORTED: a process command line of more than 32767" in result.stderr


def test_chcp_prints_the_code_page_and_refuses_others():
    result, _model = run("chcp.com 65001")
    assert (result.stdout, result.exit_code) == (b"Active code page: 65001\r\n", 0)
    result, _model = run("chcp 850")
    assert result.exit_code == 1 and result.stderr.startswith(b"SIMULATOR-UNSUPPORTED:")


def test_sshd_with_powershell_as_default_shell_runs_ansible_2_16s_exec_string():
    exec_string = "chcp.com 65001 > $null ; " + encode(encode(READ))
    result = sshd_powershell(exec_string)
    assert (result.stdout, result.stderr, result.exit_code) == (RANGE + b"rc=0\r\n", b"", 0)
    # cmd.exe (sshd's default) cannot run it: `>` and `;` are PowerShell here.
    result, _model = run(exec_string)
    assert result.exit_code == 1 and b"SIMULATOR-UNSUPPORTED: cmd.exe" in result.stderr


def test_quote_argument_round_trips_through_command_line_to_argv():
    for arg in ("plain", "a b", 'say "hi"', "C:\\path\\", 'x\\"y', "", "a\\\\b c", "chcp.com 65001 > $null ; PowerShell -x"):
        assert split_command_line("prog " + quote_argument(arg))[1:] == [arg]
