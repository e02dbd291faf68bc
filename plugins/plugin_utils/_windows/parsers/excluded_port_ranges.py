# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parser for ``netsh int ipv4|ipv6 show excludedportrange protocol=tcp|udp`` (docs/windows-facts.md §3.2, §3.3).

The output is a localized title, localized column headers, a dash line (``----------    --------``), one row per
exclusion (``%10d  %10d     %c``, the last character ``*`` for an administered exclusion) and a localized
footnote. Only the dash line and the rows are read:

* there must be exactly one dash line (none: an error message; two: two outputs joined); the table starts below it;
* rows are the consecutive lines matching ``<start> <end> [*]`` (any whitespace, trailing spaces optional);
* after the first line that is neither a row nor blank (the footnote) no further row may appear;
* a line that starts with a digit but is not a row (a row cut off or garbled) is an error, not the footnote.

An empty table (header, dash line, footnote) returns ``[]``; text without a dash line is an error, which is how an
error message such as the elevation text is told apart from "no exclusions".
"""

from __future__ import annotations

import dataclasses
import re

from ..facts import PORT_MAX
from ..ports import PortRange
from .errors import ParseError
from .text import as_text, single_dash_line_index, split_lines

PARSER = "parse_excluded_port_ranges"

_ROW = re.compile(r"^\s*([0-9]+)\s+([0-9]+)(\s*\*)?\s*$")


@dataclasses.dataclass(frozen=True)
class ParsedExclusion:
    """One excluded range, ``start`` to ``end`` inclusive. ``administered`` is the ``*`` mark (ours to manage)."""

    start: int
    end: int
    count: int
    administered: bool

    def to_dict(self) -> dict[str, int | bool]:
        return {**PortRange(self.start, self.count).to_dict(), "administered": self.administered}


def parse_excluded_port_ranges(data: object) -> list[ParsedExclusion]:
    """Read one ``show excludedportrange`` output into its rows, in the order printed (ascending on real hosts)."""
    text = as_text(PARSER, data)
    lines = split_lines(text)
    dash_index = single_dash_line_index(PARSER, text, lines, "netsh ... show excludedportrange")
    exclusions = []
    table_ended = False
    for index in range(dash_index + 1, len(lines)):
        line = lines[index]
        match = _ROW.match(line)
        if match is None:
            # A line that starts with a digit is a row that is cut off or garbled ('     50000', '50000  5x059 *'), not
            # the footnote (which starts with '*' in every language seen): dropping it would hide an exclusion.
            if line.strip()[:1].isascii() and line.strip()[:1].isdigit():
                raise ParseError(PARSER, "line is not a '<start> <end> [*]' row (cut off or garbled?)", line, index + 1)
            # The blank line and the localized footnote close the table; their text is never read.
            if line.strip():
                table_ended = True
            continue
        if table_ended:
            raise ParseError(PARSER, "a '<start> <end>' row appears after the end of the table", line, index + 1)
        start, end = int(match.group(1)), int(match.group(2))
        if not 1 <= start <= end <= PORT_MAX:
            raise ParseError(PARSER, f"row {start}-{end} is not a port range within 1..{PORT_MAX}", line, index + 1)
        exclusions.append(ParsedExclusion(start=start, end=end, count=end - start + 1, administered=match.group(3) is not None))
    return exclusions
