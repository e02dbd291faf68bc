# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Locale-independent parsers for the output of netsh, reg, netstat, wevtutil (XML) and tasklist (CSV).

They read numbers and structural markers (dash lines, ``*``, ``HKEY_``, ``REG_`` types, protocol tokens,
address:port), never localized words, and raise :class:`ParseError` for text that does not have the expected shape.
One module per command; this package re-exports the public names.
"""

from __future__ import annotations

from .dynamic_port_range import ParsedDynamicPortRange, parse_dynamic_port_range
from .errors import ParseError
from .excluded_port_ranges import ParsedExclusion, parse_excluded_port_ranges
from .netstat import ParsedConnection, parse_netstat
from .reg_query import ParsedRegistryValue, find_registry_value, parse_reg_query
from .tasklist import parse_tasklist_csv
from .wevtutil import ParsedEvent, parse_wevtutil_events

__all__ = [
    "ParseError",
    "ParsedConnection",
    "ParsedDynamicPortRange",
    "ParsedEvent",
    "ParsedExclusion",
    "ParsedRegistryValue",
    "find_registry_value",
    "parse_dynamic_port_range",
    "parse_excluded_port_ranges",
    "parse_netstat",
    "parse_reg_query",
    "parse_tasklist_csv",
    "parse_wevtutil_events",
]
