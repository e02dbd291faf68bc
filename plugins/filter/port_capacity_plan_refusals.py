# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: port_capacity_plan_refusals
author: portscale.tcpip contributors
version_added: 0.1.0
short_description: The refusals of the port_capacity role's plan step, in the role's terms
description:
  - The judgement the P(portscale.tcpip.port_capacity#role) role makes (in its task
    M(portscale.tcpip.port_capacity_apply)) between its plan step and its first write, for your own plays that run the
    configuration modules in check mode first (they read the host and plan, and write nothing), so that a change the host's state forbids
    (listeners a new range would cover with C(port_capacity_listener_guard=fail), ports in use, Hyper-V/WinNAT or system
    reservations, the host's TcpTimedWaitDelay limits) stops the host before anything is written.
  - A result counts as refused when it failed, or carries a message after C(failed_when=false) reset C(failed); with
    O(writing=true), also when it would change a setting and warns that the account does not run elevated.
  - The messages name the role's variables (C(port_capacity_exclusions), C(port_capacity_winnat_restart)) instead of the
    module options they become; a message about something else is prefixed with its module's name.
positional: _input
options:
  _input:
    description:
      - The registered check-mode results by module name (V(win_tcpip_parameters), V(win_excluded_port_range),
        V(win_dynamic_port_range)); loop results and skipped results are accepted.
    type: dict
    required: true
  writing:
    description:
      - Whether the role goes on to write (enforce mode, not check mode). Then a plan that would change a setting on a host
        where the account does not run elevated is refused as well; in check mode the modules only warn about that.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Stop the host before any write when the plan was refused
  ansible.builtin.assert:
    that: refusals | length == 0
    fail_msg: "{{ inventory_hostname }}: {{ refusals | join(' ') }}"
  vars:
    refusals: "{{ {'win_dynamic_port_range': ranges_plan} | portscale.tcpip.port_capacity_plan_refusals }}"
"""

RETURN = r"""
_value:
  description: One sentence per refusal; empty when the plan holds none.
  type: list
  elements: str
  sample:
    - "port_capacity_listener_guard=fail: refusing the change: the new range 5000-65535 (60536 ports) covers ports that services
      on the host listen on (ipv4_tcp: 8080); Windows may hand those ports to outbound connections while the service is stopped."
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.portscale.tcpip.plugins.plugin_utils._report.role_validation import plan_refusals
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import type_name


def port_capacity_plan_refusals(results, writing=False):
    """Filter entry point."""
    if not isinstance(results, Mapping):
        raise AnsibleFilterError(f"port_capacity_plan_refusals expects a dictionary of module name to registered result, got {type_name(results)}")
    return plan_refusals(results, bool(writing))


class FilterModule:
    """portscale.tcpip.port_capacity_plan_refusals"""

    def filters(self):
        return {"port_capacity_plan_refusals": port_capacity_plan_refusals}
