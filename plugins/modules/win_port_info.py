#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only holds documentation: the module is the action plugin of the same name (it runs on the controller).

DOCUMENTATION = r"""
---
module: win_port_info
short_description: Report Windows ephemeral port capacity, what uses it and what is wrong with it
version_added: 0.1.0
description:
  - Reads the four dynamic port ranges (IPv4/IPv6 x TCP/UDP), the excluded port ranges, the C(MaxUserPort) and
    C(TcpTimedWaitDelay) registry values, the OS build, the connection table (C(netstat -anoq)), the process table
    (C(tasklist /fo csv /nh)) and the System log's Tcpip exhaustion events 4227 and 4231 (C(wevtutil qe System ... /f:xml))
    in one command execution, and reports for each range how many ports are excluded, in use and free.
  - Answers whether the host actually ran out of ports (RV(exhaustion_events), finding C(exhaustion_events_seen)) and
    which process holds them (RV(top_processes) with image names).
  - Every port of a range is counted once, so C(in_use.total) + C(free) + C(excluded.total) of each entry of RV(capacity)
    equals the size of the range. See the capacity guide (docs/capacity.md) for the exact rules.
  - Reports the sustainable rate of new outbound connections to one destination (free ports / TIME_WAIT seconds),
    the processes holding the most ports, the listeners inside each range, and a list of findings with a severity.
  - The free ports and the rate are figures per destination (remote address and port), and lower bounds. Where
    C(SO_REUSE_UNICASTPORT) exists (Windows 10 / Server 2016 and later; 8.1 / 2012 R2 only with KB 3149157), C(connect())
    without an explicit bind has it set by default, so a connection to a destination may also get a port that
    connections to other destinations hold. C(capacity.<range>.per_destination) gives both bounds and the destinations
    holding the most ports.
  - Locale-independent. It reads numbers and addresses, never the words of the host's display language.
  - Read-only; check mode reads exactly the same.
options:
  events_days:
    description:
      - How many days of the System log to read for the Tcpip events 4227 and 4231 (port exhaustion).
      - The host returns at most 100 events per event ID, newest first; RV(exhaustion_events) says when a count was capped.
    type: int
    default: 7
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - portscale.tcpip.windows_action
attributes:
  diff_mode:
    support: none
notes:
  - Works without administrator rights, but C(netstat -o) shows process ids of other users' sockets only to administrators.
  - A System log that cannot be read (access denied, a disabled channel, Windows Server 2003 without C(wevtutil)) and a
    process table that cannot be read are reported in RV(exhaustion_events) (its C(note)) and RV(processes_note); the task does not fail.
  - BOUND sockets (bound, not connected) hold ports but are listed only by C(netstat -q) (Windows 10 / Server 2016, or
    2012 R2 with an update). On hosts without it the module reads C(netstat -ano) in a second command execution and adds
    the finding C(bound_sockets_not_listed).
  - C(TcpTimedWaitDelay) and C(MaxUserPort) take effect at the next boot, and Windows does not show the values in force. A value
    written by M(portscale.tcpip.win_tcpip_parameters) carries its marker (the host's boot identity at the write and the value
    in effect before it), so until the host reboots the module reports it as pending and uses the value in effect for the
    rates and findings. For a value it did not write it assumes the registry value and says so in RV(time_wait).
seealso:
  - module: portscale.tcpip.win_port_probe
  - module: portscale.tcpip.win_dynamic_port_range
  - module: portscale.tcpip.win_tcpip_parameters
  - name: Troubleshoot port exhaustion issues (Microsoft)
    description: Microsoft's guide to ephemeral port exhaustion.
    link: https://learn.microsoft.com/en-us/troubleshoot/windows-client/networking/tcp-ip-port-exhaustion-troubleshooting
author:
  - portscale.tcpip contributors (@portscale)
"""

EXAMPLES = r"""
- name: Read the port capacity of every host
  portscale.tcpip.win_port_info:
  register: ports

- name: Show the headroom of the IPv4 TCP range
  ansible.builtin.debug:
    msg: >-
      {{ ports.capacity.ipv4_tcp.free }} free of {{ ports.capacity.ipv4_tcp.range.count }}
      ({{ ports.capacity.ipv4_tcp.percent_free }}%), about {{ ports.capacity.ipv4_tcp.connections_per_second }}
      new connections/s to one destination

- name: Fail on hosts with a critical finding
  ansible.builtin.assert:
    that: ports.findings | selectattr('severity', 'equalto', 'critical') | list | length == 0
    fail_msg: "{{ ports.findings | selectattr('severity', 'equalto', 'critical') | map(attribute='message') | list }}"
"""

RETURN = r"""
os_build:
  description: The Windows build number (C(CurrentBuildNumber)).
  returned: always
  type: int
  sample: 20348
dynamic_port_ranges_supported:
  description: False on Windows Server 2003 and older, which have no netsh dynamic range (then RV(ranges) and RV(capacity) are empty).
  returned: always
  type: bool
  sample: true
ranges:
  description: The live dynamic ranges, keyed C(<ip_version>_<protocol>).
  returned: always
  type: dict
  sample: {"ipv4_tcp": {"start": 49152, "count": 16384, "end": 65535}}
exclusions:
  description:
    - The excluded port ranges of each protocol and IP version. C(kind) is V(administered) (a C(*) row, managed with
      portscale.tcpip.win_excluded_port_range), V(winnat) (a Hyper-V/WinNAT block of 100 or more ports, reserved again
      at every boot; stopping winnat removes them until then) or V(system) (other rows, such as HTTP.sys/WinRM single ports).
    - C(ports_in_range) is how many of the row's ports fall inside the dynamic range.
  returned: always
  type: dict
  sample: {"ipv4_tcp": [{"start": 50916, "end": 51015, "count": 100, "administered": false, "kind": "winnat", "ports_in_range": 100}]}
registry:
  description:
    - C(MaxUserPort) and C(TcpTimedWaitDelay) (C(value) is null when absent) and what they do at the next boot.
    - For C(MaxUserPort), C(tcp_range_at_next_boot) is the TCP range Windows builds from it (1024..MaxUserPort), and C(pending)
      is true when the live TCP range differs from it, that is, the value was written after the last boot.
      MaxUserPort's C(pending) is also true while M(portscale.tcpip.win_tcpip_parameters)'s marker says a change waits for a reboot.
    - For C(TcpTimedWaitDelay), C(pending) is true while a value written by M(portscale.tcpip.win_tcpip_parameters) waits for a
      reboot, false once the host has booted since (or the value in effect is back), null when that cannot be told (a value
      it did not write, or changed by someone else since). C(time_wait_seconds_in_effect) is what the rates use,
      C(time_wait_seconds_at_next_boot) what the next boot gives.
    - Both carry the fields of M(portscale.tcpip.win_tcpip_parameters)'s RV(portscale.tcpip.win_tcpip_parameters#module:reboot_state)
      (C(effective), C(effective_known), C(effective_assumed), C(state), C(written_at_boot), C(reason)).
  returned: always
  type: dict
  sample:
    MaxUserPort: {"value": 65534, "tcp_range_at_next_boot": {"start": 1024, "count": 64511, "end": 65534}, "pending": true,
                  "governs": "max_user_port", "state": "unknown", "effective": null, "effective_known": false}
    TcpTimedWaitDelay: {"value": 30, "time_wait_seconds_at_next_boot": 30, "time_wait_seconds_in_effect": 120, "pending": true,
                        "state": "pending", "effective": null, "effective_known": true, "note": "..."}
time_wait:
  description:
    - The TIME_WAIT time used for the rates, and where it comes from (V(registry) or V(default), 120 s). It is the value the
      running TCP/IP stack uses, never one that waits for a reboot.
    - C(state) is V(pending), V(in_effect) or V(unknown) (see RV(registry)); C(pending_seconds) is the TIME_WAIT after the next
      boot while a written TcpTimedWaitDelay waits for it, else null.
  returned: always
  type: dict
  sample: {"seconds": 120, "source": "default", "state": "pending", "pending_seconds": 30, "note": "TcpTimedWaitDelay=30 waits for a reboot ..."}
boot_id:
  description: The host's boot identity (C(PrefetchParameters\BootId), raised at every boot), or null when it has none.
  returned: always
  type: int
  sample: 42
reboot_required:
  description: True while a value written by M(portscale.tcpip.win_tcpip_parameters) waits for a reboot, or MaxUserPort has not
    shaped the live TCP range yet.
  returned: always
  type: bool
  sample: true
capacity:
  description:
    - For each range, keyed C(<ip_version>_<protocol>). C(excluded.total) + C(in_use.total) + C(free) = C(range.count).
    - C(excluded) splits into C(administered) and C(system); C(winnat) is the part of C(system) held by Hyper-V/WinNAT blocks.
    - C(in_use.by_state) counts ports (not rows) by the state of the row that holds them (V(UDP) for UDP sockets);
      C(in_use.top_pids) lists the processes holding the most ports of the range (PID 0 is TIME_WAIT, which has no owner).
    - C(usable) is the range minus its exclusions; C(percent_free) is C(free) over C(range.count).
    - C(connections_per_second) is C(free) / C(time_wait_seconds), the sustainable rate of new outbound connections to one
      destination address and port when the client closes first (null for UDP). It is a lower bound (see C(per_destination)).
    - C(per_destination) (TCP; null for UDP) states the figures for what they are, per destination (remote address and port).
      A TIME_WAIT row blocks only its own local and remote address and port. C(ports_at_least) is C(free), the ports no socket
      holds, which a new connection to any destination can get. C(ports_at_most) adds C(reusable_ports), the ports held only
      by connections (any state but LISTENING and BOUND, TIME_WAIT included). Where C(port_reuse) is V(built_in) (Windows 10 /
      Server 2016 and later) or V(with_update) (8.1 / 2012 R2 with KB 3149157, 8 / 2012 with hotfix 3014399),
      C(connect()) without an explicit bind and C(SO_REUSE_UNICASTPORT) sockets may share such a port with a connection to
      another destination, if that connection's socket allows it, which netstat does not show. Where it is V(none), the
      two bounds are equal. C(top_destinations) lists the destinations holding the most reusable ports (first 5); C(ports_at_most)
      there is the bound for one more connection to that destination. C(connections_per_second_at_least) and
      C(connections_per_second_at_most) are the two bounds over C(time_wait_seconds).
    - C(listeners_in_range) lists TCP listeners whose port lies inside the range (first 100); C(connection_rows) counts the
      connection table's rows for this protocol and IP version by state.
  returned: always
  type: dict
  sample:
    ipv4_tcp:
      range: {"start": 49152, "count": 16384, "end": 65535}
      excluded: {"total": 0, "administered": 0, "system": 0, "winnat": 0}
      in_use: {"total": 14026, "by_state": {"TIME_WAIT": 12000, "ESTABLISHED": 2000, "BOUND": 20, "LISTENING": 6},
               "top_pids": [{"pid": 0, "ports": 12000, "percent_of_range": 73.2}]}
      free: 2358
      usable: 16384
      percent_free: 14.4
      time_wait_seconds: 120
      connections_per_second: 19.6
      per_destination: {"ports_at_least": 2358, "ports_at_most": 16358, "reusable_ports": 14000, "port_reuse": "built_in",
                        "destinations": 1, "top_destinations": [{"destination": "192.0.2.10:1433", "ports": 14000, "ports_at_most": 2358}],
                        "connections_per_second_at_least": 19.6, "connections_per_second_at_most": 136.3}
      listeners_in_range: {"count": 6, "ports": [{"port": 49664, "pid": 712}]}
      connection_rows: {"total": 14033, "by_state": {"TIME_WAIT": 12000}}
top_processes:
  description:
    - The processes holding the most ports across all ranges (first 10), with their rows in the connection table and
      their image name from C(tasklist) (C(name), null for PID 0, which is TIME_WAIT, when the process table could not be
      read, or for a process that exited between the two reads).
    - C(capacity.<range>.in_use.top_pids) carry the same C(name).
  returned: always
  type: list
  elements: dict
  sample: [{"pid": 3120, "name": "w3wp.exe", "ports_in_ranges": 2021, "rows": 2022}]
processes_listed:
  description: Whether the process table (C(tasklist)) could be read.
  returned: always
  type: bool
  sample: true
processes_note:
  description: Why the process table could not be read (null when it could).
  returned: always
  type: str
  sample: null
exhaustion_events:
  description:
    - The host's own record of port exhaustion in the last O(events_days) days, from the System log (provider C(Tcpip)).
      4231 is logged when no ephemeral port was left; 4227 when a connection failed because the local port chosen was
      still in TIME_WAIT towards the same remote address and port.
    - C(by_event_id.<id>) has C(count), C(first) and C(last) (UTC, C(YYYY-MM-DDTHH:MM:SSZ)), C(capped) (the host returned
      its maximum of 100 events, so C(count) is a floor and C(first) the oldest of those), C(read) and C(note).
    - C(read) is false and C(note) says why (with wevtutil's exit code) when the log could not be read.
  returned: always
  type: dict
  sample: {"days": 7, "read": true, "total": 2, "last": "2026-05-04T09:12:40Z", "note": null,
           "by_event_id": {"4227": {"read": true, "count": 1, "first": "2026-05-04T09:12:40Z", "last": "2026-05-04T09:12:40Z",
                                    "capped": false, "note": null},
                           "4231": {"read": true, "count": 1, "first": "2026-05-04T09:12:40Z", "last": "2026-05-04T09:12:40Z",
                                    "capped": false, "note": null}}}
bound_sockets_listed:
  description: Whether BOUND sockets were counted (C(netstat -q) worked).
  returned: always
  type: bool
  sample: true
connection_rows:
  description: Rows of the connection table (all protocols and IP versions).
  returned: always
  type: int
  sample: 14071
findings:
  description:
    - What deserves attention, most severe first, each with C(severity) (V(critical), V(warning) or V(info)), a stable
      C(code) and a C(message) that says what to do. The codes are explained in the capacity guide (docs/capacity.md).
  returned: always
  type: list
  elements: dict
  sample: [{"severity": "warning", "code": "time_wait_dominates", "message": "ipv4_tcp: 12000 of the 14026 ports in use are in TIME_WAIT ..."}]
command_executions:
  description: Command executions the read took on the host (1, or 2 when C(netstat -q) is not available).
  returned: always
  type: int
  sample: 1
"""
