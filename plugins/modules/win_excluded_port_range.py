#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only holds documentation: the module is the action plugin of the same name (it runs on the controller).

DOCUMENTATION = r"""
---
module: win_excluded_port_range
short_description: Manage administered excluded port ranges, leaving Hyper-V/WinNAT reservations alone
version_added: 0.1.0
description:
  - Adds and removes administered port exclusions (C(netsh int ipv4|ipv6 add|delete excludedportrange)), port blocks Windows
    never hands out as ephemeral ports. An application can still bind them explicitly, so the service that owns the port finds
    it free. Only Hyper-V/WinNAT reservations make binds fail with 10013 (WSAEACCES).
  - Only administered exclusions (the rows netsh marks with C(*)) belong to you. Rows without C(*) are Hyper-V, WinNAT/HNS
    reservations (100-port blocks that move at every boot) or HTTP.sys registrations; the module reports them in
    RV(system_reservations) and never deletes them.
  - With O(purge=true) the administered set becomes exactly O(ranges), removing the others.
  - Windows refuses to exclude ports that are in use or held by a WinNAT reservation. The module shows the host's own message
    and the ports it saw in use; an add that overlaps a WinNAT reservation fails before changing anything unless
    O(winnat_restart=true), which wraps the change in C(net stop winnat) / C(net start winnat) (winnat is always started again).
  - One command execution when nothing changes, two when something does (writes and their verification in one batch).
options:
  ranges:
    description:
      - The port blocks, each with O(ranges[].start) and one of O(ranges[].count) or O(ranges[].end). Ports 1-65535.
      - With O(state=present) they must be administered exclusions afterwards; with O(state=absent) they must not.
      - A listed block is matched exactly; C(50000-50059) is not the same exclusion as C(50000-50099).
      - At most 100 blocks in one task (each is one netsh command per table, all sent in one batch), and they must not overlap.
    type: list
    elements: dict
    default: []
    suboptions:
      start:
        description: First port of the block.
        type: int
        required: true
      count:
        description: Number of ports in the block (at least 1).
        type: int
      end:
        description: Last port of the block (inclusive).
        type: int
  state:
    description: Whether the listed ranges must be present (administered) or absent.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description: With O(state=present), also remove every administered exclusion that is not listed in O(ranges).
    type: bool
    default: false
  protocols:
    description: Which protocols' exclusion tables to manage.
    type: list
    elements: str
    choices: [tcp, udp]
    default: [tcp]
  ip_versions:
    description: Which IP versions' exclusion tables to manage.
    type: list
    elements: str
    choices: [ipv4, ipv6]
    default: [ipv4, ipv6]
  store:
    description: V(persistent) keeps the exclusion across reboots; V(active) only until the next reboot.
    type: str
    choices: [persistent, active]
    default: persistent
  winnat_restart:
    description:
      - Allow the module to stop the C(winnat) service while it adds exclusions that overlap a WinNAT reservation, then start it
        again (also when the add fails).
      - Stopping winnat removes every WinNAT reservation (all of them, not only the one in the way), and starting it again does
        not re-create them. They return at the next boot, or when HNS, Docker or WSL reserve again, outside the administered
        exclusions.
      - Stopping winnat briefly interrupts NAT for Hyper-V/WSL/container networks on the host; plan a reboot after the change
        when VMs or containers need their NAT.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - portscale.tcpip.windows_action
notes:
  - Needs an administrator account to change exclusions.
  - Windows Server 2008 R2 needs hotfix 2665809 before netsh can exclude ports (KB 3039044).
seealso:
  - module: portscale.tcpip.win_dynamic_port_range
  - name: KB 3039044
    description: A second SO_REUSEADDR bind to an excluded port fails with 10013 (2008 R2–2012 R2).
    link: https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/error-10013-wsaeacces-is-returned
author:
  - portscale.tcpip contributors (@portscale)
"""

EXAMPLES = r"""
- name: Keep SQL Server's availability-group port out of the ephemeral range (IPv4 and IPv6 TCP)
  portscale.tcpip.win_excluded_port_range:
    ranges:
      - start: 5022
        count: 1

- name: Reserve a block for an application whose ports WinNAT keeps grabbing (stops winnat briefly)
  portscale.tcpip.win_excluded_port_range:
    ranges:
      - start: 50000
        end: 50059
    ip_versions: [ipv4]
    winnat_restart: true

- name: Make the administered exclusions exactly this list (removes the others, never touches WinNAT rows)
  portscale.tcpip.win_excluded_port_range:
    ranges:
      - start: 5022
        count: 1
      - start: 50000
        count: 60
    purge: true

- name: Remove an exclusion
  portscale.tcpip.win_excluded_port_range:
    ranges:
      - start: 50000
        count: 60
    state: absent
"""

RETURN = r"""
applied:
  description:
    - The items of RV(before)/RV(after) (range keys) that the host now has changed, read back from the host. Empty in check
      mode. After a failure it says exactly what did change; null when the host could not be read back.
  returned: always
  type: list
  elements: str
  sample: ["ipv4_tcp"]
not_applied:
  description:
    - The items that still differ from what the task asked for. Empty after a success; in check mode, what would change.
      After a failure it says what a re-run still has to change; null when the host could not be read back.
  returned: always
  type: list
  elements: str
  sample: []
before:
  description: The administered exclusions per table (C(<ip_version>_<protocol>)) before the task.
  returned: always
  type: dict
  sample: {"ipv4_tcp": [{"start": 50000, "end": 50059, "count": 60}]}
after:
  description: The administered exclusions after the task (read back from the host after a change).
  returned: always
  type: dict
  sample: {"ipv4_tcp": [{"start": 5022, "end": 5022, "count": 1}, {"start": 50000, "end": 50059, "count": 60}]}
system_reservations:
  description:
    - Rows without C(*) (Hyper-V/WinNAT/HNS reservations and HTTP.sys registrations) per table; never deleted by the module.
    - After a change, as the host reports them after it (O(winnat_restart) removes every WinNAT block); in check mode, as the
      change would leave them. Null when the host could not be read back after the writes.
  returned: always
  type: dict
  sample: {"ipv4_tcp": [{"start": 80, "end": 80, "count": 1}, {"start": 56638, "end": 56737, "count": 100}]}
ports_in_use:
  description: Ports inside the requested ranges that connections or listeners held when the task read the host.
  returned: always
  type: dict
  sample: {"ipv4_tcp": [5022]}
commands:
  description: The netsh (and net) commands the task ran (or, in check mode, would run).
  returned: always
  type: list
  elements: str
  sample: ["netsh int ipv4 add excludedportrange protocol=tcp startport=5022 numberofports=1 store=persistent"]
reboot_required:
  description: Always false; exclusions apply at once.
  returned: always
  type: bool
  sample: false
"""
