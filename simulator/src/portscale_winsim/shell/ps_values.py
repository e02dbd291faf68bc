# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values and control flow shared by the evaluator and the cmdlets: truthiness, string conversion, exits."""

from __future__ import annotations

from .ps_errors import ErrorRecord
from .ps_output import PSVariableObject, RuntimeUnsupported


class ScriptExit(Exception):
    """`exit N` was executed."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class ScriptTerminated(Exception):
    """A script-terminating error (ErrorAction Stop) was reported; powershell.exe exits with 1."""


class StatementAborted(Exception):
    """A statement-terminating error was reported; execution continues with the next statement."""


# The error stream destination when not redirected.
ERROR_STREAM = "stream"


def split_lines(text: str) -> list[str]:
    """StreamReader.ReadLine semantics: CR, LF or CRLF end a line; a final line without newline still counts."""
    lines = []
    current = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "\r\n":
            lines.append("".join(current))
            current = []
            if ch == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
        else:
            current.append(ch)
        i += 1
    if current:
        lines.append("".join(current))
    return lines


def truthy(value) -> bool:
    """LanguagePrimitives.IsTrue for the values the subset produces."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list):
        if not value:
            return False
        if len(value) == 1:
            return truthy(value[0])
        return True
    return True


def to_text(value) -> str:
    """PowerShell's string conversion (arrays are joined with a space, $OFS's default)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, list):
        return " ".join(to_text(item) for item in value)
    if isinstance(value, ErrorRecord):
        return value.message
    if isinstance(value, PSVariableObject):
        return "System.Management.Automation.PSVariable"
    raise RuntimeUnsupported(f"converting a {type(value).__name__} to a string")
