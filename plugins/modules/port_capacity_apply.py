#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only holds documentation: the module is the action plugin of the same name (it runs on the controller).

DOCUMENTATION = r"""
---
module: port_capacity_apply
short_description: The port_capacity role's work on one host in one task (internal to the role)
version_added: 0.1.0
description:
  - Internal to the P(portscale.tcpip.port_capacity#role) role, which documents what it does (docs/role.md); its options
    and results may change with the role. Use the modules (M(portscale.tcpip.win_port_info),
    M(portscale.tcpip.win_dynamic_port_range), M(portscale.tcpip.win_tcpip_parameters),
    M(portscale.tcpip.win_excluded_port_range), M(portscale.tcpip.win_port_probe)) in your own tasks.
  - Checks the role's variables with the modules' own validation before any contact with the host, reads the host once
    (what M(portscale.tcpip.win_port_info) reads, which holds everything the plans need), plans every wanted setting
    from that read with the modules' plan functions, and refuses the host before any write when a plan is refused.
  - In enforce mode (not in check mode), when something differs, sends every write in one batch, in the safe order
    (registry values, exclusions, ranges), followed by the same full read, which verifies each setting and is the read
    after the changes.
  - Then runs the probe, sized from the latest read of the same task; when a reboot follows (C(port_capacity_reboot=allowed), enforce mode) the
    probe is left to the role, which calls this module again with O(after_reboot) after the reboot.
  - A converged host costs two command executions (the read and the probe), a changing one three.
  - Builds the host's summary (the fact C(port_capacity_summary)) and the line the role shows, as the filter
    P(portscale.tcpip.port_capacity_summary#filter) would.
  - Never returns an unreachable result, so that the role's C(rescue) always runs; a host that could not be reached
    fails with RV(role_unreachable) set, and RV(role_step) names the step it stopped at.
options:
  variables:
    description: The role's variables (C(port_capacity_mode), C(port_capacity_range), ...) as a dictionary.
    type: dict
    required: true
  argument_specs:
    description:
      - The path of the role's C(meta/argument_specs.yml); the options it documents are the known variables, and a
        C(port_capacity_*) variable of the host that is not one of them (a misspelt name) is warned about.
      - Read once per controller process.
    type: path
  after_reboot:
    description:
      - The result this module returned before the role rebooted the host. Only reads the host again and probes it,
        and summarises the host with the first read and the changes of that result.
    type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - portscale.tcpip.windows_action
seealso:
  - module: portscale.tcpip.win_port_info
  - module: portscale.tcpip.win_port_probe
author:
  - portscale.tcpip contributors (@portscale)
"""

EXAMPLES = r"""
# Internal to the role (roles/port_capacity/tasks/main.yml); shown for completeness.
- name: Check, read, plan, apply and probe the host
  portscale.tcpip.port_capacity_apply:
    variables:
      port_capacity_mode: enforce
      port_capacity_range: {start: 10000, end: 65535}
  register: port_capacity_host
"""

RETURN = r"""
before:
  description: The first read, as M(portscale.tcpip.win_port_info) returns it.
  returned: after the read
  type: dict
after:
  description: The read after the changes, as M(portscale.tcpip.win_port_info) returns it; empty when nothing changed.
  returned: after the read
  type: dict
plans:
  description: Each setting's plan (the result its module gives in check mode), by C(tcpip_parameters), C(exclusions), C(ranges).
  returned: after the read
  type: dict
changes:
  description: What each setting did (enforce) or would do (audit, check mode), by C(tcpip_parameters), C(exclusions), C(ranges).
  returned: after the read
  type: dict
probe:
  description: The probe's result, as M(portscale.tcpip.win_port_probe) returns it; empty when it did not run here.
  returned: after the read
  type: dict
summary:
  description: The host's summary, as P(portscale.tcpip.port_capacity_summary#filter) returns it.
  returned: always
  type: dict
summary_line:
  description: The summary in one line, as the role shows it.
  returned: always
  type: str
verdict:
  description:
    - Why the role fails the host after the report (its probe fell short, or drift in audit mode with
      C(port_capacity_fail_on_drift)); empty when it does not.
  returned: when the host was read
  type: str
summary_data:
  description: The input of the summary (for the role's rescue, which adds a read made after a failure).
  returned: always
  type: dict
run_id:
  description: Random, the same in the result of O(after_reboot) as in the result it was given.
  returned: always
  type: str
probe_deferred:
  description: The probe is left to the role, after the reboot that follows.
  returned: after the read
  type: bool
reboot_required:
  description: A value this run wrote, or one an earlier run wrote, waits for a reboot (enforce mode only).
  returned: after the read
  type: bool
may_have_written:
  description: A write of this run may have reached the host.
  returned: always
  type: bool
role_step:
  description: The step the host stopped at (C(validate), C(read), C(plan), the module of a write, C(probe)).
  returned: failure
  type: str
role_unreachable:
  description: The host could not be reached at RV(role_step).
  returned: failure
  type: bool
"""
