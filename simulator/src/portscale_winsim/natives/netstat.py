# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netstat ``-a -n -o [-p tcp|tcpv6|udp|udpv6] [-q]`` (docs/windows-facts.md §6.1).

Only the ``-ano`` family has real samples, so other display modes (no ``-n`` or ``-o``, ``-b``, ``-s``, ``-r``,
intervals...) fail loudly. Rows: TCP, TCPv6, UDP, UDPv6, each sorted by local address and port as the IP helper
tables return them [INF]. ``-p tcp`` is IPv4 only [DOC].
"""

from __future__ import annotations

import ipaddress

from ..results import CommandResult
from .common import Run
from .texts import Unsupported

SUPPORTED_FLAGS = set("anopq")
UNMODELLED_FLAGS = set("befrstxy")
PROTOCOLS = {"tcp": ("tcp", 4), "tcpv6": ("tcp", 6), "udp": ("udp", 4), "udpv6": ("udp", 6)}
# German states [OBS-H]; zh-CN keeps English states [OBS-M]; every other state word in de-DE has no sample.
STATE_WORDS = {
    "de-DE": {"LISTENING": "ABH\u00d6REN", "ESTABLISHED": "HERGESTELLT", "TIME_WAIT": "WARTEND"},
}


class UsageError(Exception):
    """netstat prints its usage and exits 1 for options it does not know [INF]."""


def run_netstat(run: Run) -> CommandResult:
    try:
        flags, protocol = _parse(run.argv[1:])
        if "q" in flags and not run.model.os.netstat_q:
            raise UsageError("-q")
    except UsageError:
        return _usage(run)
    if not {"a", "n", "o"} <= flags:
        raise Unsupported("only the -ano display has real samples; other netstat modes are not modelled")
    selected = [PROTOCOLS[protocol]] if protocol else list(PROTOCOLS.values())
    parts = [run.text("netstat.title"), run.text("netstat.header")]
    for proto, ip_version in selected:
        for row in _rows(run, proto, ip_version, with_bound="q" in flags):
            parts.append(run.text("netstat.row", **row))
    return run.output("".join(parts))


def _parse(args: list[str]) -> tuple[set[str], str | None]:
    flags: set[str] = set()
    protocol = None
    index = 0
    while index < len(args):
        token = args[index]
        index += 1
        if token[:1] not in ("-", "/") or len(token) < 2:
            if token.isdigit():
                raise Unsupported("netstat with an interval never ends; not modelled")
            raise UsageError(token)
        for letter in token[1:].lower():
            if letter in UNMODELLED_FLAGS:
                raise Unsupported(f"netstat -{letter} is not modelled")
            if letter not in SUPPORTED_FLAGS:
                raise UsageError(letter)
            flags.add(letter)
            if letter == "p":
                if index >= len(args) or args[index].lower() not in PROTOCOLS:
                    raise UsageError("-p")
                protocol = args[index].lower()
                index += 1
    return flags, protocol


def _usage(run: Run) -> CommandResult:
    q_usage = "[-q] " if run.model.os.netstat_q else ""
    q_help = ""
    if run.model.os.netstat_q:
        q_help = "  -q            Displays all connections, listening ports, and bound\r\n                nonlistening TCP ports.\r\n"
    return run.message("netstat.usage", q_usage=q_usage, q_help=q_help)


def _endpoint(address: str, port: int | None, ip_version: int) -> str:
    if port is None:
        return "*:*"
    return f"{address}:{port}" if ip_version == 4 else f"[{address}]:{port}"


def _state_word(run: Run, state: str) -> str:
    words = STATE_WORDS.get(run.model.locale)
    if words is None or state == "":
        return state
    if state not in words:
        raise Unsupported(f"no real sample of the netstat state {state} for locale {run.model.locale}")
    return words[state]


def _rows(run: Run, proto: str, ip_version: int, with_bound: bool) -> list[dict]:
    rows = []
    for group in run.model.connection_groups(proto, ip_version):
        if group.state == "BOUND" and not with_bound:
            continue
        state = _state_word(run, group.state)
        local_ip = ipaddress.ip_address(group.local_address)
        remote_ip = ipaddress.ip_address(group.remote_address) if group.remote_address else None
        remote = _endpoint(group.remote_address, group.remote_port, ip_version)
        for port in group.ports:
            sort_key = (local_ip, port, remote_ip or local_ip, group.remote_port or 0)
            rows.append((sort_key, {
                "proto": "TCP" if proto == "tcp" else "UDP",
                "local": _endpoint(group.local_address, port, ip_version),
                "remote": remote, "state": state, "pid": group.pid,
            }))
    rows.sort(key=lambda item: item[0])
    return [row for dummy, row in rows]
