# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""parse_netstat against docs/windows-facts.md §6.1 samples and localized tables built from the printf layout."""

from __future__ import annotations


import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParsedConnection, ParseError, parse_netstat

# docs/windows-facts.md §6.1 [OBS-H]: every header and row is "  %-5s  %-22s %-22s %-15s %s".
ROW_FORMAT = "  %-5s  %-22s %-22s %-15s %s"


def table(title, header, rows):
    lines = ["", title, "", ROW_FORMAT % header] + [ROW_FORMAT % r for r in rows]
    return "\r\n".join(lines) + "\r\n"


EN_HEADER = ("Proto", "Local Address", "Foreign Address", "State", "PID")

# docs/windows-facts.md §6.1, byte-exact.
EN_SAMPLE = (
    "\r\nActive Connections\r\n\r\n"
    "  Proto  Local Address          Foreign Address        State           PID\r\n"
    "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1044\r\n"
    "  TCP    127.0.0.1:52346        127.0.0.1:18081        TIME_WAIT       0\r\n"
    "  TCP    [::]:135               [::]:0                 LISTENING       1044\r\n"
    "  UDP    0.0.0.0:5353           *:*                                    3204\r\n"
)

# Built with the same format: IPv6 endpoints longer than 22 characters run on with one space (docs/windows-facts.md §6.1 [INF]).
EN_MIXED = table(
    "Active Connections",
    EN_HEADER,
    [
        ("TCP", "0.0.0.0:5985", "0.0.0.0:0", "LISTENING", "4"),
        ("TCP", "10.0.0.5:49700", "10.0.0.9:1433", "ESTABLISHED", "2288"),
        ("TCP", "10.0.0.5:49701", "10.0.0.9:1433", "CLOSE_WAIT", "2288"),
        ("TCP", "10.0.0.5:49702", "10.0.0.9:443", "SYN_SENT", "2288"),
        ("TCP", "[::1]:49152", "[::1]:5985", "ESTABLISHED", "612"),
        ("TCP", "[fe80::1%4]:135", "[::]:0", "LISTENING", "1044"),
        ("TCP", "[fe80::a1b2:c3d4:e5f6:1234%12]:49669", "[fe80::9:8:7:6%12]:445", "TIME_WAIT", "0"),
        ("UDP", "[::]:5353", "*:*", "", "3204"),
        ("UDP", "[fe80::1%4]:546", "*:*", "", "1480"),
    ],
)

# docs/windows-facts.md §6.1 German [OBS-H]: header and states translated.
DE_SAMPLE = table(
    "Aktive Verbindungen",
    ("Proto", "Lokale Adresse", "Remoteadresse", "Status", "PID"),
    [
        ("TCP", "0.0.0.0:135", "0.0.0.0:0", "ABH\u00d6REN", "1044"),
        ("TCP", "192.168.1.20:49712", "52.1.2.3:443", "HERGESTELLT", "5112"),
        ("TCP", "192.168.1.20:49713", "52.1.2.3:443", "WARTEND", "0"),
        ("UDP", "0.0.0.0:123", "*:*", "", "1240"),
    ],
)

# docs/windows-facts.md §6.1 zh-CN [OBS-M]: translated header, English states.
ZH_SAMPLE = (
    "\r\n\u6d3b\u52a8\u8fde\u63a5\r\n\r\n"
    "  \u534f\u8bae  \u672c\u5730\u5730\u5740          \u5916\u90e8\u5730\u5740        \u72b6\u6001           PID\r\n"
    "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1044\r\n"
    "  TCP    127.0.0.1:52346        127.0.0.1:18081        TIME_WAIT       0\r\n"
    "  UDP    0.0.0.0:5353           *:*                                    3204\r\n"
)


def summary(connections):
    return [(c.protocol, c.local_address, c.local_port, c.remote_address, c.remote_port, c.state_raw, c.state, c.is_listener, c.pid, c.ip_version)
            for c in connections]


def test_english_sample():
    assert summary(parse_netstat(EN_SAMPLE)) == [
        ("TCP", "0.0.0.0", 135, "0.0.0.0", 0, "LISTENING", "LISTENING", True, 1044, 4),
        ("TCP", "127.0.0.1", 52346, "127.0.0.1", 18081, "TIME_WAIT", "TIME_WAIT", False, 0, 4),
        ("TCP", "::", 135, "::", 0, "LISTENING", "LISTENING", True, 1044, 6),
        ("UDP", "0.0.0.0", 5353, "*", None, "", None, True, 3204, 4),
    ]


def test_english_mixed_ipv6_and_states():
    assert summary(parse_netstat(EN_MIXED)) == [
        ("TCP", "0.0.0.0", 5985, "0.0.0.0", 0, "LISTENING", "LISTENING", True, 4, 4),
        ("TCP", "10.0.0.5", 49700, "10.0.0.9", 1433, "ESTABLISHED", "ESTABLISHED", False, 2288, 4),
        ("TCP", "10.0.0.5", 49701, "10.0.0.9", 1433, "CLOSE_WAIT", "CLOSE_WAIT", False, 2288, 4),
        ("TCP", "10.0.0.5", 49702, "10.0.0.9", 443, "SYN_SENT", "SYN_SENT", False, 2288, 4),
        ("TCP", "::1", 49152, "::1", 5985, "ESTABLISHED", "ESTABLISHED", False, 612, 6),
        ("TCP", "fe80::1%4", 135, "::", 0, "LISTENING", "LISTENING", True, 1044, 6),
        ("TCP", "fe80::a1b2:c3d4:e5f6:1234%12", 49669, "fe80::9:8:7:6%12", 445, "TIME_WAIT", "TIME_WAIT", False, 0, 6),
        ("UDP", "::", 5353, "*", None, "", None, True, 3204, 6),
        ("UDP", "fe80::1%4", 546, "*", None, "", None, True, 1480, 6),
    ]


def test_german_states_are_normalised():
    assert summary(parse_netstat(DE_SAMPLE)) == [
        ("TCP", "0.0.0.0", 135, "0.0.0.0", 0, "ABH\u00d6REN", "LISTENING", True, 1044, 4),
        ("TCP", "192.168.1.20", 49712, "52.1.2.3", 443, "HERGESTELLT", "ESTABLISHED", False, 5112, 4),
        ("TCP", "192.168.1.20", 49713, "52.1.2.3", 443, "WARTEND", "TIME_WAIT", False, 0, 4),
        ("UDP", "0.0.0.0", 123, "*", None, "", None, True, 1240, 4),
    ]


def test_chinese_header_is_skipped():
    assert [(c.local_port, c.state, c.is_listener) for c in parse_netstat(ZH_SAMPLE)] == [
        (135, "LISTENING", True),
        (52346, "TIME_WAIT", False),
        (5353, None, True),
    ]


def test_listeners_come_from_addresses_when_the_word_is_unknown():
    # German read through the wrong code page (cp850 "Ö" = 0x99 shown as cp1252 "™"), and an Italian state with a space.
    text = table(
        "Connessioni attive",
        ("Proto", "Indirizzo locale", "Indirizzo esterno", "Stato", "PID"),
        [
            ("TCP", "0.0.0.0:445", "0.0.0.0:0", "ABH\u2122REN", "4"),
            ("TCP", "0.0.0.0:3389", "0.0.0.0:0", "IN ASCOLTO", "1200"),
            ("TCP", "10.1.1.1:50000", "10.1.1.2:80", "STABILITA", "1200"),
        ],
    )
    assert [(c.state_raw, c.state, c.is_listener, c.pid) for c in parse_netstat(text)] == [
        ("ABH\u2122REN", "LISTENING", True, 4),
        ("IN ASCOLTO", "LISTENING", True, 1200),
        ("STABILITA", "UNKNOWN", False, 1200),
    ]


def test_bound_rows_from_netstat_q_are_not_listeners():
    # netstat -q shows bound-but-idle sockets with foreign 0.0.0.0:0, like listeners; only the word tells them apart.
    text = table(
        "Active Connections",
        EN_HEADER,
        [("TCP", "0.0.0.0:22", "0.0.0.0:0", "BOUND", "900"), ("TCP", "0.0.0.0:135", "0.0.0.0:0", "LISTENING", "1044")],
    )
    assert [(c.state, c.is_listener) for c in parse_netstat(text)] == [("BOUND", False), ("LISTENING", True)]


def test_known_non_listening_word_with_foreign_port_zero_is_not_a_listener():
    text = table("t", EN_HEADER, [("TCP", "127.0.0.1:9229", "0.0.0.0:0", "CLOSED", "0")])
    assert [(c.state, c.is_listener) for c in parse_netstat(text)] == [("CLOSED", False)]


def test_wine_spellings_are_aliases():
    text = table("t", EN_HEADER, [("TCP", "1.1.1.1:1", "2.2.2.2:2", word, "1") for word in ("SYN_RCVD", "FIN_WAIT1", "FIN_WAIT2")])
    assert [c.state for c in parse_netstat(text)] == ["SYN_RECEIVED", "FIN_WAIT_1", "FIN_WAIT_2"]


def test_without_pid_column():
    text = table(
        "Active Connections",
        ("Proto", "Local Address", "Foreign Address", "State", ""),
        [("TCP", "0.0.0.0:135", "0.0.0.0:0", "LISTENING", ""), ("UDP", "0.0.0.0:5353", "*:*", "", "")],
    )
    assert [(c.protocol, c.state_raw, c.pid, c.is_listener) for c in parse_netstat(text)] == [("TCP", "LISTENING", None, True), ("UDP", "", None, True)]


def test_netstat_b_process_lines_are_skipped():
    text = (
        "\r\nActive Connections\r\n\r\n"
        "  Proto  Local Address          Foreign Address        State           PID\r\n"
        "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1044\r\n"
        "  RpcSs\r\n [svchost.exe]\r\n"
        "  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4\r\n"
        " Can not obtain ownership information\r\n"
    )
    assert [c.local_port for c in parse_netstat(text)] == [135, 445]


def test_empty_table_is_no_connections():
    assert not parse_netstat("\r\nActive Connections\r\n\r\n" + ROW_FORMAT % EN_HEADER + "\r\n")
    assert not parse_netstat(ZH_SAMPLE.split("  TCP", 1)[0])


@pytest.mark.parametrize(
    "transform",
    [
        lambda text: text.replace("\r\n", "\n"),
        lambda text: text.strip(),
        lambda text: "\n".join(line.strip() for line in text.split("\r\n")),
        lambda text: "\ufeff" + text,
        lambda text: text.replace("\r\n", "\r\r\n"),
        lambda text: text.replace("  TCP", "\tTCP"),
    ],
    ids=["lf", "strip", "lines-stripped", "bom", "cr-cr-lf", "tab"],
)
def test_line_end_and_whitespace_variants(transform):
    assert parse_netstat(transform(EN_SAMPLE)) == parse_netstat(EN_SAMPLE)


def test_bytes_lines_and_to_dict():
    assert parse_netstat(DE_SAMPLE.encode("utf-8")) == parse_netstat(DE_SAMPLE)
    assert parse_netstat(EN_SAMPLE.split("\r\n")) == parse_netstat(EN_SAMPLE)
    assert parse_netstat(EN_SAMPLE)[3].to_dict() == {
        "protocol": "UDP",
        "local_address": "0.0.0.0",
        "local_port": 5353,
        "remote_address": "*",
        "remote_port": None,
        "state_raw": "",
        "state": None,
        "is_listener": True,
        "pid": 3204,
        "ip_version": 4,
    }


def test_twenty_thousand_rows_parse():
    rows = [("TCP", "0.0.0.0:135", "0.0.0.0:0", "LISTENING", "1044")]
    for i in range(19_999):
        port = 1025 + i
        if i % 3 == 0:
            rows.append(("TCP", "[::1]:%d" % port, "[::1]:5985", "TIME_WAIT", "0"))
        else:
            rows.append(("TCP", "127.0.0.1:%d" % port, "127.0.0.1:5985", "ESTABLISHED", "4321"))
    text = table("Active Connections", EN_HEADER, rows)
    connections = parse_netstat(text)
    assert len(connections) == 20_000
    assert connections[-1] == ParsedConnection("TCP", "::1", 21023, "::1", 5985, "TIME_WAIT", "TIME_WAIT", False, 0, 6)
    assert connections[-2] == ParsedConnection("TCP", "127.0.0.1", 21022, "127.0.0.1", 5985, "ESTABLISHED", "ESTABLISHED", False, 4321, 4)
    assert sum(c.state == "TIME_WAIT" for c in connections) == 6667
    # Speed is measured by `make bench`, not asserted here (timed assertions flake on shared machines).


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "no TCP/UDP rows"),
        ("The requested operation requires elevation.\r\n", "no TCP/UDP rows"),
        ("\r\nActive Connections\r\n\r\n" + ROW_FORMAT % EN_HEADER + "\r\nsomething else\r\n", "no TCP/UDP rows"),
        ("  TCP    0.0.0.0:135\r\n", "fewer than 3 fields"),
        ("  TCP    0.0.0.0:135            DESKTOP-1:0            LISTENING\r\n", "numeric address"),
        ("  TCP    desktop-1:http         0.0.0.0:0              LISTENING       4\r\n", "was netstat run with -n?"),
        ("  TCP    0.0.0.0:http           0.0.0.0:0              LISTENING       4\r\n", "not a number"),
        ("  TCP    0.0.0.0:70000          0.0.0.0:0              LISTENING       4\r\n", "above 65535"),
        ("  TCP    [::1:80                [::]:0                 LISTENING       4\r\n", "no ']:<port>'"),
        ("  TCP    *:*                    0.0.0.0:0              LISTENING       4\r\n", "local endpoint"),
        ("  UDP    0.0.0.0                *:*                                    4\r\n", "no ':<port>'"),
    ],
    ids=[
        "empty", "elevation", "preamble-plus-text", "short-row", "foreign-host-name", "names-not-numbers", "service-name", "port-too-big", "bad-ipv6",
        "star-local", "udp-no-port",
    ],
)
def test_garbage_raises_parse_error(text, reason):
    with pytest.raises(ParseError) as info:
        parse_netstat(text)
    assert reason in info.value.reason
    assert info.value.parser == "parse_netstat"


def test_error_names_the_offending_row():
    text = EN_SAMPLE.replace("127.0.0.1:18081", "127.0.0.1:http")
    with pytest.raises(ParseError) as info:
        parse_netstat(text)
    assert info.value.line_number == 6
    assert info.value.excerpt.startswith("  TCP    127.0.0.1:52346")
