# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cmdlets of the subset: Write-Output, Write-Host, Set-StrictMode, Get-Variable, Out-Null.

Parameter binding follows PowerShell's rules as far as these cmdlets need: named parameters by unambiguous
prefix (`-Vers`), `-Name:value`, switches, positional values, and the `-ErrorAction` / `-ea` common parameter.
Anything else is a ParameterBindingException like PowerShell's, or SIMULATOR-UNSUPPORTED for features
(like -Scope) that the subset does not model.
"""

from __future__ import annotations

import dataclasses

from .ps_ast import BareWord, CommandCall
from .ps_errors import ErrorRecord, SourcePosition
from .ps_output import PSVariableObject, RuntimeUnsupported
from .ps_values import StatementAborted, to_text

_ACTIONS = ("SilentlyContinue", "Stop", "Continue", "Ignore", "Inquire", "Suspend")


@dataclasses.dataclass(frozen=True)
class CmdletSpec:
    """Parameters of one cmdlet: value parameters (first is positional, taking remaining values) and switches."""

    class_name: str
    values: tuple
    switches: tuple
    positional: str | None


SPECS = {
    "Write-Output": CmdletSpec("WriteOutputCommand", ("InputObject",), ("NoEnumerate",), "InputObject"),
    "Write-Host": CmdletSpec("WriteHostCommand", ("Object", "Separator"), ("NoNewline",), "Object"),
    "Set-StrictMode": CmdletSpec("SetStrictModeCommand", ("Version",), ("Off",), None),
    "Get-Variable": CmdletSpec("GetVariableCommand", ("Name", "Scope"), ("ValueOnly",), "Name"),
    "Out-Null": CmdletSpec("OutNullCommand", ("InputObject",), (), None),
}
_COMMON_VALUES = ("ErrorAction", "WarningAction", "InformationAction", "ErrorVariable", "OutVariable")
_COMMON_ALIASES = {"ea": "ErrorAction", "wa": "WarningAction", "ev": "ErrorVariable", "ov": "OutVariable"}
# Strict mode versions 5.1 accepts: any version not above its own [INF]; Latest means 3.0 there.
_STRICT_VERSIONS = {"latest": 3.0, "1": 1.0, "1.0": 1.0, "2": 2.0, "2.0": 2.0, "3": 3.0, "3.0": 3.0, "4": 4.0,
                    "4.0": 4.0, "5": 5.0, "5.0": 5.0, "5.1": 5.1}


class _BindingError(Exception):
    def __init__(self, record: ErrorRecord):
        super().__init__(record.message)
        self.record = record


def bind(interp, call: CommandCall, errors) -> dict:
    """Bind arguments to parameter names; values are evaluated PowerShell values."""
    spec = SPECS[call.cmdlet]
    names = list(spec.values) + list(spec.switches) + list(_COMMON_VALUES)
    bound: dict = {}
    positional: list = []
    args = list(call.arguments)
    index = 0
    while index < len(args):
        node = args[index]
        index += 1
        if isinstance(node, BareWord) and node.is_parameter:
            raw = node.text[1:]
            inline_value = None
            if ":" in raw:
                raw, inline_value = raw.split(":", 1)
            name = _resolve(call, raw, names, node, interp)
            if name in spec.switches:
                bound[name] = True if inline_value is None else inline_value.lower() not in ("$false", "false", "0")
                continue
            if inline_value is not None:
                bound[name] = inline_value
                continue
            if index >= len(args):
                raise _error_at(interp, call, node, f"Missing an argument for parameter '{name}'. Specify a parameter "
                                f"of type '{_type_of(name)}' and try again.", "MissingArgument")
            bound[name] = _value(interp, args[index], errors)
            index += 1
            continue
        positional.append((node, _value(interp, node, errors)))
    if positional:
        if spec.positional is None:
            node, value = positional[0]
            raise _error_at(interp, call, node, f"A positional parameter cannot be found that accepts argument "
                            f"'{value}'.", "PositionalParameterNotFound")
        values = [value for _node, value in positional]
        bound[spec.positional] = values[0] if len(values) == 1 else values
    return bound


def _type_of(name: str) -> str:
    return {"Version": "System.Version", "Name": "System.String[]", "ErrorAction": "System.Management.Automation."
            "ActionPreference"}.get(name, "System.Object")


def _resolve(call: CommandCall, raw: str, names: list, node, interp) -> str:
    lowered = raw.lower()
    if lowered in _COMMON_ALIASES:
        return _COMMON_ALIASES[lowered]
    exact = [name for name in names if name.lower() == lowered]
    if exact:
        return exact[0]
    matches = [name for name in names if name.lower().startswith(lowered)] if lowered else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise _error_at(interp, call, node, f"Parameter cannot be processed because the parameter name '{raw}' is "
                        f"ambiguous. Possible matches include: -{' -'.join(matches)}.", "AmbiguousParameter")
    raise _error_at(interp, call, node, f"A parameter cannot be found that matches parameter name '{raw}'.",
                    "NamedParameterNotFound")


def _error_at(interp, call: CommandCall, node, message: str, error_id: str) -> _BindingError:
    spec = SPECS[call.cmdlet]
    return _BindingError(ErrorRecord(
        message=message,
        error_id=f"{error_id},Microsoft.PowerShell.Commands.{spec.class_name}",
        category="InvalidArgument",
        reason="ParameterBindingException",
        activity=call.cmdlet,
        prefix=call.name,
        position=SourcePosition(interp.text, node.start, node.end),
    ))


def _value(interp, node, errors):
    if isinstance(node, BareWord):
        return node.text
    return interp.evaluate(node, errors)


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def run_cmdlet(interp, call: CommandCall, sink, errors) -> None:
    """Run one implemented cmdlet; sets $? like PowerShell (false when it wrote an error)."""
    try:
        bound = bind(interp, call, errors)
    except _BindingError as failure:
        interp.report(failure.record, errors, None)
        raise StatementAborted() from None
    override = bound.pop("ErrorAction", None)
    if override is not None:
        override = _action(override)
    for unsupported in ("WarningAction", "InformationAction", "ErrorVariable", "OutVariable", "Scope", "Separator"):
        if unsupported in bound:
            raise RuntimeUnsupported(f"parameter -{unsupported} of {call.cmdlet}")
    interp.success = True
    handler = _HANDLERS[call.cmdlet]
    handler(interp, call, bound, sink, errors, override)


def _action(value) -> str:
    text = str(value)
    for action in _ACTIONS:
        if action.lower() == text.lower():
            return action
    raise RuntimeUnsupported(f"-ErrorAction value {text!r}")


def _write_output(interp, call, bound, sink, errors, override) -> None:
    del interp, call, errors, override
    value = bound.get("InputObject")
    if bound.get("NoEnumerate") and isinstance(value, list):
        raise RuntimeUnsupported("Write-Output -NoEnumerate of an array")
    for item in _as_list(value):
        sink.emit(item)


def _write_host(interp, call, bound, sink, errors, override) -> None:
    # Write-Host goes to the host (stdout), not to the pipeline: `$x = Write-Host hi` still prints.
    # [INF] 5.1 also serializes an InformationRecord into the CLIXML stderr (seen in a non-WinRM capture);
    # that record is not modelled.
    del call, sink, errors, override
    text = " ".join(to_text(item) for item in _as_list(bound.get("Object")))
    interp.output.write_text(text if bound.get("NoNewline") else text + "\r\n")


def _set_strict_mode(interp, call, bound, sink, errors, override) -> None:
    del sink
    if bound.get("Off"):
        if "Version" in bound:
            raise RuntimeUnsupported("Set-StrictMode with both -Off and -Version")
        interp.strict_version = 0.0
        return
    if "Version" not in bound:
        raise RuntimeUnsupported("Set-StrictMode without -Version or -Off (prompts for input)")
    version = _STRICT_VERSIONS.get(str(bound["Version"]).strip().lower())
    if version is None:
        record = ErrorRecord(
            message=f"Cannot validate argument on parameter 'Version'. The {bound['Version']} version is not valid.",
            error_id="ParameterArgumentValidationError,Microsoft.PowerShell.Commands.SetStrictModeCommand",
            category="InvalidData", reason="ParameterBindingValidationException", activity="Set-StrictMode",
            prefix=call.name, position=SourcePosition(interp.text, call.start, call.end))
        interp.report(record, errors, override)
        return
    interp.strict_version = version


def _get_variable(interp, call, bound, sink, errors, override) -> None:
    names = [str(name) for name in _as_list(bound.get("Name"))]
    if not names:
        raise RuntimeUnsupported("Get-Variable without -Name (lists every variable)")
    for name in names:
        if any(ch in name for ch in "*?["):
            raise RuntimeUnsupported(f"Get-Variable with a wildcard name {name!r}")
        if interp.is_defined(name):
            value = interp.lookup(name)
            sink.emit(value if bound.get("ValueOnly") else PSVariableObject(name, value))
            continue
        record = ErrorRecord(
            message=f"Cannot find a variable with the name '{name}'.",
            error_id="VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand",
            category="ObjectNotFound", reason="ItemNotFoundException", target_name=name, target_type="String",
            activity="Get-Variable", prefix=call.name, position=SourcePosition(interp.text, call.start, call.end))
        interp.report(record, errors, override)


def _out_null(interp, call, bound, sink, errors, override) -> None:
    del interp, call, bound, sink, errors, override


_HANDLERS = {
    "Write-Output": _write_output,
    "Write-Host": _write_host,
    "Set-StrictMode": _set_strict_mode,
    "Get-Variable": _get_variable,
    "Out-Null": _out_null,
}
