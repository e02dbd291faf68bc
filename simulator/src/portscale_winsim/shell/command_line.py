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
from . import module_pipeline, probe_script, stdin_script, win_reboot
from .cmd_line import find_cmd_operator, run_cmd_line, split_command_line
from .codepages import encode_text
from .powershell_cli import is_powershell, parse_invocation
from .ps_errors import SourcePosition, parser_error
from .ps_errors import line_and_column
from .ps_eval import Interpreter
from .ps_output import ProcessOutput, RuntimeUnsupported
from .ps_parser import PsSyntaxError, PsUnsupported, parse_script

#: CreateProcess's longest command line [DOC: Microsoft, CreateProcessW: "The maximum length of this string is 32,767
#: characters"]; a powershell.exe started by a script gets its line this way, not through cmd.exe.
CREATE_PROCESS_MAX_LINE = 32767

# Ansible's module pipeline (ansible-core's bootstrap wrapper, or `-Command -` with a script on stdin) is refused in one
# line naming the module and what to do instead (module_pipeline.py).
MODULE_PIPELINE_MESSAGE = module_pipeline.MODULE_PIPELINE_MESSAGE


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
                     hooks: ShellHooks | None = None, through_cmd: bool = True) -> CommandResult:
    """Run one command the way `cmd.exe /c <command> <arguments>` would on the simulated host.

    ``through_cmd=False``: the line goes straight to CreateProcess instead (sshd with PowerShell as its default shell
    starts ``powershell.exe -c <exec string>`` that way): no cmd.exe parsing, and a limit of 32,767 characters.
    """
    model.counters["commands_run"] = model.counters.get("commands_run", 0) + 1
    hooks = hooks or default_hooks()
    line = f"{command} {arguments}" if arguments else command
    if len(line) > (stdin_script.CMD_MAX_LINE if through_cmd else CREATE_PROCESS_MAX_LINE):
        refused = log_of(model)
        if refused is not None:  # received all the same (cmd.exe refuses it before running anything)
            refused.begin("cmd" if through_cmd else "process", line, stdin)
            refused.end()
        if through_cmd:
            return CommandResult(b"", encode_text(stdin_script.TOO_LONG, codepage), stdin_script.TOO_LONG_EXIT)
        return _failure(f"SIMULATOR-UNSUPPORTED: a process command line of more than {CREATE_PROCESS_MAX_LINE} characters\r\n", codepage)
    argv = split_command_line(line)
    powershell = bool(argv) and is_powershell(argv[0])
    # The host's side of the wire contract, for security tests: the entry stays open while the command runs, so
    # natives.run_native adds the argv of every program it starts to it.
    received = log_of(model)
    if received is not None:
        received.begin("powershell" if powershell else "cmd" if through_cmd else "process", line, stdin)
    try:
        if not powershell:
            if through_cmd:
                return run_cmd_line(model, line, codepage, hooks.run_native)
            return hooks.run_native(model, argv, codepage) or _failure(f"SIMULATOR-UNSUPPORTED: program {argv[:1]}\r\n", codepage)
        if through_cmd:
            return _run_powershell(model, line, argv, stdin, codepage, hooks)
        return _run_powershell_process(model, argv, stdin, codepage, hooks, top_level=True)
    finally:
        if received is not None:
            received.end()


def _run_powershell(model, line: str, argv: list[str], stdin: bytes, codepage: int,  # pylint: disable=too-many-arguments
                    hooks: ShellHooks) -> CommandResult:
    """A powershell.exe command line: its -EncodedCommand / -Command script, or the error powershell.exe prints."""
    operator = find_cmd_operator(line)
    if operator is not None:
        return _failure(f"SIMULATOR-UNSUPPORTED: cmd.exe operator {operator!r} in command line {line!r}\r\n", codepage)
    return _run_powershell_process(model, argv, stdin, codepage, hooks, top_level=True)


def _run_powershell_process(model, argv: list[str], stdin: bytes, codepage: int,  # pylint: disable=too-many-arguments
                            hooks: ShellHooks, top_level: bool) -> CommandResult:
    """powershell.exe started with ``argv``: decode what it was asked to run and run it, stdin as its input."""
    invocation = parse_invocation(argv[1:])
    if invocation.from_stdin:
        return module_pipeline.refusal("stdin_command", stdin, codepage)
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
        stdin = b""
    # Other -EncodedCommand scripts do not read stdin themselves (the interpreter has no $input; `-Command -` is
    # refused above), but a powershell.exe they start inherits it.
    received = log_of(model)
    if received is not None and top_level:
        received.script(script)
    return run_script(model, script, codepage, hooks, stdin)


class _ChildPrograms:  # pylint: disable=too-few-public-methods
    """The programs a script starts: the natives layer's, and powershell.exe itself.

    ansible-core before 2.19 hands winrm (and 2.16-2.17 ssh) an already encoded ``PowerShell ... -EncodedCommand``
    line as if it were a script and encodes it once more, so the host's powershell.exe runs a second powershell.exe
    (ansible.windows' win_reboot commands, ansible-core's own module bootstrap). The child is started with
    CreateProcess, not through cmd.exe: its line may hold up to 32,767 characters [DOC: CreateProcessW,
    lpCommandLine]. A console program started with no pipeline input inherits the parent's stdin [INF: this is how
    the double-encoded bootstrap wrapper of ansible-core 2.16-2.18 reads its exec wrapper with ``$input``], so the
    first child gets what the host's powershell.exe was sent on stdin, later ones nothing.
    """

    def __init__(self, hooks: ShellHooks, stdin: bytes) -> None:
        self.hooks = hooks
        self.stdin = stdin

    def run(self, model, argv: list[str], codepage: int) -> CommandResult | None:
        if not argv or not is_powershell(argv[0]):
            return self.hooks.run_native(model, argv, codepage)
        received = log_of(model)
        if received is not None:
            received.native(argv)
        if len(" ".join(argv)) > CREATE_PROCESS_MAX_LINE:
            # [INF] PowerShell's text when CreateProcess refuses the line ("The filename or extension is too long").
            return _failure(f"SIMULATOR-UNSUPPORTED: a powershell.exe command line of more than {CREATE_PROCESS_MAX_LINE} "
                            "characters\r\n", codepage)
        stdin, self.stdin = self.stdin, b""
        return _run_powershell_process(model, argv, stdin, codepage, self.hooks, top_level=False)


def run_script(model, script: str, codepage: int, hooks: ShellHooks, stdin: bytes = b"") -> CommandResult:
    """A decoded PowerShell script: the probe contract, win_reboot's scripts, or the subset interpreter.

    ``stdin`` is what the powershell.exe running it was sent and did not read; a powershell.exe it starts inherits it.
    """
    if hooks.probe_header and probe_script.is_probe(script, hooks.probe_header):
        return _run_probe(model, script, codepage, hooks)
    emulated = win_reboot.emulate(model, script, codepage, hooks.run_native)
    if emulated is not None:
        return emulated
    if module_pipeline.is_bootstrap_wrapper(script):
        return module_pipeline.refusal("bootstrap", stdin, codepage)
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
    interpreter = Interpreter(model, script, codepage, _ChildPrograms(hooks, stdin).run)
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
