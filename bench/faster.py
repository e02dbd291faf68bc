# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Section 5: what would make it faster still, measured at one fleet point (``--faster-hosts`` hosts, highest latency).

Variants: more or fewer forks, ``strategy: free``, pipelining on, and the role against a bare play of the same
module tasks (what fewer tasks in the role would save).
"""

from __future__ import annotations

import os

from .config import BenchConfig
from .fleet_scale import Workload, measure_point
from .runner import Runner
from .simfleet import SimFleet
from .tasks import BenchTask
from .workloads import module_play

FORKS_VARIANTS = (5, 10, 50, 100)


def _row(variant: str, workload: Workload, hosts: int, latency: int, forks: int, point: dict, note: str = "") -> dict:
    keys = ("wall", "controller_cpu", "main_process_cpu", "simulator_cpu", "other_cpu", "requests_per_host", "commands_per_host",
            "round_trip_bound", "cpu_bound")
    return {"variant": variant, "workload": workload.name, "hosts": hosts, "latency_ms": latency, "forks": forks, "note": note,
            **{k: point[k] for k in keys}}


def run_section(runner: Runner, fleet: SimFleet, config: BenchConfig, modules: list[BenchTask], workloads: list[Workload],
                converged: bool) -> dict:
    """``converged``: the fleet section already brought these hosts to the steady state."""
    hosts = config.faster_hosts
    latency = max(config.latencies)
    inventory = os.path.join(runner.work_dir, "inventory", f"faster-{hosts}.yml")
    fleet.write_inventory(inventory, hosts)
    fleet.set_latency(0)
    for workload in workloads:
        if workload.setup and not converged:
            runner.run(runner.write_playbook(f"faster-{workload.name}-setup", workload.setup), inventory, config.forks, fleet.cpu_seconds)
    fleet.set_latency(latency)
    rows = []

    def measure(variant: str, workload: Workload, forks: int, extra_env: dict[str, str] | None = None, note: str = "") -> None:
        book = runner.write_playbook(f"faster-{variant}-{workload.name}".replace(" ", "_").replace("+", "_"), workload.plays)
        point = measure_point(runner, fleet, inventory, hosts, min(forks, hosts), book, latency, extra_env)
        rows.append(_row(variant, workload, hosts, latency, min(forks, hosts), point, note))
        runner.log(f"  faster {variant} {workload.name}: wall {point['wall']:.1f} s, controller cpu {point['controller_cpu']:.1f} s")

    try:
        for workload in workloads:
            measure("baseline (linear)", workload, config.forks)
            # Forks beyond the number of hosts change nothing: measure each distinct effective value once.
            for forks in sorted({min(f, hosts) for f in FORKS_VARIANTS} - {min(config.forks, hosts)}):
                measure(f"forks {forks}", workload, forks)
            free = Workload(workload.name, [dict(p, strategy="free") for p in workload.plays])
            measure("strategy: free", free, config.forks)
            measure("pipelining on", workload, config.forks, {"ANSIBLE_PIPELINING": "1"},
                    note="action plugins send no module file, so there is nothing to pipeline")
        bare = module_play(modules)
        if bare is not None:
            measure("bare module tasks", bare, config.forks, note="the role's remote tasks without its controller-side tasks")
    finally:
        fleet.set_latency(0)
    return {"hosts": hosts, "latency_ms": latency, "rows": rows}
