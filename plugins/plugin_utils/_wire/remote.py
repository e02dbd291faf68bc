# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wire contract: many native commands in one PowerShell batch, one command execution on the host.

Over WinRM every command execution costs a whole shell lifecycle (five or more HTTP requests), so a module
sends all its reads as one batch, and all its writes plus the reads that verify them as a second one.

The batch runs each command with ``2>&1`` (so its stderr lands in order with its stdout) and then prints a
marker line holding a random per-batch nonce, the command's index and ``$LASTEXITCODE``. The controller splits
the output on those markers: it learns each command's output and exit code without reading a single word of
the (localized) text; ``groups`` (build_batch) skip later groups after a failure. The envelope stays Windows PowerShell
5.1-safe: no ``$ErrorActionPreference = 'Stop'`` (in 5.1 it turns a native program's stderr into a terminating error
under ``2>&1``), no PowerShell 7 syntax.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import time
import typing as t

from . import log
from .commands import NativeCommand

# How an engine reaches the host: run one PowerShell script as one command execution, return (rc, stdout, stderr).
Execute = t.Callable[[str], t.Tuple[int, str, str]]

MARKER_PREFIX = "__PORTSCALE"
_NONCE = re.compile(r"^[0-9a-f]{16}$")


class RemoteError(Exception):
    """The host answered something the contract does not allow (missing markers, PowerShell errors, ...)."""

    def __init__(self, message: str, rc: int | None = None, stdout: str = "", stderr: str = "",
                 outputs: t.Sequence[CommandOutput] = ()) -> None:
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.outputs = tuple(outputs)  # the commands that did run, so a caller can say exactly what changed
        super().__init__(message)


class TransportError(Exception):
    """The connection failed while a script ran, so the host's answer, and whether the script ran at all, is unknown.

    ``unreachable``: the host or its service could not be reached (Ansible shows the host as unreachable); otherwise
    the service answered with an error of its own (a WS-Management fault, an HTTP 500).
    """

    def __init__(self, message: str, unreachable: bool) -> None:
        self.unreachable = unreachable
        super().__init__(message)


@dataclasses.dataclass(frozen=True)
class CommandOutput:
    """What one command of a batch printed (stdout and stderr merged, CRLF kept) and its exit code."""

    command: NativeCommand
    exit_code: int
    output: str
    skipped: bool = False  # not run (build_batch's ``groups``)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.skipped

    def describe(self) -> str:
        if self.skipped:
            return f"'{self.command}' was not run"
        text = self.output.strip() or "(no output)"
        return f"'{self.command}' exited {self.exit_code}: {text}"


def sentence(text: str) -> str:
    """``text`` ending in exactly one full stop (host messages often end in one already)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def new_nonce() -> str:
    return secrets.token_hex(8)


GROUP_FAILED = "$PortscaleGroupFailed"
GROUP_STOP = "$PortscaleStop"


def build_batch(commands: t.Sequence[NativeCommand], nonce: str, groups: t.Sequence[int] = ()) -> str:
    """The PowerShell script for ``commands``. ``groups``: sizes of dependent groups of the first commands; once a
    command of a group fails, the later groups' markers say ``skipped``; the commands after the groups always run."""
    if not _NONCE.match(nonce):
        raise ValueError("nonce must be 16 lower-case hex digits")
    if not commands:
        raise ValueError("a batch needs at least one command")
    if any(size < 1 for size in groups) or sum(groups) > len(commands):
        raise ValueError("groups must be positive sizes that fit in the batch")
    lines = ["$ProgressPreference = 'SilentlyContinue'"]
    starts = {sum(groups[:number]) for number in range(1, len(groups))}
    grouped = sum(groups)
    if groups:
        lines += [f"{GROUP_FAILED} = $false", f"{GROUP_STOP} = $false"]
    for index, command in enumerate(commands):
        marker = f'Write-Output "{MARKER_PREFIX}_{nonce}_{index}_$LASTEXITCODE"'
        if index >= grouped:
            lines += [f"{command.powershell()} 2>&1", marker]
            continue
        if index in starts:
            lines.append(f"if ({GROUP_FAILED}) {{ {GROUP_STOP} = $true }}")
        lines += [f'if ({GROUP_STOP}) {{ Write-Output "{MARKER_PREFIX}_{nonce}_{index}_skipped" }} else {{',
                  f"{command.powershell()} 2>&1", marker, f"if ($LASTEXITCODE -ne 0) {{ {GROUP_FAILED} = $true }} }}"]
    return "\n".join(lines) + "\n"


def split_batch_output(commands: t.Sequence[NativeCommand], nonce: str, rc: int, stdout: str, stderr: str) -> list[CommandOutput]:
    """Cut the batch's stdout into one ``CommandOutput`` per command, checking order and completeness."""
    marker = re.compile(rf"^{MARKER_PREFIX}_{nonce}_(\d+)_(-?\d+|skipped)\r?$")
    results: list[CommandOutput] = []
    pending: list[str] = []
    for line in stdout.splitlines(keepends=True):
        found = marker.match(line.rstrip("\n"))
        if not found:
            pending.append(line)
            continue
        index, skipped = int(found.group(1)), found.group(2) == "skipped"
        if index != len(results) or index >= len(commands):
            raise RemoteError(f"batch output is out of order: marker {index} after {len(results)} command(s)", rc, stdout, stderr)
        results.append(CommandOutput(commands[index], 0 if skipped else int(found.group(2)), "".join(pending), skipped))
        pending = []
    if len(results) != len(commands):
        raise RemoteError(_incomplete_message(commands, results, rc, stderr), rc, stdout, stderr, results)
    if stderr.strip():
        # Every native command's stderr is merged into stdout, so anything here is PowerShell itself complaining.
        raise RemoteError(f"PowerShell reported errors while running the batch: {stderr.strip()}", rc, stdout, stderr, results)
    return results


def _incomplete_message(commands: t.Sequence[NativeCommand], results: t.Sequence[CommandOutput], rc: int, stderr: str) -> str:
    """Why a batch's output stops early, in the host's words when it gave any.

    Text on stderr with markers missing is PowerShell (or cmd.exe before it) refusing the script, e.g. "The command
    line is too long." or a parse error: that is the cause, whichever native command happened to come next.
    """
    total = len(commands)
    if stderr.strip():
        where = f"before running any of its {total} commands" if not results else f"after {len(results)} of its {total} commands"
        return f"the host stopped the script {where} (exit code {rc}) and said: {stderr.strip()}"
    last = f" (the last complete: '{results[-1].command}')" if results else ""
    return (f"the host's output ends after {len(results)} of {total} commands{last}, with exit code {rc} and no error "
            f"text: the output was cut short or PowerShell stopped")


def run_batch(execute: Execute, commands: t.Sequence[NativeCommand], groups: t.Sequence[int] = ()) -> list[CommandOutput]:
    """Run ``commands`` (``groups``: build_batch's) as one command execution through ``execute(script) -> (rc, stdout,
    stderr)``; say so at -vvv."""
    nonce = new_nonce()
    writes = sum(1 for command in commands if command.writes)
    listed = "; ".join(str(command) for command in commands)
    rc, stdout, stderr = run_script(execute, f"a batch of {len(commands)} native commands ({writes} writing): {listed}",
                                    build_batch(commands, nonce, groups))
    return split_batch_output(commands, nonce, rc, stdout, stderr)


def run_script(execute: Execute, what: str, script: str) -> tuple[int, str, str]:
    """Run one script as one command execution, logged at -vvv as ``what`` (words without secrets) and at -vvvv whole."""
    task = log.current()
    log.sending(task, what, script)
    started = time.monotonic()
    rc, stdout, stderr = execute(script)
    log.received(task, rc, stdout, stderr, (time.monotonic() - started) * 1000)
    return rc, stdout, stderr
