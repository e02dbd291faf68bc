# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pieces of host state, as plain dataclasses (JSON round-trip through model/serial.py)."""

from __future__ import annotations

import dataclasses

IP_VERSIONS = (4, 6)
PROTOCOLS = ("tcp", "udp")

# The Vista+ default for all four dynamic ranges [DOC KB 929851, docs/windows-facts.md §5.1].
DEFAULT_START = 49152
DEFAULT_COUNT = 16384
# TIME_WAIT seconds when TcpTimedWaitDelay is absent [DOC + OBS-M, docs/windows-facts.md §5.3].
DEFAULT_TIME_WAIT = 120
# Server 2003's range end when MaxUserPort is absent [DOC KB 196271, docs/windows-facts.md §5.2].
LEGACY_DEFAULT_MAX_USER_PORT = 5000


def range_key(ip_version: int, protocol: str) -> str:
    """Key of one of the four dynamic ranges / exclusion tables, e.g. ``ipv4/tcp``."""
    return f"ipv{ip_version}/{protocol}"


@dataclasses.dataclass
class PortRange:
    """A run of ports: start and number of ports, as netsh shows them."""

    start: int
    count: int

    @property
    def end(self) -> int:
        return self.start + self.count - 1

    def contains(self, port: int) -> bool:
        return self.start <= port <= self.end


@dataclasses.dataclass
class DynamicRange:
    """One of the four ranges: the persistent store and the running (active) value."""

    persistent: PortRange
    active: PortRange


@dataclasses.dataclass
class Exclusion:
    """One row of ``netsh int ipvX show excludedportrange``.

    kind: ``administered`` (a ``*`` row, ours to manage), ``system`` (HTTP.sys/WinRM single ports) or ``winnat``
    (Hyper-V/WinNAT 100-port blocks). Only administered rows can be active-only (``persistent=False``).
    """

    ip_version: int
    protocol: str
    start: int
    end: int
    kind: str
    persistent: bool = True

    @property
    def administered(self) -> bool:
        return self.kind == "administered"

    def overlaps(self, start: int, end: int) -> bool:
        return self.start <= end and start <= self.end


@dataclasses.dataclass
class RegistryValue:
    """A value under Tcpip\\Parameters; ``data`` is an int for REG_DWORD, a list for REG_MULTI_SZ, else a str."""

    name: str
    type: str
    data: int | str | list[str]


@dataclasses.dataclass
class EffectiveTcp:
    """What the TCP/IP driver read from the registry at the last boot (registry writes wait for the next one)."""

    time_wait_delay: int = DEFAULT_TIME_WAIT
    max_user_port: int | None = None


@dataclasses.dataclass
class ConnectionGroup:
    """Rows of the connection table that differ only by local port (one listener, or N client sockets of one app).

    ``remote_address``/``remote_port`` are ``0.0.0.0``/``0`` (``::``/0) for listeners and BOUND sockets, and empty/None
    for UDP (netstat prints ``*:*``). ``state`` is the English netstat word (``""`` for UDP).

    ``reusable``: client connections whose sockets connected without an explicit bind, so on a host where
    SO_REUSE_UNICASTPORT exists their ports may also serve a connection with another 4-tuple (probe.py). Listeners,
    BOUND sockets and clients that bound to port 0 before connecting hold their ports alone. Not shown by netstat.
    """

    protocol: str
    ip_version: int
    local_address: str
    remote_address: str
    remote_port: int | None
    state: str
    pid: int
    ports: list[int]
    reusable: bool = False


@dataclasses.dataclass
class AppLoad:
    """One application's port use (the dict form of a load)."""

    pid: int
    listen: list[int] = dataclasses.field(default_factory=list)
    established: int = 0
    churn_per_sec: float = 0.0
    remote: str = "192.0.2.10:1433"
    bound: int = 0
    ip_version: int = 4
    # True: the app's client sockets connect() without an explicit bind, which has SO_REUSE_UNICASTPORT set by default
    # where the option exists [DOC, SOL_SOCKET socket options], so their ESTABLISHED and TIME_WAIT ports are
    # ``reusable``. False (every preset): they bind to port 0 first, as .NET's ConnectEx path does
    # (dotnet/runtime#47531), and hold their ports alone.
    implicit_bind: bool = False
    # The image name tasklist shows for the process (None: ``app<pid>.exe``, the simulator's own name) [INF].
    image: str | None = None


@dataclasses.dataclass
class LoadSpec:
    """What occupies ports: the system listeners (or not) and applications. ``preset`` is informational."""

    preset: str | None = None
    system: bool = True
    apps: list[AppLoad] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class InjectedFault:
    """A native command that must fail: matches when ``match`` (lower case) is a substring of the normalised command line."""

    match: str
    exit_code: int
    stdout_hex: str = ""
    stderr_hex: str = ""
    times: int | None = None


@dataclasses.dataclass
class TcpipEvent:
    """One System-log event of the provider Tcpip (4227 or 4231), written when a load ran out of ports (model/host.py)."""

    event_id: int
    time_ms: int          # UTC, milliseconds since the Unix epoch
    record_id: int
