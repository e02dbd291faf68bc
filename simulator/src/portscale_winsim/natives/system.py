# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hostname, whoami (ansible's win_reboot test command), ``shutdown /r|/a`` (win_reboot's reboot command) and chcp
(ansible-core 2.16-2.17's ssh connection runs ``chcp.com 65001 > $null ;`` before every PowerShell command)."""

from __future__ import annotations

from ..results import CommandResult
from .common import Run, flag_name
from .texts import Unsupported

# shutdown /t: default 30 s for /r, at most 10 years [DOC shutdown /?].
DEFAULT_DELAY = 30
MAX_DELAY = 315360000
MAX_COMMENT = 512


def run_hostname(run: Run) -> CommandResult:
    if len(run.argv) > 1:
        raise Unsupported("hostname with arguments (it would try to set the name) is not modelled")
    return run.output(run.text("hostname", hostname=run.model.hostname))


def run_whoami(run: Run) -> CommandResult:
    """``whoami`` (win_reboot's test command) and ``whoami /groups /fo csv /nh`` (the collection's elevation check: the
    token of an elevated administrator holds the High Mandatory Level SID, a UAC-filtered one the Medium one)."""
    options = [arg.lower().replace("-", "/", 1) for arg in run.argv[1:]]
    if options == ["/groups", "/fo", "csv", "/nh"]:
        return run.output(run.text("whoami.groups.elevated" if run.model.elevated else "whoami.groups.filtered"))
    if options:
        raise Unsupported("whoami options other than '/groups /fo csv /nh' are not modelled")
    return run.output(run.text("whoami", user=f"{run.model.hostname}\\{run.model.username}".lower()))


def run_chcp(run: Run) -> CommandResult:
    """``chcp [page]``: prints the active code page. Only 65001 and the host's OEM page are accepted; the change itself
    is not modelled (every program the simulator runs after it prints ASCII in the paths that use it) [INF]."""
    if len(run.argv) > 2:
        raise Unsupported("chcp with more than one argument is not modelled")
    page = run.argv[1] if len(run.argv) == 2 else str(run.model.oem_codepage)
    if page not in ("65001", str(run.model.oem_codepage)):
        raise Unsupported(f"chcp {page} (only 65001 and the host's OEM code page are modelled)")
    return run.output(run.text("chcp.active", codepage=page))


def run_shutdown(run: Run) -> CommandResult:
    options = _parse(run.argv[1:])
    host = run.model.hostname.upper()
    if "a" in options:
        if len(options) > 1:
            raise Unsupported("shutdown /a with other options is not modelled")
        if not run.model.elevated:
            return run.message("shutdown.access_denied", host=host)
        reply = run.message("shutdown.nothing_to_abort", host=host)
        if run.model.abort_reboot():
            run.wrote = True
            return run.output(run.text("shutdown.scheduled"))
        return reply
    if "r" not in options:
        raise Unsupported("only 'shutdown /r' and 'shutdown /a' are modelled")
    delay = options.get("t", str(DEFAULT_DELAY))
    if not delay.isdigit() or int(delay) > MAX_DELAY or len(options.get("c", "")) > MAX_COMMENT:
        raise Unsupported("shutdown with an out-of-range /t or /c has no sample")
    if not run.model.elevated:
        return run.message("shutdown.access_denied", host=host)
    done, already = run.output(run.text("shutdown.scheduled")), run.message("shutdown.already", host=host)
    if not run.model.schedule_reboot(int(delay)):
        return already
    run.wrote = True
    return done


def _parse(args: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    index = 0
    while index < len(args):
        name = flag_name(args[index])
        index += 1
        if name in ("r", "a", "f"):
            options[name] = ""
        elif name in ("t", "c"):
            if index >= len(args):
                raise Unsupported(f"shutdown /{name} without a value has no sample")
            options[name] = args[index].strip('"')
            index += 1
        else:
            raise Unsupported(f"shutdown option {args[index - 1]!r} is not modelled")
    return options
