# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows TCP/IP port model: port ranges and the limits Windows enforces when they are set.

Limits come from KB 929851 and "Troubleshoot port exhaustion issues" (docs/windows-facts.md §2.3): a dynamic range must
start at 1025 or above, hold at least 255 ports and end at 65535 at most. Reading is deliberately not bound by
these limits: hosts have been seen reporting a start of 1024 after an installer widened the range.
"""

from __future__ import annotations

import dataclasses
import json
import re

PORT_MIN = 1
PORT_MAX = 65535
DYNAMIC_START_MIN = 1025
DYNAMIC_COUNT_MIN = 255
DEFAULT_DYNAMIC_START = 49152
DEFAULT_DYNAMIC_COUNT = 16384

IP_VERSIONS = ("ipv4", "ipv6")
PROTOCOLS = ("tcp", "udp")

_DECIMAL = re.compile(r"\s*[+-]?[0-9]+\s*")  # what to_int accepts in a string (whole string, ASCII digits)


NOT_GIVEN = object()  # TcpipValueError without a value: a refusal about the task as a whole, not one bad value


def user_value(value: object) -> str:
    """A task argument as the user wrote it in YAML/JSON (``true``, ``"abc"``, ``{"start": 1}``), never a Python repr."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=False)
    except (TypeError, ValueError):
        return json.dumps(str(value), ensure_ascii=False)


class TcpipValueError(ValueError):
    """A value that Windows would reject, named by the option it came from, or (``value=NOT_GIVEN``) a task refused as
    a whole: ``subject: expectation``. Values are shown in the user's terms (JSON), a missing one as missing."""

    def __init__(self, option: str, value: object, expectation: str) -> None:
        self.option = option
        self.value = value
        self.expectation = expectation
        if value is NOT_GIVEN:
            message = f"{option}: {expectation}"
        elif value is None:
            message = f"{option} is missing: {expectation}"
        else:
            message = f"{option}={user_value(value)} is not valid: {expectation}"
        super().__init__(message)

    @classmethod
    def refusal(cls, subject: str, reason: str) -> TcpipValueError:
        return cls(subject, NOT_GIVEN, reason)


def to_int(option: str, value: object, valid: str = "") -> int:
    """Return ``value`` as an int, accepting ints and decimal strings only.

    Booleans are refused on purpose: ``True`` is an int in Python and would silently become port 1.
    ``valid`` (what the option accepts) is added to the error, so a wrong type also tells the user the valid range.
    """
    suffix = f"; {valid}" if valid else ""
    if isinstance(value, bool):
        raise TcpipValueError(option, value, f"expected an integer, got a boolean{suffix}")
    if isinstance(value, int):
        return value
    # ASCII decimal only: str.isdigit() also takes '²' (which int() then rejects with a bare ValueError) and other scripts'
    # digits, and lstrip("+-") let '+-5' through to the same crash.
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value.strip())
    raise TcpipValueError(option, value, f"expected an integer{suffix}")


@dataclasses.dataclass(frozen=True, order=True)
class PortRange:
    """A contiguous block of ports, ``start`` to ``end`` inclusive."""

    start: int
    count: int

    @property
    def end(self) -> int:
        return self.start + self.count - 1

    @classmethod
    def from_bounds(cls, start: int, end: int) -> PortRange:
        return cls(start, end - start + 1)

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.start <= port <= self.end

    def overlap(self, other: PortRange) -> int:
        """Number of ports the two ranges share."""
        return max(0, min(self.end, other.end) - max(self.start, other.start) + 1)

    def __str__(self) -> str:
        return f"{self.start}-{self.end} ({self.count} ports)"


def dynamic_range_to_set(start: object, count: object = None, end: object = None) -> PortRange:
    """Validate a dynamic port range a user asks for; give exactly one of ``count`` and ``end``."""
    if (count is None) == (end is None):
        given = "both were given" if count is not None else "neither was given"
        raise TcpipValueError.refusal("count/end", f"give exactly one of count (the number of ports) and end (the last port); {given}")
    start_valid = f"the start port must be between {DYNAMIC_START_MIN} and {PORT_MAX}"
    first = to_int("start", start, start_valid)
    if first < DYNAMIC_START_MIN or first > PORT_MAX:
        raise TcpipValueError("start", start, start_valid)
    if end is not None:
        last = to_int("end", end, f"the end port must be between start + {DYNAMIC_COUNT_MIN - 1} and {PORT_MAX}")
        if last < first:
            raise TcpipValueError("end", end, f"the end port must not be below start ({first}); give an end from "
                                  f"{first + DYNAMIC_COUNT_MIN - 1} to {PORT_MAX}")
        size = last - first + 1
        size_option, size_value = "end", end
    else:
        size = to_int("count", count, f"a dynamic range holds at least {DYNAMIC_COUNT_MIN} ports, and start + count is at most {PORT_MAX + 1}")
        size_option, size_value = "count", count
    if size < DYNAMIC_COUNT_MIN:
        raise TcpipValueError(size_option, size_value, f"a dynamic range holds at least {DYNAMIC_COUNT_MIN} ports (got {size})")
    if first + size - 1 > PORT_MAX:
        raise TcpipValueError(
            size_option, size_value,
            f"start + count must be at most {PORT_MAX + 1} (the range would end at {first + size - 1}, past {PORT_MAX})",
        )
    return PortRange(first, size)
