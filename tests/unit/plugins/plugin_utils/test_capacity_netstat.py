# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capacity from real-shaped netstat text: English, German states, IPv6 endpoints and ``-q`` BOUND rows (docs/windows-facts.md §6.1)."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import capacity
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import parse_netstat
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange

DEFAULT = PortRange(49152, 16384)
ROW = "  %-5s  %-22s %-22s %-15s %s"   # docs/windows-facts.md §6.1 [OBS-H]


def table(title, header, rows):
    return "\r\n".join(["", title, "", ROW % header] + [ROW % row for row in rows]) + "\r\n"


EN_HEADER = ("Proto", "Local Address", "Foreign Address", "State", "PID")
DE_HEADER = ("Proto", "Lokale Adresse", "Remoteadresse", "Status", "PID")

ENGLISH_Q = table("Active Connections", EN_HEADER, [
    ("TCP", "0.0.0.0:135", "0.0.0.0:0", "LISTENING", "1044"),
    ("TCP", "0.0.0.0:49664", "0.0.0.0:0", "LISTENING", "712"),
    ("TCP", "0.0.0.0:49700", "0.0.0.0:0", "BOUND", "3120"),          # -q: bound, not listening
    ("TCP", "0.0.0.0:49701", "0.0.0.0:0", "BOUND", "3120"),
    ("TCP", "10.0.0.5:49702", "192.0.2.10:1433", "ESTABLISHED", "3120"),
    ("TCP", "10.0.0.5:49703", "192.0.2.10:1433", "TIME_WAIT", "0"),
    ("TCP", "127.0.0.1:52346", "127.0.0.1:18081", "TIME_WAIT", "0"),
    ("TCP", "[::]:135", "[::]:0", "LISTENING", "1044"),
    ("TCP", "[::1]:49152", "[::1]:5985", "ESTABLISHED", "612"),
    ("TCP", "[fe80::a1b2:c3d4:e5f6:1234%12]:49669", "[fe80::9:8:7:6%12]:445", "TIME_WAIT", "0"),
    ("UDP", "0.0.0.0:5353", "*:*", "", "3204"),
    ("UDP", "0.0.0.0:50838", "*:*", "", "1832"),
    ("UDP", "[::]:59464", "*:*", "", "1832"),
])

# German: header and states translated (docs/windows-facts.md §6.1 [OBS-H]); the BOUND word has no sample.
GERMAN = table("Aktive Verbindungen", DE_HEADER, [
    ("TCP", "0.0.0.0:135", "0.0.0.0:0", "ABH\u00d6REN", "1044"),
    ("TCP", "0.0.0.0:49664", "0.0.0.0:0", "ABH\u00d6REN", "712"),
    ("TCP", "192.168.1.20:49712", "52.1.2.3:443", "HERGESTELLT", "5112"),
    ("TCP", "192.168.1.20:49713", "52.1.2.3:443", "WARTEND", "0"),
    ("TCP", "192.168.1.20:49714", "52.1.2.3:443", "WARTEND", "0"),
    ("TCP", "192.168.1.20:49715", "52.1.2.3:443", "SCHLIESSEN_WARTEN", "5112"),   # an unknown word still holds a port
    ("UDP", "0.0.0.0:123", "*:*", "", "1240"),
])


def capacities(text, port_range=DEFAULT):
    rows = parse_netstat(text)
    return {combo: capacity.range_capacity(combo, port_range, (), rows, 120)
            for combo in (("ipv4", "tcp"), ("ipv6", "tcp"), ("ipv4", "udp"), ("ipv6", "udp"))}


def test_english_with_bound_rows():
    caps = capacities(ENGLISH_Q)
    v4 = caps[("ipv4", "tcp")]
    assert v4.in_use_by_state == {"BOUND": 2, "TIME_WAIT": 2, "ESTABLISHED": 1, "LISTENING": 1}
    assert v4.in_use == 6 and v4.free == 16384 - 6
    assert v4.listeners_in_range == ((49664, 712),)          # BOUND rows are not listeners
    assert v4.rows == 7                                        # port 135 is outside the range but is a row
    assert dict(v4.ports_by_pid) == {3120: 3, 0: 2, 712: 1}


def test_ipv6_rows_count_in_the_ipv6_range_only():
    caps = capacities(ENGLISH_Q)
    v6 = caps[("ipv6", "tcp")]
    assert v6.in_use_by_state == {"ESTABLISHED": 1, "TIME_WAIT": 1}
    assert caps[("ipv6", "udp")].in_use == 1
    assert caps[("ipv4", "udp")].in_use == 1                   # 5353 is outside the range


def test_german_states_count_by_numbers_not_words():
    v4 = capacities(GERMAN)[("ipv4", "tcp")]
    assert v4.in_use_by_state == {"TIME_WAIT": 2, "ESTABLISHED": 1, "LISTENING": 1, "UNKNOWN": 1}
    assert v4.in_use == 5
    assert v4.listeners_in_range == ((49664, 712),)
    assert v4.excluded + v4.in_use + v4.free == v4.port_range.count


def test_a_wide_range_counts_the_well_known_listeners_too():
    v4 = capacities(ENGLISH_Q, PortRange(1025, 64511))[("ipv4", "tcp")]
    assert v4.in_use == 6                                      # port 135 is below 1025
    v4_all = capacities(ENGLISH_Q, PortRange(100, 65436))[("ipv4", "tcp")]
    assert (135, 1044) in v4_all.listeners_in_range
