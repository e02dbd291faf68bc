# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cmd.exe-style command lines: WinRM runs `cmd.exe /c <Command> <Arguments>` unless WINRS_SKIP_CMD_SHELL is set.

Only a plain program invocation is modelled. The program's arguments are split the way the C runtime /
CommandLineToArgvW splits them (double quotes, backslashes before a quote, `""` inside quotes).
cmd.exe's own operators (`&`, `|`, `<`, `>`, `^`, `%VAR%`) outside quotes are not interpreted: such a line
fails loudly instead of running half of it.
"""

from __future__ import annotations

from ..results import CommandResult
from .codepages import encode_text

# cmd.exe's message for a program it cannot find [OBS-H, the well-known English text].
NOT_RECOGNIZED = "'{0}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"

# [INF] Inside a batch file an unknown command sets ERRORLEVEL 9009; what `cmd.exe /c unknown` returns as its
# process exit code over WinRM is not verified. 1 is used (what callers such as Python's subprocess report);
# 9009 would be the other candidate.
NOT_RECOGNIZED_EXIT = 1

_CMD_OPERATORS = "&|<>^%"


class CmdLineUnsupported(ValueError):
    """The line uses cmd.exe syntax the simulator does not interpret."""


def split_command_line(line: str) -> list[str]:
    """Split like CommandLineToArgvW (post-2008 rules for arguments after the first).

    The first token (program name) ends at the first whitespace outside quotes and takes quotes literally
    as delimiters only; backslashes are not special in it.
    """
    args: list[str] = []
    i = 0
    n = len(line)
    while i < n and line[i] in " \t":
        i += 1
    if i >= n:
        return args
    # argv[0]: quotes toggle, no backslash processing.
    prog = []
    in_quotes = False
    while i < n:
        ch = line[i]
        if ch == '"':
            in_quotes = not in_quotes
        elif ch in " \t" and not in_quotes:
            break
        else:
            prog.append(ch)
        i += 1
    args.append("".join(prog))
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return args
        arg: list[str] = []
        in_quotes = False
        while i < n:
            ch = line[i]
            if ch == "\\":
                start = i
                while i < n and line[i] == "\\":
                    i += 1
                count = i - start
                if i < n and line[i] == '"':
                    arg.append("\\" * (count // 2))
                    if count % 2:
                        arg.append('"')
                        i += 1
                    continue
                arg.append("\\" * count)
                continue
            if ch == '"':
                if in_quotes and i + 1 < n and line[i + 1] == '"':
                    # `""` inside quotes is a literal quote (msvcrt 2008+ behaviour).
                    arg.append('"')
                    i += 2
                    continue
                in_quotes = not in_quotes
                i += 1
                continue
            if ch in " \t" and not in_quotes:
                break
            arg.append(ch)
            i += 1
        args.append("".join(arg))


def find_cmd_operator(line: str) -> str | None:
    """The first cmd.exe metacharacter outside double quotes, or None."""
    in_quotes = False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif ch in _CMD_OPERATORS and not in_quotes:
            return ch
    return None


def run_cmd_line(model, line: str, codepage: int, run_native) -> CommandResult:
    """Run one cmd.exe command line made of a single program invocation."""
    operator = find_cmd_operator(line)
    if operator is not None:
        message = f"SIMULATOR-UNSUPPORTED: cmd.exe operator {operator!r} in command line {line!r}\r\n"
        return CommandResult(b"", encode_text(message, codepage), 1)
    argv = split_command_line(line)
    if not argv:
        # `cmd /c` with nothing to run prints nothing and succeeds [INF].
        return CommandResult(b"", b"", 0)
    result = run_native(model, argv, codepage)
    if result is None:
        return CommandResult(b"", encode_text(NOT_RECOGNIZED.format(argv[0]), codepage), NOT_RECOGNIZED_EXIT)
    return result


#: Where Windows keeps Windows PowerShell 5.1, the ``DefaultShell`` value Ansible's Windows SSH guide sets.
POWERSHELL_EXE = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"


def quote_argument(arg: str) -> str:
    """One argv element as the Microsoft C runtime reads it back (CommandLineToArgvW): in double quotes, a quote as
    ``\\"``, and the backslashes before a quote (or before the closing quote) doubled."""
    out, backslashes = ['"'], 0
    for char in arg:
        if char == "\\":
            backslashes += 1
            continue
        out.append("\\" * (backslashes * 2 + 1) + '"' if char == '"' else "\\" * backslashes + char)
        backslashes = 0
    out.append("\\" * (backslashes * 2) + '"')
    return "".join(out)
