# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a task sends and receives, in Ansible's verbose output: ``-vvv`` one line per round trip (the native commands,
the batch size, which command execution of the task it is, characters sent and received, milliseconds), ``-vvvv`` the
script itself.

Nothing secret can appear: the commands are fixed words and validated integers (commands.py), the script is built from
them, and connection variables (passwords, certificates) never reach this module. The script, which holds the batch's
nonce, is left to ``-vvvv`` as ansible-core leaves a module's arguments.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import typing as t

from ansible.utils.display import Display

display = Display()
PREFIX = "portscale.tcpip"


@dataclasses.dataclass
class TaskLog:
    """The host a task runs for (Ansible prefixes its lines with it) and the command executions it has made so far."""

    host: str | None = None
    executions: int = 0


_CURRENT: contextvars.ContextVar[TaskLog] = contextvars.ContextVar("portscale_tcpip_task_log")


@contextlib.contextmanager
def task_log(host: str | None) -> t.Iterator[TaskLog]:
    """Log the round trips made inside the block under ``host``, counting them from 1."""
    token = _CURRENT.set(TaskLog(host))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def current() -> TaskLog:
    """The running task's log; outside a task (engines called directly, as the unit tests do) a fresh one each time."""
    return _CURRENT.get(TaskLog())


def sending(log: TaskLog, what: str, script: str) -> None:
    """``what``: the commands or script, in words that hold no secret (the -vvv line)."""
    log.executions += 1
    display.vvv(f"{PREFIX}: command execution {log.executions}: {what}, {len(script)} characters", host=log.host)
    display.vvvv(f"{PREFIX}: command execution {log.executions}: script:\n{script}", host=log.host)


def received(log: TaskLog, rc: int, stdout: str, stderr: str, elapsed_ms: float) -> None:
    display.vvv(f"{PREFIX}: command execution {log.executions}: exit code {rc}, {len(stdout)} characters of output, "
                f"{len(stderr)} on stderr, {elapsed_ms:.0f} ms", host=log.host)
