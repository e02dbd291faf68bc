# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: parse_dynamic_port_range
author: portscale.tcpip contributors
version_added: 0.1.0
short_description: Read the output of C(netsh int ipv4|ipv6 show dynamicport tcp|udp)
description:
  - Turns the text printed by C(netsh interface ipv4|ipv6 show dynamicportrange tcp|udp) into the range's start, count and end.
  - Works in every display language. Only the dash line and the two lines below it that end in a colon and a number are read
    (start port first, then number of ports); titles and labels are never compared, and a full-width colon is accepted.
  - The output does not say which IP version, protocol or store it describes; remember which command you ran.
  - Any start the host reports is accepted, including 1024, which is below the 1025 that C(netsh ... set) enforces.
  - Fails when the text does not hold exactly one range, for example an error message or two outputs joined together.
positional: _input
options:
  _input:
    description:
      - The command's standard output, as a string (C(stdout)) or a list of lines (C(stdout_lines)).
    type: raw
    required: true
seealso:
  - plugin: portscale.tcpip.parse_excluded_port_ranges
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read the IPv4 TCP dynamic port range
  ansible.windows.win_command: netsh int ipv4 show dynamicport tcp
  register: tcp_range
  changed_when: false

- name: Show it
  ansible.builtin.debug:
    msg: "{{ tcp_range.stdout | portscale.tcpip.parse_dynamic_port_range }}"
  # => {"start": 49152, "count": 16384, "end": 65535}

- name: Fail when the range is smaller than wanted
  ansible.builtin.assert:
    that: (tcp_range.stdout | portscale.tcpip.parse_dynamic_port_range).count >= 16384
"""

RETURN = r"""
_value:
  description: The dynamic port range, C(start) to C(end) inclusive.
  type: dict
  contains:
    start:
      description: First port of the range.
      type: int
      sample: 49152
    count:
      description: Number of ports in the range.
      type: int
      sample: 16384
    end:
      description: Last port of the range (C(start + count - 1)).
      type: int
      sample: 65535
"""

from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.filter_glue import parse_filter
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import parse_dynamic_port_range

parse_dynamic_port_range_filter = parse_filter(parse_dynamic_port_range, lambda parsed: parsed.to_dict())


class FilterModule:
    """portscale.tcpip.parse_dynamic_port_range"""

    def filters(self):
        return {"parse_dynamic_port_range": parse_dynamic_port_range_filter}
