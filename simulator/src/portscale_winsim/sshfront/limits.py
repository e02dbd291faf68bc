# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounds of one host's SSH front end, and what crossed it (the ``ssh`` key of the ``counters`` control operation)."""

from __future__ import annotations

import collections
import dataclasses

from ..shell.stdin_script import CMD_MAX_LINE  # cmd.exe's limit: Windows OpenSSH runs ``cmd.exe /c <exec string>``


@dataclasses.dataclass(frozen=True)
class SshLimits:
    """Everything is bounded: a forgotten client or a runaway test cannot pile up connections, sessions or threads."""

    #: open session channels on one host, over all its connections
    max_sessions: int = 30
    #: session channels on one connection (sshd's MaxSessions default, which ControlMaster multiplexing runs into)
    max_sessions_per_connection: int = 10
    max_connections: int = 64
    #: the longest exec string accepted (cmd.exe's limit; see CMD_MAX_LINE)
    max_command_chars: int = CMD_MAX_LINE
    #: a simulator bound, not a Windows one: commands take milliseconds, a hang is a simulator bug
    exec_timeout: float = 60.0
    #: a connection without sessions is closed after this long (ControlPersist masters idle between tasks)
    idle_timeout: float = 120.0
    #: time allowed from TCP connect to successful authentication (sshd's LoginGraceTime is 120 s)
    login_timeout: float = 30.0


@dataclasses.dataclass
class SshCounters:
    """What one host's SSH front end saw since the last ``reset-counters``."""

    connections: int = 0
    auth_failures: int = 0
    sessions: int = 0
    commands: int = 0
    exit_nonzero: int = 0
    bytes_out: int = 0
    #: requests the front end turned down, by kind (shell, subsystem, port-forward, too-many-sessions, ...)
    refused: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    faults_injected: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        for key in ("refused", "faults_injected"):
            data[key] = dict(sorted(getattr(self, key).items()))
        return data
