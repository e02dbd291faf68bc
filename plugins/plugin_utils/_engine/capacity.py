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

The connection table is the one ``netstat -ano`` prints. A port counts as in use whatever its local address.

Per destination. ``free`` is a floor that holds towards every destination. A TCP connection is unique by its 4-tuple,
and TIME_WAIT "prevents other connections from using that protocol, source Internet Protocol (IP) address, destination
IP address, source port, and destination port" (MSDN ms819739, "TIME-WAIT delay"), nothing more. Where
SO_REUSE_UNICASTPORT exists (Windows 10 / Server 2016 and later; 8.1 / 2012 R2 with KB 3149157, 8 / 2012 with hotfix
3014399), "connection functions with an implicit bind (such as connect without an explicit bind) have this option set
by default" (SOL_SOCKET socket options), and the option makes Windows "postpone port allocation until connection time
when the 4-tuple (quadruple) for the connection is known" (KB 3149157). A new connection towards a destination may then
also get a port that connections to *other* destinations hold (ESTABLISHED or TIME_WAIT), when their sockets allow it;
netstat does not show which sockets do, and Set-NetTCPSetting documents an auto-reuse port range that, at 0, "is
disabled ... even if SO_REUSE_UNICASTPORT is set on a socket". So the figures are bounds, per destination (remote
address and port): at least ``free``; at most ``free`` plus the ports held only by connections, minus those that already
serve that destination (``per_destination`` in ``to_dict``).
"""

from __future__ import annotations

import collections
import dataclasses
import typing as t

from .._windows.facts import DEFAULT_TIME_WAIT_SECONDS, REUSE_BUILT_IN_BUILD, REUSE_UPDATE_BUILD, timed_wait_delay_limits
from .._windows.host import Combo, Exclusion, HostSnapshot
from .._windows.parsers import ParsedConnection
from .._windows.ports import PortRange
from .reboot_state import IN_EFFECT, PENDING, describe_pending, value_state

UDP_STATE = "UDP"                        # UDP sockets have no state; they are counted under this name
TOP_PIDS = 5
LISTENERS_LISTED = 100
TOP_DESTINATIONS = 5

# Where SO_REUSE_UNICASTPORT exists, by build (facts.REUSE_BUILT_IN_BUILD, facts.REUSE_UPDATE_BUILD).
PORT_REUSE_BUILT_IN = "built_in"
PORT_REUSE_WITH_UPDATE = "with_update"
PORT_REUSE_NONE = "none"

# When several rows share a port, the port is counted under the state of the row that holds it longest: a port
# with a listener or a live connection is not freed when a TIME_WAIT row on it expires.
STATE_PRIORITY = ("LISTENING", "BOUND", "ESTABLISHED", "SYN_SENT", "SYN_RECEIVED", "CLOSE_WAIT", "FIN_WAIT_1", "FIN_WAIT_2",
                  "CLOSING", "LAST_ACK", "UNKNOWN", "CLOSED", "DELETE_TCB", UDP_STATE, "TIME_WAIT")
_RANK = {state: rank for rank, state in enumerate(STATE_PRIORITY)}


def port_reuse(os_build: int | None) -> str:
    """Whether Windows build ``os_build`` can share an ephemeral port between connections whose 4-tuples differ."""
    if os_build is None or os_build < REUSE_UPDATE_BUILD:
        return PORT_REUSE_NONE
    return PORT_REUSE_BUILT_IN if os_build >= REUSE_BUILT_IN_BUILD else PORT_REUSE_WITH_UPDATE


def destination_text(address: str, port: int | None) -> str:
    """``192.0.2.10:1433``, ``[2001:db8::10]:443``: a remote endpoint as the results name it."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


@dataclasses.dataclass(frozen=True)
class TimeWait:
    seconds: int
    source: str  # "registry" or "default"
    note: str
    pending_seconds: int | None = None   # after the next boot, when a written TcpTimedWaitDelay waits for it
    state: str = "unknown"               # reboot_state.py: "pending", "in_effect" or "unknown"


def _time_wait_of(value: int | None, os_build: int | None) -> TimeWait:
    """The TIME_WAIT a TcpTimedWaitDelay value gives on Windows build ``os_build``, as far as the registry tells."""
    if value is None:
        return TimeWait(DEFAULT_TIME_WAIT_SECONDS, "default", "TcpTimedWaitDelay is not set: Windows keeps TIME_WAIT for 120 s.")
    low, high = timed_wait_delay_limits(os_build)
    if not low <= value <= high:
        return TimeWait(DEFAULT_TIME_WAIT_SECONDS, "default",
                        f"TcpTimedWaitDelay={value} is outside {low}-{high}; assuming the 120 s default.")
    return TimeWait(value, "registry",
                    f"TcpTimedWaitDelay={value} (from the registry): in effect only if the host has rebooted since it was written; "
                    "the running value cannot be read.")


def time_wait(snapshot: HostSnapshot) -> TimeWait:
    """How long a closed outbound TCP port stays unusable now: the TcpTimedWaitDelay the running TCP/IP stack uses, never
    one written since the last boot (reboot_state.py), which only says when the host will change."""
    state = value_state(snapshot, "TcpTimedWaitDelay")
    now = _time_wait_of(state.effective, snapshot.os_build)
    if state.state == PENDING:
        later = _time_wait_of(state.value, snapshot.os_build).seconds
        return dataclasses.replace(now, pending_seconds=later, state=PENDING, note=(
            f"{describe_pending(state)} Closed connections stay in TIME_WAIT {now.seconds} s until then, {later} s after it."))
    if state.state == IN_EFFECT and state.value is not None and now.source == "registry":
        return dataclasses.replace(now, state=IN_EFFECT, note=f"TcpTimedWaitDelay={state.value} (from the registry) is in effect: {state.reason}.")
    return dataclasses.replace(now, state=state.state)


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
    # Ports in use held only by connection rows (a remote endpoint: any state but LISTENING and BOUND, TIME_WAIT
    # included): the ports a connection to another destination may share where Windows reuses ports. 0 for UDP.
    reusable: int = 0
    # (destination, reusable ports with at least one row towards it), most first.
    destination_ports: tuple[tuple[str, int], ...] = ()
    port_reuse: str = PORT_REUSE_NONE      # port_reuse(os_build)

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
        """New outbound connections per second to one destination (remote address and port) the range sustains at least
        when the client closes first: each one keeps its port towards that destination for TIME_WAIT seconds."""
        if self.time_wait_seconds is None:
            return None
        return round(self.free / self.time_wait_seconds, 1)

    def ports_towards(self, destination: str) -> int:
        """Reusable ports that already serve ``destination`` (they cannot serve it again while a row holds them)."""
        return dict(self.destination_ports).get(destination, 0)

    def ports_at_most(self, destination: str | None = None) -> int:
        """The most ports a new connection to ``destination`` (None: one no connection in the range goes to) can get:
        the free ports, plus, where Windows may reuse ports, those held only by connections to other destinations."""
        if self.port_reuse == PORT_REUSE_NONE:
            return self.free
        return self.free + self.reusable - (self.ports_towards(destination) if destination else 0)

    def per_destination(self) -> dict[str, t.Any] | None:
        """The capacity figures for what they are: bounds per destination (None for UDP)."""
        if self.time_wait_seconds is None:
            return None
        most = self.ports_at_most()
        return {
            "ports_at_least": self.free,
            "ports_at_most": most,
            "reusable_ports": self.reusable,
            "port_reuse": self.port_reuse,
            "destinations": len(self.destination_ports),
            "top_destinations": [{"destination": name, "ports": ports, "ports_at_most": self.ports_at_most(name)}
                                 for name, ports in self.destination_ports[:TOP_DESTINATIONS]],
            "connections_per_second_at_least": self.connections_per_second,
            "connections_per_second_at_most": round(most / self.time_wait_seconds, 1),
        }

    def to_dict(self) -> dict[str, t.Any]:
        top = [{"pid": pid, "ports": ports, "percent_of_range": round(100.0 * ports / self.port_range.count, 1)}
               for pid, ports in self.ports_by_pid[:TOP_PIDS]]
        return {
            "range": self.port_range.to_dict(),
            "excluded": {"total": self.excluded, "administered": self.excluded_administered, "system": self.excluded_system,
                         "winnat": self.excluded_winnat},
            "in_use": {"total": self.in_use, "by_state": dict(self.in_use_by_state), "top_pids": top},
            "free": self.free,
            "usable": self.usable,
            "percent_free": self.percent_free,
            "time_wait_seconds": self.time_wait_seconds,
            "connections_per_second": self.connections_per_second,
            "per_destination": self.per_destination(),
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


def _has_destination(conn: ParsedConnection) -> bool:
    """A TCP row with a remote endpoint: a connection in any state (TIME_WAIT included), not a listener or BOUND socket."""
    return conn.protocol.upper() == "TCP" and not conn.is_listener and conn.state != "BOUND" and conn.remote_port not in (0, None)


def range_capacity(combo: Combo, port_range: PortRange, exclusions: t.Sequence[Exclusion],  # pylint: disable=too-many-locals
                   connections: t.Sequence[ParsedConnection], time_wait_seconds: int, os_build: int | None = None) -> RangeCapacity:
    """Count one range. ``connections`` may hold every row of the table; other protocols and IP versions are skipped.
    ``os_build`` decides whether ports held by connections may be reused towards other destinations (None: not)."""
    administered = _covered(port_range, (row for row in exclusions if row.administered))
    system = _covered(port_range, (row for row in exclusions if not row.administered)) - administered
    winnat = _covered(port_range, (row for row in exclusions if row.winnat_block)) - administered
    excluded = administered | system

    holders: dict[int, tuple[str, int | None]] = {}
    listeners: dict[int, int | None] = {}
    held_alone: set[int] = set()                       # a listener, BOUND socket or UDP socket holds the port
    towards: dict[int, set[str]] = {}                  # port -> destinations its connection rows go to
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
        if _has_destination(conn):
            towards.setdefault(port, set()).add(destination_text(conn.remote_address, conn.remote_port))
        else:
            held_alone.add(port)
        held = holders.get(port)
        if held is None or _RANK.get(state, len(_RANK)) < _RANK.get(held[0], len(_RANK)):
            holders[port] = (state, conn.pid)
    reusable = {port: names for port, names in towards.items() if port not in held_alone}
    per_destination: collections.Counter = collections.Counter(name for names in reusable.values() for name in names)

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
        reusable=len(reusable) if combo[1] == "tcp" else 0,
        destination_ports=tuple(sorted(per_destination.items(), key=lambda item: (-item[1], item[0]))) if combo[1] == "tcp" else (),
        port_reuse=port_reuse(os_build) if combo[1] == "tcp" else PORT_REUSE_NONE,
    )


def host_capacity(snapshot: HostSnapshot, time_wait_seconds: int | None = None) -> dict[Combo, RangeCapacity]:
    """Capacity of every range the snapshot read (an empty dict on hosts without netsh dynamic ranges)."""
    seconds = time_wait(snapshot).seconds if time_wait_seconds is None else time_wait_seconds
    connections = snapshot.connections or ()
    return {combo: range_capacity(combo, port_range, snapshot.exclusions.get(combo, ()), connections, seconds, snapshot.os_build)
            for combo, port_range in snapshot.ranges.items()}
