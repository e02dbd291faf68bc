# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report is true in every ending (docs/reliability.md, rows T-NN; issue 14 item 4): it is written when every
host fails and with ``any_errors_fatal`` (which runs the plan gate: before any host writes); a host that
failed after a change shows what it holds and what changed; a host that went down at the probe says so; a failed
ranges step says which command was refused, in full; the console line and the report agree on the reboot; text from a
host cannot change the Markdown report's structure.

Each run is its own ``ansible-playbook`` against simulated hosts; the simulator's counters and model are the oracle."""

from __future__ import annotations

import json
import re

import markdown_it
import pytest

from harness import play, row, run_playbook
from simfleet import HostSpec, fleet_of, model_ranges

WIDE = {"start": 10000, "count": 55536, "end": 65535}
DEFAULT = {"start": 49152, "count": 16384, "end": 65535}
SUMMARY_TASK = "portscale.tcpip.port_capacity : Show the host's summary"
# What a host answers when netsh refuses: Markdown and HTML syntax, a pipe and a line break, as a hostile or unlucky
# host could send them (it reaches the report through the task's message).
HOSTILE = "Refused | `tick` *star* _under_ [link](http://example.invalid) <b>bold</b> &amp;\r\nsecond line"
ENFORCE = {"port_capacity_mode": "enforce", "port_capacity_tcp_timed_wait_delay": 30, "port_capacity_probe_count": 200}


def role_play(report_dir, hosts: str = "all", **keys) -> list[dict]:
    variables = {**ENFORCE, "port_capacity_report_dir": str(report_dir), **keys.pop("role_vars", {})}
    return play(hosts, [{"name": "port capacity", "ansible.builtin.include_role": {"name": "portscale.tcpip.port_capacity"}}],
                vars=variables, **keys)


def report_rows(report_dir) -> dict[str, dict]:
    document = json.loads((report_dir / "port_capacity.json").read_text(encoding="utf-8"))
    return {entry["host"]: entry for entry in document["hosts"]}


def markdown_cells(report_dir) -> dict[str, dict[str, str]]:
    """The Markdown table as a CommonMark/GFM renderer reads it: host -> column -> the cell's plain text."""
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse((report_dir / "port_capacity.md").read_text(encoding="utf-8"))
    table, current, header = {}, [], []
    for token in tokens:
        if token.type == "tr_open":
            current = []
        elif token.type == "inline" and current is not None:
            current.append(token)
        elif token.type == "tr_close":
            texts = ["".join(child.content for child in cell.children or ()) for cell in current]
            if not header:
                header = texts
            else:
                table[texts[0]] = dict(zip(header, texts))
                table[texts[0]]["_tokens"] = {child.type for cell in current for child in cell.children or ()}
            current = None
    return table


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("truth")
    specs = [HostSpec(name) for name in ("down", "noadmin", "calm1", "calm2", "gated1", "gated2", "partial", "probedown", "auditor",
                                         "buddy")]
    with fleet_of(str(tmp / "sim"), specs) as fleet:
        fleet.fault("down", "refused")
        fleet.control.call("noadmin", "elevate", on=False)
        result = {"fleet": fleet}
        # Every host of the play fails: one cannot be reached, the other is refused at the plan.
        result["all_fail"] = run_playbook(tmp, fleet.inventory(), role_play(tmp / "all_fail", "down:noadmin"), name="all_fail")
        # any_errors_fatal: noadmin's refusal ends the play on every host.
        before = {h: fleet.writes(h) for h in ("calm1", "calm2")}
        result["fatal"] = run_playbook(tmp, fleet.inventory(), role_play(tmp / "fatal", "noadmin:calm1:calm2", any_errors_fatal=True),
                                       name="fatal")
        result["fatal_writes"] = {h: fleet.writes(h) - before[h] for h in before}
        # The same with port_capacity_plan_gate: every host is planned in a task before any host writes.
        gate = {"port_capacity_plan_gate": True}
        before = {h: fleet.writes(h) for h in ("gated1", "gated2")}
        result["gated"] = run_playbook(tmp, fleet.inventory(), role_play(tmp / "gated", "noadmin:gated1:gated2", any_errors_fatal=True,
                                                                         role_vars=gate), name="gated")
        result["gated_writes"] = {h: fleet.writes(h) - before[h] for h in before}
        # The gate's cost on a converged host (calm1, which the runs above stopped before any write, is converged
        # first): command executions of one run.
        result["prep"] = run_playbook(tmp, fleet.inventory(), role_play(tmp / "prep", "calm1"), name="prep")
        before = fleet.executions("calm1")
        result["gated_converged"] = run_playbook(tmp, fleet.inventory(), role_play(tmp / "gated_converged", "calm1", role_vars=gate),
                                                 name="gated_converged")
        result["gated_converged_executions"] = fleet.executions("calm1") - before
        # Without any_errors_fatal and the variable the gate task is skipped before any contact: 2 executions; with
        # any_errors_fatal alone it runs: 3.
        before = fleet.executions("calm1")
        result["converged"] = run_playbook(tmp, fleet.inventory(), role_play(tmp / "converged", "calm1"), name="converged")
        result["converged_executions"] = fleet.executions("calm1") - before
        before = fleet.executions("calm1")
        result["fatal_converged"] = run_playbook(tmp, fleet.inventory(), role_play(tmp / "fatal_converged", "calm1", any_errors_fatal=True),
                                                 name="fatal_converged")
        result["fatal_converged_executions"] = fleet.executions("calm1") - before
        # max_fail_percentage with serial: noadmin's batch fails, the report is written, the next batch never starts.
        before = fleet.executions("calm2")
        result["rollout"] = run_playbook(tmp, fleet.inventory(), role_play(tmp / "rollout", "noadmin:calm2", serial=1,
                                                                           max_fail_percentage=0), name="rollout")
        result["rollout_executions"] = fleet.executions("calm2") - before
        # The single-host cases run beside a healthy host ("buddy"), so each shows its own problem, not T-01's.
        # A range change the host refuses for IPv6 after the IPv4 writes landed, with a hostile answer; noadmin is
        # refused at the plan with a message of more than 400 characters.
        fleet.fault("partial", "command-fail", match="ipv6 set dynamicport", exit_code=1, stdout=HOSTILE)
        wide = {"port_capacity_range": {"start": 10000, "end": 65535}, "port_capacity_tcp_timed_wait_delay": None}
        result["partial"] = run_playbook(tmp, fleet.inventory(), role_play(tmp / "partial", "partial:buddy:noadmin", role_vars=wide),
                                         name="partial")
        result["partial_model"] = fleet.model("partial")
        # Audit mode (no write): the read (which every setting is planned from), then the host goes down as the probe
        # starts (the role's one task runs both on one WinRM shell: its second Command).
        fleet.fault("probedown", "crash", action="Command", skip=1)
        result["probedown"] = run_playbook(tmp, fleet.inventory(), role_play(
            tmp / "probedown", "probedown:buddy", role_vars={"port_capacity_mode": "audit"}), name="probedown")
        # Audit: TcpTimedWaitDelay would change and would need a reboot.
        result["audit"] = run_playbook(tmp, fleet.inventory(), role_play(
            tmp / "audit", "auditor", role_vars={"port_capacity_mode": "audit"}), name="audit")
        result["dirs"] = {name: tmp / name for name in ("all_fail", "fatal", "gated", "rollout", "partial", "probedown", "audit")}
        yield result


@row("T-01")
def test_the_report_is_written_when_every_host_fails(runs):
    assert runs["all_fail"].rc != 0
    rows = report_rows(runs["dirs"]["all_fail"])
    assert sorted(rows) == ["down", "noadmin"], runs["all_fail"].output[-3000:]
    assert rows["down"]["status"] == "unreachable" and rows["down"]["reason"].startswith("read unreachable: ")
    assert "Connection refused" in rows["down"]["reason"]
    assert rows["noadmin"]["status"] == "incomplete" and "does not run elevated" in rows["noadmin"]["reason"]
    assert runs["fleet"].writes("noadmin") == 0


@row("T-02")
def test_the_report_is_written_with_any_errors_fatal_and_says_why_each_host_stopped(runs):
    rows = report_rows(runs["dirs"]["fatal"])
    assert sorted(rows) == ["calm1", "calm2", "noadmin"], runs["fatal"].output[-3000:]
    assert "does not run elevated" in rows["noadmin"]["reason"]
    # any_errors_fatal alone (port_capacity_plan_gate at its default) runs the plan gate: noadmin is refused in the
    # plan task, before any host's apply task, so the calm hosts write nothing.
    assert runs["fatal_writes"] == {"calm1": 0, "calm2": 0}, runs["fatal_writes"]
    gate_task = "portscale.tcpip.port_capacity : Check the wanted settings, read the host and plan, before any host of the batch writes"
    for host in ("calm1", "calm2"):
        assert runs["fatal"].of(host, gate_task).result["commands"], runs["fatal"].output[-3000:]
        assert not [r for r in runs["fatal"].results if r.host == host and "apply (enforce mode)" in r.task]
        assert rows[host]["status"] == "incomplete" and "any_errors_fatal" in rows[host]["reason"], rows[host]
        assert not rows[host]["summary"]["changes"], rows[host]
    # Ansible's own rule still holds: every host ends failed.
    assert runs["fatal"].rc != 0
    recap = runs["fatal"].stdout.split("PLAY RECAP")[-1]
    assert all(re.search(rf"^{host}\s*:.* failed=1 ", recap, re.MULTILINE) for host in rows), recap


@row("T-10")
def test_the_plan_gate_stops_every_host_before_any_write_and_costs_one_read_more(runs):
    rows = report_rows(runs["dirs"]["gated"])
    assert sorted(rows) == ["gated1", "gated2", "noadmin"], runs["gated"].output[-3000:]
    assert "does not run elevated" in rows["noadmin"]["reason"]
    # port_capacity_plan_gate: noadmin is refused in the plan task, before any host's apply task.
    assert runs["gated_writes"] == {"gated1": 0, "gated2": 0}, runs["gated_writes"]
    gate_task = "portscale.tcpip.port_capacity : Check the wanted settings, read the host and plan, before any host of the batch writes"
    for host in ("gated1", "gated2"):
        # They had something to write (their plan), and the apply task never ran on them.
        assert runs["gated"].of(host, gate_task).result["commands"], runs["gated"].output[-3000:]
        assert not [r for r in runs["gated"].results if r.host == host and "apply (enforce mode)" in r.task]
        assert rows[host]["status"] == "incomplete" and rows[host]["reason"].startswith("stopped by Ansible"), rows[host]
        assert not rows[host]["summary"]["changes"], rows[host]
    assert runs["gated"].rc != 0
    recap = runs["gated"].stdout.split("PLAY RECAP")[-1]
    assert all(re.search(rf"^{host}\s*:.* failed=1 ", recap, re.MULTILINE) for host in rows), recap
    # Its cost on a converged host.
    assert runs["prep"].rc == 0, runs["prep"].output[-3000:]
    run = runs["gated_converged"]
    assert run.rc == 0, run.output[-3000:]
    assert run.of("calm1", "portscale.tcpip.port_capacity : Check the wanted settings, read the host, plan, apply (enforce mode) "
                  "and probe").status == "ok", run.output[-3000:]
    # The plan task's read, then the apply task's read (nothing reused) and the probe.
    assert runs["gated_converged_executions"] == 3
    # any_errors_fatal alone runs the gate too (3); neither: the gate task is skipped before any contact (2).
    assert runs["fatal_converged"].rc == 0 and runs["fatal_converged_executions"] == 3, runs["fatal_converged"].output[-3000:]
    assert runs["converged"].rc == 0 and runs["converged_executions"] == 2, runs["converged"].output[-3000:]
    assert runs["converged"].of("calm1", gate_task).status == "skipped", runs["converged"].output[-3000:]


@row("T-09")
def test_the_report_is_written_when_max_fail_percentage_stops_a_rollout(runs):
    rows = report_rows(runs["dirs"]["rollout"])
    assert rows["noadmin"]["status"] == "incomplete" and "does not run elevated" in rows["noadmin"]["reason"]
    assert rows["calm2"]["status"] == "pending", rows["calm2"]  # the next batch did not start
    assert runs["rollout_executions"] == 0 and runs["rollout"].rc != 0


@row("T-03")
def test_a_host_that_failed_after_a_change_shows_what_it_holds_and_what_changed(runs):
    row_ = report_rows(runs["dirs"]["partial"])["partial"]
    summary = row_["summary"]
    model = model_ranges(runs["partial_model"])
    assert model == {"ipv4_tcp": WIDE, "ipv4_udp": WIDE, "ipv6_tcp": DEFAULT, "ipv6_udp": DEFAULT}
    assert row_["status"] == "incomplete"
    assert summary["changes"] == ["ipv4_tcp, ipv4_udp: 49152-65535 -> 10000-65535"], summary
    # The values are the host's after the failure (read again), not the first read's.
    assert summary["after"]["ranges"] == {"ipv4_tcp": "10000-65535", "ipv4_udp": "10000-65535",
                                          "ipv6_tcp": "49152-65535", "ipv6_udp": "49152-65535"}
    assert summary["changed"] is True


@row("T-04")
def test_a_host_that_went_down_at_the_probe_says_so(runs):
    row_ = report_rows(runs["dirs"]["probedown"])["probedown"]
    assert row_["status"] == "incomplete", row_
    assert row_["reason"] and row_["reason"].startswith("probe unreachable: "), row_


@row("T-05")
def test_a_failed_ranges_step_names_the_refused_command(runs):
    reason = report_rows(runs["dirs"]["partial"])["partial"]["reason"]
    assert "One or more items failed" not in reason
    assert reason.startswith("win_dynamic_port_range failed: "), reason
    assert "refused: 'netsh int ipv6 set dynamicport tcp start=10000 num=55536 store=persistent' exited 1: Refused" in reason


# The role's one task for the host's work (portscale.tcpip.port_capacity_apply).
APPLY_TASK = "portscale.tcpip.port_capacity : Check the wanted settings, read the host, plan, apply (enforce mode) and probe"


@row("T-06")
def test_reasons_are_kept_whole(runs):
    task = runs["partial"].of("noadmin", APPLY_TASK)
    message = " ".join(task.msg.split())
    assert len(message) > 400 and message.endswith("Nothing was written to the host.")
    rows = report_rows(runs["dirs"]["partial"])
    assert rows["noadmin"]["reason"] == "plan failed: " + message
    # The ranges step's item message, to its end (what the host answered, then what it holds now).
    item = runs["partial"].of("partial", APPLY_TASK).result
    assert item["role_step"] == "win_dynamic_port_range"
    assert rows["partial"]["reason"] == "win_dynamic_port_range failed: " + " ".join(item["msg"].split())


@row("T-07")
def test_the_console_line_and_the_report_agree_on_the_reboot(runs):
    line = runs["audit"].of("auditor", SUMMARY_TASK).result["msg"]
    cells = markdown_cells(runs["dirs"]["audit"])["auditor"]
    assert "would change: TcpTimedWaitDelay: absent -> 30" in cells["Changes"]
    assert line.endswith("reboot: " + cells["Reboot"]), (line, cells["Reboot"])
    assert cells["Reboot"] == "needed to apply"


@row("T-08")
def test_host_text_cannot_change_the_markdown_report(runs):
    cells = markdown_cells(runs["dirs"]["partial"])
    status = cells["partial"]["Status"]
    # One row, every column in place, the host's text shown literally: no code, emphasis, link or HTML made of it.
    assert "Refused | `tick` *star* _under_ [link](http://example.invalid) <b>bold</b> &amp; second line" in status, status
    assert cells["partial"]["_tokens"] <= {"text", "softbreak"}, cells["partial"]["_tokens"]
