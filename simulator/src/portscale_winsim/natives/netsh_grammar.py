# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netsh's command grammar for the part the simulator models: context words matched by unique prefix, and
``[tag=]value`` parameters matched by unique tag prefix or by position [DOC + OBS-H, docs/windows-facts.md §0].

The word lists are the real sibling commands of each netsh context, so a prefix is unique here exactly when it is
unique on Windows (``dynamic`` and ``dy`` work, ``d`` does not because of ``dnsservers``/``destinationcache``).
"""

from __future__ import annotations

import dataclasses

TOP = ("add", "advfirewall", "branchcache", "bridge", "delete", "dhcpclient", "dnsclient", "dump", "exec", "firewall",
       "help", "http", "interface", "ipsec", "lan", "mbn", "namespace", "netio", "nlm", "p2p", "ras", "rpc", "set", "show",
       "trace", "wcn", "wfp", "winhttp", "winsock", "wlan")
INTERFACE = ("6to4", "add", "delete", "dump", "help", "httpstunnel", "ip", "ipv4", "ipv6", "isatap", "portproxy", "set",
             "show", "tcp", "teredo")
IP_VERBS = ("add", "delete", "dump", "help", "install", "reset", "set", "show", "uninstall")
SHOW = ("addresses", "compartments", "config", "destinationcache", "dnsservers", "dynamicportrange", "excludedportrange",
        "global", "icmpstats", "interfaces", "ipaddresses", "ipnettomedia", "ipstats", "joins", "neighbors", "offload",
        "potentialrouters", "prefixpolicies", "privacy", "route", "siteprefixes", "subinterfaces", "tcpconnections",
        "tcpstats", "teredo", "udpconnections", "udpstats", "winsservers")
SET = ("address", "compartment", "dnsservers", "dynamicportrange", "global", "interface", "neighbors", "prefixpolicy",
       "privacy", "route", "siteprefix", "subinterface", "teredo", "winsservers")
ADD = ("address", "dnsservers", "excludedportrange", "neighbors", "potentialrouter", "prefixpolicy", "route", "v6v4tunnel",
       "winsservers")
DELETE = ("address", "arpcache", "destinationcache", "dnsservers", "excludedportrange", "neighbors", "potentialrouter",
          "prefixpolicy", "route", "winsservers")
OBJECTS = {"show": SHOW, "set": SET, "add": ADD, "delete": DELETE}


class NotFound(Exception):
    """A word that names no command in its context (netsh: "The following command was not found")."""


class SyntaxInvalid(Exception):
    """Parameters that do not fit the command (netsh: "The syntax supplied for this command is not valid")."""


def resolve(token: str, choices: tuple[str, ...]) -> str:
    """Exact word (any case) or its unique prefix; raise NotFound otherwise."""
    word = token.lower()
    if word in choices:
        return word
    matches = [c for c in choices if c.startswith(word)]
    if word and len(matches) == 1:
        return matches[0]
    raise NotFound(token)


@dataclasses.dataclass(frozen=True)
class Param:
    """One netsh parameter: its tag, allowed words (None = free text such as an integer) and whether it is required."""

    tag: str
    choices: tuple[str, ...] | None
    required: bool


PROTOCOL = Param("protocol", ("tcp", "udp"), True)
STORE = Param("store", ("active", "persistent"), False)
START = Param("startport", None, True)
COUNT = Param("numberofports", None, True)

SIGNATURES = {
    ("show", "dynamicportrange"): (PROTOCOL, STORE),
    ("set", "dynamicportrange"): (PROTOCOL, START, COUNT, STORE),
    ("show", "excludedportrange"): (PROTOCOL, STORE),
    ("add", "excludedportrange"): (PROTOCOL, START, COUNT, STORE),
    ("delete", "excludedportrange"): (PROTOCOL, START, COUNT, STORE),
}


def parse_params(tokens: list[str], signature: tuple[Param, ...]) -> dict[str, str]:
    """Assign ``tag=value`` tokens by unique tag prefix and bare tokens to the next unfilled parameter, in order.

    ``tag= value`` (value in the next token, as some Microsoft docs write it) is accepted [INF].
    Enumerated values are matched case-insensitively and returned in lower case.
    """
    tags = tuple(p.tag for p in signature)
    values: dict[str, str] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if "=" in token:
            tag_text, dummy, value = token.partition("=")
            try:
                tag = resolve(tag_text, tags)
            except NotFound:
                raise SyntaxInvalid(f"unknown parameter {tag_text!r}") from None
            if value == "" and index < len(tokens) and "=" not in tokens[index]:
                value = tokens[index]
                index += 1
        else:
            free = [t for t in tags if t not in values]
            if not free:
                raise SyntaxInvalid(f"too many parameters at {token!r}")
            tag, value = free[0], token
        if tag in values:
            raise SyntaxInvalid(f"parameter {tag} given twice")
        values[tag] = value
    for param in signature:
        if param.tag not in values:
            if param.required:
                raise SyntaxInvalid(f"missing {param.tag}")
            continue
        if param.choices is not None:
            word = values[param.tag].lower()
            if word not in param.choices:
                raise SyntaxInvalid(f"{param.tag} must be one of {'|'.join(param.choices)}")
            values[param.tag] = word
    return values


def parse_port_number(text: str) -> int | None:
    """Decimal digits only (netsh takes integers); None when it is not a number."""
    if not text.isascii() or not text.isdigit():
        return None
    return int(text)
