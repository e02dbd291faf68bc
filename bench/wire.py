# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Section 1: what one task costs on the wire, per host, read from the simulator's counters.

The lower bound for any task over WinRM is one shell lifecycle (Create, Command, Receive, Signal, Delete) plus the
connection's authentication: exactly what ``raw`` with one native command costs. A module should cost that when
converged, and at most one more command execution (Command, Receive, Signal) when it changes something.
"""

from __future__ import annotations

import dataclasses

from .runner import Runner
from .simfleet import SimFleet
from .tasks import RAW, BenchTask, play

# The WS-Man requests one more command execution in an open shell costs (the shell is created and deleted once).
COMMAND_ACTIONS = ("Command", "Receive", "Signal")


@dataclasses.dataclass(frozen=True)
class WireCost:
    """Per-host cost of one task, averaged over the hosts of one run (they must all agree).

    ``bytes_in`` is what the host received (requests), ``bytes_out`` what it sent (responses): the simulator's view.
    """

    requests: float
    ws_actions: dict[str, float]
    auth_requests: float
    bytes_in: float
    bytes_out: float
    commands_run: float
    writes: float
    hosts_agree: bool

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def per_host_cost(counters: dict[str, dict], names: list[str]) -> WireCost:
    hosts = [counters[name] for name in names]
    actions: dict[str, float] = {}
    for host in hosts:
        for action, count in host["http"]["requests_by_action"].items():
            actions[action] = actions.get(action, 0) + count / len(hosts)
    signatures = {(h["http"]["http_requests"], tuple(sorted(h["http"]["requests_by_action"].items())), h["model"]["commands_run"],
                   h["model"]["writes"]) for h in hosts}

    def mean(path: tuple[str, str]) -> float:
        return sum(h[path[0]][path[1]] for h in hosts) / len(hosts)
    requests = mean(("http", "http_requests"))
    return WireCost(
        requests=requests, ws_actions=dict(sorted(actions.items())), auth_requests=requests - sum(actions.values()),
        bytes_in=mean(("http", "bytes_in")), bytes_out=mean(("http", "bytes_out")),
        commands_run=mean(("model", "commands_run")), writes=mean(("model", "writes")), hosts_agree=len(signatures) == 1,
    )


def _measure(runner: Runner, fleet: SimFleet, inventory: str, names: list[str], name: str, task: dict, expect_changed: int) -> WireCost:
    playbook = runner.write_playbook(f"wire-{name}", play([task]))
    fleet.reset_counters()
    runner.run(playbook, inventory, forks=len(names), simulator_cpu=fleet.cpu_seconds, expect_changed=expect_changed)
    return per_host_cost(fleet.counters(), names)


def _settle(runner: Runner, fleet: SimFleet, inventory: str, names: list[str], name: str, task: dict) -> None:
    runner.run(runner.write_playbook(f"wire-{name}-setup", play([task])), inventory, forks=len(names), simulator_cpu=fleet.cpu_seconds)


def case_names(task: BenchTask) -> tuple[str, ...]:
    if task.changes:
        return ("converged", "changing")
    return ("acting",) if task.acts else ("read",)


def measure_task(runner: Runner, fleet: SimFleet, inventory: str, names: list[str], task: BenchTask, repeats: int) -> dict[str, list[WireCost]]:
    """{case: [cost per repeat]}: ``converged`` and ``changing`` for modules that change state, else ``read`` or ``acting``."""
    cases: dict[str, list[WireCost]] = {case: [] for case in case_names(task)}
    hosts = len(names)
    for dummy in range(repeats):
        if task.changes:
            _settle(runner, fleet, inventory, names, task.name, task.task(task.changing_args))
            cases["changing"].append(_measure(runner, fleet, inventory, names, f"{task.name}-changing", task.task(), hosts))
        # raw always reports changed; modules that change nothing never do.
        case = case_names(task)[0]
        cases[case].append(_measure(runner, fleet, inventory, names, f"{task.name}-{case}", task.task(), hosts if task is RAW else 0))
    return cases


def lower_bound_check(cost: WireCost, raw: WireCost, case: str) -> dict:
    """How far a task is from raw's one-lifecycle bound, and whether it stays within one extra command when it changes (or acts)."""
    per_command = sum(raw.ws_actions.get(a, 0) for a in COMMAND_ACTIONS)
    extra_commands = cost.commands_run - raw.commands_run
    allowed_commands = 1 if case in ("changing", "acting") else 0
    return {
        "extra_requests": cost.requests - raw.requests,
        "extra_commands": extra_commands,
        "ratio_requests": cost.requests / raw.requests,
        "requests_per_extra_command": per_command,
        "within_bound": extra_commands <= allowed_commands and cost.requests <= raw.requests + allowed_commands * per_command,
    }


def _repeatable(costs: list[WireCost]) -> bool:
    """Requests, commands and writes must not vary between repeats (bytes may, by a few: the output has varying numbers)."""
    def key(cost: WireCost) -> tuple:
        return (cost.requests, cost.ws_actions, cost.commands_run, cost.writes)
    return all(key(c) == key(costs[0]) for c in costs)


def run_section(runner: Runner, fleet: SimFleet, inventory: str, names: list[str], tasks: list[BenchTask], repeats: int) -> dict:
    results: dict = {"hosts": len(names), "repeats": repeats, "tasks": {}}
    raw_cases = measure_task(runner, fleet, inventory, names, RAW, repeats)
    raw = raw_cases["read"][0]
    results["lower_bound"] = {"description": "one shell lifecycle per task (raw with one native command)", **raw.to_dict()}
    for task in [RAW, *tasks]:
        cases = raw_cases if task is RAW else measure_task(runner, fleet, inventory, names, task, repeats)
        entry = {}
        for case, costs in cases.items():
            first = costs[0]
            entry[case] = {
                **first.to_dict(),
                "reproducible": _repeatable(costs),
                "bytes_in_range": [min(c.bytes_in for c in costs), max(c.bytes_in for c in costs)],
                "bytes_out_range": [min(c.bytes_out for c in costs), max(c.bytes_out for c in costs)],
                **lower_bound_check(first, raw, case),
            }
        results["tasks"][task.name] = entry
    return results
