# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read → plan → (check mode stops) → write+verify flow every configuration module shares.

Round trips: one batch to read; when something must change and this is not check mode, one more batch that
runs every write and then re-reads the same state to verify it. A converged host costs one command execution.

When the connection fails while the write batch runs, nobody knows which writes the host applied. The flow then
reconnects and reads the host once more (one bounded attempt) to say exactly what changed, and fails: a write whose
own verification was lost is never reported as a success. When that read fails too, the caller gets
``WriteOutcomeUnknown`` with every write that may have been applied.
"""

from __future__ import annotations

import dataclasses
import typing as t

from .._windows.host import HostSnapshot
from .._windows.values import TcpipValueError
from .._wire.commands import NativeCommand
from .._wire.reader import SnapshotRequest, parse_snapshot, read_host, snapshot_commands
from .._wire.remote import CommandOutput, Execute, RemoteError, TransportError, run_batch, sentence

# Read from the token's integrity SID in the read batch (_wire/reader.py), so the one sentence replaces a netsh/reg
# "requires elevation" or "Access is denied" per write, and comes before any of them.
NOT_ELEVATED = ("the account does not run elevated on the host (its token has no High Mandatory Level, S-1-16-12288), and "
                "Windows lets only an elevated administrator change these settings; use an administrator account (a local "
                "one over WinRM needs LocalAccountTokenFilterPolicy=1) or a domain administrator")
Reconnect = t.Callable[[], None]


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
    # What the result says about the host's state, as opposed to the plan (``warnings``/``extra`` above): ``describe``
    # turns a snapshot into warnings and ``extra`` entries. Before a change (check mode, a converged host) it describes
    # ``leaves``, the state the plan leaves behind as predicted from the first read (converge sets the first read when None);
    # after writes, converge applies it to the verification read instead, so nothing the result says about the host
    # after a change comes from the read before it (a winnat restart removes WinNAT rows that read still showed).
    leaves: HostSnapshot | None = None
    describe: t.Callable[[HostSnapshot], t.Tuple[t.List[str], t.Dict[str, t.Any]]] | None = None

    def report(self, snapshot: HostSnapshot | None = None) -> tuple[list[str], dict[str, t.Any]]:
        """The result's warnings and extra entries: those about the host as ``snapshot`` shows it (by default ``leaves``),
        then those about the plan."""
        shown = snapshot if snapshot is not None else self.leaves
        state_warnings, facts = self.describe(shown) if self.describe is not None and shown is not None else ([], {})
        return [*state_warnings, *self.warnings], {**self.extra, **facts}


class ConvergeFailed(Exception):
    """The host refused a write or the verification disagreed; ``result`` says exactly what changed."""

    def __init__(self, message: str, result: dict[str, t.Any]) -> None:
        self.result = result
        super().__init__(message)


class WriteOutcomeUnknown(Exception):
    """The connection failed during the write batch and the host could not be read again afterwards."""

    def __init__(self, message: str, unreachable: bool, result: dict[str, t.Any]) -> None:
        self.unreachable = unreachable
        self.result = result
        super().__init__(message)


def _describe_writes(outputs: t.Sequence[CommandOutput]) -> str:
    done = [f"'{o.command}'" for o in outputs if o.ok]
    refused = [o.describe() for o in outputs if not o.ok]
    parts = [f"changed: {', '.join(done) if done else 'nothing'}"]
    if refused:
        parts.append(f"refused: {'; '.join(refused)}")
    return ". ".join(parts)


def state_delta(before: t.Mapping[str, t.Any], observed: t.Mapping[str, t.Any], wanted: t.Mapping[str, t.Any]) -> dict[str, list[str]]:
    """Which items of the module's state view (``ipv4_tcp``, ``MaxUserPort``, ...) the host now has changed from
    ``before``, and which still differ from what was wanted."""
    return {"applied": [key for key in wanted if observed.get(key) != before.get(key)],
            "not_applied": [key for key in wanted if observed.get(key) != wanted.get(key)]}


def _items(keys: t.Sequence[str]) -> str:
    return ", ".join(keys) if keys else "none"


def _describe_host(result: dict[str, t.Any], plan: Plan, snapshot: HostSnapshot | None) -> None:
    """Put into ``result`` what ``plan.describe`` says about the host as a read after the writes shows it; with no such
    read (the host could not be read back), its entries become null and only the plan's own warnings remain."""
    if plan.describe is None:
        return
    if snapshot is not None:
        warnings, extra = plan.report(snapshot)
    else:
        warnings, extra = list(plan.warnings), {key: None for key in plan.report()[1] if key not in plan.extra}
    result.update(extra, warnings=warnings)


def _after_broken_batch(  # pylint: disable=too-many-arguments
        what_happened: str, unreachable: bool, execute: Execute, reconnect: Reconnect | None, request: SnapshotRequest,
        plan: Plan, view: t.Callable[[HostSnapshot], dict[str, t.Any]], result: dict[str, t.Any]) -> ConvergeFailed:
    """The write batch ended without its verification (connection lost, output cut, PowerShell errors): reconnect when
    asked, read once more and say what the host has now; raise WriteOutcomeUnknown when that read fails too."""
    sent = ", ".join(f"'{c}'" for c in plan.commands)
    try:
        if reconnect is not None:
            reconnect()
        fresh = read_host(execute, request).snapshot
        observed = view(fresh)
    except (TransportError, RemoteError) as again:
        result.update(after=None, applied=None, not_applied=None, changed=True)
        _describe_host(result, plan, None)
        raise WriteOutcomeUnknown(
            f"{what_happened} Reading the host again failed too ({sentence(str(again))[:-1]}). The host may have applied any of: {sent}. "
            "Nothing was verified; run the task again once the host answers: it reads the host first and converges.",
            unreachable and getattr(again, "unreachable", True), result) from None
    delta = state_delta(plan.before, observed, plan.after)
    result.update(after=observed, diff={"before": plan.before, "after": observed}, changed=bool(delta["applied"]), **delta)
    _describe_host(result, plan, fresh)
    return ConvergeFailed(
        f"{what_happened} A fresh read shows these changed: {_items(delta['applied'])}; still different from what was asked: "
        f"{_items(delta['not_applied'])}. The batch's own verification was lost, so this task is not reported as a success "
        f"even if everything is in place; run it again to converge and verify. State now: {observed}", result)


def _interrupted(error: BaseException, plan: Plan, result: dict[str, t.Any]) -> ConvergeFailed:
    """The task's ``timeout:`` fired while the write batch ran (ansible-core's TaskTimeoutError, a BaseException before
    2.19): there is no time left to read the host, so every write sent is reported as one that may have applied."""
    sent = [str(c) for c in plan.commands]
    result.update(changed=True, after=None, applied=None, not_applied=None, may_have_applied=sent)
    _describe_host(result, plan, None)
    return ConvergeFailed(
        f"The task's timeout ran out while the host ran the write batch ({type(error).__name__}). The host may have applied any "
        f"of: {', '.join(repr(c) for c in sent)}. Nothing was verified; run the task again (with more time): it reads the host "
        "first and converges.", result)


def converge(execute: Execute, request: SnapshotRequest, planner: t.Callable[[HostSnapshot], Plan],
             view: t.Callable[[HostSnapshot], dict[str, t.Any]], check_mode: bool, reconnect: Reconnect | None = None,
             snapshot: HostSnapshot | None = None) -> dict[str, t.Any]:
    """Run the whole flow and return the Ansible result (without ``failed``); raise ConvergeFailed on failure.

    ``view`` turns a snapshot into the same shape as ``Plan.before``/``Plan.after``; it is applied to the
    verification read after writes and must then equal ``Plan.after``. ``reconnect`` drops and reopens the
    connection after a failure during the write batch, before the host is read again. ``snapshot``: a read of the
    host made earlier in the same task, with nothing written since (it holds at least what ``request`` reads); the flow
    then plans from it instead of reading again (the port_capacity role's one task: _report/role_apply.py).
    """
    if snapshot is None:
        snapshot = read_host(execute, request).snapshot
    plan = planner(snapshot)
    if plan.leaves is None:
        plan.leaves = snapshot  # no prediction given: describe the host as read
    warnings, extra = plan.report()
    result: dict[str, t.Any] = {
        "changed": bool(plan.commands),
        "before": plan.before,
        "after": plan.after,
        "diff": {"before": plan.before, "after": plan.after},
        "reboot_required": plan.reboot_required,
        "commands": [str(c) for c in plan.commands],
        # What the host has changed so far (nothing yet) and what is still to change.
        **state_delta(plan.before, plan.before, plan.after),
        "warnings": warnings,
        **extra,
    }
    if plan.commands and snapshot.elevated is False:
        if not check_mode:
            raise TcpipValueError.refusal("host", NOT_ELEVATED)
        result["warnings"].append(NOT_ELEVATED[0].upper() + NOT_ELEVATED[1:] + ".")
    if not plan.commands or check_mode:
        return result

    verify_request = request.verification()
    verify_cmds = snapshot_commands(verify_request)
    try:
        outputs = run_batch(execute, plan.commands + verify_cmds)
    except TransportError as error:
        lost = f"The connection failed while the host ran the write batch ({sentence(str(error))[:-1]})."
        raise _after_broken_batch(lost, error.unreachable, execute, reconnect, verify_request, plan, view, result) from error
    except RemoteError as error:
        # Cut output or PowerShell errors: the markers say which writes ran and how they ended, a fresh read what changed.
        ran = error.outputs[:len(plan.commands)]
        stopped = (f"{sentence(str(error))} The writes that did run: {sentence(_describe_writes(ran)) if ran else 'none.'}")
        raise _after_broken_batch(stopped, False, execute, None, verify_request, plan, view, result) from error
    except BaseException as error:  # pylint: disable=broad-exception-caught
        if type(error).__name__ != "TaskTimeoutError":
            raise
        raise _interrupted(error, plan, result) from None

    writes, verification = outputs[:len(plan.commands)], outputs[len(plan.commands):]
    try:
        verified = parse_snapshot(verify_request, verification)
        observed = view(verified)
    except RemoteError as error:
        # The writes ran but their verification cannot be read: never "nothing changed"; read the host once more.
        unreadable = f"The writes ran ({sentence(_describe_writes(writes))[:-1]}) but their verification could not be read ({sentence(str(error))[:-1]})."
        raise _after_broken_batch(unreadable, False, execute, None, verify_request, plan, view, result) from error
    result["after"] = observed
    result["diff"] = {"before": plan.before, "after": observed}
    result.update(state_delta(plan.before, observed, plan.after))
    # Warnings and facts about the host from the read after the writes, never from the one before them.
    _describe_host(result, plan, verified)
    if any(not o.ok for o in writes):
        result["changed"] = any(o.ok for o in writes)
        hint = f" {plan.refusal_hint}" if plan.refusal_hint else ""
        raise ConvergeFailed(f"The host refused a change. {sentence(_describe_writes(writes))}{hint} State now: {observed}", result)
    if observed != plan.after:
        raise ConvergeFailed(f"Every write succeeded but the host now reports {observed}, not {plan.after}.", result)
    return result
