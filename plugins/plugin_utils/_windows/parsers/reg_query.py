# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parser for ``reg query <key>`` and ``reg query <key> /v <name>`` (docs/windows-facts.md §4.1, §4.3).

reg prints a blank line, the key path (``HKEY_...``), one line per value, a blank line and then the subkey
paths::

    HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters
        NV Hostname    REG_SZ    web01
        MaxUserPort    REG_DWORD    0xfffe

    HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Adapters

A value line is 4 spaces, the name (which may contain spaces), 4 spaces, the type, and then 4 spaces and the data
(absent or followed by nothing for an empty string). Type names are fixed tokens (``REG_...``) in every language;
key and subkey lines start with ``HKEY_``. Error messages go to stderr; an unexpected line here is a ParseError.

Only one key's values are returned: output with values under two keys (``/s``) is refused rather than merged.
The ``(Default)`` value's name is localized by Windows ("(Standard)" in German); it is returned as printed.
"""

from __future__ import annotations

import dataclasses
import re

from .errors import ParseError
from .text import as_text, split_lines

PARSER = "parse_reg_query"

# The name is the shortest text before "    REG_"; the data alternative is tried first so that a string
# value made only of spaces keeps them, and the second one accepts stripped or oddly padded empty values.
_VALUE_LINE = re.compile(r"^ {4}(?P<name>.+?) {4}(?P<type>REG_[A-Z0-9_]+)(?: {4}(?P<data>.*)|\s*)$")
_KEY_PREFIX = "HKEY_"
_HEX = re.compile(r"0x([0-9a-fA-F]+)")
_HEX_BYTES = re.compile(r"(?:[0-9a-fA-F]{2})*")
_INTEGER_TYPES = ("REG_DWORD", "REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_QWORD", "REG_QWORD_LITTLE_ENDIAN")
# reg joins REG_MULTI_SZ items with a literal backslash-zero (two characters), not a NUL character.
_MULTI_SZ_SEPARATOR = "\\0"


@dataclasses.dataclass(frozen=True)
class ParsedRegistryValue:
    """One registry value: ``type`` as printed (``REG_DWORD``) and ``value`` converted by type.

    REG_DWORD/REG_QWORD -> int; REG_MULTI_SZ -> list of str; REG_BINARY -> hex digits as printed (str);
    every other type (REG_SZ, REG_EXPAND_SZ unexpanded, REG_NONE, ...) -> str as printed.
    """

    type: str
    value: int | str | list[str]

    def to_dict(self) -> dict[str, object]:
        value = list(self.value) if isinstance(self.value, list) else self.value
        return {"type": self.type, "value": value}


def _convert(value_type: str, data: str) -> int | str | list[str]:
    """Convert reg's text for one value; raise ValueError with a reason when it does not fit the type."""
    if value_type in _INTEGER_TYPES:
        match = _HEX.fullmatch(data.strip())
        if match is None:
            raise ValueError(f"{value_type} data {data!r} is not 0x<hex>")
        return int(match.group(1), 16)
    if value_type == "REG_MULTI_SZ":
        return data.split(_MULTI_SZ_SEPARATOR) if data else []
    if value_type == "REG_BINARY":
        data = data.strip()
        if _HEX_BYTES.fullmatch(data) is None:
            raise ValueError(f"REG_BINARY data {data!r} is not hex bytes")
        return data
    return data


def parse_reg_query(data: object) -> dict[str, ParsedRegistryValue]:
    """Read ``reg query`` stdout into ``{value_name: ParsedRegistryValue}``, names as printed.

    Empty or blank text gives ``{}``: reg writes nothing to stdout for a missing value (its error goes to
    stderr with exit code 1), so the caller must check the exit code before deciding a value is absent.
    """
    text = as_text(PARSER, data)
    values: dict[str, ParsedRegistryValue] = {}
    current_key = None
    values_key = None
    for index, line in enumerate(split_lines(text)):
        if not line.strip():
            continue
        if line.startswith(_KEY_PREFIX):
            current_key = line.rstrip()
            continue
        match = _VALUE_LINE.match(line)
        if match is None:
            raise ParseError(PARSER, "line is neither a key path (HKEY_...) nor a value line ('    <name>    REG_<type>    <data>')", line, index + 1)
        if values and values_key != current_key:
            raise ParseError(PARSER, "values from more than one key (reg query /s?); query one key at a time", line, index + 1)
        values_key = current_key
        name, value_type = match.group("name"), match.group("type")
        if name in values:
            raise ParseError(PARSER, f"value {name!r} is listed twice", line, index + 1)
        try:
            values[name] = ParsedRegistryValue(type=value_type, value=_convert(value_type, match.group("data") or ""))
        except ValueError as exc:
            raise ParseError(PARSER, str(exc), line, index + 1) from None
    return values


def find_registry_value(values: dict[str, ParsedRegistryValue], name: str) -> ParsedRegistryValue | None:
    """Look ``name`` up the way Windows does: value names are case-insensitive (reg prints them as stored)."""
    wanted = name.casefold()
    for candidate, value in values.items():
        if candidate.casefold() == wanted:
            return value
    return None
