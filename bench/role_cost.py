# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Section 6: the fleet cost of the role against a one-task ``raw`` play, side by side in one run (issue 16).

Ten hosts (``--cpu-hosts``), forks = hosts, NTLM, latency 0. The role (enforce of all three settings, probe of 500
connections, report on the controller) is converged first; then each repeat runs, in a rotating order, an empty play,
a one-task ``raw`` play and the role. Per run: controller CPU per host (the whole ``ansible-playbook``, fixed cost
included: what a fleet pays), command executions and HTTP requests per host (the simulator's counters). Each repeat
gives the ratio role / raw of the same repeat, so noise that hits a whole repeat cancels; the ratio with the empty
play subtracted from both is given too (per host-task cost without ansible-playbook's fixed cost).
"""

from __future__ import annotations

from .config import BenchConfig
from .runner import Runner
from .simfleet import SimFleet
from .stats import summarize
from .tasks import RAW, play
from .workloads import role_play

VARIANTS = ("empty play", "raw (one task)", "role enforce+probe")


def run_section(runner: Runner, fleet: SimFleet, inventory: str, config: BenchConfig) -> dict:
    hosts, repeats = config.cpu_hosts, config.repeats
    books = {"empty play": runner.write_playbook("role-cost-empty", play([])),
             "raw (one task)": runner.write_playbook("role-cost-raw", play([RAW.task()])),
             "role enforce+probe": runner.write_playbook("role-cost-role", role_play(config))}
    fleet.set_latency(0)
    # Converge every host first (and measure that first, changing run once): the measured runs are the steady state.
    fleet.reset_counters()
    first = runner.run(runner.write_playbook("role-cost-role-setup", role_play(config)), inventory, hosts, fleet.cpu_seconds)
    first_counters = fleet.counters()
    first_run = {**first.to_dict(), "controller_cpu_per_host": first.controller_cpu / hosts,
                 "commands_per_host": sum(c["model"]["commands_run"] for c in first_counters.values()) / hosts}
    samples: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    for repeat in range(repeats):
        rotated = VARIANTS[repeat % len(VARIANTS):] + VARIANTS[:repeat % len(VARIANTS)]
        for name in rotated:
            fleet.reset_counters()
            # raw always reports "changed"; a converged role must not.
            result = runner.run(books[name], inventory, hosts, fleet.cpu_seconds, empty=name == "empty play",
                                expect_changed=0 if name == "role enforce+probe" else None)
            counters = fleet.counters()
            samples[name].append({**result.to_dict(),
                                  "commands_per_host": sum(c["model"]["commands_run"] for c in counters.values()) / hosts,
                                  "requests_per_host": sum(c["http"]["http_requests"] for c in counters.values()) / hosts})
            runner.log(f"  role cost repeat {repeat + 1}/{repeats} {name}: controller {result.controller_cpu:.2f} s")
    raw, role, empty = samples["raw (one task)"], samples["role enforce+probe"], samples["empty play"]
    ratios = [r["controller_cpu"] / b["controller_cpu"] for r, b in zip(role, raw)]
    net = [(r["controller_cpu"] - e["controller_cpu"]) / (b["controller_cpu"] - e["controller_cpu"])
           for r, b, e in zip(role, raw, empty) if b["controller_cpu"] > e["controller_cpu"]]
    variants = {}
    for name in VARIANTS:
        runs = samples[name]
        variants[name] = {"controller_cpu_per_host": summarize([s["controller_cpu"] / hosts for s in runs]).to_dict(),
                          "commands_per_host": summarize([s["commands_per_host"] for s in runs]).to_dict(),
                          "requests_per_host": summarize([s["requests_per_host"] for s in runs]).to_dict(),
                          "wall": summarize([s["wall"] for s in runs]).to_dict()}
    return {"hosts": hosts, "forks": hosts, "repeats": repeats, "first_run": first_run, "variants": variants,
            "ratio_role_to_raw": summarize(ratios).to_dict(),
            "ratio_without_fixed_cost": summarize(net).to_dict() if net else None}
