# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Section 4: the simulator's own throughput (portscale_winsim.bench_throughput), to show it is not the bottleneck."""

from __future__ import annotations

import re
import subprocess
import sys

FIGURE = re.compile(r"([a-z_/]+)=([0-9.]+)")


def run_section(hosts: int, clients: int, seconds: float, timeout: float = 600) -> dict:
    args = ["--hosts", str(hosts), "--clients", str(clients), "--seconds", str(seconds), "--auth", "ntlm"]
    done = subprocess.run([sys.executable, "-m", "portscale_winsim.bench_throughput", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)
    figures = {key: float(value) for key, value in FIGURE.findall(done.stdout)}
    if done.returncode != 0 or "requests/s" not in figures:
        raise RuntimeError(f"bench_throughput.py failed ({done.returncode}): {done.stdout[-1000:]} {done.stderr[-2000:]}")
    return {"command": f"python -m portscale_winsim.bench_throughput {' '.join(args)}", "output": done.stdout.strip(),
            "requests_per_second": figures["requests/s"], "commands_per_second": figures["commands/s"], "errors": figures.get("errors", 0.0)}
