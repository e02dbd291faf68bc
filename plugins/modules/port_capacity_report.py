#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only holds documentation: the module is the action plugin of the same name (it runs on the controller).

DOCUMENTATION = r"""
---
module: port_capacity_report
short_description: Write the port_capacity fleet report (Markdown, CSV, HTML, JSON) on the controller
version_added: 0.1.0
description:
  - Writes one report with a row per host from the C(port_capacity_summary) facts the
    P(portscale.tcpip.port_capacity#role) role leaves on each host (see P(portscale.tcpip.port_capacity_summary#filter)).
  - Runs entirely on the controller, in the Ansible process, without contacting any host and without running a module
    process, so it costs milliseconds also for hundreds of hosts. Use it with C(run_once=true).
  - Files are replaced atomically (written next to the target, then renamed), so a reader never sees half a report.
  - V(html) is one self-contained page with an inline SVG chart of the free ports per host (no script, nothing fetched);
    V(csv) has one flat row per host; V(markdown) a table and the findings; V(json) the summaries themselves.
options:
  dest:
    description:
      - Folder on the controller for the files C(port_capacity.md), C(port_capacity.csv), C(port_capacity.html) and
        C(port_capacity.json). Created when missing.
    type: path
    required: true
  summaries:
    description: The hosts' summaries, as a list (each carries its C(host)) or a dictionary of host name to summary.
    type: raw
    required: true
  hosts:
    description:
      - The hosts the report lists, in order (usually C(ansible_play_hosts_all)). A host without a summary is listed as not run
        yet when it is in O(active_hosts), else as failed or unreachable.
      - Default is the hosts of O(summaries), sorted.
    type: list
    elements: str
  active_hosts:
    description: The hosts still active in the play (usually C(ansible_play_hosts)).
    type: list
    elements: str
  failures:
    description:
      - Why hosts failed or were unreachable, as a dictionary of host name to text, shown with the host's status in every
        format (the role builds it with P(portscale.tcpip.port_capacity_failures#filter) from its registered results).
    type: dict
    default: {}
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [markdown, csv, html, json]
    default: [markdown, csv, html, json]
  title:
    description: The report's title.
    type: str
    default: Port capacity report
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: In check mode nothing is written; set C(check_mode=false) on the task to write the report in a check run (the role does).
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - The files are written by the user running Ansible, with mode 0644 (folders 0755).
  - With C(serial), run it once per batch; each batch rewrites the whole report and lists the hosts of later batches as not run yet.
  - With C(strategy=free), C(run_once) is not honoured; write the report in a following play instead.
seealso:
  - module: portscale.tcpip.win_port_info
  - module: portscale.tcpip.win_port_probe
author:
  - portscale.tcpip contributors (@portscale)
"""

EXAMPLES = r"""
- name: Write the fleet report from the role's per-host summaries
  portscale.tcpip.port_capacity_report:
    dest: /srv/reports/ports
    summaries: >-
      {{ ansible_play_hosts_all | map('extract', hostvars) | selectattr('port_capacity_summary', 'defined')
         | map(attribute='port_capacity_summary') | list }}
    hosts: "{{ ansible_play_hosts_all }}"
    active_hosts: "{{ ansible_play_hosts }}"
  run_once: true

- name: Only the HTML page, with a title of its own
  portscale.tcpip.port_capacity_report:
    dest: "{{ playbook_dir }}/reports"
    summaries: "{{ my_summaries }}"
    formats: [html]
    title: Ephemeral ports of the API gateways
  run_once: true
"""

RETURN = r"""
files:
  description: The files written (or, in check mode, that would be written), with their format.
  returned: always
  type: list
  elements: dict
  sample: [{"format": "html", "path": "/srv/reports/ports/port_capacity.html", "bytes": 18234}]
counts:
  description: Hosts per status (V(ok), V(changed), V(drift), V(probe_failed), V(incomplete), V(unreachable), V(pending)).
  returned: always
  type: dict
  sample: {"ok": 41, "probe_failed": 1}
hosts:
  description: Hosts in the report.
  returned: always
  type: int
  sample: 42
"""
