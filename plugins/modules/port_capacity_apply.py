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
  - Internal to the P(portscale.tcpip.port_capacity#role) role, which documents it (docs/role.md, "Flow"); its options
    and results may change with the role. Use the modules in your own tasks.
  - Checks the variables before any contact, reads the host once, plans every setting from that read, refuses before
    any write, sends every write and their verification read in one batch (enforce mode), probes (sized from the latest
    read of the task) and builds the summary. A converged host costs two command executions, a changing one three
    (one more per read where C(netstat) lacks C(-q), before Windows 10/2016).
  - Never returns an unreachable result (the role's C(rescue) must run); RV(role_unreachable) and RV(role_step) say
    why a host stopped. A refused write skips the later settings' writes.
options:
  variables:
    description: The role's variables (C(port_capacity_mode), C(port_capacity_range), ...) as a dictionary.
    type: dict
    required: true
  argument_specs:
    description:
      - The role's C(meta/argument_specs.yml); a C(port_capacity_*) variable it does not document is warned about.
    type: path
  plan_only:
    description:
      - Stop after the plan (the role's plan gate); no write, no probe. Skipped before any contact unless the task's
        C(any_errors_fatal) or C(port_capacity_plan_gate) is true.
    type: bool
    default: false
  after_reboot:
    description: This module's result before the role's reboot; then it only reads the host again and probes it.
    type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - portscale.tcpip.windows_action.attributes
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
  description: The read after the changes (or the reboot), in the same form; empty when nothing changed.
  returned: after the read
  type: dict
changes:
  description: What each setting did or would do, by C(tcpip_parameters), C(exclusions), C(ranges).
  returned: after the read
  type: dict
probe:
  description: The probe's result, as M(portscale.tcpip.win_port_probe) returns it.
  returned: after the read
  type: dict
summary:
  description: The host's summary, as P(portscale.tcpip.port_capacity_summary#filter) returns it, and its line.
  returned: after the read
  type: dict
summary_line:
  description: The line the role shows.
  returned: after the read
  type: str
verdict:
  description: Why the role fails the host after the report; empty when it does not.
  returned: after the read
  type: str
summary_data:
  description: The input of the summary.
  returned: always
  type: dict
run_id:
  description: The same in the result of O(after_reboot) as in the result it was given.
  returned: always
  type: str
reboot_next:
  description: The role reboots the host next (needed and allowed), with the probe on or off.
  returned: after the read
  type: bool
probe_deferred:
  description: The probe waits for the reboot that follows.
  returned: after the read
  type: bool
reboot_required:
  description: A value written (by this run or an earlier one) waits for a reboot.
  returned: after the read
  type: bool
may_have_written:
  description: A write of this run may have reached the host.
  returned: always
  type: bool
role_step:
  description: The step the host stopped at.
  returned: failure
  type: str
role_unreachable:
  description: The host could not be reached at RV(role_step).
  returned: failure
  type: bool
"""
