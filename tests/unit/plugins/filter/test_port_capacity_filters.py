# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's two filters: port_capacity_summary and port_capacity_report."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.portscale.tcpip.plugins.filter import port_capacity_report, port_capacity_summary
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.report_samples import HOSTS, demo_summaries, info


def test_filters_are_registered_under_their_names():
    assert "port_capacity_summary" in port_capacity_summary.FilterModule().filters()
    assert "port_capacity_report" in port_capacity_report.FilterModule().filters()


def test_summary_filter():
    summary = port_capacity_summary.port_capacity_summary({"host": "h", "before": info()})
    assert summary["host"] == "h" and summary["status"] == "ok"
    with pytest.raises(AnsibleFilterError, match="expects a dictionary"):
        port_capacity_summary.port_capacity_summary(["h"])


@pytest.mark.parametrize("fmt, marker", [("markdown", "| Host |"), ("csv", "host,status"), ("html", "<svg"), ("json", '"hosts"')])
def test_report_filter_formats(fmt, marker):
    text = port_capacity_report.port_capacity_report(list(demo_summaries().values()), fmt, hosts=HOSTS, generated="now")
    assert marker in text


def test_report_filter_errors():
    with pytest.raises(AnsibleFilterError, match='format="pdf"'):
        port_capacity_report.port_capacity_report([], "pdf")
    with pytest.raises(AnsibleFilterError, match="expected a list"):
        port_capacity_report.port_capacity_report(3)
