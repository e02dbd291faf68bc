# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entry point of the shell layer: one WS-Man Command (rsp:Command + rsp:Arguments) -> one CommandResult."""

from __future__ import annotations

import dataclasses
import importlib
import json
from typing import Callable

from ..command_log import log_of
from ..results import CommandResult
from . import probe_script, stdin_script, win_reboot
from .cmd_line import find_cmd_operator, run_cmd_line, split_command_line
from .codepages import encode_text
from .powershell_cli import is_powershell, parse_invocation
from .ps_errors import SourcePosition, parser_error
from .ps_errors import line_and_column
from .ps_eval import Interpreter
from .ps_output import ProcessOutput, RuntimeUnsupported
from .ps_parser import PsSyntaxError, PsUnsupported, parse_script

# Ansible's module pipeline (`PowerShell ... -Command -` with the exec wrapper on stdin) is not emulated.
MODULE_PIPELINE_MESSAGE = ("SIMULATOR-UNSUPPORTED: 'PowerShell -Command -' (a PowerShell module or exec wrapper sent "
                           "on stdin). The simulated host has no PowerShell module support; use action plugins "
                           "that send -EncodedCommand scripts, or gather_facts: false.\r\n")


@dataclasses.dataclass(frozen=True)
class ShellHooks:
    """The layers the shell calls into; tests pass fakes, run_command_line defaults to the real modules."""

    run_native: Callable
    run_probe: Callable | None = None
    probe_header: str | None = None
    params_variable: str | None = None
    result_marker: str | None = None
    probe_errors: tuple = ()
    # The probe module's own whole-script runner (fault injection, its error texts); preferred when present.
    run_probe_script: Callable | None = None


def default_hooks() -> ShellHooks:
    """Hooks bound to the simulator's own `natives` and `probe` modules (imported on first use)."""
    package = __name__.rsplit(".", 2)[0]
    natives = importlib.import_module(package + ".natives")
    probe = importlib.import_module(package + ".probe")
    errors = tuple(value for name, value in vars(probe).items()
                   if isinstance(value, type) and issubclass(value, Exception) and name.endswith("Error"))
    return ShellHooks(run_native=natives.run_native, run_probe=probe.run_probe, probe_header=probe.PROBE_HEADER,
                      params_variable=probe.PARAMS_VARIABLE, result_marker=probe.RESULT_MARKER, probe_errors=errors,
                      run_probe_script=getattr(probe, "run_probe_script", None))


def _failure(message: str, codepage: int) -> CommandResult:
    return CommandResult(b"", encode_text(message, codepage), 1)


def run_command_line(model, command: str, arguments: str, stdin: bytes, codepage: int,  # pylint: disable=too-many-arguments
                     hooks: ShellHooks | None = None) -> CommandResult:
    """Run one command the way `cmd.exe /c <command> <arguments>` would on the simulated host."""
    model.counters["commands_run"] = model.counters.get("commands_run", 0) + 1
    hooks = hooks or default_hooks()
    line = f"{command} {arguments}" if arguments else command
    if len(line) > stdin_script.CMD_MAX_LINE:
        refused = log_of(model)
        if refused is not None:  # received all the same (cmd.exe refuses it before running anything)
            refused.begin("cmd", line, stdin)
            refused.end()
        return CommandResult(b"", encode_text(stdin_script.TOO_LONG, codepage), stdin_script.TOO_LONG_EXIT)
    argv = split_command_line(line)
    powershell = bool(argv) and is_powershell(argv[0])
    # The host's side of the wire contract, for security tests: the entry stays open while the command runs, so
    # natives.run_native adds the argv of every program it starts to it.
    received = log_of(model)
    if received is not None:
        received.begin("powershell" if powershell else "cmd", line, stdin)
    try:
        if not powershell:
            return run_cmd_line(model, line, codepage, hooks.run_native)
        return _run_powershell(model, line, argv, stdin, codepage, hooks)
    finally:
        if received is not None:
            received.end()


def _run_powershell(model, line: str, argv: list[str], stdin: bytes, codepage: int,  # pylint: disable=too-many-arguments
                    hooks: ShellHooks) -> CommandResult:
    """A powershell.exe command line: its -EncodedCommand / -Command script, or the error powershell.exe prints."""
    operator = find_cmd_operator(line)
    if operator is not None:
        return _failure(f"SIMULATOR-UNSUPPORTED: cmd.exe operator {operator!r} in command line {line!r}\r\n", codepage)
    invocation = parse_invocation(argv[1:])
    if invocation.from_stdin:
        return _failure(MODULE_PIPELINE_MESSAGE, codepage)
    if invocation.unsupported:
        return _failure(f"SIMULATOR-UNSUPPORTED: {invocation.unsupported}\r\n", codepage)
    if invocation.error:
        return _failure(invocation.error + "\r\n", codepage)
    script = invocation.script or ""
    if stdin_script.is_loader(script):
        try:
            script = stdin_script.script_from_stdin(stdin)
        except stdin_script.StdinScriptError as err:
            return _failure(f"SIMULATOR-UNSUPPORTED: {err}\r\n", codepage)
    # Other -EncodedCommand scripts do not read stdin (the interpreter has no $input); `-Command -` is refused above.
    received = log_of(model)
    if received is not None:
        received.script(script)
    return run_script(model, script, codepage, hooks)


def run_script(model, script: str, codepage: int, hooks: ShellHooks) -> CommandResult:
    """A decoded PowerShell script: the probe contract, win_reboot's scripts, or the subset interpreter."""
    if hooks.probe_header and probe_script.is_probe(script, hooks.probe_header):
        return _run_probe(model, script, codepage, hooks)
    emulated = win_reboot.emulate(model, script, codepage, hooks.run_native)
    if emulated is not None:
        return emulated
    output = ProcessOutput(codepage)
    try:
        parsed = parse_script(script)
    except PsSyntaxError as err:
        position = SourcePosition(script, err.offset, err.offset + err.length)
        output.write_error_record(parser_error(err.error_id, err.message, position))
        stdout, stderr = output.finish()
        return CommandResult(stdout, stderr, 1)
    except PsUnsupported as err:
        line_no, column, _line = line_and_column(script, err.offset)
        return _failure(f"SIMULATOR-UNSUPPORTED: {err.construct} at line {line_no} char {column}\r\n", codepage)
    interpreter = Interpreter(model, script, codepage, hooks.run_native)
    try:
        exit_code = interpreter.run(parsed.statements)
    except RuntimeUnsupported as err:
        interpreter.output.write_stderr_bytes(encode_text(f"SIMULATOR-UNSUPPORTED: {err}\r\n", codepage))
        exit_code = 1
    stdout, stderr = interpreter.output.finish()
    return CommandResult(stdout, stderr, exit_code)


def _run_probe(model, script: str, codepage: int, hooks: ShellHooks) -> CommandResult:
    if hooks.run_probe_script is not None:
        return hooks.run_probe_script(model, script, codepage)
    try:
        params = probe_script.probe_parameters(script, hooks.params_variable or "")
    except probe_script.ProbeScriptError as err:
        return _failure(f"SIMULATOR-PROBE: {err}\r\n", codepage)
    try:
        result = hooks.run_probe(model, params)
    except hooks.probe_errors as err:  # pylint: disable=catching-non-exception
        return _failure(f"SIMULATOR-PROBE: {err}\r\n", codepage)
    text = (hooks.result_marker or "") + json.dumps(result, separators=(",", ":")) + "\r\n"
    return CommandResult(encode_text(text, codepage), b"", 0)
