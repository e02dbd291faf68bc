# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parser for ``netsh int ipv4|ipv6 show dynamicport tcp|udp`` (docs/windows-facts.md §1.2, §1.3).

The output is a localized title, a dash line and two localized labels, each followed by a colon and a number::

    Protocol tcp Dynamic Port Range
    ---------------------------------
    Start Port      : 49152
    Number of Ports : 16384

Only the structure is read: exactly one dash line, then exactly two lines that end in ``: <number>`` (start first, then
count). CJK outputs may use the full-width colon U+FF1A. Nothing in the output says IPv4 or IPv6 or the store, so
the caller must remember which command it ran.
"""

from __future__ import annotations

import dataclasses
import re

from ..facts import PORT_MAX
from ..ports import PortRange
from .errors import ParseError
from .text import as_text, single_dash_line_index, split_lines

PARSER = "parse_dynamic_port_range"

# "<any label> : <digits>" with an ASCII or full-width colon; the label is never looked at.
_NUMBER_LINE = re.compile(r"^.*?[:\uff1a]\s*([0-9]+)\s*$")


@dataclasses.dataclass(frozen=True)
class ParsedDynamicPortRange:
    """A dynamic port range as the host reports it: ``start`` to ``end`` inclusive, ``count`` ports."""

    start: int
    count: int
    end: int

    def to_dict(self) -> dict[str, int]:
        return PortRange(self.start, self.count).to_dict()


def parse_dynamic_port_range(data: object) -> ParsedDynamicPortRange:
    """Read one ``show dynamicport`` output; raise ParseError unless it holds exactly one range.

    Any start the host reports is accepted (1024 has been seen, below the 1025 that ``set`` enforces); only
    values no host can report (count 0, a range past 65535) are refused.
    """
    text = as_text(PARSER, data)
    lines = split_lines(text)
    dash_index = single_dash_line_index(PARSER, text, lines, "netsh ... show dynamicport")
    numbers = []
    for index in range(dash_index + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        match = _NUMBER_LINE.match(line)
        if match is None:
            raise ParseError(PARSER, "line below the dash line does not end in ': <number>'", line, index + 1)
        numbers.append(int(match.group(1)))

    if len(numbers) != 2:
        raise ParseError(
            PARSER,
            f"expected exactly 2 lines ending in ': <number>' (start port, number of ports) below the dash line, found {len(numbers)}",
            text,
        )
    start, count = numbers
    if start < 1 or count < 1 or start + count - 1 > PORT_MAX:
        raise ParseError(PARSER, f"start {start} and count {count} do not describe a port range within 1..{PORT_MAX}", text)
    return ParsedDynamicPortRange(start=start, count=count, end=start + count - 1)
