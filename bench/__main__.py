# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``python -m bench --build BUILD --tests-dir tests``: run the sections, print the tables, write the JSON."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from . import cpu, faster, fleet_scale, report, role_cost, throughput, wire
from .config import BenchConfig, parse
from .environment import describe
from .runner import PlaybookFailed, Runner
from .simfleet import SimFleet, SimFleetError
from .tasks import available_modules, role_available
from .workloads import fleet_workloads


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _on_sigterm(signum: int, dummy_frame: object) -> None:
    # Unwind through the finally blocks, which stop the simulator.
    raise SystemExit(128 + signum)


def run(config: BenchConfig) -> dict:
    modules = available_modules(config.collection)
    results: dict = {"environment": describe(config), "config": {k: v for k, v in vars(config).items() if k != "tests_dir"},
                     "modules": [m.name for m in modules], "role": role_available(config.collection), "sections": {}}
    _log(f"modules: {', '.join(m.name for m in modules)}; role port_capacity: {'yes' if results['role'] else 'not yet'}")
    runner = Runner(os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), config.build, config.work_dir, config.timeout, _log)
    sim_sections = [s for s in config.sections if s != "throughput"]
    if sim_sections:
        started = time.monotonic()
        with SimFleet(os.path.join(config.work_dir, "sim"), config.simulator_hosts) as fleet:
            _log(f"simulator: {config.simulator_hosts} hosts, pid {fleet.pid}, started in {time.monotonic() - started:.1f} s")
            if "wire" in config.sections:
                _log("section 1: requests and bytes per task")
                inventory = os.path.join(config.work_dir, "inventory", "wire.yml")
                names = fleet.write_inventory(inventory, config.wire_hosts)
                results["sections"]["wire"] = wire.run_section(runner, fleet, inventory, names, modules, config.wire_repeats)
            if "cpu" in config.sections:
                _log("section 2: controller CPU per host-task against raw")
                inventory = os.path.join(config.work_dir, "inventory", "cpu.yml")
                fleet.write_inventory(inventory, config.cpu_hosts)
                results["sections"]["cpu"] = cpu.run_section(runner, fleet, inventory, config.cpu_hosts, modules, config.cpu_tasks,
                                                             config.repeats, forks=config.cpu_hosts)
            workloads = fleet_workloads(config, modules)
            if "fleet" in config.sections:
                _log(f"section 3: fleet scale ({', '.join(w.name for w in workloads)})")
                results["sections"]["fleet"] = fleet_scale.run_section(runner, fleet, list(config.fleet_sizes), list(config.latencies),
                                                                       config.forks, workloads, config.fleet_repeats)
            if "faster" in config.sections:
                _log("section 5: what would make it faster")
                results["sections"]["faster"] = faster.run_section(runner, fleet, config, modules, workloads,
                                                                   converged="fleet" in config.sections and config.faster_hosts <= max(config.fleet_sizes))
            if "role" in config.sections and results["role"]:
                _log("section 6: the role against a one-task raw play")
                inventory = os.path.join(config.work_dir, "inventory", "role-cost.yml")
                fleet.write_inventory(inventory, config.cpu_hosts)
                results["sections"]["role"] = role_cost.run_section(runner, fleet, inventory, config)
    if "throughput" in config.sections:
        _log("section 4: simulator throughput")
        results["sections"]["throughput"] = throughput.run_section(max(config.fleet_sizes), 8, config.throughput_seconds)
    return results


def main(argv: list[str] | None = None) -> int:
    config = parse(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    os.makedirs(config.work_dir, exist_ok=True)
    started = time.monotonic()
    try:
        results = run(config)
    except (PlaybookFailed, SimFleetError, RuntimeError, OSError) as exc:
        _log(f"failed: {exc}")
        return 1
    results["duration_seconds"] = round(time.monotonic() - started, 1)
    os.makedirs(os.path.dirname(config.output), exist_ok=True)
    with open(config.output, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2, sort_keys=True)
        handle.write("\n")
    print(report.render(results))
    _log(f"results: {config.output} ({results['duration_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
