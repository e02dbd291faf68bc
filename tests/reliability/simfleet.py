# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A simulator fleet for one test module, with the control operations the reliability tests use."""

from __future__ import annotations

import contextlib
import errno
import os
import time
import typing as t

import yaml

from portscale_winsim.fleet import FleetError, HostSpec, start_fleet

__all__ = ["HostSpec", "RANGE_KEYS", "SimFleet", "fleet_of", "model_dword", "model_ranges"]

RANGE_KEYS = ("ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp")

BOOT_WAIT = 60.0  # seconds a test waits at most for a rebooting host
START_ATTEMPTS = 3  # a fleet start that lost a port to another worker is tried again (fleet_of)


class SimFleet:
    """What a test needs of a running fleet: inventories, faults, counters and the model state per host."""

    def __init__(self, handle: t.Any) -> None:
        self.handle = handle
        self.control = handle.control
        self.names = [h.name for h in handle.hosts]

    def inventory(self, name: str = "inventory.yml") -> str:
        return os.path.join(self.handle.state_dir, name)

    def mixed_inventory(self, path: str, connections: dict[str, str]) -> str:
        """One YAML inventory at ``path`` in which each host of ``connections`` comes from the simulator inventory it
        names (``inventory.yml`` for winrm, ``inventory.psrp.yml`` for psrp): one play over several connections."""
        merged: dict = {}
        for host, name in connections.items():
            with open(self.inventory(name), encoding="utf-8") as handle:
                document = yaml.safe_load(handle)
            merged = merged or document
            merged["all"]["children"]["windows"]["hosts"][host] = document["all"]["children"]["windows"]["hosts"][host]
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(merged, handle)
        return path

    def fault(self, host: str, kind: str, **args: t.Any) -> None:
        self.control.call(host, "fault", kind=kind, **args)

    def clear(self, target: str = "all") -> None:
        self.control.call(target, "clear-faults")
        self.control.call(target, "elevate", on=True)

    def counters(self, host: str) -> dict:
        return self.control.one(host, "counters")

    def writes(self, host: str) -> int:
        return self.counters(host)["model"]["writes"]

    def executions(self, host: str) -> int:
        return self.counters(host)["model"]["commands_run"]

    def model(self, host: str) -> dict:
        return self.control.one(host, "state")["model"]

    def wait_up(self, host: str, boots: int) -> None:
        """Wait until ``host`` has booted ``boots`` times and listens again."""
        deadline = time.monotonic() + BOOT_WAIT
        while time.monotonic() < deadline:
            state = self.control.one(host, "state")
            if state["model"]["boot_count"] >= boots and state["server"]["listening"] and not state["server"]["rebooting"]:
                return
            time.sleep(0.1)
        raise AssertionError(f"{host} did not come back within {BOOT_WAIT} s")


def model_ranges(model: dict) -> dict:
    """A host's active ranges in the modules' view, read from the simulator's model (the oracle, not the module)."""
    out = {}
    for key in RANGE_KEYS:
        active = model["ranges"][key.replace("_", "/")]["active"]
        out[key] = {"start": active["start"], "count": active["count"], "end": active["start"] + active["count"] - 1}
    return out


def model_dword(model: dict, name: str) -> int | None:
    """A Tcpip\\Parameters value as the simulator's model holds it (None when absent)."""
    return next((v["data"] for v in model["registry"] if v["name"] == name), None)


def _address_in_use(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@contextlib.contextmanager
def fleet_of(state_dir: str, specs: list[HostSpec], **options: t.Any) -> t.Iterator[SimFleet]:
    options.setdefault("boot_seconds", 2.0)
    options.setdefault("reboot_grace", 0.5)
    with contextlib.ExitStack() as stack:
        # The suite runs in two workers (mk/reliability.mk): another worker's fleet can take a port between the free
        # check (portscale_winsim.fleet.pick_ports) and the listen. Only that race is retried, with freshly picked ports.
        for attempt in range(START_ATTEMPTS):
            try:
                handle = stack.enter_context(start_fleet(state_dir, count=0, hosts=specs, **options))
                break
            except FleetError as exc:
                if attempt + 1 == START_ATTEMPTS or not _address_in_use(exc):
                    raise
        yield SimFleet(handle)
