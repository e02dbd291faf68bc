# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The powershell.exe command line: which switches reach us and where the script comes from.

Shapes seen on the wire (docs/windows-facts.md §9.5, §9.6):
* ansible-core: `PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand <b64>`;
* ansible-core module pipeline: `PowerShell ... -Command -` with the wrapper on stdin (not emulated);
* pywinrm `run_ps`: `powershell -encodedcommand <b64>`.
Like powershell.exe, the first argument that is not a known switch starts an inline command.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses

# Switch names of Windows PowerShell 5.1's console host; `-e`/`-ec` and `-c` are its documented short forms.
_TAKES_VALUE = ("executionpolicy", "encodedcommand", "windowstyle", "inputformat", "outputformat", "configurationname",
                "version", "psconsolefile", "file", "command")
_FLAGS = ("noprofile", "noninteractive", "nologo", "noexit", "sta", "mta")
_ALIASES = {"e": "encodedcommand", "ec": "encodedcommand", "enc": "encodedcommand", "c": "command",
            "ep": "executionpolicy", "ex": "executionpolicy", "nop": "noprofile", "noni": "noninteractive",
            "w": "windowstyle", "f": "file", "v": "version"}
_IGNORED_VALUES = ("executionpolicy", "windowstyle")
_UNSUPPORTED = ("inputformat", "outputformat", "configurationname", "version", "psconsolefile", "file", "noexit")


@dataclasses.dataclass(frozen=True)
class PowerShellInvocation:
    """What powershell.exe was asked to run."""

    script: str | None = None
    from_stdin: bool = False
    unsupported: str | None = None
    error: str | None = None


def is_powershell(program: str) -> bool:
    """`powershell`, `PowerShell.exe`, or a full path to it."""
    base = program.replace("/", "\\").rsplit("\\", 1)[-1].lower()
    return base in ("powershell", "powershell.exe")


def _switch_name(arg: str) -> str | None:
    if len(arg) < 2 or arg[0] not in "-/":
        return None
    name = arg[1:].lower()
    if name in _ALIASES:
        return _ALIASES[name]
    candidates = [full for full in _TAKES_VALUE + _FLAGS if full.startswith(name)]
    return candidates[0] if len(candidates) == 1 else None


def parse_invocation(args: list[str]) -> PowerShellInvocation:
    """Interpret powershell.exe's arguments (after the program name)."""
    index = 0
    while index < len(args):
        arg = args[index]
        name = _switch_name(arg)
        if name is None:
            return PowerShellInvocation(script=" ".join(args[index:]))
        index += 1
        if name in _FLAGS:
            if name in _UNSUPPORTED:
                return PowerShellInvocation(unsupported=f"powershell.exe switch {arg}")
            continue
        if name == "command":
            rest = args[index:]
            if rest == ["-"]:
                return PowerShellInvocation(from_stdin=True)
            return PowerShellInvocation(script=" ".join(rest))
        if index >= len(args):
            return PowerShellInvocation(error=f"Missing the argument for parameter {arg}.")
        value = args[index]
        index += 1
        if name in _UNSUPPORTED:
            return PowerShellInvocation(unsupported=f"powershell.exe switch {arg} {value}")
        if name == "encodedcommand":
            return _decode(value)
        if name not in _IGNORED_VALUES:
            return PowerShellInvocation(unsupported=f"powershell.exe switch {arg}")
    # powershell.exe with no command starts an interactive shell reading stdin.
    return PowerShellInvocation(from_stdin=True)


def _decode(value: str) -> PowerShellInvocation:
    try:
        raw = base64.b64decode(value, validate=True)
        if len(raw) % 2:
            raise ValueError("odd length")
        return PowerShellInvocation(script=raw.decode("utf-16-le"))
    except (binascii.Error, ValueError):
        # [INF] wording of powershell.exe's message for a bad -EncodedCommand.
        return PowerShellInvocation(error="Cannot process the command because the value specified with -EncodedCommand "
                                          "is not properly encoded. The value must be Base64 encoded.")
