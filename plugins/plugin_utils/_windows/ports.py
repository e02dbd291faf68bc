# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Port ranges, and the dynamic range a user may ask Windows for.

The limits are those of facts.py (docs/windows-facts.md §2.3). Reading is deliberately not bound by them: hosts have
been seen reporting a start of 1024 after an installer widened the range.
"""

from __future__ import annotations

import dataclasses

from .facts import DYNAMIC_COUNT_MIN, DYNAMIC_START_MIN, LEGACY_DEFAULT_MAX_USER_PORT, LEGACY_RANGE_START, MAX_USER_PORT_BOOT_START, PORT_MAX
from .values import TcpipValueError, to_int


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

    def to_dict(self) -> dict[str, int]:
        """The shape every result, filter and report gives a range in."""
        return {"start": self.start, "count": self.count, "end": self.end}


def max_user_port_boot_range(max_user_port: int) -> PortRange:
    """The TCP range Windows (Vista and later) builds at boot when MaxUserPort is set (docs/windows-facts.md §5.2)."""
    return PortRange.from_bounds(MAX_USER_PORT_BOOT_START, max_user_port)


def legacy_tcp_range(max_user_port: int | None) -> PortRange:
    """Where outbound TCP ports come from before Vista: 1025..MaxUserPort, 5000 when it is absent (docs/windows-facts.md §5.2)."""
    return PortRange.from_bounds(LEGACY_RANGE_START, max_user_port or LEGACY_DEFAULT_MAX_USER_PORT)


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
