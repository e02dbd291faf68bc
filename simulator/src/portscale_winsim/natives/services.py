# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""net.exe ``stop|start winnat`` — the only service the simulator models (docs/windows-facts.md §3.4/§3.5 workaround)."""

from __future__ import annotations

from ..results import CommandResult
from .common import Run
from .texts import Unsupported

SERVICE_NAME = "winnat"
DISPLAY_NAME = "Windows NAT Driver"


def run_net(run: Run) -> CommandResult:
    args = run.argv[1:]
    if not args or args[0].lower() not in ("stop", "start"):
        raise Unsupported("net.exe is modelled only for 'net stop|start winnat'")
    action = args[0].lower()
    service = " ".join(args[1:]).strip().strip('"').lower()
    if not service:
        raise Unsupported(f"'net {action}' without a service name is not modelled")
    if service not in (SERVICE_NAME, DISPLAY_NAME.lower()):
        raise Unsupported(f"service {service!r} is not modelled (only winnat)")
    if not run.model.os.winnat:
        return run.message("net.invalid_service")   # no winnat driver before Windows 10 / Server 2016 [INF]
    if not run.model.elevated:
        return run.message("net.access_denied")
    if action == "stop":
        replies = {"ok": run.message("net.stopped", display=DISPLAY_NAME), "not_started": run.message("net.not_started", display=DISPLAY_NAME)}
        outcome = run.model.stop_winnat()
    else:
        replies = {"ok": run.message("net.started", display=DISPLAY_NAME), "already_started": run.message("net.already_started")}
        outcome = run.model.start_winnat()
    run.wrote = outcome == "ok"
    return replies[outcome]
