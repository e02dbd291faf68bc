# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port_capacity fleet report: one row per host of the play, as Markdown, CSV and JSON (HTML in report_html.py).

Input: the play's host names in order, the ``port_capacity_summary`` of each host that has one (role_summary.py),
and the hosts still active in the play. A host without a summary is either not run yet (a later ``serial`` batch)
or failed/unreachable before the role could read it; the report says which instead of leaving it out.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import json
import typing as t

from .._windows.values import type_name
from .role_summary import COMBOS, reboot_text

FORMATS = ("markdown", "csv", "html", "json")
FILE_NAMES = {"markdown": "port_capacity.md", "csv": "port_capacity.csv", "html": "port_capacity.html", "json": "port_capacity.json"}
STATUS_TEXT = {
    "ok": "ok",
    "changed": "changed",
    "drift": "drift",
    "probe_failed": "probe failed",
    "incomplete": "incomplete (failed after the first read)",
    "unreachable": "failed or unreachable before the first read",
    "pending": "not run yet (later serial batch)",
}
STATUS_ORDER = ("probe_failed", "incomplete", "unreachable", "drift", "changed", "ok", "pending")
NO_DATA = "-"
ARROW = " -> "
NOT_KNOWN = "not known (a write may have landed; the host could not be read again)"


class ReportError(ValueError):
    """The report's input is not what the role produces."""


@dataclasses.dataclass(frozen=True)
class Row:
    host: str
    status: str
    summary: dict[str, t.Any] | None
    reason: str | None = None  # why the role stopped on this host (the failed or unreachable task's message)

    @property
    def state(self) -> dict[str, t.Any]:
        """The latest host state: after the changes when the role re-read the host, else the first read."""
        summary = self.summary or {}
        return summary.get("after") or summary.get("before") or {}

    @property
    def before(self) -> dict[str, t.Any]:
        return (self.summary or {}).get("before") or {}

    @property
    def after(self) -> dict[str, t.Any]:
        return (self.summary or {}).get("after") or {}

    @property
    def after_unknown(self) -> bool:
        """The host stopped after a write it could not verify and could not be read again (role_summary)."""
        return bool((self.summary or {}).get("after_unknown"))


def build_rows(summaries: t.Mapping[str, t.Any], hosts: t.Sequence[str] | None = None,
               active_hosts: t.Sequence[str] | None = None, failures: t.Mapping[str, str] | None = None) -> list[Row]:
    """One row per host of ``hosts`` (default: the summaries' hosts), in that order. ``failures``: host -> reason."""
    if not isinstance(summaries, t.Mapping):
        raise ReportError(f"expected a mapping of host name to port_capacity_summary, got {type_name(summaries)}")
    if failures is not None and not isinstance(failures, t.Mapping):
        raise ReportError(f"expected failures as a mapping of host name to reason, got {type_name(failures)}")
    names = list(hosts) if hosts is not None else sorted(summaries)
    active = set(active_hosts) if active_hosts is not None else set(names)
    rows = []
    for name in dict.fromkeys(str(host) for host in names):
        summary = summaries.get(name)
        reason = (failures or {}).get(name)
        reason = str(reason) if reason else None
        if isinstance(summary, t.Mapping) and summary:
            rows.append(Row(name, str(summary.get("status") or "incomplete"), dict(summary), reason))
        else:
            rows.append(Row(name, "pending" if name in active and not reason else "unreachable", None, reason))
    return rows


def _failed_part(result: t.Mapping[str, t.Any], unreachable_only: bool) -> tuple[str, t.Mapping[str, t.Any]] | None:
    """(label, result) of what failed in one registered result: the result itself, or the first failed item of a loop
    (the loop's own message is only "One or more items failed"); None when nothing failed."""
    items = result.get("results")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, t.Mapping) and (item.get("unreachable") or (item.get("failed") and not unreachable_only)):
                label = item.get("item")
                label = label.get("key") if isinstance(label, t.Mapping) else label
                return (f" ({label})" if isinstance(label, str) and label and label != "all" else ""), item
    if result.get("unreachable") or result.get("role_unreachable") or (result.get("failed") and not unreachable_only):
        return "", result
    return None


def failure_reasons(hostvars: t.Mapping[str, t.Any], hosts: t.Sequence[str], result_vars: t.Mapping[str, str],
                    unreachable_only: bool = False) -> dict[str, str]:
    """For each host whose registered results (``result_vars``: variable name -> step name, in the role's order)
    include a failed or unreachable one (only unreachable ones with ``unreachable_only``): ``"<step> <failed|
    unreachable>: <message>"`` of the first of them. The message is kept whole: what a host refused is often its end."""
    reasons = {}
    for host in hosts:
        variables = hostvars.get(host) or {}
        for variable, step in result_vars.items():
            result = variables.get(variable)
            found = _failed_part(result, unreachable_only) if isinstance(result, t.Mapping) else None
            if found is None:
                continue
            label, failed = found
            message = " ".join(str(failed.get("msg") or "no message").split())
            # portscale.tcpip.port_capacity_apply does several steps in one task: it names the one it stopped at, and
            # says whether the host could not be reached there (it never returns an unreachable result).
            step = str(failed.get("role_step") or step)
            kind = "unreachable" if failed.get("unreachable") or failed.get("role_unreachable") else "failed"
            reasons[str(host)] = f"{step}{label} {kind}: {message}"
            break
    return reasons


def status_cell(row: Row) -> str:
    text = STATUS_TEXT.get(row.status, row.status)
    return f"{text}; {row.reason}" if row.reason else text


def summaries_by_host(summaries: t.Any) -> dict[str, t.Any]:
    """Accept a list of summaries (each carries ``host``) or a host -> summary mapping."""
    if isinstance(summaries, t.Mapping):
        return dict(summaries)
    if isinstance(summaries, (list, tuple)):
        return {str(s.get("host")): s for s in summaries if isinstance(s, t.Mapping) and s.get("host")}
    raise ReportError(f"expected a list of port_capacity_summary facts or a mapping of host to summary, got {type_name(summaries)}")


# ---------------------------------------------------------------------------------------------------------------
# Cell texts shared by every format


def ranges_text(state: t.Mapping[str, t.Any]) -> str:
    ranges = state.get("ranges") or {}
    values = [ranges.get(combo) for combo in COMBOS if ranges.get(combo)]
    if not values:
        return NO_DATA
    if len(set(values)) == 1 and len(values) == len(COMBOS):
        return f"{values[0]} (all)"
    return "; ".join(f"{combo} {ranges[combo]}" for combo in COMBOS if ranges.get(combo))


def range_cell(row: Row) -> str:
    if row.after_unknown:
        return f"{ranges_text(row.before)}{ARROW}{NOT_KNOWN}"
    before, after = ranges_text(row.before), ranges_text(row.after) if row.after else None
    if after and after != before:
        return f"{before}{ARROW}{after}"
    return ranges_text(row.state) if row.summary else NO_DATA


def _registry_value(state: t.Mapping[str, t.Any], name: str) -> str:
    registry = state.get("registry")
    if not isinstance(registry, t.Mapping):
        return NO_DATA
    value = registry.get(name)
    return "absent" if value is None else str(value)


def _pending_entry(state: t.Mapping[str, t.Any], name: str) -> dict[str, t.Any] | None:
    pending = state.get("pending_reboot")
    entry = pending.get(name) if isinstance(pending, t.Mapping) else None
    return dict(entry) if isinstance(entry, t.Mapping) else None


def registry_cell(row: Row, name: str) -> str:
    before = _registry_value(row.before, name)
    if row.after_unknown:
        return f"{before}{ARROW}{NOT_KNOWN}"
    text = before if row.before else NO_DATA
    if row.after:
        after = _registry_value(row.after, name)
        if after != before:
            text = f"{before}{ARROW}{after}"
    # A value that waits for a reboot: the one in effect beside it (the rates use that one).
    waiting = _pending_entry(row.state, name)
    if waiting is not None:
        effective = "absent" if waiting.get("effective") is None else str(waiting.get("effective"))
        assumed = ", assumed" if waiting.get("effective_known") is False else ""
        text += f" (pending reboot; {effective} in effect{assumed})"
    return text


def exclusions_cell(state: t.Mapping[str, t.Any], kind: str) -> str:
    """Blocks of one kind (administered or winnat), each once, with the tables it is in when not in all of them."""
    by_combo = (state.get("exclusions") or {}).get(kind) or {}
    tables: dict[str, list[str]] = {}
    for combo in COMBOS:
        for block in by_combo.get(combo) or ():
            tables.setdefault(block, []).append(combo)
    if not tables:
        return "none"
    parts = []
    for block, combos in tables.items():
        parts.append(block if len(combos) == len(by_combo) else f"{block} ({', '.join(combos)})")
    return ", ".join(parts)


def headroom(state: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return dict(state.get("headroom") or {})


def headroom_text(state: t.Mapping[str, t.Any]) -> str:
    room = headroom(state)
    if room.get("free") is None or not room.get("range_size"):
        return NO_DATA
    return f"{room['free']}/{room['range_size']} ({room.get('percent_free')}%)"


def headroom_cell(row: Row) -> str:
    before = headroom_text(row.before)
    if row.after_unknown:
        return f"{before}{ARROW}{NOT_KNOWN}"
    if row.after:
        return f"{before}{ARROW}{headroom_text(row.after)}"
    return before if row.before else NO_DATA


def rate_cell(row: Row) -> str:
    state = row.state
    rate, seconds = state.get("connections_per_second"), state.get("time_wait_seconds")
    if rate is None:
        return NO_DATA
    later = state.get("time_wait_pending_seconds")
    return f"{rate}/s (TIME_WAIT {seconds} s" + (f"; {later} s after the pending reboot)" if later is not None else ")")


def probe_cell(row: Row) -> str:
    probe = (row.summary or {}).get("probe") or {}
    if not row.summary:
        return NO_DATA
    if not probe.get("ran"):
        if probe.get("failed"):
            return f"not run: {probe.get('message') or 'failed'}"
        if probe.get("count") is not None:
            return f"not run (would open {probe['count']})"
        return "not run"
    text = f"{probe.get('opened')}/{probe.get('count')} opened"
    if probe.get("min_success") is not None:
        text += f", {probe['min_success']} needed"
    if probe.get("error_code"):
        text += f", {probe['error_code']} {probe.get('error_name') or ''}".rstrip()
    if probe.get("passed") is True:
        text += ": passed"
    elif probe.get("passed") is False or probe.get("failed"):
        text += ": FAILED"
    return text


def changes_cell(row: Row) -> str:
    summary = row.summary or {}
    changes, drift = summary.get("changes") or [], summary.get("drift") or []
    if changes:
        return "; ".join(changes)
    if drift:
        return "would change: " + "; ".join(drift)
    return "none" if row.summary else NO_DATA


def reboot_cell(row: Row) -> str:
    # The same words as the role's console line (role_summary.reboot_text); computed again for summaries without them.
    return reboot_text(row.summary) if row.summary else NO_DATA


def findings(row: Row, severities: t.Sequence[str] = ("critical", "warning")) -> list[dict[str, t.Any]]:
    return [f for f in (row.summary or {}).get("findings") or () if f.get("severity") in severities]


def findings_cell(row: Row) -> str:
    found = findings(row)
    return ", ".join(sorted({str(f.get("code")) for f in found})) if found else ("none" if row.summary else NO_DATA)


def exhaustion_text(state: t.Mapping[str, t.Any]) -> str:
    """``4231 x3, 4227 x1, last 2026-05-04T09:12:40Z`` / ``none in 7 d`` / ``log unreadable`` (the host's Tcpip events)."""
    events = state.get("exhaustion") or {}
    if not events:
        return NO_DATA
    if not events.get("total"):
        return f"none in {events.get('days')} d" if events.get("read") else "log unreadable"
    counts = ", ".join(f"{event_id} x{count}" for event_id, count in sorted((events.get("counts") or {}).items(), reverse=True) if count)
    return f"{counts}, last {events.get('last')}"


def ran_out(state: t.Mapping[str, t.Any]) -> bool:
    return bool((state.get("exhaustion") or {}).get("total"))


def holder_text(state: t.Mapping[str, t.Any]) -> str:
    """``w3wp.exe (PID 3120, 4050 ports)``: the process holding the most ports when the host was read."""
    top = state.get("top_process") or {}
    if not top:
        return NO_DATA if not state else "none"
    return f"{top.get('name') or 'unnamed'} (PID {top.get('pid')}, {top.get('ports')} ports)"


COLUMNS: tuple[tuple[str, t.Callable[[Row], str]], ...] = (
    ("Host", lambda row: row.host),
    ("Status", status_cell),
    ("Dynamic ranges", range_cell),
    ("Administered exclusions", lambda row: exclusions_cell(row.state, "administered") if row.summary else NO_DATA),
    ("WinNAT reservations", lambda row: exclusions_cell(row.state, "winnat") if row.summary else NO_DATA),
    ("MaxUserPort", lambda row: registry_cell(row, "MaxUserPort")),
    ("TcpTimedWaitDelay", lambda row: registry_cell(row, "TcpTimedWaitDelay")),
    ("Headroom (free ports)", headroom_cell),
    ("Sustainable rate", rate_cell),
    ("Probe", probe_cell),
    ("Changes", changes_cell),
    ("Reboot", reboot_cell),
    ("Findings", findings_cell),
    # The first read: what happened on the host before this run, and who held the ports then.
    ("Ran out (Tcpip events)", lambda row: exhaustion_text(row.before or row.state) if row.summary else NO_DATA),
    ("Top process", lambda row: holder_text(row.before or row.state) if row.summary else NO_DATA),
)


def status_counts(rows: t.Sequence[Row]) -> dict[str, int]:
    counts = {status: 0 for status in STATUS_ORDER}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return {status: count for status, count in counts.items() if count}


def generated_text(generated: t.Any = None) -> str:
    if generated:
        return str(generated)
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def headroom_combo(rows: t.Sequence[Row]) -> str:
    for row in rows:
        combo = headroom(row.state).get("combo")
        if combo:
            return str(combo)
    return "ipv4_tcp"


# ---------------------------------------------------------------------------------------------------------------
# Markdown


# Host text (names, messages, a host's own error output) must not become Markdown or HTML: each character that could
# start code, emphasis, a link, an image, strikethrough, an HTML tag or entity, or end a table cell is escaped with a
# backslash (CommonMark escapes every ASCII punctuation character that way), and a line break would end the row.
_MD_SPECIAL = str.maketrans({char: "\\" + char for char in "\\`*_[]|~<&"})


def _md_cell(text: str) -> str:
    return " ".join(str(text).translate(_MD_SPECIAL).splitlines())


def to_markdown(rows: t.Sequence[Row], title: str, generated: str) -> str:
    counts = ", ".join(f"{count} {STATUS_TEXT.get(status, status)}" for status, count in status_counts(rows).items())
    lines = [f"# {_md_cell(title)}", "", f"Generated {generated} for {len(rows)} host(s): {counts or 'none'}.",
             f"Headroom is the free ports of the {headroom_combo(rows)} range; the rate is new outbound connections per second "
             "to one destination (remote address and port) that range sustains at least (free ports / TIME_WAIT seconds); "
             "destinations the ports in use do not serve may get more where Windows reuses ports.", ""]
    lines.append("| " + " | ".join(name for name, _cell in COLUMNS) + " |")
    lines.append("|" + "|".join("---" for _column in COLUMNS) + "|")
    for row in rows:
        lines.append("| " + " | ".join(_md_cell(cell(row)) for _name, cell in COLUMNS) + " |")
    detailed = [row for row in rows if findings(row) or (row.summary or {}).get("probe", {}).get("message")]
    if detailed:
        lines += ["", "## Findings", ""]
        for row in detailed:
            lines.append(f"### {_md_cell(row.host)}")
            lines.append("")
            message = (row.summary or {}).get("probe", {}).get("message")
            if message:
                lines.append(f"- **probe**: {_md_cell(str(message))}")
            for finding in findings(row):
                code = str(finding.get("code")).replace("`", "'")  # inside a code span nothing else needs escaping
                lines.append(f"- **{_md_cell(str(finding.get('severity')))}** `{code}`: {_md_cell(str(finding.get('message')))}")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------------------------
# CSV (flat: one column per value, so spreadsheets and scripts need no parsing)

CSV_FIELDS = (
    "host", "status", "reason", "mode", "check_mode", "os_build",
    *(f"{combo}_range_before" for combo in COMBOS), *(f"{combo}_range_after" for combo in COMBOS),
    "administered_exclusions", "winnat_reservations",
    "max_user_port_before", "max_user_port_after", "tcp_timed_wait_delay_before", "tcp_timed_wait_delay_after",
    "headroom_range", "headroom_range_size", "headroom_free_before", "headroom_free_after", "headroom_percent_free",
    "time_wait_seconds", "connections_per_second",
    "probe_ran", "probe_count", "probe_min_success", "probe_opened", "probe_passed", "probe_error_code", "probe_error_name",
    "findings_critical", "findings_warning", "finding_codes", "changes", "drift", "changed", "reboot_required", "rebooted",
    "reboot_pending",
    # Values written without a reboot yet: the one in effect (which the rate uses) beside the pending one.
    "max_user_port_effective", "tcp_timed_wait_delay_effective", "time_wait_seconds_after_reboot", "pending_reboot",
    # The host's own record of exhaustion (System log, Tcpip) and the process holding the most ports, at the first read.
    "exhaustion_events_days", "exhaustion_events_read", "exhaustion_events_4231", "exhaustion_events_4227", "exhaustion_last",
    "top_process_name", "top_process_pid", "top_process_ports",
)


def _csv_value(value: t.Any) -> t.Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_record(row: Row) -> dict[str, t.Any]:
    summary = row.summary or {}
    before, after, state = row.before, row.after, row.state
    probe = summary.get("probe") or {}
    found = summary.get("findings") or []
    record: dict[str, t.Any] = {"host": row.host, "status": row.status, "reason": row.reason}
    if not summary:
        return record
    record.update(mode=summary.get("mode"), check_mode=summary.get("check_mode"), os_build=state.get("os_build"))
    for combo in COMBOS:
        record[f"{combo}_range_before"] = (before.get("ranges") or {}).get(combo)
        record[f"{combo}_range_after"] = (after.get("ranges") or {}).get(combo)
    registry_before, registry_after = before.get("registry") or {}, after.get("registry") or {}
    room_before, room = headroom(before), headroom(state)
    record.update(
        administered_exclusions=exclusions_cell(state, "administered"),
        winnat_reservations=exclusions_cell(state, "winnat"),
        max_user_port_before=registry_before.get("MaxUserPort"),
        max_user_port_after=registry_after.get("MaxUserPort") if after else None,
        tcp_timed_wait_delay_before=registry_before.get("TcpTimedWaitDelay"),
        tcp_timed_wait_delay_after=registry_after.get("TcpTimedWaitDelay") if after else None,
        headroom_range=room.get("combo"), headroom_range_size=room.get("range_size"),
        headroom_free_before=room_before.get("free"), headroom_free_after=headroom(after).get("free") if after else None,
        headroom_percent_free=room.get("percent_free"),
        time_wait_seconds=state.get("time_wait_seconds"), connections_per_second=state.get("connections_per_second"),
        probe_ran=probe.get("ran"), probe_count=probe.get("count"), probe_min_success=probe.get("min_success"),
        probe_opened=probe.get("opened"), probe_passed=probe.get("passed"), probe_error_code=probe.get("error_code"),
        probe_error_name=probe.get("error_name"),
        findings_critical=sum(1 for f in found if f.get("severity") == "critical"),
        findings_warning=sum(1 for f in found if f.get("severity") == "warning"),
        finding_codes=";".join(str(f.get("code")) for f in found),
        changes="; ".join(summary.get("changes") or ()), drift="; ".join(summary.get("drift") or ()),
        changed=summary.get("changed"), reboot_required=summary.get("reboot_required"), rebooted=summary.get("rebooted"),
        reboot_pending=summary.get("reboot_pending"),
        time_wait_seconds_after_reboot=state.get("time_wait_pending_seconds"),
        pending_reboot="; ".join(str(line) for line in summary.get("pending_reboot") or ()),
    )
    first = before or state
    events, top = first.get("exhaustion") or {}, first.get("top_process") or {}
    counts = events.get("counts") or {}
    record.update(exhaustion_events_days=events.get("days"), exhaustion_events_read=events.get("read"),
                  exhaustion_events_4231=counts.get("4231"), exhaustion_events_4227=counts.get("4227"), exhaustion_last=events.get("last"),
                  top_process_name=top.get("name"), top_process_pid=top.get("pid"), top_process_ports=top.get("ports"))
    for name, key in (("MaxUserPort", "max_user_port_effective"), ("TcpTimedWaitDelay", "tcp_timed_wait_delay_effective")):
        waiting = _pending_entry(state, name)
        # Only while a value waits: otherwise the value in effect is the registry one (the *_after/_before columns).
        record[key] = ("absent" if waiting.get("effective") is None else waiting.get("effective")) if waiting else None
    return record


def _csv_safe(value: t.Any) -> t.Any:
    """Neutralise spreadsheet formulas: a cell that starts with = + - @ would run in Excel (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_csv(rows: t.Sequence[Row]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_safe(_csv_value(value)) for key, value in csv_record(row).items()})
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# JSON


def to_json(rows: t.Sequence[Row], title: str, generated: str) -> str:
    document = {
        "title": title,
        "generated": generated,
        "counts": status_counts(rows),
        "hosts": [{"host": row.host, "status": row.status, "reason": row.reason, "summary": row.summary} for row in rows],
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
