# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Port arithmetic: which ports of a dynamic range are free (range − exclusions − ports in use).

A 65,536-entry bytearray per question keeps this linear and fast enough for a full 64k range.
"""

from __future__ import annotations

from .state import ConnectionGroup, Exclusion, PortRange

PORT_SPACE = 65536


def occupied_map(exclusions: list[Exclusion], connections: list[ConnectionGroup], ip_version: int, protocol: str) -> bytearray:
    """1 for every port that is excluded or in use (any state) for this IP version and protocol, else 0."""
    flags = bytearray(PORT_SPACE)
    for row in exclusions:
        if row.ip_version == ip_version and row.protocol == protocol:
            flags[row.start:row.end + 1] = b"\x01" * (row.end - row.start + 1)
    for group in connections:
        if group.ip_version == ip_version and group.protocol == protocol:
            for port in group.ports:
                flags[port] = 1
    return flags


def used_ports(connections: list[ConnectionGroup], ip_version: int, protocol: str) -> set[int]:
    """Local ports that appear in the connection table (listeners, connections, TIME_WAIT, BOUND)."""
    ports: set[int] = set()
    for group in connections:
        if group.ip_version == ip_version and group.protocol == protocol:
            ports.update(group.ports)
    return ports


def free_in_range(dyn: PortRange, flags: bytearray) -> list[int]:
    """Ascending free ports of a range given an occupied map."""
    return [port for port in range(dyn.start, dyn.end + 1) if not flags[port]]


def mark(flags: bytearray, ports) -> None:
    """Record newly placed ports so the next placement avoids them."""
    for port in ports:
        flags[port] = 1
