# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connections (docs/reliability.md, rows C-NN): every module over WinRM with Basic and NTLM, over HTTP and HTTPS
(certificate validation on), over PSRP (``ansible_connection: psrp``, the simulator's ``inventory.psrp.yml``) and
over Windows OpenSSH (``ansible_connection: ssh``, ``ansible_shell_type: powershell``) against the same simulated
host model — same results, same round trips."""

from __future__ import annotations

import os
import pathlib

import pytest

from harness import play, row, run_playbook
from simfleet import HostSpec, fleet_of

WINRM_HOSTS = {"basic-http": ("basic", False), "ntlm-http": ("ntlm", False), "basic-https": ("basic", True), "ntlm-https": ("ntlm", True)}
WIDE = {"start": 10000, "count": 55536, "end": 65535}

TASKS = [
    {"name": "info", "portscale.tcpip.win_port_info": {}},
    {"name": "range check", "portscale.tcpip.win_dynamic_port_range": {"start": 10000, "end": 65535}, "check_mode": True},
    {"name": "range", "portscale.tcpip.win_dynamic_port_range": {"start": 10000, "end": 65535}},
    {"name": "range again", "portscale.tcpip.win_dynamic_port_range": {"start": 10000, "end": 65535}},
    {"name": "parameters", "portscale.tcpip.win_tcpip_parameters": {"tcp_timed_wait_delay": 30, "max_user_port": "absent"}},
    {"name": "exclusion", "portscale.tcpip.win_excluded_port_range": {"ranges": [{"start": 50700, "count": 10}]}},
    {"name": "probe", "portscale.tcpip.win_port_probe": {"count": 500, "fail_below": 500}},
    # 60 blocks in two tables: a write batch far longer than cmd.exe's 8191-character line, so it goes on stdin.
    {"name": "many exclusions", "portscale.tcpip.win_excluded_port_range": {
        "ranges": [{"start": 30000 + 10 * i, "count": 5} for i in range(60)], "protocols": ["udp"]}},
]
# Command executions per task on the host: a read, plus a write batch when something changes; the probe reads first.
EXECUTIONS = {"info": 1, "range check": 1, "range": 2, "range again": 1, "parameters": 2, "exclusion": 2, "probe": 2,
              "many exclusions": 2}


def expect_converged(run, host):
    assert run.of(host, "info").status == "ok"
    assert run.of(host, "info").result["ranges"]["ipv4_tcp"]["start"] == 49152
    check = run.of(host, "range check")
    assert check.status == "changed" and check.result["not_applied"] == ["ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp"]
    changed = run.of(host, "range")
    assert changed.status == "changed" and changed.result["after"] == {k: WIDE for k in ("ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp")}
    assert run.of(host, "range again").status == "ok"
    assert run.of(host, "parameters").status == "changed" and run.of(host, "parameters").result["reboot_required"] is True
    assert run.of(host, "exclusion").status == "changed"
    probe = run.of(host, "probe")
    assert probe.status == "ok" and probe.result["opened"] == 500 and probe.result["passed"] is True
    many = run.of(host, "many exclusions")
    assert many.status == "changed" and len(many.result["after"]["ipv4_udp"]) == 60 and many.result["not_applied"] == []


@pytest.fixture(scope="module")
def winrm_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("winrm")
    specs = [HostSpec(name, auth=auth, https=https) for name, (auth, https) in WINRM_HOSTS.items()]
    with fleet_of(str(tmp / "sim"), specs) as fleet:
        run = run_playbook(tmp, fleet.inventory(), play("windows", TASKS))
        yield run, {h: fleet.counters(h) for h in WINRM_HOSTS}


@pytest.mark.parametrize("host", [
    pytest.param("basic-http", id="C-01", marks=row("C-01")),
    pytest.param("ntlm-http", id="C-02", marks=row("C-02")),
    pytest.param("basic-https", id="C-03", marks=row("C-03")),
    pytest.param("ntlm-https", id="C-04", marks=row("C-04")),
])
def test_every_module_over_winrm(winrm_run, host):
    run, counters = winrm_run
    assert run.rc == 0, run.output[-3000:]
    expect_converged(run, host)
    assert counters[host]["model"]["commands_run"] == sum(EXECUTIONS.values())
    http = counters[host]["http"]
    if WINRM_HOSTS[host][0] == "ntlm":
        # One NTLM handshake per task (a shell per task), every SOAP body encrypted (a clear one would be refused).
        assert http["ntlm_handshakes"] == len(TASKS) and http["faults_injected"].get("unencrypted-rejected", 0) == 0
    else:
        assert http["ntlm_handshakes"] == 0 and http["auth_round_trips"] == 0  # Basic is pre-emptive


PSRP_HOSTS = {"psrp-ntlm": ("ntlm", False), "psrp-basic-https": ("basic", True)}


@pytest.fixture(scope="module")
def psrp_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("psrp")
    specs = [HostSpec(name, auth=auth, https=https) for name, (auth, https) in PSRP_HOSTS.items()]
    with fleet_of(str(tmp / "sim"), specs) as fleet:
        run = run_playbook(tmp, fleet.inventory("inventory.psrp.yml"), play("windows", TASKS))
        yield run, {h: fleet.counters(h) for h in PSRP_HOSTS}


@pytest.mark.parametrize("host", [
    pytest.param("psrp-ntlm", id="C-07", marks=row("C-07")),
    pytest.param("psrp-basic-https", id="C-08", marks=row("C-08")),
])
def test_every_module_over_psrp(psrp_run, host):
    run, counters = psrp_run
    assert run.rc == 0, run.output[-3000:]
    # The probe's result line is an output object of the pipeline: a [Console]::Out line would be lost over PSRP.
    expect_converged(run, host)
    model = counters[host]["model"]
    assert model["commands_run"] == sum(EXECUTIONS.values())
    assert model["psrp_pipelines"] == sum(EXECUTIONS.values())  # every execution was a PSRP pipeline, none WinRS


@pytest.fixture(scope="module")
def ssh_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ssh")
    with fleet_of(str(tmp / "sim"), [HostSpec("ssh1", ssh=True), HostSpec("ssh-down", ssh=True)]) as fleet:
        fleet.fault("ssh-down", "refused")
        run = run_playbook(tmp, fleet.inventory("inventory.ssh.yml"), play("windows", TASKS))
        yield run, {h: fleet.counters(h) for h in ("ssh1", "ssh-down")}


@row("C-05")
def test_every_module_over_windows_openssh(ssh_run):
    run, counters = ssh_run
    expect_converged(run, "ssh1")
    assert counters["ssh1"]["model"]["commands_run"] == sum(EXECUTIONS.values())
    assert counters["ssh1"]["ssh"]["commands"] == sum(EXECUTIONS.values())
    assert counters["ssh1"]["http"]["requests_by_action"] == {}  # nothing went over WinRM


# ansible-core 2.16-2.17's ssh connection sends PowerShell syntax (``chcp.com 65001 > $null ; PowerShell ...``), which
# needs sshd's DefaultShell set to PowerShell; the oldest core's venv comes from mk/cores.mk.
OLDEST_PLAYBOOK = pathlib.Path(__file__).resolve().parents[2] / ".venv-core-2.16" / "bin" / "ansible-playbook"


@pytest.fixture(scope="module")
def ssh_powershell_run(tmp_path_factory):
    if not OLDEST_PLAYBOOK.exists():
        pytest.fail(f"{OLDEST_PLAYBOOK} is missing: `make reliability` creates it (mk/cores.mk)")
    tmp = tmp_path_factory.mktemp("ssh-powershell")
    with fleet_of(str(tmp / "sim"), [HostSpec("ssh-ps", ssh=True, ssh_shell="powershell")]) as fleet:
        run = run_playbook(tmp, fleet.inventory("inventory.ssh.yml"), play("windows", TASKS), playbook_exe=os.fspath(OLDEST_PLAYBOOK))
        yield run, fleet.counters("ssh-ps")


@row("C-09")
def test_every_module_over_ssh_with_powershell_as_default_shell_on_the_oldest_core(ssh_powershell_run):
    run, counters = ssh_powershell_run
    assert run.rc == 0, run.output[-3000:]
    expect_converged(run, "ssh-ps")
    assert counters["model"]["commands_run"] == sum(EXECUTIONS.values())
    assert counters["ssh"]["commands"] == sum(EXECUTIONS.values())
    assert counters["http"]["requests_by_action"] == {}


@row("C-06")
def test_an_ssh_host_that_refuses_is_unreachable_and_nothing_changed(ssh_run):
    run, counters = ssh_run
    down = run.of("ssh-down", "info")
    assert down.status == "unreachable" and "Nothing was changed." in down.msg
    assert counters["ssh-down"]["model"]["commands_run"] == 0
