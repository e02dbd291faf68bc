# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""role_summary: registered module results -> one host's summary."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import report
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report.role_summary import describe_change, host_summary, module_results
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.report_samples import all_ranges, change, demo_summaries, info, probe, range_dict


def test_enforce_lists_changes_and_the_reboot():
    summary = demo_summaries()["gw-busy"]
    assert summary["status"] == "changed" and summary["changed"] is True
    assert summary["changes"] == ["TcpTimedWaitDelay: absent -> 30", "ipv4_tcp, ipv4_udp, ipv6_tcp, ipv6_udp: 49152-65535 -> 10000-65535"]
    assert summary["drift"] == [] and summary["reboot_required"] is True and summary["rebooted"] is True
    assert summary["reboot_pending"] is False
    assert summary["before"]["headroom"]["free"] == 2358 and summary["after"]["headroom"]["free"] == 50509
    assert summary["after"]["ranges"]["ipv4_tcp"] == "10000-65535"
    assert summary["findings"] == []  # the latest read (after) has none


def test_a_registry_change_without_reboot_stays_pending():
    summary = demo_summaries()["app-mup"]
    assert summary["changes"][0] == "MaxUserPort: 65534 -> absent"
    assert summary["reboot_required"] is True and summary["rebooted"] is False and summary["reboot_pending"] is True
    assert summary["before"]["registry"] == {"MaxUserPort": 65534, "TcpTimedWaitDelay": None}
    assert summary["before"]["ranges"]["ipv4_tcp"] == "1024-65534" and summary["before"]["ranges"]["ipv4_udp"] == "49152-65535"


def test_audit_reports_drift_and_never_a_change():
    data = {"host": "h", "mode": "audit", "before": info(free=2358),
            "changes": {"tcpip_parameters": change({"TcpTimedWaitDelay": None}, {"TcpTimedWaitDelay": 30}, reboot_required=True)},
            "probe": probe(4000)}
    summary = host_summary(data)
    assert summary["status"] == "drift" and summary["changed"] is False and summary["changes"] == []
    assert summary["drift"] == ["TcpTimedWaitDelay: absent -> 30"]
    assert summary["reboot_required"] is True and summary["reboot_pending"] is False


def test_check_mode_in_enforce_is_drift_too():
    data = {"host": "h", "mode": "enforce", "check_mode": True, "before": info(),
            "changes": {"ranges": change(all_ranges(49152, 65535), all_ranges(10000, 65535))}}
    summary = host_summary(data)
    assert summary["changed"] is False and summary["drift"] and summary["status"] == "drift"


def test_a_short_probe_fails_the_host_and_keeps_the_modules_message():
    summary = demo_summaries()["db-heavy"]
    assert summary["status"] == "probe_failed"
    assert summary["probe"]["passed"] is False and summary["probe"]["failed"] is True
    assert summary["probe"]["error_code"] == 10055 and "opened 299 of 4000" in summary["probe"]["message"]


def test_a_module_failure_under_failed_when_false_is_still_a_failure():
    registered = {"failed": False, "failed_when_result": False, "msg": "The probe could not open any connection", "changed": False}
    summary = host_summary({"host": "h", "mode": "audit", "before": info(), "probe": registered})
    assert summary["probe"]["failed"] is True and summary["status"] == "probe_failed"


def test_first_summary_is_incomplete_and_skipped_tasks_say_nothing():
    skipped = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
    summary = host_summary({"host": "h", "stage": "info", "before": info(), "after": skipped, "probe": skipped,
                            "changes": {"ranges": {"results": [skipped]}, "tcpip_parameters": skipped}})
    assert summary["status"] == "incomplete" and summary["after"] is None
    assert summary["probe"] == {"ran": False, "passed": None} and summary["changes"] == [] and summary["drift"] == []


def test_no_info_result_gives_no_state():
    summary = host_summary({"host": "h", "before": {"failed": True, "msg": "boom"}})
    assert summary["before"] is None and summary["findings"] == []


def test_loop_results_are_flattened_without_skipped_items():
    result = {"results": [{"changed": True, "before": {}, "after": {}}, {"skipped": True}], "changed": True}
    assert len(module_results(result)) == 1
    assert module_results({"skipped": True}) == [] and module_results(None) == []


def test_describe_exclusion_and_range_changes():
    lines = describe_change("exclusions", change({"ipv4_tcp": [range_dict(5022, 5022)]},
                                                 {"ipv4_tcp": [range_dict(50000, 50059)], "ipv6_tcp": [range_dict(50000, 50059)]}))
    assert lines == ["exclusion +50000-50059 (ipv4_tcp, ipv6_tcp)", "exclusion -5022-5022 (ipv4_tcp)"]
    ranges = describe_change("ranges", change({"ipv4_tcp": range_dict(49152, 65535)}, {"ipv4_tcp": range_dict(20000, 65535)}))
    assert ranges == ["ipv4_tcp: 49152-65535 -> 20000-65535"]
    # A failed verification has no after-state: the commands say what ran.
    assert describe_change("ranges", {"before": {}, "after": None, "commands": ["netsh x"]}) == ["netsh x"]


def _pending_info(free: int = 16378) -> dict:
    """win_port_info on the run after an enforce run wrote TcpTimedWaitDelay 30 without rebooting (reboot: never)."""
    result = info(free=free, delay=30)
    result["registry"]["TcpTimedWaitDelay"].update(state="pending", pending=True, effective=None, effective_known=True,
                                                   effective_assumed=None)
    result["time_wait"] = {"seconds": 120, "source": "default", "state": "pending", "pending_seconds": 30}
    result["capacity"]["ipv4_tcp"].update(time_wait_seconds=120, connections_per_second=round(free / 120, 1))
    return result


def test_a_later_run_with_nothing_to_change_still_says_the_reboot_is_pending():
    """Issue 14 item 3: the second run has no changes, but the value written before still waits for the reboot; the rate is
    the one of the value in effect (120 s), and the line says what is in effect and what is pending."""
    summary = host_summary({"host": "gw", "mode": "enforce", "stage": "done", "before": _pending_info(), "probe": probe(4000),
                            "changes": {"tcpip_parameters": change({"TcpTimedWaitDelay": 30}, {"TcpTimedWaitDelay": 30}, changed=False)}})
    assert summary["changes"] == [] and summary["status"] == "ok"
    assert summary["reboot_pending"] is True and summary["rebooted"] is False
    assert summary["pending_reboot"] == ["TcpTimedWaitDelay: absent (120 s) in effect -> 30 after the reboot"]
    assert summary["before"]["connections_per_second"] == round(16378 / 120, 1) and summary["before"]["time_wait_seconds"] == 120
    assert summary["before"]["pending_reboot"] == {"TcpTimedWaitDelay": {"effective": None, "effective_known": True, "pending": 30}}
    assert summary["before"]["time_wait_pending_seconds"] == 30


def test_the_report_shows_the_value_in_effect_beside_the_pending_one():
    summary = host_summary({"host": "gw", "mode": "enforce", "stage": "done", "before": _pending_info(), "probe": probe(4000)})
    row = report.build_rows({"gw": summary})[0]
    assert report.registry_cell(row, "TcpTimedWaitDelay") == "30 (pending reboot; absent in effect)"
    assert report.registry_cell(row, "MaxUserPort") == "absent"
    assert report.rate_cell(row) == f"{round(16378 / 120, 1)}/s (TIME_WAIT 120 s; 30 s after the pending reboot)"
    assert report.reboot_cell(row) == "pending: TcpTimedWaitDelay: absent (120 s) in effect -> 30 after the reboot"
    record = report.csv_record(row)
    assert (record["tcp_timed_wait_delay_effective"], record["max_user_port_effective"], record["time_wait_seconds_after_reboot"]) == (
        "absent", None, 30)
    assert record["pending_reboot"] == "TcpTimedWaitDelay: absent (120 s) in effect -> 30 after the reboot"
    assert "30 (pending reboot; absent in effect)" in report.to_markdown([row], "t", "now")


def test_the_reboot_has_one_text_for_the_console_line_and_the_report():
    audit = host_summary({"host": "h", "mode": "audit", "before": info(free=2358),
                          "changes": {"tcpip_parameters": change({"TcpTimedWaitDelay": None}, {"TcpTimedWaitDelay": 30},
                                                                 reboot_required=True)}})
    assert audit["reboot_text"] == "needed to apply"
    row = report.build_rows({"h": audit}, ["h"])[0]
    assert report.reboot_cell(row) == audit["reboot_text"]
    assert demo_summaries()["gw-busy"]["reboot_text"] == "rebooted" and demo_summaries()["app-mup"]["reboot_text"] == "pending"
    assert host_summary({"host": "h", "before": info(free=2358)})["reboot_text"] == "not needed"


def test_a_write_whose_answer_was_lost_is_listed_as_may_have_applied_and_its_values_as_not_known():
    lost = {"changed": True, "failed": True, "after": None, "may_have_applied": ["netsh int ipv4 set dynamicport tcp start=10000 num=55536"]}
    summary = host_summary({"host": "h", "mode": "enforce", "stage": "info", "before": info(free=2358),
                            "changes": {"ranges": {"results": [lost]}}})
    assert summary["status"] == "incomplete" and summary["after_unknown"] is True
    assert summary["changes"] == ["may have applied: netsh int ipv4 set dynamicport tcp start=10000 num=55536"]
    # Read again after the failure: the values are known.
    again = host_summary({"host": "h", "mode": "enforce", "stage": "info", "before": info(free=2358), "after": info(free=50000),
                          "changes": {"ranges": {"results": [lost]}}})
    assert again["after_unknown"] is False
