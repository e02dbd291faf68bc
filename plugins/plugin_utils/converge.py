# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read → plan → (check mode stops) → write+verify flow every configuration module shares.

Round trips: one batch to read; when something must change and this is not check mode, one more batch that
runs every write and then re-reads the same state to verify it. A converged host costs one command execution.
"""

from __future__ import annotations

import dataclasses
import typing as t

from .commands import NativeCommand
from .remote import CommandOutput, RemoteError, run_batch, sentence
from .snapshot import HostSnapshot, SnapshotRequest, parse_snapshot, snapshot_commands

Execute = t.Callable[[str], t.Tuple[int, str, str]]


@dataclasses.dataclass
class Plan:
    """What a module wants done. ``before``/``after`` are the module's own view of the state it manages."""

    before: dict[str, t.Any]
    after: dict[str, t.Any]
    commands: list[NativeCommand] = dataclasses.field(default_factory=list)
    reboot_required: bool = False
    warnings: list[str] = dataclasses.field(default_factory=list)
    extra: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    refusal_hint: str = ""  # a plain explanation added when the host refuses a write


class ConvergeFailed(Exception):
    """The host refused a write or the verification disagreed; ``result`` says exactly what changed."""

    def __init__(self, message: str, result: dict[str, t.Any]) -> None:
        self.result = result
        super().__init__(message)


def read_snapshot(execute: Execute, request: SnapshotRequest) -> HostSnapshot:
    cmds = snapshot_commands(request)
    return parse_snapshot(request, run_batch(execute, cmds))


def _describe_writes(outputs: t.Sequence[CommandOutput]) -> str:
    done = [f"'{o.command}'" for o in outputs if o.ok]
    refused = [o.describe() for o in outputs if not o.ok]
    parts = [f"changed: {', '.join(done) if done else 'nothing'}"]
    if refused:
        parts.append(f"refused: {'; '.join(refused)}")
    return ". ".join(parts)


def converge(execute: Execute, request: SnapshotRequest, planner: t.Callable[[HostSnapshot], Plan],
             view: t.Callable[[HostSnapshot], dict[str, t.Any]], check_mode: bool) -> dict[str, t.Any]:
    """Run the whole flow and return the Ansible result (without ``failed``); raise ConvergeFailed on failure.

    ``view`` turns a snapshot into the same shape as ``Plan.before``/``Plan.after``; it is applied to the
    verification read after writes and must then equal ``Plan.after``.
    """
    snapshot = read_snapshot(execute, request)
    plan = planner(snapshot)
    result: dict[str, t.Any] = {
        "changed": bool(plan.commands),
        "before": plan.before,
        "after": plan.after,
        "diff": {"before": plan.before, "after": plan.after},
        "reboot_required": plan.reboot_required,
        "commands": [str(c) for c in plan.commands],
        "warnings": list(plan.warnings),
        **plan.extra,
    }
    if not plan.commands or check_mode:
        return result

    verify_request = request.verification()
    verify_cmds = snapshot_commands(verify_request)
    try:
        outputs = run_batch(execute, plan.commands + verify_cmds)
    except RemoteError as error:
        ran = error.outputs[:len(plan.commands)]
        result["after"] = None
        raise ConvergeFailed(
            f"{sentence(str(error))} The writes that did run: {sentence(_describe_writes(ran)) if ran else 'none.'} "
            "Read the host again before retrying.", result) from error

    writes, verification = outputs[:len(plan.commands)], outputs[len(plan.commands):]
    observed = view(parse_snapshot(verify_request, verification))
    result["after"] = observed
    result["diff"] = {"before": plan.before, "after": observed}
    if any(not o.ok for o in writes):
        result["changed"] = any(o.ok for o in writes)
        hint = f" {plan.refusal_hint}" if plan.refusal_hint else ""
        raise ConvergeFailed(f"The host refused a change. {sentence(_describe_writes(writes))}{hint} State now: {observed}", result)
    if observed != plan.after:
        raise ConvergeFailed(f"Every write succeeded but the host now reports {observed}, not {plan.after}.", result)
    return result
