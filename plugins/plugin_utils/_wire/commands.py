# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only native commands the collection sends to a host, built from validated integers and fixed words.

Nothing a user types is ever placed in a command: every builder checks its inputs against closed sets and
integer bounds, and ``NativeCommand`` checks every token once more against a strict character set, so a
bug in a caller cannot turn into an injection.
"""

from __future__ import annotations

import dataclasses
import re

from .._windows.facts import IP_VERSIONS, PORT_MAX, PORT_MIN, PROTOCOLS, TCPIP_DWORD_VALUES, TCPIP_EVENT_IDS
from .._windows.ports import PortRange

TCPIP_KEY = r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
OS_VERSION_KEY = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
STORES = ("active", "persistent")
NETSTAT_PROTOCOLS = ("tcp", "tcpv6", "udp", "udpv6")
# The host's boot identity: a REG_DWORD the kernel raises at every boot (docs/semantics.md, "Pending until the host
# reboots", for its sources and limits). Read only.
BOOT_ID_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management\PrefetchParameters"
BOOT_ID_VALUE = "BootId"
# The collection's own key: one REG_SZ per Tcpip\Parameters value it wrote, named like that value (the marker).
MARKER_KEY = r"HKLM\SOFTWARE\portscale.tcpip"
# boot=<BootId at the write>:effective=<value in effect then>:written=<value written>:known=<1 when the value in
# effect was known, 0 when assumed>; "absent" is the value's absence (Windows' default). The collection's own fixed
# words, not Windows output: nothing localized is parsed.
MARKER_DATA = re.compile(r"^boot=(?P<boot>[0-9]{1,10}):effective=(?P<effective>[0-9]{1,10}|absent)"
                         r":written=(?P<written>[0-9]{1,10}|absent):known=(?P<known>[01])$")
MARKER_ABSENT = "absent"

# The host's own record of port exhaustion (docs/windows-facts.md §12.1): the System log's events of the classic provider "Tcpip" [OBS-M:
# microsoft/AL#4468, Event Viewer's XML of a 4227, <Provider Name="Tcpip" />]. 4227: a connection failed because the
# local endpoint chosen was recently used towards the same remote endpoint (TIME_WAIT); 4231: "A request to allocate
# an ephemeral port number from the global TCP port space has failed due to all such ports being in use." [DOC:
# Microsoft "Troubleshoot port exhaustion issues" step 3; the message texts in netevent.h, WDK]. The IDs: facts.TCPIP_EVENT_IDS.
EVENTS_DAYS_LIMITS = (1, 365)
# wevtutil returns the newest events first (/rd:true) and at most this many per event ID (/c:), so a flood of events
# cannot make the read unbounded; the count is then a floor (``capped``).
EVENTS_MAX = 100
_DAY_MS = 86_400_000
# The one query shape: a validated event ID and a millisecond count, nothing else [DOC: Microsoft "Consuming Events",
# ``TimeCreated[timediff(@SystemTime) <= 86400000]``; the Azure troubleshooting docs run the same shape through
# ``wevtutil qe system /c:1 /f:text /q:"Event[System[Provider[@Name='...'] and EventID=... and TimeCreated[...]]]"``].
_EVENT_QUERY = re.compile(r"^/q:\*\[System\[Provider\[@Name='Tcpip'\] and EventID=(4227|4231) and "
                          r"TimeCreated\[timediff\(@SystemTime\) <= [0-9]{8,11}\]\]\]$")

# Letters, digits and the punctuation netsh/reg/netstat arguments need; a single space only inside the fixed
# registry paths above (rendered in single quotes). No quotes, $, backtick, ;, |, &, parentheses or braces.
_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9=_.:\\/-]+( [A-Za-z0-9=_.:\\/-]+)?$")
# The fixed paths with more than one space: allowed as these exact tokens only.
_FIXED_TOKENS = frozenset({BOOT_ID_KEY})


class UnsafeCommandError(ValueError):
    """A command token outside the fixed vocabulary (a bug in the caller, never user input)."""


@dataclasses.dataclass(frozen=True)
class NativeCommand:
    """One native program invocation. ``writes`` marks commands that change the host."""

    argv: tuple[str, ...]
    writes: bool = False

    def __post_init__(self) -> None:
        for token in self.argv:
            if token not in _FIXED_TOKENS and not _SAFE_TOKEN.match(token) and not _EVENT_QUERY.match(token):
                raise UnsafeCommandError(f"refusing to build a command with token {token!r}")

    def powershell(self) -> str:
        """The PowerShell statement that runs it (the call operator, tokens with a space single-quoted; the only quote a
        token may hold, the event query's ``'Tcpip'``, doubled as a single-quoted string needs)."""
        return "& " + " ".join("'" + t.replace("'", "''") + "'" if " " in t else t for t in self.argv)

    def __str__(self) -> str:
        return " ".join(f'"{t}"' if " " in t else t for t in self.argv)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise UnsafeCommandError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _check_port_range(port_range: PortRange) -> PortRange:
    if not isinstance(port_range.start, int) or not isinstance(port_range.count, int) or isinstance(port_range.start, bool):
        raise UnsafeCommandError(f"port range must hold integers, got {port_range!r}")
    if port_range.start < PORT_MIN or port_range.count < 1 or port_range.end > PORT_MAX:
        raise UnsafeCommandError(f"port range {port_range} is outside {PORT_MIN}-{PORT_MAX}")
    return port_range


def _store_token(store: str | None) -> tuple[str, ...]:
    """``show`` reads the active store unless asked for another one."""
    return () if store is None else (f"store={_check_choice('store', store, STORES)}",)


def show_dynamic_range(ip_version: str, protocol: str, store: str | None = None) -> NativeCommand:
    return NativeCommand(("netsh", "int", _check_choice("ip_version", ip_version, IP_VERSIONS), "show", "dynamicport",
                          _check_choice("protocol", protocol, PROTOCOLS)) + _store_token(store))


def set_dynamic_range(ip_version: str, protocol: str, port_range: PortRange, store: str = "persistent") -> NativeCommand:
    _check_port_range(port_range)
    return NativeCommand(
        ("netsh", "int", _check_choice("ip_version", ip_version, IP_VERSIONS), "set", "dynamicport",
         _check_choice("protocol", protocol, PROTOCOLS), f"start={port_range.start}", f"num={port_range.count}",
         f"store={_check_choice('store', store, STORES)}"),
        writes=True,
    )


def show_excluded_ranges(ip_version: str, protocol: str, store: str | None = None) -> NativeCommand:
    return NativeCommand(("netsh", "int", _check_choice("ip_version", ip_version, IP_VERSIONS), "show", "excludedportrange",
                          f"protocol={_check_choice('protocol', protocol, PROTOCOLS)}") + _store_token(store))


def _change_excluded_range(verb: str, ip_version: str, protocol: str, port_range: PortRange, store: str) -> NativeCommand:
    _check_port_range(port_range)
    return NativeCommand(
        ("netsh", "int", _check_choice("ip_version", ip_version, IP_VERSIONS), verb, "excludedportrange",
         f"protocol={_check_choice('protocol', protocol, PROTOCOLS)}", f"startport={port_range.start}",
         f"numberofports={port_range.count}", f"store={_check_choice('store', store, STORES)}"),
        writes=True,
    )


def add_excluded_range(ip_version: str, protocol: str, port_range: PortRange, store: str = "persistent") -> NativeCommand:
    return _change_excluded_range("add", ip_version, protocol, port_range, store)


def delete_excluded_range(ip_version: str, protocol: str, port_range: PortRange, store: str = "persistent") -> NativeCommand:
    return _change_excluded_range("delete", ip_version, protocol, port_range, store)


def query_tcpip_parameters() -> NativeCommand:
    return NativeCommand(("reg", "query", TCPIP_KEY))


def query_tcpip_value(name: str) -> NativeCommand:
    """One value by name: reg prints that value alone, so no other value's data can pass for it."""
    return NativeCommand(("reg", "query", TCPIP_KEY, "/v", _check_choice("value name", name, TCPIP_DWORD_VALUES)))


def whoami_groups() -> NativeCommand:
    """The token's groups as CSV: the SIDs (S-1-16-12288 is the High Mandatory Level of an elevated token) are the same
    in every language, the group names are not."""
    return NativeCommand(("whoami", "/groups", "/fo", "csv", "/nh"))


def query_os_build() -> NativeCommand:
    return NativeCommand(("reg", "query", OS_VERSION_KEY, "/v", "CurrentBuildNumber"))


def set_tcpip_dword(name: str, value: int) -> NativeCommand:
    _check_choice("value name", name, TCPIP_DWORD_VALUES)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise UnsafeCommandError(f"a REG_DWORD holds 0-4294967295, got {value!r}")
    return NativeCommand(("reg", "add", TCPIP_KEY, "/v", name, "/t", "REG_DWORD", "/d", str(value), "/f"), writes=True)


def delete_tcpip_value(name: str) -> NativeCommand:
    return NativeCommand(("reg", "delete", TCPIP_KEY, "/v", _check_choice("value name", name, TCPIP_DWORD_VALUES), "/f"),
                         writes=True)


def query_boot_id() -> NativeCommand:
    """The host's boot identity (``BootId``, a REG_DWORD): which boot the host is in."""
    return NativeCommand(("reg", "query", BOOT_ID_KEY, "/v", BOOT_ID_VALUE))


def query_marker(name: str) -> NativeCommand:
    """The collection's marker for one Tcpip\\Parameters value (absent: exit 1, key or value not found)."""
    return NativeCommand(("reg", "query", MARKER_KEY, "/v", _check_choice("value name", name, TCPIP_DWORD_VALUES)))


def _marker_number(what: str, value: int | None) -> str:
    if value is None:
        return MARKER_ABSENT
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise UnsafeCommandError(f"marker {what} must be a REG_DWORD value or None, got {value!r}")
    return str(value)


def marker_data(boot_id: int, effective: int | None, written: int | None, known: bool) -> str:
    """The marker's REG_SZ data, from integers (None: the value is absent) and a flag."""
    text = (f"boot={_marker_number('boot', boot_id)}:effective={_marker_number('effective', effective)}"
            f":written={_marker_number('written', written)}:known={1 if known else 0}")
    if boot_id is None or not MARKER_DATA.match(text):
        raise UnsafeCommandError(f"refusing to build marker data {text!r}")
    return text


def set_marker(name: str, data: str) -> NativeCommand:
    """Write (or overwrite) the marker of one value; ``data`` as ``marker_data`` builds it."""
    if not isinstance(data, str) or not MARKER_DATA.match(data):
        raise UnsafeCommandError(f"refusing to write marker data {data!r}")
    return NativeCommand(("reg", "add", MARKER_KEY, "/v", _check_choice("value name", name, TCPIP_DWORD_VALUES), "/t", "REG_SZ",
                          "/d", data, "/f"), writes=True)


def netstat(protocol: str | None = None, bound: bool = False) -> NativeCommand:
    """``netstat -ano`` (every protocol and IP version) or limited with ``-p``.

    ``bound`` adds ``-q``: BOUND sockets hold ephemeral ports but ``-ano`` hides them. ``-q`` needs Windows 10 /
    Server 2016 (or 2012 R2 with an update); older hosts reject it (docs/windows-facts.md §6.1, §6.3 step 6).
    """
    flags = "-anoq" if bound else "-ano"
    if protocol is None:
        return NativeCommand(("netstat", flags))
    return NativeCommand(("netstat", flags, "-p", _check_choice("protocol", protocol, NETSTAT_PROTOCOLS)))


def winnat(action: str) -> NativeCommand:
    return NativeCommand(("net", _check_choice("action", action, ("stop", "start")), "winnat"), writes=True)


def events_days(value: object) -> int:
    """``events_days`` checked before anything is sent: an integer from 1 to 365."""
    low, high = EVENTS_DAYS_LIMITS
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UnsafeCommandError(f"events_days must be an integer from {low} to {high}, got {value!r}")
    return value


def query_tcpip_events(event_id: int, days: int) -> NativeCommand:
    """``wevtutil qe System`` for one Tcpip event ID of the last ``days`` days, as XML (structure, not the rendered and
    localized message), newest first, at most EVENTS_MAX events."""
    if event_id not in TCPIP_EVENT_IDS:
        raise UnsafeCommandError(f"event ID must be one of {TCPIP_EVENT_IDS}, got {event_id!r}")
    query = (f"/q:*[System[Provider[@Name='Tcpip'] and EventID={event_id} and "
             f"TimeCreated[timediff(@SystemTime) <= {events_days(days) * _DAY_MS}]]]")
    return NativeCommand(("wevtutil", "qe", "System", query, "/f:xml", f"/c:{EVENTS_MAX}", "/rd:true"))


def tasklist() -> NativeCommand:
    """``tasklist /fo csv /nh``: one quoted CSV row per process; the image name (column 1) and the PID (column 2) are
    the same in every language, the other columns (session name, memory with its separators) are not."""
    return NativeCommand(("tasklist", "/fo", "csv", "/nh"))
