# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A script run as the one command of a PSRP pipeline (``PowerShell.AddScript``) in a remote runspace.

The same subset interpreter as ``powershell.exe -EncodedCommand`` (ps_eval.Interpreter), with the runspace's output
model instead of a process's two byte streams (ps_output.ProcessOutput). ``RunspaceOutput`` is that model; the
PSRP layer (``portscale_winsim.psrp``) turns its ordered events into messages. What differs from powershell.exe:

* No console and no process stdout. A statement's success output is a list of *objects* (strings, ints, bools, and
  error records merged by ``2>&1``), each one PIPELINE_OUTPUT message [DOC: MS-PSRP 2.2.2.24; the strings of a real
  5.1 host: ``<S>before</S>`` in pypsrp's recorded ``test_psrp_error_failed.yml``]. There is no Out-Default
  formatting: an int stays an int.
* A native program's stdout is always read by PowerShell, line by line (StreamReader.ReadLine), into one string per
  line, decoded with the host's OEM code page: a runspace has no console for the program to inherit, so nothing is
  passed through byte for byte [INF; ansible-core's ``win_raw`` CI test expects ``stdout_lines[0] == 'wwe=raw'`` over
  psrp, and its psrp plugin joins the output objects with CRLF].
* A native program's stderr is always read too (no console): each line becomes an ErrorRecord (RemoteException,
  FullyQualifiedErrorId NativeCommandError, then NativeCommandErrorMessage for later lines) on the error stream, or
  in the output stream under ``2>&1`` [DOC: PowerShell/PowerShell#23950, "ServerRemoteHost ... route stderr lines
  from external (native) programs via PowerShell's error stream"; the per-line shape: ansible-core 2.21
  ``plugins/connection/psrp.py`` ``_parse_pipeline_result`` and its CI test ``connection_psrp/tests.yml`` (three
  ``WriteErrorLine`` calls of a child powershell.exe come back as ``stderr 1\\r\\nstderr 2\\r\\nstderr 3\\r\\n``)]. On
  5.1 builds before Server 2019 the records after the first carry raw stderr blocks of up to 4096 characters with
  an empty target instead (the same psrp.py comment); ``stderr_records`` models both.
* Errors go to the pipeline's error stream (ERROR_RECORD, MS-PSRP 2.2.2.20). A script-terminating error (``-ErrorAction
  Stop``, ``$ErrorActionPreference = 'Stop'``) ends the pipeline in state Failed with that error as its reason and
  does *not* also appear on the error stream [OBS-H: pypsrp ``test_psrp_error_failed.yml``, recorded from Windows:
  ``Write-Output before; Write-Error error`` under Stop gives one PIPELINE_OUTPUT and PIPELINE_STATE 5 with the
  record as ExceptionAsErrorRecord].
* ``Write-Host`` writes an InformationRecord tagged PSHOST (the information stream) and then calls the client's host
  UI: ``WriteLine(string)`` (WriteLine2), or ``Write(string)`` (Write1) with ``-NoNewline`` [DOC: PowerShell's
  WriteHostCommand and MshCommandRuntime.WriteInformation; no colours: a client without a RawUI makes the colour
  lookup throw a HostException that Write-Host swallows]. pypsrp's PSHostUserInterface collects these calls in
  ``host.ui.stdout``, which ansible-core's psrp plugin appends to stdout.
* ``exit N`` ends the script and calls the host's ``SetShouldExit(N)`` (LocalPipeline.InvokeHelper catches the
  ExitException and calls ``Host.SetShouldExit``); the pipeline still ends Completed. That is how ansible-core's psrp
  plugin learns rc [OBS-H order: pypsrp ``test_psrp_pshost_methods.yml``: output, the SetShouldExit host call, then
  PIPELINE_STATE 4].
* ``[Console]::Out.Write(...)`` reaches neither the pipeline nor the host UI (PowerShell/PowerShell#20054). The
  subset refuses ``[Console]`` anyway; the probe's ``[Console]::Out`` emission form is recognised and dropped here.
* Variables live in the runspace: a script added with ``useLocalScope`` false (pypsrp's default) runs in the global
  scope and what it sets is there for the next pipeline of the pool; one with ``useLocalScope`` true (ansible-core)
  gets a scope of its own and sees the global variables [DOC: PowerShell.AddScript(String, Boolean)].

Scripts the shell layer recognises instead of interpreting run here too: the portscale.tcpip stdin loader (its
``$input`` is the pipeline input), the probe (probe.run_probe_in_runspace) and ansible.windows' win_reboot scripts
(win_reboot.emulate, whose stdout lines become output strings [INF: its real scripts write with Write-Output and
ConvertTo-Json]). A script the subset cannot run fails the pipeline: state Failed with a ParseException record for a
syntax error, or a ``SIMULATOR-UNSUPPORTED: ...`` record (nothing run) for valid PowerShell outside the subset.
"""

from __future__ import annotations

import dataclasses
import importlib
import typing as t

from ..command_log import log_of
from ..results import CommandResult
from . import probe_script, stdin_script, win_reboot
from .codepages import decode_text
from .command_line import ShellHooks, _ChildPrograms, default_hooks  # pylint: disable=protected-access
from .ps_catalog import PREFERENCE_VARIABLES
from .ps_errors import ErrorRecord, SourcePosition, line_and_column
from .ps_eval import Interpreter
from .ps_output import PSVariableObject, RuntimeUnsupported
from .ps_parser import PsSyntaxError, PsUnsupported, parse_script
from .ps_values import ScriptExit, ScriptTerminated, split_lines

COMPLETED = "Completed"
FAILED = "Failed"

#: Event kinds of a RunspaceResult, in the order the script produced them.
OUTPUT = "output"            # payload: str | int | bool | ErrorRecord (merged by 2>&1)
ERROR = "error"              # payload: ErrorRecord
HOST = "host"                # payload: HostCall
INFORMATION = "information"  # payload: HostMessage (Write-Host's InformationRecord)

#: FullyQualifiedErrorId of every failure the simulator itself reports, and the prefix of its text.
UNSUPPORTED_ID = "SimulatorUnsupported"
UNSUPPORTED_PREFIX = "SIMULATOR-UNSUPPORTED:"
#: 5.1 before Server 2019 reads a native program's stderr in blocks of this many characters (see the module docstring).
STDERR_BLOCK = 4096
#: The first Windows build whose 5.1 sends one stderr line per record (Server 2019, 17763) [INF: ansible-core's
#: comment names only Server 2016 as the exception].
LINE_RECORDS_BUILD = 17763


@dataclasses.dataclass(frozen=True)
class HostCall:
    """A call on the client's PSHost: ``method`` is the MS-PSRP 2.2.3.17 HostMethodIdentifier name."""

    method: str
    arguments: tuple


@dataclasses.dataclass(frozen=True)
class HostMessage:
    """What Write-Host put on the information stream (a HostInformationMessage tagged PSHOST)."""

    message: str
    no_newline: bool


@dataclasses.dataclass
class RunspaceState:
    """The global scope of one runspace (a PSRP pool with one runspace): what the next pipeline sees."""

    variables: dict[str, object] = dataclasses.field(default_factory=dict)
    preferences: dict[str, str] = dataclasses.field(default_factory=lambda: {name: spec[0] for name, spec in PREFERENCE_VARIABLES.items()})
    strict_version: float = 0.0


@dataclasses.dataclass
class RunspaceResult:
    """What one pipeline produced: ordered events, its final state and, when Failed, the reason."""

    events: list[tuple[str, t.Any]] = dataclasses.field(default_factory=list)
    state: str = COMPLETED
    failure: ErrorRecord | None = None
    script: str = ""          # the script the records' positions refer to (the loaded one for the stdin loader)

    def of_kind(self, kind: str) -> list:
        return [payload for event_kind, payload in self.events if event_kind == kind]


class RunspaceOutput:
    """The pipeline's streams, with the methods the interpreter calls on ps_output.ProcessOutput."""

    #: A native program's stderr never passes through: PowerShell reads it into error records (see ps_eval.native).
    inherits_stderr = False

    def __init__(self, codepage: int, result: RunspaceResult, build: int):
        self.codepage = codepage
        self.result = result
        self.build = build

    def write_stdout_bytes(self, data: bytes) -> None:
        for line in split_lines(decode_text(data, self.codepage)):
            self.result.events.append((OUTPUT, line))

    def write_stderr_bytes(self, data: bytes) -> None:
        del data
        raise RuntimeUnsupported("raw stderr bytes in a runspace (PowerShell would read them into error records)")

    def write_line(self, text: str) -> None:
        self.result.events.append((OUTPUT, text))

    def write_text(self, text: str) -> None:
        """Write-Host: ps_cmdlets passes the text with CRLF appended unless -NoNewline. [INF] A -NoNewline text that
        itself ends in CRLF is indistinguishable here and is reported as a WriteLine of the text without it."""
        no_newline = not text.endswith("\r\n")
        message = text if no_newline else text[:-2]
        self.result.events.append((INFORMATION, HostMessage(message, no_newline)))
        self.result.events.append((HOST, HostCall("Write1" if no_newline else "WriteLine2", (message,))))

    def write_error_record(self, record: ErrorRecord) -> None:
        self.result.events.append((ERROR, record))

    def stderr_records(self, program: str, text: str, position: SourcePosition) -> list[ErrorRecord]:
        """The records PowerShell makes of a native program's stderr in a runspace (module docstring)."""
        if text.startswith(UNSUPPORTED_PREFIX):
            # A native the simulator does not model (natives.UNSUPPORTED_PREFIX): fail the pipeline, not a stderr line.
            raise RuntimeUnsupported(text.strip())
        lines = split_lines(text)
        if not lines:
            return []
        first = _native_record(program, lines[0], "NativeCommandError", lines[0], position)
        if self.build >= LINE_RECORDS_BUILD:
            return [first] + [_native_record(program, line, "NativeCommandErrorMessage", line, position) for line in lines[1:]]
        rest = text[_after_first_line(text):]
        return [first] + [_native_record(program, rest[i:i + STDERR_BLOCK], "NativeCommandErrorMessage", "", position)
                          for i in range(0, len(rest), STDERR_BLOCK)]

    def finish(self) -> tuple[bytes, bytes]:
        return b"", b""


def _after_first_line(text: str) -> int:
    for index, char in enumerate(text):
        if char == "\n":
            return index + 1
        if char == "\r":
            return index + 2 if text[index + 1:index + 2] == "\n" else index + 1
    return len(text)


def _native_record(program: str, message: str, error_id: str, target: str, position: SourcePosition) -> ErrorRecord:
    return ErrorRecord(message=message, error_id=error_id, category="NotSpecified", reason="RemoteException",
                       target_name=target, target_type="String" if target else "", prefix=program, position=position)


class RunspaceSink:  # pylint: disable=too-few-public-methods
    """A top-level statement's success output: the objects themselves (no Out-Default formatting in a runspace)."""

    passthrough = False

    def __init__(self, output: RunspaceOutput):
        self.output = output

    def emit(self, value) -> None:
        if value is None:
            return
        if isinstance(value, (list, PSVariableObject)):
            # A nested array or a PSVariable would be serialised as a complex object; not modelled.
            raise RuntimeUnsupported(f"writing a {type(value).__name__} object to the pipeline output")
        self.output.result.events.append((OUTPUT, value))


class RunspaceInterpreter(Interpreter):
    """The subset interpreter with a pipeline's streams and the runspace's global scope."""

    def __init__(self, model, script_text: str, codepage: int, run_native, output: RunspaceOutput):  # pylint: disable=too-many-arguments
        super().__init__(model, script_text, codepage, run_native, output=output)

    def run_block(self, statements: list, sink=None) -> None:
        super().run_block(statements, sink or RunspaceSink(self.output))

    def enter(self, state: RunspaceState) -> None:
        self.variables = dict(state.variables)
        self.preferences = dict(state.preferences)
        self.strict_version = state.strict_version

    def leave(self, state: RunspaceState, global_scope: bool) -> None:
        """A global-scope script leaves everything it set; any script leaves $LASTEXITCODE (a global variable)."""
        if global_scope:
            state.variables = dict(self.variables)
            state.preferences = dict(self.preferences)
            state.strict_version = self.strict_version
        elif "lastexitcode" in self.variables:
            state.variables["lastexitcode"] = self.variables["lastexitcode"]

    def run_pipeline_script(self, statements: list) -> None:
        result = self.output.result
        try:
            self.run_block(statements)
        except ScriptExit as done:
            result.events.append((HOST, HostCall("SetShouldExit", (done.code,))))
        except ScriptTerminated:
            # report() wrote the terminating error last; in a runspace it is the pipeline's reason, not a stream record.
            for index in range(len(result.events) - 1, -1, -1):
                if result.events[index][0] == ERROR:
                    result.failure = result.events.pop(index)[1]
                    break
            result.state = FAILED


def unsupported_record(message: str) -> ErrorRecord:
    """The reason of a pipeline the simulator refuses: loud, with the SIMULATOR-UNSUPPORTED prefix."""
    return ErrorRecord(message=message, error_id=UNSUPPORTED_ID, category="NotImplemented", reason="NotSupportedException")


def _unsupported(message: str, script: str = "") -> RunspaceResult:
    return RunspaceResult(state=FAILED, failure=unsupported_record(message), script=script)


def parse_error_record(script: str, error: PsSyntaxError) -> ErrorRecord:
    """A script that does not parse fails the pipeline with a ParseException: its message starts with the position
    (PositionUtilities.VerboseMessage, as in ps_errors.view_text), category ParserError [INF: the reason is the
    exception's own type name, not the ParentContainsErrorRecordException powershell.exe shows]."""
    position = SourcePosition(script, error.offset, error.offset + error.length)
    return ErrorRecord(message=error.message, error_id=error.error_id, category="ParserError", reason="ParseException",
                       position=position, parser_error=True)


def from_command_result(result: CommandResult, codepage: int, script: str) -> RunspaceResult:
    """An emulated script's process-shaped result as a pipeline's: stdout lines become output strings [INF]; the
    simulator's own ``SIMULATOR-...`` refusals fail the pipeline; other stderr lines become error records and a
    non-zero exit code the SetShouldExit call the real script's ``exit`` would make."""
    out = RunspaceResult(events=[(OUTPUT, line) for line in split_lines(decode_text(result.stdout, codepage))], script=script)
    text = decode_text(result.stderr, codepage)
    if text.startswith("SIMULATOR-"):
        out.state = FAILED
        out.failure = unsupported_record(text.rstrip("\r\n"))
        return out
    for line in split_lines(text):
        out.events.append((ERROR, ErrorRecord(message=line, error_id="NativeCommandError", category="NotSpecified",
                                              reason="RemoteException", target_name=line, target_type="String")))
    if result.exit_code:
        out.events.append((HOST, HostCall("SetShouldExit", (result.exit_code,))))
    return out


def _loaded_script(script: str, input_objects: t.Sequence[t.Any]) -> str:
    """``$input | Out-String`` over the pipeline input: each string object followed by a newline [INF: Out-String
    writes one line per string]. ansible-core 2.16-2.18 send the whole text as one string, 2.19+ one per line."""
    if not stdin_script.is_loader(script):
        raise RuntimeUnsupported("pipeline input to a script other than the portscale.tcpip stdin loader ($input is not modelled)")
    if not all(isinstance(obj, str) for obj in input_objects):
        raise RuntimeUnsupported("pipeline input objects that are not strings")
    text = "".join(obj + "\r\n" for obj in input_objects)
    if len(text) > stdin_script.MAX_SCRIPT_BYTES:
        raise RuntimeUnsupported(f"pipeline input of {len(text)} characters (the simulator reads at most {stdin_script.MAX_SCRIPT_BYTES})")
    if not text.strip():
        raise RuntimeUnsupported("the stdin loader ran with no pipeline input")
    return text


def run_runspace_script(model, script: str, state: RunspaceState | None = None, *,  # pylint: disable=too-many-arguments
                        input_objects: t.Sequence[t.Any] = (), local_scope: bool = False, hooks: ShellHooks | None = None,
                        codepage: int | None = None) -> RunspaceResult:
    """Run ``script`` as the one command of a PSRP pipeline, ``input_objects`` as its pipeline input.

    Counts one command in ``model.counters["commands_run"]`` (and one in ``psrp_pipelines``) and logs one command-log entry of kind ``psrp`` (the
    script as its line, the input as its stdin), like ``run_command_line`` does for a WinRS command. ``codepage``
    defaults to the host's OEM code page (natives write, and PowerShell reads, with it when there is no console).
    """
    model.counters["commands_run"] = model.counters.get("commands_run", 0) + 1
    # Which connection reached the host: tests over inventory.psrp check that PSRP really carried their tasks.
    model.counters["psrp_pipelines"] = model.counters.get("psrp_pipelines", 0) + 1
    hooks = hooks or default_hooks()
    codepage = codepage or int(getattr(model, "oem_codepage", 437) or 437)
    state = state if state is not None else RunspaceState()
    received = log_of(model)
    if received is not None:
        received.begin("psrp", script, "".join(f"{obj}\r\n" for obj in input_objects).encode("utf-8"))
    try:
        try:
            if input_objects:
                script = _loaded_script(script, input_objects)
        except RuntimeUnsupported as err:
            return _unsupported(f"SIMULATOR-UNSUPPORTED: {err}", script)
        if received is not None:
            received.script(script)
        return _run(model, script, state, local_scope, hooks, codepage)
    finally:
        if received is not None:
            received.end()


def thrown_record(message: str) -> ErrorRecord:
    """What ``throw "<message>"`` fails a pipeline with: a RuntimeException whose FullyQualifiedErrorId is the message,
    category OperationStopped, the message as target [INF: the same record probe.powershell_throw_text renders]."""
    return ErrorRecord(message=message, error_id=message, category="OperationStopped", reason="RuntimeException",
                       target_name=message, target_type="String")


def _run_probe(model, script: str) -> RunspaceResult:
    """The probe by contract (probe.probe_run): its result line is one output string when written with Write-Output,
    and lost when written with [Console]::Out (no console in a remote runspace; the client sees no line, rc 0)."""
    probe = importlib.import_module(__name__.rsplit(".", 2)[0] + ".probe")
    run = probe.run_probe_in_runspace(model, script)
    if run.fault is not None:
        return from_command_result(run.fault, 65001, script)
    if run.unsupported is not None:
        return _unsupported(run.unsupported, script)
    if run.thrown is not None:
        return RunspaceResult(state=FAILED, failure=thrown_record(run.thrown), script=script)
    if run.emission == probe.EMIT_CONSOLE:
        return RunspaceResult(script=script)
    return RunspaceResult(events=[(OUTPUT, run.result_line())], script=script)


def _run(model, script: str, state: RunspaceState, local_scope: bool, hooks: ShellHooks, codepage: int) -> RunspaceResult:  # pylint: disable=too-many-arguments
    if hooks.probe_header and probe_script.is_probe(script, hooks.probe_header):
        return _run_probe(model, script)
    emulated = win_reboot.emulate(model, script, codepage, hooks.run_native)
    if emulated is not None:
        return from_command_result(emulated, codepage, script)
    try:
        parsed = parse_script(script)
    except PsSyntaxError as err:
        return RunspaceResult(state=FAILED, failure=parse_error_record(script, err), script=script)
    except PsUnsupported as err:
        line_no, column, _line = line_and_column(script, err.offset)
        return _unsupported(f"SIMULATOR-UNSUPPORTED: {err.construct} at line {line_no} char {column}", script)
    result = RunspaceResult(script=script)
    build = int(getattr(getattr(model, "os", None), "build", LINE_RECORDS_BUILD))
    output = RunspaceOutput(codepage, result, build)
    # A native program started by the script gets no stdin (there is no console, and the pipeline input is $input's).
    interpreter = RunspaceInterpreter(model, script, codepage, _ChildPrograms(hooks, b"").run, output)
    interpreter.enter(state)
    try:
        interpreter.run_pipeline_script(parsed.statements)
    except RuntimeUnsupported as err:
        result.state = FAILED
        text = str(err)
        result.failure = unsupported_record(text if text.startswith(UNSUPPORTED_PREFIX) else f"{UNSUPPORTED_PREFIX} {text}")
    interpreter.leave(state, global_scope=not local_scope)
    return result
