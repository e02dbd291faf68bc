# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Syntax tree of the PowerShell subset. Every node keeps its source extent (offsets, end exclusive) for error messages."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class Node:
    """Base: where the node sits in the script text."""

    start: int
    end: int


@dataclasses.dataclass
class StringLiteral(Node):
    """A quoted string. `parts` holds str pieces and VariableRef nodes (expandable strings only)."""

    parts: list
    expandable: bool


@dataclasses.dataclass
class NumberLiteral(Node):
    """An integer literal."""

    value: int


@dataclasses.dataclass
class VariableRef(Node):
    """`$name` (name as typed, compared case-insensitively)."""

    name: str


@dataclasses.dataclass
class BareWord(Node):
    """A generic token in argument mode (`int`, `start=1000`, `/v`, `HKLM\\...`, `-ano`)."""

    text: str
    is_parameter: bool = False


@dataclasses.dataclass
class NotExpr(Node):
    """`-not <operand>`."""

    operand: Node


@dataclasses.dataclass
class CompareExpr(Node):
    """`<left> -eq|-ne <right>` (case-insensitive, PowerShell's default)."""

    op: str
    left: Node
    right: Node


@dataclasses.dataclass
class ParenExpr(Node):
    """`( <pipeline> )`."""

    pipeline: "Pipeline"


@dataclasses.dataclass
class Redirection(Node):
    """`2>&1` (merge), `2>$null` / `>$null` / `1>$null` (discard)."""

    stream: str  # "1" (success) or "2" (error)
    merge: bool  # True for 2>&1


@dataclasses.dataclass
class CommandCall(Node):
    """A command: cmdlet or native program. `name` is the program as typed (string value)."""

    name: str
    name_node: Node
    call_operator: bool
    arguments: list
    kind: str  # "cmdlet" or "native"
    cmdlet: str | None = None  # canonical cmdlet name when kind == "cmdlet"


@dataclasses.dataclass
class Pipeline(Node):
    """One pipeline element (command or expression) with its redirections and an optional `| Out-Null`."""

    element: Node
    redirections: list
    out_null: bool = False


@dataclasses.dataclass
class Assignment(Node):
    """`$name = <pipeline>`."""

    target: VariableRef
    value: Pipeline


@dataclasses.dataclass
class ExitStatement(Node):
    """`exit [value]`."""

    value: Pipeline | None


@dataclasses.dataclass
class IfStatement(Node):
    """`if (...) {...} elseif (...) {...} else {...}`: clauses are (condition, statements) pairs."""

    clauses: list
    else_body: list | None


@dataclasses.dataclass
class Script:
    """The whole script: its text (for position messages) and statements."""

    text: str
    statements: list
