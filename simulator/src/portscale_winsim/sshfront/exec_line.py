# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An SSH exec string as Windows OpenSSH with its default shell runs it: ``cmd.exe /c <exec string>``.

The shell layer takes a command line as WS-Man sends it (``rsp:Command`` + ``rsp:Arguments``, joined by a space) and
tokenises it as cmd.exe does, so the exec string only has to be cut into its first token and the rest, each kept
exactly as typed (quotes included).
"""

from __future__ import annotations

from ..shell.cmd_line import POWERSHELL_EXE, quote_argument

_BLANKS = " \t"


def split_exec_command(line: str) -> tuple[str, str]:
    """``(command, arguments)``: the first token ends at a blank outside double quotes (cmd.exe's rule for argv[0])."""
    start = len(line) - len(line.lstrip(_BLANKS))
    in_quotes = False
    end = start
    while end < len(line):
        char = line[end]
        if char == '"':
            in_quotes = not in_quotes
        elif char in _BLANKS and not in_quotes:
            break
        end += 1
    return line[start:end], line[end:].lstrip(_BLANKS)


def powershell_exec_command(line: str) -> tuple[str, str]:
    """``(command, arguments)`` of the process sshd starts for an exec string when ``DefaultShell`` is PowerShell.

    Win32-OpenSSH (contrib/win32/win32compat/w32-doexec.c, ``exec_command``) spawns ``"<shell>" -c <command>`` with
    each argument escaped for the C runtime when the shell is powershell (``SH_PS``), with no cmd.exe in between.
    """
    return f'"{POWERSHELL_EXE}"', "-c " + quote_argument(line)
