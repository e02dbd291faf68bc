# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: port_capacity_report
author: portscale.tcpip contributors
version_added: 0.1.0
short_description: Render the port_capacity fleet report as Markdown, CSV, HTML or JSON
description:
  - Turns the C(port_capacity_summary) facts of a play's hosts (see P(portscale.tcpip.port_capacity_summary#filter)) into
    one report with a row per host, the way the P(portscale.tcpip.port_capacity#role) role writes it.
  - V(html) is one self-contained page (inline CSS and an inline SVG chart of the free ports per host; no script, nothing
    fetched), V(csv) has one flat row per host, V(markdown) a table plus the findings, V(json) the summaries themselves.
  - Hosts listed in O(hosts) without a summary are reported as not run yet when they are in O(active_hosts) (a later
    C(serial) batch), else as failed or unreachable.
positional: _input, format
options:
  _input:
    description: The summaries, as a list (each carries its C(host)) or a dictionary of host name to summary.
    type: raw
    required: true
  format:
    description: The output format.
    type: str
    choices: [markdown, csv, html, json]
    default: markdown
  hosts:
    description: The hosts to list, in order (for example C(ansible_play_hosts_all)). Default is the hosts of the summaries, sorted.
    type: list
    elements: str
  active_hosts:
    description: The hosts still active in the play (C(ansible_play_hosts)), to tell pending hosts from failed ones.
    type: list
    elements: str
  failures:
    description:
      - Why hosts failed, as a dictionary of host name to text (see P(portscale.tcpip.port_capacity_failures#filter));
        shown with the host's status.
    type: dict
  title:
    description: The report's title.
    type: str
    default: Port capacity report
  generated:
    description: The time stamp shown in the report. Default is the current UTC time.
    type: str
"""

EXAMPLES = r"""
- name: Write the fleet report as HTML on the controller
  ansible.builtin.copy:
    content: >-
      {{ ansible_play_hosts_all | map('extract', hostvars) | selectattr('port_capacity_summary', 'defined')
         | map(attribute='port_capacity_summary') | list
         | portscale.tcpip.port_capacity_report('html', hosts=ansible_play_hosts_all, active_hosts=ansible_play_hosts) }}
    dest: /srv/reports/port_capacity.html
    mode: "0644"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The report text in the requested format.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import report, report_files
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import user_value


def port_capacity_report(summaries, format="markdown", hosts=None, active_hosts=None,  # pylint: disable=redefined-builtin
                         title="Port capacity report", generated=None, failures=None):
    """Filter entry point."""
    if format not in report.FORMATS:
        raise AnsibleFilterError(f"port_capacity_report: format={user_value(format)} is not one of {', '.join(report.FORMATS)}")
    try:
        rows = report.build_rows(report.summaries_by_host(summaries), hosts, active_hosts, failures)
    except report.ReportError as exc:
        raise AnsibleFilterError(f"port_capacity_report: {exc}", orig_exc=exc) from exc
    return report_files.render(rows, format, str(title), report.generated_text(generated))


class FilterModule:
    """portscale.tcpip.port_capacity_report"""

    def filters(self):
        return {"port_capacity_report": port_capacity_report}
