# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Throughput of one simulator process: N hosts, C concurrent pywinrm clients looping ``run_cmd`` for S seconds.

Run: ``python -m portscale_winsim.bench_throughput --hosts 200 --clients 16 --seconds 20``. It needs pywinrm, which the
package's ``test`` extra installs (``pip install './simulator[test]'``).
The simulator runs as its own daemon process (as users run it); clients run in ``--processes`` worker processes
so the client side's CPU does not share the server's interpreter. Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

try:
    import winrm
except ImportError as missing:  # not a dependency of the simulator itself
    raise SystemExit("portscale_winsim.bench_throughput needs pywinrm: pip install 'portscale-winsim[test]'") from missing

COMMAND = ("netsh", ["int", "ipv4", "show", "dynamicport", "tcp"])


def _simulator(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "portscale_winsim", *args], capture_output=True, text=True, timeout=300, check=True)
    return done.stdout


def _client_loop(job: tuple[list[dict], str, str, str, float, int]) -> tuple[int, int]:
    """One worker process: ``threads`` clients, each cycling over its share of hosts until the deadline."""
    hosts, user, password, transport, deadline, threads = job
    commands = [0] * threads
    errors = [0] * threads

    def worker(index: int) -> None:
        mine = hosts[index::threads] or hosts
        sessions = [winrm.Session(f"http://127.0.0.1:{h['port']}/wsman", auth=(user, password), transport=transport, ca_trust_path=None)
                    for h in mine]
        turn = 0
        while time.time() < deadline:
            try:
                result = sessions[turn % len(sessions)].run_cmd(*COMMAND)
                commands[index] += 1 if result.status_code == 0 else 0
            except Exception:  # pylint: disable=broad-exception-caught
                errors[index] += 1
            turn += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(commands), sum(errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients in total")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--auth", choices=("basic", "ntlm"), default="ntlm")
    args = parser.parse_args()
    if not 1 <= args.hosts <= 1000 or not 1 <= args.clients <= 256 or not 1 <= args.seconds <= 600:
        parser.error("hosts 1..1000, clients 1..256, seconds 1..600")

    with tempfile.TemporaryDirectory(prefix="simbench-") as state:
        started = time.monotonic()
        _simulator("start", "--state-dir", state, "--count", str(args.hosts), "--auth", args.auth, "--daemon", "--ready-timeout", "120")
        startup = time.monotonic() - started
        try:
            with open(os.path.join(state, "fleet.json"), encoding="utf-8") as handle:
                hosts = json.load(handle)["hosts"]
            with open(os.path.join(state, "password"), encoding="utf-8") as handle:
                password = handle.read().strip()
            processes = max(1, min(args.processes, args.clients))
            deadline = time.time() + args.seconds
            jobs = []
            for index in range(processes):
                threads = args.clients // processes + (1 if index < args.clients % processes else 0)
                jobs.append((hosts[index::processes], "simadmin", password, args.auth, deadline, threads))
            begin = time.monotonic()
            with concurrent.futures.ProcessPoolExecutor(processes) as pool:
                outcomes = list(pool.map(_client_loop, jobs))
            elapsed = time.monotonic() - begin
            counters = json.loads(_simulator("ctl", "--state-dir", state, "all", "counters"))
        finally:
            _simulator("stop", "--state-dir", state)
    commands = sum(c for c, dummy in outcomes)
    errors = sum(e for dummy, e in outcomes)
    requests = sum(c["http"]["http_requests"] for c in counters.values())
    bytes_total = sum(c["http"]["bytes_in"] + c["http"]["bytes_out"] for c in counters.values())
    print(f"hosts={args.hosts} clients={args.clients} processes={processes} auth={args.auth} seconds={elapsed:.1f} startup={startup:.1f}s")
    print(f"commands={commands} errors={errors} commands/s={commands / elapsed:.1f}")
    print(f"http_requests={requests} requests/s={requests / elapsed:.1f} MB/s={bytes_total / elapsed / 1e6:.2f}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
