# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parser for ``netstat -ano`` (also with ``-p tcp|tcpv6|udp|udpv6``, ``-q`` and ``-b``; docs/windows-facts.md §6.1).

Rows are ``  <proto>  <local>  <foreign>  <state>  <pid>`` where the protocol token (``TCP``/``UDP``) is never
translated, while the title, the column headers and (in German) the state words are. So:

* a row is any line whose first token is ``TCP`` or ``UDP``; every other line (title, header, ``-b`` process
  names) is skipped without being read;
* the last token is the PID when it is all digits (``-o``); what sits between the foreign endpoint and the PID is
  the state word as printed (it may contain spaces in some languages; UDP rows have none);
* whether a row is a listener is decided from the addresses, not the word (below).

``state`` (normalised): the English name for a known English or German word (``ABHÖREN`` -> ``LISTENING``); for an
unknown word on a TCP row whose foreign port is 0, ``LISTENING`` (that is what a foreign port of 0 means, except for
``BOUND`` rows, see below); otherwise ``UNKNOWN``. UDP rows have no state: ``None``.

``is_listener``: TCP rows with foreign port 0 (``0.0.0.0:0``, ``[::]:0``), UDP rows with foreign ``*:*``. A TCP row
whose word is known to mean something else is not a listener: ``netstat -q`` prints BOUND sockets (bound, neither
listening nor connected) with foreign ``0.0.0.0:0`` as well, so BOUND is told apart by its word. In a language whose
BOUND word is unknown here, ``-q`` output will count BOUND rows as listeners; run netstat without ``-q`` when that
matters (``-ano`` never prints BOUND rows).

A text with no rows is accepted only when it is the bare two-line preamble (title and column header), so an error
message is not mistaken for "no connections".
"""

from __future__ import annotations

import dataclasses

from .errors import ParseError
from .text import as_text, parse_decimal, split_endpoint, split_lines

PARSER = "parse_netstat"

PROTOCOLS = ("TCP", "UDP")

# English spellings (docs/windows-facts.md §6.1: Windows [OBS-H]/[INF], Wine's spellings as aliases) and the German words seen in real
# captures [OBS-H]. Keys are upper-case; the raw word is upper-cased before the lookup.
STATE_WORDS = {
    "LISTENING": "LISTENING",
    "LISTEN": "LISTENING",
    "ESTABLISHED": "ESTABLISHED",
    "TIME_WAIT": "TIME_WAIT",
    "CLOSE_WAIT": "CLOSE_WAIT",
    "SYN_SENT": "SYN_SENT",
    "SYN_RECEIVED": "SYN_RECEIVED",
    "SYN_RCVD": "SYN_RECEIVED",
    "FIN_WAIT_1": "FIN_WAIT_1",
    "FIN_WAIT1": "FIN_WAIT_1",
    "FIN_WAIT_2": "FIN_WAIT_2",
    "FIN_WAIT2": "FIN_WAIT_2",
    "CLOSING": "CLOSING",
    "LAST_ACK": "LAST_ACK",
    "CLOSED": "CLOSED",
    "DELETE_TCB": "DELETE_TCB",
    "BOUND": "BOUND",
    "ABHÖREN": "LISTENING",
    "HERGESTELLT": "ESTABLISHED",
    "WARTEND": "TIME_WAIT",
}

UNKNOWN_STATE = "UNKNOWN"
_PREAMBLE_LINES = 2


@dataclasses.dataclass(frozen=True)
class ParsedConnection:
    """One netstat row. Addresses are without brackets (``::1``, ``fe80::1%4``); ``*`` ports are ``None``.

    ``pid`` is ``None`` when netstat ran without ``-o``. ``ip_version`` is 4 or 6, from the local address.
    """

    protocol: str
    local_address: str
    local_port: int
    remote_address: str
    remote_port: int | None
    state_raw: str
    state: str | None
    is_listener: bool
    pid: int | None
    ip_version: int

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def _normalise_state(protocol: str, state_raw: str, remote_port: int | None) -> str | None:
    if protocol == "UDP" and not state_raw:
        return None
    known = STATE_WORDS.get(state_raw.upper())
    if known is not None:
        return known
    if protocol == "TCP" and remote_port == 0:
        return "LISTENING"
    return UNKNOWN_STATE


def _parse_row(tokens: list[str], line: str, line_number: int) -> ParsedConnection:
    if len(tokens) < 3:
        raise ParseError(PARSER, "row has fewer than 3 fields (protocol, local address, foreign address)", line, line_number)
    protocol = tokens[0].upper()
    try:
        local_address, local_port, ip_version = split_endpoint(tokens[1])
        remote_address, remote_port, _remote_version = split_endpoint(tokens[2])
    except ValueError as exc:
        raise ParseError(PARSER, str(exc), line, line_number) from None
    if local_port is None or ip_version is None:
        raise ParseError(PARSER, "local endpoint has no address or port", line, line_number)

    rest = tokens[3:]
    pid = parse_decimal(rest[-1]) if rest else None
    if pid is not None:
        rest = rest[:-1]
    state_raw = " ".join(rest)
    state = _normalise_state(protocol, state_raw, remote_port)
    if protocol == "TCP":
        is_listener = remote_port == 0 and state == "LISTENING"
    else:
        is_listener = remote_address == "*" and remote_port is None
    return ParsedConnection(
        protocol=protocol,
        local_address=local_address,
        local_port=local_port,
        remote_address=remote_address,
        remote_port=remote_port,
        state_raw=state_raw,
        state=state,
        is_listener=is_listener,
        pid=pid,
        ip_version=ip_version,
    )


def parse_netstat(data: object) -> list[ParsedConnection]:
    """Read ``netstat -ano`` output into its rows, in the order printed. Linear in the size of the text."""
    text = as_text(PARSER, data)
    connections = []
    other_lines = 0
    for index, line in enumerate(split_lines(text)):
        tokens = line.split()
        if not tokens:
            continue
        if tokens[0].upper() not in PROTOCOLS:
            other_lines += 1
            continue
        connections.append(_parse_row(tokens, line, index + 1))
    if not connections and other_lines != _PREAMBLE_LINES:
        raise ParseError(
            PARSER,
            f"no TCP/UDP rows, and not an empty netstat table (expected only the title and column header lines, found {other_lines} other lines)",
            text,
        )
    return connections
