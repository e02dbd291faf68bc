# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Partial failure (docs/reliability.md, rows P-NN): a write batch whose first writes succeed and a later one is
refused reports exactly what changed, and a re-run changes only the rest."""

from __future__ import annotations

import pytest

from harness import play, row, run_playbook
from simfleet import HostSpec, fleet_of, model_ranges

WIDE = {"start": 10000, "count": 55536, "end": 65535}
DEFAULT = {"start": 49152, "count": 16384, "end": 65535}
BAD_PARAMETER = "The parameter is incorrect.\r\n\r\n"

PLAYBOOK = play("all", [
    {"name": "range", "portscale.tcpip.win_dynamic_port_range": {"start": 10000, "end": 65535},
     "when": "inventory_hostname == 'ranges'"},
    {"name": "exclusions", "portscale.tcpip.win_excluded_port_range": {
        "ranges": [{"start": 50100, "count": 10}, {"start": 50200, "count": 10}], "protocols": ["tcp"], "ip_versions": ["ipv4"]},
     "when": "inventory_hostname == 'exclusions'"},
    {"name": "parameters", "portscale.tcpip.win_tcpip_parameters": {"max_user_port": "absent", "tcp_timed_wait_delay": 30},
     "when": "inventory_hostname == 'parameters'"},
])
SETUP = play("parameters", [{"name": "an installer's MaxUserPort", "portscale.tcpip.win_tcpip_parameters": {"max_user_port": 65534}}])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("partial")
    with fleet_of(str(tmp / "sim"), [HostSpec("ranges"), HostSpec("exclusions"), HostSpec("parameters")]) as fleet:
        assert run_playbook(tmp, fleet.inventory(), SETUP, name="setup").rc == 0
        # The IPv6 writes, the second exclusion and the TcpTimedWaitDelay write are refused; what comes before succeeds.
        fleet.fault("ranges", "command-fail", match="ipv6 set dynamicport", exit_code=1, stdout=BAD_PARAMETER)
        fleet.fault("exclusions", "command-fail", match="startport=50200", exit_code=1, stdout=BAD_PARAMETER)
        fleet.fault("parameters", "command-fail", match="/v TcpTimedWaitDelay", exit_code=1, stdout="ERROR: Access is denied.\r\n")
        result = {}
        for name in ("partial", "rerun", "idempotent"):
            before = {h: fleet.writes(h) for h in fleet.names}
            result[name] = run_playbook(tmp, fleet.inventory(), PLAYBOOK, name=name)
            result[name + "_writes"] = {h: fleet.writes(h) - before[h] for h in fleet.names}
            result[name + "_models"] = {h: fleet.model(h) for h in fleet.names}
            fleet.clear()
        yield result


@row("P-01")
def test_dynamic_ranges_refused_halfway_say_which_changed_and_a_rerun_does_the_rest(runs):
    first = runs["partial"].of("ranges", "range")
    assert first.status == "failed" and first.result["changed"] is True
    assert first.result["applied"] == ["ipv4_tcp", "ipv4_udp"] and first.result["not_applied"] == ["ipv6_tcp", "ipv6_udp"]
    assert ("changed: 'netsh int ipv4 set dynamicport tcp start=10000 num=55536 store=persistent', "
            "'netsh int ipv4 set dynamicport udp start=10000 num=55536 store=persistent'. refused: "
            "'netsh int ipv6 set dynamicport tcp start=10000 num=55536 store=persistent' exited 1: The parameter is incorrect.") in first.msg
    assert runs["partial_writes"]["ranges"] == 2
    assert model_ranges(runs["partial_models"]["ranges"]) == first.result["after"] == {
        "ipv4_tcp": WIDE, "ipv4_udp": WIDE, "ipv6_tcp": DEFAULT, "ipv6_udp": DEFAULT}
    second = runs["rerun"].of("ranges", "range")
    assert second.status == "changed" and second.result["applied"] == ["ipv6_tcp", "ipv6_udp"]
    assert second.result["commands"] == ["netsh int ipv6 set dynamicport tcp start=10000 num=55536 store=persistent",
                                         "netsh int ipv6 set dynamicport udp start=10000 num=55536 store=persistent"]
    assert runs["rerun_writes"]["ranges"] == 2
    assert runs["idempotent"].of("ranges", "range").status == "ok" and runs["idempotent_writes"]["ranges"] == 0


@row("P-02")
def test_exclusions_refused_halfway_say_which_block_was_added(runs):
    first = runs["partial"].of("exclusions", "exclusions")
    assert first.status == "failed" and first.result["changed"] is True
    assert first.result["after"] == {"ipv4_tcp": [{"start": 50100, "end": 50109, "count": 10}]}
    assert first.result["applied"] == ["ipv4_tcp"] and first.result["not_applied"] == ["ipv4_tcp"]  # changed, not complete
    assert "changed: 'netsh int ipv4 add excludedportrange protocol=tcp startport=50100 numberofports=10 store=persistent'" in first.msg
    assert "refused: 'netsh int ipv4 add excludedportrange protocol=tcp startport=50200 numberofports=10 store=persistent'" in first.msg
    assert runs["partial_writes"]["exclusions"] == 1
    second = runs["rerun"].of("exclusions", "exclusions")
    assert second.status == "changed"
    assert second.result["commands"] == ["netsh int ipv4 add excludedportrange protocol=tcp startport=50200 numberofports=10 store=persistent"]
    assert runs["idempotent"].of("exclusions", "exclusions").status == "ok"


@row("P-03")
def test_registry_values_refused_halfway_say_which_value_changed(runs):
    first = runs["partial"].of("parameters", "parameters")
    assert first.status == "failed" and first.result["changed"] is True
    assert first.result["applied"] == ["MaxUserPort"] and first.result["not_applied"] == ["TcpTimedWaitDelay"]
    assert first.result["after"] == {"MaxUserPort": None, "TcpTimedWaitDelay": None}
    # The removal and its marker landed; the TcpTimedWaitDelay write and its marker (the fault matches both) were refused.
    assert "ERROR: Access is denied." in first.msg and runs["partial_writes"]["parameters"] == 2
    assert ("refused: 'reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f' "
            "exited 1") in first.msg
    # MaxUserPort was written (setup) and removed again during this boot: the value in effect is back, nothing waits.
    assert first.result["reboot_state"]["MaxUserPort"]["state"] == "in_effect"
    second = runs["rerun"].of("parameters", "parameters")
    assert second.status == "changed" and second.result["applied"] == ["TcpTimedWaitDelay"]
    assert second.result["commands"] == ["reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v TcpTimedWaitDelay "
                                         "/t REG_DWORD /d 30 /f",
                                         "reg add HKLM\\SOFTWARE\\portscale.tcpip /v TcpTimedWaitDelay /t REG_SZ "
                                         "/d boot=1:effective=absent:written=30:known=0 /f"]
    assert second.result["reboot_required"] is True
    idempotent = runs["idempotent"].of("parameters", "parameters")
    assert idempotent.status == "ok" and idempotent.result["reboot_required"] is True  # still waiting for the reboot


@pytest.fixture(scope="module")
def timed_out(tmp_path_factory):
    """The task's ``timeout:`` fires while the host runs the write batch: the writes land, their answer comes late."""
    tmp = tmp_path_factory.mktemp("timeout")
    task = {"name": "range", "portscale.tcpip.win_dynamic_port_range": {"start": 10000, "end": 65535}, "timeout": 2}
    with fleet_of(str(tmp / "sim"), [HostSpec("slow-writes")]) as fleet:
        # The read batch's Receive is the first one; the second (the write batch's) answers 3.5 s late, inside the
        # connection's read timeout but past the task's 2 s.
        fleet.fault("slow-writes", "delay", action="Receive", skip=1, ms=3500)
        first = run_playbook(tmp, fleet.inventory(), play("all", [task]), name="first")
        first_writes = fleet.writes("slow-writes")
        fleet.clear()
        again = run_playbook(tmp, fleet.inventory(), play("all", [task]), name="again")
        yield first, first_writes, again


@row("P-04")
def test_a_task_timeout_during_the_write_batch_reports_every_write_as_possibly_applied(timed_out):
    first, writes, again = timed_out
    result = first.of("slow-writes", "range")
    assert result.status == "failed" and result.result["changed"] is True
    assert "timeout ran out while the host ran the write batch" in result.msg
    assert result.result["may_have_applied"] == [f"netsh int {ip} set dynamicport {proto} start=10000 num=55536 store=persistent"
                                                 for ip in ("ipv4", "ipv6") for proto in ("tcp", "udp")]
    assert result.result["applied"] is None and writes == 4  # they did land
    assert again.of("slow-writes", "range").status == "ok"  # the re-run reads the host and finds them in place
