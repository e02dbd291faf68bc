# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Operating-system profiles: the few facts per Windows version that change what the simulator prints or does.

Version strings come from the well-known values of ``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion``
(CurrentVersion stays "6.3" from 2012 R2 on, and Windows 11 still calls itself "Windows 10 ..." in ProductName).
UBR numbers are plausible patch levels, not a claim about any particular month [INF], except ``win11-25h2``'s, which is
the build of the public sample its ``netsh ... show dynamicport`` layout comes from.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class OsProfile:
    """What differs between Windows versions for this simulator."""

    key: str
    product_name: str
    current_version: str
    build: int
    current_build: str
    ubr: int | None
    # Vista+ has `netsh int ipv4|ipv6 ... dynamicport|excludedportrange`; 2003 has neither (docs/windows-facts.md §5.1).
    legacy: bool
    # `netstat -q` (BOUND rows): Windows 10 / Server 2016 and later [DOC, docs/windows-facts.md §6.1].
    netstat_q: bool
    # TcpTimedWaitDelay lower bound: 2 on 2012 R2 / 8.1 and later, 30 before [DOC, docs/windows-facts.md §5.3].
    time_wait_min: int
    # The winnat driver (Hyper-V / WSL / Docker NAT reservations) ships with Windows 10 / Server 2016+ [INF].
    winnat: bool
    # SO_REUSE_UNICASTPORT built in: Windows 10 / Server 2016+ [DOC, docs/windows-facts.md §7.3]. Where it exists, connect() without an
    # explicit bind has it set by default ("connection functions with an implicit bind (such as connect without an
    # explicit bind) have this option set by default" [DOC, SOL_SOCKET socket options,
    # https://learn.microsoft.com/en-us/windows/win32/winsock/sol-socket-socket-options]); see probe.py.
    reuse_unicast_port: bool
    # SO_PORT_SCALABILITY: servers from 2008 on, no client SKU [DOC, docs/windows-facts.md §7.2].
    port_scalability: bool
    # HTTP.sys / WinRM single-port rows in excludedportrange (docs/windows-facts.md §3.5); none on 2008 R2 and 2003 [INF].
    system_excluded_ports: tuple[int, ...]
    # 2003 has no IPv6 stack by default, so its load has no IPv6 rows [INF].
    ipv6: bool
    major_minor: tuple[int, int] | None = None
    # The natives/texts.py entry ``netsh int ipvX show dynamicport`` prints. Every public capture up to Windows 11 25H2
    # build 10.0.26200.8246 pads the labels to a colon at column 16 (docs/windows-facts.md §1.2; microsoft/WSL#40984, a paste from
    # 10.0.26200.8246 [OBS-M]); 10.0.26200.8875 pads them to column 18 (``Start Port        : 1024``, microsoft/WSL#40984
    # [OBS-H]). Which update between the two changed it is not known [INF].
    dynamicport_text: str = "netsh.dynamicport"
    # The update that adds SO_REUSE_UNICASTPORT to an older build, None where the option is built in or has no update:
    # KB 3149157 on Windows 8.1 / Server 2012 R2 ("This new feature introduces the following two socket option settings
    # ... This option instructs the system to postpone port allocation until connection time when the 4-tuple
    # (quadruple) for the connection is known" [DOC, https://support.microsoft.com/help/3149157]); the same KB points
    # Windows 8 / Server 2012 to hotfix 3014399 (no profile here) [DOC].
    reuse_unicast_port_update: str | None = None
    # Whether a new host of the profile has that update (HostModel.reuse_unicast_port_update overrides it). False: the
    # 2012 R2 profile models a host without the 2016 TCP/IP updates, as its netstat without -q (KB 3123245) does; which
    # monthly rollups carry KB 3149157 is not in the sources read [INF].
    reuse_unicast_port_update_default: bool = False


def _modern(key: str, product: str, build: int, ubr: int, netstat_q: bool = True, port_scalability: bool = True,
            dynamicport_text: str = "netsh.dynamicport") -> OsProfile:
    return OsProfile(
        key=key, product_name=product, current_version="6.3", build=build, current_build=str(build), ubr=ubr,
        legacy=False, netstat_q=netstat_q, time_wait_min=2, winnat=True, reuse_unicast_port=True,
        port_scalability=port_scalability, system_excluded_ports=(5985, 47001), ipv6=True, major_minor=(10, 0),
        dynamicport_text=dynamicport_text,
    )


PROFILES: dict[str, OsProfile] = {
    "server2003": OsProfile(
        key="server2003", product_name="Microsoft Windows Server 2003", current_version="5.2", build=3790,
        # XP/2003 keep an obsolete string in CurrentBuild [INF].
        current_build="1.511.1 () (Obsolete data - do not use)", ubr=None,
        legacy=True, netstat_q=False, time_wait_min=30, winnat=False, reuse_unicast_port=False,
        port_scalability=False, system_excluded_ports=(), ipv6=False,
    ),
    "server2008r2": OsProfile(
        key="server2008r2", product_name="Windows Server 2008 R2 Standard", current_version="6.1", build=7601,
        current_build="7601", ubr=None,
        legacy=False, netstat_q=False, time_wait_min=30, winnat=False, reuse_unicast_port=False,
        port_scalability=True, system_excluded_ports=(), ipv6=True,
    ),
    "server2012r2": OsProfile(
        key="server2012r2", product_name="Windows Server 2012 R2 Standard", current_version="6.3", build=9600,
        current_build="9600", ubr=21620,
        legacy=False, netstat_q=False, time_wait_min=2, winnat=False, reuse_unicast_port=False,
        port_scalability=True, system_excluded_ports=(5985, 47001), ipv6=True, reuse_unicast_port_update="KB3149157",
    ),
    "server2016": _modern("server2016", "Windows Server 2016 Standard", 14393, 7070),
    "server2019": _modern("server2019", "Windows Server 2019 Standard", 17763, 6893),
    "server2022": _modern("server2022", "Windows Server 2022 Standard", 20348, 2849),
    "server2025": _modern("server2025", "Windows Server 2025 Standard", 26100, 2894),
    # Windows 11 reports "Windows 10 Pro" in ProductName (a well-known quirk) [INF]; no SO_PORT_SCALABILITY on clients [DOC].
    "win11": _modern("win11", "Windows 10 Pro", 22631, 4890, port_scalability=False),
    # A current Windows 11 (25H2, build 10.0.26200.8875 as in microsoft/WSL#40984): the wide dynamicport labels.
    "win11-25h2": _modern("win11-25h2", "Windows 10 Pro", 26200, 8875, port_scalability=False, dynamicport_text="netsh.dynamicport.wide"),
}


def get_profile(key: str) -> OsProfile:
    """Look a profile up by key, with a clear error listing the valid keys."""
    try:
        return PROFILES[key]
    except KeyError:
        raise ValueError(f"unknown OS profile {key!r}; choose one of {', '.join(sorted(PROFILES))}") from None
