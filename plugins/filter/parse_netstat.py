# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: parse_netstat
author: portscale.tcpip contributors
version_added: 0.1.0
short_description: Read the connection table printed by C(netstat -ano)
description:
  - Turns the output of C(netstat -ano) (with or without C(-p tcp|tcpv6|udp|udpv6), C(-q) or C(-b)) into a list of
    connections. Run netstat with C(-n); names instead of numbers fail.
  - Works in every display language. A row is any line that starts with C(TCP) or C(UDP) (never translated);
    the title, column headers and C(-b) process lines are skipped without being read.
  - The state word is translated in some languages (German C(ABHÖREN), C(HERGESTELLT), C(WARTEND)). It is returned as
    printed in C(state_raw), and as an English name in C(state) when the word is a known English or German one.
    Whether a row is a listener (C(is_listener)) is decided from the addresses, not the word.
  - A text without any row is accepted only when it is the bare title and header (no connections); anything else,
    such as an error message, fails.
positional: _input
options:
  _input:
    description:
      - The command's standard output, as a string (C(stdout)) or a list of lines (C(stdout_lines)).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Read the IPv4 TCP connections
  ansible.windows.win_command: netstat -ano -p tcp
  register: netstat_tcp
  changed_when: false

- name: List the listening ports
  ansible.builtin.debug:
    msg: "{{ netstat_tcp.stdout | portscale.tcpip.parse_netstat | selectattr('is_listener') | map(attribute='local_port') | unique | list }}"
  # => [135, 445, 5985, 47001]

- name: Count the connections in TIME_WAIT
  ansible.builtin.debug:
    msg: "{{ netstat_tcp.stdout | portscale.tcpip.parse_netstat | selectattr('state', 'equalto', 'TIME_WAIT') | list | length }}"
"""

RETURN = r"""
_value:
  description: One entry per row, in the order printed.
  type: list
  elements: dict
  contains:
    protocol:
      description: C(TCP) or C(UDP).
      type: str
      sample: TCP
    local_address:
      description: Local address without IPv6 brackets (C(0.0.0.0), C(::), C(fe80::1%4)).
      type: str
      sample: 0.0.0.0
    local_port:
      description: Local port.
      type: int
      sample: 135
    remote_address:
      description: Foreign address without IPv6 brackets; C(*) for a UDP row's C(*:*).
      type: str
      sample: 0.0.0.0
    remote_port:
      description: Foreign port; C(null) for a UDP row's C(*:*).
      type: int
      sample: 0
    state_raw:
      description: The state word as printed (localized in some languages); empty for UDP rows.
      type: str
      sample: LISTENING
    state:
      description:
        - The state as an English upper-case name (C(LISTENING), C(ESTABLISHED), C(TIME_WAIT), C(CLOSE_WAIT), C(BOUND), ...)
          when the word is a known English or German one.
        - For an unknown word, C(LISTENING) on a TCP row whose foreign port is 0, else C(UNKNOWN).
        - C(null) for UDP rows, which have no state.
      type: str
      sample: LISTENING
    is_listener:
      description:
        - For TCP, the foreign port is 0 and the word does not mean another state (C(netstat -q) shows BOUND sockets
          with foreign port 0 too); for UDP, the foreign endpoint is C(*:*).
      type: bool
      sample: true
    pid:
      description: Owning process id; C(null) when netstat ran without C(-o). TIME_WAIT rows show 0.
      type: int
      sample: 1044
    ip_version:
      description: 4 or 6, from the local address.
      type: int
      sample: 4
"""

from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.filter_glue import parse_filter
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import parse_netstat

parse_netstat_filter = parse_filter(parse_netstat, lambda rows: [row.to_dict() for row in rows])


class FilterModule:
    """portscale.tcpip.parse_netstat"""

    def filters(self):
        return {"parse_netstat": parse_netstat_filter}
