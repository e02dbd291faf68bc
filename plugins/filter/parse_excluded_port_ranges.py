# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: parse_excluded_port_ranges
author: portscale.tcpip contributors
version_added: 0.1.0
short_description: Read the output of C(netsh int ipv4|ipv6 show excludedportrange protocol=tcp|udp)
description:
  - Turns the exclusion table printed by C(netsh interface ipv4|ipv6 show excludedportrange) into a list of ranges.
  - Works in every display language. Only the dash line under the column headers and the rows below it
    (C(<start> <end>), optionally followed by C(*)) are read; the title, the column headers and the footnote are never compared.
    Trailing spaces, CRLF or LF line ends and a leading byte-order mark do not matter.
  - C(administered=true) marks the rows printed with C(*) (exclusions added with netsh or the API, which you can delete);
    the others are reservations made by Hyper-V/WinNAT or HTTP.sys and are read-only facts.
  - An empty table (no exclusions) gives an empty list. Text without the dash line (an error message, for example),
    with two tables, or with a row that is cut off or garbled fails.
positional: _input
options:
  _input:
    description:
      - The command's standard output, as a string (C(stdout)) or a list of lines (C(stdout_lines)).
    type: raw
    required: true
seealso:
  - plugin: portscale.tcpip.parse_dynamic_port_range
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read the IPv4 TCP excluded port ranges
  ansible.windows.win_command: netsh int ipv4 show excludedportrange protocol=tcp
  register: excluded
  changed_when: false

- name: List the exclusions that Hyper-V/WinNAT reserved (not administered)
  ansible.builtin.debug:
    msg: "{{ excluded.stdout | portscale.tcpip.parse_excluded_port_ranges | rejectattr('administered') | list }}"
  # => [{"start": 56638, "end": 56737, "count": 100, "administered": false}, ...]

- name: Count the excluded ports
  ansible.builtin.debug:
    msg: "{{ excluded.stdout | portscale.tcpip.parse_excluded_port_ranges | map(attribute='count') | sum }}"
"""

RETURN = r"""
_value:
  description: The excluded ranges in the order printed (ascending by start port on real hosts).
  type: list
  elements: dict
  contains:
    start:
      description: First excluded port.
      type: int
      sample: 50000
    end:
      description: Last excluded port (inclusive).
      type: int
      sample: 50059
    count:
      description: Number of excluded ports (C(end - start + 1)).
      type: int
      sample: 60
    administered:
      description: Whether the row carries the C(*) mark of an administered (persistent, user-added) exclusion.
      type: bool
      sample: true
"""

from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.filter_glue import parse_filter
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import parse_excluded_port_ranges

parse_excluded_port_ranges_filter = parse_filter(parse_excluded_port_ranges, lambda rows: [row.to_dict() for row in rows])


class FilterModule:
    """portscale.tcpip.parse_excluded_port_ranges"""

    def filters(self):
        return {"parse_excluded_port_ranges": parse_excluded_port_ranges_filter}
