# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host's TCP/IP configuration is, as plain data: the ranges, exclusions, tracked registry values and the rest
of one read (``HostSnapshot``). The wire's reader (``_wire/reader.py``) fills it; the engines only read it."""

from __future__ import annotations

import dataclasses
import typing as t

from .facts import FIRST_DYNAMICPORT_BUILD, IP_VERSIONS, PROTOCOLS, TCPIP_DWORD_VALUES, WINNAT_BLOCK_MIN
from .parsers import ParsedConnection, ParsedEvent
from .ports import PortRange

Combo = t.Tuple[str, str]  # (ip_version, protocol)
ALL_COMBOS: tuple[Combo, ...] = tuple((ip, proto) for ip in IP_VERSIONS for proto in PROTOCOLS)
TRACKED_VALUES = TCPIP_DWORD_VALUES


def combo_key(combo: Combo) -> str:
    return f"{combo[0]}_{combo[1]}"


@dataclasses.dataclass(frozen=True)
class Exclusion:
    range: PortRange
    administered: bool

    def to_dict(self) -> dict[str, t.Any]:
        return {**self.range.to_dict(), "administered": self.administered}

    @property
    def winnat_block(self) -> bool:
        """A Hyper-V/WinNAT/HNS reservation (docs/windows-facts.md §3.5): a system row of at least a 100-port block."""
        return not self.administered and self.range.count >= WINNAT_BLOCK_MIN


@dataclasses.dataclass(frozen=True)
class EventLogRead:
    """One Tcpip event ID as ``wevtutil qe`` returned it: the events (newest first), or why the log could not be read
    (access denied, a disabled channel, a host without wevtutil: its exit code and text, which is localized and only
    shown, never read)."""

    event_id: int
    events: tuple[ParsedEvent, ...] = ()
    note: str | None = None
    exit_code: int = 0

    @property
    def readable(self) -> bool:
        return self.note is None


@dataclasses.dataclass(frozen=True)
class RegistryValue:
    """A tracked Tcpip\\Parameters value as stored: Windows reads it only when it is a REG_DWORD."""

    type: str
    value: int | str | list[str]

    @property
    def dword(self) -> int | None:
        return self.value if self.type == "REG_DWORD" and isinstance(self.value, int) else None

    def describe(self) -> str:
        shown = f"0x{self.value:x}" if isinstance(self.value, int) else repr(self.value if not isinstance(self.value, list) else "\\0".join(self.value))
        return f"{self.type} {shown}"


@dataclasses.dataclass(frozen=True)
class HostSnapshot:  # pylint: disable=too-many-instance-attributes
    os_build: int
    ranges: dict[Combo, PortRange]           # active store; empty on hosts without netsh dynamic ranges
    exclusions: dict[Combo, tuple[Exclusion, ...]]
    registry: dict[str, int]                  # the tracked values Windows reads: REG_DWORDs only
    connections: tuple[ParsedConnection, ...] | None = None
    # Every tracked value that exists, whatever its type (a REG_SZ MaxUserPort is there, and ignored by Windows).
    registry_values: dict[str, RegistryValue] = dataclasses.field(default_factory=dict)
    elevated: bool | None = None              # None: not read (a snapshot built by hand)
    persistent_ranges: dict[Combo, PortRange] = dataclasses.field(default_factory=dict)
    persistent_exclusions: dict[Combo, tuple[Exclusion, ...]] = dataclasses.field(default_factory=dict)
    # With SnapshotRequest.reboot_state: the boot identity (None when the host has none) and the collection's marker
    # of each tracked value that has one (as stored; reboot_state.py reads them).
    reboot_state_read: bool = False
    boot_id: int | None = None
    markers: dict[str, RegistryValue] = dataclasses.field(default_factory=dict)
    # With SnapshotRequest.events_days: each Tcpip event ID's read; with SnapshotRequest.processes: image name by PID,
    # or None with ``processes_note`` saying why the table could not be read.
    tcpip_events: dict[int, EventLogRead] | None = None
    process_names: dict[int, str] | None = None
    processes_note: str | None = None

    @property
    def has_dynamicport(self) -> bool:
        return self.os_build >= FIRST_DYNAMICPORT_BUILD

    @property
    def ignored_registry_values(self) -> dict[str, RegistryValue]:
        """Tracked values of a type Windows does not read (REG_QWORD, REG_SZ, ...): present but not in effect."""
        return {name: value for name, value in self.registry_values.items() if value.dword is None}
