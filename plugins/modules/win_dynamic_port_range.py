#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only holds documentation: the module is the action plugin of the same name (it runs on the controller).

DOCUMENTATION = r"""
---
module: win_dynamic_port_range
short_description: Set the Windows dynamic (ephemeral) port ranges for IPv4/IPv6 and TCP/UDP
version_added: 0.1.0
description:
  - Sets the dynamic port range that Windows hands out for outbound connections, with
    C(netsh int ipv4|ipv6 set dynamicport tcp|udp), for any of the four ranges (IPv4/IPv6 x TCP/UDP) in one declarative task.
  - Idempotent and locale-independent; it reads numbers, never the words of the host's display language.
  - Changes apply at once, without a reboot. With O(store=persistent) they also survive reboots.
  - Runs on the controller and talks to the host over the task's own connection (winrm, psrp, or ssh with a PowerShell shell).
    One command execution when nothing changes, two when something does (writes and their verification in one batch).
  - Warns when MaxUserPort is set (it rewrites the TCP range at the next boot), when excluded ranges eat more than a quarter
    of a range, when Hyper-V/WinNAT reservations sit inside a range and when a range is smaller than the Windows default.
options:
  start:
    description:
      - First port of the range. At least 1025 (the lowest start Windows accepts).
      - Required when O(state=present).
    type: int
  count:
    description:
      - Number of ports in the range; at least 255, and O(start) + O(count) may be at most 65536.
      - Give exactly one of O(count) and O(end).
    type: int
  end:
    description:
      - Last port of the range (inclusive), at most 65535. The range holds O(end) - O(start) + 1 ports, at least 255.
      - Give exactly one of O(count) and O(end).
    type: int
  state:
    description:
      - V(present) makes the ranges O(start)/O(count) (or O(start)..O(end)).
      - V(default) restores the Windows default, 49152 with 16384 ports (49152-65535); do not give O(start), O(count) or O(end) then.
    type: str
    choices: [present, default]
    default: present
  protocols:
    description: Which transport protocols' ranges to set.
    type: list
    elements: str
    choices: [tcp, udp]
    default: [tcp, udp]
  ip_versions:
    description: Which IP versions' ranges to set.
    type: list
    elements: str
    choices: [ipv4, ipv6]
    default: [ipv4, ipv6]
  store:
    description:
      - V(persistent) applies the range now and keeps it across reboots (the netsh default).
      - V(active) applies it only until the next reboot.
      - The module compares against the active range, which is what Windows uses right now.
    type: str
    choices: [persistent, active]
    default: persistent
  listener_guard:
    description:
      - What to do when the new range would cover ports that services on the host listen on (TCP) or have bound (UDP)
        and that the current range does not cover. Windows may then hand such a port to an outbound connection while the
        service is stopped, and the service fails to start.
      - V(warn) changes the range and warns, V(fail) fails before changing anything, V(ignore) skips the check (and the
        C(netstat) read it needs).
    type: str
    choices: [warn, fail, ignore]
    default: warn
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - portscale.tcpip.windows_action
notes:
  - Needs an administrator account to change a range; reading works without.
  - Windows Server 2003 and older have no netsh dynamic range (MaxUserPort sets it); the module fails there and says so.
  - Hyper-V/WinNAT reservations already made stay where they are when the range changes; new ones are placed inside the new range
    at the next boot. Restarting the C(winnat) service only removes them (until the next boot).
seealso:
  - module: portscale.tcpip.win_tcpip_parameters
  - module: portscale.tcpip.win_excluded_port_range
  - name: Troubleshoot port exhaustion issues (Microsoft)
    description: Microsoft's guide to ephemeral port exhaustion, the limits of the range and the netsh commands.
    link: https://learn.microsoft.com/en-us/troubleshoot/windows-client/networking/tcp-ip-port-exhaustion-troubleshooting
author:
  - portscale.tcpip contributors (@portscale)
"""

EXAMPLES = r"""
- name: Widen all four ranges on busy API gateways (49152-65535 -> 10000-65535)
  portscale.tcpip.win_dynamic_port_range:
    start: 10000
    end: 65535

- name: Move only the IPv4 TCP range above the Kubernetes NodePort range, failing if a service listens there
  portscale.tcpip.win_dynamic_port_range:
    start: 33000
    count: 32536
    protocols: [tcp]
    ip_versions: [ipv4]
    listener_guard: fail

- name: Undo an installer that widened the range to 1024-65535
  portscale.tcpip.win_dynamic_port_range:
    state: default

- name: Try a range until the next reboot only, and show what would change first
  portscale.tcpip.win_dynamic_port_range:
    start: 20000
    count: 45536
    store: active
  check_mode: true
  diff: true
  register: preview
"""

RETURN = r"""
applied:
  description:
    - The items of RV(before)/RV(after) (range keys) that the host now has changed, read back from the host. Empty in check
      mode. After a failure it says exactly what did change; null when the host could not be read back.
  returned: always
  type: list
  elements: str
  sample: ["ipv4_tcp", "ipv6_tcp"]
not_applied:
  description:
    - The items that still differ from what the task asked for. Empty after a success; in check mode, what would change.
      After a failure it says what a re-run still has to change; null when the host could not be read back.
  returned: always
  type: list
  elements: str
  sample: []
before:
  description: The ranges the task manages as the host reported them before the task, keyed C(<ip_version>_<protocol>).
  returned: always
  type: dict
  sample: {"ipv4_tcp": {"start": 49152, "count": 16384, "end": 65535}}
after:
  description:
    - The ranges after the task. After a change this is what the host reported when re-read in the same batch
      (verification); in check mode it is what the task would set.
  returned: always
  type: dict
  sample: {"ipv4_tcp": {"start": 10000, "count": 55536, "end": 65535}}
commands:
  description: The netsh commands the task ran (or, in check mode, would run).
  returned: always
  type: list
  elements: str
  sample: ["netsh int ipv4 set dynamicport tcp start=10000 num=55536 store=persistent"]
reboot_required:
  description: Always false; dynamic ranges apply at once.
  returned: always
  type: bool
  sample: false
listeners_in_new_range:
  description: Ports that services listen on (or have bound) which the new range covers and the old one did not, per range.
  returned: always
  type: dict
  sample: {"ipv4_tcp": [15000]}
"""
