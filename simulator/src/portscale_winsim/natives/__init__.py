# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Native Windows programs of the simulated host (layer 2, see INTERFACES.md): ``run_native(model, argv, codepage)``."""

from __future__ import annotations

from ..command_log import log_of
from ..results import CommandResult
from .common import UNSUPPORTED_PREFIX, Run, program_name, unsupported_result
from .eventlog import run_tasklist, run_wevtutil
from .netsh import run_netsh
from .netstat import run_netstat
from .reg import run_reg
from .services import run_net
from .system import run_chcp, run_hostname, run_shutdown, run_whoami
from .texts import Unsupported

PROGRAMS = {
    "netsh": run_netsh,
    "reg": run_reg,
    "netstat": run_netstat,
    "net": run_net,
    "hostname": run_hostname,
    "whoami": run_whoami,
    "shutdown": run_shutdown,
    "chcp": run_chcp,
    "wevtutil": run_wevtutil,
    "tasklist": run_tasklist,
}


def run_native(model, argv: list[str], codepage: int) -> CommandResult | None:
    """Run one native program as typed (``argv[0]`` any case, with or without ``.exe`` or a folder).

    Returns None for a program the simulator does not know, so the caller prints PowerShell's / cmd's own
    "not recognized" error. An injected failure whose text occurs in the normalised command line
    (``program arg1 arg2 ...``, lower case) wins over everything else.
    """
    if not argv:
        return None
    received = log_of(model)
    if received is not None:
        # Every program the host was asked to start, known or not, before faults or handlers can intervene.
        received.native(argv)
    program = program_name(argv[0])
    normalised = " ".join([program] + list(argv[1:]))
    fault = model.take_fault(normalised)
    if fault is not None:
        model.counters["native_commands"] = model.counters.get("native_commands", 0) + 1
        return CommandResult(bytes.fromhex(fault.stdout_hex), bytes.fromhex(fault.stderr_hex), fault.exit_code)
    handler = PROGRAMS.get(program)
    if handler is None:
        return None
    model.counters["native_commands"] = model.counters.get("native_commands", 0) + 1
    run = Run(model, [program] + list(argv[1:]), codepage)
    try:
        result = handler(run)
    except Unsupported as exc:
        return unsupported_result(argv, model.locale, str(exc), codepage)
    except ValueError as exc:     # an unknown code page: the caller asked for something the simulator cannot encode
        return unsupported_result(argv, model.locale, str(exc), 65001)
    if run.wrote:
        model.counters["writes"] = model.counters.get("writes", 0) + 1
    return result


__all__ = ["run_native", "PROGRAMS", "UNSUPPORTED_PREFIX"]
