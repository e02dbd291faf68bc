# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is measured: ``raw`` (the cheapest task over the same connection) and each module of the collection.

A module that changes state has two argument sets, A and B: running A on a host in state B changes it, running A
again is converged. Alternating A and B makes "changing" repeatable without resetting the host.
"""

from __future__ import annotations

import dataclasses
import os

# The cheapest possible task: one native command through the same winrm connection and PowerShell wrapper.
RAW_COMMAND = "netsh int ipv4 show dynamicport tcp"


@dataclasses.dataclass(frozen=True)
class BenchTask:
    """One task to measure. ``changing_args`` is None for tasks that change nothing (raw, info, probe).

    ``acts`` marks a task whose work is a second command by design (the probe reads the host, then opens sockets).
    """

    name: str
    action: str
    args: dict | str
    changing_args: dict | None = None
    check_mode: bool = False
    acts: bool = False

    @property
    def changes(self) -> bool:
        return self.changing_args is not None

    def task(self, args: dict | str | None = None, label: str | None = None) -> dict:
        body: dict = {"name": label or self.name, self.action: self.args if args is None else args}
        if self.check_mode:
            body["check_mode"] = True
        return body


RAW = BenchTask("raw", "ansible.builtin.raw", RAW_COMMAND)
# A task that never connects: ansible-core's own cost per host-task (worker fork, templating, callbacks).
NO_CONNECTION = BenchTask("debug (no connection)", "ansible.builtin.debug", {"msg": "no connection"})

MODULE_TASKS = (
    BenchTask("win_dynamic_port_range", "portscale.tcpip.win_dynamic_port_range",
              {"start": 10000, "count": 55536, "listener_guard": "ignore"},
              {"start": 49152, "count": 16384, "listener_guard": "ignore"}),
    BenchTask("win_tcpip_parameters", "portscale.tcpip.win_tcpip_parameters",
              {"tcp_timed_wait_delay": 30}, {"tcp_timed_wait_delay": 60}),
    BenchTask("win_excluded_port_range", "portscale.tcpip.win_excluded_port_range",
              {"ranges": [{"start": 40000, "count": 10}], "state": "present"},
              {"ranges": [{"start": 40000, "count": 10}], "state": "absent"}),
    BenchTask("win_port_info", "portscale.tcpip.win_port_info", {}),
    # A small burst: the probe's cost on the wire is one script whatever its size; its size is the host's business.
    BenchTask("win_port_probe", "portscale.tcpip.win_port_probe", {"count": 500}, acts=True),
)


def available_modules(collection_root: str) -> list[BenchTask]:
    """The module tasks whose documentation stub and action plugin both exist (others land while this runs)."""
    found = []
    for task in MODULE_TASKS:
        name = task.action.rsplit(".", 1)[1]
        if all(os.path.isfile(os.path.join(collection_root, "plugins", kind, f"{name}.py")) for kind in ("modules", "action")):
            found.append(task)
    return found


def role_available(collection_root: str) -> bool:
    return os.path.isfile(os.path.join(collection_root, "roles", "port_capacity", "tasks", "main.yml"))


def play(tasks: list[dict], hosts: str = "windows", strategy: str | None = None) -> list[dict]:
    body: dict = {"name": "bench", "hosts": hosts, "gather_facts": False}
    if strategy:
        body["strategy"] = strategy
    body["tasks"] = tasks
    return [body]
