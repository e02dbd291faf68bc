# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: rows, Markdown, CSV, JSON, HTML, and the atomic file writer."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import report, report_files, report_html
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.report_samples import ACTIVE, HOSTS, demo_summaries

STAMP = "2026-01-01T00:00:00+00:00"


@pytest.fixture
def rows():
    return report.build_rows(demo_summaries(), HOSTS, ACTIVE)


def test_every_host_gets_one_row_in_order_with_a_status(rows):
    assert [row.host for row in rows] == HOSTS
    assert {row.host: row.status for row in rows} == {
        "gw-busy": "changed", "app-mup": "changed", "hv-nat": "changed", "db-heavy": "probe_failed", "gw-audit": "ok",
        "app-broken": "incomplete", "app-down": "unreachable", "app-later": "pending"}
    assert report.status_counts(rows) == {"probe_failed": 1, "incomplete": 1, "unreachable": 1, "changed": 3, "ok": 1, "pending": 1}


def test_summaries_may_be_a_list_or_a_mapping():
    as_list = list(demo_summaries().values())
    assert report.summaries_by_host(as_list).keys() == demo_summaries().keys()
    with pytest.raises(report.ReportError, match="expected a list"):
        report.summaries_by_host("nope")


def test_cells(rows):
    by_host = {row.host: row for row in rows}
    assert report.range_cell(by_host["gw-busy"]) == "49152-65535 (all) -> 10000-65535 (all)"
    assert report.registry_cell(by_host["app-mup"], "MaxUserPort") == "65534 -> absent"
    assert report.headroom_cell(by_host["gw-busy"]) == "2358/16384 (14.4%) -> 50509/55536 (90.9%)"
    assert report.exclusions_cell(by_host["hv-nat"].state, "administered") == "50700-50709"
    assert report.exclusions_cell(by_host["hv-nat"].before, "winnat") == "50635-50734, 54990-55089"
    assert report.probe_cell(by_host["db-heavy"]) == "299/4000 opened, 4000 needed, 10055 NoBufferSpaceAvailable: FAILED"
    assert report.reboot_cell(by_host["gw-busy"]) == "rebooted" and report.reboot_cell(by_host["app-mup"]) == "pending"
    assert report.changes_cell(by_host["db-heavy"]).startswith("would change: ")
    assert report.findings_cell(by_host["db-heavy"]) == "headroom_critical"
    assert report.probe_cell(by_host["app-down"]) == report.NO_DATA


def test_markdown_table_has_a_row_per_host_and_escapes_pipes(rows):
    text = report.to_markdown(rows, "Fleet | A", STAMP)
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(HOSTS)
    assert all(line.count(" | ") == len(report.COLUMNS) - 1 for line in table)
    assert "### db-heavy" in text and "`headroom_critical`" in text and STAMP in text


def test_csv_has_one_flat_row_per_host(rows):
    records = list(csv.DictReader(io.StringIO(report.to_csv(rows))))
    assert [r["host"] for r in records] == HOSTS
    busy = records[0]
    assert busy["ipv4_tcp_range_before"] == "49152-65535" and busy["ipv4_tcp_range_after"] == "10000-65535"
    assert busy["headroom_free_before"] == "2358" and busy["headroom_free_after"] == "50509"
    assert busy["tcp_timed_wait_delay_after"] == "30" and busy["rebooted"] == "true" and busy["probe_passed"] == "true"
    assert records[HOSTS.index("app-down")]["status"] == "unreachable" and records[HOSTS.index("app-down")]["probe_opened"] == ""


def test_csv_neutralises_formulas():
    summary = dict(demo_summaries()["gw-busy"], changes=["=HYPERLINK(1)"])
    text = report.to_csv(report.build_rows({"gw-busy": summary}))
    assert "'=HYPERLINK(1)" in text


def test_json_round_trips(rows):
    document = json.loads(report.to_json(rows, "T", STAMP))
    assert document["counts"]["changed"] == 3 and [h["host"] for h in document["hosts"]] == HOSTS
    assert document["hosts"][HOSTS.index("app-later")]["summary"] is None


def test_html_is_escaped_and_the_svg_is_well_formed(rows):
    evil = dict(demo_summaries()["gw-busy"], host="<script>x</script>")
    text = report_html.to_html(report.build_rows({"<script>x</script>": evil}), "<b>T</b>", STAMP)
    assert "<script>" not in text and "&lt;script&gt;" in text and "&lt;b&gt;T&lt;/b&gt;" in text
    svg = re.search(r"<svg.*?</svg>", report_html.to_html(rows, "T", STAMP), re.S).group(0)
    root = ET.fromstring(svg)
    bars = [el for el in root.iter("{http://www.w3.org/2000/svg}rect") if el.get("height") == "16.0"]
    assert len(bars) == 6  # the six hosts with a headroom figure; pending and unreachable hosts get a text instead
    widths = {rect.find("{http://www.w3.org/2000/svg}title").text.split(":")[0]: float(rect.get("width")) for rect in bars}
    assert widths["app-mup"] > widths["gw-busy"] > widths["app-broken"] > widths["db-heavy"]


@pytest.mark.parametrize("percent, severity", [(None, "none"), (1.8, "critical"), (14.4, "warning"), (20.0, "ok")])
def test_severity_thresholds(percent, severity):
    assert report_html.severity_of(percent) == severity


def test_write_report_writes_atomically_and_reports_changes(tmp_path):
    dest = str(tmp_path / "out" / "nested")
    written = report_files.write_report(dest, demo_summaries(), HOSTS, ACTIVE, ["markdown", "csv", "html", "json"], "T", generated=STAMP)
    assert written.changed is True and written.hosts == len(HOSTS)
    assert sorted(os.listdir(dest)) == sorted(report.FILE_NAMES.values())
    assert all(oct(os.stat(entry["path"]).st_mode & 0o777) == "0o644" for entry in written.files)
    again = report_files.write_report(dest, demo_summaries(), HOSTS, ACTIVE, ["markdown"], "T", generated=STAMP)
    assert again.changed is False


def test_check_mode_writes_nothing(tmp_path):
    written = report_files.write_report(str(tmp_path / "x"), demo_summaries(), None, None, ["html"], "T", check_mode=True)
    assert not (tmp_path / "x").exists() and written.files[0]["bytes"] > 1000


def test_unknown_format_is_refused():
    with pytest.raises(report.ReportError, match="unknown report format"):
        report_files.render([], "pdf", "T", STAMP)


def test_failure_reasons_take_the_first_failed_or_unreachable_step_per_host():
    hostvars = {
        "down": {"read": {"unreachable": True, "msg": "Task failed: ntlm: Connection refused.\n  Nothing was changed."}},
        "refused": {"read": {"changed": False}, "apply": {"failed": True, "msg": "The host refused a change. " + "x" * 500 + " refused: 'netsh'"}},
        "fine": {"read": {"changed": False}, "apply": {"changed": True}},
    }
    reasons = report.failure_reasons(hostvars, ["down", "refused", "fine", "unknown"], {"read": "read", "apply": "win_dynamic_port_range"})
    assert reasons["down"] == "read unreachable: Task failed: ntlm: Connection refused. Nothing was changed."
    # Whole: what the host refused is at the end of a long message.
    assert reasons["refused"] == "win_dynamic_port_range failed: The host refused a change. " + "x" * 500 + " refused: 'netsh'"
    assert set(reasons) == {"down", "refused"}
    assert report.failure_reasons(hostvars, ["down", "refused"], {"read": "read", "apply": "apply"}, unreachable_only=True) == {
        "down": reasons["down"]}


def test_a_failed_loop_gives_the_message_of_its_failed_item():
    loop = {"failed": True, "msg": "One or more items failed", "results": [
        {"item": {"key": "ipv4_tcp"}, "changed": True},
        {"item": {"key": "ipv6_tcp"}, "failed": True, "msg": "refused: 'netsh int ipv6 set dynamicport tcp' exited 1"},
        {"item": {"key": "ipv6_udp"}, "failed": True, "msg": "later"}]}
    one = {"failed": True, "msg": "One or more items failed", "results": [{"item": {"key": "all"}, "unreachable": True, "msg": "down"}]}
    reasons = report.failure_reasons({"a": {"r": loop}, "b": {"r": one}}, ["a", "b"], {"r": "win_dynamic_port_range"})
    assert reasons == {"a": "win_dynamic_port_range (ipv6_tcp) failed: refused: 'netsh int ipv6 set dynamicport tcp' exited 1",
                       "b": "win_dynamic_port_range unreachable: down"}


HOSTILE = "x | `tick` *star* _under_ [link](http://example.invalid) ![img](y) <b>bold</b> &amp; ~~strike~~\r\nsecond"


def test_markdown_escapes_host_text_so_it_renders_literally():
    markdown_it = pytest.importorskip("markdown_it")
    rows = report.build_rows({}, ["web_01 <i>"], active_hosts=[], failures={"web_01 <i>": "read failed: " + HOSTILE})
    text = report.to_markdown(rows, "Title *x*", "now")
    html = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
    # No markup made of the host's text, one table row with all its cells, the text shown as it was.
    for tag in ("<code>", "<em>", "<strong>", "<a ", "<img", "<b>", "<i>", "<s>", "<del>", "<br"):
        assert tag not in html, (tag, html)
    assert html.count("<tr>") == 2 and html.count("<td>") == len(report.COLUMNS)
    assert "x | `tick` *star* _under_ [link](http://example.invalid) ![img](y) &lt;b&gt;bold&lt;/b&gt; &amp;amp; ~~strike~~ second" in html
    assert "web_01 &lt;i&gt;" in html and "<h1>Title *x*</h1>" in html


def test_a_host_that_stopped_after_an_unverified_write_shows_its_values_as_not_known():
    summary = {"host": "h", "status": "incomplete", "before": {"ranges": {c: "49152-65535" for c in report.COMBOS},
               "registry": {"MaxUserPort": None, "TcpTimedWaitDelay": None}}, "after": None, "after_unknown": True}
    row = report.build_rows({"h": summary}, ["h"])[0]
    assert report.range_cell(row) == "49152-65535 (all) -> " + report.NOT_KNOWN
    assert report.registry_cell(row, "TcpTimedWaitDelay") == "absent -> " + report.NOT_KNOWN


def test_a_failed_host_without_a_summary_is_unreachable_with_its_reason_in_every_format():
    rows = report.build_rows({}, ["down"], active_hosts=[], failures={"down": "read unreachable: Connection refused"})
    assert rows == [report.Row("down", "unreachable", None, "read unreachable: Connection refused")]
    assert "| down | failed or unreachable before the first read; read unreachable: Connection refused |" in report.to_markdown(rows, "t", "now")
    assert "down,unreachable,read unreachable: Connection refused" in report.to_csv(rows)
    assert json.loads(report.to_json(rows, "t", "now"))["hosts"][0]["reason"] == "read unreachable: Connection refused"


def test_failures_must_be_a_mapping():
    with pytest.raises(report.ReportError, match="failures as a mapping"):
        report.build_rows({}, ["a"], failures=["a"])
