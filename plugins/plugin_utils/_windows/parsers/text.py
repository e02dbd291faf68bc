# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the parsers: input normalisation, line splitting, markers, numbers and endpoints.

Nothing here looks at words. Windows prints the same digits, colons, dashes, brackets and ``*`` in every
language, so those are the only things the parsers rely on (docs/windows-facts.md §1.3, §3.3, §6.1).
"""

from __future__ import annotations

import re

from ..facts import PORT_MAX
from ..values import type_name
from .errors import ParseError


# Only CR, LF and CRLF end a line. str.splitlines() also splits on \x1c-\x1e, \x85 and U+2028, which can appear
# inside text that was decoded with the wrong code page (cp850 "à" is byte 0x85, NEL in latin-1).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# A line of dashes under a title or column headers: one run (dynamicport) or several runs separated by
# spaces (excludedportrange). Localized outputs pad these differently, so no length is required beyond 3.
_DASH_LINE = re.compile(r"^\s*-{3,}(?:\s+-{3,})*\s*$")

_ASCII_DIGITS = re.compile(r"[0-9]+")

_BOM = "\ufeff"

# Numeric addresses as ``netstat -n`` prints them. Deliberately loose (shape, not validity): the point is to
# reject host and service names, which netstat prints without -n and which would make ports unreadable.
_IPV4_ADDRESS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_IPV6_ADDRESS = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z]+)?")


def as_text(parser: str, data: object) -> str:
    """Return ``data`` as one string without a leading byte-order mark.

    Accepts a string, a list of strings (Ansible's ``stdout_lines``) or bytes. Bytes are decoded as UTF-8
    with replacement characters: the digits and markers the parsers read are ASCII in every OEM code page,
    so they survive even when the bytes were produced in another code page.
    """
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8", errors="replace")
    elif isinstance(data, (list, tuple)):
        if not all(isinstance(item, str) for item in data):
            raise ParseError(parser, "expected a string or a list of strings, got a list with other items")
        data = "\n".join(data)
    if not isinstance(data, str):
        raise ParseError(parser, f"expected a string, got {type_name(data)}")
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    return data


def split_lines(text: str) -> list[str]:
    """Split on CRLF, LF or a lone CR; the line terminators are removed."""
    return _LINE_BREAK.split(text)


def is_dash_line(line: str) -> bool:
    return _DASH_LINE.match(line) is not None


def single_dash_line_index(parser: str, text: str, lines: list[str], command: str) -> int:
    """Index of the one dash line in ``lines``; ParseError when there is none or more than one.

    The dash line is the only structural marker that netsh prints in every language. None means the text is
    something else (an error message); two mean two outputs were joined, and picking one would hide that.
    """
    indexes = [index for index, line in enumerate(lines) if is_dash_line(line)]
    if not indexes:
        raise ParseError(parser, f"no dash line ('-----') found; this is not the output of '{command}'", text)
    if len(indexes) > 1:
        raise ParseError(parser, f"{len(indexes)} dash lines found; expected the output of one '{command}'", lines[indexes[1]], indexes[1] + 1)
    return indexes[0]


def parse_decimal(token: str) -> int | None:
    """``int(token)`` for ASCII decimal digits only, else None.

    ``str.isdigit`` and ``int`` also accept superscripts and other scripts' digits; Windows prints ASCII.
    """
    if _ASCII_DIGITS.fullmatch(token) is None:
        return None
    return int(token)


def split_endpoint(token: str) -> tuple[str, int | None, int | None]:
    """Split a netstat endpoint into ``(address, port, ip_version)``.

    ``1.2.3.4:80`` -> ``('1.2.3.4', 80, 4)``; ``[fe80::1%4]:135`` -> ``('fe80::1%4', 135, 6)``;
    ``*:*`` (a UDP row's foreign side) -> ``('*', None, None)``. Raises ValueError with a reason otherwise.
    """
    if token.startswith("["):
        close = token.find("]:")
        if close < 0:
            raise ValueError(f"IPv6 endpoint {token!r} has no ']:<port>'")
        address, port_text, ip_version = token[1:close], token[close + 2:], 6
    else:
        address, separator, port_text = token.rpartition(":")
        if not separator:
            raise ValueError(f"endpoint {token!r} has no ':<port>'")
        ip_version = None if address == "*" else (6 if ":" in address else 4)
    if not address:
        raise ValueError(f"endpoint {token!r} has an empty address")
    if address != "*" and (_IPV6_ADDRESS if ip_version == 6 else _IPV4_ADDRESS).fullmatch(address) is None:
        raise ValueError(f"endpoint {token!r} does not have a numeric address (was netstat run with -n?)")
    if port_text == "*":
        return address, None, ip_version
    port = parse_decimal(port_text)
    if port is None:
        raise ValueError(f"endpoint {token!r} has a port that is not a number (was netstat run with -n?)")
    if port > PORT_MAX:
        raise ValueError(f"endpoint {token!r} has a port above {PORT_MAX}")
    return address, port, ip_version
