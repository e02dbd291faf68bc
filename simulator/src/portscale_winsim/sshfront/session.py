# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One SSH session channel: an exec request runs through the host's default shell; nothing else is modelled.

With cmd.exe (Windows OpenSSH's default) the exec string is a cmd.exe command line; with PowerShell as ``DefaultShell``
sshd starts ``powershell.exe -c <exec string>`` (no cmd.exe, no 8191-character limit). What reaches the host is
exactly what a client sends. ansible-core's ssh connection sends the task's command unchanged from 2.18
(``raw: netsh ...`` arrives as ``netsh ...``); 2.16-2.17 wrap it as ``chcp.com 65001 > $null ; PowerShell ...
-EncodedCommand <the command>``, which only PowerShell as the default shell can run.

Stdin is collected (bounded) and handed to the shell layer with the command. The only script that reads it is the
portscale.tcpip stdin loader (shell/stdin_script.py), used for scripts too long for cmd.exe's command line: that
command runs once the client closes stdin (ansible-core always does); every other command starts at once.
"""

from __future__ import annotations

import asyncio
import logging
import typing as t

import asyncssh

from ..results import CommandResult
from ..shell.stdin_script import TOO_LONG, TOO_LONG_EXIT, reads_stdin
from .exec_line import powershell_exec_command, split_exec_command

log = logging.getLogger(__name__)

MAX_STDIN_BYTES = 4 * 1024 * 1024
SHELL_MESSAGE = b"SIMULATOR-UNSUPPORTED: interactive shells are not modelled; give a command (ssh host <command>)\r\n"
TIMEOUT_MESSAGE = "SIMULATOR-TIMEOUT: the command did not finish within {0:g} s\r\n"


class ExecSession(asyncssh.SSHServerSession):
    """Accepts exec (and shell, only to say it is not modelled); refuses subsystems such as sftp."""

    def __init__(self, front: t.Any, on_close: t.Callable[[], None]) -> None:
        self._front = front
        self._on_close = on_close
        self._chan: t.Any = None
        self._command: str | None = None
        self._task: asyncio.Task | None = None
        self._stdin: list[bytes] = []
        self._stdin_size = 0
        self._drained = asyncio.Event()
        self._drained.set()

    # ----- channel events ---------------------------------------------------------------------------------
    def connection_made(self, chan: t.Any) -> None:
        self._chan = chan
        # Pause as soon as anything is buffered, so "drained" means empty: the exit status then follows the output.
        chan.set_write_buffer_limits(high=0, low=0)

    def connection_lost(self, exc: Exception | None) -> None:
        del exc
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._on_close()

    def pause_writing(self) -> None:
        self._drained.clear()

    def resume_writing(self) -> None:
        self._drained.set()

    def pty_requested(self, term_type: str, term_size: t.Any, term_modes: t.Any) -> bool:
        del term_type, term_size, term_modes
        # Real Windows OpenSSH has ConPTY, whose screen rendering is not modelled; ansible-core never asks for a pty
        # on Windows. OpenSSH clients give up on an explicit -t/-tt request ("PTY allocation request failed").
        self._front.refuse("pty", "pseudo-terminal (not modelled)")
        return False

    def shell_requested(self) -> bool:
        self._front.refuse("shell", "interactive shell (not modelled)")
        return True  # accepted only to print SHELL_MESSAGE: clearer than OpenSSH's bare "shell request failed"

    def exec_requested(self, command: str) -> bool:
        self._command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        self._front.refuse("subsystem", f"subsystem {subsystem!r} (sftp/scp file transfer is not modelled)")
        return False

    def data_received(self, data: bytes, datatype: t.Any) -> None:
        del datatype
        self._stdin_size += len(data)
        if self._stdin_size <= MAX_STDIN_BYTES:
            self._stdin.append(data if isinstance(data, bytes) else data.encode("utf-8"))

    def eof_received(self) -> bool:
        # The client closed stdin: a command that reads it runs now; keep the channel open for the output.
        self._start()
        return True

    def session_started(self) -> None:
        # Like a real host the program starts at once, except the stdin loader, which needs all of stdin first.
        if self._command is None or not reads_stdin(self._command):
            self._start()

    def _start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    # ----- the command ------------------------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            result = await self._answer()
        except asyncio.CancelledError:
            return  # the connection went away (client gone, or the host went down): nothing to deliver
        except Exception:  # pylint: disable=broad-exception-caught
            # A simulator bug must be loud: the log gets the traceback, the client a failed command.
            log.exception("host %s: ssh command failed inside the simulator", self._front.name)
            result = CommandResult(b"", b"SIMULATOR-ERROR: the simulator failed; see its log\r\n", 1)
        await self._send(result)

    async def _answer(self) -> CommandResult:
        front = self._front
        if self._command is None:
            return CommandResult(b"", SHELL_MESSAGE, 1)
        front.counters.commands += 1
        if self._stdin_size > MAX_STDIN_BYTES:
            return CommandResult(b"", f"SIMULATOR-UNSUPPORTED: more than {MAX_STDIN_BYTES} bytes on stdin\r\n".encode("ascii"), 1)
        through_cmd = front.default_shell == "cmd"
        if through_cmd and len(self._command) > front.limits.max_command_chars:
            # cmd.exe gets the exec string as typed; the shell layer would see it re-joined (blanks collapsed).
            return CommandResult(b"", TOO_LONG.encode("ascii"), TOO_LONG_EXIT)
        command, arguments = split_exec_command(self._command) if through_cmd else powershell_exec_command(self._command)
        if not command:
            return CommandResult(b"", b"", 0)  # ``cmd.exe /c`` with nothing to run
        try:
            return await asyncio.wait_for(self._program(command, arguments, through_cmd), timeout=front.limits.exec_timeout)
        except asyncio.TimeoutError:
            log.error("host %s: ssh command still running after %.0f s: %r", front.name, front.limits.exec_timeout, command)
            return CommandResult(b"", TIMEOUT_MESSAGE.format(front.limits.exec_timeout).encode("ascii"), 1)

    async def _program(self, command: str, arguments: str, through_cmd: bool) -> CommandResult:
        """The program's run. Cancelled (timeout, client gone, host down) while still starting, it never touches the
        model; once it has reached the model it runs to its end and saves it, even if nobody waits for it any more."""
        front = self._front
        slow_ms = front.slow_command_ms()
        if slow_ms:
            front.counters.faults_injected["slow-command"] += 1
            await asyncio.sleep(slow_ms / 1000)
        stdin = b"".join(self._stdin)
        if through_cmd:
            return await asyncio.shield(front.host.run_command_line(command, arguments, stdin, front.codepage()))
        return await asyncio.shield(front.host.run_command_line(command, arguments, stdin, front.codepage(), through_cmd=False))

    async def _send(self, result: CommandResult) -> None:
        chan = self._chan
        if chan is None or chan.is_closing():
            return
        self._front.counters.bytes_out += len(result.stdout) + len(result.stderr)
        if result.exit_code:
            self._front.counters.exit_nonzero += 1
        if result.stdout:
            chan.write(result.stdout)
        if result.stderr:
            chan.write_stderr(result.stderr)
        await self._drained.wait()
        if not chan.is_closing():
            # SSH carries a 32-bit exit status, but asyncssh sends its low 8 bits; OpenSSH clients (and so ansible's
            # ssh connection) only ever report those, so e.g. 1190 arrives as 166 there too.
            chan.exit(result.exit_code & 0xFFFFFFFF)
