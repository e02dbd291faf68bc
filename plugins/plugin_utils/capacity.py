# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capacity of each dynamic port range: excluded, in use and free ports, and how fast new connections can come.

Every port of a range is counted exactly once, in the first of these that applies, so the three always add up
to the size of the range (``excluded + in_use + free == count``):

* **excluded**: covered by an excluded port range (administered ``*`` rows first, then system rows: Hyper-V/WinNAT
  100-port blocks and HTTP.sys/WinRM single ports). Windows never hands these out, whether or not a socket uses them.
* **in use**: a local port of at least one row of the connection table for the same protocol and IP version, in
  any state: listeners, connections in every TCP state (TIME_WAIT included), BOUND sockets when ``netstat -q`` lists
  them, and bound UDP sockets. A port held by several rows (a listener and its accepted connections, or outbound
  connections sharing a port towards different destinations) still counts once.
* **free**: the rest; these are the ports a new outbound connection from a wildcard bind can get.

The connection table is the one ``netstat -ano`` prints, where the local address does not matter: with an implicit
bind Windows keeps ephemeral ports unique across all local addresses (WINDOWS-FACTS §7.2).
"""

from __future__ import annotations

import collections
import dataclasses
import typing as t

from .findings import is_winnat_block
from .parsers import ParsedConnection
from .snapshot import Combo, Exclusion, HostSnapshot
from .tcpip import PortRange

DEFAULT_TIME_WAIT_SECONDS = 120          # TcpTimedWaitDelay absent (WINDOWS-FACTS §5.3)
TIME_WAIT_DELAY_VALID = (2, 300)         # outside this, Windows ignores the value [INF from the documented limits]
UDP_STATE = "UDP"                        # UDP sockets have no state; they are counted under this name
TOP_PIDS = 5
LISTENERS_LISTED = 100

# When several rows share a port, the port is counted under the state of the row that holds it longest: a port
# with a listener or a live connection is not freed when a TIME_WAIT row on it expires.
STATE_PRIORITY = ("LISTENING", "BOUND", "ESTABLISHED", "SYN_SENT", "SYN_RECEIVED", "CLOSE_WAIT", "FIN_WAIT_1", "FIN_WAIT_2",
                  "CLOSING", "LAST_ACK", "UNKNOWN", "CLOSED", "DELETE_TCB", UDP_STATE, "TIME_WAIT")
_RANK = {state: rank for rank, state in enumerate(STATE_PRIORITY)}


@dataclasses.dataclass(frozen=True)
class TimeWait:
    seconds: int
    source: str  # "registry" or "default"
    note: str


def time_wait(snapshot: HostSnapshot) -> TimeWait:
    """How long a closed outbound TCP port stays unusable, as far as the registry tells."""
    value = snapshot.registry.get("TcpTimedWaitDelay")
    if value is None:
        return TimeWait(DEFAULT_TIME_WAIT_SECONDS, "default", "TcpTimedWaitDelay is not set: Windows keeps TIME_WAIT for 120 s.")
    low, high = TIME_WAIT_DELAY_VALID
    if not low <= value <= high:
        return TimeWait(DEFAULT_TIME_WAIT_SECONDS, "default",
                        f"TcpTimedWaitDelay={value} is outside {low}-{high}; assuming the 120 s default.")
    return TimeWait(value, "registry",
                    f"TcpTimedWaitDelay={value} (from the registry): in effect only if the host has rebooted since it was written; "
                    "the running value cannot be read.")


@dataclasses.dataclass(frozen=True)
class RangeCapacity:
    """One dynamic range (IP version x protocol) and how its ports are used."""

    combo: Combo
    port_range: PortRange
    excluded_administered: int
    excluded_system: int                   # every non-administered row, WinNAT blocks included
    excluded_winnat: int                   # the part of excluded_system that is Hyper-V/WinNAT 100-port blocks
    in_use_by_state: dict[str, int]        # ports (not rows), by the state of the row that holds them
    ports_by_pid: tuple[tuple[int, int], ...]   # (pid, ports in use), most first; PID 0 is TIME_WAIT (no owner)
    listeners_in_range: tuple[tuple[int, int | None], ...]   # (port, pid) of TCP listeners inside the range
    rows: int                              # rows of the connection table for this protocol and IP version
    rows_by_state: dict[str, int]
    time_wait_seconds: int | None          # None for UDP (no TIME_WAIT)

    @property
    def excluded(self) -> int:
        return self.excluded_administered + self.excluded_system

    @property
    def in_use(self) -> int:
        return sum(self.in_use_by_state.values())

    @property
    def free(self) -> int:
        return self.port_range.count - self.excluded - self.in_use

    @property
    def usable(self) -> int:
        """Ports the range can ever hand out (the range minus its exclusions)."""
        return self.port_range.count - self.excluded

    @property
    def percent_free(self) -> float:
        return round(100.0 * self.free / self.port_range.count, 1)

    @property
    def connections_per_second(self) -> float | None:
        """Sustainable new outbound connections per second to one destination (ip:port) when the client closes first."""
        if self.time_wait_seconds is None:
            return None
        return round(self.free / self.time_wait_seconds, 1)

    def to_dict(self) -> dict[str, t.Any]:
        top = [{"pid": pid, "ports": ports, "percent_of_range": round(100.0 * ports / self.port_range.count, 1)}
               for pid, ports in self.ports_by_pid[:TOP_PIDS]]
        return {
            "range": {"start": self.port_range.start, "count": self.port_range.count, "end": self.port_range.end},
            "excluded": {"total": self.excluded, "administered": self.excluded_administered, "system": self.excluded_system,
                         "winnat": self.excluded_winnat},
            "in_use": {"total": self.in_use, "by_state": dict(self.in_use_by_state), "top_pids": top},
            "free": self.free,
            "usable": self.usable,
            "percent_free": self.percent_free,
            "time_wait_seconds": self.time_wait_seconds,
            "connections_per_second": self.connections_per_second,
            "listeners_in_range": {"count": len(self.listeners_in_range),
                                   "ports": [{"port": port, "pid": pid} for port, pid in self.listeners_in_range[:LISTENERS_LISTED]]},
            "connection_rows": {"total": self.rows, "by_state": dict(self.rows_by_state)},
        }


def connection_combo(conn: ParsedConnection) -> Combo:
    return (f"ipv{conn.ip_version}", conn.protocol.lower())


def row_state(conn: ParsedConnection) -> str:
    return UDP_STATE if conn.protocol.upper() == "UDP" else (conn.state or "UNKNOWN")


def _covered(port_range: PortRange, rows: t.Iterable[Exclusion]) -> set[int]:
    ports: set[int] = set()
    for row in rows:
        first, last = max(port_range.start, row.range.start), min(port_range.end, row.range.end)
        ports.update(range(first, last + 1))
    return ports


def _sorted_counts(counter: collections.Counter) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def range_capacity(combo: Combo, port_range: PortRange, exclusions: t.Sequence[Exclusion],
                   connections: t.Sequence[ParsedConnection], time_wait_seconds: int) -> RangeCapacity:
    """Count one range. ``connections`` may hold every row of the table; other protocols and IP versions are skipped."""
    administered = _covered(port_range, (row for row in exclusions if row.administered))
    system = _covered(port_range, (row for row in exclusions if not row.administered)) - administered
    winnat = _covered(port_range, (row for row in exclusions if is_winnat_block(row))) - administered
    excluded = administered | system

    holders: dict[int, tuple[str, int | None]] = {}
    listeners: dict[int, int | None] = {}
    rows = 0
    rows_by_state: collections.Counter = collections.Counter()
    for conn in connections:
        if connection_combo(conn) != combo:
            continue
        rows += 1
        state = row_state(conn)
        rows_by_state[state] += 1
        port = conn.local_port
        if port not in port_range:
            continue
        if conn.protocol.upper() == "TCP" and conn.is_listener:
            listeners.setdefault(port, conn.pid)
        if port in excluded:
            continue
        held = holders.get(port)
        if held is None or _RANK.get(state, len(_RANK)) < _RANK.get(held[0], len(_RANK)):
            holders[port] = (state, conn.pid)

    by_state: collections.Counter = collections.Counter(state for state, _pid in holders.values())
    by_pid: collections.Counter = collections.Counter(pid if pid is not None else -1 for _state, pid in holders.values())
    return RangeCapacity(
        combo=combo,
        port_range=port_range,
        excluded_administered=len(administered),
        excluded_system=len(system),
        excluded_winnat=len(winnat),
        in_use_by_state=_sorted_counts(by_state),
        ports_by_pid=tuple(sorted(by_pid.items(), key=lambda item: (-item[1], item[0]))),
        listeners_in_range=tuple(sorted(listeners.items())),
        rows=rows,
        rows_by_state=_sorted_counts(rows_by_state),
        time_wait_seconds=time_wait_seconds if combo[1] == "tcp" else None,
    )


def host_capacity(snapshot: HostSnapshot, time_wait_seconds: int | None = None) -> dict[Combo, RangeCapacity]:
    """Capacity of every range the snapshot read (an empty dict on hosts without netsh dynamic ranges)."""
    seconds = time_wait(snapshot).seconds if time_wait_seconds is None else time_wait_seconds
    connections = snapshot.connections or ()
    return {combo: range_capacity(combo, port_range, snapshot.exclusions.get(combo, ()), connections, seconds)
            for combo, port_range in snapshot.ranges.items()}
