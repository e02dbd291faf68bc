# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network-level faults and per-host HTTP counters, set and read at run time through the control endpoint."""

from __future__ import annotations

import collections
import dataclasses

MAX_COUNT = 10_000
MAX_MS = 600_000

#: Fault kinds accepted by ``NetworkFaults.apply`` (and ``ctl ... fault <kind>``).
FAULT_KINDS = ("refused", "unauthorized", "error500", "delay", "drop", "slow-command")


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
class NetworkFaults:
    """Faults of one host. Counted faults fire for the next N matching requests, then clear themselves."""

    refused: bool = False
    unauthorized_next: int = 0
    error500_next: int = 0
    error500_action: str | None = None
    delay_next: int = 0
    delay_ms: int = 0
    drop_next: int = 0
    latency_ms: int = 0
    slow_command_ms: int = 0

    def apply(self, kind: str, args: dict) -> None:
        """Set one fault from a control request (``count``, ``ms``, ``action`` as documented per kind)."""
        count = _bounded(args.get("count", 1), MAX_COUNT, "count")
        if kind == "refused":
            self.refused = bool(args.get("on", True))
        elif kind == "unauthorized":
            self.unauthorized_next = count
        elif kind == "error500":
            self.error500_next = count
            action = args.get("action")
            self.error500_action = str(action) if action else None
        elif kind == "delay":
            self.delay_ms = _bounded(args.get("ms", 1000), MAX_MS, "ms")
            self.delay_next = count
        elif kind == "drop":
            self.drop_next = count
        elif kind == "slow-command":
            self.slow_command_ms = _bounded(args.get("ms", 1000), MAX_MS, "ms")
        else:
            raise FaultSpecError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")

    def set_latency(self, ms: object) -> None:
        self.latency_ms = _bounded(ms, MAX_MS, "latency ms")

    def clear(self) -> None:
        """Clear every fault but keep the added latency (a network property, not a fault)."""
        latency = self.latency_ms
        for field in dataclasses.fields(self):
            setattr(self, field.name, field.default)
        self.latency_ms = latency

    def take_drop(self) -> bool:
        if self.drop_next > 0:
            self.drop_next -= 1
            return True
        return False

    def take_unauthorized(self) -> bool:
        if self.unauthorized_next > 0:
            self.unauthorized_next -= 1
            return True
        return False

    def take_error500(self, action_name: str) -> bool:
        if self.error500_next > 0 and (self.error500_action is None or self.error500_action.lower() == action_name.lower()):
            self.error500_next -= 1
            return True
        return False

    def take_delay(self) -> int:
        if self.delay_next > 0:
            self.delay_next -= 1
            return self.delay_ms
        return 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


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
