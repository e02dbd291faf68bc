# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line of ``python -m bench`` (the knobs ``make bench`` passes through)."""

from __future__ import annotations

import argparse
import dataclasses
import os

SECTIONS = ("wire", "cpu", "fleet", "faster", "throughput", "role")
# Everything is bounded: these limits keep a typo from starting a run that never ends.
MAX_HOSTS = 500
MAX_REPEATS = 20


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    build: str
    collection: str
    tests_dir: str
    output: str
    sections: tuple[str, ...]
    fleet_sizes: tuple[int, ...]
    latencies: tuple[int, ...]
    forks: int
    wire_hosts: int
    wire_repeats: int
    cpu_hosts: int
    cpu_tasks: int
    repeats: int
    fleet_repeats: int
    faster_hosts: int
    throughput_seconds: float
    timeout: float

    @property
    def work_dir(self) -> str:
        return os.path.join(self.build, "bench")

    @property
    def simulator_hosts(self) -> int:
        return max(self.fleet_sizes + (self.wire_hosts, self.cpu_hosts, self.faster_hosts))


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc
    if not values:
        raise argparse.ArgumentTypeError("expected at least one value")
    return values


def _sections(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    return chosen


def parse(argv: list[str] | None = None) -> BenchConfig:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmark portscale.tcpip against simulated Windows hosts.")
    parser.add_argument("--build", required=True, help="build dir: the collection tree is <build>/ansible_collections, results go to <build>/bench")
    parser.add_argument("--tests-dir", required=True, help="the repository's tests/ dir (its parent names the commit measured)")
    parser.add_argument("--output", default=None, help="JSON results (default <build>/bench/results.json)")
    parser.add_argument("--sections", type=_sections, default=SECTIONS, help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--hosts", type=_int_list, default=(25, 50, 100), help="fleet sizes (default 25,50,100)")
    parser.add_argument("--latencies", type=_int_list, default=(0, 20), help="added latency per HTTP request in ms (default 0,20)")
    parser.add_argument("--forks", type=int, default=25)
    parser.add_argument("--wire-hosts", type=int, default=2)
    parser.add_argument("--wire-repeats", type=int, default=2)
    parser.add_argument("--cpu-hosts", type=int, default=10)
    parser.add_argument("--cpu-tasks", type=int, default=5, help="tasks per play in the CPU section")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of the CPU section (medians and spread)")
    parser.add_argument("--fleet-repeats", type=int, default=1)
    parser.add_argument("--faster-hosts", type=int, default=25, help="fleet size of the 'what would make it faster' section")
    parser.add_argument("--throughput-seconds", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=1800.0, help="limit for one ansible-playbook run, seconds")
    args = parser.parse_args(argv)
    counts = (*args.hosts, args.wire_hosts, args.cpu_hosts, args.faster_hosts)
    if not all(1 <= n <= MAX_HOSTS for n in counts):
        parser.error(f"host counts must be 1..{MAX_HOSTS}")
    if not all(1 <= n <= MAX_REPEATS for n in (args.wire_repeats, args.repeats, args.fleet_repeats, args.cpu_tasks)):
        parser.error(f"repeats and tasks per play must be 1..{MAX_REPEATS}")
    if not all(0 <= ms <= 1000 for ms in args.latencies) or not 1 <= args.forks <= 200:
        parser.error("latencies 0..1000 ms, forks 1..200")
    if not 1 <= args.throughput_seconds <= 120 or not 10 <= args.timeout <= 7200:
        parser.error("throughput seconds 1..120, timeout 10..7200")
    build = os.path.abspath(args.build)
    return BenchConfig(
        build=build, collection=os.path.join(build, "ansible_collections", "portscale", "tcpip"),
        tests_dir=os.path.abspath(args.tests_dir),
        output=os.path.abspath(args.output or os.path.join(build, "bench", "results.json")), sections=args.sections,
        fleet_sizes=tuple(sorted(set(args.hosts))), latencies=tuple(sorted(set(args.latencies))), forks=args.forks,
        wire_hosts=args.wire_hosts, wire_repeats=args.wire_repeats, cpu_hosts=args.cpu_hosts, cpu_tasks=args.cpu_tasks,
        repeats=args.repeats, fleet_repeats=args.fleet_repeats, faster_hosts=args.faster_hosts,
        throughput_seconds=args.throughput_seconds, timeout=args.timeout,
    )
