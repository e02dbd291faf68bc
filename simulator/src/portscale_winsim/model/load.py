# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load: the connections that occupy ports, from a preset name or a dict, placed deterministically.

Steady-state model of an app with churn R new connections/s: TIME_WAIT rows = min(R × effective TcpTimedWaitDelay,
free ports) [INF from docs/windows-facts.md §8 arithmetic]; TIME_WAIT rows show PID 0 [OBS-H, docs/windows-facts.md §6.1].
Remote addresses are TEST-NET (RFC 5737) / documentation (RFC 3849) addresses.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import random

from . import ports as portmath
from .serial import from_jsonable
from .state import AppLoad, ConnectionGroup, LoadSpec, PortRange

# Typical listeners of a Windows server [OBS-H for 135/445/5985/47001 and RPC 49664+ in netstat captures; PIDs INF].
# (protocol, port, pid, IPv6 too)
FIXED_SYSTEM_LISTENERS = (
    ("tcp", 135, 1044, True),     # RpcSs (svchost)
    ("tcp", 445, 4, True),        # SMB (System)
    ("tcp", 5985, 4, True),       # WinRM over HTTP.sys (System)
    ("tcp", 47001, 4, True),      # WinRM default HTTP.sys listener (System)
    ("udp", 123, 1400, True),     # W32Time
    ("udp", 500, 2980, True),     # IKEEXT
    ("udp", 4500, 2980, True),    # IKEEXT
    ("udp", 5353, 1832, True),    # Dnscache (mDNS)
    ("udp", 5355, 1832, True),    # Dnscache (LLMNR)
)
# RPC endpoint listeners take ports inside the dynamic range at boot; on the default range they are 49664–49669,
# i.e. start + 512 [OBS-H ports; the "+512" rule is INF].
RPC_LISTENER_PIDS = (712, 560, 1236, 1580, 2264, 696)   # lsass, wininit, EventLog, Schedule, spoolsv, services
RPC_OFFSET = 512
# Two UDP client sockets of the DNS client inside the UDP dynamic range [INF].
DNS_CLIENT_PID = 1832
DNS_CLIENT_UDP_SOCKETS = 2

PRESETS: dict[str, LoadSpec] = {
    "none": LoadSpec(preset="none", system=False),
    "idle": LoadSpec(preset="idle", system=True),
    # On the default range: 6 RPC + 2000 ESTABLISHED + 20 BOUND + 100/s × 120 s = 12000 TIME_WAIT → about 2,350 free
    # ports, so a probe of ~4000 sockets fails with 10055.
    # The application is an IIS worker process talking to SQL Server on 1433 (its image name is the simulator's choice [INF]).
    "busy": LoadSpec(preset="busy", system=True, apps=[
        AppLoad(pid=3120, listen=[8080], established=2000, churn_per_sec=100.0, remote="192.0.2.10:1433", bound=20, image="w3wp.exe"),
    ]),
    # Far more demand than the default range holds: the range is exhausted (and the host logs Tcpip 4231/4227, host.py).
    "heavy": LoadSpec(preset="heavy", system=True, apps=[
        AppLoad(pid=3120, listen=[8080], established=4000, churn_per_sec=400.0, remote="192.0.2.10:1433", bound=50, image="w3wp.exe"),
        AppLoad(pid=4188, established=500, churn_per_sec=50.0, remote="198.51.100.20:443", image="node.exe"),
    ]),
}


# The processes behind the PIDs above, for ``tasklist``: (image, pid, session name, session number, memory in K).
# Image names of the Windows services are the usual ones (RpcSs, W32Time, IKEEXT, Dnscache and Schedule run in
# svchost.exe) [INF: PIDs are the simulator's]; "System Idle Process" 0 and "System" 4 head every real listing [OBS-M].
SYSTEM_PROCESSES = (
    ("System Idle Process", 0, "Services", 0, 8),
    ("System", 4, "Services", 0, 148),
    ("smss.exe", 388, "Services", 0, 1168),
    ("csrss.exe", 492, "Services", 0, 5304),
    ("wininit.exe", 560, "Services", 0, 6844),
    ("services.exe", 696, "Services", 0, 10012),
    ("lsass.exe", 712, "Services", 0, 21436),
    ("svchost.exe", 1044, "Services", 0, 24120),
    ("svchost.exe", 1236, "Services", 0, 11276),
    ("svchost.exe", 1400, "Services", 0, 7408),
    ("svchost.exe", 1580, "Services", 0, 15864),
    ("svchost.exe", 1832, "Services", 0, 9736),
    ("spoolsv.exe", 2264, "Services", 0, 13448),
    ("svchost.exe", 2980, "Services", 0, 8232),
)


def process_table(spec: LoadSpec) -> list[tuple[str, int, str, int, int]]:
    """What tasklist lists: the system processes, then one row per application of the load (first image name per PID)."""
    rows = list(SYSTEM_PROCESSES)
    seen = {row[1] for row in rows}
    for app in spec.apps:
        if app.pid in seen:
            continue
        seen.add(app.pid)
        rows.append((app.image or f"app{app.pid}.exe", app.pid, "Services", 0, 65536 + 16 * (app.established + app.bound)))
    return rows


def parse_load(load) -> LoadSpec:
    """A preset name, or a dict ``{"preset"?: name, "system"?: bool, "apps"?: [AppLoad fields...]}``."""
    if isinstance(load, str):
        if load not in PRESETS:
            raise ValueError(f"unknown load preset {load!r}; choose one of {', '.join(sorted(PRESETS))}")
        return copy.deepcopy(PRESETS[load])
    if not isinstance(load, dict):
        raise ValueError(f"load must be a preset name or a dict, not {type(load).__name__}")
    unknown = set(load) - {"preset", "system", "apps"}
    if unknown:
        raise ValueError(f"load: unknown keys {sorted(unknown)}")
    spec = parse_load(load["preset"]) if "preset" in load else LoadSpec(preset=None, system=True)
    if "system" in load:
        spec.system = from_jsonable(bool, load["system"], "load.system")
    spec.apps += from_jsonable(list[AppLoad], load.get("apps", []), "load.apps")
    for index, app in enumerate(spec.apps):
        _check_app(app, f"load.apps[{index}]")
    return spec


def _check_app(app: AppLoad, where: str) -> None:
    if app.ip_version not in (4, 6):
        raise ValueError(f"{where}.ip_version must be 4 or 6")
    if any(not 1 <= port <= 65535 for port in app.listen):
        raise ValueError(f"{where}.listen ports must be 1..65535")
    if app.established < 0 or app.bound < 0 or app.churn_per_sec < 0:
        raise ValueError(f"{where}: established, bound and churn_per_sec must be >= 0")
    if app.image is not None and (not app.image or len(app.image) > 64 or any(c in app.image for c in '"\\/\r\n')):
        raise ValueError(f"{where}.image must be a file name of 1 to 64 characters without quotes or slashes")
    parse_remote(app.remote, app.ip_version, where)


def parse_remote(remote: str, ip_version: int, where: str = "remote") -> tuple[str, int]:
    """``192.0.2.10:1433`` or ``[2001:db8::10]:443`` → (address, port), checked against the IP version."""
    if remote.startswith("["):
        address, dummy, port_text = remote[1:].partition("]:")
    else:
        address, dummy, port_text = remote.rpartition(":")
    try:
        parsed = ipaddress.ip_address(address)
        port = int(port_text)
    except ValueError:
        raise ValueError(f"{where}.remote {remote!r} is not ADDRESS:PORT") from None
    if parsed.version != ip_version or not 1 <= port <= 65535:
        raise ValueError(f"{where}.remote {remote!r} does not match ip_version {ip_version}")
    return str(parsed), port


@dataclasses.dataclass
class Placement:
    """Inputs of a placement: ranges are the *current active* ones, exclusions and rows placed so far."""

    ranges: dict[str, PortRange]
    exclusions: list
    connections: list[ConnectionGroup]
    ipv4_address: str
    ipv6_address: str
    with_ipv6: bool
    rng: random.Random
    # (state, pid) of each group that wanted more ports than were free: the load ran out of ports.
    shortfalls: list[tuple[str, int]] = dataclasses.field(default_factory=list)

    def flags(self, ip_version: int, protocol: str) -> bytearray:
        return portmath.occupied_map(self.exclusions, self.connections, ip_version, protocol)

    def any_address(self, ip_version: int) -> str:
        return "0.0.0.0" if ip_version == 4 else "::"


def place_system(spec: LoadSpec, place: Placement) -> None:
    """System listeners: fixed well-known ports, then RPC listeners at range start + 512 and DNS client UDP sockets."""
    if not spec.system:
        return
    versions = (4, 6) if place.with_ipv6 else (4,)
    for ip_version in versions:
        for protocol, port, pid, has_v6 in FIXED_SYSTEM_LISTENERS:
            if ip_version == 6 and not has_v6:
                continue
            _add_listener(place, protocol, ip_version, port, pid)
        dyn = place.ranges[f"ipv{ip_version}/tcp"]
        flags = place.flags(ip_version, "tcp")
        offset = min(RPC_OFFSET, dyn.count // 4)
        # Skip the ports applications listen on, so a load that listens inside the range stays valid at every boot.
        app_ports = {port for app in spec.apps if app.ip_version == ip_version for port in app.listen}
        candidates = [p for p in range(dyn.start + offset, dyn.end + 1) if not flags[p] and p not in app_ports]
        for pid, port in zip(RPC_LISTENER_PIDS, candidates):
            _add_listener(place, "tcp", ip_version, port, pid)
        udp = place.ranges[f"ipv{ip_version}/udp"]
        free_udp = portmath.free_in_range(udp, place.flags(ip_version, "udp"))
        chosen = sorted(place.rng.sample(free_udp, min(DNS_CLIENT_UDP_SOCKETS, len(free_udp))))
        if chosen:
            place.connections.append(ConnectionGroup("udp", ip_version, place.any_address(ip_version), "", None, "", DNS_CLIENT_PID, chosen))


def place_apps(spec: LoadSpec, place: Placement, time_wait_delay: int) -> None:
    """Applications: listeners, then ESTABLISHED, BOUND and TIME_WAIT client ports, each bounded by the free ports."""
    for app in spec.apps:
        ip_version = app.ip_version
        if ip_version == 6 and not place.with_ipv6:
            continue
        for port in app.listen:
            _check_bindable(place, "tcp", ip_version, port)
            _add_listener(place, "tcp", ip_version, port, app.pid)
        remote_address, remote_port = parse_remote(app.remote, ip_version)
        local = _local_address(place, ip_version, remote_address)
        dyn = place.ranges[f"ipv{ip_version}/tcp"]
        flags = place.flags(ip_version, "tcp")
        time_wait = int(app.churn_per_sec * time_wait_delay)
        reusable = app.implicit_bind
        wanted = (
            (app.established, local, remote_address, remote_port, "ESTABLISHED", app.pid, reusable),
            (app.bound, place.any_address(ip_version), place.any_address(ip_version), 0, "BOUND", app.pid, False),
            (time_wait, local, remote_address, remote_port, "TIME_WAIT", 0, reusable),
        )
        # Each group takes ports nobody holds yet, also for an implicit-bind app: which port Windows picks first when
        # it could reuse one is not documented [INF], and disjoint ports are a state any allocator can produce.
        for count, local_address, raddr, rport, state, pid, shares in wanted:
            if count <= 0:
                continue
            free = portmath.free_in_range(dyn, flags)
            if count > len(free):
                place.shortfalls.append((state, app.pid))
            chosen = sorted(place.rng.sample(free, min(count, len(free))))
            if chosen:
                portmath.mark(flags, chosen)
                place.connections.append(ConnectionGroup("tcp", ip_version, local_address, raddr, rport, state, pid, chosen, shares))


def _local_address(place: Placement, ip_version: int, remote_address: str) -> str:
    if ipaddress.ip_address(remote_address).is_loopback:
        return "127.0.0.1" if ip_version == 4 else "::1"
    return place.ipv4_address if ip_version == 4 else place.ipv6_address


def _check_bindable(place: Placement, protocol: str, ip_version: int, port: int) -> None:
    """An application's explicit bind: refused inside a Hyper-V/WinNAT/HNS block (WSAEACCES 10013 with nobody listening
    [OBS-H, docs/windows-facts.md §3.5: microsoft/WSL#5514, docker/for-win#3171]); allowed inside an administered (``*``) exclusion,
    which only keeps Windows from handing the ports out as ephemeral ports [DOC KB 3039044: the first bind to an
    excluded port works, only a second SO_REUSEADDR bind failed on 2008 R2-2012 R2; OBS-H microsoft/msquic#2891 on
    50000-50059 ``*``: "Binding a socket to this port works without issues"]."""
    for row in place.exclusions:
        if row.kind == "winnat" and row.protocol == protocol and row.ip_version == ip_version and row.start <= port <= row.end:
            raise ValueError(f"load: {protocol} port {port} (IPv{ip_version}) is inside the Hyper-V/WinNAT reservation {row.start}-{row.end}; "
                             "binding it fails with 10013 (WSAEACCES) on Windows, so no application can listen there")


def _add_listener(place: Placement, protocol: str, ip_version: int, port: int, pid: int) -> None:
    for group in place.connections:
        if group.protocol == protocol and group.ip_version == ip_version and port in group.ports and group.state in ("LISTENING", ""):
            raise ValueError(f"load: {protocol} port {port} (IPv{ip_version}) is already listened on by PID {group.pid}")
    any_address = place.any_address(ip_version)
    if protocol == "tcp":
        place.connections.append(ConnectionGroup("tcp", ip_version, any_address, any_address, 0, "LISTENING", pid, [port]))
    else:
        place.connections.append(ConnectionGroup("udp", ip_version, any_address, "", None, "", pid, [port]))
