# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Suspicious states worth telling an operator about, computed from a snapshot.

The configuration modules turn these into warnings; win_port_info reports them with their severity.
"""

from __future__ import annotations

import dataclasses
import typing as t

from .snapshot import Exclusion, HostSnapshot, combo_key
from .tcpip import DEFAULT_DYNAMIC_COUNT, PortRange

MAX_USER_PORT_BOOT_START = 1024
EXCLUDED_SHARE_WARNING = 0.25
# WinNAT/HNS reserve blocks of 100 ports (WINDOWS-FACTS §3.5); smaller system rows are HTTP.sys/WinRM registrations.
WINNAT_BLOCK_MIN = 100


def is_winnat_block(exclusion: Exclusion) -> bool:
    return not exclusion.administered and exclusion.range.count >= WINNAT_BLOCK_MIN


@dataclasses.dataclass(frozen=True)
class Finding:
    severity: str  # "info", "warning" or "critical"
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def max_user_port_boot_range(max_user_port: int) -> PortRange:
    """The TCP range Windows (Vista and later) builds at boot when MaxUserPort is set (WINDOWS-FACTS §5.2)."""
    return PortRange.from_bounds(MAX_USER_PORT_BOOT_START, max_user_port)


def _max_user_port(snapshot: HostSnapshot) -> t.Iterator[Finding]:
    value = snapshot.registry.get("MaxUserPort")
    if value is None or not snapshot.has_dynamicport:
        return
    boot = max_user_port_boot_range(value)
    yield Finding("warning", "max_user_port_rewrites_range",
                  f"MaxUserPort={value} is set: at the next boot Windows rewrites the TCP dynamic range to {boot}, "
                  "overriding the netsh range. Remove it (portscale.tcpip.win_tcpip_parameters max_user_port: absent) "
                  "unless that range is what you want.")


def _exclusions(snapshot: HostSnapshot) -> t.Iterator[Finding]:
    for combo, port_range in snapshot.ranges.items():
        rows = snapshot.exclusions.get(combo, ())
        excluded = sum(port_range.overlap(row.range) for row in rows)
        system_blocks = [row.range for row in rows if is_winnat_block(row) and port_range.overlap(row.range)]
        name = combo_key(combo)
        if excluded > port_range.count * EXCLUDED_SHARE_WARNING:
            yield Finding("warning", "exclusions_eat_range",
                          f"{name}: excluded ranges take {excluded} of the {port_range.count} ports of the dynamic range {port_range}.")
        if system_blocks:
            yield Finding("warning", "system_reservations_in_range",
                          f"{name}: {len(system_blocks)} Hyper-V/WinNAT reservation(s) ({sum(r.count for r in system_blocks)} ports) "
                          f"sit inside the dynamic range {port_range}; they move at every boot and make binds there fail with 10013.")


def _small_ranges(snapshot: HostSnapshot) -> t.Iterator[Finding]:
    for combo, port_range in snapshot.ranges.items():
        if port_range.count < DEFAULT_DYNAMIC_COUNT:
            yield Finding("warning", "range_smaller_than_default",
                          f"{combo_key(combo)}: the dynamic range {port_range} is smaller than the Windows default of {DEFAULT_DYNAMIC_COUNT} ports.")


def configuration_findings(snapshot: HostSnapshot) -> list[Finding]:
    """The findings every configuration module warns about."""
    return [*_max_user_port(snapshot), *_exclusions(snapshot), *_small_ranges(snapshot)]
