# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plays measured at fleet scale: the role (enforce + probe) and ``win_port_info`` on its own."""

from __future__ import annotations

import os

from .config import BenchConfig
from .fleet_scale import Workload
from .tasks import BenchTask, play, role_available

ROLE = "portscale.tcpip.port_capacity"


# The settings the role enforces; the same as the module tasks of the other sections, so a host stays converged.
RANGE = {"start": 10000, "count": 55536}
TIME_WAIT = 30
EXCLUSIONS = [{"start": 40000, "count": 10}]
PROBE_COUNT = 500


def role_vars(config: BenchConfig) -> dict:
    """Enforce all three settings, then prove capacity with a probe; never reboot; the report goes to the build dir."""
    return {
        "port_capacity_mode": "enforce",
        "port_capacity_range": RANGE,
        "port_capacity_tcp_timed_wait_delay": TIME_WAIT,
        "port_capacity_exclusions": EXCLUSIONS,
        "port_capacity_listener_guard": "ignore",
        "port_capacity_reboot": "never",
        "port_capacity_probe_count": PROBE_COUNT,
        "port_capacity_report_dir": os.path.join(config.work_dir, "report"),
    }


def module_play(modules: list[BenchTask]) -> Workload | None:
    """The role's remote work as bare module tasks (info, the three settings, probe): what the role adds on top of them."""
    by_name = {m.name: m for m in modules}
    wanted = ("win_port_info", "win_tcpip_parameters", "win_excluded_port_range", "win_dynamic_port_range", "win_port_probe")
    if not all(name in by_name for name in wanted):
        return None
    args = {
        "win_tcpip_parameters": {"tcp_timed_wait_delay": TIME_WAIT},
        "win_excluded_port_range": {"ranges": EXCLUSIONS},
        "win_dynamic_port_range": {**RANGE, "listener_guard": "ignore"},
        "win_port_probe": {"count": PROBE_COUNT},
    }
    return Workload("bare module tasks", play([by_name[name].task(args.get(name)) for name in wanted]))


def role_play(config: BenchConfig, extra_vars: dict | None = None, strategy: str | None = None) -> list[dict]:
    task = {"name": "port_capacity", "ansible.builtin.import_role": {"name": ROLE}, "vars": {**role_vars(config), **(extra_vars or {})}}
    return play([task], strategy=strategy)


def info_workload(modules: list[BenchTask]) -> Workload | None:
    info = next((m for m in modules if m.name == "win_port_info"), None)
    return Workload("win_port_info", play([info.task()])) if info else None


def fleet_workloads(config: BenchConfig, modules: list[BenchTask]) -> list[Workload]:
    found = []
    if role_available(config.collection):
        found.append(Workload("role enforce+probe", role_play(config), setup=role_play(config)))
    info = info_workload(modules)
    if info:
        found.append(info)
    return found
