# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo`: the port_capacity role against three simulated Windows hosts, audit then enforce.

1. start three simulated hosts in different starting states:
   gw-busy  Server 2022 under load (simulator preset ``busy``): about 2,350 free ports, a 4,000-connection probe fails;
   app-mup  Server 2022 where an installer left MaxUserPort=65534 (written with ``reg add``, then a reboot);
   hv-nat   Server 2022 with Hyper-V: WinNAT reservations sit inside the dynamic range;
2. run the role in audit mode (the simulator's write counters must stay at zero), then in enforce mode (reboots
   through ansible.windows.win_reboot when that collection is available, else through the simulator), then enforce
   once more (it must change nothing);
3. print a before/after table and the probe results, and say where the reports are;
4. stop the simulator, always (also on failure or Ctrl-C), and check that its process is gone.

Ansible's own output goes to log files next to the report; on failure the end of the log is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTS = (
    ("gw-busy", "server2022:load=busy", "busy API gateway (load preset busy)"),
    ("app-mup", "server2022", "installer left MaxUserPort=65534"),
    ("hv-nat", "server2022:hyperv=true", "Hyper-V host, WinNAT blocks in the range"),
)
PLAYBOOK_TIMEOUT = 600       # seconds for one ansible-playbook run
BOOT_WAIT = 30               # seconds to wait for a host rebooted through the simulator
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class DemoError(Exception):
    pass


class Demo:
    def __init__(self, args: argparse.Namespace) -> None:
        self.python = args.python
        self.state_dir = os.path.join(args.build, "demo-sim")
        self.report_dir = args.report
        self.log_dir = os.path.join(args.report, "logs")
        self.collections = args.collections
        self.reboot_with_ansible = any(
            os.path.isfile(os.path.join(path, "ansible_collections", "ansible", "windows", "plugins", "action", "win_reboot.py"))
            for path in args.collections.split(os.pathsep))
        self.started = False

    # -- simulator -------------------------------------------------------------------------------------------

    def sim(self, *argv: str, capture: bool = True) -> str:
        # portscale-winsim, installed into the demo's Python (make venv installs simulator/ into .venv).
        done = subprocess.run([self.python, "-m", "portscale_winsim", *argv], capture_output=capture, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            raise DemoError(f"simulator {' '.join(argv[:1])} failed: {(done.stderr or done.stdout or '').strip()}")
        return done.stdout

    def start(self) -> None:
        shutil.rmtree(self.state_dir, ignore_errors=True)
        specs = [arg for name, spec, _text in HOSTS for arg in ("--host", f"{name}:{spec}")]
        # --max-lifetime: even a killed demo leaves no simulator behind for long.
        self.started = True
        self.sim("start", "--state-dir", self.state_dir, *specs, "--auth", "ntlm", "--daemon", "--boot-seconds", "1",
                 "--max-lifetime", "1200")

    def stop(self) -> None:
        if not self.started:
            return
        pid = self.fleet_pid()
        try:
            self.sim("stop", "--state-dir", self.state_dir)
        except (DemoError, subprocess.TimeoutExpired) as error:
            print(f"warning: {error}", file=sys.stderr)
        if pid and wait_gone(pid, 15):
            print(f"Simulator stopped (pid {pid} is gone).")
        elif pid:
            os.kill(pid, signal.SIGKILL)
            print(f"Simulator pid {pid} did not stop in time and was killed.")

    def fleet_pid(self) -> int | None:
        try:
            with open(os.path.join(self.state_dir, "fleet.json"), encoding="utf-8") as handle:
                return int(json.load(handle)["pid"])
        except (OSError, ValueError, KeyError):
            return None

    def counters(self) -> dict[str, dict]:
        data = json.loads(self.sim("ctl", "--state-dir", self.state_dir, "all", "counters"))
        return {name: host.get("model", host) for name, host in data.items()}

    def host_port(self, name: str) -> int:
        with open(os.path.join(self.state_dir, "fleet.json"), encoding="utf-8") as handle:
            fleet = json.load(handle)
        for host in fleet["hosts"]:
            if host["name"] == name:
                return int(host["port"])
        raise DemoError(f"host {name} is not in fleet.json")

    def reboot(self, name: str) -> None:
        self.sim("ctl", "--state-dir", self.state_dir, name, "reboot")
        time.sleep(1.5)
        port, deadline = self.host_port(name), time.monotonic() + BOOT_WAIT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise DemoError(f"{name} did not come back within {BOOT_WAIT} s of its reboot")

    # -- ansible -----------------------------------------------------------------------------------------------

    def playbook(self, label: str, playbook: str, *extra: str, expect_failure: bool = False) -> str:
        os.makedirs(self.log_dir, exist_ok=True)
        log_path = os.path.join(self.log_dir, f"{label}.log")
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                   ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="0")
        argv = [os.path.join(os.path.dirname(self.python), "ansible-playbook"), "-i", os.path.join(self.state_dir, "inventory.yml"),
                os.path.join(HERE, playbook), *extra]
        started = time.monotonic()
        with open(log_path, "w", encoding="utf-8") as log:
            done = subprocess.run(argv, cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=PLAYBOOK_TIMEOUT, check=False)
        with open(log_path, encoding="utf-8") as log:
            output = log.read()
        recap = {m.group(1): {"changed": int(m.group(3)), "unreachable": int(m.group(4)), "failed": int(m.group(5))}
                 for m in RECAP.finditer(output)}
        failed = sorted(name for name, counts in recap.items() if counts["failed"] or counts["unreachable"])
        changed = {name: counts["changed"] for name, counts in recap.items()}
        print(f"  {label}: {time.monotonic() - started:.0f} s, changed tasks per host {changed}"
              f"{', failed: ' + ', '.join(failed) if failed else ''}  (log: {os.path.relpath(log_path)})")
        if done.returncode != 0 and not (expect_failure and recap):
            tail = "\n".join(output.splitlines()[-40:])
            raise DemoError(f"ansible-playbook {label} exited {done.returncode}; end of {log_path}:\n{tail}")
        return output

    def run_role(self, label: str, mode: str, report: str, *extra: str, expect_failure: bool = False) -> dict:
        self.playbook(label, "site.yml", "-e", f"port_capacity_mode={mode}", "-e", f"port_capacity_report_dir={report}", *extra,
                      expect_failure=expect_failure)
        with open(os.path.join(report, "port_capacity.json"), encoding="utf-8") as handle:
            document = json.load(handle)
        return {entry["host"]: entry["summary"] or {} for entry in document["hosts"]}

    # -- the story ---------------------------------------------------------------------------------------------

    def clean_report(self) -> None:
        """Remove what an earlier demo wrote (and only that), so no stale file passes for this run's output."""
        for sub in ("audit", "enforce-again", "logs"):
            shutil.rmtree(os.path.join(self.report_dir, sub), ignore_errors=True)
        for name in ("port_capacity.md", "port_capacity.csv", "port_capacity.html", "port_capacity.json"):
            if os.path.exists(os.path.join(self.report_dir, name)):
                os.unlink(os.path.join(self.report_dir, name))

    def run(self) -> None:
        self.clean_report()
        print(f"Starting three simulated Windows hosts (state in {self.state_dir}) ...")
        self.start()
        for name, _spec, text in HOSTS:
            print(f"  {name:8} {text}")
        self.playbook("seed", "seed.yml")
        self.reboot("app-mup")

        audit_dir, final_dir = os.path.join(self.report_dir, "audit"), self.report_dir
        print("\n1. Audit mode (changes nothing, reports drift; the busy host's probe is expected to fail):")
        self.sim("ctl", "--state-dir", self.state_dir, "all", "reset-counters")
        audit = self.run_role("audit", "audit", audit_dir, expect_failure=True)
        writes = {name: counters.get("writes", 0) for name, counters in self.counters().items()}
        if any(writes.values()):
            raise DemoError(f"audit mode wrote to a host: simulator write counters {writes}")
        print(f"  simulator write counters after audit: {writes} (audit wrote nothing)")

        print("\n2. Enforce mode:")
        reboot_args = () if self.reboot_with_ansible else ("-e", "port_capacity_reboot=never")
        enforce = self.run_role("enforce", "enforce", final_dir, *reboot_args)
        if not self.reboot_with_ansible:
            pending = [name for name, summary in enforce.items() if summary.get("reboot_pending")]
            print(f"  ansible.windows is not installed: rebooting {', '.join(pending) or 'no host'} through the simulator")
            for name in pending:
                self.reboot(name)

        print("\n3. Enforce again (must change nothing):")
        self.sim("ctl", "--state-dir", self.state_dir, "all", "reset-counters")
        final = self.run_role("enforce-again", "enforce", os.path.join(self.report_dir, "enforce-again"), *reboot_args)
        writes = {name: counters.get("writes", 0) for name, counters in self.counters().items()}
        changed = {name: summary.get("changes") for name, summary in final.items() if summary.get("changes")}
        if changed or any(writes.values()):
            raise DemoError(f"the second enforce run changed something: {changed or writes}")
        print(f"  no changes, simulator write counters {writes}")

        print("\nWhat enforce changed:\n")
        for name, _spec, _text in HOSTS:
            print(f"  {name:8} " + ("; ".join(enforce.get(name, {}).get("changes") or []) or "nothing"))
        print("\nBefore (audit) and after (enforce) per host:\n")
        print(before_after_table(audit, enforce, final, self.reboot_with_ansible))
        print("\nProbe results (4,000 connections held open at once):\n")
        print(probe_table(audit, final))
        print(f"\nReports: {os.path.relpath(final_dir)}/port_capacity.{{md,csv,html,json}} (the enforce run; audit: "
              f"{os.path.relpath(audit_dir)}/, second enforce: {os.path.relpath(final_dir)}/enforce-again/, "
              f"Ansible logs: {os.path.relpath(self.log_dir)}/)")


# ---------------------------------------------------------------------------------------------------------------
# Tables


def _state(summary: dict) -> dict:
    return summary.get("after") or summary.get("before") or {}


def _tcp_range(state: dict) -> str:
    return (state.get("ranges") or {}).get("ipv4_tcp") or "-"


def _value(state: dict, name: str) -> str:
    registry = state.get("registry") or {}
    return "-" if not registry else ("absent" if registry.get(name) is None else str(registry.get(name)))


def _free(state: dict) -> str:
    room = state.get("headroom") or {}
    return "-" if room.get("free") is None else f"{room['free']} ({room.get('percent_free')}%)"


def _rate(state: dict) -> str:
    rate = state.get("connections_per_second")
    return "-" if rate is None else f"{rate:g}/s"


def _probe(summary: dict) -> str:
    probe = summary.get("probe") or {}
    if not probe.get("ran"):
        return "not run" + (f": {probe.get('message')}" if probe.get("message") else "")
    text = f"{probe.get('opened')}/{probe.get('count')} opened"
    if probe.get("error_code"):
        text += f", error {probe['error_code']} {probe.get('error_name') or ''}".rstrip()
    return text + (" - PASSED" if probe.get("passed") else " - FAILED")


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    line = "  ".join("-" * width for width in widths)
    out = ["  ".join(str(cell).ljust(width) for cell, width in zip(headers, widths)).rstrip(), line]
    out += ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(out)


def before_after_table(audit: dict, enforce: dict, final: dict, rebooted_by_ansible: bool) -> str:
    headers = ["host", "status", "ipv4 TCP range", "MaxUserPort", "TcpTimedWaitDelay", "free ports", "sustainable rate", "reboot"]
    rows = []
    for name, _spec, _text in HOSTS:
        before, after = _state(audit.get(name, {})), _state(final.get(name, {}))
        first = enforce.get(name, {})
        reboot = "rebooted" if first.get("rebooted") else ("rebooted (simulator)" if first.get("reboot_pending") and not rebooted_by_ansible
                                                           else "no")
        rows.append([name, f"{audit.get(name, {}).get('status', '-')} -> {final.get(name, {}).get('status', '-')}",
                     f"{_tcp_range(before)} -> {_tcp_range(after)}",
                     f"{_value(before, 'MaxUserPort')} -> {_value(after, 'MaxUserPort')}",
                     f"{_value(before, 'TcpTimedWaitDelay')} -> {_value(after, 'TcpTimedWaitDelay')}",
                     f"{_free(before)} -> {_free(after)}", f"{_rate(before)} -> {_rate(after)}", reboot])
    return format_table(headers, rows)


def probe_table(audit: dict, final: dict) -> str:
    rows = [[name, _probe(audit.get(name, {})), _probe(final.get(name, {}))] for name, _spec, _text in HOSTS]
    return format_table(["host", "before (audit)", "after (enforce)"], rows)


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="build folder (the simulator's state goes to <build>/demo-sim)")
    parser.add_argument("--collections", required=True, help="ANSIBLE_COLLECTIONS_PATH for the plays")
    parser.add_argument("--report", required=True, help="report folder")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()

    demo = Demo(args)
    # SIGTERM (a CI timeout, a closed terminal) must also stop the simulator: turn it into the KeyboardInterrupt path.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        demo.run()
        return 0
    except DemoError as error:
        print(f"\nDemo failed: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, subprocess.TimeoutExpired) as error:
        print(f"\nDemo interrupted: {error or 'signal'}", file=sys.stderr)
        return 130
    finally:
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
