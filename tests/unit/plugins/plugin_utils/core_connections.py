# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-core's own winrm, psrp and ssh connection plugins, of the core these tests run on, with only their network
call replaced by the simulated host.

The collection decides how to hand a script to each connection (plugins/plugin_utils/_wire/delivery.py); whether that is
right is for the connection plugins themselves to say, and they changed between 2.16 and 2.21. So these tests run
each core's real ``exec_command`` (every wrapping, encoding and stdin handling it does) and give what it would put
on the wire to the simulator's shell layer: a WinRS command line goes through cmd.exe's 8191-character limit and
powershell.exe (a second one when the core encodes the line again), an ssh exec string through cmd.exe (sshd's
default shell), a psrp script straight into the subset interpreter (a runspace has no command line; what a
runspace loses or reshapes, such as ``[Console]::Out``, is for the end-to-end psrp runs through pypsrp and the
simulator's PSRP server: win_smoke on 2.16 and 2.21, every integration target and docs/reliability.md C-07/C-08).
"""

from __future__ import annotations

import typing as t

from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

from portscale_winsim import shell
from portscale_winsim.model import HostModel
from portscale_winsim.sshfront.exec_line import powershell_exec_command

# ssh: sshd with PowerShell as its DefaultShell, the pairing Ansible's Windows SSH guide gives for
# ansible_shell_type=powershell (2.16-2.17 need it); ssh-cmd: Windows OpenSSH's default, cmd.exe (2.18 and later).
TRANSPORTS = ("winrm", "psrp", "ssh", "ssh-cmd")
CODEPAGE = 65001  # ansible-core's WinRS shells use UTF-8; the ssh path's output is ASCII here anyway


class Wire:  # pylint: disable=too-few-public-methods
    """What the connection sent: a command line (winrm, ssh) or a script (psrp), and stdin / input objects."""

    def __init__(self) -> None:
        self.command_lines: list[str] = []
        self.stdin: list[bytes] = []
        self.psrp_input: list[t.Any] = []


def connection(transport: str, model: HostModel) -> tuple[t.Any, Wire]:
    """The core's ``transport`` connection plugin wired to ``model``; returns it and the record of what it sent."""
    play_context = PlayContext()
    play_context.shell = "powershell"
    plugin_name = transport.split("-")[0]  # ssh-cmd: the ssh plugin, with cmd.exe as sshd's default shell
    conn = connection_loader.get(plugin_name, play_context)
    wire = Wire()
    conn._connected = True  # pylint: disable=protected-access
    conn._connect = lambda: conn  # pylint: disable=protected-access
    if transport.startswith("ssh"):
        _wire_ssh(conn, model, wire, "cmd" if transport == "ssh-cmd" else "powershell")
    else:
        {"winrm": _wire_winrm, "psrp": _wire_psrp}[transport](conn, model, wire)
    return conn, wire


def _wire_winrm(conn: t.Any, model: HostModel, wire: Wire) -> None:
    def winrm_exec(command: str, args: t.Sequence[str] = (), from_exec: bool = False, stdin_iterator: t.Any = None) -> t.Any:
        del from_exec
        arguments = " ".join(args)
        stdin = b"".join(chunk for chunk, _end in stdin_iterator) if stdin_iterator is not None else b""
        wire.command_lines.append(f"{command} {arguments}")
        wire.stdin.append(stdin)
        result = shell.run_command_line(model, command, arguments, stdin, CODEPAGE)
        # (rc, stdout, stderr), as _winrm_exec returns on every core (without its CLIXML decoding of stderr).
        return result.exit_code, result.stdout, result.stderr

    conn._winrm_exec = winrm_exec  # pylint: disable=protected-access


def _wire_psrp(conn: t.Any, model: HostModel, wire: Wire) -> None:
    def exec_psrp_script(script: str, input_data: t.Any = None, use_local_scope: bool = True, arguments: t.Any = None) -> tuple[int, bytes, bytes]:
        del use_local_scope
        assert not arguments, "the collection never passes script arguments"
        wire.command_lines.append(script)
        wire.psrp_input.append(input_data)
        # A runspace runs the script as it is: no command line, no cmd.exe, no process.
        result = shell.run_script(model, script, CODEPAGE, shell.default_hooks())
        return result.exit_code, result.stdout, result.stderr

    conn._exec_psrp_script = exec_psrp_script  # pylint: disable=protected-access
    conn._psrp_host = "127.0.0.1"  # pylint: disable=protected-access  # set by _build_kwargs, which needs the options


def _wire_ssh(conn: t.Any, model: HostModel, wire: Wire, default_shell: str) -> None:
    conn.set_options(direct={"host": "127.0.0.1"})

    def build_command(binary: str, subsystem: str, *other_args: str) -> list[str]:
        del binary, subsystem
        return list(other_args)

    def run(cmd: list[str], in_data: bytes | None, sudoable: bool = True, checkrc: bool = True) -> tuple[int, bytes, bytes]:
        del sudoable, checkrc
        exec_string = cmd[-1]
        wire.command_lines.append(exec_string)
        wire.stdin.append(in_data or b"")
        if default_shell == "powershell":
            # sshd starts "powershell.exe" -c <exec string> with CreateProcess (the simulator's SSH front end does too).
            command, arguments = powershell_exec_command(exec_string)
            result = shell.run_command_line(model, command, arguments, in_data or b"", CODEPAGE, through_cmd=False)
        elif len(exec_string) > shell.stdin_script.CMD_MAX_LINE:
            return 1, b"", shell.stdin_script.TOO_LONG.encode("ascii")
        else:
            # ``cmd.exe /c <exec string>``: the shell layer splits a whole line as cmd.exe does.
            result = shell.run_command_line(model, exec_string, "", in_data or b"", CODEPAGE)
        return result.exit_code, result.stdout, result.stderr

    conn._build_command = build_command  # pylint: disable=protected-access
    conn._run = run  # pylint: disable=protected-access
