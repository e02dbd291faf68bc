# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: port_capacity_summary
author: portscale.tcpip contributors
version_added: 0.1.0
short_description: Reduce one host's port_capacity run to the summary the fleet report shows
description:
  - Used by the P(portscale.tcpip.port_capacity#role) role to build each host's C(port_capacity_summary) fact from the
    registered results of M(portscale.tcpip.win_port_info), the configuration modules and M(portscale.tcpip.win_port_probe).
  - Also usable in your own plays that run the modules themselves, to feed P(portscale.tcpip.port_capacity_report#filter).
  - Missing or skipped results are allowed; the summary then says less (for example C(after) is null when the host was not
    read again).
  - Fails when C(host) is not a host name, when C(mode), C(stage) or C(headroom_combo) is not one of its values, or when
    C(before), C(after), C(changes) or C(probe) is not a dictionary (a registered result).
positional: _input
options:
  _input:
    description:
      - A dictionary with C(host), C(mode) (V(audit) or V(enforce)), C(check_mode), C(stage) (V(info) while the run is under
        way, V(done) at its end), C(before) and C(after) (win_port_info results), C(changes) (a dictionary with the results of
        win_tcpip_parameters under C(tcpip_parameters), win_excluded_port_range under C(exclusions) and win_dynamic_port_range
        under C(ranges); loop results are accepted), C(rebooted), C(reboot_policy), C(probe) (the win_port_probe result),
        C(probe_min_success) and C(headroom_combo) (for example V(ipv4_tcp)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Summarise a host after reading and probing it
  ansible.builtin.set_fact:
    port_capacity_summary: >-
      {{ {'host': inventory_hostname, 'mode': 'audit', 'stage': 'done', 'before': info, 'probe': probe,
          'headroom_combo': 'ipv4_tcp'} | portscale.tcpip.port_capacity_summary }}
"""

RETURN = r"""
_value:
  description: The host's summary (the same keys for every host; unknown values are null).
  type: dict
  contains:
    host:
      description: The inventory name.
      type: str
    status:
      description:
        - V(ok), V(changed) (enforce changed something), V(drift) (audit found settings that differ), V(probe_failed)
          or V(incomplete) (the run stopped after the first read).
      type: str
    before:
      description:
        - The first read (null without one), with C(ranges) (C(<ip_version>_<protocol>) to C(start-end)), C(registry)
          (C(MaxUserPort), C(TcpTimedWaitDelay); null when absent), C(exclusions) (C(administered) and C(winnat) blocks per
          table), C(headroom) (C(combo), C(range_size), C(usable), C(free), C(percent_free), C(in_use), C(excluded)),
          C(time_wait_seconds), C(connections_per_second), C(findings) and C(os_build).
        - C(pending_reboot) holds the values written by M(portscale.tcpip.win_tcpip_parameters) that wait for a reboot, each
          with C(effective) (the value in effect, which the rate uses; null when absent), C(effective_known) and C(pending)
          (the value after the reboot); C(time_wait_pending_seconds) is the TIME_WAIT after it (null when none waits).
      type: dict
    after:
      description: The same for the read after the changes (or the reboot); null when the host was not read again.
      type: dict
    changes:
      description: "What enforce changed, one short line per change (for example C(MaxUserPort: 65534 -> absent))."
      type: list
      elements: str
    drift:
      description: What would change (audit mode or check mode), in the same form.
      type: list
      elements: str
    changed:
      description: Whether the run changed the host.
      type: bool
    reboot_required:
      description: Whether a change (made or wanted) needs a reboot to take effect.
      type: bool
    rebooted:
      description: Whether the role rebooted the host.
      type: bool
    reboot_pending:
      description:
        - A change made by the run waits for a reboot, a value written earlier (by any run, from any controller) still
          does, or MaxUserPort has not shaped the TCP range yet.
      type: bool
    pending_reboot:
      description:
        - "One line per value that waits for a reboot, the value in effect beside the pending one, from the latest read (for
          example 'TcpTimedWaitDelay: absent (120 s) in effect -> 30 after the reboot')."
      type: list
      elements: str
    probe:
      description:
        - C(ran), C(requested), C(count), C(min_success), C(opened), C(passed), C(failed), C(error_code), C(error_name),
          C(elapsed_ms), C(free_ports_before), C(capped) (reasons) and C(message) (why it failed).
      type: dict
    findings:
      description: The findings of the latest read (C(severity), C(code), C(message)).
      type: list
      elements: dict
    warnings:
      description: The configuration modules' warnings.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.portscale.tcpip.plugins.plugin_utils._report.role_summary import host_summary, input_problems
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import type_name


def port_capacity_summary(data):
    """Filter entry point."""
    if not isinstance(data, dict):
        raise AnsibleFilterError(f"port_capacity_summary expects a dictionary, got {type_name(data)}")
    problems = input_problems(data)
    if problems:
        raise AnsibleFilterError(f"port_capacity_summary: {'; '.join(problems)}")
    return host_summary(data)


class FilterModule:
    """portscale.tcpip.port_capacity_summary"""

    def filters(self):
        return {"port_capacity_summary": port_capacity_summary}
