#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only holds documentation: the module is the action plugin of the same name (it runs on the controller).

DOCUMENTATION = r"""
---
module: win_port_probe
short_description: Prove outbound TCP port capacity on a Windows host with a bounded burst of real connections
version_added: 0.1.0
description:
  - Opens up to O(count) real outbound TCP connections on the host, to a loopback listener the probe starts itself (or to
    O(target_host):O(target_port)), holds them open, and reports how many succeeded, the index and the Winsock error of the
    first failure, the time taken and the local ports and addresses used. Every socket is then closed with an abortive close
    (linger 0), so the probe leaves nothing behind, not even TIME_WAIT.
  - Safe for production hosts. It first reads the host (one command execution) and, unless O(allow_exhaustion=true), opens at
    most O(max_free_share) percent of the ports that are free at that moment. Hard caps of 200,000 connections and 600 seconds
    always apply. Whatever was reduced is reported in RV(capped).
  - With O(fail_below) the task fails, with a message that says why, when fewer connections open.
  - O(reuse_unicast_port) / O(port_scalability) with explicit binds to several O(local_addresses) show the capacity per local address.
  - Two command executions at most (the read and the probe); check mode does the read only, reports what would be probed, and opens nothing.
  - The probe is a short Windows PowerShell 5.1 script using .NET sockets; its wire format is documented in
    L(docs/probe-contract.md,https://github.com/portscale/tcpip/blob/main/docs/probe-contract.md).
options:
  count:
    description:
      - Connections to open and hold at the same time. More than 200,000 is reduced to 200,000.
      - Also reduced by the share cap unless O(allow_exhaustion=true).
    type: int
    default: 1000
  timeout:
    description: Time budget in seconds for opening the connections (at most 600). Checked before every attempt; each connect waits at most the time left.
    type: int
    default: 60
  ip_version:
    description: Address family of the connections; the free ports come from that IP version's TCP range.
    type: int
    choices: [4, 6]
    default: 4
  target_host:
    description:
      - IP address to connect to (no host names). Defaults to the loopback address (C(127.0.0.1) or C(::1)).
      - With O(target_port=0) the probe listens on this address itself, so it must be an address of the host.
    type: str
  target_port:
    description: Port to connect to. V(0) makes the probe start its own listener on O(target_host) (it takes one ephemeral port).
    type: int
    default: 0
  local_addresses:
    description:
      - Local addresses to bind the client sockets to explicitly, in turn (socket I binds to address I modulo their number), port 0.
        Empty means an implicit bind.
      - At most 64 addresses of the O(ip_version) family, each an address of the host (loopback addresses such as
        C(127.0.0.2) work on every host).
    type: list
    elements: str
    default: []
  reuse_unicast_port:
    description:
      - Set C(SO_REUSE_UNICASTPORT) (0x3007) on each client socket. The port is then chosen at connect time, when the 4-tuple
        is known, and may be shared by connections to different destinations. Windows 10 / Server 2016 and later; Windows 8.1 /
        Server 2012 R2 only with KB 3149157 (8 / 2012 with hotfix 3014399). Elsewhere the probe fails with 10042.
      - Without explicit O(local_addresses) it changes little. C(connect()) without an explicit bind already has this option
        set by default where it exists.
    type: bool
    default: false
  port_scalability:
    description:
      - Set C(SO_PORT_SCALABILITY) (0x3006) on each client socket. With explicit binds each local address then gets its own set
        of ephemeral ports (Windows Server 2008 and later, not on client editions).
    type: bool
    default: false
  max_free_share:
    description:
      - The share of the currently free ports, in percent, that the probe may take (its own listener counts as one port).
        With O(reuse_unicast_port) or O(port_scalability) and explicit O(local_addresses), each port counts once per address.
      - From 1 to 90, so that the host keeps at least a tenth of its free ports while the probe runs. Ignored when
        O(allow_exhaustion=true).
      - On hosts whose netstat cannot list BOUND sockets (before Windows Server 2016 / Windows 10, without the update that
        adds C(netstat -q)), the free ports cannot be counted, so the probe refuses to run unless O(allow_exhaustion=true).
    type: int
    default: 50
  allow_exhaustion:
    description:
      - Allow the probe to take every free port of the range (only the hard caps apply). While it runs, other programs on the
        host cannot open outbound connections from that range. Use it on test hosts or in a maintenance window.
    type: bool
    default: false
  fail_below:
    description:
      - Fail the task when fewer than this many connections open. It must not exceed O(count).
      - When the safety caps already allow fewer connections, the task fails before opening anything.
      - Without it, the task fails only when the probe cannot open a single connection for a reason other than port exhaustion
        (for example a refused connection or an unsupported socket option).
    type: int
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - portscale.tcpip.windows_action
attributes:
  diff_mode:
    support: none
notes:
  - The connections are held open together, so the probe measures how many ports can be in use at once, not a rate.
    For the sustainable rate see RV(portscale.tcpip.win_port_info#module:capacity).
  - SO_REUSE_UNICASTPORT and SO_PORT_SCALABILITY multiply capacity only with explicit binds to several local addresses (or
    for connections to different destinations); to one destination from one address the limit stays the size of the range.
  - The probe connects to one destination, so what it measures is a capacity per destination. Its own listener is a
    destination nothing else connects to. Without explicit binds, on hosts where C(SO_REUSE_UNICASTPORT) exists, its
    connections may therefore also get ports that connections to other destinations hold, and it can open more connections
    than there were free ports. RV(capacity_towards_target) gives the bounds the read predicts.
  - If the task is killed while the script runs, Windows closes the sockets when the PowerShell process ends (they may then stay in TIME_WAIT).
seealso:
  - module: portscale.tcpip.win_port_info
  - module: portscale.tcpip.win_dynamic_port_range
author:
  - portscale.tcpip contributors (@portscale)
"""

EXAMPLES = r"""
- name: Prove that 4000 outbound connections can be open at once (fails with a clear message otherwise)
  portscale.tcpip.win_port_probe:
    count: 4000
    fail_below: 4000

- name: Find the exhaustion point on a test host (may take every free port while it runs)
  portscale.tcpip.win_port_probe:
    count: 70000
    allow_exhaustion: true
  register: burst

- name: Capacity per local address with SO_REUSE_UNICASTPORT and explicit binds
  portscale.tcpip.win_port_probe:
    count: 30000
    reuse_unicast_port: true
    local_addresses: [127.0.0.1, 127.0.0.2, 127.0.0.3]
    allow_exhaustion: true

- name: Show what would be probed, without opening anything
  portscale.tcpip.win_port_probe:
    count: 4000
  check_mode: true
"""

RETURN = r"""
probed:
  description: Whether the probe ran (false in check mode, and when the safety caps left nothing to open or could not meet O(fail_below)).
  returned: always
  type: bool
  sample: true
requested:
  description: The O(count) the task asked for.
  returned: always
  type: int
  sample: 4000
count:
  description: The connections the probe tried (or would try) to open, after the caps.
  returned: always
  type: int
  sample: 4000
capped:
  description:
    - Each cap that reduced the request, with C(limit) (V(max_count), V(max_timeout) or V(free_share)), C(requested),
      C(applied) and C(reason). Empty when nothing was reduced.
  returned: always
  type: list
  elements: dict
  sample: [{"limit": "free_share", "requested": 4000, "applied": 1178, "reason": "at most 50% of the 2358 free ports ..."}]
safety:
  description: The caps in force; C(port_budget) and C(socket_limit) are null with O(allow_exhaustion=true).
  returned: always
  type: dict
  sample: {"max_free_share": 50, "allow_exhaustion": false, "free_ports": 2358, "port_budget": 1178, "socket_limit": 1178,
           "sockets_per_port": 1, "max_count": 200000, "max_timeout": 600}
free_ports_before:
  description: Free ports of the IPv4/IPv6 TCP dynamic range when the host was read (null when it has no netsh range).
  returned: always
  type: int
  sample: 2358
capacity_towards_target:
  description:
    - How many connections to RV(target) the read predicts the probe can open before no port is left, count and time budget aside.
      This is a figure per destination (remote address and port).
    - C(at_least) is the free ports, less the probe's own listener. It is null when netstat could not list BOUND sockets, because
      the free count is then too high.
    - C(at_most) also counts the ports held only by connections to other destinations. On Windows 10 / Server 2016 and later
      (8.1 / 2012 R2 with KB 3149157), C(connect()) without an explicit bind, or with O(reuse_unicast_port), may share them.
      Whether it does depends on how the sockets holding them were bound, which netstat does not show.
    - Both bounds are multiplied by the number of O(local_addresses) when each address gets its own ports (C(sockets_per_port) in RV(safety)).
    - Null when the host has no netsh range.
  returned: always
  type: dict
  sample: {"at_least": 2357, "at_most": 16357}
would_probe:
  description: The probe's parameters (contract input without C(schema)) when it did not run.
  returned: when not probed
  type: dict
  sample: {"count": 1178, "timeout_ms": 60000, "target_host": "127.0.0.1", "target_port": 0, "reuse_unicast_port": false,
           "port_scalability": false, "local_addresses": [], "ip_version": 4}
opened:
  description: Connections that opened (all held at once).
  returned: when probed
  type: int
  sample: 2357
closed:
  description: Sockets the probe closed at the end; equal to RV(opened).
  returned: when probed
  type: int
  sample: 2357
first_failure_index:
  description: 0-based index of the attempt that failed (equal to RV(opened)); null when none failed.
  returned: when probed
  type: int
  sample: 2357
error:
  description:
    - The first failure, null when none. C(code) is the Winsock error (10055 WSAENOBUFS or 10048 WSAEADDRINUSE mean no
      ephemeral port was left), C(name) the .NET C(SocketError) name, C(message) the localized text (do not match on it).
  returned: when probed
  type: dict
  sample: {"code": 10055, "name": "NoBufferSpaceAvailable", "message": "An operation on a socket could not be performed ..."}
timed_out:
  description: Whether the time budget ran out before RV(count) connections opened.
  returned: when probed
  type: bool
  sample: false
elapsed_ms:
  description: Duration of the connect loop in milliseconds.
  returned: when probed
  type: float
  sample: 589.5
rate_per_sec:
  description: Connections opened per second during the loop.
  returned: when probed
  type: float
  sample: 3998.3
local_port_min:
  description: Lowest local port the probe's connections used (null when none opened).
  returned: when probed
  type: int
  sample: 49162
local_port_max:
  description: Highest local port the probe's connections used (null when none opened).
  returned: when probed
  type: int
  sample: 65523
addresses_used:
  description: Local addresses of the connections.
  returned: when probed
  type: list
  elements: str
  sample: ["127.0.0.1"]
opened_per_address:
  description: Connections opened from each local address.
  returned: when probed
  type: dict
  sample: {"127.0.0.1": 2357}
listener_port:
  description: The port of the probe's own listener, or O(target_port).
  returned: when probed
  type: int
  sample: 49156
target:
  description: The endpoint connected to (C([host]:port) for IPv6).
  returned: when probed
  type: str
  sample: "127.0.0.1:49156"
fail_below:
  description: The O(fail_below) in force (null when not given).
  returned: always
  type: int
  sample: 4000
passed:
  description: Whether at least O(fail_below) connections opened; null without O(fail_below).
  returned: always
  type: bool
  sample: false
"""
