# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Section 2: controller CPU per host-task of each module against ``raw``, as a ratio measured in the same run.

Each variant is a play of ``tasks`` identical converged tasks on ``hosts`` hosts; an empty play (same inventory)
measures ansible-playbook's fixed cost, which is subtracted. Variants run in a rotating order, ``repeats`` times, and
each repeat yields a ratio to the raw run of the same repeat: noise that hits a whole repeat cancels out.
"""

from __future__ import annotations

from .runner import Runner
from .simfleet import SimFleet
from .stats import summarize
from .tasks import NO_CONNECTION, RAW, BenchTask, play

BASELINE = "empty play"


def _playbooks(runner: Runner, variants: list[BenchTask], tasks: int) -> dict[str, str]:
    books = {BASELINE: runner.write_playbook("cpu-baseline", play([]))}
    for variant in variants:
        books[variant.name] = runner.write_playbook(f"cpu-{variant.name}", play([variant.task(label=f"{variant.name} {i + 1}") for i in range(tasks)]))
    return books


def run_section(runner: Runner, fleet: SimFleet, inventory: str, hosts: int, modules: list[BenchTask], tasks: int, repeats: int,
                forks: int, extra_env: dict[str, str] | None = None) -> dict:
    variants = [NO_CONNECTION, RAW, *modules]
    # Converge first: the measured runs are the steady state (a converged module is the common case in a fleet).
    for module in modules:
        runner.run(runner.write_playbook(f"cpu-{module.name}-setup", play([module.task()])), inventory, forks, fleet.cpu_seconds)
    books = _playbooks(runner, variants, tasks)
    order = list(books)
    samples: dict[str, list[dict]] = {name: [] for name in order}
    for repeat in range(repeats):
        rotated = order[repeat % len(order):] + order[:repeat % len(order)]
        for name in rotated:
            result = runner.run(books[name], inventory, forks, fleet.cpu_seconds, extra_env=extra_env, empty=name == BASELINE)
            samples[name].append(result.to_dict())
            runner.log(f"  cpu repeat {repeat + 1}/{repeats} {name}: controller {result.controller_cpu:.2f} s, wall {result.wall:.2f} s")
    host_tasks = hosts * tasks
    per_task: dict[str, dict[str, list[float]]] = {}
    for name in order[1:]:
        per_task[name] = {
            "controller_cpu": [(s["controller_cpu"] - b["controller_cpu"]) / host_tasks for s, b in zip(samples[name], samples[BASELINE])],
            "simulator_cpu": [(s["simulator_cpu"] - b["simulator_cpu"]) / host_tasks for s, b in zip(samples[name], samples[BASELINE])],
            "wall": [(s["wall"] - b["wall"]) / host_tasks for s, b in zip(samples[name], samples[BASELINE])],
        }
    raw = per_task[RAW.name]["controller_cpu"]
    results: dict = {"hosts": hosts, "tasks_per_play": tasks, "repeats": repeats, "forks": forks,
                     "baseline": {k: summarize([s[k] for s in samples[BASELINE]]).to_dict() for k in ("controller_cpu", "wall")},
                     "variants": {}}
    for name, figures in per_task.items():
        ratios = [cpu / base for cpu, base in zip(figures["controller_cpu"], raw)]
        results["variants"][name] = {
            "controller_cpu_per_host_task": summarize(figures["controller_cpu"]).to_dict(),
            "simulator_cpu_per_host_task": summarize(figures["simulator_cpu"]).to_dict(),
            "wall_per_host_task": summarize(figures["wall"]).to_dict(),
            "ratio_to_raw": summarize(ratios).to_dict(),
        }
    return results
