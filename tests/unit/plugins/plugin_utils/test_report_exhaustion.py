# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 in the fleet report: which hosts ran out this week (their Tcpip events), and because of which process, in
every format (Markdown, CSV, JSON, HTML with a marker on the chart)."""

from __future__ import annotations

import csv
import io
import json

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import port_info
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import report, report_files, role_summary
from portscale_winsim.model import HostModel
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.sim_host import SimHost


def _summary(host, load, elevated=True):
    info = port_info.run(SimHost(HostModel.create(host, profile="server2022", load=load, elevated=elevated)).execute)
    return role_summary.host_summary({"host": host, "mode": "audit", "stage": "done", "before": info, "headroom_combo": "ipv4_tcp"})


def _rows():
    summaries = {"ranout": _summary("ranout", "heavy"), "calm": _summary("calm", "idle"), "blind": _summary("blind", "heavy", elevated=False)}
    return report.build_rows(summaries, ["ranout", "calm", "blind", "gone"])


def test_the_summary_keeps_the_events_and_the_top_process():
    state = _summary("ranout", "heavy")["before"]
    assert state["exhaustion"]["read"] and state["exhaustion"]["counts"] == {"4227": 1, "4231": 1} and state["exhaustion"]["days"] == 7
    assert state["top_process"] == {"pid": 3120, "name": "w3wp.exe", "ports": state["top_process"]["ports"]}
    assert role_summary.exhaustion_state(None) is None and role_summary.top_process([{"pid": 0}]) is None


def test_markdown_shows_who_ran_out_and_because_of_which_process():
    text = report.to_markdown(_rows(), "Fleet", "now")
    lines = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert "Ran out (Tcpip events)" in lines["Host"] and "Top process" in lines["Host"]
    assert "4231 x1, 4227 x1, last " in lines["ranout"] and "w3wp.exe (PID 3120, " in lines["ranout"]
    assert "none in 7 d" in lines["calm"] and "log unreadable" in lines["blind"]
    assert "exhaustion_events_seen" in text


def test_csv_and_json_carry_the_same():
    records = {r["host"]: r for r in csv.DictReader(io.StringIO(report.to_csv(_rows())))}
    assert records["ranout"]["exhaustion_events_4231"] == "1" and records["ranout"]["exhaustion_events_4227"] == "1"
    assert records["ranout"]["top_process_name"] == "w3wp.exe" and records["ranout"]["top_process_pid"] == "3120"
    assert records["ranout"]["exhaustion_last"].endswith("Z") and records["calm"]["exhaustion_events_4231"] == "0"
    assert records["blind"]["exhaustion_events_read"] == "false" and records["gone"]["exhaustion_events_4231"] == ""
    hosts = {h["host"]: h for h in json.loads(report.to_json(_rows(), "Fleet", "now"))["hosts"]}
    assert hosts["ranout"]["summary"]["before"]["exhaustion"]["total"] == 2
    assert hosts["ranout"]["summary"]["before"]["top_process"]["name"] == "w3wp.exe"


def test_the_html_page_has_the_columns_and_a_marker_on_the_chart():
    page = report_files.render(_rows(), "html", "Fleet", "now")
    assert "<th>Ran out (Tcpip events)</th>" in page and "<th>Top process</th>" in page
    assert page.count("<circle ") == 1 and "ranout ran out of ports: 4231 x1, 4227 x1" in page
    assert "RAN OUT (4231 x1, 4227 x1, last " in page and "w3wp.exe (PID 3120, " in page
