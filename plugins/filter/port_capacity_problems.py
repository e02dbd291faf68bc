# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: port_capacity_problems
author: portscale.tcpip contributors
version_added: 0.1.0
short_description: Check the port_capacity role's variables with the modules' own validators, before any host is contacted
description:
  - The check the P(portscale.tcpip.port_capacity#role) role makes (in its task M(portscale.tcpip.port_capacity_apply)) to
    refuse a host before it reads or writes anything, for your own plays. Each wanted
    setting becomes the arguments the role's task will pass, completed with the module's documented defaults, and is
    checked by that module's own argument spec and validation, so the limits are the modules' (for example at most
    200000 probe connections, at most 100 exclusions that must not overlap, at least one protocol).
  - Also checks what only the role combines; a MaxUserPort that would rewrite a wanted TCP range, and
    C(port_capacity_reboot=allowed) in enforce mode when M(ansible.windows.win_reboot) does not resolve on the controller.
  - Warns (once per host) about each variable in O(defined) that starts with C(port_capacity_) but is not documented in
    O(argument_specs), naming the closest documented one; such a misspelt variable would otherwise be ignored.
positional: _input
options:
  _input:
    description: The role's variables, as a dictionary of variable name (C(port_capacity_range), ...) to value.
    type: dict
    required: true
  defined:
    description:
      - The names of the C(port_capacity_*) variables defined for the host, for example
        C(lookup('ansible.builtin.varnames', '^port_capacity_', wantlist=True)).
    type: list
    elements: str
    default: []
  argument_specs:
    description: The path of the role's C(meta/argument_specs.yml); the options it documents are the known variables.
    type: path
  host:
    description: The host the warnings are about (C(inventory_hostname)); it starts each warning.
    type: str
"""

EXAMPLES = r"""
- name: Check the role's variables
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: >-
      {{ {'port_capacity_mode': 'enforce', 'port_capacity_probe_count': 250000}
         | portscale.tcpip.port_capacity_problems(defined=['port_capacity_rang'],
                                                  argument_specs=role_path ~ '/meta/argument_specs.yml') }}
"""

RETURN = r"""
_value:
  description: One sentence per problem, naming the variable and what is valid; empty when there is none.
  type: list
  elements: str
  sample:
    - "port_capacity_exclusions: 7100-7109 (10 ports) and 7105-7114 (10 ports) overlap; listed ranges must not overlap each other."
"""

from collections.abc import Mapping

import yaml

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.loader import plugin_resolves
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import role_validation
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import type_name

display = Display()


def port_capacity_problems(values, defined=None, argument_specs=None, host=None):
    """Filter entry point."""
    if not isinstance(values, Mapping):
        raise AnsibleFilterError(f"port_capacity_problems expects a dictionary of the role's variables, got {type_name(values)}")
    needs_reboot_module = values.get("port_capacity_reboot") == "allowed" and values.get("port_capacity_mode") == "enforce"
    problems = role_validation.variable_problems(values, plugin_resolves(role_validation.REBOOT_MODULE) if needs_reboot_module else True)
    if defined and argument_specs:
        try:
            with open(argument_specs, encoding="utf-8") as handle:
                known = role_validation.role_variables(yaml.safe_load(handle))
        except (OSError, yaml.YAMLError) as error:
            raise AnsibleFilterError(f"port_capacity_problems: cannot read the argument specs {argument_specs}: {error}") from error
        for warning in role_validation.unknown_variable_warnings(defined, known):
            display.warning(f"{host}: {warning}" if host else warning)
    return problems


class FilterModule:
    """portscale.tcpip.port_capacity_problems"""

    def filters(self):
        return {"port_capacity_problems": port_capacity_problems}
