# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port_capacity role's work on one host in one task (portscale.tcpip.port_capacity_apply; docs/role.md, "Flow").

Command executions, all inside this task (nothing is reused across tasks): one read (win_port_info's), from which every
setting is planned with the modules' plan functions (a refusal stops the host before any write); in enforce mode, when
something differs, one batch with every write in the safe order followed by the same read, which verifies each setting
and is the read after the changes; the probe, sized from the latest read of this task. Converged: 2; changing: 3; after
the role's reboot, ``after_reboot``: 2 (a fresh read, the probe).
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.portscale.tcpip.plugins.modules import (
    win_dynamic_port_range as _dynamic_range_doc,
    win_excluded_port_range as _exclusions_doc,
    win_port_probe as _probe_doc,
    win_tcpip_parameters as _tcpip_doc,
)

from .._engine import dynamic_range, excluded_ranges, probe, tcpip_parameters
from .._engine.converge import Plan, converge, state_delta
from .._engine.port_info import DEFAULT_EVENTS_DAYS, READ_REQUEST, info_result
from .._windows.host import HostSnapshot
from .._windows.values import TcpipValueError
from .._wire.reader import HostRead, SnapshotRequest, parse_snapshot, read_host, snapshot_commands
from .._wire.remote import CommandOutput, Execute, RemoteError, TransportError, run_batch, sentence
from .role_summary import host_summary, summary_line
from .role_validation import module_args, plan_refusals, wanted_ranges

NOTHING_CHANGED = "Nothing was changed."
# The summary's names of the three settings (role_summary.CHANGE_KEYS), in the order they are written.
KINDS = ("tcpip_parameters", "exclusions", "ranges")
Reconnect = t.Optional[t.Callable[[], None]]


class StepFailed(Exception):
    """The host stops at ``step``; ``result`` holds what the task knows (reads, plans, what changed)."""

    def __init__(self, step: str, message: str, result: dict[str, t.Any] | None = None, unreachable: bool = False) -> None:
        self.step = step
        self.unreachable = unreachable
        self.result = result or {}
        super().__init__(message)


@dataclasses.dataclass
class Setting:
    """One setting the role manages: the summary's kind, the module, its engine request, its item (ranges)."""

    kind: str
    module: str
    request: t.Any
    engine: t.Any
    item: dict[str, t.Any] | None = None
    plan: Plan | None = None
    result: dict[str, t.Any] = dataclasses.field(default_factory=dict)

    @property
    def step(self) -> str:
        """The step name the fleet report gives a failure of this setting (a range's key as a loop's label was)."""
        if self.item is not None and self.item["key"] != "all":
            return f"{self.module} ({self.item['key']})"
        return self.module

    def observe(self, snapshot: HostSnapshot) -> dict[str, t.Any]:
        return self.engine.observe(self.request, snapshot)

    def shown(self) -> dict[str, t.Any]:
        return {**self.result, "item": self.item} if self.item is not None else dict(self.result)


def _range_args(key: str, wanted: t.Mapping[str, t.Any], guard: str) -> dict[str, t.Any]:
    args = {"start": wanted.get("start"), "listener_guard": guard,
            "ip_versions": ["ipv4", "ipv6"] if key == "all" else [key.split("_")[0]],
            "protocols": ["tcp", "udp"] if key == "all" else [key.split("_")[1]]}
    args.update({name: wanted[name] for name in ("count", "end") if wanted.get(name) is not None})
    return args


def settings(values: t.Mapping[str, t.Any], legacy: bool) -> list[Setting]:
    """The settings the role manages, in the order they are written. ``legacy``: the host has no netsh dynamic range
    (Windows Server 2003 and older), where MaxUserPort is the range itself and the default ``absent`` is not applied."""
    found = []
    max_user_port = values.get("port_capacity_max_user_port")
    if legacy and isinstance(max_user_port, str) and max_user_port.strip().lower() == "absent":
        max_user_port = None
    given = {option: value for option, value in (("max_user_port", max_user_port),
                                                 ("tcp_timed_wait_delay", values.get("port_capacity_tcp_timed_wait_delay")))
             if value is not None}
    if given:
        found.append(Setting("tcpip_parameters", "win_tcpip_parameters",
                             tcpip_parameters.request_from_args(module_args(_tcpip_doc.DOCUMENTATION, given)), tcpip_parameters))
    if values.get("port_capacity_exclusions") or boolean(values.get("port_capacity_exclusions_purge", False), strict=False):
        args = {"ranges": values.get("port_capacity_exclusions") or [], "purge": values.get("port_capacity_exclusions_purge", False),
                "protocols": values.get("port_capacity_exclusion_protocols"), "ip_versions": values.get("port_capacity_exclusion_ip_versions"),
                "winnat_restart": values.get("port_capacity_winnat_restart", False)}
        args = {name: value for name, value in args.items() if value is not None}
        found.append(Setting("exclusions", "win_excluded_port_range",
                             excluded_ranges.request_from_args(module_args(_exclusions_doc.DOCUMENTATION, args)), excluded_ranges))
    guard = values.get("port_capacity_listener_guard") or "warn"
    for key, _variable, wanted in wanted_ranges(values):
        args = module_args(_dynamic_range_doc.DOCUMENTATION, _range_args(key, wanted, guard))
        found.append(Setting("ranges", "win_dynamic_port_range", dynamic_range.request_from_args(args), dynamic_range,
                             {"key": key, "range": dict(wanted)}))
    return found


def probe_args(values: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    count = values.get("port_capacity_probe_count")
    minimum = values.get("port_capacity_probe_min_success")
    given = {"count": count, "fail_below": count if minimum is None else minimum, "timeout": values.get("port_capacity_probe_timeout"),
             "ip_version": values.get("port_capacity_probe_ip_version"), "max_free_share": values.get("port_capacity_probe_max_free_share"),
             "allow_exhaustion": values.get("port_capacity_probe_allow_exhaustion")}
    return module_args(_probe_doc.DOCUMENTATION, {k: v for k, v in given.items() if v is not None})


def read_request(managed: t.Sequence[Setting], bound_sockets: bool = True) -> SnapshotRequest:
    """win_port_info's read, with the persistent stores when a setting keeps its value there."""
    persistent = any(s.request.snapshot_request().persistent for s in managed)
    return dataclasses.replace(READ_REQUEST, persistent=persistent, netstat_bound=bound_sockets)


def _no_execute(script: str) -> tuple[int, str, str]:
    raise AssertionError("a plan sends nothing to the host")


def _failure(error: Exception) -> dict[str, t.Any]:
    return {"failed": True, "changed": False, "msg": f"{sentence(str(error))} {NOTHING_CHANGED}"}


def plan_all(managed: t.Sequence[Setting], snapshot: HostSnapshot, writing: bool) -> list[str]:
    """Plan every setting from one snapshot (each result is its module's in check mode: nothing is sent); the refusals."""
    for setting in managed:
        def planner(snap: HostSnapshot, setting: Setting = setting) -> Plan:
            setting.plan = setting.engine.plan(setting.request, snap)
            return setting.plan
        try:
            setting.result = converge(_no_execute, setting.request.snapshot_request(), planner, setting.observe, True, snapshot=snapshot)
        except TcpipValueError as error:
            setting.result = _failure(error)
    by_module: dict[str, t.Any] = {}
    for setting in managed:
        if setting.module == "win_dynamic_port_range":
            by_module.setdefault(setting.module, {"results": []})["results"].append(setting.shown())
        else:
            by_module[setting.module] = setting.shown()
    return plan_refusals(by_module, writing=writing)


def grouped(managed: t.Sequence[Setting]) -> dict[str, t.Any]:
    """Results by the summary's kind, the ranges as a loop's ``results`` (the shape role_summary reads)."""
    found: dict[str, t.Any] = {kind: {} for kind in KINDS}
    for setting in managed:
        if setting.kind == "ranges":
            found["ranges"].setdefault("results", []).append(setting.shown())
        else:
            found[setting.kind] = setting.shown()
    return found


def _writes_text(outputs: t.Sequence[CommandOutput]) -> str:
    done = [f"'{o.command}'" for o in outputs if o.ok]
    refused = [o.describe() for o in outputs if not o.ok and not o.skipped]
    return f"changed: {', '.join(done) if done else 'nothing'}" + (f". refused: {'; '.join(refused)}" if refused else "")


def _items(keys: t.Sequence[str]) -> str:
    return ", ".join(keys) if keys else "none"


def _verified(setting: Setting, snapshot: HostSnapshot, writes: t.Sequence[CommandOutput]) -> str | None:
    """Put what ``snapshot`` (read after the writes) shows and ``write`` (applied, refused, skipped) into the setting's
    result; the failure message, if any."""
    plan = t.cast(Plan, setting.plan)
    observed = setting.observe(snapshot)
    result = setting.result
    result.update(after=observed, diff={"before": plan.before, "after": observed}, **state_delta(plan.before, observed, plan.after))
    if plan.describe is not None:
        warnings, extra = plan.report(snapshot)
        result.update(extra, warnings=warnings)
    if writes and all(o.skipped for o in writes):
        result.update(write="skipped", changed=bool(result["applied"]))
        return f"Not written: an earlier setting was refused. State now: {observed}"
    if any(not o.ok for o in writes):
        result.update(write="refused", changed=any(o.ok for o in writes) or bool(result["applied"]))
        hint = f" {plan.refusal_hint}" if plan.refusal_hint else ""
        return f"The host refused a change. {sentence(_writes_text(writes))}{hint} State now: {observed}"
    if writes:
        result["write"] = "applied"
    if observed != plan.after:
        return f"Every write succeeded but the host now reports {observed}, not {plan.after}."
    return None


def _settings_text(todo: t.Sequence[Setting], writes: t.Sequence[CommandOutput]) -> str:
    """What changed (per the read after the writes), was refused, was skipped."""
    changed, refused, skipped = [], [], []
    start = 0
    for setting in todo:
        count = len(t.cast(Plan, setting.plan).commands)
        mine, start = writes[start:start + count], start + count
        if setting.result.get("applied"):
            changed.append(f"{setting.step}: {', '.join(setting.result['applied'])}")
        refused += [o.describe() for o in mine if not o.ok and not o.skipped]
        skipped += [f"'{o.command}'" for o in mine if o.skipped]
    return (f"Changed (the read after the writes): {'; '.join(changed) if changed else 'nothing'}. "
            f"Refused: {sentence('; '.join(refused)) if refused else 'nothing.'} "
            f"Skipped (not run after the refusal): {', '.join(skipped) if skipped else 'nothing'}.")


def _lost(what_happened: str, execute: Execute, reconnect: Reconnect, request: SnapshotRequest, todo: t.Sequence[Setting],
          result: dict[str, t.Any], unreachable: bool) -> StepFailed:
    """The write batch ended without its verification: reconnect when asked, read once more and say what the host has
    now; when that read fails too, every write sent may have applied (the summary says so)."""
    sent = ", ".join(f"'{c}'" for s in todo for c in t.cast(Plan, s.plan).commands)
    try:
        if reconnect is not None:
            reconnect()
        fresh = read_host(execute, request)
    except (TransportError, RemoteError) as again:
        for setting in todo:
            setting.result.update(after=None, applied=None, not_applied=None, changed=True,
                                  may_have_applied=[str(c) for c in t.cast(Plan, setting.plan).commands])
        return StepFailed(todo[0].step, (
            f"{what_happened} Reading the host again failed too ({sentence(str(again))[:-1]}). The host may have applied any of: "
            f"{sent}. Nothing was verified; run the role again once the host answers: it reads the host first and converges."),
            result, unreachable=unreachable and getattr(again, "unreachable", True))
    applied: list[str] = []
    not_applied: list[str] = []
    for setting in todo:
        _verified(setting, fresh.snapshot, ())
        setting.result["changed"] = bool(setting.result["applied"])
        applied += setting.result["applied"]
        not_applied += setting.result["not_applied"]
    result["after"] = {"changed": False, **info_result(fresh, DEFAULT_EVENTS_DAYS)}
    return StepFailed(todo[0].step, (
        f"{what_happened} A fresh read shows these changed: {_items(applied)}; still different from what was asked: "
        f"{_items(not_applied)}. The batch's own verification was lost, so this run is not reported as a success even if "
        "everything is in place; run it again to converge and verify."), result)


def write_and_verify(execute: Execute, todo: t.Sequence[Setting], request: SnapshotRequest, result: dict[str, t.Any],
                     reconnect: Reconnect) -> HostRead:
    """Every write of ``todo`` in one batch (the settings' order; a refusal skips the later settings), then
    ``request``'s read (always run), which verifies each setting; returns that read. Raises StepFailed naming the
    first setting that failed."""
    commands = [c for s in todo for c in t.cast(Plan, s.plan).commands]
    result["may_have_written"] = True
    try:
        outputs = run_batch(execute, commands + snapshot_commands(request), [len(t.cast(Plan, s.plan).commands) for s in todo])
    except TransportError as error:
        raise _lost(f"The connection failed while the host ran the write batch ({sentence(str(error))[:-1]}).", execute, reconnect,
                    request, todo, result, error.unreachable) from None
    except RemoteError as error:
        ran = error.outputs[:len(commands)]
        stopped = f"{sentence(str(error))} The writes that did run: {sentence(_writes_text(ran)) if ran else 'none.'}"
        raise _lost(stopped, execute, None, request, todo, result, False) from None
    except BaseException as error:  # pylint: disable=broad-exception-caught
        if type(error).__name__ != "TaskTimeoutError":
            raise
        for setting in todo:
            setting.result.update(changed=True, after=None, may_have_applied=[str(c) for c in t.cast(Plan, setting.plan).commands])
        raise StepFailed(todo[0].step, (
            f"The task's timeout ran out while the host ran the write batch ({type(error).__name__}). The host may have applied "
            f"any of: {', '.join(repr(str(c)) for c in commands)}. Nothing was verified; run the role again (with more time): it "
            "reads the host first and converges."), result) from None
    writes, verification = outputs[:len(commands)], outputs[len(commands):]
    try:
        read = HostRead(parse_snapshot(request, verification), request.netstat_bound, 1)
    except RemoteError as error:
        raise _lost(f"The writes ran ({sentence(_writes_text(writes))[:-1]}) but their verification could not be read "
                    f"({sentence(str(error))[:-1]}).", execute, None, request, todo, result, False) from None
    failures = []
    start = 0
    for setting in todo:
        count = len(t.cast(Plan, setting.plan).commands)
        problem = _verified(setting, read.snapshot, writes[start:start + count])
        start += count
        if problem:
            setting.result["failed"] = True
            setting.result["msg"] = problem
            failures.append((setting, problem))
    result["after"] = {"changed": False, **info_result(read, DEFAULT_EVENTS_DAYS)}
    if failures:
        setting, problem = failures[0]
        if len(todo) > 1 and setting.result.get("write") == "refused":
            hint = t.cast(Plan, setting.plan).refusal_hint
            problem = (f"The host refused a change ({setting.step}). "
                       f"{_settings_text(todo, writes)}{' ' + hint if hint else ''}")
        elif len(todo) > 1:
            problem = f"{problem} {_settings_text(todo, writes)}"
        raise StepFailed(setting.step, problem, result)
    return read


def _probe(execute: Execute, values: t.Mapping[str, t.Any], read: HostRead, check_mode: bool, result: dict[str, t.Any]) -> None:
    """win_port_probe, sized from ``read`` (a read of this task) instead of a read of its own."""
    try:
        result["probe"] = probe.run(execute, probe_args(values), check_mode, read=read)
    except (TcpipValueError, RemoteError) as error:
        result["probe"] = _failure(error)
    except TransportError as error:
        result["probe"] = _failure(error)
        raise StepFailed("probe", result["probe"]["msg"], result, unreachable=error.unreachable) from None


def _read(execute: Execute, request: SnapshotRequest, step: str, result: dict[str, t.Any]) -> HostRead:
    try:
        return read_host(execute, request)
    except TransportError as error:
        raise StepFailed(step, f"{sentence(str(error))} {NOTHING_CHANGED}", result, unreachable=error.unreachable) from None
    except RemoteError as error:
        raise StepFailed(step, f"{sentence(str(error))} {NOTHING_CHANGED}", result) from None


def apply(execute: Execute, values: t.Mapping[str, t.Any], dry_run: bool, check_mode: bool, reboot_allowed: bool,
          reconnect: Reconnect = None, plan_only: bool = False) -> dict[str, t.Any]:
    """The host's steps; raises StepFailed with the step a host stops at (its ``result`` says what is known).
    ``values``: the role's variables, valid (role_validation.variable_problems found nothing). ``plan_only``: stop after
    the plan (the role's plan gate; one command execution): no write, no probe, nothing ``changed``."""
    result: dict[str, t.Any] = {"before": {}, "after": {}, "changes": {kind: {} for kind in KINDS}, "probe": {}, "commands": [],
                                "changed": False, "reboot_required": False, "reboot_next": False, "probe_deferred": False,
                                "may_have_written": False}
    first = _read(execute, read_request(settings(values, legacy=False)), "read", result)
    result["before"] = {"changed": False, **info_result(first, DEFAULT_EVENTS_DAYS)}
    managed = settings(values, legacy=not first.snapshot.has_dynamicport)
    refusals = plan_all(managed, first.snapshot, writing=not dry_run)
    todo = [s for s in managed if s.result.get("commands") and not s.result.get("failed")]
    result["commands"] = [c for s in todo for c in s.result["commands"]]
    result["diff"] = [{"before": s.result.get("before"), "after": s.result.get("after"), "before_header": s.step, "after_header": s.step}
                      for s in todo]
    if dry_run:
        # The plans are the drift (audit mode, check mode), as the modules report it in check mode.
        result["changes"] = grouped(managed)
        result["changed"] = bool(todo)
    else:
        # In enforce mode a setting found in place shows its plan; one to write shows its write (below), or nothing when
        # the host stopped before it.
        result["changes"] = grouped([s for s in managed if s not in todo])
    if refusals:
        raise StepFailed("plan", f"Refused before any write: {' '.join(refusals)} Nothing was written to the host.", result)
    if plan_only:
        del result["diff"]
        return {**result, "changed": False}
    current = first
    if todo and not dry_run:
        try:
            current = write_and_verify(execute, todo, read_request(managed, first.bound_sockets_listed), result, reconnect)
        finally:
            result["changes"] = grouped(managed)
            result["changed"] = any(s.result.get("changed") for s in todo)
        result["diff"] = [{"before": s.result.get("before"), "after": s.result.get("after"), "before_header": s.step,
                           "after_header": s.step} for s in todo if s.result.get("changed")]
    result["reboot_required"] = not dry_run and any(s.result.get("reboot_required") for s in managed if s.kind == "tcpip_parameters")
    # tasks/reboot.yml runs next (probe on or off); a burst now would measure the old stack.
    result["reboot_next"] = bool(reboot_allowed and not dry_run and result["reboot_required"])
    if boolean(values.get("port_capacity_probe", True), strict=False):
        if result["reboot_next"]:
            result["probe_deferred"] = True
        else:
            _probe(execute, values, current, check_mode, result)
    return result


def after_reboot(execute: Execute, values: t.Mapping[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
    """After the role's reboot: read the host again and probe it, the burst sized from that read (2 executions)."""
    result: dict[str, t.Any] = {"after": {}, "probe": {}}
    read = _read(execute, read_request(settings(values, legacy=False)), "read after the reboot", result)
    result["after"] = {"changed": False, **info_result(read, DEFAULT_EVENTS_DAYS)}
    if boolean(values.get("port_capacity_probe", True), strict=False):
        _probe(execute, values, read, check_mode, result)
    return result


def summary_data(host: str, values: t.Mapping[str, t.Any], check_mode: bool, outcome: t.Mapping[str, t.Any], stage: str = "done",
                 rebooted: bool = False) -> dict[str, t.Any]:
    """The input of role_summary.host_summary (the filter portscale.tcpip.port_capacity_summary takes the same)."""
    count = values.get("port_capacity_probe_count")
    minimum = values.get("port_capacity_probe_min_success")
    return {"host": host, "mode": values.get("port_capacity_mode"), "check_mode": check_mode, "stage": stage,
            "before": outcome.get("before") or {}, "after": outcome.get("after") or {}, "changes": outcome.get("changes") or {},
            "rebooted": rebooted, "reboot_policy": values.get("port_capacity_reboot") or "never", "probe": outcome.get("probe") or {},
            "probe_min_success": count if minimum is None else minimum,
            "headroom_combo": f"ipv{values.get('port_capacity_probe_ip_version') or 4}_tcp"}


def verdict(summary: t.Mapping[str, t.Any], values: t.Mapping[str, t.Any]) -> str:
    """Why the role fails the host after the report ('' when it does not): its probe fell short, or it has drift in audit
    mode with ``port_capacity_fail_on_drift``."""
    host, found = summary.get("host"), summary.get("probe") or {}
    if boolean(values.get("port_capacity_probe", True), strict=False) and (found.get("failed") or found.get("passed") is False):
        return f"{host}: {found.get('message') or 'the probe failed'}"
    if boolean(values.get("port_capacity_fail_on_drift", False), strict=False) and summary.get("mode") == "audit" and summary.get("drift"):
        return f"{host} differs from the wanted settings: {'; '.join(summary['drift'])}"
    return ""


def summarised(data: t.Mapping[str, t.Any], values: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """``summary`` (the fact port_capacity_summary), ``summary_line`` (the line the role shows) and ``verdict`` of ``data``."""
    summary = host_summary(data)
    return {"summary": summary, "summary_line": summary_line(summary), "verdict": verdict(summary, values)}
