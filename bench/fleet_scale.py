# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Section 3: fleet scale. Wall time and CPU of whole plays over N hosts at a given added latency per HTTP request.

The round-trip lower bound is what latency alone forces: each host's requests are sequential, and ``forks`` hosts
run at a time, so ``requests per host x latency x ceil(hosts / forks)``. The CPU bound is what the cores force:
``(controller CPU + simulator CPU) / cores`` (here the simulator shares the controller's cores; a real fleet does not).
"""

from __future__ import annotations

import dataclasses
import math
import os
import typing as t

from .runner import Runner
from .simfleet import SimFleet
from .stats import linear_fit, summarize


@dataclasses.dataclass(frozen=True)
class Workload:
    """A play measured at fleet scale; ``setup`` runs once (unmeasured) so that measured runs are the steady state."""

    name: str
    plays: list[dict]
    setup: list[dict] | None = None


def measure_point(runner: Runner, fleet: SimFleet, inventory: str, hosts: int, forks: int, playbook: str, latency_ms: int,
                  extra_env: dict[str, str] | None) -> dict:
    """One run of ``playbook`` on ``hosts`` hosts: its cost, its requests per host, and the bounds it is held against."""
    fleet.reset_counters()
    result = runner.run(playbook, inventory, forks, fleet.cpu_seconds, extra_env=extra_env)
    counters = fleet.counters()
    requests = sum(c["http"]["http_requests"] for c in counters.values()) / hosts
    commands = sum(c["model"]["commands_run"] for c in counters.values()) / hosts
    round_trip_bound = requests * latency_ms / 1000 * math.ceil(hosts / forks)
    cores = os.cpu_count() or 1
    cpu_bound = (result.controller_cpu + result.simulator_cpu) / cores
    return {
        **result.to_dict(),
        "requests_per_host": requests,
        "commands_per_host": commands,
        "round_trip_bound": round_trip_bound,
        "wall_over_round_trip_bound": result.wall / round_trip_bound if round_trip_bound else None,
        "cpu_bound": cpu_bound,
        "controller_only_cpu_bound": result.controller_cpu / cores,
        "core_utilisation": (result.controller_cpu + result.simulator_cpu) / (result.wall * cores),
        "controller_cpu_per_host": result.controller_cpu / hosts,
        # The strategy runs in ansible-playbook's main process: at 1.0 it is the bottleneck, whatever the forks.
        "main_process_core_share": result.main_process_cpu / result.wall,
        # Other work on the machine during the run, in cores: wall times taken while this is high are not comparable.
        "other_cores": result.other_cpu / result.wall,
        # Ours and everybody else's: near 100% the machine's cores, not latency or the simulator, set the wall time.
        "machine_busy": (result.controller_cpu + result.simulator_cpu + result.other_cpu) / (result.wall * cores),
        # The added latency per request at which the round trips would cost as much as the controller CPU does:
        # below it, more latency hides behind CPU work; above it, wall time follows the round-trip bound.
        "break_even_latency_ms": 1000 * (result.controller_cpu / cores) / (requests * math.ceil(hosts / forks)) if requests else None,
        "requests_per_second": requests * hosts / result.wall,
    }


def run_section(runner: Runner, fleet: SimFleet, sizes: list[int], latencies: list[int], forks: int, workloads: list[Workload],
                repeats: int, extra_env: dict[str, str] | None = None, tag: str = "fleet") -> dict:
    inventories = {}
    for hosts in sizes:
        inventories[hosts] = os.path.join(runner.work_dir, "inventory", f"{tag}-{hosts}.yml")
        fleet.write_inventory(inventories[hosts], hosts)
    books = {}
    first_runs = {}
    fleet.set_latency(0)
    for workload in workloads:
        books[workload.name] = runner.write_playbook(f"{tag}-{workload.name}", workload.plays)
        if workload.setup:
            # Converges every host once; kept as the cost of a first run that changes every host (at 0 ms).
            first = runner.run(runner.write_playbook(f"{tag}-{workload.name}-setup", workload.setup), inventories[max(sizes)], forks,
                               fleet.cpu_seconds)
            first_runs[workload.name] = {"hosts": max(sizes), "latency_ms": 0, "forks": forks, **first.to_dict()}
            runner.log(f"  {tag} {workload.name} first run (changes every host) hosts={max(sizes)}: wall {first.wall:.1f} s, "
                       f"controller cpu {first.controller_cpu:.1f} s")
    raw_points: dict[tuple[str, int, int], list[dict]] = {}
    for repeat in range(repeats):
        for latency in latencies:
            fleet.set_latency(latency)
            for hosts in sizes:
                ordered = workloads if repeat % 2 == 0 else list(reversed(workloads))
                for workload in ordered:
                    point = measure_point(runner, fleet, inventories[hosts], hosts, min(forks, hosts), books[workload.name], latency, extra_env)
                    raw_points.setdefault((workload.name, latency, hosts), []).append(point)
                    runner.log(f"  {tag} {workload.name} hosts={hosts} latency={latency} ms: wall {point['wall']:.1f} s "
                               f"(round-trip bound {point['round_trip_bound']:.1f} s, cpu bound {point['cpu_bound']:.1f} s), "
                               f"controller cpu {point['controller_cpu']:.1f} s, simulator cpu {point['simulator_cpu']:.1f} s")
    fleet.set_latency(0)
    return {"forks": forks, "sizes": sizes, "latencies": latencies, "repeats": repeats, "first_runs": first_runs, "points": _summarize(raw_points),
            "growth": _growth(raw_points, workloads, latencies, sizes)}


def _summarize(raw_points: dict[tuple[str, int, int], list[dict]]) -> list[dict]:
    rows = []
    for (name, latency, hosts), points in sorted(raw_points.items()):
        row: dict[str, t.Any] = {"workload": name, "latency_ms": latency, "hosts": hosts, "runs": len(points)}
        for key in ("wall", "controller_cpu", "simulator_cpu", "requests_per_host", "commands_per_host", "round_trip_bound",
                    "cpu_bound", "controller_only_cpu_bound", "core_utilisation", "controller_cpu_per_host", "requests_per_second",
                    "main_process_cpu", "main_process_core_share", "other_cpu", "other_cores", "machine_busy", "break_even_latency_ms"):
            row[key] = summarize([p[key] for p in points]).to_dict()
        bound = row["round_trip_bound"]["median"]
        row["wall_over_round_trip_bound"] = row["wall"]["median"] / bound if bound else None
        rows.append(row)
    return rows


def _growth(raw_points: dict[tuple[str, int, int], list[dict]], workloads: list[Workload], latencies: list[int], sizes: list[int]) -> list[dict]:
    """Least-squares fits against the number of hosts: linear growth means a constant slope and R² close to 1."""
    fits = []
    for workload in workloads:
        for latency in latencies:
            medians = {n: summarize([p["controller_cpu"] for p in raw_points[(workload.name, latency, n)]]).median for n in sizes}
            walls = {n: summarize([p["wall"] for p in raw_points[(workload.name, latency, n)]]).median for n in sizes}
            fits.append({"workload": workload.name, "latency_ms": latency,
                         "controller_cpu": linear_fit([float(n) for n in sizes], [medians[n] for n in sizes]),
                         "wall": linear_fit([float(n) for n in sizes], [walls[n] for n in sizes])})
    return fits
