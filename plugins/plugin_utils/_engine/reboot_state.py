# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Tcpip\\Parameters values still wait for a reboot, and which values the running TCP/IP stack uses meanwhile.

The stack reads MaxUserPort and TcpTimedWaitDelay only at boot, and nothing on the host says which value it read. So
when win_tcpip_parameters writes a value it leaves a marker beside it, in the same write batch: a REG_SZ under
``HKLM\\SOFTWARE\\portscale.tcpip`` named like the value, holding the host's boot identity at the write (the
``BootId`` REG_DWORD under ``...\\Memory Management\\PrefetchParameters``, raised at every boot), the value in effect
before the write, the value written, and whether the value in effect was known or assumed (commands.MARKER_DATA).
Any later read, from any controller, compares the marker with the host's boot identity and the registry:

* same boot: the written value waits for a reboot; the stack still runs on the value recorded as in effect
  (``pending`` when the registry differs from it, ``in_effect`` when it is that value again);
* another boot, and the registry still holds what was written: the host has rebooted since; ``in_effect``;
* another boot, and the registry differs from what was written, or no marker at all, or no boot identity: someone
  else wrote the value, or it predates the collection; when that was cannot be told (``unknown``). The figures then
  assume the registry value is in effect, as Windows will after the next boot, and say so.

A marker from an earlier boot is left in place, not deleted: deleting it would cost a write on a converged host (a
second round trip where one suffices), and it still says something (the value was written and the host has
rebooted since, so the registry value is in effect). The next write of that value replaces it.
"""

from __future__ import annotations

import dataclasses
import typing as t

from .._windows.host import TRACKED_VALUES, HostSnapshot, RegistryValue
from .._wire import commands

PENDING = "pending"
IN_EFFECT = "in_effect"
UNKNOWN = "unknown"


@dataclasses.dataclass(frozen=True)
class Marker:
    """One marker as stored. ``effective``/``written``: a REG_DWORD value, None for absent (Windows' default)."""

    boot_id: int
    effective: int | None
    written: int | None
    known: bool

    def data(self) -> str:
        return commands.marker_data(self.boot_id, self.effective, self.written, self.known)


def _number(text: str) -> int | None:
    return None if text == commands.MARKER_ABSENT else int(text)


def parse_marker(stored: RegistryValue | None) -> Marker | None:
    """A marker the collection wrote, or None (absent, or not in the collection's format: then it is not trusted)."""
    if stored is None or stored.type != "REG_SZ" or not isinstance(stored.value, str):
        return None
    match = commands.MARKER_DATA.match(stored.value)
    if match is None:
        return None
    return Marker(int(match.group("boot")), _number(match.group("effective")), _number(match.group("written")), match.group("known") == "1")


@dataclasses.dataclass(frozen=True)
class ValueState:
    """One tracked value: what the next boot uses (``value``) beside what the running stack uses (``effective``)."""

    name: str
    value: int | None            # the REG_DWORD Windows reads at the next boot (None: absent, or a type it ignores)
    effective: int | None        # the value the running stack uses (None: absent, the Windows default); see ``known``
    known: bool                  # False: ``effective`` is an assumption (the registry value), not a recorded fact
    state: str                   # PENDING, IN_EFFECT or UNKNOWN
    written_at_boot: int | None  # the boot identity the collection's last write of this value recorded
    boot_id: int | None          # the host's boot identity now
    reason: str                  # one sentence: how the state was found

    @property
    def pending(self) -> bool | None:
        """True: written and waiting for a reboot; False: in effect; None: cannot be told."""
        return {PENDING: True, IN_EFFECT: False}.get(self.state)

    def to_dict(self) -> dict[str, t.Any]:
        return {"value": self.value, "effective": self.effective if self.known else None, "effective_known": self.known,
                "effective_assumed": self.effective, "state": self.state, "pending": self.pending,
                "written_at_boot": self.written_at_boot, "reason": self.reason}


def _shown(value: int | None) -> str:
    return "absent" if value is None else str(value)


def value_state(snapshot: HostSnapshot, name: str) -> ValueState:  # pylint: disable=too-many-return-statements
    """The state of ``name`` as the snapshot's registry, boot identity and marker show it."""
    value = snapshot.registry.get(name)
    boot = snapshot.boot_id
    marker = parse_marker(snapshot.markers.get(name))
    written_at = marker.boot_id if marker is not None else None

    def unknown(reason: str) -> ValueState:
        return ValueState(name, value, value, False, UNKNOWN, written_at, boot, reason)

    if not snapshot.reboot_state_read:
        return unknown("the boot identity and the collection's markers were not read")
    if boot is None:
        return unknown("the host has no boot identity to compare with (PrefetchParameters\\BootId is absent), so whether it "
                       "has rebooted since the value was written cannot be told")
    if marker is None:
        return unknown(f"{name} was not written by portscale.tcpip (no marker), so whether the host has rebooted since it "
                       "was written cannot be told")
    if marker.boot_id == boot:
        # Written during this boot: the stack still uses what was in effect before the first write of this boot,
        # whoever wrote the registry since.
        state = IN_EFFECT if value == marker.effective else PENDING
        how = "recorded" if marker.known else "assumed (the value before it was not written by portscale.tcpip)"
        return ValueState(name, value, marker.effective, marker.known, state, written_at, boot,
                          f"written by portscale.tcpip during this boot (boot {boot}); the value in effect, "
                          f"{_shown(marker.effective)}, is {how}")
    if value == marker.written:
        return ValueState(name, value, value, True, IN_EFFECT, written_at, boot,
                          f"written by portscale.tcpip at boot {marker.boot_id}; the host has booted since (boot {boot})")
    return unknown(f"{name} was changed by someone else after portscale.tcpip wrote {_shown(marker.written)} at boot "
                   f"{marker.boot_id}, so whether the host has rebooted since cannot be told")


def value_states(snapshot: HostSnapshot, names: t.Iterable[str] = TRACKED_VALUES) -> dict[str, ValueState]:
    return {name: value_state(snapshot, name) for name in names}


def marker_for_write(snapshot: HostSnapshot, name: str, written: int | None) -> Marker | None:
    """The marker to write beside a write of ``name`` (None when the host has no boot identity: nothing to record).

    The value in effect is the one the current state gives: recorded by an earlier write of this boot, or, without
    one, the registry value before this write (known when a marker from an earlier boot confirms it, else assumed)."""
    if not snapshot.reboot_state_read or snapshot.boot_id is None:
        return None
    state = value_state(snapshot, name)
    return Marker(snapshot.boot_id, state.effective, written, state.known)


def after_writes(snapshot: HostSnapshot, values: t.Mapping[str, int | None], markers: t.Mapping[str, Marker]) -> HostSnapshot:
    """The snapshot as it will read after writing ``values`` (None: removed) and ``markers``: what check mode
    describes."""
    registry = {k: v for k, v in snapshot.registry.items() if k not in values}
    registry.update({k: v for k, v in values.items() if v is not None})
    registry_values = {k: v for k, v in snapshot.registry_values.items() if k not in values}
    registry_values.update({k: RegistryValue("REG_DWORD", v) for k, v in values.items() if v is not None})
    stored = dict(snapshot.markers)
    stored.update({k: RegistryValue("REG_SZ", marker.data()) for k, marker in markers.items()})
    return dataclasses.replace(snapshot, registry=registry, registry_values=registry_values, markers=stored)


def pending_values(snapshot: HostSnapshot, names: t.Iterable[str] = TRACKED_VALUES) -> dict[str, ValueState]:
    return {name: state for name, state in value_states(snapshot, names).items() if state.state == PENDING}


def describe_pending(state: ValueState) -> str:
    """``TcpTimedWaitDelay=30 waits for a reboot: ...; the running TCP/IP stack still uses absent (...)``."""
    used = "absent (the Windows default)" if state.effective is None else str(state.effective)
    assumed = "" if state.known else ", assumed: portscale.tcpip had not written the value before"
    return (f"{state.name}={_shown(state.value)} waits for a reboot: portscale.tcpip wrote it during this boot (boot "
            f"{state.boot_id}), and until the host reboots the running TCP/IP stack still uses {used}{assumed}.")
