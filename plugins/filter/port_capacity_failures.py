# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: port_capacity_failures
author: portscale.tcpip contributors
version_added: 0.1.0
short_description: Why hosts failed, from their registered task results, for the port_capacity fleet report
description:
  - Looks at the registered results named in O(results) (variable name to step name, in the order the steps ran) of
    each host in O(hosts) and returns, for each host with a failed or unreachable one, the step, V(failed) or
    V(unreachable), and the message of the first such result.
  - Registered results of failed and unreachable tasks are kept by Ansible, so a report written later in the play (by
    a host still active) can say why the others stopped.
  - For a loop, the message is that of the first failed item (with its C(item.key) when it has one), not the loop's
    own C(One or more items failed). Messages are kept whole.
positional: _input, hosts, results
options:
  _input:
    description: C(hostvars).
    type: raw
    required: true
  hosts:
    description: The hosts to look at, for example C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  results:
    description: Registered variable name to the step name used in the text, in the order the steps ran.
    type: dict
    required: true
  unreachable_only:
    description: Only unreachable results count (the role's gates use it to stop a host that could not be reached).
    type: bool
    default: false
    version_added: 0.1.0
"""

EXAMPLES = r"""
- name: Say why hosts failed
  ansible.builtin.debug:
    msg: "{{ hostvars | portscale.tcpip.port_capacity_failures(ansible_play_hosts_all, {'read_result': 'read', 'apply_result': 'apply'}) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: Host name to reason, only for the hosts that have one.
  type: dict
  sample: {"gw07": "read unreachable: ntlm: HTTPConnectionPool(host='gw07', port=5985): ... Connection refused"}
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import report


def port_capacity_failures(hostvars, hosts, results, unreachable_only=False):
    """Filter entry point."""
    if not isinstance(hostvars, Mapping) or not isinstance(results, Mapping):
        raise AnsibleFilterError("port_capacity_failures: expected hostvars and a dictionary of registered variable to step name")
    if isinstance(hosts, (str, bytes)) or not hasattr(hosts, "__iter__"):
        raise AnsibleFilterError("port_capacity_failures: hosts must be a list of host names")
    return report.failure_reasons(hostvars, list(hosts), dict(results), unreachable_only=bool(unreachable_only))


class FilterModule:
    """portscale.tcpip.port_capacity_failures"""

    def filters(self):
        return {"port_capacity_failures": port_capacity_failures}
