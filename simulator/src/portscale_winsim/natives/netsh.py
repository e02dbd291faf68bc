# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netsh: ``int ipv4|ipv6 show|set dynamicport`` and ``show|add|delete excludedportrange`` (docs/windows-facts.md §1–§3).

Order of checks [INF]: command words → parameter syntax → elevation (writes only) → values → the change.
Every message is rendered before the model changes, so an unsupported locale never leaves a half-applied write.
"""

from __future__ import annotations

from ..results import CommandResult
from .common import Run
from .netsh_grammar import (
    INTERFACE, IP_VERBS, OBJECTS, SIGNATURES, TOP, NotFound, SyntaxInvalid, parse_params, parse_port_number, resolve,
)
from .texts import Unsupported

# Documented limits for set dynamicport [DOC, docs/windows-facts.md §2.3].
MIN_START = 1025
MIN_COUNT = 255
PORT_LIMIT = 65536


def run_netsh(run: Run) -> CommandResult:
    args = run.argv[1:]
    rest = " ".join(args)
    if not args:
        raise Unsupported("interactive netsh is not modelled")
    try:
        words = _resolve_words(run, args)
    except NotFound:
        return run.message("netsh.not_found", rest=rest)
    ip_version, verb, obj = words
    try:
        params = parse_params(args[4:], SIGNATURES[(verb, obj)])
    except SyntaxInvalid:
        return run.message("netsh.syntax")
    handler = {
        ("show", "dynamicportrange"): _show_dynamic,
        ("set", "dynamicportrange"): _set_dynamic,
        ("show", "excludedportrange"): _show_excluded,
        ("add", "excludedportrange"): _add_excluded,
        ("delete", "excludedportrange"): _delete_excluded,
    }[(verb, obj)]
    return handler(run, ip_version, params)


def _resolve_words(run: Run, args: list[str]) -> tuple[int, str, str]:
    """``int ipv4 show dynamicport`` → (4, "show", "dynamicportrange"); NotFound or Unsupported otherwise."""
    top = resolve(args[0], TOP)
    if top != "interface":
        raise Unsupported(f"the netsh '{top}' context is not modelled")
    if len(args) < 2:
        raise Unsupported("entering the netsh interface context is not modelled")
    context = resolve(args[1], INTERFACE)
    if run.model.os.legacy:
        # Server 2003 has no ipv4/ipv6 contexts with these commands (docs/windows-facts.md §14.1); its own `interface ip` is not modelled.
        if context in ("ipv4", "ipv6"):
            raise NotFound(args[1])
        raise Unsupported(f"netsh interface {context} on Server 2003 is not modelled")
    if context == "ip":   # `interface ip` is Vista+'s alias of `interface ipv4`
        context = "ipv4"
    if context not in ("ipv4", "ipv6"):
        raise Unsupported(f"netsh interface {context} is not modelled")
    if len(args) < 4:
        raise Unsupported("netsh context help / interactive mode is not modelled")
    verb = resolve(args[2], IP_VERBS)
    if verb not in OBJECTS:
        raise Unsupported(f"netsh interface {context} {verb} is not modelled")
    obj = resolve(args[3], OBJECTS[verb])
    if (verb, obj) not in SIGNATURES:
        raise Unsupported(f"netsh interface {context} {verb} {obj} is not modelled")
    return (4 if context == "ipv4" else 6), verb, obj


def _numbers(params: dict[str, str]) -> tuple[int, int] | None:
    start = parse_port_number(params["startport"])
    count = parse_port_number(params["numberofports"])
    if start is None or count is None:
        return None
    return start, count


def _show_dynamic(run: Run, ip_version: int, params: dict[str, str]) -> CommandResult:
    # `show` reads the active store unless asked otherwise [INF]; the ipv6 text is the same as ipv4 [OBS-M]. The label
    # padding depends on the build (OsProfile.dynamicport_text: docs/windows-facts.md §1.2 or the wider layout of microsoft/WSL#40984).
    rng = run.model.dynamic_range(ip_version, params["protocol"], params.get("store", "active"))
    return run.output(run.text(run.model.os.dynamicport_text, proto=params["protocol"], start=rng.start, count=rng.count))


def _set_dynamic(run: Run, ip_version: int, params: dict[str, str]) -> CommandResult:
    if not run.model.elevated:
        return run.message("netsh.elevation")
    numbers = _numbers(params)
    if numbers is None or numbers[0] < MIN_START or numbers[1] < MIN_COUNT or numbers[0] + numbers[1] > PORT_LIMIT:
        return run.message("netsh.parameter_incorrect")
    ok = run.message("netsh.ok")
    run.model.set_dynamic_range(ip_version, params["protocol"], numbers[0], numbers[1], params.get("store", "persistent"))
    run.wrote = True
    return ok


def _show_excluded(run: Run, ip_version: int, params: dict[str, str]) -> CommandResult:
    proto = params["protocol"]
    parts = [run.text("netsh.excluded.header", proto=proto)]
    for row in run.model.exclusion_rows(ip_version, proto, params.get("store", "active")):
        parts.append(run.text("netsh.excluded.row", start=row.start, end=row.end, flag="*" if row.administered else " "))
    parts.append(run.text("netsh.excluded.footer"))
    return run.output("".join(parts))


def _checked_range(run: Run, params: dict[str, str]) -> tuple[int, int] | CommandResult:
    if not run.model.elevated:
        return run.message("netsh.elevation")
    numbers = _numbers(params)
    # Any real port run is accepted (1..65535) [INF]; netsh's own limits for exclusions are not documented.
    if numbers is None or numbers[0] < 1 or numbers[1] < 1 or numbers[0] + numbers[1] > PORT_LIMIT:
        return run.message("netsh.parameter_incorrect")
    return numbers


def _add_excluded(run: Run, ip_version: int, params: dict[str, str]) -> CommandResult:
    checked = _checked_range(run, params)
    if isinstance(checked, CommandResult):
        return checked
    ok, in_use = run.message("netsh.ok"), run.message("netsh.in_use")
    outcome = run.model.add_exclusion(ip_version, params["protocol"], checked[0], checked[1], params.get("store", "persistent"))
    if outcome != "ok":
        return in_use
    run.wrote = True
    return ok


def _delete_excluded(run: Run, ip_version: int, params: dict[str, str]) -> CommandResult:
    checked = _checked_range(run, params)
    if isinstance(checked, CommandResult):
        return checked
    replies = {
        "ok": run.message("netsh.ok"),
        "access_denied": run.message("netsh.access_denied"),
        "not_found": run.message("netsh.element_not_found"),
    }
    outcome = run.model.delete_exclusion(ip_version, params["protocol"], checked[0], checked[1])
    run.wrote = outcome == "ok"
    return replies[outcome]
