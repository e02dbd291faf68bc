# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's summary for the port_capacity role: the module results of a run, reduced to what a fleet report shows.

The role registers the results of win_port_info (before and, after a change, after), of the three configuration
modules (real or check mode) and of win_port_probe, and hands them here through the ``port_capacity_summary`` filter.
The summary is plain data (it becomes the host fact ``port_capacity_summary``), small enough to keep for hundreds of
hosts, and stable: report.py and users' own tasks read its keys.

Results are read defensively: a skipped task, a loop result or a missing key just means "nothing to say".
"""

from __future__ import annotations

import typing as t

from .._windows.values import type_name, user_value

COMBOS = ("ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp")
REGISTRY_VALUES = ("MaxUserPort", "TcpTimedWaitDelay")
SUMMARY_VERSION = 1
# Which configuration module each key of ``changes`` holds, in the order the role applies them.
CHANGE_KEYS = ("tcpip_parameters", "exclusions", "ranges")

Mapping = t.Mapping[str, t.Any]


def _dict(value: t.Any) -> dict[str, t.Any]:
    return dict(value) if isinstance(value, t.Mapping) else {}


def _ran(result: t.Any) -> bool:
    """A registered result of a task that ran (not skipped, not an undefined placeholder)."""
    return isinstance(result, t.Mapping) and bool(result) and not result.get("skipped")


def module_results(result: t.Any) -> list[dict[str, t.Any]]:
    """The results of one registered task: itself, or each item of a loop, skipped ones left out."""
    if not isinstance(result, t.Mapping):
        return []
    if isinstance(result.get("results"), list):
        return [dict(item) for item in result["results"] if _ran(item)]
    return [dict(result)] if _ran(result) else []


def range_text(port_range: t.Any) -> str | None:
    data = _dict(port_range)
    if "start" not in data or "end" not in data:
        return None
    return f"{data['start']}-{data['end']}"


def _value_text(value: t.Any) -> str:
    return "absent" if value is None else str(value)


def _pending_reboot(registry: Mapping) -> dict[str, dict[str, t.Any]]:
    """The values win_port_info reports as written and waiting for a reboot (their marker): the value in effect (null:
    absent, or not known when ``effective_known`` is false) beside the value the next boot uses."""
    pending = {}
    for name in REGISTRY_VALUES:
        entry = _dict(registry.get(name))
        if entry.get("state") == "pending":
            pending[name] = {"effective": entry.get("effective_assumed"), "effective_known": bool(entry.get("effective_known")),
                             "pending": entry.get("value")}
    return pending


def pending_text(name: str, entry: Mapping) -> str:
    """``TcpTimedWaitDelay: absent (120 s) in effect -> 30 after the reboot`` (``assumed`` when not known)."""
    effective = _value_text(entry.get("effective"))
    if name == "TcpTimedWaitDelay" and entry.get("effective") is None:
        effective += " (120 s)"
    known = "" if entry.get("effective_known", True) else " (assumed)"
    return f"{name}: {effective} in effect{known} -> {_value_text(entry.get('pending'))} after the reboot"


def host_state(info: t.Any, headroom_combo: str) -> dict[str, t.Any] | None:
    """What win_port_info saw, reduced to the report's columns; None when there is no usable info result."""
    if not _ran(info) or info.get("failed") or "ranges" not in info:
        return None
    registry = _dict(info.get("registry"))
    exclusions = _dict(info.get("exclusions"))
    capacity = _dict(_dict(info.get("capacity")).get(headroom_combo))
    administered: dict[str, list[str]] = {}
    winnat: dict[str, list[str]] = {}
    for combo in sorted(exclusions):
        for row in exclusions[combo] or ():
            target = administered if row.get("administered") else winnat if row.get("kind") == "winnat" else None
            if target is not None:
                target.setdefault(combo, []).append(range_text(row))
    return {
        "os_build": info.get("os_build"),
        "ranges": {combo: range_text(port_range) for combo, port_range in sorted(_dict(info.get("ranges")).items())},
        "registry": {name: _dict(registry.get(name)).get("value") for name in REGISTRY_VALUES},
        "max_user_port_pending": bool(_dict(registry.get("MaxUserPort")).get("pending")),
        # Written values that wait for a reboot: the value in effect beside the pending one (the rates use the former).
        "pending_reboot": _pending_reboot(registry),
        "time_wait_pending_seconds": _dict(info.get("time_wait")).get("pending_seconds"),
        "exclusions": {"administered": administered, "winnat": winnat},
        "headroom": {
            "combo": headroom_combo,
            "range_size": _dict(capacity.get("range")).get("count"),
            "usable": capacity.get("usable"),
            "free": capacity.get("free"),
            "percent_free": capacity.get("percent_free"),
            "in_use": _dict(capacity.get("in_use")).get("total"),
            "excluded": _dict(capacity.get("excluded")).get("total"),
        },
        "time_wait_seconds": capacity.get("time_wait_seconds"),
        "connections_per_second": capacity.get("connections_per_second"),
        "findings": [{"severity": f.get("severity"), "code": f.get("code"), "message": f.get("message")}
                     for f in info.get("findings") or () if isinstance(f, t.Mapping)],
        # Did the host run out (its Tcpip events 4227/4231), and which process holds the most ports now.
        "exhaustion": exhaustion_state(info.get("exhaustion_events")),
        "top_process": top_process(info.get("top_processes")),
    }


def exhaustion_state(events: t.Any) -> dict[str, t.Any] | None:
    """win_port_info's ``exhaustion_events`` reduced to the report's values; None when the read had none."""
    if not isinstance(events, t.Mapping):
        return None
    by_id = _dict(events.get("by_event_id"))
    return {"days": events.get("days"), "read": bool(events.get("read")), "total": events.get("total"), "last": events.get("last"),
            "counts": {event_id: _dict(entry).get("count") for event_id, entry in sorted(by_id.items())}, "note": events.get("note")}


def top_process(rows: t.Any) -> dict[str, t.Any] | None:
    """The process (PID > 0: PID 0 is TIME_WAIT) holding the most ports, with its image name when tasklist gave one."""
    for row in rows or ():
        if isinstance(row, t.Mapping) and isinstance(row.get("pid"), int) and row["pid"] > 0:
            return {"pid": row["pid"], "name": row.get("name"), "ports": row.get("ports_in_ranges")}
    return None


def _range_changes(before: Mapping, after: Mapping) -> list[str]:
    """``ipv4_tcp, ipv6_tcp: 49152-65535 -> 10000-65535``: combos with the same transition share a line."""
    transitions: dict[tuple[str | None, str | None], list[str]] = {}
    for combo in COMBOS:
        old, new = range_text(before.get(combo)), range_text(after.get(combo))
        if combo in after and old != new:
            transitions.setdefault((old, new), []).append(combo)
    return [f"{', '.join(combos)}: {old or 'none'} -> {new or 'none'}" for (old, new), combos in transitions.items()]


def _registry_changes(before: Mapping, after: Mapping) -> list[str]:
    return [f"{name}: {_value_text(before.get(name))} -> {_value_text(after.get(name))}"
            for name in REGISTRY_VALUES if name in after and before.get(name) != after.get(name)]


def _exclusion_changes(before: Mapping, after: Mapping) -> list[str]:
    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    for combo in COMBOS:
        old = {range_text(row) for row in before.get(combo) or ()}
        new = {range_text(row) for row in after.get(combo) or ()}
        for block in sorted(new - old):
            added.setdefault(block, []).append(combo)
        for block in sorted(old - new):
            removed.setdefault(block, []).append(combo)
    lines = [f"exclusion +{block} ({', '.join(combos)})" for block, combos in added.items()]
    return lines + [f"exclusion -{block} ({', '.join(combos)})" for block, combos in removed.items()]


def describe_change(kind: str, result: Mapping) -> list[str]:
    """Short lines for what one configuration result changed (or, in check mode, would change)."""
    before, after = _dict(result.get("before")), _dict(result.get("after"))
    if kind == "ranges":
        lines = _range_changes(before, after)
    elif kind == "tcpip_parameters":
        lines = _registry_changes(before, after)
    else:
        lines = _exclusion_changes(before, after)
    # A change whose after-state is not readable (a failed verification) still shows the commands it ran.
    return lines or [str(command) for command in result.get("commands") or ()]


def _changes(changes: Mapping) -> tuple[list[str], bool, list[str], bool]:
    """The change lines, whether they need a reboot, the warnings, and whether a write's outcome is not known (a write
    batch whose answer was lost: ``may_have_applied`` lists what it sent, and the lines say so)."""
    lines: list[str] = []
    warnings: list[str] = []
    reboot_required = False
    unknown = False
    for kind in CHANGE_KEYS:
        for result in module_results(changes.get(kind)):
            warnings += [str(w) for w in result.get("warnings") or ()]
            sent = [str(command) for command in result.get("may_have_applied") or ()]
            if sent and not result.get("after"):
                unknown = True
                lines += [f"may have applied: {command}" for command in sent]
            elif result.get("changed"):
                lines += describe_change(kind, result)
                reboot_required = reboot_required or bool(result.get("reboot_required"))
    return lines, reboot_required, list(dict.fromkeys(warnings)), unknown


def probe_summary(probe: t.Any, min_success: t.Any) -> dict[str, t.Any]:
    """The probe's outcome; ``ran`` false when it was skipped, ``passed`` null when it did not open anything on purpose."""
    if not _ran(probe):
        return {"ran": False, "passed": None}
    error = _dict(probe.get("error"))
    # The role registers the probe with failed_when: false (its verdict comes after the report), which resets
    # ``failed``; a module failure still leaves its ``msg``, which a successful probe result never has.
    failed = bool(probe.get("failed")) or (bool(probe.get("msg")) and probe.get("passed") is not True)
    capped = [c.get("reason") for c in probe.get("capped") or () if isinstance(c, t.Mapping)]
    return {
        "ran": bool(probe.get("probed")),
        "requested": probe.get("requested"),
        "count": probe.get("count"),
        "min_success": probe.get("fail_below", min_success),
        "opened": probe.get("opened"),
        "passed": probe.get("passed"),
        "failed": failed,
        "error_code": error.get("code"),
        "error_name": error.get("name"),
        "elapsed_ms": probe.get("elapsed_ms"),
        "free_ports_before": probe.get("free_ports_before"),
        "capped": capped,
        "message": str(probe.get("msg")) if failed else None,
    }


def reboot_text(summary: Mapping) -> str:
    """The reboot state in words, the same in the console line and in the report: ``rebooted``, ``pending`` (with what
    waits), ``needed to apply`` (audit or check mode: the drift holds a value read only at boot), ``not needed``."""
    if summary.get("rebooted"):
        return "rebooted"
    if summary.get("reboot_pending"):
        waiting = summary.get("pending_reboot") or []
        return "pending: " + "; ".join(str(line) for line in waiting) if waiting else "pending"
    if summary.get("reboot_required"):
        return "needed to apply"
    return "not needed"


def _status(stage: str, dry_run: bool, drift: bool, changed: bool, probe: Mapping) -> str:
    if stage != "done":
        return "incomplete"
    if probe.get("failed") or probe.get("passed") is False:
        return "probe_failed"
    if dry_run and drift:
        return "drift"
    return "changed" if changed else "ok"


MODES = ("audit", "enforce")
# info: the role did not finish on the host (its first summary, or the one its rescue makes after a failure, with what
# the host reached); done: the role finished.
STAGES = ("info", "done")
RESULT_KEYS = ("before", "after", "changes", "probe")


def input_problems(data: Mapping) -> list[str]:
    """What makes ``data`` unusable for ``host_summary``; empty when it is fine.

    Results are read defensively (a skipped or missing one just says less), but the keys that steer the summary are
    checked: a misspelt mode (``enforcee``) would silently report an enforce run as drift, a summary without a host
    name would be dropped from the report, and a result that is not a dictionary is not a registered result at all.
    """
    problems = []
    host = data.get("host")
    if not isinstance(host, str) or not host.strip():
        problems.append(f"host={user_value(host)} is not a host name (give inventory_hostname)")
    for key, choices in (("mode", MODES), ("stage", STAGES), ("headroom_combo", COMBOS)):
        if data.get(key) is not None and data.get(key) not in choices:
            problems.append(f"{key}={user_value(data.get(key))} is not one of {', '.join(choices)}")
    for key in RESULT_KEYS:
        if data.get(key) is not None and not isinstance(data.get(key), t.Mapping):
            problems.append(f"{key} must be a registered task result (a dictionary), got {type_name(data.get(key))}")
    return problems


def host_summary(data: Mapping) -> dict[str, t.Any]:
    """Build the summary. ``data`` keys: host, mode, check_mode, stage (``info`` or ``done``), before, after, changes,
    rebooted, reboot_policy, probe, probe_min_success, headroom_combo."""
    mode = str(data.get("mode") or "audit")
    check_mode = bool(data.get("check_mode"))
    combo = str(data.get("headroom_combo") or "ipv4_tcp")
    before = host_state(data.get("before"), combo)
    after = host_state(data.get("after"), combo) if _ran(data.get("after")) else None
    lines, reboot_required, warnings, outcome_unknown = _changes(_dict(data.get("changes")))
    # Nothing is written in audit mode or check mode: the configuration modules' "changed" then means drift.
    wrote = mode == "enforce" and not check_mode
    changed = wrote and bool(lines)
    rebooted = bool(data.get("rebooted"))
    current = after or before or {}
    waiting = current.get("pending_reboot") or {}
    pending = (wrote and reboot_required and not rebooted) or bool(current.get("max_user_port_pending")) or bool(waiting)
    probe = probe_summary(data.get("probe"), data.get("probe_min_success"))
    stage = str(data.get("stage") or "done")
    summary = {
        "version": SUMMARY_VERSION,
        "host": str(data.get("host") or ""),
        "mode": mode,
        "check_mode": check_mode,
        "stage": stage,
        "status": _status(stage, not wrote, bool(lines), changed, probe),
        "before": before,
        "after": after,
        "changes": lines if wrote else [],
        "drift": [] if wrote else lines,
        "changed": changed,
        "reboot_policy": str(data.get("reboot_policy") or "never"),
        "reboot_required": reboot_required,
        "rebooted": rebooted,
        "reboot_pending": pending,
        "pending_reboot": [pending_text(name, entry) for name, entry in waiting.items()],
        "probe": probe,
        "findings": current.get("findings", []),
        "warnings": warnings,
        # A host that stopped after a write it could not verify and could not be read again: the values shown are the
        # first read's, and the host may hold others (the report says so instead of showing them as current).
        "after_unknown": bool(wrote and after is None and (outcome_unknown or (stage != "done" and lines))),
    }
    summary["reboot_text"] = reboot_text(summary)
    return summary


def _or(value: t.Any, fallback: t.Any) -> t.Any:
    """Jinja's ``default(fallback, true)``: the fallback for any false value."""
    return value if value else fallback


def summary_line(summary: Mapping) -> str:
    """The one line the role shows per host (its task *Show the host's summary*), from ``host_summary``'s summary: mode,
    status, the headroom of the probe's range and the rate, the probe, whether the range ran out and who holds the most
    ports, the changes or the drift, the reboot state."""
    state = _dict(summary.get("after")) or _dict(summary.get("before"))
    room = _dict(state.get("headroom"))
    probe = _dict(summary.get("probe"))
    combo = room.get("combo")
    free, rate, percent = room.get("free"), state.get("connections_per_second"), room.get("percent_free")
    parts = [f"{summary.get('mode')}{' (check mode)' if summary.get('check_mode') else ''}: {summary.get('status')}",
             f"{combo or 'range'} {_or(_dict(state.get('ranges')).get(combo or 'ipv4_tcp'), 'unknown')}, "
             f"{'?' if free is None else free} of {_or(room.get('range_size'), '?')} ports free "
             f"({'?' if percent is None else percent}%), {'?' if rate is None else rate} new connections/s"]
    if probe.get("ran"):
        verdict = " passed" if probe.get("passed") else (" FAILED" if probe.get("passed") is False else "")
        parts.append(f"probe {probe.get('opened')}/{probe.get('count')}{verdict}")
    else:
        parts.append(f"probe not run{' (FAILED)' if probe.get('failed') else ''}")
    first = _dict(summary.get("before")) or state
    ran = _dict(first.get("exhaustion"))
    top = _dict(first.get("top_process"))
    ran_out = f"yes (Tcpip events, last {ran.get('last')})" if ran.get("total") else ("no" if ran.get("read") else "unknown")
    holder = f", most ports held by {top.get('name') or 'an unnamed process'} (PID {top.get('pid')})" if top else ""
    parts.append(f"ran out: {ran_out}{holder}")
    changes, drift = summary.get("changes") or [], summary.get("drift") or []
    parts.append(f"changes: {'; '.join(changes)}" if changes else (f"drift: {'; '.join(drift)}" if drift else "no changes"))
    parts.append(f"reboot: {summary.get('reboot_text')}")
    return "; ".join(parts)
