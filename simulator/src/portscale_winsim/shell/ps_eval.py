# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evaluator of the PowerShell subset: runs a parsed Script against the host model.

Semantics modelled (Windows PowerShell 5.1, powershell.exe -EncodedCommand, stdout/stderr redirected by WinRM):

* `$?` is set by every statement; a native command sets it from its exit code, and to $false when its stderr was
  redirected (`2>&1`, `2>$null`) and not empty [5.1 behaviour, fixed only in PowerShell 7.2].
* `$LASTEXITCODE` is set by native commands only; it does not exist before the first one.
* A native command with no redirection writes its bytes straight through (it inherits the handles).
  Captured, merged (`2>&1`) or discarded output is read as lines (decoded with the shell's code page) and each
  line is written back as text + CRLF; stderr lines become ErrorRecords (NativeCommandError, then
  NativeCommandErrorMessage). Stdout lines are emitted before stderr lines [INF: real order is arrival order].
* `$ErrorActionPreference` (or a cmdlet's `-ErrorAction`): Continue shows errors, SilentlyContinue/Ignore hide
  them (also when merged by 2>&1 [INF]), Stop turns the first error into a script-terminating one — including
  a native program's stderr line under `2>&1` or `2>$null` (5.1 behaviour).
* Errors not redirected go to the error stream, which reaches stderr as CLIXML.
* Exit code: `exit N` wins; a script-terminating error gives 1; otherwise 0 or 1 from `$?` of the last
  statement (docs/windows-facts.md §9.5 [INF]).
"""

from __future__ import annotations

from . import ps_cmdlets
from .codepages import decode_text
from .native_args import native_argv
from .ps_ast import (
    Assignment,
    BareWord,
    CommandCall,
    CompareExpr,
    ExitStatement,
    IfStatement,
    NotExpr,
    NumberLiteral,
    ParenExpr,
    Pipeline,
    StringLiteral,
    VariableRef,
)
from .ps_catalog import PREFERENCE_VARIABLES
from .ps_errors import ErrorRecord, SourcePosition, command_not_found
from .ps_output import CollectSink, HostSink, NullSink, ProcessOutput, RuntimeUnsupported
from .ps_values import ERROR_STREAM, ScriptExit, ScriptTerminated, StatementAborted, split_lines, to_text, truthy


class Interpreter:  # pylint: disable=too-many-instance-attributes
    """State of one powershell.exe process running one script."""

    def __init__(self, model, script_text: str, codepage: int, run_native, output=None):  # pylint: disable=too-many-arguments
        self.model = model
        self.text = script_text
        self.codepage = codepage
        self.run_native = run_native
        # powershell.exe's two byte streams by default; a PSRP pipeline passes its own (shell/runspace.py).
        self.output = output if output is not None else ProcessOutput(codepage)
        self.variables: dict[str, object] = {}
        self.preferences = {name: spec[0] for name, spec in PREFERENCE_VARIABLES.items()}
        self.strict_version = 0.0
        self.success = True  # $?

    # ----- top level ----------------------------------------------------------------------------------------------
    def run(self, statements: list) -> int:
        """Run statements and return the process exit code."""
        try:
            self.run_block(statements)
        except ScriptExit as done:
            return done.code
        except ScriptTerminated:
            return 1
        return 0 if self.success else 1

    def run_block(self, statements: list, sink=None) -> None:
        for statement in statements:
            try:
                self.statement(statement, sink or HostSink(self.output))
            except StatementAborted:
                self.success = False

    def statement(self, node, sink) -> None:
        if isinstance(node, IfStatement):
            for condition, body in node.clauses:
                if truthy(self.collect(condition)):
                    self.run_block(body, sink)
                    return
            if node.else_body is not None:
                self.run_block(node.else_body, sink)
            return
        if isinstance(node, ExitStatement):
            value = self.collect(node.value) if node.value is not None else 0
            raise ScriptExit(self.exit_code(value, node))
        if isinstance(node, Assignment):
            self.assign(node)
            return
        self.pipeline(node, sink)

    def exit_code(self, value, node) -> int:
        if value is None:
            return 0
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise RuntimeUnsupported(f"exit with a non-integer value at offset {node.start}")

    def collect(self, pipeline: Pipeline):
        sink = CollectSink()
        self.pipeline(pipeline, sink)
        return sink.value()

    def assign(self, node: Assignment) -> None:
        name = node.target.name.lower()
        sink = NullSink() if name == "null" else CollectSink()
        self.pipeline(node.value, sink)
        if name == "null":
            return
        value = sink.value()
        if name in PREFERENCE_VARIABLES:
            self.set_preference(name, node.target.name, value, node)
            return
        if isinstance(value, list):
            value = list(value)
        self.variables[name] = value

    def set_preference(self, name: str, typed_name: str, value, node) -> None:
        _default, valid, type_name = PREFERENCE_VARIABLES[name]
        text = to_text(value)
        for option in valid:
            if option.lower() == text.strip().lower():
                self.preferences[name] = option
                self.success = True
                return
        del typed_name
        message = (f'Cannot convert value "{text}" to type "{type_name}". Error: "Unable to match the identifier name '
                   f"{text} to a valid enumerator name. Specify one of the following enumerator names and try again:"
                   f'\n{", ".join(valid)}"')
        self.report(ErrorRecord(message=message, error_id="RuntimeException", category="MetadataError",
                                reason="ArgumentTransformationMetadataException",
                                position=SourcePosition(self.text, node.start, node.end)),
                    ERROR_STREAM, None)
        raise StatementAborted()

    # ----- errors -------------------------------------------------------------------------------------------------
    def error_action(self, override: str | None) -> str:
        action = override or self.preferences["erroractionpreference"]
        if action in ("Inquire", "Suspend"):
            raise RuntimeUnsupported(f"ErrorAction {action} (needs an interactive host)")
        return action

    def report(self, record: ErrorRecord, destination, override: str | None) -> None:
        """Write one error record where the statement's redirections send errors, honouring ErrorAction."""
        self.success = False
        action = self.error_action(override)
        if action in ("SilentlyContinue", "Ignore"):
            return
        if action == "Stop":
            self.output.write_error_record(record)
            raise ScriptTerminated()
        if destination == ERROR_STREAM:
            self.output.write_error_record(record)
        elif destination is not None:
            destination.emit(record)

    # ----- pipelines ----------------------------------------------------------------------------------------------
    def pipeline(self, node: Pipeline, sink) -> None:
        merge = any(r.merge for r in node.redirections)
        discard_errors = any(r.stream == "2" and not r.merge for r in node.redirections)
        discard_output = node.out_null or any(r.stream == "1" for r in node.redirections)
        out_sink = NullSink() if discard_output else sink
        if merge:
            errors = out_sink
        elif discard_errors:
            errors = None
        else:
            errors = ERROR_STREAM
        element = node.element
        if isinstance(element, CommandCall):
            if element.kind == "cmdlet":
                ps_cmdlets.run_cmdlet(self, element, out_sink, errors)
            else:
                self.native(element, out_sink, errors, merge, merge or discard_errors)
            return
        value = self.evaluate(element, errors)
        self.success = True
        if isinstance(value, list):
            for item in value:
                out_sink.emit(item)
        elif value is not None:
            out_sink.emit(value)

    def native(self, call: CommandCall, sink, errors, merge: bool, stderr_redirected: bool) -> None:  # pylint: disable=too-many-arguments
        values: list[str] = []
        for argument in call.arguments:
            values.extend(self.argument_strings(argument, errors))
        argv = native_argv(call.name, values)
        result = self.run_native(self.model, argv, self.codepage)
        if result is None:
            prefix = "&" if call.call_operator else call.name
            position = SourcePosition(self.text, call.name_node.start, call.name_node.end)
            self.report(command_not_found(call.name, prefix, position), errors, None)
            raise StatementAborted()
        self.variables["lastexitcode"] = result.exit_code
        ok = result.exit_code == 0
        # A native command that ends a top-level pipeline inherits stdout unless its stderr is merged into it.
        if isinstance(sink, HostSink) and not merge:
            self.output.write_stdout_bytes(result.stdout)
        elif not isinstance(sink, NullSink):
            for line in split_lines(decode_text(result.stdout, self.codepage)):
                sink.emit(line)
        if not stderr_redirected and self.output.inherits_stderr:
            self.output.write_stderr_bytes(result.stderr)
        else:
            position = SourcePosition(self.text, call.start, call.end)
            records = self.output.stderr_records(self.program_label(call), decode_text(result.stderr, self.codepage), position)
            for record in records:
                self.report(record, errors, None)
            ok = ok and not records
        self.success = ok

    @staticmethod
    def program_label(call: CommandCall) -> str:
        """What the 5.1 error view puts before ' : ': InvocationName, or the file name after `&`."""
        if not call.call_operator:
            return call.name
        base = call.name.replace("/", "\\").rsplit("\\", 1)[-1]
        return base if "." in base else base + ".exe"

    def argument_strings(self, node, errors) -> list[str]:
        if isinstance(node, BareWord):
            return [node.text]
        value = self.evaluate(node, errors)
        if isinstance(value, list):
            return [to_text(item) for item in value]
        return [to_text(value)]

    # ----- expressions --------------------------------------------------------------------------------------------
    def evaluate(self, node, errors):
        if isinstance(node, StringLiteral):
            if not node.expandable:
                return node.parts[0]
            return "".join(part if isinstance(part, str) else to_text(self.variable(part, errors, in_string=True))
                           for part in node.parts)
        if isinstance(node, NumberLiteral):
            return node.value
        if isinstance(node, VariableRef):
            return self.variable(node, errors, in_string=False)
        if isinstance(node, NotExpr):
            return not truthy(self.evaluate(node.operand, errors))
        if isinstance(node, CompareExpr):
            return self.compare(node.op, self.evaluate(node.left, errors), self.evaluate(node.right, errors))
        if isinstance(node, ParenExpr):
            return self.collect(node.pipeline)
        if isinstance(node, BareWord):
            return node.text
        raise RuntimeUnsupported(f"evaluating {type(node).__name__}")

    def is_defined(self, name: str) -> bool:
        lowered = name.lower()
        return lowered in ("?", "null", "true", "false") or lowered in PREFERENCE_VARIABLES or lowered in self.variables

    def lookup(self, name: str):
        lowered = name.lower()
        if lowered == "?":
            return self.success
        if lowered in ("null", "true", "false"):
            return {"null": None, "true": True, "false": False}[lowered]
        if lowered in PREFERENCE_VARIABLES:
            return self.preferences[lowered]
        return self.variables.get(lowered)

    def variable(self, node: VariableRef, errors, in_string: bool):
        if self.is_defined(node.name):
            return self.lookup(node.name)
        # Strict mode 1 exempts references inside strings; 2 and later (and Latest = 3 in 5.1) do not.
        if self.strict_version >= 2 or (self.strict_version >= 1 and not in_string):
            record = ErrorRecord(
                message=f"The variable '${node.name}' cannot be retrieved because it has not been set.",
                error_id="VariableIsUndefined", category="InvalidOperation", reason="RuntimeException",
                target_name=node.name, target_type="String",
                position=SourcePosition(self.text, node.start, node.end))
            self.report(record, errors, None)
            raise StatementAborted()
        return None

    @staticmethod
    def compare(op: str, left, right) -> bool:
        if isinstance(left, list):
            raise RuntimeUnsupported("comparison with an array on the left (filters the array)")
        if left is None:
            equal = right is None
        elif right is None:
            equal = False
        elif isinstance(left, bool):
            equal = left == truthy(right)
        elif isinstance(left, int):
            try:
                equal = left == int(to_text(right).strip()) if not isinstance(right, bool) else left == int(right)
            except ValueError:
                equal = False
        elif isinstance(left, str):
            equal = left.lower() == to_text(right).lower()
        else:
            raise RuntimeUnsupported(f"comparison of a {type(left).__name__}")
        return equal if op == "eq" else not equal
