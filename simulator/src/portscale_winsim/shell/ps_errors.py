# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How Windows PowerShell 5.1 renders an ErrorRecord as text, and how it serializes the error stream as CLIXML.

Sources, all public captures of real 5.1 output (see the shell docstring for the list):

* the "ErrorInstance" view of 5.1 (`InvocationName : message`, `At line:L char:C`, `+ <line>`, `+ ~~~`,
  `    + CategoryInfo          : ...`, `    + FullyQualifiedErrorId : ...`, a final line holding one space);
  the CategoryInfo / FullyQualifiedErrorId lines are cut into chunks of (BufferWidth - 6) characters, each chunk
  prefixed with four spaces and joined without a newline, then the whole text is word-wrapped by the host;
* the host wraps every line at BufferWidth - 1 = 79 columns: words keep their trailing blank, a blank that does
  not fit starts the next line, a word longer than a line is cut by characters [OBS-M: ManageIQ and Brooklyn
  WinRM captures show 80-column wrapping, e.g. `CommandNotFou ` / `   ndException`];
* the position line is cut to 69 characters with ` ...` / `... ` (PositionUtilities.VerboseMessage, ASCII dots
  in 5.1 [OBS-M: `+ pwsh --enc cAB3... ...` capture]);
* the target object in CategoryInfo is shortened to 15 + "..." + 15 characters when longer than 40 [OBS-M];
* with -EncodedCommand and a redirected stderr, the error stream goes to stderr as CLIXML: `#< CLIXML\\r\\n`,
  then `<Objs Version="1.1.0.1" xmlns="...">`, one `<S S="Error">line_x000D__x000A_</S>` per rendered line,
  and `</Objs>` when the process ends [OBS-H: PowerShell/PowerShell#5912, WinRb/WinRM#106, pywinrm and ansible
  test fixtures].
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re

BUFFER_WIDTH = 80
LINE_WIDTH = BUFFER_WIDTH - 1
_CHUNK_WIDTH = BUFFER_WIDTH - 4 - 2
_MAX_POSITION_LINE = 69
CLIXML_HEADER = "#< CLIXML\r\n"
CLIXML_OPEN = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
CLIXML_CLOSE = "</Objs>"

NOT_RECOGNIZED = ("The term '{0}' is not recognized as the name of a cmdlet, function, script file, or operable "
                  "program. Check the spelling of the name, or if a path was included, verify that the path is "
                  "correct and try again.")


@dataclasses.dataclass(frozen=True)
class SourcePosition:
    """Where an error happened: the script text and the offending extent (offsets, end exclusive)."""

    text: str
    start: int
    end: int


@dataclasses.dataclass(frozen=True)
class ErrorRecord:  # pylint: disable=too-many-instance-attributes
    """The parts of a System.Management.Automation.ErrorRecord that its 5.1 text view shows."""

    message: str
    error_id: str
    category: str
    reason: str
    target_name: str = ""
    target_type: str = ""
    activity: str = ""
    prefix: str | None = None  # InvocationName or command name shown before " : "
    position: SourcePosition | None = None
    parser_error: bool = False

    def category_info(self) -> str:
        """ErrorCategoryInfo.GetMessage(): `Category: (target:type) [activity], reason`."""
        return f"{self.category}: ({ellipsize(self.target_name)}:{self.target_type}) [{self.activity}], {self.reason}"


def ellipsize(text: str) -> str:
    """Shorten long target names the way 5.1 does (15 characters, '...', 15 characters)."""
    if len(text) <= 40:
        return text
    return text[:15] + "..." + text[-15:]


# A line break is CRLF, CR or LF, as PowerShell's tokenizer counts lines.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@functools.lru_cache(maxsize=8)
def _line_starts(text: str) -> tuple[int, ...]:
    # Cached: every error record of a run asks for positions in the same script, and a batch can carry dozens of
    # records (each native command's stderr line is one) over a script of several kilobytes.
    return (0,) + tuple(match.end() for match in _LINE_BREAK.finditer(text))


def line_and_column(text: str, offset: int) -> tuple[int, int, str]:
    """1-based line and column of an offset, and that line's text without its newline."""
    starts = _line_starts(text)
    # The last line start at or before the offset (offsets before 0 count as line 1).
    line_index = max(bisect.bisect_right(starts, offset) - 1, 0)
    start = starts[line_index]
    end = starts[line_index + 1] if line_index + 1 < len(starts) else len(text)
    line_text = text[start:end].rstrip("\r\n")
    return line_index + 1, offset - start + 1, line_text


def position_message(position: SourcePosition) -> str:
    """`At line:L char:C` + `+ <line>` + `+ ~~~` (PositionUtilities.VerboseMessage with ASCII ellipses)."""
    line_no, column, source_line = line_and_column(position.text, position.start)
    end_line, end_column, _end_text = line_and_column(position.text, max(position.end, position.start))
    source_line = source_line.rstrip()
    head = f"At line:{line_no} char:{column}"
    if not source_line:
        return head
    spaces_before = column - 1
    if line_no == end_line and end_column <= len(source_line) + 1:
        error_length = end_column - column
    else:
        error_length = len(source_line) - column + 1
    source_line = source_line.replace("\t", "    ")  # our scripts have no tabs before errors worth more care
    needs_prefix_dots = False
    needs_suffix_dots = False
    line_length = len(source_line)
    if line_length > _MAX_POSITION_LINE:
        total_prefix = spaces_before
        prefix = min(total_prefix, 12)
        total_suffix = line_length - error_length - spaces_before
        suffix = min(total_suffix, 8)
        candidate = prefix + error_length + suffix
        if candidate >= _MAX_POSITION_LINE:
            if prefix + error_length >= _MAX_POSITION_LINE:
                error_length = _MAX_POSITION_LINE - prefix
            needs_suffix_dots = True
        else:
            prefix_available = total_prefix - prefix
            if prefix_available > 0:
                prefix += min(prefix_available, _MAX_POSITION_LINE - candidate)
                candidate = prefix + error_length + suffix
            if candidate < _MAX_POSITION_LINE and total_suffix > 0:
                suffix += min(total_suffix, _MAX_POSITION_LINE - candidate)
            needs_suffix_dots = suffix < total_suffix
        needs_prefix_dots = prefix < total_prefix
        start_index = max(spaces_before - prefix, 0)
        source_line = source_line[start_index:start_index + _MAX_POSITION_LINE]
        spaces_before = min(spaces_before, prefix)
        error_length = min(error_length, _MAX_POSITION_LINE - spaces_before)
    shown = ("... " if needs_prefix_dots else "") + source_line + (" ..." if needs_suffix_dots else "")
    squiggle = "+ " + " " * (spaces_before + (4 if needs_prefix_dots else 0)) + "~" * max(error_length, 1)
    return f"{head}\n+ {shown}\n{squiggle}"


def _chunked(text: str) -> str:
    """`foreach($line in @($s -split "(.{$width})")) { if($line) { $posmsg += (" " * 4 + $line) } }`."""
    chunks = [text[i:i + _CHUNK_WIDTH] for i in range(0, len(text), _CHUNK_WIDTH)]
    return "".join("    " + chunk for chunk in chunks if chunk)


def view_text(record: ErrorRecord) -> str:
    """The string the 5.1 ErrorInstance view produces (lines separated by \\n, before host wrapping)."""
    if record.error_id == "NativeCommandErrorMessage":
        return record.message
    category = "\n" + _chunked("+ CategoryInfo          : " + record.category_info())
    qualified = "\n" + _chunked("+ FullyQualifiedErrorId : " + record.error_id)
    if record.parser_error:
        # ParseException.Message already starts with the position; there is no command to name.
        head = position_message(record.position) + "\n" + record.message if record.position else record.message
        return head + category + qualified + "\n "
    head = (record.prefix + " : " if record.prefix else "") + record.message
    position = "\n" + position_message(record.position) if record.position else ""
    return head + position + category + qualified + "\n "


def wrap_line(line: str, width: int = LINE_WIDTH) -> list[str]:
    """ComplexWriter.GenerateLinesWithWordWrap for one line (display width = characters; no CJK handling)."""
    if len(line) <= width:
        return [line]
    lines: list[str] = []
    current = ""
    space_left = width
    words = re.findall(r"[^ \t]*[ \t]|[^ \t]+$", line)
    for word in words:
        if len(word) > width:
            for ch in word:
                if space_left < 1:
                    lines.append(current)
                    current = ""
                    space_left = width
                current += ch
                space_left -= 1
            continue
        if len(word) > space_left:
            lines.append(current)
            current = word
            space_left = width - len(word)
        else:
            current += word
            space_left -= len(word)
    lines.append(current)
    return lines


def render_lines(record: ErrorRecord) -> list[str]:
    """The host's text lines for a record (each to be written with CRLF)."""
    rendered = []
    for line in re.split(r"\r\n|\n|\r", view_text(record)):
        rendered.extend(wrap_line(line))
    return rendered


_CLIXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def clixml_string(text: str) -> str:
    """Serialize a string the way PowerShell's serializer does for `<S>` elements."""
    text = _CLIXML_ESCAPE.sub(r"_x005F_\1", text)
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append(f"_x{code:04X}_")
        else:
            out.append(ch)
    return "".join(out)


def clixml_error_elements(lines: list[str]) -> str:
    """`<S S="Error">line_x000D__x000A_</S>` for each rendered line."""
    return "".join(f'<S S="Error">{clixml_string(line + chr(13) + chr(10))}</S>' for line in lines)


def native_error_records(program: str, stderr_lines: list[str], position: SourcePosition) -> list[ErrorRecord]:
    """Error records PowerShell makes from a native program's stderr lines: the first is a NativeCommandError,
    later ones NativeCommandErrorMessage (shown as bare text) [OBS-M: captures show only the first with the view]."""
    records = []
    for index, text in enumerate(stderr_lines):
        records.append(ErrorRecord(
            message=text,
            error_id="NativeCommandError" if index == 0 else "NativeCommandErrorMessage",
            category="NotSpecified",
            reason="RemoteException",
            target_name=text,
            target_type="String",
            prefix=program,
            position=position,
        ))
    return records


def command_not_found(name: str, prefix: str, position: SourcePosition) -> ErrorRecord:
    """CommandNotFoundException for a name that is neither a command nor a program."""
    return ErrorRecord(
        message=NOT_RECOGNIZED.format(name),
        error_id="CommandNotFoundException",
        category="ObjectNotFound",
        reason="CommandNotFoundException",
        target_name=name,
        target_type="String",
        prefix=prefix,
        position=position,
    )


def parser_error(error_id: str, message: str, position: SourcePosition) -> ErrorRecord:
    """ParseException as shown by 5.1 for a script that does not parse."""
    return ErrorRecord(
        message=message,
        error_id=error_id,
        category="ParserError",
        reason="ParentContainsErrorRecordException",
        position=position,
        parser_error=True,
    )
