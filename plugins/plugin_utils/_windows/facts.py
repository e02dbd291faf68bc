# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every Windows limit, default and build boundary the collection relies on, in one place.

Each value cites its section of docs/windows-facts.md. Values that are the collection's own choices (batch sizes, finding
thresholds, the probe's bounds) live with the code that chooses them, not here.
"""

from __future__ import annotations

# Ports and the dynamic port range (docs/windows-facts.md §2.3, §5.1): netsh refuses a start below 1025, fewer than 255 ports and an end past
# 65535. Vista / Server 2008 and later default to 49152 with 16384 ports, per IP version and protocol.
PORT_MIN = 1
PORT_MAX = 65535
DYNAMIC_START_MIN = 1025
DYNAMIC_COUNT_MIN = 255
DEFAULT_DYNAMIC_START = 49152
DEFAULT_DYNAMIC_COUNT = 16384
IP_VERSIONS = ("ipv4", "ipv6")
PROTOCOLS = ("tcp", "udp")

# Windows Vista / Server 2008 is build 6000: the first with netsh dynamic ranges (before it, MaxUserPort governs) and
# with integrity levels in a token (whoami /groups) (docs/windows-facts.md §14.1).
FIRST_DYNAMICPORT_BUILD = 6000

# The Tcpip\Parameters values the collection manages and reads (docs/windows-facts.md §4, §5.2, §5.3); Windows reads both only at boot, and
# only as REG_DWORDs.
TCPIP_DWORD_VALUES = ("MaxUserPort", "TcpTimedWaitDelay")

# MaxUserPort (docs/windows-facts.md §5.2): valid 5000-65534 [KB 196271]. Before Vista the outbound TCP ports are 1025..MaxUserPort
# (default 5000); on Vista and later a MaxUserPort value rewrites the TCP dynamic range at boot to 1024..MaxUserPort
# [OBS-M: one Windows 11 measurement; Server 2019 and later not verified].
MAX_USER_PORT_LIMITS = (5000, 65534)
LEGACY_DEFAULT_MAX_USER_PORT = 5000
LEGACY_RANGE_START = 1025
MAX_USER_PORT_BOOT_START = 1024

# TcpTimedWaitDelay in seconds (docs/windows-facts.md §5.3): 30-300 on Windows 8 / Server 2012 and earlier, 2-300 from Windows 8.1 /
# Server 2012 R2 (build 9600); absent, TIME_WAIT lasts 120 s. A value outside the host's limits is ignored (the default
# applies) [INF from the documented limits].
TIMED_WAIT_DELAY_LIMITS_LEGACY = (30, 300)
TIMED_WAIT_DELAY_LIMITS = (2, 300)
FIRST_SHORT_TIMED_WAIT_BUILD = 9600
DEFAULT_TIME_WAIT_SECONDS = 120


def timed_wait_delay_limits(os_build: int | None) -> tuple[int, int]:
    """The TcpTimedWaitDelay values Windows build ``os_build`` honours (None, a build not read yet: the widest, 2-300)."""
    if os_build is not None and os_build < FIRST_SHORT_TIMED_WAIT_BUILD:
        return TIMED_WAIT_DELAY_LIMITS_LEGACY
    return TIMED_WAIT_DELAY_LIMITS


# WinNAT/HNS reserve blocks of 100 ports inside the dynamic range (docs/windows-facts.md §3.5); smaller system rows are HTTP.sys/WinRM
# registrations.
WINNAT_BLOCK_MIN = 100

# SO_REUSE_UNICASTPORT, and with it the port reuse of connect() without an explicit bind (docs/windows-facts.md §7.3): built in
# from Windows 10 / Server 2016 (first build 10240); on Windows 8 / Server 2012 (9200) and 8.1 / 2012 R2 (9600) only
# with hotfix 3014399 / KB 3149157, which a read cannot see; not before.
REUSE_BUILT_IN_BUILD = 10240
REUSE_UPDATE_BUILD = 9200

# High Mandatory Level: the integrity SID of an elevated administrator's token (System is above it), the same text
# in every display language (docs/windows-facts.md §14.2).
ELEVATED_LABEL_SIDS = ("S-1-16-12288", "S-1-16-16384")

# The System log's Tcpip exhaustion events (docs/windows-facts.md §6.3 step 3, §12.1): 4227, a local endpoint still in TIME_WAIT towards the same
# remote one; 4231, no ephemeral port left.
TCPIP_EVENT_IDS = (4227, 4231)

# cmd.exe refuses a command line of more than 8191 characters ("The command line is too long.", docs/windows-facts.md §14.3).
CMD_LINE_LIMIT = 8191
