# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain-text tables of a results dict (stdout of ``make bench``; docs/performance.md quotes them)."""

from __future__ import annotations

import typing as t


def table(headers: list[str], rows: list[list[t.Any]]) -> str:
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def _actions(actions: dict[str, float]) -> str:
    order = ("Create", "Command", "Receive", "Signal", "Delete")
    names = [a for a in order if a in actions] + sorted(a for a in actions if a not in order)
    return " ".join(f"{a[:3]}{_num(actions[a])}" for a in names)


def _median_range(summary: dict, digits: int = 2, scale: float = 1.0) -> str:
    return f"{summary['median'] * scale:.{digits}f} ({summary['min'] * scale:.{digits}f}-{summary['max'] * scale:.{digits}f})"


def wire_table(section: dict) -> str:
    rows = []
    for name, cases in section["tasks"].items():
        for case, cost in cases.items():
            rows.append([name, case, _num(cost["requests"]), _num(cost["auth_requests"]), _actions(cost["ws_actions"]),
                         _num(cost["commands_run"]), _num(cost["writes"]), _num(cost["bytes_in"], 0), _num(cost["bytes_out"], 0),
                         f"{cost['extra_requests']:+.0f}", "yes" if cost["within_bound"] else "NO",
                         "yes" if cost["reproducible"] and cost["hosts_agree"] else "NO"])
    head = (f"1. Wire cost per task per host (NTLM over HTTP; {section['hosts']} hosts, {section['repeats']} repeats; "
            f"lower bound = raw = {_num(section['lower_bound']['requests'])} requests)")
    return head + "\n" + table(["task", "case", "HTTP req", "auth", "WS-Man actions", "cmds", "writes", "bytes to host", "bytes from host",
                                "vs bound", "within bound", "repeatable"], rows)


def cpu_table(section: dict) -> str:
    rows = []
    for name, figures in section["variants"].items():
        rows.append([name, _median_range(figures["controller_cpu_per_host_task"], 1, 1000), _median_range(figures["ratio_to_raw"], 2),
                     f"{figures['ratio_to_raw']['spread'] * 100:.0f}%", _median_range(figures["simulator_cpu_per_host_task"], 1, 1000)])
    head = (f"2. Controller CPU per host-task, ms: median (min-max) of {section['repeats']} alternating repeats; "
            f"{section['hosts']} hosts x {section['tasks_per_play']} tasks per play, forks {section['forks']}, empty play subtracted "
            f"(its own cost: {section['baseline']['controller_cpu']['median']:.2f} s)")
    return head + "\n" + table(["task", "controller CPU ms", "ratio to raw", "ratio spread", "simulator CPU ms"], rows)


def fleet_table(section: dict) -> str:
    rows = []
    for row in section["points"]:
        ratio = row["wall_over_round_trip_bound"]
        rows.append([row["workload"], row["latency_ms"], row["hosts"], _num(row["requests_per_host"]["median"]),
                     _num(row["wall"]["median"], 1), _num(row["round_trip_bound"]["median"], 1), _num(ratio, 2) if ratio else "-",
                     _num(row["controller_cpu"]["median"], 1), _num(row["simulator_cpu"]["median"], 1), _num(row["cpu_bound"]["median"], 1),
                     f"{row['core_utilisation']['median'] * 100:.0f}%", f"{row['main_process_core_share']['median'] * 100:.0f}%",
                     _num(row["other_cores"]["median"], 1), f"{row['machine_busy']['median'] * 100:.0f}%",
                     _num(row["controller_cpu_per_host"]["median"] * 1000, 0), _num(row["break_even_latency_ms"]["median"], 0)])
    fits = [[f["workload"], f["latency_ms"], _num((f["controller_cpu"]["slope"] or 0) * 1000, 0), _num(f["controller_cpu"]["r2"], 3),
             _num((f["wall"]["slope"] or 0) * 1000, 0), _num(f["wall"]["r2"], 3)] for f in section["growth"]]
    head = f"3. Fleet scale (forks {section['forks']}, {section['repeats']} run(s) per point; times in s)"
    for name, first in section.get("first_runs", {}).items():
        head += (f"\nFirst run of {name} (changes every host; {first['hosts']} hosts, 0 ms): wall {first['wall']:.1f} s, "
                 f"controller CPU {first['controller_cpu']:.1f} s ({first['controller_cpu'] / first['hosts'] * 1000:.0f} ms per host)")
    return (head + "\n" + table(["workload", "latency ms", "hosts", "req/host", "wall", "RT bound", "wall/RT bound", "ctrl CPU", "sim CPU",
                                 "CPU bound", "our cores busy", "main proc", "other load", "machine busy", "ctrl CPU ms/host",
                                 "break-even ms"], rows)
            + "\n\nGrowth with hosts (least squares)\n"
            + table(["workload", "latency ms", "ctrl CPU ms per host", "R²", "wall ms per host", "R²"], fits))


def throughput_table(section: dict, fleet: dict | None) -> str:
    peak = max((row["requests_per_second"]["median"] for row in fleet["points"]), default=0.0) if fleet else 0.0
    rows = [["simulator alone (bench_throughput.py)", _num(section["requests_per_second"], 0), _num(section["commands_per_second"], 0)],
            ["highest rate in the fleet runs", _num(peak, 0), "-"]]
    return "4. Simulator throughput (HTTP requests/s)\n" + table(["", "requests/s", "commands/s"], rows) + f"\n{section['command']}"


def faster_table(section: dict) -> str:
    rows = [[row["variant"], row["workload"], row["forks"], _num(row["wall"], 1), _num(row["controller_cpu"], 1),
             _num(row["main_process_cpu"], 1), _num(row["other_cpu"] / row["wall"], 1), _num(row["requests_per_host"]), row.get("note", "")]
            for row in section["rows"]]
    head = f"5. What would make it faster (measured at {section['hosts']} hosts, {section['latency_ms']} ms; times in s)"
    return head + "\n" + table(["variant", "workload", "forks", "wall", "ctrl CPU", "main proc CPU", "other load", "req/host", "note"], rows)


def role_cost_table(section: dict) -> str:
    rows = []
    for name, figures in section["variants"].items():
        rows.append([name, _median_range(figures["controller_cpu_per_host"], 0, 1000), _num(figures["commands_per_host"]["median"]),
                     _num(figures["requests_per_host"]["median"]), _num(figures["wall"]["median"], 1)])
    ratio, net, first = section["ratio_role_to_raw"], section["ratio_without_fixed_cost"], section["first_run"]
    head = (f"6. The role against a one-task raw play ({section['hosts']} hosts, forks {section['forks']}, NTLM, 0 ms; "
            f"median (min-max) of {section['repeats']} rotating repeats; controller CPU of the whole run per host, ms)")
    tail = (f"\nrole / raw controller CPU: {_median_range(ratio, 2)} (spread {ratio['spread'] * 100:.0f}%)"
            + (f"; without ansible-playbook's fixed cost (empty play subtracted): {_median_range(net, 2)}" if net else "")
            + f"\nfirst run (changes every host): {first['controller_cpu_per_host'] * 1000:.0f} ms of controller CPU and "
            f"{_num(first['commands_per_host'])} command executions per host")
    return head + "\n" + table(["play", "controller CPU ms/host", "cmds/host", "req/host", "wall s"], rows) + tail


def render(results: dict) -> str:
    sections = results["sections"]
    env = results["environment"]
    parts = [f"portscale.tcpip benchmark - {env['date']} - {env['cores']} cores ({env['cpu_model']}), Python {env['python']}, "
             f"ansible-core {env['packages']['ansible-core']}, commit {env['commit']}"]
    if "wire" in sections:
        parts.append(wire_table(sections["wire"]))
    if "cpu" in sections:
        parts.append(cpu_table(sections["cpu"]))
    if "fleet" in sections:
        parts.append(fleet_table(sections["fleet"]))
    if "throughput" in sections:
        parts.append(throughput_table(sections["throughput"], sections.get("fleet")))
    if "faster" in sections:
        parts.append(faster_table(sections["faster"]))
    if "role" in sections:
        parts.append(role_cost_table(sections["role"]))
    return "\n\n".join(parts)
