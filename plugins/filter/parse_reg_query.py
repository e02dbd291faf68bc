# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: parse_reg_query
author: portscale.tcpip contributors
version_added: 0.1.0
short_description: Read the output of C(reg query <key>) or C(reg query <key> /v <name>)
description:
  - Turns the values listed by C(reg query) into a dictionary keyed by value name.
  - Works in every display language. Value lines are read by their layout (4 spaces, name, 4 spaces, C(REG_) type,
    4 spaces, data); key and subkey lines (C(HKEY_...)) are skipped. Value names may contain spaces.
  - C(REG_DWORD) and C(REG_QWORD) become integers (reg prints them as C(0x) hexadecimal), C(REG_MULTI_SZ) a list of
    strings (reg separates the items with C(\0)), C(REG_BINARY) the hexadecimal digits as printed; other types stay strings.
  - Value names are returned as printed. Windows compares them without regard to case, and a value created as
    C(maxuserport) is printed that way, so compare names case-insensitively when that matters.
  - reg prints nothing on standard output for a missing value (the error goes to standard error, exit code 1), which
    gives an empty dictionary here; check the command's C(rc) before you conclude a value is absent.
  - Output of C(reg query /s) with values under several keys fails rather than mixing them; query one key at a time.
positional: _input
options:
  _input:
    description:
      - The command's standard output, as a string (C(stdout)) or a list of lines (C(stdout_lines)).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Read the TCP/IP parameters key
  ansible.windows.win_command: reg query HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters
  register: tcpip_parameters
  changed_when: false

- name: Show MaxUserPort if it is set
  ansible.builtin.debug:
    msg: "{{ (tcpip_parameters.stdout | portscale.tcpip.parse_reg_query).MaxUserPort.value | default('not set') }}"
  # => 65534

- name: Read a single value; a missing value fails the command (rc 1), so accept that rc
  ansible.windows.win_command: reg query HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters /v TcpTimedWaitDelay
  register: delay
  changed_when: false
  failed_when: delay.rc not in [0, 1]

- name: Show it
  ansible.builtin.debug:
    msg: "{{ delay.stdout | portscale.tcpip.parse_reg_query }}"
  # => {"TcpTimedWaitDelay": {"type": "REG_DWORD", "value": 30}}
"""

RETURN = r"""
_value:
  description:
    - One entry per value, keyed by the value name as printed.
    - Each entry has C(type) (for example C(REG_DWORD)) and C(value) (int for C(REG_DWORD)/C(REG_QWORD), list of
      strings for C(REG_MULTI_SZ), string otherwise).
  type: dict
  sample:
    MaxUserPort:
      type: REG_DWORD
      value: 65534
    NV Hostname:
      type: REG_SZ
      value: web01
"""

from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.filter_glue import parse_filter
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import parse_reg_query

parse_reg_query_filter = parse_filter(parse_reg_query, lambda values: {name: value.to_dict() for name, value in values.items()})


class FilterModule:
    """portscale.tcpip.parse_reg_query"""

    def filters(self):
        return {"parse_reg_query": parse_reg_query_filter}
