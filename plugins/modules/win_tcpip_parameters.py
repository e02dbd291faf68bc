#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only holds documentation: the module is the action plugin of the same name (it runs on the controller).

DOCUMENTATION = r"""
---
module: win_tcpip_parameters
short_description: Set or remove MaxUserPort and TcpTimedWaitDelay, knowing what each does at the next boot
version_added: 0.1.0
description:
  - Manages two REG_DWORD values under C(HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters) with their Windows
    semantics, not as plain registry data.
  - C(TcpTimedWaitDelay) is how many seconds a closed connection's port stays in TIME_WAIT (120 by default). Lower values let
    a host open new outbound connections faster (roughly usable ports / TIME_WAIT seconds per second to one destination).
  - C(MaxUserPort) is a legacy value. On Windows Vista / Server 2008 and later it is not ignored; at boot Windows rewrites
    the TCP dynamic range to 1024..MaxUserPort, overriding the netsh range. Installers leave it behind. The module warns
    whenever it is set (or found) and says which range it will produce; O(max_user_port=absent) removes it.
  - On Windows Server 2003 and older (no netsh dynamic range) MaxUserPort is the range knob (1025..MaxUserPort); the module says so.
  - Both values take effect only after a reboot, so every change returns RV(reboot_required=true). Pair it with
    M(ansible.windows.win_reboot) or the P(portscale.tcpip.port_capacity#role) role's reboot policy.
  - Each write leaves a marker beside the value, in the same batch, under C(HKLM\SOFTWARE\portscale.tcpip) (one REG_SZ named
    like the value, holding the host's boot identity at the write, the value in effect before it and the value written).
    A value written without a reboot therefore stays pending in later runs, from any controller, until the host has
    really rebooted. RV(reboot_required) stays true even when the task writes nothing, and RV(reboot_state) shows the
    value in effect beside the pending one.
  - One command execution when nothing changes, two when something does (writes and their verification in one batch).
options:
  max_user_port:
    description:
      - An integer from 5000 to 65534 to set MaxUserPort, or V(absent) to remove the value (the Windows default behaviour).
      - Leave it out to leave the value alone.
    type: raw
  tcp_timed_wait_delay:
    description:
      - Seconds a closed connection stays in TIME_WAIT, or V(absent) to remove the value (Windows then uses 120).
      - Valid values are 2 to 300 on Windows 8.1 / Server 2012 R2 and later, 30 to 300 on older versions; the module reads the
        host's build first and refuses a value the host would not accept, before writing anything.
      - Leave it out to leave the value alone.
    type: raw
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - portscale.tcpip.windows_action
notes:
  - Needs an administrator account to change a value.
  - A registry change is visible at once but the TCP/IP stack reads these values only at boot, and Windows does not show which
    value it read. Whether a change is still pending comes from the collection's marker and the host's boot identity
    (C(BootId) under C(HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management\PrefetchParameters), raised at
    every boot); see RV(reboot_state). A value changed by someone else, or on a host without that boot identity, is reported
    as V(unknown). A MaxUserPort change is also visible in the live TCP range (RV(max_user_port_effect.pending)).
  - To forget every marker, remove the key (C(reg delete HKLM\SOFTWARE\portscale.tcpip /f)); the values are then V(unknown)
    until the module writes them again.
seealso:
  - module: portscale.tcpip.win_dynamic_port_range
  - module: ansible.windows.win_reboot
  - name: KB 196271 - WSAENOBUFS (10055) and MaxUserPort
    description: Microsoft's description of MaxUserPort and TcpTimedWaitDelay.
    link: https://learn.microsoft.com/en-us/troubleshoot/windows-client/networking/connect-tcp-greater-than-5000-error-wsaenobufs-10055
author:
  - portscale.tcpip contributors (@portscale)
"""

EXAMPLES = r"""
- name: Remove a MaxUserPort left behind by an installer and shorten TIME_WAIT to 30 seconds
  portscale.tcpip.win_tcpip_parameters:
    max_user_port: absent
    tcp_timed_wait_delay: 30
  register: tcpip

- name: Reboot when the new values need it
  ansible.windows.win_reboot:
  when: tcpip.reboot_required

- name: Fleet clean-up, 20 hosts at a time, rebooting as they change
  hosts: windows_app_servers
  serial: 20
  gather_facts: false
  tasks:
    - name: Make sure no host still carries MaxUserPort
      portscale.tcpip.win_tcpip_parameters:
        max_user_port: absent
      register: cleanup

    - name: Reboot the hosts that changed
      ansible.windows.win_reboot:
      when: cleanup.reboot_required

- name: Restore the Windows default TIME_WAIT
  portscale.tcpip.win_tcpip_parameters:
    tcp_timed_wait_delay: absent
"""

RETURN = r"""
applied:
  description:
    - The items of RV(before)/RV(after) (registry value names) that the host now has changed, read back from the host. Empty in check
      mode. After a failure it says exactly what did change; null when the host could not be read back.
  returned: always
  type: list
  elements: str
  sample: ["MaxUserPort"]
not_applied:
  description:
    - The items that still differ from what the task asked for. Empty after a success; in check mode, what would change.
      After a failure it says what a re-run still has to change; null when the host could not be read back.
  returned: always
  type: list
  elements: str
  sample: []
before:
  description: The managed values as the host had them before the task (null = absent).
  returned: always
  type: dict
  sample: {"MaxUserPort": 65534, "TcpTimedWaitDelay": null}
after:
  description: The managed values after the task (read back from the host after a change; what would be set in check mode).
  returned: always
  type: dict
  sample: {"MaxUserPort": null, "TcpTimedWaitDelay": 30}
reboot_required:
  description:
    - True while a value written by this module waits for a reboot (RV(reboot_state) shows one V(pending)), whether this task
      wrote it or an earlier run did, from any controller; false once the host has rebooted, or when a write puts back the
      value in effect.
    - On a host without a boot identity (no marker is written), true when the task changed a value the TCP/IP stack reads at
      the next boot.
  returned: always
  type: bool
  sample: true
boot_id:
  description: The host's boot identity (C(PrefetchParameters\BootId)), or null when it has none.
  returned: always
  type: int
  sample: 42
reboot_state:
  description:
    - For C(MaxUserPort) and C(TcpTimedWaitDelay) (both, whichever the task manages), the value the next boot uses beside the
      value the running TCP/IP stack uses, as the host reads after the task (in check mode, as the change would leave it).
    - C(value) is the REG_DWORD in the registry (null when absent). C(state) is V(pending) (written by this module since the last
      boot and different from the value in effect), V(in_effect) (the host has booted since this module wrote it, or it is the
      value in effect again) or V(unknown) (not written by this module, changed by someone else since, or the host has no boot
      identity). C(pending) is true, false or null for the same three.
    - C(effective) is the value in effect (null when absent, the Windows default), or null with C(effective_known=false) when it
      is not known. C(effective_assumed) is the value the figures of M(portscale.tcpip.win_port_info) use, the one in effect
      when known, else the registry value. C(written_at_boot) is the boot identity of this module's last write of
      the value (null without one), C(reason) says how the state was found.
  returned: always
  type: dict
  sample:
    TcpTimedWaitDelay: {"value": 30, "effective": null, "effective_known": true, "effective_assumed": null, "state": "pending",
                        "pending": true, "written_at_boot": 42, "reason": "written by portscale.tcpip during this boot (boot 42); ..."}
    MaxUserPort: {"value": null, "effective": null, "effective_known": false, "effective_assumed": null, "state": "unknown",
                  "pending": null, "written_at_boot": null, "reason": "MaxUserPort was not written by portscale.tcpip (no marker), ..."}
commands:
  description:
    - The reg commands the task ran (or, in check mode, would run), each write followed by the C(reg add) of its marker under
      C(HKLM\SOFTWARE\portscale.tcpip).
  returned: always
  type: list
  elements: str
  sample: ["reg delete HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v MaxUserPort /f",
           "reg add HKLM\\SOFTWARE\\portscale.tcpip /v MaxUserPort /t REG_SZ /d boot=42:effective=65534:written=absent:known=1 /f"]
max_user_port_effect:
  description: What MaxUserPort (as it is after the task) does to the TCP dynamic range at the next boot.
  returned: always
  type: dict
  contains:
    governs:
      description: V(netsh) when the netsh range rules, V(max_user_port) when MaxUserPort sets the TCP range at boot.
      type: str
    tcp_range_at_boot:
      description: The TCP range MaxUserPort produces at the next boot (C(start), C(count), C(end)), or null when it is absent.
      type: dict
    pending:
      description: True when the live TCP range is not yet the one MaxUserPort produces (a reboot is still to come).
      type: bool
  sample: {"governs": "max_user_port", "tcp_range_at_boot": {"start": 1024, "count": 64511, "end": 65534}, "pending": true}
"""
