# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_capacity_apply's engine (_report/role_apply.py) against a simulated host: one read for the plans, every write
and its verification in one batch, the probe sized from the same task's read (2 command executions when converged, 3
when something changes), a refusal before any write, the probe after a reboot; and the summary line built in Python."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import role_apply
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report.role_summary import summary_line
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import probe_script
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.sim_host import SimHost
from portscale_winsim.model import HostModel

VALUES = {
    "port_capacity_mode": "enforce", "port_capacity_range": {"start": 10000, "count": 55536}, "port_capacity_ranges": {},
    "port_capacity_listener_guard": "ignore", "port_capacity_max_user_port": "absent", "port_capacity_tcp_timed_wait_delay": 30,
    "port_capacity_exclusions": [{"start": 40000, "count": 10}], "port_capacity_exclusions_purge": False,
    "port_capacity_exclusion_protocols": ["tcp"], "port_capacity_exclusion_ip_versions": ["ipv4", "ipv6"],
    "port_capacity_winnat_restart": False, "port_capacity_reboot": "never", "port_capacity_probe": True,
    "port_capacity_probe_count": 500, "port_capacity_probe_min_success": None, "port_capacity_probe_timeout": 60,
    "port_capacity_probe_ip_version": 4, "port_capacity_probe_max_free_share": 50, "port_capacity_probe_allow_exhaustion": False,
}


def apply(host, dry_run=False, check_mode=False, reboot_allowed=False, **values):
    return role_apply.apply(host.execute, {**VALUES, **values}, dry_run, check_mode, reboot_allowed)


def writes(host):
    return [s for s in host.scripts if " set " in s or "reg add" in s or "reg delete" in s]


def test_a_changing_run_costs_three_executions_and_a_converged_one_two():
    host = SimHost(HostModel.create("h", profile="server2022"))
    first = apply(host)
    assert first["changed"] and first["after"]["ranges"]["ipv4_tcp"] and first["probe"]["passed"] is True
    # The read; every write and the same read again in one batch; the probe, sized from that batch's read.
    assert len(host.scripts) == 3 and host.scripts[2].startswith(probe_script.PROBE_HEADER)
    assert [r["changed"] for r in first["changes"]["ranges"]["results"]] == [True]
    assert first["changes"]["tcpip_parameters"]["changed"] and first["changes"]["exclusions"]["changed"]
    del host.scripts[:]
    again = apply(host)
    assert not again["changed"] and again["after"] == {} and again["probe"]["passed"] is True
    assert len(host.scripts) == 2 and host.scripts[1].startswith(probe_script.PROBE_HEADER)
    assert [r["changed"] for r in again["changes"]["ranges"]["results"]] == [False]


def test_audit_plans_every_setting_from_one_read_and_writes_nothing():
    host = SimHost(HostModel.create("h", profile="server2022"))
    result = apply(host, dry_run=True, port_capacity_mode="audit")
    assert result["changed"] and result["changes"]["tcpip_parameters"]["commands"]
    assert len(host.scripts) == 2 and not writes(host)
    # --diff: each setting that would change, with its module's before and after.
    assert [d["before_header"] for d in result["diff"]] == ["win_tcpip_parameters", "win_excluded_port_range", "win_dynamic_port_range"]
    assert all(d["before"] != d["after"] for d in result["diff"])


def test_a_refusal_stops_the_host_before_any_write():
    host = SimHost(HostModel.create("h", profile="server2022", hyperv=True))
    with pytest.raises(role_apply.StepFailed) as caught:
        apply(host, port_capacity_exclusions=[{"start": 49152, "end": 65535}])
    assert caught.value.step == "plan" and str(caught.value).startswith("Refused before any write: ")
    assert str(caught.value).endswith("Nothing was written to the host.") and len(host.scripts) == 1


def test_plan_only_reads_and_plans_and_writes_nothing():
    # The role's plan gate: one read, the plans, no write, no probe; a refusal stops the host as in the combined task.
    host = SimHost(HostModel.create("h", profile="server2022", hyperv=True))
    result = role_apply.apply(host.execute, VALUES, False, False, False, plan_only=True)
    assert len(host.scripts) == 1 and not result["changed"] and "diff" not in result and result["probe"] == {}
    assert result["commands"] and result["after"] == {} and not result["may_have_written"]
    with pytest.raises(role_apply.StepFailed) as caught:
        role_apply.apply(host.execute, {**VALUES, "port_capacity_exclusions": [{"start": 49152, "end": 65535}]}, False, False, False,
                         plan_only=True)
    assert caught.value.step == "plan" and len(host.scripts) == 2 and not writes(host)


def test_the_probe_waits_for_the_reboot_that_follows_then_reads_and_probes():
    host = SimHost(HostModel.create("h", profile="server2022"))
    result = apply(host, reboot_allowed=True, port_capacity_reboot="allowed")
    assert result["reboot_required"] and result["probe_deferred"] and result["probe"] == {}
    assert len(host.scripts) == 2
    del host.scripts[:]
    after = role_apply.after_reboot(host.execute, VALUES, False)
    assert after["after"]["ranges"] and after["probe"]["passed"] is True and len(host.scripts) == 2


def test_the_summary_line_is_the_roles_former_jinja_line():
    """The line the role showed with Jinja (vars/main.yml's __port_capacity_summary_line before issue 16) and the one
    role_summary.summary_line builds agree, converged, changing and in audit mode."""
    jinja2 = pytest.importorskip("jinja2")
    template = jinja2.Environment().from_string(JINJA_LINE)
    host = SimHost(HostModel.create("h", profile="server2022"))
    audit = {**VALUES, "port_capacity_mode": "audit", "port_capacity_range": {"start": 20000, "count": 1000}}
    for values, dry_run in ((VALUES, False), (VALUES, False), (audit, True)):
        outcome = apply(host, dry_run=dry_run, **values)
        summary = role_apply.summarised(role_apply.summary_data("h", values, False, outcome), values)["summary"]
        assert summary_line(summary) == template.render(port_capacity_summary=summary).strip()


# vars/main.yml's __port_capacity_summary_line before issue 16 (folded YAML: one line).
JINJA_LINE = (
    '{%- set s = port_capacity_summary -%} {%- set state = s.after or s.before or {} -%} {%- set room = '
    "state.headroom | default({}) -%} {%- set probe = s.probe | default({}) -%} {{ s.mode }}{{ ' (check mode)' if "
    "s.check_mode else '' }}: {{ s.status }}; {{ room.combo | default('range') }} {{ (state.ranges | "
    "default({}))[room.combo | default('ipv4_tcp')] | default('unknown', true) }}, {%- set free = room.free | "
    "default(none) -%} {%- set rate = state.connections_per_second | default(none) %} {{ '?' if free is none else "
    "free }} of {{ room.range_size | default('?', true) }} ports free ({{ room.percent_free if room.percent_free is "
    "defined and room.percent_free is not none else '?' }}%), {{ '?' if rate is none else rate }} new "
    "connections/s; {% if probe.ran | default(false) -%} probe {{ probe.opened }}/{{ probe.count }}{{ ' passed' if "
    "probe.passed else (' FAILED' if probe.passed is false else '') }}; {%- else -%} probe not run{{ ' (FAILED)' if "
    "probe.failed | default(false) else '' }}; {%- endif %} {%- set first = s.before or state -%} {%- set ran = "
    'first.exhaustion | default(none, true) or {} -%} {%- set top = first.top_process | default(none, true) or {} '
    "%} ran out: {{ ('yes (Tcpip events, last ' ~ ran.last ~ ')') if ran.total | default(0) else ('no' if ran.read "
    "| default(false) else 'unknown') }}{{ (', most ports held by ' ~ (top.name or 'an unnamed process') ~ ' (PID ' "
    "~ top.pid ~ ')') if top else '' }}; {{ ('changes: ' ~ (s.changes | join('; '))) if s.changes else (('drift: ' "
    "~ (s.drift | join('; '))) if s.drift else 'no changes') }}; reboot: {{ s.reboot_text }}"
)


def test_a_refused_write_skips_the_later_settings_in_the_same_batch_and_the_message_names_every_setting():
    # The exclusions go before the ranges so that a range never covers a port Windows refused to exclude.
    model = HostModel.create("h", profile="server2022")
    host = SimHost(model)
    model.inject_command_failure("add excludedportrange", 1, stdout=b"The process cannot access the file because it is being used by "
                                 b"another process.\r\n")
    with pytest.raises(role_apply.StepFailed) as caught:
        apply(host)
    failed, message = caught.value, str(caught.value)
    # Still one read and one batch: the verification read in the batch always runs.
    assert failed.step == "win_excluded_port_range" and len(host.scripts) == 2
    ranges = failed.result["after"]["ranges"]
    assert all(ranges[key] == {"start": 49152, "count": 16384, "end": 65535} for key in ("ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp"))
    changes = failed.result["changes"]
    assert changes["tcpip_parameters"]["write"] == "applied" and changes["tcpip_parameters"]["changed"]
    assert changes["exclusions"]["write"] == "refused" and not changes["exclusions"]["changed"]
    assert [r["write"] for r in changes["ranges"]["results"]] == ["skipped"] and not changes["ranges"]["results"][0]["changed"]
    assert failed.result["changed"] is True and failed.result["may_have_written"] is True
    assert "Changed (the read after the writes): win_tcpip_parameters: TcpTimedWaitDelay." in message
    assert "Refused: 'netsh int ipv4 add excludedportrange protocol=tcp startport=40000 numberofports=10 store=persistent' exited 1" in message
    assert "Skipped (not run after the refusal): 'netsh int ipv4 set dynamicport tcp start=10000 num=55536 store=persistent'" in message
    assert "changed: nothing" not in message


def test_the_reboot_comes_next_also_with_the_probe_off():
    for probe in (True, False):
        host = SimHost(HostModel.create("h", profile="server2022"))
        result = apply(host, reboot_allowed=True, port_capacity_reboot="allowed", port_capacity_probe=probe)
        assert result["reboot_required"] and result["reboot_next"] and result["probe_deferred"] is probe and result["probe"] == {}
        del host.scripts[:]
        # tasks/reboot.yml then reads the host again, and probes it only with the probe on.
        after = role_apply.after_reboot(host.execute, {**VALUES, "port_capacity_probe": probe}, False)
        assert after["after"]["ranges"] and len(host.scripts) == (2 if probe else 1)
        assert (after["probe"]["passed"] is True) if probe else after["probe"] == {}
    # Not allowed, or a dry run: no reboot.
    host = SimHost(HostModel.create("h", profile="server2022"))
    assert not apply(host, port_capacity_reboot="never")["reboot_next"]
    assert not apply(SimHost(HostModel.create("h", profile="server2022")), dry_run=True, reboot_allowed=False)["reboot_next"]
