# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The powershell.exe process's two byte streams, and where a statement's success output goes."""

from __future__ import annotations

import dataclasses

from .codepages import encode_text
from .ps_errors import (CLIXML_CLOSE, CLIXML_HEADER, CLIXML_OPEN, ErrorRecord, SourcePosition, clixml_error_elements, native_error_records,
                        render_lines)


class RuntimeUnsupported(Exception):
    """Something the subset cannot show faithfully was reached while running (e.g. formatting an object)."""


@dataclasses.dataclass
class PSVariableObject:
    """What Get-Variable returns (only its truthiness and -ValueOnly are used by the subset)."""

    name: str
    value: object


class ProcessOutput:
    """stdout/stderr of powershell.exe: text lines are encoded with the shell's code page, native bytes pass as is.

    (A PSRP pipeline has another output model with the same methods: shell/runspace.py ``RunspaceOutput``.)
    """

    #: A native program whose stderr is not redirected writes straight to powershell.exe's inherited stderr handle.
    inherits_stderr = True

    def __init__(self, codepage: int):
        self.codepage = codepage
        self.stdout = bytearray()
        self.stderr = bytearray()
        self._clixml_open = False

    def write_stdout_bytes(self, data: bytes) -> None:
        self.stdout += data

    def write_stderr_bytes(self, data: bytes) -> None:
        self.stderr += data

    def write_line(self, text: str) -> None:
        self.stdout += encode_text(text + "\r\n", self.codepage)

    def write_text(self, text: str) -> None:
        self.stdout += encode_text(text, self.codepage)

    def write_error_record(self, record: ErrorRecord) -> None:
        """The error stream, serialized as CLIXML because stderr is not a console (-EncodedCommand over WinRM)."""
        if not self._clixml_open:
            self.stderr += encode_text(CLIXML_HEADER + CLIXML_OPEN, self.codepage)
            self._clixml_open = True
        self.stderr += encode_text(clixml_error_elements(render_lines(record)), self.codepage)

    @staticmethod
    def stderr_records(program: str, text: str, position: SourcePosition) -> list[ErrorRecord]:
        """A redirected native stderr as error records: one per line (ps_errors.native_error_records)."""
        from .ps_values import split_lines  # pylint: disable=import-outside-toplevel  # ps_values imports this module

        return native_error_records(program, split_lines(text), position)

    def finish(self) -> tuple[bytes, bytes]:
        """Close the CLIXML document (the serializer writes `</Objs>` when the host exits)."""
        if self._clixml_open:
            self.stderr += encode_text(CLIXML_CLOSE, self.codepage)
            self._clixml_open = False
        return bytes(self.stdout), bytes(self.stderr)


def format_lines(value) -> list[str]:
    """Out-Default's text for one pipeline object."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["True" if value else "False"]
    if isinstance(value, (int, str)):
        return [str(value)]
    if isinstance(value, ErrorRecord):
        return render_lines(value)
    if isinstance(value, list):
        lines = []
        for item in value:
            lines.extend(format_lines(item))
        return lines
    raise RuntimeUnsupported(f"formatting a {type(value).__name__} object for output")


class HostSink:
    """Success output of a top-level statement: formatted by Out-Default and written to stdout."""

    passthrough = True

    def __init__(self, output: ProcessOutput):
        self.output = output

    def emit(self, value) -> None:
        for line in format_lines(value):
            self.output.write_line(line)


class CollectSink:
    """Success output captured by an assignment, an `if` condition or a parenthesised pipeline."""

    passthrough = False

    def __init__(self):
        self.items: list = []

    def emit(self, value) -> None:
        self.items.append(value)

    def value(self):
        """PowerShell's pipeline result: nothing -> $null, one object -> itself, more -> an array."""
        if not self.items:
            return None
        if len(self.items) == 1:
            return self.items[0]
        return list(self.items)


class NullSink:
    """`>$null`, `| Out-Null`, `$null = ...`."""

    passthrough = False

    def emit(self, value) -> None:
        del value
