# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network-level faults and per-host HTTP counters, set and read at run time through the control endpoint.

A counted fault fires for the next ``count`` matching requests and then clears itself. ``action`` narrows it to one
WS-Man action (Create, Command, Receive, Signal, Delete, Send, and Get; the same names for WinRS and PSRP shells)
and ``skip`` lets that many matching requests through
first, so a test can aim at one request of a task: with ansible-core's winrm connection a configuration module that
changes something sends Create, Command, Receive (the read batch), Command, Receive (the write batch), ..., so
``drop action=Receive skip=1`` loses the write batch's output after the host ran it.
"""

from __future__ import annotations

import collections
import dataclasses

MAX_COUNT = 10_000
MAX_MS = 600_000
ACTIONS = ("create", "command", "receive", "signal", "delete", "send", "get")

#: Counted faults, each matched by action and skip (see the module docstring):
#: ``drop`` closes the connection without an answer; ``delay`` answers ``ms`` late; ``error500`` answers a SOAP
#: fault instead of running the action; ``crash`` drops the request and the host goes down and reboots at once.
COUNTED_KINDS = ("drop", "delay", "error500", "crash")
#: Fault kinds accepted by ``NetworkFaults.apply`` (and ``ctl ... fault <kind>``).
FAULT_KINDS = ("refused", "unauthorized", "slow-command") + COUNTED_KINDS


class FaultSpecError(ValueError):
    """A fault request outside the documented kinds or bounds."""


def _bounded(value: object, upper: int, name: str) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise FaultSpecError(f"{name} must be an integer") from exc
    if not 0 <= number <= upper:
        raise FaultSpecError(f"{name} must be between 0 and {upper}")
    return number


@dataclasses.dataclass
class CountedFault:
    """Fires for ``count`` requests of ``action`` (any when None) after letting ``skip`` of them through."""

    count: int = 0
    action: str | None = None
    skip: int = 0
    ms: int = 0

    @classmethod
    def from_args(cls, kind: str, args: dict) -> CountedFault:
        action = args.get("action")
        if action is not None and str(action).lower() not in ACTIONS:
            raise FaultSpecError(f"action must be one of {', '.join(a.capitalize() for a in ACTIONS)}")
        return cls(
            count=_bounded(args.get("count", 1), MAX_COUNT, "count"),
            action=str(action).lower() if action else None,
            skip=_bounded(args.get("skip", 0), MAX_COUNT, "skip"),
            ms=_bounded(args.get("ms", 1000), MAX_MS, "ms") if kind == "delay" else 0,
        )

    def take(self, action_name: str | None) -> bool:
        """True when this request is hit. ``action_name`` None asks about the faults set without an action (checked
        where the action is not known yet); a name asks about the faults aimed at that action."""
        if self.count <= 0 or (self.action is None) != (action_name is None):
            return False
        if action_name is not None and action_name.lower() != self.action:
            return False
        if self.skip > 0:
            self.skip -= 1
            return False
        self.count -= 1
        return True


@dataclasses.dataclass
class NetworkFaults:
    """Faults of one host. A fault without ``action`` is checked before the request is read further (so it also hits
    the anonymous and NTLM handshake requests); one with ``action`` once the SOAP body is decrypted and parsed."""

    refused: bool = False
    unauthorized_next: int = 0
    latency_ms: int = 0
    slow_command_ms: int = 0
    counted: dict[str, CountedFault] = dataclasses.field(default_factory=dict)

    def apply(self, kind: str, args: dict) -> None:
        """Set one fault from a control request (``count``, ``ms``, ``action``, ``skip`` as documented per kind)."""
        if kind == "refused":
            self.refused = bool(args.get("on", True))
        elif kind == "unauthorized":
            self.unauthorized_next = _bounded(args.get("count", 1), MAX_COUNT, "count")
        elif kind == "slow-command":
            self.slow_command_ms = _bounded(args.get("ms", 1000), MAX_MS, "ms")
        elif kind in COUNTED_KINDS:
            self.counted[kind] = CountedFault.from_args(kind, args)
        else:
            raise FaultSpecError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")

    def set_latency(self, ms: object) -> None:
        self.latency_ms = _bounded(ms, MAX_MS, "latency ms")

    def clear(self) -> None:
        """Clear every fault but keep the added latency (a network property, not a fault)."""
        latency = self.latency_ms
        for field in dataclasses.fields(self):
            setattr(self, field.name, field.default_factory() if callable(field.default_factory) else field.default)
        self.latency_ms = latency

    def take(self, kind: str, action_name: str | None) -> bool:
        fault = self.counted.get(kind)
        return fault is not None and fault.take(action_name)

    def take_delay(self, action_name: str | None) -> int:
        fault = self.counted.get("delay")
        return fault.ms if fault is not None and fault.take(action_name) else 0

    def take_unauthorized(self) -> bool:
        if self.unauthorized_next > 0:
            self.unauthorized_next -= 1
            return True
        return False

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["counted"] = {kind: fault for kind, fault in sorted(data["counted"].items()) if fault["count"] > 0}
        return data


@dataclasses.dataclass
class HttpCounters:
    """What crossed the wire for one host. Bytes are HTTP bytes (headers + bodies, after message encryption)."""

    http_requests: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    connections: int = 0
    auth_round_trips: int = 0
    auth_failures: int = 0
    ntlm_handshakes: int = 0
    reboots: int = 0
    requests_by_action: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    responses_by_status: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    faults_injected: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        for key in ("requests_by_action", "responses_by_status", "faults_injected"):
            data[key] = {str(k): v for k, v in sorted(getattr(self, key).items(), key=lambda kv: str(kv[0]))}
        return data
