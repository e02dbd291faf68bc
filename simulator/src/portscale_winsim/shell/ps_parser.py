# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scanner and recursive-descent parser for the PowerShell subset.

PowerShell tokenizes differently in *command mode* (arguments: `int`, `start=1000`, `/v`, `-ano` are bare words)
and *expression mode* (`'x'`, `5`, `$a -eq $b`), so the parser drives a character scanner and chooses the mode
itself, as PowerShell's own parser does. Two kinds of failure:

* `PsSyntaxError` — text real PowerShell also rejects (reported as a ParserError, error ids from 5.1);
* `PsUnsupported` — valid PowerShell outside the subset (reported as SIMULATOR-UNSUPPORTED).

Both are raised before any statement runs, so a script is never half executed because of its syntax.
"""

from __future__ import annotations

import re

from . import ps_catalog
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
    Redirection,
    Script,
    StringLiteral,
    VariableRef,
)

# PowerShell accepts typographic quotes as quotes (CharTraits.cs); ansible.windows' quote_pwsh doubles them too.
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
NEWLINES = "\r\n"
# What peek() returns past the end; never a member of the character classes above.
EOF = "\x00"
BLANKS = " \t\f\v\u00a0"
# Characters that end a bare word in argument mode.
_WORD_END = set(BLANKS + NEWLINES + ";|(){}<>,&")
_VAR_NAME = re.compile(r"[A-Za-z0-9_]+")
_REDIRECTION = re.compile(r"([1-6*]?)(>>?)(&[1-6])?")
_NUMBER = re.compile(r"(0[xX][0-9A-Fa-f]+|[0-9]+)(?![A-Za-z0-9_.])")
_NUMBER_LIKE = re.compile(r"^(0[xX][0-9A-Fa-f]+|[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?)([kKmMgGtTpP][bB]|[lLdD])?$")
_OPERATOR = re.compile(r"-([A-Za-z]+)")

# Backtick escapes inside double-quoted strings in Windows PowerShell 5.1 (`e and `u{} arrived in 6.0).
_BACKTICK_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_SUPPORTED_OPERATORS = ("eq", "ne", "not")


class PsSyntaxError(Exception):
    """Text that real PowerShell refuses to parse; error ids and messages follow 5.1's ParserStrings [INF wording]."""

    def __init__(self, offset: int, length: int, error_id: str, message: str):
        super().__init__(message)
        self.offset = offset
        self.length = length
        self.error_id = error_id
        self.message = message


class PsUnsupported(Exception):
    """Valid PowerShell that the subset interpreter does not implement."""

    def __init__(self, offset: int, construct: str):
        super().__init__(construct)
        self.offset = offset
        self.construct = construct


def parse_script(text: str) -> Script:
    """Parse a whole script or raise PsSyntaxError / PsUnsupported."""
    parser = _Parser(text)
    statements = parser.statement_list(terminator=None)
    return Script(text=text, statements=statements)


def parse_single_quoted(text: str, offset: int) -> tuple[str, int]:
    """Read a single-quoted literal starting at `offset` (on the quote); return (value, end offset)."""
    return _Parser(text).single_quoted(offset)


class _Parser:  # pylint: disable=too-many-public-methods
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    # ----- scanning helpers -------------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else EOF

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip_blanks(self) -> None:
        """Skip spaces, comments and backtick line continuations, but not newlines."""
        while not self.at_end():
            ch = self.peek()
            if ch in BLANKS:
                self.pos += 1
            elif ch == "`" and self.peek(1) in NEWLINES:
                self.pos += 3 if self.text.startswith("`\r\n", self.pos) else 2
            elif ch == "<" and self.peek(1) == "#":
                end = self.text.find("#>", self.pos + 2)
                if end < 0:
                    raise PsSyntaxError(self.pos, 2, "MissingEndMultiLineComment",
                                        "Missing the terminator: #> for the multi-line comment.")
                self.pos = end + 2
            elif ch == "#":
                while not self.at_end() and self.peek() not in NEWLINES:
                    self.pos += 1
            else:
                return

    def skip_blanks_and_newlines(self) -> None:
        while True:
            self.skip_blanks()
            if self.peek() in NEWLINES:
                self.pos += 1
                continue
            return

    def unexpected(self, what: str | None = None) -> PsSyntaxError:
        token = what if what is not None else self.token_text()
        return PsSyntaxError(self.pos, max(len(token), 1), "UnexpectedToken",
                             f"Unexpected token '{token}' in expression or statement.")

    def token_text(self) -> str:
        end = self.pos
        while end < len(self.text) and self.text[end] not in _WORD_END:
            end += 1
        return self.text[self.pos:end] or self.peek()

    # ----- statements -------------------------------------------------------------------------------------------
    def statement_list(self, terminator: str | None, opened_at: int = 0) -> list:
        statements = []
        while True:
            self.skip_blanks()
            ch = self.peek()
            if ch == EOF and terminator is None:
                return statements
            if ch == EOF:
                raise PsSyntaxError(opened_at, 1, "MissingEndCurlyBrace",
                                    "Missing closing '}' in statement block or type definition.")
            if ch in NEWLINES or ch == ";":
                self.pos += 1
                continue
            if terminator is not None and ch == terminator:
                return statements
            if ch in "})":
                raise self.unexpected(ch)
            statements.append(self.statement())
            self.skip_blanks()
            ch = self.peek()
            if ch != EOF and ch not in NEWLINES and ch != ";" and ch != terminator:
                raise self.unexpected()

    def statement(self):
        ch = self.peek()
        if ch.isalpha() or ch == "_":
            word_start = self.pos
            word = self.bare_word_text()
            lowered = word.lower()
            if lowered == "if":
                return self.if_statement(word_start)
            if lowered == "exit":
                return self.exit_statement(word_start)
            if lowered in ("else", "elseif"):
                raise self.unexpected_at(word_start, word)
            if lowered in ps_catalog.UNSUPPORTED_KEYWORDS:
                raise PsUnsupported(word_start, f"keyword '{word}'")
            self.pos = word_start
            return self.pipeline()
        if ch == "$":
            start = self.pos
            variable = self.variable()
            self.skip_blanks()
            if self.peek() == "=" and self.peek(1) != "=":
                self.pos += 1
                self.skip_blanks()
                if self.at_end() or self.peek() in NEWLINES + ";}":
                    raise PsSyntaxError(self.pos, 1, "ExpectedValueExpression",
                                        "You must provide a value expression following the '=' operator.")
                value = self.pipeline()
                if variable.name.lower() in ("true", "false", "?"):
                    raise PsUnsupported(start, f"assignment to read-only variable '${variable.name}'")
                return Assignment(start, value.end, variable, value)
            if self.peek() in "+-*/%" and self.peek(1) == "=":
                raise PsUnsupported(self.pos, f"compound assignment operator '{self.peek()}='")
            self.pos = start
            return self.pipeline()
        return self.pipeline()

    def unexpected_at(self, offset: int, token: str) -> PsSyntaxError:
        self.pos = offset
        return self.unexpected(token)

    def if_statement(self, start: int) -> IfStatement:
        clauses = []
        keyword = "if"
        while True:
            self.skip_blanks_and_newlines()
            if self.peek() != "(":
                raise PsSyntaxError(self.pos, 1, "MissingOpenParenthesisInIfStatement",
                                    f"Missing '(' after '{keyword}' in if statement.")
            self.pos += 1
            self.skip_blanks_and_newlines()
            if self.peek() in (EOF, ")"):
                raise PsSyntaxError(self.pos, 1, "IfStatementMissingCondition",
                                    f"Missing condition in if statement after '{keyword} ('.")
            condition = self.pipeline()
            self.skip_blanks_and_newlines()
            if self.peek() != ")":
                raise PsSyntaxError(self.pos, 1, "MissingEndParenthesisAfterStatement",
                                    f"Missing closing ')' after expression in '{keyword}' statement.")
            self.pos += 1
            body = self.block(f"Missing statement block after {keyword} ( condition ).", "MissingStatementBlock")
            clauses.append((condition, body))
            after_block = self.pos
            self.skip_blanks_and_newlines()
            word_start = self.pos
            word = self.bare_word_text() if self.peek().isalpha() else ""
            if word.lower() == "elseif":
                keyword = "elseif"
                continue
            if word.lower() == "else":
                else_body = self.block("Missing statement block after 'else' keyword.", "MissingStatementBlockAfterElse")
                return IfStatement(start, self.pos, clauses, else_body)
            del word_start
            self.pos = after_block
            return IfStatement(start, self.pos, clauses, None)

    def block(self, missing_message: str, missing_id: str) -> list:
        self.skip_blanks_and_newlines()
        if self.peek() != "{":
            raise PsSyntaxError(self.pos, 1, missing_id, missing_message)
        opened_at = self.pos
        self.pos += 1
        statements = self.statement_list(terminator="}", opened_at=opened_at)
        self.pos += 1
        return statements

    def exit_statement(self, start: int) -> ExitStatement:
        self.skip_blanks()
        if self.at_end() or self.peek() in NEWLINES + ";})":
            return ExitStatement(start, self.pos, None)
        value = self.pipeline()
        return ExitStatement(start, value.end, value)

    # ----- pipelines ----------------------------------------------------------------------------------------------
    def pipeline(self) -> Pipeline:
        start = self.pos
        ch = self.peek()
        if ch == "&" or ch.isalpha() or ch == "_" or (ch != EOF and ch not in _WORD_END and ch not in "$'\"0123456789-.[@!+*/%=`"
                                                      + SINGLE_QUOTES + DOUBLE_QUOTES):
            element, redirections = self.command()
        elif ch == ".":
            if self.peek(1) in BLANKS or self.peek(1) in SINGLE_QUOTES + DOUBLE_QUOTES or self.peek(1) == "$":
                raise PsUnsupported(self.pos, "dot-source operator '.'")
            raise PsUnsupported(self.pos, f"expression starting with {self.token_text()!r}")
        else:
            element = self.expression()
            redirections = self.redirections()
        self.skip_blanks()
        out_null = False
        if self.peek() == "|":
            if self.peek(1) == "|":
                raise PsSyntaxError(self.pos, 2, "InvalidEndOfLine",
                                    "The token '||' is not a valid statement separator in this version.")
            self.pos += 1
            self.skip_blanks_and_newlines()
            if self.at_end() or self.peek() in ";)}":
                raise PsSyntaxError(self.pos, 1, "EmptyPipeElement", "An empty pipe element is not allowed.")
            word_start = self.pos
            word = self.bare_word_text() if self.peek().isalpha() else self.token_text()
            if word.lower() != "out-null":
                raise PsUnsupported(word_start, f"pipeline into '{word}' (only '| Out-Null' is supported)")
            self.skip_blanks()
            if self.peek() != EOF and self.peek() not in NEWLINES + ";)}":
                raise PsUnsupported(self.pos, "arguments or further pipeline after '| Out-Null'")
            out_null = True
        return Pipeline(start, self.pos, element, redirections, out_null)

    def redirections(self) -> list:
        found = []
        while True:
            self.skip_blanks()
            redirection = self.try_redirection()
            if redirection is None:
                return found
            found.append(redirection)

    def try_redirection(self) -> Redirection | None:
        if self.peek() == "<":
            raise PsSyntaxError(self.pos, 1, "RedirectionNotSupported", "The '<' operator is reserved for future use.")
        match = _REDIRECTION.match(self.text, self.pos)
        if not match or (match.group(1) == "" and self.peek() != ">"):
            return None
        start = self.pos
        stream = match.group(1) or "1"
        self.pos = match.end()
        if match.group(2) == ">>":
            raise PsUnsupported(start, f"append redirection '{match.group(0)}'")
        if match.group(3):
            if stream == "2" and match.group(3) == "&1":
                return Redirection(start, self.pos, "2", True)
            raise PsUnsupported(start, f"redirection '{match.group(0)}'")
        if stream not in ("1", "2"):
            raise PsUnsupported(start, f"redirection '{match.group(0)}'")
        self.skip_blanks()
        if self.at_end() or self.peek() in NEWLINES + ";|)}":
            raise PsSyntaxError(self.pos, 1, "MissingFileSpecification",
                                "Missing file specification after redirection operator.")
        target_start = self.pos
        if self.peek() == "$":
            target = self.variable()
            if target.name.lower() == "null":
                return Redirection(start, self.pos, stream, False)
        self.pos = target_start
        raise PsUnsupported(start, f"redirection to a file ({self.token_text()!r}); only $null is supported")

    def command(self):
        start = self.pos
        call_operator = False
        if self.peek() == "&":
            if self.peek(1) == "&":
                raise self.ampersand_error()
            call_operator = True
            self.pos += 1
            self.skip_blanks()
            ch = self.peek()
            if ch in SINGLE_QUOTES + DOUBLE_QUOTES:
                name_node = self.string_literal()
                if name_node.expandable and any(not isinstance(p, str) for p in name_node.parts):
                    raise PsUnsupported(name_node.start, "command name built from variables")
                name = "".join(name_node.parts)
            elif ch == "$":
                raise PsUnsupported(self.pos, "invoking a command held in a variable")
            elif ch in (EOF, "\r", "\n", ";", "|", "}", ")"):
                raise PsSyntaxError(self.pos, 1, "MissingExpression",
                                    "Missing expression after unary operator '&'.")
            elif ch in "({@":
                raise PsUnsupported(self.pos, f"call operator on {ch!r} (script block or expression)")
            else:
                name_node = self.bare_word(allow_parameter=False)
                name = name_node.text
        else:
            name_node = self.bare_word(allow_parameter=False)
            name = name_node.text
        kind, cmdlet = ps_catalog.classify_command(name)
        if kind == "unsupported":
            raise PsUnsupported(name_node.start, f"command '{name}' (a PowerShell cmdlet or alias not in the subset)")
        if kind == "native" and isinstance(name_node, BareWord) and _NUMBER_LIKE.match(name):
            raise PsUnsupported(name_node.start, f"number '{name}' used as a command")
        arguments = []
        redirections = []
        while True:
            self.skip_blanks()
            ch = self.peek()
            if ch == EOF or ch in NEWLINES + ";|)}":
                break
            redirection = self.try_redirection()
            if redirection is not None:
                redirections.append(redirection)
                continue
            argument = self.argument()
            if kind == "native" and isinstance(argument, BareWord) and _NUMBER_LIKE.match(argument.text) \
                    and not argument.text.isdigit():
                # PowerShell parses 0x10, 1.5, 1e3, 1kb as numbers in argument mode; whether a program then sees the
                # token text or the converted number is not verified, so the subset refuses them.
                raise PsUnsupported(argument.start, f"numeric literal argument '{argument.text}' to a program")
            arguments.append(argument)
        end = redirections[-1].end if redirections else (arguments[-1].end if arguments else name_node.end)
        node = CommandCall(start, end, name, name_node, call_operator, arguments, kind, cmdlet)
        return node, redirections

    def ampersand_error(self) -> PsSyntaxError:
        return PsSyntaxError(self.pos, 1, "AmpersandNotAllowed",
                             "The ampersand (&) character is not allowed. The & operator is reserved for future use; "
                             "wrap an ampersand in double quotation marks (\"&\") to pass it as part of a string.")

    def argument(self):
        ch = self.peek()
        if ch in SINGLE_QUOTES + DOUBLE_QUOTES:
            node = self.string_literal()
            self.check_argument_end("a quoted string joined to more text")
            return node
        if ch == "$":
            node = self.variable()
            if self.peek() in (".", "["):
                raise PsUnsupported(self.pos, "member access or indexing")
            self.check_argument_end("a variable joined to more text")
            return node
        if ch == "&":
            raise self.ampersand_error()
        if ch in "@":
            raise PsUnsupported(self.pos, "splatting or array/hash literal '@'")
        if ch in "({":
            raise PsUnsupported(self.pos, "parenthesised expression or script block as an argument")
        if ch == ",":
            raise PsUnsupported(self.pos, "array argument ','")
        if ch == "`":
            raise PsUnsupported(self.pos, "backtick escape in an argument")
        if self.text.startswith("--%", self.pos):
            raise PsUnsupported(self.pos, "stop-parsing token '--%'")
        return self.bare_word(allow_parameter=True)

    def check_argument_end(self, construct: str) -> None:
        ch = self.peek()
        if ch != EOF and ch not in _WORD_END:
            raise PsUnsupported(self.pos, construct)

    def bare_word_text(self) -> str:
        start = self.pos
        while not self.at_end() and self.peek() not in _WORD_END:
            self.pos += 1
        return self.text[start:self.pos]

    def bare_word(self, allow_parameter: bool) -> BareWord:
        start = self.pos
        chars = []
        while not self.at_end():
            ch = self.peek()
            if ch in _WORD_END:
                if ch == "&" and chars:
                    raise self.ampersand_error()
                break
            if ch in SINGLE_QUOTES + DOUBLE_QUOTES or ch == "$" or ch == "`":
                raise PsUnsupported(self.pos, f"bare word joined to a quote, variable or escape ({ch!r})")
            chars.append(ch)
            self.pos += 1
        text = "".join(chars)
        if not text:
            raise self.unexpected()
        is_parameter = allow_parameter and len(text) > 1 and text[0] == "-" and (text[1].isalpha() or text[1] == "_")
        return BareWord(start, self.pos, text, is_parameter)

    # ----- expressions ------------------------------------------------------------------------------------------
    def expression(self):
        left = self.unary()
        while True:
            save = self.pos
            self.skip_blanks()
            match = _OPERATOR.match(self.text, self.pos)
            if match is None:
                ch = self.peek()
                if ch in "+*/%=!," or (ch == "." and self.peek(1) == "."):
                    raise PsUnsupported(self.pos, f"operator '{ch}'")
                self.pos = save
                return left
            op = match.group(1).lower()
            if op not in ("eq", "ne"):
                raise PsUnsupported(self.pos, f"operator '-{match.group(1)}'")
            self.pos = match.end()
            self.skip_blanks_and_newlines()
            if self.at_end() or self.peek() in NEWLINES + ";)}|":
                raise PsSyntaxError(self.pos, 1, "ExpectedValueExpression",
                                    f"You must provide a value expression following the '-{match.group(1)}' operator.")
            right = self.unary()
            left = CompareExpr(left.start, right.end, op, left, right)

    def unary(self):
        start = self.pos
        ch = self.peek()
        match = _OPERATOR.match(self.text, self.pos)
        if match is not None:
            op = match.group(1).lower()
            if op == "not":
                self.pos = match.end()
                self.skip_blanks()
                if self.at_end() or self.peek() in NEWLINES + ";)}|":
                    raise PsSyntaxError(self.pos, 1, "ExpectedValueExpression",
                                        "You must provide a value expression following the '-not' operator.")
                operand = self.unary()
                return NotExpr(start, operand.end, operand)
            raise PsUnsupported(start, f"operator '-{match.group(1)}'")
        if ch == "-" and self.peek(1).isdigit():
            self.pos += 1
            number = self.number()
            return NumberLiteral(start, number.end, -number.value)
        if ch == "!":
            raise PsUnsupported(start, "operator '!'")
        return self.primary()

    def primary(self):
        ch = self.peek()
        start = self.pos
        if ch in SINGLE_QUOTES + DOUBLE_QUOTES:
            node = self.string_literal()
        elif ch == "$":
            node = self.variable()
        elif ch.isdigit():
            node = self.number()
        elif ch == "(":
            self.pos += 1
            self.skip_blanks_and_newlines()
            if self.peek() == ")":
                raise PsSyntaxError(self.pos, 1, "ExpectedExpression", "An expression was expected after '('.")
            inner = self.pipeline()
            self.skip_blanks_and_newlines()
            if self.peek() != ")":
                raise PsSyntaxError(self.pos, 1, "MissingEndParenthesisInExpression", "Missing closing ')' in expression.")
            self.pos += 1
            node = ParenExpr(start, self.pos, inner)
        elif ch == "[":
            raise PsUnsupported(start, "type literal or cast '[...]'")
        elif ch == "@":
            raise PsUnsupported(start, "array or hash literal '@'")
        elif ch == "{":
            raise PsUnsupported(start, "script block '{...}'")
        elif ch in "+*/%=,":
            raise PsUnsupported(start, f"operator '{ch}'")
        else:
            raise self.unexpected()
        ch = self.peek()
        if ch == "." or ch == "[" or (ch == ":" and self.peek(1) == ":"):
            raise PsUnsupported(self.pos, "member access, method call or indexing")
        return node

    def number(self) -> NumberLiteral:
        start = self.pos
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            raise PsUnsupported(start, f"number literal '{self.token_text()}'")
        self.pos = match.end()
        return NumberLiteral(start, self.pos, int(match.group(1), 0) if match.group(1)[:2].lower() == "0x"
                             else int(match.group(1)))

    def variable(self) -> VariableRef:
        start = self.pos
        self.pos += 1
        ch = self.peek()
        if ch == "(":
            raise PsUnsupported(start, "subexpression '$(...)'")
        if ch == "{":
            raise PsUnsupported(start, "braced variable name '${...}'")
        if ch == "?":
            self.pos += 1
            return VariableRef(start, self.pos, "?")
        match = _VAR_NAME.match(self.text, self.pos)
        if match is None:
            if ch in "$^":
                raise PsUnsupported(start, f"automatic variable '${ch}'")
            raise PsSyntaxError(start, 1, "InvalidVariableReference",
                                "Variable reference is not valid. '$' was not followed by a valid variable name "
                                "character. Consider using ${} to delimit the name.")
        name = match.group(0)
        self.pos = match.end()
        if self.peek() == ":":
            if _VAR_NAME.match(self.text, self.pos + 1):
                raise PsUnsupported(start, f"scope or drive qualified variable '${name}:...'")
            if self.peek(1) != ":":
                raise PsSyntaxError(start, self.pos + 1 - start, "InvalidVariableReferenceWithDrive",
                                    "Variable reference is not valid. ':' was not followed by a valid variable name "
                                    "character. Consider using ${} to delimit the name.")
        if name.lower() in ps_catalog.UNSUPPORTED_VARIABLES:
            raise PsUnsupported(start, f"automatic variable '${name}'")
        return VariableRef(start, self.pos, name)

    # ----- strings ----------------------------------------------------------------------------------------------
    def string_literal(self) -> StringLiteral:
        start = self.pos
        if self.peek() in SINGLE_QUOTES:
            value, end = self.single_quoted(start)
            self.pos = end
            return StringLiteral(start, end, [value], False)
        return self.double_quoted()

    def single_quoted(self, start: int) -> tuple[str, int]:
        if self.text.startswith("'@", start) or self.text.startswith('"@', start):
            raise PsUnsupported(start, "here-string")
        pos = start + 1
        chars = []
        while True:
            if pos >= len(self.text):
                raise PsSyntaxError(start, 1, "TerminatorExpectedAtEndOfString",
                                    "The string is missing the terminator: '.")
            ch = self.text[pos]
            if ch in SINGLE_QUOTES:
                if pos + 1 < len(self.text) and self.text[pos + 1] in SINGLE_QUOTES:
                    chars.append(ch)
                    pos += 2
                    continue
                return "".join(chars), pos + 1
            chars.append(ch)
            pos += 1

    def double_quoted(self) -> StringLiteral:
        start = self.pos
        self.pos += 1
        parts: list = []
        chars: list[str] = []
        while True:
            if self.at_end():
                raise PsSyntaxError(start, 1, "TerminatorExpectedAtEndOfString",
                                    'The string is missing the terminator: ".')
            ch = self.peek()
            if ch in DOUBLE_QUOTES:
                if self.peek(1) in DOUBLE_QUOTES:
                    chars.append(ch)
                    self.pos += 2
                    continue
                self.pos += 1
                break
            if ch == "`":
                escaped = self.peek(1)
                if escaped == EOF:
                    self.pos += 1
                    continue
                chars.append(_BACKTICK_ESCAPES.get(escaped, escaped))
                self.pos += 2
                continue
            if ch == "$":
                nxt = self.peek(1)
                if nxt == "(":
                    raise PsUnsupported(self.pos, "subexpression '$(...)' in a string")
                if nxt == "{" or nxt == "?" or _VAR_NAME.match(nxt) or nxt in "$^":
                    if chars:
                        parts.append("".join(chars))
                        chars = []
                    parts.append(self.variable())
                    continue
                # A lone `$` (followed by a space, a quote or the end) is literal text.
            chars.append(ch)
            self.pos += 1
        if chars or not parts:
            parts.append("".join(chars))
        return StringLiteral(start, self.pos, parts, True)
