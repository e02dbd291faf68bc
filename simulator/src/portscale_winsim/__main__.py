# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line: ``portscale-winsim start|ctl|stop|status`` (also ``python -m portscale_winsim``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import select
import signal
import sys
import time

from .control import ControlClient, ControlError
from .fleet import AUTH_CHOICES, FLEET_FILE, TOKEN_FILE, Fleet, FleetError, FleetOptions, parse_host_spec, read_fleet_file, run_fleet
from .wsman import FAULT_KINDS

LOG_FILE = "simulator.log"
STOP_TIMEOUT = 20.0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portscale-winsim", description="Simulated Windows hosts over WinRM.")
    sub = parser.add_subparsers(dest="cmd", required=True)

    start = sub.add_parser("start", help="start a fleet of simulated hosts")
    start.add_argument("--state-dir", required=True)
    start.add_argument("--count", type=int, default=None, help="generic hosts win001..winNNN (default 1, or 0 with --host)")
    start.add_argument("--profile", default="server2022")
    start.add_argument("--host", action="append", default=[], metavar="NAME:PROFILE[:key=value...]")
    start.add_argument("--auth", choices=AUTH_CHOICES, default="ntlm")
    start.add_argument("--https", action="store_true")
    start.add_argument("--ssh", action="store_true", help="every host also serves SSH (key auth; writes inventory.ssh.yml)")
    start.add_argument("--latency-ms", type=int, default=0)
    start.add_argument("--user", default="simadmin")
    start.add_argument("--password", default=None, help="default: generated once and kept in <state-dir>/password")
    start.add_argument("--daemon", action="store_true", help="run in the background; return once every host answers")
    start.add_argument("--ready-timeout", type=float, default=60.0)
    start.add_argument("--max-lifetime", type=float, default=4 * 3600.0, help="seconds before the simulator stops by itself")
    start.add_argument("--boot-seconds", type=float, default=2.0, help="how long a rebooting host refuses connections")
    start.add_argument("--max-shells", type=int, default=30)
    start.add_argument("--max-operations", type=int, default=1500)
    start.add_argument("--workers", type=int, default=8, help="threads that run commands")
    start.add_argument("--log-level", default="INFO")

    ctl = sub.add_parser("ctl", help="control a running fleet")
    ctl.add_argument("--state-dir", required=True)
    ctl.add_argument("target", help="host name or 'all'")
    ctl.add_argument("op", choices=["reboot", "counters", "reset-counters", "state", "commands", "set-load", "fault", "clear-faults", "latency", "elevate"])
    ctl.add_argument("args", nargs="*", help="set-load <preset|json>; fault <kind> [key=value...]; latency <ms>; elevate on|off; reboot [delay]")

    for name in ("stop", "status"):
        other = sub.add_parser(name, help=f"{name} the fleet of a state dir")
        other.add_argument("--state-dir", required=True)
    return parser


def _options(args: argparse.Namespace) -> FleetOptions:
    hosts = [parse_host_spec(text) for text in args.host]
    count = args.count if args.count is not None else (0 if hosts else 1)
    if count < 0:
        raise FleetError("--count must not be negative")
    return FleetOptions(
        state_dir=args.state_dir, count=count, profile=args.profile, hosts=hosts, auth=args.auth, https=args.https,
        latency_ms=args.latency_ms, user=args.user, password=args.password, max_lifetime=args.max_lifetime,
        boot_seconds=args.boot_seconds, max_shells=args.max_shells, max_operations=args.max_operations, workers=args.workers,
        ssh=args.ssh,
    )


def _pid_alive(pid: int) -> bool:
    """True when ``pid`` runs and is a simulator (guards against a recycled pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read()
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    # portscale-winsim / python -m portscale_winsim; "simulator" also matches a fleet started in-process by a test run.
    return state != b"Z" and (b"winsim" in cmdline or b"simulator" in cmdline)


def _summary(state_dir: str) -> str:
    info = read_fleet_file(state_dir) or {}
    hosts = info.get("hosts", [])
    lines = [f"simulator pid {info.get('pid')} control port {info.get('control_port')}: {len(hosts)} host(s)"]
    lines += [f"  {h['name']}: {h['scheme']}://127.0.0.1:{h['port']}/wsman auth={','.join(h['auth'])}"
              + (f" ssh=127.0.0.1:{h['ssh_port']}" if h.get("ssh_port") else "") for h in hosts[:20]]
    if len(hosts) > 20:
        lines.append(f"  ... and {len(hosts) - 20} more")
    inventories = ["inventory.winrm", "inventory.yml", "inventory.psrp.yml"] + (["inventory.ssh.yml"] if any(h.get("ssh_port") for h in hosts) else [])
    lines.append("inventories: " + " ".join(os.path.join(state_dir, name) for name in inventories))
    return "\n".join(lines)


def _refuse_if_running(state_dir: str) -> None:
    info = read_fleet_file(state_dir)
    if info and _pid_alive(int(info.get("pid", 0))):
        raise FleetError(f"a simulator (pid {info['pid']}) already runs for {state_dir}; stop it first")


def _run_foreground(options: FleetOptions, ready_fd: int | None = None) -> int:
    fleet = Fleet(options)

    def on_ready() -> None:
        if ready_fd is not None:
            os.write(ready_fd, b"ready\n")
            os.close(ready_fd)
        else:
            print(_summary(options.state_dir), flush=True)
    asyncio.run(run_fleet(fleet, on_ready=on_ready, handle_signals=True))
    return 0


def _daemonize(options: FleetOptions, ready_timeout: float, log_level: str) -> int:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the daemon
        os.close(read_fd)
        os.setsid()
        log_path = os.path.join(options.state_dir, LOG_FILE)
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null_fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null_fd, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
        code = 1
        try:
            code = _run_foreground(options, ready_fd=write_fd)
        except BaseException:  # pylint: disable=broad-exception-caught
            logging.exception("simulator stopped with an error")
        finally:
            os._exit(code)  # pylint: disable=protected-access
    os.close(write_fd)
    ready, dummy_w, dummy_x = select.select([read_fd], [], [], ready_timeout)
    message = os.read(read_fd, 64) if ready else b""
    os.close(read_fd)
    if message.startswith(b"ready"):
        print(_summary(options.state_dir), flush=True)
        return 0
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    log_path = os.path.join(options.state_dir, LOG_FILE)
    if ready:  # the pipe closed without "ready": the daemon exited, and its log says why
        print(f"simulator exited before it was ready: {_last_line(log_path)} (see {log_path})", file=sys.stderr)
    else:
        print(f"simulator did not become ready within {ready_timeout:.0f} s; see {log_path}", file=sys.stderr)
    return 1


def _last_line(path: str) -> str:
    """The last non-blank line of the daemon's log (the exception's message when it stopped with one)."""
    with contextlib.suppress(OSError):
        with open(path, encoding="utf-8", errors="replace") as log:
            lines = [line.strip() for line in log if line.strip()]
        if lines:
            return lines[-1]
    return "no log line"


def cmd_start(args: argparse.Namespace) -> int:
    options = _options(args)
    os.makedirs(options.state_dir, mode=0o700, exist_ok=True)
    _refuse_if_running(options.state_dir)
    if args.daemon:
        return _daemonize(options, args.ready_timeout, args.log_level)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return _run_foreground(options)


def _client(state_dir: str) -> ControlClient:
    info = read_fleet_file(state_dir)
    if not info or not _pid_alive(int(info.get("pid", 0))):
        raise FleetError(f"no simulator runs for {state_dir}")
    with open(os.path.join(state_dir, TOKEN_FILE), encoding="utf-8") as handle:
        token = handle.read().strip()
    return ControlClient(int(info["control_port"]), token)


def _kv_args(items: list[str]) -> dict:
    result: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise FleetError(f"expected key=value, got {item!r}")
        result[key] = int(value) if value.lstrip("-").isdigit() else value
    return result


def _ctl_args(op: str, items: list[str]) -> dict:  # pylint: disable=too-many-return-statements
    if op == "set-load":
        if len(items) != 1:
            raise FleetError("set-load takes one preset name or one JSON object")
        text = items[0]
        return {"load": json.loads(text) if text.lstrip().startswith("{") else text}
    if op == "fault":
        if not items:
            raise FleetError(f"fault needs a kind: {', '.join(FAULT_KINDS + ('command-fail',))}")
        return {"kind": items[0], **_kv_args(items[1:])}
    if op == "latency":
        if len(items) != 1 or not items[0].isdigit():
            raise FleetError("latency takes one number of milliseconds")
        return {"ms": int(items[0])}
    if op == "elevate":
        if items not in (["on"], ["off"]):
            raise FleetError("elevate takes on or off")
        return {"on": items[0] == "on"}
    if op == "reboot":
        return {"delay": float(items[0])} if items else {}
    if items:
        raise FleetError(f"{op} takes no arguments")
    return {}


def cmd_ctl(args: argparse.Namespace) -> int:
    result = _client(args.state_dir).call(args.target, args.op, **_ctl_args(args.op, args.args))
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    info = read_fleet_file(args.state_dir)
    if not info:
        print(f"no simulator runs for {args.state_dir}")
        return 0
    pid = int(info.get("pid", 0))
    if _pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _pid_alive(pid):
            print(f"simulator pid {pid} ignored SIGTERM for {STOP_TIMEOUT:.0f} s; killing it", file=sys.stderr)
            os.kill(pid, signal.SIGKILL)
    # A clean shutdown already removed these; a killed simulator leaves them behind.
    for name in (FLEET_FILE, TOKEN_FILE):
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(args.state_dir, name))
    print(f"simulator pid {pid} stopped")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    status = _client(args.state_dir).status()
    print(_summary(args.state_dir))
    for host in status["hosts"]:
        state = "rebooting" if host["rebooting"] else ("listening" if host["listening"] else "refusing")
        print(f"  {host['name']}: {state}, shells={host['shells']['shells']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    handlers = {"start": cmd_start, "ctl": cmd_ctl, "stop": cmd_stop, "status": cmd_status}
    try:
        return handlers[args.cmd](args)
    except (FleetError, ControlError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
