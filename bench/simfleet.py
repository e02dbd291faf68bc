# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulated fleet a benchmark runs against: start, counters, latency, its own CPU, and always stop.

The simulator runs as its own daemon process (as users run it), so its CPU never mixes with the controller's
``RUSAGE_CHILDREN``; it is read from ``/proc/<pid>/stat`` instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys

import yaml

from portscale_winsim.control import ControlClient

START_TIMEOUT = 300
# A forgotten simulator stops by itself; the benchmark also stops it in a finally block and on SIGTERM.
MAX_LIFETIME = 3 * 3600
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class SimFleetError(Exception):
    """The simulator did not start, or a control call failed."""


class SimFleet:
    """One simulator daemon with ``count`` generic hosts under ``state_dir`` (NTLM over HTTP, like a default Windows host)."""

    def __init__(self, state_dir: str, count: int, latency_ms: int = 0) -> None:
        self.state_dir = state_dir
        self.count = count
        self.latency_ms = latency_ms
        self.pid = 0
        self.client: ControlClient | None = None
        self.inventory: dict = {}

    def _cli(self, *args: str, timeout: float = START_TIMEOUT) -> str:
        # The installed portscale-winsim (make venv installs simulator/ into .venv), run by this interpreter.
        done = subprocess.run([sys.executable, "-m", "portscale_winsim", *args], capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise SimFleetError(f"simulator {args[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return done.stdout

    def start(self) -> None:
        shutil.rmtree(self.state_dir, ignore_errors=True)
        os.makedirs(self.state_dir, mode=0o700)
        self._cli("start", "--state-dir", self.state_dir, "--count", str(self.count), "--auth", "ntlm", "--daemon",
                  "--latency-ms", str(self.latency_ms), "--ready-timeout", "180", "--max-lifetime", str(MAX_LIFETIME),
                  "--log-level", "WARNING")
        with open(os.path.join(self.state_dir, "fleet.json"), encoding="utf-8") as handle:
            info = json.load(handle)
        with open(os.path.join(self.state_dir, "control.token"), encoding="utf-8") as handle:
            token = handle.read().strip()
        self.pid = int(info["pid"])
        self.client = ControlClient(int(info["control_port"]), token)
        with open(os.path.join(self.state_dir, "inventory.yml"), encoding="utf-8") as handle:
            self.inventory = yaml.safe_load(handle)

    def stop(self) -> None:
        if self.pid:
            with contextlib.suppress(SimFleetError, subprocess.TimeoutExpired):
                self._cli("stop", "--state-dir", self.state_dir, timeout=60)
            self.pid = 0

    def __enter__(self) -> SimFleet:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- control ----------------------------------------------------------------------------------------
    def _control(self) -> ControlClient:
        if self.client is None:
            raise SimFleetError("the simulator is not running")
        return self.client

    def host_names(self) -> list[str]:
        return list(self.inventory["all"]["children"]["windows"]["hosts"])

    def reset_counters(self) -> None:
        self._control().call("all", "reset-counters")

    def counters(self) -> dict[str, dict]:
        return self._control().call("all", "counters")

    def set_latency(self, ms: int) -> None:
        self._control().call("all", "latency", ms=ms)
        self.latency_ms = ms

    def cpu_seconds(self) -> float:
        """User + system CPU the simulator process (all its threads) has used so far."""
        with open(f"/proc/{self.pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        # After the ")" that ends the command name: field 3 is index 0, so utime (14) and stime (15) are 11 and 12.
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def write_inventory(self, path: str, count: int) -> list[str]:
        """An inventory with the first ``count`` hosts (fleet sizes share one simulator); returns their names."""
        names = self.host_names()[:count]
        if len(names) < count:
            raise SimFleetError(f"the simulator has {len(names)} hosts, {count} asked")
        group = dict(self.inventory["all"]["children"]["windows"])
        group["hosts"] = {name: group["hosts"][name] for name in names}
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # The inventory holds the simulator's password: keep it private like the simulator's own files.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"all": {"children": {"windows": group}}}, handle, sort_keys=False)
        return names
