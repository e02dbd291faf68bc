# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WinRS shells and commands of one host: ids, stdin, buffered output, quotas. Touched only from the event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import typing as t

from ..results import CommandResult
from . import soap

#: Windows defaults (winrm/config/winrs): MaxShellsPerUser 30; service MaxConcurrentOperationsPerUser 1500.
DEFAULT_MAX_SHELLS = 30
DEFAULT_MAX_OPERATIONS = 1500
#: Output is cut into Stream elements of this size, and a Receive carries at most RECEIVE_BUDGET bytes,
#: which keeps every response below the client's MaxEnvelopeSize (153600) after base64.
STREAM_CHUNK = 8 * 1024
RECEIVE_BUDGET = 64 * 1024
MAX_STDIN_BYTES = 16 * 1024 * 1024


class QuotaError(Exception):
    """A WinRS quota was hit; ``kind`` is ``shells`` or ``operations``."""

    def __init__(self, kind: str, limit: int) -> None:
        super().__init__(f"{kind} quota {limit} exceeded")
        self.kind = kind
        self.limit = limit


@dataclasses.dataclass
class Command:
    """One rsp:Command and what it produced so far."""

    command_id: str
    command: str
    arguments: str
    console_mode_stdin: bool
    skip_cmd_shell: bool
    stdin: list[bytes] = dataclasses.field(default_factory=list)
    stdin_size: int = 0
    stdin_closed: bool = False
    started: bool = False
    done: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    result: CommandResult | None = None
    error: str | None = None
    stdout_sent: int = 0
    stderr_sent: int = 0
    terminated: bool = False

    def next_chunks(self) -> tuple[list[soap.StreamChunk], bool]:
        """Up to RECEIVE_BUDGET bytes of pending output; second value True when everything has been handed out."""
        assert self.result is not None
        chunks: list[soap.StreamChunk] = []
        budget = RECEIVE_BUDGET
        for name in ("stdout", "stderr"):
            data = self.result.stdout if name == "stdout" else self.result.stderr
            sent = self.stdout_sent if name == "stdout" else self.stderr_sent
            while sent < len(data) and budget > 0:
                piece = data[sent: sent + min(STREAM_CHUNK, budget)]
                chunks.append(soap.StreamChunk(name, piece))
                sent += len(piece)
                budget -= len(piece)
            if name == "stdout":
                self.stdout_sent = sent
            else:
                self.stderr_sent = sent
        finished = self.stdout_sent >= len(self.result.stdout) and self.stderr_sent >= len(self.result.stderr)
        if finished:
            # Windows closes each stream with an empty element carrying End="true".
            chunks.append(soap.StreamChunk("stdout", b"", end=True))
            chunks.append(soap.StreamChunk("stderr", b"", end=True))
        return chunks, finished


@dataclasses.dataclass
class Shell:
    """One rsp:Shell (Create ... Delete)."""

    shell_id: str
    owner: str
    codepage: int
    noprofile: bool
    input_streams: str
    output_streams: str
    created: float = dataclasses.field(default_factory=time.monotonic)
    commands: dict[str, Command] = dataclasses.field(default_factory=dict)
    operations: int = 0
    # A PowerShell shell (resource URI Microsoft.PowerShell, wsman/psrp_dispatch.py): its runspace pool
    # (psrp.PsrpSession), and an event set whenever PSRP data is queued for the client or the shell goes away, which a
    # waiting Receive watches. Its pipelines count in ``operations`` while they exist.
    psrp: t.Any = None
    psrp_changed: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


@dataclasses.dataclass
class ShellTable:
    """All shells of a host, with WinRS quotas."""

    max_shells: int = DEFAULT_MAX_SHELLS
    max_operations: int = DEFAULT_MAX_OPERATIONS
    shells: dict[str, Shell] = dataclasses.field(default_factory=dict)

    def create(self, owner: str, codepage: int, noprofile: bool, input_streams: str, output_streams: str,  # pylint: disable=too-many-arguments
               shell_id: str | None = None) -> Shell:
        """A new shell; ``shell_id`` is the client's (a PSRP client names the shell after its runspace pool)."""
        if len(self.shells) >= self.max_shells:
            raise QuotaError("shells", self.max_shells)
        shell = Shell(shell_id or soap.new_uuid(), owner, codepage, noprofile, input_streams, output_streams)
        self.shells[shell.shell_id] = shell
        return shell

    def operations_in_use(self) -> int:
        return sum(shell.operations for shell in self.shells.values())

    def add_command(self, shell: Shell, command: Command) -> None:
        # WinRS never gives an operation back on Signal for text shells (MS-WSMV appendix <118>): only Delete does.
        if self.operations_in_use() >= self.max_operations:
            raise QuotaError("operations", self.max_operations)
        shell.commands[command.command_id] = command
        shell.operations += 1

    def delete(self, shell_id: str) -> Shell | None:
        shell = self.shells.pop(shell_id, None)
        if shell is not None:
            shell.psrp_changed.set()  # a Receive waiting on a PowerShell shell sees it gone
        return shell

    def clear(self) -> None:
        """A reboot (or a stop) drops every shell."""
        for shell in self.shells.values():
            for command in shell.commands.values():
                command.terminated = True
                command.done.set()
            shell.psrp_changed.set()
        self.shells.clear()

    def snapshot(self) -> dict:
        return {
            "shells": len(self.shells),
            "commands": sum(len(s.commands) for s in self.shells.values()),
            "operations": self.operations_in_use(),
            "max_shells": self.max_shells,
            "max_operations": self.max_operations,
        }
