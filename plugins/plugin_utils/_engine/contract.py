# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The typed contract between the Ansible glue (``_glue/action.py``) and the engines: what the glue hands an engine (a
``Host`` it can run scripts on, the task's validated arguments, check mode) and what it gets back (the result).

Every module's engine exports ``ENGINE``, an ``Engine``; the action plugin names it and nothing else. Configuration
modules share the read, plan, write and verify flow (converge.py), so theirs is a ``ConfigurationEngine`` built from
three functions; the read-only modules (win_port_info, win_port_probe) give their own ``run``.
"""

from __future__ import annotations

import dataclasses
import typing as t

from .._windows.host import HostSnapshot
from .._wire.reader import SnapshotRequest
from .converge import Plan, converge

# Task arguments as ActionBase.validate_argument_spec returns them (the stub's spec: argspec.py), and an Ansible result
# without ``failed``, which the glue adds from the exceptions.
Args = t.Dict[str, t.Any]
Result = t.Dict[str, t.Any]


class Host(t.Protocol):
    """The task's connection, as an engine may use it: one PowerShell script per command execution, and a reconnect."""

    def execute_script(self, script: str) -> tuple[int, str, str]:
        """Run ``script`` as one command execution; return (rc, stdout, stderr)."""

    def reconnect(self) -> None:
        """Drop and reopen the connection (after it failed during a write batch)."""


class Engine(t.Protocol):
    """What the glue runs for a task."""

    def run(self, host: Host, args: Args, check_mode: bool) -> Result:
        """The task's result; raises TcpipValueError, ConvergeFailed, RemoteError, TransportError or WriteOutcomeUnknown."""


class ConfigurationRequest(t.Protocol):
    """A configuration module's desired state, which knows what to read of the host to plan it."""

    def snapshot_request(self) -> SnapshotRequest:
        """The parts of the host the plan and its verification need."""


RequestT = t.TypeVar("RequestT", bound=ConfigurationRequest)


@dataclasses.dataclass(frozen=True)
class ConfigurationEngine(t.Generic[RequestT]):
    """A configuration module: its arguments become a request, a snapshot and the request a plan, and ``observe`` gives
    the managed state (the shape of ``Plan.before``/``after``) that the verification read must match."""

    request_from_args: t.Callable[[Args], RequestT]
    plan: t.Callable[[RequestT, HostSnapshot], Plan]
    observe: t.Callable[[RequestT, HostSnapshot], t.Dict[str, t.Any]]

    def run(self, host: Host, args: Args, check_mode: bool) -> Result:
        request = self.request_from_args(args)
        return converge(
            host.execute_script,
            request.snapshot_request(),
            lambda snapshot: self.plan(request, snapshot),
            lambda snapshot: self.observe(request, snapshot),
            check_mode,
            reconnect=host.reconnect,
        )


@dataclasses.dataclass(frozen=True)
class ReadOnlyEngine:
    """A module that only reads (and, for the probe, opens sockets that it closes): its own ``run``."""

    runner: t.Callable[[Host, Args, bool], Result]

    def run(self, host: Host, args: Args, check_mode: bool) -> Result:
        return self.runner(host, args, check_mode)
